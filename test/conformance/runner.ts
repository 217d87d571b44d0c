/**
 * The protocol conformance runner. Input cases feed a vector's serialized request to the
 * codec's router and parser and compare with the client's params. Output cases serialize the
 * vector's result (or error) with the codec and have botocore, the official Python client,
 * parse the response back; what botocore 1.29 cannot parse (rpc-v2-cbor, a few header forms)
 * is compared with the vector's own response instead.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { XMLParser } from "fast-xml-parser";
import { decodeCbor } from "../../src/protocol/cbor.js";
import { codecs } from "../../src/protocol/index.js";
import type { OperationModel, ServiceModel, ShapeRef } from "../../src/protocol/model.js";
import type { ProtocolCodec, WireError, WireRequest, WireResponse } from "../../src/protocol/types.js";
import { compareValues, toHandlerValue } from "./compare.js";
import { SKIPS, STRUCTURAL, UNROUTABLE } from "./skips.js";
import { parseJsonExact, type Case, type Suite, type VectorFile } from "./vectors.js";

export type Status = "pass" | "fail" | "skip" | "notrun";

export interface CaseResult {
  file: string;
  name: string;
  kind: "input" | "output";
  id: string;
  description: string;
  status: Status;
  detail?: string;
  /** Input: how the operation was named ("router", or a fallback with its reason). */
  routing?: "router" | "ambiguous" | "unroutable";
  /** Output: who read the response back. */
  checkedBy?: "botocore" | "structural";
}

const PYTHON = "/usr/bin/python3";
const PARSER_SCRIPT = fileURLToPath(new URL("./botocore_parse.py", import.meta.url));
const CBOR = "smithy-rpc-v2-cbor";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function caseModel(suite: Suite, op: OperationModel): ServiceModel {
  return { metadata: suite.metadata, operations: { [op.name]: op }, shapes: suite.shapes };
}

/** A model holding every operation of a vector file, so that routing has real competition. */
function routingModel(file: VectorFile, suite: Suite): ServiceModel {
  const operations: Record<string, OperationModel> = {};
  for (const s of file.suites) for (const c of s.cases) operations[c.given.name] ??= c.given;
  return { metadata: suite.metadata, operations, shapes: suite.shapes };
}

function describe(c: Case): string {
  return (c.description ?? c.id).replace(/\s+/g, " ").trim();
}

async function collect(body: WireResponse["body"]): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body as Readable) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

function lowerHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}

export function wireRequest(protocol: string, serialized: NonNullable<Case["serialized"]>): WireRequest {
  const q = serialized.uri.indexOf("?");
  const rawQuery = q >= 0 ? serialized.uri.slice(q + 1) : "";
  const query: Array<[string, string]> = [];
  if (rawQuery) for (const [k, v] of new URLSearchParams(rawQuery)) query.push([k, v]);
  const raw = serialized.body ?? "";
  return {
    method: serialized.method.toUpperCase(),
    path: q >= 0 ? serialized.uri.slice(0, q) : serialized.uri,
    rawQuery,
    query,
    headers: lowerHeaders(serialized.headers),
    // rpc-v2-cbor vectors carry their bodies in base64.
    body: protocol === CBOR ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8"),
    hostname: "localhost",
  };
}

function base(file: VectorFile, c: Case): Omit<CaseResult, "status"> {
  return { file: file.file, name: file.name, kind: file.kind, id: c.id, description: describe(c) };
}

function skipped(file: VectorFile, c: Case): CaseResult | undefined {
  const entry = SKIPS[file.file]?.[c.id];
  return entry ? { ...base(file, c), status: "skip", detail: entry.reason } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Input cases

/**
 * A map bound to the query string (httpQueryParams) meets named query members from two sides:
 * a client drops map entries whose key a named member uses (the named member wins), while a
 * server puts every parameter in the map. Entries under such keys are therefore compared on
 * neither side; the named members themselves still are.
 */
function dropNamedQueryEntries(
  suite: Suite,
  inputShape: string,
  expected: Record<string, unknown>,
  actual: Record<string, unknown>,
): void {
  const members = Object.entries(suite.shapes[inputShape]?.members ?? {});
  const named = new Set(
    members
      .filter(([, ref]) => ref.location === "querystring" && suite.shapes[ref.shape]?.type !== "map")
      .map(([n, ref]) => ref.locationName ?? n),
  );
  for (const [name, ref] of members) {
    if (ref.location !== "querystring" || suite.shapes[ref.shape]?.type !== "map") continue;
    for (const side of [expected, actual]) {
      const map = side[name];
      if (typeof map !== "object" || map === null) continue;
      const kept = Object.fromEntries(Object.entries(map).filter(([k]) => !named.has(k)));
      if (Object.keys(kept).length > 0) side[name] = kept;
      else delete side[name];
    }
  }
}

async function runInputCase(file: VectorFile, suite: Suite, c: Case, codec: ProtocolCodec): Promise<CaseResult> {
  const result = { ...base(file, c) };
  const model = caseModel(suite, c.given);
  const req = wireRequest(suite.metadata.protocol, c.serialized!);

  // Routing: among all the file's operations first; a fallback must be justified.
  let routing: CaseResult["routing"] = "router";
  const routed = codec.resolveOperation(routingModel(file, suite), req);
  if (routed !== c.given.name) {
    const winner = routed ? routingModel(file, suite).operations[routed] : undefined;
    const sameBinding =
      winner &&
      winner.http?.method === c.given.http?.method &&
      winner.http?.requestUri === c.given.http?.requestUri &&
      codec.resolveOperation(model, req) === c.given.name;
    if (sameBinding) routing = "ambiguous";
    else if (UNROUTABLE[file.file]?.[c.id]) routing = "unroutable";
    else return { ...result, status: "fail", routing, detail: `routed to ${String(routed)}, expected ${c.given.name}` };
  }

  let parsed: Record<string, unknown>;
  try {
    parsed = codec.parseInput(model, c.given, req);
  } catch (e) {
    return { ...result, status: "fail", routing, detail: `parseInput threw: ${(e as Error).message}` };
  }
  // Streams (streaming payloads) are compared by their bytes.
  for (const [k, v] of Object.entries(parsed)) if (v instanceof Readable) parsed[k] = await collect(v);

  const expected = { ...(c.params ?? {}) };
  const inputShape = c.given.input?.shape;
  const diffs: string[] = [];
  if (inputShape) {
    // An absent idempotency token is generated by the server: any UUID will do.
    for (const [name, ref] of Object.entries(suite.shapes[inputShape]?.members ?? {})) {
      if (ref.idempotencyToken && expected[name] == null && typeof parsed[name] === "string" && UUID.test(parsed[name])) {
        delete parsed[name];
      }
    }
    dropNamedQueryEntries(suite, inputShape, expected, parsed);
    compareValues(model, { shape: inputShape }, expected, parsed, "input", diffs, { absentIsEmpty: true });
  } else if (Object.keys(parsed).length > 0) {
    diffs.push(`input: expected {}, got ${JSON.stringify(parsed)}`);
  }
  return diffs.length === 0
    ? { ...result, status: "pass", routing }
    : { ...result, status: "fail", routing, detail: diffs.join("; ") };
}

// ---------------------------------------------------------------------------------------------
// Output cases

interface BotocoreJob {
  metadata: Suite["metadata"];
  shapes: Suite["shapes"];
  operation: OperationModel;
  status: number;
  headers: Record<string, string>;
  body: string;
  errorShape?: string;
}

interface PendingOutput {
  result: Omit<CaseResult, "status">;
  job: BotocoreJob;
  finish: (parsed: BotocoreAnswer) => CaseResult;
}

interface BotocoreAnswer {
  parsed?: Record<string, unknown>;
  modeled?: Record<string, unknown>;
  exception?: string;
}

/** The error shape a case's error belongs to: by shape name, or by its custom error code. */
function errorShapeOf(suite: Suite, c: Case): string | undefined {
  const names = (c.given.errors ?? []).map((e) => e.shape);
  return (
    names.find((n) => n === c.errorCode) ??
    names.find((n) => suite.shapes[n]?.error?.code === c.errorCode) ??
    names[0]
  );
}

function wireErrorFor(suite: Suite, c: Case, model: ServiceModel): WireError {
  const shapeName = errorShapeOf(suite, c)!;
  const shape = suite.shapes[shapeName];
  const fields = toHandlerValue(model, { shape: shapeName }, c.error ?? {}) as Record<string, unknown>;
  const status = c.response!.status_code;
  const customCode = shape?.error?.code;
  // XML-family protocols write the error's own code; JSON-family ones write the shape name and
  // carry a custom code separately (x-amzn-query-error).
  const xmlFamily = ["query", "ec2", "rest-xml"].includes(suite.metadata.protocol);
  const messageField = fields.message ?? fields.Message;
  const error: WireError = {
    code: xmlFamily && customCode ? customCode : shapeName,
    message: c.errorMessage ?? (typeof messageField === "string" ? messageField : ""),
    status,
    senderFault: shape?.error?.senderFault ?? status < 500,
    fields,
    shapeName,
  };
  if (customCode && !xmlFamily) error.queryErrorCode = customCode;
  return error;
}

async function serializeCase(
  suite: Suite,
  c: Case,
  codec: ProtocolCodec,
  model: ServiceModel,
): Promise<{ res: WireResponse; body: Buffer }> {
  const ctx = { requestId: "conformance-request-id", method: c.given.http?.method ?? "POST" };
  let res: WireResponse;
  if (c.error !== undefined) {
    res = codec.serializeError(model, c.given, wireErrorFor(suite, c, model), ctx);
  } else {
    const output = c.given.output
      ? (toHandlerValue(model, { shape: c.given.output.shape }, c.result ?? {}) as Record<string, unknown>)
      : {};
    res = codec.serializeOutput(model, c.given, output, ctx);
  }
  return { res, body: await collect(res.body) };
}

/** Keep the members a client would read: known members, no nulls (shape-driven). */
function clientView(model: ServiceModel, ref: ShapeRef | undefined, raw: unknown): unknown {
  if (raw === null || raw === undefined) return undefined;
  const shape = ref ? model.shapes[ref.shape] : undefined;
  if (!shape || shape.document) return raw;
  if ((shape.type === "structure" || shape.type === "union") && typeof raw === "object" && !Array.isArray(raw)) {
    const out: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(shape.members ?? {})) {
      const v = clientView(model, member, (raw as Record<string, unknown>)[name]);
      if (v !== undefined) out[name] = v;
    }
    return out;
  }
  if (shape.type === "list" && Array.isArray(raw)) return raw.map((v) => clientView(model, shape.member, v)).filter((v) => v !== undefined);
  if (shape.type === "map" && typeof raw === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      const x = clientView(model, shape.value, v);
      if (x !== undefined) out[k] = x;
    }
    return out;
  }
  return raw;
}

/** rpc-v2-cbor: decode our body as a client would, and check the vector's body decodes alike. */
function checkCbor(suite: Suite, c: Case, model: ServiceModel, res: WireResponse, body: Buffer): string[] {
  const diffs: string[] = [];
  const headers = lowerHeaders(res.headers);
  if (headers["smithy-protocol"] !== "rpc-v2-cbor") diffs.push(`smithy-protocol header: ${headers["smithy-protocol"]}`);
  if (body.length > 0 && headers["content-type"] !== "application/cbor") diffs.push(`content-type: ${headers["content-type"]}`);
  if (res.status !== c.response!.status_code) diffs.push(`status: expected ${c.response!.status_code}, got ${res.status}`);
  let ours: Record<string, unknown> = {};
  try {
    if (body.length > 0) ours = decodeCbor(body) as Record<string, unknown>;
  } catch (e) {
    return [...diffs, `our body is not CBOR: ${(e as Error).message}`];
  }
  const opts = { absentIsEmpty: false };
  if (c.error !== undefined) {
    const shapeName = errorShapeOf(suite, c)!;
    const queryCode = headers["x-amzn-query-error"]?.split(";")[0];
    const code = queryCode || String(ours.__type ?? "").split("#").pop();
    if (code !== (c.errorCode ?? shapeName)) diffs.push(`error code: expected ${c.errorCode}, got ${code}`);
    const message = ours.message ?? ours.Message ?? "";
    if (c.errorMessage !== undefined && message !== c.errorMessage) {
      diffs.push(`error message: expected ${c.errorMessage}, got ${String(message)}`);
    }
    const ref = { shape: shapeName };
    compareValues(model, ref, c.error, clientView(model, ref, ours), "error", diffs, opts);
    return diffs;
  }
  const outRef = c.given.output ? { shape: c.given.output.shape } : undefined;
  const expected = c.result ?? {};
  if (outRef) compareValues(model, outRef, expected, clientView(model, outRef, ours), "output", diffs, opts);
  else if (body.length > 0 && Object.keys(ours).length > 0) diffs.push(`output: expected no members, got ${JSON.stringify(ours)}`);
  // The vector's own bytes must decode to the same result with our decoder (it serves requests).
  if (outRef && c.response!.body) {
    try {
      const theirs = decodeCbor(Buffer.from(c.response!.body, "base64"));
      compareValues(model, outRef, expected, clientView(model, outRef, theirs), "vector body", diffs, opts);
    } catch (e) {
      diffs.push(`vector body does not decode: ${(e as Error).message}`);
    }
  }
  return diffs;
}

const xmlParser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  trimValues: true,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
});

type XmlNode = Record<string, unknown>;

/**
 * An XML document as comparable data: element order kept, whitespace-only text dropped. The
 * root's namespace is left out (the vectors use a placeholder where a service has its own), as
 * are the request ids a query (ResponseMetadata) or EC2 (requestId) response carries and the
 * vectors do not show.
 */
function xmlView(text: string): unknown {
  const strip = (nodes: XmlNode[], depth: number): unknown[] =>
    nodes
      .filter((n) => !("ResponseMetadata" in n) && !(depth === 1 && "requestId" in n))
      .map((n) => {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(n)) {
          if (k === ":@") {
            const attrs = { ...(v as Record<string, unknown>) };
            if (depth === 0) delete attrs["@xmlns"];
            if (Object.keys(attrs).length > 0) out[k] = attrs;
          } else {
            out[k] = Array.isArray(v) ? strip(v as XmlNode[], depth + 1) : v;
          }
        }
        return out;
      });
  return strip(xmlParser.parse(text) as XmlNode[], 0);
}

/** Compare with the vector's response: listed headers byte for byte, bodies by value. */
function checkStructural(c: Case, model: ServiceModel, res: WireResponse, body: Buffer): string[] {
  const diffs: string[] = [];
  const response = c.response!;
  if (res.status !== response.status_code) diffs.push(`status: expected ${response.status_code}, got ${res.status}`);
  const ours = lowerHeaders(res.headers);
  for (const [name, value] of Object.entries(lowerHeaders(response.headers))) {
    if (name === "content-type" || name === "content-length") continue;
    if (ours[name] !== value) diffs.push(`header ${name}: expected ${JSON.stringify(value)}, got ${JSON.stringify(ours[name])}`);
  }
  const theirs = response.body ?? "";
  if (theirs.trim().startsWith("<")) {
    compareValues(model, undefined, xmlView(theirs), xmlView(body.toString("utf8")), "body", diffs, { absentIsEmpty: false });
  } else if (theirs.trim().startsWith("{") || theirs.trim().startsWith("[")) {
    try {
      const e = JSON.parse(theirs) as unknown;
      const a = body.length ? (JSON.parse(body.toString("utf8")) as unknown) : {};
      compareValues(model, undefined, e, a, "body", diffs, { absentIsEmpty: true });
    } catch (err) {
      diffs.push(`body: ${(err as Error).message}`);
    }
  } else if (theirs !== body.toString("utf8")) {
    diffs.push(`body: expected ${JSON.stringify(theirs)}, got ${JSON.stringify(body.toString("utf8"))}`);
  }
  return diffs;
}

function finishBotocore(suite: Suite, c: Case, model: ServiceModel, answer: BotocoreAnswer): string[] {
  if (answer.exception) return [`botocore raised ${answer.exception}`];
  const diffs: string[] = [];
  const parsed = answer.parsed ?? {};
  const opts = { absentIsEmpty: false, emptyBlobIsAbsent: true };
  if (c.error !== undefined) {
    const err = (parsed.Error ?? {}) as Record<string, unknown>;
    const shapeName = errorShapeOf(suite, c)!;
    if (err.Code !== (c.errorCode ?? shapeName)) diffs.push(`error code: expected ${c.errorCode}, got ${String(err.Code)}`);
    if (c.errorMessage !== undefined && err.Message !== c.errorMessage) {
      diffs.push(`error message: expected ${JSON.stringify(c.errorMessage)}, got ${JSON.stringify(err.Message)}`);
    }
    compareValues(model, { shape: shapeName }, c.error, answer.modeled ?? {}, "error", diffs, opts);
    return diffs;
  }
  if (c.given.output) compareValues(model, { shape: c.given.output.shape }, c.result ?? {}, parsed, "output", diffs, opts);
  else if (Object.keys(parsed).length > 0) diffs.push(`output: expected {}, got ${JSON.stringify(parsed)}`);
  return diffs;
}

async function prepareOutputCase(
  file: VectorFile,
  suite: Suite,
  c: Case,
  codec: ProtocolCodec,
): Promise<CaseResult | PendingOutput> {
  const result = { ...base(file, c) };
  const model = caseModel(suite, c.given);
  let res: WireResponse;
  let body: Buffer;
  try {
    ({ res, body } = await serializeCase(suite, c, codec, model));
  } catch (e) {
    return { ...result, status: "fail", detail: `serialize threw: ${(e as Error).stack ?? String(e)}` };
  }
  const verdict = (diffs: string[], checkedBy: CaseResult["checkedBy"]): CaseResult =>
    diffs.length === 0 ? { ...result, status: "pass", checkedBy } : { ...result, status: "fail", checkedBy, detail: diffs.join("; ") };

  if (suite.metadata.protocol === CBOR) return verdict(checkCbor(suite, c, model, res, body), "structural");
  if (STRUCTURAL[file.file]?.[c.id]) return verdict(checkStructural(c, model, res, body), "structural");

  const errorShape = c.error !== undefined ? errorShapeOf(suite, c) : undefined;
  // Real query models name the result element (`resultWrapper`); the vectors leave it to the
  // client, which newer botocore derives from the operation name and 1.29 does not.
  const operation =
    suite.metadata.protocol === "query" && c.given.output && !c.given.output.resultWrapper
      ? { ...c.given, output: { ...c.given.output, resultWrapper: `${c.given.name}Result` } }
      : c.given;
  const job: BotocoreJob = {
    metadata: suite.metadata,
    shapes: suite.shapes,
    operation,
    status: res.status,
    headers: res.headers,
    body: body.toString("base64"),
    ...(errorShape ? { errorShape } : {}),
  };
  return { result, job, finish: (answer) => verdict(finishBotocore(suite, c, model, answer), "botocore") };
}

function runBotocore(jobs: BotocoreJob[]): BotocoreAnswer[] {
  if (jobs.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), "nimbus-conformance-"));
  try {
    const path = join(dir, "jobs.json");
    writeFileSync(path, JSON.stringify(jobs));
    const run = spawnSync(PYTHON, [PARSER_SCRIPT, path], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (run.status !== 0) {
      throw new Error(`botocore parser failed (${PYTHON}, needs Debian's python3-botocore): ${run.error?.message ?? run.stderr}`);
    }
    return parseJsonExact(run.stdout) as BotocoreAnswer[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

export async function runConformance(files: VectorFile[]): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const pending: PendingOutput[] = [];
  for (const file of files) {
    for (const suite of file.suites) {
      const codec = codecs[suite.metadata.protocol];
      for (const c of suite.cases) {
        const skip = skipped(file, c);
        if (skip) {
          results.push(skip);
        } else if (!codec) {
          results.push({ ...base(file, c), status: "notrun", detail: `no codec for ${suite.metadata.protocol}` });
        } else if (file.kind === "input") {
          results.push(await runInputCase(file, suite, c, codec));
        } else {
          const out = await prepareOutputCase(file, suite, c, codec);
          if ("job" in out) pending.push(out);
          else results.push(out);
        }
      }
    }
  }
  // One python process parses every response, for speed.
  const answers = runBotocore(pending.map((p) => p.job));
  pending.forEach((p, i) => results.push(p.finish(answers[i] ?? { exception: "no answer" })));
  return results;
}
