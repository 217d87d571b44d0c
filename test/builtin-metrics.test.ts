/** Built-in CloudWatch metrics of SQS, DynamoDB and S3, read back through GetMetricStatistics / ListMetrics (SDK v3, the AWS CLI). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand, type Datapoint, type Dimension } from "@aws-sdk/client-cloudwatch";
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  TransactionConflictException,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { onItemChange } from "../src/services/dynamodb/table-store.js";
import {
  CreateBucketCommand,
  DeleteBucketMetricsConfigurationCommand,
  DeleteObjectCommand,
  GetBucketMetricsConfigurationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketMetricsConfigurationsCommand,
  ListObjectsV2Command,
  PutBucketMetricsConfigurationCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
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

/**
 * The clock's current minute. The clock runs in real time, so a minute can end during a test and
 * flush what was counted so far; "nothing is written yet" only holds while the minute lasts.
 */
function minuteNow(): number {
  return Math.floor(n.clock.nowMs() / 60_000);
}

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

/**
 * Poll until `check` holds for the datapoint (the writes after a clock advance are asynchronous).
 * `nudge`: move the clock on a minute between polls, for counts made after the response (S3).
 */
async function waitFor(Namespace: string, MetricName: string, Dimensions: Dimension[], check: (d: Datapoint) => boolean, nudge = false): Promise<Datapoint> {
  let d: Datapoint | undefined;
  for (let i = 0; i < 200; i++) {
    d = await stats(Namespace, MetricName, Dimensions);
    if (d && check(d)) return d;
    if (nudge) n.clock.advance(60);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${Namespace} ${MetricName}: ${JSON.stringify(d)}`);
}

describe("AWS/SQS", () => {
  it("counts sends, receives, deletes and empty receives per minute, and samples queue depth", async () => {
    const sqs = new SQSClient(sdkConfig(n));
    const minute = minuteNow();
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
    const early = await stats("AWS/SQS", "NumberOfMessagesSent", dims);
    if (minuteNow() === minute) expect(early).toBeUndefined();
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

describe("AWS/DynamoDB", () => {
  it("publishes consumed capacity, latency, throttles, failed conditions and user errors", async () => {
    const ddb = new DynamoDBClient(sdkConfig(n));
    const minute = minuteNow();
    const keyed = { AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" as const }], KeySchema: [{ AttributeName: "pk", KeyType: "HASH" as const }] };
    await ddb.send(new CreateTableCommand({ TableName: "metered", BillingMode: "PAY_PER_REQUEST", ...keyed }));
    await ddb.send(new CreateTableCommand({ TableName: "tiny", ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 }, ...keyed }));
    await ddb.send(new PutItemCommand({ TableName: "metered", Item: { pk: { S: "a" } } }));
    await ddb.send(new PutItemCommand({ TableName: "metered", Item: { pk: { S: "b" }, blob: { S: "x".repeat(1500) } } }));
    await ddb.send(new GetItemCommand({ TableName: "metered", Key: { pk: { S: "a" } }, ConsistentRead: true }));
    const q = await ddb.send(new QueryCommand({ TableName: "metered", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "b" } } }));
    expect(q.Count).toBe(1);
    await expect(ddb.send(new PutItemCommand({ TableName: "metered", Item: { pk: { S: "a" } }, ConditionExpression: "attribute_not_exists(pk)" }))).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await expect(ddb.send(new GetItemCommand({ TableName: "missing", Key: { pk: { S: "a" } } }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    // 390 KB on one provisioned write unit: the burst allowance (300 units) is spent, the next write is throttled.
    await ddb.send(new PutItemCommand({ TableName: "tiny", Item: { pk: { S: "big" }, blob: { S: "y".repeat(390 * 1024) } } }));
    await expect(ddb.send(new PutItemCommand({ TableName: "tiny", Item: { pk: { S: "small" } } }))).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);

    const t = [{ Name: "TableName", Value: "metered" }];
    const early = await stats("AWS/DynamoDB", "ConsumedWriteCapacityUnits", t);
    if (minuteNow() === minute) expect(early).toBeUndefined();
    n.clock.advance(60);

    // Writes: 1 + 2 units (1.5 KB item) + 1 for the failed conditional write.
    expect((await waitFor("AWS/DynamoDB", "ConsumedWriteCapacityUnits", t, (d) => d.Sum === 4)).Sum).toBe(4);
    // Reads: a strongly consistent GetItem (1) and an eventually consistent Query of 1.5 KB (0.5).
    expect((await waitFor("AWS/DynamoDB", "ConsumedReadCapacityUnits", t, (d) => d.Sum === 1.5)).Sum).toBe(1.5);
    const latency = await waitFor("AWS/DynamoDB", "SuccessfulRequestLatency", [...t, { Name: "Operation", Value: "PutItem" }], (d) => d.SampleCount === 2);
    expect(latency.Unit).toBe("Milliseconds");
    expect(latency.Minimum).toBeGreaterThan(0);
    expect((await waitFor("AWS/DynamoDB", "SuccessfulRequestLatency", [...t, { Name: "Operation", Value: "GetItem" }], () => true)).SampleCount).toBe(1);
    expect((await waitFor("AWS/DynamoDB", "ReturnedItemCount", [...t, { Name: "Operation", Value: "Query" }], () => true)).Sum).toBe(1);
    expect((await waitFor("AWS/DynamoDB", "ConditionalCheckFailedRequests", t, () => true)).Sum).toBe(1);
    expect((await waitFor("AWS/DynamoDB", "UserErrors", [], () => true)).Sum).toBe(1);
    const tiny = [{ Name: "TableName", Value: "tiny" }];
    expect((await waitFor("AWS/DynamoDB", "WriteThrottleEvents", tiny, () => true)).Sum).toBe(1);
    expect((await waitFor("AWS/DynamoDB", "ThrottledRequests", [...tiny, { Name: "Operation", Value: "PutItem" }], () => true)).Sum).toBe(1);
    expect((await waitFor("AWS/DynamoDB", "ConsumedWriteCapacityUnits", tiny, () => true)).Sum).toBe(391); // 390 KB of value plus the names and key

    const listed = await cw.send(new ListMetricsCommand({ Namespace: "AWS/DynamoDB", MetricName: "SuccessfulRequestLatency" }));
    expect(listed.Metrics?.map((m) => m.Dimensions?.find((d) => d.Name === "Operation")?.Value).sort()).toEqual(["GetItem", "PutItem", "PutItem", "Query"]); // PutItem on both tables
  });

  it("counts item-level requests refused by a transaction conflict as TransactionConflict", async () => {
    const ddb = new DynamoDBClient(sdkConfig(n));
    const keyed = { AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" as const }], KeySchema: [{ AttributeName: "pk", KeyType: "HASH" as const }] };
    await ddb.send(new CreateTableCommand({ TableName: "contended", BillingMode: "PAY_PER_REQUEST", ...keyed }));
    // A change listener inside the transaction's write keeps it in flight until the test lets go.
    let reached!: () => void;
    const inside = new Promise<void>((r) => (reached = r));
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const off = onItemChange(async (c) => {
      if (c.table.name !== "contended") return;
      reached();
      await gate;
    });
    try {
      const tx = ddb.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: "contended", Item: { pk: { S: "k" } } } }] }));
      await inside;
      await expect(ddb.send(new PutItemCommand({ TableName: "contended", Item: { pk: { S: "k" } } }))).rejects.toBeInstanceOf(TransactionConflictException);
      open();
      await tx;
    } finally {
      off();
      open();
    }
    n.clock.advance(60);
    expect((await waitFor("AWS/DynamoDB", "TransactionConflict", [{ Name: "TableName", Value: "contended" }], () => true)).Sum).toBe(1);
  });
});

describe("AWS/S3", () => {
  const s3 = () => new S3Client({ ...sdkConfig(n), forcePathStyle: true });

  it("manages metrics configurations with AWS's errors", async () => {
    const c = s3();
    await c.send(new CreateBucketCommand({ Bucket: "metrics-config" }));
    await c.send(new PutBucketMetricsConfigurationCommand({ Bucket: "metrics-config", Id: "EntireBucket", MetricsConfiguration: { Id: "EntireBucket" } }));
    await c.send(
      new PutBucketMetricsConfigurationCommand({
        Bucket: "metrics-config",
        Id: "docs-tagged",
        MetricsConfiguration: { Id: "docs-tagged", Filter: { And: { Prefix: "docs/", Tags: [{ Key: "team", Value: "blue" }] } } },
      }),
    );
    const got = await c.send(new GetBucketMetricsConfigurationCommand({ Bucket: "metrics-config", Id: "docs-tagged" }));
    expect(got.MetricsConfiguration).toEqual({ Id: "docs-tagged", Filter: { And: { Prefix: "docs/", Tags: [{ Key: "team", Value: "blue" }] } } });
    const listed = await c.send(new ListBucketMetricsConfigurationsCommand({ Bucket: "metrics-config" }));
    expect(listed.IsTruncated).toBe(false);
    expect(listed.MetricsConfigurationList?.map((m) => m.Id)).toEqual(["EntireBucket", "docs-tagged"]);

    const code = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        return [(e as S3ServiceException).name, (e as S3ServiceException).$metadata.httpStatusCode];
      }
      return ["ok"];
    };
    expect(await code(c.send(new GetBucketMetricsConfigurationCommand({ Bucket: "metrics-config", Id: "nope" })))).toEqual(["NoSuchConfiguration", 404]);
    expect(await code(c.send(new DeleteBucketMetricsConfigurationCommand({ Bucket: "metrics-config", Id: "nope" })))).toEqual(["NoSuchConfiguration", 404]);
    expect(await code(c.send(new PutBucketMetricsConfigurationCommand({ Bucket: "metrics-config", Id: "a", MetricsConfiguration: { Id: "b" } })))).toEqual(["InvalidArgument", 400]);
    expect(await code(c.send(new PutBucketMetricsConfigurationCommand({ Bucket: "no-such-bucket-here", Id: "a", MetricsConfiguration: { Id: "a" } })))).toEqual(["NoSuchBucket", 404]);
    expect(await code(c.send(new PutBucketMetricsConfigurationCommand({ Bucket: "metrics-config", Id: "ap", MetricsConfiguration: { Id: "ap", Filter: { AccessPointArn: "not-an-arn" } } })))).toEqual(["InvalidArgument", 400]);

    await c.send(new DeleteBucketMetricsConfigurationCommand({ Bucket: "metrics-config", Id: "EntireBucket" }));
    const after = await c.send(new ListBucketMetricsConfigurationsCommand({ Bucket: "metrics-config" }));
    expect(after.MetricsConfigurationList?.map((m) => m.Id)).toEqual(["docs-tagged"]);
  });

  it("publishes request metrics per filter, only for buckets with a configuration", async () => {
    const c = s3();
    await c.send(new CreateBucketCommand({ Bucket: "requests-metered" }));
    await c.send(new CreateBucketCommand({ Bucket: "requests-plain" }));
    await c.send(new PutBucketMetricsConfigurationCommand({ Bucket: "requests-metered", Id: "all", MetricsConfiguration: { Id: "all" } }));
    await c.send(new PutBucketMetricsConfigurationCommand({ Bucket: "requests-metered", Id: "docs", MetricsConfiguration: { Id: "docs", Filter: { Prefix: "docs/" } } }));
    await c.send(new PutBucketMetricsConfigurationCommand({ Bucket: "requests-metered", Id: "blue", MetricsConfiguration: { Id: "blue", Filter: { Tag: { Key: "team", Value: "blue" } } } }));
    await c.send(new PutObjectCommand({ Bucket: "requests-metered", Key: "docs/a.txt", Body: "0123456789", Tagging: "team=blue" }));
    await c.send(new PutObjectCommand({ Bucket: "requests-metered", Key: "img/b.bin", Body: "xyz" }));
    await (await c.send(new GetObjectCommand({ Bucket: "requests-metered", Key: "docs/a.txt" }))).Body!.transformToString();
    await expect(c.send(new GetObjectCommand({ Bucket: "requests-metered", Key: "docs/missing" }))).rejects.toThrow();
    await c.send(new HeadObjectCommand({ Bucket: "requests-metered", Key: "img/b.bin" }));
    await c.send(new ListObjectsV2Command({ Bucket: "requests-metered" }));
    await c.send(new DeleteObjectCommand({ Bucket: "requests-metered", Key: "img/b.bin" }));
    await c.send(new PutObjectCommand({ Bucket: "requests-plain", Key: "x", Body: "x" }));
    n.clock.advance(60);

    const dims = (id: string) => [
      { Name: "BucketName", Value: "requests-metered" },
      { Name: "FilterId", Value: id },
    ];
    const expectSum = async (metric: string, id: string, sum: number) => expect((await waitFor("AWS/S3", metric, dims(id), (d) => d.Sum === sum, true)).Sum).toBe(sum);
    await expectSum("AllRequests", "docs", 3); // PUT, GET and the failed GET under docs/
    await expectSum("GetRequests", "docs", 2);
    await expectSum("PutRequests", "docs", 1);
    const errors = await waitFor("AWS/S3", "4xxErrors", dims("docs"), (d) => d.SampleCount === 3, true);
    expect(errors).toMatchObject({ Sum: 1, SampleCount: 3 });
    expect((await waitFor("AWS/S3", "5xxErrors", dims("docs"), (d) => d.SampleCount === 3, true)).Sum).toBe(0);
    await expectSum("BytesDownloaded", "docs", 10);
    await expectSum("BytesUploaded", "docs", 10);
    const latency = await waitFor("AWS/S3", "TotalRequestLatency", dims("docs"), (d) => d.SampleCount === 2, true);
    expect(latency.Unit).toBe("Milliseconds");
    expect((await waitFor("AWS/S3", "FirstByteLatency", dims("docs"), (d) => d.SampleCount === 2, true)).Unit).toBe("Milliseconds");
    // The tag filter: the object tagged team=blue (its PUT and its GET), not the untagged one.
    await expectSum("AllRequests", "blue", 2);
    // The whole bucket: the list, head and delete too.
    await expectSum("ListRequests", "all", 1);
    await expectSum("HeadRequests", "all", 1);
    await expectSum("DeleteRequests", "all", 1);
    await expectSum("PutRequests", "all", 2);

    const plain = await cw.send(new ListMetricsCommand({ Namespace: "AWS/S3", MetricName: "AllRequests", Dimensions: [{ Name: "BucketName", Value: "requests-plain" }] }));
    expect(plain.Metrics ?? []).toEqual([]);
  });

  it("publishes daily BucketSizeBytes per storage type and NumberOfObjects", async () => {
    const c = s3();
    await c.send(new CreateBucketCommand({ Bucket: "storage-metered" }));
    await c.send(new PutObjectCommand({ Bucket: "storage-metered", Key: "a", Body: "x".repeat(100) }));
    await c.send(new PutObjectCommand({ Bucket: "storage-metered", Key: "b", Body: "y".repeat(50) }));
    await c.send(new PutObjectCommand({ Bucket: "storage-metered", Key: "c", Body: "z".repeat(7), StorageClass: "STANDARD_IA" }));
    n.clock.advance(86_400);
    const bucket = { Name: "BucketName", Value: "storage-metered" };
    expect((await waitFor("AWS/S3", "BucketSizeBytes", [bucket, { Name: "StorageType", Value: "StandardStorage" }], () => true)).Maximum).toBe(150);
    expect((await waitFor("AWS/S3", "BucketSizeBytes", [bucket, { Name: "StorageType", Value: "StandardIAStorage" }], () => true)).Maximum).toBe(7);
    const count = await waitFor("AWS/S3", "NumberOfObjects", [bucket, { Name: "StorageType", Value: "AllStorageTypes" }], () => true);
    expect(count).toMatchObject({ Maximum: 3, SampleCount: 1 });
  });
});
