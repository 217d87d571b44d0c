/**
 * CloudWatch Logs state, in tables of the account + region scope:
 *
 *   log-groups    group name -> LogGroupRecord
 *   log-streams   group "\0" stream -> LogStreamRecord
 *   log-events    group "\0" stream "\0" eventId -> StoredEvent   (GetLogEvents: one stream in time order)
 *   log-bytime    group "\0" eventId -> StoredEvent + stream        (FilterLogEvents: the group in time order)
 *   metric-filters group "\0" filter name -> MetricFilterRecord
 *   subscription-filters group "\0" filter name -> SubscriptionFilterRecord
 *   export-tasks  task id -> ExportTaskRecord
 *   queries       query id -> QueryRecord (Logs Insights: status, results when complete)
 *
 * An event id is 56 digits, as AWS's are: the event's timestamp (20 digits, zero-padded) then a
 * 36-digit sequence that only grows (seeded by real time at start), so ids sort by event time and
 * then by arrival. Both event tables are written in the same transaction.
 */
import type { MetadataStore, Scope, Table, Tx } from "../../storage/types.js";

export interface LogGroupRecord {
  logGroupName: string;
  creationTime: number;
  retentionInDays?: number;
  logGroupClass: string;
  kmsKeyId?: string;
  tags?: Record<string, string>;
  /** Bytes of stored messages (sum of UTF-8 message sizes). */
  storedBytes?: number;
}

export interface LogStreamRecord {
  logStreamName: string;
  creationTime: number;
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
  storedBytes?: number;
}

export interface StoredEvent {
  /** Timestamp (ms). */
  t: number;
  /** Message. */
  m: string;
  /** Ingestion time (ms). */
  i: number;
}

export interface StoredGroupEvent extends StoredEvent {
  /** Stream name. */
  s: string;
}

export interface MetricFilterRecord {
  filterName: string;
  filterPattern: string;
  metricTransformations: {
    metricName: string;
    metricNamespace: string;
    metricValue: string;
    defaultValue?: number;
    dimensions?: Record<string, string>;
    unit?: string;
  }[];
  creationTime: number;
  logGroupName: string;
}

export interface SubscriptionFilterRecord {
  filterName: string;
  logGroupName: string;
  filterPattern: string;
  destinationArn: string;
  roleArn?: string;
  distribution: string;
  creationTime: number;
}

export interface ExportTaskRecord {
  taskId: string;
  taskName?: string;
  logGroupName: string;
  logStreamNamePrefix?: string;
  from: number;
  to: number;
  destination: string;
  destinationPrefix: string;
  status: { code: string; message?: string };
  creationTime: number;
  completionTime?: number;
}

export interface QueryRecord {
  queryId: string;
  queryString: string;
  logGroupNames: string[];
  startTime: number;
  endTime: number;
  limit?: number;
  status: string;
  createTime: number;
  results?: { field: string; value: string }[][];
  statistics?: { recordsMatched: number; recordsScanned: number; bytesScanned: number };
}

type Source = MetadataStore | Tx;

export const SEP = "\u0000";

export function tables(source: Source, scope: Scope) {
  return {
    groups: source.table<LogGroupRecord>(scope, "log-groups") as Table<LogGroupRecord>,
    streams: source.table<LogStreamRecord>(scope, "log-streams") as Table<LogStreamRecord>,
    events: source.table<StoredEvent>(scope, "log-events") as Table<StoredEvent>,
    byTime: source.table<StoredGroupEvent>(scope, "log-bytime") as Table<StoredGroupEvent>,
    metricFilters: source.table<MetricFilterRecord>(scope, "metric-filters") as Table<MetricFilterRecord>,
    subscriptions: source.table<SubscriptionFilterRecord>(scope, "subscription-filters") as Table<SubscriptionFilterRecord>,
    exportTasks: source.table<ExportTaskRecord>(scope, "export-tasks") as Table<ExportTaskRecord>,
    queries: source.table<QueryRecord>(scope, "queries") as Table<QueryRecord>,
  };
}

export const streamKey = (group: string, stream: string) => group + SEP + stream;
export const streamEventsPrefix = (group: string, stream: string) => group + SEP + stream + SEP;
export const groupPrefix = (group: string) => group + SEP;

let sequence = BigInt(Date.now()) * 1_000_000n;

/** A new event id for an event at `timestamp`. */
export function nextEventId(timestamp: number): string {
  sequence += 1n;
  return String(timestamp).padStart(20, "0") + sequence.toString().padStart(36, "0");
}

/** The smallest event id at or after `timestamp` (for range starts). */
export const eventIdFloor = (timestamp: number) => String(Math.max(0, timestamp)).padStart(20, "0");

/** The timestamp part of an event id. */
export const timestampOfId = (id: string) => Number(id.slice(0, 20));
