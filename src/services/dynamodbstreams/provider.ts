/**
 * Amazon DynamoDB Streams: ListStreams, DescribeStream, GetShardIterator, GetRecords over the
 * records the DynamoDB item-write path appends (src/services/dynamodb/streams.ts).
 *
 * ## Gaps
 * - One shard per stream for its whole life; AWS rolls shards (about every 4 hours) and splits
 *   them with table partitions, giving parent/child shard lineage. Consumers that follow
 *   lineage work unchanged, they just never see a child.
 * - GetRecords' 1 MB response cap is not applied (Limit, at most 1000, is).
 * - No per-shard read throttling (AWS allows about 5 GetRecords calls per second per shard).
 *
 * ## By design
 * - Shard iterators are opaque base64url tokens carrying the stream, shard, position and issue
 *   time; they expire after 15 minutes on the injected clock.
 * - Records appear as soon as the write commits (AWS: usually within a second).
 *
 * ## Client quirks
 * - ApproximateCreationDateTime is whole epoch seconds, as AWS sends it.
 */
import { ServiceError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import type {
  DescribeStreamOutput,
  DescribeStreamRequest,
  DynamodbstreamsOperations,
  GetRecordsOutput,
  GetRecordsRequest,
  GetShardIteratorOutput,
  GetShardIteratorRequest,
  ListStreamsOutput,
  ListStreamsRequest,
} from "../../generated/dynamodbstreams.js";
import { streamReader } from "../dynamodb/stream-reader.js";
import {
  FIRST_SEQUENCE_NUMBER,
  dynamodbScope,
  isStreamEnabled,
  lastSequenceNumber,
  streamsTable,
  sweepStreams,
  type StreamMeta,
} from "../dynamodb/streams.js";
import { StreamsErrors } from "./errors.js";

export const ITERATOR_LIFETIME_MS = 15 * 60 * 1000;

interface IteratorState {
  /** Stream ARN. */
  a: string;
  /** Shard id. */
  s: string;
  /** Position: after this sequence number ("" = from the start). */
  p: string;
  /** Issued at (epoch ms). */
  t: number;
}

export function encodeIterator(state: IteratorState): string {
  return Buffer.from(JSON.stringify(state)).toString("base64url");
}

export function decodeIterator(text: string): IteratorState {
  try {
    const v = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as IteratorState;
    if (typeof v.a === "string" && typeof v.s === "string" && typeof v.p === "string" && typeof v.t === "number") return v;
  } catch {
    // fall through
  }
  throw new ServiceError(StreamsErrors.ValidationException, "Invalid ShardIterator");
}

function validation(message: string): ServiceError {
  return new ServiceError(StreamsErrors.ValidationException, message);
}

function limitCheck(name: string, value: number | undefined, max: number): void {
  if (value !== undefined && (value < 1 || value > max)) {
    throw validation(
      `1 validation error detected: Value '${value}' at '${name}' failed to satisfy constraint: Member must have value ${value < 1 ? "greater than or equal to 1" : `less than or equal to ${max}`}`,
    );
  }
}

async function loadStream(ctx: RequestContext, arn: string): Promise<StreamMeta> {
  const meta = await streamsTable(ctx.storage.metadata, ctx.scope).get(arn);
  if (!meta) {
    // The table may have enabled the stream without a write yet: register, then look again.
    await sweepStreams(ctx.storage.metadata, ctx.scope, ctx.clock.nowMs());
    const again = await streamsTable(ctx.storage.metadata, ctx.scope).get(arn);
    if (again) return again;
    throw new ServiceError(StreamsErrors.ResourceNotFoundException, `Requested resource not found: Stream: ${arn} not found`);
  }
  return meta;
}

async function listStreams(ctx: RequestContext, input: ListStreamsRequest): Promise<ListStreamsOutput> {
  limitCheck("limit", input.Limit, 100);
  await sweepStreams(ctx.storage.metadata, ctx.scope, ctx.clock.nowMs());
  const limit = input.Limit ?? 100;
  const rows = await streamsTable(ctx.storage.metadata, ctx.scope).list(
    input.ExclusiveStartStreamArn !== undefined ? { after: input.ExclusiveStartStreamArn } : {},
  );
  const matching = rows.filter((r) => input.TableName === undefined || r.value.TableName === input.TableName);
  const page = matching.slice(0, limit);
  return {
    Streams: page.map((r) => ({ StreamArn: r.value.StreamArn, TableName: r.value.TableName, StreamLabel: r.value.StreamLabel })),
    ...(matching.length > limit ? { LastEvaluatedStreamArn: page[page.length - 1]!.value.StreamArn } : {}),
  };
}

async function describeStream(ctx: RequestContext, input: DescribeStreamRequest): Promise<DescribeStreamOutput> {
  limitCheck("limit", input.Limit, 100);
  const meta = await loadStream(ctx, input.StreamArn);
  const metadata = ctx.storage.metadata;
  const enabled = await isStreamEnabled(metadata, ctx.scope, meta);
  const last = enabled ? undefined : await lastSequenceNumber(metadata, ctx.scope, meta);
  const shards =
    input.ExclusiveStartShardId !== undefined && input.ExclusiveStartShardId >= meta.shardId
      ? []
      : [
          {
            ShardId: meta.shardId,
            SequenceNumberRange: {
              StartingSequenceNumber: FIRST_SEQUENCE_NUMBER,
              ...(enabled ? {} : { EndingSequenceNumber: last ?? FIRST_SEQUENCE_NUMBER }),
            },
          },
        ];
  return {
    StreamDescription: {
      StreamArn: meta.StreamArn,
      StreamLabel: meta.StreamLabel,
      StreamStatus: enabled ? "ENABLED" : "DISABLED",
      StreamViewType: meta.StreamViewType,
      CreationRequestDateTime: new Date(meta.createdMs),
      TableName: meta.TableName,
      KeySchema: meta.KeySchema,
      Shards: shards,
    },
  };
}

const ITERATOR_TYPES = ["TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"];

async function getShardIterator(ctx: RequestContext, input: GetShardIteratorRequest): Promise<GetShardIteratorOutput> {
  if (!ITERATOR_TYPES.includes(input.ShardIteratorType)) {
    throw validation(
      `1 validation error detected: Value '${input.ShardIteratorType}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [${ITERATOR_TYPES.join(", ")}]`,
    );
  }
  const meta = await loadStream(ctx, input.StreamArn);
  if (input.ShardId !== meta.shardId) {
    throw new ServiceError(StreamsErrors.ResourceNotFoundException, `Requested resource not found: Shard does not exist`);
  }
  const reader = (await streamReader(ctx.storage.metadata, ctx.scope, meta.StreamArn))!;
  let position: string | undefined;
  switch (input.ShardIteratorType) {
    case "TRIM_HORIZON":
      position = await reader.trimHorizon();
      break;
    case "LATEST":
      position = await reader.latest();
      break;
    default: {
      const seq = input.SequenceNumber;
      if (seq === undefined) throw validation(`A sequence number is required for iterator type ${input.ShardIteratorType}`);
      if (!/^[0-9]{1,40}$/.test(seq)) throw validation(`Invalid SequenceNumber: ${seq}`);
      const n = BigInt(seq);
      if (n < BigInt(FIRST_SEQUENCE_NUMBER)) throw validation(`Invalid SequenceNumber: ${seq}`);
      if (meta.trimmedThrough !== undefined && n <= BigInt(meta.trimmedThrough)) {
        throw new ServiceError(
          StreamsErrors.TrimmedDataAccessException,
          `The requested sequence number ${seq} is beyond the trim horizon of the stream ${meta.StreamArn}`,
        );
      }
      const last = await reader.latest();
      if (last === undefined || n > BigInt(last)) {
        throw validation(`Invalid SequenceNumber: ${seq} is beyond the last record of shard ${meta.shardId}`);
      }
      position = input.ShardIteratorType === "AT_SEQUENCE_NUMBER" ? (n - 1n).toString() : seq;
    }
  }
  return { ShardIterator: encodeIterator({ a: meta.StreamArn, s: meta.shardId, p: position ?? "", t: ctx.clock.nowMs() }) };
}

async function getRecords(ctx: RequestContext, input: GetRecordsRequest): Promise<GetRecordsOutput> {
  limitCheck("limit", input.Limit, 1000);
  const state = decodeIterator(input.ShardIterator);
  const now = ctx.clock.nowMs();
  if (now - state.t > ITERATOR_LIFETIME_MS) {
    throw new ServiceError(
      StreamsErrors.ExpiredIteratorException,
      `Iterator expired. The iterator was created at time ${new Date(state.t).toUTCString()} while right now it's ${new Date(now).toUTCString()} which is further in the future than the tolerated delay of ${ITERATOR_LIFETIME_MS} milliseconds.`,
    );
  }
  const meta = await loadStream(ctx, state.a);
  const reader = (await streamReader(ctx.storage.metadata, ctx.scope, meta.StreamArn))!;
  const from = state.p === "" ? undefined : state.p;
  if (meta.trimmedThrough !== undefined && (from === undefined || BigInt(from) < BigInt(meta.trimmedThrough))) {
    throw new ServiceError(
      StreamsErrors.TrimmedDataAccessException,
      "The operation attempted to read past the oldest stream record in a shard.",
    );
  }
  const result = await reader.read(from, { limit: input.Limit ?? 1000, nowMs: now });
  return {
    Records: result.records,
    ...(result.closed ? {} : { NextShardIterator: encodeIterator({ ...state, p: result.next ?? "", t: now }) }),
  };
}

export const handlers: Partial<DynamodbstreamsOperations> = {
  ListStreams: listStreams,
  DescribeStream: describeStream,
  GetShardIterator: getShardIterator,
  GetRecords: getRecords,
};

export { dynamodbScope };
