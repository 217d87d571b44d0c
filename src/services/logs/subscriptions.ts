/**
 * Subscription filters: up to two per log group; every batch of events a PutLogEvents call keeps is
 * matched against each filter, and the matches go to the filter's destination through the delivery
 * bus as `logs.amazonaws.com` (the destination's resource policy decides, as a Lambda function's
 * does in AWS) with AWS's payload: `{"awslogs":{"data": base64(gzip(JSON))}}` where the JSON is a
 * `DATA_MESSAGE` naming owner, group, stream, filter and the events (id, timestamp, message).
 *
 * Delivery never fails the PutLogEvents that caused it: it runs after the write commits and a
 * destination's refusal is logged, as AWS drops (after retries) what a destination refuses.
 */
import { gzipSync } from "node:zlib";
import { NoDeliveryTarget, type Delivery, type DeliveryBus } from "../../core/bus.js";
import { ServiceError } from "../../core/errors.js";
import type { LogsOperations } from "../../generated/logs.js";
import type { MetadataStore, Scope } from "../../storage/types.js";
import { LogsErrors } from "./errors.js";
import { FilterPatternError } from "./filter-pattern.js";
import { compiledPattern } from "./metric-filters.js";
import { groupPrefix, tables } from "./store.js";

export interface DeliveredEvent {
  id: string;
  timestamp: number;
  message: string;
}

/** Lambda's asynchronous payload limit is 256 KB; batches are cut well below it (before gzip). */
const MAX_BATCH_BYTES = 200_000;
const DISTRIBUTIONS = ["Random", "ByLogStream"];

const pending = new Set<Promise<void>>();

/**
 * Deliver as CloudWatch Logs: resource policies name the service as `logs.amazonaws.com` or, in
 * AWS's older documentation still widely used, `logs.<region>.amazonaws.com`; AWS honours both,
 * so the regional form is tried when the destination refuses the global one.
 */
export async function deliverAsLogs(bus: DeliveryBus, arn: string, delivery: Omit<Delivery, "sender">, scope: Scope, group: string): Promise<void> {
  const sender = (servicePrincipal: string) => ({ servicePrincipal, account: scope.account, sourceArn: `arn:aws:logs:${scope.region}:${scope.account}:log-group:${group}:*` });
  try {
    await bus.deliver(arn, { ...delivery, sender: sender("logs.amazonaws.com") });
  } catch (e) {
    if (e instanceof NoDeliveryTarget) throw e;
    await bus.deliver(arn, { ...delivery, sender: sender(`logs.${scope.region}.amazonaws.com`) });
  }
}

/** Resolves when every delivery started so far has finished (tests, shutdown). */
export async function logsSubscriptionsSettled(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending]);
}

/** The payload AWS sends a subscription's destination. */
export function subscriptionPayload(owner: string, group: string, stream: string, filterName: string, events: DeliveredEvent[]): string {
  const message = {
    messageType: "DATA_MESSAGE",
    owner,
    logGroup: group,
    logStream: stream,
    subscriptionFilters: [filterName],
    logEvents: events.map((e) => ({ id: e.id, timestamp: e.timestamp, message: e.message })),
  };
  return JSON.stringify({ awslogs: { data: gzipSync(Buffer.from(JSON.stringify(message), "utf8")).toString("base64") } });
}

/**
 * Start delivering a written batch to the group's subscription filters (does not wait).
 * `batch` makes the events (with their ids) only when the group has a filter.
 */
export function deliverToSubscriptions(bus: DeliveryBus, metadata: MetadataStore, scope: Scope, group: string, stream: string, batch: () => DeliveredEvent[]): void {
  const run = (async () => {
    const filters = await tables(metadata, scope).subscriptions.list({ prefix: groupPrefix(group) });
    if (filters.length === 0) return;
    const events = batch();
    for (const { value: f } of filters) {
      const pattern = compiledPattern(f.filterPattern);
      const matched = events.filter((e) => pattern.matches(e.message));
      let batch: DeliveredEvent[] = [];
      let bytes = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const body = subscriptionPayload(scope.account, group, stream, f.filterName, batch);
        batch = [];
        bytes = 0;
        await deliverAsLogs(bus, f.destinationArn, { body }, scope, group).catch(() => undefined);
      };
      for (const e of matched) {
        const size = Buffer.byteLength(e.message, "utf8") + 80;
        if (bytes + size > MAX_BATCH_BYTES) await flush();
        batch.push(e);
        bytes += size;
      }
      await flush();
    }
  })().catch(() => undefined);
  pending.add(run);
  void run.finally(() => pending.delete(run));
}

const invalid = (message: string) => new ServiceError(LogsErrors.InvalidParameterException, message);

export const subscriptionHandlers: Pick<LogsOperations, "PutSubscriptionFilter" | "DescribeSubscriptionFilters" | "DeleteSubscriptionFilter"> = {
  async PutSubscriptionFilter(ctx, input) {
    if (!/^[^:*]{1,512}$/.test(input.filterName)) {
      throw invalid(`1 validation error detected: Value '${input.filterName}' at 'filterName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`);
    }
    if (input.filterPattern.length > 1024) {
      throw invalid("1 validation error detected: Value at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024");
    }
    const distribution = input.distribution ?? "ByLogStream";
    if (!DISTRIBUTIONS.includes(distribution)) {
      throw invalid(`1 validation error detected: Value '${distribution}' at 'distribution' failed to satisfy constraint: Member must satisfy enum value set: [${DISTRIBUTIONS.join(", ")}]`);
    }
    try {
      compiledPattern(input.filterPattern);
    } catch (e) {
      if (e instanceof FilterPatternError) throw invalid(e.message);
      throw e;
    }
    const kind = /^arn:aws[\w-]*:([a-z]+):[^:]*:\d{12}:/.exec(input.destinationArn)?.[1];
    if (kind === undefined) throw invalid(`Invalid destination ARN: ${input.destinationArn}`);
    // Only destinations some Nimbus service takes can be tested, as AWS tests each destination before accepting it.
    if (!ctx.bus.accepts(input.destinationArn)) {
      throw invalid(
        kind === "kinesis"
          ? "Could not deliver test message to specified Kinesis stream. Check if the given kinesis stream is in ACTIVE state."
          : kind === "firehose"
            ? "Could not deliver test message to specified Firehose stream. Check if the given Firehose stream is in ACTIVE state."
            : "Could not deliver test message to specified destination. Check if the destination is valid.",
      );
    }
    const key = groupPrefix(input.logGroupName) + input.filterName;
    await ctx.storage.metadata.transaction(async (tx) => {
      const t = tables(tx, ctx.scope);
      if (!(await t.groups.get(input.logGroupName))) throw new ServiceError(LogsErrors.ResourceNotFoundException, "The specified log group does not exist.");
      const existing = await t.subscriptions.get(key);
      if (!existing && (await t.subscriptions.count({ prefix: groupPrefix(input.logGroupName) })) >= 2) {
        throw new ServiceError(LogsErrors.LimitExceededException, "Resource limit exceeded.");
      }
      await t.subscriptions.put(key, {
        filterName: input.filterName,
        logGroupName: input.logGroupName,
        filterPattern: input.filterPattern,
        destinationArn: input.destinationArn,
        ...(input.roleArn ? { roleArn: input.roleArn } : {}),
        distribution,
        creationTime: existing?.creationTime ?? ctx.clock.nowMs(),
      });
    });
  },

  async DescribeSubscriptionFilters(ctx, input) {
    const limit = input.limit ?? 50;
    if (limit < 1 || limit > 50) {
      throw invalid(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value ${limit < 1 ? "greater than or equal to 1" : "less than or equal to 50"}`);
    }
    const t = tables(ctx.storage.metadata, ctx.scope);
    if (!(await t.groups.get(input.logGroupName))) throw new ServiceError(LogsErrors.ResourceNotFoundException, "The specified log group does not exist.");
    const after = input.nextToken ? Buffer.from(input.nextToken, "base64url").toString("utf8") : undefined;
    const rows = await t.subscriptions.list({ prefix: groupPrefix(input.logGroupName) + (input.filterNamePrefix ?? ""), ...(after ? { after } : {}), limit: limit + 1 });
    const page = rows.slice(0, limit);
    return {
      subscriptionFilters: page.map((r) => ({ ...r.value })),
      ...(rows.length > limit ? { nextToken: Buffer.from(page[page.length - 1]!.key, "utf8").toString("base64url") } : {}),
    };
  },

  async DeleteSubscriptionFilter(ctx, input) {
    await ctx.storage.metadata.transaction(async (tx) => {
      const t = tables(tx, ctx.scope);
      if (!(await t.groups.get(input.logGroupName))) throw new ServiceError(LogsErrors.ResourceNotFoundException, "The specified log group does not exist.");
      if (!(await t.subscriptions.delete(groupPrefix(input.logGroupName) + input.filterName))) {
        throw new ServiceError(LogsErrors.ResourceNotFoundException, "The specified subscription filter does not exist.");
      }
    });
  },
};
