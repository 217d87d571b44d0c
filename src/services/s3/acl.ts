/**
 * Bucket access control lists: canned ACLs, `x-amz-grant-*` headers and AccessControlPolicy
 * documents read into one form, checked against Object Ownership and Block Public Access, given
 * back as GetBucketAcl shapes them, and turned into policy statements so that the one policy
 * engine decides what an ACL grants (ACLs only count while Object Ownership is not
 * BucketOwnerEnforced, and public grants not while IgnorePublicAcls is on).
 *
 * Canonical user ids: an account's id is its 12 digits left-padded with zeros to 64 characters
 * (as ListBuckets gives its Owner); the random canonical id kept with each account is accepted too.
 */
import { ServiceError } from "../../core/errors.js";
import { AccountStore } from "../../core/accounts.js";
import type { RequestContext } from "../../core/service.js";
import { ConfigErrors } from "./bucket-config-errors.js";
import type { AccessControlList, AclGrant, Grantee, Permission } from "./bucket-config-store.js";

export const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
export const AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
export const LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery";
const GROUPS = new Set([ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY]);
const PERMISSIONS = new Set<Permission>(["FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"]);

export const CANNED_BUCKET_ACLS = [
  "private",
  "public-read",
  "public-read-write",
  "authenticated-read",
  "log-delivery-write",
  "bucket-owner-read",
  "bucket-owner-full-control",
  "aws-exec-read",
] as const;

export function canonicalIdOf(account: string): string {
  return account.padStart(64, "0");
}

/** The account a canonical user id names, or undefined. */
export async function accountOfCanonicalId(ctx: RequestContext, id: string): Promise<string | undefined> {
  const lower = id.toLowerCase();
  const padded = /^0{52}(\d{12})$/.exec(lower);
  const accounts = new AccountStore(ctx.storage.metadata, ctx.identity);
  if (padded) return (await accounts.get(padded[1]!)) ? padded[1] : undefined;
  if (!/^[0-9a-f]{64}$/.test(lower)) return undefined;
  return (await accounts.list()).find((a) => a.canonicalUserId.toLowerCase() === lower)?.accountId;
}

async function accountOfEmail(ctx: RequestContext, email: string): Promise<string | undefined> {
  const accounts = await new AccountStore(ctx.storage.metadata, ctx.identity).list();
  return accounts.find((a) => a.email.toLowerCase() === email.toLowerCase())?.accountId;
}

const ownerGrant = (owner: string): AclGrant => ({ grantee: { type: "CanonicalUser", id: owner }, permission: "FULL_CONTROL" });
const group = (uri: string, permission: Permission): AclGrant => ({ grantee: { type: "Group", uri }, permission });

/** The default ACL: the owner has FULL_CONTROL. */
export function privateAcl(ownerAccount: string): AccessControlList {
  const owner = canonicalIdOf(ownerAccount);
  return { owner, grants: [ownerGrant(owner)] };
}

/** A canned ACL's grants for a bucket. */
export function cannedAcl(name: string, ownerAccount: string): AccessControlList {
  const acl = privateAcl(ownerAccount);
  switch (name) {
    case "private":
    case "bucket-owner-read":
    case "bucket-owner-full-control":
    case "aws-exec-read":
      break;
    case "public-read":
      acl.grants.push(group(ALL_USERS, "READ"));
      break;
    case "public-read-write":
      acl.grants.push(group(ALL_USERS, "READ"), group(ALL_USERS, "WRITE"));
      break;
    case "authenticated-read":
      acl.grants.push(group(AUTHENTICATED_USERS, "READ"));
      break;
    case "log-delivery-write":
      acl.grants.push(group(LOG_DELIVERY, "WRITE"), group(LOG_DELIVERY, "READ_ACP"));
      break;
    default:
      throw new ServiceError(ConfigErrors.InvalidArgument, undefined, { ArgumentName: "x-amz-acl", ArgumentValue: name });
  }
  return acl;
}

/** The grant headers of PutBucketAcl / CreateBucket, by permission. */
export interface AclHeaders {
  ACL?: string;
  GrantFullControl?: string;
  GrantRead?: string;
  GrantReadACP?: string;
  GrantWrite?: string;
  GrantWriteACP?: string;
}

const HEADER_PERMISSIONS: Array<[keyof AclHeaders, Permission, string]> = [
  ["GrantFullControl", "FULL_CONTROL", "x-amz-grant-full-control"],
  ["GrantRead", "READ", "x-amz-grant-read"],
  ["GrantReadACP", "READ_ACP", "x-amz-grant-read-acp"],
  ["GrantWrite", "WRITE", "x-amz-grant-write"],
  ["GrantWriteACP", "WRITE_ACP", "x-amz-grant-write-acp"],
];

export function hasGrantHeaders(h: AclHeaders): boolean {
  return HEADER_PERMISSIONS.some(([k]) => h[k] !== undefined);
}

async function resolveGrantee(
  ctx: RequestContext,
  kind: "id" | "uri" | "emailaddress",
  value: string,
): Promise<Grantee> {
  if (kind === "uri") {
    if (!GROUPS.has(value)) throw new ServiceError(ConfigErrors.InvalidArgument, "Invalid group uri", { ArgumentName: "uri", ArgumentValue: value });
    return { type: "Group", uri: value };
  }
  if (kind === "id") {
    const account = await accountOfCanonicalId(ctx, value);
    if (!account) throw new ServiceError(ConfigErrors.InvalidArgument, "Invalid id", { ArgumentName: "CanonicalUser/ID", ArgumentValue: value });
    return { type: "CanonicalUser", id: canonicalIdOf(account) };
  }
  const account = await accountOfEmail(ctx, value);
  if (!account) throw new ServiceError(ConfigErrors.UnresolvableGrantByEmailAddress, undefined, { EmailAddress: value });
  return { type: "CanonicalUser", id: canonicalIdOf(account) };
}

/** `id="...", uri="...", emailAddress="..."` lists of one grant header. */
async function parseGrantHeader(ctx: RequestContext, header: string, value: string, permission: Permission): Promise<AclGrant[]> {
  const out: AclGrant[] = [];
  for (const part of value.split(",")) {
    const item = part.trim();
    if (item === "") continue;
    const m = /^(id|uri|emailAddress)\s*=\s*"?([^"]*)"?$/i.exec(item);
    if (!m) throw new ServiceError(ConfigErrors.InvalidArgument, `Invalid grant header value: ${item}`, { ArgumentName: header });
    const kind = m[1]!.toLowerCase() as "id" | "uri" | "emailaddress";
    out.push({ grantee: await resolveGrantee(ctx, kind, m[2]!), permission });
  }
  return out;
}

interface AclDocument {
  Owner?: { ID?: string; DisplayName?: string };
  Grants?: Array<{ Grantee?: { Type?: string; ID?: string; URI?: string; EmailAddress?: string }; Permission?: string }>;
}

async function parseAclDocument(ctx: RequestContext, doc: AclDocument, ownerAccount: string): Promise<AccessControlList> {
  if (!doc.Owner?.ID) throw new ServiceError(ConfigErrors.MalformedACLError);
  if ((await accountOfCanonicalId(ctx, doc.Owner.ID)) !== ownerAccount) {
    throw new ServiceError(ConfigErrors.AccessDenied);
  }
  const grants: AclGrant[] = [];
  for (const g of doc.Grants ?? []) {
    const permission = g.Permission as Permission | undefined;
    if (!permission || !PERMISSIONS.has(permission) || !g.Grantee) throw new ServiceError(ConfigErrors.MalformedACLError);
    const t = g.Grantee;
    let grantee: Grantee;
    if (t.Type === "CanonicalUser" && t.ID) grantee = await resolveGrantee(ctx, "id", t.ID);
    else if (t.Type === "Group" && t.URI) grantee = await resolveGrantee(ctx, "uri", t.URI);
    else if (t.Type === "AmazonCustomerByEmail" && t.EmailAddress) grantee = await resolveGrantee(ctx, "emailaddress", t.EmailAddress);
    else throw new ServiceError(ConfigErrors.MalformedACLError);
    grants.push({ grantee, permission });
  }
  return { owner: canonicalIdOf(ownerAccount), grants };
}

/**
 * The ACL a request sets: a canned ACL, grant headers or (PutBucketAcl) a document; undefined
 * when it names none. Mixing the forms is refused as S3 refuses it.
 */
export async function aclFromRequest(
  ctx: RequestContext,
  ownerAccount: string,
  headers: AclHeaders,
  document?: AclDocument,
): Promise<AccessControlList | undefined> {
  const grantHeaders = hasGrantHeaders(headers);
  if (headers.ACL !== undefined && grantHeaders) {
    throw new ServiceError(ConfigErrors.InvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed");
  }
  if (document && (headers.ACL !== undefined || grantHeaders)) throw new ServiceError(ConfigErrors.UnexpectedContent);
  if (headers.ACL !== undefined) return cannedAcl(headers.ACL, ownerAccount);
  if (grantHeaders) {
    const owner = canonicalIdOf(ownerAccount);
    const grants: AclGrant[] = [];
    for (const [key, permission, header] of HEADER_PERMISSIONS) {
      const v = headers[key];
      if (v !== undefined) grants.push(...(await parseGrantHeader(ctx, header, v, permission)));
    }
    return { owner, grants };
  }
  if (document) return parseAclDocument(ctx, document, ownerAccount);
  return undefined;
}

const isPublicGrantee = (g: Grantee) => g.type === "Group" && (g.uri === ALL_USERS || g.uri === AUTHENTICATED_USERS);

/** Whether the ACL grants anything to everyone or to every AWS account. */
export function isPublicAcl(acl: AccessControlList): boolean {
  return acl.grants.some((g) => isPublicGrantee(g.grantee));
}

/** Whether the ACL grants nothing beyond the owner's full control (what BucketOwnerEnforced allows). */
export function isOwnerOnly(acl: AccessControlList): boolean {
  return acl.grants.every((g) => g.grantee.type === "CanonicalUser" && g.grantee.id === acl.owner && g.permission === "FULL_CONTROL");
}

/** GetBucketAcl's Owner and Grants. */
export function aclOutput(acl: AccessControlList) {
  const displayName = (id: string) => `account-${id.slice(-12)}`;
  return {
    Owner: { ID: acl.owner, DisplayName: displayName(acl.owner) },
    Grants: acl.grants.map((g) => ({
      Grantee:
        g.grantee.type === "CanonicalUser"
          ? { Type: "CanonicalUser", ID: g.grantee.id, DisplayName: displayName(g.grantee.id) }
          : { Type: "Group", URI: g.grantee.uri },
      Permission: g.permission,
    })),
  };
}

/** The S3 actions each bucket ACL permission grants (AWS's mapping of ACL permissions to actions). */
const BUCKET_ACTIONS: Record<Exclude<Permission, "FULL_CONTROL">, { bucket: string[]; objects: string[] }> = {
  READ: { bucket: ["s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"], objects: [] },
  WRITE: { bucket: [], objects: ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"] },
  READ_ACP: { bucket: ["s3:GetBucketAcl"], objects: [] },
  WRITE_ACP: { bucket: ["s3:PutBucketAcl"], objects: [] },
};

/**
 * Who a grant lets in, as a policy Principal (and Condition): another account, everyone, or any
 * signed request. Grants to the owner's own account, public grants when Block Public Access
 * ignores them, and LogDelivery (no principal here delivers logs) give nothing.
 */
export function granteePrincipal(g: AclGrant, ownerAccount: string, ignorePublic: boolean): { principal: unknown; condition?: Record<string, unknown> } | undefined {
  if (g.grantee.type === "CanonicalUser") {
    const account = /^0{52}(\d{12})$/.exec(g.grantee.id)?.[1];
    return !account || account === ownerAccount ? undefined : { principal: { AWS: account } };
  }
  if (ignorePublic) return undefined;
  if (g.grantee.uri === ALL_USERS) return { principal: "*" };
  // Any signed request, not an anonymous one.
  if (g.grantee.uri === AUTHENTICATED_USERS) return { principal: { AWS: "*" }, condition: { Null: { "aws:PrincipalArn": "false" } } };
  return undefined;
}

/**
 * The ACL as policy statements, for the policy engine (grants to the bucket owner are left out:
 * within its own account an ACL adds nothing to what IAM decides).
 */
export function aclStatements(
  acl: AccessControlList,
  bucket: string,
  ownerAccount: string,
  ignorePublic: boolean,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const bucketArn = `arn:aws:s3:::${bucket}`;
  for (const g of acl.grants) {
    const who = granteePrincipal(g, ownerAccount, ignorePublic);
    if (!who) continue;
    const { principal, condition } = who;
    const permissions = g.permission === "FULL_CONTROL" ? (Object.keys(BUCKET_ACTIONS) as Array<keyof typeof BUCKET_ACTIONS>) : [g.permission];
    for (const p of permissions) {
      const { bucket: onBucket, objects } = BUCKET_ACTIONS[p];
      if (onBucket.length) out.push({ Effect: "Allow", Principal: principal, Action: onBucket, Resource: bucketArn, ...(condition ? { Condition: condition } : {}) });
      if (objects.length) out.push({ Effect: "Allow", Principal: principal, Action: objects, Resource: `${bucketArn}/*`, ...(condition ? { Condition: condition } : {}) });
    }
  }
  return out;
}
