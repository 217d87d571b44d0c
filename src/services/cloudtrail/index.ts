/**
 * AWS CloudTrail: every API call through Nimbus becomes an event (the gateway's audit hook);
 * Event history answers LookupEvents; logging trails deliver log files every five minutes of
 * clock (and on each clock advance).
 */
import { defineService, type RequestContext, type ServiceRuntime } from "../../core/service.js";
import type { CloudtrailOperations } from "../../generated/cloudtrail.js";
import { handlers } from "./provider.js";
import { auditSink, deliverTrails, expireEvents, recorderFor, refreshDataSelectors } from "./recording.js";

const onTrail = (field: string) => (ctx: RequestContext, input: Record<string, unknown>) => {
  const v = String(input[field] ?? "*");
  return { resources: [v.startsWith("arn:") ? v : `arn:aws:cloudtrail:${ctx.region}:${ctx.account}:trail/${v}`] };
};

const DELIVERY_INTERVAL_MS = 5 * 60_000;
const running = new WeakMap<ServiceRuntime, { off: () => void; offClock: () => void; timer: NodeJS.Timeout }>();

export const cloudtrail = defineService<CloudtrailOperations>({
  name: "cloudtrail",
  handlers,
  async start(runtime) {
    const metadata = runtime.storage.metadata;
    await refreshDataSelectors(metadata);
    const off = runtime.addAuditSink(auditSink(metadata, runtime.logger));
    let lastDelivery = runtime.clock.nowMs();
    let busy = false;
    const tick = (force: boolean) => {
      const now = runtime.clock.nowMs();
      if (busy || (!force && now - lastDelivery < DELIVERY_INTERVAL_MS)) return;
      busy = true;
      lastDelivery = now;
      deliverTrails(metadata, runtime.bus, runtime.logger, now)
        .then(() => expireEvents(metadata, now))
        .catch((e: unknown) => runtime.logger.warn(`cloudtrail delivery: ${String(e)}`))
        .finally(() => (busy = false));
    };
    const timer = setInterval(() => tick(false), 30_000);
    timer.unref();
    running.set(runtime, { off, offClock: runtime.clock.onAdvance(() => tick(true)), timer });
  },
  async stop(runtime) {
    const r = running.get(runtime);
    if (r) {
      r.off();
      r.offClock();
      clearInterval(r.timer);
      running.delete(runtime);
    }
    await recorderFor(runtime.storage.metadata, runtime.logger).close();
  },
  // Buffered events are written before a reset wipes storage, not after it.
  reset(runtime) {
    return recorderFor(runtime.storage.metadata, runtime.logger).flush();
  },
  authorization: {
    CreateTrail: onTrail("Name"),
    UpdateTrail: onTrail("Name"),
    GetTrail: onTrail("Name"),
    DeleteTrail: onTrail("Name"),
    StartLogging: onTrail("Name"),
    StopLogging: onTrail("Name"),
    GetTrailStatus: onTrail("Name"),
    PutEventSelectors: onTrail("TrailName"),
    GetEventSelectors: onTrail("TrailName"),
    AddTags: onTrail("ResourceId"),
    RemoveTags: onTrail("ResourceId"),
  },
});
