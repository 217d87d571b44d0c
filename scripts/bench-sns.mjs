#!/usr/bin/env node
/**
 * SNS fan-out figures, measured against the built `nimbus` binary (run `npm run build` first),
 * started as its own process: one topic with 10 SQS subscriptions (queue policies allowing the
 * topic), 1 KiB messages published by SDK v3 clients at concurrency BENCH_CONCURRENCY (default
 * 32) for BENCH_SECONDS (default 10). Reports publishes/s (target >= 1,000) and checks that every
 * queue holds every message (10 deliveries per publish). Figures are printed, never asserted.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "node:http";
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
  const deadline = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  let measured = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        await sns.send(new PublishCommand({ TopicArn, Message: message, MessageAttributes: { n: { DataType: "Number", StringValue: String(measured) } } }));
        measured++;
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  published += measured;
  let delivered = 0;
  for (const QueueUrl of queues) {
    const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }));
    delivered += Number(a.Attributes.ApproximateNumberOfMessages);
  }
  console.log(`SNS fan-out to ${SUBSCRIPTIONS} SQS subscriptions, 1 KiB messages, concurrency ${CONCURRENCY}:`);
  console.log(`  ${(measured / secs).toFixed(0)} publishes/s (${((measured * SUBSCRIPTIONS) / secs).toFixed(0)} queue deliveries/s) over ${secs.toFixed(1)} s (target >= 1,000 publishes/s)`);
  console.log(`  delivered ${delivered} of ${published * SUBSCRIPTIONS} expected messages`);
} finally {
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  await rm(dir, { recursive: true, force: true });
}
