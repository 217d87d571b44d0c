/**
 * CloudWatch Logs handlers: log groups (retention, KMS key id, tags, classes), streams, events
 * (PutLogEvents with AWS's batch rules, GetLogEvents with forward/backward tokens,
 * FilterLogEvents with filter patterns across streams), metric filters (published to CloudWatch)
 * and TestMetricFilter; subscription filters (subscriptions.ts), export tasks (export-tasks.ts)
 * and Logs Insights queries (insights-handlers.ts, language in insights/query.ts).
 *
 * ## Gaps
 * - Live Tail, data protection, deliveries, anomaly detectors, account policies, query
 *   definitions and log destinations (PutDestination) answer 501.
 * - Subscription filters: only destinations a Nimbus service takes (Lambda) are accepted; Kinesis,
 *   Firehose and log destinations fail AWS's test delivery with InvalidParameterException. Events
 *   written by Lambda's own log capture do not pass through subscription filters (Lambda calls
 *   the writer without the bus). Delivered events carry no `extractedFields`; a refused delivery
 *   is dropped without AWS's retries.
 * - Export tasks write one `000000.gz` per stream (AWS splits large streams into several files).
 * - Logs Insights: the commands and functions listed in insights/query.ts; no `SOURCE`,
 *   `pattern`, `diff`, `unmask`, `filterIndex`, datetime/IP/string functions beyond those listed;
 *   a query reads its groups' events into memory; results are kept until reset (AWS: 7 days).
 * - The KMS key id is recorded, not used (events are stored in the data dir's SQLite file).
 * - Sequence tokens are accepted and ignored, as AWS now does.
 *
 * ## By design
 * - Events are stored a block per PutLogEvents batch (blocks.ts); retention deletes a block once
 *   its newest event has expired (AWS, too, removes expired events some time after they expire).
 * - FilterLogEvents reads at most 100,000 events per call and then answers with a nextToken,
 *   possibly with fewer events than the limit, as AWS's pages may.
 * - Subscription deliveries, export tasks and queries run in the background of the process
 *   right after the call (not on the injected clock); tests wait with the `...Settled()` helpers.
 * - Without `sort` or `stats`, Insights results come newest first.
 */
import type { LogsOperations } from "../../generated/logs.js";
import type { RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import { LogsErrors } from "./errors.js";
import { appendLogEvents, validateBatch } from "./ingest.js";
import { FilterPatternError, parseFilterPattern } from "./filter-pattern.js";
import { groupPrefix, SEP, streamKey, tables, type LogGroupRecord, type LogStreamRecord } from "./store.js";
import { cmpPos, Decoded, eventId, eventIdFloor, groupKey, parseEventId, scanGroup, streamBlockPrefix, type Pos } from "./blocks.js";
import { compiledPattern } from "./metric-filters.js";
import { subscriptionHandlers } from "./subscriptions.js";
import { exportHandlers } from "./export-tasks.js";
import { insightsHandlers } from "./insights-handlers.js";

const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const STREAM_NAME = /^[^:*]{1,512}$/;
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const MAX_PAGE_BYTES = 1_048_576;
/** Events FilterLogEvents looks at per call at most; a page may come back short with a nextToken, as AWS's do. */
const MAX_SCANNED = 100_000;

const t = (ctx: RequestContext) => tables(ctx.storage.metadata, ctx.scope);
const invalid = (message: string) => new ServiceError(LogsErrors.InvalidParameterException, message);
const groupMissing = () => new ServiceError(LogsErrors.ResourceNotFoundException, "The specified log group does not exist.");
const streamMissing = () => new ServiceError(LogsErrors.ResourceNotFoundException, "The specified log stream does not exist.");

export const groupArn = (ctx: { region: string; account: string }, name: string) => `arn:aws:logs:${ctx.region}:${ctx.account}:log-group:${name}`;

function checkGroupName(name: string, member = "logGroupName"): void {
  if (!GROUP_NAME.test(name)) {
    throw invalid(
      `1 validation error detected: Value '${name}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`,
    );
  }
}

function checkStreamName(name: string): void {
  if (!STREAM_NAME.test(name)) {
    throw invalid(`1 validation error detected: Value '${name}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`);
  }
}

function checkLimit(limit: number | undefined, max: number, dflt: number): number {
  const n = limit ?? dflt;
  if (n < 1 || n > max) {
    throw invalid(
      `1 validation error detected: Value '${n}' at 'limit' failed to satisfy constraint: Member must have value ${n < 1 ? "greater than or equal to 1" : `less than or equal to ${max}`}`,
    );
  }
  return n;
}

/** The group a request names, by `logGroupName` or `logGroupIdentifier` (name or ARN). */
function groupNameOf(input: { logGroupName?: string; logGroupIdentifier?: string }): string {
  if (input.logGroupName !== undefined && input.logGroupIdentifier !== undefined) {
    throw invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.");
  }
  const id = input.logGroupIdentifier ?? input.logGroupName;
  if (id === undefined) throw invalid("Either the parameter logGroupName or logGroupIdentifier must be specified.");
  const m = /^arn:aws[\w-]*:logs:[^:]*:\d{12}:log-group:([^:]+)(:\*)?$/.exec(id);
  return m ? m[1]! : id;
}

async function requireGroup(ctx: RequestContext, name: string): Promise<LogGroupRecord> {
  const g = await t(ctx).groups.get(name);
  if (!g) throw groupMissing();
  return g;
}

async function describeGroup(ctx: RequestContext, g: LogGroupRecord) {
  const arn = groupArn(ctx, g.logGroupName);
  const metricFilterCount = await t(ctx).metricFilters.count({ prefix: groupPrefix(g.logGroupName) });
  return {
    logGroupName: g.logGroupName,
    creationTime: g.creationTime,
    ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
    metricFilterCount,
    arn: `${arn}:*`,
    storedBytes: g.storedBytes ?? 0,
    ...(g.kmsKeyId ? { kmsKeyId: g.kmsKeyId } : {}),
    logGroupClass: g.logGroupClass,
    logGroupArn: arn,
  };
}

function describeStream(ctx: RequestContext, group: string, s: LogStreamRecord) {
  return {
    logStreamName: s.logStreamName,
    creationTime: s.creationTime,
    ...(s.firstEventTimestamp !== undefined ? { firstEventTimestamp: s.firstEventTimestamp } : {}),
    ...(s.lastEventTimestamp !== undefined ? { lastEventTimestamp: s.lastEventTimestamp } : {}),
    ...(s.lastIngestionTime !== undefined ? { lastIngestionTime: s.lastIngestionTime } : {}),
    arn: `${groupArn(ctx, group)}:log-stream:${s.logStreamName}`,
    storedBytes: 0,
  };
}

const encodeToken = (s: string) => Buffer.from(s, "utf8").toString("base64url");
function decodeToken(token: string): string {
  const s = Buffer.from(token, "base64url").toString("utf8");
  if (!s || encodeToken(s) !== token.replace(/=+$/, "")) throw invalid("The specified nextToken is invalid.");
  return s;
}

function checkTags(tags: Record<string, string> | undefined): void {
  if (!tags) return;
  if (Object.keys(tags).length > 50) throw invalid("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50");
  for (const k of Object.keys(tags)) {
    if (k.startsWith("aws:")) throw invalid("Tag keys prefixed with 'aws:' are reserved for AWS use.");
  }
}

async function deleteGroupData(ctx: RequestContext, name: string): Promise<boolean> {
  return ctx.storage.metadata.transaction(async (tx) => {
    const tt = tables(tx, ctx.scope);
    if (!(await tt.groups.delete(name))) return false;
    await tt.streams.clear({ prefix: groupPrefix(name) });
    await tt.blocks.clear({ prefix: groupPrefix(name) });
    await tt.streamBlocks.clear({ prefix: groupPrefix(name) });
    await tt.metricFilters.clear({ prefix: groupPrefix(name) });
    await tt.subscriptions.clear({ prefix: groupPrefix(name) });
    return true;
  });
}

function parsePattern(pattern: string | undefined) {
  try {
    return parseFilterPattern(pattern);
  } catch (e) {
    if (e instanceof FilterPatternError) throw invalid(e.message);
    throw e;
  }
}

export const handlers: Partial<LogsOperations> = {
  ...subscriptionHandlers,
  ...exportHandlers,
  ...insightsHandlers,
  // ---- groups ---------------------------------------------------------------------------
  async CreateLogGroup(ctx, input) {
    checkGroupName(input.logGroupName);
    checkTags(input.tags);
    const cls = input.logGroupClass ?? "STANDARD";
    if (!["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"].includes(cls)) {
      throw invalid(`1 validation error detected: Value '${cls}' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]`);
    }
    const created = await t(ctx).groups.insert(input.logGroupName, {
      logGroupName: input.logGroupName,
      creationTime: ctx.clock.nowMs(),
      logGroupClass: cls,
      storedBytes: 0,
      ...(input.kmsKeyId ? { kmsKeyId: input.kmsKeyId } : {}),
      ...(input.tags && Object.keys(input.tags).length > 0 ? { tags: { ...input.tags } } : {}),
    });
    if (!created) throw new ServiceError(LogsErrors.ResourceAlreadyExistsException, "The specified log group already exists");
  },

  async DeleteLogGroup(ctx, input) {
    checkGroupName(input.logGroupName);
    if (!(await deleteGroupData(ctx, input.logGroupName))) throw groupMissing();
  },

  async DescribeLogGroups(ctx, input) {
    const limit = checkLimit(input.limit, 50, 50);
    if (input.logGroupNamePrefix !== undefined && input.logGroupNamePattern !== undefined) {
      throw invalid("LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.");
    }
    const after = input.nextToken ? decodeToken(input.nextToken) : undefined;
    const pattern = input.logGroupNamePattern?.toLowerCase();
    const out: LogGroupRecord[] = [];
    let cursor = after;
    let more = false;
    // A pattern (case-insensitive substring) filters while paging.
    for (;;) {
      const rows = await t(ctx).groups.list({
        ...(input.logGroupNamePrefix ? { prefix: input.logGroupNamePrefix } : {}),
        ...(cursor !== undefined ? { after: cursor } : {}),
        limit: 200,
      });
      for (const r of rows) {
        if (pattern && !r.key.toLowerCase().includes(pattern)) continue;
        if (input.logGroupClass && r.value.logGroupClass !== input.logGroupClass) continue;
        if (out.length === limit) {
          more = true;
          break;
        }
        out.push(r.value);
      }
      if (more || rows.length < 200) break;
      cursor = rows[rows.length - 1]!.key;
    }
    return {
      logGroups: await Promise.all(out.map((g) => describeGroup(ctx, g))),
      ...(more ? { nextToken: encodeToken(out[out.length - 1]!.logGroupName) } : {}),
    };
  },

  async PutRetentionPolicy(ctx, input) {
    checkGroupName(input.logGroupName);
    if (!RETENTION_DAYS.includes(input.retentionInDays)) {
      throw invalid(
        `1 validation error detected: Value '${input.retentionInDays}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(", ")}]`,
      );
    }
    const g = await requireGroup(ctx, input.logGroupName);
    await t(ctx).groups.put(g.logGroupName, { ...g, retentionInDays: input.retentionInDays });
  },

  async DeleteRetentionPolicy(ctx, input) {
    const g = await requireGroup(ctx, input.logGroupName);
    const { retentionInDays: _dropped, ...rest } = g;
    await t(ctx).groups.put(g.logGroupName, rest);
  },

  async AssociateKmsKey(ctx, input) {
    const g = await requireGroup(ctx, groupNameOf(input));
    if (!input.kmsKeyId) throw invalid("kmsKeyId is required for a log group association.");
    await t(ctx).groups.put(g.logGroupName, { ...g, kmsKeyId: input.kmsKeyId });
  },

  async DisassociateKmsKey(ctx, input) {
    const g = await requireGroup(ctx, groupNameOf(input));
    const { kmsKeyId: _dropped, ...rest } = g;
    await t(ctx).groups.put(g.logGroupName, rest);
  },

  // ---- tags -----------------------------------------------------------------------------
  async TagResource(ctx, input) {
    const g = await requireGroup(ctx, groupNameOf({ logGroupIdentifier: input.resourceArn }));
    checkTags(input.tags);
    const tags = { ...(g.tags ?? {}), ...input.tags };
    if (Object.keys(tags).length > 50) throw invalid("A log group can have at most 50 tags.");
    await t(ctx).groups.put(g.logGroupName, { ...g, tags });
  },
  async UntagResource(ctx, input) {
    const g = await requireGroup(ctx, groupNameOf({ logGroupIdentifier: input.resourceArn }));
    const tags = { ...(g.tags ?? {}) };
    for (const k of input.tagKeys) delete tags[k];
    await t(ctx).groups.put(g.logGroupName, { ...g, tags });
  },
  async ListTagsForResource(ctx, input) {
    const g = await requireGroup(ctx, groupNameOf({ logGroupIdentifier: input.resourceArn }));
    return { tags: g.tags ?? {} };
  },
  async TagLogGroup(ctx, input) {
    const g = await requireGroup(ctx, input.logGroupName);
    checkTags(input.tags);
    await t(ctx).groups.put(g.logGroupName, { ...g, tags: { ...(g.tags ?? {}), ...input.tags } });
  },
  async UntagLogGroup(ctx, input) {
    const g = await requireGroup(ctx, input.logGroupName);
    const tags = { ...(g.tags ?? {}) };
    for (const k of input.tags) delete tags[k];
    await t(ctx).groups.put(g.logGroupName, { ...g, tags });
  },
  async ListTagsLogGroup(ctx, input) {
    const g = await requireGroup(ctx, input.logGroupName);
    return { tags: g.tags ?? {} };
  },

  // ---- streams --------------------------------------------------------------------------
  async CreateLogStream(ctx, input) {
    checkStreamName(input.logStreamName);
    await requireGroup(ctx, input.logGroupName);
    const created = await t(ctx).streams.insert(streamKey(input.logGroupName, input.logStreamName), {
      logStreamName: input.logStreamName,
      creationTime: ctx.clock.nowMs(),
      storedBytes: 0,
    });
    if (!created) throw new ServiceError(LogsErrors.ResourceAlreadyExistsException, "The specified log stream already exists");
  },

  async DeleteLogStream(ctx, input) {
    await requireGroup(ctx, input.logGroupName);
    const deleted = await ctx.storage.metadata.transaction(async (tx) => {
      const tt = tables(tx, ctx.scope);
      if (!(await tt.streams.delete(streamKey(input.logGroupName, input.logStreamName)))) return false;
      const prefix = streamBlockPrefix(input.logGroupName, input.logStreamName);
      let bytes = 0;
      for (const r of await tt.streamBlocks.list({ prefix })) {
        await tt.blocks.delete(groupKey(input.logGroupName, r.key.slice(prefix.length)));
        bytes += r.value.b;
      }
      await tt.streamBlocks.clear({ prefix });
      const g = await tt.groups.get(input.logGroupName);
      if (g && bytes > 0) await tt.groups.put(g.logGroupName, { ...g, storedBytes: Math.max(0, (g.storedBytes ?? 0) - bytes) });
      return true;
    });
    if (!deleted) throw streamMissing();
  },

  async DescribeLogStreams(ctx, input) {
    const group = groupNameOf(input);
    await requireGroup(ctx, group);
    const limit = checkLimit(input.limit, 50, 50);
    const orderBy = input.orderBy ?? "LogStreamName";
    if (orderBy !== "LogStreamName" && orderBy !== "LastEventTime") {
      throw invalid(`1 validation error detected: Value '${orderBy}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]`);
    }
    if (orderBy === "LastEventTime" && input.logStreamNamePrefix !== undefined) {
      throw invalid("Cannot order by LastEventTime with a logStreamNamePrefix.");
    }
    const prefix = groupPrefix(group) + (input.logStreamNamePrefix ?? "");
    const offset = input.nextToken ? Number(decodeToken(input.nextToken)) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw invalid("The specified nextToken is invalid.");
    // Streams of one group are listed whole and sorted: groups hold thousands of streams, not millions.
    const all = (await t(ctx).streams.list({ prefix })).map((e) => e.value);
    if (orderBy === "LastEventTime") all.sort((a, b) => (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0));
    if (input.descending) all.reverse();
    const page = all.slice(offset, offset + limit);
    return {
      logStreams: page.map((s) => describeStream(ctx, group, s)),
      ...(offset + limit < all.length ? { nextToken: encodeToken(String(offset + limit)) } : {}),
    };
  },

  // ---- events ---------------------------------------------------------------------------
  async PutLogEvents(ctx, input) {
    checkGroupName(input.logGroupName);
    checkStreamName(input.logStreamName);
    validateBatch(input.logEvents);
    const { rejected } = await appendLogEvents(ctx.storage.metadata, ctx.scope, input.logGroupName, input.logStreamName, input.logEvents, ctx.clock.nowMs(), { bus: ctx.bus });
    return {
      // Ignored by AWS now, still returned for old clients.
      nextSequenceToken: String(ctx.clock.nowMs()).padStart(56, "0"),
      ...(rejected ? { rejectedLogEventsInfo: rejected } : {}),
    };
  },

  async GetLogEvents(ctx, input) {
    const group = groupNameOf(input);
    await requireGroup(ctx, group);
    if (!(await t(ctx).streams.get(streamKey(group, input.logStreamName)))) throw streamMissing();
    const limit = checkLimit(input.limit, 10_000, 10_000);
    // Positions: events from `lo` (inclusive) to `hi` (exclusive).
    const lo: Pos = { t: input.startTime !== undefined ? Math.max(0, input.startTime) : 0, q: 0 };
    const hi: Pos | undefined = input.endTime !== undefined ? { t: input.endTime, q: 0 } : undefined;
    let forward = input.startFromHead === true;
    let token: Pos | undefined;
    if (input.nextToken) {
      const m = /^([fb])\/(\d{0,56})$/.exec(input.nextToken);
      if (!m) throw invalid("The specified nextToken is invalid.");
      forward = m[1] === "f";
      token = parseEventId(m[2]!.padEnd(56, "0"));
    }
    const prefix = streamBlockPrefix(group, input.logStreamName);
    const blocks = t(ctx).blocks;
    const page: { d: Decoded; k: number }[] = [];
    let bytes = 0;
    /** Adds an event if the page has room; false when full. */
    const take = (d: Decoded, k: number) => {
      const size = Buffer.byteLength(d.message(k), "utf8") + 26;
      if (page.length === limit || bytes + size > MAX_PAGE_BYTES) return false;
      bytes += size;
      page.push({ d, k });
      return true;
    };
    // A stream's blocks never overlap, so its events are its blocks' events in block order.
    const load = async (firstId: string) => {
      const b = await blocks.get(groupKey(group, firstId));
      return b ? new Decoded(firstId, b) : undefined;
    };
    if (forward) {
      // Events after the token (exclusive) or from `lo` (inclusive).
      const inRange = (d: Decoded, k: number) => {
        const c = token ? cmpPos(d.t(k), d.q(k), token.t, token.q) > 0 : cmpPos(d.t(k), d.q(k), lo.t, lo.q) >= 0;
        return c && d.t(k) >= lo.t && (!hi || d.t(k) < hi.t);
      };
      const startId = token ? eventId(token.t, token.q) : eventIdFloor(lo.t);
      // The block holding the start may begin before it.
      const straddling = await t(ctx).streamBlocks.list({ prefix, before: prefix + startId, reverse: true, limit: 1 });
      let cursor = straddling.length > 0 ? straddling[0]!.key : undefined;
      let full = false;
      if (cursor) {
        const d = await load(cursor.slice(prefix.length));
        for (let k = 0; d && k < d.n && !full; k++) if (inRange(d, k)) full = !take(d, k);
      }
      while (!full) {
        const refs = await t(ctx).streamBlocks.list({ prefix, ...(cursor ? { after: cursor } : { from: prefix + startId }), ...(hi ? { before: prefix + eventIdFloor(hi.t) } : {}), limit: 20 });
        for (const r of refs) {
          const d = await load(r.key.slice(prefix.length));
          for (let k = 0; d && k < d.n && !full; k++) if (inRange(d, k)) full = !take(d, k);
          if (full) break;
        }
        if (refs.length < 20) break;
        cursor = refs[refs.length - 1]!.key;
      }
    } else {
      // The newest events before the token (exclusive) or `hi`, collected newest first.
      const end = token && (!hi || cmpPos(token.t, token.q, hi.t, hi.q) < 0) ? token : hi;
      const inRange = (d: Decoded, k: number) => (!end || cmpPos(d.t(k), d.q(k), end.t, end.q) < 0) && d.t(k) >= lo.t;
      let cursor: string | undefined = end ? prefix + eventId(end.t, end.q) : undefined;
      let full = false;
      let done = false;
      while (!full && !done) {
        const refs = await t(ctx).streamBlocks.list({ prefix, ...(cursor ? { before: cursor } : {}), reverse: true, limit: 20 });
        for (const r of refs) {
          if (r.value.e < lo.t) {
            done = true;
            break;
          }
          const d = await load(r.key.slice(prefix.length));
          for (let k = d ? d.n - 1 : -1; d && k >= 0 && !full; k--) if (inRange(d, k)) full = !take(d, k);
          if (full) break;
        }
        if (refs.length < 20) break;
        cursor = refs[refs.length - 1]!.key;
      }
      page.reverse();
    }
    const first = page[0];
    const last = page[page.length - 1];
    const zero = "".padStart(56, "0");
    return {
      events: page.map(({ d, k }) => ({ timestamp: d.t(k), message: d.message(k), ingestionTime: d.ingestion(k) })),
      nextForwardToken: `f/${last ? last.d.id(last.k) : input.nextToken?.startsWith("f/") ? input.nextToken.slice(2) : zero}`,
      nextBackwardToken: `b/${first ? first.d.id(first.k) : input.nextToken?.startsWith("b/") ? input.nextToken.slice(2) : zero}`,
    };
  },

  async FilterLogEvents(ctx, input) {
    const group = groupNameOf(input);
    await requireGroup(ctx, group);
    if (input.logStreamNames !== undefined && input.logStreamNamePrefix !== undefined) {
      throw invalid("You cannot specify both LogStreamNames and LogStreamNamePrefix.");
    }
    if (input.logStreamNames && (input.logStreamNames.length < 1 || input.logStreamNames.length > 100)) {
      throw invalid("1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length less than or equal to 100");
    }
    const limit = checkLimit(input.limit, 10_000, 10_000);
    const pattern = parsePattern(input.filterPattern);
    const names = input.logStreamNames ? new Set(input.logStreamNames) : undefined;
    const namePrefix = input.logStreamNamePrefix;
    // The token: the block to resume reading at, and the last event already passed.
    let resume: { fromBlock: string; after?: Pos } | undefined;
    if (input.nextToken) {
      const m = /^(\d{56})(?:\.(\d{56}))?$/.exec(decodeToken(input.nextToken));
      if (!m) throw invalid("The specified nextToken is invalid.");
      resume = { fromBlock: m[1]!, ...(m[2] ? { after: parseEventId(m[2])! } : {}) };
    }
    const required = pattern.requiredText;
    const events: { logStreamName: string; timestamp: number; message: string; ingestionTime: number; eventId: string }[] = [];
    let bytes = 0;
    const result = await scanGroup(
      t(ctx).blocks,
      group,
      {
        ...(resume ? { fromBlock: resume.fromBlock, ...(resume.after ? { after: resume.after } : {}) } : {}),
        ...(input.startTime !== undefined ? { startTime: input.startTime } : {}),
        ...(input.endTime !== undefined ? { endTime: input.endTime + 1 } : {}),
        ...(names ? { stream: (s: string) => names.has(s) } : namePrefix !== undefined ? { stream: (s: string) => s.startsWith(namePrefix) } : {}),
        select: (d, from, to) => {
          const out: number[] = [];
          if (pattern.source === "") {
            for (let k = from; k < to; k++) out.push(k);
          } else if (required) {
            // Jump from one occurrence of the text every match contains to the next.
            const text = d.raw.m;
            const end = d.start(to);
            let pos = d.start(from);
            let k = from;
            for (;;) {
              const hit = text.indexOf(required, pos);
              if (hit < 0 || hit >= end) break;
              k = d.eventAt(hit, k);
              if (pattern.matches(d.message(k))) out.push(k);
              k++;
              if (k >= to) break;
              pos = d.start(k);
            }
          } else {
            for (let k = from; k < to; k++) if (pattern.matches(d.message(k))) out.push(k);
          }
          return out;
        },
        maxScanned: MAX_SCANNED,
      },
      (d, k) => {
        const message = d.message(k);
        const size = Buffer.byteLength(message, "utf8") + 26;
        if (events.length === limit || bytes + size > MAX_PAGE_BYTES) return false;
        bytes += size;
        events.push({ logStreamName: d.stream, timestamp: d.t(k), message, ingestionTime: d.ingestion(k), eventId: d.id(k) });
        return true;
      },
    );
    const next = result.resume;
    return {
      events,
      searchedLogStreams: [],
      ...(next ? { nextToken: encodeToken(next.fromBlock + (next.after ? "." + eventId(next.after.t, next.after.q) : "")) } : {}),
    };
  },

  // ---- metric filters -------------------------------------------------------------------
  async PutMetricFilter(ctx, input) {
    await requireGroup(ctx, input.logGroupName);
    parsePattern(input.filterPattern);
    if (input.metricTransformations.length !== 1) {
      throw invalid("1 validation error detected: Value at 'metricTransformations' failed to satisfy constraint: Member must have length less than or equal to 1");
    }
    const key = groupPrefix(input.logGroupName) + input.filterName;
    const existing = await t(ctx).metricFilters.get(key);
    if (!existing && (await t(ctx).metricFilters.count({ prefix: groupPrefix(input.logGroupName) })) >= 100) {
      throw new ServiceError(LogsErrors.LimitExceededException, "Resource limit exceeded.");
    }
    for (const mt of input.metricTransformations) {
      if (!/^(\$[\w.[\]]+|-?\d+(\.\d+)?)$/.test(mt.metricValue)) throw invalid(`Invalid metric value: ${mt.metricValue}`);
    }
    await t(ctx).metricFilters.put(key, {
      filterName: input.filterName,
      filterPattern: input.filterPattern,
      metricTransformations: input.metricTransformations.map((m) => ({
        metricName: m.metricName,
        metricNamespace: m.metricNamespace,
        metricValue: m.metricValue,
        ...(m.defaultValue !== undefined ? { defaultValue: m.defaultValue } : {}),
        ...(m.dimensions ? { dimensions: m.dimensions } : {}),
        ...(m.unit ? { unit: m.unit } : {}),
      })),
      creationTime: existing?.creationTime ?? ctx.clock.nowMs(),
      logGroupName: input.logGroupName,
    });
  },

  async DescribeMetricFilters(ctx, input) {
    const limit = checkLimit(input.limit, 50, 50);
    if ((input.metricName === undefined) !== (input.metricNamespace === undefined)) {
      throw invalid("If you specify a metric name, you must also specify a metric namespace.");
    }
    const prefix = input.logGroupName !== undefined ? groupPrefix(input.logGroupName) + (input.filterNamePrefix ?? "") : "";
    if (input.filterNamePrefix !== undefined && input.logGroupName === undefined) {
      throw invalid("If you specify a filter name prefix, you must also specify a log group name.");
    }
    const after = input.nextToken ? decodeToken(input.nextToken) : undefined;
    const all = (await t(ctx).metricFilters.list({ prefix, ...(after ? { after } : {}) })).filter(
      (e) => input.metricName === undefined || e.value.metricTransformations.some((m) => m.metricName === input.metricName && m.metricNamespace === input.metricNamespace),
    );
    const page = all.slice(0, limit);
    return {
      metricFilters: page.map((e) => ({ ...e.value })),
      ...(all.length > limit ? { nextToken: encodeToken(page[page.length - 1]!.key) } : {}),
    };
  },

  async DeleteMetricFilter(ctx, input) {
    await requireGroup(ctx, input.logGroupName);
    if (!(await t(ctx).metricFilters.delete(groupPrefix(input.logGroupName) + input.filterName))) {
      throw new ServiceError(LogsErrors.ResourceNotFoundException, "The specified metric filter does not exist.");
    }
  },

  TestMetricFilter(_ctx, input) {
    parsePattern(input.filterPattern);
    if (input.logEventMessages.length < 1 || input.logEventMessages.length > 50) {
      throw invalid("1 validation error detected: Value at 'logEventMessages' failed to satisfy constraint: Member must have length between 1 and 50");
    }
    const pattern = compiledPattern(input.filterPattern);
    const matches: { eventNumber: number; eventMessage: string; extractedValues: Record<string, string> }[] = [];
    input.logEventMessages.forEach((message, i) => {
      const fields = pattern.extract(message);
      if (!fields) return;
      const extractedValues: Record<string, string> = {};
      for (const [k, v] of Object.entries(fields)) extractedValues[`$${k}`] = String(v);
      matches.push({ eventNumber: i + 1, eventMessage: message, extractedValues });
    });
    return { matches };
  },
};

export { SEP };
