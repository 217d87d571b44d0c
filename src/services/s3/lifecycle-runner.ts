/**
 * The lifecycle runner: applies every bucket's lifecycle configuration (lifecycle.ts validates
 * and stores it) against the injected clock. It runs when the clock is advanced (`onAdvance`) and
 * every 60 s of real time (an unref'd interval, stopped with the service); `runLifecycleOnce`
 * does one pass for a given time.
 *
 * A pass walks every bucket that has a configuration, in three steps:
 * 1. Non-current versions: NoncurrentVersionExpiration removes versions non-current for
 *    NoncurrentDays (keeping the NewerNoncurrentVersions newest non-current ones);
 *    NoncurrentVersionTransition changes their storage class.
 * 2. Current versions: Expiration (Days / Date) deletes the object: in a bucket whose versioning
 *    was never configured it is removed; in a versioning-enabled bucket a delete marker becomes
 *    the current version; in a suspended one a `null` delete marker replaces the null version,
 *    as a DeleteObject would. Transitions change the storage class. ExpiredObjectDeleteMarker
 *    removes a current delete marker that has no non-current versions left.
 * 3. Multipart uploads: AbortIncompleteMultipartUpload aborts uploads initiated DaysAfterInitiation ago.
 *
 * Timing, as S3 documents it: a Days action falls due at object creation (or the moment a
 * version became non-current, or an upload was initiated) plus Days, rounded up to the next
 * midnight UTC (`nextMidnightUtc`: an object created 2024-01-15T10:30Z with Days 3 goes at
 * 2024-01-19T00:00Z). A Date action applies to every matching object once the clock reaches the
 * Date. A version became non-current when its successor was written (the successor's LastModified).
 *
 * Rules: only Enabled rules count. A rule applies to an object when its filter matches: the
 * prefix (rule-level Prefix, Filter.Prefix or Filter.And.Prefix), every tag (Tag, And.Tags), the
 * size bounds (ObjectSizeGreaterThan / LessThan, strict). When several rules apply, expiration
 * wins over transition, and among due transitions the coldest storage class wins; objects only
 * move to colder classes (STANDARD_IA, INTELLIGENT_TIERING, ONEZONE_IA, GLACIER_IR, GLACIER,
 * DEEP_ARCHIVE, in that order). Objects under 128 KiB are not transitioned unless the rule's
 * filter gives an object size bound, or the configuration's TransitionDefaultMinimumObjectSize
 * is varies_by_storage_class and the target is GLACIER or DEEP_ARCHIVE (AWS's default since
 * September 2024). A transition drops any restored copy.
 *
 * Every action is one mutation that checks, inside its transaction, that the version it acts on
 * is still there and unchanged in the respect that matters (still current, still the same
 * version id), so a pass racing with requests never deletes what a client just wrote.
 *
 * ## Gaps
 * - S3 applies lifecycle asynchronously, usually within a day or two of the due time; Nimbus acts
 *   at the first pass after it (at once when the clock is advanced).
 * - Expiration Days in a versioned bucket does not also remove expired object delete markers
 *   (only ExpiredObjectDeleteMarker does).
 * - A delete marker removed in step 1's wake (its last non-current version expired) goes in the
 *   same pass; a version that step 2 makes non-current waits for a later pass.
 * - Expirations send s3:LifecycleExpiration:* notifications (events.ts); transitions send no
 *   s3:LifecycleTransition notification yet. No
 *   x-amz-expiration header on PUT / GET / HEAD, no Object Lock retention checks.
 * - Minimum storage durations and their early-deletion charges do not exist.
 * - Every pass reads every object of every bucket with a configuration (fine for emulator sizes).
 */
import type { DeliveryBus } from "../../core/bus.js";
import type { Logger } from "../../core/logger.js";
import type { ServiceRuntime, Storage } from "../../core/service.js";
import type { Entry } from "../../storage/types.js";
import { getLifecycleConfiguration, type LifecycleConfig, type LifecycleRule } from "./bucket-config-store.js";
import { BucketStore, type BucketRecord } from "./store.js";
import { ObjectStore, installVersion, keyOfVersionRow, removeVersion, tablesOf, versionPrefix, type ObjectVersion } from "./objects-store.js";
import { partPrefix, uploadTables, uploadRow, type UploadRecord } from "./multipart-store.js";
import { newSortId, readVersioning } from "./versioning.js";
import { DAY_MS, locateVersion, nextMidnightUtc } from "./restore.js";
import { emitS3Event, serviceOrigin } from "./events.js";
import { lifecycleMayExpire } from "./object-lock.js";

/** What a pass needs: the storage and somewhere to report problems. */
export interface LifecycleEnv {
  storage: Storage;
  logger: Logger;
  /** Where lifecycle events are delivered (the runtime's bus). */
  bus?: DeliveryBus;
}

/** What one pass did. */
export interface LifecycleSummary {
  expired: number;
  deleteMarkersAdded: number;
  deleteMarkersRemoved: number;
  noncurrentExpired: number;
  transitioned: number;
  uploadsAborted: number;
}

const PAGE = 1000;
const MIN_TRANSITION_SIZE = 128 * 1024;
const CLASS_ORDER = ["STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"];
const SMALL_OK_WHEN_VARIES = new Set(["GLACIER", "DEEP_ARCHIVE"]);
const coldness = (storageClass: string | undefined) => CLASS_ORDER.indexOf(storageClass ?? "STANDARD");

/** When a Days action falls due: `from` plus Days, rounded up to midnight UTC. */
export function dueAfterDays(from: string | number, days: number): number {
  const start = typeof from === "number" ? from : Date.parse(from);
  return nextMidnightUtc(start + days * DAY_MS);
}

function prefixOf(rule: LifecycleRule): string {
  return rule.Prefix ?? rule.Filter?.Prefix ?? rule.Filter?.And?.Prefix ?? "";
}

function hasSizeBound(rule: LifecycleRule): boolean {
  const f = rule.Filter;
  return (
    !!f &&
    (f.ObjectSizeGreaterThan !== undefined ||
      f.ObjectSizeLessThan !== undefined ||
      f.And?.ObjectSizeGreaterThan !== undefined ||
      f.And?.ObjectSizeLessThan !== undefined)
  );
}

/** Whether the rule's filter selects this key / version. */
export function ruleMatches(rule: LifecycleRule, key: string, v: Pick<ObjectVersion, "size" | "tags">): boolean {
  if (rule.Status !== "Enabled") return false;
  if (!key.startsWith(prefixOf(rule))) return false;
  const f = rule.Filter;
  if (!f) return true;
  const tags = new Map(v.tags ?? []);
  const wanted = [...(f.Tag ? [f.Tag] : []), ...(f.And?.Tags ?? [])];
  if (!wanted.every((t) => tags.get(t.Key) === t.Value)) return false;
  const size = v.size ?? 0;
  const greater = f.ObjectSizeGreaterThan ?? f.And?.ObjectSizeGreaterThan;
  const less = f.ObjectSizeLessThan ?? f.And?.ObjectSizeLessThan;
  if (greater !== undefined && !(size > greater)) return false;
  if (less !== undefined && !(size < less)) return false;
  return true;
}

function transitionAllowed(config: LifecycleConfig, rule: LifecycleRule, v: ObjectVersion, target: string): boolean {
  if (coldness(target) <= coldness(v.storageClass)) return false;
  if ((v.size ?? 0) >= MIN_TRANSITION_SIZE || hasSizeBound(rule)) return true;
  return config.TransitionDefaultMinimumObjectSize === "varies_by_storage_class" && SMALL_OK_WHEN_VARIES.has(target);
}

/** The coldest class among `candidates` (undefined when none). */
function coldest(candidates: string[]): string | undefined {
  let best: string | undefined;
  for (const c of candidates) if (best === undefined || coldness(c) > coldness(best)) best = c;
  return best;
}

const stores = new WeakMap<object, ObjectStore>();
function objectStore(env: LifecycleEnv): ObjectStore {
  let s = stores.get(env.storage);
  if (!s) {
    const logger = env.logger;
    s = new ObjectStore(env.storage.metadata, env.storage.blobs, (m) => logger.warn(`s3 lifecycle: ${m}`));
    stores.set(env.storage, s);
  }
  return s;
}

async function* pages<V>(list: (after: string | undefined) => Promise<Entry<V>[]>): AsyncGenerator<Entry<V>> {
  let after: string | undefined;
  for (;;) {
    const page = await list(after);
    for (const e of page) yield e;
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.key;
  }
}

/** One pass over every bucket at time `now`. */
export async function runLifecycleOnce(env: LifecycleEnv, now: Date): Promise<LifecycleSummary> {
  const summary: LifecycleSummary = {
    expired: 0,
    deleteMarkersAdded: 0,
    deleteMarkersRemoved: 0,
    noncurrentExpired: 0,
    transitioned: 0,
    uploadsAborted: 0,
  };
  const buckets = new BucketStore(env.storage.metadata);
  for await (const { value: bucket } of pages((after) => buckets.listAll({ ...(after !== undefined ? { after } : {}), limit: PAGE }))) {
    try {
      const config = await getLifecycleConfiguration(env.storage.metadata, bucket);
      const rules = config?.Rules.filter((r) => r.Status === "Enabled") ?? [];
      if (!config || rules.length === 0) continue;
      await runBucket(env, bucket, config, rules, now, summary);
    } catch (e) {
      env.logger.warn(`s3 lifecycle: bucket ${bucket.name}: ${String(e)}`);
    }
  }
  return summary;
}

async function runBucket(
  env: LifecycleEnv,
  bucket: BucketRecord,
  config: LifecycleConfig,
  rules: LifecycleRule[],
  now: Date,
  summary: LifecycleSummary,
): Promise<void> {
  const store = objectStore(env);
  const t = tablesOf(env.storage.metadata, bucket);
  const nowMs = now.getTime();

  // 1. Non-current versions, key by key, newest first.
  if (rules.some((r) => r.NoncurrentVersionExpiration || r.NoncurrentVersionTransitions?.length)) {
    let key: string | undefined;
    let index = 0;
    let successorTime = 0;
    for await (const { key: row, value: v } of pages((after) => t.old.list({ ...(after !== undefined ? { after } : {}), limit: PAGE }))) {
      const k = keyOfVersionRow(row);
      if (k !== key) {
        key = k;
        index = 0;
        const cur = await t.cur.get(k);
        successorTime = cur ? Date.parse(cur.lastModified) : Date.parse(v.lastModified);
      } else {
        index++;
      }
      const noncurrentSince = successorTime;
      successorTime = Date.parse(v.lastModified);
      const applicable = rules.filter((r) => ruleMatches(r, k, v));
      const expire = applicable.some((r) => {
        const e = r.NoncurrentVersionExpiration;
        if (!e) return false;
        if (e.NewerNoncurrentVersions !== undefined && index < e.NewerNoncurrentVersions) return false;
        return nowMs >= dueAfterDays(noncurrentSince, e.NoncurrentDays);
      });
      if (expire) {
        const removed = await store.mutate(async (tx) => {
          const tt = tablesOf(tx, bucket);
          const found = await locateVersion(tt, k, v.versionId);
          if (!found || found.table !== "old") return { value: false };
          if (!lifecycleMayExpire(found.version, now)) return { value: false }; // Object Lock (object-lock.ts)
          const gone = await removeVersion(tt, k, v.versionId);
          return { value: !!gone, ...(gone?.blob ? { obsoleteBlobs: [gone.blob] } : {}) };
        });
        if (removed) {
          summary.noncurrentExpired++;
          // Event notification (events.ts).
          emitS3Event(serviceOrigin(env, now), bucket, { eventName: "LifecycleExpiration:Delete", key: k, versionId: v.versionId });
        }
        continue;
      }
      if (v.deleteMarker) continue;
      const targets: string[] = [];
      for (const r of applicable) {
        for (const tr of r.NoncurrentVersionTransitions ?? []) {
          if (tr.NewerNoncurrentVersions !== undefined && index < tr.NewerNoncurrentVersions) continue;
          if (nowMs >= dueAfterDays(noncurrentSince, tr.NoncurrentDays) && transitionAllowed(config, r, v, tr.StorageClass)) {
            targets.push(tr.StorageClass);
          }
        }
      }
      const target = coldest(targets);
      if (target && (await setStorageClass(store, bucket, k, v.versionId, target, "old"))) summary.transitioned++;
    }
  }

  // 2. Current versions (objects and delete markers).
  for await (const { key: k, value: v } of pages((after) => t.cur.list({ ...(after !== undefined ? { after } : {}), limit: PAGE }))) {
    const applicable = rules.filter((r) => ruleMatches(r, k, v));
    if (applicable.length === 0) continue;
    if (v.deleteMarker) {
      if (!applicable.some((r) => r.Expiration?.ExpiredObjectDeleteMarker)) continue;
      const removed = await store.mutate(async (tx) => {
        const tt = tablesOf(tx, bucket);
        const cur = await tt.cur.get(k);
        if (!cur?.deleteMarker || cur.versionId !== v.versionId) return { value: false };
        if ((await tt.old.list({ prefix: versionPrefix(k), limit: 1 })).length > 0) return { value: false };
        await removeVersion(tt, k, v.versionId);
        return { value: true };
      });
      if (removed) {
        summary.deleteMarkersRemoved++;
        // Event notification (events.ts).
        emitS3Event(serviceOrigin(env, now), bucket, { eventName: "LifecycleExpiration:Delete", key: k, versionId: v.versionId });
      }
      continue;
    }
    const expire = applicable.some((r) => {
      const e = r.Expiration;
      if (e?.Days !== undefined) return nowMs >= dueAfterDays(v.lastModified, e.Days);
      if (e?.Date !== undefined) return nowMs >= Date.parse(e.Date);
      return false;
    });
    if (expire) {
      let markerVersion: string | undefined;
      const result = await store.mutate<"removed" | "marker" | "none">(async (tx) => {
        const tt = tablesOf(tx, bucket);
        const [ver, cur] = await Promise.all([readVersioning(tx, bucket), tt.cur.get(k)]);
        if (!cur || cur.deleteMarker || cur.versionId !== v.versionId) return { value: "none" };
        const mode = ver?.status ?? "unversioned";
        if (mode === "unversioned") {
          await tt.cur.delete(k);
          return { value: "removed", ...(cur.blob ? { obsoleteBlobs: [cur.blob] } : {}) };
        }
        const sortId = newSortId(cur.sortId);
        const marker: ObjectVersion = {
          versionId: mode === "Enabled" ? sortId : "null",
          sortId,
          deleteMarker: true,
          lastModified: now.toISOString(),
          owner: bucket.account,
        };
        markerVersion = marker.versionId;
        return { value: "marker", obsoleteBlobs: await installVersion(tt, k, marker, cur, mode) };
      });
      if (result === "removed") summary.expired++;
      if (result === "marker") {
        summary.expired++;
        summary.deleteMarkersAdded++;
      }
      // Event notification (events.ts).
      if (result !== "none") {
        emitS3Event(serviceOrigin(env, now), bucket, {
          eventName: result === "marker" ? "LifecycleExpiration:DeleteMarkerCreated" : "LifecycleExpiration:Delete",
          key: k,
          ...(result === "marker" && markerVersion !== undefined ? { versionId: markerVersion } : {}),
        });
      }
      continue;
    }
    const targets: string[] = [];
    for (const r of applicable) {
      for (const tr of r.Transitions ?? []) {
        const due = tr.Days !== undefined ? dueAfterDays(v.lastModified, tr.Days) : Date.parse(tr.Date!);
        if (nowMs >= due && transitionAllowed(config, r, v, tr.StorageClass)) targets.push(tr.StorageClass);
      }
    }
    const target = coldest(targets);
    if (target && (await setStorageClass(store, bucket, k, v.versionId, target, "cur"))) summary.transitioned++;
  }

  // 3. Incomplete multipart uploads.
  const aborting = rules.filter((r) => r.AbortIncompleteMultipartUpload);
  if (aborting.length > 0) {
    const u = uploadTables(env.storage.metadata, bucket);
    const due: UploadRecord[] = [];
    for await (const { value: up } of pages((after) => u.uploads.list({ ...(after !== undefined ? { after } : {}), limit: PAGE }))) {
      const hit = aborting.some(
        (r) => r.Status === "Enabled" && up.key.startsWith(prefixOf(r)) && nowMs >= dueAfterDays(up.initiated, r.AbortIncompleteMultipartUpload!.DaysAfterInitiation),
      );
      if (hit) due.push(up);
    }
    for (const up of due) {
      const aborted = await store.mutate(async (tx) => {
        const ut = uploadTables(tx, bucket);
        const row = uploadRow(up.key, up.uploadId);
        if (!(await ut.uploads.get(row))) return { value: false };
        const parts = await ut.parts.list({ prefix: partPrefix(up.uploadId) });
        await ut.uploads.delete(row);
        await ut.parts.clear({ prefix: partPrefix(up.uploadId) });
        return { value: true, obsoleteBlobs: parts.map((p) => p.value.blob) };
      });
      if (aborted) summary.uploadsAborted++;
    }
  }
}

async function setStorageClass(
  store: ObjectStore,
  bucket: BucketRecord,
  key: string,
  versionId: string,
  storageClass: string,
  where: "cur" | "old",
): Promise<boolean> {
  return store.mutate(async (tx) => {
    const tt = tablesOf(tx, bucket);
    const found = await locateVersion(tt, key, versionId);
    if (!found || found.table !== where || found.version.deleteMarker) return { value: false };
    if (coldness(storageClass) <= coldness(found.version.storageClass)) return { value: false };
    const updated: ObjectVersion = { ...found.version, storageClass };
    delete updated.restore;
    if (where === "cur") await tt.cur.put(found.row, updated);
    else await tt.old.put(found.row, updated);
    return { value: true };
  });
}

/** Runs passes on clock advances and on a real-time interval; one pass at a time. */
export class LifecycleRunner {
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly runtime: Pick<ServiceRuntime, "clock" | "storage" | "logger">,
    private readonly intervalMs = 60_000,
  ) {}

  start(): void {
    active.add(this);
    this.unsubscribe = this.runtime.clock.onAdvance(() => this.trigger());
    this.timer = setInterval(() => this.trigger(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    active.delete(this);
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.again = false;
    await this.running;
  }

  /** Start a pass (or schedule one more after the current pass). */
  trigger(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await runLifecycleOnce(this.runtime, this.runtime.clock.now());
        } catch (e) {
          this.runtime.logger.warn(`s3 lifecycle: pass failed: ${String(e)}`);
        }
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once no pass is running or scheduled. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}

const active = new Set<LifecycleRunner>();

/** For tests in the same process: wait until every started runner has finished its passes. */
export async function lifecycleSettled(): Promise<void> {
  for (const r of [...active]) await r.idle();
}
