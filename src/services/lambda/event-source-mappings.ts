/**
 * Event source mappings for SQS: a poller per Nimbus instance reads each enabled mapping's
 * queue (up to BatchSize messages, waiting up to MaximumBatchingWindowInSeconds to fill a batch),
 * invokes the function synchronously with AWS's SQS event, and deletes what succeeded — all of
 * the batch, or, with ReportBatchItemFailures, all but the `batchItemFailures` the function
 * returns. A failed batch is left to reappear after the queue's visibility timeout (and to reach
 * the queue's dead-letter queue by its redrive policy), as on AWS.
 *
 * The poller calls SQS's own handlers (ReceiveMessage, DeleteMessageBatch) with a service
 * context, the way Lambda's pollers call SQS on AWS; it does not evaluate the execution role's
 * sqs:ReceiveMessage permission (a gap, listed in the provider header).
 */
import { randomUUID } from "node:crypto";
import type { RequestContext, ServiceRuntime } from "../../core/service.js";
import type { Scope, Table } from "../../storage/types.js";
import { handlers as sqsHandlers } from "../sqs/provider.js";
import type { Executor } from "./environments.js";
import { functionArn, tables } from "./store.js";
import { compileFilters, passesFilters } from "./filter-criteria.js";

export interface MappingRecord {
  UUID: string;
  EventSourceArn: string;
  FunctionArn: string;
  FunctionName: string;
  BatchSize: number;
  MaximumBatchingWindowInSeconds: number;
  FunctionResponseTypes: string[];
  State: "Enabled" | "Disabled";
  LastModified: number;
  StateTransitionReason: string;
  ScalingConfig?: { MaximumConcurrency?: number };
  /** Stream sources (DynamoDB Streams, stream-mappings.ts). */
  StartingPosition?: string;
  ParallelizationFactor?: number;
  BisectBatchOnFunctionError?: boolean;
  MaximumRetryAttempts?: number;
  MaximumRecordAgeInSeconds?: number;
  TumblingWindowInSeconds?: number;
  DestinationConfig?: { OnFailure?: { Destination?: string } };
  FilterCriteria?: { Filters?: { Pattern?: string }[] };
}

export const mappings = (metadata: ServiceRuntime["storage"]["metadata"], scope: Scope) => metadata.table<MappingRecord>(scope, "event-source-mappings") as Table<MappingRecord>;

interface SqsMessage {
  MessageId?: string;
  ReceiptHandle?: string;
  Body?: string;
  MD5OfBody?: string;
  Attributes?: Record<string, string>;
  MessageAttributes?: Record<string, { DataType?: string; StringValue?: string; BinaryValue?: Buffer }>;
}

/** A context for calling SQS's handlers as Lambda's poller in the mapping's account and region. */
function sqsContext(runtime: ServiceRuntime, scope: Scope, endpoint: string): RequestContext {
  return {
    requestId: randomUUID(),
    service: "sqs",
    operation: "ReceiveMessage",
    account: scope.account,
    region: scope.region,
    principal: { type: "root", account: scope.account, arn: `arn:aws:iam::${scope.account}:root`, userId: scope.account, accessKeyId: "" },
    sourceIp: "127.0.0.1",
    secureTransport: false,
    endpoint,
    clock: runtime.clock,
    storage: runtime.storage,
    identity: runtime.identity,
    logger: runtime.logger,
    bus: runtime.bus,
    scope: { account: scope.account, region: scope.region, service: "sqs" },
  };
}

export class SqsPoller {
  private running = false;
  private readonly busy = new Set<string>();
  private readonly windowStart = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly off: () => void;

  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly executor: Executor,
    private readonly endpoint: () => string,
  ) {
    this.timer = setInterval(() => void this.poll(), 200);
    this.timer.unref();
    this.off = runtime.clock.onAdvance(() => void this.poll());
  }

  stop(): void {
    clearInterval(this.timer);
    this.off();
  }

  /** One pass over every enabled mapping (concurrent passes are skipped). */
  async poll(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const metadata = this.runtime.storage.metadata;
      for (const scope of await metadata.scopes("lambda", "event-source-mappings")) {
        for (const { value: m } of await mappings(metadata, scope).list()) {
          if (m.State !== "Enabled" || this.busy.has(m.UUID) || !m.EventSourceArn.startsWith("arn:aws:sqs:")) continue;
          this.busy.add(m.UUID);
          void this.runMapping(scope, m)
            .catch((e: unknown) => this.runtime.logger.warn(`lambda event source mapping ${m.UUID}: ${String(e)}`))
            .finally(() => this.busy.delete(m.UUID));
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Whether a pass has anything left to do for any mapping right now (tests drain on this). */
  idle(): boolean {
    return this.busy.size === 0;
  }

  private async runMapping(scope: Scope, m: MappingRecord): Promise<void> {
    const [, , , region, account, queueName] = m.EventSourceArn.split(":");
    const ctx = sqsContext(this.runtime, { account: account!, region: region!, service: "sqs" }, this.endpoint());
    const queueUrl = `${this.endpoint()}/${account}/${queueName}`;
    const receive = sqsHandlers.ReceiveMessage!;
    const messages: SqsMessage[] = [];
    while (messages.length < m.BatchSize) {
      const out = (await receive(ctx, {
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, m.BatchSize - messages.length),
        AttributeNames: ["All"],
        MessageAttributeNames: ["All"],
        WaitTimeSeconds: 0,
      })) as { Messages?: SqsMessage[] } | undefined;
      const got = out?.Messages ?? [];
      messages.push(...got);
      if (got.length === 0) break;
    }
    if (messages.length === 0) {
      this.windowStart.delete(m.UUID);
      return;
    }
    // The batching window: with a partial batch, wait (on the clock) until the window has passed.
    if (messages.length < m.BatchSize && m.MaximumBatchingWindowInSeconds > 0) {
      const started = this.windowStart.get(m.UUID) ?? this.runtime.clock.nowMs();
      this.windowStart.set(m.UUID, started);
      if (this.runtime.clock.nowMs() - started < m.MaximumBatchingWindowInSeconds * 1000) {
        await sqsHandlers.ChangeMessageVisibilityBatch!(ctx, {
          QueueUrl: queueUrl,
          Entries: messages.map((msg, i) => ({ Id: String(i), ReceiptHandle: msg.ReceiptHandle!, VisibilityTimeout: 0 })),
        });
        return;
      }
    }
    this.windowStart.delete(m.UUID);
    // FilterCriteria: messages that match no filter are deleted without invoking, as on AWS.
    const filters = compileFilters(m.FilterCriteria);
    const toRecord = (msg: SqsMessage) => ({
      messageId: msg.MessageId,
      receiptHandle: msg.ReceiptHandle,
      body: msg.Body,
      attributes: msg.Attributes ?? {},
      messageAttributes: Object.fromEntries(
        Object.entries(msg.MessageAttributes ?? {}).map(([k, v]) => [
          k,
          { ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}), ...(v.BinaryValue !== undefined ? { binaryValue: Buffer.from(v.BinaryValue).toString("base64") } : {}), stringListValues: [], binaryListValues: [], dataType: v.DataType },
        ]),
      ),
      md5OfBody: msg.MD5OfBody,
      eventSource: "aws:sqs",
      eventSourceARN: m.EventSourceArn,
      awsRegion: region,
    });
    if (filters.length) {
      const dropped = messages.filter((msg) => !passesFilters(filters, { ...toRecord(msg), body: parseBody(msg.Body) }));
      for (let i = 0; i < dropped.length; i += 10) {
        await sqsHandlers.DeleteMessageBatch!(ctx, { QueueUrl: queueUrl, Entries: dropped.slice(i, i + 10).map((x, j) => ({ Id: String(j), ReceiptHandle: x.ReceiptHandle! })) });
      }
      const gone = new Set(dropped);
      messages.splice(0, messages.length, ...messages.filter((x) => !gone.has(x)));
      if (messages.length === 0) return;
    }
    const event = { Records: messages.map(toRecord) };
    const t = tables(this.runtime.storage.metadata, scope);
    const rec = await t.functions.get(m.FunctionName);
    if (!rec) return;
    let failed = new Set<string>();
    let ok = false;
    try {
      const result = await this.executor.invoke({
        scope,
        config: rec.config,
        code: rec.code,
        version: "$LATEST",
        invokedArn: functionArn(scope, m.FunctionName),
        payload: Buffer.from(JSON.stringify(event)),
        ...(rec.reservedConcurrency !== undefined ? { reservedConcurrency: rec.reservedConcurrency } : {}),
        endpoint: this.endpoint(),
      });
      if (!result.functionError) {
        ok = true;
        if (m.FunctionResponseTypes.includes("ReportBatchItemFailures")) {
          try {
            const body = JSON.parse(result.payload.toString("utf8") || "null") as { batchItemFailures?: { itemIdentifier?: string }[] } | null;
            const ids = new Set(messages.map((x) => x.MessageId));
            const reported = (body?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
            // An identifier that is empty or not in the batch fails the whole batch, as on AWS.
            if (reported.some((id) => !id || !ids.has(id))) ok = false;
            else failed = new Set(reported as string[]);
          } catch {
            /* a response that is not JSON counts as complete success, as on AWS */
          }
        }
      }
    } catch {
      ok = false;
    }
    if (!ok) return;
    const done = messages.filter((x) => !failed.has(x.MessageId!));
    for (let i = 0; i < done.length; i += 10) {
      await sqsHandlers.DeleteMessageBatch!(ctx, { QueueUrl: queueUrl, Entries: done.slice(i, i + 10).map((x, j) => ({ Id: String(j), ReceiptHandle: x.ReceiptHandle! })) });
    }
  }
}

/** A message body as filters see it: its JSON when it is JSON, else the text. */
function parseBody(body: string | undefined): unknown {
  try {
    return JSON.parse(body ?? "");
  } catch {
    return body;
  }
}
