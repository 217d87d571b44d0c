#!/usr/bin/env node
/**
 * CloudWatch Logs' performance figures, measured against the built `nimbus` binary (run
 * `npm run build` first) started as its own process with durability "full":
 *   1. PutLogEvents with 100 events per call (awsJson 1.1) at concurrency 32: calls/s
 *      (target >= 2,000)
 *   2. FilterLogEvents over a group of 1,000,000 events (BENCH_LOG_EVENTS) with a pattern that
 *      matches 0.1% of them, paging with nextToken through the whole group: total time
 *      (target < 1 s), and the same for an unfiltered first page of 10,000 events.
 * Requests are SigV4-signed by a small signer here so the client is not the bottleneck. Figures are
 * printed, never asserted.
 *
 *   BENCH_SECONDS (default 10) for phase 1, BENCH_CONCURRENCY (default 32), BENCH_LOG_EVENTS (default 1000000).
 *   BENCH_NODE_ARGS: extra node flags for the server process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
import { spawn } from "node:child_process";
import http from "node:http";
import { post, signed } from "./bench-common.mjs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const EVENTS = Number(process.env.BENCH_LOG_EVENTS ?? 1_000_000);

const logs = async (url, agent, op, input) => {
  const body = JSON.stringify(input);
  const r = await post(url, agent, signed(url.host, "logs", { "content-type": "application/x-amz-json-1.1", "x-amz-target": `Logs_20140328.${op}` }, body), body);
  return r;
};
const must = async (url, agent, op, input) => {
  const r = await logs(url, agent, op, input);
  if (r.status !== 200) throw new Error(`${op} ${r.status} ${r.body}`);
  return r.body ? JSON.parse(r.body) : {};
};

function startNimbus(dataDir) {
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), `${ROOT}bin/nimbus.js`, "start", "--port", "0", "--data-dir", dataDir, "--log-level", "warn"], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ child, url: new URL(m[1]) });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`nimbus exited ${code}: ${out}`)));
  });
}

async function putPhase(url) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  await must(url, agent, "CreateLogGroup", { logGroupName: "/bench/put" });
  for (let w = 0; w < CONCURRENCY; w++) await must(url, agent, "CreateLogStream", { logGroupName: "/bench/put", logStreamName: `w${w}` });
  let calls = 0;
  let errors = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const worker = async (w) => {
    let i = 0;
    while (performance.now() < deadline) {
      const now = Date.now();
      const logEvents = Array.from({ length: 100 }, (_, k) => ({ timestamp: now, message: `${new Date(now).toISOString()} INFO worker=${w} seq=${i++} path=/api/items/${k} status=200 ms=${k % 37}` }));
      const r = await logs(url, agent, "PutLogEvents", { logGroupName: "/bench/put", logStreamName: `w${w}`, logEvents });
      if (r.status === 200) calls++;
      else errors++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  const secs = (performance.now() - t0) / 1000;
  agent.destroy();
  return { callsPerSecond: Math.round(calls / secs), eventsPerSecond: Math.round((calls * 100) / secs), errors };
}

async function filterPhase(url) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  await must(url, agent, "CreateLogGroup", { logGroupName: "/bench/filter" });
  for (let s = 0; s < 4; s++) await must(url, agent, "CreateLogStream", { logGroupName: "/bench/filter", logStreamName: `s${s}` });
  // Load: 10,000 events per call, four streams side by side, spread over the last hour.
  const per = 10_000;
  const calls = Math.ceil(EVENTS / per);
  const base = Date.now() - 3_600_000;
  const l0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async (_, s) => {
      while (next < calls) {
        const c = next++;
        const logEvents = [];
        for (let k = 0; k < per && c * per + k < EVENTS; k++) {
          const n = c * per + k;
          logEvents.push({ timestamp: base + Math.floor((n / EVENTS) * 3_500_000), message: n % 1000 === 0 ? `ERROR request ${n} failed code=500` : `INFO request ${n} ok code=200` });
        }
        await must(url, agent, "PutLogEvents", { logGroupName: "/bench/filter", logStreamName: `s${s}`, logEvents });
      }
    }),
  );
  const loadSecs = (performance.now() - l0) / 1000;
  const scan = async (pattern, onePage) => {
    const t0 = performance.now();
    let found = 0;
    let pages = 0;
    let nextToken;
    do {
      const r = await must(url, agent, "FilterLogEvents", { logGroupName: "/bench/filter", ...(pattern ? { filterPattern: pattern } : {}), ...(nextToken ? { nextToken } : {}) });
      found += r.events.length;
      pages++;
      nextToken = r.nextToken;
    } while (nextToken && !onePage);
    return { ms: Math.round(performance.now() - t0), found, pages };
  };
  const rare = await scan("ERROR", false);
  const rareAgain = await scan("ERROR", false);
  const firstPage = await scan(undefined, true);
  agent.destroy();
  return { loaded: EVENTS, loadSecs: Number(loadSecs.toFixed(1)), rareMatchAllPages: rare, rareMatchAllPagesWarm: rareAgain, unfilteredFirstPage: firstPage };
}

const dataDir = await mkdtemp(join(tmpdir(), "nimbus-bench-logs-"));
const { child, url } = await startNimbus(dataDir);
try {
  const put = await putPhase(url);
  console.log(`PutLogEvents (100 events/call, concurrency ${CONCURRENCY}, ${SECONDS}s): ${put.callsPerSecond} calls/s (${put.eventsPerSecond} events/s), ${put.errors} errors  [target >= 2000 calls/s]`);
  const f = await filterPhase(url);
  console.log(`FilterLogEvents over ${f.loaded} events (loaded in ${f.loadSecs}s):`);
  console.log(`  pattern "ERROR" (0.1% match), every page: ${f.rareMatchAllPages.ms} ms, ${f.rareMatchAllPages.found} events in ${f.rareMatchAllPages.pages} pages; again: ${f.rareMatchAllPagesWarm.ms} ms  [target < 1000 ms]`);
  console.log(`  no pattern, first page: ${f.unfilteredFirstPage.ms} ms, ${f.unfilteredFirstPage.found} events`);
} finally {
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  await rm(dataDir, { recursive: true, force: true });
}
