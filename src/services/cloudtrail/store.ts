/**
 * CloudTrail state, per account and region: recorded events (keyed by time then event id, so a
 * reverse listing is newest first), trails, and tags by trail ARN.
 *
 * Events arrive from the gateway's audit hook on every request. They are buffered and written in
 * one transaction per batch (every 100 ms, or sooner when many wait), so recording costs a
 * request almost nothing; reads flush the buffer first, so a lookup sees every earlier call.
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
}

export interface EventSelector {
  ReadWriteType?: "ReadOnly" | "WriteOnly" | "All";
  IncludeManagementEvents?: boolean;
  DataResources?: Array<{ Type?: string; Values?: string[] }>;
  ExcludeManagementEventSources?: string[];
}

export interface EventRow extends StoredEvent {
  region: string;
}

export const eventKey = (ms: number, id: string) => `${String(ms).padStart(15, "0")}:${id}`;
export const eventTable = (metadata: MetadataStore, account: string) =>
  metadata.table<EventRow>({ account, region: "all", service: "cloudtrail" }, "events");
export const trailsTable = (metadata: MetadataStore, scope: Scope) => metadata.table<TrailRecord>(scope, "trails");
export const tagsTable = (metadata: MetadataStore, scope: Scope) => metadata.table<Record<string, string>>(scope, "tags");

interface Pending {
  account: string;
  key: string;
  row: EventRow;
}

/** Buffers events and writes them in batches. One per metadata store (per Nimbus instance). */
export class EventRecorder {
  private buffer: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly metadata: MetadataStore,
    private readonly onError: (e: unknown) => void,
  ) {}

  add(account: string, key: string, row: EventRow): void {
    if (this.closed) return;
    this.buffer.push({ account, key, row });
    if (this.buffer.length >= 1000) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), 100);
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
        await this.metadata.transaction(async (tx) => {
          for (const p of batch) await tx.table<EventRow>({ account: p.account, region: "all", service: "cloudtrail" }, "events").put(p.key, p.row);
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
