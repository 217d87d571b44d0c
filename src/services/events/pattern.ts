/**
 * EventBridge event patterns: validation and matching, as AWS documents them.
 *
 * A pattern is a JSON object whose leaves are arrays of matchers; every field named must match
 * (AND), any matcher of an array may match (OR), and an event field holding an array matches when
 * any of its elements does. Matchers: exact strings, numbers, booleans and null; `prefix`,
 * `suffix` (each optionally `{ "equals-ignore-case": ... }`), `equals-ignore-case`, `wildcard`,
 * `anything-but` (a value, a list, or `prefix`/`suffix`/`equals-ignore-case`/`wildcard`),
 * `numeric` (up to two comparisons), `exists`, `cidr`; `$or` at any object level.
 */
import { ServiceError } from "../../core/errors.js";
import { EventsErrors } from "./errors.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export type Pattern = { [field: string]: Pattern | Matcher[] } & { $or?: Pattern[] };

type Matcher =
  | { kind: "exact"; value: string | number | boolean | null }
  | { kind: "prefix" | "suffix" | "ignore-case" | "wildcard"; value: string; ignoreCase?: boolean }
  | { kind: "anything-but"; values: Array<string | number>; prefix?: string; suffix?: string; ignoreCase?: boolean; wildcard?: string }
  | { kind: "numeric"; tests: Array<[string, number]> }
  | { kind: "exists"; value: boolean }
  | { kind: "cidr"; network: bigint; mask: bigint; v6: boolean };

function invalid(reason: string): never {
  throw new ServiceError(EventsErrors.InvalidEventPatternException, `Event pattern is not valid. Reason: ${reason}`);
}

/** Parse and validate a pattern's JSON text. */
export function parsePattern(text: string): Pattern {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    invalid(`Filter is not a valid JSON: ${(e as Error).message}`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) invalid("Filter is not an object");
  return compileObject(json as Record<string, Json>, 0);
}

function compileObject(obj: Record<string, Json>, depth: number): Pattern {
  if (depth > 20) invalid("Filter is too deeply nested");
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (key === "$or") {
      if (!Array.isArray(value) || value.length < 2) invalid("\"$or\" must be an array of at least two patterns");
      out.$or = value.map((v) => {
        if (v === null || typeof v !== "object" || Array.isArray(v)) invalid("\"$or\" members must be objects");
        return compileObject(v, depth + 1);
      });
    } else if (Array.isArray(value)) {
      if (value.length === 0) invalid(`Empty arrays are not allowed (field "${key}")`);
      out[key] = value.map((m) => compileMatcher(m));
    } else if (value !== null && typeof value === "object") {
      out[key] = compileObject(value, depth + 1);
    } else {
      invalid(`Match value must be String, number, true, false, or null (field "${key}" is not an array)`);
    }
  }
  return out as Pattern;
}

function compileMatcher(m: Json): Matcher {
  if (m === null || typeof m !== "object") return { kind: "exact", value: m };
  if (Array.isArray(m)) invalid("Match value must be String, number, true, false, or null");
  const keys = Object.keys(m);
  if (keys.length !== 1) invalid(`Only one key allowed in match expression: ${JSON.stringify(m)}`);
  const op = keys[0]!;
  const arg = m[op]!;
  switch (op) {
    case "prefix":
    case "suffix": {
      if (typeof arg === "string") return { kind: op, value: arg };
      if (arg && typeof arg === "object" && !Array.isArray(arg) && typeof arg["equals-ignore-case"] === "string") {
        return { kind: op, value: arg["equals-ignore-case"], ignoreCase: true };
      }
      return invalid(`${op} match pattern must be a string`);
    }
    case "equals-ignore-case":
      if (typeof arg !== "string") invalid("equals-ignore-case match pattern must be a string");
      return { kind: "ignore-case", value: arg };
    case "wildcard":
      if (typeof arg !== "string") invalid("wildcard match pattern must be a string");
      if (arg.includes("**")) invalid("Consecutive wildcard characters at pos " + arg.indexOf("**"));
      return { kind: "wildcard", value: arg };
    case "exists":
      if (typeof arg !== "boolean") invalid("exists match pattern must be either true or false.");
      return { kind: "exists", value: arg };
    case "numeric":
      return { kind: "numeric", tests: compileNumeric(arg) };
    case "cidr":
      if (typeof arg !== "string") invalid("prefix match pattern must be a string");
      return compileCidr(arg);
    case "anything-but":
      return compileAnythingBut(arg);
    default:
      return invalid(`Unrecognized match type ${op}`);
  }
}

function compileNumeric(arg: Json): Array<[string, number]> {
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0 || arg.length > 4) invalid("Value of numeric must be an array.");
  const tests: Array<[string, number]> = [];
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const n = arg[i + 1];
    if (typeof op !== "string" || !["=", "<", "<=", ">", ">="].includes(op)) invalid(`Unrecognized numeric range operator: ${JSON.stringify(op)}`);
    if (typeof n !== "number") invalid("Value of numeric must be numeric");
    if (Math.abs(n) > 5e9) invalid("Value of numeric is outside the allowed range -5.0E9 to 5.0E9");
    tests.push([op, n]);
  }
  if (tests.length === 2) {
    const [a, b] = tests as [[string, number], [string, number]];
    if (!a[0].startsWith(">") || !b[0].startsWith("<")) invalid("Bad numeric range operator");
    if (a[1] >= b[1]) invalid("Bottom must be less than top");
  }
  return tests;
}

function compileAnythingBut(arg: Json): Matcher {
  if (typeof arg === "string" || typeof arg === "number") return { kind: "anything-but", values: [arg] };
  if (Array.isArray(arg)) {
    if (arg.length === 0) invalid("Empty arrays are not allowed");
    const values = arg.map((v) => {
      if (typeof v !== "string" && typeof v !== "number") invalid("Inside anything but list, start|null|boolean is not supported.");
      return v;
    });
    return { kind: "anything-but", values };
  }
  if (arg && typeof arg === "object") {
    const keys = Object.keys(arg);
    if (keys.length !== 1) invalid("Only one key allowed in anything-but expression");
    const k = keys[0]!;
    const v = arg[k];
    if (k === "prefix" && typeof v === "string" && v !== "") return { kind: "anything-but", values: [], prefix: v };
    if (k === "suffix" && typeof v === "string" && v !== "") return { kind: "anything-but", values: [], suffix: v };
    if (k === "wildcard" && typeof v === "string") return { kind: "anything-but", values: [], wildcard: v };
    if (k === "equals-ignore-case") {
      const list = Array.isArray(v) ? v : [v];
      if (list.some((x) => typeof x !== "string")) invalid("Inside anything-but/equals-ignore-case list, only strings are allowed");
      return { kind: "anything-but", values: list as string[], ignoreCase: true };
    }
    return invalid(`Unsupported anything-but pattern: ${k}`);
  }
  return invalid("Value of anything-but must be an array or single string/number value.");
}

function compileCidr(text: string): Matcher {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) invalid(`Malformed CIDR, one '/' required`);
  const ip = parseIp(m[1]!);
  if (!ip) invalid(`Nonstandard IP address: ${m[1]}`);
  const bits = ip.v6 ? 128 : 32;
  const len = Number(m[2]);
  if (len > bits) invalid(`Malformed CIDR, mask bits must be between 0 and ${bits}`);
  const mask = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(bits - len);
  return { kind: "cidr", network: ip.value & mask, mask, v6: ip.v6 };
}

function parseIp(text: string): { value: bigint; v6: boolean } | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n), v6: false };
  }
  if (!text.includes(":")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  return { value, v6: true };
}

/** Whether an event (parsed JSON) matches a compiled pattern. */
export function matches(pattern: Pattern, event: unknown): boolean {
  return matchObject(pattern, event);
}

function matchObject(pattern: Pattern, value: unknown): boolean {
  const obj = value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === "$or") {
      if (!(sub as Pattern[]).some((p) => matchObject(p, value))) return false;
      continue;
    }
    const field = obj ? obj[key] : undefined;
    const present = obj !== undefined && Object.prototype.hasOwnProperty.call(obj, key);
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub as Matcher[], present, field)) return false;
    } else {
      // A nested pattern: the event's field must be an object (or an array of objects) matching it,
      // except that a nested `exists: false` also matches when the object is missing.
      const candidates = Array.isArray(field) ? field : [field];
      if (!candidates.some((c) => matchObject(sub as Pattern, present ? c : undefined))) return false;
    }
  }
  return true;
}

function matchLeaf(matchers: Matcher[], present: boolean, value: unknown): boolean {
  for (const m of matchers) {
    if (m.kind === "exists") {
      const exists = present && !(Array.isArray(value) && value.length === 0) && (value === null || typeof value !== "object" || Array.isArray(value));
      if (exists === m.value) return true;
      continue;
    }
    if (!present) continue;
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => matchValue(m, v))) return true;
  }
  return false;
}

function matchValue(m: Exclude<Matcher, { kind: "exists" }>, v: unknown): boolean {
  switch (m.kind) {
    case "exact":
      if (typeof m.value === "number") return typeof v === "number" && v === m.value;
      return v === m.value;
    case "prefix":
      if (typeof v !== "string") return false;
      return m.ignoreCase ? v.toLowerCase().startsWith(m.value.toLowerCase()) : v.startsWith(m.value);
    case "suffix":
      if (typeof v !== "string") return false;
      return m.ignoreCase ? v.toLowerCase().endsWith(m.value.toLowerCase()) : v.endsWith(m.value);
    case "ignore-case":
      return typeof v === "string" && v.toLowerCase() === m.value.toLowerCase();
    case "wildcard":
      return typeof v === "string" && wildcardMatch(m.value, v);
    case "numeric":
      return typeof v === "number" && m.tests.every(([op, n]) => compare(op, v, n));
    case "cidr": {
      if (typeof v !== "string") return false;
      const ip = parseIp(v);
      return ip !== undefined && ip.v6 === m.v6 && (ip.value & m.mask) === m.network;
    }
    case "anything-but": {
      if (typeof v !== "string" && typeof v !== "number") return false;
      if (m.prefix !== undefined) return typeof v === "string" && !v.startsWith(m.prefix);
      if (m.suffix !== undefined) return typeof v === "string" && !v.endsWith(m.suffix);
      if (m.wildcard !== undefined) return typeof v === "string" && !wildcardMatch(m.wildcard, v);
      if (m.ignoreCase) return typeof v === "string" && !m.values.some((x) => String(x).toLowerCase() === v.toLowerCase());
      return !m.values.some((x) => x === v);
    }
  }
}

function compare(op: string, a: number, b: number): boolean {
  switch (op) {
    case "=":
      return a === b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    default:
      return a >= b;
  }
}

function wildcardMatch(pattern: string, value: string): boolean {
  // `*` matches any run of characters; `\*` is a literal star.
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\" && pattern[i + 1] === "*") {
      re += "\\*";
      i++;
    } else if (c === "*") re += "[\\s\\S]*";
    else re += c.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`).test(value);
}
