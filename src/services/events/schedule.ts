/**
 * Schedule expressions: `rate(value unit)` and `cron(minutes hours day-of-month month
 * day-of-week year)` as EventBridge documents them (UTC; one of day-of-month / day-of-week must be
 * `?`; `L`, `W` and `#` supported). Times are whole minutes.
 */
import { ServiceError } from "../../core/errors.js";
import { EventsErrors } from "./errors.js";

export type Schedule = { kind: "rate"; minutes: number } | { kind: "cron"; fields: CronFields };

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  dom: DomSpec;
  months: Set<number>;
  dow: DowSpec;
  years: Set<number> | "any";
}
type DomSpec = { any: true } | { any: false; days: Set<number>; last: boolean; lastOffset: number; weekday?: number };
type DowSpec = { any: true } | { any: false; days: Set<number>; last?: number; nth?: [number, number] };

const invalid = (): never => {
  throw new ServiceError(EventsErrors.ValidationException, "Parameter ScheduleExpression is not valid.");
};

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

export function parseSchedule(expr: string): Schedule {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expr);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!;
    if (n <= 0) invalid();
    // AWS wants the singular unit for 1 and the plural otherwise.
    if ((n === 1) !== !unit.endsWith("s")) invalid();
    const per = unit.startsWith("minute") ? 1 : unit.startsWith("hour") ? 60 : 1440;
    return { kind: "rate", minutes: n * per };
  }
  const cron = /^cron\((.*)\)$/.exec(expr);
  if (!cron) return invalid();
  const parts = cron[1]!.trim().split(/\s+/);
  if (parts.length !== 6) invalid();
  const [mi, ho, dom, mo, dow, yr] = parts as [string, string, string, string, string, string];
  if ((dom === "?") === (dow === "?")) invalid();
  return {
    kind: "cron",
    fields: {
      minutes: parseSet(mi, 0, 59),
      hours: parseSet(ho, 0, 23),
      dom: parseDom(dom),
      months: parseSet(mo, 1, 12, MONTHS, 1),
      dow: parseDow(dow),
      years: yr === "*" ? "any" : parseSet(yr, 1970, 2199),
    },
  };
}

function parseSet(text: string, min: number, max: number, names?: string[], nameBase = 0): Set<number> {
  const out = new Set<number>();
  const value = (t: string) => {
    const i = names?.indexOf(t.toUpperCase()) ?? -1;
    const n = i >= 0 ? i + nameBase : /^\d+$/.test(t) ? Number(t) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) invalid();
    return n;
  };
  for (const part of text.split(",")) {
    const [range, stepText] = part.split("/") as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step <= 0) invalid();
    let lo: number;
    let hi: number;
    if (range === "*") [lo, hi] = [min, max];
    else if (range.includes("-")) {
      const [a, b] = range.split("-") as [string, string];
      [lo, hi] = [value(a), value(b)];
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : max;
    }
    if (lo > hi) invalid();
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

function parseDom(text: string): DomSpec {
  if (text === "?" || text === "*") return { any: true };
  if (text === "L") return { any: false, days: new Set(), last: true, lastOffset: 0 };
  const lOff = /^L-(\d+)$/.exec(text);
  if (lOff) return { any: false, days: new Set(), last: true, lastOffset: Number(lOff[1]) };
  const w = /^(\d+)W$/.exec(text);
  if (w) return { any: false, days: new Set(), last: false, lastOffset: 0, weekday: Number(w[1]) };
  return { any: false, days: parseSet(text, 1, 31), last: false, lastOffset: 0 };
}

function parseDow(text: string): DowSpec {
  if (text === "?" || text === "*") return { any: true };
  const nth = /^([1-7]|[A-Za-z]{3})#([1-5])$/.exec(text);
  if (nth) return { any: false, days: new Set(), nth: [[...parseSet(nth[1]!, 1, 7, DAYS, 1)][0]!, Number(nth[2])] };
  const last = /^([1-7]|[A-Za-z]{3})L$/.exec(text);
  if (last) return { any: false, days: new Set(), last: [...parseSet(last[1]!, 1, 7, DAYS, 1)][0]! };
  return { any: false, days: parseSet(text, 1, 7, DAYS, 1) };
}

/** Whether a cron schedule fires at this UTC minute. */
function cronMatches(f: CronFields, d: Date): boolean {
  if (!f.minutes.has(d.getUTCMinutes()) || !f.hours.has(d.getUTCHours()) || !f.months.has(d.getUTCMonth() + 1)) return false;
  if (f.years !== "any" && !f.years.has(d.getUTCFullYear())) return false;
  const day = d.getUTCDate();
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  const dow = d.getUTCDay() + 1; // 1 = SUN
  if (!f.dom.any) {
    const dom = f.dom;
    if (dom.last) {
      if (day !== lastDay - dom.lastOffset) return false;
    } else if (dom.weekday !== undefined) {
      if (day !== nearestWeekday(d.getUTCFullYear(), d.getUTCMonth(), Math.min(dom.weekday, lastDay), lastDay)) return false;
    } else if (!dom.days.has(day)) return false;
  }
  if (!f.dow.any) {
    const spec = f.dow;
    if (spec.nth) {
      if (dow !== spec.nth[0] || Math.ceil(day / 7) !== spec.nth[1]) return false;
    } else if (spec.last !== undefined) {
      if (dow !== spec.last || day + 7 <= lastDay) return false;
    } else if (!spec.days.has(dow)) return false;
  }
  return true;
}

function nearestWeekday(year: number, month: number, day: number, lastDay: number): number {
  const wd = new Date(Date.UTC(year, month, day)).getUTCDay();
  if (wd === 6) return day === 1 ? 3 : day - 1;
  if (wd === 0) return day === lastDay ? day - 2 : day + 1;
  return day;
}

const MINUTE = 60_000;

/**
 * The fire times in (afterMs, untilMs], at most `limit`. A rate schedule counts from `anchorMs`
 * (when the rule was created or enabled), as AWS starts a rate when the rule is created.
 */
export function fireTimes(schedule: Schedule, anchorMs: number, afterMs: number, untilMs: number, limit = 1000): number[] {
  const out: number[] = [];
  if (schedule.kind === "rate") {
    const period = schedule.minutes * MINUTE;
    let k = Math.max(1, Math.floor((afterMs - anchorMs) / period) + 1);
    for (let t = anchorMs + k * period; t <= untilMs && out.length < limit; t = anchorMs + ++k * period) if (t > afterMs) out.push(t);
    return out;
  }
  // Scan whole minutes; bounded by the interval, which is at most the clock advance.
  let t = Math.floor(afterMs / MINUTE) * MINUTE + MINUTE;
  const stop = Math.min(untilMs, t + 366 * 1440 * MINUTE);
  for (; t <= stop && out.length < limit; t += MINUTE) if (cronMatches(schedule.fields, new Date(t))) out.push(t);
  return out;
}
