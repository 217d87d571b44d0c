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
import { eventIdFloor, groupPrefix, SEP, streamEventsPrefix, streamKey, tables, type LogGroupRecord, type LogStreamRecord } from "./store.js";
import { compiledPattern } from "./metric-filters.js";
import { subscriptionHandlers } from "./subscriptions.js";
import { exportHandlers } from "./export-tasks.js";
import { insightsHandlers } from "./insights-handlers.js";

const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const STREAM_NAME = /^[^:*]{1,512}$/;
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const MAX_PAGE_BYTES = 1_048_576;
/** Rows read per store call while FilterLogEvents scans (fewer, larger reads scan faster). */
const SCAN_BATCH = 5000;

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
    await tt.events.clear({ prefix: groupPrefix(name) });
    await tt.byTime.clear({ prefix: groupPrefix(name) });
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
      const prefix = streamEventsPrefix(input.logGroupName, input.logStreamName);
      let bytes = 0;
      for (const e of await tt.events.list({ prefix })) {
        await tt.byTime.delete(groupPrefix(input.logGroupName) + e.key.slice(prefix.length));
        bytes += Buffer.byteLength(e.value.m, "utf8");
      }
      await tt.events.clear({ prefix });
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
    const prefix = streamEventsPrefix(group, input.logStreamName);
    const lo = prefix + (input.startTime !== undefined ? eventIdFloor(input.startTime) : "");
    const hi = input.endTime !== undefined ? prefix + eventIdFloor(input.endTime) : undefined;
    let forward = input.startFromHead === true;
    let after: string | undefined;
    let before: string | undefined;
    if (input.nextToken) {
      const m = /^([fb])\/(\d{0,56})$/.exec(input.nextToken);
      if (!m) throw invalid("The specified nextToken is invalid.");
      forward = m[1] === "f";
      if (forward) after = prefix + m[2]!;
      else before = prefix + m[2]!;
    }
    const bound = (key: string) => (hi === undefined || key < hi) && key >= lo;
    const rows = forward
      ? await t(ctx).events.list({ prefix, ...(after ? { after } : { from: lo }), ...(hi ? { before: hi } : {}), limit })
      : (await t(ctx).events.list({ prefix, reverse: true, ...(before ? { before: hi && hi < before ? hi : before } : hi ? { before: hi } : {}), limit })).filter((r) => bound(r.key)).reverse();
    // 1 MB of messages per page.
    let bytes = 0;
    let page = rows;
    for (let i = 0; i < rows.length; i++) {
      bytes += Buffer.byteLength(rows[i]!.value.m, "utf8") + 26;
      if (bytes > MAX_PAGE_BYTES) {
        page = forward ? rows.slice(0, i) : rows.slice(rows.length - i);
        break;
      }
    }
    const idOf = (key: string) => key.slice(prefix.length);
    const first = page[0];
    const last = page[page.length - 1];
    return {
      events: page.map((r) => ({ timestamp: r.value.t, message: r.value.m, ingestionTime: r.value.i })),
      nextForwardToken: `f/${last ? idOf(last.key) : (input.nextToken?.startsWith("f/") ? input.nextToken.slice(2) : first ? idOf(first.key) : "".padStart(56, "0"))}`,
      nextBackwardToken: `b/${first ? idOf(first.key) : (input.nextToken?.startsWith("b/") ? input.nextToken.slice(2) : "".padStart(56, "0"))}`,
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
    const streams = input.logStreamNames ? new Set(input.logStreamNames) : undefined;
    const gp = groupPrefix(group);
    const lo = gp + (input.startTime !== undefined ? eventIdFloor(input.startTime) : "");
    const hi = input.endTime !== undefined ? gp + eventIdFloor(input.endTime + 1) : undefined;
    let cursor = input.nextToken ? gp + decodeToken(input.nextToken) : undefined;
    const events: { logStreamName: string; timestamp: number; message: string; ingestionTime: number; eventId: string }[] = [];
    let bytes = 0;
    let scanned = 0;
    let more = false;
    // Scan at most 100,000 events per call; a page may come back short with a nextToken, as AWS's do.
    outer: for (;;) {
      const rows = await t(ctx).byTime.list({ prefix: gp, ...(cursor ? { after: cursor } : { from: lo }), ...(hi ? { before: hi } : {}), limit: SCAN_BATCH });
      for (const r of rows) {
        cursor = r.key;
        scanned++;
        const e = r.value;
        if (streams ? !streams.has(e.s) : input.logStreamNamePrefix !== undefined && !e.s.startsWith(input.logStreamNamePrefix)) continue;
        if (!pattern.matches(e.m)) continue;
        bytes += Buffer.byteLength(e.m, "utf8") + 26;
        if (events.length === limit || bytes > MAX_PAGE_BYTES) {
          more = true;
          cursor = events.length > 0 ? gp + events[events.length - 1]!.eventId : cursor;
          break outer;
        }
        events.push({ logStreamName: e.s, timestamp: e.t, message: e.m, ingestionTime: e.i, eventId: r.key.slice(gp.length) });
      }
      if (rows.length < SCAN_BATCH) break;
      if (scanned >= 100_000) {
        more = true;
        break;
      }
    }
    if (more && events.length > 0) cursor = gp + events[events.length - 1]!.eventId;
    return {
      events,
      searchedLogStreams: [],
      ...(more && cursor ? { nextToken: encodeToken(cursor.slice(gp.length)) } : {}),
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
