#!/usr/bin/env node
/**
 * Lambda's performance figures, measured in-process against the built Nimbus (run
 * `npm run build` first) through the AWS SDK for JavaScript v3:
 *   1. warm invocations of a Node echo function: p50 / p95 end-to-end latency, and the p50
 *      overhead over a no-op Runtime API round trip (target p50 overhead < 5 ms)
 *   2. cold start: first invocation after the function's configuration changed (target < 300 ms)
 *   3. 100 concurrent invocations of a function that sleeps 100 ms (target < 1.5 s in total)
 * Figures are printed, never asserted. BENCH_WARM (default 300) sets the warm sample count.
 */
import { zipSync, strToU8 } from "fflate";
import { LambdaClient, CreateFunctionCommand, InvokeCommand, UpdateFunctionConfigurationCommand, PutFunctionConcurrencyCommand } from "@aws-sdk/client-lambda";
import { IAMClient, CreateRoleCommand } from "@aws-sdk/client-iam";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { Agent } from "node:http";
import { readdirSync, readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startNimbus } from "../dist/index.js";

const WARM = Number(process.env.BENCH_WARM ?? 300);
const n = await startNimbus({ port: 0, ephemeral: true, logLevel: "warn" });
const config = {
  endpoint: n.endpoint,
  region: n.region,
  credentials: n.credentials,
  maxAttempts: 1,
  requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 200 }) }),
};
const lambda = new LambdaClient(config);
const iam = new IAMClient(config);
const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const role = (await iam.send(new CreateRoleCommand({ RoleName: "bench", AssumeRolePolicyDocument: trust }))).Role.Arn;
const zip = (src) => zipSync({ "index.js": strToU8(src) });
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const ms = (x) => `${x.toFixed(2)} ms`;
/** Execution environments are this process's descendants running a Lambda bootstrap (Linux: read from /proc; else undefined). */
const environments = () => {
  try {
    const procs = [];
    for (const d of readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      try {
        procs.push({ pid: d, ppid: readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1].split(" ")[1], cmd: readFileSync(`/proc/${d}/cmdline`, "utf8") });
      } catch {
        // gone meanwhile
      }
    }
    const mine = new Set([String(process.pid)]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of procs) if (!mine.has(p.pid) && mine.has(p.ppid)) grew = mine.add(p.pid) !== undefined;
    }
    return procs.filter((p) => mine.has(p.pid) && /bootstrap/.test(p.cmd)).length;
  } catch {
    return undefined;
  }
};

await lambda.send(new CreateFunctionCommand({ FunctionName: "echo", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: { ZipFile: zip("exports.handler = async (e) => e;") } }));
await lambda.send(new CreateFunctionCommand({ FunctionName: "sleep", Runtime: "nodejs20.x", Role: role, Handler: "index.handler", Code: { ZipFile: zip("exports.handler = async () => { await new Promise((r) => setTimeout(r, 100)); return 1; };") } }));
const payload = Buffer.from(JSON.stringify({ hello: "world" }));

// 1. Warm.
for (let i = 0; i < 20; i++) await lambda.send(new InvokeCommand({ FunctionName: "echo", Payload: payload }));
const warm = [];
for (let i = 0; i < WARM; i++) {
  const t = performance.now();
  await lambda.send(new InvokeCommand({ FunctionName: "echo", Payload: payload }));
  warm.push(performance.now() - t);
}
// The same client's round trip for a request that runs no code (DryRun), to separate Nimbus's
// execution overhead from SDK + HTTP + signing cost.
const dry = [];
for (let i = 0; i < WARM; i++) {
  const t = performance.now();
  await lambda.send(new InvokeCommand({ FunctionName: "echo", InvocationType: "DryRun", Payload: payload }));
  dry.push(performance.now() - t);
}
console.log(`warm invoke (SDK v3, ${WARM} calls): p50 ${ms(pct(warm, 50))}, p95 ${ms(pct(warm, 95))}; DryRun p50 ${ms(pct(dry, 50))}; execution overhead p50 ${ms(pct(warm, 50) - pct(dry, 50))}`);

// 2. Cold start: a configuration change retires the warm environment.
const cold = [];
for (let i = 0; i < 10; i++) {
  await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "echo", Description: `run ${i}` }));
  const t = performance.now();
  await lambda.send(new InvokeCommand({ FunctionName: "echo", Payload: payload }));
  cold.push(performance.now() - t);
}
console.log(`cold start (10 samples): p50 ${ms(pct(cold, 50))}, max ${ms(Math.max(...cold))}`);

// 3. 100 concurrent 100 ms invocations, three rounds. The first starts from no environments: a
// few start at a time and each call runs in the first one free, so the burst ends with fewer
// environments than calls; later rounds reuse them all and start more only for calls that found
// none idle.
for (const label of ["from no environments", "second round", "third round"]) {
  // The server runs in this process: its event loop's worst stall during the burst.
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const t = performance.now();
  const results = await Promise.all(Array.from({ length: 100 }, () => lambda.send(new InvokeCommand({ FunctionName: "sleep" }))));
  lag.disable();
  const failed = results.filter((r) => r.FunctionError);
  const errors = failed.length ? `${failed.length} errors (${[...new Set(failed.map((r) => (({ errorType, errorMessage }) => errorType ?? String(errorMessage).slice(0, 80))(JSON.parse(Buffer.from(r.Payload).toString()))))].join(", ")})` : "0 errors";
  const envs = environments();
  console.log(`100 concurrent 100 ms invocations (${label}): ${ms(performance.now() - t)} total, ${errors}${envs === undefined ? "" : `, ${envs} environments running after it`}; event loop stalled up to ${ms(lag.max / 1e6)}`);
}
await n.stop();
