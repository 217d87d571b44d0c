/**
 * STS operation handlers.
 *
 * ## Gaps
 * - AssumeRoleWithWebIdentity, AssumeRoleWithSAML, AssumeRoot and GetFederationToken answer
 *   501 NotImplemented. Transitive session tags are kept but not carried through role chains.
 * - PackedPolicySize is an estimate (the share of the 2,048-character budget the session
 *   policies and tags use); AWS's packing is not published.
 * ## By design
 * - GetCallerIdentity and GetSessionToken need no permission, as in AWS.
 * - Encoded authorization messages are Nimbus's own (base64url JSON); DecodeAuthorizationMessage
 *   reads them back.
 */
import type { StsOperations } from "../../generated/sts.js";
import type { RequestContext, SessionInfo } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import { StsErrors } from "./errors.js";
import { issueCredentials, decodeAuthorizationMessage } from "./credentials.js";
import { getRoleByArn, recordRoleUse } from "../iam/principals.js";
import { verifyTotp } from "../iam/mfa.js";
import { awsManagedPolicy } from "../iam/managed-policies.js";
import { parsePolicyDocument, policySizeWithoutWhitespace } from "../iam/policy/index.js";

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const SESSION_POLICY_LIMIT = 2048;

function validationError(message: string): ServiceError {
  return new ServiceError(StsErrors.ValidationError, message);
}

function checkDuration(value: number | undefined, fallback: number, min: number, max: number, field = "durationSeconds"): number {
  const d = value ?? fallback;
  if (d < min) {
    throw validationError(`1 validation error detected: Value '${d}' at '${field}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`);
  }
  if (d > max) {
    throw validationError(`1 validation error detected: Value '${d}' at '${field}' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
  }
  return d;
}

/** The MFA check shared by GetSessionToken and AssumeRole. */
async function checkMfa(ctx: RequestContext, serial: string | undefined, code: string | undefined, userName?: string): Promise<boolean> {
  if (serial === undefined && code === undefined) return false;
  if (!serial || !code) {
    throw new ServiceError(StsErrors.AccessDenied, "MultiFactorAuthentication failed: SerialNumber and TokenCode must be given together.");
  }
  const ok = await verifyTotp(ctx.storage, ctx.account, serial, code, ctx.clock.now(), userName !== undefined ? { userName } : {});
  if (!ok) throw new ServiceError(StsErrors.AccessDenied, "MultiFactorAuthentication failed with invalid MFA one time pass code.");
  return true;
}

export const handlers: Partial<StsOperations> = {
  GetCallerIdentity(ctx) {
    const p = ctx.principal;
    if (p.type === "anonymous") throw new Error("unreachable: the gateway rejects anonymous GetCallerIdentity");
    return { UserId: p.type === "assumed-role" ? `${p.roleId}:${p.sessionName}` : p.userId, Account: p.account, Arn: p.arn };
  },

  async GetSessionToken(ctx, input) {
    const p = ctx.principal;
    if (p.type === "anonymous") throw new Error("unreachable");
    if (p.type === "assumed-role" || p.session) {
      throw new ServiceError(StsErrors.AccessDenied, "Cannot call GetSessionToken with session credentials");
    }
    const duration =
      p.type === "root" ? checkDuration(input.DurationSeconds, 3600, 900, 3600) : checkDuration(input.DurationSeconds, 43_200, 900, 129_600);
    const mfa = await checkMfa(ctx, input.SerialNumber, input.TokenCode, p.type === "user" ? p.userName : undefined);
    const now = ctx.clock.now().toISOString();
    const session: SessionInfo = { issued: now, ...(mfa ? { mfaAuthenticated: true, mfaAuthTime: now } : {}) };
    const credentials = await issueCredentials(ctx, { ...p, session }, duration);
    return { Credentials: credentials };
  },

  async AssumeRole(ctx, input) {
    const p = ctx.principal;
    if (p.type === "anonymous") throw new Error("unreachable");
    if (p.type === "root") throw new ServiceError(StsErrors.AccessDenied, "Roles may not be assumed by root accounts.");
    if (!SESSION_NAME.test(input.RoleSessionName)) {
      throw validationError(
        `1 validation error detected: Value '${input.RoleSessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      );
    }
    const role = await getRoleByArn(ctx.storage.metadata, input.RoleArn);
    if (!role) {
      throw new ServiceError(StsErrors.AccessDenied, `User: ${p.arn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`);
    }
    const chained = p.type === "assumed-role";
    const duration = checkDuration(input.DurationSeconds, 3600, 900, 43_200);
    if (chained && duration > 3600) {
      throw validationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
    }
    if (duration > role.maxSessionDuration) {
      throw validationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
    }

    // Session policies: an inline document and up to 10 managed policy ARNs.
    const sessionPolicies: string[] = [];
    let packed = 0;
    if (input.Policy !== undefined) {
      try {
        parsePolicyDocument(input.Policy, "session");
      } catch (e) {
        if (e instanceof ServiceError) throw new ServiceError(StsErrors.MalformedPolicyDocument, e.message);
        throw e;
      }
      packed += policySizeWithoutWhitespace(input.Policy);
      sessionPolicies.push(input.Policy);
    }
    if ((input.PolicyArns?.length ?? 0) > 10) {
      throw validationError("1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10");
    }
    for (const { arn } of input.PolicyArns ?? []) {
      const managed = arn ? awsManagedPolicy(arn) : undefined;
      if (!managed) throw new ServiceError(StsErrors.InvalidParameterValue, `The policy ${arn ?? ""} does not exist or is not attachable.`);
      sessionPolicies.push(managed.document);
    }
    const tags: Record<string, string> = {};
    for (const t of input.Tags ?? []) tags[t.Key] = t.Value;
    if ((input.Tags?.length ?? 0) > 50) throw validationError("The number of session tags must not exceed 50.");
    packed += JSON.stringify(tags).length;
    const packedPercent = Math.ceil((packed / SESSION_POLICY_LIMIT) * 100);
    if (packedPercent > 100) {
      throw new ServiceError(StsErrors.PackedPolicyTooLarge, `Packed size of consumed sessions policies and session tags exceeds limit (${packedPercent}%).`);
    }
    const mfa = await checkMfa(ctx, input.SerialNumber, input.TokenCode);
    const inherited = chained ? p.session : undefined;
    const now = ctx.clock.now().toISOString();
    const session: SessionInfo = {
      issued: now,
      ...(sessionPolicies.length ? { sessionPolicies } : {}),
      ...(Object.keys(tags).length ? { tags } : {}),
      ...(input.SourceIdentity ?? inherited?.sourceIdentity ? { sourceIdentity: input.SourceIdentity ?? inherited!.sourceIdentity! } : {}),
      ...(mfa || p.session?.mfaAuthenticated ? { mfaAuthenticated: true, mfaAuthTime: mfa ? now : p.session!.mfaAuthTime ?? now } : {}),
    };
    const sessionArn = `arn:aws:sts::${role.account}:assumed-role/${role.roleName}/${input.RoleSessionName}`;
    const credentials = await issueCredentials(
      ctx,
      {
        type: "assumed-role",
        account: role.account,
        arn: sessionArn,
        userId: `${role.roleId}:${input.RoleSessionName}`,
        roleArn: role.arn,
        roleId: role.roleId,
        sessionName: input.RoleSessionName,
        accessKeyId: "",
        session,
      },
      duration,
    );
    await recordRoleUse(ctx.storage, role.arn, ctx.region, ctx.clock.now());
    return {
      Credentials: credentials,
      AssumedRoleUser: { AssumedRoleId: `${role.roleId}:${input.RoleSessionName}`, Arn: sessionArn },
      PackedPolicySize: packedPercent,
      ...(session.sourceIdentity ? { SourceIdentity: session.sourceIdentity } : {}),
    };
  },

  async GetAccessKeyInfo(ctx, input) {
    const found = /^(AKIA|ASIA)[A-Z2-7]{16}$/.test(input.AccessKeyId) || input.AccessKeyId === "test" ? await ctx.identity.find(input.AccessKeyId) : undefined;
    if (!found) {
      throw validationError(`1 validation error detected: Value '${input.AccessKeyId}' at 'accessKeyId' failed to satisfy constraint: the access key ID is not valid`);
    }
    return { Account: found.principal.account };
  },

  DecodeAuthorizationMessage(_ctx, input) {
    const decoded = decodeAuthorizationMessage(input.EncodedMessage);
    if (decoded === undefined) throw new ServiceError(StsErrors.InvalidAuthorizationMessage, "Invalid authorization message");
    return { DecodedMessage: decoded };
  },
};
