/**
 * Shared by the SQS concurrency tests (sqs-concurrency*.test.ts): producers send batches while 8
 * consumers long-poll, record and delete. Every message must be delivered; none may be handed to
 * two consumers within its visibility timeout (3600 s here, so: never twice); FIFO messages must
 * reach consumers in sequence-number order within each group. Timing is reported, not asserted.
 */
import { expect } from "vitest";
import { Agent } from "node:http";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Nimbus } from "../src/index.js";
import { sdkConfig } from "./helpers.js";

const CONSUMERS = 8;

/** An SDK v3 client with a keep-alive agent sized for the consumers. */
export function concurrencyClient(n: Nimbus): SQSClient {
  return new SQSClient({ ...sdkConfig(n), requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }) });
}

export async function runConsumers(sqs: SQSClient, url: string, fifo: boolean, total: number): Promise<void> {
  const received = new Map<string, number>();
  const order = new Map<string, bigint[]>();
  let sent = 0;
  let done = false;
  const producers = Array.from({ length: 4 }, async (_, p) => {
    for (let b = p; b * 10 < total; b += 4) {
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
      if (received.size >= total) done = true;
    }
  });
  const started = Date.now();
  await Promise.all(producers);
  await Promise.race([Promise.all(consumers), new Promise((r) => setTimeout(r, 100_000))]);
  done = true;
  await Promise.all(consumers);
  const seconds = (Date.now() - started) / 1000;
  console.log(`${fifo ? "FIFO" : "standard"}: ${total} messages through ${CONSUMERS} consumers in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} msgs/s; reported, not asserted)`);
  expect(sent).toBe(total);
  expect(received.size).toBe(total);
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

