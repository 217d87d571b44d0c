/** Built-in CloudWatch metrics of SQS, DynamoDB and S3, read back through GetMetricStatistics / ListMetrics (SDK v3, the AWS CLI). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand, type Datapoint, type Dimension } from "@aws-sdk/client-cloudwatch";
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { awsCli, sdkConfig, startTestNimbus } from "./helpers.js";
import type { Nimbus } from "../src/index.js";

let n: Nimbus;
let cw: CloudWatchClient;

beforeAll(async () => {
  n = await startTestNimbus();
  cw = new CloudWatchClient(sdkConfig(n));
});
afterAll(async () => {
  await n?.stop();
});

/** The datapoints of a metric over the last two hours, in one period. */
async function stats(Namespace: string, MetricName: string, Dimensions: Dimension[]): Promise<Datapoint | undefined> {
  const now = n.clock.nowMs();
  const r = await cw.send(
    new GetMetricStatisticsCommand({
      Namespace,
      MetricName,
      Dimensions,
      StartTime: new Date(now - 7_200_000),
      EndTime: new Date(now + 60_000),
      Period: 3 * 3600,
      Statistics: ["Sum", "SampleCount", "Average", "Minimum", "Maximum"],
    }),
  );
  return r.Datapoints?.[0];
}

/** Poll until `check` holds for the datapoint (the writes after a clock advance are asynchronous). */
async function waitFor(Namespace: string, MetricName: string, Dimensions: Dimension[], check: (d: Datapoint) => boolean): Promise<Datapoint> {
  let d: Datapoint | undefined;
  for (let i = 0; i < 200; i++) {
    d = await stats(Namespace, MetricName, Dimensions);
    if (d && check(d)) return d;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${Namespace} ${MetricName}: ${JSON.stringify(d)}`);
}

describe("AWS/SQS", () => {
  it("counts sends, receives, deletes and empty receives per minute, and samples queue depth", async () => {
    const sqs = new SQSClient(sdkConfig(n));
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: "metered" }))).QueueUrl!;
    await sqs.send(new CreateQueueCommand({ QueueName: "idle" }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "hello" }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "a", MessageBody: "abc" }, { Id: "b", MessageBody: "0123456789" }] }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "later", DelaySeconds: 600 }));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 2, VisibilityTimeout: 600 }));
    expect(got.Messages).toHaveLength(2);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got.Messages![0]!.ReceiptHandle! }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));

    // Nothing is written until the minute is over.
    const dims = [{ Name: "QueueName", Value: "metered" }];
    expect(await stats("AWS/SQS", "NumberOfMessagesSent", dims)).toBeUndefined();
    n.clock.advance(60);

    const sent = await waitFor("AWS/SQS", "NumberOfMessagesSent", dims, (d) => d.Sum === 4);
    expect(sent.Sum).toBe(4);
    const size = await waitFor("AWS/SQS", "SentMessageSize", dims, (d) => d.SampleCount === 4);
    expect(size).toMatchObject({ Minimum: 3, Maximum: 10, Sum: 5 + 3 + 10 + 5, Unit: "Bytes" });
    expect((await waitFor("AWS/SQS", "NumberOfMessagesReceived", dims, (d) => d.Sum === 3)).Sum).toBe(3);
    expect((await waitFor("AWS/SQS", "NumberOfMessagesDeleted", dims, (d) => d.Sum === 1)).Sum).toBe(1);
    expect((await waitFor("AWS/SQS", "NumberOfEmptyReceives", dims, (d) => d.Sum === 1)).Sum).toBe(1);

    // Gauges sampled at the new minute: none visible, two in flight, one delayed.
    const visible = await waitFor("AWS/SQS", "ApproximateNumberOfMessagesVisible", dims, () => true);
    expect(visible.Maximum).toBe(0);
    expect((await waitFor("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", dims, () => true)).Maximum).toBe(2);
    expect((await waitFor("AWS/SQS", "ApproximateNumberOfMessagesDelayed", dims, () => true)).Maximum).toBe(1);
    const age = await waitFor("AWS/SQS", "ApproximateAgeOfOldestMessage", dims, () => true);
    expect(age.Maximum).toBeGreaterThanOrEqual(60);
    expect(age.Unit).toBe("Seconds");
    // Every queue that exists is sampled, idle or not.
    expect((await waitFor("AWS/SQS", "ApproximateNumberOfMessagesVisible", [{ Name: "QueueName", Value: "idle" }], () => true)).Maximum).toBe(0);

    const listed = await cw.send(new ListMetricsCommand({ Namespace: "AWS/SQS", Dimensions: [{ Name: "QueueName", Value: "metered" }] }));
    const names = new Set((listed.Metrics ?? []).map((m) => m.MetricName));
    for (const m of ["NumberOfMessagesSent", "NumberOfMessagesReceived", "NumberOfMessagesDeleted", "NumberOfEmptyReceives", "SentMessageSize", "ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed", "ApproximateAgeOfOldestMessage"]) {
      expect(names).toContain(m);
    }
  });

  it("lists AWS/SQS metrics through the AWS CLI", async () => {
    const r = await awsCli(n, ["cloudwatch", "list-metrics", "--namespace", "AWS/SQS", "--dimensions", "Name=QueueName,Value=metered"]);
    expect(r.code, r.stderr).toBe(0);
    const names = (JSON.parse(r.stdout) as { Metrics: { MetricName: string; Namespace: string }[] }).Metrics.map((m) => m.MetricName);
    expect(names).toContain("NumberOfMessagesSent");
    expect(names).toContain("ApproximateNumberOfMessagesVisible");
  });
});
