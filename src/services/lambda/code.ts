/**
 * Deployment packages: checking a zip as Lambda does (readable, within the unzipped size limit)
 * and extracting it once per code hash into a directory environments run in. Extraction uses
 * `yauzl` (a well-kept streaming unzip that validates entry names and sizes) and refuses
 * entries that would land outside the target directory (zip slip); Unix modes in the zip are
 * kept, so a custom runtime's `bootstrap` stays executable.
 */
import { chmod, mkdir, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import type { Entry, ZipFile } from "yauzl";
import type { BlobStore } from "../../storage/types.js";

export const ZIPPED_LIMIT = 52_428_800;
export const UNZIPPED_LIMIT = 262_144_000;

export interface ZipEntryInfo {
  name: string;
  size: number;
  mode: number;
  directory: boolean;
}

async function openZip(buffer: Buffer): Promise<ZipFile> {
  // Loaded on first use, like the other libraries only some requests need.
  const { default: yauzl } = await import("yauzl");
  return new Promise((ok, fail) => yauzl.fromBuffer(buffer, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true }, (e, z) => (e ? fail(e) : ok(z))));
}

/** Walk the entries; `each` may read the entry's bytes through the returned zip. */
async function walk(buffer: Buffer, each: (zip: ZipFile, entry: Entry) => Promise<void>): Promise<void> {
  const zip = await openZip(buffer);
  await new Promise<void>((ok, fail) => {
    zip.on("entry", (entry: Entry) => {
      each(zip, entry).then(() => zip.readEntry(), (e: unknown) => {
        zip.close();
        fail(e instanceof Error ? e : new Error(String(e)));
      });
    });
    zip.on("end", () => ok());
    zip.on("error", fail);
    zip.readEntry();
  });
}

/** The entries of a zip; throws when it is not a readable zip. */
export async function listZip(buffer: Buffer): Promise<ZipEntryInfo[]> {
  const out: ZipEntryInfo[] = [];
  await walk(buffer, async (_zip, e) => {
    out.push({ name: e.fileName, size: e.uncompressedSize, mode: (e.externalFileAttributes >>> 16) & 0o777, directory: e.fileName.endsWith("/") });
  });
  return out;
}

function readBlob(blobs: BlobStore, id: string): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    const s = blobs.get(id);
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("end", () => ok(Buffer.concat(chunks)));
    s.on("error", fail);
  });
}

export { readBlob };

const extracting = new Map<string, Promise<string>>();

/**
 * The directory holding the package with this hash, extracted under `root` on first use (into a
 * temporary directory renamed into place, so a half-extracted package is never used).
 */
export function extractedCode(root: string, blobs: BlobStore, blob: string, sha256Hex: string): Promise<string> {
  return extractOnce(join(root, "code", sha256Hex.replace(/[^0-9a-f]/gi, "")), [blob], blobs);
}

/**
 * The directory that stands for a function's /opt: its layers extracted in order into one tree
 * (a later layer's file replaces an earlier one's, as on AWS), once per list of layer hashes.
 */
export function extractedLayers(root: string, blobs: BlobStore, layers: { blob: string; sha256Hex: string }[]): Promise<string> {
  const id = createHash("sha256").update(layers.map((l) => l.sha256Hex).join(",")).digest("hex");
  return extractOnce(join(root, "opt", id), layers.map((l) => l.blob), blobs);
}

function extractOnce(dir: string, sources: string[], blobs: BlobStore): Promise<string> {
  const pending = extracting.get(dir);
  if (pending) return pending;
  const work = (async () => {
    if (await stat(dir).then(() => true, () => false)) return dir;
    const tmp = `${dir}.${randomBytes(6).toString("hex")}.tmp`;
    await mkdir(tmp, { recursive: true });
    try {
      for (const blob of sources) await extractZip(await readBlob(blobs, blob), tmp);
      await rename(tmp, dir);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      if (await stat(dir).then(() => true, () => false)) return dir;
      throw e;
    }
    return dir;
  })();
  extracting.set(dir, work);
  work.finally(() => extracting.delete(dir)).catch(() => undefined);
  return work;
}

/** Extract every entry under `target`; an entry naming a path outside it is refused. */
export async function extractZip(buffer: Buffer, target: string): Promise<void> {
  const root = resolve(target);
  await walk(buffer, async (zip, entry) => {
    const dest = resolve(root, entry.fileName);
    if (dest !== root && !dest.startsWith(root + sep)) throw new Error(`zip entry outside the package: ${entry.fileName}`);
    if (entry.fileName.endsWith("/")) {
      await mkdir(dest, { recursive: true });
      return;
    }
    await mkdir(resolve(dest, ".."), { recursive: true });
    const data = await new Promise<Buffer>((ok, fail) =>
      zip.openReadStream(entry, (e, s) => {
        if (e) return fail(e);
        const chunks: Buffer[] = [];
        s.on("data", (c: Buffer) => chunks.push(c));
        s.on("end", () => ok(Buffer.concat(chunks)));
        s.on("error", fail);
      }),
    );
    // A file an earlier layer left (perhaps read-only) is replaced, not written through.
    await unlink(dest).catch(() => undefined);
    await writeFile(dest, data);
    const mode = (entry.externalFileAttributes >>> 16) & 0o777;
    // Zips made on Windows carry no Unix mode: readable and, as AWS treats them, executable.
    await chmod(dest, mode ? mode | 0o444 : 0o755);
  });
}
