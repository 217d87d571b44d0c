/**
 * Starting execution environments without stalling the server: `child_process.spawn` forks the
 * calling process, which blocks its event loop for 10-50 ms (more as the server's memory grows),
 * so a burst of 100 cold starts would stall every request, and every running environment's
 * Runtime API, for seconds. A small long-lived launcher process (runtimes/environment-launcher.mjs)
 * spawns them instead; the server sends it a message and gets the child's pid and its stdout and
 * stderr pipes back (passed over IPC, read here as before). Each environment is still its own
 * process with its own TMPDIR; the launcher only starts them.
 *
 * NIMBUS_LAMBDA_LAUNCHER=0 spawns from the server directly (for comparison), as does a machine
 * where the launcher cannot start.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";

/** What an environment needs of its process: output, exit, kill. */
export interface EnvironmentProcess {
  readonly pid: number | undefined;
  /** Not yet exited. */
  running(): boolean;
  kill(): void;
  on(event: "output", listener: (chunk: Buffer, isErr: boolean) => void): this;
  on(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: "error", listener: (e: Error) => void): this;
}

export interface LaunchOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** A process started by the launcher: its pid and pipes arrive by message. */
class LaunchedProcess extends EventEmitter implements EnvironmentProcess {
  pid: number | undefined;
  private ended = false;
  private killRequested = false;
  constructor(
    private readonly launcher: Launcher,
    readonly id: number,
  ) {
    super();
  }
  running(): boolean {
    return !this.ended;
  }
  kill(): void {
    if (this.ended) return;
    if (this.pid === undefined) {
      this.killRequested = true;
      return;
    }
    try {
      process.kill(this.pid, "SIGKILL");
    } catch {
      this.launcher.kill(this.id);
    }
  }
  /** Messages from the launcher about this process. */
  message(m: LauncherMessage, handle: unknown): void {
    if (m.op === "spawned") {
      this.pid = m.pid;
      this.pipe(handle, false);
      if (this.killRequested) this.kill();
    } else if (m.op === "stderr") this.pipe(handle, true);
    else if (m.op === "exit") this.end(m.code ?? null, (m.signal as NodeJS.Signals | null) ?? null);
    else if (m.op === "error") {
      this.emit("error", new Error(m.message ?? "spawn failed"));
    }
  }
  end(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.ended) return;
    this.ended = true;
    this.emit("exit", code, signal);
  }
  private pipe(handle: unknown, isErr: boolean): void {
    const socket = handle as Socket | undefined;
    if (!socket) return;
    socket.on("data", (c: Buffer) => this.emit("output", c, isErr));
    socket.on("error", () => undefined);
  }
}

interface LauncherMessage {
  op: "spawned" | "stderr" | "exit" | "error";
  id: number;
  pid?: number;
  code?: number | null;
  signal?: string | null;
  message?: string;
}

/** A process the server spawned itself (the fallback). */
class DirectProcess extends EventEmitter implements EnvironmentProcess {
  private readonly child: ChildProcess;
  constructor(command: string, args: string[], opts: LaunchOptions) {
    super();
    this.child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.on("data", (c: Buffer) => this.emit("output", c, false));
    this.child.stderr!.on("data", (c: Buffer) => this.emit("output", c, true));
    this.child.on("error", (e) => this.emit("error", e));
    this.child.on("exit", (code, signal) => this.emit("exit", code, signal));
  }
  get pid(): number | undefined {
    return this.child.pid;
  }
  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  kill(): void {
    if (this.running()) this.child.kill("SIGKILL");
  }
}

export class Launcher {
  private proc?: ChildProcess;
  private nextId = 1;
  private readonly launched = new Map<number, LaunchedProcess>();
  private readonly direct = process.env.NIMBUS_LAMBDA_LAUNCHER === "0";

  constructor(private readonly script: string) {}

  launch(command: string, args: string[], opts: LaunchOptions): EnvironmentProcess {
    const launcher = this.direct ? undefined : this.process();
    if (!launcher) return new DirectProcess(command, args, opts);
    const p = new LaunchedProcess(this, this.nextId++);
    this.launched.set(p.id, p);
    p.on("exit", () => this.launched.delete(p.id));
    p.on("error", () => this.launched.delete(p.id));
    launcher.send({ op: "spawn", id: p.id, command, args, cwd: opts.cwd, env: opts.env });
    return p;
  }

  kill(id: number): void {
    if (this.proc?.connected) this.proc.send({ op: "kill", id });
  }

  /** The launcher process, started on first use (and again if it died). */
  private process(): ChildProcess | undefined {
    if (this.proc?.connected) return this.proc;
    try {
      const proc = spawn(process.execPath, [this.script], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
      proc.on("message", (m: LauncherMessage, handle: unknown) => this.launched.get(m.id)?.message(m, handle));
      proc.on("error", () => undefined);
      proc.on("exit", () => {
        if (this.proc === proc) this.proc = undefined;
        // Its children were killed with it (or are about to be): their environments end.
        for (const p of [...this.launched.values()]) {
          p.kill();
          p.end(null, "SIGKILL");
        }
      });
      // Nimbus may exit while the launcher waits for work: the launcher then goes too.
      proc.unref();
      (proc.channel as { unref?: () => void } | undefined)?.unref?.();
      this.proc = proc;
      return proc;
    } catch {
      return undefined;
    }
  }

  stop(): void {
    const proc = this.proc;
    this.proc = undefined;
    if (proc?.connected) proc.disconnect();
  }
}
