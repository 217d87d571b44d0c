/**
 * SQS under concurrency, FIFO queue: 8 consumers while 4 producers send 5,000 messages in 16
 * groups; every message arrives exactly once and, within its group, in sequence-number order.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { CreateQueueCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Nimbus } from "../src/index.js";
import { startTestNimbus } from "./helpers.js";
import { concurrencyClient, runConsumers } from "./sqs-concurrency-helpers.js";

let n: Nimbus;
let sqs: SQSClient;

beforeAll(async () => {
  n = await startTestNimbus();
  sqs = concurrencyClient(n);
});
afterAll(async () => {
  sqs.destroy();
  await n.stop();
});

describe("8 concurrent consumers", () => {
  it("FIFO queue: every message exactly once, in order per group", async () => {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: "conc.fifo", Attributes: { FifoQueue: "true" } }))).QueueUrl!;
    await runConsumers(sqs, url, true, 5_000);
  }, 120_000);
});
