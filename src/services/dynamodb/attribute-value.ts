/**
 * The AttributeValue model: the ten DynamoDB data types, their validation as requests carry
 * them, equality, and the orderings DynamoDB uses for keys and comparisons.
 *
 * Binary values are Buffers. On the wire (JSON 1.0) B and BS members are base64 strings, but the
 * protocol layer decodes every blob member of the AttributeValue shape, recursively through M
 * and L, before a handler runs, and encodes them back on the way out. So the engine only ever
 * sees raw bytes: sizes, prefixes and orderings are over the real bytes, as AWS computes them.
 * `validateAttributeValue` also accepts Uint8Array (and, for convenience in tests and in code
 * that builds values by hand, nothing else): it copies into Buffers.
 *
 * Validated values are normalised the way DynamoDB stores them: numbers in canonical form
 * ("1.50" → "1.5"), `NULL: false` read as `NULL: true` (AWS now accepts and normalises it).
 */
import { INVALID_PARAMETER_VALUES, validationError } from "./errors.js";
import { DynamoNumber } from "./number.js";

export type ScalarType = "S" | "N" | "B";
export type SetType = "SS" | "NS" | "BS";
export type AttributeType = ScalarType | "BOOL" | "NULL" | "M" | "L" | SetType;

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: Buffer }
  | { BOOL: boolean }
  | { NULL: true }
  | { M: AttributeMap }
  | { L: AttributeValue[] }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: Buffer[] };

/** A map of attribute names to values: an item, a key, or the contents of an M. */
export type AttributeMap = Record<string, AttributeValue>;
export type Item = AttributeMap;

export const ATTRIBUTE_TYPES: readonly AttributeType[] = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"];
const TYPE_SET: ReadonlySet<string> = new Set(ATTRIBUTE_TYPES);

/** DynamoDB nests documents at most 32 levels deep. */
export const MAX_NESTING_DEPTH = 32;

/** Names DynamoDB uses for types in ADD/DELETE operand messages ("operand type: STRING"). */
const LONG_TYPE_NAMES: Record<AttributeType, string> = {
  S: "STRING",
  N: "NUMBER",
  B: "BINARY",
  BOOL: "BOOLEAN",
  NULL: "NULL",
  M: "MAP",
  L: "LIST",
  SS: "STRING_SET",
  NS: "NUMBER_SET",
  BS: "BINARY_SET",
};

export function longTypeName(type: AttributeType): string {
  return LONG_TYPE_NAMES[type];
}

/**
 * Stores `value` under `key` as an own property. Attribute names are caller data, and plain
 * assignment of "__proto__" would replace the object's prototype instead of adding an attribute.
 */
export function setAttribute(map: AttributeMap, key: string, value: AttributeValue): void {
  if (key === "__proto__") Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

/** The value's type. Assumes a validated value (exactly one member set). */
export function typeOf(value: AttributeValue): AttributeType {
  for (const key in value) {
    if ((value as Record<string, unknown>)[key] !== undefined && TYPE_SET.has(key)) return key as AttributeType;
  }
  throw new TypeError("not an AttributeValue");
}

export function isSetType(type: AttributeType): type is SetType {
  return type === "SS" || type === "NS" || type === "BS";
}

/** Element type of a set type (SS → S). */
export function setElementType(type: SetType): ScalarType {
  return type[0] as ScalarType;
}

// ---------------------------------------------------------------------------------------------
// Validation

const EMPTY_SET_MESSAGES: Record<SetType, string> = {
  // AWS's wording, including the article and the doubled space where it names the type.
  SS: `${INVALID_PARAMETER_VALUES}An string set  may not be empty`,
  NS: `${INVALID_PARAMETER_VALUES}An number set  may not be empty`,
  BS: `${INVALID_PARAMETER_VALUES}Binary sets should not be empty`,
};

const NESTING_MESSAGE =
  "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";

function isBinary(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

function toBuffer(v: Uint8Array): Buffer {
  return Buffer.isBuffer(v) ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function typeMismatch(): never {
  // The protocol layer rejects wrongly-typed JSON members first; this is the engine's guard for
  // values built in code. AWS's own answer for a malformed member is a SerializationException,
  // which is the protocol layer's to give.
  throw validationError("Supplied AttributeValue has an invalid datatype");
}

/**
 * Validates one AttributeValue as it arrives in a request and returns it normalised (numbers
 * canonical, binaries as Buffers). Throws ValidationException in AWS's words.
 */
export function validateAttributeValue(raw: unknown, depth = 1): AttributeValue {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw validationError("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  }
  const present = Object.keys(raw).filter((k) => (raw as Record<string, unknown>)[k] !== undefined && TYPE_SET.has(k));
  if (present.length === 0) {
    throw validationError("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  }
  if (present.length > 1) {
    throw validationError(
      "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
    );
  }
  const type = present[0] as AttributeType;
  const v = (raw as Record<string, unknown>)[type];
  switch (type) {
    case "S":
      if (typeof v !== "string") typeMismatch();
      return { S: v };
    case "N":
      if (typeof v !== "string") typeMismatch();
      return { N: DynamoNumber.parse(v).toString() };
    case "B":
      if (!isBinary(v)) typeMismatch();
      return { B: toBuffer(v) };
    case "BOOL":
      if (typeof v !== "boolean") typeMismatch();
      return { BOOL: v };
    case "NULL":
      if (typeof v !== "boolean") typeMismatch();
      return { NULL: true };
    case "M": {
      if (v === null || typeof v !== "object" || Array.isArray(v)) typeMismatch();
      if (depth > MAX_NESTING_DEPTH) throw validationError(NESTING_MESSAGE);
      const out: AttributeMap = {};
      for (const [name, member] of Object.entries(v as Record<string, unknown>)) {
        setAttribute(out, name, validateAttributeValue(member, depth + 1));
      }
      return { M: out };
    }
    case "L":
      if (!Array.isArray(v)) typeMismatch();
      if (depth > MAX_NESTING_DEPTH) throw validationError(NESTING_MESSAGE);
      return { L: v.map((member) => validateAttributeValue(member, depth + 1)) };
    case "SS":
    case "NS":
    case "BS":
      return validateSet(type, v);
  }
}

function validateSet(type: SetType, v: unknown): AttributeValue {
  if (!Array.isArray(v)) typeMismatch();
  if (v.length === 0) throw validationError(EMPTY_SET_MESSAGES[type]);
  if (type === "SS") {
    if (!v.every((s) => typeof s === "string")) typeMismatch();
    const strings = v as string[];
    if (new Set(strings).size !== strings.length) throw duplicates(strings);
    return { SS: [...strings] };
  }
  if (type === "NS") {
    if (!v.every((s) => typeof s === "string")) typeMismatch();
    // Members are compared as numbers: "1" and "1.0" are the same member.
    const canonical = (v as string[]).map((s) => DynamoNumber.parse(s).toString());
    if (new Set(canonical).size !== canonical.length) throw duplicates(v as string[]);
    return { NS: canonical };
  }
  if (!v.every(isBinary)) typeMismatch();
  const buffers = (v as Uint8Array[]).map(toBuffer);
  const seen = new Set(buffers.map((b) => b.toString("base64")));
  if (seen.size !== buffers.length) throw duplicates(buffers.map((b) => b.toString("base64")));
  return { BS: buffers };
}

function duplicates(members: string[]): Error {
  return validationError(`${INVALID_PARAMETER_VALUES}Input collection [${members.join(", ")}] contains duplicates.`);
}

/** Validates every attribute of an item (or key) and returns the normalised copy. */
export function validateItem(raw: unknown): Item {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return {};
  const out: Item = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === undefined) continue;
    setAttribute(out, name, validateAttributeValue(value));
  }
  return out;
}

export type KeyRole = "HASH" | "RANGE";

/** Largest partition key value, in bytes. */
export const MAX_PARTITION_KEY_BYTES = 2048;
/** Largest sort key value, in bytes. */
export const MAX_SORT_KEY_BYTES = 1024;

/**
 * Checks one key attribute's value against the key schema: its type, emptiness and size, with
 * AWS's messages (note the "are not valid." family for empty keys and the missing space in
 * "limit of2048 bytes", both as AWS words them).
 */
export function checkKeyValue(name: string, value: AttributeValue, role: KeyRole, expected?: ScalarType): void {
  const type = typeOf(value);
  if (expected !== undefined && type !== expected) {
    throw validationError(`${INVALID_PARAMETER_VALUES}Type mismatch for key ${name} expected: ${expected} actual: ${type}`);
  }
  if ("S" in value && value.S.length === 0) {
    throw validationError(
      `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${name}`,
    );
  }
  if ("B" in value && value.B.length === 0) {
    throw validationError(
      `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: ${name}`,
    );
  }
  const bytes = "S" in value ? Buffer.byteLength(value.S, "utf8") : "B" in value ? value.B.length : 0;
  if (role === "HASH" && bytes > MAX_PARTITION_KEY_BYTES) {
    throw validationError(
      `${INVALID_PARAMETER_VALUES}Size of hashkey has exceeded the maximum size limit of${MAX_PARTITION_KEY_BYTES} bytes`,
    );
  }
  if (role === "RANGE" && bytes > MAX_SORT_KEY_BYTES) {
    throw validationError(
      `${INVALID_PARAMETER_VALUES}Aggregated size of all range keys has exceeded the size limit of ${MAX_SORT_KEY_BYTES} bytes`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Equality and ordering

/**
 * Orders strings as DynamoDB does: by their UTF-8 bytes, which is code point order. JavaScript's
 * `<` compares UTF-16 code units and so puts U+10000.. (surrogate pairs) before U+E000..U+FFFF;
 * comparing code points fixes that without encoding.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    // A surrogate (part of a code point above U+FFFF) sorts after every BMP unit above it.
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

export function compareBinary(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/**
 * Compares two scalar values of the same orderable type (S, N or B); answers undefined when the
 * values are of different types or of a type DynamoDB does not order.
 */
export function compareAttributeValues(a: AttributeValue, b: AttributeValue): number | undefined {
  if ("S" in a && "S" in b) return compareStrings(a.S, b.S);
  if ("N" in a && "N" in b) return DynamoNumber.parseUnchecked(a.N).compare(DynamoNumber.parseUnchecked(b.N));
  if ("B" in a && "B" in b) return compareBinary(a.B, b.B);
  return undefined;
}

/** Orders key values (S by UTF-8 bytes, N numerically, B bytewise). Both must share a type. */
export function compareKeyValues(a: AttributeValue, b: AttributeValue): number {
  const c = compareAttributeValues(a, b);
  if (c === undefined) throw new TypeError("key values of different or unorderable types");
  return c;
}

function numbersEqual(a: string, b: string): boolean {
  return a === b || DynamoNumber.parseUnchecked(a).equals(DynamoNumber.parseUnchecked(b));
}

/** Deep equality: numbers numerically, sets regardless of order, maps regardless of key order. */
export function attributeValuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  if ("S" in a) return "S" in b && a.S === b.S;
  if ("N" in a) return "N" in b && numbersEqual(a.N, b.N);
  if ("B" in a) return "B" in b && a.B.equals(b.B);
  if ("BOOL" in a) return "BOOL" in b && a.BOOL === b.BOOL;
  if ("NULL" in a) return "NULL" in b;
  if ("M" in a) {
    if (!("M" in b)) return false;
    const ka = Object.keys(a.M);
    if (ka.length !== Object.keys(b.M).length) return false;
    return ka.every((k) => {
      const other = b.M[k];
      return other !== undefined && attributeValuesEqual(a.M[k]!, other);
    });
  }
  if ("L" in a) {
    return "L" in b && a.L.length === b.L.length && a.L.every((v, i) => attributeValuesEqual(v, b.L[i]!));
  }
  if ("SS" in a) {
    if (!("SS" in b) || a.SS.length !== b.SS.length) return false;
    const members = new Set(b.SS);
    return a.SS.every((s) => members.has(s));
  }
  if ("NS" in a) {
    if (!("NS" in b) || a.NS.length !== b.NS.length) return false;
    return a.NS.every((x) => b.NS.some((y) => numbersEqual(x, y)));
  }
  if (!("BS" in b) || a.BS.length !== b.BS.length) return false;
  return a.BS.every((x) => b.BS.some((y) => x.equals(y)));
}

/** Whether a set contains a scalar of its element type (numbers compared numerically). */
export function setContains(set: AttributeValue, member: AttributeValue): boolean {
  if ("SS" in set) return "S" in member && set.SS.includes(member.S);
  if ("NS" in set) return "N" in member && set.NS.some((n) => numbersEqual(n, member.N));
  if ("BS" in set) return "B" in member && set.BS.some((b) => b.equals(member.B));
  return false;
}

// ---------------------------------------------------------------------------------------------
// Copies and rendering

/** Deep copy, so an update can never alter the stored item it started from. */
export function cloneAttributeValue(value: AttributeValue): AttributeValue {
  if ("M" in value) return { M: cloneItem(value.M) };
  if ("L" in value) return { L: value.L.map(cloneAttributeValue) };
  if ("SS" in value) return { SS: [...value.SS] };
  if ("NS" in value) return { NS: [...value.NS] };
  if ("BS" in value) return { BS: value.BS.map((b) => Buffer.from(b)) };
  if ("B" in value) return { B: Buffer.from(value.B) };
  return { ...value };
}

export function cloneItem(item: AttributeMap): AttributeMap {
  const out: AttributeMap = {};
  for (const [k, v] of Object.entries(item)) setAttribute(out, k, cloneAttributeValue(v));
  return out;
}

/**
 * Renders a value the way DynamoDB quotes operands in messages ("AttributeValue: {N:5}"). Only
 * scalars appear in those messages in practice; documents get a compact JSON-ish rendering.
 */
export function describeAttributeValue(value: AttributeValue): string {
  const type = typeOf(value);
  let body: string;
  if ("B" in value) body = value.B.toString("base64");
  else if ("BS" in value) body = `[${value.BS.map((b) => b.toString("base64")).join(", ")}]`;
  else if ("SS" in value) body = `[${value.SS.join(", ")}]`;
  else if ("NS" in value) body = `[${value.NS.join(", ")}]`;
  else if ("S" in value) body = value.S;
  else if ("N" in value) body = value.N;
  else if ("BOOL" in value) body = String(value.BOOL);
  else if ("NULL" in value) body = "true";
  else if ("L" in value) body = `[${value.L.map(describeAttributeValue).join(", ")}]`;
  else body = `{${Object.entries(value.M).map(([k, v]) => `${k}=${describeAttributeValue(v)}`).join(", ")}}`;
  return `AttributeValue: {${type}:${body}}`;
}
