/** IAM roles: the list, create (trusted entity with templates, trust policy editor, permissions), and a role's details. */
import { useState, type FormEvent } from "react";
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  RemoveRoleFromInstanceProfileCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  type Role,
} from "@aws-sdk/client-iam";
import { errorMessage } from "../../aws.ts";
import { Link, navigate } from "../../router.tsx";
import { sessionState } from "../../session.ts";
import { ConfirmDialog, ErrorAlert, JsonEditor, KeyValue, PageHeader, Panel, ResourceTable, SelectField, Tabs, TextField, formatDate, jsonProblem, notify, useAsync, useBreadcrumbs } from "../../ui/index.ts";
import { IamNav, ageText, decodeDocument, enc, iam, listAll } from "./common.tsx";
import { PermissionsPanel, PolicyPicker, TagsPanel, attachPolicy } from "./panels.tsx";

export const SERVICES = ["lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "states.amazonaws.com", "events.amazonaws.com", "apigateway.amazonaws.com", "sns.amazonaws.com", "firehose.amazonaws.com", "cloudformation.amazonaws.com"];

export function trustTemplate(kind: string, service: string, account: string, requireMfa: boolean): string {
  const principal = kind === "service" ? { Service: service } : { AWS: `arn:aws:iam::${account || "123456789012"}:root` };
  const statement: Record<string, unknown> = { Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" };
  if (kind === "account" && requireMfa) statement.Condition = { Bool: { "aws:MultiFactorAuthPresent": "true" } };
  return JSON.stringify({ Version: "2012-10-17", Statement: [statement] }, null, 2);
}

/** Who a trust policy lets assume the role, in a few words. */
export function trustedEntities(doc: string | undefined): string {
  try {
    const d = JSON.parse(decodeDocument(doc)) as { Statement?: unknown };
    const statements = (Array.isArray(d.Statement) ? d.Statement : [d.Statement]) as Array<{ Principal?: unknown }>;
    const out: string[] = [];
    for (const s of statements) {
      const p = s?.Principal;
      if (p === "*") out.push("Anyone");
      else if (p && typeof p === "object") {
        for (const [k, v] of Object.entries(p as Record<string, unknown>)) {
          const vals = Array.isArray(v) ? v : [v];
          for (const x of vals) out.push(k === "Service" ? `AWS service: ${String(x).replace(/\.amazonaws\.com$/, "")}` : k === "AWS" ? `Account: ${/arn:aws:iam::(\d{12})/.exec(String(x))?.[1] ?? x}` : `${k}: ${x}`);
        }
      }
    }
    return out.join(", ") || "-";
  } catch {
    return "-";
  }
}

async function loadRoles(): Promise<Role[]> {
  return listAll(async (Marker) => {
    const r = await iam().send(new ListRolesCommand({ Marker }));
    return { items: r.Roles, marker: r.Marker, truncated: r.IsTruncated };
  });
}

export async function deleteRole(name: string): Promise<void> {
  const c = iam();
  for (const p of (await c.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies ?? []) await c.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: p.PolicyArn }));
  for (const p of (await c.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? []) await c.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: p }));
  const profiles = await c.send(new ListInstanceProfilesForRoleCommand({ RoleName: name })).then((r) => r.InstanceProfiles ?? [], () => []);
  for (const ip of profiles) await c.send(new RemoveRoleFromInstanceProfileCommand({ RoleName: name, InstanceProfileName: ip.InstanceProfileName }));
  await c.send(new DeleteRoleCommand({ RoleName: name }));
}

export function RolesList() {
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "Roles" }]);
  const roles = useAsync(loadRoles, []);
  const [selected, setSelected] = useState<string[]>([]);
  const [deleting, setDeleting] = useState(false);
  return (
    <>
      <IamNav current="roles" />
      <PageHeader
        title="Roles"
        count={roles.data?.length}
        description="A role is an identity with permissions that trusted entities (AWS services, accounts, users) assume for temporary credentials."
        actions={
          <>
            <button type="button" className="btn" disabled={selected.length === 0} onClick={() => setDeleting(true)}>
              Delete
            </button>
            <Link to="iam/roles/create" className="btn btn-primary">
              Create role
            </Link>
          </>
        }
      />
      <ResourceTable<Role>
        resourceName="roles"
        items={roles.data}
        loading={roles.loading}
        error={roles.error}
        onRetry={roles.reload}
        rowKey={(r) => r.RoleName!}
        selection="multi"
        selected={selected}
        onSelectionChange={setSelected}
        defaultSort={{ column: "RoleName" }}
        columns={[
          { id: "RoleName", header: "Role name", cell: (r) => <Link to={`iam/roles/details/${enc(r.RoleName!)}`}>{r.RoleName}</Link> },
          { id: "trusted", header: "Trusted entities", cell: (r) => trustedEntities(r.AssumeRolePolicyDocument), sortValue: (r) => trustedEntities(r.AssumeRolePolicyDocument) },
          { id: "CreateDate", header: "Created", cell: (r) => ageText(r.CreateDate), sortValue: (r) => r.CreateDate?.getTime() },
        ]}
        empty={
          <div>
            <p>No roles yet.</p>
            <Link to="iam/roles/create" className="btn btn-primary">
              Create role
            </Link>
          </div>
        }
      />
      {deleting && (
        <ConfirmDialog
          title={`Delete ${selected.length === 1 ? selected[0] : `${selected.length} roles`}?`}
          confirmText="delete"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            for (const n of selected) await deleteRole(n);
            notify(`${selected.length === 1 ? `Role ${selected[0]}` : `${selected.length} roles`} deleted`);
            setSelected([]);
            roles.reload();
          }}
        >
          <p>Policies are detached first. Whatever assumes these roles loses access.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

export function CreateRole() {
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "Roles", to: "iam/roles" }, { label: "Create role" }]);
  const own = sessionState().identity?.account ?? "";
  const [kind, setKind] = useState("service");
  const [service, setService] = useState(SERVICES[0]!);
  const [account, setAccount] = useState(own);
  const [mfa, setMfa] = useState(false);
  const [trust, setTrust] = useState(() => trustTemplate("service", SERVICES[0]!, own, false));
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [policies, setPolicies] = useState<string[]>([]);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [trustError, setTrustError] = useState<string>();

  const retemplate = (k: string, s: string, a: string, m: boolean) => {
    if (k !== "custom") setTrust(trustTemplate(k, s, a, m));
  };
  const nameError = !tried ? undefined : !name ? "Enter a role name." : !/^[\w+=,.@-]{1,64}$/.test(name) ? "Use up to 64 letters, digits and +=,.@_- only." : undefined;
  const accountError = kind === "account" && !/^\d{12}$/.test(account) ? "An account ID is 12 digits." : undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!/^[\w+=,.@-]{1,64}$/.test(name) || jsonProblem(trust) || accountError) return;
    setBusy(true);
    setError(undefined);
    setTrustError(undefined);
    try {
      await iam().send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust, ...(description ? { Description: description } : {}) }));
      for (const p of policies) await attachPolicy({ kind: "role", name }, p);
      notify(`Role ${name} created`);
      navigate(`iam/roles/details/${enc(name)}`);
    } catch (err) {
      if (/MalformedPolicyDocument/.test((err as { name?: string }).name ?? "")) setTrustError(errorMessage(err));
      else setError(err);
      setBusy(false);
    }
  };

  return (
    <>
      <IamNav current="roles" />
      <PageHeader title="Create role" />
      <form onSubmit={submit} aria-label="Create role" noValidate>
        <Panel title="Trusted entity">
          <SelectField
            label="Trusted entity type"
            value={kind}
            onChange={(k) => {
              setKind(k);
              retemplate(k, service, account, mfa);
            }}
            options={[
              { value: "service", label: "AWS service" },
              { value: "account", label: "AWS account" },
              { value: "custom", label: "Custom trust policy" },
            ]}
          />
          {kind === "service" && (
            <SelectField
              label="Service"
              hint="The service that assumes the role, e.g. Lambda for a function's execution role."
              value={service}
              onChange={(s) => {
                setService(s);
                retemplate(kind, s, account, mfa);
              }}
              options={SERVICES}
            />
          )}
          {kind === "account" && (
            <>
              <TextField
                label="Account ID"
                value={account}
                error={accountError}
                inputMode="numeric"
                onChange={(a) => {
                  setAccount(a);
                  retemplate(kind, service, a, mfa);
                }}
              />
              <div className="checkbox">
                <input
                  id="role-mfa"
                  type="checkbox"
                  checked={mfa}
                  onChange={(e) => {
                    setMfa(e.target.checked);
                    retemplate(kind, service, account, e.target.checked);
                  }}
                />
                <label htmlFor="role-mfa">Require MFA</label>
              </div>
            </>
          )}
          <JsonEditor label="Trust policy" value={trust} onChange={setTrust} rows={12} hint="Who may assume the role. The choices above fill it in; edit it freely." extraError={trustError} />
        </Panel>
        <Panel title="Permissions policies">
          <PolicyPicker selected={policies} onChange={setPolicies} />
        </Panel>
        <Panel title="Role details">
          <TextField label="Role name" value={name} onChange={setName} error={nameError} required autoComplete="off" />
          <TextField label="Description" value={description} onChange={setDescription} maxLength={1000} />
        </Panel>
        <ErrorAlert error={error} />
        <div className="actions" style={{ justifyContent: "flex-end", marginTop: "1rem" }}>
          <Link to="iam/roles" className="btn">
            Cancel
          </Link>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? "Creating role…" : "Create role"}
          </button>
        </div>
      </form>
    </>
  );
}

export function RoleDetail({ name }: { name: string }) {
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "Roles", to: "iam/roles" }, { label: name }]);
  const role = useAsync(async () => (await iam().send(new GetRoleCommand({ RoleName: name }))).Role!, [name]);
  const [tab, setTab] = useState("permissions");
  const [deleting, setDeleting] = useState(false);
  if (role.error) {
    return (
      <>
        <IamNav current="roles" />
        <PageHeader title={name} />
        <ErrorAlert error={role.error} onRetry={role.reload} />
      </>
    );
  }
  const r = role.data;
  return (
    <>
      <IamNav current="roles" />
      <PageHeader
        title={name}
        description={r?.Description}
        actions={
          <button type="button" className="btn btn-danger" onClick={() => setDeleting(true)}>
            Delete
          </button>
        }
      />
      <Panel title="Summary">
        <KeyValue
          items={[
            ["ARN", r ? <span className="arn">{r.Arn}</span> : "…"],
            ["Created", formatDate(r?.CreateDate)],
            ["Maximum session duration", r?.MaxSessionDuration ? `${r.MaxSessionDuration / 3600} hour${r.MaxSessionDuration === 3600 ? "" : "s"}` : "-"],
            ["Last used", r?.RoleLastUsed?.LastUsedDate ? formatDate(r.RoleLastUsed.LastUsedDate) : "Never"],
            ["Role ID", r?.RoleId],
            ["Path", r?.Path],
          ]}
        />
      </Panel>
      <Tabs
        tabs={[
          { id: "permissions", label: "Permissions" },
          { id: "trust", label: "Trust relationships" },
          { id: "tags", label: "Tags" },
        ]}
        active={tab}
        onChange={setTab}
      />
      <div role="tabpanel" aria-labelledby={`tab-${tab}`} style={{ marginTop: "1rem" }}>
        {tab === "permissions" && <PermissionsPanel entity={{ kind: "role", name }} />}
        {tab === "trust" && r && <TrustPanel role={r} onSaved={role.reload} />}
        {tab === "tags" && <TagsPanel kind="role" name={name} />}
      </div>
      {deleting && (
        <ConfirmDialog
          title={`Delete ${name}?`}
          confirmText={name}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await deleteRole(name);
            notify(`Role ${name} deleted`);
            navigate("iam/roles");
          }}
        >
          <p>Policies are detached first. Whatever assumes this role loses access.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function TrustPanel({ role, onSaved }: { role: Role; onSaved: () => void }) {
  const [doc, setDoc] = useState(() => decodeDocument(role.AssumeRolePolicyDocument));
  const [description, setDescription] = useState(role.Description ?? "");
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<string>();
  return (
    <Panel
      title="Trust policy"
      actions={
        <button
          type="button"
          className="btn btn-primary"
          disabled={busy || !!jsonProblem(doc)}
          onClick={async () => {
            setBusy(true);
            setServerError(undefined);
            try {
              await iam().send(new UpdateAssumeRolePolicyCommand({ RoleName: role.RoleName, PolicyDocument: doc }));
              if (description !== (role.Description ?? "")) await iam().send(new UpdateRoleCommand({ RoleName: role.RoleName, Description: description }));
              notify("Trust policy updated");
              onSaved();
            } catch (e) {
              setServerError(errorMessage(e));
            } finally {
              setBusy(false);
            }
          }}
        >
          {busy ? "Saving…" : "Update policy"}
        </button>
      }
    >
      <p className="muted">Trusted entities: {trustedEntities(role.AssumeRolePolicyDocument)}</p>
      <JsonEditor label="Trust policy document" value={doc} onChange={setDoc} extraError={serverError} />
      <TextField label="Role description" value={description} onChange={setDescription} maxLength={1000} />
    </Panel>
  );
}
