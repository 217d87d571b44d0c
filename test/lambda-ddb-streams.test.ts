/** Lambda event source mappings for DynamoDB Streams: order, event shape, filters, bisect, retries, on-failure to SQS, partial batch failures, record age (SDK v3, CLI). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LambdaClient, CreateFunctionCommand, CreateEventSourceMappingCommand, GetEventSourceMappingCommand, UpdateEventSourceMappingCommand, DeleteEventSourceMappingCommand } from "@aws-sdk/client-lambda";
import { DynamoDBClient, CreateTableCommand, PutItemCommand, UpdateItemCommand, DeleteItemCommand, DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { S3Client, CreateBucketCommand, ListObjectsV2Command, GetObjectCommand } from "@aws-sdk/client-s3";
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import type { Nimbus } from "../src/index.js";
import { awsCli, sdkConfig, startTestNimbus } from "./helpers.js";
import { executionRole, zip } from "./lambda-helpers.js";

let n: Nimbus;
let lambda: LambdaClient;
let ddb: DynamoDBClient;
let s3: S3Client;
let sqs: SQSClient;
let role: string;
const drain = async () => void (await fetch(`${n.endpoint}/_nimbus/lambda/drain`, { method: "POST" })).arrayBuffer();

const STREAM_READ = { Effect: "Allow", Action: ["dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream", "dynamodb:ListStreams"], Resource: "*" };

/** Polls `probe` (draining Lambda's work between tries) until `done` holds, within a bound. */
async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, tries = 150): Promise<T> {
  let v = await probe();
  for (let i = 0; i < tries && !done(v); i++) {
    await drain();
    await new Promise((r) => setTimeout(r, 100));
    v = await probe();
  }
  return v;
}

const keys = async (prefix: string) => ((await s3.send(new ListObjectsV2Command({ Bucket: "seen", Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();
const read = async (key: string) => JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: "seen", Key: key }))).Body!.transformToString());

async function streamTable(name: string): Promise<string> {
  await ddb.send(new CreateTableCommand({ TableName: name, KeySchema: [{ AttributeName: "id", KeyType: "HASH" }], AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }], BillingMode: "PAY_PER_REQUEST", StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" } }));
  return (await ddb.send(new DescribeTableCommand({ TableName: name }))).Table!.LatestStreamArn!;
}

const put = (table: string, id: string, extra: Record<string, { S: string }> = {}) => ddb.send(new PutItemCommand({ TableName: table, Item: { id: { S: id }, ...extra } }));

async function queue(name: string): Promise<{ url: string; arn: string }> {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
  return { url, arn: (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn! };
}

async function fn(name: string, body: string): Promise<void> {
  const src = `const { S3Client, PutObjectCommand } = require("@aws-sdk/client-s3");
const s3 = new S3Client({ forcePathStyle: true });
const save = (key, value) => s3.send(new PutObjectCommand({ Bucket: "seen", Key: key, Body: JSON.stringify(value) }));
exports.handler = async (event) => { ${body} };`;
  await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Timeout: 30, Code: { ZipFile: zip({ "index.js": src }) } }));
}

beforeAll(async () => {
  n = await startTestNimbus();
  lambda = new LambdaClient(sdkConfig(n));
  ddb = new DynamoDBClient(sdkConfig(n));
  s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
  sqs = new SQSClient(sdkConfig(n));
  await s3.send(new CreateBucketCommand({ Bucket: "seen" }));
  role = await executionRole(n, "stream-fn", [STREAM_READ, { Effect: "Allow", Action: ["s3:PutObject", "sqs:SendMessage"], Resource: "*" }]);
});
afterAll(async () => {
  await n.stop();
});

describe("DynamoDB Streams event source mapping", () => {
  it("delivers filtered records in order with AWS's event shape, and validates its parameters", async () => {
    const stream = await streamTable("orders");
    await fn("recorder", `await save("orders/" + event.Records[0].dynamodb.SequenceNumber, event); return {};`);
    // The role must be able to read the stream.
    const blind = await executionRole(n, "blind-fn");
    await lambda.send(new CreateFunctionCommand({ FunctionName: "blind", Runtime: "nodejs20.x", Role: blind, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": "exports.handler = async () => 1;" }) } }));
    await expect(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "blind", EventSourceArn: stream, StartingPosition: "LATEST" }))).rejects.toMatchObject({ name: "InvalidParameterValueException", message: expect.stringContaining("Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions") });
    const bad = (input: object) => lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "recorder", EventSourceArn: stream, StartingPosition: "TRIM_HORIZON", ...input }));
    await expect(bad({ StartingPosition: "AT_TIMESTAMP", StartingPositionTimestamp: new Date() })).rejects.toMatchObject({ name: "InvalidParameterValueException" });
    await expect(bad({ StartingPosition: undefined })).rejects.toMatchObject({ name: "InvalidParameterValueException" });
    await expect(bad({ MaximumRetryAttempts: 10001 })).rejects.toMatchObject({ name: "ValidationException" });
    await expect(bad({ ParallelizationFactor: 11 })).rejects.toMatchObject({ name: "ValidationException" });
    await expect(bad({ BatchSize: 10001 })).rejects.toMatchObject({ name: "ValidationException" });
    await expect(bad({ FilterCriteria: { Filters: [{ Pattern: "{not json" }] } })).rejects.toMatchObject({ name: "InvalidParameterValueException", message: "Invalid filter pattern definition." });

    await put("orders", "a", { kind: { S: "keep" } });
    await put("orders", "b", { kind: { S: "skip" } });
    await put("orders", "c", { kind: { S: "keep" } });
    const m = await bad({ BatchSize: 2, ParallelizationFactor: 2, FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ dynamodb: { NewImage: { kind: { S: ["keep"] } } } }) }] } });
    expect(m).toMatchObject({ State: "Creating", StartingPosition: "TRIM_HORIZON", BatchSize: 2, ParallelizationFactor: 2, MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: -1, BisectBatchOnFunctionError: false, StateTransitionReason: "User action" });
    await ddb.send(new UpdateItemCommand({ TableName: "orders", Key: { id: { S: "a" } }, UpdateExpression: "SET n = :n", ExpressionAttributeValues: { ":n": { N: "7" } } }));
    await ddb.send(new DeleteItemCommand({ TableName: "orders", Key: { id: { S: "c" } } }));

    const count = async () => {
      let total = 0;
      for (const k of await keys("orders/")) total += (await read(k)).Records.length;
      return total;
    };
    expect(await until(count, (c) => c >= 3)).toBe(3);
    const records = [];
    for (const k of await keys("orders/")) records.push(...(await read(k)).Records);
    expect(records.map((r) => `${r.eventName}:${r.dynamodb.Keys.id.S}`)).toEqual(["INSERT:a", "INSERT:c", "MODIFY:a"]);
    const seqs = records.map((r) => BigInt(r.dynamodb.SequenceNumber));
    expect([...seqs].sort((x, y) => (x < y ? -1 : 1))).toEqual(seqs);
    expect(records[2]).toMatchObject({
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: "us-east-1",
      eventSourceARN: stream,
      dynamodb: { Keys: { id: { S: "a" } }, NewImage: { id: { S: "a" }, kind: { S: "keep" }, n: { N: "7" } }, OldImage: { id: { S: "a" }, kind: { S: "keep" } }, StreamViewType: "NEW_AND_OLD_IMAGES" },
    });
    expect(typeof records[0].eventID).toBe("string");
    expect(typeof records[0].dynamodb.ApproximateCreationDateTime).toBe("number");
    expect(await until(() => lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID })), (g) => g.LastProcessingResult === "OK")).toMatchObject({ State: "Enabled", LastProcessingResult: "OK" });
    const cli = await awsCli(n, ["lambda", "list-event-source-mappings", "--event-source-arn", stream]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).EventSourceMappings[0]).toMatchObject({ UUID: m.UUID, StartingPosition: "TRIM_HORIZON" });
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
  });

  it("bisects a failing batch, retries the bad record and sends it to the on-failure queue", async () => {
    const stream = await streamTable("jobs");
    const dlq = await queue("jobs-failed");
    await fn("picky", `if (event.Records.some((r) => r.dynamodb.NewImage.bad)) throw new Error("bad record");
  for (const r of event.Records) await save("jobs/" + r.dynamodb.Keys.id.S, r.dynamodb.SequenceNumber);
  return {};`);
    for (const id of ["j1", "j2"]) await put("jobs", id);
    await put("jobs", "j3", { bad: { S: "yes" } });
    await put("jobs", "j4");
    const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "picky", EventSourceArn: stream, StartingPosition: "TRIM_HORIZON", BatchSize: 10, BisectBatchOnFunctionError: true, MaximumRetryAttempts: 1, DestinationConfig: { OnFailure: { Destination: dlq.arn } } }));
    expect(m).toMatchObject({ BisectBatchOnFunctionError: true, MaximumRetryAttempts: 1, DestinationConfig: { OnFailure: { Destination: dlq.arn } } });
    expect(await until(() => keys("jobs/"), (k) => k.length >= 3)).toEqual(["jobs/j1", "jobs/j2", "jobs/j4"]);
    const msg = await until(async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, MaxNumberOfMessages: 10 }))).Messages ?? [], (x) => x.length > 0);
    expect(msg).toHaveLength(1);
    const record = JSON.parse(msg[0]!.Body!);
    expect(record).toMatchObject({
      version: "1.0",
      requestContext: { condition: "RetryAttemptsExhausted", approximateInvokeCount: 2, functionArn: "arn:aws:lambda:us-east-1:000000000000:function:picky" },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      DDBStreamBatchInfo: { batchSize: 1, streamArn: stream },
    });
    const j2 = BigInt(await read("jobs/j2"));
    expect(BigInt(record.DDBStreamBatchInfo.startSequenceNumber)).toBe(j2 + 1n);
    expect(record.DDBStreamBatchInfo.endSequenceNumber).toBe(record.DDBStreamBatchInfo.startSequenceNumber);
    expect(record.DDBStreamBatchInfo.shardId).toMatch(/^shardId-/);
    // A destination the role may not send to is refused.
    const locked = await executionRole(n, "locked-fn", [STREAM_READ]);
    await lambda.send(new CreateFunctionCommand({ FunctionName: "locked", Runtime: "nodejs20.x", Role: locked, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": "exports.handler = async () => 1;" }) } }));
    await expect(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "locked", EventSourceArn: stream, StartingPosition: "LATEST", DestinationConfig: { OnFailure: { Destination: dlq.arn } } }))).rejects.toMatchObject({ name: "InvalidParameterValueException", message: "The provided execution role does not have permissions to call SendMessage on SQS" });
  });

  it("checkpoints at the first reported failure, blocks the shard, and discards records past their maximum age", async () => {
    const stream = await streamTable("steps");
    const dlq = await queue("steps-failed");
    await fn("stepper", `for (const r of event.Records) {
    if (r.dynamodb.NewImage && r.dynamodb.NewImage.fail) return { batchItemFailures: [{ itemIdentifier: r.dynamodb.SequenceNumber }] };
    await save("steps/" + r.dynamodb.Keys.id.S, r.dynamodb.SequenceNumber);
  }
  return { batchItemFailures: [] };`);
    const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "stepper", EventSourceArn: stream, StartingPosition: "LATEST", BatchSize: 10, FunctionResponseTypes: ["ReportBatchItemFailures"], DestinationConfig: { OnFailure: { Destination: dlq.arn } } }));
    await put("steps", "s1");
    await put("steps", "s2", { fail: { S: "always" } });
    await put("steps", "s3");
    expect(await until(() => keys("steps/"), (k) => k.length >= 1)).toEqual(["steps/s1"]);
    // The failed record blocks the shard: s3 waits behind s2 however often it is retried.
    const g = await until(() => lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID })), (x) => x.LastProcessingResult === "PROBLEM: Function call failed.");
    expect(g.LastProcessingResult).toBe("PROBLEM: Function call failed.");
    for (let i = 0; i < 5; i++) await drain();
    expect(await keys("steps/")).toEqual(["steps/s1"]);
    // With a maximum record age, the blocked records expire and go to the on-failure queue.
    const u = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID, MaximumRecordAgeInSeconds: 60 }));
    expect(u).toMatchObject({ State: "Updating", MaximumRecordAgeInSeconds: 60 });
    n.clock.advance(61);
    const msg = await until(async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, MaxNumberOfMessages: 10 }))).Messages ?? [], (x) => x.length > 0);
    expect(JSON.parse(msg[0]!.Body!)).toMatchObject({ requestContext: { condition: "RecordAgeExceeded" }, DDBStreamBatchInfo: { batchSize: 2 } });
    await put("steps", "s4");
    expect(await until(() => keys("steps/"), (k) => k.length >= 2)).toEqual(["steps/s1", "steps/s4"]);
    await expect(lambda.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID, MaximumRecordAgeInSeconds: 30 }))).rejects.toMatchObject({ name: "InvalidParameterValueException" });
    // Disabled, nothing more is delivered.
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID, Enabled: false }));
    await put("steps", "s5");
    for (let i = 0; i < 3; i++) await drain();
    expect(await keys("steps/")).toEqual(["steps/s1", "steps/s4"]);
  });

  it("filters SQS mappings with the same grammar: unmatched messages are deleted unseen", async () => {
    const q = await queue("filtered");
    await fn("sqs-seen", `for (const r of event.Records) await save("sqs/" + JSON.parse(r.body).n, r.body); return {};`);
    await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "sqs-seen", EventSourceArn: q.arn, BatchSize: 10, FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ body: { kind: ["order"], n: [{ numeric: [">", 1] }] } }) }] } }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: q.url, Entries: [{ kind: "order", n: 1 }, { kind: "order", n: 2 }, { kind: "refund", n: 3 }, { kind: "order", n: 4 }].map((b, i) => ({ Id: String(i), MessageBody: JSON.stringify(b) })) }));
    expect(await until(() => keys("sqs/"), (k) => k.length >= 2)).toEqual(["sqs/2", "sqs/4"]);
    const left = await until(
      async () => (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }))).Attributes!,
      (a) => Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible) === 0,
    );
    expect(Number(left.ApproximateNumberOfMessages) + Number(left.ApproximateNumberOfMessagesNotVisible)).toBe(0);
    expect(await keys("sqs/")).toEqual(["sqs/2", "sqs/4"]);
  });
});
