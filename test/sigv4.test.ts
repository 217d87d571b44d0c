/**
 * SigV4 verifier and aws-chunked decoder: the aws-c-auth conformance suite (accept, then reject
 * every single-byte change), AWS error codes and wording, and requests captured from the AWS SDK
 * for JavaScript v3.
 */
import { createHash, createHmac } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Client, PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { LambdaClient, InvokeCommand } from "@aws-sdk/client-lambda";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { SignatureV4 } from "@smithy/signature-v4";
import { ServiceError } from "../src/core/errors.js";
import type { WireRequest } from "../src/protocol/types.js";
import {
  EMPTY_SHA256,
  canonicalRequest,
  computeSignature,
  createPayloadHashCheck,
  credentialScope,
  deriveSigningKey,
  formatAmzDate,
  getSigningKey,
  parseAuth,
  sha256Hex,
  stringToSign,
  verify,
  type ParsedSignature,
} from "../src/auth/sigv4.js";
import { AwsChunkedDecoder, createAwsChunkedDecoder, isAwsChunked } from "../src/auth/aws-chunked.js";

// ---------------------------------------------------------------------------------------------
// Building WireRequests

function decodeComponent(s: string): string {
  const spaced = s.replace(/\+/g, " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

function decodeQuery(raw: string): Array<[string, string]> {
  if (raw === "") return [];
  return raw
    .split("&")
    .filter((p) => p !== "")
    .map((p) => {
      const eq = p.indexOf("=");
      return eq < 0 ? [decodeComponent(p), ""] : [decodeComponent(p.slice(0, eq)), decodeComponent(p.slice(eq + 1))];
    });
}

/** A WireRequest as the front end would build it, from a request target and raw header pairs. */
function wire(method: string, target: string, rawPairs: Array<[string, string]>, body: Buffer = Buffer.alloc(0)): WireRequest {
  const q = target.indexOf("?");
  const rawQuery = q < 0 ? "" : target.slice(q + 1);
  const headers: Record<string, string> = {};
  const rawHeaders: string[] = [];
  for (const [name, value] of rawPairs) {
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
    rawHeaders.push(name, value);
  }
  return {
    method,
    path: q < 0 ? target : target.slice(0, q),
    rawQuery,
    query: decodeQuery(rawQuery),
    headers,
    rawHeaders,
    body,
    hostname: (headers["host"] ?? "").replace(/:\d+$/, "").toLowerCase(),
  };
}

/** Parse a raw HTTP/1.1 request as the suite writes it (obs-fold continuation lines unfolded). */
function parseRawRequest(text: string): WireRequest {
  const split = text.indexOf("\n\n");
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? "" : text.slice(split + 2);
  const lines = head.split("\n");
  const requestLine = lines.shift()!;
  // The target may hold spaces ("GET /example space/ HTTP/1.1").
  const method = requestLine.slice(0, requestLine.indexOf(" "));
  const target = requestLine.slice(method.length + 1, requestLine.lastIndexOf(" "));
  const pairs: Array<[string, string]> = [];
  for (const line of lines) {
    if (line === "") continue;
    if (line.startsWith(" ") || line.startsWith("\t")) {
      pairs[pairs.length - 1]![1] += " " + line;
      continue;
    }
    const colon = line.indexOf(":");
    pairs.push([line.slice(0, colon), line.slice(colon + 1)]);
  }
  // Like an HTTP parser, drop optional whitespace around values.
  return wire(method, target, pairs.map(([n, v]) => [n, v.trim()]), Buffer.from(body, "utf8"));
}

function withHeader(req: WireRequest, name: string, value: string): WireRequest {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < req.rawHeaders!.length; i += 2) pairs.push([req.rawHeaders![i]!, req.rawHeaders![i + 1]!]);
  const others = pairs.filter(([n]) => n.toLowerCase() !== name.toLowerCase());
  const target = req.rawQuery === "" ? req.path : `${req.path}?${req.rawQuery}`;
  return wire(req.method, target, [...others, [name, value]], req.body);
}

function catchError(fn: () => unknown): ServiceError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ServiceError) return e;
    throw e;
  }
  throw new Error("expected a ServiceError, got none");
}

function expectCode(fn: () => unknown, code: string, message?: string | RegExp): ServiceError {
  const e = catchError(fn);
  expect(e.code, e.message).toBe(code);
  if (typeof message === "string") expect(e.message).toBe(message);
  else if (message) expect(e.message).toMatch(message);
  return e;
}

function check(req: WireRequest, secret: string, now: Date, service: string, normalizePath?: boolean): void {
  const parsed = parseAuth(req, { service });
  if (parsed.kind === "anonymous") throw new Error("request is anonymous");
  verify(req, parsed, secret, { now, service, ...(normalizePath === undefined ? {} : { normalizePath }) });
}

// ---------------------------------------------------------------------------------------------
// A client-side signer built on the exported helpers, for the cases the suite does not cover

const AKID = "AKIDEXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const T0 = new Date("2015-08-30T12:36:00Z");

interface SignOptions {
  service: string;
  date?: Date;
  region?: string;
  s3?: boolean;
  payloadHash?: string;
  sessionToken?: string;
  extraHeaders?: Array<[string, string]>;
}

function signHeader(method: string, target: string, body: Buffer, o: SignOptions): WireRequest {
  const date = o.date ?? T0;
  const region = o.region ?? "us-east-1";
  const amzDate = formatAmzDate(date);
  const pairs: Array<[string, string]> = [["Host", "example.amazonaws.com"], ["X-Amz-Date", amzDate], ...(o.extraHeaders ?? [])];
  if (o.payloadHash !== undefined) pairs.push(["x-amz-content-sha256", o.payloadHash]);
  if (o.sessionToken !== undefined) pairs.push(["X-Amz-Security-Token", o.sessionToken]);
  const unsigned = wire(method, target, pairs, body);
  const signedHeaders = Object.keys(unsigned.headers).sort();
  const hash = o.payloadHash ?? sha256Hex(body);
  const canonical = canonicalRequest(unsigned, signedHeaders, hash, { normalizePath: !o.s3 });
  const scope = credentialScope(amzDate.slice(0, 8), region, o.service);
  const signature = computeSignature(getSigningKey(SECRET, amzDate.slice(0, 8), region, o.service), stringToSign(amzDate, scope, canonical));
  pairs.push(["Authorization", `AWS4-HMAC-SHA256 Credential=${AKID}/${scope}, SignedHeaders=${signedHeaders.join(";")}, Signature=${signature}`]);
  return wire(method, target, pairs, body);
}

function presign(method: string, path: string, o: SignOptions & { expires?: string; query?: string }): WireRequest {
  const date = o.date ?? T0;
  const region = o.region ?? "us-east-1";
  const amzDate = formatAmzDate(date);
  const scope = credentialScope(amzDate.slice(0, 8), region, o.service);
  const params = [
    ...(o.query ? [o.query] : []),
    "X-Amz-Algorithm=AWS4-HMAC-SHA256",
    `X-Amz-Credential=${encodeURIComponent(`${AKID}/${scope}`)}`,
    `X-Amz-Date=${amzDate}`,
    `X-Amz-Expires=${o.expires ?? "3600"}`,
    "X-Amz-SignedHeaders=host",
  ];
  const unsigned = wire(method, `${path}?${params.join("&")}`, [["Host", "example.amazonaws.com"]]);
  const canonical = canonicalRequest(unsigned, ["host"], o.s3 ? "UNSIGNED-PAYLOAD" : EMPTY_SHA256, { normalizePath: !o.s3 });
  const signature = computeSignature(getSigningKey(SECRET, amzDate.slice(0, 8), region, o.service), stringToSign(amzDate, scope, canonical));
  return wire(method, `${path}?${params.join("&")}&X-Amz-Signature=${signature}`, [["Host", "example.amazonaws.com"]]);
}

// ---------------------------------------------------------------------------------------------
// The conformance suite

const SUITE = new URL("../../shared/conformance/sigv4/v4/", import.meta.url);

interface SuiteContext {
  credentials: { access_key_id: string; secret_access_key: string; token?: string };
  normalize: boolean;
  region: string;
  service: string;
  sign_body: boolean;
  timestamp: string;
  /** The session token is added once the request is signed ("header-after"). */
  omit_session_token?: boolean;
}

const cases = readdirSync(SUITE).sort();

function read(name: string, file: string): string {
  return readFileSync(new URL(`${name}/${file}`, SUITE), "utf8");
}

/** Which query parameter a position of the raw query string belongs to (either side of a separator). */
function paramsAt(rawQuery: string, at: number): string[] {
  const names: string[] = [];
  let start = 0;
  for (const part of rawQuery.split("&")) {
    const end = start + part.length;
    if (at >= start - 1 && at <= end) names.push(decodeComponent(part.split("=")[0]!));
    start = end + 1;
  }
  return names;
}

describe("SigV4 conformance suite (aws-c-auth v4)", () => {
  it("has its cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const name of cases) {
    for (const variant of ["header", "query"] as const) {
      describe(`${name} (${variant})`, () => {
        const ctx = JSON.parse(read(name, "context.json")) as SuiteContext;
        const now = new Date(ctx.timestamp);
        const secret = ctx.credentials.secret_access_key;
        const signed = parseRawRequest(read(name, `${variant}-signed-request.txt`));
        const run = (req: WireRequest) => check(req, secret, now, ctx.service, ctx.normalize);

        it("builds the expected canonical request, string to sign and signature", () => {
          const parsed = parseAuth(signed, { service: ctx.service }) as ParsedSignature;
          expect(parsed.kind).toBe(variant === "header" ? "header" : "presigned");
          expect(parsed.accessKeyId).toBe(ctx.credentials.access_key_id);
          const canonical = canonicalRequest(signed, parsed.signedHeaders, parsed.payloadHash, {
            normalizePath: ctx.normalize,
            // "header-after": the session token joins the URL after signing.
            ...(variant === "query"
              ? { excludeQueryParams: ["X-Amz-Signature", ...(ctx.omit_session_token ? ["X-Amz-Security-Token"] : [])] }
              : {}),
          });
          expect(canonical).toBe(read(name, `${variant}-canonical-request.txt`));
          const toSign = stringToSign(formatAmzDate(parsed.amzDate), credentialScope(parsed.date, parsed.region, parsed.service), canonical);
          expect(toSign).toBe(read(name, `${variant}-string-to-sign.txt`));
          const key = deriveSigningKey(secret, parsed.date, parsed.region, parsed.service);
          expect(computeSignature(key, toSign)).toBe(read(name, `${variant}-signature.txt`).trim());
        });

        it("verifies the signed request", () => {
          run(signed);
          expect((parseAuth(signed) as ParsedSignature).sessionToken).toBe(ctx.credentials.token);
        });

        it("still verifies with an unsigned header added", () => {
          run(withHeader(signed, "X-Unsigned-Extra", "anything"));
        });

        it("rejects every single-byte change of the method", () => {
          for (let i = 0; i < signed.method.length; i++) {
            const method = signed.method.slice(0, i) + String.fromCharCode(signed.method.charCodeAt(i) ^ 1) + signed.method.slice(i + 1);
            expectCode(() => run({ ...signed, method }), "SignatureDoesNotMatch");
          }
        });

        it("rejects every single-byte change of the path", () => {
          let rejected = 0;
          for (let i = 0; i < signed.path.length; i++) {
            const path = signed.path.slice(0, i) + String.fromCharCode(signed.path.charCodeAt(i) ^ 1) + signed.path.slice(i + 1);
            const changed = { ...signed, path };
            const sameCanonical =
              canonicalRequest(changed, ["host"], "", { normalizePath: ctx.normalize }) ===
              canonicalRequest(signed, ["host"], "", { normalizePath: ctx.normalize });
            if (sameCanonical) {
              // Only what normalization removes ("x/..", "./", "//") may change unseen.
              expect(ctx.normalize).toBe(true);
              expect(signed.path + " " + path).toMatch(/\/\.\.?(\/|$| )|\/\//);
              run(changed);
              continue;
            }
            expectCode(() => run(changed), "SignatureDoesNotMatch");
            rejected++;
          }
          expect(rejected).toBeGreaterThan(0);
        });

        it("rejects every single-byte change of the query string", () => {
          for (let i = 0; i < signed.rawQuery.length; i++) {
            const rawQuery = signed.rawQuery.slice(0, i) + String.fromCharCode(signed.rawQuery.charCodeAt(i) ^ 1) + signed.rawQuery.slice(i + 1);
            const changed = { ...signed, rawQuery, query: decodeQuery(rawQuery) };
            const params = paramsAt(signed.rawQuery, i);
            // "header-after" adds the session token once signed: that parameter is not a signed part.
            if (ctx.omit_session_token && params.length === 1 && params[0] === "X-Amz-Security-Token") {
              continue;
            }
            const e = catchError(() => run(changed));
            // Breaking an authentication parameter of a presigned URL may fail earlier, as malformed.
            const authParam = variant === "query" && params.some((p) => p.startsWith("X-Amz-"));
            if (authParam) expect(["SignatureDoesNotMatch", "IncompleteSignature", "RequestExpired"]).toContain(e.code);
            else expect(e.code, `query byte ${i}`).toBe("SignatureDoesNotMatch");
          }
        });

        it("rejects every single-byte change of a signed header value", () => {
          const parsed = parseAuth(signed) as ParsedSignature;
          const pairs = rawPairs(signed);
          const target = signed.rawQuery === "" ? signed.path : `${signed.path}?${signed.rawQuery}`;
          let changes = 0;
          pairs.forEach(([name, value], index) => {
            const header = name.toLowerCase();
            if (!parsed.signedHeaders.includes(header)) return;
            for (let i = 0; i < value.length; i++) {
              const changedValue = value.slice(0, i) + String.fromCharCode(value.charCodeAt(i) ^ 1) + value.slice(i + 1);
              const changedPairs = pairs.map((p, j): [string, string] => (j === index ? [name, changedValue] : p));
              const e = catchError(() => run(wire(signed.method, target, changedPairs, signed.body)));
              changes++;
              // A broken X-Amz-Date may fail as malformed rather than as a mismatch.
              if (header === "x-amz-date") expect(["SignatureDoesNotMatch", "IncompleteSignature"]).toContain(e.code);
              else expect(e.code, `${header} byte ${i}`).toBe("SignatureDoesNotMatch");
            }
          });
          expect(changes).toBeGreaterThan(0);
        });

        if (ctx.sign_body) {
          it("rejects every single-byte change of the body", () => {
            expect(signed.body.length).toBeGreaterThan(0);
            for (let i = 0; i < signed.body.length; i++) {
              const body = Buffer.from(signed.body);
              body[i]! ^= 1;
              expectCode(() => run({ ...signed, body }), "SignatureDoesNotMatch");
            }
          });
        }
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Helpers against published values

describe("signing helpers", () => {
  it("derives the signing key of the AWS documentation example", () => {
    const key = deriveSigningKey(SECRET, "20150830", "us-east-1", "iam");
    expect(key.toString("hex")).toBe("c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
    expect(getSigningKey(SECRET, "20150830", "us-east-1", "iam")).toEqual(key);
  });

  it("keeps S3 paths as sent but in canonical encoding, and double-encodes for other services", () => {
    const req = (path: string) => ({ method: "GET", path, rawQuery: "", headers: {} });
    const uri = (path: string, normalizePath: boolean) => canonicalRequest(req(path), [], "", { normalizePath }).split("\n")[1];
    expect(uri("/b/a%20b%2Bc/./d//e", false)).toBe("/b/a%20b%2Bc/./d//e");
    expect(uri("/b/%7e%2f%e1%88%b4", false)).toBe("/b/~%2F%E1%88%B4");
    expect(uri("/2015-03-31/functions/arn%3Aaws%3Alambda/invocations", true)).toBe("/2015-03-31/functions/arn%253Aaws%253Alambda/invocations");
    expect(uri("/a/./b/../c//", true)).toBe("/a/c/");
    expect(uri("", true)).toBe("/");
  });

  it("sorts the canonical query by encoded key, then value, and reads + as a space", () => {
    const q = (rawQuery: string) => canonicalRequest({ method: "GET", path: "/", rawQuery, headers: {} }, [], "", { normalizePath: true }).split("\n")[2];
    expect(q("b=2&a=2&a=1&c")).toBe("a=1&a=2&b=2&c=");
    expect(q("k=a+b&k2=%7e%2a!")).toBe("k=a%20b&k2=~%2A%21");
  });
});

// ---------------------------------------------------------------------------------------------
// Parsing: anonymous, malformed and unsupported authentication

describe("parseAuth", () => {
  const host: Array<[string, string]> = [["Host", "example.amazonaws.com"]];
  const date: [string, string] = ["X-Amz-Date", "20150830T123600Z"];
  const cred = `Credential=${AKID}/20150830/us-east-1/sts/aws4_request`;

  it("finds no signature on an anonymous request", () => {
    expect(parseAuth(wire("GET", "/b/k?versionId=1", host), { service: "s3" })).toEqual({ kind: "anonymous" });
  });

  it("names every missing Authorization part, as the query/JSON services do", () => {
    const auth = `AWS4-HMAC-SHA256 ${cred}`;
    expectCode(
      () => parseAuth(wire("POST", "/", [...host, ["Authorization", auth]]), { service: "sts" }),
      "IncompleteSignature",
      "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " +
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
        `Authorization=${auth}`,
    );
  });

  it("answers S3's AuthorizationHeaderMalformed for a header missing parts", () => {
    const e = expectCode(
      () => parseAuth(wire("GET", "/b", [...host, date, ["x-amz-content-sha256", EMPTY_SHA256], ["Authorization", `AWS4-HMAC-SHA256 ${cred}`]]), { service: "s3" }),
      "AuthorizationHeaderMalformed",
      /requires three components/,
    );
    expect(e.status).toBe(400);
  });

  it("rejects a credential without five parts, a wrong terminator and a scope date off the request date", () => {
    const auth = (credential: string) => `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`;
    const req = (credential: string) => wire("POST", "/", [...host, date, ["Authorization", auth(credential)]]);
    expectCode(() => parseAuth(req(`${AKID}/20150830/us-east-1/aws4_request`), { service: "sts" }), "IncompleteSignature", `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${AKID}/20150830/us-east-1/aws4_request'`);
    expectCode(() => parseAuth(req(`${AKID}/20150830/us-east-1/sts/aws5_request`), { service: "sts" }), "SignatureDoesNotMatch", "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.");
    expectCode(() => parseAuth(req(`${AKID}/20150831/us-east-1/sts/aws4_request`), { service: "sts" }), "SignatureDoesNotMatch", /^Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from 'X-Amz-Date'/);
    expectCode(() => parseAuth(req(`${AKID}/20150830/us-east-1/s3`), { service: "s3" }), "AuthorizationHeaderMalformed", /the Credential is mal-formed/);
  });

  it("reports a missing or malformed request date", () => {
    const auth = `AWS4-HMAC-SHA256 ${cred}, SignedHeaders=host, Signature=${"0".repeat(64)}`;
    expectCode(() => parseAuth(wire("POST", "/", [...host, ["Authorization", auth]]), { service: "sts" }), "IncompleteSignature", /requires existence of either a 'X-Amz-Date' or a 'Date' header/);
    expectCode(() => parseAuth(wire("POST", "/", [...host, ["X-Amz-Date", "2015-08-30T12:36:00Z"], ["Authorization", auth]]), { service: "sts" }), "IncompleteSignature", /ISO-8601 'basic format'/);
    expectCode(() => parseAuth(wire("GET", "/", [...host, ["Authorization", auth.replace("/sts/", "/s3/")]]), { service: "s3" }), "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  });

  it("recognises SigV2 and refuses it", () => {
    const v2: Array<[string, string]> = [...host, ["Authorization", "AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="]];
    const e = expectCode(() => parseAuth(wire("GET", "/b/k", v2), { service: "s3" }), "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
    expect(e.status).toBe(400);
    expectCode(() => parseAuth(wire("GET", "/b/k?AWSAccessKeyId=AKID&Expires=1&Signature=x", host), { service: "s3" }), "InvalidRequest", /Please use AWS4-HMAC-SHA256/);
    expectCode(() => parseAuth(wire("POST", "/", v2), { service: "sts" }), "IncompleteSignature", /^Authorization header requires 'Credential' parameter\./);
    expectCode(() => parseAuth(wire("GET", "/b/k", [...host, ["Authorization", "Bearer abc"]]), { service: "s3" }), "InvalidArgument", "Unsupported Authorization Type");
  });

  it("requires and validates x-amz-content-sha256 for S3", () => {
    const req = signHeader("GET", "/b/k", Buffer.alloc(0), { service: "s3", s3: true });
    expectCode(() => parseAuth(req, { service: "s3" }), "InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
    const bad = signHeader("GET", "/b/k", Buffer.alloc(0), { service: "s3", s3: true, payloadHash: "GIBBERISH" });
    const e = expectCode(() => parseAuth(bad, { service: "s3" }), "InvalidArgument", /^x-amz-content-sha256 must be UNSIGNED-PAYLOAD/);
    expect(e.fields).toEqual({ ArgumentName: "x-amz-content-sha256", ArgumentValue: "GIBBERISH" });
    const sigv4a = signHeader("PUT", "/b/k", Buffer.alloc(0), { service: "s3", s3: true, payloadHash: "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD" });
    expectCode(() => parseAuth(sigv4a, { service: "s3" }), "NotImplemented");
  });

  it("reads the session token from the header or the query", () => {
    const h = signHeader("POST", "/", Buffer.alloc(0), { service: "sts", sessionToken: "tok/en+=" });
    expect((parseAuth(h) as ParsedSignature).sessionToken).toBe("tok/en+=");
    check(h, SECRET, T0, "sts");
    const q = presign("GET", "/", { service: "sts", query: "X-Amz-Security-Token=tok%2Fen%2B%3D" });
    expect((parseAuth(q) as ParsedSignature).sessionToken).toBe("tok/en+=");
    check(q, SECRET, T0, "sts");
  });

  it("validates S3 presigned query parameters", () => {
    const ok = presign("GET", "/b/k", { service: "s3", s3: true, expires: "604800" });
    expect((parseAuth(ok, { service: "s3" }) as ParsedSignature).expiresSeconds).toBe(604800);
    const week = expectCode(
      () => parseAuth(presign("GET", "/b/k", { service: "s3", s3: true, expires: "604801" }), { service: "s3" }),
      "AuthorizationQueryParametersError",
      "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
    );
    expect(week.status).toBe(400);
    expectCode(() => parseAuth(presign("GET", "/b/k", { service: "s3", s3: true, expires: "abc" }), { service: "s3" }), "AuthorizationQueryParametersError", "X-Amz-Expires should be a number");
    expectCode(() => parseAuth(presign("GET", "/b/k", { service: "s3", s3: true, expires: "-5" }), { service: "s3" }), "AuthorizationQueryParametersError", "X-Amz-Expires must be non-negative");
    const noExpires = wire("GET", "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc", host);
    expectCode(() => parseAuth(noExpires, { service: "s3" }), "AuthorizationQueryParametersError", /^Query-string authentication version 4 requires the X-Amz-Algorithm/);
    expectCode(() => parseAuth(noExpires, { service: "sts" }), "IncompleteSignature", "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.");
    const both = withHeader(ok, "Authorization", "AWS4-HMAC-SHA256 Credential=x");
    expectCode(() => parseAuth(both, { service: "s3" }), "InvalidArgument", /^Only one auth mechanism allowed/);
  });
});

// ---------------------------------------------------------------------------------------------
// Time: skew and presigned expiry

describe("request time", () => {
  const minutes = (m: number) => new Date(T0.getTime() + m * 60_000);

  it("accepts a header-signed request up to 15 minutes off, either way", () => {
    const req = signHeader("POST", "/", Buffer.from("Action=GetCallerIdentity"), { service: "sts" });
    check(req, SECRET, minutes(15), "sts");
    check(req, SECRET, minutes(-15), "sts");
  });

  it("answers S3's RequestTimeTooSkewed beyond 15 minutes", () => {
    const req = signHeader("GET", "/b/k", Buffer.alloc(0), { service: "s3", s3: true, payloadHash: EMPTY_SHA256 });
    check(req, SECRET, T0, "s3");
    for (const m of [16, -16]) {
      const e = expectCode(() => check(req, SECRET, minutes(m), "s3"), "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.");
      expect(e.status).toBe(403);
      expect(e.fields).toMatchObject({ RequestTime: "20150830T123600Z", MaxAllowedSkewMilliseconds: 900000 });
    }
  });

  it("answers other services with the 'Signature expired' / 'not yet current' mismatch", () => {
    const req = signHeader("POST", "/", Buffer.alloc(0), { service: "sts" });
    expectCode(() => check(req, SECRET, minutes(16), "sts"), "SignatureDoesNotMatch", "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)");
    expectCode(() => check(req, SECRET, minutes(-16), "sts"), "SignatureDoesNotMatch", "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z (20150830T122000Z + 15 min.)");
  });

  it("expires S3 presigned URLs after X-Amz-Expires", () => {
    const req = presign("GET", "/b/k", { service: "s3", s3: true, expires: "60" });
    check(req, SECRET, minutes(1), "s3");
    const e = expectCode(() => check(req, SECRET, new Date(T0.getTime() + 61_000), "s3"), "AccessDenied", "Request has expired");
    expect(e.fields).toEqual({ "X-Amz-Expires": "60", Expires: "2015-08-30T12:37:00Z", ServerTime: "2015-08-30T12:37:01Z" });
    expectCode(() => check(req, SECRET, minutes(-16), "s3"), "AccessDenied", "Request is not yet valid");
  });

  it("gives other services' presigned requests 15 minutes, whatever X-Amz-Expires says", () => {
    const short = presign("GET", "/", { service: "sts", expires: "60", query: "Action=GetCallerIdentity" });
    check(short, SECRET, minutes(14), "sts");
    const long = presign("GET", "/", { service: "sts", expires: "3600" });
    expectCode(() => check(long, SECRET, minutes(16), "sts"), "RequestExpired", "Request has expired.");
    expectCode(() => check(long, SECRET, minutes(-16), "sts"), "RequestExpired");
  });
});

// ---------------------------------------------------------------------------------------------
// Payload hash and signature mismatches

describe("payload and signature checks", () => {
  it("checks a declared x-amz-content-sha256 against the body read", () => {
    const body = Buffer.from("hello world");
    const req = signHeader("PUT", "/b/k", body, { service: "s3", s3: true, payloadHash: sha256Hex(body) });
    check(req, SECRET, T0, "s3");
    const e = expectCode(() => check({ ...req, body: Buffer.from("hello World") }, SECRET, T0, "s3"), "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
    expect(e.status).toBe(400);
    expect(e.fields).toEqual({ ClientComputedContentSHA256: sha256Hex(body), S3ComputedContentSHA256: sha256Hex("hello World") });
    // A body still streaming (or not read yet) is left to the consumer.
    check({ ...req, body: Buffer.alloc(0), bodyStream: Readable.from([]) }, SECRET, T0, "s3");
    const unread = { ...req, body: Buffer.alloc(0) };
    verify(unread, parseAuth(unread, { service: "s3" }) as ParsedSignature, SECRET, { now: T0, service: "s3", bodyRead: false });
  });

  it("checks a streamed body against the declared hash as it passes", async () => {
    const body = Buffer.from("streamed body");
    const through = async (declared: string) => {
      const out: Buffer[] = [];
      await pipeline(Readable.from([body.subarray(0, 5), body.subarray(5)]), createPayloadHashCheck(declared, { service: "s3" }), async (source: AsyncIterable<Buffer>) => {
        for await (const d of source) out.push(d);
      });
      return Buffer.concat(out);
    };
    expect(await through(sha256Hex(body))).toEqual(body);
    await expect(through(sha256Hex("other"))).rejects.toMatchObject({ code: "XAmzContentSHA256Mismatch", status: 400 });
  });

  it("accepts UNSIGNED-PAYLOAD without looking at the body", () => {
    const req = signHeader("PUT", "/b/k", Buffer.from("x"), { service: "s3", s3: true, payloadHash: "UNSIGNED-PAYLOAD" });
    check({ ...req, body: Buffer.from("anything") }, SECRET, T0, "s3");
  });

  it("words SignatureDoesNotMatch as S3 does, with the debugging fields", () => {
    const req = signHeader("GET", "/b/k", Buffer.alloc(0), { service: "s3", s3: true, payloadHash: EMPTY_SHA256 });
    const e = expectCode(() => check(req, SECRET.replace("w", "W"), T0, "s3"), "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.");
    expect(e.status).toBe(403);
    expect(e.fields).toMatchObject({ AWSAccessKeyId: AKID, SignatureProvided: (parseAuth(req) as ParsedSignature).signature });
    expect(String(e.fields!["CanonicalRequest"])).toMatch(/^GET\n\/b\/k\n/);
  });

  it("words it as the other services do, with the canonical string", () => {
    const req = signHeader("POST", "/", Buffer.alloc(0), { service: "sts" });
    expectCode(() => check(req, "wrong", T0, "sts"), "SignatureDoesNotMatch", /^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\. Consult the service documentation for details\.\n\nThe Canonical String for this request should have been\n'POST\n\/\n/);
  });

  it("joins a repeated header with ',' but keeps a comma inside one value", () => {
    const req = signHeader("POST", "/", Buffer.alloc(0), { service: "sts", extraHeaders: [["X-Custom", "a, b"]] });
    check(req, SECRET, T0, "sts");
    // Same joined value in `headers`, but two headers on the wire: signed differently.
    const split = wire(req.method, req.path, [...rawPairs(req).filter(([n]) => n !== "X-Custom"), ["X-Custom", "a"], ["X-Custom", "b"]]);
    expect(split.headers["x-custom"]).toBe(req.headers["x-custom"]);
    expectCode(() => check(split, SECRET, T0, "sts"), "SignatureDoesNotMatch");
  });
});

function rawPairs(req: WireRequest): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < req.rawHeaders!.length; i += 2) pairs.push([req.rawHeaders![i]!, req.rawHeaders![i + 1]!]);
  return pairs;
}

// ---------------------------------------------------------------------------------------------
// aws-chunked bodies

/** Feed a body through a decoder in pieces of `piece` bytes (as TCP reads might split it). */
async function decode(decoder: AwsChunkedDecoder, body: Buffer, piece = body.length): Promise<Buffer> {
  const out: Buffer[] = [];
  function* pieces() {
    for (let i = 0; i < body.length; i += piece) yield body.subarray(i, i + piece);
  }
  await pipeline(Readable.from(pieces()), decoder, async (source: AsyncIterable<Buffer>) => {
    for await (const d of source) out.push(d);
  });
  return Buffer.concat(out);
}

async function decodeError(decoder: AwsChunkedDecoder, body: Buffer, piece = body.length): Promise<ServiceError> {
  try {
    await decode(decoder, body, piece);
  } catch (e) {
    if (e instanceof ServiceError) return e;
    throw e;
  }
  throw new Error("expected the body to be refused");
}

/** CRC-32 (IEEE), base64 of its big-endian bytes, as x-amz-checksum-crc32 carries it. */
function crc32Base64(data: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  const b = Buffer.alloc(4);
  b.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return b.toString("base64");
}

interface Chunked {
  req: WireRequest;
  parsed: ParsedSignature;
  body: Buffer;
  data: Buffer;
}

/** A signed streaming upload, chunks signed with the chained signatures (as the SDKs for Java and Go send it). */
function signedChunkedUpload(data: Buffer, chunkSize: number, opts: { trailer?: boolean; tamper?: (body: Buffer) => void } = {}): Chunked {
  const mode = opts.trailer ? "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" : "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
  const extra: Array<[string, string]> = [
    ["Content-Encoding", "aws-chunked"],
    ["x-amz-decoded-content-length", String(data.length)],
    ...(opts.trailer ? ([["x-amz-trailer", "x-amz-checksum-crc32"]] as Array<[string, string]>) : []),
  ];
  const req = signHeader("PUT", "/b/k", Buffer.alloc(0), { service: "s3", s3: true, payloadHash: mode, extraHeaders: extra });
  const parsed = parseAuth(req, { service: "s3" }) as ParsedSignature;
  const key = getSigningKey(SECRET, parsed.date, parsed.region, parsed.service);
  const scope = credentialScope(parsed.date, parsed.region, parsed.service);
  const ts = formatAmzDate(parsed.amzDate);
  let previous = parsed.signature;
  const parts: Buffer[] = [];
  const chunk = (piece: Buffer) => {
    previous = computeSignature(key, `AWS4-HMAC-SHA256-PAYLOAD\n${ts}\n${scope}\n${previous}\n${EMPTY_SHA256}\n${sha256Hex(piece)}`);
    parts.push(Buffer.from(`${piece.length.toString(16)};chunk-signature=${previous}\r\n`), piece, Buffer.from("\r\n"));
  };
  for (let i = 0; i < data.length; i += chunkSize) chunk(data.subarray(i, i + chunkSize));
  previous = computeSignature(key, `AWS4-HMAC-SHA256-PAYLOAD\n${ts}\n${scope}\n${previous}\n${EMPTY_SHA256}\n${EMPTY_SHA256}`);
  parts.push(Buffer.from(`0;chunk-signature=${previous}\r\n`));
  if (opts.trailer) {
    const trailer = `x-amz-checksum-crc32:${crc32Base64(data)}\n`;
    const signature = computeSignature(key, `AWS4-HMAC-SHA256-TRAILER\n${ts}\n${scope}\n${previous}\n${sha256Hex(trailer)}`);
    parts.push(Buffer.from(trailer.replace("\n", "\r\n") + `x-amz-trailer-signature:${signature}\r\n`));
  }
  parts.push(Buffer.from("\r\n"));
  const body = Buffer.concat(parts);
  opts.tamper?.(body);
  return { req: { ...req, body: Buffer.alloc(0), bodyStream: Readable.from([]) }, parsed, body, data };
}

function decoderFor(c: Chunked, opts?: { minChunkSize?: number }): AwsChunkedDecoder {
  return createAwsChunkedDecoder(c.req, { parsed: c.parsed, secretAccessKey: SECRET }, opts);
}

describe("aws-chunked decoding", () => {
  const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 251));

  it("reproduces the chunk signatures of the AWS documentation example", async () => {
    // PUT /examplebucket/chunkObject.txt, 66560 bytes of "a" in 64 KiB chunks (S3 API reference).
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const headers: Record<string, string> = {
      host: "s3.amazonaws.com",
      "x-amz-date": "20130524T000000Z",
      "x-amz-storage-class": "REDUCED_REDUNDANCY",
      "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": "66560",
      "content-length": "66824",
    };
    const seed = computeSignature(
      getSigningKey(secret, "20130524", "us-east-1", "s3"),
      stringToSign("20130524T000000Z", credentialScope("20130524", "us-east-1", "s3"), canonicalRequest({ method: "PUT", path: "/examplebucket/chunkObject.txt", rawQuery: "", headers }, Object.keys(headers).sort(), headers["x-amz-content-sha256"]!, { normalizePath: false })),
    );
    expect(seed).toBe("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
    const signatures = ["ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648", "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497", "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"];
    const body = Buffer.concat([
      Buffer.from(`10000;chunk-signature=${signatures[0]}\r\n`), Buffer.alloc(65536, "a"), Buffer.from("\r\n"),
      Buffer.from(`400;chunk-signature=${signatures[1]}\r\n`), Buffer.alloc(1024, "a"), Buffer.from("\r\n"),
      Buffer.from(`0;chunk-signature=${signatures[2]}\r\n\r\n`),
    ]);
    expect(body.length).toBe(66824);
    const decoder = new AwsChunkedDecoder({
      mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
      decodedContentLength: 66560,
      signing: { signingKey: getSigningKey(secret, "20130524", "us-east-1", "s3"), timestamp: "20130524T000000Z", scope: credentialScope("20130524", "us-east-1", "s3"), seedSignature: seed },
    });
    expect(await decode(decoder, body, 1000)).toEqual(Buffer.alloc(66560, "a"));
  });

  it("decodes signed chunks fed one byte at a time", async () => {
    const c = signedChunkedUpload(data, 8192);
    check(c.req, SECRET, T0, "s3");
    expect(isAwsChunked(c.req)).toBe(true);
    const decoder = decoderFor(c);
    expect(await decode(decoder, c.body, 1)).toEqual(data);
    expect(await decoder.trailers).toEqual({});
  });

  it("verifies the trailer signature and exposes the trailers", async () => {
    const c = signedChunkedUpload(data, 65536, { trailer: true });
    const decoder = decoderFor(c);
    const seen: Array<Record<string, string>> = [];
    decoder.on("trailers", (t: Record<string, string>) => seen.push(t));
    expect(await decode(decoder, c.body, 7)).toEqual(data);
    expect(await decoder.trailers).toEqual({ "x-amz-checksum-crc32": crc32Base64(data) });
    expect(seen).toHaveLength(1);
    const tampered = signedChunkedUpload(data, 65536, { trailer: true, tamper: (b) => void b.write("AAAAAA==", b.indexOf("x-amz-checksum-crc32:") + 21) });
    expect((await decodeError(decoderFor(tampered), tampered.body)).code).toBe("SignatureDoesNotMatch");
  });

  it("refuses a changed data byte or chunk signature", async () => {
    const data1 = signedChunkedUpload(data, 16384, { tamper: (b) => void (b[20000]! ^= 1) });
    expect((await decodeError(decoderFor(data1), data1.body, 4096)).code).toBe("SignatureDoesNotMatch");
    const sig = signedChunkedUpload(data, 16384, { tamper: (b) => void (b[30]! ^= 1) });
    expect((await decodeError(decoderFor(sig), sig.body)).code).toBe("SignatureDoesNotMatch");
    const decoder = decoderFor(data1);
    await decodeError(decoder, data1.body);
    await expect(decoder.trailers).rejects.toBeInstanceOf(ServiceError);
  });

  it("refuses broken framing, a truncated body and a wrong decoded length", async () => {
    const c = signedChunkedUpload(data, 65536);
    const noCrlf = Buffer.from(c.body);
    noCrlf[noCrlf.indexOf("\r\n", 100) + 0] = 0x20; // the CR after the header line
    const truncated = c.body.subarray(0, c.body.length - 100);
    for (const body of [noCrlf, truncated]) {
      const e = await decodeError(decoderFor(c), body, 333);
      expect(e.code).toBe("IncompleteBody");
      expect(e.status).toBe(400);
    }
    const longer = { ...c, req: withHeader(c.req, "x-amz-decoded-content-length", String(data.length + 1)) };
    expect((await decodeError(decoderFor(longer), c.body)).code).toBe("IncompleteBody");
    const shorter = { ...c, req: withHeader(c.req, "x-amz-decoded-content-length", String(data.length - 1)) };
    expect((await decodeError(decoderFor(shorter), c.body)).code).toBe("IncompleteBody");
    const missing = { ...c, req: withHeader(c.req, "x-amz-decoded-content-length", "") };
    const e = expectCode(() => decoderFor(missing), "MissingContentLength", "You must provide the Content-Length HTTP header.");
    expect(e.status).toBe(411);
  });

  it("allows only the last chunk with data to be under 8 KiB", async () => {
    const c = signedChunkedUpload(data, 4096);
    const e = await decodeError(decoderFor(c), c.body);
    expect(e.code).toBe("InvalidChunkSizeError");
    expect(e.fields).toEqual({ Chunk: 1, BadChunkSize: 4096 });
    expect(await decode(decoderFor(c, { minChunkSize: 0 }), c.body)).toEqual(data);
  });

  it("decodes unsigned chunks with trailers", async () => {
    const req = wire("PUT", "/b/k", [
      ["x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"],
      ["x-amz-decoded-content-length", "11"],
      ["x-amz-trailer", "x-amz-checksum-crc32"],
    ]);
    const body = Buffer.from(`b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:${crc32Base64(Buffer.from("hello world"))}\r\n\r\n`);
    const decoder = createAwsChunkedDecoder(req);
    expect((await decode(decoder, body, 1)).toString()).toBe("hello world");
    expect(await decoder.trailers).toEqual({ "x-amz-checksum-crc32": crc32Base64(Buffer.from("hello world")) });
  });

  it("needs the request signature for the signed modes", () => {
    const c = signedChunkedUpload(data, 65536);
    expectCode(() => createAwsChunkedDecoder(c.req), "AccessDenied");
  });
});

// ---------------------------------------------------------------------------------------------
// Requests sent by the AWS SDK for JavaScript v3

describe("requests from the AWS SDK for JavaScript v3", () => {
  const captured: WireRequest[] = [];
  let server: http.Server;
  let endpoint = "";
  const credentials = { accessKeyId: AKID, secretAccessKey: SECRET };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const pairs: Array<[string, string]> = [];
        for (let i = 0; i < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
        captured.push(wire(req.method!, req.url!, pairs, Buffer.concat(chunks)));
        // Any answer will do: the test looks at what was sent.
        res.writeHead(400, { "content-type": "application/json" });
        res.end("{}");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function capture(send: () => Promise<unknown>): Promise<WireRequest> {
    const before = captured.length;
    await send().catch(() => undefined);
    expect(captured.length).toBe(before + 1);
    return captured[before]!;
  }

  const config = () => ({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });

  it("S3 PutObject with a key that needs encoding, body hashed", async () => {
    const s3 = new S3Client({ ...config(), forcePathStyle: true });
    const key = "dir/a b+c=d~e!f*g'h(i)j%k/ሴ.txt";
    const req = await capture(() => s3.send(new PutObjectCommand({ Bucket: "bucket", Key: key, Body: Buffer.from("hello world") })));
    expect(req.path).toContain("%20");
    const parsed = parseAuth(req, { service: "s3" }) as ParsedSignature;
    expect(parsed.payloadHash).toBe(sha256Hex("hello world"));
    verify(req, parsed, SECRET, { now: new Date(), service: "s3" });
    expectCode(() => verify({ ...req, body: Buffer.from("hello World") }, parsed, SECRET, { now: new Date(), service: "s3" }), "XAmzContentSHA256Mismatch");
  });

  it("S3 PutObject of a stream: STREAMING-UNSIGNED-PAYLOAD-TRAILER decoded in 1-byte pieces", async () => {
    const s3 = new S3Client({ ...config(), forcePathStyle: true });
    const data = Buffer.concat([Buffer.alloc(70_000, "q"), Buffer.from("tail")]);
    const req = await capture(() =>
      s3.send(new PutObjectCommand({ Bucket: "bucket", Key: "k", Body: Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]), ContentLength: data.length })),
    );
    expect(req.headers["x-amz-content-sha256"]).toBe("STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    const parsed = parseAuth(req, { service: "s3" }) as ParsedSignature;
    verify(req, parsed, SECRET, { now: new Date(), service: "s3" });
    expect(isAwsChunked(req)).toBe(true);
    const decoder = createAwsChunkedDecoder(req, { parsed, secretAccessKey: SECRET });
    expect(await decode(decoder, req.body, 1)).toEqual(data);
    expect(await decoder.trailers).toEqual({ "x-amz-checksum-crc32": crc32Base64(data) });
  });

  it("S3 GetObject with a query string and a session token", async () => {
    const s3 = new S3Client({ ...config(), forcePathStyle: true, credentials: { ...credentials, sessionToken: "session/token+==" } });
    const req = await capture(() => s3.send(new GetObjectCommand({ Bucket: "bucket", Key: "a/b c", VersionId: "v 1+2", Range: "bytes=0-9" })));
    const parsed = parseAuth(req, { service: "s3" }) as ParsedSignature;
    expect(parsed.sessionToken).toBe("session/token+==");
    verify(req, parsed, SECRET, { now: new Date(), service: "s3" });
  });

  it("Lambda Invoke: an ARN in the path is signed double-encoded", async () => {
    const lambda = new LambdaClient(config());
    const req = await capture(() =>
      lambda.send(new InvokeCommand({ FunctionName: "arn:aws:lambda:us-east-1:123456789012:function:my-fn", Qualifier: "a b", Payload: Buffer.from("{}") })),
    );
    expect(req.path).toContain("%3A");
    check(req, SECRET, new Date(), "lambda");
    // Signed as S3 signs (path not encoded again), it would not match.
    expectCode(() => check(req, SECRET, new Date(), "lambda", false), "SignatureDoesNotMatch");
  });

  it("STS GetCallerIdentity (query protocol, form body) and DynamoDB ListTables (JSON)", async () => {
    const sts = await capture(() => new STSClient(config()).send(new GetCallerIdentityCommand({})));
    check(sts, SECRET, new Date(), "sts");
    expectCode(() => check({ ...sts, body: Buffer.from(sts.body.toString().replace("Action", "Actioo")) }, SECRET, new Date(), "sts"), "SignatureDoesNotMatch");
    const ddb = await capture(() => new DynamoDBClient(config()).send(new ListTablesCommand({ Limit: 5 })));
    check(ddb, SECRET, new Date(), "dynamodb");
  });

  it("presigned URLs made by @smithy/signature-v4, for S3 and for STS", async () => {
    type Source = string | ArrayBuffer | ArrayBufferView;
    const bytes = (d: Source) =>
      typeof d === "string" ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    class Sha256 {
      private readonly h;
      constructor(secret?: Source) {
        this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
      }
      update(data: Source) {
        this.h.update(bytes(data));
      }
      async digest() {
        return new Uint8Array(this.h.digest());
      }
    }
    const now = new Date();
    const s3signer = new SignatureV4({ credentials, region: "us-east-1", service: "s3", sha256: Sha256, uriEscapePath: false, applyChecksum: false });
    const s3url = await s3signer.presign(
      { method: "GET", protocol: "http:", hostname: "bucket.s3.amazonaws.com", path: "/a%20b/c%2Bd", query: { "response-content-type": "text/plain; x=1" }, headers: { host: "bucket.s3.amazonaws.com", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } },
      { expiresIn: 604800, signingDate: now },
    );
    const q = Object.entries(s3url.query ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join("&");
    const s3req = wire("GET", `${s3url.path}?${q}`, [["Host", "bucket.s3.amazonaws.com"]]);
    const parsed = parseAuth(s3req, { service: "s3" }) as ParsedSignature;
    expect(parsed.kind).toBe("presigned");
    expect(parsed.expiresSeconds).toBe(604800);
    verify(s3req, parsed, SECRET, { now, service: "s3" });
    expectCode(() => verify(s3req, parsed, SECRET, { now: new Date(now.getTime() + 604801_000), service: "s3" }), "AccessDenied", "Request has expired");

    const stsSigner = new SignatureV4({ credentials, region: "us-east-1", service: "sts", sha256: Sha256 });
    const stsUrl = await stsSigner.presign(
      { method: "GET", protocol: "https:", hostname: "sts.amazonaws.com", path: "/", query: { Action: "GetCallerIdentity", Version: "2011-06-15" }, headers: { host: "sts.amazonaws.com", "x-k8s-aws-id": "my-cluster" } },
      { expiresIn: 60, signingDate: now },
    );
    const sq = Object.entries(stsUrl.query ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join("&");
    const stsReq = wire("GET", `/?${sq}`, [["Host", "sts.amazonaws.com"], ["x-k8s-aws-id", "my-cluster"]]);
    check(stsReq, SECRET, new Date(now.getTime() + 14 * 60_000), "sts");
    expectCode(() => check(withHeader(stsReq, "x-k8s-aws-id", "other"), SECRET, now, "sts"), "SignatureDoesNotMatch");
  });
});

// ---------------------------------------------------------------------------------------------
// Throughput

describe("throughput", () => {
  it("verifies a batch of requests (rate reported, not asserted)", () => {
    const requests = Array.from({ length: 2000 }, (_, i) =>
      signHeader("POST", "/", Buffer.from(`{"TableName":"t${i}"}`), {
        service: "dynamodb",
        payloadHash: sha256Hex(`{"TableName":"t${i}"}`),
        extraHeaders: [["Content-Type", "application/x-amz-json-1.0"], ["X-Amz-Target", "DynamoDB_20120810.DescribeTable"]],
      }),
    );
    const started = process.hrtime.bigint();
    for (const req of requests) check(req, SECRET, T0, "dynamodb");
    const perSecond = requests.length / (Number(process.hrtime.bigint() - started) / 1e9);
    console.log(`sigv4: ${Math.round(perSecond)} verified requests/s (parse + verify, one core)`);
    expect(Number.isFinite(perSecond)).toBe(true);
  });
});
