/** Amazon S3: buckets now, the whole object API with the S3 issue. */
import { defineService } from "../../core/service.js";
import type { S3Operations } from "../../generated/s3.js";
import { handlers } from "./provider.js";
import { bucketConfigHandlers } from "./provider-bucket-config.js";
import { objectHandlers } from "./provider-objects.js";
import { objectAuthorization } from "./object-facts.js";
import { multipartAuthorization, multipartHandlers } from "./multipart.js";
import { bucketFacts, s3ResourcePolicy } from "./bucket-policy.js";
import { s3DecorateResponse, s3Preflight } from "./cors.js";
import { s3FormUpload } from "./post-upload.js";
import { s3Website } from "./website.js";
import { restoreHandlers } from "./restore.js";
import { LifecycleRunner } from "./lifecycle-runner.js";
import type { AuthorizationFacts, RequestContext, ServiceRuntime } from "../../core/service.js";
import { objectLockAuthorization, objectLockHandlers } from "./object-lock.js";
import { objectAclAuthorization, objectAclHandlers, objectAclPolicy } from "./object-acl.js";
import { registerServiceWrites } from "./service-writes.js";
import { ReplicationRunner } from "./replication.js";
import { accessPointFacts, accessPointPolicy } from "./access-points.js";
import { suspendForReset } from "./bucket-cache.js";
import { metricsConfigHandlers, NAMESPACE as METRICS_NAMESPACE, startStorageMetrics, withRequestMetrics } from "./request-metrics.js";
import { MetricAggregator } from "../cloudwatch/builtin-metrics.js";

/** Each Nimbus instance's replication runner (replication.ts). */
const replicationRunners = new WeakMap<ServiceRuntime, ReplicationRunner>();
const serviceWrites = new WeakMap<ServiceRuntime, () => void>();

/** DeleteObject(s) with x-amz-bypass-governance-retention also need s3:BypassGovernanceRetention. */
const withBypass =
  (facts: (ctx: RequestContext, input: Record<string, unknown>) => Promise<AuthorizationFacts>) =>
  async (ctx: RequestContext, input: Record<string, unknown>): Promise<AuthorizationFacts> => {
    const f = await facts(ctx, input);
    if (input.BypassGovernanceRetention !== true) return f;
    return { ...f, alsoRequires: [{ action: "s3:BypassGovernanceRetention", resources: f.resources ?? [] }] };
  };

/** Each Nimbus instance's lifecycle runner (lifecycle-runner.ts). */
const lifecycleRunners = new WeakMap<ServiceRuntime, LifecycleRunner>();

const bucketArn = (input: Record<string, unknown>) => `arn:aws:s3:::${String(input.Bucket)}`;
const onBucket = (action: string) => (_ctx: unknown, input: Record<string, unknown>) => ({ action, resources: [bucketArn(input)] });

/** A non-negative number of milliseconds from the environment (`min` at least), else `fallback`. */
function msFromEnv(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  const v = raw === undefined || raw.trim() === "" ? NaN : Number(raw);
  return Number.isFinite(v) && v >= 0 ? Math.max(v, min) : fallback;
}

export const s3 = defineService<S3Operations>({
  name: "s3",
  // multipartHandlers wraps GetObject / HeadObject / GetObjectAttributes for parts of multipart objects.
  // withRequestMetrics: AWS/S3 request metrics for buckets with a metrics configuration (request-metrics.ts).
  handlers: withRequestMetrics({
    ...handlers,
    ...bucketConfigHandlers,
    ...objectHandlers,
    ...multipartHandlers,
    ...restoreHandlers,
    ...objectLockHandlers,
    ...objectAclHandlers,
    ...metricsConfigHandlers,
  }),
  anonymousByResourcePolicy: true,
  // A bucket policy that denies everyone still lets the owning account's root fix it, as in AWS.
  rootAlwaysAllowed: ["GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"],
  // The bucket policy (with Block Public Access applied) and the bucket ACL's grants.
  // ... and, for an object, its ACL's grants (object-acl.ts).
  // An access point ARN's resource policy is the access point policy (access-points.ts).
  resourcePolicy: async (ctx, arn) => {
    const ap = await accessPointPolicy(ctx, arn);
    if (ap) return ap.policy;
    return objectAclPolicy(ctx, arn, await s3ResourcePolicy(ctx, arn));
  },
  // CORS: preflight OPTIONS requests and CORS headers on responses to cross-origin requests.
  preflight: s3Preflight,
  decorateResponse: s3DecorateResponse,
  // Browser-based uploads: POST /<bucket> with a signed policy in a multipart form (post-upload.ts).
  formUpload: s3FormUpload,
  // Static website endpoints: <bucket>.s3-website.localhost and /_nimbus/s3-website/<bucket>/ (website.ts).
  website: s3Website,
  // Long completions and copies answer 200 at once and send spaces until the result is ready, as
  // S3 does (after NIMBUS_S3_KEEPALIVE_AFTER_MS, default 20 s; every NIMBUS_S3_KEEPALIVE_EVERY_MS,
  // default 10 s): a client's read timeout (60 s in botocore and the AWS CLI) never fires.
  keepAlive: {
    operations: ["CompleteMultipartUpload", "CopyObject", "UploadPartCopy"],
    afterMs: () => msFromEnv("NIMBUS_S3_KEEPALIVE_AFTER_MS", 20_000),
    everyMs: () => msFromEnv("NIMBUS_S3_KEEPALIVE_EVERY_MS", 10_000, 1),
  },
  // Lifecycle rules are applied on clock advances and every minute of real time.
  start(runtime) {
    const runner = new LifecycleRunner(runtime);
    lifecycleRunners.set(runtime, runner);
    runner.start();
    // Replication queue (replication.ts): worked off in the background, resumed after a restart.
    const replication = new ReplicationRunner(runtime);
    replicationRunners.set(runtime, replication);
    replication.start();
    // Objects other services deliver (CloudTrail log files, ...): service-writes.ts.
    serviceWrites.set(runtime, registerServiceWrites(runtime));
    // Daily BucketSizeBytes / NumberOfObjects (request-metrics.ts).
    startStorageMetrics(runtime);
  },
  // Bucket state is cached in memory (bucket-cache.ts): storage is wiped right after this.
  reset(runtime) {
    suspendForReset();
    MetricAggregator.for(runtime.storage.metadata, runtime.clock, METRICS_NAMESPACE).discard();
  },
  async stop(runtime) {
    await lifecycleRunners.get(runtime)?.stop();
    lifecycleRunners.delete(runtime);
    await replicationRunners.get(runtime)?.stop();
    replicationRunners.delete(runtime);
    serviceWrites.get(runtime)?.();
    serviceWrites.delete(runtime);
    await MetricAggregator.release(runtime.storage.metadata, METRICS_NAMESPACE);
  },
  // S3's IAM actions differ from its operation names. Through an access point every operation is
  // also checked against the access point ARN and its policy (access-points.ts).
  authorization: Object.fromEntries(Object.entries({
    // Account-level actions are checked on arn:aws:s3:::* so statements on "*" and on every bucket both apply.
    ListBuckets: () => ({ action: "s3:ListAllMyBuckets", resources: ["arn:aws:s3:::*"] }),
    CreateBucket: onBucket("s3:CreateBucket"),
    // bucketFacts: on an existing bucket, authorization is decided against its owner's account.
    DeleteBucket: bucketFacts("s3:DeleteBucket"),
    HeadBucket: bucketFacts("s3:ListBucket"),
    GetBucketLocation: bucketFacts("s3:GetBucketLocation"),
    // Bucket configuration (provider-bucket-config.ts): deletes need the matching Put permission.
    PutBucketTagging: bucketFacts("s3:PutBucketTagging"),
    GetBucketTagging: bucketFacts("s3:GetBucketTagging"),
    DeleteBucketTagging: bucketFacts("s3:PutBucketTagging"),
    PutBucketCors: bucketFacts("s3:PutBucketCORS"),
    GetBucketCors: bucketFacts("s3:GetBucketCORS"),
    DeleteBucketCors: bucketFacts("s3:PutBucketCORS"),
    PutBucketEncryption: bucketFacts("s3:PutEncryptionConfiguration"),
    GetBucketEncryption: bucketFacts("s3:GetEncryptionConfiguration"),
    DeleteBucketEncryption: bucketFacts("s3:PutEncryptionConfiguration"),
    PutBucketOwnershipControls: bucketFacts("s3:PutBucketOwnershipControls"),
    GetBucketOwnershipControls: bucketFacts("s3:GetBucketOwnershipControls"),
    DeleteBucketOwnershipControls: bucketFacts("s3:PutBucketOwnershipControls"),
    PutPublicAccessBlock: bucketFacts("s3:PutBucketPublicAccessBlock"),
    GetPublicAccessBlock: bucketFacts("s3:GetBucketPublicAccessBlock"),
    DeletePublicAccessBlock: bucketFacts("s3:PutBucketPublicAccessBlock"),
    PutBucketAcl: bucketFacts("s3:PutBucketAcl", (input) => (input.ACL ? { "s3:x-amz-acl": String(input.ACL) } : {})),
    GetBucketAcl: bucketFacts("s3:GetBucketAcl"),
    PutBucketPolicy: bucketFacts("s3:PutBucketPolicy"),
    GetBucketPolicy: bucketFacts("s3:GetBucketPolicy"),
    DeleteBucketPolicy: bucketFacts("s3:DeleteBucketPolicy"),
    GetBucketPolicyStatus: bucketFacts("s3:GetBucketPolicyStatus"),
    PutBucketRequestPayment: bucketFacts("s3:PutBucketRequestPayment"),
    GetBucketRequestPayment: bucketFacts("s3:GetBucketRequestPayment"),
    PutBucketLogging: bucketFacts("s3:PutBucketLogging"),
    GetBucketLogging: bucketFacts("s3:GetBucketLogging"),
    PutBucketAccelerateConfiguration: bucketFacts("s3:PutAccelerateConfiguration"),
    GetBucketAccelerateConfiguration: bucketFacts("s3:GetAccelerateConfiguration"),
    PutBucketLifecycleConfiguration: bucketFacts("s3:PutLifecycleConfiguration"),
    GetBucketLifecycleConfiguration: bucketFacts("s3:GetLifecycleConfiguration"),
    DeleteBucketLifecycle: bucketFacts("s3:PutLifecycleConfiguration"),
    PutBucketNotificationConfiguration: bucketFacts("s3:PutBucketNotification"),
    GetBucketNotificationConfiguration: bucketFacts("s3:GetBucketNotification"),
    PutBucketReplication: bucketFacts("s3:PutReplicationConfiguration"),
    GetBucketReplication: bucketFacts("s3:GetReplicationConfiguration"),
    DeleteBucketReplication: bucketFacts("s3:PutReplicationConfiguration"),
    PutBucketWebsite: bucketFacts("s3:PutBucketWebsite"),
    GetBucketWebsite: bucketFacts("s3:GetBucketWebsite"),
    DeleteBucketWebsite: bucketFacts("s3:DeleteBucketWebsite"),
    PutObjectLockConfiguration: bucketFacts("s3:PutBucketObjectLockConfiguration"),
    GetObjectLockConfiguration: bucketFacts("s3:GetBucketObjectLockConfiguration"),
    PutBucketMetricsConfiguration: bucketFacts("s3:PutMetricsConfiguration"),
    GetBucketMetricsConfiguration: bucketFacts("s3:GetMetricsConfiguration"),
    ListBucketMetricsConfigurations: bucketFacts("s3:GetMetricsConfiguration"),
    DeleteBucketMetricsConfiguration: bucketFacts("s3:PutMetricsConfiguration"),
    // Objects, listings and versioning (object-facts.ts).
    ...objectAuthorization,
    DeleteObject: withBypass(objectAuthorization.DeleteObject!),
    DeleteObjects: withBypass(objectAuthorization.DeleteObjects!),
    // Object Lock retention / legal hold (object-lock.ts) and object ACLs (object-acl.ts).
    ...objectLockAuthorization,
    ...objectAclAuthorization,
    // Multipart uploads (multipart.ts).
    ...multipartAuthorization,
  }).map(([op, facts]) => [op, accessPointFacts(facts)])),
});
