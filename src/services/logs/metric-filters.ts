/**
 * Metric filters: each event written to a group is matched against the group's filters, and
 * each match publishes a data point to CloudWatch (namespace, metric name, value — a number or
 * `$field` taken from a JSON / space-delimited pattern — and dimensions from `$field`s), at the
 * event's timestamp. Events that match nothing publish `defaultValue` when one is set, as AWS does.
 */
import type { MetadataStore, Scope } from "../../storage/types.js";
import { MetricStore, type DatapointRecord, type MetricRecord } from "../cloudwatch/store.js";
import { parseFilterPattern, type FilterPattern } from "./filter-pattern.js";
import { groupPrefix, tables, type MetricFilterRecord } from "./store.js";
import type { InputLogEvent } from "./ingest.js";

const compiled = new Map<string, FilterPattern>();

export function compiledPattern(pattern: string): FilterPattern {
  let p = compiled.get(pattern);
  if (!p) {
    p = parseFilterPattern(pattern);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, p);
  }
  return p;
}

/** The value of `$name` (or a literal number) for a match. */
function resolve(spec: string, fields: Record<string, unknown>): string | undefined {
  if (!spec.startsWith("$")) return spec;
  const name = spec.replace(/^\$\.?/, "");
  const v = fields[name];
  return v === undefined || v === null ? undefined : String(v);
}

export async function publishMetricFilters(metadata: MetadataStore, scope: Scope, group: string, events: InputLogEvent[]): Promise<void> {
  const filters = (await tables(metadata, scope).metricFilters.list({ prefix: groupPrefix(group) })).map((e) => e.value);
  if (filters.length === 0) return;
  const points: { metric: Omit<MetricRecord, "lastPut">; point: DatapointRecord }[] = [];
  for (const f of filters) {
    const pattern = compiledPattern(f.filterPattern);
    for (const e of events) {
      const fields = pattern.extract(e.message);
      for (const mt of f.metricTransformations) {
        let value: number | undefined;
        if (fields) {
          const v = resolve(mt.metricValue, fields);
          value = v === undefined ? undefined : Number(v);
          if (value !== undefined && Number.isNaN(value)) value = undefined;
        } else if (mt.defaultValue !== undefined) value = mt.defaultValue;
        if (value === undefined) continue;
        const dims = Object.entries(fields ? (mt.dimensions ?? {}) : {})
          .map(([Name, spec]) => ({ Name, Value: resolve(spec, fields ?? {}) }))
          .filter((d): d is { Name: string; Value: string } => d.Value !== undefined);
        points.push({
          metric: { Namespace: mt.metricNamespace, MetricName: mt.metricName, Dimensions: dims },
          point: {
            timestamp: new Date(e.timestamp).toISOString(),
            ...(mt.unit ? { unit: mt.unit } : {}),
            values: [value],
            storageResolution: 60,
          },
        });
      }
    }
  }
  if (points.length > 0) await new MetricStore(metadata, { ...scope, service: "cloudwatch" }).putData(points);
}

export type { MetricFilterRecord };
