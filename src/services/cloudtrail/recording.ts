/**
 * Recording and delivery. The audit sink turns each request into a CloudTrail event and hands it
 * to the instance's EventRecorder; management events are always kept (Event history), data events
 * only for accounts with a logging trail that selects data events. Every five minutes of clock a
 * logging trail's new events are gzipped into one log file per region and delivered to the
 * trail's bucket under `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/` through the delivery
 * bus (S3's `s3` target), as cloudtrail.amazonaws.com; then each log file is announced on the
 * trail's SNS topic and the same events go to its CloudWatch Logs group (destinations.ts).
 */
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { AuditRecord } from "../../core/audit.js";
import type { DeliveryBus } from "../../core/bus.js";
import type { Logger } from "../../core/logger.js";
import type { MetadataStore } from "../../storage/types.js";
import { deliverToCloudWatchLogs, notifyLogFile } from "./destinations.js";
import { dataResourceOf, isDataEvent, isReadOnly, toCloudTrail } from "./record.js";
import { EventRecorder, batchTable, eventKey, trailsTable, type EventRow, type TrailRecord } from "./store.js";

const GLOBAL_SERVICES = new Set(["iam", "sts-global", "cloudfront", "route53"]);

const recorders = new WeakMap<MetadataStore, EventRecorder>();
export function recorderFor(metadata: MetadataStore, logger: Logger): EventRecorder {
  let r = recorders.get(metadata);
  if (!r) recorders.set(metadata, (r = new EventRecorder(metadata, (e) => logger.warn(`cloudtrail: recording failed: ${String(e)}`))));
  return r;
}

/** Logging trails with data event selectors, by account (refreshed when trails change). */
const dataTrails = new WeakMap<MetadataStore, Map<string, TrailRecord[]>>();

export async function refreshDataSelectors(metadata: MetadataStore): Promise<void> {
  const byAccount = new Map<string, TrailRecord[]>();
  for (const scope of await metadata.scopes("cloudtrail", "trails")) {
    for (const { value } of await trailsTable(metadata, scope).list()) {
      if (value.logging && (value.EventSelectors?.some((s) => (s.DataResources ?? []).length > 0) ?? false)) {
        byAccount.set(scope.account, [...(byAccount.get(scope.account) ?? []), value]);
      }
    }
  }
  dataTrails.set(metadata, byAccount);
}

function selectsDataEvent(trails: TrailRecord[] | undefined, service: string, params: Record<string, unknown> | undefined, readOnly: boolean): boolean {
  if (!trails) return false;
  const res = dataResourceOf(service, params);
  if (!res) return false;
  return trails.some((t) =>
    (t.EventSelectors ?? []).some(
      (s) =>
        (s.ReadWriteType ?? "All") !== (readOnly ? "WriteOnly" : "ReadOnly") &&
        (s.DataResources ?? []).some((d) => d.Type === res.type && (d.Values ?? []).some((v) => v === "arn:aws:s3" || v === "arn:aws:s3:::" || res.arn.startsWith(v) || v === res.arn)),
    ),
  );
}

/** The gateway's audit sink for one Nimbus instance. */
export function auditSink(metadata: MetadataStore, logger: Logger): (r: AuditRecord) => void {
  const recorder = recorderFor(metadata, logger);
  return (r) => {
    if (!r.service || !r.operation || !r.accountId) return;
    if (isDataEvent(r.service, r.operation)) {
      // Most accounts have no data-event trail: decide that before the (redacted) parameters are built.
      const trails = dataTrails.get(metadata)?.get(r.accountId);
      if (!trails || !selectsDataEvent(trails, r.service, r.parameters, isReadOnly(r.operation))) return;
    }
    const region = GLOBAL_SERVICES.has(r.service) ? "us-east-1" : (r.region ?? "us-east-1");
    const stored = toCloudTrail(r, region);
    recorder.add(r.accountId, { ...stored, region, ms: Date.parse(r.time) });
  };
}

const compact = (iso: string) => iso.replace(/[-:]/g, "").replace(/\.\d{3}/, "").slice(0, 13) + "Z";

/** Drop recorded events older than Event history's 90 days (and so past any trail's delivery). */
export async function expireEvents(metadata: MetadataStore, nowMs: number): Promise<void> {
  const cutoff = eventKey(nowMs - 90 * 86_400_000, "");
  for (const scope of await metadata.scopes("cloudtrail", "event-batches")) {
    const table = batchTable(metadata, scope.account);
    for (const { key } of await table.list({ before: cutoff, limit: 1000 })) await table.delete(key);
  }
}

/** Deliver each logging trail's events recorded since its last delivery. */
export async function deliverTrails(metadata: MetadataStore, bus: DeliveryBus, logger: Logger, nowMs: number): Promise<void> {
  await recorderFor(metadata, logger).flush();
  for (const scope of await metadata.scopes("cloudtrail", "trails")) {
    const trails = trailsTable(metadata, scope);
    for (const { value: trail } of await trails.list()) {
      if (!trail.logging) continue;
      // Batches begin with their first event, so the first delivery looks a minute further back
      // and every delivery keeps only events from when logging (re)started.
      const since = trail.startLoggingTime ?? 0;
      const from = trail.deliveredThrough ?? eventKey(since - 60_000, "");
      const batches = await batchTable(metadata, scope.account).list({ after: from, limit: 200 });
      if (batches.length === 0) continue;
      const byRegion = new Map<string, EventRow[]>();
      for (const { value } of batches) {
        for (const row of value.events) {
          if (row.ms < since || !wanted(trail, scope.region, row)) continue;
          const list = byRegion.get(row.region);
          if (list) list.push(row);
          else byRegion.set(row.region, [row]);
        }
      }
      const last = batches[batches.length - 1]!.key;
      let error: string | undefined;
      let notified: { error?: string } | undefined;
      for (const [region, events] of byRegion) {
        const stamp = new Date(nowMs).toISOString();
        const [y, m, d] = stamp.slice(0, 10).split("-") as [string, string, string];
        const name = `${scope.account}_CloudTrail_${region}_${compact(stamp)}_${randomBytes(8).toString("hex")}.json.gz`;
        const key = `${trail.S3KeyPrefix ? `${trail.S3KeyPrefix}/` : ""}AWSLogs/${scope.account}/CloudTrail/${region}/${y}/${m}/${d}/${name}`;
        const body = gzipSync(JSON.stringify({ Records: events.map((e) => e.event) }));
        try {
          await bus.deliver(`arn:aws:s3:::${trail.S3BucketName}/${key}`, {
            body: body.toString("base64"),
            attributes: { "Content-Type": { DataType: "String", StringValue: "application/json" }, "Content-Encoding": { DataType: "String", StringValue: "gzip" }, "Body-Encoding": { DataType: "String", StringValue: "base64" } },
            sender: { servicePrincipal: "cloudtrail.amazonaws.com", account: scope.account, sourceArn: trail.TrailARN },
          });
          if (trail.SnsTopicARN) {
            const failed = await notifyLogFile(bus, trail, scope.account, key);
            if (failed) logger.warn(`cloudtrail: notification for ${trail.TrailARN} failed: ${failed}`);
            notified = { ...(failed ? { error: failed } : {}) };
          }
        } catch (e) {
          error = e instanceof Error ? e.message : String(e);
          logger.warn(`cloudtrail: delivery for ${trail.TrailARN} failed: ${error}`);
        }
      }
      // Events go to CloudWatch Logs in the round their log files reach S3, so a retried round repeats neither.
      let cwError: string | undefined;
      const toLogs = !error && trail.CloudWatchLogsLogGroupArn !== undefined && byRegion.size > 0;
      if (toLogs) {
        cwError = await deliverToCloudWatchLogs(metadata, bus, trail, scope.account, byRegion, nowMs);
        if (cwError) logger.warn(`cloudtrail: CloudWatch Logs delivery for ${trail.TrailARN} failed: ${cwError}`);
      }
      const fresh = await trails.get(trail.Name);
      if (!fresh) continue;
      const next: TrailRecord = {
        ...fresh,
        latestDeliveryAttemptTime: nowMs,
        ...(error ? { latestDeliveryError: error } : { deliveredThrough: last, latestDeliveryTime: nowMs }),
      };
      if (!error) delete next.latestDeliveryError;
      if (toLogs) {
        if (cwError) next.latestCloudWatchLogsDeliveryError = cwError;
        else {
          next.latestCloudWatchLogsDeliveryTime = nowMs;
          delete next.latestCloudWatchLogsDeliveryError;
        }
      }
      if (notified) {
        next.latestNotificationAttemptTime = nowMs;
        if (notified.error) next.latestNotificationError = notified.error;
        else {
          next.latestNotificationTime = nowMs;
          delete next.latestNotificationError;
        }
      }
      await trails.put(trail.Name, next);
    }
  }
}

function wanted(trail: TrailRecord, homeRegion: string, row: EventRow): boolean {
  const e = row.event;
  if (!trail.IsMultiRegionTrail && row.region !== homeRegion) return false;
  const global = e.eventSource === "iam.amazonaws.com";
  if (global && !trail.IncludeGlobalServiceEvents) return false;
  const selectors = trail.EventSelectors ?? [{ ReadWriteType: "All" as const, IncludeManagementEvents: true, DataResources: [] }];
  return selectors.some((s) => {
    const rw = s.ReadWriteType ?? "All";
    if (rw === "ReadOnly" && !e.readOnly) return false;
    if (rw === "WriteOnly" && e.readOnly) return false;
    if (e.managementEvent) return s.IncludeManagementEvents !== false && !(s.ExcludeManagementEventSources ?? []).includes(e.eventSource);
    const arn = e.resources?.[0]?.ARN;
    return arn !== undefined && (s.DataResources ?? []).some((d) => (d.Values ?? []).some((v) => arn.startsWith(v) || v === "arn:aws:s3"));
  });
}
