/**
 * How the blob stores read stream sources: chunk by chunk (readChunks), a stream handed from the
 * tiered store to the file store after its head was read, sources that fail or are cut off before
 * or after that hand-over, and puts long enough to start background fdatasyncs.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { readChunks } from "../src/storage/file-blob-store.js";
import { TieredBlobStore } from "../src/storage/tiered-blob-store.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function openTiered(): Promise<{ store: TieredBlobStore; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "nimbus-blob-streams-"));
  dirs.push(dir);
  const store = await TieredBlobStore.open(join(dir, "blobs"), { sqlitePath: join(dir, "small.sqlite"), durability: "full", inlineLimit: 1024 });
  return { store, dir };
}

const read = async (s: Readable) => {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
};

describe("readChunks", () => {
  it("passes chunks one at a time as pushed, waiting on the sink's promises", async () => {
    const src = new PassThrough();
    const seen: number[] = [];
    const done = readChunks(src, (c) => {
      seen.push(c.length);
      return c.length === 3 ? new Promise<void>((r) => setTimeout(r, 5)) : undefined;
    });
    src.write(Buffer.alloc(3));
    src.write(Buffer.alloc(5));
    src.end(Buffer.alloc(7));
    expect(await done).toBe(true);
    expect(seen).toEqual([3, 5, 7]);
  });

  it("stops on request and leaves the rest for the next reader", async () => {
    const src = Readable.from([Buffer.from("ab"), Buffer.from("cd"), Buffer.from("ef")], { objectMode: false });
    const first: string[] = [];
    expect(await readChunks(src, (c) => (first.push(c.toString()), first.length === 2 ? "stop" : undefined))).toBe(false);
    const rest: string[] = [];
    expect(await readChunks(src, (c) => void rest.push(c.toString()))).toBe(true);
    expect([...first, ...rest].join("")).toBe("abcdef");
  });

  it("rejects with the source's error, also when it failed between two readers", async () => {
    const src = new PassThrough();
    src.write(Buffer.from("head"));
    expect(await readChunks(src, () => "stop")).toBe(false);
    src.on("error", () => undefined); // as the blob stores' callers do
    src.destroy(new Error("boom"));
    await new Promise((r) => setImmediate(r));
    await expect(readChunks(src, () => undefined)).rejects.toThrow("boom");
    const cut = new PassThrough();
    const reading = readChunks(cut, () => undefined);
    cut.write(Buffer.from("x"));
    cut.destroy();
    await expect(reading).rejects.toMatchObject({ code: "ERR_STREAM_PREMATURE_CLOSE" });
  });
});

describe("stream puts", () => {
  it("stores a stream past the inline limit as a file, head and rest in order, and reads it back", async () => {
    const { store } = await openTiered();
    const data = Buffer.alloc(40 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4096) data.writeUInt32BE(i, i);
    const pieces: Buffer[] = [];
    for (let off = 0; off < data.length; off += 65_000) pieces.push(data.subarray(off, off + 65_000));
    const info = await store.put(Readable.from(pieces, { objectMode: false }));
    expect(info.id).toMatch(/^[0-9a-f]{32}$/); // a file, not a row
    expect(info.size).toBe(data.length);
    expect(info.md5).toBe(createHash("md5").update(data).digest("hex"));
    expect((await read(store.get(info.id))).equals(data)).toBe(true);
    await store.close();
  });

  it("keeps nothing when the source fails after the hand-over to the file store", async () => {
    const { store, dir } = await openTiered();
    const src = new PassThrough();
    const put = store.put(src);
    src.write(Buffer.alloc(4096, 1));
    src.write(Buffer.alloc(4096, 2));
    setTimeout(() => src.destroy(new Error("client went away")), 20);
    await expect(put).rejects.toThrow("client went away");
    expect(await readdir(join(dir, "blobs", "tmp"))).toEqual([]);
    await store.close();
  });

  it("keeps nothing when the source failed before the file store read on", async () => {
    const { store, dir } = await openTiered();
    const src = new PassThrough();
    src.write(Buffer.alloc(2048, 1));
    src.on("error", () => undefined); // as the blob stores' callers do
    src.destroy(new Error("early"));
    await expect(store.put(src)).rejects.toThrow();
    expect(await readdir(join(dir, "blobs", "tmp"))).toEqual([]);
    await store.close();
  });
});
