/**
 * Value plumbing for the conformance runner: turning vector values (epoch numbers, plain
 * strings for blobs, "NaN" strings) into handler values (Date, Buffer, numbers), and comparing
 * what a codec or client produced with what a vector expects, shape by shape.
 */
import type { ServiceModel, Shape, ShapeRef } from "../../src/protocol/model.js";

function shapeFor(model: ServiceModel, ref: ShapeRef): Shape | undefined {
  return model.shapes[ref.shape];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Date) &&
    !(v instanceof Uint8Array) &&
    !("$bytes" in v) &&
    !("$timestamp" in v)
  );
}

const FLOAT_WORDS: Record<string, number> = { NaN: Number.NaN, Infinity: Infinity, "-Infinity": -Infinity };

/** A vector value (params/result/error) as a service handler would hold it. */
export function toHandlerValue(model: ServiceModel, ref: ShapeRef, v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  const shape = shapeFor(model, ref);
  if (!shape || shape.document) return v;
  switch (shape.type) {
    case "structure":
    case "union": {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        const member = shape.members?.[k];
        const converted = member ? toHandlerValue(model, member, item) : item;
        if (converted !== undefined) out[k] = converted;
      }
      return out;
    }
    case "list":
      return (v as unknown[]).map((item) => toHandlerValue(model, shape.member!, item));
    case "map": {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        const converted = toHandlerValue(model, shape.value!, item);
        if (converted !== undefined) out[k] = converted;
      }
      return out;
    }
    case "timestamp":
      return typeof v === "number" ? new Date(Math.round(v * 1000)) : v;
    case "blob":
      return typeof v === "string" ? Buffer.from(v, "utf8") : v;
    case "float":
    case "double":
      return typeof v === "string" && v in FLOAT_WORDS ? FLOAT_WORDS[v] : v;
    case "string":
      // The vectors give a jsonvalue header as JSON text; handlers hold the parsed value.
      if (ref.jsonvalue && ref.location === "header" && typeof v === "string") {
        try {
          return JSON.parse(v);
        } catch {
          return v;
        }
      }
      return v;
    default:
      return v;
  }
}

/** A leaf in a comparable form: epoch seconds, utf-8 text for blobs, "NaN" words for floats. */
function normalizeLeaf(shape: Shape | undefined, ref: ShapeRef | undefined, v: unknown): unknown {
  if (v !== null && typeof v === "object" && "$bytes" in v) v = Buffer.from(String(v.$bytes), "base64");
  if (v !== null && typeof v === "object" && "$timestamp" in v) v = Number(v.$timestamp);
  if (!shape) return v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : v;
  switch (shape.type) {
    case "timestamp": {
      let seconds: number;
      if (v instanceof Date) seconds = v.getTime() / 1000;
      else if (typeof v === "number") seconds = v;
      else if (typeof v === "string") seconds = new Date(v).getTime() / 1000;
      else return v;
      return Math.round(seconds * 1000) / 1000;
    }
    case "blob":
      return v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : v;
    case "float":
    case "double": {
      if (typeof v === "string" && v in FLOAT_WORDS) v = FLOAT_WORDS[v];
      if (typeof v !== "number") return v;
      if (Number.isNaN(v)) return "NaN";
      if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
      // A float may have travelled as a 32-bit value: compare at that precision.
      return shape.type === "float" ? Number(v.toPrecision(7)) : v;
    }
    case "integer":
    case "long":
    case "short":
    case "byte":
      if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : `bigint:${v}`;
      return v;
    case "string":
      if (ref?.jsonvalue && typeof v === "string") {
        try {
          return JSON.parse(v);
        } catch {
          return v;
        }
      }
      return v;
    default:
      return v;
  }
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isPlainObject(v) && Object.keys(v).length === 0;
}

function show(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return `Buffer(${JSON.stringify(v.toString("utf8"))})`;
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? `${x}n` : x)) ?? String(v);
  } catch {
    return String(v);
  }
}

export interface CompareOptions {
  /** Treat an absent structure member and an empty list/map/structure as the same. */
  absentIsEmpty: boolean;
  /**
   * Treat an absent blob member and an empty one as the same: a client reads a blob payload
   * from an empty body as empty bytes, while the vector's result leaves the member out.
   */
  emptyBlobIsAbsent?: boolean;
}

function isEmptyBlob(model: ServiceModel, member: ShapeRef | undefined, v: unknown): boolean {
  if (!member || shapeFor(model, member)?.type !== "blob") return false;
  const leaf = normalizeLeaf(shapeFor(model, member), member, v);
  return leaf === "";
}

/**
 * Compare `actual` with `expected` as values of the shape `ref` points at (or as plain data
 * when `ref` is undefined), appending a line per difference to `out`.
 */
export function compareValues(
  model: ServiceModel,
  ref: ShapeRef | undefined,
  expected: unknown,
  actual: unknown,
  path: string,
  out: string[],
  opts: CompareOptions,
): void {
  const found = ref ? shapeFor(model, ref) : undefined;
  // Documents are plain data.
  const shape = found?.document ? undefined : found;
  if (shape && (shape.type === "structure" || shape.type === "union") && isPlainObject(expected) && isPlainObject(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const k of keys) {
      const e = expected[k];
      const a = actual[k];
      const member = shape.members?.[k];
      const blobGap = (v: unknown) => opts.emptyBlobIsAbsent === true && isEmptyBlob(model, member, v);
      if (e === undefined || e === null) {
        if (a !== undefined && a !== null && !(opts.absentIsEmpty && isEmpty(a)) && !blobGap(a)) {
          out.push(`${path}.${k}: unexpected ${show(a)}`);
        }
        continue;
      }
      if (a === undefined || a === null) {
        if (!(opts.absentIsEmpty && isEmpty(e)) && !blobGap(e)) out.push(`${path}.${k}: missing (expected ${show(e)})`);
        continue;
      }
      compareValues(model, member, e, a, `${path}.${k}`, out, opts);
    }
    return;
  }
  if (shape?.type === "map" && isPlainObject(expected) && isPlainObject(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const k of keys) {
      const e = expected[k];
      const a = actual[k];
      if ((e === undefined || e === null) && (a === undefined || a === null)) continue;
      if (e === undefined || e === null) out.push(`${path}[${k}]: unexpected ${show(a)}`);
      else if (a === undefined || a === null) out.push(`${path}[${k}]: missing (expected ${show(e)})`);
      else compareValues(model, shape.value, e, a, `${path}[${k}]`, out, opts);
    }
    return;
  }
  if (shape?.type === "list" && Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) {
      out.push(`${path}: expected ${show(expected)}, got ${show(actual)}`);
      return;
    }
    expected.forEach((e, i) => compareValues(model, shape.member, e, actual[i], `${path}[${i}]`, out, opts));
    return;
  }
  if (!shape || shape.type === "document") {
    // Plain data: documents, or members the model does not know.
    const e = normalizeLeaf(undefined, undefined, expected);
    const a = normalizeLeaf(undefined, undefined, actual);
    if (Array.isArray(e) && Array.isArray(a)) {
      if (e.length !== a.length) out.push(`${path}: expected ${show(e)}, got ${show(a)}`);
      else e.forEach((x, i) => compareValues(model, undefined, x, a[i], `${path}[${i}]`, out, opts));
      return;
    }
    if (isPlainObject(e) && isPlainObject(a)) {
      const keys = new Set([...Object.keys(e), ...Object.keys(a)]);
      for (const k of keys) compareValues(model, undefined, e[k], a[k], `${path}.${k}`, out, opts);
      return;
    }
    if (!Object.is(e, a)) out.push(`${path}: expected ${show(e)}, got ${show(a)}`);
    return;
  }
  const e = normalizeLeaf(shape, ref, expected);
  const a = normalizeLeaf(shape, ref, actual);
  if (isPlainObject(e) || Array.isArray(e)) {
    compareValues(model, undefined, e, a, path, out, opts);
    return;
  }
  if (!Object.is(e, a)) out.push(`${path}: expected ${show(e)}, got ${show(a)}`);
}
