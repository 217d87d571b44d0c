/** Metrics explorer: namespaces -> metrics (searchable) -> up to five charted with a statistic, period and time range. */
import { useMemo, useState } from "react";
import { paginateListMetrics, type Metric } from "@aws-sdk/client-cloudwatch";
import { ErrorAlert, LineChart, notify, PageHeader, Panel, ResourceTable, SelectField, Spinner, useAsync, useBreadcrumbs, type Column } from "../../ui/index.ts";
import { CloudWatchNav, cw } from "./nav.tsx";
import { fetchSeries, metricLabel, PERIODS, RANGES, rangeMs, STATISTICS } from "./metrics-data.ts";

const MAX_SELECTED = 5;
const MAX_LISTED = 10_000;

export async function listAllMetrics(): Promise<Metric[]> {
  const out: Metric[] = [];
  for await (const page of paginateListMetrics({ client: cw() }, {})) {
    out.push(...(page.Metrics ?? []));
    if (out.length >= MAX_LISTED) break;
  }
  return out;
}

export const metricKey = (m: Metric) => `${m.Namespace} ${metricLabel({ Namespace: m.Namespace!, MetricName: m.MetricName!, Dimensions: m.Dimensions })}`;

export function MetricsExplorer() {
  useBreadcrumbs([{ label: "CloudWatch" }, { label: "Metrics" }]);
  const metrics = useAsync(listAllMetrics);
  const [namespace, setNamespace] = useState("");
  const [selected, setSelected] = useState<string[]>([]);
  const [stat, setStat] = useState("Average");
  const [period, setPeriod] = useState("60");
  const [range, setRange] = useState("3h");

  const namespaces = useMemo(() => {
    const counts = new Map<string, number>();
    for (const m of metrics.data ?? []) counts.set(m.Namespace!, (counts.get(m.Namespace!) ?? 0) + 1);
    return [...counts].sort((a, b) => a[0].localeCompare(b[0]));
  }, [metrics.data]);
  const byKey = useMemo(() => new Map((metrics.data ?? []).map((m) => [metricKey(m), m])), [metrics.data]);
  const shown = useMemo(() => (metrics.data ?? []).filter((m) => !namespace || m.Namespace === namespace), [metrics.data, namespace]);
  const chosen = selected.map((k) => byKey.get(k)).filter((m): m is Metric => !!m);

  const chart = useAsync(
    () => fetchSeries(chosen.map((m) => ({ Namespace: m.Namespace!, MetricName: m.MetricName!, Dimensions: m.Dimensions })), stat, +period, { ms: rangeMs(range) }),
    [selected.join("\n"), stat, period, range],
  );

  const columns: Column<Metric>[] = [
    { id: "Namespace", header: "Namespace" },
    { id: "MetricName", header: "Metric name" },
    { id: "Dimensions", header: "Dimensions", cell: (m) => (m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(", ") || "-", sortValue: (m) => (m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(", ") },
  ];

  return (
    <>
      <PageHeader title="Metrics" description="Pick a namespace, select up to five metrics, and chart them." />
      <CloudWatchNav current="metrics" />
      <Panel
        title="Graph"
        actions={
          <button type="button" className="btn" onClick={chart.reload} disabled={chosen.length === 0}>
            Refresh
          </button>
        }
      >
        <div style={{ display: "grid", gap: "0 16px", gridTemplateColumns: "repeat(auto-fit, minmax(160px, 1fr))" }}>
          <SelectField label="Statistic" value={stat} onChange={setStat} options={STATISTICS} />
          <SelectField label="Period" value={period} onChange={setPeriod} options={PERIODS} />
          <SelectField label="Time range" value={range} onChange={setRange} options={RANGES.map((r) => ({ value: r.id, label: r.label }))} />
        </div>
        {chosen.length === 0 ? (
          <p className="muted">Select metrics below to chart them.</p>
        ) : chart.error ? (
          <ErrorAlert error={chart.error} onRetry={chart.reload} />
        ) : !chart.data ? (
          <Spinner label="Loading data points" />
        ) : (
          <LineChart title={`${stat} per ${PERIODS.find((p) => p.value === period)?.label ?? `${period} s`}`} series={chart.data} />
        )}
      </Panel>
      <Panel title="Browse">
        {metrics.error ? (
          <ErrorAlert error={metrics.error} onRetry={metrics.reload} />
        ) : (
          <>
            <div style={{ maxWidth: 360 }}>
              <SelectField
                label="Namespace"
                value={namespace}
                onChange={setNamespace}
                options={[{ value: "", label: `All namespaces (${metrics.data?.length ?? 0} metrics)` }, ...namespaces.map(([ns, n]) => ({ value: ns, label: `${ns} (${n})` }))]}
              />
            </div>
            <ResourceTable
              resourceName="metrics"
              items={metrics.data ? shown : undefined}
              loading={metrics.loading}
              onRetry={metrics.reload}
              columns={columns}
              rowKey={metricKey}
              selection="multi"
              selected={selected}
              onSelectionChange={(keys) => {
                if (keys.length > MAX_SELECTED) return notify(`Chart up to ${MAX_SELECTED} metrics at a time`, "error");
                setSelected(keys);
              }}
              searchText={(m) => metricKey(m)}
              defaultSort={{ column: "MetricName" }}
              toolbar={
                <button type="button" className="btn" onClick={metrics.reload}>
                  Refresh
                </button>
              }
              empty={<p>No metrics yet. Services publish them as they are used, and PutMetricData adds your own.</p>}
            />
          </>
        )}
      </Panel>
    </>
  );
}
