/**
 * S3 Object Lock on objects: retention (GOVERNANCE / COMPLIANCE until a date) and legal holds,
 * kept on each version (ObjectVersion.lock), set by PutObjectRetention / PutObjectLegalHold, by
 * the x-amz-object-lock-* headers of PutObject / CopyObject / CreateMultipartUpload and by the
 * bucket's default retention; enforced when a version is deleted permanently (DeleteObject and
 * DeleteObjects with a version id, lifecycle expiration of noncurrent versions).
 *
 * Rules (as AWS documents them):
 * - Only a bucket with Object Lock enabled takes lock settings (InvalidRequest "Bucket is missing
 *   Object Lock Configuration" otherwise).
 * - A version under an active COMPLIANCE retention or a legal hold cannot be deleted by anyone;
 *   under GOVERNANCE only with `x-amz-bypass-governance-retention: true` and the
 *   s3:BypassGovernanceRetention permission (declared as a second required action in the
 *   authorization facts, so the authorize step checks it; the owning account's root has it).
 * - A retention may always be extended; shortening or removing it (or COMPLIANCE -> GOVERNANCE)
 *   is refused under COMPLIANCE and needs the bypass under GOVERNANCE.
 * - Creating a delete marker (DeleteObject without a version id) is always allowed.
 * - Versioning cannot be suspended on a bucket with Object Lock (InvalidBucketState).
 *
 * ## Gaps
 * - PutObject / CopyObject / CreateMultipartUpload with lock headers need Content-MD5 or a
 *   checksum (PutObject), as AWS asks; PutObjectRetention / PutObjectLegalHold bodies are not
 *   required to carry one (the model does not hand their checksum header to handlers).
 * - GetObject / HeadObject send the lock headers to anyone who may read the object (AWS only to
 *   callers with s3:GetObjectRetention / s3:GetObjectLegalHold).
 * - s3:BypassGovernanceRetention is required whenever the bypass header is sent, even when the
 *   version turns out not to be locked.
 * - MFA Delete: the flag is stored (PutBucketVersioning with MFADelete needs x-amz-mfa, and
 *   GetBucketVersioning reports it); version deletes need an x-amz-mfa header while it is
 *   Enabled, but the code in it is not checked.
 */
import { ServiceError } from "../../core/errors.js";
import type { AuthorizationFacts, RequestContext } from "../../core/service.js";
import type { S3Operations } from "../../generated/s3.js";
import { lookupBucket } from "./bucket-lookup.js";
import { getObjectLockConfiguration } from "./bucket-config-store.js";
import { ObjectStore, tablesOf, versionRow, type ObjectVersion, type Tables } from "./objects-store.js";
import { S3Errors } from "./errors.js";
import { readVersioning } from "./versioning.js";
import { isWellFormedVersionId } from "./versioning.js";
import type { BucketRecord } from "./store.js";

export type LockMode = "GOVERNANCE" | "COMPLIANCE";

export interface ObjectLockState {
  mode?: LockMode;
  /** ISO time. */
  retainUntil?: string;
  legalHold?: boolean;
}

export const LockErrors = {
  MissingLockConfiguration: { code: "InvalidRequest", status: 400, message: "Bucket is missing Object Lock Configuration" },
  NoSuchObjectLockConfiguration: {
    code: "NoSuchObjectLockConfiguration",
    status: 404,
    message: "The specified object does not have a ObjectLock configuration",
  },
  Protected: { code: "AccessDenied", status: 403, message: "Access Denied because object protected by object lock." },
  InvalidArgument: { code: "InvalidArgument", status: 400 },
  InvalidRequest: { code: "InvalidRequest", status: 400 },
  MalformedXML: {
    code: "MalformedXML",
    status: 400,
    message: "The XML you provided was not well-formed or did not validate against our published schema",
  },
  NoSuchKey: { code: "NoSuchKey", status: 404, message: "The specified key does not exist." },
  NoSuchVersion: { code: "NoSuchVersion", status: 404, message: "The specified version does not exist." },
  MethodNotAllowed: { code: "MethodNotAllowed", status: 405, message: "The specified method is not allowed against this resource." },
} as const;

const MODES = new Set<string>(["GOVERNANCE", "COMPLIANCE"]);
const DAY_MS = 86_400_000;

/** Whether an active retention or a legal hold protects the version at `now`. */
export function lockProtection(v: ObjectVersion, now: Date): { legalHold: boolean; mode?: LockMode } {
  const l = v.lock;
  if (!l) return { legalHold: false };
  const active = l.mode !== undefined && l.retainUntil !== undefined && Date.parse(l.retainUntil) > now.getTime();
  return { legalHold: !!l.legalHold, ...(active ? { mode: l.mode! } : {}) };
}

/** Throws AccessDenied when deleting `v` permanently is not allowed. */
export function checkDeletable(v: ObjectVersion, now: Date, bypassGovernance: boolean): void {
  const p = lockProtection(v, now);
  if (p.legalHold || p.mode === "COMPLIANCE" || (p.mode === "GOVERNANCE" && !bypassGovernance)) {
    throw new ServiceError(LockErrors.Protected);
  }
}

/** Whether lifecycle may expire the version (never while it is locked). */
export function lifecycleMayExpire(v: ObjectVersion, now: Date): boolean {
  const p = lockProtection(v, now);
  return !p.legalHold && p.mode === undefined;
}

/** GetObject / HeadObject headers. */
export function lockOutput(v: ObjectVersion): Record<string, unknown> {
  const l = v.lock;
  if (!l) return {};
  return {
    ...(l.mode ? { ObjectLockMode: l.mode } : {}),
    ...(l.retainUntil ? { ObjectLockRetainUntilDate: new Date(l.retainUntil) } : {}),
    ...(l.legalHold !== undefined ? { ObjectLockLegalHoldStatus: l.legalHold ? "ON" : "OFF" } : {}),
  };
}

export interface LockHeaders {
  ObjectLockMode?: string | undefined;
  ObjectLockRetainUntilDate?: Date | undefined;
  ObjectLockLegalHoldStatus?: string | undefined;
}

/**
 * The lock a new version gets from its request headers and the bucket's default retention.
 * `hasChecksum`: the request carried Content-MD5 or an x-amz-checksum-* (required with lock
 * headers on uploads). Throws before anything is written.
 */
export async function lockOnWrite(
  ctx: RequestContext,
  bucket: BucketRecord,
  input: LockHeaders,
  hasChecksum: boolean | undefined,
): Promise<ObjectLockState | undefined> {
  const headers = input.ObjectLockMode !== undefined || input.ObjectLockRetainUntilDate !== undefined || input.ObjectLockLegalHoldStatus !== undefined;
  const config = await getObjectLockConfiguration(ctx.storage.metadata, bucket);
  if (!config) {
    if (headers) throw new ServiceError(LockErrors.MissingLockConfiguration);
    return undefined;
  }
  const now = ctx.clock.now();
  const out: ObjectLockState = {};
  if (headers) {
    if ((input.ObjectLockMode === undefined) !== (input.ObjectLockRetainUntilDate === undefined)) {
      throw new ServiceError(LockErrors.InvalidArgument, "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied", {
        ArgumentName: input.ObjectLockMode === undefined ? "x-amz-object-lock-mode" : "x-amz-object-lock-retain-until-date",
      });
    }
    if (input.ObjectLockMode !== undefined) {
      if (!MODES.has(input.ObjectLockMode)) {
        throw new ServiceError(LockErrors.InvalidArgument, "Unknown wormMode directive.", {
          ArgumentName: "x-amz-object-lock-mode",
          ArgumentValue: input.ObjectLockMode,
        });
      }
      const until = input.ObjectLockRetainUntilDate!;
      if (Number.isNaN(until.getTime()) || until.getTime() <= now.getTime()) {
        throw new ServiceError(LockErrors.InvalidArgument, "The retain until date must be in the future!", {
          ArgumentName: "x-amz-object-lock-retain-until-date",
          ArgumentValue: Number.isNaN(until.getTime()) ? String(input.ObjectLockRetainUntilDate) : until.toISOString(),
        });
      }
      out.mode = input.ObjectLockMode as LockMode;
      out.retainUntil = until.toISOString();
    }
    if (input.ObjectLockLegalHoldStatus !== undefined) {
      if (input.ObjectLockLegalHoldStatus !== "ON" && input.ObjectLockLegalHoldStatus !== "OFF") {
        throw new ServiceError(LockErrors.InvalidArgument, "Legal Hold must be either of 'ON' or 'OFF'", {
          ArgumentName: "x-amz-object-lock-legal-hold",
          ArgumentValue: input.ObjectLockLegalHoldStatus,
        });
      }
      out.legalHold = input.ObjectLockLegalHoldStatus === "ON";
    }
    if (hasChecksum === false) {
      throw new ServiceError(
        LockErrors.InvalidRequest,
        "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
      );
    }
  }
  const def = config.Rule?.DefaultRetention;
  if (out.mode === undefined && def) {
    const until = new Date(now.getTime());
    if (def.Days !== undefined) until.setTime(until.getTime() + def.Days * DAY_MS);
    if (def.Years !== undefined) until.setUTCFullYear(until.getUTCFullYear() + def.Years);
    out.mode = def.Mode;
    out.retainUntil = until.toISOString();
  }
  return Object.keys(out).length ? out : undefined;
}

// ---------------------------------------------------------------------------------------------
// Handlers

const stores = new WeakMap<object, ObjectStore>();
function objectStore(ctx: RequestContext): ObjectStore {
  let s = stores.get(ctx.storage);
  if (!s) {
    const logger = ctx.logger;
    s = new ObjectStore(ctx.storage.metadata, ctx.storage.blobs, (m) => logger.warn(`s3: ${m}`));
    stores.set(ctx.storage, s);
  }
  return s;
}

export async function bucketOf(ctx: RequestContext, name: string): Promise<BucketRecord> {
  const b = await lookupBucket(ctx, name);
  if (!b) throw new ServiceError(S3Errors.NoSuchBucket, undefined, { BucketName: name });
  return b;
}

export function checkVersionIdArg(versionId: string | undefined): void {
  if (versionId !== undefined && !isWellFormedVersionId(versionId)) {
    throw new ServiceError(LockErrors.InvalidArgument, "Invalid version id specified", { ArgumentName: "versionId", ArgumentValue: versionId });
  }
}

/** A version inside a transaction, with where it lives. */
export async function versionInTx(
  t: Tables,
  key: string,
  versionId: string | undefined,
): Promise<{ put: (v: ObjectVersion) => Promise<void>; version: ObjectVersion } | undefined> {
  const cur = await t.cur.get(key);
  if (versionId === undefined || cur?.versionId === versionId) return cur ? { version: cur, put: (v) => t.cur.put(key, v) } : undefined;
  const sortId = versionId === "null" ? await t.nul.get(key) : versionId;
  if (sortId === undefined) return undefined;
  const row = versionRow(key, sortId);
  const old = await t.old.get(row);
  return old && old.versionId === versionId ? { version: old, put: (v) => t.old.put(row, v) } : undefined;
}

function missing(key: string, versionId: string | undefined): ServiceError {
  return versionId !== undefined
    ? new ServiceError(LockErrors.NoSuchVersion, undefined, { Key: key, VersionId: versionId })
    : new ServiceError(LockErrors.NoSuchKey, undefined, { Key: key });
}

/**
 * Read-modify-write of one version's lock state; `change` throws to refuse. A delete marker
 * answers MethodNotAllowed, as for other per-object subresources.
 */
export async function updateVersion(
  ctx: RequestContext,
  bucket: BucketRecord,
  key: string,
  versionId: string | undefined,
  change: (v: ObjectVersion) => ObjectVersion,
): Promise<ObjectVersion> {
  return objectStore(ctx).mutate(async (tx) => {
    const found = await versionInTx(tablesOf(tx, bucket), key, versionId);
    if (!found) throw missing(key, versionId);
    if (found.version.deleteMarker) throw new ServiceError(LockErrors.MethodNotAllowed, undefined, { Method: "PUT", ResourceType: "DeleteMarker" });
    const next = change(found.version);
    await found.put(next);
    return { value: next };
  });
}

export async function readVersion(ctx: RequestContext, bucket: BucketRecord, key: string, versionId: string | undefined): Promise<ObjectVersion> {
  const found = await objectStore(ctx).find(bucket, key, versionId);
  if (!found) throw missing(key, versionId);
  if (found.version.deleteMarker) throw new ServiceError(LockErrors.MethodNotAllowed, undefined, { Method: "GET", ResourceType: "DeleteMarker" });
  return found.version;
}

async function requireLockBucket(ctx: RequestContext, bucket: BucketRecord): Promise<void> {
  if (!(await getObjectLockConfiguration(ctx.storage.metadata, bucket))) throw new ServiceError(LockErrors.MissingLockConfiguration);
}

type Ops = S3Operations;

export const objectLockHandlers: Partial<Ops> = {
  async PutObjectRetention(ctx, input) {
    const bucket = await bucketOf(ctx, input.Bucket);
    checkVersionIdArg(input.VersionId);
    await requireLockBucket(ctx, bucket);
    const r = input.Retention;
    let next: { mode: LockMode; retainUntil: string } | undefined;
    if (r && (r.Mode !== undefined || r.RetainUntilDate !== undefined)) {
      if (r.Mode === undefined || !MODES.has(r.Mode) || r.RetainUntilDate === undefined || Number.isNaN(new Date(r.RetainUntilDate).getTime())) {
        throw new ServiceError(LockErrors.MalformedXML);
      }
      const until = new Date(r.RetainUntilDate);
      if (until.getTime() <= ctx.clock.now().getTime()) {
        throw new ServiceError(LockErrors.InvalidArgument, "The retain until date must be in the future!", {
          ArgumentName: "RetainUntilDate",
          ArgumentValue: until.toISOString(),
        });
      }
      next = { mode: r.Mode as LockMode, retainUntil: until.toISOString() };
    }
    const now = ctx.clock.now();
    const bypass = input.BypassGovernanceRetention === true;
    await updateVersion(ctx, bucket, input.Key, input.VersionId, (v) => {
      const p = lockProtection(v, now);
      if (p.mode) {
        const curUntil = Date.parse(v.lock!.retainUntil!);
        const weaker =
          !next || Date.parse(next.retainUntil) < curUntil || (p.mode === "COMPLIANCE" && next.mode === "GOVERNANCE");
        if (weaker && (p.mode === "COMPLIANCE" || !bypass)) throw new ServiceError(LockErrors.Protected);
      }
      const lock: ObjectLockState = { ...(v.lock ?? {}) };
      delete lock.mode;
      delete lock.retainUntil;
      if (next) Object.assign(lock, next);
      const out: ObjectVersion = { ...v };
      if (Object.keys(lock).length) out.lock = lock;
      else delete out.lock;
      return out;
    });
    return {};
  },

  async GetObjectRetention(ctx, input) {
    const bucket = await bucketOf(ctx, input.Bucket);
    checkVersionIdArg(input.VersionId);
    await requireLockBucket(ctx, bucket);
    const v = await readVersion(ctx, bucket, input.Key, input.VersionId);
    if (!v.lock?.mode) throw new ServiceError(LockErrors.NoSuchObjectLockConfiguration);
    return { Retention: { Mode: v.lock.mode, RetainUntilDate: new Date(v.lock.retainUntil!) } };
  },

  async PutObjectLegalHold(ctx, input) {
    const bucket = await bucketOf(ctx, input.Bucket);
    checkVersionIdArg(input.VersionId);
    await requireLockBucket(ctx, bucket);
    const status = input.LegalHold?.Status;
    if (status !== "ON" && status !== "OFF") throw new ServiceError(LockErrors.MalformedXML);
    await updateVersion(ctx, bucket, input.Key, input.VersionId, (v) => ({ ...v, lock: { ...(v.lock ?? {}), legalHold: status === "ON" } }));
    return {};
  },

  async GetObjectLegalHold(ctx, input) {
    const bucket = await bucketOf(ctx, input.Bucket);
    checkVersionIdArg(input.VersionId);
    await requireLockBucket(ctx, bucket);
    const v = await readVersion(ctx, bucket, input.Key, input.VersionId);
    if (v.lock?.legalHold === undefined) throw new ServiceError(LockErrors.NoSuchObjectLockConfiguration);
    return { LegalHold: { Status: v.lock.legalHold ? "ON" : "OFF" } };
  },
};

/** Whether the bucket is versioned (for callers that report VersionId). */
export async function isVersioned(ctx: RequestContext, bucket: BucketRecord): Promise<boolean> {
  return (await readVersioning(ctx.storage.metadata, bucket)) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Authorization facts

type Input = Record<string, unknown>;

async function ownerAccount(ctx: RequestContext, bucket: string): Promise<string> {
  return (await lookupBucket(ctx, bucket))?.account ?? ctx.account;
}

/** The object ARN, its owner, s3:versionid, and the bypass permission when its header is sent. */
export function lockFacts(action: string, bypassable = false) {
  return async (ctx: RequestContext, input: Input): Promise<AuthorizationFacts> => {
    const bucket = String(input.Bucket);
    const arn = `arn:aws:s3:::${bucket}/${String(input.Key)}`;
    const versionId = typeof input.VersionId === "string" ? input.VersionId : undefined;
    return {
      action,
      resources: [arn],
      resourceAccount: await ownerAccount(ctx, bucket),
      context: versionId !== undefined ? { "s3:versionid": versionId } : {},
      ...(bypassable && input.BypassGovernanceRetention === true
        ? { alsoRequires: [{ action: "s3:BypassGovernanceRetention", resources: [arn] }] }
        : {}),
    };
  };
}

export const objectLockAuthorization = {
  PutObjectRetention: lockFacts("s3:PutObjectRetention", true),
  GetObjectRetention: lockFacts("s3:GetObjectRetention"),
  PutObjectLegalHold: lockFacts("s3:PutObjectLegalHold"),
  GetObjectLegalHold: lockFacts("s3:GetObjectLegalHold"),
};

/** Inside a permanent delete's transaction: refuse when the version is locked. */
export async function checkVersionDeletable(
  source: Parameters<typeof tablesOf>[0],
  bucket: BucketRecord,
  key: string,
  versionId: string,
  now: Date,
  bypass: boolean,
): Promise<void> {
  const found = await versionInTx(tablesOf(source, bucket), key, versionId);
  if (found) checkDeletable(found.version, now, bypass);
}

/** PutBucketVersioning: a bucket with Object Lock keeps versioning Enabled. */
export async function checkVersioningChange(ctx: RequestContext, bucket: BucketRecord, status: string | undefined): Promise<void> {
  if (status !== "Suspended") return;
  if (await getObjectLockConfiguration(ctx.storage.metadata, bucket)) {
    throw new ServiceError(
      { code: "InvalidBucketState", status: 409 },
      "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
    );
  }
}
