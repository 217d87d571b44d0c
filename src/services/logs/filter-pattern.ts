/**
 * CloudWatch Logs filter patterns (FilterLogEvents, metric filters, subscription filters,
 * TestMetricFilter): parse once, match many messages.
 *
 * Three forms, as AWS documents them:
 * - Unstructured terms: `ERROR`, `ERROR Exception` (all), `?ERROR ?WARN` (any), `"a phrase"`,
 *   `-term` (must not appear), `%regex%`. Case-sensitive substring matching. Empty matches all.
 * - JSON: `{ $.level = "ERROR" }`, `{ ($.code >= 500) && ($.path != "/health*") }`,
 *   `{ $.a IS NULL }`, `{ $.a NOT EXISTS }`, `{ $.ok IS TRUE }`, `||`, parentheses, selectors
 *   with members and array indexes (`$.a.b[0].c`), `*` wildcards and `%regex%` in strings.
 *   A message that is not a JSON object never matches.
 * - Space-delimited: `[ip, user, ..., status = 4*, bytes > 1000]`: the message splits on spaces,
 *   text in `"..."` or `[...]` is one field (without its quotes/brackets); `...` stands for any
 *   number of fields; each named field may carry conditions joined by `&&` / `||`.
 *
 * ## Gaps
 * - JSON selectors `$.*`/`[*]` wildcards and `IN`/`NOT IN` lists are not supported (the pattern
 *   is rejected with InvalidParameterException rather than matched differently).
 */

export class FilterPatternError extends Error {}

export interface FilterPattern {
  /** The pattern as given (trimmed). */
  source: string;
  matches(message: string): boolean;
  /** Space-delimited and JSON patterns: the named values a matching message yields (metric filters use `$field`). */
  extract(message: string): Record<string, string | number | boolean | null> | undefined;
  /** Text every matching message contains, when there is such (scans jump between its occurrences). */
  requiredText?: string;
}

export function parseFilterPattern(pattern: string | undefined): FilterPattern {
  const source = (pattern ?? "").trim();
  if (source === "") return { source, matches: () => true, extract: () => ({}) };
  if (source.startsWith("{")) return jsonPattern(source);
  if (source.startsWith("[")) return spacePattern(source);
  return termsPattern(source);
}

// ---------------------------------------------------------------------------------------------
// Value comparisons shared by the JSON and space-delimited forms

type Op = "=" | "!=" | "<" | ">" | "<=" | ">=";

type Literal = { kind: "string"; value: string } | { kind: "number"; value: number } | { kind: "regex"; re: RegExp };

function wildcardRegex(text: string): RegExp {
  const escaped = text.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`, "s");
}

function compare(actual: unknown, op: Op, lit: Literal): boolean {
  if (lit.kind === "number") {
    const n = typeof actual === "number" ? actual : typeof actual === "string" && actual.trim() !== "" ? Number(actual) : NaN;
    if (Number.isNaN(n)) return op === "!=";
    switch (op) {
      case "=":
        return n === lit.value;
      case "!=":
        return n !== lit.value;
      case "<":
        return n < lit.value;
      case ">":
        return n > lit.value;
      case "<=":
        return n <= lit.value;
      case ">=":
        return n >= lit.value;
    }
  }
  if (actual === undefined || actual === null || typeof actual === "object") return op === "!=";
  const text = String(actual);
  const hit = lit.kind === "regex" ? lit.re.test(text) : lit.value.includes("*") ? wildcardRegex(lit.value).test(text) : text === lit.value;
  if (op === "=") return hit;
  if (op === "!=") return !hit;
  throw new FilterPatternError(`Invalid filter pattern: operator ${op} needs a number`);
}

// ---------------------------------------------------------------------------------------------
// Tokenizer for the structured forms

type Tok = { t: "word" | "string" | "op" | "punct"; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let v = "";
      while (j < src.length && src[j] !== '"') {
        if (src[j] === "\\" && j + 1 < src.length) j++;
        v += src[j];
        j++;
      }
      if (j >= src.length) throw new FilterPatternError("Invalid filter pattern: unterminated quoted string");
      out.push({ t: "string", v });
      i = j + 1;
      continue;
    }
    if (c === "%") {
      const j = src.indexOf("%", i + 1);
      if (j === -1) throw new FilterPatternError("Invalid filter pattern: unterminated regular expression");
      out.push({ t: "word", v: src.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === "&&" || two === "||" || two === "!=" || two === "<=" || two === ">=") {
      out.push({ t: "op", v: two });
      i += 2;
      continue;
    }
    if (c === "=" || c === "<" || c === ">") {
      out.push({ t: "op", v: c });
      i++;
      continue;
    }
    if ("{}()[],".includes(c)) {
      out.push({ t: "punct", v: c });
      i++;
      continue;
    }
    let j = i;
    while (j < src.length && !/\s/.test(src[j]!) && !'{}()[],=<>!&|"'.includes(src[j]!)) j++;
    if (j === i) throw new FilterPatternError(`Invalid filter pattern: unexpected character '${c}'`);
    out.push({ t: "word", v: src.slice(i, j) });
    i = j;
  }
  return out;
}

class Cursor {
  i = 0;
  constructor(readonly toks: Tok[]) {}
  peek(): Tok | undefined {
    return this.toks[this.i];
  }
  next(): Tok {
    const t = this.toks[this.i++];
    if (!t) throw new FilterPatternError("Invalid filter pattern: unexpected end");
    return t;
  }
  is(v: string): boolean {
    const t = this.peek();
    return !!t && (t.t === "punct" || t.t === "op") && t.v === v;
  }
  expect(v: string): void {
    const t = this.next();
    if (t.v !== v || t.t === "string") throw new FilterPatternError(`Invalid filter pattern: expected '${v}' but found '${t.v}'`);
  }
}

function literalOf(tok: Tok): Literal {
  if (tok.t === "string") return { kind: "string", value: tok.v };
  if (tok.t !== "word") throw new FilterPatternError(`Invalid filter pattern: expected a value but found '${tok.v}'`);
  if (tok.v.length > 1 && tok.v.startsWith("%") && tok.v.endsWith("%")) {
    try {
      return { kind: "regex", re: new RegExp(tok.v.slice(1, -1)) };
    } catch {
      throw new FilterPatternError(`Invalid filter pattern: bad regular expression ${tok.v}`);
    }
  }
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(tok.v)) return { kind: "number", value: Number(tok.v) };
  return { kind: "string", value: tok.v };
}

// ---------------------------------------------------------------------------------------------
// JSON patterns

type Step = { key: string } | { index: number };
type JsonExpr =
  | { kind: "and"; left: JsonExpr; right: JsonExpr }
  | { kind: "or"; left: JsonExpr; right: JsonExpr }
  | { kind: "cmp"; path: Step[]; name: string; op: Op; lit: Literal }
  | { kind: "is"; path: Step[]; what: "null" | "true" | "false" | "not-exists" };

function parseSelector(text: string): Step[] {
  if (!text.startsWith("$")) throw new FilterPatternError(`Invalid filter pattern: selector must start with $. (found '${text}')`);
  const steps: Step[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]/gy;
  re.lastIndex = 1;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text))) {
    if (m[1] !== undefined) {
      if (m[1] === "*") throw new FilterPatternError("Invalid filter pattern: wildcard selectors are not supported");
      steps.push({ key: m[1] });
    } else steps.push({ index: Number(m[2]) });
  }
  if (re.lastIndex !== text.length && text.length > 1) throw new FilterPatternError(`Invalid filter pattern: bad selector '${text}'`);
  return steps;
}

function select(doc: unknown, path: Step[]): { found: boolean; value?: unknown } {
  let cur: unknown = doc;
  for (const s of path) {
    if ("key" in s) {
      if (cur === null || typeof cur !== "object" || Array.isArray(cur) || !(s.key in (cur as object))) return { found: false };
      cur = (cur as Record<string, unknown>)[s.key];
    } else {
      if (!Array.isArray(cur) || s.index >= cur.length) return { found: false };
      cur = cur[s.index];
    }
  }
  return { found: true, value: cur };
}

function jsonPattern(source: string): FilterPattern {
  const toks = tokenize(source);
  const c = new Cursor(toks);
  c.expect("{");
  const expr = parseJsonOr(c);
  c.expect("}");
  if (c.peek()) throw new FilterPatternError(`Invalid filter pattern: unexpected '${c.peek()!.v}' after '}'`);
  const evalExpr = (e: JsonExpr, doc: unknown): boolean => {
    switch (e.kind) {
      case "and":
        return evalExpr(e.left, doc) && evalExpr(e.right, doc);
      case "or":
        return evalExpr(e.left, doc) || evalExpr(e.right, doc);
      case "is": {
        const r = select(doc, e.path);
        if (e.what === "not-exists") return !r.found;
        if (!r.found) return false;
        return e.what === "null" ? r.value === null : r.value === (e.what === "true");
      }
      case "cmp": {
        const r = select(doc, e.path);
        if (!r.found) return false;
        return compare(r.value, e.op, e.lit);
      }
    }
  };
  const parse = (message: string): unknown => {
    const t = message.trimStart();
    if (!t.startsWith("{")) return undefined;
    try {
      return JSON.parse(message);
    } catch {
      return undefined;
    }
  };
  const names = new Map<string, Step[]>();
  const collect = (e: JsonExpr) => {
    if (e.kind === "and" || e.kind === "or") {
      collect(e.left);
      collect(e.right);
    } else if (e.kind === "cmp") names.set(e.name, e.path);
  };
  collect(expr);
  return {
    source,
    matches(message) {
      const doc = parse(message);
      return doc !== undefined && evalExpr(expr, doc);
    },
    extract(message) {
      const doc = parse(message);
      if (doc === undefined || !evalExpr(expr, doc)) return undefined;
      const out: Record<string, string | number | boolean | null> = {};
      for (const [name, path] of names) {
        const r = select(doc, path);
        if (r.found && (r.value === null || typeof r.value !== "object")) out[name] = r.value as string | number | boolean | null;
      }
      return out;
    },
  };
}

function parseJsonOr(c: Cursor): JsonExpr {
  let left = parseJsonAnd(c);
  while (c.is("||")) {
    c.next();
    left = { kind: "or", left, right: parseJsonAnd(c) };
  }
  return left;
}

function parseJsonAnd(c: Cursor): JsonExpr {
  let left = parseJsonAtom(c);
  while (c.is("&&")) {
    c.next();
    left = { kind: "and", left, right: parseJsonAtom(c) };
  }
  return left;
}

function parseJsonAtom(c: Cursor): JsonExpr {
  if (c.is("(")) {
    c.next();
    const e = parseJsonOr(c);
    c.expect(")");
    return e;
  }
  const sel = c.next();
  if (sel.t !== "word") throw new FilterPatternError(`Invalid filter pattern: expected a selector but found '${sel.v}'`);
  let name = sel.v;
  // `$.a[0]` tokenizes as `$.a` `[` `0` `]`: glue index steps back on.
  while (c.is("[")) {
    c.next();
    const idx = c.next();
    c.expect("]");
    name += `[${idx.v}]`;
  }
  const path = parseSelector(name);
  const t = c.next();
  if (t.t === "word" && t.v.toUpperCase() === "IS") {
    const w = c.next();
    const what = w.v.toUpperCase();
    if (what === "NULL" || what === "TRUE" || what === "FALSE") return { kind: "is", path, what: what.toLowerCase() as "null" | "true" | "false" };
    throw new FilterPatternError(`Invalid filter pattern: IS must be followed by NULL, TRUE or FALSE`);
  }
  if (t.t === "word" && t.v.toUpperCase() === "NOT") {
    const w = c.next();
    if (w.v.toUpperCase() !== "EXISTS") throw new FilterPatternError("Invalid filter pattern: NOT must be followed by EXISTS");
    return { kind: "is", path, what: "not-exists" };
  }
  if (t.t !== "op" || t.v === "&&" || t.v === "||") throw new FilterPatternError(`Invalid filter pattern: expected an operator after ${name}`);
  const lit = literalOf(c.next());
  const op = t.v as Op;
  if ((op === "<" || op === ">" || op === "<=" || op === ">=") && lit.kind !== "number") {
    throw new FilterPatternError(`Invalid filter pattern: operator ${op} needs a number`);
  }
  return { kind: "cmp", path, name: name.replace(/^\$\.?/, ""), op, lit };
}

// ---------------------------------------------------------------------------------------------
// Space-delimited patterns

type FieldCond =
  | { kind: "and"; left: FieldCond; right: FieldCond }
  | { kind: "or"; left: FieldCond; right: FieldCond }
  | { kind: "cmp"; field: string; op: Op; lit: Literal };
type Field = { ellipsis: true } | { ellipsis?: false; name: string; cond?: FieldCond };

/** Split a log line into fields: spaces separate, `"..."` and `[...]` group. */
export function splitFields(message: string): string[] {
  const out: string[] = [];
  let i = 0;
  const s = message;
  while (i < s.length) {
    while (i < s.length && s[i] === " ") i++;
    if (i >= s.length) break;
    if (s[i] === '"' || s[i] === "[") {
      const close = s[i] === '"' ? '"' : "]";
      const j = s.indexOf(close, i + 1);
      if (j !== -1) {
        out.push(s.slice(i + 1, j));
        i = j + 1;
        continue;
      }
    }
    let j = i;
    while (j < s.length && s[j] !== " ") j++;
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

function spacePattern(source: string): FilterPattern {
  const c = new Cursor(tokenize(source));
  c.expect("[");
  const fields: Field[] = [];
  if (!c.is("]")) {
    for (;;) {
      const t = c.next();
      if (t.t === "word" && t.v === "...") fields.push({ ellipsis: true });
      else if (t.t === "word") {
        let cond: FieldCond | undefined;
        if (c.peek()?.t === "op" && c.peek()!.v !== "&&" && c.peek()!.v !== "||") {
          c.i--;
          cond = parseFieldOr(c);
        }
        fields.push({ name: t.v, ...(cond ? { cond } : {}) });
      } else throw new FilterPatternError(`Invalid filter pattern: expected a field name but found '${t.v}'`);
      if (c.is(",")) {
        c.next();
        continue;
      }
      break;
    }
  }
  c.expect("]");
  if (c.peek()) throw new FilterPatternError(`Invalid filter pattern: unexpected '${c.peek()!.v}' after ']'`);
  if (fields.filter((f) => f.ellipsis).length > 1) throw new FilterPatternError("Invalid filter pattern: only one ... is allowed");

  const bind = (message: string): Record<string, string> | undefined => {
    const values = splitFields(message);
    const at = fields.findIndex((f) => f.ellipsis);
    const named = fields.filter((f): f is Extract<Field, { name: string }> => !f.ellipsis);
    const out: Record<string, string> = {};
    if (at === -1) {
      if (values.length !== fields.length) return undefined;
      named.forEach((f, i) => (out[f.name] = values[i]!));
    } else {
      const before = fields.slice(0, at) as Extract<Field, { name: string }>[];
      const after = fields.slice(at + 1) as Extract<Field, { name: string }>[];
      if (values.length < before.length + after.length) return undefined;
      before.forEach((f, i) => (out[f.name] = values[i]!));
      after.forEach((f, i) => (out[f.name] = values[values.length - after.length + i]!));
    }
    return out;
  };
  const evalCond = (e: FieldCond, vals: Record<string, string>): boolean => {
    if (e.kind === "and") return evalCond(e.left, vals) && evalCond(e.right, vals);
    if (e.kind === "or") return evalCond(e.left, vals) || evalCond(e.right, vals);
    return compare(vals[e.field], e.op, e.lit);
  };
  const test = (message: string) => {
    const vals = bind(message);
    if (!vals) return undefined;
    for (const f of fields) if (!f.ellipsis && f.cond && !evalCond(f.cond, vals)) return undefined;
    return vals;
  };
  return {
    source,
    matches: (m) => test(m) !== undefined,
    extract: (m) => {
      const vals = test(m);
      if (!vals) return undefined;
      const out: Record<string, string | number> = {};
      for (const [k, v] of Object.entries(vals)) out[k] = v;
      return out;
    },
  };
}

function parseFieldOr(c: Cursor): FieldCond {
  let left = parseFieldAnd(c);
  while (c.is("||")) {
    c.next();
    left = { kind: "or", left, right: parseFieldAnd(c) };
  }
  return left;
}

function parseFieldAnd(c: Cursor): FieldCond {
  let left = parseFieldCmp(c);
  while (c.is("&&")) {
    c.next();
    left = { kind: "and", left, right: parseFieldCmp(c) };
  }
  return left;
}

function parseFieldCmp(c: Cursor): FieldCond {
  const f = c.next();
  if (f.t !== "word") throw new FilterPatternError(`Invalid filter pattern: expected a field name but found '${f.v}'`);
  const op = c.next();
  if (op.t !== "op" || op.v === "&&" || op.v === "||") throw new FilterPatternError(`Invalid filter pattern: expected an operator after ${f.v}`);
  const lit = literalOf(c.next());
  if ((op.v === "<" || op.v === ">" || op.v === "<=" || op.v === ">=") && lit.kind !== "number") {
    throw new FilterPatternError(`Invalid filter pattern: operator ${op.v} needs a number`);
  }
  return { kind: "cmp", field: f.v, op: op.v as Op, lit };
}

// ---------------------------------------------------------------------------------------------
// Unstructured terms

function termsPattern(source: string): FilterPattern {
  const required: ((m: string) => boolean)[] = [];
  let requiredText: string | undefined;
  const optional: ((m: string) => boolean)[] = [];
  const excluded: ((m: string) => boolean)[] = [];
  let i = 0;
  while (i < source.length) {
    while (i < source.length && /\s/.test(source[i]!)) i++;
    if (i >= source.length) break;
    let prefix: "" | "?" | "-" = "";
    if (source[i] === "?" || source[i] === "-") {
      prefix = source[i] as "?" | "-";
      i++;
    }
    let test: (m: string) => boolean;
    if (source[i] === '"') {
      const j = source.indexOf('"', i + 1);
      if (j === -1) throw new FilterPatternError("Invalid filter pattern: unterminated quoted string");
      const phrase = source.slice(i + 1, j);
      test = (m) => m.includes(phrase);
      if (prefix === "" && phrase.length > (requiredText?.length ?? 0)) requiredText = phrase;
      i = j + 1;
    } else if (source[i] === "%") {
      const j = source.indexOf("%", i + 1);
      if (j === -1) throw new FilterPatternError("Invalid filter pattern: unterminated regular expression");
      let re: RegExp;
      try {
        re = new RegExp(source.slice(i + 1, j));
      } catch {
        throw new FilterPatternError("Invalid filter pattern: bad regular expression");
      }
      test = (m) => re.test(m);
      i = j + 1;
    } else {
      let j = i;
      while (j < source.length && !/\s/.test(source[j]!)) j++;
      const term = source.slice(i, j);
      if (term === "") throw new FilterPatternError("Invalid filter pattern: empty term");
      test = (m) => m.includes(term);
      if (prefix === "" && term.length > (requiredText?.length ?? 0)) requiredText = term;
      i = j;
    }
    (prefix === "?" ? optional : prefix === "-" ? excluded : required).push(test);
  }
  const matches = (m: string) =>
    required.every((t) => t(m)) && (optional.length === 0 || optional.some((t) => t(m))) && !excluded.some((t) => t(m));
  return { source, matches, extract: (m) => (matches(m) ? {} : undefined), ...(requiredText ? { requiredText } : {}) };
}
