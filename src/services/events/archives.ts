/**
 * EventBridge archives and replays. An archive is kept as AWS keeps it: a managed rule
 * `Events-Archive-<name>` on the source bus (ManagedBy events.amazonaws.com) whose pattern is the
 * archive's plus `"replay-name": [{ "exists": false }]`, so replayed events are never archived
 * again. A replay reads the archive in one-minute windows of event time, in order, and puts each
 * event back on the bus with `replay-name` set, to the replay's rules only; DescribeReplay shows
 * its progress (EventLastReplayedTime) and CancelReplay stops it between windows.
 */
import { ServiceError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import type { EventsOperations } from "../../generated/events.js";
import type { Scope } from "../../storage/types.js";
import { routeEvent, track, type DispatchEnv } from "./dispatch.js";
import { EventsErrors } from "./errors.js";
import { parsePattern } from "./pattern.js";
import {
  archiveArn,
  archiveEventKey,
  archiveRuleName,
  busName,
  eventsTables,
  replayArn,
  ruleArn,
  ruleKey,
  type ArchiveRecord,
  type ArchivedEvent,
  type ReplayRecord,
  type ReplayState,
  type RuleRecord,
} from "./store.js";

const ARCHIVE_NAME = /^[.\-_A-Za-z0-9]{1,48}$/;
const REPLAY_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const ARCHIVE_STATES = ["ENABLED", "DISABLED", "CREATING", "UPDATING", "CREATE_FAILED", "UPDATE_FAILED"];
const REPLAY_STATES = ["STARTING", "RUNNING", "CANCELLING", "COMPLETED", "CANCELLED", "FAILED"];
const MINUTE = 60_000;

const tables = (ctx: RequestContext) => eventsTables(ctx.storage.metadata, ctx.scope);
const validation = (message: string) => new ServiceError(EventsErrors.ValidationException, message);
const patternError = (field: string, value: string, pattern: string) =>
  validation(`1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern}`);

function page<T>(items: T[], token: string | undefined, limit: number | undefined): { items: T[]; next?: string } {
  const start = token ? Number(Buffer.from(token, "base64").toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw validation("The NextToken provided is not valid.");
  if (limit !== undefined && (limit < 1 || limit > 100)) throw validation(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100`);
  const n = limit ?? 100;
  return { items: items.slice(start, start + n), ...(start + n < items.length ? { next: Buffer.from(String(start + n)).toString("base64") } : {}) };
}

async function findArchive(ctx: RequestContext, name: string): Promise<ArchiveRecord> {
  const archive = await tables(ctx).archives.get(name);
  if (!archive) throw new ServiceError(EventsErrors.ResourceNotFoundException, `Archive ${name} does not exist.`);
  return archive;
}

async function findReplay(ctx: RequestContext, name: string): Promise<ReplayRecord> {
  const replay = await tables(ctx).replays.get(name);
  if (!replay) throw new ServiceError(EventsErrors.ResourceNotFoundException, `Replay ${name} does not exist.`);
  return replay;
}

/** The archive's pattern (validated) with replayed events left out, as the managed rule's pattern. */
function managedRulePattern(pattern: string | undefined): string {
  const base = pattern === undefined ? {} : (JSON.parse(pattern) as Record<string, unknown>);
  return JSON.stringify({ ...base, "replay-name": [{ exists: false }] });
}

function checkRetention(days: number | undefined): void {
  if (days !== undefined && (!Number.isInteger(days) || days < 0)) {
    throw validation(`1 validation error detected: Value '${days}' at 'retentionDays' failed to satisfy constraint: Member must have value greater than or equal to 0`);
  }
}

const replayOut = (r: ReplayRecord) => ({
  ReplayName: r.ReplayName,
  EventSourceArn: r.EventSourceArn,
  State: r.State,
  ...(r.StateReason !== undefined ? { StateReason: r.StateReason } : {}),
  EventStartTime: new Date(r.EventStartTime),
  EventEndTime: new Date(r.EventEndTime),
  ...(r.EventLastReplayedTime !== undefined ? { EventLastReplayedTime: new Date(r.EventLastReplayedTime) } : {}),
  ReplayStartTime: new Date(r.ReplayStartTime),
  ...(r.ReplayEndTime !== undefined ? { ReplayEndTime: new Date(r.ReplayEndTime) } : {}),
});

const archiveOut = (a: ArchiveRecord) => ({
  ArchiveName: a.ArchiveName,
  EventSourceArn: a.EventSourceArn,
  State: a.State,
  RetentionDays: a.RetentionDays,
  SizeBytes: a.SizeBytes,
  EventCount: a.EventCount,
  CreationTime: new Date(a.CreationTime),
});

function dispatchEnv(ctx: RequestContext): DispatchEnv {
  return { metadata: ctx.storage.metadata, bus: ctx.bus, logger: ctx.logger, nowMs: () => ctx.clock.nowMs() };
}

/** Change a replay's record atomically; `fn` returns the new record, or undefined to leave it. */
async function updateReplay(env: DispatchEnv, scope: Scope, name: string, fn: (r: ReplayRecord) => ReplayRecord | undefined): Promise<ReplayRecord | undefined> {
  return env.metadata.transaction(async (tx) => {
    const t = tx.table<ReplayRecord>(scope, "replays");
    const r = await t.get(name);
    if (!r) return undefined;
    const next = fn(r);
    if (next) await t.put(name, next);
    return next ?? r;
  });
}

const finish = (state: ReplayState, nowMs: number, reason?: string) => (r: ReplayRecord): ReplayRecord => ({
  ...r,
  State: state,
  ...(reason !== undefined ? { StateReason: reason } : {}),
  ReplayEndTime: nowMs,
});

/** Run a replay in the background: STARTING -> RUNNING -> COMPLETED (or CANCELLED / FAILED). */
async function runReplay(env: DispatchEnv, scope: Scope, name: string): Promise<void> {
  // Let StartReplay answer (STARTING) before the replay moves on.
  await new Promise((r) => setImmediate(r));
  const started = await updateReplay(env, scope, name, (r) => (r.State === "STARTING" ? { ...r, State: "RUNNING" } : r.State === "CANCELLING" ? finish("CANCELLED", env.nowMs())(r) : undefined));
  if (!started || started.State !== "RUNNING") return;
  const archiveName = started.EventSourceArn.slice(started.EventSourceArn.lastIndexOf("/") + 1);
  const bus = busName(started.Destination.Arn);
  const routing = { name, ...(started.Destination.FilterArns?.length ? { filterArns: started.Destination.FilterArns } : {}) };
  const events = eventsTables(env.metadata, scope).archiveEvents;
  const end = archiveEventKey(archiveName, started.EventEndTime, "");
  let cursor = started.EventStartTime;
  try {
    while (cursor < started.EventEndTime) {
      if (!(await eventsTables(env.metadata, scope).archives.get(archiveName))) {
        await updateReplay(env, scope, name, finish("FAILED", env.nowMs(), `Archive ${archiveName} does not exist.`));
        return;
      }
      // Skip empty stretches: the next window starts at the minute of the next archived event.
      const [next] = await events.list({ from: archiveEventKey(archiveName, cursor, ""), before: end, limit: 1 });
      if (!next) break;
      const nextMs = Date.parse(next.value.event.time);
      const windowStart = Math.max(cursor, Math.floor(nextMs / MINUTE) * MINUTE);
      const windowEnd = Math.min(Math.floor(windowStart / MINUTE) * MINUTE + MINUTE, started.EventEndTime);
      let after: string | undefined;
      let last: number | undefined;
      for (;;) {
        const batch = await events.list({
          ...(after ? { after } : { from: archiveEventKey(archiveName, windowStart, "") }),
          before: archiveEventKey(archiveName, windowEnd, ""),
          limit: 500,
        });
        for (const { key, value } of batch) {
          after = key;
          last = Date.parse(value.event.time);
          await routeEvent(env, scope, bus, value.event, routing);
        }
        if (batch.length < 500) break;
      }
      cursor = windowEnd;
      const now = await updateReplay(env, scope, name, (r) =>
        r.State === "CANCELLING" ? finish("CANCELLED", env.nowMs())(r) : last !== undefined ? { ...r, EventLastReplayedTime: last } : undefined,
      );
      if (!now || now.State !== "RUNNING") return;
      await new Promise((r) => setImmediate(r));
    }
    await updateReplay(env, scope, name, (r) => (r.State === "RUNNING" ? finish("COMPLETED", env.nowMs())(r) : r.State === "CANCELLING" ? finish("CANCELLED", env.nowMs())(r) : undefined));
  } catch (e) {
    env.logger.warn(`events: replay ${name} failed: ${String(e)}`);
    await updateReplay(env, scope, name, finish("FAILED", env.nowMs(), "Replay failed.")).catch(() => undefined);
  }
}

export const archiveHandlers: Pick<
  EventsOperations,
  "CreateArchive" | "DescribeArchive" | "UpdateArchive" | "DeleteArchive" | "ListArchives" | "StartReplay" | "DescribeReplay" | "ListReplays" | "CancelReplay"
> = {
  async CreateArchive(ctx, input) {
    if (!ARCHIVE_NAME.test(input.ArchiveName)) throw patternError("archiveName", input.ArchiveName, "[\\.\\-_A-Za-z0-9]+");
    const m = /^arn:aws[a-z-]*:events:([^:]*):(\d{12}):event-bus\/(.+)$/.exec(input.EventSourceArn);
    if (!m) throw validation(`Parameter ${input.EventSourceArn} is not valid. Reason: Provided Arn is not in correct format.`);
    const [, region, account, bus] = m as unknown as [string, string, string, string];
    if (region !== ctx.region || account !== ctx.account || (bus !== "default" && !(await tables(ctx).buses.get(bus)))) {
      throw new ServiceError(EventsErrors.ResourceNotFoundException, `Event bus ${bus} does not exist.`);
    }
    if (input.EventPattern !== undefined) parsePattern(input.EventPattern);
    checkRetention(input.RetentionDays);
    const now = ctx.clock.nowMs();
    const archive: ArchiveRecord = {
      ArchiveName: input.ArchiveName,
      ArchiveArn: archiveArn(ctx.region, ctx.account, input.ArchiveName),
      EventSourceArn: input.EventSourceArn,
      ...(input.Description !== undefined ? { Description: input.Description } : {}),
      ...(input.EventPattern !== undefined ? { EventPattern: input.EventPattern } : {}),
      RetentionDays: input.RetentionDays ?? 0,
      State: "ENABLED",
      CreationTime: now,
      EventCount: 0,
      SizeBytes: 0,
    };
    const rule: RuleRecord = {
      Name: archiveRuleName(input.ArchiveName),
      Arn: ruleArn(ctx.region, ctx.account, bus, archiveRuleName(input.ArchiveName)),
      EventBusName: bus,
      EventPattern: managedRulePattern(input.EventPattern),
      State: "ENABLED",
      Description: `Managed rule for archive ${input.ArchiveName}.`,
      CreatedBy: ctx.account,
      ManagedBy: "events.amazonaws.com",
      archiveName: input.ArchiveName,
      anchorMs: now,
    };
    const created = await ctx.storage.metadata.transaction(async (tx) => {
      if (!(await tx.table<ArchiveRecord>(ctx.scope, "archives").insert(archive.ArchiveName, archive))) return false;
      await tx.table<RuleRecord>(ctx.scope, "rules").put(ruleKey(bus, rule.Name), rule);
      return true;
    });
    if (!created) throw new ServiceError(EventsErrors.ResourceAlreadyExistsException, `Archive ${input.ArchiveName} already exists.`);
    return { ArchiveArn: archive.ArchiveArn, State: archive.State, CreationTime: new Date(now) };
  },

  async DescribeArchive(ctx, input) {
    const a = await findArchive(ctx, input.ArchiveName);
    return {
      ArchiveArn: a.ArchiveArn,
      ...archiveOut(a),
      ...(a.Description !== undefined ? { Description: a.Description } : {}),
      ...(a.EventPattern !== undefined ? { EventPattern: a.EventPattern } : {}),
    };
  },

  async UpdateArchive(ctx, input) {
    const a = await findArchive(ctx, input.ArchiveName);
    if (input.EventPattern !== undefined) parsePattern(input.EventPattern);
    checkRetention(input.RetentionDays);
    const next: ArchiveRecord = {
      ...a,
      ...(input.Description !== undefined ? { Description: input.Description } : {}),
      ...(input.EventPattern !== undefined ? { EventPattern: input.EventPattern } : {}),
      ...(input.RetentionDays !== undefined ? { RetentionDays: input.RetentionDays } : {}),
    };
    const bus = busName(a.EventSourceArn);
    await ctx.storage.metadata.transaction(async (tx) => {
      await tx.table<ArchiveRecord>(ctx.scope, "archives").put(a.ArchiveName, next);
      const rules = tx.table<RuleRecord>(ctx.scope, "rules");
      const key = ruleKey(bus, archiveRuleName(a.ArchiveName));
      const rule = await rules.get(key);
      if (rule) await rules.put(key, { ...rule, EventPattern: managedRulePattern(next.EventPattern) });
    });
    return { ArchiveArn: a.ArchiveArn, State: next.State, CreationTime: new Date(a.CreationTime) };
  },

  async DeleteArchive(ctx, input) {
    const a = await findArchive(ctx, input.ArchiveName);
    const bus = busName(a.EventSourceArn);
    await ctx.storage.metadata.transaction(async (tx) => {
      await tx.table<ArchiveRecord>(ctx.scope, "archives").delete(a.ArchiveName);
      await tx.table<RuleRecord>(ctx.scope, "rules").delete(ruleKey(bus, archiveRuleName(a.ArchiveName)));
      await tx.table<ArchivedEvent>(ctx.scope, "archive-events").clear({ prefix: `${a.ArchiveName}\u0000` });
    });
    return {};
  },

  async ListArchives(ctx, input) {
    const filters = [input.NamePrefix, input.EventSourceArn, input.State].filter((x) => x !== undefined).length;
    if (filters > 1) throw validation("At most one filter is allowed for ListArchives. Use either : State, EventSourceArn, or NamePrefix.");
    if (input.State !== undefined && !ARCHIVE_STATES.includes(input.State)) {
      throw validation(`1 validation error detected: Value '${input.State}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${ARCHIVE_STATES.join(", ")}]`);
    }
    const all = (await tables(ctx).archives.list({ ...(input.NamePrefix ? { prefix: input.NamePrefix } : {}) }))
      .map((e) => e.value)
      .filter((a) => (input.EventSourceArn === undefined || a.EventSourceArn === input.EventSourceArn) && (input.State === undefined || a.State === input.State));
    const p = page(all, input.NextToken, input.Limit);
    return { Archives: p.items.map(archiveOut), ...(p.next ? { NextToken: p.next } : {}) };
  },

  async StartReplay(ctx, input) {
    if (!REPLAY_NAME.test(input.ReplayName)) throw patternError("replayName", input.ReplayName, "[\\.\\-_A-Za-z0-9]+");
    const archiveName = /:archive\/([^/]+)$/.exec(input.EventSourceArn)?.[1];
    if (!input.EventSourceArn.startsWith(`arn:aws:events:${ctx.region}:${ctx.account}:archive/`) || !archiveName) {
      throw validation(`Parameter EventSourceArn is not valid. Reason: Provided Arn is not in correct format.`);
    }
    const archive = await tables(ctx).archives.get(archiveName);
    if (!archive) throw validation(`Parameter EventSourceArn is not valid. Reason: Archive ${archiveName} does not exist.`);
    if (input.Destination.Arn !== archive.EventSourceArn) throw validation("Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.");
    const start = new Date(input.EventStartTime).getTime();
    const end = new Date(input.EventEndTime).getTime();
    if (!(start < end)) throw validation("Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.");
    const bus = busName(archive.EventSourceArn);
    for (const arn of input.Destination.FilterArns ?? []) {
      const name = arn.slice(arn.lastIndexOf("/") + 1);
      const rule = await tables(ctx).rules.get(ruleKey(bus, name));
      if (!rule || rule.Arn !== arn) throw validation(`Parameter Destination.FilterArns is not valid. Reason: Rule ${arn} does not exist on event bus ${bus}.`);
    }
    const now = ctx.clock.nowMs();
    const replay: ReplayRecord = {
      ReplayName: input.ReplayName,
      ReplayArn: replayArn(ctx.region, ctx.account, input.ReplayName),
      ...(input.Description !== undefined ? { Description: input.Description } : {}),
      State: "STARTING",
      EventSourceArn: input.EventSourceArn,
      Destination: { Arn: input.Destination.Arn, ...(input.Destination.FilterArns?.length ? { FilterArns: [...input.Destination.FilterArns] } : {}) },
      EventStartTime: start,
      EventEndTime: end,
      ReplayStartTime: now,
    };
    if (!(await tables(ctx).replays.insert(replay.ReplayName, replay))) {
      throw new ServiceError(EventsErrors.ResourceAlreadyExistsException, `Replay ${input.ReplayName} already exists.`);
    }
    track(runReplay(dispatchEnv(ctx), ctx.scope, replay.ReplayName));
    return { ReplayArn: replay.ReplayArn, State: replay.State, ReplayStartTime: new Date(now) };
  },

  async DescribeReplay(ctx, input) {
    const r = await findReplay(ctx, input.ReplayName);
    return {
      ReplayArn: r.ReplayArn,
      ...replayOut(r),
      ...(r.Description !== undefined ? { Description: r.Description } : {}),
      Destination: r.Destination,
    };
  },

  async ListReplays(ctx, input) {
    const filters = [input.NamePrefix, input.EventSourceArn, input.State].filter((x) => x !== undefined).length;
    if (filters > 1) throw validation("At most one filter is allowed for ListReplays. Use either : State, EventSourceArn, or NamePrefix.");
    if (input.State !== undefined && !REPLAY_STATES.includes(input.State)) {
      throw validation(`1 validation error detected: Value '${input.State}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${REPLAY_STATES.join(", ")}]`);
    }
    const all = (await tables(ctx).replays.list({ ...(input.NamePrefix ? { prefix: input.NamePrefix } : {}) }))
      .map((e) => e.value)
      .filter((r) => (input.EventSourceArn === undefined || r.EventSourceArn === input.EventSourceArn) && (input.State === undefined || r.State === input.State));
    const p = page(all, input.NextToken, input.Limit);
    return { Replays: p.items.map(replayOut), ...(p.next ? { NextToken: p.next } : {}) };
  },

  async CancelReplay(ctx, input) {
    await findReplay(ctx, input.ReplayName);
    let cancelled = false;
    const r = await updateReplay(dispatchEnv(ctx), ctx.scope, input.ReplayName, (r) => {
      if (r.State !== "STARTING" && r.State !== "RUNNING") return undefined;
      cancelled = true;
      return { ...r, State: "CANCELLING" };
    });
    if (!r || !cancelled) throw new ServiceError(EventsErrors.IllegalStatusException, `Replay ${input.ReplayName} is not in a valid state for this operation.`);
    return { ReplayArn: r.ReplayArn, State: r.State };
  },
};
