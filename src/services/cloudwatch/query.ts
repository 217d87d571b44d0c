/**
 * Reading metrics: per-period aggregates with AWS's retention and rollup rules, and the
 * GetMetricData query engine (MetricStat queries, math expressions, SEARCH) that alarms share.
 *
 * Retention and rollup (as AWS documents): data points with a period under 60 s are available for
 * 3 hours, 60 s periods for 15 days, 5-minute periods for 63 days, 1-hour periods for 455 days.
 * A period whose start is older than what its length allows yields no data point, and nothing
 * older than 455 days is returned; the evaluator's sweep also deletes buckets past 455 days and
 * folds 1 s buckets older than 3 hours into their minute.
 */
import { ServiceError } from "../../core/errors.js";
import { CloudWatchErrors } from "./errors.js";
import { evaluate, MathError, parseExpression, referencedIds, type Series, type Value } from "./math.js";
import { computeStatistic, parseStatistic, type StatSpec } from "./stats.js";
import { cloneAggregate, mergeAggregate, metricKey, type Aggregate, type Dimension, type MetricStore } from "./store.js";

const H = 3_600_000;
const D = 24 * H;

/** Whether a period of `period` seconds starting at `startMs` is still retained at `nowMs`. */
export function periodRetained(startMs: number, period: number, nowMs: number): boolean {
  const age = nowMs - startMs;
  if (age > 455 * D) return false;
  if (age > 63 * D) return period % 3600 === 0;
  if (age > 15 * D) return period % 300 === 0;
  if (age > 3 * H) return period % 60 === 0;
  return true;
}

/** Where periods start for a query from `startMs` (AWS rounds StartTime down by its age). */
export function alignStart(startMs: number, period: number, nowMs: number): number {
  const age = nowMs - startMs;
  const r = (age > 63 * D ? 3600 : age > 15 * D ? 300 : period < 60 ? period : 60) * 1000;
  return Math.floor(startMs / r) * r;
}

export function checkPeriod(period: number, member = "Period"): void {
  if (!Number.isInteger(period) || period < 1 || (period >= 60 ? period % 60 !== 0 : ![1, 5, 10, 30].includes(period))) {
    throw new ServiceError(
      CloudWatchErrors.InvalidParameterValue,
      `The parameter ${member} must be a multiple of 60 or equal to 1, 5, 10, 30.`,
    );
  }
}

/** Per unit, per period start: the merged aggregate of a metric. `unit` filters; undefined keeps units apart. */
export async function periodAggregates(
  store: MetricStore,
  mkey: string,
  startMs: number,
  endMs: number,
  period: number,
  nowMs: number,
  unit?: string,
  mergeUnits = false,
): Promise<Map<string, Map<number, Aggregate>>> {
  const base = alignStart(startMs, period, nowMs);
  const p = period * 1000;
  const buckets = await store.read(mkey, base, endMs);
  const out = new Map<string, Map<number, Aggregate>>();
  for (const b of buckets) {
    if (b.t < base || b.t >= endMs) continue;
    const ps = base + Math.floor((b.t - base) / p) * p;
    if (!periodRetained(ps, period, nowMs)) continue;
    // 1 s data older than 3 hours has been rolled up to the minute: only 60 s multiples see it.
    for (const [u, agg] of Object.entries(b.u)) {
      if (unit !== undefined && u !== unit) continue;
      const key = mergeUnits ? "" : u;
      let m = out.get(key);
      if (!m) out.set(key, (m = new Map()));
      const cur = m.get(ps);
      m.set(ps, cur ? mergeAggregate(cur, agg) : cloneAggregate(agg));
    }
  }
  return out;
}

export interface MetricSpec {
  Namespace?: string;
  MetricName?: string;
  Dimensions?: Dimension[];
}

export interface MetricStatQuery {
  Metric: MetricSpec;
  Period: number;
  Stat: string;
  Unit?: string;
}

export function statSpec(stat: string, member: string): StatSpec {
  const s = parseStatistic(stat);
  if (!s) throw new ServiceError(CloudWatchErrors.InvalidParameterValue, `The value ${stat} for parameter ${member} is not supported.`);
  return s;
}

/** One metric's statistic per period as a series. */
export async function metricStatSeries(store: MetricStore, q: MetricStatQuery, startMs: number, endMs: number, nowMs: number): Promise<{ series: Series; aggs: Map<number, Aggregate> }> {
  const spec = statSpec(q.Stat, "Stat");
  const mkey = metricKey(q.Metric.Namespace ?? "", q.Metric.MetricName ?? "", q.Metric.Dimensions ?? []);
  const per = await periodAggregates(store, mkey, startMs, endMs, q.Period, nowMs, q.Unit, true);
  const aggs = per.get("") ?? new Map<number, Aggregate>();
  const points = new Map<number, number>();
  for (const [t, a] of aggs) {
    const v = computeStatistic(a, spec);
    if (v !== undefined) points.set(t, v);
  }
  return {
    series: {
      label: q.Metric.MetricName ?? "",
      period: q.Period,
      points,
      meta: { Namespace: q.Metric.Namespace ?? "", MetricName: q.Metric.MetricName ?? "", Dimensions: q.Metric.Dimensions ?? [], Stat: q.Stat },
    },
    aggs,
  };
}

/** SEARCH('{Namespace,DimA} MetricName="x" term', stat, period): matching metrics' series. */
export async function searchSeries(store: MetricStore, expression: string, stat: string, period: number, startMs: number, endMs: number, nowMs: number): Promise<Series[]> {
  let rest = expression.trim();
  let schema: string[] | undefined;
  const brace = /^\{([^}]*)\}/.exec(rest);
  if (brace) {
    schema = splitTerms(brace[1]!, ",").map(unquote);
    rest = rest.slice(brace[0].length);
  }
  const terms = splitTerms(rest, " ").filter((t) => t && t.toUpperCase() !== "AND");
  const matches: Array<{ Namespace: string; MetricName: string; Dimensions: Dimension[] }> = [];
  let after: string | undefined;
  const ns = schema?.[0];
  for (;;) {
    const page = await store.metrics().list({ ...(ns ? { prefix: `${ns}\u0000` } : {}), ...(after ? { after } : {}), limit: 1000 });
    for (const { value: m } of page) {
      if (schema) {
        const names = schema.slice(1);
        if (m.Namespace !== schema[0] || m.Dimensions.length !== names.length || !names.every((n) => m.Dimensions.some((d) => d.Name === n))) continue;
      }
      const ok = terms.every((term) => {
        const neg = term.startsWith("NOT ") || term.startsWith("-");
        const t = neg ? term.replace(/^(NOT |-)/, "") : term;
        const eq = /^([^=]+)=(.*)$/.exec(t);
        let hit: boolean;
        if (eq) {
          const key = unquote(eq[1]!);
          const val = unquote(eq[2]!);
          hit =
            key === "MetricName" ? m.MetricName === val : key === "Namespace" ? m.Namespace === val : m.Dimensions.some((d) => d.Name === key && d.Value === val);
        } else {
          const word = unquote(t).toLowerCase();
          hit = [m.Namespace, m.MetricName, ...m.Dimensions.flatMap((d) => [d.Name, d.Value])].some((s) => s.toLowerCase().includes(word));
        }
        return neg ? !hit : hit;
      });
      if (ok) matches.push(m);
    }
    if (page.length < 1000) break;
    after = page[page.length - 1]!.key;
  }
  const out: Series[] = [];
  for (const m of matches.slice(0, 500)) {
    const { series } = await metricStatSeries(store, { Metric: m, Period: period, Stat: stat }, startMs, endMs, nowMs);
    series.label = [m.MetricName, ...m.Dimensions.map((d) => d.Value)].join(" ");
    out.push(series);
  }
  return out;
}

function splitTerms(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  let q: string | undefined;
  for (const ch of s) {
    if (q) {
      cur += ch;
      if (ch === q) q = undefined;
    } else if (ch === '"' || ch === "'") {
      q = ch;
      cur += ch;
    } else if (ch === sep) {
      if (cur.trim()) out.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}
const unquote = (s: string) => s.trim().replace(/^(["'])(.*)\1$/, "$2");

export interface DataQuery {
  Id: string;
  MetricStat?: MetricStatQuery;
  Expression?: string;
  Label?: string;
  ReturnData?: boolean;
  Period?: number;
}

export interface QueryResult {
  Id: string;
  Label: string;
  points: Array<[number, number]>;
  StatusCode: "Complete" | "InternalError" | "PartialData" | "Forbidden";
  Messages?: Array<{ Code: string; Value: string }>;
  /** MetricStat results keep their aggregates (alarms use sample counts). */
  aggs?: Map<number, Aggregate>;
  series: Series[];
}

const ID = /^[a-z][a-zA-Z0-9_]*$/;

/** Validate a MetricDataQueries list as AWS does; returns parsed expressions. */
export function validateQueries(queries: DataQuery[], member = "MetricDataQueries"): Map<string, ReturnType<typeof parseExpression>> {
  const invalid = (m: string) => new ServiceError(CloudWatchErrors.InvalidParameterValue, m);
  if (queries.length > 500) throw invalid(`The collection ${member} must not have a size greater than 500.`);
  const ids = new Set<string>();
  const parsed = new Map<string, ReturnType<typeof parseExpression>>();
  for (const [i, q] of queries.entries()) {
    const path = `${member}.member.${i + 1}`;
    if (!ID.test(q.Id)) throw invalid(`The value ${q.Id} for parameter ${path}.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.`);
    if (ids.has(q.Id)) throw invalid(`The value ${q.Id} for parameter ${path}.Id is not unique.`);
    ids.add(q.Id);
    if ((q.MetricStat === undefined) === (q.Expression === undefined)) {
      throw new ServiceError(
        CloudWatchErrors.InvalidParameterCombination,
        `Exactly one element of the MetricStat or Expression parameters of ${path} must be set.`,
      );
    }
    if (q.MetricStat) {
      checkPeriod(q.MetricStat.Period, `${path}.MetricStat.Period`);
      statSpec(q.MetricStat.Stat, `${path}.MetricStat.Stat`);
      if ((q.MetricStat.Metric.Dimensions?.length ?? 0) > 30) throw invalid(`The collection ${path}.MetricStat.Metric.Dimensions must not have more than 30 members.`);
    }
    if (q.Expression !== undefined) {
      try {
        parsed.set(q.Id, parseExpression(q.Expression));
      } catch (e) {
        if (e instanceof MathError) throw invalid(`Error in expression '${q.Id}': ${e.message}`);
        throw e;
      }
    }
  }
  for (const [id, node] of parsed) {
    for (const ref of referencedIds(node)) {
      if (["REPEAT", "LINEAR"].includes(ref.toUpperCase())) continue;
      if (!ids.has(ref)) throw invalid(`Error in expression '${id}': Unrecognized metric identifier: ${ref}`);
      if (ref === id) throw invalid(`Error in expression '${id}': Circular dependency`);
    }
  }
  if (!queries.some((q) => q.ReturnData !== false)) {
    throw invalid(`The ${member} must contain at least one query with ReturnData set to true.`);
  }
  return parsed;
}

/** Run every query over [startMs, endMs); results in request order (all of them, ReturnData or not). */
export async function runQueries(store: MetricStore, queries: DataQuery[], startMs: number, endMs: number, nowMs: number): Promise<QueryResult[]> {
  const parsed = validateQueries(queries);
  const byId = new Map(queries.map((q) => [q.Id, q]));
  const done = new Map<string, { value: Value; aggs?: Map<number, Aggregate> }>();
  const inProgress = new Set<string>();
  const statPeriods = queries.filter((q) => q.MetricStat).map((q) => q.MetricStat!.Period);
  const defaultPeriod = statPeriods.length ? Math.min(...statPeriods) : 60;

  const resolve = async (id: string): Promise<Value> => {
    const hit = done.get(id);
    if (hit) return hit.value;
    const q = byId.get(id);
    if (!q) throw new MathError(`Unrecognized metric identifier: ${id}`);
    if (inProgress.has(id)) throw new MathError("Circular dependency");
    inProgress.add(id);
    let value: Value;
    let aggs: Map<number, Aggregate> | undefined;
    if (q.MetricStat) {
      const r = await metricStatSeries(store, q.MetricStat, startMs, endMs, nowMs);
      if (q.Label) r.series.label = q.Label;
      value = { k: "s", s: r.series };
      aggs = r.aggs;
    } else {
      value = await evaluate(parsed.get(id)!, {
        resolve,
        metricStats: async () => {
          const out: Array<{ id: string; series: Series }> = [];
          for (const m of queries) if (m.MetricStat) out.push({ id: m.Id, series: ((await resolve(m.Id)) as { s: Series }).s });
          return out;
        },
        search: (e, stat, period) => searchSeries(store, e, stat, period ?? q.Period ?? defaultPeriod, startMs, endMs, nowMs),
        startMs: alignStart(startMs, q.Period ?? defaultPeriod, nowMs),
        endMs,
        defaultPeriod: q.Period ?? defaultPeriod,
      });
    }
    inProgress.delete(id);
    done.set(id, { value, ...(aggs ? { aggs } : {}) });
    return value;
  };

  const results: QueryResult[] = [];
  for (const q of queries) {
    let value: Value;
    try {
      value = await resolve(q.Id);
    } catch (e) {
      if (e instanceof MathError) throw new ServiceError(CloudWatchErrors.InvalidParameterValue, `Error in expression '${q.Id}': ${e.message}`);
      throw e;
    }
    const aggs = done.get(q.Id)?.aggs;
    const list: Series[] =
      value.k === "s"
        ? [value.s]
        : value.k === "a"
          ? value.a
          : value.k === "n"
            ? [{ label: q.Id, period: q.Period ?? defaultPeriod, points: scalarPoints(value.v, done, startMs, endMs, q.Period ?? defaultPeriod, nowMs) }]
            : [];
    if (list.length === 0 && value.k === "a") {
      results.push({ Id: q.Id, Label: q.Label ?? q.Id, points: [], StatusCode: "Complete", series: [] });
      continue;
    }
    for (const s of list) {
      const label = q.Label !== undefined && list.length === 1 ? q.Label : q.MetricStat ? s.label : value.k === "a" ? s.label : (q.Label ?? q.Id);
      results.push({
        Id: q.Id,
        Label: label,
        points: [...s.points].filter(([, v]) => Number.isFinite(v)).sort((a, b) => a[0] - b[0]),
        StatusCode: "Complete",
        ...(aggs ? { aggs } : {}),
        series: list,
      });
    }
  }
  return results;
}

/** A scalar result is drawn at every timestamp any series of the request has (or the whole grid). */
function scalarPoints(v: number, done: Map<string, { value: Value }>, startMs: number, endMs: number, period: number, nowMs: number): Map<number, number> {
  const times = new Set<number>();
  for (const { value } of done.values()) {
    if (value.k === "s") for (const t of value.s.points.keys()) times.add(t);
    if (value.k === "a") for (const s of value.a) for (const t of s.points.keys()) times.add(t);
  }
  if (times.size === 0) for (let t = alignStart(startMs, period, nowMs); t < endMs; t += period * 1000) times.add(t);
  return new Map([...times].map((t) => [t, v]));
}
