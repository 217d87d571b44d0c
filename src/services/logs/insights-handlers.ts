/**
 * Logs Insights operations: StartQuery compiles the query at once (MalformedQueryException for a
 * bad one) and runs it in the background (Scheduled → Running → Complete, or Failed / Cancelled);
 * GetQueryResults, StopQuery and DescribeQueries read the query's record. The language itself is
 * the pure module `insights/query.ts`.
 */
import { randomUUID } from "node:crypto";
import { ServiceError } from "../../core/errors.js";
import type { LogsOperations } from "../../generated/logs.js";
import type { MetadataStore, Scope } from "../../storage/types.js";
import { LogsErrors } from "./errors.js";
import { compileQuery, QueryError, runQuery, type CompiledQuery, type InsightsEvent } from "./insights/query.js";
import { tables, type QueryRecord } from "./store.js";
import { scanGroup } from "./blocks.js";

const pending = new Set<Promise<void>>();
const MAX_CONCURRENT = 30;

/** Resolves when every query started so far has finished (tests, shutdown). */
export async function insightsQueriesSettled(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending]);
}

const invalid = (message: string) => new ServiceError(LogsErrors.InvalidParameterException, message);

async function update(metadata: MetadataStore, scope: Scope, id: string, from: string[], patch: Partial<QueryRecord>): Promise<boolean> {
  return metadata.transaction(async (tx) => {
    const t = tables(tx, scope);
    const cur = await t.queries.get(id);
    if (!cur || !from.includes(cur.status)) return false;
    await t.queries.put(id, { ...cur, ...patch });
    return true;
  });
}

async function execute(metadata: MetadataStore, scope: Scope, rec: QueryRecord, q: CompiledQuery): Promise<void> {
  if (!(await update(metadata, scope, rec.queryId, ["Scheduled"], { status: "Running" }))) return;
  try {
    const events: InsightsEvent[] = [];
    for (const group of rec.logGroupNames) {
      // startTime and endTime are epoch seconds, both inclusive.
      await scanGroup(tables(metadata, scope).blocks, group, { startTime: rec.startTime * 1000, endTime: rec.endTime * 1000 + 1000 }, (d, k) => {
        const id = d.id(k);
        events.push({ timestamp: d.t(k), message: d.message(k), logStream: d.stream, log: `${scope.account}:${group}`, ingestionTime: d.ingestion(k), ptr: Buffer.from(`${group}\u0000${id}`).toString("base64url") });
        return true;
      });
    }
    const out = runQuery(q, events, rec.limit);
    await update(metadata, scope, rec.queryId, ["Running"], {
      status: "Complete",
      results: out.results,
      statistics: { recordsMatched: out.recordsMatched, recordsScanned: out.recordsScanned, bytesScanned: out.bytesScanned },
    });
  } catch {
    await update(metadata, scope, rec.queryId, ["Running"], { status: "Failed" });
  }
}

export const insightsHandlers: Pick<LogsOperations, "StartQuery" | "GetQueryResults" | "StopQuery" | "DescribeQueries"> = {
  async StartQuery(ctx, input) {
    const given = [input.logGroupName, input.logGroupNames, input.logGroupIdentifiers].filter((x) => x !== undefined).length;
    if (given === 0) throw invalid("Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified.");
    if (given > 1) throw invalid("LogGroupName, LogGroupNames and LogGroupIdentifiers are mutually exclusive parameters.");
    const ids = input.logGroupName !== undefined ? [input.logGroupName] : (input.logGroupNames ?? input.logGroupIdentifiers ?? []);
    if (ids.length < 1 || ids.length > 50) throw invalid("1 validation error detected: Value at 'logGroupNames' failed to satisfy constraint: Member must have length less than or equal to 50");
    const names = ids.map((id) => /^arn:aws[\w-]*:logs:[^:]*:\d{12}:log-group:([^:]+)(:\*)?$/.exec(id)?.[1] ?? id);
    if (input.limit !== undefined && (input.limit < 1 || input.limit > 10_000)) {
      throw invalid(`1 validation error detected: Value '${input.limit}' at 'limit' failed to satisfy constraint: Member must have value ${input.limit < 1 ? "greater than or equal to 1" : "less than or equal to 10000"}`);
    }
    if (input.endTime < input.startTime) throw invalid("End time should not be before the start time");
    if (input.queryString.length > 10_000) throw invalid("1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length less than or equal to 10000");
    let q: CompiledQuery;
    try {
      q = compileQuery(input.queryString);
    } catch (e) {
      if (e instanceof QueryError) throw new ServiceError(LogsErrors.MalformedQueryException, e.message);
      throw e;
    }
    const t = tables(ctx.storage.metadata, ctx.scope);
    for (const n of names) {
      if (!(await t.groups.get(n))) throw new ServiceError(LogsErrors.ResourceNotFoundException, `Log group '${n}' does not exist for account ID '${ctx.account}' (Service: AWSLogs; Status Code: 400; Error Code: ResourceNotFoundException)`);
    }
    const rec: QueryRecord = {
      queryId: randomUUID(),
      queryString: input.queryString,
      logGroupNames: names,
      startTime: input.startTime,
      endTime: input.endTime,
      ...(input.limit !== undefined ? { limit: input.limit } : {}),
      status: "Scheduled",
      createTime: ctx.clock.nowMs(),
    };
    await ctx.storage.metadata.transaction(async (tx) => {
      const tt = tables(tx, ctx.scope);
      let active = 0;
      for (const { value } of await tt.queries.list()) if (value.status === "Scheduled" || value.status === "Running") active++;
      if (active >= MAX_CONCURRENT) throw new ServiceError(LogsErrors.LimitExceededException, "Account maximum query concurrency limit of [30] reached.");
      await tt.queries.put(rec.queryId, rec);
    });
    const { storage, scope } = ctx;
    const run = new Promise<void>((resolve) => setImmediate(resolve)).then(() => execute(storage.metadata, scope, rec, q)).catch(() => undefined);
    pending.add(run);
    void run.finally(() => pending.delete(run));
    return { queryId: rec.queryId };
  },

  async GetQueryResults(ctx, input) {
    const rec = await tables(ctx.storage.metadata, ctx.scope).queries.get(input.queryId);
    if (!rec) throw new ServiceError(LogsErrors.ResourceNotFoundException, "Query does not exist.");
    return {
      status: rec.status,
      results: rec.results ?? [],
      statistics: rec.statistics ?? { recordsMatched: 0, recordsScanned: 0, bytesScanned: 0 },
    };
  },

  async StopQuery(ctx, input) {
    const t = tables(ctx.storage.metadata, ctx.scope);
    if (!(await t.queries.get(input.queryId))) throw new ServiceError(LogsErrors.ResourceNotFoundException, "Query does not exist.");
    return { success: await update(ctx.storage.metadata, ctx.scope, input.queryId, ["Scheduled", "Running"], { status: "Cancelled" }) };
  },

  async DescribeQueries(ctx, input) {
    const max = input.maxResults ?? 1000;
    if (max < 1 || max > 1000) throw invalid(`1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`);
    const statuses = ["Scheduled", "Running", "Complete", "Failed", "Cancelled", "Timeout", "Unknown"];
    if (input.status !== undefined && !statuses.includes(input.status)) {
      throw invalid(`1 validation error detected: Value '${input.status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [${statuses.join(", ")}]`);
    }
    let all = (await tables(ctx.storage.metadata, ctx.scope).queries.list()).map((r) => r.value);
    if (input.logGroupName !== undefined) all = all.filter((q) => q.logGroupNames.includes(input.logGroupName!));
    if (input.status !== undefined) all = all.filter((q) => q.status === input.status);
    all.sort((a, b) => b.createTime - a.createTime || a.queryId.localeCompare(b.queryId));
    const offset = input.nextToken ? Number(Buffer.from(input.nextToken, "base64url").toString("utf8")) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw invalid("The specified nextToken is invalid.");
    const page = all.slice(offset, offset + max);
    return {
      queries: page.map((q) => ({ queryId: q.queryId, queryString: q.queryString, status: q.status, createTime: q.createTime, logGroupName: q.logGroupNames[0]! })),
      ...(offset + max < all.length ? { nextToken: Buffer.from(String(offset + max), "utf8").toString("base64url") } : {}),
    };
  },
};
