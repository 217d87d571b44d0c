/** The Properties tab: overview, versioning, tags, default encryption, static website hosting. */
import { useEffect, useState } from "react";
import {
  DeleteBucketTaggingCommand,
  DeleteBucketWebsiteCommand,
  GetBucketEncryptionCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetBucketWebsiteCommand,
  PutBucketEncryptionCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutBucketWebsiteCommand,
  type ServerSideEncryption,
} from "@aws-sdk/client-s3";
import { ErrorAlert, KeyValue, Panel, SelectField, Spinner, StatusBadge, TextField, copyText, notify, useAsync } from "../../ui/index.ts";
import { bucketClient, bucketRegion, isNotConfigured, s3Uri, websiteEndpoints } from "./common.ts";
import { TagEditor } from "./tags.tsx";

function Versioning({ bucket }: { bucket: string }) {
  const v = useAsync(async () => (await (await bucketClient(bucket)).send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status ?? "Disabled", [bucket]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const set = async (Status: "Enabled" | "Suspended") => {
    setBusy(true);
    setError(undefined);
    try {
      await (await bucketClient(bucket)).send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status } }));
      notify(Status === "Enabled" ? "Versioning enabled" : "Versioning suspended");
      v.reload();
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
  const on = v.data === "Enabled";
  return (
    <Panel
      title="Bucket Versioning"
      actions={
        v.data && (
          <button type="button" className="btn" disabled={busy} onClick={() => void set(on ? "Suspended" : "Enabled")}>
            {on ? "Suspend versioning" : "Enable versioning"}
          </button>
        )
      }
    >
      {v.error ? <ErrorAlert error={v.error} onRetry={v.reload} /> : !v.data ? <Spinner label="Loading versioning" /> : <KeyValue columns={1} items={[["Bucket Versioning", <StatusBadge kind={on ? "ok" : "neutral"}>{v.data}</StatusBadge>]]} />}
      <ErrorAlert error={error} />
    </Panel>
  );
}

function Encryption({ bucket }: { bucket: string }) {
  const enc = useAsync(async () => {
    try {
      const out = await (await bucketClient(bucket)).send(new GetBucketEncryptionCommand({ Bucket: bucket }));
      const rule = out.ServerSideEncryptionConfiguration?.Rules?.[0];
      return { algorithm: rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm ?? "AES256", key: rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID, bucketKey: rule?.BucketKeyEnabled };
    } catch (e) {
      if (isNotConfigured(e, "ServerSideEncryptionConfigurationNotFoundError")) return { algorithm: "AES256" as string, key: undefined, bucketKey: undefined };
      throw e;
    }
  }, [bucket]);
  const [editing, setEditing] = useState(false);
  const [algorithm, setAlgorithm] = useState("AES256");
  const [kmsKey, setKmsKey] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const label = (a: string) => (a === "AES256" ? "Server-side encryption with Amazon S3 managed keys (SSE-S3)" : a === "aws:kms" ? "Server-side encryption with AWS KMS keys (SSE-KMS)" : a);
  return (
    <Panel
      title="Default encryption"
      actions={
        enc.data &&
        !editing && (
          <button
            type="button"
            className="btn"
            onClick={() => {
              setAlgorithm(enc.data!.algorithm);
              setKmsKey(enc.data!.key ?? "");
              setEditing(true);
            }}
          >
            Edit encryption
          </button>
        )
      }
    >
      {enc.error ? (
        <ErrorAlert error={enc.error} onRetry={enc.reload} />
      ) : !enc.data ? (
        <Spinner label="Loading encryption" />
      ) : editing ? (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            setError(undefined);
            try {
              await (await bucketClient(bucket)).send(
                new PutBucketEncryptionCommand({
                  Bucket: bucket,
                  ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: algorithm as ServerSideEncryption, KMSMasterKeyID: algorithm === "aws:kms" && kmsKey ? kmsKey : undefined }, BucketKeyEnabled: true }] },
                }),
              );
              notify("Saved default encryption");
              setEditing(false);
              enc.reload();
            } catch (err) {
              setError(err);
            }
            setBusy(false);
          }}
        >
          <SelectField label="Encryption type" value={algorithm} onChange={setAlgorithm} options={[{ value: "AES256", label: label("AES256") }, { value: "aws:kms", label: label("aws:kms") }]} />
          {algorithm === "aws:kms" && <TextField label="AWS KMS key ARN (optional)" value={kmsKey} onChange={setKmsKey} hint="Empty: the AWS managed key aws/s3." />}
          <ErrorAlert error={error} />
          <div className="actions">
            <button type="button" className="btn" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? "Saving…" : "Save encryption"}
            </button>
          </div>
        </form>
      ) : (
        <KeyValue
          columns={2}
          items={[
            ["Encryption type", label(enc.data.algorithm)],
            ["Bucket Key", enc.data.bucketKey ? "Enabled" : "Disabled"],
            ...(enc.data.key ? ([["AWS KMS key", <span className="arn">{enc.data.key}</span>]] as Array<[string, React.ReactNode]>) : []),
          ]}
        />
      )}
    </Panel>
  );
}

function Website({ bucket }: { bucket: string }) {
  const site = useAsync(async () => {
    try {
      const out = await (await bucketClient(bucket)).send(new GetBucketWebsiteCommand({ Bucket: bucket }));
      return { enabled: true, index: out.IndexDocument?.Suffix ?? "", error: out.ErrorDocument?.Key ?? "", redirect: out.RedirectAllRequestsTo?.HostName };
    } catch (e) {
      if (isNotConfigured(e, "NoSuchWebsiteConfiguration")) return { enabled: false, index: "", error: "", redirect: undefined };
      throw e;
    }
  }, [bucket]);
  const [editing, setEditing] = useState(false);
  const [enabled, setEnabled] = useState(false);
  const [index, setIndex] = useState("index.html");
  const [errorDoc, setErrorDoc] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (site.data) {
      setEnabled(site.data.enabled);
      setIndex(site.data.index || "index.html");
      setErrorDoc(site.data.error);
    }
  }, [site.data]);
  const ends = websiteEndpoints(bucket);
  const indexProblem = enabled && !index ? "Enter an index document, such as index.html." : enabled && index.includes("/") ? "The index document cannot contain “/”." : undefined;
  return (
    <Panel
      title="Static website hosting"
      actions={
        site.data &&
        !editing && (
          <button type="button" className="btn" onClick={() => setEditing(true)}>
            Edit static website hosting
          </button>
        )
      }
    >
      {site.error ? (
        <ErrorAlert error={site.error} onRetry={site.reload} />
      ) : !site.data ? (
        <Spinner label="Loading website hosting" />
      ) : editing ? (
        <form
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            if (indexProblem) return;
            setBusy(true);
            setError(undefined);
            try {
              const c = await bucketClient(bucket);
              if (enabled) await c.send(new PutBucketWebsiteCommand({ Bucket: bucket, WebsiteConfiguration: { IndexDocument: { Suffix: index }, ErrorDocument: errorDoc ? { Key: errorDoc } : undefined } }));
              else await c.send(new DeleteBucketWebsiteCommand({ Bucket: bucket }));
              notify(enabled ? "Static website hosting enabled" : "Static website hosting disabled");
              setEditing(false);
              site.reload();
            } catch (err) {
              setError(err);
            }
            setBusy(false);
          }}
        >
          <fieldset>
            <legend>Static website hosting</legend>
            <div className="checkbox">
              <input id="website-disable" type="radio" name="website" checked={!enabled} onChange={() => setEnabled(false)} />
              <label htmlFor="website-disable">Disable</label>
            </div>
            <div className="checkbox">
              <input id="website-enable" type="radio" name="website" checked={enabled} onChange={() => setEnabled(true)} />
              <label htmlFor="website-enable">Enable</label>
            </div>
          </fieldset>
          {enabled && (
            <>
              <TextField label="Index document" value={index} onChange={setIndex} error={indexProblem} hint="The default page of the site and of every folder." />
              <TextField label="Error document (optional)" value={errorDoc} onChange={setErrorDoc} hint="Returned when an error occurs, such as error.html." />
              <p className="muted">Objects must be publicly readable (a bucket policy allowing s3:GetObject, with Block Public Access off) for anonymous visitors.</p>
            </>
          )}
          <ErrorAlert error={error} />
          <div className="actions">
            <button type="button" className="btn" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? "Saving…" : "Save website hosting"}
            </button>
          </div>
        </form>
      ) : site.data.enabled ? (
        <KeyValue
          columns={1}
          items={[
            ["Static website hosting", <StatusBadge kind="ok">Enabled</StatusBadge>],
            ["Index document", site.data.index || (site.data.redirect ? `Redirects every request to ${site.data.redirect}` : "-")],
            ["Error document", site.data.error || "-"],
            [
              "Bucket website endpoint",
              <>
                <a href={ends.path} className="arn">
                  {ends.path}
                </a>
                <br />
                <span className="muted">Also </span>
                <span className="arn">{ends.host}</span>
              </>,
            ],
          ]}
        />
      ) : (
        <KeyValue columns={1} items={[["Static website hosting", <StatusBadge kind="neutral">Disabled</StatusBadge>]]} />
      )}
    </Panel>
  );
}

export function PropertiesTab({ bucket }: { bucket: string }) {
  const region = useAsync(() => bucketRegion(bucket), [bucket]);
  return (
    <>
      <Panel
        title="Bucket overview"
        actions={
          <button type="button" className="btn" onClick={() => void copyText(`arn:aws:s3:::${bucket}`, "ARN copied")}>
            Copy ARN
          </button>
        }
      >
        <KeyValue
          items={[
            ["AWS Region", region.data ?? (region.error ? "Unknown" : "…")],
            ["Amazon Resource Name (ARN)", <span className="arn">arn:aws:s3:::{bucket}</span>],
            ["S3 URI", <span className="arn">{s3Uri(bucket)}</span>],
          ]}
        />
      </Panel>
      <Versioning bucket={bucket} />
      <Panel title="Tags">
        <TagEditor
          what="bucket"
          deps={[bucket]}
          load={async () => {
            try {
              return (await (await bucketClient(bucket)).send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet ?? [];
            } catch (e) {
              if (isNotConfigured(e, "NoSuchTagSet", "NoSuchTagSetError")) return [];
              throw e;
            }
          }}
          save={async (tags) => {
            const c = await bucketClient(bucket);
            if (tags.length === 0) await c.send(new DeleteBucketTaggingCommand({ Bucket: bucket }));
            else await c.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: tags } }));
          }}
        />
      </Panel>
      <Encryption bucket={bucket} />
      <Website bucket={bucket} />
    </>
  );
}
