/**
 * Response streaming: the pieces between an environment's streamed response (environments.ts)
 * and the two ways out of Nimbus — InvokeWithResponseStream's event stream (PayloadChunk events,
 * then InvokeComplete) and RESPONSE_STREAM function URLs (the prelude's status and headers, then
 * the body as it is produced).
 */
import type { InvokeResult, ResponseStreamSink } from "./environments.js";

/** The Content-Type of a response that opens with an HTTP prelude (awslambda.HttpResponseStream). */
export const HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response";
/** Eight NUL bytes end the prelude. */
const DELIMITER = Buffer.alloc(8);

/** Chunks handed from the environment to a response: pushed as they arrive, read in order. */
export class ChunkQueue implements AsyncIterable<Buffer> {
  private readonly items: Buffer[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;

  push(chunk: Buffer): void {
    if (this.ended || chunk.length === 0) return;
    this.items.push(chunk);
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  fail(error: unknown): void {
    this.failure = { error };
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.items.length) {
        yield this.items.shift()!;
        continue;
      }
      if (this.failure) throw this.failure.error;
      if (this.ended) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}

/** The error type and details an InvokeComplete event reports for a failed invocation. */
export function completionError(result: InvokeResult): { ErrorCode: string; ErrorDetails: string } | undefined {
  if (!result.functionError) return undefined;
  const text = result.payload.toString("utf8");
  let code = result.errorType;
  if (!code) {
    try {
      const doc = JSON.parse(text) as { errorType?: unknown };
      if (typeof doc?.errorType === "string") code = doc.errorType;
    } catch {
      // Not JSON: the code stays the function error's kind.
    }
  }
  return { ErrorCode: code ?? result.functionError, ErrorDetails: text };
}

/**
 * InvokeWithResponseStream's events: a PayloadChunk per chunk the function streams (a buffered
 * function's whole response as one), then InvokeComplete with the error, if any, and the log tail.
 */
export async function* invokeEvents(queue: ChunkQueue, done: Promise<InvokeResult>, tail: boolean): AsyncGenerator<Record<string, unknown>> {
  for await (const chunk of queue) yield { PayloadChunk: { Payload: chunk } };
  const result = await done;
  const error = completionError(result);
  if (!result.streamed && !error && result.payload.length) yield { PayloadChunk: { Payload: result.payload } };
  const logResult = tail ? logTail(result.log) : undefined;
  yield { InvokeComplete: { ...(error ?? {}), ...(logResult !== undefined ? { LogResult: logResult } : {}) } };
}

/** LogType Tail's LogResult: the last 4 KB of the invocation's log, base64. */
export function logTail(log: string): string {
  return Buffer.from(log, "utf8").subarray(-4096).toString("base64");
}

/** A sink feeding a queue, telling when the invocation got its environment. */
export function queueSink(queue: ChunkQueue, onDispatch: () => void): ResponseStreamSink {
  return { dispatched: onDispatch, chunk: (b) => queue.push(b) };
}

export interface HttpPrelude {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
}

function preludeOf(json: Buffer): HttpPrelude {
  let raw: { statusCode?: unknown; headers?: unknown; cookies?: unknown } = {};
  try {
    raw = JSON.parse(json.toString("utf8") || "{}") as typeof raw;
  } catch {
    // A prelude that is not JSON is treated as an empty one.
  }
  const headers: Record<string, string> = {};
  if (raw.headers && typeof raw.headers === "object") for (const [k, v] of Object.entries(raw.headers)) headers[k.toLowerCase()] = String(v);
  const status = Number(raw.statusCode ?? 200);
  return {
    statusCode: Number.isInteger(status) && status >= 100 && status <= 599 ? status : 200,
    headers,
    cookies: Array.isArray(raw.cookies) ? raw.cookies.map(String) : [],
  };
}

/** Split a whole (buffered) http-integration response into its prelude and body. */
export function splitPrelude(payload: Buffer): { prelude: HttpPrelude; body: Buffer } {
  const at = payload.indexOf(DELIMITER);
  if (at < 0) return { prelude: preludeOf(payload), body: Buffer.alloc(0) };
  return { prelude: preludeOf(payload.subarray(0, at)), body: payload.subarray(at + DELIMITER.length) };
}

/**
 * A sink for a RESPONSE_STREAM function URL: once the response's head is known (the prelude read,
 * or a plain streamed Content-Type) `head` resolves and the body's chunks follow through `body`.
 */
export class UrlStreamSink implements ResponseStreamSink {
  readonly body = new ChunkQueue();
  private pending: Buffer[] = [];
  private pendingSize = 0;
  private inPrelude = false;
  private resolveHead!: (h: HttpPrelude) => void;
  readonly head = new Promise<HttpPrelude>((r) => (this.resolveHead = r));
  headKnown = false;

  started(contentType: string): void {
    if (contentType.split(";")[0]!.trim().toLowerCase() === HTTP_INTEGRATION) this.inPrelude = true;
    else this.announce({ statusCode: 200, headers: { "content-type": contentType }, cookies: [] });
  }

  chunk(bytes: Buffer): void {
    if (!this.inPrelude) return this.body.push(bytes);
    this.pending.push(bytes);
    this.pendingSize += bytes.length;
    const all = Buffer.concat(this.pending, this.pendingSize);
    const at = all.indexOf(DELIMITER);
    if (at < 0) {
      this.pending = [all];
      return;
    }
    this.inPrelude = false;
    this.pending = [];
    this.announce(preludeOf(all.subarray(0, at)));
    this.body.push(all.subarray(at + DELIMITER.length));
  }

  private announce(head: HttpPrelude): void {
    this.headKnown = true;
    this.resolveHead(head);
  }

  /** The invocation ended: a prelude never closed by its delimiter is taken whole. */
  finish(): void {
    if (this.inPrelude) {
      this.inPrelude = false;
      this.announce(preludeOf(Buffer.concat(this.pending)));
    }
    this.body.end();
  }
}
