/**
 * The default `MetadataStore`: every table of every scope lives in one SQLite table
 * `kv(account, region, service, tbl, key, value)`, with the key stored as a UTF-8 BLOB so that
 * SQLite's memcmp ordering is exactly the UTF-8 byte order S3 and DynamoDB use (JS string order is
 * UTF-16, which disagrees for astral characters versus U+E000..U+FFFF).
 *
 * Concurrency model (better-sqlite3 is synchronous, the interface is async):
 * - One write connection, one writer at a time (an async FIFO mutex), and group commit: plain
 *   writes and `transaction(fn)` calls are queued, and the writer runs everything queued so far
 *   (started on the next turn of the event loop, so the requests already waiting join in) inside
 *   one BEGIN IMMEDIATE / COMMIT. Each transaction's `fn` runs in its own SAVEPOINT: when it
 *   throws, ROLLBACK TO undoes only its writes and only its promise rejects. A plain write is one
 *   statement, which SQLite undoes alone when it fails. Every promise settles only after the
 *   COMMIT, so an acknowledged write or transaction is durable and concurrent writers share one
 *   fsync. If the COMMIT itself fails, every transaction of the batch rejects (plain writes are
 *   retried one by one). better-sqlite3 runs statements synchronously, so nothing else can slip
 *   into the open batch.
 * - Transactions of one batch run one after another, each seeing the writes of those before it
 *   (which commit together with it). So `fn` must not wait for a write or transaction issued
 *   outside it: that one may be queued in the same batch and settles only after the COMMIT.
 * - Reads outside transactions use a second, read-only connection. Under WAL it sees the last
 *   committed state and never waits for, or peeks into, an open transaction.
 * - Inside `transaction(fn)` the `tx` handle reads and writes on the write connection, so it sees
 *   its own writes. Using the store itself from inside `fn` would deadlock (or read around the
 *   transaction); an AsyncLocalStorage marker turns that mistake into an immediate error.
 *
 * Values: JSON. What is read back is `JSON.parse(JSON.stringify(value))`: Dates come back as ISO
 * strings, `undefined` properties vanish, Buffers/typed arrays are NOT round-tripped (keep bytes in
 * the BlobStore or base64 them). A value JSON cannot encode (undefined, BigInt, cycles) is
 * rejected with a TypeError. Every read returns a fresh object, never an alias of a stored one.
 *
 * Durability: "full" (default): a resolved write survives kill -9 and power loss (as far as the
 * disk honours fsync). SQLite's synchronous=FULL would fsync the WAL inside each COMMIT, on the
 * event loop, where no request moves for the milliseconds an fsync takes. Instead the database
 * runs with synchronous=NORMAL (a COMMIT writes the WAL, which survives a process crash in the
 * page cache) and the store fsyncs the WAL file on libuv's thread pool before it settles the
 * batches that committed before that fsync began; batches go on committing meanwhile. SQLite
 * still syncs the WAL and the database around each checkpoint (NORMAL does), so nothing fsynced
 * here is lost when the WAL restarts. Readers may see a committed batch a moment before it is
 * acknowledged. "normal" = WAL + synchronous=NORMAL, a resolved
 * write survives a process crash but the last commits may be lost on power loss; much cheaper on
 * disks with slow fsync.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { fsyncSync, mkdirSync, openSync, closeSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { Checkpointer, remap } from "./checkpointer.js";
import type { Entry, ListOptions, MetadataStore, Scope, Table, Tx } from "./types.js";

export type Durability = "full" | "normal";

export interface SqliteMetadataStoreOptions {
  /** Default "full". See the file comment. */
  durability?: Durability;
  /** How long to wait for a lock held by another process (ms). Default 5000. */
  busyTimeoutMs?: number;
}

/**
 * Schema migrations: entry i upgrades a database from version i to i + 1. Append only; never edit
 * a migration that has shipped.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE kv (
     account TEXT NOT NULL,
     region  TEXT NOT NULL,
     service TEXT NOT NULL,
     tbl     TEXT NOT NULL,
     key     BLOB NOT NULL,
     value   TEXT NOT NULL,
     PRIMARY KEY (account, region, service, tbl, key)
   ) WITHOUT ROWID`,
];
export const SCHEMA_VERSION = MIGRATIONS.length;

/** NIMBUS_SQLITE_CHECKPOINTS=inline keeps SQLite's own checkpoints inside COMMIT. */
const CHECKPOINT_OFF_LOOP = process.env.NIMBUS_SQLITE_CHECKPOINTS !== "inline";

const TX_GUARD = process.env.NIMBUS_TX_GUARD === "1" || (process.env.VITEST !== undefined && process.env.NIMBUS_TX_GUARD !== "0");

/**
 * Page size of a new database (NIMBUS_SQLITE_PAGE_SIZE overrides). 8 KiB rather than SQLite's 4:
 * a WITHOUT ROWID row keeps at most about a quarter page in its B-tree page and spills the rest to
 * overflow pages, so with 4 KiB pages every 1 KB DynamoDB item or SQS message took an extra page
 * to write and to read; with 8 KiB rows up to about 2 KB stay in place (point reads measured
 * about twice as fast, writes no slower). An existing database keeps the page size it was made with.
 */
const PAGE_SIZE = Number(process.env.NIMBUS_SQLITE_PAGE_SIZE ?? 8192);

/** How much of the database file each connection maps into memory. */
const MMAP_BYTES = 1024 * 1024 * 1024;

const SCOPE_WHERE = "account = ? AND region = ? AND service = ? AND tbl = ?";
/** Lone surrogates cannot be encoded as UTF-8; Buffer.from would silently turn them into U+FFFD. */
const LONE_SURROGATE = /\p{Cs}/u;

type ScopeArgs = [account: string, region: string, service: string, tbl: string];
/** A key range in byte space: at most one lower and one upper bound. */
interface Range {
  lower?: { key: Buffer; inclusive: boolean };
  upper?: Buffer; // always exclusive
  empty: boolean;
}

/** A minimal FIFO async mutex; `lock()` resolves to the release function. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  lock(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const prev = this.tail;
    this.tail = prev.then(() => held);
    return prev.then(() => release);
  }
}

function encodeKey(key: string, what = "key"): Buffer {
  if (typeof key !== "string") throw new TypeError(`${what} must be a string`);
  if (LONE_SURROGATE.test(key)) throw new TypeError(`${what} contains a lone surrogate and is not valid UTF-8`);
  return Buffer.from(key, "utf8");
}

function encodeValue(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError("value is not JSON-serialisable");
  return json;
}

function scopeArgs(scope: Scope, name: string): ScopeArgs {
  for (const [what, v] of [["account", scope.account], ["region", scope.region], ["service", scope.service], ["table name", name]] as const) {
    if (typeof v !== "string" || v === "") throw new TypeError(`${what} must be a non-empty string`);
  }
  return [scope.account, scope.region, scope.service, name];
}

/** The smallest byte string greater than every string starting with `prefix` (none if empty). */
function prefixEnd(prefix: Buffer): Buffer | undefined {
  let n = prefix.length;
  while (n > 0 && prefix[n - 1] === 0xff) n--; // cannot occur in UTF-8, but keep this total
  if (n === 0) return undefined;
  const end = Buffer.from(prefix.subarray(0, n));
  end[n - 1]! += 1;
  return end;
}

/** Fold prefix/after/from/before into the tightest single lower and upper bound. */
function toRange(options: Pick<ListOptions, "prefix" | "after" | "from" | "before">): Range {
  const lowers: { key: Buffer; inclusive: boolean }[] = [];
  const uppers: Buffer[] = [];
  if (options.prefix !== undefined && options.prefix !== "") {
    const p = encodeKey(options.prefix, "prefix");
    lowers.push({ key: p, inclusive: true });
    const end = prefixEnd(p);
    if (end) uppers.push(end);
  }
  if (options.from !== undefined) lowers.push({ key: encodeKey(options.from, "from"), inclusive: true });
  if (options.after !== undefined) lowers.push({ key: encodeKey(options.after, "after"), inclusive: false });
  if (options.before !== undefined) uppers.push(encodeKey(options.before, "before"));

  let lower: Range["lower"];
  for (const l of lowers) {
    const c = lower ? Buffer.compare(l.key, lower.key) : 1;
    if (c > 0 || (c === 0 && !l.inclusive)) lower = l; // on a tie the exclusive bound is tighter
  }
  let upper: Buffer | undefined;
  for (const u of uppers) if (!upper || Buffer.compare(u, upper) < 0) upper = u;

  let empty = false;
  if (lower && upper) {
    const c = Buffer.compare(lower.key, upper);
    empty = c >= 0;
  }
  return { lower, upper, empty };
}

function rangeSql(range: Range): { sql: string; args: Buffer[]; sig: string } {
  let sql = "";
  const args: Buffer[] = [];
  let sig = "";
  if (range.lower) {
    sql += range.lower.inclusive ? " AND key >= ?" : " AND key > ?";
    args.push(range.lower.key);
    sig += range.lower.inclusive ? "L" : "l";
  }
  if (range.upper) {
    sql += " AND key < ?";
    args.push(range.upper);
    sig += "U";
  }
  return { sql, args, sig };
}

/** Prepared statements of one connection, the range-dependent ones built lazily and cached. */
class Statements {
  readonly get: Database.Statement;
  private readonly cache = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.get = db.prepare(`SELECT value FROM kv WHERE ${SCOPE_WHERE} AND key = ?`).pluck();
  }

  private cached(sig: string, build: () => Database.Statement): Database.Statement {
    let stmt = this.cache.get(sig);
    if (!stmt) {
      stmt = build();
      this.cache.set(sig, stmt);
    }
    return stmt;
  }

  list(rangeSig: string, rangeSqlText: string, reverse: boolean): Database.Statement {
    return this.cached(`list:${rangeSig}:${reverse ? "d" : "a"}`, () =>
      this.db
        .prepare(`SELECT key, value FROM kv WHERE ${SCOPE_WHERE}${rangeSqlText} ORDER BY key ${reverse ? "DESC" : "ASC"} LIMIT ?`)
        .raw(),
    );
  }

  count(rangeSig: string, rangeSqlText: string): Database.Statement {
    return this.cached(`count:${rangeSig}`, () =>
      this.db.prepare(`SELECT count(*) FROM kv WHERE ${SCOPE_WHERE}${rangeSqlText}`).pluck(),
    );
  }

  clear(rangeSig: string, rangeSqlText: string): Database.Statement {
    return this.cached(`clear:${rangeSig}`, () => this.db.prepare(`DELETE FROM kv WHERE ${SCOPE_WHERE}${rangeSqlText}`));
  }
}

/** Statements only the write connection needs. */
class WriteStatements extends Statements {
  readonly put: Database.Statement;
  readonly insert: Database.Statement;
  readonly delete: Database.Statement;
  readonly begin: Database.Statement;
  readonly commit: Database.Statement;
  readonly rollback: Database.Statement;
  readonly savepoint: Database.Statement;
  readonly rollbackTo: Database.Statement;
  readonly release: Database.Statement;
  readonly clearAll: Database.Statement;

  constructor(db: Database.Database) {
    super(db);
    const cols = "(account, region, service, tbl, key, value) VALUES (?, ?, ?, ?, ?, ?)";
    this.put = db.prepare(`INSERT INTO kv ${cols} ON CONFLICT (account, region, service, tbl, key) DO UPDATE SET value = excluded.value`);
    this.insert = db.prepare(`INSERT INTO kv ${cols} ON CONFLICT DO NOTHING`);
    this.delete = db.prepare(`DELETE FROM kv WHERE ${SCOPE_WHERE} AND key = ?`);
    this.begin = db.prepare("BEGIN IMMEDIATE");
    this.commit = db.prepare("COMMIT");
    this.rollback = db.prepare("ROLLBACK");
    // Savepoints of one batch never nest (transactions run one after another), so one name serves.
    this.savepoint = db.prepare("SAVEPOINT tx");
    this.rollbackTo = db.prepare("ROLLBACK TO tx");
    this.release = db.prepare("RELEASE tx");
    this.clearAll = db.prepare("DELETE FROM kv");
  }
}

// Synchronous table operations, shared by every access path. Validation and encoding happen
// before anything touches the database so a bad argument never aborts a group commit.

function readGet(stmts: Statements, s: ScopeArgs, key: Buffer): unknown {
  const json = stmts.get.get(...s, key) as string | undefined;
  return json === undefined ? undefined : JSON.parse(json);
}

interface PreparedList {
  empty: boolean;
  run(stmts: Statements): Entry<unknown>[];
}

function prepareList(s: ScopeArgs, options: ListOptions = {}): PreparedList {
  const limit = options.limit;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new RangeError("limit must be a non-negative integer");
  const range = toRange(options);
  const { sql, args, sig } = rangeSql(range);
  const reverse = options.reverse === true;
  return {
    empty: range.empty || limit === 0,
    run(stmts) {
      if (this.empty) return [];
      const rows = stmts.list(sig, sql, reverse).all(...s, ...args, limit ?? -1) as [Buffer, string][];
      return rows.map(([k, v]) => ({ key: k.toString("utf8"), value: JSON.parse(v) as unknown }));
    },
  };
}

function prepareCount(s: ScopeArgs, options: Pick<ListOptions, "prefix"> = {}) {
  const range = toRange({ prefix: options.prefix });
  const { sql, args, sig } = rangeSql(range);
  return {
    count: (stmts: Statements) => (range.empty ? 0 : (stmts.count(sig, sql).get(...s, ...args) as number)),
    clear: (stmts: Statements) => (range.empty ? 0 : stmts.clear(sig, sql).run(...s, ...args).changes),
  };
}

/** A queued unit of work for the writer: one plain write, or one transaction's `fn`. */
type Job = {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
} & ({ kind: "write"; op: () => unknown } | { kind: "tx"; fn: (tx: Tx) => Promise<unknown> });

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** How many jobs one COMMIT covers at most (bounds the latency of the first in a long queue). */
const MAX_BATCH = 1024;

interface TxState {
  active: boolean;
}

export class SqliteMetadataStore implements MetadataStore {
  private readonly writer: Database.Database;
  private readonly reader: Database.Database;
  private readonly w: WriteStatements;
  private readonly r: Statements;
  private readonly mutex = new Mutex();
  /**
   * Catches the store being used inside its own transaction's fn (that would deadlock) by
   * throwing instead. AsyncLocalStorage turns on promise hooks for the whole process (a few per
   * cent of every request's time on Node 20), so the check runs under tests (VITEST) or with
   * NIMBUS_TX_GUARD=1 only.
   */
  private readonly txContext = TX_GUARD ? new AsyncLocalStorage<TxState>() : undefined;
  private queue: Job[] = [];
  private readonly syncWal: boolean;
  private checkpointer: Checkpointer | undefined;
  private readonly walPath: string;
  private wal: FileHandle | undefined;
  /** Settlements of committed batches waiting for the next WAL fsync. */
  private unsynced: Array<() => void> = [];
  private syncing: Promise<void> | undefined;
  private scopeQueries?: { nextAccount: Database.Statement; nextRegion: Database.Statement; has: Database.Statement };
  private flushQueued = false;
  private closed = false;
  /** Services written since the last COMMIT, and each service's write generation (see writeGeneration). */
  private readonly dirty = new Set<string>();
  private readonly generations = new Map<string, number>();
  private epoch = 0;

  /** Opens (creating if needed) the database file at `path` and migrates it to SCHEMA_VERSION. */
  constructor(readonly path: string, options: SqliteMetadataStoreOptions = {}) {
    const durability = options.durability ?? "full";
    if (durability !== "full" && durability !== "normal") throw new TypeError(`unknown durability ${String(durability)}`);
    const busy = options.busyTimeoutMs ?? 5000;
    mkdirSync(dirname(path), { recursive: true });

    this.writer = new Database(path);
    try {
      this.writer.pragma(`busy_timeout = ${busy}`);
      // Page size applies only to a new, empty database (an existing one keeps its own).
      if (PAGE_SIZE) this.writer.pragma(`page_size = ${PAGE_SIZE}`);
      const mode = this.writer.pragma("journal_mode = WAL", { simple: true });
      if (String(mode).toLowerCase() !== "wal") throw new Error(`cannot enable WAL on ${path} (got ${String(mode)})`);
      // NORMAL for both: with "full" the WAL is fsynced by syncCommitted, off the event loop.
      this.writer.pragma("synchronous = NORMAL");
      // No-ops on Linux; on macOS plain fsync does not flush the drive cache, F_FULLFSYNC does.
      this.writer.pragma(`fullfsync = ${durability === "full" ? "ON" : "OFF"}`);
      this.writer.pragma(`checkpoint_fullfsync = ${durability === "full" ? "ON" : "OFF"}`);
      // Keep the WAL from staying huge after a burst (it is truncated to this on checkpoint).
      this.writer.pragma("journal_size_limit = 67108864");
      // Reads through a memory map instead of read() calls into SQLite's small page cache: on a
      // large database (a million DynamoDB items) a point read takes about half the time. Only
      // address space is reserved; the pages are the OS's file cache.
      this.writer.pragma(`mmap_size = ${MMAP_BYTES}`);
      this.migrate();
      // Checkpoints run on a worker thread (checkpointer.ts), not inside this thread's COMMITs.
      if (CHECKPOINT_OFF_LOOP) {
        this.checkpointer = new Checkpointer(
          path,
          (m) => process.emitWarning(`metadata checkpoint: ${m}`),
          () => {
            if (this.closed) return;
            remap(this.writer, MMAP_BYTES);
            remap(this.reader, MMAP_BYTES);
          },
        );
        this.writer.pragma("wal_autocheckpoint = 0");
      }

      this.reader = new Database(path, { readonly: true });
      this.reader.pragma(`busy_timeout = ${busy}`);
      this.reader.pragma(`mmap_size = ${MMAP_BYTES}`);
    } catch (err) {
      this.writer.close();
      throw err;
    }
    this.w = new WriteStatements(this.writer);
    this.syncWal = durability === "full";
    this.walPath = `${path}-wal`;
    this.r = new Statements(this.reader);
  }

  private migrate(): void {
    this.writer.exec("CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)");
    const run = this.writer.transaction(() => {
      const row = this.writer.prepare("SELECT version FROM schema_version WHERE id = 1").pluck().get() as number | undefined;
      const current = row ?? 0;
      if (current > SCHEMA_VERSION) {
        throw new Error(`${this.path} has schema version ${current}, newer than this Nimbus understands (${SCHEMA_VERSION})`);
      }
      for (let v = current; v < SCHEMA_VERSION; v++) this.writer.exec(MIGRATIONS[v]!);
      this.writer.prepare("INSERT INTO schema_version (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version").run(SCHEMA_VERSION);
    });
    run.immediate();
  }

  /** Throws if the store is closed or if called from inside a running transaction's `fn`. */
  private checkOutside(): void {
    if (this.closed) throw new Error("metadata store is closed");
    if (this.txContext?.getStore()?.active) {
      throw new Error("the store was used inside transaction(); use the tx handle passed to fn (nested transactions are not supported)");
    }
  }

  /** Queue a write for the next group commit; resolves with its result once committed. */
  private write<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue({ kind: "write", op, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private enqueue(job: Job): void {
    this.queue.push(job);
    if (!this.flushQueued) this.enqueueFlush();
  }

  private enqueueFlush(): void {
    this.flushQueued = true;
    // Start on the next turn of the event loop so that requests already waiting (their I/O
    // callbacks run before setImmediate's) join this batch: a COMMIT is synchronous, so nothing
    // can queue up while one runs.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const release = await this.mutex.lock();
    try {
      await this.drain();
    } finally {
      release();
      // drain() clears the flag in the same synchronous step as it finds the queue empty, so a
      // job queued after that schedules its own flush; this only covers drain() throwing.
      if (this.queue.length > 0 && !this.flushQueued) this.enqueueFlush();
    }
  }

  /** Runs every queued job, batch after batch. Call with the mutex held. */
  private async drain(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0) {
        this.flushQueued = false;
        return;
      }
      const batch = this.queue.length <= MAX_BATCH ? this.queue : this.queue.slice(0, MAX_BATCH);
      this.queue = batch === this.queue ? [] : this.queue.slice(MAX_BATCH);
      if (this.closed) {
        for (const j of batch) j.reject(new Error("metadata store is closed"));
        continue;
      }
      if (batch.length === 1 && batch[0]!.kind === "write") this.runAlone(batch[0]!);
      else await this.runBatch(batch);
    }
  }

  /** A single statement in autocommit mode is its own durable transaction. */
  private runAlone(j: Job & { kind: "write" }): void {
    let value: unknown;
    try {
      value = j.op();
    } catch (err) {
      this.bumpGenerations();
      j.reject(err);
      return;
    }
    this.bumpGenerations();
    this.afterCommit(() => j.resolve(value));
  }

  /** After a COMMIT (or a rollback): the services written since the last one get a new generation. */
  private bumpGenerations(): void {
    if (this.dirty.size === 0) return;
    for (const service of this.dirty) this.generations.set(service, (this.generations.get(service) ?? 0) + 1);
    this.dirty.clear();
  }

  writeGeneration(service: string): number {
    return this.epoch * 1_000_000_000 + (this.generations.get(service) ?? 0);
  }

  /** Runs `settle` once what has been committed so far is durable. */
  private afterCommit(settle: () => void): void {
    this.checkpointer?.committed();
    if (!this.syncWal) return settle();
    this.unsynced.push(settle);
    this.syncing ??= this.syncCommitted();
  }

  /** Fsyncs the WAL on the thread pool, one fsync at a time, each covering the commits before it. */
  private async syncCommitted(): Promise<void> {
    try {
      while (this.unsynced.length > 0) {
        const settled = this.unsynced;
        this.unsynced = [];
        try {
          this.wal ??= await open(this.walPath, "r+");
          await this.wal.sync();
        } catch {
          // The handle could not be opened or synced: sync the file by path, on the loop.
          try {
            const fd = openSync(this.walPath, "r+");
            try {
              fsyncSync(fd);
            } finally {
              closeSync(fd);
            }
          } catch {
            // Nothing more can be done; the commit itself succeeded.
          }
        }
        for (const settle of settled) settle();
      }
    } finally {
      this.syncing = undefined;
    }
  }

  /** Runs `batch` inside one BEGIN IMMEDIATE / COMMIT (more than one if SQLite aborts one). */
  private async runBatch(batch: Job[]): Promise<void> {
    let i = 0;
    while (i < batch.length) {
      const segment: Job[] = [];
      const outcomes: Outcome[] = [];
      try {
        this.w.begin.run();
      } catch (err) {
        for (const j of batch.slice(i)) j.reject(err);
        return;
      }
      let lost = false;
      while (i < batch.length) {
        const job = batch[i++]!;
        segment.push(job);
        outcomes.push(job.kind === "write" ? this.runWrite(job.op) : await this.runTx(job.fn));
        if (!this.writer.inTransaction) {
          // SQLite rolled the whole transaction back (disk full, I/O error): what ran before
          // this job is undone too. Settle this segment and go on with a fresh BEGIN.
          lost = true;
          break;
        }
      }
      let commitError: unknown;
      if (!lost) {
        try {
          this.w.commit.run();
        } catch (err) {
          commitError = err;
          if (this.writer.inTransaction) this.w.rollback.run();
        }
      }
      this.bumpGenerations();
      const undone = lost || commitError !== undefined;
      const settle = () => segment.forEach((job, k) => {
        const o = outcomes[k]!;
        if (!undone) return o.ok ? job.resolve(o.value) : job.reject(o.error);
        if (!o.ok) return job.reject(o.error);
        // Its writes were rolled back with the batch. A plain write is retried alone; a
        // transaction's fn is not run twice (it may have done more than write), it fails.
        if (job.kind === "write") return this.runAlone(job);
        job.reject(commitError ?? new Error("the transaction was rolled back by SQLite together with its batch"));
      });
      // Retries of an undone batch run now, under the mutex; a committed batch settles once durable.
      if (undone) settle();
      else this.afterCommit(settle);
    }
  }

  private runWrite(op: () => unknown): Outcome {
    try {
      return { ok: true, value: op() };
    } catch (error) {
      return { ok: false, error };
    }
  }

  private async runTx(fn: (tx: Tx) => Promise<unknown>): Promise<Outcome> {
    const state: TxState = { active: true };
    const tx: Tx = { table: (scope, name) => this.txTable(state, scope, name) };
    try {
      this.w.savepoint.run();
    } catch (error) {
      state.active = false;
      return { ok: false, error };
    }
    try {
      const value = await (this.txContext ? this.txContext.run(state, () => fn(tx)) : fn(tx));
      state.active = false;
      if (!this.writer.inTransaction) return { ok: false, error: new Error("the transaction was rolled back by SQLite") };
      this.w.release.run();
      return { ok: true, value };
    } catch (error) {
      state.active = false;
      if (this.writer.inTransaction) {
        try {
          this.w.rollbackTo.run();
          this.w.release.run();
        } catch {
          // Leaves the batch in whatever state SQLite left it; the COMMIT or the next job tells.
        }
      }
      return { ok: false, error };
    }
  }

  table<V = unknown>(scope: Scope, name: string): Table<V> {
    const s = scopeArgs(scope, name);
    const w = this.w;
    const store = this;
    // Async methods: a validation error becomes a rejected promise, never a synchronous throw.
    const table: Table<unknown> = {
      async get(key) {
        store.checkOutside();
        return readGet(store.r, s, encodeKey(key));
      },
      async put(key, value) {
        store.checkOutside();
        const k = encodeKey(key);
        const v = encodeValue(value);
        await store.write(() => (store.dirty.add(s[2]), w.put.run(...s, k, v)));
      },
      async insert(key, value) {
        store.checkOutside();
        const k = encodeKey(key);
        const v = encodeValue(value);
        return store.write(() => (store.dirty.add(s[2]), w.insert.run(...s, k, v).changes > 0));
      },
      async delete(key) {
        store.checkOutside();
        const k = encodeKey(key);
        return store.write(() => (store.dirty.add(s[2]), w.delete.run(...s, k).changes > 0));
      },
      async list(options) {
        store.checkOutside();
        return prepareList(s, options).run(store.r);
      },
      async count(options) {
        store.checkOutside();
        return prepareCount(s, options).count(store.r);
      },
      async clear(options) {
        store.checkOutside();
        const c = prepareCount(s, options);
        return store.write(() => (store.dirty.add(s[2]), c.clear(w)));
      },
    };
    return table as Table<V>;
  }

  /** A table bound to an open transaction: synchronous statements on the write connection. */
  private txTable<V>(state: TxState, scope: Scope, name: string): Table<V> {
    const s = scopeArgs(scope, name);
    const w = this.w;
    const check = () => {
      if (!state.active) throw new Error("transaction handle used after its transaction ended");
    };
    const dirty = this.dirty;
    const table: Table<unknown> = {
      async get(key) {
        check();
        return readGet(w, s, encodeKey(key));
      },
      async put(key, value) {
        check();
        dirty.add(s[2]);
        w.put.run(...s, encodeKey(key), encodeValue(value));
      },
      async insert(key, value) {
        check();
        dirty.add(s[2]);
        return w.insert.run(...s, encodeKey(key), encodeValue(value)).changes > 0;
      },
      async delete(key) {
        check();
        dirty.add(s[2]);
        return w.delete.run(...s, encodeKey(key)).changes > 0;
      },
      async list(options) {
        check();
        return prepareList(s, options).run(w);
      },
      async count(options) {
        check();
        return prepareCount(s, options).count(w);
      },
      async clear(options) {
        check();
        dirty.add(s[2]);
        return prepareCount(s, options).clear(w);
      },
    };
    return table as Table<V>;
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    this.checkOutside();
    return new Promise<T>((resolve, reject) => {
      this.enqueue({ kind: "tx", fn, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  async scopes(service: string, table: string): Promise<Scope[]> {
    // The primary key starts with (account, region), not (service, tbl): a plain WHERE on service
    // and table would read every row of the database (background jobs call this every few
    // seconds). Instead skip from one (account, region) pair to the next with index seeks and
    // probe each for the table: a few seeks per pair, however many rows there are.
    const q = (this.scopeQueries ??= {
      nextAccount: this.reader.prepare("SELECT account FROM kv WHERE account > ? ORDER BY account LIMIT 1").pluck(),
      nextRegion: this.reader.prepare("SELECT region FROM kv WHERE account = ? AND region > ? ORDER BY region LIMIT 1").pluck(),
      has: this.reader.prepare("SELECT 1 FROM kv WHERE account = ? AND region = ? AND service = ? AND tbl = ? LIMIT 1").pluck(),
    });
    const walk = this.reader.transaction(() => {
      const out: Scope[] = [];
      for (let account = q.nextAccount.get("") as string | undefined; account !== undefined; account = q.nextAccount.get(account) as string | undefined) {
        for (let region = q.nextRegion.get(account, "") as string | undefined; region !== undefined; region = q.nextRegion.get(account, region) as string | undefined) {
          if (q.has.get(account, region, service, table) !== undefined) out.push({ account, region, service });
        }
      }
      return out;
    });
    return walk();
  }

  async reset(): Promise<void> {
    this.epoch++;
    this.checkOutside();
    await this.write(() => this.w.clearAll.run());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.checkOutside();
    // Let queued writes and running transactions finish before the connections go away.
    const release = await this.mutex.lock();
    try {
      if (this.closed) return;
      await this.drain();
      while (this.syncing) await this.syncing;
      await this.wal?.close().catch(() => undefined);
      this.wal = undefined;
      await this.checkpointer?.close();
      this.closed = true;
      this.reader.close();
      this.writer.close(); // the last connection checkpoints and removes the WAL
    } finally {
      release();
    }
  }
}
