/**
 * S3 replication: the bucket's stored replication rules (provider-bucket-config.ts) acted on.
 *
 * A new object version written by a client (PutObject, CopyObject, CompleteMultipartUpload) that
 * an enabled rule matches (prefix and tags, highest Priority wins) gets
 * `x-amz-replication-status: PENDING` and an entry in a persisted queue (table
 * `replication-queue`, in the source owner's global scope). A delete marker is queued when the
 * matching rule has DeleteMarkerReplication Enabled; deletes of a specific version are never
 * replicated (as in AWS). The queue is worked off in the background, right after the write,
 * on every clock advance and every few seconds of real time, and again after a restart (pending
 * work is in the metadata store). Working an entry copies the version's stored bytes to the
 * destination bucket with the same version id, `REPLICA` status, and the rule's storage class
 * override; the source version then reads COMPLETED (FAILED when the destination is gone or, for
 * another account's bucket, its policy does not grant s3:ReplicateObject to the source account).
 *
 * ## Gaps
 * - The queue entry is written right after the version's commit, not in the same transaction:
 *   a crash between the two leaves that version PENDING for good.
 * - The replication role is not assumed or checked; ReplicaModifications, SSE-KMS selection,
 *   replication time control and metrics, existing-object replication and S3 Batch Replication
 *   are stored only. Tag, ACL and lock changes after the write are not replicated.
 */
import { randomBytes } from "node:crypto";
import type { RequestContext, ServiceRuntime } from "../../core/service.js";
import { GLOBAL_REGION } from "../../core/regions.js";
import type { MetadataStore, Scope } from "../../storage/types.js";
import type { Storage } from "../../core/service.js";
import { parsePolicyDocument } from "../iam/policy/index.js";
import { BucketConfigStore, type ReplicationConfig } from "./bucket-config-store.js";
import { ObjectStore, installVersion, tablesOf, versionRow, type ObjectVersion } from "./objects-store.js";
import { versionInTx } from "./object-lock.js";
import { BucketStore, type BucketRecord } from "./store.js";

type Rule = ReplicationConfig["Rules"][number];

const QUEUE = "replication-queue";
const scopeOf = (account: string): Scope => ({ account, region: GLOBAL_REGION, service: "s3" });

export interface QueueEntry {
  bucket: string;
  key: string;
  versionId: string;
  deleteMarker?: true;
}

function rulePrefix(r: Rule): string {
  return r.Filter?.And?.Prefix ?? r.Filter?.Prefix ?? r.Prefix ?? "";
}

function ruleTags(r: Rule): Array<{ Key: string; Value: string }> {
  if (r.Filter?.Tag) return [r.Filter.Tag as { Key: string; Value: string }];
  return (r.Filter?.And?.Tags ?? []) as Array<{ Key: string; Value: string }>;
}

/** The enabled rule (highest priority first) that applies to a key with these tags. */
export function matchingRule(config: ReplicationConfig | undefined, key: string, tags: [string, string][] | undefined): Rule | undefined {
  if (!config) return undefined;
  const candidates = config.Rules.filter((r) => {
    if (r.Status !== "Enabled") return false;
    if (!key.startsWith(rulePrefix(r))) return false;
    return ruleTags(r).every((t) => (tags ?? []).some(([k, v]) => k === t.Key && v === t.Value));
  });
  candidates.sort((a, b) => (b.Priority ?? 0) - (a.Priority ?? 0));
  return candidates[0];
}

async function configOf(metadata: MetadataStore, bucket: BucketRecord): Promise<ReplicationConfig | undefined> {
  return new BucketConfigStore(metadata).get(bucket, "replication");
}

/** x-amz-replication-status for a new version: PENDING when a rule applies. */
export async function replicationOnWrite(
  ctx: RequestContext,
  bucket: BucketRecord,
  key: string,
  tags: [string, string][] | undefined,
): Promise<"PENDING" | undefined> {
  return matchingRule(await configOf(ctx.storage.metadata, bucket), key, tags) ? "PENDING" : undefined;
}

/** After a version's commit: queue its replication (objects marked PENDING, delete markers by rule). */
export async function afterCommit(
  ctx: RequestContext,
  bucket: BucketRecord,
  key: string,
  versionId: string,
  what: { pending?: boolean; deleteMarker?: boolean },
): Promise<void> {
  if (versionId === "null") return;
  if (what.deleteMarker) {
    const rule = matchingRule(await configOf(ctx.storage.metadata, bucket), key, undefined);
    if (rule?.DeleteMarkerReplication?.Status !== "Enabled") return;
  } else if (!what.pending) {
    return;
  }
  await enqueueReplication(ctx.storage.metadata, bucket.account, { bucket: bucket.name, key, versionId, ...(what.deleteMarker ? { deleteMarker: true } : {}) });
  runners.get(ctx.storage)?.trigger();
}

/** Persist one piece of replication work for the source bucket's owner. */
export async function enqueueReplication(metadata: MetadataStore, account: string, entry: QueueEntry): Promise<void> {
  const id = `${Date.now().toString(36).padStart(10, "0")}-${randomBytes(6).toString("hex")}`;
  await metadata.table<QueueEntry>(scopeOf(account), QUEUE).put(id, entry);
}

/** Whether a cross-account destination's policy grants the source account s3:ReplicateObject. */
function destinationAllows(policy: string | undefined, sourceAccount: string, destBucket: string, key: string): boolean {
  if (!policy) return false;
  let doc;
  try {
    doc = parsePolicyDocument(policy, "resource");
  } catch {
    return false;
  }
  const wild = (p: string, s: string) => new RegExp("^" + p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$", "is").test(s);
  const objectArn = `arn:aws:s3:::${destBucket}/${key}`;
  return doc.Statement.some((s) => {
    if (s.Effect !== "Allow" || !s.Principal) return false;
    const principals = s.Principal === "*" ? ["*"] : (s.Principal.AWS ?? []);
    const principalOk = principals.some((p) => p === "*" || p === sourceAccount || p.startsWith(`arn:aws:iam::${sourceAccount}:`));
    const actionOk = (s.Action ?? []).some((a) => wild(a, "s3:ReplicateObject"));
    const resourceOk = (s.Resource ?? []).some((r) => wild(r, objectArn));
    return principalOk && actionOk && resourceOk;
  });
}

/** Work one queue entry. */
async function replicateOne(storage: Storage, store: ObjectStore, sourceAccount: string, entry: QueueEntry): Promise<void> {
  const buckets = new BucketStore(storage.metadata);
  const source = await buckets.get(entry.bucket);
  if (!source || source.account !== sourceAccount) return;
  const found = await store.find(source, entry.key, entry.versionId);
  if (!found) return;
  const v = found.version;
  const rule = matchingRule(await configOf(storage.metadata, source), entry.key, v.tags);
  const setStatus = async (status: "COMPLETED" | "FAILED") => {
    if (v.deleteMarker) return;
    await store.mutate(async (tx) => {
      const at = await versionInTx(tablesOf(tx, source), entry.key, entry.versionId);
      if (at && at.version.replication === "PENDING") await at.put({ ...at.version, replication: status });
      return { value: undefined };
    });
  };
  const destName = rule?.Destination.Bucket.replace(/^arn:aws:s3:::/, "");
  const dest = destName ? await buckets.get(destName) : undefined;
  if (!rule || !dest) return setStatus("FAILED");
  if (dest.account !== source.account) {
    const policy = await new BucketConfigStore(storage.metadata).get(dest, "policy");
    if (!destinationAllows(policy, source.account, dest.name, entry.key)) return setStatus("FAILED");
  }
  const replica: ObjectVersion = { ...v };
  delete replica.restore;
  if (!v.deleteMarker) {
    const info = await storage.blobs.put(storage.blobs.get(v.blob!));
    replica.blob = info.id;
    replica.replication = "REPLICA";
    if (rule.Destination.StorageClass) {
      if (rule.Destination.StorageClass === "STANDARD") delete replica.storageClass;
      else replica.storageClass = rule.Destination.StorageClass;
    }
  }
  try {
    await store.mutate(async (tx) => {
      const t = tablesOf(tx, dest);
      const cur = await t.cur.get(entry.key);
      if (cur?.versionId === replica.versionId) return { value: undefined, ...(replica.blob ? { obsoleteBlobs: [replica.blob] } : {}) };
      // Newer writes at the destination stay current; the replica joins the history.
      if (cur && cur.sortId < replica.sortId) {
        const row = versionRow(entry.key, replica.sortId);
        if (await t.old.get(row)) return { value: undefined, ...(replica.blob ? { obsoleteBlobs: [replica.blob] } : {}) };
        await t.old.put(row, replica);
        return { value: undefined };
      }
      return { value: undefined, obsoleteBlobs: await installVersion(t, entry.key, replica, cur, "Enabled") };
    });
  } catch (e) {
    if (replica.blob && replica.blob !== v.blob) store.deleteBlobs([replica.blob]);
    throw e;
  }
  await setStatus("COMPLETED");
}

/** Works off every account's queue; one pass at a time, on trigger, clock advances and a timer. */
export class ReplicationRunner {
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly store: ObjectStore;

  constructor(
    private readonly runtime: Pick<ServiceRuntime, "clock" | "storage" | "logger">,
    private readonly intervalMs = 5_000,
  ) {
    this.store = new ObjectStore(runtime.storage.metadata, runtime.storage.blobs, (m) => runtime.logger.warn(`s3 replication: ${m}`));
  }

  start(): void {
    runners.set(this.runtime.storage, this);
    active.add(this);
    this.unsubscribe = this.runtime.clock.onAdvance(() => this.trigger());
    this.timer = setInterval(() => this.trigger(), this.intervalMs);
    this.timer.unref();
    this.trigger();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    active.delete(this);
    if (runners.get(this.runtime.storage) === this) runners.delete(this.runtime.storage);
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        do {
          this.again = false;
          await this.pass();
        } while (this.again && !this.stopped);
      })
      .catch((e: unknown) => this.runtime.logger.warn(`s3 replication: pass failed: ${String(e)}`))
      .finally(() => {
        this.running = undefined;
      });
  }

  private async pass(): Promise<void> {
    const metadata = this.runtime.storage.metadata;
    for (const scope of await metadata.scopes("s3", QUEUE)) {
      const q = metadata.table<QueueEntry>(scope, QUEUE);
      for (;;) {
        if (this.stopped) return;
        const batch = await q.list({ limit: 100 });
        if (batch.length === 0) break;
        // Entries of different keys go in parallel (their commits share fsyncs); one key's in order.
        const byKey = new Map<string, Array<{ key: string; value: QueueEntry }>>();
        for (const e of batch) {
          const k = `${e.value.bucket}/${e.value.key}`;
          byKey.set(k, [...(byKey.get(k) ?? []), e]);
        }
        await Promise.all(
          [...byKey.values()].map(async (entries) => {
            for (const { key, value } of entries) {
              if (this.stopped) return;
              try {
                await replicateOne(this.runtime.storage, this.store, scope.account, value);
              } catch (e) {
                this.runtime.logger.warn(`s3 replication of ${value.bucket}/${value.key} failed: ${String(e)}`);
              }
              await q.delete(key);
            }
          }),
        );
        if (this.stopped) return;
      }
    }
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}

const runners = new WeakMap<object, ReplicationRunner>();

const active = new Set<ReplicationRunner>();

/** For tests in the same process: wait until every started runner has worked off its queue. */
export async function replicationSettled(): Promise<void> {
  for (const r of [...active]) await r.idle();
}
