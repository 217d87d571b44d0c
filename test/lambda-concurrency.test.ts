/**
 * Lambda execution environments under concurrency: a burst gets one environment per invocation in
 * flight, the next burst reuses those warm environments without starting any, an invocation that
 * waits for a starting environment goes to whichever environment is free first, and reserved
 * concurrency counts invocations in flight. The functions hold their invocations open until the
 * test opens a gate (a file), so nothing here depends on how fast the machine is.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "node:http";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { LambdaClient, CreateFunctionCommand, InvokeCommand, PutFunctionConcurrencyCommand } from "@aws-sdk/client-lambda";
import type { Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";
import { executionRole, zip } from "./lambda-helpers.js";

let n: Nimbus;
let lambda: LambdaClient;
let role: string;
let gates: string;
const dec = (b: Uint8Array | undefined) => JSON.parse(Buffer.from(b ?? []).toString("utf8") || "null");
const enc = (v: unknown) => Buffer.from(JSON.stringify(v));

/**
 * Each invocation writes `started-<n>` (its pid) and, given a gate, waits until that file exists.
 * With SLOW_INIT set, every environment after the first waits in its init for the file `gate-init`
 * (after writing `init-<pid>`).
 */
const GATED = `import { existsSync, readdirSync, writeFileSync } from "node:fs";
const dir = process.env.GATES;
const wait = async (f) => { while (!existsSync(dir + "/" + f)) await new Promise((r) => setTimeout(r, 10)); };
const inits = readdirSync(dir).filter((f) => f.startsWith("init-")).length;
writeFileSync(dir + "/init-" + process.pid, "");
if (process.env.SLOW_INIT && inits > 0) await wait("gate-init");
export const handler = async (event) => {
  writeFileSync(dir + "/started-" + event.n, String(process.pid));
  if (event.gate) await wait(event.gate);
  return process.pid;
};
`;

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

async function createGated(name: string, variables: Record<string, string> = {}) {
  const dir = join(gates, name);
  mkdirSync(dir);
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: "nodejs20.x",
      Role: role,
      Handler: "index.handler",
      Timeout: 60,
      Code: { ZipFile: zip({ "index.mjs": GATED }) },
      Environment: { Variables: { GATES: dir, ...variables } },
    }),
  );
  return dir;
}

const started = (dir: string) => readdirSync(dir).filter((f) => f.startsWith("started-")).length;
const inits = (dir: string) => readdirSync(dir).filter((f) => f.startsWith("init-")).length;
const invoke = (name: string, event: object) => lambda.send(new InvokeCommand({ FunctionName: name, Payload: enc(event) }));

beforeAll(async () => {
  n = await startTestNimbus();
  // Enough sockets for every invocation of a burst to be in flight at once.
  lambda = new LambdaClient({ ...sdkConfig(n), requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 50 }) }) });
  role = await executionRole(n, "concurrency-runner");
  gates = mkdtempSync(join(tmpdir(), "nimbus-lambda-gates-"));
});
afterAll(async () => {
  await n.stop();
  rmSync(gates, { recursive: true, force: true });
});

describe("execution environments under concurrency", () => {
  it("runs a burst in one environment per invocation in flight, and the next burst reuses them without starting more", async () => {
    const dir = await createGated("burst");
    const N = 6;
    // All N hold their environment until every one of them has started: N environments.
    const first = Array.from({ length: N }, (_, i) => invoke("burst", { n: i, gate: "open" }));
    await until(() => started(dir) === N);
    writeFileSync(join(dir, "open"), "");
    const pids = new Set((await Promise.all(first)).map((r) => dec(r.Payload) as number));
    expect(pids.size).toBe(N);
    expect(inits(dir)).toBe(N);
    // The second burst finds N idle environments: every call runs in one of them, none starts.
    const second = await Promise.all(Array.from({ length: N }, (_, i) => invoke("burst", { n: N + i })));
    for (const r of second) {
      expect(r.FunctionError).toBeUndefined();
      expect(pids).toContain(dec(r.Payload));
    }
    expect(inits(dir)).toBe(N);
  });

  it("gives an invocation waiting for a starting environment to the first environment free", async () => {
    const dir = await createGated("handoff", { SLOW_INIT: "1" });
    // A runs in the first environment and holds it.
    const a = invoke("handoff", { n: 0, gate: "release-a" });
    await until(() => started(dir) === 1);
    // B finds no idle environment: a second one starts, and stays in its init (SLOW_INIT).
    const b = lambda.send(new InvokeCommand({ FunctionName: "handoff", Payload: enc({ n: 1 }), LogType: "Tail" }));
    await until(() => inits(dir) === 2);
    // A ends: its environment is free before the new one, and takes B.
    writeFileSync(join(dir, "release-a"), "");
    const [ra, rb] = await Promise.all([a, b]);
    expect(dec(rb.Payload)).toBe(dec(ra.Payload));
    // It ran warm: no Init Duration in its log.
    const tail = Buffer.from(rb.LogResult!, "base64").toString("utf8");
    expect(tail).toMatch(/REPORT RequestId: /);
    expect(tail).not.toContain("Init Duration");
    // The second environment finishes its init and stays warm for the next burst.
    writeFileSync(join(dir, "gate-init"), "");
    const c = invoke("handoff", { n: 2, gate: "release-c" });
    await until(() => started(dir) === 3);
    const d = invoke("handoff", { n: 3 });
    const pd = dec((await d).Payload);
    writeFileSync(join(dir, "release-c"), "");
    const pc = dec((await c).Payload);
    expect(pd).not.toBe(pc);
    expect(inits(dir)).toBe(2);
  });

  it("counts invocations in flight against reserved concurrency, not environments", async () => {
    const dir = await createGated("reserved");
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: "reserved", ReservedConcurrentExecutions: 2 }));
    const held = [invoke("reserved", { n: 0, gate: "open" }), invoke("reserved", { n: 1, gate: "open" })];
    await until(() => started(dir) === 2);
    await expect(invoke("reserved", { n: 2 })).rejects.toMatchObject({ name: "TooManyRequestsException", Reason: "ReservedFunctionConcurrentInvocationLimitExceeded" });
    writeFileSync(join(dir, "open"), "");
    await Promise.all(held);
    // Both environments are idle again: two calls at once run in them, and no third one starts.
    const again = await Promise.all([invoke("reserved", { n: 3 }), invoke("reserved", { n: 4 })]);
    for (const r of again) expect(r.FunctionError).toBeUndefined();
    expect(inits(dir)).toBe(2);
  });
});
