/**
 * Bucket CORS: PutBucketCors validation, and the two places the rules act, reached through the
 * gateway's HTTP hooks (the S3 model has no OPTIONS operation):
 * - a preflight `OPTIONS /bucket/key` with Origin and Access-Control-Request-Method (and maybe
 *   Access-Control-Request-Headers) is answered from the first matching rule: 200 with the
 *   Access-Control-Allow-* headers, or 403 AccessForbidden. Browsers send preflights unsigned, so
 *   this runs before authentication, as in S3;
 * - any other request with an Origin header gets the matching rule's CORS headers added to its
 *   response (success or error). On an actual request S3 matches the origin and the method (or
 *   the Access-Control-Request-Method header when one is sent) but not the request's headers.
 *
 * An AllowedOrigin or AllowedHeader may hold one `*`, which matches any run of characters, the
 * empty one included; origins compare case-sensitively, headers without regard to case.
 */
import { ServiceError } from "../../core/errors.js";
import type { HttpHookEnv } from "../../core/service.js";
import type { WireRequest, WireResponse } from "../../protocol/types.js";
import { ConfigErrors } from "./bucket-config-errors.js";
import { BucketConfigStore, type CorsRule } from "./bucket-config-store.js";
import { BucketStore } from "./store.js";

export const CORS_METHODS = new Set(["GET", "PUT", "POST", "DELETE", "HEAD"]);
const MAX_RULES = 100;
const VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/** PutBucketCors: the rules, checked as S3 checks them, in the form they are stored. */
export function validateCorsRules(rules: CorsRule[]): CorsRule[] {
  if (rules.length === 0) throw new ServiceError(ConfigErrors.MalformedXML);
  if (rules.length > MAX_RULES) {
    throw new ServiceError(ConfigErrors.InvalidRequest, `The number of CORS rules should not exceed allowed limit of ${MAX_RULES} rules.`);
  }
  return rules.map((r) => {
    if (!r.AllowedMethods?.length || !r.AllowedOrigins?.length) throw new ServiceError(ConfigErrors.MalformedXML);
    if (r.ID !== undefined && [...r.ID].length > 255) {
      throw new ServiceError(ConfigErrors.InvalidArgument, "ID length should not exceed allowed limit of 255");
    }
    for (const m of r.AllowedMethods) {
      if (!CORS_METHODS.has(m)) {
        throw new ServiceError(ConfigErrors.InvalidRequest, `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
      }
    }
    for (const o of r.AllowedOrigins) {
      if (o.split("*").length > 2) throw new ServiceError(ConfigErrors.InvalidRequest, `AllowedOrigin "${o}" can not have more than one wildcard.`);
    }
    for (const h of r.AllowedHeaders ?? []) {
      if (h.split("*").length > 2) throw new ServiceError(ConfigErrors.InvalidRequest, `AllowedHeader "${h}" can not have more than one wildcard.`);
    }
    const out: CorsRule = { AllowedMethods: [...r.AllowedMethods], AllowedOrigins: [...r.AllowedOrigins] };
    if (r.ID !== undefined) out.ID = r.ID;
    if (r.AllowedHeaders?.length) out.AllowedHeaders = [...r.AllowedHeaders];
    if (r.ExposeHeaders?.length) out.ExposeHeaders = [...r.ExposeHeaders];
    if (r.MaxAgeSeconds !== undefined) out.MaxAgeSeconds = r.MaxAgeSeconds;
    return out;
  });
}

/** `*` (at most one) matches any run of characters; the rest must be equal. */
function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  const star = p.indexOf("*");
  if (star === -1) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

export interface CorsMatch {
  rule: CorsRule;
  /** `*` when the rule allows every origin, else the request's origin. */
  allowOrigin: string;
}

/** The first rule allowing this origin, method and (for preflights) requested headers. */
export function matchCorsRule(rules: CorsRule[], origin: string, method: string, requestHeaders?: string[]): CorsMatch | undefined {
  for (const rule of rules) {
    const allowed = rule.AllowedOrigins.find((o) => wildcardMatch(o, origin, false));
    if (allowed === undefined) continue;
    if (!rule.AllowedMethods.includes(method)) continue;
    if (requestHeaders?.some((h) => !(rule.AllowedHeaders ?? []).some((a) => wildcardMatch(a, h, true)))) continue;
    return { rule, allowOrigin: allowed === "*" ? "*" : origin };
  }
  return undefined;
}

function corsHeaders(match: CorsMatch): Record<string, string> {
  const h: Record<string, string> = {
    "access-control-allow-origin": match.allowOrigin,
    "access-control-allow-methods": match.rule.AllowedMethods.join(", "),
  };
  if (match.rule.ExposeHeaders?.length) h["access-control-expose-headers"] = match.rule.ExposeHeaders.join(", ");
  if (match.rule.MaxAgeSeconds !== undefined) h["access-control-max-age"] = String(match.rule.MaxAgeSeconds);
  if (match.allowOrigin !== "*") h["access-control-allow-credentials"] = "true";
  h["vary"] = VARY;
  return h;
}

/** Bucket and key of a path-style request path. */
function target(req: WireRequest): { bucket?: string; key?: string } {
  const path = req.path.startsWith("/") ? req.path.slice(1) : req.path;
  if (path === "") return {};
  const slash = path.indexOf("/");
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  if (slash === -1) return { bucket: decode(path) };
  const key = path.slice(slash + 1);
  return { bucket: decode(path.slice(0, slash)), ...(key ? { key: decode(key) } : {}) };
}

async function rulesOf(env: HttpHookEnv, bucketName: string): Promise<{ exists: boolean; rules?: CorsRule[] }> {
  const bucket = await new BucketStore(env.storage.metadata).get(bucketName);
  if (!bucket) return { exists: false };
  const rules = await new BucketConfigStore(env.storage.metadata).get(bucket, "cors");
  return { exists: true, ...(rules ? { rules } : {}) };
}

/** Answers `OPTIONS` (the gateway calls this for every OPTIONS request routed to S3). */
export async function s3Preflight(req: WireRequest, env: HttpHookEnv): Promise<WireResponse> {
  const origin = req.headers["origin"];
  if (origin === undefined) {
    throw new ServiceError(ConfigErrors.BadRequest, "Insufficient information. Origin request header needed.");
  }
  const requested = req.headers["access-control-request-method"];
  const method = requested ?? "OPTIONS";
  const { bucket, key } = target(req);
  const forbidden = (message: string, resourceType: "BUCKET" | "OBJECT") =>
    new ServiceError(ConfigErrors.AccessForbidden, message, { Method: method, ResourceType: resourceType });
  const found = bucket ? await rulesOf(env, bucket) : { exists: false };
  if (!found.exists) throw forbidden("CORSResponse: Bucket not found", "BUCKET");
  if (!found.rules) throw forbidden("CORSResponse: CORS is not enabled for this bucket.", "BUCKET");
  if (requested === undefined || !CORS_METHODS.has(requested)) {
    throw new ServiceError(ConfigErrors.BadRequest, `Invalid Access-Control-Request-Method: ${requested ?? "null"}`);
  }
  const headerList = (req.headers["access-control-request-headers"] ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== "");
  const match = matchCorsRule(found.rules, origin, requested, headerList);
  if (!match) {
    throw forbidden(
      "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / " +
        "Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
      key === undefined ? "BUCKET" : "OBJECT",
    );
  }
  const headers = corsHeaders(match);
  if (headerList.length) headers["access-control-allow-headers"] = headerList.join(", ");
  headers["content-length"] = "0";
  return { status: 200, headers };
}

/** Adds the matching rule's CORS headers to a response to a request that carries Origin. */
export async function s3DecorateResponse(req: WireRequest, res: WireResponse, env: HttpHookEnv): Promise<void> {
  const origin = req.headers["origin"];
  if (origin === undefined) return;
  const { bucket } = target(req);
  if (!bucket) return;
  const { rules } = await rulesOf(env, bucket);
  if (!rules) return;
  const match = matchCorsRule(rules, origin, req.headers["access-control-request-method"] ?? req.method);
  if (!match) return;
  Object.assign(res.headers, corsHeaders(match));
}
