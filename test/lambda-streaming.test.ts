/**
 * Lambda response streaming: InvokeWithResponseStream's event stream (SDK v3 and boto3), Node's
 * awslambda.streamifyResponse and HttpResponseStream, a custom runtime streaming through the raw
 * Runtime API (chunked, error trailers), RESPONSE_STREAM function URLs, and IAM.
 *
 * Whether chunks arrive before the function ends is checked without timing: the function writes,
 * then waits for a gate file the test creates only once it has received that first chunk.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  LambdaClient,
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  CreateFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  UpdateFunctionUrlConfigCommand,
  type InvokeWithResponseStreamResponseEvent,
} from "@aws-sdk/client-lambda";
import { IAMClient, CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import type { Nimbus } from "../src/index.js";
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { PYTHON, sdkConfig, startTestNimbus } from "./helpers.js";
import { executionRole, zip } from "./lambda-helpers.js";

let n: Nimbus;
let lambda: LambdaClient;
let role: string;
let gates: string;
const enc = (v: unknown) => Buffer.from(JSON.stringify(v));
const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString("utf8");
type AwsError = { name: string; message: string; $metadata: { httpStatusCode?: number } };
const fail = (p: Promise<unknown>) => p.then(() => ({ name: "no error", message: "", $metadata: {} }) as AwsError, (e: unknown) => e as AwsError);

/**
 * A python3 whose botocore knows InvokeWithResponseStream (botocore >= 1.29.1xx): the configured
 * one, else the first `python3` on PATH. (The AWS CLI v1 has no command for it.)
 */
const streamingPython = (() => {
  for (const candidate of [PYTHON, "python3"]) {
    try {
      const out = execFileSync(candidate, ["-c", "import boto3; print(hasattr(boto3.client('lambda', region_name='us-east-1'), 'invoke_with_response_stream'))"], { encoding: "utf8", env: { PATH: process.env.PATH, HOME: process.env.HOME } });
      if (out.trim() === "True") return candidate;
    } catch {
      // Not there or no boto3: try the next.
    }
  }
  return undefined;
})();

let gateCount = 0;
/** A path the function waits for; the test creates it to let the function go on. */
const newGate = () => join(gates, `gate-${++gateCount}`);
const open = (gate: string) => writeFileSync(gate, "go");

/** Waits (in the function) until the gate file exists. */
const WAIT_FOR_GATE = `
const { existsSync } = require("node:fs");
const waitFor = async (gate) => { while (gate && !existsSync(gate)) await new Promise((r) => setTimeout(r, 20)); };
`;

const STREAMING_JS = `${WAIT_FOR_GATE}
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream.setContentType("text/plain");
  responseStream.write("first:" + event.n + "\\n");
  await waitFor(event.gate);
  responseStream.write("second:" + context.functionVersion + "\\n");
  if (event.fail) throw new TypeError("broke after two chunks");
  responseStream.end();
});
`;

const URL_JS = `${WAIT_FOR_GATE}
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const body = JSON.parse(event.body || "{}");
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201, headers: { "content-type": "text/plain", "x-kind": "streamed" }, cookies: ["a=1", "b=2"] });
  stream.write("hello ");
  if (event.rawPath === "/boom") throw new Error("failed after the head");
  await waitFor(body.gate);
  stream.write("world from " + event.rawPath);
  stream.end();
});
`;

/** A custom runtime speaking the Runtime API's streaming mode itself. */
const CUSTOM_BOOTSTRAP = `#!/usr/bin/env node
const http = require("node:http");
const { existsSync } = require("node:fs");
const api = process.env.AWS_LAMBDA_RUNTIME_API;
const waitFor = async (gate) => { while (gate && !existsSync(gate)) await new Promise((r) => setTimeout(r, 20)); };
const next = () => new Promise((ok, fail) => {
  http.get("http://" + api + "/2018-06-01/runtime/invocation/next", (res) => { let d = ""; res.on("data", (c) => d += c); res.on("end", () => ok({ id: res.headers["lambda-runtime-aws-request-id"], event: JSON.parse(d) })); }).on("error", fail);
});
(async () => { for (;;) {
  const { id, event } = await next();
  const req = http.request("http://" + api + "/2018-06-01/runtime/invocation/" + id + "/response", {
    method: "POST",
    headers: { "Lambda-Runtime-Function-Response-Mode": "streaming", "Transfer-Encoding": "chunked", "Content-Type": "application/x-ndjson", Trailer: "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body" },
  });
  const answered = new Promise((ok) => req.on("response", (res) => { res.resume(); res.on("end", ok); }));
  req.write(JSON.stringify({ part: 1 }) + "\\n");
  await waitFor(event.gate);
  req.write(JSON.stringify({ part: 2 }) + "\\n");
  if (event.fail) req.addTrailers({ "Lambda-Runtime-Function-Error-Type": "Custom.StreamError", "Lambda-Runtime-Function-Error-Body": Buffer.from(JSON.stringify({ errorMessage: "custom runtime gave up" })).toString("base64") });
  req.end();
  await answered;
} })();
`;

async function create(name: string, files: Record<string, string>, extra: Record<string, unknown> = {}, exec: string[] = []) {
  return lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: { ZipFile: zip(files, exec) }, Timeout: 20, ...extra }));
}

/**
 * Reads an event stream to its end; `onChunk` runs at each PayloadChunk (before the next is read)
 * and sees whether InvokeComplete has come yet.
 */
async function readEvents(stream: AsyncIterable<InvokeWithResponseStreamResponseEvent> | undefined, onChunk: (index: number, completed: boolean) => void = () => undefined) {
  const chunks: string[] = [];
  let complete: InvokeWithResponseStreamResponseEvent["InvokeComplete"];
  for await (const e of stream ?? []) {
    if (e.PayloadChunk) {
      chunks.push(text(e.PayloadChunk.Payload));
      onChunk(chunks.length - 1, complete !== undefined);
    }
    if (e.InvokeComplete) complete = e.InvokeComplete;
  }
  return { chunks, complete };
}

beforeAll(async () => {
  n = await startTestNimbus();
  lambda = new LambdaClient(sdkConfig(n));
  role = await executionRole(n, "streamer");
  gates = mkdtempSync(join(tmpdir(), "nimbus-stream-gates-"));
  await create("streamer", { "index.js": STREAMING_JS });
});
afterAll(async () => {
  await n?.stop();
  if (gates) rmSync(gates, { recursive: true, force: true });
});

describe("InvokeWithResponseStream", () => {
  it("streams a streamifyResponse handler's chunks as it writes them, then InvokeComplete with the log tail", async () => {
    const gate = newGate();
    const r = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "streamer", Payload: enc({ n: 1, gate }), LogType: "Tail" }));
    expect(r.StatusCode).toBe(200);
    expect(r.ExecutedVersion).toBe("$LATEST");
    expect(r.ResponseStreamContentType).toBe("application/vnd.amazon.eventstream");
    const seen: boolean[] = [];
    const { chunks, complete } = await readEvents(r.EventStream, (i, completed) => {
      seen.push(completed);
      // The function is still waiting: the first chunk came while it ran.
      if (i === 0) open(gate);
    });
    expect(chunks).toEqual(["first:1\n", "second:$LATEST\n"]);
    expect(seen).toEqual([false, false]);
    expect(complete).toBeDefined();
    expect(complete!.ErrorCode).toBeUndefined();
    const log = Buffer.from(complete!.LogResult!, "base64").toString("utf8");
    expect(log).toMatch(/START RequestId: [0-9a-f-]{36} Version: \$LATEST/);
    expect(log).toContain("REPORT RequestId:");
  });

  it("reports an error thrown mid-stream in InvokeComplete, after the chunks written before it", async () => {
    const r = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "streamer", Payload: enc({ n: 2, fail: true }) }));
    const { chunks, complete } = await readEvents(r.EventStream);
    expect(chunks.join("")).toBe("first:2\nsecond:$LATEST\n");
    expect(complete!.ErrorCode).toBe("TypeError");
    expect(JSON.parse(complete!.ErrorDetails!)).toMatchObject({ errorType: "TypeError", errorMessage: "broke after two chunks" });
    expect(complete!.LogResult).toBeUndefined();
  });

  it("ends a stream cut by the function's timeout with Sandbox.Timedout, and the next call gets a fresh environment", async () => {
    await create("stream-slow", { "index.js": "exports.handler = awslambda.streamifyResponse(async (e, s) => { s.write('started'); if (e.hang) await new Promise(() => setInterval(() => undefined, 1000)); s.end(' done'); });" }, { Timeout: 1 });
    const cut = await readEvents((await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "stream-slow", Payload: enc({ hang: true }) }))).EventStream);
    expect(cut.chunks).toEqual(["started"]);
    expect(cut.complete!.ErrorCode).toBe("Sandbox.Timedout");
    expect(JSON.parse(cut.complete!.ErrorDetails!).errorMessage).toMatch(/Task timed out after 1\.00 seconds$/);
    const again = await readEvents((await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "stream-slow", Payload: enc({}) }))).EventStream);
    expect(again.chunks.join("")).toBe("started done");
  });

  it("answers a buffered function with one chunk, and its error in InvokeComplete", async () => {
    await create("buffered", { "index.js": "exports.handler = async (e) => { if (e.fail) throw new RangeError('nope'); return { got: e }; };" });
    const ok = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "buffered", Payload: enc({ a: 1 }) }));
    const good = await readEvents(ok.EventStream);
    expect(good.chunks.map((c) => JSON.parse(c))).toEqual([{ got: { a: 1 } }]);
    expect(good.complete!.ErrorCode).toBeUndefined();
    const bad = await readEvents((await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "buffered", Payload: enc({ fail: true }) }))).EventStream);
    expect(bad.chunks).toEqual([]);
    expect(bad.complete!.ErrorCode).toBe("RangeError");
    expect(JSON.parse(bad.complete!.ErrorDetails!)).toMatchObject({ errorMessage: "nope" });
  });

  it("collects a streaming handler's response for a buffered Invoke", async () => {
    const r = await lambda.send(new InvokeCommand({ FunctionName: "streamer", Payload: enc({ n: 3 }) }));
    expect(r.FunctionError).toBeUndefined();
    expect(text(r.Payload)).toBe("first:3\nsecond:$LATEST\n");
    const f = await lambda.send(new InvokeCommand({ FunctionName: "streamer", Payload: enc({ n: 4, fail: true }) }));
    expect(f.FunctionError).toBe("Unhandled");
    expect(JSON.parse(text(f.Payload))).toMatchObject({ errorType: "TypeError", errorMessage: "broke after two chunks" });
  });

  it("follows qualifiers and aliases, answers DryRun, and refuses before streaming when it must", async () => {
    await lambda.send(new PublishVersionCommand({ FunctionName: "streamer" }));
    await lambda.send(new CreateAliasCommand({ FunctionName: "streamer", Name: "live", FunctionVersion: "1" }));
    const viaAlias = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "streamer", Qualifier: "live", Payload: enc({ n: 5 }) }));
    expect(viaAlias.ExecutedVersion).toBe("1");
    expect((await readEvents(viaAlias.EventStream)).chunks.join("")).toBe("first:5\nsecond:1\n");
    const viaArn = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "arn:aws:lambda:us-east-1:000000000000:function:streamer:1", Payload: enc({ n: 6 }) }));
    expect((await readEvents(viaArn.EventStream)).chunks.join("")).toBe("first:6\nsecond:1\n");

    const dry = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "streamer", InvocationType: "DryRun" }));
    expect(dry.StatusCode).toBe(204);

    const missing = await fail(lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "nope" })));
    expect([missing.name, missing.$metadata.httpStatusCode]).toEqual(["ResourceNotFoundException", 404]);
    const badAlias = await fail(lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "streamer", Qualifier: "nosuch" })));
    expect(badAlias.name).toBe("ResourceNotFoundException");
    const badJson = await fail(lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "streamer", Payload: Buffer.from("{not json") })));
    expect([badJson.name, badJson.$metadata.httpStatusCode]).toEqual(["InvalidRequestContentException", 400]);
    const badType = await fail(lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "streamer", InvocationType: "Event" as never })));
    expect(badType.name).toBe("ValidationException");

    await create("throttled", { "index.js": STREAMING_JS });
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: "throttled", ReservedConcurrentExecutions: 0 }));
    const throttled = await fail(lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "throttled", Payload: enc({ n: 7 }) })));
    expect([throttled.name, throttled.$metadata.httpStatusCode]).toEqual(["TooManyRequestsException", 429]);
  });

  it("is allowed by lambda:InvokeFunction and denied without it", async () => {
    const iam = new IAMClient(sdkConfig(n));
    const keyOf = async (name: string, action: string) => {
      await iam.send(new CreateUserCommand({ UserName: name }));
      await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "arn:aws:lambda:us-east-1:000000000000:function:streamer*" }] }) }));
      const k = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
      return new LambdaClient({ ...sdkConfig(n), credentials: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! } });
    };
    const reader = await keyOf("stream-reader", "lambda:GetFunction");
    const denied = await fail(reader.send(new InvokeWithResponseStreamCommand({ FunctionName: "streamer", Payload: enc({ n: 8 }) })));
    expect([denied.name, denied.$metadata.httpStatusCode]).toEqual(["AccessDeniedException", 403]);
    expect(denied.message).toContain("lambda:InvokeFunction");
    const invoker = await keyOf("stream-invoker", "lambda:InvokeFunction");
    const r = await invoker.send(new InvokeWithResponseStreamCommand({ FunctionName: "streamer", Payload: enc({ n: 9 }) }));
    expect((await readEvents(r.EventStream)).chunks.join("")).toBe("first:9\nsecond:$LATEST\n");
  });

  it.skipIf(!streamingPython)("streams through boto3's invoke_with_response_stream", async () => {
    const code = [
      "import json, boto3",
      "from botocore.config import Config",
      `c = boto3.client('lambda', endpoint_url=${JSON.stringify(n.endpoint)}, region_name=${JSON.stringify(n.region)}, config=Config(retries={'max_attempts': 1}))`,
      "r = c.invoke_with_response_stream(FunctionName='streamer', Payload=json.dumps({'n': 10, 'fail': True}))",
      "chunks, complete = [], None",
      "for e in r['EventStream']:",
      "    if 'PayloadChunk' in e: chunks.append(e['PayloadChunk']['Payload'].decode())",
      "    if 'InvokeComplete' in e: complete = e['InvokeComplete']",
      "print(json.dumps({'status': r['StatusCode'], 'version': r['ExecutedVersion'], 'chunks': chunks, 'code': complete.get('ErrorCode')}))",
    ].join("\n");
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_ACCESS_KEY_ID: n.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: n.credentials.secretAccessKey, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" };
    const { stdout } = await promisify(execFile)(streamingPython!, ["-c", code], { env, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ status: 200, version: "$LATEST", chunks: ["first:10\n", "second:$LATEST\n"], code: "TypeError" });
  });
});

describe("a custom runtime on the Runtime API's streaming mode", () => {
  it("streams chunked responses and reports errors sent as trailers", async () => {
    await lambda.send(new CreateFunctionCommand({ FunctionName: "custom-stream", Runtime: "provided.al2023", Role: role, Handler: "unused", Timeout: 20, Code: { ZipFile: zip({ bootstrap: CUSTOM_BOOTSTRAP }, ["bootstrap"]) } }));
    const gate = newGate();
    const r = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "custom-stream", Payload: enc({ gate }) }));
    const first = await readEvents(r.EventStream, (i) => {
      if (i === 0) open(gate);
    });
    expect(first.chunks.map((c) => JSON.parse(c))).toEqual([{ part: 1 }, { part: 2 }]);
    expect(first.complete!.ErrorCode).toBeUndefined();
    const failed = await readEvents((await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "custom-stream", Payload: enc({ fail: true }) }))).EventStream);
    expect(failed.chunks.join("")).toBe('{"part":1}\n{"part":2}\n');
    expect(failed.complete).toMatchObject({ ErrorCode: "Custom.StreamError" });
    expect(JSON.parse(failed.complete!.ErrorDetails!)).toEqual({ errorMessage: "custom runtime gave up" });
    // The buffered form collects the same stream.
    const buffered = await lambda.send(new InvokeCommand({ FunctionName: "custom-stream", Payload: enc({}) }));
    expect(text(buffered.Payload)).toBe('{"part":1}\n{"part":2}\n');
  });
});

describe("function URLs with InvokeMode RESPONSE_STREAM", () => {
  it("answer with the prelude's status and headers and stream the body as it is written", async () => {
    await create("web-stream", { "index.js": URL_JS });
    await lambda.send(new AddPermissionCommand({ FunctionName: "web-stream", StatementId: "public-url", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE" }));
    const cfg = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: "web-stream", AuthType: "NONE", InvokeMode: "RESPONSE_STREAM" }));
    expect(cfg.InvokeMode).toBe("RESPONSE_STREAM");
    const urlId = /^http:\/\/([a-z0-9]{32})\./.exec(cfg.FunctionUrl!)![1]!;
    const url = `${n.endpoint}/_nimbus/lambda-url/${urlId}`;

    const gate = newGate();
    const r = await fetch(`${url}/live`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ gate }) });
    expect(r.status).toBe(201);
    expect(r.headers.get("content-type")).toBe("text/plain");
    expect(r.headers.get("x-kind")).toBe("streamed");
    expect(r.headers.get("set-cookie")).toBe("a=1, b=2");
    expect(r.headers.get("transfer-encoding")).toBe("chunked");
    const reader = r.body!.getReader();
    let received = "";
    while (!received.includes("hello ")) {
      const { value, done } = await reader.read();
      if (done) break;
      received += Buffer.from(value).toString("utf8");
    }
    // The head and the first bytes came while the function waits for the gate.
    expect(received).toBe("hello ");
    open(gate);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      received += Buffer.from(value).toString("utf8");
    }
    expect(received).toBe("hello world from /live");

    // A failure after the head is sent can only cut the body short.
    const cut = await fetch(`${url}/boom`, { method: "POST", body: "{}" });
    expect(cut.status).toBe(201);
    await expect(cut.text()).rejects.toThrow();

    // The same function behind a BUFFERED URL: collected, and the prelude still gives the head.
    await lambda.send(new UpdateFunctionUrlConfigCommand({ FunctionName: "web-stream", InvokeMode: "BUFFERED" }));
    expect((await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: "web-stream" }))).InvokeMode).toBe("BUFFERED");
    const buffered = await fetch(`${url}/whole`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(buffered.status).toBe(201);
    expect(buffered.headers.get("x-kind")).toBe("streamed");
    expect(await buffered.text()).toBe("hello world from /whole");

    const bad = await fail(lambda.send(new UpdateFunctionUrlConfigCommand({ FunctionName: "web-stream", InvokeMode: "SOMETIMES" as never })));
    expect(bad.name).toBe("ValidationException");
  });

  it("map a function that does not stream as a buffered URL does", async () => {
    await create("web-plain", { "index.js": "exports.handler = async (e) => ({ statusCode: 202, headers: { 'x-plain': 'yes' }, body: 'plain ' + e.rawPath });" });
    await lambda.send(new AddPermissionCommand({ FunctionName: "web-plain", StatementId: "public-url", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE" }));
    const cfg = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: "web-plain", AuthType: "NONE", InvokeMode: "RESPONSE_STREAM" }));
    const urlId = /^http:\/\/([a-z0-9]{32})\./.exec(cfg.FunctionUrl!)![1]!;
    const r = await fetch(`${n.endpoint}/_nimbus/lambda-url/${urlId}/p`);
    expect(r.status).toBe(202);
    expect(r.headers.get("x-plain")).toBe("yes");
    expect(await r.text()).toBe("plain /p");
  });
});
