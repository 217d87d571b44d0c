/**
 * CloudWatch metric math: a parser and an evaluator for GetMetricData and alarm expressions.
 *
 * Values are scalars, time series (sparse: timestamp -> value) or arrays of time series
 * (METRICS(), SEARCH(), [m1, m2]). Arithmetic between two series keeps the timestamps both have;
 * between a series and a scalar it applies to every point; with an array it applies to each
 * member. SUM/AVG/MIN/MAX/STDDEV of an array give a series (per timestamp), of one series a
 * scalar, as AWS documents.
 *
 * Functions: SUM, AVG, MIN, MAX, STDDEV, RATE, DIFF, FILL (constant, REPEAT, LINEAR), IF, METRICS,
 * SEARCH, ABS, CEIL, FLOOR, PERIOD, RUNNING_SUM, ANOMALY_DETECTION_BAND (simplified: mean ± k
 * standard deviations of the input over the queried range).
 */

export interface Series {
  label: string;
  period: number;
  points: Map<number, number>;
  /** For dynamic labels and SEARCH results. */
  meta?: { Namespace?: string; MetricName?: string; Dimensions?: Array<{ Name: string; Value: string }>; Stat?: string };
}

export type Value = { k: "n"; v: number } | { k: "s"; s: Series } | { k: "a"; a: Series[] } | { k: "str"; v: string } | { k: "id"; v: string };

type Node =
  | { t: "num"; v: number }
  | { t: "str"; v: string }
  | { t: "id"; v: string }
  | { t: "call"; fn: string; args: Node[] }
  | { t: "list"; items: Node[] }
  | { t: "bin"; op: string; l: Node; r: Node }
  | { t: "neg"; e: Node }
  | { t: "not"; e: Node };

export class MathError extends Error {}

const TOKEN = /\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(<=|>=|==|!=|&&|\|\||[-+*/^()<>,[\]!]))/y;

function tokenize(src: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m) throw new MathError(`Syntax error at position ${pos + 1}`);
    out.push(m[1] ?? m[2] ?? m[3] ?? m[4]!);
    pos = TOKEN.lastIndex;
  }
  return out;
}

export function parseExpression(src: string): Node {
  const toks = tokenize(src);
  let i = 0;
  const peek = () => toks[i];
  const next = () => toks[i++];
  const expect = (t: string) => {
    if (toks[i] !== t) throw new MathError(`Expected '${t}'${toks[i] ? ` but found '${toks[i]}'` : ""}`);
    i++;
  };
  const binLevel = (ops: string[], sub: () => Node) => (): Node => {
    let l = sub();
    for (;;) {
      const op = peek();
      const norm = op === "AND" ? "&&" : op === "OR" ? "||" : op;
      if (norm === undefined || !ops.includes(norm)) return l;
      next();
      l = { t: "bin", op: norm, l, r: sub() };
    }
  };
  const primary = (): Node => {
    const tok = next();
    if (tok === undefined) throw new MathError("Unexpected end of expression");
    if (/^[\d.]/.test(tok)) return { t: "num", v: Number(tok) };
    if (tok.startsWith("'") || tok.startsWith('"')) return { t: "str", v: tok.slice(1, -1).replace(/\\(.)/g, "$1") };
    if (tok === "(") {
      const e = orExpr();
      expect(")");
      return e;
    }
    if (tok === "[") {
      const items: Node[] = [];
      if (peek() !== "]") {
        items.push(orExpr());
        while (peek() === ",") {
          next();
          items.push(orExpr());
        }
      }
      expect("]");
      return { t: "list", items };
    }
    if (/^[A-Za-z_]/.test(tok)) {
      if (peek() === "(") {
        next();
        const args: Node[] = [];
        if (peek() !== ")") {
          args.push(orExpr());
          while (peek() === ",") {
            next();
            args.push(orExpr());
          }
        }
        expect(")");
        return { t: "call", fn: tok.toUpperCase(), args };
      }
      return { t: "id", v: tok };
    }
    throw new MathError(`Unexpected '${tok}'`);
  };
  const power = (): Node => {
    const base = primary();
    if (peek() === "^") {
      next();
      return { t: "bin", op: "^", l: base, r: unary() };
    }
    return base;
  };
  const unary = (): Node => {
    if (peek() === "-") {
      next();
      return { t: "neg", e: unary() };
    }
    if (peek() === "!" || peek() === "NOT") {
      next();
      return { t: "not", e: unary() };
    }
    return power();
  };
  const mul = binLevel(["*", "/"], unary);
  const add = binLevel(["+", "-"], mul);
  const cmp = binLevel(["<", ">", "<=", ">=", "==", "!="], add);
  const andExpr = binLevel(["&&"], cmp);
  const orExpr: () => Node = binLevel(["||"], andExpr);
  const e = orExpr();
  if (i < toks.length) throw new MathError(`Unexpected '${toks[i]}'`);
  return e;
}

/** Ids an expression refers to (for dependency order and validation). */
export function referencedIds(node: Node, out = new Set<string>()): Set<string> {
  switch (node.t) {
    case "id":
      out.add(node.v);
      break;
    case "call":
      for (const a of node.args) referencedIds(a, out);
      break;
    case "list":
      for (const a of node.items) referencedIds(a, out);
      break;
    case "bin":
      referencedIds(node.l, out);
      referencedIds(node.r, out);
      break;
    case "neg":
    case "not":
      referencedIds(node.e, out);
      break;
  }
  return out;
}

export interface MathEnv {
  /** Another query's value by Id (evaluated on demand). */
  resolve(id: string): Promise<Value>;
  /** Results of every MetricStat query, in request order (METRICS()). */
  metricStats(): Promise<Array<{ id: string; series: Series }>>;
  search(expression: string, stat: string, period: number | undefined): Promise<Series[]>;
  /** The grid FILL fills: [start, end) in ms. */
  startMs: number;
  endMs: number;
  /** Period used when nothing else says (the query's Period or the smallest input period). */
  defaultPeriod: number;
}

const series = (label: string, period: number, points: Map<number, number>): Value => ({ k: "s", s: { label, period, points } });

function binary(op: string, a: number, b: number): number {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return a / b;
    case "^":
      return a ** b;
    case "<":
      return a < b ? 1 : 0;
    case ">":
      return a > b ? 1 : 0;
    case "<=":
      return a <= b ? 1 : 0;
    case ">=":
      return a >= b ? 1 : 0;
    case "==":
      return a === b ? 1 : 0;
    case "!=":
      return a !== b ? 1 : 0;
    case "&&":
      return a !== 0 && b !== 0 ? 1 : 0;
    case "||":
      return a !== 0 || b !== 0 ? 1 : 0;
  }
  throw new MathError(`Unknown operator ${op}`);
}

function mapValue(v: Value, f: (x: number) => number): Value {
  if (v.k === "n") return { k: "n", v: f(v.v) };
  if (v.k === "s") return series(v.s.label, v.s.period, new Map([...v.s.points].map(([t, x]) => [t, f(x)])));
  if (v.k === "a") return { k: "a", a: v.a.map((s) => ({ ...s, points: new Map([...s.points].map(([t, x]) => [t, f(x)])) })) };
  throw new MathError("A string is not a valid operand");
}

function combine(op: string, l: Value, r: Value): Value {
  if (l.k === "a") return { k: "a", a: l.a.map((s) => (combine(op, { k: "s", s }, r) as { k: "s"; s: Series }).s) };
  if (r.k === "a") return { k: "a", a: r.a.map((s) => (combine(op, l, { k: "s", s }) as { k: "s"; s: Series }).s) };
  if (l.k === "n" && r.k === "n") return { k: "n", v: binary(op, l.v, r.v) };
  if (l.k === "s" && r.k === "n") return mapValue(l, (x) => binary(op, x, r.v));
  if (l.k === "n" && r.k === "s") return mapValue(r, (x) => binary(op, l.v, x));
  if (l.k === "s" && r.k === "s") {
    const out = new Map<number, number>();
    for (const [t, x] of l.s.points) {
      const y = r.s.points.get(t);
      if (y !== undefined) out.set(t, binary(op, x, y));
    }
    return series(l.s.label, Math.min(l.s.period, r.s.period), out);
  }
  throw new MathError("A string is not a valid operand");
}

const sorted = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]);

function reduce(name: string, xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  switch (name) {
    case "SUM":
      return xs.reduce((a, b) => a + b, 0);
    case "AVG":
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    case "MIN":
      return Math.min(...xs);
    case "MAX":
      return Math.max(...xs);
    case "STDDEV": {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    }
  }
  return undefined;
}

function asSeriesList(v: Value, fn: string): Series[] {
  if (v.k === "s") return [v.s];
  if (v.k === "a") return v.a;
  throw new MathError(`${fn} needs a time series argument`);
}

export async function evaluate(node: Node, env: MathEnv): Promise<Value> {
  switch (node.t) {
    case "num":
      return { k: "n", v: node.v };
    case "str":
      return { k: "str", v: node.v };
    case "id":
      if (["REPEAT", "LINEAR"].includes(node.v.toUpperCase())) return { k: "id", v: node.v.toUpperCase() };
      return env.resolve(node.v);
    case "neg":
      return mapValue(await evaluate(node.e, env), (x) => -x);
    case "not":
      return mapValue(await evaluate(node.e, env), (x) => (x === 0 ? 1 : 0));
    case "bin":
      return combine(node.op, await evaluate(node.l, env), await evaluate(node.r, env));
    case "list": {
      const out: Series[] = [];
      for (const item of node.items) out.push(...asSeriesList(await evaluate(item, env), "[]"));
      return { k: "a", a: out };
    }
    case "call":
      return call(node.fn, node.args, env);
  }
}

async function call(fn: string, argNodes: Node[], env: MathEnv): Promise<Value> {
  const args: Value[] = [];
  for (const a of argNodes) args.push(await evaluate(a, env));
  const arity = (min: number, max = min) => {
    if (args.length < min || args.length > max) throw new MathError(`Error in expression: ${fn} takes ${min === max ? min : `${min} to ${max}`} argument(s)`);
  };
  switch (fn) {
    case "SUM":
    case "AVG":
    case "MIN":
    case "MAX":
    case "STDDEV": {
      arity(1);
      const v = args[0]!;
      if (v.k === "n") return v;
      if (v.k === "s") {
        const r = reduce(fn, [...v.s.points.values()]);
        return r === undefined ? series(v.s.label, v.s.period, new Map()) : { k: "n", v: r };
      }
      if (v.k === "a") {
        const times = new Map<number, number[]>();
        for (const s of v.a) for (const [t, x] of s.points) (times.get(t) ?? times.set(t, []).get(t)!).push(x);
        const out = new Map<number, number>();
        for (const [t, xs] of times) out.set(t, reduce(fn, xs)!);
        return series(fn, Math.min(...v.a.map((s) => s.period), env.defaultPeriod), out);
      }
      throw new MathError(`${fn} needs a time series argument`);
    }
    case "ABS":
      arity(1);
      return mapValue(args[0]!, Math.abs);
    case "CEIL":
      arity(1);
      return mapValue(args[0]!, Math.ceil);
    case "FLOOR":
      arity(1);
      return mapValue(args[0]!, Math.floor);
    case "RATE":
    case "DIFF": {
      arity(1);
      const one = (s: Series): Series => {
        const pts = sorted(s.points);
        const out = new Map<number, number>();
        for (let i = 1; i < pts.length; i++) {
          const [t0, x0] = pts[i - 1]!;
          const [t1, x1] = pts[i]!;
          out.set(t1, fn === "DIFF" ? x1 - x0 : (x1 - x0) / ((t1 - t0) / 1000));
        }
        return { ...s, points: out };
      };
      const v = args[0]!;
      if (v.k === "s") return { k: "s", s: one(v.s) };
      if (v.k === "a") return { k: "a", a: v.a.map(one) };
      throw new MathError(`${fn} needs a time series argument`);
    }
    case "RUNNING_SUM": {
      arity(1);
      const one = (s: Series): Series => {
        let acc = 0;
        return { ...s, points: new Map(sorted(s.points).map(([t, x]) => [t, (acc += x)])) };
      };
      const v = args[0]!;
      if (v.k === "s") return { k: "s", s: one(v.s) };
      if (v.k === "a") return { k: "a", a: v.a.map(one) };
      throw new MathError(`${fn} needs a time series argument`);
    }
    case "PERIOD": {
      arity(1);
      const v = args[0]!;
      if (v.k === "s") return { k: "n", v: v.s.period };
      throw new MathError("PERIOD needs a time series argument");
    }
    case "FILL": {
      arity(2);
      const how = args[1]!;
      if (how.k !== "n" && how.k !== "id" && how.k !== "s") throw new MathError("FILL's second argument must be a number, REPEAT or LINEAR");
      const one = (s: Series): Series => {
        const p = s.period * 1000;
        const first = Math.ceil(env.startMs / p) * p;
        const known = sorted(s.points);
        const out = new Map<number, number>();
        for (let t = first; t < env.endMs; t += p) {
          const x = s.points.get(t);
          if (x !== undefined) {
            out.set(t, x);
            continue;
          }
          if (how.k === "n") out.set(t, how.v);
          else if (how.k === "s") {
            const y = how.s.points.get(t);
            if (y !== undefined) out.set(t, y);
          } else {
            let before: [number, number] | undefined;
            let after: [number, number] | undefined;
            for (const pt of known) {
              if (pt[0] < t) before = pt;
              else if (pt[0] > t) {
                after = pt;
                break;
              }
            }
            if (how.v === "REPEAT") {
              if (before) out.set(t, before[1]);
            } else if (before && after) {
              out.set(t, before[1] + ((after[1] - before[1]) * (t - before[0])) / (after[0] - before[0]));
            }
          }
        }
        return { ...s, points: out };
      };
      const v = args[0]!;
      if (v.k === "s") return { k: "s", s: one(v.s) };
      if (v.k === "a") return { k: "a", a: v.a.map(one) };
      throw new MathError("FILL needs a time series argument");
    }
    case "IF": {
      arity(2, 3);
      const [c, a, b] = args as [Value, Value, Value | undefined];
      const at = (v: Value | undefined, t: number): number | undefined => (v === undefined ? undefined : v.k === "n" ? v.v : v.k === "s" ? v.s.points.get(t) : undefined);
      if (c.k === "n") return c.v !== 0 ? a : (b ?? { k: "a", a: [] });
      if (c.k !== "s") throw new MathError("IF needs a time series or scalar condition");
      const out = new Map<number, number>();
      for (const [t, x] of c.s.points) {
        const y = x !== 0 ? at(a, t) : at(b, t);
        if (y !== undefined) out.set(t, y);
      }
      return series(c.s.label, c.s.period, out);
    }
    case "METRICS": {
      arity(0, 1);
      const filter = args[0];
      if (filter && filter.k !== "str") throw new MathError("METRICS takes a string");
      const all = await env.metricStats();
      return { k: "a", a: all.filter(({ id, series: s }) => !filter || id.includes(filter.v)).map((x) => x.series) };
    }
    case "SEARCH": {
      arity(2, 3);
      const [e, stat, period] = args;
      if (e?.k !== "str" || stat?.k !== "str" || (period && period.k !== "n")) throw new MathError("SEARCH takes a search expression, a statistic and an optional period");
      return { k: "a", a: await env.search(e.v, stat.v, period?.k === "n" ? period.v : undefined) };
    }
    case "ANOMALY_DETECTION_BAND": {
      arity(1, 2);
      const v = args[0]!;
      const k = args[1]?.k === "n" ? args[1].v : 2;
      if (v.k !== "s") throw new MathError("ANOMALY_DETECTION_BAND needs a time series");
      const xs = [...v.s.points.values()];
      const mean = reduce("AVG", xs) ?? 0;
      const sd = reduce("STDDEV", xs) ?? 0;
      const band = (off: number, suffix: string): Series => ({
        label: `${v.s.label} ${suffix}`,
        period: v.s.period,
        points: new Map([...v.s.points.keys()].map((t) => [t, mean + off * k * sd])),
      });
      return { k: "a", a: [band(-1, "Lower"), band(1, "Upper")] };
    }
  }
  throw new MathError(`Unrecognized function ${fn}`);
}
