/** The Objects tab: folders (prefixes with "/"), paging by continuation token, create folder, delete, download. */
import { useEffect, useState } from "react";
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, type ObjectIdentifier } from "@aws-sdk/client-s3";
import { Link, navigate } from "../../router.tsx";
import { ConfirmDialog, ErrorAlert, Modal, Panel, ResourceTable, TextField, copyText, formatBytes, formatDate, notify, type Column } from "../../ui/index.ts";
import { baseName, bucketClient, bucketPath, objectPath, s3Uri, uploadPath } from "./common.ts";
import { downloadObject } from "./download.ts";

interface Row {
  key: string;
  folder: boolean;
  size?: number;
  modified?: Date;
  storageClass?: string;
}

const PAGE = 1000;

async function listPage(bucket: string, prefix: string, token?: string): Promise<{ rows: Row[]; next?: string }> {
  const c = await bucketClient(bucket);
  const out = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, Delimiter: "/", ContinuationToken: token, MaxKeys: PAGE }));
  const rows: Row[] = [
    ...(out.CommonPrefixes ?? []).map((p) => ({ key: p.Prefix!, folder: true })),
    ...(out.Contents ?? []).filter((o) => o.Key !== prefix).map((o) => ({ key: o.Key!, folder: false, size: o.Size, modified: o.LastModified, storageClass: o.StorageClass ?? "STANDARD" })),
  ];
  return { rows, next: out.IsTruncated ? out.NextContinuationToken : undefined };
}

/** Every key under `prefix` (for deleting a folder). */
async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
  const c = await bucketClient(bucket);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of out.Contents ?? []) keys.push(o.Key!);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function deleteKeys(bucket: string, keys: string[]): Promise<void> {
  const c = await bucketClient(bucket);
  for (let i = 0; i < keys.length; i += 1000) {
    const batch: ObjectIdentifier[] = keys.slice(i, i + 1000).map((Key) => ({ Key }));
    const out = await c.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
    if (out.Errors?.length) throw new Error(`Could not delete ${out.Errors.length} objects (${out.Errors[0]!.Key}: ${out.Errors[0]!.Message ?? out.Errors[0]!.Code})`);
  }
}

/** The prefix as links: bucket / a / b /. */
function PrefixTrail({ bucket, prefix }: { bucket: string; prefix: string }) {
  const parts = prefix.split("/").filter(Boolean);
  return (
    <nav aria-label="Folder path" className="breadcrumbs" style={{ padding: 0, margin: "4px 0 10px" }}>
      <ol>
        <li>{parts.length ? <Link to={bucketPath(bucket)}>{bucket}</Link> : <span aria-current="location">{bucket}</span>}</li>
        {parts.map((p, i) => {
          const to = parts.slice(0, i + 1).join("/") + "/";
          return <li key={to}>{i === parts.length - 1 ? <span aria-current="location">{p}</span> : <Link to={bucketPath(bucket, { prefix: to })}>{p}</Link>}</li>;
        })}
      </ol>
    </nav>
  );
}

function CreateFolder({ bucket, prefix, onClose, onCreated }: { bucket: string; prefix: string; onClose: () => void; onCreated: () => void }) {
  const [name, setName] = useState("");
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const problem = name.trim() === "" ? "Enter a folder name." : name.includes("/") ? "Folder names cannot contain “/”." : undefined;
  const submit = async () => {
    setTouched(true);
    if (problem) return;
    setBusy(true);
    setError(undefined);
    try {
      const c = await bucketClient(bucket);
      await c.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${name}/`, Body: "" }));
      notify(`Created folder ${name}`);
      onCreated();
      onClose();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Modal
      title="Create folder"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="create-folder" className="btn btn-primary" disabled={busy}>
            {busy ? "Creating folder…" : "Create folder"}
          </button>
        </>
      }
    >
      <form
        id="create-folder"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
        noValidate
      >
        <TextField label="Folder name" value={name} onChange={setName} error={touched ? problem : undefined} hint={`Created in ${s3Uri(bucket, prefix)}`} autoComplete="off" />
      </form>
      <ErrorAlert error={error} />
    </Modal>
  );
}

export function ObjectsTab({ bucket, prefix }: { bucket: string; prefix: string }) {
  const [rows, setRows] = useState<Row[] | undefined>();
  const [next, setNext] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const [tick, setTick] = useState(0);
  const [selected, setSelected] = useState<string[]>([]);
  const [dialog, setDialog] = useState<"folder" | "delete" | undefined>();
  const reload = () => setTick((t) => t + 1);

  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(undefined);
    setSelected([]);
    listPage(bucket, prefix).then(
      (p) => {
        if (!live) return;
        setRows(p.rows);
        setNext(p.next);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        setRows(undefined);
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [bucket, prefix, tick]);

  const loadMore = async () => {
    if (!next) return;
    setLoading(true);
    try {
      const p = await listPage(bucket, prefix, next);
      setRows((r) => [...(r ?? []), ...p.rows]);
      setNext(p.next);
    } catch (e) {
      notify(`Could not load more objects: ${(e as Error).message}`, "error");
    }
    setLoading(false);
  };

  const one = selected.length === 1 ? rows?.find((r) => r.key === selected[0]) : undefined;
  const columns: Column<Row>[] = [
    {
      id: "name",
      header: "Name",
      sortValue: (r) => `${r.folder ? 0 : 1}${baseName(r.key)}`,
      cell: (r) =>
        r.folder ? (
          <Link to={bucketPath(bucket, { prefix: r.key })}>
            <span aria-hidden="true">📁 </span>
            {baseName(r.key)}
          </Link>
        ) : (
          <Link to={objectPath(bucket, r.key)}>{baseName(r.key)}</Link>
        ),
    },
    { id: "type", header: "Type", sortValue: (r) => (r.folder ? "Folder" : (/\.([A-Za-z0-9]+)$/.exec(r.key)?.[1] ?? "").toLowerCase()), cell: (r) => (r.folder ? "Folder" : (/\.([A-Za-z0-9]+)$/.exec(r.key)?.[1] ?? "-").toLowerCase()) },
    { id: "modified", header: "Last modified", sortValue: (r) => r.modified?.getTime() ?? 0, cell: (r) => (r.folder ? "-" : formatDate(r.modified)) },
    { id: "size", header: "Size", sortValue: (r) => r.size ?? -1, cell: (r) => (r.folder ? "-" : formatBytes(r.size)) },
    { id: "storageClass", header: "Storage class", cell: (r) => (r.folder ? "-" : (r.storageClass ?? "-")) },
  ];

  return (
    <>
      <Panel>
      <PrefixTrail bucket={bucket} prefix={prefix} />
      <div className="actions" style={{ flexWrap: "wrap", marginBottom: 10 }}>
        <button type="button" className="btn" onClick={reload}>
          Refresh
        </button>
        <button type="button" className="btn" disabled={selected.length > 1} onClick={() => void copyText(s3Uri(bucket, one ? one.key : prefix), "S3 URI copied")}>
          Copy S3 URI
        </button>
        <button
          type="button"
          className="btn"
          disabled={!one || one.folder}
          onClick={() => one && downloadObject(bucket, one.key).catch((e: unknown) => notify(`Download failed: ${(e as Error).message}`, "error"))}
        >
          Download
        </button>
        <button type="button" className="btn" disabled={selected.length === 0} onClick={() => setDialog("delete")}>
          Delete
        </button>
        <button type="button" className="btn" onClick={() => setDialog("folder")}>
          Create folder
        </button>
        <button type="button" className="btn btn-primary" onClick={() => navigate(uploadPath(bucket, prefix))}>
          Upload
        </button>
      </div>
      <ResourceTable
        resourceName="objects"
        items={rows}
        columns={columns}
        rowKey={(r) => r.key}
        loading={loading}
        error={error}
        onRetry={reload}
        selection="multi"
        selected={selected}
        onSelectionChange={setSelected}
        pageSize={50}
        defaultSort={{ column: "name" }}
        searchText={(r) => baseName(r.key)}
        empty={
          <div>
            <p>No objects {prefix ? "in this folder" : "in this bucket"}.</p>
            <button type="button" className="btn btn-primary" onClick={() => navigate(uploadPath(bucket, prefix))}>
              Upload
            </button>
          </div>
        }
      />
      {next && (
        <p>
          <button type="button" className="btn" disabled={loading} onClick={() => void loadMore()}>
            Load more objects
          </button>{" "}
          <span className="muted">More than {rows?.length ?? 0} objects here; the next page is fetched with its continuation token.</span>
        </p>
      )}
      </Panel>
      {dialog === "folder" && <CreateFolder bucket={bucket} prefix={prefix} onClose={() => setDialog(undefined)} onCreated={reload} />}
      {dialog === "delete" && (
        <ConfirmDialog
          title={`Delete ${selected.length === 1 ? baseName(selected[0]!) : `${selected.length} items`}?`}
          confirmLabel="Delete objects"
          confirmText="permanently delete"
          onClose={() => setDialog(undefined)}
          onConfirm={async () => {
            const keys: string[] = [];
            for (const k of selected) {
              if (k.endsWith("/")) keys.push(...(await keysUnder(bucket, k)));
              else keys.push(k);
            }
            await deleteKeys(bucket, [...new Set(keys)]);
            notify(`Deleted ${keys.length} object${keys.length === 1 ? "" : "s"}`);
            reload();
          }}
        >
          <p>These are deleted (in a versioned bucket, a delete marker hides each; older versions stay):</p>
          <ul style={{ maxHeight: 160, overflow: "auto" }}>
            {selected.map((k) => (
              <li key={k} className="arn">
                {k.endsWith("/") ? `${k} (folder: every object in it)` : k}
              </li>
            ))}
          </ul>
        </ConfirmDialog>
      )}
    </>
  );
}
