/**
 * Durability of the object API: the `nimbus` binary (bin/nimbus.js, built by `npm run build`) is
 * killed with SIGKILL while writers stream uploads; after a restart every acknowledged object
 * reads back byte for byte, and a key overwritten in sequence holds its last acknowledged body
 * (or the one in flight when the process died).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { startBinary } from "./helpers.js";
import { join } from "node:path";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

const client = (endpoint: string) =>
  new S3Client({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, forcePathStyle: true, maxAttempts: 1 });
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("kill -9 during uploads", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "nimbus-s3crash-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps every acknowledged object, byte for byte", async () => {
    const dataDir = join(dir, "data");
    const acked = new Map<string, string>();
    /** The sequentially overwritten key: its acknowledged bodies in order, and the one in flight. */
    const hot: { acked: string[]; inFlight?: string } = { acked: [] };
    for (let round = 0; round < 3; round++) {
      const { child, endpoint } = await startBinary(dataDir);
      const s3 = client(endpoint);
      if (round === 0) await s3.send(new CreateBucketCommand({ Bucket: "crash" }));
      let stop = false;
      const writers = Array.from({ length: 6 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const key = `r${round}/w${w}/${i}`;
          // Sizes from 1 byte to ~600 KB: small bodies and multi-chunk aws-chunked streams.
          const body = randomBytes(1 + ((i * 7919 + w * 104729) % 600_000));
          try {
            await s3.send(new PutObjectCommand({ Bucket: "crash", Key: key, Body: body }));
            acked.set(key, sha(body));
          } catch {
            return;
          }
        }
      });
      const overwriter = (async () => {
        while (!stop) {
          const body = randomBytes(1 + Math.floor(Math.random() * 50_000));
          hot.inFlight = sha(body);
          try {
            await s3.send(new PutObjectCommand({ Bucket: "crash", Key: "hot", Body: body }));
            hot.acked.push(sha(body));
          } catch {
            return;
          }
        }
      })();
      // Kill mid-stream: after some time and at least a dozen acknowledgements this round, however
      // slow the machine is (the count is what the test needs, not the speed).
      const before = acked.size;
      await new Promise((r) => setTimeout(r, 400 + round * 150));
      while (acked.size - before < 12) await new Promise((r) => setTimeout(r, 20));
      child.kill("SIGKILL");
      stop = true;
      await Promise.all([...writers, overwriter]);
      await new Promise((r) => child.once("exit", r));
      s3.destroy();
    }
    expect(acked.size).toBeGreaterThan(30);

    const { child, endpoint } = await startBinary(dataDir);
    try {
      const s3 = client(endpoint);
      const lost: string[] = [];
      const wrong: string[] = [];
      const keys = [...acked.keys()];
      for (let i = 0; i < keys.length; i += 16) {
        await Promise.all(
          keys.slice(i, i + 16).map(async (key) => {
            try {
              const got = await s3.send(new GetObjectCommand({ Bucket: "crash", Key: key }));
              const bytes = await got.Body!.transformToByteArray();
              if (sha(bytes) !== acked.get(key)) wrong.push(key);
            } catch {
              lost.push(key);
            }
          }),
        );
      }
      expect(lost).toEqual([]);
      expect(wrong).toEqual([]);
      const hotBody = sha(await (await s3.send(new GetObjectCommand({ Bucket: "crash", Key: "hot" }))).Body!.transformToByteArray());
      expect([hot.acked[hot.acked.length - 1], hot.inFlight]).toContain(hotBody);
      // Listing agrees with what is readable: no half-written object is visible.
      let listed = 0;
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: "crash", ContinuationToken: token }));
        listed += page.KeyCount ?? 0;
        token = page.NextContinuationToken;
      } while (token);
      expect(listed).toBeGreaterThanOrEqual(acked.size + 1);
      s3.destroy();
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  }, 120_000);
});
