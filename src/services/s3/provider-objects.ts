/**
 * S3 objects: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject,
 * object tagging, GetObjectAttributes, ListObjects (v1 and v2), ListObjectVersions and bucket
 * versioning. State layout and durability: objects-store.ts; listing: listing.ts; checksums:
 * checksums.ts; conditional requests: conditional.ts.
 *
 * ## Gaps
 * - Multipart uploads live in multipart.ts, which also answers partNumber and ObjectParts for
 *   multipart objects (wrapping GetObject, HeadObject and GetObjectAttributes).
 * - SSE-KMS: the KMS key is not looked up in KMS (it need not exist; its key policy and grants
 *   are not evaluated; no kms:GenerateDataKey / kms:Decrypt is authorized or logged); Nimbus wraps
 *   the data key with a key derived from its master key and the KMS key's ARN (encryption.ts).
 *   SSEKMSEncryptionContext is accepted and not kept. DSSE-KMS encrypts once, like SSE-KMS.
 * - SSE-C is allowed on buckets whatever their BlockedEncryptionTypes (not modelled); the ETag of
 *   SSE-C and SSE-KMS objects is still the plaintext's MD5 (AWS makes it opaque).
 * - ACL headers (x-amz-acl, x-amz-grant-*) and Object Lock headers are applied by object-acl.ts and
 *   object-lock.ts (through object-extras.ts); replication status by replication.ts.
 * - GLACIER / DEEP_ARCHIVE objects are read only while restored (RestoreObject: restore.ts); the
 *   other archive-like classes are served like STANDARD.
 * - The request checksum of DeleteObjects / PutObjectTagging bodies (Content-MD5, x-amz-checksum-*) is
 *   not verified (the model does not pass those headers to handlers).
 * - A CopyObject still copying after 20 s answers 200 and sends spaces until its document is ready
 *   (as S3 does; ServiceDefinition.keepAlive): x-amz-version-id and the SSE headers are then missing.
 * - Authorization: CopyObject is checked as s3:PutObject on the destination only (the source's
 *   s3:GetObject is not evaluated); DeleteObjects is checked as s3:DeleteObject on every key at
 *   once (one denial fails the whole request instead of one per-key AccessDenied entry).
 * - A range GET of an object stored before encryption existed is not checked against its SHA-256
 *   (whole reads are; encrypted objects authenticate every chunk a range touches).
 * - MFA delete is stored and enforced by the presence of x-amz-mfa; the code itself is not checked.
 * - Expires must be an HTTP date (AWS keeps any string).
 * - A blob whose metadata commit was lost to a crash (or whose delete after an overwrite was) stays on
 *   disk unreferenced until a future sweep; it is never served.
 *
 * ## By design
 * - Every object is encrypted at rest (encryption.ts): SSE-S3 unless the request or the bucket's
 *   default encryption asks for SSE-KMS / DSSE-KMS, or SSE-C headers are sent. The bytes on disk are
 *   AES-256-GCM ciphertext in 64 KiB sealed chunks; a corrupted chunk fails the read.
 * - SSE-C works over plain HTTP (AWS requires HTTPS): Nimbus is reached over HTTP by default.
 * - Every object gets a checksum: the one the client sent, else CRC64NVME, as S3 has done since 2025.
 * - Stored bytes are verified against their SHA-256 while a whole object streams out; on a mismatch
 *   the response is cut short before its last bytes, so wrong data is never delivered complete.
 *   Objects up to 64 KiB are read, opened (or verified) and checked whole before the response
 *   starts, so corruption there is a 500 InternalError instead of a cut-short body.
 * - Bucket records, bucket configuration and versioning are cached in memory (bucket-cache.ts),
 *   invalidated by every write that commits; another process writing the same data dir is not
 *   seen (two processes on one data dir are not supported anyway).
 * - PutObject with If-None-Match / If-Match is checked before the body is read (412) and again at
 *   commit; a write that raced past the first check gets 409 ConditionalRequestConflict.
 * - Version ids are 32 URL-safe characters whose first 14 sort newest-first.
 * - x-amz-version-id is sent once the bucket's versioning was ever configured ("null" for null versions).
 *
 * ## Client quirks
 * - SDK v3 sends PutObject bodies aws-chunked with a CRC32 trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER);
 *   the trailer is checked after the last byte and before anything is committed.
 * - encoding-type=url encodes keys the way botocore decodes them (unquote_plus: space as '+').
 */
import { checkCopySource } from "./copy-source.js";
import { extrasCommitted, extrasOutput, versionExtras } from "./object-extras.js";
import { checkVersionDeletable, checkVersioningChange } from "./object-lock.js";
import { getDefaultEncryption } from "./bucket-config-store.js";
import {
  DecryptStream,
  EncryptStream,
  checkReadKey,
  checkSseRequest,
  customerKeyOf,
  dataKeyFor,
  newNoncePrefix,
  newSse,
  openSealedBuffer,
  sealBuffer,
  sealedRange,
  sseOutput,
  type CustomerKey,
  type SseRecord,
} from "./encryption.js";
import { emitS3Event } from "./events.js";
import { isArchivedNow, restoreOutput } from "./restore.js";
import { Readable } from "node:stream";
import { createHash } from "node:crypto";
import type { PutObjectOutput, PutObjectRequest, S3Operations } from "../../generated/s3.js";
import type { RequestContext } from "../../core/service.js";
import { ServiceError, isServiceError } from "../../core/errors.js";
import type { BlobInfo, Entry } from "../../storage/types.js";
import { S3Errors } from "./errors.js";
import { S3ObjectErrors } from "./errors-objects.js";
import type { BucketRecord } from "./store.js";
import { lookupBucket } from "./bucket-lookup.js";
import { invalidateBucket } from "./bucket-cache.js";
import {
  UploadChecksumStream,
  VerifyingStream,
  checkUploadBuffer,
  checksumMember,
  isChecksumAlgorithm,
  uploadChecksums,
  type ChecksumAlgorithm,
  type UploadChecksums,
} from "./checksums.js";
import { evaluateConditions, etagMatches, type Conditions } from "./conditional.js";
import {
  ObjectStore,
  installVersion,
  removeVersion,
  tablesOf,
  versionRow,
  type ObjectVersion,
  type Tables,
} from "./objects-store.js";
import { decodeContinuation, encodeContinuation, listCurrent, listVersions, s3UrlEncode } from "./listing.js";
import { isWellFormedVersionId, newSortId, readVersioning, writeVersioning, type VersioningRecord, type VersioningStatus } from "./versioning.js";

type Ops = S3Operations;

const MAX_KEY_BYTES = 1024;
const MAX_METADATA_BYTES = 2048;
const MAX_PUT_BYTES = 5 * 1024 ** 3;
const MAX_COPY_BYTES = 5 * 1024 ** 3;
const MAX_TAGS = 10;
const MAX_DELETE_OBJECTS = 1000;

export const STORAGE_CLASSES = [
  "STANDARD",
  "REDUCED_REDUNDANCY",
  "STANDARD_IA",
  "ONEZONE_IA",
  "INTELLIGENT_TIERING",
  "GLACIER",
  "DEEP_ARCHIVE",
  "GLACIER_IR",
  "OUTPOSTS",
  "SNOW",
  "EXPRESS_ONEZONE",
] as const;

// ---------------------------------------------------------------------------------------------
// Shared helpers

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

/** The bucket, whoever owns it: access across accounts was settled by the authorize step. */
export async function bucketFor(ctx: RequestContext, name: string): Promise<BucketRecord> {
  const bucket = await lookupBucket(ctx, name);
  if (!bucket) throw new ServiceError(S3Errors.NoSuchBucket, undefined, { BucketName: name });
  return bucket;
}

function checkKey(key: string): void {
  const size = Buffer.byteLength(key, "utf8");
  if (size > MAX_KEY_BYTES) {
    throw new ServiceError(S3ObjectErrors.KeyTooLongError, undefined, { Size: size, MaxSizeAllowed: MAX_KEY_BYTES });
  }
}

function checkVersionId(versionId: string | undefined): void {
  if (versionId !== undefined && !isWellFormedVersionId(versionId)) {
    throw new ServiceError(S3ObjectErrors.InvalidArgument, "Invalid version id specified", {
      ArgumentName: "versionId",
      ArgumentValue: versionId,
    });
  }
}

function checkStorageClass(sc: string | undefined): void {
  if (sc !== undefined && !(STORAGE_CLASSES as readonly string[]).includes(sc)) {
    throw new ServiceError(S3ObjectErrors.InvalidStorageClass, undefined, { StorageClassRequested: sc });
  }
}

function checkMetadata(meta: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!meta || Object.keys(meta).length === 0) return undefined;
  let size = 0;
  for (const [k, v] of Object.entries(meta)) size += Buffer.byteLength(k, "utf8") + Buffer.byteLength(v, "utf8");
  if (size > MAX_METADATA_BYTES) {
    throw new ServiceError(S3ObjectErrors.MetadataTooLarge, undefined, { Size: size, MaxSizeAllowed: MAX_METADATA_BYTES });
  }
  return { ...meta };
}

function checkWebsiteRedirect(loc: string | undefined): void {
  if (loc !== undefined && !/^(\/|https?:\/\/)/.test(loc)) {
    throw new ServiceError(S3ObjectErrors.InvalidArgument, "The website redirect location must have a prefix of 'http://' or 'https://' or '/'.", {
      ArgumentName: "x-amz-website-redirect-location",
      ArgumentValue: loc,
    });
  }
}

/** The x-amz-server-side-encryption* headers of a write (encryption.ts; SSE-C is allowed over HTTP). */
function checkSse(input: Parameters<typeof checkSseRequest>[0], _ctx: RequestContext): void {
  checkSseRequest(input);
}

/** The encryption of a new object: the request's headers, else the bucket's default (encryption.ts). */
async function sseForWrite(ctx: RequestContext, bucket: BucketRecord, input: Parameters<typeof checkSseRequest>[0]) {
  const { rec, dataKey } = newSse(ctx, bucket, input, await getDefaultEncryption(ctx.storage.metadata, bucket));
  return { rec, dataKey, nonce: newNoncePrefix() };
}

/** Tag keys and values: letters, digits, spaces and + - = . _ : / @ (S3's rule). */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export function validateTags(tags: [string, string][]): [string, string][] {
  if (tags.length > MAX_TAGS) throw new ServiceError(S3ObjectErrors.BadRequest, "Object tags cannot be greater than 10");
  const seen = new Set<string>();
  for (const [k, v] of tags) {
    if (k.length < 1 || k.length > 128 || !TAG_TEXT.test(k)) {
      throw new ServiceError(S3ObjectErrors.InvalidTag, "The TagKey you have provided is invalid", { TagKey: k });
    }
    if (k.toLowerCase().startsWith("aws:")) {
      throw new ServiceError(S3ObjectErrors.InvalidTag, "Your TagKey cannot be prefixed with aws:", { TagKey: k });
    }
    if (v.length > 256 || !TAG_TEXT.test(v)) {
      throw new ServiceError(S3ObjectErrors.InvalidTag, "The TagValue you have provided is invalid", { TagKey: k, TagValue: v });
    }
    if (seen.has(k)) throw new ServiceError(S3ObjectErrors.InvalidTag, "Cannot provide multiple Tags with the same key", { TagKey: k });
    seen.add(k);
  }
  return tags;
}

/** The x-amz-tagging header: a URL query string. */
export function parseTaggingHeader(header: string | undefined): [string, string][] | undefined {
  if (header === undefined || header === "") return undefined;
  const pairs: [string, string][] = [];
  for (const [k, v] of new URLSearchParams(header)) pairs.push([k, v]);
  return validateTags(pairs);
}

const ownerOf = (account: string) => ({ ID: account.padStart(64, "0"), DisplayName: `account-${account}` });

/** Whether the bucket's versioning was ever configured (x-amz-version-id is sent from then on). */
const versioned = (v: VersioningRecord | undefined) => v !== undefined;

function notFound(key: string, versionId: string | undefined): ServiceError {
  return versionId !== undefined
    ? new ServiceError(S3ObjectErrors.NoSuchVersion, undefined, { Key: key, VersionId: versionId })
    : new ServiceError(S3ObjectErrors.NoSuchKey, undefined, { Key: key });
}

/**
 * The errors for reaching a delete marker: 404 NoSuchKey when it is the current version, 405
 * MethodNotAllowed when a version id names it; both carry x-amz-delete-marker.
 */
function deleteMarkerError(key: string, v: ObjectVersion, byVersionId: boolean, method: string, withVersion: boolean): ServiceError {
  const err = byVersionId
    ? new ServiceError(S3ObjectErrors.MethodNotAllowed, undefined, { Method: method, ResourceType: "DeleteMarker" })
    : new ServiceError(S3ObjectErrors.NoSuchKey, undefined, { Key: key });
  err.headers = {
    "x-amz-delete-marker": "true",
    ...(withVersion ? { "x-amz-version-id": v.versionId } : {}),
    ...(byVersionId ? { "last-modified": new Date(v.lastModified).toUTCString(), allow: "DELETE" } : {}),
  };
  return err;
}

/** Open a version's blob, so a concurrent overwrite cannot delete it between lookup and read. */
export async function openBlob(ctx: RequestContext, v: ObjectVersion, range?: { start: number; end: number }, customer?: CustomerKey): Promise<Readable> {
  const size = v.size!;
  // Encrypted: only the sealed chunks the range covers are read and opened (encryption.ts).
  const sealed = v.sse ? (size > 0 ? sealedRange(size, range) : undefined) : undefined;
  const dataKey = v.sse ? dataKeyFor(ctx, v.sse, customer) : undefined;
  // A whole object is read as the range 0..size-1 too: the read stream then stops after its
  // last byte instead of reading once more to find the end of the file.
  const stream = ctx.storage.blobs.get(
    v.blob!,
    v.sse ? sealed?.blob : (range ?? (size > 0 ? { start: 0, end: size - 1 } : undefined)),
  );
  await new Promise<void>((resolve, reject) => {
    const onReady = () => {
      stream.off("error", onError);
      resolve();
    };
    const onError = (e: Error) => {
      stream.off("ready", onReady);
      reject(e);
    };
    stream.once("ready", onReady);
    stream.once("error", onError);
  });
  if (v.sse) {
    return link(stream, new DecryptStream(dataKey!, v.nonce!, size, sealed ?? { first: 0, last: -1, skip: 0, length: 0 }));
  }
  if (range) return stream;
  return link(stream, new VerifyingStream(v.sha256!, size));
}

/**
 * `source.pipe(target)` with failures carried both ways: an error upstream fails the target, a
 * target torn down early stops the source. (stream.pipeline does the same but builds an
 * AbortController and a DOMException per call, which shows on small-object profiles.)
 */
function link<T extends NodeJS.WritableStream & Readable>(source: Readable, target: T): T {
  source.once("error", (e) => target.destroy(e));
  target.once("close", () => {
    if (!source.readableEnded && !source.destroyed) source.destroy();
  });
  source.pipe(target);
  return target;
}

/** A blob store that can hand over a small blob's bytes at once (tiered-blob-store.ts). */
interface RowReads {
  readRow(id: string): Buffer | undefined;
}

function rowReads(blobs: unknown): RowReads | undefined {
  return typeof (blobs as Partial<RowReads>).readRow === "function" ? (blobs as RowReads) : undefined;
}

/**
 * A small object's bytes read and opened at once, or undefined when its blob is not kept whole in
 * memory-sized form (then it streams: openBlob). Same checks as the streams: every chunk the range
 * covers authenticates, or (objects stored before encryption) a whole read matches its SHA-256.
 */
function readSmallBlob(ctx: RequestContext, v: ObjectVersion, range: { start: number; end: number } | undefined, customer?: CustomerKey): Buffer | undefined {
  const reads = rowReads(ctx.storage.blobs);
  if (!reads || v.size! > SMALL_BODY) return undefined;
  const dataKey = v.sse ? dataKeyFor(ctx, v.sse, customer) : undefined;
  const blob = reads.readRow(v.blob!);
  if (!blob) return undefined;
  if (v.sse) return openSealedBuffer(dataKey!, v.nonce!, v.size!, blob, range);
  if (range) return blob.subarray(range.start, range.end + 1);
  if (blob.length !== v.size || createHash("sha256").update(blob).digest("hex") !== v.sha256) {
    throw new Error(`stored object failed its integrity check (sha256 does not match)`);
  }
  return blob;
}

/** Look a version up and open its blob, retrying when it was replaced in between. */
async function readableVersion(
  ctx: RequestContext,
  bucket: BucketRecord,
  key: string,
  versionId: string | undefined,
  prepare: (v: ObjectVersion, latest: boolean) => { start: number; end: number } | undefined | "none",
  customer?: CustomerKey,
): Promise<{ version: ObjectVersion; latest: boolean; body?: Readable | Buffer }> {
  const store = objectStore(ctx);
  for (let attempt = 0; ; attempt++) {
    const found = await store.find(bucket, key, versionId);
    if (!found) throw notFound(key, versionId);
    const range = prepare(found.version, found.latest);
    if (range === "none") return found;
    try {
      const small = readSmallBlob(ctx, found.version, range, customer);
      if (small) return { ...found, body: small };
      return { ...found, body: await openBlob(ctx, found.version, range, customer) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT" && attempt < 3) continue;
      throw e;
    }
  }
}

type ChecksumFields = Partial<Record<`Checksum${ChecksumAlgorithm}`, string>> & { ChecksumType?: string };

function checksumFields(v: ObjectVersion): ChecksumFields {
  if (!v.checksum) return {};
  return { [checksumMember(v.checksum.algorithm)]: v.checksum.value, ChecksumType: v.checksum.type };
}

/** The Range header: one range, in bytes. undefined = serve everything (absent or not understood). */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined; // malformed or several ranges: S3 sends the whole object
  const [, a, b] = m;
  if (a === "" && b === "") return undefined;
  if (a === "") {
    const n = Number(b);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Number(b);
  if (b !== "" && end < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(end, size - 1) };
}

function rangeError(header: string, size: number): ServiceError {
  const err = new ServiceError(S3ObjectErrors.InvalidRange, undefined, { RangeRequested: header, ActualObjectSize: size });
  err.headers = { "content-range": `bytes */${size}` };
  return err;
}

function conditionsOf(input: { IfMatch?: string; IfNoneMatch?: string; IfModifiedSince?: Date; IfUnmodifiedSince?: Date }): Conditions {
  return {
    ifMatch: input.IfMatch,
    ifNoneMatch: input.IfNoneMatch,
    ifModifiedSince: input.IfModifiedSince,
    ifUnmodifiedSince: input.IfUnmodifiedSince,
  };
}

function checkReadConditions(ctx: RequestContext, input: Parameters<typeof conditionsOf>[0], v: ObjectVersion, withVersion: boolean): void {
  const r = evaluateConditions(conditionsOf(input), { etag: v.etag!, lastModified: new Date(v.lastModified) }, ctx.clock.now());
  if (r.outcome === "ok") return;
  if (r.outcome === "not-modified") {
    const err = new ServiceError(S3ObjectErrors.NotModified);
    err.headers = {
      etag: v.etag!,
      "last-modified": new Date(v.lastModified).toUTCString(),
      ...(withVersion ? { "x-amz-version-id": v.versionId } : {}),
    };
    throw err;
  }
  throw new ServiceError(S3ObjectErrors.PreconditionFailed, undefined, { Condition: r.condition });
}

/** Conditional writes: If-None-Match: * (key must not exist), If-Match (ETag must match). */
function checkWriteConditions(
  input: { IfMatch?: string | undefined; IfNoneMatch?: string | undefined },
  cur: ObjectVersion | undefined,
  atCommit: boolean,
): void {
  const exists = cur !== undefined && !cur.deleteMarker;
  let failed: ServiceError | undefined;
  if (input.IfNoneMatch !== undefined && exists) {
    failed = new ServiceError(S3ObjectErrors.PreconditionFailed, undefined, { Condition: "If-None-Match" });
  } else if (input.IfMatch !== undefined) {
    if (!exists) failed = new ServiceError(S3ObjectErrors.NoSuchKey, undefined, {});
    else if (!etagMatches(input.IfMatch, cur.etag!)) {
      failed = new ServiceError(S3ObjectErrors.PreconditionFailed, undefined, { Condition: "If-Match" });
    }
  }
  if (!failed) return;
  throw atCommit ? new ServiceError(S3ObjectErrors.ConditionalRequestConflict) : failed;
}

function toReadable(body: unknown): Readable {
  if (body instanceof Readable) return body;
  if (body === undefined || body === null) return Readable.from([]);
  if (typeof body === "string") return Readable.from([Buffer.from(body, "utf8")]);
  if (body instanceof Uint8Array) return Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
  throw new ServiceError(S3ObjectErrors.InternalError, "unexpected body type");
}

/** Bodies up to this many bytes are read whole and sealed at once (no stream per upload). */
const SMALL_BODY = 64 * 1024;

/**
 * Read a small body whole. Fails with IncompleteBody when the client goes away or sends more than
 * `limit` bytes (the declared length: the checksum step then reports the mismatch as S3 does).
 */
function readSmallBody(body: Readable, limit: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const done = (err?: unknown) => {
      if (settled) return;
      settled = true;
      body.off("data", onData);
      body.off("end", onEnd);
      body.off("error", onError);
      body.off("close", onClose);
      if (err === undefined) {
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
        return;
      }
      if (!body.destroyed) body.destroy();
      reject(err);
    };
    const onData = (c: Buffer | string) => {
      const b = typeof c === "string" ? Buffer.from(c, "utf8") : c;
      size += b.length;
      // One byte over the declared length is enough to know the checksum step will refuse it.
      if (size > limit + 1) return done(new ServiceError(S3ObjectErrors.IncompleteBody));
      chunks.push(b);
    };
    const onEnd = () => done();
    const onError = (e: unknown) => {
      const code = (e as NodeJS.ErrnoException).code;
      const aborted = code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || (e as Error).message === "aborted";
      done(aborted ? new ServiceError(S3ObjectErrors.IncompleteBody) : e);
    };
    const onClose = () => done(new ServiceError(S3ObjectErrors.IncompleteBody));
    body.on("data", onData);
    body.once("end", onEnd);
    body.once("error", onError);
    body.once("close", onClose);
  });
}

type StoredBody = { info: BlobInfo; checksum: NonNullable<UploadChecksumStream["result"]>["checksum"]; md5: string; size: number };

/**
 * A small body, already in memory: checked, sealed and stored in one go. The MD5 is computed once
 * (ETag and Content-MD5 both use it).
 */
async function storeSmallBody(
  ctx: RequestContext,
  data: Buffer,
  spec: UploadChecksums,
  opts: { maxSize: number; expectedSize?: number; trailers?: Promise<Record<string, string>> },
  seal?: { dataKey: Buffer; nonce: string },
): Promise<StoredBody> {
  const md5 = createHash("md5").update(data).digest();
  const { checksum, size } = await checkUploadBuffer(spec, opts, data, md5);
  const info = seal
    ? await ctx.storage.blobs.put(sealBuffer(seal.dataKey, seal.nonce, data), { digests: false })
    : await ctx.storage.blobs.put(data);
  return { info, checksum, md5: md5.toString("hex"), size };
}

/** Stream a body through the checksum check into the blob store; nothing is kept on failure. */
async function storeBody(
  ctx: RequestContext,
  body: Readable | Buffer,
  spec: UploadChecksums,
  opts: { maxSize: number; expectedSize?: number; trailers?: Promise<Record<string, string>> },
  seal?: { dataKey: Buffer; nonce: string },
): Promise<StoredBody> {
  if (Buffer.isBuffer(body)) return storeSmallBody(ctx, body, spec, opts, seal);
  if (opts.expectedSize !== undefined && opts.expectedSize <= SMALL_BODY) {
    return storeSmallBody(ctx, await readSmallBody(body, opts.expectedSize), spec, opts, seal);
  }
  // Encrypted bodies get their MD5 from the sealer (it is the ETag): Content-MD5 is compared with
  // that one after the store, instead of hashing every byte twice.
  const md5FromSealer = seal !== undefined && spec.md5 !== undefined;
  const hasher = new UploadChecksumStream(md5FromSealer ? { ...spec, md5: undefined } : spec, opts);
  // The blob store reports the stream's failure through put()'s promise; this listener keeps a
  // failure that lands after the store stopped reading (a late checksum verdict) from surfacing
  // as an uncaught 'error' event, which would take the whole process down.
  hasher.on("error", () => undefined);
  link(body, hasher);
  // Encrypted on the way to the blob store (encryption.ts); the ETag is the plaintext's MD5.
  // Bodies of 1 MiB or more (or of unknown length) have their MD5 computed by a worker thread.
  const offloadMd5 = opts.expectedSize === undefined || opts.expectedSize >= 1024 * 1024;
  const sealer = seal ? link(hasher, new EncryptStream(seal.dataKey, seal.nonce, { offloadMd5 })) : undefined;
  sealer?.on("error", () => undefined);
  let info: BlobInfo;
  try {
    info = await ctx.storage.blobs.put(sealer ?? hasher, sealer ? { digests: false } : undefined);
  } catch (e) {
    if (isServiceError(e)) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || (e as Error).message === "aborted") {
      throw new ServiceError(S3ObjectErrors.IncompleteBody);
    }
    throw e;
  }
  if (!hasher.result || (sealer && sealer.md5Hex === undefined)) {
    objectStore(ctx).deleteBlobs([info.id]);
    throw new ServiceError(S3ObjectErrors.IncompleteBody);
  }
  if (md5FromSealer && sealer!.md5Hex !== spec.md5!.toString("hex")) {
    objectStore(ctx).deleteBlobs([info.id]);
    throw new ServiceError(S3ObjectErrors.BadDigest, undefined, { ExpectedDigest: spec.md5!.toString("hex") });
  }
  return { info, checksum: hasher.result.checksum, md5: sealer ? sealer.md5Hex! : info.md5, size: hasher.result.size };
}

type WriteMode = "unversioned" | "Enabled" | "Suspended";

/** Commit a new version of `key` (its blob already durable); on failure the blob is removed. */
async function commitVersion(
  ctx: RequestContext,
  bucket: BucketRecord,
  key: string,
  rec: ObjectVersion,
  conditions?: { IfMatch?: string | undefined; IfNoneMatch?: string | undefined },
): Promise<{ versionId: string; mode: WriteMode }> {
  const store = objectStore(ctx);
  try {
    return await store.mutate(async (tx) => {
      const t = tablesOf(tx, bucket);
      const [v, cur] = await Promise.all([readVersioning(tx, bucket), t.cur.get(key)]);
      if (conditions && (conditions.IfMatch !== undefined || conditions.IfNoneMatch !== undefined)) {
        checkWriteConditions(conditions, cur, true);
      }
      const mode: WriteMode = v?.status ?? "unversioned";
      rec.sortId = newSortId(cur?.sortId);
      rec.versionId = mode === "Enabled" ? rec.sortId : "null";
      const obsoleteBlobs = await installVersion(t, key, rec, cur, mode);
      return { value: { versionId: rec.versionId, mode }, obsoleteBlobs };
    });
  } catch (e) {
    if (rec.blob) store.deleteBlobs([rec.blob]);
    throw e;
  }
}

/** Find a version inside a transaction (for tagging updates). */
async function findInTx(t: Tables, key: string, versionId: string | undefined): Promise<{ row: string; table: "cur" | "old"; version: ObjectVersion } | undefined> {
  const cur = await t.cur.get(key);
  if (versionId === undefined || cur?.versionId === versionId) return cur ? { row: key, table: "cur", version: cur } : undefined;
  const sortId = versionId === "null" ? await t.nul.get(key) : versionId;
  if (sortId === undefined) return undefined;
  const row = versionRow(key, sortId);
  const old = await t.old.get(row);
  return old && old.versionId === versionId ? { row, table: "old", version: old } : undefined;
}

async function updateTags(
  ctx: RequestContext,
  bucket: BucketRecord,
  key: string,
  versionId: string | undefined,
  tags: [string, string][],
  method: string,
): Promise<ObjectVersion> {
  return objectStore(ctx).mutate(async (tx) => {
    const t = tablesOf(tx, bucket);
    const found = await findInTx(t, key, versionId);
    if (!found) throw notFound(key, versionId);
    if (found.version.deleteMarker) throw deleteMarkerError(key, found.version, versionId !== undefined, method, true);
    const next: ObjectVersion = { ...found.version };
    if (tags.length > 0) next.tags = tags;
    else delete next.tags;
    await (found.table === "cur" ? t.cur : t.old).put(found.row, next);
    return { value: next };
  });
}

function checkEncodingType(e: string | undefined): boolean {
  if (e === undefined) return false;
  if (e !== "url") throw new ServiceError(S3ObjectErrors.InvalidArgument, "Invalid Encoding Method specified in Request", { ArgumentName: "encoding-type", ArgumentValue: e });
  return true;
}

function maxKeysOf(n: number | undefined): number {
  if (n === undefined) return 1000;
  if (n < 0) {
    throw new ServiceError(S3ObjectErrors.InvalidArgument, "Provided max-keys not an integer or within integer range", {
      ArgumentName: "max-keys",
      ArgumentValue: n,
    });
  }
  return Math.min(n, 1000);
}

function listEntry(e: Entry<ObjectVersion>, enc: (s: string) => string, withOwner: boolean) {
  const v = e.value;
  return {
    Key: enc(e.key),
    LastModified: new Date(v.lastModified),
    ETag: v.etag,
    ...(v.checksum ? { ChecksumAlgorithm: [v.checksum.algorithm], ChecksumType: v.checksum.type } : {}),
    Size: v.size,
    StorageClass: v.storageClass ?? "STANDARD",
    ...(withOwner ? { Owner: ownerOf(v.owner) } : {}),
  };
}

/** Headers GET and HEAD share. */
function objectOutput(v: ObjectVersion, withVersion: boolean, checksumMode: string | undefined, whole: boolean) {
  return {
    AcceptRanges: "bytes",
    LastModified: new Date(v.lastModified),
    ETag: v.etag,
    ContentType: v.contentType ?? "binary/octet-stream",
    ...(v.contentEncoding !== undefined ? { ContentEncoding: v.contentEncoding } : {}),
    ...(v.contentDisposition !== undefined ? { ContentDisposition: v.contentDisposition } : {}),
    ...(v.contentLanguage !== undefined ? { ContentLanguage: v.contentLanguage } : {}),
    ...(v.cacheControl !== undefined ? { CacheControl: v.cacheControl } : {}),
    ...(v.expires !== undefined ? { Expires: new Date(v.expires) } : {}),
    ...(v.websiteRedirectLocation !== undefined ? { WebsiteRedirectLocation: v.websiteRedirectLocation } : {}),
    ...(v.metadata ? { Metadata: v.metadata } : {}),
    ...(v.storageClass && v.storageClass !== "STANDARD" ? { StorageClass: v.storageClass } : {}),
    ...sseOutput(v.sse, v.serverSideEncryption),
    ...(withVersion ? { VersionId: v.versionId } : {}),
    ...(checksumMode?.toUpperCase() === "ENABLED" && whole ? checksumFields(v) : {}),
    ...extrasOutput(v),
  };
}

function responseOverrides(
  ctx: RequestContext,
  input: {
    ResponseCacheControl?: string;
    ResponseContentDisposition?: string;
    ResponseContentEncoding?: string;
    ResponseContentLanguage?: string;
    ResponseContentType?: string;
    ResponseExpires?: Date;
  },
) {
  const o: Record<string, unknown> = {};
  if (input.ResponseCacheControl !== undefined) o.CacheControl = input.ResponseCacheControl;
  if (input.ResponseContentDisposition !== undefined) o.ContentDisposition = input.ResponseContentDisposition;
  if (input.ResponseContentEncoding !== undefined) o.ContentEncoding = input.ResponseContentEncoding;
  if (input.ResponseContentLanguage !== undefined) o.ContentLanguage = input.ResponseContentLanguage;
  if (input.ResponseContentType !== undefined) o.ContentType = input.ResponseContentType;
  if (input.ResponseExpires !== undefined) o.Expires = input.ResponseExpires;
  if (Object.keys(o).length > 0 && ctx.principal.type === "anonymous") {
    throw new ServiceError(S3ObjectErrors.InvalidRequest, "Request specific response headers cannot be used for anonymous GET requests.");
  }
  return o;
}

/** Strip aws-chunked (a transfer framing) from a stored Content-Encoding. */
function storedContentEncoding(ce: string | undefined): string | undefined {
  if (ce === undefined) return undefined;
  const rest = ce
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "" && s.toLowerCase() !== "aws-chunked");
  return rest.length > 0 ? rest.join(",") : undefined;
}

function withDefined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

// ---------------------------------------------------------------------------------------------
// Handlers

/**
 * PutObject's work, shared with browser POST uploads (post-upload.ts), whose file part has no
 * length known in advance: with `lengthUnknown` a missing ContentLength is allowed and the body
 * is only held to the 5 GiB limit as it streams.
 */
export async function putObject(
  ctx: RequestContext,
  input: PutObjectRequest,
  opts: { lengthUnknown?: boolean; eventName?: string } = {},
): Promise<PutObjectOutput> {
  const bucket = await bucketFor(ctx, input.Bucket);
  const key = input.Key;
  checkKey(key);
  const chunked = ctx.requestTrailers !== undefined;
  const declared = chunked ? input.DecodedContentLength : input.ContentLength;
  if (declared === undefined && !opts.lengthUnknown) throw new ServiceError(S3ObjectErrors.MissingContentLength);
  if (declared !== undefined && declared > MAX_PUT_BYTES) {
    throw new ServiceError(S3ObjectErrors.EntityTooLarge, undefined, { ProposedSize: declared, MaxSizeAllowed: MAX_PUT_BYTES });
  }
  checkStorageClass(input.StorageClass);
  checkWebsiteRedirect(input.WebsiteRedirectLocation);
  checkSse(input, ctx);
  const metadata = checkMetadata(input.Metadata);
  const tags = parseTaggingHeader(input.Tagging);
  if (input.IfNoneMatch !== undefined && input.IfNoneMatch.trim() !== "*") {
    throw new ServiceError(S3ObjectErrors.NotImplemented, undefined, { Header: "If-None-Match" });
  }
  const spec = uploadChecksums({
    headers: {
      CRC32: input.ChecksumCRC32,
      CRC32C: input.ChecksumCRC32C,
      CRC64NVME: input.ChecksumCRC64NVME,
      SHA1: input.ChecksumSHA1,
      SHA256: input.ChecksumSHA256,
    },
    sdkAlgorithm: input.ChecksumAlgorithm,
    trailer: input.Trailer,
    contentMd5: input.ContentMD5,
    chunked,
  });
  const conditional = input.IfMatch !== undefined || input.IfNoneMatch !== undefined;
  if (conditional) {
    // Fail fast, before the body is read; checked again at commit.
    checkWriteConditions(input, await objectStore(ctx).tables(bucket).cur.get(key), false);
  }

  // Object Lock, ACL and replication status (object-extras.ts), decided before the body is read.
  const extras = await versionExtras(ctx, bucket, key, input, { tags, hasChecksum: spec.expected !== undefined || spec.trailer !== undefined || input.ContentMD5 !== undefined || input.ChecksumAlgorithm !== undefined });
  const sse = await sseForWrite(ctx, bucket, input);
  const { info, checksum, md5, size } = await storeBody(
    ctx,
    toReadable(input.Body),
    spec,
    {
      maxSize: MAX_PUT_BYTES,
      ...(declared !== undefined ? { expectedSize: declared } : {}),
      ...(ctx.requestTrailers ? { trailers: ctx.requestTrailers } : {}),
    },
    sse,
  );
  const rec: ObjectVersion = withDefined({
    versionId: "",
    sortId: "",
    lastModified: ctx.clock.now().toISOString(),
    owner: ctx.principal.account ?? bucket.account,
    blob: info.id,
    size,
    etag: `"${md5}"`,
    sse: sse.rec,
    nonce: sse.nonce,
    contentType: input.ContentType ?? "binary/octet-stream",
    contentEncoding: storedContentEncoding(input.ContentEncoding),
    contentDisposition: input.ContentDisposition,
    contentLanguage: input.ContentLanguage,
    cacheControl: input.CacheControl,
    expires: input.Expires?.toISOString(),
    websiteRedirectLocation: input.WebsiteRedirectLocation,
    metadata,
    storageClass: input.StorageClass && input.StorageClass !== "STANDARD" ? input.StorageClass : undefined,
    tags,
    checksum,
    serverSideEncryption: sse.rec.alg,
  });
  Object.assign(rec, extras);
  const { versionId, mode } = await commitVersion(ctx, bucket, key, rec, conditional ? input : undefined);
  await extrasCommitted(ctx, bucket, key, versionId, { pending: !!extras.replication });
  // Event notification (events.ts): delivered after the response, never fails the request.
  emitS3Event(ctx, bucket, {
    eventName: opts.eventName ?? "ObjectCreated:Put",
    key,
    size: rec.size!,
    etag: rec.etag,
    ...(mode !== "unversioned" ? { versionId } : {}),
  });
  return {
    ETag: rec.etag,
    [checksumMember(checksum.algorithm)]: checksum.value,
    ChecksumType: checksum.type,
    ...sseOutput(rec.sse),
    ...(mode !== "unversioned" ? { VersionId: versionId } : {}),
  };
}

export const objectHandlers: Partial<Ops> = {
  PutObject: (ctx, input) => putObject(ctx, input),

  async GetObject(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    const key = input.Key;
    checkKey(key);
    checkVersionId(input.VersionId);
    if (input.Range !== undefined && input.PartNumber !== undefined) {
      throw new ServiceError(S3ObjectErrors.InvalidRequest, "Cannot specify both Range header and partNumber query parameter");
    }
    const overrides = responseOverrides(ctx, input);
    const customer = customerKeyOf(input.SSECustomerAlgorithm, input.SSECustomerKey, input.SSECustomerKeyMD5);
    const withVersion = versioned(await readVersioning(ctx.storage.metadata, bucket));
    let range: { start: number; end: number } | undefined;
    const found = await readableVersion(ctx, bucket, key, input.VersionId, (v) => {
      if (v.deleteMarker) throw deleteMarkerError(key, v, input.VersionId !== undefined, "GET", withVersion);
      if (isArchivedNow(v, ctx.clock.now())) {
        throw new ServiceError(S3ObjectErrors.InvalidObjectState, undefined, { StorageClass: v.storageClass });
      }
      checkReadKey(ctx, v.sse, customer);
      checkReadConditions(ctx, input, v, withVersion);
      const size = v.size!;
      if (input.PartNumber !== undefined) {
        if (input.PartNumber !== 1) {
          throw new ServiceError({ code: "InvalidPartNumber", status: 416 }, "The requested partnumber is not satisfiable", {
            PartNumberRequested: input.PartNumber,
            ActualPartCount: 1,
          });
        }
        range = size > 0 ? { start: 0, end: size - 1 } : undefined;
        return range;
      }
      const r = parseRange(input.Range, size);
      if (r === "unsatisfiable") throw rangeError(input.Range!, size);
      range = r;
      return r;
    }, customer);
    const v = found.version;
    const size = v.size!;
    return {
      ...objectOutput(v, withVersion, input.ChecksumMode, range === undefined),
      ...restoreOutput(v, ctx.clock.now()),
      ...(v.tags?.length ? { TagCount: v.tags.length } : {}),
      ...(input.PartNumber !== undefined ? { PartsCount: 1 } : {}),
      ...overrides,
      // A body in memory (small objects) gets its Content-Length from the gateway, which sets it
      // for every non-stream body and cannot tell it was also set through this member.
      ...(Buffer.isBuffer(found.body) ? {} : { ContentLength: range ? range.end - range.start + 1 : size }),
      ...(range ? { ContentRange: `bytes ${range.start}-${range.end}/${size}`, StatusCode: 206 } : {}),
      Body: found.body!,
    };
  },

  async HeadObject(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    const key = input.Key;
    checkKey(key);
    checkVersionId(input.VersionId);
    const overrides = responseOverrides(ctx, input);
    const withVersion = versioned(await readVersioning(ctx.storage.metadata, bucket));
    const customer = customerKeyOf(input.SSECustomerAlgorithm, input.SSECustomerKey, input.SSECustomerKeyMD5);
    const found = await objectStore(ctx).find(bucket, key, input.VersionId);
    if (!found) throw notFound(key, input.VersionId);
    const v = found.version;
    if (v.deleteMarker) throw deleteMarkerError(key, v, input.VersionId !== undefined, "HEAD", withVersion);
    checkReadKey(ctx, v.sse, customer);
    checkReadConditions(ctx, input, v, withVersion);
    const size = v.size!;
    let range: { start: number; end: number } | undefined;
    if (input.PartNumber !== undefined) {
      if (input.PartNumber !== 1) {
        throw new ServiceError({ code: "InvalidPartNumber", status: 416 }, "The requested partnumber is not satisfiable");
      }
      if (size > 0) range = { start: 0, end: size - 1 };
    } else {
      const r = parseRange(input.Range, size);
      if (r === "unsatisfiable") throw rangeError(input.Range!, size);
      range = r;
    }
    return {
      ...objectOutput(v, withVersion, input.ChecksumMode, range === undefined),
      ...restoreOutput(v, ctx.clock.now()),
      ...(input.PartNumber !== undefined ? { PartsCount: 1 } : {}),
      ...overrides,
      ContentLength: range ? range.end - range.start + 1 : size,
      ...(range ? { ContentRange: `bytes ${range.start}-${range.end}/${size}`, StatusCode: 206 } : {}),
    };
  },

  async DeleteObject(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    const key = input.Key;
    checkKey(key);
    checkVersionId(input.VersionId);
    const r = await deleteOne(ctx, bucket, key, input.VersionId, input.MFA, input.BypassGovernanceRetention === true);
    emitDeleteEvent(ctx, bucket, key, input.VersionId, r); // event notification (events.ts)
    return withDefined({ DeleteMarker: r.deleteMarker ? true : undefined, VersionId: r.versionId });
  },

  async DeleteObjects(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    const objects = input.Delete.Objects ?? [];
    if (objects.length === 0 || objects.length > MAX_DELETE_OBJECTS) throw new ServiceError(S3ObjectErrors.MalformedXML);
    const results = await Promise.all(
      objects.map(async (o) => {
        try {
          checkKey(o.Key);
          checkVersionId(o.VersionId);
          const r = await deleteOne(ctx, bucket, o.Key, o.VersionId, input.MFA, input.BypassGovernanceRetention === true);
          emitDeleteEvent(ctx, bucket, o.Key, o.VersionId, r); // event notification (events.ts)
          return { o, r };
        } catch (e) {
          if (!isServiceError(e)) throw e;
          return { o, error: e };
        }
      }),
    );
    const Deleted = [];
    const Errors = [];
    for (const res of results) {
      if ("error" in res && res.error) {
        Errors.push(withDefined({ Key: res.o.Key, VersionId: res.o.VersionId, Code: res.error.code, Message: res.error.message }));
        continue;
      }
      if (input.Delete.Quiet) continue;
      const r = "r" in res ? res.r! : undefined;
      Deleted.push(
        withDefined({
          Key: res.o.Key,
          VersionId: res.o.VersionId,
          DeleteMarker: r?.deleteMarker ? true : undefined,
          DeleteMarkerVersionId: r?.deleteMarker ? r.versionId : undefined,
        }),
      );
    }
    return { ...(Deleted.length ? { Deleted } : {}), ...(Errors.length ? { Errors } : {}) };
  },

  async CopyObject(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    const key = input.Key;
    checkKey(key);
    const src = parseCopySource(input.CopySource);
    checkVersionId(src.versionId);
    const srcBucket = src.bucket === bucket.name ? bucket : await bucketFor(ctx, src.bucket);
    const directive = input.MetadataDirective ?? "COPY";
    if (directive !== "COPY" && directive !== "REPLACE") {
      throw new ServiceError(S3ObjectErrors.InvalidArgument, "Unknown metadata directive.", { ArgumentName: "x-amz-metadata-directive", ArgumentValue: directive });
    }
    const taggingDirective = input.TaggingDirective ?? "COPY";
    if (taggingDirective !== "COPY" && taggingDirective !== "REPLACE") {
      throw new ServiceError(S3ObjectErrors.InvalidArgument, "Unknown tagging directive.", { ArgumentName: "x-amz-tagging-directive", ArgumentValue: taggingDirective });
    }
    checkStorageClass(input.StorageClass);
    checkWebsiteRedirect(input.WebsiteRedirectLocation);
    checkSse(input, ctx);
    const newMetadata = directive === "REPLACE" ? checkMetadata(input.Metadata) : undefined;
    const newTags = taggingDirective === "REPLACE" ? (parseTaggingHeader(input.Tagging) ?? []) : undefined;
    let algorithm: ChecksumAlgorithm | undefined;
    if (input.ChecksumAlgorithm !== undefined) {
      const a = input.ChecksumAlgorithm.toUpperCase();
      if (!isChecksumAlgorithm(a)) throw new ServiceError(S3ObjectErrors.InvalidRequest, "Checksum algorithm provided is unsupported.");
      algorithm = a;
    }
    const sameObject = srcBucket.name === bucket.name && src.key === key;
    if (
      sameObject &&
      directive !== "REPLACE" &&
      input.StorageClass === undefined &&
      input.WebsiteRedirectLocation === undefined &&
      input.ServerSideEncryption === undefined &&
      input.SSECustomerAlgorithm === undefined &&
      algorithm === undefined
    ) {
      throw new ServiceError(
        S3ObjectErrors.InvalidRequest,
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const srcVersioned = versioned(await readVersioning(ctx.storage.metadata, srcBucket));
    const srcCustomer = customerKeyOf(input.CopySourceSSECustomerAlgorithm, input.CopySourceSSECustomerKey, input.CopySourceSSECustomerKeyMD5);
    const sse = await sseForWrite(ctx, bucket, input);
    const found = await readableVersion(ctx, srcBucket, src.key, src.versionId, (v) => {
      checkCopySource(v, src, input, ctx.clock.now());
      if (!v.deleteMarker) checkReadKey(ctx, v.sse, srcCustomer);
      if (v.size! > MAX_COPY_BYTES) {
        throw new ServiceError(
          S3ObjectErrors.InvalidRequest,
          `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_BYTES}`,
        );
      }
      return undefined;
    }, srcCustomer);
    const s = found.version;
    const extras = await versionExtras(ctx, bucket, key, input, { tags: newTags ?? s.tags }).catch((e: unknown) => {
      if (found.body instanceof Readable) found.body.destroy();
      throw e;
    });
    const spec: UploadChecksums = { algorithm: algorithm ?? s.checksum?.algorithm ?? "CRC64NVME", requested: true };
    const { info, checksum, md5, size } = await storeBody(ctx, found.body!, spec, { maxSize: MAX_COPY_BYTES, expectedSize: s.size! }, sse);
    const fromRequest = directive === "REPLACE";
    const rec: ObjectVersion = withDefined({
      versionId: "",
      sortId: "",
      lastModified: ctx.clock.now().toISOString(),
      owner: ctx.principal.account ?? bucket.account,
      blob: info.id,
      size,
      etag: `"${md5}"`,
      sse: sse.rec,
      nonce: sse.nonce,
      contentType: fromRequest ? (input.ContentType ?? "binary/octet-stream") : s.contentType,
      contentEncoding: fromRequest ? input.ContentEncoding : s.contentEncoding,
      contentDisposition: fromRequest ? input.ContentDisposition : s.contentDisposition,
      contentLanguage: fromRequest ? input.ContentLanguage : s.contentLanguage,
      cacheControl: fromRequest ? input.CacheControl : s.cacheControl,
      expires: fromRequest ? input.Expires?.toISOString() : s.expires,
      websiteRedirectLocation: input.WebsiteRedirectLocation ?? (fromRequest ? undefined : s.websiteRedirectLocation),
      metadata: fromRequest ? newMetadata : s.metadata,
      storageClass: input.StorageClass && input.StorageClass !== "STANDARD" ? input.StorageClass : undefined,
      tags: newTags !== undefined ? (newTags.length ? newTags : undefined) : s.tags,
      checksum,
      serverSideEncryption: sse.rec.alg,
    });
    Object.assign(rec, extras);
    const { versionId, mode } = await commitVersion(ctx, bucket, key, rec);
    await extrasCommitted(ctx, bucket, key, versionId, { pending: !!extras.replication });
    // Event notification (events.ts): delivered after the response, never fails the request.
    emitS3Event(ctx, bucket, {
      eventName: "ObjectCreated:Copy",
      key,
      size: rec.size!,
      etag: rec.etag,
      ...(mode !== "unversioned" ? { versionId } : {}),
    });
    return {
      CopyObjectResult: {
        ETag: rec.etag,
        LastModified: new Date(rec.lastModified),
        [checksumMember(checksum.algorithm)]: checksum.value,
        ChecksumType: checksum.type,
      },
      ...(srcVersioned ? { CopySourceVersionId: s.versionId } : {}),
      ...(mode !== "unversioned" ? { VersionId: versionId } : {}),
      ...sseOutput(rec.sse),
    };
  },

  async GetObjectTagging(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    checkKey(input.Key);
    checkVersionId(input.VersionId);
    const withVersion = versioned(await readVersioning(ctx.storage.metadata, bucket));
    const found = await objectStore(ctx).find(bucket, input.Key, input.VersionId);
    if (!found) throw notFound(input.Key, input.VersionId);
    const v = found.version;
    if (v.deleteMarker) throw deleteMarkerError(input.Key, v, input.VersionId !== undefined, "GET", withVersion);
    return {
      TagSet: (v.tags ?? []).map(([Key, Value]) => ({ Key, Value })),
      ...(withVersion ? { VersionId: v.versionId } : {}),
    };
  },

  async PutObjectTagging(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    checkKey(input.Key);
    checkVersionId(input.VersionId);
    const tags = validateTags((input.Tagging.TagSet ?? []).map((t) => [t.Key, t.Value ?? ""] as [string, string]));
    const withVersion = versioned(await readVersioning(ctx.storage.metadata, bucket));
    const v = await updateTags(ctx, bucket, input.Key, input.VersionId, tags, "PUT");
    return withVersion ? { VersionId: v.versionId } : {};
  },

  async DeleteObjectTagging(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    checkKey(input.Key);
    checkVersionId(input.VersionId);
    const withVersion = versioned(await readVersioning(ctx.storage.metadata, bucket));
    const v = await updateTags(ctx, bucket, input.Key, input.VersionId, [], "DELETE");
    return withVersion ? { VersionId: v.versionId } : {};
  },

  async GetObjectAttributes(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    checkKey(input.Key);
    checkVersionId(input.VersionId);
    const wanted = new Set<string>();
    for (const a of input.ObjectAttributes ?? []) {
      if (!["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"].includes(a)) {
        throw new ServiceError(S3ObjectErrors.InvalidArgument, "Invalid attribute name specified.", { ArgumentName: "x-amz-object-attributes", ArgumentValue: a });
      }
      wanted.add(a);
    }
    if (wanted.size === 0) {
      throw new ServiceError(S3ObjectErrors.InvalidArgument, "Missing required header for this request: x-amz-object-attributes", {
        ArgumentName: "x-amz-object-attributes",
      });
    }
    const withVersion = versioned(await readVersioning(ctx.storage.metadata, bucket));
    const found = await objectStore(ctx).find(bucket, input.Key, input.VersionId);
    if (!found) throw notFound(input.Key, input.VersionId);
    const v = found.version;
    if (v.deleteMarker) throw deleteMarkerError(input.Key, v, input.VersionId !== undefined, "GET", withVersion);
    checkReadKey(ctx, v.sse, customerKeyOf(input.SSECustomerAlgorithm, input.SSECustomerKey, input.SSECustomerKeyMD5));
    return {
      LastModified: new Date(v.lastModified),
      ...(withVersion ? { VersionId: v.versionId } : {}),
      ...(wanted.has("ETag") ? { ETag: v.etag!.replace(/"/g, "") } : {}),
      ...(wanted.has("Checksum") && v.checksum ? { Checksum: checksumFields(v) } : {}),
      ...(wanted.has("StorageClass") ? { StorageClass: v.storageClass ?? "STANDARD" } : {}),
      ...(wanted.has("ObjectSize") ? { ObjectSize: v.size } : {}),
    };
  },

  async ListObjectsV2(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    const encode = checkEncodingType(input.EncodingType);
    const enc = encode ? s3UrlEncode : (s: string) => s;
    const maxKeys = maxKeysOf(input.MaxKeys);
    const prefix = input.Prefix ?? "";
    const delimiter = input.Delimiter || undefined;
    const from = input.ContinuationToken !== undefined ? decodeContinuation(input.ContinuationToken) : undefined;
    const page = await listCurrent(objectStore(ctx).tables(bucket), {
      prefix,
      delimiter,
      ...(from !== undefined ? { from } : input.StartAfter ? { after: input.StartAfter } : {}),
      maxKeys,
    });
    return {
      IsTruncated: page.truncated,
      Contents: page.contents.map((e) => listEntry(e, enc, input.FetchOwner === true)),
      Name: bucket.name,
      Prefix: enc(prefix),
      ...(delimiter !== undefined ? { Delimiter: enc(delimiter) } : {}),
      MaxKeys: maxKeys,
      CommonPrefixes: page.prefixes.map((p) => ({ Prefix: enc(p) })),
      ...(encode ? { EncodingType: "url" } : {}),
      KeyCount: page.contents.length + page.prefixes.length,
      ...(input.ContinuationToken !== undefined ? { ContinuationToken: input.ContinuationToken } : {}),
      ...(page.truncated && page.nextFrom !== undefined ? { NextContinuationToken: encodeContinuation(page.nextFrom) } : {}),
      ...(input.StartAfter !== undefined ? { StartAfter: enc(input.StartAfter) } : {}),
    };
  },

  async ListObjects(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    const encode = checkEncodingType(input.EncodingType);
    const enc = encode ? s3UrlEncode : (s: string) => s;
    const maxKeys = maxKeysOf(input.MaxKeys);
    const prefix = input.Prefix ?? "";
    const delimiter = input.Delimiter || undefined;
    const page = await listCurrent(objectStore(ctx).tables(bucket), {
      prefix,
      delimiter,
      ...(input.Marker ? { after: input.Marker } : {}),
      maxKeys,
    });
    return {
      IsTruncated: page.truncated,
      Marker: enc(input.Marker ?? ""),
      ...(page.truncated && delimiter !== undefined && page.last !== undefined ? { NextMarker: enc(page.last) } : {}),
      Contents: page.contents.map((e) => listEntry(e, enc, true)),
      Name: bucket.name,
      Prefix: enc(prefix),
      ...(delimiter !== undefined ? { Delimiter: enc(delimiter) } : {}),
      MaxKeys: maxKeys,
      CommonPrefixes: page.prefixes.map((p) => ({ Prefix: enc(p) })),
      ...(encode ? { EncodingType: "url" } : {}),
    };
  },

  async ListObjectVersions(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    const encode = checkEncodingType(input.EncodingType);
    const enc = encode ? s3UrlEncode : (s: string) => s;
    const maxKeys = maxKeysOf(input.MaxKeys);
    const prefix = input.Prefix ?? "";
    const delimiter = input.Delimiter || undefined;
    const keyMarker = input.KeyMarker || undefined;
    const versionIdMarker = input.VersionIdMarker || undefined;
    if (versionIdMarker !== undefined) {
      if (keyMarker === undefined) {
        throw new ServiceError(S3ObjectErrors.InvalidArgument, "A version-id marker cannot be specified without a key marker.", {
          ArgumentName: "version-id-marker",
          ArgumentValue: versionIdMarker,
        });
      }
      if (!isWellFormedVersionId(versionIdMarker)) {
        throw new ServiceError(S3ObjectErrors.InvalidArgument, "Invalid version id specified", {
          ArgumentName: "version-id-marker",
          ArgumentValue: versionIdMarker,
        });
      }
    }
    const page = await listVersions(objectStore(ctx).tables(bucket), { prefix, delimiter, keyMarker, versionIdMarker, maxKeys });
    const Versions = [];
    const DeleteMarkers = [];
    for (const item of page.items) {
      const v = item.version;
      if (v.deleteMarker) {
        DeleteMarkers.push({ Owner: ownerOf(v.owner), Key: enc(item.key), VersionId: v.versionId, IsLatest: item.latest, LastModified: new Date(v.lastModified) });
      } else {
        Versions.push({
          ETag: v.etag,
          ...(v.checksum ? { ChecksumAlgorithm: [v.checksum.algorithm], ChecksumType: v.checksum.type } : {}),
          Size: v.size,
          StorageClass: v.storageClass ?? "STANDARD",
          Key: enc(item.key),
          VersionId: v.versionId,
          IsLatest: item.latest,
          LastModified: new Date(v.lastModified),
          Owner: ownerOf(v.owner),
        });
      }
    }
    return {
      IsTruncated: page.truncated,
      KeyMarker: enc(keyMarker ?? ""),
      VersionIdMarker: versionIdMarker ?? "",
      ...(page.nextKeyMarker !== undefined ? { NextKeyMarker: enc(page.nextKeyMarker) } : {}),
      ...(page.nextVersionIdMarker !== undefined ? { NextVersionIdMarker: page.nextVersionIdMarker } : {}),
      Versions,
      DeleteMarkers,
      Name: bucket.name,
      Prefix: enc(prefix),
      ...(delimiter !== undefined ? { Delimiter: enc(delimiter) } : {}),
      MaxKeys: maxKeys,
      CommonPrefixes: page.prefixes.map((p) => ({ Prefix: enc(p) })),
      ...(encode ? { EncodingType: "url" } : {}),
    };
  },

  async PutBucketVersioning(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    const cfg = input.VersioningConfiguration ?? {};
    if (cfg.Status !== undefined && cfg.Status !== "Enabled" && cfg.Status !== "Suspended") {
      throw new ServiceError(S3ObjectErrors.MalformedXML);
    }
    if (cfg.MFADelete !== undefined && cfg.MFADelete !== "Enabled" && cfg.MFADelete !== "Disabled") {
      throw new ServiceError(S3ObjectErrors.MalformedXML);
    }
    await checkVersioningChange(ctx, bucket, cfg.Status); // Object Lock keeps versioning on
    // The versioning record is cached (bucket-cache.ts): forgotten once this has committed.
    await ctx.storage.metadata.transaction(async (tx) => {
      const current = await readVersioning(tx, bucket);
      const mfaChange = cfg.MFADelete !== undefined && cfg.MFADelete !== (current?.mfaDelete ?? "Disabled");
      if (mfaChange && !input.MFA) {
        throw new ServiceError(S3ObjectErrors.AccessDenied, "Mfa Authentication must be used for this request");
      }
      const status = (cfg.Status as VersioningStatus | undefined) ?? current?.status;
      if (status === undefined) return; // never enabled, nothing to record
      const mfaDelete = (cfg.MFADelete as "Enabled" | "Disabled" | undefined) ?? current?.mfaDelete;
      await writeVersioning(tx, bucket, { status, ...(mfaDelete ? { mfaDelete } : {}), bucketCreated: bucket.created });
    }).finally(() => invalidateBucket(bucket.name));
  },

  async GetBucketVersioning(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    const rec = await readVersioning(ctx.storage.metadata, bucket);
    if (!rec) return {};
    return { Status: rec.status, ...(rec.mfaDelete ? { MFADelete: rec.mfaDelete } : {}) };
  },
};

/**
 * The event notification of a DeleteObject / DeleteObjects entry (events.ts): a delete marker
 * made is ObjectRemoved:DeleteMarkerCreated, anything else (a version removed, an unversioned
 * object deleted) ObjectRemoved:Delete.
 */
function emitDeleteEvent(
  ctx: RequestContext,
  bucket: BucketRecord,
  key: string,
  requestedVersion: string | undefined,
  r: { deleteMarker?: boolean; versionId?: string },
): void {
  const markerMade = requestedVersion === undefined && r.deleteMarker;
  // Delete marker replication (replication.ts).
  if (markerMade && r.versionId !== undefined) void extrasCommitted(ctx, bucket, key, r.versionId, { deleteMarker: true });
  emitS3Event(ctx, bucket, {
    eventName: markerMade ? "ObjectRemoved:DeleteMarkerCreated" : "ObjectRemoved:Delete",
    key,
    ...(r.versionId !== undefined ? { versionId: r.versionId } : {}),
  });
}

/** DeleteObject's logic, shared with DeleteObjects. */
async function deleteOne(
  ctx: RequestContext,
  bucket: BucketRecord,
  key: string,
  versionId: string | undefined,
  mfa: string | undefined,
  bypassGovernance = false,
): Promise<{ deleteMarker?: boolean; versionId?: string }> {
  const store = objectStore(ctx);
  if (versionId !== undefined) {
    const v = await readVersioning(ctx.storage.metadata, bucket);
    if (v?.mfaDelete === "Enabled" && !mfa) {
      throw new ServiceError(S3ObjectErrors.AccessDenied, "Mfa Authentication must be used for this request");
    }
    return store.mutate(async (tx) => {
      await checkVersionDeletable(tx, bucket, key, versionId, ctx.clock.now(), bypassGovernance); // Object Lock
      const removed = await removeVersion(tablesOf(tx, bucket), key, versionId);
      return {
        value: { versionId, ...(removed?.deleteMarker ? { deleteMarker: true } : {}) },
        ...(removed?.blob ? { obsoleteBlobs: [removed.blob] } : {}),
      };
    });
  }
  return store.mutate<{ deleteMarker?: boolean; versionId?: string }>(async (tx) => {
    const t = tablesOf(tx, bucket);
    const [v, cur] = await Promise.all([readVersioning(tx, bucket), t.cur.get(key)]);
    const mode: WriteMode = v?.status ?? "unversioned";
    if (mode === "unversioned") {
      if (!cur) return { value: {} };
      await t.cur.delete(key);
      return { value: {}, ...(cur.blob ? { obsoleteBlobs: [cur.blob] } : {}) };
    }
    const sortId = newSortId(cur?.sortId);
    const marker: ObjectVersion = {
      versionId: mode === "Enabled" ? sortId : "null",
      sortId,
      deleteMarker: true,
      lastModified: ctx.clock.now().toISOString(),
      owner: ctx.principal.account ?? bucket.account,
    };
    const obsoleteBlobs = await installVersion(t, key, marker, cur, mode);
    return { value: { deleteMarker: true, versionId: marker.versionId }, obsoleteBlobs };
  });
}

/** x-amz-copy-source: `bucket/key` or `/bucket/key`, URL-encoded, optionally `?versionId=`. */
export function parseCopySource(raw: string): { bucket: string; key: string; versionId?: string } {
  let s = raw;
  let versionId: string | undefined;
  const q = s.indexOf("?");
  if (q >= 0) {
    const params = new URLSearchParams(s.slice(q + 1));
    versionId = params.get("versionId") ?? undefined;
    s = s.slice(0, q);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(s);
  } catch {
    decoded = s;
  }
  if (decoded.startsWith("/")) decoded = decoded.slice(1);
  const slash = decoded.indexOf("/");
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new ServiceError(S3ObjectErrors.InvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey", {
      ArgumentName: "x-amz-copy-source",
      ArgumentValue: raw,
    });
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1), ...(versionId !== undefined ? { versionId } : {}) };
}
