/** Presigned S3 URLs used the way a browser or curl would: plain fetch, no SDK on the request. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Client, CreateBucketCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let s3: S3Client;
beforeAll(async () => {
  n = await startTestNimbus();
  s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: "presigned" }));
});
afterAll(async () => {
  await n.stop();
});

describe("presigned URLs", () => {
  it("uploads with a presigned PUT and downloads with a presigned GET", async () => {
    const put = await getSignedUrl(s3, new PutObjectCommand({ Bucket: "presigned", Key: "dir/hello world.txt", ContentType: "text/plain" }), { expiresIn: 300 });
    const up = await fetch(put, { method: "PUT", body: "hello from a browser", headers: { "content-type": "text/plain" } });
    expect(up.status).toBe(200);
    expect(up.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "presigned", Key: "dir/hello world.txt" }), { expiresIn: 300 });
    const down = await fetch(get);
    expect(down.status).toBe(200);
    expect(down.headers.get("content-type")).toBe("text/plain");
    expect(await down.text()).toBe("hello from a browser");
    // The same URL without its signature is an anonymous request: private objects stay private.
    const unsigned = await fetch(`${n.endpoint}/presigned/dir/hello%20world.txt`);
    expect(unsigned.status).toBe(403);
  });

  it("refuses a presigned URL once it has expired", async () => {
    const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "presigned", Key: "dir/hello world.txt" }), { expiresIn: 60 });
    n.clock.advance(61);
    const res = await fetch(get);
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(body).toContain("<Code>AccessDenied</Code>");
    expect(body).toContain("Request has expired");
  });
});
