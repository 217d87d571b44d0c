/**
 * Upload into a bucket's current prefix: a drop zone and a labelled file picker, the chosen files,
 * per-file progress bars, and a summary. Files go through `Upload` from @aws-sdk/lib-storage
 * (multipart above 8 MiB, 4 parts in flight) on a client whose XMLHttpRequest handler reports
 * upload progress.
 */
import { useRef, useState, type DragEvent } from "react";
import { flushSync } from "react-dom";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { credentialProvider } from "../../session.ts";
import { Link } from "../../router.tsx";
import { Alert, PageHeader, Panel, formatBytes, notify, useBreadcrumbs } from "../../ui/index.ts";
import { bucketPath, bucketRegion, objectPath, s3Uri, useSearch } from "./common.ts";
import { XhrHttpHandler } from "./xhr-handler.ts";

const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;

interface Item {
  id: number;
  file: File;
  key: string;
  loaded: number;
  state: "waiting" | "uploading" | "done" | "failed";
  error?: string;
}

const uploadClients = new Map<string, S3Client>();
function uploadClient(region: string): S3Client {
  let c = uploadClients.get(region);
  if (!c) {
    c = new S3Client({ region, endpoint: location.origin, credentials: credentialProvider, forcePathStyle: true, maxAttempts: 2, requestHandler: new XhrHttpHandler() as unknown as S3ClientConfig["requestHandler"] });
    uploadClients.set(region, c);
  }
  return c;
}

let nextId = 0;

/** Bytes sent, as a percentage; 100 only once S3 has answered (sent is not yet stored). */
function percent(it: Item): number {
  if (it.state === "done") return 100;
  return it.file.size ? Math.min(99, Math.floor((it.loaded / it.file.size) * 100)) : 0;
}

export function UploadPage({ bucket }: { bucket: string }) {
  const prefix = useSearch().get("prefix") ?? "";
  useBreadcrumbs([{ label: "Amazon S3", to: "s3" }, { label: "Buckets", to: "s3" }, { label: bucket, to: bucketPath(bucket, { prefix }) }, { label: "Upload" }]);
  const [items, setItems] = useState<Item[]>([]);
  const [dragging, setDragging] = useState(false);
  const [running, setRunning] = useState(false);
  const [finished, setFinished] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const add = (files: FileList | File[]) => {
    const list = Array.from(files);
    if (list.length === 0) return;
    setFinished(false);
    setItems((cur) => {
      const byKey = new Map(cur.map((i) => [i.key, i]));
      for (const f of list) byKey.set(prefix + f.name, { id: ++nextId, file: f, key: prefix + f.name, loaded: 0, state: "waiting" });
      return [...byKey.values()];
    });
  };
  const update = (id: number, patch: Partial<Item>) => setItems((cur) => cur.map((i) => (i.id === id ? { ...i, ...patch } : i)));

  const start = async () => {
    setRunning(true);
    setFinished(false);
    const todo = items.filter((i) => i.state !== "done");
    let region: string;
    try {
      region = await bucketRegion(bucket);
    } catch (e) {
      for (const it of todo) update(it.id, { state: "failed", error: (e as Error).message });
      setRunning(false);
      setFinished(true);
      return;
    }
    const c = uploadClient(region);
    let ok = 0;
    // Two files at a time; each large file sends up to four parts at once.
    const queue = [...todo];
    const worker = async () => {
      for (let it = queue.shift(); it; it = queue.shift()) {
        const cur = it;
        update(cur.id, { state: "uploading", loaded: 0, error: undefined });
        try {
          const up = new Upload({
            client: c,
            params: { Bucket: bucket, Key: cur.key, Body: cur.file, ContentType: cur.file.type || "application/octet-stream" },
            partSize: PART_SIZE,
            queueSize: QUEUE_SIZE,
          });
          // Rendered at once (not batched), so every progress event moves the bar.
          up.on("httpUploadProgress", (p) => flushSync(() => update(cur.id, { loaded: Math.min(p.loaded ?? 0, cur.file.size) })));
          await up.done();
          update(cur.id, { state: "done", loaded: cur.file.size });
          ok++;
        } catch (e) {
          update(cur.id, { state: "failed", error: (e as Error).message || String(e) });
        }
      }
    };
    await Promise.all([worker(), worker()]);
    setRunning(false);
    setFinished(true);
    if (ok === todo.length) notify(`Uploaded ${ok} file${ok === 1 ? "" : "s"}`);
    else notify(`${todo.length - ok} of ${todo.length} uploads failed`, "error");
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (!running) add(e.dataTransfer.files);
  };
  const done = items.filter((i) => i.state === "done");
  const failed = items.filter((i) => i.state === "failed");
  const total = items.reduce((n, i) => n + i.file.size, 0);

  return (
    <>
      <PageHeader title="Upload" description={<>Add files to <span className="arn">{s3Uri(bucket, prefix)}</span>. Files over 8 MB are sent in parts (multipart upload).</>} />
      <Panel title={`Files (${items.length})`} actions={items.length > 0 && !running ? <button type="button" className="btn" onClick={() => setItems([])}>Remove all</button> : undefined}>
        <div
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
          style={{ border: `2px dashed ${dragging ? "#0972d3" : "#7d8998"}`, background: dragging ? "#f2f8fd" : "transparent", borderRadius: 8, padding: "24px 12px", textAlign: "center", marginBottom: 14 }}
        >
          <p style={{ margin: "0 0 10px" }}>Drag and drop files here, or choose them:</p>
          <label htmlFor="s3-upload-files" style={{ fontWeight: 700, marginRight: 8 }}>
            Choose files
          </label>
          <input
            ref={input}
            id="s3-upload-files"
            type="file"
            multiple
            disabled={running}
            style={{ maxWidth: "100%" }}
            onChange={(e) => {
              add(e.target.files ?? []);
              e.target.value = "";
            }}
          />
        </div>
        {items.length === 0 ? (
          <p className="muted">No files chosen.</p>
        ) : (
          <div className="table-wrap">
            <table aria-label="Files to upload">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Size</th>
                  <th scope="col">Progress</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((it) => {
                  const pct = percent(it);
                  return (
                    <tr key={it.id}>
                      <td className="arn">{it.state === "done" ? <Link to={objectPath(bucket, it.key)}>{it.file.name}</Link> : it.file.name}</td>
                      <td>{it.file.type || "-"}</td>
                      <td>{formatBytes(it.file.size)}</td>
                      <td style={{ minWidth: 160 }}>
                        <progress className="progress" max={100} value={pct} aria-label={`Upload progress ${it.file.name}`} />
                        <span>
                          {pct}%{it.state === "done" ? " · Succeeded" : it.state === "failed" ? " · Failed" : it.state === "uploading" ? " · Uploading" : ""}
                        </span>
                        {it.error && <div className="field-error">{it.error}</div>}
                      </td>
                      <td>
                        <button type="button" className="btn" disabled={running} aria-label={`Remove ${it.file.name}`} onClick={() => setItems(items.filter((x) => x.id !== it.id))}>
                          Remove
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <p className="muted">
          {items.length} file{items.length === 1 ? "" : "s"}, {formatBytes(total)} in total.
        </p>
      </Panel>
      {finished && (
        <Alert kind={failed.length ? "error" : "success"} title="Upload summary">
          <span>
            Succeeded: {done.length} file{done.length === 1 ? "" : "s"} ({formatBytes(done.reduce((n, i) => n + i.file.size, 0))}). Failed: {failed.length} file{failed.length === 1 ? "" : "s"}.
          </span>
        </Alert>
      )}
      <div className="actions">
        <Link to={bucketPath(bucket, { prefix })} className="btn">
          {finished ? "Back to bucket" : "Cancel"}
        </Link>
        <button type="button" className="btn btn-primary" disabled={running || items.every((i) => i.state === "done")} onClick={() => void start()}>
          {running ? "Uploading…" : "Upload"}
        </button>
      </div>
    </>
  );
}
