/** SQS: queues, messages, FIFO, dead-letter queues, policies and deliveries, through SDK v3, the AWS CLI and boto3. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, createHmac } from "node:crypto";
import {
  AddPermissionCommand,
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  TagQueueCommand,
  UntagQueueCommand,
} from "@aws-sdk/client-sqs";
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreatePolicyCommand, CreateUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let sqs: SQSClient;
const ACCOUNT = "000000000000";

beforeAll(async () => {
  n = await startTestNimbus();
  sqs = new SQSClient(sdkConfig(n));
});
afterAll(async () => {
  await n.stop();
});

async function queue(name: string, attributes?: Record<string, string>): Promise<string> {
  return (await sqs.send(new CreateQueueCommand({ QueueName: name, ...(attributes ? { Attributes: attributes } : {}) }))).QueueUrl!;
}

async function attrs(url: string, names: string[] = ["All"]): Promise<Record<string, string>> {
  return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names as never }))).Attributes ?? {};
}

describe("queues", () => {
  it("creates with attributes, answers URLs and ARNs, validates like AWS", async () => {
    const url = await queue("orders", { VisibilityTimeout: "45", DelaySeconds: "0" });
    expect(url).toBe(`${n.endpoint}/${ACCOUNT}/orders`);
    // Same attributes: idempotent; different: QueueNameExists.
    expect(await queue("orders", { VisibilityTimeout: "45" })).toBe(url);
    await expect(queue("orders", { VisibilityTimeout: "50" })).rejects.toMatchObject({
      name: "QueueNameExists",
      Code: "QueueAlreadyExists",
      message: "A queue already exists with the same name and a different value for attribute VisibilityTimeout",
    });
    await expect(queue("bad name")).rejects.toMatchObject({ Code: "InvalidParameterValue", $metadata: { httpStatusCode: 400 } });
    await expect(queue("x", { VisibilityTimeout: "43201" })).rejects.toMatchObject({
      name: "InvalidAttributeValue",
      message: "Invalid value for the parameter VisibilityTimeout.",
    });
    await expect(queue("x", { Nope: "1" })).rejects.toMatchObject({ name: "InvalidAttributeName", message: "Unknown Attribute Nope." });
    await expect(queue("x", { ContentBasedDeduplication: "true" })).rejects.toMatchObject({ name: "InvalidAttributeName" });
    await expect(queue("x.fifo")).rejects.toMatchObject({ Code: "InvalidParameterValue" });
    const a = await attrs(url);
    expect(a).toMatchObject({
      QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:orders`,
      VisibilityTimeout: "45",
      MaximumMessageSize: "262144",
      MessageRetentionPeriod: "345600",
      DelaySeconds: "0",
      ReceiveMessageWaitTimeSeconds: "0",
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
      ApproximateNumberOfMessagesDelayed: "0",
      SqsManagedSseEnabled: "true",
    });
    expect(a.FifoQueue).toBeUndefined();
    expect(await attrs(url, ["VisibilityTimeout"])).toEqual({ VisibilityTimeout: "45" });
    await expect(attrs(url, ["Bogus"])).rejects.toMatchObject({ name: "InvalidAttributeName", message: "Unknown Attribute Bogus." });
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: "10", MaximumMessageSize: "2048" } }));
    expect(await attrs(url, ["VisibilityTimeout", "MaximumMessageSize"])).toEqual({ VisibilityTimeout: "10", MaximumMessageSize: "2048" });
    await expect(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { MaximumMessageSize: "100" } }))).rejects.toMatchObject({
      name: "InvalidAttributeValue",
    });
    // Nothing half-written after a failed SetQueueAttributes.
    expect(await attrs(url, ["MaximumMessageSize"])).toEqual({ MaximumMessageSize: "2048" });
  });

  it("FIFO queues show their attributes", async () => {
    const url = await queue("jobs.fifo", { FifoQueue: "true", ContentBasedDeduplication: "true" });
    expect(await attrs(url)).toMatchObject({ FifoQueue: "true", ContentBasedDeduplication: "true", DeduplicationScope: "queue", FifoThroughputLimit: "perQueue" });
    await expect(queue("y.fifo", { FifoQueue: "true", DeduplicationScope: "queue", FifoThroughputLimit: "perMessageGroupId" })).rejects.toMatchObject({
      name: "InvalidAttributeValue",
    });
  });

  it("GetQueueUrl, ListQueues with prefix and paging, tags", async () => {
    for (const name of ["list-a", "list-b", "list-c"]) await queue(name);
    const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: "list-b" }))).QueueUrl!;
    expect(url).toBe(`${n.endpoint}/${ACCOUNT}/list-b`);
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: "list-b", QueueOwnerAWSAccountId: ACCOUNT }))).QueueUrl).toBe(url);
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: "nope" }))).rejects.toMatchObject({
      name: "QueueDoesNotExist",
      Code: "AWS.SimpleQueueService.NonExistentQueue",
      message: "The specified queue does not exist.",
      $metadata: { httpStatusCode: 400 },
    });
    const p1 = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "list-", MaxResults: 2 }));
    expect(p1.QueueUrls).toEqual([`${n.endpoint}/${ACCOUNT}/list-a`, `${n.endpoint}/${ACCOUNT}/list-b`]);
    const p2 = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "list-", MaxResults: 2, NextToken: p1.NextToken! }));
    expect(p2.QueueUrls).toEqual([`${n.endpoint}/${ACCOUNT}/list-c`]);
    expect(p2.NextToken).toBeUndefined();
    expect((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "zzz" }))).QueueUrls).toBeUndefined();

    await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { team: "a", env: "dev" } }));
    await sqs.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ["env"] }));
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({ team: "a" });
    const tagged = (await sqs.send(new CreateQueueCommand({ QueueName: "tagged", tags: { k: "v" } }))).QueueUrl!;
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl: tagged }))).Tags).toEqual({ k: "v" });
  });

  it("PurgeQueue once per 60 s and DeleteQueue blocks the name for 60 s (on the clock)", async () => {
    const url = await queue("purge-me");
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x" }));
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect((await attrs(url, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages).toBe("0");
    await expect(sqs.send(new PurgeQueueCommand({ QueueUrl: url }))).rejects.toMatchObject({
      name: "PurgeQueueInProgress",
      Code: "AWS.SimpleQueueService.PurgeQueueInProgress",
      message: "Only one PurgeQueue operation on purge-me is allowed every 60 seconds.",
      $metadata: { httpStatusCode: 403 },
    });
    n.clock.advance(61);
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));

    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x" }))).rejects.toMatchObject({ name: "QueueDoesNotExist" });
    await expect(queue("purge-me")).rejects.toMatchObject({
      name: "QueueDeletedRecently",
      Code: "AWS.SimpleQueueService.QueueDeletedRecently",
      message: "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
    });
    n.clock.advance(61);
    expect(await queue("purge-me")).toBe(url);
  });
});

describe("messages", () => {
  it("sends with attributes and AWS's MD5s, receives with system attributes, deletes", async () => {
    const url = await queue("msgs");
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "hello",
        MessageAttributes: {
          color: { DataType: "String", StringValue: "blue" },
          size: { DataType: "Number", StringValue: "3" },
          "img.w": { DataType: "Number.int", StringValue: "640" },
          blob: { DataType: "Binary", BinaryValue: Buffer.from([1, 2, 3]) },
        },
        MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: "Root=1-5759e988-bd862e3fe1be46a994272793" } },
      }),
    );
    // The SDK itself checks MD5OfMessageBody and MD5OfMessageAttributes (md5 middleware); check the body one too.
    expect(sent.MD5OfMessageBody).toBe(createHash("md5").update("hello").digest("hex"));
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(sent.MD5OfMessageSystemAttributes).toMatch(/^[0-9a-f]{32}$/);
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ["img.*", "size"], MessageSystemAttributeNames: ["All"], MaxNumberOfMessages: 10 }),
    );
    expect(r.Messages).toHaveLength(1);
    const m = r.Messages![0]!;
    expect(m).toMatchObject({ MessageId: sent.MessageId, Body: "hello", MD5OfBody: sent.MD5OfMessageBody });
    expect(Object.keys(m.MessageAttributes ?? {}).sort()).toEqual(["img.w", "size"]);
    expect(m.Attributes).toMatchObject({ SenderId: ACCOUNT, ApproximateReceiveCount: "1", AWSTraceHeader: "Root=1-5759e988-bd862e3fe1be46a994272793" });
    expect(Number(m.Attributes!.SentTimestamp)).toBeGreaterThan(0);
    expect(await attrs(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).toEqual({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "1",
    });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
    expect((await attrs(url, ["ApproximateNumberOfMessagesNotVisible"])).ApproximateNumberOfMessagesNotVisible).toBe("0");
    await expect(sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: "not-a-handle" }))).rejects.toMatchObject({
      name: "ReceiptHandleIsInvalid",
      message: 'The input receipt handle "not-a-handle" is not a valid receipt handle.',
    });
  });

  it("rejects bad bodies as AWS does", async () => {
    const url = await queue("bad-bodies", { MaximumMessageSize: "1024" });
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "a\u0000b" }))).rejects.toMatchObject({
      name: "InvalidMessageContents",
      message: expect.stringContaining("Invalid characters found."),
    });
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x".repeat(1025) }))).rejects.toMatchObject({
      Code: "InvalidParameterValue",
      message: "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.",
    });
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", DelaySeconds: 901 }))).rejects.toMatchObject({ Code: "InvalidParameterValue" });
    expect((await attrs(url, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages).toBe("0");
  });

  it("delays and visibility timeouts follow the injected clock; counts are exact", async () => {
    const url = await queue("timing", { VisibilityTimeout: "30" });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "later", DelaySeconds: 10 }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "now" }));
    expect(await attrs(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"])).toEqual({
      ApproximateNumberOfMessages: "1",
      ApproximateNumberOfMessagesDelayed: "1",
    });
    const r1 = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(r1.Messages?.map((m) => m.Body)).toEqual(["now"]);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages).toBeUndefined();
    n.clock.advance(11);
    const r2 = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }));
    expect(r2.Messages?.map((m) => m.Body)).toEqual(["later"]);
    n.clock.advance(20);
    const r3 = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }));
    expect(r3.Messages?.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([["now", "2"]]);
    // The first handle of "now" is stale: changing visibility with it fails; the new one works.
    await expect(
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: r1.Messages![0]!.ReceiptHandle!, VisibilityTimeout: 5 })),
    ).rejects.toMatchObject({ Code: "InvalidParameterValue" });
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: r3.Messages![0]!.ReceiptHandle!, VisibilityTimeout: 0 }));
    const r4 = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 100 }));
    expect(r4.Messages?.map((m) => m.Body)).toEqual(["now"]);
    n.clock.advance(101);
    await expect(
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: r4.Messages![0]!.ReceiptHandle!, VisibilityTimeout: 5 })),
    ).rejects.toMatchObject({ name: "MessageNotInflight", Code: "AWS.SimpleQueueService.MessageNotInflight" });
  });

  it("long polling returns as soon as a message is sent", async () => {
    const url = await queue("long-poll");
    const started = Date.now();
    const pending = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await new Promise((r) => setTimeout(r, 100));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "wake" }));
    const r = await pending;
    expect(r.Messages?.[0]?.Body).toBe("wake");
    console.log(`long poll returned ${Date.now() - started - 100} ms after the send (reported, not asserted)`);
    // An empty long poll ends when the clock passes its deadline.
    const empty = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
    await new Promise((r) => setTimeout(r, 50));
    n.clock.advance(6);
    expect((await empty).Messages).toBeUndefined();
  });

  it("batches: 10 entries, per-entry failures, AWS's batch errors", async () => {
    const url = await queue("batch", { MaximumMessageSize: "1024" });
    const res = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "a", MessageBody: "one" },
          { Id: "b", MessageBody: "x".repeat(2000) },
          { Id: "c", MessageBody: "three", DelaySeconds: 0 },
        ],
      }),
    );
    expect(res.Successful?.map((s) => s.Id).sort()).toEqual(["a", "c"]);
    expect(res.Failed).toEqual([
      { Id: "b", SenderFault: true, Code: "InvalidParameterValue", Message: "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes." },
    ]);
    await expect(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: "x" })) })),
    ).rejects.toMatchObject({ name: "TooManyEntriesInBatchRequest", message: "Maximum number of entries per request are 10. You have sent 11." });
    await expect(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "d", MessageBody: "x" }, { Id: "d", MessageBody: "y" }] })),
    ).rejects.toMatchObject({ name: "BatchEntryIdsNotDistinct", message: "Id d repeated." });
    await expect(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "bad id!", MessageBody: "x" }] }))).rejects.toMatchObject({
      name: "InvalidBatchEntryId",
    });
    await expect(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [] }))).rejects.toMatchObject({ name: "EmptyBatchRequest" });
    await expect(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 2 }, (_, i) => ({ Id: `m${i}`, MessageBody: "x".repeat(150_000) })) })),
    ).rejects.toMatchObject({ name: "BatchRequestTooLong" });

    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(r.Messages).toHaveLength(2);
    const cv = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "x", ReceiptHandle: r.Messages![0]!.ReceiptHandle!, VisibilityTimeout: 60 },
          { Id: "y", ReceiptHandle: "junk", VisibilityTimeout: 60 },
        ],
      }),
    );
    expect(cv.Successful).toEqual([{ Id: "x" }]);
    expect(cv.Failed?.[0]).toMatchObject({ Id: "y", Code: "ReceiptHandleIsInvalid", SenderFault: true });
    const del = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          ...r.Messages!.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })),
          { Id: "bad", ReceiptHandle: "junk" },
        ],
      }),
    );
    expect(del.Successful?.map((s) => s.Id)).toEqual(["d0", "d1"]);
    expect(del.Failed?.map((f) => [f.Id, f.Code])).toEqual([["bad", "ReceiptHandleIsInvalid"]]);
    expect(await attrs(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).toEqual({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    });
  });
});

describe("FIFO", () => {
  it("keeps order per group, blocks a group while in flight, deduplicates for 5 minutes", async () => {
    const url = await queue("order.fifo", { FifoQueue: "true" });
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x" }))).rejects.toMatchObject({
      Code: "MissingParameter",
      message: "The request must contain the parameter MessageGroupId.",
    });
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageGroupId: "g" }))).rejects.toMatchObject({
      Code: "InvalidParameterValue",
      message: "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
    });
    const seqs: string[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `a${i}`, MessageGroupId: "A", MessageDeduplicationId: `a${i}` }));
      seqs.push(s.SequenceNumber!);
    }
    expect([...seqs].sort()).toEqual(seqs);
    const dup = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "a0-again", MessageGroupId: "A", MessageDeduplicationId: "a0" }));
    expect(dup.SequenceNumber).toBe(seqs[0]);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "b0", MessageGroupId: "B", MessageDeduplicationId: "b0" }));
    expect((await attrs(url, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages).toBe("5");

    const r1 = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 2, MessageSystemAttributeNames: ["MessageGroupId", "SequenceNumber"] }));
    expect(r1.Messages?.map((m) => m.Body)).toEqual(["a0", "a1"]);
    expect(r1.Messages?.[0]?.Attributes).toMatchObject({ MessageGroupId: "A", SequenceNumber: seqs[0] });
    // Group A is blocked while a0/a1 are in flight: only B is receivable.
    const r2 = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(r2.Messages?.map((m) => m.Body)).toEqual(["b0"]);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages).toBeUndefined();
    for (const m of r1.Messages!) await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
    const r3 = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, ReceiveRequestAttemptId: "try-1" }));
    expect(r3.Messages?.map((m) => m.Body)).toEqual(["a2", "a3"]);
    // A retried receive with the same attempt id returns the same messages and handles.
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, ReceiveRequestAttemptId: "try-1" }));
    expect(again.Messages?.map((m) => m.ReceiptHandle)).toEqual(r3.Messages?.map((m) => m.ReceiptHandle));

    // After the 5-minute window the same id is a new message.
    n.clock.advance(301);
    const fresh = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "a0", MessageGroupId: "C", MessageDeduplicationId: "a0" }));
    expect(fresh.SequenceNumber! > seqs[3]!).toBe(true);
  });

  it("content-based deduplication (SHA-256 of the body) and messageGroup scope", async () => {
    const url = await queue("cbd.fifo", { FifoQueue: "true", ContentBasedDeduplication: "true", DeduplicationScope: "messageGroup", FifoThroughputLimit: "perMessageGroupId" });
    const a = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "same", MessageGroupId: "g1" }));
    const b = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "same", MessageGroupId: "g1" }));
    const c = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "same", MessageGroupId: "g2" }));
    expect(b.MessageId).toBe(a.MessageId);
    expect(c.MessageId).not.toBe(a.MessageId);
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["MessageDeduplicationId"] }));
    expect(r.Messages).toHaveLength(2);
    expect(r.Messages![0]!.Attributes!.MessageDeduplicationId).toBe(createHash("sha256").update("same").digest("hex"));
  });
});

describe("dead-letter queues", () => {
  it("moves messages after maxReceiveCount and redrives them back with a move task", async () => {
    const dlq = await queue("dlq");
    const dlqArn = (await attrs(dlq, ["QueueArn"])).QueueArn!;
    const src = await queue("with-dlq", { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }), VisibilityTimeout: "5" });
    const srcArn = (await attrs(src, ["QueueArn"])).QueueArn!;
    await expect(
      queue("bad-dlq", { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn }) }),
    ).rejects.toMatchObject({ name: "InvalidAttributeValue" });
    expect((await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }))).queueUrls).toEqual([src]);
    await sqs.send(new SendMessageCommand({ QueueUrl: src, MessageBody: "poison" }));
    for (let i = 0; i < 2; i++) {
      expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: src }))).Messages).toHaveLength(1);
      n.clock.advance(6);
    }
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: src }))).Messages).toBeUndefined();
    const inDlq = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, MessageSystemAttributeNames: ["DeadLetterQueueSourceArn"], VisibilityTimeout: 0 }));
    expect(inDlq.Messages?.[0]).toMatchObject({ Body: "poison", Attributes: { DeadLetterQueueSourceArn: srcArn } });

    const task = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    expect(task.TaskHandle).toBeTruthy();
    const list = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
    expect(list.Results?.[0]).toMatchObject({ Status: "COMPLETED", SourceArn: dlqArn, ApproximateNumberOfMessagesMoved: 1 });
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: src }))).Messages?.[0]?.Body).toBe("poison");
    await expect(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: srcArn }))).rejects.toMatchObject({
      Code: "InvalidParameterValue",
      message: "Source queue must be configured as a Dead Letter Queue.",
    });
  });

  it("RedriveAllowPolicy decides which queues may use a dead-letter queue", async () => {
    const dlq = await queue("closed-dlq", { RedriveAllowPolicy: JSON.stringify({ redrivePermission: "denyAll" }) });
    const dlqArn = (await attrs(dlq, ["QueueArn"])).QueueArn!;
    await expect(queue("src-denied", { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) })).rejects.toMatchObject({
      Code: "InvalidParameterValue",
    });
  });
});

describe("policies and deliveries", () => {
  it("cross-account callers need the queue policy; AddPermission grants it", async () => {
    const url = await queue("shared");
    const res = await fetch(`${n.endpoint}/_nimbus/accounts`, { method: "POST", body: JSON.stringify({ email: "b@example.com", name: "b" }) });
    const other = (await res.json()) as { accountId?: string; id?: string; accessKeyId: string; secretAccessKey: string };
    const otherId = other.accountId ?? other.id!;
    const b = new SQSClient({ ...sdkConfig(n), credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey } });
    await expect(b.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "from b" }))).rejects.toMatchObject({ Code: "AccessDenied" });
    await expect(b.send(new GetQueueUrlCommand({ QueueName: "shared", QueueOwnerAWSAccountId: ACCOUNT }))).rejects.toMatchObject({ Code: "AccessDenied" });
    await sqs.send(new AddPermissionCommand({ QueueUrl: url, Label: "b-send", AWSAccountIds: [otherId], Actions: ["SendMessage", "GetQueueUrl"] }));
    await b.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "from b" }));
    expect((await b.send(new GetQueueUrlCommand({ QueueName: "shared", QueueOwnerAWSAccountId: ACCOUNT }))).QueueUrl).toBe(url);
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ["SenderId"] }));
    expect(r.Messages?.[0]).toMatchObject({ Body: "from b" });
    expect(JSON.parse((await attrs(url, ["Policy"])).Policy!).Statement[0]).toMatchObject({ Sid: "b-send", Effect: "Allow" });
  });

  it("S3 event notifications arrive through the bus when the queue policy allows s3.amazonaws.com", async () => {
    const url = await queue("s3-events");
    const arn = (await attrs(url, ["QueueArn"])).QueueArn!;
    const s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "uploads" }));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: "uploads",
        NotificationConfiguration: { QueueConfigurations: [{ QueueArn: arn, Events: ["s3:ObjectCreated:*"] }] },
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: "uploads", Key: "denied.txt", Body: "x" }));
    await new Promise((r) => setTimeout(r, 200));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();

    const policy = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "s3.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: arn,
          Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:s3:::uploads" } },
        },
      ],
    };
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: JSON.stringify(policy) } }));
    await s3.send(new PutObjectCommand({ Bucket: "uploads", Key: "video.mp4", Body: "data" }));
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
    const event = JSON.parse(r.Messages![0]!.Body!) as { Records: { eventName: string; s3: { object: { key: string } } }[] };
    expect(event.Records[0]).toMatchObject({ eventName: "ObjectCreated:Put", s3: { object: { key: "video.mp4" } } });
  });
});

describe("service deliveries and IAM users", () => {
  it("the bus delivers to a FIFO queue as SNS does (policy on sns.amazonaws.com, group, dedup id, attributes)", async () => {
    const url = await queue("from-topic.fifo", { FifoQueue: "true" });
    const arn = (await attrs(url, ["QueueArn"])).QueueArn!;
    const topicArn = `arn:aws:sns:us-east-1:${ACCOUNT}:events.fifo`;
    const delivery = {
      body: "order placed",
      attributes: { kind: { DataType: "String", StringValue: "order" } },
      messageGroupId: "customer-1",
      messageDeduplicationId: "evt-1",
      sender: { servicePrincipal: "sns.amazonaws.com", account: ACCOUNT, sourceArn: topicArn },
    };
    await expect(n.bus.deliver(arn, delivery)).rejects.toMatchObject({ code: "AccessDeniedException" });
    const policy = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: arn, Condition: { ArnEquals: { "aws:SourceArn": topicArn } } }],
    };
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: JSON.stringify(policy) } }));
    const first = await n.bus.deliver(arn, delivery);
    const again = await n.bus.deliver(arn, delivery);
    expect(again.messageId).toBe(first.messageId);
    await expect(n.bus.deliver(arn, { ...delivery, sender: { ...delivery.sender, sourceArn: `arn:aws:sns:us-east-1:${ACCOUNT}:other.fifo` } })).rejects.toMatchObject({
      code: "AccessDeniedException",
    });
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"] }));
    expect(r.Messages).toHaveLength(1);
    expect(r.Messages![0]).toMatchObject({
      MessageId: first.messageId,
      Body: "order placed",
      MessageAttributes: { kind: { DataType: "String", StringValue: "order" } },
      Attributes: { MessageGroupId: "customer-1", MessageDeduplicationId: "evt-1", SenderId: "sns.amazonaws.com" },
    });
    await expect(n.bus.deliver(`arn:aws:sqs:us-east-1:${ACCOUNT}:missing`, delivery)).rejects.toMatchObject({ code: "QueueDoesNotExist" });
  });

  it("IAM users need sqs:SendMessage for SendMessageBatch and are denied what their policy leaves out", async () => {
    const url = await queue("iam-q");
    const arn = (await attrs(url, ["QueueArn"])).QueueArn!;
    const iam = new IAMClient(sdkConfig(n));
    await iam.send(new CreateUserCommand({ UserName: "producer" }));
    const policy = await iam.send(
      new CreatePolicyCommand({
        PolicyName: "send-only",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["sqs:SendMessage", "sqs:GetQueueUrl"], Resource: arn }] }),
      }),
    );
    await iam.send(new AttachUserPolicyCommand({ UserName: "producer", PolicyArn: policy.Policy!.Arn! }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "producer" }))).AccessKey!;
    const producer = new SQSClient({ ...sdkConfig(n), credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } });
    expect((await producer.send(new GetQueueUrlCommand({ QueueName: "iam-q" }))).QueueUrl).toBe(url);
    await producer.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "a", MessageBody: "by user" }] }));
    await expect(producer.send(new ReceiveMessageCommand({ QueueUrl: url }))).rejects.toMatchObject({
      Code: "AccessDenied",
      message: expect.stringContaining("is not authorized to perform: sqs:ReceiveMessage on resource: " + arn),
    });
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ["SenderId"] }));
    expect(r.Messages?.[0]?.Attributes?.SenderId).toMatch(/^AIDA/);
  });
});

describe("other clients", () => {
  it("AWS CLI: create, send, receive, delete, errors", async () => {
    const created = await awsCli(n, ["sqs", "create-queue", "--queue-name", "cli-q", "--attributes", "VisibilityTimeout=60"]);
    expect(created.code).toBe(0);
    const url = (JSON.parse(created.stdout) as { QueueUrl: string }).QueueUrl;
    expect(url).toBe(`${n.endpoint}/${ACCOUNT}/cli-q`);
    expect((await awsCli(n, ["sqs", "send-message", "--queue-url", url, "--message-body", "from cli"])).code).toBe(0);
    const recv = await awsCli(n, ["sqs", "receive-message", "--queue-url", url, "--attribute-names", "All", "--message-attribute-names", "All"]);
    const m = (JSON.parse(recv.stdout) as { Messages: { Body: string; ReceiptHandle: string }[] }).Messages[0]!;
    expect(m.Body).toBe("from cli");
    expect((await awsCli(n, ["sqs", "delete-message", "--queue-url", url, "--receipt-handle", m.ReceiptHandle])).code).toBe(0);
    const missing = await awsCli(n, ["sqs", "get-queue-url", "--queue-name", "nope"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("AWS.SimpleQueueService.NonExistentQueue");
  });

  it("boto3: batches, attributes and error codes", async () => {
    const r = await boto3(
      n,
      [
        "c = client('sqs')",
        "url = c.create_queue(QueueName='py.fifo', Attributes={'FifoQueue': 'true', 'ContentBasedDeduplication': 'true'})['QueueUrl']",
        "res = c.send_message_batch(QueueUrl=url, Entries=[{'Id': str(i), 'MessageBody': 'm%d' % i, 'MessageGroupId': 'g', 'MessageAttributes': {'n': {'DataType': 'Number', 'StringValue': str(i)}}} for i in range(3)])",
        "msgs = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=['All'])['Messages']",
        "try:",
        "    c.purge_queue(QueueUrl=url); c.purge_queue(QueueUrl=url)",
        "except botocore.exceptions.ClientError as e:",
        "    err = e.response['Error']['Code']",
        "print(json.dumps({'ok': len(res['Successful']), 'bodies': [m['Body'] for m in msgs], 'n': msgs[0]['MessageAttributes']['n']['StringValue'], 'err': err}))",
      ].join("\n"),
    );
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ ok: 3, bodies: ["m0", "m1", "m2"], n: "0", err: "AWS.SimpleQueueService.PurgeQueueInProgress" });
  });
});

/** SigV4 hashing for @smithy/signature-v4 from node:crypto. */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const toBytes = (d: SourceData): string | Uint8Array =>
  typeof d === "string" ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
class Sha256 {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret ? createHmac("sha256", toBytes(secret)) : createHash("sha256");
  }
  update(data: SourceData) {
    this.h.update(toBytes(data));
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

describe("query protocol (older SDKs and CLIs)", () => {
  async function query(params: Record<string, string>): Promise<{ status: number; text: string }> {
    const u = new URL(n.endpoint);
    const body = new URLSearchParams({ Version: "2012-11-05", ...params }).toString();
    const signer = new SignatureV4({ service: "sqs", region: "us-east-1", credentials: n.credentials, sha256: Sha256 });
    const req = await signer.sign({
      method: "POST",
      protocol: "http:",
      hostname: u.hostname,
      port: Number(u.port),
      path: "/",
      headers: { host: u.host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
      body,
    });
    const res = await fetch(`${n.endpoint}/`, { method: "POST", headers: req.headers, body });
    return { status: res.status, text: await res.text() };
  }

  it("speaks Action=... with AWS's query names and XML", async () => {
    const created = await query({ Action: "CreateQueue", QueueName: "q-query", "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "40", "Tag.1.Key": "k", "Tag.1.Value": "v" });
    expect(created.status).toBe(200);
    const url = /<QueueUrl>([^<]+)<\/QueueUrl>/.exec(created.text)![1]!;
    expect(url).toBe(`${n.endpoint}/${ACCOUNT}/q-query`);
    const sent = await query({
      Action: "SendMessageBatch",
      QueueUrl: url,
      "SendMessageBatchRequestEntry.1.Id": "a",
      "SendMessageBatchRequestEntry.1.MessageBody": "via query",
      "SendMessageBatchRequestEntry.1.MessageAttribute.1.Name": "color",
      "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType": "String",
      "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue": "red",
    });
    expect(sent.text).toContain("<SendMessageBatchResultEntry><Id>a</Id>");
    const recv = await query({ Action: "ReceiveMessage", QueueUrl: url, "AttributeName.1": "All", "MessageAttributeName.1": "All" });
    expect(recv.text).toContain("<Message><MessageId>");
    expect(recv.text).toContain("<Body>via query</Body>");
    expect(recv.text).toContain("<Attribute><Name>SenderId</Name>");
    expect(recv.text).toContain("<MessageAttribute><Name>color</Name><Value><StringValue>red</StringValue><DataType>String</DataType></Value></MessageAttribute>");
    const a = await query({ Action: "GetQueueAttributes", QueueUrl: url, "AttributeName.1": "VisibilityTimeout" });
    expect(a.text).toContain("<GetQueueAttributesResult><Attribute><Name>VisibilityTimeout</Name><Value>40</Value></Attribute></GetQueueAttributesResult>");
    expect((await query({ Action: "ListQueueTags", QueueUrl: url })).text).toContain("<Tag><Key>k</Key><Value>v</Value></Tag>");
    const missing = await query({ Action: "GetQueueUrl", QueueName: "nope" });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain("<Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist.</Message>");
  });
});

describe("retention and reset", () => {
  it("drops messages past MessageRetentionPeriod on the injected clock", async () => {
    const url = await queue("short-lived", { MessageRetentionPeriod: "60" });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "soon gone" }));
    expect((await attrs(url, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages).toBe("1");
    n.clock.advance(61);
    expect((await attrs(url, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages).toBe("0");
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
  });

  it("POST /_nimbus/reset forgets every queue", async () => {
    await queue("before-reset");
    expect((await fetch(`${n.endpoint}/_nimbus/reset`, { method: "POST" })).status).toBe(200);
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: "before-reset" }))).rejects.toMatchObject({ name: "QueueDoesNotExist" });
    expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls).toBeUndefined();
  });
});
