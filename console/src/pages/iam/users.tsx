/** IAM users: the list, the create-user wizard with its one-time credentials page, and a user's details. */
import { useState, type FormEvent } from "react";
import {
  AddUserToGroupCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DeleteVirtualMFADeviceCommand,
  DetachUserPolicyCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  RemoveUserFromGroupCommand,
  UpdateLoginProfileCommand,
  type Group,
  type User,
} from "@aws-sdk/client-iam";
import { Link, navigate } from "../../router.tsx";
import { sessionState, signInUrl } from "../../session.ts";
import { Checkbox, ConfirmDialog, ErrorAlert, KeyValue, Modal, PageHeader, Panel, ResourceTable, StatusBadge, Tabs, TextField, downloadFile, formatDate, notify, useAsync, useBreadcrumbs } from "../../ui/index.ts";
import { CREDENTIALS_HEADER, IamNav, ageText, enc, generatePassword, iam, isNoSuchEntity, listAll, mapLimit, toCsv } from "./common.tsx";
import { MfaPanel } from "./mfa.tsx";
import { AccessKeysPanel, PermissionsPanel, attachPolicy, PolicyPicker, SecretText, TagsPanel } from "./panels.tsx";

interface UserRow extends User {
  groups?: string[];
  mfa?: boolean;
  console?: boolean;
}

async function loadUsers(): Promise<UserRow[]> {
  const users = await listAll(async (Marker) => {
    const r = await iam().send(new ListUsersCommand({ Marker }));
    return { items: r.Users, marker: r.Marker, truncated: r.IsTruncated };
  });
  return mapLimit(users, 4, async (u) => {
    const [g, m, lp] = await Promise.all([
      iam().send(new ListGroupsForUserCommand({ UserName: u.UserName })).then((r) => (r.Groups ?? []).map((x) => x.GroupName!)).catch(() => undefined),
      iam().send(new ListMFADevicesCommand({ UserName: u.UserName })).then((r) => (r.MFADevices?.length ?? 0) > 0).catch(() => undefined),
      iam().send(new GetLoginProfileCommand({ UserName: u.UserName })).then(() => true, (e: unknown) => (isNoSuchEntity(e) ? false : undefined)),
    ]);
    return { ...u, groups: g, mfa: m, console: lp };
  });
}

export async function listGroupNames(): Promise<Group[]> {
  return listAll(async (Marker) => {
    const r = await iam().send(new ListGroupsCommand({ Marker }));
    return { items: r.Groups, marker: r.Marker, truncated: r.IsTruncated };
  });
}

/** Delete a user as the console does: keys, password, MFA, groups and policies first. */
export async function deleteUser(name: string): Promise<void> {
  const c = iam();
  const keys = (await c.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata ?? [];
  for (const k of keys) await c.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: k.AccessKeyId }));
  await c.send(new DeleteLoginProfileCommand({ UserName: name })).catch((e: unknown) => {
    if (!isNoSuchEntity(e)) throw e;
  });
  for (const d of (await c.send(new ListMFADevicesCommand({ UserName: name }))).MFADevices ?? []) {
    await c.send(new DeactivateMFADeviceCommand({ UserName: name, SerialNumber: d.SerialNumber }));
    await c.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: d.SerialNumber })).catch(() => undefined);
  }
  for (const g of (await c.send(new ListGroupsForUserCommand({ UserName: name }))).Groups ?? []) await c.send(new RemoveUserFromGroupCommand({ UserName: name, GroupName: g.GroupName }));
  for (const p of (await c.send(new ListAttachedUserPoliciesCommand({ UserName: name }))).AttachedPolicies ?? []) await c.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: p.PolicyArn }));
  for (const p of (await c.send(new ListUserPoliciesCommand({ UserName: name }))).PolicyNames ?? []) await c.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: p }));
  await c.send(new DeleteUserCommand({ UserName: name }));
}

export function UsersList() {
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "Users" }]);
  const users = useAsync(loadUsers, []);
  const [selected, setSelected] = useState<string[]>([]);
  const [deleting, setDeleting] = useState(false);
  return (
    <>
      <IamNav current="users" />
      <PageHeader
        title="Users"
        count={users.data?.length}
        description="An IAM user is an identity with long-term credentials: a console password and access keys."
        actions={
          <>
            <button type="button" className="btn" disabled={selected.length === 0} onClick={() => setDeleting(true)}>
              Delete
            </button>
            <Link to="iam/users/create" className="btn btn-primary">
              Create user
            </Link>
          </>
        }
      />
      <ResourceTable<UserRow>
        resourceName="users"
        items={users.data}
        loading={users.loading}
        error={users.error}
        onRetry={users.reload}
        rowKey={(u) => u.UserName!}
        selection="multi"
        selected={selected}
        onSelectionChange={setSelected}
        defaultSort={{ column: "UserName" }}
        columns={[
          { id: "UserName", header: "User name", cell: (u) => <Link to={`iam/users/details/${enc(u.UserName!)}`}>{u.UserName}</Link> },
          { id: "groups", header: "Groups", cell: (u) => (u.groups === undefined ? "-" : u.groups.join(", ") || "None"), sortValue: (u) => u.groups?.join(",") },
          { id: "PasswordLastUsed", header: "Last console sign-in", cell: (u) => (u.console === false ? "No console access" : u.PasswordLastUsed ? ageText(u.PasswordLastUsed) : "Never"), sortValue: (u) => u.PasswordLastUsed?.getTime() },
          { id: "mfa", header: "MFA", cell: (u) => (u.mfa === undefined ? "-" : u.mfa ? <StatusBadge kind="ok">Virtual</StatusBadge> : <StatusBadge kind="neutral">None</StatusBadge>), sortValue: (u) => (u.mfa ? 1 : 0) },
          { id: "CreateDate", header: "Created", cell: (u) => ageText(u.CreateDate), sortValue: (u) => u.CreateDate?.getTime() },
        ]}
        empty={
          <div>
            <p>No users yet.</p>
            <Link to="iam/users/create" className="btn btn-primary">
              Create user
            </Link>
          </div>
        }
      />
      {deleting && (
        <ConfirmDialog
          title={`Delete ${selected.length === 1 ? selected[0] : `${selected.length} users`}?`}
          confirmText="delete"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            for (const n of selected) await deleteUser(n);
            notify(`${selected.length === 1 ? `User ${selected[0]}` : `${selected.length} users`} deleted`);
            setSelected([]);
            users.reload();
          }}
        >
          <p>Their access keys, console password, MFA devices, group memberships and policies are removed first. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

interface CreatedUser {
  userName: string;
  password?: string;
  passwordResetRequired: boolean;
  accessKeyId?: string;
  secret?: string;
  signInUrl: string;
}

function accountSignInUrl(): string {
  const id = sessionState().identity;
  return signInUrl(id?.accountAlias ?? id?.account ?? "");
}

export function CreateUser() {
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "Users", to: "iam/users" }, { label: "Create user" }]);
  const groups = useAsync(listGroupNames, []);
  const [name, setName] = useState("");
  const [consoleAccess, setConsoleAccess] = useState(false);
  const [auto, setAuto] = useState(true);
  const [custom, setCustom] = useState("");
  const [reset, setReset] = useState(true);
  const [accessKey, setAccessKey] = useState(false);
  const [chosenGroups, setChosenGroups] = useState<string[]>([]);
  const [policies, setPolicies] = useState<string[]>([]);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<CreatedUser>();

  const nameError = !tried ? undefined : !name ? "Enter a user name." : !/^[\w+=,.@-]{1,64}$/.test(name) ? "Use up to 64 letters, digits and +=,.@_- only." : undefined;
  const passwordError = tried && consoleAccess && !auto && custom.length < 8 ? "Enter a password of at least 8 characters." : undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!name || !/^[\w+=,.@-]{1,64}$/.test(name) || (consoleAccess && !auto && custom.length < 8)) return;
    setBusy(true);
    setError(undefined);
    let created = false;
    try {
      await iam().send(new CreateUserCommand({ UserName: name }));
      created = true;
      const result: CreatedUser = { userName: name, passwordResetRequired: consoleAccess && reset, signInUrl: accountSignInUrl() };
      if (consoleAccess) {
        const password = auto ? generatePassword() : custom;
        await iam().send(new CreateLoginProfileCommand({ UserName: name, Password: password, PasswordResetRequired: reset }));
        result.password = password;
      }
      for (const g of chosenGroups) await iam().send(new AddUserToGroupCommand({ UserName: name, GroupName: g }));
      for (const p of policies) await attachPolicy({ kind: "user", name }, p);
      if (accessKey) {
        const k = await iam().send(new CreateAccessKeyCommand({ UserName: name }));
        result.accessKeyId = k.AccessKey!.AccessKeyId;
        result.secret = k.AccessKey!.SecretAccessKey;
      }
      notify(`User ${name} created`);
      setDone(result);
    } catch (err) {
      setError(err);
      if (created) notify(`User ${name} was created, but a later step failed`, "error");
    } finally {
      setBusy(false);
    }
  };

  if (done) return <CreatedUserPage created={done} />;

  return (
    <>
      <IamNav current="users" />
      <PageHeader title="Create user" description="Give the user a console password, access keys, or both, and choose what they may do." />
      <form onSubmit={submit} aria-label="Create user" noValidate>
        <Panel title="User details">
          <TextField label="User name" value={name} onChange={setName} error={nameError} required autoComplete="off" hint="Up to 64 characters: letters, digits and +=,.@_-" />
          <Checkbox label="Provide console access" checked={consoleAccess} onChange={setConsoleAccess} hint="The user signs in to the console with a password at the account's sign-in URL." />
          {consoleAccess && (
            <fieldset style={{ border: "1px solid #d5dbdb", borderRadius: 8, padding: "0.75rem 1rem", margin: "0.5rem 0 1rem" }}>
              <legend>Password</legend>
              <div className="checkbox">
                <input type="radio" id="pw-auto" name="pw-kind" checked={auto} onChange={() => setAuto(true)} />
                <label htmlFor="pw-auto">Autogenerated password</label>
              </div>
              <div className="checkbox">
                <input type="radio" id="pw-custom" name="pw-kind" checked={!auto} onChange={() => setAuto(false)} />
                <label htmlFor="pw-custom">Custom password</label>
              </div>
              {!auto && <TextField label="Console password" type="password" autoComplete="new-password" value={custom} onChange={setCustom} error={passwordError} />}
              <Checkbox label="Users must create a new password at next sign-in" checked={reset} onChange={setReset} />
            </fieldset>
          )}
          <Checkbox label="Create an access key" checked={accessKey} onChange={setAccessKey} hint="For the AWS CLI and SDKs. The secret is shown once, on the next page." />
        </Panel>
        <Panel title="Add user to groups">
          {groups.error ? (
            <ErrorAlert error={groups.error} onRetry={groups.reload} />
          ) : groups.loading && !groups.data ? (
            <p className="muted">Loading groups…</p>
          ) : groups.data?.length ? (
            <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
              <legend className="visually-hidden">Groups</legend>
              {groups.data.map((g) => (
                <Checkbox key={g.GroupName} label={g.GroupName!} checked={chosenGroups.includes(g.GroupName!)} onChange={(v) => setChosenGroups(v ? [...chosenGroups, g.GroupName!] : chosenGroups.filter((x) => x !== g.GroupName))} />
              ))}
            </fieldset>
          ) : (
            <p className="muted">
              No groups yet. <Link to="iam/groups/create">Create a group</Link>.
            </p>
          )}
        </Panel>
        <Panel title="Attach policies directly">
          <PolicyPicker selected={policies} onChange={setPolicies} />
        </Panel>
        <ErrorAlert error={error} />
        <div className="actions" style={{ justifyContent: "flex-end", marginTop: "1rem" }}>
          <Link to="iam/users" className="btn">
            Cancel
          </Link>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? "Creating user…" : "Create user"}
          </button>
        </div>
      </form>
    </>
  );
}

function CreatedUserPage({ created }: { created: CreatedUser }) {
  const csv = () =>
    downloadFile(`${created.userName}_credentials.csv`, toCsv(CREDENTIALS_HEADER, [[created.userName, created.password ?? "", created.accessKeyId ?? "", created.secret ?? "", created.signInUrl]]), "text/csv");
  return (
    <>
      <IamNav current="users" />
      <PageHeader title="Retrieve password" description={`User ${created.userName} was created.`} />
      <div role="status" className="alert alert-success">
        <strong className="alert-title">User created successfully</strong>
        <div>This is the only time the password and secret access key can be viewed or downloaded. Download the .csv file or copy them now.</div>
      </div>
      <Panel
        title="Sign-in and credentials"
        actions={
          <button type="button" className="btn btn-primary" onClick={csv}>
            Download .csv file
          </button>
        }
      >
        <KeyValue
          columns={1}
          items={[
            ["Console sign-in URL", created.password ? <a href={created.signInUrl}>{created.signInUrl}</a> : "No console access"],
            ["User name", created.userName],
            ["Console password", created.password ? <SecretText value={created.password} label="Console password" /> : "-"],
            ...(created.password ? ([["Password reset", created.passwordResetRequired ? "Must create a new password at next sign-in" : "Not required"]] as Array<[string, string]>) : []),
            ["Access key ID", created.accessKeyId ? <code>{created.accessKeyId}</code> : "-"],
            ["Secret access key", created.secret ? <SecretText value={created.secret} label="Secret access key" /> : "-"],
          ]}
        />
      </Panel>
      <div className="actions" style={{ justifyContent: "flex-end", marginTop: "1rem" }}>
        <Link to={`iam/users/details/${enc(created.userName)}`} className="btn">
          View user
        </Link>
        <Link to="iam/users" className="btn btn-primary">
          Return to users list
        </Link>
      </div>
    </>
  );
}

export function UserDetail({ name }: { name: string }) {
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "Users", to: "iam/users" }, { label: name }]);
  const user = useAsync(async () => (await iam().send(new GetUserCommand({ UserName: name }))).User!, [name]);
  const login = useAsync(() => iam().send(new GetLoginProfileCommand({ UserName: name })).then((r) => r.LoginProfile, (e: unknown) => (isNoSuchEntity(e) ? null : Promise.reject(e))), [name]);
  const [tab, setTab] = useState("permissions");
  const [deleting, setDeleting] = useState(false);
  if (user.error) {
    return (
      <>
        <IamNav current="users" />
        <PageHeader title={name} />
        <ErrorAlert error={user.error} onRetry={user.reload} />
      </>
    );
  }
  const u = user.data;
  return (
    <>
      <IamNav current="users" />
      <PageHeader
        title={name}
        actions={
          <button type="button" className="btn btn-danger" onClick={() => setDeleting(true)}>
            Delete
          </button>
        }
      />
      <Panel title="Summary">
        <KeyValue
          items={[
            ["ARN", u ? <span className="arn">{u.Arn}</span> : "…"],
            ["Created", formatDate(u?.CreateDate)],
            ["Console access", login.loading && login.data === undefined ? "…" : login.data ? "Enabled" : "Disabled"],
            ["Last console sign-in", u?.PasswordLastUsed ? formatDate(u.PasswordLastUsed) : "Never"],
            ["User ID", u?.UserId],
            ["Path", u?.Path],
          ]}
        />
      </Panel>
      <Tabs
        tabs={[
          { id: "permissions", label: "Permissions" },
          { id: "groups", label: "Groups" },
          { id: "credentials", label: "Security credentials" },
          { id: "tags", label: "Tags" },
        ]}
        active={tab}
        onChange={setTab}
      />
      <div role="tabpanel" aria-labelledby={`tab-${tab}`} style={{ marginTop: "1rem" }}>
        {tab === "permissions" && <PermissionsPanel entity={{ kind: "user", name }} />}
        {tab === "groups" && <UserGroupsPanel name={name} />}
        {tab === "credentials" && (
          <>
            <ConsolePasswordPanel name={name} profile={login} />
            <MfaPanel userName={name} />
            <AccessKeysPanel userName={name} who={name} />
          </>
        )}
        {tab === "tags" && <TagsPanel kind="user" name={name} />}
      </div>
      {deleting && (
        <ConfirmDialog
          title={`Delete ${name}?`}
          confirmText={name}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await deleteUser(name);
            notify(`User ${name} deleted`);
            navigate("iam/users");
          }}
        >
          <p>Its access keys, console password, MFA devices, group memberships and policies are removed first. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function UserGroupsPanel({ name }: { name: string }) {
  const groups = useAsync(async () => (await iam().send(new ListGroupsForUserCommand({ UserName: name }))).Groups ?? [], [name]);
  const all = useAsync(listGroupNames, []);
  const [selected, setSelected] = useState<string[]>([]);
  const [adding, setAdding] = useState(false);
  const [toAdd, setToAdd] = useState<string[]>([]);
  const [removing, setRemoving] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const member = new Set((groups.data ?? []).map((g) => g.GroupName!));
  const candidates = (all.data ?? []).filter((g) => !member.has(g.GroupName!));
  return (
    <Panel
      title="User groups membership"
      actions={
        <>
          <button type="button" className="btn" disabled={selected.length === 0} onClick={() => setRemoving(true)}>
            Remove
          </button>
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
            Add user to groups
          </button>
        </>
      }
    >
      <ResourceTable<Group>
        resourceName="groups"
        items={groups.data}
        loading={groups.loading}
        error={groups.error}
        onRetry={groups.reload}
        rowKey={(g) => g.GroupName!}
        selection="multi"
        selected={selected}
        onSelectionChange={setSelected}
        columns={[
          { id: "GroupName", header: "Group name", cell: (g) => <Link to={`iam/groups/details/${enc(g.GroupName!)}`}>{g.GroupName}</Link> },
          { id: "CreateDate", header: "Created", cell: (g) => formatDate(g.CreateDate), sortValue: (g) => g.CreateDate?.getTime() },
        ]}
        empty={<p>The user is in no group.</p>}
      />
      {adding && (
        <Modal
          title="Add user to groups"
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
                    for (const g of toAdd) await iam().send(new AddUserToGroupCommand({ UserName: name, GroupName: g }));
                    notify(`${name} added to ${toAdd.join(", ")}`);
                    setToAdd([]);
                    setAdding(false);
                    groups.reload();
                  } catch (e) {
                    setError(e);
                  } finally {
                    setBusy(false);
                  }
                }}
              >
                {busy ? "Adding…" : "Add to groups"}
              </button>
            </>
          }
        >
          {all.error ? <ErrorAlert error={all.error} onRetry={all.reload} /> : candidates.length === 0 ? <p>No other groups.</p> : candidates.map((g) => <Checkbox key={g.GroupName} label={g.GroupName!} checked={toAdd.includes(g.GroupName!)} onChange={(v) => setToAdd(v ? [...toAdd, g.GroupName!] : toAdd.filter((x) => x !== g.GroupName))} />)}
          <ErrorAlert error={error} />
        </Modal>
      )}
      {removing && (
        <ConfirmDialog
          title="Remove from groups?"
          confirmLabel="Remove"
          onClose={() => setRemoving(false)}
          onConfirm={async () => {
            for (const g of selected) await iam().send(new RemoveUserFromGroupCommand({ UserName: name, GroupName: g }));
            notify(`${name} removed from ${selected.join(", ")}`);
            setSelected([]);
            groups.reload();
          }}
        >
          <p>
            {name} loses the permissions of {selected.join(", ")}.
          </p>
        </ConfirmDialog>
      )}
    </Panel>
  );
}

function ConsolePasswordPanel({ name, profile }: { name: string; profile: { data: unknown; loading: boolean; error: unknown; reload: () => void } }) {
  const [mode, setMode] = useState<"enable" | "reset" | "disable">();
  const [auto, setAuto] = useState(true);
  const [custom, setCustom] = useState("");
  const [reset, setReset] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [shown, setShown] = useState<string>();
  const enabled = !!profile.data;
  const close = () => {
    setMode(undefined);
    setError(undefined);
    setCustom("");
  };
  return (
    <Panel
      title="Console sign-in"
      actions={
        enabled ? (
          <>
            <button type="button" className="btn" onClick={() => setMode("disable")}>
              Disable console access
            </button>
            <button type="button" className="btn" onClick={() => setMode("reset")}>
              Reset password
            </button>
          </>
        ) : (
          <button type="button" className="btn" onClick={() => setMode("enable")} disabled={profile.loading}>
            Enable console access
          </button>
        )
      }
    >
      {profile.error ? (
        <ErrorAlert error={profile.error} onRetry={profile.reload} />
      ) : (
        <KeyValue columns={2} items={[["Console password", profile.loading && profile.data === undefined ? "…" : enabled ? "Enabled" : "Disabled"], ["Console sign-in link", <code key="u">{accountSignInUrl()}</code>]]} />
      )}
      {shown && (
        <div className="alert alert-success" role="status">
          <strong className="alert-title">New console password</strong>
          <div>
            Shown only now: <SecretText value={shown} label="Console password" />
          </div>
        </div>
      )}
      {mode === "disable" && (
        <ConfirmDialog
          title="Disable console access?"
          confirmLabel="Disable"
          onClose={close}
          onConfirm={async () => {
            await iam().send(new DeleteLoginProfileCommand({ UserName: name }));
            notify(`Console access disabled for ${name}`);
            setShown(undefined);
            profile.reload();
          }}
        >
          <p>{name} can no longer sign in to the console. Access keys keep working.</p>
        </ConfirmDialog>
      )}
      {(mode === "enable" || mode === "reset") && (
        <Modal
          title={mode === "enable" ? "Enable console access" : "Reset console password"}
          onClose={close}
          footer={
            <>
              <button type="button" className="btn" onClick={close}>
                Cancel
              </button>
              <button
                type="button"
                className="btn btn-primary"
                disabled={busy || (!auto && custom.length < 8)}
                onClick={async () => {
                  setBusy(true);
                  setError(undefined);
                  try {
                    const pw = auto ? generatePassword() : custom;
                    if (mode === "enable") await iam().send(new CreateLoginProfileCommand({ UserName: name, Password: pw, PasswordResetRequired: reset }));
                    else await iam().send(new UpdateLoginProfileCommand({ UserName: name, Password: pw, PasswordResetRequired: reset }));
                    notify(mode === "enable" ? `Console access enabled for ${name}` : `Password reset for ${name}`);
                    setShown(pw);
                    close();
                    profile.reload();
                  } catch (e) {
                    setError(e);
                  } finally {
                    setBusy(false);
                  }
                }}
              >
                {busy ? "Saving…" : mode === "enable" ? "Enable" : "Reset password"}
              </button>
            </>
          }
        >
          <div className="checkbox">
            <input type="radio" id="cp-auto" name="cp-kind" checked={auto} onChange={() => setAuto(true)} />
            <label htmlFor="cp-auto">Autogenerated password</label>
          </div>
          <div className="checkbox">
            <input type="radio" id="cp-custom" name="cp-kind" checked={!auto} onChange={() => setAuto(false)} />
            <label htmlFor="cp-custom">Custom password</label>
          </div>
          {!auto && <TextField label="New console password" type="password" autoComplete="new-password" value={custom} onChange={setCustom} hint="At least 8 characters, and what the account's password policy asks." />}
          <Checkbox label="Users must create a new password at next sign-in" checked={reset} onChange={setReset} />
          <ErrorAlert error={error} />
        </Modal>
      )}
    </Panel>
  );
}
