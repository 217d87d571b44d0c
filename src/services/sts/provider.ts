/**
 * STS operation handlers.
 *
 * ## Gaps
 * - Only GetCallerIdentity is implemented; AssumeRole and the other credential operations arrive
 *   with IAM (they answer 501 NotImplemented until then).
 * ## By design
 * - GetCallerIdentity needs no permission, as in AWS: even a principal denied everything may call it.
 */
import type { StsOperations } from "../../generated/sts.js";

export const handlers: Partial<StsOperations> = {
  GetCallerIdentity(ctx) {
    const p = ctx.principal;
    if (p.type === "anonymous") throw new Error("unreachable: the gateway rejects anonymous GetCallerIdentity");
    return { UserId: p.userId, Account: p.account, Arn: p.arn };
  },
};
