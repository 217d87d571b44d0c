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
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "node:http";
import { cpuMs, post, signed } from "./bench-common.mjs";
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
