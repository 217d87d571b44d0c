/**
 * SQS delivery guarantees under concurrency: 8 consumers long-polling a queue while producers
 * send 10,000 messages (the benchmark, scripts/bench-sqs.mjs, runs 100,000). Every message is
 * delivered; none is handed to two consumers within its visibility timeout (here: never, since
 * the timeout outlasts the test); FIFO messages arrive exactly once and in order per group.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "node:http";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let sqs: SQSClient;
const TOTAL = 10_000;
const CONSUMERS = 8;

beforeAll(async () => {
  n = await startTestNimbus();
  sqs = new SQSClient({ ...sdkConfig(n), requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }) });
});
afterAll(async () => {
  sqs.destroy();
  await n.stop();
});

async function run(url: string, fifo: boolean) {
  const received = new Map<string, number>();
  const order = new Map<string, bigint[]>();
  let sent = 0;
  let done = false;
  const producers = Array.from({ length: 4 }, async (_, p) => {
    for (let b = p; b * 10 < TOTAL; b += 4) {
      const entries = Array.from({ length: 10 }, (_, j) => {
        const i = b * 10 + j;
        return { Id: `m${j}`, MessageBody: `${i}`, ...(fifo ? { MessageGroupId: `g${i % 16}`, MessageDeduplicationId: `d${i}` } : {}) };
      });
      const res = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
      expect(res.Failed ?? []).toEqual([]);
      sent += 10;
    }
  });
  const consumers = Array.from({ length: CONSUMERS }, async () => {
    while (!done) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 3600, ...(fifo ? { MessageSystemAttributeNames: ["MessageGroupId", "SequenceNumber"] as const } : {}) }));
      if (!r.Messages?.length) continue;
      for (const m of r.Messages) {
        received.set(m.Body!, (received.get(m.Body!) ?? 0) + 1);
        if (fifo) {
          const g = m.Attributes!.MessageGroupId!;
          if (!order.has(g)) order.set(g, []);
          order.get(g)!.push(BigInt(m.Attributes!.SequenceNumber!));
        }
      }
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: r.Messages.map((m, k) => ({ Id: `d${k}`, ReceiptHandle: m.ReceiptHandle! })) }));
      if (received.size >= TOTAL) done = true;
    }
  });
  const started = Date.now();
  await Promise.all(producers);
  await Promise.race([Promise.all(consumers), new Promise((r) => setTimeout(r, 45_000))]);
  done = true;
  await Promise.all(consumers);
  const seconds = (Date.now() - started) / 1000;
  console.log(`${fifo ? "FIFO" : "standard"}: ${TOTAL} messages through ${CONSUMERS} consumers in ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)} msgs/s; reported, not asserted)`);
  expect(sent).toBe(TOTAL);
  expect(received.size).toBe(TOTAL);
  // Received twice within a 3600 s visibility timeout would mean two consumers saw it at once.
  expect([...received.entries()].filter(([, c]) => c > 1)).toEqual([]);
  if (fifo) {
    // Within each group, messages reach consumers in sequence-number order (the group stays
    // blocked until the consumer holding its messages deletes them, after recording them).
    expect(order.size).toBe(16);
    for (const [g, seq] of order) {
      const unordered = seq.findIndex((v, k) => k > 0 && v <= seq[k - 1]!);
      expect(unordered, g).toBe(-1);
    }
  }
  const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
  expect(a.Attributes).toEqual({ ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });
}

describe("8 concurrent consumers", () => {
  it("standard queue: every message delivered, none to two consumers at once", async () => {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: "conc" }))).QueueUrl!;
    await run(url, false);
  }, 60_000);

  it("FIFO queue: every message exactly once, in order per group", async () => {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: "conc.fifo", Attributes: { FifoQueue: "true" } }))).QueueUrl!;
    await run(url, true);
  }, 60_000);
});
