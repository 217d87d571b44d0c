/** IAM user groups: the list, create (with policies and members), and a group's users and permissions. */
import { useState, type FormEvent } from "react";
import {
  AddUserToGroupCommand,
  CreateGroupCommand,
  DeleteGroupCommand,
  DeleteGroupPolicyCommand,
  DetachGroupPolicyCommand,
  GetGroupCommand,
  ListAttachedGroupPoliciesCommand,
  ListGroupPoliciesCommand,
  ListUsersCommand,
  RemoveUserFromGroupCommand,
  type Group,
  type User,
} from "@aws-sdk/client-iam";
import { Link, navigate } from "../../router.tsx";
import { Checkbox, ConfirmDialog, ErrorAlert, KeyValue, Modal, PageHeader, Panel, ResourceTable, Tabs, TextField, formatDate, notify, useAsync, useBreadcrumbs } from "../../ui/index.ts";
import { IamNav, ageText, enc, iam, listAll, mapLimit } from "./common.tsx";
import { PermissionsPanel, PolicyPicker, attachPolicy } from "./panels.tsx";
import { listGroupNames } from "./users.tsx";

interface GroupRow extends Group {
  users?: number;
  policies?: number;
}

async function loadGroups(): Promise<GroupRow[]> {
  const groups = await listGroupNames();
  return mapLimit(groups, 4, async (g) => {
    const [users, att] = await Promise.all([
      iam().send(new GetGroupCommand({ GroupName: g.GroupName })).then((r) => r.Users?.length, () => undefined),
      iam().send(new ListAttachedGroupPoliciesCommand({ GroupName: g.GroupName })).then((r) => r.AttachedPolicies?.length, () => undefined),
    ]);
    return { ...g, users, policies: att };
  });
}

async function listUsers(): Promise<User[]> {
  return listAll(async (Marker) => {
    const r = await iam().send(new ListUsersCommand({ Marker }));
    return { items: r.Users, marker: r.Marker, truncated: r.IsTruncated };
  });
}

export async function deleteGroup(name: string): Promise<void> {
  const c = iam();
  for (const u of (await c.send(new GetGroupCommand({ GroupName: name }))).Users ?? []) await c.send(new RemoveUserFromGroupCommand({ GroupName: name, UserName: u.UserName }));
  for (const p of (await c.send(new ListAttachedGroupPoliciesCommand({ GroupName: name }))).AttachedPolicies ?? []) await c.send(new DetachGroupPolicyCommand({ GroupName: name, PolicyArn: p.PolicyArn }));
  for (const p of (await c.send(new ListGroupPoliciesCommand({ GroupName: name }))).PolicyNames ?? []) await c.send(new DeleteGroupPolicyCommand({ GroupName: name, PolicyName: p }));
  await c.send(new DeleteGroupCommand({ GroupName: name }));
}

export function GroupsList() {
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "User groups" }]);
  const groups = useAsync(loadGroups, []);
  const [selected, setSelected] = useState<string[]>([]);
  const [deleting, setDeleting] = useState(false);
  return (
    <>
      <IamNav current="groups" />
      <PageHeader
        title="User groups"
        count={groups.data?.length}
        description="A group's permissions apply to every user in it."
        actions={
          <>
            <button type="button" className="btn" disabled={selected.length === 0} onClick={() => setDeleting(true)}>
              Delete
            </button>
            <Link to="iam/groups/create" className="btn btn-primary">
              Create group
            </Link>
          </>
        }
      />
      <ResourceTable<GroupRow>
        resourceName="groups"
        items={groups.data}
        loading={groups.loading}
        error={groups.error}
        onRetry={groups.reload}
        rowKey={(g) => g.GroupName!}
        selection="multi"
        selected={selected}
        onSelectionChange={setSelected}
        defaultSort={{ column: "GroupName" }}
        columns={[
          { id: "GroupName", header: "Group name", cell: (g) => <Link to={`iam/groups/details/${enc(g.GroupName!)}`}>{g.GroupName}</Link> },
          { id: "users", header: "Users", cell: (g) => String(g.users ?? "-") },
          { id: "policies", header: "Attached policies", cell: (g) => String(g.policies ?? "-") },
          { id: "CreateDate", header: "Created", cell: (g) => ageText(g.CreateDate), sortValue: (g) => g.CreateDate?.getTime() },
        ]}
        empty={
          <div>
            <p>No groups yet.</p>
            <Link to="iam/groups/create" className="btn btn-primary">
              Create group
            </Link>
          </div>
        }
      />
      {deleting && (
        <ConfirmDialog
          title={`Delete ${selected.length === 1 ? selected[0] : `${selected.length} groups`}?`}
          confirmText="delete"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            for (const n of selected) await deleteGroup(n);
            notify(`${selected.length === 1 ? `Group ${selected[0]}` : `${selected.length} groups`} deleted`);
            setSelected([]);
            groups.reload();
          }}
        >
          <p>Members are removed and policies detached first. The users themselves are kept.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

export function CreateGroup() {
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "User groups", to: "iam/groups" }, { label: "Create group" }]);
  const users = useAsync(listUsers, []);
  const [name, setName] = useState("");
  const [members, setMembers] = useState<string[]>([]);
  const [policies, setPolicies] = useState<string[]>([]);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const nameError = !tried ? undefined : !name ? "Enter a group name." : !/^[\w+=,.@-]{1,128}$/.test(name) ? "Use up to 128 letters, digits and +=,.@_- only." : undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!/^[\w+=,.@-]{1,128}$/.test(name)) return;
    setBusy(true);
    setError(undefined);
    try {
      await iam().send(new CreateGroupCommand({ GroupName: name }));
      for (const p of policies) await attachPolicy({ kind: "group", name }, p);
      for (const u of members) await iam().send(new AddUserToGroupCommand({ GroupName: name, UserName: u }));
      notify(`Group ${name} created`);
      navigate(`iam/groups/details/${enc(name)}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <>
      <IamNav current="groups" />
      <PageHeader title="Create user group" />
      <form onSubmit={submit} aria-label="Create user group" noValidate>
        <Panel title="Name the group">
          <TextField label="User group name" value={name} onChange={setName} error={nameError} required autoComplete="off" hint="Up to 128 characters: letters, digits and +=,.@_-" />
        </Panel>
        <Panel title="Add users to the group">
          {users.error ? (
            <ErrorAlert error={users.error} onRetry={users.reload} />
          ) : users.loading && !users.data ? (
            <p className="muted">Loading users…</p>
          ) : users.data?.length ? (
            <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
              <legend className="visually-hidden">Users</legend>
              {users.data.map((u) => (
                <Checkbox key={u.UserName} label={u.UserName!} checked={members.includes(u.UserName!)} onChange={(v) => setMembers(v ? [...members, u.UserName!] : members.filter((x) => x !== u.UserName))} />
              ))}
            </fieldset>
          ) : (
            <p className="muted">No users yet; add them later.</p>
          )}
        </Panel>
        <Panel title="Attach permissions policies">
          <PolicyPicker selected={policies} onChange={setPolicies} />
        </Panel>
        <ErrorAlert error={error} />
        <div className="actions" style={{ justifyContent: "flex-end", marginTop: "1rem" }}>
          <Link to="iam/groups" className="btn">
            Cancel
          </Link>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? "Creating group…" : "Create group"}
          </button>
        </div>
      </form>
    </>
  );
}

export function GroupDetail({ name }: { name: string }) {
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "User groups", to: "iam/groups" }, { label: name }]);
  const group = useAsync(() => iam().send(new GetGroupCommand({ GroupName: name })), [name]);
  const all = useAsync(listUsers, []);
  const [tab, setTab] = useState("users");
  const [selected, setSelected] = useState<string[]>([]);
  const [adding, setAdding] = useState(false);
  const [toAdd, setToAdd] = useState<string[]>([]);
  const [removing, setRemoving] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  if (group.error) {
    return (
      <>
        <IamNav current="groups" />
        <PageHeader title={name} />
        <ErrorAlert error={group.error} onRetry={group.reload} />
      </>
    );
  }
  const g = group.data?.Group;
  const members = group.data?.Users;
  const inGroup = new Set((members ?? []).map((u) => u.UserName));
  return (
    <>
      <IamNav current="groups" />
      <PageHeader
        title={name}
        actions={
          <button type="button" className="btn btn-danger" onClick={() => setDeleting(true)}>
            Delete
          </button>
        }
      />
      <Panel title="Summary">
        <KeyValue items={[["ARN", g ? <span className="arn">{g.Arn}</span> : "…"], ["Created", formatDate(g?.CreateDate)], ["Users", members ? String(members.length) : "…"]]} />
      </Panel>
      <Tabs
        tabs={[
          { id: "users", label: "Users" },
          { id: "permissions", label: "Permissions" },
        ]}
        active={tab}
        onChange={setTab}
      />
      <div role="tabpanel" aria-labelledby={`tab-${tab}`} style={{ marginTop: "1rem" }}>
        {tab === "users" && (
          <Panel
            title="Users in this group"
            actions={
              <>
                <button type="button" className="btn" disabled={selected.length === 0} onClick={() => setRemoving(true)}>
                  Remove users
                </button>
                <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
                  Add users
                </button>
              </>
            }
          >
            <ResourceTable<User>
              resourceName="users"
              items={members}
              loading={group.loading}
              rowKey={(u) => u.UserName!}
              selection="multi"
              selected={selected}
              onSelectionChange={setSelected}
              columns={[
                { id: "UserName", header: "User name", cell: (u) => <Link to={`iam/users/details/${enc(u.UserName!)}`}>{u.UserName}</Link> },
                { id: "CreateDate", header: "Created", cell: (u) => ageText(u.CreateDate), sortValue: (u) => u.CreateDate?.getTime() },
              ]}
              empty={<p>No users in this group.</p>}
            />
          </Panel>
        )}
        {tab === "permissions" && <PermissionsPanel entity={{ kind: "group", name }} />}
      </div>
      {adding && (
        <Modal
          title="Add users to the group"
          onClose={() => setAdding(false)}
          footer={
            <>
              <button type="button" className="btn" onClick={() => setAdding(false)}>
                Cancel
              </button>
              <button
                type="button"
                className="btn btn-primary"
                disabled={busy || toAdd.length === 0}
                onClick={async () => {
                  setBusy(true);
                  setError(undefined);
                  try {
                    for (const u of toAdd) await iam().send(new AddUserToGroupCommand({ GroupName: name, UserName: u }));
                    notify(`${toAdd.join(", ")} added to ${name}`);
                    setToAdd([]);
                    setAdding(false);
                    group.reload();
                  } catch (e) {
                    setError(e);
                  } finally {
                    setBusy(false);
                  }
                }}
              >
                {busy ? "Adding…" : "Add users"}
              </button>
            </>
          }
        >
          {all.error ? (
            <ErrorAlert error={all.error} onRetry={all.reload} />
          ) : (
            (all.data ?? []).filter((u) => !inGroup.has(u.UserName)).map((u) => <Checkbox key={u.UserName} label={u.UserName!} checked={toAdd.includes(u.UserName!)} onChange={(v) => setToAdd(v ? [...toAdd, u.UserName!] : toAdd.filter((x) => x !== u.UserName))} />)
          )}
          {all.data && all.data.every((u) => inGroup.has(u.UserName)) && <p>Every user is already in this group.</p>}
          <ErrorAlert error={error} />
        </Modal>
      )}
      {removing && (
        <ConfirmDialog
          title="Remove users from the group?"
          confirmLabel="Remove"
          onClose={() => setRemoving(false)}
          onConfirm={async () => {
            for (const u of selected) await iam().send(new RemoveUserFromGroupCommand({ GroupName: name, UserName: u }));
            notify(`${selected.join(", ")} removed from ${name}`);
            setSelected([]);
            group.reload();
          }}
        >
          <p>{selected.join(", ")} will lose this group's permissions.</p>
        </ConfirmDialog>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${name}?`}
          confirmText={name}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await deleteGroup(name);
            notify(`Group ${name} deleted`);
            navigate("iam/groups");
          }}
        >
          <p>Members are removed and policies detached first. The users themselves are kept.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
