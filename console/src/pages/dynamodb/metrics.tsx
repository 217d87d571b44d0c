/** A table's consumed read and write capacity from CloudWatch (AWS/DynamoDB), last 3 hours. */
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { client } from "../../aws.ts";
import { Alert, ErrorAlert, LineChart, Panel, Spinner, useAsync, type Series } from "../../ui/index.ts";

export function TableMetrics({ name }: { name: string }) {
  const data = useAsync(async () => {
    const end = new Date();
    const start = new Date(end.getTime() - 3 * 3600_000);
    const metric = (id: string, metricName: string) => ({
      Id: id,
      Label: metricName,
      MetricStat: { Metric: { Namespace: "AWS/DynamoDB", MetricName: metricName, Dimensions: [{ Name: "TableName", Value: name }] }, Period: 300, Stat: "Sum" },
    });
    const r = await client(CloudWatchClient).send(
      new GetMetricDataCommand({ StartTime: start, EndTime: end, MetricDataQueries: [metric("reads", "ConsumedReadCapacityUnits"), metric("writes", "ConsumedWriteCapacityUnits")] }),
    );
    const series = (id: string): Series => {
      const res = r.MetricDataResults?.find((x) => x.Id === id);
      const points = (res?.Timestamps ?? []).map((t, i) => ({ t: new Date(t).getTime(), v: res?.Values?.[i] ?? 0 })).sort((a, b) => a.t - b.t);
      return { label: res?.Label ?? id, points };
    };
    return { reads: series("reads"), writes: series("writes") };
  }, [name]);
  return (
    <Panel title="Capacity (last 3 hours, 5-minute sums)" actions={<button type="button" className="btn" onClick={data.reload}>Refresh</button>}>
      {data.error ? (
        <ErrorAlert error={data.error} onRetry={data.reload} />
      ) : !data.data ? (
        <Spinner label="Loading metrics" />
      ) : (
        <>
          {data.data.reads.points.length + data.data.writes.points.length === 0 && <Alert kind="info" title="No data yet">CloudWatch has no capacity metrics for this table in the last 3 hours.</Alert>}
          <LineChart title="Consumed read capacity units" unit="units" series={[data.data.reads]} />
          <LineChart title="Consumed write capacity units" unit="units" series={[data.data.writes]} />
        </>
      )}
    </Panel>
  );
}
