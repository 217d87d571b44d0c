/**
 * Amazon SQS: queues and messages served from an in-memory index over SQLite rows written with
 * group commit (store.ts, engine.ts). Registers the `sqs` delivery target on the bus so S3
 * event notifications and SNS subscriptions enqueue messages, with the queue policy evaluated
 * for the sending service principal as AWS does.
 */
import { defineService, type RequestContext, type ServiceRuntime } from "../../core/service.js";
import type { SqsOperations } from "../../generated/sqs.js";
import type { Delivery } from "../../core/bus.js";
import { ServiceError } from "../../core/errors.js";
import { evaluate, storedPolicyDocument } from "../iam/policy/index.js";
import { engineFor, handlers, queueByArn, sendFromService } from "./provider.js";
import { parseQueueUrl } from "./queues.js";
import { SqsErrors } from "./errors.js";
import { MetricAggregator } from "../cloudwatch/builtin-metrics.js";

const arnOf = (region: string, account: string, name: string) => `arn:aws:sqs:${region}:${account}:${name}`;

/** The queue a request's QueueUrl names, as an IAM resource in the URL's account. */
const onQueueUrl = (ctx: RequestContext, input: Record<string, unknown>) => {
  const a = parseQueueUrl(String(input.QueueUrl ?? ""));
  if (!a) return {};
  return { resources: [arnOf(ctx.region, a.account, a.name)], resourceAccount: a.account };
};

const onQueueArn = (member: string) => (ctx: RequestContext, input: Record<string, unknown>) => {
  const arn = String(input[member] ?? "");
  const account = /^arn:aws[\w-]*:sqs:[^:]*:(\d{12}):/.exec(arn)?.[1];
  return account ? { resources: [arn], resourceAccount: account } : {};
};

const started = new WeakMap<ServiceRuntime, { off: () => void; timer: NodeJS.Timeout; offClock: () => void }>();

/**
 * Queue-policy decisions for service deliveries, by everything they depend on (queue, sender,
 * source and the policy's text): an SNS topic's fan-out asks the same question for every message.
 */
const decisions = new Map<string, string>();
function cachedDecision(key: string, decide: () => string): string {
  let d = decisions.get(key);
  if (d === undefined) {
    d = decide();
    if (decisions.size >= 1_000) decisions.clear();
    decisions.set(key, d);
  }
  return d;
}

/** The bus target: a service (S3, SNS, ...) or another account's resource sends to a queue. */
async function deliverToQueue(runtime: ServiceRuntime, arn: string, d: Delivery): Promise<{ messageId?: string }> {
  const eng = engineFor(runtime.storage.metadata, runtime.clock);
  const q = await queueByArn(eng, arn);
  if (!q || q.deleted) throw new ServiceError(SqsErrors.QueueDoesNotExist);
  const sameAccount = d.sender.account === q.scope.account;
  if (d.sender.servicePrincipal || !sameAccount) {
    const policy = q.rec.attributes.Policy;
    const context: Record<string, string> = { "aws:SourceAccount": d.sender.account };
    if (d.sender.sourceArn) context["aws:SourceArn"] = d.sender.sourceArn;
    const principal = d.sender.servicePrincipal
      ? { type: "service" as const, arn: d.sender.servicePrincipal }
      : { type: "root" as const, arn: `arn:aws:iam::${d.sender.account}:root`, account: d.sender.account };
    const decision = policy
      ? cachedDecision(`${q.arn}\0${principal.arn}\0${d.sender.account}\0${d.sender.sourceArn ?? ""}\0${policy}`, () =>
          evaluate({
            action: "sqs:SendMessage",
            resources: [q.arn],
            principal,
            resourceAccount: q.scope.account,
            identityPolicies: [],
            resourcePolicy: storedPolicyDocument(policy, "resource"),
            context,
          }),
        )
      : "ImplicitlyDenied";
    if (decision !== "Allowed") {
      throw new ServiceError(SqsErrors.AccessDenied, `${d.sender.servicePrincipal ?? d.sender.account} is not authorized to perform: sqs:SendMessage on resource: ${q.arn}`);
    }
  }
  const attrs: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Uint8Array }> = {};
  for (const [k, v] of Object.entries(d.attributes ?? {})) attrs[k] = { ...v };
  const r = await sendFromService(
    eng,
    q,
    {
      MessageBody: d.body,
      ...(Object.keys(attrs).length ? { MessageAttributes: attrs } : {}),
      ...(d.messageGroupId !== undefined ? { MessageGroupId: d.messageGroupId } : {}),
      ...(d.messageDeduplicationId !== undefined ? { MessageDeduplicationId: d.messageDeduplicationId } : {}),
    },
    runtime.clock.nowMs(),
    d.sender.servicePrincipal ?? d.sender.account,
  );
  return { messageId: r.MessageId };
}

export const sqs = defineService<SqsOperations>({
  name: "sqs",
  handlers,
  start(runtime) {
    const off = runtime.bus.register("sqs", (arn, d) => deliverToQueue(runtime, arn, d));
    const metadata = runtime.storage.metadata;
    // Retention: once a minute of real time and whenever the injected clock moves.
    let sweeping = false;
    const sweep = () => {
      if (sweeping) return;
      sweeping = true;
      engineFor(metadata, runtime.clock)
        .sweep()
        .catch((e: unknown) => runtime.logger.warn(`sqs retention: ${String(e)}`))
        .finally(() => (sweeping = false));
    };
    const timer = setInterval(sweep, 60_000);
    timer.unref();
    // AWS/SQS queue-depth gauges: sampled for every queue at each minute of the clock.
    const eng = engineFor(metadata, runtime.clock);
    eng.metrics!.onMinute(async (now) => {
      for (const s of await eng.allScopes()) {
        for (const q of s.queues.values()) {
          if (q.deleted) continue;
          const g = q.gauges(now);
          const dims = [{ Name: "QueueName", Value: q.name }];
          eng.metrics?.add(q.scope, "ApproximateNumberOfMessagesVisible", dims, g.visible);
          eng.metrics?.add(q.scope, "ApproximateNumberOfMessagesNotVisible", dims, g.notVisible);
          eng.metrics?.add(q.scope, "ApproximateNumberOfMessagesDelayed", dims, g.delayed);
          eng.metrics?.add(q.scope, "ApproximateAgeOfOldestMessage", dims, g.oldestAgeSeconds, "Seconds");
        }
      }
    });
    started.set(runtime, { off, timer, offClock: runtime.clock.onAdvance(sweep) });
  },
  async stop(runtime) {
    const s = started.get(runtime);
    if (!s) return;
    s.off();
    clearInterval(s.timer);
    s.offClock();
    await MetricAggregator.release(runtime.storage.metadata, "AWS/SQS");
    engineFor(runtime.storage.metadata, runtime.clock).metrics = undefined;
    await engineFor(runtime.storage.metadata, runtime.clock).writer.flush();
  },
  // POST /_nimbus/reset wipes the rows under the in-memory index: write out pending work, then drop the index.
  async reset(runtime) {
    const eng = engineFor(runtime.storage.metadata, runtime.clock);
    eng.metrics?.discard();
    await eng.writer.flush();
    eng.forget();
  },
  resourcePolicy: async (ctx, arn) => {
    const q = await queueByArn(engineFor(ctx.storage.metadata, ctx.clock), arn);
    return q?.rec.attributes.Policy || undefined;
  },
  anonymousByResourcePolicy: true,
  authorization: {
    CreateQueue: (ctx, input) => ({ resources: [arnOf(ctx.region, ctx.account, String(input.QueueName))] }),
    GetQueueUrl: (ctx, input) => {
      const account = typeof input.QueueOwnerAWSAccountId === "string" ? input.QueueOwnerAWSAccountId : ctx.account;
      return { resources: [arnOf(ctx.region, account, String(input.QueueName))], resourceAccount: account };
    },
    ListQueues: () => ({}),
    DeleteQueue: onQueueUrl,
    GetQueueAttributes: onQueueUrl,
    SetQueueAttributes: onQueueUrl,
    PurgeQueue: onQueueUrl,
    TagQueue: onQueueUrl,
    UntagQueue: onQueueUrl,
    ListQueueTags: onQueueUrl,
    ListDeadLetterSourceQueues: onQueueUrl,
    AddPermission: onQueueUrl,
    RemovePermission: onQueueUrl,
    SendMessage: onQueueUrl,
    SendMessageBatch: (ctx, input) => ({ ...onQueueUrl(ctx, input), action: "sqs:SendMessage" }),
    ReceiveMessage: onQueueUrl,
    DeleteMessage: onQueueUrl,
    DeleteMessageBatch: (ctx, input) => ({ ...onQueueUrl(ctx, input), action: "sqs:DeleteMessage" }),
    ChangeMessageVisibility: onQueueUrl,
    ChangeMessageVisibilityBatch: (ctx, input) => ({ ...onQueueUrl(ctx, input), action: "sqs:ChangeMessageVisibility" }),
    StartMessageMoveTask: onQueueArn("SourceArn"),
    ListMessageMoveTasks: onQueueArn("SourceArn"),
    CancelMessageMoveTask: () => ({}),
  },
});
