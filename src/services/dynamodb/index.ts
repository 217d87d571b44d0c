/**
 * Amazon DynamoDB: tables, items, queries, batches and transactions (provider.ts). The handler map
 * is a spread of per-area handler objects so Streams, PartiQL, TTL, backups and global tables add
 * theirs with one line.
 */
import { defineService, type AuthorizationFacts, type RequestContext, type ServiceRuntime } from "../../core/service.js";
import type { DynamodbOperations } from "../../generated/dynamodb.js";
import { itemHandlers, tableHandlers } from "./provider.js";
import { partiqlHandlers } from "./partiql.js";
import { partiqlFacts } from "./partiql-authorization.js";
import { startTtlSweeper } from "./ttl.js";
import { backupHandlers, startPitrCapture } from "./backups.js";
import { globalTableHandlers, startReplication } from "./global-tables.js";
import { enableStaleReads } from "./stale-reads.js";
import { tableArn, tableNameOf } from "./table-operations.js";
import { withMetrics, NAMESPACE as METRICS_NAMESPACE } from "./metrics.js";
import { MetricAggregator } from "../cloudwatch/builtin-metrics.js";
import { getTableCached, hashKeyOf, peekTableCached, suspendTableCache, type TableRecord } from "./table-store.js";

type In = Record<string, unknown>;

/** The table a request names, as an IAM resource. */
const onTable = (ctx: RequestContext, input: In): AuthorizationFacts => ({
  resources: [tableArn(ctx, tableNameOf(input.TableName))],
});

/**
 * Reads and writes of one table or index, with dynamodb:LeadingKeys / Attributes / Select /
 * ReturnValues. Answered without a promise when the table's description is cached, and the
 * condition keys are worked out only if the policy engine reads them (root in its own account
 * never gets that far).
 */
const onItems = (ctx: RequestContext, input: In): AuthorizationFacts | Promise<AuthorizationFacts> => {
  const name = tableNameOf(input.TableName);
  const arn = tableArn(ctx, name);
  const resources = [typeof input.IndexName === "string" ? `${arn}/index/${input.IndexName}` : arn];
  const key = (input.Key ?? input.Item) as Record<string, Record<string, unknown> | undefined> | undefined;
  if (!key || typeof key !== "object") return itemFacts(resources, input, undefined, undefined);
  // dynamodb:LeadingKeys is the partition key's value: the table's schema says which attribute.
  const cached = peekTableCached(ctx.storage.metadata, ctx.scope, name);
  if (cached !== undefined) return itemFacts(resources, input, key, cached ?? undefined);
  return getTableCached(ctx.storage.metadata, ctx.scope, name).then((table) => itemFacts(resources, input, key, table));
};

function itemFacts(
  resources: string[],
  input: In,
  key: Record<string, Record<string, unknown> | undefined> | undefined,
  table: TableRecord | undefined,
): AuthorizationFacts {
  let context: Record<string, string | string[]> | undefined;
  return {
    resources,
    get context() {
      return (context ??= itemContext(input, key, table));
    },
  };
}

function itemContext(
  input: In,
  key: Record<string, Record<string, unknown> | undefined> | undefined,
  table: TableRecord | undefined,
): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {};
  if (key) {
    const hash = table ? hashKeyOf(table.KeySchema) : undefined;
    const v = hash ? key[hash] : undefined;
    const leading = v ? (v.S ?? v.N ?? (Buffer.isBuffer(v.B) ? v.B.toString("base64") : undefined)) : undefined;
    if (typeof leading === "string") context["dynamodb:LeadingKeys"] = [leading];
  }
  if (input.Item && typeof input.Item === "object") context["dynamodb:Attributes"] = Object.keys(input.Item as object);
  else if (Array.isArray(input.AttributesToGet)) context["dynamodb:Attributes"] = input.AttributesToGet as string[];
  if (typeof input.Select === "string") context["dynamodb:Select"] = input.Select;
  if (typeof input.ReturnValues === "string") context["dynamodb:ReturnValues"] = input.ReturnValues;
  return context;
}

/** Batches and transactions: every table they name. */
const onTables = (ctx: RequestContext, input: In): AuthorizationFacts => {
  const names = new Set<string>();
  if (input.RequestItems && typeof input.RequestItems === "object") for (const n of Object.keys(input.RequestItems)) names.add(tableNameOf(n));
  if (Array.isArray(input.TransactItems)) {
    for (const t of input.TransactItems as Record<string, { TableName?: string } | undefined>[]) {
      for (const v of Object.values(t)) if (v?.TableName) names.add(tableNameOf(v.TableName));
    }
  }
  return { resources: [...names].map((n) => tableArn(ctx, n)) };
};

const onResourceArn = (_ctx: RequestContext, input: In): AuthorizationFacts => ({ resources: [String(input.ResourceArn ?? "*")] });

/** Background work per running instance: the TTL sweeper (ttl.ts), PITR logging (backups.ts), replication (global-tables.ts). */
const ttlSweepers = new WeakMap<ServiceRuntime, () => void>();

export const dynamodb = defineService<DynamodbOperations>({
  name: "dynamodb",
  // withMetrics: AWS/DynamoDB latency, errors and throttled requests per operation (metrics.ts).
  handlers: withMetrics({ ...tableHandlers, ...itemHandlers, ...partiqlHandlers, ...backupHandlers, ...globalTableHandlers }) as Partial<DynamodbOperations> as DynamodbOperations,
  start(runtime) {
    enableStaleReads();
    const stopTtl = startTtlSweeper(runtime);
    const stopPitr = startPitrCapture();
    const stopReplication = startReplication(runtime);
    ttlSweepers.set(runtime, () => {
      stopTtl();
      stopPitr();
      stopReplication();
    });
  },
  async stop(runtime) {
    ttlSweepers.get(runtime)?.();
    ttlSweepers.delete(runtime);
    await MetricAggregator.release(runtime.storage.metadata, METRICS_NAMESPACE);
  },
  reset(runtime) {
    MetricAggregator.for(runtime.storage.metadata, runtime.clock, METRICS_NAMESPACE).discard();
    // The wipe that follows does not go through table-store.ts: drop the cached table
    // descriptions and cache none until it is surely over.
    suspendTableCache(5_000);
  },
  authorization: {
    CreateTable: onTable,
    DescribeTable: onTable,
    UpdateTable: onTable,
    DeleteTable: onTable,
    UpdateTimeToLive: onTable,
    DescribeTimeToLive: onTable,
    TagResource: onResourceArn,
    UntagResource: onResourceArn,
    ListTagsOfResource: onResourceArn,
    PutItem: onItems,
    GetItem: onItems,
    UpdateItem: onItems,
    DeleteItem: onItems,
    Query: onItems,
    Scan: onItems,
    BatchGetItem: onTables,
    BatchWriteItem: onTables,
    TransactWriteItems: onTables,
    TransactGetItems: onTables,
    CreateBackup: onTable,
    DescribeContinuousBackups: onTable,
    UpdateContinuousBackups: onTable,
    DescribeBackup: (_ctx, input) => ({ resources: [String(input.BackupArn ?? "*")] }),
    DeleteBackup: (_ctx, input) => ({ resources: [String(input.BackupArn ?? "*")] }),
    RestoreTableFromBackup: (ctx, input) => ({ resources: [String(input.BackupArn ?? "*"), tableArn(ctx, String(input.TargetTableName))] }),
    RestoreTableToPointInTime: (ctx, input) => ({
      resources: [String(input.SourceTableArn ?? tableArn(ctx, String(input.SourceTableName))), tableArn(ctx, String(input.TargetTableName))],
    }),
    ListBackups: (ctx) => ({ resources: [tableArn(ctx, "*")] }),
    ExecuteStatement: partiqlFacts,
    BatchExecuteStatement: partiqlFacts,
    ExecuteTransaction: partiqlFacts,
  },
});
