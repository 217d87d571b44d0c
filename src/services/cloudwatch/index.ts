/**
 * Amazon CloudWatch: metrics, statistics and metric math, alarms (evaluated on the injected
 * clock), dashboards. The evaluator runs once a minute of real time and on every clock advance;
 * it walks every account and region that has alarms, evaluating in slices of 20 alarms and
 * yielding to the event loop between slices so requests are not delayed. Every 10 minutes of
 * clock time it also sweeps: metric retention and rollup, segment compaction, history expiry. `POST /_nimbus/cloudwatch/evaluate` runs one
 * pass now and answers when it is done (tests and scripts use it after advancing the clock).
 */
import { defineService, type RequestContext, type ServiceRuntime } from "../../core/service.js";
import type { CloudwatchOperations } from "../../generated/cloudwatch.js";
import { handlers } from "./provider.js";
import { MetricStore, resetMetricWriter } from "./store.js";
import { alarmPeriod, alarmsTable, evaluateAlarm, historyTable, type AlarmEnv, type AlarmRecord } from "./alarms.js";

const SLICE = 10;
/** Alarms read per page: small pages keep each synchronous read and parse short. */
const PAGE = 100;
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

interface EvaluatorState {
  timer: NodeJS.Timeout;
  off: () => void;
  running: Promise<void> | undefined;
  again: boolean;
  /** Per alarm (scope + name): the period start last evaluated. */
  lastRun: Map<string, number>;
  lastSweep: number;
  stopped: boolean;
}
const evaluators = new WeakMap<ServiceRuntime, EvaluatorState>();

async function evaluationPass(runtime: ServiceRuntime, st: EvaluatorState, force: boolean): Promise<void> {
  const now = runtime.clock.nowMs();
  for (const scope of await runtime.storage.metadata.scopes("cloudwatch", "alarms")) {
    const env: AlarmEnv = { metadata: runtime.storage.metadata, scope, clock: runtime.clock, bus: runtime.bus };
    let after: string | undefined;
    const composites: AlarmRecord[] = [];
    for (;;) {
      const page = await alarmsTable(env).list({ ...(after ? { after } : {}), limit: PAGE });
      for (let i = 0; i < page.length; i += SLICE) {
        if (st.stopped) return;
        // A slice's alarms run side by side so their state writes share group commits.
        const slice: Array<Promise<void>> = [];
        for (const { value: a } of page.slice(i, i + SLICE)) {
          if (a.type === "CompositeAlarm") {
            composites.push(a);
            continue;
          }
          // Evaluate once per period boundary (every minute at most for periods of a minute or more).
          const step = Math.min(alarmPeriod(a), 60) * 1000;
          const slot = Math.floor(now / step);
          const key = `${scope.account}/${scope.region}/${a.AlarmName}`;
          if (!force && st.lastRun.get(key) === slot) continue;
          st.lastRun.set(key, slot);
          slice.push(evaluateAlarm(env, a).catch((e: unknown) => runtime.logger.warn(`cloudwatch alarm ${a.AlarmName}: ${String(e)}`)));
        }
        await Promise.all(slice);
        await yieldToLoop();
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.key;
    }
    for (const c of composites) {
      try {
        await evaluateAlarm(env, c);
      } catch (e) {
        runtime.logger.warn(`cloudwatch composite alarm ${c.AlarmName}: ${String(e)}`);
      }
    }
  }
  if (now - st.lastSweep >= 600_000 || force) {
    st.lastSweep = now;
    await sweep(runtime, now);
  }
}

/**
 * Retention and compaction: metric buckets past 455 days are deleted, 1 s buckets older than 3
 * hours are rolled into their minute, each bucket's write segments older than 10 minutes are
 * folded into one row; alarm history past 30 days is deleted.
 */
async function sweep(runtime: ServiceRuntime, now: number): Promise<void> {
  const pad = (ms: number) => String(ms).padStart(15, "0");
  for (const scope of await runtime.storage.metadata.scopes("cloudwatch", "alarm-history")) {
    const t = historyTable({ metadata: runtime.storage.metadata, scope });
    const old = await t.list({ before: pad(now - 30 * 86_400_000), limit: 5000 });
    for (const e of old) await t.delete(e.key);
  }
  for (const scope of await runtime.storage.metadata.scopes("cloudwatch", "buckets")) {
    await new MetricStore(runtime.storage.metadata, scope).compact(now - 10 * 60_000, now - 3 * 3_600_000, now - 455 * 86_400_000, yieldToLoop);
  }
}

function runPass(runtime: ServiceRuntime, st: EvaluatorState, force = false): Promise<void> {
  if (st.running) {
    st.again = true;
    return st.running;
  }
  st.running = (async () => {
    do {
      st.again = false;
      await evaluationPass(runtime, st, force).catch((e: unknown) => runtime.logger.warn(`cloudwatch evaluator: ${String(e)}`));
    } while (st.again && !st.stopped);
  })().finally(() => (st.running = undefined));
  return st.running;
}

const onAlarm = (ctx: RequestContext, input: Record<string, unknown>) => {
  const names = (input.AlarmNames as string[] | undefined) ?? (input.AlarmName !== undefined ? [String(input.AlarmName)] : undefined);
  return { resources: names ? names.map((n) => `arn:aws:cloudwatch:${ctx.region}:${ctx.account}:alarm:${n}`) : ["*"] };
};
const onDashboard = (ctx: RequestContext, input: Record<string, unknown>) => {
  const names = (input.DashboardNames as string[] | undefined) ?? (input.DashboardName !== undefined ? [String(input.DashboardName)] : undefined);
  return { resources: names ? names.map((n) => `arn:aws:cloudwatch::${ctx.account}:dashboard/${n}`) : ["*"] };
};
const onResource = (_ctx: RequestContext, input: Record<string, unknown>) => ({ resources: [String(input.ResourceARN)] });

export const cloudwatch = defineService<CloudwatchOperations>({
  name: "cloudwatch",
  handlers,
  // Signed as "monitoring", authorized as "cloudwatch:*".
  iamPrefix: "cloudwatch",
  start(runtime) {
    const st: EvaluatorState = { timer: undefined as unknown as NodeJS.Timeout, off: () => undefined, running: undefined, again: false, lastRun: new Map(), lastSweep: 0, stopped: false };
    st.timer = setInterval(() => void runPass(runtime, st), 60_000);
    st.timer.unref();
    st.off = runtime.clock.onAdvance(() => void runPass(runtime, st));
    evaluators.set(runtime, st);
  },
  async reset(runtime) {
    await resetMetricWriter(runtime.storage.metadata);
  },
  async stop(runtime) {
    const st = evaluators.get(runtime);
    if (!st) return;
    st.stopped = true;
    clearInterval(st.timer);
    st.off();
    await st.running;
  },
  async nimbusRoutes(req, runtime) {
    if (req.path !== "evaluate" || req.method !== "POST") return undefined;
    if (!req.loopback) return { status: 403, json: { message: "Only loopback clients may run the alarm evaluator." } };
    const st = evaluators.get(runtime);
    if (!st) return { status: 503, json: { message: "CloudWatch is not started." } };
    // Wait for a pass in progress, then run a full one.
    await st.running;
    await runPass(runtime, st, true);
    return { status: 200, json: { evaluated: true, now: runtime.clock.now().toISOString() } };
  },
  authorization: {
    PutMetricData: (_ctx, input) => ({ context: { "cloudwatch:namespace": String(input.Namespace) } }),
    PutMetricAlarm: (ctx, input) => ({ ...onAlarm(ctx, input), context: requestTags(input) }),
    PutCompositeAlarm: (ctx, input) => ({ ...onAlarm(ctx, input), context: requestTags(input) }),
    DeleteAlarms: onAlarm,
    DescribeAlarmHistory: onAlarm,
    SetAlarmState: onAlarm,
    EnableAlarmActions: onAlarm,
    DisableAlarmActions: onAlarm,
    PutDashboard: onDashboard,
    GetDashboard: onDashboard,
    DeleteDashboards: onDashboard,
    TagResource: (ctx, input) => ({ ...onResource(ctx, input), context: requestTags(input) }),
    UntagResource: (ctx, input) => ({ ...onResource(ctx, input), context: { "aws:TagKeys": (input.TagKeys as string[] | undefined) ?? [] } }),
    ListTagsForResource: onResource,
  },
});

function requestTags(input: Record<string, unknown>): Record<string, string | string[]> {
  const tags = (input.Tags as Array<{ Key: string; Value: string }> | undefined) ?? [];
  const out: Record<string, string | string[]> = {};
  for (const t of tags) out[`aws:RequestTag/${t.Key}`] = t.Value;
  if (tags.length) out["aws:TagKeys"] = tags.map((t) => t.Key);
  return out;
}
