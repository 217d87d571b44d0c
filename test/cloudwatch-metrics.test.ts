/** CloudWatch metrics: PutMetricData, ListMetrics, GetMetricStatistics, GetMetricData with metric math, dashboards; SDK v3 (JSON and CBOR), the AWS CLI and boto3. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CloudWatchClient,
  DeleteDashboardsCommand,
  GetDashboardCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListDashboardsCommand,
  ListMetricsCommand,
  PutDashboardCommand,
  PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { SmithyRpcV2CborProtocol } from "@smithy/core/cbor";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let cw: CloudWatchClient;
let cbor: CloudWatchClient;
let now: number;

beforeAll(async () => {
  n = await startTestNimbus();
  cw = new CloudWatchClient(sdkConfig(n));
  cbor = new CloudWatchClient({ ...sdkConfig(n), protocol: SmithyRpcV2CborProtocol } as NonNullable<ConstructorParameters<typeof CloudWatchClient>[0]>);
  // Start on a minute boundary so periods are predictable.
  now = Math.floor(n.clock.nowMs() / 60_000) * 60_000;
});
afterAll(async () => {
  await n.stop();
});

const fail = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as Error & { $metadata: { httpStatusCode: number } };
  }
  throw new Error("expected a failure");
};

describe("statistics", () => {
  it("aggregates values, value arrays and statistic sets per period", async () => {
    const t0 = new Date(now - 5 * 60_000);
    await cw.send(
      new PutMetricDataCommand({
        Namespace: "Stats",
        MetricData: [
          { MetricName: "Latency", Timestamp: t0, Value: 10, Unit: "Milliseconds" },
          { MetricName: "Latency", Timestamp: t0, Values: [20, 30, 40], Counts: [1, 2, 1], Unit: "Milliseconds" },
          { MetricName: "Latency", Timestamp: new Date(now - 4 * 60_000), StatisticValues: { SampleCount: 4, Sum: 100, Minimum: 5, Maximum: 50 }, Unit: "Milliseconds" },
        ],
      }),
    );
    const out = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: "Stats",
        MetricName: "Latency",
        StartTime: new Date(now - 10 * 60_000),
        EndTime: new Date(now),
        Period: 60,
        Statistics: ["SampleCount", "Sum", "Average", "Minimum", "Maximum"],
      }),
    );
    expect(out.Label).toBe("Latency");
    const dps = (out.Datapoints ?? []).sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime());
    expect(dps).toEqual([
      { Timestamp: t0, SampleCount: 5, Sum: 130, Average: 26, Minimum: 10, Maximum: 40, Unit: "Milliseconds" },
      { Timestamp: new Date(now - 4 * 60_000), SampleCount: 4, Sum: 100, Average: 25, Minimum: 5, Maximum: 50, Unit: "Milliseconds" },
    ]);
    const wrongUnit = await cw.send(
      new GetMetricStatisticsCommand({ Namespace: "Stats", MetricName: "Latency", StartTime: new Date(now - 600_000), EndTime: new Date(now), Period: 600, Statistics: ["Sum"], Unit: "Seconds" }),
    );
    expect(wrongUnit.Datapoints).toEqual([]);
  });

  it("computes percentiles and the other extended statistics from raw values", async () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    await cbor.send(new PutMetricDataCommand({ Namespace: "Stats", MetricData: [{ MetricName: "Pct", Timestamp: new Date(now - 120_000), Values: values }] }));
    const out = await cbor.send(
      new GetMetricStatisticsCommand({
        Namespace: "Stats",
        MetricName: "Pct",
        StartTime: new Date(now - 300_000),
        EndTime: new Date(now),
        Period: 300,
        ExtendedStatistics: ["p50", "p99", "p100", "tm90", "tc90", "ts90", "wm90", "PR(:50)", "TM(10%:90%)", "IQM"],
      }),
    );
    expect(out.Datapoints?.[0]?.ExtendedStatistics).toEqual({
      p50: 50,
      p99: 99,
      p100: 100,
      tm90: 45.5,
      tc90: 90,
      ts90: 4095,
      wm90: (4095 + 10 * 90) / 100,
      "PR(:50)": 50,
      "TM(10%:90%)": 50.5,
      IQM: 50.5,
    });
  });

  it("answers AWS's errors for bad requests", async () => {
    const base = { Namespace: "Stats", MetricName: "Latency", StartTime: new Date(now - 86_400_000 - 60_000), EndTime: new Date(now) };
    const tooMany = await fail(cw.send(new GetMetricStatisticsCommand({ ...base, Period: 60, Statistics: ["Sum"] })));
    expect(tooMany.name).toBe("InvalidParameterValueException");
    expect(tooMany.message).toBe(
      "You have requested up to 1,441 datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
    );
    const badPeriod = await fail(cw.send(new GetMetricStatisticsCommand({ ...base, Period: 61, Statistics: ["Sum"] })));
    expect(badPeriod.name).toBe("InvalidParameterValueException");
    const none = await fail(cw.send(new GetMetricStatisticsCommand({ ...base, Period: 3600 })));
    expect(none.name).toBe("MissingRequiredParameterException");
    const old = await fail(cw.send(new PutMetricDataCommand({ Namespace: "Stats", MetricData: [{ MetricName: "X", Value: 1, Timestamp: new Date(now - 15 * 86_400_000) }] })));
    expect(old.name).toBe("InvalidParameterValueException");
    const both = await fail(cw.send(new PutMetricDataCommand({ Namespace: "Stats", MetricData: [{ MetricName: "X", Value: 1, Values: [1] }] })));
    expect(both.name).toBe("InvalidParameterCombinationException");
    const res = await fail(cw.send(new PutMetricDataCommand({ Namespace: "Stats", MetricData: [{ MetricName: "X", Value: 1, StorageResolution: 5 }] })));
    expect(res.name).toBe("InvalidParameterValueException");
    // Nothing of a refused call was stored.
    expect((await cw.send(new ListMetricsCommand({ Namespace: "Stats", MetricName: "X" }))).Metrics).toEqual([]);
  });

  it("keeps 1-second data apart for 3 hours, then only in minute periods (retention rules)", async () => {
    const t = now - 30_000;
    await cw.send(
      new PutMetricDataCommand({
        Namespace: "HiRes",
        MetricData: [1, 2, 3].map((v, i) => ({ MetricName: "Rps", Value: v, StorageResolution: 1, Timestamp: new Date(t + i * 1000) })),
      }),
    );
    const q = (period: number) =>
      cw.send(new GetMetricStatisticsCommand({ Namespace: "HiRes", MetricName: "Rps", StartTime: new Date(t), EndTime: new Date(t + 60_000), Period: period, Statistics: ["Sum"] }));
    expect((await q(1)).Datapoints?.length).toBe(3);
    n.clock.advance(4 * 3600);
    expect((await q(1)).Datapoints).toEqual([]);
    expect((await q(60)).Datapoints?.map((d) => d.Sum)).toEqual([6]);
  });
});

describe("compaction", () => {
  it("gives the same statistics after the sweep folds write segments together", async () => {
    const t = Math.floor(n.clock.nowMs() / 60_000) * 60_000 - 60_000;
    for (let i = 0; i < 5; i++) {
      await cw.send(new PutMetricDataCommand({ Namespace: "Compact", MetricData: [{ MetricName: "M", Timestamp: new Date(t + i * 1000), Values: [i, 10 * i] }] }));
    }
    const q = () =>
      cw.send(
        new GetMetricStatisticsCommand({ Namespace: "Compact", MetricName: "M", StartTime: new Date(t), EndTime: new Date(t + 60_000), Period: 60, Statistics: ["SampleCount", "Sum", "Maximum"], }),
      );
    const before = await q();
    expect(before.Datapoints?.map((d) => [d.SampleCount, d.Sum, d.Maximum])).toEqual([[10, 110, 40]]);
    n.clock.advance(15 * 60);
    const r = await fetch(`${n.endpoint}/_nimbus/cloudwatch/evaluate`, { method: "POST" });
    expect(r.status).toBe(200);
    expect((await q()).Datapoints).toEqual(before.Datapoints);
  });
});

describe("GetMetricData and metric math", () => {
  let base: number;
  beforeAll(async () => {
    base = Math.floor(n.clock.nowMs() / 60_000) * 60_000 - 10 * 60_000;
    const data = [];
    for (let i = 0; i < 5; i++) {
      data.push({ MetricName: "Requests", Dimensions: [{ Name: "Host", Value: "a" }], Timestamp: new Date(base + i * 60_000), Value: 10 * (i + 1) });
      if (i !== 2) data.push({ MetricName: "Requests", Dimensions: [{ Name: "Host", Value: "b" }], Timestamp: new Date(base + i * 60_000), Value: 1 });
      data.push({ MetricName: "Errors", Dimensions: [{ Name: "Host", Value: "a" }], Timestamp: new Date(base + i * 60_000), Value: i });
    }
    await cw.send(new PutMetricDataCommand({ Namespace: "Web", MetricData: data }));
  });
  const stat = (id: string, name: string, host: string, ret = false) => ({
    Id: id,
    MetricStat: { Metric: { Namespace: "Web", MetricName: name, Dimensions: [{ Name: "Host", Value: host }] }, Period: 60, Stat: "Sum" },
    ReturnData: ret,
  });

  it("evaluates arithmetic, functions, FILL, IF, METRICS() and SEARCH", async () => {
    const out = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(base),
        EndTime: new Date(base + 5 * 60_000),
        ScanBy: "TimestampAscending",
        MetricDataQueries: [
          stat("ra", "Requests", "a", true),
          stat("rb", "Requests", "b"),
          stat("ea", "Errors", "a"),
          { Id: "ratio", Expression: "100 * ea / ra", Label: "Error %" },
          { Id: "total", Expression: "SUM(METRICS('r'))" },
          { Id: "filled", Expression: "FILL(rb, 0)" },
          { Id: "linear", Expression: "FILL(rb, LINEAR)" },
          { Id: "rate", Expression: "RATE(ra)" },
          { Id: "diff", Expression: "DIFF(ra)" },
          { Id: "big", Expression: "IF(ra > 25, ra, 0)" },
          { Id: "mx", Expression: "MAX(ra)" },
          { Id: "s", Expression: "SEARCH('{Web,Host} MetricName=\"Requests\"', 'Sum', 60)" },
          { Id: "ab", Expression: "ABS(-ea) + CEIL(0.2) + FLOOR(0.7)" },
        ],
      }),
    );
    const get = (id: string) => out.MetricDataResults!.filter((r) => r.Id === id);
    const ts = (k: number) => new Date(base + k * 60_000);
    expect(get("ra")[0]).toMatchObject({ Label: "Requests", StatusCode: "Complete", Values: [10, 20, 30, 40, 50], Timestamps: [0, 1, 2, 3, 4].map(ts) });
    expect(get("rb")).toEqual([]);
    expect(get("ratio")[0]).toMatchObject({ Label: "Error %", Values: [0, 5, 100 * (2 / 30), 7.5, 8] });
    expect(get("total")[0]?.Values).toEqual([11, 21, 30, 41, 51]);
    expect(get("filled")[0]?.Values).toEqual([1, 1, 0, 1, 1]);
    expect(get("linear")[0]?.Values).toEqual([1, 1, 1, 1, 1]);
    expect(get("rate")[0]?.Values).toEqual([10 / 60, 10 / 60, 10 / 60, 10 / 60]);
    expect(get("diff")[0]?.Values).toEqual([10, 10, 10, 10]);
    expect(get("big")[0]?.Values).toEqual([0, 0, 30, 40, 50]);
    expect(get("mx")[0]?.Values).toEqual([50, 50, 50, 50, 50]);
    expect(get("s").map((r) => r.Label).sort()).toEqual(["Requests a", "Requests b"]);
    expect(get("ab")[0]?.Values).toEqual([1, 2, 3, 4, 5]);
  });

  it("orders descending by default, pages with MaxDatapoints and rejects bad queries", async () => {
    const q = { StartTime: new Date(base), EndTime: new Date(base + 5 * 60_000), MetricDataQueries: [stat("ra", "Requests", "a", true)] };
    const desc = await cbor.send(new GetMetricDataCommand(q));
    expect(desc.MetricDataResults?.[0]?.Values).toEqual([50, 40, 30, 20, 10]);
    const p1 = await cw.send(new GetMetricDataCommand({ ...q, MaxDatapoints: 3 }));
    expect(p1.MetricDataResults?.[0]?.Values).toEqual([50, 40, 30]);
    expect(p1.NextToken).toBeDefined();
    const p2 = await cw.send(new GetMetricDataCommand({ ...q, MaxDatapoints: 3, NextToken: p1.NextToken }));
    expect(p2.MetricDataResults?.[0]?.Values).toEqual([20, 10]);
    expect(p2.NextToken).toBeUndefined();
    const badId = await fail(cw.send(new GetMetricDataCommand({ ...q, MetricDataQueries: [{ ...stat("Ra", "Requests", "a", true) }] })));
    expect(badId.name).toBe("InvalidParameterValueException");
    const unknownRef = await fail(cw.send(new GetMetricDataCommand({ ...q, MetricDataQueries: [{ Id: "e1", Expression: "m9 * 2" }] })));
    expect(unknownRef.message).toContain("Unrecognized metric identifier");
    const syntax = await fail(cw.send(new GetMetricDataCommand({ ...q, MetricDataQueries: [{ Id: "e1", Expression: "SUM(" }] })));
    expect(syntax.name).toBe("InvalidParameterValueException");
  });

  it("works from the AWS CLI and boto3", async () => {
    const cli = await awsCli(n, [
      "cloudwatch",
      "get-metric-data",
      "--start-time",
      new Date(base).toISOString(),
      "--end-time",
      new Date(base + 5 * 60_000).toISOString(),
      "--metric-data-queries",
      JSON.stringify([stat("ra", "Requests", "a"), { Id: "twice", Expression: "ra * 2" }]),
    ]);
    expect(cli.stderr).toBe("");
    expect((JSON.parse(cli.stdout) as { MetricDataResults: Array<{ Values: number[] }> }).MetricDataResults[0]?.Values).toEqual([100, 80, 60, 40, 20]);
    const py = await boto3(
      n,
      `from datetime import datetime, timezone
cw = client('cloudwatch')
r = cw.get_metric_statistics(Namespace='Web', MetricName='Requests', Dimensions=[{'Name':'Host','Value':'a'}],
  StartTime=datetime.fromtimestamp(${base / 1000}, timezone.utc), EndTime=datetime.fromtimestamp(${(base + 300_000) / 1000}, timezone.utc), Period=300, Statistics=['Sum','Maximum'])
print(json.dumps([[float(d['Sum']), float(d['Maximum'])] for d in r['Datapoints']]))
try:
  cw.put_metric_data(Namespace='AWS/Lambda', MetricData=[{'MetricName':'x','Value':1}])
except botocore.exceptions.ClientError as e:
  print(e.response['Error']['Code'])`,
    );
    expect(py.stderr).toBe("");
    expect(py.stdout.trim().split("\n")).toEqual(["[[150.0, 50.0]]", "InvalidParameterValue"]);
  });
});

describe("ListMetrics", () => {
  it("lists with dimension filters, RecentlyActive and paging", async () => {
    const data = Array.from({ length: 510 }, (_, i) => ({ MetricName: "NumberOfMessagesSent", Dimensions: [{ Name: "QueueName", Value: `q${String(i).padStart(3, "0")}` }], Value: 1, Unit: "Count" as const }));
    await cw.send(new PutMetricDataCommand({ Namespace: "App/SQS", MetricData: data }));
    const first = await cw.send(new ListMetricsCommand({ Namespace: "App/SQS" }));
    expect(first.Metrics?.length).toBe(500);
    const second = await cw.send(new ListMetricsCommand({ Namespace: "App/SQS", NextToken: first.NextToken }));
    expect(second.Metrics?.length).toBe(10);
    expect(second.NextToken).toBeUndefined();
    const one = await cw.send(new ListMetricsCommand({ Namespace: "App/SQS", Dimensions: [{ Name: "QueueName", Value: "q007" }] }));
    expect(one.Metrics).toEqual([{ Namespace: "App/SQS", MetricName: "NumberOfMessagesSent", Dimensions: [{ Name: "QueueName", Value: "q007" }] }]);
    n.clock.advance(4 * 3600);
    expect((await cw.send(new ListMetricsCommand({ Namespace: "App/SQS", RecentlyActive: "PT3H" }))).Metrics).toEqual([]);
  });
});

describe("dashboards", () => {
  it("puts, gets, lists and deletes dashboards; validates the body", async () => {
    const body = JSON.stringify({ widgets: [{ type: "metric", x: 0, y: 0, width: 6, height: 6, properties: { metrics: [["Web", "Requests", "Host", "a"]], region: n.region } }] });
    const put = await cw.send(new PutDashboardCommand({ DashboardName: "ops", DashboardBody: body }));
    expect(put.DashboardValidationMessages).toEqual([]);
    const got = await cw.send(new GetDashboardCommand({ DashboardName: "ops" }));
    expect(got).toMatchObject({ DashboardName: "ops", DashboardBody: body, DashboardArn: expect.stringMatching(/^arn:aws:cloudwatch::\d{12}:dashboard\/ops$/) as unknown });
    await cw.send(new PutDashboardCommand({ DashboardName: "other", DashboardBody: JSON.stringify({ widgets: [] }) }));
    expect((await cw.send(new ListDashboardsCommand({ DashboardNamePrefix: "op" }))).DashboardEntries?.map((e) => [e.DashboardName, e.Size])).toEqual([["ops", Buffer.byteLength(body)]]);
    const bad = await fail(cw.send(new PutDashboardCommand({ DashboardName: "bad", DashboardBody: JSON.stringify({ widgets: [{ type: "chart" }] }) })));
    expect(bad.name).toBe("DashboardInvalidInputError");
    expect((bad as unknown as { dashboardValidationMessages: unknown[] }).dashboardValidationMessages).toEqual([
      { DataPath: "/widgets/0/type", Message: "Should be equal to one of the allowed values: metric, text, log, alarm, explorer, custom" },
    ]);
    await cw.send(new DeleteDashboardsCommand({ DashboardNames: ["ops", "other"] }));
    const gone = await fail(cw.send(new GetDashboardCommand({ DashboardName: "ops" })));
    expect(gone.name).toBe("ResourceNotFound"); // the SDK names awsQueryCompatible errors by their query code
    const cli = await awsCli(n, ["cloudwatch", "put-dashboard", "--dashboard-name", "cli", "--dashboard-body", JSON.stringify({ widgets: [{ type: "text", properties: { markdown: "hi" } }] })]);
    expect(cli.stderr).toBe("");
    const list = await awsCli(n, ["cloudwatch", "list-dashboards"]);
    expect((JSON.parse(list.stdout) as { DashboardEntries: Array<{ DashboardName: string }> }).DashboardEntries.map((e) => e.DashboardName)).toEqual(["cli"]);
  });
});
