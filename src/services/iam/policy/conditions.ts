/**
 * Condition operators: parsing operator names (with `ForAllValues:` / `ForAnyValue:` and
 * `...IfExists`), typed parsing of policy values (numbers, dates, CIDRs, ARNs), and evaluating
 * one compiled condition against the request context with AWS's rules for missing keys,
 * negated operators and multivalued keys.
 */
import { isIP } from "node:net";
import { PatternMatcher, parseTemplate, type VariableLookup } from "./patterns.js";

/** A value in the request context (what `EvaluationInput.context` holds). */
export type ContextValue = string | string[] | number | boolean | Date | undefined;

export type ConditionFamily = "String" | "Numeric" | "Date" | "Bool" | "Binary" | "IpAddress" | "Arn" | "Null";

/** The positive comparison an operator performs; negated operators invert it per value. */
export type Comparison =
  | "StringEquals"
  | "StringEqualsIgnoreCase"
  | "StringLike"
  | "NumericEquals"
  | "NumericLessThan"
  | "NumericLessThanEquals"
  | "NumericGreaterThan"
  | "NumericGreaterThanEquals"
  | "DateEquals"
  | "DateLessThan"
  | "DateLessThanEquals"
  | "DateGreaterThan"
  | "DateGreaterThanEquals"
  | "Bool"
  | "BinaryEquals"
  | "IpAddress"
  | "ArnLike"
  | "Null";

export type SetQualifier = "ForAllValues" | "ForAnyValue";

export interface ConditionOperator {
  /** The name as written in the policy. */
  name: string;
  family: ConditionFamily;
  comparison: Comparison;
  /** StringNotEquals, NotIpAddress, ArnNotLike...: true when no policy value matches. */
  negated: boolean;
  ifExists: boolean;
  qualifier?: SetQualifier;
}

interface BaseOperator {
  family: ConditionFamily;
  comparison: Comparison;
  negated: boolean;
}
const BASE: Record<string, BaseOperator | undefined> = {};
function base(name: string, family: ConditionFamily, comparison: Comparison, negated = false) {
  BASE[name.toLowerCase()] = { family, comparison, negated };
}
base("StringEquals", "String", "StringEquals");
base("StringNotEquals", "String", "StringEquals", true);
base("StringEqualsIgnoreCase", "String", "StringEqualsIgnoreCase");
base("StringNotEqualsIgnoreCase", "String", "StringEqualsIgnoreCase", true);
base("StringLike", "String", "StringLike");
base("StringNotLike", "String", "StringLike", true);
for (const [op, cmp] of [
  ["Equals", "Equals"],
  ["NotEquals", "Equals"],
  ["LessThan", "LessThan"],
  ["LessThanEquals", "LessThanEquals"],
  ["GreaterThan", "GreaterThan"],
  ["GreaterThanEquals", "GreaterThanEquals"],
] as const) {
  base(`Numeric${op}`, "Numeric", `Numeric${cmp}`, op === "NotEquals");
  base(`Date${op}`, "Date", `Date${cmp}`, op === "NotEquals");
}
base("Bool", "Bool", "Bool");
base("BinaryEquals", "Binary", "BinaryEquals");
base("IpAddress", "IpAddress", "IpAddress");
base("NotIpAddress", "IpAddress", "IpAddress", true);
// AWS documents ArnEquals and ArnLike as the same comparison (both take wildcards per part).
base("ArnEquals", "Arn", "ArnLike");
base("ArnLike", "Arn", "ArnLike");
base("ArnNotEquals", "Arn", "ArnLike", true);
base("ArnNotLike", "Arn", "ArnLike", true);
base("Null", "Null", "Null");

/** Parses an operator name such as `ForAnyValue:StringLikeIfExists`; undefined if unknown. */
export function parseConditionOperator(name: string): ConditionOperator | undefined {
  let rest = name;
  let qualifier: SetQualifier | undefined;
  const lower = rest.toLowerCase();
  if (lower.startsWith("forallvalues:")) {
    qualifier = "ForAllValues";
    rest = rest.slice("ForAllValues:".length);
  } else if (lower.startsWith("foranyvalue:")) {
    qualifier = "ForAnyValue";
    rest = rest.slice("ForAnyValue:".length);
  }
  let ifExists = false;
  let found = BASE[rest.toLowerCase()];
  if (!found && rest.toLowerCase().endsWith("ifexists")) {
    found = BASE[rest.slice(0, -"IfExists".length).toLowerCase()];
    // Null tests existence itself; NullIfExists is not an operator.
    if (found?.family === "Null") found = undefined;
    ifExists = found !== undefined;
  }
  if (!found) return undefined;
  return { name, ...found, ifExists, ...(qualifier ? { qualifier } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Typed values

/**
 * Parses a policy or context date: epoch seconds (an integer that fits a signed 64-bit long) or
 * ISO 8601 as AWS accepts it (date alone, `T` or `t`, one- or two-digit hours, fractions up to
 * nine digits, `Z` or a `+hh`/`+hh:mm` offset). Returns epoch milliseconds.
 */
export function parseDate(text: string): number | undefined {
  const s = text.trim();
  if (/^[+-]?\d+$/.test(s)) {
    const n = BigInt(s);
    if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined;
    return Number(n) * 1000;
  }
  const m =
    /^(\d{1,9})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[Tt](?:(\d{1,2})(?::(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      s,
    );
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = m[2] === undefined ? 1 : Number(m[2]);
  const day = m[3] === undefined ? 1 : Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number((m[7] + "00").slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, millis);
  let t = d.getTime();
  const zone = m[8];
  if (zone && zone !== "Z" && zone !== "z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2)) : 0);
    t -= sign * offsetMinutes * 60_000;
  }
  return Number.isNaN(t) ? undefined : t;
}

/** A number as AWS's numeric operators read it (integers and decimals); undefined if not one. */
export function parseNumber(text: string): number | undefined {
  const s = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

interface IpV4 {
  v6: false;
  n: number;
}
interface IpV6 {
  v6: true;
  n: bigint;
}
type Ip = IpV4 | IpV6;
export interface Cidr {
  ip: Ip;
  prefix: number;
}

// node:net validates the address syntax; the few lines of parsing below turn a valid address
// into an integer so a CIDR test is one shift and compare (no dependency needed for that).
function parseIp(text: string): Ip | undefined {
  const s = text.includes("%") ? text.slice(0, text.indexOf("%")) : text;
  const family = isIP(s);
  if (family === 4) return { v6: false, n: parseV4(s) };
  if (family !== 6) return undefined;
  let head = s;
  let tailV4: number | undefined;
  const lastColon = s.lastIndexOf(":");
  if (s.indexOf(".", lastColon) > 0) {
    tailV4 = parseV4(s.slice(lastColon + 1));
    head = s.slice(0, lastColon + 1) + "0:0";
  }
  const [left, right] = head.includes("::") ? head.split("::") : [head, undefined];
  const l = left ? left.split(":") : [];
  const r = right ? right.split(":") : [];
  const groups = right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill("0"), ...r];
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(parseInt(g || "0", 16));
  if (tailV4 !== undefined) n = (n & ~0xffffffffn) | BigInt(tailV4);
  return { v6: true, n };
}

function parseV4(s: string): number {
  const p = s.split(".");
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

const V4_MAPPED_PREFIX = 0xffffn << 32n;

/** A request address; IPv4-mapped IPv6 (`::ffff:a.b.c.d`, what dual-stack sockets report) is IPv4. */
export function parseAddress(text: string): Ip | undefined {
  const ip = parseIp(text.trim());
  if (ip?.v6 && ip.n >> 32n === 0xffffn && (ip.n & ~0xffffffffn) === V4_MAPPED_PREFIX) {
    return { v6: false, n: Number(ip.n & 0xffffffffn) };
  }
  return ip;
}

/** `203.0.113.0/24`, `2001:DB8::/32`, or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr | undefined {
  const s = text.trim();
  const slash = s.indexOf("/");
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!ip) return undefined;
  const max = ip.v6 ? 128 : 32;
  if (slash < 0) return { ip, prefix: max };
  const p = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p) || Number(p) > max) return undefined;
  return { ip, prefix: Number(p) };
}

export function cidrContains(cidr: Cidr, ip: Ip): boolean {
  if (cidr.prefix === 0) return cidr.ip.v6 === ip.v6;
  if (!cidr.ip.v6 && !ip.v6) return (cidr.ip.n ^ ip.n) >>> (32 - cidr.prefix) === 0;
  if (cidr.ip.v6 && ip.v6) return (cidr.ip.n ^ ip.n) >> BigInt(128 - cidr.prefix) === 0n;
  return false;
}

/** ArnLike: each of the six colon-separated parts is matched on its own. */
class ArnPattern {
  private readonly parts: PatternMatcher[] | undefined;
  private readonly whole: PatternMatcher | undefined;

  constructor(source: string, variables: boolean) {
    const split = splitArn(source, variables);
    if (split) this.parts = split.map((p) => new PatternMatcher(parseTemplate(p, true, variables), "plain"));
    // Not ARN-shaped (e.g. "*"): compare the whole value.
    else this.whole = new PatternMatcher(parseTemplate(source, true, variables), "plain");
  }

  test(value: string, lookup: VariableLookup): boolean | undefined {
    if (this.whole) return this.whole.testResolved(value, lookup);
    const parts = splitArn(value);
    if (!parts) return false;
    let result: boolean | undefined = true;
    for (let i = 0; i < 6; i++) {
      const r = this.parts![i]!.testResolved(parts[i]!, lookup);
      if (r === undefined) return undefined;
      if (!r) result = false;
    }
    return result;
  }
}

/**
 * Splits an ARN into arn, partition, service, region, account and resource (which keeps its
 * colons). `variables`: the text is a pattern whose `${aws:...}` variables hold colons of their own.
 */
export function splitArn(arn: string, variables = false): string[] | undefined {
  const out: string[] = [];
  let start = 0;
  let from = 0;
  while (out.length < 5) {
    const c = arn.indexOf(":", from);
    if (c < 0) return undefined;
    if (variables) {
      const open = arn.lastIndexOf("${", c);
      if (open >= start && arn.indexOf("}", open) > c) {
        from = arn.indexOf("}", open) + 1;
        continue;
      }
    }
    out.push(arn.slice(start, c));
    start = from = c + 1;
  }
  out.push(arn.slice(start));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Compiled conditions

type PolicyValue =
  | { kind: "pattern"; m: PatternMatcher }
  | { kind: "number"; n: number | undefined }
  | { kind: "date"; t: number | undefined }
  | { kind: "text"; s: string }
  | { kind: "cidr"; c: Cidr | undefined }
  | { kind: "arn"; p: ArnPattern }
  | { kind: "null"; exists: boolean };

export interface CompiledCondition {
  operator: ConditionOperator;
  /** Condition key, lower-cased (keys are case-insensitive). */
  key: string;
  values: PolicyValue[];
}

/** Compiles `"Operator": { "key": values }`; `variables`: the document is Version 2012-10-17. */
export function compileCondition(
  operator: ConditionOperator,
  key: string,
  rawValues: readonly string[],
  variables: boolean,
): CompiledCondition {
  const values = rawValues.map((v): PolicyValue => {
    switch (operator.family) {
      case "String":
        return {
          kind: "pattern",
          m: new PatternMatcher(
            parseTemplate(v, operator.comparison === "StringLike", variables),
            "plain",
            operator.comparison === "StringEqualsIgnoreCase",
          ),
        };
      case "Numeric":
        return { kind: "number", n: parseNumber(v) };
      case "Date":
        return { kind: "date", t: parseDate(v) };
      case "Bool":
        return { kind: "text", s: v.toLowerCase() };
      case "Binary":
        return { kind: "text", s: v.trim() };
      case "IpAddress":
        return { kind: "cidr", c: parseCidr(v) };
      case "Arn":
        return { kind: "arn", p: new ArnPattern(v, variables) };
      case "Null":
        return { kind: "null", exists: v.toLowerCase() !== "true" };
    }
  });
  return { operator, key: key.toLowerCase(), values };
}

/** What a condition needs from the request: its values by lower-cased key, and variables. */
export interface ConditionContext {
  get(key: string): ContextValue;
  variable: VariableLookup;
}

type Item = string | number | boolean | Date;

function items(v: ContextValue): readonly Item[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  return [v as Item];
}

function asText(v: Item): string {
  if (typeof v === "string") return v;
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

function asNumber(v: Item): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string") return parseNumber(v);
  return undefined;
}

function asTime(v: Item): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === "number") return v * 1000;
  if (typeof v === "string") return parseDate(v);
  return undefined;
}

/**
 * Does one request value satisfy one policy value under the positive comparison? undefined when
 * the policy value holds a variable the request cannot resolve.
 */
function compare(cmp: Comparison, item: Item, pv: PolicyValue, lookup: VariableLookup): boolean | undefined {
  switch (pv.kind) {
    case "pattern": {
      const s = asText(item);
      return pv.m.testResolved(cmp === "StringEqualsIgnoreCase" ? s.toLowerCase() : s, lookup);
    }
    case "number": {
      const n = asNumber(item);
      if (n === undefined || pv.n === undefined) return false;
      return numericCompare(cmp, n, pv.n);
    }
    case "date": {
      const t = asTime(item);
      if (t === undefined || pv.t === undefined) return false;
      return numericCompare(cmp, t, pv.t);
    }
    case "text":
      return cmp === "Bool" ? asText(item).toLowerCase() === pv.s : asText(item) === pv.s;
    case "cidr": {
      if (!pv.c || typeof item !== "string") return false;
      const ip = parseAddress(item);
      return ip !== undefined && cidrContains(pv.c, ip);
    }
    case "arn":
      return typeof item === "string" ? pv.p.test(item, lookup) : false;
    case "null":
      return false;
  }
}

function numericCompare(cmp: Comparison, a: number, b: number): boolean {
  switch (cmp) {
    case "NumericEquals":
    case "DateEquals":
      return a === b;
    case "NumericLessThan":
    case "DateLessThan":
      return a < b;
    case "NumericLessThanEquals":
    case "DateLessThanEquals":
      return a <= b;
    case "NumericGreaterThan":
    case "DateGreaterThan":
      return a > b;
    case "NumericGreaterThanEquals":
    case "DateGreaterThanEquals":
      return a >= b;
    default:
      return false;
  }
}

/**
 * Evaluates one condition key under one operator:
 * - a missing key (absent, or an empty list) makes the condition false, except: `...IfExists`
 *   and `ForAllValues:` are true, negated operators are true, `ForAnyValue:` is false, and
 *   `Null` compares existence itself;
 * - several policy values are ORed (NORed for negated operators);
 * - `ForAllValues:` needs every request value to satisfy the operator, `ForAnyValue:` one; for a
 *   negated operator a request value satisfies it when it matches none of the policy values;
 * - a policy variable that cannot be resolved makes its value match nothing; under a negated
 *   operator it makes the whole condition false (AWS: the statement is then invalid).
 */
export function evaluateCondition(c: CompiledCondition, ctx: ConditionContext): boolean {
  const op = c.operator;
  const present = items(ctx.get(c.key));
  if (op.family === "Null") {
    const exists = present.length > 0;
    return c.values.some((v) => v.kind === "null" && v.exists === exists);
  }
  if (present.length === 0) {
    if (op.ifExists || op.qualifier === "ForAllValues") return true;
    if (op.qualifier === "ForAnyValue") return false;
    return op.negated;
  }

  let unresolved = false;
  const matchesAny = (item: Item): boolean => {
    for (const pv of c.values) {
      const r = compare(op.comparison, item, pv, ctx.variable);
      if (r === undefined) unresolved = true;
      else if (r) return true;
    }
    return false;
  };

  let result: boolean;
  if (op.qualifier === "ForAllValues") {
    result = present.every((item) => matchesAny(item) !== op.negated);
  } else if (op.qualifier === "ForAnyValue") {
    result = present.some((item) => matchesAny(item) !== op.negated);
  } else {
    const any = present.some(matchesAny);
    result = op.negated ? !any : any;
  }
  if (op.negated && unresolved) return false;
  return result;
}
