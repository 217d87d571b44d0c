/**
 * The Smithy RPC v2 CBOR codec: `POST /service/<ServiceName>/operation/<Operation>` with header
 * `smithy-protocol: rpc-v2-cbor` and CBOR bodies (via cbor-x). Timestamps are tag 1 + epoch
 * seconds, blobs are byte strings, absent members are omitted, and errors carry `__type`.
 */
import { addExtension, Decoder, Encoder, Tag } from "cbor-x";
import { CommonErrors, ServiceError } from "../core/errors.js";
import type { ServiceModel, ShapeRef } from "./model.js";
import { shapeOf } from "./model.js";
import { errorFields, errorShapeName, isDocument, queryErrorHeader, requestBody } from "./json.js";
import type { ProtocolCodec, ResponseContext, WireResponse } from "./types.js";
import { fillIdempotencyTokens, setOwn, toBuffer, toDate } from "./values.js";

// ---------------------------------------------------------------------------------------------
// cbor-x setup

/**
 * A float/double that must be written as a CBOR float even when it is integral (cbor-x writes
 * integral numbers as integers, which typed clients may refuse for a double member).
 */
class CborFloat {
  constructor(readonly value: number) {}
}

interface FloatSwitch {
  alwaysUseFloat?: boolean;
}

addExtension({
  Class: CborFloat,
  // No tag: getTag answering undefined makes cbor-x write the value bare.
  tag: undefined as unknown as number,
  getTag: () => undefined,
  encode(this: FloatSwitch, value: CborFloat, encode: (v: unknown) => unknown) {
    // cbor-x reads `alwaysUseFloat` from the encoder on every number it writes.
    const previous = this.alwaysUseFloat;
    this.alwaysUseFloat = true;
    try {
      encode(value.value);
    } finally {
      this.alwaysUseFloat = previous;
    }
  },
  // Nothing to decode: the class only ever goes out.
} as unknown as Parameters<typeof addExtension>[0]);

// Plain maps with string keys; no record extension, no typed-array tags.
const encoder = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

export function encodeCbor(value: unknown): Buffer {
  return encoder.encode(value);
}

/** Decode CBOR; indefinite-length strings (which cbor-x refuses) are first made definite. */
export function decodeCbor(body: Uint8Array): unknown {
  try {
    return decoder.decode(body);
  } catch (e) {
    // cbor-x fails on indefinite-length strings (0x5f / 0x7f), with various messages.
    if (!body.includes(0x5f) && !body.includes(0x7f)) throw e;
    let rewritten: Buffer;
    try {
      rewritten = definiteStrings(body);
    } catch {
      throw e;
    }
    return decoder.decode(rewritten);
  }
}

/** Rewrite a CBOR item stream so that every indefinite-length byte/text string is definite. */
function definiteStrings(buf: Uint8Array): Buffer {
  const out: Uint8Array[] = [];
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);

  const argument = (p: number): [value: number, next: number] => {
    const ai = view[p]! & 31;
    if (ai < 24) return [ai, p + 1];
    if (ai === 24) return [view.readUInt8(p + 1), p + 2];
    if (ai === 25) return [view.readUInt16BE(p + 1), p + 3];
    if (ai === 26) return [view.readUInt32BE(p + 1), p + 5];
    if (ai === 27) return [Number(view.readBigUInt64BE(p + 1)), p + 9];
    throw new Error("malformed CBOR");
  };
  const header = (major: number, len: number): Buffer => {
    const m = major << 5;
    if (len < 24) return Buffer.from([m | len]);
    if (len < 0x100) return Buffer.from([m | 24, len]);
    if (len < 0x10000) return Buffer.from([m | 25, len >> 8, len & 0xff]);
    const b = Buffer.alloc(5);
    b[0] = m | 26;
    b.writeUInt32BE(len, 1);
    return b;
  };
  const item = (p: number): number => {
    if (p >= view.length) throw new Error("truncated CBOR");
    const ib = view[p]!;
    const major = ib >> 5;
    const ai = ib & 31;
    if ((major === 2 || major === 3) && ai === 31) {
      const chunks: Uint8Array[] = [];
      let q = p + 1;
      while (view[q] !== 0xff) {
        if (q >= view.length) throw new Error("truncated CBOR");
        const [len, start] = argument(q);
        chunks.push(view.subarray(start, start + len));
        q = start + len;
      }
      const joined = Buffer.concat(chunks);
      out.push(header(major, joined.length), joined);
      return q + 1;
    }
    if ((major === 4 || major === 5) && ai === 31) {
      out.push(view.subarray(p, p + 1));
      let q = p + 1;
      while (view[q] !== 0xff) {
        if (q >= view.length) throw new Error("truncated CBOR");
        q = item(q);
      }
      out.push(view.subarray(q, q + 1));
      return q + 1;
    }
    if (major === 7) {
      const size = ai < 24 ? 1 : ai === 24 ? 2 : ai === 25 ? 3 : ai === 26 ? 5 : ai === 27 ? 9 : 1;
      out.push(view.subarray(p, p + size));
      return p + size;
    }
    const [n, next] = argument(p);
    out.push(view.subarray(p, next));
    if (major === 2 || major === 3) {
      out.push(view.subarray(next, next + n));
      return next + n;
    }
    let q = next;
    const count = major === 4 ? n : major === 5 ? 2 * n : major === 6 ? 1 : 0;
    for (let i = 0; i < count; i++) q = item(q);
    return q;
  };

  let p = 0;
  while (p < view.length) p = item(p);
  return Buffer.concat(out);
}

// ---------------------------------------------------------------------------------------------
// Reading: decoded CBOR -> handler values

function invalid(where: string, expected: string): ServiceError {
  return new ServiceError(CommonErrors.SerializationException, `Expected ${expected} for ${where || "the request body"}`);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
}

function readStructure(model: ServiceModel, shapeName: string, raw: unknown, where: string): Record<string, unknown> {
  if (!isMap(raw)) throw invalid(where, "a map");
  const out: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(shapeOf(model, shapeName).members ?? {})) {
    if (!Object.hasOwn(raw, name)) continue;
    const v = raw[name];
    if (v === null || v === undefined) continue;
    setOwn(out, name, readValue(model, ref, v, where ? `${where}.${name}` : name));
  }
  return out;
}

function readValue(model: ServiceModel, ref: ShapeRef, raw: unknown, where: string): unknown {
  const shape = shapeOf(model, ref);
  if (isDocument(shape)) return raw;
  switch (shape.type) {
    case "structure":
    case "union":
      return readStructure(model, ref.shape, raw, where);
    case "list":
      if (!Array.isArray(raw)) throw invalid(where, "a list");
      return raw.filter((v) => v !== null && v !== undefined).map((v, i) => readValue(model, shape.member!, v, `${where}[${i}]`));
    case "map": {
      if (!isMap(raw)) throw invalid(where, "a map");
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(raw)) {
        if (v !== null && v !== undefined) setOwn(out, k, readValue(model, shape.value!, v, `${where}.${k}`));
      }
      return out;
    }
    case "string":
      if (typeof raw !== "string") throw invalid(where, "a text string");
      return raw;
    case "boolean":
      if (typeof raw !== "boolean") throw invalid(where, "a boolean");
      return raw;
    case "integer":
    case "long":
    case "short":
    case "byte":
    case "biginteger":
      if (typeof raw === "bigint") return Number(raw);
      if (typeof raw !== "number" || !Number.isInteger(raw)) throw invalid(where, "an integer");
      return raw;
    case "float":
    case "double":
    case "bigdecimal":
      if (typeof raw === "bigint") return Number(raw);
      if (typeof raw !== "number") throw invalid(where, "a number");
      return raw;
    case "timestamp":
      if (raw instanceof Date) return raw;
      if (typeof raw === "number") return new Date(raw * 1000);
      if (raw instanceof Tag && typeof raw.value === "number") return new Date(raw.value * 1000);
      throw invalid(where, "a timestamp");
    case "blob":
      if (raw instanceof Uint8Array) return Buffer.from(raw);
      throw invalid(where, "a byte string");
    default:
      return raw;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing: handler values -> a tree cbor-x encodes as the protocol wants

function writeStructure(model: ServiceModel, shapeName: string, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(shapeOf(model, shapeName).members ?? {})) {
    const v = value[name];
    if (v === undefined || v === null) continue;
    setOwn(out, name, writeValue(model, ref, v));
  }
  return out;
}

function writeValue(model: ServiceModel, ref: ShapeRef, value: unknown): unknown {
  const shape = shapeOf(model, ref);
  if (isDocument(shape)) return value;
  switch (shape.type) {
    case "structure":
    case "union":
      return writeStructure(model, ref.shape, value as Record<string, unknown>);
    case "list":
      return (value as unknown[]).filter((v) => v !== undefined && v !== null).map((v) => writeValue(model, shape.member!, v));
    case "map": {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v !== undefined && v !== null) setOwn(out, k, writeValue(model, shape.value!, v));
      }
      return out;
    }
    case "timestamp":
      return new Tag(toDate(value).getTime() / 1000, 1);
    case "blob":
      return toBuffer(value);
    case "float":
    case "double":
    case "bigdecimal":
      return new CborFloat(typeof value === "number" ? value : Number(value));
    case "integer":
    case "long":
    case "short":
    case "byte":
    case "biginteger": {
      if (typeof value === "bigint") return value;
      const n = Number(value);
      // cbor-x writes integers past 32 bits as floats; a bigint keeps them integers.
      return Number.isInteger(n) && Math.abs(n) >= 2 ** 32 ? BigInt(n) : n;
    }
    case "boolean":
      return value === true || value === "true";
    case "string":
      return String(value);
    default:
      return value;
  }
}

// ---------------------------------------------------------------------------------------------
// The codec

const OPERATION_PATH = /\/service\/([^/]+)\/operation\/([^/]+)$/;

function respond(
  status: number,
  body: Record<string, unknown> | undefined,
  ctx: ResponseContext,
  extra?: Record<string, string>,
): WireResponse {
  const headers: Record<string, string> = { ...extra, "smithy-protocol": "rpc-v2-cbor", "x-amzn-requestid": ctx.requestId };
  const res: WireResponse = { status, headers };
  // No body (and so no Content-Type) for an operation without output.
  if (body !== undefined) {
    headers["content-type"] = "application/cbor";
    if (ctx.method !== "HEAD") res.body = encodeCbor(body);
  }
  return res;
}

export const cborCodec: ProtocolCodec = {
  name: "smithy-rpc-v2-cbor",

  resolveOperation(model, req) {
    // The service segment is the Smithy service's shape name, which these models do not always
    // carry, so any service name is accepted; the operation must exist.
    const m = OPERATION_PATH.exec(req.path);
    if (!m) return undefined;
    let name: string;
    try {
      name = decodeURIComponent(m[2]!);
    } catch {
      return undefined;
    }
    return Object.hasOwn(model.operations, name) ? name : undefined;
  },

  parseInput(model, op, req) {
    if (!op.input) return {};
    let raw: unknown = {};
    const body = requestBody(req);
    if (body.length > 0) {
      try {
        raw = decodeCbor(body);
      } catch {
        throw new ServiceError(CommonErrors.SerializationException, "Could not parse the request body as CBOR.");
      }
    }
    const input = readStructure(model, op.input.shape, raw, "");
    fillIdempotencyTokens(model, op.input.shape, input);
    return input;
  },

  serializeOutput(model, op, output, ctx) {
    return respond(200, op.output ? writeStructure(model, op.output.shape, output) : undefined, ctx);
  },

  serializeError(model, _op, error, ctx) {
    const shapeName = errorShapeName(model, error);
    const body = { __type: error.code, ...errorFields(model, shapeName, error, error.fields, writeStructure) };
    const extra: Record<string, string> = { ...error.headers };
    const queryError = queryErrorHeader(model, error);
    if (queryError) extra["x-amzn-query-error"] = queryError;
    return respond(error.status, body, ctx, extra);
  },
};
