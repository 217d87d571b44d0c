/** The Code tab: single-file packages are edited here and deployed with UpdateFunctionCode; any package can be replaced by a .zip. */
import { useState } from "react";
import { UpdateFunctionCodeCommand, type GetFunctionCommandOutput } from "@aws-sdk/client-lambda";
import { ErrorAlert, Field, formatBytes, notify, Panel, Spinner, useAsync } from "../../ui/index.ts";
import { lambda, readFileBytes } from "./shared.ts";
import { unzip, zipStore, type ZipEntry } from "./zip.ts";

/** The package's files, fetched from Code.Location (a Nimbus URL; fetched same-origin). */
async function packageFiles(location: string | undefined): Promise<ZipEntry[]> {
  if (!location) return [];
  const u = new URL(location, window.location.href);
  const res = await fetch(window.location.origin + u.pathname + u.search);
  if (!res.ok) throw new Error(`Could not download the package (HTTP ${res.status})`);
  return unzip(new Uint8Array(await res.arrayBuffer()));
}

export function CodeTab({ fn, reload }: { fn: GetFunctionCommandOutput; reload: () => void }) {
  const name = fn.Configuration!.FunctionName!;
  const files = useAsync(() => packageFiles(fn.Code?.Location), [fn.Configuration?.CodeSha256]);
  const single = files.data?.length === 1 ? files.data[0]! : undefined;
  return (
    <>
      {files.error ? (
        <ErrorAlert error={files.error} onRetry={files.reload} />
      ) : !files.data ? (
        <Spinner label="Loading code" />
      ) : single ? (
        <InlineEditor key={fn.Configuration!.CodeSha256} name={name} file={single} reload={reload} />
      ) : (
        <Panel title="Package">
          <p>This package has {files.data.length} files, so it is not edited here. Upload a new .zip to replace it.</p>
          <ul>
            {files.data.slice(0, 50).map((f) => (
              <li key={f.name}>
                <code>{f.name}</code> <span className="muted">{formatBytes(f.data.length)}</span>
              </li>
            ))}
          </ul>
        </Panel>
      )}
      <ZipUpload name={name} reload={reload} />
    </>
  );
}

function InlineEditor({ name, file, reload }: { name: string; file: ZipEntry; reload: () => void }) {
  const original = new TextDecoder().decode(file.data);
  const [code, setCode] = useState(original);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const deploy = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const ZipFile = zipStore([{ name: file.name, data: new TextEncoder().encode(code), mode: file.mode }]);
      await lambda().send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile }));
      notify(`Deployed ${name}`);
      reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Panel
      title="Code source"
      actions={
        <button type="button" className="btn btn-primary" onClick={deploy} disabled={busy || code === original}>
          {busy ? "Deploying…" : "Deploy"}
        </button>
      }
    >
      <Field label={`Source (${file.name})`} hint={code === original ? "Deployed." : "Changed: deploy to update the function."}>
        {(id, d) => <textarea id={id} aria-describedby={d} className="code" rows={18} spellCheck={false} value={code} onChange={(e) => setCode(e.target.value)} />}
      </Field>
      <ErrorAlert error={error} />
    </Panel>
  );
}

function ZipUpload({ name, reload }: { name: string; reload: () => void }) {
  const [zip, setZip] = useState<File | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const upload = async () => {
    if (!zip) return;
    setBusy(true);
    setError(undefined);
    try {
      await lambda().send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: await readFileBytes(zip) }));
      notify(`Uploaded ${zip.name} to ${name}`);
      reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Panel title="Upload a .zip">
      <div className="actions" style={{ alignItems: "flex-end" }}>
        <Field label=".zip package">{(id) => <input id={id} type="file" accept=".zip,application/zip" onChange={(e) => setZip(e.target.files?.[0])} />}</Field>
        <button type="button" className="btn" disabled={!zip || busy} onClick={upload} style={{ marginBottom: 14 }}>
          {busy ? "Uploading…" : "Upload"}
        </button>
      </div>
      <ErrorAlert error={error} />
    </Panel>
  );
}
