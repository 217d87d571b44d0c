/**
 * S3 static website endpoints: buckets configured through the SDK v3, the AWS CLI and boto3,
 * visited the way a browser does (unsigned GET/HEAD) on the Host form
 * (`<bucket>.s3-website.localhost`, through node:http since fetch cannot set Host) and on the
 * path form (`/_nimbus/s3-website/<bucket>/`, through fetch).
 */
import { request } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  S3Client,
  CreateBucketCommand,
  DeletePublicAccessBlockCommand,
  PutBucketPolicyCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  PutBucketCorsCommand,
  PutBucketRequestPaymentCommand,
  type WebsiteConfiguration,
} from "@aws-sdk/client-s3";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let s3: S3Client;
let dir: string;
beforeAll(async () => {
  n = await startTestNimbus();
  s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
  dir = mkdtempSync(join(tmpdir(), "nimbus-website-"));
});
afterAll(async () => {
  await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Visit {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An unsigned request with the given Host, as a browser resolving `*.localhost` sends it. */
function visit(host: string, path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Visit> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: n.port, path, method: opts.method ?? "GET", headers: { host: `${host}:${n.port}`, ...opts.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const site = (b: string) => `${b}.s3-website.localhost`;
const pathForm = (b: string, rest = "") => `${n.endpoint}/_nimbus/s3-website/${b}/${rest}`;

const publicRead = (b: string, withList = false) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${b}/*` },
      ...(withList ? [{ Effect: "Allow", Principal: "*", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${b}` }] : []),
    ],
  });

let counter = 0;
/** A bucket with objects, optionally public, optionally configured as a website. */
async function bucket(opts: { public?: boolean; list?: boolean; website?: WebsiteConfiguration; objects?: Record<string, string> } = {}): Promise<string> {
  const b = `site-${Date.now().toString(36)}-${counter++}`;
  await s3.send(new CreateBucketCommand({ Bucket: b }));
  if (opts.public !== false) {
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: b }));
    await s3.send(new PutBucketPolicyCommand({ Bucket: b, Policy: publicRead(b, opts.list) }));
  }
  if (opts.website !== undefined) await s3.send(new PutBucketWebsiteCommand({ Bucket: b, WebsiteConfiguration: opts.website }));
  for (const [key, body] of Object.entries(opts.objects ?? {})) {
    await s3.send(new PutObjectCommand({ Bucket: b, Key: key, Body: body, ContentType: key.endsWith(".html") ? "text/html" : "text/plain" }));
  }
  return b;
}

const INDEX: WebsiteConfiguration = { IndexDocument: { Suffix: "index.html" } };
const WITH_ERRORS: WebsiteConfiguration = { IndexDocument: { Suffix: "index.html" }, ErrorDocument: { Key: "error.html" } };

describe("serving a site", () => {
  it("answers the index document at the root on every Host style and on the path form", async () => {
    const b = await bucket({ website: INDEX, objects: { "index.html": "<h1>home</h1>", "about.txt": "about" } });
    for (const host of [site(b), `${b}.s3-website-us-east-1.localhost`, `${b}.s3-website.eu-west-1.localhost`]) {
      const r = await visit(host, "/");
      expect(r.status, host).toBe(200);
      expect(r.body).toBe("<h1>home</h1>");
      expect(r.headers["content-type"]).toBe("text/html");
    }
    const page = await fetch(pathForm(b));
    expect(page.status).toBe(200);
    expect(await page.text()).toBe("<h1>home</h1>");
    const bare = await fetch(`${n.endpoint}/_nimbus/s3-website/${b}`);
    expect(await bare.text()).toBe("<h1>home</h1>");
    const about = await fetch(pathForm(b, "about.txt"));
    expect(about.headers.get("content-type")).toBe("text/plain");
    expect(await about.text()).toBe("about");
  });

  it("reads keys with spaces, plus signs and non-ASCII characters from the percent-encoded path", async () => {
    const b = await bucket({ website: INDEX, objects: { "a b/c+d ü.txt": "odd key" } });
    const r = await visit(site(b), `/${encodeURIComponent("a b")}/${encodeURIComponent("c+d ü.txt")}`);
    expect(r.status).toBe(200);
    expect(r.body).toBe("odd key");
  });

  it("sends ETag and Last-Modified, answers conditional GETs with 304 and Range with 206, and HEAD without a body", async () => {
    const b = await bucket({ website: INDEX, objects: { "index.html": "0123456789" } });
    const first = await visit(site(b), "/index.html");
    const etag = first.headers["etag"] as string;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(first.headers["last-modified"]).toBeDefined();
    expect(first.headers["content-length"]).toBe("10");

    const cached = await visit(site(b), "/", { headers: { "if-none-match": etag } });
    expect(cached.status).toBe(304);
    expect(cached.body).toBe("");
    const since = await visit(site(b), "/", { headers: { "if-modified-since": first.headers["last-modified"] as string } });
    expect(since.status).toBe(304);

    const part = await visit(site(b), "/", { headers: { range: "bytes=2-4" } });
    expect(part.status).toBe(206);
    expect(part.body).toBe("234");
    expect(part.headers["content-range"]).toBe("bytes 2-4/10");

    const head = await visit(site(b), "/", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe("10");
    expect(head.headers["etag"]).toBe(etag);
    expect(head.body).toBe("");
  });

  it("serves folder index documents and redirects a folder without its slash (302)", async () => {
    const b = await bucket({ website: INDEX, objects: { "index.html": "home", "docs/index.html": "docs home", "docs/a.txt": "a" } });
    expect((await visit(site(b), "/docs/")).body).toBe("docs home");
    const slashless = await visit(site(b), "/docs");
    expect(slashless.status).toBe(302);
    expect(slashless.headers["location"]).toBe("/docs/");
    const viaPath = await fetch(pathForm(b, "docs"), { redirect: "manual" });
    expect(viaPath.status).toBe(302);
    expect(viaPath.headers.get("location")).toBe(`/_nimbus/s3-website/${b}/docs/`);
    // fetch follows the redirect back into the same site.
    expect(await (await fetch(pathForm(b, "docs"))).text()).toBe("docs home");
  });

  it("redirects objects with x-amz-website-redirect-location (301), relative ones inside the site", async () => {
    const b = await bucket({ website: INDEX });
    await s3.send(new PutObjectCommand({ Bucket: b, Key: "old.html", Body: new Uint8Array(0), WebsiteRedirectLocation: "/new.html" }));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: "away", Body: new Uint8Array(0), WebsiteRedirectLocation: "https://example.com/x" }));
    const rel = await visit(site(b), "/old.html");
    expect(rel.status).toBe(301);
    expect(rel.headers["location"]).toBe("/new.html");
    expect((await fetch(pathForm(b, "old.html"), { redirect: "manual" })).headers.get("location")).toBe(`/_nimbus/s3-website/${b}/new.html`);
    const abs = await visit(site(b), "/away", { method: "HEAD" });
    expect(abs.status).toBe(301);
    expect(abs.headers["location"]).toBe("https://example.com/x");
  });

  it("adds the bucket's CORS headers and answers preflights", async () => {
    const b = await bucket({ website: INDEX, objects: { "index.html": "home" } });
    await s3.send(new PutBucketCorsCommand({ Bucket: b, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ["http://app.test"], AllowedMethods: ["GET"] }] } }));
    const r = await visit(site(b), "/", { headers: { origin: "http://app.test" } });
    expect(r.headers["access-control-allow-origin"]).toBe("http://app.test");
    const pre = await visit(site(b), "/", { method: "OPTIONS", headers: { origin: "http://app.test", "access-control-request-method": "GET" } });
    expect(pre.status).toBe(200);
    expect(pre.headers["access-control-allow-methods"]).toBe("GET");
  });
});

describe("errors as HTML pages", () => {
  it("answers 404 NoSuchBucket and NoSuchWebsiteConfiguration", async () => {
    const missing = await visit(site("no-such-bucket-here"), "/");
    expect(missing.status).toBe(404);
    expect(missing.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(missing.body).toContain("<title>404 Not Found</title>");
    expect(missing.body).toContain("<li>Code: NoSuchBucket</li>");
    expect(missing.body).toContain("<li>BucketName: no-such-bucket-here</li>");
    expect(missing.body).toContain(`<li>RequestId: ${String(missing.headers["x-amz-request-id"])}</li>`);

    const b = await bucket({ objects: { "index.html": "home" } });
    const plain = await fetch(pathForm(b));
    expect(plain.status).toBe(404);
    const html = await plain.text();
    expect(html).toContain("<li>Code: NoSuchWebsiteConfiguration</li>");
    expect(html).toContain("<li>Message: The specified bucket does not have a website configuration</li>");
  });

  it("answers 403 AccessDenied for content that is not public, and while Block Public Access restricts the policy", async () => {
    const b = await bucket({ public: false, website: INDEX, objects: { "index.html": "home" } });
    const r = await visit(site(b), "/");
    expect(r.status).toBe(403);
    expect(r.body).toContain("<h1>403 Forbidden</h1>");
    expect(r.body).toContain("<li>Code: AccessDenied</li>");
    expect(r.body).toContain("<li>Message: Access Denied</li>");

    const open = await bucket({ website: INDEX, objects: { "index.html": "home" } });
    expect((await visit(site(open), "/")).status).toBe(200);
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: open, PublicAccessBlockConfiguration: { RestrictPublicBuckets: true } }));
    expect((await visit(site(open), "/")).status).toBe(403);
  });

  it("answers 404 NoSuchKey when anonymous callers may list the bucket, 403 when not", async () => {
    const listable = await bucket({ list: true, website: INDEX, objects: { "index.html": "home" } });
    const r = await visit(site(listable), "/nope.html");
    expect(r.status).toBe(404);
    expect(r.body).toContain("<li>Code: NoSuchKey</li>");
    expect(r.body).toContain("<li>Key: nope.html</li>");
    const noIndex = await visit(site(listable), "/empty/");
    expect(noIndex.body).toContain("<li>Key: empty/index.html</li>");

    const unlisted = await bucket({ website: INDEX, objects: { "index.html": "home" } });
    const denied = await visit(site(unlisted), "/nope.html");
    expect(denied.status).toBe(403);
    expect(denied.body).toContain("<li>Code: AccessDenied</li>");
  });

  it("serves the error document with the original status, and says so when it cannot", async () => {
    const b = await bucket({ list: true, website: WITH_ERRORS, objects: { "index.html": "home", "error.html": "<p>oops</p>" } });
    const r = await visit(site(b), "/missing");
    expect(r.status).toBe(404);
    expect(r.body).toBe("<p>oops</p>");
    expect(r.headers["content-type"]).toBe("text/html");
    const head = await visit(site(b), "/missing", { method: "HEAD" });
    expect(head.status).toBe(404);
    expect(head.body).toBe("");

    const unlisted = await bucket({ website: WITH_ERRORS, objects: { "error.html": "<p>oops</p>" } });
    const denied = await visit(site(unlisted), "/missing");
    expect(denied.status).toBe(403);
    expect(denied.body).toBe("<p>oops</p>");

    const noDoc = await bucket({ list: true, website: WITH_ERRORS, objects: { "index.html": "home" } });
    const page = await visit(site(noDoc), "/missing");
    expect(page.status).toBe(404);
    expect(page.body).toContain("<li>Key: missing</li>");
    expect(page.body).toContain("<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>");
    expect(page.body).toContain("<li>Key: error.html</li>");
  });

  it("answers 405 for methods other than GET and HEAD", async () => {
    const b = await bucket({ website: INDEX, objects: { "index.html": "home" } });
    for (const method of ["POST", "PUT", "DELETE"]) {
      const r = await visit(site(b), "/index.html", { method });
      expect(r.status, method).toBe(405);
      expect(r.body).toContain("<li>Code: MethodNotAllowed</li>");
      expect(r.body).toContain(`<li>Method: ${method}</li>`);
    }
    const viaFetch = await fetch(pathForm(b, "index.html"), { method: "DELETE" });
    expect(viaFetch.status).toBe(405);
    // Nothing was deleted.
    expect((await visit(site(b), "/")).body).toBe("home");
  });

  it("refuses Requester Pays buckets", async () => {
    const b = await bucket({ website: INDEX, objects: { "index.html": "home" } });
    await s3.send(new PutBucketRequestPaymentCommand({ Bucket: b, RequestPaymentConfiguration: { Payer: "Requester" } }));
    const r = await visit(site(b), "/");
    expect(r.status).toBe(403);
    expect(r.body).toContain("<li>Code: AccessDenied</li>");
  });
});

describe("redirects", () => {
  it("sends every request elsewhere with RedirectAllRequestsTo (boto3)", async () => {
    const b = await bucket();
    const out = await boto3(
      n,
      `s3 = client('s3')\ns3.put_bucket_website(Bucket='${b}', WebsiteConfiguration={'RedirectAllRequestsTo': {'HostName': 'www.example.com', 'Protocol': 'https'}})\nprint('ok')`,
    );
    expect(out.code, out.stderr).toBe(0);
    const r = await visit(site(b), "/some/page.html");
    expect(r.status).toBe(301);
    expect(r.headers["location"]).toBe("https://www.example.com/some/page.html");
  });

  it("applies routing rules by key prefix and by error code (boto3)", async () => {
    const b = await bucket({ list: true, objects: { "index.html": "home", "documents/a.html": "A" } });
    const rules = [
      { Condition: { KeyPrefixEquals: "docs/" }, Redirect: { ReplaceKeyPrefixWith: "documents/" } },
      { Condition: { KeyPrefixEquals: "old" }, Redirect: { ReplaceKeyWith: "index.html", HttpRedirectCode: "307" } },
      { Condition: { HttpErrorCodeReturnedEquals: "404", KeyPrefixEquals: "images/" }, Redirect: { HostName: "cdn.example.com", Protocol: "https", HttpRedirectCode: "302" } },
    ];
    const out = await boto3(
      n,
      `s3 = client('s3')\ns3.put_bucket_website(Bucket='${b}', WebsiteConfiguration={'IndexDocument': {'Suffix': 'index.html'}, 'RoutingRules': json.loads(${JSON.stringify(JSON.stringify(rules))})})\nprint('ok')`,
    );
    expect(out.code, out.stderr).toBe(0);
    const host = `${site(b)}:${n.port}`;
    const moved = await visit(site(b), "/docs/a.html");
    expect(moved.status).toBe(301);
    expect(moved.headers["location"]).toBe(`http://${host}/documents/a.html`);
    const followed = await fetch(pathForm(b, "docs/a.html"));
    expect(await followed.text()).toBe("A");
    const temp = await visit(site(b), "/old-page");
    expect(temp.status).toBe(307);
    expect(temp.headers["location"]).toBe(`http://${host}/index.html`);
    const image = await visit(site(b), "/images/cat.png");
    expect(image.status).toBe(302);
    expect(image.headers["location"]).toBe("https://cdn.example.com/images/cat.png");
    // The error condition only applies on that error: elsewhere a 404 stays a 404.
    expect((await visit(site(b), "/other.png")).status).toBe(404);
  });
});

describe("AWS CLI", () => {
  it("publishes a site with `aws s3 website` and `aws s3 cp`", async () => {
    const b = `cli-site-${Date.now().toString(36)}`;
    const cli = async (args: string[]) => {
      const r = await awsCli(n, args);
      expect(r.code, r.stderr).toBe(0);
      return r;
    };
    await cli(["s3", "mb", `s3://${b}`]);
    await cli(["s3api", "delete-public-access-block", "--bucket", b]);
    await cli(["s3api", "put-bucket-policy", "--bucket", b, "--policy", publicRead(b)]);
    await cli(["s3", "website", `s3://${b}`, "--index-document", "index.html", "--error-document", "error.html"]);
    writeFileSync(join(dir, "index.html"), "<h1>cli site</h1>");
    writeFileSync(join(dir, "error.html"), "<h1>cli error</h1>");
    await cli(["s3", "cp", join(dir, "index.html"), `s3://${b}/index.html`]);
    await cli(["s3", "cp", join(dir, "error.html"), `s3://${b}/error.html`]);
    const home = await visit(`${b}.s3-website-us-east-1.localhost`, "/");
    expect(home.status).toBe(200);
    expect(home.headers["content-type"]).toBe("text/html");
    expect(home.body).toBe("<h1>cli site</h1>");
    const missing = await fetch(pathForm(b, "nowhere"));
    expect(missing.status).toBe(403);
    expect(await missing.text()).toBe("<h1>cli error</h1>");
  });
});
