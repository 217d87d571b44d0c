/**
 * DynamoDB data plane: PutItem, GetItem, UpdateItem, DeleteItem, Query, Scan, BatchGetItem,
 * BatchWriteItem, TransactWriteItems, TransactGetItems. Every write goes through
 * table-store.ts `writeItems`. See provider.ts for the fidelity notes.
 */
import { createHash } from "node:crypto";
import type { RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import {
  checkKeyValue,
  typeOf,
  validateItem,
  type AttributeMap,
  type AttributeValue,
  type Item,
  type KeyRole,
} from "./attribute-value.js";
import { DynamoDBErrors, INVALID_PARAMETER_VALUES, validationError } from "./errors.js";
import {
  PARAMETER_STYLES,
  attributeUpdatesToUpdate,
  attributesToGetToProjection,
  checkParameterStyle,
  evaluateCondition,
  expectedToCondition,
  filterToCondition,
  keyConditionsToPlan,
  parseCondition,
  parseFilter,
  parseKeyCondition,
  parseProjection,
  parseUpdate,
  project,
  applyUpdate,
  touchesAttribute,
  updatedAttributeNames,
  trackUsage,
  type Condition,
  type ExpressionAttributes,
  type KeyConditionPlan,
  type Operand,
  type Path,
  type UpdateExpressionAst,
} from "./expressions/index.js";
import { checkItemSize, itemSize, readCapacityUnits, writeCapacityUnits } from "./item-size.js";
import { encodeKeyPrefix, encodeKeyValue, successor } from "./key-encoding.js";
import {
  attributeType,
  fromStored,
  hashKeyOf,
  indexStorageKey,
  indexTable,
  itemStorageKey,
  itemsTable,
  keyOf,
  rangeKeyOf,
  readItem,
  writeItems,
  type IndexRecord,
  type ItemWriter,
  type TableRecord,
} from "./table-store.js";
import { Tally, admit, charge, checkReturnConsumedCapacity, consumedCapacity } from "./capacity.js";
import { requireTableForItems } from "./table-operations.js";
import { staleRead } from "./stale-reads.js";
import { flightKey, heldBy, hold } from "./in-flight.js";
import { recordTransactionConflict } from "./metrics.js";
import type { ListOptions } from "../../storage/types.js";

// Inputs are the generated request shapes; AttributeValue members inside them are validated
// here (validateItem), so handlers read them through this loose alias.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Input = any;

const MAX_PAGE_BYTES = 1024 * 1024;
const invalid = (detail: string) => validationError(INVALID_PARAMETER_VALUES + detail);
const KEY_MISMATCH = "The provided key element does not match the schema";

// ---------------------------------------------------------------------------------------------
// Validation

/** A request's Key, validated against the table's key schema. */
export function validateKey(table: TableRecord, raw: unknown): Item {
  const key = validateItem(raw);
  const names = Object.keys(key);
  if (names.length !== table.KeySchema.length) throw validationError(KEY_MISMATCH);
  for (const k of table.KeySchema) {
    const v = key[k.AttributeName];
    if (v === undefined) throw validationError(KEY_MISMATCH);
    const type = attributeType(table, k.AttributeName)!;
    if (!(type in v)) throw validationError(KEY_MISMATCH);
    checkKeyValue(k.AttributeName, v, k.KeyType as KeyRole);
  }
  return key;
}

/** Index key attributes of a written item: right type, not empty. */
function checkIndexKeys(table: TableRecord, item: Item): void {
  for (const index of [...(table.LocalSecondaryIndexes ?? []), ...(table.GlobalSecondaryIndexes ?? [])]) {
    for (const k of index.KeySchema) {
      const v = item[k.AttributeName];
      if (v === undefined) continue;
      const expected = attributeType(table, k.AttributeName)!;
      const actual = typeOf(v);
      if (actual !== expected) {
        throw invalid(`Type mismatch for Index Key ${k.AttributeName} Expected: ${expected} Actual: ${actual} IndexName: ${index.IndexName}`);
      }
      if (("S" in v && v.S === "") || ("B" in v && v.B.length === 0)) {
        throw validationError(
          `One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty ${"S" in v ? "string" : "binary"} value. IndexName: ${index.IndexName}, IndexKey: ${k.AttributeName}`,
        );
      }
    }
  }
}

/** An item to write whole (PutItem, BatchWriteItem, Put in a transaction). */
export function validatePutItem(table: TableRecord, raw: unknown): Item {
  const item = validateItem(raw);
  for (const k of table.KeySchema) {
    const v = item[k.AttributeName];
    if (v === undefined) throw invalid(`Missing the key ${k.AttributeName} in the item`);
    checkKeyValue(k.AttributeName, v, k.KeyType as KeyRole, attributeType(table, k.AttributeName));
  }
  checkIndexKeys(table, item);
  checkItemSize(item);
  return item;
}

function checkEnum(value: unknown, allowed: readonly string[], member: string): void {
  if (value !== undefined && !allowed.includes(String(value))) {
    throw validationError(
      `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(", ")}]`,
    );
  }
}

function checkReturnValues(op: "PutItem" | "DeleteItem" | "UpdateItem", rv: unknown): string {
  checkEnum(rv, ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"], "returnValues");
  const v = String(rv ?? "NONE");
  if (op !== "UpdateItem" && v !== "NONE" && v !== "ALL_OLD") throw validationError("Return values set to invalid value");
  return v;
}

function checkRvOnFailure(v: unknown): boolean {
  checkEnum(v, ["ALL_OLD", "NONE"], "returnValuesOnConditionCheckFailure");
  return v === "ALL_OLD";
}

/** The write condition of a request: ConditionExpression or Expected. */
function writeCondition(input: Input, attrs: ExpressionAttributes): Condition | undefined {
  if (input.ConditionExpression !== undefined && input.ConditionExpression !== null) return parseCondition(input.ConditionExpression, attrs);
  return expectedToCondition(input.Expected, input.ConditionalOperator);
}

function conditionFailed(old: Item | undefined, returnOld: boolean): ServiceError {
  return new ServiceError(DynamoDBErrors.ConditionalCheckFailedException, undefined, returnOld && old ? { Item: old } : undefined);
}

// ---------------------------------------------------------------------------------------------
// Capacity of writes

function tallyWrite(tally: Tally, table: TableRecord, before: Item | undefined, after: Item | undefined, transactional = false): void {
  tally.write += writeCapacityUnits(Math.max(itemSize(before), itemSize(after)), { transactional });
  const tableKey = before ? itemStorageKey(table, before) : after ? itemStorageKey(table, after) : "";
  for (const [list, global] of [[table.LocalSecondaryIndexes, false], [table.GlobalSecondaryIndexes, true]] as const) {
    for (const ix of list ?? []) {
      const oldKey = before ? indexStorageKey(table, ix, before, tableKey) : undefined;
      const newKey = after ? indexStorageKey(table, ix, after, tableKey) : undefined;
      if (oldKey === undefined && newKey === undefined) continue;
      const w = (x: Item | undefined) => (x ? writeCapacityUnits(itemSize(projectForIndex(table, ix, x)), { transactional }) : 0);
      const units = oldKey !== undefined && newKey !== undefined && oldKey !== newKey ? w(before) + w(after) : Math.max(w(before), w(after));
      tally.index(ix.IndexName, global, 0, units);
    }
  }
}

function collectionMetrics(input: Input, table: TableRecord, item: Item | undefined) {
  if (input.ReturnItemCollectionMetrics !== "SIZE" || !table.LocalSecondaryIndexes?.length || !item) return {};
  const hk = hashKeyOf(table.KeySchema);
  return { ItemCollectionMetrics: { ItemCollectionKey: { [hk]: item[hk]! }, SizeEstimateRangeGB: [0, 1] } };
}

function pick(item: Item | undefined, names: string[]): Item | undefined {
  if (!item) return undefined;
  const out: Item = {};
  for (const n of names) if (item[n] !== undefined) out[n] = item[n]!;
  return Object.keys(out).length ? out : undefined;
}

// ---------------------------------------------------------------------------------------------
// Single-item operations

/**
 * A single-item write's hold on its item (see in-flight.ts): refused with
 * TransactionConflictException while a TransactWriteItems holds the item.
 */
function holdForWrite(ctx: RequestContext, table: TableRecord, key: Item): () => void {
  const k = flightKey(ctx.scope, table, key);
  if ((heldBy(ctx.storage.metadata, k)?.transaction ?? 0) > 0) {
    recordTransactionConflict(ctx, table);
    throw new ServiceError(DynamoDBErrors.TransactionConflictException);
  }
  return hold(ctx.storage.metadata, [k], "write");
}

const PutItem = async (ctx: RequestContext, input: Input) => {
  checkParameterStyle(input, PARAMETER_STYLES.PutItem);
  checkReturnConsumedCapacity(input.ReturnConsumedCapacity);
  const rv = checkReturnValues("PutItem", input.ReturnValues);
  const returnOldOnFail = checkRvOnFailure(input.ReturnValuesOnConditionCheckFailure);
  const table = await requireTableForItems(ctx, input.TableName);
  const item = validatePutItem(table, input.Item);
  const attrs = trackUsage(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
  const condition = writeCondition(input, attrs);
  attrs.assertAllUsed();
  admit(ctx, table, "write");
  const tally = new Tally(table);
  let old: Item | undefined;
  const release = holdForWrite(ctx, table, item);
  try {
    old = await writeItems(ctx.storage.metadata, ctx.scope, ctx.clock.nowMs(), async (w) => {
      const current = await w.get(table, item);
      if (condition && !evaluateCondition(condition, current)) throw conditionFailed(current, returnOldOnFail);
      w.put(table, item);
      return current;
    });
  } catch (e) {
    charge(ctx, table, 0, 1);
    throw e;
  } finally {
    release();
  }
  tallyWrite(tally, table, old, item);
  charge(ctx, table, 0, tally.total());
  const cc = consumedCapacity(input.ReturnConsumedCapacity, tally);
  return { ...(rv === "ALL_OLD" && old ? { Attributes: old } : {}), ...(cc ? { ConsumedCapacity: cc } : {}), ...collectionMetrics(input, table, item) };
};

function readProjection(input: Input, attrs: ExpressionAttributes): Path[] | undefined {
  if (input.ProjectionExpression !== undefined && input.ProjectionExpression !== null) return parseProjection(input.ProjectionExpression, attrs).paths as Path[];
  if (input.AttributesToGet) return attributesToGetToProjection(input.AttributesToGet).paths as Path[];
  return undefined;
}

const GetItem = async (ctx: RequestContext, input: Input) => {
  checkParameterStyle(input, PARAMETER_STYLES.GetItem);
  checkReturnConsumedCapacity(input.ReturnConsumedCapacity);
  const table = await requireTableForItems(ctx, input.TableName);
  const key = validateKey(table, input.Key);
  // ProjectionExpression takes no values: any given are reported unused, as AWS does.
  const attrs = trackUsage(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
  const projection = readProjection(input, attrs);
  attrs.assertAllUsed();
  admit(ctx, table, "read");
  const consistent = input.ConsistentRead === true;
  let item = await readItem(ctx.storage.metadata, ctx.scope, table, key);
  if (!consistent) item = staleRead(ctx, table, itemStorageKey(table, key), item);
  const tally = new Tally(table);
  tally.read += readCapacityUnits(itemSize(item), { consistent });
  charge(ctx, table, tally.read, 0);
  const cc = consumedCapacity(input.ReturnConsumedCapacity, tally);
  return { ...(item ? { Item: projection ? project(item, projection) : item } : {}), ...(cc ? { ConsumedCapacity: cc } : {}) };
};

/** Parsed UpdateItem request pieces, shared with TransactWriteItems' Update. */
interface PreparedUpdate {
  key: Item;
  update: UpdateExpressionAst | undefined;
  condition: Condition | undefined;
}

function prepareUpdate(table: TableRecord, input: Input): PreparedUpdate {
  const key = validateKey(table, input.Key);
  const attrs = trackUsage(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
  let update: UpdateExpressionAst | undefined;
  if (input.UpdateExpression !== undefined && input.UpdateExpression !== null) update = parseUpdate(input.UpdateExpression, attrs);
  else if (input.AttributeUpdates) update = attributeUpdatesToUpdate(input.AttributeUpdates);
  const condition = writeCondition(input, attrs);
  attrs.assertAllUsed();
  if (update) {
    for (const k of table.KeySchema) {
      if (touchesAttribute(update, k.AttributeName)) throw invalid(`Cannot update attribute ${k.AttributeName}. This attribute is part of the key`);
    }
  }
  return { key, update, condition };
}

/** The item after an update (validated: size, index keys). */
function updatedItem(table: TableRecord, p: PreparedUpdate, current: Item | undefined): Item {
  const next = p.update ? applyUpdate(current, p.update) : { ...(current ?? {}) };
  Object.assign(next, p.key);
  checkIndexKeys(table, next);
  checkItemSize(next, true);
  return next;
}

const UpdateItem = async (ctx: RequestContext, input: Input) => {
  checkParameterStyle(input, PARAMETER_STYLES.UpdateItem);
  checkReturnConsumedCapacity(input.ReturnConsumedCapacity);
  const rv = checkReturnValues("UpdateItem", input.ReturnValues);
  const returnOldOnFail = checkRvOnFailure(input.ReturnValuesOnConditionCheckFailure);
  const table = await requireTableForItems(ctx, input.TableName);
  const prepared = prepareUpdate(table, input);
  admit(ctx, table, "write");
  let result: { old: Item | undefined; next: Item };
  const release = holdForWrite(ctx, table, prepared.key);
  try {
    result = await writeItems(ctx.storage.metadata, ctx.scope, ctx.clock.nowMs(), async (w) => {
      const current = await w.get(table, prepared.key);
      if (prepared.condition && !evaluateCondition(prepared.condition, current)) throw conditionFailed(current, returnOldOnFail);
      const next = updatedItem(table, prepared, current);
      w.put(table, next);
      return { old: current, next };
    });
  } catch (e) {
    charge(ctx, table, 0, 1);
    throw e;
  } finally {
    release();
  }
  const tally = new Tally(table);
  tallyWrite(tally, table, result.old, result.next);
  charge(ctx, table, 0, tally.total());
  const names = prepared.update ? updatedAttributeNames(prepared.update) : [];
  let attributes: Item | undefined;
  if (rv === "ALL_OLD") attributes = result.old;
  else if (rv === "ALL_NEW") attributes = result.next;
  else if (rv === "UPDATED_OLD") attributes = pick(result.old, names);
  else if (rv === "UPDATED_NEW") attributes = pick(result.next, names);
  const cc = consumedCapacity(input.ReturnConsumedCapacity, tally);
  return { ...(attributes ? { Attributes: attributes } : {}), ...(cc ? { ConsumedCapacity: cc } : {}), ...collectionMetrics(input, table, result.next) };
};

const DeleteItem = async (ctx: RequestContext, input: Input) => {
  checkParameterStyle(input, PARAMETER_STYLES.DeleteItem);
  checkReturnConsumedCapacity(input.ReturnConsumedCapacity);
  const rv = checkReturnValues("DeleteItem", input.ReturnValues);
  const returnOldOnFail = checkRvOnFailure(input.ReturnValuesOnConditionCheckFailure);
  const table = await requireTableForItems(ctx, input.TableName);
  const key = validateKey(table, input.Key);
  const attrs = trackUsage(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
  const condition = writeCondition(input, attrs);
  attrs.assertAllUsed();
  admit(ctx, table, "write");
  let old: Item | undefined;
  const release = holdForWrite(ctx, table, key);
  try {
    old = await writeItems(ctx.storage.metadata, ctx.scope, ctx.clock.nowMs(), async (w) => {
      const current = await w.get(table, key);
      if (condition && !evaluateCondition(condition, current)) throw conditionFailed(current, returnOldOnFail);
      w.delete(table, key);
      return current;
    });
  } catch (e) {
    charge(ctx, table, 0, 1);
    throw e;
  } finally {
    release();
  }
  const tally = new Tally(table);
  tallyWrite(tally, table, old, undefined);
  charge(ctx, table, 0, tally.total());
  const cc = consumedCapacity(input.ReturnConsumedCapacity, tally);
  return { ...(rv === "ALL_OLD" && old ? { Attributes: old } : {}), ...(cc ? { ConsumedCapacity: cc } : {}), ...collectionMetrics(input, table, old) };
};

// ---------------------------------------------------------------------------------------------
// Query and Scan

function findIndex(table: TableRecord, name: unknown): { index: IndexRecord; global: boolean } {
  const n = String(name);
  const lsi = table.LocalSecondaryIndexes?.find((i) => i.IndexName === n);
  if (lsi) return { index: lsi, global: false };
  const gsi = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === n);
  if (gsi) return { index: gsi, global: true };
  throw validationError(`The table does not have the specified index: ${n}`);
}

/** The attributes an index holds for an item: both key schemas plus its projection. */
export function projectForIndex(table: TableRecord, index: IndexRecord, item: Item): Item {
  if (index.Projection.ProjectionType === "ALL") return item;
  const names = [...table.KeySchema, ...index.KeySchema].map((k) => k.AttributeName);
  if (index.Projection.ProjectionType === "INCLUDE") names.push(...(index.Projection.NonKeyAttributes ?? []));
  return pick(item, names) ?? {};
}

interface ReadPlan {
  table: TableRecord;
  index?: IndexRecord;
  global: boolean;
  /** LSI reads of attributes outside the projection: return whole items. */
  fetchFromTable: boolean;
  projection?: Path[];
  select: string;
  filter?: Condition;
  limit?: number;
  consistent: boolean;
}

function checkLimit(limit: unknown): number | undefined {
  if (limit === undefined || limit === null) return undefined;
  const n = Number(limit);
  if (!(n >= 1)) throw validationError(`1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  return n;
}

function readPlan(table: TableRecord, input: Input, attrs: ExpressionAttributes, filterKind: "Query" | "Scan"): ReadPlan {
  checkEnum(input.Select, ["ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"], "select");
  const limit = checkLimit(input.Limit);
  const ix = input.IndexName !== undefined && input.IndexName !== null ? findIndex(table, input.IndexName) : undefined;
  const consistent = input.ConsistentRead === true;
  if (consistent && ix?.global) throw validationError("Consistent reads are not supported on global secondary indexes");
  const projection = readProjection(input, attrs);
  let select = input.Select ?? (projection ? "SPECIFIC_ATTRIBUTES" : ix ? "ALL_PROJECTED_ATTRIBUTES" : "ALL_ATTRIBUTES");
  if (projection && select !== "SPECIFIC_ATTRIBUTES") {
    throw validationError(
      input.ProjectionExpression
        ? "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES".replace("ALL_ATTRIBUTES", select)
        : `Cannot specify the AttributesToGet when choosing to get ${select}`,
    );
  }
  if (select === "SPECIFIC_ATTRIBUTES" && !projection) {
    throw validationError("Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES");
  }
  if (select === "ALL_PROJECTED_ATTRIBUTES" && !ix) throw validationError("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
  if (select === "ALL_ATTRIBUTES" && ix?.global && ix.index.Projection.ProjectionType !== "ALL") {
    throw invalid(`Select type ALL_ATTRIBUTES is not supported for global secondary index ${ix.index.IndexName} because its projection type is not ALL`);
  }
  // An LSI read asking for attributes outside the index's projection fetches them from the
  // table, as AWS does (GSIs cannot); index entries hold whole items, so that is a no-op here.
  const fetchFromTable = ix !== undefined && !ix.global && (select === "ALL_ATTRIBUTES" || select === "SPECIFIC_ATTRIBUTES");
  if (select === "ALL_PROJECTED_ATTRIBUTES") select = "ALL_ATTRIBUTES";
  let filter: Condition | undefined;
  if (input.FilterExpression !== undefined && input.FilterExpression !== null) filter = parseFilter(input.FilterExpression, attrs);
  else filter = filterToCondition(filterKind === "Query" ? input.QueryFilter : input.ScanFilter, input.ConditionalOperator);
  return { table, ...(ix ? { index: ix.index } : {}), global: ix?.global ?? false, fetchFromTable, ...(projection ? { projection } : {}), select, ...(filter ? { filter } : {}), ...(limit !== undefined ? { limit } : {}), consistent };
}

/** The key attributes LastEvaluatedKey carries: the table's key, plus the index's for an index read. */
function lastKeyOf(plan: ReadPlan, item: Item): Item {
  const names = [...plan.table.KeySchema, ...(plan.index?.KeySchema ?? [])].map((k) => k.AttributeName);
  return pick(item, names) ?? {};
}

/** The storage key to continue after, from ExclusiveStartKey. */
function startKey(plan: ReadPlan, raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const esk = validateItem(raw);
  const needed = [...plan.table.KeySchema, ...(plan.index?.KeySchema ?? [])].map((k) => k.AttributeName);
  const uniq = [...new Set(needed)];
  if (Object.keys(esk).length !== uniq.length || uniq.some((n) => esk[n] === undefined)) {
    throw validationError("The provided starting key is invalid: The provided key element does not match the schema");
  }
  for (const n of uniq) {
    const t = attributeType(plan.table, n)!;
    if (!(t in esk[n]!)) throw validationError("The provided starting key is invalid: The provided key element does not match the schema");
  }
  const tableKey = itemStorageKey(plan.table, esk);
  return plan.index ? indexStorageKey(plan.table, plan.index, esk, tableKey)! : tableKey;
}

interface PageResult {
  items: Item[];
  count: number;
  scanned: number;
  bytes: number;
  last?: Item;
}

/**
 * Reads one page: entries in `range` in key order (or reverse), at most Limit evaluated and at
 * most 1 MB of evaluated item data, then the filter, then the projection.
 */
async function readPage(ctx: RequestContext, plan: ReadPlan, range: ListOptions, accept?: (storageKey: string, item: Item) => boolean): Promise<PageResult> {
  const source = plan.index ? indexTable(ctx.storage.metadata, ctx.scope, plan.table, plan.index.IndexName) : itemsTable(ctx.storage.metadata, ctx.scope, plan.table);
  const out: PageResult = { items: [], count: 0, scanned: 0, bytes: 0 };
  let cursor: ListOptions = { ...range };
  const reverse = range.reverse === true;
  for (;;) {
    const want = plan.limit !== undefined ? Math.min(plan.limit - out.scanned, 1000) : 1000;
    if (want <= 0) break;
    const rows = await source.list({ ...cursor, limit: want });
    let stop = false;
    for (const row of rows) {
      let item = fromStored(row.value);
      if (accept && !accept(row.key, item)) continue;
      if (plan.index && !plan.fetchFromTable) item = projectForIndex(plan.table, plan.index, item);
      out.scanned++;
      const size = itemSize(item);
      out.bytes += size;
      out.last = item;
      if (!plan.filter || evaluateCondition(plan.filter, item)) {
        out.count++;
        if (plan.select !== "COUNT") out.items.push(plan.projection ? project(item, plan.projection) : item);
      }
      if ((plan.limit !== undefined && out.scanned >= plan.limit) || out.bytes >= MAX_PAGE_BYTES) {
        stop = true;
        break;
      }
    }
    if (stop) return out;
    if (rows.length < want) {
      delete out.last; // the range is exhausted: no LastEvaluatedKey
      return out;
    }
    const lastRow = rows[rows.length - 1]!.key;
    cursor = reverse ? { ...cursor, before: lastRow } : { ...cursor, after: lastRow };
  }
  return out;
}

function pageOutput(plan: ReadPlan, page: PageResult, input: Input) {
  const tally = new Tally(plan.table);
  const units = readCapacityUnits(page.bytes, { consistent: plan.consistent });
  if (plan.index) tally.index(plan.index.IndexName, plan.global, units, 0);
  else tally.read += units;
  const cc = consumedCapacity(input.ReturnConsumedCapacity, tally);
  return {
    tally,
    output: {
      ...(plan.select !== "COUNT" ? { Items: page.items } : {}),
      Count: page.count,
      ScannedCount: page.scanned,
      ...(page.last ? { LastEvaluatedKey: lastKeyOf(plan, page.last) } : {}),
      ...(cc ? { ConsumedCapacity: cc } : {}),
    },
  };
}

const Query = async (ctx: RequestContext, input: Input) => {
  checkParameterStyle(input, PARAMETER_STYLES.Query);
  checkReturnConsumedCapacity(input.ReturnConsumedCapacity);
  const table = await requireTableForItems(ctx, input.TableName);
  const attrs = trackUsage(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
  const plan = readPlan(table, input, attrs, "Query");
  const schema = plan.index?.KeySchema ?? table.KeySchema;
  const keySchema = {
    partitionKey: hashKeyOf(schema),
    ...(rangeKeyOf(schema) ? { sortKey: rangeKeyOf(schema)! } : {}),
    attributeTypes: Object.fromEntries(table.AttributeDefinitions.map((d) => [d.AttributeName, d.AttributeType])),
  };
  let keyPlan: KeyConditionPlan;
  if (input.KeyConditionExpression !== undefined && input.KeyConditionExpression !== null) keyPlan = parseKeyCondition(input.KeyConditionExpression, attrs, keySchema);
  else if (input.KeyConditions) keyPlan = keyConditionsToPlan(input.KeyConditions, keySchema);
  else throw validationError("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.");
  attrs.assertAllUsed();
  if (plan.filter && input.FilterExpression) {
    for (const k of schema) {
      if (filterMentions(plan.filter, k.AttributeName)) {
        throw validationError(`Filter Expression can only contain non-primary key attributes: Primary key attribute: ${k.AttributeName}`);
      }
    }
  }
  admit(ctx, table, "read");

  const base = encodeKeyValue(keyPlan.partitionKey.value);
  const range: ListOptions = { reverse: input.ScanIndexForward === false };
  const sk = keyPlan.sortKey;
  if (!sk) range.prefix = base;
  else if (sk.op === "begins_with") range.prefix = base + encodeKeyPrefix(sk.prefix);
  else {
    range.prefix = base;
    const lower = sk.op === "BETWEEN" ? { v: sk.lower, inc: true } : sk.op === ">" ? { v: sk.value, inc: false } : sk.op === ">=" || sk.op === "=" ? { v: sk.value, inc: true } : undefined;
    const upper = sk.op === "BETWEEN" ? { v: sk.upper, inc: true } : sk.op === "<" ? { v: sk.value, inc: false } : sk.op === "<=" || sk.op === "=" ? { v: sk.value, inc: true } : undefined;
    if (sk.op === "BETWEEN" && encodeKeyValue(sk.lower) > encodeKeyValue(sk.upper)) {
      throw validationError(
        `Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {${typeOf(sk.lower)}:${Object.values(sk.lower)[0]}}, upper bound operand: AttributeValue: {${typeOf(sk.upper)}:${Object.values(sk.upper)[0]}}`,
      );
    }
    if (lower) range.from = lower.inc ? base + encodeKeyValue(lower.v) : successor(base + encodeKeyValue(lower.v));
    if (upper) range.before = upper.inc ? successor(base + encodeKeyValue(upper.v)) : base + encodeKeyValue(upper.v);
  }
  const start = startKey(plan, input.ExclusiveStartKey);
  if (start !== undefined) {
    if (range.reverse) range.before = range.before !== undefined && range.before < start ? range.before : start;
    else range.after = start;
  }
  const page = await readPage(ctx, plan, range);
  const { tally, output } = pageOutput(plan, page, input);
  charge(ctx, table, tally.total(), 0);
  return output;
};

/** Whether a condition reads the top-level attribute `name` (paths only, never values). */
function filterMentions(c: Condition, name: string): boolean {
  const operand = (o: Operand): boolean => {
    switch (o.kind) {
      case "path":
      case "size":
        return o.path[0] === name;
      case "value":
        return false;
      case "if_not_exists":
        return o.path[0] === name || operand(o.fallback);
      case "list_append":
        return operand(o.first) || operand(o.second);
      case "arithmetic":
        return operand(o.left) || operand(o.right);
    }
  };
  switch (c.kind) {
    case "compare":
      return operand(c.left) || operand(c.right);
    case "between":
      return operand(c.operand) || operand(c.lower) || operand(c.upper);
    case "in":
      return operand(c.operand) || c.candidates.some(operand);
    case "and":
    case "or":
      return filterMentions(c.left, name) || filterMentions(c.right, name);
    case "not":
      return filterMentions(c.condition, name);
    case "attribute_exists":
    case "attribute_not_exists":
    case "attribute_type":
      return c.path[0] === name;
    case "begins_with":
      return operand(c.operand) || operand(c.prefix);
    case "contains":
      return operand(c.operand) || operand(c.value);
  }
}

/** Which parallel-scan segment an entry belongs to: a hash of its partition key. */
function segmentOf(storageKey: string, item: Item, plan: ReadPlan, total: number): number {
  const pk = hashKeyOf(plan.index?.KeySchema ?? plan.table.KeySchema);
  const v = item[pk];
  const h = createHash("md5").update(v ? encodeKeyValue(v) : storageKey).digest();
  return h.readUInt32BE(0) % total;
}

const Scan = async (ctx: RequestContext, input: Input) => {
  checkParameterStyle(input, PARAMETER_STYLES.Scan);
  checkReturnConsumedCapacity(input.ReturnConsumedCapacity);
  const seg = input.Segment;
  const total = input.TotalSegments;
  if ((seg === undefined) !== (total === undefined)) {
    throw validationError(
      seg === undefined
        ? "The TotalSegments parameter is non-null, but the Segment parameter is null"
        : "The Segment parameter is non-null, but the TotalSegments parameter is null",
    );
  }
  if (total !== undefined) {
    if (total < 1 || total > 1000000) {
      throw validationError(`1 validation error detected: Value '${total}' at 'totalSegments' failed to satisfy constraint: Member must have value ${total < 1 ? "greater than or equal to 1" : "less than or equal to 1000000"}`);
    }
    if (seg < 0 || seg >= total) throw validationError(`The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: ${seg} is not less than TotalSegments: ${total}`);
  }
  const table = await requireTableForItems(ctx, input.TableName);
  const attrs = trackUsage(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
  const plan = readPlan(table, input, attrs, "Scan");
  attrs.assertAllUsed();
  admit(ctx, table, "read");
  const range: ListOptions = {};
  const start = startKey(plan, input.ExclusiveStartKey);
  if (start !== undefined) range.after = start;
  const accept = total !== undefined && total > 1 ? (key: string, item: Item) => segmentOf(key, item, plan, total) === seg : undefined;
  const page = await readPage(ctx, plan, range, accept);
  const { tally, output } = pageOutput(plan, page, input);
  charge(ctx, table, tally.total(), 0);
  return output;
};

// ---------------------------------------------------------------------------------------------
// Batches

const BatchGetItem = async (ctx: RequestContext, input: Input) => {
  checkReturnConsumedCapacity(input.ReturnConsumedCapacity);
  const requests = Object.entries((input.RequestItems ?? {}) as Record<string, Input>);
  if (requests.length === 0) {
    throw validationError("1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
  }
  const totalKeys = requests.reduce((n, [, r]) => n + (r.Keys?.length ?? 0), 0);
  if (totalKeys > 100) throw validationError("Too many items requested for the BatchGetItem call");
  const prepared: { table: TableRecord; name: string; keys: Item[]; projection?: Path[]; consistent: boolean; request: Input }[] = [];
  for (const [name, r] of requests) {
    checkParameterStyle(r, PARAMETER_STYLES.GetItem);
    const table = await requireTableForItems(ctx, name);
    const keys = ((r.Keys ?? []) as unknown[]).map((k) => validateKey(table, k));
    const seen = new Set(keys.map((k) => itemStorageKey(table, k)));
    if (seen.size !== keys.length) throw validationError("Provided list of item keys contains duplicates");
    const attrs = trackUsage(r.ExpressionAttributeNames, undefined);
    const projection = readProjection(r, attrs);
    attrs.assertAllUsed();
    prepared.push({ table, name, keys, ...(projection ? { projection } : {}), consistent: r.ConsistentRead === true, request: r });
  }
  const responses: Record<string, Item[]> = {};
  const unprocessed: Record<string, Input> = {};
  const consumed: unknown[] = [];
  let bytes = 0;
  for (const p of prepared) {
    const tally = new Tally(p.table);
    const found: Item[] = [];
    const left: Item[] = [];
    for (const key of p.keys) {
      // 16 MB per response: keys past it come back as UnprocessedKeys.
      if (bytes >= 16 * 1024 * 1024) {
        left.push(key);
        continue;
      }
      let item = await readItem(ctx.storage.metadata, ctx.scope, p.table, key);
      if (!p.consistent) item = staleRead(ctx, p.table, itemStorageKey(p.table, key), item);
      tally.read += readCapacityUnits(itemSize(item), { consistent: p.consistent });
      if (item) {
        bytes += itemSize(item);
        found.push(p.projection ? project(item, p.projection) : item);
      }
    }
    responses[p.name] = found;
    if (left.length) unprocessed[p.name] = { ...p.request, Keys: left };
    charge(ctx, p.table, tally.read, 0);
    const cc = consumedCapacity(input.ReturnConsumedCapacity, tally);
    if (cc) consumed.push(cc);
  }
  return { Responses: responses, UnprocessedKeys: unprocessed, ...(consumed.length ? { ConsumedCapacity: consumed } : {}) };
};

const BatchWriteItem = async (ctx: RequestContext, input: Input) => {
  checkReturnConsumedCapacity(input.ReturnConsumedCapacity);
  const requests = Object.entries((input.RequestItems ?? {}) as Record<string, Input[]>);
  if (requests.length === 0) {
    throw validationError("1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
  }
  const total = requests.reduce((n, [, r]) => n + r.length, 0);
  if (total > 25) {
    throw validationError(
      `1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]`,
    );
  }
  const ops: { table: TableRecord; put?: Item; key: Item }[] = [];
  for (const [name, list] of requests) {
    const table = await requireTableForItems(ctx, name);
    const seen = new Set<string>();
    for (const r of list) {
      const hasPut = r.PutRequest !== undefined && r.PutRequest !== null;
      const hasDel = r.DeleteRequest !== undefined && r.DeleteRequest !== null;
      if (hasPut === hasDel) throw validationError("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes");
      const op = hasPut ? { table, put: validatePutItem(table, r.PutRequest.Item), key: {} as Item } : { table, key: validateKey(table, r.DeleteRequest.Key) };
      if (op.put) op.key = keyOf(table, op.put);
      const sk = itemStorageKey(table, op.key);
      if (seen.has(sk)) throw validationError("Provided list of item keys contains duplicates");
      seen.add(sk);
      ops.push(op);
    }
  }
  for (const op of ops) admit(ctx, op.table, "write");
  // Held while written, so a TransactGetItems of these items meanwhile is cancelled (in-flight.ts).
  const release = hold(ctx.storage.metadata, ops.map((op) => flightKey(ctx.scope, op.table, op.key)), "write");
  const olds = await writeItems(ctx.storage.metadata, ctx.scope, ctx.clock.nowMs(), async (w: ItemWriter) => {
    const before: (Item | undefined)[] = [];
    for (const op of ops) {
      before.push(await w.get(op.table, op.key));
      if (op.put) w.put(op.table, op.put);
      else w.delete(op.table, op.key);
    }
    return before;
  }).finally(release);
  const tallies = new Map<string, Tally>();
  ops.forEach((op, i) => {
    let t = tallies.get(op.table.TableName);
    if (!t) tallies.set(op.table.TableName, (t = new Tally(op.table)));
    tallyWrite(t, op.table, olds[i], op.put);
  });
  const consumed: unknown[] = [];
  for (const t of tallies.values()) {
    charge(ctx, t.table, 0, t.total());
    const cc = consumedCapacity(input.ReturnConsumedCapacity, t);
    if (cc) consumed.push(cc);
  }
  return { UnprocessedItems: {}, ...(consumed.length ? { ConsumedCapacity: consumed } : {}) };
};

// ---------------------------------------------------------------------------------------------
// Transactions

interface TokenRecord {
  hash: string;
  expiresMs: number;
  output: unknown;
}
/** ClientRequestToken idempotency, per account+region, for 10 minutes (in memory). */
const tokens = new Map<string, TokenRecord>();
const TOKEN_TTL_MS = 10 * 60 * 1000;

type TransactAction =
  | { kind: "Put"; table: TableRecord; key: Item; item: Item; condition?: Condition; returnOld: boolean }
  | { kind: "Update"; table: TableRecord; key: Item; prepared: PreparedUpdate; returnOld: boolean }
  | { kind: "Delete"; table: TableRecord; key: Item; condition?: Condition; returnOld: boolean }
  | { kind: "ConditionCheck"; table: TableRecord; key: Item; condition: Condition; returnOld: boolean };

function cancelled(reasons: { Code: string; Message?: string; Item?: Item }[]): ServiceError {
  return new ServiceError(
    DynamoDBErrors.TransactionCanceledException,
    `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(", ")}]`,
    { CancellationReasons: reasons },
  );
}

/**
 * Cancels a transaction some of whose items (`conflicting`, by position) another request is
 * writing: reason TransactionConflict for those, None for the rest, each counted in the metric.
 */
function refuseConflicts(ctx: RequestContext, itemTables: TableRecord[], conflicting: boolean[]): void {
  if (!conflicting.some(Boolean)) return;
  conflicting.forEach((c, i) => {
    if (c) recordTransactionConflict(ctx, itemTables[i]!);
  });
  throw cancelled(conflicting.map((c) => (c ? { Code: "TransactionConflict", Message: "Transaction is ongoing for the item" } : { Code: "None" })));
}

async function prepareTransactAction(ctx: RequestContext, raw: Input): Promise<TransactAction> {
  const kinds = ["Put", "Update", "Delete", "ConditionCheck"].filter((k) => raw[k] !== undefined && raw[k] !== null);
  if (kinds.length !== 1) throw validationError("TransactItems can only contain one of Check, Put, Update or Delete");
  const kind = kinds[0] as TransactAction["kind"];
  const r = raw[kind];
  const table = await requireTableForItems(ctx, r.TableName);
  const returnOld = checkRvOnFailure(r.ReturnValuesOnConditionCheckFailure);
  const attrsFor = () => trackUsage(r.ExpressionAttributeNames, r.ExpressionAttributeValues);
  const condOf = (attrs: ExpressionAttributes) =>
    r.ConditionExpression !== undefined && r.ConditionExpression !== null ? parseCondition(r.ConditionExpression, attrs) : undefined;
  switch (kind) {
    case "Put": {
      const item = validatePutItem(table, r.Item);
      const attrs = attrsFor();
      const condition = condOf(attrs);
      attrs.assertAllUsed();
      return { kind, table, key: keyOf(table, item), item, ...(condition ? { condition } : {}), returnOld };
    }
    case "Update": {
      if (r.UpdateExpression === undefined) throw validationError("1 validation error detected: Value null at 'transactItems.1.member.update.updateExpression' failed to satisfy constraint: Member must not be null");
      const prepared = prepareUpdate(table, r);
      return { kind, table, key: prepared.key, prepared, returnOld };
    }
    case "Delete": {
      const key = validateKey(table, r.Key);
      const attrs = attrsFor();
      const condition = condOf(attrs);
      attrs.assertAllUsed();
      return { kind, table, key, ...(condition ? { condition } : {}), returnOld };
    }
    case "ConditionCheck": {
      const key = validateKey(table, r.Key);
      const attrs = attrsFor();
      const condition = condOf(attrs);
      attrs.assertAllUsed();
      if (!condition) throw validationError("The ConditionExpression of a ConditionCheck cannot be empty");
      return { kind, table, key, condition, returnOld };
    }
  }
}

const TransactWriteItems = async (ctx: RequestContext, input: Input) => {
  checkReturnConsumedCapacity(input.ReturnConsumedCapacity);
  const items = (input.TransactItems ?? []) as Input[];
  if (items.length === 0 || items.length > 100) {
    throw validationError(
      `1 validation error detected: Value '[${items.length} items]' at 'transactItems' failed to satisfy constraint: Member must have length ${items.length === 0 ? "greater than or equal to 1" : "less than or equal to 100"}`,
    );
  }
  const token = input.ClientRequestToken as string | undefined;
  const tokenKey = token !== undefined ? `${ctx.account}/${ctx.region}/${token}` : undefined;
  const hash = createHash("sha256").update(JSON.stringify({ ...input, ClientRequestToken: undefined }, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString("base64") : v))).digest("hex");
  const now = ctx.clock.nowMs();
  if (tokenKey) {
    const seen = tokens.get(tokenKey);
    if (seen && seen.expiresMs > now) {
      if (seen.hash !== hash) throw new ServiceError(DynamoDBErrors.IdempotentParameterMismatchException, "The request uses the same client token as a previous, but non-identical request.");
      return seen.output;
    }
  }
  const actions: TransactAction[] = [];
  for (const raw of items) actions.push(await prepareTransactAction(ctx, raw));
  const seen = new Set<string>();
  for (const a of actions) {
    const k = a.table.TableId + "\u0000" + itemStorageKey(a.table, a.key);
    if (seen.has(k)) throw validationError("Transaction request cannot include multiple operations on one item");
    seen.add(k);
  }
  for (const a of actions) admit(ctx, a.table, "write");
  // Another TransactWriteItems still writing one of these items cancels this one (in-flight.ts).
  const keys = actions.map((a) => flightKey(ctx.scope, a.table, a.key));
  refuseConflicts(
    ctx,
    actions.map((a) => a.table),
    keys.map((k) => (heldBy(ctx.storage.metadata, k)?.transaction ?? 0) > 0),
  );
  const release = hold(ctx.storage.metadata, keys, "transaction");
  const results = await writeItems(ctx.storage.metadata, ctx.scope, now, async (w) => {
    const olds: (Item | undefined)[] = [];
    const nexts: (Item | undefined)[] = [];
    const reasons: { Code: string; Message?: string; Item?: Item }[] = [];
    let failed = false;
    for (const a of actions) {
      const current = await w.get(a.table, a.key);
      olds.push(current);
      const condition = a.kind === "Update" ? a.prepared.condition : a.condition;
      if (condition && !evaluateCondition(condition, current)) {
        failed = true;
        reasons.push({ Code: "ConditionalCheckFailed", Message: "The conditional request failed", ...(a.returnOld && current ? { Item: current } : {}) });
        nexts.push(undefined);
        continue;
      }
      if (a.kind === "Update") {
        try {
          nexts.push(updatedItem(a.table, a.prepared, current));
        } catch (e) {
          failed = true;
          reasons.push({ Code: "ValidationError", Message: (e as Error).message });
          nexts.push(undefined);
          continue;
        }
      } else nexts.push(a.kind === "Put" ? a.item : undefined);
      reasons.push({ Code: "None" });
    }
    if (failed) throw cancelled(reasons);
    actions.forEach((a, i) => {
      if (a.kind === "Put" || a.kind === "Update") w.put(a.table, nexts[i]!);
      else if (a.kind === "Delete") w.delete(a.table, a.key);
    });
    return { olds, nexts };
  }).finally(release);
  const tallies = new Map<string, Tally>();
  actions.forEach((a, i) => {
    let t = tallies.get(a.table.TableName);
    if (!t) tallies.set(a.table.TableName, (t = new Tally(a.table)));
    if (a.kind === "ConditionCheck") t.read += readCapacityUnits(itemSize(results.olds[i]), { transactional: true });
    else tallyWrite(t, a.table, results.olds[i], results.nexts[i], true);
  });
  const consumed: unknown[] = [];
  for (const t of tallies.values()) {
    charge(ctx, t.table, t.read, t.total() - t.read);
    const cc = consumedCapacity(input.ReturnConsumedCapacity, t);
    if (cc) consumed.push(cc);
  }
  const output = { ...(consumed.length ? { ConsumedCapacity: consumed } : {}) };
  if (tokenKey) {
    for (const [k, v] of tokens) if (v.expiresMs <= now) tokens.delete(k);
    tokens.set(tokenKey, { hash, expiresMs: now + TOKEN_TTL_MS, output });
  }
  return output;
};

const TransactGetItems = async (ctx: RequestContext, input: Input) => {
  checkReturnConsumedCapacity(input.ReturnConsumedCapacity);
  const items = (input.TransactItems ?? []) as Input[];
  if (items.length === 0 || items.length > 100) {
    throw validationError(
      `1 validation error detected: Value '[${items.length} items]' at 'transactItems' failed to satisfy constraint: Member must have length ${items.length === 0 ? "greater than or equal to 1" : "less than or equal to 100"}`,
    );
  }
  const gets: { table: TableRecord; key: Item; projection?: Path[] }[] = [];
  for (const raw of items) {
    const g = raw.Get;
    const table = await requireTableForItems(ctx, g.TableName);
    const key = validateKey(table, g.Key);
    const attrs = trackUsage(g.ExpressionAttributeNames, undefined);
    const projection = g.ProjectionExpression ? (parseProjection(g.ProjectionExpression, attrs).paths as Path[]) : undefined;
    attrs.assertAllUsed();
    gets.push({ table, key, ...(projection ? { projection } : {}) });
  }
  // An item some write is still writing cancels the read (in-flight.ts).
  refuseConflicts(
    ctx,
    gets.map((g) => g.table),
    gets.map((g) => {
      const h = heldBy(ctx.storage.metadata, flightKey(ctx.scope, g.table, g.key));
      return h !== undefined && (h.transaction > 0 || h.write > 0);
    }),
  );
  // One transaction: every read sees the same committed state.
  const found = await ctx.storage.metadata.transaction(async (tx) => {
    const out: (Item | undefined)[] = [];
    for (const g of gets) out.push(await readItem(tx, ctx.scope, g.table, g.key));
    return out;
  });
  const tallies = new Map<string, Tally>();
  gets.forEach((g, i) => {
    let t = tallies.get(g.table.TableName);
    if (!t) tallies.set(g.table.TableName, (t = new Tally(g.table)));
    t.read += readCapacityUnits(itemSize(found[i]), { transactional: true });
  });
  const consumed: unknown[] = [];
  for (const t of tallies.values()) {
    charge(ctx, t.table, t.read, 0);
    const cc = consumedCapacity(input.ReturnConsumedCapacity, t);
    if (cc) consumed.push(cc);
  }
  return {
    Responses: gets.map((g, i) => (found[i] ? { Item: g.projection ? project(found[i]!, g.projection) : found[i] } : {})),
    ...(consumed.length ? { ConsumedCapacity: consumed } : {}),
  };
};

export const itemHandlers = {
  PutItem,
  GetItem,
  UpdateItem,
  DeleteItem,
  Query,
  Scan,
  BatchGetItem,
  BatchWriteItem,
  TransactWriteItems,
  TransactGetItems,
};

export type { AttributeMap, AttributeValue };
