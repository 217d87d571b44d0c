/**
 * CloudWatch durability: the `nimbus` binary (bin/nimbus.js, built by `npm run build`) is killed
 * with SIGKILL while writers send PutMetricData; PutMetricData commits a batch as a write-ahead
 * row that is folded into the metric's buckets later, so after the restart every acknowledged data
 * point must still count in GetMetricStatistics (sample count and sum), exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudWatchClient, GetMetricStatisticsCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { startBinary } from "./helpers.js";

const client = (endpoint: string) =>
  new CloudWatchClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });

describe("kill -9 during PutMetricData", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "nimbus-cwcrash-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps every acknowledged data point, counted once", async () => {
    const dataDir = join(dir, "data");
    // Every point carries the value 1 at one fixed minute (within the last two weeks, as AWS
    // requires), so the minute's SampleCount and Sum both equal the number acknowledged.
    const at = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000);
    let acked = 0;
    for (let round = 0; round < 2; round++) {
      const { child, endpoint } = await startBinary(dataDir);
      const cw = client(endpoint);
      let stop = false;
      const writers = Array.from({ length: 8 }, async (_, w) => {
        while (!stop) {
          try {
            await cw.send(
              new PutMetricDataCommand({
                Namespace: "Crash",
                MetricData: Array.from({ length: 10 }, (_, k) => ({ MetricName: "Points", Dimensions: [{ Name: "Writer", Value: `w${w % 2}` }], Timestamp: at, Value: 1, Unit: "Count" as const })),
              }),
            );
            acked += 10;
          } catch {
            return;
          }
        }
      });
      await new Promise((r) => setTimeout(r, 400 + round * 300));
      child.kill("SIGKILL");
      stop = true;
      await Promise.all(writers);
      await new Promise((r) => child.once("exit", r));
      cw.destroy();
    }
    expect(acked).toBeGreaterThan(100);

    const { child, endpoint } = await startBinary(dataDir);
    try {
      const cw = client(endpoint);
      let count = 0;
      let sum = 0;
      for (const writer of ["w0", "w1"]) {
        const r = await cw.send(
          new GetMetricStatisticsCommand({
            Namespace: "Crash",
            MetricName: "Points",
            Dimensions: [{ Name: "Writer", Value: writer }],
            StartTime: new Date(at.getTime() - 60_000),
            EndTime: new Date(at.getTime() + 120_000),
            Period: 60,
            Statistics: ["SampleCount", "Sum"],
          }),
        );
        for (const d of r.Datapoints ?? []) {
          count += d.SampleCount ?? 0;
          sum += d.Sum ?? 0;
        }
      }
      // A call cut off by the kill may have committed without its answer arriving: at least every
      // acknowledged point, and at most one unanswered call per writer more.
      expect(count).toBeGreaterThanOrEqual(acked);
      expect(count).toBeLessThanOrEqual(acked + 8 * 10 * 2);
      expect(sum).toBe(count);
      cw.destroy();
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  }, 120_000);
});
