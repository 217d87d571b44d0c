/**
 * CloudWatch alarms: records, evaluation (metric, math and anomaly-band alarms, M out of N,
 * TreatMissingData, low-sample percentiles), composite alarm rules, state transitions with
 * history items and actions (SNS topics and Lambda functions through the delivery bus).
 */
import type { DeliveryBus } from "../../core/bus.js";
import type { Clock } from "../../core/clock.js";
import type { MetadataStore, Scope } from "../../storage/types.js";
import { runQueries, metricStatSeries, type DataQuery } from "./query.js";
import { lowSampleCount, parseStatistic } from "./stats.js";
import { MetricStore, type Dimension } from "./store.js";

export type StateValue = "OK" | "ALARM" | "INSUFFICIENT_DATA";

export interface AlarmRecord {
  type: "MetricAlarm" | "CompositeAlarm";
  AlarmName: string;
  AlarmArn: string;
  AlarmDescription?: string;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  AlarmConfigurationUpdatedTimestamp: string;
  StateValue: StateValue;
  StateReason: string;
  StateReasonData?: string;
  StateUpdatedTimestamp: string;
  StateTransitionedTimestamp: string;
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Dimensions?: Dimension[];
  Period?: number;
  Unit?: string;
  EvaluationPeriods?: number;
  DatapointsToAlarm?: number;
  Threshold?: number;
  ComparisonOperator?: string;
  TreatMissingData?: string;
  EvaluateLowSampleCountPercentile?: string;
  Metrics?: DataQuery[];
  ThresholdMetricId?: string;
  AlarmRule?: string;
  ActionsSuppressor?: string;
  ActionsSuppressorWaitPeriod?: number;
  ActionsSuppressorExtensionPeriod?: number;
  ActionsSuppressedBy?: string;
  ActionsSuppressedReason?: string;
  Tags: Array<{ Key: string; Value: string }>;
}

export interface HistoryRecord {
  AlarmName: string;
  AlarmType: string;
  Timestamp: string;
  HistoryItemType: "ConfigurationUpdate" | "StateUpdate" | "Action";
  HistorySummary: string;
  HistoryData: string;
}

/** What alarm work needs: from a request context or from the evaluator's runtime. */
export interface AlarmEnv {
  metadata: MetadataStore;
  scope: Scope;
  clock: Clock;
  bus: DeliveryBus;
}

export const alarmsTable = (env: Pick<AlarmEnv, "metadata" | "scope">) => env.metadata.table<AlarmRecord>(env.scope, "alarms");
export const historyTable = (env: Pick<AlarmEnv, "metadata" | "scope">) => env.metadata.table<HistoryRecord>(env.scope, "alarm-history");

let historySeq = 0;
function historyKey(item: HistoryRecord): string {
  historySeq = (historySeq + 1) % 1_000_000;
  return `${String(Date.parse(item.Timestamp)).padStart(15, "0")}\u0001${item.AlarmName}\u0001${String(historySeq).padStart(6, "0")}`;
}
export async function addHistory(env: AlarmEnv, item: HistoryRecord): Promise<void> {
  await historyTable(env).put(historyKey(item), item);
}

const REGION_NAMES: Record<string, string> = {
  "us-east-1": "US East (N. Virginia)",
  "us-east-2": "US East (Ohio)",
  "us-west-1": "US West (N. California)",
  "us-west-2": "US West (Oregon)",
  "ca-central-1": "Canada (Central)",
  "eu-west-1": "EU (Ireland)",
  "eu-west-2": "EU (London)",
  "eu-west-3": "EU (Paris)",
  "eu-central-1": "EU (Frankfurt)",
  "eu-north-1": "EU (Stockholm)",
  "eu-south-1": "EU (Milan)",
  "ap-northeast-1": "Asia Pacific (Tokyo)",
  "ap-northeast-2": "Asia Pacific (Seoul)",
  "ap-northeast-3": "Asia Pacific (Osaka)",
  "ap-southeast-1": "Asia Pacific (Singapore)",
  "ap-southeast-2": "Asia Pacific (Sydney)",
  "ap-south-1": "Asia Pacific (Mumbai)",
  "sa-east-1": "South America (Sao Paulo)",
  "me-south-1": "Middle East (Bahrain)",
  "af-south-1": "Africa (Cape Town)",
};
export const regionName = (r: string) => REGION_NAMES[r] ?? r;

/** Java's Double.toString for the numbers AWS prints in reasons (5 -> "5.0"). */
export const jnum = (x: number) => (Number.isInteger(x) && Math.abs(x) < 1e7 ? x.toFixed(1) : String(x));
/** AWS's reason timestamps: dd/MM/yy HH:mm:ss (UTC). */
function reasonTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
/** AWS's notification timestamps: 2026-12-02T05:40:00.000+0000. */
export const notificationTime = (ms: number) => new Date(ms).toISOString().replace("Z", "+0000");

const OPERATOR_WORDS: Record<string, string> = {
  GreaterThanOrEqualToThreshold: "greater than or equal to",
  GreaterThanThreshold: "greater than",
  LessThanThreshold: "less than",
  LessThanOrEqualToThreshold: "less than or equal to",
  LessThanLowerOrGreaterThanUpperThreshold: "outside the band",
  LessThanLowerThreshold: "less than the lower band",
  GreaterThanUpperThreshold: "greater than the upper band",
};
export const COMPARISON_OPERATORS = Object.keys(OPERATOR_WORDS);
export const ANOMALY_OPERATORS = ["LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"];

function breaches(op: string, x: number, threshold: number, lower?: number, upper?: number): boolean {
  switch (op) {
    case "GreaterThanOrEqualToThreshold":
      return x >= threshold;
    case "GreaterThanThreshold":
      return x > threshold;
    case "LessThanThreshold":
      return x < threshold;
    case "LessThanOrEqualToThreshold":
      return x <= threshold;
    case "LessThanLowerOrGreaterThanUpperThreshold":
      return (lower !== undefined && x < lower) || (upper !== undefined && x > upper);
    case "LessThanLowerThreshold":
      return lower !== undefined && x < lower;
    case "GreaterThanUpperThreshold":
      return upper !== undefined && x > upper;
  }
  return false;
}

export interface Evaluation {
  state: StateValue;
  reason: string;
  reasonData: string;
}

/** The period an alarm evaluates over (its own, or its math's returned query's). */
export function alarmPeriod(a: AlarmRecord): number {
  if (a.Period) return a.Period;
  const ret = a.Metrics?.find((q) => q.ReturnData !== false && q.Id !== a.ThresholdMetricId) ?? a.Metrics?.[0];
  return ret?.MetricStat?.Period ?? ret?.Period ?? a.Metrics?.find((q) => q.MetricStat)?.MetricStat?.Period ?? 60;
}

/** Evaluate a metric alarm at `nowMs`; undefined keeps the current state (ignore / low sample count). */
export async function evaluateMetricAlarm(env: AlarmEnv, a: AlarmRecord, nowMs: number): Promise<Evaluation | undefined> {
  const store = new MetricStore(env.metadata, env.scope);
  const P = alarmPeriod(a);
  const N = a.EvaluationPeriods ?? 1;
  const M = a.DatapointsToAlarm ?? N;
  const end = Math.floor(nowMs / (P * 1000)) * P * 1000;
  const start = end - N * P * 1000;
  const values = new Map<number, number>();
  const samples = new Map<number, number>();
  let lower: Map<number, number> | undefined;
  let upper: Map<number, number> | undefined;
  let statistic = a.Statistic ?? a.ExtendedStatistic ?? "";
  let lowSample = false;
  if (a.Metrics) {
    // Anomaly bands learn from the last day of data, not only the evaluation window.
    const from = a.ThresholdMetricId ? start - 24 * 3_600_000 : start;
    const results = await runQueries(store, a.Metrics, from, end, nowMs);
    const main = results.find((r) => r.Id !== a.ThresholdMetricId && a.Metrics!.find((q) => q.Id === r.Id)?.ReturnData !== false) ?? results[0];
    for (const [t, v] of main?.points ?? []) if (t >= start) values.set(t, v);
    if (a.ThresholdMetricId) {
      const band = results.filter((r) => r.Id === a.ThresholdMetricId);
      lower = new Map(band[0]?.points ?? []);
      upper = new Map(band[1]?.points ?? band[0]?.points ?? []);
    }
    statistic = "";
  } else {
    const { series, aggs } = await metricStatSeries(
      store,
      { Metric: { Namespace: a.Namespace!, MetricName: a.MetricName!, Dimensions: a.Dimensions ?? [] }, Period: P, Stat: statistic, ...(a.Unit ? { Unit: a.Unit } : {}) },
      start,
      end,
      nowMs,
    );
    for (const [t, v] of series.points) values.set(t, v);
    const spec = parseStatistic(statistic);
    for (const [t, agg] of aggs) {
      samples.set(t, agg.n);
      if (spec && a.ExtendedStatistic && lowSampleCount(agg, spec)) lowSample = true;
    }
  }
  if (lowSample && a.EvaluateLowSampleCountPercentile === "ignore") return undefined;

  const treat = a.TreatMissingData ?? "missing";
  const op = a.ComparisonOperator!;
  const threshold = a.Threshold ?? 0;
  const present = [...values].sort((x, y) => y[0] - x[0]);
  const missing = N - present.length;
  const breaching = present.filter(([t, x]) => breaches(op, x, threshold, lower?.get(t), upper?.get(t)));
  const reasonData = (state: StateValue) =>
    JSON.stringify({
      version: "1.0",
      queryDate: notificationTime(nowMs),
      startDate: notificationTime(start),
      ...(statistic ? { statistic, period: P } : { period: P }),
      ...(a.Unit ? { unit: a.Unit } : {}),
      recentDatapoints: present.map(([, x]) => x),
      ...(a.ThresholdMetricId ? {} : { threshold }),
      evaluatedDatapoints: present.map(([t, x]) => ({
        timestamp: notificationTime(t),
        ...(samples.has(t) ? { sampleCount: samples.get(t) } : {}),
        value: x,
      })),
      ...(state === "INSUFFICIENT_DATA" ? {} : {}),
    });
  const words = OPERATOR_WORDS[op] ?? op;
  const thresholdText = a.ThresholdMetricId ? "" : ` (${jnum(threshold)})`;
  const list = (pts: Array<[number, number]>) => `[${pts.map(([t, x]) => `${jnum(x)} (${reasonTime(t)})`).join(", ")}]`;

  if (present.length === 0) {
    if (treat === "ignore") return undefined;
    if (treat === "breaching" && N >= M) {
      return { state: "ALARM", reason: `Threshold Crossed: no datapoints were received for ${N} period${N === 1 ? "" : "s"} and ${N} missing datapoint${N === 1 ? " was" : "s were"} treated as [Breaching].`, reasonData: reasonData("ALARM") };
    }
    if (treat === "notBreaching") {
      return { state: "OK", reason: `Threshold Crossed: no datapoints were received for ${N} period${N === 1 ? "" : "s"} and ${N} missing datapoint${N === 1 ? " was" : "s were"} treated as [NonBreaching].`, reasonData: reasonData("OK") };
    }
    return { state: "INSUFFICIENT_DATA", reason: `Insufficient Data: ${N} datapoint${N === 1 ? " was" : "s were"} unknown.`, reasonData: reasonData("INSUFFICIENT_DATA") };
  }
  const breachCount = breaching.length + (treat === "breaching" ? missing : 0);
  const fromState = a.StateValue;
  if (breachCount >= M) {
    const shown = breaching.length > 0 ? breaching : present;
    return {
      state: "ALARM",
      reason: `Threshold Crossed: ${breachCount} out of the last ${N} datapoints ${list(shown)} ${breachCount === 1 ? "was" : "were"} ${words} the threshold${thresholdText} (minimum ${M} datapoint${M === 1 ? "" : "s"} for ${fromState} -> ALARM transition).`,
      reasonData: reasonData("ALARM"),
    };
  }
  const ok = present.filter((p) => !breaching.includes(p));
  const shown = ok.length > 0 ? ok : present;
  return {
    state: "OK",
    reason: `Threshold Crossed: ${shown.length} out of the last ${N} datapoints ${list(shown)} ${shown.length === 1 ? "was" : "were"} not ${words} the threshold${thresholdText} (minimum 1 datapoint for ${fromState} -> OK transition).`,
    reasonData: reasonData("OK"),
  };
}

// ---- composite alarm rules ----

type Rule =
  | { t: "state"; state: StateValue; alarm: string }
  | { t: "const"; v: boolean }
  | { t: "and" | "or"; l: Rule; r: Rule }
  | { t: "not"; e: Rule };

export class RuleError extends Error {}

export function parseAlarmRule(src: string): Rule {
  const toks: string[] = [];
  const re = /\s*(\(|\)|"(?:[^"\\]|\\.)*"|[^\s()"]+)/y;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) throw new RuleError(`Syntax error at position ${pos + 1}`);
    toks.push(m[1]!);
    pos = re.lastIndex;
  }
  let i = 0;
  const primary = (): Rule => {
    const tok = toks[i++];
    if (tok === undefined) throw new RuleError("Unexpected end of the rule");
    const up = tok.toUpperCase();
    if (up === "TRUE" || up === "FALSE") return { t: "const", v: up === "TRUE" };
    if (up === "NOT") return { t: "not", e: primary() };
    if (tok === "(") {
      const e = orRule();
      if (toks[i++] !== ")") throw new RuleError("Expected ')'");
      return e;
    }
    if (up === "ALARM" || up === "OK" || up === "INSUFFICIENT_DATA") {
      if (toks[i++] !== "(") throw new RuleError(`Expected '(' after ${tok}`);
      const nameTok = toks[i++];
      if (nameTok === undefined || nameTok === ")") throw new RuleError("Expected an alarm name");
      if (toks[i++] !== ")") throw new RuleError("Expected ')'");
      let name = nameTok.startsWith('"') ? nameTok.slice(1, -1).replace(/\\(.)/g, "$1") : nameTok;
      const arn = /^arn:aws[\w-]*:cloudwatch:[^:]*:\d{12}:alarm:(.+)$/.exec(name);
      if (arn) name = arn[1]!;
      return { t: "state", state: up as StateValue, alarm: name };
    }
    throw new RuleError(`Unexpected '${tok}'`);
  };
  const andRule = (): Rule => {
    let l = primary();
    while (toks[i]?.toUpperCase() === "AND") {
      i++;
      l = { t: "and", l, r: primary() };
    }
    return l;
  };
  const orRule = (): Rule => {
    let l = andRule();
    while (toks[i]?.toUpperCase() === "OR") {
      i++;
      l = { t: "or", l, r: andRule() };
    }
    return l;
  };
  const rule = orRule();
  if (i < toks.length) throw new RuleError(`Unexpected '${toks[i]}'`);
  return rule;
}

export function ruleAlarms(r: Rule, out = new Set<string>()): Set<string> {
  if (r.t === "state") out.add(r.alarm);
  else if (r.t === "and" || r.t === "or") {
    ruleAlarms(r.l, out);
    ruleAlarms(r.r, out);
  } else if (r.t === "not") ruleAlarms(r.e, out);
  return out;
}

/** true/false, or undefined when a referenced alarm's state is unknown (deleted). */
function evalRule(r: Rule, states: Map<string, StateValue>): boolean | undefined {
  switch (r.t) {
    case "const":
      return r.v;
    case "state": {
      const s = states.get(r.alarm);
      return s === undefined ? undefined : s === r.state;
    }
    case "not": {
      const v = evalRule(r.e, states);
      return v === undefined ? undefined : !v;
    }
    case "and": {
      const l = evalRule(r.l, states);
      const rr = evalRule(r.r, states);
      if (l === false || rr === false) return false;
      return l === undefined || rr === undefined ? undefined : true;
    }
    case "or": {
      const l = evalRule(r.l, states);
      const rr = evalRule(r.r, states);
      if (l === true || rr === true) return true;
      return l === undefined || rr === undefined ? undefined : false;
    }
  }
}

export async function evaluateComposite(env: AlarmEnv, a: AlarmRecord, nowMs: number): Promise<Evaluation | undefined> {
  const rule = parseAlarmRule(a.AlarmRule!);
  const states = new Map<string, StateValue>();
  const triggering: Array<{ arn: string; state: { value: StateValue; timestamp: string } }> = [];
  for (const name of ruleAlarms(rule)) {
    const child = await alarmsTable(env).get(name);
    if (child) {
      states.set(name, child.StateValue);
      triggering.push({ arn: child.AlarmArn, state: { value: child.StateValue, timestamp: child.StateUpdatedTimestamp } });
    }
  }
  const v = evalRule(rule, states);
  const state: StateValue = v === undefined ? "INSUFFICIENT_DATA" : v ? "ALARM" : "OK";
  const reasonData = JSON.stringify({ triggeringAlarms: triggering });
  const reason =
    state === "INSUFFICIENT_DATA"
      ? "Insufficient Data: an alarm the rule names does not exist."
      : triggering.length === 0
        ? `${state === "ALARM" ? "TRUE" : "FALSE"} rule evaluated.`
        : `arn alarm states: ${triggering.map((t) => `${t.arn} transitioned to ${t.state.value} at ${t.state.timestamp}`).join(", ")}`;
  void nowMs;
  return { state, reason, reasonData };
}

// ---- transitions and actions ----

export function actionsFor(a: AlarmRecord, state: StateValue): string[] {
  return state === "ALARM" ? a.AlarmActions : state === "OK" ? a.OKActions : a.InsufficientDataActions;
}

/** AWS's alarm notification JSON (the SNS message body). */
export function notificationMessage(env: AlarmEnv, a: AlarmRecord, oldState: StateValue): string {
  const base: Record<string, unknown> = {
    AlarmName: a.AlarmName,
    AlarmDescription: a.AlarmDescription ?? null,
    AWSAccountId: env.scope.account,
    AlarmConfigurationUpdatedTimestamp: notificationTime(Date.parse(a.AlarmConfigurationUpdatedTimestamp)),
    NewStateValue: a.StateValue,
    NewStateReason: a.StateReason,
    StateChangeTime: notificationTime(Date.parse(a.StateUpdatedTimestamp)),
    Region: regionName(env.scope.region),
    AlarmArn: a.AlarmArn,
    OldStateValue: oldState,
    OKActions: a.OKActions,
    AlarmActions: a.AlarmActions,
    InsufficientDataActions: a.InsufficientDataActions,
  };
  if (a.type === "CompositeAlarm") {
    base.AlarmRule = a.AlarmRule;
    return JSON.stringify(base);
  }
  const trigger: Record<string, unknown> = a.Metrics
    ? {
        Period: alarmPeriod(a),
        EvaluationPeriods: a.EvaluationPeriods,
        DatapointsToAlarm: a.DatapointsToAlarm ?? a.EvaluationPeriods,
        ComparisonOperator: a.ComparisonOperator,
        ...(a.ThresholdMetricId ? { ThresholdMetricId: a.ThresholdMetricId } : { Threshold: a.Threshold }),
        TreatMissingData: a.TreatMissingData ?? "missing",
        EvaluateLowSampleCountPercentile: a.EvaluateLowSampleCountPercentile ?? "",
        Metrics: a.Metrics.map((q) => ({
          Id: q.Id,
          ...(q.Expression !== undefined ? { Expression: q.Expression } : {}),
          ...(q.MetricStat
            ? {
                MetricStat: {
                  Metric: {
                    Dimensions: (q.MetricStat.Metric.Dimensions ?? []).map((d) => ({ value: d.Value, name: d.Name })),
                    MetricName: q.MetricStat.Metric.MetricName,
                    Namespace: q.MetricStat.Metric.Namespace,
                  },
                  Period: q.MetricStat.Period,
                  Stat: q.MetricStat.Stat,
                  ...(q.MetricStat.Unit ? { Unit: q.MetricStat.Unit } : {}),
                },
              }
            : {}),
          ...(q.Label !== undefined ? { Label: q.Label } : {}),
          ReturnData: q.ReturnData !== false,
        })),
      }
    : {
        MetricName: a.MetricName,
        Namespace: a.Namespace,
        StatisticType: a.ExtendedStatistic ? "ExtendedStatistic" : "Statistic",
        ...(a.ExtendedStatistic ? { ExtendedStatistic: a.ExtendedStatistic } : { Statistic: (a.Statistic ?? "").toUpperCase() }),
        Unit: a.Unit ?? null,
        Dimensions: (a.Dimensions ?? []).map((d) => ({ value: d.Value, name: d.Name })),
        Period: a.Period,
        EvaluationPeriods: a.EvaluationPeriods,
        DatapointsToAlarm: a.DatapointsToAlarm ?? a.EvaluationPeriods,
        ComparisonOperator: a.ComparisonOperator,
        Threshold: a.Threshold,
        TreatMissingData: a.TreatMissingData ?? "missing",
        EvaluateLowSampleCountPercentile: a.EvaluateLowSampleCountPercentile ?? "",
      };
  return JSON.stringify({ ...base, Trigger: trigger });
}

/** Whether the alarm's actions are suppressed right now (composite ActionsSuppressor in ALARM). */
async function suppressed(env: AlarmEnv, a: AlarmRecord): Promise<boolean> {
  if (a.type !== "CompositeAlarm" || !a.ActionsSuppressor) return false;
  const name = /:alarm:(.+)$/.exec(a.ActionsSuppressor)?.[1] ?? a.ActionsSuppressor;
  const s = await alarmsTable(env).get(name);
  return s?.StateValue === "ALARM";
}

async function runAction(env: AlarmEnv, a: AlarmRecord, arn: string, oldState: StateValue, nowIso: string): Promise<void> {
  const record = (ok: boolean, data: Record<string, unknown>) =>
    addHistory(env, {
      AlarmName: a.AlarmName,
      AlarmType: a.type,
      Timestamp: nowIso,
      HistoryItemType: "Action",
      HistorySummary: ok ? `Successfully executed action ${arn}` : `Failed to execute action ${arn}`,
      HistoryData: JSON.stringify({ actionState: ok ? "Succeeded" : "Failed", stateUpdateTimestamp: Date.parse(a.StateUpdatedTimestamp), ...data }),
    });
  const message = notificationMessage(env, a, oldState);
  if (!env.bus.accepts(arn)) {
    const service = arn.split(":")[2] ?? "unknown";
    await record(false, { error: `Nimbus does not run ${service} actions yet; the action was not executed.` });
    return;
  }
  try {
    const res = await env.bus.deliver(arn, {
      body: message,
      subject: `${a.StateValue}: "${a.AlarmName}" in ${regionName(env.scope.region)}`.slice(0, 100),
      sender: { servicePrincipal: "cloudwatch.amazonaws.com", account: env.scope.account, sourceArn: a.AlarmArn },
    });
    await record(true, { notificationResource: arn, publishedMessage: JSON.stringify({ ...(res.messageId ? { messageId: res.messageId } : {}) }) });
  } catch (e) {
    await record(false, { error: e instanceof Error ? e.message : String(e) });
  }
}

/** Move an alarm to a new state: record, history, actions; then re-evaluate composite parents. */
export async function transition(env: AlarmEnv, a: AlarmRecord, ev: Evaluation, depth = 0): Promise<void> {
  const nowIso = env.clock.now().toISOString();
  const oldState = a.StateValue;
  const oldReason = a.StateReason;
  const changed = oldState !== ev.state;
  // Re-read so a concurrent Put/Delete in between is not undone.
  const current = await alarmsTable(env).get(a.AlarmName);
  if (!current || current.AlarmConfigurationUpdatedTimestamp !== a.AlarmConfigurationUpdatedTimestamp) return;
  const next: AlarmRecord = {
    ...current,
    StateValue: ev.state,
    StateReason: ev.reason,
    StateReasonData: ev.reasonData,
    StateUpdatedTimestamp: nowIso,
    ...(changed ? { StateTransitionedTimestamp: nowIso } : {}),
  };
  const isSuppressed = changed && (await suppressed(env, next));
  if (next.type === "CompositeAlarm") {
    if (isSuppressed) {
      next.ActionsSuppressedBy = "Alarm";
      next.ActionsSuppressedReason = `Alarm ${next.ActionsSuppressor} is in ALARM state.`;
    } else {
      delete next.ActionsSuppressedBy;
      delete next.ActionsSuppressedReason;
    }
  }
  let history: HistoryRecord | undefined;
  if (changed) {
    const stateData: Record<string, unknown> = { stateValue: ev.state, stateReason: ev.reason };
    if (ev.reasonData) stateData.stateReasonData = JSON.parse(ev.reasonData) as unknown;
    history = {
      AlarmName: a.AlarmName,
      AlarmType: a.type,
      Timestamp: nowIso,
      HistoryItemType: "StateUpdate",
      HistorySummary: `Alarm updated from ${oldState} to ${ev.state}`,
      HistoryData: JSON.stringify({ version: "1.0", oldState: { stateValue: oldState, stateReason: oldReason }, newState: stateData }),
    };
  }
  // State and history in one transaction: one commit (shared with the rest of the evaluation
  // slice's alarms) instead of two in a row.
  const written = await env.metadata.transaction(async (tx) => {
    const alarms = tx.table<AlarmRecord>(env.scope, "alarms");
    const cur = await alarms.get(a.AlarmName);
    if (!cur || cur.AlarmConfigurationUpdatedTimestamp !== a.AlarmConfigurationUpdatedTimestamp) return false;
    await alarms.put(a.AlarmName, next);
    if (history) await tx.table<HistoryRecord>(env.scope, "alarm-history").put(historyKey(history), history);
    return true;
  });
  if (!written || !changed) return;
  if (next.ActionsEnabled && !isSuppressed) for (const arn of actionsFor(next, ev.state)) await runAction(env, next, arn, oldState, nowIso);
  if (depth < 5) await reevaluateParents(env, a.AlarmName, depth + 1);
}

/** The index of composite rules: `<child>\u0001<parent>` for every alarm a composite rule names. */
export const parentIndex = (env: Pick<AlarmEnv, "metadata" | "scope">) => env.metadata.table<Record<string, never>>(env.scope, "alarm-parents");

/** Keep the parent index in step with a composite alarm's rule (undefined rule: the alarm is gone). */
export async function indexComposite(env: Pick<AlarmEnv, "metadata" | "scope">, parent: string, oldRule: string | undefined, newRule: string | undefined): Promise<void> {
  const children = (rule: string | undefined) => (rule === undefined ? new Set<string>() : ruleAlarms(parseAlarmRule(rule)));
  const before = children(oldRule);
  const after = children(newRule);
  const t = parentIndex(env);
  for (const c of before) if (!after.has(c)) await t.delete(`${c}\u0001${parent}`);
  for (const c of after) if (!before.has(c)) await t.put(`${c}\u0001${parent}`, {});
}

/** Composite alarms whose rule names `child`. */
export async function parentsOf(env: AlarmEnv, child: string): Promise<AlarmRecord[]> {
  const out: AlarmRecord[] = [];
  for (const { key } of await parentIndex(env).list({ prefix: `${child}\u0001` })) {
    const parent = await alarmsTable(env).get(key.slice(child.length + 1));
    if (parent?.type === "CompositeAlarm") out.push(parent);
  }
  return out;
}

async function reevaluateParents(env: AlarmEnv, child: string, depth: number): Promise<void> {
  for (const parent of await parentsOf(env, child)) {
    const ev = await evaluateComposite(env, parent, env.clock.nowMs());
    if (ev && ev.state !== parent.StateValue) await transition(env, parent, ev, depth);
  }
}

/** Evaluate one alarm now and apply a state change if any. */
export async function evaluateAlarm(env: AlarmEnv, a: AlarmRecord): Promise<void> {
  const now = env.clock.nowMs();
  const ev = a.type === "CompositeAlarm" ? await evaluateComposite(env, a, now) : await evaluateMetricAlarm(env, a, now);
  // The first evaluation replaces the "Unchecked" reason even when the state stays the same.
  if (ev && (ev.state !== a.StateValue || a.StateReason.startsWith("Unchecked:"))) await transition(env, a, ev);
}
