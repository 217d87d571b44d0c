/** A key/value tag editor, used for bucket and object tags. */
import { useEffect, useState } from "react";
import type { Tag } from "@aws-sdk/client-s3";
import { ErrorAlert, Spinner, TextField, notify, useAsync } from "../../ui/index.ts";

export function TagEditor({ load, save, what, deps }: { load: () => Promise<Tag[]>; save: (tags: Tag[]) => Promise<void>; what: string; deps: readonly unknown[] }) {
  const tags = useAsync(load, deps);
  const [rows, setRows] = useState<Tag[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (tags.data) setRows(tags.data.map((t) => ({ ...t })));
  }, [tags.data]);
  if (tags.error) return <ErrorAlert error={tags.error} onRetry={tags.reload} />;
  if (!tags.data) return <Spinner label="Loading tags" />;
  const keys = rows.map((r) => r.Key ?? "");
  const problems = rows.map((r, i) => (!r.Key ? "Enter a key." : r.Key.length > 128 ? "Keys are at most 128 characters." : keys.indexOf(r.Key) !== i ? "Keys must be unique." : (r.Value ?? "").length > 256 ? "Values are at most 256 characters." : undefined));
  const set = (i: number, t: Tag) => setRows(rows.map((r, j) => (j === i ? t : r)));
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        if (problems.some(Boolean)) return;
        setBusy(true);
        setError(undefined);
        try {
          await save(rows);
          notify(`Saved ${what} tags`);
          tags.reload();
        } catch (err) {
          setError(err);
        }
        setBusy(false);
      }}
      noValidate
    >
      {rows.length === 0 && <p className="muted">No tags.</p>}
      {rows.map((r, i) => (
        <div key={i} style={{ display: "flex", gap: 8, flexWrap: "wrap", alignItems: "flex-end" }}>
          <div style={{ flex: "1 1 160px" }}>
            <TextField label={`Tag ${i + 1} key`} value={r.Key ?? ""} onChange={(v) => set(i, { ...r, Key: v })} error={problems[i]} autoComplete="off" />
          </div>
          <div style={{ flex: "1 1 160px" }}>
            <TextField label={`Tag ${i + 1} value`} value={r.Value ?? ""} onChange={(v) => set(i, { ...r, Value: v })} autoComplete="off" />
          </div>
          <button type="button" className="btn" style={{ marginBottom: 14 }} onClick={() => setRows(rows.filter((_, j) => j !== i))} aria-label={`Remove tag ${i + 1}`}>
            Remove
          </button>
        </div>
      ))}
      <ErrorAlert error={error} />
      <div className="actions">
        <button type="button" className="btn" disabled={rows.length >= 50} onClick={() => setRows([...rows, { Key: "", Value: "" }])}>
          Add tag
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Saving tags…" : "Save tags"}
        </button>
      </div>
    </form>
  );
}
