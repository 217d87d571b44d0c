/**
 * The console's own endpoints (/_nimbus/console/api/*): sign-in, MFA, password change, the
 * current session (with short-lived credentials for the AWS APIs) and sign-out. The session
 * cookie is HttpOnly; the CSRF token returned here goes with every POST.
 */
export const BASE = "/_nimbus/console/";

export interface Identity {
  type: "root" | "user";
  account: string;
  arn: string;
  userName?: string;
  email?: string;
  accountAlias?: string;
  mfa: boolean;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: string;
}

export interface SessionState {
  signedIn: boolean;
  /** When sign-in is half done: "mfa" or "password-change". */
  stage?: "mfa" | "password-change" | "active";
  csrf?: string;
  expires?: string;
  identity?: Identity;
  credentials?: Credentials;
}

export class ConsoleApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

let csrf: string | undefined;
let current: SessionState = { signedIn: false };
const listeners = new Set<(s: SessionState) => void>();

export function sessionState(): SessionState {
  return current;
}

export function onSessionChange(fn: (s: SessionState) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function setState(s: SessionState): void {
  current = s;
  if (s.csrf) csrf = s.csrf;
  for (const l of listeners) l(s);
}

export async function fetchSession(): Promise<SessionState> {
  const res = await fetch(`${BASE}api/session`, { credentials: "same-origin", cache: "no-store" });
  const s = (await res.json()) as SessionState;
  setState(s);
  return s;
}

/** POST to a console endpoint; throws ConsoleApiError with the server's message. */
export async function post<T = Record<string, unknown>>(route: string, body: unknown = {}): Promise<T> {
  const res = await fetch(`${BASE}api/${route}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", ...(csrf ? { "x-nimbus-csrf": csrf } : {}) },
    body: JSON.stringify(body),
  });
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new ConsoleApiError(res.status, String(data.error ?? res.status), String(data.message ?? res.statusText));
  if (typeof data.csrf === "string") csrf = data.csrf;
  return data as T;
}

/** GET a console endpoint that needs the signed-in session; throws ConsoleApiError with the server's message. */
export async function get<T>(route: string): Promise<T> {
  const res = await fetch(`${BASE}api/${route}`, {
    credentials: "same-origin",
    cache: "no-store",
    headers: csrf ? { "x-nimbus-csrf": csrf } : {},
  });
  const data = (await res.json().catch(() => ({}))) as unknown;
  if (!res.ok) {
    const d = (data ?? {}) as Record<string, unknown>;
    throw new ConsoleApiError(res.status, String(d.error ?? res.status), String(d.message ?? res.statusText));
  }
  return data as T;
}

export async function signOut(): Promise<void> {
  await post("signout").catch(() => undefined);
  csrf = undefined;
  setState({ signedIn: false });
}

/**
 * The SDK's credential provider: the session's credentials, renewed through api/session a few
 * minutes before they expire (the server hands out new ones then).
 */
export async function credentialProvider(): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: Date }> {
  let c = current.credentials;
  if (!c || Date.parse(c.expiration) - Date.now() < 4 * 60_000) {
    const s = await fetchSession();
    if (!s.signedIn || !s.credentials) throw new ConsoleApiError(401, "NotSignedIn", "Your session has ended. Sign in again.");
    c = s.credentials;
  }
  return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: new Date(c.expiration) };
}

/** The URL an IAM user signs in at: the account alias (or id) is filled in. */
export function signInUrl(accountOrAlias: string): string {
  return `${location.origin}${BASE}signin/${encodeURIComponent(accountOrAlias)}`;
}
