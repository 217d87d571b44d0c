/**
 * Where bucket configuration takes effect: bucket policies and ACLs in the authorizer (IAM users
 * of the owner's account, another account, anonymous callers), Block Public Access restricting
 * what they grant, aws:SecureTransport over plain HTTP, and CORS preflights and response headers
 * for browsers (via fetch and node:http, unsigned as browsers send them).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request as httpRequest } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  S3Client,
  CreateBucketCommand,
  HeadBucketCommand,
  GetBucketTaggingCommand,
  PutBucketTaggingCommand,
  PutBucketPolicyCommand,
  GetBucketPolicyCommand,
  DeleteBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  DeletePublicAccessBlockCommand,
  PutBucketAclCommand,
  PutBucketCorsCommand,
  PutBucketOwnershipControlsCommand,
  GetBucketLocationCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, AttachUserPolicyCommand } from "@aws-sdk/client-iam";
import type { Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";
import { SqliteMetadataStore } from "../src/storage/sqlite-metadata-store.js";
import { BucketStore } from "../src/services/s3/store.js";
import { BucketConfigStore } from "../src/services/s3/bucket-config-store.js";
import { s3ResourcePolicy } from "../src/services/s3/bucket-policy.js";
import { putAccountPublicAccessBlock, deleteAccountPublicAccessBlock } from "../src/services/s3/public-access-block.js";
import type { RequestContext } from "../src/core/service.js";

let n: Nimbus;
let root: S3Client;
beforeAll(async () => {
  n = await startTestNimbus();
  root = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
});
afterAll(async () => {
  await n.stop();
});

type Creds = { accessKeyId: string; secretAccessKey: string };
type AwsError = { name: string; message: string; $metadata: { httpStatusCode?: number } };
const fail = (p: Promise<unknown>) => p.then(() => ({ name: "no error", message: "", $metadata: {} }) as AwsError, (e: unknown) => e as AwsError);
const s3As = (credentials: Creds) => new S3Client({ ...sdkConfig(n), credentials, forcePathStyle: true });

let counter = 0;
async function bucket(): Promise<string> {
  const name = `acc-${Date.now().toString(36)}-${counter++}`;
  await root.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

async function user(name: string, managedPolicy?: string): Promise<Creds & { arn: string }> {
  const iam = new IAMClient(sdkConfig(n));
  const u = await iam.send(new CreateUserCommand({ UserName: name }));
  if (managedPolicy) await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: `arn:aws:iam::aws:policy/${managedPolicy}` }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey!, arn: u.User!.Arn! };
}

const policy = (...Statement: Record<string, unknown>[]) => JSON.stringify({ Version: "2012-10-17", Statement });
/** Turns Block Public Access off so that public grants can be set and take effect. */
const unblock = (b: string) => root.send(new DeletePublicAccessBlockCommand({ Bucket: b }));
const anonymousHead = (b: string) => fetch(`${n.endpoint}/${b}`, { method: "HEAD" });

describe("bucket policies in the authorizer", () => {
  it("lets an IAM user with no S3 permissions in through a statement naming them", async () => {
    const b = await bucket();
    await root.send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: [{ Key: "k", Value: "v" }] } }));
    const dana = await user("dana");
    const s3 = s3As(dana);
    const denied = await fail(s3.send(new GetBucketTaggingCommand({ Bucket: b })));
    expect(denied.name).toBe("AccessDenied");
    expect(denied.$metadata.httpStatusCode).toBe(403);
    expect(denied.message).toContain("User: arn:aws:iam::000000000000:user/dana is not authorized to perform: s3:GetBucketTagging");

    await root.send(new PutBucketPolicyCommand({ Bucket: b, Policy: policy({ Effect: "Allow", Principal: { AWS: dana.arn }, Action: ["s3:GetBucketTagging", "s3:ListBucket"], Resource: `arn:aws:s3:::${b}` }) }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: b }))).TagSet).toEqual([{ Key: "k", Value: "v" }]);
    await s3.send(new HeadBucketCommand({ Bucket: b }));
    // Only what the statement names.
    expect((await fail(s3.send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: [] } })))).name).toBe("AccessDenied");
  });

  it("answers NoSuchBucket for a bucket that does not exist, whoever asks", async () => {
    const nobody = await user("gina");
    const missing = await fail(s3As(nobody).send(new GetBucketTaggingCommand({ Bucket: "acc-no-such-bucket" })));
    expect(missing.name).toBe("NoSuchBucket");
    expect(missing.$metadata.httpStatusCode).toBe(404);
    expect((await anonymousHead("acc-no-such-bucket")).status).toBe(404);
  });

  it("lets an explicit Deny beat an administrator", async () => {
    const b = await bucket();
    const admin = await user("eve-admin", "AdministratorAccess");
    const s3 = s3As(admin);
    await s3.send(new HeadBucketCommand({ Bucket: b }));
    await s3.send(new GetBucketLocationCommand({ Bucket: b }));
    await root.send(
      new PutBucketPolicyCommand({
        Bucket: b,
        Policy: policy({ Sid: "NoLooking", Effect: "Deny", Principal: { AWS: admin.arn }, Action: ["s3:ListBucket", "s3:GetBucketTagging"], Resource: `arn:aws:s3:::${b}` }),
      }),
    );
    expect((await fail(s3.send(new HeadBucketCommand({ Bucket: b })))).$metadata.httpStatusCode).toBe(403);
    const denied = await fail(s3.send(new GetBucketTaggingCommand({ Bucket: b })));
    expect(denied.name).toBe("AccessDenied");
    expect(denied.message).toContain("with an explicit deny in a resource-based policy");
    // What the Deny does not name, and other buckets, are unaffected.
    await s3.send(new GetBucketLocationCommand({ Bucket: b }));
    await s3.send(new HeadBucketCommand({ Bucket: await bucket() }));
  });

  it("evaluates aws:SecureTransport as false over plain HTTP (root too is bound, but can still remove the policy)", async () => {
    const b = await bucket();
    const admin = await user("frank-admin", "AdministratorAccess");
    await root.send(
      new PutBucketPolicyCommand({
        Bucket: b,
        Policy: policy({ Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${b}`, `arn:aws:s3:::${b}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } }),
      }),
    );
    const denied = await fail(s3As(admin).send(new HeadBucketCommand({ Bucket: b })));
    expect(denied.$metadata.httpStatusCode).toBe(403);
    // AWS applies an explicit Deny in a bucket policy to the owner's root user as well...
    expect((await fail(root.send(new HeadBucketCommand({ Bucket: b })))).$metadata.httpStatusCode).toBe(403);
    // ...except for the bucket policy operations, so root can always recover.
    await root.send(new DeleteBucketPolicyCommand({ Bucket: b }));
    await root.send(new HeadBucketCommand({ Bucket: b }));
    await s3As(admin).send(new HeadBucketCommand({ Bucket: b }));
  });
});

describe("another account", () => {
  let other: Creds & { accountId: string };
  beforeAll(async () => {
    const res = await fetch(`${n.endpoint}/_nimbus/accounts`, { method: "POST", body: JSON.stringify({ email: "partner@example.com" }) });
    other = (await res.json()) as Creds & { accountId: string };
  });

  it("is denied another account's bucket, allowed once its policy names the account, and never manages the policy (405)", async () => {
    const b = await bucket();
    await root.send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: [{ Key: "shared", Value: "yes" }] } }));
    const s3 = s3As(other);
    const denied = await fail(s3.send(new GetBucketTaggingCommand({ Bucket: b })));
    expect(denied.name).toBe("AccessDenied");
    expect(denied.$metadata.httpStatusCode).toBe(403);
    expect((await fail(s3.send(new HeadBucketCommand({ Bucket: b })))).$metadata.httpStatusCode).toBe(403);

    await root.send(
      new PutBucketPolicyCommand({
        Bucket: b,
        Policy: policy({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${other.accountId}:root` }, Action: ["s3:GetBucketTagging", "s3:ListBucket", "s3:GetBucketPolicy"], Resource: `arn:aws:s3:::${b}` }),
      }),
    );
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: b }))).TagSet).toEqual([{ Key: "shared", Value: "yes" }]);
    await s3.send(new HeadBucketCommand({ Bucket: b }));
    const notOwner = await fail(s3.send(new GetBucketPolicyCommand({ Bucket: b })));
    expect(notOwner.name).toBe("MethodNotAllowed");
    expect(notOwner.$metadata.httpStatusCode).toBe(405);
    // x-amz-expected-bucket-owner guards against the wrong owner.
    expect((await fail(s3.send(new GetBucketTaggingCommand({ Bucket: b, ExpectedBucketOwner: other.accountId })))).$metadata.httpStatusCode).toBe(403);
  });

  it("is let in by an authenticated-read ACL that anonymous callers are not", async () => {
    const b = await bucket();
    await root.send(new PutBucketOwnershipControlsCommand({ Bucket: b, OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerPreferred" }] } }));
    await unblock(b);
    expect((await fail(s3As(other).send(new HeadBucketCommand({ Bucket: b })))).$metadata.httpStatusCode).toBe(403);
    await root.send(new PutBucketAclCommand({ Bucket: b, ACL: "authenticated-read" }));
    await s3As(other).send(new HeadBucketCommand({ Bucket: b }));
    expect((await anonymousHead(b)).status).toBe(403);
  });

  it("loses access granted by a public policy when RestrictPublicBuckets is on", async () => {
    const b = await bucket();
    await root.send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: [{ Key: "k", Value: "v" }] } }));
    await root.send(new PutPublicAccessBlockCommand({ Bucket: b, PublicAccessBlockConfiguration: { RestrictPublicBuckets: true } }));
    await root.send(new PutBucketPolicyCommand({ Bucket: b, Policy: policy({ Effect: "Allow", Principal: "*", Action: "s3:GetBucketTagging", Resource: `arn:aws:s3:::${b}` }) }));
    expect((await fail(s3As(other).send(new GetBucketTaggingCommand({ Bucket: b })))).$metadata.httpStatusCode).toBe(403);
    await root.send(new PutPublicAccessBlockCommand({ Bucket: b, PublicAccessBlockConfiguration: {} }));
    await s3As(other).send(new GetBucketTaggingCommand({ Bucket: b }));
  });
});

describe("anonymous access", () => {
  it("is granted by Principal \"*\" and taken away by Block Public Access", async () => {
    const b = await bucket();
    expect((await anonymousHead(b)).status).toBe(403);
    // BlockPublicPolicy (on by default) refuses the public policy.
    const refused = await fail(root.send(new PutBucketPolicyCommand({ Bucket: b, Policy: policy({ Effect: "Allow", Principal: "*", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${b}` }) })));
    expect(refused.name).toBe("AccessDenied");
    await unblock(b);
    await root.send(new PutBucketPolicyCommand({ Bucket: b, Policy: policy({ Effect: "Allow", Principal: "*", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${b}` }) }));
    expect((await anonymousHead(b)).status).toBe(200);
    // Not what the policy does not name.
    const tagging = await fetch(`${n.endpoint}/${b}?tagging`);
    expect(tagging.status).toBe(403);
    expect(await tagging.text()).toContain("<Code>AccessDenied</Code><Message>Access Denied</Message>");
    // RestrictPublicBuckets ignores the public statement for everyone outside the account.
    await root.send(new PutPublicAccessBlockCommand({ Bucket: b, PublicAccessBlockConfiguration: { RestrictPublicBuckets: true } }));
    expect((await anonymousHead(b)).status).toBe(403);
    await root.send(new PutPublicAccessBlockCommand({ Bucket: b, PublicAccessBlockConfiguration: { BlockPublicPolicy: true } }));
    expect((await anonymousHead(b)).status).toBe(200);
  });

  it("reads objects through a public-read policy (GetObject on bucket/*), until RestrictPublicBuckets", async () => {
    const b = await bucket();
    await root.send(new PutObjectCommand({ Bucket: b, Key: "site/index.html", Body: "<h1>hello</h1>", ContentType: "text/html" }));
    expect((await fetch(`${n.endpoint}/${b}/site/index.html`)).status).toBe(403);
    await unblock(b);
    await root.send(new PutBucketPolicyCommand({ Bucket: b, Policy: policy({ Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${b}/*` }) }));
    const page = await fetch(`${n.endpoint}/${b}/site/index.html`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe("<h1>hello</h1>");
    // Reading is all it grants.
    expect((await fetch(`${n.endpoint}/${b}/site/index.html`, { method: "PUT", body: "defaced" })).status).toBe(403);
    await root.send(new PutPublicAccessBlockCommand({ Bucket: b, PublicAccessBlockConfiguration: { RestrictPublicBuckets: true } }));
    expect((await fetch(`${n.endpoint}/${b}/site/index.html`)).status).toBe(403);
  });

  it("is granted by a public-read ACL while ACLs are enabled, unless IgnorePublicAcls", async () => {
    const b = await bucket();
    await root.send(new PutBucketOwnershipControlsCommand({ Bucket: b, OwnershipControls: { Rules: [{ ObjectOwnership: "ObjectWriter" }] } }));
    await unblock(b);
    await root.send(new PutBucketAclCommand({ Bucket: b, ACL: "public-read" }));
    expect((await anonymousHead(b)).status).toBe(200);
    await root.send(new PutPublicAccessBlockCommand({ Bucket: b, PublicAccessBlockConfiguration: { IgnorePublicAcls: true } }));
    expect((await anonymousHead(b)).status).toBe(403);
    await unblock(b);
    expect((await anonymousHead(b)).status).toBe(200);
    // Back to private (BucketOwnerEnforced needs it): ACLs stop counting.
    await root.send(new PutBucketAclCommand({ Bucket: b, ACL: "private" }));
    expect((await anonymousHead(b)).status).toBe(403);
  });
});

describe("the resource policy the authorizer sees (account-level Block Public Access)", () => {
  it("drops public statements for outsiders under the account-level RestrictPublicBuckets, keeping Deny statements", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nimbus-pab-"));
    const metadata = new SqliteMetadataStore(join(dir, "metadata.sqlite"));
    try {
      const record = { name: "pab-bucket", account: "000000000000", region: "us-east-1", created: new Date().toISOString() };
      await new BucketStore(metadata).create(record);
      const configs = new BucketConfigStore(metadata);
      await configs.put(record, "publicAccessBlock", null);
      const text = policy(
        { Sid: "Public", Effect: "Allow", Principal: "*", Action: "s3:ListBucket", Resource: "arn:aws:s3:::pab-bucket" },
        { Sid: "NoDeletes", Effect: "Deny", Principal: "*", Action: "s3:DeleteBucket", Resource: "arn:aws:s3:::pab-bucket" },
      );
      await configs.put(record, "policy", text);
      const ctxOf = (principal: RequestContext["principal"]) => ({ principal, storage: { metadata } }) as unknown as RequestContext;
      const anonymous = ctxOf({ type: "anonymous" });
      const insider = ctxOf({ type: "root", account: "000000000000", arn: "arn:aws:iam::000000000000:root", userId: "000000000000", accessKeyId: "test" });
      expect(await s3ResourcePolicy(anonymous, "arn:aws:s3:::pab-bucket/some/key")).toBe(text);
      await putAccountPublicAccessBlock(metadata, "000000000000", { RestrictPublicBuckets: true });
      const restricted = JSON.parse((await s3ResourcePolicy(anonymous, "arn:aws:s3:::pab-bucket"))!) as { Statement: { Sid: string }[] };
      expect(restricted.Statement.map((s) => s.Sid)).toEqual(["NoDeletes"]);
      expect(await s3ResourcePolicy(insider, "arn:aws:s3:::pab-bucket")).toContain('"Public"');
      await deleteAccountPublicAccessBlock(metadata, "000000000000");
      expect(await s3ResourcePolicy(anonymous, "arn:aws:s3:::pab-bucket")).toBe(text);
      expect(await s3ResourcePolicy(anonymous, "arn:aws:s3:::no-such-bucket")).toBeUndefined();
    } finally {
      await metadata.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("CORS for browsers", () => {
  const rules = [
    { AllowedOrigins: ["https://app.example.com"], AllowedMethods: ["GET", "PUT"], AllowedHeaders: ["content-type", "x-amz-*"], ExposeHeaders: ["ETag"], MaxAgeSeconds: 600 },
    { AllowedOrigins: ["*"], AllowedMethods: ["HEAD"] },
  ];
  const preflight = (path: string, headers: Record<string, string>) => fetch(`${n.endpoint}${path}`, { method: "OPTIONS", headers });

  it("answers a matching preflight with the rule's Access-Control headers", async () => {
    const b = await bucket();
    await root.send(new PutBucketCorsCommand({ Bucket: b, CORSConfiguration: { CORSRules: rules } }));
    const res = await preflight(`/${b}/photos/cat.jpg`, {
      Origin: "https://app.example.com",
      "Access-Control-Request-Method": "PUT",
      "Access-Control-Request-Headers": "Content-Type,X-Amz-Meta-Author",
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("access-control-allow-methods")).toBe("GET, PUT");
    expect(res.headers.get("access-control-allow-headers")).toBe("content-type, x-amz-meta-author");
    expect(res.headers.get("access-control-expose-headers")).toBe("ETag");
    expect(res.headers.get("access-control-max-age")).toBe("600");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("vary")).toBe("Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
    // A rule for every origin answers "*" and no credentials.
    const any = await preflight(`/${b}/x`, { Origin: "http://elsewhere.test", "Access-Control-Request-Method": "HEAD" });
    expect(any.status).toBe(200);
    expect(any.headers.get("access-control-allow-origin")).toBe("*");
    expect(any.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("refuses preflights no rule allows, with S3's errors", async () => {
    const b = await bucket();
    const noCors = await preflight(`/${b}/k`, { Origin: "https://app.example.com", "Access-Control-Request-Method": "GET" });
    expect(noCors.status).toBe(403);
    const noCorsBody = await noCors.text();
    expect(noCorsBody).toContain("<Code>AccessForbidden</Code>");
    expect(noCorsBody).toContain("CORSResponse: CORS is not enabled for this bucket.");
    expect(noCorsBody).toContain("<Method>GET</Method><ResourceType>BUCKET</ResourceType>");

    await root.send(new PutBucketCorsCommand({ Bucket: b, CORSConfiguration: { CORSRules: rules } }));
    for (const headers of <Record<string, string>[]>[
      { Origin: "https://evil.example.com", "Access-Control-Request-Method": "GET" },
      { Origin: "https://app.example.com", "Access-Control-Request-Method": "DELETE" },
      { Origin: "https://app.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization" },
    ]) {
      const res = await preflight(`/${b}/k`, headers);
      expect(res.status).toBe(403);
      const body = await res.text();
      expect(body).toContain("CORSResponse: This CORS request is not allowed.");
      expect(body).toContain("<ResourceType>OBJECT</ResourceType>");
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
    const noOrigin = await preflight(`/${b}/k`, { "Access-Control-Request-Method": "GET" });
    expect(noOrigin.status).toBe(400);
    expect(await noOrigin.text()).toContain("Insufficient information. Origin request header needed.");
    const noMethod = await preflight(`/${b}/k`, { Origin: "https://app.example.com" });
    expect(noMethod.status).toBe(400);
    const missing = await preflight(`/no-such-bucket-cors/k`, { Origin: "https://app.example.com", "Access-Control-Request-Method": "GET" });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain("CORSResponse: Bucket not found");
  });

  it("answers preflights addressed virtual-hosted style", async () => {
    const b = await bucket();
    await root.send(new PutBucketCorsCommand({ Bucket: b, CORSConfiguration: { CORSRules: rules } }));
    const url = new URL(n.endpoint);
    const res = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: "OPTIONS",
          path: "/index.html",
          headers: { Host: `${b}.s3.localhost:${url.port}`, Origin: "https://app.example.com", "Access-Control-Request-Method": "GET" },
        },
        (r) => {
          r.resume();
          r.on("end", () => resolve({ status: r.statusCode ?? 0, headers: r.headers }));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBe("https://app.example.com");
  });

  it("adds CORS headers to actual responses (errors included) for a matching origin only", async () => {
    const b = await bucket();
    await unblock(b);
    await root.send(new PutBucketPolicyCommand({ Bucket: b, Policy: policy({ Effect: "Allow", Principal: "*", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${b}` }) }));
    await root.send(new PutBucketCorsCommand({ Bucket: b, CORSConfiguration: { CORSRules: rules } }));
    const head = await fetch(`${n.endpoint}/${b}`, { method: "HEAD", headers: { Origin: "http://anywhere.test" } });
    expect(head.status).toBe(200);
    expect(head.headers.get("access-control-allow-origin")).toBe("*");
    const get = await fetch(`${n.endpoint}/${b}?tagging`, { headers: { Origin: "https://app.example.com" } });
    expect(get.status).toBe(403);
    expect(get.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(get.headers.get("access-control-expose-headers")).toBe("ETag");
    const stranger = await fetch(`${n.endpoint}/${b}?tagging`, { headers: { Origin: "https://evil.example.com" } });
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();
    const noOrigin = await fetch(`${n.endpoint}/${b}`, { method: "HEAD" });
    expect(noOrigin.headers.get("access-control-allow-origin")).toBeNull();
  });
});
