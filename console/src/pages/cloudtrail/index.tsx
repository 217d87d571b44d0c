/** CloudTrail: event history (LookupEvents with one lookup attribute and a time range, paged by NextToken), event detail, trails. */
import { useState, type FormEvent } from "react";
import { CloudTrailClient, DescribeTrailsCommand, GetTrailStatusCommand, LookupEventsCommand, type Event, type LookupAttributeKey, type Trail } from "@aws-sdk/client-cloudtrail";
import { client } from "../../aws.ts";
import { Link } from "../../router.tsx";
import type { ServicePageProps } from "../../services.ts";
import { ErrorAlert, formatDate, KeyValue, PageHeader, Panel, ResourceTable, SelectField, Spinner, StatusBadge, TextField, useAsync, useBreadcrumbs, type Column } from "../../ui/index.ts";

const ct = () => client(CloudTrailClient);

export default function Page({ path }: ServicePageProps) {
  if (path[0] === "events" && path[1]) return <EventDetail id={decode(path[1])} />;
  if (path[0] === "trails") return <Trails />;
  return <EventHistory />;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const eventPath = (id: string) => `cloudtrail/events/${encodeURIComponent(id)}`;

function CloudTrailNav({ current }: { current: string }) {
  const items = [
    { to: "cloudtrail", id: "history", label: "Event history" },
    { to: "cloudtrail/trails", id: "trails", label: "Trails" },
  ];
  return (
    <nav aria-label="CloudTrail" style={{ background: "#fff", borderRadius: 12, padding: "8px 14px", marginBottom: 14, display: "flex", gap: 16, flexWrap: "wrap" }}>
      {items.map((i) => (
        <Link key={i.id} to={i.to} aria-current={i.id === current ? "page" : undefined} style={{ fontWeight: i.id === current ? 700 : 400, textDecoration: i.id === current ? "none" : undefined }}>
          {i.label}
        </Link>
      ))}
    </nav>
  );
}

const ATTRIBUTES: Array<{ value: string; label: string; hint?: string }> = [
  { value: "", label: "No filter" },
  { value: "EventName", label: "Event name", hint: "e.g. CreateBucket" },
  { value: "Username", label: "User name", hint: "e.g. root or an IAM user name" },
  { value: "ResourceType", label: "Resource type", hint: "e.g. AWS::S3::Bucket" },
  { value: "ResourceName", label: "Resource name", hint: "e.g. a bucket name or an ARN" },
  { value: "EventSource", label: "Event source", hint: "e.g. s3.amazonaws.com" },
  { value: "ReadOnly", label: "Read-only", hint: "true or false" },
  { value: "AccessKeyId", label: "AWS access key" },
  { value: "EventId", label: "Event ID" },
];

const TIME_RANGES = [
  { value: "1h", label: "Last hour", ms: 3_600_000 },
  { value: "1d", label: "Last day", ms: 86_400_000 },
  { value: "1w", label: "Last week", ms: 7 * 86_400_000 },
  { value: "90d", label: "Last 90 days", ms: 90 * 86_400_000 },
];

interface Query {
  key: string;
  value: string;
  range: string;
}

async function lookup(q: Query, token?: string): Promise<{ events: Event[]; next?: string }> {
  const ms = TIME_RANGES.find((r) => r.value === q.range)?.ms ?? 90 * 86_400_000;
  const out = await ct().send(
    new LookupEventsCommand({
      LookupAttributes: q.key && q.value.trim() ? [{ AttributeKey: q.key as LookupAttributeKey, AttributeValue: q.value.trim() }] : undefined,
      StartTime: new Date(Date.now() - ms),
      EndTime: new Date(),
      MaxResults: 50,
      NextToken: token,
    }),
  );
  return { events: out.Events ?? [], next: out.NextToken };
}

function EventHistory() {
  useBreadcrumbs([{ label: "CloudTrail" }, { label: "Event history" }]);
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const [range, setRange] = useState("1d");
  const [query, setQuery] = useState<Query>({ key: "", value: "", range: "1d" });
  const [more, setMore] = useState<{ events: Event[]; next?: string }>();
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>();
  const first = useAsync(() => {
    setMore(undefined);
    return lookup(query);
  }, [query]);
  const events = more?.events ?? first.data?.events;
  const next = more ? more.next : first.data?.next;
  const loadMore = async () => {
    setLoadingMore(true);
    setMoreError(undefined);
    try {
      const out = await lookup(query, next);
      setMore({ events: [...(events ?? []), ...out.events], next: out.next });
    } catch (e) {
      setMoreError(e);
    } finally {
      setLoadingMore(false);
    }
  };
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    setQuery({ key, value, range });
  };
  const columns: Column<Event>[] = [
    { id: "EventName", header: "Event name", cell: (e) => <Link to={eventPath(e.EventId!)}>{e.EventName}</Link>, sortValue: (e) => e.EventName },
    { id: "EventTime", header: "Event time", cell: (e) => formatDate(e.EventTime), sortValue: (e) => (e.EventTime ? new Date(e.EventTime).getTime() : 0) },
    { id: "Username", header: "User name", cell: (e) => e.Username ?? "-" },
    { id: "EventSource", header: "Event source" },
    { id: "ResourceType", header: "Resource type", cell: (e) => [...new Set((e.Resources ?? []).map((r) => r.ResourceType))].join(", ") || "-", sortValue: (e) => (e.Resources ?? []).map((r) => r.ResourceType).join(", ") },
    { id: "ResourceName", header: "Resource name", cell: (e) => (e.Resources ?? []).map((r) => r.ResourceName).join(", ") || "-", sortValue: (e) => (e.Resources ?? []).map((r) => r.ResourceName).join(", ") },
  ];
  const attr = ATTRIBUTES.find((a) => a.value === key);
  return (
    <>
      <PageHeader title="Event history" description="Management events of the last 90 days in this region: every API call, including failed and denied ones." />
      <CloudTrailNav current="history" />
      <Panel>
        <form onSubmit={submit} style={{ display: "grid", gap: "0 12px", gridTemplateColumns: "repeat(auto-fit, minmax(180px, 1fr))", alignItems: "start" }}>
          <SelectField label="Lookup attribute" value={key} onChange={setKey} options={ATTRIBUTES.map((a) => ({ value: a.value, label: a.label }))} />
          {key === "ReadOnly" ? (
            <SelectField label="Attribute value" value={value} onChange={setValue} options={[{ value: "", label: "Choose" }, "true", "false"]} />
          ) : (
            <TextField label="Attribute value" value={value} onChange={setValue} disabled={!key} hint={attr?.hint ?? "Choose an attribute first"} autoComplete="off" />
          )}
          <SelectField label="Time range" value={range} onChange={setRange} options={TIME_RANGES.map((r) => ({ value: r.value, label: r.label }))} />
          <button type="submit" className="btn btn-primary" style={{ marginTop: 23, marginBottom: 14, justifySelf: "start" }}>
            Search
          </button>
        </form>
        <ResourceTable
          resourceName="events"
          items={events}
          loading={first.loading}
          error={first.error}
          onRetry={first.reload}
          columns={columns}
          rowKey={(e) => e.EventId!}
          defaultSort={{ column: "EventTime", descending: true }}
          pageSize={50}
          empty={<p>No events match.</p>}
        />
        <div className="actions" style={{ marginTop: 8 }}>
          {next && (
            <button type="button" className="btn" onClick={loadMore} disabled={loadingMore}>
              {loadingMore ? "Loading…" : "Load more events"}
            </button>
          )}
          <button type="button" className="btn" onClick={first.reload}>
            Refresh
          </button>
        </div>
        <ErrorAlert error={moreError} />
      </Panel>
    </>
  );
}

function EventDetail({ id }: { id: string }) {
  useBreadcrumbs([{ label: "CloudTrail", to: "cloudtrail" }, { label: "Event history", to: "cloudtrail" }, { label: id }]);
  const ev = useAsync(async () => {
    const out = await ct().send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventId", AttributeValue: id }], MaxResults: 1 }));
    const e = out.Events?.[0];
    if (!e) throw Object.assign(new Error(`No event ${id} in the last 90 days of this region.`), { name: "ResourceNotFound" });
    return e;
  }, [id]);
  const e = ev.data;
  let json = "";
  let record: Record<string, unknown> = {};
  if (e?.CloudTrailEvent) {
    try {
      record = JSON.parse(e.CloudTrailEvent) as Record<string, unknown>;
      json = JSON.stringify(record, null, 2);
    } catch {
      json = e.CloudTrailEvent;
    }
  }
  const errorCode = record.errorCode as string | undefined;
  return (
    <>
      <PageHeader title={e?.EventName ?? "Event"} description={id} />
      {ev.error ? (
        <ErrorAlert error={ev.error} onRetry={ev.reload} />
      ) : !e ? (
        <Spinner label="Loading event" />
      ) : (
        <>
          <Panel title="Details">
            <KeyValue
              items={[
                ["Event time", formatDate(e.EventTime)],
                ["User name", e.Username],
                ["Event source", e.EventSource],
                ["Access key", e.AccessKeyId],
                ["Source IP address", record.sourceIPAddress as string],
                ["Read-only", e.ReadOnly],
                ["Outcome", errorCode ? <StatusBadge kind="error">{errorCode}</StatusBadge> : <StatusBadge kind="ok">Success</StatusBadge>],
                ["Request ID", record.requestID as string],
                ["Resources", (e.Resources ?? []).map((r) => `${r.ResourceType}: ${r.ResourceName}`).join(", ")],
              ]}
            />
          </Panel>
          <Panel title="Event record">
            <pre className="code" aria-label="Event record" style={{ background: "#f4f4f4", padding: 10, borderRadius: 6, overflow: "auto", maxHeight: 600, whiteSpace: "pre-wrap", wordBreak: "break-word", margin: 0 }}>
              {json}
            </pre>
          </Panel>
        </>
      )}
    </>
  );
}

interface TrailRow extends Trail {
  logging?: boolean;
  statusError?: unknown;
}

async function listTrails(): Promise<TrailRow[]> {
  const out = await ct().send(new DescribeTrailsCommand({ includeShadowTrails: true }));
  return Promise.all(
    (out.trailList ?? []).map(async (t) => {
      try {
        const s = await ct().send(new GetTrailStatusCommand({ Name: t.TrailARN }));
        return { ...t, logging: s.IsLogging };
      } catch (e) {
        return { ...t, statusError: e };
      }
    }),
  );
}

function Trails() {
  useBreadcrumbs([{ label: "CloudTrail" }, { label: "Trails" }]);
  const trails = useAsync(listTrails);
  const columns: Column<TrailRow>[] = [
    { id: "Name", header: "Name" },
    { id: "HomeRegion", header: "Home region" },
    { id: "IsMultiRegionTrail", header: "Multi-region", cell: (t) => (t.IsMultiRegionTrail ? "Yes" : "No") },
    { id: "S3BucketName", header: "S3 bucket", cell: (t) => `${t.S3BucketName ?? "-"}${t.S3KeyPrefix ? `/${t.S3KeyPrefix}` : ""}` },
    { id: "logging", header: "Status", cell: (t) => (t.statusError ? <StatusBadge kind="neutral">Unknown</StatusBadge> : t.logging ? <StatusBadge kind="ok">Logging</StatusBadge> : <StatusBadge kind="warn">Off</StatusBadge>), sortValue: (t) => (t.logging ? 1 : 0) },
  ];
  return (
    <>
      <PageHeader title="Trails" description="Trails deliver events to an S3 bucket. Create and change them with the CLI or SDKs; this view is read-only." />
      <CloudTrailNav current="trails" />
      <section className="panel">
        <div className="panel-body">
          <ResourceTable
            resourceName="trails"
            items={trails.data}
            loading={trails.loading}
            error={trails.error}
            onRetry={trails.reload}
            columns={columns}
            rowKey={(t) => t.TrailARN!}
            defaultSort={{ column: "Name" }}
            toolbar={
              <button type="button" className="btn" onClick={trails.reload}>
                Refresh
              </button>
            }
            empty={<p>No trails. Event history works without one.</p>}
          />
        </div>
      </section>
    </>
  );
}
