/**
 * Amazon SQS handlers: standard and FIFO queues with AWS's attribute validation, messages
 * (delays, attributes with AWS's MD5s, batches with per-entry failures, long polling woken by
 * sends, visibility, receipt handles), FIFO ordering per group with deduplication, dead-letter
 * queues and message move tasks, tags, queue policies (AddPermission / RemovePermission),
 * AWS/SQS CloudWatch metrics (through cloudwatch/builtin-metrics.ts, off the request path).
 * Served from an in-memory index over SQLite rows (engine.ts, store.ts); acknowledged sends and
 * deletes are committed (group commit) before the response.
 *
 * ## Gaps
 * - KMS encryption attributes are recorded and returned, not applied (messages sit in the data
 *   dir's SQLite file); no KMS permissions are checked.
 * - Message move tasks move every eligible message at once and end COMPLETED; the
 *   MaxNumberOfMessagesPerSecond rate is recorded, not applied, so CancelMessageMoveTask only
 *   ever finds finished tasks.
 * - FifoThroughputLimit, the in-flight limits (120,000 standard / 20,000 FIFO → OverLimit) and
 *   request throttling are not enforced.
 * - Message attribute list values (StringListValues / BinaryListValues) are refused with
 *   UnsupportedOperation (AWS documents them as reserved for future use).
 * - The 256 KiB size limit is the classic one (AWS raised MaximumMessageSize to 1 MiB in 2025).
 * - AWS/SQS metrics (per QueueName): NumberOfMessagesSent / Received / Deleted,
 *   NumberOfEmptyReceives and SentMessageSize are counted per minute of the clock; the
 *   ApproximateNumberOf* gauges and ApproximateAgeOfOldestMessage are sampled once a minute for
 *   every queue (AWS stops reporting a queue after six inactive hours; Nimbus keeps sampling it).
 *   Messages moved to a dead-letter queue or by a move task are not counted as sent.
 *
 * ## By design
 * - Queue URLs are `<endpoint>/<account>/<name>` with the endpoint the client used; the account
 *   in the URL picks the queue (another account's queue is reached through its queue policy).
 * - Receipt handles are opaque base64 naming the queue, the message and the receive. A handle
 *   from an earlier receive deletes a standard-queue message unless it is in flight again under
 *   a newer handle (AWS: "might not be deleted"); FIFO queues and ChangeMessageVisibility reject
 *   stale handles ("The receipt handle has expired").
 * - Service deliveries (S3 notifications, SNS) need a queue policy allowing the service
 *   principal, as on AWS; their SenderId is the service principal name.
 * - Receives are persisted lazily (the commit after the response): a crash may make a message
 *   received just before it visible again early, which at-least-once delivery allows.
 *
 * ## Client quirks
 * - JSON clients get the error shape's name (`__type`) and the query code in
 *   `x-amzn-query-error`, which SDK v3 (`Code`) and botocore (`Error.Code`) surface:
 *   `AWS.SimpleQueueService.NonExistentQueue`, `QueueAlreadyExists`, ...
 * - Query-protocol clients (older SDKs and CLIs) use the pre-2023 parameter and element names
 *   (`Attribute.N.Name`, `<Message>`, `SendMessageBatchRequestEntry.N`); models/overlays/sqs.json
 *   gives them as `xmlName`.
 */
import { createHash } from "node:crypto";
import type { SqsOperations } from "../../generated/sqs.js";
import type { RequestContext } from "../../core/service.js";
import type { Clock } from "../../core/clock.js";
import type { MetadataStore } from "../../storage/types.js";
import { ServiceError } from "../../core/errors.js";
import { SqsErrors } from "./errors.js";
import { MetricAggregator } from "../cloudwatch/builtin-metrics.js";
import { DEFAULTS, QueueState, SqsEngine, type ScopeState } from "./engine.js";
import { SEP, type MessageRecord, type MoveTaskRecord, type QueueRecord } from "./store.js";
import {
  checkCharacters,
  invalidHandle,
  makeReceiptHandle,
  md5,
  md5OfAttributes,
  parseReceiptHandle,
  readAttributes,
  writeAttributes,
  type InputAttribute,
} from "./messages.js";
import {
  checkQueueName,
  checkRedriveAllowPolicy,
  checkRedrivePolicy,
  parseQueueArn,
  parseQueueUrl,
  READABLE,
  unknownAttribute,
  validateAttributes,
} from "./queues.js";

const engines = new WeakMap<MetadataStore, SqsEngine>();

export function engineFor(metadata: MetadataStore, clock: Clock): SqsEngine {
  let e = engines.get(metadata);
  if (!e) engines.set(metadata, (e = new SqsEngine(metadata, () => clock.nowMs())));
  e.metrics ??= MetricAggregator.for(metadata, clock, "AWS/SQS");
  return e;
}

const engine = (ctx: RequestContext) => engineFor(ctx.storage.metadata, ctx.clock);
const invalidParam = (m: string) => new ServiceError(SqsErrors.InvalidParameterValue, m);
const missing = (p: string) => new ServiceError(SqsErrors.MissingParameter, `The request must contain the parameter ${p}.`);
const noQueue = () => new ServiceError(SqsErrors.QueueDoesNotExist);
const MAX_BATCH_BYTES = 262_144;
const DEDUP_WINDOW_MS = 5 * 60_000;

export const queueUrl = (ctx: RequestContext, account: string, name: string) => `${ctx.endpoint}/${account}/${name}`;

/** The queue a QueueUrl names (its account picks the scope). */
export async function resolveQueue(ctx: RequestContext, url: string): Promise<{ s: ScopeState; q: QueueState }> {
  const addr = parseQueueUrl(url);
  if (!addr) throw new ServiceError(SqsErrors.InvalidAddress, `The address ${url} is not valid for this endpoint.`);
  const s = await engine(ctx).scope(addr.account, ctx.region);
  const q = s.queues.get(addr.name);
  if (!q) throw noQueue();
  return { s, q };
}

/** The queue an ARN names, if it exists (same region partition of this instance). */
export async function queueByArn(eng: SqsEngine, arn: string): Promise<QueueState | undefined> {
  const a = parseQueueArn(arn);
  if (!a) return undefined;
  return (await eng.scope(a.account, a.region)).queues.get(a.name);
}

function senderId(ctx: RequestContext): string {
  const p = ctx.principal;
  if (p.type === "anonymous") return "anonymous";
  if (p.type === "root") return p.account;
  if (p.type === "assumed-role") return `${p.roleId}:${p.sessionName}`;
  return p.userId;
}

// ---------------------------------------------------------------------------------------------
// Queues

function queueAttributes(q: QueueState, now: number, names: string[]): Record<string, string> {
  for (const n of names) if (!(READABLE as readonly string[]).includes(n)) throw unknownAttribute(n);
  const all = names.includes("All");
  const want = (n: string) => all || names.includes(n);
  const out: Record<string, string> = {};
  const a = q.rec.attributes;
  const counts = want("ApproximateNumberOfMessages") || want("ApproximateNumberOfMessagesNotVisible") || want("ApproximateNumberOfMessagesDelayed") ? q.counts(now) : undefined;
  if (want("QueueArn")) out.QueueArn = q.arn;
  if (counts) {
    if (want("ApproximateNumberOfMessages")) out.ApproximateNumberOfMessages = String(counts.visible);
    if (want("ApproximateNumberOfMessagesNotVisible")) out.ApproximateNumberOfMessagesNotVisible = String(counts.notVisible);
    if (want("ApproximateNumberOfMessagesDelayed")) out.ApproximateNumberOfMessagesDelayed = String(counts.delayed);
  }
  if (want("CreatedTimestamp")) out.CreatedTimestamp = String(Math.floor(q.rec.created / 1000));
  if (want("LastModifiedTimestamp")) out.LastModifiedTimestamp = String(Math.floor(q.rec.modified / 1000));
  for (const k of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) if (want(k)) out[k] = a[k] ?? DEFAULTS[k];
  for (const k of ["Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds"]) {
    if (want(k) && a[k] !== undefined && a[k] !== "") out[k] = a[k]!;
  }
  if (want("KmsDataKeyReusePeriodSeconds") && a.KmsMasterKeyId && !out.KmsDataKeyReusePeriodSeconds) out.KmsDataKeyReusePeriodSeconds = "300";
  if (want("SqsManagedSseEnabled")) out.SqsManagedSseEnabled = a.SqsManagedSseEnabled ?? (a.KmsMasterKeyId ? "false" : "true");
  if (q.rec.fifo) {
    if (want("FifoQueue")) out.FifoQueue = "true";
    if (want("ContentBasedDeduplication")) out.ContentBasedDeduplication = a.ContentBasedDeduplication ?? "false";
    if (want("DeduplicationScope")) out.DeduplicationScope = a.DeduplicationScope ?? "queue";
    if (want("FifoThroughputLimit")) out.FifoThroughputLimit = a.FifoThroughputLimit ?? "perQueue";
  } else if (names.some((n) => ["FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"].includes(n))) {
    const bad = names.find((n) => ["FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"].includes(n))!;
    throw unknownAttribute(bad);
  }
  return out;
}

/** Effective value of an attribute for equality checks on CreateQueue. */
function effective(rec: QueueRecord, name: string): string {
  const a = rec.attributes;
  if (a[name] !== undefined) return a[name]!;
  if (name in DEFAULTS) return DEFAULTS[name as keyof typeof DEFAULTS];
  if (name === "FifoQueue") return rec.fifo ? "true" : "false";
  if (name === "ContentBasedDeduplication") return "false";
  if (name === "DeduplicationScope") return "queue";
  if (name === "FifoThroughputLimit") return "perQueue";
  if (name === "SqsManagedSseEnabled") return a.KmsMasterKeyId ? "false" : "true";
  return "";
}

async function checkRedriveTarget(ctx: RequestContext, q: { fifo: boolean; arn: string }, text: string | undefined): Promise<void> {
  if (!text) return;
  const p = checkRedrivePolicy(text);
  const dlq = await queueByArn(engine(ctx), p.deadLetterTargetArn);
  if (!dlq) throw invalidParam("Value " + text + " for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.");
  if (dlq.rec.fifo !== q.fifo) {
    throw invalidParam(
      "Value " + text + " for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.",
    );
  }
  const allow = dlq.rec.attributes.RedriveAllowPolicy ? checkRedriveAllowPolicy(dlq.rec.attributes.RedriveAllowPolicy) : undefined;
  if (allow && (allow.redrivePermission === "denyAll" || (allow.redrivePermission === "byQueue" && !allow.sourceQueueArns?.includes(q.arn)))) {
    throw invalidParam(
      "Value " + text + " for parameter RedrivePolicy is invalid. Reason: Queue " + q.arn + " is not allowed to use " + p.deadLetterTargetArn + " as a dead-letter queue.",
    );
  }
}

function checkTags(tags: Record<string, string>, existing = 0): void {
  const n = Object.keys(tags).length;
  if (n + existing > 50) throw invalidParam("Too many tags added for queue. Maximum tags allowed per queue is 50.");
  for (const [k, v] of Object.entries(tags)) {
    if (k.length < 1 || k.length > 128) throw invalidParam("Tag keys must be between 1 and 128 characters in length.");
    if (v.length > 256) throw invalidParam("Tag values must be between 0 and 256 characters in length.");
    if (/^aws:/i.test(k)) throw invalidParam("Tag keys must not start with aws: prefix.");
  }
}

const CreateQueue: SqsOperations["CreateQueue"] = async (ctx, input) => {
  const name = input.QueueName;
  const attrsIn = input.Attributes ?? {};
  const fifo = name.endsWith(".fifo");
  if (attrsIn.FifoQueue === "true" && !fifo) {
    throw invalidParam("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.");
  }
  if (fifo && attrsIn.FifoQueue !== "true") {
    throw invalidParam("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
  }
  checkQueueName(name, fifo);
  const attributes = validateAttributes(attrsIn, fifo, true);
  const tags = input.tags ?? {};
  checkTags(tags);
  const eng = engine(ctx);
  const s = await eng.scope(ctx.account, ctx.region);
  const now = ctx.clock.nowMs();
  const existing = s.queues.get(name);
  if (existing) {
    const differing = Object.keys(attributes).filter((k) => effective(existing.rec, k) !== attributes[k]);
    if (differing.length > 0) {
      throw new ServiceError(SqsErrors.QueueNameExists, `A queue already exists with the same name and a different value for attribute ${differing[0]}`);
    }
    return { QueueUrl: queueUrl(ctx, ctx.account, name) };
  }
  const deletedAt = s.deleted.get(name);
  if (deletedAt !== undefined && now - deletedAt < 60_000) throw new ServiceError(SqsErrors.QueueDeletedRecently);
  const arn = `arn:aws:sqs:${ctx.region}:${ctx.account}:${name}`;
  await checkRedriveTarget(ctx, { fifo, arn }, attributes.RedrivePolicy);
  delete attributes.FifoQueue;
  const rec: QueueRecord = { name, fifo, attributes, tags, created: now, modified: now };
  // Check again after the awaits: another CreateQueue may have made it meanwhile.
  if (s.queues.has(name)) return { QueueUrl: queueUrl(ctx, ctx.account, name) };
  const q = new QueueState(rec, s.scope);
  s.queues.set(name, q);
  s.deleted.delete(name);
  await Promise.all([eng.putQueue(q), deletedAt !== undefined ? eng.writer.write(s.scope, "deleted", name, undefined) : undefined]);
  return { QueueUrl: queueUrl(ctx, ctx.account, name) };
};

const GetQueueUrl: SqsOperations["GetQueueUrl"] = async (ctx, input) => {
  const account = input.QueueOwnerAWSAccountId ?? ctx.account;
  const s = await engine(ctx).scope(account, ctx.region);
  if (!s.queues.has(input.QueueName)) throw noQueue();
  return { QueueUrl: queueUrl(ctx, account, input.QueueName) };
};

function pageToken(name: string): string {
  return Buffer.from(JSON.stringify({ after: name }), "utf8").toString("base64");
}

function readToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { after?: unknown };
    if (typeof v.after === "string") return v.after;
  } catch {
    // fall through
  }
  throw invalidParam("Invalid NextToken value.");
}

function checkMaxResults(n: number | undefined): void {
  if (n !== undefined && (n < 1 || n > 1000)) throw invalidParam("Value for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.");
}

const ListQueues: SqsOperations["ListQueues"] = async (ctx, input) => {
  checkMaxResults(input.MaxResults);
  const s = await engine(ctx).scope(ctx.account, ctx.region);
  const after = readToken(input.NextToken);
  const prefix = input.QueueNamePrefix ?? "";
  const names = [...s.queues.keys()].filter((n) => n.startsWith(prefix) && (after === undefined || n > after)).sort();
  const limit = input.MaxResults ?? 1000;
  const page = names.slice(0, limit);
  const out: { QueueUrls?: string[]; NextToken?: string } = {};
  if (page.length) out.QueueUrls = page.map((n) => queueUrl(ctx, ctx.account, n));
  if (input.MaxResults !== undefined && names.length > limit) out.NextToken = pageToken(page[page.length - 1]!);
  return out;
};

const DeleteQueue: SqsOperations["DeleteQueue"] = async (ctx, input) => {
  const { s, q } = await resolveQueue(ctx, input.QueueUrl);
  const eng = engine(ctx);
  const now = ctx.clock.nowMs();
  s.queues.delete(q.name);
  s.deleted.set(q.name, now);
  q.deleted = true;
  const seqs = [...q.messages.keys()];
  const dedups = [...q.dedup.keys()];
  q.clearMessages();
  q.wake();
  await Promise.all([
    eng.writer.write(s.scope, "queues", q.name, undefined),
    eng.writer.write(s.scope, "deleted", q.name, { at: now }),
    ...seqs.map((seq) => eng.deleteMessage(q, seq)),
    ...dedups.map((k) => eng.writer.write(s.scope, "dedup", q.name + SEP + k, undefined)),
  ]);
  return {};
};

const GetQueueAttributes: SqsOperations["GetQueueAttributes"] = async (ctx, input) => {
  const { q } = await resolveQueue(ctx, input.QueueUrl);
  const attrs = queueAttributes(q, ctx.clock.nowMs(), input.AttributeNames ?? []);
  return Object.keys(attrs).length ? { Attributes: attrs } : {};
};

const SetQueueAttributes: SqsOperations["SetQueueAttributes"] = async (ctx, input) => {
  const { q } = await resolveQueue(ctx, input.QueueUrl);
  const attrs = validateAttributes(input.Attributes ?? {}, q.rec.fifo, false, q.rec.attributes);
  if (attrs.RedrivePolicy) await checkRedriveTarget(ctx, { fifo: q.rec.fifo, arn: q.arn }, attrs.RedrivePolicy);
  const next = { ...q.rec.attributes };
  for (const [k, v] of Object.entries(attrs)) {
    if (v === "" && (k === "Policy" || k === "RedrivePolicy" || k === "RedriveAllowPolicy" || k === "KmsMasterKeyId")) delete next[k];
    else next[k] = v;
  }
  q.rec = { ...q.rec, attributes: next, modified: ctx.clock.nowMs() };
  await engine(ctx).putQueue(q);
  return {};
};

const PurgeQueue: SqsOperations["PurgeQueue"] = async (ctx, input) => {
  const { q } = await resolveQueue(ctx, input.QueueUrl);
  const now = ctx.clock.nowMs();
  if (q.rec.lastPurge !== undefined && now - q.rec.lastPurge < 60_000) {
    throw new ServiceError(SqsErrors.PurgeQueueInProgress, `Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`);
  }
  const eng = engine(ctx);
  const seqs = [...q.messages.keys()];
  q.clearMessages();
  q.rec = { ...q.rec, lastPurge: now };
  await Promise.all([eng.putQueue(q), ...seqs.map((seq) => eng.deleteMessage(q, seq))]);
  return {};
};

const TagQueue: SqsOperations["TagQueue"] = async (ctx, input) => {
  const { q } = await resolveQueue(ctx, input.QueueUrl);
  const tags = input.Tags ?? {};
  if (Object.keys(tags).length === 0) throw invalidParam("The request must contain a non-empty list of tags.");
  const merged = { ...q.rec.tags, ...tags };
  checkTags(tags, 0);
  if (Object.keys(merged).length > 50) throw invalidParam("Too many tags added for queue. Maximum tags allowed per queue is 50.");
  q.rec = { ...q.rec, tags: merged };
  await engine(ctx).putQueue(q);
  return {};
};

const UntagQueue: SqsOperations["UntagQueue"] = async (ctx, input) => {
  const { q } = await resolveQueue(ctx, input.QueueUrl);
  if (!input.TagKeys?.length) throw invalidParam("Tag keys must be between 1 and 128 characters in length.");
  const tags = { ...q.rec.tags };
  for (const k of input.TagKeys) delete tags[k];
  q.rec = { ...q.rec, tags };
  await engine(ctx).putQueue(q);
  return {};
};

const ListQueueTags: SqsOperations["ListQueueTags"] = async (ctx, input) => {
  const { q } = await resolveQueue(ctx, input.QueueUrl);
  return Object.keys(q.rec.tags).length ? { Tags: { ...q.rec.tags } } : {};
};

const ListDeadLetterSourceQueues: SqsOperations["ListDeadLetterSourceQueues"] = async (ctx, input) => {
  const { s, q } = await resolveQueue(ctx, input.QueueUrl);
  checkMaxResults(input.MaxResults);
  const after = readToken(input.NextToken);
  const names = [...s.queues.values()]
    .filter((src) => {
      const rp = src.rec.attributes.RedrivePolicy;
      if (!rp) return false;
      try {
        return (JSON.parse(rp) as { deadLetterTargetArn?: string }).deadLetterTargetArn === q.arn;
      } catch {
        return false;
      }
    })
    .map((src) => src.name)
    .filter((n) => after === undefined || n > after)
    .sort();
  const limit = input.MaxResults ?? 1000;
  const page = names.slice(0, limit);
  return {
    queueUrls: page.map((n) => queueUrl(ctx, s.scope.account, n)),
    ...(input.MaxResults !== undefined && names.length > limit ? { NextToken: pageToken(page[page.length - 1]!) } : {}),
  };
};

const AddPermission: SqsOperations["AddPermission"] = async (ctx, input) => {
  const { q } = await resolveQueue(ctx, input.QueueUrl);
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(input.Label)) throw invalidParam(`Value ${input.Label} for parameter Label is invalid. Reason: Must be shorter than 80 characters and only alphanumeric characters, hyphens and underscores are allowed.`);
  if (!input.AWSAccountIds.length) throw missing("AWSAccountIds");
  if (!input.Actions.length) throw missing("Actions");
  const policy = q.rec.attributes.Policy
    ? (JSON.parse(q.rec.attributes.Policy) as { Version: string; Id?: string; Statement: { Sid?: string }[] })
    : { Version: "2012-10-17", Id: `${q.arn}/SQSDefaultPolicy`, Statement: [] };
  if (policy.Statement.some((st) => st.Sid === input.Label)) {
    throw invalidParam(`Value ${input.Label} for parameter Label is invalid. Reason: Already exists.`);
  }
  const principals = input.AWSAccountIds.map((a) => `arn:aws:iam::${a}:root`);
  const actions = input.Actions.map((a) => (a === "*" ? "SQS:*" : `SQS:${a}`));
  policy.Statement.push({
    Sid: input.Label,
    Effect: "Allow",
    Principal: { AWS: principals.length === 1 ? principals[0] : principals },
    Action: actions.length === 1 ? actions[0] : actions,
    Resource: q.arn,
  } as { Sid: string });
  q.rec = { ...q.rec, attributes: { ...q.rec.attributes, Policy: JSON.stringify(policy) }, modified: ctx.clock.nowMs() };
  await engine(ctx).putQueue(q);
  return {};
};

const RemovePermission: SqsOperations["RemovePermission"] = async (ctx, input) => {
  const { q } = await resolveQueue(ctx, input.QueueUrl);
  const text = q.rec.attributes.Policy;
  const policy = text ? (JSON.parse(text) as { Statement: { Sid?: string }[] }) : undefined;
  if (!policy || !policy.Statement.some((st) => st.Sid === input.Label)) {
    throw invalidParam(`Value ${input.Label} for parameter Label is invalid. Reason: can't find label on existing policy.`);
  }
  policy.Statement = policy.Statement.filter((st) => st.Sid !== input.Label);
  const attributes = { ...q.rec.attributes };
  if (policy.Statement.length) attributes.Policy = JSON.stringify(policy);
  else delete attributes.Policy;
  q.rec = { ...q.rec, attributes, modified: ctx.clock.nowMs() };
  await engine(ctx).putQueue(q);
  return {};
};

// ---------------------------------------------------------------------------------------------
// Sending

export interface SendInput {
  MessageBody: string;
  DelaySeconds?: number;
  MessageAttributes?: Record<string, InputAttribute>;
  MessageSystemAttributes?: Record<string, InputAttribute>;
  MessageDeduplicationId?: string;
  MessageGroupId?: string;
}

export interface SendResult {
  MessageId: string;
  MD5OfMessageBody: string;
  MD5OfMessageAttributes?: string;
  MD5OfMessageSystemAttributes?: string;
  SequenceNumber?: string;
}

/** Validate one message for a queue; returns the record to enqueue (without seq) or throws. */
function prepare(q: QueueState, m: SendInput, now: number, sender: string): { rec: Omit<MessageRecord, "seq">; size: number; dedupKey?: string } {
  const body = m.MessageBody;
  if (body === undefined || body === "") throw missing("MessageBody");
  checkCharacters(body);
  const user = readAttributes(m.MessageAttributes, false);
  const sys = readAttributes(m.MessageSystemAttributes, true);
  const size = Buffer.byteLength(body) + user.size;
  const max = q.attr("MaximumMessageSize");
  if (size > max) throw invalidParam(`One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`);
  const fifo = q.rec.fifo;
  if (m.DelaySeconds !== undefined && (m.DelaySeconds < 0 || m.DelaySeconds > 900)) {
    throw invalidParam(`Value ${m.DelaySeconds} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`);
  }
  let dedupKey: string | undefined;
  if (fifo) {
    if (m.DelaySeconds !== undefined && m.DelaySeconds !== 0) {
      throw invalidParam(`Value ${m.DelaySeconds} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`);
    }
    if (m.MessageGroupId === undefined) throw missing("MessageGroupId");
    if (!/^[\x21-\x7e]{1,128}$/.test(m.MessageGroupId)) {
      throw invalidParam(`Value ${m.MessageGroupId} for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.`);
    }
    let dedup = m.MessageDeduplicationId;
    if (dedup === undefined) {
      if (q.rec.attributes.ContentBasedDeduplication !== "true") {
        throw invalidParam("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
      }
      dedup = createHash("sha256").update(body).digest("hex");
    } else if (!/^[\x21-\x7e]{1,128}$/.test(dedup)) {
      throw invalidParam(`Value ${dedup} for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.`);
    }
    dedupKey = (q.rec.attributes.DeduplicationScope === "messageGroup" ? m.MessageGroupId + SEP : "") + dedup;
    m = { ...m, MessageDeduplicationId: dedup };
  } else {
    if (m.MessageDeduplicationId !== undefined) {
      throw invalidParam(`Value ${m.MessageDeduplicationId} for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.`);
    }
    if (m.MessageGroupId !== undefined && !/^[\x21-\x7e]{1,128}$/.test(m.MessageGroupId)) {
      throw invalidParam(`Value ${m.MessageGroupId} for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.`);
    }
  }
  const delay = fifo ? q.attr("DelaySeconds") : (m.DelaySeconds ?? q.attr("DelaySeconds"));
  const rec: Omit<MessageRecord, "seq"> = {
    id: "",
    body,
    md5: md5(body),
    sent: now,
    sender,
    visibleAt: now + delay * 1000,
    receives: 0,
  };
  if (user.attrs) {
    rec.attrs = user.attrs;
    rec.md5Attrs = md5OfAttributes(user.attrs);
  }
  if (sys.attrs) {
    rec.sys = sys.attrs;
    rec.md5Sys = md5OfAttributes(sys.attrs);
  }
  if (m.MessageGroupId !== undefined) rec.group = m.MessageGroupId;
  if (m.MessageDeduplicationId !== undefined) rec.dedup = m.MessageDeduplicationId;
  return { rec, size, ...(dedupKey !== undefined ? { dedupKey } : {}) };
}

/** Enqueue prepared messages (one durable write for them all); returns each one's result. */
export async function enqueue(eng: SqsEngine, q: QueueState, prepared: { rec: Omit<MessageRecord, "seq">; size?: number; dedupKey?: string }[], now: number): Promise<SendResult[]> {
  const results: SendResult[] = [];
  const writes: Promise<void>[] = [];
  const dims = [{ Name: "QueueName", Value: q.name }];
  for (const p of prepared) {
    if (p.dedupKey !== undefined) {
      const d = q.dedup.get(p.dedupKey);
      if (d && d.expires > now) {
        results.push(resultOf({ ...p.rec, id: d.id, ...(d.seqNo ? { seqNo: d.seqNo } : {}) }));
        continue;
      }
    }
    const m: MessageRecord = { ...p.rec, id: eng.newMessageId(), seq: q.nextSeq++ };
    if (q.rec.fifo) m.seqNo = eng.sequenceNumber();
    q.index(m, now);
    writes.push(eng.putMessage(q, m));
    eng.metrics?.add(q.scope, "NumberOfMessagesSent", dims, 1);
    eng.metrics?.add(q.scope, "SentMessageSize", dims, p.size ?? Buffer.byteLength(m.body), "Bytes");
    if (p.dedupKey !== undefined) {
      const d = { id: m.id, ...(m.seqNo ? { seqNo: m.seqNo } : {}), expires: now + DEDUP_WINDOW_MS };
      q.dedup.set(p.dedupKey, d);
      writes.push(eng.writer.write(q.scope, "dedup", q.name + SEP + p.dedupKey, d));
    }
    results.push(resultOf(m));
  }
  q.wake();
  await Promise.all(writes);
  return results;
}

function resultOf(m: Omit<MessageRecord, "seq">): SendResult {
  return {
    MessageId: m.id,
    MD5OfMessageBody: m.md5,
    ...(m.md5Attrs ? { MD5OfMessageAttributes: m.md5Attrs } : {}),
    ...(m.md5Sys ? { MD5OfMessageSystemAttributes: m.md5Sys } : {}),
    ...(m.seqNo ? { SequenceNumber: m.seqNo } : {}),
  };
}

/** For service deliveries (the bus): enqueue one message as `sender`. */
export async function sendFromService(
  eng: SqsEngine,
  q: QueueState,
  m: SendInput,
  now: number,
  sender: string,
): Promise<SendResult> {
  const p = prepare(q, m, now, sender);
  return (await enqueue(eng, q, [p], now))[0]!;
}

const SendMessage: SqsOperations["SendMessage"] = async (ctx, input) => {
  const { q } = await resolveQueue(ctx, input.QueueUrl);
  const now = ctx.clock.nowMs();
  const p = prepare(q, input as SendInput, now, senderId(ctx));
  return (await enqueue(engine(ctx), q, [p], now))[0]!;
};

interface BatchFailure {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message?: string;
}

function checkBatch(entries: { Id: string }[] | undefined, kind: string): void {
  if (!entries || entries.length === 0) {
    throw new ServiceError(SqsErrors.EmptyBatchRequest, `There should be at least one ${kind} in the request.`);
  }
  if (entries.length > 10) {
    throw new ServiceError(SqsErrors.TooManyEntriesInBatchRequest, `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
  }
  const seen = new Set<string>();
  for (const e of entries) {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(e.Id)) throw new ServiceError(SqsErrors.InvalidBatchEntryId);
    if (seen.has(e.Id)) throw new ServiceError(SqsErrors.BatchEntryIdsNotDistinct, `Id ${e.Id} repeated.`);
    seen.add(e.Id);
  }
}

function failure(id: string, e: unknown): BatchFailure {
  if (e instanceof ServiceError) {
    return { Id: id, SenderFault: e.senderFault, Code: e.queryErrorCode ?? e.code, Message: e.message };
  }
  throw e;
}

const SendMessageBatch: SqsOperations["SendMessageBatch"] = async (ctx, input) => {
  const { q } = await resolveQueue(ctx, input.QueueUrl);
  checkBatch(input.Entries, "SendMessageBatchRequestEntry");
  const now = ctx.clock.nowMs();
  const sender = senderId(ctx);
  let total = 0;
  const ok: { id: string; p: ReturnType<typeof prepare> }[] = [];
  const Failed: BatchFailure[] = [];
  for (const e of input.Entries) {
    total += Buffer.byteLength(e.MessageBody ?? "");
    for (const [n, a] of Object.entries(e.MessageAttributes ?? {})) {
      total += Buffer.byteLength(n) + Buffer.byteLength(a.DataType ?? "") + (a.BinaryValue ? a.BinaryValue.length : Buffer.byteLength(a.StringValue ?? ""));
    }
  }
  const max = q.attr("MaximumMessageSize");
  if (total > Math.max(MAX_BATCH_BYTES, max)) {
    throw new ServiceError(SqsErrors.BatchRequestTooLong, `Batch requests cannot be longer than ${Math.max(MAX_BATCH_BYTES, max)} bytes. You have sent ${total} bytes.`);
  }
  for (const e of input.Entries) {
    try {
      ok.push({ id: e.Id, p: prepare(q, e as SendInput, now, sender) });
    } catch (err) {
      Failed.push(failure(e.Id, err));
    }
  }
  const results = await enqueue(
    engine(ctx),
    q,
    ok.map((o) => o.p),
    now,
  );
  return { Successful: results.map((r, i) => ({ Id: ok[i]!.id, ...r })), Failed };
};

// ---------------------------------------------------------------------------------------------
// Receiving

const SYSTEM_NAMES = [
  "All",
  "SenderId",
  "SentTimestamp",
  "ApproximateReceiveCount",
  "ApproximateFirstReceiveTimestamp",
  "SequenceNumber",
  "MessageDeduplicationId",
  "MessageGroupId",
  "AWSTraceHeader",
  "DeadLetterQueueSourceArn",
];

function systemAttributes(m: MessageRecord, names: string[]): Record<string, string> | undefined {
  if (names.length === 0) return undefined;
  const all = names.includes("All");
  const want = (n: string) => all || names.includes(n);
  const out: Record<string, string> = {};
  if (want("SenderId")) out.SenderId = m.sender;
  if (want("SentTimestamp")) out.SentTimestamp = String(m.sent);
  if (want("ApproximateReceiveCount")) out.ApproximateReceiveCount = String(m.receives);
  if (want("ApproximateFirstReceiveTimestamp") && m.firstReceive !== undefined) out.ApproximateFirstReceiveTimestamp = String(m.firstReceive);
  if (want("SequenceNumber") && m.seqNo) out.SequenceNumber = m.seqNo;
  if (want("MessageDeduplicationId") && m.dedup) out.MessageDeduplicationId = m.dedup;
  if (want("MessageGroupId") && m.group) out.MessageGroupId = m.group;
  if (want("AWSTraceHeader") && m.sys?.AWSTraceHeader?.StringValue) out.AWSTraceHeader = m.sys.AWSTraceHeader.StringValue;
  if (want("DeadLetterQueueSourceArn") && m.src) out.DeadLetterQueueSourceArn = m.src;
  return Object.keys(out).length ? out : undefined;
}

function selectAttributes(m: MessageRecord, names: string[]): MessageRecord["attrs"] | undefined {
  if (!m.attrs || names.length === 0) return undefined;
  const out: NonNullable<MessageRecord["attrs"]> = {};
  for (const [k, v] of Object.entries(m.attrs)) {
    if (names.some((n) => n === "All" || n === ".*" || n === k || (n.endsWith(".*") && k.startsWith(n.slice(0, -1))))) out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

/** Move a message that went over maxReceiveCount to the dead-letter queue. */
async function deadLetter(eng: SqsEngine, q: QueueState, m: MessageRecord, dlqArn: string, now: number): Promise<boolean> {
  const dlq = await queueByArn(eng, dlqArn);
  if (!dlq || dlq.deleted) return false;
  q.remove(m.seq);
  void eng.deleteMessage(q, m.seq);
  const moved: MessageRecord = { ...m, seq: dlq.nextSeq++, visibleAt: now, src: q.arn };
  delete moved.token;
  if (dlq.rec.fifo && !moved.seqNo) moved.seqNo = eng.sequenceNumber();
  dlq.index(moved, now);
  eng.putMessageLater(dlq, moved);
  dlq.wake();
  return true;
}

interface Taken {
  m: MessageRecord;
  token: string;
}

/** Take up to `max` receivable messages now (marking them in flight). */
async function take(eng: SqsEngine, q: QueueState, max: number, visibilityMs: number, now: number): Promise<Taken[]> {
  const out: Taken[] = [];
  const retention = q.attr("MessageRetentionPeriod") * 1000;
  const redrive = q.rec.attributes.RedrivePolicy ? (JSON.parse(q.rec.attributes.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number }) : undefined;
  const claim = async (m: MessageRecord): Promise<boolean> => {
    if (m.sent + retention <= now) {
      q.remove(m.seq);
      void eng.deleteMessage(q, m.seq);
      return false;
    }
    if (redrive && m.receives >= Number(redrive.maxReceiveCount)) {
      if (await deadLetter(eng, q, m, redrive.deadLetterTargetArn, now)) return false;
    }
    m.receives++;
    if (m.firstReceive === undefined) m.firstReceive = now;
    m.token = eng.newToken();
    q.setVisibleAt(m, now + visibilityMs);
    eng.putMessageLater(q, m);
    out.push({ m, token: m.token });
    return true;
  };
  if (!q.rec.fifo) {
    q.promote(now);
    const seen = new Set<number>();
    while (out.length < max) {
      const seq = q.ready.shift();
      if (seq === undefined) break;
      q.inReady.delete(seq);
      const m = q.messages.get(seq);
      if (!m || m.visibleAt > now || seen.has(seq)) continue;
      seen.add(seq);
      await claim(m);
    }
    return out;
  }
  for (const g of [...q.groups.values()]) {
    if (out.length >= max) break;
    // A snapshot of the group's head: claiming leaves messages in place, removing shifts it.
    for (const seq of g.seqs.head(200)) {
      if (out.length >= max) break;
      const m = q.messages.get(seq);
      if (!m) continue;
      if (m.visibleAt > now) break; // in flight (the group is blocked) or delayed
      await claim(m);
    }
  }
  return out;
}

const ReceiveMessage: SqsOperations["ReceiveMessage"] = async (ctx, input) => {
  const { q } = await resolveQueue(ctx, input.QueueUrl);
  const max = input.MaxNumberOfMessages ?? 1;
  if (max < 1 || max > 10) {
    throw invalidParam(`Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
  }
  const wait = input.WaitTimeSeconds ?? q.attr("ReceiveMessageWaitTimeSeconds");
  if (wait < 0 || wait > 20) throw invalidParam(`Value ${wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`);
  if (input.VisibilityTimeout !== undefined && (input.VisibilityTimeout < 0 || input.VisibilityTimeout > 43200)) {
    throw invalidParam(`Value ${input.VisibilityTimeout} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.`);
  }
  const sysNames = [...(input.AttributeNames ?? []), ...(input.MessageSystemAttributeNames ?? [])];
  for (const n of sysNames) {
    if (!SYSTEM_NAMES.includes(n)) throw new ServiceError(SqsErrors.InvalidAttributeName, `Unknown Attribute ${n}.`);
  }
  const attrNames = input.MessageAttributeNames ?? [];
  const visibilityMs = (input.VisibilityTimeout ?? q.attr("VisibilityTimeout")) * 1000;
  const eng = engine(ctx);
  const attempt = input.ReceiveRequestAttemptId;
  if (attempt !== undefined && !/^[\x21-\x7e]{1,128}$/.test(attempt)) {
    throw invalidParam(`Value ${attempt} for parameter ReceiveRequestAttemptId is invalid. Reason: ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.`);
  }
  let now = ctx.clock.nowMs();
  let taken: Taken[] | undefined;
  if (q.rec.fifo && attempt !== undefined) {
    const prior = q.attempts.get(attempt);
    if (prior && prior.expires > now) {
      const again = prior.seqs.map((seq, i) => ({ m: q.messages.get(seq), token: prior.tokens[i]! }));
      if (again.every((t) => t.m && t.m.token === t.token && t.m.visibleAt > now)) taken = again as Taken[];
    }
  }
  if (!taken) {
    const deadline = now + wait * 1000;
    taken = await take(eng, q, max, visibilityMs, now);
    while (taken.length === 0 && !q.deleted && now < deadline) {
      await eng.wait(q, deadline, () => ctx.clock.nowMs(), (l) => ctx.clock.onAdvance(l));
      now = ctx.clock.nowMs();
      if (q.deleted) break;
      taken = await take(eng, q, max, visibilityMs, now);
    }
    if (q.rec.fifo && attempt !== undefined && taken.length) {
      q.attempts.set(attempt, { expires: now + DEDUP_WINDOW_MS, seqs: taken.map((t) => t.m.seq), tokens: taken.map((t) => t.token) });
    }
  }
  const dims = [{ Name: "QueueName", Value: q.name }];
  if (taken.length === 0) {
    eng.metrics?.add(q.scope, "NumberOfEmptyReceives", dims, 1);
    return {};
  }
  eng.metrics?.add(q.scope, "NumberOfMessagesReceived", dims, taken.length);
  return {
    Messages: taken.map(({ m, token }) => {
      const sys = systemAttributes(m, sysNames);
      const attrs = selectAttributes(m, attrNames);
      return {
        MessageId: m.id,
        ReceiptHandle: makeReceiptHandle(q.arn, m.seq, m.id, token),
        MD5OfBody: m.md5,
        Body: m.body,
        ...(sys ? { Attributes: sys } : {}),
        ...(attrs ? { MD5OfMessageAttributes: md5OfAttributes(attrs), MessageAttributes: writeAttributes(attrs) } : {}),
      };
    }),
  };
};

// ---------------------------------------------------------------------------------------------
// Deleting and visibility

/** Apply a delete; throws AWS's error for the entry. Returns the pending write, if any. */
function deleteOne(eng: SqsEngine, q: QueueState, handle: string, now: number): Promise<void> | undefined {
  const h = parseReceiptHandle(handle);
  if (!h || h.queueArn !== q.arn) throw invalidHandle(handle);
  const m = q.messages.get(h.seq);
  if (!m || m.id !== h.messageId) return undefined; // already gone: AWS answers success
  if (m.token !== h.token) {
    if (q.rec.fifo) {
      throw invalidParam(`Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`);
    }
    // Standard: a handle from an earlier receive deletes the message unless it is in flight again.
    if (m.visibleAt > now && m.receives > 0) return undefined;
  }
  q.remove(h.seq);
  eng.metrics?.add(q.scope, "NumberOfMessagesDeleted", [{ Name: "QueueName", Value: q.name }], 1);
  // Deleting the head of a FIFO group unblocks it.
  if (q.rec.fifo) q.wake();
  return eng.deleteMessage(q, h.seq);
}

const DeleteMessage: SqsOperations["DeleteMessage"] = async (ctx, input) => {
  const { q } = await resolveQueue(ctx, input.QueueUrl);
  await deleteOne(engine(ctx), q, input.ReceiptHandle, ctx.clock.nowMs());
  return {};
};

const DeleteMessageBatch: SqsOperations["DeleteMessageBatch"] = async (ctx, input) => {
  const { q } = await resolveQueue(ctx, input.QueueUrl);
  checkBatch(input.Entries, "DeleteMessageBatchRequestEntry");
  const eng = engine(ctx);
  const now = ctx.clock.nowMs();
  const Successful: { Id: string }[] = [];
  const Failed: BatchFailure[] = [];
  const writes: Promise<void>[] = [];
  for (const e of input.Entries) {
    try {
      const w = deleteOne(eng, q, e.ReceiptHandle, now);
      if (w) writes.push(w);
      Successful.push({ Id: e.Id });
    } catch (err) {
      Failed.push(failure(e.Id, err));
    }
  }
  await Promise.all(writes);
  return { Successful, Failed };
};

function changeVisibility(eng: SqsEngine, q: QueueState, handle: string, timeout: number, now: number): void {
  const h = parseReceiptHandle(handle);
  if (!h || h.queueArn !== q.arn) throw invalidHandle(handle);
  if (timeout < 0 || timeout > 43200) {
    throw invalidParam(`Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.`);
  }
  const m = q.messages.get(h.seq);
  if (!m || m.id !== h.messageId || m.receives === 0 || m.visibleAt <= now) throw new ServiceError(SqsErrors.MessageNotInflight);
  if (m.token !== h.token) {
    throw invalidParam(`Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`);
  }
  const limit = (m.firstReceive ?? now) + 43_200_000;
  if (now + timeout * 1000 > limit) {
    throw invalidParam(
      `Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]`,
    );
  }
  q.setVisibleAt(m, now + timeout * 1000);
  eng.putMessageLater(q, m);
  if (timeout === 0) q.wake();
}

const ChangeMessageVisibility: SqsOperations["ChangeMessageVisibility"] = async (ctx, input) => {
  const { q } = await resolveQueue(ctx, input.QueueUrl);
  changeVisibility(engine(ctx), q, input.ReceiptHandle, input.VisibilityTimeout, ctx.clock.nowMs());
  return {};
};

const ChangeMessageVisibilityBatch: SqsOperations["ChangeMessageVisibilityBatch"] = async (ctx, input) => {
  const { q } = await resolveQueue(ctx, input.QueueUrl);
  checkBatch(input.Entries, "ChangeMessageVisibilityBatchRequestEntry");
  const eng = engine(ctx);
  const now = ctx.clock.nowMs();
  const Successful: { Id: string }[] = [];
  const Failed: BatchFailure[] = [];
  for (const e of input.Entries) {
    try {
      changeVisibility(eng, q, e.ReceiptHandle, e.VisibilityTimeout ?? 0, now);
      Successful.push({ Id: e.Id });
    } catch (err) {
      Failed.push(failure(e.Id, err));
    }
  }
  return { Successful, Failed };
};

// ---------------------------------------------------------------------------------------------
// Message move tasks (dead-letter redrive)

function taskHandle(task: { id: string; sourceArn: string }): string {
  return Buffer.from(JSON.stringify({ taskId: task.id, sourceArn: task.sourceArn }), "utf8").toString("base64");
}

async function isDeadLetterQueue(eng: SqsEngine, arn: string): Promise<boolean> {
  for (const s of await eng.allScopes()) {
    for (const src of s.queues.values()) {
      const rp = src.rec.attributes.RedrivePolicy;
      if (rp && (JSON.parse(rp) as { deadLetterTargetArn?: string }).deadLetterTargetArn === arn) return true;
    }
  }
  return false;
}

const StartMessageMoveTask: SqsOperations["StartMessageMoveTask"] = async (ctx, input) => {
  const eng = engine(ctx);
  const src = await queueByArn(eng, input.SourceArn);
  if (!src) throw new ServiceError(SqsErrors.ResourceNotFoundException, "The resource that you specified for the SourceArn parameter doesn't exist.");
  if (!(await isDeadLetterQueue(eng, src.arn))) throw invalidParam("Source queue must be configured as a Dead Letter Queue.");
  let dest: QueueState | undefined;
  if (input.DestinationArn !== undefined) {
    dest = await queueByArn(eng, input.DestinationArn);
    if (!dest) throw new ServiceError(SqsErrors.ResourceNotFoundException, "The resource that you specified for the DestinationArn parameter doesn't exist.");
  }
  const rate = input.MaxNumberOfMessagesPerSecond;
  if (rate !== undefined && (rate < 1 || rate > 500)) {
    throw invalidParam("Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: You must enter a number that's between 1 and 500.");
  }
  const s = await eng.scope(src.scope.account, src.scope.region);
  if ([...s.tasks.values()].some((t) => t.sourceArn === src.arn && t.status === "RUNNING")) {
    throw invalidParam("There is already a task running. Only one active task is allowed for a source queue arn at a given time.");
  }
  const now = ctx.clock.nowMs();
  const id = eng.newMessageId();
  const task: MoveTaskRecord = {
    id,
    handle: "",
    sourceArn: src.arn,
    ...(dest ? { destinationArn: dest.arn } : {}),
    ...(rate !== undefined ? { rate } : {}),
    status: "RUNNING",
    moved: 0,
    toMove: src.messages.size,
    started: now,
  };
  task.handle = taskHandle(task);
  // Move every message that is not in flight now.
  const writes: Promise<void>[] = [];
  for (const m of [...src.messages.values()]) {
    if (m.visibleAt > now && m.receives > 0) continue;
    const target = dest ?? (m.src ? await queueByArn(eng, m.src) : undefined);
    if (!target || target.deleted) continue;
    src.remove(m.seq);
    writes.push(eng.deleteMessage(src, m.seq));
    const moved: MessageRecord = { ...m, seq: target.nextSeq++, visibleAt: now, receives: 0 };
    delete moved.token;
    delete moved.firstReceive;
    delete moved.src;
    if (target.rec.fifo && !moved.seqNo) moved.seqNo = eng.sequenceNumber();
    target.index(moved, now);
    writes.push(eng.putMessage(target, moved));
    target.wake();
    task.moved++;
  }
  task.status = "COMPLETED";
  s.tasks.set(id, task);
  writes.push(eng.writer.write(s.scope, "move-tasks", id, task));
  await Promise.all(writes);
  return { TaskHandle: task.handle };
};

const ListMessageMoveTasks: SqsOperations["ListMessageMoveTasks"] = async (ctx, input) => {
  const eng = engine(ctx);
  const src = await queueByArn(eng, input.SourceArn);
  if (!src) throw new ServiceError(SqsErrors.ResourceNotFoundException, "The resource that you specified for the SourceArn parameter doesn't exist.");
  const max = input.MaxResults ?? 1;
  if (max < 1 || max > 10) throw invalidParam("Value for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and 10.");
  const s = await eng.scope(src.scope.account, src.scope.region);
  const tasks = [...s.tasks.values()].filter((t) => t.sourceArn === src.arn).sort((a, b) => b.started - a.started).slice(0, max);
  return {
    Results: tasks.map((t) => ({
      ...(t.status === "RUNNING" ? { TaskHandle: t.handle } : {}),
      Status: t.status,
      SourceArn: t.sourceArn,
      ...(t.destinationArn ? { DestinationArn: t.destinationArn } : {}),
      ...(t.rate !== undefined ? { MaxNumberOfMessagesPerSecond: t.rate } : {}),
      ApproximateNumberOfMessagesMoved: t.moved,
      ApproximateNumberOfMessagesToMove: t.toMove,
      ...(t.failureReason ? { FailureReason: t.failureReason } : {}),
      StartedTimestamp: t.started,
    })),
  };
};

const CancelMessageMoveTask: SqsOperations["CancelMessageMoveTask"] = async (ctx, input) => {
  const eng = engine(ctx);
  let parsed: { taskId?: string; sourceArn?: string };
  try {
    parsed = JSON.parse(Buffer.from(input.TaskHandle, "base64").toString("utf8")) as typeof parsed;
  } catch {
    throw invalidParam("Value for parameter TaskHandle is invalid.");
  }
  const src = parsed.sourceArn ? await queueByArn(eng, parsed.sourceArn) : undefined;
  if (!src || !parsed.taskId) throw new ServiceError(SqsErrors.ResourceNotFoundException, "Task does not exist.");
  const s = await eng.scope(src.scope.account, src.scope.region);
  const task = s.tasks.get(parsed.taskId);
  if (!task) throw new ServiceError(SqsErrors.ResourceNotFoundException, "Task does not exist.");
  if (task.status !== "RUNNING") throw new ServiceError(SqsErrors.ResourceNotFoundException, "Only active tasks can be cancelled.");
  task.status = "CANCELLED";
  await eng.writer.write(s.scope, "move-tasks", task.id, task);
  return { ApproximateNumberOfMessagesMoved: task.moved };
};

export const handlers: Partial<SqsOperations> = {
  CreateQueue,
  GetQueueUrl,
  ListQueues,
  DeleteQueue,
  GetQueueAttributes,
  SetQueueAttributes,
  PurgeQueue,
  TagQueue,
  UntagQueue,
  ListQueueTags,
  ListDeadLetterSourceQueues,
  AddPermission,
  RemovePermission,
  SendMessage,
  SendMessageBatch,
  ReceiveMessage,
  DeleteMessage,
  DeleteMessageBatch,
  ChangeMessageVisibility,
  ChangeMessageVisibilityBatch,
  StartMessageMoveTask,
  ListMessageMoveTasks,
  CancelMessageMoveTask,
};
