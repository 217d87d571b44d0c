/**
 * SNS fan-out: one published message to every confirmed subscription of its topic whose filter
 * policy lets it through, in the form each protocol gets (the JSON envelope, raw, the Lambda
 * event, an email), through the delivery bus for SQS and Lambda, real POSTs for HTTP(S) with
 * retries on the injected clock per the delivery policy, the SES mailbox for email, and the SMS
 * log. Also sends subscription confirmations.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { MetadataStore } from "../../storage/types.js";
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import type { DeliveryAttribute, DeliveryBus } from "../../core/bus.js";
import { deliver as sesDeliver } from "../ses/sending.js";
import { publishMetric } from "../cloudwatch/store.js";
import { filterMatches, parseFilterPolicy, type PolicyScope } from "./filter-policy.js";
import { certPath, sign, signingKey, stringToSign } from "./signing.js";
import { cachedSubscriptions, snsScope, snsTables, type SmsRecord, type SubscriptionRecord, type TopicRecord } from "./store.js";

export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}

export interface SnsMessage {
  messageId: string;
  topic: TopicRecord;
  /** The message for protocols without their own (MessageStructure json: the `default`). */
  message: string;
  /** MessageStructure json: per-protocol messages. */
  perProtocol?: Record<string, string>;
  subject?: string;
  attributes?: Record<string, MessageAttribute>;
  groupId?: string;
  dedupId?: string;
  sequenceNumber?: string;
  timestamp: string;
}

export interface SnsEnv {
  metadata: MetadataStore;
  clock: Clock;
  logger: Logger;
  bus: DeliveryBus;
}

// ---- per-instance state: HTTP retries on the clock ----------------------------------------------

interface PendingRetry {
  due: number;
  run: () => Promise<void>;
}

interface MetricAccumulator {
  account: string;
  region: string;
  topicName: string;
  name: string;
  unit: string;
  n: number;
  sum: number;
  min: number;
  max: number;
}

export class SnsRuntimeState {
  private retries: PendingRetry[] = [];
  /** AWS/SNS metrics gathered since the last flush (one statistic set per topic and metric). */
  private metrics = new Map<string, MetricAccumulator>();
  private flushing: Promise<void> | undefined;
  private lastSweep = 0;
  private timer: NodeJS.Timeout | undefined;
  private offAdvance: (() => void) | undefined;
  private stopped = false;
  /** FIFO topics: publishes run one after another per topic so sequence numbers follow delivery order. */
  readonly fifoChains = new Map<string, Promise<unknown>>();
  /** Delivery counters (for tests and the benchmark). */
  readonly stats = { delivered: 0, failed: 0, filtered: 0, retried: 0 };

  constructor(readonly env: SnsEnv) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
    this.offAdvance = this.env.clock.onAdvance(() => this.tick());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.offAdvance?.();
    this.retries = [];
    await this.flushMetrics().catch(() => undefined);
  }

  /** Count an AWS/SNS metric for a topic (published to CloudWatch on the next tick). */
  metric(topic: TopicRecord, name: string, value = 1, unit = "Count"): void {
    const [, , , region, account] = topic.arn.split(":");
    const key = `${topic.arn}\0${name}`;
    const m = this.metrics.get(key);
    if (m) {
      m.n++;
      m.sum += value;
      m.min = Math.min(m.min, value);
      m.max = Math.max(m.max, value);
    } else this.metrics.set(key, { account: account!, region: region!, topicName: topic.name, name, unit, n: 1, sum: value, min: value, max: value });
  }

  flushMetrics(): Promise<void> {
    if (this.metrics.size === 0) return this.flushing ?? Promise.resolve();
    const batch = [...this.metrics.values()];
    this.metrics.clear();
    const now = this.env.clock.nowMs();
    const run = async () => {
      for (const m of batch) {
        await publishMetric(
          this.env.metadata,
          { account: m.account, region: m.region },
          "AWS/SNS",
          m.name,
          [{ Name: "TopicName", Value: m.topicName }],
          { SampleCount: m.n, Sum: m.sum, Minimum: m.min, Maximum: m.max },
          m.unit,
          now,
        );
      }
    };
    const p = (this.flushing ?? Promise.resolve()).then(run).catch((e: unknown) => this.env.logger.warn(`sns: metrics: ${String(e)}`));
    this.flushing = p;
    return p;
  }

  schedule(delayMs: number, run: () => Promise<void>): void {
    if (this.stopped) return;
    this.retries.push({ due: this.env.clock.nowMs() + delayMs, run });
    if (delayMs === 0) queueMicrotask(() => this.tick());
  }

  /** Run the retries that are due now. */
  tick(): void {
    if (this.stopped) return;
    void this.flushMetrics();
    const nowMs = this.env.clock.nowMs();
    if (nowMs - this.lastSweep >= 60_000) {
      this.lastSweep = nowMs;
      void expireUnconfirmed(this.env.metadata, nowMs).catch((e: unknown) => this.env.logger.warn(`sns: expiring subscriptions: ${String(e)}`));
    }
    if (this.retries.length === 0) return;
    const now = this.env.clock.nowMs();
    const due = this.retries.filter((r) => r.due <= now);
    if (due.length === 0) return;
    this.retries = this.retries.filter((r) => r.due > now);
    for (const r of due) void r.run().catch((e: unknown) => this.env.logger.warn(`sns: retry failed: ${String(e)}`));
  }

  get pendingRetries(): number {
    return this.retries.length;
  }
}

/** Unconfirmed subscriptions go away when their confirmation token expires (3 days), as on AWS. */
async function expireUnconfirmed(metadata: MetadataStore, nowMs: number): Promise<void> {
  for (const scope of await metadata.scopes("sns", "tokens")) {
    const expired = (await snsTables(metadata, scope).tokens.list()).filter((e) => e.value.expires < nowMs);
    if (expired.length === 0) continue;
    await metadata.transaction(async (tx) => {
      const tt = snsTables(tx, scope);
      for (const e of expired) {
        await tt.tokens.delete(e.key);
        const sub = await tt.subscriptions.get(e.value.subscriptionArn);
        if (sub?.pending) await tt.subscriptions.delete(sub.arn);
      }
    });
  }
}

const states = new WeakMap<DeliveryBus, SnsRuntimeState>();
export function stateFor(env: SnsEnv): SnsRuntimeState {
  let s = states.get(env.bus);
  if (!s) {
    s = new SnsRuntimeState(env);
    states.set(env.bus, s);
  }
  return s;
}
export async function dropState(bus: DeliveryBus): Promise<void> {
  const s = states.get(bus);
  states.delete(bus);
  await s?.stop();
}

// ---- delivery policy -----------------------------------------------------------------------------

export interface RetryPolicy {
  minDelayTarget: number;
  maxDelayTarget: number;
  numRetries: number;
  numMaxDelayRetries: number;
  numNoDelayRetries: number;
  numMinDelayRetries: number;
  backoffFunction: string;
}

export const DEFAULT_HTTP_RETRY: RetryPolicy = {
  minDelayTarget: 20,
  maxDelayTarget: 20,
  numRetries: 3,
  numMaxDelayRetries: 0,
  numNoDelayRetries: 0,
  numMinDelayRetries: 0,
  backoffFunction: "linear",
};

export const defaultEffectiveDeliveryPolicy = () =>
  JSON.stringify({ http: { defaultHealthyRetryPolicy: DEFAULT_HTTP_RETRY, disableSubscriptionOverrides: false, defaultRequestPolicy: { headerContentType: "text/plain; charset=UTF-8" } } });

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The subscription's HTTP retry policy and content type: its own unless the topic forbids overrides. */
export function effectivePolicy(topic: TopicRecord, sub: SubscriptionRecord): { retry: RetryPolicy; contentType: string } {
  const topicHttp = parseJson(topic.attributes.DeliveryPolicy)?.http as Record<string, unknown> | undefined;
  const subPolicy = parseJson(sub.attributes.DeliveryPolicy);
  let retry = { ...DEFAULT_HTTP_RETRY, ...((topicHttp?.defaultHealthyRetryPolicy as Partial<RetryPolicy> | undefined) ?? {}) };
  let contentType = ((topicHttp?.defaultRequestPolicy as Record<string, string> | undefined)?.headerContentType as string | undefined) ?? "text/plain; charset=UTF-8";
  if (subPolicy && topicHttp?.disableSubscriptionOverrides !== true) {
    retry = { ...retry, ...((subPolicy.healthyRetryPolicy as Partial<RetryPolicy> | undefined) ?? {}) };
    contentType = ((subPolicy.requestPolicy as Record<string, string> | undefined)?.headerContentType as string | undefined) ?? contentType;
  }
  return { retry, contentType };
}

/** Seconds to wait before retry number `n` (1-based), following the policy's four phases. */
export function retryDelay(p: RetryPolicy, n: number): number | undefined {
  if (n > p.numRetries) return undefined;
  if (n <= p.numNoDelayRetries) return 0;
  if (n <= p.numNoDelayRetries + p.numMinDelayRetries) return p.minDelayTarget;
  const backoff = p.numRetries - p.numNoDelayRetries - p.numMinDelayRetries - p.numMaxDelayRetries;
  const i = n - p.numNoDelayRetries - p.numMinDelayRetries;
  if (i > backoff) return p.maxDelayTarget;
  if (backoff <= 1) return p.maxDelayTarget;
  const f = i / backoff;
  const span = p.maxDelayTarget - p.minDelayTarget;
  switch (p.backoffFunction) {
    case "exponential":
      return Math.round(p.minDelayTarget + span * (Math.pow(2, f * 4) - 1) / 15);
    case "geometric":
      return Math.round(p.minDelayTarget + span * f * f);
    case "arithmetic":
      return Math.round(p.minDelayTarget + span * ((f * (f + 1)) / 2) * (2 / (1 + 1)) * f);
    default:
      return Math.round(p.minDelayTarget + span * f);
  }
}

/** Validate a DeliveryPolicy attribute (topic or subscription form); returns an error text or undefined. */
export function deliveryPolicyProblem(text: string, kind: "topic" | "subscription"): string | undefined {
  const v = parseJson(text);
  if (!v) return "DeliveryPolicy: failed to parse JSON";
  const retry = (kind === "topic" ? ((v.http as Record<string, unknown> | undefined)?.defaultHealthyRetryPolicy as Record<string, unknown> | undefined) : (v.healthyRetryPolicy as Record<string, unknown> | undefined)) ?? undefined;
  if (kind === "topic" && v.http === undefined && Object.keys(v).length > 0 && !Object.keys(v).every((k) => ["http", "https", "sqs", "lambda", "firehose", "application", "sms"].includes(k))) {
    return `DeliveryPolicy: Unsupported protocol ${Object.keys(v).join(",")}`;
  }
  if (!retry) return undefined;
  const num = (k: string, lo: number, hi: number) => {
    const x = retry[k];
    if (x === undefined) return undefined;
    if (typeof x !== "number" || !Number.isInteger(x) || x < lo || x > hi) return `DeliveryPolicy: ${k} must be an integer between ${lo} and ${hi}`;
    return undefined;
  };
  const problem =
    num("numRetries", 0, 100) ??
    num("minDelayTarget", 1, 3600) ??
    num("maxDelayTarget", 1, 3600) ??
    num("numNoDelayRetries", 0, 100) ??
    num("numMinDelayRetries", 0, 100) ??
    num("numMaxDelayRetries", 0, 100);
  if (problem) return problem;
  const min = (retry.minDelayTarget as number | undefined) ?? 20;
  const max = (retry.maxDelayTarget as number | undefined) ?? 20;
  if (min > max) return "DeliveryPolicy: minDelayTarget must be less than or equal to maxDelayTarget";
  const total = (retry.numRetries as number | undefined) ?? 3;
  const parts = ((retry.numNoDelayRetries as number | undefined) ?? 0) + ((retry.numMinDelayRetries as number | undefined) ?? 0) + ((retry.numMaxDelayRetries as number | undefined) ?? 0);
  if (parts > total) return "DeliveryPolicy: numRetries must be greater than or equal to numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries";
  if (retry.backoffFunction !== undefined && !["linear", "arithmetic", "geometric", "exponential"].includes(String(retry.backoffFunction))) {
    return `DeliveryPolicy: backoffFunction must be one of linear, arithmetic, geometric, exponential`;
  }
  return undefined;
}

// ---- envelope and signatures -----------------------------------------------------------------------

const filterCache = new Map<string, Record<string, never>>();
function compiledFilter(text: string, scope: PolicyScope) {
  const key = scope + "\0" + text;
  let p = filterCache.get(key);
  if (!p) {
    p = parseFilterPolicy(text, scope) as Record<string, never>;
    if (filterCache.size > 10_000) filterCache.clear();
    filterCache.set(key, p);
  }
  return p;
}

export const unsubscribeUrl = (topic: TopicRecord, subArn: string) => `${topic.endpoint}/_nimbus/sns/unsubscribe?SubscriptionArn=${encodeURIComponent(subArn)}`;
export const subscribeUrl = (topic: TopicRecord, token: string) =>
  `${topic.endpoint}/_nimbus/sns/confirm?TopicArn=${encodeURIComponent(topic.arn)}&Token=${encodeURIComponent(token)}`;

function envelopeAttributes(attrs: Record<string, MessageAttribute> | undefined) {
  if (!attrs || Object.keys(attrs).length === 0) return undefined;
  return Object.fromEntries(
    Object.entries(attrs).map(([k, a]) => [k, { Type: a.DataType, Value: a.BinaryValue !== undefined ? Buffer.from(a.BinaryValue).toString("base64") : (a.StringValue ?? "") }]),
  );
}

/** Signs once per distinct message text (every subscription shares the signed fields). */
class Signer {
  private readonly done = new Map<string, Promise<{ signature: string; certUrl: string; version: string }>>();
  constructor(
    private readonly env: SnsEnv,
    private readonly msg: SnsMessage,
  ) {}
  get(text: string) {
    let p = this.done.get(text);
    if (!p) {
      p = (async () => {
        const key = await signingKey(this.env.metadata, this.env.clock.nowMs());
        const version = this.msg.topic.attributes.SignatureVersion === "2" ? "2" : "1";
        const signature = await sign(
          key,
          version,
          stringToSign({ Type: "Notification", Message: text, MessageId: this.msg.messageId, Subject: this.msg.subject, Timestamp: this.msg.timestamp, TopicArn: this.msg.topic.arn }),
        );
        return { signature, certUrl: `${this.msg.topic.endpoint}/_nimbus/sns/${certPath(key)}`, version };
      })();
      this.done.set(text, p);
    }
    return p;
  }
}

async function envelope(signer: Signer, msg: SnsMessage, text: string, subArn: string): Promise<Record<string, unknown>> {
  const s = await signer.get(text);
  const attrs = envelopeAttributes(msg.attributes);
  return {
    Type: "Notification",
    MessageId: msg.messageId,
    ...(msg.sequenceNumber !== undefined ? { SequenceNumber: msg.sequenceNumber } : {}),
    TopicArn: msg.topic.arn,
    ...(msg.subject !== undefined ? { Subject: msg.subject } : {}),
    Message: text,
    Timestamp: msg.timestamp,
    SignatureVersion: s.version,
    Signature: s.signature,
    SigningCertURL: s.certUrl,
    UnsubscribeURL: unsubscribeUrl(msg.topic, subArn),
    ...(attrs ? { MessageAttributes: attrs } : {}),
  };
}

const snsSender = (topic: TopicRecord) => ({ servicePrincipal: "sns.amazonaws.com", account: topic.owner, sourceArn: topic.arn });

function deliveryAttributes(attrs: Record<string, MessageAttribute> | undefined): Record<string, DeliveryAttribute> | undefined {
  if (!attrs || Object.keys(attrs).length === 0) return undefined;
  return Object.fromEntries(
    Object.entries(attrs).map(([k, a]) => [k, { DataType: a.DataType, ...(a.StringValue !== undefined ? { StringValue: a.StringValue } : {}), ...(a.BinaryValue !== undefined ? { BinaryValue: a.BinaryValue } : {}) }]),
  );
}

// ---- fan-out --------------------------------------------------------------------------------------

/** The confirmed subscriptions of a topic. */
export async function topicSubscriptions(metadata: MetadataStore, topic: TopicRecord): Promise<SubscriptionRecord[]> {
  return cachedSubscriptions(metadata, topic.arn);
}

/**
 * Deliver to every matching subscription. Deliveries inside Nimbus (SQS, Lambda, email, SMS) are
 * awaited so a Publish that returned has reached its queues; HTTP(S) runs in the background
 * with its retries.
 */
export async function fanOut(env: SnsEnv, msg: SnsMessage): Promise<void> {
  const state = stateFor(env);
  state.metric(msg.topic, "NumberOfMessagesPublished");
  state.metric(msg.topic, "PublishSize", Buffer.byteLength(msg.message, "utf8"), "Bytes");
  const subs = await topicSubscriptions(env.metadata, msg.topic);
  const signer = new Signer(env, msg);
  const work: Promise<void>[] = [];
  for (const sub of subs) {
    if (sub.pending) continue;
    const fp = sub.attributes.FilterPolicy;
    if (fp) {
      const scope = (sub.attributes.FilterPolicyScope ?? "MessageAttributes") as PolicyScope;
      if (!filterMatches(compiledFilter(fp, scope), scope, msg.message, msg.attributes)) {
        state.stats.filtered++;
        state.metric(msg.topic, "NumberOfNotificationsFilteredOut");
        continue;
      }
    }
    const text = msg.perProtocol?.[sub.protocol] ?? msg.message;
    work.push(
      deliverOne(env, state, signer, msg, sub, text).catch((e: unknown) => {
        state.stats.failed++;
        state.metric(msg.topic, "NumberOfNotificationsFailed");
        env.logger.warn(`sns: delivery to ${sub.endpoint} failed: ${String(e)}`);
      }),
    );
  }
  await Promise.all(work);
}

async function deliverOne(env: SnsEnv, state: SnsRuntimeState, signer: Signer, msg: SnsMessage, sub: SubscriptionRecord, text: string): Promise<void> {
  const raw = sub.attributes.RawMessageDelivery === "true";
  switch (sub.protocol) {
    case "sqs": {
      const body = raw ? text : JSON.stringify(await envelope(signer, msg, text, sub.arn));
      const attributes = raw ? deliveryAttributes(msg.attributes) : undefined;
      try {
        await env.bus.deliver(sub.endpoint, {
          body,
          ...(attributes ? { attributes } : {}),
          ...(msg.groupId !== undefined ? { messageGroupId: msg.groupId } : {}),
          ...(msg.groupId !== undefined ? { messageDeduplicationId: msg.dedupId ?? msg.messageId } : {}),
          ...(msg.subject !== undefined ? { subject: msg.subject } : {}),
          sender: snsSender(msg.topic),
        });
        delivered(state, msg.topic);
      } catch (e) {
        await toDeadLetter(env, state, msg, sub, body, attributes, e);
      }
      return;
    }
    case "lambda": {
      const e = await envelope(signer, msg, text, sub.arn);
      const event = {
        Records: [
          {
            EventSource: "aws:sns",
            EventVersion: "1.0",
            EventSubscriptionArn: sub.arn,
            Sns: {
              Type: "Notification",
              MessageId: msg.messageId,
              TopicArn: msg.topic.arn,
              Subject: msg.subject ?? null,
              Message: text,
              Timestamp: msg.timestamp,
              SignatureVersion: e.SignatureVersion,
              Signature: e.Signature,
              SigningCertUrl: e.SigningCertURL,
              UnsubscribeUrl: e.UnsubscribeURL,
              MessageAttributes: e.MessageAttributes ?? {},
            },
          },
        ],
      };
      const body = JSON.stringify(event);
      try {
        await env.bus.deliver(sub.endpoint, { body, sender: snsSender(msg.topic) });
        delivered(state, msg.topic);
      } catch (err) {
        await toDeadLetter(env, state, msg, sub, body, undefined, err);
      }
      return;
    }
    case "http":
    case "https": {
      const body = raw ? text : JSON.stringify(await envelope(signer, msg, text, sub.arn));
      const headers: Record<string, string> = {
        "x-amz-sns-message-type": "Notification",
        "x-amz-sns-message-id": msg.messageId,
        "x-amz-sns-topic-arn": msg.topic.arn,
        "x-amz-sns-subscription-arn": sub.arn,
        ...(raw ? { "x-amz-sns-rawdelivery": "true" } : {}),
      };
      postWithRetries(env, state, msg.topic, sub, headers, body, 0);
      return;
    }
    case "email":
    case "email-json": {
      const displayName = msg.topic.attributes.DisplayName || "AWS Notifications";
      const content =
        sub.protocol === "email-json"
          ? JSON.stringify(await envelope(signer, msg, text, sub.arn))
          : `${text}\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n${unsubscribeUrl(msg.topic, sub.arn)}\n\nPlease do not reply directly to this email. If you have any questions or comments regarding this email, please contact us at https://aws.amazon.com/support\n`;
      await sesDeliver(
        { metadata: env.metadata, account: msg.topic.owner, region: msg.topic.arn.split(":")[3]!, clock: env.clock, logger: env.logger },
        { from: `"${displayName.replace(/"/g, "")}" <no-reply@sns.amazonaws.com>`, to: [sub.endpoint], cc: [], bcc: [], subject: msg.subject ?? "AWS Notification Message", text: content },
        "sns",
      );
      delivered(state, msg.topic);
      return;
    }
    case "sms": {
      await recordSms(env.metadata, msg.topic.owner, msg.topic.arn.split(":")[3]!, {
        messageId: msg.messageId,
        phoneNumber: sub.endpoint,
        message: text,
        ...(msg.topic.attributes.DisplayName ? { senderId: msg.topic.attributes.DisplayName } : {}),
        topicArn: msg.topic.arn,
        timestamp: msg.timestamp,
      });
      delivered(state, msg.topic);
      return;
    }
    default:
      state.stats.failed++;
  }
}

/** A failed SQS/Lambda delivery goes to the subscription's dead-letter queue when it has one. */
function delivered(state: SnsRuntimeState, topic: TopicRecord): void {
  state.stats.delivered++;
  state.metric(topic, "NumberOfNotificationsDelivered");
}

async function toDeadLetter(env: SnsEnv, state: SnsRuntimeState, msg: SnsMessage, sub: SubscriptionRecord, body: string, attributes: Record<string, DeliveryAttribute> | undefined, error: unknown): Promise<void> {
  state.stats.failed++;
  state.metric(msg.topic, "NumberOfNotificationsFailed");
  env.logger.warn(`sns: delivery of ${msg.messageId} to ${sub.endpoint} failed: ${String(error)}`);
  const dlq = (parseJson(sub.attributes.RedrivePolicy)?.deadLetterTargetArn as string | undefined) ?? undefined;
  if (!dlq) return;
  try {
    await env.bus.deliver(dlq, {
      body,
      attributes: {
        ...(attributes ?? {}),
        ErrorCode: { DataType: "String", StringValue: "DeliveryFailed" },
        ErrorMessage: { DataType: "String", StringValue: String((error as Error)?.message ?? error).slice(0, 256) },
        TopicArn: { DataType: "String", StringValue: msg.topic.arn },
        SubscriptionArn: { DataType: "String", StringValue: sub.arn },
      },
      ...(msg.groupId !== undefined ? { messageGroupId: msg.groupId, messageDeduplicationId: msg.dedupId ?? msg.messageId } : {}),
      sender: snsSender(msg.topic),
    });
  } catch (e) {
    env.logger.warn(`sns: dead-letter delivery to ${dlq} failed: ${String(e)}`);
  }
}

/** POST to an HTTP(S) endpoint; 2xx is delivered, 4xx (but 429) a permanent failure, else retried per the delivery policy. */
function postWithRetries(env: SnsEnv, state: SnsRuntimeState, topic: TopicRecord, sub: SubscriptionRecord, headers: Record<string, string>, body: string, attempt: number): void {
  const { retry, contentType } = effectivePolicy(topic, sub);
  const run = async () => {
    let status = 0;
    try {
      const res = await fetch(sub.endpoint, {
        method: "POST",
        headers: { "content-type": contentType, "user-agent": "Amazon Simple Notification Service Agent", ...headers },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch {
      status = 0;
    }
    if (status >= 200 && status < 300) {
      delivered(state, topic);
      return;
    }
    const permanent = status >= 400 && status < 500 && status !== 429;
    const delay = permanent ? undefined : retryDelay(retry, attempt + 1);
    if (delay === undefined) {
      state.stats.failed++;
      state.metric(topic, "NumberOfNotificationsFailed");
      env.logger.warn(`sns: delivery to ${sub.endpoint} failed after ${attempt + 1} attempt(s) (status ${status || "no response"})`);
      return;
    }
    state.stats.retried++;
    state.schedule(delay * 1000, async () => postWithRetries(env, state, topic, sub, headers, body, attempt + 1));
  };
  void run();
}

// ---- confirmations, SMS -------------------------------------------------------------------------

/** A fresh confirmation token (AWS's are long hex strings). */
export const newToken = () => randomBytes(64).toString("hex");

/** Send the SubscriptionConfirmation for a pending http(s)/email(-json) subscription. */
export async function sendConfirmation(env: SnsEnv, topic: TopicRecord, sub: SubscriptionRecord, token: string): Promise<void> {
  const state = stateFor(env);
  const key = await signingKey(env.metadata, env.clock.nowMs());
  const version = topic.attributes.SignatureVersion === "2" ? "2" : "1";
  const m = {
    Type: "SubscriptionConfirmation",
    MessageId: randomUUID(),
    Token: token,
    TopicArn: topic.arn,
    Message: `You have chosen to subscribe to the topic ${topic.arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: subscribeUrl(topic, token),
    Timestamp: env.clock.now().toISOString(),
  };
  const signed = { ...m, SignatureVersion: version, Signature: await sign(key, version, stringToSign(m)), SigningCertURL: `${topic.endpoint}/_nimbus/sns/${certPath(key)}` };
  if (sub.protocol === "http" || sub.protocol === "https") {
    postWithRetries(env, state, topic, sub, { "x-amz-sns-message-type": "SubscriptionConfirmation", "x-amz-sns-message-id": m.MessageId, "x-amz-sns-topic-arn": topic.arn }, JSON.stringify(signed), 0);
    return;
  }
  const region = topic.arn.split(":")[3]!;
  const displayName = topic.attributes.DisplayName || "AWS Notifications";
  const text =
    sub.protocol === "email-json"
      ? JSON.stringify(signed)
      : `You have chosen to subscribe to the topic: \n${topic.arn}\n\nTo confirm this subscription, click or visit the link below (If this was in error no action is necessary):\nConfirm subscription: ${m.SubscribeURL}\n\nPlease do not reply directly to this email. If you wish to remove yourself from receiving all future SNS subscription confirmation requests please send an email to sns-opt-out\n`;
  await sesDeliver(
    { metadata: env.metadata, account: topic.owner, region, clock: env.clock, logger: env.logger },
    { from: `"${displayName.replace(/"/g, "")}" <no-reply@sns.amazonaws.com>`, to: [sub.endpoint], cc: [], bcc: [], subject: "AWS Notification - Subscription Confirmation", text },
    "sns",
  );
}

export async function recordSms(metadata: MetadataStore, account: string, region: string, r: Omit<SmsRecord, "account" | "region">): Promise<void> {
  const key = String(Date.parse(r.timestamp)).padStart(15, "0") + "-" + r.messageId;
  await snsTables(metadata, snsScope(account, region)).sms.put(key, { ...r, account, region });
}

/** Content-based deduplication id: SHA-256 of the message body. */
export const contentDedupId = (message: string) => createHash("sha256").update(message, "utf8").digest("hex");
