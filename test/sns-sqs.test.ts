/** SNS fan-out into real Nimbus SQS queues: queue policies decide, FIFO topics to FIFO queues keep order and deduplicate, raw delivery carries attributes. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
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
});
