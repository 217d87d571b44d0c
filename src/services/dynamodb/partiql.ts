/**
 * PartiQL handlers: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction. Statements are
 * parsed by partiql/parser.ts into the expression library's trees, planned by partiql/planner.ts
 * (a SELECT with a partition-key equality reads one partition, as a Query; otherwise it scans),
 * and run on table-store.ts (reads from the item and index tables, writes through `writeItems`,
 * so indexes, stats, streams and replication see PartiQL writes like any other).
 *
 * ## Gaps
 * - SELECT narrows reads to the partition and one sort-key condition (=, <, <=, >, >=, BETWEEN,
 *   begins_with) of its top AND level; other conditions filter what that range reads.
 * - No `EXISTS(...)` in transactions and no functions beyond begins_with, contains,
 *   attribute_type, size, IS [NOT] MISSING / NULL.
 * - ExecuteTransaction idempotency tokens are remembered in memory (10 minutes), not across restarts.
 */
import { createHash } from "node:crypto";
import { ServiceError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import type { Item } from "./attribute-value.js";
import { admit, charge, checkReturnConsumedCapacity, consumedCapacity, Tally } from "./capacity.js";
import { DynamoDBErrors, validationError } from "./errors.js";
import { evaluateCondition } from "./expressions/condition.js";
import { project } from "./expressions/projection.js";
import { applyUpdate } from "./expressions/update.js";
import type { Path } from "./expressions/ast.js";
import { checkItemSize, itemSize, readCapacityUnits, writeCapacityUnits } from "./item-size.js";
import { encodeKeyPrefix, encodeKeyValue, successor } from "./key-encoding.js";
import { projectForIndex, validateKey, validatePutItem } from "./item-operations.js";
import type { Statement } from "./partiql/ast.js";
import { parseStatement } from "./partiql/parser.js";
import { MISSING_KEY_EQUALITY, keyFromWhere, planSelect } from "./partiql/planner.js";
import { requireTable } from "./table-operations.js";
import {
  attributeType,
  fromStored,
  hashKeyOf,
  indexTable,
  itemStorageKey,
  itemsTable,
  keyOf,
  rangeKeyOf,
  writeItems,
  type IndexRecord,
  type ItemWriter,
  type TableRecord,
} from "./table-store.js";
import type { KeySchema } from "./expressions/key-condition.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- request shapes are checked by the gateway against the model
type Input = any;

const PAGE_BYTES = 1024 * 1024;

function schemaOf(table: TableRecord, keySchema = table.KeySchema): KeySchema {
  const partitionKey = hashKeyOf(keySchema);
  const sortKey = rangeKeyOf(keySchema);
  const attributeTypes: Record<string, "S" | "N" | "B"> = {};
  for (const name of [partitionKey, sortKey]) {
    if (name === undefined) continue;
    const t = attributeType(table, name);
    if (t) attributeTypes[name] = t;
  }
  return { partitionKey, ...(sortKey !== undefined ? { sortKey } : {}), attributeTypes };
}

function findIndex(table: TableRecord, name: string): { index: IndexRecord; global: boolean } {
  const lsi = table.LocalSecondaryIndexes?.find((i) => i.IndexName === name);
  if (lsi) return { index: lsi, global: false };
  const gsi = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === name);
  if (gsi) return { index: gsi, global: true };
  throw validationError(`The table does not have the specified index: ${name}`);
}

function checkReturnValuesOnFailure(v: unknown): boolean {
  if (v !== undefined && v !== "NONE" && v !== "ALL_OLD") {
    throw validationError(
      `1 validation error detected: Value '${String(v)}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`,
    );
  }
  return v === "ALL_OLD";
}

function conditionFailed(old: Item | undefined, returnOld: boolean): ServiceError {
  return new ServiceError(DynamoDBErrors.ConditionalCheckFailedException, undefined, returnOld && old ? { Item: old } : undefined);
}

// ---------------------------------------------------------------------------------------------
// SELECT

interface NextTokenState {
  /** Last storage key read. */
  k: string;
  /** Hash of the statement and parameters (a token only resumes its own statement). */
  h: string;
}

function statementHash(input: Input): string {
  return createHash("sha256")
    .update(JSON.stringify([input.Statement, input.Parameters ?? []], (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString("base64") : v)))
    .digest("base64url")
    .slice(0, 16);
}

function decodeNextToken(token: string, hash: string): string {
  try {
    const s = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as NextTokenState;
    if (typeof s.k === "string" && s.h === hash) return s.k;
  } catch {
    // fall through
  }
  throw validationError("Given NextToken is not valid");
}

async function runSelect(ctx: RequestContext, stmt: Extract<Statement, { kind: "SELECT" }>, input: Input) {
  const table = await requireTable(ctx, stmt.table);
  const consistent = input.ConsistentRead === true;
  const idx = stmt.index !== undefined ? findIndex(table, stmt.index) : undefined;
  if (idx?.global && consistent) throw validationError("Consistent reads are not supported on global secondary indexes");
  const schema = schemaOf(table, idx ? idx.index.KeySchema : table.KeySchema);
  const plan = planSelect(stmt.where, schema);
  if (stmt.orderBy) {
    if (plan.kind !== "query") throw validationError("Must have WHERE clause in the statement when using ORDER BY clause.");
    const p = stmt.orderBy.path;
    if (p.length !== 1 || (p[0] !== schema.sortKey && p[0] !== schema.partitionKey)) {
      throw validationError("Variable reference " + String(p[0]) + " is not a key attribute; ORDER BY supports only key attributes");
    }
  }
  const limit: number | undefined = input.Limit;
  if (limit !== undefined && limit < 1) {
    throw validationError(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  }
  admit(ctx, table, "read");
  const hash = statementHash(input);
  const resume = input.NextToken !== undefined ? decodeNextToken(input.NextToken, hash) : undefined;
  const descending = stmt.orderBy?.descending === true && stmt.orderBy.path[0] === schema.sortKey;
  const source = idx ? indexTable(ctx.storage.metadata, ctx.scope, table, idx.index.IndexName) : itemsTable(ctx.storage.metadata, ctx.scope, table);
  // The key range read: the partition, narrowed by the sort-key condition the planner found.
  const range: { prefix?: string; from?: string; before?: string } = {};
  if (plan.kind === "query") {
    const base = encodeKeyValue(plan.partitionKey.value);
    const sk = plan.sortKey;
    range.prefix = sk?.op === "begins_with" ? base + encodeKeyPrefix(sk.prefix) : base;
    if (sk && sk.op !== "begins_with") {
      const lower = sk.op === "BETWEEN" ? { v: sk.lower, inc: true } : sk.op === ">" ? { v: sk.value, inc: false } : sk.op === ">=" || sk.op === "=" ? { v: sk.value, inc: true } : undefined;
      const upper = sk.op === "BETWEEN" ? { v: sk.upper, inc: true } : sk.op === "<" ? { v: sk.value, inc: false } : sk.op === "<=" || sk.op === "=" ? { v: sk.value, inc: true } : undefined;
      if (lower) range.from = lower.inc ? base + encodeKeyValue(lower.v) : successor(base + encodeKeyValue(lower.v));
      if (upper) range.before = upper.inc ? successor(base + encodeKeyValue(upper.v)) : base + encodeKeyValue(upper.v);
    }
  }
  const listRange = (cursor: string | undefined) => {
    const o: { prefix?: string; from?: string; after?: string; before?: string; reverse?: boolean } = { ...range };
    if (descending) {
      o.reverse = true;
      if (cursor !== undefined) o.before = o.before !== undefined && o.before < cursor ? o.before : cursor;
    } else if (cursor !== undefined) {
      o.after = cursor;
      delete o.from;
    }
    return o;
  };

  const items: Item[] = [];
  let bytes = 0;
  let evaluated = 0;
  let lastKey: string | undefined;
  let more = false;
  let cursor = resume;
  const batch = 500;
  outer: for (;;) {
    const rows = await source.list({ ...listRange(cursor), limit: batch });
    for (const row of rows) {
      if ((limit !== undefined && evaluated >= limit) || bytes >= PAGE_BYTES) {
        more = true;
        break outer;
      }
      let item = fromStored(row.value);
      if (idx) item = projectForIndex(table, idx.index, item);
      evaluated++;
      bytes += itemSize(item);
      lastKey = row.key;
      if (stmt.where && !evaluateCondition(stmt.where, item)) continue;
      items.push(stmt.projection ? project(item, stmt.projection as Path[]) : item);
    }
    if (rows.length < batch) break;
    cursor = rows[rows.length - 1]!.key;
  }
  // A page that stopped exactly at the end still says "more" when a limit was hit: check.
  if (more === false && limit !== undefined && evaluated >= limit && lastKey !== undefined) {
    const after = await source.list({ ...listRange(lastKey), limit: 1 });
    more = after.length > 0;
  }
  const tally = new Tally(table);
  const units = readCapacityUnits(bytes, { consistent });
  if (idx) tally.index(idx.index.IndexName, idx.global, units, 0);
  else tally.read += units;
  charge(ctx, table, tally.total(), 0);
  const cc = consumedCapacity(input.ReturnConsumedCapacity, tally);
  return {
    Items: items,
    ...(more && lastKey !== undefined ? { NextToken: Buffer.from(JSON.stringify({ k: lastKey, h: hash })).toString("base64url") } : {}),
    ...(cc ? { ConsumedCapacity: cc } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Writes: prepared outside the write, checked and applied inside it

interface PreparedWrite {
  table: TableRecord;
  key: Item;
  /** Applies the statement through `w`; throws ConditionalCheckFailed / DuplicateItem. Returns Items. */
  apply(w: ItemWriter, returnOld: boolean): Promise<{ items: Item[]; before?: Item; after?: Item }>;
}

function duplicateItem(): ServiceError {
  return new ServiceError(DynamoDBErrors.DuplicateItemException, "Duplicate primary key exists in table");
}

function returned(mode: string | undefined, before: Item | undefined, after: Item | undefined, touched: Set<string>): Item[] {
  switch (mode) {
    case "ALL_OLD":
      return before ? [before] : [];
    case "ALL_NEW":
      return after ? [after] : [];
    case "MODIFIED_OLD":
    case "MODIFIED_NEW": {
      const src = mode === "MODIFIED_OLD" ? before : after;
      if (!src) return [];
      const out: Item = {};
      for (const k of Object.keys(src)) if (touched.has(k)) out[k] = src[k]!;
      return [out];
    }
    default:
      return [];
  }
}

async function prepareWrite(ctx: RequestContext, stmt: Exclude<Statement, { kind: "SELECT" }>): Promise<PreparedWrite> {
  const table = await requireTable(ctx, stmt.table);
  const schema = schemaOf(table);
  switch (stmt.kind) {
    case "INSERT": {
      const item = validatePutItem(table, stmt.item);
      const key = keyOf(table, item);
      return {
        table,
        key,
        async apply(w) {
          if (await w.get(table, key)) throw duplicateItem();
          w.put(table, item);
          return { items: [], after: item };
        },
      };
    }
    case "UPDATE": {
      const key = validateKey(table, keyFromWhere(stmt.where, schema));
      const keyNames = new Set(table.KeySchema.map((k) => k.AttributeName));
      const touched = new Set<string>();
      for (const a of stmt.actions) {
        const top = a.path[0];
        if (typeof top === "string") {
          if (keyNames.has(top)) throw validationError(`Cannot update attribute ${top}. This attribute is part of the key`);
          touched.add(top);
        }
      }
      return {
        table,
        key,
        async apply(w, returnOld) {
          const before = await w.get(table, key);
          if (!before || !evaluateCondition(stmt.where, before)) throw conditionFailed(before, returnOld);
          const after = applyUpdate(before, { actions: stmt.actions, source: "expression" });
          checkItemSize(after, true);
          w.put(table, after);
          return { items: returned(stmt.returning, before, after, touched), before, after };
        },
      };
    }
    case "DELETE": {
      const key = validateKey(table, keyFromWhere(stmt.where, schema));
      return {
        table,
        key,
        async apply(w, returnOld) {
          const before = await w.get(table, key);
          if (!before || !evaluateCondition(stmt.where, before)) throw conditionFailed(before, returnOld);
          w.delete(table, key);
          return { items: returned(stmt.returning === "ALL_OLD" ? "ALL_OLD" : undefined, before, undefined, new Set()), before };
        },
      };
    }
  }
}

function writeUnits(before: Item | undefined, after: Item | undefined): number {
  return writeCapacityUnits(Math.max(itemSize(before), itemSize(after)));
}

async function runWrite(ctx: RequestContext, stmt: Exclude<Statement, { kind: "SELECT" }>, input: Input) {
  const returnOld = checkReturnValuesOnFailure(input.ReturnValuesOnConditionCheckFailure);
  const prepared = await prepareWrite(ctx, stmt);
  admit(ctx, prepared.table, "write");
  const result = await writeItems(ctx.storage.metadata, ctx.scope, ctx.clock.nowMs(), (w) => prepared.apply(w, returnOld));
  const tally = new Tally(prepared.table);
  tally.write += writeUnits(result.before, result.after);
  charge(ctx, prepared.table, 0, tally.total());
  const cc = consumedCapacity(input.ReturnConsumedCapacity, tally);
  return { Items: result.items, ...(cc ? { ConsumedCapacity: cc } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Handlers

const ExecuteStatement = async (ctx: RequestContext, input: Input) => {
  checkReturnConsumedCapacity(input.ReturnConsumedCapacity);
  const stmt = parseStatement(input.Statement, input.Parameters ?? []);
  if (stmt.kind === "SELECT") return runSelect(ctx, stmt, input);
  if (input.NextToken !== undefined) throw validationError("NextToken is not supported for DML statements");
  return runWrite(ctx, stmt, input);
};

const BATCH_CODES: Record<string, string> = {
  ConditionalCheckFailedException: "ConditionalCheckFailed",
  DuplicateItemException: "DuplicateItem",
  ValidationException: "ValidationError",
  ResourceNotFoundException: "ResourceNotFound",
  ProvisionedThroughputExceededException: "ProvisionedThroughputExceeded",
  TransactionConflictException: "TransactionConflict",
  ItemCollectionSizeLimitExceededException: "ItemCollectionSizeLimitExceeded",
  RequestLimitExceeded: "RequestLimitExceeded",
  ThrottlingException: "ThrottlingError",
};

function batchError(e: unknown) {
  if (e instanceof ServiceError) {
    const code = BATCH_CODES[e.code] ?? "InternalServerError";
    const item = e.fields?.Item as Item | undefined;
    return { Code: code, Message: e.message, ...(item ? { Item: item } : {}) };
  }
  throw e;
}

const BatchExecuteStatement = async (ctx: RequestContext, input: Input) => {
  checkReturnConsumedCapacity(input.ReturnConsumedCapacity);
  const statements = (input.Statements ?? []) as Input[];
  if (statements.length === 0 || statements.length > 25) {
    throw validationError(
      `1 validation error detected: Value '[${statements.length} items]' at 'statements' failed to satisfy constraint: Member must have length ${statements.length === 0 ? "greater than or equal to 1" : "less than or equal to 25"}`,
    );
  }
  // Parse everything first: a malformed statement fails the whole batch, as on AWS.
  const parsed = statements.map((s) => parseStatement(s.Statement, s.Parameters ?? []));
  const reads = parsed.filter((p) => p.kind === "SELECT").length;
  if (reads !== 0 && reads !== parsed.length) throw validationError("Batch statements must all be reads or all be writes");
  const responses: Record<string, unknown>[] = [];
  const consumed = new Map<string, Tally>();
  for (let i = 0; i < parsed.length; i++) {
    const stmt = parsed[i]!;
    const raw = statements[i]!;
    try {
      if (stmt.kind === "SELECT") {
        const table = await requireTable(ctx, stmt.table);
        if (stmt.index !== undefined) throw validationError("Batch reads cannot use an index");
        if (!stmt.where) throw validationError(MISSING_KEY_EQUALITY);
        const key = validateKey(table, keyFromWhere(stmt.where, schemaOf(table)));
        const stored = await itemsTable(ctx.storage.metadata, ctx.scope, table).get(itemStorageKey(table, key));
        const item = stored === undefined ? undefined : fromStored(stored);
        const t = consumed.get(table.TableName) ?? new Tally(table);
        t.read += readCapacityUnits(itemSize(item), { consistent: raw.ConsistentRead === true });
        consumed.set(table.TableName, t);
        const hit = item && (!stmt.where || evaluateCondition(stmt.where, item));
        responses.push({ TableName: table.TableName, ...(hit ? { Item: stmt.projection ? project(item, stmt.projection as Path[]) : item } : {}) });
      } else {
        const out = await runWrite(ctx, stmt, { ReturnValuesOnConditionCheckFailure: raw.ReturnValuesOnConditionCheckFailure, ReturnConsumedCapacity: "TOTAL" });
        const t = consumed.get(stmt.table) ?? new Tally((await requireTable(ctx, stmt.table)));
        t.write += Number((out.ConsumedCapacity as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 0);
        consumed.set(stmt.table, t);
        responses.push({ TableName: stmt.table });
      }
    } catch (e) {
      responses.push({ TableName: stmt.table, Error: batchError(e) });
    }
  }
  const cc = [...consumed.values()].map((t) => consumedCapacity(input.ReturnConsumedCapacity, t)).filter((c) => c !== undefined);
  return { Responses: responses, ...(cc.length ? { ConsumedCapacity: cc } : {}) };
};

interface TokenRecord {
  hash: string;
  expiresMs: number;
  output: unknown;
}
const tokens = new Map<string, TokenRecord>();
const TOKEN_TTL_MS = 10 * 60 * 1000;

function cancelled(reasons: { Code: string; Message?: string; Item?: Item }[]): ServiceError {
  return new ServiceError(
    DynamoDBErrors.TransactionCanceledException,
    `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(", ")}]`,
    { CancellationReasons: reasons },
  );
}

const ExecuteTransaction = async (ctx: RequestContext, input: Input) => {
  checkReturnConsumedCapacity(input.ReturnConsumedCapacity);
  const list = (input.TransactStatements ?? []) as Input[];
  if (list.length === 0 || list.length > 100) {
    throw validationError(
      `1 validation error detected: Value '[${list.length} items]' at 'transactStatements' failed to satisfy constraint: Member must have length ${list.length === 0 ? "greater than or equal to 1" : "less than or equal to 100"}`,
    );
  }
  const now = ctx.clock.nowMs();
  const token = input.ClientRequestToken as string | undefined;
  const tokenKey = token !== undefined ? `${ctx.account}/${ctx.region}/${token}` : undefined;
  const hash = createHash("sha256").update(JSON.stringify({ ...input, ClientRequestToken: undefined }, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString("base64") : v))).digest("hex");
  if (tokenKey) {
    const seen = tokens.get(tokenKey);
    if (seen && seen.expiresMs > now) {
      if (seen.hash !== hash) throw new ServiceError(DynamoDBErrors.IdempotentParameterMismatchException, "The request uses the same client token as a previous, but non-identical request.");
      return seen.output;
    }
  }
  const parsed = list.map((s) => parseStatement(s.Statement, s.Parameters ?? []));
  const reads = parsed.filter((p) => p.kind === "SELECT").length;
  if (reads !== 0 && reads !== parsed.length) throw validationError("Transaction statements must all be reads or all be writes");
  let output: Record<string, unknown>;
  if (reads > 0) {
    const tallies = new Map<string, Tally>();
    const prepared = await Promise.all(
      parsed.map(async (p) => {
        const stmt = p as Extract<Statement, { kind: "SELECT" }>;
        const table = await requireTable(ctx, stmt.table);
        if (!stmt.where) throw validationError("Select statements within a transaction must have a WHERE clause with the full primary key");
        return { stmt, table, key: validateKey(table, keyFromWhere(stmt.where, schemaOf(table))) };
      }),
    );
    const responses = await writeItems(ctx.storage.metadata, ctx.scope, now, async (w) => {
      const out: Record<string, unknown>[] = [];
      for (const p of prepared) {
        const item = await w.get(p.table, p.key);
        const t = tallies.get(p.table.TableName) ?? new Tally(p.table);
        t.read += 2 * readCapacityUnits(itemSize(item), { consistent: true });
        tallies.set(p.table.TableName, t);
        const hit = item && evaluateCondition(p.stmt.where!, item);
        out.push(hit ? { Item: p.stmt.projection ? project(item, p.stmt.projection as Path[]) : item } : {});
      }
      return out;
    });
    const cc = [...tallies.values()].map((t) => consumedCapacity(input.ReturnConsumedCapacity, t)).filter((c) => c !== undefined);
    output = { Responses: responses, ...(cc.length ? { ConsumedCapacity: cc } : {}) };
  } else {
    const returnOlds = list.map((s) => checkReturnValuesOnFailure(s.ReturnValuesOnConditionCheckFailure));
    const prepared: PreparedWrite[] = [];
    for (const p of parsed) prepared.push(await prepareWrite(ctx, p as Exclude<Statement, { kind: "SELECT" }>));
    const seen = new Set<string>();
    for (const p of prepared) {
      const k = p.table.TableId + "\u0000" + itemStorageKey(p.table, p.key);
      if (seen.has(k)) throw validationError("Transaction request cannot include multiple operations on one item");
      seen.add(k);
    }
    for (const p of prepared) admit(ctx, p.table, "write");
    const results = await writeItems(ctx.storage.metadata, ctx.scope, now, async (w) => {
      const reasons: { Code: string; Message?: string; Item?: Item }[] = [];
      const outs: { before?: Item; after?: Item }[] = [];
      let failed = false;
      for (let i = 0; i < prepared.length; i++) {
        try {
          outs.push(await prepared[i]!.apply(w, returnOlds[i]!));
          reasons.push({ Code: "None" });
        } catch (e) {
          if (!(e instanceof ServiceError)) throw e;
          failed = true;
          outs.push({});
          const item = e.fields?.Item as Item | undefined;
          reasons.push({ Code: BATCH_CODES[e.code] ?? e.code, Message: e.message, ...(item ? { Item: item } : {}) });
        }
      }
      // Throwing here discards every buffered write of this transaction.
      if (failed) throw cancelled(reasons);
      return outs;
    });
    const tallies = new Map<string, Tally>();
    prepared.forEach((p, i) => {
      const t = tallies.get(p.table.TableName) ?? new Tally(p.table);
      t.write += 2 * writeUnits(results[i]!.before, results[i]!.after);
      tallies.set(p.table.TableName, t);
    });
    for (const t of tallies.values()) charge(ctx, t.table, 0, t.total());
    const cc = [...tallies.values()].map((t) => consumedCapacity(input.ReturnConsumedCapacity, t)).filter((c) => c !== undefined);
    output = { ...(cc.length ? { ConsumedCapacity: cc } : {}) };
  }
  if (tokenKey) {
    tokens.set(tokenKey, { hash, expiresMs: now + TOKEN_TTL_MS, output });
    for (const [k, v] of tokens) if (v.expiresMs <= now) tokens.delete(k);
  }
  return output;
};

export const partiqlHandlers = { ExecuteStatement, BatchExecuteStatement, ExecuteTransaction };
