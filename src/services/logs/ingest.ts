/**
 * Writing log events: the rules PutLogEvents applies (batch limits, order, 24-hour span, too
 * new / too old / expired events rejected while the rest are kept) and the write itself, usable
 * by other services (Lambda writes its functions' output here) without HTTP.
 */
import type { MetadataStore, Scope } from "../../storage/types.js";
import { ServiceError } from "../../core/errors.js";
import { LogsErrors } from "./errors.js";
import { streamKey, tables, type LogGroupRecord } from "./store.js";
import { buildBlocks, DAY, Decoded, deleteBlock, eventId, eventIdFloor, eventsOf, groupKey, putBlock, reserveSequence, streamBlockPrefix, type NewEvent } from "./blocks.js";
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
    let q0 = 0;
    if (kept.length > 0) {
      q0 = reserveSequence(kept.length);
      const fresh: NewEvent[] = kept.map((e, k) => ({ t: e.timestamp, m: e.message, q: q0 + k, i: nowMs }));
      for (const e of kept) bytes += Buffer.byteLength(e.message, "utf8");
      const blocks = { blocks: t.blocks, streamBlocks: t.streamBlocks };
      if (stream.lastEventTimestamp !== undefined && kept[0]!.timestamp < stream.lastEventTimestamp) {
        // Older than the stream's newest event: merge with the blocks it overlaps (a suffix of
        // the stream's, as they never overlap each other) so the stream's blocks stay disjoint.
        const prefix = streamBlockPrefix(groupName, streamName);
        const overlapped: string[] = [];
        let before: string | undefined;
        scan: for (;;) {
          const refs = await t.streamBlocks.list({ prefix, ...(before ? { before } : {}), reverse: true, limit: 100 });
          for (const r of refs) {
            if (r.value.e <= kept[0]!.timestamp) break scan;
            overlapped.push(r.key.slice(prefix.length));
          }
          if (refs.length < 100) break;
          before = refs[refs.length - 1]!.key;
        }
        const old: NewEvent[] = [];
        for (const firstId of overlapped.reverse()) {
          const block = await t.blocks.get(groupKey(groupName, firstId));
          if (block) old.push(...eventsOf(new Decoded(firstId, block)));
          await deleteBlock(blocks, groupName, streamName, firstId);
        }
        const merged: NewEvent[] = [];
        let a = 0;
        let b = 0;
        while (a < old.length || b < fresh.length) {
          const takeOld = b >= fresh.length || (a < old.length && (old[a]!.t < fresh[b]!.t || (old[a]!.t === fresh[b]!.t && old[a]!.q < fresh[b]!.q)));
          merged.push(takeOld ? old[a++]! : fresh[b++]!);
        }
        for (const block of buildBlocks(streamName, merged)) await putBlock(blocks, groupName, block);
      } else {
        for (const block of buildBlocks(streamName, fresh)) await putBlock(blocks, groupName, block);
      }
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
    return { rejected: Object.keys(rejected).length > 0 ? rejected : undefined, group, kept, q0 };
  });
  if (result.kept.length > 0) await publishMetricFilters(metadata, scope, groupName, result.kept);
  if (result.kept.length > 0 && options.bus) {
    // Event ids (56 digits each) are made only for a group with subscription filters.
    deliverToSubscriptions(options.bus, metadata, scope, groupName, streamName, () =>
      result.kept.map((e, i) => ({ id: eventId(e.timestamp, result.q0 + i), timestamp: e.timestamp, message: e.message })),
    );
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
    const gp = g.logGroupName + "\u0000";
    removed += await metadata.transaction(async (tx) => {
      const t = tables(tx, scope);
      let n = 0;
      let bytes = 0;
      // A block goes when its last event is older than the cutoff (AWS, too, deletes expired
      // events some time after they expire rather than to the millisecond).
      const candidates = await t.blocks.list({ prefix: gp, before: gp + eventIdFloor(cutoff) });
      for (const b of candidates) {
        if (b.value.t[b.value.t.length - 1]! >= cutoff) continue;
        await deleteBlock({ blocks: t.blocks, streamBlocks: t.streamBlocks }, g.logGroupName, b.value.s, b.key.slice(gp.length));
        bytes += b.value.b;
        n += b.value.t.length;
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

/**
 * Moves events stored one row each (before blocks) into blocks: each stream's events in order,
 * in blocks of up to MAX_BLOCK_EVENTS. Event ids change (they are not kept by clients beyond a
 * pagination token).
 */
export async function migrateLegacyEvents(metadata: MetadataStore, scope: Scope): Promise<number> {
  let moved = 0;
  for (;;) {
    const n = await metadata.transaction(async (tx) => {
      const t = tables(tx, scope);
      const rows = await t.legacyEvents.list({ limit: 10_000 });
      // Runs of one stream (keys are group \0 stream \0 id, so a stream's rows are adjacent).
      let i = 0;
      while (i < rows.length) {
        const key = rows[i]!.key;
        const cut = key.lastIndexOf("\u0000");
        const streamPrefix = key.slice(0, cut + 1);
        const first = streamPrefix.indexOf("\u0000");
        const group = streamPrefix.slice(0, first);
        const stream = streamPrefix.slice(first + 1, -1);
        let j = i;
        const events: NewEvent[] = [];
        while (j < rows.length && rows[j]!.key.startsWith(streamPrefix) && rows[j]!.key.indexOf("\u0000", streamPrefix.length) === -1) {
          const v = rows[j]!.value;
          events.push({ t: v.t, m: v.m, q: 0, i: v.i });
          j++;
        }
        const q0 = reserveSequence(events.length);
        events.forEach((e, k) => (e.q = q0 + k));
        for (const block of buildBlocks(stream, events)) await putBlock({ blocks: t.blocks, streamBlocks: t.streamBlocks }, group, block);
        for (let k = i; k < j; k++) {
          const r = rows[k]!;
          await t.legacyEvents.delete(r.key);
          await t.legacyByTime.delete(group + "\u0000" + r.key.slice(streamPrefix.length));
        }
        i = j;
      }
      return rows.length;
    });
    moved += n;
    if (n < 10_000) break;
  }
  await tables(metadata, scope).legacyByTime.clear();
  return moved;
}
