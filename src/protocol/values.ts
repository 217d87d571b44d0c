/** Conversions between wire scalars and the values handlers see (see types.ts). */
import { randomUUID } from "node:crypto";
import type { TimestampFormat } from "./model.js";

export function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === "number") return new Date(value * 1000);
  if (typeof value === "string") {
    if (/^-?\d+(\.\d+)?$/.test(value)) return new Date(Number(value) * 1000);
    return new Date(value);
  }
  throw new TypeError(`not a timestamp: ${String(value)}`);
}

/** ISO 8601 in UTC, with milliseconds only when there are any (as AWS writes them). */
export function formatIso8601(d: Date): string {
  const iso = d.toISOString();
  return iso.endsWith(".000Z") ? iso.slice(0, -5) + "Z" : iso;
}

export function formatTimestamp(value: unknown, format: TimestampFormat): string | number {
  const d = toDate(value);
  switch (format) {
    case "iso8601":
      return formatIso8601(d);
    case "rfc822":
      return d.toUTCString();
    case "unixTimestamp":
      return d.getTime() / 1000;
  }
}

/** Parse a timestamp written in any of the three formats (servers are liberal). */
export function parseTimestamp(raw: string | number, format?: TimestampFormat): Date {
  if (typeof raw === "number") return new Date(raw * 1000);
  const s = raw.trim();
  if (format === "unixTimestamp" || /^-?\d+(\.\d+)?$/.test(s)) return new Date(Number(s) * 1000);
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new TypeError(`invalid timestamp: ${raw}`);
  return d;
}

export function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === "string") return Buffer.from(value, "utf8");
  throw new TypeError("not a blob");
}

/** Float values on the wire may be the strings NaN / Infinity / -Infinity. */
export function parseFloatValue(raw: string | number): number {
  if (typeof raw === "number") return raw;
  if (raw === "NaN") return Number.NaN;
  if (raw === "Infinity") return Number.POSITIVE_INFINITY;
  if (raw === "-Infinity") return Number.NEGATIVE_INFINITY;
  return Number(raw);
}

export function formatFloatValue(n: number): string | number {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "Infinity";
  if (n === Number.NEGATIVE_INFINITY) return "-Infinity";
  return n;
}

/**
 * Set an own property, even for the key "__proto__" (which plain assignment would turn into a
 * prototype change); map keys and member names come from the wire.
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/**
 * Give every absent top-level `idempotencyToken` member of an input a fresh UUID, as SDKs do
 * when the caller passes none; handlers may then rely on the token being there.
 */
export function fillIdempotencyTokens(
  model: { shapes: Record<string, { members?: Record<string, { idempotencyToken?: boolean }> }> },
  shapeName: string,
  input: Record<string, unknown>,
): void {
  let byShape = tokenMembers.get(model);
  if (!byShape) tokenMembers.set(model, (byShape = new Map()));
  let names = byShape.get(shapeName);
  if (!names) {
    names = Object.entries(model.shapes[shapeName]?.members ?? {})
      .filter(([, ref]) => ref.idempotencyToken)
      .map(([name]) => name);
    byShape.set(shapeName, names);
  }
  for (const name of names) if (input[name] === undefined) input[name] = randomUUID();
}

/** Each input shape's idempotency-token members, by model (few shapes have any). */
const tokenMembers = new WeakMap<object, Map<string, string[]>>();
