/**
 * Capacity: what a request consumed (ConsumedCapacity, as item-size.ts computes units) and, for
 * PROVISIONED tables, throttling with a token bucket per table and direction that refills at the
 * provisioned rate on the injected clock and holds up to 300 seconds of unused capacity (AWS's
 * burst allowance). A request is refused with ProvisionedThroughputExceededException while its
 * bucket is empty; its cost is taken after it ran, so a bucket may go negative (AWS behaves the
 * same way: a large item read on the last token succeeds, the next requests wait for refill).
 * On-demand (PAY_PER_REQUEST) tables never throttle. Buckets live in memory: a restart refills them.
 */
import type { RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import { DynamoDBErrors } from "./errors.js";
import type { TableRecord } from "./table-store.js";
import { recordConsumed, recordThrottleEvent } from "./metrics.js";

export const BURST_SECONDS = 300;

interface Bucket {
  tokens: number;
  lastMs: number;
  rate: number;
}

const buckets = new Map<string, Bucket>();

const bucketKey = (ctx: RequestContext, t: TableRecord, dir: "r" | "w") => `${ctx.account}/${ctx.region}/${t.TableId}/${dir}`;

function bucket(ctx: RequestContext, t: TableRecord, dir: "r" | "w"): Bucket | undefined {
  if (t.BillingMode !== "PROVISIONED") return undefined;
  const rate = dir === "r" ? t.ProvisionedThroughput.ReadCapacityUnits : t.ProvisionedThroughput.WriteCapacityUnits;
  if (!(rate > 0)) return undefined;
  const key = bucketKey(ctx, t, dir);
  const now = ctx.clock.nowMs();
  let b = buckets.get(key);
  if (!b || b.rate !== rate) {
    b = { tokens: rate * BURST_SECONDS, lastMs: now, rate };
    buckets.set(key, b);
  }
  if (now > b.lastMs) {
    b.tokens = Math.min(rate * BURST_SECONDS, b.tokens + (rate * (now - b.lastMs)) / 1000);
    b.lastMs = now;
  }
  return b;
}

/** Throws ProvisionedThroughputExceededException when the table has no capacity left. */
export function admit(ctx: RequestContext, t: TableRecord, dir: "read" | "write"): void {
  const b = bucket(ctx, t, dir === "read" ? "r" : "w");
  if (b && b.tokens <= 0) {
    recordThrottleEvent(ctx, t, dir);
    throw new ServiceError(DynamoDBErrors.ProvisionedThroughputExceededException);
  }
}

/** Takes what a request consumed from the table's buckets. */
export function charge(ctx: RequestContext, t: TableRecord, read: number, write: number): void {
  recordConsumed(ctx, t, read, write);
  if (read > 0) {
    const b = bucket(ctx, t, "r");
    if (b) b.tokens -= read;
  }
  if (write > 0) {
    const b = bucket(ctx, t, "w");
    if (b) b.tokens -= write;
  }
}

/** Forgets a table's buckets (capacity changed, table deleted). */
export function resetCapacity(ctx: RequestContext, t: TableRecord): void {
  buckets.delete(bucketKey(ctx, t, "r"));
  buckets.delete(bucketKey(ctx, t, "w"));
}

/** Units one request consumed on a table and its indexes. */
export class Tally {
  read = 0;
  write = 0;
  readonly indexes = new Map<string, { read: number; write: number; global: boolean }>();
  constructor(readonly table: TableRecord) {}

  index(name: string, global: boolean, read: number, write: number): void {
    const cur = this.indexes.get(name) ?? { read: 0, write: 0, global };
    cur.read += read;
    cur.write += write;
    this.indexes.set(name, cur);
  }

  total(): number {
    let sum = this.read + this.write;
    for (const v of this.indexes.values()) sum += v.read + v.write;
    return sum;
  }
}

const units = (read: number, write: number) => ({
  CapacityUnits: read + write,
  ...(read > 0 ? { ReadCapacityUnits: read } : {}),
  ...(write > 0 ? { WriteCapacityUnits: write } : {}),
});

/** The ConsumedCapacity member for ReturnConsumedCapacity TOTAL or INDEXES (undefined for NONE). */
export function consumedCapacity(mode: unknown, tally: Tally) {
  if (mode !== "TOTAL" && mode !== "INDEXES") return undefined;
  let read = tally.read;
  let write = tally.write;
  for (const v of tally.indexes.values()) {
    read += v.read;
    write += v.write;
  }
  const out: Record<string, unknown> = { TableName: tally.table.TableName, ...units(read, write) };
  if (mode === "INDEXES") {
    out.Table = units(tally.read, tally.write);
    const gsi: Record<string, unknown> = {};
    const lsi: Record<string, unknown> = {};
    for (const [name, v] of tally.indexes) (v.global ? gsi : lsi)[name] = units(v.read, v.write);
    if (Object.keys(gsi).length) out.GlobalSecondaryIndexes = gsi;
    if (Object.keys(lsi).length) out.LocalSecondaryIndexes = lsi;
  }
  return out;
}

export function checkReturnConsumedCapacity(mode: unknown): void {
  if (mode !== undefined && mode !== "NONE" && mode !== "TOTAL" && mode !== "INDEXES") {
    throw new ServiceError(
      DynamoDBErrors.ValidationException,
      `1 validation error detected: Value '${String(mode)}' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]`,
    );
  }
}
