#!/usr/bin/env node
/**
 * The S3 object API's performance figures, measured against the built `nimbus` binary (run
 * `npm run build` first) with durability "full" (every object fsynced, every commit fsynced):
 *   1. 4 KiB objects at concurrency 32: PUT/s and GET/s (targets >= 3,000 and >= 5,000)
 *   2. one 1 GiB PUT and GET, streamed: MB/s (target >= 500) and the server's RSS growth (< 64 MB)
 *   3. ListObjectsV2: a page of 1,000 out of 100,000 keys (target < 20 ms)
 *   4. the same small-object test against s3rver (npm), started as its own process: the ratio
 *   5. the floor: the small-object test against a Node.js HTTP server that only reads each PUT
 *      and answers each GET with 4 KiB from memory, driven by the same client; no server can
 *      go faster on the same machine with this client, whatever it does per request
 * Every object is encrypted at rest (SSE-S3, the default: AES-256-GCM in 64 KiB chunks; the ETag
 * MD5 of large bodies runs in a worker thread), so the figures include encryption.
 * Requests are SigV4-signed per request by a small signer here (the client must not be the
 * bottleneck on a small machine), with UNSIGNED-PAYLOAD and an x-amz-checksum-crc32 header as
 * SDKs send over TLS. Figures are printed, never asserted.
 *
 *   BENCH_SECONDS (default 10) per small-object phase, BENCH_CONCURRENCY (default 32),
 *   BENCH_BIG_MB (default 1024) for the large object, BENCH_SKIP_S3RVER=1 to skip the comparison,
 *   BENCH_PARTS (default "small,big,list,s3rver,floor"): which phases to run, comma-separated,
 *   BENCH_NODE_ARGS: extra node flags for the Nimbus process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"),
 *   BENCH_SERVER_STDOUT=1: pass the Nimbus process's standard output on (e.g. with "--trace-gc").
 */
import { spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import zlib from "node:zlib";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuMs } from "./bench-common.mjs";

const ROOT = new URL("..", import.meta.url).pathname;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 1024);
const REGION = "us-east-1";
const PARTS = new Set((process.env.BENCH_PARTS ?? "small,big,list,s3rver,floor").split(",").map((s) => s.trim()));
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);

// ---------------------------------------------------------------------------------------------
// SigV4 (header form), enough for path-style S3 requests with unsigned payloads.

const hmac = (k, s) => createHmac("sha256", k).update(s).digest();
const sha256hex = (s) => createHash("sha256").update(s).digest("hex");
const encodePath = (p) => p.split("/").map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join("/");

function signer(accessKeyId, secret) {
  let keyDate = "";
  let key;
  return (method, path, query, extraHeaders, host) => {
    const amzDate = new Date().toISOString().replace(/[:-]|\.\d{3}/g, "");
    const date = amzDate.slice(0, 8);
    if (date !== keyDate) {
      keyDate = date;
      key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), REGION), "s3"), "aws4_request");
    }
    const headers = { host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-date": amzDate, ...extraHeaders };
    const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v).trim()]));
    const qs = Object.entries(query ?? {})
      .map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join("&");
    const canonical = [method, encodePath(path), qs, names.map((h) => `${h}:${lower[h]}\n`).join(""), names.join(";"), "UNSIGNED-PAYLOAD"].join("\n");
    const scope = `${date}/${REGION}/s3/aws4_request`;
    const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256hex(canonical)}`;
    const signature = createHmac("sha256", key).update(toSign).digest("hex");
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
    return { headers, path: encodePath(path) + (qs ? `?${qs}` : "") };
  };
}

function request(target, agent, method, path, { query, headers = {}, body } = {}) {
  const { headers: h, path: p } = target.sign(method, path, query, headers, target.host);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: target.hostname, port: target.port, method, path: p, headers: h, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body instanceof Function) body(req);
    else req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// Servers

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function startNimbus(dataDir) {
  const args = [`${ROOT}bin/nimbus.js`, "start", "--port", "0", "--data-dir", dataDir, "--log-level", "warn"];
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      if (process.env.BENCH_SERVER_STDOUT === "1") process.stderr.write(d);
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ child, url: new URL(m[1]) });
    });
    child.once("exit", (code) => reject(new Error(`nimbus exited with ${code}`)));
  });
}

/** A server that only reads each PUT and answers each GET with 4 KiB (the floor; see the header). */
function startFloor() {
  const source = `
    const http = require("node:http");
    const body = Buffer.alloc(4096, 120);
    const server = http.createServer((req, res) => {
      req.on("data", () => {});
      req.on("end", () => {
        if (req.method === "GET") {
          res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
          res.end(body);
        } else {
          res.writeHead(200, { "content-length": 0 });
          res.end();
        }
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

async function startS3rver(dataDir) {
  const port = await freePort();
  const child = spawn(process.execPath, [`${ROOT}node_modules/s3rver/bin/s3rver.js`, "-d", dataDir, "-p", String(port), "-a", "127.0.0.1", "--silent"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = new URL(`http://127.0.0.1:${port}`);
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.end();
        r(true);
      });
      s.on("error", () => r(false));
    });
    if (ok) return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("s3rver did not start");
}

function stop(child) {
  return new Promise((r) => {
    child.once("exit", r);
    child.kill("SIGTERM");
  });
}

function rssMb(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
}

function target(url, accessKeyId, secret) {
  return { hostname: url.hostname, port: Number(url.port), host: url.host, sign: signer(accessKeyId, secret) };
}

// ---------------------------------------------------------------------------------------------
// Phases

const crc32b64 = (buf) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(zlib.crc32(buf) >>> 0);
  return b.toString("base64");
};

async function loop(durationMs, fn) {
  const latencies = [];
  let errors = 0;
  let next = 0;
  const end = performance.now() + durationMs;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const i = next++;
        const t = performance.now();
        try {
          if (await fn(i)) latencies.push(performance.now() - t);
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return { rate: latencies.length / elapsed, p50: pct(50), p99: pct(99), count: latencies.length, errors, done: next };
}

async function smallObjects(t, bucket, label, pid) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const body = randomBytes(4096);
  const headers = { "content-length": "4096", "content-type": "application/octet-stream", "x-amz-checksum-crc32": crc32b64(body) };
  const put = (i) => request(t, agent, "PUT", `/${bucket}/small/${i}`, { headers, body }).then((r) => r.status === 200);
  // Warm up (JIT, connections), then measure.
  await loop(1000, (i) => put(1_000_000 + i));
  let cpu0 = cpuMs(pid);
  let client0 = process.cpuUsage();
  const puts = await loop(SECONDS * 1000, put);
  const putCpu = (cpuMs(pid) - cpu0) / puts.count;
  const clientMs = (c0, n) => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000 / n;
  };
  const putClient = clientMs(client0, puts.count);
  const written = puts.count;
  const get = (i) =>
    request(t, agent, "GET", `/${bucket}/small/${i % written}`).then((r) => r.status === 200 && r.body.length === 4096);
  await loop(1000, get);
  cpu0 = cpuMs(pid);
  client0 = process.cpuUsage();
  const gets = await loop(SECONDS * 1000, get);
  const getCpu = (cpuMs(pid) - cpu0) / gets.count;
  const getClient = clientMs(client0, gets.count);
  agent.destroy();
  console.log(
    `${label}: 4 KiB PUT ${puts.rate.toFixed(0)}/s (p50 ${puts.p50.toFixed(2)} ms, p99 ${puts.p99.toFixed(2)} ms, ${puts.errors} errors); ` +
      `GET ${gets.rate.toFixed(0)}/s (p50 ${gets.p50.toFixed(2)} ms, p99 ${gets.p99.toFixed(2)} ms, ${gets.errors} errors)` +
      (pid !== undefined ? `; server CPU per request: PUT ${putCpu.toFixed(3)} ms, GET ${getCpu.toFixed(3)} ms` : "") +
      `; this client's CPU per request: PUT ${putClient.toFixed(3)} ms, GET ${getClient.toFixed(3)} ms`,
  );
  return { put: puts.rate, get: gets.rate };
}

async function bigObject(t, pid, bucket) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const block = randomBytes(1024 * 1024);
  const size = BIG_MB * 1024 * 1024;
  let crc = 0;
  for (let i = 0; i < BIG_MB; i++) crc = zlib.crc32(block, crc);
  const crcB = Buffer.alloc(4);
  crcB.writeUInt32BE(crc >>> 0);
  const idle = rssMb(pid);
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
  let t0 = performance.now();
  let cpu0 = cpuMs(pid);
  const put = await request(t, agent, "PUT", `/${bucket}/big`, {
    headers: { "content-length": String(size), "x-amz-checksum-crc32": crcB.toString("base64") },
    body: (req) => {
      let i = 0;
      const write = () => {
        while (i < BIG_MB) {
          i++;
          if (!req.write(block)) return void req.once("drain", write);
        }
        req.end();
      };
      write();
    },
  });
  const putS = (performance.now() - t0) / 1000;
  const putCpu = (cpuMs(pid) - cpu0) / BIG_MB;
  const putPeak = peak;
  if (put.status !== 200) throw new Error(`big PUT answered ${put.status}: ${put.body}`);
  peak = rssMb(pid);
  const before = peak;
  t0 = performance.now();
  cpu0 = cpuMs(pid);
  const got = await new Promise((resolve, reject) => {
    const { headers, path } = t.sign("GET", `/${bucket}/big`, undefined, {}, t.host);
    http
      .get({ host: t.hostname, port: t.port, path, headers, agent }, (res) => {
        // CRC32 (native, several GB/s) keeps the check from slowing the client down.
        let n = 0;
        let c32 = 0;
        res.on("data", (c) => {
          n += c.length;
          c32 = zlib.crc32(c, c32);
        });
        res.on("end", () => resolve({ status: res.statusCode, n, crc: c32 >>> 0 }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
  const getS = (performance.now() - t0) / 1000;
  const getCpu = (cpuMs(pid) - cpu0) / BIG_MB;
  clearInterval(sampler);
  agent.destroy();
  if (got.status !== 200 || got.n !== size || got.crc !== crc >>> 0) throw new Error(`big GET failed: ${JSON.stringify(got)}`);
  console.log(
    `${BIG_MB} MiB object: PUT ${(BIG_MB / putS).toFixed(0)} MB/s (RSS +${(putPeak - idle).toFixed(0)} MB), ` +
      `GET ${(BIG_MB / getS).toFixed(0)} MB/s (RSS +${(peak - before).toFixed(0)} MB) (targets >= 500 MB/s, < 64 MB); ` +
      `server CPU per MiB (main thread + workers): PUT ${putCpu.toFixed(2)} ms, GET ${getCpu.toFixed(2)} ms`,
  );
}

/** 100,000 keys written straight into a stopped server's metadata store, then listed over HTTP. */
async function listing(dataDir) {
  const { SqliteMetadataStore } = await import(`${ROOT}dist/storage/sqlite-metadata-store.js`);
  const { BucketStore } = await import(`${ROOT}dist/services/s3/store.js`);
  const { tablesOf } = await import(`${ROOT}dist/services/s3/objects-store.js`);
  const meta = new SqliteMetadataStore(join(dataDir, "metadata.sqlite"), { durability: "normal" });
  const record = { name: "listing", account: "000000000000", region: REGION, created: new Date().toISOString() };
  await new BucketStore(meta).create(record);
  await meta.transaction(async (tx) => {
    const t = tablesOf(tx, record);
    for (let i = 0; i < 100_000; i++) {
      await t.cur.put(`dir${String(Math.floor(i / 100)).padStart(4, "0")}/object-${String(i).padStart(6, "0")}`, {
        versionId: "null",
        sortId: "00000000000000aaaaaaaaaaaaaaaaaa",
        lastModified: new Date().toISOString(),
        owner: "000000000000",
        blob: "0".repeat(32),
        size: 4096,
        etag: '"0123456789abcdef0123456789abcdef"',
        sha256: "0".repeat(64),
        contentType: "binary/octet-stream",
        checksum: { algorithm: "CRC32", value: "AAAAAA==", type: "FULL_OBJECT" },
        serverSideEncryption: "AES256",
      });
    }
  });
  await meta.close();
  const { child, url } = await startNimbus(dataDir);
  const t = target(url, "test", "test");
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const page = async (query) => {
    const t0 = performance.now();
    const r = await request(t, agent, "GET", "/listing", { query: { "list-type": "2", ...query } });
    const ms = performance.now() - t0;
    if (r.status !== 200) throw new Error(`list answered ${r.status}`);
    const count = (r.body.toString().match(/<Key>/g) ?? []).length + (r.body.toString().match(/<CommonPrefixes>/g) ?? []).length;
    return { ms, count, token: /<NextContinuationToken>([^<]+)</.exec(r.body.toString())?.[1] };
  };
  const measure = async (query, label) => {
    for (let i = 0; i < 5; i++) await page(query);
    const runs = [];
    let token;
    for (let i = 0; i < 21; i++) {
      const r = await page({ ...query, ...(token ? { "continuation-token": token } : {}) });
      if (r.count !== 1000) throw new Error(`page held ${r.count}`);
      runs.push(r.ms);
      token = r.token;
    }
    runs.sort((a, b) => a - b);
    console.log(`ListObjectsV2 ${label}: median ${runs[10].toFixed(1)} ms, p95 ${runs[19].toFixed(1)} ms (request to last byte; target < 20 ms)`);
  };
  await measure({}, "page of 1,000 of 100,000 keys");
  const grouped = await page({ delimiter: "/" });
  console.log(`ListObjectsV2 delimiter "/" (1,000 common prefixes spanning all 100,000 keys): ${grouped.ms.toFixed(1)} ms`);
  agent.destroy();
  await stop(child);
}

async function main() {
  console.log(`Nimbus S3 benchmark (node ${process.version}, ${SECONDS}s per phase, concurrency ${CONCURRENCY}, durability full)`);
  const dir = await mkdtemp(join(tmpdir(), "nimbus-bench-s3-"));
  try {
    const { child, url } = await startNimbus(join(dir, "nimbus"));
    const t = target(url, "test", "test");
    const agent = new http.Agent({ keepAlive: true });
    await request(t, agent, "PUT", "/bench");
    agent.destroy();
    const nimbus = PARTS.has("small") ? await smallObjects(t, "bench", "Nimbus", child.pid) : undefined;
    if (PARTS.has("big")) await bigObject(t, child.pid, "bench");
    await stop(child);

    if (PARTS.has("list")) await listing(join(dir, "listing"));

    if (PARTS.has("s3rver") && process.env.BENCH_SKIP_S3RVER !== "1") {
      const s = await startS3rver(join(dir, "s3rver"));
      const st = target(s.url, "S3RVER", "S3RVER");
      const a = new http.Agent({ keepAlive: true });
      const mk = await request(st, a, "PUT", "/bench");
      a.destroy();
      if (mk.status !== 200) throw new Error(`s3rver CreateBucket answered ${mk.status}`);
      const other = await smallObjects(st, "bench", "s3rver 3.7", s.child.pid);
      await stop(s.child);
      if (nimbus) console.log(
        `Nimbus / s3rver: PUT ${(nimbus.put / other.put).toFixed(1)}x, GET ${(nimbus.get / other.get).toFixed(1)}x (target >= 2x; s3rver does not fsync)`,
      );
    }

    if (PARTS.has("floor")) {
      const f = await startFloor();
      const floor = await smallObjects(target(f.url, "test", "test"), "bench", "floor (answers, does nothing)", f.child.pid);
      await stop(f.child);
      if (nimbus) console.log(`Nimbus / floor: PUT ${(nimbus.put / floor.put).toFixed(2)}, GET ${(nimbus.get / floor.get).toFixed(2)}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
