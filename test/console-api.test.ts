/**
 * The console's server side without a browser: root and IAM-user sign-in, the MFA step, the
 * forced password change, sessions and their credentials (IAM applies to them exactly as to any
 * other caller), sign-out, root MFA, and the root password command.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOTP, Secret } from "otpauth";
import { IAMClient, UpdateAccountPasswordPolicyCommand, CreateUserCommand, CreateLoginProfileCommand, AttachUserPolicyCommand, CreateVirtualMFADeviceCommand, EnableMFADeviceCommand, CreateAccountAliasCommand, GetAccountSummaryCommand, ListMFADevicesCommand } from "@aws-sdk/client-iam";
import { S3Client, CreateBucketCommand, ListBucketsCommand } from "@aws-sdk/client-s3";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { SESClient, SendEmailCommand } from "@aws-sdk/client-ses";
import { networkInterfaces } from "node:os";
import { startNimbus, type Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";

const ROOT_PASSWORD = "Api-Test-Root-1";
let n: Nimbus;
let iam: IAMClient;

beforeAll(async () => {
  n = await startTestNimbus({ rootPassword: ROOT_PASSWORD });
  iam = new IAMClient(sdkConfig(n));
});
afterAll(async () => {
  await n?.stop();
});

/** A tiny cookie-keeping client of the console endpoints. */
class Browser {
  cookie = "";
  csrf = "";
  constructor(readonly base = n.endpoint) {}
  async call(route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${this.base}/_nimbus/console/api/${route}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(this.cookie ? { cookie: this.cookie } : {}), ...(this.csrf ? { "x-nimbus-csrf": this.csrf } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const set = res.headers.get("set-cookie");
    if (set) this.cookie = set.split(";")[0]!;
    const json = (await res.json()) as Record<string, unknown>;
    if (typeof json.csrf === "string") this.csrf = json.csrf;
    return { status: res.status, json };
  }
  async credentials() {
    const s = (await this.call("session")).json as { credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string } };
    return { accessKeyId: s.credentials.accessKeyId, secretAccessKey: s.credentials.secretAccessKey, sessionToken: s.credentials.sessionToken };
  }
}

const codeAt = (seed: string, step: number) => HOTP.generate({ secret: Secret.fromBase32(seed), counter: step, digits: 6, algorithm: "SHA1" });
const stepNow = () => Math.floor(n.clock.nowMs() / 30_000);

describe("console sign-in", () => {
  it("signs the root user in with email and password; wrong passwords are refused alike", async () => {
    const b = new Browser();
    expect((await b.call("signin", { type: "root", email: "root@nimbus.local", password: "nope-Nope-1" })).status).toBe(401);
    expect((await b.call("signin", { type: "root", email: "nobody@nimbus.local", password: ROOT_PASSWORD })).json.message).toBe("Your authentication information is incorrect. Please try again.");
    const r = await b.call("signin", { type: "root", email: "ROOT@nimbus.local", password: ROOT_PASSWORD });
    expect(r.json.stage).toBe("active");
    const s = (await b.call("session")).json as { signedIn: boolean; identity: { type: string; arn: string; mfa: boolean } };
    expect(s.signedIn).toBe(true);
    expect(s.identity).toMatchObject({ type: "root", arn: "arn:aws:iam::000000000000:root", mfa: false });
    const sts = new STSClient({ ...sdkConfig(n), credentials: await b.credentials() });
    expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe("arn:aws:iam::000000000000:root");
    // Sign-out ends the session and revokes its credentials.
    const creds = await b.credentials();
    expect((await b.call("signout", {})).status).toBe(200);
    expect((await b.call("session")).json).toEqual({ signedIn: false });
    const stale = new STSClient({ ...sdkConfig(n), credentials: creds });
    await expect(stale.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: "InvalidClientTokenId" });
  });

  it("signs an IAM user in at the account alias, forces a password change, and IAM judges the session", async () => {
    await iam.send(new CreateUserCommand({ UserName: "reader" }));
    await iam.send(new CreateLoginProfileCommand({ UserName: "reader", Password: "First-Pass-1", PasswordResetRequired: true }));
    await iam.send(new AttachUserPolicyCommand({ UserName: "reader", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
    await iam.send(new CreateAccountAliasCommand({ AccountAlias: "nimbus-class" }));
    const b = new Browser();
    expect((await b.call("signin", { type: "iam", account: "nimbus-class", userName: "reader", password: "wrong-Pass-1" })).status).toBe(401);
    const r = await b.call("signin", { type: "iam", account: "nimbus-class", userName: "reader", password: "First-Pass-1" });
    expect(r.json.stage).toBe("password-change");
    // Not signed in until the password is changed.
    expect((await b.call("session")).json).toMatchObject({ signedIn: false, stage: "password-change" });
    expect((await b.call("change-password", { oldPassword: "wrong", newPassword: "Second-Pass-2" })).status).toBe(400);
    expect((await b.call("change-password", { oldPassword: "First-Pass-1", newPassword: "Second-Pass-2" })).json.stage).toBe("active");
    const s = (await b.call("session")).json as { identity: { type: string; userName: string; accountAlias: string } };
    expect(s.identity).toMatchObject({ type: "user", userName: "reader", accountAlias: "nimbus-class" });
    const s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true, credentials: await b.credentials() });
    await s3.send(new ListBucketsCommand({}));
    await expect(s3.send(new CreateBucketCommand({ Bucket: "reader-bucket" }))).rejects.toMatchObject({ name: "AccessDenied" });
    // The new password is the one that works now (by account id too).
    const again = new Browser();
    expect((await again.call("signin", { type: "iam", account: "000000000000", userName: "reader", password: "First-Pass-1" })).status).toBe(401);
    expect((await again.call("signin", { type: "iam", account: "000000000000", userName: "reader", password: "Second-Pass-2" })).json.stage).toBe("active");
  });

  it("asks IAM users with MFA for a code, once per code, and marks the session as MFA-authenticated", async () => {
    await iam.send(new CreateUserCommand({ UserName: "mfa-user" }));
    await iam.send(new CreateLoginProfileCommand({ UserName: "mfa-user", Password: "Mfa-User-Pass-1" }));
    const d = (await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "mfa-user" }))).VirtualMFADevice!;
    const seed = Buffer.from(d.Base32StringSeed!).toString("ascii");
    const s0 = stepNow();
    await iam.send(new EnableMFADeviceCommand({ UserName: "mfa-user", SerialNumber: d.SerialNumber!, AuthenticationCode1: codeAt(seed, s0 - 2), AuthenticationCode2: codeAt(seed, s0 - 1) }));
    const b = new Browser();
    expect((await b.call("signin", { type: "iam", account: "000000000000", userName: "mfa-user", password: "Mfa-User-Pass-1" })).json.stage).toBe("mfa");
    expect((await b.call("session")).json.signedIn).toBe(false);
    expect((await b.call("mfa", { code: "000000" === codeAt(seed, s0) ? "111111" : "000000" })).status).toBe(401);
    expect((await b.call("mfa", { code: codeAt(seed, s0) })).json.stage).toBe("active");
    const s = (await b.call("session")).json as { identity: { mfa: boolean } };
    expect(s.identity.mfa).toBe(true);
    // The same code cannot sign in a second time.
    const b2 = new Browser();
    await b2.call("signin", { type: "iam", account: "000000000000", userName: "mfa-user", password: "Mfa-User-Pass-1" });
    expect((await b2.call("mfa", { code: codeAt(seed, s0) })).status).toBe(401);
  });

  it("enables MFA for the root user (console only) and then asks root for a code", async () => {
    const b = new Browser();
    await b.call("signin", { type: "root", email: "root@nimbus.local", password: ROOT_PASSWORD });
    await b.call("session");
    const rootIam = new IAMClient({ ...sdkConfig(n), credentials: await b.credentials() });
    const d = (await rootIam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "root-account-mfa-device" }))).VirtualMFADevice!;
    const seed = Buffer.from(d.Base32StringSeed!).toString("ascii");
    const s0 = stepNow();
    expect((await b.call("root-mfa/enable", { serialNumber: d.SerialNumber, code1: "123456", code2: "654321" })).status).toBe(400);
    expect((await b.call("root-mfa/enable", { serialNumber: d.SerialNumber, code1: codeAt(seed, s0 - 2), code2: codeAt(seed, s0 - 1) })).status).toBe(200);
    expect((await iam.send(new GetAccountSummaryCommand({}))).SummaryMap!.AccountMFAEnabled).toBe(1);
    expect((await iam.send(new ListMFADevicesCommand({}))).MFADevices!.map((x) => x.SerialNumber)).toEqual([d.SerialNumber]);
    const b2 = new Browser();
    expect((await b2.call("signin", { type: "root", email: "root@nimbus.local", password: ROOT_PASSWORD })).json.stage).toBe("mfa");
    expect((await b2.call("mfa", { code: codeAt(seed, s0) })).json.stage).toBe("active");
    expect((await b2.call("root-mfa/deactivate", {})).status).toBe(200);
    expect((await iam.send(new GetAccountSummaryCommand({}))).SummaryMap!.AccountMFAEnabled).toBe(0);
  });

  it("requires the CSRF token for the second step", async () => {
    const b = new Browser();
    await b.call("signin", { type: "root", email: "root@nimbus.local", password: ROOT_PASSWORD });
    b.csrf = "forged";
    expect((await b.call("signout", {})).status).toBe(403);
  });
});

describe("the SES mailbox is per account", () => {
  const send = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, subject: string) =>
    new SESClient({ ...sdkConfig(n), credentials }).send(
      new SendEmailCommand({ Source: "success@simulator.amazonses.com", Destination: { ToAddresses: ["success@simulator.amazonses.com"] }, Message: { Subject: { Data: subject }, Body: { Text: { Data: "hello" } } } }),
    );
  const subjects = (list: unknown) => (list as { subject: string }[]).map((m) => m.subject).filter((s) => s.startsWith("mailbox-"));

  it("shows each signed-in account its own mail only; the all-accounts route is loopback-only", async () => {
    // A second account, made by sign-up, as a class shares one Nimbus.
    const signup = await new Browser().call("signup", { email: "student@nimbus.local", name: "student", password: "Student-Root-Pass-1" });
    expect(signup.status).toBe(201);
    const other = String(signup.json.accountId);
    const root = new Browser();
    expect((await root.call("signin", { type: "root", email: "root@nimbus.local", password: ROOT_PASSWORD })).json.stage).toBe("active");
    const student = new Browser();
    expect((await student.call("signin", { type: "root", email: "student@nimbus.local", password: "Student-Root-Pass-1" })).json.stage).toBe("active");

    await send(n.credentials, "mailbox-default");
    await send(await student.credentials(), "mailbox-student");

    expect(subjects((await root.call("ses/messages")).json)).toEqual(["mailbox-default"]);
    expect(subjects((await student.call("ses/messages")).json)).toEqual(["mailbox-student"]);
    // Without a session, or without its CSRF token, nothing.
    expect((await new Browser().call("ses/messages")).status).toBe(401);
    const noCsrf = new Browser();
    noCsrf.cookie = student.cookie;
    expect((await noCsrf.call("ses/messages")).status).toBe(403);

    // The machine's own route holds every account's mail, and filters by account.
    const all = async (q = "") => subjects(await (await fetch(`${n.endpoint}/_nimbus/ses/messages${q}`)).json());
    expect(await all()).toEqual(["mailbox-default", "mailbox-student"]);
    expect(await all(`?account=${other}`)).toEqual(["mailbox-student"]);
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
  it.skipIf(!external)("refuses the all-accounts mailbox and SMS log to clients off loopback", async () => {
    const open = await startTestNimbus({ host: "0.0.0.0", rootPassword: ROOT_PASSWORD });
    try {
      const base = `http://${external}:${new URL(open.endpoint).port}`;
      expect((await fetch(`${base}/_nimbus/ses/messages`)).status).toBe(403);
      expect((await fetch(`${base}/_nimbus/sns/sms`)).status).toBe(403);
      expect((await fetch(`${open.endpoint}/_nimbus/ses/messages`)).status).toBe(200);
      // A console session off loopback still reads its account's mail.
      const b = new Browser(base);
      expect((await b.call("signin", { type: "root", email: "root@nimbus.local", password: ROOT_PASSWORD })).json.stage).toBe("active");
      const r = await b.call("ses/messages");
      expect(r.status).toBe(200);
      expect(r.json).toEqual([]);
    } finally {
      await open.stop();
    }
  });
});

describe("password expiry (advances the clock: keep last)", () => {
  it("forces a new password after MaxPasswordAge, and refuses sign-in with HardExpiry", async () => {
    await iam.send(new CreateUserCommand({ UserName: "old-timer" }));
    await iam.send(new CreateLoginProfileCommand({ UserName: "old-timer", Password: "Old-Timer-Pass-1" }));
    await iam.send(new UpdateAccountPasswordPolicyCommand({ MaxPasswordAge: 1, HardExpiry: false }));
    n.clock.advance(2 * 86_400);
    const b = new Browser();
    expect((await b.call("signin", { type: "iam", account: "000000000000", userName: "old-timer", password: "Old-Timer-Pass-1" })).json.stage).toBe("password-change");
    await iam.send(new UpdateAccountPasswordPolicyCommand({ MaxPasswordAge: 1, HardExpiry: true }));
    const r = await new Browser().call("signin", { type: "iam", account: "000000000000", userName: "old-timer", password: "Old-Timer-Pass-1" });
    expect(r.status).toBe(401);
    expect(r.json.error).toBe("PasswordExpired");
  });
});

describe("the root password", () => {
  it("is generated once at first start and kept; nimbus root-password changes it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nimbus-rootpw-"));
    try {
      // The real command line, as a person runs it: the password is in its log, once.
      const cli = join(process.cwd(), "bin", "nimbus.js");
      const server = spawn(process.execPath, [cli, "start", "--port", "0", "--data-dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      server.stdout!.on("data", (d: Buffer) => (out += d.toString()));
      server.stderr!.on("data", (d: Buffer) => (out += d.toString()));
      const endpoint = await new Promise<string>((resolve, reject) => {
        const t = setInterval(() => {
          // The log (stderr, batched) and the listening line (stdout) travel on two pipes, so
          // either may arrive first: wait for both.
          const m = /Nimbus listening on (\S+)/.exec(out);
          if (m && /password \S+ \(shown once/.test(out)) {
            clearInterval(t);
            resolve(m[1]!);
          }
        }, 50);
        server.on("exit", () => reject(new Error(`nimbus exited: ${out}`)));
      });
      const printed = /password (\S+) \(shown once/.exec(out)?.[1];
      expect(printed).toBeDefined();
      const signin = async (endpoint: string, password: string) =>
        (await fetch(`${endpoint}/_nimbus/console/api/signin`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "root", email: "root@nimbus.local", password }) })).status;
      expect(await signin(endpoint, printed!)).toBe(200);
      server.kill("SIGTERM");
      await new Promise((r) => server.on("exit", r));

      const child = execFile(process.execPath, [cli, "root-password", "--data-dir", dir]);
      child.stdin!.end("Changed-Root-Pass-9\n");
      const code = await new Promise<number>((r) => child.on("exit", (c) => r(c ?? 1)));
      expect(code).toBe(0);

      const second = await startNimbus({ port: 0, dataDir: dir, logLevel: "warn" });
      try {
        expect(await signin(second.endpoint, printed!)).toBe(401);
        expect(await signin(second.endpoint, "Changed-Root-Pass-9")).toBe(200);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
