/**
 * DynamoDB Streams, the recording side: a change listener on the item-write path appends one
 * stream record per item change to the table's current stream, inside the write's transaction
 * (so a record exists exactly when the change does, in commit order).
 *
 * ## Tables of the metadata store (scope: account + region, service "dynamodb")
 *
 *   streams                          stream ARN -> StreamMeta (every stream ever seen, until expired)
 *   stream-records:<TableId>:<Label> sequence number (21 digits) -> StoredStreamRecord
 *
 * Sequence numbers are per stream, 21-digit decimal strings starting at 10^20 + 1, so string and
 * numeric order agree and they look like AWS's. One shard per stream (AWS rolls shards about every
 * 4 hours; a single shard keeps per-item ordering trivially and consumers handle it the same way).
 *
 * A stream is ENABLED while its table still exists (same TableId), names it as LatestStreamArn,
 * and has StreamEnabled; otherwise it is DISABLED and its shard closed (EndingSequenceNumber = its
 * last record). Records are kept 24 hours on the clock; a disabled stream is forgotten 24 hours
 * after its last record.
 */
import { createHash } from "node:crypto";
import type { MetadataStore, Scope, Table } from "../../storage/types.js";
import { itemSize } from "./item-size.js";
import {
  fromStored,
  getTable,
  onItemChange,
  toStored,
  type ChangeEventName,
  type ItemChange,
  type KeySchemaElement,
  type StoredItem,
  type TableRecord,
} from "./table-store.js";
import type { Item } from "./attribute-value.js";
import { randomString } from "../../core/random.js";

export const STREAM_RETENTION_MS = 24 * 60 * 60 * 1000;
const SEQUENCE_BASE = 10n ** 20n;

export type StreamViewType = "KEYS_ONLY" | "NEW_IMAGE" | "OLD_IMAGE" | "NEW_AND_OLD_IMAGES";

export interface StreamMeta {
  StreamArn: string;
  StreamLabel: string;
  TableName: string;
  TableId: string;
  KeySchema: KeySchemaElement[];
  StreamViewType: StreamViewType;
  /** Epoch ms the stream was first seen (its label's time when parseable). */
  createdMs: number;
  shardId: string;
  /** Records up to this sequence number were trimmed by retention (TrimmedDataAccessException). */
  trimmedThrough?: string;
}

export interface StoredStreamRecord {
  eventID: string;
  eventName: ChangeEventName;
  /** Epoch ms of the write. */
  createdMs: number;
  Keys: StoredItem;
  NewImage?: StoredItem;
  OldImage?: StoredItem;
  SizeBytes: number;
  userIdentity?: { type: string; principalId: string };
}

/** A record as GetRecords returns it (and as the stream reader gives it to consumers). */
export interface StreamRecord {
  eventID: string;
  eventName: ChangeEventName;
  eventVersion: "1.1";
  eventSource: "aws:dynamodb";
  awsRegion: string;
  dynamodb: {
    ApproximateCreationDateTime: Date;
    Keys: Item;
    NewImage?: Item;
    OldImage?: Item;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: StreamViewType;
  };
  userIdentity?: { Type: string; PrincipalId: string };
}

/** State is kept under the dynamodb service's scope, whichever API (dynamodb or dynamodbstreams) reads it. */
export function dynamodbScope(scope: Scope): Scope {
  return scope.service === "dynamodb" ? scope : { account: scope.account, region: scope.region, service: "dynamodb" };
}

export function streamsTable(source: Pick<MetadataStore, "table">, scope: Scope): Table<StreamMeta> {
  return source.table<StreamMeta>(dynamodbScope(scope), "streams");
}

export function recordsTable(source: Pick<MetadataStore, "table">, scope: Scope, meta: Pick<StreamMeta, "TableId" | "StreamLabel">): Table<StoredStreamRecord> {
  return source.table<StoredStreamRecord>(dynamodbScope(scope), `stream-records:${meta.TableId}:${meta.StreamLabel}`);
}

export function sequenceNumber(n: bigint): string {
  return (SEQUENCE_BASE + n).toString();
}
export const FIRST_SEQUENCE_NUMBER = sequenceNumber(1n);

/** The label AWS gives a stream: the ISO time it was created, milliseconds included. */
export function newStreamLabel(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/Z$/, "");
}

export function streamArnFor(tableArn: string, label: string): string {
  return `${tableArn}/stream/${label}`;
}

/** Deterministic per stream, so concurrent first sightings of a stream agree on its shard. */
function shardIdFor(createdMs: number, streamArn: string): string {
  return `shardId-${String(createdMs).padStart(20, "0")}-${createHash("sha256").update(streamArn).digest("hex").slice(0, 8)}`;
}

/** The StreamMeta for a table's current stream (not stored). */
export function metaFromTable(table: TableRecord, nowMs: number): StreamMeta | undefined {
  if (!table.LatestStreamArn || !table.LatestStreamLabel) return undefined;
  const parsed = Date.parse(`${table.LatestStreamLabel}Z`);
  const createdMs = Number.isFinite(parsed) ? parsed : nowMs;
  return {
    StreamArn: table.LatestStreamArn,
    StreamLabel: table.LatestStreamLabel,
    TableName: table.TableName,
    TableId: table.TableId,
    KeySchema: table.KeySchema,
    StreamViewType: (table.StreamSpecification?.StreamViewType as StreamViewType | undefined) ?? "NEW_AND_OLD_IMAGES",
    createdMs,
    shardId: shardIdFor(createdMs, table.LatestStreamArn),
  };
}

/** Records the table's current stream if it is not known yet; returns the stored meta. */
export async function ensureStream(source: Pick<MetadataStore, "table">, scope: Scope, table: TableRecord, nowMs: number): Promise<StreamMeta | undefined> {
  const fresh = metaFromTable(table, nowMs);
  if (!fresh) return undefined;
  const streams = streamsTable(source, scope);
  const known = await streams.get(fresh.StreamArn);
  if (known) return known;
  await streams.put(fresh.StreamArn, fresh);
  return fresh;
}

/** Whether the stream still receives records (its table's current, enabled stream). */
export async function isStreamEnabled(source: Pick<MetadataStore, "table">, scope: Scope, meta: StreamMeta): Promise<boolean> {
  const table = await getTable(source as MetadataStore, dynamodbScope(scope), meta.TableName);
  return !!table && table.TableId === meta.TableId && table.LatestStreamArn === meta.StreamArn && table.StreamSpecification?.StreamEnabled === true;
}

/** The last sequence number written to a stream, or undefined when it has none. */
export async function lastSequenceNumber(source: Pick<MetadataStore, "table">, scope: Scope, meta: StreamMeta): Promise<string | undefined> {
  const [last] = await recordsTable(source, scope, meta).list({ reverse: true, limit: 1 });
  return last?.key;
}

function imagesFor(view: StreamViewType, change: ItemChange): Pick<StoredStreamRecord, "NewImage" | "OldImage"> {
  const out: Pick<StoredStreamRecord, "NewImage" | "OldImage"> = {};
  if ((view === "NEW_IMAGE" || view === "NEW_AND_OLD_IMAGES") && change.newImage) out.NewImage = toStored(change.newImage);
  if ((view === "OLD_IMAGE" || view === "NEW_AND_OLD_IMAGES") && change.oldImage) out.OldImage = toStored(change.oldImage);
  return out;
}

/** The change listener: one record per change on a table whose stream is enabled. */
async function recordChange(change: ItemChange, ctx: { tx: Pick<MetadataStore, "table">; scope: Scope; nowMs: number; tableRecord: TableRecord }): Promise<void> {
  const table = ctx.tableRecord;
  if (!table.StreamSpecification?.StreamEnabled || !table.LatestStreamArn) return;
  const meta = await ensureStream(ctx.tx, ctx.scope, table, ctx.nowMs);
  if (!meta) return;
  const records = recordsTable(ctx.tx, ctx.scope, meta);
  // After retention trimmed everything, numbering continues past the trimmed records.
  const last = (await lastSequenceNumber(ctx.tx, ctx.scope, meta)) ?? meta.trimmedThrough;
  const next = last === undefined ? FIRST_SEQUENCE_NUMBER : (BigInt(last) + 1n).toString();
  const images = imagesFor(meta.StreamViewType, change);
  // SizeBytes: the record's key and images as DynamoDB sizes items.
  const size =
    itemSize(change.keys) +
    (images.NewImage ? itemSize(change.newImage) : 0) +
    (images.OldImage ? itemSize(change.oldImage) : 0);
  await records.put(next, {
    eventID: randomString(16, "hex"),
    eventName: change.eventName,
    createdMs: ctx.nowMs,
    Keys: toStored(change.keys),
    ...images,
    SizeBytes: size,
    ...(change.userIdentity ? { userIdentity: change.userIdentity } : {}),
  });
}

let captureUsers = 0;
let offCapture: (() => void) | undefined;

/** Starts recording stream records (reference-counted across Nimbus instances in one process). */
export function startStreamCapture(): () => void {
  if (captureUsers++ === 0) offCapture = onItemChange(recordChange, (t) => t.StreamSpecification?.StreamEnabled === true && !!t.LatestStreamArn);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--captureUsers === 0) {
      offCapture?.();
      offCapture = undefined;
    }
  };
}

/** Wire form of a stored record. */
export function toStreamRecord(seq: string, r: StoredStreamRecord, meta: StreamMeta, region: string): StreamRecord {
  return {
    eventID: r.eventID,
    eventName: r.eventName,
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: region,
    dynamodb: {
      // AWS gives whole seconds.
      ApproximateCreationDateTime: new Date(Math.floor(r.createdMs / 1000) * 1000),
      Keys: fromStored(r.Keys),
      ...(r.NewImage ? { NewImage: fromStored(r.NewImage) } : {}),
      ...(r.OldImage ? { OldImage: fromStored(r.OldImage) } : {}),
      SequenceNumber: seq,
      SizeBytes: r.SizeBytes,
      StreamViewType: meta.StreamViewType,
    },
    ...(r.userIdentity ? { userIdentity: { Type: r.userIdentity.type, PrincipalId: r.userIdentity.principalId } } : {}),
  };
}

/**
 * Retention for one scope: drops records older than 24 hours and forgets disabled streams with
 * nothing left. Also registers the current stream of every table (so ListStreams shows a stream
 * before its first record).
 */
export async function sweepStreams(metadata: MetadataStore, scope: Scope, nowMs: number): Promise<void> {
  const ddb = dynamodbScope(scope);
  for (const { value: table } of await metadata.table<TableRecord>(ddb, "tables").list()) {
    if (table.LatestStreamArn) await ensureStream(metadata, ddb, table, nowMs);
  }
  const horizon = nowMs - STREAM_RETENTION_MS;
  for (const { key: arn, value: meta } of await streamsTable(metadata, ddb).list()) {
    const records = recordsTable(metadata, ddb, meta);
    let trimmed: string | undefined;
    for (;;) {
      const batch = await records.list({ limit: 500 });
      const old = batch.filter((e) => e.value.createdMs < horizon);
      for (const e of old) await records.delete(e.key);
      if (old.length > 0) trimmed = old[old.length - 1]!.key;
      if (old.length < batch.length || batch.length < 500) break;
    }
    if (trimmed) await streamsTable(metadata, ddb).put(arn, { ...meta, trimmedThrough: trimmed });
    if ((await records.count()) === 0 && !(await isStreamEnabled(metadata, ddb, meta)) && meta.createdMs < horizon) {
      await streamsTable(metadata, ddb).delete(arn);
    }
  }
}
