/**
 * Leveled logging to stderr (stdout stays free for the CLI's own output). Lines are batched and
 * written once per event-loop turn: a write per request would cost more than the request itself.
 */
import { writeSync } from "node:fs";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function isLogLevel(s: string): s is LogLevel {
  return s in ORDER;
}

/** Batches lines for stderr; flushes on the next turn, when large, and at exit. */
class StderrSink {
  private pending: string[] = [];
  private size = 0;
  private scheduled = false;

  constructor() {
    process.once("exit", () => this.flush());
  }

  write(line: string): void {
    this.pending.push(line);
    this.size += line.length;
    if (this.size > 64 * 1024) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.join("\n") + "\n";
    this.pending = [];
    this.size = 0;
    try {
      writeSync(2, text);
    } catch {
      // stderr closed or full: dropping log lines must not take the server down
    }
  }
}

let stderrSink: StderrSink | undefined;
const defaultWrite = (line: string) => (stderrSink ??= new StderrSink()).write(line);

export class Logger {
  private readonly threshold: number;

  constructor(
    readonly level: LogLevel = "info",
    private readonly write: (line: string) => void = defaultWrite,
  ) {
    this.threshold = ORDER[level];
  }

  enabled(level: LogLevel): boolean {
    return ORDER[level] >= this.threshold;
  }

  log(level: LogLevel, message: string): void {
    if (ORDER[level] >= this.threshold) this.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`);
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
