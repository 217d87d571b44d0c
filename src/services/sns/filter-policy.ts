/**
 * SNS subscription filter policies: validation with SNS's limits and messages, and matching
 * against message attributes (FilterPolicyScope MessageAttributes) or the JSON message body
 * (MessageBody, nested keys). Operators: exact strings and numbers, prefix, suffix,
 * equals-ignore-case, anything-but (values, prefix, suffix), numeric ranges, exists, cidr, $or.
 */

export class FilterPolicyError extends Error {}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type PolicyScope = "MessageAttributes" | "MessageBody";

/** An attribute as SNS sees it for filtering. */
export interface FilterAttribute {
  DataType: string;
  StringValue?: string;
}

const MAX_KEYS = 5;
const MAX_COMBINATIONS = 150;
const NUMERIC_LIMIT = 1e9;

const fail = (message: string): never => {
  throw new FilterPolicyError(message);
};

function checkNumber(v: unknown, op: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) fail(`Value of ${op} must be numeric`);
  const n = v as number;
  if (Math.abs(n) > NUMERIC_LIMIT) fail(`Numeric value must be between -1.0E9 and 1.0E9 inclusive`);
  if (!/^-?\d+(\.\d{1,5})?(e[+-]?\d+)?$/i.test(String(n))) fail(`Numeric value must have at most 5 digits after the decimal point`);
  return n;
}

function checkCidr(v: unknown): void {
  if (typeof v !== "string") fail("Malformed CIDR, one '/' required");
  const s = v as string;
  const parts = s.split("/");
  if (parts.length !== 2) fail("Malformed CIDR, one '/' required");
  const [ip, bits] = parts as [string, string];
  const n = Number(bits);
  if (ip.includes(":")) {
    if (!/^[0-9a-fA-F:]+$/.test(ip) || !Number.isInteger(n) || n < 0 || n > 128) fail(`Nonstandard IP address: ${ip}`);
  } else {
    const o = ip.split(".");
    if (o.length !== 4 || o.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) fail(`Nonstandard IP address: ${ip}`);
    if (!Number.isInteger(n) || n < 0 || n > 32) fail(`Invalid CIDR bit count: ${bits}`);
  }
}

function checkCondition(c: Json): void {
  if (c === null || typeof c === "string" || typeof c === "boolean") return;
  if (typeof c === "number") {
    checkNumber(c, "number");
    return;
  }
  if (Array.isArray(c)) fail("Match value must be String, number, true, false, or null");
  const entries = Object.entries(c as Record<string, Json>);
  if (entries.length !== 1) fail("Only one key allowed in match expression");
  const [op, v] = entries[0]!;
  switch (op) {
    case "prefix":
    case "suffix":
    case "equals-ignore-case":
      if (typeof v !== "string") fail(`${op} match pattern must be a string`);
      return;
    case "exists":
      if (typeof v !== "boolean") fail("exists match pattern must be either true or false.");
      return;
    case "cidr":
      checkCidr(v);
      return;
    case "numeric": {
      if (!Array.isArray(v) || v.length === 0) fail("Value of numeric must be an array.");
      const arr = v as Json[];
      if (arr.length > 4 || arr.length % 2 !== 0) fail("Bad numeric range operator");
      let lower = -Infinity;
      let upper = Infinity;
      for (let i = 0; i < arr.length; i += 2) {
        const o = arr[i];
        const n = checkNumber(arr[i + 1], String(o));
        if (o === "=") {
          if (arr.length !== 2) fail("Bad numeric range operator");
        } else if (o === ">" || o === ">=") {
          if (lower !== -Infinity) fail("Bad numeric range operator");
          lower = n;
        } else if (o === "<" || o === "<=") {
          if (upper !== Infinity) fail("Bad numeric range operator");
          upper = n;
        } else fail(`Unrecognized numeric range operator: ${String(o)}`);
      }
      if (lower >= upper) fail("Bottom must be less than top");
      return;
    }
    case "anything-but": {
      if (typeof v === "string" || typeof v === "number") return;
      if (Array.isArray(v)) {
        if (v.length === 0) fail("Empty arrays are not allowed");
        const allStrings = v.every((x) => typeof x === "string");
        const allNumbers = v.every((x) => typeof x === "number");
        if (!allStrings && !allNumbers) fail("Inside anything but list, start|null|boolean is not supported.");
        return;
      }
      if (v !== null && typeof v === "object") {
        const inner = Object.entries(v);
        if (inner.length !== 1) fail("Only one key allowed in match expression");
        const [iop, iv] = inner[0]!;
        if (iop !== "prefix" && iop !== "suffix") fail(`Unsupported anything-but pattern: ${iop}`);
        if (typeof iv !== "string") fail(`${iop} match pattern must be a string`);
        return;
      }
      fail("Value of anything-but must be an array or single string/number value.");
      return;
    }
    default:
      fail(`Unrecognized match type ${op}`);
  }
}

/**
 * Validate a filter policy and return it parsed. Counts keys and value combinations as SNS
 * does (5 keys, 150 combinations, $or alternatives summed).
 */
export function parseFilterPolicy(text: string, scope: PolicyScope): Record<string, Json> {
  let policy: Json;
  try {
    policy = JSON.parse(text) as Json;
  } catch {
    return fail("failed to parse JSON.");
  }
  if (policy === null || typeof policy !== "object" || Array.isArray(policy)) return fail("Filter policy must be a JSON object");
  if (Object.keys(policy).length === 0) return policy as Record<string, Json>;
  const keys = new Set<string>();
  const combos = walk(policy as Record<string, Json>, "", scope, keys, 0);
  if (keys.size > MAX_KEYS) fail(`Filter policy can not have more than ${MAX_KEYS} keys`);
  if (combos > MAX_COMBINATIONS) fail("Filter policy is too complex");
  return policy as Record<string, Json>;
}

/** Returns the number of value combinations of this object. */
function walk(obj: Record<string, Json>, path: string, scope: PolicyScope, keys: Set<string>, depth: number): number {
  let product = 1;
  for (const [k, v] of Object.entries(obj)) {
    if (k === "$or") {
      if (!Array.isArray(v) || v.length < 2) fail("$or must be an array with at least 2 elements");
      let sum = 0;
      for (const alt of v as Json[]) {
        if (alt === null || typeof alt !== "object" || Array.isArray(alt)) fail("$or elements must be JSON objects");
        sum += walk(alt as Record<string, Json>, path, scope, keys, depth);
      }
      product *= sum;
      continue;
    }
    const full = path ? `${path}.${k}` : k;
    if (Array.isArray(v)) {
      if (v.length === 0) fail("Empty arrays are not allowed");
      for (const c of v) checkCondition(c);
      keys.add(full);
      product *= v.length;
    } else if (v !== null && typeof v === "object") {
      if (scope === "MessageAttributes") fail("Filter policy scope MessageAttributes does not support nested filter policy");
      product *= walk(v, full, scope, keys, depth + 1);
    } else {
      fail(`Match value must be String, number, true, false, or null`);
    }
  }
  return product;
}

// ---- matching ---------------------------------------------------------------------------------

type Value = { kind: "string"; v: string } | { kind: "number"; v: number } | { kind: "bool"; v: boolean } | { kind: "null" };

function ipv4(s: string): number | undefined {
  const o = s.split(".");
  if (o.length !== 4 || o.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return undefined;
  return o.reduce((a, x) => a * 256 + Number(x), 0);
}

function cidrMatch(cidr: string, value: string): boolean {
  const [net, bits] = cidr.split("/") as [string, string];
  const a = ipv4(net);
  const b = ipv4(value);
  if (a === undefined || b === undefined) return false;
  const n = Number(bits);
  if (n === 0) return true;
  const mask = n === 32 ? 0xffffffff : (0xffffffff << (32 - n)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

function numericMatch(ops: Json[], n: number): boolean {
  for (let i = 0; i < ops.length; i += 2) {
    const o = ops[i];
    const x = ops[i + 1] as number;
    if (o === "=" && !(n === x)) return false;
    if (o === ">" && !(n > x)) return false;
    if (o === ">=" && !(n >= x)) return false;
    if (o === "<" && !(n < x)) return false;
    if (o === "<=" && !(n <= x)) return false;
  }
  return true;
}

/** Does one (present) value satisfy one condition? */
function conditionMatches(c: Json, value: Value): boolean {
  if (c === null) return value.kind === "null";
  if (typeof c === "string") return value.kind === "string" && value.v === c;
  if (typeof c === "number") return value.kind === "number" && value.v === c;
  if (typeof c === "boolean") return value.kind === "bool" && value.v === c;
  if (Array.isArray(c)) return false;
  const [op, v] = Object.entries(c)[0]!;
  switch (op) {
    case "prefix":
      return value.kind === "string" && value.v.startsWith(v as string);
    case "suffix":
      return value.kind === "string" && value.v.endsWith(v as string);
    case "equals-ignore-case":
      return value.kind === "string" && value.v.toLowerCase() === (v as string).toLowerCase();
    case "exists":
      return v === true;
    case "cidr":
      return value.kind === "string" && cidrMatch(v as string, value.v);
    case "numeric":
      return value.kind === "number" && numericMatch(v as Json[], value.v);
    case "anything-but": {
      if (Array.isArray(v)) {
        if (v.every((x) => typeof x === "number")) return value.kind === "number" && !v.includes(value.v);
        return value.kind === "string" && !v.includes(value.v);
      }
      if (typeof v === "string") return value.kind === "string" && value.v !== v;
      if (typeof v === "number") return value.kind === "number" && value.v !== v;
      const [iop, iv] = Object.entries(v as Record<string, Json>)[0]!;
      if (value.kind !== "string") return false;
      return iop === "prefix" ? !value.v.startsWith(iv as string) : !value.v.endsWith(iv as string);
    }
    default:
      return false;
  }
}

/** The conditions of one key against its values (absent: only `exists: false` matches). */
function keyMatches(conditions: Json[], values: Value[] | undefined): boolean {
  if (values === undefined) return conditions.some((c) => c !== null && typeof c === "object" && !Array.isArray(c) && (c as Record<string, Json>).exists === false);
  return conditions.some((c) => {
    if (c !== null && typeof c === "object" && !Array.isArray(c) && "exists" in c) return (c as Record<string, Json>).exists === true;
    return values.some((v) => conditionMatches(c, v));
  });
}

function jsonValue(v: Json): Value[] {
  if (Array.isArray(v)) return v.flatMap((x) => (x !== null && typeof x === "object" ? [] : jsonValue(x)));
  if (v === null) return [{ kind: "null" }];
  if (typeof v === "string") return [{ kind: "string", v }];
  if (typeof v === "number") return [{ kind: "number", v }];
  if (typeof v === "boolean") return [{ kind: "bool", v }];
  return [];
}

function attributeValues(a: FilterAttribute | undefined): Value[] | undefined {
  if (!a) return undefined;
  const type = a.DataType.split(".")[0];
  if (a.DataType.startsWith("String.Array")) {
    try {
      const arr = JSON.parse(a.StringValue ?? "") as Json;
      return Array.isArray(arr) ? jsonValue(arr) : [];
    } catch {
      return [];
    }
  }
  if (type === "Number") return [{ kind: "number", v: Number(a.StringValue) }];
  if (type === "String") return [{ kind: "string", v: a.StringValue ?? "" }];
  // Binary attributes take part only in `exists`.
  return [];
}

function matchObject(policy: Record<string, Json>, lookup: (key: string) => Value[] | undefined, child: (key: string) => ((k: string) => Value[] | undefined) | undefined): boolean {
  for (const [k, v] of Object.entries(policy)) {
    if (k === "$or") {
      if (!(v as Record<string, Json>[]).some((alt) => matchObject(alt, lookup, child))) return false;
      continue;
    }
    if (Array.isArray(v)) {
      if (!keyMatches(v, lookup(k))) return false;
    } else {
      const sub = child(k);
      if (!sub) {
        // A nested policy on an absent key matches only if every leaf accepts absence.
        if (!matchObject(v as Record<string, Json>, () => undefined, () => undefined)) return false;
      } else if (!matchObject(v as Record<string, Json>, sub, (kk) => nested(sub, kk))) return false;
    }
  }
  return true;
}

// Body navigation: lookups over a JSON object (arrays of objects are flattened, as SNS does).
function bodyLookup(objs: Json[]): (key: string) => Value[] | undefined {
  return (key) => {
    let found = false;
    const out: Value[] = [];
    for (const o of objs) {
      if (o === null || typeof o !== "object" || Array.isArray(o) || !(key in o)) continue;
      found = true;
      out.push(...jsonValue(o[key]!));
    }
    return found ? out : undefined;
  };
}
const childObjects = new WeakMap<(key: string) => Value[] | undefined, Json[]>();
function nested(parent: (key: string) => Value[] | undefined, key: string): ((k: string) => Value[] | undefined) | undefined {
  const objs = childObjects.get(parent);
  if (!objs) return undefined;
  const children: Json[] = [];
  for (const o of objs) {
    if (o === null || typeof o !== "object" || Array.isArray(o) || !(key in o)) continue;
    const c = o[key]!;
    if (Array.isArray(c)) children.push(...c.filter((x) => x !== null && typeof x === "object"));
    else if (c !== null && typeof c === "object") children.push(c);
  }
  if (children.length === 0) return undefined;
  const f = bodyLookup(children);
  childObjects.set(f, children);
  return f;
}

/** Does the message pass the subscription's filter policy? */
export function filterMatches(policy: Record<string, Json>, scope: PolicyScope, message: string, attributes: Record<string, FilterAttribute> | undefined): boolean {
  if (Object.keys(policy).length === 0) return true;
  if (scope === "MessageAttributes") {
    const attrs = attributes ?? {};
    return matchObject(policy, (k) => attributeValues(attrs[k]), () => undefined);
  }
  let body: Json;
  try {
    body = JSON.parse(message) as Json;
  } catch {
    return false;
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) return false;
  const root = bodyLookup([body]);
  childObjects.set(root, [body]);
  return matchObject(policy, root, (k) => nested(root, k));
}
