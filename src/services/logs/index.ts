/**
 * Amazon CloudWatch Logs: groups, streams, events, filter patterns, metric filters, subscription
 * filters, export tasks and Logs Insights queries; retention is enforced on the injected clock (on
 * every advance and once a minute of real time). Subscription deliveries, exports and queries run
 * in the background and are waited for on stop.
 */
import { defineService, type RequestContext, type ServiceRuntime } from "../../core/service.js";
import type { LogsOperations } from "../../generated/logs.js";
import { handlers } from "./provider.js";
import { enforceRetention, migrateLegacyEvents } from "./ingest.js";
import { logsSubscriptionsSettled } from "./subscriptions.js";
import { exportTasksSettled } from "./export-tasks.js";
import { insightsQueriesSettled } from "./insights-handlers.js";

const groupArn = (ctx: RequestContext, name: string) => `arn:aws:logs:${ctx.region}:${ctx.account}:log-group:${name}`;
/** The group a request names (name or ARN), as an IAM resource. */
const onGroup = (ctx: RequestContext, input: Record<string, unknown>) => {
  const id = String(input.logGroupIdentifier ?? input.logGroupName ?? input.resourceArn ?? "*");
  const name = /:log-group:([^:]+)/.exec(id)?.[1] ?? id;
  return { resources: [groupArn(ctx, name)] };
};
const onStream = (ctx: RequestContext, input: Record<string, unknown>) => {
  const group = onGroup(ctx, input).resources[0]!;
  return { resources: [`${group}:log-stream:${String(input.logStreamName)}`] };
};

const timers = new WeakMap<ServiceRuntime, { timer: NodeJS.Timeout; off: () => void }>();

/** Retention runs over every account and region that has log groups. */
async function sweep(runtime: ServiceRuntime): Promise<void> {
  for (const scope of await runtime.storage.metadata.scopes("logs", "log-groups")) await enforceRetention(runtime.storage.metadata, scope, runtime.clock.nowMs());
}

export const logs = defineService<LogsOperations>({
  name: "logs",
  handlers,
  async start(runtime) {
    // Events written one row each by earlier versions move into blocks before the first request.
    for (const scope of await runtime.storage.metadata.scopes("logs", "log-events")) {
      const n = await migrateLegacyEvents(runtime.storage.metadata, scope);
      runtime.logger.info(`logs: moved ${n} events of ${scope.account}/${scope.region} into blocks`);
    }
    let running = false;
    const run = () => {
      if (running) return;
      running = true;
      sweep(runtime)
        .catch((e: unknown) => runtime.logger.warn(`logs retention: ${String(e)}`))
        .finally(() => (running = false));
    };
    const timer = setInterval(run, 60_000);
    timer.unref();
    timers.set(runtime, { timer, off: runtime.clock.onAdvance(run) });
  },
  async stop(runtime) {
    const t = timers.get(runtime);
    if (t) {
      clearInterval(t.timer);
      t.off();
    }
    await Promise.all([logsSubscriptionsSettled(), exportTasksSettled(), insightsQueriesSettled()]);
  },
  authorization: {
    CreateLogGroup: onGroup,
    DeleteLogGroup: onGroup,
    DescribeLogGroups: (ctx) => ({ resources: [groupArn(ctx, "*")] }),
    PutRetentionPolicy: onGroup,
    DeleteRetentionPolicy: onGroup,
    AssociateKmsKey: onGroup,
    DisassociateKmsKey: onGroup,
    TagResource: onGroup,
    UntagResource: onGroup,
    ListTagsForResource: onGroup,
    TagLogGroup: onGroup,
    UntagLogGroup: onGroup,
    ListTagsLogGroup: onGroup,
    CreateLogStream: onStream,
    DeleteLogStream: onStream,
    DescribeLogStreams: onGroup,
    PutLogEvents: onStream,
    GetLogEvents: onStream,
    FilterLogEvents: onGroup,
    PutMetricFilter: onGroup,
    DescribeMetricFilters: (ctx) => ({ resources: [groupArn(ctx, "*")] }),
    DeleteMetricFilter: onGroup,
    PutSubscriptionFilter: onGroup,
    DescribeSubscriptionFilters: onGroup,
    DeleteSubscriptionFilter: onGroup,
    CreateExportTask: onGroup,
    StartQuery: (ctx, input) => {
      const ids = [input.logGroupName, ...((input.logGroupNames as string[] | undefined) ?? []), ...((input.logGroupIdentifiers as string[] | undefined) ?? [])].filter((x): x is string => typeof x === "string");
      return { resources: ids.length ? ids.map((id) => groupArn(ctx, /:log-group:([^:]+)/.exec(id)?.[1] ?? id)) : ["*"] };
    },
  },
});
