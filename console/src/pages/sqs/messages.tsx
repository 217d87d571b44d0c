/** "Send and receive messages": send a body with attributes, poll, view and delete received messages. */
import { useState } from "react";
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient, type Message } from "@aws-sdk/client-sqs";
import { client } from "../../aws.ts";
import { Alert, ErrorAlert, Field, KeyValue, Modal, Panel, ResourceTable, SelectField, TextField, formatDate, notify } from "../../ui/index.ts";
import { AttributesEditor, attributeMap, attributeProblems, type AttributeRow } from "./attributes.tsx";
import type { QueueInfo } from "./index.tsx";

const sqs = () => client(SQSClient);
const fifo = (q: QueueInfo) => q.name.endsWith(".fifo");

export function Messages({ queue, onChange }: { queue: QueueInfo; onChange: () => void }) {
  return (
    <>
      <SendMessage queue={queue} onSent={onChange} />
      <Receive queue={queue} onChange={onChange} />
    </>
  );
}

function SendMessage({ queue, onSent }: { queue: QueueInfo; onSent: () => void }) {
  const [body, setBody] = useState("");
  const [groupId, setGroupId] = useState("");
  const [dedupId, setDedupId] = useState("");
  const [delay, setDelay] = useState("");
  const [attrs, setAttrs] = useState<AttributeRow[]>([]);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const isFifo = fifo(queue);
  const contentDedup = queue.attributes.ContentBasedDeduplication === "true";
  const errors = {
    body: body === "" ? "Enter the message body." : undefined,
    groupId: isFifo && !groupId.trim() ? "FIFO queues need a message group ID." : undefined,
    dedupId: isFifo && !contentDedup && !dedupId.trim() ? "This queue has no content-based deduplication: enter a deduplication ID." : undefined,
    delay: delay !== "" && !(Number.isInteger(Number(delay)) && Number(delay) >= 0 && Number(delay) <= 900) ? "0 to 900 seconds." : undefined,
  };
  const valid = Object.values(errors).every((e) => !e) && attributeProblems(attrs).every((p) => !p);
  const send = async () => {
    setTried(true);
    if (!valid) return;
    setBusy(true);
    setError(undefined);
    try {
      const r = await sqs().send(
        new SendMessageCommand({
          QueueUrl: queue.url,
          MessageBody: body,
          ...(attrs.length ? { MessageAttributes: attributeMap(attrs) } : {}),
          ...(isFifo ? { MessageGroupId: groupId.trim() } : {}),
          ...(isFifo && dedupId.trim() ? { MessageDeduplicationId: dedupId.trim() } : {}),
          ...(!isFifo && delay !== "" ? { DelaySeconds: Number(delay) } : {}),
        }),
      );
      notify(`Message sent (ID ${r.MessageId})`);
      setBody("");
      setDedupId("");
      setTried(false);
      onSent();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Panel title="Send message">
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <Field label="Message body" error={tried ? errors.body : undefined}>
          {(id, d) => <textarea id={id} rows={5} aria-describedby={d} aria-invalid={tried && errors.body ? true : undefined} value={body} onChange={(e) => setBody(e.target.value)} />}
        </Field>
        <div style={{ display: "flex", flexWrap: "wrap", gap: "0 16px" }}>
          {isFifo ? (
            <>
              <TextField label="Message group ID" value={groupId} onChange={setGroupId} error={tried ? errors.groupId : undefined} />
              <TextField label={`Message deduplication ID${contentDedup ? " (optional)" : ""}`} value={dedupId} onChange={setDedupId} error={tried ? errors.dedupId : undefined} />
            </>
          ) : (
            <TextField label="Delivery delay (seconds, optional)" type="number" value={delay} onChange={setDelay} error={tried ? errors.delay : undefined} />
          )}
        </div>
        <AttributesEditor rows={attrs} onChange={setAttrs} showErrors={tried} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Sending…" : "Send message"}
        </button>
        <ErrorAlert error={error} />
      </form>
    </Panel>
  );
}

const sentAt = (m: Message) => (m.Attributes?.SentTimestamp ? Number(m.Attributes.SentTimestamp) : undefined);

function Receive({ queue, onChange }: { queue: QueueInfo; onChange: () => void }) {
  const [max, setMax] = useState("10");
  const [wait, setWait] = useState("1");
  const [messages, setMessages] = useState<Message[]>([]);
  const [polled, setPolled] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [viewing, setViewing] = useState<Message | undefined>();
  const poll = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await sqs().send(
        new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: Number(max), WaitTimeSeconds: Number(wait), MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"] }),
      );
      const got = r.Messages ?? [];
      // Keep earlier messages; a message received again replaces its old copy (new receipt handle).
      setMessages((old) => [...old.filter((m) => !got.some((g) => g.MessageId === m.MessageId)), ...got]);
      setPolled(true);
      notify(got.length ? `Received ${got.length} message${got.length === 1 ? "" : "s"}` : "No messages available", "info");
      onChange();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (m: Message) => {
    try {
      await sqs().send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle }));
      setMessages((old) => old.filter((x) => x.MessageId !== m.MessageId));
      notify("Message deleted");
      onChange();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Panel
      title="Receive messages"
      actions={
        messages.length > 0 && (
          <button type="button" className="btn" onClick={() => setMessages([])}>
            Clear list
          </button>
        )
      }
    >
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void poll();
        }}
        style={{ display: "flex", flexWrap: "wrap", gap: "0 16px", alignItems: "flex-end" }}
      >
        <SelectField label="Maximum messages" value={max} onChange={setMax} options={["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]} />
        <SelectField label="Wait time (seconds)" value={wait} onChange={setWait} options={["0", "1", "2", "5", "10", "20"]} />
        <button type="submit" className="btn btn-primary" style={{ marginBottom: 14 }} disabled={busy}>
          {busy ? "Polling…" : "Poll for messages"}
        </button>
      </form>
      <p className="muted" style={{ marginTop: 0 }}>
        Received messages stay invisible to other consumers for the visibility timeout ({queue.attributes.VisibilityTimeout ?? "30"} s); delete them once handled.
      </p>
      <ErrorAlert error={error} />
      {polled && (
        <ResourceTable
          resourceName="received messages"
          items={messages}
          rowKey={(m) => m.MessageId!}
          columns={[
            { id: "id", header: "ID", sortValue: (m) => m.MessageId, cell: (m) => <button type="button" className="link-button" onClick={() => setViewing(m)} aria-label={`View message ${m.MessageId}`}><code>{m.MessageId?.slice(0, 8)}…</code></button> },
            { id: "body", header: "Body", sortValue: (m) => m.Body, cell: (m) => <span style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>{(m.Body ?? "").length > 300 ? `${m.Body!.slice(0, 300)}…` : m.Body}</span> },
            { id: "attributes", header: "Attributes", sortValue: (m) => Object.keys(m.MessageAttributes ?? {}).join(","), cell: (m) => Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => `${k}=${v.StringValue ?? "(binary)"}`).join(", ") || "-" },
            { id: "count", header: "Receive count", sortValue: (m) => Number(m.Attributes?.ApproximateReceiveCount ?? 0), cell: (m) => m.Attributes?.ApproximateReceiveCount ?? "-" },
            { id: "sent", header: "Sent", sortValue: (m) => sentAt(m) ?? 0, cell: (m) => formatDate(sentAt(m)) },
            {
              id: "actions",
              header: "Actions",
              sortable: false,
              cell: (m) => (
                <button type="button" className="btn btn-icon" onClick={() => void remove(m)} aria-label={`Delete message ${m.MessageId}`}>
                  Delete
                </button>
              ),
            },
          ]}
          empty={<p>No messages received. Poll again, or send one above.</p>}
        />
      )}
      {viewing && <MessageView m={viewing} onClose={() => setViewing(undefined)} />}
    </Panel>
  );
}

function MessageView({ m, onClose }: { m: Message; onClose: () => void }) {
  let pretty: string | undefined;
  try {
    const parsed = JSON.parse(m.Body ?? "") as unknown;
    if (parsed && typeof parsed === "object") pretty = JSON.stringify(parsed, null, 2);
  } catch {
    pretty = undefined;
  }
  return (
    <Modal title="Message" onClose={onClose} wide>
      <KeyValue
        columns={2}
        items={[
          ["Message ID", <code>{m.MessageId}</code>],
          ["MD5 of body", <code>{m.MD5OfBody}</code>],
          ["Sent", formatDate(sentAt(m))],
          ["Receive count", m.Attributes?.ApproximateReceiveCount],
          ...Object.entries(m.Attributes ?? {})
            .filter(([k]) => !["SentTimestamp", "ApproximateReceiveCount"].includes(k))
            .map(([k, v]) => [k, v] as [string, string]),
        ]}
      />
      <h3>Body</h3>
      <pre className="code" style={{ whiteSpace: "pre-wrap", wordBreak: "break-word", background: "#f4f4f4", padding: 10, borderRadius: 6 }}>{pretty ?? m.Body}</pre>
      <h3>Message attributes</h3>
      {Object.keys(m.MessageAttributes ?? {}).length === 0 ? (
        <Alert kind="info">This message has no attributes.</Alert>
      ) : (
        <KeyValue columns={2} items={Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [`${k} (${v.DataType})`, v.StringValue ?? `${v.BinaryValue?.length ?? 0} bytes`])} />
      )}
    </Modal>
  );
}
