/**
 * Block Public Access. Bucket-level settings come through PutPublicAccessBlock & co.; the
 * account-level ones belong to the S3 Control API (`PUT /v20180820/configuration/publicAccessBlock`
 * on `<account>.s3-control...`), served by src/services/s3control through these functions
 * (also used by admin tooling and tests). What applies
 * to a bucket is the OR of both levels (bucket-config-store.ts, effectivePublicAccessBlock).
 */
import type { MetadataStore } from "../../storage/types.js";
import { BucketConfigStore, type PublicAccessBlock } from "./bucket-config-store.js";

/** The four settings of a PublicAccessBlockConfiguration document; a missing one is false. */
export function publicAccessBlockFrom(doc: Partial<Record<keyof PublicAccessBlock, boolean>>): PublicAccessBlock {
  return {
    BlockPublicAcls: doc.BlockPublicAcls === true,
    IgnorePublicAcls: doc.IgnorePublicAcls === true,
    BlockPublicPolicy: doc.BlockPublicPolicy === true,
    RestrictPublicBuckets: doc.RestrictPublicBuckets === true,
  };
}

/** The account-level settings (S3 Control GetPublicAccessBlock), or undefined when none are set. */
export function getAccountPublicAccessBlock(metadata: MetadataStore, account: string): Promise<PublicAccessBlock | undefined> {
  return new BucketConfigStore(metadata).getAccountPublicAccessBlock(account);
}

/** S3 Control PutPublicAccessBlock. */
export function putAccountPublicAccessBlock(
  metadata: MetadataStore,
  account: string,
  settings: Partial<Record<keyof PublicAccessBlock, boolean>>,
): Promise<void> {
  return new BucketConfigStore(metadata).setAccountPublicAccessBlock(account, publicAccessBlockFrom(settings));
}

/** S3 Control DeletePublicAccessBlock. */
export function deleteAccountPublicAccessBlock(metadata: MetadataStore, account: string): Promise<void> {
  return new BucketConfigStore(metadata).setAccountPublicAccessBlock(account, undefined);
}
