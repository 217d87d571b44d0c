/**
 * Amazon EventBridge (CloudWatch Events) handlers: event buses, rules with event patterns and
 * schedules, targets with input shaping, PutEvents, TestEventPattern, tags; archives and replays
 * (archives.ts) with retention enforced on the injected clock.
 *
 * ## Gaps
 * - API destinations, connections, endpoints, partner event sources and bus resource policies
 *   (Put/RemovePermission) answer 501 NotImplemented.
 * - Archives take events at once and a replay runs as fast as Nimbus can route them (AWS counts
 *   EventCount/SizeBytes with a delay and paces replays); archives are always ENABLED (no
 *   CREATING/UPDATING phases), KmsKeyIdentifier is not supported, and an archive's managed rule
 *   lists no target.
 * - Cross-account delivery to another account's bus is refused (bus policies are not evaluated).
 * - A failed delivery is retried at once (up to `RetryPolicy.MaximumRetryAttempts`, at most 2
 *   more times) rather than with AWS's exponential back-off over up to 24 hours; then the event
 *   goes to the target's dead-letter queue when one is set.
 * - Target `RoleArn` is recorded, not assumed: deliveries are made as events.amazonaws.com and
 *   checked against the target's resource policy (queue, topic, function policy).
 *
 * ## By design
 * - Schedules run on Nimbus's clock: advancing the test clock by ten minutes fires a
 *   `rate(1 minute)` rule ten times (AWS never has to catch up; a test clock does).
 * - Services' own events (S3 EventBridge notifications, EC2 state changes) reach the default bus
 *   as they are wired (see the delivery bus target `events`).
 */
import { ServiceError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import type { EventsOperations } from "../../generated/events.js";
import { archiveHandlers } from "./archives.js";
import { newEvent, routeEvent, type EventEnvelope } from "./dispatch.js";
import { EventsErrors } from "./errors.js";
import { matches, parsePattern } from "./pattern.js";
import { parseSchedule } from "./schedule.js";
import { busArn, busName, eventsTables, ruleArn, ruleKey, targetKey, type BusRecord, type RuleRecord, type TargetRecord } from "./store.js";

const NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const MAX_TARGETS_PER_RULE = 5;

const tables = (ctx: RequestContext) => eventsTables(ctx.storage.metadata, ctx.scope);
const validation = (message: string) => new ServiceError(EventsErrors.ValidationException, message);

function defaultBus(ctx: RequestContext): BusRecord {
  return { Name: "default", Arn: busArn(ctx.region, ctx.account, "default"), CreationTime: 0 };
}

async function findBus(ctx: RequestContext, nameOrArn: string | undefined): Promise<BusRecord> {
  const name = busName(nameOrArn);
  if (name === "default") return defaultBus(ctx);
  const bus = await tables(ctx).buses.get(name);
  if (!bus) throw new ServiceError(EventsErrors.ResourceNotFoundException, `Event bus ${name} does not exist.`);
  return bus;
}

async function findRule(ctx: RequestContext, name: string, bus: string | undefined): Promise<RuleRecord> {
  const b = busName(bus);
  const rule = await tables(ctx).rules.get(ruleKey(b, name));
  if (!rule) throw new ServiceError(EventsErrors.ResourceNotFoundException, `Rule ${name} does not exist on EventBus ${b}.`);
  return rule;
}

function page<T>(items: T[], token: string | undefined, limit: number | undefined): { items: T[]; next?: string } {
  const start = token ? Number(Buffer.from(token, "base64").toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw validation("The NextToken provided is not valid.");
  const n = limit ?? 100;
  const slice = items.slice(start, start + n);
  return { items: slice, ...(start + n < items.length ? { next: Buffer.from(String(start + n)).toString("base64") } : {}) };
}

const ruleOut = (r: RuleRecord) => ({
  Name: r.Name,
  Arn: r.Arn,
  ...(r.EventPattern !== undefined ? { EventPattern: r.EventPattern } : {}),
  ...(r.ScheduleExpression !== undefined ? { ScheduleExpression: r.ScheduleExpression } : {}),
  State: r.State,
  ...(r.Description !== undefined ? { Description: r.Description } : {}),
  ...(r.RoleArn !== undefined ? { RoleArn: r.RoleArn } : {}),
  ...(r.ManagedBy !== undefined ? { ManagedBy: r.ManagedBy } : {}),
  EventBusName: r.EventBusName,
});

/** Rules another service manages (an archive's) change only through that service, or with Force. */
function refuseManaged(rule: RuleRecord | undefined, force = false): void {
  if (rule?.ManagedBy && !force) {
    throw new ServiceError(EventsErrors.ManagedRuleException, `Rule ${rule.Name} is managed by ${rule.ManagedBy} and cannot be modified or deleted through this operation.`);
  }
}

/** The resource an ARN names, for tags: a rule or a bus of this account and region. */
async function taggable(ctx: RequestContext, arn: string): Promise<string> {
  const prefix = `arn:aws:events:${ctx.region}:${ctx.account}:`;
  const missing = () => new ServiceError(EventsErrors.ResourceNotFoundException, `Resource ${arn.split(":").pop() ?? arn} does not exist.`);
  if (!arn.startsWith(prefix)) throw missing();
  const rest = arn.slice(prefix.length);
  if (rest.startsWith("event-bus/")) {
    await findBus(ctx, rest.slice("event-bus/".length)).catch(() => {
      throw missing();
    });
    return arn;
  }
  if (rest.startsWith("rule/")) {
    const parts = rest.slice(5).split("/");
    const name = parts.pop()!;
    await findRule(ctx, name, parts.join("/") || "default").catch(() => {
      throw missing();
    });
    return arn;
  }
  throw missing();
}

function tagsToMap(tags: Array<{ Key: string; Value: string }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) out[t.Key] = t.Value;
  return out;
}

function validTarget(t: TargetRecord): string | undefined {
  if (!NAME.test(t.Id)) return "Parameter Id is not valid.";
  if (!/^arn:aws[a-z-]*:[a-z0-9-]+:/.test(t.Arn)) return `Parameter ${t.Arn} is not valid. Reason: Provided Arn is not in correct format.`;
  const set = [t.Input, t.InputPath, t.InputTransformer].filter((x) => x !== undefined).length;
  if (set > 1) return "Only one of Input, InputPath, or InputTransformer must be provided.";
  if (t.Input !== undefined) {
    try {
      JSON.parse(t.Input);
    } catch {
      return "Parameter Input is not valid: it must be valid JSON.";
    }
  }
  if (t.InputPath !== undefined && !t.InputPath.startsWith("$")) return "Parameter InputPath is not valid.";
  if (t.InputTransformer) {
    for (const [k, p] of Object.entries(t.InputTransformer.InputPathsMap ?? {})) {
      if (!/^[A-Za-z0-9_-]+$/.test(k) || k.startsWith("aws.")) return `InputTransformer: InputPathsMap key ${k} is not valid.`;
      if (!p.startsWith("$")) return `InputTransformer: InputPathsMap value for ${k} is not a valid JSON path.`;
    }
  }
  return undefined;
}

export const handlers: Partial<EventsOperations> = {
  ...archiveHandlers,
  async CreateEventBus(ctx, input) {
    if (!BUS_NAME.test(input.Name) || input.Name.startsWith("aws.")) throw validation(`Event bus name ${input.Name} is not valid.`);
    if (input.Name === "default") throw new ServiceError(EventsErrors.ResourceAlreadyExistsException, "Event bus default already exists.");
    const bus: BusRecord = {
      Name: input.Name,
      Arn: busArn(ctx.region, ctx.account, input.Name),
      ...(input.Description !== undefined ? { Description: input.Description } : {}),
      CreationTime: ctx.clock.nowMs(),
    };
    const t = tables(ctx);
    if (!(await t.buses.insert(input.Name, bus))) {
      throw new ServiceError(EventsErrors.ResourceAlreadyExistsException, `Event bus ${input.Name} already exists.`);
    }
    if (input.Tags?.length) await t.tags.put(bus.Arn, tagsToMap(input.Tags));
    return { EventBusArn: bus.Arn, ...(input.Description !== undefined ? { Description: input.Description } : {}) };
  },

  async DescribeEventBus(ctx, input) {
    const bus = await findBus(ctx, input.Name);
    return {
      Name: bus.Name,
      Arn: bus.Arn,
      ...(bus.Description !== undefined ? { Description: bus.Description } : {}),
      ...(bus.Policy !== undefined ? { Policy: bus.Policy } : {}),
      ...(bus.CreationTime ? { CreationTime: new Date(bus.CreationTime), LastModifiedTime: new Date(bus.CreationTime) } : {}),
    };
  },

  async ListEventBuses(ctx, input) {
    const custom = (await tables(ctx).buses.list()).map((e) => e.value);
    const all = [defaultBus(ctx), ...custom].filter((b) => !input.NamePrefix || b.Name.startsWith(input.NamePrefix));
    const p = page(all, input.NextToken, input.Limit);
    return {
      EventBuses: p.items.map((b) => ({ Name: b.Name, Arn: b.Arn, ...(b.Description !== undefined ? { Description: b.Description } : {}) })),
      ...(p.next ? { NextToken: p.next } : {}),
    };
  },

  async DeleteEventBus(ctx, input) {
    if (input.Name === "default") throw validation("Cannot delete event bus default.");
    const t = tables(ctx);
    const name = busName(input.Name);
    const bus = await t.buses.get(name);
    if (!bus) return {}; // AWS: deleting a missing bus succeeds
    if ((await t.rules.count({ prefix: `${name}\u0000` })) > 0) {
      throw validation(`Cannot delete event bus ${name} because it has rules.`);
    }
    await t.buses.delete(name);
    await t.tags.delete(bus.Arn);
    return {};
  },

  async PutRule(ctx, input) {
    if (!NAME.test(input.Name)) throw validation(`1 validation error detected: Value '${input.Name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`);
    if (input.EventPattern === undefined && input.ScheduleExpression === undefined) {
      throw validation("Parameter(s) EventPattern or ScheduleExpression must be specified.");
    }
    const bus = await findBus(ctx, input.EventBusName);
    if (input.ScheduleExpression !== undefined) {
      if (bus.Name !== "default") throw validation("ScheduleExpression is supported only on the default event bus.");
      parseSchedule(input.ScheduleExpression);
    }
    if (input.EventPattern !== undefined) parsePattern(input.EventPattern);
    const state = input.State ?? "ENABLED";
    if (!["ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"].includes(state)) {
      throw validation(`1 validation error detected: Value '${state}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]`);
    }
    const t = tables(ctx);
    const key = ruleKey(bus.Name, input.Name);
    const old = await t.rules.get(key);
    refuseManaged(old);
    const now = ctx.clock.nowMs();
    const rule: RuleRecord = {
      Name: input.Name,
      Arn: ruleArn(ctx.region, ctx.account, bus.Name, input.Name),
      EventBusName: bus.Name,
      ...(input.EventPattern !== undefined ? { EventPattern: input.EventPattern } : {}),
      ...(input.ScheduleExpression !== undefined ? { ScheduleExpression: input.ScheduleExpression } : {}),
      State: state as RuleRecord["State"],
      ...(input.Description !== undefined ? { Description: input.Description } : {}),
      ...(input.RoleArn !== undefined ? { RoleArn: input.RoleArn } : {}),
      CreatedBy: ctx.account,
      // A schedule restarts when it changes or the rule is (re)enabled.
      anchorMs:
        old && old.ScheduleExpression === input.ScheduleExpression && old.State !== "DISABLED" && state !== "DISABLED" ? old.anchorMs : now,
      ...(old && old.ScheduleExpression === input.ScheduleExpression && old.lastFiredMs !== undefined ? { lastFiredMs: old.lastFiredMs } : {}),
    };
    await t.rules.put(key, rule);
    if (input.Tags?.length) await t.tags.put(rule.Arn, { ...((await t.tags.get(rule.Arn)) ?? {}), ...tagsToMap(input.Tags) });
    return { RuleArn: rule.Arn };
  },

  async DescribeRule(ctx, input) {
    const rule = await findRule(ctx, input.Name, input.EventBusName);
    return { ...ruleOut(rule), CreatedBy: rule.CreatedBy };
  },

  async ListRules(ctx, input) {
    const bus = await findBus(ctx, input.EventBusName);
    const rules = (await tables(ctx).rules.list({ prefix: `${ruleKey(bus.Name, input.NamePrefix ?? "")}` })).map((e) => e.value);
    const p = page(rules, input.NextToken, input.Limit);
    return { Rules: p.items.map(ruleOut), ...(p.next ? { NextToken: p.next } : {}) };
  },

  async EnableRule(ctx, input) {
    const rule = await findRule(ctx, input.Name, input.EventBusName);
    refuseManaged(rule);
    if (rule.State === "DISABLED") {
      const now = ctx.clock.nowMs();
      await tables(ctx).rules.put(ruleKey(rule.EventBusName, rule.Name), { ...rule, State: "ENABLED", anchorMs: now, lastFiredMs: now });
    }
    return {};
  },

  async DisableRule(ctx, input) {
    const rule = await findRule(ctx, input.Name, input.EventBusName);
    refuseManaged(rule);
    await tables(ctx).rules.put(ruleKey(rule.EventBusName, rule.Name), { ...rule, State: "DISABLED" });
    return {};
  },

  async DeleteRule(ctx, input) {
    const t = tables(ctx);
    const bus = busName(input.EventBusName);
    const rule = await t.rules.get(ruleKey(bus, input.Name));
    if (!rule) return {};
    refuseManaged(rule, input.Force);
    const prefix = `${ruleKey(bus, input.Name)}\u0000`;
    if ((await t.targets.count({ prefix })) > 0) {
      if (!input.Force) throw validation("Rule can't be deleted since it has targets.");
      await t.targets.clear({ prefix });
    }
    await t.rules.delete(ruleKey(bus, input.Name));
    await t.tags.delete(rule.Arn);
    return {};
  },

  async PutTargets(ctx, input) {
    const rule = await findRule(ctx, input.Rule, input.EventBusName);
    refuseManaged(rule);
    if (input.Targets.length === 0 || input.Targets.length > 10) {
      throw validation(`1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length less than or equal to 10`);
    }
    const t = tables(ctx);
    const prefix = `${ruleKey(rule.EventBusName, rule.Name)}\u0000`;
    const existing = new Set((await t.targets.list({ prefix })).map((e) => e.value.Id));
    const fresh = new Set(input.Targets.map((x) => x.Id).filter((id) => !existing.has(id)));
    if (existing.size + fresh.size > MAX_TARGETS_PER_RULE) {
      throw new ServiceError(EventsErrors.LimitExceededException, "The requested resource exceeds the maximum number allowed.");
    }
    const failed: Array<{ TargetId: string; ErrorCode: string; ErrorMessage: string }> = [];
    for (const target of input.Targets as unknown as TargetRecord[]) {
      const problem = validTarget(target);
      if (problem) {
        failed.push({ TargetId: target.Id, ErrorCode: "ValidationException", ErrorMessage: problem });
        continue;
      }
      await t.targets.put(targetKey(rule.EventBusName, rule.Name, target.Id), JSON.parse(JSON.stringify(target)) as TargetRecord);
    }
    return { FailedEntryCount: failed.length, FailedEntries: failed };
  },

  async RemoveTargets(ctx, input) {
    const rule = await findRule(ctx, input.Rule, input.EventBusName);
    refuseManaged(rule, input.Force);
    const t = tables(ctx);
    // AWS reports nothing for an id that is not there, so no entry ever fails.
    for (const id of input.Ids) await t.targets.delete(targetKey(rule.EventBusName, rule.Name, id));
    return { FailedEntryCount: 0, FailedEntries: [] };
  },

  async ListTargetsByRule(ctx, input) {
    const rule = await findRule(ctx, input.Rule, input.EventBusName);
    const targets = (await tables(ctx).targets.list({ prefix: `${ruleKey(rule.EventBusName, rule.Name)}\u0000` })).map((e) => e.value);
    const p = page(targets, input.NextToken, input.Limit);
    return { Targets: p.items as never, ...(p.next ? { NextToken: p.next } : {}) };
  },

  async ListRuleNamesByTarget(ctx, input) {
    const bus = await findBus(ctx, input.EventBusName);
    const t = tables(ctx);
    const names: string[] = [];
    for (const { value } of await t.rules.list({ prefix: `${bus.Name}\u0000` })) {
      const targets = await t.targets.list({ prefix: `${ruleKey(bus.Name, value.Name)}\u0000` });
      if (targets.some((x) => x.value.Arn === input.TargetArn)) names.push(value.Name);
    }
    const p = page(names, input.NextToken, input.Limit);
    return { RuleNames: p.items, ...(p.next ? { NextToken: p.next } : {}) };
  },

  async PutEvents(ctx, input) {
    if (input.Entries.length === 0 || input.Entries.length > 10) {
      throw validation("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10");
    }
    const size = input.Entries.reduce(
      (n, e) => n + Buffer.byteLength(e.Detail ?? "") + Buffer.byteLength(e.DetailType ?? "") + Buffer.byteLength(e.Source ?? "") + (e.Resources ?? []).reduce((m, r) => m + Buffer.byteLength(r), 0) + (e.Time ? 14 : 0),
      0,
    );
    if (size > 256 * 1024) throw validation("Total size of the entries in the request is over the limit.");
    const results: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }> = [];
    let failed = 0;
    for (const entry of input.Entries) {
      const fail = (code: string, message: string) => {
        failed++;
        results.push({ ErrorCode: code, ErrorMessage: message });
      };
      if (!entry.Source) {
        fail("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument.");
        continue;
      }
      if (!entry.DetailType) {
        fail("InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument.");
        continue;
      }
      if (entry.Detail === undefined) {
        fail("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument.");
        continue;
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        fail("MalformedDetail", "Detail is malformed.");
        continue;
      }
      if (detail === null || typeof detail !== "object" || Array.isArray(detail)) {
        fail("MalformedDetail", "Detail is malformed.");
        continue;
      }
      if (entry.Source.startsWith("aws.")) {
        fail("NotAuthorizedForSourceException", "Not authorized for the source.");
        continue;
      }
      let bus: BusRecord;
      try {
        bus = await findBus(ctx, entry.EventBusName);
      } catch {
        fail("InvalidArgument", `Event bus ${busName(entry.EventBusName)} does not exist.`);
        continue;
      }
      const event: EventEnvelope = newEvent(ctx.scope, {
        source: entry.Source,
        detailType: entry.DetailType,
        detail,
        resources: entry.Resources ?? [],
        timeMs: entry.Time ? new Date(entry.Time).getTime() : ctx.clock.nowMs(),
      });
      await routeEvent(dispatchEnv(ctx), ctx.scope, bus.Name, event);
      results.push({ EventId: event.id });
    }
    return { FailedEntryCount: failed, Entries: results };
  },

  async TestEventPattern(ctx, input) {
    const pattern = parsePattern(input.EventPattern);
    let event: unknown;
    try {
      event = JSON.parse(input.Event);
    } catch {
      throw validation("Parameter Event is not valid.");
    }
    const e = event as Record<string, unknown> | null;
    for (const field of ["id", "account", "source", "time", "region", "detail-type"]) {
      if (!e || typeof e !== "object" || e[field] === undefined) throw validation(`Parameter Event is not valid. Reason: Provided Event is missing required field ${field}.`);
    }
    if (e!.account !== ctx.account) throw validation("Parameter Event is not valid. Reason: Provided Event account does not match the account of the caller.");
    return { Result: matches(pattern, event) };
  },

  async TagResource(ctx, input) {
    const arn = await taggable(ctx, input.ResourceARN);
    const t = tables(ctx);
    await t.tags.put(arn, { ...((await t.tags.get(arn)) ?? {}), ...tagsToMap(input.Tags) });
    return {};
  },

  async UntagResource(ctx, input) {
    const arn = await taggable(ctx, input.ResourceARN);
    const t = tables(ctx);
    const tags = { ...((await t.tags.get(arn)) ?? {}) };
    for (const k of input.TagKeys) delete tags[k];
    await t.tags.put(arn, tags);
    return {};
  },

  async ListTagsForResource(ctx, input) {
    const arn = await taggable(ctx, input.ResourceARN);
    const tags = (await tables(ctx).tags.get(arn)) ?? {};
    return { Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) };
  },
};

function dispatchEnv(ctx: RequestContext) {
  return { metadata: ctx.storage.metadata, bus: ctx.bus, logger: ctx.logger, nowMs: () => ctx.clock.nowMs() };
}
