/** IAM managed policies: the list (AWS and customer managed), create with the JSON editor, and a policy's document and versions. */
import { useState, type FormEvent } from "react";
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListEntitiesForPolicyCommand,
  ListPolicyVersionsCommand,
  SetDefaultPolicyVersionCommand,
  type Policy,
  type PolicyVersion,
} from "@aws-sdk/client-iam";
import { errorMessage } from "../../aws.ts";
import { Link, navigate, useQuery } from "../../router.tsx";
import { ConfirmDialog, ErrorAlert, JsonEditor, KeyValue, PageHeader, Panel, ResourceTable, StatusBadge, Tabs, TextField, formatDate, jsonProblem, notify, useAsync, useBreadcrumbs } from "../../ui/index.ts";
import { IamNav, POLICY_TEMPLATE, decodeDocument, enc, iam } from "./common.tsx";
import { listPolicies, policyType } from "./panels.tsx";

const SCOPES = [
  { value: "All", label: "All types" },
  { value: "AWS", label: "AWS managed" },
  { value: "Local", label: "Customer managed" },
];

export function PoliciesList() {
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "Policies" }]);
  const q = useQuery();
  const asked = q.get("type");
  const [scope, setScopeState] = useState<"All" | "AWS" | "Local">(asked === "AWS" || asked === "Local" ? asked : "All");
  const policies = useAsync(() => listPolicies(scope), [scope]);
  const [selected, setSelected] = useState<string[]>([]);
  const [deleting, setDeleting] = useState(false);
  const setScope = (s: string) => {
    setScopeState(s as "All" | "AWS" | "Local");
    setSelected([]);
    history.replaceState(null, "", `?type=${s}`);
  };
  const chosen = (policies.data ?? []).find((p) => p.Arn === selected[0]);
  return (
    <>
      <IamNav current="policies" />
      <PageHeader
        title="Policies"
        count={policies.data?.length}
        description="Managed policies are JSON documents of permissions you attach to users, groups and roles."
        actions={
          <>
            <button type="button" className="btn" disabled={!chosen || policyType(chosen) === "AWS managed"} onClick={() => setDeleting(true)}>
              Delete
            </button>
            <Link to="iam/policies/create" className="btn btn-primary">
              Create policy
            </Link>
          </>
        }
      />
      <ResourceTable<Policy>
        resourceName="policies"
        items={policies.data}
        loading={policies.loading}
        error={policies.error}
        onRetry={policies.reload}
        rowKey={(p) => p.Arn!}
        selection="single"
        selected={selected}
        onSelectionChange={setSelected}
        defaultSort={{ column: "PolicyName" }}
        searchText={(p) => p.PolicyName ?? ""}
        toolbar={
          <select aria-label="Filter by type" value={scope} onChange={(e) => setScope(e.target.value)}>
            {SCOPES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        }
        columns={[
          { id: "PolicyName", header: "Policy name", cell: (p) => <Link to={`iam/policies/details/${enc(p.Arn!)}`}>{p.PolicyName}</Link> },
          { id: "type", header: "Type", cell: policyType, sortValue: policyType },
          { id: "AttachmentCount", header: "Attached entities", cell: (p) => String(p.AttachmentCount ?? 0) },
          { id: "UpdateDate", header: "Edited", cell: (p) => formatDate(p.UpdateDate), sortValue: (p) => p.UpdateDate?.getTime() },
        ]}
        empty={
          <div>
            <p>No {scope === "Local" ? "customer managed " : ""}policies.</p>
            <Link to="iam/policies/create" className="btn btn-primary">
              Create policy
            </Link>
          </div>
        }
      />
      {deleting && chosen && (
        <ConfirmDialog
          title={`Delete ${chosen.PolicyName}?`}
          confirmText={chosen.PolicyName}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await deletePolicy(chosen.Arn!);
            notify(`Policy ${chosen.PolicyName} deleted`);
            setSelected([]);
            policies.reload();
          }}
        >
          <p>It is detached from every user, group and role first, and all its versions are deleted.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

async function deletePolicy(arn: string): Promise<void> {
  const c = iam();
  const ents = await c.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn }));
  for (const u of ents.PolicyUsers ?? []) await c.send(new DetachUserPolicyCommand({ UserName: u.UserName, PolicyArn: arn }));
  for (const g of ents.PolicyGroups ?? []) await c.send(new DetachGroupPolicyCommand({ GroupName: g.GroupName, PolicyArn: arn }));
  for (const r of ents.PolicyRoles ?? []) await c.send(new DetachRolePolicyCommand({ RoleName: r.RoleName, PolicyArn: arn }));
  for (const v of (await c.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions ?? []) {
    if (!v.IsDefaultVersion) await c.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v.VersionId }));
  }
  await c.send(new DeletePolicyCommand({ PolicyArn: arn }));
}

const isDocumentError = (e: unknown) => /MalformedPolicyDocument|LimitExceeded|InvalidInput/.test((e as { name?: string })?.name ?? "");

export function CreatePolicy() {
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "Policies", to: "iam/policies" }, { label: "Create policy" }]);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [doc, setDoc] = useState(POLICY_TEMPLATE);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [docError, setDocError] = useState<string>();
  const nameError = !tried ? undefined : !name ? "Enter a policy name." : !/^[\w+=,.@-]{1,128}$/.test(name) ? "Use up to 128 letters, digits and +=,.@_- only." : undefined;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!/^[\w+=,.@-]{1,128}$/.test(name) || jsonProblem(doc)) return;
    setBusy(true);
    setError(undefined);
    setDocError(undefined);
    try {
      const r = await iam().send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: doc, ...(description ? { Description: description } : {}) }));
      notify(`Policy ${name} created`);
      navigate(`iam/policies/details/${enc(r.Policy!.Arn!)}`);
    } catch (err) {
      if (isDocumentError(err)) setDocError(errorMessage(err));
      else setError(err);
      setBusy(false);
    }
  };
  return (
    <>
      <IamNav current="policies" />
      <PageHeader title="Create policy" description="Write the permissions as a JSON policy document." />
      <form onSubmit={submit} aria-label="Create policy" noValidate>
        <Panel title="Policy editor">
          <JsonEditor
            label="Policy document"
            value={doc}
            onChange={(v) => {
              setDoc(v);
              setDocError(undefined);
            }}
            rows={18}
            extraError={docError}
          />
        </Panel>
        <Panel title="Policy details">
          <TextField label="Policy name" value={name} onChange={setName} error={nameError} required autoComplete="off" />
          <TextField label="Description" value={description} onChange={setDescription} maxLength={1000} />
        </Panel>
        <ErrorAlert error={error} />
        <div className="actions" style={{ justifyContent: "flex-end", marginTop: "1rem" }}>
          <Link to="iam/policies" className="btn">
            Cancel
          </Link>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? "Creating policy…" : "Create policy"}
          </button>
        </div>
      </form>
    </>
  );
}

export function PolicyDetail({ arn }: { arn: string }) {
  const policy = useAsync(async () => {
    const p = (await iam().send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!;
    const v = (await iam().send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: p.DefaultVersionId }))).PolicyVersion!;
    return { p, document: decodeDocument(v.Document) };
  }, [arn]);
  const name = policy.data?.p.PolicyName ?? arn.split("/").pop() ?? arn;
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "Policies", to: "iam/policies" }, { label: name }]);
  const [tab, setTab] = useState("permissions");
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [docError, setDocError] = useState<string>();
  const aws = arn.startsWith("arn:aws:iam::aws:");
  if (policy.error) {
    return (
      <>
        <IamNav current="policies" />
        <PageHeader title={name} />
        <ErrorAlert error={policy.error} onRetry={policy.reload} />
      </>
    );
  }
  const p = policy.data?.p;
  return (
    <>
      <IamNav current="policies" />
      <PageHeader title={name} description={p?.Description} />
      <Panel title="Policy details">
        <KeyValue
          items={[
            ["Type", aws ? "AWS managed" : "Customer managed"],
            ["ARN", <span key="a" className="arn">{arn}</span>],
            ["Default version", p?.DefaultVersionId],
            ["Created", formatDate(p?.CreateDate)],
            ["Edited", formatDate(p?.UpdateDate)],
            ["Attached entities", p ? String(p.AttachmentCount ?? 0) : "…"],
          ]}
        />
      </Panel>
      <Tabs
        tabs={[
          { id: "permissions", label: "Permissions" },
          { id: "versions", label: "Policy versions" },
          { id: "entities", label: "Entities attached" },
        ]}
        active={tab}
        onChange={setTab}
      />
      <div role="tabpanel" aria-labelledby={`tab-${tab}`} style={{ marginTop: "1rem" }}>
        {tab === "permissions" && (
          <Panel
            title="Permissions defined in this policy"
            actions={
              !aws &&
              (editing ? (
                <>
                  <button type="button" className="btn" onClick={() => setEditing(false)}>
                    Cancel
                  </button>
                  <button
                    type="button"
                    className="btn btn-primary"
                    disabled={busy || !!jsonProblem(draft)}
                    onClick={async () => {
                      setBusy(true);
                      setDocError(undefined);
                      try {
                        await iam().send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: draft, SetAsDefault: true }));
                        notify("New default version saved");
                        setEditing(false);
                        policy.reload();
                      } catch (e) {
                        setDocError(errorMessage(e));
                      } finally {
                        setBusy(false);
                      }
                    }}
                  >
                    {busy ? "Saving…" : "Save changes"}
                  </button>
                </>
              ) : (
                <button
                  type="button"
                  className="btn"
                  disabled={!policy.data}
                  onClick={() => {
                    setDraft(policy.data!.document);
                    setDocError(undefined);
                    setEditing(true);
                  }}
                >
                  Edit
                </button>
              ))
            }
          >
            {editing ? (
              <JsonEditor label="Policy document" value={draft} onChange={setDraft} rows={18} extraError={docError} hint="Saving creates a new version and makes it the default (a policy keeps at most five)." />
            ) : policy.data ? (
              <pre className="code" aria-label="Policy document" tabIndex={0} style={{ overflowX: "auto", maxHeight: "32rem", margin: 0 }}>
                {policy.data.document}
              </pre>
            ) : (
              <p className="muted">Loading…</p>
            )}
          </Panel>
        )}
        {tab === "versions" && <VersionsPanel arn={arn} aws={aws} onChange={policy.reload} />}
        {tab === "entities" && <EntitiesPanel arn={arn} />}
      </div>
    </>
  );
}

function VersionsPanel({ arn, aws, onChange }: { arn: string; aws: boolean; onChange: () => void }) {
  const versions = useAsync(async () => (await iam().send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions ?? [], [arn]);
  const [error, setError] = useState<unknown>();
  const [deleting, setDeleting] = useState<string>();
  const [viewing, setViewing] = useState<{ id: string; doc: string }>();
  const act = async (fn: () => Promise<unknown>, msg: string) => {
    setError(undefined);
    try {
      await fn();
      notify(msg);
      versions.reload();
      onChange();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Panel title="Policy versions">
      <ErrorAlert error={error} />
      <ResourceTable<PolicyVersion>
        resourceName="versions"
        items={versions.data}
        loading={versions.loading}
        error={versions.error}
        onRetry={versions.reload}
        rowKey={(v) => v.VersionId!}
        defaultSort={{ column: "CreateDate", descending: true }}
        columns={[
          { id: "VersionId", header: "Version", cell: (v) => <>{v.VersionId} {v.IsDefaultVersion && <StatusBadge kind="ok">Default</StatusBadge>}</> },
          { id: "CreateDate", header: "Created", cell: (v) => formatDate(v.CreateDate), sortValue: (v) => v.CreateDate?.getTime() },
          {
            id: "actions",
            header: "Actions",
            sortable: false,
            cell: (v) => (
              <span style={{ display: "inline-flex", gap: "0.5rem", flexWrap: "wrap" }}>
                <button
                  type="button"
                  className="btn btn-link"
                  aria-label={`View ${v.VersionId}`}
                  onClick={async () => {
                    setError(undefined);
                    try {
                      const r = await iam().send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: v.VersionId }));
                      setViewing({ id: v.VersionId!, doc: decodeDocument(r.PolicyVersion?.Document) });
                    } catch (e) {
                      setError(e);
                    }
                  }}
                >
                  View
                </button>
                {!aws && !v.IsDefaultVersion && (
                  <>
                    <button type="button" className="btn btn-link" aria-label={`Set ${v.VersionId} as default`} onClick={() => act(() => iam().send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: v.VersionId })), `${v.VersionId} is now the default`)}>
                      Set as default
                    </button>
                    <button type="button" className="btn btn-link" aria-label={`Delete ${v.VersionId}`} onClick={() => setDeleting(v.VersionId)}>
                      Delete
                    </button>
                  </>
                )}
              </span>
            ),
          },
        ]}
      />
      {viewing && (
        <Panel title={`Version ${viewing.id}`} actions={<button type="button" className="btn" onClick={() => setViewing(undefined)}>Close</button>}>
          <pre className="code" tabIndex={0} aria-label={`Document of ${viewing.id}`} style={{ overflowX: "auto", margin: 0 }}>
            {viewing.doc}
          </pre>
        </Panel>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete version ${deleting}?`}
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await iam().send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: deleting }));
            notify(`Version ${deleting} deleted`);
            versions.reload();
          }}
        />
      )}
    </Panel>
  );
}

function EntitiesPanel({ arn }: { arn: string }) {
  const ents = useAsync(async () => {
    const r = await iam().send(new ListEntitiesForPolicyCommand({ PolicyArn: arn }));
    return [
      ...(r.PolicyUsers ?? []).map((u) => ({ key: `u:${u.UserName}`, name: u.UserName!, type: "User", to: `iam/users/details/${enc(u.UserName!)}` })),
      ...(r.PolicyGroups ?? []).map((g) => ({ key: `g:${g.GroupName}`, name: g.GroupName!, type: "Group", to: `iam/groups/details/${enc(g.GroupName!)}` })),
      ...(r.PolicyRoles ?? []).map((x) => ({ key: `r:${x.RoleName}`, name: x.RoleName!, type: "Role", to: `iam/roles/details/${enc(x.RoleName!)}` })),
    ];
  }, [arn]);
  return (
    <Panel title="Entities attached">
      <ResourceTable
        resourceName="entities"
        items={ents.data}
        loading={ents.loading}
        error={ents.error}
        onRetry={ents.reload}
        rowKey={(e) => e.key}
        columns={[
          { id: "name", header: "Entity name", cell: (e) => <Link to={e.to}>{e.name}</Link> },
          { id: "type", header: "Entity type" },
        ]}
        empty={<p>Not attached to any user, group or role.</p>}
      />
    </Panel>
  );
}
