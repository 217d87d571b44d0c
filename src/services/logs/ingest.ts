/**
 * Writing log events: the rules PutLogEvents applies (batch limits, order, 24-hour span, too
 * new / too old / expired events rejected while the rest are kept) and the write itself, usable
 * by other services (Lambda writes its functions' output here) without HTTP.
 */
import type { MetadataStore, Scope } from "../../storage/types.js";
import { ServiceError } from "../../core/errors.js";
import { LogsErrors } from "./errors.js";
import { nextEventId, SEP, streamEventsPrefix, streamKey, tables, type LogGroupRecord } from "./store.js";
import { publishMetricFilters } from "./metric-filters.js";
import type { DeliveryBus } from "../../core/bus.js";
import { deliverToSubscriptions } from "./subscriptions.js";

export interface InputLogEvent {
  timestamp: number;
  message: string;
}

export interface RejectedInfo {
  tooNewLogEventStartIndex?: number;
  tooOldLogEventEndIndex?: number;
  expiredLogEventEndIndex?: number;
}

const DAY = 86_400_000;
const MAX_BATCH_BYTES = 1_048_576;
const MAX_EVENT_BYTES = 1_048_576 - 26;

/** Check a PutLogEvents batch as AWS does; throws InvalidParameterException. */
export function validateBatch(events: InputLogEvent[]): void {
  if (events.length === 0 || events.length > 10_000) {
    throw new ServiceError(
      LogsErrors.InvalidParameterException,
      `1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length ${events.length === 0 ? "greater than or equal to 1" : "less than or equal to 10000"}`,
    );
  }
  let bytes = 0;
  for (const e of events) {
    const size = Buffer.byteLength(e.message, "utf8");
    if (size === 0) {
      throw new ServiceError(LogsErrors.InvalidParameterException, "1 validation error detected: Value '' at 'logEvents.1.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1");
    }
    if (size > MAX_EVENT_BYTES) throw new ServiceError(LogsErrors.InvalidParameterException, "Log event too large: each log event can be no larger than 1 MB.");
    bytes += size + 26;
  }
  if (bytes > MAX_BATCH_BYTES) {
    throw new ServiceError(LogsErrors.InvalidParameterException, `Upload too large: ${bytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
  }
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.timestamp < events[i - 1]!.timestamp) {
      throw new ServiceError(LogsErrors.InvalidParameterException, "Log events in a single PutLogEvents request must be in chronological order.");
    }
  }
}

/**
 * Append events (already validated, in order) to a stream. Returns which were rejected. With
 * `createMissing`, a missing group and stream are created (as Lambda's service role does).
 */
export async function appendLogEvents(
  metadata: MetadataStore,
  scope: Scope,
  groupName: string,
  streamName: string,
  events: InputLogEvent[],
  nowMs: number,
  options: { createMissing?: boolean; /** Subscription filters deliver through it when given. */ bus?: DeliveryBus } = {},
): Promise<{ rejected?: RejectedInfo; group: LogGroupRecord }> {
  const result = await metadata.transaction(async (tx) => {
    const t = tables(tx, scope);
    let group = await t.groups.get(groupName);
    if (!group) {
      if (!options.createMissing) throw new ServiceError(LogsErrors.ResourceNotFoundException, "The specified log group does not exist.");
      group = { logGroupName: groupName, creationTime: nowMs, logGroupClass: "STANDARD", storedBytes: 0 };
      await t.groups.put(groupName, group);
    }
    let stream = await t.streams.get(streamKey(groupName, streamName));
    if (!stream) {
      if (!options.createMissing) throw new ServiceError(LogsErrors.ResourceNotFoundException, "The specified log stream does not exist.");
      stream = { logStreamName: streamName, creationTime: nowMs, storedBytes: 0 };
    }
    // Rejections: too old (14 days), expired (before the retention period), too new (2 hours ahead).
    const rejected: RejectedInfo = {};
    const oldest = nowMs - 14 * DAY;
    const retentionStart = group.retentionInDays ? nowMs - group.retentionInDays * DAY : -Infinity;
    let start = 0;
    let end = events.length;
    while (start < end && events[start]!.timestamp < oldest) start++;
    if (start > 0) rejected.tooOldLogEventEndIndex = start;
    let expiredEnd = start;
    while (expiredEnd < end && events[expiredEnd]!.timestamp < retentionStart) expiredEnd++;
    if (expiredEnd > start) rejected.expiredLogEventEndIndex = expiredEnd;
    start = expiredEnd;
    while (end > start && events[end - 1]!.timestamp > nowMs + 2 * 3_600_000) end--;
    if (end < events.length) rejected.tooNewLogEventStartIndex = end;
    const kept = events.slice(start, end);
    if (kept.length > 0 && kept[kept.length - 1]!.timestamp - kept[0]!.timestamp > DAY) {
      throw new ServiceError(LogsErrors.InvalidParameterException, "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
    }
    let bytes = 0;
    const ids: string[] = [];
    for (const e of kept) {
      const id = nextEventId(e.timestamp);
      ids.push(id);
      await t.events.put(streamEventsPrefix(groupName, streamName) + id, { t: e.timestamp, m: e.message, i: nowMs });
      await t.byTime.put(groupName + SEP + id, { t: e.timestamp, m: e.message, i: nowMs, s: streamName });
      bytes += Buffer.byteLength(e.message, "utf8");
    }
    if (kept.length > 0) {
      stream.firstEventTimestamp = Math.min(stream.firstEventTimestamp ?? Infinity, kept[0]!.timestamp);
      stream.lastEventTimestamp = Math.max(stream.lastEventTimestamp ?? -Infinity, kept[kept.length - 1]!.timestamp);
      stream.lastIngestionTime = nowMs;
      stream.storedBytes = (stream.storedBytes ?? 0) + bytes;
      group = { ...group, storedBytes: (group.storedBytes ?? 0) + bytes };
      await t.groups.put(groupName, group);
    }
    await t.streams.put(streamKey(groupName, streamName), stream);
    return { rejected: Object.keys(rejected).length > 0 ? rejected : undefined, group, kept, ids };
  });
  if (result.kept.length > 0) await publishMetricFilters(metadata, scope, groupName, result.kept);
  if (result.kept.length > 0 && options.bus) {
    deliverToSubscriptions(options.bus, metadata, scope, groupName, streamName, result.kept.map((e, i) => ({ id: result.ids[i]!, timestamp: e.timestamp, message: e.message })));
  }
  return { ...(result.rejected ? { rejected: result.rejected } : {}), group: result.group };
}

/** Delete events older than each group's retention (run on clock advances and periodically). */
export async function enforceRetention(metadata: MetadataStore, scope: Scope, nowMs: number): Promise<number> {
  let removed = 0;
  const groups = await tables(metadata, scope).groups.list();
  for (const { value: g } of groups) {
    if (!g.retentionInDays) continue;
    const cutoff = nowMs - g.retentionInDays * DAY;
    removed += await metadata.transaction(async (tx) => {
      const t = tables(tx, scope);
      let n = 0;
      let bytes = 0;
      const old = await t.byTime.list({ prefix: g.logGroupName + SEP, before: g.logGroupName + SEP + String(Math.max(0, cutoff)).padStart(20, "0") });
      for (const e of old) {
        const id = e.key.slice(g.logGroupName.length + 1);
        await t.byTime.delete(e.key);
        await t.events.delete(streamEventsPrefix(g.logGroupName, e.value.s) + id);
        bytes += Buffer.byteLength(e.value.m, "utf8");
        n++;
      }
      if (n > 0) {
        const cur = await t.groups.get(g.logGroupName);
        if (cur) await t.groups.put(g.logGroupName, { ...cur, storedBytes: Math.max(0, (cur.storedBytes ?? 0) - bytes) });
      }
      return n;
    });
  }
  return removed;
}
