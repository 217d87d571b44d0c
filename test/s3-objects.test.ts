/**
 * The S3 object API through SDK v3 (default checksum settings) and hand-made requests: PUT, GET,
 * HEAD, DELETE, DeleteObjects, CopyObject, ranges, conditional requests, metadata, storage
 * classes, tagging, GetObjectAttributes, checksums (header and trailer forms), and nothing left
 * behind by a failed upload.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createHash } from "node:crypto";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  DeleteObjectsCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { Nimbus } from "../src/index.js";
import { startTestNimbus } from "./helpers.js";
import { awsChunked, crc32b64, errorCode, failure, md5b64, rawS3, s3Client } from "./s3-objects-helpers.js";

let n: Nimbus;
let s3: S3Client;
const B = "objects";

beforeAll(async () => {
  n = await startTestNimbus();
  s3 = s3Client(n);
  await s3.send(new CreateBucketCommand({ Bucket: B }));
});
afterAll(async () => {
  await n.stop();
});

const text = async (p: Promise<{ Body?: { transformToString(): Promise<string> } }>) => (await (await p).Body!).transformToString();
const md5hex = (s: string | Buffer) => createHash("md5").update(s).digest("hex");

async function blobFiles(): Promise<number> {
  const dir = join(n.dataDir, "blobs");
  let count = 0;
  for (const shard of await readdir(dir)) {
    if (shard === "tmp") continue;
    count += (await readdir(join(dir, shard))).length;
  }
  return count;
}

describe("PutObject / GetObject / HeadObject", () => {
  it("stores bytes, system headers and user metadata, with an MD5 ETag and the SDK's CRC32", async () => {
    const body = "hello, objects";
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: B,
        Key: "docs/hello.txt",
        Body: body,
        ContentType: "text/plain",
        ContentEncoding: "identity",
        ContentDisposition: 'attachment; filename="hello.txt"',
        ContentLanguage: "en",
        CacheControl: "max-age=60",
        Expires: new Date("2030-01-01T00:00:00Z"),
        WebsiteRedirectLocation: "/elsewhere",
        Metadata: { colour: "blue", "two-words": "a b" },
      }),
    );
    expect(put.ETag).toBe(`"${md5hex(body)}"`);
    expect(put.ChecksumCRC32).toBe(crc32b64(Buffer.from(body)));
    expect(put.VersionId).toBeUndefined();

    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "docs/hello.txt" }));
    expect(await got.Body!.transformToString()).toBe(body);
    expect(got.ContentType).toBe("text/plain");
    expect(got.ContentEncoding).toBe("identity");
    expect(got.ContentDisposition).toBe('attachment; filename="hello.txt"');
    expect(got.ContentLanguage).toBe("en");
    expect(got.CacheControl).toBe("max-age=60");
    expect(got.Expires?.toISOString()).toBe("2030-01-01T00:00:00.000Z");
    expect(got.WebsiteRedirectLocation).toBe("/elsewhere");
    expect(got.Metadata).toEqual({ colour: "blue", "two-words": "a b" });
    expect(got.ContentLength).toBe(body.length);
    expect(got.ETag).toBe(put.ETag);
    expect(got.AcceptRanges).toBe("bytes");
    expect(got.ChecksumCRC32).toBe(put.ChecksumCRC32); // SDK v3 sends x-amz-checksum-mode: ENABLED
    expect(got.VersionId).toBeUndefined();

    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "docs/hello.txt" }));
    expect(head.ContentLength).toBe(body.length);
    expect(head.Metadata).toEqual({ colour: "blue", "two-words": "a b" });
    expect(head.StorageClass).toBeUndefined(); // STANDARD is not named
  });

  it("defaults Content-Type to binary/octet-stream when none is sent", async () => {
    const res = await rawS3(n, { method: "PUT", path: `/${B}/untyped`, body: "x" });
    expect(res.status).toBe(200);
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "untyped" }));
    expect(head.ContentType).toBe("binary/octet-stream");
  });

  it("keeps keys of any UTF-8 byte for byte (dots, percent, spaces, emoji, trailing slash)", async () => {
    const keys = ["../../etc/passwd", "100%.csv", "a b+c.txt", "emoji/😀.bin", "folder/", "ünïcödé/ß", "tab\there", "a//b", "?#[]@!$&'()*+,;="];
    for (const key of keys) {
      await s3.send(new PutObjectCommand({ Bucket: B, Key: `weird/${key}`, Body: `body of ${key}` }));
      expect(await text(s3.send(new GetObjectCommand({ Bucket: B, Key: `weird/${key}` })))).toBe(`body of ${key}`);
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: "weird/" }));
    const expected = keys.map((k) => `weird/${k}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(listed.Contents!.map((c) => c.Key)).toEqual(expected);
  });

  it("refuses keys over 1,024 bytes with KeyTooLongError", async () => {
    const e = await failure(s3.send(new PutObjectCommand({ Bucket: B, Key: "k".repeat(1025), Body: "x" })));
    expect([e.name, e.status]).toEqual(["KeyTooLongError", 400]);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "é".repeat(512), Body: "x" })); // 1,024 bytes exactly
  });

  it("answers NoSuchKey (GET) and 404 (HEAD) for a missing key, NoSuchBucket for a missing bucket", async () => {
    const e = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "absent" })));
    expect([e.name, e.status]).toEqual(["NoSuchKey", 404]);
    const h = await failure(s3.send(new HeadObjectCommand({ Bucket: B, Key: "absent" })));
    expect(h.status).toBe(404);
    const b = await failure(s3.send(new PutObjectCommand({ Bucket: "no-such-bucket-here", Key: "k", Body: "x" })));
    expect([b.name, b.status]).toEqual(["NoSuchBucket", 404]);
  });

  it("limits user metadata to 2 KB (MetadataTooLarge)", async () => {
    const e = await failure(s3.send(new PutObjectCommand({ Bucket: B, Key: "meta", Body: "x", Metadata: { big: "v".repeat(2048) } })));
    expect([e.name, e.status]).toEqual(["MetadataTooLarge", 400]);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "meta", Body: "x", Metadata: { big: "v".repeat(2040) } }));
  });

  it("keeps a storage class per object and refuses unknown ones (InvalidStorageClass)", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "cold", Body: "x", StorageClass: "STANDARD_IA" }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "cold" }))).StorageClass).toBe("STANDARD_IA");
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: "cold" }));
    expect(listed.Contents![0]!.StorageClass).toBe("STANDARD_IA");
    const e = await failure(s3.send(new PutObjectCommand({ Bucket: B, Key: "cold2", Body: "x", StorageClass: "FROZEN" as "STANDARD" })));
    expect([e.name, e.status]).toEqual(["InvalidStorageClass", 400]);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "archived", Body: "x", StorageClass: "GLACIER" }));
    const g = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "archived" })));
    expect([g.name, g.status]).toEqual(["InvalidObjectState", 403]);
  });

  it("needs a Content-Length (MissingContentLength)", async () => {
    const res = await rawS3(n, { method: "PUT", path: `/${B}/nolength`, payloadHash: "UNSIGNED-PAYLOAD", headers: { "transfer-encoding": "chunked" }, body: "abc" });
    expect([res.status, errorCode(res.body)]).toEqual([411, "MissingContentLength"]);
  });
});

describe("ranges", () => {
  const body = "0123456789abcdefghij";
  beforeAll(async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "ranged", Body: body }));
  });

  it("serves one range with 206 and Content-Range", async () => {
    for (const [range, want, cr] of [
      ["bytes=0-4", "01234", "bytes 0-4/20"],
      ["bytes=15-", "fghij", "bytes 15-19/20"],
      ["bytes=-3", "hij", "bytes 17-19/20"],
      ["bytes=18-100", "ij", "bytes 18-19/20"],
      ["bytes=-100", body, "bytes 0-19/20"],
    ] as const) {
      const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "ranged", Range: range }));
      expect(got.$metadata.httpStatusCode).toBe(206);
      expect(got.ContentRange).toBe(cr);
      expect(got.ContentLength).toBe(want.length);
      expect(await got.Body!.transformToString()).toBe(want);
    }
  });

  it("answers 416 InvalidRange outside the object, and the whole object for what it cannot parse", async () => {
    const e = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "ranged", Range: "bytes=20-30" })));
    expect([e.name, e.status]).toEqual(["InvalidRange", 416]);
    const whole = await s3.send(new GetObjectCommand({ Bucket: B, Key: "ranged", Range: "bytes=0-1,5-6" }));
    expect(whole.$metadata.httpStatusCode).toBe(200);
    expect(await whole.Body!.transformToString()).toBe(body);
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "ranged", Range: "bytes=2-3" }));
    expect(head.ContentLength).toBe(2);
  });
});

describe("conditional requests", () => {
  let etag: string;
  let modified: Date;
  beforeAll(async () => {
    etag = (await s3.send(new PutObjectCommand({ Bucket: B, Key: "cond", Body: "conditional" }))).ETag!;
    modified = (await s3.send(new HeadObjectCommand({ Bucket: B, Key: "cond" }))).LastModified!;
  });
  const past = () => new Date(modified.getTime() - 3600_000);
  const future = () => new Date(modified.getTime() + 3600_000);

  it("If-Match and If-None-Match: 412 and 304", async () => {
    expect(await text(s3.send(new GetObjectCommand({ Bucket: B, Key: "cond", IfMatch: etag })))).toBe("conditional");
    const e = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "cond", IfMatch: '"nope"' })));
    expect([e.name, e.status]).toEqual(["PreconditionFailed", 412]);
    const nm = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "cond", IfNoneMatch: etag })));
    expect(nm.status).toBe(304);
    const hm = await failure(s3.send(new HeadObjectCommand({ Bucket: B, Key: "cond", IfNoneMatch: etag })));
    expect(hm.status).toBe(304);
  });

  it("If-Modified-Since and If-Unmodified-Since: 304 and 412", async () => {
    const a = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "cond", IfModifiedSince: modified })));
    expect(a.status).toBe(304);
    expect((await s3.send(new GetObjectCommand({ Bucket: B, Key: "cond", IfModifiedSince: past() }))).$metadata.httpStatusCode).toBe(200);
    const b = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "cond", IfUnmodifiedSince: past() })));
    expect([b.name, b.status]).toEqual(["PreconditionFailed", 412]);
    expect((await s3.send(new GetObjectCommand({ Bucket: B, Key: "cond", IfUnmodifiedSince: future() }))).$metadata.httpStatusCode).toBe(200);
  });

  it("follows S3's precedence: If-Match beats If-Unmodified-Since, If-None-Match beats If-Modified-Since", async () => {
    const ok = await s3.send(new GetObjectCommand({ Bucket: B, Key: "cond", IfMatch: etag, IfUnmodifiedSince: past() }));
    expect(ok.$metadata.httpStatusCode).toBe(200);
    const nm = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "cond", IfNoneMatch: etag, IfModifiedSince: past() })));
    expect(nm.status).toBe(304);
    const fresh = await s3.send(new GetObjectCommand({ Bucket: B, Key: "cond", IfNoneMatch: '"other"', IfModifiedSince: future() }));
    expect(fresh.$metadata.httpStatusCode).toBe(200);
  });

  it("conditional writes: If-None-Match: * (412 when the key exists), If-Match (412 on mismatch, 404 when absent)", async () => {
    const e = await failure(s3.send(new PutObjectCommand({ Bucket: B, Key: "cond", Body: "again", IfNoneMatch: "*" })));
    expect([e.name, e.status]).toEqual(["PreconditionFailed", 412]);
    expect(await text(s3.send(new GetObjectCommand({ Bucket: B, Key: "cond" })))).toBe("conditional");
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "cond-new", Body: "first", IfNoneMatch: "*" }));
    const m = await failure(s3.send(new PutObjectCommand({ Bucket: B, Key: "cond", Body: "x", IfMatch: '"nope"' })));
    expect([m.name, m.status]).toEqual(["PreconditionFailed", 412]);
    const gone = await failure(s3.send(new PutObjectCommand({ Bucket: B, Key: "cond-absent", Body: "x", IfMatch: etag })));
    expect([gone.name, gone.status]).toEqual(["NoSuchKey", 404]);
    const swapped = await s3.send(new PutObjectCommand({ Bucket: B, Key: "cond-new", Body: "second", IfMatch: `"${md5hex("first")}"` }));
    expect(swapped.ETag).toBe(`"${md5hex("second")}"`);
  });

  it("of concurrent If-None-Match: * writers exactly one wins", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => s3.send(new PutObjectCommand({ Bucket: B, Key: "race-create", Body: `writer ${i}`, IfNoneMatch: "*" }))),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect(["PreconditionFailed", "ConditionalRequestConflict"]).toContain((r.reason as Error).name);
    }
  });
});

describe("checksums", () => {
  it("takes each algorithm the SDK computes and returns it with x-amz-checksum-mode", async () => {
    for (const alg of ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"] as const) {
      const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: `sum-${alg}`, Body: `checksummed by ${alg}`, ChecksumAlgorithm: alg }));
      const member = `Checksum${alg}` as const;
      expect(put[member]).toBeTruthy();
      const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: `sum-${alg}`, ChecksumMode: "ENABLED" }));
      expect(head[member]).toBe(put[member]);
      const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: `sum-${alg}`, ObjectAttributes: ["Checksum", "ETag", "ObjectSize", "StorageClass"] }));
      expect(attrs.Checksum?.[member]).toBe(put[member]);
      expect(attrs.ETag).toBe(put.ETag!.replace(/"/g, ""));
      expect(attrs.ObjectSize).toBe(`checksummed by ${alg}`.length);
      expect(attrs.StorageClass).toBe("STANDARD");
    }
    const sha = createHash("sha256").update("checksummed by SHA256").digest("base64");
    expect((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "sum-SHA256", ChecksumMode: "ENABLED" }))).ChecksumSHA256).toBe(sha);
  });

  it("refuses a wrong checksum header with BadDigest and stores nothing", async () => {
    const before = await blobFiles();
    const e = await failure(s3.send(new PutObjectCommand({ Bucket: B, Key: "bad-sum", Body: "data", ChecksumCRC32: crc32b64(Buffer.from("other")) })));
    expect([e.name, e.status]).toEqual(["BadDigest", 400]);
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket: B, Key: "bad-sum" })))).status).toBe(404);
    expect(await blobFiles()).toBe(before);
  });

  it("checks Content-MD5: BadDigest on mismatch, InvalidDigest when malformed", async () => {
    const body = Buffer.from("md5 me");
    const ok = await rawS3(n, { method: "PUT", path: `/${B}/md5-ok`, body, headers: { "content-md5": md5b64(body) } });
    expect(ok.status).toBe(200);
    const bad = await rawS3(n, { method: "PUT", path: `/${B}/md5-bad`, body, headers: { "content-md5": md5b64("else") } });
    expect([bad.status, errorCode(bad.body)]).toEqual([400, "BadDigest"]);
    const malformed = await rawS3(n, { method: "PUT", path: `/${B}/md5-bad`, body, headers: { "content-md5": "not-base64!" } });
    expect([malformed.status, errorCode(malformed.body)]).toEqual([400, "InvalidDigest"]);
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket: B, Key: "md5-bad" })))).status).toBe(404);
  });

  it("refuses malformed and multiple checksum headers (InvalidRequest)", async () => {
    const body = Buffer.from("x");
    const malformed = await rawS3(n, { method: "PUT", path: `/${B}/sum-bad`, body, headers: { "x-amz-checksum-crc32": "zz" } });
    expect([malformed.status, errorCode(malformed.body)]).toEqual([400, "InvalidRequest"]);
    const two = await rawS3(n, {
      method: "PUT",
      path: `/${B}/sum-bad`,
      body,
      headers: { "x-amz-checksum-crc32": crc32b64(body), "x-amz-checksum-sha1": createHash("sha1").update(body).digest("base64") },
    });
    expect([two.status, errorCode(two.body)]).toEqual([400, "InvalidRequest"]);
  });

  it("reads a trailing checksum of an aws-chunked body, and refuses a wrong one leaving nothing", async () => {
    const data = Buffer.alloc(200_000, 7);
    const headers = (trailer: string) => ({
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": String(data.length),
      "x-amz-trailer": trailer,
    });
    const good = await rawS3(n, {
      method: "PUT",
      path: `/${B}/trailer-ok`,
      body: awsChunked(data, { "x-amz-checksum-crc32": crc32b64(data) }),
      payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      headers: headers("x-amz-checksum-crc32"),
    });
    expect(good.status).toBe(200);
    expect(good.headers["x-amz-checksum-crc32"]).toBe(crc32b64(data));
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "trailer-ok" }));
    expect(head.ContentLength).toBe(data.length);
    expect(head.ContentEncoding).toBeUndefined(); // aws-chunked is framing, not stored

    const before = await blobFiles();
    const bad = await rawS3(n, {
      method: "PUT",
      path: `/${B}/trailer-bad`,
      body: awsChunked(data, { "x-amz-checksum-crc32": crc32b64(Buffer.from("nope")) }),
      payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      headers: headers("x-amz-checksum-crc32"),
    });
    expect([bad.status, errorCode(bad.body)]).toEqual([400, "BadDigest"]);
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket: B, Key: "trailer-bad" })))).status).toBe(404);
    expect(await blobFiles()).toBe(before);
  });

  it("streams large bodies through SDK v3's default aws-chunked CRC32 trailer", async () => {
    const { Readable } = await import("node:stream");
    const size = 5 * 1024 * 1024 + 123;
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 31) & 0xff;
    const put = await s3.send(
      new PutObjectCommand({ Bucket: B, Key: "big", Body: Readable.from([data.subarray(0, 3_000_000), data.subarray(3_000_000)]), ContentLength: size }),
    );
    expect(put.ChecksumCRC32).toBe(crc32b64(data));
    const got = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: B, Key: "big" }))).Body!.transformToByteArray());
    expect(got.equals(data)).toBe(true);
  });

  it("verifies stored bytes on read: a corrupted blob never reaches the client whole", async () => {
    // Big enough to live in a blob file (small blobs are rows of small-blobs.sqlite), with a size
    // no other test uses, so its file is found by size whether or not it is stored encrypted.
    const body = Buffer.alloc(100_003, 7);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "fragile", Body: body }));
    const dir = join(n.dataDir, "blobs");
    const { readFile, stat } = await import("node:fs/promises");
    let flipped = 0;
    for (const shard of await readdir(dir)) {
      if (shard === "tmp") continue;
      for (const f of await readdir(join(dir, shard))) {
        const p = join(dir, shard, f);
        const size = (await stat(p)).size;
        if (size < body.length || size > body.length + 4096) continue;
        const bytes = await readFile(p);
        bytes[50_000] = bytes[50_000]! ^ 0xff;
        await writeFile(p, bytes);
        flipped++;
      }
    }
    expect(flipped).toBe(1);
    const res = await s3.send(new GetObjectCommand({ Bucket: B, Key: "fragile" })).then(
      (r) => r.Body!.transformToByteArray(),
      (e: Error) => e,
    ).catch((e: Error) => e);
    expect(res).toBeInstanceOf(Error);
  });

  it("an upload cut off mid-body leaves nothing behind", async () => {
    const before = await blobFiles();
    const body = Buffer.alloc(1024 * 1024, 1);
    await rawS3(n, { method: "PUT", path: `/${B}/cut-off`, body, payloadHash: "UNSIGNED-PAYLOAD", abortAfter: 300_000 });
    await new Promise((r) => setTimeout(r, 200));
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket: B, Key: "cut-off" })))).status).toBe(404);
    expect(await blobFiles()).toBe(before);
    const tmp = await readdir(join(n.dataDir, "blobs", "tmp"));
    expect(tmp).toEqual([]);
  });
});

describe("DeleteObject / DeleteObjects", () => {
  it("deletes, and answers 204 for a key that is not there", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "to-delete", Body: "x" }));
    const del = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "to-delete" }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket: B, Key: "to-delete" })))).status).toBe(404);
    expect((await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "to-delete" }))).$metadata.httpStatusCode).toBe(204);
  });

  it("deletes up to 1,000 keys with per-key results, quietly when asked", async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `batch/${i}`);
    await Promise.all(keys.map((k) => s3.send(new PutObjectCommand({ Bucket: B, Key: k, Body: k }))));
    const res = await s3.send(
      new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [...keys.slice(0, 20).map((Key) => ({ Key })), { Key: "k".repeat(1100) }, { Key: "batch/x", VersionId: "bogus" }] } }),
    );
    expect(res.Deleted!.map((d) => d.Key).sort()).toEqual(keys.slice(0, 20).sort());
    expect(res.Errors!.map((e) => e.Code).sort()).toEqual(["InvalidArgument", "KeyTooLongError"]);
    const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: keys.slice(20).map((Key) => ({ Key })), Quiet: true } }));
    expect(quiet.Deleted).toBeUndefined();
    expect((await s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: "batch/" }))).KeyCount).toBe(0);
    const tooMany = await failure(
      s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: Array.from({ length: 1001 }, (_, i) => ({ Key: `k${i}` })) } })),
    );
    expect([tooMany.name, tooMany.status]).toEqual(["MalformedXML", 400]);
  });

  it("makes BucketNotEmpty real", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "not-empty" }));
    await s3.send(new PutObjectCommand({ Bucket: "not-empty", Key: "k", Body: "x" }));
    const e = await failure(s3.send(new DeleteBucketCommand({ Bucket: "not-empty" })));
    expect([e.name, e.status]).toEqual(["BucketNotEmpty", 409]);
    await s3.send(new DeleteObjectCommand({ Bucket: "not-empty", Key: "k" }));
    await s3.send(new DeleteBucketCommand({ Bucket: "not-empty" }));
  });
});

describe("CopyObject", () => {
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "copy-target" }));
    await s3.send(
      new PutObjectCommand({ Bucket: B, Key: "src.txt", Body: "copy me", ContentType: "text/plain", Metadata: { a: "1" }, Tagging: "t=1" }),
    );
  });

  it("copies bytes, metadata and tags across buckets (COPY directives)", async () => {
    const res = await s3.send(new CopyObjectCommand({ Bucket: "copy-target", Key: "dst.txt", CopySource: `${B}/src.txt` }));
    expect(res.CopyObjectResult?.ETag).toBe(`"${md5hex("copy me")}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: "copy-target", Key: "dst.txt" }));
    expect(await got.Body!.transformToString()).toBe("copy me");
    expect(got.ContentType).toBe("text/plain");
    expect(got.Metadata).toEqual({ a: "1" });
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: "copy-target", Key: "dst.txt" }))).TagSet).toEqual([{ Key: "t", Value: "1" }]);
  });

  it("replaces metadata and tags with REPLACE", async () => {
    await s3.send(
      new CopyObjectCommand({
        Bucket: "copy-target",
        Key: "replaced.txt",
        CopySource: `/${B}/src.txt`,
        MetadataDirective: "REPLACE",
        Metadata: { b: "2" },
        ContentType: "application/x-new",
        TaggingDirective: "REPLACE",
        Tagging: "u=2",
      }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: "copy-target", Key: "replaced.txt" }));
    expect(head.Metadata).toEqual({ b: "2" });
    expect(head.ContentType).toBe("application/x-new");
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: "copy-target", Key: "replaced.txt" }))).TagSet).toEqual([{ Key: "u", Value: "2" }]);
  });

  it("refuses a copy onto itself that changes nothing, allows one that does", async () => {
    const e = await failure(s3.send(new CopyObjectCommand({ Bucket: B, Key: "src.txt", CopySource: `${B}/src.txt` })));
    expect([e.name, e.status]).toEqual(["InvalidRequest", 400]);
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "src.txt", CopySource: `${B}/src.txt`, MetadataDirective: "REPLACE", Metadata: { a: "9" }, ContentType: "text/plain" }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "src.txt" }))).Metadata).toEqual({ a: "9" });
    expect(await text(s3.send(new GetObjectCommand({ Bucket: B, Key: "src.txt" })))).toBe("copy me");
  });

  it("honours x-amz-copy-source-if-* (412) and reports missing sources", async () => {
    const etag = `"${md5hex("copy me")}"`;
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "c1", CopySource: `${B}/src.txt`, CopySourceIfMatch: etag }));
    const a = await failure(s3.send(new CopyObjectCommand({ Bucket: B, Key: "c2", CopySource: `${B}/src.txt`, CopySourceIfMatch: '"x"' })));
    expect([a.name, a.status]).toEqual(["PreconditionFailed", 412]);
    const b = await failure(s3.send(new CopyObjectCommand({ Bucket: B, Key: "c2", CopySource: `${B}/src.txt`, CopySourceIfNoneMatch: etag })));
    expect([b.name, b.status]).toEqual(["PreconditionFailed", 412]);
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "c2", CopySource: `${B}/src.txt`, CopySourceIfModifiedSince: new Date(Date.now() - 3600_000) }));
    const c = await failure(s3.send(new CopyObjectCommand({ Bucket: B, Key: "c2", CopySource: `${B}/src.txt`, CopySourceIfUnmodifiedSince: new Date(Date.now() - 3600_000) })));
    expect([c.name, c.status]).toEqual(["PreconditionFailed", 412]);
    const missing = await failure(s3.send(new CopyObjectCommand({ Bucket: B, Key: "c3", CopySource: `${B}/absent` })));
    expect([missing.name, missing.status]).toEqual(["NoSuchKey", 404]);
    const badDirective = await failure(
      s3.send(new CopyObjectCommand({ Bucket: B, Key: "c3", CopySource: `${B}/src.txt`, MetadataDirective: "MERGE" as "COPY" })),
    );
    expect([badDirective.name, badDirective.status]).toEqual(["InvalidArgument", 400]);
  });
});

describe("object tagging", () => {
  it("sets tags with x-amz-tagging and the tagging API, within S3's limits", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "tagged", Body: "x", Tagging: "env=dev&team=core" }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "tagged" }))).TagSet).toEqual([
      { Key: "env", Value: "dev" },
      { Key: "team", Value: "core" },
    ]);
    expect((await s3.send(new GetObjectCommand({ Bucket: B, Key: "tagged" }))).TagCount).toBe(2);
    await s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: "tagged", Tagging: { TagSet: [{ Key: "only", Value: "one" }] } }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "tagged" }))).TagSet).toEqual([{ Key: "only", Value: "one" }]);
    const del = await s3.send(new DeleteObjectTaggingCommand({ Bucket: B, Key: "tagged" }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "tagged" }))).TagSet).toEqual([]);

    const eleven = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    const e = await failure(s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: "tagged", Tagging: { TagSet: eleven } })));
    expect([e.name, e.status]).toEqual(["BadRequest", 400]);
    const h = await failure(s3.send(new PutObjectCommand({ Bucket: B, Key: "tagged2", Body: "x", Tagging: eleven.map((t) => `${t.Key}=v`).join("&") })));
    expect([h.name, h.status]).toEqual(["BadRequest", 400]);
    const aws = await failure(s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: "tagged", Tagging: { TagSet: [{ Key: "aws:x", Value: "v" }] } })));
    expect([aws.name, aws.status]).toEqual(["InvalidTag", 400]);
    const dup = await failure(s3.send(new PutObjectCommand({ Bucket: B, Key: "tagged2", Body: "x", Tagging: "a=1&a=2" })));
    expect([dup.name, dup.status]).toEqual(["InvalidTag", 400]);
    const missing = await failure(s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "nope" })));
    expect([missing.name, missing.status]).toEqual(["NoSuchKey", 404]);
  });

  it("GetObjectAttributes refuses unknown attribute names", async () => {
    const e = await failure(s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: "tagged", ObjectAttributes: ["Colour" as "ETag"] })));
    expect([e.name, e.status]).toEqual(["InvalidArgument", 400]);
  });
});
