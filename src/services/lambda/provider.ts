/**
 * Lambda handlers.
 *
 * ## Gaps
 * - Only GetAccountSettings and ListFunctions so far: functions cannot be created until the Lambda
 *   issue lands (CreateFunction answers 501 NotImplemented), so the list is honestly empty.
 */
import type { LambdaOperations } from "../../generated/lambda.js";
import type { RequestContext } from "../../core/service.js";

/** The function table the Lambda issue fills; read here so these answers stay true then. */
const functions = (ctx: RequestContext) => ctx.storage.metadata.table<{ FunctionName: string }>(ctx.scope, "functions");

/** AWS's default account quotas. */
const LIMITS = {
  TotalCodeSize: 80_530_636_800,
  CodeSizeUnzipped: 262_144_000,
  CodeSizeZipped: 52_428_800,
  ConcurrentExecutions: 1000,
  UnreservedConcurrentExecutions: 1000,
};

export const handlers: Partial<LambdaOperations> = {
  async GetAccountSettings(ctx) {
    const count = await functions(ctx).count();
    return { AccountLimit: LIMITS, AccountUsage: { TotalCodeSize: 0, FunctionCount: count } };
  },

  async ListFunctions(ctx, input) {
    const max = input.MaxItems ?? 50;
    const rows = await functions(ctx).list({ ...(input.Marker ? { after: input.Marker } : {}), limit: max + 1 });
    const page = rows.slice(0, max);
    return {
      Functions: page.map((r) => r.value),
      ...(rows.length > max ? { NextMarker: page[page.length - 1]!.key } : {}),
    };
  },
};
