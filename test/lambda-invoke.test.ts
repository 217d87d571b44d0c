/** Lambda invocation for real: Node, Python and custom runtimes on the Runtime API, errors, limits, roles, logs, async events and S3 triggers. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LambdaClient, CreateFunctionCommand, InvokeCommand, PutFunctionConcurrencyCommand, PublishVersionCommand, UpdateFunctionConfigurationCommand, AddPermissionCommand } from "@aws-sdk/client-lambda";
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, PutBucketNotificationConfigurationCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";
import { ECHO_JS, executionRole, zip } from "./lambda-helpers.js";

let n: Nimbus;
let lambda: LambdaClient;
let s3: S3Client;
let logs: CloudWatchLogsClient;
let role: string;
const dec = (b: Uint8Array | undefined) => JSON.parse(Buffer.from(b ?? []).toString("utf8") || "null");
const enc = (v: unknown) => Buffer.from(JSON.stringify(v));
const drain = async () => void (await fetch(`${n.endpoint}/_nimbus/lambda/drain`, { method: "POST" })).arrayBuffer();

async function create(name: string, runtime: string, handler: string, files: Record<string, string>, extra: Record<string, unknown> = {}, exec: string[] = []) {
  return lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: runtime as never, Role: role, Handler: handler, Code: { ZipFile: zip(files, exec) }, ...extra }));
}

beforeAll(async () => {
  n = await startTestNimbus();
  lambda = new LambdaClient(sdkConfig(n));
  s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
  logs = new CloudWatchLogsClient(sdkConfig(n));
  await s3.send(new CreateBucketCommand({ Bucket: "fn-data" }));
  await s3.send(new CreateBucketCommand({ Bucket: "fn-forbidden" }));
  await s3.send(new CreateBucketCommand({ Bucket: "uploads" }));
  role = await executionRole(n, "runner", [
    { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: ["arn:aws:s3:::fn-data/*", "arn:aws:s3:::uploads/*"] },
  ]);
});
afterAll(async () => {
  await n.stop();
});

describe("Node.js", () => {
  it("runs an async handler with AWS's context and logs, warm on the second call", async () => {
    await create("echo", "nodejs20.x", "index.handler", { "index.js": ECHO_JS }, { MemorySize: 256 });
    const r = await lambda.send(new InvokeCommand({ FunctionName: "echo", Payload: enc({ hello: "world" }), LogType: "Tail" }));
    expect(r.StatusCode).toBe(200);
    expect(r.FunctionError).toBeUndefined();
    expect(r.ExecutedVersion).toBe("$LATEST");
    const body = dec(r.Payload);
    expect(body).toMatchObject({ event: { hello: "world" }, fn: "echo", arn: "arn:aws:lambda:us-east-1:000000000000:function:echo", memory: "256", remaining: true, region: "us-east-1", version: "$LATEST" });
    expect(body.requestId).toBe(r.$metadata.requestId);
    const tail = Buffer.from(r.LogResult!, "base64").toString("utf8");
    expect(tail).toMatch(new RegExp(`START RequestId: ${body.requestId} Version: \\$LATEST`));
    expect(tail).toMatch(/\tINFO\tevent \{"hello":"world"\}/);
    expect(tail).toMatch(/END RequestId: /);
    expect(tail).toMatch(/REPORT RequestId: .*\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms/);
    const warm = await lambda.send(new InvokeCommand({ FunctionName: "echo", Payload: enc({ n: 2 }), LogType: "Tail" }));
    expect(dec(warm.Payload).event).toEqual({ n: 2 });
    expect(Buffer.from(warm.LogResult!, "base64").toString("utf8")).not.toContain("Init Duration");
    // Logs land in CloudWatch Logs, group /aws/lambda/<name>, stream YYYY/MM/DD/[$LATEST]<hex>.
    await drain();
    const events = await logs.send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/echo" }));
    expect(events.events!.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^START RequestId/), expect.stringMatching(/^REPORT RequestId/)]));
    expect(events.events![0]!.logStreamName).toMatch(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
  });

  it("serializes errors, and runs callbacks, ESM modules and nested handlers", async () => {
    await create("thrower", "nodejs22.x", "index.handler", { "index.js": "exports.handler = async () => { throw new TypeError('boom'); };" });
    const r = await lambda.send(new InvokeCommand({ FunctionName: "thrower", Payload: enc({}) }));
    expect(r.StatusCode).toBe(200);
    expect(r.FunctionError).toBe("Unhandled");
    expect(dec(r.Payload)).toMatchObject({ errorType: "TypeError", errorMessage: "boom", trace: expect.arrayContaining([expect.stringContaining("TypeError: boom")]) });
    await create("cb", "nodejs20.x", "lib/app.run", { "lib/app.js": "exports.run = (event, context, callback) => { setTimeout(() => callback(null, { doubled: event.x * 2 }), 10); };" });
    expect(dec((await lambda.send(new InvokeCommand({ FunctionName: "cb", Payload: enc({ x: 21 }) }))).Payload)).toEqual({ doubled: 42 });
    await create("esm", "nodejs20.x", "main.handler", { "main.mjs": "export const handler = async (e) => ({ esm: true, e });" });
    expect(dec((await lambda.send(new InvokeCommand({ FunctionName: "esm", Payload: enc(1) }))).Payload)).toEqual({ esm: true, e: 1 });
    await create("missing", "nodejs20.x", "nope.handler", { "index.js": "" });
    const m = await lambda.send(new InvokeCommand({ FunctionName: "missing" }));
    expect(m.FunctionError).toBe("Unhandled");
    expect(dec(m.Payload)).toMatchObject({ errorType: "Runtime.ImportModuleError" });
  });

  it("reads and writes S3 through the SDK as its role, and is denied what the role does not allow", async () => {
    await s3.send(new PutObjectCommand({ Bucket: "fn-data", Key: "in.txt", Body: "input" }));
    const src = `const { S3Client, GetObjectCommand, PutObjectCommand } = require("@aws-sdk/client-s3");
const s3 = new S3Client({ forcePathStyle: true });
exports.handler = async () => {
  const got = await (await s3.send(new GetObjectCommand({ Bucket: "fn-data", Key: "in.txt" }))).Body.transformToString();
  await s3.send(new PutObjectCommand({ Bucket: "fn-data", Key: "out.txt", Body: got.toUpperCase() }));
  try { await s3.send(new PutObjectCommand({ Bucket: "fn-forbidden", Key: "x", Body: "x" })); return "not denied"; }
  catch (e) { return { read: got, denied: e.name }; }
};`;
    await create("s3-node", "nodejs20.x", "index.handler", { "index.js": src }, { Timeout: 30 });
    const r = await lambda.send(new InvokeCommand({ FunctionName: "s3-node" }));
    expect(r.FunctionError, Buffer.from(r.Payload ?? []).toString()).toBeUndefined();
    expect(dec(r.Payload)).toEqual({ read: "input", denied: "AccessDenied" });
    expect(await (await s3.send(new GetObjectCommand({ Bucket: "fn-data", Key: "out.txt" }))).Body!.transformToString()).toBe("INPUT");
  });
});

describe("Python and custom runtimes", () => {
  it("runs a Python handler with boto3 as the role, and serializes its errors", async () => {
    const src = [
      "import boto3, os",
      "from botocore.exceptions import ClientError",
      "s3 = boto3.client('s3')",
      "def handler(event, context):",
      "    s3.put_object(Bucket='fn-data', Key='py.txt', Body=b'from python')",
      "    try:",
      "        s3.put_object(Bucket='fn-forbidden', Key='x', Body=b'x')",
      "        denied = None",
      "    except ClientError as e:",
      "        denied = e.response['Error']['Code']",
      "    return {'event': event, 'fn': context.function_name, 'remaining': context.get_remaining_time_in_millis() > 0, 'denied': denied, 'id': context.aws_request_id}",
      "def fail(event, context):",
      "    raise ValueError('bad value')",
    ].join("\n");
    await create("py", "python3.11", "app.handler", { "app.py": src }, { Timeout: 30 });
    const r = await lambda.send(new InvokeCommand({ FunctionName: "py", Payload: enc({ k: 1 }), LogType: "Tail" }));
    expect(r.FunctionError, Buffer.from(r.LogResult ?? "", "base64").toString()).toBeUndefined();
    expect(dec(r.Payload)).toMatchObject({ event: { k: 1 }, fn: "py", remaining: true, denied: "AccessDenied", id: r.$metadata.requestId });
    expect(await (await s3.send(new GetObjectCommand({ Bucket: "fn-data", Key: "py.txt" }))).Body!.transformToString()).toBe("from python");
    await create("py-fail", "python3.12", "app.fail", { "app.py": src });
    const f = await lambda.send(new InvokeCommand({ FunctionName: "py-fail" }));
    expect(f.FunctionError).toBe("Unhandled");
    expect(dec(f.Payload)).toMatchObject({ errorType: "ValueError", errorMessage: "bad value", stackTrace: expect.any(Array) });
  });

  it("runs a provided.al2023 bootstrap against the Runtime API", async () => {
    const bootstrap = `#!/usr/bin/env node
const http = require("node:http");
const api = process.env.AWS_LAMBDA_RUNTIME_API;
const call = (method, path, body) => new Promise((ok, fail) => {
  const req = http.request("http://" + api + "/2018-06-01/runtime" + path, { method }, (res) => { let d = ""; res.on("data", (c) => d += c); res.on("end", () => ok({ headers: res.headers, body: d })); });
  req.on("error", fail); req.end(body);
});
(async () => { for (;;) {
  const next = await call("GET", "/invocation/next");
  const id = next.headers["lambda-runtime-aws-request-id"];
  await call("POST", "/invocation/" + id + "/response", JSON.stringify({ custom: JSON.parse(next.body), handler: process.env._HANDLER, deadline: Number(next.headers["lambda-runtime-deadline-ms"]) > Date.now() }));
} })();
`;
    await create("custom", "provided.al2023", "my.handler", { bootstrap }, {}, ["bootstrap"]);
    const r = await lambda.send(new InvokeCommand({ FunctionName: "custom", Payload: enc({ a: 1 }) }));
    expect(dec(r.Payload)).toEqual({ custom: { a: 1 }, handler: "my.handler", deadline: true });
  });
});

describe("limits", () => {
  it("times out as AWS does, and the next call gets a new environment", async () => {
    await create("slow", "nodejs20.x", "index.handler", { "index.js": "let n = 0; exports.handler = async (e) => { n++; if (e.wait) await new Promise((r) => setTimeout(r, 5000)); return n; };" }, { Timeout: 1 });
    expect(dec((await lambda.send(new InvokeCommand({ FunctionName: "slow", Payload: enc({}) }))).Payload)).toBe(1);
    const r = await lambda.send(new InvokeCommand({ FunctionName: "slow", Payload: enc({ wait: true }), LogType: "Tail" }));
    expect(r.FunctionError).toBe("Unhandled");
    expect(dec(r.Payload).errorMessage).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z [0-9a-f-]{36} Task timed out after 1\.00 seconds$/);
    expect(Buffer.from(r.LogResult!, "base64").toString()).toContain("Task timed out after 1.00 seconds");
    // The timed-out environment was killed: state starts over.
    expect(dec((await lambda.send(new InvokeCommand({ FunctionName: "slow", Payload: enc({}) }))).Payload)).toBe(1);
  });

  it("fails an invocation that exceeds its memory as Runtime.OutOfMemory", async () => {
    await create("hog", "nodejs20.x", "index.handler", { "index.js": "exports.handler = async () => { const keep = []; for (let i = 0; i < 100; i++) { keep.push(Buffer.alloc(8 * 1024 * 1024, 1)); await new Promise((r) => setTimeout(r, 20)); } return keep.length; };" }, { Timeout: 30, MemorySize: 128 });
    const r = await lambda.send(new InvokeCommand({ FunctionName: "hog" }));
    expect(r.FunctionError).toBe("Unhandled");
    expect(dec(r.Payload)).toMatchObject({ errorType: "Runtime.OutOfMemory", errorMessage: expect.stringMatching(/^RequestId: [0-9a-f-]+ Error: Runtime exited with error: signal: killed$/) });
  });

  it("throttles with reserved concurrency, and checks payloads", async () => {
    await create("zero", "nodejs20.x", "index.handler", { "index.js": ECHO_JS });
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: "zero", ReservedConcurrentExecutions: 0 }));
    await expect(lambda.send(new InvokeCommand({ FunctionName: "zero" }))).rejects.toMatchObject({ name: "TooManyRequestsException", Reason: "ReservedFunctionConcurrentInvocationLimitExceeded", $metadata: { httpStatusCode: 429 } });
    await expect(lambda.send(new InvokeCommand({ FunctionName: "echo", Payload: Buffer.alloc(6_300_000, 0x20) }))).rejects.toMatchObject({ name: "RequestTooLargeException", $metadata: { httpStatusCode: 413 } });
    await expect(lambda.send(new InvokeCommand({ FunctionName: "echo", InvocationType: "Event", Payload: Buffer.from(JSON.stringify("x".repeat(300_000))) }))).rejects.toMatchObject({ name: "RequestTooLargeException" });
    await expect(lambda.send(new InvokeCommand({ FunctionName: "echo", Payload: Buffer.from("{not json") }))).rejects.toMatchObject({ name: "InvalidRequestContentException", $metadata: { httpStatusCode: 400 } });
    expect((await lambda.send(new InvokeCommand({ FunctionName: "echo", InvocationType: "DryRun" }))).StatusCode).toBe(204);
    await expect(lambda.send(new InvokeCommand({ FunctionName: "nope" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("publishes AWS/Lambda metrics to CloudWatch", async () => {
    await drain();
    const cw = new CloudWatchClient(sdkConfig(n));
    const stat = async (metric: string, fn: string) => {
      const r = await cw.send(new GetMetricStatisticsCommand({ Namespace: "AWS/Lambda", MetricName: metric, Dimensions: [{ Name: "FunctionName", Value: fn }], StartTime: new Date(n.clock.nowMs() - 3_600_000), EndTime: new Date(n.clock.nowMs() + 60_000), Period: 3600, Statistics: ["Sum", "SampleCount"] }));
      return r.Datapoints?.reduce((a, d) => a + (d.Sum ?? 0), 0) ?? 0;
    };
    expect(await stat("Invocations", "echo")).toBeGreaterThanOrEqual(2);
    expect(await stat("Errors", "thrower")).toBeGreaterThanOrEqual(1);
    expect(await stat("Throttles", "zero")).toBeGreaterThanOrEqual(1);
    expect(await stat("Duration", "echo")).toBeGreaterThan(0);
  });

  it("runs concurrent invocations in separate environments and reaps idle ones on the clock", async () => {
    // Each call holds its environment until both have started (a file each in a shared directory).
    const handler = `const fs = require("node:fs");
exports.handler = async (e) => {
  if (e.dir) {
    fs.writeFileSync(e.dir + "/" + process.pid, "");
    while (fs.readdirSync(e.dir).length < 2) await new Promise((r) => setTimeout(r, 10));
  }
  return process.pid;
};`;
    await create("pids", "nodejs20.x", "index.handler", { "index.js": handler });
    const dir = mkdtempSync(join(tmpdir(), "nimbus-pids-"));
    const both = await Promise.all([0, 1].map(() => lambda.send(new InvokeCommand({ FunctionName: "pids", Payload: enc({ dir }) }))));
    const pids = both.map((r) => dec(r.Payload));
    expect(new Set(pids).size).toBe(2);
    const warm = dec((await lambda.send(new InvokeCommand({ FunctionName: "pids", Payload: enc({}) }))).Payload);
    expect(pids).toContain(warm);
    n.clock.advance(6 * 60);
    const after = await lambda.send(new InvokeCommand({ FunctionName: "pids", Payload: enc({}), LogType: "Tail" }));
    expect(pids).not.toContain(dec(after.Payload));
    expect(Buffer.from(after.LogResult!, "base64").toString()).toContain("Init Duration");
  });

  it("runs a published version by qualifier", async () => {
    await lambda.send(new PublishVersionCommand({ FunctionName: "echo" }));
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "echo", Environment: { Variables: { CHANGED: "1" } } }));
    const r = await lambda.send(new InvokeCommand({ FunctionName: "echo", Qualifier: "1", Payload: enc({}) }));
    expect(r.ExecutedVersion).toBe("1");
    expect(dec(r.Payload)).toMatchObject({ version: "1", arn: "arn:aws:lambda:us-east-1:000000000000:function:echo:1" });
  });
});

describe("asynchronous invocation and triggers", () => {
  it("queues Event invocations and retries failures twice on the clock", async () => {
    await create("flaky", "nodejs20.x", "index.handler", { "index.js": "exports.handler = async () => { console.log('attempt'); throw new Error('always'); };" });
    const r = await lambda.send(new InvokeCommand({ FunctionName: "flaky", InvocationType: "Event", Payload: enc({}) }));
    expect(r.StatusCode).toBe(202);
    const attempts = async () => {
      await drain();
      const ev = await logs.send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/flaky", filterPattern: "START" }));
      return ev.events?.length ?? 0;
    };
    expect(await attempts()).toBe(1);
    n.clock.advance(61);
    expect(await attempts()).toBe(2);
    n.clock.advance(121);
    expect(await attempts()).toBe(3);
    n.clock.advance(600);
    expect(await attempts()).toBe(3);
  });

  it("an S3 upload triggers a thumbnail-style function through the function's resource policy", async () => {
    const src = `const { S3Client, GetObjectCommand, PutObjectCommand } = require("@aws-sdk/client-s3");
const s3 = new S3Client({ forcePathStyle: true });
exports.handler = async (event) => {
  for (const rec of event.Records) {
    const key = decodeURIComponent(rec.s3.object.key.replace(/\\+/g, " "));
    const body = await (await s3.send(new GetObjectCommand({ Bucket: rec.s3.bucket.name, Key: key }))).Body.transformToString();
    await s3.send(new PutObjectCommand({ Bucket: "fn-data", Key: "thumbs/" + key, Body: "thumb:" + body.length }));
  }
};`;
    const f = await create("thumbnail", "nodejs20.x", "index.handler", { "index.js": src }, { Timeout: 30 });
    await lambda.send(new AddPermissionCommand({ FunctionName: "thumbnail", StatementId: "s3-invoke", Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::uploads", SourceAccount: "000000000000" }));
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: "uploads", NotificationConfiguration: { LambdaFunctionConfigurations: [{ LambdaFunctionArn: f.FunctionArn, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "suffix", Value: ".jpg" }] } } }] } }));
    await s3.send(new PutObjectCommand({ Bucket: "uploads", Key: "cat.jpg", Body: "12345" }));
    let found = false;
    for (let i = 0; i < 100 && !found; i++) {
      await drain();
      found = await s3.send(new HeadObjectCommand({ Bucket: "fn-data", Key: "thumbs/cat.jpg" })).then(() => true, () => false);
      if (!found) await new Promise((r) => setTimeout(r, 100));
    }
    expect(found).toBe(true);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: "fn-data", Key: "thumbs/cat.jpg" }))).Body!.transformToString()).toBe("thumb:5");
  });

  it("invokes through the AWS CLI and boto3", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lambda-cli-"));
    const out = join(dir, "out.json");
    writeFileSync(join(dir, "in.json"), '{"via":"cli"}');
    const cli = await awsCli(n, ["lambda", "invoke", "--function-name", "echo", "--payload", `fileb://${join(dir, "in.json")}`, out]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ StatusCode: 200, ExecutedVersion: "$LATEST" });
    expect(JSON.parse(readFileSync(out, "utf8")).event).toEqual({ via: "cli" });
    const py = await boto3(n, "r = client('lambda').invoke(FunctionName='thrower', Payload=b'{}')\nprint(json.dumps({'status': r['StatusCode'], 'error': r.get('FunctionError'), 'body': json.loads(r['Payload'].read())}))");
    expect(py.code, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toMatchObject({ status: 200, error: "Unhandled", body: { errorType: "TypeError", errorMessage: "boom" } });
  });
});
