/**
 * The gateway's routing and authentication through real clients and hand-made requests:
 * virtual-hosted S3, presigned URLs, and AWS's errors for unsigned, malformed and unknown requests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import { createHash, createHmac } from "node:crypto";
import { S3Client, CreateBucketCommand, ListBucketsCommand, HeadBucketCommand } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Nimbus } from "../src/index.js";
import { hostBucket } from "../src/core/gateway.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
beforeAll(async () => {
  n = await startTestNimbus();
});
afterAll(async () => {
  await n.stop();
});

class Sha256 {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret ? createHmac("sha256", toBytes(secret)) : createHash("sha256");
  }
  update(data: SourceData) {
    this.h.update(toBytes(data));
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

type SourceData = string | ArrayBuffer | ArrayBufferView;
function toBytes(d: SourceData): string | Uint8Array {
  if (typeof d === "string") return d;
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function signer(service: string, secret = "test") {
  return new SignatureV4({ service, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: secret }, sha256: Sha256 });
}

describe("S3 addressing", () => {
  it("tells the bucket from the Host header", () => {
    expect(hostBucket("my-bucket.localhost")).toBe("my-bucket");
    expect(hostBucket("my.dotted.bucket.s3.localhost")).toBe("my.dotted.bucket");
    expect(hostBucket("my-bucket.s3.eu-west-1.localhost")).toBe("my-bucket");
    expect(hostBucket("s3.localhost")).toBeUndefined();
    expect(hostBucket("s3.us-east-1.localhost")).toBeUndefined();
    expect(hostBucket("localhost")).toBeUndefined();
    expect(hostBucket("127.0.0.1")).toBeUndefined();
  });

  it("serves virtual-hosted-style requests from SDK v3", async () => {
    // *.localhost does not resolve everywhere; point every name at loopback as a DNS server would.
    const agent = new http.Agent({
      keepAlive: true,
      lookup: ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
        opts.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4)) as unknown as http.AgentOptions["lookup"],
    });
    const s3 = new S3Client({
      ...sdkConfig(n),
      endpoint: `http://localhost:${n.port}`,
      forcePathStyle: false,
      requestHandler: new NodeHttpHandler({ httpAgent: agent }),
    });
    let seenHost = "";
    s3.middlewareStack.add(
      (next) => async (args) => {
        seenHost = (args.request as { hostname: string }).hostname;
        return next(args);
      },
      { step: "finalizeRequest" },
    );
    await s3.send(new CreateBucketCommand({ Bucket: "vhost-bucket" }));
    expect(seenHost).toBe("vhost-bucket.localhost");
    const head = await s3.send(new HeadBucketCommand({ Bucket: "vhost-bucket" }));
    expect(head.BucketRegion).toBe("us-east-1");
    const path = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
    const list = await path.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toContain("vhost-bucket");
    agent.destroy();
  });
});

describe("presigned URLs", () => {
  it("accepts a presigned S3 URL, and refuses it once expired or over a week", async () => {
    const s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
    const url = await getSignedUrl(s3, new ListBucketsCommand({}), { expiresIn: 60 });
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("<Buckets");

    const tampered = await fetch(url.replace("X-Amz-Expires=60", "X-Amz-Expires=61"));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain("<Code>SignatureDoesNotMatch</Code>");

    const tooLong = await fetch(url.replace("X-Amz-Expires=60", "X-Amz-Expires=604801"));
    expect(tooLong.status).toBe(400);
    expect(await tooLong.text()).toContain("<Code>AuthorizationQueryParametersError</Code>");

    // Expiry follows the injected clock.
    await fetch(`${n.endpoint}/_nimbus/clock`, { method: "POST", body: JSON.stringify({ advanceSeconds: 120 }) });
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain("Request has expired");
  });
});

describe("AWS's errors for bad requests", () => {
  it("answers an unsigned STS call with MissingAuthenticationToken", async () => {
    const res = await fetch(`${n.endpoint}/`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=GetCallerIdentity&Version=2011-06-15",
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("<Code>MissingAuthenticationToken</Code>");
  });

  it("answers a malformed Authorization header with IncompleteSignature", async () => {
    const res = await fetch(`${n.endpoint}/`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-amz-date": "20260101T000000Z",
        authorization: "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/aws4_request",
      },
      body: "Action=GetCallerIdentity&Version=2011-06-15",
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await res.text()).toContain("IncompleteSignature");
  });

  it("answers an unknown query action with InvalidAction", async () => {
    const url = new URL(n.endpoint);
    const body = "Action=NoSuchThing&Version=2011-06-15";
    const signed = await signer("sts").sign({
      method: "POST",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: "/",
      headers: { host: url.host, "content-type": "application/x-www-form-urlencoded" },
      body,
    });
    const res = await fetch(`${n.endpoint}/`, { method: "POST", headers: signed.headers, body });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("<Code>InvalidAction</Code>");
  });

  it("answers an unknown JSON target with UnknownOperationException", async () => {
    const url = new URL(n.endpoint);
    const body = "{}";
    const signed = await signer("logs").sign({
      method: "POST",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: "/",
      headers: { host: url.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": "Logs_20140328.NoSuchThing" },
      body,
    });
    const res = await fetch(`${n.endpoint}/`, { method: "POST", headers: signed.headers, body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toContain("UnknownOperationException");
  });

  it("names the operation in 501 NotImplemented for a modelled but unimplemented operation", async () => {
    const url = new URL(n.endpoint);
    const body = "Action=DescribeInstances&Version=2016-11-15";
    const signed = await signer("ec2").sign({
      method: "POST",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: "/",
      headers: { host: url.host, "content-type": "application/x-www-form-urlencoded" },
      body,
    });
    const res = await fetch(`${n.endpoint}/`, { method: "POST", headers: signed.headers, body });
    expect(res.status).toBe(501);
    const text = await res.text();
    expect(text).toContain("<Code>NotImplemented</Code>");
    expect(text).toContain("DescribeInstances");
  });

  it("says which service is not available for an unknown signing name", async () => {
    const url = new URL(n.endpoint);
    const signed = await signer("kinesisvideo").sign({
      method: "POST",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: "/listStreams",
      headers: { host: url.host, "content-type": "application/json" },
      body: "{}",
    });
    const res = await fetch(`${n.endpoint}/listStreams`, { method: "POST", headers: signed.headers, body: "{}" });
    expect(res.status).toBe(501);
    expect(await res.text()).toContain("kinesisvideo");
  });
});

describe("input validation from the model", () => {
  it("rejects a missing required member with each protocol's error", async () => {
    const url = new URL(n.endpoint);
    const send = async (service: string, headers: Record<string, string>, body: string) => {
      const signed = await signer(service).sign({
        method: "POST",
        protocol: "http:",
        hostname: url.hostname,
        port: Number(url.port),
        path: "/",
        headers: { host: url.host, ...headers },
        body,
      });
      const res = await fetch(`${n.endpoint}/`, { method: "POST", headers: signed.headers, body });
      return { status: res.status, text: await res.text() };
    };
    const json = await send("logs", { "content-type": "application/x-amz-json-1.1", "x-amz-target": "Logs_20140328.CreateLogGroup" }, "{}");
    expect(json.status).toBe(400);
    expect(JSON.parse(json.text)).toMatchObject({
      __type: expect.stringContaining("ValidationException") as unknown,
      message: "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null",
    });
    const query = await send("monitoring", { "content-type": "application/x-www-form-urlencoded" }, "Action=ListMetrics&Version=2010-08-01&Dimensions.member.1.Value=x");
    expect(query.status).toBe(400);
    expect(query.text).toContain("<Code>ValidationError</Code>");
    expect(query.text).toContain("dimensions.1.member.name");
    const ec2 = await send("ec2", { "content-type": "application/x-www-form-urlencoded" }, "Action=DescribeRegions&Version=2016-11-15&Filter.1.Value.1=x");
    // Filter Name is optional in the model: the handler rejects the empty filter name itself.
    expect(ec2.status).toBe(400);
  });
});
