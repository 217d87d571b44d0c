/**
 * CloudWatch metric state.
 *
 * - `metrics`: one entry per metric (namespace, name, dimension set) with the time of its newest
 *   data point (ListMetrics, RecentlyActive).
 * - `buckets`: per metric and per aggregation bucket, in append-only segments (one per commit,
 *   `<bucket key>\u0001<segment id>`, compacted by the evaluator's sweep into `<bucket key>`), (1 s for high-resolution points, 60 s for
 *   standard ones), per unit: sample count, sum, min, max and, when every contribution came as raw
 *   values, the values themselves with their counts (for percentiles and the other extended
 *   statistics). Keys are `<metric key>\u0001<bucket start ms, 15 digits>`, so a metric's data for a
 *   time range is one ordered range read.
 *
 * - `log`: the write-ahead rows of the group commit (below), one per commit and scope, key = a
 *   segment id, value = `[bucket key, BucketRecord][]`; folded into `buckets` segments within
 *   about a second, and always before a read.
 *
 * Writes are group-committed: concurrent PutMetricData calls (and services publishing built-in
 * metrics) merge into an in-memory batch that one transaction writes (the batch is taken when the
 * metadata store's group commit runs that transaction, so it holds everything added until then),
 * and each caller's promise resolves once that transaction has committed. The transaction writes
 * the whole batch as one `log` row per scope rather than a row per bucket; a fold (a timer about a
 * second after a commit, and every read first) merges all log rows of a scope into one new segment
 * per bucket and deletes them, in one transaction. So a bucket written by many commits within a
 * second costs one row write, not one per commit: that is what lets 20-point calls reach thousands
 * per second on SQLite. A crash loses nothing acknowledged: log rows are committed before the
 * caller is answered and folded after a restart.
 *
 * ## For other services: publishing built-in metrics
 * ```ts
 * import { publishMetric } from "../cloudwatch/store.js";
 * await publishMetric(ctx.storage.metadata, ctx.scope, "AWS/SQS", "NumberOfMessagesSent",
 *   [{ Name: "QueueName", Value: "q" }], 1, "Count", ctx.clock.nowMs());
 * ```
 * `timestampMs` comes from the injected clock (`ctx.clock.nowMs()`), never `Date.now()`.
 * `value` is a number, `{ Values, Counts? }` or a statistic set `{ SampleCount, Sum, Minimum, Maximum }`.
 * The scope's `service` field is ignored (the data lands in CloudWatch's scope of that account and
 * region). `AWS/` namespaces are allowed here (they are refused only from PutMetricData callers).
 */
import type { MetadataStore, Scope, Tx } from "../../storage/types.js";

export interface Dimension {
  Name: string;
  Value: string;
}

export interface MetricRecord {
  Namespace: string;
  MetricName: string;
  Dimensions: Dimension[];
  /** ISO time of the newest data point received. */
  lastPut: string;
}

/** One data point as PutMetricData (or a metric filter) gives it. */
export interface DatapointRecord {
  timestamp: string;
  unit?: string;
  values: number[];
  counts?: number[];
  stats?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
  storageResolution: number;
}

/** Aggregated samples of one unit in one bucket. `v`/`c`: raw values and their counts, when known. */
export interface Aggregate {
  n: number;
  sum: number;
  min: number;
  max: number;
  v?: number[];
  c?: number[];
}

export interface BucketRecord {
  /** Bucket start, ms since the epoch. */
  t: number;
  /** Resolution of the bucket in seconds (1 or 60 as written; larger after rollup). */
  res: number;
  /** Per unit ("None" when the caller gave none). */
  u: Record<string, Aggregate>;
}

export type StatisticSet = { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
export type MetricValue = number | { Values: number[]; Counts?: number[] } | StatisticSet;

/** How many raw values one bucket keeps before it merges neighbours into weighted centroids. */
const MAX_RAW_VALUES = 4096;

/** Dimensions sorted by name, so the same set always makes the same key. */
export function metricKey(namespace: string, name: string, dims: Dimension[]): string {
  const d = [...dims].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  return [namespace, name, ...d.map((x) => `${x.Name}=${x.Value}`)].join("\u0000");
}

export const bucketKey = (mkey: string, t: number) => `${mkey}\u0001${String(t).padStart(15, "0")}`;
export const bucketPrefix = (mkey: string) => `${mkey}\u0001`;

const cwScope = (scope: { account: string; region: string }): Scope => ({ account: scope.account, region: scope.region, service: "cloudwatch" });

export function aggregateOf(point: Pick<DatapointRecord, "values" | "counts" | "stats">): Aggregate | undefined {
  if (point.stats) {
    const s = point.stats;
    return { n: s.SampleCount, sum: s.Sum, min: s.Minimum, max: s.Maximum };
  }
  if (point.values.length === 0) return undefined;
  const counts = point.counts ?? point.values.map(() => 1);
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  const v: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < point.values.length; i++) {
    const x = point.values[i]!;
    const k = counts[i] ?? 1;
    if (k <= 0) continue;
    n += k;
    sum += x * k;
    if (x < min) min = x;
    if (x > max) max = x;
    v.push(x);
    c.push(k);
  }
  if (n === 0) return undefined;
  return { n, sum, min, max, v, c };
}

/** Fold `b` into `a` (mutates `a`). Raw values survive only if both sides have them. */
export function mergeAggregate(a: Aggregate, b: Aggregate): Aggregate {
  a.n += b.n;
  a.sum += b.sum;
  if (b.min < a.min) a.min = b.min;
  if (b.max > a.max) a.max = b.max;
  if (a.v && b.v) {
    for (let i = 0; i < b.v.length; i++) {
      a.v.push(b.v[i]!);
      a.c!.push(b.c?.[i] ?? 1);
    }
    if (a.v.length > MAX_RAW_VALUES) compress(a);
  } else {
    delete a.v;
    delete a.c;
  }
  return a;
}

/** Halve the raw values by merging sorted neighbours into weighted means (an approximate histogram). */
function compress(a: Aggregate): void {
  const idx = a.v!.map((_, i) => i).sort((x, y) => a.v![x]! - a.v![y]!);
  const v: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < idx.length; i += 2) {
    const x = idx[i]!;
    const y = idx[i + 1];
    if (y === undefined) {
      v.push(a.v![x]!);
      c.push(a.c![x]!);
      continue;
    }
    const cx = a.c![x]!;
    const cy = a.c![y]!;
    v.push((a.v![x]! * cx + a.v![y]! * cy) / (cx + cy));
    c.push(cx + cy);
  }
  a.v = v;
  a.c = c;
}

function cloneAggregate(a: Aggregate): Aggregate {
  return { n: a.n, sum: a.sum, min: a.min, max: a.max, ...(a.v ? { v: [...a.v], c: [...a.c!] } : {}) };
}

interface PendingBucket {
  scope: Scope;
  key: string;
  bucket: BucketRecord;
}
interface PendingMetric {
  scope: Scope;
  key: string;
  metric: Omit<MetricRecord, "lastPut">;
  lastPut: string;
}

/** One account and region (a scope's service is always CloudWatch here). */
const scopeKey = (scope: Scope) => `${scope.account}\u0002${scope.region}`;

/** A `log` row: one commit's buckets in one scope. */
type LogRecord = Array<[key: string, bucket: BucketRecord]>;

const FOLD_DELAY_MS = 1000;
const FOLD_ROWS = 500;

/** The group-commit batch of one metadata store, and the fold of its log rows. */
class MetricWriter {
  private buckets = new Map<string, PendingBucket>();
  /** Scopes that may hold log rows (key account + region). */
  private unfolded = new Map<string, Scope>();
  /** The look for log rows an earlier process left. */
  private discovering: Promise<void> | undefined;
  private folding: Promise<void> | undefined;
  private foldTimer: NodeJS.Timeout | undefined;
  private metrics = new Map<string, PendingMetric>();
  /** The transaction that will write what is added now (its fn has not run yet). */
  private open: Promise<void> | undefined;
  /** The latest transaction, settled or not (never rejects). */
  private running: Promise<void> = Promise.resolve();
  /**
   * The lastPut (ms) each metric has in storage, as far as this process wrote or read it: spares
   * the read before each metric's write. Bounded; `forget` drops it when storage is wiped.
   */
  private stored = new Map<string, number>();

  constructor(private readonly metadata: MetadataStore) {}

  add(scope: Scope, metric: Omit<MetricRecord, "lastPut">, point: DatapointRecord): void {
    const agg = aggregateOf(point);
    const ms = Date.parse(point.timestamp);
    const mkey = metricKey(metric.Namespace, metric.MetricName, metric.Dimensions);
    const sk = `${scope.account}\u0002${scope.region}\u0002`;
    const pm = this.metrics.get(sk + mkey);
    if (!pm) this.metrics.set(sk + mkey, { scope, key: mkey, metric, lastPut: point.timestamp });
    else if (pm.lastPut < point.timestamp) pm.lastPut = point.timestamp;
    if (!agg) return;
    const res = point.storageResolution === 1 ? 1 : 60;
    const t = Math.floor(ms / (res * 1000)) * res * 1000;
    const key = bucketKey(mkey, t);
    const unit = point.unit ?? "None";
    const pb = this.buckets.get(sk + key);
    if (!pb) {
      this.buckets.set(sk + key, { scope, key, bucket: { t, res, u: { [unit]: agg } } });
    } else {
      const u = pb.bucket.u[unit];
      pb.bucket.u[unit] = u ? mergeAggregate(u, agg) : agg;
      if (res > pb.bucket.res) pb.bucket.res = res;
    }
  }

  /** Resolves once everything added so far is committed. */
  flush(): Promise<void> {
    // The transaction takes what has been added when its fn runs, which is when the store's
    // group commit gets to it (the next turn of the event loop at the earliest): points added
    // until then ride along, and the store may commit it together with other writers' work.
    if (this.open) return this.open;
    if (this.buckets.size === 0 && this.metrics.size === 0) return this.running;
    const tx = this.metadata.transaction(async (t) => {
      this.open = undefined;
      return this.commit(t);
    });
    const done = tx.then(({ known: written, logged }) => {
      // Known only once committed: a rolled-back write must be read again next time.
      if (this.stored.size + written.length > 100_000) this.stored.clear();
      for (const [k, ms] of written) this.stored.set(k, ms);
      if (logged.length > 0) {
        for (const scope of logged) this.markUnfolded(scope);
        this.foldTimer ??= setTimeout(() => {
          this.foldTimer = undefined;
          this.fold().catch(() => undefined); // retried by the next fold (store closing, say)
        }, FOLD_DELAY_MS).unref();
      }
    });
    this.open = done;
    this.running = done.catch(() => {
      if (this.open === done) this.open = undefined; // failed before its fn ran (store closed)
    });
    return done;
  }

  /** Drop what is known of stored metrics (storage was wiped). */
  forget(): void {
    this.stored.clear();
    this.unfolded.clear();
    this.discovering = undefined;
    if (this.foldTimer) clearTimeout(this.foldTimer);
    this.foldTimer = undefined;
  }

  private markUnfolded(scope: Scope): void {
    this.unfolded.set(scopeKey(scope), scope);
  }

  /** Fold every committed log row into bucket segments; resolves once done. */
  async fold(): Promise<void> {
    // Log rows an earlier process left are looked for once, before the first fold.
    this.discovering ??= this.metadata.scopes("cloudwatch", "log").then(
      (scopes) => {
        for (const scope of scopes) this.markUnfolded(scope);
      },
      (e: unknown) => {
        this.discovering = undefined; // looked for again by the next fold
        throw e;
      },
    );
    await this.discovering;
    for (;;) {
      // No await between these checks and starting the run: a fold that started meanwhile is
      // waited for, then looked at again.
      if (this.folding) {
        await this.folding.catch(() => undefined);
        continue;
      }
      if (this.unfolded.size === 0) return;
      const scopes = [...this.unfolded.values()];
      this.unfolded.clear();
      const run = this.foldScopes(scopes).finally(() => {
        if (this.folding === run) this.folding = undefined;
      });
      this.folding = run;
      return run;
    }
  }

  private async foldScopes(scopes: Scope[]): Promise<void> {
    for (let i = 0; i < scopes.length; i++) {
      const scope = scopes[i]!;
      try {
        for (;;) {
          const n = await this.metadata.transaction(async (tx) => {
            const log = tx.table<LogRecord>(scope, "log");
            const rows = await log.list({ limit: FOLD_ROWS });
            const merged = new Map<string, BucketRecord>();
            for (const row of rows) {
              for (const [key, bucket] of row.value) {
                const m = merged.get(key);
                if (m) mergeBucketInto(m, bucket);
                else merged.set(key, bucket);
              }
            }
            const seg = segmentId();
            const buckets = tx.table<BucketRecord>(scope, "buckets");
            for (const [key, bucket] of merged) await buckets.put(`${key}\u0001${seg}`, bucket);
            for (const row of rows) await log.delete(row.key);
            return rows.length;
          });
          if (n < FOLD_ROWS) break;
        }
      } catch (e) {
        // Left for the next fold: this scope and the ones not reached.
        for (const s of scopes.slice(i)) this.markUnfolded(s);
        throw e;
      }
    }
  }

  /**
   * Writes the batch; answers the metrics whose stored lastPut it now knows (cache key, ms) and
   * the scopes it wrote log rows in.
   */
  private async commit(tx: Tx): Promise<{ known: Array<[string, number]>; logged: Scope[] }> {
    const buckets = [...this.buckets.entries()];
    const metrics = [...this.metrics.entries()];
    this.buckets = new Map();
    this.metrics = new Map();
    const known: Array<[string, number]> = [];
    for (const [ck, m] of metrics) {
      const putMs = Date.parse(m.lastPut);
      let storedMs = this.stored.get(ck);
      if (storedMs === undefined) {
        const existing = await tx.table<MetricRecord>(m.scope, "metrics").get(m.key);
        if (existing) known.push([ck, (storedMs = Date.parse(existing.lastPut))]);
      }
      // lastPut only serves RecentlyActive (3 hours): a minute's precision spares most writes.
      if (storedMs === undefined || storedMs + 60_000 <= putMs) {
        await tx.table<MetricRecord>(m.scope, "metrics").put(m.key, { ...m.metric, lastPut: m.lastPut });
        known.push([ck, putMs]);
      }
    }
    // One log row per scope; the fold turns log rows into bucket segments, the sweep compacts those.
    const logs = new Map<string, { scope: Scope; entries: LogRecord }>();
    for (const [, b] of buckets) {
      const sk = scopeKey(b.scope);
      let l = logs.get(sk);
      if (!l) logs.set(sk, (l = { scope: b.scope, entries: [] }));
      l.entries.push([b.key, b.bucket]);
    }
    const seg = segmentId();
    for (const l of logs.values()) await tx.table<LogRecord>(l.scope, "log").put(seg, l.entries);
    return { known, logged: [...logs.values()].map((l) => l.scope) };
  }
}

let segmentSeq = 0;
const segmentSalt = Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, "0");
/** Unique, increasing within a process: orders a bucket's segments (the salt separates restarts). */
function segmentId(): string {
  segmentSeq++;
  return `${process.hrtime.bigint().toString(36).padStart(13, "0")}${segmentSalt}${(segmentSeq % 1296).toString(36).padStart(2, "0")}`;
}

/** Merge `bucket` into `into` (same bucket time). */
function mergeBucketInto(into: BucketRecord, bucket: BucketRecord): void {
  for (const [unit, agg] of Object.entries(bucket.u)) {
    const u = into.u[unit];
    into.u[unit] = u ? mergeAggregate(u, agg) : agg;
  }
  if (bucket.res > into.res) into.res = bucket.res;
}

const writers = new WeakMap<MetadataStore, MetricWriter>();
function writerOf(metadata: MetadataStore): MetricWriter {
  let w = writers.get(metadata);
  if (!w) {
    w = new MetricWriter(metadata);
    writers.set(metadata, w);
  }
  return w;
}

/** Before storage is wiped (POST /_nimbus/reset): write what is pending, forget what is known. */
export async function resetMetricWriter(metadata: MetadataStore): Promise<void> {
  const w = writers.get(metadata);
  if (!w) return;
  await w.flush().catch(() => undefined);
  await w.fold().catch(() => undefined);
  w.forget();
}

export class MetricStore {
  private readonly scope: Scope;
  constructor(
    private readonly metadata: MetadataStore,
    scope: { account: string; region: string; service?: string },
  ) {
    this.scope = cwScope(scope);
  }

  metrics() {
    return this.metadata.table<MetricRecord>(this.scope, "metrics");
  }

  buckets() {
    return this.metadata.table<BucketRecord>(this.scope, "buckets");
  }

  /** Store data points (validated by the caller); resolves once they are committed. */
  async putData(points: Array<{ metric: Omit<MetricRecord, "lastPut">; point: DatapointRecord }>): Promise<void> {
    const w = writerOf(this.metadata);
    for (const { metric, point } of points) w.add(this.scope, metric, point);
    await w.flush();
  }

  /** Wait for writes still being group-committed, and fold them (reads call this first). */
  async settled(): Promise<void> {
    const w = writerOf(this.metadata);
    await w.flush();
    await w.fold();
  }

  /** A metric's buckets (segments merged) overlapping [fromMs, toMs), in time order. */
  async read(mkey: string, fromMs: number, toMs: number): Promise<BucketRecord[]> {
    await writerOf(this.metadata).fold();
    const from = bucketKey(mkey, Math.max(0, fromMs - 3_600_000));
    const before = bucketKey(mkey, Math.max(0, toMs));
    const merged = new Map<number, BucketRecord>();
    let after: string | undefined;
    for (;;) {
      const page = await this.buckets().list({ ...(after ? { after } : { from }), before, limit: 5000 });
      for (const { value: b } of page) {
        if (b.t + b.res * 1000 <= fromMs || b.t >= toMs) continue;
        const cur = merged.get(b.t);
        if (cur) mergeBucketInto(cur, b);
        else merged.set(b.t, b);
      }
      if (page.length < 5000) break;
      after = page[page.length - 1]!.key;
    }
    return [...merged.values()].sort((a, b) => a.t - b.t);
  }

  /**
   * Compaction (the evaluator's sweep): fold each bucket's segments older than `settledBeforeMs`
   * into one row, roll 1 s buckets older than `rollupBeforeMs` into their minute, and delete
   * buckets older than `expireBeforeMs`.
   */
  async compact(settledBeforeMs: number, rollupBeforeMs: number, expireBeforeMs: number, yieldEvery: () => Promise<void>): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await this.buckets().list({ ...(after ? { after } : {}), limit: 2000 });
      // Group rows by metric + target bucket time.
      const groups = new Map<string, { mkey: string; t: number; rows: Array<{ key: string; value: BucketRecord }> }>();
      for (const row of page) {
        const mkey = row.key.slice(0, row.key.indexOf("\u0001"));
        const b = row.value;
        if (b.t < expireBeforeMs) {
          groups.set(row.key, { mkey, t: -1, rows: [row] });
          continue;
        }
        if (b.t >= settledBeforeMs) continue;
        const t = b.res < 60 && b.t < rollupBeforeMs ? Math.floor(b.t / 60_000) * 60_000 : b.t;
        const g = `${mkey}\u0002${t}`;
        const e = groups.get(g) ?? { mkey, t, rows: [] };
        e.rows.push(row);
        groups.set(g, e);
      }
      await this.metadata.transaction(async (tx) => {
        const table = tx.table<BucketRecord>(this.scope, "buckets");
        for (const g of groups.values()) {
          if (g.t === -1) {
            await table.delete(g.rows[0]!.key);
            continue;
          }
          const target = bucketKey(g.mkey, g.t);
          if (g.rows.length === 1 && g.rows[0]!.key === target) continue;
          const merged: BucketRecord = { t: g.t, res: 0, u: {} };
          const existing = await table.get(target);
          if (existing && !g.rows.some((r) => r.key === target)) mergeBucketInto(merged, existing);
          for (const r of g.rows) mergeBucketInto(merged, r.value);
          if (merged.res < 60 && g.t < rollupBeforeMs) merged.res = 60;
          for (const r of g.rows) await table.delete(r.key);
          await table.put(target, merged);
        }
      });
      if (page.length < 2000) break;
      after = page[page.length - 1]!.key;
      await yieldEvery();
    }
  }
}

export { cloneAggregate };

/**
 * Publish one data point to CloudWatch (built-in metrics of other services). See the file header.
 */
export async function publishMetric(
  metadata: MetadataStore,
  scope: { account: string; region: string },
  namespace: string,
  name: string,
  dimensions: Dimension[],
  value: MetricValue,
  unit: string | undefined,
  timestampMs: number,
  storageResolution: 1 | 60 = 60,
): Promise<void> {
  const point: DatapointRecord = {
    timestamp: new Date(timestampMs).toISOString(),
    values: typeof value === "number" ? [value] : "Values" in value ? value.Values : [],
    storageResolution,
    ...(unit ? { unit } : {}),
    ...(typeof value === "object" && "Values" in value && value.Counts ? { counts: value.Counts } : {}),
    ...(typeof value === "object" && "SampleCount" in value ? { stats: value } : {}),
  };
  await new MetricStore(metadata, scope).putData([{ metric: { Namespace: namespace, MetricName: name, Dimensions: dimensions }, point }]);
}
