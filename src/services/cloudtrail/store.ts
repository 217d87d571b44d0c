/**
 * CloudTrail state, per account and region: recorded events (keyed by time then event id, so a
 * reverse listing is newest first), trails, and tags by trail ARN.
 *
 * Events arrive from the gateway's audit hook on every request. They are buffered and written as
 * one row per account per batch (every 250 ms, or sooner when many wait): a row per event cost a
 * busy server half its throughput. A batch row's key is its first event's time, so batches list
 * in time order; reads flush the buffer first, so a lookup sees every earlier call.
 */
import type { MetadataStore, Scope } from "../../storage/types.js";
import type { StoredEvent } from "./record.js";

export interface TrailRecord {
  Name: string;
  TrailARN: string;
  HomeRegion: string;
  S3BucketName: string;
  S3KeyPrefix?: string;
  SnsTopicName?: string;
  SnsTopicARN?: string;
  IncludeGlobalServiceEvents: boolean;
  IsMultiRegionTrail: boolean;
  LogFileValidationEnabled: boolean;
  CloudWatchLogsLogGroupArn?: string;
  CloudWatchLogsRoleArn?: string;
  KmsKeyId?: string;
  IsOrganizationTrail: boolean;
  HasCustomEventSelectors: boolean;
  HasInsightSelectors: boolean;
  EventSelectors?: EventSelector[];
  AdvancedEventSelectors?: unknown[];
  logging: boolean;
  startLoggingTime?: number;
  stopLoggingTime?: number;
  /** Events up to this key have been delivered. */
  deliveredThrough?: string;
  latestDeliveryTime?: number;
  latestDeliveryError?: string;
  latestDeliveryAttemptTime?: number;
  latestCloudWatchLogsDeliveryTime?: number;
  latestCloudWatchLogsDeliveryError?: string;
  latestNotificationTime?: number;
  latestNotificationError?: string;
  latestNotificationAttemptTime?: number;
}

export interface EventSelector {
  ReadWriteType?: "ReadOnly" | "WriteOnly" | "All";
  IncludeManagementEvents?: boolean;
  DataResources?: Array<{ Type?: string; Values?: string[] }>;
  ExcludeManagementEventSources?: string[];
}

export interface EventRow extends StoredEvent {
  region: string;
  /** Event time, epoch ms. */
  ms: number;
}

/** One stored batch: events in time order. */
export interface EventBatch {
  events: EventRow[];
}

export const eventKey = (ms: number, id: string) => `${String(ms).padStart(15, "0")}:${id}`;
export const batchScope = (account: string): Scope => ({ account, region: "all", service: "cloudtrail" });
export const batchTable = (metadata: MetadataStore, account: string) => metadata.table<EventBatch>(batchScope(account), "event-batches");
export const trailsTable = (metadata: MetadataStore, scope: Scope) => metadata.table<TrailRecord>(scope, "trails");
export const tagsTable = (metadata: MetadataStore, scope: Scope) => metadata.table<Record<string, string>>(scope, "tags");

interface Pending {
  account: string;
  row: EventRow;
}

/** Buffers events and writes them in batches. One per metadata store (per Nimbus instance). */
export class EventRecorder {
  private buffer: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;
  private seq = 0;
  /** Keeps batch keys of two processes on one data dir (one after the other) apart. */
  private readonly instance = Math.random().toString(36).slice(2, 10);

  constructor(
    private readonly metadata: MetadataStore,
    private readonly onError: (e: unknown) => void,
  ) {}

  add(account: string, row: EventRow): void {
    if (this.closed) return;
    this.buffer.push({ account, row });
    if (this.buffer.length >= 500) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), 40);
      this.timer.unref();
    }
  }

  /** Write what is buffered; resolves once everything added before the call is stored. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        const byAccount = new Map<string, EventRow[]>();
        for (const p of batch) {
          const rows = byAccount.get(p.account);
          if (rows) rows.push(p.row);
          else byAccount.set(p.account, [p.row]);
        }
        await this.metadata.transaction(async (tx) => {
          for (const [account, events] of byAccount) {
            events.sort((a, b) => a.ms - b.ms);
            this.seq++;
            const key = eventKey(events[0]!.ms, `${String(this.seq).padStart(10, "0")}${this.instance}`);
            await tx.table<EventBatch>(batchScope(account), "event-batches").put(key, { events });
          }
        });
      } catch (e) {
        this.onError(e);
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }
}
