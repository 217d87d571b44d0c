/**
 * Global tables, version 2019.11.21: UpdateTable with ReplicaUpdates Create/Delete adds or
 * removes a replica of the table in another region of the same account; DescribeTable shows
 * Replicas and GlobalTableVersion. Writes in any replica are replicated asynchronously to the
 * others: an item-change listener queues each local change (inside the write's transaction, so a
 * committed write is never lost for replication) and a background drain applies it in the other
 * regions through their item-write path (so their indexes, stats and streams follow). Conflicts
 * are resolved last writer wins by the write's clock time (ties: the greater region name), as AWS
 * reconciles concurrent updates.
 *
 * ## Gaps
 * - Replicas are created and backfilled synchronously (ReplicaStatus ACTIVE at once; AWS:
 *   CREATING for minutes). Replica-specific settings (KMS key, throughput and GSI overrides,
 *   table class) are not applied.
 * - DescribeTableReplicaAutoScaling and UpdateTableReplicaAutoScaling are not implemented.
 *
 * ## By design
 * - Replication runs on every clock advance and every 250 ms of real time.
 * - A replicated write's stream record in the receiving region carries userIdentity
 *   `{ type: "Service", principalId: "replication.dynamodb.amazonaws.com" }`, which is also how
 *   Nimbus tells replicated writes from local ones (AWS leaves it out).
 * - Replicas lists the other regions of the group, not the region asked.
 */
import type { RequestContext } from "../../core/service.js";
import type { MetadataStore, Scope } from "../../storage/types.js";
import { validationError } from "./errors.js";
import { newStreamLabel } from "./streams.js";
import { describeTable, requireTable, tableHandlers } from "./table-operations.js";
import {
  dropTable,
  fromStored,
  getTable,
  itemStorageKey,
  itemsTable,
  onItemChange,
  putTable,
  toStored,
  writeItems,
  type StoredItem,
  type TableRecord,
} from "./table-store.js";
import { randomUUID } from "node:crypto";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- request shapes are checked by the gateway against the model
type Input = any;

export const GLOBAL_TABLE_VERSION = "2019.11.21";
export const REPLICATION_IDENTITY = { type: "Service", principalId: "replication.dynamodb.amazonaws.com" } as const;

interface GlobalTableState {
  /** Every region of the replication group, this one included. */
  regions: string[];
}

interface QueueEntry {
  tableName: string;
  sourceRegion: string;
  targets: string[];
  key: StoredItem;
  item: StoredItem | null;
  /** Clock time of the original write (epoch ms). */
  ts: number;
}

interface WriteStamp {
  ts: number;
  region: string;
}

const queueOf = (source: Pick<MetadataStore, "table">, scope: Scope) => source.table<QueueEntry>(scope, "replication-queue");
const stampsOf = (source: Pick<MetadataStore, "table">, scope: Scope, tableId: string) => source.table<WriteStamp>(scope, `gt-stamps:${tableId}`);

const groupOf = (t: TableRecord): GlobalTableState | undefined => t.extensions?.globalTable as GlobalTableState | undefined;
const regionScope = (scope: Scope, region: string): Scope => ({ account: scope.account, region, service: "dynamodb" });
const newer = (a: WriteStamp, b: WriteStamp) => a.ts > b.ts || (a.ts === b.ts && a.region > b.region);

function withReplicas<T extends Record<string, unknown>>(description: T, t: TableRecord, region: string): T {
  const group = groupOf(t);
  if (!group) return description;
  return {
    ...description,
    GlobalTableVersion: GLOBAL_TABLE_VERSION,
    Replicas: group.regions.filter((r) => r !== region).map((r) => ({ RegionName: r, ReplicaStatus: "ACTIVE" })),
  };
}

async function setGroup(metadata: MetadataStore, scope: Scope, tableName: string, regions: string[]): Promise<void> {
  for (const region of regions) {
    const s = regionScope(scope, region);
    const t = await getTable(metadata, s, tableName);
    if (!t) continue;
    const ext = { ...(t.extensions ?? {}) };
    if (regions.length > 1) ext.globalTable = { regions: [...regions].sort() } satisfies GlobalTableState;
    else delete ext.globalTable;
    t.extensions = ext;
    await putTable(metadata, s, t);
  }
}

async function createReplica(ctx: RequestContext, t: TableRecord, region: string, nowMs: number): Promise<TableRecord> {
  const metadata = ctx.storage.metadata;
  if (typeof region !== "string" || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw validationError(`Invalid region: ${String(region)}`);
  if (region === ctx.region) throw validationError(`Cannot add a replica of table ${t.TableName} in its own region ${region}`);
  const group = groupOf(t)?.regions ?? [ctx.region];
  const target = regionScope(ctx.scope, region);
  if (group.includes(region) || (await getTable(metadata, target, t.TableName))) {
    throw validationError(`Failed to create a the new replica of table with name: '${t.TableName}' because one or more replicas already existed as tables.`);
  }
  // Replication reads the stream's images: the source needs NEW_AND_OLD_IMAGES.
  if (t.StreamSpecification?.StreamEnabled && t.StreamSpecification.StreamViewType !== "NEW_AND_OLD_IMAGES") {
    throw validationError("A global table requires the stream view type NEW_AND_OLD_IMAGES");
  }
  if (!t.StreamSpecification?.StreamEnabled) {
    const label = newStreamLabel(nowMs);
    t.StreamSpecification = { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" };
    t.LatestStreamLabel = label;
    t.LatestStreamArn = `${t.TableArn}/stream/${label}`;
    await putTable(metadata, ctx.scope, t);
  }
  const arn = `arn:aws:dynamodb:${region}:${ctx.account}:table/${t.TableName}`;
  const label = newStreamLabel(nowMs);
  const replica: TableRecord = structuredClone(t);
  Object.assign(replica, {
    TableId: randomUUID(),
    TableArn: arn,
    CreationDateTime: nowMs,
    TableStatus: "ACTIVE",
    Tags: [],
    StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
    LatestStreamLabel: label,
    LatestStreamArn: `${arn}/stream/${label}`,
    extensions: {},
  });
  for (const ix of [...(replica.LocalSecondaryIndexes ?? []), ...(replica.GlobalSecondaryIndexes ?? [])]) ix.IndexArn = `${arn}/index/${ix.IndexName}`;
  await putTable(metadata, target, replica);
  // Backfill the replica with the table's current items.
  const src = itemsTable(metadata, ctx.scope, t);
  let after: string | undefined;
  for (;;) {
    const rows = await src.list({ ...(after !== undefined ? { after } : {}), limit: 500 });
    if (rows.length > 0) {
      await writeItems(metadata, target, nowMs, async (w) => {
        for (const r of rows) w.put(replica, fromStored(r.value), { userIdentity: REPLICATION_IDENTITY });
      });
    }
    if (rows.length < 500) break;
    after = rows[rows.length - 1]!.key;
  }
  return replica;
}

const UpdateTable = async (ctx: RequestContext, input: Input) => {
  if (input.ReplicaUpdates === undefined) {
    const out = (await tableHandlers.UpdateTable(ctx, input)) as { TableDescription: Record<string, unknown> };
    const t = await requireTable(ctx, input.TableName, true);
    return { TableDescription: withReplicas(out.TableDescription, t, ctx.region) };
  }
  const updates = input.ReplicaUpdates as Input[];
  const others = Object.keys(input).filter((k) => k !== "TableName" && k !== "ReplicaUpdates" && input[k] !== undefined);
  if (others.length > 0) await tableHandlers.UpdateTable(ctx, { ...input, ReplicaUpdates: undefined });
  const t = await requireTable(ctx, input.TableName, true);
  const now = ctx.clock.nowMs();
  let regions = [...(groupOf(t)?.regions ?? [ctx.region])];
  for (const u of updates) {
    const kinds = ["Create", "Update", "Delete"].filter((k) => u[k] !== undefined);
    if (kinds.length !== 1) throw validationError("One or more parameter values were invalid: A replica update must specify exactly one of Create, Update or Delete");
    if (u.Create) {
      await createReplica(ctx, t, u.Create.RegionName, now);
      regions.push(u.Create.RegionName);
    } else if (u.Delete) {
      const region = u.Delete.RegionName as string;
      if (!regions.includes(region) || region === ctx.region) {
        throw validationError(`Cannot delete the replica in region ${String(region)}: the table ${t.TableName} has no replica there`);
      }
      const s = regionScope(ctx.scope, region);
      const replica = await getTable(ctx.storage.metadata, s, t.TableName);
      if (replica) await dropTable(ctx.storage.metadata, s, replica);
      regions = regions.filter((r) => r !== region);
    } else {
      const region = u.Update.RegionName as string;
      if (!regions.includes(region)) throw validationError(`Cannot update the replica in region ${String(region)}: it does not exist`);
    }
  }
  await setGroup(ctx.storage.metadata, ctx.scope, t.TableName, regions);
  const fresh = await requireTable(ctx, input.TableName, true);
  return { TableDescription: withReplicas(await describeTable(ctx, fresh), fresh, ctx.region) };
};

const DescribeTable = async (ctx: RequestContext, input: Input) => {
  const t = await requireTable(ctx, input.TableName, true);
  return { Table: withReplicas(await describeTable(ctx, t), t, ctx.region) };
};

const DeleteTable = async (ctx: RequestContext, input: Input) => {
  const t = await requireTable(ctx, input.TableName, true);
  const out = await tableHandlers.DeleteTable(ctx, input);
  const group = groupOf(t);
  // The deleted table leaves its replication group; the others stay replicas of each other.
  if (group) await setGroup(ctx.storage.metadata, ctx.scope, t.TableName, group.regions.filter((r) => r !== ctx.region));
  return out;
};

export const globalTableHandlers = { UpdateTable, DescribeTable, DeleteTable };

// ---------------------------------------------------------------------------------------------
// Replication

let seq = 0;
/**
 * Changes queued for replication since the process started (in any instance). The drain looks for
 * queues only when this moved since its last pass: finding them is a scan of the whole store,
 * too costly to repeat four times a second on a busy server with nothing to replicate.
 */
let queuedChanges = 0;

async function queueChange(
  change: { keys: Record<string, unknown>; newImage?: unknown; userIdentity?: { principalId: string } },
  ctx: { tx: Pick<MetadataStore, "table">; scope: Scope; nowMs: number; tableRecord: TableRecord; afterCommit(fn: () => void): void },
): Promise<void> {
  const group = groupOf(ctx.tableRecord);
  if (!group) return;
  if (change.userIdentity?.principalId === REPLICATION_IDENTITY.principalId) return; // already a replica's copy
  const key = change.keys as Parameters<typeof toStored>[0];
  const storageKey = itemStorageKey(ctx.tableRecord, key);
  await stampsOf(ctx.tx, ctx.scope, ctx.tableRecord.TableId).put(storageKey, { ts: ctx.nowMs, region: ctx.scope.region });
  const targets = group.regions.filter((r) => r !== ctx.scope.region);
  if (targets.length === 0) return;
  seq = (seq + 1) % 1_000_000;
  // Counted once committed, so a drain that starts after the count moved finds the entry.
  ctx.afterCommit(() => queuedChanges++);
  await queueOf(ctx.tx, ctx.scope).put(`${String(ctx.nowMs).padStart(15, "0")}:${String(seq).padStart(6, "0")}`, {
    tableName: ctx.tableRecord.TableName,
    sourceRegion: ctx.scope.region,
    targets,
    key: toStored(key),
    item: change.newImage ? toStored(change.newImage as Parameters<typeof toStored>[0]) : null,
    ts: ctx.nowMs,
  });
}

/** Applies every queued change to its target regions; returns how many entries were drained. */
export async function drainReplication(metadata: MetadataStore, nowMs: number): Promise<number> {
  let drained = 0;
  for (const scope of await metadata.scopes("dynamodb", "replication-queue")) {
    const queue = queueOf(metadata, scope);
    for (;;) {
      const entries = await queue.list({ limit: 200 });
      if (entries.length === 0) break;
      for (const { key: qk, value: e } of entries) {
        const stamp: WriteStamp = { ts: e.ts, region: e.sourceRegion };
        for (const region of e.targets) {
          const target = regionScope(scope, region);
          const table = await getTable(metadata, target, e.tableName);
          if (!table || !groupOf(table)?.regions.includes(e.sourceRegion)) continue; // replica gone
          const key = fromStored(e.key);
          await writeItems(metadata, target, nowMs, async (w) => {
            const storageKey = itemStorageKey(table, key);
            const stamps = stampsOf(w.tx, target, table.TableId);
            const current = await stamps.get(storageKey);
            if (current && newer(current, stamp)) return; // a later write there wins
            await stamps.put(storageKey, stamp);
            if (e.item) w.put(table, fromStored(e.item), { userIdentity: REPLICATION_IDENTITY });
            else w.delete(table, key, { userIdentity: REPLICATION_IDENTITY });
          });
        }
        await queue.delete(qk);
        drained++;
      }
    }
  }
  return drained;
}

let captureUsers = 0;
let offCapture: (() => void) | undefined;

/** Starts queueing changes of global tables and draining the queue; returns the stopper. */
export function startReplication(runtime: {
  storage: { metadata: MetadataStore };
  clock: { nowMs(): number; onAdvance(fn: () => void): () => void };
  logger: { warn(msg: string): void };
}): () => void {
  if (captureUsers++ === 0) offCapture = onItemChange(queueChange, (t) => groupOf(t) !== undefined);
  let busy = false;
  let again = false;
  // -1: the first pass always looks, for entries a previous process queued and did not drain.
  let drainedThrough = -1;
  const run = (): void => {
    if (busy) {
      again = true;
      return;
    }
    if (drainedThrough === queuedChanges) return;
    busy = true;
    const through = queuedChanges;
    drainReplication(runtime.storage.metadata, runtime.clock.nowMs())
      .then(() => {
        drainedThrough = through;
      })
      .catch((e: unknown) => runtime.logger.warn(`dynamodb replication: ${String(e)}`))
      .finally(() => {
        busy = false;
        if (again) {
          again = false;
          run();
        }
      });
  };
  const timer = setInterval(run, 250);
  timer.unref();
  const off = runtime.clock.onAdvance(run);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    off();
    if (--captureUsers === 0) {
      offCapture?.();
      offCapture = undefined;
    }
  };
}
