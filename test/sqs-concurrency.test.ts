/**
 * SQS under concurrency, standard queue: 8 consumers long-polling while 4 producers send 10,000
 * messages (scripts/bench-sqs.mjs runs 100,000); every message is delivered, none is handed to two
 * consumers within its visibility timeout.
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
  it("standard queue: every message delivered, none to two consumers at once", async () => {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: "conc" }))).QueueUrl!;
    await runConsumers(sqs, url, false, 10_000);
  }, 120_000);
});
