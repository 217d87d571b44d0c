// Nimbus's bootstrap for the nodejs* runtimes: speaks the Lambda Runtime API
// (AWS_LAMBDA_RUNTIME_API) like AWS's own Node runtime interface client does, so a handler
// behaves as on AWS: `file.export` resolution (.js, .mjs, .cjs, ESM or CommonJS), async handlers
// and callbacks, the context object, console lines tagged with the request id, and errors
// serialized as {errorType, errorMessage, trace}.
import http from "node:http";
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
