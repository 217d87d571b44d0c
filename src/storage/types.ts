/**
 * Storage interfaces. Services never talk to SQLite or the file system directly: they use a
 * `MetadataStore` (ordered key -> JSON value tables, with transactions) and a `BlobStore`
 * (immutable byte objects). The SQLite + files implementation is the default; the interfaces are
 * async so that a PostgreSQL metadata store can be added without touching any service.
 */
import type { Readable } from "node:stream";

/** Where a piece of state belongs. Global services use region "aws-global". */
export interface Scope {
  account: string;
  region: string;
  service: string;
}

export interface ListOptions {
  /** Only keys starting with this prefix. */
  prefix?: string;
  /** Only keys strictly greater than this (exclusive lower bound). */
  after?: string;
  /** Only keys greater than or equal to this (inclusive lower bound). */
  from?: string;
  /** Only keys strictly less than this. */
  before?: string;
  /** At most this many entries. */
  limit?: number;
  /** Descending key order. */
  reverse?: boolean;
}

export interface Entry<V> {
  key: string;
  value: V;
}

/**
 * One table of one scope: keys are strings compared bytewise (UTF-8 binary order, as S3 and
 * DynamoDB order keys), values are JSON-serialisable.
 */
export interface Table<V = unknown> {
  get(key: string): Promise<V | undefined>;
  put(key: string, value: V): Promise<void>;
  /** Insert only if absent; returns false when the key already existed. */
  insert(key: string, value: V): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  list(options?: ListOptions): Promise<Entry<V>[]>;
  count(options?: Pick<ListOptions, "prefix">): Promise<number>;
  /** Delete every key of the table in this scope (or those with a prefix). Returns how many. */
  clear(options?: Pick<ListOptions, "prefix">): Promise<number>;
}

export interface Tx {
  table<V = unknown>(scope: Scope, name: string): Table<V>;
}

export interface MetadataStore {
  table<V = unknown>(scope: Scope, name: string): Table<V>;
  /**
   * Run `fn` atomically: every write inside it lands, or none does. Transactions are serialised;
   * inside `fn`, use only the `tx` handle (not the store) for reads and writes.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Every scope of `service` that holds at least one key in `table` (background jobs walk these). */
  scopes(service: string, table: string): Promise<Scope[]>;
  /**
   * A number that changes whenever a write to any table of `service` has been committed (or
   * rolled back), and on reset: caches of stored state compare it before and after reading, and
   * trust a cached value only while it is unchanged. It changes synchronously with the commit, so
   * a read that began before a commit and ended after it sees a different number.
   */
  writeGeneration(service: string): number;
  /** Wipe all state (POST /_nimbus/reset). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface BlobInfo {
  id: string;
  size: number;
  /** Hex MD5 of the content, computed while it was written ("" when put with `digests: false`). */
  md5: string;
  /** Hex SHA-256 of the content, computed while it was written ("" when put with `digests: false`). */
  sha256: string;
}

export interface PutOptions {
  /**
   * Whether to compute the MD5 and SHA-256 of the bytes (default true). Callers that verify
   * their bytes otherwise (S3's authenticated encryption) skip the two hashes on large writes.
   */
  digests?: boolean;
}

export interface BlobStore {
  /**
   * Store the bytes and return their id once they are durable (written to a temporary file,
   * fsynced, renamed into place, directory fsynced). A failed or aborted source leaves nothing.
   */
  put(source: Readable | Buffer | Uint8Array | string, options?: PutOptions): Promise<BlobInfo>;
  /**
   * Read the blob, or the inclusive byte range [start, end]. The stream emits "ready" once the
   * blob is open (before any data) or "error" (code ENOENT when there is no such blob).
   */
  get(id: string, range?: { start: number; end: number }): Readable;
  size(id: string): Promise<number | undefined>;
  delete(id: string): Promise<void>;
  reset(): Promise<void>;
}
