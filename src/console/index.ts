/**
 * The web console's server side, under `/_nimbus/console/`: the built single-page app and the
 * few endpoints a browser needs before it can call AWS APIs itself.
 *
 *   POST api/signin          {type:"root", email, password} | {type:"iam", account, userName, password}
 *   POST api/mfa             {code}                      second step when the principal has MFA
 *   POST api/change-password {oldPassword, newPassword}  forced change (PasswordResetRequired)
 *   GET  api/session         who is signed in, short-lived credentials, the CSRF token
 *   POST api/signout
 *   POST api/signup          {email, password, name}     a new account with its own root user
 *   POST api/root-mfa/enable {serialNumber, code1, code2}  root only (AWS: console only)
 *   POST api/root-mfa/deactivate
 *
 * After sign-in the browser holds temporary credentials (ASIA keys, an hour at most, renewed
 * through api/session) for the signed-in principal and calls the AWS APIs with SigV4 like any
 * other client, so IAM judges the console exactly as it judges the CLI. Sessions live 12 hours;
 * the cookie is HttpOnly, SameSite=Strict and scoped to /_nimbus/console; only a hash of its
 * value is stored. Every POST but signin/signup needs the session's CSRF token in
 * `x-nimbus-csrf`, and every POST must be JSON from this origin.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { IdentityStore } from "../core/identity.js";
import { AccountError, type AccountStore } from "../core/accounts.js";
import { putTemporaryCredentials } from "../services/sts/credentials.js";
import { GLOBAL_REGION } from "../core/regions.js";
import type { MetadataStore, Scope } from "../storage/types.js";
import type { Principal } from "../core/service.js";
import { IamDb, accountScope, nameKey, type UserRecord } from "../services/iam/store.js";
import { checkPassword, hashPassword, passwordMatches, reusesPassword } from "../services/iam/password-policy.js";
import { deactivateRootMfa, enableRootMfa, signInMfaDevice, verifyTotp } from "../services/iam/mfa.js";
import { checkRootPassword, generatePassword, hasRootPassword, rootPasswordProblem, setRootPassword } from "./passwords.js";
export { setRootPassword } from "./passwords.js";
import { StaticFiles, consoleRoot } from "./static.js";
import { allMailbox } from "../services/ses/sending.js";

export const CONSOLE_PREFIX = "/_nimbus/console";
const COOKIE = "nimbus_console";
const SESSION_SECONDS = 12 * 3600;
const CREDENTIAL_SECONDS = 3600;
const SCOPE: Scope = { account: "global", region: GLOBAL_REGION, service: "console" };

type Stage = "mfa" | "password-change" | "active";

interface SessionRecord {
  account: string;
  kind: "root" | "user";
  userName?: string;
  userId: string;
  arn: string;
  email?: string;
  csrf: string;
  created: string;
  expires: string;
  stage: Stage;
  mfaSerial?: string;
  mfaAt?: string;
  passwordChangeRequired?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: string };
}

export interface ConsoleDeps {
  metadata: MetadataStore;
  identity: IdentityStore;
  accounts: AccountStore;
  clock: Clock;
  logger: Logger;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const BAD_CREDENTIALS = "Your authentication information is incorrect. Please try again.";

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

function cookieValue(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

export class ConsoleServer {
  private readonly files = new StaticFiles(consoleRoot());

  constructor(private readonly deps: ConsoleDeps) {}

  private sessions() {
    return this.deps.metadata.table<SessionRecord>(SCOPE, "sessions");
  }

  /** Handle a request under /_nimbus/console. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const rel = path.length <= CONSOLE_PREFIX.length + 1 ? "" : path.slice(CONSOLE_PREFIX.length + 1);
    if (path === CONSOLE_PREFIX) {
      res.writeHead(308, { location: `${CONSOLE_PREFIX}/` });
      res.end();
      return;
    }
    if (rel.startsWith("api/")) {
      try {
        await this.api(req, res, rel.slice(4));
      } catch (e) {
        if (e instanceof HttpError) return this.json(res, e.status, { error: e.code, message: e.message });
        throw e;
      }
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") return this.json(res, 405, { error: "MethodNotAllowed", message: "Use GET." });
    if (!(await this.files.serve(req, res, rel))) this.json(res, 404, { error: "NotFound", message: `No console file ${rel}` });
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      ...headers,
    });
    res.end(text);
  }

  private async body(req: IncomingMessage): Promise<Record<string, unknown>> {
    if (!/^application\/json\b/i.test(String(req.headers["content-type"] ?? ""))) {
      throw new HttpError(415, "UnsupportedMediaType", "Console requests must be JSON (content-type: application/json).");
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== "null") {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (host !== req.headers.host) throw new HttpError(403, "Forbidden", "Cross-origin console requests are refused.");
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > 64 * 1024) throw new HttpError(413, "TooLarge", "Request body too large.");
      chunks.push(c);
    }
    try {
      const v = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as unknown;
      if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new HttpError(400, "BadRequest", "The body must be a JSON object.");
  }

  private async current(req: IncomingMessage): Promise<{ key: string; s: SessionRecord } | undefined> {
    const token = cookieValue(req);
    if (!token || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) return undefined;
    const key = hashToken(token);
    const s = await this.sessions().get(key);
    if (!s) return undefined;
    if (Date.parse(s.expires) <= this.deps.clock.nowMs()) {
      await this.end(key, s);
      return undefined;
    }
    return { key, s };
  }

  private async requireSession(req: IncomingMessage, stages: Stage[]): Promise<{ key: string; s: SessionRecord }> {
    const cur = await this.current(req);
    if (!cur) throw new HttpError(401, "NotSignedIn", "Your session has ended. Sign in again.");
    const csrf = str(req.headers["x-nimbus-csrf"]);
    if (!csrf || !sameToken(csrf, cur.s.csrf)) throw new HttpError(403, "InvalidCsrfToken", "The request is missing the session's CSRF token.");
    if (!stages.includes(cur.s.stage)) throw new HttpError(409, "WrongStage", `This step is not expected now (the session is at "${cur.s.stage}").`);
    return cur;
  }

  private async end(key: string, s: SessionRecord): Promise<void> {
    await this.sessions().delete(key);
    if (s.credentials) await this.deps.identity.delete(s.credentials.accessKeyId);
  }

  private cookie(token: string, maxAge: number): string {
    return `${COOKIE}=${token}; Path=${CONSOLE_PREFIX}; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`;
  }

  private async accountByAliasOrId(value: string): Promise<string | undefined> {
    const v = value.trim();
    if (/^\d{12}$/.test(v)) return (await this.deps.accounts.get(v)) ? v : undefined;
    const found = await new IamDb(this.deps.metadata, accountScope("global")).aliases.get(v.toLowerCase());
    return found?.account;
  }

  private async alias(account: string): Promise<string | undefined> {
    return new IamDb(this.deps.metadata, accountScope(account)).alias();
  }

  private async api(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    const method = req.method ?? "GET";
    const now = this.deps.clock.now();
    if (route === "session" && method === "GET") return this.sessionInfo(req, res);
    if (route === "ses/messages" && method === "GET") {
      // The SES mailbox of the signed-in account only (GET /_nimbus/ses/messages, which holds
      // every account's mail, answers loopback clients only).
      const { s } = await this.requireSession(req, ["active"]);
      return this.json(res, 200, await allMailbox(this.deps.metadata, s.account));
    }
    if (method !== "POST") throw new HttpError(405, "MethodNotAllowed", `No console endpoint ${method} ${route}.`);

    if (route === "signin") {
      const b = await this.body(req);
      const started = await this.signIn(b, now);
      const token = randomBytes(32).toString("base64url");
      await this.sessions().put(hashToken(token), started);
      return this.json(res, 200, { stage: started.stage, csrf: started.csrf }, { "set-cookie": this.cookie(token, SESSION_SECONDS) });
    }
    if (route === "signup") {
      const b = await this.body(req);
      const password = str(b.password);
      const problem = rootPasswordProblem(password);
      if (problem) throw new HttpError(400, "InvalidPassword", problem);
      try {
        const created = await this.deps.accounts.create({ email: b.email, name: b.name }, now);
        // Sign-up gives a root user with a console password; its access key is not handed out.
        await this.deps.identity.delete(created.accessKeyId);
        await setRootPassword(this.deps.metadata, created.accountId, password, now);
        this.deps.logger.info(`console: signed up account ${created.accountId}`);
        return this.json(res, 201, { accountId: created.accountId });
      } catch (e) {
        if (e instanceof AccountError) throw new HttpError(e.status, e.status === 409 ? "AccountExists" : "BadRequest", e.message);
        throw e;
      }
    }
    if (route === "signout") {
      const cur = await this.current(req);
      if (cur) {
        const csrf = str(req.headers["x-nimbus-csrf"]);
        if (!csrf || !sameToken(csrf, cur.s.csrf)) throw new HttpError(403, "InvalidCsrfToken", "The request is missing the session's CSRF token.");
        await this.end(cur.key, cur.s);
      }
      return this.json(res, 200, { signedIn: false }, { "set-cookie": this.cookie("", 0) });
    }
    if (route === "mfa") {
      const { key, s } = await this.requireSession(req, ["mfa"]);
      const b = await this.body(req);
      const code = str(b.code).trim();
      const ok =
        s.mfaSerial !== undefined &&
        (await verifyTotp(this.deps.metadata, s.account, s.mfaSerial, code, now, s.kind === "root" ? { root: true } : { userName: s.userName! }));
      if (!ok) throw new HttpError(401, "InvalidMfaCode", "The MFA code is not valid. Wait for a new code and try again.");
      const next: SessionRecord = { ...s, mfaAt: now.toISOString(), stage: s.passwordChangeRequired ? "password-change" : "active" };
      await this.sessions().put(key, next);
      if (next.stage === "active") await this.recordSignIn(next, now);
      return this.json(res, 200, { stage: next.stage, csrf: next.csrf });
    }
    if (route === "change-password") {
      const { key, s } = await this.requireSession(req, ["password-change", "active"]);
      if (s.kind !== "user") throw new HttpError(400, "InvalidUserType", "The root user's password is changed with `nimbus root-password`.");
      const b = await this.body(req);
      await this.changePassword(s, str(b.oldPassword), str(b.newPassword), now);
      const next: SessionRecord = { ...s, passwordChangeRequired: false, stage: "active" };
      await this.sessions().put(key, next);
      if (s.stage !== "active") await this.recordSignIn(next, now);
      return this.json(res, 200, { stage: "active", csrf: next.csrf });
    }
    if (route === "root-mfa/enable" || route === "root-mfa/deactivate") {
      const { s } = await this.requireSession(req, ["active"]);
      if (s.kind !== "root") throw new HttpError(403, "AccessDenied", "Only the root user manages the root user's MFA.");
      const b = await this.body(req);
      if (route === "root-mfa/deactivate") {
        const done = await deactivateRootMfa(this.deps.metadata, s.account);
        return this.json(res, done ? 200 : 404, done ? { mfa: false } : { error: "NoSuchEntity", message: "The root user has no MFA device." });
      }
      const result = await enableRootMfa(this.deps.metadata, s.account, str(b.serialNumber), str(b.code1).trim(), str(b.code2).trim(), now);
      const problems: Record<string, [number, string, string]> = {
        "no-device": [404, "NoSuchEntity", `MFA Device with serial number ${str(b.serialNumber)} does not exist.`],
        "in-use": [409, "EntityAlreadyExists", "MFA Device is already in use."],
        "bad-codes": [400, "InvalidAuthenticationCode", "Authentication code for the MFA device is not valid."],
        "already-enabled": [409, "EntityAlreadyExists", "The root user already has an MFA device."],
      };
      const p = problems[result];
      if (p) throw new HttpError(p[0], p[1], p[2]);
      return this.json(res, 200, { mfa: true });
    }
    throw new HttpError(404, "NotFound", `No console endpoint ${method} ${route}.`);
  }

  private async signIn(b: Record<string, unknown>, now: Date): Promise<SessionRecord> {
    const password = str(b.password);
    const base = { csrf: randomBytes(24).toString("base64url"), created: now.toISOString(), expires: new Date(now.getTime() + SESSION_SECONDS * 1000).toISOString() };
    if (b.type === "root") {
      const email = str(b.email).trim().toLowerCase();
      const account = (await this.deps.accounts.list()).find((a) => a.email.toLowerCase() === email);
      if (!account || !(await checkRootPassword(this.deps.metadata, account.accountId, password))) {
        throw new HttpError(401, "InvalidCredentials", BAD_CREDENTIALS);
      }
      const serial = await signInMfaDevice(this.deps.metadata, account.accountId, undefined);
      return {
        ...base,
        account: account.accountId,
        kind: "root",
        userId: account.accountId,
        arn: `arn:aws:iam::${account.accountId}:root`,
        email: account.email,
        stage: serial ? "mfa" : "active",
        ...(serial ? { mfaSerial: serial } : {}),
      };
    }
    if (b.type === "iam") {
      const account = await this.accountByAliasOrId(str(b.account));
      const userName = str(b.userName).trim();
      const db = account ? new IamDb(this.deps.metadata, accountScope(account)) : undefined;
      const user = db && userName ? await db.users.get(nameKey(userName)) : undefined;
      const lp = user?.loginProfile;
      if (!account || !user || !lp || !(await passwordMatches(password, lp.hash))) {
        throw new HttpError(401, "InvalidCredentials", BAD_CREDENTIALS);
      }
      const policy = await db!.passwordPolicy();
      const expired = policy?.MaxPasswordAge !== undefined && Date.parse(lp.passwordLastChanged) + policy.MaxPasswordAge * 86_400_000 <= now.getTime();
      if (expired && policy?.HardExpiry) {
        throw new HttpError(401, "PasswordExpired", "Your password has expired. Ask your administrator to reset it.");
      }
      const serial = user.mfaDevices[0];
      const mustChange = lp.passwordResetRequired || expired;
      return {
        ...base,
        account,
        kind: "user",
        userName: user.name,
        userId: user.id,
        arn: `arn:aws:iam::${account}:user${user.path}${user.name}`,
        stage: serial ? "mfa" : mustChange ? "password-change" : "active",
        ...(serial ? { mfaSerial: serial } : {}),
        ...(mustChange ? { passwordChangeRequired: true } : {}),
      };
    }
    throw new HttpError(400, "BadRequest", 'type must be "root" or "iam".');
  }

  private async recordSignIn(s: SessionRecord, now: Date): Promise<void> {
    if (s.kind !== "user" || !s.userName) return;
    await this.deps.metadata.transaction(async (tx) => {
      const db = new IamDb(tx, accountScope(s.account));
      const u = await db.users.get(nameKey(s.userName!));
      if (u) await db.users.put(nameKey(u.name), { ...u, passwordLastUsed: now.toISOString() } satisfies UserRecord);
    });
  }

  private async changePassword(s: SessionRecord, oldPassword: string, newPassword: string, now: Date): Promise<void> {
    const db = new IamDb(this.deps.metadata, accountScope(s.account));
    const u = await db.users.get(nameKey(s.userName!));
    const lp = u?.loginProfile;
    if (!u || !lp) throw new HttpError(404, "NoSuchEntity", "The user has no console password.");
    if (!(await passwordMatches(oldPassword, lp.hash))) throw new HttpError(400, "InvalidPassword", "The old password is incorrect.");
    const policy = await db.passwordPolicy();
    try {
      checkPassword(newPassword, policy);
    } catch {
      throw new HttpError(400, "PasswordPolicyViolation", "The new password does not conform to the account password policy.");
    }
    if (await reusesPassword(newPassword, [lp.hash, ...lp.history], policy?.PasswordReusePrevention)) {
      throw new HttpError(400, "PasswordPolicyViolation", "The new password was used recently; choose another.");
    }
    const hash = await hashPassword(newPassword);
    await this.deps.metadata.transaction(async (tx) => {
      const t = new IamDb(tx, accountScope(s.account));
      const cur = await t.users.get(nameKey(u.name));
      if (!cur?.loginProfile) throw new HttpError(404, "NoSuchEntity", "The user has no console password.");
      const clp = cur.loginProfile;
      await t.users.put(nameKey(cur.name), {
        ...cur,
        loginProfile: { ...clp, hash, passwordLastChanged: now.toISOString(), passwordResetRequired: false, history: [clp.hash, ...clp.history].slice(0, 24) },
      });
    });
  }

  private async sessionInfo(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cur = await this.current(req);
    if (!cur) return this.json(res, 200, { signedIn: false });
    const { key, s } = cur;
    if (s.stage !== "active") return this.json(res, 200, { signedIn: false, stage: s.stage, csrf: s.csrf });
    const nowMs = this.deps.clock.nowMs();
    let session = s;
    if (!s.credentials || Date.parse(s.credentials.expiration) - nowMs < 5 * 60_000) {
      session = { ...s, credentials: await this.issue(s, nowMs) };
      if (s.credentials) await this.deps.identity.delete(s.credentials.accessKeyId);
      await this.sessions().put(key, session);
    }
    const alias = await this.alias(s.account);
    this.json(res, 200, {
      signedIn: true,
      csrf: s.csrf,
      expires: s.expires,
      identity: {
        type: s.kind,
        account: s.account,
        arn: s.arn,
        ...(s.userName ? { userName: s.userName } : {}),
        ...(s.email ? { email: s.email } : {}),
        ...(alias ? { accountAlias: alias } : {}),
        mfa: s.mfaAt !== undefined,
      },
      credentials: {
        accessKeyId: session.credentials!.accessKeyId,
        secretAccessKey: session.credentials!.secretAccessKey,
        sessionToken: session.credentials!.sessionToken,
        expiration: session.credentials!.expiration,
      },
    });
  }

  /** Temporary credentials for the session's principal (with its MFA state for conditions). */
  private async issue(s: SessionRecord, nowMs: number): Promise<NonNullable<SessionRecord["credentials"]>> {
    const session = { issued: new Date(nowMs).toISOString(), ...(s.mfaAt ? { mfaAuthenticated: true, mfaAuthTime: s.mfaAt } : {}) };
    // The key id is filled in by putTemporaryCredentials.
    const principal: Exclude<Principal, { type: "anonymous" }> =
      s.kind === "root"
        ? { type: "root", account: s.account, arn: s.arn, userId: s.account, accessKeyId: "", session }
        : { type: "user", account: s.account, arn: s.arn, userId: s.userId, userName: s.userName!, accessKeyId: "", session };
    const expiration = new Date(Math.min(nowMs + CREDENTIAL_SECONDS * 1000, Date.parse(s.expires)));
    const c = await putTemporaryCredentials(this.deps.identity, principal, expiration);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration.toISOString() };
  }
}

/**
 * At start: the root password the default account's root user should get, if any. A given
 * password (option `rootPassword`, env NIMBUS_ROOT_PASSWORD) is checked and returned; otherwise,
 * if none was ever set, one is generated (`generated: true`, for the caller to print once).
 * The caller stores it with `setRootPassword` (scrypt, on the thread pool).
 */
export async function rootPasswordToSet(metadata: MetadataStore, account: string, given: string | undefined): Promise<{ password: string; generated: boolean } | undefined> {
  if (given !== undefined) {
    const problem = rootPasswordProblem(given);
    if (problem) throw new Error(`root password: ${problem}`);
    return { password: given, generated: false };
  }
  if (await hasRootPassword(metadata, account)) return undefined;
  return { password: generatePassword(), generated: true };
}
