/**
 * Amazon EventBridge: buses, rules, targets, PutEvents, archives and replays; scheduled rules fire
 * and archive retention runs on the injected clock (on every advance and every 30 s of real time). Other services put events on a bus through the
 * delivery bus (`bus.deliver("arn:aws:events:<region>:<account>:event-bus/<name>", { body: <event JSON> })`).
 */
import { defineService, type RequestContext, type ServiceRuntime } from "../../core/service.js";
import type { EventsOperations } from "../../generated/events.js";
import type { Scope } from "../../storage/types.js";
import { deliverToTargets, newEvent, routeEvent, type DispatchEnv, type EventEnvelope } from "./dispatch.js";
import { handlers } from "./provider.js";
import { parseSchedule, fireTimes } from "./schedule.js";
import { expireArchivedEvents } from "./archive-events.js";
import { archiveArn, busName, eventsTables, replayArn, ruleArn, ruleKey } from "./store.js";

const busResource = (ctx: RequestContext, input: Record<string, unknown>, field = "EventBusName") => {
  const v = input[field] as string | undefined;
  return v?.startsWith("arn:") ? v : `arn:aws:events:${ctx.region}:${ctx.account}:event-bus/${v ?? "default"}`;
};
const onRule = (nameField: string) => (ctx: RequestContext, input: Record<string, unknown>) => ({
  resources: [ruleArn(ctx.region, ctx.account, busName(input.EventBusName as string | undefined), String(input[nameField]))],
});
const onBus = (field: string) => (ctx: RequestContext, input: Record<string, unknown>) => ({ resources: [busResource(ctx, input, field)] });
const onArchive = (ctx: RequestContext, input: Record<string, unknown>) => ({ resources: [archiveArn(ctx.region, ctx.account, String(input.ArchiveName))] });
const onReplay = (ctx: RequestContext, input: Record<string, unknown>) => ({ resources: [replayArn(ctx.region, ctx.account, String(input.ReplayName))] });
const onArn = (_ctx: RequestContext, input: Record<string, unknown>) => ({ resources: [String(input.ResourceARN)] });

const running = new WeakMap<ServiceRuntime, { timer: NodeJS.Timeout; off: () => void; unregister: () => void }>();

/** Fire every scheduled rule whose times have come, in every account and region. */
async function runSchedules(runtime: ServiceRuntime, env: DispatchEnv): Promise<void> {
  const now = runtime.clock.nowMs();
  for (const scope of await runtime.storage.metadata.scopes("events", "rules")) {
    const t = eventsTables(runtime.storage.metadata, scope);
    for (const { value: rule } of await t.rules.list({ prefix: "default\u0000" })) {
      if (!rule.ScheduleExpression || rule.State === "DISABLED") continue;
      const times = fireTimes(parseSchedule(rule.ScheduleExpression), rule.anchorMs, rule.lastFiredMs ?? rule.anchorMs, now);
      if (times.length === 0) continue;
      await t.rules.put(ruleKey(rule.EventBusName, rule.Name), { ...rule, lastFiredMs: times[times.length - 1]! });
      for (const at of times) {
        const event = newEvent(scope, { source: "aws.events", detailType: "Scheduled Event", detail: {}, resources: [rule.Arn], timeMs: at });
        await deliverToTargets(env, scope, rule, event);
      }
    }
  }
}

export const events = defineService<EventsOperations>({
  name: "events",
  handlers,
  start(runtime) {
    const env: DispatchEnv = { metadata: runtime.storage.metadata, bus: runtime.bus, logger: runtime.logger, nowMs: () => runtime.clock.nowMs() };
    // Events put on a bus by another service (or another bus's rule).
    const unregister = runtime.bus.register("events", async (arn, delivery) => {
      const m = /^arn:aws[a-z-]*:events:([^:]+):(\d{12}):event-bus\/(.+)$/.exec(arn);
      if (!m) throw new Error(`Not an event bus ARN: ${arn}`);
      const [, region, account, name] = m as unknown as [string, string, string, string];
      if (delivery.sender.account !== account) throw new Error(`Delivery from account ${delivery.sender.account} to bus ${arn} is not allowed.`);
      const scope: Scope = { account, region, service: "events" };
      if (name !== "default" && !(await eventsTables(runtime.storage.metadata, scope).buses.get(name))) throw new Error(`Event bus ${name} does not exist.`);
      const parsed = JSON.parse(delivery.body) as Partial<EventEnvelope>;
      const event: EventEnvelope =
        parsed && parsed.source && parsed["detail-type"]
          ? ({ ...parsed, account, region } as EventEnvelope)
          : newEvent(scope, { source: "nimbus", detailType: "Message", detail: parsed, timeMs: runtime.clock.nowMs() });
      await routeEvent(env, scope, name, event);
      return { messageId: event.id };
    });
    let busy = false;
    const tick = () => {
      if (busy) return;
      busy = true;
      runSchedules(runtime, env)
        .then(() => expireArchivedEvents(runtime.storage.metadata, runtime.clock.nowMs()))
        .catch((e: unknown) => runtime.logger.warn(`events schedules: ${String(e)}`))
        .finally(() => (busy = false));
    };
    const timer = setInterval(tick, 30_000);
    timer.unref();
    running.set(runtime, { timer, off: runtime.clock.onAdvance(tick), unregister });
  },
  stop(runtime) {
    const r = running.get(runtime);
    if (r) {
      clearInterval(r.timer);
      r.off();
      r.unregister();
      running.delete(runtime);
    }
  },
  authorization: {
    CreateEventBus: onBus("Name"),
    DescribeEventBus: onBus("Name"),
    DeleteEventBus: onBus("Name"),
    PutRule: onRule("Name"),
    DescribeRule: onRule("Name"),
    EnableRule: onRule("Name"),
    DisableRule: onRule("Name"),
    DeleteRule: onRule("Name"),
    PutTargets: onRule("Rule"),
    RemoveTargets: onRule("Rule"),
    ListTargetsByRule: onRule("Rule"),
    PutEvents: (ctx, input) => ({
      resources: [
        ...new Set(
          ((input.Entries as Array<Record<string, unknown>> | undefined) ?? []).map((e) => busResource(ctx, e)),
        ),
      ],
    }),
    CreateArchive: onArchive,
    DescribeArchive: onArchive,
    UpdateArchive: onArchive,
    DeleteArchive: onArchive,
    StartReplay: onReplay,
    DescribeReplay: onReplay,
    CancelReplay: onReplay,
    TagResource: onArn,
    UntagResource: onArn,
    ListTagsForResource: onArn,
  },
});
