/**
 * Event source mappings for DynamoDB Streams: a poller per Nimbus instance reads each enabled
 * mapping's stream from its checkpoint through DynamoDB's stream reader (the records GetRecords
 * returns, read in-process as Lambda's pollers read streams on AWS) and invokes the function
 * synchronously with AWS's DynamoDB event, one batch at a time, in sequence-number order.
 *
 * A batch that fails blocks the shard: it is retried (from the same checkpoint) until it
 * succeeds, its records pass MaximumRecordAgeInSeconds or the stream's 24-hour retention, or
 * MaximumRetryAttempts is used up; discarded batches go to DestinationConfig.OnFailure as AWS's
 * invocation record (`DDBStreamBatchInfo`, without the records). BisectBatchOnFunctionError halves
 * a failing batch until the bad record stands alone (halving does not use retries);
 * ReportBatchItemFailures moves the checkpoint to the first failed sequence number.
 *
 * The checkpoint and retry state live in the `stream-mapping-state` table (lambda scope), apart
 * from the mapping, so UpdateEventSourceMapping never races the poller's writes.
 */
import { randomUUID } from "node:crypto";
import type { ServiceRuntime } from "../../core/service.js";
import type { MetadataStore, Scope, Table } from "../../storage/types.js";
import { ServiceError } from "../../core/errors.js";
import { explain, storedPolicyDocument } from "../iam/policy/index.js";
import { collectPrincipalPolicies, getRoleByArn } from "../iam/principals.js";
import { streamReader } from "../dynamodb/stream-reader.js";
import { ensureStream, streamsTable, type StreamRecord } from "../dynamodb/streams.js";
import { getTable, toStored } from "../dynamodb/table-store.js";
import type { Executor } from "./environments.js";
import { LambdaErrors } from "./errors.js";
import { compileFilters, passesFilters } from "./filter-criteria.js";
import { mappings, type MappingRecord } from "./event-source-mappings.js";
import { functionArn, tables } from "./store.js";

export interface StreamMappingState {
  streamArn: string;
  /** The checkpoint: records after this sequence number come next (undefined: from the first). */
  position?: string;
  /** Failed attempts of the batch at the checkpoint. */
  attempts: number;
  /** A bisection in progress: batches hold at most `limit` records until the checkpoint reaches `through`. */
  split?: { limit: number; through: string };
  /** When a partial batch started waiting for MaximumBatchingWindowInSeconds (clock ms). */
  windowStartMs?: number;
  lastResult: string;
}

export const streamStates = (metadata: MetadataStore, scope: Scope) => metadata.table<StreamMappingState>(scope, "stream-mapping-state") as Table<StreamMappingState>;

const STREAM_ARN = /^arn:aws[a-zA-Z-]*:dynamodb:([a-z0-9-]+):(\d{12}):table\/([a-zA-Z0-9_.-]+)\/stream\/([0-9T:.-]+)$/;

export const isDynamoStreamArn = (arn: string) => STREAM_ARN.test(arn);

function streamScope(arn: string): { scope: Scope; table: string } {
  const m = STREAM_ARN.exec(arn)!;
  return { scope: { account: m[2]!, region: m[1]!, service: "dynamodb" }, table: m[3]! };
}

const invalid = (message: string) => new ServiceError(LambdaErrors.InvalidParameterValueException, message, { Type: "User" });

/**
 * Whether an execution role's identity policies allow `action` on `resource` (Lambda acts with
 * the role's permissions when it reads a stream or sends to a destination).
 */
export async function roleAllows(metadata: MetadataStore, roleArn: string, action: string, resource: string): Promise<boolean> {
  const role = await getRoleByArn(metadata, roleArn);
  if (!role) return false;
  const principal = {
    type: "assumed-role" as const,
    account: role.account,
    arn: `arn:aws:sts::${role.account}:assumed-role/${role.roleName}/awslambda`,
    userId: `${role.roleId}:awslambda`,
    roleArn: role.arn,
    roleId: role.roleId,
    sessionName: "awslambda",
    accessKeyId: "",
    session: { issued: new Date(0).toISOString() },
  };
  const own = await collectPrincipalPolicies(metadata, principal);
  const result = explain({
    action,
    resources: [resource],
    principal: { type: "assumed-role", arn: principal.arn, account: role.account, userId: principal.userId, roleArn: role.arn },
    resourceAccount: role.account,
    identityPolicies: own.identityPolicies.map((t) => storedPolicyDocument(t, "identity")),
    ...(own.permissionBoundary ? { permissionBoundary: storedPolicyDocument(own.permissionBoundary, "boundary") } : {}),
    context: {},
  });
  return result.decision === "Allowed";
}

/** The stream permissions Lambda needs, checked at CreateEventSourceMapping as AWS does. */
export async function checkStreamAccess(metadata: MetadataStore, roleArn: string, streamArn: string): Promise<void> {
  for (const action of ["dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream", "dynamodb:ListStreams"]) {
    if (!(await roleAllows(metadata, roleArn, action, action === "dynamodb:ListStreams" ? "*" : streamArn))) {
      throw invalid(`Cannot access stream ${streamArn}. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.`);
    }
  }
}

/** The on-failure destination must be an SQS queue or SNS topic the role may send to. */
export async function checkFailureDestination(metadata: MetadataStore, roleArn: string, destination: string): Promise<void> {
  const sqs = /^arn:aws[a-zA-Z-]*:sqs:/.test(destination);
  const sns = /^arn:aws[a-zA-Z-]*:sns:/.test(destination);
  if (!sqs && !sns) throw invalid(`The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination=${destination})) is invalid.`);
  const action = sqs ? "sqs:SendMessage" : "sns:Publish";
  if (!(await roleAllows(metadata, roleArn, action, destination))) {
    throw invalid(`The provided execution role does not have permissions to call ${sqs ? "SendMessage on SQS" : "Publish on SNS"}`);
  }
}

/** Checks the stream exists and returns the checkpoint StartingPosition selects. */
export async function startingCheckpoint(metadata: MetadataStore, streamArn: string, startingPosition: string, nowMs: number): Promise<string | undefined> {
  const { scope, table: tableName } = streamScope(streamArn);
  const table = await getTable(metadata, scope, tableName);
  if (table?.LatestStreamArn === streamArn && table.StreamSpecification?.StreamEnabled) await ensureStream(metadata, scope, table, nowMs);
  if (!(await streamsTable(metadata, scope).get(streamArn))) throw invalid(`Stream not found: ${streamArn}`);
  const reader = (await streamReader(metadata, scope, streamArn))!;
  return startingPosition === "LATEST" ? reader.latest() : reader.trimHorizon();
}

interface BatchRecord {
  seq: string;
  createdMs: number;
  event: Record<string, unknown>;
}

/** A stream record as the function's event carries it (attribute values in their JSON form). */
function eventRecord(r: StreamRecord, streamArn: string): Record<string, unknown> {
  const d = r.dynamodb;
  return {
    eventID: r.eventID,
    eventName: r.eventName,
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: r.awsRegion,
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(d.ApproximateCreationDateTime.getTime() / 1000),
      Keys: toStored(d.Keys),
      ...(d.NewImage ? { NewImage: toStored(d.NewImage) } : {}),
      ...(d.OldImage ? { OldImage: toStored(d.OldImage) } : {}),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType,
    },
    ...(r.userIdentity ? { userIdentity: { type: r.userIdentity.Type, principalId: r.userIdentity.PrincipalId } } : {}),
    eventSourceARN: streamArn,
  };
}

const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

export class StreamPoller {
  private running = false;
  private readonly busy = new Set<string>();
  /** Passes to sit out after a failed batch (retry pacing without reading the wall clock). */
  private readonly backoff = new Map<string, number>();
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

  idle(): boolean {
    return this.busy.size === 0;
  }

  async poll(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const metadata = this.runtime.storage.metadata;
      for (const scope of await metadata.scopes("lambda", "event-source-mappings")) {
        for (const { value: m } of await mappings(metadata, scope).list()) {
          if (m.State !== "Enabled" || this.busy.has(m.UUID) || !isDynamoStreamArn(m.EventSourceArn)) continue;
          const wait = this.backoff.get(m.UUID) ?? 0;
          if (wait > 0) {
            this.backoff.set(m.UUID, wait - 1);
            continue;
          }
          this.busy.add(m.UUID);
          void this.runMapping(scope, m.UUID)
            .catch((e: unknown) => this.runtime.logger.warn(`lambda event source mapping ${m.UUID}: ${String(e)}`))
            .finally(() => this.busy.delete(m.UUID));
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async runMapping(scope: Scope, uuid: string): Promise<void> {
    // Batch after batch while the shard has records and they succeed (bounded per pass).
    for (let i = 0; i < 50; i++) {
      const m = await mappings(this.runtime.storage.metadata, scope).get(uuid);
      if (!m || m.State !== "Enabled") return;
      if (!(await this.step(scope, m))) return;
    }
  }

  /** One batch: read, invoke, checkpoint. True when it made progress and another may follow. */
  private async step(scope: Scope, m: MappingRecord): Promise<boolean> {
    const metadata = this.runtime.storage.metadata;
    const states = streamStates(metadata, scope);
    const state: StreamMappingState = (await states.get(m.UUID)) ?? { streamArn: m.EventSourceArn, attempts: 0, lastResult: "No records processed" };
    // A mapping deleted while its batch ran leaves no state behind.
    const save = async (next: StreamMappingState) => {
      if (await mappings(metadata, scope).get(m.UUID)) await states.put(m.UUID, next);
    };
    const { scope: ddb } = streamScope(m.EventSourceArn);
    const reader = await streamReader(metadata, ddb, m.EventSourceArn);
    if (!reader) return false;
    const now = this.runtime.clock.nowMs();
    const limit = Math.min(m.BatchSize, state.split?.limit ?? Infinity);
    const filters = compileFilters(m.FilterCriteria);
    // Collect up to `limit` records that pass the filters; the rest are skipped with the batch.
    const batch: BatchRecord[] = [];
    let end = state.position;
    for (let round = 0; batch.length < limit && round < 20; round++) {
      const read = await reader.read(end, { limit: Math.min(1000, limit - batch.length), nowMs: now });
      for (const r of read.records) {
        const event = eventRecord(r, m.EventSourceArn);
        if (passesFilters(filters, event)) batch.push({ seq: r.dynamodb.SequenceNumber, createdMs: r.dynamodb.ApproximateCreationDateTime.getTime(), event });
      }
      if (read.next === end) break;
      end = read.next;
    }
    if (batch.length === 0) {
      if (end !== state.position) await save({ ...state, position: end, attempts: 0 });
      return false;
    }
    // Records past MaximumRecordAgeInSeconds are not sent; they go to the on-failure destination.
    if (m.MaximumRecordAgeInSeconds !== undefined && m.MaximumRecordAgeInSeconds >= 0) {
      const horizon = now - m.MaximumRecordAgeInSeconds * 1000;
      const expired = batch.filter((r) => r.createdMs < horizon);
      if (expired.length > 0) {
        await this.discard(scope, m, expired, "RecordAgeExceeded", state.attempts, undefined);
        const last = expired[expired.length - 1]!.seq;
        await save(this.advanced({ ...state, attempts: 0 }, last));
        return true;
      }
    }
    // The batching window: a partial batch waits (on the clock) for more records.
    const fresh = state.attempts === 0 && !state.split;
    if (fresh && batch.length < limit && m.MaximumBatchingWindowInSeconds > 0) {
      const started = state.windowStartMs ?? now;
      if (now - started < m.MaximumBatchingWindowInSeconds * 1000) {
        if (state.windowStartMs === undefined) await save({ ...state, windowStartMs: started });
        return false;
      }
    }
    const rec = await tables(metadata, scope).functions.get(m.FunctionName);
    if (!rec) {
      await save({ ...state, lastResult: "PROBLEM: Function not found." });
      return false;
    }
    let outcome: { kind: "ok" } | { kind: "error"; counts: boolean; functionError?: string } | { kind: "partial"; failedAt: number };
    try {
      const result = await this.executor.invoke({
        scope,
        config: rec.config,
        code: rec.code,
        version: "$LATEST",
        invokedArn: functionArn(scope, m.FunctionName),
        payload: Buffer.from(JSON.stringify({ Records: batch.map((r) => r.event) })),
        ...(rec.reservedConcurrency !== undefined ? { reservedConcurrency: rec.reservedConcurrency } : {}),
        endpoint: this.endpoint(),
      });
      outcome = result.functionError ? { kind: "error", counts: true, functionError: "Unhandled" } : { kind: "ok" };
      if (!result.functionError && m.FunctionResponseTypes.includes("ReportBatchItemFailures")) outcome = reportedOutcome(result.payload, batch);
    } catch {
      // Throttled or not started: retried until the records expire, without using retries.
      outcome = { kind: "error", counts: false };
    }
    const base: StreamMappingState = { ...state };
    delete base.windowStartMs;
    if (outcome.kind === "ok") {
      await save(this.advanced({ ...base, attempts: 0, lastResult: "OK" }, end!));
      return true;
    }
    if (outcome.kind === "partial") {
      // Checkpoint just before the first failed record; the rest is retried from there.
      const before = outcome.failedAt > 0 ? batch[outcome.failedAt - 1]!.seq : state.position;
      const moved = outcome.failedAt > 0;
      const next = moved ? this.advanced({ ...base, attempts: 0 }, before!) : base;
      return this.failed(scope, m, next, batch.slice(outcome.failedAt), end!, true, undefined, save);
    }
    return this.failed(scope, m, base, batch, end!, outcome.counts, outcome.functionError, save);
  }

  /** A failed batch: bisect it, count a retry, or discard it once retries are used up. */
  private async failed(
    scope: Scope,
    m: MappingRecord,
    state: StreamMappingState,
    batch: BatchRecord[],
    end: string,
    counts: boolean,
    functionError: string | undefined,
    save: (s: StreamMappingState) => Promise<void>,
  ): Promise<boolean> {
    const lastResult = "PROBLEM: Function call failed.";
    this.backoff.set(m.UUID, Math.min(2 ** state.attempts, 10));
    if (counts && m.BisectBatchOnFunctionError && batch.length > 1) {
      await save({ ...state, split: { limit: Math.ceil(batch.length / 2), through: state.split?.through ?? end }, lastResult });
      this.backoff.delete(m.UUID);
      return true;
    }
    const attempts = state.attempts + (counts ? 1 : 0);
    const max = m.MaximumRetryAttempts ?? -1;
    if (counts && max >= 0 && attempts > max) {
      await this.discard(scope, m, batch, "RetryAttemptsExhausted", attempts, functionError);
      await save(this.advanced({ ...state, attempts: 0, lastResult }, batch[batch.length - 1]!.seq));
      this.backoff.delete(m.UUID);
      return true;
    }
    await save({ ...state, attempts, lastResult });
    return false;
  }

  /** The state with its checkpoint moved to `seq`, ending a bisection it has passed. */
  private advanced(state: StreamMappingState, seq: string): StreamMappingState {
    const next: StreamMappingState = { ...state, position: seq };
    if (next.split && BigInt(seq) >= BigInt(next.split.through)) delete next.split;
    return next;
  }

  /** Sends AWS's invocation record for discarded records to the on-failure destination. */
  private async discard(scope: Scope, m: MappingRecord, batch: BatchRecord[], condition: string, invokeCount: number, functionError: string | undefined): Promise<void> {
    const destination = m.DestinationConfig?.OnFailure?.Destination;
    if (!destination) return;
    const metadata = this.runtime.storage.metadata;
    const rec = await tables(metadata, scope).functions.get(m.FunctionName);
    const role = rec?.config.Role;
    const action = /:sqs:/.test(destination) ? "sqs:SendMessage" : "sns:Publish";
    if (!role || !(await roleAllows(metadata, role, action, destination))) {
      this.runtime.logger.warn(`lambda event source mapping ${m.UUID}: the execution role may not ${action} to ${destination}`);
      return;
    }
    const first = batch[0]!;
    const last = batch[batch.length - 1]!;
    const body = {
      requestContext: { requestId: randomUUID(), functionArn: functionArn(scope, m.FunctionName), condition, approximateInvokeCount: invokeCount },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", ...(functionError ? { functionError } : {}) },
      version: "1.0",
      timestamp: new Date(this.runtime.clock.nowMs()).toISOString(),
      DDBStreamBatchInfo: {
        shardId: (await streamsTable(metadata, streamScope(m.EventSourceArn).scope).get(m.EventSourceArn))?.shardId,
        startSequenceNumber: first.seq,
        endSequenceNumber: last.seq,
        approximateArrivalOfFirstRecord: isoSeconds(first.createdMs),
        approximateArrivalOfLastRecord: isoSeconds(last.createdMs),
        batchSize: batch.length,
        streamArn: m.EventSourceArn,
      },
    };
    // Lambda sends with the execution role's permissions (checked above), as the account.
    await this.runtime.bus
      .deliver(destination, { body: JSON.stringify(body), sender: { account: scope.account, sourceArn: m.FunctionArn } })
      .catch((e: unknown) => this.runtime.logger.warn(`lambda event source mapping ${m.UUID}: on-failure delivery to ${destination}: ${String(e)}`));
  }
}

/** ReportBatchItemFailures: the function's answer as success, a whole failure, or a checkpoint. */
function reportedOutcome(payload: Buffer, batch: BatchRecord[]): { kind: "ok" } | { kind: "error"; counts: true; functionError: string } | { kind: "partial"; failedAt: number } {
  let body: { batchItemFailures?: { itemIdentifier?: unknown }[] | null } | null;
  try {
    body = JSON.parse(payload.toString("utf8") || "null") as typeof body;
  } catch {
    return { kind: "ok" };
  }
  const failures = body && typeof body === "object" ? body.batchItemFailures : undefined;
  if (!Array.isArray(failures) || failures.length === 0) return { kind: "ok" };
  const index = new Map(batch.map((r, i) => [r.seq, i]));
  let first = Infinity;
  for (const f of failures) {
    const id = f?.itemIdentifier;
    // A missing or unknown identifier fails the whole batch, as on AWS.
    if (typeof id !== "string" || !index.has(id)) return { kind: "error", counts: true, functionError: "Unhandled" };
    first = Math.min(first, index.get(id)!);
  }
  return { kind: "partial", failedAt: first };
}
