/**
 * Built-in metrics of other services (AWS/SQS, AWS/DynamoDB, AWS/S3), kept off the request path:
 * `add` folds a sample into an in-memory statistic set per metric and minute of the injected
 * clock, and the sets are written to CloudWatch (one group-committed write per account and
 * region) once their minute is over, that is when the clock's minute changes: noticed on the next
 * sample, on a clock advance, or by a one-second timer. `onMinute` listeners run at each new minute
 * (queue depth gauges, S3's daily storage metrics); what they add is written right after them.
 *
 * One aggregator per Nimbus instance (metadata store) and namespace: `MetricAggregator.for`.
 * A service calls `release` in `stop` (writes what is pending) and `discard` in `reset`.
 */
import type { Clock } from "../../core/clock.js";
import type { MetadataStore } from "../../storage/types.js";
import { MetricStore, type DatapointRecord, type Dimension, type MetricRecord } from "./store.js";

interface Cell {
  account: string;
  region: string;
  name: string;
  dims: Dimension[];
  unit: string;
  t: number;
  n: number;
  sum: number;
  min: number;
  max: number;
}

type MinuteListener = (nowMs: number) => void | Promise<void>;

const minuteOf = (ms: number) => Math.floor(ms / 60_000) * 60_000;
const instances = new WeakMap<MetadataStore, Map<string, MetricAggregator>>();

export class MetricAggregator {
  private cells = new Map<string, Cell>();
  private minute: number;
  private readonly listeners = new Set<MinuteListener>();
  private timer: NodeJS.Timeout | undefined;
  private offAdvance: (() => void) | undefined;
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly metadata: MetadataStore,
    private readonly clock: Clock,
    readonly namespace: string,
  ) {
    this.minute = minuteOf(clock.nowMs());
  }

  static for(metadata: MetadataStore, clock: Clock, namespace: string): MetricAggregator {
    let byNs = instances.get(metadata);
    if (!byNs) instances.set(metadata, (byNs = new Map()));
    let a = byNs.get(namespace);
    if (!a) byNs.set(namespace, (a = new MetricAggregator(metadata, clock, namespace)));
    return a;
  }

  /** Stop watching the clock and write what is pending (the service's `stop`). */
  static async release(metadata: MetadataStore, namespace: string): Promise<void> {
    const a = instances.get(metadata)?.get(namespace);
    if (!a) return;
    instances.get(metadata)!.delete(namespace);
    if (a.timer) clearInterval(a.timer);
    a.offAdvance?.();
    a.listeners.clear();
    await a.flush();
  }

  /** Count one sample of a metric in the current minute. */
  add(scope: { account: string; region: string }, name: string, dims: Dimension[], value: number, unit = "Count"): void {
    this.arm();
    const t = minuteOf(this.clock.nowMs());
    if (t !== this.minute) this.tick();
    let key = `${scope.account}\u0000${scope.region}\u0000${name}\u0000${unit}\u0000${t}`;
    for (const d of dims) key += `\u0000${d.Name}=${d.Value}`;
    const c = this.cells.get(key);
    if (c) {
      c.n++;
      c.sum += value;
      if (value < c.min) c.min = value;
      if (value > c.max) c.max = value;
    } else {
      this.cells.set(key, { account: scope.account, region: scope.region, name, dims, unit, t, n: 1, sum: value, min: value, max: value });
    }
  }

  /** Run `fn` at the start of every minute of the clock (gauges); returns a remover. */
  onMinute(fn: MinuteListener): () => void {
    this.arm();
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Drop what is pending (storage is about to be wiped). */
  discard(): void {
    this.cells.clear();
  }

  /** Write everything pending; resolves once it is committed. */
  flush(): Promise<void> {
    if (this.cells.size === 0) return this.chain;
    const byScope = new Map<string, { account: string; region: string; points: Array<{ metric: Omit<MetricRecord, "lastPut">; point: DatapointRecord }> }>();
    for (const c of this.cells.values()) {
      const sk = `${c.account}\u0000${c.region}`;
      let s = byScope.get(sk);
      if (!s) byScope.set(sk, (s = { account: c.account, region: c.region, points: [] }));
      s.points.push({
        metric: { Namespace: this.namespace, MetricName: c.name, Dimensions: c.dims },
        point: { timestamp: new Date(c.t).toISOString(), unit: c.unit, values: [], stats: { SampleCount: c.n, Sum: c.sum, Minimum: c.min, Maximum: c.max }, storageResolution: 60 },
      });
    }
    this.cells = new Map();
    // putData hands the points to CloudWatch's group-commit batch synchronously, so a read that
    // starts after this call (GetMetricStatistics waits for that batch) sees them.
    const writes = [...byScope.values()].map((s) => new MetricStore(this.metadata, s).putData(s.points).catch(() => undefined));
    this.chain = Promise.all([this.chain, ...writes]).then(() => undefined);
    return this.chain;
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
    this.offAdvance = this.clock.onAdvance(() => this.tick());
  }

  /** A new minute: write the minutes that are over, then let the listeners sample. */
  private tick(): void {
    const t = minuteOf(this.clock.nowMs());
    if (t === this.minute) return;
    this.minute = t;
    void this.flush();
    if (this.listeners.size === 0) return;
    const now = this.clock.nowMs();
    const runs = [...this.listeners].map((fn) => Promise.resolve().then(() => fn(now)).catch(() => undefined));
    void Promise.all(runs).then(() => this.flush());
  }
}
