/**
 * CloudWatch Logs Insights query language, pure: `compileQuery(text)` parses a query (or throws
 * `QueryError` with a message naming what is wrong and where) and `runQuery(query, events)` runs it
 * over log events, giving rows of `{field, value}` the way GetQueryResults renders them.
 *
 * Commands: `fields`, `display`, `filter`, `parse` (glob with `*`, or a regex with named groups),
 * `stats` (count, count_distinct, sum, avg, min, max, pct, earliest, latest; `by` expressions
 * including `bin(5m)`), `sort ... asc|desc`, `limit`, `dedup`. Expressions: comparisons,
 * arithmetic, `like` / `=~` (string or regex), `in [...]`, `and` / `or` / `not`, functions
 * strlen, tolower, toupper, concat, ispresent, abs, floor, ceil, bin. Built-in fields @timestamp,
 * @message, @logStream, @log, @ingestionTime; JSON messages are discovered as dotted fields.
 */

export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueryError";
  }
}

export type Value = string | number | undefined;
export type Row = Record<string, Value>;

export interface InsightsEvent {
  timestamp: number;
  message: string;
  logStream: string;
  /** `account:group`, as @log shows it. */
  log: string;
  ingestionTime: number;
  ptr?: string;
}

// ---- tokens -----------------------------------------------------------------------------

type Tok =
  | { k: "id"; v: string; at: number }
  | { k: "num"; v: number; at: number }
  | { k: "dur"; v: number; at: number }
  | { k: "str"; v: string; at: number }
  | { k: "re"; v: RegExp; at: number }
  | { k: "op"; v: string; at: number };

const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

function tokenize(src: string, base: number, parseMode = false): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const at = base + i;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let s = "";
      while (j < src.length && src[j] !== c) {
        if (src[j] === "\\" && j + 1 < src.length) {
          s += src[j + 1];
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new QueryError(`Unterminated string literal at position ${at + 1}`);
      out.push({ k: "str", v: s, at });
      i = j + 1;
      continue;
    }
    if (c === "`") {
      const j = src.indexOf("`", i + 1);
      if (j < 0) throw new QueryError(`Unterminated quoted field name at position ${at + 1}`);
      out.push({ k: "id", v: src.slice(i + 1, j), at });
      i = j + 1;
      continue;
    }
    if (c === "/") {
      // A regex literal where an operand is expected; division otherwise.
      const prev = out[out.length - 1];
      const operand =
        !prev || (prev.k === "op" && prev.v !== ")" && prev.v !== "]") || (prev.k === "id" && ["like", "and", "or", "not"].includes(prev.v.toLowerCase())) || (parseMode && out.length === 1);
      if (operand) {
        let j = i + 1;
        while (j < src.length && src[j] !== "/") j += src[j] === "\\" ? 2 : 1;
        if (j >= src.length) throw new QueryError(`Unterminated regular expression at position ${at + 1}`);
        const body = src.slice(i + 1, j);
        let k = j + 1;
        let flags = "";
        while (k < src.length && /[a-z]/.test(src[k]!)) flags += src[k++];
        try {
          out.push({ k: "re", v: new RegExp(body, flags.replace(/[^ims]/g, "")), at });
        } catch (e) {
          throw new QueryError(`Invalid regular expression /${body}/: ${(e as Error).message}`);
        }
        i = k;
        continue;
      }
    }
    const num = /^\d+(\.\d+)?(ms|s|m|h|d|w)?(?![\w@.])/.exec(src.slice(i));
    if (num) {
      if (num[2]) out.push({ k: "dur", v: Number(num[0].slice(0, -num[2].length)) * DURATION_MS[num[2]]!, at });
      else out.push({ k: "num", v: Number(num[0]), at });
      i += num[0].length;
      continue;
    }
    const id = /^[@A-Za-z_][\w@.$-]*/.exec(src.slice(i));
    if (id) {
      // A trailing '-' belongs to an operator, not the name.
      let name = id[0];
      while (name.endsWith("-") || name.endsWith(".")) name = name.slice(0, -1);
      out.push({ k: "id", v: name, at });
      i += name.length;
      continue;
    }
    const op = /^(=~|!=|<=|>=|==|[=<>+\-*/%(),[\]!])/.exec(src.slice(i));
    if (op) {
      out.push({ k: "op", v: op[0], at });
      i += op[0].length;
      continue;
    }
    throw new QueryError(`Unexpected character '${c}' at position ${at + 1}`);
  }
  return out;
}

// ---- expressions ------------------------------------------------------------------------

export type Expr =
  | { t: "field"; name: string }
  | { t: "lit"; v: Value }
  | { t: "re"; v: RegExp }
  | { t: "list"; items: Expr[] }
  | { t: "call"; fn: string; args: Expr[]; dur?: number }
  | { t: "un"; op: string; e: Expr }
  | { t: "bin"; op: string; l: Expr; r: Expr };

const FUNCTIONS = new Set(["strlen", "tolower", "toupper", "concat", "ispresent", "abs", "floor", "ceil", "bin", "trim", "isempty", "isblank", "coalesce"]);
const AGGREGATES = new Set(["count", "count_distinct", "sum", "avg", "min", "max", "pct", "earliest", "latest"]);

class Parser {
  i = 0;
  constructor(
    readonly toks: Tok[],
    readonly allowAgg = false,
  ) {}
  peek(): Tok | undefined {
    return this.toks[this.i];
  }
  isOp(v: string) {
    const t = this.peek();
    return t?.k === "op" && t.v === v;
  }
  isWord(v: string) {
    const t = this.peek();
    return t?.k === "id" && t.v.toLowerCase() === v;
  }
  expectOp(v: string) {
    const t = this.peek();
    if (t?.k !== "op" || t.v !== v) throw new QueryError(`Expected '${v}' ${t ? `at position ${t.at + 1}` : "at the end of the command"}`);
    this.i++;
  }
  done() {
    return this.i >= this.toks.length;
  }
  expr(): Expr {
    return this.or();
  }
  or(): Expr {
    let l = this.and();
    while (this.isWord("or") || this.isOp("||")) {
      this.i++;
      l = { t: "bin", op: "or", l, r: this.and() };
    }
    return l;
  }
  and(): Expr {
    let l = this.not();
    while (this.isWord("and")) {
      this.i++;
      l = { t: "bin", op: "and", l, r: this.not() };
    }
    return l;
  }
  not(): Expr {
    if (this.isWord("not") || this.isOp("!")) {
      this.i++;
      return { t: "un", op: "not", e: this.not() };
    }
    return this.cmp();
  }
  cmp(): Expr {
    const l = this.add();
    const t = this.peek();
    if (t?.k === "op" && ["=", "==", "!=", "<", "<=", ">", ">=", "=~"].includes(t.v)) {
      this.i++;
      return { t: "bin", op: t.v === "==" ? "=" : t.v, l, r: this.add() };
    }
    if (this.isWord("like")) {
      this.i++;
      return { t: "bin", op: "like", l, r: this.add() };
    }
    if (this.isWord("not") && this.toks[this.i + 1]?.k === "id" && ["like", "in"].includes((this.toks[this.i + 1] as { v: string }).v.toLowerCase())) {
      this.i++;
      return { t: "un", op: "not", e: this.cmpRest(l) };
    }
    if (this.isWord("in")) return this.cmpRest(l);
    return l;
  }
  cmpRest(l: Expr): Expr {
    if (this.isWord("like")) {
      this.i++;
      return { t: "bin", op: "like", l, r: this.add() };
    }
    this.i++; // in
    this.expectOp("[");
    const items: Expr[] = [];
    while (!this.isOp("]")) {
      items.push(this.add());
      if (!this.isOp("]")) this.expectOp(",");
    }
    this.i++;
    return { t: "bin", op: "in", l, r: { t: "list", items } };
  }
  add(): Expr {
    let l = this.mul();
    while (this.isOp("+") || this.isOp("-")) {
      const op = (this.toks[this.i++] as { v: string }).v;
      l = { t: "bin", op, l, r: this.mul() };
    }
    return l;
  }
  mul(): Expr {
    let l = this.unary();
    while (this.isOp("*") || this.isOp("/") || this.isOp("%")) {
      const op = (this.toks[this.i++] as { v: string }).v;
      l = { t: "bin", op, l, r: this.unary() };
    }
    return l;
  }
  unary(): Expr {
    if (this.isOp("-")) {
      this.i++;
      return { t: "un", op: "-", e: this.unary() };
    }
    return this.primary();
  }
  primary(): Expr {
    const t = this.peek();
    if (!t) throw new QueryError("Unexpected end of query: an expression was expected");
    this.i++;
    if (t.k === "num") return { t: "lit", v: t.v };
    if (t.k === "str") return { t: "lit", v: t.v };
    if (t.k === "re") return { t: "re", v: t.v };
    if (t.k === "dur") throw new QueryError(`A time period is only allowed in bin(), at position ${t.at + 1}`);
    if (t.k === "op" && t.v === "(") {
      const e = this.expr();
      this.expectOp(")");
      return e;
    }
    if (t.k === "id") {
      if (this.isOp("(")) {
        const fn = t.v.toLowerCase();
        const agg = AGGREGATES.has(fn);
        if (!FUNCTIONS.has(fn) && !agg) throw new QueryError(`Unknown function '${t.v}' at position ${t.at + 1}`);
        if (agg && !this.allowAgg) throw new QueryError(`The aggregate function '${t.v}' is only allowed in a stats command (position ${t.at + 1})`);
        this.i++;
        const args: Expr[] = [];
        let dur: number | undefined;
        while (!this.isOp(")")) {
          const a = this.peek();
          if (fn === "bin" && a?.k === "dur") {
            dur = a.v;
            this.i++;
          } else if (agg && fn === "count" && a?.k === "op" && a.v === "*") {
            this.i++;
          } else args.push(this.expr());
          if (!this.isOp(")")) this.expectOp(",");
        }
        this.i++;
        if (fn === "bin" && (dur === undefined || dur <= 0)) throw new QueryError(`bin() needs a time period such as bin(5m) (position ${t.at + 1})`);
        if (fn === "pct" && (args.length !== 2 || args[1]!.t !== "lit")) throw new QueryError(`pct() needs a field and a percentile, e.g. pct(latency, 99) (position ${t.at + 1})`);
        return { t: "call", fn, args, ...(dur !== undefined ? { dur } : {}) };
      }
      return { t: "field", name: t.v };
    }
    throw new QueryError(`Unexpected '${t.v}' at position ${t.at + 1}`);
  }
}

// ---- commands ---------------------------------------------------------------------------

interface Named {
  expr: Expr;
  name: string;
}

export type Command =
  | { c: "fields"; items: Named[] }
  | { c: "display"; items: Named[] }
  | { c: "filter"; e: Expr }
  | { c: "parse"; source: Expr; re: RegExp; names: string[] }
  | { c: "stats"; aggs: Named[]; by: Named[] }
  | { c: "sort"; keys: { name: string; desc: boolean }[] }
  | { c: "limit"; n: number }
  | { c: "dedup"; fields: string[] };

export interface CompiledQuery {
  commands: Command[];
}

function exprName(e: Expr): string {
  switch (e.t) {
    case "field":
      return e.name;
    case "lit":
      return typeof e.v === "string" ? `"${e.v}"` : String(e.v);
    case "re":
      return String(e.v);
    case "list":
      return `[${e.items.map(exprName).join(",")}]`;
    case "call":
      return `${e.fn}(${e.fn === "count" && e.args.length === 0 ? "*" : [...e.args.map(exprName), ...(e.dur !== undefined ? [durName(e.dur)] : [])].join(",")})`;
    case "un":
      return e.op === "not" ? `not ${exprName(e.e)}` : `-${exprName(e.e)}`;
    case "bin":
      return `${exprName(e.l)}${e.op}${exprName(e.r)}`;
  }
}

function durName(ms: number): string {
  for (const [u, n] of [["w", 604_800_000], ["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) if (ms % n === 0) return `${ms / n}${u}`;
  return `${ms}ms`;
}

function namedList(p: Parser, allowAgg: boolean, stopWord?: string): Named[] {
  const items: Named[] = [];
  for (;;) {
    const e = p.expr();
    let name = exprName(e);
    if (p.isWord("as")) {
      p.i++;
      const t = p.peek();
      if (t?.k !== "id") throw new QueryError(`Expected a name after 'as'${t ? ` at position ${t.at + 1}` : ""}`);
      name = t.v;
      p.i++;
    }
    if (!allowAgg && containsAgg(e)) throw new QueryError(`Aggregate functions are only allowed in a stats command: ${name}`);
    items.push({ expr: e, name });
    if (p.isOp(",")) {
      p.i++;
      continue;
    }
    if (p.done() || (stopWord && p.isWord(stopWord))) return items;
    const t = p.peek()!;
    throw new QueryError(`Unexpected '${String(t.v)}' at position ${t.at + 1}`);
  }
}

function containsAgg(e: Expr): boolean {
  switch (e.t) {
    case "call":
      return AGGREGATES.has(e.fn) || e.args.some(containsAgg);
    case "un":
      return containsAgg(e.e);
    case "bin":
      return containsAgg(e.l) || containsAgg(e.r);
    case "list":
      return e.items.some(containsAgg);
    default:
      return false;
  }
}

/** Split the query into commands at `|` outside quotes and regexes. */
function splitCommands(q: string): { text: string; at: number }[] {
  const parts: { text: string; at: number }[] = [];
  let start = 0;
  let quote: string | undefined;
  for (let i = 0; i < q.length; i++) {
    const c = q[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "/" && /(^\s*parse\s+\S+|\blike|=~|[(,])\s*$/i.test(q.slice(start, i))) {
      // A regex literal: its slashes and bars are not command separators.
      let j = i + 1;
      while (j < q.length && q[j] !== "/" && q[j] !== "\n") j += q[j] === "\\" ? 2 : 1;
      if (q[j] === "/") i = j;
    } else if (c === "|") {
      parts.push({ text: q.slice(start, i), at: start });
      start = i + 1;
    }
  }
  parts.push({ text: q.slice(start), at: start });
  return parts;
}

function globToRegex(glob: string): { re: RegExp; count: number } {
  const pieces = glob.split("*");
  const body = pieces.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("(.*?)");
  return { re: new RegExp(body + (glob.endsWith("*") ? "$" : ""), "s"), count: pieces.length - 1 };
}

export function compileQuery(text: string): CompiledQuery {
  const stripped = text.replace(/(^|\n)\s*#[^\n]*/g, "$1");
  if (stripped.trim() === "") throw new QueryError("The query string is empty");
  const commands: Command[] = [];
  for (const part of splitCommands(stripped)) {
    const m = /^\s*([A-Za-z_]+)/.exec(part.text);
    if (!m) throw new QueryError(`Expected a command at position ${part.at + 1}`);
    const name = m[1]!.toLowerCase();
    const rest = part.text.slice(m[0].length);
    const restAt = part.at + m[0].length;
    const toks = tokenize(rest, restAt, name === "parse");
    switch (name) {
      case "fields":
      case "display": {
        if (toks.length === 0) throw new QueryError(`${name} needs at least one field`);
        commands.push({ c: name, items: namedList(new Parser(toks), false) });
        break;
      }
      case "filter": {
        if (toks.length === 0) throw new QueryError("filter needs an expression");
        const p = new Parser(toks);
        const e = p.expr();
        if (!p.done()) throw new QueryError(`Unexpected '${String(p.peek()!.v)}' at position ${p.peek()!.at + 1}`);
        if (containsAgg(e)) throw new QueryError("Aggregate functions are not allowed in filter");
        commands.push({ c: "filter", e });
        break;
      }
      case "parse": {
        const p = new Parser(toks);
        const source = p.primary();
        const pat = p.peek();
        p.i++;
        if (pat?.k === "re") {
          const names = [...pat.v.source.matchAll(/\(\?<([A-Za-z_]\w*)>/g)].map((x) => x[1]!);
          if (names.length === 0) throw new QueryError("A parse regular expression needs at least one named group, e.g. (?<name>...)");
          if (!p.done()) throw new QueryError(`Unexpected '${String(p.peek()!.v)}' at position ${p.peek()!.at + 1}`);
          commands.push({ c: "parse", source, re: pat.v, names });
        } else if (pat?.k === "str") {
          const { re, count } = globToRegex(pat.v);
          if (!p.isWord("as")) throw new QueryError("parse with a glob pattern needs 'as' and one field name per '*'");
          p.i++;
          const names: string[] = [];
          while (!p.done()) {
            const t = p.peek()!;
            if (t.k !== "id") throw new QueryError(`Expected a field name at position ${t.at + 1}`);
            names.push(t.v);
            p.i++;
            if (!p.done()) p.expectOp(",");
          }
          if (names.length !== count) throw new QueryError(`parse pattern has ${count} '*' but ${names.length} field names follow 'as'`);
          commands.push({ c: "parse", source, re, names });
        } else throw new QueryError("parse needs a field, then a quoted glob pattern or a /regular expression/");
        break;
      }
      case "stats": {
        const p = new Parser(toks, true);
        const aggs = namedList(p, true, "by");
        for (const a of aggs) if (!containsAgg(a.expr)) throw new QueryError(`stats needs an aggregate function such as count(*), got ${a.name}`);
        let by: Named[] = [];
        if (p.isWord("by")) {
          p.i++;
          by = namedList(p, false);
        }
        commands.push({ c: "stats", aggs, by });
        break;
      }
      case "sort": {
        const keys: { name: string; desc: boolean }[] = [];
        const p = new Parser(toks);
        while (!p.done()) {
          const e = p.primary();
          let desc = true;
          if (p.isWord("asc") || p.isWord("desc")) desc = (p.toks[p.i++] as { v: string }).v.toLowerCase() === "desc";
          keys.push({ name: exprName(e), desc });
          if (!p.done()) p.expectOp(",");
        }
        if (keys.length === 0) throw new QueryError("sort needs a field");
        commands.push({ c: "sort", keys });
        break;
      }
      case "limit": {
        const t = toks[0];
        if (toks.length !== 1 || t?.k !== "num" || !Number.isInteger(t.v) || t.v < 1 || t.v > 10_000) throw new QueryError("limit needs a whole number from 1 to 10000");
        commands.push({ c: "limit", n: t.v });
        break;
      }
      case "dedup": {
        const names = namedList(new Parser(toks), false).map((n) => n.name);
        if (names.length === 0) throw new QueryError("dedup needs at least one field");
        commands.push({ c: "dedup", fields: names });
        break;
      }
      default:
        throw new QueryError(`Unknown command '${m[1]}' at position ${part.at + 1 + (m[0].length - m[1]!.length)}`);
    }
  }
  return { commands };
}

// ---- evaluation -------------------------------------------------------------------------

const num = (v: Value): number | undefined => {
  if (typeof v === "number") return v;
  if (v === undefined || v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isNaN(n) ? undefined : n;
};

function compare(a: Value, b: Value): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  const na = num(a);
  const nb = num(b);
  if (na !== undefined && nb !== undefined) return na - nb;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

const truthy = (v: Value) => v !== undefined && v !== 0 && v !== "" && v !== "false";

function likeMatch(v: Value, pattern: Expr, row: Row): boolean {
  if (v === undefined) return false;
  const s = String(v);
  if (pattern.t === "re") return pattern.v.test(s);
  const p = evaluate(pattern, row);
  return p !== undefined && s.includes(String(p));
}

export function evaluate(e: Expr, row: Row): Value {
  switch (e.t) {
    case "field":
      return row[e.name];
    case "lit":
      return e.v;
    case "re":
      return String(e.v);
    case "list":
      return undefined;
    case "un": {
      if (e.op === "not") return truthy(evaluate(e.e, row)) ? 0 : 1;
      const n = num(evaluate(e.e, row));
      return n === undefined ? undefined : -n;
    }
    case "bin": {
      if (e.op === "and") return truthy(evaluate(e.l, row)) && truthy(evaluate(e.r, row)) ? 1 : 0;
      if (e.op === "or") return truthy(evaluate(e.l, row)) || truthy(evaluate(e.r, row)) ? 1 : 0;
      const l = evaluate(e.l, row);
      if (e.op === "like" || e.op === "=~") return likeMatch(l, e.r, row) ? 1 : 0;
      if (e.op === "in") return l !== undefined && (e.r as { items: Expr[] }).items.some((i) => compare(l, evaluate(i, row)) === 0) ? 1 : 0;
      const r = evaluate(e.r, row);
      if (["+", "-", "*", "/", "%"].includes(e.op)) {
        const a = num(l);
        const b = num(r);
        if (a === undefined || b === undefined) return undefined;
        if (e.op === "+") return a + b;
        if (e.op === "-") return a - b;
        if (e.op === "*") return a * b;
        if (b === 0) return undefined;
        return e.op === "/" ? a / b : a % b;
      }
      const c = compare(l, r);
      if (c === undefined) return 0;
      const ok = e.op === "=" ? c === 0 : e.op === "!=" ? c !== 0 : e.op === "<" ? c < 0 : e.op === "<=" ? c <= 0 : e.op === ">" ? c > 0 : c >= 0;
      return ok ? 1 : 0;
    }
    case "call": {
      const a = e.args.map((x) => evaluate(x, row));
      switch (e.fn) {
        case "strlen":
          return a[0] === undefined ? undefined : String(a[0]).length;
        case "tolower":
          return a[0] === undefined ? undefined : String(a[0]).toLowerCase();
        case "toupper":
          return a[0] === undefined ? undefined : String(a[0]).toUpperCase();
        case "trim":
          return a[0] === undefined ? undefined : String(a[0]).trim();
        case "concat":
          return a.map((x) => (x === undefined ? "" : String(x))).join("");
        case "ispresent":
          return a[0] !== undefined ? 1 : 0;
        case "isempty":
          return a[0] === undefined || a[0] === "" ? 1 : 0;
        case "isblank":
          return a[0] === undefined || String(a[0]).trim() === "" ? 1 : 0;
        case "coalesce":
          return a.find((x) => x !== undefined);
        case "abs":
        case "floor":
        case "ceil": {
          const n = num(a[0]);
          return n === undefined ? undefined : Math[e.fn](n);
        }
        case "bin": {
          const ts = num(e.args.length > 0 ? a[0] : row["@timestamp"]);
          return ts === undefined ? undefined : Math.floor(ts / e.dur!) * e.dur!;
        }
        default:
          throw new QueryError(`The aggregate function '${e.fn}' is only allowed in a stats command`);
      }
    }
  }
}

// ---- aggregation ------------------------------------------------------------------------

interface AggState {
  count: number;
  sum: number;
  min?: Value;
  max?: Value;
  values: number[];
  distinct: Set<string>;
  earliest?: { t: number; v: Value };
  latest?: { t: number; v: Value };
}

const newState = (): AggState => ({ count: 0, sum: 0, values: [], distinct: new Set() });

/** Aggregate calls inside an expression, in evaluation order. */
function aggCalls(e: Expr, out: Extract<Expr, { t: "call" }>[] = []): Extract<Expr, { t: "call" }>[] {
  if (e.t === "call") {
    if (AGGREGATES.has(e.fn)) out.push(e);
    else e.args.forEach((x) => aggCalls(x, out));
  } else if (e.t === "un") aggCalls(e.e, out);
  else if (e.t === "bin") {
    aggCalls(e.l, out);
    aggCalls(e.r, out);
  }
  return out;
}

function accumulate(call: Extract<Expr, { t: "call" }>, s: AggState, row: Row): void {
  if (call.fn === "count" && call.args.length === 0) {
    s.count++;
    return;
  }
  const v = evaluate(call.args[0]!, row);
  if (v === undefined) return;
  s.count++;
  if (call.fn === "count_distinct") s.distinct.add(String(v));
  else if (call.fn === "earliest" || call.fn === "latest") {
    const t = num(row["@timestamp"]) ?? 0;
    if (!s.earliest || t < s.earliest.t) s.earliest = { t, v };
    if (!s.latest || t >= s.latest.t) s.latest = { t, v };
  } else if (call.fn === "min" || call.fn === "max") {
    if (s.min === undefined || (compare(v, s.min) ?? 0) < 0) s.min = v;
    if (s.max === undefined || (compare(v, s.max) ?? 0) > 0) s.max = v;
  } else {
    const n = num(v);
    if (n === undefined) return;
    s.sum += n;
    s.values.push(n);
  }
}

function finish(call: Extract<Expr, { t: "call" }>, s: AggState): Value {
  switch (call.fn) {
    case "count":
      return s.count;
    case "count_distinct":
      return s.distinct.size;
    case "sum":
      return s.values.length ? s.sum : undefined;
    case "avg":
      return s.values.length ? s.sum / s.values.length : undefined;
    case "min":
      return s.min;
    case "max":
      return s.max;
    case "earliest":
      return s.earliest?.v;
    case "latest":
      return s.latest?.v;
    case "pct": {
      if (!s.values.length) return undefined;
      const p = Number((call.args[1] as { v: Value }).v);
      const sorted = [...s.values].sort((a, b) => a - b);
      const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
      return sorted[idx];
    }
    default:
      return undefined;
  }
}

function substitute(e: Expr, results: Map<Expr, Value>): Expr {
  if (e.t === "call" && results.has(e)) return { t: "lit", v: results.get(e) };
  if (e.t === "call") return { ...e, args: e.args.map((x) => substitute(x, results)) };
  if (e.t === "un") return { ...e, e: substitute(e.e, results) };
  if (e.t === "bin") return { ...e, l: substitute(e.l, results), r: substitute(e.r, results) };
  return e;
}

// ---- running ----------------------------------------------------------------------------

/** JSON messages: every scalar leaf as a dotted field (`a.b`, arrays `a.0`). */
function discoverJson(message: string, row: Row): void {
  const s = message.trimStart();
  if (!s.startsWith("{")) return;
  let doc: unknown;
  try {
    doc = JSON.parse(s);
  } catch {
    return;
  }
  const walk = (v: unknown, path: string) => {
    if (v === null || v === undefined) return;
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}.${i}`));
    else if (typeof v === "object") for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, path ? `${path}.${k}` : k);
    else if (path && !(path in row)) row[path] = typeof v === "number" ? v : String(v);
  };
  walk(doc, "");
}

export function eventRow(e: InsightsEvent): Row {
  const row: Row = {
    "@timestamp": e.timestamp,
    "@message": e.message,
    "@logStream": e.logStream,
    "@log": e.log,
    "@ingestionTime": e.ingestionTime,
  };
  if (e.ptr) row["@ptr"] = e.ptr;
  discoverJson(e.message, row);
  return row;
}

const TIME_FIELDS = new Set(["@timestamp", "@ingestionTime"]);

/** AWS renders times as `2024-01-02 03:04:05.678`. */
const renderTime = (ms: number) => new Date(ms).toISOString().replace("T", " ").replace("Z", "");

function render(name: string, v: Value, timeNames: Set<string>): string {
  if (typeof v === "number" && timeNames.has(name)) return renderTime(v);
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(6)));
  return String(v);
}

export interface QueryOutput {
  results: { field: string; value: string }[][];
  recordsMatched: number;
  recordsScanned: number;
  bytesScanned: number;
}

export function runQuery(q: CompiledQuery, events: Iterable<InsightsEvent>, limit?: number): QueryOutput {
  let rows: Row[] = [];
  let scanned = 0;
  let bytes = 0;
  const leading = q.commands.findIndex((c) => c.c !== "filter" && c.c !== "parse" && c.c !== "fields");
  const streaming = q.commands.slice(0, leading < 0 ? q.commands.length : leading);
  let visible: string[] | undefined;
  const timeNames = new Set(TIME_FIELDS);
  const applyRowCommand = (c: Command, row: Row): boolean => {
    if (c.c === "filter") return truthy(evaluate(c.e, row));
    if (c.c === "parse") {
      const src = evaluate(c.source, row);
      if (src === undefined) return true;
      const m = c.re.exec(String(src));
      if (m) {
        c.names.forEach((n, i) => {
          const v = m.groups && n in m.groups ? m.groups[n] : m[i + 1];
          if (v !== undefined) row[n] = v;
        });
      }
      return true;
    }
    if (c.c === "fields" || c.c === "display") {
      for (const it of c.items) if (it.expr.t !== "field" || it.name !== it.expr.name) row[it.name] = evaluate(it.expr, row);
    }
    return true;
  };
  const noteFields = (c: Command) => {
    if (c.c === "fields") visible = [...(visible ?? []), ...c.items.map((i) => i.name).filter((n) => !(visible ?? []).includes(n))];
    if (c.c === "display") visible = c.items.map((i) => i.name);
  };
  // Filter, parse and fields run as events stream by; the rest on the collected rows.
  for (const c of streaming) noteFields(c);
  for (const e of events) {
    scanned++;
    bytes += Buffer.byteLength(e.message, "utf8");
    const row = eventRow(e);
    if (streaming.every((c) => applyRowCommand(c, row))) rows.push(row);
  }
  const matched = rows.length;
  // Without sort or stats, results come newest first (before any limit applies).
  const sorted = q.commands.some((c) => c.c === "sort" || c.c === "stats");
  if (!sorted) rows.sort((a, b) => (num(b["@timestamp"]) ?? 0) - (num(a["@timestamp"]) ?? 0));
  for (const c of q.commands.slice(streaming.length)) {
    switch (c.c) {
      case "filter":
      case "parse":
      case "fields":
      case "display":
        noteFields(c);
        rows = rows.filter((r) => applyRowCommand(c, r));
        break;
      case "stats": {
        const calls = c.aggs.flatMap((a) => aggCalls(a.expr));
        const groups = new Map<string, { key: Row; states: AggState[] }>();
        for (const r of rows) {
          const key: Row = {};
          for (const b of c.by) key[b.name] = evaluate(b.expr, r);
          const k = JSON.stringify(c.by.map((b) => key[b.name] ?? null));
          let g = groups.get(k);
          if (!g) groups.set(k, (g = { key, states: calls.map(newState) }));
          calls.forEach((call, i) => accumulate(call, g!.states[i]!, r));
        }
        if (groups.size === 0 && c.by.length === 0) groups.set("", { key: {}, states: calls.map(newState) });
        for (const b of c.by) if (b.expr.t === "call" && b.expr.fn === "bin") timeNames.add(b.name);
        for (const a of c.aggs) if (a.expr.t === "call" && ["earliest", "latest", "min", "max"].includes(a.expr.fn) && a.expr.args[0]?.t === "field" && TIME_FIELDS.has(a.expr.args[0].name)) timeNames.add(a.name);
        rows = [...groups.values()].map((g) => {
          const results = new Map<Expr, Value>(calls.map((call, i) => [call, finish(call, g.states[i]!)]));
          const out: Row = { ...g.key };
          for (const a of c.aggs) out[a.name] = evaluate(substitute(a.expr, results), {});
          return out;
        });
        visible = [...c.by.map((b) => b.name), ...c.aggs.map((a) => a.name)];
        // Time-binned results come back in time order.
        const binned = c.by.find((b) => b.expr.t === "call" && b.expr.fn === "bin");
        if (binned) rows.sort((a, b) => (num(a[binned.name]) ?? 0) - (num(b[binned.name]) ?? 0));
        break;
      }
      case "sort":
        rows.sort((a, b) => {
          for (const k of c.keys) {
            const av = a[k.name];
            const bv = b[k.name];
            if (av === undefined && bv === undefined) continue;
            if (av === undefined) return 1;
            if (bv === undefined) return -1;
            const d = compare(av, bv) ?? 0;
            if (d !== 0) return k.desc ? -d : d;
          }
          return 0;
        });
        break;
      case "limit":
        rows = rows.slice(0, c.n);
        break;
      case "dedup": {
        const seen = new Set<string>();
        rows = rows.filter((r) => {
          const k = JSON.stringify(c.fields.map((f) => r[f] ?? null));
          if (seen.has(k)) return false;
          seen.add(k);
          return true;
        });
        break;
      }
    }
  }
  const cap = limit ?? 1000;
  if (rows.length > cap) rows = rows.slice(0, cap);
  const cols = visible ?? ["@timestamp", "@message"];
  const withPtr = q.commands.every((c) => c.c !== "stats");
  const results = rows.map((r) => {
    const out: { field: string; value: string }[] = [];
    for (const f of cols) if (r[f] !== undefined) out.push({ field: f, value: render(f, r[f], timeNames) });
    if (withPtr && r["@ptr"] !== undefined && !cols.includes("@ptr")) out.push({ field: "@ptr", value: String(r["@ptr"]) });
    return out;
  });
  return { results, recordsMatched: matched, recordsScanned: scanned, bytesScanned: bytes };
}
