/**
 * CloudWatch statistics over aggregated samples: SampleCount, Average, Sum, Minimum, Maximum and
 * the extended statistics (pNN, tmNN, wmNN, tcNN, tsNN, IQM, and the range forms TM(a:b),
 * WM(a:b), TC(a:b), TS(a:b), PR(a:b) with values or percentages).
 *
 * Percentiles use nearest rank over the stored raw values (weighted by their counts). When a
 * period received statistic sets only, the raw values are unknown and extended statistics are
 * absent, as in AWS.
 */
import type { Aggregate } from "./store.js";

export const BASIC_STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"] as const;

export type StatSpec =
  | { kind: "basic"; name: (typeof BASIC_STATISTICS)[number] }
  | { kind: "percentile"; p: number }
  | { kind: "range"; fn: "TM" | "WM" | "TC" | "TS" | "PR"; lo?: Bound; hi?: Bound };

interface Bound {
  value: number;
  percent: boolean;
}

const NUM = String.raw`\d+(?:\.\d+)?`;
const SHORT = new RegExp(`^(p|tm|wm|tc|ts)(${NUM})$`, "i");
const RANGE = new RegExp(`^(TM|WM|TC|TS|PR)\\((${NUM}%?)?:(${NUM}%?)?\\)$`, "i");

function bound(s: string | undefined): Bound | undefined {
  if (s === undefined || s === "") return undefined;
  const percent = s.endsWith("%");
  return { value: Number(percent ? s.slice(0, -1) : s), percent };
}

/** Parse a statistic name; undefined when it is not one CloudWatch knows. */
export function parseStatistic(name: string): StatSpec | undefined {
  if ((BASIC_STATISTICS as readonly string[]).includes(name)) return { kind: "basic", name: name as (typeof BASIC_STATISTICS)[number] };
  if (name === "IQM") return { kind: "range", fn: "TM", lo: { value: 25, percent: true }, hi: { value: 75, percent: true } };
  const s = SHORT.exec(name);
  if (s) {
    const p = Number(s[2]);
    if (p < 0 || p > 100) return undefined;
    const fn = s[1]!.toLowerCase();
    if (fn === "p") return { kind: "percentile", p };
    return { kind: "range", fn: fn.toUpperCase() as "TM", hi: { value: p, percent: true } };
  }
  const r = RANGE.exec(name);
  if (r) {
    const fn = r[1]!.toUpperCase() as "TM" | "WM" | "TC" | "TS" | "PR";
    const lo = bound(r[2]);
    const hi = bound(r[3]);
    if (!lo && !hi) return undefined;
    if (fn === "PR" && (lo?.percent || hi?.percent)) return undefined;
    for (const b of [lo, hi]) if (b?.percent && (b.value < 0 || b.value > 100)) return undefined;
    return { kind: "range", fn, ...(lo ? { lo } : {}), ...(hi ? { hi } : {}) };
  }
  return undefined;
}

/** Sorted (value, count) pairs of an aggregate that kept raw values. */
function sortedValues(a: Aggregate): Array<[number, number]> {
  const pairs: Array<[number, number]> = a.v!.map((v, i) => [v, a.c?.[i] ?? 1]);
  pairs.sort((x, y) => x[0] - y[0]);
  return pairs;
}

/** Nearest-rank percentile. */
function percentile(pairs: Array<[number, number]>, n: number, p: number): number {
  if (p <= 0) return pairs[0]![0];
  const rank = Math.ceil((p / 100) * n);
  let seen = 0;
  for (const [v, c] of pairs) {
    seen += c;
    if (seen >= rank) return v;
  }
  return pairs[pairs.length - 1]![0];
}

/** The value of one statistic for one aggregate; undefined when it cannot be computed. */
export function computeStatistic(a: Aggregate, spec: StatSpec): number | undefined {
  if (spec.kind === "basic") {
    switch (spec.name) {
      case "SampleCount":
        return a.n;
      case "Sum":
        return a.sum;
      case "Minimum":
        return a.min;
      case "Maximum":
        return a.max;
      case "Average":
        return a.n === 0 ? undefined : a.sum / a.n;
    }
  }
  if (!a.v || a.v.length === 0) return undefined;
  const pairs = sortedValues(a);
  if (spec.kind === "percentile") return percentile(pairs, a.n, spec.p);
  // Range statistics: lower bound exclusive, upper bound inclusive.
  const toValue = (b: Bound | undefined, dflt: number) => (b === undefined ? dflt : b.percent ? (b.value <= 0 ? -Infinity : percentile(pairs, a.n, b.value)) : b.value);
  const lo = toValue(spec.lo, -Infinity);
  const hi = toValue(spec.hi, Infinity);
  let count = 0;
  let sum = 0;
  if (spec.fn === "WM") {
    for (const [v, c] of pairs) {
      const x = v < lo && lo !== -Infinity ? lo : v > hi ? hi : v;
      count += c;
      sum += x * c;
    }
    return count === 0 ? undefined : sum / count;
  }
  for (const [v, c] of pairs) {
    if (v > lo && v <= hi) {
      count += c;
      sum += v * c;
    }
  }
  switch (spec.fn) {
    case "TC":
      return count;
    case "TS":
      return sum;
    case "PR":
      return (100 * count) / a.n;
    case "TM":
      return count === 0 ? undefined : sum / count;
  }
}

/** Whether a percentile statistic had too few samples to be meaningful (EvaluateLowSampleCountPercentile). */
export function lowSampleCount(a: Aggregate, spec: StatSpec): boolean {
  if (spec.kind !== "percentile") return false;
  const p = spec.p / 100;
  if (p >= 1) return false;
  return a.n < 10 / (1 - p);
}
