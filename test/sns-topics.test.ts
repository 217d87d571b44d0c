/** SNS topics, subscriptions, publishing and delivery (SQS and Lambda through the bus, HTTP with real POSTs and signatures, email to the SES mailbox, SMS), through SDK v3, the AWS CLI and boto3. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { createVerify, X509Certificate } from "node:crypto";
import {
  ConfirmSubscriptionCommand,
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SetTopicAttributesCommand,
  SNSClient,
  SubscribeCommand,
  TagResourceCommand,
  UnsubscribeCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-sns";
import type { Nimbus } from "../src/index.js";
import type { Delivery } from "../src/core/bus.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let sns: SNSClient;
const queued: { arn: string; d: Delivery }[] = [];
const invoked: { arn: string; d: Delivery }[] = [];
const QUEUE = "arn:aws:sqs:us-east-1:000000000000:orders";
const FIFO_QUEUE = "arn:aws:sqs:us-east-1:000000000000:orders.fifo";
const MISSING_QUEUE = "arn:aws:sqs:us-east-1:000000000000:missing";
const DLQ = "arn:aws:sqs:us-east-1:000000000000:dlq";

beforeAll(async () => {
  n = await startTestNimbus();
  sns = new SNSClient(sdkConfig(n));
  // Stand-ins for the SQS and Lambda services: record what SNS hands over through the bus.
  n.bus.register("sqs", async (arn, d) => {
    if (arn === MISSING_QUEUE) throw new Error("AWS.SimpleQueueService.NonExistentQueue");
    queued.push({ arn, d });
    return { messageId: String(queued.length) };
  });
  n.bus.register("lambda", async (arn, d) => {
    invoked.push({ arn, d });
    return {};
  });
});
afterAll(async () => {
  await n.stop();
});

const topicArn = (name: string) => `arn:aws:sns:us-east-1:000000000000:${name}`;

describe("topics", () => {
  it("creates idempotently, validates attributes, lists, tags and deletes", async () => {
    const a = await sns.send(new CreateTopicCommand({ Name: "alerts", Attributes: { DisplayName: "Alerts" }, Tags: [{ Key: "team", Value: "ops" }] }));
    expect(a.TopicArn).toBe(topicArn("alerts"));
    expect((await sns.send(new CreateTopicCommand({ Name: "alerts", Attributes: { DisplayName: "Alerts" } }))).TopicArn).toBe(a.TopicArn);
    await expect(sns.send(new CreateTopicCommand({ Name: "alerts", Attributes: { DisplayName: "Other" } }))).rejects.toMatchObject({
      name: "InvalidParameterException",
      message: "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(sns.send(new CreateTopicCommand({ Name: "bad name" }))).rejects.toMatchObject({ name: "InvalidParameterException", message: "Invalid parameter: Topic Name" });
    await expect(sns.send(new CreateTopicCommand({ Name: "x.fifo" }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    await expect(sns.send(new CreateTopicCommand({ Name: "sig", Attributes: { SignatureVersion: "3" } }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    await expect(sns.send(new CreateTopicCommand({ Name: "cbd", Attributes: { ContentBasedDeduplication: "true" } }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    const attrs = (await sns.send(new GetTopicAttributesCommand({ TopicArn: a.TopicArn }))).Attributes!;
    expect(attrs).toMatchObject({ TopicArn: a.TopicArn, Owner: "000000000000", DisplayName: "Alerts", SubscriptionsConfirmed: "0", SubscriptionsPending: "0", SubscriptionsDeleted: "0" });
    expect(JSON.parse(attrs.Policy!).Statement[0].Condition).toEqual({ StringEquals: { "AWS:SourceOwner": "000000000000" } });
    expect(JSON.parse(attrs.EffectiveDeliveryPolicy!).http.defaultHealthyRetryPolicy.numRetries).toBe(3);
    await sns.send(new SetTopicAttributesCommand({ TopicArn: a.TopicArn, AttributeName: "SignatureVersion", AttributeValue: "2" }));
    await expect(sns.send(new SetTopicAttributesCommand({ TopicArn: a.TopicArn, AttributeName: "Bogus", AttributeValue: "1" }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    await expect(sns.send(new SetTopicAttributesCommand({ TopicArn: a.TopicArn, AttributeName: "DeliveryPolicy", AttributeValue: '{"http":{"defaultHealthyRetryPolicy":{"numRetries":500}}}' }))).rejects.toMatchObject({
      name: "InvalidParameterException",
    });
    expect((await sns.send(new GetTopicAttributesCommand({ TopicArn: a.TopicArn }))).Attributes!.SignatureVersion).toBe("2");
    await sns.send(new TagResourceCommand({ ResourceArn: a.TopicArn, Tags: [{ Key: "env", Value: "dev" }] }));
    await sns.send(new UntagResourceCommand({ ResourceArn: a.TopicArn, TagKeys: ["team"] }));
    expect((await sns.send(new ListTagsForResourceCommand({ ResourceArn: a.TopicArn }))).Tags).toEqual([{ Key: "env", Value: "dev" }]);
    await expect(sns.send(new ListTagsForResourceCommand({ ResourceArn: topicArn("nope") }))).rejects.toMatchObject({ name: "ResourceNotFoundException", $metadata: { httpStatusCode: 404 } });
    const fifo = await sns.send(new CreateTopicCommand({ Name: "events.fifo", Attributes: { FifoTopic: "true", ContentBasedDeduplication: "true" } }));
    expect((await sns.send(new GetTopicAttributesCommand({ TopicArn: fifo.TopicArn }))).Attributes).toMatchObject({ FifoTopic: "true", ContentBasedDeduplication: "true" });
    const listed = (await sns.send(new ListTopicsCommand({}))).Topics!.map((t) => t.TopicArn);
    expect(listed).toEqual(expect.arrayContaining([a.TopicArn, fifo.TopicArn]));
    await sns.send(new CreateTopicCommand({ Name: "doomed" }));
    await sns.send(new DeleteTopicCommand({ TopicArn: topicArn("doomed") }));
    await expect(sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn("doomed") }))).rejects.toMatchObject({ name: "NotFoundException", message: "Topic does not exist", $metadata: { httpStatusCode: 404 } });
  });

  it("pages ListTopics by 100", async () => {
    for (let i = 0; i < 105; i++) await sns.send(new CreateTopicCommand({ Name: `page-${String(i).padStart(3, "0")}` }));
    const p1 = await sns.send(new ListTopicsCommand({}));
    expect(p1.Topics).toHaveLength(100);
    const p2 = await sns.send(new ListTopicsCommand({ NextToken: p1.NextToken }));
    expect(p2.NextToken).toBeUndefined();
    expect(p1.Topics!.length + p2.Topics!.length).toBeGreaterThanOrEqual(107);
  });
});

describe("subscriptions and delivery", () => {
  it("delivers to SQS as the signed envelope, or raw with attributes, through filter policies", async () => {
    const t = (await sns.send(new CreateTopicCommand({ Name: "orders", Attributes: { DisplayName: "Orders" } }))).TopicArn!;
    const s1 = await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: QUEUE, ReturnSubscriptionArn: true }));
    expect(s1.SubscriptionArn).toMatch(new RegExp(`^${t}:[0-9a-f-]{36}$`));
    expect((await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: QUEUE }))).SubscriptionArn).toBe(s1.SubscriptionArn);
    const raw = await sns.send(
      new SubscribeCommand({
        TopicArn: t,
        Protocol: "sqs",
        Endpoint: FIFO_QUEUE.replace(".fifo", "-raw"),
        Attributes: { RawMessageDelivery: "true", FilterPolicy: JSON.stringify({ kind: ["big"] }) },
      }),
    );
    await expect(sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: "not-an-arn" }))).rejects.toMatchObject({ name: "InvalidParameterException", message: "Invalid parameter: SQS endpoint ARN" });
    await expect(sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "pigeon", Endpoint: "x" }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    await expect(sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: QUEUE + "2", Attributes: { FilterPolicy: '{"a": []}' } }))).rejects.toMatchObject({
      name: "InvalidParameterException",
      message: "Invalid parameter: FilterPolicy: Empty arrays are not allowed",
    });
    expect((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: t }))).Subscriptions).toHaveLength(2);

    queued.length = 0;
    const p = await sns.send(new PublishCommand({ TopicArn: t, Message: "hello", Subject: "Greeting", MessageAttributes: { kind: { DataType: "String", StringValue: "small" } } }));
    expect(queued).toHaveLength(1);
    const env = JSON.parse(queued[0]!.d.body) as Record<string, unknown>;
    expect(Object.keys(env)).toEqual(["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes"]);
    expect(env).toMatchObject({ Type: "Notification", MessageId: p.MessageId, TopicArn: t, Subject: "Greeting", Message: "hello", SignatureVersion: "1", MessageAttributes: { kind: { Type: "String", Value: "small" } } });
    expect(queued[0]!.d.sender).toEqual({ servicePrincipal: "sns.amazonaws.com", account: "000000000000", sourceArn: t });
    // the signature verifies with the certificate Nimbus serves
    const certRes = await fetch(String(env.SigningCertURL));
    expect(certRes.status).toBe(200);
    const cert = new X509Certificate(await certRes.text());
    const toSign = `Message\nhello\nMessageId\n${String(env.MessageId)}\nSubject\nGreeting\nTimestamp\n${String(env.Timestamp)}\nTopicArn\n${t}\nType\nNotification\n`;
    expect(createVerify("RSA-SHA1").update(toSign).verify(cert.publicKey, String(env.Signature), "base64")).toBe(true);

    queued.length = 0;
    await sns.send(new PublishCommand({ TopicArn: t, Message: "big one", MessageAttributes: { kind: { DataType: "String", StringValue: "big" }, n: { DataType: "Number", StringValue: "7" } } }));
    expect(queued).toHaveLength(2);
    const rawDelivery = queued.find((q) => q.arn.endsWith("-raw"))!;
    expect(rawDelivery.d.body).toBe("big one");
    expect(rawDelivery.d.attributes).toEqual({ kind: { DataType: "String", StringValue: "big" }, n: { DataType: "Number", StringValue: "7" } });

    // filter on the body
    await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: raw.SubscriptionArn!.startsWith("arn") ? raw.SubscriptionArn : (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: t }))).Subscriptions!.find((s) => s.Endpoint!.endsWith("-raw"))!.SubscriptionArn, AttributeName: "FilterPolicyScope", AttributeValue: "MessageBody" }));
    const rawArn = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: t }))).Subscriptions!.find((s) => s.Endpoint!.endsWith("-raw"))!.SubscriptionArn!;
    await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: rawArn, AttributeName: "FilterPolicy", AttributeValue: JSON.stringify({ order: { size: [{ numeric: [">", 10] }] } }) }));
    expect((await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: rawArn }))).Attributes).toMatchObject({ FilterPolicyScope: "MessageBody", RawMessageDelivery: "true", Protocol: "sqs", PendingConfirmation: "false" });
    queued.length = 0;
    await sns.send(new PublishCommand({ TopicArn: t, Message: JSON.stringify({ order: { size: 11 } }) }));
    await sns.send(new PublishCommand({ TopicArn: t, Message: JSON.stringify({ order: { size: 3 } }) }));
    expect(queued.filter((q) => q.arn.endsWith("-raw")).map((q) => q.d.body)).toEqual([JSON.stringify({ order: { size: 11 } })]);

    // MessageStructure json: per-protocol messages with the default rule
    queued.length = 0;
    await sns.send(new PublishCommand({ TopicArn: t, MessageStructure: "json", Message: JSON.stringify({ default: "dflt", sqs: "for sqs", email: "for email" }) }));
    expect(JSON.parse(queued.find((q) => q.arn === QUEUE)!.d.body).Message).toBe("for sqs");
    await expect(sns.send(new PublishCommand({ TopicArn: t, MessageStructure: "json", Message: JSON.stringify({ sqs: "x" }) }))).rejects.toMatchObject({
      message: "Invalid parameter: Message Structure - No default entry in JSON message body",
    });
    await expect(sns.send(new PublishCommand({ TopicArn: t, Message: "x".repeat(262_145) }))).rejects.toMatchObject({ message: "Invalid parameter: Message too long" });
    await expect(sns.send(new PublishCommand({ TopicArn: t, Message: "x", MessageAttributes: { n: { DataType: "Number", StringValue: "abc" } } }))).rejects.toMatchObject({ name: "InvalidParameterValueException" });

    await sns.send(new UnsubscribeCommand({ SubscriptionArn: s1.SubscriptionArn! }));
    await expect(sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: s1.SubscriptionArn! }))).rejects.toMatchObject({ name: "NotFoundException" });
  });

  it("sends failed SQS deliveries to the subscription's dead-letter queue, and delivers the Lambda event", async () => {
    const t = (await sns.send(new CreateTopicCommand({ Name: "redrive" }))).TopicArn!;
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: MISSING_QUEUE, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ }) } }));
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "lambda", Endpoint: "arn:aws:lambda:us-east-1:000000000000:function:handler" }));
    queued.length = 0;
    invoked.length = 0;
    await sns.send(new PublishCommand({ TopicArn: t, Message: "m", Subject: "s" }));
    expect(queued.map((q) => q.arn)).toEqual([DLQ]);
    expect(JSON.parse(queued[0]!.d.body).Message).toBe("m");
    expect(invoked).toHaveLength(1);
    const event = JSON.parse(invoked[0]!.d.body);
    expect(event.Records[0]).toMatchObject({ EventSource: "aws:sns", EventVersion: "1.0", Sns: { Type: "Notification", TopicArn: t, Subject: "s", Message: "m" } });
    expect(event.Records[0].Sns.SigningCertUrl).toContain("/_nimbus/sns/SimpleNotificationService-");
  });

  it("FIFO topics need group ids, deduplicate for 5 minutes, keep order and hand out sequence numbers", async () => {
    const t = (await sns.send(new CreateTopicCommand({ Name: "seq.fifo", Attributes: { FifoTopic: "true" } }))).TopicArn!;
    await expect(sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "email", Endpoint: "a@example.com" }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: FIFO_QUEUE }));
    await expect(sns.send(new PublishCommand({ TopicArn: t, Message: "x", MessageDeduplicationId: "d" }))).rejects.toMatchObject({
      message: "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
    });
    await expect(sns.send(new PublishCommand({ TopicArn: t, Message: "x", MessageGroupId: "g" }))).rejects.toMatchObject({
      message: "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
    });
    queued.length = 0;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => sns.send(new PublishCommand({ TopicArn: t, Message: `m${i}`, MessageGroupId: "g", MessageDeduplicationId: `d${i}` }))));
    const seqs = results.map((r) => BigInt(r.SequenceNumber!));
    expect(new Set(seqs).size).toBe(10);
    expect(queued.map((q) => BigInt(JSON.parse(q.d.body).SequenceNumber))).toEqual([...seqs].sort((a, b) => (a < b ? -1 : 1)));
    expect(queued[0]!.d.messageGroupId).toBe("g");
    const dup = await sns.send(new PublishCommand({ TopicArn: t, Message: "again", MessageGroupId: "g", MessageDeduplicationId: "d0" }));
    expect(dup.MessageId).toBe(results[0]!.MessageId);
    expect(queued).toHaveLength(10);
    n.clock.advance(301);
    await sns.send(new PublishCommand({ TopicArn: t, Message: "after window", MessageGroupId: "g", MessageDeduplicationId: "d0" }));
    expect(queued).toHaveLength(11);
  });

  it("PublishBatch: 10 entries at most, distinct ids, per-entry failures", async () => {
    const t = (await sns.send(new CreateTopicCommand({ Name: "batch" }))).TopicArn!;
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: QUEUE }));
    queued.length = 0;
    const r = await sns.send(
      new PublishBatchCommand({
        TopicArn: t,
        PublishBatchRequestEntries: [
          { Id: "a", Message: "one" },
          { Id: "b", Message: "" },
          { Id: "c", Message: "three", Subject: "S" },
        ],
      }),
    );
    expect(r.Successful?.map((s) => s.Id)).toEqual(["a", "c"]);
    expect(r.Failed).toEqual([{ Id: "b", Code: "InvalidParameter", Message: "Invalid parameter: Empty message", SenderFault: true }]);
    expect(queued).toHaveLength(2);
    await expect(sns.send(new PublishBatchCommand({ TopicArn: t, PublishBatchRequestEntries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, Message: "m" })) }))).rejects.toMatchObject({
      name: "TooManyEntriesInBatchRequestException",
    });
    await expect(
      sns.send(
        new PublishBatchCommand({
          TopicArn: t,
          PublishBatchRequestEntries: [
            { Id: "x", Message: "m" },
            { Id: "x", Message: "m" },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: "BatchEntryIdsNotDistinctException" });
  });
});

describe("HTTP endpoints", () => {
  let server: Server;
  let url = "";
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  let failNext = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        if (failNext > 0) {
          failNext--;
          res.statusCode = 503;
        }
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function waitFor(count: number): Promise<void> {
    for (let i = 0; i < 200 && received.length < count; i++) await new Promise((r) => setTimeout(r, 10));
    expect(received.length).toBeGreaterThanOrEqual(count);
  }

  it("confirms through the SubscribeURL, delivers signed notifications with AWS's headers, and retries on the clock", async () => {
    const t = (await sns.send(new CreateTopicCommand({ Name: "webhooks", Attributes: { SignatureVersion: "2" } }))).TopicArn!;
    const s = await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "http", Endpoint: url }));
    expect(s.SubscriptionArn).toBe("pending confirmation");
    await waitFor(1);
    const conf = JSON.parse(received[0]!.body) as Record<string, string>;
    expect(received[0]!.headers["x-amz-sns-message-type"]).toBe("SubscriptionConfirmation");
    expect(conf).toMatchObject({ Type: "SubscriptionConfirmation", TopicArn: t, SignatureVersion: "2" });
    const cert = new X509Certificate(await (await fetch(conf.SigningCertURL!)).text());
    const toSign = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"].map((k) => `${k}\n${conf[k]}\n`).join("");
    expect(createVerify("RSA-SHA256").update(toSign).verify(cert.publicKey, conf.Signature!, "base64")).toBe(true);
    expect((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: t }))).Subscriptions![0]!.SubscriptionArn).toBe("PendingConfirmation");
    await expect(sns.send(new ConfirmSubscriptionCommand({ TopicArn: t, Token: "bogus" }))).rejects.toMatchObject({ name: "InvalidParameterException", message: "Invalid token" });
    const confirmRes = await fetch(conf.SubscribeURL!);
    expect(confirmRes.status).toBe(200);
    expect(await confirmRes.text()).toContain("<SubscriptionArn>");
    const subArn = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: t }))).Subscriptions![0]!.SubscriptionArn!;
    expect(subArn).toMatch(/^arn:aws:sns:/);
    expect((await sns.send(new ConfirmSubscriptionCommand({ TopicArn: t, Token: conf.Token! }))).SubscriptionArn).toBe(subArn);

    await sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn: subArn,
        AttributeName: "DeliveryPolicy",
        AttributeValue: JSON.stringify({ healthyRetryPolicy: { numRetries: 2, minDelayTarget: 30, maxDelayTarget: 30, numNoDelayRetries: 0, numMinDelayRetries: 0, numMaxDelayRetries: 0, backoffFunction: "linear" } }),
      }),
    );
    received.length = 0;
    failNext = 1;
    const p = await sns.send(new PublishCommand({ TopicArn: t, Message: "payload" }));
    await waitFor(1);
    expect(received[0]!.headers).toMatchObject({
      "x-amz-sns-message-type": "Notification",
      "x-amz-sns-message-id": p.MessageId,
      "x-amz-sns-topic-arn": t,
      "x-amz-sns-subscription-arn": subArn,
      "content-type": "text/plain; charset=UTF-8",
      "user-agent": "Amazon Simple Notification Service Agent",
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toHaveLength(1);
    n.clock.advance(31);
    await waitFor(2);
    expect(JSON.parse(received[1]!.body).Message).toBe("payload");
    await sns.send(new DeleteTopicCommand({ TopicArn: t }));
  });
});

describe("binary attributes and the UnsubscribeURL", () => {
  it("carries Binary attributes raw and base64 in the envelope; the UnsubscribeURL removes the subscription", async () => {
    const t = (await sns.send(new CreateTopicCommand({ Name: "binary" }))).TopicArn!;
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: QUEUE }));
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: QUEUE + "-raw", Attributes: { RawMessageDelivery: "true" } }));
    queued.length = 0;
    await sns.send(
      new PublishCommand({
        TopicArn: t,
        Message: "bin",
        MessageAttributes: { blob: { DataType: "Binary", BinaryValue: Buffer.from([1, 2, 3]) }, list: { DataType: "String.Array", StringValue: '["a",1,true]' } },
      }),
    );
    const env = JSON.parse(queued.find((q) => q.arn === QUEUE)!.d.body);
    expect(env.MessageAttributes).toEqual({ blob: { Type: "Binary", Value: "AQID" }, list: { Type: "String.Array", Value: '["a",1,true]' } });
    const raw = queued.find((q) => q.arn === QUEUE + "-raw")!.d.attributes!;
    expect(Buffer.from(raw.blob!.BinaryValue!)).toEqual(Buffer.from([1, 2, 3]));
    await expect(sns.send(new PublishCommand({ TopicArn: t, Message: "x", MessageAttributes: { list: { DataType: "String.Array", StringValue: "[{}]" } } }))).rejects.toMatchObject({
      name: "InvalidParameterValueException",
    });
    const res = await fetch(env.UnsubscribeURL);
    expect(res.status).toBe(200);
    expect((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: t }))).Subscriptions!.map((s) => s.Endpoint)).toEqual([QUEUE + "-raw"]);
  });
});

describe("email and SMS", () => {
  it("email subscriptions confirm through the link in the SES mailbox and receive notifications there", async () => {
    const t = (await sns.send(new CreateTopicCommand({ Name: "mail", Attributes: { DisplayName: "Mailer" } }))).TopicArn!;
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "email", Endpoint: "user@example.com" }));
    const box = async () => (await (await fetch(`${n.endpoint}/_nimbus/ses/messages?recipient=user@example.com`)).json()) as { subject: string; text: string; from: string }[];
    const confirmMail = (await box())[0]!;
    expect(confirmMail.subject).toBe("AWS Notification - Subscription Confirmation");
    const link = /(http:\/\/\S+\/_nimbus\/sns\/confirm\?\S+)/.exec(confirmMail.text)![1]!;
    expect((await fetch(link)).status).toBe(200);
    await sns.send(new PublishCommand({ TopicArn: t, Message: "your order shipped", Subject: "Shipped" }));
    const note = (await box()).find((m) => m.subject === "Shipped")!;
    expect(note.text).toContain("your order shipped");
    expect(note.from).toContain("no-reply@sns.amazonaws.com");
  });

  it("drops subscriptions left unconfirmed for 3 days", async () => {
    const t = (await sns.send(new CreateTopicCommand({ Name: "unconfirmed" }))).TopicArn!;
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "email", Endpoint: "late@example.com" }));
    expect((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: t }))).Subscriptions).toHaveLength(1);
    n.clock.advance(3 * 86_400 + 60);
    let left = 1;
    for (let i = 0; i < 50 && left > 0; i++) {
      left = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: t }))).Subscriptions!.length;
      if (left > 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(left).toBe(0);
  });

  it("records SMS to subscriptions and direct publishes", async () => {
    const t = (await sns.send(new CreateTopicCommand({ Name: "texts", Attributes: { DisplayName: "Shop" } }))).TopicArn!;
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sms", Endpoint: "+15555550100" }));
    await sns.send(new PublishCommand({ TopicArn: t, Message: "code 1234" }));
    await sns.send(new PublishCommand({ PhoneNumber: "+15555550199", Message: "direct" }));
    await expect(sns.send(new PublishCommand({ PhoneNumber: "12", Message: "x" }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    const sms = (await (await fetch(`${n.endpoint}/_nimbus/sns/sms`)).json()) as { phoneNumber: string; message: string; senderId?: string }[];
    expect(sms.map((m) => [m.phoneNumber, m.message])).toEqual([
      ["+15555550100", "code 1234"],
      ["+15555550199", "direct"],
    ]);
    expect(sms[0]!.senderId).toBe("Shop");
  });
});

describe("the sns bus target", () => {
  it("publishes for services the topic policy allows, and refuses the others", async () => {
    const t = (await sns.send(new CreateTopicCommand({ Name: "from-s3" }))).TopicArn!;
    await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: "sqs", Endpoint: QUEUE }));
    const s3sender = { servicePrincipal: "s3.amazonaws.com", account: "000000000000", sourceArn: "arn:aws:s3:::uploads" };
    await expect(n.bus.deliver(t, { body: "{}", sender: s3sender })).rejects.toThrow(/AuthorizationError/);
    await sns.send(
      new SetTopicAttributesCommand({
        TopicArn: t,
        AttributeName: "Policy",
        AttributeValue: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "SNS:Publish", Resource: t, Condition: { ArnLike: { "aws:SourceArn": "arn:aws:s3:::uploads" } } }],
        }),
      }),
    );
    queued.length = 0;
    const r = await n.bus.deliver(t, { body: '{"Records":[]}', subject: "Amazon S3 Notification", sender: s3sender });
    expect(r.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(queued[0]!.d.body)).toMatchObject({ Message: '{"Records":[]}', Subject: "Amazon S3 Notification" });
    await expect(n.bus.deliver(t, { body: "{}", sender: { ...s3sender, sourceArn: "arn:aws:s3:::other" } })).rejects.toThrow(/AuthorizationError/);
  });
});

describe("other clients", () => {
  it("AWS CLI and boto3", async () => {
    const c = await awsCli(n, ["sns", "create-topic", "--name", "cli-topic"]);
    expect(c.code, c.stderr).toBe(0);
    const arn = JSON.parse(c.stdout).TopicArn as string;
    const s = await awsCli(n, ["sns", "subscribe", "--topic-arn", arn, "--protocol", "sqs", "--notification-endpoint", QUEUE, "--attributes", '{"RawMessageDelivery":"true"}']);
    expect(s.code, s.stderr).toBe(0);
    queued.length = 0;
    const p = await awsCli(n, ["sns", "publish", "--topic-arn", arn, "--message", "from cli", "--message-attributes", '{"k":{"DataType":"String","StringValue":"v"}}']);
    expect(p.code, p.stderr).toBe(0);
    expect(queued.map((q) => q.d.body)).toEqual(["from cli"]);
    const bad = await awsCli(n, ["sns", "get-topic-attributes", "--topic-arn", topicArn("absent")]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("NotFound");
    const b = await boto3(
      n,
      [
        "c = client('sns')",
        `t = c.create_topic(Name='boto-topic', Attributes={'DisplayName': 'B'})['TopicArn']`,
        `c.subscribe(TopicArn=t, Protocol='sqs', Endpoint=${JSON.stringify(QUEUE)})`,
        "r = c.publish_batch(TopicArn=t, PublishBatchRequestEntries=[{'Id': '1', 'Message': 'x'}, {'Id': '2', 'Message': 'y'}])",
        "a = c.get_topic_attributes(TopicArn=t)['Attributes']",
        "print(json.dumps({'ok': len(r['Successful']), 'name': a['DisplayName'], 'subs': a['SubscriptionsConfirmed']}))",
      ].join("\n"),
    );
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout)).toEqual({ ok: 2, name: "B", subs: "1" });
  });
});
