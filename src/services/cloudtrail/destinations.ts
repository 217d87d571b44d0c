/**
 * A trail's destinations besides S3: each event as one log event in the trail's CloudWatch Logs
 * group (stream `<account>_CloudTrail_<region>`, written through CloudWatch Logs' own append, so
 * metric and subscription filters see it), and AWS's notification of each delivered log file
 * (`{"s3Bucket": ..., "s3ObjectKey": [...]}`) published to the trail's SNS topic through the
 * delivery bus as cloudtrail.amazonaws.com (so the topic policy decides).
 */
import type { DeliveryBus } from "../../core/bus.js";
import type { MetadataStore } from "../../storage/types.js";
import { getRoleByArn, trustsService } from "../iam/principals.js";
import { appendLogEvents, type InputLogEvent } from "../logs/ingest.js";
import { tables as logsTables } from "../logs/store.js";
import type { EventRow, TrailRecord } from "./store.js";

const DAY_MS = 86_400_000;
const MAX_BATCH_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;


/** The log group a trail's CloudWatchLogsLogGroupArn names (`...:log-group:<name>` with or without `:*`). */
export function logGroupOf(arn: string): { region: string; account: string; name: string } | undefined {
  const m = /^arn:aws[a-z-]*:logs:([a-z0-9-]+):(\d{12}):log-group:([^:]+)(?::\*)?$/.exec(arn);
  return m ? { region: m[1]!, account: m[2]!, name: m[3]! } : undefined;
}

/** Split time-ordered events into PutLogEvents-sized batches (count, bytes, 24-hour span). */
function batches(events: InputLogEvent[]): InputLogEvent[][] {
  const out: InputLogEvent[][] = [];
  let cur: InputLogEvent[] = [];
  let bytes = 0;
  for (const e of events) {
    const size = Buffer.byteLength(e.message) + 26;
    if (cur.length > 0 && (cur.length >= MAX_BATCH_EVENTS || bytes + size > MAX_BATCH_BYTES || e.timestamp - cur[0]!.timestamp > DAY_MS)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(e);
    bytes += size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * Write a trail's new events (by the region they happened in) to its log group. Returns an error
 * text for GetTrailStatus's LatestCloudWatchLogsDeliveryError, or undefined when all were written.
 */
export async function deliverToCloudWatchLogs(metadata: MetadataStore, bus: DeliveryBus, trail: TrailRecord, account: string, byRegion: Map<string, EventRow[]>, nowMs: number): Promise<string | undefined> {
  const group = logGroupOf(trail.CloudWatchLogsLogGroupArn ?? "");
  if (!group || !trail.CloudWatchLogsRoleArn) return "CloudWatch Logs log group or role is not set.";
  const role = await getRoleByArn(metadata, trail.CloudWatchLogsRoleArn);
  if (!role || !trustsService(role.trustPolicy, "cloudtrail.amazonaws.com")) return "Access denied. Check the trust relationships for your role.";
  const scope = { account: group.account, region: group.region, service: "logs" };
  if (!(await logsTables(metadata, scope).groups.get(group.name))) return `The specified log group does not exist: ${group.name}`;
  try {
    for (const [region, rows] of byRegion) {
      const events = [...rows].sort((a, b) => a.ms - b.ms).map((r) => ({ timestamp: r.ms, message: JSON.stringify(r.event) }));
      for (const batch of batches(events)) {
        // The group exists (checked above); the stream is CloudTrail's to create.
        await appendLogEvents(metadata, scope, group.name, `${account}_CloudTrail_${region}`, batch, nowMs, { createMissing: true, bus });
      }
    }
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  return undefined;
}

/** Publish AWS's log file notification to the trail's topic; returns an error text or undefined. */
export async function notifyLogFile(bus: DeliveryBus, trail: TrailRecord, account: string, key: string): Promise<string | undefined> {
  if (!trail.SnsTopicARN) return undefined;
  try {
    await bus.deliver(trail.SnsTopicARN, {
      body: JSON.stringify({ s3Bucket: trail.S3BucketName, s3ObjectKey: [key] }),
      sender: { servicePrincipal: "cloudtrail.amazonaws.com", account, sourceArn: trail.TrailARN },
    });
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
