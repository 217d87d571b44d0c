/**
 * S3 encryption at rest: SSE-S3 by default, SSE-KMS / DSSE-KMS with key ids, bucket default
 * encryption, SSE-C (PUT/GET/HEAD/CopyObject/multipart, wrong and missing keys), range reads over
 * sealed chunks, corruption detected, objects stored before encryption still readable, and the
 * bytes on disk never holding the plaintext. Through SDK v3 (incl. lib-storage), the AWS CLI and
 * boto3.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, readdir, rm, stat, writeFile, open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { Nimbus } from "../src/index.js";
import { openStorage } from "../src/storage/index.js";
import { awsCli, boto3, startTestNimbus } from "./helpers.js";
import { errorCode, failure, rawS3, s3Client } from "./s3-objects-helpers.js";

let n: Nimbus;
let s3: S3Client;
let dataDir: string;
let work: string;
const B = "enc";
const KiB = 1024;
const MiB = 1024 * KiB;
const MARKER = Buffer.from("NIMBUS-PLAINTEXT-MARKER-0123456789:");

/** A body made of the marker repeated (easy to look for on disk), `size` bytes long. */
function marked(size: number, salt = ""): Buffer {
  const unit = Buffer.concat([MARKER, Buffer.from(salt)]);
  const out = Buffer.alloc(size);
  for (let o = 0; o < size; o += unit.length) unit.copy(out, o, 0, Math.min(unit.length, size - o));
  return out;
}

async function bodyOf(out: { Body?: unknown }): Promise<Buffer> {
  const body = out.Body as { transformToByteArray(): Promise<Uint8Array> };
  return Buffer.from(await body.transformToByteArray());
}

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else out.push(p);
  }
  return out;
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const CUSTOMER_KEY = Buffer.from("0123456789abcdef0123456789abcdef");
const OTHER_KEY = Buffer.from("fedcba9876543210fedcba9876543210");
const ssec = (key: Buffer) => ({ SSECustomerAlgorithm: "AES256", SSECustomerKey: key.toString("base64"), SSECustomerKeyMD5: createHash("md5").update(key).digest("base64") });

async function start(): Promise<void> {
  n = await startTestNimbus({ ephemeral: false, dataDir });
  s3 = s3Client(n);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "nimbus-enc-"));
  work = await mkdtemp(join(tmpdir(), "nimbus-enc-work-"));
  await start();
  await s3.send(new CreateBucketCommand({ Bucket: B }));
});

afterAll(async () => {
  await n?.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

describe("SSE-S3 (the default)", () => {
  it("encrypts every object; PUT, GET and HEAD say AES256; ranges over chunk boundaries read right", async () => {
    const data = randomBytes(300 * KiB + 7);
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: "default.bin", Body: data }));
    expect(put.ServerSideEncryption).toBe("AES256");
    expect(put.ETag).toBe(`"${createHash("md5").update(data).digest("hex")}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "default.bin" }));
    expect(got.ServerSideEncryption).toBe("AES256");
    expect(sha(await bodyOf(got))).toBe(sha(data));
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "default.bin" }));
    expect(head.ServerSideEncryption).toBe("AES256");
    expect(head.ContentLength).toBe(data.length);
    for (const [a, b] of [
      [0, 0],
      [65535, 65536],
      [65536, 65536 * 2 - 1],
      [1000, 250 * KiB],
      [data.length - 10, data.length - 1],
    ] as const) {
      const r = await s3.send(new GetObjectCommand({ Bucket: B, Key: "default.bin", Range: `bytes=${a}-${b}` }));
      expect(r.ContentRange).toBe(`bytes ${a}-${b}/${data.length}`);
      expect((await bodyOf(r)).equals(data.subarray(a, b + 1))).toBe(true);
    }
    const suffix = await s3.send(new GetObjectCommand({ Bucket: B, Key: "default.bin", Range: "bytes=-70000" }));
    expect((await bodyOf(suffix)).equals(data.subarray(data.length - 70000))).toBe(true);
  });

  it("empty and small objects round-trip", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "empty", Body: "" }));
    expect((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: "empty" })))).length).toBe(0);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "small", Body: "hello" }));
    const r = await s3.send(new GetObjectCommand({ Bucket: B, Key: "small", Range: "bytes=1-3" }));
    expect((await bodyOf(r)).toString()).toBe("ell");
  });

  it("keeps a 0600 master key in the data dir", async () => {
    const st = await stat(join(dataDir, "s3-master.key"));
    expect(st.mode & 0o777).toBe(0o600);
  });

  it("never writes the plaintext to disk (blob files, small-blob rows, WAL)", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "marked-large", Body: marked(2 * MiB) }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "marked-small", Body: marked(3 * KiB, "small") }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "marked-kms", Body: marked(100 * KiB, "kms"), ServerSideEncryption: "aws:kms" }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "marked-c", Body: marked(100 * KiB, "c"), ...ssec(CUSTOMER_KEY) }));
    const upload = new Upload({
      client: s3,
      params: { Bucket: B, Key: "marked-multipart", Body: marked(11 * MiB, "mp") },
      partSize: 5 * MiB,
    });
    await upload.done();
    const files = await allFiles(dataDir);
    expect(files.some((f) => f.endsWith("small-blobs.sqlite"))).toBe(true);
    for (const f of files) {
      const bytes = await readFile(f);
      expect(bytes.includes(MARKER), `plaintext found in ${f}`).toBe(false);
    }
    // ... and the objects still read back.
    expect((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: "marked-multipart" })))).equals(marked(11 * MiB, "mp"))).toBe(true);
  });

  it("detects a corrupted chunk: an error, never wrong bytes; other chunks still read", async () => {
    const before = new Set(await allFiles(join(dataDir, "blobs")));
    const data = randomBytes(200 * KiB);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "corrupt.bin", Body: data }));
    const added = (await allFiles(join(dataDir, "blobs"))).filter((f) => !before.has(f) && !f.startsWith(join(dataDir, "blobs", "tmp")));
    expect(added).toHaveLength(1);
    const fh = await open(added[0]!, "r+");
    try {
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, 70000); // inside the second sealed chunk
      b[0] = b[0]! ^ 0xff;
      await fh.write(b, 0, 1, 70000);
    } finally {
      await fh.close();
    }
    const first = await s3.send(new GetObjectCommand({ Bucket: B, Key: "corrupt.bin", Range: "bytes=0-1023" }));
    expect((await bodyOf(first)).equals(data.subarray(0, 1024))).toBe(true);
    await expect(
      (async () => bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: "corrupt.bin", Range: "bytes=66000-67000" }))))(),
    ).rejects.toThrow();
    await expect((async () => bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: "corrupt.bin" }))))()).rejects.toThrow();
  });
});

describe("SSE-KMS and bucket default encryption", () => {
  it("records the key id as an ARN (aws/s3 by default) and the bucket key flag", async () => {
    const def = await s3.send(new PutObjectCommand({ Bucket: B, Key: "kms-default", Body: "k", ServerSideEncryption: "aws:kms" }));
    expect(def.ServerSideEncryption).toBe("aws:kms");
    expect(def.SSEKMSKeyId).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\/[0-9a-f-]{36}$/);
    const again = await s3.send(new PutObjectCommand({ Bucket: B, Key: "kms-default-2", Body: "k", ServerSideEncryption: "aws:kms" }));
    expect(again.SSEKMSKeyId).toBe(def.SSEKMSKeyId);
    const keyId = "1234abcd-12ab-34cd-56ef-1234567890ab";
    const put = await s3.send(
      new PutObjectCommand({ Bucket: B, Key: "kms", Body: "secret", ServerSideEncryption: "aws:kms", SSEKMSKeyId: keyId, BucketKeyEnabled: true }),
    );
    expect(put.SSEKMSKeyId).toBe(`arn:aws:kms:us-east-1:000000000000:key/${keyId}`);
    expect(put.BucketKeyEnabled).toBe(true);
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "kms" }));
    expect(got.ServerSideEncryption).toBe("aws:kms");
    expect(got.SSEKMSKeyId).toBe(put.SSEKMSKeyId);
    expect(got.BucketKeyEnabled).toBe(true);
    expect((await bodyOf(got)).toString()).toBe("secret");
    const dsse = await s3.send(new PutObjectCommand({ Bucket: B, Key: "dsse", Body: "d", ServerSideEncryption: "aws:kms:dsse" }));
    expect(dsse.ServerSideEncryption).toBe("aws:kms:dsse");
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "dsse" }));
    expect(head.ServerSideEncryption).toBe("aws:kms:dsse");
    expect(head.SSEKMSKeyId).toBe(def.SSEKMSKeyId);
  });

  it("rejects a KMS key id without aws:kms and an unknown algorithm", async () => {
    const a = await failure(s3.send(new PutObjectCommand({ Bucket: B, Key: "bad", Body: "x", SSEKMSKeyId: "abc" })));
    expect([a.name, a.status]).toEqual(["InvalidArgument", 400]);
    const b = await failure(s3.send(new PutObjectCommand({ Bucket: B, Key: "bad", Body: "x", ServerSideEncryption: "AES128" as "AES256" })));
    expect([b.name, b.status]).toEqual(["InvalidArgument", 400]);
  });

  it("applies the bucket's default encryption to writes without headers", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "enc-kms-default" }));
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: "enc-kms-default",
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/my-key" }, BucketKeyEnabled: true }],
        },
      }),
    );
    const put = await s3.send(new PutObjectCommand({ Bucket: "enc-kms-default", Key: "o", Body: "body" }));
    expect(put.ServerSideEncryption).toBe("aws:kms");
    expect(put.SSEKMSKeyId).toBe("arn:aws:kms:us-east-1:000000000000:alias/my-key");
    expect(put.BucketKeyEnabled).toBe(true);
    // Explicit headers win over the default.
    const s3put = await s3.send(new PutObjectCommand({ Bucket: "enc-kms-default", Key: "p", Body: "body", ServerSideEncryption: "AES256" }));
    expect(s3put.ServerSideEncryption).toBe("AES256");
    expect(s3put.SSEKMSKeyId).toBeUndefined();
    // Copies and multipart uploads follow the default too.
    const copy = await s3.send(new CopyObjectCommand({ Bucket: "enc-kms-default", Key: "c", CopySource: `${B}/small` }));
    expect(copy.ServerSideEncryption).toBe("aws:kms");
    const up = new Upload({ client: s3, params: { Bucket: "enc-kms-default", Key: "mp", Body: randomBytes(6 * MiB) }, partSize: 5 * MiB });
    const done = (await up.done()) as { ServerSideEncryption?: string; SSEKMSKeyId?: string };
    expect(done.ServerSideEncryption).toBe("aws:kms");
    expect(done.SSEKMSKeyId).toBe("arn:aws:kms:us-east-1:000000000000:alias/my-key");
  });
});

describe("SSE-C", () => {
  it("needs the right key to read; wrong or missing keys get S3's errors", async () => {
    const data = randomBytes(150 * KiB);
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: "ssec.bin", Body: data, ...ssec(CUSTOMER_KEY) }));
    expect(put.SSECustomerAlgorithm).toBe("AES256");
    expect(put.SSECustomerKeyMD5).toBe(ssec(CUSTOMER_KEY).SSECustomerKeyMD5);
    expect(put.ServerSideEncryption).toBeUndefined();
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "ssec.bin", ...ssec(CUSTOMER_KEY) }));
    expect(got.SSECustomerKeyMD5).toBe(put.SSECustomerKeyMD5);
    expect((await bodyOf(got)).equals(data)).toBe(true);
    const ranged = await s3.send(new GetObjectCommand({ Bucket: B, Key: "ssec.bin", Range: "bytes=70000-70010", ...ssec(CUSTOMER_KEY) }));
    expect((await bodyOf(ranged)).equals(data.subarray(70000, 70011))).toBe(true);
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "ssec.bin", ...ssec(CUSTOMER_KEY) }));
    expect(head.SSECustomerAlgorithm).toBe("AES256");

    const missing = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "ssec.bin" })));
    expect([missing.name, missing.status]).toEqual(["InvalidRequest", 400]);
    const wrong = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "ssec.bin", ...ssec(OTHER_KEY) })));
    expect([wrong.name, wrong.status]).toEqual(["AccessDenied", 403]);
    const headWrong = await failure(s3.send(new HeadObjectCommand({ Bucket: B, Key: "ssec.bin", ...ssec(OTHER_KEY) })));
    expect(headWrong.status).toBe(403);
    const notApplicable = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "small", ...ssec(CUSTOMER_KEY) })));
    expect([notApplicable.name, notApplicable.status]).toEqual(["InvalidRequest", 400]);
    const attrs = await failure(s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: "ssec.bin", ObjectAttributes: ["ObjectSize"] })));
    expect(attrs.status).toBe(400);
  });

  it("checks the key's MD5 and length, and SSE-C with SSE together", async () => {
    const badMd5 = await rawS3(n, {
      method: "PUT",
      path: `/${B}/md5`,
      headers: {
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-server-side-encryption-customer-key": CUSTOMER_KEY.toString("base64"),
        "x-amz-server-side-encryption-customer-key-md5": createHash("md5").update(OTHER_KEY).digest("base64"),
      },
      body: "x",
    });
    expect([badMd5.status, errorCode(badMd5.body)]).toEqual([400, "InvalidArgument"]);
    const short = Buffer.from("short-key");
    const badLen = await rawS3(n, {
      method: "PUT",
      path: `/${B}/len`,
      headers: {
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-server-side-encryption-customer-key": short.toString("base64"),
        "x-amz-server-side-encryption-customer-key-md5": createHash("md5").update(short).digest("base64"),
      },
      body: "x",
    });
    expect([badLen.status, errorCode(badLen.body)]).toEqual([400, "InvalidArgument"]);
    const both = await failure(s3.send(new PutObjectCommand({ Bucket: B, Key: "both", Body: "x", ServerSideEncryption: "AES256", ...ssec(CUSTOMER_KEY) })));
    expect([both.name, both.status]).toEqual(["InvalidArgument", 400]);
  });

  it("CopyObject reads an SSE-C source with the copy-source key and re-encrypts as asked", async () => {
    const data = randomBytes(90 * KiB);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "c-src", Body: data, ...ssec(CUSTOMER_KEY) }));
    const noKey = await failure(s3.send(new CopyObjectCommand({ Bucket: B, Key: "c-dst", CopySource: `${B}/c-src` })));
    expect(noKey.status).toBe(400);
    const src = ssec(CUSTOMER_KEY);
    const copy = await s3.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: "c-dst",
        CopySource: `${B}/c-src`,
        CopySourceSSECustomerAlgorithm: src.SSECustomerAlgorithm,
        CopySourceSSECustomerKey: src.SSECustomerKey,
        CopySourceSSECustomerKeyMD5: src.SSECustomerKeyMD5,
        ...ssec(OTHER_KEY),
      }),
    );
    expect(copy.SSECustomerKeyMD5).toBe(ssec(OTHER_KEY).SSECustomerKeyMD5);
    expect((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: "c-dst", ...ssec(OTHER_KEY) })))).equals(data)).toBe(true);
    // In place: SSE-C to SSE-S3.
    const inPlace = await s3.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: "c-src",
        CopySource: `${B}/c-src`,
        CopySourceSSECustomerAlgorithm: src.SSECustomerAlgorithm,
        CopySourceSSECustomerKey: src.SSECustomerKey,
        CopySourceSSECustomerKeyMD5: src.SSECustomerKeyMD5,
        ServerSideEncryption: "AES256",
      }),
    );
    expect(inPlace.ServerSideEncryption).toBe("AES256");
    expect((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: "c-src" })))).equals(data)).toBe(true);
  });

  it("multipart uploads through lib-storage, parts and completion keyed by the customer key", async () => {
    const data = randomBytes(12 * MiB + 5);
    const up = new Upload({ client: s3, params: { Bucket: B, Key: "ssec-mp", Body: data, ...ssec(CUSTOMER_KEY) }, partSize: 5 * MiB });
    await up.done();
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "ssec-mp", ...ssec(CUSTOMER_KEY) }));
    expect(got.ETag).toMatch(/-3"$/);
    expect(sha(await bodyOf(got))).toBe(sha(data));
    const across = await s3.send(new GetObjectCommand({ Bucket: B, Key: "ssec-mp", Range: `bytes=${5 * MiB - 100}-${5 * MiB + 100}`, ...ssec(CUSTOMER_KEY) }));
    expect((await bodyOf(across)).equals(data.subarray(5 * MiB - 100, 5 * MiB + 101))).toBe(true);
    const part2 = await s3.send(new GetObjectCommand({ Bucket: B, Key: "ssec-mp", PartNumber: 2, ...ssec(CUSTOMER_KEY) }));
    expect((await bodyOf(part2)).equals(data.subarray(5 * MiB, 10 * MiB))).toBe(true);
    const missing = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "ssec-mp" })));
    expect(missing.status).toBe(400);
  });
});

describe("AWS CLI and boto3", () => {
  it("aws s3 cp --sse, --sse aws:kms and --sse-c round-trip", async () => {
    const src = join(work, "cli.bin");
    const data = randomBytes(9 * MiB);
    await writeFile(src, data);
    const kms = await awsCli(n, ["s3", "cp", src, `s3://${B}/cli-kms`, "--sse", "aws:kms", "--sse-kms-key-id", "alias/cli"]);
    expect(kms.code, kms.stderr).toBe(0);
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "cli-kms" }));
    expect(head.ServerSideEncryption).toBe("aws:kms");
    expect(head.SSEKMSKeyId).toBe("arn:aws:kms:us-east-1:000000000000:alias/cli");
    const s3sse = await awsCli(n, ["s3", "cp", src, `s3://${B}/cli-s3`, "--sse", "AES256"]);
    expect(s3sse.code, s3sse.stderr).toBe(0);
    const key = CUSTOMER_KEY.toString("utf8");
    const up = await awsCli(n, ["s3", "cp", src, `s3://${B}/cli-c`, "--sse-c", "AES256", "--sse-c-key", key]);
    expect(up.code, up.stderr).toBe(0);
    const dst = join(work, "cli.out");
    const down = await awsCli(n, ["s3", "cp", `s3://${B}/cli-c`, dst, "--sse-c", "AES256", "--sse-c-key", key]);
    expect(down.code, down.stderr).toBe(0);
    expect(sha(await readFile(dst))).toBe(sha(data));
    const noKey = await awsCli(n, ["s3api", "get-object", "--bucket", B, "--key", "cli-c", join(work, "nokey.out")]);
    expect(noKey.code).not.toBe(0);
  });

  it("boto3 upload_file / download_file with SSECustomerKey (multipart)", async () => {
    const src = join(work, "boto.bin");
    const data = randomBytes(11 * MiB);
    await writeFile(src, data);
    const dst = join(work, "boto.out");
    const r = await boto3(
      n,
      [
        "from boto3.s3.transfer import TransferConfig",
        "s3 = client('s3')",
        "tc = TransferConfig(multipart_threshold=5*1024*1024, multipart_chunksize=5*1024*1024)",
        "extra = {'SSECustomerAlgorithm': 'AES256', 'SSECustomerKey': '0123456789abcdef0123456789abcdef'}",
        `s3.upload_file(${JSON.stringify(src)}, ${JSON.stringify(B)}, 'boto-c', ExtraArgs=extra, Config=tc)`,
        `s3.download_file(${JSON.stringify(B)}, 'boto-c', ${JSON.stringify(dst)}, ExtraArgs=extra, Config=tc)`,
        `h = s3.head_object(Bucket=${JSON.stringify(B)}, Key='boto-c', **extra)`,
        "try:",
        `    s3.head_object(Bucket=${JSON.stringify(B)}, Key='boto-c')`,
        "    status = 200",
        "except botocore.exceptions.ClientError as e:",
        "    status = e.response['ResponseMetadata']['HTTPStatusCode']",
        "print(json.dumps({'alg': h.get('SSECustomerAlgorithm'), 'etag': h['ETag'], 'nokey': status}))",
      ].join("\n"),
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.alg).toBe("AES256");
    expect(out.etag).toMatch(/-3"$/);
    expect(out.nokey).toBe(400);
    expect(sha(await readFile(dst))).toBe(sha(data));
  });
});

describe("objects stored before encryption, and restarts", () => {
  it("reads an object stored unencrypted (no encryption record) and keeps the master key over a restart", async () => {
    const enc = await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: "default.bin" })));
    await n.stop();
    // Write an old-style object: plaintext blob, SHA-256 recorded, no sse/nonce.
    const storage = await openStorage({ dataDir });
    try {
      const plain = Buffer.from("stored before encryption existed ".repeat(5000));
      const info = await storage.blobs.put(plain);
      const now = new Date().toISOString();
      await storage.metadata.table({ account: "000000000000", region: "us-east-1", service: "s3" }, `objects:${B}`).put("legacy.txt", {
        versionId: "null",
        sortId: "0".repeat(32),
        lastModified: now,
        owner: "000000000000",
        blob: info.id,
        size: info.size,
        etag: `"${info.md5}"`,
        sha256: info.sha256,
        contentType: "text/plain",
        serverSideEncryption: "AES256",
      });
    } finally {
      await storage.close();
    }
    await start();
    const legacy = await s3.send(new GetObjectCommand({ Bucket: B, Key: "legacy.txt" }));
    expect(legacy.ServerSideEncryption).toBe("AES256");
    expect((await bodyOf(legacy)).toString()).toBe("stored before encryption existed ".repeat(5000));
    const range = await s3.send(new GetObjectCommand({ Bucket: B, Key: "legacy.txt", Range: "bytes=0-5" }));
    expect((await bodyOf(range)).toString()).toBe("stored");
    // Encrypted objects written before the restart still open (same master key).
    const again = await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: "default.bin" })));
    expect(again.equals(enc)).toBe(true);
    expect((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: "ssec.bin", ...ssec(CUSTOMER_KEY) })))).length).toBe(150 * KiB);
  });
});
