/**
 * Reading DynamoDB stream records from a position: what GetRecords uses and what a Lambda event
 * source mapping (or any in-process consumer) uses to poll a table's stream without going
 * through HTTP.
 *
 *     const reader = streamReader(metadata, scope, streamArn);
 *     let position = await reader.trimHorizon();            // or reader.latest()
 *     const { records, next, closed } = await reader.read(position, { limit: 100, nowMs });
 *     position = next;                                        // resume after the last record
 *
 * A position is "after this sequence number" (`undefined` = before the first record). Records
 * older than the 24-hour retention are not returned. `closed` says the stream is disabled and
 * every record has been read: a consumer can stop polling it.
 */
import type { MetadataStore, Scope } from "../../storage/types.js";
import {
  STREAM_RETENTION_MS,
  dynamodbScope,
  isStreamEnabled,
  lastSequenceNumber,
  recordsTable,
  streamsTable,
  toStreamRecord,
  type StreamMeta,
  type StreamRecord,
} from "./streams.js";

export type { StreamRecord } from "./streams.js";

/** Exclusive position in a stream: records with a greater sequence number come next. */
export type StreamPosition = string | undefined;

export interface StreamReadResult {
  records: StreamRecord[];
  /** The position after the last record returned (unchanged when none were). */
  next: StreamPosition;
  /** The stream is disabled and nothing is left after `next`. */
  closed: boolean;
}

export interface StreamReader {
  readonly meta: StreamMeta;
  /** Before the oldest retained record. */
  trimHorizon(): Promise<StreamPosition>;
  /** After the newest record (only records written from now on). */
  latest(): Promise<StreamPosition>;
  read(position: StreamPosition, options: { limit: number; nowMs: number }): Promise<StreamReadResult>;
}

/** A reader for `streamArn`, or undefined when no such stream is known. */
export async function streamReader(metadata: MetadataStore, scope: Scope, streamArn: string): Promise<StreamReader | undefined> {
  const ddb = dynamodbScope(scope);
  const meta = await streamsTable(metadata, ddb).get(streamArn);
  if (!meta) return undefined;
  const records = recordsTable(metadata, ddb, meta);
  return {
    meta,
    trimHorizon: async () => meta.trimmedThrough,
    latest: async () => (await lastSequenceNumber(metadata, ddb, meta)) ?? meta.trimmedThrough,
    async read(position, { limit, nowMs }) {
      const horizon = nowMs - STREAM_RETENTION_MS;
      const rows = await records.list({ ...(position !== undefined ? { after: position } : {}), limit });
      const out: StreamRecord[] = [];
      let next = position;
      for (const row of rows) {
        next = row.key;
        if (row.value.createdMs < horizon) continue; // past retention, awaiting the sweep
        out.push(toStreamRecord(row.key, row.value, meta, ddb.region));
      }
      let closed = false;
      if (rows.length < limit && !(await isStreamEnabled(metadata, ddb, meta))) {
        // Disabled and nothing after `next` (a re-check would only find records of a racing write,
        // which a disabled stream no longer gets).
        closed = (await records.list({ ...(next !== undefined ? { after: next } : {}), limit: 1 })).length === 0;
      }
      return { records: out, next, closed };
    },
  };
}
