/**
 * S3 multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy, ListParts,
 * ListMultipartUploads, CompleteMultipartUpload, AbortMultipartUpload; and the parts of a
 * completed upload as GetObject / HeadObject (partNumber) and GetObjectAttributes (ObjectParts)
 * see them. State layout: multipart-store.ts.
 *
 * Completion copies the parts, in order, into one new blob (streamed, never buffered), commits the
 * object like PutObject does (a new version on a versioned bucket), then deletes the part blobs.
 * Why one blob rather than a list of part blobs read in turn on GET:
 * - every read path (ranges, CopyObject, the SHA-256 check of whole reads, lifecycle, deletes of
 *   obsolete blobs) already works on one immutable blob per version, and stays that simple;
 * - the full-object CRC (FULL_OBJECT checksums, and S3's default CRC64NVME) is computed over the
 *   bytes as they are copied, instead of by combining per-part CRCs;
 * - GETs stay one file open and one sequential read, whatever the part count (up to 10,000).
 * The cost is one sequential copy at completion, paid once: the parts are re-read (each checked
 * against its SHA-256) and the new blob is hashed (MD5, SHA-256, the full-object CRC) as it is
 * written, about 175 MB/s on one core (1.5 s for 256 MiB), so tens of seconds for a 5 GiB object.
 * Storing the part list instead would make completion instant, at the price of multi-blob reads in
 * every read path and of combining part CRCs for the full-object checksum.
 *
 * A retried CompleteMultipartUpload (an SDK retries when its connection drops during a long
 * completion) gets the first completion's answer again for an hour after it (`completed-uploads`,
 * multipart-store.ts); a retry that arrives while the first still copies waits for it rather than
 * copying the parts again.
 *
 * ## Gaps
 * - A retried completion is answered from the first one's record without comparing part lists;
 *   after an hour the upload id gets NoSuchUpload (how long S3 honours retries is not documented).
 * - A completion still copying after 20 s (NIMBUS_S3_KEEPALIVE_AFTER_MS) answers 200 at once and
 *   sends a space every 10 s until its document (or error document) is ready, as S3 does
 *   (ServiceDefinition.keepAlive); the output's header-bound members (x-amz-version-id, the SSE
 *   headers) are then missing from that answer, since the headers went out before they were known.
 * - Part checksums are not required in CompleteMultipartUpload when the upload declared an
 *   algorithm (S3 requires them for COMPOSITE uploads); when sent, they are compared.
 * - A COMPOSITE checksum sent in CompleteMultipartUpload's headers is not compared.
 * - GetObject/HeadObject with partNumber resolve the part's range, then read the current version:
 *   a concurrent overwrite between the two can serve a range of the newer object.
 * - SSE-C uploads: the upload's data key is also kept wrapped by the master key until the upload
 *   completes or is aborted (completion decrypts and re-seals the parts without the customer key,
 *   which CompleteMultipartUpload does not require); the parts themselves need the customer key.
 * - UploadPartCopy is authorized as s3:PutObject on the destination only (the source's
 *   s3:GetObject is not evaluated), as CopyObject is.
 * - CompleteMultipartUpload's If-Match (conditional overwrite) is not in the model, so not supported.
 *
 * ## By design
 * - Uploads in progress do not keep a bucket from being deleted; they are deleted with it, parts
 *   and all (provider.ts), as in S3. Lifecycle AbortIncompleteMultipartUpload aborts old ones
 *   (lifecycle-runner.ts).
 * - Upload ids begin with the creation time, so a key's uploads list oldest first.
 * - Uploads without a checksum algorithm get S3's default: CRC64NVME, FULL_OBJECT.
 */
import { extrasCommitted, versionExtras } from "./object-extras.js";
import { checkCopySource } from "./copy-source.js";
import { getDefaultEncryption } from "./bucket-config-store.js";
import {
  DecryptStream,
  EncryptStream,
  checkReadKey,
  checkSseRequest,
  customerKeyOf,
  newNoncePrefix,
  newSse,
  sseOutput,
  unwrapForUpload,
  wrapForUpload,
} from "./encryption.js";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { S3Operations } from "../../generated/s3.js";
import type { AuthorizationFacts, ConditionValue, RequestContext } from "../../core/service.js";
import { ServiceError, isServiceError } from "../../core/errors.js";
import type { BlobInfo } from "../../storage/types.js";
import { S3ObjectErrors } from "./errors-objects.js";
import type { BucketRecord } from "./store.js";
import { lookupBucket } from "./bucket-lookup.js";
import {
  UploadChecksumStream,
  VerifyingStream,
  checksumMember,
  createChecksum,
  decodeChecksum,
  isChecksumAlgorithm,
  uploadChecksums,
  type ChecksumAlgorithm,
  type StoredChecksum,
  type UploadChecksums,
} from "./checksums.js";
import { ObjectStore, escapeKey, installVersion, tablesOf, type ObjectVersion } from "./objects-store.js";
import {
  afterKeyUploads,
  isWellFormedUploadId,
  newUploadId,
  partNumberOfRow,
  partPrefix,
  partRow,
  uploadRow,
  uploadTables,
  type PartRecord,
  type UploadRecord,
  type UploadTables,
} from "./multipart-store.js";
import { STORAGE_CLASSES, bucketFor, objectHandlers, openBlob as openVersion, parseCopySource, parseTaggingHeader } from "./provider-objects.js";
import { s3UrlEncode } from "./listing.js";
import { newSortId, readVersioning } from "./versioning.js";
import { emitS3Event } from "./events.js";

type Ops = S3Operations;

const MAX_KEY_BYTES = 1024;
const MAX_METADATA_BYTES = 2048;
const MAX_PART_NUMBER = 10_000;
const MAX_PART_BYTES = 5 * 1024 ** 3;
const MIN_PART_BYTES = 5 * 1024 ** 2;
const MAX_OBJECT_BYTES = 5 * 1024 ** 4;
const MAX_LIST = 1000;

// ---------------------------------------------------------------------------------------------
// Helpers

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

const ownerOf = (account: string) => ({ ID: account.padStart(64, "0"), DisplayName: `account-${account}` });

function checkKey(key: string): void {
  const size = Buffer.byteLength(key, "utf8");
  if (size > MAX_KEY_BYTES) throw new ServiceError(S3ObjectErrors.KeyTooLongError, undefined, { Size: size, MaxSizeAllowed: MAX_KEY_BYTES });
}

function checkPartNumber(n: number | undefined): number {
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > MAX_PART_NUMBER) {
    throw new ServiceError(S3ObjectErrors.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive", {
      ArgumentName: "partNumber",
      ArgumentValue: String(n),
    });
  }
  return n;
}

function noSuchUpload(uploadId: string): ServiceError {
  return new ServiceError(
    { code: "NoSuchUpload", status: 404 },
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    { UploadId: uploadId },
  );
}

function invalidPart(partNumber: number, etag?: string): ServiceError {
  return new ServiceError(
    { code: "InvalidPart", status: 400 },
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    { PartNumber: partNumber, ...(etag !== undefined ? { ETag: etag } : {}) },
  );
}

/** How long a completed upload's answer is kept for retried completions. */
export const COMPLETED_RETRY_MS = 60 * 60 * 1000;

function objectLocation(ctx: RequestContext, bucket: BucketRecord, key: string): string {
  return `${ctx.endpoint}/${bucket.name}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

/** CompleteMultipartUpload's output, Location aside (it depends on the endpoint asked). */
function completeOutput(bucket: BucketRecord, key: string, rec: ObjectVersion, checksum: StoredChecksum, up: UploadRecord, mode: string): Record<string, string> {
  return withDefined({
    Bucket: bucket.name,
    Key: key,
    ETag: rec.etag!,
    ...checksumOut(checksum),
    ChecksumType: checksum.type,
    ...(rec.sse ? sseOutput(rec.sse) : { ServerSideEncryption: rec.serverSideEncryption, SSEKMSKeyId: up.sseKmsKeyId }),
    VersionId: mode !== "unversioned" ? rec.versionId : undefined,
  }) as Record<string, string>;
}

/** The answer a completed upload of `key` gave, while a retry may still get it; else undefined. */
async function completedAnswer(ctx: RequestContext, bucket: BucketRecord, key: string, uploadId: string): Promise<Record<string, string> | undefined> {
  if (!isWellFormedUploadId(uploadId)) return undefined;
  const done = await uploadTables(ctx.storage.metadata, bucket).completed.get(uploadId);
  if (!done || done.key !== key) return undefined;
  if (ctx.clock.now().getTime() - Date.parse(done.completedAt) > COMPLETED_RETRY_MS) return undefined;
  return { Location: objectLocation(ctx, bucket, key), ...done.output };
}

/** Drops a few expired answers from the front of the table (upload ids start with their creation time). */
async function pruneCompleted(ut: UploadTables, now: Date): Promise<void> {
  for (const e of await ut.completed.list({ limit: 8 })) {
    if (now.getTime() - Date.parse(e.value.completedAt) > COMPLETED_RETRY_MS) await ut.completed.delete(e.key);
  }
}

/** Completions running now, by bucket and upload id (see CompleteMultipartUpload). */
const completing = new Map<string, Promise<unknown>>();

type CompleteInput = Parameters<S3Operations["CompleteMultipartUpload"]>[1];

async function completeUpload(ctx: RequestContext, input: CompleteInput, bucket: BucketRecord): Promise<Record<string, unknown>> {
  const key = input.Key;
  checkKey(key);
  const listed = input.MultipartUpload?.Parts ?? [];
  if (listed.length === 0) throw new ServiceError(S3ObjectErrors.MalformedXML);
  if (input.IfNoneMatch !== undefined && input.IfNoneMatch.trim() !== "*") {
    throw new ServiceError(S3ObjectErrors.NotImplemented, undefined, { Header: "If-None-Match" });
  }
  let prev = 0;
  for (const p of listed) {
    if (p.PartNumber === undefined || p.ETag === undefined) throw new ServiceError(S3ObjectErrors.MalformedXML);
    checkPartNumber(p.PartNumber);
    if (p.PartNumber <= prev) {
      throw new ServiceError({ code: "InvalidPartOrder", status: 400 }, "The list of parts was not in ascending order. Parts must be ordered by part number.", {
        UploadId: input.UploadId,
      });
    }
    prev = p.PartNumber;
  }
  let up: UploadRecord;
  try {
    up = await findUpload(ctx, bucket, key, input.UploadId);
  } catch (e) {
    const again = await completedAnswer(ctx, bucket, key, input.UploadId);
    if (again) return again;
    throw e;
  }
  const stored = new Map(
    (await uploadTables(ctx.storage.metadata, bucket).parts.list({ prefix: partPrefix(up.uploadId) })).map((e) => [partNumberOfRow(e.key), e.value]),
  );
  const parts: PartRecord[] = [];
  for (const [i, p] of listed.entries()) {
    const s = stored.get(p.PartNumber!);
    if (!s || normalizeEtag(p.ETag!) !== s.md5) throw invalidPart(p.PartNumber!, p.ETag);
    if (s.checksum) {
      const sent = (p as Partial<Record<`Checksum${ChecksumAlgorithm}`, string>>)[checksumMember(s.checksum.algorithm)];
      if (sent !== undefined && sent !== s.checksum.value) throw invalidPart(p.PartNumber!, p.ETag);
    }
    if (i < listed.length - 1 && s.size < MIN_PART_BYTES) {
      throw new ServiceError({ code: "EntityTooSmall", status: 400 }, "Your proposed upload is smaller than the minimum allowed size", {
        ProposedSize: s.size,
        MinSizeAllowed: MIN_PART_BYTES,
        PartNumber: p.PartNumber,
        ETag: s.md5,
      });
    }
    parts.push(s);
  }
  const total = parts.reduce((n, p) => n + p.size, 0);
  if (total > MAX_OBJECT_BYTES) {
    throw new ServiceError(S3ObjectErrors.EntityTooLarge, undefined, { ProposedSize: total, MaxSizeAllowed: MAX_OBJECT_BYTES });
  }
  if (input.MpuObjectSize !== undefined && input.MpuObjectSize !== total) {
    throw new ServiceError(
      S3ObjectErrors.InvalidRequest,
      `The provided 'x-amz-mp-object-size' header value "${input.MpuObjectSize}" does not match what was computed: "${total}"`,
    );
  }
  const algorithm: ChecksumAlgorithm = up.checksumAlgorithm ?? "CRC64NVME";
  const type = up.checksumType ?? "FULL_OBJECT";
  if (type === "COMPOSITE" && parts.some((p) => p.checksum?.algorithm !== algorithm)) {
    throw new ServiceError(S3ObjectErrors.InvalidRequest, `The upload was created using a ${algorithm.toLowerCase()} checksum. All parts must have a checksum.`);
  }
  // A full-object checksum sent with the request is compared once the bytes are copied.
  const fullSpec: UploadChecksums = { algorithm, requested: true };
  if (type === "FULL_OBJECT") {
    const sent = checksumsOfInput(input)[algorithm];
    if (sent !== undefined) {
      const bytes = decodeChecksum(algorithm, sent);
      if (!bytes) throw new ServiceError(S3ObjectErrors.InvalidRequest, `Value for x-amz-checksum-${algorithm.toLowerCase()} header is invalid.`);
      fullSpec.expected = bytes;
    }
  }

  if (input.IfNoneMatch !== undefined) {
    // Fail fast, before the bytes are copied; checked again at commit.
    const cur = await objectStore(ctx).tables(bucket).cur.get(key);
    if (cur !== undefined && !cur.deleteMarker) throw new ServiceError(S3ObjectErrors.PreconditionFailed, undefined, { Condition: "If-None-Match" });
  }
  let copied: { info: BlobInfo; checksum: StoredChecksum; md5: string; size: number };
  // Encrypted uploads: the parts are opened with the upload's data key and the object sealed
  // with it again under a fresh nonce prefix (encryption.ts). Parts stored before encryption
  // existed make a plain object, as before.
  const dataKey = up.partKey !== undefined ? unwrapForUpload(ctx, up.partKey) : undefined;
  const seal = dataKey && parts.every((p) => p.nonce !== undefined) ? { dataKey, nonce: newNoncePrefix() } : undefined;
  try {
    copied = await storeStream(ctx, concatenated(ctx, parts, dataKey), fullSpec, { maxSize: MAX_OBJECT_BYTES, expectedSize: total }, seal);
  } catch (e) {
    // A part blob deleted under us: the upload was aborted (or completed) meanwhile.
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw noSuchUpload(up.uploadId);
    throw e;
  }
  const { info, checksum: full } = copied;
  let checksum: StoredChecksum = full;
  if (type === "COMPOSITE") {
    const h = createChecksum(algorithm);
    for (const p of parts) h.update(Buffer.from(p.checksum!.value, "base64"));
    checksum = { algorithm, value: `${(await h.digest()).toString("base64")}-${parts.length}`, type: "COMPOSITE" };
  }
  const md5s = createHash("md5");
  for (const p of parts) md5s.update(Buffer.from(p.md5, "hex"));
  const rec: ObjectVersion = withDefined({
    versionId: "",
    sortId: "",
    lastModified: ctx.clock.now().toISOString(),
    owner: ctx.principal.account ?? bucket.account,
    blob: info.id,
    size: copied.size,
    etag: `"${md5s.digest("hex")}-${parts.length}"`,
    ...(seal ? { sse: up.sse, nonce: seal.nonce } : { sha256: info.sha256 }),
    contentType: up.contentType ?? "binary/octet-stream",
    contentEncoding: up.contentEncoding,
    contentDisposition: up.contentDisposition,
    contentLanguage: up.contentLanguage,
    cacheControl: up.cacheControl,
    expires: up.expires,
    websiteRedirectLocation: up.websiteRedirectLocation,
    metadata: up.metadata,
    storageClass: up.storageClass,
    tags: up.tags,
    checksum,
    serverSideEncryption: up.serverSideEncryption,
    parts: parts.map((p) => (p.checksum && p.checksum.algorithm === algorithm ? { size: p.size, checksum: p.checksum.value } : { size: p.size })),
  });
  Object.assign(rec, up.extras ?? {});
  const store = objectStore(ctx);
  let result: { versionId: string; mode: string };
  try {
    result = await store.mutate(async (tx) => {
      const ut = uploadTables(tx, bucket);
      const row = uploadRow(key, up.uploadId);
      if (!(await ut.uploads.get(row))) throw noSuchUpload(up.uploadId);
      const now = await ut.parts.list({ prefix: partPrefix(up.uploadId) });
      const byNumber = new Map(now.map((e) => [partNumberOfRow(e.key), e.value]));
      for (const [i, p] of listed.entries()) {
        // A part uploaded again while the bytes were being copied: the copy is stale.
        if (byNumber.get(p.PartNumber!)?.blob !== parts[i]!.blob) throw invalidPart(p.PartNumber!, p.ETag);
      }
      const t = tablesOf(tx, bucket);
      const [v, cur] = await Promise.all([readVersioning(tx, bucket), t.cur.get(key)]);
      if (input.IfNoneMatch !== undefined && cur !== undefined && !cur.deleteMarker) {
        throw new ServiceError(S3ObjectErrors.PreconditionFailed, undefined, { Condition: "If-None-Match" });
      }
      const mode = v?.status ?? "unversioned";
      rec.sortId = newSortId(cur?.sortId);
      rec.versionId = mode === "Enabled" ? rec.sortId : "null";
      const obsolete = await installVersion(t, key, rec, cur, mode);
      await ut.uploads.delete(row);
      await ut.parts.clear({ prefix: partPrefix(up.uploadId) });
      const completedAt = ctx.clock.now();
      await pruneCompleted(ut, completedAt);
      await ut.completed.put(up.uploadId, { key, completedAt: completedAt.toISOString(), output: completeOutput(bucket, key, rec, checksum, up, mode) });
      return { value: { versionId: rec.versionId, mode }, obsoleteBlobs: [...obsolete, ...now.map((e) => e.value.blob)] };
    });
  } catch (e) {
    store.deleteBlobs([info.id]);
    // A completion of the same upload that ran alongside this one committed first.
    if (isServiceError(e) && e.code === "NoSuchUpload") {
      const again = await completedAnswer(ctx, bucket, key, up.uploadId);
      if (again) return again;
    }
    throw e;
  }
  await extrasCommitted(ctx, bucket, key, result.versionId, { pending: !!up.extras?.replication });
  // Event notification (events.ts): delivered after the response, never fails the request.
  emitS3Event(ctx, bucket, {
    eventName: "ObjectCreated:CompleteMultipartUpload",
    key,
    size: rec.size!,
    etag: rec.etag,
    ...(result.mode !== "unversioned" ? { versionId: result.versionId } : {}),
  });
  return { Location: objectLocation(ctx, bucket, key), ...completeOutput(bucket, key, rec, checksum, up, result.mode) };
}

async function findUpload(ctx: RequestContext, bucket: BucketRecord, key: string, uploadId: string): Promise<UploadRecord> {
  if (!isWellFormedUploadId(uploadId)) throw noSuchUpload(uploadId);
  const up = await uploadTables(ctx.storage.metadata, bucket).uploads.get(uploadRow(key, uploadId));
  if (!up) throw noSuchUpload(uploadId);
  return up;
}

function withDefined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

const normalizeEtag = (e: string) => e.replace(/"/g, "").trim();

function toReadable(body: unknown): Readable {
  if (body instanceof Readable) return body;
  if (body === undefined || body === null) return Readable.from([]);
  if (typeof body === "string") return Readable.from([Buffer.from(body, "utf8")]);
  if (body instanceof Uint8Array) return Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
  throw new ServiceError(S3ObjectErrors.InternalError, "unexpected body type");
}

/** `source.pipe(target)`, with an upstream error failing the target and an early close stopping the source. */
function link<T extends NodeJS.WritableStream & Readable>(source: Readable, target: T): T {
  source.once("error", (e) => target.destroy(e));
  target.once("close", () => {
    if (!source.readableEnded && !source.destroyed) source.destroy();
  });
  source.pipe(target);
  return target;
}

/** Stream into a new blob through the checksum check; nothing is kept on failure. */
async function storeStream(
  ctx: RequestContext,
  body: Readable,
  spec: UploadChecksums,
  opts: { maxSize: number; expectedSize?: number; trailers?: Promise<Record<string, string>> },
  seal?: { dataKey: Buffer; nonce: string },
): Promise<{ info: BlobInfo; checksum: StoredChecksum; md5: string; size: number }> {
  const hasher = new UploadChecksumStream(spec, opts);
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
  return { info, checksum: hasher.result.checksum, md5: sealer ? sealer.md5Hex! : info.md5, size: hasher.result.size };
}

/** Open a blob (waiting until the file is open, so a concurrent delete cannot pull it away). */
async function openBlob(ctx: RequestContext, id: string, range?: { start: number; end: number }): Promise<Readable> {
  const stream = ctx.storage.blobs.get(id, range);
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
  return stream;
}

/**
 * The parts' bytes in order: encrypted parts decrypted (each chunk authenticated), older
 * unencrypted ones checked against the SHA-256 recorded when they were uploaded.
 */
function concatenated(ctx: RequestContext, parts: PartRecord[], dataKey: Buffer | undefined): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (const p of parts) {
      if (p.size === 0) continue;
      if (p.nonce !== undefined) {
        const raw = await openBlob(ctx, p.blob);
        const plain = new DecryptStream(dataKey!, p.nonce, p.size, { first: 0, last: Math.ceil(p.size / (64 * 1024)) - 1, skip: 0, length: p.size });
        for await (const c of link(raw, plain)) yield c as Buffer;
        continue;
      }
      const raw = await openBlob(ctx, p.blob, { start: 0, end: p.size - 1 });
      for await (const c of link(raw, new VerifyingStream(p.sha256!, p.size))) yield c as Buffer;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

function checksumOut(c: { algorithm: ChecksumAlgorithm; value: string } | undefined): Record<string, string> {
  return c ? { [checksumMember(c.algorithm)]: c.value } : {};
}

function checksumsOfInput(input: Partial<Record<`Checksum${ChecksumAlgorithm}`, string | undefined>>): Partial<Record<ChecksumAlgorithm, string | undefined>> {
  return {
    CRC32: input.ChecksumCRC32,
    CRC32C: input.ChecksumCRC32C,
    CRC64NVME: input.ChecksumCRC64NVME,
    SHA1: input.ChecksumSHA1,
    SHA256: input.ChecksumSHA256,
  };
}

function maxOf(n: number | undefined, name: string): number {
  if (n === undefined) return MAX_LIST;
  if (!Number.isInteger(n) || n < 0) {
    throw new ServiceError(S3ObjectErrors.InvalidArgument, `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: n });
  }
  return Math.min(n, MAX_LIST);
}

/** Commit the part (its blob durable) if the upload still exists; the replaced part's blob goes. */
async function commitPart(ctx: RequestContext, bucket: BucketRecord, key: string, uploadId: string, partNumber: number, rec: PartRecord): Promise<void> {
  const store = objectStore(ctx);
  try {
    await store.mutate(async (tx) => {
      const t = uploadTables(tx, bucket);
      if (!(await t.uploads.get(uploadRow(key, uploadId)))) throw noSuchUpload(uploadId);
      const row = partRow(uploadId, partNumber);
      const old = await t.parts.get(row);
      await t.parts.put(row, rec);
      return { value: undefined, ...(old ? { obsoleteBlobs: [old.blob] } : {}) };
    });
  } catch (e) {
    store.deleteBlobs([rec.blob]);
    throw e;
  }
}

/** The byte range of part `n` (1-based) of a multipart object. */
function partRange(v: ObjectVersion, n: number): { start: number; end: number; size: number } {
  let start = 0;
  for (let i = 0; i < n - 1; i++) start += v.parts![i]!.size;
  const size = v.parts![n - 1]!.size;
  return { start, end: start + size - 1, size };
}

function invalidPartNumber(requested: number, count: number): ServiceError {
  return new ServiceError({ code: "InvalidPartNumber", status: 416 }, "The requested partnumber is not satisfiable", {
    PartNumberRequested: requested,
    ActualPartCount: count,
  });
}

/**
 * GetObject / HeadObject with partNumber on a multipart object: the part's byte range, read by
 * provider-objects.ts's handler as a Range request, plus the part count (and the part's checksum).
 */
async function byPart<I extends PartRead, O>(ctx: RequestContext, input: I, base: (ctx: RequestContext, input: I) => Promise<O> | O): Promise<O> {
  if (input.PartNumber === undefined || input.Range !== undefined) return base(ctx, input);
  const n = checkPartNumber(input.PartNumber);
  const bucket = await bucketFor(ctx, input.Bucket);
  const v = (await objectStore(ctx).find(bucket, input.Key, input.VersionId))?.version;
  if (!v?.parts) return base(ctx, input);
  if (n > v.parts.length) throw invalidPartNumber(n, v.parts.length);
  const r = partRange(v, n);
  if (r.size === 0) return base(ctx, { ...input, PartNumber: 1 });
  const out = await base(ctx, { ...input, PartNumber: undefined, Range: `bytes=${r.start}-${r.end}` });
  const part = v.parts[n - 1]!;
  const withSum = input.ChecksumMode?.toUpperCase() === "ENABLED" && part.checksum !== undefined && v.checksum !== undefined;
  return { ...out, PartsCount: v.parts.length, ...(withSum ? { [checksumMember(v.checksum!.algorithm)]: part.checksum } : {}) };
}

interface PartRead {
  Bucket: string;
  Key: string;
  VersionId?: string;
  PartNumber?: number;
  Range?: string;
  ChecksumMode?: string;
}

// ---------------------------------------------------------------------------------------------
// Handlers

export const multipartHandlers: Partial<Ops> = {
  async CreateMultipartUpload(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    const key = input.Key;
    checkKey(key);
    if (input.StorageClass !== undefined && !(STORAGE_CLASSES as readonly string[]).includes(input.StorageClass)) {
      throw new ServiceError(S3ObjectErrors.InvalidStorageClass, undefined, { StorageClassRequested: input.StorageClass });
    }
    if (input.WebsiteRedirectLocation !== undefined && !/^(\/|https?:\/\/)/.test(input.WebsiteRedirectLocation)) {
      throw new ServiceError(S3ObjectErrors.InvalidArgument, "The website redirect location must have a prefix of 'http://' or 'https://' or '/'.", {
        ArgumentName: "x-amz-website-redirect-location",
        ArgumentValue: input.WebsiteRedirectLocation,
      });
    }
    checkSseRequest(input);
    let metadata: Record<string, string> | undefined;
    if (input.Metadata && Object.keys(input.Metadata).length > 0) {
      let size = 0;
      for (const [k, v] of Object.entries(input.Metadata)) size += Buffer.byteLength(k, "utf8") + Buffer.byteLength(v, "utf8");
      if (size > MAX_METADATA_BYTES) {
        throw new ServiceError(S3ObjectErrors.MetadataTooLarge, undefined, { Size: size, MaxSizeAllowed: MAX_METADATA_BYTES });
      }
      metadata = { ...input.Metadata };
    }
    const tags = parseTaggingHeader(input.Tagging);
    let algorithm: ChecksumAlgorithm | undefined;
    if (input.ChecksumAlgorithm !== undefined && input.ChecksumAlgorithm !== "") {
      const a = input.ChecksumAlgorithm.toUpperCase();
      if (!isChecksumAlgorithm(a)) {
        throw new ServiceError(
          S3ObjectErrors.InvalidRequest,
          "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
        );
      }
      algorithm = a;
    }
    let type: "COMPOSITE" | "FULL_OBJECT" | undefined;
    if (input.ChecksumType !== undefined && input.ChecksumType !== "") {
      const ty = input.ChecksumType.toUpperCase();
      if (ty !== "COMPOSITE" && ty !== "FULL_OBJECT") throw new ServiceError(S3ObjectErrors.InvalidRequest, "Value for x-amz-checksum-type header is invalid.");
      if (algorithm === undefined) {
        throw new ServiceError(S3ObjectErrors.InvalidRequest, "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.");
      }
      type = ty;
    }
    if (algorithm !== undefined) {
      type ??= algorithm === "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE";
      if (type === "FULL_OBJECT" && (algorithm === "SHA1" || algorithm === "SHA256")) {
        throw new ServiceError(S3ObjectErrors.InvalidRequest, `The FULL_OBJECT checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`);
      }
      if (type === "COMPOSITE" && algorithm === "CRC64NVME") {
        throw new ServiceError(S3ObjectErrors.InvalidRequest, "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.");
      }
    }
    const sse = newSse(ctx, bucket, input, await getDefaultEncryption(ctx.storage.metadata, bucket));
    // Object Lock, ACL and replication status (object-extras.ts).
    const extras = await versionExtras(ctx, bucket, key, input, { tags, hasChecksum: true });
    const now = ctx.clock.now();
    const uploadId = newUploadId(now);
    const rec: UploadRecord = withDefined({
      key,
      uploadId,
      initiated: now.toISOString(),
      owner: ctx.principal.account ?? bucket.account,
      contentType: input.ContentType,
      contentEncoding: input.ContentEncoding,
      contentDisposition: input.ContentDisposition,
      contentLanguage: input.ContentLanguage,
      cacheControl: input.CacheControl,
      expires: input.Expires?.toISOString(),
      websiteRedirectLocation: input.WebsiteRedirectLocation,
      metadata,
      storageClass: input.StorageClass && input.StorageClass !== "STANDARD" ? input.StorageClass : undefined,
      tags,
      serverSideEncryption: sse.rec.alg,
      sse: sse.rec,
      partKey: wrapForUpload(ctx, sse.dataKey),
      checksumAlgorithm: algorithm,
      checksumType: type,
      extras: Object.keys(extras).length ? extras : undefined,
    });
    await objectStore(ctx).mutate(async (tx) => {
      await uploadTables(tx, bucket).uploads.put(uploadRow(key, uploadId), rec);
      return { value: undefined };
    });
    return withDefined({
      Bucket: bucket.name,
      Key: key,
      UploadId: uploadId,
      ...sseOutput(rec.sse),
      ChecksumAlgorithm: algorithm,
      ChecksumType: type,
    });
  },

  async UploadPart(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    const key = input.Key;
    checkKey(key);
    const partNumber = checkPartNumber(input.PartNumber);
    const up = await findUpload(ctx, bucket, key, input.UploadId);
    const chunked = ctx.requestTrailers !== undefined;
    const declared = chunked ? input.DecodedContentLength : input.ContentLength;
    if (declared === undefined) throw new ServiceError(S3ObjectErrors.MissingContentLength);
    if (declared > MAX_PART_BYTES) {
      throw new ServiceError(S3ObjectErrors.EntityTooLarge, undefined, { ProposedSize: declared, MaxSizeAllowed: MAX_PART_BYTES });
    }
    const spec = uploadChecksums({
      headers: checksumsOfInput(input),
      sdkAlgorithm: input.ChecksumAlgorithm,
      trailer: input.Trailer,
      contentMd5: input.ContentMD5,
      chunked,
    });
    if (up.checksumAlgorithm !== undefined) {
      if (spec.requested && spec.algorithm !== up.checksumAlgorithm) {
        throw new ServiceError(
          S3ObjectErrors.InvalidRequest,
          `Checksum Type mismatch occurred, expected checksum Type: ${up.checksumAlgorithm.toLowerCase()}, actual checksum Type: ${spec.algorithm.toLowerCase()}`,
        );
      }
      spec.algorithm = up.checksumAlgorithm;
    }
    // SSE-C uploads want the same customer key on every part (encryption.ts).
    checkReadKey(ctx, up.sse, customerKeyOf(input.SSECustomerAlgorithm, input.SSECustomerKey, input.SSECustomerKeyMD5));
    const seal = up.partKey !== undefined ? { dataKey: unwrapForUpload(ctx, up.partKey), nonce: newNoncePrefix() } : undefined;
    const { info, checksum, md5, size } = await storeStream(
      ctx,
      toReadable(input.Body),
      spec,
      {
        maxSize: MAX_PART_BYTES,
        expectedSize: declared,
        ...(ctx.requestTrailers ? { trailers: ctx.requestTrailers } : {}),
      },
      seal,
    );
    const report = up.checksumAlgorithm !== undefined || spec.requested;
    const rec: PartRecord = {
      blob: info.id,
      size,
      md5,
      ...(seal ? { nonce: seal.nonce } : { sha256: info.sha256 }),
      lastModified: ctx.clock.now().toISOString(),
      ...(report ? { checksum: { algorithm: checksum.algorithm, value: checksum.value } } : {}),
    };
    await commitPart(ctx, bucket, key, input.UploadId, partNumber, rec);
    return withDefined({
      ETag: `"${md5}"`,
      ...checksumOut(rec.checksum),
      ...(up.sse ? sseOutput(up.sse) : { ServerSideEncryption: up.serverSideEncryption, SSEKMSKeyId: up.sseKmsKeyId }),
    });
  },

  async UploadPartCopy(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    const key = input.Key;
    checkKey(key);
    const partNumber = checkPartNumber(input.PartNumber);
    const src = parseCopySource(input.CopySource);
    const srcBucket = src.bucket === bucket.name ? bucket : await bucketFor(ctx, src.bucket);
    const up = await findUpload(ctx, bucket, key, input.UploadId);
    let wanted: { start: number; end: number } | undefined;
    if (input.CopySourceRange !== undefined) {
      const m = /^bytes=(\d+)-(\d+)$/.exec(input.CopySourceRange.trim());
      if (!m || Number(m[2]) < Number(m[1])) {
        throw new ServiceError(
          S3ObjectErrors.InvalidArgument,
          "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
          { ArgumentName: "x-amz-copy-source-range", ArgumentValue: input.CopySourceRange },
        );
      }
      wanted = { start: Number(m[1]), end: Number(m[2]) };
    }
    checkReadKey(ctx, up.sse, customerKeyOf(input.SSECustomerAlgorithm, input.SSECustomerKey, input.SSECustomerKeyMD5));
    const srcCustomer = customerKeyOf(input.CopySourceSSECustomerAlgorithm, input.CopySourceSSECustomerKey, input.CopySourceSSECustomerKeyMD5);
    const store = objectStore(ctx);
    const srcVersioned = (await readVersioning(ctx.storage.metadata, srcBucket)) !== undefined;
    for (let attempt = 0; ; attempt++) {
      const found = await store.find(srcBucket, src.key, src.versionId);
      if (!found) {
        throw src.versionId !== undefined
          ? new ServiceError(S3ObjectErrors.NoSuchVersion, undefined, { Key: src.key, VersionId: src.versionId })
          : new ServiceError(S3ObjectErrors.NoSuchKey, undefined, { Key: src.key });
      }
      const v = found.version;
      checkCopySource(v, src, input, ctx.clock.now());
      if (!v.deleteMarker) checkReadKey(ctx, v.sse, srcCustomer);
      const size = v.size!;
      if (wanted && wanted.end >= size) {
        throw new ServiceError(S3ObjectErrors.InvalidRange, `Range specified is not valid for source object of size: ${size}`, {
          RangeRequested: input.CopySourceRange,
          ActualObjectSize: size,
        });
      }
      const length = wanted ? wanted.end - wanted.start + 1 : size;
      if (length > MAX_PART_BYTES) {
        throw new ServiceError(S3ObjectErrors.InvalidRequest, "The specified copy range is larger than the maximum allowable size for a part: 5368709120");
      }
      let body: Readable;
      try {
        body = length === 0 ? Readable.from([]) : await openVersion(ctx, v, wanted, srcCustomer);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT" && attempt < 3) continue;
        throw e;
      }
      const spec: UploadChecksums = { algorithm: up.checksumAlgorithm ?? "CRC64NVME", requested: true };
      const seal = up.partKey !== undefined ? { dataKey: unwrapForUpload(ctx, up.partKey), nonce: newNoncePrefix() } : undefined;
      const { info, checksum, md5, size: stored } = await storeStream(ctx, body, spec, { maxSize: MAX_PART_BYTES, expectedSize: length }, seal);
      const rec: PartRecord = {
        blob: info.id,
        size: stored,
        md5,
        ...(seal ? { nonce: seal.nonce } : { sha256: info.sha256 }),
        lastModified: ctx.clock.now().toISOString(),
        ...(up.checksumAlgorithm !== undefined ? { checksum: { algorithm: checksum.algorithm, value: checksum.value } } : {}),
      };
      await commitPart(ctx, bucket, key, input.UploadId, partNumber, rec);
      return withDefined({
        CopyPartResult: { ETag: `"${md5}"`, LastModified: new Date(rec.lastModified), ...checksumOut(rec.checksum) },
        CopySourceVersionId: srcVersioned ? v.versionId : undefined,
        ...(up.sse ? sseOutput(up.sse) : { ServerSideEncryption: up.serverSideEncryption }),
      });
    }
  },

  async ListParts(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    checkKey(input.Key);
    const up = await findUpload(ctx, bucket, input.Key, input.UploadId);
    const maxParts = maxOf(input.MaxParts, "max-parts");
    const marker = input.PartNumberMarker ?? 0;
    const rows = await uploadTables(ctx.storage.metadata, bucket).parts.list({
      prefix: partPrefix(up.uploadId),
      ...(marker > 0 ? { after: partRow(up.uploadId, Math.min(marker, MAX_PART_NUMBER)) } : {}),
      limit: maxParts + 1,
    });
    const truncated = rows.length > maxParts;
    const page = rows.slice(0, maxParts);
    const owner = ownerOf(up.owner);
    return withDefined({
      Bucket: bucket.name,
      Key: up.key,
      UploadId: up.uploadId,
      PartNumberMarker: marker,
      NextPartNumberMarker: page.length ? partNumberOfRow(page[page.length - 1]!.key) : undefined,
      MaxParts: maxParts,
      IsTruncated: truncated,
      Parts: page.map((e) => ({
        PartNumber: partNumberOfRow(e.key),
        LastModified: new Date(e.value.lastModified),
        ETag: `"${e.value.md5}"`,
        Size: e.value.size,
        ...checksumOut(e.value.checksum),
      })),
      Initiator: owner,
      Owner: owner,
      StorageClass: up.storageClass ?? "STANDARD",
      ChecksumAlgorithm: up.checksumAlgorithm,
      ChecksumType: up.checksumType,
    });
  },

  async ListMultipartUploads(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    let encode = false;
    if (input.EncodingType !== undefined) {
      if (input.EncodingType !== "url") {
        throw new ServiceError(S3ObjectErrors.InvalidArgument, "Invalid Encoding Method specified in Request", {
          ArgumentName: "encoding-type",
          ArgumentValue: input.EncodingType,
        });
      }
      encode = true;
    }
    const enc = encode ? s3UrlEncode : (s: string) => s;
    const maxUploads = maxOf(input.MaxUploads, "max-uploads");
    const prefix = input.Prefix ?? "";
    const delimiter = input.Delimiter || undefined;
    const keyMarker = input.KeyMarker || undefined;
    const uploadIdMarker = keyMarker !== undefined ? input.UploadIdMarker || undefined : undefined;
    const t = uploadTables(ctx.storage.metadata, bucket);
    let after: string | undefined;
    if (keyMarker !== undefined) {
      if (uploadIdMarker !== undefined) after = uploadRow(keyMarker, uploadIdMarker);
      else if (delimiter !== undefined && keyMarker.endsWith(delimiter) && keyMarker.startsWith(prefix)) after = escapeKey(keyMarker) + "\u{10FFFF}";
      else after = afterKeyUploads(keyMarker);
    }
    const uploads: UploadRecord[] = [];
    const prefixes: string[] = [];
    let truncated = false;
    let nextKey: string | undefined;
    let nextId: string | undefined;
    scan: for (;;) {
      const batch = await t.uploads.list({
        ...(prefix ? { prefix: escapeKey(prefix) } : {}),
        ...(after !== undefined ? { after } : {}),
        limit: MAX_LIST,
      });
      if (batch.length === 0) break;
      for (const e of batch) {
        const k = e.value.key;
        const cut = delimiter !== undefined ? k.indexOf(delimiter, prefix.length) : -1;
        if (uploads.length + prefixes.length >= maxUploads) {
          truncated = true;
          break scan;
        }
        if (cut >= 0) {
          const cp = k.slice(0, cut + delimiter!.length);
          prefixes.push(cp);
          nextKey = cp;
          nextId = undefined;
          after = escapeKey(cp) + "\u{10FFFF}";
          continue scan;
        }
        uploads.push(e.value);
        nextKey = k;
        nextId = e.value.uploadId;
        after = e.key;
      }
      if (batch.length < MAX_LIST) break;
    }
    return withDefined({
      Bucket: bucket.name,
      KeyMarker: enc(keyMarker ?? ""),
      UploadIdMarker: uploadIdMarker ?? "",
      NextKeyMarker: truncated && nextKey !== undefined ? enc(nextKey) : undefined,
      NextUploadIdMarker: truncated && nextId !== undefined ? nextId : undefined,
      Prefix: prefix !== "" || input.Prefix !== undefined ? enc(prefix) : undefined,
      Delimiter: delimiter !== undefined ? enc(delimiter) : undefined,
      MaxUploads: maxUploads,
      IsTruncated: truncated,
      Uploads: uploads.map((u) => ({
        UploadId: u.uploadId,
        Key: enc(u.key),
        Initiated: new Date(u.initiated),
        StorageClass: u.storageClass ?? "STANDARD",
        Owner: ownerOf(u.owner),
        Initiator: ownerOf(u.owner),
        ...(u.checksumAlgorithm ? { ChecksumAlgorithm: u.checksumAlgorithm, ChecksumType: u.checksumType } : {}),
      })),
      CommonPrefixes: prefixes.map((p) => ({ Prefix: enc(p) })),
      EncodingType: encode ? "url" : undefined,
    });
  },

  async AbortMultipartUpload(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    checkKey(input.Key);
    if (!isWellFormedUploadId(input.UploadId)) throw noSuchUpload(input.UploadId);
    await objectStore(ctx).mutate(async (tx) => {
      const t = uploadTables(tx, bucket);
      const row = uploadRow(input.Key, input.UploadId);
      if (!(await t.uploads.get(row))) throw noSuchUpload(input.UploadId);
      const parts = await t.parts.list({ prefix: partPrefix(input.UploadId) });
      await t.uploads.delete(row);
      await t.parts.clear({ prefix: partPrefix(input.UploadId) });
      return { value: undefined, obsoleteBlobs: parts.map((p) => p.value.blob) };
    });
    return {};
  },

  async CompleteMultipartUpload(ctx, input) {
    const bucket = await bucketFor(ctx, input.Bucket);
    // A retry that arrives while the first completion still copies waits for it (and then gets
    // its answer) instead of copying the parts a second time.
    const flight = `${bucket.account}\u0000${bucket.name}\u0000${input.UploadId}`;
    for (let running = completing.get(flight); running; running = completing.get(flight)) await running.catch(() => undefined);
    const done = completeUpload(ctx, input, bucket);
    completing.set(flight, done);
    try {
      return await done;
    } finally {
      if (completing.get(flight) === done) completing.delete(flight);
    }
  },

  // Parts of completed multipart objects; everything else is provider-objects.ts's.

  async GetObject(ctx, input) {
    return byPart(ctx, input, objectHandlers.GetObject!);
  },

  async HeadObject(ctx, input) {
    return byPart(ctx, input, objectHandlers.HeadObject!);
  },

  async GetObjectAttributes(ctx, input) {
    const out = await objectHandlers.GetObjectAttributes!(ctx, input);
    if (!out || !(input.ObjectAttributes ?? []).includes("ObjectParts")) return out;
    const bucket = await bucketFor(ctx, input.Bucket);
    const found = await objectStore(ctx).find(bucket, input.Key, input.VersionId ?? out.VersionId);
    const v = found?.version;
    if (!v?.parts) return out;
    const maxParts = maxOf(input.MaxParts, "max-parts");
    const marker = input.PartNumberMarker ?? 0;
    const page = v.parts.map((p, i) => ({ n: i + 1, p })).filter((x) => x.n > marker).slice(0, maxParts);
    const truncated = page.length > 0 && page[page.length - 1]!.n < v.parts.length;
    const alg = v.checksum?.algorithm;
    return {
      ...out,
      ObjectParts: withDefined({
        TotalPartsCount: v.parts.length,
        PartNumberMarker: marker,
        NextPartNumberMarker: page.length ? page[page.length - 1]!.n : undefined,
        MaxParts: maxParts,
        IsTruncated: truncated,
        Parts: page.map(({ n, p }) => ({ PartNumber: n, Size: p.size, ...(alg && p.checksum ? { [checksumMember(alg)]: p.checksum } : {}) })),
      }),
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Authorization

type Facts = (ctx: RequestContext, input: Record<string, unknown>) => Promise<AuthorizationFacts>;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

async function ownerAccount(ctx: RequestContext, bucket: string): Promise<string> {
  return (await lookupBucket(ctx, bucket))?.account ?? ctx.account;
}

function onObject(action: string, context?: (input: Record<string, unknown>) => Record<string, ConditionValue>): Facts {
  return async (ctx, input) => {
    const bucket = String(input.Bucket);
    return {
      action,
      resources: [`arn:aws:s3:::${bucket}/${String(input.Key)}`],
      resourceAccount: await ownerAccount(ctx, bucket),
      context: context ? context(input) : {},
    };
  };
}

const createContext = (input: Record<string, unknown>): Record<string, ConditionValue> => {
  const c: Record<string, ConditionValue> = {};
  const tagging = str(input.Tagging);
  if (tagging) {
    const keys: string[] = [];
    for (const [k, v] of new URLSearchParams(tagging)) {
      keys.push(k);
      c[`s3:RequestObjectTag/${k}`] = v;
    }
    c["s3:RequestObjectTagKeys"] = keys;
  }
  if (str(input.ACL)) c["s3:x-amz-acl"] = str(input.ACL);
  if (str(input.StorageClass)) c["s3:x-amz-storage-class"] = str(input.StorageClass);
  if (str(input.ServerSideEncryption)) c["s3:x-amz-server-side-encryption"] = str(input.ServerSideEncryption);
  if (str(input.SSEKMSKeyId)) c["s3:x-amz-server-side-encryption-aws-kms-key-id"] = str(input.SSEKMSKeyId);
  return c;
};

export const multipartAuthorization: Record<string, Facts> = {
  CreateMultipartUpload: onObject("s3:PutObject", createContext),
  UploadPart: onObject("s3:PutObject"),
  UploadPartCopy: onObject("s3:PutObject", (input) => (str(input.CopySource) ? { "s3:x-amz-copy-source": str(input.CopySource) } : {})),
  CompleteMultipartUpload: onObject("s3:PutObject", (input) => (str(input.IfNoneMatch) ? { "s3:if-none-match": str(input.IfNoneMatch) } : {})),
  AbortMultipartUpload: onObject("s3:AbortMultipartUpload"),
  ListParts: onObject("s3:ListMultipartUploadParts"),
  ListMultipartUploads: async (ctx, input) => {
    const bucket = String(input.Bucket);
    const c: Record<string, ConditionValue> = {};
    if (str(input.Prefix) !== undefined) c["s3:prefix"] = str(input.Prefix);
    if (str(input.Delimiter) !== undefined) c["s3:delimiter"] = str(input.Delimiter);
    return { action: "s3:ListBucketMultipartUploads", resources: [`arn:aws:s3:::${bucket}`], resourceAccount: await ownerAccount(ctx, bucket), context: c };
  },
};
