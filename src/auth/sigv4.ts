/**
 * SigV4 request verification (Authorization header and presigned query), server side. AWS quirks
 * reproduced: S3 signs the path as sent while every other service signs it normalized and
 * URI-encoded a second time; non-S3 presigned URLs live 15 minutes whatever X-Amz-Expires says;
 * S3 and the other services word (and code) their authentication errors differently.
 */
import crypto, { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { CommonErrors, ServiceError, type ErrorDef } from "../core/errors.js";
import type { WireRequest } from "../protocol/types.js";

export const ALGORITHM = "AWS4-HMAC-SHA256";
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
export const STREAMING_PAYLOAD = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
export const STREAMING_PAYLOAD_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
export const STREAMING_UNSIGNED_PAYLOAD_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
const STREAMING_ECDSA = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD";
const STREAMING_ECDSA_TRAILER = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER";
/** How far a request's time may be from the server's, either way. */
export const MAX_SKEW_MS = 15 * 60 * 1000;
/** The longest X-Amz-Expires S3 accepts: a signing key is only valid for seven days. */
export const MAX_PRESIGN_EXPIRES = 604_800;

export interface ParsedSignature {
  kind: "header" | "presigned";
  accessKeyId: string;
  /** The credential scope's date, YYYYMMDD. */
  date: string;
  region: string;
  /** The credential scope's service (the signing name, e.g. "s3", "sts", "execute-api"). */
  service: string;
  /** Lower-case names, in the order the client listed them. */
  signedHeaders: string[];
  signature: string;
  /** The request time (X-Amz-Date, or the Date header). */
  amzDate: Date;
  /** X-Amz-Expires of a presigned request, when given as a number. */
  expiresSeconds?: number;
  sessionToken?: string;
  /**
   * The last line of the canonical request: the client's x-amz-content-sha256 (a hex hash,
   * UNSIGNED-PAYLOAD or a STREAMING-* mode), UNSIGNED-PAYLOAD for S3 presigned requests, or
   * else the SHA-256 of the body.
   */
  payloadHash: string;
}

export type ParsedAuth = { kind: "anonymous" } | ParsedSignature;

export interface ParseOptions {
  /** The service receiving the request; "s3" selects S3's rules and error wording. */
  service?: string;
  /** Whether `req.body` holds the whole body. Defaults to `req.bodyStream === undefined`. */
  bodyRead?: boolean;
}

export interface VerifyOptions {
  now: Date;
  /** The service receiving the request; "s3" selects S3's rules and error wording. */
  service: string;
  /**
   * Normalize and double-encode the path (every service but S3, as the AWS SDKs sign it).
   * Defaults to `service !== "s3"`.
   */
  normalizePath?: boolean;
  /**
   * Whether `req.body` holds the whole body, so that a declared x-amz-content-sha256 can be
   * checked against it. Defaults to `req.bodyStream === undefined`.
   */
  bodyRead?: boolean;
}

/** The parts of a request the canonical request is built from. */
export type CanonicalRequestInput = Pick<WireRequest, "method" | "path" | "rawQuery" | "headers" | "rawHeaders">;

export interface CanonicalOptions {
  /** Normalize the path and encode it once more (true), or sign it as sent (false, S3). */
  normalizePath: boolean;
  /** Query parameters left out of the canonical query (X-Amz-Signature when presigned). */
  excludeQueryParams?: readonly string[];
  /** Whether a raw "+" in the query string stands for a space (as form encoding has it). Default true. */
  plusAsSpace?: boolean;
}

const ANONYMOUS: ParsedAuth = Object.freeze({ kind: "anonymous" }) as ParsedAuth;

// ---------------------------------------------------------------------------------------------
// Pure helpers: the signing algorithm itself

export function sha256Hex(data: string | Uint8Array): string {
  return oneShotHash ? oneShotHash("sha256", data, "hex") : createHash("sha256").update(data).digest("hex");
}

/** `crypto.hash` (Node 20.12+): one call instead of a Hash object per digest. */
const oneShotHash: ((algorithm: string, data: string | Uint8Array, encoding: "hex") => string) | undefined =
  typeof crypto.hash === "function" ? crypto.hash : undefined;

/** ISO 8601 basic format, as in X-Amz-Date: 20150830T123600Z. */
export function formatAmzDate(d: Date): string {
  const seconds = Math.floor(d.getTime() / 1000);
  // Every request of a second formats the same instant (parsing checks it, signing uses it).
  if (seconds === lastFormatted.seconds) return lastFormatted.text;
  const year = d.getUTCFullYear();
  let text: string;
  if (year < 0 || year > 9999) text = d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  else {
    text =
      String(year).padStart(4, "0") +
      two(d.getUTCMonth() + 1) +
      two(d.getUTCDate()) +
      "T" +
      two(d.getUTCHours()) +
      two(d.getUTCMinutes()) +
      two(d.getUTCSeconds()) +
      "Z";
  }
  if (Number.isFinite(seconds)) {
    lastFormatted.seconds = seconds;
    lastFormatted.text = text;
  }
  return text;
}

const lastFormatted = { seconds: Number.NaN, text: "" };
const two = (n: number): string => (n < 10 ? "0" + n : String(n));

export function credentialScope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/aws4_request`;
}

export function canonicalRequest(
  req: CanonicalRequestInput,
  signedHeaders: readonly string[],
  payloadHash: string,
  opts: CanonicalOptions,
): string {
  return (
    req.method +
    "\n" +
    canonicalUri(req.path, opts.normalizePath) +
    "\n" +
    canonicalQueryString(req.rawQuery, opts.excludeQueryParams, opts.plusAsSpace ?? true) +
    "\n" +
    canonicalHeaders(req, signedHeaders) +
    "\n" +
    signedHeaders.join(";") +
    "\n" +
    payloadHash
  );
}

export function stringToSign(timestamp: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${timestamp}\n${scope}\n${sha256Hex(canonical)}`;
}

export function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac("sha256", "AWS4" + secretAccessKey).update(date).digest();
  const kRegion = createHmac("sha256", kDate).update(region).digest();
  const kService = createHmac("sha256", kRegion).update(service).digest();
  return createHmac("sha256", kService).update("aws4_request").digest();
}

const SIGNING_KEY_CACHE_SIZE = 256;
const signingKeys = new Map<string, Buffer>();

/** `deriveSigningKey`, cached: a key serves every request of one credential, day, region and service. */
export function getSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const id = `${secretAccessKey}\n${date}\n${region}\n${service}`;
  let key = signingKeys.get(id);
  if (key === undefined) {
    key = deriveSigningKey(secretAccessKey, date, region, service);
    // Evict the oldest entry: a Map iterates in insertion order.
    if (signingKeys.size >= SIGNING_KEY_CACHE_SIZE) signingKeys.delete(signingKeys.keys().next().value!);
    signingKeys.set(id, key);
  }
  return key;
}

export function computeSignature(signingKey: Buffer, toSign: string): string {
  return createHmac("sha256", signingKey).update(toSign).digest("hex");
}

/** Constant-time comparison of a signature the client sent against the HMAC we computed. */
export function signatureMatches(provided: string, signingKey: Buffer, toSign: string): boolean {
  if (provided.length !== 64 || !/^[0-9a-f]{64}$/.test(provided)) return false;
  const expected = createHmac("sha256", signingKey).update(toSign).digest();
  return timingSafeEqual(expected, Buffer.from(provided, "hex"));
}

// --- canonical URI, query string and headers ---

function isUnreserved(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2d || // -
    c === 0x2e || // .
    c === 0x5f || // _
    c === 0x7e // ~
  );
}

const HEX = "0123456789ABCDEF";
/** RFC 3986 encoding of every byte value: unreserved bytes as is, the rest as %XX. */
const ENCODED_BYTE: string[] = Array.from({ length: 256 }, (_, b) =>
  isUnreserved(b) ? String.fromCharCode(b) : "%" + HEX[b >> 4] + HEX[b & 15],
);

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** RFC 3986-encode a string's UTF-8 bytes ("/" kept when asked). */
export function uriEncode(s: string, keepSlash = false): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isUnreserved(c) && !(keepSlash && c === 0x2f)) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  let out = "";
  for (const b of Buffer.from(s, "utf8")) out += keepSlash && b === 0x2f ? "/" : ENCODED_BYTE[b];
  return out;
}

function isUpperHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46);
}

/** Whether `recode` would leave a string unchanged (with "/" allowed when asked). */
function isCanonical(raw: string, allowSlash: boolean): boolean {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (isUnreserved(c) || (allowSlash && c === 0x2f)) continue;
    if (c === 0x25 && i + 2 < raw.length) {
      const hi = raw.charCodeAt(i + 1);
      const lo = raw.charCodeAt(i + 2);
      if (isUpperHex(hi) && isUpperHex(lo) && !isUnreserved(hexValue(hi) * 16 + hexValue(lo))) {
        i += 2;
        continue;
      }
    }
    return false;
  }
  return true;
}

/**
 * Bring an already percent-encoded component to canonical form: decode it to bytes and encode
 * the bytes again, so "%7e" becomes "~", "%2f" becomes "%2F" and a raw space becomes "%20".
 */
function recode(raw: string, plusAsSpace: boolean): string {
  if (isCanonical(raw, false)) return raw;
  const bytes: number[] = [];
  let run = ""; // characters copied literally, UTF-8 encoded when flushed
  const flush = () => {
    if (run !== "") for (const b of Buffer.from(run, "utf8")) bytes.push(b);
    run = "";
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 && i + 2 < raw.length) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        flush();
        bytes.push(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    if (c === 0x2b && plusAsSpace) {
      flush();
      bytes.push(0x20);
      continue;
    }
    run += raw[i];
  }
  flush();
  let out = "";
  for (const b of bytes) out += ENCODED_BYTE[b];
  return out;
}

/**
 * The canonical URI. S3: the path as sent, in canonical percent-encoding (each "/"-separated
 * segment decoded and encoded once). Other services: the path without "." and ".." segments or
 * empty segments, then URI-encoded again, which double-encodes what the client had encoded.
 */
export function canonicalUri(path: string, normalize: boolean): string {
  if (path === "") return "/";
  if (!normalize) {
    if (isCanonical(path, true)) return path;
    return path
      .split("/")
      .map((segment) => recode(segment, false))
      .join("/");
  }
  if (isPlainPath(path)) return path;
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith("/") ? "/" : "";
  const normalized = (path.startsWith("/") ? "/" : "") + segments.join("/") + trailing;
  return uriEncode(normalized, true);
}

/** A path that normalizing and encoding would leave unchanged. */
function isPlainPath(path: string): boolean {
  if (path.charCodeAt(0) !== 0x2f) return false;
  let segmentStart = 1;
  for (let i = 1; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : 0x2f;
    if (c === 0x2f) {
      const length = i - segmentStart;
      // An empty segment is fine only as the trailing slash; "." and ".." need normalizing.
      if (length === 0 && i < path.length) return false;
      const dot = path.charCodeAt(segmentStart) === 0x2e;
      if (dot && (length === 1 || (length === 2 && path.charCodeAt(segmentStart + 1) === 0x2e))) return false;
      segmentStart = i + 1;
    } else if (!isUnreserved(c)) return false;
  }
  return true;
}

/** The canonical query string: pairs re-encoded per RFC 3986, sorted by key, then value. */
export function canonicalQueryString(rawQuery: string, exclude?: readonly string[], plusAsSpace = true): string {
  if (rawQuery === "") return "";
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = recode(eq < 0 ? part : part.slice(0, eq), plusAsSpace);
    if (exclude !== undefined && exclude.includes(key)) continue;
    pairs.push([key, eq < 0 ? "" : recode(part.slice(eq + 1), plusAsSpace)]);
  }
  if (pairs.length > 1) {
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  }
  let out = "";
  for (const [k, v] of pairs) out += (out === "" ? "" : "&") + k + "=" + v;
  return out;
}

/** Trim a header value and collapse every run of whitespace inside it to one space. */
function trimAll(v: string): string {
  let previousSpace = true; // so that a leading space takes the slow path
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x20) {
      if (previousSpace) return v.trim().replace(/\s+/g, " ");
      previousSpace = true;
    } else if (c < 0x21 || c > 0x7e) return v.trim().replace(/\s+/g, " ");
    else previousSpace = false;
  }
  return previousSpace && v.length > 0 ? v.trim().replace(/\s+/g, " ") : v;
}

function canonicalHeaderValue(req: CanonicalRequestInput, name: string): string {
  const value = req.headers[name];
  if (value === undefined) return "";
  // A repeated header is signed with its values joined by "," (not ", "): only the raw list
  // tells repeats from a single value that contains a comma.
  if (req.rawHeaders !== undefined && value.includes(",")) {
    const raw = req.rawHeaders;
    let joined: string | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) {
        const v = trimAll(raw[i + 1]!);
        joined = joined === undefined ? v : joined + "," + v;
      }
    }
    if (joined !== undefined) return joined;
  }
  return trimAll(value);
}

/** The canonical headers block, each "name:value\n". */
export function canonicalHeaders(req: CanonicalRequestInput, signedHeaders: readonly string[]): string {
  let out = "";
  for (const name of signedHeaders) out += name + ":" + canonicalHeaderValue(req, name) + "\n";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Errors, worded as AWS words them

const MSG_MISMATCH =
  "The request signature we calculated does not match the signature you provided. " +
  "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const MSG_MISMATCH_S3 =
  "The request signature we calculated does not match the signature you provided. " +
  "Check your key and signing method.";
const MSG_SIGV2_S3 = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.";
const MSG_PRESIGN_PARAMS_S3 =
  "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, " +
  "X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
const MSG_THREE_COMPONENTS_S3 =
  "The authorization header is malformed; the authorization header requires three components: " +
  "Credential, SignedHeaders, and Signature.";
const MSG_CREDENTIAL_SHAPE =
  'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".';
const MSG_DATE_S3 = "AWS authentication requires a valid Date or x-amz-date header";
const MSG_PAYLOAD_HASH_S3 =
  "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, " +
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, " +
  "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.";

function basicFormatMessage(got: string): string {
  return `Date must be in ISO-8601 'basic format'. Got '${got}'. See http://en.wikipedia.org/wiki/ISO_8601`;
}

function fail(def: ErrorDef, message?: string, fields?: Record<string, unknown>): never {
  throw new ServiceError(def, message, fields);
}

function isS3(service: string | undefined): boolean {
  return service === "s3";
}

/** ISO 8601 without milliseconds, as S3 writes ServerTime. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function hexBytes(s: string): string {
  return Buffer.from(s, "utf8").toString("hex").replace(/(..)(?!$)/g, "$1 ");
}

function mismatch(s3: boolean, parsed: ParsedSignature, canonical: string, toSign: string): never {
  if (s3) {
    fail(CommonErrors.SignatureDoesNotMatch, MSG_MISMATCH_S3, {
      AWSAccessKeyId: parsed.accessKeyId,
      StringToSign: toSign,
      SignatureProvided: parsed.signature,
      StringToSignBytes: hexBytes(toSign),
      CanonicalRequest: canonical,
      CanonicalRequestBytes: hexBytes(canonical),
    });
  }
  fail(
    CommonErrors.SignatureDoesNotMatch,
    `${MSG_MISMATCH}\n\nThe Canonical String for this request should have been\n'${canonical}'\n\n` +
      `The String-to-Sign should have been\n'${toSign}'\n`,
  );
}

// ---------------------------------------------------------------------------------------------
// Parsing

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function parseAmzDate(s: string): Date | undefined {
  // Concurrent requests mostly carry the same X-Amz-Date.
  if (s === lastParsed.text) return new Date(lastParsed.ms);
  const d = parseAmzDateText(s);
  if (d !== undefined) {
    lastParsed.text = s;
    lastParsed.ms = d.getTime();
  }
  return d;
}

const lastParsed = { text: "", ms: 0 };

function parseAmzDateText(s: string): Date | undefined {
  const m = AMZ_DATE.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  const d = new Date(ms);
  // Reject what Date.UTC would silently roll over (month 13, hour 25, ...).
  return formatAmzDate(d) === s ? d : undefined;
}

/** The X-Amz-* (and SigV2) authentication parameters of the query string, when there are any. */
function authQueryParams(req: WireRequest): Map<string, string> | undefined {
  const raw = req.rawQuery;
  if (raw === "" || (!raw.includes("X-Amz-") && !raw.includes("AWSAccessKeyId"))) return undefined;
  const params = new Map<string, string>();
  for (const [k, v] of req.query) {
    const wanted = k.startsWith("X-Amz-") || k === "AWSAccessKeyId" || k === "Signature";
    if (wanted && !params.has(k)) params.set(k, v);
  }
  return params;
}

/**
 * Read a request's authentication: anonymous, or a SigV4 signature in the Authorization header
 * or the query string. Throws the error AWS answers for malformed or unsupported authentication.
 */
export function parseAuth(req: WireRequest, opts: ParseOptions = {}): ParsedAuth {
  const s3 = isS3(opts.service);
  const authorization = req.headers["authorization"];
  const query = authQueryParams(req);
  if (authorization !== undefined) {
    if (s3 && query?.has("X-Amz-Algorithm")) {
      fail(
        CommonErrors.InvalidArgument,
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, " +
          "Signature query string parameter or the Authorization header should be specified",
        { ArgumentName: "Authorization", ArgumentValue: authorization },
      );
    }
    return parseHeaderAuth(req, authorization, s3, bodyRead(req, opts.bodyRead));
  }
  if (query !== undefined) {
    if (query.has("X-Amz-Algorithm") || query.has("X-Amz-Credential") || query.has("X-Amz-Signature")) {
      return parsePresigned(req, query, s3, bodyRead(req, opts.bodyRead));
    }
    // A SigV2 presigned URL: recognisable, but not supported (as in the S3 regions opened since 2014).
    if (s3 && query.has("AWSAccessKeyId") && query.has("Signature")) {
      fail(CommonErrors.InvalidRequest, MSG_SIGV2_S3);
    }
  }
  return ANONYMOUS;
}

function bodyRead(req: WireRequest, given: boolean | undefined): boolean {
  return given ?? req.bodyStream === undefined;
}

function parseHeaderAuth(req: WireRequest, authorization: string, s3: boolean, read: boolean): ParsedSignature {
  const space = authorization.indexOf(" ");
  const scheme = space < 0 ? authorization : authorization.slice(0, space);
  const xAmzDate = req.headers["x-amz-date"];
  const dateHeader = xAmzDate ?? req.headers["date"];

  if (scheme !== ALGORITHM) {
    if (s3) {
      // SigV2, and SigV4a which Nimbus does not implement.
      if (scheme === "AWS" || scheme === "AWS4-ECDSA-P256-SHA256") fail(CommonErrors.InvalidRequest, MSG_SIGV2_S3);
      const fields = { ArgumentName: "Authorization", ArgumentValue: authorization };
      if (space < 0) {
        const message = "Authorization header is invalid -- one and only one ' ' (space) required.";
        fail(CommonErrors.InvalidArgument, message, fields);
      }
      fail(CommonErrors.InvalidArgument, "Unsupported Authorization Type", fields);
    }
    // Other services answer an unknown scheme (SigV2 included) as a SigV4 header missing every part.
    const missing = missingPartsMessage(["Credential", "Signature", "SignedHeaders"], dateHeader === undefined);
    fail(CommonErrors.IncompleteSignature, `${missing}Authorization=${authorization}`);
  }

  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  // Components are separated by "," and optional spaces; some clients use spaces alone.
  for (const component of authorization.slice(space + 1).split(/[,\s]+/)) {
    if (component === "") continue;
    const eq = component.indexOf("=");
    if (eq < 0) {
      if (s3) fail(CommonErrors.AuthorizationHeaderMalformed, MSG_THREE_COMPONENTS_S3);
      fail(
        CommonErrors.IncompleteSignature,
        `'${component}' not a valid key=value pair (missing equal-sign) in Authorization header: '${authorization}'.`,
      );
    }
    const key = component.slice(0, eq);
    const value = component.slice(eq + 1);
    if (key === "Credential") credential = value;
    else if (key === "SignedHeaders") signedHeaders = value;
    else if (key === "Signature") signature = value;
  }

  if (!credential || !signedHeaders || !signature) {
    if (s3) fail(CommonErrors.AuthorizationHeaderMalformed, MSG_THREE_COMPONENTS_S3);
    const parts: string[] = [];
    if (!credential) parts.push("Credential");
    if (!signature) parts.push("Signature");
    if (!signedHeaders) parts.push("SignedHeaders");
    const missing = missingPartsMessage(parts, dateHeader === undefined);
    fail(CommonErrors.IncompleteSignature, `${missing}Authorization=${authorization}`);
  }

  if (dateHeader === undefined) {
    if (s3) fail(CommonErrors.AccessDenied, MSG_DATE_S3);
    fail(CommonErrors.IncompleteSignature, `${missingPartsMessage([], true)}Authorization=${authorization}`);
  }
  const amzDate = xAmzDate !== undefined ? parseAmzDate(xAmzDate) : parseHttpDate(dateHeader);
  if (amzDate === undefined) {
    if (s3) fail(CommonErrors.AccessDenied, MSG_DATE_S3);
    fail(CommonErrors.IncompleteSignature, basicFormatMessage(dateHeader));
  }

  const dateSource = xAmzDate !== undefined ? "X-Amz-Date" : "Date";
  const scope = parseCredential(credential, formatAmzDate(amzDate).slice(0, 8), dateSource, s3, "header");
  return {
    kind: "header",
    ...scope,
    signedHeaders: signedHeaders.toLowerCase().split(";"),
    signature,
    amzDate,
    ...sessionToken(req.headers["x-amz-security-token"]),
    payloadHash: headerPayloadHash(req, s3, read),
  };
}

function missingPartsMessage(parts: string[], dateMissing: boolean): string {
  let message = "";
  for (const part of parts) message += `Authorization header requires '${part}' parameter. `;
  if (dateMissing) message += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  return message;
}

function parseHttpDate(value: string): Date | undefined {
  const ms = Date.parse(value);
  // The string to sign carries whole seconds.
  return Number.isNaN(ms) ? undefined : new Date(Math.floor(ms / 1000) * 1000);
}

function sessionToken(token: string | undefined): { sessionToken?: string } {
  return token === undefined ? {} : { sessionToken: token };
}

function parseCredential(
  credential: string,
  requestDate: string,
  dateSource: string,
  s3: boolean,
  where: "header" | "query",
): { accessKeyId: string; date: string; region: string; service: string } {
  const [s3Error, s3Prefix] =
    where === "header"
      ? [CommonErrors.AuthorizationHeaderMalformed, "The authorization header is malformed; "]
      : [CommonErrors.AuthorizationQueryParametersError, "Error parsing the X-Amz-Credential parameter; "];
  const parts = credential.split("/");
  if (parts.length !== 5 || parts.some((p) => p === "")) {
    if (s3) fail(s3Error, s3Prefix + MSG_CREDENTIAL_SHAPE);
    fail(
      CommonErrors.IncompleteSignature,
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (terminator !== "aws4_request") {
    if (s3) fail(s3Error, `${s3Prefix}incorrect terminal "${terminator}". This endpoint uses "aws4_request".`);
    const message = `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`;
    fail(CommonErrors.SignatureDoesNotMatch, message);
  }
  if (date !== requestDate) {
    if (s3) {
      if (!/^\d{8}$/.test(date)) {
        const format = 'This date in the credential must be in the format "yyyyMMdd".';
        fail(s3Error, `${s3Prefix}incorrect date format "${date}". ${format}`);
      }
      const same = `This date is not the same as X-Amz-Date: "${requestDate}".`;
      fail(s3Error, `${s3Prefix}Invalid credential date "${date}". ${same}`);
    }
    fail(
      CommonErrors.SignatureDoesNotMatch,
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: " +
        `'${date}' != '${requestDate}', from '${dateSource}'.`,
    );
  }
  return { accessKeyId, date, region, service };
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

function checkS3PayloadHash(value: string): void {
  if (value === STREAMING_ECDSA || value === STREAMING_ECDSA_TRAILER) {
    const message = `x-amz-content-sha256 ${value} (SigV4a) is not supported; sign with AWS4-HMAC-SHA256.`;
    fail(CommonErrors.NotImplemented, message);
  }
  if (
    value !== UNSIGNED_PAYLOAD &&
    value !== STREAMING_PAYLOAD &&
    value !== STREAMING_PAYLOAD_TRAILER &&
    value !== STREAMING_UNSIGNED_PAYLOAD_TRAILER &&
    !HEX_SHA256.test(value)
  ) {
    fail(CommonErrors.InvalidArgument, MSG_PAYLOAD_HASH_S3, { ArgumentName: "x-amz-content-sha256", ArgumentValue: value });
  }
}

/** The SHA-256 of the body; a body still streaming is taken as unsigned, as the SDKs sign it. */
function bodyHash(req: WireRequest, read: boolean): string {
  if (!read) return UNSIGNED_PAYLOAD;
  return req.body.length === 0 ? EMPTY_SHA256 : sha256Hex(req.body);
}

function headerPayloadHash(req: WireRequest, s3: boolean, read: boolean): string {
  const declared = req.headers["x-amz-content-sha256"];
  if (declared === undefined) {
    if (s3) fail(CommonErrors.InvalidRequest, "Missing required header for this request: x-amz-content-sha256");
    return bodyHash(req, read);
  }
  if (s3) checkS3PayloadHash(declared);
  return declared;
}

function parsePresigned(req: WireRequest, query: Map<string, string>, s3: boolean, read: boolean): ParsedSignature {
  const algorithm = query.get("X-Amz-Algorithm");
  const credential = query.get("X-Amz-Credential");
  const signature = query.get("X-Amz-Signature");
  const date = query.get("X-Amz-Date");
  const signedHeaders = query.get("X-Amz-SignedHeaders");
  const expires = query.get("X-Amz-Expires");

  if (s3) {
    if (!algorithm || !credential || !signature || !date || !signedHeaders || expires === undefined) {
      fail(CommonErrors.AuthorizationQueryParametersError, MSG_PRESIGN_PARAMS_S3);
    }
    if (algorithm !== ALGORITHM) {
      fail(CommonErrors.AuthorizationQueryParametersError, 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
    }
  } else {
    let message = "";
    const required: Array<[string, string | undefined]> = [
      ["X-Amz-Algorithm", algorithm],
      ["X-Amz-Credential", credential],
      ["X-Amz-Signature", signature],
      ["X-Amz-SignedHeaders", signedHeaders],
      ["X-Amz-Date", date],
    ];
    for (const [name, value] of required) {
      if (!value) message += `AWS query-string parameters must include '${name}'. `;
    }
    if (message !== "") fail(CommonErrors.IncompleteSignature, message + "Re-examine the query-string parameters.");
    if (algorithm !== ALGORITHM) fail(CommonErrors.IncompleteSignature, `Unsupported AWS 'algorithm': '${algorithm}'.`);
  }

  const amzDate = parseAmzDate(date!);
  if (amzDate === undefined) {
    if (s3) {
      const message = `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`;
      fail(CommonErrors.AuthorizationQueryParametersError, message);
    }
    fail(CommonErrors.IncompleteSignature, basicFormatMessage(date!));
  }

  let expiresSeconds: number | undefined;
  if (expires !== undefined && /^\d{1,15}$/.test(expires)) expiresSeconds = Number(expires);
  if (s3) {
    if (expiresSeconds === undefined) {
      fail(
        CommonErrors.AuthorizationQueryParametersError,
        /^-\d+$/.test(expires!) ? "X-Amz-Expires must be non-negative" : "X-Amz-Expires should be a number",
      );
    }
    if (expiresSeconds > MAX_PRESIGN_EXPIRES) {
      fail(
        CommonErrors.AuthorizationQueryParametersError,
        "X-Amz-Expires must be less than a week (in seconds); that is, " +
          "the given X-Amz-Expires must be less than 604800 seconds",
      );
    }
  }

  const scope = parseCredential(credential!, date!.slice(0, 8), "X-Amz-Date", s3, "query");
  // S3 presigned URLs sign UNSIGNED-PAYLOAD unless the URL carries a hash (the JS SDK hoists
  // X-Amz-Content-Sha256 into it); other services sign the body, which is empty for a GET.
  const declared = query.get("X-Amz-Content-Sha256") ?? req.headers["x-amz-content-sha256"];
  if (s3 && declared !== undefined) checkS3PayloadHash(declared);
  return {
    kind: "presigned",
    ...scope,
    signedHeaders: signedHeaders!.toLowerCase().split(";"),
    signature: signature!,
    amzDate,
    ...(expiresSeconds === undefined ? {} : { expiresSeconds }),
    ...sessionToken(query.get("X-Amz-Security-Token") ?? req.headers["x-amz-security-token"]),
    payloadHash: declared ?? (s3 ? UNSIGNED_PAYLOAD : bodyHash(req, read)),
  };
}

// ---------------------------------------------------------------------------------------------
// Verification

function checkTime(parsed: ParsedSignature, now: Date, s3: boolean): void {
  const t = parsed.amzDate.getTime();
  const n = now.getTime();
  if (parsed.kind === "header" && Math.abs(n - t) <= MAX_SKEW_MS) return;
  const requestTime = formatAmzDate(parsed.amzDate);
  if (parsed.kind === "header") {
    if (s3) {
      const message = "The difference between the request time and the current time is too large.";
      fail(CommonErrors.RequestTimeTooSkewed, message, {
        RequestTime: requestTime,
        ServerTime: isoSeconds(n),
        MaxAllowedSkewMilliseconds: MAX_SKEW_MS,
      });
    }
    // The query and JSON services report skew as a signature mismatch.
    const nowText = formatAmzDate(now);
    if (t < n) {
      const limit = formatAmzDate(new Date(n - MAX_SKEW_MS));
      fail(CommonErrors.SignatureDoesNotMatch, `Signature expired: ${requestTime} is now earlier than ${limit} (${nowText} - 15 min.)`);
    }
    const limit = formatAmzDate(new Date(n + MAX_SKEW_MS));
    fail(CommonErrors.SignatureDoesNotMatch, `Signature not yet current: ${requestTime} is still later than ${limit} (${nowText} + 15 min.)`);
  }
  if (s3) {
    const expiresAt = t + (parsed.expiresSeconds ?? 0) * 1000;
    if (n > expiresAt) {
      fail(CommonErrors.AccessDenied, "Request has expired", {
        "X-Amz-Expires": String(parsed.expiresSeconds ?? 0),
        Expires: isoSeconds(expiresAt),
        ServerTime: isoSeconds(n),
      });
    }
    if (t - n > MAX_SKEW_MS) {
      fail(CommonErrors.AccessDenied, "Request is not yet valid", {
        "X-Amz-Date": requestTime,
        Expires: isoSeconds(expiresAt),
        ServerTime: isoSeconds(n),
      });
    }
    return;
  }
  // Other services ignore X-Amz-Expires: a presigned request is good for 15 minutes from its
  // X-Amz-Date (which is why EKS tokens, presigned with X-Amz-Expires=60, last 15 minutes).
  if (Math.abs(n - t) > MAX_SKEW_MS) fail(CommonErrors.RequestExpired, "Request has expired.");
}

/**
 * Check a parsed signature against the request, with the secret of its access key. Throws
 * (RequestTimeTooSkewed / "Signature expired" / an expired presigned URL, then
 * SignatureDoesNotMatch, then XAmzContentSHA256Mismatch) or returns normally when it holds.
 */
export function verify(
  req: WireRequest,
  parsed: ParsedSignature,
  secretAccessKey: string,
  opts: VerifyOptions,
): void {
  const s3 = isS3(opts.service);
  checkTime(parsed, opts.now, s3);

  const key = getSigningKey(secretAccessKey, parsed.date, parsed.region, parsed.service);
  const scope = credentialScope(parsed.date, parsed.region, parsed.service);
  const timestamp = formatAmzDate(parsed.amzDate);
  const presigned = parsed.kind === "presigned";
  const canonOpts: CanonicalOptions = {
    normalizePath: opts.normalizePath ?? !s3,
    ...(presigned ? { excludeQueryParams: ["X-Amz-Signature"] } : {}),
  };
  const canonical = canonicalRequest(req, parsed.signedHeaders, parsed.payloadHash, canonOpts);
  const toSign = stringToSign(timestamp, scope, canonical);
  if (!signatureMatches(parsed.signature, key, toSign)) {
    // Before failing, the other readings a client may have signed: a raw "+" in the query taken
    // literally; for a non-S3 presigned request, an unsigned payload, or the session token
    // added to the URL after signing (as for IoT, which wants the token left unsigned).
    const alternatives: Array<[CanonicalOptions, string]> = [];
    const hash = parsed.payloadHash;
    if (req.rawQuery.includes("+")) alternatives.push([{ ...canonOpts, plusAsSpace: false }, hash]);
    if (presigned && !s3) {
      if (hash !== UNSIGNED_PAYLOAD) alternatives.push([canonOpts, UNSIGNED_PAYLOAD]);
      if (parsed.sessionToken !== undefined && req.rawQuery.includes("X-Amz-Security-Token=")) {
        alternatives.push([{ ...canonOpts, excludeQueryParams: ["X-Amz-Signature", "X-Amz-Security-Token"] }, hash]);
      }
    }
    const matched = alternatives.some(([o, h]) => {
      const other = canonicalRequest(req, parsed.signedHeaders, h, o);
      return signatureMatches(parsed.signature, key, stringToSign(timestamp, scope, other));
    });
    if (!matched) mismatch(s3, parsed, canonical, toSign);
  }

  // A hash the client declared must also be the body's, when the body has been read.
  const declared = parsed.payloadHash;
  const declaredByClient =
    req.headers["x-amz-content-sha256"] === declared ||
    (presigned && req.rawQuery.includes("X-Amz-Content-Sha256="));
  if (declaredByClient && bodyRead(req, opts.bodyRead) && HEX_SHA256.test(declared)) {
    const actual = req.body.length === 0 ? EMPTY_SHA256 : sha256Hex(req.body);
    if (actual !== declared.toLowerCase()) payloadMismatch(s3, declared, actual);
  }
}

function payloadMismatch(s3: boolean, declared: string, actual: string): never {
  if (s3) {
    fail(CommonErrors.XAmzContentSHA256Mismatch, undefined, {
      ClientComputedContentSHA256: declared,
      S3ComputedContentSHA256: actual,
    });
  }
  fail(CommonErrors.SignatureDoesNotMatch, MSG_MISMATCH);
}

/**
 * A pass-through stream that checks a streamed body against the hex SHA-256 the client declared
 * (x-amz-content-sha256), failing at the end with XAmzContentSHA256Mismatch (S3) or
 * SignatureDoesNotMatch. Whoever consumes it must discard what it wrote when the stream errors.
 */
export function createPayloadHashCheck(declaredHex: string, opts: { service: string }): Transform {
  const hash = createHash("sha256");
  const s3 = isS3(opts.service);
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      const actual = hash.digest("hex");
      if (actual === declaredHex.toLowerCase()) callback();
      else {
        try {
          payloadMismatch(s3, declaredHex, actual);
        } catch (e) {
          callback(e as Error);
        }
      }
    },
  });
}
