/**
 * Asynchronous invocation: events (Invoke with InvocationType Event, and deliveries on the bus
 * from S3, SNS, EventBridge, ...) are written to the persistent `event-queue` table first, then
 * run. A failed event is retried twice, one minute and then two minutes later by the injected
 * clock, and then sent to the function's dead-letter target (DeadLetterConfig) through the bus.
 */
import { randomUUID } from "node:crypto";
import type { ServiceRuntime } from "../../core/service.js";
import type { Delivery } from "../../core/bus.js";
import type { MetadataStore, Scope } from "../../storage/types.js";
import { Executor } from "./environments.js";
import { SqsPoller } from "./event-source-mappings.js";
import { StreamPoller } from "./stream-mappings.js";
import { functionArn, queueKey, tables, versionKey, aliasKey, type QueuedEvent, type FunctionRecord, type PolicyStatement } from "./store.js";

const RETRY_DELAYS_MS = [60_000, 120_000];

interface Worker {
  runtime: ServiceRuntime;
  executor: Executor;
  endpoint: string;
  running: boolean;
  again: boolean;
  /** The sweep `kick` started, while it runs. */
  sweeping?: Promise<void>;
  timer: NodeJS.Timeout;
  off: () => void;
  inflight: Set<Promise<void>>;
  poller?: SqsPoller;
  streamPoller?: StreamPoller;
}

const workers = new WeakMap<MetadataStore, Worker>();

export function setLambdaEndpoint(metadata: MetadataStore, endpoint: string): void {
  const w = workers.get(metadata);
  if (w) w.endpoint = endpoint;
}

/** The endpoint functions are told to call (the last one a request arrived on). */
export function lambdaEndpoint(metadata: MetadataStore): string {
  return workers.get(metadata)?.endpoint ?? process.env.NIMBUS_ENDPOINT ?? "http://127.0.0.1:4566";
}

export function executorOf(metadata: MetadataStore): Executor | undefined {
  return workers.get(metadata)?.executor;
}

export function startLambdaWorker(runtime: ServiceRuntime, root: string): Worker {
  const worker: Worker = {
    runtime,
    executor: new Executor(runtime, root),
    endpoint: process.env.NIMBUS_ENDPOINT ?? "http://127.0.0.1:4566",
    running: false,
    again: false,
    timer: setInterval(() => kick(worker), 1000),
    off: runtime.clock.onAdvance(() => kick(worker)),
    inflight: new Set(),
  };
  worker.timer.unref();
  worker.poller = new SqsPoller(runtime, worker.executor, () => worker.endpoint);
  worker.streamPoller = new StreamPoller(runtime, worker.executor, () => worker.endpoint);
  workers.set(runtime.storage.metadata, worker);
  return worker;
}

export async function stopLambdaWorker(runtime: ServiceRuntime): Promise<void> {
  const w = workers.get(runtime.storage.metadata);
  if (!w) return;
  clearInterval(w.timer);
  w.off();
  w.poller?.stop();
  w.streamPoller?.stop();
  await w.executor.stop();
  await Promise.allSettled([...w.inflight]);
  workers.delete(runtime.storage.metadata);
}

/** Wait until the queue holds nothing due and nothing runs (tests). */
export async function drainLambdaQueue(metadata: MetadataStore): Promise<void> {
  const w = workers.get(metadata);
  if (!w) return;
  for (let i = 0; i < 200; i++) {
    // A sweep started by a timer or a clock advance may have claimed rows it has not started yet.
    while (w.sweeping) await w.sweeping;
    await sweep(w);
    if (w.poller) {
      await w.poller.poll();
      while (!w.poller.idle()) await new Promise((r) => setTimeout(r, 10));
    }
    if (w.streamPoller) {
      await w.streamPoller.poll();
      while (!w.streamPoller.idle()) await new Promise((r) => setTimeout(r, 10));
    }
    if (w.inflight.size === 0) {
      await w.executor.flushLogs();
      return;
    }
    await Promise.allSettled([...w.inflight]);
  }
}

export async function enqueueEvent(metadata: MetadataStore, scope: Scope, event: QueuedEvent, nowMs: number, endpoint?: string): Promise<void> {
  await tables(metadata, scope).queue.put(queueKey(nowMs, event.requestId), event);
  const w = workers.get(metadata);
  if (w) {
    if (endpoint) w.endpoint = endpoint;
    kick(w);
  }
}

function kick(w: Worker): void {
  if (w.running) {
    w.again = true;
    return;
  }
  w.running = true;
  w.sweeping = sweep(w)
    .catch((e: unknown) => w.runtime.logger.warn(`lambda event queue: ${String(e)}`))
    .finally(() => {
      w.running = false;
      w.sweeping = undefined;
      if (w.again) {
        w.again = false;
        kick(w);
      }
    });
}

async function sweep(w: Worker): Promise<void> {
  const metadata = w.runtime.storage.metadata;
  const now = w.runtime.clock.nowMs();
  for (const scope of await metadata.scopes("lambda", "event-queue")) {
    const due = await tables(metadata, scope).queue.list({ before: queueKey(now + 1, ""), limit: 100 });
    for (const row of due) {
      // Claim the row: only the caller whose delete succeeds runs it.
      if (!(await tables(metadata, scope).queue.delete(row.key))) continue;
      const run = runEvent(w, scope, row.value).catch((e: unknown) => w.runtime.logger.warn(`lambda async invoke: ${String(e)}`));
      w.inflight.add(run);
      void run.finally(() => w.inflight.delete(run));
    }
  }
}

async function runEvent(w: Worker, scope: Scope, event: QueuedEvent): Promise<void> {
  const metadata = w.runtime.storage.metadata;
  const t = tables(metadata, scope);
  const rec = await t.functions.get(event.functionName);
  if (!rec) return;
  let config = rec.config;
  let code = rec.code;
  let version = "$LATEST";
  if (event.qualifier && event.qualifier !== "$LATEST") {
    const v = /^\d+$/.test(event.qualifier) ? event.qualifier : (await t.aliases.get(aliasKey(event.functionName, event.qualifier)))?.FunctionVersion;
    if (v && v !== "$LATEST") {
      const stored = await t.versions.get(versionKey(event.functionName, v));
      if (!stored) return;
      config = stored.config;
      code = stored.code;
      version = v;
    }
  }
  const eic = (await eventInvokeConfigs(metadata, scope).get(eicKey(event.functionName, event.qualifier))) ?? (event.qualifier ? await eventInvokeConfigs(metadata, scope).get(eicKey(event.functionName)) : undefined);
  const maxRetries = eic?.MaximumRetryAttempts ?? 2;
  const maxAgeMs = (eic?.MaximumEventAgeInSeconds ?? 21_600) * 1000;
  const requestPayload = Buffer.from(event.payload, "base64").toString("utf8");
  const record = (condition: string, responsePayload: string | undefined, functionError?: string) => ({
    version: "1.0",
    timestamp: new Date(w.runtime.clock.nowMs()).toISOString(),
    requestContext: { requestId: event.requestId, functionArn: functionArn(scope, event.functionName, event.qualifier ?? "$LATEST"), condition, approximateInvokeCount: event.attempts + 1 },
    requestPayload: parseOr(requestPayload),
    responseContext: { statusCode: 200, executedVersion: version, ...(functionError ? { functionError } : {}) },
    ...(responsePayload !== undefined ? { responsePayload: parseOr(responsePayload) } : {}),
  });
  const destination = async (arn: string | undefined, body: unknown) => {
    if (!arn) return;
    await w.runtime.bus
      .deliver(arn, { body: JSON.stringify(body), sender: { servicePrincipal: "lambda.amazonaws.com", account: scope.account, sourceArn: functionArn(scope, event.functionName) } })
      .catch((e: unknown) => w.runtime.logger.warn(`lambda destination ${arn}: ${String(e)}`));
  };
  if (w.runtime.clock.nowMs() - event.enqueuedMs > maxAgeMs) {
    await destination(eic?.DestinationConfig?.OnFailure?.Destination, record("EventAgeExceeded", undefined));
    return;
  }
  let failure: { type: string; message: string; payload?: string } | undefined;
  try {
    const result = await w.executor.invoke({
      scope,
      config,
      code,
      version,
      invokedArn: functionArn(scope, event.functionName, event.qualifier),
      payload: Buffer.from(event.payload, "base64"),
      ...(rec.reservedConcurrency !== undefined ? { reservedConcurrency: rec.reservedConcurrency } : {}),
      endpoint: w.endpoint,
      requestId: event.attempts === 0 ? event.requestId : randomUUID(),
    });
    if (result.functionError) {
      let parsed: { errorType?: string; errorMessage?: string } = {};
      try {
        parsed = JSON.parse(result.payload.toString("utf8")) as typeof parsed;
      } catch {
        /* a non-JSON error body keeps the generic type */
      }
      failure = { type: parsed.errorType ?? "Unhandled", message: parsed.errorMessage ?? result.payload.toString("utf8"), payload: result.payload.toString("utf8") };
    } else {
      await destination(eic?.DestinationConfig?.OnSuccess?.Destination, record("Success", result.payload.toString("utf8")));
    }
  } catch (e) {
    // Throttled: AWS keeps retrying throttled events for up to six hours; Nimbus retries on the same schedule as errors.
    failure = { type: (e as { code?: string }).code ?? "ServiceException", message: (e as Error).message };
  }
  if (!failure) return;
  if (event.attempts < Math.min(maxRetries, RETRY_DELAYS_MS.length)) {
    const due = w.runtime.clock.nowMs() + RETRY_DELAYS_MS[event.attempts]!;
    await t.queue.put(queueKey(due, event.requestId), { ...event, attempts: event.attempts + 1 });
    return;
  }
  await destination(eic?.DestinationConfig?.OnFailure?.Destination, record("RetriesExhausted", failure.payload, "Unhandled"));
  const dlq = config.DeadLetterConfig?.TargetArn;
  if (dlq) {
    await w.runtime.bus
      .deliver(dlq, {
        body: requestPayload,
        attributes: {
          RequestID: { DataType: "String", StringValue: event.requestId },
          ErrorCode: { DataType: "Number", StringValue: "200" },
          ErrorMessage: { DataType: "String", StringValue: failure.message.slice(0, 1000) },
        },
        sender: { servicePrincipal: "lambda.amazonaws.com", account: scope.account, sourceArn: functionArn(scope, event.functionName) },
      })
      .catch((e: unknown) => w.runtime.logger.warn(`lambda dead-letter delivery to ${dlq}: ${String(e)}`));
  }
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface EventInvokeConfig {
  FunctionArn: string;
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
  DestinationConfig?: { OnSuccess?: { Destination?: string }; OnFailure?: { Destination?: string } };
  LastModified: number;
}

export const eicKey = (name: string, qualifier?: string) => name + "\u0000" + (qualifier ?? "");
export const eventInvokeConfigs = (metadata: MetadataStore, scope: Scope) => metadata.table<EventInvokeConfig>(scope, "event-invoke-configs");

/** Whether a resource policy statement lets this service sender invoke the function. */
function statementAllows(s: PolicyStatement, fnArn: string, delivery: Delivery): boolean {
  const principal = s.Principal;
  const service = delivery.sender.servicePrincipal;
  const principalOk = principal === "*" || (typeof principal === "object" && "Service" in principal && principal.Service === service);
  if (!principalOk) return false;
  if (!["lambda:InvokeFunction", "lambda:*", "*"].includes(s.Action)) return false;
  if (s.Resource !== fnArn && !fnArn.startsWith(s.Resource + ":") && s.Resource !== fnArn.replace(/:[^:]+$/, "")) {
    if (s.Resource !== fnArn) return false;
  }
  for (const [op, pairs] of Object.entries(s.Condition ?? {})) {
    for (const [key, expected] of Object.entries(pairs)) {
      const k = key.toLowerCase();
      const actual = k === "aws:sourcearn" ? delivery.sender.sourceArn : k === "aws:sourceaccount" ? delivery.sender.account : undefined;
      if (actual === undefined) return false;
      const like = op === "ArnLike" || op === "StringLike";
      const ok = like ? new RegExp(`^${expected.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\?/g, ".")).join(".*")}$`).test(actual) : actual === expected;
      if (!ok) return false;
    }
  }
  return true;
}

/** The `lambda` bus target: an asynchronous invocation, if the function's policy allows the sender. */
export function lambdaBusTarget(runtime: ServiceRuntime) {
  return async (arn: string, delivery: Delivery) => {
    const m = /^arn:aws[a-zA-Z-]*:lambda:([^:]+):(\d{12}):function:([a-zA-Z0-9-_]+)(?::([a-zA-Z0-9-_$]+))?$/.exec(arn);
    if (!m) throw new Error(`Not a function ARN: ${arn}`);
    const scope: Scope = { account: m[2]!, region: m[1]!, service: "lambda" };
    const rec: FunctionRecord | undefined = await tables(runtime.storage.metadata, scope).functions.get(m[3]!);
    if (!rec) throw new Error(`Function not found: ${arn}`);
    const sameAccountCaller = !delivery.sender.servicePrincipal && delivery.sender.account === scope.account;
    if (!sameAccountCaller && !(rec.policy ?? []).some((s) => statementAllows(s, arn, delivery))) {
      throw new Error(`The resource policy of ${arn} does not allow ${delivery.sender.servicePrincipal ?? delivery.sender.account} to invoke it`);
    }
    const requestId = randomUUID();
    const now = runtime.clock.nowMs();
    await enqueueEvent(runtime.storage.metadata, scope, { requestId, functionName: m[3]!, ...(m[4] ? { qualifier: m[4] } : {}), payload: Buffer.from(delivery.body, "utf8").toString("base64"), attempts: 0, enqueuedMs: now }, now);
    return { messageId: requestId };
  };
}
