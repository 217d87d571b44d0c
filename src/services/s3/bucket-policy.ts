/**
 * Bucket policies: validation the way S3 validates a PutBucketPolicy body (the IAM grammar from
 * the policy engine, then S3's own rules: every Resource inside this bucket, every Action an S3
 * action that applies to one of those resources), "is this policy public" as Block Public Access
 * and GetBucketPolicyStatus judge it, and the resource policy the gateway's authorizer evaluates
 * for `arn:aws:s3:::bucket` and `arn:aws:s3:::bucket/key`: the bucket policy, minus what
 * RestrictPublicBuckets takes away, plus the bucket ACL's grants while ACLs are enabled.
 */
import { ServiceError } from "../../core/errors.js";
import type { AuthorizationFacts, ConditionValue, RequestContext } from "../../core/service.js";
import { isServiceError } from "../../core/errors.js";
import { parsePolicyDocument, type PolicyDocument, type Statement } from "../iam/policy/index.js";
import { ConfigErrors } from "./bucket-config-errors.js";
import { BucketConfigStore, aclsEnabled, effectivePublicAccessBlock } from "./bucket-config-store.js";
import { BucketStore } from "./store.js";
import { S3Errors } from "./errors.js";
import { aclStatements } from "./acl.js";

/** S3's limit on a bucket policy document. */
export const MAX_POLICY_BYTES = 20 * 1024;

const malformed = (message: string) => new ServiceError(ConfigErrors.MalformedPolicy, message);

/**
 * S3 actions by the resource they act on (the Service Authorization Reference): bucket-level,
 * object-level, and account-level ones (which no bucket policy can grant).
 */
const BUCKET_ACTIONS = `CreateBucket DeleteBucket ListBucket ListBucketVersions ListBucketMultipartUploads
GetBucketLocation GetBucketAcl PutBucketAcl GetBucketCORS PutBucketCORS GetBucketPolicy PutBucketPolicy
DeleteBucketPolicy GetBucketPolicyStatus GetBucketTagging PutBucketTagging GetBucketVersioning
PutBucketVersioning GetBucketWebsite PutBucketWebsite DeleteBucketWebsite GetBucketLogging PutBucketLogging
GetBucketNotification PutBucketNotification GetBucketRequestPayment PutBucketRequestPayment
GetLifecycleConfiguration PutLifecycleConfiguration GetReplicationConfiguration PutReplicationConfiguration
GetEncryptionConfiguration PutEncryptionConfiguration GetBucketObjectLockConfiguration
PutBucketObjectLockConfiguration GetBucketOwnershipControls PutBucketOwnershipControls
GetBucketPublicAccessBlock PutBucketPublicAccessBlock GetAccelerateConfiguration PutAccelerateConfiguration
GetAnalyticsConfiguration PutAnalyticsConfiguration GetInventoryConfiguration PutInventoryConfiguration
GetMetricsConfiguration PutMetricsConfiguration GetIntelligentTieringConfiguration
PutIntelligentTieringConfiguration ListBucketByTags GetBucketMetadataTableConfiguration
CreateBucketMetadataTableConfiguration DeleteBucketMetadataTableConfiguration PutBucketAbac GetBucketAbac`;
const OBJECT_ACTIONS = `GetObject GetObjectVersion PutObject DeleteObject DeleteObjectVersion GetObjectAcl
GetObjectVersionAcl PutObjectAcl PutObjectVersionAcl GetObjectTagging GetObjectVersionTagging PutObjectTagging
PutObjectVersionTagging DeleteObjectTagging DeleteObjectVersionTagging AbortMultipartUpload
ListMultipartUploadParts RestoreObject GetObjectRetention PutObjectRetention GetObjectLegalHold
PutObjectLegalHold BypassGovernanceRetention GetObjectAttributes GetObjectVersionAttributes GetObjectTorrent
GetObjectVersionTorrent ReplicateObject ReplicateDelete ReplicateTags ObjectOwnerOverrideToBucketOwner
GetObjectVersionForReplication InitiateReplication`;
const ACCOUNT_ACTIONS = `ListAllMyBuckets CreateJob ListJobs GetAccountPublicAccessBlock PutAccountPublicAccessBlock
ListAccessPoints ListStorageLensConfigurations ListAccessGrantsInstances PutStorageLensConfiguration`;

type ResourceKind = "bucket" | "object" | "account";
const ACTION_KINDS = new Map<string, ResourceKind>();
for (const [list, kind] of [
  [BUCKET_ACTIONS, "bucket"],
  [OBJECT_ACTIONS, "object"],
  [ACCOUNT_ACTIONS, "account"],
] as const) {
  for (const a of list.split(/\s+/)) if (a) ACTION_KINDS.set(`s3:${a.toLowerCase()}`, kind);
}

function wildcardRegExp(pattern: string): RegExp {
  return new RegExp("^" + pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$", "s");
}

/** The resource kinds an Action element value can apply to; undefined: not an S3 action at all. */
function actionKinds(action: string): Set<ResourceKind> | undefined {
  const lower = action.toLowerCase();
  if (lower === "*") return new Set(["bucket", "object", "account"]);
  if (!/[*?]/.test(lower)) {
    const kind = ACTION_KINDS.get(lower);
    return kind ? new Set([kind]) : undefined;
  }
  const re = wildcardRegExp(lower);
  const kinds = new Set<ResourceKind>();
  for (const [name, kind] of ACTION_KINDS) if (re.test(name)) kinds.add(kind);
  return kinds.size ? kinds : undefined;
}

/** The kinds of resource an S3 Resource value in this bucket names. */
function resourceKinds(resource: string, bucket: string): Set<ResourceKind> | undefined {
  const bucketArn = `arn:aws:s3:::${bucket}`;
  if (resource === bucketArn) return new Set(["bucket"]);
  if (resource.startsWith(`${bucketArn}/`)) return new Set(["object"]);
  return undefined;
}

const POLICY_KEYS = new Set(["Version", "Id", "Statement"]);
const STATEMENT_KEYS = new Set(["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]);

/** IAM's wording (from the shared parser) in S3's. */
function s3Message(iamMessage: string): string {
  if (iamMessage === "Syntax errors in policy." || iamMessage === "The policy failed legacy parsing") return "Invalid policy syntax.";
  if (iamMessage === "Policy statement must contain actions.") return "Missing required field Action";
  if (/^(Resource |Partition |IAM resource |Resource vendor )/.test(iamMessage) || iamMessage.includes("can not contain region")) {
    return "Policy has invalid resource";
  }
  if (/^(Actions\/Condition|Vendor )/.test(iamMessage)) return "Policy has invalid action";
  return iamMessage;
}

/** Validates a PutBucketPolicy body for `bucket`; returns the parsed document. */
export function validateBucketPolicy(text: string, bucket: string): PolicyDocument {
  if (Buffer.byteLength(text, "utf8") > MAX_POLICY_BYTES) throw new ServiceError(ConfigErrors.PolicyTooLarge);
  const first = text.trimStart()[0];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (first !== "{" || typeof json !== "object" || json === null || Array.isArray(json)) {
    throw malformed("Policies must be valid JSON and the first byte must be '{'");
  }
  const obj = json as Record<string, unknown>;
  for (const k of Object.keys(obj)) if (!POLICY_KEYS.has(k)) throw malformed(`Unknown field ${k}`);
  if (obj.Statement === undefined) throw malformed("Missing required field Statement");
  const rawStatements = Array.isArray(obj.Statement) ? obj.Statement : [obj.Statement];
  for (const s of rawStatements) {
    if (typeof s !== "object" || s === null || Array.isArray(s)) throw malformed("Invalid policy syntax.");
    for (const k of Object.keys(s as object)) if (!STATEMENT_KEYS.has(k)) throw malformed(`Unknown field ${k}`);
  }

  let doc: PolicyDocument;
  try {
    doc = parsePolicyDocument(text, "resource");
  } catch (e) {
    if (isServiceError(e)) throw malformed(s3Message(e.message));
    throw e;
  }

  for (const s of doc.Statement) {
    const resources = s.Resource ?? s.NotResource;
    if (!resources?.length) throw malformed("Missing required field Resource");
    const kinds = new Set<ResourceKind>();
    for (const r of resources) {
      const k = resourceKinds(r, bucket);
      if (!k) throw malformed("Policy has invalid resource");
      for (const x of k) kinds.add(x);
    }
    // NotResource: everything in the bucket but what is listed.
    if (s.NotResource) kinds.add("bucket").add("object");
    const actions = s.Action ?? s.NotAction ?? [];
    let applies = s.NotAction !== undefined;
    for (const a of actions) {
      const ak = actionKinds(a);
      if (!ak) throw malformed("Policy has invalid action");
      for (const k of ak) if (kinds.has(k)) applies = true;
    }
    if (!applies) throw malformed("Action does not apply to any resource(s) in statement");
  }
  return doc;
}

// ---------------------------------------------------------------------------------------------
// "Public" (Block Public Access's definition)

/** Condition keys whose fixed values pin a statement to known principals or sources. */
const LIMITING_KEYS = new Set(
  [
    "aws:SourceArn",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:SourceOwner",
    "aws:SourceAccount",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceIp",
    "aws:userid",
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalServiceName",
    "s3:DataAccessPointArn",
    "s3:DataAccessPointAccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
  ].map((k) => k.toLowerCase()),
);

const isFixed = (v: string) => !/[*?]|\$\{/.test(v);

function principalIsPublic(s: Statement): boolean {
  if (s.NotPrincipal) return true;
  const p = s.Principal;
  if (!p) return false;
  if (p === "*") return true;
  return (p.AWS ?? []).some((v) => !isFixed(v)) || (p.CanonicalUser ?? []).some((v) => !isFixed(v));
}

function conditionLimits(s: Statement): boolean {
  for (const [op, block] of Object.entries(s.Condition ?? {})) {
    const operator = op.replace(/^ForAnyValue:|^ForAllValues:/i, "").replace(/IfExists$/, "");
    const positive = /^(StringEquals|StringEqualsIgnoreCase|StringLike|ArnEquals|ArnLike|IpAddress)$/i.test(operator);
    if (!positive) continue;
    for (const [key, values] of Object.entries(block)) {
      if (!LIMITING_KEYS.has(key.toLowerCase())) continue;
      if (values.length === 0 || !values.every(isFixed)) continue;
      // A source IP range of the whole internet pins nothing.
      if (key.toLowerCase() === "aws:sourceip" && values.some((v) => /\/0$/.test(v))) continue;
      return true;
    }
  }
  return false;
}

function statementIsPublic(s: Statement): boolean {
  return s.Effect === "Allow" && principalIsPublic(s) && !conditionLimits(s);
}

/** Whether a policy grants access to anyone outside a fixed set of principals. */
export function isPublicPolicy(doc: PolicyDocument): boolean {
  return doc.Statement.some(statementIsPublic);
}

// ---------------------------------------------------------------------------------------------
// Authorization

const ARN_PREFIX = "arn:aws:s3:::";

/** The bucket an `arn:aws:s3:::bucket[/key]` names. */
export function bucketOfArn(arn: string): string | undefined {
  if (!arn.startsWith(ARN_PREFIX)) return undefined;
  const rest = arn.slice(ARN_PREFIX.length);
  const slash = rest.indexOf("/");
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  return bucket && !/[*?]/.test(bucket) ? bucket : undefined;
}

const parsedCache = new Map<string, PolicyDocument>();

/** A stored (already validated) policy, parsed once per text. */
function storedPolicy(text: string): PolicyDocument | undefined {
  let doc = parsedCache.get(text);
  if (!doc) {
    try {
      doc = parsePolicyDocument(text, "resource");
    } catch {
      return undefined;
    }
    if (parsedCache.size >= 500) parsedCache.delete(parsedCache.keys().next().value!);
    parsedCache.set(text, doc);
  }
  return doc;
}

/**
 * The resource policy for an S3 ARN, as the authorizer evaluates it:
 * - the bucket policy; when RestrictPublicBuckets applies (bucket or account level) and the
 *   policy is public, callers outside the bucket owner's account (anonymous ones included) get
 *   only its Deny statements;
 * - the bucket ACL's grants as statements, while ACLs are enabled (Object Ownership is not
 *   BucketOwnerEnforced), public ones left out under IgnorePublicAcls.
 */
export async function s3ResourcePolicy(ctx: RequestContext, arn: string): Promise<string | undefined> {
  const name = bucketOfArn(arn);
  if (!name) return undefined;
  const bucket = await new BucketStore(ctx.storage.metadata).get(name);
  if (!bucket) return undefined;
  const store = new BucketConfigStore(ctx.storage.metadata);
  const configs = await store.all(bucket);
  const aclGrants = configs.acl && aclsEnabled(configs);
  if (configs.policy === undefined && !aclGrants) return undefined;

  const pab = effectivePublicAccessBlock(configs, await store.getAccountPublicAccessBlock(bucket.account));
  const insider = ctx.principal.type !== "anonymous" && ctx.principal.account === bucket.account;
  const policy = configs.policy !== undefined ? storedPolicy(configs.policy) : undefined;

  const restricted = !!policy && pab.RestrictPublicBuckets && !insider && isPublicPolicy(policy);
  const extra = aclGrants ? aclStatements(configs.acl!, bucket.name, bucket.account, pab.IgnorePublicAcls) : [];
  // The common case: the policy as stored (its parse is cached by text downstream).
  if (policy && !restricted && extra.length === 0) return configs.policy;
  let statements: unknown[] = [];
  let version: string | undefined = policy?.Version;
  if (policy) statements = restricted ? policy.Statement.filter((s) => s.Effect === "Deny") : [...policy.Statement];
  if (extra.length) {
    statements.push(...extra);
    version ??= "2012-10-17";
  }
  if (statements.length === 0) return undefined;
  // Without statements that can apply the document would not parse; a lone Deny is fine.
  return JSON.stringify({ ...(version ? { Version: version } : {}), Statement: statements });
}

/**
 * Authorization facts for an operation on an existing bucket: its action, ARN and owning account.
 * A bucket that does not exist is NoSuchBucket for everyone, as in S3 (there is no policy to ask).
 */
export function bucketFacts(action: string, context?: (input: Record<string, unknown>) => Record<string, ConditionValue>) {
  return async (ctx: RequestContext, input: Record<string, unknown>): Promise<AuthorizationFacts> => {
    const name = String(input.Bucket);
    const bucket = await new BucketStore(ctx.storage.metadata).get(name);
    if (!bucket) throw new ServiceError(S3Errors.NoSuchBucket, undefined, { BucketName: name });
    return {
      action,
      resources: [`${ARN_PREFIX}${name}`],
      // Another account's bucket is decided cross-account (its policy must grant access).
      resourceAccount: bucket.account,
      ...(context ? { context: context(input) } : {}),
    };
  };
}
