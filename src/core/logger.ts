/** Leveled logging to stderr (stdout stays free for the CLI's own output). */

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function isLogLevel(s: string): s is LogLevel {
  return s in ORDER;
}

export class Logger {
  constructor(
    readonly level: LogLevel = "info",
    private readonly write: (line: string) => void = (line) => process.stderr.write(line + "\n"),
  ) {}

  enabled(level: LogLevel): boolean {
    return ORDER[level] >= ORDER[this.level];
  }

  log(level: LogLevel, message: string): void {
    if (this.enabled(level)) this.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`);
  }

  debug(message: string): void {
    this.log("debug", message);
  }
  info(message: string): void {
    this.log("info", message);
  }
  warn(message: string): void {
    this.log("warn", message);
  }
  error(message: string): void {
    this.log("error", message);
  }
}
