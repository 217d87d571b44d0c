/** Amazon CloudWatch Logs: log groups now; streams, events and queries later. */
import { defineService, type RequestContext } from "../../core/service.js";
import type { LogsOperations } from "../../generated/logs.js";
import { handlers } from "./provider.js";

const groupArn = (ctx: RequestContext, name: string) => `arn:aws:logs:${ctx.region}:${ctx.account}:log-group:${name}`;

export const logs = defineService<LogsOperations>({
  name: "logs",
  handlers,
  authorization: {
    CreateLogGroup: (ctx, input) => ({ resources: [groupArn(ctx, String(input.logGroupName))] }),
    DeleteLogGroup: (ctx, input) => ({ resources: [groupArn(ctx, String(input.logGroupName))] }),
    DescribeLogGroups: (ctx) => ({ resources: [groupArn(ctx, "*")] }),
  },
});
