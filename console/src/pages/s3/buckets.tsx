/** The bucket list (with delete and empty) and the create-bucket page. */
import { useState, type FormEvent } from "react";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketPolicyStatusCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type Bucket,
  type BucketLocationConstraint,
  type ObjectIdentifier,
  type ObjectOwnership,
  type S3Client,
} from "@aws-sdk/client-s3";
import { errorMessage, getRegion, regions } from "../../aws.ts";
import { Link, navigate } from "../../router.tsx";
import { Checkbox, ConfirmDialog, ErrorAlert, PageHeader, Panel, SelectField, StatusBadge, TextField, notify, formatDate, useAsync, useBreadcrumbs, ResourceTable, type Column } from "../../ui/index.ts";
import { bucketClient, bucketNameProblem, bucketPath, bucketRegion, isNotConfigured, rememberRegion, s3 } from "./common.ts";

interface BucketRow {
  name: string;
  region?: string;
  created?: Date;
}

async function listBuckets(): Promise<BucketRow[]> {
  const out = await s3("us-east-1").send(new ListBucketsCommand({}));
  return (out.Buckets ?? ([] as Bucket[])).map((b) => {
    if (b.BucketRegion) rememberRegion(b.Name!, b.BucketRegion);
    return { name: b.Name!, region: b.BucketRegion, created: b.CreationDate };
  });
}

function RegionCell({ row }: { row: BucketRow }) {
  const r = useAsync(async () => row.region ?? (await bucketRegion(row.name)), [row.name, row.region]);
  if (r.error) return <span className="muted">{errorMessage(r.error)}</span>;
  return <>{r.data ?? "…"}</>;
}

/** "Bucket and objects not public" / "Objects can be public" / "Public", as the AWS console sums it up. */
function AccessCell({ name }: { name: string }) {
  const r = useAsync(async () => {
    const c = await bucketClient(name);
    let blocked = false;
    try {
      const pab = (await c.send(new GetPublicAccessBlockCommand({ Bucket: name }))).PublicAccessBlockConfiguration;
      blocked = !!(pab?.BlockPublicAcls && pab.IgnorePublicAcls && pab.BlockPublicPolicy && pab.RestrictPublicBuckets);
    } catch (e) {
      if (!isNotConfigured(e, "NoSuchPublicAccessBlockConfiguration")) throw e;
    }
    if (blocked) return "private";
    try {
      const st = await c.send(new GetBucketPolicyStatusCommand({ Bucket: name }));
      if (st.PolicyStatus?.IsPublic) return "public";
    } catch (e) {
      if (!isNotConfigured(e, "NoSuchBucketPolicy", "NotImplemented")) throw e;
    }
    return "can";
  }, [name]);
  if (r.error) return <span className="muted">Insufficient permissions</span>;
  if (r.data === "public") return <StatusBadge kind="error">Public</StatusBadge>;
  if (r.data === "can") return <StatusBadge kind="warn">Objects can be public</StatusBadge>;
  if (r.data === "private") return <StatusBadge kind="neutral">Bucket and objects not public</StatusBadge>;
  return <>…</>;
}

/** Every object, version and delete marker in the bucket, deleted in batches of 1000. */
export async function emptyBucket(bucket: string, onProgress?: (deleted: number) => void): Promise<number> {
  const c = await bucketClient(bucket);
  let deleted = 0;
  const drop = async (ids: ObjectIdentifier[]) => {
    if (ids.length === 0) return;
    const out = await c.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: ids, Quiet: true } }));
    if (out.Errors?.length) throw new Error(`${out.Errors.length} objects could not be deleted: ${out.Errors[0]!.Key}: ${out.Errors[0]!.Message ?? out.Errors[0]!.Code}`);
    deleted += ids.length;
    onProgress?.(deleted);
  };
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  let versioned = true;
  try {
    do {
      const out = await c.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
      const ids = [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
      await drop(ids);
      if (!out.IsTruncated) break;
      keyMarker = out.NextKeyMarker;
      versionMarker = out.NextVersionIdMarker;
    } while (true);
  } catch (e) {
    if (!isNotConfigured(e, "NotImplemented")) throw e;
    versioned = false;
  }
  if (!versioned) {
    let token: string | undefined;
    do {
      const out = await c.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      await drop((out.Contents ?? []).map((o) => ({ Key: o.Key! })));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }
  return deleted;
}

export function BucketList() {
  useBreadcrumbs([{ label: "Amazon S3", to: "s3" }, { label: "Buckets" }]);
  const list = useAsync(listBuckets);
  const [selected, setSelected] = useState<string[]>([]);
  const [dialog, setDialog] = useState<"delete" | "empty" | undefined>();
  const one = selected[0];
  const columns: Column<BucketRow>[] = [
    { id: "name", header: "Name", cell: (b) => <Link to={bucketPath(b.name)}>{b.name}</Link> },
    { id: "region", header: "AWS Region", cell: (b) => <RegionCell row={b} />, sortValue: (b) => b.region ?? "" },
    { id: "access", header: "Access", cell: (b) => <AccessCell name={b.name} />, sortable: false },
    { id: "created", header: "Creation date", cell: (b) => formatDate(b.created), sortValue: (b) => b.created?.getTime() ?? 0 },
  ];
  return (
    <>
      <PageHeader
        title="Buckets"
        count={list.data?.length}
        description="Buckets are containers for objects stored in S3. The list is global: it shows the buckets of every region."
        actions={
          <>
            <button type="button" className="btn" onClick={list.reload}>
              Refresh
            </button>
            <button type="button" className="btn" disabled={!one} onClick={() => setDialog("empty")}>
              Empty
            </button>
            <button type="button" className="btn" disabled={!one} onClick={() => setDialog("delete")}>
              Delete
            </button>
            <Link to="s3/create-bucket" className="btn btn-primary">
              Create bucket
            </Link>
          </>
        }
      />
      <Panel>
      <ResourceTable
        resourceName="buckets"
        items={list.data}
        columns={columns}
        rowKey={(b) => b.name}
        loading={list.loading}
        error={list.error}
        onRetry={list.reload}
        selection="single"
        selected={selected}
        onSelectionChange={setSelected}
        defaultSort={{ column: "name" }}
        searchText={(b) => `${b.name} ${b.region ?? ""}`}
        empty={
          <div>
            <p>You have no buckets yet.</p>
            <Link to="s3/create-bucket" className="btn btn-primary">
              Create bucket
            </Link>
          </div>
        }
      />
      </Panel>
      {dialog === "delete" && one && (
        <ConfirmDialog
          title={`Delete bucket ${one}?`}
          confirmLabel="Delete bucket"
          confirmText={one}
          onClose={() => setDialog(undefined)}
          onConfirm={async () => {
            const c = await bucketClient(one);
            try {
              await c.send(new DeleteBucketCommand({ Bucket: one }));
            } catch (e) {
              if (isNotConfigured(e, "BucketNotEmpty")) throw new Error("This bucket is not empty. Empty it first (the Empty action deletes every object and version), then delete it.");
              throw e;
            }
            notify(`Deleted bucket ${one}`);
            setSelected([]);
            list.reload();
          }}
        >
          <p>Deleting a bucket cannot be undone. Only empty buckets can be deleted; use “Empty” first if it holds objects.</p>
        </ConfirmDialog>
      )}
      {dialog === "empty" && one && (
        <ConfirmDialog
          title={`Empty bucket ${one}?`}
          confirmLabel="Empty"
          confirmText="permanently delete"
          onClose={() => setDialog(undefined)}
          onConfirm={async () => {
            const n = await emptyBucket(one);
            notify(`Emptied bucket ${one}: ${n} objects and versions deleted`);
          }}
        >
          <p>Every object in the bucket, including all versions and delete markers, is deleted. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

const OWNERSHIP: Array<{ value: ObjectOwnership; label: string }> = [
  { value: "BucketOwnerEnforced", label: "ACLs disabled (bucket owner enforced, recommended)" },
  { value: "BucketOwnerPreferred", label: "ACLs enabled: bucket owner preferred" },
  { value: "ObjectWriter", label: "ACLs enabled: object writer" },
];

export function CreateBucket() {
  useBreadcrumbs([{ label: "Amazon S3", to: "s3" }, { label: "Buckets", to: "s3" }, { label: "Create bucket" }]);
  const [name, setName] = useState("");
  const [touched, setTouched] = useState(false);
  const [region, setRegion] = useState(getRegion());
  const [ownership, setOwnership] = useState<ObjectOwnership>("BucketOwnerEnforced");
  const [block, setBlock] = useState({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
  const [versioning, setVersioning] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const problem = bucketNameProblem(name);
  const allBlocked = Object.values(block).every(Boolean);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (problem) return;
    setBusy(true);
    setError(undefined);
    const c: S3Client = s3(region);
    try {
      await c.send(
        new CreateBucketCommand({
          Bucket: name,
          ObjectOwnership: ownership,
          CreateBucketConfiguration: region === "us-east-1" ? undefined : { LocationConstraint: region as BucketLocationConstraint },
        }),
      );
      rememberRegion(name, region);
      await c.send(new PutPublicAccessBlockCommand({ Bucket: name, PublicAccessBlockConfiguration: block }));
      await c.send(new PutBucketEncryptionCommand({ Bucket: name, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: true }] } }));
      if (versioning) await c.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: "Enabled" } }));
      notify(`Created bucket ${name}`);
      navigate(bucketPath(name));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const setAll = (v: boolean) => setBlock({ BlockPublicAcls: v, IgnorePublicAcls: v, BlockPublicPolicy: v, RestrictPublicBuckets: v });
  return (
    <>
      <PageHeader title="Create bucket" description="Buckets are containers for data stored in S3." />
      <form onSubmit={submit} noValidate>
        <Panel title="General configuration">
          <SelectField label="AWS Region" value={region} onChange={setRegion} options={[...regions]} />
          <TextField
            label="Bucket name"
            value={name}
            onChange={(v) => {
              setName(v);
              setTouched(true);
            }}
            error={touched ? problem : undefined}
            hint="3 to 63 characters: lowercase letters, numbers, dots and hyphens; unique within this Nimbus."
            autoComplete="off"
            spellCheck={false}
            required
          />
        </Panel>
        <Panel title="Object Ownership">
          <SelectField label="Object Ownership" value={ownership} onChange={(v) => setOwnership(v as ObjectOwnership)} options={OWNERSHIP} hint="Whether ACLs are used, and who owns objects other accounts write." />
        </Panel>
        <Panel title="Block Public Access settings for this bucket">
          <Checkbox label="Block all public access" checked={allBlocked} onChange={setAll} />
          <fieldset>
            <legend>Individual settings</legend>
            <Checkbox label="Block public access granted through new ACLs" checked={block.BlockPublicAcls} onChange={(v) => setBlock({ ...block, BlockPublicAcls: v })} />
            <Checkbox label="Block public access granted through any ACLs" checked={block.IgnorePublicAcls} onChange={(v) => setBlock({ ...block, IgnorePublicAcls: v })} />
            <Checkbox label="Block public access granted through new public bucket policies" checked={block.BlockPublicPolicy} onChange={(v) => setBlock({ ...block, BlockPublicPolicy: v })} />
            <Checkbox label="Block public and cross-account access through any public bucket policies" checked={block.RestrictPublicBuckets} onChange={(v) => setBlock({ ...block, RestrictPublicBuckets: v })} />
          </fieldset>
        </Panel>
        <Panel title="Bucket Versioning">
          <Checkbox label="Enable versioning" checked={versioning} onChange={setVersioning} hint="Keep every version of every object, so overwritten and deleted objects can be recovered." />
        </Panel>
        <Panel title="Default encryption">
          <p>
            Server-side encryption with Amazon S3 managed keys (SSE-S3). Every new object is encrypted at rest; change it later on the bucket's Properties tab.
          </p>
        </Panel>
        <ErrorAlert error={error} />
        <div className="actions">
          <Link to="s3" className="btn">
            Cancel
          </Link>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? "Creating bucket…" : "Create bucket"}
          </button>
        </div>
      </form>
    </>
  );
}
