/**
 * S3 event notifications up to the delivery interface: the write paths report what happened to an
 * object (`emitS3Event`), this module builds the event record S3 sends (event version 2.1), matches
 * it against the bucket's notification configuration (QueueConfigurations, TopicConfigurations,
 * LambdaFunctionConfigurations: event names with `:*` wildcards, prefix / suffix key filters) and
 * hands each match to the delivery target registered for its kind (`registerS3EventTarget`). SQS,
 * SNS and Lambda register theirs when they exist; a match with no registered target is counted
 * (`s3EventStats`) and logged at debug level.
 *
 * Delivery is asynchronous: the record (its time and sequencer) is fixed when the write commits,
 * everything else runs after the response on a per-bucket chain, so events of one bucket are
 * delivered in the order they happened and a failing delivery never fails a request.
 * PutBucketNotificationConfiguration sends the `s3:TestEvent` message to each destination of the
 * new configuration, as S3 does.
 *
 * Tests in the same process observe deliveries with `onS3Event` and wait with `s3EventsSettled`.
 *
 * ## Gaps
 * - Destinations are not checked to exist, and the destination's resource policy is not asked
 *   whether S3 may deliver (AWS refuses the configuration when it may not).
 * - With EventBridgeConfiguration, `requester` in the EventBridge detail is the bucket owner's
 *   account (or s3.amazonaws.com), not the requester's own account.
 * - Events not emitted yet: ObjectTagging:*, ObjectAcl:Put, ObjectRestore:Delete (expiry of a
 *   restored copy), LifecycleTransition, IntelligentTiering, Replication:*, ReducedRedundancyLostObject.
 * - Events queued but not yet delivered when the process stops are lost (S3 delivers at least once).
 * - The key is encoded the way S3's notifications are observed to be (form encoding, `/` kept);
 *   the exact set of characters S3 leaves unencoded besides letters, digits, `-_.*` and `/` is
 *   not documented.
 */
import { randomUUID } from "node:crypto";
import type { RequestContext, Principal } from "../../core/service.js";
import type { Logger } from "../../core/logger.js";
import type { DeliveryBus } from "../../core/bus.js";
import type { MetadataStore } from "../../storage/types.js";
import type { BucketRecord } from "./store.js";
import { getNotificationConfiguration, type NotificationConfig, type NotificationTarget } from "./bucket-config-store.js";

/** One event record, as S3 sends it (event version 2.1). */
export interface S3EventRecord {
  eventVersion: string;
  eventSource: "aws:s3";
  awsRegion: string;
  eventTime: string;
  eventName: string;
  userIdentity: { principalId: string };
  requestParameters: { sourceIPAddress: string };
  responseElements: { "x-amz-request-id": string; "x-amz-id-2": string };
  s3: {
    s3SchemaVersion: "1.0";
    configurationId: string;
    bucket: { name: string; ownerIdentity: { principalId: string }; arn: string };
    object: { key: string; size?: number; eTag?: string; versionId?: string; sequencer: string };
  };
  /** Only on ObjectRestore:* events. */
  glacierEventData?: { restoreEventData: { lifecycleRestorationExpiryTime?: string; lifecycleRestoreStorageClass: string } };
}

/** The message sent when a notification configuration is put. */
export interface S3TestEvent {
  Service: "Amazon S3";
  Event: "s3:TestEvent";
  Time: string;
  Bucket: string;
  RequestId: string;
  HostId: string;
}

export type S3EventMessage = { Records: S3EventRecord[] } | S3TestEvent;
export type S3EventTargetKind = "queue" | "topic" | "lambda";
export type S3EventDeliver = (arn: string, message: S3EventMessage) => Promise<void>;

/** What an observer sees of each delivery (whether or not a target is registered). */
export interface S3EventDelivery {
  kind: S3EventTargetKind;
  arn: string;
  bucket: string;
  message: S3EventMessage;
  /** Whether a registered target took it (false: no target of that kind is registered). */
  delivered: boolean;
}

/** What happened to an object, as a write path reports it. */
export interface S3ObjectChange {
  /** The event name without `s3:`, e.g. "ObjectCreated:Put", "ObjectRemoved:DeleteMarkerCreated". */
  eventName: string;
  key: string;
  size?: number;
  /** The ETag as stored (quoted or not). */
  etag?: string;
  /** Omitted for unversioned buckets. */
  versionId?: string;
  /** Restore events: the restored copy's expiry and the object's storage class. */
  restore?: { expiry?: string; storageClass: string };
}

/** Who caused the event: a request, or S3 itself (lifecycle, restore completion). */
export interface S3EventOrigin {
  metadata: MetadataStore;
  logger: Logger;
  /** The instance's delivery bus (SQS, SNS and Lambda take events from it once they exist). */
  bus?: DeliveryBus;
  time: Date;
  principalId: string;
  sourceIp: string;
  requestId: string;
  hostId: string;
}

// ---------------------------------------------------------------------------------------------
// Registry, observers, counters

const targets = new Map<S3EventTargetKind, S3EventDeliver>();
const listeners = new Set<(d: S3EventDelivery) => void>();
const stats = { undeliverable: 0, delivered: 0, failed: 0 };

/** SQS / SNS / Lambda register how they take a message; returns a function that unregisters. */
export function registerS3EventTarget(kind: S3EventTargetKind, deliver: S3EventDeliver): () => void {
  targets.set(kind, deliver);
  return () => {
    if (targets.get(kind) === deliver) targets.delete(kind);
  };
}

/** Test hook: see every delivery (including those with no registered target). */
export function onS3Event(listener: (d: S3EventDelivery) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Counts since the process started: matches with no target, deliveries, failed deliveries. */
export function s3EventStats(): Readonly<typeof stats> {
  return { ...stats };
}

// ---------------------------------------------------------------------------------------------
// Per-bucket ordering

const chains = new Map<string, Promise<void>>();

function enqueue(bucket: string, logger: Logger, work: () => Promise<void>): void {
  const prev = chains.get(bucket) ?? Promise.resolve();
  const next = prev
    // After the response: let the request finish before any notification work starts.
    .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
    .then(work)
    .catch((e: unknown) => logger.warn(`s3 events: bucket ${bucket}: ${String(e)}`));
  chains.set(bucket, next);
  void next.finally(() => {
    if (chains.get(bucket) === next) chains.delete(bucket);
  });
}

/** For tests in the same process: resolves once every queued event has been delivered. */
export async function s3EventsSettled(): Promise<void> {
  while (chains.size > 0) await Promise.all([...chains.values()]);
}

// ---------------------------------------------------------------------------------------------
// Record building

let lastSequence = 0n;

/**
 * A sequencer: fixed-width upper-case hex that only grows within the process and across restarts
 * (it is seeded by real time), so for any one key a later event has a greater sequencer, compared
 * as strings, as S3 documents.
 */
function nextSequencer(): string {
  const fromTime = BigInt(Date.now()) * 4096n;
  lastSequence = fromTime > lastSequence ? fromTime : lastSequence + 1n;
  return lastSequence.toString(16).toUpperCase().padStart(18, "0");
}

/** The key as S3 writes it in a record: form-encoded (space as `+`), slashes kept. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+")
    .replace(/%2F/g, "/");
}

function principalIdOf(p: Principal): string {
  switch (p.type) {
    case "root":
      return p.account;
    case "user":
      return `AWS:${p.userId}`;
    case "assumed-role":
      return `AWS:${p.roleId}:${p.sessionName}`;
    default:
      return "Anonymous";
  }
}

/** A host id for x-amz-id-2 (S3's extended request id): base64 of the request id, as Nimbus's responses carry no other. */
const hostIdOf = (requestId: string) => Buffer.from(`nimbus-${requestId}`).toString("base64");

/** The origin of an event caused by a request. */
export function requestOrigin(ctx: RequestContext): S3EventOrigin {
  return {
    metadata: ctx.storage.metadata,
    logger: ctx.logger,
    bus: ctx.bus,
    time: ctx.clock.now(),
    principalId: principalIdOf(ctx.principal),
    sourceIp: ctx.sourceIp,
    requestId: ctx.requestId,
    hostId: hostIdOf(ctx.requestId),
  };
}

/** The origin of an event S3 causes itself (lifecycle expiration, restore completion). */
export function serviceOrigin(env: { storage: { metadata: MetadataStore }; logger: Logger; bus?: DeliveryBus }, time: Date): S3EventOrigin {
  const requestId = nextSequencer();
  return {
    metadata: env.storage.metadata,
    logger: env.logger,
    bus: env.bus,
    time,
    principalId: "s3.amazonaws.com",
    sourceIp: "s3.amazonaws.com",
    requestId,
    hostId: hostIdOf(requestId),
  };
}

function buildRecord(origin: S3EventOrigin, bucket: BucketRecord, change: S3ObjectChange, sequencer: string, configurationId: string): S3EventRecord {
  const object: S3EventRecord["s3"]["object"] = { key: encodeEventKey(change.key), sequencer };
  if (change.size !== undefined) object.size = change.size;
  if (change.etag !== undefined) object.eTag = change.etag.replace(/^"|"$/g, "");
  if (change.versionId !== undefined) object.versionId = change.versionId;
  // Key order as in S3's messages: sequencer last.
  delete (object as { sequencer?: string }).sequencer;
  object.sequencer = sequencer;
  const record: S3EventRecord = {
    // S3 uses 2.3 for lifecycle events (with a lifecycleEventData block Nimbus leaves out), 2.1 otherwise.
    eventVersion: change.eventName.startsWith("LifecycleExpiration:") ? "2.3" : "2.1",
    eventSource: "aws:s3",
    awsRegion: bucket.region,
    eventTime: origin.time.toISOString(),
    eventName: change.eventName,
    userIdentity: { principalId: origin.principalId },
    requestParameters: { sourceIPAddress: origin.sourceIp },
    responseElements: { "x-amz-request-id": origin.requestId, "x-amz-id-2": origin.hostId },
    s3: {
      s3SchemaVersion: "1.0",
      configurationId,
      bucket: { name: bucket.name, ownerIdentity: { principalId: bucket.account }, arn: `arn:aws:s3:::${bucket.name}` },
      object,
    },
  };
  if (change.restore) {
    record.glacierEventData = {
      restoreEventData: {
        ...(change.restore.expiry ? { lifecycleRestorationExpiryTime: change.restore.expiry } : {}),
        lifecycleRestoreStorageClass: change.restore.storageClass,
      },
    };
  }
  return record;
}

// ---------------------------------------------------------------------------------------------
// Matching

interface Destination {
  kind: S3EventTargetKind;
  arn: string;
  target: NotificationTarget;
}

function destinations(config: NotificationConfig): Destination[] {
  return [
    ...(config.QueueConfigurations ?? []).map((t) => ({ kind: "queue" as const, arn: t.QueueArn, target: t })),
    ...(config.TopicConfigurations ?? []).map((t) => ({ kind: "topic" as const, arn: t.TopicArn, target: t })),
    ...(config.LambdaFunctionConfigurations ?? []).map((t) => ({ kind: "lambda" as const, arn: t.LambdaFunctionArn, target: t })),
  ];
}

/** Does a configured event (`s3:ObjectCreated:*`, `s3:ObjectCreated:Put`) cover an event name? */
export function eventMatches(configured: string, eventName: string): boolean {
  const full = `s3:${eventName}`;
  if (configured.endsWith(":*")) return full.startsWith(configured.slice(0, -1));
  return configured === full;
}

/** Does the target's key filter (prefix and suffix, on the unencoded key) let the key through? */
export function keyMatches(target: NotificationTarget, key: string): boolean {
  for (const rule of target.Filter?.Key.FilterRules ?? []) {
    if (rule.Name === "Prefix" && !key.startsWith(rule.Value)) return false;
    if (rule.Name === "Suffix" && !key.endsWith(rule.Value)) return false;
  }
  return true;
}

async function deliver(origin: S3EventOrigin, bucket: BucketRecord, kind: S3EventTargetKind, arn: string, message: S3EventMessage): Promise<void> {
  const logger = origin.logger;
  // A target registered in-process (tests) takes precedence over the instance's bus.
  const bus = origin.bus;
  const target: S3EventDeliver | undefined =
    targets.get(kind) ??
    (bus?.accepts(arn)
      ? async (a, m) => {
          await bus.deliver(a, {
            body: JSON.stringify(m),
            sender: { servicePrincipal: "s3.amazonaws.com", account: bucket.account, sourceArn: `arn:aws:s3:::${bucket.name}` },
          });
        }
      : undefined);
  if (!target) {
    stats.undeliverable++;
    logger.debug(`s3 events: bucket ${bucket.name}: no ${kind} target registered for ${arn}; event not delivered`);
  } else {
    try {
      await target(arn, message);
      stats.delivered++;
    } catch (e) {
      stats.failed++;
      logger.warn(`s3 events: bucket ${bucket.name}: delivery to ${arn} failed: ${String(e)}`);
    }
  }
  for (const listener of listeners) {
    try {
      listener({ kind, arn, bucket: bucket.name, message, delivered: !!target });
    } catch {
      // An observer's failure is its own.
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Report a change to an object after it committed. Never throws and never waits: the sequencer
 * and time are taken now, matching and delivery happen after the response.
 */
export function emitS3Event(origin: S3EventOrigin | RequestContext, bucket: BucketRecord, change: S3ObjectChange): void {
  try {
    const o = "clock" in origin ? requestOrigin(origin) : origin;
    const sequencer = nextSequencer();
    enqueue(bucket.name, o.logger, async () => {
      const config = await getNotificationConfiguration(o.metadata, bucket);
      if (!config) return;
      for (const d of destinations(config)) {
        if (!d.target.Events.some((e) => eventMatches(e, change.eventName))) continue;
        if (!keyMatches(d.target, change.key)) continue;
        const record = buildRecord(o, bucket, change, sequencer, d.target.Id);
        await deliver(o, bucket, d.kind, d.arn, { Records: [record] });
      }
      if (config.EventBridgeConfiguration !== undefined) await sendToEventBridge(o, bucket, change, sequencer);
    });
  } catch (e) {
    ("logger" in origin ? origin.logger : undefined)?.warn(`s3 events: ${String(e)}`);
  }
}

/** EventBridge's detail-type and `reason` for each S3 event name (S3's EventBridge event reference). */
const EVENTBRIDGE_TYPES: Array<[RegExp, string, string | undefined]> = [
  [/^ObjectCreated:Put$/, "Object Created", "PutObject"],
  [/^ObjectCreated:Post$/, "Object Created", "POST Object"],
  [/^ObjectCreated:Copy$/, "Object Created", "CopyObject"],
  [/^ObjectCreated:CompleteMultipartUpload$/, "Object Created", "CompleteMultipartUpload"],
  [/^ObjectRemoved:/, "Object Deleted", "DeleteObject"],
  [/^LifecycleExpiration:/, "Object Deleted", "Lifecycle Expiration"],
  [/^ObjectRestore:Post$/, "Object Restore Initiated", undefined],
  [/^ObjectRestore:Completed$/, "Object Restore Completed", undefined],
  [/^ObjectRestore:Delete$/, "Object Restore Expired", undefined],
  [/^ObjectTagging:Put$/, "Object Tags Added", undefined],
  [/^ObjectTagging:Delete$/, "Object Tags Deleted", undefined],
  [/^ObjectAcl:Put$/, "Object ACL Updated", undefined],
  [/^LifecycleTransition$/, "Object Storage Class Changed", undefined],
];

/** With EventBridge notifications on, every event also goes to the default bus of the bucket's account and region. */
async function sendToEventBridge(o: S3EventOrigin, bucket: BucketRecord, change: S3ObjectChange, sequencer: string): Promise<void> {
  const type = EVENTBRIDGE_TYPES.find(([re]) => re.test(change.eventName));
  const arn = `arn:aws:events:${bucket.region}:${bucket.account}:event-bus/default`;
  if (!type || !o.bus?.accepts(arn)) return;
  const [, detailType, reason] = type;
  const object: Record<string, unknown> = { key: change.key };
  if (change.size !== undefined) object.size = change.size;
  if (change.etag !== undefined) object.etag = change.etag.replace(/^"|"$/g, "");
  if (change.versionId !== undefined) object["version-id"] = change.versionId;
  object.sequencer = sequencer;
  const detail: Record<string, unknown> = {
    version: "0",
    bucket: { name: bucket.name },
    object,
    "request-id": o.requestId,
    requester: o.principalId === "s3.amazonaws.com" ? "s3.amazonaws.com" : bucket.account,
    "source-ip-address": o.sourceIp,
    ...(reason ? { reason } : {}),
  };
  if (detailType === "Object Deleted") detail["deletion-type"] = /DeleteMarkerCreated$/.test(change.eventName) ? "Delete Marker Created" : "Permanently Deleted";
  const event = {
    version: "0",
    id: randomUUID(),
    "detail-type": detailType,
    source: "aws.s3",
    account: bucket.account,
    time: o.time.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: bucket.region,
    resources: [`arn:aws:s3:::${bucket.name}`],
    detail,
  };
  try {
    await o.bus.deliver(arn, {
      body: JSON.stringify(event),
      sender: { servicePrincipal: "s3.amazonaws.com", account: bucket.account, sourceArn: `arn:aws:s3:::${bucket.name}` },
    });
  } catch (e) {
    o.logger.warn(`s3 events: bucket ${bucket.name}: EventBridge delivery failed: ${String(e)}`);
  }
}

/** The s3:TestEvent S3 sends to each destination when a notification configuration is put. */
export function emitS3TestEvent(ctx: RequestContext, bucket: BucketRecord, config: NotificationConfig): void {
  const o = requestOrigin(ctx);
  const message: S3TestEvent = {
    Service: "Amazon S3",
    Event: "s3:TestEvent",
    Time: o.time.toISOString(),
    Bucket: bucket.name,
    RequestId: o.requestId,
    HostId: o.hostId,
  };
  const seen = new Set<string>();
  const list = destinations(config).filter((d) => !seen.has(d.arn) && seen.add(d.arn));
  if (list.length === 0) return;
  enqueue(bucket.name, o.logger, async () => {
    for (const d of list) await deliver(o, bucket, d.kind, d.arn, message);
  });
}

/**
 * Emit an event S3 itself causes once the injected clock reaches `dueMs` (a restore completing):
 * checked on every clock advance and by an unref'd real-time timer. Lost if the process stops first.
 */
export function emitS3EventWhenDue(
  ctx: RequestContext,
  bucket: BucketRecord,
  dueMs: number,
  change: () => S3ObjectChange,
): void {
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  const check = () => {
    if (ctx.clock.nowMs() < dueMs) return;
    unsubscribe?.();
    if (timer) clearTimeout(timer);
    unsubscribe = undefined;
    timer = undefined;
    emitS3Event(serviceOrigin(ctx, ctx.clock.now()), bucket, change());
  };
  unsubscribe = ctx.clock.onAdvance(check);
  const wait = Math.max(0, dueMs - ctx.clock.nowMs());
  // setTimeout holds at most ~24.8 days; longer waits rely on clock advances (or a later timer).
  if (wait < 2_147_000_000) {
    timer = setTimeout(check, wait);
    timer.unref();
  }
}
