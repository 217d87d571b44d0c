/** An object's details: properties, checksums, user metadata, tags, versions, download, presigned link. */
import { useState } from "react";
import {
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectTaggingCommand,
  type HeadObjectCommandOutput,
} from "@aws-sdk/client-s3";
import { navigate } from "../../router.tsx";
import { ConfirmDialog, ErrorAlert, KeyValue, Modal, PageHeader, Panel, ResourceTable, SelectField, Spinner, StatusBadge, copyText, formatBytes, formatDate, notify, useAsync, useBreadcrumbs } from "../../ui/index.ts";
import { baseName, bucketClient, bucketPath, s3Uri, useSearch } from "./common.ts";
import { downloadObject, presignGet } from "./download.ts";
import { TagEditor } from "./tags.tsx";

const EXPIRIES = [
  { value: "300", label: "5 minutes" },
  { value: "3600", label: "1 hour" },
  { value: "43200", label: "12 hours" },
  { value: "86400", label: "1 day" },
  { value: "604800", label: "7 days (the maximum)" },
];

function ShareDialog({ bucket, objectKey, onClose }: { bucket: string; objectKey: string; onClose: () => void }) {
  const [expiry, setExpiry] = useState("3600");
  const [url, setUrl] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const create = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setUrl(await presignGet(bucket, objectKey, { expiresIn: Number(expiry) }));
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
  return (
    <Modal
      title="Share with a presigned URL"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void create()}>
            {busy ? "Creating presigned URL…" : "Create presigned URL"}
          </button>
        </>
      }
    >
      <p>Anyone with the URL can download this object until it expires, with your permissions.</p>
      <SelectField
        label="Time interval until the presigned URL expires"
        value={expiry}
        onChange={(v) => {
          setExpiry(v);
          setUrl(undefined);
        }}
        options={EXPIRIES}
      />
      {url && (
        <div className="field">
          <label htmlFor="presigned-url">Presigned URL</label>
          <textarea id="presigned-url" className="code" readOnly rows={4} value={url} onFocus={(e) => e.target.select()} />
          <div className="actions">
            <button type="button" className="btn" onClick={() => void copyText(url, "Presigned URL copied")}>
              Copy presigned URL
            </button>
          </div>
        </div>
      )}
      <ErrorAlert error={error} />
    </Modal>
  );
}

interface Version {
  VersionId: string;
  IsLatest: boolean;
  LastModified?: Date;
  Size?: number;
  deleteMarker: boolean;
}

function Versions({ bucket, objectKey, onChanged }: { bucket: string; objectKey: string; onChanged: () => void }) {
  const list = useAsync(async () => {
    const c = await bucketClient(bucket);
    const status = (await c.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status;
    if (!status) return undefined;
    const out: Version[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await c.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: objectKey, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
      for (const v of page.Versions ?? []) if (v.Key === objectKey) out.push({ VersionId: v.VersionId ?? "null", IsLatest: !!v.IsLatest, LastModified: v.LastModified, Size: v.Size, deleteMarker: false });
      for (const m of page.DeleteMarkers ?? []) if (m.Key === objectKey) out.push({ VersionId: m.VersionId ?? "null", IsLatest: !!m.IsLatest, LastModified: m.LastModified, deleteMarker: true });
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      versionMarker = page.NextVersionIdMarker;
    } while (keyMarker !== undefined && keyMarker <= objectKey);
    return out;
  }, [bucket, objectKey]);
  const [selected, setSelected] = useState<string[]>([]);
  const [confirm, setConfirm] = useState(false);
  if (!list.loading && !list.error && list.data === undefined) {
    return (
      <Panel title="Versions">
        <p className="muted">Versioning is not enabled on this bucket; enable it on the bucket's Properties tab to keep every version.</p>
      </Panel>
    );
  }
  const one = list.data?.find((v) => v.VersionId === selected[0]);
  return (
    <Panel
      title="Versions"
      actions={
        <>
          <button type="button" className="btn" disabled={!one || one.deleteMarker} onClick={() => one && downloadObject(bucket, objectKey, one.VersionId).catch((e: unknown) => notify(`Download failed: ${(e as Error).message}`, "error"))}>
            Download version
          </button>
          <button type="button" className="btn" disabled={!one} onClick={() => setConfirm(true)}>
            Delete version
          </button>
        </>
      }
    >
      <ResourceTable
        resourceName="versions"
        items={list.data}
        loading={list.loading}
        error={list.error}
        onRetry={list.reload}
        rowKey={(v) => v.VersionId}
        selection="single"
        selected={selected}
        onSelectionChange={setSelected}
        defaultSort={{ column: "LastModified", descending: true }}
        columns={[
          { id: "VersionId", header: "Version ID", cell: (v) => <span className="arn">{v.VersionId}</span> },
          { id: "kind", header: "Type", sortValue: (v) => (v.deleteMarker ? "Delete marker" : "Object"), cell: (v) => (v.deleteMarker ? <StatusBadge kind="warn">Delete marker</StatusBadge> : "Object") },
          { id: "IsLatest", header: "Current", sortValue: (v) => (v.IsLatest ? 1 : 0), cell: (v) => (v.IsLatest ? <StatusBadge kind="ok">Current version</StatusBadge> : "-") },
          { id: "LastModified", header: "Last modified", sortValue: (v) => v.LastModified?.getTime() ?? 0, cell: (v) => formatDate(v.LastModified) },
          { id: "Size", header: "Size", sortValue: (v) => v.Size ?? -1, cell: (v) => (v.deleteMarker ? "-" : formatBytes(v.Size)) },
        ]}
      />
      {confirm && one && (
        <ConfirmDialog
          title="Delete this version?"
          confirmLabel="Delete version"
          confirmText="permanently delete"
          onClose={() => setConfirm(false)}
          onConfirm={async () => {
            await (await bucketClient(bucket)).send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey, VersionId: one.VersionId }));
            notify(`Deleted version ${one.VersionId}`);
            setSelected([]);
            list.reload();
            onChanged();
          }}
        >
          <p>
            Version <span className="arn">{one.VersionId}</span> of <span className="arn">{objectKey}</span> is permanently deleted.
          </p>
        </ConfirmDialog>
      )}
    </Panel>
  );
}

function checksumOf(h: HeadObjectCommandOutput): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (h.ChecksumCRC32) out.push(["CRC32", h.ChecksumCRC32]);
  if (h.ChecksumCRC32C) out.push(["CRC32C", h.ChecksumCRC32C]);
  if (h.ChecksumCRC64NVME) out.push(["CRC64NVME", h.ChecksumCRC64NVME]);
  if (h.ChecksumSHA1) out.push(["SHA1", h.ChecksumSHA1]);
  if (h.ChecksumSHA256) out.push(["SHA256", h.ChecksumSHA256]);
  return out;
}

export function ObjectPage({ bucket }: { bucket: string }) {
  const key = useSearch().get("key") ?? "";
  const folder = key.includes("/") ? key.slice(0, key.lastIndexOf("/") + 1) : "";
  const parts = folder.split("/").filter(Boolean);
  useBreadcrumbs([
    { label: "Amazon S3", to: "s3" },
    { label: "Buckets", to: "s3" },
    { label: bucket, to: bucketPath(bucket) },
    ...parts.map((p, i) => ({ label: p, to: bucketPath(bucket, { prefix: parts.slice(0, i + 1).join("/") + "/" }) })),
    { label: baseName(key) || "Object" },
  ]);
  const head = useAsync(async () => (await bucketClient(bucket)).send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" })), [bucket, key]);
  const [dialog, setDialog] = useState<"share" | "delete" | undefined>();
  const h = head.data;
  const sums = h ? checksumOf(h) : [];
  const meta = Object.entries(h?.Metadata ?? {});
  return (
    <>
      <PageHeader
        title={baseName(key) || key}
        description={<span className="arn">{s3Uri(bucket, key)}</span>}
        actions={
          <>
            <button type="button" className="btn" onClick={() => void copyText(s3Uri(bucket, key), "S3 URI copied")}>
              Copy S3 URI
            </button>
            <button type="button" className="btn" disabled={!h} onClick={() => downloadObject(bucket, key).catch((e: unknown) => notify(`Download failed: ${(e as Error).message}`, "error"))}>
              Download
            </button>
            <button type="button" className="btn" disabled={!h} onClick={() => setDialog("share")}>
              Share with a presigned URL
            </button>
            <button type="button" className="btn" disabled={!h} onClick={() => setDialog("delete")}>
              Delete
            </button>
          </>
        }
      />
      {!key ? (
        <ErrorAlert error={new Error("No object key: open an object from its bucket's Objects tab.")} />
      ) : head.error ? (
        <ErrorAlert error={(head.error as { name?: string }).name === "NotFound" ? new Error(`There is no object ${key} in ${bucket} (it may have been deleted).`) : head.error} onRetry={head.reload} />
      ) : !h ? (
        <Spinner label="Loading object" />
      ) : (
        <>
          <Panel title="Object overview">
            <KeyValue
              items={[
                ["Size", `${formatBytes(h.ContentLength)} (${(h.ContentLength ?? 0).toLocaleString("en-US")} bytes)`],
                ["Type", h.ContentType],
                ["Last modified", formatDate(h.LastModified)],
                ["Entity tag (ETag)", <span className="arn">{h.ETag}</span>],
                ["Storage class", h.StorageClass ?? "STANDARD"],
                ["Server-side encryption", h.ServerSideEncryption === "aws:kms" ? `SSE-KMS${h.SSEKMSKeyId ? ` (${h.SSEKMSKeyId})` : ""}` : h.ServerSideEncryption === "AES256" ? "SSE-S3 (AES256)" : h.SSECustomerAlgorithm ? "SSE-C" : (h.ServerSideEncryption ?? "None")],
                ["Version ID", h.VersionId ? <span className="arn">{h.VersionId}</span> : "-"],
                ["Checksums", sums.length ? sums.map(([a, v]) => <div key={a}><span className="muted">{a}</span> <span className="arn">{v}</span></div>) : "-"],
                ["Object URL", <span className="arn">{`${location.origin}/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`}</span>],
              ]}
            />
          </Panel>
          <Panel title="Metadata">
            <KeyValue
              columns={2}
              items={[
                ["Content-Type", h.ContentType],
                ...(h.CacheControl ? ([["Cache-Control", h.CacheControl]] as Array<[string, string]>) : []),
                ...(h.ContentDisposition ? ([["Content-Disposition", h.ContentDisposition]] as Array<[string, string]>) : []),
                ...(h.ContentEncoding ? ([["Content-Encoding", h.ContentEncoding]] as Array<[string, string]>) : []),
                ...meta.map(([k, v]) => [`x-amz-meta-${k}`, v] as [string, string]),
              ]}
            />
            {meta.length === 0 && <p className="muted">No user-defined metadata.</p>}
          </Panel>
          <Panel title="Tags">
            <TagEditor
              what="object"
              deps={[bucket, key]}
              load={async () => (await (await bucketClient(bucket)).send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))).TagSet ?? []}
              save={async (tags) => {
                const c = await bucketClient(bucket);
                if (tags.length === 0) await c.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: key }));
                else await c.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet: tags } }));
              }}
            />
          </Panel>
          <Versions bucket={bucket} objectKey={key} onChanged={head.reload} />
        </>
      )}
      {dialog === "share" && <ShareDialog bucket={bucket} objectKey={key} onClose={() => setDialog(undefined)} />}
      {dialog === "delete" && (
        <ConfirmDialog
          title={`Delete ${baseName(key)}?`}
          confirmLabel="Delete object"
          confirmText="permanently delete"
          onClose={() => setDialog(undefined)}
          onConfirm={async () => {
            await (await bucketClient(bucket)).send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
            notify(`Deleted ${baseName(key)}`);
            navigate(bucketPath(bucket, { prefix: folder }));
          }}
        >
          <p>
            <span className="arn">{s3Uri(bucket, key)}</span> is deleted (in a versioned bucket, a delete marker hides it and older versions stay).
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
