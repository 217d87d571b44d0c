/** The Test tab: saved event templates, Invoke (RequestResponse, LogType Tail), result with payload and log tail. */
import { useState } from "react";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { Alert, ErrorAlert, JsonEditor, jsonProblem, KeyValue, notify, Panel, SelectField, TextField } from "../../ui/index.ts";
import { lambda } from "./shared.ts";

const HELLO = JSON.stringify({ key1: "value1", key2: "value2", key3: "value3" }, null, 2);

function storageKey(fn: string) {
  return `nimbus.lambda.events.${fn}`;
}

function loadEvents(fn: string): Record<string, string> {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey(fn)) ?? "{}") as Record<string, string>;
    return { hello: HELLO, ...saved };
  } catch {
    return { hello: HELLO };
  }
}

interface Result {
  ok: boolean;
  statusCode?: number;
  functionError?: string;
  payload: string;
  log: string;
  duration?: string;
  billed?: string;
  memoryUsed?: string;
  requestId?: string;
}

function decodeBase64(b64: string): string {
  const bin = atob(b64);
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function TestTab({ name }: { name: string }) {
  const [events, setEvents] = useState(() => loadEvents(name));
  const [eventName, setEventName] = useState("hello");
  const [body, setBody] = useState(events.hello ?? HELLO);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [result, setResult] = useState<Result>();

  const choose = (n: string) => {
    setEventName(n);
    if (events[n] !== undefined) setBody(events[n]!);
  };
  const save = () => {
    if (!eventName.trim() || jsonProblem(body)) return;
    const next = { ...events, [eventName.trim()]: body };
    setEvents(next);
    const { hello: _hello, ...rest } = next;
    void _hello;
    try {
      localStorage.setItem(storageKey(name), JSON.stringify(eventName.trim() === "hello" ? next : rest));
    } catch {
      // storage may be disabled
    }
    notify(`Event ${eventName.trim()} saved`);
  };
  const invoke = async () => {
    if (jsonProblem(body)) return;
    setBusy(true);
    setError(undefined);
    try {
      const out = await lambda().send(new InvokeCommand({ FunctionName: name, InvocationType: "RequestResponse", LogType: "Tail", Payload: new TextEncoder().encode(body) }));
      const log = out.LogResult ? decodeBase64(out.LogResult) : "";
      const report = /REPORT RequestId: (\S+)\s+Duration: ([\d.]+ ms)\s+Billed Duration: ([\d.]+ ms)(?:\s+Memory Size: \d+ MB\s+Max Memory Used: (\d+ MB))?/.exec(log);
      setResult({
        ok: !out.FunctionError,
        statusCode: out.StatusCode,
        functionError: out.FunctionError,
        payload: out.Payload ? pretty(new TextDecoder().decode(out.Payload)) : "",
        log,
        requestId: report?.[1] ?? out.$metadata.requestId,
        duration: report?.[2],
        billed: report?.[3],
        memoryUsed: report?.[4],
      });
    } catch (e) {
      setError(e);
      setResult(undefined);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Panel
        title="Test event"
        actions={
          <>
            <button type="button" className="btn" onClick={save} disabled={!eventName.trim() || !!jsonProblem(body)}>
              Save
            </button>
            <button type="button" className="btn btn-primary" onClick={invoke} disabled={busy || !!jsonProblem(body)}>
              {busy ? "Testing…" : "Test"}
            </button>
          </>
        }
      >
        <div style={{ display: "grid", gap: "0 16px", gridTemplateColumns: "repeat(auto-fit, minmax(200px, 1fr))" }}>
          <SelectField label="Saved events" value={events[eventName] !== undefined ? eventName : ""} onChange={choose} options={[...(events[eventName] === undefined ? [{ value: "", label: "(new event)" }] : []), ...Object.keys(events)]} />
          <TextField label="Event name" value={eventName} onChange={setEventName} autoComplete="off" />
        </div>
        <JsonEditor label="Event JSON" value={body} onChange={setBody} rows={10} />
      </Panel>
      <ErrorAlert error={error} />
      {result && (
        <Panel title="Execution result">
          <Alert kind={result.ok ? "success" : "error"} title={result.ok ? "Execution result: succeeded" : `Execution result: failed (${result.functionError})`} />
          <KeyValue
            columns={4}
            items={[
              ["Status code", String(result.statusCode ?? "-")],
              ["Duration", result.duration],
              ["Billed duration", result.billed],
              ["Max memory used", result.memoryUsed],
              ["Request ID", <code>{result.requestId}</code>],
            ]}
          />
          <h3>Response</h3>
          <pre className="code" aria-label="Response payload" style={preStyle}>
            {result.payload || "(empty)"}
          </pre>
          <h3>Log output</h3>
          <pre className="code" aria-label="Log output" style={preStyle}>
            {result.log || "(no log output)"}
          </pre>
        </Panel>
      )}
    </>
  );
}

export const preStyle = { background: "#f4f4f4", padding: 10, borderRadius: 6, overflow: "auto", maxHeight: 360, whiteSpace: "pre-wrap", wordBreak: "break-word" } as const;
