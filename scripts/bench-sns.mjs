#!/usr/bin/env node
/**
 * SNS fan-out figures, measured against the built `nimbus` binary (run `npm run build` first),
 * started as its own process: one topic with 10 SQS subscriptions (queue policies allowing the
 * topic; half raw delivery, half JSON envelopes signed with the topic's key), 1 KiB messages
 * published at concurrency BENCH_CONCURRENCY (default 32) for BENCH_SECONDS (default 10) each by
 *   1. a small SigV4 signer here (as the other benchmarks do: on a 2-core machine the SDK's own
 *      CPU per call would otherwise decide the figure), then
 *   2. the AWS SDK for JavaScript v3.
 * Reports publishes/s (target >= 1,000), server and client CPU per publish, and checks that every
 * queue holds every message (10 deliveries per publish). Figures are printed, never asserted.
 * BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the server.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "node:http";
import { createHash, createHmac } from "node:crypto";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { SNSClient, CreateTopicCommand, SubscribeCommand, PublishCommand } from "@aws-sdk/client-sns";
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";

const ROOT = new URL("..", import.meta.url).pathname;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SUBSCRIPTIONS = Number(process.env.BENCH_SUBSCRIPTIONS ?? 10);

function startNimbus(dataDir) {
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the server.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const args = [...nodeArgs, `${ROOT}bin/nimbus.js`, "start", "--port", "0", "--data-dir", dataDir, "--log-level", "warn"];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1].replace(/\/$/, "") });
    });
    child.once("exit", (code) => reject(new Error(`nimbus exited with ${code}`)));
  });
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux). */
function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

async function measure(pid, publish, seconds = SECONDS) {
  const deadline = Date.now() + seconds * 1000;
  const server0 = cpuMs(pid);
  const client0 = process.cpuUsage();
  const started = process.hrtime.bigint();
  let count = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) await publish(count++);
    }),
  );
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  const c = process.cpuUsage(client0);
  return { count, secs, rate: count / secs, serverCpu: (cpuMs(pid) - server0) / count, clientCpu: (c.user + c.system) / 1000 / count };
}

const hmac = (k, s) => createHmac("sha256", k).update(s).digest();
const sha256hex = (s) => createHash("sha256").update(s).digest("hex");
const keys = new Map();
function signingKey(date, service) {
  const id = `${date}/${service}`;
  let k = keys.get(id);
  if (!k) keys.set(id, (k = hmac(hmac(hmac(hmac("AWS4test", date), "us-east-1"), service), "aws4_request")));
  return k;
}

/** SigV4 headers for a POST to "/" (root credentials test/test). */
function signed(host, service, headers, body) {
  const amzDate = new Date().toISOString().replace(/[:-]|\.\d{3}/g, "");
  const date = amzDate.slice(0, 8);
  const all = { host, "x-amz-date": amzDate, ...headers };
  const names = Object.keys(all).map((h) => h.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(all).map(([k, v]) => [k.toLowerCase(), String(v).trim()]));
  const canonical = ["POST", "/", "", names.map((h) => `${h}:${lower[h]}\n`).join(""), names.join(";"), sha256hex(body)].join("\n");
  const scope = `${date}/us-east-1/${service}/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256hex(canonical)}`;
  const signature = createHmac("sha256", signingKey(date, service)).update(toSign).digest("hex");
  all.authorization = `AWS4-HMAC-SHA256 Credential=test/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  return all;
}

function post(url, agent, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: "POST", path: "/", headers: { ...headers, "content-length": Buffer.byteLength(body) }, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const dir = await mkdtemp(join(tmpdir(), "nimbus-bench-sns-"));
const { child, url } = await startNimbus(dir);
try {
  const config = {
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }) }),
  };
  const sns = new SNSClient(config);
  const sqs = new SQSClient(config);
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "bench-fanout" }));
  const queues = [];
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `bench-sub-${i}` }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes.QueueArn;
    const Policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: arn, Condition: { ArnEquals: { "aws:SourceArn": TopicArn } } }],
    });
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy } }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: arn, Attributes: { RawMessageDelivery: i % 2 === 0 ? "true" : "false" } }));
    queues.push(QueueUrl);
  }
  const message = "x".repeat(1024);
  // warm-up (signing key, connections)
  await Promise.all(Array.from({ length: CONCURRENCY }, () => sns.send(new PublishCommand({ TopicArn, Message: message }))));
  let published = CONCURRENCY;

  // Phase 1: the server's capacity. Requests are SigV4-signed by the small signer below, as the
  // other benchmarks do, so that the client's own CPU does not decide the figure on a small machine.
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const u = new URL(url);
  const publishLight = async (n) => {
    const body = new URLSearchParams({
      Action: "Publish",
      Version: "2010-03-31",
      TopicArn,
      Message: message,
      "MessageAttributes.entry.1.Name": "n",
      "MessageAttributes.entry.1.Value.DataType": "Number",
      "MessageAttributes.entry.1.Value.StringValue": String(n),
    }).toString();
    const r = await post(u, agent, signed(u.host, "sns", { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body), body);
    if (r.status !== 200) throw new Error(`Publish answered ${r.status}: ${r.body.slice(0, 300)}`);
  };
  published += (await measure(child.pid, publishLight, 2)).count; // warm-up: JIT, caches
  const light = await measure(child.pid, publishLight);
  published += light.count;

  // Phase 2: the same through the AWS SDK for JavaScript v3, whose client CPU per call is printed.
  const sdk = await measure(child.pid, async (n) => {
    await sns.send(new PublishCommand({ TopicArn, Message: message, MessageAttributes: { n: { DataType: "Number", StringValue: String(n) } } }));
  });
  published += sdk.count;

  let delivered = 0;
  for (const QueueUrl of queues) {
    const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }));
    delivered += Number(a.Attributes.ApproximateNumberOfMessages);
  }
  console.log(`SNS fan-out to ${SUBSCRIPTIONS} SQS subscriptions (half raw, half JSON envelopes), 1 KiB messages, concurrency ${CONCURRENCY}:`);
  for (const [label, r] of [["small signer", light], ["SDK v3 client", sdk]]) {
    console.log(
      `  ${label}: ${r.rate.toFixed(0)} publishes/s (${(r.rate * SUBSCRIPTIONS).toFixed(0)} queue deliveries/s) over ${r.secs.toFixed(1)} s` +
        ` (target >= 1,000 publishes/s); CPU per publish: server ${r.serverCpu.toFixed(3)} ms, client ${r.clientCpu.toFixed(3)} ms`,
    );
  }
  console.log(`  delivered ${delivered} of ${published * SUBSCRIPTIONS} expected messages`);
} finally {
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  await rm(dir, { recursive: true, force: true });
}
