/** The IAM dashboard: account ID and alias, the users' sign-in URL, resource counts, security recommendations. */
import { useState } from "react";
import { CreateAccountAliasCommand, DeleteAccountAliasCommand, GetAccountSummaryCommand, GetLoginProfileCommand, ListAccessKeysCommand, ListAccountAliasesCommand, ListMFADevicesCommand, ListUsersCommand } from "@aws-sdk/client-iam";
import { Link } from "../../router.tsx";
import { fetchSession, sessionState, signInUrl } from "../../session.ts";
import { Alert, ConfirmDialog, ErrorAlert, KeyValue, Modal, PageHeader, Panel, TextField, copyText, notify, useAsync, useBreadcrumbs } from "../../ui/index.ts";
import { IamNav, daysSince, enc, iam, isNoSuchEntity, listAll, mapLimit } from "./common.tsx";

interface Findings {
  oldKeys: Array<{ user: string; key: string; days: number }>;
  noMfa: string[];
}

async function scanUsers(): Promise<Findings> {
  const users = await listAll(async (Marker) => {
    const r = await iam().send(new ListUsersCommand({ Marker }));
    return { items: r.Users, marker: r.Marker, truncated: r.IsTruncated };
  });
  const out: Findings = { oldKeys: [], noMfa: [] };
  await mapLimit(users, 4, async (u) => {
    const [keys, mfa, hasPassword] = await Promise.all([
      iam().send(new ListAccessKeysCommand({ UserName: u.UserName })),
      iam().send(new ListMFADevicesCommand({ UserName: u.UserName })),
      iam().send(new GetLoginProfileCommand({ UserName: u.UserName })).then(() => true, (e: unknown) => (isNoSuchEntity(e) ? false : Promise.reject(e))),
    ]);
    for (const k of keys.AccessKeyMetadata ?? []) {
      const days = daysSince(k.CreateDate) ?? 0;
      if (k.Status === "Active" && days > 90) out.oldKeys.push({ user: u.UserName!, key: k.AccessKeyId!, days });
    }
    if (hasPassword && (mfa.MFADevices?.length ?? 0) === 0) out.noMfa.push(u.UserName!);
  });
  out.noMfa.sort();
  return out;
}

const ALIAS = /^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$/;

export function Dashboard() {
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "Dashboard" }]);
  const identity = sessionState().identity;
  const account = identity?.account ?? "";
  const summary = useAsync(async () => (await iam().send(new GetAccountSummaryCommand({}))).SummaryMap ?? {}, []);
  const aliases = useAsync(async () => (await iam().send(new ListAccountAliasesCommand({}))).AccountAliases ?? [], []);
  const findings = useAsync(scanUsers, []);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [aliasError, setAliasError] = useState<unknown>();
  const [invalid, setInvalid] = useState<string>();

  const alias = aliases.data?.[0];
  const url = signInUrl(alias ?? account);
  const s = summary.data;

  const saveAlias = async () => {
    const v = draft.trim();
    if (!ALIAS.test(v) || v.length < 3 || v.length > 63) {
      setInvalid("3 to 63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit.");
      return;
    }
    setInvalid(undefined);
    setBusy(true);
    setAliasError(undefined);
    try {
      if (alias && alias !== v) {
        await iam().send(new DeleteAccountAliasCommand({ AccountAlias: alias }));
        try {
          await iam().send(new CreateAccountAliasCommand({ AccountAlias: v }));
        } catch (e) {
          await iam().send(new CreateAccountAliasCommand({ AccountAlias: alias })).catch(() => undefined);
          throw e;
        }
      } else if (!alias) await iam().send(new CreateAccountAliasCommand({ AccountAlias: v }));
      notify(`Account alias set to ${v}`);
      setEditing(false);
      aliases.reload();
      void fetchSession().catch(() => undefined);
    } catch (e) {
      setAliasError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <IamNav current="" />
      <PageHeader title="IAM dashboard" description="Identity and Access Management: who can sign in to this account, and what they may do." />
      <Panel title="Security recommendations">
        {summary.error ? (
          <ErrorAlert error={summary.error} onRetry={summary.reload} />
        ) : !s ? (
          <p className="muted">Checking the root user…</p>
        ) : s.AccountMFAEnabled ? (
          <Alert kind="success" title="The root user has MFA">
            Signing in as the root user asks for a code from its MFA device.
          </Alert>
        ) : (
          <Alert kind="warning" title="Add MFA for the root user">
            The root user can do anything in the account. Assign an MFA device so a stolen password alone cannot sign in.{" "}
            {identity?.type === "root" ? <Link to="iam/security-credentials">Add MFA</Link> : "Only the root user can add it, from its security credentials."}
          </Alert>
        )}
        {findings.error ? (
          <ErrorAlert error={findings.error} onRetry={findings.reload} />
        ) : !findings.data ? (
          <p className="muted">Checking users' access keys and MFA…</p>
        ) : (
          <>
            {findings.data.oldKeys.length > 0 ? (
              <Alert kind="warning" title="Rotate access keys older than 90 days">
                <ul style={{ margin: "0.25rem 0 0", paddingLeft: "1.25rem" }}>
                  {findings.data.oldKeys.map((k) => (
                    <li key={k.key}>
                      <Link to={`iam/users/details/${enc(k.user)}`}>{k.user}</Link>: <code>{k.key}</code>, {k.days} days old
                    </li>
                  ))}
                </ul>
              </Alert>
            ) : (
              <Alert kind="success" title="No active access key is older than 90 days" />
            )}
            {findings.data.noMfa.length > 0 ? (
              <Alert kind="warning" title="Users with a console password but no MFA">
                {findings.data.noMfa.map((u, i) => (
                  <span key={u}>
                    {i > 0 && ", "}
                    <Link to={`iam/users/details/${enc(u)}`}>{u}</Link>
                  </span>
                ))}
              </Alert>
            ) : (
              <Alert kind="success" title="Every user with a console password has MFA" />
            )}
          </>
        )}
      </Panel>
      <Panel
        title="AWS account"
        actions={
          <>
            {alias && (
              <button type="button" className="btn" onClick={() => setDeleting(true)}>
                Delete alias
              </button>
            )}
            <button
              type="button"
              className="btn"
              disabled={aliases.loading && !aliases.data}
              onClick={() => {
                setDraft(alias ?? "");
                setInvalid(undefined);
                setAliasError(undefined);
                setEditing(true);
              }}
            >
              {alias ? "Edit alias" : "Create alias"}
            </button>
          </>
        }
      >
        <ErrorAlert error={aliases.error} onRetry={aliases.reload} />
        <KeyValue
          columns={2}
          items={[
            ["Account ID", <span key="id" className="account-id-value">{account}</span>],
            ["Account alias", aliases.error ? "Unknown" : aliases.loading && !aliases.data ? "…" : (alias ?? "None")],
          ]}
        />
        <div style={{ marginTop: "0.75rem" }}>
          <div className="muted">Sign-in URL for IAM users in this account</div>
          <div style={{ display: "flex", flexWrap: "wrap", gap: "0.5rem", alignItems: "center" }}>
            <code aria-label="Sign-in URL" style={{ wordBreak: "break-all" }}>
              {url}
            </code>
            <button type="button" className="btn" onClick={() => copyText(url, "Sign-in URL")}>
              Copy sign-in URL
            </button>
          </div>
        </div>
      </Panel>
      <Panel title="IAM resources">
        {summary.error ? (
          <ErrorAlert error={summary.error} onRetry={summary.reload} />
        ) : (
          <KeyValue
            columns={5}
            items={[
              ["User groups", s ? <Link key="g" to="iam/groups">{s.Groups ?? 0}</Link> : "…"],
              ["Users", s ? <Link key="u" to="iam/users">{s.Users ?? 0}</Link> : "…"],
              ["Roles", s ? <Link key="r" to="iam/roles">{s.Roles ?? 0}</Link> : "…"],
              ["Customer managed policies", s ? <Link key="p" to="iam/policies?type=Local">{s.Policies ?? 0}</Link> : "…"],
              ["MFA devices in use", s ? String(s.MFADevicesInUse ?? 0) : "…"],
            ]}
          />
        )}
      </Panel>
      {editing && (
        <Modal
          title={alias ? "Edit account alias" : "Create account alias"}
          onClose={() => setEditing(false)}
          footer={
            <>
              <button type="button" className="btn" onClick={() => setEditing(false)}>
                Cancel
              </button>
              <button type="button" className="btn btn-primary" disabled={busy} onClick={saveAlias}>
                {busy ? "Saving…" : "Save changes"}
              </button>
            </>
          }
        >
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void saveAlias();
            }}
          >
            <TextField label="Preferred alias" value={draft} onChange={setDraft} error={invalid} hint="Unique across Nimbus: lower-case letters, digits and hyphens. IAM users sign in with it instead of the account ID." autoComplete="off" />
          </form>
          <ErrorAlert error={aliasError} />
        </Modal>
      )}
      {deleting && alias && (
        <ConfirmDialog
          title={`Delete the alias ${alias}?`}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await iam().send(new DeleteAccountAliasCommand({ AccountAlias: alias }));
            notify("Account alias deleted");
            aliases.reload();
            void fetchSession().catch(() => undefined);
          }}
        >
          <p>IAM users then sign in with the account ID ({account}); the alias URL stops working.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
