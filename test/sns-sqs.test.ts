/** SNS fan-out into real Nimbus SQS queues: queue policies decide, FIFO topics to FIFO queues keep order and deduplicate, raw delivery carries attributes. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateTopicCommand, PublishCommand, SetTopicAttributesCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let sns: SNSClient;
let sqs: SQSClient;

beforeAll(async () => {
  n = await startTestNimbus();
  sns = new SNSClient(sdkConfig(n));
  sqs = new SQSClient(sdkConfig(n));
});
afterAll(async () => {
  await n.stop();
});

async function queue(name: string, topicArn: string | undefined, attrs: Record<string, string> = {}) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attrs }));
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  if (topicArn) {
    const Policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: arn, Condition: { ArnEquals: { "aws:SourceArn": topicArn } } }],
    });
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy } }));
  }
  return { url: QueueUrl!, arn };
}

async function drain(url: string, max = 10) {
  const out: { Body?: string; MessageAttributes?: Record<string, { StringValue?: string; DataType?: string }> }[] = [];
  for (let i = 0; i < 5 && out.length < max; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], WaitTimeSeconds: 0, VisibilityTimeout: 300 }));
    if (!r.Messages?.length) break;
    out.push(...r.Messages);
  }
  return out;
}

describe("SNS to SQS", () => {
  it("delivers envelopes and raw messages where the queue policy allows sns.amazonaws.com", async () => {
    const t = (await sns.send(new CreateTopicCommand({ Name: "fanout" }))).TopicArn!;
    const allowed = await queue("allowed", t);
    const rawq = await queue("raw", t);
    const closed = await queue("closed", undefined);
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: allowed.arn }));
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: rawq.arn, Attributes: { RawMessageDelivery: "true" } }));
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: closed.arn }));
    await sns.send(new PublishCommand({ TopicArn: t, Message: "hi", MessageAttributes: { color: { DataType: "String", StringValue: "red" } } }));
    const a = await drain(allowed.url);
    expect(a).toHaveLength(1);
    expect(JSON.parse(a[0]!.Body!)).toMatchObject({ Type: "Notification", Message: "hi", TopicArn: t });
    const r = await drain(rawq.url);
    expect(r[0]!.Body).toBe("hi");
    expect(r[0]!.MessageAttributes?.color).toMatchObject({ DataType: "String", StringValue: "red" });
    expect(await drain(closed.url)).toHaveLength(0);
  });

  it("FIFO topic to FIFO queue: order per group and deduplication", async () => {
    const t = (await sns.send(new CreateTopicCommand({ Name: "jobs.fifo", Attributes: { FifoTopic: "true", ContentBasedDeduplication: "true" } }))).TopicArn!;
    const q = await queue("jobs.fifo", t, { FifoQueue: "true" });
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: q.arn, Attributes: { RawMessageDelivery: "true" } }));
    for (let i = 0; i < 8; i++) await sns.send(new PublishCommand({ TopicArn: t, Message: `job-${i}`, MessageGroupId: "g1" }));
    await sns.send(new PublishCommand({ TopicArn: t, Message: "job-0", MessageGroupId: "g1" }));
    const got = await drain(q.url, 20);
    expect(got.map((m) => m.Body)).toEqual(Array.from({ length: 8 }, (_, i) => `job-${i}`));
  });

  it("S3 event notifications reach a topic whose policy allows s3.amazonaws.com, and fan out to its queues", async () => {
    const s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
    const t = (await sns.send(new CreateTopicCommand({ Name: "uploads-topic" }))).TopicArn!;
    await sns.send(
      new SetTopicAttributesCommand({
        TopicArn: t,
        AttributeName: "Policy",
        AttributeValue: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "SNS:Publish", Resource: t, Condition: { ArnLike: { "aws:SourceArn": "arn:aws:s3:::photo-uploads" } } }],
        }),
      }),
    );
    const q = await queue("photo-events", t);
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: q.arn, Attributes: { RawMessageDelivery: "true" } }));
    await s3.send(new CreateBucketCommand({ Bucket: "photo-uploads" }));
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: "photo-uploads", NotificationConfiguration: { TopicConfigurations: [{ TopicArn: t, Events: ["s3:ObjectCreated:*"] }] } }));
    await s3.send(new PutObjectCommand({ Bucket: "photo-uploads", Key: "a.jpg", Body: "img" }));
    let events: { Body?: string }[] = [];
    for (let i = 0; i < 50 && !events.some((m) => m.Body?.includes("ObjectCreated")); i++) {
      events = events.concat(await drain(q.url));
      if (!events.some((m) => m.Body?.includes("ObjectCreated"))) await new Promise((r) => setTimeout(r, 20));
    }
    const created = events.map((m) => JSON.parse(m.Body!) as { Records?: { eventName: string; s3: { object: { key: string } } }[] }).find((e) => e.Records);
    expect(created?.Records?.[0]).toMatchObject({ eventName: "ObjectCreated:Put", s3: { object: { key: "a.jpg" } } });
  });

  it("publishes AWS/SNS metrics to CloudWatch", async () => {
    const cw = new CloudWatchClient(sdkConfig(n));
    const t = (await sns.send(new CreateTopicCommand({ Name: "metered" }))).TopicArn!;
    const q = await queue("metered-q", t);
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: q.arn, Attributes: { FilterPolicy: JSON.stringify({ keep: ["yes"] }) } }));
    await sns.send(new PublishCommand({ TopicArn: t, Message: "a", MessageAttributes: { keep: { DataType: "String", StringValue: "yes" } } }));
    await sns.send(new PublishCommand({ TopicArn: t, Message: "bb" }));
    n.clock.advance(0);
    const sum = async (MetricName: string) => {
      const now = n.clock.nowMs();
      const r = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: "AWS/SNS",
          MetricName,
          Dimensions: [{ Name: "TopicName", Value: "metered" }],
          StartTime: new Date(now - 3_600_000),
          EndTime: new Date(now + 60_000),
          Period: 3600,
          Statistics: ["Sum"],
        }),
      );
      return (r.Datapoints ?? []).reduce((s, d) => s + (d.Sum ?? 0), 0);
    };
    let published = 0;
    for (let i = 0; i < 50 && published < 2; i++) {
      published = await sum("NumberOfMessagesPublished");
      if (published < 2) await new Promise((r) => setTimeout(r, 20));
    }
    expect(published).toBe(2);
    expect(await sum("NumberOfNotificationsDelivered")).toBe(1);
    expect(await sum("NumberOfNotificationsFilteredOut")).toBe(1);
    expect(await sum("PublishSize")).toBe(3);
  });
});
