#!/usr/bin/env node
/**
 * CloudWatch's performance figures, measured against the built `nimbus` binary (run `npm run build`
 * first) started as its own process with durability "full":
 *   1. PutMetricData with 20 data points per call (awsJson 1.0, as current SDKs send) at
 *      concurrency 32: calls/s (target >= 2,000)
 *   2. 10,000 metric alarms evaluated in one pass (POST /_nimbus/cloudwatch/evaluate) while a
 *      client sends STS GetCallerIdentity one after another: the pass's duration and the p50/p99
 *      latency of GetCallerIdentity during it (target p99 < 10 ms), against an idle baseline.
 * Requests are SigV4-signed by a small signer here so the client is not the bottleneck. Figures are
 * printed, never asserted.
 *
 *   BENCH_SECONDS (default 10) for phase 1, BENCH_CONCURRENCY (default 32), BENCH_ALARMS (default 10000).
 *   BENCH_NODE_ARGS: extra node flags for the server process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
import { spawn } from "node:child_process";
import http from "node:http";
import { cpuMs, post, signed } from "./bench-common.mjs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ALARMS = Number(process.env.BENCH_ALARMS ?? 10_000);

const cloudwatch = (url, agent, op, input) => {
  const body = JSON.stringify(input);
  const headers = signed(url.host, "monitoring", { "content-type": "application/x-amz-json-1.0", "x-amz-target": `GraniteServiceVersion20100801.${op}` }, body);
  return post(url, agent, headers, body);
};
const callerIdentity = (url, agent) => {
  const body = "Action=GetCallerIdentity&Version=2011-06-15";
  return post(url, agent, signed(url.host, "sts", { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body), body);
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

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

async function putMetricDataPhase(url) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let calls = 0;
  let errors = 0;
  const deadline = performance.now() + SECONDS * 1000;
  let seq = 0;
  const worker = async (w) => {
    while (performance.now() < deadline) {
      const i = seq++;
      const MetricData = Array.from({ length: 20 }, (_, k) => ({
        MetricName: `Metric${k % 5}`,
        Dimensions: [{ Name: "Worker", Value: `w${w}` }, { Name: "Shard", Value: String(k % 4) }],
        Value: (i * 20 + k) % 1000,
        Unit: "Milliseconds",
      }));
      const r = await cloudwatch(url, agent, "PutMetricData", { Namespace: "Bench", MetricData });
      if (r.status === 200) calls++;
      else errors++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  const secs = (performance.now() - t0) / 1000;
  agent.destroy();
  return { calls, callsPerSecond: Math.round(calls / secs), datapointsPerSecond: Math.round((calls * 20) / secs), errors };
}

async function alarmPhase(url) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ALARMS) {
        const i = next++;
        const r = await cloudwatch(url, agent, "PutMetricAlarm", {
          AlarmName: `alarm-${String(i).padStart(5, "0")}`,
          Namespace: "BenchAlarms",
          MetricName: "Load",
          Dimensions: [{ Name: "Host", Value: `h${i % 100}` }],
          Statistic: "Average",
          Period: 60,
          EvaluationPeriods: 3,
          DatapointsToAlarm: 2,
          Threshold: i % 150,
          ComparisonOperator: "GreaterThanThreshold",
        });
        if (r.status !== 200) throw new Error(`PutMetricAlarm ${r.status} ${r.body}`);
      }
    }),
  );
  const createSecs = (performance.now() - t0) / 1000;
  // Data for the alarms' metrics (put after the alarms exist, so it is inside their window): 100 metrics, 100 alarms each.
  const now = Date.now();
  for (let m = 0; m < 100; m += 10) {
    const MetricData = [];
    for (let k = m; k < m + 10; k++) for (let i = 1; i <= 5; i++) MetricData.push({ MetricName: "Load", Dimensions: [{ Name: "Host", Value: `h${k}` }], Value: k + i, Timestamp: (now - i * 60_000) / 1000 });
    const r = await cloudwatch(url, agent, "PutMetricData", { Namespace: "BenchAlarms", MetricData });
    if (r.status !== 200) throw new Error(`PutMetricData ${r.status} ${r.body}`);
  }

  const probe = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const sample = async (ms) => {
    const lat = [];
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const s = performance.now();
      await callerIdentity(url, probe);
      lat.push(performance.now() - s);
    }
    return lat;
  };
  const idle = await sample(2000);
  // Pass 1 changes every alarm's state (writes); pass 2 is the steady state (nothing changes).
  const pass = async () => {
    let evaluating = true;
    const during = [];
    const prober = (async () => {
      while (evaluating) {
        const s = performance.now();
        await callerIdentity(url, probe);
        during.push(performance.now() - s);
      }
    })();
    const e0 = performance.now();
    const r = await post(url, agent, {}, "", "/_nimbus/cloudwatch/evaluate");
    const ms = performance.now() - e0;
    evaluating = false;
    await prober;
    if (r.status !== 200) throw new Error(`evaluate ${r.status} ${r.body}`);
    return { ms, during };
  };
  const first = await pass();
  const second = await pass();
  const evalMs = first.ms;
  const during = first.during;
  const states = {};
  let token;
  do {
    const page = JSON.parse((await cloudwatch(url, agent, "DescribeAlarms", { MaxRecords: 100, ...(token ? { NextToken: token } : {}) })).body);
    for (const a of page.MetricAlarms ?? []) states[a.StateValue] = (states[a.StateValue] ?? 0) + 1;
    token = page.NextToken;
  } while (token);
  agent.destroy();
  probe.destroy();
  return {
    alarms: ALARMS,
    createdPerSecond: Math.round(ALARMS / createSecs),
    evaluationPassMs: Math.round(evalMs),
    alarmsPerMinuteCapacity: Math.round((ALARMS / evalMs) * 60_000),
    states,
    getCallerIdentityIdle: { n: idle.length, p50: +pct(idle, 50).toFixed(2), p99: +pct(idle, 99).toFixed(2) },
    getCallerIdentityDuringEvaluation: { n: during.length, p50: +pct(during, 50).toFixed(2), p99: +pct(during, 99).toFixed(2), max: +Math.max(...during).toFixed(2) },
    steadyPassMs: Math.round(second.ms),
    getCallerIdentityDuringSteadyPass: { n: second.during.length, p50: +pct(second.during, 50).toFixed(2), p99: +pct(second.during, 99).toFixed(2), max: +Math.max(...second.during).toFixed(2) },
  };
}

const dir = await mkdtemp(join(tmpdir(), "nimbus-bench-cw-"));
const { child, url } = await startNimbus(dir);
try {
  const cpu0 = cpuMs(child.pid);
  const client0 = process.cpuUsage();
  const put = await putMetricDataPhase(url);
  const cpuPerCall = (cpuMs(child.pid) - cpu0) / put.calls;
  const c = process.cpuUsage(client0);
  const clientPerCall = (c.user + c.system) / 1000 / put.calls;
  console.log(
    `PutMetricData, 20 datapoints/call, concurrency ${CONCURRENCY}: ${put.callsPerSecond} calls/s (${put.datapointsPerSecond} datapoints/s), ${put.errors} errors (target >= 2,000 calls/s); CPU per call: server ${cpuPerCall.toFixed(3)} ms, this client ${clientPerCall.toFixed(3)} ms`,
  );
  const alarms = await alarmPhase(url);
  console.log(`Alarms: ${alarms.alarms} created at ${alarms.createdPerSecond}/s; the first evaluation pass (every alarm changes state) took ${alarms.evaluationPassMs} ms (capacity ~${alarms.alarmsPerMinuteCapacity} alarms/min); states ${JSON.stringify(alarms.states)}`);
  console.log(`GetCallerIdentity latency idle: p50 ${alarms.getCallerIdentityIdle.p50} ms, p99 ${alarms.getCallerIdentityIdle.p99} ms (n=${alarms.getCallerIdentityIdle.n})`);
  console.log(
    `GetCallerIdentity latency during evaluation: p50 ${alarms.getCallerIdentityDuringEvaluation.p50} ms, p99 ${alarms.getCallerIdentityDuringEvaluation.p99} ms, max ${alarms.getCallerIdentityDuringEvaluation.max} ms (n=${alarms.getCallerIdentityDuringEvaluation.n}; target p99 < 10 ms)`,
  );
  const st = alarms.getCallerIdentityDuringSteadyPass;
  console.log(`Steady-state pass (no state changes): ${alarms.steadyPassMs} ms; GetCallerIdentity during it: p50 ${st.p50} ms, p99 ${st.p99} ms, max ${st.max} ms (n=${st.n})`);
} finally {
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  await rm(dir, { recursive: true, force: true });
}
