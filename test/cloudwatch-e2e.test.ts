/**
 * The scenario end to end: an alarm on a custom metric goes to ALARM after 2 of 3
 * breaching datapoints, notifies an SNS topic, and the topic's SQS subscriber receives AWS's alarm
 * message JSON (inside SNS's notification envelope). SDK v3 for setup, the AWS CLI for the metric
 * data, boto3 for reading the queue.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudWatchClient, PutMetricAlarmCommand, DescribeAlarmsCommand, DescribeAlarmHistoryCommand } from "@aws-sdk/client-cloudwatch";
import { SNSClient, CreateTopicCommand, SetTopicAttributesCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
beforeAll(async () => {
  n = await startTestNimbus();
});
afterAll(async () => {
  await n.stop();
});

describe("alarm -> SNS -> SQS", () => {
  it("delivers AWS's alarm JSON to the topic's queue subscriber", async () => {
    const cw = new CloudWatchClient(sdkConfig(n));
    const sns = new SNSClient(sdkConfig(n));
    const sqs = new SQSClient(sdkConfig(n));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "alarm-inbox" }));
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "ops-alarms" }));
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl,
        Attributes: {
          Policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queueArn, Condition: { ArnEquals: { "aws:SourceArn": TopicArn } } }],
          }),
        },
      }),
    );
    // The topic policy AWS documents for alarm notifications (needed for encrypted or cross-account
    // topics; Nimbus's SNS does not yet let the default policy admit same-account alarms).
    await sns.send(
      new SetTopicAttributesCommand({
        TopicArn,
        AttributeName: "Policy",
        AttributeValue: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish", Resource: TopicArn, Condition: { StringEquals: { "aws:SourceAccount": "000000000000" } } }],
        }),
      }),
    );
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: queueArn }));
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: "checkout-errors",
        Namespace: "Shop",
        MetricName: "Errors",
        Statistic: "Sum",
        Period: 60,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        Threshold: 5,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        AlarmActions: [TopicArn!],
      }),
    );
    const minute = Math.floor(n.clock.nowMs() / 60_000) * 60_000;
    for (const [offset, value] of [[170, 1], [110, 7], [50, 9]] as const) {
      const r = await awsCli(n, ["cloudwatch", "put-metric-data", "--namespace", "Shop", "--metric-name", "Errors", "--value", String(value), "--timestamp", new Date(minute - offset * 1000).toISOString()]);
      expect(r.stderr).toBe("");
    }
    const ev = await fetch(`${n.endpoint}/_nimbus/cloudwatch/evaluate`, { method: "POST" });
    expect(ev.status).toBe(200);
    const alarm = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ["checkout-errors"] }))).MetricAlarms![0]!;
    expect(alarm.StateValue).toBe("ALARM");

    const hist = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: "checkout-errors", HistoryItemType: "Action" }));
    expect(hist.AlarmHistoryItems?.map((h) => h.HistorySummary)).toEqual([`Successfully executed action ${TopicArn}`]);
    const py = await boto3(
      n,
      `q = client('sqs')
url = q.get_queue_url(QueueName='alarm-inbox')['QueueUrl']
msgs = q.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get('Messages', [])
print(json.dumps([m['Body'] for m in msgs]))`,
    );
    expect(py.stderr).toBe("");
    const bodies = JSON.parse(py.stdout) as string[];
    expect(bodies).toHaveLength(1);
    const envelope = JSON.parse(bodies[0]!) as { Type: string; TopicArn: string; Subject: string; Message: string };
    expect(envelope).toMatchObject({ Type: "Notification", TopicArn, Subject: 'ALARM: "checkout-errors" in US East (N. Virginia)' });
    const message = JSON.parse(envelope.Message) as Record<string, unknown>;
    expect(message).toMatchObject({
      AlarmName: "checkout-errors",
      AlarmDescription: null,
      NewStateValue: "ALARM",
      OldStateValue: "INSUFFICIENT_DATA",
      Region: "US East (N. Virginia)",
      AlarmArn: alarm.AlarmArn,
      NewStateReason: alarm.StateReason,
      Trigger: { MetricName: "Errors", Namespace: "Shop", Statistic: "SUM", Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 5, ComparisonOperator: "GreaterThanOrEqualToThreshold" },
    });
    expect(alarm.StateReason).toContain("2 out of the last 3 datapoints [9.0");
  });
});
