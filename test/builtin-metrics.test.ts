/** Built-in CloudWatch metrics of SQS, DynamoDB and S3, read back through GetMetricStatistics / ListMetrics (SDK v3, the AWS CLI). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand, type Datapoint, type Dimension } from "@aws-sdk/client-cloudwatch";
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { ConditionalCheckFailedException, CreateTableCommand, DynamoDBClient, GetItemCommand, ProvisionedThroughputExceededException, PutItemCommand, QueryCommand, ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
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

describe("AWS/DynamoDB", () => {
  it("publishes consumed capacity, latency, throttles, failed conditions and user errors", async () => {
    const ddb = new DynamoDBClient(sdkConfig(n));
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
    expect(await stats("AWS/DynamoDB", "ConsumedWriteCapacityUnits", t)).toBeUndefined();
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
});
