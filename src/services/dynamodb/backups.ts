/**
 * On-demand backups and point-in-time recovery.
 *
 * ## Tables of the metadata store (scope: account + region, service "dynamodb")
 *
 *   backups                 backup ARN -> BackupRecord (source table's description at backup time)
 *   backup-items:<BackupId> item storage key -> StoredItem (the table's items at backup time)
 *   pitr-base:<TableId>     item storage key -> StoredItem (the items when PITR was enabled)
 *   pitr-log:<TableId>      "<epoch ms, 15 digits>:<item storage key>" -> { item | null }
 *
 * CreateBackup copies the items in one transaction (a consistent snapshot). PITR keeps the
 * table's items as of enabling, then a change log written by an item-change listener inside each
 * write's transaction; restoring to a time replays the log up to it over the base. Restores go
 * through the item-write path, so the new table's indexes and stats are built as for any write.
 *
 * ## Gaps
 * - Log entries older than the 35-day window are folded into the base by a sweep (each clock
 *   advance and every 60 s); disabling PITR drops the whole history, as on AWS.
 * - Restores take the source's key schema, indexes and billing settings (BillingModeOverride and
 *   ProvisionedThroughputOverride apply; index and SSE overrides are ignored). Streams, TTL, tags
 *   and auto scaling are not restored, as on AWS.
 * - The restored table is ACTIVE when the call answers (AWS: CREATING for minutes), and
 *   DescribeTable does not show RestoreSummary afterwards (the restore call's answer does).
 * - Restoring a deleted table from its PITR history is not supported.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { ServiceError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import type { MetadataStore, Scope } from "../../storage/types.js";
import { DynamoDBErrors, validationError } from "./errors.js";
import { describeTable, tableArn } from "./table-operations.js";
import {
  fromStored,
  getTable,
  getTableStats,
  itemStorageKey,
  itemsTable,
  onItemChange,
  putTable,
  invalidateTableCache,
  toStored,
  writeItems,
  type StoredItem,
  type TableRecord,
} from "./table-store.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- request shapes are checked by the gateway against the model
type Input = any;

const PITR_WINDOW_MS = 35 * 24 * 3600 * 1000;
const LATEST_LAG_MS = 5 * 60 * 1000;
const COPY_BATCH = 500;

interface BackupRecord {
  BackupArn: string;
  BackupName: string;
  BackupId: string;
  createdMs: number;
  sizeBytes: number;
  itemCount: number;
  source: TableRecord;
}

interface PitrState {
  enabled: boolean;
  enabledMs: number;
}

const backupsOf = (source: Pick<MetadataStore, "table">, scope: Scope) => source.table<BackupRecord>(scope, "backups");
const backupItems = (source: Pick<MetadataStore, "table">, scope: Scope, id: string) => source.table<StoredItem>(scope, `backup-items:${id}`);
const pitrBase = (source: Pick<MetadataStore, "table">, scope: Scope, tableId: string) => source.table<StoredItem>(scope, `pitr-base:${tableId}`);
const pitrLog = (source: Pick<MetadataStore, "table">, scope: Scope, tableId: string) => source.table<{ item: StoredItem | null }>(scope, `pitr-log:${tableId}`);

function pitrOf(t: TableRecord): PitrState | undefined {
  return t.extensions?.pitr as PitrState | undefined;
}

function tableNotFound(name: string): ServiceError {
  return new ServiceError(DynamoDBErrors.TableNotFoundException, `Table not found: ${name}`);
}

async function sourceTable(ctx: RequestContext, name: unknown): Promise<TableRecord> {
  const n = String(name ?? "");
  const byArn = /^arn:aws[a-z-]*:dynamodb:[^:]*:[^:]*:table\/([^/]+)$/.exec(n);
  const tableName = byArn ? byArn[1]! : n;
  const t = await getTable(ctx.storage.metadata, ctx.scope, tableName);
  if (!t || t.TableStatus === "DELETING") throw tableNotFound(tableName);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Descriptions

function sourceDetails(b: BackupRecord) {
  const t = b.source;
  return {
    TableName: t.TableName,
    TableId: t.TableId,
    TableArn: t.TableArn,
    TableSizeBytes: b.sizeBytes,
    KeySchema: t.KeySchema,
    TableCreationDateTime: new Date(t.CreationDateTime),
    ProvisionedThroughput: { ReadCapacityUnits: t.ProvisionedThroughput.ReadCapacityUnits, WriteCapacityUnits: t.ProvisionedThroughput.WriteCapacityUnits },
    ItemCount: b.itemCount,
    BillingMode: t.BillingMode,
  };
}

function backupDetails(b: BackupRecord, status = "AVAILABLE") {
  return {
    BackupArn: b.BackupArn,
    BackupName: b.BackupName,
    BackupSizeBytes: b.sizeBytes,
    BackupStatus: status,
    BackupType: "USER",
    BackupCreationDateTime: new Date(b.createdMs),
  };
}

function backupDescription(b: BackupRecord, status = "AVAILABLE") {
  const t = b.source;
  return {
    BackupDetails: backupDetails(b, status),
    SourceTableDetails: sourceDetails(b),
    SourceTableFeatureDetails: {
      ...(t.LocalSecondaryIndexes?.length
        ? { LocalSecondaryIndexes: t.LocalSecondaryIndexes.map((i) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection })) }
        : {}),
      ...(t.GlobalSecondaryIndexes?.length
        ? {
            GlobalSecondaryIndexes: t.GlobalSecondaryIndexes.map((i) => ({
              IndexName: i.IndexName,
              KeySchema: i.KeySchema,
              Projection: i.Projection,
              ...(i.ProvisionedThroughput
                ? { ProvisionedThroughput: { ReadCapacityUnits: i.ProvisionedThroughput.ReadCapacityUnits, WriteCapacityUnits: i.ProvisionedThroughput.WriteCapacityUnits } }
                : {}),
            })),
          }
        : {}),
      ...(t.StreamSpecification?.StreamEnabled ? { StreamDescription: t.StreamSpecification } : {}),
      ...(t.TimeToLive ? { TimeToLiveDescription: { TimeToLiveStatus: t.TimeToLive.TimeToLiveStatus, AttributeName: t.TimeToLive.AttributeName } } : {}),
      ...(t.SSEDescription ? { SSEDescription: t.SSEDescription } : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Restores

/** A new table like `source` named `target`, filled with `items`; returns its description. */
async function restoreInto(
  ctx: RequestContext,
  source: TableRecord,
  target: string,
  input: Input,
  items: AsyncIterable<StoredItem[]>,
  summary: Record<string, unknown>,
) {
  if (typeof target !== "string" || !/^[a-zA-Z0-9_.-]{3,255}$/.test(target)) {
    throw validationError(`1 validation error detected: Value '${String(target)}' at 'targetTableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`);
  }
  if (await getTable(ctx.storage.metadata, ctx.scope, target)) {
    throw new ServiceError(DynamoDBErrors.TableAlreadyExistsException, `Table already exists: ${target}`);
  }
  const now = ctx.clock.nowMs();
  const arn = tableArn(ctx, target);
  const fresh: TableRecord = structuredClone(source);
  fresh.TableName = target;
  fresh.TableId = randomUUID();
  fresh.TableArn = arn;
  fresh.CreationDateTime = now;
  fresh.TableStatus = "ACTIVE";
  fresh.Tags = [];
  fresh.DeletionProtectionEnabled = false;
  delete fresh.StreamSpecification;
  delete fresh.LatestStreamArn;
  delete fresh.LatestStreamLabel;
  delete fresh.TimeToLive;
  fresh.extensions = {};
  for (const ix of [...(fresh.LocalSecondaryIndexes ?? []), ...(fresh.GlobalSecondaryIndexes ?? [])]) {
    ix.IndexArn = `${arn}/index/${ix.IndexName}`;
    if (ix.IndexStatus !== undefined) ix.IndexStatus = "ACTIVE";
    delete ix.Backfilling;
  }
  if (input.BillingModeOverride === "PAY_PER_REQUEST" || input.BillingModeOverride === "PROVISIONED") {
    fresh.BillingMode = input.BillingModeOverride;
    if (fresh.BillingMode === "PAY_PER_REQUEST") fresh.ProvisionedThroughput = { ReadCapacityUnits: 0, WriteCapacityUnits: 0, NumberOfDecreasesToday: 0 };
  }
  if (input.ProvisionedThroughputOverride) {
    fresh.ProvisionedThroughput = {
      ReadCapacityUnits: input.ProvisionedThroughputOverride.ReadCapacityUnits,
      WriteCapacityUnits: input.ProvisionedThroughputOverride.WriteCapacityUnits,
      NumberOfDecreasesToday: 0,
    };
  }
  await putTable(ctx.storage.metadata, ctx.scope, fresh);
  for await (const batch of items) {
    await writeItems(ctx.storage.metadata, ctx.scope, now, async (w) => {
      for (const stored of batch) w.put(fresh, fromStored(stored));
    });
  }
  const description = await describeTable(ctx, fresh);
  return { TableDescription: { ...description, RestoreSummary: { ...summary, RestoreDateTime: new Date(now), RestoreInProgress: false } } };
}

async function* pages(list: (after: string | undefined) => Promise<{ key: string; value: StoredItem }[]>): AsyncIterable<StoredItem[]> {
  let after: string | undefined;
  for (;;) {
    const rows = await list(after);
    if (rows.length > 0) yield rows.map((r) => r.value);
    if (rows.length < COPY_BATCH) return;
    after = rows[rows.length - 1]!.key;
  }
}

// ---------------------------------------------------------------------------------------------
// Handlers: on-demand backups

const CreateBackup = async (ctx: RequestContext, input: Input) => {
  const name = input.BackupName;
  if (typeof name !== "string" || !/^[a-zA-Z0-9_.-]{3,255}$/.test(name)) {
    throw validationError(`1 validation error detected: Value '${String(name)}' at 'backupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`);
  }
  const table = await sourceTable(ctx, input.TableName);
  const now = ctx.clock.nowMs();
  const id = `${String(now).padStart(14, "0")}-${randomBytes(4).toString("hex")}`;
  const record = await ctx.storage.metadata.transaction(async (tx) => {
    const dest = backupItems(tx, ctx.scope, id);
    const src = itemsTable(tx, ctx.scope, table);
    let after: string | undefined;
    for (;;) {
      const rows = await src.list({ ...(after !== undefined ? { after } : {}), limit: COPY_BATCH });
      for (const r of rows) await dest.put(r.key, r.value);
      if (rows.length < COPY_BATCH) break;
      after = rows[rows.length - 1]!.key;
    }
    const stats = await getTableStats(tx as unknown as MetadataStore, ctx.scope, table);
    const rec: BackupRecord = {
      BackupArn: `${table.TableArn}/backup/${id}`,
      BackupName: name,
      BackupId: id,
      createdMs: now,
      sizeBytes: stats.sizeBytes,
      itemCount: stats.itemCount,
      source: table,
    };
    await backupsOf(tx, ctx.scope).put(rec.BackupArn, rec);
    return rec;
  });
  return { BackupDetails: backupDetails(record) };
};

async function requireBackup(ctx: RequestContext, arn: unknown): Promise<BackupRecord> {
  const b = await backupsOf(ctx.storage.metadata, ctx.scope).get(String(arn));
  if (!b) throw new ServiceError(DynamoDBErrors.BackupNotFoundException, `Backup not found: ${String(arn)}`);
  return b;
}

const DescribeBackup = async (ctx: RequestContext, input: Input) => ({ BackupDescription: backupDescription(await requireBackup(ctx, input.BackupArn)) });

const DeleteBackup = async (ctx: RequestContext, input: Input) => {
  const b = await requireBackup(ctx, input.BackupArn);
  await ctx.storage.metadata.transaction(async (tx) => {
    await backupItems(tx, ctx.scope, b.BackupId).clear();
    await backupsOf(tx, ctx.scope).delete(b.BackupArn);
  });
  return { BackupDescription: backupDescription(b, "DELETED") };
};

const ListBackups = async (ctx: RequestContext, input: Input) => {
  const limit: number = input.Limit ?? 100;
  if (limit < 1 || limit > 100) {
    throw validationError(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value ${limit < 1 ? "greater than or equal to 1" : "less than or equal to 100"}`);
  }
  const type = input.BackupType ?? "ALL";
  if (!["USER", "SYSTEM", "AWS_BACKUP", "ALL"].includes(type)) {
    throw validationError(`1 validation error detected: Value '${String(type)}' at 'backupType' failed to satisfy constraint: Member must satisfy enum value set: [USER, SYSTEM, AWS_BACKUP, ALL]`);
  }
  const lower = input.TimeRangeLowerBound instanceof Date ? input.TimeRangeLowerBound.getTime() : undefined;
  const upper = input.TimeRangeUpperBound instanceof Date ? input.TimeRangeUpperBound.getTime() : undefined;
  const rows = await backupsOf(ctx.storage.metadata, ctx.scope).list(input.ExclusiveStartBackupArn ? { after: input.ExclusiveStartBackupArn } : {});
  const matching = rows
    .map((r) => r.value)
    .filter(
      (b) =>
        (input.TableName === undefined || b.source.TableName === input.TableName) &&
        (type === "ALL" || type === "USER") &&
        (lower === undefined || b.createdMs >= lower) &&
        (upper === undefined || b.createdMs < upper),
    );
  const page = matching.slice(0, limit);
  return {
    BackupSummaries: page.map((b) => ({
      TableName: b.source.TableName,
      TableId: b.source.TableId,
      TableArn: b.source.TableArn,
      ...backupDetails(b),
    })),
    ...(matching.length > limit ? { LastEvaluatedBackupArn: page[page.length - 1]!.BackupArn } : {}),
  };
};

const RestoreTableFromBackup = async (ctx: RequestContext, input: Input) => {
  const b = await requireBackup(ctx, input.BackupArn);
  const items = backupItems(ctx.storage.metadata, ctx.scope, b.BackupId);
  return restoreInto(ctx, b.source, input.TargetTableName, input, pages((after) => items.list({ ...(after !== undefined ? { after } : {}), limit: COPY_BATCH })), {
    SourceBackupArn: b.BackupArn,
    SourceTableArn: b.source.TableArn,
  });
};

// ---------------------------------------------------------------------------------------------
// Point-in-time recovery

function window(pitr: PitrState, nowMs: number): { earliest: number; latest: number } {
  const earliest = Math.max(pitr.enabledMs, nowMs - PITR_WINDOW_MS);
  return { earliest, latest: Math.max(earliest, nowMs - LATEST_LAG_MS) };
}

function continuousDescription(t: TableRecord, nowMs: number) {
  const pitr = pitrOf(t);
  if (!pitr?.enabled) return { ContinuousBackupsStatus: "ENABLED", PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: "DISABLED" } };
  const w = window(pitr, nowMs);
  return {
    ContinuousBackupsStatus: "ENABLED",
    PointInTimeRecoveryDescription: {
      PointInTimeRecoveryStatus: "ENABLED",
      EarliestRestorableDateTime: new Date(Math.floor(w.earliest / 1000) * 1000),
      LatestRestorableDateTime: new Date(Math.floor(w.latest / 1000) * 1000),
    },
  };
}

const DescribeContinuousBackups = async (ctx: RequestContext, input: Input) => {
  const t = await sourceTable(ctx, input.TableName);
  return { ContinuousBackupsDescription: continuousDescription(t, ctx.clock.nowMs()) };
};

const UpdateContinuousBackups = async (ctx: RequestContext, input: Input) => {
  const name = String(input.TableName ?? "");
  const enable = input.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled === true;
  const now = ctx.clock.nowMs();
  const updated = await ctx.storage.metadata.transaction(async (tx) => {
    const t = await getTable(tx as unknown as MetadataStore, ctx.scope, name);
    if (!t || t.TableStatus === "DELETING") throw tableNotFound(name);
    const current = pitrOf(t);
    if (enable && current?.enabled) return t;
    if (!enable && !current?.enabled) return t;
    await pitrBase(tx, ctx.scope, t.TableId).clear();
    await pitrLog(tx, ctx.scope, t.TableId).clear();
    if (enable) {
      const base = pitrBase(tx, ctx.scope, t.TableId);
      const src = itemsTable(tx, ctx.scope, t);
      let after: string | undefined;
      for (;;) {
        const rows = await src.list({ ...(after !== undefined ? { after } : {}), limit: COPY_BATCH });
        for (const r of rows) await base.put(r.key, r.value);
        if (rows.length < COPY_BATCH) break;
        after = rows[rows.length - 1]!.key;
      }
    }
    t.extensions = { ...(t.extensions ?? {}), pitr: { enabled: enable, enabledMs: now } satisfies PitrState };
    await putTable(tx as unknown as MetadataStore, ctx.scope, t);
    return t;
  });
  // The description changed inside a transaction, which has committed only now.
  invalidateTableCache();
  return { ContinuousBackupsDescription: continuousDescription(updated, now) };
};

const RestoreTableToPointInTime = async (ctx: RequestContext, input: Input) => {
  if (input.SourceTableName === undefined && input.SourceTableArn === undefined) {
    throw validationError("Either SourceTableName or SourceTableArn must be specified");
  }
  const t = await sourceTable(ctx, input.SourceTableArn ?? input.SourceTableName);
  const pitr = pitrOf(t);
  if (!pitr?.enabled) {
    throw new ServiceError(DynamoDBErrors.PointInTimeRecoveryUnavailableException, `Point in time recovery is not enabled for table '${t.TableName}'`);
  }
  const now = ctx.clock.nowMs();
  const w = window(pitr, now);
  let at: number;
  if (input.UseLatestRestorableTime === true) {
    if (input.RestoreDateTime !== undefined) throw validationError("Only one of RestoreDateTime or UseLatestRestorableTime can be specified");
    at = w.latest;
  } else {
    if (!(input.RestoreDateTime instanceof Date)) throw validationError("RestoreDateTime must be specified when UseLatestRestorableTime is not true");
    at = input.RestoreDateTime.getTime();
    if (at < Math.floor(w.earliest / 1000) * 1000 || at > w.latest) {
      throw new ServiceError(
        DynamoDBErrors.InvalidRestoreTimeException,
        `Invalid restore time: the time must be between EarliestRestorableDateTime ${new Date(w.earliest).toISOString()} and LatestRestorableDateTime ${new Date(w.latest).toISOString()}`,
      );
    }
  }
  // The state at `at` (to the end of that second): base, then the log up to it.
  const state = new Map<string, StoredItem>();
  for await (const batch of pages((after) => pitrBase(ctx.storage.metadata, ctx.scope, t.TableId).list({ ...(after !== undefined ? { after } : {}), limit: COPY_BATCH }))) {
    for (const item of batch) state.set(itemStorageKey(t, fromStored(item)), item);
  }
  const until = `${String(Math.floor(at / 1000) * 1000 + 999).padStart(15, "0")}:\uffff`;
  for (const e of await pitrLog(ctx.storage.metadata, ctx.scope, t.TableId).list({ before: until })) {
    const storageKey = e.key.slice(16);
    if (e.value.item === null) state.delete(storageKey);
    else state.set(storageKey, e.value.item);
  }
  async function* chunks(): AsyncIterable<StoredItem[]> {
    const all = [...state.values()];
    for (let i = 0; i < all.length; i += COPY_BATCH) yield all.slice(i, i + COPY_BATCH);
  }
  return restoreInto(ctx, t, input.TargetTableName, input, chunks(), { SourceTableArn: t.TableArn });
};

// ---------------------------------------------------------------------------------------------
// The PITR change log

let captureUsers = 0;
let offCapture: (() => void) | undefined;

/** Folds PITR log entries older than the window into each table's base; returns how many. */
export async function compactPitr(metadata: MetadataStore, nowMs: number): Promise<number> {
  let folded = 0;
  const horizon = `${String(nowMs - PITR_WINDOW_MS).padStart(15, "0")}:`;
  for (const scope of await metadata.scopes("dynamodb", "tables")) {
    for (const { value: t } of await metadata.table<TableRecord>(scope, "tables").list()) {
      if (!pitrOf(t)?.enabled) continue;
      for (;;) {
        const n = await metadata.transaction(async (tx) => {
          const rows = await pitrLog(tx, scope, t.TableId).list({ before: horizon, limit: COPY_BATCH });
          const base = pitrBase(tx, scope, t.TableId);
          for (const r of rows) {
            const storageKey = r.key.slice(16);
            if (r.value.item === null) await base.delete(storageKey);
            else await base.put(storageKey, r.value.item);
            await pitrLog(tx, scope, t.TableId).delete(r.key);
          }
          return rows.length;
        });
        folded += n;
        if (n < COPY_BATCH) break;
      }
    }
  }
  return folded;
}

/** Starts logging item changes of PITR-enabled tables (reference-counted per process). */
export function startPitrCapture(): () => void {
  if (captureUsers++ === 0) {
    offCapture = onItemChange(async (change, ctx) => {
      const pitr = pitrOf(ctx.tableRecord);
      if (!pitr?.enabled) return;
      const storageKey = itemStorageKey(ctx.tableRecord, change.keys);
      await pitrLog(ctx.tx, ctx.scope, ctx.tableRecord.TableId).put(`${String(ctx.nowMs).padStart(15, "0")}:${storageKey}`, {
        item: change.newImage ? toStored(change.newImage) : null,
      });
    }, (t) => pitrOf(t)?.enabled === true);
  }
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--captureUsers === 0) {
      offCapture?.();
      offCapture = undefined;
    }
  };
}

export const backupHandlers = {
  CreateBackup,
  DescribeBackup,
  DeleteBackup,
  ListBackups,
  RestoreTableFromBackup,
  DescribeContinuousBackups,
  UpdateContinuousBackups,
  RestoreTableToPointInTime,
};
