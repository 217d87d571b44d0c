/**
 * IAM policy documents: the normalised types the evaluator reads, `parsePolicyDocument` (JSON
 * text -> document, validated the way IAM validates, failing with MalformedPolicyDocument and
 * AWS's messages) and the whitespace-free size IAM's quotas are measured in.
 *
 * IAM checks a document in phases and reports the first failure of the earliest phase, so the
 * order below matters: JSON, grammar ("Syntax errors in policy."), Version (managed policies),
 * the legacy parser (Effect case, ARN shape, date values), Sids, required elements, Resource
 * ARNs, then Action names.
 */
import { ServiceError, type ErrorDef } from "../../../core/errors.js";
import { parseConditionOperator, parseCidr, parseDate, parseNumber } from "./conditions.js";

export const MalformedPolicyDocument = {
  code: "MalformedPolicyDocument",
  status: 400,
  message: "Syntax errors in policy.",
} satisfies ErrorDef;

export type PolicyKind = "identity" | "resource" | "trust" | "boundary" | "session";
export type PolicyVersion = "2008-10-17" | "2012-10-17";

export interface PrincipalMap {
  readonly AWS?: readonly string[];
  readonly Service?: readonly string[];
  readonly Federated?: readonly string[];
  readonly CanonicalUser?: readonly string[];
}
/** `"*"` (everyone, anonymous included) or principals by type. */
export type PrincipalBlock = "*" | PrincipalMap;

/** `{ Operator: { key: [values] } }`, values as strings (JSON numbers and booleans stringified). */
export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

export interface Statement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: PrincipalBlock;
  readonly NotPrincipal?: PrincipalBlock;
  readonly Action?: readonly string[];
  readonly NotAction?: readonly string[];
  readonly Resource?: readonly string[];
  readonly NotResource?: readonly string[];
  readonly Condition?: ConditionBlock;
}

/** A parsed, validated, frozen policy document (Statement always a list). */
export interface PolicyDocument {
  /** As written; absent means the 2008-10-17 language (no policy variables). */
  readonly Version?: PolicyVersion;
  readonly Id?: string;
  readonly Statement: readonly Statement[];
}

export interface ParseOptions {
  /**
   * CreatePolicy / CreatePolicyVersion: managed policies must say `"Version": "2012-10-17"`
   * ("Policy document must be version 2012-10-17 or greater."). Inline policies may omit it.
   */
  managed?: boolean;
}

/** IAM's quotas, in characters not counting whitespace. */
export const POLICY_SIZE_LIMITS = {
  /** All inline policies of one user together. */
  userInline: 2048,
  /** All inline policies of one group together. */
  groupInline: 5120,
  /** All inline policies of one role together. */
  roleInline: 10240,
  /** One managed policy (version). */
  managed: 6144,
  /** A role's trust policy (the default ACLSizePerRole quota). */
  trust: 2048,
} as const;

/** The size IAM measures a policy by: its characters, whitespace not counted. */
export function policySizeWithoutWhitespace(text: string): number {
  let n = 0;
  for (const ch of text) if (!/\s/.test(ch)) n++;
  return n;
}

function fail(message: string): never {
  throw new ServiceError(MalformedPolicyDocument, message);
}

const SYNTAX = "Syntax errors in policy.";
const LEGACY = "The policy failed legacy parsing";

const DOCUMENT_KEYS = new Set(["Version", "Id", "Statement"]);
const STATEMENT_KEYS = new Set([
  "Sid",
  "Effect",
  "Principal",
  "NotPrincipal",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Condition",
]);
const PRINCIPAL_KEYS = new Set(["AWS", "Service", "Federated", "CanonicalUser"]);
const PARTITIONS = new Set(["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"]);
const IAM_RESOURCE_PREFIXES = [
  "user/",
  "federated-user/",
  "role/",
  "group/",
  "instance-profile/",
  "mfa/",
  "server-certificate/",
  "policy/",
  "sms-mfa/",
  "saml-provider/",
  "oidc-provider/",
  "report/",
  "access-report/",
];
/** What a role trust policy may grant (wildcards over these are accepted too). */
const TRUST_ACTIONS = [
  "sts:assumerole",
  "sts:assumerolewithsaml",
  "sts:assumerolewithwebidentity",
  "sts:tagsession",
  "sts:setsourceidentity",
  "sts:setcontext",
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A string or an array of strings (an empty array is reported later, as a missing element). */
function stringList(v: Json | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  return fail(SYNTAX);
}

function conditionValues(v: Json): string[] {
  const scalar = (x: Json) => typeof x === "string" || typeof x === "number" || typeof x === "boolean";
  if (scalar(v)) return [String(v)];
  if (Array.isArray(v) && v.every(scalar)) return v.map(String);
  return fail(SYNTAX);
}

interface RawStatement {
  raw: Record<string, Json>;
  Sid?: string;
  effect: string;
  Principal?: PrincipalBlock;
  NotPrincipal?: PrincipalBlock;
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Condition?: Record<string, Record<string, string[]>>;
}

function principalBlock(v: Json | undefined): PrincipalBlock | undefined {
  if (v === undefined) return undefined;
  if (v === "*") return "*";
  if (!isObject(v)) return fail(SYNTAX);
  const out: Record<string, string[]> = {};
  for (const [k, val] of Object.entries(v)) out[k] = stringList(val)!;
  return out as PrincipalMap;
}

/** Grammar: shapes and types only. Anything wrong here is "Syntax errors in policy." */
function grammar(doc: Json): { version?: string; id?: string; statements: RawStatement[] } {
  if (!isObject(doc)) fail(SYNTAX);
  for (const k of Object.keys(doc)) if (!DOCUMENT_KEYS.has(k)) fail(SYNTAX);
  const version = doc.Version;
  if (version !== undefined && version !== "2008-10-17" && version !== "2012-10-17") fail(SYNTAX);
  if (doc.Id !== undefined && typeof doc.Id !== "string") fail(SYNTAX);
  const list = doc.Statement;
  const raw = Array.isArray(list) ? list : list === undefined ? [] : [list];
  if (raw.length === 0) fail(SYNTAX);
  const statements = raw.map((s): RawStatement => {
    if (!isObject(s)) fail(SYNTAX);
    for (const k of Object.keys(s)) if (!STATEMENT_KEYS.has(k)) fail(SYNTAX);
    if (s.Sid !== undefined && typeof s.Sid !== "string") fail(SYNTAX);
    if (typeof s.Effect !== "string") fail(SYNTAX);
    if (!/^(allow|deny)$/i.test(s.Effect)) fail(SYNTAX);
    if (s.Action !== undefined && s.NotAction !== undefined) fail(SYNTAX);
    if (s.Resource !== undefined && s.NotResource !== undefined) fail(SYNTAX);
    if (s.Principal !== undefined && s.NotPrincipal !== undefined) fail(SYNTAX);
    const out: RawStatement = { raw: s, effect: s.Effect };
    if (s.Sid !== undefined) out.Sid = s.Sid;
    const principal = principalBlock(s.Principal);
    if (principal) out.Principal = principal;
    const notPrincipal = principalBlock(s.NotPrincipal);
    if (notPrincipal) out.NotPrincipal = notPrincipal;
    for (const k of ["Action", "NotAction", "Resource", "NotResource"] as const) {
      const l = stringList(s[k]);
      if (l) out[k] = l;
    }
    if (s.Condition !== undefined) {
      if (!isObject(s.Condition)) fail(SYNTAX);
      const cond: Record<string, Record<string, string[]>> = {};
      for (const [op, block] of Object.entries(s.Condition)) {
        if (!isObject(block)) fail(SYNTAX);
        const entries = Object.entries(block);
        // IAM accepts an unknown operator with an empty block, but not one that tests a key.
        if (entries.length > 0 && !parseConditionOperator(op)) fail(SYNTAX);
        const keys: Record<string, string[]> = {};
        for (const [key, val] of entries) keys[key] = conditionValues(val);
        cond[op] = keys;
      }
      out.Condition = cond;
    }
    return out;
  });
  return {
    ...(typeof version === "string" ? { version } : {}),
    ...(typeof doc.Id === "string" ? { id: doc.Id } : {}),
    statements,
  };
}

/** The legacy parser's checks: exact Effect case, ARN shape, typed condition values. */
function legacy(statements: RawStatement[]): void {
  for (const s of statements) {
    if (s.effect !== "Allow" && s.effect !== "Deny") fail(LEGACY);
    for (const r of [...(s.Resource ?? []), ...(s.NotResource ?? [])]) {
      // Only ARNs in a known partition reach the legacy parser; others fail later, by name.
      const parts = r.split(":");
      if (parts[0] !== "arn" || !PARTITIONS.has(parts[1]!)) continue;
      if (parts.length === 4 || parts.length === 5 || parts[2] === "") fail(LEGACY);
    }
    for (const [opName, block] of Object.entries(s.Condition ?? {})) {
      const op = parseConditionOperator(opName);
      if (!op) continue;
      for (const values of Object.values(block)) {
        for (const v of values) {
          if (op.family === "Date" && parseDate(v) === undefined) fail(LEGACY);
          if (op.family === "Numeric" && parseNumber(v) === undefined) fail(LEGACY);
          if (op.family === "IpAddress" && parseCidr(v) === undefined) fail(LEGACY);
        }
      }
    }
  }
}

function invalidPrincipal(kind: PolicyKind, type: string, value: string): never {
  // IAM (trust policies) names the offending entry; S3 and other resource policies do not.
  return fail(kind === "trust" ? `Invalid principal in policy: "${type}":"${value}"` : "Invalid principal in policy");
}

const ACCOUNT_ID = /^\d{12}$/;
const PRINCIPAL_ARN =
  /^arn:[a-z-]+:(iam::\d{12}:(root|user\/.+|role\/.+|federated-user\/.+)|sts::\d{12}:(assumed-role\/[^/]+\/.+|federated-user\/.+))$/;
/** Unique ids (AIDA..., AROA...) that IAM shows for principals deleted since the policy was saved. */
const UNIQUE_ID = /^A[A-Z0-9]{3}[A-Z0-9]{12,}$/;

function checkPrincipal(kind: PolicyKind, block: PrincipalBlock): void {
  if (block === "*") return;
  const entries = Object.entries(block);
  if (entries.length === 0) invalidPrincipal(kind, "AWS", "");
  for (const [type, values] of entries) {
    if (!PRINCIPAL_KEYS.has(type)) invalidPrincipal(kind, type, String(values));
    if (values.length === 0) invalidPrincipal(kind, type, "");
    for (const v of values) {
      const ok =
        type === "AWS"
          ? v === "*" || ACCOUNT_ID.test(v) || (PRINCIPAL_ARN.test(v) && !/[*?]/.test(v)) || UNIQUE_ID.test(v)
          : type === "Service"
            ? v === "*" || /^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(v)
            : type === "CanonicalUser"
              ? /^[0-9a-fA-F]{64}$/.test(v)
              : v.length > 0 && !v.includes("*");
      if (!ok) invalidPrincipal(kind, type, v);
    }
  }
}

function checkResource(r: string): void {
  if (r === "*") return;
  if (!r.includes(":")) fail(`Resource ${r} must be in ARN format or "*".`);
  const parts = r.split(":");
  parts[0] = "arn";
  const partition = parts[1]!;
  if (!PARTITIONS.has(partition) && !/[*?]/.test(partition)) {
    const shown = parts.length >= 6 ? parts : [...parts, ...Array<string>(6 - parts.length).fill("*")];
    fail(`Partition "${partition}" is not valid for resource "${shown.join(":")}".`);
  }
  const service = parts[2];
  if (!service || /[*?$]/.test(service)) fail("Resource vendor must be fully qualified and cannot contain regexes.");
  const region = parts[3] ?? "";
  const account = parts[4] ?? "";
  if (service === "iam") {
    if (region !== "" && region !== "*") fail(`IAM resource ${r} cannot contain region information.`);
    const rest = parts.length >= 6 ? parts.slice(5).join(":") : "*";
    if (rest !== "*" && !IAM_RESOURCE_PREFIXES.some((p) => rest.startsWith(p))) {
      fail(
        `IAM resource path must either be "*" or start with ${IAM_RESOURCE_PREFIXES.join(", ")}.`,
      );
    }
  }
  // Buckets and objects have no region; access points and jobs carry region and account both.
  if (service === "s3" && region !== "" && !/[*?]/.test(region) && account === "") {
    fail(`Resource ${r} can not contain region information.`);
  }
}

function checkAction(a: string): void {
  if (a === "*") return;
  const parts = a.split(":");
  if (parts.length === 1) fail("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
  if (parts.length > 2) fail("Actions/Condition can contain only one colon.");
  const vendor = parts[0]!;
  if (vendor !== "*" && !/^[a-zA-Z0-9.-]+$/.test(vendor)) fail(`Vendor ${vendor} is not valid`);
}

/** Whether a trust-policy action (maybe with wildcards) names one of the AssumeRole-family actions. */
function isTrustAction(a: string): boolean {
  if (a === "*") return true;
  const lower = a.toLowerCase();
  if (!lower.startsWith("sts:")) return false;
  if (!/[*?]/.test(lower)) return TRUST_ACTIONS.includes(lower);
  const re = new RegExp("^" + lower.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$");
  return TRUST_ACTIONS.some((t) => re.test(t));
}

function deepFreeze<T>(o: T): T {
  if (typeof o === "object" && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/**
 * Parses and validates a policy document.
 * - identity, boundary, session: no Principal; Resource required.
 * - resource (bucket, queue, topic, key policies): Principal required; Resource optional (it
 *   then means the resource the policy is attached to).
 * - trust (a role's AssumeRolePolicyDocument): Principal required, no Resource, only STS
 *   AssumeRole-family actions.
 * Throws ServiceError(MalformedPolicyDocument) with IAM's message for the first problem.
 */
export function parsePolicyDocument(text: string, kind: PolicyKind, options: ParseOptions = {}): PolicyDocument {
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    return fail(SYNTAX);
  }
  const { version, id, statements } = grammar(json);

  if (options.managed && version !== "2012-10-17") fail("Policy document must be version 2012-10-17 or greater.");

  legacy(statements);

  const sids = new Set<string>();
  for (const s of statements) {
    if (!s.Sid) continue;
    if (sids.has(s.Sid)) fail("Statement IDs (SID) in a single policy must be unique.");
    sids.add(s.Sid);
    if ((kind === "identity" || kind === "boundary") && !/^[0-9A-Za-z]*$/.test(s.Sid)) {
      fail("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*");
    }
  }

  const needsPrincipal = kind === "resource" || kind === "trust";
  for (const s of statements) {
    if (!needsPrincipal && (s.Principal || s.NotPrincipal)) fail("Policy document should not specify a principal.");
    if (!(s.Action?.length || s.NotAction?.length)) fail("Policy statement must contain actions.");
    if (kind === "trust") {
      if (s.Resource) fail("Has prohibited field Resource");
      if (s.NotResource) fail("Has prohibited field NotResource");
    } else if (!needsPrincipal && !(s.Resource?.length || s.NotResource?.length)) {
      fail("Policy statement must contain resources.");
    }
    if (needsPrincipal) {
      if (!s.Principal && !s.NotPrincipal) fail("Missing required field Principal");
      checkPrincipal(kind, (s.Principal ?? s.NotPrincipal)!);
    }
  }

  for (const s of statements) for (const r of [...(s.Resource ?? []), ...(s.NotResource ?? [])]) checkResource(r);
  for (const s of statements) for (const a of [...(s.Action ?? []), ...(s.NotAction ?? [])]) checkAction(a);
  if (kind === "trust") {
    for (const s of statements) {
      for (const a of [...(s.Action ?? []), ...(s.NotAction ?? [])]) {
        if (!isTrustAction(a)) fail("AssumeRole policy may only specify STS AssumeRole actions.");
      }
    }
  }

  const out: PolicyDocument = {
    ...(version ? { Version: version as PolicyVersion } : {}),
    ...(id !== undefined ? { Id: id } : {}),
    Statement: statements.map((s) => {
      const st: { -readonly [K in keyof Statement]: Statement[K] } = { Effect: s.effect as "Allow" | "Deny" };
      if (s.Sid !== undefined) st.Sid = s.Sid;
      if (s.Principal) st.Principal = s.Principal;
      if (s.NotPrincipal) st.NotPrincipal = s.NotPrincipal;
      if (s.Action) st.Action = s.Action;
      if (s.NotAction) st.NotAction = s.NotAction;
      if (s.Resource) st.Resource = s.Resource;
      if (s.NotResource) st.NotResource = s.NotResource;
      if (s.Condition) st.Condition = s.Condition;
      return st;
    }),
  };
  // Frozen so the evaluator's per-document compile cache can never go stale.
  return deepFreeze(out);
}

const STORED_LIMIT = 2000;
const stored = new Map<string, PolicyDocument>();

/**
 * The parsed form of a stored policy (one that was validated when it was written), cached by its
 * text: content-addressed, so never stale. Hot paths (every request's identity policies, every
 * delivery's queue or topic policy) parse a document once instead of per use. Throws like
 * `parsePolicyDocument` for a document that does not parse (nothing is cached then).
 */
export function storedPolicyDocument(text: string, kind: PolicyKind): PolicyDocument {
  const key = `${kind}\u0000${text}`;
  let doc = stored.get(key);
  if (!doc) {
    doc = parsePolicyDocument(text, kind);
    if (stored.size >= STORED_LIMIT) stored.delete(stored.keys().next().value!);
    stored.set(key, doc);
  }
  return doc;
}
