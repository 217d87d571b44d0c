/** Logs: log groups (create, delete, retention), a group's streams, and events of a stream or the whole group with a filter box. */
import { useState, type FormEvent } from "react";
import {
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  paginateDescribeLogGroups,
  paginateDescribeLogStreams,
  PutRetentionPolicyCommand,
  type FilteredLogEvent,
  type LogGroup,
  type LogStream,
} from "@aws-sdk/client-cloudwatch-logs";
import { Link, navigate } from "../../router.tsx";
import { ConfirmDialog, ErrorAlert, formatBytes, formatDate, KeyValue, Modal, notify, PageHeader, Panel, ResourceTable, SelectField, Spinner, Tabs, TextField, useAsync, useBreadcrumbs, type Column } from "../../ui/index.ts";
import { CloudWatchNav, groupPath, logs, streamPath } from "./nav.tsx";
import { RANGES } from "./metrics-data.ts";

const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const RETENTION_OPTIONS = [{ value: "", label: "Never expire" }, ...RETENTION_DAYS.map((d) => ({ value: String(d), label: d === 1 ? "1 day" : `${d} days` }))];
const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;

const retentionText = (g: LogGroup) => (g.retentionInDays ? `${g.retentionInDays} days` : "Never expire");

async function listGroups(): Promise<LogGroup[]> {
  const out: LogGroup[] = [];
  for await (const page of paginateDescribeLogGroups({ client: logs() }, {})) out.push(...(page.logGroups ?? []));
  return out;
}

async function setRetention(group: string, days: string): Promise<void> {
  if (days) await logs().send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: +days }));
  else await logs().send(new DeleteRetentionPolicyCommand({ logGroupName: group }));
}

export function LogGroupsList() {
  useBreadcrumbs([{ label: "CloudWatch" }, { label: "Log groups" }]);
  const groups = useAsync(listGroups);
  const [selected, setSelected] = useState<string[]>([]);
  const [creating, setCreating] = useState(false);
  const [retention, setRetentionOpen] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const columns: Column<LogGroup>[] = [
    { id: "logGroupName", header: "Log group", cell: (g) => <Link to={groupPath(g.logGroupName!)}>{g.logGroupName}</Link>, sortValue: (g) => g.logGroupName },
    { id: "retentionInDays", header: "Retention", cell: retentionText, sortValue: (g) => g.retentionInDays ?? Number.MAX_SAFE_INTEGER },
    { id: "storedBytes", header: "Stored bytes", cell: (g) => formatBytes(g.storedBytes), sortValue: (g) => g.storedBytes },
    { id: "creationTime", header: "Created", cell: (g) => formatDate(g.creationTime), sortValue: (g) => g.creationTime },
  ];
  const create = (
    <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
      Create log group
    </button>
  );
  const current = groups.data?.find((g) => g.logGroupName === selected[0]);
  return (
    <>
      <PageHeader
        title="Log groups"
        count={groups.data?.length}
        actions={
          <>
            <button type="button" className="btn" onClick={groups.reload}>
              Refresh
            </button>
            <button type="button" className="btn" disabled={selected.length !== 1} onClick={() => setRetentionOpen(true)}>
              Edit retention
            </button>
            <button type="button" className="btn" disabled={selected.length !== 1} onClick={() => setDeleting(true)}>
              Delete
            </button>
            {create}
          </>
        }
      />
      <CloudWatchNav current="logs" />
      <section className="panel">
        <div className="panel-body">
          <ResourceTable
            resourceName="log groups"
            items={groups.data}
            loading={groups.loading}
            error={groups.error}
            onRetry={groups.reload}
            columns={columns}
            rowKey={(g) => g.logGroupName!}
            selection="single"
            selected={selected}
            onSelectionChange={setSelected}
            defaultSort={{ column: "logGroupName" }}
            empty={
              <>
                <p>No log groups yet. Lambda functions create theirs when they first log.</p>
                {create}
              </>
            }
          />
        </div>
      </section>
      {creating && <CreateGroup onClose={() => setCreating(false)} onCreated={groups.reload} />}
      {retention && current && <RetentionDialog group={current} onClose={() => setRetentionOpen(false)} onSaved={groups.reload} />}
      {deleting && selected[0] && (
        <ConfirmDialog
          title={`Delete log group ${selected[0]}?`}
          confirmText="delete"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await logs().send(new DeleteLogGroupCommand({ logGroupName: selected[0] }));
            notify(`Log group ${selected[0]} deleted`);
            setSelected([]);
            groups.reload();
          }}
        >
          <p>Its streams and every event in them are deleted.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function CreateGroup({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const [name, setName] = useState("");
  const [days, setDays] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const nameError = !name ? "Enter a name." : !GROUP_NAME.test(name) ? "Up to 512 letters, digits and . - _ / #." : undefined;
  const submit = async (ev?: FormEvent) => {
    ev?.preventDefault();
    setSubmitted(true);
    if (nameError) return;
    setBusy(true);
    setError(undefined);
    try {
      await logs().send(new CreateLogGroupCommand({ logGroupName: name }));
      if (days) await setRetention(name, days);
      notify(`Log group ${name} created`);
      onCreated();
      onClose();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Modal
      title="Create log group"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => submit()}>
            {busy ? "Creating…" : "Create"}
          </button>
        </>
      }
    >
      <form onSubmit={submit} noValidate>
        <TextField label="Log group name" value={name} onChange={setName} error={submitted ? nameError : undefined} autoComplete="off" />
        <SelectField label="Retention" value={days} onChange={setDays} options={RETENTION_OPTIONS} />
      </form>
      <ErrorAlert error={error} />
    </Modal>
  );
}

function RetentionDialog({ group, onClose, onSaved }: { group: LogGroup; onClose: () => void; onSaved: () => void }) {
  const [days, setDays] = useState(group.retentionInDays ? String(group.retentionInDays) : "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await setRetention(group.logGroupName!, days);
      notify(`Retention of ${group.logGroupName} saved`);
      onSaved();
      onClose();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Modal
      title={`Retention of ${group.logGroupName}`}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" disabled={busy} onClick={save}>
            {busy ? "Saving…" : "Save"}
          </button>
        </>
      }
    >
      <SelectField label="Expire events after" value={days} onChange={setDays} options={RETENTION_OPTIONS} />
      <ErrorAlert error={error} />
    </Modal>
  );
}

async function listStreams(group: string): Promise<LogStream[]> {
  const out: LogStream[] = [];
  for await (const page of paginateDescribeLogStreams({ client: logs() }, { logGroupName: group, orderBy: "LastEventTime", descending: true })) {
    out.push(...(page.logStreams ?? []));
    if (out.length >= 2000) break;
  }
  return out;
}

export function LogGroupPage({ group }: { group: string }) {
  useBreadcrumbs([{ label: "CloudWatch", to: "cloudwatch" }, { label: "Log groups", to: "cloudwatch/logs" }, { label: group }]);
  const info = useAsync(async () => {
    const out = await logs().send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group }));
    const g = out.logGroups?.find((x) => x.logGroupName === group);
    if (!g) throw Object.assign(new Error(`The log group ${group} does not exist.`), { name: "ResourceNotFoundException" });
    return g;
  }, [group]);
  const streams = useAsync(() => listStreams(group), [group]);
  const [tab, setTab] = useState("streams");
  const [deleting, setDeleting] = useState(false);
  const columns: Column<LogStream>[] = [
    { id: "logStreamName", header: "Log stream", cell: (s) => <Link to={streamPath(group, s.logStreamName!)}>{s.logStreamName}</Link>, sortValue: (s) => s.logStreamName },
    { id: "lastEventTimestamp", header: "Last event", cell: (s) => formatDate(s.lastEventTimestamp), sortValue: (s) => s.lastEventTimestamp ?? 0 },
    { id: "firstEventTimestamp", header: "First event", cell: (s) => formatDate(s.firstEventTimestamp), sortValue: (s) => s.firstEventTimestamp ?? 0 },
    { id: "creationTime", header: "Created", cell: (s) => formatDate(s.creationTime), sortValue: (s) => s.creationTime ?? 0 },
  ];
  return (
    <>
      <PageHeader
        title={group}
        actions={
          <button type="button" className="btn" onClick={() => setDeleting(true)} disabled={!info.data}>
            Delete
          </button>
        }
      />
      {info.error ? (
        <ErrorAlert error={info.error} onRetry={info.reload} />
      ) : !info.data ? (
        <Spinner label="Loading log group" />
      ) : (
        <Panel title="Details">
          <KeyValue
            columns={4}
            items={[
              ["Retention", retentionText(info.data)],
              ["Stored bytes", formatBytes(info.data.storedBytes)],
              ["Created", formatDate(info.data.creationTime)],
              ["ARN", <span className="arn">{info.data.arn}</span>],
            ]}
          />
        </Panel>
      )}
      <div style={{ background: "#fff", borderRadius: 12, padding: "4px 12px 0", marginBottom: 14 }}>
        <Tabs
          tabs={[
            { id: "streams", label: "Log streams" },
            { id: "events", label: "Search all log streams" },
          ]}
          active={tab}
          onChange={setTab}
        />
      </div>
      <div role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === "streams" ? (
          <Panel
            title="Log streams"
            actions={
              <button type="button" className="btn" onClick={streams.reload}>
                Refresh
              </button>
            }
          >
            <ResourceTable resourceName="log streams" items={streams.data} loading={streams.loading} error={streams.error} onRetry={streams.reload} columns={columns} rowKey={(s) => s.logStreamName!} defaultSort={{ column: "lastEventTimestamp", descending: true }} />
          </Panel>
        ) : (
          <LogEvents group={group} />
        )}
      </div>
      {deleting && (
        <ConfirmDialog
          title={`Delete log group ${group}?`}
          confirmText="delete"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await logs().send(new DeleteLogGroupCommand({ logGroupName: group }));
            notify(`Log group ${group} deleted`);
            navigate("cloudwatch/logs");
          }}
        />
      )}
    </>
  );
}

export function LogStreamPage({ group, stream }: { group: string; stream: string }) {
  useBreadcrumbs([{ label: "CloudWatch", to: "cloudwatch" }, { label: "Log groups", to: "cloudwatch/logs" }, { label: group, to: groupPath(group) }, { label: stream }]);
  return (
    <>
      <PageHeader title={stream} description={<>Log stream of {group}</>} />
      <LogEvents group={group} stream={stream} />
    </>
  );
}

interface Search {
  pattern: string;
  range: string;
}

async function filterEvents(group: string, stream: string | undefined, s: Search, token?: string): Promise<{ events: FilteredLogEvent[]; next?: string }> {
  const ms = RANGES.find((r) => r.id === s.range)?.ms;
  const events: FilteredLogEvent[] = [];
  let next = token;
  // Pages may be empty while the search walks older data: read a few, up to 1,000 events.
  for (let pages = 0; pages < 20; pages++) {
    const out = await logs().send(
      new FilterLogEventsCommand({
        logGroupName: group,
        logStreamNames: stream ? [stream] : undefined,
        filterPattern: s.pattern.trim() || undefined,
        startTime: ms ? Date.now() - ms : undefined,
        nextToken: next,
        limit: 1000,
      }),
    );
    events.push(...(out.events ?? []));
    next = out.nextToken;
    if (!next || events.length >= 1000) break;
  }
  return { events, next };
}

function LogEvents({ group, stream }: { group: string; stream?: string }) {
  const [pattern, setPattern] = useState("");
  const [range, setRange] = useState("all");
  const [search, setSearch] = useState<Search>({ pattern: "", range: "all" });
  const [more, setMore] = useState<{ events: FilteredLogEvent[]; next?: string }>();
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>();
  const first = useAsync(() => {
    setMore(undefined);
    return filterEvents(group, stream, search);
  }, [group, stream, search]);
  const events = more?.events ?? first.data?.events;
  const next = more ? more.next : first.data?.next;
  const loadMore = async () => {
    setLoadingMore(true);
    setMoreError(undefined);
    try {
      const out = await filterEvents(group, stream, search, next);
      setMore({ events: [...(events ?? []), ...out.events], next: out.next });
    } catch (e) {
      setMoreError(e);
    } finally {
      setLoadingMore(false);
    }
  };
  const columns: Column<FilteredLogEvent>[] = [
    { id: "timestamp", header: "Timestamp", cell: (e) => formatDate(e.timestamp), sortValue: (e) => e.timestamp ?? 0 },
    { id: "message", header: "Message", cell: (e) => <span className="code" style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>{e.message}</span>, sortValue: (e) => e.message },
    ...(stream ? [] : [{ id: "logStreamName", header: "Log stream", cell: (e: FilteredLogEvent) => <Link to={streamPath(group, e.logStreamName!)}>{e.logStreamName}</Link>, sortValue: (e: FilteredLogEvent) => e.logStreamName }]),
  ];
  return (
    <Panel title={stream ? "Log events" : "Events of every stream"}>
      <form
        onSubmit={(ev) => {
          ev.preventDefault();
          setSearch({ pattern, range });
        }}
        style={{ display: "grid", gap: "0 12px", gridTemplateColumns: "repeat(auto-fit, minmax(180px, 1fr))", alignItems: "start" }}
      >
        <TextField label="Filter pattern" value={pattern} onChange={setPattern} hint={'Terms ("ERROR timeout"), "exact phrase", -excluded, or { $.level = "error" }'} autoComplete="off" />
        <SelectField label="Time range" value={range} onChange={setRange} options={[{ value: "all", label: "All time" }, ...RANGES.map((r) => ({ value: r.id, label: `Last ${r.label}` }))]} />
        <button type="submit" className="btn btn-primary" style={{ marginTop: 23, marginBottom: 14, justifySelf: "start" }}>
          Search
        </button>
      </form>
      <ResourceTable
        resourceName="log events"
        items={events}
        loading={first.loading}
        error={first.error}
        onRetry={first.reload}
        columns={columns}
        rowKey={(e) => e.eventId ?? `${e.logStreamName} ${e.timestamp} ${e.message}`}
        defaultSort={{ column: "timestamp" }}
        pageSize={50}
        empty={<p>{search.pattern ? "No events match this filter pattern." : "No events in this time range."}</p>}
      />
      {next && (
        <button type="button" className="btn" onClick={loadMore} disabled={loadingMore}>
          {loadingMore ? "Loading…" : "Load more events"}
        </button>
      )}
      <ErrorAlert error={moreError} />
    </Panel>
  );
}
