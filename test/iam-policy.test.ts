/**
 * The IAM policy engine: a decision table (expected Allowed / ImplicitlyDenied /
 * ExplicitlyDenied) organised by feature, including the scenarios AWS's policy-evaluation
 * documentation walks through, then document validation (MalformedPolicyDocument messages) and
 * the typed value parsers.
 */
import { describe, expect, it } from "vitest";
import {
  cidrContains,
  denialExplanation,
  evaluate,
  explain,
  parseAddress,
  parseCidr,
  parseDate,
  parsePolicyDocument,
  policySizeWithoutWhitespace,
  type ContextValue,
  type Decision,
  type EvaluationPrincipal,
  type PolicyDocument,
  type PolicyKind,
} from "../src/services/iam/policy/index.js";
import { isServiceError } from "../src/core/errors.js";

// ---------------------------------------------------------------------------------------------
// Principals and policy builders

const A = "111122223333";
const B = "444455556666";
const OBJ = "arn:aws:s3:::bucket/key";

const alice: EvaluationPrincipal = { type: "user", arn: `arn:aws:iam::${A}:user/alice`, account: A, userId: "AIDAALICE00000000001" };
const mallory: EvaluationPrincipal = { type: "user", arn: `arn:aws:iam::${A}:user/mallory`, account: A, userId: "AIDAMALLORY000000001" };
const bob: EvaluationPrincipal = { type: "user", arn: `arn:aws:iam::${B}:user/Bob`, account: B, userId: "AIDABOB0000000000001" };
const carolB: EvaluationPrincipal = { type: "user", arn: `arn:aws:iam::${B}:user/carol`, account: B };
const dev: EvaluationPrincipal = {
  type: "assumed-role",
  arn: `arn:aws:sts::${A}:assumed-role/Dev/s1`,
  account: A,
  userId: "AROADEV0000000000001:s1",
};
const dev2: EvaluationPrincipal = { ...dev, arn: `arn:aws:sts::${A}:assumed-role/Dev/s2`, userId: "AROADEV0000000000001:s2" };
const devWithPath: EvaluationPrincipal = { ...dev, roleArn: `arn:aws:iam::${A}:role/team/Dev` };
const auditB: EvaluationPrincipal = {
  type: "assumed-role",
  arn: `arn:aws:sts::${B}:assumed-role/cross-account-read-only-role/cross-account-audit-app`,
  account: B,
};
const auditB2: EvaluationPrincipal = {
  type: "assumed-role",
  arn: `arn:aws:sts::${B}:assumed-role/cross-account-read-only-role/other-app`,
  account: B,
};
const rootA: EvaluationPrincipal = { type: "root", arn: `arn:aws:iam::${A}:root`, account: A, userId: A };
const rootB: EvaluationPrincipal = { type: "root", arn: `arn:aws:iam::${B}:root`, account: B, userId: B };
const anon: EvaluationPrincipal = { type: "anonymous" };
const fedUser: EvaluationPrincipal = { type: "federated", arn: `arn:aws:sts::${A}:federated-user/carol`, account: A };
const cloudtrail: EvaluationPrincipal = { type: "service", arn: "cloudtrail.amazonaws.com" };
const lambdaSvc: EvaluationPrincipal = { type: "service", arn: "lambda.amazonaws.com" };
const cognito: EvaluationPrincipal = { type: "federated", arn: "cognito-identity.amazonaws.com" };
const saml: EvaluationPrincipal = { type: "federated", arn: `arn:aws:iam::${A}:saml-provider/Corp` };

type Obj = Record<string, unknown>;
const pol = (...Statement: Obj[]): Obj => ({ Version: "2012-10-17", Statement });
const allow = (Action: unknown, Resource: unknown = "*", extra: Obj = {}): Obj => ({ Effect: "Allow", Action, Resource, ...extra });
const deny = (Action: unknown, Resource: unknown = "*", extra: Obj = {}): Obj => ({ Effect: "Deny", Action, Resource, ...extra });
const rAllow = (Principal: unknown, Action: unknown = "s3:*", Resource: unknown = "arn:aws:s3:::bucket/*", extra: Obj = {}): Obj => ({
  Effect: "Allow",
  Principal,
  Action,
  Resource,
  ...extra,
});
const rDeny = (Principal: unknown, Action: unknown = "s3:*", Resource: unknown = "arn:aws:s3:::bucket/*", extra: Obj = {}): Obj => ({
  Effect: "Deny",
  Principal,
  Action,
  Resource,
  ...extra,
});
const aws = (...arns: string[]) => ({ AWS: arns.length === 1 ? arns[0] : arns });
const trustAllow = (Principal: unknown, extra: Obj = {}): Obj => ({ Effect: "Allow", Principal, Action: "sts:AssumeRole", ...extra });

const S3_ALL = pol(allow("s3:*"));
const GET_OBJECT = pol(allow("s3:GetObject"));

interface Case {
  name: string;
  expect: Decision;
  action?: string;
  resource?: string | string[];
  principal?: EvaluationPrincipal;
  resourceAccount?: string;
  identity?: Obj[];
  session?: Obj[];
  boundary?: Obj;
  resourcePolicy?: Obj;
  /** Parse the resource policy as a trust policy and require it to allow. */
  trust?: boolean;
  require?: boolean;
  context?: Record<string, ContextValue>;
}

function parse(o: Obj, kind: PolicyKind): PolicyDocument {
  return parsePolicyDocument(JSON.stringify(o), kind);
}

function run(c: Case): Decision {
  return evaluate({
    action: c.action ?? "s3:GetObject",
    resources: c.resource === undefined ? [OBJ] : Array.isArray(c.resource) ? c.resource : [c.resource],
    principal: c.principal ?? alice,
    resourceAccount: c.resourceAccount,
    identityPolicies: (c.identity ?? []).map((p) => parse(p, "identity")),
    sessionPolicies: c.session?.map((p) => parse(p, "session")),
    permissionBoundary: c.boundary && parse(c.boundary, "boundary"),
    resourcePolicy: c.resourcePolicy && parse(c.resourcePolicy, c.trust ? "trust" : "resource"),
    requireResourcePolicy: c.trust || c.require,
    context: c.context ?? {},
  });
}

/** A condition case: alice's one identity policy allows s3:GetObject on * under `Condition`. */
function cond(name: string, Condition: Obj, context: Record<string, ContextValue>, expectDecision: Decision): Case {
  return { name, expect: expectDecision, identity: [pol(allow("s3:GetObject", "*", { Condition }))], context };
}

const ALLOWED: Decision = "Allowed";
const IMPLICIT: Decision = "ImplicitlyDenied";
const EXPLICIT: Decision = "ExplicitlyDenied";

// ---------------------------------------------------------------------------------------------
// The decision table

const basics: Case[] = [
  { name: "no policies at all", expect: IMPLICIT },
  { name: "an Allow for the action and resource", expect: ALLOWED, identity: [pol(allow("s3:GetObject", OBJ))] },
  { name: "an Allow for another action", expect: IMPLICIT, identity: [pol(allow("s3:PutObject", OBJ))] },
  { name: "an Allow for another resource", expect: IMPLICIT, identity: [pol(allow("s3:GetObject", "arn:aws:s3:::bucket/other"))] },
  { name: "a Deny alone", expect: EXPLICIT, identity: [pol(deny("s3:GetObject"))] },
  { name: "Allow and Deny in one policy", expect: EXPLICIT, identity: [pol(allow("s3:*"), deny("s3:GetObject"))] },
  { name: "a Deny in another policy overrides the Allow", expect: EXPLICIT, identity: [S3_ALL, pol(deny("s3:Get*"))] },
  { name: "a Deny for another action does not matter", expect: ALLOWED, identity: [S3_ALL, pol(deny("s3:PutObject"))] },
  { name: "a Deny on another resource does not matter", expect: ALLOWED, identity: [S3_ALL, pol(deny("s3:*", "arn:aws:s3:::secret/*"))] },
  { name: "Allow in the second of two policies", expect: ALLOWED, identity: [pol(allow("sqs:*")), GET_OBJECT] },
  { name: "a single Statement object (not an array)", expect: ALLOWED, identity: [{ Version: "2012-10-17", Statement: allow("s3:GetObject") }] },
  { name: "Version 2008-10-17 evaluates the same", expect: ALLOWED, identity: [{ Version: "2008-10-17", Statement: [allow("s3:GetObject")] }] },
  { name: "no Version evaluates the same", expect: ALLOWED, identity: [{ Statement: [allow("s3:GetObject")] }] },
  { name: "every resource allowed", expect: ALLOWED, resource: [OBJ, "arn:aws:s3:::bucket/k2"], identity: [pol(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))] },
  { name: "one of two resources not allowed", expect: IMPLICIT, resource: [OBJ, "arn:aws:s3:::other/k"], identity: [pol(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))] },
  { name: "one of two resources explicitly denied", expect: EXPLICIT, resource: ["arn:aws:s3:::other/k", OBJ], identity: [S3_ALL, pol(deny("s3:*", OBJ))] },
  { name: "no resources means *", expect: ALLOWED, resource: [], action: "s3:ListAllMyBuckets", identity: [pol(allow("s3:ListAllMyBuckets"))] },
  { name: "resource * against a specific-ARN statement", expect: IMPLICIT, resource: "*", action: "s3:ListAllMyBuckets", identity: [pol(allow("s3:ListAllMyBuckets", "arn:aws:s3:::bucket"))] },
  { name: "explicit deny beats a resource-policy allow", expect: EXPLICIT, identity: [pol(deny("s3:*"))], resourcePolicy: pol(rAllow(aws(alice.arn!))) },
  // AWS "Example identity-based and resource-based policy evaluation" (carlossalazar).
  ...(() => {
    const carlos: EvaluationPrincipal = { type: "user", arn: "arn:aws:iam::123456789012:user/carlossalazar", account: "123456789012" };
    const identity = [
      pol(
        { Sid: "AllowS3ListRead", ...allow(["s3:GetBucketLocation", "s3:GetAccountPublicAccessBlock", "s3:ListAccessPoints", "s3:ListAllMyBuckets"], "arn:aws:s3:::*") },
        { Sid: "AllowS3Self", ...allow("s3:*", ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"]) },
        { Sid: "DenyS3Logs", ...deny("s3:*", "arn:aws:s3:::*log*") },
      ),
    ];
    const resourcePolicy = pol(rAllow(aws("arn:aws:iam::123456789012:user/carlossalazar"), "s3:*", ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"]));
    const base = { principal: carlos, identity, resourcePolicy, action: "s3:PutObject" };
    return [
      { ...base, name: "carlossalazar: PutObject to the -logs bucket is explicitly denied", expect: EXPLICIT, resource: "arn:aws:s3:::carlossalazar-logs/file" },
      { ...base, name: "carlossalazar: PutObject to his own bucket is allowed", expect: ALLOWED, resource: "arn:aws:s3:::carlossalazar/file" },
      { ...base, name: "carlossalazar: GetBucketLocation on any bucket", expect: ALLOWED, action: "s3:GetBucketLocation", resource: "arn:aws:s3:::somebucket" },
      { ...base, name: "carlossalazar: PutObject to someone else's bucket", expect: IMPLICIT, resource: "arn:aws:s3:::somebucket/file" },
    ] satisfies Case[];
  })(),
  // AWS "The difference between explicit and implicit denies" (AllowGetList / DenyReports).
  ...(() => {
    const identity = [pol({ Sid: "AllowGetList", ...allow(["iam:Get*", "iam:List*"]) }, { Sid: "DenyReports", ...deny("iam:*Report") })];
    return [
      { name: "AllowGetList: iam:GetUser", expect: ALLOWED, action: "iam:GetUser", identity },
      { name: "AllowGetList: iam:ListUsers", expect: ALLOWED, action: "iam:ListUsers", identity },
      { name: "AllowGetList: iam:CreatePolicy is implicitly denied", expect: IMPLICIT, action: "iam:CreatePolicy", identity },
      { name: "DenyReports: iam:GetOrganizationsAccessReport", expect: EXPLICIT, action: "iam:GetOrganizationsAccessReport", identity },
      { name: "DenyReports: iam:GenerateCredentialReport", expect: EXPLICIT, action: "iam:GenerateCredentialReport", identity },
      { name: "DenyReports: even with another policy allowing it", expect: EXPLICIT, action: "iam:GenerateCredentialReport", identity: [...identity, pol(allow("iam:*"))] },
    ] satisfies Case[];
  })(),
];

const actions: Case[] = [
  { name: "action names are case-insensitive (policy side)", expect: ALLOWED, identity: [pol(allow("S3:getobject"))] },
  { name: "action names are case-insensitive (request side)", expect: ALLOWED, action: "S3:GETOBJECT", identity: [GET_OBJECT] },
  { name: "s3:* covers s3 actions", expect: ALLOWED, action: "s3:DeleteBucket", identity: [S3_ALL] },
  { name: "s3:* does not cover sqs", expect: IMPLICIT, action: "sqs:SendMessage", identity: [S3_ALL] },
  { name: "* covers every action", expect: ALLOWED, action: "ec2:RunInstances", identity: [pol(allow("*"))] },
  { name: "*:* covers every action", expect: ALLOWED, action: "ec2:RunInstances", identity: [pol(allow("*:*"))] },
  { name: "s3:Get* covers GetObject", expect: ALLOWED, identity: [pol(allow("s3:Get*"))] },
  { name: "s3:Get* covers GetObjectAcl", expect: ALLOWED, action: "s3:GetObjectAcl", identity: [pol(allow("s3:Get*"))] },
  { name: "s3:Get* does not cover PutObject", expect: IMPLICIT, action: "s3:PutObject", identity: [pol(allow("s3:Get*"))] },
  { name: "s3:*Object covers DeleteObject", expect: ALLOWED, action: "s3:DeleteObject", identity: [pol(allow("s3:*Object"))] },
  { name: "s3:*Object does not cover GetObjectAcl", expect: IMPLICIT, action: "s3:GetObjectAcl", identity: [pol(allow("s3:*Object"))] },
  { name: "? matches one character", expect: ALLOWED, identity: [pol(allow("s3:Get?bject"))] },
  { name: "? does not match zero characters", expect: IMPLICIT, identity: [pol(allow("s3:Get?Object"))] },
  { name: "iam:*AccessKey* covers CreateAccessKey", expect: ALLOWED, action: "iam:CreateAccessKey", identity: [pol(allow("iam:*AccessKey*"))] },
  { name: "iam:*AccessKey* covers ListAccessKeys", expect: ALLOWED, action: "iam:ListAccessKeys", identity: [pol(allow("iam:*AccessKey*"))] },
  { name: "iam:*AccessKey* does not cover GetUser", expect: IMPLICIT, action: "iam:GetUser", identity: [pol(allow("iam:*AccessKey*"))] },
  { name: "a list of actions: the second matches", expect: ALLOWED, identity: [pol(allow(["s3:PutObject", "s3:GetObject"]))] },
  { name: "a prefix is not a match", expect: IMPLICIT, action: "s3:GetObjectTagging", identity: [GET_OBJECT] },
  { name: "another service with the same action name", expect: IMPLICIT, action: "s3-object-lambda:GetObject", identity: [GET_OBJECT] },
  { name: "lower-case wildcard pattern, mixed-case action", expect: ALLOWED, action: "s3:GetObjectTagging", identity: [pol(allow("s3:getobject*"))] },
  { name: "NotAction Allow: an action outside the list", expect: ALLOWED, identity: [pol({ Effect: "Allow", NotAction: "iam:*", Resource: "*" })] },
  { name: "NotAction Allow: an action in the list", expect: IMPLICIT, action: "iam:CreateUser", identity: [pol({ Effect: "Allow", NotAction: "iam:*", Resource: "*" })] },
  { name: "NotAction Deny: everything but iam is denied", expect: EXPLICIT, identity: [pol(allow("*"), { Effect: "Deny", NotAction: "iam:*", Resource: "*" })] },
  { name: "NotAction Deny: iam still allowed", expect: ALLOWED, action: "iam:CreateUser", identity: [pol(allow("*"), { Effect: "Deny", NotAction: "iam:*", Resource: "*" })] },
  { name: "NotAction with a wildcard: PutObject allowed", expect: ALLOWED, action: "s3:PutObject", identity: [pol({ Effect: "Allow", NotAction: "s3:Get*", Resource: "*" })] },
  { name: "NotAction with a wildcard: GetObject not", expect: IMPLICIT, identity: [pol({ Effect: "Allow", NotAction: "s3:Get*", Resource: "*" })] },
  { name: "NotAction list, case-insensitive", expect: IMPLICIT, identity: [pol({ Effect: "Allow", NotAction: ["sqs:*", "S3:GETOBJECT"], Resource: "*" })] },
];

const resources: Case[] = [
  { name: "exact ARN", expect: ALLOWED, identity: [pol(allow("s3:GetObject", OBJ))] },
  { name: "ARNs are case-sensitive", expect: IMPLICIT, identity: [pol(allow("s3:GetObject", "arn:aws:s3:::Bucket/key"))] },
  { name: "bucket/* covers nested keys", expect: ALLOWED, resource: "arn:aws:s3:::bucket/a/b/c", identity: [pol(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))] },
  { name: "bucket/* does not cover the bucket itself", expect: IMPLICIT, resource: "arn:aws:s3:::bucket", identity: [pol(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))] },
  { name: "bucket/* does not cover bucket2", expect: IMPLICIT, resource: "arn:aws:s3:::bucket2/x", identity: [pol(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))] },
  { name: "bucket* covers bucket2/x", expect: ALLOWED, resource: "arn:aws:s3:::bucket2/x", identity: [pol(allow("s3:GetObject", "arn:aws:s3:::bucket*"))] },
  { name: "* covers any ARN", expect: ALLOWED, resource: "arn:aws:sqs:us-east-1:111122223333:q", identity: [pol(allow("s3:GetObject", "*"))] },
  { name: "arn:aws:s3:::* covers a bucket", expect: ALLOWED, resource: "arn:aws:s3:::bucket", identity: [pol(allow("s3:GetObject", "arn:aws:s3:::*"))] },
  { name: "? matches one character", expect: ALLOWED, resource: "arn:aws:s3:::bucket/key1", identity: [pol(allow("s3:GetObject", "arn:aws:s3:::bucket/key?"))] },
  { name: "? does not match two", expect: IMPLICIT, resource: "arn:aws:s3:::bucket/key12", identity: [pol(allow("s3:GetObject", "arn:aws:s3:::bucket/key?"))] },
  { name: "? does not match none", expect: IMPLICIT, resource: "arn:aws:s3:::bucket/key", identity: [pol(allow("s3:GetObject", "arn:aws:s3:::bucket/key?"))] },
  { name: "region and account wildcards", expect: ALLOWED, action: "dynamodb:GetItem", resource: `arn:aws:dynamodb:us-east-1:${A}:table/MyTable`, identity: [pol(allow("dynamodb:*", "arn:aws:dynamodb:*:*:table/MyTable"))] },
  { name: "table/MyTable does not cover MyTable2", expect: IMPLICIT, action: "dynamodb:GetItem", resource: `arn:aws:dynamodb:us-east-1:${A}:table/MyTable2`, identity: [pol(allow("dynamodb:*", "arn:aws:dynamodb:*:*:table/MyTable"))] },
  { name: "table/MyTable does not cover its indexes", expect: IMPLICIT, action: "dynamodb:Query", resource: `arn:aws:dynamodb:us-east-1:${A}:table/MyTable/index/i`, identity: [pol(allow("dynamodb:*", "arn:aws:dynamodb:*:*:table/MyTable"))] },
  { name: "a wildcard inside a segment", expect: ALLOWED, action: "sqs:SendMessage", resource: `arn:aws:sqs:us-east-1:${A}:q`, identity: [pol(allow("sqs:*", `arn:aws:sqs:us-*-1:${A}:q`))] },
  { name: "a mid-segment * does not cross a colon", expect: IMPLICIT, action: "logs:PutLogEvents", resource: `arn:aws:logs:us-east-1:${A}:log-group:a:x:b`, identity: [pol(allow("logs:*", `arn:aws:logs:us-east-1:${A}:log-group:a*b`))] },
  { name: "a segment-ending * crosses colons", expect: ALLOWED, action: "logs:PutLogEvents", resource: `arn:aws:logs:us-east-1:${A}:log-group:a:x:b`, identity: [pol(allow("logs:*", `arn:aws:logs:us-east-1:${A}:log-group:a*`))] },
  { name: "log-group:g:* covers its streams", expect: ALLOWED, action: "logs:PutLogEvents", resource: `arn:aws:logs:us-east-1:${A}:log-group:g:log-stream:s`, identity: [pol(allow("logs:*", `arn:aws:logs:us-east-1:${A}:log-group:g:*`))] },
  { name: "ec2 instance/* covers an instance", expect: ALLOWED, action: "ec2:StopInstances", resource: `arn:aws:ec2:us-east-1:${A}:instance/i-1`, identity: [pol(allow("ec2:*", "arn:aws:ec2:*:*:instance/*"))] },
  { name: "ec2 instance/* does not cover a volume", expect: IMPLICIT, action: "ec2:AttachVolume", resource: `arn:aws:ec2:us-east-1:${A}:volume/v-1`, identity: [pol(allow("ec2:*", "arn:aws:ec2:*:*:instance/*"))] },
  { name: "regex characters are literal", expect: ALLOWED, resource: "arn:aws:s3:::b/a+b(c).txt", identity: [pol(allow("s3:GetObject", "arn:aws:s3:::b/a+b(c).txt"))] },
  { name: "a dot is not any character", expect: IMPLICIT, resource: "arn:aws:s3:::b/abc", identity: [pol(allow("s3:GetObject", "arn:aws:s3:::b/a.c"))] },
  { name: "keys with colons under bucket/*", expect: ALLOWED, resource: "arn:aws:s3:::bucket/a:b", identity: [pol(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))] },
  { name: "a list of resources: the second matches", expect: ALLOWED, identity: [pol(allow("s3:GetObject", ["arn:aws:s3:::x/*", "arn:aws:s3:::bucket/*"]))] },
  { name: "NotResource Allow: outside the list", expect: ALLOWED, identity: [pol({ Effect: "Allow", Action: "s3:*", NotResource: "arn:aws:s3:::HRBucket/Payroll*" })] },
  { name: "NotResource Allow: inside the list", expect: IMPLICIT, resource: "arn:aws:s3:::HRBucket/Payroll/2024", identity: [pol({ Effect: "Allow", Action: "s3:*", NotResource: "arn:aws:s3:::HRBucket/Payroll*" })] },
  ...(() => {
    const identity = [pol(allow("s3:*"), { Effect: "Deny", Action: "s3:*", NotResource: ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"] })];
    return [
      { name: "Deny NotResource: the payroll folder stays allowed", expect: ALLOWED, resource: "arn:aws:s3:::HRBucket/Payroll/jan.csv", identity },
      { name: "Deny NotResource: everything else is denied", expect: EXPLICIT, resource: "arn:aws:s3:::HRBucket/Other", identity },
    ] satisfies Case[];
  })(),
  { name: "NotResource * never applies", expect: IMPLICIT, identity: [pol({ Effect: "Allow", Action: "s3:*", NotResource: "*" })] },
  { name: "iam ARNs with paths", expect: ALLOWED, action: "iam:GetUser", resource: `arn:aws:iam::${A}:user/accounting/alice`, identity: [pol(allow("iam:GetUser", `arn:aws:iam::${A}:user/accounting/*`))] },
  { name: "iam path prefix mismatch", expect: IMPLICIT, action: "iam:GetUser", resource: `arn:aws:iam::${A}:user/sales/alice`, identity: [pol(allow("iam:GetUser", `arn:aws:iam::${A}:user/accounting/*`))] },
];

const strings: Case[] = [
  cond("StringEquals: equal", { StringEquals: { "aws:PrincipalTag/team": "red" } }, { "aws:PrincipalTag/team": "red" }, ALLOWED),
  cond("StringEquals: case differs", { StringEquals: { "aws:PrincipalTag/team": "red" } }, { "aws:PrincipalTag/team": "Red" }, IMPLICIT),
  cond("StringEquals: missing key", { StringEquals: { "aws:PrincipalTag/team": "red" } }, {}, IMPLICIT),
  cond("StringEquals: values are ORed (match)", { StringEquals: { "aws:PrincipalTag/team": ["blue", "red"] } }, { "aws:PrincipalTag/team": "red" }, ALLOWED),
  cond("StringEquals: values are ORed (no match)", { StringEquals: { "aws:PrincipalTag/team": ["blue", "green"] } }, { "aws:PrincipalTag/team": "red" }, IMPLICIT),
  cond("StringEquals: any request value of a list", { StringEquals: { "aws:TagKeys": "b" } }, { "aws:TagKeys": ["a", "b"] }, ALLOWED),
  cond("StringEquals: * is literal", { StringEquals: { "s3:prefix": "a*" } }, { "s3:prefix": "abc" }, IMPLICIT),
  cond("StringEquals: * is literal (equal)", { StringEquals: { "s3:prefix": "a*" } }, { "s3:prefix": "a*" }, ALLOWED),
  cond("StringEquals: numeric request value", { StringEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": 10 }, ALLOWED),
  cond("StringEquals: JSON number in the policy", { StringEquals: { "s3:max-keys": 10 } }, { "s3:max-keys": "10" }, ALLOWED),
  cond("StringEquals: empty string equals empty string", { StringEquals: { "s3:prefix": "" } }, { "s3:prefix": "" }, ALLOWED),
  cond("condition keys are case-insensitive", { StringEquals: { "AWS:PrincipalTag/Team": "red" } }, { "aws:principaltag/team": "red" }, ALLOWED),
  cond("StringNotEquals: different", { StringNotEquals: { "aws:RequestedRegion": "us-east-1" } }, { "aws:RequestedRegion": "eu-west-1" }, ALLOWED),
  cond("StringNotEquals: equal", { StringNotEquals: { "aws:RequestedRegion": "us-east-1" } }, { "aws:RequestedRegion": "us-east-1" }, IMPLICIT),
  cond("StringNotEquals: missing key is true", { StringNotEquals: { "aws:RequestedRegion": "us-east-1" } }, {}, ALLOWED),
  cond("StringNotEquals: values are NORed (one equal)", { StringNotEquals: { "aws:RequestedRegion": ["us-east-1", "eu-west-1"] } }, { "aws:RequestedRegion": "eu-west-1" }, IMPLICIT),
  cond("StringNotEquals: values are NORed (none equal)", { StringNotEquals: { "aws:RequestedRegion": ["us-east-1", "eu-west-1"] } }, { "aws:RequestedRegion": "ap-south-1" }, ALLOWED),
  cond("StringEqualsIgnoreCase: case differs", { StringEqualsIgnoreCase: { "aws:PrincipalTag/role": "admin" } }, { "aws:PrincipalTag/role": "ADMIN" }, ALLOWED),
  cond("StringEqualsIgnoreCase: different", { StringEqualsIgnoreCase: { "aws:PrincipalTag/role": "admin" } }, { "aws:PrincipalTag/role": "adm" }, IMPLICIT),
  cond("StringNotEqualsIgnoreCase: case differs", { StringNotEqualsIgnoreCase: { "aws:PrincipalTag/role": "admin" } }, { "aws:PrincipalTag/role": "Admin" }, IMPLICIT),
  cond("StringNotEqualsIgnoreCase: different", { StringNotEqualsIgnoreCase: { "aws:PrincipalTag/role": "admin" } }, { "aws:PrincipalTag/role": "dev" }, ALLOWED),
  cond("StringNotEqualsIgnoreCase: missing key", { StringNotEqualsIgnoreCase: { "aws:PrincipalTag/role": "admin" } }, {}, ALLOWED),
  cond("StringLike: prefix wildcard", { StringLike: { "s3:prefix": "home/*" } }, { "s3:prefix": "home/alice/x" }, ALLOWED),
  cond("StringLike: no match", { StringLike: { "s3:prefix": "home/*" } }, { "s3:prefix": "work/x" }, IMPLICIT),
  cond("StringLike: ? is one character", { StringLike: { "s3:prefix": "v?" } }, { "s3:prefix": "v2" }, ALLOWED),
  cond("StringLike: ? is not two", { StringLike: { "s3:prefix": "v?" } }, { "s3:prefix": "v22" }, IMPLICIT),
  cond("StringLike: case-sensitive", { StringLike: { "s3:prefix": "Home/*" } }, { "s3:prefix": "home/x" }, IMPLICIT),
  cond("StringLike: \"\" among values (list the root)", { StringLike: { "s3:prefix": ["", "home/"] } }, { "s3:prefix": "" }, ALLOWED),
  cond("StringLike: * needs the key present", { StringLike: { "s3:prefix": "*" } }, {}, IMPLICIT),
  cond("StringLike: * matches any present value", { StringLike: { "s3:prefix": "*" } }, { "s3:prefix": "anything/at/all" }, ALLOWED),
  cond("StringLike: wildcard in the middle", { StringLike: { "aws:UserAgent": "*aws-cli*" } }, { "aws:UserAgent": "aws-cli/2.15 Python/3.11" }, ALLOWED),
  cond("StringNotLike: no match", { StringNotLike: { "s3:prefix": "home/*" } }, { "s3:prefix": "work" }, ALLOWED),
  cond("StringNotLike: match", { StringNotLike: { "s3:prefix": "home/*" } }, { "s3:prefix": "home/x" }, IMPLICIT),
  cond("StringNotLike: missing key is true", { StringNotLike: { "s3:prefix": "home/*" } }, {}, ALLOWED),
  cond("two keys under one operator are ANDed (both)", { StringEquals: { "aws:PrincipalTag/team": "red", "aws:RequestedRegion": "us-east-1" } }, { "aws:PrincipalTag/team": "red", "aws:RequestedRegion": "us-east-1" }, ALLOWED),
  cond("two keys under one operator are ANDed (one fails)", { StringEquals: { "aws:PrincipalTag/team": "red", "aws:RequestedRegion": "us-east-1" } }, { "aws:PrincipalTag/team": "red", "aws:RequestedRegion": "eu-west-1" }, IMPLICIT),
  cond("two operators are ANDed (both)", { StringEquals: { "aws:PrincipalTag/team": "red" }, Bool: { "aws:SecureTransport": "true" } }, { "aws:PrincipalTag/team": "red", "aws:SecureTransport": true }, ALLOWED),
  cond("two operators are ANDed (one fails)", { StringEquals: { "aws:PrincipalTag/team": "red" }, Bool: { "aws:SecureTransport": "true" } }, { "aws:PrincipalTag/team": "red", "aws:SecureTransport": false }, IMPLICIT),
  { name: "a Deny whose condition holds", expect: EXPLICIT, identity: [S3_ALL, pol(deny("s3:*", "*", { Condition: { StringNotEquals: { "aws:RequestedRegion": "us-east-1" } } }))], context: { "aws:RequestedRegion": "eu-west-1" } },
  { name: "a Deny whose condition fails", expect: ALLOWED, identity: [S3_ALL, pol(deny("s3:*", "*", { Condition: { StringNotEquals: { "aws:RequestedRegion": "us-east-1" } } }))], context: { "aws:RequestedRegion": "us-east-1" } },
];

const numbers: Case[] = [
  cond("NumericEquals: equal", { NumericEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": 10 }, ALLOWED),
  cond("NumericEquals: not equal", { NumericEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": 11 }, IMPLICIT),
  cond("NumericEquals: numeric string in the request", { NumericEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": "10" }, ALLOWED),
  cond("NumericEquals: 10.0 equals 10", { NumericEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": "10.0" }, ALLOWED),
  cond("NumericEquals: values are ORed", { NumericEquals: { "s3:max-keys": ["1", "2"] } }, { "s3:max-keys": 2 }, ALLOWED),
  cond("NumericEquals: not a number", { NumericEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": "ten" }, IMPLICIT),
  cond("NumericNotEquals: different", { NumericNotEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": 11 }, ALLOWED),
  cond("NumericNotEquals: equal", { NumericNotEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": 10 }, IMPLICIT),
  cond("NumericNotEquals: missing key", { NumericNotEquals: { "s3:max-keys": "10" } }, {}, ALLOWED),
  cond("NumericLessThan: less", { NumericLessThan: { "s3:max-keys": "10" } }, { "s3:max-keys": 9 }, ALLOWED),
  cond("NumericLessThan: equal", { NumericLessThan: { "s3:max-keys": "10" } }, { "s3:max-keys": 10 }, IMPLICIT),
  cond("NumericLessThan: missing key", { NumericLessThan: { "s3:max-keys": "10" } }, {}, IMPLICIT),
  cond("NumericLessThan: decimals", { NumericLessThan: { "aws:MultiFactorAuthAge": "3.5" } }, { "aws:MultiFactorAuthAge": 2.5 }, ALLOWED),
  cond("NumericLessThanEquals: equal", { NumericLessThanEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": 10 }, ALLOWED),
  cond("NumericLessThanEquals: greater", { NumericLessThanEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": 11 }, IMPLICIT),
  cond("NumericGreaterThan: greater", { NumericGreaterThan: { "s3:max-keys": "10" } }, { "s3:max-keys": 11 }, ALLOWED),
  cond("NumericGreaterThan: equal", { NumericGreaterThan: { "s3:max-keys": "10" } }, { "s3:max-keys": 10 }, IMPLICIT),
  cond("NumericGreaterThanEquals: equal", { NumericGreaterThanEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": 10 }, ALLOWED),
  cond("NumericGreaterThanEquals: less", { NumericGreaterThanEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": 9 }, IMPLICIT),
  cond("NumericLessThan: negative numbers", { NumericLessThan: { "x:n": "-1" } }, { "x:n": -5 }, ALLOWED),
];

const Y2020 = new Date("2020-01-01T00:00:00Z");
const dates: Case[] = [
  cond("DateGreaterThan: later", { DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } }, { "aws:CurrentTime": new Date("2021-06-01T00:00:00Z") }, ALLOWED),
  cond("DateGreaterThan: earlier", { DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } }, { "aws:CurrentTime": new Date("2019-06-01T00:00:00Z") }, IMPLICIT),
  cond("DateGreaterThan: equal", { DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } }, { "aws:CurrentTime": Y2020 }, IMPLICIT),
  cond("DateGreaterThanEquals: equal", { DateGreaterThanEquals: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } }, { "aws:CurrentTime": Y2020 }, ALLOWED),
  cond("DateLessThan: earlier", { DateLessThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } }, { "aws:CurrentTime": new Date("2019-12-31T23:59:59Z") }, ALLOWED),
  cond("DateLessThan: later", { DateLessThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } }, { "aws:CurrentTime": new Date("2020-01-01T00:00:01Z") }, IMPLICIT),
  cond("DateLessThanEquals: equal", { DateLessThanEquals: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } }, { "aws:CurrentTime": Y2020 }, ALLOWED),
  cond("DateEquals: same instant, another offset", { DateEquals: { "aws:CurrentTime": "2020-01-01T01:00:00+01:00" } }, { "aws:CurrentTime": Y2020 }, ALLOWED),
  cond("DateEquals: epoch seconds in the policy", { DateEquals: { "aws:CurrentTime": "1577836800" } }, { "aws:CurrentTime": Y2020 }, ALLOWED),
  cond("DateEquals: epoch seconds in the request", { DateEquals: { "aws:EpochTime": "2020-01-01T00:00:00Z" } }, { "aws:EpochTime": 1577836800 }, ALLOWED),
  cond("DateEquals: ISO text in the request", { DateEquals: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } }, { "aws:CurrentTime": "2020-01-01T00:00:00.000Z" }, ALLOWED),
  cond("DateEquals: different", { DateEquals: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } }, { "aws:CurrentTime": new Date("2020-01-02T00:00:00Z") }, IMPLICIT),
  cond("DateNotEquals: different", { DateNotEquals: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } }, { "aws:CurrentTime": new Date("2020-01-02T00:00:00Z") }, ALLOWED),
  cond("DateNotEquals: equal", { DateNotEquals: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } }, { "aws:CurrentTime": Y2020 }, IMPLICIT),
  cond("DateNotEquals: missing key", { DateNotEquals: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } }, {}, ALLOWED),
  cond("DateGreaterThan: a date without time", { DateGreaterThan: { "aws:CurrentTime": "2020-01-01" } }, { "aws:CurrentTime": new Date("2020-01-02T00:00:00Z") }, ALLOWED),
  cond("DateGreaterThan: missing key", { DateGreaterThan: { "aws:CurrentTime": "2020-01-01" } }, {}, IMPLICIT),
  cond("a time window: inside", { DateGreaterThan: { "aws:CurrentTime": "2017-07-01T00:00:00Z" }, DateLessThan: { "aws:CurrentTime": "2017-12-31T23:59:59Z" } }, { "aws:CurrentTime": new Date("2017-09-01T00:00:00Z") }, ALLOWED),
  cond("a time window: outside", { DateGreaterThan: { "aws:CurrentTime": "2017-07-01T00:00:00Z" }, DateLessThan: { "aws:CurrentTime": "2017-12-31T23:59:59Z" } }, { "aws:CurrentTime": new Date("2018-01-01T00:00:00Z") }, IMPLICIT),
  cond("DateLessThan: token issued before a revocation time", { DateLessThan: { "aws:TokenIssueTime": "2024-05-01T00:00:00Z" } }, { "aws:TokenIssueTime": "2024-04-30T12:00:00Z" }, ALLOWED),
  cond("DateLessThan: unparseable request date", { DateLessThan: { "aws:TokenIssueTime": "2024-05-01T00:00:00Z" } }, { "aws:TokenIssueTime": "yesterday" }, IMPLICIT),
];

const bools: Case[] = [
  cond("Bool: true", { Bool: { "aws:SecureTransport": "true" } }, { "aws:SecureTransport": true }, ALLOWED),
  cond("Bool: false", { Bool: { "aws:SecureTransport": "true" } }, { "aws:SecureTransport": false }, IMPLICIT),
  cond("Bool: string request value", { Bool: { "aws:SecureTransport": "true" } }, { "aws:SecureTransport": "true" }, ALLOWED),
  cond("Bool: missing key", { Bool: { "aws:SecureTransport": "true" } }, {}, IMPLICIT),
  cond("Bool: case-insensitive policy value", { Bool: { "aws:SecureTransport": "TRUE" } }, { "aws:SecureTransport": true }, ALLOWED),
  cond("Bool: JSON boolean in the policy", { Bool: { "aws:SecureTransport": false } }, { "aws:SecureTransport": false }, ALLOWED),
  ...(() => {
    // AWS's "manage your own MFA" example: deny everything but MFA setup when MFA is absent.
    const identity = [
      pol(allow("*"), {
        Sid: "DenyAllExceptListedIfNoMFA",
        Effect: "Deny",
        NotAction: ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices", "sts:GetSessionToken"],
        Resource: "*",
        Condition: { BoolIfExists: { "aws:MultiFactorAuthPresent": "false" } },
      }),
    ];
    return [
      { name: "BoolIfExists MFA deny: MFA false", expect: EXPLICIT, identity, context: { "aws:MultiFactorAuthPresent": false } },
      { name: "BoolIfExists MFA deny: key absent (long-term keys)", expect: EXPLICIT, identity, context: {} },
      { name: "BoolIfExists MFA deny: MFA true", expect: ALLOWED, identity, context: { "aws:MultiFactorAuthPresent": true } },
      { name: "BoolIfExists MFA deny: an exempt action", expect: ALLOWED, action: "iam:EnableMFADevice", identity, context: {} },
    ] satisfies Case[];
  })(),
];

const binary: Case[] = [
  cond("BinaryEquals: equal", { BinaryEquals: { "x:blob": "QmluYXJ5VmFsdWU=" } }, { "x:blob": "QmluYXJ5VmFsdWU=" }, ALLOWED),
  cond("BinaryEquals: different", { BinaryEquals: { "x:blob": "QmluYXJ5VmFsdWU=" } }, { "x:blob": "T3RoZXI=" }, IMPLICIT),
  cond("BinaryEquals: missing key", { BinaryEquals: { "x:blob": "QmluYXJ5VmFsdWU=" } }, {}, IMPLICIT),
];

const ips: Case[] = [
  cond("IpAddress: inside a /24", { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } }, { "aws:SourceIp": "203.0.113.5" }, ALLOWED),
  cond("IpAddress: outside a /24", { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } }, { "aws:SourceIp": "203.0.114.5" }, IMPLICIT),
  cond("IpAddress: a bare address is a /32 (equal)", { IpAddress: { "aws:SourceIp": "203.0.113.5" } }, { "aws:SourceIp": "203.0.113.5" }, ALLOWED),
  cond("IpAddress: a bare address is a /32 (different)", { IpAddress: { "aws:SourceIp": "203.0.113.5" } }, { "aws:SourceIp": "203.0.113.6" }, IMPLICIT),
  cond("IpAddress: /16 upper edge", { IpAddress: { "aws:SourceIp": "10.1.0.0/16" } }, { "aws:SourceIp": "10.1.255.255" }, ALLOWED),
  cond("IpAddress: /16 next network", { IpAddress: { "aws:SourceIp": "10.1.0.0/16" } }, { "aws:SourceIp": "10.2.0.0" }, IMPLICIT),
  cond("IpAddress: /0 is every IPv4 address", { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } }, { "aws:SourceIp": "198.51.100.1" }, ALLOWED),
  cond("IpAddress: values are ORed", { IpAddress: { "aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"] } }, { "aws:SourceIp": "203.0.113.200" }, ALLOWED),
  cond("IpAddress: IPv6 /64", { IpAddress: { "aws:SourceIp": "2001:DB8:1234:5678::/64" } }, { "aws:SourceIp": "2001:db8:1234:5678:abcd::1" }, ALLOWED),
  cond("IpAddress: IPv6 outside", { IpAddress: { "aws:SourceIp": "2001:DB8:1234:5678::/64" } }, { "aws:SourceIp": "2001:db8:1234:5679::1" }, IMPLICIT),
  cond("IpAddress: IPv6 loopback", { IpAddress: { "aws:SourceIp": "::1" } }, { "aws:SourceIp": "::1" }, ALLOWED),
  cond("IpAddress: an IPv4 range never holds IPv6", { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } }, { "aws:SourceIp": "2001:db8::1" }, IMPLICIT),
  cond("IpAddress: IPv4-mapped IPv6 request address", { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } }, { "aws:SourceIp": "::ffff:203.0.113.9" }, ALLOWED),
  cond("IpAddress: not an address", { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } }, { "aws:SourceIp": "not-an-ip" }, IMPLICIT),
  cond("IpAddress: missing key", { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } }, {}, IMPLICIT),
  cond("NotIpAddress: outside", { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" } }, { "aws:SourceIp": "192.0.2.1" }, ALLOWED),
  cond("NotIpAddress: inside", { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" } }, { "aws:SourceIp": "203.0.113.1" }, IMPLICIT),
  cond("NotIpAddress: missing key", { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" } }, {}, ALLOWED),
  ...(() => {
    const identity = [S3_ALL, pol(deny("*", "*", { Condition: { NotIpAddress: { "aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"] } } }))];
    return [
      { name: "Deny unless from the corporate ranges: inside", expect: ALLOWED, identity, context: { "aws:SourceIp": "192.0.2.77" } },
      { name: "Deny unless from the corporate ranges: outside", expect: EXPLICIT, identity, context: { "aws:SourceIp": "198.51.100.7" } },
    ] satisfies Case[];
  })(),
];

const arns: Case[] = [
  cond("ArnEquals: equal", { ArnEquals: { "aws:SourceArn": `arn:aws:sns:us-east-1:${A}:topic` } }, { "aws:SourceArn": `arn:aws:sns:us-east-1:${A}:topic` }, ALLOWED),
  cond("ArnEquals: takes wildcards like ArnLike", { ArnEquals: { "aws:SourceArn": `arn:aws:sns:*:${A}:*` } }, { "aws:SourceArn": `arn:aws:sns:us-east-1:${A}:topic` }, ALLOWED),
  cond("ArnLike: account differs", { ArnLike: { "aws:SourceArn": `arn:aws:sns:*:${A}:*` } }, { "aws:SourceArn": `arn:aws:sns:us-east-1:${B}:topic` }, IMPLICIT),
  cond("ArnLike: partial region", { ArnLike: { "aws:SourceArn": "arn:aws:sqs:us-*:*:q" } }, { "aws:SourceArn": `arn:aws:sqs:us-west-2:${A}:q` }, ALLOWED),
  cond("ArnLike: case-sensitive", { ArnLike: { "aws:SourceArn": "arn:aws:sqs:*:*:Q" } }, { "aws:SourceArn": `arn:aws:sqs:us-west-2:${A}:q` }, IMPLICIT),
  cond("ArnLike: the resource part keeps its colons", { ArnLike: { "aws:SourceArn": `arn:aws:logs:us-east-1:${A}:log-group:*` } }, { "aws:SourceArn": `arn:aws:logs:us-east-1:${A}:log-group:g:log-stream:s` }, ALLOWED),
  cond("ArnLike: a request value that is no ARN", { ArnLike: { "aws:SourceArn": "arn:aws:sqs:*:*:q" } }, { "aws:SourceArn": "q" }, IMPLICIT),
  cond("ArnLike: missing key", { ArnLike: { "aws:SourceArn": "arn:aws:sqs:*:*:q" } }, {}, IMPLICIT),
  cond("ArnNotEquals: different", { ArnNotEquals: { "aws:SourceArn": `arn:aws:sns:us-east-1:${A}:topic` } }, { "aws:SourceArn": `arn:aws:sns:us-east-1:${A}:other` }, ALLOWED),
  cond("ArnNotEquals: equal", { ArnNotEquals: { "aws:SourceArn": `arn:aws:sns:us-east-1:${A}:topic` } }, { "aws:SourceArn": `arn:aws:sns:us-east-1:${A}:topic` }, IMPLICIT),
  cond("ArnNotLike: missing key", { ArnNotLike: { "aws:SourceArn": "arn:aws:sqs:*:*:q" } }, {}, ALLOWED),
  cond("ArnNotLike: match", { ArnNotLike: { "aws:SourceArn": "arn:aws:sqs:*:*:q" } }, { "aws:SourceArn": `arn:aws:sqs:us-east-1:${A}:q` }, IMPLICIT),
  { name: "ArnLike on aws:PrincipalArn (derived from a role session)", expect: ALLOWED, principal: dev, identity: [pol(allow("s3:GetObject", "*", { Condition: { ArnLike: { "aws:PrincipalArn": `arn:aws:iam::${A}:role/D*` } } }))] },
  { name: "ArnLike on aws:PrincipalArn (another role)", expect: IMPLICIT, principal: dev, identity: [pol(allow("s3:GetObject", "*", { Condition: { ArnLike: { "aws:PrincipalArn": `arn:aws:iam::${A}:role/Ops` } } }))] },
];

const nulls: Case[] = [
  cond("Null true: key absent", { Null: { "aws:TokenIssueTime": "true" } }, {}, ALLOWED),
  cond("Null true: key present", { Null: { "aws:TokenIssueTime": "true" } }, { "aws:TokenIssueTime": "2024-01-01T00:00:00Z" }, IMPLICIT),
  cond("Null false: key present", { Null: { "aws:TokenIssueTime": "false" } }, { "aws:TokenIssueTime": "2024-01-01T00:00:00Z" }, ALLOWED),
  cond("Null false: key absent", { Null: { "aws:TokenIssueTime": "false" } }, {}, IMPLICIT),
  cond("Null true: an empty list counts as absent", { Null: { "aws:TagKeys": "true" } }, { "aws:TagKeys": [] }, ALLOWED),
  cond("Null: two keys ANDed", { Null: { "aws:TagKeys": "false", "aws:RequestTag/team": "false" } }, { "aws:TagKeys": ["team"] }, IMPLICIT),
  cond("Null: JSON boolean value", { Null: { "aws:SourceVpc": true } }, {}, ALLOWED),
];

const ifExists: Case[] = [
  cond("StringEqualsIfExists: absent", { StringEqualsIfExists: { "ec2:InstanceType": "t3.micro" } }, {}, ALLOWED),
  cond("StringEqualsIfExists: present and equal", { StringEqualsIfExists: { "ec2:InstanceType": "t3.micro" } }, { "ec2:InstanceType": "t3.micro" }, ALLOWED),
  cond("StringEqualsIfExists: present and different", { StringEqualsIfExists: { "ec2:InstanceType": "t3.micro" } }, { "ec2:InstanceType": "m5.large" }, IMPLICIT),
  cond("StringNotEqualsIfExists: present and equal", { StringNotEqualsIfExists: { "ec2:InstanceType": "t3.micro" } }, { "ec2:InstanceType": "t3.micro" }, IMPLICIT),
  cond("NumericLessThanIfExists: absent", { NumericLessThanIfExists: { "s3:max-keys": "10" } }, {}, ALLOWED),
  cond("NumericLessThanIfExists: present, too big", { NumericLessThanIfExists: { "s3:max-keys": "10" } }, { "s3:max-keys": 50 }, IMPLICIT),
  cond("DateGreaterThanIfExists: absent", { DateGreaterThanIfExists: { "aws:TokenIssueTime": "2020-01-01T00:00:00Z" } }, {}, ALLOWED),
  cond("IpAddressIfExists: absent", { IpAddressIfExists: { "aws:SourceIp": "10.0.0.0/8" } }, {}, ALLOWED),
  cond("IpAddressIfExists: present outside", { IpAddressIfExists: { "aws:SourceIp": "10.0.0.0/8" } }, { "aws:SourceIp": "11.0.0.1" }, IMPLICIT),
  cond("ArnLikeIfExists: absent", { ArnLikeIfExists: { "aws:SourceArn": "arn:aws:sns:*:*:t" } }, {}, ALLOWED),
  cond("ForAnyValue:StringEqualsIfExists: absent", { "ForAnyValue:StringEqualsIfExists": { "aws:TagKeys": "team" } }, {}, ALLOWED),
  cond("ForAnyValue:StringEquals (no IfExists): absent", { "ForAnyValue:StringEquals": { "aws:TagKeys": "team" } }, {}, IMPLICIT),
];

const TAGS2 = ["Dept", "Owner"];
const TAGS_DC = ["DataClass", "Owner"];
const sets: Case[] = [
  cond("ForAllValues:StringEquals: a subset", { "ForAllValues:StringEquals": { "aws:TagKeys": TAGS2 } }, { "aws:TagKeys": ["Dept"] }, ALLOWED),
  cond("ForAllValues:StringEquals: the whole set", { "ForAllValues:StringEquals": { "aws:TagKeys": TAGS2 } }, { "aws:TagKeys": ["Dept", "Owner"] }, ALLOWED),
  cond("ForAllValues:StringEquals: one value outside", { "ForAllValues:StringEquals": { "aws:TagKeys": TAGS2 } }, { "aws:TagKeys": ["Dept", "Other"] }, IMPLICIT),
  cond("ForAllValues:StringEquals: key absent is true", { "ForAllValues:StringEquals": { "aws:TagKeys": TAGS2 } }, {}, ALLOWED),
  cond("ForAllValues:StringEquals: empty list is true", { "ForAllValues:StringEquals": { "aws:TagKeys": TAGS2 } }, { "aws:TagKeys": [] }, ALLOWED),
  cond("ForAllValues:StringEquals: a single string value", { "ForAllValues:StringEquals": { "aws:TagKeys": TAGS2 } }, { "aws:TagKeys": "Dept" }, ALLOWED),
  cond("ForAllValues + Null false: key absent", { "ForAllValues:StringEquals": { "aws:TagKeys": TAGS2 }, Null: { "aws:TagKeys": "false" } }, {}, IMPLICIT),
  cond("ForAnyValue:StringEquals: one matches", { "ForAnyValue:StringEquals": { "aws:TagKeys": TAGS2 } }, { "aws:TagKeys": ["Dept", "X"] }, ALLOWED),
  cond("ForAnyValue:StringEquals: none match", { "ForAnyValue:StringEquals": { "aws:TagKeys": TAGS2 } }, { "aws:TagKeys": ["X", "Y"] }, IMPLICIT),
  cond("ForAnyValue:StringEquals: key absent is false", { "ForAnyValue:StringEquals": { "aws:TagKeys": TAGS2 } }, {}, IMPLICIT),
  cond("ForAnyValue:StringEquals: empty list is false", { "ForAnyValue:StringEquals": { "aws:TagKeys": TAGS2 } }, { "aws:TagKeys": [] }, IMPLICIT),
  cond("ForAllValues:StringNotEquals: absent", { "ForAllValues:StringNotEquals": { "aws:TagKeys": TAGS_DC } }, {}, ALLOWED),
  cond("ForAllValues:StringNotEquals: [DataClass, Owner]", { "ForAllValues:StringNotEquals": { "aws:TagKeys": TAGS_DC } }, { "aws:TagKeys": ["DataClass", "Owner"] }, IMPLICIT),
  cond("ForAllValues:StringNotEquals: [DataClass, Dept]", { "ForAllValues:StringNotEquals": { "aws:TagKeys": TAGS_DC } }, { "aws:TagKeys": ["DataClass", "Dept"] }, IMPLICIT),
  cond("ForAllValues:StringNotEquals: [Dept]", { "ForAllValues:StringNotEquals": { "aws:TagKeys": TAGS_DC } }, { "aws:TagKeys": ["Dept"] }, ALLOWED),
  cond("ForAllValues:StringNotEquals: [Dept, SIC]", { "ForAllValues:StringNotEquals": { "aws:TagKeys": TAGS_DC } }, { "aws:TagKeys": ["Dept", "SIC"] }, ALLOWED),
  cond("ForAllValues:StringNotEquals: [Dept, SIC, DataClass]", { "ForAllValues:StringNotEquals": { "aws:TagKeys": TAGS_DC } }, { "aws:TagKeys": ["Dept", "SIC", "DataClass"] }, IMPLICIT),
  cond("ForAnyValue:StringNotEquals: absent", { "ForAnyValue:StringNotEquals": { "aws:TagKeys": TAGS_DC } }, {}, IMPLICIT),
  cond("ForAnyValue:StringNotEquals: [DataClass, Owner]", { "ForAnyValue:StringNotEquals": { "aws:TagKeys": TAGS_DC } }, { "aws:TagKeys": ["DataClass", "Owner"] }, IMPLICIT),
  cond("ForAnyValue:StringNotEquals: [Dept, DataClass]", { "ForAnyValue:StringNotEquals": { "aws:TagKeys": TAGS_DC } }, { "aws:TagKeys": ["Dept", "DataClass"] }, ALLOWED),
  cond("ForAnyValue:StringNotEquals: [Dept, SIC]", { "ForAnyValue:StringNotEquals": { "aws:TagKeys": TAGS_DC } }, { "aws:TagKeys": ["Dept", "SIC"] }, ALLOWED),
  cond("ForAnyValue:StringNotEquals: [Dept, SIC, DataClass]", { "ForAnyValue:StringNotEquals": { "aws:TagKeys": TAGS_DC } }, { "aws:TagKeys": ["Dept", "SIC", "DataClass"] }, ALLOWED),
  cond("ForAllValues:StringLike: requested attributes in the list", { "ForAllValues:StringLike": { "dynamodb:requestedAttributes": ["PostDateTime", "Message", "Tags"] } }, { "dynamodb:requestedAttributes": ["PostDateTime", "Message"] }, ALLOWED),
  cond("ForAllValues:StringLike: UserName not in the list", { "ForAllValues:StringLike": { "dynamodb:requestedAttributes": ["PostDateTime", "Message", "Tags"] } }, { "dynamodb:requestedAttributes": ["PostDateTime", "UserName"] }, IMPLICIT),
  cond("ForAllValues:StringLike: wildcard prefixes", { "ForAllValues:StringLike": { "aws:TagKeys": ["key1*"] } }, { "aws:TagKeys": ["key1-a", "key1-b"] }, ALLOWED),
  cond("ForAllValues:StringNotLike: none start with key1", { "ForAllValues:StringNotLike": { "aws:TagKeys": ["key1*"] } }, { "aws:TagKeys": ["a", "b"] }, ALLOWED),
  cond("ForAllValues:StringNotLike: one starts with key1", { "ForAllValues:StringNotLike": { "aws:TagKeys": ["key1*"] } }, { "aws:TagKeys": ["a", "key1x"] }, IMPLICIT),
  cond("ForAnyValue:StringEqualsIgnoreCase", { "ForAnyValue:StringEqualsIgnoreCase": { "aws:TagKeys": ["dept"] } }, { "aws:TagKeys": ["DEPT"] }, ALLOWED),
  cond("ForAnyValue:NumericGreaterThan", { "ForAnyValue:NumericGreaterThan": { "x:sizes": "100" } }, { "x:sizes": ["5", "500"] }, ALLOWED),
  cond("ForAllValues:NumericLessThan: one too big", { "ForAllValues:NumericLessThan": { "x:sizes": "100" } }, { "x:sizes": ["5", "500"] }, IMPLICIT),
  ...(() => {
    // AWS's DynamoDB example: deny PutItem when any requested attribute is ID or PostDateTime.
    const identity = [
      pol(allow("dynamodb:PutItem"), deny("dynamodb:PutItem", "*", { Condition: { "ForAnyValue:StringLike": { "dynamodb:requestedAttributes": ["ID", "PostDateTime"] } } })),
    ];
    return [
      { name: "ForAnyValue deny: UserName, Message, PostDateTime", expect: EXPLICIT, action: "dynamodb:PutItem", identity, context: { "dynamodb:requestedAttributes": ["UserName", "Message", "PostDateTime"] } },
      { name: "ForAnyValue deny: UserName only", expect: ALLOWED, action: "dynamodb:PutItem", identity, context: { "dynamodb:requestedAttributes": ["UserName"] } },
    ] satisfies Case[];
  })(),
  {
    name: "ForAllValues in a Deny: an absent key makes the Deny apply",
    expect: EXPLICIT,
    identity: [S3_ALL, pol(deny("s3:*", "*", { Condition: { "ForAllValues:StringNotLike": { "aws:TagKeys": "key1*" } } }))],
  },
];

const homeDir = (version?: string): Obj => ({
  ...(version ? { Version: version } : {}),
  Statement: [allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::mybucket/${aws:username}/*")],
});
const variables: Case[] = [
  { name: "${aws:username} in Resource: own folder", expect: ALLOWED, resource: "arn:aws:s3:::mybucket/alice/notes.txt", identity: [homeDir("2012-10-17")] },
  { name: "${aws:username} in Resource: another user's folder", expect: IMPLICIT, resource: "arn:aws:s3:::mybucket/bob/notes.txt", identity: [homeDir("2012-10-17")] },
  { name: "${aws:username} from the context wins", expect: ALLOWED, resource: "arn:aws:s3:::mybucket/zed/x", identity: [homeDir("2012-10-17")], context: { "aws:username": "zed" } },
  { name: "Version 2008-10-17: variables are literal", expect: IMPLICIT, resource: "arn:aws:s3:::mybucket/alice/notes.txt", identity: [homeDir("2008-10-17")] },
  { name: "Version 2008-10-17: the literal text matches", expect: ALLOWED, resource: "arn:aws:s3:::mybucket/${aws:username}/x", identity: [homeDir("2008-10-17")] },
  { name: "no Version: variables are literal", expect: IMPLICIT, resource: "arn:aws:s3:::mybucket/alice/notes.txt", identity: [homeDir()] },
  { name: "a role session has no aws:username", expect: IMPLICIT, principal: dev, resource: "arn:aws:s3:::mybucket/Dev/x", identity: [homeDir("2012-10-17")] },
  { name: "${aws:userid} from the context", expect: ALLOWED, resource: "arn:aws:s3:::mybucket/home/AIDAALICE00000000001/x", identity: [pol(allow("s3:*", "arn:aws:s3:::mybucket/home/${aws:userid}/*"))], context: { "aws:userid": "AIDAALICE00000000001" } },
  { name: "${aws:userid} derived from the principal", expect: ALLOWED, resource: "arn:aws:s3:::mybucket/home/AIDAALICE00000000001/x", identity: [pol(allow("s3:*", "arn:aws:s3:::mybucket/home/${aws:userid}/*"))] },
  { name: "${aws:PrincipalTag/team}: tag present", expect: ALLOWED, resource: "arn:aws:s3:::bucket/red", identity: [pol(allow("s3:*", "arn:aws:s3:::bucket/${aws:PrincipalTag/team}"))], context: { "aws:PrincipalTag/team": "red" } },
  { name: "${aws:PrincipalTag/team}: tag absent", expect: IMPLICIT, resource: "arn:aws:s3:::bucket/red", identity: [pol(allow("s3:*", "arn:aws:s3:::bucket/${aws:PrincipalTag/team}"))] },
  { name: "a default value when the key is absent", expect: ALLOWED, resource: "arn:aws:s3:::bucket/shared", identity: [pol(allow("s3:*", "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'shared'}"))] },
  { name: "the default is not used when the key is present", expect: IMPLICIT, resource: "arn:aws:s3:::bucket/shared", identity: [pol(allow("s3:*", "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'shared'}"))], context: { "aws:PrincipalTag/team": "red" } },
  { name: "${*} is a literal asterisk (literal)", expect: ALLOWED, resource: "arn:aws:s3:::bucket/*", identity: [pol(allow("s3:*", "arn:aws:s3:::bucket/${*}"))] },
  { name: "${*} is a literal asterisk (not a wildcard)", expect: IMPLICIT, resource: "arn:aws:s3:::bucket/x", identity: [pol(allow("s3:*", "arn:aws:s3:::bucket/${*}"))] },
  { name: "${?} is a literal question mark", expect: ALLOWED, resource: "arn:aws:s3:::bucket/what?", identity: [pol(allow("s3:*", "arn:aws:s3:::bucket/what${?}"))] },
  { name: "${?} is not a wildcard", expect: IMPLICIT, resource: "arn:aws:s3:::bucket/whatx", identity: [pol(allow("s3:*", "arn:aws:s3:::bucket/what${?}"))] },
  { name: "${$} is a literal dollar", expect: ALLOWED, resource: "arn:aws:s3:::bucket/$HOME", identity: [pol(allow("s3:*", "arn:aws:s3:::bucket/${$}HOME"))] },
  { name: "a substituted value is literal, not a wildcard", expect: IMPLICIT, resource: "arn:aws:s3:::bucket/xyz", identity: [pol(allow("s3:*", "arn:aws:s3:::bucket/${aws:PrincipalTag/p}"))], context: { "aws:PrincipalTag/p": "x*" } },
  { name: "a substituted value matches itself", expect: ALLOWED, resource: "arn:aws:s3:::bucket/x*", identity: [pol(allow("s3:*", "arn:aws:s3:::bucket/${aws:PrincipalTag/p}"))], context: { "aws:PrincipalTag/p": "x*" } },
  { name: "variable keys are case-insensitive", expect: ALLOWED, resource: "arn:aws:s3:::mybucket/alice/x", identity: [pol(allow("s3:*", "arn:aws:s3:::mybucket/${AWS:UserName}/*"))] },
  { name: "a multivalued key cannot be a variable", expect: IMPLICIT, resource: "arn:aws:s3:::bucket/a", identity: [pol(allow("s3:*", "arn:aws:s3:::bucket/${aws:TagKeys}"))], context: { "aws:TagKeys": ["a", "b"] } },
  { name: "a one-element list can", expect: ALLOWED, resource: "arn:aws:s3:::bucket/a", identity: [pol(allow("s3:*", "arn:aws:s3:::bucket/${aws:TagKeys}"))], context: { "aws:TagKeys": ["a"] } },
  { name: "ListBucket with s3:prefix ${aws:username}/*: own prefix", expect: ALLOWED, action: "s3:ListBucket", resource: "arn:aws:s3:::mybucket", identity: [pol(allow("s3:ListBucket", "arn:aws:s3:::mybucket", { Condition: { StringLike: { "s3:prefix": ["${aws:username}/*"] } } }))], context: { "s3:prefix": "alice/docs" } },
  { name: "ListBucket with s3:prefix ${aws:username}/*: other prefix", expect: IMPLICIT, action: "s3:ListBucket", resource: "arn:aws:s3:::mybucket", identity: [pol(allow("s3:ListBucket", "arn:aws:s3:::mybucket", { Condition: { StringLike: { "s3:prefix": ["${aws:username}/*"] } } }))], context: { "s3:prefix": "bob/docs" } },
  cond("StringEquals with a variable: equal", { StringEquals: { "ec2:ResourceTag/Owner": "${aws:username}" } }, { "ec2:ResourceTag/Owner": "alice" }, ALLOWED),
  cond("StringEquals with a variable: different", { StringEquals: { "ec2:ResourceTag/Owner": "${aws:username}" } }, { "ec2:ResourceTag/Owner": "bob" }, IMPLICIT),
  cond("StringEquals with tag variables on both sides", { StringEquals: { "aws:ResourceTag/team": "${aws:PrincipalTag/team}" } }, { "aws:ResourceTag/team": "red", "aws:PrincipalTag/team": "red" }, ALLOWED),
  cond("StringEquals with an unresolved variable", { StringEquals: { "aws:ResourceTag/team": "${aws:PrincipalTag/team}" } }, { "aws:ResourceTag/team": "red" }, IMPLICIT),
  cond("StringNotEquals with an unresolved variable is false", { StringNotEquals: { "aws:ResourceTag/team": "${aws:PrincipalTag/team}" } }, { "aws:ResourceTag/team": "red" }, IMPLICIT),
  cond("an unresolved value does not stop another value matching", { StringEquals: { "aws:ResourceTag/team": ["${aws:PrincipalTag/team}", "red"] } }, { "aws:ResourceTag/team": "red" }, ALLOWED),
  cond("ArnLike with a variable", { ArnLike: { "aws:SourceArn": "arn:aws:sqs:*:*:${aws:username}-*" } }, { "aws:SourceArn": `arn:aws:sqs:us-east-1:${A}:alice-queue` }, ALLOWED),
  cond("ArnLike with a variable in the account part", { ArnLike: { "aws:SourceArn": "arn:aws:sqs:*:${aws:PrincipalAccount}:*" } }, { "aws:SourceArn": `arn:aws:sqs:us-east-1:${A}:q` }, ALLOWED),
  cond("ArnLike with a variable in the account part (other account)", { ArnLike: { "aws:SourceArn": "arn:aws:sqs:*:${aws:PrincipalAccount}:*" } }, { "aws:SourceArn": `arn:aws:sqs:us-east-1:${B}:q` }, IMPLICIT),
  { name: "anonymous: ${aws:userid, 'anonymous'} default", expect: ALLOWED, principal: anon, resource: "arn:aws:s3:::bucket/anonymous/x", resourcePolicy: pol(rAllow("*", "s3:GetObject", "arn:aws:s3:::bucket/${aws:userid, 'anonymous'}/*")) },
  { name: "a variable in a bucket policy resolves for the caller", expect: ALLOWED, resource: "arn:aws:s3:::bucket/alice/x", resourcePolicy: pol(rAllow(aws(A, alice.arn!), "s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*")) },
  { name: "an SQS queue named after the user", expect: ALLOWED, action: "sqs:SendMessage", resource: `arn:aws:sqs:us-east-2:${A}:alice-queue`, identity: [pol(allow("sqs:*", "arn:aws:sqs:us-east-2:*:${aws:username}-queue"))] },
  { name: "${aws:PrincipalAccount} derived", expect: ALLOWED, resource: `arn:aws:s3:::logs-${A}/x`, identity: [pol(allow("s3:*", "arn:aws:s3:::logs-${aws:PrincipalAccount}/*"))] },
];

const sameAccount: Case[] = [
  { name: "bucket policy names the user; no identity policy", expect: ALLOWED, resourcePolicy: pol(rAllow(aws(alice.arn!))) },
  { name: "bucket policy names another user", expect: IMPLICIT, resourcePolicy: pol(rAllow(aws(mallory.arn!))) },
  { name: "bucket policy names the account root: delegation only", expect: IMPLICIT, resourcePolicy: pol(rAllow(aws(`arn:aws:iam::${A}:root`))) },
  { name: "bucket policy names the account id: delegation only", expect: IMPLICIT, resourcePolicy: pol(rAllow(aws(A))) },
  { name: "bucket policy names the account, identity policy allows", expect: ALLOWED, identity: [GET_OBJECT], resourcePolicy: pol(rAllow(aws(A))) },
  { name: "bucket policy Principal *", expect: ALLOWED, resourcePolicy: pol(rAllow("*")) },
  { name: "bucket policy Principal {AWS: *}", expect: ALLOWED, resourcePolicy: pol(rAllow({ AWS: "*" })) },
  { name: "identity allows, bucket policy silent on the user", expect: ALLOWED, identity: [GET_OBJECT], resourcePolicy: pol(rAllow(aws(mallory.arn!))) },
  { name: "identity allows, bucket policy denies everyone", expect: EXPLICIT, identity: [GET_OBJECT], resourcePolicy: pol(rDeny("*")) },
  { name: "identity allows, bucket policy denies the user", expect: EXPLICIT, identity: [GET_OBJECT], resourcePolicy: pol(rDeny(aws(alice.arn!))) },
  { name: "identity allows, bucket policy denies the account", expect: EXPLICIT, identity: [GET_OBJECT], resourcePolicy: pol(rDeny(aws(A))) },
  { name: "identity allows, bucket policy denies another user", expect: ALLOWED, identity: [GET_OBJECT], resourcePolicy: pol(rDeny(aws(mallory.arn!))) },
  { name: "bucket policy allow with a failing condition", expect: IMPLICIT, resourcePolicy: pol(rAllow(aws(alice.arn!), "s3:*", "arn:aws:s3:::bucket/*", { Condition: { Bool: { "aws:SecureTransport": "true" } } })), context: { "aws:SecureTransport": false } },
  { name: "bucket policy deny over plain HTTP", expect: EXPLICIT, identity: [S3_ALL], resourcePolicy: pol(rDeny("*", "s3:*", ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"], { Condition: { Bool: { "aws:SecureTransport": "false" } } })), context: { "aws:SecureTransport": false } },
  { name: "bucket policy deny over plain HTTP, request over TLS", expect: ALLOWED, identity: [S3_ALL], resourcePolicy: pol(rDeny("*", "s3:*", ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"], { Condition: { Bool: { "aws:SecureTransport": "false" } } })), context: { "aws:SecureTransport": true } },
  { name: "bucket policy for another action", expect: IMPLICIT, resourcePolicy: pol(rAllow(aws(alice.arn!), "s3:PutObject")) },
  { name: "bucket policy for another resource", expect: IMPLICIT, resourcePolicy: pol(rAllow(aws(alice.arn!), "s3:*", "arn:aws:s3:::other/*")) },
  { name: "a resource policy statement without Resource covers the resource", expect: ALLOWED, action: "sns:Publish", resource: `arn:aws:sns:us-east-1:${A}:t`, resourcePolicy: pol({ Effect: "Allow", Principal: aws(alice.arn!), Action: "sns:Publish" }) },
  // Permissions boundaries against what a resource policy grants (user ARN: not limited).
  { name: "user: boundary silent, bucket policy names the user", expect: ALLOWED, boundary: pol(allow("sqs:*")), resourcePolicy: pol(rAllow(aws(alice.arn!))) },
  { name: "user: boundary silent, identity allows", expect: IMPLICIT, identity: [S3_ALL], boundary: pol(allow("sqs:*")) },
  { name: "user: boundary and identity allow", expect: ALLOWED, identity: [S3_ALL], boundary: pol(allow("s3:GetObject")) },
  { name: "user: boundary denies, bucket policy names the user", expect: EXPLICIT, boundary: pol(allow("*"), deny("s3:*")), resourcePolicy: pol(rAllow(aws(alice.arn!))) },
  // Role ARN vs role session ARN.
  { name: "session: bucket policy names the role", expect: ALLOWED, principal: dev, resourcePolicy: pol(rAllow(aws(`arn:aws:iam::${A}:role/Dev`))) },
  { name: "session: bucket policy names another role", expect: IMPLICIT, principal: dev, resourcePolicy: pol(rAllow(aws(`arn:aws:iam::${A}:role/Ops`))) },
  { name: "session: role named with a path (path unknown from the session ARN)", expect: ALLOWED, principal: dev, resourcePolicy: pol(rAllow(aws(`arn:aws:iam::${A}:role/team/Dev`))) },
  { name: "session: role ARN known, path matches", expect: ALLOWED, principal: devWithPath, resourcePolicy: pol(rAllow(aws(`arn:aws:iam::${A}:role/team/Dev`))) },
  { name: "session: role ARN known, path differs", expect: IMPLICIT, principal: devWithPath, resourcePolicy: pol(rAllow(aws(`arn:aws:iam::${A}:role/Dev`))) },
  { name: "session: bucket names the role, boundary silent", expect: IMPLICIT, principal: dev, boundary: pol(allow("sqs:*")), resourcePolicy: pol(rAllow(aws(`arn:aws:iam::${A}:role/Dev`))) },
  { name: "session: bucket names the role, session policy silent", expect: IMPLICIT, principal: dev, session: [pol(allow("sqs:*"))], resourcePolicy: pol(rAllow(aws(`arn:aws:iam::${A}:role/Dev`))) },
  { name: "session: bucket names the role, session policy allows", expect: ALLOWED, principal: dev, session: [pol(allow("s3:Get*"))], resourcePolicy: pol(rAllow(aws(`arn:aws:iam::${A}:role/Dev`))) },
  { name: "session: bucket names the session, boundary silent", expect: ALLOWED, principal: dev, boundary: pol(allow("sqs:*")), resourcePolicy: pol(rAllow(aws(dev.arn!))) },
  { name: "session: bucket names the session, session policy silent", expect: ALLOWED, principal: dev, session: [pol(allow("sqs:*"))], resourcePolicy: pol(rAllow(aws(dev.arn!))) },
  { name: "session: bucket names another session of the role", expect: IMPLICIT, principal: dev2, resourcePolicy: pol(rAllow(aws(dev.arn!))) },
  { name: "session: bucket names the account only", expect: IMPLICIT, principal: dev, resourcePolicy: pol(rAllow(aws(A))) },
  // Session policies against identity policies.
  { name: "session: identity and session policy allow", expect: ALLOWED, principal: dev, identity: [S3_ALL], session: [GET_OBJECT] },
  { name: "session: identity allows, session policy silent", expect: IMPLICIT, principal: dev, identity: [S3_ALL], session: [pol(allow("s3:PutObject"))] },
  { name: "session: identity allows, no session policy", expect: ALLOWED, principal: dev, identity: [S3_ALL] },
  { name: "session: session policy allows, identity silent", expect: IMPLICIT, principal: dev, identity: [pol(allow("sqs:*"))], session: [S3_ALL] },
  { name: "session: several session policies are one set", expect: ALLOWED, principal: dev, identity: [S3_ALL], session: [pol(allow("sqs:*")), GET_OBJECT] },
  { name: "session: a Deny in a session policy", expect: EXPLICIT, principal: dev, identity: [S3_ALL], session: [pol(allow("*"), deny("s3:GetObject"))] },
  { name: "session: identity, boundary and session policy allow", expect: ALLOWED, principal: dev, identity: [S3_ALL], boundary: pol(allow("s3:*")), session: [pol(allow("s3:Get*"))] },
  // GetFederationToken sessions.
  { name: "federated user: no session policy means no permissions", expect: IMPLICIT, principal: fedUser, identity: [S3_ALL] },
  { name: "federated user: identity and session policy allow", expect: ALLOWED, principal: fedUser, identity: [S3_ALL], session: [GET_OBJECT] },
  { name: "federated user: bucket policy names the federated user", expect: ALLOWED, principal: fedUser, resourcePolicy: pol(rAllow(aws(fedUser.arn!))) },
  // Service principals.
  { name: "service: bucket policy names the service", expect: ALLOWED, principal: cloudtrail, action: "s3:PutObject", resourcePolicy: pol(rAllow({ Service: "cloudtrail.amazonaws.com" })) },
  { name: "service: bucket policy names another service", expect: IMPLICIT, principal: cloudtrail, action: "s3:PutObject", resourcePolicy: pol(rAllow({ Service: "config.amazonaws.com" })) },
  { name: "service: a list of services", expect: ALLOWED, principal: cloudtrail, action: "s3:PutObject", resourcePolicy: pol(rAllow({ Service: ["config.amazonaws.com", "cloudtrail.amazonaws.com"] })) },
  { name: "service: aws:SourceArn condition holds", expect: ALLOWED, principal: cloudtrail, action: "s3:PutObject", resourcePolicy: pol(rAllow({ Service: "cloudtrail.amazonaws.com" }, "s3:PutObject", "arn:aws:s3:::bucket/*", { Condition: { ArnLike: { "aws:SourceArn": `arn:aws:cloudtrail:*:${A}:trail/*` } } })), context: { "aws:SourceArn": `arn:aws:cloudtrail:us-east-1:${A}:trail/main` } },
  { name: "service: aws:SourceArn from another account", expect: IMPLICIT, principal: cloudtrail, action: "s3:PutObject", resourcePolicy: pol(rAllow({ Service: "cloudtrail.amazonaws.com" }, "s3:PutObject", "arn:aws:s3:::bucket/*", { Condition: { ArnLike: { "aws:SourceArn": `arn:aws:cloudtrail:*:${A}:trail/*` } } })), context: { "aws:SourceArn": `arn:aws:cloudtrail:us-east-1:${B}:trail/main` } },
  { name: "service: not an AWS principal", expect: IMPLICIT, principal: cloudtrail, action: "s3:PutObject", resourcePolicy: pol(rAllow(aws(A))) },
];

const crossAccount: Case[] = [
  { name: "both sides allow (bucket names the user)", expect: ALLOWED, principal: bob, resourceAccount: A, identity: [GET_OBJECT], resourcePolicy: pol(rAllow(aws(bob.arn!))) },
  { name: "both sides allow (bucket names the account id)", expect: ALLOWED, principal: bob, resourceAccount: A, identity: [GET_OBJECT], resourcePolicy: pol(rAllow(aws(B))) },
  { name: "both sides allow (bucket names the account root)", expect: ALLOWED, principal: bob, resourceAccount: A, identity: [GET_OBJECT], resourcePolicy: pol(rAllow(aws(`arn:aws:iam::${B}:root`))) },
  { name: "both sides allow (bucket Principal *)", expect: ALLOWED, principal: bob, resourceAccount: A, identity: [GET_OBJECT], resourcePolicy: pol(rAllow("*")) },
  { name: "identity allows, no bucket policy", expect: IMPLICIT, principal: bob, resourceAccount: A, identity: [S3_ALL] },
  { name: "bucket policy names the user, no identity policy", expect: IMPLICIT, principal: bob, resourceAccount: A, resourcePolicy: pol(rAllow(aws(bob.arn!))) },
  { name: "bucket policy names the user's account, no identity policy", expect: IMPLICIT, principal: bob, resourceAccount: A, resourcePolicy: pol(rAllow(aws(B))) },
  { name: "bucket policy names only the owner account", expect: IMPLICIT, principal: bob, resourceAccount: A, identity: [S3_ALL], resourcePolicy: pol(rAllow(aws(A))) },
  { name: "bucket policy names another user of the account", expect: IMPLICIT, principal: bob, resourceAccount: A, identity: [S3_ALL], resourcePolicy: pol(rAllow(aws(carolB.arn!))) },
  { name: "bucket policy denies the user", expect: EXPLICIT, principal: bob, resourceAccount: A, identity: [S3_ALL], resourcePolicy: pol(rAllow(aws(B)), rDeny(aws(bob.arn!))) },
  { name: "identity denies, bucket allows", expect: EXPLICIT, principal: bob, resourceAccount: A, identity: [pol(deny("s3:*"))], resourcePolicy: pol(rAllow(aws(bob.arn!))) },
  { name: "boundary silent, both sides allow", expect: IMPLICIT, principal: bob, resourceAccount: A, identity: [S3_ALL], boundary: pol(allow("sqs:*")), resourcePolicy: pol(rAllow(aws(bob.arn!))) },
  { name: "boundary allows, both sides allow", expect: ALLOWED, principal: bob, resourceAccount: A, identity: [S3_ALL], boundary: pol(allow("s3:Get*")), resourcePolicy: pol(rAllow(aws(bob.arn!))) },
  { name: "a role session: bucket names the role, identity allows", expect: ALLOWED, principal: auditB, resourceAccount: A, identity: [S3_ALL], resourcePolicy: pol(rAllow(aws(`arn:aws:iam::${B}:role/cross-account-read-only-role`))) },
  { name: "a role session: bucket names the role, identity silent", expect: IMPLICIT, principal: auditB, resourceAccount: A, resourcePolicy: pol(rAllow(aws(`arn:aws:iam::${B}:role/cross-account-read-only-role`))) },
  { name: "a role session: bucket names the session, session policy silent", expect: IMPLICIT, principal: auditB, resourceAccount: A, identity: [S3_ALL], session: [pol(allow("sqs:*"))], resourcePolicy: pol(rAllow(aws(auditB.arn!))) },
  { name: "the other account's root: bucket names the account", expect: ALLOWED, principal: rootB, resourceAccount: A, resourcePolicy: pol(rAllow(aws(B))) },
  { name: "the other account's root: no bucket policy", expect: IMPLICIT, principal: rootB, resourceAccount: A },
  { name: "the other account's root: bucket names another account", expect: IMPLICIT, principal: rootB, resourceAccount: A, resourcePolicy: pol(rAllow(aws(A))) },
  { name: "resourceAccount equal to the caller's is same-account", expect: ALLOWED, resourceAccount: A, resourcePolicy: pol(rAllow(aws(alice.arn!))) },
  { name: "cross-account bucket policy with aws:PrincipalOrgID", expect: ALLOWED, principal: bob, resourceAccount: A, identity: [S3_ALL], resourcePolicy: pol(rAllow("*", "s3:*", "arn:aws:s3:::bucket/*", { Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc" } } })), context: { "aws:PrincipalOrgID": "o-abc" } },
  { name: "cross-account bucket policy with aws:PrincipalOrgID (other org)", expect: IMPLICIT, principal: bob, resourceAccount: A, identity: [S3_ALL], resourcePolicy: pol(rAllow("*", "s3:*", "arn:aws:s3:::bucket/*", { Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc" } } })), context: { "aws:PrincipalOrgID": "o-xyz" } },
];

const root: Case[] = [
  { name: "root in its own account, no policies", expect: ALLOWED, principal: rootA },
  { name: "root: any action", expect: ALLOWED, principal: rootA, action: "iam:CreateUser", resource: `arn:aws:iam::${A}:user/x` },
  { name: "root: a resource policy Deny for everyone", expect: EXPLICIT, principal: rootA, resourcePolicy: pol(rDeny("*")) },
  { name: "root: a resource policy Deny for the account", expect: EXPLICIT, principal: rootA, resourcePolicy: pol(rDeny(aws(A))) },
  { name: "root: a resource policy Deny for another user", expect: ALLOWED, principal: rootA, resourcePolicy: pol(rDeny(aws(mallory.arn!))) },
  { name: "root: Deny with NotPrincipal listing the account", expect: ALLOWED, principal: rootA, resourcePolicy: pol({ ...rDeny(aws(A)), Principal: undefined, NotPrincipal: aws(`arn:aws:iam::${A}:root`) }) },
  { name: "root: a key policy that enables the account", expect: ALLOWED, principal: rootA, action: "kms:Decrypt", resource: `arn:aws:kms:us-east-1:${A}:key/k`, require: true, resourcePolicy: pol(rAllow(aws(`arn:aws:iam::${A}:root`), "kms:*", "*")) },
  { name: "root: a key policy that does not name the account", expect: IMPLICIT, principal: rootA, action: "kms:Decrypt", resource: `arn:aws:kms:us-east-1:${A}:key/k`, require: true, resourcePolicy: pol(rAllow(aws(alice.arn!), "kms:*", "*")) },
];

const anonymous: Case[] = [
  { name: "anonymous: no resource policy", expect: IMPLICIT, principal: anon },
  { name: "anonymous: Principal *", expect: ALLOWED, principal: anon, resourcePolicy: pol(rAllow("*", "s3:GetObject")) },
  { name: "anonymous: Principal {AWS: *}", expect: ALLOWED, principal: anon, resourcePolicy: pol(rAllow({ AWS: "*" }, "s3:GetObject")) },
  { name: "anonymous: Principal * for another action", expect: IMPLICIT, principal: anon, action: "s3:PutObject", resourcePolicy: pol(rAllow("*", "s3:GetObject")) },
  { name: "anonymous: the account is not anonymous", expect: IMPLICIT, principal: anon, resourcePolicy: pol(rAllow(aws(A))) },
  { name: "anonymous: a user is not anonymous", expect: IMPLICIT, principal: anon, resourcePolicy: pol(rAllow(aws(alice.arn!))) },
  { name: "anonymous: identity policies do not apply", expect: IMPLICIT, principal: anon, identity: [S3_ALL] },
  { name: "anonymous: public read with an IP condition (inside)", expect: ALLOWED, principal: anon, resourcePolicy: pol(rAllow("*", "s3:GetObject", "arn:aws:s3:::bucket/*", { Condition: { IpAddress: { "aws:SourceIp": "192.0.2.0/24" } } })), context: { "aws:SourceIp": "192.0.2.9" } },
  { name: "anonymous: public read with an IP condition (outside)", expect: IMPLICIT, principal: anon, resourcePolicy: pol(rAllow("*", "s3:GetObject", "arn:aws:s3:::bucket/*", { Condition: { IpAddress: { "aws:SourceIp": "192.0.2.0/24" } } })), context: { "aws:SourceIp": "198.51.100.9" } },
  { name: "anonymous: public read, Deny over HTTP", expect: EXPLICIT, principal: anon, resourcePolicy: pol(rAllow("*", "s3:GetObject"), rDeny("*", "s3:*", "arn:aws:s3:::bucket/*", { Condition: { Bool: { "aws:SecureTransport": "false" } } })), context: { "aws:SecureTransport": false } },
  { name: "anonymous: Allow with NotPrincipal includes anonymous", expect: ALLOWED, principal: anon, resourcePolicy: pol({ ...rAllow(undefined), NotPrincipal: aws(bob.arn!, `arn:aws:iam::${B}:root`) }) },
  { name: "anonymous: Deny with NotPrincipal includes anonymous", expect: EXPLICIT, principal: anon, resourcePolicy: pol(rAllow("*"), { ...rDeny(undefined), NotPrincipal: aws(A) }) },
  { name: "anonymous: a service principal block", expect: IMPLICIT, principal: anon, resourcePolicy: pol(rAllow({ Service: "cloudtrail.amazonaws.com" })) },
];

// AWS's NotPrincipal examples: deny everyone except Bob (user) or an audit role session.
const denyExceptBob = pol(rAllow("*"), { ...rDeny(undefined), NotPrincipal: aws(bob.arn!, `arn:aws:iam::${B}:root`) });
const denyExceptBobOnly = pol(rAllow("*"), { ...rDeny(undefined), NotPrincipal: aws(bob.arn!) });
const denyExceptAudit = (...listed: string[]) => pol(rAllow("*"), { ...rDeny(undefined), NotPrincipal: aws(...listed) });
const auditSession = auditB.arn!;
const auditRole = `arn:aws:iam::${B}:role/cross-account-read-only-role`;
const notPrincipal: Case[] = [
  { name: "Deny NotPrincipal [Bob, Bob's account]: Bob", expect: ALLOWED, principal: bob, resourceAccount: A, identity: [S3_ALL], resourcePolicy: denyExceptBob },
  { name: "Deny NotPrincipal [Bob, Bob's account]: another user there", expect: EXPLICIT, principal: carolB, resourceAccount: A, identity: [S3_ALL], resourcePolicy: denyExceptBob },
  { name: "Deny NotPrincipal [Bob, Bob's account]: a user of the owner", expect: EXPLICIT, identity: [S3_ALL], resourcePolicy: denyExceptBob },
  { name: "Deny NotPrincipal [Bob, Bob's account]: Bob's root", expect: ALLOWED, principal: rootB, resourceAccount: A, resourcePolicy: denyExceptBob },
  { name: "Deny NotPrincipal [Bob] without his account denies Bob", expect: EXPLICIT, principal: bob, resourceAccount: A, identity: [S3_ALL], resourcePolicy: denyExceptBobOnly },
  { name: "Deny NotPrincipal [session, role, account]: that session", expect: ALLOWED, principal: auditB, resourceAccount: A, identity: [S3_ALL], resourcePolicy: denyExceptAudit(auditSession, auditRole, `arn:aws:iam::${B}:root`) },
  { name: "Deny NotPrincipal [session, role, account]: another session", expect: EXPLICIT, principal: auditB2, resourceAccount: A, identity: [S3_ALL], resourcePolicy: denyExceptAudit(auditSession, auditRole, `arn:aws:iam::${B}:root`) },
  { name: "Deny NotPrincipal [session, account]: the role is missing", expect: EXPLICIT, principal: auditB, resourceAccount: A, identity: [S3_ALL], resourcePolicy: denyExceptAudit(auditSession, `arn:aws:iam::${B}:root`) },
  { name: "Deny NotPrincipal [role, account]: the session is missing", expect: EXPLICIT, principal: auditB, resourceAccount: A, identity: [S3_ALL], resourcePolicy: denyExceptAudit(auditRole, B) },
  { name: "Deny NotPrincipal {AWS: *} applies to nobody", expect: ALLOWED, identity: [S3_ALL], resourcePolicy: pol({ ...rDeny(undefined), NotPrincipal: { AWS: "*" } }) },
  { name: "Deny NotPrincipal Service: that service", expect: ALLOWED, principal: cloudtrail, action: "s3:PutObject", resourcePolicy: pol(rAllow({ Service: "cloudtrail.amazonaws.com" }), { ...rDeny(undefined), NotPrincipal: { Service: "cloudtrail.amazonaws.com" } }) },
  { name: "Deny NotPrincipal Service: another service", expect: EXPLICIT, principal: lambdaSvc, action: "s3:PutObject", resourcePolicy: pol(rAllow("*"), { ...rDeny(undefined), NotPrincipal: { Service: "cloudtrail.amazonaws.com" } }) },
  { name: "Allow NotPrincipal: someone not listed", expect: ALLOWED, resourcePolicy: pol({ ...rAllow(undefined), NotPrincipal: aws(mallory.arn!, A) }) },
  { name: "Allow NotPrincipal: the listed user and account", expect: IMPLICIT, resourcePolicy: pol({ ...rAllow(undefined), NotPrincipal: aws(alice.arn!, A) }) },
];

const ASSUME = { action: "sts:AssumeRole", resource: `arn:aws:iam::${A}:role/Target`, trust: true } as const;
const trust: Case[] = [
  { ...ASSUME, name: "trust names the user; no identity policy", expect: ALLOWED, resourcePolicy: pol(trustAllow(aws(alice.arn!))) },
  { ...ASSUME, name: "trust names the account; no identity policy", expect: IMPLICIT, resourcePolicy: pol(trustAllow(aws(A))) },
  { ...ASSUME, name: "trust names the account; identity allows sts:AssumeRole", expect: ALLOWED, identity: [pol(allow("sts:AssumeRole", `arn:aws:iam::${A}:role/*`))], resourcePolicy: pol(trustAllow(aws(A))) },
  { ...ASSUME, name: "trust names someone else; identity allows", expect: IMPLICIT, identity: [pol(allow("sts:AssumeRole"))], resourcePolicy: pol(trustAllow(aws(mallory.arn!))) },
  { ...ASSUME, name: "no trust policy statement applies; identity allows", expect: IMPLICIT, identity: [pol(allow("sts:*"))], resourcePolicy: pol(trustAllow({ Service: "ec2.amazonaws.com" })) },
  { ...ASSUME, name: "cross-account: trust names the account, identity allows", expect: ALLOWED, principal: bob, resourceAccount: A, identity: [pol(allow("sts:AssumeRole"))], resourcePolicy: pol(trustAllow(aws(B))) },
  { ...ASSUME, name: "cross-account: trust names the account, identity silent", expect: IMPLICIT, principal: bob, resourceAccount: A, resourcePolicy: pol(trustAllow(aws(B))) },
  { ...ASSUME, name: "cross-account: trust names the user, identity silent", expect: IMPLICIT, principal: bob, resourceAccount: A, resourcePolicy: pol(trustAllow(aws(bob.arn!))) },
  { ...ASSUME, name: "a service assumes its role", expect: ALLOWED, principal: lambdaSvc, resourcePolicy: pol(trustAllow({ Service: "lambda.amazonaws.com" })) },
  { ...ASSUME, name: "another service may not", expect: IMPLICIT, principal: lambdaSvc, resourcePolicy: pol(trustAllow({ Service: "ec2.amazonaws.com" })) },
  { ...ASSUME, name: "external id required and given", expect: ALLOWED, principal: bob, resourceAccount: A, identity: [pol(allow("sts:AssumeRole"))], resourcePolicy: pol(trustAllow(aws(B), { Condition: { StringEquals: { "sts:ExternalId": "Unique-42" } } })), context: { "sts:ExternalId": "Unique-42" } },
  { ...ASSUME, name: "external id required and missing", expect: IMPLICIT, principal: bob, resourceAccount: A, identity: [pol(allow("sts:AssumeRole"))], resourcePolicy: pol(trustAllow(aws(B), { Condition: { StringEquals: { "sts:ExternalId": "Unique-42" } } })) },
  { ...ASSUME, name: "web identity: Cognito with the right aud", expect: ALLOWED, action: "sts:AssumeRoleWithWebIdentity", principal: cognito, resourcePolicy: pol({ ...trustAllow({ Federated: "cognito-identity.amazonaws.com" }), Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { "cognito-identity.amazonaws.com:aud": "us-east-1:pool" } } }), context: { "cognito-identity.amazonaws.com:aud": "us-east-1:pool" } },
  { ...ASSUME, name: "web identity: Cognito with another aud", expect: IMPLICIT, action: "sts:AssumeRoleWithWebIdentity", principal: cognito, resourcePolicy: pol({ ...trustAllow({ Federated: "cognito-identity.amazonaws.com" }), Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { "cognito-identity.amazonaws.com:aud": "us-east-1:pool" } } }), context: { "cognito-identity.amazonaws.com:aud": "us-east-1:other" } },
  { ...ASSUME, name: "SAML provider", expect: ALLOWED, action: "sts:AssumeRoleWithSAML", principal: saml, resourcePolicy: pol({ ...trustAllow({ Federated: saml.arn }), Action: "sts:AssumeRoleWithSAML" }) },
  { ...ASSUME, name: "a Deny in the trust policy", expect: EXPLICIT, resourcePolicy: pol(trustAllow(aws(alice.arn!)), { Effect: "Deny", Principal: "*", Action: "sts:AssumeRole", Condition: { Bool: { "aws:MultiFactorAuthPresent": "false" } } }), context: { "aws:MultiFactorAuthPresent": false } },
  { ...ASSUME, name: "sts:TagSession allowed alongside", expect: ALLOWED, action: "sts:TagSession", resourcePolicy: pol({ ...trustAllow(aws(alice.arn!)), Action: ["sts:AssumeRole", "sts:TagSession"] }) },
  { ...ASSUME, name: "a role session assumes a role it is trusted by", expect: ALLOWED, principal: dev, identity: [pol(allow("sts:AssumeRole"))], resourcePolicy: pol(trustAllow(aws(`arn:aws:iam::${A}:role/Dev`))) },
];

const boundaries: Case[] = [
  { name: "boundary narrower than identity: inside", expect: ALLOWED, identity: [S3_ALL], boundary: GET_OBJECT },
  { name: "boundary narrower than identity: outside", expect: IMPLICIT, action: "s3:PutObject", identity: [S3_ALL], boundary: GET_OBJECT },
  { name: "boundary wider than identity", expect: IMPLICIT, action: "s3:PutObject", identity: [GET_OBJECT], boundary: S3_ALL },
  { name: "boundary for another service entirely", expect: IMPLICIT, identity: [S3_ALL], boundary: pol(allow("iam:*")) },
  { name: "boundary Deny via NotAction", expect: EXPLICIT, action: "iam:CreateUser", resource: `arn:aws:iam::${A}:user/x`, identity: [pol(allow("*"))], boundary: pol(allow("*"), { Effect: "Deny", NotAction: ["s3:*", "cloudwatch:*"], Resource: "*" }) },
  { name: "boundary with a condition (holds)", expect: ALLOWED, identity: [S3_ALL], boundary: pol(allow("s3:*", "*", { Condition: { StringEquals: { "aws:RequestedRegion": "us-east-1" } } })), context: { "aws:RequestedRegion": "us-east-1" } },
  { name: "boundary with a condition (fails)", expect: IMPLICIT, identity: [S3_ALL], boundary: pol(allow("s3:*", "*", { Condition: { StringEquals: { "aws:RequestedRegion": "us-east-1" } } })), context: { "aws:RequestedRegion": "eu-west-1" } },
  { name: "boundary on a role session", expect: IMPLICIT, principal: dev, identity: [S3_ALL], boundary: pol(allow("sqs:*")) },
  { name: "boundary limited to a resource", expect: IMPLICIT, identity: [S3_ALL], boundary: pol(allow("s3:*", "arn:aws:s3:::other/*")) },
  { name: "boundary, identity and resource policy naming the account", expect: IMPLICIT, identity: [S3_ALL], boundary: pol(allow("sqs:*")), resourcePolicy: pol(rAllow(aws(A))) },
  { name: "boundary with a resource variable", expect: ALLOWED, resource: "arn:aws:s3:::home/alice/x", identity: [S3_ALL], boundary: pol(allow("s3:*", "arn:aws:s3:::home/${aws:username}/*")) },
  { name: "boundary that forbids removing itself", expect: EXPLICIT, action: "iam:DeleteUserPermissionsBoundary", resource: alice.arn!, identity: [pol(allow("iam:*"))], boundary: pol(allow("*"), deny("iam:DeleteUserPermissionsBoundary")) },
];

const GROUPS: Record<string, Case[]> = {
  "basics and explicit deny": basics,
  "action matching": actions,
  "resource matching": resources,
  "String operators": strings,
  "Numeric operators": numbers,
  "Date operators": dates,
  "Bool": bools,
  "BinaryEquals": binary,
  "IpAddress / NotIpAddress": ips,
  "ARN operators": arns,
  "Null": nulls,
  "...IfExists": ifExists,
  "ForAllValues / ForAnyValue": sets,
  "policy variables": variables,
  "resource policies, same account": sameAccount,
  "cross-account": crossAccount,
  "root user": root,
  "anonymous": anonymous,
  "NotPrincipal": notPrincipal,
  "trust policies": trust,
  "permissions boundaries": boundaries,
};

describe("policy evaluation decision table", () => {
  it("holds at least 300 cases", () => {
    const total = Object.values(GROUPS).reduce((n, g) => n + g.length, 0);
    expect(total).toBeGreaterThanOrEqual(300);
  });
  for (const [group, cases] of Object.entries(GROUPS)) {
    describe(group, () => {
      it.each(cases)("$name -> $expect", (c) => {
        expect(run(c)).toBe(c.expect);
      });
    });
  }
});

describe("explain and AWS's denial wording", () => {
  const base = { action: "s3:GetObject", resources: [OBJ], principal: alice, context: {} };
  it("names the layer that denied", () => {
    const id = (o: Obj) => parse(o, "identity");
    expect(explain({ ...base, identityPolicies: [] }).reason).toBe("no-identity-allow");
    expect(explain({ ...base, identityPolicies: [id(pol(deny("*")))] }).reason).toBe("explicit-deny-identity");
    expect(explain({ ...base, identityPolicies: [id(S3_ALL)], permissionBoundary: parse(pol(allow("sqs:*")), "boundary") }).reason).toBe("no-boundary-allow");
    expect(explain({ ...base, principal: dev, identityPolicies: [id(S3_ALL)], sessionPolicies: [parse(pol(allow("sqs:*")), "session")] }).reason).toBe("no-session-allow");
    expect(explain({ ...base, principal: bob, resourceAccount: A, identityPolicies: [id(S3_ALL)] }).reason).toBe("no-resource-allow");
    expect(explain({ ...base, identityPolicies: [], resourcePolicy: parse(pol(rDeny("*")), "resource") }).reason).toBe("explicit-deny-resource");
    expect(explain({ ...base, identityPolicies: [id(S3_ALL)] })).toEqual({ decision: "Allowed", reason: "identity-allow", resource: OBJ });
    expect(explain({ ...base, principal: rootA, identityPolicies: [] }).reason).toBe("root");
  });
  it("reports the resource that was denied", () => {
    const r = explain({ ...base, resources: [OBJ, "arn:aws:s3:::other/x"], identityPolicies: [parse(pol(allow("s3:*", "arn:aws:s3:::bucket/*")), "identity")] });
    expect(r).toEqual({ decision: "ImplicitlyDenied", reason: "no-identity-allow", resource: "arn:aws:s3:::other/x" });
  });
  it("words it the way AWS's AccessDenied messages do", () => {
    const r = explain({ ...base, identityPolicies: [] });
    expect(denialExplanation(r, "s3:GetObject")).toBe("because no identity-based policy allows the s3:GetObject action");
    const d = explain({ ...base, identityPolicies: [parse(pol(deny("*")), "identity")] });
    expect(denialExplanation(d, "s3:GetObject")).toBe("with an explicit deny in an identity-based policy");
  });
  it("reuses the compiled form of a document", () => {
    const doc = parse(pol(allow("s3:Get*", "arn:aws:s3:::bucket/${aws:username}/*")), "identity");
    for (let i = 0; i < 3; i++) {
      expect(evaluate({ ...base, resources: ["arn:aws:s3:::bucket/alice/x"], identityPolicies: [doc] })).toBe("Allowed");
      expect(evaluate({ ...base, principal: mallory, resources: ["arn:aws:s3:::bucket/alice/x"], identityPolicies: [doc] })).toBe("ImplicitlyDenied");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Document validation

function malformed(text: string | Obj, kind: PolicyKind = "identity", managed = false): string {
  try {
    parsePolicyDocument(typeof text === "string" ? text : JSON.stringify(text), kind, { managed });
  } catch (e) {
    if (isServiceError(e)) {
      expect(e.code).toBe("MalformedPolicyDocument");
      expect(e.status).toBe(400);
      return e.message;
    }
    throw e;
  }
  throw new Error("the document was accepted");
}

const st = (s: Obj): Obj => ({ Version: "2012-10-17", Statement: s });
const OK = { Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::example" };

describe("MalformedPolicyDocument", () => {
  const syntax: [string, string | Obj][] = [
    ["not JSON", "This is not a json document"],
    ["a JSON string", '"just text"'],
    ["a JSON array", "[]"],
    ["an unknown Version", { Version: "2013-10-17", Statement: OK }],
    ["no Statement", { Version: "2012-10-17" }],
    ["an empty Statement list", { Version: "2012-10-17", Statement: [] }],
    ["a statement that is a string", { Version: "2012-10-17", Statement: ["afd"] }],
    ["an unknown top-level field", { Version: "2012-10-17", Statement: OK, Extra: "x" }],
    ["an unknown statement field", st({ ...OK, Extra: "x" })],
    ["an Id that is a list", { Version: "2012-10-17", Id: ["x"], Statement: OK }],
    ["an Effect that is neither", st({ ...OK, Effect: "Permit" })],
    ["no Effect", st({ Action: "s3:ListBucket", Resource: "*" })],
    ["a Sid that is an object", st({ ...OK, Sid: {} })],
    ["Action and NotAction", st({ ...OK, NotAction: "s3:GetObject" })],
    ["Resource and NotResource", st({ ...OK, NotResource: [] })],
    ["an Action that is an object", st({ ...OK, Action: {} })],
    ["an Action list holding a list", st({ ...OK, Action: [[]] })],
    ["a Resource list holding an object", st({ ...OK, Resource: ["arn:aws:s3:::x", {}] })],
    ["a Condition that is a list", st({ ...OK, Condition: [] })],
    ["a Condition operator that is a string", st({ ...OK, Condition: { DateGreaterThan: "b" } })],
    ["a condition value that is an object", st({ ...OK, Condition: { StringEquals: { "aws:x": {} } } })],
    ["an unknown operator testing a key", st({ ...OK, Condition: { StringEqualz: { "aws:x": "1" } } })],
    ["a doubled qualifier colon", st({ ...OK, Condition: { "ForAnyValue::StringEquals": { "aws:x": "1" } } })],
    ["NullIfExists", st({ ...OK, Condition: { NullIfExists: { "aws:x": "true" } } })],
  ];
  it.each(syntax)("%s: Syntax errors in policy.", (_name, doc) => {
    expect(malformed(doc)).toBe("Syntax errors in policy.");
  });

  const messages: [string, string | Obj, string, PolicyKind?][] = [
    ["Effect in the wrong case", st({ ...OK, Effect: "allow" }), "The policy failed legacy parsing"],
    ["a five-part ARN", st({ ...OK, Resource: "arn:aws:s3::example" }), "The policy failed legacy parsing"],
    ["an ARN without a service", st({ ...OK, Resource: "arn:aws::::example" }), "The policy failed legacy parsing"],
    ["an unparseable date", st({ ...OK, Condition: { DateGreaterThan: { "aws:CurrentTime": "someday" } } }), "The policy failed legacy parsing"],
    ["an out-of-range epoch", st({ ...OK, Condition: { DateLessThan: { "aws:CurrentTime": "9223372036854775808" } } }), "The policy failed legacy parsing"],
    ["a non-numeric number", st({ ...OK, Condition: { NumericLessThan: { "s3:max-keys": "ten" } } }), "The policy failed legacy parsing"],
    ["a bad CIDR", st({ ...OK, Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/33" } } }), "The policy failed legacy parsing"],
    ["duplicate Sids", { Version: "2012-10-17", Statement: [{ Sid: "A", ...OK }, { Sid: "A", Effect: "Allow" }] }, "Statement IDs (SID) in a single policy must be unique."],
    ["a Sid with a hyphen", st({ Sid: "my-sid", ...OK }), "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"],
    ["no Action", st({ Effect: "Allow", Resource: "*" }), "Policy statement must contain actions."],
    ["an empty Action list", st({ ...OK, Action: [] }), "Policy statement must contain actions."],
    ["no Resource", st({ Effect: "Allow", Action: "s3:ListBucket" }), "Policy statement must contain resources."],
    ["an empty Resource list", st({ ...OK, Resource: [] }), "Policy statement must contain resources."],
    ["a Principal in an identity policy", st({ ...OK, Principal: "*" }), "Policy document should not specify a principal."],
    ["a NotPrincipal in a boundary", st({ ...OK, NotPrincipal: { AWS: A } }), "Policy document should not specify a principal.", "boundary"],
    ["a Resource that is no ARN", st({ ...OK, Resource: "invalid resource" }), 'Resource invalid resource must be in ARN format or "*".'],
    ["an empty Resource", st({ ...OK, Resource: "" }), 'Resource  must be in ARN format or "*".'],
    ["an unknown partition", st({ ...OK, Resource: "a:b:cadfsdf" }), 'Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*".'],
    ["an unknown partition, long", st({ ...OK, Resource: "arn:error:s3:::example" }), 'Partition "error" is not valid for resource "arn:error:s3:::example".'],
    ["no vendor", st({ ...OK, Resource: "arn:aws" }), "Resource vendor must be fully qualified and cannot contain regexes."],
    ["a wildcard vendor", st({ ...OK, Resource: "arn:aws:s*:::example" }), "Resource vendor must be fully qualified and cannot contain regexes."],
    ["an IAM resource with a region", st({ ...OK, Resource: "arn:aws:iam:us-east-1::user/x" }), "IAM resource arn:aws:iam:us-east-1::user/x cannot contain region information."],
    ["an IAM resource of no known type", st({ ...OK, Resource: "arn:aws:iam:::thing" }), 'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.'],
    ["an S3 bucket with a region", st({ ...OK, Resource: "arn:aws:s3:us-east-1::example" }), "Resource arn:aws:s3:us-east-1::example can not contain region information."],
    ["an action without a vendor", st({ ...OK, Action: "ListBucket" }), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."],
    ["an empty NotAction", st({ Effect: "Allow", NotAction: "", Resource: "*" }), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."],
    ["an action with two colons", st({ ...OK, Action: "s3:List:Bucket" }), "Actions/Condition can contain only one colon."],
    ["a vendor with a space", st({ ...OK, Action: "a a:ListBucket" }), "Vendor a a is not valid"],
    ["resources are checked before actions", st({ ...OK, Action: "s:3:x", Resource: "nope" }), 'Resource nope must be in ARN format or "*".'],
    ["actions are required before resources", st({ Effect: "Allow" }), "Policy statement must contain actions."],
    ["legacy parsing comes before required elements", st({ Effect: "Allow", Resource: "arn:aws:s3::x" }), "The policy failed legacy parsing"],
    ["Sids come before required elements", { Version: "2012-10-17", Statement: [{ Sid: "A", Effect: "Allow" }, { Sid: "A", Effect: "Allow" }] }, "Statement IDs (SID) in a single policy must be unique."],
    // Resource and trust policies.
    ["a resource policy without Principal", st(OK), "Missing required field Principal", "resource"],
    ["a resource policy with a bad principal", st({ ...OK, Principal: { AWS: "not-an-arn" } }), "Invalid principal in policy", "resource"],
    ["a resource policy with a wildcard in an ARN principal", st({ ...OK, Principal: { AWS: `arn:aws:iam::${A}:user/*` } }), "Invalid principal in policy", "resource"],
    ["a resource policy with an unknown principal type", st({ ...OK, Principal: { Group: "x" } }), "Invalid principal in policy", "resource"],
    ["a trust policy with a Resource", st({ Effect: "Allow", Principal: { AWS: A }, Action: "sts:AssumeRole", Resource: "*" }), "Has prohibited field Resource", "trust"],
    ["a trust policy without Principal", st({ Effect: "Allow", Action: "sts:AssumeRole" }), "Missing required field Principal", "trust"],
    ["a trust policy with a bad principal", st({ Effect: "Allow", Principal: { AWS: "bob" }, Action: "sts:AssumeRole" }), 'Invalid principal in policy: "AWS":"bob"', "trust"],
    ["a trust policy granting s3", st({ Effect: "Allow", Principal: { AWS: A }, Action: "s3:GetObject" }), "AssumeRole policy may only specify STS AssumeRole actions.", "trust"],
    ["a trust policy without Action", st({ Effect: "Allow", Principal: { AWS: A } }), "Policy statement must contain actions.", "trust"],
  ];
  it.each(messages)("%s", (_name, doc, message, kind) => {
    expect(malformed(doc, kind ?? "identity")).toBe(message);
  });

  it("managed policies must be Version 2012-10-17", () => {
    expect(malformed({ Statement: OK }, "identity", true)).toBe("Policy document must be version 2012-10-17 or greater.");
    expect(malformed({ Version: "2008-10-17", Statement: OK }, "identity", true)).toBe("Policy document must be version 2012-10-17 or greater.");
    // The Version check comes before the legacy parser and Sid checks.
    expect(malformed({ Statement: { ...OK, Effect: "denY" } }, "identity", true)).toBe("Policy document must be version 2012-10-17 or greater.");
    expect(() => parsePolicyDocument(JSON.stringify(st(OK)), "identity", { managed: true })).not.toThrow();
  });

  const valid: [string, Obj, PolicyKind][] = [
    ["a single statement object", st(OK), "identity"],
    ["no Version (inline policies)", { Statement: OK }, "identity"],
    ["Version 2008-10-17", { Version: "2008-10-17", Statement: OK }, "identity"],
    ["an Id", { Version: "2012-10-17", Id: "my-policy", Statement: OK }, "identity"],
    ["Action *", st({ ...OK, Action: "*" }), "identity"],
    ["an action name with spaces after the vendor", st({ ...OK, Action: "iam: asdf safdsf af " }), "identity"],
    ["vendors with dots and hyphens", st({ ...OK, Action: ["s3-s:ListBucket", "s3.s:ListBucket"] }), "identity"],
    ["an unknown service ARN", st({ ...OK, Resource: "arn:aws:invalid-service:us-east-1::example" }), "identity"],
    ["a three-part ARN", st({ ...OK, Resource: "arn:aws:fdsasf" }), "identity"],
    ["IAM user path", st({ ...OK, Resource: "arn:aws:iam:::user/example" }), "identity"],
    ["an S3 access point ARN", st({ ...OK, Resource: `arn:aws:s3:us-east-1:${A}:accesspoint/ap` }), "identity"],
    ["NotAction with NotResource *", st({ Effect: "Allow", NotAction: "s3:ListBucket", NotResource: "*" }), "identity"],
    ["an empty Condition", st({ ...OK, Condition: {} }), "identity"],
    ["an unknown operator with an empty block", st({ ...OK, Condition: { x: {}, y: {} } }), "identity"],
    ["an empty value list", st({ ...OK, Condition: { DateGreaterThan: { "aws:CurrentTime": [] } } }), "identity"],
    ["ForAnyValue:StringEqualsIfExists", st({ ...OK, Condition: { "ForAnyValue:StringEqualsIfExists": { "aws:TagKeys": "x" } } }), "identity"],
    ["a lenient ISO date", st({ ...OK, Condition: { DateLessThanEquals: { "aws:CurrentTime": "2016-12-13t2:00:00.593194+23" } } }), "identity"],
    ["a negative epoch", st({ ...OK, Condition: { DateLessThan: { "aws:CurrentTime": "-292275054" } } }), "identity"],
    ["empty Sids may repeat", { Version: "2012-10-17", Statement: [{ Sid: "", ...OK }, { Sid: "", ...OK }] }, "identity"],
    ["policy variables", st({ ...OK, Resource: "arn:aws:iam::*:user/${aws:username}" }), "identity"],
    ["JSON numbers and booleans as condition values", st({ ...OK, Condition: { NumericLessThan: { "s3:max-keys": 10 }, Bool: { "aws:SecureTransport": true } } }), "identity"],
    ["a bucket policy", st({ ...OK, Principal: { AWS: [A, `arn:aws:iam::${B}:root`, `arn:aws:iam::${A}:role/R`], Service: "cloudtrail.amazonaws.com" } }), "resource"],
    ["a bucket policy with CanonicalUser", st({ ...OK, Principal: { CanonicalUser: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be" } }), "resource"],
    ["a queue policy without Resource", st({ Effect: "Allow", Principal: "*", Action: "sqs:SendMessage" }), "resource"],
    ["Sids with hyphens in resource policies", st({ Sid: "allow-public", ...OK, Principal: "*" }), "resource"],
    ["a trust policy", st({ Effect: "Allow", Principal: { Service: ["ec2.amazonaws.com"] }, Action: ["sts:AssumeRole", "sts:TagSession"] }), "trust"],
    ["a trust policy with sts:*", st({ Effect: "Allow", Principal: { Federated: "accounts.google.com" }, Action: "sts:AssumeRole*" }), "trust"],
    ["a trust policy with NotPrincipal Deny", { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: A }, Action: "sts:AssumeRole" }, { Effect: "Deny", NotPrincipal: { AWS: A }, Action: "sts:AssumeRole" }] }, "trust"],
  ];
  it.each(valid)("accepts %s", (_name, doc, kind) => {
    expect(() => parsePolicyDocument(JSON.stringify(doc), kind)).not.toThrow();
  });
});

describe("parsed documents", () => {
  it("normalises statements, values and principals, and freezes the result", () => {
    const doc = parsePolicyDocument(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: {
          Sid: "S1",
          Effect: "Allow",
          Principal: { AWS: A, Service: ["a.amazonaws.com"] },
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::b/*",
          Condition: { NumericLessThan: { "s3:max-keys": 10 }, Bool: { "aws:SecureTransport": true } },
        },
      }),
      "resource",
    );
    expect(doc).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "S1",
          Effect: "Allow",
          Principal: { AWS: [A], Service: ["a.amazonaws.com"] },
          Action: ["s3:GetObject"],
          Resource: ["arn:aws:s3:::b/*"],
          Condition: { NumericLessThan: { "s3:max-keys": ["10"] }, Bool: { "aws:SecureTransport": ["true"] } },
        },
      ],
    });
    expect(Object.isFrozen(doc)).toBe(true);
    expect(Object.isFrozen(doc.Statement[0]!.Action)).toBe(true);
  });

  it("keeps Principal \"*\" as \"*\"", () => {
    const doc = parsePolicyDocument(JSON.stringify(st({ ...OK, Principal: "*" })), "resource");
    expect(doc.Statement[0]!.Principal).toBe("*");
  });

  it("measures size without whitespace", () => {
    const text = JSON.stringify(st(OK), null, 2);
    expect(policySizeWithoutWhitespace(text)).toBe(JSON.stringify(st(OK)).length);
    expect(policySizeWithoutWhitespace(" a \n\t b ")).toBe(2);
  });
});

describe("typed values", () => {
  it("parses AWS's date forms", () => {
    expect(parseDate("2020-01-01T00:00:00Z")).toBe(Date.UTC(2020, 0, 1));
    expect(parseDate("2020-01-01")).toBe(Date.UTC(2020, 0, 1));
    expect(parseDate("1577836800")).toBe(Date.UTC(2020, 0, 1));
    expect(parseDate("2020-01-01T01:30:00+01:30")).toBe(Date.UTC(2020, 0, 1));
    expect(parseDate("2016-12-13T21:20:37.593194+00:00")).toBe(Date.UTC(2016, 11, 13, 21, 20, 37, 593));
    expect(parseDate("234-13")).toBeUndefined();
    expect(parseDate("2016-12-13t2:00:00.593194+1")).toBeUndefined();
    expect(parseDate("2016-12-13t2:00:00.1999999999+10:59")).toBeUndefined();
  });
  it("parses CIDRs and addresses", () => {
    expect(parseCidr("10.0.0.0/33")).toBeUndefined();
    expect(parseCidr("2001:db8::/129")).toBeUndefined();
    expect(parseCidr("300.1.1.1")).toBeUndefined();
    const v6 = parseCidr("2001:db8::/32")!;
    expect(cidrContains(v6, parseAddress("2001:db8:ffff::1")!)).toBe(true);
    expect(cidrContains(v6, parseAddress("2001:db9::1")!)).toBe(false);
    expect(cidrContains(parseCidr("::ffff:0:0/96")!, parseAddress("::ffff:1.2.3.4")!)).toBe(false);
    expect(cidrContains(parseCidr("1.2.3.0/24")!, parseAddress("::ffff:1.2.3.4")!)).toBe(true);
    expect(cidrContains(parseCidr("fe80::/10")!, parseAddress("fe80::1%eth0")!)).toBe(true);
  });
});
