/**
 * AWS/DynamoDB CloudWatch metrics, counted in memory per minute of the clock and written once the
 * minute is over (cloudwatch/builtin-metrics.ts), never on the request path:
 *
 * - ConsumedReadCapacityUnits / ConsumedWriteCapacityUnits per TableName (table and indexes
 *   together), from what `charge` takes (capacity.ts) — the units ReturnConsumedCapacity reports;
 * - ReadThrottleEvents / WriteThrottleEvents per TableName when `admit` refuses a request;
 * - per TableName and Operation: SuccessfulRequestLatency (Milliseconds, the handler's run time),
 *   ThrottledRequests, SystemErrors; ReturnedItemCount for Query and Scan;
 * - TransactionConflict per TableName: item-level requests refused by a conflict (in-flight.ts);
 * - ConditionalCheckFailedRequests per TableName, and UserErrors (no dimension: the account and
 *   region) for every other 4xx a handler answers, as AWS counts them (throttles, failed
 *   conditions and transaction conflicts are not user errors).
 */
import type { RequestContext } from "../../core/service.js";
import { isServiceError } from "../../core/errors.js";
import { MetricAggregator } from "../cloudwatch/builtin-metrics.js";
import type { TableRecord } from "./table-store.js";

export const NAMESPACE = "AWS/DynamoDB";

const metricsOf = (ctx: RequestContext) => MetricAggregator.for(ctx.storage.metadata, ctx.clock, NAMESPACE);
const tableDims = (name: string) => [{ Name: "TableName", Value: name }];

/** Capacity a request consumed on a table (with its indexes). */
export function recordConsumed(ctx: RequestContext, t: TableRecord, read: number, write: number): void {
  const m = metricsOf(ctx);
  if (read > 0) m.add(ctx.scope, "ConsumedReadCapacityUnits", tableDims(t.TableName), read);
  if (write > 0) m.add(ctx.scope, "ConsumedWriteCapacityUnits", tableDims(t.TableName), write);
}

/** A read or write refused for lack of provisioned capacity. */
export function recordThrottleEvent(ctx: RequestContext, t: TableRecord, dir: "read" | "write"): void {
  metricsOf(ctx).add(ctx.scope, dir === "read" ? "ReadThrottleEvents" : "WriteThrottleEvents", tableDims(t.TableName), 1);
}

/** Item-level requests refused because another request was writing the item (in-flight.ts). */
export function recordTransactionConflict(ctx: RequestContext, t: TableRecord, count = 1): void {
  metricsOf(ctx).add(ctx.scope, "TransactionConflict", tableDims(t.TableName), count);
}

/** The operations AWS reports per TableName and Operation. */
const DATA_OPERATIONS = new Set(["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems"]);

type In = Record<string, unknown>;

/** The tables a data operation names. */
function tablesOf(input: In): string[] {
  if (typeof input.TableName === "string") return [input.TableName.replace(/^arn:.*:table\//, "")];
  const names = new Set<string>();
  if (input.RequestItems && typeof input.RequestItems === "object") for (const n of Object.keys(input.RequestItems)) names.add(n.replace(/^arn:.*:table\//, ""));
  if (Array.isArray(input.TransactItems)) {
    for (const t of input.TransactItems as Record<string, { TableName?: string } | undefined>[]) {
      for (const v of Object.values(t)) if (v?.TableName) names.add(v.TableName.replace(/^arn:.*:table\//, ""));
    }
  }
  return [...names];
}

function opDims(table: string, op: string) {
  return [
    { Name: "Operation", Value: op },
    { Name: "TableName", Value: table },
  ];
}

function succeeded(ctx: RequestContext, op: string, input: In, output: unknown, ms: number): void {
  if (!DATA_OPERATIONS.has(op)) return;
  const m = metricsOf(ctx);
  for (const table of tablesOf(input)) {
    m.add(ctx.scope, "SuccessfulRequestLatency", opDims(table, op), ms, "Milliseconds");
    if ((op === "Query" || op === "Scan") && output && typeof output === "object") {
      m.add(ctx.scope, "ReturnedItemCount", opDims(table, op), Number((output as { Count?: number }).Count ?? 0));
    }
  }
}

function failed(ctx: RequestContext, op: string, input: In, e: unknown): void {
  if (!isServiceError(e)) return;
  const m = metricsOf(ctx);
  const tables = tablesOf(input);
  if (e.code === "ProvisionedThroughputExceededException") {
    for (const table of tables) m.add(ctx.scope, "ThrottledRequests", opDims(table, op), 1);
  } else if (e.code === "ConditionalCheckFailedException") {
    for (const table of tables) m.add(ctx.scope, "ConditionalCheckFailedRequests", tableDims(table), 1);
  } else if (e.code === "TransactionConflictException") {
    // Counted as TransactionConflict where it was refused (item-operations.ts), not a user error.
  } else if (e.status >= 500) {
    for (const table of tables) m.add(ctx.scope, "SystemErrors", opDims(table, op), 1);
  } else if (e.status >= 400) {
    m.add(ctx.scope, "UserErrors", [], 1);
  }
}

type Handler = (ctx: RequestContext, input: In) => unknown;

/** Wrap every handler so its outcome is counted (the counting itself is a few map updates). */
export function withMetrics<H extends object>(handlers: H): H {
  const out: Record<string, Handler> = {};
  for (const [op, h] of Object.entries(handlers as Record<string, Handler>)) {
    out[op] = (ctx, input) => {
      const started = performance.now();
      let r: unknown;
      try {
        r = h(ctx, input);
      } catch (e) {
        failed(ctx, op, input, e);
        throw e;
      }
      return Promise.resolve(r).then(
        (v) => {
          succeeded(ctx, op, input, v, performance.now() - started);
          return v;
        },
        (e: unknown) => {
          failed(ctx, op, input, e);
          throw e;
        },
      );
    };
  }
  return out as H;
}
