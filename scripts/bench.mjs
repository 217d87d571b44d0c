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
  const child = spawn(process.execPath, [`${ROOT}bin/nimbus.js`, "start", "--port", "0", "--ephemeral", "--log-level", logLevel], {
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

async function signedGetCallerIdentity(endpoint) {
  const url = new URL(endpoint);
  const body = "Action=GetCallerIdentity&Version=2011-06-15";
  const signer = new SignatureV4({
    service: "sts",
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: "POST",
    protocol: "http:",
    hostname: url.hostname,
    port: Number(url.port),
    path: "/",
    headers: { host: url.host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body,
  });
  return { url, headers: { ...signed.headers, "content-length": String(Buffer.byteLength(body)) }, body };
}

async function load(endpoint) {
  const req = await signedGetCallerIdentity(endpoint);
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
    const r = await load(endpoint);
    const after = rssMb(child.pid);
    console.log(
      `GetCallerIdentity (signed, keep-alive, log-level ${logLevel}): ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.errors} errors (targets: >= 5000 req/s, p99 < 10 ms)`,
    );
    console.log(`  RSS idle ${idle.toFixed(0)} MB (target < 100 MB), after load ${after.toFixed(0)} MB`);
    child.kill("SIGTERM");
    await new Promise((res) => child.once("exit", res));
  }
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
