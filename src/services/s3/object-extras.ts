/**
 * What a new object version carries besides its bytes and headers, decided before the body is
 * read (so a refusal stores nothing): its Object Lock state (object-lock.ts), its ACL
 * (object-acl.ts) and its replication status (replication.ts). The write paths (PutObject,
 * CopyObject, CreateMultipartUpload / CompleteMultipartUpload) call `versionExtras` before
 * storing and `extrasCommitted` after the commit.
 */
import type { RequestContext } from "../../core/service.js";
import type { AclHeaders } from "./acl.js";
import { aclOnWrite } from "./object-acl.js";
import { lockOnWrite, lockOutput, type LockHeaders } from "./object-lock.js";
import type { ObjectVersion } from "./objects-store.js";
import { afterCommit, replicationOnWrite } from "./replication.js";
import type { BucketRecord } from "./store.js";

export type VersionExtras = Pick<ObjectVersion, "lock" | "acl" | "replication">;

export async function versionExtras(
  ctx: RequestContext,
  bucket: BucketRecord,
  key: string,
  input: LockHeaders & AclHeaders,
  opts: { tags?: [string, string][] | undefined; hasChecksum?: boolean },
): Promise<VersionExtras> {
  const [lock, acl, replication] = await Promise.all([
    lockOnWrite(ctx, bucket, input, opts.hasChecksum),
    aclOnWrite(ctx, bucket, input),
    replicationOnWrite(ctx, bucket, key, opts.tags),
  ]);
  return { ...(lock ? { lock } : {}), ...(acl ? { acl } : {}), ...(replication ? { replication } : {}) };
}

/** After the commit of a version (or a delete marker): queue its replication. Never throws. */
export async function extrasCommitted(
  ctx: RequestContext,
  bucket: BucketRecord,
  key: string,
  versionId: string,
  what: { pending?: boolean; deleteMarker?: boolean },
): Promise<void> {
  try {
    await afterCommit(ctx, bucket, key, versionId, what);
  } catch (e) {
    ctx.logger.warn(`s3: queueing replication of ${bucket.name}/${key} failed: ${String(e)}`);
  }
}

/** GetObject / HeadObject headers of the extras. */
export function extrasOutput(v: ObjectVersion): Record<string, unknown> {
  return { ...lockOutput(v), ...(v.replication ? { ReplicationStatus: v.replication } : {}) };
}
