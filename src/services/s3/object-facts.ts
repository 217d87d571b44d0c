/**
 * IAM facts of the object, listing and versioning operations: each operation's action, the ARN
 * it acts on (arn:aws:s3:::bucket/key for objects, arn:aws:s3:::bucket for listings), the bucket
 * owner's account (so another account is decided by the bucket policy) and S3's condition keys.
 */
import type { AuthorizationFacts, ConditionValue, RequestContext } from "../../core/service.js";
import { lookupBucket } from "./bucket-lookup.js";

type Input = Record<string, unknown>;
type Facts = (ctx: RequestContext, input: Input) => Promise<AuthorizationFacts>;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

async function ownerAccount(ctx: RequestContext, bucket: string): Promise<string> {
  return (await lookupBucket(ctx, bucket))?.account ?? ctx.account;
}

/** Keys from the x-amz-tagging header (s3:RequestObjectTag/<key>, s3:RequestObjectTagKeys). */
function requestTagContext(tagging: string | undefined): Record<string, ConditionValue> {
  if (!tagging) return {};
  const c: Record<string, ConditionValue> = {};
  const keys: string[] = [];
  for (const [k, v] of new URLSearchParams(tagging)) {
    keys.push(k);
    c[`s3:RequestObjectTag/${k}`] = v;
  }
  c["s3:RequestObjectTagKeys"] = keys;
  return c;
}

function objectFacts(action: string, versionAction: string | undefined, context?: (input: Input) => Record<string, ConditionValue>): Facts {
  return async (ctx, input) => {
    const bucket = String(input.Bucket);
    const versionId = str(input.VersionId);
    const c: Record<string, ConditionValue> = { ...(context ? context(input) : {}) };
    if (versionId !== undefined) c["s3:versionid"] = versionId;
    return {
      action: versionId !== undefined && versionAction ? versionAction : action,
      resources: [`arn:aws:s3:::${bucket}/${String(input.Key)}`],
      resourceAccount: await ownerAccount(ctx, bucket),
      context: c,
    };
  };
}

function listFacts(action: string): Facts {
  return async (ctx, input) => {
    const bucket = String(input.Bucket);
    const c: Record<string, ConditionValue> = {};
    if (str(input.Prefix) !== undefined) c["s3:prefix"] = str(input.Prefix);
    if (str(input.Delimiter) !== undefined) c["s3:delimiter"] = str(input.Delimiter);
    if (typeof input.MaxKeys === "number") c["s3:max-keys"] = input.MaxKeys;
    return { action, resources: [`arn:aws:s3:::${bucket}`], resourceAccount: await ownerAccount(ctx, bucket), context: c };
  };
}

function bucketLevel(action: string): Facts {
  return async (ctx, input) => {
    const bucket = String(input.Bucket);
    return { action, resources: [`arn:aws:s3:::${bucket}`], resourceAccount: await ownerAccount(ctx, bucket) };
  };
}

const putContext = (input: Input): Record<string, ConditionValue> => {
  const c: Record<string, ConditionValue> = { ...requestTagContext(str(input.Tagging)) };
  if (str(input.ACL)) c["s3:x-amz-acl"] = str(input.ACL);
  if (str(input.StorageClass)) c["s3:x-amz-storage-class"] = str(input.StorageClass);
  if (str(input.ServerSideEncryption)) c["s3:x-amz-server-side-encryption"] = str(input.ServerSideEncryption);
  if (str(input.SSEKMSKeyId)) c["s3:x-amz-server-side-encryption-aws-kms-key-id"] = str(input.SSEKMSKeyId);
  if (str(input.IfNoneMatch)) c["s3:if-none-match"] = str(input.IfNoneMatch);
  if (str(input.IfMatch)) c["s3:if-match"] = str(input.IfMatch);
  if (str(input.CopySource)) c["s3:x-amz-copy-source"] = str(input.CopySource);
  if (str(input.MetadataDirective)) c["s3:x-amz-metadata-directive"] = str(input.MetadataDirective);
  if (str(input.WebsiteRedirectLocation)) c["s3:x-amz-website-redirect-location"] = str(input.WebsiteRedirectLocation);
  return c;
};

/** DeleteObjects: s3:DeleteObject on every key named (AWS decides per key). */
const deleteObjectsFacts: Facts = async (ctx, input) => {
  const bucket = String(input.Bucket);
  const del = input.Delete as { Objects?: Array<{ Key?: unknown }> } | undefined;
  const resources = [...new Set((del?.Objects ?? []).map((o) => `arn:aws:s3:::${bucket}/${String(o.Key)}`))];
  return {
    action: "s3:DeleteObject",
    resources: resources.length ? resources : [`arn:aws:s3:::${bucket}/*`],
    resourceAccount: await ownerAccount(ctx, bucket),
  };
};

export const objectAuthorization: Record<string, Facts> = {
  PutObject: objectFacts("s3:PutObject", undefined, putContext),
  CopyObject: objectFacts("s3:PutObject", undefined, putContext),
  GetObject: objectFacts("s3:GetObject", "s3:GetObjectVersion"),
  HeadObject: objectFacts("s3:GetObject", "s3:GetObjectVersion"),
  GetObjectAttributes: objectFacts("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"),
  DeleteObject: objectFacts("s3:DeleteObject", "s3:DeleteObjectVersion"),
  DeleteObjects: deleteObjectsFacts,
  GetObjectTagging: objectFacts("s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
  PutObjectTagging: objectFacts("s3:PutObjectTagging", "s3:PutObjectVersionTagging", (input) => {
    const tagging = input.Tagging as { TagSet?: Array<{ Key: string; Value?: string }> } | undefined;
    const c: Record<string, ConditionValue> = {};
    const keys = (tagging?.TagSet ?? []).map((t) => {
      c[`s3:RequestObjectTag/${t.Key}`] = t.Value ?? "";
      return t.Key;
    });
    c["s3:RequestObjectTagKeys"] = keys;
    return c;
  }),
  DeleteObjectTagging: objectFacts("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
  // RestoreObject has no version-specific action: s3:RestoreObject on the object ARN either way.
  RestoreObject: objectFacts("s3:RestoreObject", undefined),
  ListObjects: listFacts("s3:ListBucket"),
  ListObjectsV2: listFacts("s3:ListBucket"),
  ListObjectVersions: listFacts("s3:ListBucketVersions"),
  PutBucketVersioning: bucketLevel("s3:PutBucketVersioning"),
  GetBucketVersioning: bucketLevel("s3:GetBucketVersioning"),
};
