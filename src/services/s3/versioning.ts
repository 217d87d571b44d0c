/**
 * Bucket versioning state and version ids.
 *
 * A version id is 32 URL-safe characters: 14 hex digits that sort newest-first (the complement
 * of a microsecond counter that never goes backwards within a key's history) followed by 18
 * random base64url characters. Because the prefix orders versions, the id itself is the sort key
 * of a non-current version in the metadata store, and finding a version by id is one lookup.
 * The `null` version (unversioned and suspended buckets) gets a sort id of the same shape.
 */
import type { Table, Tx } from "../../storage/types.js";
import type { BucketRecord } from "./store.js";
import { bucketScope } from "./objects-store.js";
import { cachedBucketRead, isStore } from "./bucket-cache.js";
import { randomPool } from "./encryption.js";

export type VersioningStatus = "Enabled" | "Suspended";

export interface VersioningRecord {
  status: VersioningStatus;
  mfaDelete?: "Enabled" | "Disabled";
  /** The creation time of the bucket this belongs to: a re-created bucket starts unversioned. */
  bucketCreated: string;
}

const MAX_COUNTER = Number.MAX_SAFE_INTEGER;
const SORT_DIGITS = 14;
let lastCounter = 0;

function counterOf(sortId: string): number {
  return MAX_COUNTER - parseInt(sortId.slice(0, SORT_DIGITS), 16);
}

/** A new sort id, newer than `newerThan` (the key's current version) and than any issued before. */
export function newSortId(newerThan?: string): string {
  let n = Date.now() * 1000;
  if (n <= lastCounter) n = lastCounter + 1;
  if (newerThan !== undefined) {
    const c = counterOf(newerThan);
    if (n <= c) n = c + 1;
  }
  lastCounter = n;
  const prefix = (MAX_COUNTER - n).toString(16).padStart(SORT_DIGITS, "0");
  return prefix + randomPool(14).toString("base64url").slice(0, 32 - SORT_DIGITS);
}

const VERSION_ID = /^[0-9a-f]{14}[A-Za-z0-9_-]{18}$/;

/** Whether a client-supplied version id could be one of ours ("null" included). */
export function isWellFormedVersionId(id: string): boolean {
  return id === "null" || VERSION_ID.test(id);
}

const TABLE = "versioning";

function table(reader: { table<V>(scope: ReturnType<typeof bucketScope>, name: string): Table<V> }, bucket: BucketRecord) {
  return reader.table<VersioningRecord>(bucketScope(bucket), TABLE);
}

/**
 * The bucket's versioning record, or undefined when versioning was never configured. Read from
 * the store (not a transaction), it is cached (bucket-cache.ts).
 */
export async function readVersioning(
  source: { table<V>(scope: ReturnType<typeof bucketScope>, name: string): Table<V> },
  bucket: BucketRecord,
): Promise<VersioningRecord | undefined> {
  const rec = isStore(source)
    ? await cachedBucketRead(source, bucket.name, `versioning\u0000${bucket.account}\u0000${bucket.region}`, () => table(source, bucket).get(bucket.name))
    : await table(source, bucket).get(bucket.name);
  return rec && rec.bucketCreated === bucket.created ? rec : undefined;
}

/** Inside a transaction; the caller calls invalidateBucket (bucket-cache.ts) once it committed. */
export async function writeVersioning(tx: Tx, bucket: BucketRecord, rec: VersioningRecord): Promise<void> {
  await table(tx, bucket).put(bucket.name, rec);
}
