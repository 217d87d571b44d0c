/**
 * CloudWatch Logs state, in tables of the account + region scope:
 *
 *   log-groups    group name -> LogGroupRecord
 *   log-streams   group "\0" stream -> LogStreamRecord
 *   log-blocks, log-stream-blocks   the events, a block per batch (see blocks.ts)
 *   metric-filters group "\0" filter name -> MetricFilterRecord
 *   subscription-filters group "\0" filter name -> SubscriptionFilterRecord
 *   export-tasks  task id -> ExportTaskRecord
 *   queries       query id -> QueryRecord (Logs Insights: status, results when complete)
 *
 * Before blocks, events were stored one row each in `log-events` (group "\0" stream "\0" eventId)
 * and `log-bytime` (group "\0" eventId); `migrateLegacyEvents` moves such rows into blocks at start.
 */
import type { MetadataStore, Scope, Table, Tx } from "../../storage/types.js";
import type { BlockRef, EventBlock } from "./blocks.js";

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

/** A legacy event row (`log-events`). */
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
    blocks: source.table<EventBlock>(scope, "log-blocks") as Table<EventBlock>,
    streamBlocks: source.table<BlockRef>(scope, "log-stream-blocks") as Table<BlockRef>,
    legacyEvents: source.table<StoredEvent>(scope, "log-events") as Table<StoredEvent>,
    legacyByTime: source.table<StoredGroupEvent>(scope, "log-bytime") as Table<StoredGroupEvent>,
    metricFilters: source.table<MetricFilterRecord>(scope, "metric-filters") as Table<MetricFilterRecord>,
    subscriptions: source.table<SubscriptionFilterRecord>(scope, "subscription-filters") as Table<SubscriptionFilterRecord>,
    exportTasks: source.table<ExportTaskRecord>(scope, "export-tasks") as Table<ExportTaskRecord>,
    queries: source.table<QueryRecord>(scope, "queries") as Table<QueryRecord>,
  };
}

export const streamKey = (group: string, stream: string) => group + SEP + stream;
export const streamEventsPrefix = (group: string, stream: string) => group + SEP + stream + SEP;
export const groupPrefix = (group: string) => group + SEP;
