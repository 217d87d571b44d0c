/** The Configuration tab: memory, timeout, description, environment variables; the function URL. */
import { useState, type FormEvent } from "react";
import {
  AddPermissionCommand,
  CreateFunctionUrlConfigCommand,
  DeleteFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  UpdateFunctionConfigurationCommand,
  type GetFunctionCommandOutput,
} from "@aws-sdk/client-lambda";
import { ConfirmDialog, ErrorAlert, KeyValue, notify, Panel, SelectField, Spinner, TextField, copyText, formatDate, useAsync } from "../../ui/index.ts";
import { lambda } from "./shared.ts";

const ENV_KEY = /^[a-zA-Z]\w*$/;

export function ConfigurationTab({ fn, reload }: { fn: GetFunctionCommandOutput; reload: () => void }) {
  return (
    <>
      <GeneralConfig key={fn.Configuration!.RevisionId} fn={fn} reload={reload} />
      <FunctionUrl name={fn.Configuration!.FunctionName!} />
    </>
  );
}

function GeneralConfig({ fn, reload }: { fn: GetFunctionCommandOutput; reload: () => void }) {
  const cfg = fn.Configuration!;
  const [memory, setMemory] = useState(String(cfg.MemorySize ?? 128));
  const [timeout, setTimeoutValue] = useState(String(cfg.Timeout ?? 3));
  const [description, setDescription] = useState(cfg.Description ?? "");
  const [env, setEnv] = useState<Array<{ k: string; v: string }>>(Object.entries(cfg.Environment?.Variables ?? {}).map(([k, v]) => ({ k, v })));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const errors = {
    memory: !/^\d+$/.test(memory) || +memory < 128 || +memory > 10240 ? "Between 128 and 10240 MB." : undefined,
    timeout: !/^\d+$/.test(timeout) || +timeout < 1 || +timeout > 900 ? "Between 1 and 900 seconds." : undefined,
    env: env.map((e, i) => (!ENV_KEY.test(e.k) ? "Start with a letter; letters, digits and underscores." : env.findIndex((x) => x.k === e.k) !== i ? "Duplicate key." : undefined)),
  };
  const invalid = !!errors.memory || !!errors.timeout || errors.env.some(Boolean);
  const save = async (ev: FormEvent) => {
    ev.preventDefault();
    if (invalid) return;
    setBusy(true);
    setError(undefined);
    try {
      await lambda().send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: cfg.FunctionName,
          MemorySize: +memory,
          Timeout: +timeout,
          Description: description,
          Environment: { Variables: Object.fromEntries(env.map((e) => [e.k, e.v])) },
        }),
      );
      notify(`Configuration of ${cfg.FunctionName} saved`);
      reload();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <form onSubmit={save} noValidate>
      <Panel
        title="General configuration"
        actions={
          <button type="submit" className="btn btn-primary" disabled={busy || invalid}>
            {busy ? "Saving…" : "Save"}
          </button>
        }
      >
        <div style={{ display: "grid", gap: "0 16px", gridTemplateColumns: "repeat(auto-fit, minmax(200px, 1fr))" }}>
          <TextField label="Memory (MB)" inputMode="numeric" value={memory} onChange={setMemory} error={errors.memory} />
          <TextField label="Timeout (seconds)" inputMode="numeric" value={timeout} onChange={setTimeoutValue} error={errors.timeout} />
          <TextField label="Description" value={description} onChange={setDescription} />
        </div>
        <fieldset>
          <legend>Environment variables</legend>
          {env.length === 0 && <p className="muted">No environment variables.</p>}
          {env.map((e, i) => (
            <div key={i} style={{ display: "grid", gap: "0 8px", gridTemplateColumns: "minmax(0, 1fr) minmax(0, 1fr) auto", alignItems: "start" }}>
              <TextField label={`Key ${i + 1}`} value={e.k} error={errors.env[i]} onChange={(k) => setEnv(env.map((x, j) => (j === i ? { ...x, k } : x)))} autoComplete="off" />
              <TextField label={`Value ${i + 1}`} value={e.v} onChange={(v) => setEnv(env.map((x, j) => (j === i ? { ...x, v } : x)))} autoComplete="off" />
              <button type="button" className="btn" style={{ marginTop: 22 }} aria-label={`Remove variable ${i + 1}`} onClick={() => setEnv(env.filter((_, j) => j !== i))}>
                Remove
              </button>
            </div>
          ))}
          <button type="button" className="btn" onClick={() => setEnv([...env, { k: "", v: "" }])}>
            Add environment variable
          </button>
        </fieldset>
        <ErrorAlert error={error} />
      </Panel>
    </form>
  );
}

async function getUrl(name: string) {
  try {
    return await lambda().send(new GetFunctionUrlConfigCommand({ FunctionName: name }));
  } catch (e) {
    if ((e as { name?: string }).name === "ResourceNotFoundException") return null;
    throw e;
  }
}

/** The same URL under this origin, for clients that do not resolve *.localhost. */
function pathForm(url: string): string {
  const id = /^https?:\/\/([a-z0-9]+)\.lambda-url\./.exec(url)?.[1];
  return id ? `${location.origin}/_nimbus/lambda-url/${id}/` : "-";
}

function FunctionUrl({ name }: { name: string }) {
  const url = useAsync(() => getUrl(name), [name]);
  const [auth, setAuth] = useState("NONE");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [deleting, setDeleting] = useState(false);
  const create = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await lambda().send(new CreateFunctionUrlConfigCommand({ FunctionName: name, AuthType: auth as "NONE" | "AWS_IAM" }));
      if (auth === "NONE") {
        // As the AWS console does: let anyone call the URL of a function whose URL takes no auth.
        try {
          await lambda().send(new AddPermissionCommand({ FunctionName: name, StatementId: "FunctionURLAllowPublicAccess", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE" }));
        } catch (e) {
          if ((e as { name?: string }).name !== "ResourceConflictException") throw e;
        }
      }
      notify(`Function URL created`);
      url.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Panel title="Function URL" actions={url.data ? <button type="button" className="btn" onClick={() => setDeleting(true)}>Delete URL</button> : undefined}>
      {url.error ? (
        <ErrorAlert error={url.error} onRetry={url.reload} />
      ) : url.data === undefined ? (
        <Spinner label="Loading function URL" />
      ) : url.data ? (
        <KeyValue
          items={[
            [
              "URL",
              <>
                <a href={url.data.FunctionUrl} target="_blank" rel="noreferrer" className="arn">
                  {url.data.FunctionUrl}
                </a>{" "}
                <button type="button" className="btn-link" onClick={() => copyText(url.data!.FunctionUrl!, "URL copied")}>
                  Copy
                </button>
              </>,
            ],
            ["Path form", <span className="arn">{pathForm(url.data.FunctionUrl!)}</span>],
            ["Auth type", url.data.AuthType],
            ["Created", formatDate(url.data.CreationTime)],
          ]}
        />
      ) : (
        <>
          <p className="muted">A dedicated HTTP endpoint for this function.</p>
          <div className="actions" style={{ alignItems: "flex-end" }}>
            <SelectField
              label="Auth type"
              value={auth}
              onChange={setAuth}
              options={[
                { value: "NONE", label: "NONE (public)" },
                { value: "AWS_IAM", label: "AWS_IAM" },
              ]}
            />
            <button type="button" className="btn" style={{ marginBottom: 14 }} disabled={busy} onClick={create}>
              {busy ? "Creating…" : "Create function URL"}
            </button>
          </div>
        </>
      )}
      <ErrorAlert error={error} />
      {deleting && (
        <ConfirmDialog
          title="Delete the function URL?"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await lambda().send(new DeleteFunctionUrlConfigCommand({ FunctionName: name }));
            notify("Function URL deleted");
            url.reload();
          }}
        >
          <p>Calls to the URL stop working.</p>
        </ConfirmDialog>
      )}
    </Panel>
  );
}
