/**
 * SNS: topics (create, publish, subscriptions with filter policies, delete) and every subscription.
 * Routes: sns, sns/topics, sns/topics/<name>, sns/subscriptions.
 */
import { useState } from "react";
import { CreateTopicCommand, DeleteTopicCommand, GetSubscriptionAttributesCommand, GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, ListSubscriptionsCommand, ListTopicsCommand, PublishCommand, SetSubscriptionAttributesCommand, SNSClient, SubscribeCommand, UnsubscribeCommand, type Subscription } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, ListQueuesCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { client } from "../../aws.ts";
import { Link, navigate } from "../../router.tsx";
import type { ServicePageProps } from "../../services.ts";
import { Alert, Checkbox, ConfirmDialog, ErrorAlert, Field, KeyValue, Modal, PageHeader, Panel, ResourceTable, SelectField, Spinner, StatusBadge, Tabs, TextField, notify, useAsync, useBreadcrumbs, type Column } from "../../ui/index.ts";
import { AttributesEditor, attributeMap, attributeProblems, type AttributeRow } from "../sqs/attributes.tsx";

const sns = () => client(SNSClient);

/** Tabs on a white strip: the shell's blue on the grey page is below 4.5:1 contrast. */
const tabStrip = { background: "#fff", borderRadius: 8, padding: "0 8px", marginBottom: 14 } as const;

export default function Page({ path }: ServicePageProps) {
  if (path[0] === "topics" && path[1]) return <TopicDetail name={path[1]} />;
  if (path[0] === "subscriptions") return <SubscriptionsList />;
  return <TopicsList />;
}

interface TopicInfo {
  arn: string;
  name: string;
  attributes: Record<string, string>;
}

const arnName = (arn: string) => arn.slice(arn.lastIndexOf(":") + 1);
const isFifo = (name: string) => name.endsWith(".fifo");

async function topicArns(): Promise<string[]> {
  const arns: string[] = [];
  let token: string | undefined;
  do {
    const r = await sns().send(new ListTopicsCommand({ NextToken: token }));
    arns.push(...(r.Topics ?? []).map((t) => t.TopicArn!));
    token = r.NextToken;
  } while (token);
  return arns;
}

async function listTopics(): Promise<TopicInfo[]> {
  const arns = await topicArns();
  const out: TopicInfo[] = [];
  for (let i = 0; i < arns.length; i += 10) {
    out.push(...(await Promise.all(arns.slice(i, i + 10).map(async (arn) => ({ arn, name: arnName(arn), attributes: (await sns().send(new GetTopicAttributesCommand({ TopicArn: arn }))).Attributes ?? {} })))));
  }
  return out;
}

const NAV = [
  { id: "topics", label: "Topics" },
  { id: "subscriptions", label: "Subscriptions" },
];

function TopicsList() {
  useBreadcrumbs([{ label: "Simple Notification Service" }, { label: "Topics" }]);
  const topics = useAsync(listTopics);
  const [creating, setCreating] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  const [deleting, setDeleting] = useState(false);
  const columns: Column<TopicInfo>[] = [
    { id: "name", header: "Name", sortValue: (t) => t.name, cell: (t) => <Link to={`sns/topics/${encodeURIComponent(t.name)}`}>{t.name}</Link> },
    { id: "type", header: "Type", sortValue: (t) => (isFifo(t.name) ? "FIFO" : "Standard") },
    { id: "display", header: "Display name", sortValue: (t) => t.attributes.DisplayName ?? "", cell: (t) => t.attributes.DisplayName || "-" },
    { id: "subs", header: "Subscriptions", sortValue: (t) => Number(t.attributes.SubscriptionsConfirmed ?? 0) + Number(t.attributes.SubscriptionsPending ?? 0) },
    { id: "arn", header: "ARN", sortValue: (t) => t.arn, cell: (t) => <code style={{ whiteSpace: "nowrap" }}>{t.arn}</code> },
  ];
  const createButton = (
    <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
      Create topic
    </button>
  );
  const sel = topics.data?.find((t) => t.arn === selected[0]);
  return (
    <>
      <div style={tabStrip}>
        <Tabs tabs={NAV} active="topics" onChange={(id) => navigate(id === "topics" ? "sns" : "sns/subscriptions")} />
      </div>
      <PageHeader
        title="Topics"
        count={topics.data?.length}
        description="SNS topics in this region: publish messages to every subscriber."
        actions={
          <>
            <button type="button" className="btn" onClick={topics.reload}>
              Refresh
            </button>
            <button type="button" className="btn" disabled={!sel} onClick={() => setDeleting(true)}>
              Delete
            </button>
            {createButton}
          </>
        }
      />
      <Panel>
        <ResourceTable
          resourceName="topics"
          items={topics.data}
          loading={topics.loading}
          error={topics.error}
          onRetry={topics.reload}
          columns={columns}
          rowKey={(t) => t.arn}
          selection="single"
          selected={selected}
          onSelectionChange={setSelected}
          defaultSort={{ column: "name" }}
          empty={
            <>
              <p>No topics in this region.</p>
              {createButton}
            </>
          }
        />
      </Panel>
      {creating && (
        <CreateTopic
          onClose={() => setCreating(false)}
          onCreated={(name) => {
            setCreating(false);
            navigate(`sns/topics/${encodeURIComponent(name)}`);
          }}
        />
      )}
      {deleting && sel && (
        <DeleteTopic
          topic={sel}
          onClose={() => setDeleting(false)}
          onDeleted={() => {
            setSelected([]);
            topics.reload();
          }}
        />
      )}
    </>
  );
}

function DeleteTopic({ topic, onClose, onDeleted }: { topic: { arn: string; name: string }; onClose: () => void; onDeleted: () => void }) {
  return (
    <ConfirmDialog
      title={`Delete topic ${topic.name}?`}
      confirmText="delete"
      onClose={onClose}
      onConfirm={async () => {
        await sns().send(new DeleteTopicCommand({ TopicArn: topic.arn }));
        notify(`Topic ${topic.name} deleted`);
        onDeleted();
      }}
    >
      <p>The topic and all of its subscriptions are deleted.</p>
    </ConfirmDialog>
  );
}

function CreateTopic({ onClose, onCreated }: { onClose: () => void; onCreated: (name: string) => void }) {
  const [type, setType] = useState("standard");
  const [name, setName] = useState("");
  const [display, setDisplay] = useState("");
  const [dedup, setDedup] = useState(false);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const fifo = type === "fifo";
  const fullName = fifo && !name.endsWith(".fifo") ? `${name}.fifo` : name;
  const nameError = !/^[a-zA-Z0-9_-]{1,256}$/.test(fullName.replace(/\.fifo$/, "")) ? "1 to 256 characters: letters, digits, hyphens (-) and underscores (_)." : !fifo && name.endsWith(".fifo") ? "Only FIFO topics end in .fifo." : undefined;
  const displayError = display.length > 100 ? "At most 100 characters." : undefined;
  const submit = async () => {
    setTried(true);
    if (nameError || displayError) return;
    setBusy(true);
    setError(undefined);
    try {
      const attributes: Record<string, string> = {};
      if (display) attributes.DisplayName = display;
      if (fifo) {
        attributes.FifoTopic = "true";
        if (dedup) attributes.ContentBasedDeduplication = "true";
      }
      await sns().send(new CreateTopicCommand({ Name: fullName, Attributes: attributes }));
      notify(`Topic ${fullName} created`);
      onCreated(fullName);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Modal
      title="Create topic"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="create-topic" className="btn btn-primary" disabled={busy}>
            {busy ? "Creating…" : "Create topic"}
          </button>
        </>
      }
    >
      <form
        id="create-topic"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <SelectField
          label="Type"
          value={type}
          onChange={setType}
          options={[
            { value: "standard", label: "Standard (best-effort ordering, many protocols)" },
            { value: "fifo", label: "FIFO (strict ordering, SQS subscribers only)" },
          ]}
        />
        <TextField label="Topic name" value={name} onChange={setName} error={tried ? nameError : undefined} hint={fifo ? `Created as ${fullName || "<name>.fifo"}.` : undefined} autoComplete="off" />
        <TextField label="Display name (optional)" value={display} onChange={setDisplay} error={tried ? displayError : undefined} hint="Shown as the sender of email notifications." />
        {fifo && <Checkbox label="Content-based message deduplication" checked={dedup} onChange={setDedup} />}
        <ErrorAlert error={error} />
      </form>
    </Modal>
  );
}

function TopicDetail({ name }: { name: string }) {
  useBreadcrumbs([{ label: "Simple Notification Service", to: "sns" }, { label: "Topics", to: "sns" }, { label: name }]);
  const topic = useAsync(async (): Promise<TopicInfo> => {
    const arn = (await topicArns()).find((a) => arnName(a) === name);
    if (!arn) throw Object.assign(new Error(`There is no topic named ${name} in this region.`), { name: "NotFound" });
    return { arn, name, attributes: (await sns().send(new GetTopicAttributesCommand({ TopicArn: arn }))).Attributes ?? {} };
  }, [name]);
  const [tab, setTab] = useState("subscriptions");
  const [deleting, setDeleting] = useState(false);
  const t = topic.data;
  return (
    <>
      <PageHeader
        title={name}
        description={t ? <span className="arn">{t.arn}</span> : undefined}
        actions={
          <>
            <button type="button" className="btn" onClick={topic.reload}>
              Refresh
            </button>
            <button type="button" className="btn btn-danger" disabled={!t} onClick={() => setDeleting(true)}>
              Delete topic
            </button>
          </>
        }
      />
      {topic.error ? (
        <ErrorAlert error={topic.error} onRetry={topic.reload} />
      ) : !t ? (
        <Spinner label="Loading the topic" />
      ) : (
        <>
          <Panel title="Details">
            <KeyValue
              items={[
                ["Name", t.name],
                ["Type", isFifo(t.name) ? "FIFO" : "Standard"],
                ["Display name", t.attributes.DisplayName],
                ["ARN", <span className="arn">{t.arn}</span>],
                ["Owner", t.attributes.Owner],
                ["Subscriptions", `${t.attributes.SubscriptionsConfirmed ?? 0} confirmed, ${t.attributes.SubscriptionsPending ?? 0} pending`],
                ...(isFifo(t.name) ? ([["Content-based deduplication", t.attributes.ContentBasedDeduplication === "true" ? "On" : "Off"]] as Array<[string, string]>) : []),
                ["Encryption", t.attributes.KmsMasterKeyId ? `KMS: ${t.attributes.KmsMasterKeyId}` : "None"],
              ]}
            />
          </Panel>
<div style={tabStrip}>
          <Tabs
            tabs={[
              { id: "subscriptions", label: "Subscriptions" },
              { id: "publish", label: "Publish message" },
            ]}
            active={tab}
            onChange={setTab}
          />
          </div>
          <div role="tabpanel" aria-labelledby={`tab-${tab}`}>
            {tab === "subscriptions" ? <TopicSubscriptions topic={t} onChange={topic.reload} /> : <Publish topic={t} />}
          </div>
        </>
      )}
      {deleting && t && <DeleteTopic topic={t} onClose={() => setDeleting(false)} onDeleted={() => navigate("sns")} />}
    </>
  );
}

function Publish({ topic }: { topic: TopicInfo }) {
  const fifo = isFifo(topic.name);
  const [subject, setSubject] = useState("");
  const [body, setBody] = useState("");
  const [groupId, setGroupId] = useState("");
  const [dedupId, setDedupId] = useState("");
  const [attrs, setAttrs] = useState<AttributeRow[]>([]);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const contentDedup = topic.attributes.ContentBasedDeduplication === "true";
  const errors = {
    subject: subject.length > 100 ? "At most 100 characters." : /[\r\n]/.test(subject) ? "One line only." : undefined,
    body: body === "" ? "Enter the message body." : undefined,
    groupId: fifo && !groupId.trim() ? "FIFO topics need a message group ID." : undefined,
    dedupId: fifo && !contentDedup && !dedupId.trim() ? "This topic has no content-based deduplication: enter a deduplication ID." : undefined,
  };
  const valid = Object.values(errors).every((e) => !e) && attributeProblems(attrs).every((p) => !p);
  return (
    <Panel title="Publish message">
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setTried(true);
          if (!valid) return;
          setBusy(true);
          setError(undefined);
          try {
            const r = await sns().send(
              new PublishCommand({
                TopicArn: topic.arn,
                Message: body,
                ...(subject ? { Subject: subject } : {}),
                ...(attrs.length ? { MessageAttributes: attributeMap(attrs) } : {}),
                ...(fifo ? { MessageGroupId: groupId.trim() } : {}),
                ...(fifo && dedupId.trim() ? { MessageDeduplicationId: dedupId.trim() } : {}),
              }),
            );
            notify(`Message published (ID ${r.MessageId})`);
            setTried(false);
            setBody("");
            setDedupId("");
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <TextField label="Subject (optional)" value={subject} onChange={setSubject} error={tried ? errors.subject : undefined} hint="Used as the email subject and in the message envelope." />
        <Field label="Message body" error={tried ? errors.body : undefined}>
          {(id, d) => <textarea id={id} rows={6} aria-describedby={d} aria-invalid={tried && errors.body ? true : undefined} value={body} onChange={(e) => setBody(e.target.value)} />}
        </Field>
        {fifo && (
          <div style={{ display: "flex", flexWrap: "wrap", gap: "0 16px" }}>
            <TextField label="Message group ID" value={groupId} onChange={setGroupId} error={tried ? errors.groupId : undefined} />
            <TextField label={`Message deduplication ID${contentDedup ? " (optional)" : ""}`} value={dedupId} onChange={setDedupId} error={tried ? errors.dedupId : undefined} />
          </div>
        )}
        <AttributesEditor rows={attrs} onChange={setAttrs} showErrors={tried} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Publishing…" : "Publish message"}
        </button>
        <ErrorAlert error={error} />
      </form>
    </Panel>
  );
}

const pending = (s: Subscription) => !s.SubscriptionArn || s.SubscriptionArn === "PendingConfirmation" || s.SubscriptionArn === "Deleted";

function subscriptionColumns(withTopic: boolean): Column<Subscription>[] {
  return [
    { id: "id", header: "ID", sortValue: (s) => s.SubscriptionArn, cell: (s) => (pending(s) ? <StatusBadge kind="warn">Pending confirmation</StatusBadge> : <code>{arnName(s.SubscriptionArn!)}</code>) },
    { id: "protocol", header: "Protocol", sortValue: (s) => s.Protocol },
    { id: "endpoint", header: "Endpoint", sortValue: (s) => s.Endpoint, cell: (s) => <span className="arn">{s.Endpoint}</span> },
    ...(withTopic ? [{ id: "topic", header: "Topic", sortValue: (s: Subscription) => arnName(s.TopicArn ?? ""), cell: (s: Subscription) => <Link to={`sns/topics/${encodeURIComponent(arnName(s.TopicArn ?? ""))}`}>{arnName(s.TopicArn ?? "")}</Link> }] : []),
    { id: "status", header: "Status", sortValue: (s) => (pending(s) ? "Pending" : "Confirmed"), cell: (s) => (pending(s) ? <StatusBadge kind="warn">Pending</StatusBadge> : <StatusBadge kind="ok">Confirmed</StatusBadge>) },
  ];
}

const subKey = (s: Subscription) => (pending(s) ? `pending:${s.Protocol}:${s.Endpoint}:${s.TopicArn}` : s.SubscriptionArn!);

function TopicSubscriptions({ topic, onChange }: { topic: TopicInfo; onChange: () => void }) {
  const subs = useAsync(async () => {
    const out: Subscription[] = [];
    let token: string | undefined;
    do {
      const r = await sns().send(new ListSubscriptionsByTopicCommand({ TopicArn: topic.arn, NextToken: token }));
      out.push(...(r.Subscriptions ?? []));
      token = r.NextToken;
    } while (token);
    return out;
  }, [topic.arn]);
  return (
    <SubscriptionsTable
      subs={subs}
      withTopic={false}
      topic={topic}
      onChange={() => {
        subs.reload();
        onChange();
      }}
    />
  );
}

function SubscriptionsList() {
  useBreadcrumbs([{ label: "Simple Notification Service", to: "sns" }, { label: "Subscriptions" }]);
  const subs = useAsync(async () => {
    const out: Subscription[] = [];
    let token: string | undefined;
    do {
      const r = await sns().send(new ListSubscriptionsCommand({ NextToken: token }));
      out.push(...(r.Subscriptions ?? []));
      token = r.NextToken;
    } while (token);
    return out;
  });
  return (
    <>
      <div style={tabStrip}>
        <Tabs tabs={NAV} active="subscriptions" onChange={(id) => navigate(id === "topics" ? "sns" : "sns/subscriptions")} />
      </div>
      <PageHeader title="Subscriptions" count={subs.data?.length} description="Every subscription to the topics in this region." />
      <SubscriptionsTable subs={subs} withTopic onChange={subs.reload} />
    </>
  );
}

function SubscriptionsTable({ subs, withTopic, topic, onChange }: { subs: { data?: Subscription[]; loading: boolean; error: unknown; reload: () => void }; withTopic: boolean; topic?: TopicInfo; onChange: () => void }) {
  const [selected, setSelected] = useState<string[]>([]);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [editing, setEditing] = useState(false);
  const sel = subs.data?.find((s) => subKey(s) === selected[0]);
  const createButton = (
    <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
      Create subscription
    </button>
  );
  return (
    <Panel
      title={withTopic ? undefined : "Subscriptions"}
      actions={
        <>
          <button type="button" className="btn" onClick={subs.reload}>
            Refresh
          </button>
          <button type="button" className="btn" disabled={!sel || pending(sel)} onClick={() => setEditing(true)}>
            Edit filter policy
          </button>
          <button type="button" className="btn" disabled={!sel || pending(sel)} onClick={() => setDeleting(true)}>
            Delete
          </button>
          {createButton}
        </>
      }
    >
      <ResourceTable
        resourceName="subscriptions"
        items={subs.data}
        loading={subs.loading}
        error={subs.error}
        onRetry={subs.reload}
        columns={subscriptionColumns(withTopic)}
        rowKey={subKey}
        selection="single"
        selected={selected}
        onSelectionChange={setSelected}
        empty={
          <>
            <p>No subscriptions.</p>
            {createButton}
          </>
        }
      />
      {creating && (
        <CreateSubscription
          topic={topic}
          onClose={() => setCreating(false)}
          onCreated={() => {
            setCreating(false);
            onChange();
          }}
        />
      )}
      {editing && sel?.SubscriptionArn && <EditFilterPolicy arn={sel.SubscriptionArn} onClose={() => setEditing(false)} />}
      {deleting && sel && (
        <ConfirmDialog
          title="Delete subscription?"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await sns().send(new UnsubscribeCommand({ SubscriptionArn: sel.SubscriptionArn }));
            notify("Subscription deleted");
            setSelected([]);
            onChange();
          }}
        >
          <p>
            {sel.Protocol} endpoint <span className="arn">{sel.Endpoint}</span> stops receiving messages from {arnName(sel.TopicArn ?? "")}.
          </p>
        </ConfirmDialog>
      )}
    </Panel>
  );
}

const PROTOCOLS = [
  { value: "sqs", label: "Amazon SQS" },
  { value: "lambda", label: "AWS Lambda" },
  { value: "email", label: "Email" },
  { value: "email-json", label: "Email-JSON" },
  { value: "http", label: "HTTP" },
  { value: "https", label: "HTTPS" },
];

async function queueArns(): Promise<Array<{ name: string; arn: string; url: string }>> {
  const sqs = client(SQSClient);
  const urls = (await sqs.send(new ListQueuesCommand({ MaxResults: 1000 }))).QueueUrls ?? [];
  return Promise.all(
    urls.map(async (url) => ({ url, name: decodeURIComponent(url.slice(url.lastIndexOf("/") + 1)), arn: (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes?.QueueArn ?? "" })),
  );
}

interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * Let the topic send to the queue, as the AWS console does when subscribing a queue: a statement
 * in the queue's access policy allowing sns.amazonaws.com sqs:SendMessage from this topic.
 */
async function allowTopicToSend(queue: { url: string; arn: string }, topicArn: string): Promise<void> {
  const sqs = client(SQSClient);
  const current = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["Policy"] }))).Attributes?.Policy;
  const policy = (current ? JSON.parse(current) : { Version: "2012-10-17", Statement: [] }) as { Version?: string; Statement?: PolicyStatement | PolicyStatement[] };
  const statements = Array.isArray(policy.Statement) ? policy.Statement : policy.Statement ? [policy.Statement] : [];
  const present = statements.some((st) => st.Effect === "Allow" && JSON.stringify(st.Condition ?? {}).includes(topicArn) && JSON.stringify(st.Action).includes("SendMessage"));
  if (present) return;
  statements.push({
    Sid: `topic-${arnName(topicArn)}-${Date.now().toString(36)}`,
    Effect: "Allow",
    Principal: { Service: "sns.amazonaws.com" },
    Action: "sqs:SendMessage",
    Resource: queue.arn,
    Condition: { ArnEquals: { "aws:SourceArn": topicArn } },
  });
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { Policy: JSON.stringify({ ...policy, Version: policy.Version ?? "2012-10-17", Statement: statements }) } }));
}

function CreateSubscription({ topic, onClose, onCreated }: { topic?: TopicInfo; onClose: () => void; onCreated: () => void }) {
  const topics = useAsync(() => (topic ? Promise.resolve([topic.arn]) : topicArns()), [topic?.arn]);
  const [topicArn, setTopicArn] = useState(topic?.arn ?? "");
  const [protocol, setProtocol] = useState("sqs");
  const [endpoint, setEndpoint] = useState("");
  const [raw, setRaw] = useState(false);
  const [allow, setAllow] = useState(true);
  const [filterOn, setFilterOn] = useState(false);
  const [filter, setFilter] = useState("");
  const [filterScope, setFilterScope] = useState("MessageAttributes");
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const queues = useAsync(() => (protocol === "sqs" ? queueArns() : Promise.resolve([])), [protocol]);
  const endpointError = !endpoint.trim()
    ? protocol === "sqs"
      ? "Choose a queue."
      : "Enter the endpoint."
    : protocol.startsWith("email") && !/^[^@\s]+@[^@\s]+$/.test(endpoint.trim())
      ? "Enter an email address."
      : (protocol === "http" || protocol === "https") && !endpoint.trim().startsWith(`${protocol}://`)
        ? `Enter a URL that starts with ${protocol}://.`
        : protocol === "lambda" && !endpoint.trim().startsWith("arn:")
          ? "Enter the function's ARN."
          : undefined;
  const topicError = !topicArn ? "Choose a topic." : undefined;
  const filterError = filterOn ? filterPolicyProblem(filter) : undefined;
  const placeholder: Record<string, string> = { lambda: "arn:aws:lambda:us-east-1:000000000000:function:my-function", email: "someone@example.com", "email-json": "someone@example.com", http: "http://example.com/hook", https: "https://example.com/hook" };
  return (
    <Modal
      title="Create subscription"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="create-subscription" className="btn btn-primary" disabled={busy}>
            {busy ? "Creating…" : "Create subscription"}
          </button>
        </>
      }
    >
      <form
        id="create-subscription"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setTried(true);
          if (endpointError || topicError || filterError) return;
          setBusy(true);
          setError(undefined);
          try {
            const queue = protocol === "sqs" ? queues.data?.find((q) => q.arn === endpoint.trim()) : undefined;
            if (queue && allow) await allowTopicToSend(queue, topicArn);
            const attributes: Record<string, string> = {};
            if (raw) attributes.RawMessageDelivery = "true";
            if (filterOn) {
              attributes.FilterPolicy = filter;
              attributes.FilterPolicyScope = filterScope;
            }
            const r = await sns().send(
              new SubscribeCommand({ TopicArn: topicArn, Protocol: protocol, Endpoint: endpoint.trim(), ReturnSubscriptionArn: true, ...(Object.keys(attributes).length ? { Attributes: attributes } : {}) }),
            );
            notify(r.SubscriptionArn === "pending confirmation" || r.SubscriptionArn === "PendingConfirmation" ? "Subscription created: waiting for confirmation" : "Subscription created");
            onCreated();
          } catch (err) {
            setError(err);
            setBusy(false);
          }
        }}
      >
        {topic ? (
          <KeyValue columns={1} items={[["Topic", <span className="arn">{topic.arn}</span>]]} />
        ) : topics.error ? (
          <ErrorAlert error={topics.error} onRetry={topics.reload} />
        ) : (
          <>
            <SelectField label="Topic" value={topicArn} onChange={setTopicArn} options={[{ value: "", label: topics.data ? "Choose a topic" : "Loading topics…" }, ...(topics.data ?? []).map((a) => ({ value: a, label: arnName(a) }))]} />
            {tried && topicError && <div className="field-error">{topicError}</div>}
          </>
        )}
        <SelectField
          label="Protocol"
          value={protocol}
          onChange={(v) => {
            setProtocol(v);
            setEndpoint("");
          }}
          options={PROTOCOLS}
        />
        {protocol === "sqs" ? (
          queues.error ? (
            <ErrorAlert error={queues.error} onRetry={queues.reload} />
          ) : queues.data && queues.data.length === 0 ? (
            <>
              <Alert kind="info">There are no queues in this region. Enter a queue ARN instead.</Alert>
              <TextField label="Endpoint (queue ARN)" value={endpoint} onChange={setEndpoint} error={tried ? endpointError : undefined} />
            </>
          ) : (
            <SelectField label="Queue" value={endpoint} onChange={setEndpoint} options={[{ value: "", label: queues.data ? "Choose a queue" : "Loading queues…" }, ...(queues.data ?? []).map((q) => ({ value: q.arn, label: q.name }))]} />
          )
        ) : (
          <TextField label="Endpoint" value={endpoint} onChange={setEndpoint} error={tried ? endpointError : undefined} placeholder={placeholder[protocol]} />
        )}
        {protocol === "sqs" && tried && endpointError && queues.data && queues.data.length > 0 && <div className="field-error">{endpointError}</div>}
        {protocol === "sqs" && queues.data && queues.data.length > 0 && (
          <Checkbox label="Allow the topic to send to this queue" checked={allow} onChange={setAllow} hint="Adds a statement to the queue's access policy: sns.amazonaws.com may call sqs:SendMessage when the source is this topic." />
        )}
        {(protocol === "sqs" || protocol === "http" || protocol === "https") && <Checkbox label="Raw message delivery (no JSON envelope)" checked={raw} onChange={setRaw} />}
        <fieldset>
          <legend>Subscription filter policy (optional)</legend>
          <Checkbox label="Filter the messages this subscription receives" checked={filterOn} onChange={setFilterOn} hint="Without a policy, the subscriber receives every message published to the topic." />
          {filterOn && <FilterPolicyFields policy={filter} onPolicy={setFilter} scope={filterScope} onScope={setFilterScope} error={tried ? filterError : undefined} />}
        </fieldset>
        {(protocol.startsWith("email") || protocol.startsWith("http")) && <p className="muted">The endpoint must confirm the subscription before it receives messages; email confirmations land in the SES mailbox.</p>}
        <ErrorAlert error={error} />
      </form>
    </Modal>
  );
}


/** Why `text` cannot be a filter policy before it is sent (AWS checks the rest: operators, limits). */
function filterPolicyProblem(text: string): string | undefined {
  if (!text.trim()) return "Enter the filter policy as a JSON object.";
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `Invalid JSON: ${(e as Error).message}`;
  }
  return v === null || typeof v !== "object" || Array.isArray(v) ? "The filter policy must be a JSON object." : undefined;
}

const FILTER_SCOPES = [
  { value: "MessageAttributes", label: "Message attributes", hint: "The policy matches the message attributes." },
  { value: "MessageBody", label: "Message body", hint: "The policy matches the properties of a JSON message body." },
];

/** The filter policy's JSON editor and its scope (message attributes or message body). */
function FilterPolicyFields({ policy, onPolicy, scope, onScope, error }: { policy: string; onPolicy: (v: string) => void; scope: string; onScope: (v: string) => void; error?: string }) {
  return (
    <>
      <fieldset style={{ border: 0, padding: 0, margin: "0 0 12px" }}>
        <legend style={{ fontWeight: 700 }}>Filter policy scope</legend>
        <div style={{ display: "flex", flexWrap: "wrap", gap: "4px 16px" }}>
          {FILTER_SCOPES.map((s) => (
            <label key={s.value} title={s.hint} style={{ display: "inline-flex", gap: 6, alignItems: "center" }}>
              <input type="radio" name="filter-policy-scope" value={s.value} checked={scope === s.value} onChange={() => onScope(s.value)} />
              {s.label}
            </label>
          ))}
        </div>
      </fieldset>
      <Field label="Filter policy (JSON)" error={error} hint={scope === "MessageBody" ? 'For example {"store": ["example_corp"], "price": [{"numeric": [">", 10]}]}' : 'For example {"event": ["order_placed"]}'}>
        {(id, d) => <textarea id={id} className="code" rows={6} spellCheck={false} aria-describedby={d} aria-invalid={error ? true : undefined} value={policy} onChange={(e) => onPolicy(e.target.value)} />}
      </Field>
    </>
  );
}

/** A subscription's filter policy and scope, read with GetSubscriptionAttributes and saved with SetSubscriptionAttributes. */
function EditFilterPolicy({ arn, onClose }: { arn: string; onClose: () => void }) {
  const current = useAsync(() => sns().send(new GetSubscriptionAttributesCommand({ SubscriptionArn: arn })).then((r) => r.Attributes ?? {}), [arn]);
  const [policy, setPolicy] = useState<string>();
  const [scope, setScope] = useState<string>();
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const had = current.data?.FilterPolicy ?? "";
  const text = policy ?? (had ? JSON.stringify(JSON.parse(had), null, 2) : "");
  const scopeValue = scope ?? current.data?.FilterPolicyScope ?? "MessageAttributes";
  // An empty editor removes the policy (SetSubscriptionAttributes with an empty FilterPolicy).
  const problem = text.trim() === "" ? undefined : filterPolicyProblem(text);
  return (
    <Modal
      title="Edit filter policy"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="edit-filter-policy" className="btn btn-primary" disabled={busy || !current.data}>
            {busy ? "Saving…" : "Save changes"}
          </button>
        </>
      }
    >
      {current.error ? (
        <ErrorAlert error={current.error} onRetry={current.reload} />
      ) : !current.data ? (
        <Spinner label="Loading the subscription" />
      ) : (
        <form
          id="edit-filter-policy"
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            setTried(true);
            if (problem) return;
            setBusy(true);
            setError(undefined);
            try {
              const set = (AttributeName: string, AttributeValue: string) => sns().send(new SetSubscriptionAttributesCommand({ SubscriptionArn: arn, AttributeName, AttributeValue }));
              const hadScope = current.data?.FilterPolicyScope ?? "MessageAttributes";
              if (text.trim() === "") {
                if (had) await set("FilterPolicy", "");
              } else {
                if (scopeValue !== hadScope) {
                  // AWS checks a new scope against the policy in force: remove the old policy first.
                  if (had) await set("FilterPolicy", "");
                  await set("FilterPolicyScope", scopeValue);
                }
                await set("FilterPolicy", text);
              }
              notify("Filter policy saved");
              onClose();
            } catch (err) {
              setError(err);
              setBusy(false);
            }
          }}
        >
          <KeyValue columns={1} items={[["Subscription", <span className="arn">{arn}</span>]]} />
          <FilterPolicyFields policy={text} onPolicy={setPolicy} scope={scopeValue} onScope={setScope} error={tried ? problem : undefined} />
          <p className="muted">Leave the policy empty to remove it: the subscriber then receives every message.</p>
          <ErrorAlert error={error} />
        </form>
      )}
    </Modal>
  );
}
