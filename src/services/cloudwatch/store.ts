/**
 * CloudWatch metric state: one entry per metric (namespace, name, dimension set) and its data
 * points, both ordered so a metric's points can be read by time range.
 */
import type { MetadataStore, Scope } from "../../storage/types.js";

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

export interface DatapointRecord {
  timestamp: string;
  unit?: string;
  values: number[];
  counts?: number[];
  stats?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
  storageResolution: number;
}

/** Dimensions sorted by name, so the same set always makes the same key. */
export function metricKey(namespace: string, name: string, dims: Dimension[]): string {
  const d = [...dims].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  return [namespace, name, ...d.map((x) => `${x.Name}=${x.Value}`)].join("\u0000");
}

export class MetricStore {
  constructor(
    private readonly metadata: MetadataStore,
    private readonly scope: Scope,
  ) {}

  metrics() {
    return this.metadata.table<MetricRecord>(this.scope, "metrics");
  }

  async putData(points: Array<{ metric: Omit<MetricRecord, "lastPut">; point: DatapointRecord }>): Promise<void> {
    await this.metadata.transaction(async (tx) => {
      const metrics = tx.table<MetricRecord>(this.scope, "metrics");
      const data = tx.table<DatapointRecord>(this.scope, "datapoints");
      for (const [i, { metric, point }] of points.entries()) {
        const key = metricKey(metric.Namespace, metric.MetricName, metric.Dimensions);
        const existing = await metrics.get(key);
        if (!existing || existing.lastPut < point.timestamp) {
          await metrics.put(key, { ...metric, lastPut: point.timestamp });
        }
        // Several points may share a timestamp: a unique suffix keeps each one.
        await data.put(`${key}\u0001${point.timestamp}\u0001${Date.now().toString(36)}${i}`, point);
      }
    });
  }
}
