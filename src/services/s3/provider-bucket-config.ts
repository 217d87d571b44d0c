/**
 * S3 bucket configuration: tagging, CORS, default encryption, Object Ownership, Block Public
 * Access, ACLs, bucket policies, request payment, logging, lifecycle, event notifications,
 * replication, website, Object Lock and Transfer Acceleration settings (metrics configurations:
 * request-metrics.ts). Each is validated the way
 * S3 validates it and stored per bucket (bucket-config-store.ts). Where a setting has an effect
 * Nimbus implements, it is enforced: the bucket policy and ACL are the resource policy the
 * gateway's authorizer evaluates (with Block Public Access applied, bucket-policy.ts), CORS rules
 * answer preflights and decorate responses (cors.ts), and ownership / Block Public Access gate
 * ACLs and policies as they are set.
 *
 * ## Gaps
 * - The account-level Block Public Access settings are the S3 Control API's (src/services/s3control,
 *   through public-access-block.ts) and honoured here.
 * - Lifecycle rules are applied by lifecycle-runner.ts (on clock advances and every minute; its
 *   own Gaps list what is not).
 * - Event notifications are matched and handed to the delivery targets SQS / SNS / Lambda
 *   register (events.ts; its Gaps list what is not sent); until a service registers, matches are
 *   only counted and logged. Destinations are not checked to exist.
 * - Website configurations are served by the website endpoints (website.ts).
 * - Replication rules are acted on by replication.ts (its Gaps list what is not).
 * - Stored, not yet acted on: logging (no log objects are written), request payment (nobody is
 *   billed), Transfer Acceleration.
 * - Metrics configurations (request-metrics.ts) drive AWS/S3 request metrics; the daily
 *   BucketSizeBytes / NumberOfObjects are published for every bucket at the first minute of each
 *   day of the clock. Not counted: the parts of incomplete multipart uploads (storage metrics),
 *   requests refused before a handler runs (signature, IAM: no 4xxErrors for them),
 *   SelectObjectContent. FirstByteLatency and TotalRequestLatency are both the
 *   handler's time (the body is streamed after it). A tag filter reads the object's current tags
 *   (PutObject: the request's x-amz-tagging). The wording of InvalidArgument for an ID or an
 *   access point ARN that is not valid, and for a body ID other than the query's, is inferred.
 * - Object ACLs, object ownership and default encryption / Object Lock retention on writes are
 *   the object API's (it reads getDefaultEncryption, getObjectLockConfiguration,
 *   getObjectOwnership); only bucket ACL grants are evaluated here.
 * - Bucket policy condition keys are not checked against S3's list ("Policy has an invalid
 *   condition key"); a policy is "public" per a simplified reading of AWS's rules (an Allow to `*`
 *   or a wildcard principal not pinned by a fixed-value condition on a source or principal key).
 * - The legacy PutBucketLifecycle / GetBucketLifecycle / Get/PutBucketNotification (pre-2014
 *   document forms) answer NotImplemented; their current forms are implemented.
 * - The wording of a few refusals no public source records is inferred from S3's pattern for
 *   similar ones: more than 100 CORS rules, the order of transition storage classes, replication
 *   destinations that do not exist, notification ARNs that are not well formed.
 * - CORS: whether S3 compares origins case-sensitively, and whether `*` in an AllowedOrigin may
 *   span dots or slashes, is not recorded anywhere; Nimbus compares case-sensitively and lets `*`
 *   match any run of characters (the empty one too).
 * ## By design
 * - Nimbus serves plain HTTP, so `aws:SecureTransport` is false: a bucket policy that denies
 *   insecure transport (the usual "DenyInsecureTransport" statement) denies every request it
 *   covers, the bucket owner's root user's too — except the bucket policy operations, which
 *   stay open to root (as in AWS) so the policy can always be removed.
 * - GetBucketPolicy gives the policy back exactly as it was sent.
 * - A bucket that does not exist is NoSuchBucket (404) for every caller, before any permission is
 *   checked, as in S3: there is no bucket policy to ask.
 * - DeleteBucketEncryption puts the bucket back on SSE-S3, as AWS does since January 2023, so
 *   GetBucketEncryption never answers ServerSideEncryptionConfigurationNotFoundError.
 * - Canonical user ids are the account id left-padded with zeros to 64 characters (as in
 *   ListBuckets); DisplayName is `account-<id>`.
 * ## Client quirks
 * - The AWS CLI and boto3 send Content-MD5 / a CRC32 checksum with configuration PUTs; Nimbus
 *   accepts either and does not require one.
 * - Debian's AWS CLI 1.x predates x-amz-transition-default-minimum-object-size and prints nothing
 *   for PutBucketLifecycleConfiguration; the SDK v3 and boto3 show it.
 * - The SDK v3's BucketCannedACL type leaves out log-delivery-write and bucket-owner-* (S3 takes
 *   them for buckets), and its FilterRuleName type is lower case while S3 answers "Prefix" and
 *   "Suffix".
 */
import type { GetBucketLifecycleConfigurationOutputRulesMember, S3Operations } from "../../generated/s3.js";
import type { RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import { S3Errors } from "./errors.js";
import { emitS3TestEvent } from "./events.js";
import { ConfigErrors } from "./bucket-config-errors.js";
import { BucketStore, type BucketRecord } from "./store.js";
import {
  BucketConfigStore,
  DEFAULT_ENCRYPTION,
  DEFAULT_PUBLIC_ACCESS_BLOCK,
  effectiveOwnership,
  effectivePublicAccessBlock,
  type BucketConfigs,
  type CorsRule,
  type EncryptionRule,
  type LifecycleRule,
  type LoggingConfig,
  type ObjectOwnership,
} from "./bucket-config-store.js";
import { validateCorsRules } from "./cors.js";
import { aclFromRequest, aclOutput, isOwnerOnly, isPublicAcl, privateAcl } from "./acl.js";
import { isPublicPolicy, validateBucketPolicy } from "./bucket-policy.js";
import { publicAccessBlockFrom } from "./public-access-block.js";
import { validateLifecycle, type GivenRule } from "./lifecycle.js";
import {
  validateBucketTags,
  validateEncryption,
  validateNotification,
  validateObjectLock,
  validateReplication,
  validateWebsite,
} from "./bucket-config-validate.js";
import { readVersioning } from "./versioning.js";

const OWNERSHIPS = new Set<ObjectOwnership>(["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]);

const buckets = (ctx: RequestContext) => new BucketStore(ctx.storage.metadata);
const configs = (ctx: RequestContext) => new BucketConfigStore(ctx.storage.metadata);

/**
 * The bucket a configuration request is about. Who may act on it was decided by authorization
 * (another account's bucket only through its policy); x-amz-expected-bucket-owner is checked here.
 */
async function bucketOf(ctx: RequestContext, input: { Bucket: string; ExpectedBucketOwner?: string }): Promise<BucketRecord> {
  const bucket = await buckets(ctx).get(input.Bucket);
  if (!bucket) throw new ServiceError(S3Errors.NoSuchBucket, undefined, { BucketName: input.Bucket });
  if (input.ExpectedBucketOwner !== undefined && input.ExpectedBucketOwner !== bucket.account) {
    throw new ServiceError(ConfigErrors.AccessDenied);
  }
  return bucket;
}

/** Bucket policy operations are the owner account's alone, whatever a policy grants (405). */
function requireOwnerAccount(ctx: RequestContext, bucket: BucketRecord, method: string): void {
  if (ctx.principal.type === "anonymous" || ctx.principal.account !== bucket.account) {
    throw new ServiceError(ConfigErrors.MethodNotAllowed, undefined, { Method: method, ResourceType: "BUCKETPOLICY" });
  }
}

const notFound = (def: (typeof ConfigErrors)[keyof typeof ConfigErrors], bucket: BucketRecord) =>
  new ServiceError(def, undefined, { BucketName: bucket.name });

async function accountPab(ctx: RequestContext, bucket: BucketRecord) {
  return configs(ctx).getAccountPublicAccessBlock(bucket.account);
}

/**
 * CreateBucket's configuration: Object Ownership, the ACL from x-amz-acl / x-amz-grant-*, Object
 * Lock. Checked before the bucket exists (new buckets have Block Public Access on and, unless
 * told otherwise, BucketOwnerEnforced), written in the transaction that creates it.
 */
export async function initialBucketConfig(
  ctx: RequestContext,
  input: Parameters<S3Operations["CreateBucket"]>[1],
): Promise<{ configs: Partial<BucketConfigs>; versioning: boolean }> {
  const out: Partial<BucketConfigs> = {};
  const ownership = input.ObjectOwnership as ObjectOwnership | undefined;
  if (ownership !== undefined) {
    if (!OWNERSHIPS.has(ownership)) {
      throw new ServiceError(ConfigErrors.InvalidArgument, "Invalid x-amz-object-ownership header", {
        ArgumentName: "x-amz-object-ownership",
        ArgumentValue: ownership,
      });
    }
    if (ownership !== "BucketOwnerEnforced") out.ownership = ownership;
  }
  const acl = await aclFromRequest(ctx, ctx.account, input);
  if (acl) {
    if ((ownership ?? "BucketOwnerEnforced") === "BucketOwnerEnforced" && !isOwnerOnly(acl)) {
      throw new ServiceError(ConfigErrors.InvalidBucketAclWithObjectOwnership);
    }
    if (isPublicAcl(acl)) throw new ServiceError(ConfigErrors.InvalidBucketAclWithBlockPublicAccessError);
    if (!isOwnerOnly(acl)) out.acl = acl;
  }
  if (input.ObjectLockEnabledForBucket === true) out.objectLock = { ObjectLockEnabled: "Enabled" };
  return { configs: out, versioning: input.ObjectLockEnabledForBucket === true };
}

/** A stored lifecycle rule as the output shapes it (dates back to Date). */
function lifecycleRuleOutput(rule: LifecycleRule): GetBucketLifecycleConfigurationOutputRulesMember {
  const withDate = <T extends { Date?: string }>({ Date: d, ...rest }: T) => ({ ...rest, ...(d === undefined ? {} : { Date: new Date(d) }) });
  const { Expiration, Transitions, ...rest } = rule;
  return {
    ...rest,
    ...(Expiration ? { Expiration: withDate(Expiration) } : {}),
    ...(Transitions ? { Transitions: Transitions.map(withDate) } : {}),
  };
}

export const bucketConfigHandlers: Partial<S3Operations> = {
  // ---- Tagging ------------------------------------------------------------------------------
  async PutBucketTagging(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const tags = validateBucketTags(input.Tagging.TagSet ?? []);
    if (tags.length === 0) await configs(ctx).delete(bucket, "tagging");
    else await configs(ctx).put(bucket, "tagging", tags);
  },
  async GetBucketTagging(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const tags = await configs(ctx).get(bucket, "tagging");
    if (!tags) throw notFound(ConfigErrors.NoSuchTagSet, bucket);
    return { TagSet: tags };
  },
  async DeleteBucketTagging(ctx, input) {
    await configs(ctx).delete(await bucketOf(ctx, input), "tagging");
  },

  // ---- CORS ---------------------------------------------------------------------------------
  async PutBucketCors(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    await configs(ctx).put(bucket, "cors", validateCorsRules((input.CORSConfiguration.CORSRules ?? []) as CorsRule[]));
  },
  async GetBucketCors(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const rules = await configs(ctx).get(bucket, "cors");
    if (!rules) throw notFound(ConfigErrors.NoSuchCORSConfiguration, bucket);
    return { CORSRules: rules };
  },
  async DeleteBucketCors(ctx, input) {
    await configs(ctx).delete(await bucketOf(ctx, input), "cors");
  },

  // ---- Default encryption -------------------------------------------------------------------
  async PutBucketEncryption(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const rules = validateEncryption((input.ServerSideEncryptionConfiguration.Rules ?? []) as EncryptionRule[]);
    await configs(ctx).put(bucket, "encryption", rules);
  },
  async GetBucketEncryption(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const rules = (await configs(ctx).get(bucket, "encryption")) ?? DEFAULT_ENCRYPTION;
    return { ServerSideEncryptionConfiguration: { Rules: rules } };
  },
  async DeleteBucketEncryption(ctx, input) {
    await configs(ctx).delete(await bucketOf(ctx, input), "encryption");
  },

  // ---- Object Ownership ---------------------------------------------------------------------
  async PutBucketOwnershipControls(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const rules = input.OwnershipControls.Rules ?? [];
    const ownership = rules[0]?.ObjectOwnership as ObjectOwnership | undefined;
    if (rules.length !== 1 || !ownership || !OWNERSHIPS.has(ownership)) throw new ServiceError(ConfigErrors.MalformedXML);
    if (ownership === "BucketOwnerEnforced") {
      const acl = await configs(ctx).get(bucket, "acl");
      if (acl && !isOwnerOnly(acl)) throw new ServiceError(ConfigErrors.InvalidBucketAclWithObjectOwnership);
    }
    await configs(ctx).put(bucket, "ownership", ownership);
  },
  async GetBucketOwnershipControls(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const stored = await configs(ctx).get(bucket, "ownership");
    if (stored === null) throw notFound(ConfigErrors.OwnershipControlsNotFoundError, bucket);
    return { OwnershipControls: { Rules: [{ ObjectOwnership: effectiveOwnership(stored === undefined ? {} : { ownership: stored }) }] } };
  },
  async DeleteBucketOwnershipControls(ctx, input) {
    await configs(ctx).put(await bucketOf(ctx, input), "ownership", null);
  },

  // ---- Block Public Access ------------------------------------------------------------------
  async PutPublicAccessBlock(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    await configs(ctx).put(bucket, "publicAccessBlock", publicAccessBlockFrom(input.PublicAccessBlockConfiguration));
  },
  async GetPublicAccessBlock(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const stored = await configs(ctx).get(bucket, "publicAccessBlock");
    if (stored === null) throw notFound(ConfigErrors.NoSuchPublicAccessBlockConfiguration, bucket);
    return { PublicAccessBlockConfiguration: { ...(stored ?? DEFAULT_PUBLIC_ACCESS_BLOCK) } };
  },
  async DeletePublicAccessBlock(ctx, input) {
    await configs(ctx).put(await bucketOf(ctx, input), "publicAccessBlock", null);
  },

  // ---- ACL ----------------------------------------------------------------------------------
  async PutBucketAcl(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const all = await configs(ctx).all(bucket);
    const acl = await aclFromRequest(ctx, bucket.account, input, input.AccessControlPolicy);
    if (!acl) throw new ServiceError(ConfigErrors.MissingSecurityHeader, undefined, { MissingHeaderName: "x-amz-acl" });
    if (effectiveOwnership(all) === "BucketOwnerEnforced" && !isOwnerOnly(acl)) {
      throw new ServiceError(ConfigErrors.AccessControlListNotSupported);
    }
    if (isPublicAcl(acl) && effectivePublicAccessBlock(all, await accountPab(ctx, bucket)).BlockPublicAcls) {
      throw new ServiceError(ConfigErrors.AccessDenied);
    }
    if (isOwnerOnly(acl)) await configs(ctx).delete(bucket, "acl");
    else await configs(ctx).put(bucket, "acl", acl);
  },
  async GetBucketAcl(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const all = await configs(ctx).all(bucket);
    // With ACLs disabled only the owner's full control is in effect, and that is what S3 shows.
    const acl = all.acl && effectiveOwnership(all) !== "BucketOwnerEnforced" ? all.acl : privateAcl(bucket.account);
    return aclOutput(acl);
  },

  // ---- Bucket policy ------------------------------------------------------------------------
  async PutBucketPolicy(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    requireOwnerAccount(ctx, bucket, "PUT");
    const doc = validateBucketPolicy(input.Policy, bucket.name);
    const all = await configs(ctx).all(bucket);
    if (isPublicPolicy(doc) && effectivePublicAccessBlock(all, await accountPab(ctx, bucket)).BlockPublicPolicy) {
      const who = ctx.principal.type === "anonymous" ? "anonymous" : ctx.principal.arn;
      throw new ServiceError(
        ConfigErrors.AccessDenied,
        `User: ${who} is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::${bucket.name}" ` +
          "because public policies are blocked by the BlockPublicPolicy block public access setting.",
      );
    }
    await configs(ctx).put(bucket, "policy", input.Policy);
  },
  async GetBucketPolicy(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    requireOwnerAccount(ctx, bucket, "GET");
    const policy = await configs(ctx).get(bucket, "policy");
    if (policy === undefined) throw notFound(ConfigErrors.NoSuchBucketPolicy, bucket);
    return { Policy: policy };
  },
  async DeleteBucketPolicy(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    requireOwnerAccount(ctx, bucket, "DELETE");
    await configs(ctx).delete(bucket, "policy");
  },
  async GetBucketPolicyStatus(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const policy = await configs(ctx).get(bucket, "policy");
    if (policy === undefined) throw notFound(ConfigErrors.NoSuchBucketPolicy, bucket);
    return { PolicyStatus: { IsPublic: isPublicPolicy(validateBucketPolicy(policy, bucket.name)) } };
  },

  // ---- Request payment, logging, acceleration -----------------------------------------------
  async PutBucketRequestPayment(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const payer = input.RequestPaymentConfiguration.Payer;
    if (payer !== "Requester" && payer !== "BucketOwner") throw new ServiceError(ConfigErrors.MalformedXML);
    if (payer === "BucketOwner") await configs(ctx).delete(bucket, "requestPayment");
    else await configs(ctx).put(bucket, "requestPayment", payer);
  },
  async GetBucketRequestPayment(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    return { Payer: (await configs(ctx).get(bucket, "requestPayment")) ?? "BucketOwner" };
  },

  async PutBucketLogging(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const enabled = input.BucketLoggingStatus.LoggingEnabled as LoggingConfig | undefined;
    if (!enabled) {
      await configs(ctx).delete(bucket, "logging");
      return;
    }
    const target = await buckets(ctx).get(enabled.TargetBucket);
    if (!target) {
      throw new ServiceError(ConfigErrors.InvalidTargetBucketForLogging, "The target bucket for logging does not exist", {
        TargetBucket: enabled.TargetBucket,
      });
    }
    if (target.account !== bucket.account) {
      throw new ServiceError(ConfigErrors.InvalidTargetBucketForLogging, "The owner for the bucket to be logged and the target bucket must be the same.", {
        TargetBucket: enabled.TargetBucket,
      });
    }
    if (target.region !== bucket.region) {
      throw new ServiceError(ConfigErrors.CrossLocationLoggingProhibited, undefined, {
        SourceBucketLocation: bucket.region,
        TargetBucketLocation: target.region,
      });
    }
    const stored: LoggingConfig = { TargetBucket: enabled.TargetBucket, TargetPrefix: enabled.TargetPrefix ?? "" };
    if (enabled.TargetGrants?.length) stored.TargetGrants = enabled.TargetGrants;
    if (enabled.TargetObjectKeyFormat) stored.TargetObjectKeyFormat = enabled.TargetObjectKeyFormat;
    await configs(ctx).put(bucket, "logging", stored);
  },
  async GetBucketLogging(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const logging = await configs(ctx).get(bucket, "logging");
    return logging ? { LoggingEnabled: logging } : {};
  },

  async PutBucketAccelerateConfiguration(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const status = input.AccelerateConfiguration.Status;
    if (status !== "Enabled" && status !== "Suspended") throw new ServiceError(ConfigErrors.MalformedXML);
    if (bucket.name.includes(".")) {
      throw new ServiceError(ConfigErrors.InvalidRequest, "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names");
    }
    await configs(ctx).put(bucket, "accelerate", status);
  },
  async GetBucketAccelerateConfiguration(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const status = await configs(ctx).get(bucket, "accelerate");
    return status ? { Status: status } : {};
  },

  // ---- Lifecycle ----------------------------------------------------------------------------
  async PutBucketLifecycleConfiguration(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    if (!input.LifecycleConfiguration) throw new ServiceError(ConfigErrors.MalformedXML);
    const config = validateLifecycle((input.LifecycleConfiguration.Rules ?? []) as GivenRule[], input.TransitionDefaultMinimumObjectSize);
    await configs(ctx).put(bucket, "lifecycle", config);
    return { TransitionDefaultMinimumObjectSize: config.TransitionDefaultMinimumObjectSize };
  },
  async GetBucketLifecycleConfiguration(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const config = await configs(ctx).get(bucket, "lifecycle");
    if (!config) throw notFound(ConfigErrors.NoSuchLifecycleConfiguration, bucket);
    return { Rules: config.Rules.map(lifecycleRuleOutput), TransitionDefaultMinimumObjectSize: config.TransitionDefaultMinimumObjectSize };
  },
  async DeleteBucketLifecycle(ctx, input) {
    await configs(ctx).delete(await bucketOf(ctx, input), "lifecycle");
  },

  // ---- Event notifications ------------------------------------------------------------------
  async PutBucketNotificationConfiguration(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const config = validateNotification(input.NotificationConfiguration as unknown as Record<string, unknown>);
    if (Object.keys(config).length === 0) await configs(ctx).delete(bucket, "notification");
    else await configs(ctx).put(bucket, "notification", config);
    // S3 sends s3:TestEvent to each destination of the new configuration (events.ts).
    emitS3TestEvent(ctx, bucket, config);
  },
  async GetBucketNotificationConfiguration(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    return (await configs(ctx).get(bucket, "notification")) ?? {};
  },

  // ---- Replication --------------------------------------------------------------------------
  async PutBucketReplication(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const versioning = await readVersioning(ctx.storage.metadata, bucket);
    if (versioning?.status !== "Enabled") {
      throw new ServiceError(ConfigErrors.InvalidRequest, "Versioning must be 'Enabled' on the bucket to apply a replication configuration");
    }
    const { config, destinations } = validateReplication(input.ReplicationConfiguration as unknown as Record<string, unknown>);
    for (const name of destinations) {
      const dest = await buckets(ctx).get(name);
      if (!dest) throw new ServiceError(S3Errors.NoSuchBucket, undefined, { BucketName: name });
      if ((await readVersioning(ctx.storage.metadata, dest))?.status !== "Enabled") {
        throw new ServiceError(ConfigErrors.InvalidRequest, "Destination bucket must have versioning enabled.");
      }
    }
    await configs(ctx).put(bucket, "replication", config);
  },
  async GetBucketReplication(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const config = await configs(ctx).get(bucket, "replication");
    if (!config) throw notFound(ConfigErrors.ReplicationConfigurationNotFoundError, bucket);
    return { ReplicationConfiguration: config };
  },
  async DeleteBucketReplication(ctx, input) {
    await configs(ctx).delete(await bucketOf(ctx, input), "replication");
  },

  // ---- Website ------------------------------------------------------------------------------
  async PutBucketWebsite(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    await configs(ctx).put(bucket, "website", validateWebsite(input.WebsiteConfiguration as unknown as Record<string, unknown>));
  },
  async GetBucketWebsite(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const config = await configs(ctx).get(bucket, "website");
    if (!config) throw notFound(ConfigErrors.NoSuchWebsiteConfiguration, bucket);
    return config;
  },
  async DeleteBucketWebsite(ctx, input) {
    await configs(ctx).delete(await bucketOf(ctx, input), "website");
  },

  // ---- Object Lock --------------------------------------------------------------------------
  async PutObjectLockConfiguration(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const config = validateObjectLock(input.ObjectLockConfiguration as unknown as Record<string, unknown> | undefined);
    const existing = await configs(ctx).get(bucket, "objectLock");
    // Object Lock can be turned on for an existing bucket only while versioning is enabled.
    if (!existing && (await readVersioning(ctx.storage.metadata, bucket))?.status !== "Enabled") {
      throw new ServiceError(ConfigErrors.InvalidBucketState, "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration", {
        BucketName: bucket.name,
      });
    }
    await configs(ctx).put(bucket, "objectLock", config);
    return {};
  },
  async GetObjectLockConfiguration(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const config = await configs(ctx).get(bucket, "objectLock");
    if (!config) throw notFound(ConfigErrors.ObjectLockConfigurationNotFoundError, bucket);
    return { ObjectLockConfiguration: config };
  },
};
