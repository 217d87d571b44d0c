/**
 * The XML-family codecs (query, ec2, rest-xml) against the protocol conformance vectors, read
 * backwards as a server must: a vector's request must parse to its `params`, and a vector's
 * `result` (or `error`) must serialize to a response that reads back, by the same shapes, as
 * the vector's own response body does. Cases that only a client can reproduce are listed with
 * the reason.
 */
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { EC2Client, DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { IAMClient, GetUserCommand, ListUsersCommand } from "@aws-sdk/client-iam";
import {
  DeleteObjectsCommand,
  GetBucketTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketTaggingCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { STSClient, AssumeRoleCommand } from "@aws-sdk/client-sts";
import { describe, expect, it } from "vitest";
import { ServiceError } from "../src/core/errors.js";
import { loadServiceModel, readManifest } from "../src/protocol/model-loader.js";
import type { OperationModel, ServiceModel, ShapeRef } from "../src/protocol/model.js";
import type { ProtocolCodec, WireError, WireRequest, WireResponse } from "../src/protocol/types.js";
import { ec2 } from "../src/protocol/ec2.js";
import { query } from "../src/protocol/query.js";
import { restXml } from "../src/protocol/rest-xml.js";
import { inBody, parseXml, readStructure, type XmlElement } from "../src/protocol/xml.js";

const VECTORS = fileURLToPath(new URL("../../shared/conformance/protocols/", import.meta.url));

interface Suite {
  description: string;
  metadata: ServiceModel["metadata"];
  shapes: ServiceModel["shapes"];
  cases: Case[];
}
interface Case {
  id?: string;
  description?: string;
  given: OperationModel & { errors?: ShapeRef[] };
  params?: Record<string, unknown>;
  serialized?: { method: string; uri: string; headers?: Record<string, string>; body?: string; host?: string };
  result?: Record<string, unknown>;
  error?: Record<string, unknown>;
  errorCode?: string;
  response?: { status_code: number; headers?: Record<string, string>; body?: string };
}

function load(kind: "input" | "output", protocol: string): Suite[] {
  return JSON.parse(readFileSync(`${VECTORS}${kind}/${protocol}.json`, "utf8")) as Suite[];
}

function modelOf(suite: Suite, c: Case): ServiceModel {
  return {
    metadata: suite.metadata,
    operations: { [c.given.name]: c.given },
    shapes: suite.shapes,
  };
}

/** Cases this file does not hold the codecs to: what only a client can know, or what another module decides. */
const NOT_OURS: Record<string, string> = {
  // The client generated the token, so `params` lacks what the server rightly reads.
  QueryProtocolIdempotencyTokenAutoFill: "client-side idempotency token",
  Ec2ProtocolIdempotencyTokenAutoFill: "client-side idempotency token",
  QueryIdempotencyTokenAutoFill: "client-side idempotency token",
  // The vector records only the Content-Encoding header, not the compressed body.
  SDKAppliedContentEncoding_awsQuery: "vector has no body",
  SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsQuery: "vector has no body",
  SDKAppliedContentEncoding_ec2Query: "vector has no body",
  SDKAppendsGzipAndIgnoresHttpProvidedEncoding_ec2Query: "vector has no body",
  SDKAppliedContentEncoding_restXml: "vector has no body",
  SDKAppendedGzipAfterProvidedEncoding_restXml: "vector has no body",
  // Clients drop empty lists and maps; nothing on the wire says one was given.
  Ec2EmptyQueryLists: "client drops empty lists",
  QueryEmptyQueryMaps: "client drops empty maps",
};

/**
 * Request cases decided by the HTTP-binding semantics of rest-bindings.ts, not by this codec
 * (the conformance runner covers them): a map bound to the query string sees every parameter,
 * and an absent prefix-header map stays absent.
 */
const BINDINGS_OWNED: Record<string, string> = {
  AllQueryStringTypes: "query-string map binding",
  RestXmlQueryStringEscaping: "query-string map binding",
  RestXmlSupportsNaNFloatQueryValues: "query-string map binding",
  RestXmlSupportsInfinityFloatQueryValues: "query-string map binding",
  RestXmlSupportsNegativeInfinityFloatQueryValues: "query-string map binding",
  RestXmlZeroAndFalseQueryValues: "query-string map binding",
  RestXmlQueryParamsStringListMap: "query-string map binding",
  RestXmlQueryPrecedence: "query-string map binding",
  HttpPrefixHeadersAreNotPresent: "prefix-header map binding",
};

// ---------------------------------------------------------------------------------------------
// Value normalisation: parsed values -> the vectors' JSON conventions
// ---------------------------------------------------------------------------------------------

function normalize(v: unknown): unknown {
  if (v instanceof Date) return v.getTime() / 1000;
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (v === Infinity) return "Infinity";
    if (v === -Infinity) return "-Infinity";
    return v;
  }
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined && x !== null) out[k] = normalize(x);
    return out;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

function wireRequest(s: NonNullable<Case["serialized"]>): WireRequest {
  const q = s.uri.indexOf("?");
  const path = q < 0 ? s.uri : s.uri.slice(0, q);
  const rawQuery = q < 0 ? "" : s.uri.slice(q + 1);
  const query: Array<[string, string]> = [];
  for (const part of rawQuery.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? "" : part.slice(eq + 1);
    query.push([decodeURIComponent(k), decodeURIComponent(v)]);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.headers ?? {})) headers[k.toLowerCase()] = v;
  const host = (s.host ?? "example.com").split("/")[0];
  headers.host ??= host;
  return { method: s.method, path, rawQuery, query, headers, body: Buffer.from(s.body ?? "", "utf8"), hostname: host };
}

// ---------------------------------------------------------------------------------------------
// Responses: read a response back by shape, as a client would
// ---------------------------------------------------------------------------------------------

function bodyText(res: WireResponse): string {
  const b = res.body;
  if (b === undefined) return "";
  if (typeof b === "string") return b;
  if (Buffer.isBuffer(b)) return b.toString("utf8");
  throw new Error("stream bodies are not expected here");
}

function child(el: XmlElement, local: string): XmlElement | undefined {
  return el.children.find((c) => c.local === local);
}

/** Read the output members of a query/ec2 response document. */
function readQueryOutput(protocol: string, model: ServiceModel, op: OperationModel, body: string): unknown {
  if (!op.output || body.trim() === "") return {};
  const root = parseXml(body);
  if (protocol === "ec2") return normalize(readStructure(model, op.output.shape, root));
  const wrapper = child(root, op.output.resultWrapper ?? `${op.name}Result`);
  return wrapper ? normalize(readStructure(model, op.output.shape, wrapper)) : {};
}

/** The `<Error>` element of a query / ec2 / rest-xml error document. */
function errorElement(body: string): XmlElement {
  const root = parseXml(body);
  if (root.local === "Error") return root;
  const direct = child(root, "Error");
  if (direct) return direct;
  const errors = child(root, "Errors");
  const nested = errors && child(errors, "Error");
  if (!nested) throw new Error(`no Error element in ${body}`);
  return nested;
}

function errorShapeName(model: ServiceModel, c: Case): string | undefined {
  for (const ref of c.given.errors ?? []) {
    const shape = model.shapes[ref.shape];
    if (ref.shape === c.errorCode || shape?.error?.code === c.errorCode) return ref.shape;
  }
  return undefined;
}

function wireError(model: ServiceModel, c: Case): WireError {
  const shapeName = errorShapeName(model, c);
  const shape = shapeName ? model.shapes[shapeName] : undefined;
  const status = shape?.error?.httpStatusCode ?? c.response?.status_code ?? 400;
  const fields = { ...(c.error ?? {}) };
  const message = String(fields.Message ?? fields.message ?? "");
  delete fields.Message;
  delete fields.message;
  return {
    code: c.errorCode ?? "",
    message,
    status,
    senderFault: shape?.error?.senderFault ?? status < 500,
    fields,
    shapeName,
  };
}

// ---------------------------------------------------------------------------------------------
// The runs
// ---------------------------------------------------------------------------------------------

interface Tally {
  passed: number;
  failed: Array<{ id: string; why: string }>;
  skipped: string[];
}

function run(cases: Array<{ id: string; check: () => void }>, skip: Record<string, string> = {}): Tally {
  const tally: Tally = { passed: 0, failed: [], skipped: [] };
  for (const { id, check } of cases) {
    if (NOT_OURS[id] || skip[id]) {
      tally.skipped.push(id);
      continue;
    }
    try {
      check();
      tally.passed++;
    } catch (e) {
      tally.failed.push({ id, why: e instanceof Error ? e.message.split("\n").slice(0, 12).join("\n") : String(e) });
    }
  }
  return tally;
}

function report(label: string, t: Tally): void {
  const total = t.passed + t.failed.length;
  console.log(`${label}: ${t.passed}/${total} passed, ${t.skipped.length} skipped (not decided by this codec)`);
  for (const f of t.failed) console.log(`  differs from the vector: ${f.id}: ${f.why}`);
}

function inputCases(protocol: string, codec: ProtocolCodec): Array<{ id: string; check: () => void }> {
  const out: Array<{ id: string; check: () => void }> = [];
  for (const suite of load("input", protocol)) {
    for (const c of suite.cases) {
      const id = c.id ?? c.description ?? c.given.name;
      out.push({
        id,
        check: () => {
          const model = modelOf(suite, c);
          const req = wireRequest(c.serialized!);
          expect(codec.resolveOperation(model, req)).toBe(c.given.name);
          const parsed = codec.parseInput(model, c.given, req);
          expect(normalize(parsed)).toEqual(normalize(c.params ?? {}));
        },
      });
    }
  }
  return out;
}

function queryOutputCases(protocol: "query" | "ec2", codec: ProtocolCodec): Array<{ id: string; check: () => void }> {
  const out: Array<{ id: string; check: () => void }> = [];
  for (const suite of load("output", protocol)) {
    for (const c of suite.cases) {
      const id = c.id ?? c.description ?? c.given.name;
      out.push({
        id,
        check: () => {
          const model = modelOf(suite, c);
          const ctx = { requestId: "req-1", method: "POST" };
          if (c.errorCode) {
            const err = wireError(model, c);
            const res = codec.serializeError(model, c.given, err, ctx);
            expect(res.status).toBe(c.response!.status_code);
            const ours = errorElement(bodyText(res));
            expect(child(ours, "Code")?.text).toBe(c.errorCode);
            const expected = normalize(c.error ?? {});
            expect(normalize(readStructure(model, err.shapeName!, ours))).toEqual(expected);
            // The vector's own body reads the same way (checks the reader as much as the writer).
            const theirs = errorElement(c.response!.body!);
            expect(child(theirs, "Code")?.text).toBe(c.errorCode);
            return;
          }
          const res = codec.serializeOutput(model, c.given, c.result ?? {}, ctx);
          expect(res.status).toBe(200);
          const expected = normalize(c.result ?? {});
          expect(readQueryOutput(protocol, model, c.given, bodyText(res))).toEqual(expected);
          expect(readQueryOutput(protocol, model, c.given, c.response?.body ?? "")).toEqual(expected);
        },
      });
    }
  }
  return out;
}

const MIN_PASS_RATE = 0.95;

describe.each([
  ["query", query],
  ["ec2", ec2],
] as const)("%s codec against the conformance vectors", (protocol, codec) => {
  it("parses every request to its params", () => {
    const t = run(inputCases(protocol, codec));
    report(`${protocol} input`, t);
    expect(t.passed / (t.passed + t.failed.length)).toBeGreaterThanOrEqual(MIN_PASS_RATE);
  });

  it("serializes every result and error so that it reads back", () => {
    const t = run(queryOutputCases(protocol, codec));
    report(`${protocol} output`, t);
    expect(t.passed / (t.passed + t.failed.length)).toBeGreaterThanOrEqual(MIN_PASS_RATE);
  });
});

// ---------------------------------------------------------------------------------------------
// rest-xml: headers and status from the bindings, the body from the shapes
// ---------------------------------------------------------------------------------------------

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** Compare a rest-xml response with the vector's: status, bound headers, and the body by shape. */
function checkRestXmlResponse(
  model: ServiceModel,
  shapeName: string,
  res: WireResponse,
  expected: NonNullable<Case["response"]>,
  value: Record<string, unknown>,
  isError: boolean,
): void {
  expect(res.status).toBe(expected.status_code);
  for (const [k, v] of Object.entries(expected.headers ?? {})) {
    if (/^content-(type|length)$/i.test(k)) continue;
    expect(headerOf(res.headers, k), `header ${k}`).toBe(v);
  }
  const shape = model.shapes[shapeName];
  const payload = shape.payload;
  const bodyMembers: Record<string, unknown> = {};
  for (const [m, ref] of Object.entries(shape.members ?? {})) {
    if (inBody(ref) && value[m] !== undefined && value[m] !== null && (!payload || m === payload)) bodyMembers[m] = value[m];
  }
  const ours = bodyText(res);
  const theirs = expected.body ?? "";
  const payloadShape = payload ? model.shapes[shape.members![payload].shape] : undefined;
  if (payload && payloadShape && payloadShape.type !== "structure" && payloadShape.type !== "union") {
    expect(ours).toBe(theirs);
    return;
  }
  if (theirs.trim() === "" || Object.keys(bodyMembers).length === 0) {
    if (!isError) expect(ours).toBe("");
    return;
  }
  const read = (text: string): unknown => {
    const root = isError ? errorElement(text) : parseXml(text);
    if (payload) return normalize({ [payload]: readStructure(model, shape.members![payload].shape, root) });
    return normalize(readStructure(model, shapeName, root));
  };
  expect(read(ours)).toEqual(normalize(bodyMembers));
  expect(read(theirs)).toEqual(normalize(bodyMembers));
  if (!isError) expect(parseXml(ours).local).toBe(parseXml(theirs).local);
}

function restXmlOutputCases(): Array<{ id: string; check: () => void }> {
  const out: Array<{ id: string; check: () => void }> = [];
  for (const suite of load("output", "rest-xml")) {
    for (const c of suite.cases) {
      const id = c.id ?? c.description ?? c.given.name;
      out.push({
        id,
        check: () => {
          const model = modelOf(suite, c);
          const ctx = { requestId: "req-1", method: c.given.http?.method ?? "POST" };
          if (c.errorCode) {
            const err = wireError(model, c);
            const res = restXml.serializeError(model, c.given, err, ctx);
            expect(child(errorElement(bodyText(res)), "Code")?.text).toBe(c.errorCode);
            checkRestXmlResponse(model, err.shapeName!, res, c.response!, c.error ?? {}, true);
            return;
          }
          const res = restXml.serializeOutput(model, c.given, c.result ?? {}, ctx);
          if (!c.given.output) {
            expect(res.status).toBe(c.response!.status_code);
            expect(bodyText(res)).toBe("");
            return;
          }
          checkRestXmlResponse(model, c.given.output.shape, res, c.response!, c.result ?? {}, false);
        },
      });
    }
  }
  return out;
}

describe("rest-xml codec against the conformance vectors", () => {
  it("parses every request to its params", () => {
    const t = run(inputCases("rest-xml", restXml), BINDINGS_OWNED);
    report("rest-xml input", t);
    expect(t.passed / (t.passed + t.failed.length)).toBeGreaterThanOrEqual(MIN_PASS_RATE);
  });

  it("serializes every result and error so that it reads back", () => {
    const t = run(restXmlOutputCases());
    report("rest-xml output", t);
    expect(t.passed / (t.passed + t.failed.length)).toBeGreaterThanOrEqual(MIN_PASS_RATE);
  });
});

// ---------------------------------------------------------------------------------------------
// The official clients: AWS SDK for JavaScript v3 serializes requests the codecs parse, and
// parses the responses the codecs write. No socket: the client's request handler calls the codec.
// ---------------------------------------------------------------------------------------------

type Impl = (op: string, input: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>;

interface SdkRequest {
  method: string;
  hostname: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

/** A request handler for an SDK client that serves each call from `impl` through `codec`. */
function codecHandler(
  model: ServiceModel,
  codec: ProtocolCodec & { unknownOperationError?(m: ServiceModel, r: WireRequest): WireError },
  impl: Impl,
  seen: Array<Record<string, unknown>>,
  reroute: (op: string | undefined, req: WireRequest) => string | undefined = (op) => op,
) {
  return {
    async handle(request: SdkRequest) {
      const query: Array<[string, string]> = [];
      for (const [k, v] of Object.entries(request.query ?? {})) {
        for (const x of Array.isArray(v) ? v : [v ?? ""]) query.push([k, x]);
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = String(v);
      let body = Buffer.alloc(0);
      if (typeof request.body === "string" || request.body instanceof Uint8Array) body = Buffer.from(request.body);
      const rawQuery = query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
      const req: WireRequest = { method: request.method, path: request.path, rawQuery, query, headers, body, hostname: request.hostname };
      const ctx = { requestId: "rid-123", method: request.method };
      const opName = reroute(codec.resolveOperation(model, req), req);
      let res: WireResponse;
      if (!opName) {
        res = codec.serializeError(model, undefined, codec.unknownOperationError!(model, req), ctx);
      } else {
        const op = model.operations[opName];
        try {
          const input = codec.parseInput(model, op, req);
          seen.push(input);
          res = codec.serializeOutput(model, op, await impl(opName, input), ctx);
        } catch (e) {
          if (!(e instanceof ServiceError)) throw e;
          res = codec.serializeError(model, op, e, ctx);
        }
      }
      const out = res.body === undefined ? Buffer.alloc(0) : Buffer.from(bodyText(res));
      return { response: { statusCode: res.status, headers: res.headers, body: Readable.from([out]) } };
    },
  };
}

const clientConfig = {
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  endpoint: "http://localhost:4566",
};

async function rejection(p: Promise<unknown>): Promise<Record<string, unknown> & { $metadata: { httpStatusCode?: number; requestId?: string } }> {
  try {
    await p;
  } catch (e) {
    return e as Record<string, unknown> & { $metadata: { httpStatusCode?: number; requestId?: string } };
  }
  throw new Error("expected the call to fail");
}

describe("AWS SDK v3 clients through the XML-family codecs", () => {
  const manifest = readManifest();

  it("STS (query): nested lists in, credentials out, errors", async () => {
    const model = loadServiceModel(manifest.sts);
    const seen: Array<Record<string, unknown>> = [];
    const sts = new STSClient({
      ...clientConfig,
      requestHandler: codecHandler(model, query, (op, input) => {
        if (input.RoleArn === "bad") throw new ServiceError({ code: "MalformedPolicyDocument", status: 400 }, "bad <policy> & co");
        return {
          Credentials: { AccessKeyId: "ASIA1", SecretAccessKey: "s", SessionToken: "t\r\nx", Expiration: new Date("2030-01-02T03:04:05Z") },
          AssumedRoleUser: { AssumedRoleId: "AROA1:x", Arn: "arn:aws:sts::1:assumed-role/r/x" },
          PackedPolicySize: 6,
        };
      }, seen),
    });
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: "arn:aws:iam::1:role/r",
        RoleSessionName: "x",
        DurationSeconds: 900,
        Tags: [{ Key: "a", Value: "b" }, { Key: "c", Value: "d" }],
        PolicyArns: [{ arn: "arn:p" }],
        TransitiveTagKeys: ["a"],
      }),
    );
    expect(seen[0]).toEqual({
      RoleArn: "arn:aws:iam::1:role/r",
      RoleSessionName: "x",
      DurationSeconds: 900,
      Tags: [{ Key: "a", Value: "b" }, { Key: "c", Value: "d" }],
      PolicyArns: [{ arn: "arn:p" }],
      TransitiveTagKeys: ["a"],
    });
    expect(out.Credentials).toEqual({ AccessKeyId: "ASIA1", SecretAccessKey: "s", SessionToken: "t\r\nx", Expiration: new Date("2030-01-02T03:04:05Z") });
    expect(out.PackedPolicySize).toBe(6);
    expect(out.$metadata.requestId).toBe("rid-123");

    const err = await rejection(sts.send(new AssumeRoleCommand({ RoleArn: "bad", RoleSessionName: "x" })));
    expect(err.name).toBe("MalformedPolicyDocumentException");
    expect(err.message).toBe("bad <policy> & co");
    expect(err.$metadata.httpStatusCode).toBe(400);
  });

  it("IAM (query): timestamps and member lists out, modelled error codes", async () => {
    const model = loadServiceModel(manifest.iam);
    const seen: Array<Record<string, unknown>> = [];
    const iam = new IAMClient({
      ...clientConfig,
      requestHandler: codecHandler(model, query, (op, input) => {
        if (op === "GetUser") throw new ServiceError({ code: "NoSuchEntity", status: 404 }, "The user with name x cannot be found.");
        return {
          Users: [
            { UserName: "a", UserId: "1", Arn: "arn:a", Path: "/", CreateDate: new Date(1000), Tags: [{ Key: "k", Value: "v" }] },
            { UserName: "b", UserId: "2", Arn: "arn:b", Path: "/", CreateDate: new Date(2500) },
          ],
          IsTruncated: false,
        };
      }, seen),
    });
    const out = await iam.send(new ListUsersCommand({ MaxItems: 5, PathPrefix: "/" }));
    expect(seen[0]).toEqual({ MaxItems: 5, PathPrefix: "/" });
    expect(out.Users?.map((u) => [u.UserName, u.CreateDate?.getTime(), u.Tags])).toEqual([
      ["a", 1000, [{ Key: "k", Value: "v" }]],
      ["b", 2500, undefined],
    ]);
    expect(out.IsTruncated).toBe(false);
    const err = await rejection(iam.send(new GetUserCommand({ UserName: "x" })));
    expect(err.name).toBe("NoSuchEntityException");
    expect(err.$metadata.httpStatusCode).toBe(404);
  });

  it("EC2 (ec2): Name.N lists and filters in, item sets out, EC2 errors", async () => {
    const model = loadServiceModel(manifest.ec2);
    const seen: Array<Record<string, unknown>> = [];
    const client = new EC2Client({
      ...clientConfig,
      requestHandler: codecHandler(model, ec2, (_op, input) => {
        if ((input.InstanceIds as string[] | undefined)?.[0] === "i-bad") {
          throw new ServiceError({ code: "InvalidInstanceID.NotFound", status: 400 }, "The instance ID 'i-bad' does not exist");
        }
        return {
          Reservations: [
            {
              ReservationId: "r-1",
              OwnerId: "1",
              Instances: [
                {
                  InstanceId: "i-1",
                  State: { Code: 16, Name: "running" },
                  LaunchTime: new Date(5000),
                  Tags: [{ Key: "Name", Value: "x" }],
                  SecurityGroups: [{ GroupId: "sg-1", GroupName: "default" }],
                },
              ],
            },
          ],
        };
      }, seen),
    });
    const out = await client.send(
      new DescribeInstancesCommand({ InstanceIds: ["i-1", "i-2"], Filters: [{ Name: "tag:Name", Values: ["x", "y"] }], MaxResults: 10 }),
    );
    expect(seen[0]).toEqual({ InstanceIds: ["i-1", "i-2"], Filters: [{ Name: "tag:Name", Values: ["x", "y"] }], MaxResults: 10 });
    const instance = out.Reservations?.[0]?.Instances?.[0];
    expect(instance?.InstanceId).toBe("i-1");
    expect(instance?.State).toEqual({ Code: 16, Name: "running" });
    expect(instance?.LaunchTime?.getTime()).toBe(5000);
    expect(instance?.Tags).toEqual([{ Key: "Name", Value: "x" }]);
    expect(instance?.SecurityGroups).toEqual([{ GroupId: "sg-1", GroupName: "default" }]);

    const err = await rejection(client.send(new DescribeInstancesCommand({ InstanceIds: ["i-bad"] })));
    expect(err.name).toBe("InvalidInstanceID.NotFound");
    expect(err.message).toBe("The instance ID 'i-bad' does not exist");
    expect(err.$metadata.httpStatusCode).toBe(400);
  });
});

// ---------------------------------------------------------------------------------------------
// Wire habits the vectors do not cover
// ---------------------------------------------------------------------------------------------

/** An SQS-like query model: flattened lists and maps renamed the way the query-era models do. */
const sqsLike: ServiceModel = {
  metadata: { protocol: "query", apiVersion: "2012-11-05", endpointPrefix: "sqs", xmlNamespace: "http://queue.amazonaws.com/doc/2012-11-05/" },
  operations: {
    SendMessageBatch: { name: "SendMessageBatch", input: { shape: "SendInput" }, output: { shape: "SendOutput", resultWrapper: "SendMessageBatchResult" } },
    ReceiveMessage: { name: "ReceiveMessage", input: { shape: "ReceiveInput" }, output: { shape: "ReceiveOutput", resultWrapper: "ReceiveMessageResult" } },
  },
  shapes: {
    String: { type: "string" },
    Integer: { type: "integer" },
    SendInput: { type: "structure", members: { QueueUrl: { shape: "String" }, Entries: { shape: "EntryList" } } },
    EntryList: { type: "list", member: { shape: "Entry", locationName: "SendMessageBatchRequestEntry" }, flattened: true },
    Entry: {
      type: "structure",
      members: { Id: { shape: "String" }, MessageBody: { shape: "String" }, MessageAttributes: { shape: "AttributeMap", locationName: "MessageAttribute" } },
    },
    AttributeMap: { type: "map", key: { shape: "String", locationName: "Name" }, value: { shape: "AttributeValue", locationName: "Value" }, flattened: true },
    AttributeValue: { type: "structure", members: { StringValue: { shape: "String" }, DataType: { shape: "String" } } },
    SendOutput: { type: "structure", members: {} },
    ReceiveInput: { type: "structure", members: { QueueUrl: { shape: "String" }, MaxNumberOfMessages: { shape: "Integer" }, AttributeNames: { shape: "NameList" } } },
    NameList: { type: "list", member: { shape: "String", locationName: "AttributeName" }, flattened: true },
    ReceiveOutput: { type: "structure", members: { Messages: { shape: "MessageList" } } },
    MessageList: { type: "list", member: { shape: "Message", locationName: "Message" }, flattened: true },
    Message: { type: "structure", members: { MessageId: { shape: "String" }, Body: { shape: "String" } } },
  },
};

function formRequest(body: string, extra: Partial<WireRequest> = {}): WireRequest {
  return {
    method: "POST",
    path: "/",
    rawQuery: "",
    query: [],
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body: Buffer.from(body),
    hostname: "localhost",
    ...extra,
  };
}

describe("query and ec2 wire habits", () => {
  const ctx = { requestId: "rid-9", method: "POST" };

  it("reads flattened lists and maps under their list-member names, in numeric order", () => {
    const req = formRequest(
      "Action=SendMessageBatch&Version=2012-11-05&QueueUrl=q" +
        "&SendMessageBatchRequestEntry.10.Id=b&SendMessageBatchRequestEntry.10.MessageBody=yo" +
        "&SendMessageBatchRequestEntry.2.Id=a&SendMessageBatchRequestEntry.2.MessageBody=hi+there" +
        "&SendMessageBatchRequestEntry.2.MessageAttribute.1.Name=k" +
        "&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue=v%26w" +
        "&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType=String",
    );
    expect(query.resolveOperation(sqsLike, req)).toBe("SendMessageBatch");
    expect(query.parseInput(sqsLike, sqsLike.operations.SendMessageBatch, req)).toEqual({
      QueueUrl: "q",
      Entries: [
        { Id: "a", MessageBody: "hi there", MessageAttributes: { k: { StringValue: "v&w", DataType: "String" } } },
        { Id: "b", MessageBody: "yo" },
      ],
    });
  });

  it("takes parameters from a GET query string and from a gzip body", () => {
    const get = formRequest("", {
      method: "GET",
      query: [["Action", "ReceiveMessage"], ["QueueUrl", "q"], ["AttributeName.1", "All"], ["MaxNumberOfMessages", "3"]],
    });
    expect(query.resolveOperation(sqsLike, get)).toBe("ReceiveMessage");
    expect(query.parseInput(sqsLike, sqsLike.operations.ReceiveMessage, get)).toEqual({
      QueueUrl: "q",
      AttributeNames: ["All"],
      MaxNumberOfMessages: 3,
    });
    const zipped = formRequest("", {
      headers: { "content-type": "application/x-www-form-urlencoded", "content-encoding": "gzip" },
      body: gzipSync("Action=ReceiveMessage&QueueUrl=q&AttributeNames.member.1=x"),
    });
    expect(query.parseInput(sqsLike, sqsLike.operations.ReceiveMessage, zipped)).toEqual({ QueueUrl: "q", AttributeNames: ["x"] });
  });

  it("writes flattened lists as repeated list-member elements", () => {
    const res = query.serializeOutput(sqsLike, sqsLike.operations.ReceiveMessage, { Messages: [{ MessageId: "1", Body: "a<b" }, { MessageId: "2", Body: "c" }] }, ctx);
    expect(bodyText(res)).toBe(
      '<ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><ReceiveMessageResult>' +
        "<Message><MessageId>1</MessageId><Body>a&lt;b</Body></Message><Message><MessageId>2</MessageId><Body>c</Body></Message>" +
        "</ReceiveMessageResult><ResponseMetadata><RequestId>rid-9</RequestId></ResponseMetadata></ReceiveMessageResponse>",
    );
    expect(res.headers["content-type"]).toBe("text/xml");
    expect(res.headers["x-amzn-requestid"]).toBe("rid-9");
  });

  it("rejects values that are not of their member's type", () => {
    const req = formRequest("Action=ReceiveMessage&QueueUrl=q&MaxNumberOfMessages=ten");
    expect(() => query.parseInput(sqsLike, sqsLike.operations.ReceiveMessage, req)).toThrow(
      expect.objectContaining({ code: "ValidationError", status: 400 }),
    );
    const ec2Model = { ...sqsLike, metadata: { ...sqsLike.metadata, protocol: "ec2" as const } };
    expect(() => ec2.parseInput(ec2Model, ec2Model.operations.ReceiveMessage, req)).toThrow(
      expect.objectContaining({ code: "InvalidParameterValue", status: 400 }),
    );
  });

  it("names a missing or unknown action the way AWS does", () => {
    expect(query.resolveOperation(sqsLike, formRequest("Version=2012-11-05"))).toBeUndefined();
    expect(query.unknownOperationError(sqsLike, formRequest("Version=2012-11-05"))).toMatchObject({ code: "MissingAction", status: 400 });
    const unknown = formRequest("Action=Nope&Version=2012-11-05");
    expect(query.resolveOperation(sqsLike, unknown)).toBeUndefined();
    expect(query.unknownOperationError(sqsLike, unknown)).toMatchObject({
      code: "InvalidAction",
      status: 400,
      message: "Could not find operation Nope for version 2012-11-05",
    });
    expect(ec2.unknownOperationError(sqsLike, unknown)).toMatchObject({
      code: "InvalidAction",
      message: "The action Nope is not valid for this web service.",
    });
    const res = query.serializeError(sqsLike, undefined, query.unknownOperationError(sqsLike, unknown), ctx);
    expect(res.status).toBe(400);
    expect(bodyText(res)).toBe(
      '<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>InvalidAction</Code>' +
        "<Message>Could not find operation Nope for version 2012-11-05</Message></Error><RequestId>rid-9</RequestId></ErrorResponse>",
    );
  });

  it("writes server faults as Receiver and error fields without a shape", () => {
    const res = query.serializeError(
      sqsLike,
      undefined,
      { code: "InternalFailure", message: "boom", status: 500, senderFault: false, fields: { Detail: "x", When: new Date(0) } },
      ctx,
    );
    const error = errorElement(bodyText(res));
    expect(child(error, "Type")?.text).toBe("Receiver");
    expect(child(error, "Detail")?.text).toBe("x");
    expect(child(error, "When")?.text).toBe("1970-01-01T00:00:00Z");
  });

  it("sends no body in answer to HEAD", () => {
    const res = ec2.serializeError(sqsLike, undefined, { code: "X", message: "y", status: 400, senderFault: true }, { requestId: "r", method: "HEAD" });
    expect(res.body).toBeUndefined();
    expect(res.status).toBe(400);
  });
});

describe("AWS SDK v3 S3 client through the rest-xml codec", () => {
  const model = loadServiceModel(readManifest().s3);
  const objects = new Map<string, Buffer>();
  const tagSets = new Map<string, Array<{ Key: string; Value: string }>>();
  const noSuchBucket = (name: unknown) =>
    new ServiceError({ code: "NoSuchBucket", status: 404 }, "The specified bucket does not exist", { BucketName: name });
  const seen: Array<Record<string, unknown>> = [];
  const s3 = new S3Client({
    ...clientConfig,
    forcePathStyle: true,
    requestHandler: codecHandler(model, restXml, async (op, input) => {
      if (input.Bucket === "missing") throw noSuchBucket(input.Bucket);
      switch (op) {
        case "PutBucketTagging":
          tagSets.set(String(input.Bucket), (input.Tagging as { TagSet: Array<{ Key: string; Value: string }> }).TagSet);
          return {};
        case "GetBucketTagging":
          return { TagSet: tagSets.get(String(input.Bucket)) ?? [] };
        case "PutObject":
          objects.set(String(input.Key), Buffer.concat(await (input.Body as Readable).toArray()));
          return { ETag: '"e1"' };
        case "HeadObject":
          if (!objects.has(String(input.Key))) throw new ServiceError({ code: "NotFound", status: 404 }, "Not Found");
          return { ContentLength: objects.get(String(input.Key))!.length, ETag: '"e1"' };
        case "DeleteObjects": {
          const del = input.Delete as { Objects: Array<{ Key: string }> };
          return { Deleted: del.Objects.map((o) => ({ Key: o.Key })), Errors: [{ Key: "x", Code: "AccessDenied", Message: "no" }] };
        }
        case "ListObjectsV2":
          return {
            Name: input.Bucket,
            Prefix: input.Prefix,
            KeyCount: objects.size,
            MaxKeys: 1000,
            IsTruncated: false,
            Contents: [...objects.entries()].map(([Key, b]) => ({ Key, Size: b.length, LastModified: new Date(7000), ETag: '"e1"', StorageClass: "STANDARD" })),
            CommonPrefixes: [{ Prefix: "dir/" }],
          };
        default:
          throw new Error(`unexpected ${op}`);
      }
    }, seen, (op, req) =>
      // PutObject and CopyObject share method and path; only x-amz-copy-source tells them apart,
      // which the router leaves to the S3 service.
      op === "CopyObject" && req.headers["x-amz-copy-source"] === undefined ? "PutObject" : op,
    ),
  });

  it("round-trips payload structures, flattened lists and timestamps", async () => {
    await s3.send(new PutBucketTaggingCommand({ Bucket: "b", Tagging: { TagSet: [{ Key: "k", Value: "a&b" }, { Key: "e", Value: "" }] } }));
    expect(seen.at(-1)).toMatchObject({ Bucket: "b", Tagging: { TagSet: [{ Key: "k", Value: "a&b" }, { Key: "e", Value: "" }] } });
    const tags = await s3.send(new GetBucketTaggingCommand({ Bucket: "b" }));
    expect(tags.TagSet).toEqual([{ Key: "k", Value: "a&b" }, { Key: "e", Value: "" }]);

    await s3.send(new PutObjectCommand({ Bucket: "b", Key: "dir/a.txt", Body: "hello" }));
    const list = await s3.send(new ListObjectsV2Command({ Bucket: "b", Prefix: "dir/" }));
    expect(list.Contents?.map((o) => [o.Key, o.Size, o.LastModified?.getTime()])).toEqual([["dir/a.txt", 5, 7000]]);
    expect(list.CommonPrefixes).toEqual([{ Prefix: "dir/" }]);
    expect(list.KeyCount).toBe(1);

    const del = await s3.send(new DeleteObjectsCommand({ Bucket: "b", Delete: { Objects: [{ Key: "dir/a.txt" }, { Key: "y" }] } }));
    expect(seen.at(-1)).toMatchObject({ Delete: { Objects: [{ Key: "dir/a.txt" }, { Key: "y" }] } });
    expect(del.Deleted).toEqual([{ Key: "dir/a.txt" }, { Key: "y" }]);
    expect(del.Errors).toEqual([{ Key: "x", Code: "AccessDenied", Message: "no" }]);
  });

  it("answers errors in S3's format, and HEAD errors without a body", async () => {
    const err = await rejection(s3.send(new GetBucketTaggingCommand({ Bucket: "missing" })));
    expect(err.name).toBe("NoSuchBucket");
    expect(err.message).toBe("The specified bucket does not exist");
    expect(err.BucketName).toBe("missing");
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.$metadata.requestId).toBe("rid-123");
    const head = await rejection(s3.send(new HeadObjectCommand({ Bucket: "b", Key: "nope" })));
    expect(head.name).toBe("NotFound");
    expect(head.$metadata.httpStatusCode).toBe(404);
  });
});

describe("rest-xml wire habits", () => {
  const route53Like: ServiceModel = {
    metadata: { protocol: "rest-xml", apiVersion: "2013-04-01", endpointPrefix: "route53", serviceId: "Route 53" },
    operations: {
      CreateThing: {
        name: "CreateThing",
        http: { method: "POST", requestUri: "/2013-04-01/thing" },
        input: { shape: "CreateThingRequest", locationName: "CreateThingRequest", xmlNamespace: { uri: "https://route53.amazonaws.com/doc/2013-04-01/" } },
        output: { shape: "CreateThingResponse" },
      },
      PutRaw: {
        name: "PutRaw",
        http: { method: "PUT", requestUri: "/raw" },
        input: { shape: "PutRawRequest" },
      },
    },
    shapes: {
      String: { type: "string" },
      Blob: { type: "blob" },
      CreateThingRequest: { type: "structure", members: { Name: { shape: "String" }, Comment: { shape: "String" } } },
      CreateThingResponse: { type: "structure", members: { Id: { shape: "String" }, Location: { shape: "String", location: "header", locationName: "Location" } } },
      PutRawRequest: { type: "structure", members: { Data: { shape: "Blob" }, Encoding: { shape: "String", location: "header", locationName: "Content-Encoding" } }, payload: "Data" },
    },
  };
  const ctx = { requestId: "rid-7", method: "POST" };
  const post = (path: string, body: Buffer | string, headers: Record<string, string> = {}): WireRequest => ({
    method: path === "/raw" ? "PUT" : "POST",
    path,
    rawQuery: "",
    query: [],
    headers: { "content-type": "application/xml", ...headers },
    body: Buffer.from(body),
    hostname: "localhost",
  });

  it("reads the body whatever its root and prefixes are called", () => {
    const req = post(
      "/2013-04-01/thing",
      '<?xml version="1.0"?><r:Whatever xmlns:r="https://route53.amazonaws.com/doc/2013-04-01/"><r:Name>a&#xD;&#10;b</r:Name><Comment><![CDATA[<x>]]></Comment><Unknown/></r:Whatever>',
    );
    expect(restXml.resolveOperation(route53Like, req)).toBe("CreateThing");
    expect(restXml.parseInput(route53Like, route53Like.operations.CreateThing, req)).toEqual({ Name: "a\r\nb", Comment: "<x>" });
  });

  it("answers MalformedXML for a body that is not well-formed", () => {
    for (const body of ["<a><b></a>", "not xml", "<a/><b/>"]) {
      expect(() => restXml.parseInput(route53Like, route53Like.operations.CreateThing, post("/2013-04-01/thing", body))).toThrow(
        expect.objectContaining({ code: "MalformedXML", status: 400 }),
      );
    }
  });

  it("leaves a gzip payload alone unless the operation declares request compression", () => {
    const zipped = gzipSync("raw bytes");
    const input = restXml.parseInput(route53Like, route53Like.operations.PutRaw, post("/raw", zipped, { "content-encoding": "gzip" }));
    expect(input.Data).toEqual(zipped);
  });

  it("writes the wrapped error document with the service namespace and the output in its namespace", () => {
    const err = restXml.serializeError(route53Like, undefined, { code: "NoSuchHostedZone", message: "No hosted zone found", status: 404, senderFault: true }, ctx);
    expect(err.status).toBe(404);
    expect(bodyText(err)).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type>' +
        "<Code>NoSuchHostedZone</Code><Message>No hosted zone found</Message></Error><RequestId>rid-7</RequestId></ErrorResponse>",
    );
    expect(err.headers["x-amzn-requestid"]).toBe("rid-7");
    const out = restXml.serializeOutput(route53Like, route53Like.operations.CreateThing, { Id: "z1", Location: "/thing/z1" }, ctx);
    expect(bodyText(out)).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><CreateThingResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Id>z1</Id></CreateThingResponse>',
    );
    expect(headerOf(out.headers, "Location")).toBe("/thing/z1");
  });

  it("writes S3 errors unwrapped, and nothing for HEAD", () => {
    const s3 = loadServiceModel(readManifest().s3);
    const error = { code: "NoSuchKey", message: "The specified key does not exist.", status: 404, senderFault: true, fields: { Key: "a&b" } };
    const res = restXml.serializeError(s3, undefined, error, ctx);
    expect(bodyText(res)).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>' +
        "<Key>a&amp;b</Key><RequestId>rid-7</RequestId></Error>",
    );
    expect(res.headers["x-amz-request-id"]).toBe("rid-7");
    const head = restXml.serializeError(s3, undefined, error, { requestId: "rid-7", method: "HEAD" });
    expect(head.status).toBe(404);
    expect(head.body).toBeUndefined();
  });
});

describe("query answers for services that moved to JSON", () => {
  it("uses the query-era error code when the error has one", () => {
    const res = query.serializeError(
      sqsLike,
      undefined,
      { code: "QueueDoesNotExist", queryErrorCode: "AWS.SimpleQueueService.NonExistentQueue", message: "The specified queue does not exist.", status: 400, senderFault: true },
      { requestId: "r", method: "POST" },
    );
    expect(child(errorElement(bodyText(res)), "Code")?.text).toBe("AWS.SimpleQueueService.NonExistentQueue");
  });
});
