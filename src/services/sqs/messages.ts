/**
 * Message-level rules: AWS's MD5 digests of bodies and attributes, allowed characters, sizes,
 * receipt handles.
 */
import { createHash } from "node:crypto";
import { ServiceError } from "../../core/errors.js";
import { SqsErrors } from "./errors.js";
import type { StoredAttribute } from "./store.js";

export const md5 = (s: string | Buffer) => createHash("md5").update(s).digest("hex");

/** A message attribute as the protocol layer hands it over (binary as a Buffer). */
export interface InputAttribute {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
  StringListValues?: string[];
  BinaryListValues?: Uint8Array[];
}

/**
 * AWS's digest of message attributes: for each attribute in name order, the name, the data
 * type, a transport byte (1 string/number, 2 binary) and the value, each string or value
 * prefixed by its 4-byte big-endian length.
 */
export function md5OfAttributes(attrs: Record<string, StoredAttribute>): string {
  const parts: Buffer[] = [];
  const lp = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, b);
  };
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name]!;
    lp(Buffer.from(name, "utf8"));
    lp(Buffer.from(a.DataType, "utf8"));
    if (a.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      lp(Buffer.from(a.BinaryValue, "base64"));
    } else {
      parts.push(Buffer.from([1]));
      lp(Buffer.from(a.StringValue ?? "", "utf8"));
    }
  }
  return md5(Buffer.concat(parts));
}

const INVALID_CHARS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function checkCharacters(text: string): void {
  if (INVALID_CHARS.test(text)) throw new ServiceError(SqsErrors.InvalidMessageContents);
}

const invalidParam = (m: string) => new ServiceError(SqsErrors.InvalidParameterValue, m);

/** Validate and normalize message attributes; returns them stored and their size in bytes. */
export function readAttributes(
  input: Record<string, InputAttribute> | undefined,
  system: boolean,
): { attrs?: Record<string, StoredAttribute>; size: number } {
  if (!input || Object.keys(input).length === 0) return { size: 0 };
  const names = Object.keys(input);
  if (!system && names.length > 10) {
    throw invalidParam(`Number of message attributes [${names.length}] exceeds the allowed maximum [10].`);
  }
  const attrs: Record<string, StoredAttribute> = {};
  let size = 0;
  for (const name of names) {
    const a = input[name]!;
    if (system) {
      if (name !== "AWSTraceHeader") throw invalidParam(`Message system attribute name '${name}' is invalid.`);
    } else {
      if (!/^[A-Za-z0-9_\-.]{1,256}$/.test(name) || /^(aws\.|amazon\.)/i.test(name) || name.startsWith(".") || name.endsWith(".") || name.includes("..")) {
        throw invalidParam(`Message (user) attribute name '${name}' is invalid.`);
      }
    }
    const type = a.DataType;
    if (!type) throw invalidParam(`The message attribute '${name}' must contain non-empty message attribute type.`);
    const base = type.split(".")[0];
    if (base !== "String" && base !== "Number" && base !== "Binary") {
      throw invalidParam(`The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
    }
    if (system && type !== "String") throw invalidParam(`The type of message system attribute '${name}' is invalid. You must use only the following supported type prefixes: String.`);
    if (a.StringListValues?.length || a.BinaryListValues?.length) {
      throw new ServiceError(SqsErrors.UnsupportedOperation, "Message attribute list values in SendMessage operation are not supported.");
    }
    if (base === "Binary") {
      if (a.BinaryValue === undefined) throw invalidParam(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
      const b = Buffer.from(a.BinaryValue);
      attrs[name] = { DataType: type, BinaryValue: b.toString("base64") };
      size += b.length;
    } else {
      if (a.StringValue === undefined) throw invalidParam(`The message attribute '${name}' with type '${base}' must use field 'String'.`);
      if (a.StringValue === "") throw invalidParam(`The message attribute '${name}' must contain non-empty attribute value.`);
      if (base === "Number" && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(a.StringValue.trim())) {
        throw invalidParam(`Can't cast the value of message (user) attribute '${name}' to a number.`);
      }
      checkCharacters(a.StringValue);
      attrs[name] = { DataType: type, StringValue: a.StringValue };
      size += Buffer.byteLength(a.StringValue);
    }
    size += Buffer.byteLength(name) + Buffer.byteLength(type);
  }
  return { attrs, size };
}

/** Attributes as the protocol layer renders them (binary back to bytes). */
export function writeAttributes(attrs: Record<string, StoredAttribute>): Record<string, { DataType: string; StringValue?: string; BinaryValue?: Buffer }> {
  const out: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Buffer }> = {};
  for (const [name, a] of Object.entries(attrs)) {
    out[name] =
      a.BinaryValue !== undefined ? { DataType: a.DataType, BinaryValue: Buffer.from(a.BinaryValue, "base64") } : { DataType: a.DataType, StringValue: a.StringValue ?? "" };
  }
  return out;
}

/** A receipt handle: which queue, which message, which receive. Opaque to clients. */
export function makeReceiptHandle(queueArn: string, seq: number, messageId: string, token: string): string {
  return Buffer.from(`${queueArn} ${seq} ${messageId} ${token}`, "utf8").toString("base64");
}

export interface ParsedHandle {
  queueArn: string;
  seq: number;
  messageId: string;
  token: string;
}

export function parseReceiptHandle(handle: string): ParsedHandle | undefined {
  if (!/^[A-Za-z0-9+/]+=*$/.test(handle)) return undefined;
  const parts = Buffer.from(handle, "base64").toString("utf8").split(" ");
  if (parts.length !== 4 || !parts[0]!.startsWith("arn:")) return undefined;
  const seq = Number(parts[1]);
  if (!Number.isSafeInteger(seq)) return undefined;
  return { queueArn: parts[0]!, seq, messageId: parts[2]!, token: parts[3]! };
}

export const invalidHandle = (handle: string) =>
  new ServiceError(SqsErrors.ReceiptHandleIsInvalid, `The input receipt handle "${handle}" is not a valid receipt handle.`);
