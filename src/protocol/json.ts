/**
 * The awsJson 1.0 / 1.1 codec (`X-Amz-Target: <targetPrefix>.<Operation>`, a JSON document in
 * and out), plus the shape-driven JSON reading and writing that rest-json shares.
 *
 * On the wire: timestamps are epoch seconds unless a `timestampFormat` says otherwise, blobs are
 * base64, NaN/±Infinity are the strings "NaN"/"Infinity"/"-Infinity", and a member's JSON key is
 * its `locationName` when it has one.
 */
import { gunzipSync } from "node:zlib";
import { CommonErrors, ServiceError } from "../core/errors.js";
import type { ServiceModel, Shape, ShapeRef, TimestampFormat } from "./model.js";
import { shapeOf } from "./model.js";
import type { ProtocolCodec, ResponseContext, WireError, WireRequest, WireResponse } from "./types.js";
import {
  fillIdempotencyTokens,
  formatFloatValue,
  formatTimestamp,
  parseFloatValue,
  parseTimestamp,
  setOwn,
  toBuffer,
} from "./values.js";

// ---------------------------------------------------------------------------------------------
// Reading: wire JSON -> handler values

function invalid(where: string, expected: string): ServiceError {
  return new ServiceError(CommonErrors.SerializationException, `Expected ${expected} for ${where || "the request body"}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The request body, inflated when the client compressed it (the SDKs' `requestcompression`):
 * Content-Encoding names gzip and the body starts with the gzip magic number.
 */
export function requestBody(req: WireRequest): Buffer {
  const body = req.body;
  if (body.length > 2 && body[0] === 0x1f && body[1] === 0x8b && /gzip/i.test(req.headers["content-encoding"] ?? "")) {
    try {
      return gunzipSync(body);
    } catch {
      throw new ServiceError(CommonErrors.SerializationException, "The request body could not be decompressed.");
    }
  }
  return body;
}

/** Parse a JSON request body; an empty body is `{}`. Malformed JSON is a SerializationException. */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ServiceError(CommonErrors.SerializationException, "Could not parse the request body as JSON.");
  }
}

/** Read the members of a structure (or union) from a parsed JSON object. */
export function readJsonStructure(
  model: ServiceModel,
  shapeName: string,
  raw: unknown,
  where = "",
  only?: Set<string>,
): Record<string, unknown> {
  if (!isObject(raw)) throw invalid(where, "an object");
  const shape = shapeOf(model, shapeName);
  const out: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    if (only && !only.has(name)) continue;
    const key = ref.locationName ?? name;
    if (!Object.hasOwn(raw, key)) continue;
    const v = raw[key];
    if (v === null || v === undefined) continue;
    setOwn(out, name, readJsonValue(model, ref, v, where ? `${where}.${key}` : key));
  }
  return out;
}

/** Read one value of the shape `ref` points at. */
export function readJsonValue(model: ServiceModel, ref: ShapeRef, raw: unknown, where: string): unknown {
  const shape = shapeOf(model, ref);
  if (isDocument(shape)) return raw;
  switch (shape.type) {
    case "structure":
    case "union":
      return readJsonStructure(model, ref.shape, raw, where);
    case "list": {
      if (!Array.isArray(raw)) throw invalid(where, "a list");
      const member = shape.member!;
      return raw.filter((v) => v !== null).map((v, i) => readJsonValue(model, member, v, `${where}[${i}]`));
    }
    case "map": {
      if (!isObject(raw)) throw invalid(where, "a map");
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(raw)) {
        if (v === null) continue;
        setOwn(out, k, readJsonValue(model, shape.value!, v, `${where}.${k}`));
      }
      return out;
    }
    case "string":
      if (typeof raw !== "string") throw invalid(where, "a string");
      return raw;
    case "boolean":
      if (typeof raw !== "boolean") throw invalid(where, "a boolean");
      return raw;
    case "integer":
    case "long":
    case "short":
    case "byte":
    case "biginteger":
      if (typeof raw !== "number" || !Number.isInteger(raw)) throw invalid(where, "an integer");
      return raw;
    case "float":
    case "double":
    case "bigdecimal":
      if (typeof raw === "number") return raw;
      if (raw === "NaN" || raw === "Infinity" || raw === "-Infinity") return parseFloatValue(raw);
      throw invalid(where, "a number");
    case "timestamp":
      if (typeof raw !== "number" && typeof raw !== "string") throw invalid(where, "a timestamp");
      try {
        return parseTimestamp(raw, typeof raw === "string" ? timestampFormat(ref, shape) : undefined);
      } catch {
        throw invalid(where, "a timestamp");
      }
    case "blob":
      if (typeof raw !== "string") throw invalid(where, "a base64-encoded string");
      return Buffer.from(raw, "base64");
    case "document":
      return raw;
    default:
      return raw;
  }
}

/** A document: free-form JSON (in these models a structure marked `document: true`). */
export function isDocument(shape: Shape): boolean {
  return shape.type === "document" || shape.document === true;
}

function timestampFormat(ref: ShapeRef, shape: Shape): TimestampFormat {
  return ref.timestampFormat ?? shape.timestampFormat ?? "unixTimestamp";
}

// ---------------------------------------------------------------------------------------------
// Writing: handler values -> wire JSON (a tree that may hold bigints for longs past 2^53)

/** Write the members of a structure (or union) that are present in `value`. */
export function writeJsonStructure(
  model: ServiceModel,
  shapeName: string,
  value: Record<string, unknown>,
  only?: Set<string>,
): Record<string, unknown> {
  const shape = shapeOf(model, shapeName);
  const out: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    if (only && !only.has(name)) continue;
    const v = value[name];
    if (v === undefined || v === null) continue;
    setOwn(out, ref.locationName ?? name, writeJsonValue(model, ref, v));
  }
  return out;
}

export function writeJsonValue(model: ServiceModel, ref: ShapeRef, value: unknown): unknown {
  const shape = shapeOf(model, ref);
  if (isDocument(shape)) return value;
  switch (shape.type) {
    case "structure":
    case "union":
      return writeJsonStructure(model, ref.shape, value as Record<string, unknown>);
    case "list":
      return (value as unknown[]).filter((v) => v !== undefined && v !== null).map((v) => writeJsonValue(model, shape.member!, v));
    case "map": {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined || v === null) continue;
        setOwn(out, k, writeJsonValue(model, shape.value!, v));
      }
      return out;
    }
    case "timestamp":
      return formatTimestamp(value, timestampFormat(ref, shape));
    case "blob":
      return toBuffer(value).toString("base64");
    case "float":
    case "double":
    case "bigdecimal":
      return formatFloatValue(typeof value === "number" ? value : Number(value));
    case "integer":
    case "long":
    case "short":
    case "byte":
    case "biginteger":
      return toInteger(value);
    case "boolean":
      return value === true || value === "true";
    case "string":
      return typeof value === "string" ? value : String(value);
    default:
      return value;
  }
}

/** Integers may arrive as numbers, bigints or numeric strings; longs past 2^53 stay exact. */
function toInteger(value: unknown): number | bigint {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) {
    const big = BigInt(value.trim());
    return Number.isSafeInteger(Number(big)) ? Number(big) : big;
  }
  return Number(value);
}

/** JSON.stringify, except that bigints are written as exact integers and undefined is skipped. */
export function stringifyJson(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : stringifyJson(v))).join(",")}]`;
      if (value instanceof Date) return JSON.stringify(value);
      if (Buffer.isBuffer(value)) return JSON.stringify(value.toString("base64"));
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined || typeof v === "function") continue;
        parts.push(`${JSON.stringify(k)}:${stringifyJson(v)}`);
      }
      return `{${parts.join(",")}}`;
    }
    default:
      return "null";
  }
}

// ---------------------------------------------------------------------------------------------
// Errors, shared by the JSON-family codecs

/** The model's shape for an error, when it has one. */
export function errorShapeName(model: ServiceModel, error: WireError): string | undefined {
  if (error.shapeName && model.shapes[error.shapeName]?.type === "structure") return error.shapeName;
  const byCode = model.shapes[error.code];
  return byCode?.type === "structure" && byCode.exception ? error.code : undefined;
}

/**
 * The error document: the modeled fields, and the message under the error shape's own message
 * member name when it has one ("Message" in some models), else under "message".
 */
export function errorFields(
  model: ServiceModel,
  shapeName: string | undefined,
  error: WireError,
  fields: Record<string, unknown> | undefined,
  write: (model: ServiceModel, shapeName: string, value: Record<string, unknown>) => Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let messageKey = "message";
  if (shapeName) {
    const members = shapeOf(model, shapeName).members ?? {};
    const messageMember = Object.keys(members).find((n) => n.toLowerCase() === "message");
    if (messageMember) messageKey = members[messageMember]!.locationName ?? messageMember;
    if (fields) Object.assign(out, write(model, shapeName, fields));
  }
  if (out[messageKey] === undefined && error.message) out[messageKey] = error.message;
  return out;
}

/** `x-amzn-query-error: <Code>;<Sender|Receiver>`, for services that keep their query error codes. */
export function queryErrorHeader(model: ServiceModel, error: WireError): string | undefined {
  if (!model.metadata.awsQueryCompatible) return undefined;
  const shapeName = errorShapeName(model, error);
  const code = error.queryErrorCode ?? (shapeName ? model.shapes[shapeName]!.error?.code : undefined) ?? error.code;
  return `${code};${error.senderFault ? "Sender" : "Receiver"}`;
}

// ---------------------------------------------------------------------------------------------
// The awsJson codec

function contentType(model: ServiceModel): string {
  return `application/x-amz-json-${model.metadata.jsonVersion ?? "1.0"}`;
}

function respond(
  model: ServiceModel,
  status: number,
  body: unknown,
  ctx: ResponseContext,
  extra?: Record<string, string>,
): WireResponse {
  const headers: Record<string, string> = {
    ...extra,
    "content-type": contentType(model),
    "x-amzn-requestid": ctx.requestId,
  };
  const res: WireResponse = { status, headers };
  if (ctx.method !== "HEAD") res.body = stringifyJson(body);
  return res;
}

export const jsonCodec: ProtocolCodec = {
  name: "json",

  resolveOperation(model, req) {
    const target = req.headers["x-amz-target"];
    if (!target) return undefined;
    const dot = target.lastIndexOf(".");
    const prefix = dot >= 0 ? target.slice(0, dot) : "";
    const name = target.slice(dot + 1);
    const expected = model.metadata.targetPrefix;
    // A namespaced prefix may also be sent bare (CloudTrail_20131101 for com.amazonaws...CloudTrail_20131101).
    if (expected && prefix !== expected && !expected.endsWith(`.${prefix}`)) return undefined;
    return Object.hasOwn(model.operations, name) ? name : undefined;
  },

  parseInput(model, op, req) {
    const raw = parseJsonBody(requestBody(req));
    if (!op.input) return {};
    if (!isObject(raw)) throw invalid("", "a JSON object");
    const input = readJsonStructure(model, op.input.shape, raw);
    fillIdempotencyTokens(model, op.input.shape, input);
    return input;
  },

  serializeOutput(model, op, output, ctx) {
    const body = op.output ? writeJsonStructure(model, op.output.shape, output) : {};
    return respond(model, 200, body, ctx);
  },

  serializeError(model, _op, error, ctx) {
    const shapeName = errorShapeName(model, error);
    const body = { __type: error.code, ...errorFields(model, shapeName, error, error.fields, writeJsonStructure) };
    const extra: Record<string, string> = { ...error.headers };
    const queryError = queryErrorHeader(model, error);
    if (queryError) extra["x-amzn-query-error"] = queryError;
    return respond(model, error.status, body, ctx, extra);
  },
};
