/**
 * DynamoDB control plane: CreateTable, DescribeTable, UpdateTable, DeleteTable, ListTables,
 * DescribeLimits, DescribeEndpoints, tags and the TTL setting. See provider.ts for the fidelity
 * notes.
 */
import { randomUUID } from "node:crypto";
import type { RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import { DynamoDBErrors, INVALID_PARAMETER_VALUES, validationError } from "./errors.js";
import {
  allIndexes,
  dropTable,
  getTable,
  getTableStats,
  indexStorageKey,
  indexTable,
  itemsTable,
  listTableNames,
  putTable,
  insertTable,
  getTableCached,
  type AttributeDefinition,
  type IndexRecord,
  type KeySchemaElement,
  type Projection,
  type TableRecord,
  type ThroughputRecord,
} from "./table-store.js";
import { fromStored } from "./table-store.js";
import { resetCapacity } from "./capacity.js";

// Inputs are the generated request shapes; handlers read them through this loose alias because
// nested members (key schemas, indexes) are re-validated here with DynamoDB's own messages.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Input = any;

const TABLE_NAME = /^[a-zA-Z0-9_.-]+$/;

export const tableArn = (ctx: { region: string; account: string }, name: string) => `arn:aws:dynamodb:${ctx.region}:${ctx.account}:table/${name}`;

export function checkTableName(name: unknown, member = "tableName"): string {
  const n = String(name ?? "");
  const errors: string[] = [];
  if (!TABLE_NAME.test(n)) errors.push(`Value '${n}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`);
  if (n.length < 3) errors.push(`Value '${n}' at '${member}' failed to satisfy constraint: Member must have length greater than or equal to 3`);
  if (n.length > 255) errors.push(`Value '${n}' at '${member}' failed to satisfy constraint: Member must have length less than or equal to 255`);
  if (errors.length > 0) throw validationError(`${errors.length} validation error${errors.length > 1 ? "s" : ""} detected: ${errors.join("; ")}`);
  return n;
}

/** A table name or a table ARN (AWS accepts both in TableName since 2024). */
export function tableNameOf(input: unknown): string {
  const s = String(input ?? "");
  const m = /^arn:aws[\w-]*:dynamodb:[^:]*:\d{12}:table\/([^/]+)$/.exec(s);
  return m ? m[1]! : s;
}

export async function requireTable(ctx: RequestContext, name: unknown, describeStyle = false): Promise<TableRecord> {
  const n = tableNameOf(name);
  const t = await getTable(ctx.storage.metadata, ctx.scope, n);
  if (!t || t.TableStatus === "DELETING") {
    throw new ServiceError(DynamoDBErrors.ResourceNotFoundException, describeStyle ? `Requested resource not found: Table: ${n} not found` : "Requested resource not found");
  }
  return t;
}

/**
 * `requireTable` for the item path: the description comes from the cache (table-store.ts) and
 * is frozen, so the caller must not change it.
 */
export async function requireTableForItems(ctx: RequestContext, name: unknown): Promise<TableRecord> {
  const n = tableNameOf(name);
  const t = await getTableCached(ctx.storage.metadata, ctx.scope, n);
  if (!t || t.TableStatus === "DELETING") throw new ServiceError(DynamoDBErrors.ResourceNotFoundException, "Requested resource not found");
  return t;
}

const invalid = (detail: string) => validationError(INVALID_PARAMETER_VALUES + detail);

function checkKeySchema(schema: unknown, where: string): KeySchemaElement[] {
  if (!Array.isArray(schema) || schema.length === 0) throw validationError(`${where === "table" ? "" : ""}Invalid KeySchema: Some index key attribute have no definition`);
  if (schema.length > 2) {
    throw validationError(
      `1 validation error detected: Value '${JSON.stringify(schema)}' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2`,
    );
  }
  const ks = schema as KeySchemaElement[];
  if (ks[0]!.KeyType !== "HASH") throw validationError("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  if (ks.length === 2 && ks[1]!.KeyType !== "RANGE") throw validationError("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
  if (ks.length === 2 && ks[0]!.AttributeName === ks[1]!.AttributeName) {
    throw validationError("Both the Hash Key and the Range Key element in the KeySchema have the same name");
  }
  for (const k of ks) {
    if (k.KeyType !== "HASH" && k.KeyType !== "RANGE") {
      throw validationError(
        `1 validation error detected: Value '${String(k.KeyType)}' at 'keySchema.1.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]`,
      );
    }
  }
  return ks.map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType }));
}

function checkThroughput(pt: Input, billing: string, what: string): ThroughputRecord | undefined {
  if (billing === "PAY_PER_REQUEST") {
    if (pt) throw invalid(`Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST`);
    return undefined;
  }
  if (!pt) {
    throw invalid(
      what === "table"
        ? "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
        : `ProvisionedThroughput must be specified for index: ${what}`,
    );
  }
  for (const f of ["ReadCapacityUnits", "WriteCapacityUnits"] as const) {
    const v = Number(pt[f]);
    if (!Number.isInteger(v) || v < 1) throw invalid(`${f} must be greater than 0 for ${what === "table" ? "table" : "index"}.`);
  }
  return { ReadCapacityUnits: Number(pt.ReadCapacityUnits), WriteCapacityUnits: Number(pt.WriteCapacityUnits), NumberOfDecreasesToday: 0 };
}

function checkProjection(p: Input, indexName: string, keyNames: Set<string>): Projection {
  const type = p?.ProjectionType ?? "ALL";
  if (!["ALL", "KEYS_ONLY", "INCLUDE"].includes(type)) {
    throw validationError(
      `1 validation error detected: Value '${String(type)}' at 'projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]`,
    );
  }
  const nka: string[] | undefined = p?.NonKeyAttributes;
  if (type !== "INCLUDE" && nka && nka.length > 0) {
    throw invalid(`ProjectionType is ${type}, but NonKeyAttributes is specified`);
  }
  if (type === "INCLUDE") {
    if (!nka || nka.length === 0) throw invalid(`NonKeyAttributes must not be empty when ProjectionType is INCLUDE for index: ${indexName}`);
    for (const a of nka) if (keyNames.has(a)) throw invalid(`Projected attribute ${a} is a key attribute and may not be included in NonKeyAttributes`);
    if (new Set(nka).size !== nka.length) throw invalid(`Duplicate attribute in NonKeyAttributes for index: ${indexName}`);
  }
  return type === "INCLUDE" ? { ProjectionType: "INCLUDE", NonKeyAttributes: [...nka!] } : { ProjectionType: type };
}

function defineIndex(ctx: RequestContext, tableName: string, raw: Input, tableKeys: KeySchemaElement[], billing: string, kind: "LSI" | "GSI", now: number): IndexRecord {
  const name = String(raw.IndexName ?? "");
  if (!TABLE_NAME.test(name) || name.length < 3 || name.length > 255) {
    throw validationError(
      `1 validation error detected: Value '${name}' at 'indexName' failed to satisfy constraint: Member must ${name.length < 3 ? "have length greater than or equal to 3" : "satisfy regular expression pattern: [a-zA-Z0-9_.-]+"}`,
    );
  }
  const ks = checkKeySchema(raw.KeySchema, "index");
  if (kind === "LSI") {
    if (ks.length !== 2) throw invalid(`Index KeySchema does not have a range key for index: ${name}`);
    if (ks[0]!.AttributeName !== tableKeys[0]!.AttributeName) {
      throw invalid(
        `Index KeySchema does not have the same leading hash key as table KeySchema for index: ${name}. index hash key: ${ks[0]!.AttributeName}, table hash key: ${tableKeys[0]!.AttributeName}`,
      );
    }
  }
  const keyNames = new Set([...tableKeys, ...ks].map((k) => k.AttributeName));
  const projection = checkProjection(raw.Projection, name, keyNames);
  const rec: IndexRecord = {
    IndexName: name,
    KeySchema: ks,
    Projection: projection,
    IndexArn: `${tableArn(ctx, tableName)}/index/${name}`,
  };
  if (kind === "GSI") {
    rec.IndexStatus = "ACTIVE";
    const pt = checkThroughput(raw.ProvisionedThroughput, billing, name);
    if (pt) rec.ProvisionedThroughput = pt;
  }
  void now;
  return rec;
}

function describeThroughput(pt: ThroughputRecord | undefined) {
  const p = pt ?? { ReadCapacityUnits: 0, WriteCapacityUnits: 0, NumberOfDecreasesToday: 0 };
  return {
    ...(p.LastIncreaseDateTime !== undefined ? { LastIncreaseDateTime: new Date(p.LastIncreaseDateTime) } : {}),
    ...(p.LastDecreaseDateTime !== undefined ? { LastDecreaseDateTime: new Date(p.LastDecreaseDateTime) } : {}),
    NumberOfDecreasesToday: p.NumberOfDecreasesToday,
    ReadCapacityUnits: p.ReadCapacityUnits,
    WriteCapacityUnits: p.WriteCapacityUnits,
  };
}

/** The TableDescription AWS returns, with live item count and size. */
export async function describeTable(ctx: RequestContext, t: TableRecord) {
  const stats = await getTableStats(ctx.storage.metadata, ctx.scope, t);
  const indexStats = async (ix: IndexRecord) => {
    // Index item counts: entries in the index (sparse indexes hold fewer than the table).
    const count = await indexTable(ctx.storage.metadata, ctx.scope, t, ix.IndexName).count();
    return { IndexSizeBytes: count === stats.itemCount ? stats.sizeBytes : Math.round((stats.sizeBytes * count) / Math.max(1, stats.itemCount)), ItemCount: count };
  };
  const lsis = t.LocalSecondaryIndexes?.length
    ? await Promise.all(
        t.LocalSecondaryIndexes.map(async (ix) => ({ IndexName: ix.IndexName, KeySchema: ix.KeySchema, Projection: ix.Projection, ...(await indexStats(ix)), IndexArn: ix.IndexArn })),
      )
    : undefined;
  const gsis = t.GlobalSecondaryIndexes?.length
    ? await Promise.all(
        t.GlobalSecondaryIndexes.map(async (ix) => ({
          IndexName: ix.IndexName,
          KeySchema: ix.KeySchema,
          Projection: ix.Projection,
          IndexStatus: ix.IndexStatus ?? "ACTIVE",
          ...(ix.Backfilling !== undefined ? { Backfilling: ix.Backfilling } : {}),
          ProvisionedThroughput: describeThroughput(ix.ProvisionedThroughput),
          ...(await indexStats(ix)),
          IndexArn: ix.IndexArn,
          ...(t.BillingMode === "PAY_PER_REQUEST" ? { OnDemandThroughput: { MaxReadRequestUnits: -1, MaxWriteRequestUnits: -1 } } : {}),
        })),
      )
    : undefined;
  return {
    AttributeDefinitions: t.AttributeDefinitions,
    TableName: t.TableName,
    KeySchema: t.KeySchema,
    TableStatus: t.TableStatus,
    CreationDateTime: new Date(t.CreationDateTime),
    ProvisionedThroughput: describeThroughput(t.ProvisionedThroughput),
    TableSizeBytes: stats.sizeBytes,
    ItemCount: stats.itemCount,
    TableArn: t.TableArn,
    TableId: t.TableId,
    ...(t.BillingMode === "PAY_PER_REQUEST" || t.BillingModeLastUpdate !== undefined
      ? { BillingModeSummary: { BillingMode: t.BillingMode, LastUpdateToPayPerRequestDateTime: new Date(t.BillingModeLastUpdate ?? t.CreationDateTime) } }
      : {}),
    ...(lsis ? { LocalSecondaryIndexes: lsis } : {}),
    ...(gsis ? { GlobalSecondaryIndexes: gsis } : {}),
    ...(t.StreamSpecification?.StreamEnabled ? { StreamSpecification: t.StreamSpecification } : {}),
    ...(t.LatestStreamArn ? { LatestStreamArn: t.LatestStreamArn, LatestStreamLabel: t.LatestStreamLabel } : {}),
    ...(t.SSEDescription ? { SSEDescription: t.SSEDescription } : {}),
    ...(t.TableClass && t.TableClass !== "STANDARD" ? { TableClassSummary: { TableClass: t.TableClass } } : {}),
    ...(t.BillingMode === "PAY_PER_REQUEST" ? { OnDemandThroughput: { MaxReadRequestUnits: -1, MaxWriteRequestUnits: -1 } } : {}),
    DeletionProtectionEnabled: t.DeletionProtectionEnabled,
  };
}

function checkBillingMode(mode: unknown): "PROVISIONED" | "PAY_PER_REQUEST" {
  const m = mode ?? "PROVISIONED";
  if (m !== "PROVISIONED" && m !== "PAY_PER_REQUEST") {
    throw validationError(
      `1 validation error detected: Value '${String(m)}' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]`,
    );
  }
  return m;
}

function checkTags(tags: Input): { Key: string; Value: string }[] {
  const list = (tags ?? []) as { Key: string; Value: string }[];
  for (const t of list) {
    if (!t.Key || t.Key.length > 128) throw invalid("Tag keys must be between 1 and 128 characters in length");
    if (t.Key.startsWith("aws:")) throw invalid("Tag keys cannot start with 'aws:'");
    if ((t.Value ?? "").length > 256) throw invalid("Tag values must be between 0 and 256 characters in length");
  }
  return list.map((t) => ({ Key: t.Key, Value: t.Value ?? "" }));
}

function checkStreamSpec(spec: Input): { StreamEnabled: boolean; StreamViewType?: string } | undefined {
  if (!spec) return undefined;
  if (spec.StreamEnabled && !spec.StreamViewType) throw validationError("StreamSpecification: StreamViewType is required when StreamEnabled is true");
  if (spec.StreamViewType && !["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"].includes(spec.StreamViewType)) {
    throw validationError(
      `1 validation error detected: Value '${String(spec.StreamViewType)}' at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]`,
    );
  }
  return spec.StreamEnabled ? { StreamEnabled: true, StreamViewType: spec.StreamViewType } : { StreamEnabled: false };
}

/** Assigns a new stream ARN/label when streams are (re)enabled. */
function enableStream(ctx: RequestContext, t: TableRecord): void {
  const label = new Date(ctx.clock.nowMs()).toISOString().replace("Z", "");
  t.LatestStreamLabel = label;
  t.LatestStreamArn = `${t.TableArn}/stream/${label}`;
}

const CreateTable = async (ctx: RequestContext, input: Input) => {
  const name = checkTableName(input.TableName);
  const keySchema = checkKeySchema(input.KeySchema, "table");
  const defs = (input.AttributeDefinitions ?? []) as AttributeDefinition[];
  for (const d of defs) {
    if (!["S", "N", "B"].includes(d.AttributeType)) {
      throw validationError(
        `1 validation error detected: Value '${String(d.AttributeType)}' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]`,
      );
    }
  }
  const defNames = defs.map((d) => d.AttributeName);
  if (new Set(defNames).size !== defNames.length) throw invalid("Duplicate AttributeName in AttributeDefinitions");
  const billing = checkBillingMode(input.BillingMode);
  const throughput = checkThroughput(input.ProvisionedThroughput, billing, "table");
  const now = ctx.clock.nowMs();

  const lsiRaw = (input.LocalSecondaryIndexes ?? []) as Input[];
  const gsiRaw = (input.GlobalSecondaryIndexes ?? []) as Input[];
  if (input.LocalSecondaryIndexes && lsiRaw.length === 0) throw invalid("List of LocalSecondaryIndexes is empty");
  if (input.GlobalSecondaryIndexes && gsiRaw.length === 0) throw invalid("List of GlobalSecondaryIndexes is empty");
  if (lsiRaw.length > 0 && keySchema.length < 2) {
    throw invalid("Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex");
  }
  if (lsiRaw.length > 5) throw invalid("Number of LocalSecondaryIndexes exceeds per-table limit of 5");
  if (gsiRaw.length > 20) throw validationError(`GlobalSecondaryIndex count exceeds the per-table limit of 20`);
  const lsis = lsiRaw.map((r) => defineIndex(ctx, name, r, keySchema, billing, "LSI", now));
  const gsis = gsiRaw.map((r) => defineIndex(ctx, name, r, keySchema, billing, "GSI", now));
  const seen = new Set<string>();
  for (const ix of [...lsis, ...gsis]) {
    if (seen.has(ix.IndexName)) throw invalid(`Duplicate index name: ${ix.IndexName}`);
    seen.add(ix.IndexName);
  }
  const used = new Set<string>([...keySchema, ...lsis.flatMap((i) => i.KeySchema), ...gsis.flatMap((i) => i.KeySchema)].map((k) => k.AttributeName));
  const missing = [...used].filter((n) => !defNames.includes(n));
  if (missing.length > 0) {
    throw invalid(`Some index key attributes are not defined in AttributeDefinitions. Keys: [${missing.join(", ")}], AttributeDefinitions: [${defNames.join(", ")}]`);
  }
  if (used.size !== defNames.length) {
    if (lsis.length === 0 && gsis.length === 0) {
      throw invalid("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions");
    }
    throw invalid(
      `Some AttributeDefinitions are not used. AttributeDefinitions: [${defNames.join(", ")}], keys used: [${[...used].join(", ")}]`,
    );
  }
  const stream = checkStreamSpec(input.StreamSpecification);
  const tags = checkTags(input.Tags);
  const tableClass = input.TableClass ?? "STANDARD";
  if (!["STANDARD", "STANDARD_INFREQUENT_ACCESS"].includes(tableClass)) {
    throw validationError(
      `1 validation error detected: Value '${String(tableClass)}' at 'tableClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, STANDARD_INFREQUENT_ACCESS]`,
    );
  }

  const record: TableRecord = {
    TableName: name,
    TableId: randomUUID(),
    TableArn: tableArn(ctx, name),
    CreationDateTime: now,
    // ACTIVE at once: see provider.ts "By design" (SDK waiters and scripts poll DescribeTable).
    TableStatus: "ACTIVE",
    KeySchema: keySchema,
    AttributeDefinitions: defs.map((d) => ({ AttributeName: d.AttributeName, AttributeType: d.AttributeType })),
    BillingMode: billing,
    ...(billing === "PAY_PER_REQUEST" ? { BillingModeLastUpdate: now } : {}),
    ProvisionedThroughput: throughput ?? { ReadCapacityUnits: 0, WriteCapacityUnits: 0, NumberOfDecreasesToday: 0 },
    ...(lsis.length ? { LocalSecondaryIndexes: lsis } : {}),
    ...(gsis.length ? { GlobalSecondaryIndexes: gsis } : {}),
    ...(stream?.StreamEnabled ? { StreamSpecification: stream } : {}),
    ...(input.SSESpecification?.Enabled
      ? {
          SSEDescription: {
            Status: "ENABLED",
            SSEType: "KMS",
            KMSMasterKeyArn: input.SSESpecification.KMSMasterKeyId?.startsWith("arn:")
              ? input.SSESpecification.KMSMasterKeyId
              : `arn:aws:kms:${ctx.region}:${ctx.account}:key/${input.SSESpecification.KMSMasterKeyId ?? randomUUID()}`,
          },
        }
      : {}),
    TableClass: tableClass,
    DeletionProtectionEnabled: input.DeletionProtectionEnabled === true,
    Tags: tags,
  };
  if (stream?.StreamEnabled) enableStream(ctx, record);
  const inserted = await insertTable(ctx.storage.metadata, ctx.scope, record);
  if (!inserted) throw new ServiceError(DynamoDBErrors.ResourceInUseException, `Table already exists: ${name}`);
  const description = await describeTable(ctx, record);
  // A just-created table is reported as CREATING in CreateTable's own answer, as AWS does.
  return { TableDescription: { ...description, TableStatus: "CREATING" } };
};

const DescribeTable = async (ctx: RequestContext, input: Input) => {
  const t = await requireTable(ctx, input.TableName, true);
  return { Table: await describeTable(ctx, t) };
};

const DeleteTable = async (ctx: RequestContext, input: Input) => {
  const t = await requireTable(ctx, input.TableName, true);
  if (t.DeletionProtectionEnabled) {
    throw validationError(`Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.`);
  }
  const description = await describeTable(ctx, t);
  await dropTable(ctx.storage.metadata, ctx.scope, t);
  resetCapacity(ctx, t);
  return { TableDescription: { ...description, TableStatus: "DELETING" } };
};

const ListTables = async (ctx: RequestContext, input: Input) => {
  const limit = input.Limit ?? 100;
  if (limit < 1 || limit > 100) {
    throw validationError(
      `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value ${limit < 1 ? "greater than or equal to 1" : "less than or equal to 100"}`,
    );
  }
  const names = await listTableNames(ctx.storage.metadata, ctx.scope, input.ExclusiveStartTableName, limit + 1);
  const page = names.slice(0, limit);
  return { TableNames: page, ...(names.length > limit ? { LastEvaluatedTableName: page[page.length - 1] } : {}) };
};

/** Backfills a new GSI from the table's items (synchronously: the index is ACTIVE when UpdateTable answers). */
async function backfill(ctx: RequestContext, t: TableRecord, index: IndexRecord): Promise<void> {
  const items = itemsTable(ctx.storage.metadata, ctx.scope, t);
  let after: string | undefined;
  for (;;) {
    const rows = await items.list({ ...(after !== undefined ? { after } : {}), limit: 1000 });
    if (rows.length === 0) break;
    await ctx.storage.metadata.transaction(async (tx) => {
      const idx = indexTable(tx, ctx.scope, t, index.IndexName);
      for (const r of rows) {
        const k = indexStorageKey(t, index, fromStored(r.value), r.key);
        if (k !== undefined) await idx.put(k, r.value);
      }
    });
    after = rows[rows.length - 1]!.key;
  }
}

const UpdateTable = async (ctx: RequestContext, input: Input) => {
  const t = await requireTable(ctx, input.TableName, true);
  const now = ctx.clock.nowMs();
  let changed = false;
  if (input.AttributeDefinitions) {
    for (const d of input.AttributeDefinitions as AttributeDefinition[]) {
      const existing = t.AttributeDefinitions.find((x) => x.AttributeName === d.AttributeName);
      if (existing && existing.AttributeType !== d.AttributeType) {
        throw invalid(`Cannot change the type of an existing attribute: ${d.AttributeName}`);
      }
    }
  }
  if (input.BillingMode !== undefined) {
    const mode = checkBillingMode(input.BillingMode);
    if (mode !== t.BillingMode) {
      t.BillingMode = mode;
      t.BillingModeLastUpdate = now;
      changed = true;
      if (mode === "PAY_PER_REQUEST") {
        t.ProvisionedThroughput = { ...t.ProvisionedThroughput, ReadCapacityUnits: 0, WriteCapacityUnits: 0 };
        for (const g of t.GlobalSecondaryIndexes ?? []) delete g.ProvisionedThroughput;
      } else if (!input.ProvisionedThroughput) {
        throw invalid("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
      }
    }
  }
  if (input.ProvisionedThroughput) {
    if (t.BillingMode === "PAY_PER_REQUEST") throw invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    const pt = checkThroughput(input.ProvisionedThroughput, "PROVISIONED", "table")!;
    const old = t.ProvisionedThroughput;
    if (!changed && old.ReadCapacityUnits === pt.ReadCapacityUnits && old.WriteCapacityUnits === pt.WriteCapacityUnits) {
      throw validationError(
        `The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: ${old.ReadCapacityUnits}. Requested ReadCapacityUnits: ${pt.ReadCapacityUnits}. Current WriteCapacityUnits provisioned for the table: ${old.WriteCapacityUnits}. Requested WriteCapacityUnits: ${pt.WriteCapacityUnits}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.`,
      );
    }
    const up = pt.ReadCapacityUnits > old.ReadCapacityUnits || pt.WriteCapacityUnits > old.WriteCapacityUnits;
    const down = pt.ReadCapacityUnits < old.ReadCapacityUnits || pt.WriteCapacityUnits < old.WriteCapacityUnits;
    t.ProvisionedThroughput = {
      ReadCapacityUnits: pt.ReadCapacityUnits,
      WriteCapacityUnits: pt.WriteCapacityUnits,
      NumberOfDecreasesToday: old.NumberOfDecreasesToday + (down ? 1 : 0),
      ...(up ? { LastIncreaseDateTime: now } : old.LastIncreaseDateTime !== undefined ? { LastIncreaseDateTime: old.LastIncreaseDateTime } : {}),
      ...(down ? { LastDecreaseDateTime: now } : old.LastDecreaseDateTime !== undefined ? { LastDecreaseDateTime: old.LastDecreaseDateTime } : {}),
    };
    resetCapacity(ctx, t);
    changed = true;
  }
  if (input.DeletionProtectionEnabled !== undefined) {
    t.DeletionProtectionEnabled = input.DeletionProtectionEnabled === true;
    changed = true;
  }
  if (input.StreamSpecification) {
    const spec = checkStreamSpec(input.StreamSpecification)!;
    if (spec.StreamEnabled && t.StreamSpecification?.StreamEnabled) throw validationError(`Table already has an enabled stream: ${t.TableArn}`);
    if (!spec.StreamEnabled && !t.StreamSpecification?.StreamEnabled) throw validationError(`Table already has no stream enabled: ${t.TableArn}`);
    if (spec.StreamEnabled) {
      t.StreamSpecification = spec;
      enableStream(ctx, t);
    } else {
      delete t.StreamSpecification;
    }
    changed = true;
  }
  if (input.TableClass !== undefined) {
    t.TableClass = input.TableClass;
    changed = true;
  }
  if (input.SSESpecification) {
    t.SSEDescription = input.SSESpecification.Enabled === false ? undefined! : { Status: "ENABLED", SSEType: "KMS", KMSMasterKeyArn: `arn:aws:kms:${ctx.region}:${ctx.account}:key/${randomUUID()}` };
    if (!t.SSEDescription) delete t.SSEDescription;
    changed = true;
  }
  const gsiUpdates = (input.GlobalSecondaryIndexUpdates ?? []) as Input[];
  if (gsiUpdates.length > 1 && gsiUpdates.filter((u) => u.Create || u.Delete).length > 1) {
    throw validationError("Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table");
  }
  const created: IndexRecord[] = [];
  const deleted: IndexRecord[] = [];
  for (const u of gsiUpdates) {
    if (u.Create) {
      const c = u.Create;
      if (allIndexes(t).some((i) => i.IndexName === c.IndexName)) throw validationError(`Attempting to create an index which already exists`);
      const defs = (input.AttributeDefinitions ?? []) as AttributeDefinition[];
      for (const d of defs) if (!t.AttributeDefinitions.some((x) => x.AttributeName === d.AttributeName)) t.AttributeDefinitions.push({ AttributeName: d.AttributeName, AttributeType: d.AttributeType });
      for (const k of (c.KeySchema ?? []) as KeySchemaElement[]) {
        if (!t.AttributeDefinitions.some((x) => x.AttributeName === k.AttributeName)) {
          throw invalid(`Some index key attributes are not defined in AttributeDefinitions. Keys: [${k.AttributeName}], AttributeDefinitions: [${t.AttributeDefinitions.map((d) => d.AttributeName).join(", ")}]`);
        }
      }
      const ix = defineIndex(ctx, t.TableName, c, t.KeySchema, t.BillingMode, "GSI", now);
      (t.GlobalSecondaryIndexes ??= []).push(ix);
      created.push(ix);
    } else if (u.Delete) {
      const i = (t.GlobalSecondaryIndexes ?? []).findIndex((g) => g.IndexName === u.Delete.IndexName);
      if (i < 0) throw new ServiceError(DynamoDBErrors.ResourceNotFoundException, `Requested resource not found: Table: ${t.TableName} index: ${String(u.Delete.IndexName)} not found`);
      deleted.push(...t.GlobalSecondaryIndexes!.splice(i, 1));
      if (t.GlobalSecondaryIndexes!.length === 0) delete t.GlobalSecondaryIndexes;
    } else if (u.Update) {
      const g = (t.GlobalSecondaryIndexes ?? []).find((x) => x.IndexName === u.Update.IndexName);
      if (!g) throw new ServiceError(DynamoDBErrors.ResourceNotFoundException, `Requested resource not found: Table: ${t.TableName} index: ${String(u.Update.IndexName)} not found`);
      if (u.Update.ProvisionedThroughput) {
        const pt = checkThroughput(u.Update.ProvisionedThroughput, t.BillingMode, g.IndexName)!;
        g.ProvisionedThroughput = { ...pt, NumberOfDecreasesToday: g.ProvisionedThroughput?.NumberOfDecreasesToday ?? 0 };
      }
    }
    changed = true;
  }
  if (!changed && input.ReplicaUpdates === undefined) {
    throw validationError("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required");
  }
  // The record names the new index first (CREATING, backfilling) so that writes racing the
  // backfill maintain its entries themselves; it is ACTIVE once every existing item is in.
  for (const ix of created) Object.assign(ix, { IndexStatus: "CREATING", Backfilling: true });
  await putTable(ctx.storage.metadata, ctx.scope, t);
  if (created.length > 0) {
    for (const ix of created) await backfill(ctx, t, ix);
    for (const ix of created) {
      ix.IndexStatus = "ACTIVE";
      delete ix.Backfilling;
    }
    await putTable(ctx.storage.metadata, ctx.scope, t);
  }
  for (const ix of deleted) await indexTable(ctx.storage.metadata, ctx.scope, t, ix.IndexName).clear();
  return { TableDescription: await describeTable(ctx, t) };
};

const DescribeLimits = async () => ({
  AccountMaxReadCapacityUnits: 80000,
  AccountMaxWriteCapacityUnits: 80000,
  TableMaxReadCapacityUnits: 40000,
  TableMaxWriteCapacityUnits: 40000,
});

const DescribeEndpoints = async (ctx: RequestContext) => ({
  Endpoints: [{ Address: `dynamodb.${ctx.region}.amazonaws.com`, CachePeriodInMinutes: 1440 }],
});

async function tableByArn(ctx: RequestContext, arn: unknown): Promise<TableRecord> {
  const s = String(arn ?? "");
  const m = /^arn:aws[\w-]*:dynamodb:([^:]*):(\d{12}):table\/([^/]+)$/.exec(s);
  if (!m) throw validationError(`Invalid TableArn: Invalid ResourceArn provided as input ${s}`);
  if (m[1] !== ctx.region || m[2] !== ctx.account) {
    throw new ServiceError(DynamoDBErrors.ResourceNotFoundException, `Requested resource not found: ResourcArn: ${s} not found`);
  }
  const t = await getTable(ctx.storage.metadata, ctx.scope, m[3]!);
  if (!t) throw new ServiceError(DynamoDBErrors.ResourceNotFoundException, `Requested resource not found: ResourcArn: ${s} not found`);
  return t;
}

const TagResource = async (ctx: RequestContext, input: Input) => {
  const t = await tableByArn(ctx, input.ResourceArn);
  const tags = checkTags(input.Tags);
  if (tags.length === 0) throw invalid("Atleast one Tag needs to be provided as Input.");
  for (const tag of tags) {
    const existing = t.Tags.find((x) => x.Key === tag.Key);
    if (existing) existing.Value = tag.Value;
    else t.Tags.push(tag);
  }
  if (t.Tags.length > 50) throw new ServiceError(DynamoDBErrors.LimitExceededException, "The maximum number of tags allowed per resource is 50");
  await putTable(ctx.storage.metadata, ctx.scope, t);
  return {};
};

const UntagResource = async (ctx: RequestContext, input: Input) => {
  const t = await tableByArn(ctx, input.ResourceArn);
  const keys = new Set((input.TagKeys ?? []) as string[]);
  if (keys.size === 0) throw invalid("Atleast one Tag Key needs to be provided as Input.");
  t.Tags = t.Tags.filter((x) => !keys.has(x.Key));
  await putTable(ctx.storage.metadata, ctx.scope, t);
  return {};
};

const ListTagsOfResource = async (ctx: RequestContext, input: Input) => {
  const t = await tableByArn(ctx, input.ResourceArn);
  return { Tags: t.Tags };
};

const UpdateTimeToLive = async (ctx: RequestContext, input: Input) => {
  const t = await requireTable(ctx, input.TableName);
  const spec = input.TimeToLiveSpecification ?? {};
  const name = String(spec.AttributeName ?? "");
  if (name.length < 1 || name.length > 255) {
    throw validationError(`1 validation error detected: Value '${name}' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1`);
  }
  const enabled = spec.Enabled === true;
  const current = t.TimeToLive;
  if (enabled && current?.TimeToLiveStatus === "ENABLED") throw validationError("TimeToLive is already enabled");
  if (!enabled && current?.TimeToLiveStatus !== "ENABLED") throw validationError("TimeToLive is already disabled");
  if (!enabled && current && current.AttributeName !== name) {
    throw validationError(`TimeToLive attribute name ${name} does not match the current TimeToLive attribute name ${current.AttributeName}`);
  }
  t.TimeToLive = { AttributeName: name, TimeToLiveStatus: enabled ? "ENABLED" : "DISABLED" };
  await putTable(ctx.storage.metadata, ctx.scope, t);
  return { TimeToLiveSpecification: { AttributeName: name, Enabled: enabled } };
};

const DescribeTimeToLive = async (ctx: RequestContext, input: Input) => {
  const t = await requireTable(ctx, input.TableName, true);
  const ttl = t.TimeToLive;
  return {
    TimeToLiveDescription:
      ttl && ttl.TimeToLiveStatus === "ENABLED" ? { TimeToLiveStatus: "ENABLED", AttributeName: ttl.AttributeName } : { TimeToLiveStatus: "DISABLED" },
  };
};

export const tableHandlers = {
  CreateTable,
  DescribeTable,
  DeleteTable,
  ListTables,
  UpdateTable,
  DescribeLimits,
  DescribeEndpoints,
  TagResource,
  UntagResource,
  ListTagsOfResource,
  UpdateTimeToLive,
  DescribeTimeToLive,
};
