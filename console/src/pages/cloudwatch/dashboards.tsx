/** Dashboards: list, create, view (metric widgets drawn from the body JSON), edit the body, delete. */
import { useState } from "react";
import { DeleteDashboardsCommand, GetDashboardCommand, paginateListDashboards, PutDashboardCommand, type DashboardEntry, type Dimension } from "@aws-sdk/client-cloudwatch";
import { Link, navigate } from "../../router.tsx";
import { ConfirmDialog, ErrorAlert, formatBytes, formatDate, JsonEditor, jsonProblem, LineChart, Modal, notify, PageHeader, ResourceTable, SelectField, Spinner, TextField, useAsync, useBreadcrumbs, type Column } from "../../ui/index.ts";
import { CloudWatchNav, cw } from "./nav.tsx";
import { fetchSeries, RANGES, rangeMs, type MetricRef } from "./metrics-data.ts";

const DASHBOARD_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const dashboardPath = (name: string) => `cloudwatch/dashboards/${encodeURIComponent(name)}`;

async function listDashboards(): Promise<DashboardEntry[]> {
  const out: DashboardEntry[] = [];
  for await (const page of paginateListDashboards({ client: cw() }, {})) out.push(...(page.DashboardEntries ?? []));
  return out;
}

const STARTER_BODY = JSON.stringify(
  {
    widgets: [
      {
        type: "metric",
        x: 0,
        y: 0,
        width: 12,
        height: 6,
        properties: { title: "Lambda invocations", metrics: [["AWS/Lambda", "Invocations"]], stat: "Sum", period: 300, region: "us-east-1" },
      },
      { type: "text", x: 12, y: 0, width: 12, height: 6, properties: { markdown: "# Notes\nEdit the body JSON to add widgets." } },
    ],
  },
  null,
  2,
);

export function DashboardsList() {
  useBreadcrumbs([{ label: "CloudWatch" }, { label: "Dashboards" }]);
  const list = useAsync(listDashboards);
  const [selected, setSelected] = useState<string[]>([]);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const columns: Column<DashboardEntry>[] = [
    { id: "DashboardName", header: "Name", cell: (d) => <Link to={dashboardPath(d.DashboardName!)}>{d.DashboardName}</Link>, sortValue: (d) => d.DashboardName },
    { id: "LastModified", header: "Last modified", cell: (d) => formatDate(d.LastModified), sortValue: (d) => (d.LastModified ? new Date(d.LastModified).getTime() : 0) },
    { id: "Size", header: "Body size", cell: (d) => formatBytes(d.Size), sortValue: (d) => d.Size },
  ];
  const create = (
    <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
      Create dashboard
    </button>
  );
  return (
    <>
      <PageHeader
        title="Dashboards"
        count={list.data?.length}
        actions={
          <>
            <button type="button" className="btn" onClick={list.reload}>
              Refresh
            </button>
            <button type="button" className="btn" disabled={selected.length === 0} onClick={() => setDeleting(true)}>
              Delete
            </button>
            {create}
          </>
        }
      />
      <CloudWatchNav current="dashboards" />
      <section className="panel">
        <div className="panel-body">
          <ResourceTable
            resourceName="dashboards"
            items={list.data}
            loading={list.loading}
            error={list.error}
            onRetry={list.reload}
            columns={columns}
            rowKey={(d) => d.DashboardName!}
            selection="multi"
            selected={selected}
            onSelectionChange={setSelected}
            defaultSort={{ column: "DashboardName" }}
            empty={
              <>
                <p>No dashboards yet.</p>
                {create}
              </>
            }
          />
        </div>
      </section>
      {creating && <CreateDashboard onClose={() => setCreating(false)} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${selected.length} dashboard${selected.length === 1 ? "" : "s"}?`}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await cw().send(new DeleteDashboardsCommand({ DashboardNames: selected }));
            notify(`Deleted ${selected.join(", ")}`);
            setSelected([]);
            list.reload();
          }}
        >
          <p>{selected.join(", ")}</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function CreateDashboard({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState("");
  const [body, setBody] = useState(STARTER_BODY);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const nameError = !name ? "Enter a name." : !DASHBOARD_NAME.test(name) ? "Letters, digits, hyphens and underscores." : undefined;
  const submit = async () => {
    setSubmitted(true);
    if (nameError || jsonProblem(body)) return;
    setBusy(true);
    setError(undefined);
    try {
      await cw().send(new PutDashboardCommand({ DashboardName: name, DashboardBody: body }));
      notify(`Dashboard ${name} created`);
      navigate(dashboardPath(name));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Modal
      title="Create dashboard"
      wide
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" disabled={busy} onClick={submit}>
            {busy ? "Creating…" : "Create"}
          </button>
        </>
      }
    >
      <TextField label="Dashboard name" value={name} onChange={setName} error={submitted ? nameError : undefined} autoComplete="off" />
      <JsonEditor label="Dashboard body" value={body} onChange={setBody} rows={14} />
      <ErrorAlert error={error} />
    </Modal>
  );
}

interface Widget {
  type?: string;
  properties?: { title?: string; metrics?: unknown[]; stat?: string; period?: number; markdown?: string; region?: string };
}

/** The metrics of a widget's `metrics` array: [ns, name, dim, value, ..., {options}], where "." repeats the row above. */
export function widgetMetrics(rows: unknown[]): Array<MetricRef & { stat?: string; label?: string }> {
  const out: Array<MetricRef & { stat?: string; label?: string }> = [];
  let prev: unknown[] = [];
  for (const row of rows) {
    if (!Array.isArray(row)) continue;
    const opts = row.length && typeof row[row.length - 1] === "object" && row[row.length - 1] !== null ? (row[row.length - 1] as { stat?: string; label?: string; expression?: string }) : undefined;
    if (opts?.expression) continue;
    const parts = (opts ? row.slice(0, -1) : row).map((p, i) => (p === "." || p === "..." ? prev[i] : p)) as string[];
    prev = parts;
    if (parts.length < 2) continue;
    const dims: Dimension[] = [];
    for (let i = 2; i + 1 < parts.length; i += 2) dims.push({ Name: String(parts[i]), Value: String(parts[i + 1]) });
    out.push({ Namespace: String(parts[0]), MetricName: String(parts[1]), Dimensions: dims, stat: opts?.stat, label: opts?.label });
  }
  return out;
}

function MetricWidget({ widget, ms }: { widget: Widget; ms: number }) {
  const p = widget.properties ?? {};
  const metrics = widgetMetrics(p.metrics ?? []);
  const data = useAsync(async () => {
    const series = await Promise.all(metrics.map((m) => fetchSeries([m], m.stat ?? p.stat ?? "Average", p.period ?? 300, { ms }).then((s) => s.map((x) => ({ ...x, label: m.label ?? x.label })))));
    return series.flat();
  }, [JSON.stringify(widget), ms]);
  const title = p.title ?? metrics.map((m) => m.MetricName).join(", ");
  return data.error ? <ErrorAlert error={data.error} onRetry={data.reload} /> : !data.data ? <Spinner label={`Loading ${title}`} /> : <LineChart title={title || "Metric"} series={data.data} />;
}

export function DashboardView({ name }: { name: string }) {
  useBreadcrumbs([{ label: "CloudWatch", to: "cloudwatch" }, { label: "Dashboards", to: "cloudwatch/dashboards" }, { label: name }]);
  const dash = useAsync(() => cw().send(new GetDashboardCommand({ DashboardName: name })), [name]);
  const [range, setRange] = useState("3h");
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  let widgets: Widget[] = [];
  let bodyError: string | undefined;
  if (dash.data?.DashboardBody) {
    try {
      widgets = ((JSON.parse(dash.data.DashboardBody) as { widgets?: Widget[] }).widgets ?? []) as Widget[];
    } catch (e) {
      bodyError = (e as Error).message;
    }
  }
  return (
    <>
      <PageHeader
        title={name}
        actions={
          <>
            <button type="button" className="btn" onClick={dash.reload}>
              Refresh
            </button>
            <button type="button" className="btn" disabled={!dash.data} onClick={() => setEditing(true)}>
              Edit body
            </button>
            <button type="button" className="btn" disabled={!dash.data} onClick={() => setDeleting(true)}>
              Delete
            </button>
          </>
        }
      />
      {dash.error ? (
        <ErrorAlert error={dash.error} onRetry={dash.reload} />
      ) : !dash.data ? (
        <Spinner label="Loading dashboard" />
      ) : (
        <>
          <div style={{ maxWidth: 220 }}>
            <SelectField label="Time range" value={range} onChange={setRange} options={RANGES.map((r) => ({ value: r.id, label: r.label }))} />
          </div>
          {bodyError && <ErrorAlert error={new Error(`The dashboard body is not valid JSON: ${bodyError}`)} />}
          {widgets.length === 0 && !bodyError && <p>This dashboard has no widgets. Edit its body to add some.</p>}
          <div style={{ display: "grid", gap: 16, gridTemplateColumns: "repeat(auto-fit, minmax(min(100%, 420px), 1fr))" }}>
            {widgets.map((w, i) => (
              <section key={i} className="panel" style={{ margin: 0 }}>
                <div className="panel-body">
                  {w.type === "metric" ? (
                    <MetricWidget widget={w} ms={rangeMs(range)} />
                  ) : w.type === "text" ? (
                    <div style={{ whiteSpace: "pre-wrap" }}>{w.properties?.markdown ?? ""}</div>
                  ) : (
                    <p className="muted">A {w.type ?? "untyped"} widget (not drawn here).</p>
                  )}
                </div>
              </section>
            ))}
          </div>
        </>
      )}
      {editing && dash.data && <EditBody name={name} body={dash.data.DashboardBody ?? "{}"} onClose={() => setEditing(false)} onSaved={dash.reload} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete dashboard ${name}?`}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await cw().send(new DeleteDashboardsCommand({ DashboardNames: [name] }));
            notify(`Dashboard ${name} deleted`);
            navigate("cloudwatch/dashboards");
          }}
        />
      )}
    </>
  );
}

function EditBody({ name, body, onClose, onSaved }: { name: string; body: string; onClose: () => void; onSaved: () => void }) {
  const [text, setText] = useState(() => {
    try {
      return JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      return body;
    }
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const save = async () => {
    if (jsonProblem(text)) return;
    setBusy(true);
    setError(undefined);
    try {
      const out = await cw().send(new PutDashboardCommand({ DashboardName: name, DashboardBody: text }));
      const problems = out.DashboardValidationMessages ?? [];
      notify(problems.length ? `Saved with ${problems.length} validation messages` : `Dashboard ${name} saved`, problems.length ? "info" : "success");
      onSaved();
      onClose();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Modal
      title={`Edit ${name}`}
      wide
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" disabled={busy || !!jsonProblem(text)} onClick={save}>
            {busy ? "Saving…" : "Save"}
          </button>
        </>
      }
    >
      <JsonEditor label="Dashboard body" value={text} onChange={setText} rows={20} />
      <ErrorAlert error={error} />
    </Modal>
  );
}

