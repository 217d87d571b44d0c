/** Alarms: list with state filters, create (metric, statistic, period, threshold, SNS action), detail with history and chart; delete. */
import { useMemo, useState, type FormEvent } from "react";
import { DeleteAlarmsCommand, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, PutMetricAlarmCommand, type AlarmHistoryItem, type CompositeAlarm, type MetricAlarm, type Statistic } from "@aws-sdk/client-cloudwatch";
import { paginateListTopics, SNSClient } from "@aws-sdk/client-sns";
import { client } from "../../aws.ts";
import { Link, navigate, useQuery } from "../../router.tsx";
import { ConfirmDialog, ErrorAlert, Field, formatDate, KeyValue, LineChart, notify, PageHeader, Panel, ResourceTable, SelectField, Spinner, TextField, useAsync, useBreadcrumbs, type Column } from "../../ui/index.ts";
import { listAlarms } from "./overview.tsx";
import { alarmPath, AlarmState, CloudWatchNav, COMPARISONS, cw } from "./nav.tsx";
import { fetchSeries, metricLabel, PERIODS, RANGES, rangeMs } from "./metrics-data.ts";
import { listAllMetrics, metricKey } from "./metrics.tsx";

type Alarm = MetricAlarm | CompositeAlarm;
const isMetricAlarm = (a: Alarm): a is MetricAlarm => "MetricName" in a || "Metrics" in a || "Threshold" in a;

function condition(a: Alarm): string {
  if (!isMetricAlarm(a)) return `Composite: ${(a as CompositeAlarm).AlarmRule ?? ""}`;
  const stat = a.Statistic ?? a.ExtendedStatistic ?? "";
  const metric = a.MetricName ?? (a.Metrics?.length ? "expression" : "");
  const per = a.Period ? ` per ${PERIODS.find((p) => +p.value === a.Period)?.label ?? `${a.Period} s`}` : "";
  return `${metric} ${stat}${per} ${COMPARISONS[a.ComparisonOperator ?? ""] ?? a.ComparisonOperator ?? ""} ${a.Threshold ?? ""} for ${a.DatapointsToAlarm ?? a.EvaluationPeriods} of ${a.EvaluationPeriods} periods`;
}

export function AlarmsList() {
  useBreadcrumbs([{ label: "CloudWatch" }, { label: "Alarms" }]);
  const query = useQuery();
  const alarms = useAsync(listAlarms);
  const [state, setState] = useState(query.get("state") ?? "");
  const [selected, setSelected] = useState<string[]>([]);
  const [deleting, setDeleting] = useState(false);
  const items = useMemo(() => (alarms.data ?? []).filter((a) => !state || a.StateValue === state), [alarms.data, state]);
  const columns: Column<Alarm>[] = [
    { id: "AlarmName", header: "Name", cell: (a) => <Link to={alarmPath(a.AlarmName!)}>{a.AlarmName}</Link>, sortValue: (a) => a.AlarmName },
    { id: "StateValue", header: "State", cell: (a) => <AlarmState state={a.StateValue} /> },
    { id: "StateUpdatedTimestamp", header: "Last state update", cell: (a) => formatDate(a.StateUpdatedTimestamp), sortValue: (a) => (a.StateUpdatedTimestamp ? new Date(a.StateUpdatedTimestamp).getTime() : 0) },
    { id: "Conditions", header: "Conditions", cell: condition, sortValue: condition },
    { id: "Actions", header: "Actions", cell: (a) => (a.ActionsEnabled === false ? "Disabled" : (a.AlarmActions?.length ?? 0) > 0 ? `${a.AlarmActions!.length} on alarm` : "None"), sortable: false },
  ];
  const create = (
    <Link className="btn btn-primary" to="cloudwatch/alarms/create">
      Create alarm
    </Link>
  );
  return (
    <>
      <PageHeader
        title="Alarms"
        count={alarms.data?.length}
        actions={
          <>
            <button type="button" className="btn" onClick={alarms.reload}>
              Refresh
            </button>
            <button type="button" className="btn" disabled={selected.length === 0} onClick={() => setDeleting(true)}>
              Delete
            </button>
            {create}
          </>
        }
      />
      <CloudWatchNav current="alarms" />
      <section className="panel">
        <div className="panel-body">
          <ResourceTable
            resourceName="alarms"
            items={alarms.data ? items : undefined}
            loading={alarms.loading}
            error={alarms.error}
            onRetry={alarms.reload}
            columns={columns}
            rowKey={(a) => a.AlarmName!}
            selection="multi"
            selected={selected}
            onSelectionChange={setSelected}
            defaultSort={{ column: "AlarmName" }}
            toolbar={
              <label style={{ display: "flex", gap: 6, alignItems: "center" }}>
                <span>State</span>
                <select value={state} onChange={(e) => setState(e.target.value)}>
                  <option value="">Any state</option>
                  <option value="ALARM">In alarm</option>
                  <option value="OK">OK</option>
                  <option value="INSUFFICIENT_DATA">Insufficient data</option>
                </select>
              </label>
            }
            empty={
              <>
                <p>{state ? "No alarms in this state." : "No alarms yet."}</p>
                {create}
              </>
            }
          />
        </div>
      </section>
      {deleting && (
        <ConfirmDialog
          title={`Delete ${selected.length} alarm${selected.length === 1 ? "" : "s"}?`}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await cw().send(new DeleteAlarmsCommand({ AlarmNames: selected }));
            notify(`Deleted ${selected.join(", ")}`);
            setSelected([]);
            alarms.reload();
          }}
        >
          <p>{selected.join(", ")}</p>
        </ConfirmDialog>
      )}
    </>
  );
}

async function listTopics(): Promise<string[]> {
  const out: string[] = [];
  for await (const page of paginateListTopics({ client: client(SNSClient) }, {})) out.push(...(page.Topics ?? []).map((t) => t.TopicArn!));
  return out;
}

export function CreateAlarmPage() {
  useBreadcrumbs([{ label: "CloudWatch", to: "cloudwatch" }, { label: "Alarms", to: "cloudwatch/alarms" }, { label: "Create alarm" }]);
  const metrics = useAsync(listAllMetrics);
  const topics = useAsync(listTopics);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [metric, setMetric] = useState("");
  const [stat, setStat] = useState("Average");
  const [period, setPeriod] = useState("300");
  const [comparison, setComparison] = useState("GreaterThanThreshold");
  const [threshold, setThreshold] = useState("");
  const [evaluations, setEvaluations] = useState("1");
  const [missing, setMissing] = useState("missing");
  const [topic, setTopic] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const sorted = useMemo(() => [...(metrics.data ?? [])].sort((a, b) => metricKey(a).localeCompare(metricKey(b))), [metrics.data]);
  const errors = {
    name: !name.trim() ? "Enter an alarm name." : name.length > 255 ? "Up to 255 characters." : undefined,
    metric: !metric ? "Choose a metric." : undefined,
    threshold: threshold.trim() === "" || Number.isNaN(Number(threshold)) ? "Enter a number." : undefined,
    evaluations: !/^\d+$/.test(evaluations) || +evaluations < 1 ? "A whole number of periods, 1 or more." : undefined,
  };
  const show = (e: string | undefined) => (submitted ? e : undefined);
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setSubmitted(true);
    if (Object.values(errors).some(Boolean)) return;
    const m = sorted.find((x) => metricKey(x) === metric)!;
    setBusy(true);
    setError(undefined);
    try {
      const extended = /^p\d/.test(stat);
      await cw().send(
        new PutMetricAlarmCommand({
          AlarmName: name.trim(),
          AlarmDescription: description || undefined,
          Namespace: m.Namespace,
          MetricName: m.MetricName,
          Dimensions: m.Dimensions,
          ...(extended ? { ExtendedStatistic: stat } : { Statistic: stat as Statistic }),
          Period: +period,
          EvaluationPeriods: +evaluations,
          Threshold: Number(threshold),
          ComparisonOperator: comparison as "GreaterThanThreshold",
          TreatMissingData: missing,
          AlarmActions: topic ? [topic] : undefined,
        }),
      );
      notify(`Alarm ${name.trim()} created`);
      navigate("cloudwatch/alarms");
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} noValidate>
      <PageHeader title="Create alarm" description="Watch one metric: the alarm goes to ALARM when the statistic crosses the threshold for the given number of periods." />
      <Panel title="Metric and conditions">
        {metrics.error ? <ErrorAlert error={metrics.error} onRetry={metrics.reload} /> : null}
        <Field label="Metric" error={show(errors.metric)} hint={metrics.loading ? "Loading metrics…" : `${sorted.length} metrics in this region`}>
          {(id, d) => (
            <select id={id} aria-describedby={d} value={metric} onChange={(e) => setMetric(e.target.value)}>
              <option value="">Choose a metric</option>
              {sorted.map((m) => (
                <option key={metricKey(m)} value={metricKey(m)}>
                  {metricKey(m)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div style={{ display: "grid", gap: "0 16px", gridTemplateColumns: "repeat(auto-fit, minmax(180px, 1fr))" }}>
          <SelectField label="Statistic" value={stat} onChange={setStat} options={["Average", "Sum", "Minimum", "Maximum", "SampleCount", "p90", "p99"]} />
          <SelectField label="Period" value={period} onChange={setPeriod} options={PERIODS} />
          <SelectField
            label="Comparison"
            value={comparison}
            onChange={setComparison}
            options={Object.entries(COMPARISONS).map(([value, sym]) => ({ value, label: `${value.replace(/([a-z])([A-Z])/g, "$1 $2")} (${sym})` }))}
          />
          <TextField label="Threshold" inputMode="decimal" value={threshold} onChange={setThreshold} error={show(errors.threshold)} />
          <TextField label="Evaluation periods" inputMode="numeric" value={evaluations} onChange={setEvaluations} error={show(errors.evaluations)} />
          <SelectField
            label="Missing data"
            value={missing}
            onChange={setMissing}
            options={[
              { value: "missing", label: "Treat as missing" },
              { value: "notBreaching", label: "Treat as good" },
              { value: "breaching", label: "Treat as bad" },
              { value: "ignore", label: "Ignore" },
            ]}
          />
        </div>
      </Panel>
      <Panel title="Name and notification">
        <TextField label="Alarm name" value={name} onChange={setName} error={show(errors.name)} autoComplete="off" />
        <TextField label="Description (optional)" value={description} onChange={setDescription} />
        {topics.error ? (
          <ErrorAlert error={topics.error} onRetry={topics.reload} />
        ) : (
          <SelectField label="Notify SNS topic when in alarm (optional)" value={topic} onChange={setTopic} options={[{ value: "", label: "No notification" }, ...(topics.data ?? []).map((t) => ({ value: t, label: t.split(":").pop()! }))]} />
        )}
      </Panel>
      <ErrorAlert error={error} />
      <div className="actions" style={{ justifyContent: "flex-end" }}>
        <Link className="btn" to="cloudwatch/alarms">
          Cancel
        </Link>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Creating…" : "Create alarm"}
        </button>
      </div>
    </form>
  );
}

async function alarmHistory(name: string): Promise<AlarmHistoryItem[]> {
  const out: AlarmHistoryItem[] = [];
  let token: string | undefined;
  do {
    const page = await cw().send(new DescribeAlarmHistoryCommand({ AlarmName: name, NextToken: token, MaxRecords: 100, ScanBy: "TimestampDescending" }));
    out.push(...(page.AlarmHistoryItems ?? []));
    token = page.NextToken;
  } while (token && out.length < 500);
  return out;
}

export function AlarmDetail({ name }: { name: string }) {
  useBreadcrumbs([{ label: "CloudWatch", to: "cloudwatch" }, { label: "Alarms", to: "cloudwatch/alarms" }, { label: name }]);
  const alarm = useAsync(async () => {
    const out = await cw().send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ["MetricAlarm", "CompositeAlarm"] }));
    const a: Alarm | undefined = out.MetricAlarms?.[0] ?? out.CompositeAlarms?.[0];
    if (!a) throw Object.assign(new Error(`No alarm named ${name} in this region.`), { name: "ResourceNotFound" });
    return a;
  }, [name]);
  const history = useAsync(() => alarmHistory(name), [name]);
  const [range, setRange] = useState("3h");
  const [deleting, setDeleting] = useState(false);
  const a = alarm.data;
  const metricAlarm = a && isMetricAlarm(a) && a.MetricName ? a : undefined;
  const chart = useAsync(async () => {
    if (!metricAlarm) return undefined;
    const ms = rangeMs(range);
    const stat = metricAlarm.Statistic ?? metricAlarm.ExtendedStatistic ?? "Average";
    const [series] = await fetchSeries([{ Namespace: metricAlarm.Namespace!, MetricName: metricAlarm.MetricName!, Dimensions: metricAlarm.Dimensions }], stat, metricAlarm.Period ?? 60, { ms });
    const now = Date.now();
    return [series!, { label: `Threshold (${metricAlarm.Threshold})`, points: [{ t: now - ms, v: metricAlarm.Threshold ?? 0 }, { t: now, v: metricAlarm.Threshold ?? 0 }] }];
  }, [metricAlarm?.AlarmArn, metricAlarm?.StateUpdatedTimestamp?.toString(), range]);
  const historyColumns: Column<AlarmHistoryItem>[] = [
    { id: "Timestamp", header: "Date", cell: (h) => formatDate(h.Timestamp), sortValue: (h) => (h.Timestamp ? new Date(h.Timestamp).getTime() : 0) },
    { id: "HistoryItemType", header: "Type" },
    { id: "HistorySummary", header: "Description" },
  ];
  return (
    <>
      <PageHeader
        title={name}
        description={a?.AlarmDescription}
        actions={
          <>
            <button
              type="button"
              className="btn"
              onClick={() => {
                alarm.reload();
                history.reload();
              }}
            >
              Refresh
            </button>
            <button type="button" className="btn" disabled={!a} onClick={() => setDeleting(true)}>
              Delete
            </button>
          </>
        }
      />
      {alarm.error ? (
        <ErrorAlert error={alarm.error} onRetry={alarm.reload} />
      ) : !a ? (
        <Spinner label="Loading alarm" />
      ) : (
        <>
          <Panel title="Details">
            <KeyValue
              items={[
                ["State", <AlarmState state={a.StateValue} />],
                ["Reason", a.StateReason],
                ["Last state update", formatDate(a.StateUpdatedTimestamp)],
                ["Metric", metricAlarm ? `${metricAlarm.Namespace} ${metricLabel({ Namespace: metricAlarm.Namespace!, MetricName: metricAlarm.MetricName!, Dimensions: metricAlarm.Dimensions })}` : "-"],
                ["Conditions", condition(a)],
                ["Missing data", isMetricAlarm(a) ? a.TreatMissingData : "-"],
                ["Alarm actions", (a.AlarmActions ?? []).join(", ") || "None"],
                ["ARN", <span className="arn">{a.AlarmArn}</span>],
              ]}
            />
          </Panel>
          {metricAlarm && (
            <Panel title="Metric">
              <div style={{ maxWidth: 220 }}>
                <SelectField label="Time range" value={range} onChange={setRange} options={RANGES.map((r) => ({ value: r.id, label: r.label }))} />
              </div>
              {chart.error ? <ErrorAlert error={chart.error} onRetry={chart.reload} /> : !chart.data ? <Spinner label="Loading data points" /> : <LineChart title={metricAlarm.MetricName!} series={chart.data} />}
            </Panel>
          )}
        </>
      )}
      <Panel title="History">
        <ResourceTable resourceName="history items" items={history.data} loading={history.loading} error={history.error} onRetry={history.reload} columns={historyColumns} rowKey={(h) => `${h.Timestamp?.toString()} ${h.HistorySummary}`} defaultSort={{ column: "Timestamp", descending: true }} />
      </Panel>
      {deleting && (
        <ConfirmDialog
          title={`Delete alarm ${name}?`}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await cw().send(new DeleteAlarmsCommand({ AlarmNames: [name] }));
            notify(`Alarm ${name} deleted`);
            navigate("cloudwatch/alarms");
          }}
        />
      )}
    </>
  );
}
