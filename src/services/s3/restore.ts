/**
 * RestoreObject: a temporary readable copy of a GLACIER or DEEP_ARCHIVE object.
 *
 * The state of a restore lives on the object version itself (`ObjectVersion.restore`): the tier,
 * the Days asked for, when the copy becomes readable (`readyAt`) and when it goes away
 * (`expiry`). Everything else is read against the injected clock when asked, so nothing needs
 * to run in the background: before `readyAt` the restore is in progress
 * (`x-amz-restore: ongoing-request="true"`), from `readyAt` until `expiry` the object is readable
 * (`ongoing-request="false", expiry-date="..."`), after `expiry` it is archived again. Tests move
 * the clock (`POST /_nimbus/clock`, `clock.advance`) instead of waiting hours.
 *
 * Answers: 202 Accepted for a new restore, 200 OK when a restored copy exists (its expiry is
 * moved to Days from now), 409 RestoreAlreadyInProgress while one is in progress, 403
 * InvalidObjectState for objects of any other storage class.
 *
 * How long a restore takes (fixed, from AWS's documented ranges; the clock is what tests move):
 *
 *   tier        GLACIER   DEEP_ARCHIVE
 *   Expedited   5 min     (refused: not offered for Deep Archive)
 *   Standard    4 h       12 h
 *   Bulk        12 h      48 h
 *
 * The expiry is the completion time plus Days, rounded up to the next midnight UTC, as S3
 * computes it; extending a restored copy counts Days from the request, rounded the same way.
 *
 * ## Gaps
 * - Restores of objects in the Intelligent-Tiering archive tiers (no Days) do not exist, since
 *   objects never move between Intelligent-Tiering access tiers.
 * - SELECT restores (Type=SELECT, OutputLocation) answer NotImplemented (AWS has closed them to
 *   new customers).
 * - Upgrading the tier of a restore in progress (a faster Tier sent again) answers 409 like any
 *   repeated request; S3 accepts the upgrade.
 * - ListObjects' OptionalObjectAttributes=RestoreStatus is not reported.
 * - No s3:ObjectRestore:* event notifications.
 * - The error for a missing or non-positive Days is InvalidArgument (not checked against AWS).
 */
import type { RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import type { S3Operations } from "../../generated/s3.js";
import { S3ObjectErrors } from "./errors-objects.js";
import { ObjectStore, tablesOf, versionRow, type ObjectVersion, type Tables } from "./objects-store.js";
import { isWellFormedVersionId } from "./versioning.js";
import { lookupBucket } from "./bucket-lookup.js";
import { S3Errors } from "./errors.js";
import { emitS3Event, emitS3EventWhenDue } from "./events.js";

export const DAY_MS = 86_400_000;

/** What ObjectVersion.restore holds. */
export interface RestoreState {
  tier: RestoreTier;
  days: number;
  /** ISO times. */
  requested: string;
  readyAt: string;
  expiry: string;
}

export type RestoreTier = "Expedited" | "Standard" | "Bulk";

/** Storage classes whose bytes need RestoreObject before they can be read. */
export const ARCHIVED_CLASSES = new Set(["GLACIER", "DEEP_ARCHIVE"]);

/** Seconds from request to readable copy, per storage class and tier (undefined: not offered). */
export const RESTORE_DELAY_SECONDS: Record<string, Partial<Record<RestoreTier, number>>> = {
  GLACIER: { Expedited: 5 * 60, Standard: 4 * 3600, Bulk: 12 * 3600 },
  DEEP_ARCHIVE: { Standard: 12 * 3600, Bulk: 48 * 3600 },
};

const RestoreAlreadyInProgress = { code: "RestoreAlreadyInProgress", status: 409, message: "Object restore is already in progress" };

/**
 * The midnight UTC after `ms`: how S3 rounds lifecycle due times and restore expiry dates
 * ("rounded to the next day midnight UTC"). A time exactly at midnight is already rounded.
 */
export function nextMidnightUtc(ms: number): number {
  return Math.ceil(ms / DAY_MS) * DAY_MS;
}

export type RestoreStatus = { state: "none" } | { state: "ongoing" } | { state: "restored"; expiry: Date };

/** Where the version's restore stands at `now`. */
export function restoreStatus(v: ObjectVersion, now: Date): RestoreStatus {
  const r = v.restore;
  if (!r) return { state: "none" };
  const t = now.getTime();
  if (t < Date.parse(r.readyAt)) return { state: "ongoing" };
  if (t < Date.parse(r.expiry)) return { state: "restored", expiry: new Date(r.expiry) };
  return { state: "none" };
}

/** Whether the version's bytes cannot be read now (archived and not restored). */
export function isArchivedNow(v: ObjectVersion, now: Date): boolean {
  return !!v.storageClass && ARCHIVED_CLASSES.has(v.storageClass) && restoreStatus(v, now).state !== "restored";
}

/** The x-amz-restore header of GetObject / HeadObject (the `Restore` output member), if any. */
export function restoreOutput(v: ObjectVersion, now: Date): { Restore?: string } {
  const s = restoreStatus(v, now);
  if (s.state === "ongoing") return { Restore: 'ongoing-request="true"' };
  if (s.state === "restored") return { Restore: `ongoing-request="false", expiry-date="${s.expiry.toUTCString()}"` };
  return {};
}

/** Inside a transaction: the row holding a version (the current one without `versionId`). */
export async function locateVersion(
  t: Tables,
  key: string,
  versionId: string | undefined,
): Promise<{ row: string; table: "cur" | "old"; version: ObjectVersion } | undefined> {
  const cur = await t.cur.get(key);
  if (versionId === undefined || cur?.versionId === versionId) return cur ? { row: key, table: "cur", version: cur } : undefined;
  const sortId = versionId === "null" ? await t.nul.get(key) : versionId;
  if (sortId === undefined) return undefined;
  const row = versionRow(key, sortId);
  const old = await t.old.get(row);
  return old && old.versionId === versionId ? { row, table: "old", version: old } : undefined;
}

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

const invalidArgument = (message: string, name: string, value: unknown) =>
  new ServiceError(S3ObjectErrors.InvalidArgument, message, { ArgumentName: name, ArgumentValue: String(value) });

export const restoreHandlers: Partial<S3Operations> = {
  async RestoreObject(ctx, input) {
    const bucket = await lookupBucket(ctx, input.Bucket);
    if (!bucket) throw new ServiceError(S3Errors.NoSuchBucket, undefined, { BucketName: input.Bucket });
    const key = input.Key;
    const versionId = input.VersionId;
    if (versionId !== undefined && !isWellFormedVersionId(versionId)) throw invalidArgument("Invalid version id specified", "versionId", versionId);
    const req = input.RestoreRequest ?? {};
    if (req.Type !== undefined || req.OutputLocation !== undefined || req.SelectParameters !== undefined) {
      throw new ServiceError(S3ObjectErrors.NotImplemented, "SELECT restore requests are not supported");
    }
    const days = req.Days;
    if (days === undefined || !Number.isInteger(days) || days < 1) throw invalidArgument("Days must be a positive integer", "Days", days);
    const tierText = req.GlacierJobParameters?.Tier ?? req.Tier ?? "Standard";
    if (tierText !== "Expedited" && tierText !== "Standard" && tierText !== "Bulk") throw new ServiceError(S3ObjectErrors.MalformedXML);
    const tier: RestoreTier = tierText;

    const out = await objectStore(ctx).mutate(async (tx) => {
      const t = tablesOf(tx, bucket);
      const found = await locateVersion(t, key, versionId);
      if (!found || found.version.deleteMarker) {
        throw versionId !== undefined
          ? new ServiceError(S3ObjectErrors.NoSuchVersion, undefined, { Key: key, VersionId: versionId })
          : new ServiceError(S3ObjectErrors.NoSuchKey, undefined, { Key: key });
      }
      const v = found.version;
      const storageClass = v.storageClass ?? "STANDARD";
      const delays = RESTORE_DELAY_SECONDS[storageClass];
      if (!delays) {
        throw new ServiceError(S3ObjectErrors.InvalidObjectState, "Restore is not allowed for the object's current storage class", {
          StorageClass: storageClass,
        });
      }
      const now = ctx.clock.now();
      const status = restoreStatus(v, now);
      if (status.state === "ongoing") throw new ServiceError(RestoreAlreadyInProgress);
      let next: RestoreState;
      let statusCode: number;
      if (status.state === "restored") {
        next = { ...v.restore!, days, expiry: new Date(nextMidnightUtc(now.getTime() + days * DAY_MS)).toISOString() };
        statusCode = 200;
      } else {
        const delay = delays[tier];
        if (delay === undefined) {
          throw new ServiceError(S3ObjectErrors.InvalidArgument, `${tier} retrieval is not available for the ${storageClass} storage class`, {
            ArgumentName: "Tier",
            ArgumentValue: tier,
          });
        }
        const readyAt = now.getTime() + delay * 1000;
        next = {
          tier,
          days,
          requested: now.toISOString(),
          readyAt: new Date(readyAt).toISOString(),
          expiry: new Date(nextMidnightUtc(readyAt + days * DAY_MS)).toISOString(),
        };
        statusCode = 202;
      }
      const updated: ObjectVersion = { ...v, restore: next };
      if (found.table === "cur") await t.cur.put(found.row, updated);
      else await t.old.put(found.row, updated);
      return { value: { StatusCode: statusCode, updated } };
    });
    // Event notifications (events.ts): ObjectRestore:Post for a new restore, and
    // ObjectRestore:Completed once the injected clock reaches its readyAt.
    if (out.StatusCode === 202) {
      const v = out.updated;
      const versioned = v.versionId !== "null" ? { versionId: v.versionId } : {};
      const base = { key, size: v.size!, etag: v.etag!, ...versioned };
      emitS3Event(ctx, bucket, { eventName: "ObjectRestore:Post", ...base });
      emitS3EventWhenDue(ctx, bucket, Date.parse(v.restore!.readyAt), () => ({
        eventName: "ObjectRestore:Completed",
        ...base,
        restore: { expiry: v.restore!.expiry, storageClass: v.storageClass ?? "STANDARD" },
      }));
    }
    return { StatusCode: out.StatusCode };
  },
};
