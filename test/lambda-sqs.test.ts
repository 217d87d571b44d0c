/** Lambda event source mappings: an SQS queue drives a function, with partial batch failures (SDK v3, CLI). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LambdaClient, CreateFunctionCommand, CreateEventSourceMappingCommand, GetEventSourceMappingCommand, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand, DeleteEventSourceMappingCommand } from "@aws-sdk/client-lambda";
import { SQSClient, CreateQueueCommand, SendMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type { Nimbus } from "../src/index.js";
import { awsCli, sdkConfig, startTestNimbus } from "./helpers.js";
import { executionRole, zip } from "./lambda-helpers.js";

let n: Nimbus;
let lambda: LambdaClient;
let sqs: SQSClient;
const drain = async () => void (await fetch(`${n.endpoint}/_nimbus/lambda/drain`, { method: "POST" })).arrayBuffer();

beforeAll(async () => {
  n = await startTestNimbus();
  lambda = new LambdaClient(sdkConfig(n));
  sqs = new SQSClient(sdkConfig(n));
});
afterAll(async () => {
  await n.stop();
});

describe("SQS event source mapping", () => {
  it("delivers batches and deletes all but the reported failures", async () => {
    const role = await executionRole(n, "sqs-fn", [{ Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource: "*" }]);
    const q = await sqs.send(new CreateQueueCommand({ QueueName: "jobs", Attributes: { VisibilityTimeout: "30" } }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    const src = `exports.handler = async (event) => {
  console.log("batch", event.Records.length, event.Records[0].eventSource, event.Records[0].eventSourceARN);
  return { batchItemFailures: event.Records.filter((r) => r.body === "fail").map((r) => ({ itemIdentifier: r.messageId })) };
};`;
    await lambda.send(new CreateFunctionCommand({ FunctionName: "worker", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": src }) } }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: q.QueueUrl, Entries: ["a", "fail", "b"].map((b, i) => ({ Id: String(i), MessageBody: b, MessageAttributes: { k: { DataType: "String", StringValue: "v" } } })) }));
    const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "worker", EventSourceArn: arn, BatchSize: 10, FunctionResponseTypes: ["ReportBatchItemFailures"] }));
    expect(m).toMatchObject({ EventSourceArn: arn, FunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:worker", BatchSize: 10, State: "Creating" });
    await expect(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "worker", EventSourceArn: arn }))).rejects.toMatchObject({ name: "ResourceConflictException" });
    await expect(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "worker", EventSourceArn: arn, BatchSize: 20000 }))).rejects.toMatchObject({ name: "ValidationException" });
    let left = 3;
    for (let i = 0; i < 100 && left !== 1; i++) {
      await drain();
      const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }))).Attributes!;
      left = Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
      if (left !== 1) await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toBe(1);
    expect((await lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID }))).State).toBe("Enabled");
    // Disabled: the failed message comes back after its visibility timeout and stays in the queue.
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID, Enabled: false }));
    n.clock.advance(31);
    const back = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10 }));
    expect(back.Messages?.map((x) => x.Body)).toEqual(["fail"]);
    const cli = await awsCli(n, ["lambda", "list-event-source-mappings", "--function-name", "worker"]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).EventSourceMappings[0]).toMatchObject({ UUID: m.UUID, State: "Disabled" });
    expect((await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: arn }))).EventSourceMappings).toHaveLength(1);
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
    await expect(lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });
});
