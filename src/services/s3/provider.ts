/**
 * S3 bucket operations: CreateBucket, HeadBucket, DeleteBucket, ListBuckets, GetBucketLocation.
 * Objects, multipart uploads and bucket configuration live in the other provider-* files and
 * multipart.ts; ACL and ownership headers on CreateBucket are kept (provider-bucket-config.ts).
 *
 * DeleteBucket needs no objects, versions or delete markers, but multipart uploads in progress do
 * not stop it: they go with the bucket, parts and all, as in S3 (a bucket made again under the
 * name lists none of them).
 *
 * ## By design
 * - CreateBucket for a bucket you already own answers BucketAlreadyOwnedByYou in every region,
 *   including us-east-1 (where AWS keeps a legacy 200 for that case).
 */
import type { S3Operations } from "../../generated/s3.js";
import type { RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import { isKnownRegion } from "../../core/regions.js";
import { S3Errors } from "./errors.js";
import { BucketStore, type BucketRecord } from "./store.js";
import { bucketNameProblem } from "./bucket-name.js";
import { initialBucketConfig } from "./provider-bucket-config.js";
import { clearBucketConfig, writeBucketConfig } from "./bucket-config-store.js";
import { writeVersioning } from "./versioning.js";
import { uploadTables } from "./multipart-store.js";

const store = (ctx: RequestContext) => new BucketStore(ctx.storage.metadata);

async function existingBucket(ctx: RequestContext, name: string): Promise<BucketRecord> {
  const bucket = await store(ctx).get(name);
  if (!bucket) throw new ServiceError(S3Errors.NoSuchBucket, undefined, { BucketName: name });
  return bucket;
}

/** A bucket only its owner's account may act on, whatever a bucket policy grants. */
async function ownedBucket(ctx: RequestContext, name: string): Promise<BucketRecord> {
  const bucket = await existingBucket(ctx, name);
  if (bucket.account !== ctx.account) throw new ServiceError(S3Errors.AccessDenied);
  return bucket;
}

const owner = (ctx: RequestContext) => ({ ID: ctx.account.padStart(64, "0"), DisplayName: `account-${ctx.account}` });

export const handlers: Partial<S3Operations> = {
  async CreateBucket(ctx, input) {
    const name = input.Bucket;
    const problem = bucketNameProblem(name);
    if (problem) throw new ServiceError(S3Errors.InvalidBucketName, problem, { BucketName: name });
    const constraint = input.CreateBucketConfiguration?.LocationConstraint;
    let region = "us-east-1";
    if (constraint !== undefined && constraint !== "") {
      if (constraint === "us-east-1" || (constraint !== "EU" && !isKnownRegion(constraint))) {
        throw new ServiceError(S3Errors.InvalidLocationConstraint, undefined, { LocationConstraint: constraint });
      }
      region = constraint === "EU" ? "eu-west-1" : constraint;
      if (region !== ctx.region) {
        throw new ServiceError(
          S3Errors.IllegalLocationConstraintException,
          `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
        );
      }
    } else if (ctx.region !== "us-east-1") {
      throw new ServiceError(
        S3Errors.IllegalLocationConstraintException,
        "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
      );
    }
    // x-amz-acl / x-amz-grant-*, x-amz-object-ownership, x-amz-bucket-object-lock-enabled.
    const initial = await initialBucketConfig(ctx, input);
    const record: BucketRecord = { name, account: ctx.account, region, created: ctx.clock.now().toISOString() };
    const existing = await store(ctx).create(record, async (tx) => {
      await writeBucketConfig(tx, record, initial.configs);
      // Object Lock needs versioning, which it turns on for good.
      if (initial.versioning) await writeVersioning(tx, record, { status: "Enabled", bucketCreated: record.created });
    });
    if (existing) {
      throw new ServiceError(
        existing.account === ctx.account ? S3Errors.BucketAlreadyOwnedByYou : S3Errors.BucketAlreadyExists,
        undefined,
        { BucketName: name },
      );
    }
    return { Location: `/${name}` };
  },

  async HeadBucket(ctx, input) {
    // Another account's bucket was let through by its policy (authorization is cross-account).
    const bucket = await existingBucket(ctx, input.Bucket);
    return { BucketRegion: bucket.region };
  },

  async GetBucketLocation(ctx, input) {
    const bucket = await existingBucket(ctx, input.Bucket);
    // us-east-1 buckets report an empty LocationConstraint, as in AWS.
    return bucket.region === "us-east-1" ? {} : { LocationConstraint: bucket.region };
  },

  async DeleteBucket(ctx, input) {
    const bucket = await ownedBucket(ctx, input.Bucket);
    if (!(await store(ctx).isEmpty(bucket))) {
      throw new ServiceError(S3Errors.BucketNotEmpty, undefined, { BucketName: bucket.name });
    }
    let partBlobs: string[] = [];
    await store(ctx).delete(bucket, async (tx) => {
      await clearBucketConfig(tx, bucket);
      // Multipart uploads in progress go with the bucket (their part blobs once committed).
      const ut = uploadTables(tx, bucket);
      partBlobs = (await ut.parts.list()).map((e) => e.value.blob);
      await ut.parts.clear();
      await ut.uploads.clear();
      await ut.completed.clear();
    });
    for (const id of partBlobs) {
      ctx.storage.blobs.delete(id).catch((e: unknown) => ctx.logger.warn(`deleting part blob ${id} failed: ${String(e)}`));
    }
  },

  async ListBuckets(ctx, input) {
    const max = input.MaxBuckets;
    if (max !== undefined && (max < 1 || max > 10000)) {
      throw new ServiceError(S3Errors.InvalidArgument, "Argument max-buckets must be an integer between 1 and 10000.");
    }
    const limit = max ?? 10000;
    const rows = await store(ctx).list(ctx.account, {
      ...(input.ContinuationToken ? { after: Buffer.from(input.ContinuationToken, "base64url").toString("utf8") } : {}),
      ...(input.Prefix ? { prefix: input.Prefix } : {}),
      limit: limit + 1,
    });
    const filtered = input.BucketRegion ? rows.filter((r) => r.value.region === input.BucketRegion) : rows;
    const page = filtered.slice(0, limit);
    const more = filtered.length > limit;
    return {
      Buckets: page.map(({ value }) => ({ Name: value.name, CreationDate: new Date(value.created), BucketRegion: value.region })),
      Owner: owner(ctx),
      ...(input.Prefix ? { Prefix: input.Prefix } : {}),
      ...(more ? { ContinuationToken: Buffer.from(page[page.length - 1]!.key, "utf8").toString("base64url") } : {}),
    };
  },
};
