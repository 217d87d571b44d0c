/**
 * The IAM decision: `evaluate(input)` answers Allowed / ImplicitlyDenied / ExplicitlyDenied for
 * one request the way AWS documents policy evaluation (explicit deny first; same-account: the
 * identity side or the resource policy; cross-account: both; boundaries and session policies
 * intersect with identity policies; the principal a resource policy names decides whether those
 * limits apply to what it grants). Pure: no I/O, no clock. Each document is compiled once
 * (matchers, RegExps, typed condition values) and cached in a WeakMap.
 */
import type { PolicyDocument, PrincipalBlock, Statement } from "./document.js";
import {
  compileCondition,
  evaluateCondition,
  parseConditionOperator,
  type CompiledCondition,
  type ConditionContext,
  type ContextValue,
} from "./conditions.js";
import { PatternMatcher, parseTemplate, tokensToRegExp, type VariableLookup } from "./patterns.js";

export type { ContextValue } from "./conditions.js";

export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

export type PrincipalType = "root" | "user" | "assumed-role" | "federated" | "service" | "anonymous";

export interface EvaluationPrincipal {
  /**
   * `federated` is a GetFederationToken session (`arn:aws:sts::A:federated-user/name`) or, when
   * a trust policy is evaluated for AssumeRoleWithWebIdentity/SAML, the identity provider
   * (`arn` = `accounts.google.com`, `arn:aws:iam::A:saml-provider/X`...). `service`: `arn` is
   * the service principal name (`lambda.amazonaws.com`).
   */
  type: PrincipalType;
  arn?: string;
  account?: string;
  userId?: string;
  /** assumed-role: the role's ARN, path included; derived from the session ARN when absent. */
  roleArn?: string;
}

export interface EvaluationInput {
  /** "s3:GetObject" (matched case-insensitively, like AWS). */
  action: string;
  /** ARNs the action touches ("*" when it has none). Every one must be allowed. */
  resources: string[];
  principal: EvaluationPrincipal;
  /** Account that owns the resource (for cross-account rules); undefined = same as principal's. */
  resourceAccount?: string;
  /** User + its groups' policies, or the role's. */
  identityPolicies: PolicyDocument[];
  /** AssumeRole* / GetFederationToken session policies: they intersect with identity policies. */
  sessionPolicies?: PolicyDocument[];
  /** Intersects with identity policies. */
  permissionBoundary?: PolicyDocument;
  /** Bucket policy, queue policy, trust policy... */
  resourcePolicy?: PolicyDocument;
  /**
   * Role trust policies and KMS key policies: access needs an Allow in the resource policy even
   * within the account (an Allow naming the account still needs the identity side too).
   */
  requireResourcePolicy?: boolean;
  /** Condition keys, case-insensitive: "aws:SourceIp", "aws:CurrentTime", "s3:prefix"... */
  context: Record<string, ContextValue>;
}

export type DecisionReason =
  /** The account's root user acting in its own account. */
  | "root"
  | "identity-allow"
  | "resource-allow"
  /** Cross-account: identity side and resource policy both allow. */
  | "cross-account-allow"
  | "explicit-deny-identity"
  | "explicit-deny-resource"
  | "explicit-deny-boundary"
  | "explicit-deny-session"
  | "no-identity-allow"
  | "no-boundary-allow"
  | "no-session-allow"
  | "no-resource-allow";

export interface EvaluationResult {
  decision: Decision;
  reason: DecisionReason;
  /** The resource the decision was made on (the first one denied, when one is). */
  resource: string;
}

/** The decision alone. */
export function evaluate(input: EvaluationInput): Decision {
  return explain(input).decision;
}

/** The decision and why, for AccessDenied messages and audit records. */
export function explain(input: EvaluationInput): EvaluationResult {
  const ctx = new RequestContextValues(input.context, input.principal);
  const caller = makeCaller(input.principal);
  const action = input.action.toLowerCase();
  const resources = input.resources.length > 0 ? input.resources : ["*"];
  let implicit: EvaluationResult | undefined;
  let allowed: EvaluationResult | undefined;
  for (const resource of resources) {
    const r = evaluateResource(input, caller, action, resource, ctx);
    if (r.decision === "ExplicitlyDenied") return r;
    if (r.decision === "ImplicitlyDenied") implicit ??= r;
    else allowed ??= r;
  }
  return (implicit ?? allowed)!;
}

/**
 * AWS's wording for why a request was denied, to follow "User: X is not authorized to perform:
 * Y on resource: Z " in an AccessDenied message.
 */
export function denialExplanation(result: EvaluationResult, action: string): string {
  switch (result.reason) {
    case "explicit-deny-identity":
      return "with an explicit deny in an identity-based policy";
    case "explicit-deny-resource":
      return "with an explicit deny in a resource-based policy";
    case "explicit-deny-boundary":
      return "with an explicit deny in a permissions boundary";
    case "explicit-deny-session":
      return "with an explicit deny in a session policy";
    case "no-boundary-allow":
      return `because no permissions boundary allows the ${action} action`;
    case "no-session-allow":
      return `because no session policy allows the ${action} action`;
    case "no-resource-allow":
      return `because no resource-based policy allows the ${action} action`;
    default:
      return `because no identity-based policy allows the ${action} action`;
  }
}

// ---------------------------------------------------------------------------------------------
// Request side

/** Condition values by lower-cased key, plus the principal-derived keys the caller left out. */
class RequestContextValues implements ConditionContext {
  private readonly values = new Map<string, ContextValue>();

  constructor(context: Record<string, ContextValue>, principal: EvaluationPrincipal) {
    for (const k in context) this.values.set(k.toLowerCase(), context[k]);
    const setDefault = (key: string, v: string | undefined) => {
      if (v !== undefined && this.values.get(key) === undefined) this.values.set(key, v);
    };
    const account = principal.account ?? accountOf(principal.arn);
    switch (principal.type) {
      case "root":
        setDefault("aws:principaltype", "Account");
        setDefault("aws:principalaccount", account);
        setDefault("aws:principalarn", principal.arn ?? (account ? `arn:aws:iam::${account}:root` : undefined));
        setDefault("aws:userid", principal.userId ?? account);
        break;
      case "user":
        setDefault("aws:principaltype", "User");
        setDefault("aws:principalaccount", account);
        setDefault("aws:principalarn", principal.arn);
        setDefault("aws:userid", principal.userId);
        setDefault("aws:username", principal.arn?.slice(principal.arn.lastIndexOf("/") + 1));
        break;
      case "assumed-role":
        setDefault("aws:principaltype", "AssumedRole");
        setDefault("aws:principalaccount", account);
        // For a role session aws:PrincipalArn is the role's ARN, not the session's.
        setDefault("aws:principalarn", principal.roleArn ?? roleArnFromSession(principal.arn));
        setDefault("aws:userid", principal.userId);
        break;
      case "federated":
        if (principal.arn?.includes(":federated-user/")) {
          setDefault("aws:principaltype", "FederatedUser");
          setDefault("aws:principalaccount", account);
          setDefault("aws:principalarn", principal.arn);
          setDefault("aws:userid", principal.userId);
        }
        break;
      default:
        break;
    }
  }

  get(key: string): ContextValue {
    return this.values.get(key);
  }

  /** A key's value as policy-variable text; multivalued keys only when they hold one value. */
  readonly variable: VariableLookup = (key) => {
    const v = this.values.get(key);
    if (v === undefined) return undefined;
    if (typeof v === "string") return v;
    if (Array.isArray(v)) return v.length === 1 ? v[0] : undefined;
    if (v instanceof Date) return v.toISOString().replace(/\.\d{3}Z$/, "Z");
    return String(v);
  };
}

function accountOf(arn: string | undefined): string | undefined {
  if (!arn?.startsWith("arn:")) return undefined;
  return arn.split(":")[4] || undefined;
}

function roleArnFromSession(arn: string | undefined): string | undefined {
  const m = arn && /^arn:([^:]+):sts::(\d+):assumed-role\/([^/]+)\//.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}

/** The caller as principal matching sees it. */
interface Caller {
  type: PrincipalType;
  account: string | undefined;
  /** User, session or federated-user ARN; service name; identity provider. */
  arn: string | undefined;
  /** assumed-role only. */
  roleArn: string | undefined;
  roleArnGiven: boolean;
  roleName: string | undefined;
}

function makeCaller(p: EvaluationPrincipal): Caller {
  let roleName: string | undefined;
  if (p.type === "assumed-role") {
    const m = p.arn && /:assumed-role\/([^/]+)\//.exec(p.arn);
    roleName = m ? m[1] : p.roleArn?.slice(p.roleArn.lastIndexOf("/") + 1);
  }
  const arn = p.type === "service" ? p.arn?.toLowerCase() : p.arn;
  return {
    type: p.type,
    account: p.type === "anonymous" || p.type === "service" ? undefined : (p.account ?? accountOf(p.arn)),
    arn,
    roleArn: p.roleArn ?? (p.type === "assumed-role" ? roleArnFromSession(p.arn) : undefined),
    roleArnGiven: p.roleArn !== undefined,
    roleName,
  };
}

// ---------------------------------------------------------------------------------------------
// Compiled documents

/** How directly a resource policy's Allow names the caller (higher wins). */
const enum Grant {
  None = 0,
  /** The account (id or :root ARN): delegation; the account's own policies must still allow. */
  Account = 1,
  /** The role the session belongs to: still limited by boundaries and session policies. */
  Role = 2,
  /** The user, the session, the federated user, a service, or "*": not limited by them. */
  Direct = 3,
}

type AwsPrincipal =
  | { t: "account"; account: string }
  | { t: "role"; account: string; name: string; arn: string }
  | { t: "arn"; arn: string };

interface CompiledPrincipal {
  any: boolean;
  aws: AwsPrincipal[];
  services: Set<string>;
  federated: Set<string>;
}

interface ActionMatcher {
  all: boolean;
  exact: Set<string>;
  regex: RegExp | undefined;
}

interface ResourceMatcher {
  all: boolean;
  patterns: PatternMatcher[];
}

interface CompiledStatement {
  deny: boolean;
  /** Never applies (a condition operator it cannot understand: fail closed). */
  broken: boolean;
  actions: ActionMatcher;
  notAction: boolean;
  /** Undefined: no Resource element (resource policies): the attached resource. */
  resources: ResourceMatcher | undefined;
  notResource: boolean;
  principal: CompiledPrincipal | undefined;
  notPrincipal: boolean;
  conditions: CompiledCondition[];
}

interface CompiledPolicy {
  statements: CompiledStatement[];
}

const compiled = new WeakMap<PolicyDocument, CompiledPolicy>();

function compile(doc: PolicyDocument): CompiledPolicy {
  let c = compiled.get(doc);
  if (!c) {
    const variables = doc.Version === "2012-10-17";
    c = { statements: toList(doc.Statement as Statement | Statement[]).map((s) => compileStatement(s, variables)) };
    compiled.set(doc, c);
  }
  return c;
}

function toList<T>(v: T | readonly T[] | undefined): readonly T[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? (v as readonly T[]) : [v as T];
}

function compileStatement(s: Statement, variables: boolean): CompiledStatement {
  const conditions: CompiledCondition[] = [];
  let broken = false;
  for (const [opName, block] of Object.entries(s.Condition ?? {})) {
    const entries = Object.entries(block);
    if (entries.length === 0) continue;
    const op = parseConditionOperator(opName);
    if (!op) {
      broken = true;
      continue;
    }
    for (const [key, values] of entries) conditions.push(compileCondition(op, key, toList(values), variables));
  }
  const principal = s.Principal ?? s.NotPrincipal;
  const resources = s.Resource ?? s.NotResource;
  return {
    deny: s.Effect === "Deny",
    broken,
    actions: compileActions(toList(s.Action ?? s.NotAction)),
    notAction: s.Action === undefined && s.NotAction !== undefined,
    resources: resources === undefined ? undefined : compileResources(toList(resources), variables),
    notResource: s.Resource === undefined && s.NotResource !== undefined,
    principal: principal === undefined ? undefined : compilePrincipal(principal),
    notPrincipal: s.Principal === undefined && s.NotPrincipal !== undefined,
    conditions,
  };
}

function compileActions(actions: readonly string[]): ActionMatcher {
  const exact = new Set<string>();
  const sources: string[] = [];
  let all = false;
  for (const a of actions) {
    const lower = a.toLowerCase();
    if (lower === "*") all = true;
    else if (!/[*?]/.test(lower)) exact.add(lower);
    else sources.push(tokensToRegExp(parseTemplate(lower, true, false).tokens, "plain").source);
  }
  return { all, exact, regex: sources.length ? new RegExp(sources.join("|"), "s") : undefined };
}

function compileResources(resources: readonly string[], variables: boolean): ResourceMatcher {
  const patterns = resources.map((r) => new PatternMatcher(parseTemplate(r, true, variables), "arn"));
  return { all: patterns.some((p) => p.matchesEverything), patterns };
}

const ACCOUNT_ID = /^\d{12}$/;
const ROOT_ARN = /^arn:[^:]+:iam::(\d{12}):root$/;
const ROLE_ARN = /^arn:[^:]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;

function compilePrincipal(block: PrincipalBlock): CompiledPrincipal {
  const out: CompiledPrincipal = { any: false, aws: [], services: new Set(), federated: new Set() };
  if (block === "*") {
    out.any = true;
    return out;
  }
  for (const v of toList(block.AWS)) {
    let m: RegExpExecArray | null;
    if (v === "*") out.any = true;
    else if (ACCOUNT_ID.test(v)) out.aws.push({ t: "account", account: v });
    else if ((m = ROOT_ARN.exec(v))) out.aws.push({ t: "account", account: m[1]! });
    else if ((m = ROLE_ARN.exec(v))) out.aws.push({ t: "role", account: m[1]!, name: m[2]!, arn: v });
    else out.aws.push({ t: "arn", arn: v });
  }
  for (const v of toList(block.Service)) {
    if (v === "*") out.any = true;
    else out.services.add(v.toLowerCase());
  }
  for (const v of toList(block.Federated)) out.federated.add(v);
  // CanonicalUser names S3 accounts by canonical id, which principals here do not carry.
  return out;
}

function roleMatches(p: { account: string; name: string; arn: string }, caller: Caller): boolean {
  if (caller.type !== "assumed-role") return false;
  // With the role's real ARN the path counts; a session ARN alone does not carry the path.
  if (caller.roleArnGiven) return caller.roleArn === p.arn;
  return caller.account === p.account && caller.roleName === p.name;
}

/** How directly a Principal element names the caller. */
function grantOf(p: CompiledPrincipal, caller: Caller): Grant {
  if (p.any) return Grant.Direct;
  let best = Grant.None;
  switch (caller.type) {
    case "anonymous":
      return Grant.None;
    case "service":
      return caller.arn !== undefined && p.services.has(caller.arn) ? Grant.Direct : Grant.None;
    case "federated":
      if (caller.arn !== undefined && p.federated.has(caller.arn)) return Grant.Direct;
      break;
    default:
      break;
  }
  for (const e of p.aws) {
    if (e.t === "arn") {
      if (e.arn === caller.arn) return Grant.Direct;
    } else if (e.t === "role") {
      if (roleMatches(e, caller)) best = Grant.Role;
    } else if (e.account === caller.account && best < Grant.Account) {
      best = Grant.Account;
    }
  }
  return best;
}

/**
 * NotPrincipal: the statement applies unless every identity the caller acts as is listed (its
 * account, its role, its session or user ARN). That is why AWS tells you to list the account
 * and the role along with a session in a Deny with NotPrincipal.
 */
function notPrincipalApplies(p: CompiledPrincipal, caller: Caller): boolean {
  if (p.any) return false;
  const accountListed = () => p.aws.some((e) => e.t === "account" && e.account === caller.account);
  const arnListed = () => p.aws.some((e) => e.t === "arn" && e.arn === caller.arn);
  switch (caller.type) {
    case "anonymous":
      return true;
    case "service":
      return !(caller.arn !== undefined && p.services.has(caller.arn));
    case "root":
      return !accountListed();
    case "user":
      return !(accountListed() && arnListed());
    case "assumed-role":
      return !(accountListed() && p.aws.some((e) => e.t === "role" && roleMatches(e, caller)) && arnListed());
    case "federated":
      if (caller.arn !== undefined && p.federated.has(caller.arn)) return false;
      return !(accountListed() && arnListed());
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

function actionMatches(m: ActionMatcher, action: string): boolean {
  return m.all || m.exact.has(action) || (m.regex !== undefined && m.regex.test(action));
}

function resourceMatches(m: ResourceMatcher, resource: string, lookup: VariableLookup): boolean {
  if (m.all) return true;
  for (const p of m.patterns) if (p.test(resource, lookup)) return true;
  return false;
}

/** Action, resource and conditions (the principal is checked by the caller). */
function applies(s: CompiledStatement, action: string, resource: string, ctx: RequestContextValues): boolean {
  if (s.broken) return false;
  if (actionMatches(s.actions, action) === s.notAction) return false;
  if (s.resources && resourceMatches(s.resources, resource, ctx.variable) === s.notResource) return false;
  for (const c of s.conditions) if (!evaluateCondition(c, ctx)) return false;
  return true;
}

interface Scan {
  deny: boolean;
  allow: boolean;
}

/** Identity-side documents (identity, boundary, session): any Deny? any Allow? */
function scanIdentity(
  docs: readonly PolicyDocument[],
  action: string,
  resource: string,
  ctx: RequestContextValues,
): Scan {
  let allow = false;
  for (const doc of docs) {
    for (const s of compile(doc).statements) {
      if (!s.deny && allow) continue;
      if (!applies(s, action, resource, ctx)) continue;
      if (s.deny) return { deny: true, allow };
      allow = true;
    }
  }
  return { deny: false, allow };
}

/** A resource policy: any Deny naming the caller? the most direct Allow naming the caller? */
function scanResourcePolicy(
  doc: PolicyDocument,
  caller: Caller,
  action: string,
  resource: string,
  ctx: RequestContextValues,
): { deny: boolean; grant: Grant } {
  let grant = Grant.None;
  for (const s of compile(doc).statements) {
    // A resource policy statement always names its principals; one that does not names nobody.
    if (!s.principal) continue;
    let g: Grant;
    if (s.notPrincipal) g = notPrincipalApplies(s.principal, caller) ? Grant.Direct : Grant.None;
    else g = grantOf(s.principal, caller);
    if (g === Grant.None) continue;
    if (!s.deny && g <= grant) continue;
    if (!applies(s, action, resource, ctx)) continue;
    if (s.deny) return { deny: true, grant };
    grant = g;
  }
  return { deny: false, grant };
}

function evaluateResource(
  input: EvaluationInput,
  caller: Caller,
  action: string,
  resource: string,
  ctx: RequestContextValues,
): EvaluationResult {
  const result = (decision: Decision, reason: DecisionReason): EvaluationResult => ({ decision, reason, resource });

  // 1. An explicit Deny in any policy that applies ends it.
  const identity = scanIdentity(input.identityPolicies, action, resource, ctx);
  if (identity.deny) return result("ExplicitlyDenied", "explicit-deny-identity");
  const rp = input.resourcePolicy
    ? scanResourcePolicy(input.resourcePolicy, caller, action, resource, ctx)
    : { deny: false, grant: Grant.None };
  if (rp.deny) return result("ExplicitlyDenied", "explicit-deny-resource");
  const boundary = input.permissionBoundary
    ? scanIdentity([input.permissionBoundary], action, resource, ctx)
    : undefined;
  if (boundary?.deny) return result("ExplicitlyDenied", "explicit-deny-boundary");
  const session = input.sessionPolicies?.length
    ? scanIdentity(input.sessionPolicies, action, resource, ctx)
    : undefined;
  if (session?.deny) return result("ExplicitlyDenied", "explicit-deny-session");

  // 2. Anonymous requests have only the resource policy ("*" or NotPrincipal can name them).
  if (caller.type === "anonymous") {
    return rp.grant !== Grant.None ? result("Allowed", "resource-allow") : result("ImplicitlyDenied", "no-resource-allow");
  }

  const sameAccount =
    input.resourceAccount === undefined || caller.account === undefined || input.resourceAccount === caller.account;
  const isRoot = caller.type === "root";
  if (isRoot && sameAccount && !input.requireResourcePolicy) return result("Allowed", "root");

  // 3. The identity side: identity policies, limited by the boundary and session policies. A
  // federated-user session without a session policy has no permissions of its own.
  const identityAllows = isRoot || identity.allow;
  const boundaryAllows = boundary === undefined || boundary.allow;
  const sessionAllows = session !== undefined ? session.allow : caller.type !== "federated";
  const identitySide = identityAllows && boundaryAllows && sessionAllows;
  const identityDenial = (): EvaluationResult =>
    result(
      "ImplicitlyDenied",
      !identityAllows ? "no-identity-allow" : !boundaryAllows ? "no-boundary-allow" : "no-session-allow",
    );

  if (!sameAccount) {
    // 4a. Cross-account: the principal's account must allow and so must the resource policy.
    if (!identitySide) return identityDenial();
    if (rp.grant === Grant.None) return result("ImplicitlyDenied", "no-resource-allow");
    return result("Allowed", "cross-account-allow");
  }

  // 4b. Same account: either side suffices. What the resource policy grants the user or the
  // session directly is not limited by the identity side; what it grants the role is limited
  // by the boundary and session policies; what it grants the account is only delegation.
  const resourceSide = rp.grant === Grant.Direct || (rp.grant === Grant.Role && boundaryAllows && sessionAllows);
  if (input.requireResourcePolicy && rp.grant === Grant.None) return result("ImplicitlyDenied", "no-resource-allow");
  if (identitySide) return result("Allowed", "identity-allow");
  if (resourceSide) return result("Allowed", "resource-allow");
  return identityDenial();
}
