#!/usr/bin/env node
/**
 * `npm run bench`: the core's performance figures, measured against the built `nimbus` binary.
 *   1. start-up: process start -> /_nimbus/health answers; idle RSS
 *   2. signed STS GetCallerIdentity over keep-alive HTTP at concurrency 16: requests/s, p50/p99
 * The request is signed once by the AWS SDK's own SigV4 signer and replayed; the server verifies
 * the signature in full on every request. Figures are printed, never asserted.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import { readFileSync } from "node:fs";
import { SignatureV4 } from "@smithy/signature-v4";
import { createHash, createHmac } from "node:crypto";

/** The hash the signer needs, from node:crypto. */
class Sha256 {
  constructor(secret) {
    this.h = secret ? createHmac("sha256", secret) : createHash("sha256");
  }
  update(data) {
    this.h.update(data);
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

const ROOT = new URL("..", import.meta.url).pathname;
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

function startServer(logLevel) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), `${ROOT}bin/nimbus.js`, "start", "--port", "0", "--ephemeral", "--log-level", logLevel], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", async (d) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (!m) return;
      const endpoint = m[1];
      const res = await fetch(`${endpoint}/_nimbus/health`);
      if (res.status === 200) resolve({ child, endpoint, readyMs: performance.now() - t0 });
      else reject(new Error(`health answered ${res.status}`));
    });
    child.once("exit", (code) => reject(new Error(`nimbus exited with ${code}`)));
  });
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

async function signedRequest(endpoint, { service, body, headers, credentials }) {
  const url = new URL(endpoint);
  const signer = new SignatureV4({ service, region: "us-east-1", credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: "POST",
    protocol: "http:",
    hostname: url.hostname,
    port: Number(url.port),
    path: "/",
    headers: { host: url.host, ...headers },
    body,
  });
  return { url, headers: { ...signed.headers, "content-length": String(Buffer.byteLength(body)) }, body };
}

const ROOT_KEYS = { accessKeyId: "test", secretAccessKey: "test" };

function getCallerIdentity(endpoint) {
  return signedRequest(endpoint, {
    service: "sts",
    body: "Action=GetCallerIdentity&Version=2011-06-15",
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    credentials: ROOT_KEYS,
  });
}

function describeLogGroups(endpoint, credentials) {
  return signedRequest(endpoint, {
    service: "logs",
    body: "{}",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "Logs_20140328.DescribeLogGroups" },
    credentials,
  });
}

/** An IAM user in a group with a 10-statement policy set, for the authorization overhead. */
async function benchUser(endpoint) {
  const { IAMClient, CreateUserCommand, CreateGroupCommand, AddUserToGroupCommand, PutGroupPolicyCommand, AttachGroupPolicyCommand, CreateAccessKeyCommand } =
    await import("@aws-sdk/client-iam");
  const iam = new IAMClient({ endpoint, region: "us-east-1", credentials: ROOT_KEYS });
  await iam.send(new CreateUserCommand({ UserName: "bench" }));
  await iam.send(new CreateGroupCommand({ GroupName: "bench" }));
  await iam.send(new AddUserToGroupCommand({ UserName: "bench", GroupName: "bench" }));
  const statements = [];
  for (let i = 0; i < 8; i++) {
    statements.push({ Sid: `Deny${i}`, Effect: "Deny", Action: [`s3:Delete*`, `dynamodb:Delete*`], Resource: `arn:aws:s3:::bucket-${i}/*` });
  }
  statements.push({ Sid: "Ip", Effect: "Allow", Action: "logs:Describe*", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] } } });
  await iam.send(new PutGroupPolicyCommand({ GroupName: "bench", PolicyName: "p", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: statements }) }));
  await iam.send(new AttachGroupPolicyCommand({ GroupName: "bench", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "bench" }))).AccessKey;
  return { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
}

async function load(req) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies = [];
  let errors = 0;
  const one = () =>
    new Promise((resolve) => {
      const t = performance.now();
      const r = http.request(
        { host: req.url.hostname, port: req.url.port, method: "POST", path: "/", headers: req.headers, agent },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode === 200) latencies.push(performance.now() - t);
            else errors++;
            resolve();
          });
        },
      );
      r.on("error", () => {
        errors++;
        resolve();
      });
      r.end(req.body);
    });
  // Warm up, then measure.
  const warmEnd = performance.now() + 1000;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (performance.now() < warmEnd) await one(); }));
  latencies.length = 0;
  errors = 0;
  const start = performance.now();
  const end = start + DURATION_MS;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (performance.now() < end) await one(); }));
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return { rps: latencies.length / elapsed, p50: pct(50), p99: pct(99), errors, count: latencies.length };
}

async function main() {
  console.log(`Nimbus benchmark (node ${process.version}, ${DURATION_MS / 1000}s per run, concurrency ${CONCURRENCY})`);
  const ready = [];
  for (let i = 0; i < 5; i++) {
    const { child, readyMs } = await startServer("warn");
    ready.push(readyMs);
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
  ready.sort((a, b) => a - b);
  console.log(`start-up to health ready: median ${ready[2].toFixed(0)} ms (min ${ready[0].toFixed(0)}, max ${ready[4].toFixed(0)}; target < 500 ms)`);

  for (const logLevel of ["info", "warn"]) {
    const { child, endpoint } = await startServer(logLevel);
    await new Promise((r) => setTimeout(r, 1000));
    const idle = rssMb(child.pid);
    const r = await load(await getCallerIdentity(endpoint));
    const after = rssMb(child.pid);
    console.log(
      `GetCallerIdentity (signed, keep-alive, log-level ${logLevel}): ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.errors} errors (targets: >= 5000 req/s, p99 < 10 ms)`,
    );
    console.log(`  RSS idle ${idle.toFixed(0)} MB (target < 100 MB), after load ${after.toFixed(0)} MB`);
    child.kill("SIGTERM");
    await new Promise((res) => child.once("exit", res));
  }

  // Authorization overhead: the same operation as root (no policy evaluation) and as an IAM user
  // whose group holds a 10-statement policy set (policies read and evaluated on every request).
  const { child, endpoint } = await startServer("warn");
  const user = await benchUser(endpoint);
  const asRoot = await load(await describeLogGroups(endpoint, ROOT_KEYS));
  const asUser = await load(await describeLogGroups(endpoint, user));
  console.log(`Logs DescribeLogGroups as root: ${asRoot.rps.toFixed(0)} req/s, p50 ${asRoot.p50.toFixed(3)} ms; as IAM user: ${asUser.rps.toFixed(0)} req/s, p50 ${asUser.p50.toFixed(3)} ms, ${asUser.errors} errors`);
  // The server is one thread: 1/throughput is its time per request; the difference is what
  // authorization (reading the user's policies and evaluating them) costs per request.
  const perRequestUs = (1e6 / asUser.rps - 1e6 / asRoot.rps).toFixed(0);
  console.log(`  authorization costs ${perRequestUs} µs of server time per request (target < 50 µs); latency p50 +${((asUser.p50 - asRoot.p50) * 1000).toFixed(0)} µs at concurrency ${CONCURRENCY}`);
  child.kill("SIGTERM");
  await new Promise((res) => child.once("exit", res));
}

async function policyBench() {
  // The policy engine's own benchmark (median and p99 of one evaluation).
  const { spawnSync } = await import("node:child_process");
  const r = spawnSync(process.execPath, ["--import", "tsx", `${ROOT}scripts/bench-policy.ts`], { encoding: "utf8" });
  process.stdout.write(r.stdout);
  if (r.status !== 0) process.stderr.write(r.stderr);
}

main().then(policyBench).catch((e) => {
  console.error(e);
  process.exit(1);
});
