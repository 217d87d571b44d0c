/**
 * SQS: the queues list with a create-queue form, and a queue's page (details, send and receive
 * messages, dead-letter queue settings, purge, delete). Routes: sqs, sqs/queues/<name>.
 */
import { useState } from "react";
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ListDeadLetterSourceQueuesCommand, ListQueuesCommand, PurgeQueueCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { client } from "../../aws.ts";
import { Link, navigate } from "../../router.tsx";
import type { ServicePageProps } from "../../services.ts";
import { Alert, Checkbox, ConfirmDialog, ErrorAlert, KeyValue, Modal, PageHeader, Panel, ResourceTable, SelectField, Spinner, StatusBadge, Tabs, TextField, formatDate, notify, useAsync, useBreadcrumbs, type Column } from "../../ui/index.ts";
import { Messages } from "./messages.tsx";

const sqs = () => client(SQSClient);

/** Tabs on a white strip: the shell's blue on the grey page is below 4.5:1 contrast. */
const tabStrip = { background: "#fff", borderRadius: 8, padding: "0 8px" } as const;

export default function Page({ path }: ServicePageProps) {
  if (path[0] === "queues" && path[1]) return <QueueDetail name={path[1]} tab={path[2]} />;
  return <QueuesList />;
}

export interface QueueInfo {
  name: string;
  url: string;
  attributes: Record<string, string>;
}

export const queueName = (url: string) => decodeURIComponent(url.slice(url.lastIndexOf("/") + 1));
const isFifo = (name: string) => name.endsWith(".fifo");

/** Every queue in the region with its attributes. */
export async function listQueues(): Promise<QueueInfo[]> {
  const urls: string[] = [];
  let token: string | undefined;
  do {
    const r = await sqs().send(new ListQueuesCommand({ MaxResults: 1000, NextToken: token }));
    urls.push(...(r.QueueUrls ?? []));
    token = r.NextToken;
  } while (token);
  const out: QueueInfo[] = [];
  for (let i = 0; i < urls.length; i += 10) {
    out.push(
      ...(await Promise.all(
        urls.slice(i, i + 10).map(async (url) => ({
          name: queueName(url),
          url,
          attributes: (await sqs().send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }))).Attributes ?? {},
        })),
      )),
    );
  }
  return out;
}

const created = (q: QueueInfo) => (q.attributes.CreatedTimestamp ? new Date(Number(q.attributes.CreatedTimestamp) * 1000) : undefined);

function QueuesList() {
  useBreadcrumbs([{ label: "Simple Queue Service" }, { label: "Queues" }]);
  const queues = useAsync(listQueues);
  const [creating, setCreating] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  const [deleting, setDeleting] = useState(false);
  const columns: Column<QueueInfo>[] = [
    { id: "name", header: "Name", sortValue: (q) => q.name, cell: (q) => <Link to={`sqs/queues/${encodeURIComponent(q.name)}`}>{q.name}</Link> },
    { id: "type", header: "Type", sortValue: (q) => (isFifo(q.name) ? "FIFO" : "Standard") },
    { id: "available", header: "Messages available", sortValue: (q) => Number(q.attributes.ApproximateNumberOfMessages ?? 0) },
    { id: "inflight", header: "Messages in flight", sortValue: (q) => Number(q.attributes.ApproximateNumberOfMessagesNotVisible ?? 0) },
    { id: "created", header: "Created", sortValue: (q) => created(q)?.getTime() ?? 0, cell: (q) => formatDate(created(q)) },
  ];
  const createButton = (
    <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
      Create queue
    </button>
  );
  const selectedQueue = queues.data?.find((q) => q.url === selected[0]);
  return (
    <>
      <PageHeader
        title="Queues"
        count={queues.data?.length}
        description="SQS queues in this region."
        actions={
          <>
            <button type="button" className="btn" onClick={queues.reload}>
              Refresh
            </button>
            <button type="button" className="btn" disabled={!selectedQueue} onClick={() => setDeleting(true)}>
              Delete
            </button>
            {createButton}
          </>
        }
      />
      <Panel>
        <ResourceTable
          resourceName="queues"
          items={queues.data}
          loading={queues.loading}
          error={queues.error}
          onRetry={queues.reload}
          columns={columns}
          rowKey={(q) => q.url}
          selection="single"
          selected={selected}
          onSelectionChange={setSelected}
          defaultSort={{ column: "name" }}
          searchText={(q) => q.name}
          empty={
            <>
              <p>No queues in this region.</p>
              {createButton}
            </>
          }
        />
      </Panel>
      {creating && (
        <CreateQueue
          queues={queues.data ?? []}
          onClose={() => setCreating(false)}
          onCreated={(name) => {
            setCreating(false);
            navigate(`sqs/queues/${encodeURIComponent(name)}`);
          }}
        />
      )}
      {deleting && selectedQueue && (
        <DeleteQueue
          queue={selectedQueue}
          onClose={() => setDeleting(false)}
          onDeleted={() => {
            setSelected([]);
            queues.reload();
          }}
        />
      )}
    </>
  );
}

function DeleteQueue({ queue, onClose, onDeleted }: { queue: { name: string; url: string }; onClose: () => void; onDeleted: () => void }) {
  return (
    <ConfirmDialog
      title={`Delete queue ${queue.name}?`}
      confirmText="delete"
      onClose={onClose}
      onConfirm={async () => {
        await sqs().send(new DeleteQueueCommand({ QueueUrl: queue.url }));
        notify(`Queue ${queue.name} deleted`);
        onDeleted();
      }}
    >
      <p>The queue and all of its messages are deleted.</p>
    </ConfirmDialog>
  );
}

const wholeIn = (v: string, min: number, max: number) => v.trim() !== "" && Number.isInteger(Number(v)) && Number(v) >= min && Number(v) <= max;

function CreateQueue({ queues, onClose, onCreated }: { queues: QueueInfo[]; onClose: () => void; onCreated: (name: string) => void }) {
  const [name, setName] = useState("");
  const [fifo, setFifo] = useState(false);
  const [dedup, setDedup] = useState(false);
  const [visibility, setVisibility] = useState("30");
  const [retention, setRetention] = useState("345600");
  const [delay, setDelay] = useState("0");
  const [wait, setWait] = useState("0");
  const [useDlq, setUseDlq] = useState(false);
  const [dlq, setDlq] = useState("");
  const [maxReceives, setMaxReceives] = useState("10");
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const fullName = fifo && !name.endsWith(".fifo") ? `${name}.fifo` : name;
  const dlqChoices = queues.filter((q) => isFifo(q.name) === fifo);
  const errors = {
    name: !/^[a-zA-Z0-9_-]{1,80}$/.test(fullName.replace(/\.fifo$/, "")) || fullName.length > 80 ? "1 to 80 characters: letters, digits, hyphens (-) and underscores (_)." : !fifo && name.endsWith(".fifo") ? "Only FIFO queues end in .fifo." : undefined,
    visibility: !wholeIn(visibility, 0, 43200) ? "0 to 43200 seconds (12 hours)." : undefined,
    retention: !wholeIn(retention, 60, 1209600) ? "60 to 1209600 seconds (14 days)." : undefined,
    delay: !wholeIn(delay, 0, 900) ? "0 to 900 seconds." : undefined,
    wait: !wholeIn(wait, 0, 20) ? "0 to 20 seconds." : undefined,
    dlq: useDlq && !dlq ? "Choose the dead-letter queue." : undefined,
    maxReceives: useDlq && !wholeIn(maxReceives, 1, 1000) ? "1 to 1000." : undefined,
  };
  const valid = Object.values(errors).every((e) => !e);
  const show = (k: keyof typeof errors) => (tried ? errors[k] : undefined);
  const submit = async () => {
    setTried(true);
    if (!valid) return;
    setBusy(true);
    setError(undefined);
    try {
      const attributes: Record<string, string> = { VisibilityTimeout: visibility, MessageRetentionPeriod: retention, DelaySeconds: delay, ReceiveMessageWaitTimeSeconds: wait };
      if (fifo) {
        attributes.FifoQueue = "true";
        if (dedup) attributes.ContentBasedDeduplication = "true";
      }
      if (useDlq) {
        const target = queues.find((q) => q.url === dlq);
        attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: target?.attributes.QueueArn, maxReceiveCount: Number(maxReceives) });
      }
      await sqs().send(new CreateQueueCommand({ QueueName: fullName, Attributes: attributes }));
      notify(`Queue ${fullName} created`);
      onCreated(fullName);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Modal
      title="Create queue"
      onClose={onClose}
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="create-queue" className="btn btn-primary" disabled={busy}>
            {busy ? "Creating…" : "Create queue"}
          </button>
        </>
      }
    >
      <form
        id="create-queue"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <TextField label="Queue name" value={name} onChange={setName} error={show("name")} hint={fifo ? `Created as ${fullName || "<name>.fifo"}.` : undefined} autoComplete="off" />
        <Checkbox label="FIFO queue (first-in, first-out, exactly-once processing)" checked={fifo} onChange={setFifo} />
        {fifo && <Checkbox label="Content-based deduplication" checked={dedup} onChange={setDedup} hint="Deduplicate by a SHA-256 of the body when no deduplication ID is sent." />}
        <fieldset>
          <legend>Configuration</legend>
          <div style={row}>
            <TextField label="Visibility timeout (seconds)" type="number" value={visibility} onChange={setVisibility} error={show("visibility")} />
            <TextField label="Message retention period (seconds)" type="number" value={retention} onChange={setRetention} error={show("retention")} />
            <TextField label="Delivery delay (seconds)" type="number" value={delay} onChange={setDelay} error={show("delay")} />
            <TextField label="Receive message wait time (seconds)" type="number" value={wait} onChange={setWait} error={show("wait")} />
          </div>
        </fieldset>
        <fieldset>
          <legend>Dead-letter queue</legend>
          <Checkbox label="Send messages that fail processing to a dead-letter queue" checked={useDlq} onChange={setUseDlq} />
          {useDlq &&
            (dlqChoices.length === 0 ? (
              <Alert kind="warning">There is no {fifo ? "FIFO" : "standard"} queue to use: create the dead-letter queue first.</Alert>
            ) : (
              <div style={row}>
                <SelectField label="Dead-letter queue" value={dlq} onChange={setDlq} options={[{ value: "", label: "Choose a queue" }, ...dlqChoices.map((q) => ({ value: q.url, label: q.name }))]} />
                <TextField label="Maximum receives" type="number" value={maxReceives} onChange={setMaxReceives} error={show("maxReceives")} />
              </div>
            ))}
          {tried && errors.dlq && dlqChoices.length > 0 && <div className="field-error">{errors.dlq}</div>}
        </fieldset>
        {tried && !valid && <Alert kind="error" title="Check the fields marked above." />}
        <ErrorAlert error={error} />
      </form>
    </Modal>
  );
}

export const row = { display: "flex", flexWrap: "wrap", gap: "0 16px", alignItems: "flex-start" } as const;

const TABS = [
  { id: "details", label: "Details" },
  { id: "messages", label: "Send and receive messages" },
  { id: "dlq", label: "Dead-letter queue" },
];

function QueueDetail({ name, tab = "details" }: { name: string; tab?: string }) {
  useBreadcrumbs([{ label: "Simple Queue Service", to: "sqs" }, { label: "Queues", to: "sqs" }, { label: name }]);
  const queue = useAsync(async (): Promise<QueueInfo> => {
    const url = (await sqs().send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
    const attributes = (await sqs().send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }))).Attributes ?? {};
    return { name, url, attributes };
  }, [name]);
  const [purging, setPurging] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const active = TABS.some((t) => t.id === tab) ? tab : "details";
  const q = queue.data;
  return (
    <>
      <PageHeader
        title={name}
        description={q ? <span className="arn">{q.url}</span> : undefined}
        actions={
          <>
            <button type="button" className="btn" onClick={queue.reload}>
              Refresh
            </button>
            <button type="button" className="btn" disabled={!q} onClick={() => setPurging(true)}>
              Purge
            </button>
            <button type="button" className="btn btn-danger" disabled={!q} onClick={() => setDeleting(true)}>
              Delete queue
            </button>
          </>
        }
      />
      {queue.error ? (
        <ErrorAlert error={queue.error} onRetry={queue.reload} />
      ) : !q ? (
        <Spinner label="Loading the queue" />
      ) : (
        <>
          <div style={tabStrip}>
            <Tabs tabs={TABS} active={active} onChange={(id) => navigate(`sqs/queues/${encodeURIComponent(name)}${id === "details" ? "" : `/${id}`}`, { replace: true })} />
          </div>
          <div role="tabpanel" aria-labelledby={`tab-${active}`}>
            {active === "details" && <Details q={q} />}
            {active === "messages" && <Messages queue={q} onChange={queue.reload} />}
            {active === "dlq" && <DeadLetter q={q} onChange={queue.reload} />}
          </div>
        </>
      )}
      {purging && q && (
        <ConfirmDialog
          title={`Purge queue ${name}?`}
          confirmLabel="Purge"
          confirmText="purge"
          onClose={() => setPurging(false)}
          onConfirm={async () => {
            await sqs().send(new PurgeQueueCommand({ QueueUrl: q.url }));
            notify(`Queue ${name} purged`);
            queue.reload();
          }}
        >
          <p>Every message in the queue, including messages in flight, is deleted. This cannot be undone.</p>
        </ConfirmDialog>
      )}
      {deleting && q && <DeleteQueue queue={q} onClose={() => setDeleting(false)} onDeleted={() => navigate("sqs")} />}
    </>
  );
}

const seconds = (v: string | undefined) => (v === undefined ? "-" : `${v} s`);

function Details({ q }: { q: QueueInfo }) {
  const a = q.attributes;
  return (
    <Panel title="Details">
      <KeyValue
        items={[
          ["Name", q.name],
          ["Type", isFifo(q.name) ? "FIFO" : "Standard"],
          ["URL", <span className="arn">{q.url}</span>],
          ["ARN", <span className="arn">{a.QueueArn}</span>],
          ["Messages available", a.ApproximateNumberOfMessages],
          ["Messages in flight", a.ApproximateNumberOfMessagesNotVisible],
          ["Messages delayed", a.ApproximateNumberOfMessagesDelayed],
          ["Visibility timeout", seconds(a.VisibilityTimeout)],
          ["Message retention period", seconds(a.MessageRetentionPeriod)],
          ["Delivery delay", seconds(a.DelaySeconds)],
          ["Receive message wait time", seconds(a.ReceiveMessageWaitTimeSeconds)],
          ["Maximum message size", a.MaximumMessageSize ? `${Math.round(Number(a.MaximumMessageSize) / 1024)} KB` : "-"],
          ...(isFifo(q.name) ? ([["Content-based deduplication", a.ContentBasedDeduplication === "true" ? "On" : "Off"]] as Array<[string, string]>) : []),
          ["Encryption", a.SqsManagedSseEnabled === "true" ? "SQS-managed (SSE-SQS)" : a.KmsMasterKeyId ? `KMS: ${a.KmsMasterKeyId}` : "None"],
          ["Dead-letter queue", a.RedrivePolicy ? <StatusBadge kind="ok">Configured</StatusBadge> : "None"],
          ["Created", formatDate(a.CreatedTimestamp ? Number(a.CreatedTimestamp) * 1000 : undefined)],
          ["Last updated", formatDate(a.LastModifiedTimestamp ? Number(a.LastModifiedTimestamp) * 1000 : undefined)],
        ]}
      />
    </Panel>
  );
}

function parseRedrive(text: string | undefined): { deadLetterTargetArn?: string; maxReceiveCount?: number } | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as { deadLetterTargetArn?: string; maxReceiveCount?: number };
  } catch {
    return undefined;
  }
}

const arnName = (arn: string | undefined) => (arn ? arn.slice(arn.lastIndexOf(":") + 1) : "");

function DeadLetter({ q, onChange }: { q: QueueInfo; onChange: () => void }) {
  const policy = parseRedrive(q.attributes.RedrivePolicy);
  const sources = useAsync(async () => {
    const urls: string[] = [];
    let token: string | undefined;
    do {
      const r = await sqs().send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: q.url, NextToken: token }));
      urls.push(...(r.queueUrls ?? []));
      token = r.NextToken;
    } while (token);
    return urls.map((url) => ({ url, name: queueName(url) }));
  }, [q.url]);
  const [editing, setEditing] = useState(false);
  const [removing, setRemoving] = useState(false);
  return (
    <>
      <Panel
        title="Dead-letter queue of this queue"
        actions={
          <>
            <button type="button" className="btn" onClick={() => setEditing(true)}>
              {policy ? "Edit" : "Set a dead-letter queue"}
            </button>
            {policy && (
              <button type="button" className="btn" onClick={() => setRemoving(true)}>
                Remove
              </button>
            )}
          </>
        }
      >
        {policy ? (
          <KeyValue
            items={[
              ["Dead-letter queue", <Link to={`sqs/queues/${encodeURIComponent(arnName(policy.deadLetterTargetArn))}`}>{arnName(policy.deadLetterTargetArn)}</Link>],
              ["Maximum receives", String(policy.maxReceiveCount ?? "-")],
              ["ARN", <span className="arn">{policy.deadLetterTargetArn}</span>],
            ]}
          />
        ) : (
          <p className="muted">Messages that fail processing stay in this queue until they expire.</p>
        )}
      </Panel>
      <Panel title="Queues that use this queue as their dead-letter queue">
        <ResourceTable
          resourceName="source queues"
          items={sources.data}
          loading={sources.loading}
          error={sources.error}
          onRetry={sources.reload}
          rowKey={(s) => s.url}
          columns={[{ id: "name", header: "Name", sortValue: (s) => s.name, cell: (s) => <Link to={`sqs/queues/${encodeURIComponent(s.name)}`}>{s.name}</Link> }]}
          empty={<p>No queue sends its failed messages here.</p>}
        />
        {q.attributes.RedriveAllowPolicy && (
          <p className="muted">
            Redrive allow policy: <code>{q.attributes.RedriveAllowPolicy}</code>
          </p>
        )}
      </Panel>
      {editing && <EditRedrive q={q} current={policy} onClose={() => setEditing(false)} onSaved={onChange} />}
      {removing && (
        <ConfirmDialog
          title="Remove the dead-letter queue?"
          confirmLabel="Remove"
          onClose={() => setRemoving(false)}
          onConfirm={async () => {
            await sqs().send(new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { RedrivePolicy: "" } }));
            notify("Dead-letter queue removed");
            onChange();
          }}
        >
          <p>Messages that fail processing will stay in {q.name}.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function EditRedrive({ q, current, onClose, onSaved }: { q: QueueInfo; current?: { deadLetterTargetArn?: string; maxReceiveCount?: number }; onClose: () => void; onSaved: () => void }) {
  const queues = useAsync(listQueues);
  const [target, setTarget] = useState(current?.deadLetterTargetArn ?? "");
  const [max, setMax] = useState(String(current?.maxReceiveCount ?? 10));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [tried, setTried] = useState(false);
  const choices = (queues.data ?? []).filter((x) => x.url !== q.url && isFifo(x.name) === isFifo(q.name));
  const errors = { target: !target ? "Choose the dead-letter queue." : undefined, max: !wholeIn(max, 1, 1000) ? "1 to 1000." : undefined };
  return (
    <Modal
      title="Dead-letter queue"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy}
            onClick={async () => {
              setTried(true);
              if (errors.target || errors.max) return;
              setBusy(true);
              setError(undefined);
              try {
                await sqs().send(new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: target, maxReceiveCount: Number(max) }) } }));
                notify("Dead-letter queue saved");
                onSaved();
                onClose();
              } catch (e) {
                setError(e);
                setBusy(false);
              }
            }}
          >
            {busy ? "Saving…" : "Save"}
          </button>
        </>
      }
    >
      {queues.error ? <ErrorAlert error={queues.error} onRetry={queues.reload} /> : !queues.data ? <Spinner label="Loading queues" /> : null}
      <SelectField label="Dead-letter queue" value={target} onChange={setTarget} options={[{ value: "", label: "Choose a queue" }, ...choices.map((x) => ({ value: x.attributes.QueueArn ?? "", label: x.name }))]} />
      {tried && errors.target && <div className="field-error">{errors.target}</div>}
      <TextField label="Maximum receives" type="number" value={max} onChange={setMax} error={tried ? errors.max : undefined} />
      <ErrorAlert error={error} />
    </Modal>
  );
}
