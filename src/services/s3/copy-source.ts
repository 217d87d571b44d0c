/**
 * The checks a copy source must pass, shared by CopyObject and UploadPartCopy: not a delete
 * marker, not an archived storage class (unless restored), and the x-amz-copy-source-if-* conditions.
 */
import { ServiceError } from "../../core/errors.js";
import { S3ObjectErrors } from "./errors-objects.js";
import { evaluateConditions } from "./conditional.js";
import type { ObjectVersion } from "./objects-store.js";
import { isArchivedNow } from "./restore.js";

/** Storage classes whose bytes need RestoreObject before they can be read. */
export const ARCHIVED = new Set(["GLACIER", "DEEP_ARCHIVE"]);

export interface CopySourceConditions {
  CopySourceIfMatch?: string;
  CopySourceIfNoneMatch?: string;
  CopySourceIfModifiedSince?: Date;
  CopySourceIfUnmodifiedSince?: Date;
}

export function checkCopySource(
  v: ObjectVersion,
  src: { key: string; versionId?: string | undefined },
  input: CopySourceConditions,
  now: Date,
): void {
  if (v.deleteMarker) {
    if (src.versionId !== undefined) {
      throw new ServiceError(S3ObjectErrors.InvalidRequest, "The source of a copy request may not specifically refer to a delete marker by version id.");
    }
    throw new ServiceError(S3ObjectErrors.NoSuchKey, undefined, { Key: src.key });
  }
  if (isArchivedNow(v, now)) {
    throw new ServiceError(S3ObjectErrors.InvalidObjectState, "Operation is not valid for the source object's storage class", { StorageClass: v.storageClass });
  }
  const ok = evaluateConditions(
    {
      ifMatch: input.CopySourceIfMatch,
      ifNoneMatch: input.CopySourceIfNoneMatch,
      ifModifiedSince: input.CopySourceIfModifiedSince,
      ifUnmodifiedSince: input.CopySourceIfUnmodifiedSince,
    },
    { etag: v.etag!, lastModified: new Date(v.lastModified) },
    now,
  );
  if (ok.outcome !== "ok") {
    throw new ServiceError(S3ObjectErrors.PreconditionFailed, undefined, { Condition: `x-amz-copy-source-${ok.condition!.toLowerCase()}` });
  }
}
