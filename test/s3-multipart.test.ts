/**
 * S3 multipart uploads through SDK v3 (lib-storage's Upload and the low-level commands), the AWS
 * CLI (`aws s3 cp` over the multipart threshold) and boto3 (upload_file / download_file), with
 * checksums (COMPOSITE, FULL_OBJECT, default CRC64NVME), UploadPartCopy, listings, versioning,
 * partNumber reads and the errors for bad completions.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { IAMClient, CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { Crc64Nvme } from "@aws-sdk/crc64-nvme";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";
import { awsChunked, crc32b64, errorCode, failure, md5b64, rawS3, s3Client } from "./s3-objects-helpers.js";

let n: Nimbus;
let s3: S3Client;
let dir: string;
const B = "multipart";
const MiB = 1024 * 1024;

const md5hex = (b: Buffer) => createHash("md5").update(b).digest("hex");
const sha256b64 = (b: Buffer) => createHash("sha256").update(b).digest("base64");
const multipartEtag = (parts: Buffer[]) =>
  `"${createHash("md5").update(Buffer.concat(parts.map((p) => createHash("md5").update(p).digest()))).digest("hex")}-${parts.length}"`;

async function bodyOf(out: { Body?: unknown }): Promise<Buffer> {
  const body = out.Body as { transformToByteArray(): Promise<Uint8Array> };
  return Buffer.from(await body.transformToByteArray());
}

/**
 * Blobs on disk, as files and as rows of the small-blob SQLite file (completed and aborted
 * uploads must leave no part blobs behind).
 */
async function blobFiles(): Promise<number> {
  const root = join(n.dataDir, "blobs");
  let count = 0;
  for (const shard of await readdir(root)) {
    if (shard === "tmp") continue;
    count += (await readdir(join(root, shard))).length;
  }
  const db = new Database(join(n.dataDir, "small-blobs.sqlite"), { readonly: true, fileMustExist: true });
  try {
    count += (db.prepare("SELECT count(*) FROM blobs").pluck().get() as number) ?? 0;
  } finally {
    db.close();
  }
  return count;
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
  expect(await check()).toBe(true);
}

async function create(key: string, extra: Record<string, unknown> = {}): Promise<string> {
  const out = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: key, ...extra }));
  expect(out.UploadId).toBeTruthy();
  return out.UploadId!;
}

async function part(key: string, uploadId: string, partNumber: number, body: Buffer, extra: Record<string, unknown> = {}) {
  return s3.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ...extra }));
}

beforeAll(async () => {
  n = await startTestNimbus();
  s3 = s3Client(n);
  dir = await mkdtemp(join(tmpdir(), "nimbus-mpu-"));
  await s3.send(new CreateBucketCommand({ Bucket: B }));
});
afterAll(async () => {
  await n.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("SDK v3", () => {
  it("lib-storage Upload of 12 MiB in 5 MiB parts reads back whole, by part and as ObjectParts", async () => {
    const data = randomBytes(12 * MiB);
    const up = new Upload({
      client: s3,
      params: { Bucket: B, Key: "big/twelve.bin", Body: data, ContentType: "application/x-test", Metadata: { owner: "lib" }, Tagging: "a=1" },
      partSize: 5 * MiB,
      queueSize: 3,
    });
    const res = await up.done();
    const parts = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB, 10 * MiB), data.subarray(10 * MiB)];
    expect(res.ETag).toBe(multipartEtag(parts));

    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "big/twelve.bin" }));
    expect(got.ContentLength).toBe(12 * MiB);
    expect(got.ContentType).toBe("application/x-test");
    expect(got.Metadata).toEqual({ owner: "lib" });
    expect(got.TagCount).toBe(1);
    expect(got.ETag).toBe(res.ETag);
    const back = await bodyOf(got);
    expect(back.equals(data)).toBe(true);

    const p2 = await s3.send(new GetObjectCommand({ Bucket: B, Key: "big/twelve.bin", PartNumber: 2 }));
    expect(p2.PartsCount).toBe(3);
    expect(p2.ContentLength).toBe(5 * MiB);
    expect(p2.ContentRange).toBe(`bytes ${5 * MiB}-${10 * MiB - 1}/${12 * MiB}`);
    expect((await bodyOf(p2)).equals(parts[1]!)).toBe(true);

    const h3 = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "big/twelve.bin", PartNumber: 3 }));
    expect(h3.PartsCount).toBe(3);
    expect(h3.ContentLength).toBe(2 * MiB);
    const bad = await failure(s3.send(new HeadObjectCommand({ Bucket: B, Key: "big/twelve.bin", PartNumber: 4 })));
    expect(bad.status).toBe(416);

    // A range spanning part boundaries.
    const span = await s3.send(new GetObjectCommand({ Bucket: B, Key: "big/twelve.bin", Range: `bytes=${5 * MiB - 10}-${5 * MiB + 9}` }));
    expect((await bodyOf(span)).equals(data.subarray(5 * MiB - 10, 5 * MiB + 10))).toBe(true);

    const attrs = await s3.send(
      new GetObjectAttributesCommand({ Bucket: B, Key: "big/twelve.bin", ObjectAttributes: ["ObjectParts", "ETag", "ObjectSize"], MaxParts: 2 }),
    );
    expect(attrs.ObjectSize).toBe(12 * MiB);
    expect(attrs.ETag).toBe(res.ETag!.replace(/"/g, ""));
    expect(attrs.ObjectParts?.TotalPartsCount).toBe(3);
    expect(attrs.ObjectParts?.IsTruncated).toBe(true);
    // SDK v3's model types the part-number markers as strings.
    expect(String(attrs.ObjectParts?.NextPartNumberMarker)).toBe("2");
    expect(attrs.ObjectParts?.Parts?.map((p) => p.Size)).toEqual([5 * MiB, 5 * MiB]);
  });

  it("COMPOSITE SHA-256: part checksums, ListParts paging and the <base64>-N object checksum", async () => {
    const key = "composite.bin";
    const id = await create(key, { ChecksumAlgorithm: "SHA256" });
    const a = randomBytes(5 * MiB);
    const b = randomBytes(1000);
    const ra = await part(key, id, 1, a, { ChecksumAlgorithm: "SHA256" });
    const rb = await part(key, id, 2, b, { ChecksumAlgorithm: "SHA256" });
    expect(ra.ETag).toBe(`"${md5hex(a)}"`);
    expect(ra.ChecksumSHA256).toBe(sha256b64(a));
    expect(rb.ChecksumSHA256).toBe(sha256b64(b));

    const l1 = await s3.send(new ListPartsCommand({ Bucket: B, Key: key, UploadId: id, MaxParts: 1 }));
    expect(l1.IsTruncated).toBe(true);
    expect(l1.ChecksumAlgorithm).toBe("SHA256");
    expect(l1.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag, p.ChecksumSHA256])).toEqual([[1, 5 * MiB, ra.ETag, sha256b64(a)]]);
    expect(String(l1.NextPartNumberMarker)).toBe("1");
    const l2 = await s3.send(new ListPartsCommand({ Bucket: B, Key: key, UploadId: id, PartNumberMarker: "1" }));
    expect(l2.IsTruncated).toBe(false);
    expect(l2.Parts?.map((p) => p.PartNumber)).toEqual([2]);

    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: key,
        UploadId: id,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: ra.ETag, ChecksumSHA256: ra.ChecksumSHA256 },
            { PartNumber: 2, ETag: rb.ETag, ChecksumSHA256: rb.ChecksumSHA256 },
          ],
        },
      }),
    );
    const composite = `${createHash("sha256").update(Buffer.concat([Buffer.from(sha256b64(a), "base64"), Buffer.from(sha256b64(b), "base64")])).digest("base64")}-2`;
    expect(done.ChecksumSHA256).toBe(composite);
    expect(done.ETag).toBe(multipartEtag([a, b]));
    expect(done.Location).toContain(`/${B}/${key}`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: key, ChecksumMode: "ENABLED" }));
    expect(head.ChecksumSHA256).toBe(composite);
    expect(head.ChecksumType).toBe("COMPOSITE");
    const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: key, ObjectAttributes: ["ObjectParts", "Checksum"] }));
    expect(attrs.Checksum?.ChecksumSHA256).toBe(composite);
    expect(attrs.ObjectParts?.Parts?.map((p) => p.ChecksumSHA256)).toEqual([sha256b64(a), sha256b64(b)]);
  });

  it("FULL_OBJECT CRC32 and the default CRC64NVME are checksums of the whole object", async () => {
    const a = randomBytes(5 * MiB + 17);
    const b = randomBytes(333);
    const whole = Buffer.concat([a, b]);

    const id = await create("full-crc32.bin", { ChecksumAlgorithm: "CRC32", ChecksumType: "FULL_OBJECT" });
    const ra = await part("full-crc32.bin", id, 1, a, { ChecksumAlgorithm: "CRC32" });
    const rb = await part("full-crc32.bin", id, 2, b, { ChecksumAlgorithm: "CRC32" });
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: "full-crc32.bin",
        UploadId: id,
        ChecksumCRC32: crc32b64(whole),
        ChecksumType: "FULL_OBJECT",
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: ra.ETag }, { PartNumber: 2, ETag: rb.ETag }] },
      }),
    );
    expect(done.ChecksumCRC32).toBe(crc32b64(whole));
    expect(done.ChecksumType).toBe("FULL_OBJECT");

    const id2 = await create("default.bin");
    const r1 = await part("default.bin", id2, 1, a);
    const r2 = await part("default.bin", id2, 2, b);
    const d2 = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: "default.bin",
        UploadId: id2,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r1.ETag }, { PartNumber: 2, ETag: r2.ETag }] },
      }),
    );
    const c = new Crc64Nvme();
    c.update(whole);
    expect(d2.ChecksumCRC64NVME).toBe(Buffer.from(await c.digest()).toString("base64"));
    expect(d2.ChecksumType).toBe("FULL_OBJECT");

    // SHA with FULL_OBJECT and CRC64NVME with COMPOSITE do not exist.
    expect((await failure(create("x", { ChecksumAlgorithm: "SHA1", ChecksumType: "FULL_OBJECT" }))).name).toBe("InvalidRequest");
    expect((await failure(create("x", { ChecksumAlgorithm: "CRC64NVME", ChecksumType: "COMPOSITE" }))).name).toBe("InvalidRequest");
  });

  it("UploadPartCopy with ranges rebuilds an object", async () => {
    const src = randomBytes(6 * MiB + 5);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "copy/src.bin", Body: src }));
    const id = await create("copy/dst.bin");
    const c1 = await s3.send(
      new UploadPartCopyCommand({ Bucket: B, Key: "copy/dst.bin", UploadId: id, PartNumber: 1, CopySource: `${B}/copy/src.bin`, CopySourceRange: `bytes=0-${5 * MiB - 1}` }),
    );
    const c2 = await s3.send(
      new UploadPartCopyCommand({
        Bucket: B,
        Key: "copy/dst.bin",
        UploadId: id,
        PartNumber: 2,
        CopySource: `${B}/copy/src.bin`,
        CopySourceRange: `bytes=${5 * MiB}-${src.length - 1}`,
      }),
    );
    expect(c1.CopyPartResult?.ETag).toBe(`"${md5hex(src.subarray(0, 5 * MiB))}"`);
    const bad = await failure(
      s3.send(new UploadPartCopyCommand({ Bucket: B, Key: "copy/dst.bin", UploadId: id, PartNumber: 3, CopySource: `${B}/copy/src.bin`, CopySourceRange: `bytes=0-${src.length}` })),
    );
    expect(bad.status).toBe(416);
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: "copy/dst.bin",
        UploadId: id,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: c1.CopyPartResult!.ETag }, { PartNumber: 2, ETag: c2.CopyPartResult!.ETag }] },
      }),
    );
    const got = await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: "copy/dst.bin" })));
    expect(got.equals(src)).toBe(true);
  });

  it("ListMultipartUploads with prefix, delimiter and markers", async () => {
    const ids: Record<string, string> = {};
    for (const k of ["lmu/a", "lmu/b", "lmu/b", "lmu/dir/x", "lmu/dir/y", "lmu/c"]) {
      const id = await create(k);
      ids[k] = ids[k] ? `${ids[k]},${id}` : id;
    }
    const all = await s3.send(new ListMultipartUploadsCommand({ Bucket: B, Prefix: "lmu/" }));
    expect(all.Uploads?.map((u) => u.Key)).toEqual(["lmu/a", "lmu/b", "lmu/b", "lmu/c", "lmu/dir/x", "lmu/dir/y"]);
    expect(all.Uploads?.[1]?.UploadId).toBe(ids["lmu/b"]!.split(",")[0]);
    const grouped = await s3.send(new ListMultipartUploadsCommand({ Bucket: B, Prefix: "lmu/", Delimiter: "/" }));
    expect(grouped.Uploads?.map((u) => u.Key)).toEqual(["lmu/a", "lmu/b", "lmu/b", "lmu/c"]);
    expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["lmu/dir/"]);

    const p1 = await s3.send(new ListMultipartUploadsCommand({ Bucket: B, Prefix: "lmu/", MaxUploads: 2 }));
    expect(p1.IsTruncated).toBe(true);
    expect(p1.Uploads?.map((u) => u.Key)).toEqual(["lmu/a", "lmu/b"]);
    expect(p1.NextKeyMarker).toBe("lmu/b");
    const p2 = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: B, Prefix: "lmu/", MaxUploads: 2, KeyMarker: p1.NextKeyMarker, UploadIdMarker: p1.NextUploadIdMarker }),
    );
    expect(p2.Uploads?.map((u) => u.Key)).toEqual(["lmu/b", "lmu/c"]);
    const p3 = await s3.send(new ListMultipartUploadsCommand({ Bucket: B, Prefix: "lmu/", KeyMarker: "lmu/b" }));
    expect(p3.Uploads?.map((u) => u.Key)).toEqual(["lmu/c", "lmu/dir/x", "lmu/dir/y"]);

    for (const [k, v] of Object.entries(ids)) {
      for (const id of v.split(",")) await s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: k, UploadId: id }));
    }
    const none = await s3.send(new ListMultipartUploadsCommand({ Bucket: B, Prefix: "lmu/" }));
    expect(none.Uploads ?? []).toEqual([]);
  });

  it("bad completions: InvalidPart, InvalidPartOrder, EntityTooSmall, MalformedXML, NoSuchUpload", async () => {
    const key = "bad.bin";
    const id = await create(key);
    const small = randomBytes(100);
    const r1 = await part(key, id, 1, small);
    const r2 = await part(key, id, 2, small);
    const complete = (parts: Array<{ PartNumber: number; ETag?: string }>, uploadId = id) =>
      s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));

    expect((await failure(complete([{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }]))).name).toBe("InvalidPart");
    expect((await failure(complete([{ PartNumber: 3, ETag: r1.ETag }]))).name).toBe("InvalidPart");
    expect((await failure(complete([{ PartNumber: 2, ETag: r2.ETag }, { PartNumber: 1, ETag: r1.ETag }]))).name).toBe("InvalidPartOrder");
    const tooSmall = await failure(complete([{ PartNumber: 1, ETag: r1.ETag }, { PartNumber: 2, ETag: r2.ETag }]));
    expect([tooSmall.name, tooSmall.status]).toEqual(["EntityTooSmall", 400]);
    expect((await failure(complete([]))).name).toBe("MalformedXML");
    expect((await failure(part(key, id, 0, small))).name).toBe("InvalidArgument");
    expect((await failure(part(key, id, 10001, small))).name).toBe("InvalidArgument");

    // One small part alone is fine (the last part has no minimum).
    const ok = await complete([{ PartNumber: 2, ETag: r2.ETag }]);
    expect(ok.ETag).toBe(multipartEtag([small]));
    expect((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: key })))).equals(small)).toBe(true);
    // Completed: the upload is gone (a retried completion gets the same answer: see below).
    expect((await complete([{ PartNumber: 2, ETag: r2.ETag }])).ETag).toBe(ok.ETag);
    expect((await failure(part(key, id, 3, small))).name).toBe("NoSuchUpload");
    expect((await failure(s3.send(new ListPartsCommand({ Bucket: B, Key: key, UploadId: id })))).name).toBe("NoSuchUpload");

    const id2 = await create(key);
    await part(key, id2, 1, small);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: key, UploadId: id2 }));
    const gone = await failure(part(key, id2, 1, small));
    expect([gone.name, gone.status]).toEqual(["NoSuchUpload", 404]);
    expect((await failure(s3.send(new ListPartsCommand({ Bucket: B, Key: key, UploadId: id2 })))).name).toBe("NoSuchUpload");
    expect((await failure(s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: key, UploadId: id2 })))).name).toBe("NoSuchUpload");
    expect((await failure(complete([{ PartNumber: 1, ETag: r1.ETag }], id2))).name).toBe("NoSuchUpload");
    expect((await failure(complete([{ PartNumber: 1, ETag: r1.ETag }], "not-an-upload"))).name).toBe("NoSuchUpload");
    // The key's object is untouched by the aborted upload.
    expect((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: key })))).equals(small)).toBe(true);
  });

  it("a retried completion gets the first one's answer for an hour, also when it arrives while the first still runs", async () => {
    const own = await startTestNimbus();
    try {
      const c = s3Client(own);
      await c.send(new CreateBucketCommand({ Bucket: "retried" }));
      await c.send(new PutBucketVersioningCommand({ Bucket: "retried", VersioningConfiguration: { Status: "Enabled" } }));
      const data = randomBytes(6 * MiB);
      const upload = async (key: string) => {
        const id = (await c.send(new CreateMultipartUploadCommand({ Bucket: "retried", Key: key }))).UploadId!;
        const p1 = await c.send(new UploadPartCommand({ Bucket: "retried", Key: key, UploadId: id, PartNumber: 1, Body: data.subarray(0, 5 * MiB) }));
        const p2 = await c.send(new UploadPartCommand({ Bucket: "retried", Key: key, UploadId: id, PartNumber: 2, Body: data.subarray(5 * MiB) }));
        const parts = [
          { PartNumber: 1, ETag: p1.ETag },
          { PartNumber: 2, ETag: p2.ETag },
        ];
        return { id, complete: (k = key) => c.send(new CompleteMultipartUploadCommand({ Bucket: "retried", Key: k, UploadId: id, MultipartUpload: { Parts: parts } })) };
      };

      // One after the other: the same ETag, checksum and version id, and still one version.
      const a = await upload("a.bin");
      const first = await a.complete();
      const again = await a.complete();
      expect(again.ETag).toBe(first.ETag);
      expect(again.VersionId).toBe(first.VersionId);
      expect(again.ChecksumCRC64NVME).toBe(first.ChecksumCRC64NVME);
      expect(again.Location).toBe(first.Location);
      const versions = await c.send(new ListObjectVersionsCommand({ Bucket: "retried", Prefix: "a.bin" }));
      expect(versions.Versions?.map((v) => v.VersionId)).toEqual([first.VersionId]);
      // Only for that key; aborting a completed upload is still NoSuchUpload.
      expect((await failure(a.complete("other.bin"))).name).toBe("NoSuchUpload");
      expect((await failure(c.send(new AbortMultipartUploadCommand({ Bucket: "retried", Key: "a.bin", UploadId: a.id })))).name).toBe("NoSuchUpload");

      // Both at once (a client retrying while the first copy runs): both succeed alike.
      const b = await upload("b.bin");
      const [x, y] = await Promise.all([b.complete(), b.complete()]);
      expect(y.ETag).toBe(x.ETag);
      expect(y.VersionId).toBe(x.VersionId);
      const bv = await c.send(new ListObjectVersionsCommand({ Bucket: "retried", Prefix: "b.bin" }));
      expect(bv.Versions?.length).toBe(1);
      expect((await bodyOf(await c.send(new GetObjectCommand({ Bucket: "retried", Key: "b.bin" })))).equals(data)).toBe(true);

      // An hour later the upload id is unknown again.
      own.clock.advance(3601);
      expect((await failure(a.complete())).name).toBe("NoSuchUpload");
    } finally {
      await own.stop();
    }
  });

  it("a long completion or copy answers 200 at once, sends spaces, then the result or the error", async () => {
    // Keep-alive from the first millisecond, a space every 5 ms: every completion takes this path.
    const saved = [process.env.NIMBUS_S3_KEEPALIVE_AFTER_MS, process.env.NIMBUS_S3_KEEPALIVE_EVERY_MS];
    process.env.NIMBUS_S3_KEEPALIVE_AFTER_MS = "0";
    process.env.NIMBUS_S3_KEEPALIVE_EVERY_MS = "5";
    const own = await startTestNimbus();
    try {
      const c = s3Client(own);
      await c.send(new CreateBucketCommand({ Bucket: "slow" }));
      const data = randomBytes(8 * MiB);
      const whole = (key: string, extra: Record<string, unknown> = {}) =>
        c.send(new CreateMultipartUploadCommand({ Bucket: "slow", Key: key, ChecksumAlgorithm: "CRC32", ChecksumType: "FULL_OBJECT", ...extra })).then(async (u) => {
          const p1 = await c.send(new UploadPartCommand({ Bucket: "slow", Key: key, UploadId: u.UploadId, PartNumber: 1, Body: data.subarray(0, 5 * MiB), ChecksumAlgorithm: "CRC32" }));
          const p2 = await c.send(new UploadPartCommand({ Bucket: "slow", Key: key, UploadId: u.UploadId, PartNumber: 2, Body: data.subarray(5 * MiB), ChecksumAlgorithm: "CRC32" }));
          return { id: u.UploadId!, parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] };
        });

      // SDK v3: the result arrives in the 200's body.
      const a = await whole("a.bin");
      const done = await c.send(
        new CompleteMultipartUploadCommand({ Bucket: "slow", Key: "a.bin", UploadId: a.id, ChecksumCRC32: crc32b64(data), ChecksumType: "FULL_OBJECT", MultipartUpload: { Parts: a.parts } }),
      );
      expect(done.ETag).toBe(multipartEtag([data.subarray(0, 5 * MiB), data.subarray(5 * MiB)]));
      expect(done.ChecksumCRC32).toBe(crc32b64(data));
      expect((await bodyOf(await c.send(new GetObjectCommand({ Bucket: "slow", Key: "a.bin" })))).equals(data)).toBe(true);

      // On the wire: 200, the XML declaration first, spaces, then the document.
      const b = await whole("b.bin");
      const xml = `<CompleteMultipartUpload>${b.parts.map((p) => `<Part><PartNumber>${p.PartNumber}</PartNumber><ETag>${p.ETag}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
      const raw = await rawS3(own, { method: "POST", path: "/slow/b.bin", query: { uploadId: b.id }, body: xml });
      expect(raw.status).toBe(200);
      const text = raw.body.toString("utf8");
      expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n *<CompleteMultipartUploadResult/);
      expect(raw.headers["content-length"]).toBeUndefined();

      // An error found after the copy (the whole-object checksum) comes as an error document in
      // the 200, which the SDK turns into the error.
      const d = await whole("d.bin");
      const bad = await failure(
        c.send(new CompleteMultipartUploadCommand({ Bucket: "slow", Key: "d.bin", UploadId: d.id, ChecksumCRC32: crc32b64(Buffer.from("other")), ChecksumType: "FULL_OBJECT", MultipartUpload: { Parts: d.parts } })),
      );
      expect(bad.name).toBe("BadDigest");
      expect((await failure(c.send(new HeadObjectCommand({ Bucket: "slow", Key: "d.bin" })))).name).toBe("NotFound");
      const e = await whole("e.bin");
      const exml = `<CompleteMultipartUpload>${e.parts.map((p) => `<Part><PartNumber>${p.PartNumber}</PartNumber><ETag>${p.ETag}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
      const rawBad = await rawS3(own, { method: "POST", path: "/slow/e.bin", query: { uploadId: e.id }, headers: { "x-amz-checksum-crc32": crc32b64(Buffer.from("other")), "x-amz-checksum-type": "FULL_OBJECT" }, body: exml });
      expect(rawBad.status).toBe(200);
      expect(rawBad.body.toString("utf8")).toMatch(/^<\?xml[^>]*\?>\n *<Error><Code>BadDigest<\/Code>/);

      // CopyObject takes the same path.
      const copied = await c.send(new CopyObjectCommand({ Bucket: "slow", Key: "copy.bin", CopySource: "slow/a.bin" }));
      expect(copied.CopyObjectResult?.ETag).toBeTruthy();
      expect((await bodyOf(await c.send(new GetObjectCommand({ Bucket: "slow", Key: "copy.bin" })))).equals(data)).toBe(true);

      // The AWS CLI (botocore) and boto3 read such answers too.
      const file = join(dir, "slow-cli.bin");
      const big = randomBytes(20 * MiB);
      await writeFile(file, big);
      const cp = await awsCli(own, ["s3", "cp", file, "s3://slow/cli.bin"]);
      expect(cp.code, cp.stderr).toBe(0);
      const back = await c.send(new GetObjectCommand({ Bucket: "slow", Key: "cli.bin" }));
      expect((await bodyOf(back)).equals(big)).toBe(true);
    } finally {
      await own.stop();
      for (const [i, name] of ["NIMBUS_S3_KEEPALIVE_AFTER_MS", "NIMBUS_S3_KEEPALIVE_EVERY_MS"].entries()) {
        if (saved[i] === undefined) delete process.env[name];
        else process.env[name] = saved[i];
      }
    }
  });

  it("DeleteBucket takes uploads in progress with it: a bucket made again under the name has none", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "gone-with-uploads" }));
    const id = (await s3.send(new CreateMultipartUploadCommand({ Bucket: "gone-with-uploads", Key: "k" }))).UploadId!;
    await s3.send(new UploadPartCommand({ Bucket: "gone-with-uploads", Key: "k", UploadId: id, PartNumber: 1, Body: randomBytes(100 * 1024) }));
    const before = await blobFiles();
    await s3.send(new DeleteBucketCommand({ Bucket: "gone-with-uploads" }));
    await eventually(async () => (await blobFiles()) === before - 1);
    await s3.send(new CreateBucketCommand({ Bucket: "gone-with-uploads" }));
    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: "gone-with-uploads" }));
    expect(listed.Uploads ?? []).toEqual([]);
    expect((await failure(s3.send(new ListPartsCommand({ Bucket: "gone-with-uploads", Key: "k", UploadId: id })))).name).toBe("NoSuchUpload");
    await s3.send(new DeleteBucketCommand({ Bucket: "gone-with-uploads" }));
  });

  it("completing on a versioned bucket adds a version", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "multipart-versions" }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: "multipart-versions", VersioningConfiguration: { Status: "Enabled" } }));
    const first = await s3.send(new PutObjectCommand({ Bucket: "multipart-versions", Key: "k", Body: "first" }));
    const c = await s3.send(new CreateMultipartUploadCommand({ Bucket: "multipart-versions", Key: "k" }));
    const p = await s3.send(new UploadPartCommand({ Bucket: "multipart-versions", Key: "k", UploadId: c.UploadId, PartNumber: 1, Body: "second" }));
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: "multipart-versions", Key: "k", UploadId: c.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.ETag }] } }),
    );
    expect(done.VersionId).toBeTruthy();
    expect(done.VersionId).not.toBe(first.VersionId);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: "multipart-versions" }));
    expect(versions.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([
      [done.VersionId, true],
      [first.VersionId, false],
    ]);
    const old = await bodyOf(await s3.send(new GetObjectCommand({ Bucket: "multipart-versions", Key: "k", VersionId: first.VersionId })));
    expect(old.toString()).toBe("first");
    expect((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: "multipart-versions", Key: "k" })))).toString()).toBe("second");
  });

  it("part checksums follow the upload's algorithm; re-uploaded parts replace; no part blobs outlive the upload", async () => {
    const key = "blobs.bin";
    const before = await blobFiles();
    const id = await create(key, { ChecksumAlgorithm: "CRC32" });
    const wrong = await failure(part(key, id, 1, Buffer.from("abc"), { ChecksumAlgorithm: "SHA256" }));
    expect(wrong.name).toBe("InvalidRequest");
    await part(key, id, 1, randomBytes(5 * MiB));
    const again = randomBytes(5 * MiB);
    const r1 = await part(key, id, 1, again);
    expect(r1.ChecksumCRC32).toBe(crc32b64(again));
    const r2 = await part(key, id, 2, Buffer.from("tail"));
    await eventually(async () => (await blobFiles()) === before + 2);
    const listed = await s3.send(new ListPartsCommand({ Bucket: B, Key: key, UploadId: id }));
    expect(listed.Parts?.map((p) => p.ETag)).toEqual([r1.ETag, r2.ETag]);
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: key,
        UploadId: id,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r1.ETag }, { PartNumber: 2, ETag: r2.ETag, ChecksumCRC32: r2.ChecksumCRC32 }] },
      }),
    );
    await eventually(async () => (await blobFiles()) === before + 1);
    const whole = await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: key })));
    expect(whole.equals(Buffer.concat([again, Buffer.from("tail")]))).toBe(true);

    const id2 = await create(key);
    await part(key, id2, 1, Buffer.from("x"));
    await part(key, id2, 7, Buffer.from("y"));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: key, UploadId: id2 }));
    await eventually(async () => (await blobFiles()) === before + 1);
  });

  it("a single empty part makes an empty object; If-None-Match guards completion", async () => {
    const id = await create("empty.bin");
    const r = await part("empty.bin", id, 1, Buffer.alloc(0));
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: B, Key: "empty.bin", UploadId: id, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r.ETag }] } }),
    );
    expect(done.ETag).toBe(multipartEtag([Buffer.alloc(0)]));
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "empty.bin" }));
    expect(got.ContentLength).toBe(0);
    // If-None-Match: * refuses to complete over an existing object.
    const id2 = await create("empty.bin");
    const r2 = await part("empty.bin", id2, 1, Buffer.from("new"));
    const refused = await failure(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: B,
          Key: "empty.bin",
          UploadId: id2,
          IfNoneMatch: "*",
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r2.ETag }] },
        }),
      ),
    );
    expect([refused.name, refused.status]).toEqual(["PreconditionFailed", 412]);
  });

  it("authorizes with s3:PutObject, s3:ListMultipartUploadParts, s3:AbortMultipartUpload and s3:ListBucketMultipartUploads", async () => {
    const iam = new IAMClient(sdkConfig(n));
    await iam.send(new CreateUserCommand({ UserName: "uploader" }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "uploader",
        PolicyName: "put-only",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${B}/auth/*` }] }),
      }),
    );
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: "uploader" }))).AccessKey!;
    const user = s3Client(n, { credentials: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! } });
    const c = await user.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "auth/obj" }));
    const p = await user.send(new UploadPartCommand({ Bucket: B, Key: "auth/obj", UploadId: c.UploadId, PartNumber: 1, Body: "hi" }));
    expect((await failure(user.send(new ListPartsCommand({ Bucket: B, Key: "auth/obj", UploadId: c.UploadId })))).name).toBe("AccessDenied");
    expect((await failure(user.send(new ListMultipartUploadsCommand({ Bucket: B })))).name).toBe("AccessDenied");
    expect((await failure(user.send(new AbortMultipartUploadCommand({ Bucket: B, Key: "auth/obj", UploadId: c.UploadId })))).name).toBe("AccessDenied");
    expect((await failure(user.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "elsewhere" })))).name).toBe("AccessDenied");
    await user.send(
      new CompleteMultipartUploadCommand({ Bucket: B, Key: "auth/obj", UploadId: c.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.ETag }] } }),
    );
    expect((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: "auth/obj" })))).toString()).toBe("hi");
  });
});

describe("raw requests", () => {
  it("answers with S3's XML roots and checks aws-chunked trailers and Content-MD5 on parts", async () => {
    const init = await rawS3(n, { method: "POST", path: `/${B}/raw.bin`, query: { uploads: "" } });
    expect(init.status).toBe(200);
    const xml = init.body.toString();
    expect(xml).toContain("<InitiateMultipartUploadResult");
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(xml)![1]!;

    const data = randomBytes(70_000);
    const chunkedPart = (trailer: string) =>
      rawS3(n, {
        method: "PUT",
        path: `/${B}/raw.bin`,
        query: { partNumber: "1", uploadId },
        headers: {
          "content-encoding": "aws-chunked",
          "x-amz-decoded-content-length": String(data.length),
          "x-amz-trailer": "x-amz-checksum-crc32",
        },
        body: awsChunked(data, { "x-amz-checksum-crc32": trailer }),
        payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      });
    const bad = await chunkedPart(crc32b64(Buffer.from("other")));
    expect([bad.status, errorCode(bad.body)]).toEqual([400, "BadDigest"]);
    const good = await chunkedPart(crc32b64(data));
    expect(good.status).toBe(200);
    expect(good.headers.etag).toBe(`"${md5hex(data)}"`);
    expect(good.headers["x-amz-checksum-crc32"]).toBe(crc32b64(data));

    const wrongMd5 = await rawS3(n, {
      method: "PUT",
      path: `/${B}/raw.bin`,
      query: { partNumber: "2", uploadId },
      headers: { "content-md5": md5b64("nope") },
      body: data,
    });
    expect([wrongMd5.status, errorCode(wrongMd5.body)]).toEqual([400, "BadDigest"]);

    const listed = await rawS3(n, { method: "GET", path: `/${B}/raw.bin`, query: { uploadId } });
    expect(listed.body.toString()).toContain("<ListPartsResult");
    const uploads = await rawS3(n, { method: "GET", path: `/${B}`, query: { uploads: "" } });
    expect(uploads.body.toString()).toContain("<ListMultipartUploadsResult");

    const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"${md5hex(data)}"</ETag></Part></CompleteMultipartUpload>`;
    const done = await rawS3(n, { method: "POST", path: `/${B}/raw.bin`, query: { uploadId }, body });
    expect(done.status).toBe(200);
    expect(done.body.toString()).toContain("<CompleteMultipartUploadResult");
    expect(done.body.toString()).toMatch(/-1(&quot;|")<\/ETag>/);
  });
});

describe("AWS CLI and boto3", () => {
  it("aws s3 cp of a 20 MiB file goes multipart and comes back identical", async () => {
    const data = randomBytes(20 * MiB);
    const src = join(dir, "twenty.bin");
    await writeFile(src, data);
    const up = await awsCli(n, ["s3", "cp", src, `s3://${B}/cli/twenty.bin`]);
    expect(up.code, up.stderr).toBe(0);
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "cli/twenty.bin" }));
    expect(head.ETag).toMatch(/-3"$/);
    expect(head.ContentLength).toBe(20 * MiB);
    const dst = join(dir, "twenty-back.bin");
    const down = await awsCli(n, ["s3", "cp", `s3://${B}/cli/twenty.bin`, dst]);
    expect(down.code, down.stderr).toBe(0);
    expect((await readFile(dst)).equals(data)).toBe(true);
  });

  it("boto3 upload_file / download_file with a TransferConfig forcing multipart", async () => {
    const data = randomBytes(11 * MiB + 3);
    const src = join(dir, "boto.bin");
    const dst = join(dir, "boto-back.bin");
    await writeFile(src, data);
    const r = await boto3(
      n,
      [
        "from boto3.s3.transfer import TransferConfig",
        "s3 = client('s3')",
        "tc = TransferConfig(multipart_threshold=5*1024*1024, multipart_chunksize=5*1024*1024)",
        `s3.upload_file(${JSON.stringify(src)}, ${JSON.stringify(B)}, 'boto/file.bin', Config=tc)`,
        `h = s3.head_object(Bucket=${JSON.stringify(B)}, Key='boto/file.bin')`,
        `s3.download_file(${JSON.stringify(B)}, 'boto/file.bin', ${JSON.stringify(dst)}, Config=tc)`,
        "print(json.dumps({'etag': h['ETag'], 'size': h['ContentLength']}))",
      ].join("\n"),
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.etag).toMatch(/-3"$/);
    expect(out.size).toBe(data.length);
    expect((await readFile(dst)).equals(data)).toBe(true);
  });
});
