/**
 * S3 bucket state. Bucket names are global across accounts and regions, so the name registry is
 * one global table; each account also keeps its own list so ListBuckets reads only its buckets.
 */
import type { MetadataStore, Scope, Tx } from "../../storage/types.js";
import { GLOBAL_REGION } from "../../core/regions.js";
import { cachedBucketRead, invalidateBucket } from "./bucket-cache.js";

export interface BucketRecord {
  name: string;
  account: string;
  region: string;
  /** ISO creation time. */
  created: string;
}

const NAMES: Scope = { account: "global", region: GLOBAL_REGION, service: "s3" };
const accountScope = (account: string): Scope => ({ account, region: GLOBAL_REGION, service: "s3" });

export class BucketStore {
  constructor(private readonly metadata: MetadataStore) {}

  /** The bucket's record (cached: bucket-cache.ts). */
  get(name: string): Promise<BucketRecord | undefined> {
    return cachedBucketRead(this.metadata, name, "record", () => this.metadata.table<BucketRecord>(NAMES, "buckets").get(name));
  }

  /**
   * Create atomically; returns the existing record instead when the name is taken. `alongside`
   * writes what else a new bucket starts with (its initial configuration) in the same transaction.
   */
  async create(record: BucketRecord, alongside?: (tx: Tx) => Promise<void>): Promise<BucketRecord | undefined> {
    try {
      return await this.createInTx(record, alongside);
    } finally {
      invalidateBucket(record.name);
    }
  }

  private createInTx(record: BucketRecord, alongside?: (tx: Tx) => Promise<void>): Promise<BucketRecord | undefined> {
    return this.metadata.transaction(async (tx: Tx) => {
      const names = tx.table<BucketRecord>(NAMES, "buckets");
      const existing = await names.get(record.name);
      if (existing) return existing;
      await names.put(record.name, record);
      await tx.table<BucketRecord>(accountScope(record.account), "account-buckets").put(record.name, record);
      if (alongside) await alongside(tx);
      return undefined;
    });
  }

  /** Delete atomically, with whatever `alongside` removes with it (the bucket's configuration). */
  async delete(record: BucketRecord, alongside?: (tx: Tx) => Promise<void>): Promise<void> {
    try {
      await this.metadata.transaction(async (tx: Tx) => {
        await tx.table(NAMES, "buckets").delete(record.name);
        await tx.table(accountScope(record.account), "account-buckets").delete(record.name);
        if (alongside) await alongside(tx);
      });
    } finally {
      invalidateBucket(record.name);
    }
  }

  /** Every bucket of every account, in name order (the lifecycle runner walks them all). */
  listAll(options: { after?: string; limit?: number } = {}) {
    return this.metadata.table<BucketRecord>(NAMES, "buckets").list(options);
  }

  list(account: string, options: { after?: string; prefix?: string; limit?: number }) {
    return this.metadata.table<BucketRecord>(accountScope(account), "account-buckets").list(options);
  }

  /**
   * Whether the bucket holds no object, no version and no delete marker: every key with any
   * version keeps its current one (object or delete marker) in `objects:<bucket>` (objects-store.ts).
   */
  async isEmpty(record: BucketRecord): Promise<boolean> {
    const objects = this.metadata.table({ account: record.account, region: record.region, service: "s3" }, `objects:${record.name}`);
    return (await objects.list({ limit: 1 })).length === 0;
  }
}
