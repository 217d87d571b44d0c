/**
 * Export tasks: a group's events in [from, to] (optionally only streams with a prefix) written to
 * an S3 bucket through the delivery bus's `s3` target as `logs.amazonaws.com` — so the bucket
 * policy must allow it, as in AWS — in AWS's layout `<prefix>/<taskId>/<stream>/000000.gz`, each
 * file gzipped lines `<ISO timestamp> <message>`. CreateExportTask first writes
 * `<prefix>/aws-logs-write-test` (AWS's permission check) and fails at once when the bucket refuses.
 * The task then runs in the background: PENDING → RUNNING → COMPLETED (or FAILED, or CANCELLED
 * by CancelExportTask). One active (PENDING or RUNNING) task per account and region.
 */
import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { DeliveryBus } from "../../core/bus.js";
import { ServiceError } from "../../core/errors.js";
import type { Clock } from "../../core/clock.js";
import type { RequestContext } from "../../core/service.js";
import type { LogsOperations } from "../../generated/logs.js";
import type { MetadataStore, Scope } from "../../storage/types.js";
import { LogsErrors } from "./errors.js";
import { tables, type ExportTaskRecord } from "./store.js";
import { scanGroup } from "./blocks.js";
import { deliverAsLogs } from "./subscriptions.js";

const STATUS_CODES = ["CANCELLED", "COMPLETED", "FAILED", "PENDING", "PENDING_CANCEL", "RUNNING"];
const ACTIVE = new Set(["PENDING", "RUNNING"]);

const pending = new Set<Promise<void>>();

/** Resolves when every export task started so far has finished (tests, shutdown). */
export async function exportTasksSettled(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending]);
}

const invalid = (message: string) => new ServiceError(LogsErrors.InvalidParameterException, message);

function s3Write(bus: DeliveryBus, scope: Scope, group: string, bucket: string, key: string, body: Buffer, gzip: boolean) {
  return deliverAsLogs(bus, `arn:aws:s3:::${bucket}/${key}`, {
    body: body.toString("base64"),
    attributes: {
      "Body-Encoding": { DataType: "String", StringValue: "base64" },
      "Content-Type": { DataType: "String", StringValue: gzip ? "application/octet-stream" : "text/plain" },
      ...(gzip ? { "Content-Encoding": { DataType: "String", StringValue: "gzip" } } : {}),
    },
  }, scope, group);
}

async function setStatus(metadata: MetadataStore, scope: Scope, taskId: string, from: string[], status: ExportTaskRecord["status"], completionTime?: number): Promise<boolean> {
  return metadata.transaction(async (tx) => {
    const t = tables(tx, scope);
    const cur = await t.exportTasks.get(taskId);
    if (!cur || !from.includes(cur.status.code)) return false;
    await t.exportTasks.put(taskId, { ...cur, status, ...(completionTime !== undefined ? { completionTime } : {}) });
    return true;
  });
}

async function runExport(metadata: MetadataStore, bus: DeliveryBus, clock: Clock, scope: Scope, task: ExportTaskRecord): Promise<void> {
  if (!(await setStatus(metadata, scope, task.taskId, ["PENDING"], { code: "RUNNING", message: "Started successfully" }))) return;
  try {
    const byStream = new Map<string, string[]>();
    const prefix = task.logStreamNamePrefix;
    await scanGroup(
      tables(metadata, scope).blocks,
      task.logGroupName,
      { startTime: task.from, endTime: task.to + 1, ...(prefix !== undefined ? { stream: (s: string) => s.startsWith(prefix) } : {}) },
      (d, k) => {
        let lines = byStream.get(d.stream);
        if (!lines) byStream.set(d.stream, (lines = []));
        lines.push(`${new Date(d.t(k)).toISOString()} ${d.message(k)}\n`);
        return true;
      },
    );
    for (const [stream, lines] of byStream) {
      const cur = await tables(metadata, scope).exportTasks.get(task.taskId);
      if (cur?.status.code !== "RUNNING") return; // cancelled
      await s3Write(bus, scope, task.logGroupName, task.destination, `${task.destinationPrefix}/${task.taskId}/${stream}/000000.gz`, gzipSync(Buffer.from(lines.join(""), "utf8")), true);
    }
    await setStatus(metadata, scope, task.taskId, ["RUNNING"], { code: "COMPLETED", message: "Completed successfully" }, clock.nowMs());
  } catch (e) {
    await setStatus(metadata, scope, task.taskId, ["RUNNING"], { code: "FAILED", message: e instanceof Error ? e.message : String(e) }, clock.nowMs());
  }
}

function describe(task: ExportTaskRecord) {
  return {
    taskId: task.taskId,
    ...(task.taskName ? { taskName: task.taskName } : {}),
    logGroupName: task.logGroupName,
    from: task.from,
    to: task.to,
    destination: task.destination,
    destinationPrefix: task.destinationPrefix,
    status: { ...task.status },
    executionInfo: { creationTime: task.creationTime, ...(task.completionTime !== undefined ? { completionTime: task.completionTime } : {}) },
  };
}

export const exportHandlers: Pick<LogsOperations, "CreateExportTask" | "DescribeExportTasks" | "CancelExportTask"> = {
  async CreateExportTask(ctx: RequestContext, input) {
    if (input.taskName !== undefined && (input.taskName.length < 1 || input.taskName.length > 512)) {
      throw invalid("1 validation error detected: Value at 'taskName' failed to satisfy constraint: Member must have length less than or equal to 512");
    }
    if (input.from < 0 || input.to < 0) throw invalid("1 validation error detected: Value at 'from' failed to satisfy constraint: Member must have value greater than or equal to 0");
    if (input.to < input.from) throw invalid("The 'to' time must be later than the 'from' time.");
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(input.destination)) throw invalid(`The specified bucket does not exist: ${input.destination}`);
    const prefix = (input.destinationPrefix ?? "exportedlogs").replace(/\/+$/, "");
    const t = tables(ctx.storage.metadata, ctx.scope);
    if (!(await t.groups.get(input.logGroupName))) throw new ServiceError(LogsErrors.ResourceNotFoundException, "The specified log group does not exist.");
    // AWS checks it may write to the bucket before accepting the task.
    try {
      await s3Write(ctx.bus, ctx.scope, input.logGroupName, input.destination, `${prefix}/aws-logs-write-test`, Buffer.from("Permission Check Successful", "utf8"), false);
    } catch {
      throw invalid("GetBucketAcl call on the given bucket failed. Please check if CloudWatch Logs has been granted permission to perform this operation.");
    }
    const task: ExportTaskRecord = {
      taskId: randomUUID(),
      ...(input.taskName ? { taskName: input.taskName } : {}),
      logGroupName: input.logGroupName,
      ...(input.logStreamNamePrefix !== undefined ? { logStreamNamePrefix: input.logStreamNamePrefix } : {}),
      from: input.from,
      to: input.to,
      destination: input.destination,
      destinationPrefix: prefix,
      status: { code: "PENDING", message: "Pending" },
      creationTime: ctx.clock.nowMs(),
    };
    await ctx.storage.metadata.transaction(async (tx) => {
      const tt = tables(tx, ctx.scope);
      for (const { value } of await tt.exportTasks.list()) {
        if (ACTIVE.has(value.status.code)) throw new ServiceError(LogsErrors.LimitExceededException, "Resource limit exceeded.");
      }
      await tt.exportTasks.put(task.taskId, task);
    });
    const { storage, bus, clock, scope } = ctx;
    const run = new Promise<void>((resolve) => setImmediate(resolve)).then(() => runExport(storage.metadata, bus, clock, scope, task)).catch(() => undefined);
    pending.add(run);
    void run.finally(() => pending.delete(run));
    return { taskId: task.taskId };
  },

  async DescribeExportTasks(ctx, input) {
    const limit = input.limit ?? 50;
    if (limit < 1 || limit > 50) {
      throw invalid(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value ${limit < 1 ? "greater than or equal to 1" : "less than or equal to 50"}`);
    }
    if (input.statusCode !== undefined && !STATUS_CODES.includes(input.statusCode)) {
      throw invalid(`1 validation error detected: Value '${input.statusCode}' at 'statusCode' failed to satisfy constraint: Member must satisfy enum value set: [${STATUS_CODES.join(", ")}]`);
    }
    const t = tables(ctx.storage.metadata, ctx.scope);
    let all = input.taskId !== undefined ? [await t.exportTasks.get(input.taskId)].filter((x): x is ExportTaskRecord => x !== undefined) : (await t.exportTasks.list()).map((r) => r.value);
    if (input.statusCode) all = all.filter((x) => x.status.code === input.statusCode);
    all.sort((a, b) => b.creationTime - a.creationTime || a.taskId.localeCompare(b.taskId));
    const offset = input.nextToken ? Number(Buffer.from(input.nextToken, "base64url").toString("utf8")) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw invalid("The specified nextToken is invalid.");
    const page = all.slice(offset, offset + limit);
    return {
      exportTasks: page.map(describe),
      ...(offset + limit < all.length ? { nextToken: Buffer.from(String(offset + limit), "utf8").toString("base64url") } : {}),
    };
  },

  async CancelExportTask(ctx, input) {
    await ctx.storage.metadata.transaction(async (tx) => {
      const t = tables(tx, ctx.scope);
      const cur = await t.exportTasks.get(input.taskId);
      if (!cur) throw new ServiceError(LogsErrors.ResourceNotFoundException, "The specified export task does not exist.");
      if (!ACTIVE.has(cur.status.code)) throw new ServiceError(LogsErrors.InvalidOperationException, `The specified export task has already finished. Task status: ${cur.status.code}`);
      await t.exportTasks.put(cur.taskId, { ...cur, status: { code: "CANCELLED", message: "Cancelled by user" }, completionTime: ctx.clock.nowMs() });
    });
  },
};
