/** CloudWatch Logs subscription filters: the API through SDK v3 and boto3, delivery to Lambda through the bus and to a real function. */
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteSubscriptionFilterCommand,
  DescribeSubscriptionFiltersCommand,
  FilterLogEventsCommand,
  PutLogEventsCommand,
  PutSubscriptionFilterCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { Nimbus } from "../src/index.js";
import type { Delivery } from "../src/core/bus.js";
import { logsSubscriptionsSettled } from "../src/services/logs/subscriptions.js";
import { boto3, sdkConfig, startTestNimbus } from "./helpers.js";
import { executionRole, zip } from "./lambda-helpers.js";

const FN = "arn:aws:lambda:us-east-1:000000000000:function:consumer";

interface DataMessage {
  messageType: string;
  owner: string;
  logGroup: string;
  logStream: string;
  subscriptionFilters: string[];
  logEvents: { id: string; timestamp: number; message: string }[];
}
const decode = (body: string): DataMessage => JSON.parse(gunzipSync(Buffer.from((JSON.parse(body) as { awslogs: { data: string } }).awslogs.data, "base64")).toString("utf8")) as DataMessage;

describe("subscription filters (bus target standing in for Lambda)", () => {
  let n: Nimbus;
  let logs: CloudWatchLogsClient;
  const got: { arn: string; d: Delivery }[] = [];
  beforeAll(async () => {
    n = await startTestNimbus();
    logs = new CloudWatchLogsClient(sdkConfig(n));
    n.bus.register("lambda", async (arn, d) => {
      if (arn.endsWith(":refuser")) throw new Error("function policy denies logs.amazonaws.com");
      got.push({ arn, d });
      return { messageId: String(got.length) };
    });
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/app/sub" }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: "/app/sub", logStreamName: "web-1" }));
  });
  afterAll(async () => {
    await n.stop();
  });

  it("puts, describes, limits to two per group, validates and deletes", async () => {
    await logs.send(new PutSubscriptionFilterCommand({ logGroupName: "/app/sub", filterName: "errors", filterPattern: "ERROR", destinationArn: FN }));
    await logs.send(new PutSubscriptionFilterCommand({ logGroupName: "/app/sub", filterName: "all", filterPattern: "", destinationArn: `${FN}x`, distribution: "Random" }));
    // Replacing an existing filter is not a third one.
    await logs.send(new PutSubscriptionFilterCommand({ logGroupName: "/app/sub", filterName: "errors", filterPattern: "?ERROR ?FATAL", destinationArn: FN }));
    await expect(logs.send(new PutSubscriptionFilterCommand({ logGroupName: "/app/sub", filterName: "third", filterPattern: "", destinationArn: FN }))).rejects.toMatchObject({
      name: "LimitExceededException",
      $metadata: { httpStatusCode: 400 },
    });
    const d = await logs.send(new DescribeSubscriptionFiltersCommand({ logGroupName: "/app/sub" }));
    expect(d.subscriptionFilters?.map((f) => [f.filterName, f.filterPattern, f.destinationArn, f.distribution])).toEqual([
      ["all", "", `${FN}x`, "Random"],
      ["errors", "?ERROR ?FATAL", FN, "ByLogStream"],
    ]);
    expect(d.subscriptionFilters![1]!.creationTime).toBeGreaterThan(0);
    await expect(logs.send(new PutSubscriptionFilterCommand({ logGroupName: "/nope", filterName: "f", filterPattern: "", destinationArn: FN }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await expect(logs.send(new PutSubscriptionFilterCommand({ logGroupName: "/app/sub", filterName: "f", filterPattern: "{ $.x = ", destinationArn: FN }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    await expect(
      logs.send(new PutSubscriptionFilterCommand({ logGroupName: "/app/sub", filterName: "f", filterPattern: "", destinationArn: "arn:aws:kinesis:us-east-1:000000000000:stream/s" })),
    ).rejects.toMatchObject({ name: "InvalidParameterException", message: expect.stringContaining("Kinesis stream") });
    await expect(logs.send(new PutSubscriptionFilterCommand({ logGroupName: "/app/sub", filterName: "f", filterPattern: "", destinationArn: FN, distribution: "Sideways" as never }))).rejects.toMatchObject({
      name: "InvalidParameterException",
    });
    await logs.send(new DeleteSubscriptionFilterCommand({ logGroupName: "/app/sub", filterName: "all" }));
    await expect(logs.send(new DeleteSubscriptionFilterCommand({ logGroupName: "/app/sub", filterName: "all" }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
      message: "The specified subscription filter does not exist.",
    });
  });

  it("delivers each PutLogEvents call's matching events as one gzipped DATA_MESSAGE from logs.amazonaws.com", async () => {
    got.length = 0;
    const now = n.clock.nowMs();
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: "/app/sub",
        logStreamName: "web-1",
        logEvents: [
          { timestamp: now - 3, message: "INFO ok" },
          { timestamp: now - 2, message: "ERROR disk full" },
          { timestamp: now - 1, message: "FATAL gone" },
        ],
      }),
    );
    await logs.send(new PutLogEventsCommand({ logGroupName: "/app/sub", logStreamName: "web-1", logEvents: [{ timestamp: now, message: "INFO nothing to see" }] }));
    await logsSubscriptionsSettled();
    expect(got).toHaveLength(1);
    const { arn, d } = got[0]!;
    expect(arn).toBe(FN);
    expect(d.sender).toEqual({ servicePrincipal: "logs.amazonaws.com", account: "000000000000", sourceArn: "arn:aws:logs:us-east-1:000000000000:log-group:/app/sub:*" });
    const msg = decode(d.body);
    expect(msg).toMatchObject({ messageType: "DATA_MESSAGE", owner: "000000000000", logGroup: "/app/sub", logStream: "web-1", subscriptionFilters: ["errors"] });
    expect(msg.logEvents.map((e) => [e.timestamp, e.message])).toEqual([
      [now - 2, "ERROR disk full"],
      [now - 1, "FATAL gone"],
    ]);
    expect(msg.logEvents[0]!.id).toMatch(/^\d{56}$/);
    // The ids are the events' own ids.
    const f = await logs.send(new FilterLogEventsCommand({ logGroupName: "/app/sub", filterPattern: "ERROR" }));
    expect(f.events![0]!.eventId).toBe(msg.logEvents[0]!.id);
  });

  it("a refusing destination never fails PutLogEvents; deleting the group drops its filters", async () => {
    await logs.send(new PutSubscriptionFilterCommand({ logGroupName: "/app/sub", filterName: "refused", filterPattern: "", destinationArn: "arn:aws:lambda:us-east-1:000000000000:function:refuser" }));
    const r = await logs.send(new PutLogEventsCommand({ logGroupName: "/app/sub", logStreamName: "web-1", logEvents: [{ timestamp: n.clock.nowMs(), message: "ERROR again" }] }));
    expect(r.rejectedLogEventsInfo).toBeUndefined();
    await logsSubscriptionsSettled();
    await logs.send(new DeleteLogGroupCommand({ logGroupName: "/app/sub" }));
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/app/sub" }));
    expect((await logs.send(new DescribeSubscriptionFiltersCommand({ logGroupName: "/app/sub" }))).subscriptionFilters).toEqual([]);
  });

  it("boto3 sees the filters", async () => {
    await logs.send(new PutSubscriptionFilterCommand({ logGroupName: "/app/sub", filterName: "py", filterPattern: "[ip, user]", destinationArn: FN }));
    const py = await boto3(n, "r = client('logs').describe_subscription_filters(logGroupName='/app/sub')\nprint(json.dumps([[f['filterName'], f['filterPattern'], f['distribution']] for f in r['subscriptionFilters']]))");
    expect(py.code, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toEqual([["py", "[ip, user]", "ByLogStream"]]);
  });
});

describe("subscription filter to a real Node function", () => {
  let n: Nimbus;
  beforeAll(async () => {
    n = await startTestNimbus();
  });
  afterAll(async () => {
    await n.stop();
  });

  it("the function receives the awslogs payload only when its policy lets logs.amazonaws.com invoke it", async () => {
    const logs = new CloudWatchLogsClient(sdkConfig(n));
    const lambda = new LambdaClient(sdkConfig(n));
    const role = await executionRole(n, "sub-consumer");
    const src = `const zlib = require("node:zlib");
exports.handler = async (event) => {
  const msg = JSON.parse(zlib.gunzipSync(Buffer.from(event.awslogs.data, "base64")).toString());
  for (const e of msg.logEvents) console.log("GOT " + msg.logGroup + " " + e.message);
};`;
    const f = await lambda.send(new CreateFunctionCommand({ FunctionName: "consumer", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: { ZipFile: zip({ "index.js": src }) }, Timeout: 30 }));
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/app/real" }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: "/app/real", logStreamName: "s" }));
    await logs.send(new PutSubscriptionFilterCommand({ logGroupName: "/app/real", filterName: "errs", filterPattern: "ERROR", destinationArn: f.FunctionArn! }));
    const put = (message: string) => logs.send(new PutLogEventsCommand({ logGroupName: "/app/real", logStreamName: "s", logEvents: [{ timestamp: n.clock.nowMs(), message }] }));
    const received = async () => {
      await fetch(`${n.endpoint}/_nimbus/lambda/drain`, { method: "POST" }).then((r) => r.arrayBuffer());
      const r = await logs.send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/consumer", filterPattern: '"GOT"' })).catch(() => ({ events: [] }));
      return (r.events ?? []).map((e) => e.message!.slice(e.message!.indexOf("GOT")).trim());
    };
    // No permission yet: the delivery is refused (and PutLogEvents still succeeds).
    await put("ERROR before permission");
    await logsSubscriptionsSettled();
    expect(await received()).toEqual([]);
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: "consumer",
        StatementId: "logs",
        Action: "lambda:InvokeFunction",
        Principal: "logs.amazonaws.com",
        SourceArn: "arn:aws:logs:us-east-1:000000000000:log-group:/app/real:*",
        SourceAccount: "000000000000",
      }),
    );
    await put("ERROR after permission");
    await put("INFO not matched");
    await logsSubscriptionsSettled();
    let seen: string[] = [];
    for (let i = 0; i < 100 && seen.length === 0; i++) {
      seen = await received();
      if (seen.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toEqual(["GOT /app/real ERROR after permission"]);
  });
});
