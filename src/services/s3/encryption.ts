/**
 * S3 server-side encryption at rest: SSE-S3, SSE-KMS (and DSSE-KMS) and SSE-C. The bytes an
 * object keeps in the blob store are ciphertext; only its metadata row says how to read them.
 *
 * Keys
 * - A master key (32 random bytes) lives in `<dataDir>/s3-master.key` (mode 0600), created on
 *   first use; an `--ephemeral` instance keeps it in its temporary data dir, which goes with it.
 * - Every object (and every multipart upload) gets a random 256-bit data key, stored only wrapped
 *   (AES-256-GCM, the mode bound in as additional data) by:
 *     SSE-S3  the master key;
 *     SSE-KMS a per-KMS-key wrapping key derived from the master key and the key's ARN (HMAC-SHA256);
 *     SSE-C   the customer's key itself. The customer key is never stored: only a salted HMAC of
 *             it (keyed by the master key), which tells a wrong key apart before any decryption.
 *
 * Format of an encrypted blob: the plaintext cut into 64 KiB chunks, each sealed with
 * AES-256-GCM under the data key, with a 96-bit nonce made of a per-blob random 64-bit prefix and
 * the 32-bit chunk index, and followed by its 16-byte tag. A chunk is `CHUNK + 16` bytes on disk
 * (the last one shorter). A range read opens only the chunks it covers; a chunk that fails its tag,
 * a missing chunk or a short blob fails the stream before the chunk's bytes go out: corruption is
 * an error, never wrong bytes. Objects written before encryption existed carry no `sse` record and
 * are read as before (verified against their SHA-256).
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import type { RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import { S3ObjectErrors } from "./errors-objects.js";
import { Md5Job } from "./md5-worker.js";

/** Plaintext bytes per sealed chunk. */
export const CHUNK = 64 * 1024;
const TAG = 16;
const RECORD = CHUNK + TAG;

export type SseAlgorithm = "AES256" | "aws:kms" | "aws:kms:dsse";

/** How one object's (or upload's) bytes are encrypted: kept in its metadata row. */
export interface SseRecord {
  /** Format version. */
  v: 1;
  /** What the object reports as x-amz-server-side-encryption. */
  alg: SseAlgorithm;
  /** SSE-KMS: the key's ARN. */
  kmsKeyId?: string;
  bucketKey?: true;
  /** SSE-C: the key's MD5 (base64, as sent) and a salted HMAC of the key. */
  customer?: { md5: string; salt: string; hmac: string };
  /** The data key, wrapped: base64 of iv(12) | tag(16) | ciphertext(32). */
  key: string;
}

/** Where one blob's chunks start their nonces (8 random bytes, base64). */
export type NoncePrefix = string;

export interface CustomerKey {
  key: Buffer;
  md5: string;
}

// ---------------------------------------------------------------------------------------------
// The master key

const masters = new WeakMap<object, Buffer>();

/** The data dir's master key, created (0600, fsynced) on first use. */
function masterKey(ctx: RequestContext): Buffer {
  const storage = ctx.storage as RequestContext["storage"] & { dataDir?: string };
  let key = masters.get(storage);
  if (key) return key;
  if (storage.dataDir === undefined) {
    key = randomBytes(32);
  } else {
    const path = join(storage.dataDir, "s3-master.key");
    key = readKeyFile(path) ?? createKeyFile(path);
  }
  masters.set(storage, key);
  return key;
}

function readKeyFile(path: string): Buffer | undefined {
  try {
    const text = readFileSync(path, "utf8").trim();
    const key = Buffer.from(text, "hex");
    if (key.length !== 32) throw new Error(`${path} does not hold a 256-bit key`);
    return key;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

function createKeyFile(path: string): Buffer {
  mkdirSync(dirname(path), { recursive: true });
  const key = randomBytes(32);
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, key.toString("hex") + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // Another instance on the same dir may have won the race: keep whichever landed first.
  const existing = readKeyFile(path);
  if (existing) return existing;
  renameSync(tmp, path);
  try {
    const dfd = openSync(dirname(path), "r");
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Directory fsync is best effort (not supported everywhere).
  }
  return readKeyFile(path)!;
}

/**
 * Random bytes from a pool refilled 4 KiB at a time: a PUT needs five small random values (data
 * key, wrapping IV, nonce prefix, blob id, version id) and each randomBytes call costs a trip into
 * the system's generator. Slices are never handed out twice.
 */
let pool = Buffer.alloc(0);
let poolOffset = 0;
export function randomPool(n: number): Buffer {
  if (n > 256) return randomBytes(n);
  if (poolOffset + n > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

const hmac = (key: Buffer, ...parts: (string | Buffer)[]) => {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return h.digest();
};

/** The KMS key ARN S3 uses when aws:kms is asked for without a key: the account's aws/s3 key. */
export function defaultKmsKeyArn(ctx: RequestContext, account: string, region: string): string {
  const h = hmac(masterKey(ctx), "aws/s3\0", account, "\0", region).toString("hex");
  const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  return `arn:aws:kms:${region}:${account}:key/${id}`;
}

/** A key id, alias or ARN as S3 records it: an ARN. */
export function kmsKeyArn(id: string, account: string, region: string): string {
  if (id.startsWith("arn:")) return id;
  if (id.startsWith("alias/")) return `arn:aws:kms:${region}:${account}:${id}`;
  return `arn:aws:kms:${region}:${account}:key/${id}`;
}

function wrappingKey(ctx: RequestContext, rec: Pick<SseRecord, "alg" | "kmsKeyId">, customer?: CustomerKey): Buffer {
  if (customer) return customer.key;
  if (rec.alg === "AES256") return masterKey(ctx);
  return hmac(masterKey(ctx), "kms\0", rec.kmsKeyId ?? "");
}

/** The additional data a wrapped key is bound to; the few distinct ones are kept (read-only). */
const aads = new Map<string, Buffer>();
const aadOf = (rec: Pick<SseRecord, "alg" | "kmsKeyId">, customer: boolean) => {
  const text = `nimbus-s3-sse-v1\0${customer ? "C" : rec.alg}\0${rec.kmsKeyId ?? ""}`;
  let aad = aads.get(text);
  if (!aad) {
    aad = Buffer.from(text, "utf8");
    if (aads.size < 1024) aads.set(text, aad);
  }
  return aad;
};

// ---------------------------------------------------------------------------------------------
// What a request asks for

export interface SseRequest {
  ServerSideEncryption?: string | undefined;
  SSEKMSKeyId?: string | undefined;
  BucketKeyEnabled?: boolean | undefined;
  SSECustomerAlgorithm?: string | undefined;
  SSECustomerKey?: Buffer | string | undefined;
  SSECustomerKeyMD5?: string | undefined;
}

export interface BucketDefault {
  ApplyServerSideEncryptionByDefault?: { SSEAlgorithm: string; KMSMasterKeyID?: string };
  BucketKeyEnabled?: boolean;
}

const SSE_VALUES = new Set(["AES256", "aws:kms", "aws:kms:dsse"]);

/**
 * The SSE-C key of a request (x-amz-server-side-encryption-customer-*), checked as S3 checks
 * it, or undefined when none was sent. `prefix` names the header family in messages.
 */
export function customerKeyOf(
  alg: string | undefined,
  rawKey: Buffer | string | undefined,
  md5: string | undefined,
): CustomerKey | undefined {
  if (alg === undefined && rawKey === undefined && md5 === undefined) return undefined;
  if (alg === undefined) {
    throw new ServiceError(
      S3ObjectErrors.InvalidArgument,
      "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
      { ArgumentName: "x-amz-server-side-encryption", ArgumentValue: "null" },
    );
  }
  if (alg !== "AES256") {
    throw new ServiceError(
      { code: "InvalidEncryptionAlgorithmError", status: 400 },
      "The encryption request you specified is not valid. The valid value is AES256.",
      { ArgumentName: "x-amz-server-side-encryption", ArgumentValue: alg },
    );
  }
  if (rawKey === undefined || rawKey.length === 0) {
    throw new ServiceError(
      S3ObjectErrors.InvalidArgument,
      "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
      { ArgumentName: "x-amz-server-side-encryption", ArgumentValue: "null" },
    );
  }
  const key = typeof rawKey === "string" ? Buffer.from(rawKey, "base64") : rawKey;
  if (key.length !== 32) {
    throw new ServiceError(S3ObjectErrors.InvalidArgument, "The secret key was invalid for the specified algorithm.", {
      ArgumentName: "x-amz-server-side-encryption",
      ArgumentValue: "null",
    });
  }
  const actual = createHash("md5").update(key).digest("base64");
  if (md5 === undefined) {
    throw new ServiceError(
      S3ObjectErrors.InvalidArgument,
      "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
      { ArgumentName: "x-amz-server-side-encryption", ArgumentValue: "null" },
    );
  }
  if (md5 !== actual) {
    throw new ServiceError(S3ObjectErrors.InvalidArgument, "The calculated MD5 hash of the key did not match the hash that was provided.", {
      ArgumentName: "x-amz-server-side-encryption",
      ArgumentValue: "null",
    });
  }
  return { key, md5: actual };
}

/** Checks the x-amz-server-side-encryption* headers of a write without choosing anything yet. */
export function checkSseRequest(input: SseRequest): CustomerKey | undefined {
  const customer = customerKeyOf(input.SSECustomerAlgorithm, input.SSECustomerKey, input.SSECustomerKeyMD5);
  const sse = input.ServerSideEncryption;
  if (sse !== undefined && !SSE_VALUES.has(sse)) {
    throw new ServiceError(S3ObjectErrors.InvalidArgument, "The encryption method specified is not supported", {
      ArgumentName: "x-amz-server-side-encryption",
      ArgumentValue: sse,
    });
  }
  if (customer && sse !== undefined) {
    throw new ServiceError(S3ObjectErrors.InvalidArgument, "Server Side Encryption with Customer provided key is incompatible with the encryption method specified", {
      ArgumentName: "x-amz-server-side-encryption",
      ArgumentValue: sse,
    });
  }
  if (input.SSEKMSKeyId !== undefined && sse !== "aws:kms" && sse !== "aws:kms:dsse") {
    throw new ServiceError(
      S3ObjectErrors.InvalidArgument,
      "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
      { ArgumentName: "x-amz-server-side-encryption-aws-kms-key-id", ArgumentValue: input.SSEKMSKeyId },
    );
  }
  return customer;
}

/**
 * The encryption of a new object (or upload): the request's headers, else the bucket's default
 * encryption, with a fresh wrapped data key. Returns the record and the plain data key.
 */
export function newSse(
  ctx: RequestContext,
  bucket: { account: string; region: string },
  input: SseRequest,
  bucketDefault: BucketDefault | undefined,
): { rec: SseRecord; dataKey: Buffer } {
  const customer = checkSseRequest(input);
  let alg: SseAlgorithm;
  let kmsId: string | undefined;
  let bucketKey: boolean | undefined;
  if (customer) {
    alg = "AES256";
  } else if (input.ServerSideEncryption !== undefined) {
    alg = input.ServerSideEncryption as SseAlgorithm;
    kmsId = input.SSEKMSKeyId;
    bucketKey = input.BucketKeyEnabled ?? (alg !== "AES256" ? bucketDefault?.BucketKeyEnabled : undefined);
    if (alg !== "AES256" && kmsId === undefined && bucketDefault?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm === alg) {
      kmsId = bucketDefault.ApplyServerSideEncryptionByDefault.KMSMasterKeyID;
    }
  } else {
    const d = bucketDefault?.ApplyServerSideEncryptionByDefault;
    alg = d && SSE_VALUES.has(d.SSEAlgorithm) ? (d.SSEAlgorithm as SseAlgorithm) : "AES256";
    if (alg !== "AES256") {
      kmsId = d?.KMSMasterKeyID;
      bucketKey = input.BucketKeyEnabled ?? bucketDefault?.BucketKeyEnabled;
    }
  }
  const rec: Omit<SseRecord, "key"> & { key?: string } = { v: 1, alg };
  if (alg !== "AES256" && !customer) {
    rec.kmsKeyId = kmsId !== undefined ? kmsKeyArn(kmsId, bucket.account, bucket.region) : defaultKmsKeyArn(ctx, bucket.account, bucket.region);
    if (bucketKey) rec.bucketKey = true;
  }
  if (customer) {
    const salt = randomBytes(16);
    rec.customer = { md5: customer.md5, salt: salt.toString("base64"), hmac: hmac(masterKey(ctx), salt, customer.key).toString("base64") };
  }
  const dataKey = Buffer.from(randomPool(32));
  const iv = randomPool(12);
  const cipher = createCipheriv("aes-256-gcm", wrappingKey(ctx, rec, customer), iv);
  cipher.setAAD(aadOf(rec, customer !== undefined));
  const ct = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  rec.key = Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64");
  if (!customer) rememberDataKey(ctx, rec as SseRecord, dataKey);
  return { rec: rec as SseRecord, dataKey };
}

/**
 * The plain data key of a stored object, for a read with the given SSE-C key (or none). Throws
 * S3's errors for a missing, superfluous or wrong customer key.
 */
export function dataKeyFor(ctx: RequestContext, rec: SseRecord, customer: CustomerKey | undefined): Buffer {
  checkReadKey(ctx, rec, customer);
  // SSE-S3 / SSE-KMS keys are unwrapped once and remembered (SSE-C keys never are).
  const cache = rec.customer ? undefined : dataKeyCache(ctx);
  const cacheKey = cache ? dataKeyCacheKey(rec) : "";
  const hit = cache?.get(cacheKey);
  if (hit) return hit;
  const raw = Buffer.from(rec.key, "base64");
  const decipher = createDecipheriv("aes-256-gcm", wrappingKey(ctx, rec, rec.customer ? customer : undefined), raw.subarray(0, 12));
  decipher.setAAD(aadOf(rec, rec.customer !== undefined));
  decipher.setAuthTag(raw.subarray(12, 28));
  let key: Buffer;
  try {
    key = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  } catch {
    throw new ServiceError(S3ObjectErrors.InternalError, "The object's data key could not be unwrapped (the master key may have changed).");
  }
  if (cache) remember(cache, cacheKey, key);
  return key;
}

/**
 * Unwrapped data keys of SSE-S3 / SSE-KMS objects, per data dir, by wrapped key: a GET of a small
 * object otherwise spends as long unwrapping its key as decrypting its bytes. The cache has to
 * hold a whole working set: with fewer entries than the objects read in turn, a FIFO cache misses
 * on every read (4,096 entries did, on 15,000 objects). So it is large but compact: the keys sit
 * in one slab of 32-byte slots (2 MiB for 65,536, touched only as it fills), the map only holds
 * the wrapped key's string and a slot number. Bounded; the oldest entries go first.
 */
const DATA_KEY_CACHE_SIZE = 65536;
const KEY_BYTES = 32;

class DataKeyCache {
  private readonly slots = new Map<string, number>();
  private readonly owners: (string | undefined)[] = [];
  private readonly slab = Buffer.allocUnsafeSlow(DATA_KEY_CACHE_SIZE * KEY_BYTES);
  private next = 0;

  /** A copy of the key (a slot may be reused while the caller still holds what it got). */
  get(id: string): Buffer | undefined {
    const slot = this.slots.get(id);
    if (slot === undefined) return undefined;
    return Buffer.from(this.slab.subarray(slot * KEY_BYTES, (slot + 1) * KEY_BYTES));
  }

  set(id: string, key: Buffer): void {
    if (key.length !== KEY_BYTES || this.slots.has(id)) return;
    const slot = this.next;
    this.next = (slot + 1) % DATA_KEY_CACHE_SIZE;
    const old = this.owners[slot];
    if (old !== undefined) this.slots.delete(old);
    this.owners[slot] = id;
    this.slots.set(id, slot);
    key.copy(this.slab, slot * KEY_BYTES);
  }
}

const dataKeys = new WeakMap<object, DataKeyCache>();

function dataKeyCache(ctx: RequestContext): DataKeyCache {
  let m = dataKeys.get(ctx.storage);
  if (!m) dataKeys.set(ctx.storage, (m = new DataKeyCache()));
  return m;
}

/** The wrapped key alone for SSE-S3 (base64 holds no NUL, so the forms cannot collide). */
const dataKeyCacheKey = (rec: SseRecord) =>
  rec.alg === "AES256" && rec.kmsKeyId === undefined ? rec.key : `${rec.alg}\u0000${rec.kmsKeyId ?? ""}\u0000${rec.key}`;

function remember(cache: DataKeyCache, key: string, dataKey: Buffer): void {
  cache.set(key, dataKey);
}

function rememberDataKey(ctx: RequestContext, rec: SseRecord, dataKey: Buffer): void {
  remember(dataKeyCache(ctx), dataKeyCacheKey(rec), dataKey);
}

/** S3's answers to SSE-C headers on a read: required, not applicable, or wrong. */
export function checkReadKey(ctx: RequestContext, rec: SseRecord | undefined, customer: CustomerKey | undefined): void {
  if (!rec?.customer) {
    if (customer) throw new ServiceError(S3ObjectErrors.InvalidRequest, "The encryption parameters are not applicable to this object.");
    return;
  }
  if (!customer) {
    throw new ServiceError(
      S3ObjectErrors.InvalidRequest,
      "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
    );
  }
  const expected = Buffer.from(rec.customer.hmac, "base64");
  const actual = hmac(masterKey(ctx), Buffer.from(rec.customer.salt, "base64"), customer.key);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw new ServiceError(S3ObjectErrors.AccessDenied);
  }
}

/** The response members that describe an object's encryption. */
export function sseOutput(rec: SseRecord | undefined, legacy?: string): Record<string, unknown> {
  if (!rec) return legacy ? { ServerSideEncryption: legacy } : {};
  if (rec.customer) return { SSECustomerAlgorithm: "AES256", SSECustomerKeyMD5: rec.customer.md5 };
  return {
    ServerSideEncryption: rec.alg,
    ...(rec.kmsKeyId !== undefined ? { SSEKMSKeyId: rec.kmsKeyId } : {}),
    ...(rec.bucketKey ? { BucketKeyEnabled: true } : {}),
  };
}

/** A fresh random nonce prefix for one blob. */
export function newNoncePrefix(): NoncePrefix {
  return randomPool(8).toString("base64");
}

/** Bytes on disk of `size` plaintext bytes. */
export function sealedSize(size: number): number {
  return size + TAG * Math.ceil(size / CHUNK);
}

function nonce(prefix: Buffer, index: number): Buffer {
  const n = Buffer.allocUnsafe(12);
  prefix.copy(n, 0, 0, 8);
  n.writeUInt32BE(index, 8);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Streams

/**
 * Seals plaintext into chunks (see the file header) and computes the plaintext's MD5 (the
 * object's ETag) on the way.
 */
export class EncryptStream extends Transform {
  private readonly prefix: Buffer;
  /**
   * Plaintext gathered into whole chunks before sealing. With a worker computing the MD5 this is
   * one of its 1 MiB batch buffers (a multiple of CHUNK), handed over to the worker once full:
   * gathering the chunks and batching for the worker are then one copy of the bytes, not two.
   */
  private staging: Buffer;
  private filled = 0;
  /** Bytes of `staging` already sealed (whole chunks). */
  private sealedTo = 0;
  private index = 0;
  private readonly md5 = createHash("md5");
  /** Large bodies: the MD5 is computed by a worker thread meanwhile (md5-worker.ts). */
  private readonly job: Md5Job | undefined;
  /** Hex MD5 of the plaintext, once the stream has ended. */
  md5Hex: string | undefined;
  size = 0;

  constructor(
    private readonly key: Buffer,
    prefix: NoncePrefix,
    options: { offloadMd5?: boolean } = {},
  ) {
    super({ highWaterMark: 4 * RECORD });
    this.prefix = Buffer.from(prefix, "base64");
    if (options.offloadMd5) this.job = new Md5Job();
    this.staging = this.job ? this.job.batch() : Buffer.allocUnsafe(CHUNK);
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.job?.abort();
    cb(err);
  }

  private seal(plain: Buffer): void {
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce(this.prefix, this.index++));
    const out = cipher.update(plain);
    cipher.final();
    this.push(out);
    this.push(cipher.getAuthTag());
  }

  /** The staged bytes go to the MD5 (the worker's, or this thread's) and staging starts over. */
  private handOver(): void {
    if (this.job) {
      this.job.submit(this.staging, this.filled);
      this.staging = this.job.batch();
    } else {
      this.md5.update(this.staging.subarray(0, this.filled));
    }
    this.filled = 0;
    this.sealedTo = 0;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    let off = 0;
    if (!this.job && this.filled === 0) {
      // Whole chunks of the input are sealed (and hashed) where they are, without staging.
      while (chunk.length - off >= CHUNK) {
        const plain = chunk.subarray(off, off + CHUNK);
        this.md5.update(plain);
        this.seal(plain);
        off += CHUNK;
      }
    }
    const cap = this.staging.length;
    while (off < chunk.length) {
      const n = Math.min(cap - this.filled, chunk.length - off);
      chunk.copy(this.staging, this.filled, off, off + n);
      this.filled += n;
      off += n;
      while (this.filled - this.sealedTo >= CHUNK) {
        this.seal(this.staging.subarray(this.sealedTo, this.sealedTo + CHUNK));
        this.sealedTo += CHUNK;
      }
      if (this.filled === cap) this.handOver();
    }
    const wait = this.job?.room();
    if (wait) wait.then(() => cb(), cb);
    else cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.filled > this.sealedTo) this.seal(this.staging.subarray(this.sealedTo, this.filled));
    if (this.filled > 0) this.handOver();
    if (!this.job) {
      this.md5Hex = this.md5.digest("hex");
      cb();
      return;
    }
    this.job.digest().then(
      (hex) => {
        this.md5Hex = hex;
        cb();
      },
      (e: Error) => cb(e),
    );
  }
}

/**
 * The sealed form of a whole (small) plaintext at once: the same bytes EncryptStream produces,
 * without a stream per upload.
 */
export function sealBuffer(key: Buffer, prefix: NoncePrefix, plain: Buffer): Buffer {
  const p = Buffer.from(prefix, "base64");
  const out = Buffer.allocUnsafe(sealedSize(plain.length));
  let o = 0;
  for (let i = 0, off = 0; off < plain.length; i++, off += CHUNK) {
    const cipher = createCipheriv("aes-256-gcm", key, nonce(p, i));
    const body = cipher.update(plain.subarray(off, Math.min(off + CHUNK, plain.length)));
    cipher.final();
    body.copy(out, o);
    o += body.length;
    cipher.getAuthTag().copy(out, o);
    o += TAG;
  }
  return out;
}

/**
 * Opens a whole sealed blob held in memory (a small object) and returns the plaintext of `range`
 * (or all of it). Throws when any chunk fails its tag or the blob is not exactly as long as its
 * size says: corruption is an error, never wrong bytes.
 */
export function openSealedBuffer(key: Buffer, prefix: NoncePrefix, size: number, blob: Buffer, range?: { start: number; end: number }): Buffer {
  if (blob.length !== sealedSize(size)) {
    throw new Error(`stored object failed its integrity check (${blob.length} bytes stored, ${sealedSize(size)} expected)`);
  }
  if (size === 0) return Buffer.alloc(0);
  const p = Buffer.from(prefix, "base64");
  const at = sealedRange(size, range);
  const parts: Buffer[] = [];
  let remaining = at.length;
  let skip = at.skip;
  for (let i = at.first; i <= at.last; i++) {
    const start = i * RECORD;
    const end = Math.min(start + RECORD, blob.length);
    const decipher = createDecipheriv("aes-256-gcm", key, nonce(p, i));
    decipher.setAuthTag(blob.subarray(end - TAG, end));
    let plain = decipher.update(blob.subarray(start, end - TAG));
    try {
      decipher.final();
    } catch {
      throw new Error(`stored object failed its integrity check (chunk ${i} did not authenticate)`);
    }
    if (skip > 0) {
      plain = plain.subarray(skip);
      skip = 0;
    }
    if (plain.length > remaining) plain = plain.subarray(0, remaining);
    remaining -= plain.length;
    parts.push(plain);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** Which stored bytes a plaintext range needs, and how to cut the decrypted chunks. */
export function sealedRange(size: number, range: { start: number; end: number } | undefined) {
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  const first = Math.floor(start / CHUNK);
  const last = Math.floor(end / CHUNK);
  const blobStart = first * RECORD;
  const blobEnd = Math.min((last + 1) * RECORD, sealedSize(size)) - 1;
  return { first, last, skip: start - first * CHUNK, length: end - start + 1, blob: { start: blobStart, end: blobEnd } };
}

/**
 * Opens sealed chunks `first`..`last` of an object of `size` plaintext bytes and passes on
 * `length` plaintext bytes starting `skip` bytes into the first one. Any tag failure or missing
 * byte fails the stream before the chunk concerned is passed on.
 */
export class DecryptStream extends Transform {
  private readonly prefix: Buffer;
  private index: number;
  private readonly parts: Buffer[] = [];
  private buffered = 0;
  private skip: number;
  private remaining: number;

  constructor(
    private readonly key: Buffer,
    prefix: NoncePrefix,
    private readonly size: number,
    at: { first: number; last: number; skip: number; length: number },
  ) {
    super({ highWaterMark: 4 * CHUNK });
    this.prefix = Buffer.from(prefix, "base64");
    this.index = at.first;
    this.last = at.last;
    this.skip = at.skip;
    this.remaining = at.length;
  }

  private readonly last: number;

  private recordLength(i: number): number {
    return Math.min(CHUNK, this.size - i * CHUNK) + TAG;
  }

  private takeBytes(n: number): Buffer {
    if (this.parts.length === 1 || this.parts[0]!.length >= n) {
      const head = this.parts[0]!;
      const out = head.subarray(0, n);
      if (head.length === n) this.parts.shift();
      else this.parts[0] = head.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let o = 0;
    while (o < n) {
      const head = this.parts[0]!;
      const k = Math.min(head.length, n - o);
      head.copy(out, o, 0, k);
      o += k;
      if (k === head.length) this.parts.shift();
      else this.parts[0] = head.subarray(k);
    }
    this.buffered -= n;
    return out;
  }

  private open(record: Buffer): Buffer {
    const body = record.subarray(0, record.length - TAG);
    const decipher = createDecipheriv("aes-256-gcm", this.key, nonce(this.prefix, this.index));
    decipher.setAuthTag(record.subarray(record.length - TAG));
    const plain = decipher.update(body);
    decipher.final(); // throws on a bad tag
    return plain;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.parts.push(chunk);
    this.buffered += chunk.length;
    try {
      while (this.index <= this.last) {
        const need = this.recordLength(this.index);
        if (this.buffered < need) break;
        let plain = this.open(this.takeBytes(need));
        this.index++;
        if (this.skip > 0) {
          plain = plain.subarray(this.skip);
          this.skip = 0;
        }
        if (plain.length > this.remaining) plain = plain.subarray(0, this.remaining);
        this.remaining -= plain.length;
        if (plain.length > 0) this.push(plain);
      }
    } catch {
      cb(new Error(`stored object failed its integrity check (chunk ${this.index} did not authenticate)`));
      return;
    }
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.remaining !== 0 || this.buffered !== 0) {
      cb(new Error(`stored object failed its integrity check (${this.remaining} bytes missing, ${this.buffered} extra)`));
      return;
    }
    cb();
  }
}

/** A data key wrapped by the master key alone (a multipart upload's parts, while it lasts). */
export function wrapForUpload(ctx: RequestContext, dataKey: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", masterKey(ctx), iv);
  cipher.setAAD(Buffer.from("nimbus-s3-upload-v1", "utf8"));
  const ct = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64");
}

export function unwrapForUpload(ctx: RequestContext, wrapped: string): Buffer {
  const raw = Buffer.from(wrapped, "base64");
  const decipher = createDecipheriv("aes-256-gcm", masterKey(ctx), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from("nimbus-s3-upload-v1", "utf8"));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  } catch {
    throw new ServiceError(S3ObjectErrors.InternalError, "The upload's data key could not be unwrapped (the master key may have changed).");
  }
}
