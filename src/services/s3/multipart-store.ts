/**
 * Multipart upload state of a bucket, in two tables of the bucket's scope (account + region + s3):
 *
 *   uploads:<bucket>  esc(key) "\0\0" uploadId -> the upload (what CreateMultipartUpload declared)
 *   parts:<bucket>    uploadId "/" 5-digit part number -> one uploaded part (its blob and digests)
 *   completed-uploads:<bucket>  uploadId -> what CompleteMultipartUpload answered, kept for an
 *                     hour so that a retried completion gets the same answer (oldest uploads first:
 *                     each completion prunes a few expired rows from the front)
 *
 * Upload ids start with the creation time in fixed-width hex, so a key's uploads list oldest
 * first (as S3 lists them), and `esc` (objects-store.ts) keeps every key's uploads contiguous and
 * in key order. Part rows sort by part number. Each part has its own blob until the upload is
 * completed (the parts are copied into the object's blob, then deleted) or aborted.
 */
import { randomBytes } from "node:crypto";
import type { Scope, Table } from "../../storage/types.js";
import type { ChecksumAlgorithm } from "./checksums.js";
import type { SseRecord } from "./encryption.js";
import { bucketScope, escapeKey } from "./objects-store.js";
import type { BucketRecord } from "./store.js";
import type { VersionExtras } from "./object-extras.js";

export interface UploadRecord {
  key: string;
  uploadId: string;
  /** ISO time. */
  initiated: string;
  /** Account that created the upload. */
  owner: string;
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
  websiteRedirectLocation?: string;
  metadata?: Record<string, string>;
  storageClass?: string;
  tags?: [string, string][];
  serverSideEncryption?: string;
  sseKmsKeyId?: string;
  /** The object's encryption (encryption.ts), its data key wrapped as the object will keep it. */
  sse?: SseRecord;
  /** The same data key wrapped by the master key while the upload lasts (encryption.ts). */
  partKey?: string;
  /** The checksum algorithm the upload was created with (absent: S3's default, CRC64NVME full-object). */
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: "COMPOSITE" | "FULL_OBJECT";
  /** Object Lock, ACL and replication status decided at creation (object-extras.ts). */
  extras?: VersionExtras;
}

export interface PartRecord {
  blob: string;
  size: number;
  /** Hex MD5 (the part's ETag, unquoted). */
  md5: string;
  /** Unencrypted parts (from before encryption): the SHA-256 of the stored bytes. */
  sha256?: string;
  /** Encrypted parts: the blob's nonce prefix (encryption.ts). */
  nonce?: string;
  /** ISO time. */
  lastModified: string;
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

/** A completed upload's answer (CompleteMultipartUpload's output without Location). */
export interface CompletedRecord {
  key: string;
  /** ISO time. */
  completedAt: string;
  output: Record<string, string>;
}

export interface UploadTables {
  uploads: Table<UploadRecord>;
  parts: Table<PartRecord>;
  completed: Table<CompletedRecord>;
}

const SEPARATOR = "\u0000\u0000";

export function uploadTables(source: { table<V>(scope: Scope, name: string): Table<V> }, bucket: BucketRecord): UploadTables {
  const scope = bucketScope(bucket);
  return {
    uploads: source.table<UploadRecord>(scope, `uploads:${bucket.name}`),
    parts: source.table<PartRecord>(scope, `parts:${bucket.name}`),
    completed: source.table<CompletedRecord>(scope, `completed-uploads:${bucket.name}`),
  };
}

export function uploadRow(key: string, uploadId: string): string {
  return escapeKey(key) + SEPARATOR + uploadId;
}

/** A row past every upload of `key` (and before any longer key). */
export function afterKeyUploads(key: string): string {
  return escapeKey(key) + SEPARATOR + "\u{10FFFF}";
}

export function partRow(uploadId: string, partNumber: number): string {
  return `${uploadId}/${String(partNumber).padStart(5, "0")}`;
}

export function partPrefix(uploadId: string): string {
  return `${uploadId}/`;
}

export function partNumberOfRow(row: string): number {
  return Number(row.slice(row.lastIndexOf("/") + 1));
}

/** Creation time (12 hex digits of milliseconds) then 24 random URL-safe characters. */
export function newUploadId(now: Date): string {
  return now.getTime().toString(16).padStart(12, "0") + randomBytes(18).toString("base64url");
}

export function isWellFormedUploadId(id: string): boolean {
  return /^[0-9a-f]{12}[A-Za-z0-9_-]{24}$/.test(id);
}
