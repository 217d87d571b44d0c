/** Lambda event source mappings: an SQS queue drives a function, with partial batch failures (SDK v3, CLI). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LambdaClient, InvokeCommand, PutFunctionEventInvokeConfigCommand, GetFunctionEventInvokeConfigCommand, DeleteFunctionEventInvokeConfigCommand, CreateFunctionCommand, CreateEventSourceMappingCommand, GetEventSourceMappingCommand, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand, DeleteEventSourceMappingCommand } from "@aws-sdk/client-lambda";
import { SQSClient, SetQueueAttributesCommand, CreateQueueCommand, SendMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
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

  it("sends asynchronous results to on-success and on-failure destinations", async () => {
    const role = await executionRole(n, "dest-fn");
    const policy = (arn: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sqs:SendMessage", Resource: arn }] });
    const queue = async (name: string) => {
      const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
      const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: policy(arn) } }));
      return { url, arn };
    };
    const ok = await queue("on-success");
    const bad = await queue("on-failure");
    await lambda.send(new CreateFunctionCommand({ FunctionName: "dest", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": "exports.handler = async (e) => { if (e.fail) throw new Error('nope'); return { done: e.n }; };" }) } }));
    const cfg = await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "dest", MaximumRetryAttempts: 0, DestinationConfig: { OnSuccess: { Destination: ok.arn }, OnFailure: { Destination: bad.arn } } }));
    expect(cfg).toMatchObject({ FunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:dest:$LATEST", MaximumRetryAttempts: 0 });
    await expect(lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "dest", MaximumRetryAttempts: 3 }))).rejects.toMatchObject({ name: "ValidationException" });
    expect((await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "dest" }))).DestinationConfig?.OnFailure?.Destination).toBe(bad.arn);
    await lambda.send(new InvokeCommand({ FunctionName: "dest", InvocationType: "Event", Payload: Buffer.from(JSON.stringify({ n: 1 })) }));
    await lambda.send(new InvokeCommand({ FunctionName: "dest", InvocationType: "Event", Payload: Buffer.from(JSON.stringify({ fail: true })) }));
    await drain();
    const receive = async (url: string) => {
      for (let i = 0; i < 50; i++) {
        const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
        if (r.Messages?.length) return JSON.parse(r.Messages[0]!.Body!);
        await drain();
        await new Promise((res) => setTimeout(res, 100));
      }
      return undefined;
    };
    expect(await receive(ok.url)).toMatchObject({ version: "1.0", requestContext: { condition: "Success", approximateInvokeCount: 1 }, requestPayload: { n: 1 }, responsePayload: { done: 1 } });
    expect(await receive(bad.url)).toMatchObject({ requestContext: { condition: "RetriesExhausted" }, requestPayload: { fail: true }, responseContext: { functionError: "Unhandled" }, responsePayload: { errorMessage: "nope" } });
    await lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: "dest" }));
    await expect(lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "dest" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });
});
