/**
 * S3 Control: access points (create, get, list, delete, their policies and policy status) and the
 * account-level Block Public Access settings. Requests are signed as `s3` under /v20180820/; the
 * SDKs put the account id in the host (`<account>.<endpoint host>`) and in x-amz-account-id.
 *
 * ## Gaps
 * - Only access points and the account Block Public Access operations; the rest of S3 Control
 *   (Batch Operations jobs, Storage Lens, Multi-Region Access Points, Access Grants, Object Lambda,
 *   tagging) answers 501 NotImplemented.
 * - Access points of a bucket in another account (BucketAccountId) are refused as AccessDenied;
 *   VpcConfiguration is kept (NetworkOrigin VPC) but no VPC check can apply to requests.
 * - The wording of the refusal of a malformed access point name is S3's generic InvalidURI.
 * ## Client quirks
 * - With `endpoint: "http://127.0.0.1:4566"` SDK v3 cannot build the S3 Control URL
 *   (`<account>.127.0.0.1` is no valid host: "Invalid URL") nor an access point URL; use
 *   `http://localhost:4566` with a resolver that answers `*.localhost` (systemd-resolved, an
 *   /etc/hosts line, or a Node agent `lookup`). botocore builds the same hosts.
 */
import { defineService } from "../../core/service.js";
import type { AuthorizationFacts, RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import type { S3controlOperations } from "../../generated/s3control.js";
import { parsePolicyDocument } from "../iam/policy/index.js";
import { isServiceError } from "../../core/errors.js";
import { AccessPointStore, accessPointArn, aliasOf, type AccessPointRecord } from "../s3/access-points.js";
import { isPublicPolicy, MAX_POLICY_BYTES } from "../s3/bucket-policy.js";
import { BucketStore } from "../s3/store.js";
import { deleteAccountPublicAccessBlock, getAccountPublicAccessBlock, publicAccessBlockFrom, putAccountPublicAccessBlock } from "../s3/public-access-block.js";

const Errors = {
  NoSuchAccessPoint: { code: "NoSuchAccessPoint", status: 404, message: "The specified accesspoint does not exist" },
  NoSuchAccessPointPolicy: { code: "NoSuchAccessPointPolicy", status: 404, message: "The specified accesspoint policy does not exist" },
  AccessPointAlreadyOwnedByYou: {
    code: "AccessPointAlreadyOwnedByYou",
    status: 409,
    message: "Your previous request to create the named accesspoint succeeded and you already own it.",
  },
  NoSuchBucket: { code: "NoSuchBucket", status: 404, message: "The specified bucket does not exist" },
  NoSuchPublicAccessBlockConfiguration: {
    code: "NoSuchPublicAccessBlockConfiguration",
    status: 404,
    message: "The public access block configuration was not found",
  },
  InvalidURI: { code: "InvalidURI", status: 400, message: "Couldn't parse the specified URI." },
  InvalidRequest: { code: "InvalidRequest", status: 400 },
  MalformedPolicy: { code: "MalformedPolicy", status: 400 },
  AccessDenied: { code: "AccessDenied", status: 403, message: "Access Denied" },
} as const;

const NAME = /^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$/;

function checkAccount(ctx: RequestContext, accountId: string): void {
  if (accountId !== ctx.account) throw new ServiceError(Errors.AccessDenied);
}

const store = (ctx: RequestContext) => new AccessPointStore(ctx.storage.metadata);

async function existing(ctx: RequestContext, accountId: string, name: string): Promise<AccessPointRecord> {
  checkAccount(ctx, accountId);
  const ap = await store(ctx).get(accountId, ctx.region, name);
  if (!ap) throw new ServiceError(Errors.NoSuchAccessPoint, undefined, { AccessPointName: name });
  return ap;
}

function validatePolicy(text: string, ap: AccessPointRecord): void {
  if (Buffer.byteLength(text, "utf8") > MAX_POLICY_BYTES) throw new ServiceError(Errors.MalformedPolicy, "Policy exceeds the maximum allowed document size.");
  let doc;
  try {
    doc = parsePolicyDocument(text, "resource");
  } catch (e) {
    if (isServiceError(e)) throw new ServiceError(Errors.MalformedPolicy, e.message);
    throw e;
  }
  const arn = accessPointArn(ap);
  for (const s of doc.Statement) {
    for (const r of s.Resource ?? s.NotResource ?? []) {
      if (r !== arn && !r.startsWith(`${arn}/object/`)) throw new ServiceError(Errors.MalformedPolicy, "Policy has invalid resource");
    }
  }
  if (ap.publicAccessBlock.BlockPublicPolicy && isPublicPolicy(doc)) throw new ServiceError(Errors.AccessDenied);
}

function describe(ctx: RequestContext, ap: AccessPointRecord) {
  return {
    Name: ap.name,
    Bucket: ap.bucket,
    NetworkOrigin: ap.vpcId ? "VPC" : "Internet",
    ...(ap.vpcId ? { VpcConfiguration: { VpcId: ap.vpcId } } : {}),
    AccessPointArn: accessPointArn(ap),
    Alias: ap.alias,
    BucketAccountId: ap.bucketAccount,
  };
}

type Ops = S3controlOperations;

const handlers: Partial<Ops> = {
  async CreateAccessPoint(ctx, input) {
    checkAccount(ctx, input.AccountId);
    if (!NAME.test(input.Name) || input.Name.includes("--") || input.Name.endsWith("-s3alias")) throw new ServiceError(Errors.InvalidURI);
    if (input.BucketAccountId !== undefined && input.BucketAccountId !== ctx.account) throw new ServiceError(Errors.AccessDenied);
    const bucket = await new BucketStore(ctx.storage.metadata).get(input.Bucket);
    if (!bucket || bucket.account !== ctx.account) throw new ServiceError(Errors.NoSuchBucket, undefined, { BucketName: input.Bucket });
    const pab = input.PublicAccessBlockConfiguration;
    const ap: AccessPointRecord = {
      name: input.Name,
      account: ctx.account,
      region: ctx.region,
      bucket: bucket.name,
      bucketAccount: bucket.account,
      alias: aliasOf(ctx.account, ctx.region, input.Name),
      created: ctx.clock.now().toISOString(),
      // Access points block public access unless told otherwise.
      publicAccessBlock: publicAccessBlockFrom({
        BlockPublicAcls: pab?.BlockPublicAcls ?? true,
        IgnorePublicAcls: pab?.IgnorePublicAcls ?? true,
        BlockPublicPolicy: pab?.BlockPublicPolicy ?? true,
        RestrictPublicBuckets: pab?.RestrictPublicBuckets ?? true,
      }),
      ...(input.VpcConfiguration?.VpcId ? { vpcId: input.VpcConfiguration.VpcId } : {}),
    };
    if (await store(ctx).create(ap)) throw new ServiceError(Errors.AccessPointAlreadyOwnedByYou);
    return { AccessPointArn: accessPointArn(ap), Alias: ap.alias };
  },

  async GetAccessPoint(ctx, input) {
    const ap = await existing(ctx, input.AccountId, input.Name);
    const host = new URL(ctx.endpoint).host;
    return {
      ...describe(ctx, ap),
      PublicAccessBlockConfiguration: ap.publicAccessBlock,
      CreationDate: new Date(ap.created),
      Endpoints: { ipv4: `${ap.name}-${ap.account}.s3-accesspoint.${ap.region}.${host}` },
    };
  },

  async ListAccessPoints(ctx, input) {
    checkAccount(ctx, input.AccountId);
    const max = input.MaxResults ?? 1000;
    if (max < 0 || max > 1000) throw new ServiceError(Errors.InvalidRequest, "MaxResults must be between 0 and 1000");
    let all = await store(ctx).list(input.AccountId, ctx.region);
    if (input.Bucket !== undefined) all = all.filter((a) => a.bucket === input.Bucket);
    const start = input.NextToken ? all.findIndex((a) => a.name > Buffer.from(input.NextToken!, "base64url").toString("utf8")) : 0;
    const page = start < 0 ? [] : all.slice(start, start + max);
    const more = start >= 0 && start + max < all.length;
    return {
      AccessPointList: page.map((a) => describe(ctx, a)),
      ...(more && page.length ? { NextToken: Buffer.from(page[page.length - 1]!.name, "utf8").toString("base64url") } : {}),
    };
  },

  async DeleteAccessPoint(ctx, input) {
    await store(ctx).delete(await existing(ctx, input.AccountId, input.Name));
  },

  async PutAccessPointPolicy(ctx, input) {
    const ap = await existing(ctx, input.AccountId, input.Name);
    validatePolicy(input.Policy, ap);
    await store(ctx).put({ ...ap, policy: input.Policy });
  },

  async GetAccessPointPolicy(ctx, input) {
    const ap = await existing(ctx, input.AccountId, input.Name);
    if (ap.policy === undefined) throw new ServiceError(Errors.NoSuchAccessPointPolicy);
    return { Policy: ap.policy };
  },

  async DeleteAccessPointPolicy(ctx, input) {
    const ap = await existing(ctx, input.AccountId, input.Name);
    const next = { ...ap };
    delete next.policy;
    await store(ctx).put(next);
  },

  async GetAccessPointPolicyStatus(ctx, input) {
    const ap = await existing(ctx, input.AccountId, input.Name);
    if (ap.policy === undefined) throw new ServiceError(Errors.NoSuchAccessPointPolicy);
    return { PolicyStatus: { IsPublic: isPublicPolicy(parsePolicyDocument(ap.policy, "resource")) } };
  },

  async PutPublicAccessBlock(ctx, input) {
    checkAccount(ctx, input.AccountId);
    await putAccountPublicAccessBlock(ctx.storage.metadata, input.AccountId, input.PublicAccessBlockConfiguration ?? {});
  },

  async GetPublicAccessBlock(ctx, input) {
    checkAccount(ctx, input.AccountId);
    const pab = await getAccountPublicAccessBlock(ctx.storage.metadata, input.AccountId);
    if (!pab) throw new ServiceError(Errors.NoSuchPublicAccessBlockConfiguration);
    return { PublicAccessBlockConfiguration: pab };
  },

  async DeletePublicAccessBlock(ctx, input) {
    checkAccount(ctx, input.AccountId);
    await deleteAccountPublicAccessBlock(ctx.storage.metadata, input.AccountId);
  },
};

const onAccessPoint =
  (action: string) =>
  (ctx: RequestContext, input: Record<string, unknown>): AuthorizationFacts => ({
    action,
    resources: [accessPointArn({ region: ctx.region, account: String(input.AccountId), name: String(input.Name) })],
    resourceAccount: String(input.AccountId),
  });
const onAccount = (action: string) => (_ctx: RequestContext, input: Record<string, unknown>): AuthorizationFacts => ({ action, resourceAccount: String(input.AccountId) });

export const s3control = defineService<S3controlOperations>({
  name: "s3control",
  handlers,
  authorization: {
    CreateAccessPoint: onAccessPoint("s3:CreateAccessPoint"),
    GetAccessPoint: onAccessPoint("s3:GetAccessPoint"),
    DeleteAccessPoint: onAccessPoint("s3:DeleteAccessPoint"),
    ListAccessPoints: onAccount("s3:ListAccessPoints"),
    PutAccessPointPolicy: onAccessPoint("s3:PutAccessPointPolicy"),
    GetAccessPointPolicy: onAccessPoint("s3:GetAccessPointPolicy"),
    DeleteAccessPointPolicy: onAccessPoint("s3:DeleteAccessPointPolicy"),
    GetAccessPointPolicyStatus: onAccessPoint("s3:GetAccessPointPolicyStatus"),
    PutPublicAccessBlock: onAccount("s3:PutAccountPublicAccessBlock"),
    GetPublicAccessBlock: onAccount("s3:GetAccountPublicAccessBlock"),
    DeletePublicAccessBlock: onAccount("s3:PutAccountPublicAccessBlock"),
  },
});
