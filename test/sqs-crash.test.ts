/**
 * SQS durability: the `nimbus` binary (bin/nimbus.js, built by `npm run build`) is killed with
 * SIGKILL while senders push batches to a standard and a FIFO queue; after each restart every
 * acknowledged message is still there (received exactly once on drain), and messages that were
 * in flight when the process died become visible again when their visibility timeout expires.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { startBinary } from "./helpers.js";
import { join } from "node:path";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";

const client = (endpoint: string) =>
  new SQSClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });

describe("kill -9 during sends", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "nimbus-sqscrash-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("loses no acknowledged message; in-flight messages come back after their timeout", async () => {
    const dataDir = join(dir, "data");
    const acked = { std: new Set<string>(), fifo: new Set<string>() };
    let urls: { std: string; fifo: string } | undefined;
    for (let round = 0; round < 3; round++) {
      const { child, endpoint } = await startBinary(dataDir);
      const sqs = client(endpoint);
      if (!urls) {
        urls = {
          std: (await sqs.send(new CreateQueueCommand({ QueueName: "crash", Attributes: { VisibilityTimeout: "2" } }))).QueueUrl!,
          fifo: (await sqs.send(new CreateQueueCommand({ QueueName: "crash.fifo", Attributes: { FifoQueue: "true", VisibilityTimeout: "2" } }))).QueueUrl!,
        };
      }
      // The URL's host changes with the port; the path names the queue.
      const url = (u: string) => endpoint + new URL(u).pathname;
      let stop = false;
      const senders = Array.from({ length: 6 }, async (_, w) => {
        const kind = w % 2 === 0 ? "std" : "fifo";
        for (let i = 0; !stop; i++) {
          const bodies = Array.from({ length: 10 }, (_, j) => `r${round}-w${w}-${i}-${j}`);
          try {
            const res = await sqs.send(
              new SendMessageBatchCommand({
                QueueUrl: url(urls![kind]),
                Entries: bodies.map((b, j) => ({
                  Id: `e${j}`,
                  MessageBody: b,
                  ...(kind === "fifo" ? { MessageGroupId: `g${w}`, MessageDeduplicationId: b } : {}),
                })),
              }),
            );
            for (const s of res.Successful ?? []) acked[kind].add(bodies[Number(s.Id!.slice(1))]!);
          } catch {
            return;
          }
        }
      });
      // A receiver holds some messages in flight when the process dies.
      const receiver = (async () => {
        while (!stop) {
          try {
            await sqs.send(new ReceiveMessageCommand({ QueueUrl: url(urls!.std), MaxNumberOfMessages: 10 }));
          } catch {
            return;
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 500 + round * 200));
      child.kill("SIGKILL");
      stop = true;
      await Promise.all([...senders, receiver]);
      await new Promise((r) => child.once("exit", r));
      sqs.destroy();
    }
    expect(acked.std.size).toBeGreaterThan(50);
    expect(acked.fifo.size).toBeGreaterThan(50);

    const { child, endpoint } = await startBinary(dataDir);
    try {
      const sqs = client(endpoint);
      // In-flight messages from before the crash are visible again once their 2 s timeout passed.
      await new Promise((r) => setTimeout(r, 2100));
      for (const kind of ["std", "fifo"] as const) {
        const url = endpoint + new URL(urls![kind]).pathname;
        const seen = new Map<string, number>();
        for (;;) {
          const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }));
          if (!r.Messages?.length) break;
          for (const m of r.Messages) seen.set(m.Body!, (seen.get(m.Body!) ?? 0) + 1);
          await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: r.Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })) }));
        }
        const lost = [...acked[kind]].filter((b) => !seen.has(b));
        expect(lost).toEqual([]);
        // Nothing is delivered twice in one drain (every message is in flight for 600 s once received).
        expect([...seen.values()].filter((c) => c > 1)).toEqual([]);
        const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
        expect(attrs.Attributes).toEqual({ ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });
      }
      sqs.destroy();
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  }, 120_000);
});
