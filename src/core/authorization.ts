/**
 * The authorize step of the request path. Root acting in its own account is allowed; everyone
 * else is decided by the policy engine, fed with the operation's IAM facts (declared by each
 * service, so no handler checks permissions itself) and the global condition keys. A denial
 * becomes the service's own access-denied error, in AWS's message form.
 *
 * NIMBUS_IAM=soft allows what would be denied and logs it instead (for migrating test suites).
 */
import { ServiceError, type ErrorDef } from "./errors.js";
import type { AuthorizationFacts, ConditionValue, RequestContext } from "./service.js";
import type { LoadedService } from "./registry.js";
import type { Runtime } from "./runtime.js";
import type { ProtocolName } from "../protocol/model.js";

export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

/** Everything the policy engine needs about one request and one resource. */
export interface AuthorizationRequest {
  ctx: RequestContext;
  action: string;
  resource: string;
  resourceAccount: string;
  resourcePolicy?: string;
  /** How to read the resource policy (a role's trust policy is "trust"). */
  resourcePolicyKind?: "resource" | "trust";
  /** Access needs an Allow in the resource policy even within the account (trust policies). */
  requireResourcePolicy?: boolean;
  context: Record<string, ConditionValue>;
}

export interface DecisionWithReason {
  decision: Decision;
  /** AWS's wording of why, to follow the action and resource in an AccessDenied message. */
  explanation?: string;
}

/** Implemented by IAM (src/services/iam/authorizer.ts). */
export type PolicyDecider = (request: AuthorizationRequest) => Promise<DecisionWithReason>;

export type IamMode = "enforce" | "soft";

export function iamModeFromEnv(value: string | undefined): IamMode {
  if (value === undefined || value === "" || value === "enforce") return "enforce";
  if (value === "soft") return "soft";
  throw new Error(`NIMBUS_IAM must be "enforce" or "soft", not "${value}"`);
}

/** The global condition keys AWS sets on every request. */
export function globalContext(ctx: RequestContext): Record<string, ConditionValue> {
  const now = ctx.clock.now();
  const p = ctx.principal;
  const c: Record<string, ConditionValue> = {
    "aws:CurrentTime": now,
    "aws:EpochTime": Math.floor(now.getTime() / 1000),
    "aws:SourceIp": ctx.sourceIp,
    "aws:SecureTransport": ctx.secureTransport,
    "aws:RequestedRegion": ctx.region,
  };
  if (p.type === "anonymous") return c;
  c["aws:PrincipalArn"] = p.type === "assumed-role" ? p.roleArn : p.arn;
  c["aws:PrincipalAccount"] = p.account;
  c["aws:userid"] = p.type === "assumed-role" ? `${p.roleId}:${p.sessionName}` : p.userId;
  c["aws:PrincipalType"] = p.type === "root" ? "Account" : p.type === "user" ? "User" : "AssumedRole";
  if (p.type === "user") c["aws:username"] = p.userName;
  const session = p.session;
  if (session) {
    c["aws:MultiFactorAuthPresent"] = session.mfaAuthenticated === true;
    if (session.mfaAuthenticated && session.mfaAuthTime) {
      c["aws:MultiFactorAuthAge"] = Math.max(0, Math.floor((now.getTime() - Date.parse(session.mfaAuthTime)) / 1000));
    }
    for (const [k, v] of Object.entries(session.tags ?? {})) c[`aws:PrincipalTag/${k}`] = v;
    if (session.sourceIdentity) c["aws:SourceIdentity"] = session.sourceIdentity;
  }
  // Long-term keys carry no MFA: the key is absent (not false), as AWS documents.
  return c;
}

function accessDeniedError(protocol: ProtocolName, serviceName: string): ErrorDef {
  if (protocol === "ec2") return { code: "UnauthorizedOperation", status: 403 };
  if (serviceName === "lambda") return { code: "AccessDeniedException", status: 403 };
  if (protocol === "json" || protocol === "smithy-rpc-v2-cbor" || protocol === "rest-json") {
    return { code: "AccessDeniedException", status: 400, queryErrorCode: "AccessDenied" };
  }
  return { code: "AccessDenied", status: 403 };
}

function denialMessage(ctx: RequestContext, action: string, resource: string, explanation: string | undefined): string {
  const who = ctx.principal.type === "anonymous" ? "anonymous" : ctx.principal.arn;
  const on = resource === "*" ? "" : ` on resource: ${resource}`;
  const why = explanation ?? `because no identity-based policy allows the ${action} action`;
  return `User: ${who} is not authorized to perform: ${action}${on} ${why}`;
}

const NO_FACTS: AuthorizationFacts = Object.freeze({});

export class Authorization {
  constructor(private readonly runtime: Runtime) {}

  /**
   * Resolves when the request may proceed; throws (or rejects) with the service's access-denied
   * error. Returns undefined when that is clear at once (operations that need no permission, root
   * in its own account on an operation without IAM facts), sparing the common case a promise.
   */
  authorize(
    ctx: RequestContext,
    service: LoadedService,
    protocol: ProtocolName,
    operation: string,
    input: Record<string, unknown>,
  ): Promise<void> | undefined {
    const def = service.definition;
    const p = ctx.principal;
    if (p.type === "anonymous") {
      if (def.anonymousOperations?.includes(operation)) return undefined;
      // Only a resource policy that can name "*" can let an unsigned request in.
      if (!def.anonymousByResourcePolicy) {
        throw new ServiceError({ code: "MissingAuthenticationToken", status: 403 }, "Request is missing Authentication Token");
      }
    }
    if (def.noPermissionRequired?.includes(operation)) return undefined;
    const factsFn = def.authorization?.[operation];
    // Without facts the resource is "*" in the caller's account, which root in that account may
    // always act on (see decide).
    if (!factsFn && p.type === "root" && p.account === ctx.account) return undefined;
    const facts = factsFn ? factsFn(ctx, input) : NO_FACTS;
    if (typeof (facts as Partial<PromiseLike<AuthorizationFacts>>).then === "function") {
      return Promise.resolve(facts).then((f) => this.decide(ctx, service, protocol, operation, f));
    }
    return this.decide(ctx, service, protocol, operation, facts as AuthorizationFacts);
  }

  /** The decision once the facts are known; undefined when root in its own account passes. */
  private decide(
    ctx: RequestContext,
    service: LoadedService,
    protocol: ProtocolName,
    operation: string,
    facts: AuthorizationFacts,
  ): Promise<void> | undefined {
    const def = service.definition;
    const p = ctx.principal;
    const resourceAccount = facts.resourceAccount ?? ctx.account;
    const ownRoot = p.type === "root" && p.account === resourceAccount;
    // Root may do anything in its own account, except what a resource policy explicitly denies
    // (and some operations, like S3's bucket-policy ones, stay open to root even then).
    if (ownRoot && (!def.resourcePolicy || def.rootAlwaysAllowed?.includes(operation) || !this.runtime.decider)) return undefined;
    return this.evaluate(ctx, service, protocol, facts, resourceAccount, ownRoot, operation);
  }

  private async evaluate(
    ctx: RequestContext,
    service: LoadedService,
    protocol: ProtocolName,
    facts: AuthorizationFacts,
    resourceAccount: string,
    ownRoot: boolean,
    operation: string,
  ): Promise<void> {
    const def = service.definition;
    const p = ctx.principal;
    const decider = this.runtime.decider;
    const action = facts.action ?? `${def.iamPrefix ?? service.signingName}:${operation}`;
    const resources = facts.resources?.length ? facts.resources : ["*"];
    const context = { ...globalContext(ctx), ...facts.context };
    const checks = [{ action, resources }, ...(facts.alsoRequires ?? [])];
    for (const { action, resources } of checks) for (const resource of resources) {
      if (ownRoot && resource === "*") continue;
      const resourcePolicy = resource !== "*" && def.resourcePolicy ? await def.resourcePolicy(ctx, resource) : undefined;
      // Root in its own account is stopped only by an explicit Deny: a policy without one passes.
      if (ownRoot && (!resourcePolicy || !mayDeny(resourcePolicy))) continue;
      // No policy engine loaded: nothing but root may act (secure by default).
      const result: DecisionWithReason = decider
        ? await decider({
            ctx,
            action,
            resource,
            resourceAccount,
            ...(resourcePolicy ? { resourcePolicy } : {}),
            ...(facts.resourcePolicyKind ? { resourcePolicyKind: facts.resourcePolicyKind } : {}),
            ...(facts.requireResourcePolicy ? { requireResourcePolicy: true } : {}),
            context,
          })
        : { decision: "ImplicitlyDenied" };
      if (result.decision === "Allowed") continue;
      const message = denialMessage(ctx, action, resource, result.explanation);
      if (this.runtime.iamMode === "soft") {
        this.runtime.logger.warn(`IAM (soft): would deny ${ctx.requestId}: ${message}`);
        continue;
      }
      const err = accessDeniedError(protocol, service.name);
      // S3 tells anonymous callers no more than "Access Denied".
      throw new ServiceError(err, def.anonymousByResourcePolicy && p.type === "anonymous" ? "Access Denied" : message);
    }
  }
}

/**
 * Whether a policy document's text could hold a Deny statement: not without a "Deny" string
 * (or a \u escape that could spell one).
 */
function mayDeny(policy: string): boolean {
  return /"deny"|\\u/i.test(policy);
}
