/** Metric series for charts: GetMetricData over a time range, turned into LineChart series. */
import { CloudWatchClient, GetMetricDataCommand, type Dimension, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { client } from "../../aws.ts";
import type { Series } from "../../ui/index.ts";

export const RANGES = [
  { id: "1h", label: "1 hour", ms: 3_600_000 },
  { id: "3h", label: "3 hours", ms: 3 * 3_600_000 },
  { id: "12h", label: "12 hours", ms: 12 * 3_600_000 },
  { id: "1d", label: "1 day", ms: 86_400_000 },
  { id: "1w", label: "1 week", ms: 7 * 86_400_000 },
] as const;
export type RangeId = (typeof RANGES)[number]["id"];

export function rangeMs(id: string): number {
  return RANGES.find((r) => r.id === id)?.ms ?? 3_600_000;
}

export const STATISTICS = ["Average", "Sum", "Minimum", "Maximum", "SampleCount", "p50", "p90", "p99"];
export const PERIODS = [
  { value: "60", label: "1 minute" },
  { value: "300", label: "5 minutes" },
  { value: "900", label: "15 minutes" },
  { value: "3600", label: "1 hour" },
  { value: "86400", label: "1 day" },
];

export interface MetricRef {
  Namespace: string;
  MetricName: string;
  Dimensions?: Dimension[];
}

export function metricLabel(m: MetricRef): string {
  const dims = (m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(", ");
  return dims ? `${m.MetricName} (${dims})` : m.MetricName;
}

/** One series per metric, over the last `ms` milliseconds (or [start, end]). */
export async function fetchSeries(metrics: MetricRef[], stat: string, period: number, range: { ms?: number; start?: Date; end?: Date }): Promise<Series[]> {
  if (metrics.length === 0) return [];
  const end = range.end ?? new Date();
  const start = range.start ?? new Date(end.getTime() - (range.ms ?? 3_600_000));
  const queries: MetricDataQuery[] = metrics.map((m, i) => ({
    Id: `m${i}`,
    Label: metricLabel(m),
    MetricStat: { Metric: { Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: m.Dimensions ?? [] }, Stat: stat, Period: period },
    ReturnData: true,
  }));
  const points = new Map<string, Array<{ t: number; v: number }>>();
  let token: string | undefined;
  do {
    const out = await client(CloudWatchClient).send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: start, EndTime: end, NextToken: token, ScanBy: "TimestampAscending" }));
    for (const r of out.MetricDataResults ?? []) {
      const list = points.get(r.Id!) ?? [];
      (r.Timestamps ?? []).forEach((t, j) => list.push({ t: new Date(t).getTime(), v: r.Values?.[j] ?? 0 }));
      points.set(r.Id!, list);
    }
    token = out.NextToken;
  } while (token);
  return queries.map((q) => ({ label: q.Label!, points: points.get(q.Id!) ?? [] }));
}
