/**
 * The product shell: admin routes (health, reset, clock), the CLI, audit records, restart
 * durability, and kill -9 during writes losing nothing that was acknowledged.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import type { AuditRecord, Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";

const ROOT = new URL("..", import.meta.url).pathname;

describe("admin routes", () => {
  let n: Nimbus;
  const audit: AuditRecord[] = [];
  beforeAll(async () => {
    n = await startTestNimbus({ onAudit: (r) => audit.push(r) });
  });
  afterAll(async () => {
    await n.stop();
  });

  it("reports health", async () => {
    const res = await fetch(`${n.endpoint}/_nimbus/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; version: string; services: Record<string, string> };
    expect(body.status).toBe("ready");
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.services.sts).toBe("available");
    expect(body.services.s3).toBe("available");
  });

  it("resets all state", async () => {
    const logs = new CloudWatchLogsClient(sdkConfig(n));
    await logs.send(new CreateLogGroupCommand({ logGroupName: "to-be-wiped" }));
    const res = await fetch(`${n.endpoint}/_nimbus/reset`, { method: "POST" });
    expect(res.status).toBe(200);
    const after = await logs.send(new DescribeLogGroupsCommand({}));
    expect(after.logGroups).toEqual([]);
    // Root credentials survive a reset.
    const me = await new STSClient(sdkConfig(n)).send(new GetCallerIdentityCommand({}));
    expect(me.Account).toBe("000000000000");
  });

  it("moves the clock forward", async () => {
    const before = Date.parse(((await (await fetch(`${n.endpoint}/_nimbus/clock`)).json()) as { now: string }).now);
    const res = await fetch(`${n.endpoint}/_nimbus/clock`, { method: "POST", body: JSON.stringify({ advanceSeconds: 3600 }) });
    expect(res.status).toBe(200);
    const now = Date.parse(((await res.json()) as { now: string }).now);
    expect(now - before).toBeGreaterThanOrEqual(3600_000);
    expect(n.clock.nowMs() - Date.now()).toBeGreaterThanOrEqual(3599_000);
    // Signed requests still pass: signatures are checked against the wall clock.
    const me = await new STSClient(sdkConfig(n)).send(new GetCallerIdentityCommand({}));
    expect(me.Account).toBe("000000000000");
    const bad = await fetch(`${n.endpoint}/_nimbus/clock`, { method: "POST", body: JSON.stringify({ advanceSeconds: -1 }) });
    expect(bad.status).toBe(400);
  });

  it("sends an audit record for every request, with secrets redacted", async () => {
    audit.length = 0;
    await new STSClient(sdkConfig(n)).send(new GetCallerIdentityCommand({}));
    await new STSClient(sdkConfig(n, { secretAccessKey: "nope" })).send(new GetCallerIdentityCommand({})).catch(() => undefined);
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({
      service: "sts",
      operation: "GetCallerIdentity",
      principalArn: "arn:aws:iam::000000000000:root",
      region: "us-east-1",
      status: 200,
      sourceIp: "127.0.0.1",
    });
    expect(audit[1]).toMatchObject({ service: "sts", status: 403, errorCode: "SignatureDoesNotMatch" });
  });

  it("creates isolated accounts with their own root keys", async () => {
    const res = await fetch(`${n.endpoint}/_nimbus/accounts`, {
      method: "POST",
      body: JSON.stringify({ email: "team@example.com", name: "team" }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { accountId: string; accessKeyId: string; secretAccessKey: string };
    expect(created.accountId).toMatch(/^\d{12}$/);
    expect(created.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    const me = await new STSClient({ ...sdkConfig(n), credentials: { accessKeyId: created.accessKeyId, secretAccessKey: created.secretAccessKey } }).send(
      new GetCallerIdentityCommand({}),
    );
    expect(me.Account).toBe(created.accountId);
    expect(me.Arn).toBe(`arn:aws:iam::${created.accountId}:root`);
    // State is per account: the new account sees none of the default account's log groups.
    const defaultLogs = new CloudWatchLogsClient(sdkConfig(n));
    await defaultLogs.send(new CreateLogGroupCommand({ logGroupName: "default-only" }));
    const otherLogs = new CloudWatchLogsClient({ ...sdkConfig(n), credentials: { accessKeyId: created.accessKeyId, secretAccessKey: created.secretAccessKey } });
    expect((await otherLogs.send(new DescribeLogGroupsCommand({}))).logGroups).toEqual([]);
    const dup = await fetch(`${n.endpoint}/_nimbus/accounts`, { method: "POST", body: JSON.stringify({ email: "TEAM@example.com" }) });
    expect(dup.status).toBe(409);
    const bad = await fetch(`${n.endpoint}/_nimbus/accounts`, { method: "POST", body: JSON.stringify({ email: "nope" }) });
    expect(bad.status).toBe(400);
    const list = (await (await fetch(`${n.endpoint}/_nimbus/accounts`)).json()) as { accounts: { accountId: string }[] };
    expect(list.accounts.map((a) => a.accountId)).toEqual(expect.arrayContaining(["000000000000", created.accountId]));
  });

  it("answers unknown admin routes with 404 JSON", async () => {
    const res = await fetch(`${n.endpoint}/_nimbus/nope`);
    expect(res.status).toBe(404);
  });
});

/** Start the real `nimbus` binary (built by npm install) and wait until health answers. */
async function startBinary(dataDir: string): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(process.execPath, [join(ROOT, "bin/nimbus.js"), "start", "--port", "0", "--data-dir", dataDir, "--log-level", "warn"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`nimbus exited with ${code}`)));
  });
  return { child, endpoint };
}

describe("the nimbus binary", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "nimbus-bin-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("documents its options in --help", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, "bin/nimbus.js"), "--help"]);
    for (const flag of ["--port", "--host", "--data-dir", "--ephemeral", "--log-level", "NIMBUS_PORT", "NIMBUS_DATA_DIR", "/_nimbus/health"]) {
      expect(stdout).toContain(flag);
    }
  });

  it("creates and lists accounts from the command line", async () => {
    const { child, endpoint } = await startBinary(join(dir, "accounts"));
    try {
      const run = promisify(execFile);
      const bin = join(ROOT, "bin/nimbus.js");
      const created = JSON.parse((await run(process.execPath, [bin, "accounts", "create", "--email", "cli@example.com", "--endpoint", endpoint])).stdout) as {
        accountId: string;
      };
      expect(created.accountId).toMatch(/^\d{12}$/);
      const listed = JSON.parse((await run(process.execPath, [bin, "accounts", "list", "--endpoint", endpoint])).stdout) as { accounts: { email: string }[] };
      expect(listed.accounts.map((a) => a.email)).toContain("cli@example.com");
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  });

  it("keeps every acknowledged write across kill -9 and restart", async () => {
    const dataDir = join(dir, "crash");
    const acked: string[] = [];
    for (let round = 0; round < 3; round++) {
      const { child, endpoint } = await startBinary(dataDir);
      const logs = new CloudWatchLogsClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
      // Writers keep going while the process is killed; only acknowledged ones must survive.
      let stop = false;
      const writers = Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const name = `r${round}-w${w}-${i}`;
          try {
            await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
            acked.push(name);
          } catch {
            return;
          }
        }
      });
      // Kill once this round has some acknowledged writes (however slow the machine is).
      const before = acked.length;
      while (acked.length < before + 20) await new Promise((r) => setTimeout(r, 20));
      child.kill("SIGKILL");
      stop = true;
      await Promise.all(writers);
      await new Promise((r) => child.once("exit", r));
      logs.destroy();
    }
    expect(acked.length).toBeGreaterThan(50);
    const { child, endpoint } = await startBinary(dataDir);
    try {
      const logs = new CloudWatchLogsClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
      const found = new Set<string>();
      let nextToken: string | undefined;
      do {
        const page = await logs.send(new DescribeLogGroupsCommand({ nextToken }));
        for (const g of page.logGroups ?? []) found.add(g.logGroupName!);
        nextToken = page.nextToken;
      } while (nextToken);
      const lost = acked.filter((a) => !found.has(a));
      expect(lost).toEqual([]);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  });
});
