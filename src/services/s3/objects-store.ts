/**
 * Object state of a bucket, in three tables of the bucket's scope (account + region + s3):
 *
 *   objects:<bucket>   object key -> the key's current version (an object or a delete marker)
 *   versions:<bucket>  esc(key) "\0\0" sortId -> a non-current version
 *   nullv:<bucket>     object key -> sortId of the key's non-current `null` version, if any
 *
 * Keys are compared as UTF-8 bytes by the store, which is S3's listing order. The current
 * version lives apart from history so that listing objects is one ordered range scan and an
 * unversioned PUT writes one row. In `versions`, `esc` turns U+0000 into "\0\1" so that the
 * "\0\0" separator sorts before anything a key can continue with: a key's versions are
 * contiguous, in key order, newest first (sort ids are newest-first; see versioning.ts).
 *
 * Bodies are BlobStore blobs (random ids; keys never reach a file path). Each version has its own
 * blob. Durability: a mutation runs in a metadata transaction after its blob is durable, and the
 * blobs it makes obsolete are deleted only after the commit. Concurrent mutations are
 * group-committed: those queued while a transaction runs share the next one (and its fsync).
 * A mutation must do all its checks (and throw its ServiceErrors) before its first write, since
 * the others in its batch commit with it.
 */
import type { BlobStore, Entry, MetadataStore, Scope, Table, Tx } from "../../storage/types.js";
import { isServiceError } from "../../core/errors.js";
import type { StoredChecksum } from "./checksums.js";
import type { BucketRecord } from "./store.js";
import type { RestoreState } from "./restore.js";
import type { SseRecord } from "./encryption.js";
import type { ObjectLockState } from "./object-lock.js";
import type { AccessControlList } from "./bucket-config-store.js";

export interface ObjectVersion {
  /** "null" or a generated id. */
  versionId: string;
  /** Orders the key's versions, newest first (equals versionId for non-null versions). */
  sortId: string;
  deleteMarker?: true;
  /** ISO time. */
  lastModified: string;
  /** Account that wrote the version. */
  owner: string;
  // Objects only:
  blob?: string;
  size?: number;
  /** Quoted, as S3 sends it. */
  etag?: string;
  /** Hex SHA-256 of the stored bytes, checked on every full read (objects stored unencrypted). */
  sha256?: string;
  /** How the blob is encrypted (encryption.ts); absent on objects stored before encryption. */
  sse?: SseRecord;
  /** The blob's nonce prefix (encryption.ts), with `sse`. */
  nonce?: string;
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  /** ISO time. */
  expires?: string;
  websiteRedirectLocation?: string;
  metadata?: Record<string, string>;
  /** Absent means STANDARD. */
  storageClass?: string;
  tags?: [string, string][];
  checksum?: StoredChecksum;
  serverSideEncryption?: string;
  /** Multipart objects: each part's size and checksum (multipart.ts), in part-number order. */
  parts?: ObjectPart[];
  /** GLACIER / DEEP_ARCHIVE: the latest RestoreObject request and its temporary copy (restore.ts). */
  restore?: RestoreState;
  /** Object Lock retention and legal hold (object-lock.ts). */
  lock?: ObjectLockState;
  /** The object ACL when not the default private one (object-acl.ts). */
  acl?: AccessControlList;
  /** x-amz-replication-status: PENDING / COMPLETED / FAILED on a source, REPLICA on a replica (replication.ts). */
  replication?: "PENDING" | "COMPLETED" | "FAILED" | "REPLICA";
}

/** One part of a completed multipart upload, as the object keeps it. */
export interface ObjectPart {
  size: number;
  /** Base64 checksum of the part in the object's algorithm, when it has one. */
  checksum?: string;
}

export function bucketScope(bucket: BucketRecord): Scope {
  return { account: bucket.account, region: bucket.region, service: "s3" };
}

export const objectsTable = (bucket: string) => `objects:${bucket}`;
export const versionsTable = (bucket: string) => `versions:${bucket}`;
export const nullTable = (bucket: string) => `nullv:${bucket}`;

const SORT_ID_LENGTH = 32;
const SEPARATOR = "\u0000\u0000";

/** Order-preserving escape so the separator sorts below every continuation of a key. */
export function escapeKey(key: string): string {
  return key.includes("\u0000") ? key.replace(/\u0000/g, "\u0000\u0001") : key;
}

function unescapeKey(esc: string): string {
  return esc.includes("\u0000") ? esc.replace(/\u0000\u0001/g, "\u0000") : esc;
}

/** The row of a non-current version. */
export function versionRow(key: string, sortId: string): string {
  return escapeKey(key) + SEPARATOR + sortId;
}

/** The prefix every row of `key`'s non-current versions starts with. */
export function versionPrefix(key: string): string {
  return escapeKey(key) + SEPARATOR;
}

/** The object key of a `versions` row. */
export function keyOfVersionRow(row: string): string {
  return unescapeKey(row.slice(0, row.length - SORT_ID_LENGTH - SEPARATOR.length));
}

export interface Tables {
  cur: Table<ObjectVersion>;
  old: Table<ObjectVersion>;
  nul: Table<string>;
}

type TableSource = { table<V>(scope: Scope, name: string): Table<V> };

export function tablesOf(source: TableSource, bucket: BucketRecord): Tables {
  const scope = bucketScope(bucket);
  return {
    cur: source.table<ObjectVersion>(scope, objectsTable(bucket.name)),
    old: source.table<ObjectVersion>(scope, versionsTable(bucket.name)),
    nul: source.table<string>(scope, nullTable(bucket.name)),
  };
}

/** What a mutation hands back: its result and the blobs it made obsolete. */
export interface MutationResult<R> {
  value: R;
  obsoleteBlobs?: string[];
}

type Mutation<R> = (tx: Tx) => Promise<MutationResult<R>>;

interface Queued {
  fn: Mutation<unknown>;
  resolve: (v: MutationResult<unknown>) => void;
  reject: (e: unknown) => void;
}

const MAX_BATCH = 512;

/**
 * Runs mutations in shared transactions. A ServiceError from one mutation fails only that one
 * (mutations throw before writing); any other failure rolls the batch back and each mutation is
 * retried in a transaction of its own, so only the guilty one fails.
 */
class CommitQueue {
  private queue: Queued[] = [];
  private running = false;

  constructor(private readonly metadata: MetadataStore) {}

  run<R>(fn: Mutation<R>): Promise<MutationResult<R>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ fn: fn as Mutation<unknown>, resolve: resolve as (v: MutationResult<unknown>) => void, reject });
      if (!this.running) {
        // Start on the next turn of the event loop, so that the mutations of requests already
        // waiting to run join this transaction (better-sqlite3 commits synchronously: nothing can
        // queue up while a commit runs, so without this pause batches stay small).
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        let outcomes: Array<{ ok: true; value: MutationResult<unknown> } | { ok: false; error: unknown }>;
        try {
          outcomes = await this.metadata.transaction(async (tx) => {
            const out: typeof outcomes = [];
            for (const item of batch) {
              try {
                out.push({ ok: true, value: await item.fn(tx) });
              } catch (e) {
                if (!isServiceError(e)) throw e;
                out.push({ ok: false, error: e });
              }
            }
            return out;
          });
        } catch {
          for (const item of batch) {
            try {
              item.resolve(await this.metadata.transaction((tx) => item.fn(tx)));
            } catch (e) {
              item.reject(e);
            }
          }
          continue;
        }
        outcomes.forEach((o, i) => (o.ok ? batch[i]!.resolve(o.value) : batch[i]!.reject(o.error)));
      }
    } finally {
      this.running = false;
    }
  }
}

const queues = new WeakMap<MetadataStore, CommitQueue>();

export class ObjectStore {
  private readonly queue: CommitQueue;

  constructor(
    readonly metadata: MetadataStore,
    readonly blobs: BlobStore,
    private readonly onError: (message: string) => void,
  ) {
    let q = queues.get(metadata);
    if (!q) queues.set(metadata, (q = new CommitQueue(metadata)));
    this.queue = q;
  }

  tables(bucket: BucketRecord): Tables {
    return tablesOf(this.metadata, bucket);
  }

  /** Run a mutation (group-committed), then delete the blobs it made obsolete. */
  async mutate<R>(fn: Mutation<R>): Promise<R> {
    const result = await this.queue.run(fn);
    if (result.obsoleteBlobs?.length) this.deleteBlobs(result.obsoleteBlobs);
    return result.value;
  }

  deleteBlobs(ids: Iterable<string | undefined>): void {
    for (const id of ids) {
      if (!id) continue;
      this.blobs.delete(id).catch((e: unknown) => this.onError(`deleting blob ${id} failed: ${String(e)}`));
    }
  }

  /**
   * Find a version: the current one without `versionId`, else the one named. `latest` tells
   * whether it is the key's current version.
   */
  async find(bucket: BucketRecord, key: string, versionId?: string): Promise<{ version: ObjectVersion; latest: boolean } | undefined> {
    const t = this.tables(bucket);
    for (let attempt = 0; attempt < 2; attempt++) {
      const cur = await t.cur.get(key);
      if (versionId === undefined) return cur ? { version: cur, latest: true } : undefined;
      if (cur?.versionId === versionId) return { version: cur, latest: true };
      const sortId = versionId === "null" ? await t.nul.get(key) : versionId;
      if (sortId !== undefined) {
        const old = await t.old.get(versionRow(key, sortId));
        if (old && old.versionId === versionId) return { version: old, latest: false };
      }
      // A concurrent permanent delete may have just promoted the version: look once more.
    }
    return undefined;
  }

  /** Non-current versions of one key, newest first. */
  olderVersions(t: Tables, key: string, limit?: number): Promise<Entry<ObjectVersion>[]> {
    return t.old.list({ prefix: versionPrefix(key), ...(limit !== undefined ? { limit } : {}) });
  }
}

/**
 * Inside a transaction: make `rec` the key's current version. `versioned` says whether it gets
 * a fresh version id (Enabled) or is the `null` version (never enabled / Suspended, replacing any
 * existing null version). Returns the obsolete blobs.
 */
export async function installVersion(
  t: Tables,
  key: string,
  rec: ObjectVersion,
  cur: ObjectVersion | undefined,
  mode: "unversioned" | "Enabled" | "Suspended",
): Promise<string[]> {
  const obsolete: string[] = [];
  if (cur) {
    if (mode !== "Enabled" && cur.versionId === "null") {
      if (cur.blob) obsolete.push(cur.blob);
    } else {
      await t.old.put(versionRow(key, cur.sortId), cur);
      if (cur.versionId === "null") await t.nul.put(key, cur.sortId);
    }
  }
  if (mode === "Suspended") {
    // The null version, wherever it sits in the history, is replaced.
    const sortId = await t.nul.get(key);
    if (sortId !== undefined) {
      const row = versionRow(key, sortId);
      const old = await t.old.get(row);
      if (old?.blob) obsolete.push(old.blob);
      await t.old.delete(row);
      await t.nul.delete(key);
    }
  }
  await t.cur.put(key, rec);
  return obsolete;
}

/**
 * Inside a transaction: permanently remove one version. When it is the current one, the newest
 * non-current version takes its place. Returns the removed version (undefined if none matched).
 */
export async function removeVersion(t: Tables, key: string, versionId: string): Promise<ObjectVersion | undefined> {
  const cur = await t.cur.get(key);
  if (cur && cur.versionId === versionId) {
    const [next] = await t.old.list({ prefix: versionPrefix(key), limit: 1 });
    if (next) {
      await t.old.delete(next.key);
      if (next.value.versionId === "null") await t.nul.delete(key);
      await t.cur.put(key, next.value);
    } else {
      await t.cur.delete(key);
    }
    return cur;
  }
  const sortId = versionId === "null" ? await t.nul.get(key) : versionId;
  if (sortId === undefined) return undefined;
  const row = versionRow(key, sortId);
  const old = await t.old.get(row);
  if (!old || old.versionId !== versionId) return undefined;
  await t.old.delete(row);
  if (versionId === "null") await t.nul.delete(key);
  return old;
}
