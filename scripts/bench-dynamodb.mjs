#!/usr/bin/env node
/**
 * DynamoDB performance figures, measured against the built `nimbus` binary (run `npm run build`
 * first; durability "full": every commit fsynced, concurrent writes group-committed) side by side
 * with dynalite (npm; in-memory LevelDB, its default), both started here as their own processes:
 *   1. PutItem of 1 KB items at concurrency 32: ops/s (target >= 5,000 and >= 2x dynalite)
 *   2. GetItem of those items at concurrency 32: ops/s (target >= 5,000 and >= 2x dynalite)
 *   3. Query returning 100 items from a table of 1,000,000 items (10,000 partitions of 100):
 *      p50 / p99 latency (target p50 < 5 ms), and the load time (BatchWriteItem, 25 items per
 *      request, concurrency 32). dynalite gets the same query on a smaller table
 *      (BENCH_DDB_DYNALITE_ITEMS, default 100,000) because loading a million items into it takes
 *      too long for one run.
 *   4. the floor: a Node.js HTTP server that does nothing but read each request and answer
 *      `{}`, driven by the same client; no server can go faster than this on the same machine
 *      with this client, whatever it does per request.
 * Requests are SigV4-signed by a small signer here so the client is not the bottleneck.
 * Figures are printed, never asserted.
 *
 *   BENCH_SECONDS (default 10) per throughput phase, BENCH_CONCURRENCY (default 32),
 *   BENCH_DDB_ITEMS (default 1000000), BENCH_DDB_DYNALITE_ITEMS (default 100000),
 *   BENCH_SKIP_DYNALITE=1 to skip the comparison, BENCH_SKIP_FLOOR=1 to skip the floor.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { createHash, createHmac } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuMs } from "./bench-common.mjs";

const ROOT = new URL("..", import.meta.url).pathname;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ITEMS = Number(process.env.BENCH_DDB_ITEMS ?? 1_000_000);
const DYNALITE_ITEMS = Number(process.env.BENCH_DDB_DYNALITE_ITEMS ?? 100_000);
const REGION = "us-east-1";

const hmac = (k, s) => createHmac("sha256", k).update(s).digest();
const sha256hex = (s) => createHash("sha256").update(s).digest("hex");

function signer(accessKeyId, secret) {
  let keyDate = "";
  let key;
  return (body, target, host) => {
    const amzDate = new Date().toISOString().replace(/[:-]|\.\d{3}/g, "");
    const date = amzDate.slice(0, 8);
    if (date !== keyDate) {
      keyDate = date;
      key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), REGION), "dynamodb"), "aws4_request");
    }
    const payloadHash = sha256hex(body);
    const headers = { "content-type": "application/x-amz-json-1.0", host, "x-amz-date": amzDate, "x-amz-target": `DynamoDB_20120810.${target}` };
    const names = Object.keys(headers).sort();
    const canonical = ["POST", "/", "", names.map((h) => `${h}:${headers[h]}\n`).join(""), names.join(";"), payloadHash].join("\n");
    const scope = `${date}/${REGION}/dynamodb/aws4_request`;
    const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256hex(canonical)}`;
    const signature = createHmac("sha256", key).update(toSign).digest("hex");
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
    headers["content-length"] = Buffer.byteLength(body);
    return headers;
  };
}

function target(url) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });
  const sign = signer("test", "test");
  const host = url.host;
  return {
    async call(op, input) {
      const body = JSON.stringify(input);
      const headers = sign(body, op, host);
      const res = await new Promise((resolve, reject) => {
        const req = http.request({ host: url.hostname, port: url.port, method: "POST", path: "/", headers, agent }, (r) => {
          const chunks = [];
          r.on("data", (c) => chunks.push(c));
          r.on("end", () => resolve({ status: r.statusCode, body: Buffer.concat(chunks).toString() }));
          r.on("error", reject);
        });
        req.on("error", reject);
        req.end(body);
      });
      if (res.status !== 200) throw new Error(`${op} answered ${res.status}: ${res.body.slice(0, 300)}`);
      return JSON.parse(res.body);
    },
  };
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function startNimbus(dataDir) {
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), `${ROOT}bin/nimbus.js`, "start", "--port", "0", "--data-dir", dataDir, "--log-level", "warn"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ child, url: new URL(m[1]) });
    });
    child.once("exit", (code) => reject(new Error(`nimbus exited with ${code}`)));
  });
}

async function startDynalite() {
  const port = await freePort();
  const child = spawn(process.execPath, [`${ROOT}node_modules/dynalite/cli.js`, "--port", String(port), "--host", "127.0.0.1", "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.end();
        r(true);
      });
      s.on("error", () => r(false));
    });
    if (ok) return { child, url: new URL(`http://127.0.0.1:${port}`) };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("dynalite did not start");
}

/** A server that only reads each request and answers `{}` (the floor; see the header). */
function startFloor() {
  const source = `
    const http = require("node:http");
    const server = http.createServer((req, res) => {
      req.on("data", () => {});
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/x-amz-json-1.0", "content-length": 2 });
        res.end("{}");
      });
    });
    server.keepAliveTimeout = 65000;
    server.listen(0, "127.0.0.1", () => console.log("listening on http://127.0.0.1:" + server.address().port));
  `;
  const child = spawn(process.execPath, ["-e", source], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ child, url: new URL(m[1]) });
    });
    child.once("exit", (code) => reject(new Error(`floor server exited with ${code}`)));
  });
}

async function waitActive(t, name) {
  for (let i = 0; i < 100; i++) {
    const d = await t.call("DescribeTable", { TableName: name });
    if (d.Table.TableStatus === "ACTIVE") return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function createTables(t) {
  await t.call("CreateTable", {
    TableName: "kvtable",
    AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    BillingMode: "PAY_PER_REQUEST",
  });
  await t.call("CreateTable", {
    TableName: "series",
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "N" },
    ],
    KeySchema: [
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ],
    BillingMode: "PAY_PER_REQUEST",
  });
  await waitActive(t, "kvtable");
  await waitActive(t, "series");
}

/** Runs `op(i)` from CONCURRENCY workers for SECONDS; ops/s. */
async function throughput(op, pid) {
  const end = Date.now() + SECONDS * 1000;
  const cpu0 = cpuMs(pid);
  const own0 = process.cpuUsage();
  let done = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        await op(next++);
        done++;
      }
    }),
  );
  const own = process.cpuUsage(own0);
  return { rate: done / SECONDS, cpu: (cpuMs(pid) - cpu0) / done, client: (own.user + own.system) / 1000 / done };
}

const KEYSPACE = 10_000;
const payload = "x".repeat(1000);

/** PutItem then GetItem throughput; with each, the server's and this client's CPU per request (ms). */
async function putGet(t, pid) {
  const put = await throughput((i) => t.call("PutItem", { TableName: "kvtable", Item: { id: { S: `k${i % KEYSPACE}` }, data: { S: payload } } }), pid);
  const get = await throughput((i) => t.call("GetItem", { TableName: "kvtable", Key: { id: { S: `k${(i * 7919) % KEYSPACE}` } } }), pid);
  return { put: put.rate, get: get.rate, cpu: `server CPU per request: PutItem ${put.cpu.toFixed(3)} ms, GetItem ${get.cpu.toFixed(3)} ms; this client's: ${put.client.toFixed(3)} / ${get.client.toFixed(3)} ms` };
}

async function load(t, items) {
  const partitions = Math.max(1, Math.floor(items / 100));
  const started = Date.now();
  let next = 0;
  const batches = Math.ceil(items / 25);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (;;) {
        const b = next++;
        if (b >= batches) return;
        const reqs = [];
        for (let j = 0; j < 25; j++) {
          const n = b * 25 + j;
          if (n >= items) break;
          reqs.push({ PutRequest: { Item: { pk: { S: `p${n % partitions}` }, sk: { N: String(Math.floor(n / partitions)) }, v: { S: "value-" + n } } } });
        }
        let request = { series: reqs };
        while (request && Object.keys(request).length) {
          const r = await t.call("BatchWriteItem", { RequestItems: request });
          request = r.UnprocessedItems;
        }
      }
    }),
  );
  return { seconds: (Date.now() - started) / 1000, partitions };
}

async function queryLatency(t, partitions, n = 500) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const p = (i * 7919) % partitions;
    const start = process.hrtime.bigint();
    const r = await t.call("Query", { TableName: "series", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: `p${p}` } } });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (r.Count !== 100) throw new Error(`Query returned ${r.Count} items`);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(n * 0.5)], p99: times[Math.floor(n * 0.99)] };
}

const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(2));

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), "nimbus-bench-ddb-"));
  const nimbus = await startNimbus(dataDir);
  let dyn;
  let floor;
  try {
    const t = target(nimbus.url);
    await createTables(t);
    const n = await putGet(t, nimbus.child.pid);
    console.log(`nimbus   PutItem 1 KB x${CONCURRENCY}: ${fmt(n.put)} ops/s   GetItem: ${fmt(n.get)} ops/s   (${n.cpu})`);
    const loaded = await load(t, ITEMS);
    console.log(`nimbus   loaded ${ITEMS.toLocaleString("en-US")} items in ${loaded.seconds.toFixed(1)} s (${fmt(ITEMS / loaded.seconds)} items/s, BatchWriteItem x${CONCURRENCY})`);
    const q = await queryLatency(t, loaded.partitions);
    console.log(`nimbus   Query 100 of ${ITEMS.toLocaleString("en-US")}: p50 ${q.p50.toFixed(2)} ms, p99 ${q.p99.toFixed(2)} ms`);

    if (process.env.BENCH_SKIP_DYNALITE !== "1") {
      dyn = await startDynalite();
      const d = target(dyn.url);
      await createTables(d);
      const dr = await putGet(d, dyn.child.pid);
      console.log(`dynalite PutItem 1 KB x${CONCURRENCY}: ${fmt(dr.put)} ops/s   GetItem: ${fmt(dr.get)} ops/s   (${dr.cpu})`);
      const dl = await load(d, DYNALITE_ITEMS);
      console.log(`dynalite loaded ${DYNALITE_ITEMS.toLocaleString("en-US")} items in ${dl.seconds.toFixed(1)} s`);
      const dq = await queryLatency(d, dl.partitions);
      console.log(`dynalite Query 100 of ${DYNALITE_ITEMS.toLocaleString("en-US")}: p50 ${dq.p50.toFixed(2)} ms, p99 ${dq.p99.toFixed(2)} ms`);
      console.log(
        `ratio (nimbus / dynalite): PutItem ${(n.put / dr.put).toFixed(2)}x, GetItem ${(n.get / dr.get).toFixed(2)}x, Query p50 ${(dq.p50 / q.p50).toFixed(2)}x faster (nimbus on a ${Math.round(ITEMS / DYNALITE_ITEMS)}x larger table)`,
      );
      if (process.env.BENCH_SKIP_FLOOR !== "1") {
        floor = await startFloor();
        const f = await putGet(target(floor.url), floor.child.pid);
        console.log(`floor    PutItem-shaped requests to a server that answers {} and does nothing else: ${fmt(f.put)}/s, GetItem-shaped: ${fmt(f.get)}/s (${f.cpu})`);
        console.log(`         2x dynalite would be PutItem ${fmt(2 * dr.put)}/s, GetItem ${fmt(2 * dr.get)}/s: ${(2 * dr.put / f.put).toFixed(2)}x / ${(2 * dr.get / f.get).toFixed(2)}x the floor`);
      }
    }
  } finally {
    nimbus.child.kill("SIGTERM");
    dyn?.child.kill("SIGTERM");
    floor?.child.kill("SIGTERM");
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
