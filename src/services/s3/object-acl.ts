/**
 * Object ACLs: GetObjectAcl / PutObjectAcl (canned, grant headers or an AccessControlPolicy
 * document, by version) and the x-amz-acl / x-amz-grant-* headers of PutObject, CopyObject and
 * CreateMultipartUpload. The parsing and the canonical ids are the bucket ACL's (acl.ts). An
 * object's ACL is kept on its version (ObjectVersion.acl; absent = private to its owner).
 *
 * Enforcement: while the bucket's Object Ownership is not BucketOwnerEnforced, the grants of the
 * key's current version become statements of the resource policy the authorize step evaluates for
 * `arn:aws:s3:::bucket/key` (objectAclPolicy), next to the bucket policy and bucket ACL; grants
 * to AllUsers / AuthenticatedUsers are left out under IgnorePublicAcls, and setting them is
 * refused under BlockPublicAcls (AccessDenied). Under BucketOwnerEnforced, PutObjectAcl and any
 * ACL header other than bucket-owner-full-control answer AccessControlListNotSupported.
 *
 * ## Gaps
 * - Access is decided by the grants of the key's current version, also for requests naming a
 *   versionId.
 * - Object ownership does not change who may act: a bucket owner's own IAM decides for objects
 *   another account wrote (AWS keeps such objects from the bucket owner unless granted).
 * - LogDelivery grants and object WRITE grants grant nothing (WRITE means nothing on objects in AWS).
 */
import { ServiceError } from "../../core/errors.js";
import type { AuthorizationFacts, RequestContext } from "../../core/service.js";
import type { S3Operations } from "../../generated/s3.js";
import { aclFromRequest, aclOutput, canonicalIdOf, granteePrincipal, isPublicAcl, privateAcl, type AclHeaders } from "./acl.js";
import {
  BucketConfigStore,
  effectiveOwnership,
  effectivePublicAccessBlock,
  type AccessControlList,
  type ObjectOwnership,
} from "./bucket-config-store.js";
import { ConfigErrors } from "./bucket-config-errors.js";
import { lookupBucket } from "./bucket-lookup.js";
import { bucketOf, checkVersionIdArg, readVersion, updateVersion } from "./object-lock.js";
import { ObjectStore, type ObjectVersion } from "./objects-store.js";
import type { BucketRecord } from "./store.js";
import { readVersioning } from "./versioning.js";

const ACCESS_DENIED = { code: "AccessDenied", status: 403, message: "Access Denied" } as const;

async function ownershipOf(ctx: RequestContext, bucket: BucketRecord): Promise<ObjectOwnership> {
  const o = await new BucketConfigStore(ctx.storage.metadata).get(bucket, "ownership");
  return effectiveOwnership(o === undefined ? {} : { ownership: o });
}

/** The account that owns a version: its writer, unless the bucket owner takes ownership. */
function objectOwner(bucket: BucketRecord, writer: string, ownership: ObjectOwnership, canned: string | undefined): string {
  if (ownership === "BucketOwnerEnforced") return bucket.account;
  if (ownership === "BucketOwnerPreferred" && canned === "bucket-owner-full-control") return bucket.account;
  return writer;
}

/** A canned ACL as it applies to an object (the bucket-owner-* ones grant the bucket's owner). */
async function objectAcl(
  ctx: RequestContext,
  bucket: BucketRecord,
  owner: string,
  headers: AclHeaders,
  document?: Parameters<typeof aclFromRequest>[3],
): Promise<AccessControlList | undefined> {
  const acl = await aclFromRequest(ctx, owner, headers, document);
  if (!acl) return undefined;
  const bucketOwner = canonicalIdOf(bucket.account);
  if (bucketOwner !== acl.owner) {
    if (headers.ACL === "bucket-owner-read") acl.grants.push({ grantee: { type: "CanonicalUser", id: bucketOwner }, permission: "READ" });
    if (headers.ACL === "bucket-owner-full-control") acl.grants.push({ grantee: { type: "CanonicalUser", id: bucketOwner }, permission: "FULL_CONTROL" });
  }
  return acl;
}

async function refusePublic(ctx: RequestContext, bucket: BucketRecord, acl: AccessControlList): Promise<void> {
  if (!isPublicAcl(acl)) return;
  const store = new BucketConfigStore(ctx.storage.metadata);
  const pab = effectivePublicAccessBlock(await store.all(bucket), await store.getAccountPublicAccessBlock(bucket.account));
  if (pab.BlockPublicAcls) throw new ServiceError(ACCESS_DENIED);
}

/**
 * The ACL a new version gets from x-amz-acl / x-amz-grant-* (undefined: the default private ACL).
 * Throws before anything is written.
 */
export async function aclOnWrite(ctx: RequestContext, bucket: BucketRecord, headers: AclHeaders): Promise<AccessControlList | undefined> {
  const named = headers.ACL !== undefined || headers.GrantFullControl !== undefined || headers.GrantRead !== undefined ||
    headers.GrantReadACP !== undefined || headers.GrantWrite !== undefined || headers.GrantWriteACP !== undefined;
  if (!named) return undefined;
  const ownership = await ownershipOf(ctx, bucket);
  if (ownership === "BucketOwnerEnforced") {
    if (headers.ACL === "bucket-owner-full-control" && !headers.GrantFullControl && !headers.GrantRead && !headers.GrantReadACP && !headers.GrantWriteACP) {
      return undefined;
    }
    throw new ServiceError(ConfigErrors.AccessControlListNotSupported);
  }
  const owner = objectOwner(bucket, ctx.principal.account ?? bucket.account, ownership, headers.ACL);
  const acl = await objectAcl(ctx, bucket, owner, headers);
  if (!acl) return undefined;
  await refusePublic(ctx, bucket, acl);
  return acl;
}

type Ops = S3Operations;

export const objectAclHandlers: Partial<Ops> = {
  async GetObjectAcl(ctx, input) {
    const bucket = await bucketOf(ctx, input.Bucket);
    checkVersionIdArg(input.VersionId);
    const v = await readVersion(ctx, bucket, input.Key, input.VersionId);
    const ownership = await ownershipOf(ctx, bucket);
    const acl = ownership !== "BucketOwnerEnforced" && v.acl ? v.acl : privateAcl(ownership === "BucketOwnerEnforced" ? bucket.account : v.owner);
    return aclOutput(acl);
  },

  async PutObjectAcl(ctx, input) {
    const bucket = await bucketOf(ctx, input.Bucket);
    checkVersionIdArg(input.VersionId);
    const ownership = await ownershipOf(ctx, bucket);
    if (ownership === "BucketOwnerEnforced") throw new ServiceError(ConfigErrors.AccessControlListNotSupported);
    const current = await readVersion(ctx, bucket, input.Key, input.VersionId);
    const owner = current.acl ? current.acl.owner.slice(-12) : current.owner;
    const doc = input.AccessControlPolicy as Parameters<typeof aclFromRequest>[3];
    const acl = await objectAcl(ctx, bucket, owner, input, doc && (doc.Owner || doc.Grants) ? doc : undefined);
    if (!acl) throw new ServiceError(ConfigErrors.MalformedACLError);
    await refusePublic(ctx, bucket, acl);
    const v = await updateVersion(ctx, bucket, input.Key, input.VersionId, (x) => ({ ...x, acl }));
    const versioned = (await readVersioning(ctx.storage.metadata, bucket)) !== undefined;
    return versioned ? ({ VersionId: v.versionId } as Record<string, unknown>) : {};
  },
};

// ---------------------------------------------------------------------------------------------
// Enforcement: the object ACL as resource policy statements

/** The S3 actions each object ACL permission grants (AWS's mapping). */
const OBJECT_ACTIONS: Record<"READ" | "READ_ACP" | "WRITE_ACP", string[]> = {
  READ: ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"],
  READ_ACP: ["s3:GetObjectAcl", "s3:GetObjectVersionAcl"],
  WRITE_ACP: ["s3:PutObjectAcl", "s3:PutObjectVersionAcl"],
};

export function objectAclStatements(acl: AccessControlList, arn: string, bucketAccount: string, ignorePublic: boolean): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const g of acl.grants) {
    const who = granteePrincipal(g, bucketAccount, ignorePublic);
    if (!who) continue;
    const { principal, condition } = who;
    const perms = g.permission === "FULL_CONTROL" ? (["READ", "READ_ACP", "WRITE_ACP"] as const) : g.permission === "WRITE" ? [] : [g.permission];
    const actions = perms.flatMap((p) => OBJECT_ACTIONS[p]);
    if (actions.length) out.push({ Effect: "Allow", Principal: principal, Action: actions, Resource: arn, ...(condition ? { Condition: condition } : {}) });
  }
  return out;
}

const stores = new WeakMap<object, ObjectStore>();

/**
 * Adds the object ACL's grants to `base` (the bucket policy + bucket ACL document) for an
 * object ARN; any other ARN, or a bucket whose ACLs are disabled, gets `base` unchanged.
 */
export async function objectAclPolicy(ctx: RequestContext, arn: string, base: string | undefined): Promise<string | undefined> {
  const m = /^arn:aws:s3:::([^/]+)\/(.+)$/s.exec(arn);
  if (!m) return base;
  const bucket = await lookupBucket(ctx, m[1]!);
  if (!bucket) return base;
  const configs = new BucketConfigStore(ctx.storage.metadata);
  const ownership = await configs.get(bucket, "ownership");
  if (effectiveOwnership(ownership === undefined ? {} : { ownership }) === "BucketOwnerEnforced") return base;
  let store = stores.get(ctx.storage);
  if (!store) stores.set(ctx.storage, (store = new ObjectStore(ctx.storage.metadata, ctx.storage.blobs, () => undefined)));
  const found = await store.find(bucket, m[2]!);
  const acl: AccessControlList | undefined = (found?.version as ObjectVersion | undefined)?.acl;
  if (!acl) return base;
  const pab = effectivePublicAccessBlock(await configs.all(bucket), await configs.getAccountPublicAccessBlock(bucket.account));
  const extra = objectAclStatements(acl, arn, bucket.account, pab.IgnorePublicAcls);
  if (!extra.length) return base;
  const doc = base ? (JSON.parse(base) as { Version?: string; Statement: unknown }) : { Version: "2012-10-17", Statement: [] };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return JSON.stringify({ Version: doc.Version ?? "2012-10-17", Statement: [...statements, ...extra] });
}

// ---------------------------------------------------------------------------------------------
// Authorization facts

type Input = Record<string, unknown>;

function aclFacts(action: string, versionAction: string) {
  return async (ctx: RequestContext, input: Input): Promise<AuthorizationFacts> => {
    const bucket = String(input.Bucket);
    const versionId = typeof input.VersionId === "string" ? input.VersionId : undefined;
    const context: Record<string, string> = {};
    if (versionId !== undefined) context["s3:versionid"] = versionId;
    if (typeof input.ACL === "string") context["s3:x-amz-acl"] = input.ACL;
    return {
      action: versionId !== undefined ? versionAction : action,
      resources: [`arn:aws:s3:::${bucket}/${String(input.Key)}`],
      resourceAccount: (await lookupBucket(ctx, bucket))?.account ?? ctx.account,
      context,
    };
  };
}

export const objectAclAuthorization = {
  GetObjectAcl: aclFacts("s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
  PutObjectAcl: aclFacts("s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
};
