/** Pieces several IAM pages share: the policy picker, permissions, access keys and tags panels. */
import { useState, type ReactNode } from "react";
import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  DeleteGroupPolicyCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListPoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  TagRoleCommand,
  TagUserCommand,
  UntagRoleCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
  type AccessKeyMetadata,
  type Policy,
  type Tag,
} from "@aws-sdk/client-iam";
import { errorMessage } from "../../aws.ts";
import { Link } from "../../router.tsx";
import { ConfirmDialog, ErrorAlert, JsonEditor, Modal, Panel, ResourceTable, SelectField, StatusBadge, TextField, copyText, downloadFile, formatDate, jsonProblem, notify, useAsync } from "../../ui/index.ts";
import { POLICY_TEMPLATE, ageText, enc, iam, listAll, toCsv } from "./common.tsx";

// ---------------------------------------------------------------- policy picker
export async function listPolicies(scope: "All" | "AWS" | "Local" = "All"): Promise<Policy[]> {
  return listAll(async (Marker) => {
    const r = await iam().send(new ListPoliciesCommand({ Scope: scope, Marker, MaxItems: 1000 }));
    return { items: r.Policies, marker: r.Marker, truncated: r.IsTruncated };
  });
}

export const policyType = (p: Policy) => (p.Arn?.startsWith("arn:aws:iam::aws:") ? "AWS managed" : "Customer managed");

/** A searchable, multi-select list of managed policies; the selection is a list of ARNs. */
export function PolicyPicker({ selected, onChange, exclude = [] }: { selected: string[]; onChange: (arns: string[]) => void; exclude?: string[] }) {
  const policies = useAsync(() => listPolicies("All"), []);
  const [type, setType] = useState("all");
  const items = policies.data?.filter((p) => !exclude.includes(p.Arn!) && (type === "all" || (type === "aws") === (policyType(p) === "AWS managed")));
  return (
    <ResourceTable<Policy>
      resourceName="permission policies"
      items={items}
      loading={policies.loading}
      error={policies.error}
      onRetry={policies.reload}
      rowKey={(p) => p.Arn!}
      selection="multi"
      selected={selected}
      onSelectionChange={onChange}
      pageSize={10}
      searchText={(p) => p.PolicyName ?? ""}
      defaultSort={{ column: "PolicyName" }}
      toolbar={
        <select aria-label="Filter by type" value={type} onChange={(e) => setType(e.target.value)}>
          <option value="all">All types</option>
          <option value="aws">AWS managed</option>
          <option value="local">Customer managed</option>
        </select>
      }
      columns={[
        { id: "PolicyName", header: "Policy name" },
        { id: "type", header: "Type", cell: policyType, sortValue: policyType },
        { id: "AttachmentCount", header: "Attached entities", cell: (p) => String(p.AttachmentCount ?? 0) },
      ]}
    />
  );
}

// ---------------------------------------------------------------- permissions
export type Entity = { kind: "user" | "group" | "role"; name: string };

interface PermissionRow {
  key: string;
  name: string;
  arn?: string;
  type: "AWS managed" | "Customer managed" | "Inline";
  via: string;
  direct: boolean;
}

async function permissionRows(e: Entity): Promise<PermissionRow[]> {
  const c = iam();
  const managed = (items: Array<{ PolicyName?: string; PolicyArn?: string }> | undefined, via: string, direct: boolean): PermissionRow[] =>
    (items ?? []).map((p) => ({ key: direct ? p.PolicyName! : `${p.PolicyName} (from ${via.toLowerCase()})`, name: p.PolicyName!, arn: p.PolicyArn, type: p.PolicyArn?.startsWith("arn:aws:iam::aws:") ? "AWS managed" : "Customer managed", via, direct }));
  const inline = (names: string[] | undefined, via: string, direct: boolean): PermissionRow[] => (names ?? []).map((n) => ({ key: direct ? `${n} (inline)` : `${n} (inline, from ${via.toLowerCase()})`, name: n, type: "Inline", via, direct }));
  if (e.kind === "user") {
    const [att, inl, groups] = await Promise.all([
      c.send(new ListAttachedUserPoliciesCommand({ UserName: e.name })),
      c.send(new ListUserPoliciesCommand({ UserName: e.name })),
      c.send(new ListGroupsForUserCommand({ UserName: e.name })),
    ]);
    const rows = [...managed(att.AttachedPolicies, "Directly", true), ...inline(inl.PolicyNames, "Directly", true)];
    for (const g of groups.Groups ?? []) {
      const [ga, gi] = await Promise.all([c.send(new ListAttachedGroupPoliciesCommand({ GroupName: g.GroupName })), c.send(new ListGroupPoliciesCommand({ GroupName: g.GroupName }))]);
      rows.push(...managed(ga.AttachedPolicies, `Group ${g.GroupName}`, false), ...inline(gi.PolicyNames, `Group ${g.GroupName}`, false));
    }
    return rows;
  }
  if (e.kind === "group") {
    const [att, inl] = await Promise.all([c.send(new ListAttachedGroupPoliciesCommand({ GroupName: e.name })), c.send(new ListGroupPoliciesCommand({ GroupName: e.name }))]);
    return [...managed(att.AttachedPolicies, "Directly", true), ...inline(inl.PolicyNames, "Directly", true)];
  }
  const [att, inl] = await Promise.all([c.send(new ListAttachedRolePoliciesCommand({ RoleName: e.name })), c.send(new ListRolePoliciesCommand({ RoleName: e.name }))]);
  return [...managed(att.AttachedPolicies, "Directly", true), ...inline(inl.PolicyNames, "Directly", true)];
}

export async function attachPolicy(e: Entity, arn: string): Promise<void> {
  if (e.kind === "user") await iam().send(new AttachUserPolicyCommand({ UserName: e.name, PolicyArn: arn }));
  else if (e.kind === "group") await iam().send(new AttachGroupPolicyCommand({ GroupName: e.name, PolicyArn: arn }));
  else await iam().send(new AttachRolePolicyCommand({ RoleName: e.name, PolicyArn: arn }));
}

async function detach(e: Entity, row: PermissionRow): Promise<void> {
  const c = iam();
  if (row.type === "Inline") {
    if (e.kind === "user") await c.send(new DeleteUserPolicyCommand({ UserName: e.name, PolicyName: row.name }));
    else if (e.kind === "group") await c.send(new DeleteGroupPolicyCommand({ GroupName: e.name, PolicyName: row.name }));
    else await c.send(new DeleteRolePolicyCommand({ RoleName: e.name, PolicyName: row.name }));
  } else if (e.kind === "user") await c.send(new DetachUserPolicyCommand({ UserName: e.name, PolicyArn: row.arn }));
  else if (e.kind === "group") await c.send(new DetachGroupPolicyCommand({ GroupName: e.name, PolicyArn: row.arn }));
  else await c.send(new DetachRolePolicyCommand({ RoleName: e.name, PolicyArn: row.arn }));
}

async function putInline(e: Entity, name: string, doc: string): Promise<void> {
  if (e.kind === "user") await iam().send(new PutUserPolicyCommand({ UserName: e.name, PolicyName: name, PolicyDocument: doc }));
  else if (e.kind === "group") await iam().send(new PutGroupPolicyCommand({ GroupName: e.name, PolicyName: name, PolicyDocument: doc }));
  else await iam().send(new PutRolePolicyCommand({ RoleName: e.name, PolicyName: name, PolicyDocument: doc }));
}

/** Managed and inline policies of a user, group or role (a user's also from its groups). */
export function PermissionsPanel({ entity }: { entity: Entity }) {
  const rows = useAsync(() => permissionRows(entity), [entity.kind, entity.name]);
  const [selected, setSelected] = useState<string[]>([]);
  const [adding, setAdding] = useState(false);
  const [inline, setInline] = useState(false);
  const [removing, setRemoving] = useState(false);
  const chosen = (rows.data ?? []).filter((r) => selected.includes(r.key));
  const direct = (rows.data ?? []).filter((r) => r.direct && r.arn).map((r) => r.arn!);
  return (
    <Panel
      title="Permissions policies"
      actions={
        <>
          <button type="button" className="btn" disabled={chosen.length === 0 || chosen.some((r) => !r.direct)} onClick={() => setRemoving(true)}>
            Remove
          </button>
          <button type="button" className="btn" onClick={() => setInline(true)}>
            Create inline policy
          </button>
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
            Add permissions
          </button>
        </>
      }
    >
      <ResourceTable<PermissionRow>
        resourceName="policies"
        items={rows.data}
        loading={rows.loading}
        error={rows.error}
        onRetry={rows.reload}
        rowKey={(r) => r.key}
        selection="multi"
        selected={selected}
        onSelectionChange={setSelected}
        columns={[
          { id: "name", header: "Policy name", cell: (r) => (r.arn ? <Link to={`iam/policies/details/${enc(r.arn)}`}>{r.name}</Link> : r.name) },
          { id: "type", header: "Type" },
          { id: "via", header: "Attached via" },
        ]}
        empty={<p>No permissions policies. Add permissions to grant access.</p>}
      />
      {adding && (
        <AttachModal
          exclude={direct}
          onClose={() => setAdding(false)}
          onAttach={async (arns) => {
            for (const a of arns) await attachPolicy(entity, a);
            notify(`${arns.length} ${arns.length === 1 ? "policy" : "policies"} attached to ${entity.name}`);
            rows.reload();
          }}
        />
      )}
      {inline && (
        <InlinePolicyModal
          onClose={() => setInline(false)}
          onSave={async (name, doc) => {
            await putInline(entity, name, doc);
            notify(`Inline policy ${name} saved`);
            rows.reload();
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove ${chosen.length === 1 ? "policy" : `${chosen.length} policies`}?`}
          confirmLabel="Remove"
          onClose={() => setRemoving(false)}
          onConfirm={async () => {
            for (const r of chosen) await detach(entity, r);
            setSelected([]);
            notify("Policies removed");
            rows.reload();
          }}
        >
          <p>
            {chosen.map((r) => r.name).join(", ")} will no longer apply to {entity.name}
            {chosen.some((r) => r.type === "Inline") ? "; inline policies are deleted" : ""}.
          </p>
        </ConfirmDialog>
      )}
    </Panel>
  );
}

function AttachModal({ exclude, onClose, onAttach }: { exclude: string[]; onClose: () => void; onAttach: (arns: string[]) => Promise<void> }) {
  const [selected, setSelected] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  return (
    <Modal
      title="Attach policies"
      wide
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy || selected.length === 0}
            onClick={async () => {
              setBusy(true);
              setError(undefined);
              try {
                await onAttach(selected);
                onClose();
              } catch (e) {
                setError(e);
                setBusy(false);
              }
            }}
          >
            {busy ? "Attaching…" : "Attach policies"}
          </button>
        </>
      }
    >
      <PolicyPicker selected={selected} onChange={setSelected} exclude={exclude} />
      <ErrorAlert error={error} />
    </Modal>
  );
}

function InlinePolicyModal({ onClose, onSave }: { onClose: () => void; onSave: (name: string, doc: string) => Promise<void> }) {
  const [name, setName] = useState("");
  const [doc, setDoc] = useState(POLICY_TEMPLATE);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [tried, setTried] = useState(false);
  const nameError = tried && !/^[\w+=,.@-]{1,128}$/.test(name) ? "Use 1 to 128 letters, digits and +=,.@_-" : undefined;
  return (
    <Modal
      title="Create inline policy"
      wide
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy}
            onClick={async () => {
              setTried(true);
              if (!/^[\w+=,.@-]{1,128}$/.test(name) || jsonProblem(doc)) return;
              setBusy(true);
              setError(undefined);
              try {
                await onSave(name, doc);
                onClose();
              } catch (e) {
                setError(e);
                setBusy(false);
              }
            }}
          >
            {busy ? "Saving…" : "Create policy"}
          </button>
        </>
      }
    >
      <TextField label="Policy name" value={name} onChange={setName} error={nameError} required />
      <JsonEditor label="Policy document" value={doc} onChange={setDoc} extraError={error ? errorMessage(error) : undefined} />
    </Modal>
  );
}

// ---------------------------------------------------------------- secrets shown once
export function SecretText({ value, label }: { value: string; label: string }) {
  const [shown, setShown] = useState(false);
  return (
    <span style={{ display: "inline-flex", flexWrap: "wrap", gap: "0.5rem", alignItems: "center" }}>
      <code style={{ wordBreak: "break-all" }}>
        {shown ? value : "••••••••••••"}
      </code>
      <button type="button" className="btn btn-link" onClick={() => setShown(!shown)} aria-label={`${shown ? "Hide" : "Show"} ${label.toLowerCase()}`}>
        {shown ? "Hide" : "Show"}
      </button>
      <button type="button" className="btn btn-link" onClick={() => copyText(value, label)} aria-label={`Copy ${label.toLowerCase()}`}>
        Copy
      </button>
    </span>
  );
}

// ---------------------------------------------------------------- access keys
/** Access keys of a user (or of the caller when `userName` is undefined). */
export function AccessKeysPanel({ userName, who }: { userName?: string; who: string }) {
  const keys = useAsync(async () => (await iam().send(new ListAccessKeysCommand(userName ? { UserName: userName } : {}))).AccessKeyMetadata ?? [], [userName]);
  const [created, setCreated] = useState<{ id: string; secret: string; user: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [deleting, setDeleting] = useState<AccessKeyMetadata>();
  const setStatus = async (k: AccessKeyMetadata, status: "Active" | "Inactive") => {
    setError(undefined);
    try {
      await iam().send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: k.AccessKeyId, Status: status }));
      notify(`Access key ${k.AccessKeyId} ${status === "Active" ? "activated" : "deactivated"}`);
      keys.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Panel
      title="Access keys"
      actions={
        <button
          type="button"
          className="btn"
          disabled={busy || (keys.data?.length ?? 0) >= 2}
          onClick={async () => {
            setBusy(true);
            setError(undefined);
            try {
              const r = await iam().send(new CreateAccessKeyCommand(userName ? { UserName: userName } : {}));
              setCreated({ id: r.AccessKey!.AccessKeyId!, secret: r.AccessKey!.SecretAccessKey!, user: r.AccessKey!.UserName ?? who });
              keys.reload();
            } catch (e) {
              setError(e);
            } finally {
              setBusy(false);
            }
          }}
        >
          {busy ? "Creating…" : "Create access key"}
        </button>
      }
    >
      <p className="muted">Access keys sign requests from the AWS CLI and SDKs. Each user may have two.</p>
      <ErrorAlert error={error} />
      <ResourceTable<AccessKeyMetadata>
        resourceName="access keys"
        items={keys.data}
        loading={keys.loading}
        error={keys.error}
        onRetry={keys.reload}
        rowKey={(k) => k.AccessKeyId!}
        columns={[
          { id: "AccessKeyId", header: "Access key ID", cell: (k) => <code>{k.AccessKeyId}</code> },
          { id: "Status", header: "Status", cell: (k) => <StatusBadge kind={k.Status === "Active" ? "ok" : "neutral"}>{k.Status}</StatusBadge> },
          { id: "CreateDate", header: "Created", cell: (k) => `${formatDate(k.CreateDate)} (${ageText(k.CreateDate)})`, sortValue: (k) => k.CreateDate?.getTime() },
          {
            id: "actions",
            header: "Actions",
            sortable: false,
            cell: (k) => (
              <span style={{ display: "inline-flex", gap: "0.5rem" }}>
                <button type="button" className="btn btn-link" aria-label={`${k.Status === "Active" ? "Deactivate" : "Activate"} ${k.AccessKeyId}`} onClick={() => setStatus(k, k.Status === "Active" ? "Inactive" : "Active")}>
                  {k.Status === "Active" ? "Deactivate" : "Activate"}
                </button>
                <button type="button" className="btn btn-link" aria-label={`Delete ${k.AccessKeyId}`} onClick={() => setDeleting(k)}>
                  Delete
                </button>
              </span>
            ),
          },
        ]}
        empty={<p>No access keys.</p>}
      />
      {created && (
        <Modal
          title="Access key created"
          onClose={() => setCreated(undefined)}
          footer={
            <>
              <button type="button" className="btn" onClick={() => downloadFile(`${created.user}_accessKeys.csv`, toCsv(["Access key ID", "Secret access key"], [[created.id, created.secret]]), "text/csv")}>
                Download .csv file
              </button>
              <button type="button" className="btn btn-primary" onClick={() => setCreated(undefined)}>
                Done
              </button>
            </>
          }
        >
          <p>This is the only time the secret access key can be viewed or downloaded. Save it now; you can create a new key later.</p>
          <dl className="key-value" style={{ gridTemplateColumns: "minmax(0, 1fr)" }}>
            <div>
              <dt>Access key ID</dt>
              <dd>
                <code>{created.id}</code>
              </dd>
            </div>
            <div>
              <dt>Secret access key</dt>
              <dd>
                <SecretText value={created.secret} label="Secret access key" />
              </dd>
            </div>
          </dl>
        </Modal>
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete access key?"
          confirmText={deleting.AccessKeyId}
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await iam().send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: deleting.AccessKeyId }));
            notify(`Access key ${deleting.AccessKeyId} deleted`);
            keys.reload();
          }}
        >
          <p>Requests signed with this key will fail at once. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </Panel>
  );
}

// ---------------------------------------------------------------- tags
export function TagsPanel({ kind, name }: { kind: "user" | "role"; name: string }) {
  const tags = useAsync(async () => (kind === "user" ? (await iam().send(new ListUserTagsCommand({ UserName: name }))).Tags : (await iam().send(new ListRoleTagsCommand({ RoleName: name }))).Tags) ?? [], [kind, name]);
  const [adding, setAdding] = useState(false);
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const remove = async (t: Tag) => {
    setError(undefined);
    try {
      if (kind === "user") await iam().send(new UntagUserCommand({ UserName: name, TagKeys: [t.Key!] }));
      else await iam().send(new UntagRoleCommand({ RoleName: name, TagKeys: [t.Key!] }));
      notify(`Tag ${t.Key} removed`);
      tags.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Panel
      title="Tags"
      actions={
        <button type="button" className="btn" onClick={() => setAdding(true)}>
          Add tag
        </button>
      }
    >
      <ErrorAlert error={error} />
      <ResourceTable<Tag>
        resourceName="tags"
        items={tags.data}
        loading={tags.loading}
        error={tags.error}
        onRetry={tags.reload}
        rowKey={(t) => t.Key!}
        columns={[
          { id: "Key", header: "Key" },
          { id: "Value", header: "Value" },
          {
            id: "actions",
            header: "Actions",
            sortable: false,
            cell: (t) => (
              <button type="button" className="btn btn-link" aria-label={`Remove tag ${t.Key}`} onClick={() => remove(t)}>
                Remove
              </button>
            ),
          },
        ]}
        empty={<p>No tags.</p>}
      />
      {adding && (
        <Modal
          title="Add tag"
          onClose={() => setAdding(false)}
          footer={
            <>
              <button type="button" className="btn" onClick={() => setAdding(false)}>
                Cancel
              </button>
              <button
                type="button"
                className="btn btn-primary"
                disabled={busy || !key.trim()}
                onClick={async () => {
                  setBusy(true);
                  setError(undefined);
                  try {
                    const Tags = [{ Key: key.trim(), Value: value }];
                    if (kind === "user") await iam().send(new TagUserCommand({ UserName: name, Tags }));
                    else await iam().send(new TagRoleCommand({ RoleName: name, Tags }));
                    notify(`Tag ${key.trim()} added`);
                    setAdding(false);
                    setKey("");
                    setValue("");
                    tags.reload();
                  } catch (e) {
                    setError(e);
                  } finally {
                    setBusy(false);
                  }
                }}
              >
                {busy ? "Saving…" : "Save"}
              </button>
            </>
          }
        >
          <TextField label="Key" value={key} onChange={setKey} required maxLength={128} />
          <TextField label="Value" value={value} onChange={setValue} maxLength={256} />
          <ErrorAlert error={error} />
        </Modal>
      )}
    </Panel>
  );
}

export function Section({ children }: { children: ReactNode }) {
  return <div style={{ display: "grid", gap: "1rem" }}>{children}</div>;
}

export { SelectField };
