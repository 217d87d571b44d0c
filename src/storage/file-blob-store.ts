/**
 * The default `BlobStore`: one file per blob under `<dir>/<aa>/<id>`, where `id` is 128 random
 * bits in hex and `aa` its first two characters (256 shard directories keep any one directory
 * small). Ids never come from user input, and every id handed back in is checked against the
 * exact shape, so nothing a client sends (an S3 key like `../../etc/passwd`) can reach a path.
 *
 * A put streams into `<dir>/tmp/<id>` while computing MD5 and SHA-256, fsyncs the file, renames
 * it into its shard and fsyncs the shard directory, and only then resolves: a blob is either
 * absent or complete, never half-written, even after kill -9 or power loss. Leftover temporary
 * files (from a crash mid-put) are deleted when the store opens. Deletes are not fsynced: after a
 * crash a deleted blob may reappear as an unreferenced orphan, which wastes space but is harmless.
 *
 * A large put also starts an fdatasync of what it has written every `SYNC_EVERY_BYTES` (one at a
 * time, on the thread pool, not waited for while the body streams): the disk writes the file out
 * while the rest arrives, so the final fsync only has the tail left, instead of the whole file
 * (about 0.5 s for 1 GiB here) after the last byte. That final fsync is what makes the blob
 * durable, as before.
 *
 * With durability "normal" the fsyncs are skipped: the rename still makes a blob appear whole
 * after a process crash (the page cache survives), but not necessarily after power loss.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import type { BlobInfo, BlobStore, PutOptions } from "./types.js";
import type { Durability } from "./sqlite-metadata-store.js";

export interface FileBlobStoreOptions {
  /** Default "full". See the file comment. */
  durability?: Durability;
}

const ID_SHAPE = /^[0-9a-f]{32}$/;
/** Small chunks (HTTP bodies arrive in ~16 KiB pieces) are gathered into writes of this size. */
const WRITE_BATCH_BYTES = 1 << 20;
/**
 * Reads go in pieces of this size (the default is 64 KiB): a 1 GiB read is 1,024 system calls and
 * buffers instead of 16,384, which matters as much for the garbage collector as for the calls.
 */
const READ_BYTES = 1 << 20;
/** A put starts a background fdatasync each time this many more bytes have been written. */
const SYNC_EVERY_BYTES = 16 << 20;

/** A blob source's chunk (or a whole source given as bytes or text) as a Buffer, without copying bytes. */
export function toBuffer(chunk: unknown): Buffer {
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError("blob source produced a chunk that is neither bytes nor a string");
}

/**
 * Feeds `source`'s chunks to `sink` one at a time, as they were pushed. (A stream's async iterator
 * calls read(), which concatenates whatever is buffered into one new Buffer: a copy of every byte
 * of a large upload.) A promise from `sink` pauses the source until it settles; "stop" ends the
 * reading there and leaves the source paused, its remaining chunks buffered, for another reader.
 * Resolves true when the source ended, false when stopped; rejects with the source's error, or
 * ERR_STREAM_PREMATURE_CLOSE when it was destroyed before its end.
 */
export function readChunks(source: Readable, sink: (chunk: Buffer) => Promise<void> | "stop" | undefined): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    let settled = false;
    let ended = false;
    let waiting: Promise<void> | undefined;
    const cleanup = () => {
      source.off("data", onData);
      source.off("end", onEnd);
      source.off("error", onError);
      source.off("close", onClose);
    };
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(err);
    };
    const finish = (value: boolean) => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(value);
    };
    const onData = (chunk: unknown) => {
      if (settled) return;
      let result: Promise<void> | "stop" | undefined;
      try {
        result = sink(toBuffer(chunk));
      } catch (err) {
        fail(err);
        return;
      }
      if (result === "stop") {
        source.pause();
        finish(false);
      } else if (result) {
        source.pause();
        const current = result;
        waiting = current;
        current.then(() => {
          if (waiting === current) waiting = undefined;
          if (settled) return;
          if (ended) finish(true);
          else source.resume();
        }, fail);
      }
    };
    // 'end' may come while the last chunk's promise is pending: the reading ends when it settles.
    const onEnd = () => {
      ended = true;
      if (!waiting) finish(true);
    };
    const onError = (err: unknown) => fail(err);
    const onClose = () => {
      if (ended || settled) return;
      const err: NodeJS.ErrnoException = new Error("Premature close");
      err.code = "ERR_STREAM_PREMATURE_CLOSE";
      fail(err);
    };
    // A source handed over by an earlier reader (stopped, then paused) may have failed or ended
    // since: its events are gone, so its state is read instead.
    if (source.errored) {
      reject(source.errored);
      return;
    }
    if (source.readableEnded) {
      resolve(true);
      return;
    }
    if (source.destroyed) {
      onClose();
      return;
    }
    source.on("data", onData);
    source.once("end", onEnd);
    source.once("error", onError);
    source.once("close", onClose);
    source.resume();
  });
}

function noSuchBlob(id: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`no such blob: ${id}`);
  err.code = "ENOENT";
  return err;
}

/** Write every byte of `bufs`, looping over short writes. */
async function writeAll(fh: FileHandle, bufs: Buffer[]): Promise<void> {
  let rest = bufs;
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest);
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const b of rest) {
      if (skip >= b.length) skip -= b.length;
      else {
        next.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    rest = next;
  }
}

export class FileBlobStore implements BlobStore {
  private readonly tmpDir: string;
  private readonly sync: boolean;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  private constructor(readonly dir: string, options: FileBlobStoreOptions) {
    this.tmpDir = join(dir, "tmp");
    this.sync = (options.durability ?? "full") === "full";
  }

  /** Opens the store at `dir`, creating its layout and discarding leftovers of interrupted puts. */
  static async open(dir: string, options: FileBlobStoreOptions = {}): Promise<FileBlobStore> {
    const store = new FileBlobStore(dir, options);
    await store.init();
    return store;
  }

  private async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir);
    // All 256 shard directories exist up front, so a put never has to create (and fsync) one.
    const shards: Promise<unknown>[] = [];
    for (let i = 0; i < 256; i++) shards.push(mkdir(this.shardDir(i.toString(16).padStart(2, "0")), { recursive: true }));
    await Promise.all(shards);
    // Make the layout itself durable, including this directory's entry in its parent.
    await this.syncDir(this.dir);
    await this.syncDir(dirname(this.dir));
  }

  private shardDir(shard: string): string {
    return join(this.dir, shard);
  }

  /** The file of a well-formed id, or undefined for anything else (which therefore cannot exist). */
  private pathOf(id: string): string | undefined {
    return typeof id === "string" && ID_SHAPE.test(id) ? join(this.dir, id.slice(0, 2), id) : undefined;
  }

  private async syncDir(dir: string): Promise<void> {
    if (!this.sync || process.platform === "win32") return; // Windows cannot open a directory
    const fh = await open(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  put(source: Readable | Buffer | Uint8Array | string, options?: PutOptions): Promise<BlobInfo> {
    return this.putAfter([], source, options);
  }

  /**
   * A put of `head` followed by `source`: the chunks a caller read from a stream before deciding
   * to store it here (tiered-blob-store.ts), then the rest of that stream, read by this store.
   */
  putAfter(head: Buffer[], source: Readable | Buffer | Uint8Array | string, options?: PutOptions): Promise<BlobInfo> {
    if (this.closed) return Promise.reject(new Error("blob store is closed"));
    const p = this.doPut(head, source, options?.digests !== false);
    this.inFlight.add(p);
    const forget = () => this.inFlight.delete(p);
    p.then(forget, forget);
    return p;
  }

  private async doPut(head: Buffer[], source: Readable | Buffer | Uint8Array | string, digests: boolean): Promise<BlobInfo> {
    const id = randomBytes(16).toString("hex");
    const tmp = join(this.tmpDir, id);
    const md5 = digests ? createHash("md5") : undefined;
    const sha256 = digests ? createHash("sha256") : undefined;
    let size = 0;
    let fh: FileHandle | undefined;
    /** The background fdatasync running, if any (see the file comment), and its failure. */
    let syncing: Promise<void> | undefined;
    let syncError: unknown;
    let sinceSync = 0;
    try {
      const file = (fh = await open(tmp, "wx"));
      let batch: Buffer[] = [];
      let batchBytes = 0;
      const write = async () => {
        const bufs = batch;
        const n = batchBytes;
        batch = [];
        batchBytes = 0;
        await writeAll(file, bufs);
        sinceSync += n;
        if (this.sync && sinceSync >= SYNC_EVERY_BYTES && !syncing) {
          sinceSync = 0;
          syncing = file.datasync().then(
            () => void (syncing = undefined),
            (e: unknown) => {
              syncError ??= e;
              syncing = undefined;
            },
          );
        }
      };
      const add = (buf: Buffer): Promise<void> | undefined => {
        if (buf.length === 0) return undefined;
        md5?.update(buf);
        sha256?.update(buf);
        size += buf.length;
        batch.push(buf);
        batchBytes += buf.length;
        return batchBytes >= WRITE_BATCH_BYTES ? write() : undefined;
      };
      for (const buf of head) await add(buf);
      if (source instanceof Readable) await readChunks(source, add);
      else await add(toBuffer(source));
      await write();
      await syncing;
      if (syncError !== undefined) throw syncError;
      if (this.sync) await file.sync();
      fh = undefined;
      await file.close();
      await rename(tmp, this.pathOf(id)!);
    } catch (err) {
      await syncing;
      await fh?.close().catch(() => {});
      await unlink(tmp).catch(() => {});
      // Whatever failed, a stream source must not be left paused mid-body (an HTTP upload would hang).
      if (source instanceof Readable && !source.destroyed) source.destroy();
      throw err;
    }
    await this.syncDir(this.shardDir(id.slice(0, 2)));
    return { id, size, md5: md5?.digest("hex") ?? "", sha256: sha256?.digest("hex") ?? "" };
  }

  get(id: string, range?: { start: number; end: number }): Readable {
    if (range !== undefined) {
      const { start, end } = range;
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
        throw new RangeError(`invalid byte range ${String(start)}-${String(end)}`);
      }
    }
    const path = this.pathOf(id);
    if (!path) {
      // Same observable behaviour as a missing file: the stream errors with code ENOENT.
      const stream = new Readable({ read() {} });
      process.nextTick(() => stream.destroy(noSuchBlob(id)));
      return stream;
    }
    return createReadStream(path, range ? { start: range.start, end: range.end, highWaterMark: READ_BYTES } : { highWaterMark: READ_BYTES });
  }

  async size(id: string): Promise<number | undefined> {
    const path = this.pathOf(id);
    if (!path) return undefined;
    try {
      return (await stat(path)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async delete(id: string): Promise<void> {
    const path = this.pathOf(id);
    if (!path) return;
    try {
      await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }

  /** Deletes every blob. Puts still running when this is called may fail. */
  async reset(): Promise<void> {
    const shards = (await readdir(this.dir)).filter((name) => name !== "tmp");
    await Promise.all(shards.map((name) => rm(join(this.dir, name), { recursive: true, force: true })));
    await this.init();
  }

  /** Waits for running puts to settle; later puts are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }
}
