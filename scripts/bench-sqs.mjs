#!/usr/bin/env node
/**
 * SQS performance figures, measured against the built `nimbus` binary (run `npm run build`
 * first) with durability "full" (every acknowledged send and delete committed and fsynced):
 *   1. send + receive + delete of 1 KB messages in batches of 10, producers and consumers
 *      running together: messages/s end to end (target >= 5,000)
 *   2. long-poll latency: a consumer waiting in ReceiveMessage(WaitTimeSeconds=20), then one
 *      SendMessage; time from the send's request going out to the receive's response (target < 5 ms)
 *   3. 100,000 messages through 8 concurrent consumers: every message delivered, none twice
 * Requests are SigV4-signed by a small signer here (awsJson 1.0, as SDKs send) so the client is
 * not the bottleneck on a small machine. Figures are printed, never asserted.
 *
 *   BENCH_SQS_MESSAGES (default 100000) for phase 3, BENCH_SECONDS (default 10) for phase 1,
 *   BENCH_CONCURRENCY (default 8) producers and as many consumers in phase 1.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import { createHash, createHmac } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const MESSAGES = Number(process.env.BENCH_SQS_MESSAGES ?? 100_000);
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
      key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), REGION), "sqs"), "aws4_request");
    }
    const headers = {
      "content-type": "application/x-amz-json-1.0",
      host,
      "x-amz-date": amzDate,
      "x-amz-target": `AmazonSQS.${target}`,
    };
    const names = Object.keys(headers).sort();
    const canonical = ["POST", "/", "", names.map((h) => `${h}:${headers[h]}\n`).join(""), names.join(";"), sha256hex(body)].join("\n");
    const scope = `${date}/${REGION}/sqs/aws4_request`;
    const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256hex(canonical)}`;
    const signature = createHmac("sha256", key).update(toSign).digest("hex");
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
    headers["content-length"] = Buffer.byteLength(body);
    return headers;
  };
}

function startNimbus(dataDir) {
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), join(ROOT, "bin/nimbus.js"), "start", "--port", "0", "--data-dir", dataDir, "--log-level", "warn"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ child, endpoint: m[1] });
    });
    child.once("exit", (code) => reject(new Error(`nimbus exited with ${code}`)));
  });
}

function client(endpoint) {
  const u = new URL(endpoint);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const sign = signer("test", "test");
  return (target, input) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify(input);
      const req = http.request({ host: u.hostname, port: u.port, method: "POST", path: "/", agent, headers: sign(body, target, u.host) }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200) reject(new Error(`${target}: ${res.statusCode} ${text}`));
          else resolve(text ? JSON.parse(text) : {});
        });
      });
      req.on("error", reject);
      req.end(body);
    });
}

const body1k = "x".repeat(1024);

async function throughput(call, url) {
  let sent = 0;
  let done = 0;
  let stop = false;
  const producers = Array.from({ length: CONCURRENCY }, async () => {
    while (!stop) {
      await call("SendMessageBatch", { QueueUrl: url, Entries: Array.from({ length: 10 }, (_, j) => ({ Id: `m${j}`, MessageBody: body1k })) });
      sent += 10;
    }
  });
  const consumers = Array.from({ length: CONCURRENCY }, async () => {
    while (!stop) {
      const r = await call("ReceiveMessage", { QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 });
      if (!r.Messages?.length) continue;
      await call("DeleteMessageBatch", { QueueUrl: url, Entries: r.Messages.map((m, k) => ({ Id: `d${k}`, ReceiptHandle: m.ReceiptHandle })) });
      done += r.Messages.length;
    }
  });
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const elapsed = (performance.now() - t0) / 1000;
  const doneAt = done;
  stop = true;
  await Promise.all([...producers, ...consumers]);
  return { sentPerSec: sent / elapsed, e2ePerSec: doneAt / elapsed };
}

async function longPollLatency(call, url) {
  const samples = [];
  for (let i = 0; i < 50; i++) {
    const recv = call("ReceiveMessage", { QueueUrl: url, WaitTimeSeconds: 20 }).then((r) => ({ r, at: performance.now() }));
    await new Promise((r) => setTimeout(r, 20));
    // From the moment the send goes out (the receive may answer before the send's own response).
    const sendStart = performance.now();
    await call("SendMessage", { QueueUrl: url, MessageBody: `p${i}` });
    const { r, at } = await recv;
    samples.push(at - sendStart);
    await call("DeleteMessage", { QueueUrl: url, ReceiptHandle: r.Messages[0].ReceiptHandle });
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length / 2)], p95: samples[Math.floor(samples.length * 0.95)], max: samples[samples.length - 1] };
}

async function bulk(call, url) {
  const seen = new Map();
  let dupes = 0;
  const t0 = performance.now();
  let next = 0;
  const producers = Array.from({ length: 8 }, async () => {
    while (next < MESSAGES) {
      const start = next;
      next += 10;
      const n = Math.min(10, MESSAGES - start);
      await call("SendMessageBatch", { QueueUrl: url, Entries: Array.from({ length: n }, (_, j) => ({ Id: `m${j}`, MessageBody: `${start + j}` })) });
    }
  });
  let finished = false;
  const consumers = Array.from({ length: 8 }, async () => {
    while (!finished) {
      const r = await call("ReceiveMessage", { QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 3600 });
      if (!r.Messages?.length) continue;
      for (const m of r.Messages) {
        if (seen.has(m.Body)) dupes++;
        seen.set(m.Body, 1);
      }
      await call("DeleteMessageBatch", { QueueUrl: url, Entries: r.Messages.map((m, k) => ({ Id: `d${k}`, ReceiptHandle: m.ReceiptHandle })) });
      if (seen.size >= MESSAGES) finished = true;
    }
  });
  await Promise.all(producers);
  await Promise.all(consumers);
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, delivered: seen.size, dupes };
}

const dir = await mkdtemp(join(tmpdir(), "nimbus-bench-sqs-"));
const { child, endpoint } = await startNimbus(join(dir, "data"));
try {
  const call = client(endpoint);
  const q1 = (await call("CreateQueue", { QueueName: "bench-throughput" })).QueueUrl;
  const t = await throughput(call, q1);
  console.log(`SQS send+receive+delete, 1 KB messages, batches of 10, ${CONCURRENCY} producers + ${CONCURRENCY} consumers: ${Math.round(t.e2ePerSec)} msgs/s end to end (sent ${Math.round(t.sentPerSec)} msgs/s)`);
  const q2 = (await call("CreateQueue", { QueueName: "bench-latency" })).QueueUrl;
  const l = await longPollLatency(call, q2);
  console.log(`SQS long-poll receive after a send: p50 ${l.p50.toFixed(2)} ms, p95 ${l.p95.toFixed(2)} ms, max ${l.max.toFixed(2)} ms`);
  const q3 = (await call("CreateQueue", { QueueName: "bench-bulk" })).QueueUrl;
  const b = await bulk(call, q3);
  console.log(
    `SQS ${MESSAGES} messages, 8 producers + 8 consumers: ${b.seconds.toFixed(1)} s (${Math.round(MESSAGES / b.seconds)} msgs/s), delivered ${b.delivered}, delivered twice ${b.dupes}`,
  );
} finally {
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  await rm(dir, { recursive: true, force: true });
}
