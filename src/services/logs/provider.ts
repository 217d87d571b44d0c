/**
 * CloudWatch Logs handlers.
 *
 * ## Gaps
 * - Log groups only (create, describe, delete); streams, events, filters and subscriptions arrive
 *   with the CloudWatch issue (501 NotImplemented until then). KMS keys and tags are not kept yet.
 */
import type { LogsOperations } from "../../generated/logs.js";
import type { RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import { LogsErrors } from "./errors.js";

interface LogGroupRecord {
  logGroupName: string;
  creationTime: number;
  retentionInDays?: number;
  logGroupClass: string;
}

const NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const groups = (ctx: RequestContext) => ctx.storage.metadata.table<LogGroupRecord>(ctx.scope, "log-groups");

function describe(ctx: RequestContext, g: LogGroupRecord) {
  const arn = `arn:aws:logs:${ctx.region}:${ctx.account}:log-group:${g.logGroupName}`;
  return {
    logGroupName: g.logGroupName,
    creationTime: g.creationTime,
    ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
    metricFilterCount: 0,
    arn: `${arn}:*`,
    storedBytes: 0,
    logGroupClass: g.logGroupClass,
    logGroupArn: arn,
  };
}

export const handlers: Partial<LogsOperations> = {
  async CreateLogGroup(ctx, input) {
    if (!NAME.test(input.logGroupName)) {
      throw new ServiceError(
        LogsErrors.InvalidParameterException,
        `1 validation error detected: Value '${input.logGroupName}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`,
      );
    }
    const created = await groups(ctx).insert(input.logGroupName, {
      logGroupName: input.logGroupName,
      creationTime: ctx.clock.nowMs(),
      logGroupClass: input.logGroupClass ?? "STANDARD",
    });
    if (!created) throw new ServiceError(LogsErrors.ResourceAlreadyExistsException);
  },

  async DeleteLogGroup(ctx, input) {
    if (!(await groups(ctx).delete(input.logGroupName))) throw new ServiceError(LogsErrors.ResourceNotFoundException);
  },

  async DescribeLogGroups(ctx, input) {
    const limit = input.limit ?? 50;
    if (limit < 1 || limit > 50) {
      throw new ServiceError(
        LogsErrors.InvalidParameterException,
        `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50`,
      );
    }
    const after = input.nextToken ? Buffer.from(input.nextToken, "base64url").toString("utf8") : undefined;
    const rows = await groups(ctx).list({
      ...(input.logGroupNamePrefix ? { prefix: input.logGroupNamePrefix } : {}),
      ...(after ? { after } : {}),
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      logGroups: page.map((r) => describe(ctx, r.value)),
      ...(rows.length > limit ? { nextToken: Buffer.from(page[page.length - 1]!.key, "utf8").toString("base64url") } : {}),
    };
  },
};
