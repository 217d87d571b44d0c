/**
 * S3 static website hosting: the website endpoint of a bucket that has a website configuration
 * (PutBucketWebsite, validated in bucket-config-validate.ts), reached through the gateway's
 * `website` hook. Two ways in:
 *
 *   http://<bucket>.s3-website.localhost:<port>/<key>          (also `s3-website-<region>` and
 *                                                              `s3-website.<region>`, AWS's two styles)
 *   http://127.0.0.1:<port>/_nimbus/s3-website/<bucket>/<key>  (path form, without wildcard DNS)
 *
 * A request goes through these steps, as AWS documents website endpoints:
 *   1. Only GET and HEAD: other methods get 405 MethodNotAllowed; OPTIONS is a CORS preflight
 *      (cors.ts), and responses carry the bucket's CORS headers for a request with Origin.
 *   2. The bucket (404 NoSuchBucket) and its website configuration (404
 *      NoSuchWebsiteConfiguration); a Requester Pays bucket answers 403 AccessDenied.
 *   3. RedirectAllRequestsTo: 301 to that host (and protocol) with the same path.
 *   4. A routing rule without an error condition whose KeyPrefixEquals matches: its redirect.
 *   5. The object (the index document for `/` and for keys ending in `/`), read with the same
 *      GetObject / HeadObject handlers the REST API uses, for an anonymous caller: the bucket
 *      policy and ACL grants (with Block Public Access applied) decide, conditional requests
 *      (304, 412) and Range (206, 416) behave as there, and decryption at rest applies. An
 *      object with `x-amz-website-redirect-location` answers 301 to it.
 *   6. A missing key `x` whose `x/<index document>` exists: 302 to `x/`. A missing key is 403
 *      AccessDenied unless anonymous callers may list the bucket (s3:ListBucket), as in S3.
 *   7. Any other error: a routing rule whose HttpErrorCodeReturnedEquals is its status (and whose
 *      KeyPrefixEquals matches) redirects; else a 4xx serves the ErrorDocument with the error's
 *      status; else (or when the error document cannot be read, which is appended) AWS's HTML
 *      error page with Code, Message, the error's fields, RequestId and HostId.
 *
 * ## Gaps
 * - The region in an s3-website Host is not checked against the bucket's region (AWS answers 400
 *   on a wrong regional endpoint): any region label reaches any bucket.
 * - RedirectAllRequestsTo and routing-rule redirects keep the path, not the query string.
 * - Redirect bodies are empty (AWS may send a short HTML body with some redirects).
 *
 * ## By design
 * - Website endpoints speak plain HTTP, as AWS's do. Query strings are ignored: no versionId,
 *   no response-* overrides, nothing signed; SigV4 headers are not looked at.
 * - SSE-C objects are never served: no customer-key headers are passed on, so their read fails
 *   as a REST GET without the key does.
 * - In the path form, Locations inside the site (index-document slash, relative
 *   x-amz-website-redirect-location, routing rules without HostName) keep the
 *   `/_nimbus/s3-website/<bucket>` prefix so that they lead back to the same site.
 */
import { randomBytes } from "node:crypto";
import { STATUS_CODES } from "node:http";
import { Readable } from "node:stream";
import { ServiceError, isServiceError } from "../../core/errors.js";
import type { WebsiteEnv, WebsiteHook } from "../../core/service.js";
import type { WireRequest, WireResponse } from "../../protocol/types.js";
import { ConfigErrors } from "./bucket-config-errors.js";
import { BucketConfigStore, type WebsiteConfig } from "./bucket-config-store.js";
import { s3DecorateResponse, s3Preflight } from "./cors.js";
import { S3ObjectErrors } from "./errors-objects.js";
import { S3Errors } from "./errors.js";
import { BucketStore } from "./store.js";

/** The path form of the website endpoint, under Nimbus's own prefix. */
export const WEBSITE_PATH_PREFIX = "/_nimbus/s3-website/";

const EMPTY = Buffer.alloc(0);
const INTERNAL_ERROR = { code: "InternalError", status: 500, message: "We encountered an internal error. Please try again." };
/** Request headers passed on to the object read: conditional requests and Range. */
const READ_HEADERS = ["range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since"];

type RoutingRule = NonNullable<WebsiteConfig["RoutingRules"]>[number];

/**
 * The bucket a website-endpoint Host names: `<bucket>.s3-website.localhost`,
 * `<bucket>.s3-website-<region>.localhost` or `<bucket>.s3-website.<region>.localhost`.
 */
export function websiteHostBucket(hostname: string): string | undefined {
  if (!hostname.endsWith(".localhost") || !hostname.includes(".s3-website")) return undefined;
  const m = /^(.+)\.s3-website(?:[.-][a-z0-9-]+)?$/.exec(hostname.slice(0, -".localhost".length));
  return m?.[1];
}

/** Where a website request lands. */
interface Site {
  bucket: string;
  /** The path inside the site, still percent-encoded, starting with `/`. */
  path: string;
  /** What a Location inside the site starts with: "" (host form) or `/_nimbus/s3-website/<bucket>`. */
  base: string;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function siteOf(req: WireRequest): Site | undefined {
  if (req.path.startsWith(WEBSITE_PATH_PREFIX)) {
    const rest = req.path.slice(WEBSITE_PATH_PREFIX.length);
    const slash = rest.indexOf("/");
    const raw = slash === -1 ? rest : rest.slice(0, slash);
    return { bucket: decode(raw), path: slash === -1 ? "/" : rest.slice(slash), base: WEBSITE_PATH_PREFIX + raw };
  }
  const bucket = websiteHostBucket(req.hostname);
  return bucket === undefined ? undefined : { bucket, path: req.path || "/", base: "" };
}

const encodeKey = (key: string) => key.split("/").map(encodeURIComponent).join("/");

/** The path-style REST request for an object of the bucket (what GetObject / HeadObject parse). */
function objectRequest(bucket: string, key: string, method: "GET" | "HEAD", headers: Record<string, string>): WireRequest {
  return { method, path: `/${encodeURIComponent(bucket)}/${encodeKey(key)}`, rawQuery: "", query: [], headers, body: EMPTY, hostname: "" };
}

/** The request as S3's CORS hooks read it (path-style). */
function pathStyle(site: Site, req: WireRequest): WireRequest {
  return { ...req, path: `/${encodeURIComponent(site.bucket)}${site.path === "/" ? "" : site.path}` };
}

function header(res: WireResponse, name: string): string | undefined {
  for (const [k, v] of Object.entries(res.headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

function discardBody(res: WireResponse): void {
  if (res.body instanceof Readable) res.body.destroy();
}

function redirect(status: number, location: string): WireResponse {
  return { status, headers: { location, "content-length": "0" }, body: "" };
}

/** Where a routing rule sends a request for `key`. */
function ruleRedirect(rule: RoutingRule, key: string, site: Site, req: WireRequest): WireResponse {
  const r = rule.Redirect;
  const prefix = rule.Condition?.KeyPrefixEquals ?? "";
  const newKey =
    r.ReplaceKeyWith !== undefined
      ? r.ReplaceKeyWith
      : r.ReplaceKeyPrefixWith !== undefined
        ? r.ReplaceKeyPrefixWith + key.slice(prefix.length)
        : key;
  // Without a HostName the redirect stays on this endpoint (and, in the path form, this site).
  const host = r.HostName ?? req.headers["host"] ?? req.hostname;
  const path = `${r.HostName === undefined ? site.base : ""}/${encodeKey(newKey)}`;
  return redirect(Number(r.HttpRedirectCode ?? "301"), `${r.Protocol ?? "http"}://${host}${path}`);
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function errorItems(e: ServiceError): string[] {
  const items = [`Code: ${e.code}`, `Message: ${e.message}`];
  for (const [k, v] of Object.entries(e.fields ?? {})) items.push(`${k}: ${String(v)}`);
  return items.map((i) => `<li>${escapeHtml(i)}</li>`);
}

/** AWS's HTML error page; `documentError` is why the custom error document could not be served. */
function errorPage(env: WebsiteEnv, e: ServiceError, documentError?: ServiceError): WireResponse {
  const requestId = env.requestId.replace(/-/g, "").slice(0, 16).toUpperCase();
  const hostId = randomBytes(48).toString("base64");
  const title = `${e.status} ${STATUS_CODES[e.status] ?? ""}`.trim();
  const lines = [
    "<html>",
    `<head><title>${title}</title></head>`,
    "<body>",
    `<h1>${title}</h1>`,
    "<ul>",
    ...errorItems(e),
    `<li>RequestId: ${requestId}</li>`,
    `<li>HostId: ${hostId}</li>`,
    "</ul>",
  ];
  if (documentError) {
    lines.push("<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>", "<ul>", ...errorItems(documentError), "</ul>");
  }
  lines.push("<hr/>", "</body>", "</html>", "");
  return {
    status: e.status,
    headers: {
      ...e.headers,
      "content-type": "text/html; charset=utf-8",
      "x-amz-request-id": requestId,
      "x-amz-id-2": hostId,
    },
    body: lines.join("\n"),
  };
}

/** Whether the anonymous visitor can read `key` (HeadObject succeeds). */
async function readable(env: WebsiteEnv, bucket: string, key: string): Promise<boolean> {
  try {
    await env.invoke("HeadObject", objectRequest(bucket, key, "HEAD", {}));
    return true;
  } catch (e) {
    if (isServiceError(e)) return false;
    throw e;
  }
}

/** Steps 1-6 (see the header); errors after the configuration is known go to `afterError`. */
async function answer(site: Site, req: WireRequest, env: WebsiteEnv): Promise<WireResponse> {
  if (req.method === "OPTIONS") return s3Preflight(pathStyle(site, req), env);
  if (req.method !== "GET" && req.method !== "HEAD") {
    throw new ServiceError(S3ObjectErrors.MethodNotAllowed, undefined, { Method: req.method, ResourceType: "OBJECT" });
  }
  const method = req.method;
  const bucket = await new BucketStore(env.storage.metadata).get(site.bucket);
  if (!bucket) throw new ServiceError(S3Errors.NoSuchBucket, undefined, { BucketName: site.bucket });
  const configs = new BucketConfigStore(env.storage.metadata);
  const config = await configs.get(bucket, "website");
  if (!config) throw new ServiceError(ConfigErrors.NoSuchWebsiteConfiguration, undefined, { BucketName: site.bucket });
  // Requester Pays buckets cannot be reached through website endpoints (the visitor cannot pay).
  if ((await configs.get(bucket, "requestPayment")) === "Requester") throw new ServiceError(S3Errors.AccessDenied);

  const all = config.RedirectAllRequestsTo;
  if (all) return redirect(301, `${all.Protocol ?? "http"}://${all.HostName}${site.path}`);

  const key = decode(site.path).slice(1);
  const rules = config.RoutingRules ?? [];
  const early = rules.find((r) => r.Condition?.HttpErrorCodeReturnedEquals === undefined && key.startsWith(r.Condition?.KeyPrefixEquals ?? ""));
  if (early) return ruleRedirect(early, key, site, req);

  const suffix = config.IndexDocument?.Suffix ?? "index.html";
  const objectKey = key === "" || key.endsWith("/") ? key + suffix : key;
  const operation = method === "HEAD" ? "HeadObject" : "GetObject";
  const headers: Record<string, string> = {};
  for (const h of READ_HEADERS) if (req.headers[h] !== undefined) headers[h] = req.headers[h]!;
  let failure: ServiceError;
  try {
    const res = await env.invoke(operation, objectRequest(site.bucket, objectKey, method, headers));
    const target = header(res, "x-amz-website-redirect-location");
    if (target === undefined) return res;
    discardBody(res);
    return redirect(301, target.startsWith("/") ? site.base + target : target);
  } catch (e) {
    if (!isServiceError(e)) throw e;
    failure = e;
  }
  if (failure.status === 304) return { status: 304, headers: { ...failure.headers } };
  if (failure.code === "NoSuchKey") {
    // `/docs` with no object `docs` but a `docs/index.html`: the visitor meant the folder.
    if (objectKey === key && (await readable(env, site.bucket, `${key}/${suffix}`))) {
      return redirect(302, `${site.base}/${encodeKey(key)}/`);
    }
    // Whether a key exists is for those who may list the bucket to know.
    if (!(await env.allowed("ListObjectsV2", { Bucket: site.bucket }))) failure = new ServiceError(S3Errors.AccessDenied);
  }
  return afterError(failure, { site, req, env, config, key, operation });
}

/** Step 7: an error routing rule, else the error document, else the HTML error page. */
async function afterError(
  failure: ServiceError,
  visit: { site: Site; req: WireRequest; env: WebsiteEnv; config: WebsiteConfig; key: string; operation: "GetObject" | "HeadObject" },
): Promise<WireResponse> {
  const { site, req, env, config, key } = visit;
  const status = String(failure.status);
  const rule = (config.RoutingRules ?? []).find(
    (r) => r.Condition?.HttpErrorCodeReturnedEquals === status && key.startsWith(r.Condition.KeyPrefixEquals ?? ""),
  );
  if (rule) return ruleRedirect(rule, key, site, req);
  const documentKey = config.ErrorDocument?.Key;
  if (documentKey === undefined || failure.status < 400 || failure.status >= 500) return errorPage(env, failure);
  try {
    const method = visit.operation === "HeadObject" ? "HEAD" : "GET";
    const doc = await env.invoke(visit.operation, objectRequest(site.bucket, documentKey, method, {}));
    return { ...doc, status: failure.status };
  } catch (e) {
    if (!isServiceError(e)) throw e;
    return errorPage(env, failure, e);
  }
}

async function serve(req: WireRequest, env: WebsiteEnv): Promise<WireResponse> {
  const site = siteOf(req);
  if (!site) throw new ServiceError(S3Errors.NoSuchBucket, undefined, { BucketName: "" });
  let response: WireResponse;
  try {
    response = await answer(site, req, env);
  } catch (e) {
    if (!isServiceError(e)) env.logger.error(`s3 website: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    response = errorPage(env, isServiceError(e) ? e : new ServiceError(INTERNAL_ERROR));
  }
  if (req.headers["origin"] !== undefined && req.method !== "OPTIONS") {
    try {
      await s3DecorateResponse(pathStyle(site, req), response, env);
    } catch (e) {
      // CORS headers must never cost the response itself.
      env.logger.warn(`s3 website: CORS headers for ${env.requestId} failed: ${String(e)}`);
    }
  }
  return response;
}

/** The `website` hook of the S3 service definition. */
export const s3Website: WebsiteHook = {
  pathPrefix: WEBSITE_PATH_PREFIX,
  matches: (req) => req.path.startsWith(WEBSITE_PATH_PREFIX) || websiteHostBucket(req.hostname) !== undefined,
  serve,
};
