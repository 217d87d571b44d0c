/**
 * Opens the default storage of a data directory: SQLite metadata in `<dataDir>/metadata.sqlite`,
 * blobs up to 64 KiB in `<dataDir>/small-blobs.sqlite` and larger ones as files under
 * `<dataDir>/blobs/` (tiered-blob-store.ts). Callers get the backend-neutral interfaces only, so
 * another backend (PostgreSQL metadata, say) can be chosen here without touching any service.
 * The directory is locked while the storage is open (data-dir-lock.ts): a second Nimbus on the
 * same directory is refused with DataDirInUseError.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { lockDataDir } from "./data-dir-lock.js";
import { TieredBlobStore } from "./tiered-blob-store.js";
import { SqliteMetadataStore, type Durability } from "./sqlite-metadata-store.js";
import type { BlobStore, MetadataStore } from "./types.js";

export type * from "./types.js";
export type { Durability } from "./sqlite-metadata-store.js";
export { DataDirInUseError } from "./data-dir-lock.js";

export interface StorageOptions {
  dataDir: string;
  /**
   * "full" (default): an acknowledged write survives kill -9 and power loss (fsync on every
   * commit and blob). "normal": it survives a process crash; the last writes may be lost on power
   * loss, in exchange for no fsync on the write path.
   */
  durability?: Durability;
}

export interface Storage {
  metadata: MetadataStore;
  blobs: BlobStore;
  /** The data directory (services that keep key files there, such as S3's master key). */
  dataDir: string;
  /** Waits for running writes, then closes both stores. */
  close(): Promise<void>;
}

export async function openStorage(options: StorageOptions): Promise<Storage> {
  const { dataDir, durability = "full" } = options;
  await mkdir(dataDir, { recursive: true });
  const lock = lockDataDir(dataDir);
  let blobs: TieredBlobStore | undefined;
  let metadata: SqliteMetadataStore;
  try {
    blobs = await TieredBlobStore.open(join(dataDir, "blobs"), { durability, sqlitePath: join(dataDir, "small-blobs.sqlite") });
    metadata = new SqliteMetadataStore(join(dataDir, "metadata.sqlite"), { durability });
  } catch (err) {
    await blobs?.close().catch(() => undefined);
    lock.release();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    metadata,
    blobs,
    dataDir,
    close() {
      closing ??= Promise.all([metadata.close(), blobs.close()]).then(
        () => lock.release(),
        (err: unknown) => {
          lock.release();
          throw err;
        },
      );
      return closing;
    },
  };
}
