/** Sign-in (root or IAM user), the MFA step, the forced password change, and sign-up. */
import { useEffect, useState, type FormEvent } from "react";
import { Link, navigate } from "../router.tsx";
import { fetchSession, post, sessionState } from "../session.ts";
import { ErrorAlert, Tabs, TextField, Alert } from "../ui/index.ts";

type Stage = "credentials" | "mfa" | "password-change";

function afterSignIn(): Promise<void> {
  return fetchSession().then((s) => {
    if (s.signedIn) {
      const next = new URLSearchParams(location.search).get("next");
      navigate(next && !next.startsWith("signin") && !next.startsWith("/") ? next : "", { replace: true });
    }
  });
}

export function SignIn({ account }: { account?: string }) {
  const pending = sessionState().stage;
  const [kind, setKind] = useState<"root" | "iam">(account ? "iam" : "root");
  const [stage, setStage] = useState<Stage>(pending === "mfa" || pending === "password-change" ? pending : "credentials");
  const [email, setEmail] = useState("");
  const [accountId, setAccountId] = useState(account ? decodeURIComponent(account) : "");
  const [userName, setUserName] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = "Sign in | Nimbus console";
  }, []);

  const run = async (e: FormEvent, fn: () => Promise<void>) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const advance = async (r: { stage: string }) => {
    if (r.stage === "active") await afterSignIn();
    else setStage(r.stage as Stage);
  };

  return (
    <div className="signin-page">
      <main className="signin-card" id="main">
        <div className="signin-brand">
          <span aria-hidden="true">☁</span> Nimbus
        </div>
        {stage === "credentials" && (
          <>
            <h1>Sign in</h1>
            <Tabs
              tabs={[
                { id: "root", label: "Root user" },
                { id: "iam", label: "IAM user" },
              ]}
              active={kind}
              onChange={(k) => setKind(k as "root" | "iam")}
            />
            <form
              aria-label={kind === "root" ? "Root user sign-in" : "IAM user sign-in"}
              onSubmit={(e) =>
                run(e, async () => {
                  const r = await post<{ stage: string }>("signin", kind === "root" ? { type: "root", email, password } : { type: "iam", account: accountId, userName, password });
                  await advance(r);
                })
              }
            >
              {kind === "root" ? (
                <TextField label="Root user email address" type="email" autoComplete="username" required value={email} onChange={setEmail} />
              ) : (
                <>
                  <TextField label="Account ID (12 digits) or account alias" autoComplete="organization" required value={accountId} onChange={setAccountId} />
                  <TextField label="IAM user name" autoComplete="username" required value={userName} onChange={setUserName} />
                </>
              )}
              <TextField label="Password" type="password" autoComplete="current-password" required value={password} onChange={setPassword} />
              <ErrorAlert error={error} />
              <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
                {busy ? "Signing in…" : "Sign in"}
              </button>
            </form>
            <p className="signin-footer">
              New here? <Link to="signup">Create a new account</Link>
            </p>
          </>
        )}
        {stage === "mfa" && (
          <>
            <h1>Multi-factor authentication</h1>
            <p>Enter the 6-digit code from your authenticator app.</p>
            <form aria-label="MFA code" onSubmit={(e) => run(e, async () => advance(await post<{ stage: string }>("mfa", { code })))}>
              <TextField label="MFA code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required autoFocus value={code} onChange={setCode} />
              <ErrorAlert error={error} />
              <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
                {busy ? "Checking…" : "Submit"}
              </button>
            </form>
          </>
        )}
        {stage === "password-change" && (
          <>
            <h1>Change your password</h1>
            <p>Your administrator requires a new password before you continue.</p>
            <form
              aria-label="Change password"
              onSubmit={(e) =>
                run(e, async () => {
                  if (newPassword !== confirm) throw new Error("The new passwords do not match.");
                  await advance(await post<{ stage: string }>("change-password", { oldPassword: password, newPassword }));
                })
              }
            >
              <TextField label="Old password" type="password" autoComplete="current-password" required value={password} onChange={setPassword} />
              <TextField label="New password" type="password" autoComplete="new-password" required value={newPassword} onChange={setNewPassword} />
              <TextField label="Confirm new password" type="password" autoComplete="new-password" required value={confirm} onChange={setConfirm} />
              <ErrorAlert error={error} />
              <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
                Confirm password change
              </button>
            </form>
          </>
        )}
      </main>
    </div>
  );
}

export function SignUp() {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <div className="signin-page">
      <main className="signin-card" id="main">
        <div className="signin-brand">
          <span aria-hidden="true">☁</span> Nimbus
        </div>
        <h1>Create a new account</h1>
        {created ? (
          <>
            <Alert kind="success" title="Account created">
              Your account ID is <strong className="account-id">{created}</strong>. Sign in as its root user with {email}.
            </Alert>
            <Link to="signin" className="btn btn-primary btn-block">
              Sign in
            </Link>
          </>
        ) : (
          <form
            aria-label="Sign up"
            onSubmit={async (e) => {
              e.preventDefault();
              setError(undefined);
              if (password !== confirm) return setError(new Error("The passwords do not match."));
              setBusy(true);
              try {
                const r = await post<{ accountId: string }>("signup", { email, name, password });
                setCreated(r.accountId);
              } catch (err) {
                setError(err);
              } finally {
                setBusy(false);
              }
            }}
          >
            <TextField label="Root user email address" type="email" autoComplete="email" required value={email} onChange={setEmail} />
            <TextField label="Account name" required value={name} onChange={setName} />
            <TextField label="Root user password" type="password" autoComplete="new-password" required hint="8 to 128 characters, mixing at least three of: upper case, lower case, digits, symbols." value={password} onChange={setPassword} />
            <TextField label="Confirm password" type="password" autoComplete="new-password" required value={confirm} onChange={setConfirm} />
            <ErrorAlert error={error} />
            <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
              {busy ? "Creating…" : "Create account"}
            </button>
            <p className="signin-footer">
              Have an account? <Link to="signin">Sign in</Link>
            </p>
          </form>
        )}
      </main>
    </div>
  );
}
