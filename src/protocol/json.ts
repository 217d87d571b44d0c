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
  if (body.length === 0) return {};
  const text = body.toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    if (text.trim() === "") return {};
    throw new ServiceError(CommonErrors.SerializationException, "Could not parse the request body as JSON.");
  }
}

// Readers and writers are compiled once per shape (and member reference) of a model, so a request
// walks its own values and precomputed member lists, not the model. Recursive shapes (DynamoDB's
// AttributeValue) compile lazily, on first use of the inner reference.

/**
 * A value of the wrong JSON type. Thrown by the compiled readers with the value's path relative to
 * where it was found; each enclosing level prepends its own segment, so no path is built for the
 * values that are well-formed.
 */
class WrongType {
  constructor(
    readonly expected: string,
    public path: string,
  ) {}
}

/** `segment` followed by `rest` as AWS writes paths: `a.b`, `a[0]`, `a[0].b`. */
function joinPath(segment: string, rest: string): string {
  if (rest === "") return segment;
  if (segment === "") return rest;
  return rest.charCodeAt(0) === 0x5b /* [ */ ? segment + rest : segment + "." + rest;
}

function within(e: unknown, segment: string): unknown {
  if (e instanceof WrongType) e.path = joinPath(segment, e.path);
  return e;
}

function toServiceError(e: unknown, where: string): unknown {
  if (!(e instanceof WrongType)) return e;
  return invalid(joinPath(where, e.path), e.expected);
}

type Reader = (raw: unknown) => unknown;
type StructureReader = (raw: unknown) => Record<string, unknown>;

interface MemberReader {
  name: string;
  key: string;
  ref: ShapeRef;
  read: Reader | undefined;
}

const structureReaders = new WeakMap<ServiceModel, Map<string, StructureReader>>();
const valueReaders = new WeakMap<ShapeRef, Reader>();

function compiledStructureReader(model: ServiceModel, shapeName: string): StructureReader {
  let byShape = structureReaders.get(model);
  if (!byShape) structureReaders.set(model, (byShape = new Map()));
  let reader = byShape.get(shapeName);
  if (reader) return reader;
  const shape = shapeOf(model, shapeName);
  const members: MemberReader[] = Object.entries(shape.members ?? {}).map(([name, ref]) => ({
    name,
    key: ref.locationName ?? name,
    ref,
    read: undefined,
  }));
  reader = (raw) => {
    if (!isObject(raw)) throw new WrongType("an object", "");
    const out: Record<string, unknown> = {};
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      const v = raw[m.key];
      if (v === null || v === undefined || !Object.hasOwn(raw, m.key)) continue;
      const read = (m.read ??= compiledValueReader(model, m.ref));
      try {
        setOwn(out, m.name, read(v));
      } catch (e) {
        throw within(e, m.key);
      }
    }
    return out;
  };
  byShape.set(shapeName, reader);
  return reader;
}

function compiledValueReader(model: ServiceModel, ref: ShapeRef): Reader {
  let reader = valueReaders.get(ref);
  if (reader) return reader;
  reader = compileValueReader(model, ref);
  valueReaders.set(ref, reader);
  return reader;
}

const identity: Reader = (raw) => raw;

function compileValueReader(model: ServiceModel, ref: ShapeRef): Reader {
  const shape = shapeOf(model, ref);
  if (isDocument(shape)) return identity;
  switch (shape.type) {
    case "structure":
    case "union": {
      let structure: StructureReader | undefined;
      return (raw) => (structure ??= compiledStructureReader(model, ref.shape))(raw);
    }
    case "list": {
      const memberRef = shape.member!;
      let member: Reader | undefined;
      return (raw) => {
        if (!Array.isArray(raw)) throw new WrongType("a list", "");
        const read = (member ??= compiledValueReader(model, memberRef));
        const out: unknown[] = [];
        for (let i = 0; i < raw.length; i++) {
          const v: unknown = raw[i];
          if (v === null) continue;
          try {
            out.push(read(v));
          } catch (e) {
            // The index counts the members kept (nulls are dropped first).
            throw within(e, `[${out.length}]`);
          }
        }
        return out;
      };
    }
    case "map": {
      const valueRef = shape.value!;
      let value: Reader | undefined;
      return (raw) => {
        if (!isObject(raw)) throw new WrongType("a map", "");
        const read = (value ??= compiledValueReader(model, valueRef));
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(raw)) {
          const v = raw[k];
          if (v === null) continue;
          try {
            setOwn(out, k, read(v));
          } catch (e) {
            throw within(e, k);
          }
        }
        return out;
      };
    }
    case "string":
      return (raw) => {
        if (typeof raw !== "string") throw new WrongType("a string", "");
        return raw;
      };
    case "boolean":
      return (raw) => {
        if (typeof raw !== "boolean") throw new WrongType("a boolean", "");
        return raw;
      };
    case "integer":
    case "long":
    case "short":
    case "byte":
    case "biginteger":
      return (raw) => {
        if (typeof raw !== "number" || !Number.isInteger(raw)) throw new WrongType("an integer", "");
        return raw;
      };
    case "float":
    case "double":
    case "bigdecimal":
      return (raw) => {
        if (typeof raw === "number") return raw;
        if (raw === "NaN" || raw === "Infinity" || raw === "-Infinity") return parseFloatValue(raw);
        throw new WrongType("a number", "");
      };
    case "timestamp": {
      const format = timestampFormat(ref, shape);
      return (raw) => {
        if (typeof raw !== "number" && typeof raw !== "string") throw new WrongType("a timestamp", "");
        try {
          return parseTimestamp(raw, typeof raw === "string" ? format : undefined);
        } catch {
          throw new WrongType("a timestamp", "");
        }
      };
    }
    case "blob":
      return (raw) => {
        if (typeof raw !== "string") throw new WrongType("a base64-encoded string", "");
        return Buffer.from(raw, "base64");
      };
    default:
      return identity;
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
  try {
    if (!only) return compiledStructureReader(model, shapeName)(raw);
    if (!isObject(raw)) throw new WrongType("an object", "");
    const out: Record<string, unknown> = {};
    for (const [name, ref] of Object.entries(shapeOf(model, shapeName).members ?? {})) {
      if (!only.has(name)) continue;
      const key = ref.locationName ?? name;
      if (!Object.hasOwn(raw, key)) continue;
      const v = raw[key];
      if (v === null || v === undefined) continue;
      try {
        setOwn(out, name, compiledValueReader(model, ref)(v));
      } catch (e) {
        throw within(e, key);
      }
    }
    return out;
  } catch (e) {
    throw toServiceError(e, where);
  }
}

/** Read one value of the shape `ref` points at. */
export function readJsonValue(model: ServiceModel, ref: ShapeRef, raw: unknown, where: string): unknown {
  try {
    return compiledValueReader(model, ref)(raw);
  } catch (e) {
    throw toServiceError(e, where);
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

/**
 * Set by the writers when the tree they build holds something `JSON.stringify` would not write
 * as `stringifyJson` does: a bigint (a long past 2^53), or a document's or an unmodeled value
 * passed through as is (which may hold Buffers or bigints). See `jsonText`.
 */
let exotic = false;

type Writer = (value: unknown) => unknown;
type StructureWriter = (value: Record<string, unknown>) => Record<string, unknown>;

interface MemberWriter {
  name: string;
  key: string;
  ref: ShapeRef;
  write: Writer | undefined;
}

const structureWriters = new WeakMap<ServiceModel, Map<string, StructureWriter>>();
const valueWriters = new WeakMap<ShapeRef, Writer>();

function compiledStructureWriter(model: ServiceModel, shapeName: string): StructureWriter {
  let byShape = structureWriters.get(model);
  if (!byShape) structureWriters.set(model, (byShape = new Map()));
  let writer = byShape.get(shapeName);
  if (writer) return writer;
  const shape = shapeOf(model, shapeName);
  const members: MemberWriter[] = Object.entries(shape.members ?? {}).map(([name, ref]) => ({
    name,
    key: ref.locationName ?? name,
    ref,
    write: undefined,
  }));
  writer = (value) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      const v = value[m.name];
      if (v === undefined || v === null) continue;
      setOwn(out, m.key, (m.write ??= compiledValueWriter(model, m.ref))(v));
    }
    return out;
  };
  byShape.set(shapeName, writer);
  return writer;
}

function compiledValueWriter(model: ServiceModel, ref: ShapeRef): Writer {
  let writer = valueWriters.get(ref);
  if (writer) return writer;
  writer = compileValueWriter(model, ref);
  valueWriters.set(ref, writer);
  return writer;
}

const passThrough: Writer = (value) => {
  exotic = true;
  return value;
};

function compileValueWriter(model: ServiceModel, ref: ShapeRef): Writer {
  const shape = shapeOf(model, ref);
  if (isDocument(shape)) return passThrough;
  switch (shape.type) {
    case "structure":
    case "union": {
      let structure: StructureWriter | undefined;
      return (value) => (structure ??= compiledStructureWriter(model, ref.shape))(value as Record<string, unknown>);
    }
    case "list": {
      const memberRef = shape.member!;
      let member: Writer | undefined;
      return (value) => {
        const write = (member ??= compiledValueWriter(model, memberRef));
        const list = value as unknown[];
        const out: unknown[] = [];
        for (let i = 0; i < list.length; i++) {
          const v = list[i];
          if (v !== undefined && v !== null) out.push(write(v));
        }
        return out;
      };
    }
    case "map": {
      const valueRef = shape.value!;
      let member: Writer | undefined;
      return (value) => {
        const write = (member ??= compiledValueWriter(model, valueRef));
        const map = value as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(map)) {
          const v = map[k];
          if (v === undefined || v === null) continue;
          setOwn(out, k, write(v));
        }
        return out;
      };
    }
    case "timestamp": {
      const format = timestampFormat(ref, shape);
      return (value) => formatTimestamp(value, format);
    }
    case "blob":
      return (value) => toBuffer(value).toString("base64");
    case "float":
    case "double":
    case "bigdecimal":
      return (value) => formatFloatValue(typeof value === "number" ? value : Number(value));
    case "integer":
    case "long":
    case "short":
    case "byte":
    case "biginteger":
      return (value) => {
        if (typeof value === "number") return value;
        const n = toInteger(value);
        if (typeof n === "bigint") exotic = true;
        return n;
      };
    case "boolean":
      return (value) => value === true || value === "true";
    case "string":
      return (value) => (typeof value === "string" ? value : String(value));
    default:
      return passThrough;
  }
}

/** Write the members of a structure (or union) that are present in `value`. */
export function writeJsonStructure(
  model: ServiceModel,
  shapeName: string,
  value: Record<string, unknown>,
  only?: Set<string>,
): Record<string, unknown> {
  if (!only) return compiledStructureWriter(model, shapeName)(value);
  const shape = shapeOf(model, shapeName);
  const out: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    if (!only.has(name)) continue;
    const v = value[name];
    if (v === undefined || v === null) continue;
    setOwn(out, ref.locationName ?? name, compiledValueWriter(model, ref)(v));
  }
  return out;
}

export function writeJsonValue(model: ServiceModel, ref: ShapeRef, value: unknown): unknown {
  return compiledValueWriter(model, ref)(value);
}

/**
 * The JSON text of what `write` builds with the writers above: `JSON.stringify` when the tree is
 * plain JSON (the usual case, and native), `stringifyJson` when it holds bigints or values
 * passed through as is.
 */
export function jsonText(write: () => unknown): string {
  exotic = false;
  const tree = write();
  const text = exotic ? stringifyJson(tree) : JSON.stringify(tree);
  exotic = false;
  return text;
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

const contentTypes = new WeakMap<ServiceModel, string>();

function contentType(model: ServiceModel): string {
  let type = contentTypes.get(model);
  if (type === undefined) contentTypes.set(model, (type = `application/x-amz-json-${model.metadata.jsonVersion ?? "1.0"}`));
  return type;
}

/** A response whose body is what `write` builds (see `jsonText`); HEAD answers carry none. */
function respond(
  model: ServiceModel,
  status: number,
  write: () => unknown,
  ctx: ResponseContext,
  extra?: Record<string, string>,
): WireResponse {
  const headers: Record<string, string> = extra
    ? { ...extra, "content-type": contentType(model), "x-amzn-requestid": ctx.requestId }
    : { "content-type": contentType(model), "x-amzn-requestid": ctx.requestId };
  const res: WireResponse = { status, headers };
  if (ctx.method !== "HEAD") res.body = jsonText(write);
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
    const shape = op.output?.shape;
    return respond(model, 200, () => (shape ? writeJsonStructure(model, shape, output) : {}), ctx);
  },

  serializeError(model, _op, error, ctx) {
    const shapeName = errorShapeName(model, error);
    const body = () => ({ __type: error.code, ...errorFields(model, shapeName, error, error.fields, writeJsonStructure) });
    const extra: Record<string, string> = { ...error.headers };
    const queryError = queryErrorHeader(model, error);
    if (queryError) extra["x-amzn-query-error"] = queryError;
    return respond(model, error.status, body, ctx, extra);
  },
};
