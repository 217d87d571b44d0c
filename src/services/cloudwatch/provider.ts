/**
 * CloudWatch handlers: metrics (PutMetricData, ListMetrics, GetMetricStatistics, GetMetricData
 * with metric math), alarms (metric, math, anomaly-band and composite alarms; history; actions),
 * dashboards and tags.
 *
 * ## Gaps
 * - Alarms are evaluated at the clock's current time on each tick (once a minute of real time and
 *   on every clock advance); a large advance evaluates once, at its end, not once per skipped period.
 * - Anomaly detection bands are simplified: ANOMALY_DETECTION_BAND(m, k) is the mean ± k standard
 *   deviations of m over the last day (no seasonality model). Anomaly detector, Insights rules,
 *   metric streams and GetMetricWidgetImage operations answer 501.
 * - Alarm actions reach ARNs whose service takes bus deliveries (SNS topics, Lambda functions when
 *   present). Auto Scaling, EC2 (arn:aws:automate:...) and SSM actions are accepted and recorded as
 *   failed Action history items until those services exist.
 * - Percentiles keep up to 4,096 raw values per metric and bucket; beyond that neighbouring values
 *   are merged into weighted means (approximate, as AWS's own percentiles are).
 * - Dynamic labels (`${...}`) are returned verbatim; LabelOptions.Timezone is accepted and unused.
 * - ListMetrics ignores OwningAccount / IncludeLinkedAccounts (no cross-account observability).
 * - PutMetricData's 1 MB request size limit is not checked here (handlers never see the raw body);
 *   the 1,000-metric and 150-value limits are.
 * - DescribeAlarmHistory keeps 30 days; AlarmContributor* history types are accepted and never produced.
 * - Composite ActionsSuppressorWaitPeriod / ExtensionPeriod are recorded; suppression lasts exactly
 *   while the suppressor alarm is in ALARM.
 * ## By design
 * - DeleteAlarms of a name that does not exist succeeds (AWS does the same).
 * ## Client quirks
 * - Answers the query protocol (older CLIs and boto3), awsJson 1.0 (current SDKs and the CLI) and
 *   Smithy RPC v2 CBOR, all from the same handlers.
 */
import type { CloudwatchOperations } from "../../generated/cloudwatch.js";
import type { RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import { CloudWatchErrors } from "./errors.js";
import { MetricStore, metricKey, type DatapointRecord, type Dimension } from "./store.js";
import { checkPeriod, periodAggregates, runQueries, statSpec, validateQueries, type DataQuery } from "./query.js";
import { computeStatistic, parseStatistic, BASIC_STATISTICS } from "./stats.js";
import {
  addHistory,
  alarmsTable,
  ANOMALY_OPERATORS,
  COMPARISON_OPERATORS,
  evaluateAlarm,
  historyTable,
  parentsOf,
  indexComposite,
  parseAlarmRule,
  ruleAlarms,
  RuleError,
  transition,
  type AlarmEnv,
  type AlarmRecord,
  type StateValue,
} from "./alarms.js";

const LIST_PAGE = 500;
const store = (ctx: RequestContext) => new MetricStore(ctx.storage.metadata, ctx.scope);
const invalid = (m: string) => new ServiceError(CloudWatchErrors.InvalidParameterValue, m);
const combination = (m: string) => new ServiceError(CloudWatchErrors.InvalidParameterCombination, m);
const missing = (m: string) => new ServiceError(CloudWatchErrors.MissingParameter, m);
const env = (ctx: RequestContext): AlarmEnv => ({ metadata: ctx.storage.metadata, scope: ctx.scope, clock: ctx.clock, bus: ctx.bus });
const alarmArn = (ctx: RequestContext, name: string) => `arn:aws:cloudwatch:${ctx.region}:${ctx.account}:alarm:${name}`;
const dashboardArn = (ctx: RequestContext, name: string) => `arn:aws:cloudwatch::${ctx.account}:dashboard/${name}`;

const UNITS = [
  "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits",
  "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
  "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
  "Terabits/Second", "Count/Second", "None",
];

function checkUnit(unit: string | undefined, member: string): void {
  if (unit !== undefined && !UNITS.includes(unit)) {
    throw invalid(`The value ${unit} for parameter ${member} is not a valid unit.`);
  }
}

function checkDimensions(dims: Dimension[] | undefined, path: string): Dimension[] {
  const list = dims ?? [];
  if (list.length > 30) throw invalid(`The collection ${path}.Dimensions must not have more than 30 members.`);
  const seen = new Set<string>();
  for (const [i, d] of list.entries()) {
    if (!d.Name || d.Name.length > 255) throw invalid(`The parameter ${path}.Dimensions.member.${i + 1}.Name must be between 1 and 255 characters.`);
    if (d.Value === undefined || d.Value.length < 1 || d.Value.length > 1024) {
      throw invalid(`The parameter ${path}.Dimensions.member.${i + 1}.Value must be between 1 and 1024 characters.`);
    }
    if (seen.has(d.Name)) throw invalid(`No Metric may specify the same dimension name twice.`);
    seen.add(d.Name);
  }
  return list.map((d) => ({ Name: d.Name, Value: d.Value }));
}

const encodeToken = (o: unknown) => Buffer.from(JSON.stringify(o), "utf8").toString("base64url");
function decodeToken<T>(token: string): T {
  try {
    return JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as T;
  } catch {
    throw new ServiceError(CloudWatchErrors.InvalidNextToken);
  }
}

function checkFinite(x: number, member: string): void {
  if (!Number.isFinite(x) || Math.abs(x) > 2 ** 360 || (x !== 0 && Math.abs(x) < 2 ** -260)) {
    throw invalid(`The value ${x} for parameter ${member} is invalid.`);
  }
}

// ---- alarms: validation and output ----

const ARN = /^arn:aws[\w-]*:[a-z0-9-]+:[a-z0-9-]*:[^:]*:.+$/;
function checkActions(list: string[] | undefined, member: string): string[] {
  const l = list ?? [];
  if (l.length > 5) throw invalid(`The collection ${member} must not have a size greater than 5.`);
  for (const a of l) if (!ARN.test(a)) throw invalid(`Invalid arn syntax: ${a}`);
  return l;
}

function checkAlarmName(name: string): void {
  if (name.length < 1 || name.length > 255) throw invalid("The parameter AlarmName must be between 1 and 255 characters.");
}

function checkTags(tags: Array<{ Key: string; Value: string }> | undefined): void {
  for (const t of tags ?? []) {
    if (t.Key.startsWith("aws:")) throw invalid("Invalid tag key: tag keys may not begin with aws:");
  }
}

function mergeTags(old: Array<{ Key: string; Value: string }>, add: Array<{ Key: string; Value: string }>): Array<{ Key: string; Value: string }> {
  const m = new Map(old.map((t) => [t.Key, t.Value]));
  for (const t of add) m.set(t.Key, t.Value);
  if (m.size > 50) throw new ServiceError(CloudWatchErrors.LimitExceeded, "The number of tags exceeds the limit of 50.");
  return [...m].map(([Key, Value]) => ({ Key, Value }));
}

const d = (s: string | undefined) => (s ? new Date(s) : undefined);

function metricAlarmOut(a: AlarmRecord) {
  return {
    AlarmName: a.AlarmName,
    AlarmArn: a.AlarmArn,
    ...(a.AlarmDescription !== undefined ? { AlarmDescription: a.AlarmDescription } : {}),
    AlarmConfigurationUpdatedTimestamp: d(a.AlarmConfigurationUpdatedTimestamp),
    ActionsEnabled: a.ActionsEnabled,
    OKActions: a.OKActions,
    AlarmActions: a.AlarmActions,
    InsufficientDataActions: a.InsufficientDataActions,
    StateValue: a.StateValue,
    StateReason: a.StateReason,
    ...(a.StateReasonData ? { StateReasonData: a.StateReasonData } : {}),
    StateUpdatedTimestamp: d(a.StateUpdatedTimestamp),
    ...(a.MetricName !== undefined ? { MetricName: a.MetricName } : {}),
    ...(a.Namespace !== undefined ? { Namespace: a.Namespace } : {}),
    ...(a.Statistic !== undefined ? { Statistic: a.Statistic } : {}),
    ...(a.ExtendedStatistic !== undefined ? { ExtendedStatistic: a.ExtendedStatistic } : {}),
    Dimensions: a.Dimensions ?? [],
    ...(a.Period !== undefined ? { Period: a.Period } : {}),
    ...(a.Unit !== undefined ? { Unit: a.Unit } : {}),
    EvaluationPeriods: a.EvaluationPeriods,
    ...(a.DatapointsToAlarm !== undefined ? { DatapointsToAlarm: a.DatapointsToAlarm } : {}),
    ...(a.Threshold !== undefined ? { Threshold: a.Threshold } : {}),
    ComparisonOperator: a.ComparisonOperator,
    ...(a.TreatMissingData !== undefined ? { TreatMissingData: a.TreatMissingData } : {}),
    ...(a.EvaluateLowSampleCountPercentile !== undefined ? { EvaluateLowSampleCountPercentile: a.EvaluateLowSampleCountPercentile } : {}),
    ...(a.Metrics ? { Metrics: a.Metrics } : {}),
    ...(a.ThresholdMetricId !== undefined ? { ThresholdMetricId: a.ThresholdMetricId } : {}),
    StateTransitionedTimestamp: d(a.StateTransitionedTimestamp),
  };
}

function compositeOut(a: AlarmRecord) {
  return {
    ActionsEnabled: a.ActionsEnabled,
    AlarmActions: a.AlarmActions,
    AlarmArn: a.AlarmArn,
    AlarmConfigurationUpdatedTimestamp: d(a.AlarmConfigurationUpdatedTimestamp),
    ...(a.AlarmDescription !== undefined ? { AlarmDescription: a.AlarmDescription } : {}),
    AlarmName: a.AlarmName,
    AlarmRule: a.AlarmRule,
    InsufficientDataActions: a.InsufficientDataActions,
    OKActions: a.OKActions,
    StateReason: a.StateReason,
    ...(a.StateReasonData ? { StateReasonData: a.StateReasonData } : {}),
    StateUpdatedTimestamp: d(a.StateUpdatedTimestamp),
    StateValue: a.StateValue,
    StateTransitionedTimestamp: d(a.StateTransitionedTimestamp),
    ...(a.ActionsSuppressedBy ? { ActionsSuppressedBy: a.ActionsSuppressedBy, ActionsSuppressedReason: a.ActionsSuppressedReason } : {}),
    ...(a.ActionsSuppressor
      ? { ActionsSuppressor: a.ActionsSuppressor, ActionsSuppressorWaitPeriod: a.ActionsSuppressorWaitPeriod, ActionsSuppressorExtensionPeriod: a.ActionsSuppressorExtensionPeriod }
      : {}),
  };
}

/** The alarm as AWS writes it into Create/Update history data. */
function historyAlarm(a: AlarmRecord): Record<string, unknown> {
  const out = a.type === "CompositeAlarm" ? compositeOut(a) : metricAlarmOut(a);
  const { StateValue: _s, StateReason: _r, StateReasonData: _d, StateUpdatedTimestamp: _u, StateTransitionedTimestamp: _t, ...rest } = out as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

async function saveAlarm(ctx: RequestContext, next: AlarmRecord, existing: AlarmRecord | undefined): Promise<void> {
  await alarmsTable(env(ctx)).put(next.AlarmName, next);
  if (next.type === "CompositeAlarm") await indexComposite(env(ctx), next.AlarmName, existing?.AlarmRule, next.AlarmRule);
  await addHistory(env(ctx), {
    AlarmName: next.AlarmName,
    AlarmType: next.type,
    Timestamp: next.AlarmConfigurationUpdatedTimestamp,
    HistoryItemType: "ConfigurationUpdate",
    HistorySummary: `Alarm "${next.AlarmName}" ${existing ? "updated" : "created"}`,
    HistoryData: JSON.stringify(
      existing
        ? { version: "1.0", type: "Update", originalUpdatedAlarm: historyAlarm(existing), updatedAlarm: historyAlarm(next) }
        : { version: "1.0", type: "Create", createdAlarm: historyAlarm(next) },
    ),
  });
}

function newAlarmBase(ctx: RequestContext, name: string, existing: AlarmRecord | undefined, type: AlarmRecord["type"]): Pick<AlarmRecord, "StateValue" | "StateReason" | "StateUpdatedTimestamp" | "StateTransitionedTimestamp" | "AlarmConfigurationUpdatedTimestamp" | "AlarmArn" | "type" | "Tags" | "StateReasonData"> {
  const now = ctx.clock.now().toISOString();
  if (existing && existing.type !== type) {
    throw invalid(`The alarm ${name} already exists as a ${existing.type === "MetricAlarm" ? "metric" : "composite"} alarm.`);
  }
  return existing
    ? {
        type,
        AlarmArn: existing.AlarmArn,
        StateValue: existing.StateValue,
        StateReason: existing.StateReason,
        ...(existing.StateReasonData ? { StateReasonData: existing.StateReasonData } : {}),
        StateUpdatedTimestamp: existing.StateUpdatedTimestamp,
        StateTransitionedTimestamp: existing.StateTransitionedTimestamp,
        AlarmConfigurationUpdatedTimestamp: now,
        Tags: existing.Tags,
      }
    : {
        type,
        AlarmArn: alarmArn(ctx, name),
        StateValue: "INSUFFICIENT_DATA",
        StateReason: "Unchecked: Initial alarm creation",
        StateUpdatedTimestamp: now,
        StateTransitionedTimestamp: now,
        AlarmConfigurationUpdatedTimestamp: now,
        Tags: [],
      };
}

async function alarmsByNames(ctx: RequestContext, names: string[]): Promise<AlarmRecord[]> {
  const out: AlarmRecord[] = [];
  for (const n of names) {
    const a = await alarmsTable(env(ctx)).get(n);
    if (a) out.push(a);
  }
  return out;
}

function tagTarget(ctx: RequestContext, arn: string): { kind: "alarm"; name: string } {
  const m = /^arn:aws[\w-]*:cloudwatch:([^:]*):(\d{12}):alarm:(.+)$/.exec(arn);
  if (!m || m[1] !== ctx.region || m[2] !== ctx.account) {
    throw new ServiceError(CloudWatchErrors.ResourceNotFoundException, "The specified resource does not exist.");
  }
  return { kind: "alarm", name: m[3]! };
}

// ---- dashboards ----

interface DashboardRecord {
  DashboardName: string;
  DashboardBody: string;
  LastModified: string;
}
const dashboards = (ctx: RequestContext) => ctx.storage.metadata.table<DashboardRecord>({ ...ctx.scope, region: "aws-global" }, "dashboards");
const WIDGET_TYPES = ["metric", "text", "log", "alarm", "explorer", "custom"];

function validateDashboard(body: string): Array<{ DataPath: string; Message: string }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [{ DataPath: "", Message: "Should be an object" }];
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return [{ DataPath: "", Message: "Should be an object" }];
  const msgs: Array<{ DataPath: string; Message: string }> = [];
  const o = parsed as Record<string, unknown>;
  if (!("widgets" in o)) msgs.push({ DataPath: "", Message: "Should have required property 'widgets'" });
  else if (!Array.isArray(o.widgets)) msgs.push({ DataPath: "/widgets", Message: "Should be array" });
  else {
    if (o.widgets.length > 500) msgs.push({ DataPath: "/widgets", Message: "Should NOT have more than 500 items" });
    o.widgets.forEach((w: unknown, i: number) => {
      const p = `/widgets/${i}`;
      if (typeof w !== "object" || w === null || Array.isArray(w)) return msgs.push({ DataPath: p, Message: "Should be object" });
      const ww = w as Record<string, unknown>;
      if (!("type" in ww)) msgs.push({ DataPath: p, Message: "Should have required property 'type'" });
      else if (!WIDGET_TYPES.includes(String(ww.type))) msgs.push({ DataPath: `${p}/type`, Message: `Should be equal to one of the allowed values: ${WIDGET_TYPES.join(", ")}` });
      if ("properties" in ww && (typeof ww.properties !== "object" || ww.properties === null)) msgs.push({ DataPath: `${p}/properties`, Message: "Should be object" });
      if (ww.type === "metric") {
        const props = (ww.properties ?? {}) as Record<string, unknown>;
        if (!("metrics" in props) && !("annotations" in props)) msgs.push({ DataPath: `${p}/properties`, Message: "Should have required property 'metrics'" });
      }
      if (ww.type === "text") {
        const props = (ww.properties ?? {}) as Record<string, unknown>;
        if (typeof props.markdown !== "string") msgs.push({ DataPath: `${p}/properties`, Message: "Should have required property 'markdown'" });
      }
      for (const k of ["x", "y", "width", "height"]) {
        if (k in ww && (typeof ww[k] !== "number" || !Number.isInteger(ww[k]))) msgs.push({ DataPath: `${p}/${k}`, Message: "Should be integer" });
      }
      return undefined;
    });
  }
  return msgs;
}

export const handlers: Partial<CloudwatchOperations> = {
  async PutMetricData(ctx, input) {
    if (input.Namespace.length < 1 || input.Namespace.length > 255) throw invalid("The parameter Namespace must be between 1 and 255 characters.");
    if (input.Namespace.startsWith("AWS/")) throw invalid(`The value ${input.Namespace} for parameter Namespace is invalid.`);
    if (input.MetricData.length > 1000) throw invalid("The collection MetricData must not have a size greater than 1000.");
    const nowMs = ctx.clock.nowMs();
    const points = input.MetricData.map((m, i) => {
      const path = `MetricData.member.${i + 1}`;
      const given = [m.Value !== undefined, m.StatisticValues !== undefined, m.Values !== undefined].filter(Boolean).length;
      if (given > 1) {
        throw combination(`The parameters ${path}.Value, ${path}.StatisticValues and ${path}.Values are mutually exclusive and you have specified more than one.`);
      }
      if (m.Counts && !m.Values) throw combination(`The parameter ${path}.Counts may only be specified with ${path}.Values.`);
      if (m.Values && m.Counts && m.Values.length !== m.Counts.length) throw invalid(`The parameters ${path}.Values and ${path}.Counts must be of the same size.`);
      if (m.Values && m.Values.length > 150) throw invalid(`The collection ${path}.Values must not have a size greater than 150.`);
      if (m.Value !== undefined) checkFinite(m.Value, `${path}.Value`);
      for (const [j, v] of (m.Values ?? []).entries()) checkFinite(v, `${path}.Values.member.${j + 1}`);
      if (m.StatisticValues) {
        const s = m.StatisticValues;
        for (const k of ["SampleCount", "Sum", "Minimum", "Maximum"] as const) checkFinite(s[k], `${path}.StatisticValues.${k}`);
        if (s.SampleCount <= 0) throw invalid(`The value ${s.SampleCount} for parameter ${path}.StatisticValues.SampleCount is invalid.`);
        if (s.Minimum > s.Maximum) throw invalid(`The parameter ${path}.StatisticValues.Maximum must be greater than ${path}.StatisticValues.Minimum.`);
      }
      if (m.StorageResolution !== undefined && m.StorageResolution !== 1 && m.StorageResolution !== 60) {
        throw invalid(`The value ${m.StorageResolution} for parameter ${path}.StorageResolution is invalid. Valid values are 1 and 60.`);
      }
      checkUnit(m.Unit, `${path}.Unit`);
      if (!m.MetricName || m.MetricName.length > 255) throw invalid(`The parameter ${path}.MetricName must be between 1 and 255 characters.`);
      const ts = m.Timestamp ? m.Timestamp.getTime() : nowMs;
      if (ts < nowMs - 14 * 86_400_000 || ts > nowMs + 2 * 3_600_000) {
        throw invalid(`The parameter ${path}.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.`);
      }
      const point: DatapointRecord = {
        timestamp: new Date(ts).toISOString(),
        values: m.Value !== undefined ? [m.Value] : (m.Values ?? []),
        storageResolution: m.StorageResolution ?? 60,
        ...(m.Unit ? { unit: m.Unit } : {}),
        ...(m.Counts ? { counts: m.Counts } : {}),
        ...(m.StatisticValues ? { stats: m.StatisticValues } : {}),
      };
      return { metric: { Namespace: input.Namespace, MetricName: m.MetricName, Dimensions: checkDimensions(m.Dimensions, path) }, point };
    });
    await store(ctx).putData(points);
  },

  async ListMetrics(ctx, input) {
    const s = store(ctx);
    await s.settled();
    let after: string | undefined;
    if (input.NextToken) after = decodeToken<{ k: string }>(input.NextToken).k;
    if (input.RecentlyActive !== undefined && input.RecentlyActive !== "PT3H") throw invalid(`The value ${input.RecentlyActive} for parameter RecentlyActive is invalid.`);
    const recentSince = input.RecentlyActive === "PT3H" ? new Date(ctx.clock.nowMs() - 3 * 3600 * 1000).toISOString() : undefined;
    const wanted = input.Dimensions ?? [];
    if (wanted.length > 10) throw invalid("The collection Dimensions must not have a size greater than 10.");
    const out: Array<{ Namespace: string; MetricName: string; Dimensions: Dimension[] }> = [];
    let last: string | undefined;
    const prefix = input.Namespace !== undefined ? `${input.Namespace}\u0000` : undefined;
    for (;;) {
      const batch = await s.metrics().list({ ...(prefix ? { prefix } : {}), ...(after ? { after } : {}), limit: 1000 });
      for (const { key, value } of batch) {
        after = key;
        if (input.MetricName !== undefined && value.MetricName !== input.MetricName) continue;
        if (recentSince && value.lastPut < recentSince) continue;
        // Metrics expire 15 months after their last data point, as in AWS.
        if (Date.parse(value.lastPut) < ctx.clock.nowMs() - 455 * 86_400_000) continue;
        const ok = wanted.every((w) => value.Dimensions.some((dd) => dd.Name === w.Name && (w.Value === undefined || dd.Value === w.Value)));
        if (!ok) continue;
        out.push({ Namespace: value.Namespace, MetricName: value.MetricName, Dimensions: value.Dimensions });
        last = key;
        if (out.length === LIST_PAGE) break;
      }
      if (out.length === LIST_PAGE || batch.length < 1000) break;
    }
    const more = out.length === LIST_PAGE;
    return { Metrics: out, ...(more && last ? { NextToken: encodeToken({ k: last }) } : {}) };
  },

  async GetMetricStatistics(ctx, input) {
    const stats = input.Statistics ?? [];
    const ext = input.ExtendedStatistics ?? [];
    if (stats.length === 0 && ext.length === 0) throw missing("Must specify either Statistics or ExtendedStatistics.");
    if (stats.length > 0 && ext.length > 0) throw combination("The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.");
    if (stats.length > 5) throw invalid("The collection Statistics must not have a size greater than 5.");
    if (ext.length > 10) throw invalid("The collection ExtendedStatistics must not have a size greater than 10.");
    for (const [i, s] of stats.entries()) {
      if (!(BASIC_STATISTICS as readonly string[]).includes(s)) {
        throw invalid(`The value ${s} for parameter Statistics.member.${i + 1} is not a valid statistic.`);
      }
    }
    const extSpecs = ext.map((s, i) => {
      const spec = parseStatistic(s);
      if (!spec || spec.kind === "basic") throw invalid(`The value ${s} for parameter ExtendedStatistics.member.${i + 1} is not supported.`);
      return [s, spec] as const;
    });
    checkPeriod(input.Period);
    checkUnit(input.Unit, "Unit");
    const dims = checkDimensions(input.Dimensions, "");
    const startMs = input.StartTime.getTime();
    const endMs = input.EndTime.getTime();
    if (endMs <= startMs) throw invalid("The parameter StartTime must be less than the parameter EndTime.");
    const nowMs = ctx.clock.nowMs();
    const requested = Math.ceil((endMs - startMs) / (input.Period * 1000)) * (stats.length + ext.length);
    if (requested > 1440) {
      throw invalid(
        `You have requested up to ${requested.toLocaleString("en-US")} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
      );
    }
    const s = store(ctx);
    await s.settled();
    const per = await periodAggregates(s, metricKey(input.Namespace, input.MetricName, dims), startMs, endMs, input.Period, nowMs, input.Unit);
    const Datapoints = [];
    for (const [unit, byTime] of per) {
      for (const [t, agg] of [...byTime].sort((a, b) => a[0] - b[0])) {
        const dp: Record<string, unknown> = { Timestamp: new Date(t), Unit: unit };
        for (const st of stats) {
          const v = computeStatistic(agg, statSpec(st, "Statistics"));
          if (v !== undefined) dp[st] = v;
        }
        if (extSpecs.length) {
          const e: Record<string, number> = {};
          for (const [name, spec] of extSpecs) {
            const v = computeStatistic(agg, spec);
            if (v !== undefined) e[name] = v;
          }
          dp.ExtendedStatistics = e;
        }
        Datapoints.push(dp);
      }
    }
    return { Label: input.MetricName, Datapoints };
  },

  async GetMetricData(ctx, input) {
    const startMs = input.StartTime.getTime();
    const endMs = input.EndTime.getTime();
    if (endMs <= startMs) throw invalid("The parameter StartTime must be less than the parameter EndTime.");
    if (input.ScanBy !== undefined && !["TimestampDescending", "TimestampAscending"].includes(input.ScanBy)) {
      throw invalid(`The value ${input.ScanBy} for parameter ScanBy is invalid.`);
    }
    const queries = input.MetricDataQueries as DataQuery[];
    validateQueries(queries);
    const s = store(ctx);
    await s.settled();
    const results = (await runQueries(s, queries, startMs, endMs, ctx.clock.nowMs())).filter((r) => queries.find((q) => q.Id === r.Id)?.ReturnData !== false);
    const maxPoints = input.MaxDatapoints ?? 100_800;
    let skip = input.NextToken ? decodeToken<{ skip: number }>(input.NextToken).skip : 0;
    let budget = maxPoints;
    let consumed = skip;
    const desc = (input.ScanBy ?? "TimestampDescending") === "TimestampDescending";
    const out = [];
    let truncated = false;
    for (const r of results) {
      let pts = desc ? [...r.points].reverse() : r.points;
      if (skip >= pts.length) {
        skip -= pts.length;
        if (skip > 0 || pts.length > 0) continue;
      } else if (skip > 0) {
        pts = pts.slice(skip);
        skip = 0;
      }
      if (pts.length > budget) {
        pts = pts.slice(0, budget);
        truncated = true;
      }
      budget -= pts.length;
      consumed += pts.length;
      out.push({
        Id: r.Id,
        Label: r.Label,
        Timestamps: pts.map(([t]) => new Date(t)),
        Values: pts.map(([, v]) => v),
        StatusCode: truncated ? "PartialData" : r.StatusCode,
        ...(r.Messages ? { Messages: r.Messages } : {}),
      });
      if (truncated) break;
    }
    return { MetricDataResults: out, Messages: [], ...(truncated ? { NextToken: encodeToken({ skip: consumed }) } : {}) };
  },

  // ---- alarms ----

  async PutMetricAlarm(ctx, input) {
    checkAlarmName(input.AlarmName);
    const hasMetric = input.MetricName !== undefined || input.Namespace !== undefined || input.Statistic !== undefined || input.ExtendedStatistic !== undefined;
    if (input.Metrics && hasMetric) {
      throw combination("The parameters MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions, Period and Unit must not be specified when Metrics is specified.");
    }
    if (!input.Metrics) {
      if (input.MetricName === undefined) throw missing("The parameter MetricName is required.");
      if (input.Namespace === undefined) throw missing("The parameter Namespace is required.");
      if (input.Period === undefined) throw missing("The parameter Period is required.");
      if ((input.Statistic === undefined) === (input.ExtendedStatistic === undefined)) {
        throw combination("Exactly one of the parameters Statistic and ExtendedStatistic must be specified.");
      }
      if (input.Statistic !== undefined && !(BASIC_STATISTICS as readonly string[]).includes(input.Statistic)) {
        throw invalid(`The value ${input.Statistic} for parameter Statistic is not a valid statistic.`);
      }
      if (input.ExtendedStatistic !== undefined) {
        const spec = parseStatistic(input.ExtendedStatistic);
        if (!spec || spec.kind === "basic") throw invalid(`The value ${input.ExtendedStatistic} for parameter ExtendedStatistic is not supported.`);
      }
      if (input.Period < 10 ? ![10].includes(input.Period) : input.Period !== 30 && input.Period % 60 !== 0) {
        throw invalid("The parameter Period must be 10, 30 or a multiple of 60.");
      }
      checkUnit(input.Unit, "Unit");
      checkDimensions(input.Dimensions, "");
    } else {
      if (input.Metrics.length === 0) throw invalid("The collection Metrics must not be empty.");
      validateQueries(input.Metrics as DataQuery[], "Metrics");
      const returned = input.Metrics.filter((q) => q.ReturnData !== false && q.Id !== input.ThresholdMetricId);
      if (returned.length !== 1) throw invalid("Exactly one element of the metrics list should return data.");
    }
    if (input.EvaluationPeriods < 1) throw invalid("The parameter EvaluationPeriods must be greater than or equal to 1.");
    if (input.DatapointsToAlarm !== undefined && (input.DatapointsToAlarm < 1 || input.DatapointsToAlarm > input.EvaluationPeriods)) {
      throw invalid("DatapointsToAlarm must be greater than or equal to 1 and less than or equal to EvaluationPeriods.");
    }
    if (!COMPARISON_OPERATORS.includes(input.ComparisonOperator)) {
      throw invalid(`The value ${input.ComparisonOperator} for parameter ComparisonOperator is invalid.`);
    }
    const anomaly = ANOMALY_OPERATORS.includes(input.ComparisonOperator);
    if (anomaly) {
      if (!input.ThresholdMetricId || !input.Metrics?.some((q) => q.Id === input.ThresholdMetricId)) {
        throw combination("ComparisonOperators for ranges require ThresholdMetricId to be set and to refer to a query of the Metrics list.");
      }
      if (input.Threshold !== undefined) throw combination("Threshold must not be set with an anomaly detection ComparisonOperator.");
    } else {
      if (input.ThresholdMetricId !== undefined) throw combination("ThresholdMetricId may only be set with an anomaly detection ComparisonOperator.");
      if (input.Threshold === undefined) throw missing("The parameter Threshold is required.");
    }
    if (input.TreatMissingData !== undefined && !["breaching", "notBreaching", "ignore", "missing"].includes(input.TreatMissingData)) {
      throw invalid(`The value ${input.TreatMissingData} for parameter TreatMissingData is invalid.`);
    }
    if (input.EvaluateLowSampleCountPercentile !== undefined && !["evaluate", "ignore"].includes(input.EvaluateLowSampleCountPercentile)) {
      throw invalid(`The value ${input.EvaluateLowSampleCountPercentile} for parameter EvaluateLowSampleCountPercentile is invalid.`);
    }
    const period = input.Period ?? 60;
    if (period * input.EvaluationPeriods > 7 * 86_400) throw invalid("The evaluation period (Period * EvaluationPeriods) must be 7 days or less.");
    checkTags(input.Tags);
    const existing = await alarmsTable(env(ctx)).get(input.AlarmName);
    const base = newAlarmBase(ctx, input.AlarmName, existing, "MetricAlarm");
    const next: AlarmRecord = {
      ...base,
      AlarmName: input.AlarmName,
      ...(input.AlarmDescription !== undefined ? { AlarmDescription: input.AlarmDescription } : {}),
      ActionsEnabled: input.ActionsEnabled ?? true,
      OKActions: checkActions(input.OKActions, "OKActions"),
      AlarmActions: checkActions(input.AlarmActions, "AlarmActions"),
      InsufficientDataActions: checkActions(input.InsufficientDataActions, "InsufficientDataActions"),
      ...(input.MetricName !== undefined ? { MetricName: input.MetricName } : {}),
      ...(input.Namespace !== undefined ? { Namespace: input.Namespace } : {}),
      ...(input.Statistic !== undefined ? { Statistic: input.Statistic } : {}),
      ...(input.ExtendedStatistic !== undefined ? { ExtendedStatistic: input.ExtendedStatistic } : {}),
      ...(input.Metrics ? {} : { Dimensions: (input.Dimensions ?? []).map((x) => ({ Name: x.Name, Value: x.Value })) }),
      ...(input.Period !== undefined ? { Period: input.Period } : {}),
      ...(input.Unit !== undefined ? { Unit: input.Unit } : {}),
      EvaluationPeriods: input.EvaluationPeriods,
      ...(input.DatapointsToAlarm !== undefined ? { DatapointsToAlarm: input.DatapointsToAlarm } : {}),
      ...(input.Threshold !== undefined ? { Threshold: input.Threshold } : {}),
      ComparisonOperator: input.ComparisonOperator,
      ...(input.TreatMissingData !== undefined ? { TreatMissingData: input.TreatMissingData } : {}),
      ...(input.EvaluateLowSampleCountPercentile !== undefined ? { EvaluateLowSampleCountPercentile: input.EvaluateLowSampleCountPercentile } : {}),
      ...(input.Metrics ? { Metrics: JSON.parse(JSON.stringify(input.Metrics)) as DataQuery[] } : {}),
      ...(input.ThresholdMetricId !== undefined ? { ThresholdMetricId: input.ThresholdMetricId } : {}),
      Tags: existing ? base.Tags : mergeTags([], input.Tags ?? []),
    };
    await saveAlarm(ctx, next, existing);
  },

  async PutCompositeAlarm(ctx, input) {
    checkAlarmName(input.AlarmName);
    if (input.AlarmRule.length > 10240) throw invalid("The parameter AlarmRule must be at most 10240 characters.");
    let children: Set<string>;
    try {
      children = ruleAlarms(parseAlarmRule(input.AlarmRule));
    } catch (e) {
      if (e instanceof RuleError) throw invalid(`Error in AlarmRule: ${e.message}`);
      throw e;
    }
    if (children.has(input.AlarmName)) throw invalid("The AlarmRule of a composite alarm cannot refer to the alarm itself.");
    for (const c of children) {
      if (!(await alarmsTable(env(ctx)).get(c))) throw invalid(`Could not save the composite alarm as alarms [${c}] in the alarm rule do not exist`);
    }
    checkTags(input.Tags);
    const existing = await alarmsTable(env(ctx)).get(input.AlarmName);
    const base = newAlarmBase(ctx, input.AlarmName, existing, "CompositeAlarm");
    const next: AlarmRecord = {
      ...base,
      AlarmName: input.AlarmName,
      ...(input.AlarmDescription !== undefined ? { AlarmDescription: input.AlarmDescription } : {}),
      ActionsEnabled: input.ActionsEnabled ?? true,
      OKActions: checkActions(input.OKActions, "OKActions"),
      AlarmActions: checkActions(input.AlarmActions, "AlarmActions"),
      InsufficientDataActions: checkActions(input.InsufficientDataActions, "InsufficientDataActions"),
      AlarmRule: input.AlarmRule,
      ...(input.ActionsSuppressor !== undefined
        ? {
            ActionsSuppressor: input.ActionsSuppressor,
            ActionsSuppressorWaitPeriod: input.ActionsSuppressorWaitPeriod ?? 60,
            ActionsSuppressorExtensionPeriod: input.ActionsSuppressorExtensionPeriod ?? 60,
          }
        : {}),
      Tags: existing ? base.Tags : mergeTags([], input.Tags ?? []),
    };
    await saveAlarm(ctx, next, existing);
    // A composite alarm takes its state from its children at once.
    await evaluateAlarm(env(ctx), next);
  },

  async DescribeAlarms(ctx, input) {
    const max = input.MaxRecords ?? 50;
    if (max < 1 || max > 100) throw invalid("The parameter MaxRecords must be between 1 and 100.");
    if (input.AlarmNames && input.AlarmNamePrefix !== undefined) throw combination("The parameters AlarmNames and AlarmNamePrefix are mutually exclusive.");
    if (input.ChildrenOfAlarmName !== undefined && input.ParentsOfAlarmName !== undefined) {
      throw combination("The parameters ChildrenOfAlarmName and ParentsOfAlarmName are mutually exclusive.");
    }
    if (input.StateValue !== undefined && !["OK", "ALARM", "INSUFFICIENT_DATA"].includes(input.StateValue)) {
      throw invalid(`The value ${input.StateValue} for parameter StateValue is invalid.`);
    }
    const types = input.AlarmTypes ?? ["MetricAlarm"];
    for (const t of types) if (!["MetricAlarm", "CompositeAlarm"].includes(t)) throw invalid(`The value ${t} for parameter AlarmTypes is invalid.`);
    let candidates: AlarmRecord[];
    const after = input.NextToken ? decodeToken<{ a: string }>(input.NextToken).a : undefined;
    if (input.AlarmNames) candidates = (await alarmsByNames(ctx, [...new Set(input.AlarmNames)].sort())).filter((a) => !after || a.AlarmName > after);
    else if (input.ChildrenOfAlarmName !== undefined) {
      const parent = await alarmsTable(env(ctx)).get(input.ChildrenOfAlarmName);
      candidates = parent?.type === "CompositeAlarm" ? await alarmsByNames(ctx, [...ruleAlarms(parseAlarmRule(parent.AlarmRule!))].sort()) : [];
    } else if (input.ParentsOfAlarmName !== undefined) candidates = await parentsOf(env(ctx), input.ParentsOfAlarmName);
    else {
      candidates = (
        await alarmsTable(env(ctx)).list({ ...(input.AlarmNamePrefix ? { prefix: input.AlarmNamePrefix } : {}), ...(after ? { after } : {}) })
      ).map((e) => e.value);
    }
    const matching = candidates.filter(
      (a) =>
        types.includes(a.type) &&
        (input.StateValue === undefined || a.StateValue === input.StateValue) &&
        (input.ActionPrefix === undefined || [...a.AlarmActions, ...a.OKActions, ...a.InsufficientDataActions].some((x) => x.startsWith(input.ActionPrefix!))),
    );
    const page = matching.slice(0, max);
    const more = matching.length > max;
    return {
      MetricAlarms: page.filter((a) => a.type === "MetricAlarm").map(metricAlarmOut),
      CompositeAlarms: page.filter((a) => a.type === "CompositeAlarm").map(compositeOut),
      ...(more ? { NextToken: encodeToken({ a: page[page.length - 1]!.AlarmName }) } : {}),
    };
  },

  async DescribeAlarmsForMetric(ctx, input) {
    const dims = checkDimensions(input.Dimensions, "");
    const key = metricKey(input.Namespace, input.MetricName, dims);
    const out = [];
    for (const { value: a } of await alarmsTable(env(ctx)).list()) {
      if (a.type !== "MetricAlarm") continue;
      const refs = a.Metrics
        ? a.Metrics.filter((q) => q.MetricStat).map((q) => ({
            key: metricKey(q.MetricStat!.Metric.Namespace ?? "", q.MetricStat!.Metric.MetricName ?? "", q.MetricStat!.Metric.Dimensions ?? []),
            stat: q.MetricStat!.Stat,
            period: q.MetricStat!.Period,
            unit: q.MetricStat!.Unit,
          }))
        : [{ key: metricKey(a.Namespace!, a.MetricName!, a.Dimensions ?? []), stat: a.Statistic ?? a.ExtendedStatistic, period: a.Period, unit: a.Unit }];
      const hit = refs.some(
        (r) =>
          r.key === key &&
          (input.Statistic === undefined || r.stat === input.Statistic) &&
          (input.ExtendedStatistic === undefined || r.stat === input.ExtendedStatistic) &&
          (input.Period === undefined || r.period === input.Period) &&
          (input.Unit === undefined || r.unit === input.Unit),
      );
      if (hit) out.push(metricAlarmOut(a));
    }
    return { MetricAlarms: out };
  },

  async DescribeAlarmHistory(ctx, input) {
    const max = input.MaxRecords ?? 100;
    if (max < 1 || max > 100) throw invalid("The parameter MaxRecords must be between 1 and 100.");
    if (input.HistoryItemType !== undefined && !["ConfigurationUpdate", "StateUpdate", "Action", "AlarmContributorStateUpdate", "AlarmContributorAction"].includes(input.HistoryItemType)) {
      throw invalid(`The value ${input.HistoryItemType} for parameter HistoryItemType is invalid.`);
    }
    const types = input.AlarmTypes ?? ["MetricAlarm", "CompositeAlarm"];
    const desc = (input.ScanBy ?? "TimestampDescending") === "TimestampDescending";
    const pad = (ms: number) => String(ms).padStart(15, "0");
    const from = input.StartDate ? pad(input.StartDate.getTime()) : undefined;
    const before = input.EndDate ? pad(input.EndDate.getTime() + 1) : undefined;
    let cursor = input.NextToken ? decodeToken<{ k: string }>(input.NextToken).k : undefined;
    const out = [];
    let lastKey: string | undefined;
    let more = false;
    // History is kept 30 days, as in AWS.
    const oldest = pad(ctx.clock.nowMs() - 30 * 86_400_000);
    outer: for (;;) {
      const page = await historyTable(env(ctx)).list({
        reverse: desc,
        limit: 1000,
        ...(desc
          ? { ...(cursor ? { before: cursor } : before ? { before } : {}), from: from && from > oldest ? from : oldest }
          : { ...(cursor ? { after: cursor } : { from: from && from > oldest ? from : oldest }), ...(before ? { before } : {}) }),
      });
      for (const { key, value } of page) {
        cursor = key;
        if (input.AlarmName !== undefined && value.AlarmName !== input.AlarmName) continue;
        if (!types.includes(value.AlarmType)) continue;
        if (input.HistoryItemType !== undefined && value.HistoryItemType !== input.HistoryItemType) continue;
        if (out.length === max) {
          more = true;
          break outer;
        }
        out.push({ ...value, Timestamp: new Date(value.Timestamp) });
        lastKey = key;
      }
      if (page.length < 1000) break;
    }
    return { AlarmHistoryItems: out, ...(more && lastKey ? { NextToken: encodeToken({ k: lastKey }) } : {}) };
  },

  async SetAlarmState(ctx, input) {
    if (!["OK", "ALARM", "INSUFFICIENT_DATA"].includes(input.StateValue)) throw invalid(`The value ${input.StateValue} for parameter StateValue is invalid.`);
    if (input.StateReason.length > 1023) throw invalid("The parameter StateReason must be at most 1023 characters.");
    if (input.StateReasonData !== undefined) {
      try {
        JSON.parse(input.StateReasonData);
      } catch {
        throw new ServiceError(CloudWatchErrors.InvalidFormat, "StateReasonData is not valid JSON.");
      }
    }
    const a = await alarmsTable(env(ctx)).get(input.AlarmName);
    if (!a) throw new ServiceError(CloudWatchErrors.ResourceNotFound, `Alarm ${input.AlarmName} not found`);
    await transition(env(ctx), a, { state: input.StateValue as StateValue, reason: input.StateReason, reasonData: input.StateReasonData ?? "" });
  },

  async EnableAlarmActions(ctx, input) {
    for (const a of await alarmsByNames(ctx, input.AlarmNames)) await alarmsTable(env(ctx)).put(a.AlarmName, { ...a, ActionsEnabled: true });
  },

  async DisableAlarmActions(ctx, input) {
    for (const a of await alarmsByNames(ctx, input.AlarmNames)) await alarmsTable(env(ctx)).put(a.AlarmName, { ...a, ActionsEnabled: false });
  },

  async DeleteAlarms(ctx, input) {
    if (input.AlarmNames.length > 100) throw invalid("The collection AlarmNames must not have a size greater than 100.");
    const found = await alarmsByNames(ctx, input.AlarmNames);
    // AWS refuses to delete an alarm a remaining composite alarm's rule names.
    for (const a of found) {
      const parents = (await parentsOf(env(ctx), a.AlarmName)).filter((p) => !input.AlarmNames.includes(p.AlarmName));
      if (parents.length > 0) {
        throw invalid(`The alarm ${a.AlarmName} is referenced by the composite alarm rule of ${parents.map((p) => p.AlarmName).join(", ")}.`);
      }
    }
    await ctx.storage.metadata.transaction(async (tx) => {
      const t = tx.table<AlarmRecord>(ctx.scope, "alarms");
      for (const a of found) await t.delete(a.AlarmName);
    });
    for (const a of found) if (a.type === "CompositeAlarm") await indexComposite(env(ctx), a.AlarmName, a.AlarmRule, undefined);
  },

  async TagResource(ctx, input) {
    checkTags(input.Tags);
    const target = tagTarget(ctx, input.ResourceARN);
    const a = await alarmsTable(env(ctx)).get(target.name);
    if (!a) throw new ServiceError(CloudWatchErrors.ResourceNotFoundException, "The specified resource does not exist.");
    await alarmsTable(env(ctx)).put(a.AlarmName, { ...a, Tags: mergeTags(a.Tags, input.Tags) });
    return {};
  },

  async UntagResource(ctx, input) {
    const target = tagTarget(ctx, input.ResourceARN);
    const a = await alarmsTable(env(ctx)).get(target.name);
    if (!a) throw new ServiceError(CloudWatchErrors.ResourceNotFoundException, "The specified resource does not exist.");
    await alarmsTable(env(ctx)).put(a.AlarmName, { ...a, Tags: a.Tags.filter((t) => !input.TagKeys.includes(t.Key)) });
    return {};
  },

  async ListTagsForResource(ctx, input) {
    const target = tagTarget(ctx, input.ResourceARN);
    const a = await alarmsTable(env(ctx)).get(target.name);
    if (!a) throw new ServiceError(CloudWatchErrors.ResourceNotFoundException, "The specified resource does not exist.");
    return { Tags: a.Tags };
  },

  // ---- dashboards ----

  async PutDashboard(ctx, input) {
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(input.DashboardName)) {
      throw new ServiceError(CloudWatchErrors.DashboardInvalidInput, "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).", {
        dashboardValidationMessages: [],
      });
    }
    const msgs = validateDashboard(input.DashboardBody);
    if (msgs.length > 0) {
      throw new ServiceError(CloudWatchErrors.DashboardInvalidInput, "The field DashboardBody has an invalid value.", { dashboardValidationMessages: msgs });
    }
    await dashboards(ctx).put(input.DashboardName, { DashboardName: input.DashboardName, DashboardBody: input.DashboardBody, LastModified: ctx.clock.now().toISOString() });
    return { DashboardValidationMessages: [] };
  },

  async GetDashboard(ctx, input) {
    const db = await dashboards(ctx).get(input.DashboardName);
    if (!db) throw new ServiceError(CloudWatchErrors.DashboardNotFound, "Dashboard does not exist");
    return { DashboardArn: dashboardArn(ctx, db.DashboardName), DashboardBody: db.DashboardBody, DashboardName: db.DashboardName };
  },

  async ListDashboards(ctx, input) {
    const after = input.NextToken ? decodeToken<{ d: string }>(input.NextToken).d : undefined;
    const page = await dashboards(ctx).list({ ...(input.DashboardNamePrefix ? { prefix: input.DashboardNamePrefix } : {}), ...(after ? { after } : {}), limit: 1001 });
    const shown = page.slice(0, 1000);
    return {
      DashboardEntries: shown.map(({ value }) => ({
        DashboardName: value.DashboardName,
        DashboardArn: dashboardArn(ctx, value.DashboardName),
        LastModified: new Date(value.LastModified),
        Size: Buffer.byteLength(value.DashboardBody),
      })),
      ...(page.length > 1000 ? { NextToken: encodeToken({ d: shown[shown.length - 1]!.key }) } : {}),
    };
  },

  async DeleteDashboards(ctx, input) {
    const t = dashboards(ctx);
    for (const name of input.DashboardNames) {
      if (!(await t.get(name))) throw new ServiceError(CloudWatchErrors.DashboardNotFound, `The specified dashboard does not exist. [${name}]`);
    }
    for (const name of input.DashboardNames) await t.delete(name);
    return {};
  },
};
