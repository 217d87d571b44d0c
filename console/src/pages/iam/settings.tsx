/** Account settings (the password policy) and the signed-in principal's own security credentials. */
import { useEffect, useState, type FormEvent } from "react";
import { ChangePasswordCommand, DeleteAccountPasswordPolicyCommand, GetAccountPasswordPolicyCommand, UpdateAccountPasswordPolicyCommand, type PasswordPolicy } from "@aws-sdk/client-iam";
import { sessionState } from "../../session.ts";
import { Checkbox, ConfirmDialog, ErrorAlert, KeyValue, PageHeader, Panel, TextField, notify, useAsync, useBreadcrumbs } from "../../ui/index.ts";
import { IamNav, iam, isNoSuchEntity } from "./common.tsx";
import { MfaPanel } from "./mfa.tsx";
import { AccessKeysPanel } from "./panels.tsx";

interface Draft {
  min: string;
  upper: boolean;
  lower: boolean;
  numbers: boolean;
  symbols: boolean;
  allowChange: boolean;
  expire: boolean;
  maxAge: string;
  reuse: boolean;
  reuseCount: string;
  hardExpiry: boolean;
}

const fromPolicy = (p: PasswordPolicy | null | undefined): Draft => ({
  min: String(p?.MinimumPasswordLength ?? 8),
  upper: !!p?.RequireUppercaseCharacters,
  lower: !!p?.RequireLowercaseCharacters,
  numbers: !!p?.RequireNumbers,
  symbols: !!p?.RequireSymbols,
  allowChange: p ? !!p.AllowUsersToChangePassword : true,
  expire: !!p?.MaxPasswordAge,
  maxAge: String(p?.MaxPasswordAge ?? 90),
  reuse: !!p?.PasswordReusePrevention,
  reuseCount: String(p?.PasswordReusePrevention ?? 5),
  hardExpiry: !!p?.HardExpiry,
});

export function AccountSettings() {
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "Account settings" }]);
  const policy = useAsync(() => iam().send(new GetAccountPasswordPolicyCommand({})).then((r) => r.PasswordPolicy ?? null, (e: unknown) => (isNoSuchEntity(e) ? null : Promise.reject(e))), []);
  const [editing, setEditing] = useState(false);
  const [d, setD] = useState<Draft>(fromPolicy(undefined));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [resetting, setResetting] = useState(false);
  useEffect(() => {
    if (policy.data !== undefined) setD(fromPolicy(policy.data));
  }, [policy.data]);
  const up = (patch: Partial<Draft>) => setD({ ...d, ...patch });
  const minError = !/^\d+$/.test(d.min) || +d.min < 6 || +d.min > 128 ? "From 6 to 128." : undefined;
  const ageError = d.expire && (!/^\d+$/.test(d.maxAge) || +d.maxAge < 1 || +d.maxAge > 1095) ? "From 1 to 1095 days." : undefined;
  const reuseError = d.reuse && (!/^\d+$/.test(d.reuseCount) || +d.reuseCount < 1 || +d.reuseCount > 24) ? "From 1 to 24." : undefined;
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (minError || ageError || reuseError) return;
    setBusy(true);
    setError(undefined);
    try {
      await iam().send(
        new UpdateAccountPasswordPolicyCommand({
          MinimumPasswordLength: +d.min,
          RequireUppercaseCharacters: d.upper,
          RequireLowercaseCharacters: d.lower,
          RequireNumbers: d.numbers,
          RequireSymbols: d.symbols,
          AllowUsersToChangePassword: d.allowChange,
          ...(d.expire ? { MaxPasswordAge: +d.maxAge, HardExpiry: d.hardExpiry } : {}),
          ...(d.reuse ? { PasswordReusePrevention: +d.reuseCount } : {}),
        }),
      );
      notify("Password policy saved");
      setEditing(false);
      policy.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const p = policy.data;
  return (
    <>
      <IamNav current="account-settings" />
      <PageHeader title="Account settings" />
      <Panel
        title="Password policy"
        actions={
          !editing && (
            <>
              {p && (
                <button type="button" className="btn" onClick={() => setResetting(true)}>
                  Reset to default
                </button>
              )}
              <button type="button" className="btn btn-primary" disabled={policy.loading && policy.data === undefined} onClick={() => setEditing(true)}>
                Edit
              </button>
            </>
          )
        }
      >
        {policy.error ? (
          <ErrorAlert error={policy.error} onRetry={policy.reload} />
        ) : editing ? (
          <form onSubmit={save} aria-label="Password policy" noValidate>
            <TextField label="Minimum password length" inputMode="numeric" value={d.min} onChange={(v) => up({ min: v })} error={minError} />
            <Checkbox label="Require at least one uppercase letter (A-Z)" checked={d.upper} onChange={(v) => up({ upper: v })} />
            <Checkbox label="Require at least one lowercase letter (a-z)" checked={d.lower} onChange={(v) => up({ lower: v })} />
            <Checkbox label="Require at least one number (0-9)" checked={d.numbers} onChange={(v) => up({ numbers: v })} />
            <Checkbox label="Require at least one non-alphanumeric character" checked={d.symbols} onChange={(v) => up({ symbols: v })} />
            <Checkbox label="Allow users to change their own password" checked={d.allowChange} onChange={(v) => up({ allowChange: v })} />
            <Checkbox label="Turn on password expiration" checked={d.expire} onChange={(v) => up({ expire: v })} />
            {d.expire && (
              <>
                <TextField label="Expire passwords in (days)" inputMode="numeric" value={d.maxAge} onChange={(v) => up({ maxAge: v })} error={ageError} />
                <Checkbox label="Password expiration requires administrator reset" checked={d.hardExpiry} onChange={(v) => up({ hardExpiry: v })} />
              </>
            )}
            <Checkbox label="Prevent password reuse" checked={d.reuse} onChange={(v) => up({ reuse: v })} />
            {d.reuse && <TextField label="Remember passwords (1 to 24)" inputMode="numeric" value={d.reuseCount} onChange={(v) => up({ reuseCount: v })} error={reuseError} />}
            <ErrorAlert error={error} />
            <div className="actions" style={{ justifyContent: "flex-end" }}>
              <button
                type="button"
                className="btn"
                onClick={() => {
                  setEditing(false);
                  setD(fromPolicy(p));
                }}
              >
                Cancel
              </button>
              <button type="submit" className="btn btn-primary" disabled={busy}>
                {busy ? "Saving…" : "Save changes"}
              </button>
            </div>
          </form>
        ) : policy.data === undefined ? (
          <p className="muted">Loading…</p>
        ) : (
          <>
            {!p && <p>This account uses the default password policy: at least 8 characters mixing three of upper case, lower case, digits and symbols.</p>}
            {p && (
              <KeyValue
                columns={2}
                items={[
                  ["Minimum length", String(p.MinimumPasswordLength ?? 6)],
                  [
                    "Requires",
                    [p.RequireUppercaseCharacters && "an uppercase letter", p.RequireLowercaseCharacters && "a lowercase letter", p.RequireNumbers && "a number", p.RequireSymbols && "a symbol"].filter(Boolean).join(", ") || "Nothing more",
                  ],
                  ["Users may change their password", p.AllowUsersToChangePassword ? "Yes" : "No"],
                  ["Expiration", p.MaxPasswordAge ? `${p.MaxPasswordAge} days${p.HardExpiry ? ", then an administrator must reset it" : ""}` : "Never"],
                  ["Reuse prevention", p.PasswordReusePrevention ? `Last ${p.PasswordReusePrevention} passwords` : "Off"],
                ]}
              />
            )}
          </>
        )}
      </Panel>
      {resetting && (
        <ConfirmDialog
          title="Reset the password policy?"
          confirmLabel="Reset"
          onClose={() => setResetting(false)}
          onConfirm={async () => {
            await iam().send(new DeleteAccountPasswordPolicyCommand({}));
            notify("Password policy reset to the default");
            policy.reload();
          }}
        >
          <p>The account goes back to the default password policy.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

export function SecurityCredentials() {
  useBreadcrumbs([{ label: "IAM", to: "iam" }, { label: "My security credentials" }]);
  const id = sessionState().identity;
  const root = id?.type === "root";
  return (
    <>
      <IamNav current="security-credentials" />
      <PageHeader title="My security credentials" description={root ? "Root user: the account's owner, with full access. Protect it with MFA and use IAM users for everyday work." : `IAM user ${id?.userName ?? ""}`} />
      <Panel title="Account details">
        <KeyValue columns={2} items={[["Account ID", id?.account], ["Signed in as", <span key="a" className="arn">{id?.arn}</span>], ...(id?.email ? ([["Email", id.email]] as Array<[string, string]>) : [])]} />
      </Panel>
      {root ? (
        <>
          <MfaPanel root />
          <AccessKeysPanel who="root" />
        </>
      ) : (
        <>
          <ChangePasswordPanel />
          <MfaPanel userName={id?.userName} />
          <AccessKeysPanel userName={id?.userName} who={id?.userName ?? "user"} />
        </>
      )}
    </>
  );
}

function ChangePasswordPanel() {
  const [old, setOld] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const mismatch = tried && next !== confirm ? "The passwords do not match." : undefined;
  return (
    <Panel title="Console password">
      <form
        aria-label="Change password"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setTried(true);
          if (!old || !next || next !== confirm) return;
          setBusy(true);
          setError(undefined);
          try {
            await iam().send(new ChangePasswordCommand({ OldPassword: old, NewPassword: next }));
            notify("Password changed");
            setOld("");
            setNext("");
            setConfirm("");
            setTried(false);
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <TextField label="Current password" type="password" autoComplete="current-password" value={old} onChange={setOld} error={tried && !old ? "Enter your current password." : undefined} />
        <TextField label="New password" type="password" autoComplete="new-password" value={next} onChange={setNext} error={tried && !next ? "Enter a new password." : undefined} />
        <TextField label="Confirm new password" type="password" autoComplete="new-password" value={confirm} onChange={setConfirm} error={mismatch} />
        <ErrorAlert error={error} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Changing…" : "Change password"}
        </button>
      </form>
    </Panel>
  );
}
