/**
 * Opens the default storage of a data directory: SQLite metadata in `<dataDir>/metadata.sqlite`
 * and blob files under `<dataDir>/blobs/`. Callers get the backend-neutral interfaces only, so
 * another backend (PostgreSQL metadata, say) can be chosen here without touching any service.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { FileBlobStore } from "./file-blob-store.js";
import { SqliteMetadataStore, type Durability } from "./sqlite-metadata-store.js";
import type { BlobStore, MetadataStore } from "./types.js";

export type * from "./types.js";
export type { Durability } from "./sqlite-metadata-store.js";

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
  /** Waits for running writes, then closes both stores. */
  close(): Promise<void>;
}

export async function openStorage(options: StorageOptions): Promise<Storage> {
  const { dataDir, durability = "full" } = options;
  await mkdir(dataDir, { recursive: true });
  const blobs = await FileBlobStore.open(join(dataDir, "blobs"), { durability });
  const metadata = new SqliteMetadataStore(join(dataDir, "metadata.sqlite"), { durability });
  let closing: Promise<void> | undefined;
  return {
    metadata,
    blobs,
    close() {
      closing ??= Promise.all([metadata.close(), blobs.close()]).then(() => undefined);
      return closing;
    },
  };
}
