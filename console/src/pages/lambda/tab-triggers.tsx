/** The Triggers tab: event source mappings of the function; add an SQS trigger; delete one. */
import { useState } from "react";
import { CreateEventSourceMappingCommand, DeleteEventSourceMappingCommand, paginateListEventSourceMappings, type EventSourceMappingConfiguration } from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand, paginateListQueues, SQSClient } from "@aws-sdk/client-sqs";
import { client } from "../../aws.ts";
import { ConfirmDialog, ErrorAlert, Field, formatDate, Modal, notify, Panel, ResourceTable, StatusBadge, TextField, useAsync, type Column } from "../../ui/index.ts";
import { lambda } from "./shared.ts";

async function listMappings(name: string): Promise<EventSourceMappingConfiguration[]> {
  const out: EventSourceMappingConfiguration[] = [];
  for await (const page of paginateListEventSourceMappings({ client: lambda() }, { FunctionName: name })) out.push(...(page.EventSourceMappings ?? []));
  return out;
}

async function listQueues(): Promise<string[]> {
  const out: string[] = [];
  for await (const page of paginateListQueues({ client: client(SQSClient) }, {})) out.push(...(page.QueueUrls ?? []));
  return out;
}

export function TriggersTab({ name }: { name: string }) {
  const list = useAsync(() => listMappings(name), [name]);
  const [selected, setSelected] = useState<string[]>([]);
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const columns: Column<EventSourceMappingConfiguration>[] = [
    { id: "EventSourceArn", header: "Source", cell: (m) => <span className="arn">{m.EventSourceArn}</span> },
    { id: "State", header: "State", cell: (m) => <StatusBadge kind={m.State === "Enabled" ? "ok" : "neutral"}>{m.State}</StatusBadge> },
    { id: "BatchSize", header: "Batch size", sortValue: (m) => m.BatchSize },
    { id: "LastModified", header: "Last modified", cell: (m) => formatDate(m.LastModified), sortValue: (m) => (m.LastModified ? new Date(m.LastModified).getTime() : 0) },
    { id: "UUID", header: "UUID", cell: (m) => <code>{m.UUID}</code> },
  ];
  const add = (
    <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
      Add SQS trigger
    </button>
  );
  return (
    <Panel
      title="Triggers"
      actions={
        <>
          <button type="button" className="btn" onClick={list.reload}>
            Refresh
          </button>
          <button type="button" className="btn" disabled={selected.length !== 1} onClick={() => setDeleting(true)}>
            Delete trigger
          </button>
          {add}
        </>
      }
    >
      <ResourceTable
        resourceName="triggers"
        items={list.data}
        loading={list.loading}
        error={list.error}
        onRetry={list.reload}
        columns={columns}
        rowKey={(m) => m.UUID!}
        selection="single"
        selected={selected}
        onSelectionChange={setSelected}
        empty={
          <>
            <p>No triggers: the function runs only when invoked.</p>
            {add}
          </>
        }
      />
      {adding && <AddSqsTrigger name={name} onClose={() => setAdding(false)} onAdded={list.reload} />}
      {deleting && selected[0] && (
        <ConfirmDialog
          title="Delete this trigger?"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await lambda().send(new DeleteEventSourceMappingCommand({ UUID: selected[0] }));
            notify("Trigger deleted");
            setSelected([]);
            list.reload();
          }}
        >
          <p>The function stops receiving messages from {list.data?.find((m) => m.UUID === selected[0])?.EventSourceArn}.</p>
        </ConfirmDialog>
      )}
    </Panel>
  );
}

function AddSqsTrigger({ name, onClose, onAdded }: { name: string; onClose: () => void; onAdded: () => void }) {
  const queues = useAsync(listQueues);
  const [queue, setQueue] = useState("");
  const [batch, setBatch] = useState("10");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [submitted, setSubmitted] = useState(false);
  const batchError = !/^\d+$/.test(batch) || +batch < 1 || +batch > 10000 ? "Between 1 and 10000." : undefined;
  const submit = async () => {
    setSubmitted(true);
    if (!queue || batchError) return;
    setBusy(true);
    setError(undefined);
    try {
      const attrs = await client(SQSClient).send(new GetQueueAttributesCommand({ QueueUrl: queue, AttributeNames: ["QueueArn"] }));
      await lambda().send(new CreateEventSourceMappingCommand({ FunctionName: name, EventSourceArn: attrs.Attributes!.QueueArn, BatchSize: +batch, Enabled: true }));
      notify("SQS trigger added");
      onAdded();
      onClose();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Modal
      title="Add an SQS trigger"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" disabled={busy} onClick={submit}>
            {busy ? "Adding…" : "Add"}
          </button>
        </>
      }
    >
      {queues.error ? (
        <ErrorAlert error={queues.error} onRetry={queues.reload} />
      ) : (
        <Field label="SQS queue" error={submitted && !queue ? "Choose a queue." : undefined} hint={queues.loading ? "Loading queues…" : `${queues.data?.length ?? 0} queues in this region`}>
          {(id, d) => (
            <select id={id} aria-describedby={d} value={queue} onChange={(e) => setQueue(e.target.value)}>
              <option value="">Choose a queue</option>
              {(queues.data ?? []).map((q) => (
                <option key={q} value={q}>
                  {q.split("/").pop()}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      <TextField label="Batch size" inputMode="numeric" value={batch} onChange={setBatch} error={submitted ? batchError : undefined} />
      <p className="muted">The function's execution role needs sqs:ReceiveMessage, sqs:DeleteMessage and sqs:GetQueueAttributes on the queue.</p>
      <ErrorAlert error={error} />
    </Modal>
  );
}
