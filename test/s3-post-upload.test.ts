/** S3 browser-based uploads: an HTML form POSTed with a signed policy, built the way a browser does. */
import { createHmac } from "node:crypto";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Client, CreateBucketCommand, GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import type { Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";

const BUCKET = "post-uploads";
let n: Nimbus;
let s3: S3Client;

beforeAll(async () => {
  n = await startTestNimbus();
  s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  await n.stop();
});

/** Independent of the server: SigV4 signing key, then HMAC of the base64 policy. */
function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

interface FormOptions {
  key?: string;
  conditions?: unknown[];
  expiration?: Date;
  fields?: Record<string, string>;
  secret?: string;
  accessKeyId?: string;
}

/** The fields a server-side page would hand a browser: policy, credential, date, signature. */
function signedFields(opts: FormOptions): Record<string, string> {
  const now = new Date();
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const date = amzDate.slice(0, 8);
  const accessKeyId = opts.accessKeyId ?? n.credentials.accessKeyId;
  const credential = `${accessKeyId}/${date}/${n.region}/s3/aws4_request`;
  const fields: Record<string, string> = {
    key: opts.key ?? "uploads/${filename}",
    "x-amz-algorithm": "AWS4-HMAC-SHA256",
    "x-amz-credential": credential,
    "x-amz-date": amzDate,
    ...opts.fields,
  };
  const conditions = opts.conditions ?? [
    { bucket: BUCKET },
    ["starts-with", "$key", "uploads/"],
    ...Object.entries(fields)
      .filter(([k]) => k !== "key")
      .map(([k, v]) => ({ [k]: v })),
  ];
  const policy = Buffer.from(
    JSON.stringify({ expiration: (opts.expiration ?? new Date(Date.now() + 10 * 60_000)).toISOString(), conditions }),
  ).toString("base64");
  const secret = opts.secret ?? n.credentials.secretAccessKey;
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), n.region), "s3"), "aws4_request");
  return { ...fields, policy, "x-amz-signature": createHmac("sha256", signingKey).update(policy).digest("hex") };
}

/** A FormData as a browser builds it from a form: text fields in order, the file last. */
function form(fields: Record<string, string>, content: string | Uint8Array, filename = "photo.txt", type = "text/plain"): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append("file", new Blob([content], { type }), filename);
  return fd;
}

const post = (fd: FormData, url = `${n.endpoint}/${BUCKET}`) => fetch(url, { method: "POST", body: fd, redirect: "manual" });

async function read(key: string): Promise<string> {
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return got.Body!.transformToString();
}

describe("POST object with a signed policy", () => {
  it("stores the file under key with ${filename} replaced, answering 204", async () => {
    const fields = signedFields({
      fields: { "Content-Type": "text/plain", "x-amz-meta-origin": "browser" },
    });
    const res = await post(form(fields, "hello from a form", "greeting.txt"));
    expect(res.status).toBe(204);
    expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    expect(res.headers.get("location")).toBe(`${n.endpoint}/${BUCKET}/uploads/greeting.txt`);
    expect(await read("uploads/greeting.txt")).toBe("hello from a form");
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "uploads/greeting.txt" }));
    expect(head.ContentType).toBe("text/plain");
    expect(head.Metadata).toEqual({ origin: "browser" });
  });

  it("streams a large binary file and reads the same bytes back", async () => {
    const bytes = new Uint8Array(3 * 1024 * 1024 + 17);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
    const res = await post(form(signedFields({}), bytes, "big.bin", "application/octet-stream"));
    expect(res.status).toBe(204);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "uploads/big.bin" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.from(bytes))).toBe(true);
  });

  it("answers 201 with PostResponse XML, 200 empty, and 303 to success_action_redirect", async () => {
    const created = await post(form(signedFields({ fields: { success_action_status: "201" } }), "one", "a.txt"));
    expect(created.status).toBe(201);
    const xml = await created.text();
    expect(xml).toContain(`<Location>${n.endpoint}/${BUCKET}/uploads/a.txt</Location>`);
    expect(xml).toContain(`<Bucket>${BUCKET}</Bucket>`);
    expect(xml).toContain("<Key>uploads/a.txt</Key>");
    expect(xml).toMatch(/<ETag>&quot;[0-9a-f]{32}&quot;<\/ETag>/);

    const ok = await post(form(signedFields({ fields: { success_action_status: "200" } }), "two", "b.txt"));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("");

    const redirected = await post(
      form(signedFields({ fields: { success_action_redirect: "https://example.com/done?from=form" } }), "three", "c.txt"),
    );
    expect(redirected.status).toBe(303);
    const location = new URL(redirected.headers.get("location")!);
    expect(location.origin + location.pathname).toBe("https://example.com/done");
    expect(location.searchParams.get("from")).toBe("form");
    expect(location.searchParams.get("bucket")).toBe(BUCKET);
    expect(location.searchParams.get("key")).toBe("uploads/c.txt");
    expect(location.searchParams.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await read("uploads/c.txt")).toBe("three");
  });

  it("works virtual-host style", async () => {
    // fetch will not send a Host of our choosing; encode the form as fetch would and send it with node:http.
    const encoded = new Response(form(signedFields({}), "vhost", "v.txt"));
    const bytes = Buffer.from(await encoded.arrayBuffer());
    const port = new URL(n.endpoint).port;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/",
          headers: { host: `${BUCKET}.s3.localhost:${port}`, "content-type": encoded.headers.get("content-type")!, "content-length": bytes.length },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on("error", reject);
      req.end(bytes);
    });
    expect(status).toBe(204);
    expect(await read("uploads/v.txt")).toBe("vhost");
  });

  it("refuses an expired policy", async () => {
    const res = await post(form(signedFields({ expiration: new Date(Date.now() - 1000) }), "late"));
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(body).toContain("<Code>AccessDenied</Code>");
    expect(body).toContain("Invalid according to Policy: Policy expired.");
  });

  it("refuses a key outside the policy's starts-with, and fields the policy does not cover", async () => {
    const fields = signedFields({ key: "elsewhere/${filename}" });
    const res = await post(form(fields, "nope"));
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(body).toContain("<Code>AccessDenied</Code>");
    expect(body).toContain('Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]');

    const extra = await post(form({ ...signedFields({}), "x-amz-meta-sneaky": "yes" }, "nope"));
    expect(extra.status).toBe(403);
    expect(await extra.text()).toContain("Invalid according to Policy: Extra input fields: x-amz-meta-sneaky");

    const wrongBucket = signedFields({ conditions: [{ bucket: "another-bucket" }, ["starts-with", "$key", ""], ["starts-with", "$x-amz-", ""]] });
    const wb = await post(form(wrongBucket, "nope"));
    expect(wb.status).toBe(403);
    expect(await wb.text()).toContain('Policy Condition failed: ["eq", "$bucket", "another-bucket"]');
  });

  it("enforces content-length-range while the file streams", async () => {
    const base = (min: number, max: number) =>
      signedFields({
        conditions: [
          { bucket: BUCKET },
          ["starts-with", "$key", "uploads/"],
          ["content-length-range", min, max],
          ["starts-with", "$x-amz-algorithm", ""],
          ["starts-with", "$x-amz-credential", ""],
          ["starts-with", "$x-amz-date", ""],
        ],
      });
    const big = await post(form(base(1, 10), "this is more than ten bytes", "too-big.txt"));
    expect(big.status).toBe(400);
    expect(await big.text()).toContain("<Code>EntityTooLarge</Code>");
    const small = await post(form(base(5, 10), "abc", "too-small.txt"));
    expect(small.status).toBe(400);
    expect(await small.text()).toContain("<Code>EntityTooSmall</Code>");
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "uploads/too-big.txt" }))).rejects.toThrow();
    const fits = await post(form(base(1, 10), "fits", "fits.txt"));
    expect(fits.status).toBe(204);
    expect(await read("uploads/fits.txt")).toBe("fits");
  });

  it("refuses a wrong signature and an unknown access key", async () => {
    const bad = await post(form(signedFields({ secret: "not-the-secret" }), "nope"));
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    const unknown = await post(form(signedFields({ accessKeyId: "AKIAUNKNOWNKEY000000" }), "nope"));
    expect(unknown.status).toBe(403);
    expect(await unknown.text()).toContain("<Code>InvalidAccessKeyId</Code>");
  });

  it("authorizes the signer for s3:PutObject on the object", async () => {
    const iam = new IAMClient(sdkConfig(n));
    await iam.send(new CreateUserCommand({ UserName: "uploader" }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "uploader" }))).AccessKey!;
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "uploader",
        PolicyName: "put-uploads",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${BUCKET}/uploads/allowed/*` }],
        }),
      }),
    );
    const as = { accessKeyId: key.AccessKeyId!, secret: key.SecretAccessKey! };
    const denied = await post(form(signedFields({ ...as, key: "uploads/other/${filename}" }), "nope"));
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain("<Code>AccessDenied</Code>");
    const allowed = await post(form(signedFields({ ...as, key: "uploads/allowed/${filename}" }), "user upload", "u.txt"));
    expect(allowed.status).toBe(204);
    expect(await read("uploads/allowed/u.txt")).toBe("user upload");
  });

  it("refuses an anonymous form upload to a private bucket and a form without a file", async () => {
    const anon = new FormData();
    anon.append("key", "uploads/anon.txt");
    anon.append("file", new Blob(["x"]), "anon.txt");
    const res = await post(anon);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("<Code>AccessDenied</Code>");

    const noFile = new FormData();
    for (const [k, v] of Object.entries(signedFields({}))) noFile.append(k, v);
    const nf = await post(noFile);
    expect(nf.status).toBe(400);
    expect(await nf.text()).toContain("<Code>InvalidArgument</Code>");
  });

  it("accepts a form made with @aws-sdk/s3-presigned-post", async () => {
    const { url, fields } = await createPresignedPost(s3, {
      Bucket: BUCKET,
      Key: "sdk/${filename}",
      Conditions: [["content-length-range", 0, 1024], ["starts-with", "$Content-Type", "text/"]],
      Fields: { "Content-Type": "text/plain", success_action_status: "201" },
      Expires: 300,
    });
    const res = await post(form(fields, "from the SDK helper", "sdk.txt"), url);
    const text = await res.text();
    // createPresignedPost turns every Field into a condition too, so no "Extra input fields".
    expect(res.status, text).toBe(201);
    expect(text).toContain("<Key>sdk/sdk.txt</Key>");
    expect(await read("sdk/sdk.txt")).toBe("from the SDK helper");

    n.clock.advance(301);
    const late = await post(form(fields, "too late", "late.txt"), url);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain("Policy expired.");
  });
});
