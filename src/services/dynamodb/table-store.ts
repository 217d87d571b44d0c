/**
 * DynamoDB storage: table metadata and items. Everything that writes an item goes through
 * `writeItems` here — PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems,
 * PartiQL, TTL deletions, restores, replication.
 *
 * ## Tables of the metadata store (scope: account + region, service "dynamodb")
 *
 *   tables                     table name -> TableRecord (the TableDescription, kept as AWS shows it)
 *   table-stats                TableId -> { itemCount, sizeBytes }   (kept exact on every write)
 *   items:<TableId>            itemStorageKey -> StoredItem
 *   index:<TableId>:<Index>    indexStorageKey -> StoredItem (the whole item; projected on read)
 *
 * Tables are addressed by TableId, not name, so a dropped table's rows never leak into a new
 * table of the same name. Keys use key-encoding.ts: an item's storage key is the encoded partition
 * key then the encoded sort key; an index entry's key is the index's partition and sort key
 * followed by the item's storage key (so entries with equal index keys stay distinct and ordered
 * by table key). Items missing an index key attribute are not in that index (sparse indexes).
 *
 * ## The write path
 *
 *     const result = await writeItems(metadata, scope, nowMs, async (w) => {
 *       const old = await w.get(table, key);          // sees this batch's earlier writes
 *       if (!ok(old)) throw conditionFailed;          // throw BEFORE writing: nothing lands
 *       w.put(table, newItem);                        // or w.delete(table, key, { userIdentity })
 *       return whatever;
 *     });
 *
 * `fn` runs inside one SQLite transaction. `put`/`delete` are buffered and applied only when `fn`
 * returns, so an `fn` that throws leaves nothing behind, whatever it did before throwing.
 * Applying a change maintains every index, the table stats and then calls each registered
 * `ItemChangeListener` with the change, inside the same transaction: a listener's own writes
 * (stream records, replication queues) commit or roll back with the item. Concurrent
 * `writeItems` calls are group-committed: those queued while a transaction runs share the next
 * one (one fsync), each `fn` still seeing the writes of those before it, so the outcome is the
 * same as running them one after another in arrival order.
 *
 * A listener that throws fails the whole group; each `fn` of the group is then retried in a
 * transaction of its own so only the guilty write is rejected.
 *
 * Never call `writeItems` (or the store's own methods) from inside an `fn` or a listener: the
 * group is already running, so the nested call would wait for itself. Queue the work instead
 * (replication, TTL) and run it after the write resolves.
 */
import type { MetadataStore, Scope, Table, Tx } from "../../storage/types.js";
import type { AttributeMap, AttributeValue, Item, ScalarType } from "./attribute-value.js";
import { itemSize } from "./item-size.js";
import { encodeKeyValue } from "./key-encoding.js";

// ---------------------------------------------------------------------------------------------
// Table metadata

export interface KeySchemaElement {
  AttributeName: string;
  KeyType: "HASH" | "RANGE";
}

export interface AttributeDefinition {
  AttributeName: string;
  AttributeType: ScalarType;
}

export interface Projection {
  ProjectionType: "ALL" | "KEYS_ONLY" | "INCLUDE";
  NonKeyAttributes?: string[];
}

export interface ThroughputRecord {
  ReadCapacityUnits: number;
  WriteCapacityUnits: number;
  LastIncreaseDateTime?: number;
  LastDecreaseDateTime?: number;
  NumberOfDecreasesToday: number;
}

export interface IndexRecord {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection: Projection;
  IndexArn: string;
  /** GSIs only: ACTIVE, CREATING (backfilling), DELETING. */
  IndexStatus?: string;
  Backfilling?: boolean;
  /** GSIs of PROVISIONED tables only. */
  ProvisionedThroughput?: ThroughputRecord;
}

export interface TableRecord {
  TableName: string;
  TableId: string;
  TableArn: string;
  /** Epoch milliseconds. */
  CreationDateTime: number;
  TableStatus: "CREATING" | "ACTIVE" | "UPDATING" | "DELETING" | "ARCHIVED";
  KeySchema: KeySchemaElement[];
  AttributeDefinitions: AttributeDefinition[];
  BillingMode: "PROVISIONED" | "PAY_PER_REQUEST";
  /** When the billing mode was last changed (epoch ms), for BillingModeSummary. */
  BillingModeLastUpdate?: number;
  ProvisionedThroughput: ThroughputRecord;
  LocalSecondaryIndexes?: IndexRecord[];
  GlobalSecondaryIndexes?: IndexRecord[];
  StreamSpecification?: { StreamEnabled: boolean; StreamViewType?: string };
  LatestStreamArn?: string;
  LatestStreamLabel?: string;
  SSEDescription?: { Status: string; SSEType?: string; KMSMasterKeyArn?: string };
  TableClass?: string;
  DeletionProtectionEnabled: boolean;
  Tags: { Key: string; Value: string }[];
  TimeToLive?: { AttributeName: string; TimeToLiveStatus: "ENABLED" | "DISABLED" | "ENABLING" | "DISABLING" };
  /** Free-form state other modules keep on the table (PITR, replicas, ...), by module name. */
  extensions?: Record<string, unknown>;
}

/** What a change listener is told about the table. */
export interface TableRef {
  name: string;
  arn: string;
  tableId: string;
  keySchema: KeySchemaElement[];
}

type Source = MetadataStore | Tx;

const tablesOf = (source: Source, scope: Scope) => source.table<TableRecord>(scope, "tables");
const statsOf = (source: Source, scope: Scope) => source.table<TableStats>(scope, "table-stats");

export interface TableStats {
  itemCount: number;
  sizeBytes: number;
}

export function getTable(source: Source, scope: Scope, name: string): Promise<TableRecord | undefined> {
  return tablesOf(source, scope).get(name);
}

// --- The table description cache of the item path ---
//
// Every item request needs its table's description (key schema, indexes, billing mode), and
// reading and parsing it from the store cost more than the item itself. Descriptions change
// only through this module (putTable, dropTable, insertTable), which invalidates every cached
// description before and after each change: a read that overlaps a change either sees the
// generation move (and does not cache what it read) or is cleared by the change's second
// invalidation. Writes through a transaction (a Tx) commit later than putTable returns, so whoever
// puts a table through a transaction calls `invalidateTableCache` once it has resolved.
// Cached records are frozen: the item path only reads them.

interface TableCache {
  generation: number;
  entries: Map<string, TableRecord | null>;
}

const TABLE_CACHE_LIMIT = 10_000;
let tableGeneration = 0;
/** No description is cached until then (epoch ms of the wall clock): set by a storage reset. */
let tableCacheSuspendedUntil = 0;
const tableCaches = new WeakMap<MetadataStore, TableCache>();

/** Forgets every cached table description (of every store in the process). */
export function invalidateTableCache(): void {
  tableGeneration++;
}

/**
 * Called before POST /_nimbus/reset wipes storage: forget the descriptions and cache none for a
 * while, since the wipe itself happens after this hook and does not pass through this module.
 */
export function suspendTableCache(ms: number): void {
  tableGeneration++;
  tableCacheSuspendedUntil = Date.now() + ms;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/**
 * The table's description for reading items: cached (see above) and frozen, so callers must not
 * change it. Control-plane handlers that update a table read it with `getTable` instead.
 */
export async function getTableCached(metadata: MetadataStore, scope: Scope, name: string): Promise<TableRecord | undefined> {
  let cache = tableCaches.get(metadata);
  if (!cache) tableCaches.set(metadata, (cache = { generation: tableGeneration, entries: new Map() }));
  if (cache.generation !== tableGeneration) {
    cache.entries.clear();
    cache.generation = tableGeneration;
  }
  const key = scope.account + "\u0000" + scope.region + "\u0000" + name;
  const hit = cache.entries.get(key);
  if (hit !== undefined) return hit ?? undefined;
  const generation = tableGeneration;
  const table = await tablesOf(metadata, scope).get(name);
  if (generation === tableGeneration && cache.generation === generation && Date.now() >= tableCacheSuspendedUntil) {
    if (cache.entries.size >= TABLE_CACHE_LIMIT) cache.entries.clear();
    cache.entries.set(key, table ? deepFreeze(table) : null);
  }
  return table;
}

/** The cached description when there is one (null: cached as absent), without reading the store. */
export function peekTableCached(metadata: MetadataStore, scope: Scope, name: string): TableRecord | null | undefined {
  const cache = tableCaches.get(metadata);
  if (!cache || cache.generation !== tableGeneration) return undefined;
  return cache.entries.get(scope.account + "\u0000" + scope.region + "\u0000" + name);
}

async function changingTables<T>(change: () => Promise<T>): Promise<T> {
  invalidateTableCache();
  try {
    return await change();
  } finally {
    invalidateTableCache();
  }
}

/**
 * Stores a table's description. Through a transaction (a Tx), call `invalidateTableCache` after
 * the transaction resolves as well.
 */
export function putTable(source: Source, scope: Scope, table: TableRecord): Promise<void> {
  return changingTables(() => tablesOf(source, scope).put(table.TableName, table));
}

/** Stores a new table's description unless one of that name exists; whether it was stored. */
export function insertTable(metadata: MetadataStore, scope: Scope, table: TableRecord): Promise<boolean> {
  return changingTables(() => tablesOf(metadata, scope).insert(table.TableName, table));
}

/** Removes the table record, its items, its index entries and its stats (in one transaction). */
export async function dropTable(metadata: MetadataStore, scope: Scope, table: TableRecord): Promise<void> {
  await changingTables(() =>
    metadata.transaction(async (tx) => {
      await tablesOf(tx, scope).delete(table.TableName);
      await statsOf(tx, scope).delete(table.TableId);
      await itemsTable(tx, scope, table).clear();
      for (const index of allIndexes(table)) await indexTable(tx, scope, table, index.IndexName).clear();
    }),
  );
}

export async function listTableNames(source: Source, scope: Scope, after: string | undefined, limit: number): Promise<string[]> {
  const rows = await tablesOf(source, scope).list({ ...(after !== undefined ? { after } : {}), limit });
  return rows.map((r) => r.key);
}

export async function getTableStats(source: Source, scope: Scope, table: TableRecord): Promise<TableStats> {
  return (await statsOf(source, scope).get(table.TableId)) ?? { itemCount: 0, sizeBytes: 0 };
}

export function tableRef(table: TableRecord): TableRef {
  return { name: table.TableName, arn: table.TableArn, tableId: table.TableId, keySchema: table.KeySchema };
}

export function allIndexes(table: TableRecord): IndexRecord[] {
  return [...(table.LocalSecondaryIndexes ?? []), ...(table.GlobalSecondaryIndexes ?? [])];
}

export function attributeType(table: TableRecord, name: string): ScalarType | undefined {
  return table.AttributeDefinitions.find((d) => d.AttributeName === name)?.AttributeType;
}

export const hashKeyOf = (schema: KeySchemaElement[]): string => schema.find((k) => k.KeyType === "HASH")!.AttributeName;
export const rangeKeyOf = (schema: KeySchemaElement[]): string | undefined => schema.find((k) => k.KeyType === "RANGE")?.AttributeName;

// ---------------------------------------------------------------------------------------------
// Item encoding

/** Items as stored: binary values as base64 strings (the store holds JSON). */
export type StoredItem = Record<string, unknown>;

function toStoredValue(v: AttributeValue): unknown {
  if ("B" in v) return { B: v.B.toString("base64") };
  if ("BS" in v) return { BS: v.BS.map((b) => b.toString("base64")) };
  if ("M" in v) return { M: toStored(v.M) };
  if ("L" in v) return { L: v.L.map(toStoredValue) };
  return v;
}

export function toStored(item: AttributeMap): StoredItem {
  const out: StoredItem = {};
  for (const k of Object.keys(item)) out[k] = toStoredValue(item[k]!);
  return out;
}

function fromStoredValue(v: Record<string, unknown>): AttributeValue {
  if ("B" in v) return { B: Buffer.from(v.B as string, "base64") };
  if ("BS" in v) return { BS: (v.BS as string[]).map((b) => Buffer.from(b, "base64")) };
  if ("M" in v) return { M: fromStored(v.M as StoredItem) };
  if ("L" in v) return { L: (v.L as Record<string, unknown>[]).map(fromStoredValue) };
  return v as AttributeValue;
}

export function fromStored(item: StoredItem): Item {
  const out: Item = {};
  for (const k of Object.keys(item)) out[k] = fromStoredValue(item[k] as Record<string, unknown>);
  return out;
}

export const itemsTable = (source: Source, scope: Scope, table: TableRecord): Table<StoredItem> =>
  source.table<StoredItem>(scope, `items:${table.TableId}`);
export const indexTable = (source: Source, scope: Scope, table: TableRecord, indexName: string): Table<StoredItem> =>
  source.table<StoredItem>(scope, `index:${table.TableId}:${indexName}`);

/** The storage key of an item (or key) of `table`. The key attributes must be present. */
export function itemStorageKey(table: TableRecord, item: AttributeMap): string {
  let key = "";
  for (const k of table.KeySchema) key += encodeKeyValue(item[k.AttributeName]!);
  // CreateTable requires KeySchema to list HASH first, so this is partition key then sort key.
  return key;
}

/**
 * The key of an item's entry in `index`, or undefined when the item lacks one of the index's
 * key attributes or has one of the wrong type (it is then not in the index).
 */
export function indexStorageKey(table: TableRecord, index: IndexRecord, item: AttributeMap, tableKey: string): string | undefined {
  let key = "";
  for (const k of index.KeySchema) {
    const v = item[k.AttributeName];
    const type = attributeType(table, k.AttributeName);
    if (v === undefined || type === undefined || !(type in v)) return undefined;
    key += encodeKeyValue(v);
  }
  return key + tableKey;
}

/** The key attributes of `item` (table's key schema), as a new map. */
export function keyOf(table: TableRecord, item: AttributeMap): AttributeMap {
  const out: AttributeMap = {};
  for (const k of table.KeySchema) out[k.AttributeName] = item[k.AttributeName]!;
  return out;
}

/** Reads one item outside any write (GetItem, BatchGetItem). */
export async function readItem(source: Source, scope: Scope, table: TableRecord, key: AttributeMap): Promise<Item | undefined> {
  const stored = await itemsTable(source, scope, table).get(itemStorageKey(table, key));
  return stored === undefined ? undefined : fromStored(stored);
}

// ---------------------------------------------------------------------------------------------
// Change listeners

export type ChangeEventName = "INSERT" | "MODIFY" | "REMOVE";

/** Who made a change when it was not a caller's request: TTL deletes say dynamodb.amazonaws.com. */
export interface ChangeUserIdentity {
  type: string;
  principalId: string;
}

export interface ItemChange {
  table: TableRef;
  /** The item's key attributes. */
  keys: Item;
  oldImage?: Item;
  newImage?: Item;
  eventName: ChangeEventName;
  userIdentity?: ChangeUserIdentity;
}

export interface ChangeContext {
  tx: Tx;
  scope: Scope;
  /** The clock's time of the write (epoch ms). */
  nowMs: number;
  /** The table as the writer saw it (stream settings, TTL, extensions). */
  tableRecord: TableRecord;
  /** Runs `fn` once the change has committed (never if it rolls back). */
  afterCommit(fn: () => void): void;
}

/** Called inside the write's transaction; write through `ctx.tx` only. */
export type ItemChangeListener = (change: ItemChange, ctx: ChangeContext) => void | Promise<void>;

/** Whether a listener wants the changes of a table (checked before the change is even built). */
export type TableFilter = (table: TableRecord) => boolean;

const listeners = new Map<ItemChangeListener, TableFilter | undefined>();

/**
 * Registers a listener for item changes in every Nimbus instance; returns the unregister. With
 * `interested`, only changes of the tables it accepts reach the listener, and a write to a table
 * no listener wants (no stream, no PITR, no replicas) costs nothing here.
 */
export function onItemChange(listener: ItemChangeListener, interested?: TableFilter): () => void {
  listeners.set(listener, interested);
  return () => listeners.delete(listener);
}

function listenersFor(table: TableRecord): ItemChangeListener[] | undefined {
  let out: ItemChangeListener[] | undefined;
  for (const [l, interested] of listeners) {
    if (interested === undefined || interested(table)) (out ??= []).push(l);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writes

export interface WriteOptions {
  userIdentity?: ChangeUserIdentity;
}

export interface ItemWriter {
  readonly tx: Tx;
  readonly scope: Scope;
  readonly nowMs: number;
  /** The current item (including what this `fn` has already put or deleted), or undefined. */
  get(table: TableRecord, key: AttributeMap): Promise<Item | undefined>;
  /** Insert or replace the item whose key `item` carries. Applied when `fn` returns. */
  put(table: TableRecord, item: Item, options?: WriteOptions): void;
  /** Delete the item with `key` (a no-op if there is none). Applied when `fn` returns. */
  delete(table: TableRecord, key: AttributeMap, options?: WriteOptions): void;
}

interface BufferedWrite {
  table: TableRecord;
  storageKey: string;
  key: AttributeMap;
  item: Item | undefined;
  options: WriteOptions;
}

class BufferedItemWriter implements ItemWriter {
  readonly writes = new Map<string, BufferedWrite>();
  /**
   * Items as read from storage by `get` (before this `fn`'s own writes), so applying a write to an
   * item `fn` read needs no second read. Valid until the writes are applied: nothing else writes
   * items of this store while the group runs.
   */
  readonly reads = new Map<string, Item | null>();
  constructor(
    readonly tx: Tx,
    readonly scope: Scope,
    readonly nowMs: number,
  ) {}

  async get(table: TableRecord, key: AttributeMap): Promise<Item | undefined> {
    const storageKey = itemStorageKey(table, key);
    const id = table.TableId + "\u0000" + storageKey;
    const pending = this.writes.get(id);
    if (pending) return pending.item;
    const read = this.reads.get(id);
    if (read !== undefined) return read ?? undefined;
    const stored = await itemsTable(this.tx, this.scope, table).get(storageKey);
    const item = stored === undefined ? undefined : fromStored(stored);
    this.reads.set(id, item ?? null);
    return item;
  }

  put(table: TableRecord, item: Item, options: WriteOptions = {}): void {
    const storageKey = itemStorageKey(table, item);
    this.writes.set(table.TableId + "\u0000" + storageKey, { table, storageKey, key: keyOf(table, item), item, options });
  }

  delete(table: TableRecord, key: AttributeMap, options: WriteOptions = {}): void {
    const storageKey = itemStorageKey(table, key);
    this.writes.set(table.TableId + "\u0000" + storageKey, { table, storageKey, key: keyOf(table, key), item: undefined, options });
  }
}

/** Applies one buffered write: item row, index entries, stats delta, listeners. */
async function applyWrite(
  tx: Tx,
  scope: Scope,
  nowMs: number,
  w: BufferedWrite,
  stats: Map<string, { table: TableRecord; count: number; bytes: number }>,
  alreadyRead: Item | null | undefined,
  afterCommit: (fn: () => void) => void,
): Promise<void> {
  const items = itemsTable(tx, scope, w.table);
  let oldItem: Item | undefined;
  if (alreadyRead !== undefined) oldItem = alreadyRead ?? undefined;
  else {
    const oldStored = await items.get(w.storageKey);
    oldItem = oldStored === undefined ? undefined : fromStored(oldStored);
  }
  if (oldItem === undefined && w.item === undefined) return; // deleting nothing changes nothing
  const newStored = w.item === undefined ? undefined : toStored(w.item);
  if (newStored === undefined) await items.delete(w.storageKey);
  else await items.put(w.storageKey, newStored);

  for (const index of allIndexes(w.table)) {
    const idx = indexTable(tx, scope, w.table, index.IndexName);
    const oldKey = oldItem ? indexStorageKey(w.table, index, oldItem, w.storageKey) : undefined;
    const newKey = w.item ? indexStorageKey(w.table, index, w.item, w.storageKey) : undefined;
    if (oldKey !== undefined && oldKey !== newKey) await idx.delete(oldKey);
    if (newKey !== undefined && newStored !== undefined) await idx.put(newKey, newStored);
  }

  let s = stats.get(w.table.TableId);
  if (!s) stats.set(w.table.TableId, (s = { table: w.table, count: 0, bytes: 0 }));
  s.count += (w.item ? 1 : 0) - (oldItem ? 1 : 0);
  s.bytes += itemSize(w.item) - itemSize(oldItem);

  const interested = listeners.size > 0 ? listenersFor(w.table) : undefined;
  if (interested) {
    const change: ItemChange = {
      table: tableRef(w.table),
      keys: w.key,
      ...(oldItem ? { oldImage: oldItem } : {}),
      ...(w.item ? { newImage: w.item } : {}),
      eventName: !oldItem ? "INSERT" : !w.item ? "REMOVE" : "MODIFY",
      ...(w.options.userIdentity ? { userIdentity: w.options.userIdentity } : {}),
    };
    const changeCtx: ChangeContext = { tx, scope, nowMs, tableRecord: w.table, afterCommit };
    for (const l of interested) {
      const pending = l(change, changeCtx);
      if (pending) await pending;
    }
  }
}

interface QueuedWrite {
  scope: Scope;
  nowMs: number;
  fn: (w: ItemWriter) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface WriteQueue {
  pending: QueuedWrite[];
  running: boolean;
}

const queues = new WeakMap<MetadataStore, WriteQueue>();

/** Runs `batch` in one transaction; per-op outcomes are returned, a failed apply throws. */
async function runGroup(metadata: MetadataStore, batch: QueuedWrite[]): Promise<{ ok: boolean; value: unknown }[]> {
  const committed: (() => void)[] = [];
  const afterCommit = (fn: () => void) => {
    committed.push(fn);
  };
  const outcomes = await metadata.transaction(async (tx) => {
    const outcomes: { ok: boolean; value: unknown }[] = [];
    const stats = new Map<string, { table: TableRecord; count: number; bytes: number }>();
    const statsScope = new Map<string, Scope>();
    for (const op of batch) {
      const writer = new BufferedItemWriter(tx, op.scope, op.nowMs);
      let value: unknown;
      try {
        value = await op.fn(writer);
      } catch (err) {
        outcomes.push({ ok: false, value: err });
        continue;
      }
      // Apply failures (listeners, storage) abort the whole group: see the file comment.
      for (const [id, w] of writer.writes) await applyWrite(tx, op.scope, op.nowMs, w, stats, writer.reads.get(id), afterCommit);
      for (const w of writer.writes.values()) statsScope.set(w.table.TableId, op.scope);
      outcomes.push({ ok: true, value });
    }
    for (const [tableId, s] of stats) {
      if (s.count === 0 && s.bytes === 0) continue;
      const t = statsOf(tx, statsScope.get(tableId)!);
      const cur = (await t.get(tableId)) ?? { itemCount: 0, sizeBytes: 0 };
      await t.put(tableId, { itemCount: Math.max(0, cur.itemCount + s.count), sizeBytes: Math.max(0, cur.sizeBytes + s.bytes) });
    }
    return outcomes;
  });
  for (const fn of committed) fn();
  return outcomes;
}

async function drain(metadata: MetadataStore, queue: WriteQueue): Promise<void> {
  queue.running = true;
  try {
    while (queue.pending.length > 0) {
      // Let the event loop read the requests that arrived during the last commit (its fsync
      // blocks the thread) so they join this group instead of each paying for a commit.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = queue.pending.splice(0, 256);
      let outcomes: { ok: boolean; value: unknown }[];
      try {
        outcomes = await runGroup(metadata, batch);
      } catch (groupError) {
        if (batch.length === 1) {
          batch[0]!.reject(groupError);
          continue;
        }
        // Retry one by one so only the op whose apply fails is rejected.
        for (const op of batch) {
          try {
            const [o] = await runGroup(metadata, [op]);
            if (o!.ok) op.resolve(o!.value);
            else op.reject(o!.value);
          } catch (err) {
            op.reject(err);
          }
        }
        continue;
      }
      batch.forEach((op, i) => (outcomes[i]!.ok ? op.resolve(outcomes[i]!.value) : op.reject(outcomes[i]!.value)));
    }
  } finally {
    queue.running = false;
  }
}

/**
 * Runs `fn` atomically with item writes (see the file comment). Resolves with `fn`'s result once
 * its writes are durable; rejects with what `fn` threw (nothing written) or with a storage error.
 */
export function writeItems<T>(metadata: MetadataStore, scope: Scope, nowMs: number, fn: (w: ItemWriter) => Promise<T>): Promise<T> {
  let queue = queues.get(metadata);
  if (!queue) queues.set(metadata, (queue = { pending: [], running: false }));
  const q = queue;
  return new Promise<T>((resolve, reject) => {
    q.pending.push({ scope, nowMs, fn: fn as (w: ItemWriter) => Promise<unknown>, resolve: resolve as (v: unknown) => void, reject });
    if (!q.running) void drain(metadata, q);
  });
}
