/**
 * Bucket configuration state: one row per bucket and kind of configuration (`<bucket>/<kind>`)
 * in the owning account's `bucket-config` table, so reading everything a request needs about a
 * bucket (policy, Block Public Access, ownership, ACL, CORS) is one prefix scan, and DeleteBucket
 * clears it all in the transaction that deletes the bucket.
 *
 * Absent rows mean AWS's defaults for a bucket created today: SSE-S3 default encryption,
 * BucketOwnerEnforced ownership, all four Block Public Access settings on, a private ACL. Deleting
 * a configuration whose default is "on" (ownership controls, Block Public Access) stores a
 * tombstone, since the bucket then has none at all.
 *
 * The getters at the end are for the parts of S3 that act on configuration later (the lifecycle
 * scheduler, event notifications, default encryption and Object Lock on writes, website hosting).
 */
import type { MetadataStore, Scope, Tx } from "../../storage/types.js";
import type {
  GetBucketLoggingOutputLoggingEnabled,
  GetBucketReplicationOutputReplicationConfiguration,
  PutBucketWebsiteRequestWebsiteConfiguration,
} from "../../generated/s3.js";
import { GLOBAL_REGION } from "../../core/regions.js";
import { BucketStore, type BucketRecord } from "./store.js";
import { cachedAccountRead, cachedBucketRead, invalidateAccount, invalidateBucket } from "./bucket-cache.js";

export interface Tag {
  Key: string;
  Value: string;
}

export interface CorsRule {
  ID?: string;
  AllowedHeaders?: string[];
  AllowedMethods: string[];
  AllowedOrigins: string[];
  ExposeHeaders?: string[];
  MaxAgeSeconds?: number;
}

export interface EncryptionRule {
  ApplyServerSideEncryptionByDefault?: { SSEAlgorithm: string; KMSMasterKeyID?: string };
  BucketKeyEnabled?: boolean;
}

export type ObjectOwnership = "BucketOwnerEnforced" | "BucketOwnerPreferred" | "ObjectWriter";

export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

export type Permission = "FULL_CONTROL" | "READ" | "WRITE" | "READ_ACP" | "WRITE_ACP";
export type Grantee = { type: "CanonicalUser"; id: string } | { type: "Group"; uri: string };
export interface AclGrant {
  grantee: Grantee;
  permission: Permission;
}
export interface AccessControlList {
  /** The owner's canonical user id. */
  owner: string;
  grants: AclGrant[];
}

export type LoggingConfig = GetBucketLoggingOutputLoggingEnabled;

/** A lifecycle filter as stored (and as GetBucketLifecycleConfiguration gives it back). */
export interface LifecycleFilter {
  Prefix?: string;
  Tag?: Tag;
  ObjectSizeGreaterThan?: number;
  ObjectSizeLessThan?: number;
  And?: { Prefix?: string; Tags?: Tag[]; ObjectSizeGreaterThan?: number; ObjectSizeLessThan?: number };
}

/** One lifecycle rule, validated, dates as ISO strings (midnight UTC). */
export interface LifecycleRule {
  ID: string;
  Status: "Enabled" | "Disabled";
  /** The deprecated rule-level prefix (a configuration without Filter elements). */
  Prefix?: string;
  Filter?: LifecycleFilter;
  Expiration?: { Date?: string; Days?: number; ExpiredObjectDeleteMarker?: boolean };
  Transitions?: Array<{ Date?: string; Days?: number; StorageClass: string }>;
  NoncurrentVersionTransitions?: Array<{ NoncurrentDays: number; StorageClass: string; NewerNoncurrentVersions?: number }>;
  NoncurrentVersionExpiration?: { NoncurrentDays: number; NewerNoncurrentVersions?: number };
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
}

export interface LifecycleConfig {
  Rules: LifecycleRule[];
  /** x-amz-transition-default-minimum-object-size. */
  TransitionDefaultMinimumObjectSize: string;
}

export interface NotificationFilterRule {
  /** S3 gives the names back capitalized, whatever case they were sent in. */
  Name: "Prefix" | "Suffix";
  Value: string;
}
export interface NotificationTarget {
  Id: string;
  Events: string[];
  Filter?: { Key: { FilterRules: NotificationFilterRule[] } };
}
export interface NotificationConfig {
  TopicConfigurations?: Array<NotificationTarget & { TopicArn: string }>;
  QueueConfigurations?: Array<NotificationTarget & { QueueArn: string }>;
  LambdaFunctionConfigurations?: Array<NotificationTarget & { LambdaFunctionArn: string }>;
  EventBridgeConfiguration?: Record<string, never>;
}

/** Replication and website documents are kept as the model shapes them. */
export type ReplicationConfig = GetBucketReplicationOutputReplicationConfiguration;
export type WebsiteConfig = PutBucketWebsiteRequestWebsiteConfiguration;

export interface ObjectLockConfig {
  ObjectLockEnabled: "Enabled";
  Rule?: { DefaultRetention: { Mode: "GOVERNANCE" | "COMPLIANCE"; Days?: number; Years?: number } };
}

/** A request-metrics configuration (request-metrics.ts): which requests its FilterId counts. */
export interface MetricsConfig {
  Id: string;
  Filter?: {
    Prefix?: string;
    Tag?: Tag;
    AccessPointArn?: string;
    And?: { Prefix?: string; Tags?: Tag[]; AccessPointArn?: string };
  };
}

/** Every kind of bucket configuration and the value stored for it. */
export interface BucketConfigs {
  tagging: Tag[];
  cors: CorsRule[];
  policy: string;
  encryption: EncryptionRule[];
  /** `null`: the controls were deleted (the bucket behaves as ObjectWriter). */
  ownership: ObjectOwnership | null;
  /** `null`: deleted (no bucket-level blocks). */
  publicAccessBlock: PublicAccessBlock | null;
  acl: AccessControlList;
  requestPayment: "Requester" | "BucketOwner";
  logging: LoggingConfig;
  lifecycle: LifecycleConfig;
  notification: NotificationConfig;
  replication: ReplicationConfig;
  website: WebsiteConfig;
  objectLock: ObjectLockConfig;
  accelerate: "Enabled" | "Suspended";
  /** Request-metrics configurations by Id. */
  metrics: Record<string, MetricsConfig>;
}
export type ConfigKind = keyof BucketConfigs;

const TABLE = "bucket-config";
const ACCOUNT_TABLE = "account-config";
const scopeOf = (account: string): Scope => ({ account, region: GLOBAL_REGION, service: "s3" });
const keyOf = (bucket: string, kind: ConfigKind) => `${bucket}/${kind}`;

/** What a new bucket has before anything is configured (AWS's defaults since April 2023). */
export const DEFAULT_PUBLIC_ACCESS_BLOCK: PublicAccessBlock = Object.freeze({
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
});
export const DEFAULT_OWNERSHIP: ObjectOwnership = "BucketOwnerEnforced";
export const DEFAULT_ENCRYPTION: EncryptionRule[] = Object.freeze([
  Object.freeze({ ApplyServerSideEncryptionByDefault: Object.freeze({ SSEAlgorithm: "AES256" }), BucketKeyEnabled: false }),
]) as EncryptionRule[];

/**
 * Reads are cached (bucket-cache.ts) and served from one snapshot of all the bucket's rows; every
 * write here invalidates that snapshot once it has committed.
 */
export class BucketConfigStore {
  constructor(private readonly metadata: MetadataStore) {}

  private table(bucket: BucketRecord) {
    return this.metadata.table<unknown>(scopeOf(bucket.account), TABLE);
  }

  /** Every configuration the bucket has (one prefix scan, cached). Frozen: do not modify. */
  all(bucket: BucketRecord): Promise<Partial<BucketConfigs>> {
    return cachedBucketRead(this.metadata, bucket.name, `configs\u0000${bucket.account}`, async () => {
      const rows = await this.table(bucket).list({ prefix: `${bucket.name}/` });
      const out: Record<string, unknown> = {};
      for (const { key, value } of rows) out[key.slice(bucket.name.length + 1)] = value;
      return out as Partial<BucketConfigs>;
    });
  }

  /** One kind of configuration (from the cached snapshot). Frozen: do not modify. */
  async get<K extends ConfigKind>(bucket: BucketRecord, kind: K): Promise<BucketConfigs[K] | undefined> {
    return (await this.all(bucket))[kind] as BucketConfigs[K] | undefined;
  }

  async put<K extends ConfigKind>(bucket: BucketRecord, kind: K, value: BucketConfigs[K]): Promise<void> {
    try {
      await this.table(bucket).put(keyOf(bucket.name, kind), value);
    } finally {
      invalidateBucket(bucket.name);
    }
  }

  async delete(bucket: BucketRecord, kind: ConfigKind): Promise<void> {
    try {
      await this.table(bucket).delete(keyOf(bucket.name, kind));
    } finally {
      invalidateBucket(bucket.name);
    }
  }

  /** Several writes that land together (PutBucketOwnershipControls resetting nothing else, etc.). */
  async putMany(bucket: BucketRecord, values: Partial<BucketConfigs>): Promise<void> {
    try {
      await this.metadata.transaction(async (tx) => writeBucketConfig(tx, bucket, values));
    } finally {
      invalidateBucket(bucket.name);
    }
  }

  getAccountPublicAccessBlock(account: string): Promise<PublicAccessBlock | undefined> {
    return cachedAccountRead(this.metadata, account, "public-access-block", () =>
      this.metadata.table<PublicAccessBlock>(scopeOf(account), ACCOUNT_TABLE).get("public-access-block"),
    );
  }

  async setAccountPublicAccessBlock(account: string, value: PublicAccessBlock | undefined): Promise<void> {
    const t = this.metadata.table<PublicAccessBlock>(scopeOf(account), ACCOUNT_TABLE);
    try {
      if (value) await t.put("public-access-block", value);
      else await t.delete("public-access-block");
    } finally {
      invalidateAccount(account);
    }
  }
}

/**
 * Inside a transaction: write configuration rows (CreateBucket's initial ACL, ownership, lock).
 * The caller invalidates the cache after the commit (BucketStore.create and putMany do).
 */
export async function writeBucketConfig(tx: Tx, bucket: BucketRecord, values: Partial<BucketConfigs>): Promise<void> {
  const t = tx.table<unknown>(scopeOf(bucket.account), TABLE);
  for (const [kind, value] of Object.entries(values)) {
    if (value !== undefined) await t.put(keyOf(bucket.name, kind as ConfigKind), value);
  }
}

/** Inside DeleteBucket's transaction: drop every configuration of the bucket (BucketStore.delete invalidates). */
export async function clearBucketConfig(tx: Tx, bucket: BucketRecord): Promise<void> {
  await tx.table(scopeOf(bucket.account), TABLE).clear({ prefix: `${bucket.name}/` });
}

// ---------------------------------------------------------------------------------------------
// Effective settings

/** The bucket's ownership setting; `undefined` when the controls were deleted (ObjectWriter). */
export function effectiveOwnership(configs: Partial<BucketConfigs>): ObjectOwnership {
  const o = configs.ownership;
  if (o === undefined) return DEFAULT_OWNERSHIP;
  return o ?? "ObjectWriter";
}

/** Whether ACLs take part in access decisions (not when ownership is BucketOwnerEnforced). */
export function aclsEnabled(configs: Partial<BucketConfigs>): boolean {
  return effectiveOwnership(configs) !== "BucketOwnerEnforced";
}

/** The bucket-level Block Public Access settings OR the account-level ones. */
export function effectivePublicAccessBlock(
  configs: Partial<BucketConfigs>,
  account: PublicAccessBlock | undefined,
): PublicAccessBlock {
  const b = configs.publicAccessBlock === undefined ? DEFAULT_PUBLIC_ACCESS_BLOCK : configs.publicAccessBlock;
  return {
    BlockPublicAcls: !!(b?.BlockPublicAcls || account?.BlockPublicAcls),
    IgnorePublicAcls: !!(b?.IgnorePublicAcls || account?.IgnorePublicAcls),
    BlockPublicPolicy: !!(b?.BlockPublicPolicy || account?.BlockPublicPolicy),
    RestrictPublicBuckets: !!(b?.RestrictPublicBuckets || account?.RestrictPublicBuckets),
  };
}

// ---------------------------------------------------------------------------------------------
// Getters for the rest of S3 (the lifecycle scheduler, notifications, writes, website hosting)

async function configOf<K extends ConfigKind>(
  metadata: MetadataStore,
  bucket: BucketRecord | string,
  kind: K,
): Promise<BucketConfigs[K] | undefined> {
  const record = typeof bucket === "string" ? await new BucketStore(metadata).get(bucket) : bucket;
  if (!record) return undefined;
  return new BucketConfigStore(metadata).get(record, kind);
}

/** The bucket's lifecycle rules (validated, dates as ISO strings), or undefined. */
export function getLifecycleConfiguration(metadata: MetadataStore, bucket: BucketRecord | string) {
  return configOf(metadata, bucket, "lifecycle");
}

/** Where and for which events the bucket sends notifications, or undefined. */
export function getNotificationConfiguration(metadata: MetadataStore, bucket: BucketRecord | string) {
  return configOf(metadata, bucket, "notification");
}

/** The bucket's default encryption (SSE-S3 unless configured otherwise). */
export async function getDefaultEncryption(metadata: MetadataStore, bucket: BucketRecord | string): Promise<EncryptionRule> {
  return (await configOf(metadata, bucket, "encryption"))?.[0] ?? DEFAULT_ENCRYPTION[0]!;
}

/** The Object Lock configuration (undefined: Object Lock is not enabled on the bucket). */
export function getObjectLockConfiguration(metadata: MetadataStore, bucket: BucketRecord | string) {
  return configOf(metadata, bucket, "objectLock");
}

/** The website configuration, or undefined. */
export function getWebsiteConfiguration(metadata: MetadataStore, bucket: BucketRecord | string) {
  return configOf(metadata, bucket, "website");
}

/** The bucket's effective Object Ownership (for object ACLs and object owners). */
export async function getObjectOwnership(metadata: MetadataStore, bucket: BucketRecord | string): Promise<ObjectOwnership> {
  const record = typeof bucket === "string" ? await new BucketStore(metadata).get(bucket) : bucket;
  if (!record) return DEFAULT_OWNERSHIP;
  const ownership = await new BucketConfigStore(metadata).get(record, "ownership");
  return effectiveOwnership(ownership === undefined ? {} : { ownership });
}
