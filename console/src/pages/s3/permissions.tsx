/** The Permissions tab (Block Public Access, bucket policy, CORS) and the Management tab (lifecycle rules). */
import { useEffect, useState } from "react";
import {
  DeleteBucketCorsCommand,
  DeleteBucketPolicyCommand,
  GetBucketCorsCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  PutBucketCorsCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  type CORSRule,
  type LifecycleRule,
  type PublicAccessBlockConfiguration,
} from "@aws-sdk/client-s3";
import { errorMessage } from "../../aws.ts";
import { Checkbox, ErrorAlert, JsonEditor, KeyValue, Panel, ResourceTable, Spinner, StatusBadge, jsonProblem, notify, useAsync } from "../../ui/index.ts";
import { bucketClient, isNotConfigured } from "./common.ts";

const PAB_LABELS: Array<[keyof PublicAccessBlockConfiguration, string]> = [
  ["BlockPublicAcls", "Block public access granted through new ACLs"],
  ["IgnorePublicAcls", "Block public access granted through any ACLs"],
  ["BlockPublicPolicy", "Block public access granted through new public bucket policies"],
  ["RestrictPublicBuckets", "Block public and cross-account access through any public bucket policies"],
];

function BlockPublicAccess({ bucket }: { bucket: string }) {
  const pab = useAsync(async (): Promise<PublicAccessBlockConfiguration> => {
    try {
      return (await (await bucketClient(bucket)).send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration ?? {};
    } catch (e) {
      if (isNotConfigured(e, "NoSuchPublicAccessBlockConfiguration")) return {};
      throw e;
    }
  }, [bucket]);
  const [edit, setEdit] = useState<PublicAccessBlockConfiguration | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const cfg = pab.data ?? {};
  const all = (c: PublicAccessBlockConfiguration) => PAB_LABELS.every(([k]) => c[k]);
  return (
    <Panel
      title="Block public access (bucket settings)"
      actions={
        pab.data &&
        !edit && (
          <button type="button" className="btn" onClick={() => setEdit({ ...cfg })}>
            Edit Block Public Access
          </button>
        )
      }
    >
      {pab.error ? (
        <ErrorAlert error={pab.error} onRetry={pab.reload} />
      ) : !pab.data ? (
        <Spinner label="Loading Block Public Access" />
      ) : edit ? (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            setError(undefined);
            try {
              const full = Object.fromEntries(PAB_LABELS.map(([k]) => [k, !!edit[k]])) as PublicAccessBlockConfiguration;
              await (await bucketClient(bucket)).send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: full }));
              notify("Saved Block Public Access settings");
              setEdit(undefined);
              pab.reload();
            } catch (err) {
              setError(err);
            }
            setBusy(false);
          }}
        >
          <Checkbox label="Block all public access" checked={all(edit)} onChange={(v) => setEdit(Object.fromEntries(PAB_LABELS.map(([k]) => [k, v])))} />
          <fieldset>
            <legend>Individual settings</legend>
            {PAB_LABELS.map(([k, label]) => (
              <Checkbox key={k} label={label} checked={!!edit[k]} onChange={(v) => setEdit({ ...edit, [k]: v })} />
            ))}
          </fieldset>
          <ErrorAlert error={error} />
          <div className="actions">
            <button type="button" className="btn" onClick={() => setEdit(undefined)}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? "Saving…" : "Save Block Public Access"}
            </button>
          </div>
        </form>
      ) : (
        <KeyValue
          columns={1}
          items={[
            ["Block all public access", <StatusBadge kind={all(cfg) ? "ok" : "warn"}>{all(cfg) ? "On" : "Off"}</StatusBadge>],
            ...PAB_LABELS.map(([k, label]) => [label, cfg[k] ? "On" : "Off"] as [string, string]),
          ]}
        />
      )}
    </Panel>
  );
}

/** A JSON document setting of the bucket with load / save / delete, server errors shown inline. */
function JsonSetting({ title, label, hint, load, save, remove, placeholder, deps }: { title: string; label: string; hint: string; load: () => Promise<string>; save: (text: string) => Promise<void>; remove: () => Promise<void>; placeholder: string; deps: readonly unknown[] }) {
  const doc = useAsync(load, deps);
  const [text, setText] = useState("");
  const [serverError, setServerError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (doc.data !== undefined) setText(doc.data || placeholder);
  }, [doc.data, placeholder]);
  if (doc.error) return <Panel title={title}>{<ErrorAlert error={doc.error} onRetry={doc.reload} />}</Panel>;
  if (doc.data === undefined) return <Panel title={title}>{<Spinner label={`Loading ${title.toLowerCase()}`} />}</Panel>;
  const run = async (fn: () => Promise<void>, done: string) => {
    setBusy(true);
    setServerError(undefined);
    try {
      await fn();
      notify(done);
      doc.reload();
    } catch (e) {
      setServerError(errorMessage(e));
    }
    setBusy(false);
  };
  return (
    <Panel title={title} actions={doc.data ? <StatusBadge kind="ok">Set</StatusBadge> : <StatusBadge kind="neutral">Not set</StatusBadge>}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!jsonProblem(text)) void run(() => save(text), `Saved ${title.toLowerCase()}`);
        }}
      >
        <JsonEditor label={label} value={text} onChange={(v) => { setText(v); setServerError(undefined); }} hint={hint} extraError={serverError} />
        <div className="actions">
          <button type="button" className="btn" disabled={busy || !doc.data} onClick={() => void run(remove, `Deleted ${title.toLowerCase()}`)}>
            Delete {label.toLowerCase()}
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy || !!jsonProblem(text)}>
            {busy ? "Saving…" : `Save ${label.toLowerCase()}`}
          </button>
        </div>
      </form>
    </Panel>
  );
}

function policyTemplate(bucket: string): string {
  return JSON.stringify(
    { Version: "2012-10-17", Statement: [{ Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }] },
    null,
    2,
  );
}

const CORS_TEMPLATE = JSON.stringify([{ AllowedHeaders: ["*"], AllowedMethods: ["GET", "HEAD"], AllowedOrigins: ["*"], ExposeHeaders: ["ETag"], MaxAgeSeconds: 3000 }], null, 2);

export function PermissionsTab({ bucket }: { bucket: string }) {
  return (
    <>
      <BlockPublicAccess bucket={bucket} />
      <JsonSetting
        title="Bucket policy"
        label="Policy"
        hint={`A JSON policy document about arn:aws:s3:::${bucket}. A public policy needs Block Public Access (new public bucket policies) off.`}
        placeholder={policyTemplate(bucket)}
        deps={[bucket]}
        load={async () => {
          try {
            const p = (await (await bucketClient(bucket)).send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? "";
            try {
              return JSON.stringify(JSON.parse(p), null, 2);
            } catch {
              return p;
            }
          } catch (e) {
            if (isNotConfigured(e, "NoSuchBucketPolicy")) return "";
            throw e;
          }
        }}
        save={async (text) => {
          await (await bucketClient(bucket)).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: text }));
        }}
        remove={async () => {
          await (await bucketClient(bucket)).send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
        }}
      />
      <JsonSetting
        title="Cross-origin resource sharing (CORS)"
        label="CORS rules"
        hint="A JSON array of rules: AllowedOrigins, AllowedMethods, AllowedHeaders, ExposeHeaders, MaxAgeSeconds."
        placeholder={CORS_TEMPLATE}
        deps={[bucket]}
        load={async () => {
          try {
            const rules = (await (await bucketClient(bucket)).send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules ?? [];
            return rules.length ? JSON.stringify(rules, null, 2) : "";
          } catch (e) {
            if (isNotConfigured(e, "NoSuchCORSConfiguration")) return "";
            throw e;
          }
        }}
        save={async (text) => {
          const parsed = JSON.parse(text) as unknown;
          const rules = (Array.isArray(parsed) ? parsed : (parsed as { CORSRules?: unknown }).CORSRules) as CORSRule[] | undefined;
          if (!Array.isArray(rules)) throw new Error("Enter a JSON array of CORS rules (or an object with CORSRules).");
          await (await bucketClient(bucket)).send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: rules } }));
        }}
        remove={async () => {
          await (await bucketClient(bucket)).send(new DeleteBucketCorsCommand({ Bucket: bucket }));
        }}
      />
    </>
  );
}

function describeAction(r: LifecycleRule): string {
  const parts: string[] = [];
  if (r.Expiration?.Days !== undefined) parts.push(`Expire current versions after ${r.Expiration.Days} days`);
  if (r.Expiration?.Date) parts.push(`Expire current versions on ${new Date(r.Expiration.Date).toLocaleDateString()}`);
  if (r.Expiration?.ExpiredObjectDeleteMarker) parts.push("Delete expired object delete markers");
  for (const t of r.Transitions ?? []) parts.push(`Move to ${t.StorageClass} after ${t.Days ?? "?"} days`);
  if (r.NoncurrentVersionExpiration?.NoncurrentDays !== undefined) parts.push(`Expire noncurrent versions after ${r.NoncurrentVersionExpiration.NoncurrentDays} days`);
  for (const t of r.NoncurrentVersionTransitions ?? []) parts.push(`Move noncurrent versions to ${t.StorageClass} after ${t.NoncurrentDays ?? "?"} days`);
  if (r.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined) parts.push(`Abort incomplete multipart uploads after ${r.AbortIncompleteMultipartUpload.DaysAfterInitiation} days`);
  return parts.join("; ") || "-";
}

export function ManagementTab({ bucket }: { bucket: string }) {
  const rules = useAsync(async () => {
    try {
      return (await (await bucketClient(bucket)).send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
    } catch (e) {
      if (isNotConfigured(e, "NoSuchLifecycleConfiguration")) return [] as LifecycleRule[];
      throw e;
    }
  }, [bucket]);
  return (
    <Panel title="Lifecycle rules">
      <ResourceTable
        resourceName="lifecycle rules"
        items={rules.data}
        loading={rules.loading}
        error={rules.error}
        onRetry={rules.reload}
        rowKey={(r) => r.ID ?? JSON.stringify(r)}
        columns={[
          { id: "ID", header: "Rule name", cell: (r) => r.ID ?? "-" },
          { id: "Status", header: "Status", cell: (r) => <StatusBadge kind={r.Status === "Enabled" ? "ok" : "neutral"}>{r.Status}</StatusBadge> },
          { id: "scope", header: "Scope", sortValue: (r) => r.Filter?.Prefix ?? r.Prefix ?? "", cell: (r) => (r.Filter?.Prefix ?? r.Prefix ? `Prefix ${r.Filter?.Prefix ?? r.Prefix}` : r.Filter?.Tag ? `Tag ${r.Filter.Tag.Key}=${r.Filter.Tag.Value}` : r.Filter?.And ? "Prefix and tags" : "Entire bucket") },
          { id: "actions", header: "Actions", sortable: false, cell: describeAction },
        ]}
        empty={<p>No lifecycle rules. Lifecycle rules are set with PutBucketLifecycleConfiguration (for example from the AWS CLI).</p>}
      />
    </Panel>
  );
}
