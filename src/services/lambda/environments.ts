/**
 * Execution environments: each one is a child process (the runtime's bootstrap) with its own
 * Runtime API server on an ephemeral loopback port (AWS_LAMBDA_RUNTIME_API), its own TMPDIR, the
 * function's code directory as cwd, and the execution role's temporary credentials. An
 * environment runs one invocation at a time and is reused while warm; concurrent invocations
 * get separate environments; idle ones are reaped (by the injected clock). Timeouts and the
 * memory limit kill the environment, as AWS does. Processes are started by a small launcher
 * process (launcher.ts), so a burst of cold starts does not stall the server's event loop.
 *
 * Scheduling: an invocation takes an idle environment of its function version (provisioned ones
 * first) if there is one; otherwise it waits, and a new environment starts for it. It runs in
 * whichever environment is free first: one that finishes its invocation, or the new one once its
 * init is done (the other stays warm). At most MAX_STARTING environments start at once on the
 * machine; each new one, and each one that fails to start, lets the next start. An environment
 * that fails to start or init fails the oldest waiting invocation, with its error.
 *
 * Layers: the function's layers are extracted in order into one directory per list of layers
 * (code.ts), which stands for /opt: NODE_PATH, PYTHONPATH, PATH and LD_LIBRARY_PATH name its
 * nodejs/node_modules, python, bin and lib folders as AWS's runtimes name /opt's, a provided
 * runtime without a `bootstrap` of its own runs the layers' one, and NIMBUS_LAMBDA_OPT holds
 * its path (code that opens "/opt/..." literally does not see it).
 *
 * Response streaming: a runtime that POSTs its response with `Lambda-Runtime-Function-Response-Mode:
 * streaming` (chunked) has each chunk passed on as it arrives to the invocation's sink
 * (InvokeWithResponseStream, RESPONSE_STREAM function URLs), or collected for a buffered caller;
 * an error mid-stream arrives as the trailers `Lambda-Runtime-Function-Error-Type` and
 * `Lambda-Runtime-Function-Error-Body` (base64), as AWS's Runtime API defines them.
 *
 * Provisioned concurrency: `provision` starts and initialises environments in advance for a
 * version (AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency); they serve invocations like
 * any warm environment, are never reaped while their configuration exists, and one that dies
 * (timeout, memory) is replaced by the next reap.
 */
import { execFileSync } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdir, rm } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { randomBytes, randomUUID } from "node:crypto";
import type { ServiceRuntime, RequestContext } from "../../core/service.js";
import type { Scope } from "../../storage/types.js";
import { ServiceError } from "../../core/errors.js";
import { issueCredentials } from "../sts/credentials.js";
import { getRoleByArn } from "../iam/principals.js";
import { appendLogEvents } from "../logs/ingest.js";
import { MetricStore } from "../cloudwatch/store.js";
import { extractedCode, extractedLayers } from "./code.js";
import { LambdaErrors } from "./errors.js";
import { Launcher, type EnvironmentProcess } from "./launcher.js";
import type { CodeRef, FunctionConfiguration } from "./store.js";

/** Idle environments are reaped after this long without an invocation (clock time). */
export const IDLE_MS = 5 * 60_000;
/**
 * How many environments may be starting at once on this machine (NIMBUS_LAMBDA_MAX_STARTING, else
 * 4 per CPU). A Node environment costs about 60 ms of CPU to start; starting 100 at once on two
 * CPUs takes seconds, while a few started at a time are ready sooner and serve the rest in turn.
 */
const MAX_STARTING = Number(process.env.NIMBUS_LAMBDA_MAX_STARTING) || 4 * Math.max(1, availableParallelism());
/** Log lines and metrics are written in batches this often (fewer, larger transactions). */
const LOG_FLUSH_MS = 250;

export interface InvokeSpec {
  scope: Scope;
  config: FunctionConfiguration;
  code: CodeRef;
  /** The version that runs ($LATEST or a number). */
  version: string;
  /** The ARN the caller invoked (with its qualifier, if any). */
  invokedArn: string;
  payload: Buffer;
  clientContext?: string;
  reservedConcurrency?: number;
  endpoint: string;
  requestId?: string;
  /** Where a streamed response goes as it arrives; without one, a streamed response is collected. */
  stream?: ResponseStreamSink;
}

/** The receiver of a streaming invocation's bytes. */
export interface ResponseStreamSink {
  /** The invocation has its environment and the event is on its way: failures before this are ordinary errors. */
  dispatched?(): void;
  /** The runtime began a streaming response (the Content-Type it declared). */
  started?(contentType: string): void;
  chunk(bytes: Buffer): void;
}

/** How an invocation ended, as the environment saw it. */
interface Outcome {
  /** The response (collected when streamed without a sink), or the error document. */
  payload: Buffer;
  functionError?: string;
  /** The error type a runtime reported (a streaming trailer, or the error POST's header). */
  errorType?: string;
  /** The runtime answered in streaming mode (its Content-Type). */
  streamed?: { contentType: string };
}

export interface InvokeResult extends Outcome {
  requestId: string;
  /** The invocation's log lines (START ... REPORT). */
  log: string;
}

/** AWS's limit on a streamed response (20 MiB); a buffered caller's limit stays 6 MB. */
const STREAM_LIMIT = 20 * 1024 * 1024;
const BUFFERED_LIMIT = 6_291_556;

interface Pending {
  id: string;
  spec: InvokeSpec;
  resolve: (r: Outcome) => void;
  /** The environment meant for it could not start (no role to assume, ...): an ordinary error. */
  reject: (e: unknown) => void;
  lines: string[];
  startedMs: number;
  deadlineMs: number;
  done: boolean;
  /** The environment that ran it (or failed to start for it). */
  env?: Environment;
  /** It was its environment's first invocation (the log's Init Duration and init output). */
  cold?: boolean;
}

/** Where the shipped bootstraps are: next to this file (the build copies them into dist/), else in the source tree. */
function runtimeFile(name: string): string {
  const here = fileURLToPath(new URL(`./runtimes/${name}`, import.meta.url));
  if (existsSync(here)) return here;
  return fileURLToPath(new URL(`../../../src/services/lambda/runtimes/${name}`, import.meta.url));
}

/**
 * The node_modules that holds the AWS SDK for JavaScript v3 next to Nimbus, if any: AWS's Node
 * runtimes include the SDK, so functions may `require("@aws-sdk/client-s3")` without bundling it.
 */
const sdkModules: string | undefined = (() => {
  let dir = fileURLToPath(new URL(".", import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, "node_modules", "@aws-sdk"))) return join(dir, "node_modules");
    const up = join(dir, "..");
    if (up === dir) break;
    dir = up;
  }
  return undefined;
})();

let python: string | undefined;
/**
 * The python3 to run (NIMBUS_LAMBDA_PYTHON, else `python3` on PATH), resolved to its real
 * executable once: version-manager shims find their interpreter through HOME, which an
 * environment changes.
 */
function pythonExecutable(): string {
  if (python) return python;
  const configured = process.env.NIMBUS_LAMBDA_PYTHON ?? "python3";
  try {
    python = execFileSync(configured, ["-c", "import sys; print(sys.executable)"], { encoding: "utf8", timeout: 10_000 }).trim() || configured;
  } catch {
    python = configured;
  }
  return python;
}

class Environment {
  readonly id = randomBytes(16).toString("hex");
  private server!: Server;
  private child?: EnvironmentProcess;
  private waiting?: ServerResponse;
  /** The invocation it holds: running, or waiting for the runtime's next /invocation/next. */
  current?: Pending;
  dead = false;
  /** The runtime has asked for its first event (or reported an init error): no longer starting. */
  initialised = false;
  lastUsedMs: number;
  initDurationMs?: number;
  /** It has taken an invocation, or was initialised ahead of one (provisioned): no more cold starts. */
  served = false;
  /** Output written while no invocation was running: init output, or a late line of the last one. */
  looseLines: string[] = [];
  /** Why start() failed, for the invocation that waited on it. */
  startError?: unknown;
  private readonly initStart = performance.now();
  private initError?: { payload: Buffer; type: string };
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private outOfMemory = false;
  private stderrTail = "";
  readonly logStream: string;
  private tmpDir = "";

  constructor(
    private readonly pool: Pool,
    readonly key: string,
    /** Started for provisioned concurrency: kept warm, not reaped while the configuration lasts. */
    public provisioned = false,
  ) {
    this.ready = new Promise((r) => (this.markReady = r));
    this.lastUsedMs = pool.runtime.clock.nowMs();
    const d = pool.runtime.clock.now();
    const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, "0")}/${String(d.getUTCDate()).padStart(2, "0")}`;
    this.logStream = `${day}/[${pool.spec.version}]${this.id}`;
  }

  async start(root: string): Promise<void> {
    const spec = this.pool.spec;
    const cfg = spec.config;
    const codeDir = await extractedCode(root, this.pool.runtime.storage.blobs, spec.code.blob, spec.code.sha256Hex);
    const optDir = spec.code.layers?.length ? await extractedLayers(root, this.pool.runtime.storage.blobs, spec.code.layers) : "/opt";
    this.tmpDir = join(root, "tmp", this.id);
    await mkdir(this.tmpDir, { recursive: true });
    if (this.dead) return;
    this.server = createServer((req, res) => this.route(req, res));
    this.server.keepAliveTimeout = 0;
    // A streamed response may last as long as the function's timeout (up to 15 minutes).
    this.server.requestTimeout = 0;
    await new Promise<void>((ok) => this.server.listen(0, "127.0.0.1", () => ok()));
    const port = (this.server.address() as { port: number }).port;
    const credentials = await this.credentials();
    // Retired or stopped while starting: no process to leave behind.
    if (this.dead) return;
    const runtime = cfg.Runtime ?? "";
    const memory = cfg.MemorySize ?? 128;
    const nodeMajor = /^nodejs(\d+)/.exec(runtime)?.[1];
    const env: NodeJS.ProcessEnv = {
      PATH: [join(optDir, "bin"), process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin"].join(":"),
      LD_LIBRARY_PATH: [join(optDir, "lib"), ...(process.env.LD_LIBRARY_PATH ? [process.env.LD_LIBRARY_PATH] : [])].join(":"),
      NIMBUS_LAMBDA_OPT: optDir,
      LANG: "en_US.UTF-8",
      TZ: ":UTC",
      TMPDIR: this.tmpDir,
      HOME: this.tmpDir,
      ...(cfg.Environment?.Variables ?? {}),
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
      AWS_LAMBDA_FUNCTION_NAME: cfg.FunctionName,
      AWS_LAMBDA_FUNCTION_VERSION: spec.version,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memory),
      AWS_LAMBDA_LOG_GROUP_NAME: logGroupOf(cfg),
      AWS_LAMBDA_LOG_STREAM_NAME: this.logStream,
      AWS_LAMBDA_INITIALIZATION_TYPE: this.provisioned ? "provisioned-concurrency" : "on-demand",
      AWS_REGION: spec.scope.region,
      AWS_DEFAULT_REGION: spec.scope.region,
      AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
      AWS_ENDPOINT_URL: spec.endpoint,
      AWS_ACCESS_KEY_ID: credentials.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.SecretAccessKey,
      AWS_SESSION_TOKEN: credentials.SessionToken,
      _HANDLER: cfg.Handler ?? "",
      LAMBDA_TASK_ROOT: codeDir,
      LAMBDA_RUNTIME_DIR: join(runtimeFile("node-bootstrap.mjs"), ".."),
      // AWS's order: the runtime-specific layer folder, then the shared one, then the runtime's SDK.
      NODE_PATH: [join(codeDir, "node_modules"), ...(nodeMajor ? [join(optDir, "nodejs", `node${nodeMajor}`, "node_modules")] : []), join(optDir, "nodejs", "node_modules"), ...(sdkModules ? [sdkModules] : [])].join(":"),
      PYTHONPATH: [codeDir, join(optDir, "python", "lib", runtime, "site-packages"), join(optDir, "python")].join(":"),
    };
    let command: string;
    let args: string[];
    if (runtime.startsWith("nodejs")) {
      command = process.execPath;
      args = [`--max-old-space-size=${Math.max(16, Math.floor(memory * 0.85))}`, runtimeFile("node-bootstrap.mjs")];
    } else if (runtime.startsWith("python")) {
      command = pythonExecutable();
      args = ["-u", runtimeFile("python-bootstrap.py")];
    } else {
      // A custom runtime may come from a layer: AWS looks for bootstrap in the package, then in /opt.
      command = !existsSync(join(codeDir, "bootstrap")) && existsSync(join(optDir, "bootstrap")) ? join(optDir, "bootstrap") : join(codeDir, "bootstrap");
      args = [];
    }
    const child = this.pool.launcher.launch(command, args, { cwd: codeDir, env });
    this.child = child;
    child.on("output", (chunk: Buffer, isErr: boolean) => {
      const text = chunk.toString("utf8");
      if (isErr) this.stderrTail = (this.stderrTail + text).slice(-4096);
      const target = this.current && !this.current.done ? this.current.lines : this.looseLines;
      for (const line of text.split("\n")) if (line.length > 0) target.push(line);
    });
    child.on("error", (e) => {
      this.looseLines.push(`Error: ${e.message}`);
      this.exited(null, null);
    });
    child.on("exit", (code, signal) => this.exited(code, signal));
  }

  private async credentials() {
    const spec = this.pool.spec;
    const runtime = this.pool.runtime;
    const role = await getRoleByArn(runtime.storage.metadata, spec.config.Role ?? "");
    if (!role) throw new ServiceError(LambdaErrors.InvalidParameterValueException, "The role defined for the function cannot be assumed by Lambda.");
    const session = spec.config.FunctionName!;
    // issueCredentials reads only the clock and the credential table from its context.
    const minter = { clock: runtime.clock, identity: runtime.identity } as unknown as RequestContext;
    return issueCredentials(
      minter,
      {
        type: "assumed-role",
        account: role.account,
        arn: `arn:aws:sts::${role.account}:assumed-role/${role.roleName}/${session}`,
        userId: `${role.roleId}:${session}`,
        roleArn: role.arn,
        roleId: role.roleId,
        sessionName: session,
        accessKeyId: "",
        session: { issued: runtime.clock.now().toISOString() },
      },
      43_200,
    );
  }

  /** Idle: initialised, alive and holding no invocation. */
  idle(): boolean {
    return this.initialised && !this.dead && !this.current;
  }

  /** Starting: its process is on its way and has not asked for an event yet. */
  starting(): boolean {
    return !this.initialised && !this.dead;
  }

  /** Take one invocation (the environment must be idle); it is sent when the runtime next asks. */
  run(pending: Pending): void {
    this.current = pending;
    pending.env = this;
    pending.cold = !this.served;
    this.served = true;
    this.lastUsedMs = this.pool.runtime.clock.nowMs();
    const origResolve = pending.resolve;
    pending.resolve = (r) => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.stopMemoryWatch();
      origResolve(r);
    };
    pending.spec.stream?.dispatched?.();
    if (this.initError) return this.finishInitError(pending);
    if (this.waiting) this.dispatch(pending);
  }

  private timer?: NodeJS.Timeout;

  private dispatch(p: Pending): void {
    // The timeout counts from when the runtime receives the event (init has its own phase).
    p.startedMs = performance.now();
    // Checked after the event loop's next poll: a server stalled past the deadline first reads a
    // response that arrived in time.
    this.timer = setTimeout(() => setImmediate(() => this.timedOut(p)), (p.spec.config.Timeout ?? 3) * 1000);
    this.watchMemory();
    const res = this.waiting!;
    this.waiting = undefined;
    res.writeHead(200, {
      "content-type": "application/json",
      "lambda-runtime-aws-request-id": p.id,
      "lambda-runtime-deadline-ms": String(Math.floor(Date.now() + ((p.spec.config.Timeout ?? 3) * 1000 - (performance.now() - p.startedMs)))),
      "lambda-runtime-invoked-function-arn": p.spec.invokedArn,
      "lambda-runtime-trace-id": `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`,
      ...(p.spec.clientContext ? { "lambda-runtime-client-context": Buffer.from(p.spec.clientContext, "base64").toString("utf8") } : {}),
    });
    res.end(p.spec.payload);
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const path0 = (req.url ?? "").split("?")[0]!;
    const streaming = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/response$/.exec(path0);
    if (req.method === "POST" && streaming && String(req.headers["lambda-runtime-function-response-mode"] ?? "").toLowerCase() === "streaming") {
      return this.streamed(req, res, decodeURIComponent(streaming[1]!));
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? "").split("?")[0]!;
      const accepted = () => {
        res.writeHead(202, { "content-type": "application/json" });
        res.end('{"status":"OK"}');
      };
      if (req.method === "GET" && path === "/2018-06-01/runtime/invocation/next") {
        this.waiting = res;
        if (!this.initialised) {
          this.initialised = true;
          this.initDurationMs = performance.now() - this.initStart;
          this.markReady();
          // A new environment takes the oldest waiting invocation (or stays warm for the next).
          this.pool.offer(this);
          this.pool.startMore();
        } else if (this.current && !this.current.done) this.dispatch(this.current);
        return;
      }
      const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
      if (req.method === "POST" && m) {
        const p = this.current;
        if (!p || p.id !== decodeURIComponent(m[1]!) || p.done) {
          res.writeHead(400, { "content-type": "application/json" });
          res.end('{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}');
          return;
        }
        accepted();
        if (m[2] === "response") {
          if (body.length > BUFFERED_LIMIT) {
            this.complete(p, { payload: Buffer.from(JSON.stringify({ errorMessage: `Response payload size (${body.length} bytes) exceeded maximum allowed payload size (6291556 bytes).`, errorType: "Function.ResponseSizeTooLarge" })), functionError: "Unhandled" });
          } else this.complete(p, { payload: body });
        } else this.complete(p, { payload: body, functionError: "Unhandled", ...(req.headers["lambda-runtime-function-error-type"] ? { errorType: String(req.headers["lambda-runtime-function-error-type"]) } : {}) });
        return;
      }
      if (req.method === "POST" && path === "/2018-06-01/runtime/init/error") {
        accepted();
        this.initError = { payload: body, type: String(req.headers["lambda-runtime-function-error-type"] ?? "Runtime.Unknown") };
        if (!this.initialised) {
          this.initialised = true;
          this.markReady();
          // The invocation waiting for an environment gets the init error; with none waiting, it just goes.
          this.pool.offer(this);
          this.pool.startMore();
        }
        return;
      }
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"errorMessage":"Unknown Runtime API path","errorType":"InvalidRequest"}');
    });
  }

  /**
   * A response POSTed in streaming mode: each chunk goes to the invocation's sink as it arrives
   * (or is collected for a buffered caller); the trailers tell whether it ended in an error.
   */
  private streamed(req: IncomingMessage, res: ServerResponse, id: string): void {
    const p = this.current;
    if (!p || p.id !== id || p.done) {
      req.resume();
      res.writeHead(400, { "content-type": "application/json" });
      res.end('{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}');
      return;
    }
    const contentType = String(req.headers["content-type"] ?? "application/octet-stream");
    const sink = p.spec.stream;
    sink?.started?.(contentType);
    const collected: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (c: Buffer) => {
      if (p.done || tooLarge) return;
      size += c.length;
      if (size > (sink ? STREAM_LIMIT : BUFFERED_LIMIT)) {
        tooLarge = true;
        return;
      }
      if (sink) sink.chunk(c);
      else collected.push(c);
    });
    req.on("end", () => {
      res.writeHead(202, { "content-type": "application/json" });
      res.end('{"status":"OK"}');
      if (p.done) return;
      const streamed = { contentType };
      if (tooLarge) {
        const limit = sink ? STREAM_LIMIT : BUFFERED_LIMIT;
        const message = `Response payload size exceeded maximum allowed payload size (${limit} bytes).`;
        return this.complete(p, { payload: Buffer.from(JSON.stringify({ errorMessage: message, errorType: "Function.ResponseSizeTooLarge" })), functionError: "Unhandled", errorType: "Function.ResponseSizeTooLarge", streamed });
      }
      const errorType = req.trailers["lambda-runtime-function-error-type"];
      if (errorType) {
        const raw = req.trailers["lambda-runtime-function-error-body"] ?? "";
        const payload = Buffer.from(raw, "base64");
        return this.complete(p, { payload, functionError: "Unhandled", errorType, streamed });
      }
      this.complete(p, { payload: Buffer.concat(collected), streamed });
    });
  }

  private finishInitError(p: Pending): void {
    this.complete(p, { payload: this.initError!.payload, functionError: "Unhandled", errorType: this.initError!.type });
    this.kill();
  }

  private complete(p: Pending, r: Outcome): void {
    if (p.done) return;
    p.done = true;
    this.current = undefined;
    this.lastUsedMs = this.pool.runtime.clock.nowMs();
    p.resolve(r);
    // Idle again: the next waiting invocation is its (after a timeout or memory kill, dead: none).
    queueMicrotask(() => this.pool.offer(this));
  }

  private timedOut(p: Pending): void {
    if (p.done) return;
    const seconds = (p.spec.config.Timeout ?? 3).toFixed(2);
    const line = `${new Date().toISOString()} ${p.id} Task timed out after ${seconds} seconds`;
    p.lines.push(line);
    this.complete(p, { payload: Buffer.from(JSON.stringify({ errorMessage: line })), functionError: "Unhandled", errorType: "Sandbox.Timedout" });
    this.kill();
  }

  private watchMemory(): void {
    if (this.child?.pid && process.platform === "linux") watchMemoryOf(this);
  }

  private stopMemoryWatch(): void {
    memoryWatch.delete(this);
  }

  /** Read the process's resident memory (Linux): past the function's memory size, it is killed as AWS does. */
  checkMemory(): void {
    let status: string;
    try {
      status = readFileSync(`/proc/${this.child?.pid}/status`, "utf8");
    } catch {
      return;
    }
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    this.pool.maxRssKb = Math.max(this.pool.maxRssKb, kb);
    if (kb > (this.pool.spec.config.MemorySize ?? 128) * 1024) {
      this.outOfMemory = true;
      this.kill();
    }
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    this.dead = true;
    this.markReady();
    const oom = this.outOfMemory || /heap out of memory|Reached heap limit/.test(this.stderrTail);
    const how = oom || signal === "SIGKILL" ? "signal: killed" : signal ? `signal: ${signal.replace(/^SIG/, "").toLowerCase()}` : `exit status ${code ?? 1}`;
    this.exitHow = { how, errorType: oom ? "Runtime.OutOfMemory" : "Runtime.ExitError" };
    const p = this.current;
    if (p && !p.done) this.complete(p, this.exitOutcome(p));
    this.cleanup();
  }

  private exitHow = { how: "signal: killed", errorType: "Runtime.ExitError" };

  /** The outcome of an invocation whose runtime went away (it exited, or was killed). */
  exitOutcome(p: Pending): Outcome {
    const message = `RequestId: ${p.id} Error: Runtime exited with error: ${this.exitHow.how}`;
    p.lines.push(message);
    const errorType = this.exitHow.errorType;
    return { payload: Buffer.from(JSON.stringify({ errorType, errorMessage: message })), functionError: "Unhandled", errorType };
  }

  kill(): void {
    this.dead = true;
    this.markReady();
    if (this.child?.running()) this.child.kill();
    else {
      const p = this.current;
      if (p && !p.done) this.complete(p, this.exitOutcome(p));
      this.cleanup();
    }
  }

  private cleaned = false;
  private cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    this.stopMemoryWatch();
    this.waiting?.destroy();
    this.server?.close();
    this.server?.closeAllConnections?.();
    this.pool.remove(this);
    // Gone before its init was done: the oldest waiting invocation fails with it.
    if (!this.initialised) this.pool.starterLost(this);
    if (this.tmpDir) rm(this.tmpDir, { recursive: true, force: true }).catch(() => undefined);
  }

  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Why init failed (an init error reported through the Runtime API, or the process exiting), if it did. */
  initFailure(): string | undefined {
    if (this.initError) return this.initError.type;
    return this.dead ? "Runtime.ExitError" : undefined;
  }
}

/**
 * Environments running an invocation, whose memory is checked every 50 ms by one timer (one
 * short synchronous /proc read each, rather than a timer and an asynchronous read per environment).
 */
const memoryWatch = new Set<Environment>();
let memoryTimer: NodeJS.Timeout | undefined;
function watchMemoryOf(e: Environment): void {
  memoryWatch.add(e);
  if (memoryTimer) return;
  memoryTimer = setInterval(() => {
    for (const env of memoryWatch) env.checkMemory();
    if (memoryWatch.size === 0) {
      clearInterval(memoryTimer);
      memoryTimer = undefined;
    }
  }, 50);
  memoryTimer.unref();
}

export const logGroupOf = (cfg: FunctionConfiguration) => cfg.LoggingConfig?.LogGroup ?? `/aws/lambda/${cfg.FunctionName}`;

/** The environments of one function version with one configuration (changed config → new pool). */
class Pool {
  readonly envs = new Set<Environment>();
  /**
   * Invocations waiting for an environment, oldest first. A new environment starts for each (as
   * far as MAX_STARTING allows), but whichever environment is free first takes the oldest: one
   * that finished its invocation, or a new one that finished its init.
   */
  readonly waiting: Pending[] = [];
  /** A newer configuration replaced this one: environments go once nothing waits for them. */
  retired = false;
  maxRssKb = 0;
  /** Provisioned concurrency per owner (a version's or alias's configuration). */
  readonly provisionedOwners = new Map<string, number>();
  provisionedTarget(): number {
    let n = 0;
    for (const v of this.provisionedOwners.values()) n += v;
    return n;
  }
  provisionedCount(): number {
    let n = 0;
    for (const e of this.envs) if (e.provisioned && !e.dead) n++;
    return n;
  }
  constructor(
    readonly runtime: ServiceRuntime,
    public spec: InvokeSpec,
    readonly launcher: Launcher,
  ) {}
  /** Invocations in flight: running (or handed to an environment) and waiting for one. */
  inFlight(): number {
    let n = this.waiting.length;
    for (const e of this.envs) if (e.current) n++;
    return n;
  }
  startingCount(): number {
    let n = 0;
    for (const e of this.envs) if (e.starting()) n++;
    return n;
  }
  /** An idle environment, a provisioned one first (AWS's spillover goes to on-demand ones). */
  idleEnvironment(): Environment | undefined {
    let env: Environment | undefined;
    for (const e of this.envs) {
      if (!e.idle()) continue;
      if (e.provisioned) return e;
      env ??= e;
    }
    return env;
  }
  /** An environment became free (initialised, or done with an invocation): it takes the oldest waiting one. */
  offer(e: Environment): void {
    if (!e.idle()) return;
    const next = this.waiting.shift();
    if (next) e.run(next);
    else if (this.retired) e.kill();
  }
  /** A starting environment went away (it could not start, or exited in its init): the oldest waiting invocation fails with it. */
  starterLost(e: Environment): void {
    const p = this.waiting.shift();
    if (p) {
      p.env = e;
      p.cold = true;
      p.done = true;
      if (e.startError !== undefined) p.reject(e.startError);
      else p.resolve(e.exitOutcome(p));
    }
    this.startMore();
  }
  /** Set by the executor: start environments for waiting invocations, as far as the machine's limit allows. */
  startMore: () => void = () => undefined;
  /** Every waiting invocation fails (the function was deleted, or Nimbus stops). */
  failWaiting(): void {
    for (const p of this.waiting.splice(0)) {
      p.done = true;
      p.reject(new ServiceError(LambdaErrors.ResourceNotFoundException, "The function was deleted or changed before an environment could take the invocation."));
    }
  }
  remove(e: Environment): void {
    this.envs.delete(e);
  }
}

export class Executor {
  private readonly pools = new Map<string, Pool>();
  private reaper?: NodeJS.Timeout;
  private offAdvance?: () => void;
  /** Provisioned concurrency owners -> the pool they hold environments in. */
  private readonly owners = new Map<string, string>();
  private readonly filling = new Map<Pool, Promise<string | undefined>>();
  private stopped = false;
  private readonly launcher = new Launcher(runtimeFile("environment-launcher.mjs"));

  constructor(
    readonly runtime: ServiceRuntime,
    readonly root: string,
  ) {
    this.reaper = setInterval(() => this.reap(), 30_000);
    this.reaper.unref();
    this.offAdvance = runtime.clock.onAdvance(() => this.reap());
  }

  /** Invocations in flight right now, per function (ConcurrentExecutions). */
  concurrency(scope: Scope, name: string): number {
    let n = 0;
    for (const pool of this.pools.values()) {
      if (pool.spec.scope.account === scope.account && pool.spec.scope.region === scope.region && pool.spec.config.FunctionName === name) n += pool.inFlight();
    }
    return n;
  }

  async invoke(spec: InvokeSpec): Promise<InvokeResult> {
    const cfg = spec.config;
    if (spec.reservedConcurrency !== undefined && this.concurrency(spec.scope, cfg.FunctionName!) >= spec.reservedConcurrency) {
      this.recordMetrics(spec, { Throttles: 1 });
      throw new ServiceError(LambdaErrors.TooManyRequestsException, "Rate Exceeded.", { Reason: "ReservedFunctionConcurrentInvocationLimitExceeded", Type: "User" });
    }
    const { key, pool } = this.poolFor(spec);
    const id = spec.requestId ?? randomUUID();
    const pending: Pending = { id, spec, resolve: () => undefined, reject: () => undefined, lines: [], startedMs: performance.now(), deadlineMs: 0, done: false };
    const lines = pending.lines;
    const result = await new Promise<Outcome>((resolve, reject) => {
      pending.resolve = resolve;
      pending.reject = reject;
      // An idle environment takes it (provisioned ones first); else it waits for the first one free,
      // and a new environment starts unless enough are starting already for everyone waiting.
      const idle = pool.idleEnvironment();
      if (idle) return idle.run(pending);
      pool.waiting.push(pending);
      this.startMore();
    });
    const env = pending.env!;
    const cold = pending.cold === true;
    const durationMs = performance.now() - pending.startedMs;
    // Output written just before the response may still be in the pipe: let it arrive.
    await new Promise((r) => setImmediate(r));
    const loose = env.current ? [] : env.looseLines.splice(0);
    const report = this.reportLines(id, spec, cold ? lines : [...lines, ...loose], durationMs, cold ? env.initDurationMs : undefined, pool.maxRssKb, cold ? loose : []);
    this.writeLogs(spec, env.logStream, report);
    this.recordMetrics(spec, { Invocations: 1, Errors: result.functionError ? 1 : 0, Duration: durationMs, ConcurrentExecutions: this.concurrency(spec.scope, cfg.FunctionName!) + 1 });
    return { ...result, requestId: id, log: report.join("\n") + "\n" };
  }

  /**
   * Start environments for invocations that wait for one (one each, less those already starting),
   * at most MAX_STARTING at a time on the whole machine: an invocation takes the first environment
   * free, so past that limit more processes would only slow down the ones starting and running.
   */
  private startMore(): void {
    if (this.stopped) return;
    let starting = 0;
    for (const pool of this.pools.values()) starting += pool.startingCount();
    for (const [key, pool] of this.pools) {
      let missing = pool.waiting.length - pool.startingCount();
      while (missing-- > 0 && starting < MAX_STARTING) {
        starting++;
        void this.startEnvironment(pool, key, false).catch(() => undefined);
      }
    }
  }

  /**
   * A new environment of the pool, its process started (it joins the pool's idle ones once its
   * init is done); killed (and the error thrown, and given to a waiting invocation) if it cannot start.
   */
  private async startEnvironment(pool: Pool, key: string, provisioned: boolean): Promise<Environment> {
    const env = new Environment(pool, key, provisioned);
    pool.envs.add(env);
    try {
      await env.start(this.root);
    } catch (e) {
      env.startError = e;
      env.kill();
      throw e;
    }
    return env;
  }

  private poolFor(spec: InvokeSpec): { key: string; pool: Pool } {
    const cfg = spec.config;
    const key = `${spec.scope.account}:${spec.scope.region}:${cfg.FunctionName}:${spec.version}:${cfg.RevisionId}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(this.runtime, spec, this.launcher);
      pool.startMore = () => this.startMore();
      this.pools.set(key, pool);
      this.retireOthers(spec, key);
    }
    pool.spec = { ...pool.spec, endpoint: spec.endpoint };
    return { key, pool };
  }

  /**
   * Keep `count` environments of this version started and initialised for `owner` (a provisioned
   * concurrency configuration), replacing what the owner held before. Resolves once they are all
   * ready, with the init failure's error type if one failed (its environment is gone).
   */
  async provision(owner: string, spec: InvokeSpec, count: number): Promise<{ failure?: string }> {
    if (this.stopped) return { failure: "Runtime.Stopped" };
    const { key, pool } = this.poolFor(spec);
    const before = this.owners.get(owner);
    if (before !== undefined && before !== key) this.release(owner);
    this.owners.set(owner, key);
    pool.provisionedOwners.set(owner, count);
    this.trim(pool);
    const failure = await this.fill(pool);
    return failure ? { failure } : {};
  }

  /** Drop an owner's provisioned environments (they become ordinary warm ones, reaped when idle). */
  release(owner: string): void {
    const key = this.owners.get(owner);
    if (key === undefined) return;
    this.owners.delete(owner);
    const pool = this.pools.get(key);
    if (!pool) return;
    pool.provisionedOwners.delete(owner);
    this.trim(pool);
  }

  /** Is this owner's configuration held by live environments (tests, status)? */
  provisionedReady(owner: string): number {
    const key = this.owners.get(owner);
    const pool = key === undefined ? undefined : this.pools.get(key);
    return pool ? Math.min(pool.provisionedCount(), pool.provisionedOwners.get(owner) ?? 0) : 0;
  }

  private trim(pool: Pool): void {
    let extra = pool.provisionedCount() - pool.provisionedTarget();
    for (const e of pool.envs) {
      if (extra <= 0) break;
      if (e.provisioned && !e.dead) {
        e.provisioned = false;
        e.lastUsedMs = this.runtime.clock.nowMs();
        extra--;
      }
    }
  }

  /** Start environments until the pool holds its provisioned target; one fill at a time per pool. */
  private fill(pool: Pool, key = this.keyOf(pool)): Promise<string | undefined> {
    const running = this.filling.get(pool);
    if (running) return running.then(() => (pool.provisionedCount() < pool.provisionedTarget() && !this.stopped ? this.fill(pool) : undefined));
    const work = (async () => {
      const missing = pool.provisionedTarget() - pool.provisionedCount();
      if (missing <= 0 || this.stopped) return undefined;
      const started = await Promise.all(
        Array.from({ length: missing }, async () => {
          let env: Environment;
          try {
            env = await this.startEnvironment(pool, key, true);
          } catch (e) {
            return `Runtime.Unknown: ${(e as Error).message}`;
          }
          // Init may take up to the function's timeout here (AWS allows provisioned init more than 10 s).
          let timer: NodeJS.Timeout | undefined;
          const inTime = await Promise.race([env.whenReady().then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.max(10, pool.spec.config.Timeout ?? 3) * 1000)))]);
          clearTimeout(timer);
          if (!inTime) {
            env.kill();
            return "Sandbox.Timedout";
          }
          env.lastUsedMs = this.runtime.clock.nowMs();
          const failure = env.initFailure();
          if (failure) env.kill();
          else if (this.stopped) env.kill();
          else if (!env.current || env.current.cold === false) {
            // Init happened ahead of any invocation: its first one reports no Init Duration, and
            // the init output goes to the logs now.
            env.served = true;
            if (env.looseLines.length) this.writeLogs(pool.spec, env.logStream, env.looseLines.splice(0));
          }
          return failure;
        }),
      );
      return started.find((f) => f !== undefined);
    })();
    this.filling.set(pool, work);
    work.finally(() => this.filling.delete(pool)).catch(() => undefined);
    return work;
  }

  private keyOf(pool: Pool): string {
    for (const [k, p] of this.pools) if (p === pool) return k;
    return "";
  }

  private reportLines(id: string, spec: InvokeSpec, lines: string[], durationMs: number, initMs: number | undefined, rssKb: number, initLines: string[]): string[] {
    const mem = spec.config.MemorySize ?? 128;
    const used = Math.min(mem, Math.max(1, Math.round(rssKb / 1024)));
    const d = durationMs.toFixed(2);
    const billed = Math.max(1, Math.ceil(durationMs));
    return [
      ...initLines,
      `START RequestId: ${id} Version: ${spec.version}`,
      ...lines,
      `END RequestId: ${id}`,
      `REPORT RequestId: ${id}\tDuration: ${d} ms\tBilled Duration: ${billed} ms\tMemory Size: ${mem} MB\tMax Memory Used: ${used} MB${initMs !== undefined ? `\tInit Duration: ${initMs.toFixed(2)} ms` : ""}\t`,
    ];
  }

  /**
   * Log lines are batched per stream and written shortly after (one CloudWatch Logs transaction
   * for many invocations), in order; `flushLogs` writes what is pending at once.
   */
  private writeLogs(spec: InvokeSpec, stream: string, lines: string[]): void {
    const group = logGroupOf(spec.config);
    const scope: Scope = { account: spec.scope.account, region: spec.scope.region, service: "logs" };
    const key = `${scope.account}:${scope.region}:${group}:${stream}`;
    const now = this.runtime.clock.nowMs();
    let batch = this.logBatches.get(key);
    if (!batch) {
      batch = { scope, group, stream, events: [] };
      this.logBatches.set(key, batch);
    }
    for (const message of lines) batch.events.push({ timestamp: now, message });
    if (!this.logTimer) {
      this.logTimer = setTimeout(() => void this.flushLogs(), LOG_FLUSH_MS);
      this.logTimer.unref();
    }
  }

  /**
   * AWS/Lambda metrics (Invocations, Errors, Duration, Throttles, ConcurrentExecutions) by
   * FunctionName, and by Resource for a qualified invocation, written to CloudWatch with the logs.
   */
  private recordMetrics(spec: InvokeSpec, values: Partial<Record<"Invocations" | "Errors" | "Duration" | "Throttles" | "ConcurrentExecutions", number>>): void {
    const name = spec.config.FunctionName!;
    const key = `${spec.scope.account}:${spec.scope.region}`;
    let batch = this.metricBatches.get(key);
    if (!batch) {
      batch = { scope: { account: spec.scope.account, region: spec.scope.region, service: "cloudwatch" }, points: [] };
      this.metricBatches.set(key, batch);
    }
    const timestamp = new Date(this.runtime.clock.nowMs()).toISOString();
    const qualifier = /:function:[^:]+:([^:]+)$/.exec(spec.invokedArn)?.[1];
    const dimensionSets = [[{ Name: "FunctionName", Value: name }], ...(qualifier ? [[{ Name: "FunctionName", Value: name }, { Name: "Resource", Value: `${name}:${qualifier}` }]] : [])];
    for (const [metric, value] of Object.entries(values)) {
      const unit = metric === "Duration" ? "Milliseconds" : "Count";
      for (const Dimensions of dimensionSets) batch.points.push({ metric: { Namespace: "AWS/Lambda", MetricName: metric, Dimensions }, point: { timestamp, unit, values: [value], storageResolution: 60 } });
    }
    if (!this.logTimer) {
      this.logTimer = setTimeout(() => void this.flushLogs(), LOG_FLUSH_MS);
      this.logTimer.unref();
    }
  }

  private readonly metricBatches = new Map<string, { scope: Scope; points: { metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] }; point: { timestamp: string; unit: string; values: number[]; storageResolution: number } }[] }>();

  private readonly logBatches = new Map<string, { scope: Scope; group: string; stream: string; events: { timestamp: number; message: string }[] }>();
  private logTimer?: NodeJS.Timeout;
  private logChain: Promise<void> = Promise.resolve();

  /** Write every pending log line (tests, shutdown); resolves once they have landed. */
  flushLogs(): Promise<void> {
    if (this.logTimer) clearTimeout(this.logTimer);
    this.logTimer = undefined;
    const batches = [...this.logBatches.values()];
    this.logBatches.clear();
    const metrics = [...this.metricBatches.values()];
    this.metricBatches.clear();
    this.logChain = this.logChain.then(async () => {
      for (const m of metrics) {
        await new MetricStore(this.runtime.storage.metadata, m.scope).putData(m.points).catch((e: unknown) => this.runtime.logger.warn(`lambda metrics: ${String(e)}`));
      }
      for (const b of batches) {
        // PutLogEvents' batch limits apply: 10,000 events per write.
        for (let i = 0; i < b.events.length; i += 10_000) {
          const now = this.runtime.clock.nowMs();
          await appendLogEvents(this.runtime.storage.metadata, b.scope, b.group, b.stream, b.events.slice(i, i + 10_000), now, { createMissing: true, bus: this.runtime.bus }).catch((e: unknown) =>
            this.runtime.logger.warn(`lambda logs: ${String(e)}`),
          );
        }
      }
    });
    return this.logChain;
  }

  /** A new configuration or code retires the environments of the old one once they are idle. */
  private retireOthers(spec: InvokeSpec, keep: string): void {
    const prefix = `${spec.scope.account}:${spec.scope.region}:${spec.config.FunctionName}:${spec.version}:`;
    for (const [key, pool] of this.pools) {
      if (key !== keep && key.startsWith(prefix)) {
        pool.retired = true;
        for (const e of pool.envs) if (e.idle()) e.kill();
        if (pool.envs.size === 0) this.pools.delete(key);
      }
    }
  }

  /** Kill every environment of a function (deleted), or of one of its versions (changed or deleted). */
  retireFunction(scope: Scope, name: string, version?: string): void {
    const prefix = `${scope.account}:${scope.region}:${name}:${version !== undefined ? `${version}:` : ""}`;
    for (const [key, pool] of this.pools) {
      if (!key.startsWith(prefix)) continue;
      for (const e of pool.envs) e.kill();
      pool.failWaiting();
      this.pools.delete(key);
      for (const [owner, k] of this.owners) if (k === key) this.owners.delete(owner);
    }
  }

  reap(): void {
    const now = this.runtime.clock.nowMs();
    for (const [key, pool] of this.pools) {
      for (const e of pool.envs) if (e.idle() && !e.provisioned && now - e.lastUsedMs > IDLE_MS) e.kill();
      // A provisioned environment that died (timeout, memory) is replaced, as AWS keeps the count.
      if (pool.provisionedCount() < pool.provisionedTarget() && !this.stopped) void this.fill(pool);
      else if (pool.envs.size === 0) this.pools.delete(key);
    }
  }

  environmentCount(): number {
    let n = 0;
    for (const p of this.pools.values()) n += p.envs.size;
    return n;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reaper) clearInterval(this.reaper);
    this.offAdvance?.();
    for (const pool of this.pools.values()) for (const e of pool.envs) e.kill();
    await Promise.allSettled([...this.filling.values()]);
    for (const pool of this.pools.values()) {
      for (const e of pool.envs) e.kill();
      pool.failWaiting();
    }
    this.pools.clear();
    this.launcher.stop();
    await this.flushLogs();
    await rm(this.root, { recursive: true, force: true }).catch(() => undefined);
  }
}
