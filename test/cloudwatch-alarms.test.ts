/** CloudWatch alarms: evaluation on the injected clock, actions through the delivery bus, history, composite alarms; SDK v3, the AWS CLI and boto3. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  DescribeAlarmsForMetricCommand,
  DisableAlarmActionsCommand,
  EnableAlarmActionsCommand,
  ListTagsForResourceCommand,
  PutCompositeAlarmCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type PutMetricAlarmCommandInput,
} from "@aws-sdk/client-cloudwatch";
import type { Nimbus } from "../src/index.js";
import type { Delivery } from "../src/core/bus.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let cw: CloudWatchClient;
let account: string;
const delivered: Array<{ arn: string; d: Delivery }> = [];
const TOPIC = "arn:aws:sns:us-east-1:000000000000:alarms-topic";
let off: () => void = () => {};

beforeAll(async () => {
  n = await startTestNimbus();
  cw = new CloudWatchClient(sdkConfig(n));
  // A stand-in topic: this file checks what CloudWatch sends; cloudwatch-e2e covers real SNS -> SQS.
  off = n.bus.register("sns", async (arn, d) => {
    delivered.push({ arn, d });
    return { messageId: `m-${delivered.length}` };
  });
  const who = await boto3(n, "print(client('sts').get_caller_identity()['Account'])");
  account = who.stdout.trim();
});
afterAll(async () => {
  off();
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

async function evaluate(): Promise<void> {
  const r = await fetch(`${n.endpoint}/_nimbus/cloudwatch/evaluate`, { method: "POST" });
  expect(r.status).toBe(200);
}
const minute = () => Math.floor(n.clock.nowMs() / 60_000) * 60_000;
const alarm = async (name: string) => (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ["MetricAlarm", "CompositeAlarm"] })));
const state = async (name: string) => {
  const a = await alarm(name);
  return a.MetricAlarms?.[0]?.StateValue ?? a.CompositeAlarms?.[0]?.StateValue;
};
const put = (metric: string, points: Array<[number, number]>, dims = [{ Name: "Service", Value: "checkout" }]) =>
  cw.send(new PutMetricDataCommand({ Namespace: "Shop", MetricData: points.map(([t, v]) => ({ MetricName: metric, Dimensions: dims, Timestamp: new Date(t), Value: v })) }));

const baseAlarm = (name: string, metric: string, extra: Partial<PutMetricAlarmCommandInput> = {}): PutMetricAlarmCommandInput => ({
  AlarmName: name,
  Namespace: "Shop",
  MetricName: metric,
  Dimensions: [{ Name: "Service", Value: "checkout" }],
  Statistic: "Average",
  Period: 60,
  EvaluationPeriods: 3,
  DatapointsToAlarm: 2,
  Threshold: 3,
  ComparisonOperator: "GreaterThanOrEqualToThreshold",
  ...extra,
});

describe("a metric alarm on a custom metric", () => {
  it("goes to ALARM after 2 of 3 breaching datapoints and notifies its topic with AWS's alarm JSON", async () => {
    // Start just after a minute begins, so a slow machine does not cross into the next minute
    // between putting the data points and the evaluation.
    n.clock.advance((60_000 - (n.clock.nowMs() % 60_000)) / 1000 + 1);
    await cw.send(new PutMetricAlarmCommand(baseAlarm("high-errors", "Errors", { AlarmDescription: "too many errors", AlarmActions: [TOPIC], OKActions: [TOPIC] })));
    const created = (await alarm("high-errors")).MetricAlarms![0]!;
    expect(created).toMatchObject({
      AlarmName: "high-errors",
      AlarmArn: `arn:aws:cloudwatch:us-east-1:${account}:alarm:high-errors`,
      StateValue: "INSUFFICIENT_DATA",
      StateReason: "Unchecked: Initial alarm creation",
      ActionsEnabled: true,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
    const m = minute();
    await put("Errors", [
      [m - 170_000, 1],
      [m - 110_000, 5],
      [m - 50_000, 4],
    ]);
    await evaluate();
    const a = (await alarm("high-errors")).MetricAlarms![0]!;
    expect(a.StateValue).toBe("ALARM");
    expect(a.StateReason).toMatch(
      /^Threshold Crossed: 2 out of the last 3 datapoints \[4\.0 \(\d\d\/\d\d\/\d\d \d\d:\d\d:00\), 5\.0 \(.+\)\] were greater than or equal to the threshold \(3\.0\) \(minimum 2 datapoints for INSUFFICIENT_DATA -> ALARM transition\)\.$/,
    );
    const data = JSON.parse(a.StateReasonData!) as Record<string, unknown>;
    expect(data).toMatchObject({ version: "1.0", statistic: "Average", period: 60, threshold: 3, recentDatapoints: [4, 5, 1] });
    expect(delivered).toHaveLength(1);
    const msg = JSON.parse(delivered[0]!.d.body) as Record<string, unknown>;
    expect(delivered[0]!.arn).toBe(TOPIC);
    expect(delivered[0]!.d.subject).toBe('ALARM: "high-errors" in US East (N. Virginia)');
    expect(delivered[0]!.d.sender).toEqual({ servicePrincipal: "cloudwatch.amazonaws.com", account, sourceArn: a.AlarmArn });
    expect(msg).toMatchObject({
      AlarmName: "high-errors",
      AlarmDescription: "too many errors",
      AWSAccountId: account,
      NewStateValue: "ALARM",
      NewStateReason: a.StateReason,
      Region: "US East (N. Virginia)",
      AlarmArn: a.AlarmArn,
      OldStateValue: "INSUFFICIENT_DATA",
      AlarmActions: [TOPIC],
      Trigger: {
        MetricName: "Errors",
        Namespace: "Shop",
        StatisticType: "Statistic",
        Statistic: "AVERAGE",
        Unit: null,
        Dimensions: [{ value: "checkout", name: "Service" }],
        Period: 60,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        Threshold: 3,
        TreatMissingData: "missing",
        EvaluateLowSampleCountPercentile: "",
      },
    });
    expect(msg.StateChangeTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);

    // History: created, state update, action.
    const hist = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: "high-errors" }));
    expect(hist.AlarmHistoryItems?.map((h) => [h.HistoryItemType, h.HistorySummary])).toEqual([
      ["Action", `Successfully executed action ${TOPIC}`],
      ["StateUpdate", "Alarm updated from INSUFFICIENT_DATA to ALARM"],
      ["ConfigurationUpdate", 'Alarm "high-errors" created'],
    ]);
    const upd = JSON.parse(hist.AlarmHistoryItems![1]!.HistoryData!) as { oldState: { stateValue: string }; newState: { stateValue: string; stateReasonData: unknown } };
    expect(upd.oldState.stateValue).toBe("INSUFFICIENT_DATA");
    expect(upd.newState.stateValue).toBe("ALARM");
    const created2 = JSON.parse(hist.AlarmHistoryItems![2]!.HistoryData!) as { type: string; createdAlarm: { AlarmName: string } };
    expect(created2).toMatchObject({ type: "Create", createdAlarm: { AlarmName: "high-errors" } });
    const onlyState = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: "high-errors", HistoryItemType: "StateUpdate", ScanBy: "TimestampAscending" }));
    expect(onlyState.AlarmHistoryItems).toHaveLength(1);

    // Recovery: two good minutes -> OK, and the OK action runs.
    n.clock.advance(120);
    const m2 = minute();
    await put("Errors", [
      [m2 - 110_000, 0],
      [m2 - 50_000, 0],
    ]);
    await evaluate();
    expect(await state("high-errors")).toBe("OK");
    expect(delivered).toHaveLength(2);
    expect(JSON.parse(delivered[1]!.d.body)).toMatchObject({ NewStateValue: "OK", OldStateValue: "ALARM" });
  });

  it("treats missing data as missing, breaching, notBreaching or ignore", async () => {
    const cases = { missing: "INSUFFICIENT_DATA", breaching: "ALARM", notBreaching: "OK", ignore: "INSUFFICIENT_DATA" } as const;
    for (const t of Object.keys(cases)) await cw.send(new PutMetricAlarmCommand(baseAlarm(`nodata-${t}`, "Nothing", { TreatMissingData: t })));
    await evaluate();
    for (const [t, s] of Object.entries(cases)) expect([t, await state(`nodata-${t}`)]).toEqual([t, s]);
    expect((await alarm("nodata-breaching")).MetricAlarms![0]!.StateReason).toBe(
      "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].",
    );
    expect((await alarm("nodata-missing")).MetricAlarms![0]!.StateReason).toBe("Insufficient Data: 3 datapoints were unknown.");
    // One breaching point plus missing data treated as breaching reaches 2 of 3.
    const m = minute();
    await put("Sparse", [[m - 50_000, 10]]);
    await cw.send(new PutMetricAlarmCommand(baseAlarm("sparse-breaching", "Sparse", { TreatMissingData: "breaching" })));
    await cw.send(new PutMetricAlarmCommand(baseAlarm("sparse-missing", "Sparse")));
    await evaluate();
    expect(await state("sparse-breaching")).toBe("ALARM");
    expect(await state("sparse-missing")).toBe("OK");
  });

  it("alarms on math expressions, anomaly bands and percentiles (low sample counts ignored when asked)", async () => {
    const m = minute();
    await put("A", [[m - 50_000, 2], [m - 110_000, 2]]);
    await put("B", [[m - 50_000, 2], [m - 110_000, 2]]);
    const stat = (id: string, name: string) => ({ Id: id, MetricStat: { Metric: { Namespace: "Shop", MetricName: name, Dimensions: [{ Name: "Service", Value: "checkout" }] }, Period: 60, Stat: "Sum" }, ReturnData: false });
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: "math",
        EvaluationPeriods: 2,
        Threshold: 3,
        ComparisonOperator: "GreaterThanThreshold",
        Metrics: [stat("a", "A"), stat("b", "B"), { Id: "total", Expression: "a + b", Label: "A+B", ReturnData: true }],
      }),
    );
    const points: Array<[number, number]> = [];
    for (let i = 2; i < 30; i++) points.push([m - i * 60_000 + 10_000, 10 + (i % 3)]);
    points.push([m - 50_000, 100]);
    await put("Latency", points);
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: "anomaly",
        EvaluationPeriods: 1,
        ComparisonOperator: "LessThanLowerOrGreaterThanUpperThreshold",
        ThresholdMetricId: "ad1",
        Metrics: [
          { ...stat("m1", "Latency"), ReturnData: true, MetricStat: { ...stat("m1", "Latency").MetricStat, Stat: "Average" } },
          { Id: "ad1", Expression: "ANOMALY_DETECTION_BAND(m1, 2)", ReturnData: true },
        ],
      }),
    );
    await put("P99", [[m - 50_000, 500]]);
    await cw.send(new PutMetricAlarmCommand(baseAlarm("p99-ignore", "P99", { Statistic: undefined, ExtendedStatistic: "p99", EvaluationPeriods: 1, DatapointsToAlarm: 1, EvaluateLowSampleCountPercentile: "ignore" })));
    await cw.send(new PutMetricAlarmCommand(baseAlarm("p99-evaluate", "P99", { Statistic: undefined, ExtendedStatistic: "p99", EvaluationPeriods: 1, DatapointsToAlarm: 1, EvaluateLowSampleCountPercentile: "evaluate" })));
    await evaluate();
    expect(await state("math")).toBe("ALARM");
    expect(await state("anomaly")).toBe("ALARM");
    expect(await state("p99-ignore")).toBe("INSUFFICIENT_DATA");
    expect(await state("p99-evaluate")).toBe("ALARM");
    const forMetric = await cw.send(new DescribeAlarmsForMetricCommand({ Namespace: "Shop", MetricName: "A", Dimensions: [{ Name: "Service", Value: "checkout" }] }));
    expect(forMetric.MetricAlarms?.map((a) => a.AlarmName)).toEqual(["math"]);
  });

  it("rejects bad alarms with AWS's errors and stores nothing", async () => {
    const both = await fail(cw.send(new PutMetricAlarmCommand(baseAlarm("bad", "X", { ExtendedStatistic: "p99" }))));
    expect(both.name).toBe("InvalidParameterCombinationException");
    const op = await fail(cw.send(new PutMetricAlarmCommand(baseAlarm("bad", "X", { ComparisonOperator: "Bigger" as PutMetricAlarmCommandInput["ComparisonOperator"] }))));
    expect(op.name).toBe("InvalidParameterValueException");
    const dta = await fail(cw.send(new PutMetricAlarmCommand(baseAlarm("bad", "X", { DatapointsToAlarm: 4 }))));
    expect(dta.name).toBe("InvalidParameterValueException");
    const arn = await fail(cw.send(new PutMetricAlarmCommand(baseAlarm("bad", "X", { AlarmActions: ["not-an-arn"] }))));
    expect(arn.message).toBe("Invalid arn syntax: not-an-arn");
    const band = await fail(cw.send(new PutMetricAlarmCommand(baseAlarm("bad", "X", { ComparisonOperator: "GreaterThanUpperThreshold" }))));
    expect(band.name).toBe("InvalidParameterCombinationException");
    expect((await alarm("bad")).MetricAlarms).toEqual([]);
    const unknown = await fail(cw.send(new SetAlarmStateCommand({ AlarmName: "nope", StateValue: "ALARM", StateReason: "x" })));
    expect(unknown.name).toBe("ResourceNotFound");
    expect(unknown.$metadata.httpStatusCode).toBe(404);
  });
});

describe("managing alarms", () => {
  it("sets state by hand, disables and enables actions, filters, tags and deletes", async () => {
    await cw.send(new PutMetricAlarmCommand(baseAlarm("manual", "Manual", { AlarmActions: [TOPIC], Tags: [{ Key: "team", Value: "shop" }] })));
    const before = delivered.length;
    await cw.send(new DisableAlarmActionsCommand({ AlarmNames: ["manual"] }));
    await cw.send(new SetAlarmStateCommand({ AlarmName: "manual", StateValue: "ALARM", StateReason: "testing", StateReasonData: '{"by":"hand"}' }));
    expect(delivered.length).toBe(before);
    const a = (await alarm("manual")).MetricAlarms![0]!;
    expect(a).toMatchObject({ StateValue: "ALARM", StateReason: "testing", StateReasonData: '{"by":"hand"}', ActionsEnabled: false });
    await cw.send(new EnableAlarmActionsCommand({ AlarmNames: ["manual"] }));
    await cw.send(new SetAlarmStateCommand({ AlarmName: "manual", StateValue: "OK", StateReason: "fine" }));
    await cw.send(new SetAlarmStateCommand({ AlarmName: "manual", StateValue: "ALARM", StateReason: "again" }));
    expect(delivered.length).toBe(before + 1);

    const inAlarm = await cw.send(new DescribeAlarmsCommand({ StateValue: "ALARM", AlarmNamePrefix: "man" }));
    expect(inAlarm.MetricAlarms?.map((x) => x.AlarmName)).toEqual(["manual"]);
    const byAction = await cw.send(new DescribeAlarmsCommand({ ActionPrefix: "arn:aws:sns:us-east-1:000000000000:alarms" }));
    expect(byAction.MetricAlarms?.map((x) => x.AlarmName)).toEqual(["high-errors", "manual"]);
    const page = await cw.send(new DescribeAlarmsCommand({ MaxRecords: 2 }));
    expect(page.MetricAlarms).toHaveLength(2);
    const next = await cw.send(new DescribeAlarmsCommand({ MaxRecords: 2, NextToken: page.NextToken }));
    expect(next.MetricAlarms![0]!.AlarmName! > page.MetricAlarms![1]!.AlarmName!).toBe(true);

    await cw.send(new TagResourceCommand({ ResourceARN: a.AlarmArn, Tags: [{ Key: "env", Value: "test" }] }));
    await cw.send(new UntagResourceCommand({ ResourceARN: a.AlarmArn, TagKeys: ["team"] }));
    expect((await cw.send(new ListTagsForResourceCommand({ ResourceARN: a.AlarmArn }))).Tags).toEqual([{ Key: "env", Value: "test" }]);

    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ["manual", "never-existed"] }));
    expect((await alarm("manual")).MetricAlarms).toEqual([]);
  });

  it("records auto scaling and EC2 actions as failed until those services exist", async () => {
    const ec2 = "arn:aws:automate:us-east-1:ec2:stop";
    await cw.send(new PutMetricAlarmCommand(baseAlarm("ec2-action", "Cpu", { AlarmActions: [ec2] })));
    await cw.send(new SetAlarmStateCommand({ AlarmName: "ec2-action", StateValue: "ALARM", StateReason: "x" }));
    const h = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: "ec2-action", HistoryItemType: "Action" }));
    expect(h.AlarmHistoryItems?.[0]?.HistorySummary).toBe(`Failed to execute action ${ec2}`);
    expect(JSON.parse(h.AlarmHistoryItems![0]!.HistoryData!)).toMatchObject({ actionState: "Failed" });
  });

  it("composite alarms follow their rule and honour an actions suppressor", async () => {
    await cw.send(new PutMetricAlarmCommand(baseAlarm("child-a", "Ca")));
    await cw.send(new PutMetricAlarmCommand(baseAlarm("child-b", "Cb")));
    await cw.send(new PutMetricAlarmCommand(baseAlarm("maintenance", "Mw")));
    await cw.send(
      new PutCompositeAlarmCommand({
        AlarmName: "both",
        AlarmRule: 'ALARM("child-a") AND (ALARM(child-b) OR NOT OK("child-b"))',
        AlarmActions: [TOPIC],
        ActionsSuppressor: "maintenance",
      }),
    );
    expect(await state("both")).toBe("OK");
    await cw.send(new SetAlarmStateCommand({ AlarmName: "child-a", StateValue: "ALARM", StateReason: "x" }));
    await cw.send(new SetAlarmStateCommand({ AlarmName: "child-b", StateValue: "OK", StateReason: "x" }));
    expect(await state("both")).toBe("OK");
    await cw.send(new SetAlarmStateCommand({ AlarmName: "maintenance", StateValue: "ALARM", StateReason: "window" }));
    const before = delivered.length;
    await cw.send(new SetAlarmStateCommand({ AlarmName: "child-b", StateValue: "ALARM", StateReason: "x" }));
    const c = (await alarm("both")).CompositeAlarms![0]!;
    expect(c).toMatchObject({ StateValue: "ALARM", ActionsSuppressedBy: "Alarm", AlarmRule: 'ALARM("child-a") AND (ALARM(child-b) OR NOT OK("child-b"))' });
    expect(delivered.length).toBe(before);
    expect((await cw.send(new DescribeAlarmsCommand({ ParentsOfAlarmName: "child-a", AlarmTypes: ["CompositeAlarm"] }))).CompositeAlarms?.map((x) => x.AlarmName)).toEqual(["both"]);
    expect((await cw.send(new DescribeAlarmsCommand({ ChildrenOfAlarmName: "both" }))).MetricAlarms?.map((x) => x.AlarmName)).toEqual(["child-a", "child-b"]);
    // Default AlarmTypes lists metric alarms only.
    expect((await cw.send(new DescribeAlarmsCommand({ AlarmNames: ["both"] }))).CompositeAlarms).toEqual([]);
    const bad = await fail(cw.send(new PutCompositeAlarmCommand({ AlarmName: "x", AlarmRule: 'ALARM("nope")' })));
    expect(bad.name).toBe("InvalidParameterValueException");
    const syntax = await fail(cw.send(new PutCompositeAlarmCommand({ AlarmName: "x", AlarmRule: "ALARM(child-a) AND" })));
    expect(syntax.name).toBe("InvalidParameterValueException");
    const inUse = await fail(cw.send(new DeleteAlarmsCommand({ AlarmNames: ["child-a"] })));
    expect(inUse.name).toBe("InvalidParameterValueException");
  });
});

describe("AWS CLI and boto3", () => {
  it("aws cloudwatch put-metric-alarm / set-alarm-state / describe-alarms, boto3 history", async () => {
    const ok = async (args: string[]) => {
      const r = await awsCli(n, args);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      return r.stdout ? (JSON.parse(r.stdout) as Record<string, unknown>) : {};
    };
    await ok([
      "cloudwatch", "put-metric-alarm", "--alarm-name", "cli-alarm", "--namespace", "Cli", "--metric-name", "Load", "--statistic", "Maximum",
      "--period", "60", "--evaluation-periods", "1", "--threshold", "10", "--comparison-operator", "GreaterThanThreshold",
    ]);
    await ok(["cloudwatch", "put-metric-data", "--namespace", "Cli", "--metric-name", "Load", "--value", "50", "--timestamp", new Date(minute() - 30_000).toISOString()]);
    await evaluate();
    const d = await ok(["cloudwatch", "describe-alarms", "--alarm-names", "cli-alarm"]);
    expect((d.MetricAlarms as Array<{ StateValue: string }>)[0]?.StateValue).toBe("ALARM");
    const bad = await awsCli(n, ["cloudwatch", "set-alarm-state", "--alarm-name", "missing", "--state-value", "OK", "--state-reason", "x"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("ResourceNotFound");
    const py = await boto3(
      n,
      `cw = client('cloudwatch')
cw.set_alarm_state(AlarmName='cli-alarm', StateValue='OK', StateReason='by boto3')
h = cw.describe_alarm_history(AlarmName='cli-alarm', HistoryItemType='StateUpdate')['AlarmHistoryItems']
print(json.dumps([i['HistorySummary'] for i in h]))
print(cw.describe_alarms(AlarmNames=['cli-alarm'])['MetricAlarms'][0]['StateReason'])`,
    );
    expect(py.stderr).toBe("");
    expect(py.stdout.trim().split("\n")).toEqual(['["Alarm updated from ALARM to OK", "Alarm updated from INSUFFICIENT_DATA to ALARM"]', "by boto3"]);
  });
});
