/**
 * Amazon SNS handlers: standard and FIFO topics (attributes validated as AWS does, tags,
 * permissions), subscriptions for sqs, lambda, http, https, email, email-json and sms (pending
 * confirmation for http(s) and email, ConfirmSubscription, attributes with filter policies,
 * raw delivery, redrive and delivery policies), Publish and PublishBatch (message attributes,
 * MessageStructure json, subjects, FIFO groups and deduplication, direct SMS), fanned out by
 * ./delivery.ts with signatures from ./signing.ts.
 *
 * ## Gaps
 * - Mobile push (platform applications and endpoints, `application` subscriptions) and
 *   `firehose` subscriptions answer 501; SMS sandbox and origination numbers too.
 * - Data protection policies are stored and returned, not applied.
 * - SQS and Lambda deliveries that fail are not retried: they go to the subscription's
 *   dead-letter queue at once (AWS retries managed endpoints for days first). HTTP retries live
 *   in memory: a restart drops the retries still waiting.
 * - Unconfirmed subscriptions are removed when their token expires (3 days), checked once a
 *   minute of clock time; confirmed subscriptions keep their (expired) token rows until then.
 * - AWS/SNS metrics: NumberOfMessagesPublished, PublishSize, NumberOfNotificationsDelivered,
 *   NumberOfNotificationsFailed and NumberOfNotificationsFilteredOut per TopicName (published to
 *   CloudWatch about once a second); the SMS and redrive metrics are not produced.
 *
 * ## By design
 * - SubscribeURL and UnsubscribeURL point at Nimbus (`/_nimbus/sns/confirm`, `/_nimbus/sns/unsubscribe`),
 *   and SigningCertURL at the data directory's certificate under `/_nimbus/sns/`.
 * - Email and email-json deliveries land in the SES mailbox (`GET /_nimbus/ses/messages`); SMS in
 *   `GET /_nimbus/sns/sms`.
 * - A Publish returns once SQS, Lambda, email and SMS deliveries are done (AWS returns first and
 *   delivers within milliseconds); HTTP deliveries run in the background.
 *
 * ## Client quirks
 * - Attribute values are returned as strings, booleans as "true"/"false", as AWS does.
 */
import { randomUUID } from "node:crypto";
import type { SnsOperations } from "../../generated/sns.js";
import type { RequestContext } from "../../core/service.js";
import { CommonErrors, ServiceError } from "../../core/errors.js";
import { parsePolicyDocument } from "../iam/policy/index.js";
import { SnsErrors } from "./errors.js";
import { FilterPolicyError, parseFilterPolicy, type PolicyScope } from "./filter-policy.js";
import {
  contentDedupId,
  defaultEffectiveDeliveryPolicy,
  deliveryPolicyProblem,
  fanOut,
  newToken,
  recordSms,
  sendConfirmation,
  stateFor,
  type MessageAttribute,
  type SnsEnv,
  type SnsMessage,
} from "./delivery.js";
import { cachedTopic, parseSubscriptionArn, parseTopicArn, snsScope, snsTables, type SubscriptionRecord, type TopicRecord } from "./store.js";

const MAX_MESSAGE_BYTES = 262_144;
const DEDUP_WINDOW_MS = 5 * 60_000;
const TOKEN_TTL_MS = 3 * 86_400_000;
const PAGE = 100;

const invalid = (message: string) => new ServiceError(SnsErrors.InvalidParameter, message);
const notFound = (message: string) => new ServiceError(SnsErrors.NotFound, message);

export const snsEnv = (ctx: RequestContext): SnsEnv => ({ metadata: ctx.storage.metadata, clock: ctx.clock, logger: ctx.logger, bus: ctx.bus });

// ---- topics -------------------------------------------------------------------------------------

export function defaultTopicPolicy(arn: string, account: string): string {
  return JSON.stringify({
    Version: "2008-10-17",
    Id: "__default_policy_ID",
    Statement: [
      {
        Sid: "__default_statement_ID",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: [
          "SNS:GetTopicAttributes",
          "SNS:SetTopicAttributes",
          "SNS:AddPermission",
          "SNS:RemovePermission",
          "SNS:DeleteTopic",
          "SNS:Subscribe",
          "SNS:ListSubscriptionsByTopic",
          "SNS:Publish",
        ],
        Resource: arn,
        Condition: { StringEquals: { "AWS:SourceOwner": account } },
      },
    ],
  });
}

/** The scope and name a topic ARN names; the region must be the request's. */
function topicRef(ctx: RequestContext, arn: string, member = "TopicArn") {
  const p = parseTopicArn(arn);
  if (!p) throw invalid(`Invalid parameter: ${member}`);
  if (p.region !== ctx.region) throw invalid(`Invalid parameter: ${member}`);
  return { scope: snsScope(p.account, p.region), name: p.name, account: p.account };
}

export async function requireTopic(ctx: RequestContext, arn: string, member = "TopicArn"): Promise<TopicRecord> {
  const ref = topicRef(ctx, arn, member);
  const t = await cachedTopic(ctx.storage.metadata, ref.scope, ref.name);
  if (!t) throw notFound("Topic does not exist");
  return t;
}

const TOPIC_ATTRIBUTES = new Set([
  "DisplayName",
  "Policy",
  "DeliveryPolicy",
  "KmsMasterKeyId",
  "FifoTopic",
  "ContentBasedDeduplication",
  "SignatureVersion",
  "TracingConfig",
  "ArchivePolicy",
  "FifoThroughputScope",
  "HTTPSuccessFeedbackRoleArn",
  "HTTPSuccessFeedbackSampleRate",
  "HTTPFailureFeedbackRoleArn",
  "SQSSuccessFeedbackRoleArn",
  "SQSSuccessFeedbackSampleRate",
  "SQSFailureFeedbackRoleArn",
  "LambdaSuccessFeedbackRoleArn",
  "LambdaSuccessFeedbackSampleRate",
  "LambdaFailureFeedbackRoleArn",
  "ApplicationSuccessFeedbackRoleArn",
  "ApplicationSuccessFeedbackSampleRate",
  "ApplicationFailureFeedbackRoleArn",
  "FirehoseSuccessFeedbackRoleArn",
  "FirehoseSuccessFeedbackSampleRate",
  "FirehoseFailureFeedbackRoleArn",
]);

function checkBoolean(name: string, value: string): void {
  if (value !== "true" && value !== "false") throw invalid(`Invalid parameter: Attributes Reason: ${name}: Invalid value [${value}]. Must be true or false.`);
}

/** Validate one topic attribute as CreateTopic/SetTopicAttributes do. */
function checkTopicAttribute(name: string, value: string, fifo: boolean, arn: string, creating: boolean): void {
  if (!TOPIC_ATTRIBUTES.has(name)) throw invalid(`Invalid parameter: AttributeName`);
  switch (name) {
    case "DisplayName":
      if (value.length > 100) throw invalid("Invalid parameter: DisplayName");
      return;
    case "Policy": {
      try {
        const doc = parsePolicyDocument(value, "resource");
        void doc;
      } catch (e) {
        throw invalid(`Invalid parameter: Policy Error: ${(e as Error).message}`);
      }
      const parsed = JSON.parse(value) as { Statement?: unknown };
      const stmts = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
      for (const s of stmts as { Resource?: string | string[] }[]) {
        const res = s?.Resource === undefined ? [] : Array.isArray(s.Resource) ? s.Resource : [s.Resource];
        for (const r of res) {
          if (r !== arn && r !== "*" && !(r.endsWith("*") && arn.startsWith(r.slice(0, -1)))) {
            throw invalid(`Invalid parameter: Policy Error: null`);
          }
        }
      }
      return;
    }
    case "DeliveryPolicy": {
      const problem = deliveryPolicyProblem(value, "topic");
      if (problem) throw invalid(`Invalid parameter: ${problem}`);
      return;
    }
    case "FifoTopic":
      checkBoolean(name, value);
      if (!creating) throw invalid("Invalid parameter: AttributeName");
      if ((value === "true") !== fifo) throw invalid("Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.");
      return;
    case "ContentBasedDeduplication":
      checkBoolean(name, value);
      if (!fifo && value === "true") throw invalid("Invalid parameter: ContentBasedDeduplication Reason: Content based deduplication can only be set for FIFO topics");
      return;
    case "SignatureVersion":
      if (value !== "1" && value !== "2") throw invalid(`Invalid parameter: SignatureVersion Reason: Invalid value [${value}] for SignatureVersion. Value must be 1 or 2`);
      return;
    case "TracingConfig":
      if (value !== "PassThrough" && value !== "Active") throw invalid(`Invalid parameter: Attributes Reason: TracingConfig: Invalid value [${value}]. Must be PassThrough or Active`);
      return;
    case "KmsMasterKeyId":
      return;
    case "FifoThroughputScope":
      if (!fifo) throw invalid("Invalid parameter: FifoThroughputScope Reason: FifoThroughputScope can only be set for FIFO topics");
      if (value !== "Topic" && value !== "MessageGroup") throw invalid(`Invalid parameter: FifoThroughputScope Reason: Invalid value [${value}]`);
      return;
    case "ArchivePolicy":
      if (!fifo) throw invalid("Invalid parameter: ArchivePolicy Reason: Message archiving can only be enabled for FIFO topics");
      return;
    default:
      if (name.endsWith("SampleRate")) {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > 100) throw invalid(`Invalid parameter: Attributes Reason: ${name}: Invalid value [${value}]. Must be an integer between 0 and 100`);
      }
  }
}

async function topicAttributes(ctx: RequestContext, t: TopicRecord): Promise<Record<string, string>> {
  const subs = (await snsTables(ctx.storage.metadata, topicRef(ctx, t.arn).scope).subscriptions.list({ prefix: t.arn + ":" })).map((e) => e.value);
  const fifo = t.attributes.FifoTopic === "true";
  const out: Record<string, string> = {
    Policy: t.attributes.Policy ?? defaultTopicPolicy(t.arn, t.owner),
    Owner: t.owner,
    SubscriptionsPending: String(subs.filter((s) => s.pending).length),
    TopicArn: t.arn,
    EffectiveDeliveryPolicy: effectiveTopicDeliveryPolicy(t),
    SubscriptionsConfirmed: String(subs.filter((s) => !s.pending).length),
    DisplayName: t.attributes.DisplayName ?? "",
    SubscriptionsDeleted: "0",
  };
  for (const [k, v] of Object.entries(t.attributes)) if (k !== "Policy" && k !== "DisplayName") out[k] = v;
  if (fifo) {
    out.FifoTopic = "true";
    out.ContentBasedDeduplication = t.attributes.ContentBasedDeduplication ?? "false";
  }
  return out;
}

function effectiveTopicDeliveryPolicy(t: TopicRecord): string {
  const given = t.attributes.DeliveryPolicy;
  if (!given) return defaultEffectiveDeliveryPolicy();
  const base = JSON.parse(defaultEffectiveDeliveryPolicy()) as { http: Record<string, unknown> };
  const mine = JSON.parse(given) as { http?: Record<string, unknown> };
  return JSON.stringify({ ...mine, http: { ...base.http, ...(mine.http ?? {}) } });
}

function checkTags(tags: { Key: string; Value: string }[]): void {
  for (const tag of tags) {
    if (tag.Key.length < 1 || tag.Key.length > 128) throw new ServiceError(SnsErrors.InvalidParameter, "Invalid parameter: Tags Reason: Tag key length must be between 1 and 128");
    if (tag.Value.length > 256) throw new ServiceError(SnsErrors.InvalidParameter, "Invalid parameter: Tags Reason: Tag value length must be at most 256");
    if (tag.Key.toLowerCase().startsWith("aws:")) throw new ServiceError(SnsErrors.InvalidParameter, "Invalid parameter: Tags Reason: Tag keys must not start with 'aws:'");
  }
}

// ---- subscriptions ------------------------------------------------------------------------------

const PROTOCOLS = new Set(["sqs", "lambda", "http", "https", "email", "email-json", "sms", "application", "firehose"]);
const E164 = /^\+[1-9]\d{1,14}$/;

function checkEndpoint(protocol: string, endpoint: string | undefined): string {
  const e = endpoint ?? "";
  switch (protocol) {
    case "sqs":
      if (!/^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[\w.-]+$/.test(e)) throw invalid("Invalid parameter: SQS endpoint ARN");
      return e;
    case "lambda":
      if (!/^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/.test(e)) throw invalid("Invalid parameter: Lambda endpoint ARN");
      return e;
    case "http":
      if (!/^http:\/\/[^\s/]+/i.test(e)) throw invalid("Invalid parameter: Endpoint must match the specified protocol");
      return e;
    case "https":
      if (!/^https:\/\/[^\s/]+/i.test(e)) throw invalid("Invalid parameter: Endpoint must match the specified protocol");
      return e;
    case "email":
    case "email-json":
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e)) throw invalid("Invalid parameter: Email address");
      return e;
    case "sms":
      {
        const n = e.replace(/[\s()-]/g, "");
        if (!E164.test(n.startsWith("+") ? n : `+${n}`)) throw invalid("Invalid SMS endpoint: " + e);
        return n.startsWith("+") ? n : `+${n}`;
      }
    default:
      return e;
  }
}

const SUB_ATTRIBUTES = new Set(["RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy", "DeliveryPolicy", "SubscriptionRoleArn", "ReplayPolicy"]);

/** Validate subscription attributes together (FilterPolicy against its scope, raw delivery per protocol). */
function checkSubscriptionAttributes(protocol: string, attrs: Record<string, string>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (!SUB_ATTRIBUTES.has(name)) throw invalid("Invalid parameter: AttributeName");
    switch (name) {
      case "RawMessageDelivery":
        if (value !== "true" && value !== "false") throw invalid("Invalid parameter: RawMessageDelivery: Invalid value [" + value + "]. Must be true or false.");
        if (value === "true" && !["sqs", "http", "https", "firehose", "lambda"].includes(protocol)) {
          throw invalid(`Invalid parameter: Delivery protocol [${protocol}] does not support raw message delivery.`);
        }
        break;
      case "FilterPolicyScope":
        if (value !== "MessageAttributes" && value !== "MessageBody") throw invalid(`Invalid parameter: FilterPolicyScope: Invalid filter policy scope: ${value}`);
        break;
      case "RedrivePolicy": {
        let v: { deadLetterTargetArn?: unknown };
        try {
          v = JSON.parse(value) as { deadLetterTargetArn?: unknown };
        } catch {
          throw invalid("Invalid parameter: RedrivePolicy: failed to parse JSON.");
        }
        if (typeof v.deadLetterTargetArn !== "string" || !/^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[\w.-]+$/.test(v.deadLetterTargetArn)) {
          throw invalid("Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn");
        }
        break;
      }
      case "DeliveryPolicy": {
        if (protocol !== "http" && protocol !== "https") throw invalid(`Invalid parameter: DeliveryPolicy: Delivery protocol [${protocol}] does not support delivery policies`);
        const problem = deliveryPolicyProblem(value, "subscription");
        if (problem) throw invalid(`Invalid parameter: ${problem}`);
        break;
      }
      case "SubscriptionRoleArn":
        if (protocol !== "firehose") throw invalid("Invalid parameter: SubscriptionRoleArn: only for firehose subscriptions");
        break;
    }
  }
  if (attrs.FilterPolicy !== undefined && attrs.FilterPolicy !== "") {
    try {
      parseFilterPolicy(attrs.FilterPolicy, (attrs.FilterPolicyScope ?? "MessageAttributes") as PolicyScope);
    } catch (e) {
      if (e instanceof FilterPolicyError) throw invalid(`Invalid parameter: FilterPolicy: ${e.message}`);
      throw e;
    }
  }
}

async function requireSubscription(ctx: RequestContext, arn: string): Promise<SubscriptionRecord> {
  const p = parseSubscriptionArn(arn);
  if (!p) throw invalid("Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1");
  const sub = await snsTables(ctx.storage.metadata, snsScope(p.account, p.region)).subscriptions.get(arn);
  if (!sub) throw notFound("Subscription does not exist");
  return sub;
}

function subscriptionAttributes(sub: SubscriptionRecord, topic: TopicRecord | undefined): Record<string, string> {
  const out: Record<string, string> = {
    Owner: sub.owner,
    RawMessageDelivery: sub.attributes.RawMessageDelivery ?? "false",
    TopicArn: sub.topicArn,
    Endpoint: sub.endpoint,
    Protocol: sub.protocol,
    PendingConfirmation: String(sub.pending),
    ConfirmationWasAuthenticated: String(sub.confirmationWasAuthenticated),
    SubscriptionArn: sub.arn,
    SubscriptionPrincipal: `arn:aws:iam::${sub.owner}:root`,
  };
  for (const [k, v] of Object.entries(sub.attributes)) out[k] = v;
  if (sub.attributes.FilterPolicy && !sub.attributes.FilterPolicyScope) out.FilterPolicyScope = "MessageAttributes";
  if ((sub.protocol === "http" || sub.protocol === "https") && topic) {
    const topicHttp = (JSON.parse(effectiveTopicDeliveryPolicy(topic)) as { http: Record<string, unknown> }).http;
    const own = sub.attributes.DeliveryPolicy ? (JSON.parse(sub.attributes.DeliveryPolicy) as Record<string, unknown>) : {};
    out.EffectiveDeliveryPolicy = JSON.stringify({
      healthyRetryPolicy: { ...(topicHttp.defaultHealthyRetryPolicy as object), ...((own.healthyRetryPolicy as object | undefined) ?? {}) },
      ...(own.throttlePolicy ? { throttlePolicy: own.throttlePolicy } : {}),
      ...(own.requestPolicy ? { requestPolicy: own.requestPolicy } : {}),
    });
  }
  return out;
}

const listed = (s: SubscriptionRecord) => ({ SubscriptionArn: s.pending ? "PendingConfirmation" : s.arn, Owner: s.owner, Protocol: s.protocol, Endpoint: s.endpoint, TopicArn: s.topicArn });

const encodeToken = (s: string) => Buffer.from(s, "utf8").toString("base64url");
function decodeToken(token: string): string {
  const s = Buffer.from(token, "base64url").toString("utf8");
  if (!s || encodeToken(s) !== token) throw invalid("Invalid parameter: NextToken");
  return s;
}

// ---- publishing -------------------------------------------------------------------------------------

const ATTRIBUTE_NAME = /^(?!aws\.|amazon\.)(?!.*\.\.)(?!\.)[A-Za-z0-9_.-]{1,256}(?<!\.)$/i;

function checkMessageAttributes(attrs: Record<string, MessageAttribute> | undefined): number {
  if (!attrs) return 0;
  let size = 0;
  for (const [name, a] of Object.entries(attrs)) {
    if (!ATTRIBUTE_NAME.test(name)) throw invalid(`Invalid parameter: MessageAttributes Reason: Invalid attribute name: ${name}`);
    const type = a.DataType;
    const base = type.split(".")[0];
    if (!["String", "Number", "Binary"].includes(base ?? "") || type.length > 256) {
      throw new ServiceError(SnsErrors.InvalidParameterValue, `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
    }
    if (base === "Binary") {
      if (a.BinaryValue === undefined) throw new ServiceError(SnsErrors.InvalidParameterValue, `The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
      size += a.BinaryValue.length;
    } else {
      if (a.StringValue === undefined) throw new ServiceError(SnsErrors.InvalidParameterValue, `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`);
      if (base === "Number") {
        const n = Number(a.StringValue);
        if (!/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(a.StringValue.trim()) || !Number.isFinite(n)) {
          throw new ServiceError(SnsErrors.InvalidParameterValue, `An error occurred while trying to convert the message attribute '${name}' value '${a.StringValue}' to a number.`);
        }
      }
      if (type.startsWith("String.Array")) {
        let ok = false;
        try {
          const v = JSON.parse(a.StringValue) as unknown;
          ok = Array.isArray(v) && v.every((x) => x === null || ["string", "number", "boolean"].includes(typeof x));
        } catch {
          ok = false;
        }
        if (!ok) throw new ServiceError(SnsErrors.InvalidParameterValue, `The message attribute '${name}' with type 'String.Array' must be a valid JSON array of strings, numbers, true, false or null.`);
      }
      size += Buffer.byteLength(a.StringValue, "utf8");
    }
    size += Buffer.byteLength(name, "utf8") + Buffer.byteLength(type, "utf8");
  }
  return size;
}

export interface PublishInput {
  Message: string;
  Subject?: string;
  MessageStructure?: string;
  MessageAttributes?: Record<string, MessageAttribute>;
  MessageDeduplicationId?: string;
  MessageGroupId?: string;
}

/** Everything Publish checks before a message is accepted; returns the parsed per-protocol messages. */
export function checkPublish(input: PublishInput, topic: TopicRecord | undefined): { defaultMessage: string; perProtocol?: Record<string, string> } {
  if (input.Message === "") throw invalid("Invalid parameter: Empty message");
  if (input.Subject !== undefined) {
    if (input.Subject === "" || input.Subject.length > 100 || !/^[\x20-\x7e]+$/.test(input.Subject)) throw invalid("Invalid parameter: Subject");
  }
  const size = Buffer.byteLength(input.Message, "utf8") + checkMessageAttributes(input.MessageAttributes);
  if (size > MAX_MESSAGE_BYTES) throw invalid("Invalid parameter: Message too long");
  let defaultMessage = input.Message;
  let perProtocol: Record<string, string> | undefined;
  if (input.MessageStructure !== undefined) {
    if (input.MessageStructure !== "json") throw invalid("Invalid parameter: MessageStructure");
    let v: unknown;
    try {
      v = JSON.parse(input.Message);
    } catch {
      throw invalid("Invalid parameter: Message Structure - JSON message body failed to parse");
    }
    if (!v || typeof v !== "object" || Array.isArray(v)) throw invalid("Invalid parameter: Message Structure - JSON message body failed to parse");
    const o = v as Record<string, unknown>;
    if (typeof o.default !== "string") throw invalid("Invalid parameter: Message Structure - No default entry in JSON message body");
    for (const [k, x] of Object.entries(o)) if (typeof x !== "string") throw invalid(`Invalid parameter: Message Structure - Value of ${k} must be a string`);
    defaultMessage = o.default;
    perProtocol = o as Record<string, string>;
  }
  if (topic) {
    const fifo = topic.attributes.FifoTopic === "true";
    if (fifo) {
      if (input.MessageGroupId === undefined) throw invalid("Invalid parameter: The MessageGroupId parameter is required for FIFO topics");
      if (input.MessageDeduplicationId === undefined && topic.attributes.ContentBasedDeduplication !== "true") {
        throw invalid("Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
      }
      for (const [member, v] of [
        ["MessageGroupId", input.MessageGroupId],
        ["MessageDeduplicationId", input.MessageDeduplicationId],
      ] as const) {
        if (v !== undefined && !/^[\x21-\x7e]{1,128}$/.test(v)) throw invalid(`Invalid parameter: ${member} Reason: ${member} can only contain alphanumeric characters and punctuation, and be at most 128 characters long`);
      }
    } else {
      if (input.MessageDeduplicationId !== undefined) {
        throw invalid("Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type");
      }
    }
  }
  return { defaultMessage, ...(perProtocol ? { perProtocol } : {}) };
}

/**
 * Accept a message for a topic and fan it out. FIFO topics: deduplicate within 5 minutes
 * (returning the first message's id and sequence number) and run one publish at a time per topic.
 */
export async function publishToTopic(env: SnsEnv, topic: TopicRecord, input: PublishInput, checked: { defaultMessage: string; perProtocol?: Record<string, string> }): Promise<{ MessageId: string; SequenceNumber?: string }> {
  const fifo = topic.attributes.FifoTopic === "true";
  const timestamp = env.clock.now().toISOString();
  if (!fifo) {
    const messageId = randomUUID();
    const msg: SnsMessage = {
      messageId,
      topic,
      message: checked.defaultMessage,
      ...(checked.perProtocol ? { perProtocol: checked.perProtocol } : {}),
      ...(input.Subject !== undefined ? { subject: input.Subject } : {}),
      ...(input.MessageAttributes ? { attributes: input.MessageAttributes } : {}),
      ...(input.MessageGroupId !== undefined ? { groupId: input.MessageGroupId } : {}),
      timestamp,
    };
    await fanOut(env, msg);
    return { MessageId: messageId };
  }
  const state = stateFor(env);
  const previous = state.fifoChains.get(topic.arn) ?? Promise.resolve();
  const run = previous.then(async () => {
    const [, , , region, account] = topic.arn.split(":");
    const scope = snsScope(account!, region!);
    const dedupId = input.MessageDeduplicationId ?? contentDedupId(input.Message);
    const now = env.clock.nowMs();
    const accepted = await env.metadata.transaction(async (tx) => {
      const tt = snsTables(tx, scope);
      const key = topic.name + "\0" + dedupId;
      const seen = await tt.dedup.get(key);
      if (seen && seen.expires > now) return { duplicate: true as const, messageId: seen.messageId, sequenceNumber: seen.sequenceNumber };
      const current = (await tt.topics.get(topic.name)) ?? topic;
      const next = (BigInt(current.sequence ?? "10000000000000000000") + 1n).toString().padStart(20, "0");
      await tt.topics.put(topic.name, { ...current, sequence: next });
      const messageId = randomUUID();
      await tt.dedup.put(key, { messageId, sequenceNumber: next, expires: now + DEDUP_WINDOW_MS });
      return { duplicate: false as const, messageId, sequenceNumber: next };
    });
    if (!accepted.duplicate) {
      await fanOut(env, {
        messageId: accepted.messageId,
        topic,
        message: checked.defaultMessage,
        ...(checked.perProtocol ? { perProtocol: checked.perProtocol } : {}),
        ...(input.Subject !== undefined ? { subject: input.Subject } : {}),
        ...(input.MessageAttributes ? { attributes: input.MessageAttributes } : {}),
        groupId: input.MessageGroupId!,
        dedupId,
        sequenceNumber: accepted.sequenceNumber,
        timestamp,
      });
    }
    return { MessageId: accepted.messageId, SequenceNumber: accepted.sequenceNumber };
  });
  const tail = run.catch(() => undefined);
  state.fifoChains.set(topic.arn, tail);
  void tail.then(() => {
    if (state.fifoChains.get(topic.arn) === tail) state.fifoChains.delete(topic.arn);
  });
  return run;
}

async function publishSms(ctx: RequestContext, phone: string, input: PublishInput, message: string): Promise<{ MessageId: string }> {
  const n = phone.replace(/[\s()-]/g, "");
  if (!E164.test(n)) throw invalid(`Invalid parameter: PhoneNumber Reason: ${phone} is not valid to publish to`);
  const messageId = randomUUID();
  const attrs = input.MessageAttributes
    ? Object.fromEntries(Object.entries(input.MessageAttributes).filter(([, a]) => a.StringValue !== undefined).map(([k, a]) => [k, a.StringValue!]))
    : undefined;
  await recordSms(ctx.storage.metadata, ctx.account, ctx.region, {
    messageId,
    phoneNumber: n,
    message,
    ...(attrs?.["AWS.SNS.SMS.SenderID"] ? { senderId: attrs["AWS.SNS.SMS.SenderID"] } : {}),
    ...(attrs && Object.keys(attrs).length ? { attributes: attrs } : {}),
    timestamp: ctx.clock.now().toISOString(),
  });
  return { MessageId: messageId };
}


// ---- handlers -------------------------------------------------------------------------------------

export const handlers: Partial<SnsOperations> = {
  async CreateTopic(ctx, input) {
    const name = input.Name;
    const fifo = name.endsWith(".fifo");
    const base = fifo ? name.slice(0, -5) : name;
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(base) || name.length > 256) {
      throw invalid(fifo ? "Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long." : "Invalid parameter: Topic Name");
    }
    const attrs = { ...(input.Attributes ?? {}) };
    if (fifo && attrs.FifoTopic === undefined) {
      throw invalid("Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.");
    }
    if (!fifo && attrs.FifoTopic === "true") {
      throw invalid("Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.");
    }
    if (attrs.FifoTopic === "false") delete attrs.FifoTopic;
    const arn = `arn:aws:sns:${ctx.region}:${ctx.account}:${name}`;
    for (const [k, v] of Object.entries(attrs)) checkTopicAttribute(k, v, fifo, arn, true);
    const tags = input.Tags ?? [];
    checkTags(tags);
    if (tags.length > 50) throw new ServiceError(SnsErrors.TagLimitExceeded);
    if (input.DataProtectionPolicy !== undefined) {
      try {
        JSON.parse(input.DataProtectionPolicy);
      } catch {
        throw invalid("Invalid parameter: DataProtectionPolicy Reason: failed to parse JSON");
      }
    }
    const t = snsTables(ctx.storage.metadata, ctx.scope);
    const record: TopicRecord = {
      name,
      arn,
      owner: ctx.account,
      attributes: attrs,
      tags: Object.fromEntries(tags.map((x) => [x.Key, x.Value])),
      ...(input.DataProtectionPolicy ? { dataProtectionPolicy: input.DataProtectionPolicy } : {}),
      endpoint: ctx.endpoint,
      createdAt: ctx.clock.nowMs(),
    };
    if (!(await t.topics.insert(name, record))) {
      const existing = (await t.topics.get(name))!;
      // Idempotent when the given attributes and tags agree with the topic's.
      for (const [k, v] of Object.entries(attrs)) {
        if ((existing.attributes[k] ?? (k === "ContentBasedDeduplication" ? "false" : undefined)) !== v) throw invalid("Invalid parameter: Attributes Reason: Topic already exists with different attributes");
      }
      for (const tag of tags) {
        if (existing.tags[tag.Key] !== tag.Value) throw invalid("Invalid parameter: Tags Reason: Topic already exists with different tags");
      }
    }
    return { TopicArn: arn };
  },
  async GetTopicAttributes(ctx, input) {
    const t = await requireTopic(ctx, input.TopicArn);
    return { Attributes: await topicAttributes(ctx, t) };
  },
  async SetTopicAttributes(ctx, input) {
    const t = await requireTopic(ctx, input.TopicArn);
    const fifo = t.attributes.FifoTopic === "true";
    const value = input.AttributeValue ?? "";
    checkTopicAttribute(input.AttributeName, value, fifo, t.arn, false);
    const ref = topicRef(ctx, t.arn);
    await ctx.storage.metadata.transaction(async (tx) => {
      const tt = snsTables(tx, ref.scope);
      const cur = await tt.topics.get(t.name);
      if (!cur) throw notFound("Topic does not exist");
      const attributes = { ...cur.attributes };
      if (value === "" && input.AttributeName !== "DisplayName") delete attributes[input.AttributeName];
      else attributes[input.AttributeName] = value;
      await tt.topics.put(t.name, { ...cur, attributes });
    });
    return {};
  },
  async DeleteTopic(ctx, input) {
    const ref = topicRef(ctx, input.TopicArn);
    await ctx.storage.metadata.transaction(async (tx) => {
      const tt = snsTables(tx, ref.scope);
      if (!(await tt.topics.get(ref.name))) throw notFound("Topic does not exist");
      await tt.topics.delete(ref.name);
      await tt.subscriptions.clear({ prefix: input.TopicArn + ":" });
      await tt.dedup.clear({ prefix: ref.name + "\0" });
    });
    return {};
  },
  async ListTopics(ctx, input) {
    const after = input.NextToken ? decodeToken(input.NextToken) : undefined;
    const rows = await snsTables(ctx.storage.metadata, ctx.scope).topics.list({ ...(after !== undefined ? { after } : {}), limit: PAGE + 1 });
    const page = rows.slice(0, PAGE);
    return { Topics: page.map((r) => ({ TopicArn: r.value.arn })), ...(rows.length > PAGE ? { NextToken: encodeToken(page[page.length - 1]!.key) } : {}) };
  },
  async AddPermission(ctx, input) {
    const t = await requireTopic(ctx, input.TopicArn);
    const policy = JSON.parse(t.attributes.Policy ?? defaultTopicPolicy(t.arn, t.owner)) as { Statement: { Sid?: string }[] };
    if (policy.Statement.some((s) => s.Sid === input.Label)) throw invalid("Invalid parameter: Statement already exists");
    if (input.AWSAccountId.length === 0 || input.ActionName.length === 0) throw invalid("Invalid parameter: Policy statement action out of service scope!");
    policy.Statement.push({
      Sid: input.Label,
      Effect: "Allow",
      Principal: { AWS: input.AWSAccountId.map((a) => (/^\d{12}$/.test(a) ? `arn:aws:iam::${a}:root` : a)) },
      Action: input.ActionName.map((a) => `SNS:${a}`),
      Resource: t.arn,
    } as { Sid: string });
    return handlers.SetTopicAttributes!(ctx, { TopicArn: t.arn, AttributeName: "Policy", AttributeValue: JSON.stringify(policy) });
  },
  async RemovePermission(ctx, input) {
    const t = await requireTopic(ctx, input.TopicArn);
    const policy = JSON.parse(t.attributes.Policy ?? defaultTopicPolicy(t.arn, t.owner)) as { Statement: { Sid?: string }[] };
    const kept = policy.Statement.filter((s) => s.Sid !== input.Label);
    if (kept.length === policy.Statement.length) return {};
    const ref = topicRef(ctx, t.arn);
    const attributes = { ...t.attributes, Policy: JSON.stringify({ ...policy, Statement: kept }) };
    await snsTables(ctx.storage.metadata, ref.scope).topics.put(t.name, { ...t, attributes });
    return {};
  },

  // ---- tags ----
  async TagResource(ctx, input) {
    const p = parseTopicArn(input.ResourceArn);
    const t = p ? await snsTables(ctx.storage.metadata, snsScope(p.account, p.region)).topics.get(p.name) : undefined;
    if (!t || !p) throw new ServiceError(SnsErrors.ResourceNotFound);
    checkTags(input.Tags);
    const tags = { ...t.tags, ...Object.fromEntries(input.Tags.map((x) => [x.Key, x.Value])) };
    if (Object.keys(tags).length > 50) throw new ServiceError(SnsErrors.TagLimitExceeded);
    await snsTables(ctx.storage.metadata, snsScope(p.account, p.region)).topics.put(t.name, { ...t, tags });
    return {};
  },
  async UntagResource(ctx, input) {
    const p = parseTopicArn(input.ResourceArn);
    const t = p ? await snsTables(ctx.storage.metadata, snsScope(p.account, p.region)).topics.get(p.name) : undefined;
    if (!t || !p) throw new ServiceError(SnsErrors.ResourceNotFound);
    const tags = { ...t.tags };
    for (const k of input.TagKeys) delete tags[k];
    await snsTables(ctx.storage.metadata, snsScope(p.account, p.region)).topics.put(t.name, { ...t, tags });
    return {};
  },
  async ListTagsForResource(ctx, input) {
    const p = parseTopicArn(input.ResourceArn);
    const t = p ? await snsTables(ctx.storage.metadata, snsScope(p.account, p.region)).topics.get(p.name) : undefined;
    if (!t) throw new ServiceError(SnsErrors.ResourceNotFound);
    return { Tags: Object.entries(t.tags).map(([Key, Value]) => ({ Key, Value })) };
  },

  // ---- data protection (stored, not applied) ----
  async GetDataProtectionPolicy(ctx, input) {
    const t = await requireTopic(ctx, input.ResourceArn, "ResourceArn");
    return { DataProtectionPolicy: t.dataProtectionPolicy ?? "" };
  },
  async PutDataProtectionPolicy(ctx, input) {
    const t = await requireTopic(ctx, input.ResourceArn, "ResourceArn");
    try {
      JSON.parse(input.DataProtectionPolicy);
    } catch {
      throw invalid("Invalid parameter: DataProtectionPolicy Reason: failed to parse JSON");
    }
    const ref = topicRef(ctx, t.arn, "ResourceArn");
    await snsTables(ctx.storage.metadata, ref.scope).topics.put(t.name, { ...t, dataProtectionPolicy: input.DataProtectionPolicy });
    return {};
  },

  // ---- subscriptions ----
  async Subscribe(ctx, input) {
    const topic = await requireTopic(ctx, input.TopicArn);
    const protocol = input.Protocol;
    if (!PROTOCOLS.has(protocol)) throw invalid(`Invalid parameter: Amazon SNS does not support this protocol string: ${protocol}`);
    if (protocol === "application" || protocol === "firehose") throw new ServiceError(CommonErrors.NotImplemented, `Nimbus does not deliver to ${protocol} subscriptions yet.`);
    if (topic.attributes.FifoTopic === "true" && protocol !== "sqs") throw invalid(`Invalid parameter: Invalid protocol type: ${protocol}`);
    const endpoint = checkEndpoint(protocol, input.Endpoint);
    const attrs = { ...(input.Attributes ?? {}) };
    checkSubscriptionAttributes(protocol, attrs);
    const ref = topicRef(ctx, topic.arn);
    const tables = snsTables(ctx.storage.metadata, ref.scope);
    const existing = (await tables.subscriptions.list({ prefix: topic.arn + ":" })).map((e) => e.value).find((s) => s.protocol === protocol && s.endpoint === endpoint);
    if (existing) {
      for (const [k, v] of Object.entries(attrs)) {
        if ((existing.attributes[k] ?? (k === "RawMessageDelivery" ? "false" : undefined)) !== v) throw invalid("Invalid parameter: Attributes Reason: Subscription already exists with different attributes");
      }
      if (!existing.pending || input.ReturnSubscriptionArn) return { SubscriptionArn: existing.arn };
      return { SubscriptionArn: "pending confirmation" };
    }
    const pending = ["http", "https", "email", "email-json"].includes(protocol);
    const sub: SubscriptionRecord = {
      arn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      owner: ctx.account,
      protocol,
      endpoint,
      pending,
      confirmationWasAuthenticated: !pending,
      attributes: attrs,
      createdAt: ctx.clock.nowMs(),
    };
    const token = pending ? newToken() : undefined;
    await ctx.storage.metadata.transaction(async (tx) => {
      const tt = snsTables(tx, ref.scope);
      await tt.subscriptions.put(sub.arn, sub);
      if (token) await tt.tokens.put(token, { subscriptionArn: sub.arn, expires: ctx.clock.nowMs() + TOKEN_TTL_MS });
    });
    if (token) await sendConfirmation(snsEnv(ctx), topic, sub, token);
    return { SubscriptionArn: pending && !input.ReturnSubscriptionArn ? "pending confirmation" : sub.arn };
  },
  async ConfirmSubscription(ctx, input) {
    const topic = await requireTopic(ctx, input.TopicArn);
    const arn = await confirm(ctx.storage.metadata, ctx.clock.nowMs(), topic, input.Token, input.AuthenticateOnUnsubscribe === "true");
    return { SubscriptionArn: arn };
  },
  async Unsubscribe(ctx, input) {
    const sub = await requireSubscription(ctx, input.SubscriptionArn);
    const p = parseSubscriptionArn(sub.arn)!;
    await snsTables(ctx.storage.metadata, snsScope(p.account, p.region)).subscriptions.delete(sub.arn);
    return {};
  },
  async ListSubscriptions(ctx, input) {
    const after = input.NextToken ? decodeToken(input.NextToken) : undefined;
    const rows = await snsTables(ctx.storage.metadata, ctx.scope).subscriptions.list({ ...(after !== undefined ? { after } : {}), limit: PAGE + 1 });
    const page = rows.slice(0, PAGE);
    return { Subscriptions: page.map((r) => listed(r.value)), ...(rows.length > PAGE ? { NextToken: encodeToken(page[page.length - 1]!.key) } : {}) };
  },
  async ListSubscriptionsByTopic(ctx, input) {
    const topic = await requireTopic(ctx, input.TopicArn);
    const ref = topicRef(ctx, topic.arn);
    const after = input.NextToken ? decodeToken(input.NextToken) : undefined;
    const rows = await snsTables(ctx.storage.metadata, ref.scope).subscriptions.list({ prefix: topic.arn + ":", ...(after !== undefined ? { after } : {}), limit: PAGE + 1 });
    const page = rows.slice(0, PAGE);
    return { Subscriptions: page.map((r) => listed(r.value)), ...(rows.length > PAGE ? { NextToken: encodeToken(page[page.length - 1]!.key) } : {}) };
  },
  async GetSubscriptionAttributes(ctx, input) {
    const sub = await requireSubscription(ctx, input.SubscriptionArn);
    const p = parseSubscriptionArn(sub.arn)!;
    const topic = await snsTables(ctx.storage.metadata, snsScope(p.account, p.region)).topics.get(parseTopicArn(sub.topicArn)!.name);
    return { Attributes: subscriptionAttributes(sub, topic) };
  },
  async SetSubscriptionAttributes(ctx, input) {
    const sub = await requireSubscription(ctx, input.SubscriptionArn);
    if (!SUB_ATTRIBUTES.has(input.AttributeName)) throw invalid("Invalid parameter: AttributeName");
    const value = input.AttributeValue ?? "";
    const attrs = { ...sub.attributes };
    if (value === "" && input.AttributeName !== "RawMessageDelivery") delete attrs[input.AttributeName];
    else attrs[input.AttributeName] = value;
    checkSubscriptionAttributes(sub.protocol, attrs);
    const p = parseSubscriptionArn(sub.arn)!;
    await snsTables(ctx.storage.metadata, snsScope(p.account, p.region)).subscriptions.put(sub.arn, { ...sub, attributes: attrs });
    return {};
  },

  // ---- publishing ----
  async Publish(ctx, input) {
    const targets = [input.TopicArn, input.TargetArn, input.PhoneNumber].filter((x) => x !== undefined);
    if (targets.length === 0) throw invalid("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter");
    if (targets.length > 1) throw invalid("Invalid parameter: TopicArn Reason: Only one of TopicArn, TargetArn or PhoneNumber can be specified");
    if (input.PhoneNumber !== undefined) {
      const checked = checkPublish(input, undefined);
      return publishSms(ctx, input.PhoneNumber, input, checked.perProtocol?.sms ?? checked.defaultMessage);
    }
    const arn = (input.TopicArn ?? input.TargetArn)!;
    if (input.TargetArn !== undefined && /:endpoint\//.test(arn)) throw new ServiceError(CommonErrors.NotImplemented, "Nimbus does not deliver to mobile push endpoints yet.");
    const topic = await requireTopic(ctx, arn, input.TopicArn !== undefined ? "TopicArn" : "TargetArn");
    const checked = checkPublish(input, topic);
    return publishToTopic(snsEnv(ctx), topic, input, checked);
  },
  async PublishBatch(ctx, input) {
    const topic = await requireTopic(ctx, input.TopicArn);
    const entries = input.PublishBatchRequestEntries;
    if (entries.length === 0) throw new ServiceError(SnsErrors.EmptyBatchRequest);
    if (entries.length > 10) throw new ServiceError(SnsErrors.TooManyEntriesInBatchRequest);
    const ids = new Set<string>();
    for (const e of entries) {
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(e.Id)) throw new ServiceError(SnsErrors.InvalidBatchEntryId);
      if (ids.has(e.Id)) throw new ServiceError(SnsErrors.BatchEntryIdsNotDistinct);
      ids.add(e.Id);
    }
    const total = entries.reduce((n, e) => n + Buffer.byteLength(e.Message, "utf8") + checkSizeOnly(e.MessageAttributes), 0);
    if (total > MAX_MESSAGE_BYTES) throw new ServiceError(SnsErrors.BatchRequestTooLong);
    const Successful: { Id: string; MessageId: string; SequenceNumber?: string }[] = [];
    const Failed: { Id: string; Code: string; Message: string; SenderFault: boolean }[] = [];
    const env = snsEnv(ctx);
    for (const e of entries) {
      try {
        const checked = checkPublish(e, topic);
        const r = await publishToTopic(env, topic, e, checked);
        Successful.push({ Id: e.Id, ...r } as { Id: string; MessageId: string; SequenceNumber?: string });
      } catch (err) {
        if (!(err instanceof ServiceError)) throw err;
        Failed.push({ Id: e.Id, Code: err.code, Message: err.message, SenderFault: err.senderFault });
      }
    }
    return { Successful, Failed };
  },

  // ---- SMS preferences ----
  async SetSMSAttributes(ctx, input) {
    const t = snsTables(ctx.storage.metadata, ctx.scope).smsAttributes;
    const cur = (await t.get("attributes")) ?? {};
    const allowed = ["MonthlySpendLimit", "DeliveryStatusIAMRole", "DeliveryStatusSuccessSamplingRate", "DefaultSenderID", "DefaultSMSType", "UsageReportS3Bucket"];
    for (const [k, v] of Object.entries(input.attributes)) {
      if (!allowed.includes(k)) throw invalid(`Invalid parameter: ${k}`);
      if (k === "DefaultSMSType" && v !== "Promotional" && v !== "Transactional") throw invalid(`Invalid parameter: DefaultSMSType`);
      cur[k] = v;
    }
    await t.put("attributes", cur);
    return {};
  },
  async GetSMSAttributes(ctx, input) {
    const cur = (await snsTables(ctx.storage.metadata, ctx.scope).smsAttributes.get("attributes")) ?? {};
    const names = input.attributes;
    return { attributes: names && names.length ? Object.fromEntries(Object.entries(cur).filter(([k]) => names.includes(k))) : cur };
  },
  async CheckIfPhoneNumberIsOptedOut(_ctx, input) {
    if (!E164.test(input.phoneNumber.replace(/[\s()-]/g, ""))) throw invalid("Invalid parameter: PhoneNumber");
    return { isOptedOut: false };
  },
  async ListPhoneNumbersOptedOut() {
    return { phoneNumbers: [] };
  },
};

function checkSizeOnly(attrs: Record<string, MessageAttribute> | undefined): number {
  if (!attrs) return 0;
  let n = 0;
  for (const [k, a] of Object.entries(attrs)) n += Buffer.byteLength(k) + Buffer.byteLength(a.DataType) + (a.BinaryValue?.length ?? Buffer.byteLength(a.StringValue ?? ""));
  return n;
}

/** Confirm a pending subscription by its token (ConfirmSubscription and the SubscribeURL route). */
export async function confirm(metadata: import("../../storage/types.js").MetadataStore, nowMs: number, topic: TopicRecord, token: string, authenticated: boolean): Promise<string> {
  const [, , , region, account] = topic.arn.split(":");
  const scope = snsScope(account!, region!);
  return metadata.transaction(async (tx) => {
    const tt = snsTables(tx, scope);
    const tok = await tt.tokens.get(token);
    if (!tok || tok.expires < nowMs || !tok.subscriptionArn.startsWith(topic.arn + ":")) throw invalid("Invalid token");
    const sub = await tt.subscriptions.get(tok.subscriptionArn);
    if (!sub) throw notFound("Subscription does not exist");
    if (sub.pending) await tt.subscriptions.put(sub.arn, { ...sub, pending: false, confirmationWasAuthenticated: authenticated });
    return sub.arn;
  });
}

