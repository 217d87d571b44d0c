// Nimbus's bootstrap for the nodejs* runtimes: speaks the Lambda Runtime API
// (AWS_LAMBDA_RUNTIME_API) like AWS's own Node runtime interface client does, so a handler
// behaves as on AWS: `file.export` resolution (.js, .mjs, .cjs, ESM or CommonJS), async handlers
// and callbacks, the context object, console lines tagged with the request id, and errors
// serialized as {errorType, errorMessage, trace}. Response streaming: the global `awslambda`
// offers `streamifyResponse(handler)` (the handler gets a writable response stream) and
// `HttpResponseStream.from(stream, {statusCode, headers, cookies})` (a JSON prelude and eight NUL
// bytes before the body, for function URLs); such a response is POSTed in the Runtime API's
// streaming mode (chunked, errors as trailers).
import http from "node:http";
import { Writable } from "node:stream";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const base = "/2018-06-01/runtime";

function request(method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const [host, port] = api.split(":");
    const data = body === undefined ? undefined : Buffer.from(body);
    const req = http.request({ host, port: Number(port), path: base + p, method, agent, headers: { ...headers, ...(data ? { "content-length": data.length } : {}) } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(data);
  });
}

function serializeError(e) {
  if (e instanceof Error) {
    return { errorType: e.name && e.name !== "Error" ? e.name : e.constructor?.name ?? "Error", errorMessage: e.message, trace: String(e.stack ?? "").split("\n") };
  }
  if (e !== null && typeof e === "object") return { errorType: "Error", errorMessage: JSON.stringify(e), trace: [] };
  return { errorType: "string", errorMessage: String(e), trace: [] };
}

const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
const HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response";

/**
 * A response stream for one invocation: the streaming POST starts with the first write (so the
 * Content-Type may be set until then), each write is one chunk, and a failure ends the body with
 * the error trailers.
 */
function responseStream(id) {
  let contentType = "application/octet-stream";
  let req;
  let prefix;
  let answered;
  // Writes handed to the request and not yet flushed, and who waits for them.
  let inFlight = 0;
  let flushed = [];
  const settle = () => {
    if (inFlight === 0) for (const f of flushed.splice(0)) f();
  };
  const open = () => {
    if (req) return req;
    const [host, port] = api.split(":");
    req = http.request({
      host,
      port: Number(port),
      path: `${base}/invocation/${id}/response`,
      method: "POST",
      agent,
      headers: {
        "Content-Type": contentType,
        "Lambda-Runtime-Function-Response-Mode": "streaming",
        "Transfer-Encoding": "chunked",
        Trailer: "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
      },
    });
    answered = new Promise((resolve, reject) => {
      req.on("response", (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", reject);
    });
    if (prefix) for (const p of prefix.splice(0)) req.write(p);
    return req;
  };
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      inFlight++;
      open().write(chunk, (err) => {
        inFlight--;
        settle();
        callback(err);
      });
    },
    final(callback) {
      open().end(callback);
    },
  });
  stream.setContentType = (type) => {
    if (req) throw new Error("The content type cannot be set after the response stream has started.");
    contentType = String(type);
  };
  stream._prefix = (chunks) => {
    prefix = chunks;
  };
  stream._fail = (err) => {
    const r = open();
    if (!r.writableEnded) {
      r.addTrailers({ "Lambda-Runtime-Function-Error-Type": err.errorType, "Lambda-Runtime-Function-Error-Body": Buffer.from(JSON.stringify(err)).toString("base64") });
      r.end();
    }
  };
  stream._answered = () => answered ?? Promise.resolve();
  /** Resolves once what the handler wrote has gone to the request (before error trailers follow it). */
  stream._flushed = async () => {
    while (stream.writableLength > 0 || inFlight > 0) {
      if (stream.destroyed || req?.destroyed) return;
      await new Promise((resolve) => {
        flushed.push(resolve);
        setTimeout(resolve, 10);
      });
    }
  };
  return stream;
}

globalThis.awslambda = {
  streamifyResponse(handler) {
    handler[STREAMING] = "response";
    return handler;
  },
  HttpResponseStream: class HttpResponseStream {
    static from(stream, prelude) {
      stream.setContentType(HTTP_INTEGRATION);
      stream._prefix([Buffer.from(JSON.stringify(prelude ?? {})), Buffer.alloc(8)]);
      return stream;
    }
  },
};

/** Run a streaming handler: it writes to the stream; the invocation ends when the stream does. */
async function runStreaming(id, event, context) {
  const stream = responseStream(id);
  // Writes after a failure are dropped; they must not take the runtime down.
  stream.on("error", () => undefined);
  try {
    await handler(event, stream, context);
    // A handler that returns without ending its stream has said all it will.
    if (!stream.writableFinished) {
      if (!stream.writableEnded) stream.end();
      await new Promise((resolve, reject) => {
        stream.on("finish", resolve);
        stream.on("error", reject);
      });
    }
  } catch (e) {
    const err = serializeError(e);
    console.error(`Invoke Error \t${JSON.stringify(err)}`);
    // What the handler wrote before failing goes out first, then the error trailers.
    await stream._flushed();
    stream._fail(err);
  }
  await stream._answered();
}

let currentRequestId;
for (const [method, level] of [["log", "INFO"], ["info", "INFO"], ["warn", "WARN"], ["error", "ERROR"], ["debug", "DEBUG"], ["trace", "TRACE"]]) {
  console[method] = (...args) => {
    const line = `${new Date().toISOString()}\t${currentRequestId ?? "undefined"}\t${level}\t${format(...args)}`;
    process.stdout.write(line.replace(/\n/g, "\r") + "\n");
  };
}

async function loadHandler() {
  const spec = process.env._HANDLER ?? "";
  const root = process.env.LAMBDA_TASK_ROOT;
  const dot = spec.lastIndexOf(".");
  if (dot <= 0) throw Object.assign(new Error(`Bad handler ${spec}: missing module or function name`), { name: "Runtime.MalformedHandlerName" });
  const modulePath = spec.slice(0, dot);
  const exportPath = spec.slice(dot + 1).split(".");
  let file;
  for (const dir of [root, path.join(process.env.NIMBUS_LAMBDA_OPT ?? "/opt", "nodejs")]) {
    for (const ext of [".js", ".mjs", ".cjs"]) {
      const candidate = path.resolve(dir, modulePath + ext);
      if (existsSync(candidate)) {
        file = candidate;
        break;
      }
    }
    if (file) break;
  }
  if (!file) throw Object.assign(new Error(`Cannot find module '${modulePath}'\nRequire stack:\n- ${import.meta.url}`), { name: "Runtime.ImportModuleError" });
  let mod;
  try {
    mod = file.endsWith(".cjs") ? createRequire(import.meta.url)(file) : await import(pathToFileURL(file).href);
  } catch (e) {
    if (e && e.code === "ERR_REQUIRE_ESM") mod = await import(pathToFileURL(file).href);
    else throw Object.assign(e instanceof Error ? e : new Error(String(e)), { name: e?.name === "SyntaxError" ? "Runtime.UserCodeSyntaxError" : e?.name ?? "Error" });
  }
  let fn = mod;
  for (const part of exportPath) fn = fn?.[part] ?? (fn?.default ? fn.default[part] : undefined);
  if (typeof fn !== "function") throw Object.assign(new Error(`${modulePath}.${exportPath.join(".")} is undefined or not exported`), { name: "Runtime.HandlerNotFound" });
  return fn;
}

let handler;
try {
  handler = await loadHandler();
} catch (e) {
  const err = serializeError(e);
  console.error(`${new Date().toISOString()}\tundefined\tERROR\tUncaught Exception \t${JSON.stringify(err)}`);
  await request("POST", "/init/error", JSON.stringify(err), { "Lambda-Runtime-Function-Error-Type": err.errorType });
  process.exit(1);
}

for (;;) {
  const next = await request("GET", "/invocation/next");
  const h = next.headers;
  const id = String(h["lambda-runtime-aws-request-id"]);
  const deadline = Number(h["lambda-runtime-deadline-ms"]);
  currentRequestId = id;
  process.env._X_AMZN_TRACE_ID = String(h["lambda-runtime-trace-id"] ?? "");
  const context = {
    awsRequestId: id,
    invokedFunctionArn: String(h["lambda-runtime-invoked-function-arn"]),
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    clientContext: h["lambda-runtime-client-context"] ? JSON.parse(String(h["lambda-runtime-client-context"])) : undefined,
    identity: h["lambda-runtime-cognito-identity"] ? JSON.parse(String(h["lambda-runtime-cognito-identity"])) : undefined,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: undefined,
    succeed: undefined,
    fail: undefined,
  };
  let event;
  try {
    event = JSON.parse(next.body.toString("utf8") || "null");
  } catch {
    event = next.body.toString("utf8");
  }
  if (handler[STREAMING] === "response") {
    await runStreaming(id, event, context);
    continue;
  }
  let outcome;
  try {
    const value = await new Promise((resolve, reject) => {
      const callback = (err, result) => (err !== undefined && err !== null ? reject(err) : resolve(result));
      context.done = callback;
      context.succeed = (result) => resolve(result);
      context.fail = (err) => reject(err);
      const returned = handler(event, context, callback);
      if (returned && typeof returned.then === "function") returned.then(resolve, reject);
      else if (handler.length < 3) resolve(returned);
    });
    outcome = { ok: true, body: value === undefined ? "null" : JSON.stringify(value) };
  } catch (e) {
    const err = serializeError(e);
    console.error(`Invoke Error \t${JSON.stringify(err)}`);
    outcome = { ok: false, body: JSON.stringify(err), type: err.errorType };
  }
  if (outcome.ok) await request("POST", `/invocation/${id}/response`, outcome.body);
  else await request("POST", `/invocation/${id}/error`, outcome.body, { "Lambda-Runtime-Function-Error-Type": outcome.type });
}
