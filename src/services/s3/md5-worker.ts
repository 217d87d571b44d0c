/**
 * MD5 off the main thread, for the ETag of large uploads. MD5 runs at about 600 MB/s on one core
 * and cannot be split; computed on the request thread it caps a PUT stream below what encryption
 * and the disk sustain. Here the bytes are gathered in 1 MiB batches that are transferred (not
 * cloned) to a worker, which hashes them while the main thread encrypts and writes, and transfers
 * each batch buffer back for reuse. A caller that copies the bytes anyway (the encryption stream
 * gathers them into whole chunks) fills a batch itself (`batch()` / `submit()`), so the bytes are
 * copied once, not twice. A job never has more than
 * `MAX_OUTSTANDING` bytes waiting in the worker: `room()` makes the upload wait for the worker,
 * so memory stays flat whatever the object's size. Small bodies are hashed inline (cheaper than
 * the messages).
 */
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";

const BATCH = 1024 * 1024;
/** The size of the buffers `batch()` hands out. */
export const BATCH_BYTES = BATCH;
const MAX_OUTSTANDING = 8 * 1024 * 1024;

const SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const jobs = new Map();
parentPort.on("message", (m) => {
  if (m.t === "u") {
    let h = jobs.get(m.id);
    if (!h) jobs.set(m.id, (h = createHash("md5")));
    h.update(new Uint8Array(m.b, 0, m.n));
    parentPort.postMessage({ t: "a", id: m.id, n: m.n, b: m.b }, [m.b]);
  } else if (m.t === "d") {
    const h = jobs.get(m.id) || createHash("md5");
    jobs.delete(m.id);
    parentPort.postMessage({ t: "d", id: m.id, hex: h.digest("hex") });
  } else if (m.t === "x") {
    jobs.delete(m.id);
  }
});
`;

interface Slot {
  worker: Worker;
  jobs: Map<number, Md5Job>;
}

let pool: Slot[] | undefined;
let next = 0;
let ids = 0;

function slots(): Slot[] {
  if (pool) return pool;
  const size = Math.max(1, Math.min(2, availableParallelism() - 1));
  pool = [];
  for (let i = 0; i < size; i++) {
    const worker = new Worker(SOURCE, { eval: true });
    worker.unref();
    const slot: Slot = { worker, jobs: new Map() };
    worker.on("message", (m: { t: string; id: number; n?: number; hex?: string; b?: ArrayBuffer }) => {
      const job = slot.jobs.get(m.id);
      if (!job) return;
      if (m.t === "a") job.acked(m.n!, m.b!);
      else if (m.t === "d") {
        slot.jobs.delete(m.id);
        job.done(m.hex!);
      }
    });
    const fail = (e: unknown) => {
      for (const job of slot.jobs.values()) job.failed(e instanceof Error ? e : new Error(String(e)));
      slot.jobs.clear();
      pool = pool?.filter((s) => s !== slot);
      if (pool?.length === 0) pool = undefined;
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`md5 worker exited (${code})`)));
    pool.push(slot);
  }
  return pool;
}

/** One stream's MD5, computed by a worker. */
export class Md5Job {
  private readonly id = ++ids;
  private readonly slot: Slot;
  /** `update`'s batch being filled (made on first use: callers of `batch()` never need one). */
  private staging: Buffer | undefined;
  /** Batch buffers the worker handed back, reused so memory stays at a few batches. */
  private readonly free: ArrayBuffer[] = [];
  private filled = 0;
  private outstanding = 0;
  private waiting: (() => void) | undefined;
  private result: { resolve: (hex: string) => void; reject: (e: Error) => void } | undefined;
  private error: Error | undefined;

  constructor() {
    const all = slots();
    this.slot = all[next++ % all.length]!;
    this.slot.jobs.set(this.id, this);
  }

  update(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) {
      this.staging ??= this.batch();
      const n = Math.min(BATCH - this.filled, buf.length - off);
      buf.copy(this.staging, this.filled, off, off + n);
      this.filled += n;
      off += n;
      if (this.filled === BATCH) this.post();
    }
  }

  private post(): void {
    if (this.filled === 0 || !this.staging) return;
    this.send(this.staging, this.filled);
    this.staging = undefined;
    this.filled = 0;
  }

  private send(buf: Buffer, n: number): void {
    const ab = buf.buffer as ArrayBuffer;
    this.slot.worker.postMessage({ t: "u", id: this.id, b: ab, n }, [ab]);
    this.outstanding += n;
  }

  /**
   * An empty batch buffer (`BATCH_BYTES` long, owning its memory) for the caller to fill and hand
   * over with `submit`. Not to be mixed with `update` in one job (the order of the bytes).
   */
  batch(): Buffer {
    const reuse = this.free.pop();
    return reuse ? Buffer.from(reuse) : Buffer.allocUnsafeSlow(BATCH);
  }

  /** Hands over the first `n` bytes of a buffer from `batch()`; the caller must not touch it again. */
  submit(buf: Buffer, n: number): void {
    if (n > 0) this.send(buf, n);
  }

  /** Resolves once the worker has caught up enough (undefined: go on now). */
  room(): Promise<void> | undefined {
    if (this.error) return Promise.reject(this.error);
    if (this.outstanding <= MAX_OUTSTANDING) return undefined;
    return new Promise<void>((resolve) => (this.waiting = resolve));
  }

  digest(): Promise<string> {
    if (this.error) return Promise.reject(this.error);
    this.post();
    return new Promise<string>((resolve, reject) => {
      this.result = { resolve, reject };
      this.slot.worker.postMessage({ t: "d", id: this.id });
    });
  }

  /** Forget the job (the upload failed). */
  abort(): void {
    if (!this.slot.jobs.delete(this.id)) return;
    this.slot.worker.postMessage({ t: "x", id: this.id });
  }

  acked(n: number, b: ArrayBuffer): void {
    this.outstanding -= n;
    if (b.byteLength === BATCH && this.free.length < 4) this.free.push(b);
    if (this.waiting && this.outstanding <= MAX_OUTSTANDING / 2) {
      const w = this.waiting;
      this.waiting = undefined;
      w();
    }
  }

  done(hex: string): void {
    this.result?.resolve(hex);
  }

  failed(e: Error): void {
    this.error = e;
    this.result?.reject(e);
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }
}
