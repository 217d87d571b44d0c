/** The Monitor tab: Invocations, Errors and Duration from AWS/Lambda; a link to the log group. */
import { useState } from "react";
import { Link } from "../../router.tsx";
import { ErrorAlert, LineChart, Panel, SelectField, Spinner, useAsync } from "../../ui/index.ts";
import { fetchSeries, RANGES, rangeMs } from "../cloudwatch/metrics-data.ts";

export function logGroupPath(group: string): string {
  return `cloudwatch/logs/${encodeURIComponent(group)}`;
}

export function MonitorTab({ name, logGroup }: { name: string; logGroup: string }) {
  const [range, setRange] = useState("3h");
  const ms = rangeMs(range);
  const period = ms <= 3 * 3_600_000 ? 60 : ms <= 86_400_000 ? 300 : 3600;
  const dims = [{ Name: "FunctionName", Value: name }];
  const data = useAsync(
    () =>
      Promise.all([
        fetchSeries([{ Namespace: "AWS/Lambda", MetricName: "Invocations", Dimensions: dims }], "Sum", period, { ms }),
        fetchSeries([{ Namespace: "AWS/Lambda", MetricName: "Errors", Dimensions: dims }], "Sum", period, { ms }),
        fetchSeries([{ Namespace: "AWS/Lambda", MetricName: "Duration", Dimensions: dims }], "Average", period, { ms }),
      ]),
    [name, range],
  );
  return (
    <Panel
      title="Metrics"
      actions={
        <>
          <Link to={logGroupPath(logGroup)}>View logs in CloudWatch</Link>
          <button type="button" className="btn" onClick={data.reload}>
            Refresh
          </button>
        </>
      }
    >
      <div style={{ maxWidth: 220 }}>
        <SelectField label="Time range" value={range} onChange={setRange} options={RANGES.map((r) => ({ value: r.id, label: r.label }))} />
      </div>
      {data.error ? (
        <ErrorAlert error={data.error} onRetry={data.reload} />
      ) : !data.data ? (
        <Spinner label="Loading metrics" />
      ) : (
        <div style={{ display: "grid", gap: 16, gridTemplateColumns: "repeat(auto-fit, minmax(300px, 1fr))" }}>
          <LineChart title="Invocations" unit="count" series={data.data[0]} />
          <LineChart title="Errors" unit="count" series={data.data[1]} />
          <LineChart title="Duration" unit="ms, average" series={data.data[2]} />
        </div>
      )}
    </Panel>
  );
}
