#!/usr/bin/env node
/**
 * What Object Lock, object ACLs and replication cost S3 writes, and how fast replication drains,
 * against Nimbus started in-process from dist/ (run `npm run build` first), durability as configured
 * by default. SDK v3 clients at concurrency BENCH_CONCURRENCY (default 16), 4 KiB objects:
 *   1. PUT/s into a plain versioned bucket, a bucket with Object Lock default retention, with
 *      x-amz-acl on an ACL-enabled bucket, and with a replication rule;
 *   2. replication: objects/s from the first PUT until every replica reads REPLICA.
 * Figures are printed, never asserted. BENCH_SECONDS (default 5) per PUT phase, BENCH_REPL (default 2000).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  S3Client,
  CreateBucketCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  PutBucketReplicationCommand,
  DeletePublicAccessBlockCommand,
  PutObjectCommand,
  ListObjectsV2Command,
} from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { Agent } from "node:http";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const REPL = Number(process.env.BENCH_REPL ?? 2000);

const { startNimbus } = await import(new URL("../dist/index.js", import.meta.url).href);
const dir = await mkdtemp(join(tmpdir(), "nimbus-bench-s3p-"));
const n = await startNimbus({ port: 0, dataDir: join(dir, "data"), logLevel: "error" });
const s3 = new S3Client({
  endpoint: n.endpoint,
  region: n.region,
  credentials: n.credentials,
  forcePathStyle: true,
  maxAttempts: 1,
  requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }) }),
});
const body = Buffer.alloc(4096, 97);

async function versioned(Bucket, extra = {}) {
  await s3.send(new CreateBucketCommand({ Bucket, ...extra }));
  await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
}

async function putRate(label, Bucket, params = {}) {
  let done = 0;
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let i = 0; Date.now() < end; i++) {
        await s3.send(new PutObjectCommand({ Bucket, Key: `w${w}/o${i}`, Body: body, ...params }));
        done++;
      }
    }),
  );
  const rate = done / SECONDS;
  console.log(`${label.padEnd(44)} ${rate.toFixed(0).padStart(7)} PUT/s`);
  return rate;
}

try {
  await versioned("bench-plain");
  await versioned("bench-lock", { ObjectLockEnabledForBucket: true });
  await s3.send(new PutObjectLockConfigurationCommand({ Bucket: "bench-lock", ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 1 } } } }));
  await versioned("bench-acl", { ObjectOwnership: "ObjectWriter" });
  await s3.send(new DeletePublicAccessBlockCommand({ Bucket: "bench-acl" }));
  await versioned("bench-src");
  await versioned("bench-dst");
  await s3.send(
    new PutBucketReplicationCommand({
      Bucket: "bench-src",
      ReplicationConfiguration: {
        Role: "arn:aws:iam::000000000000:role/r",
        Rules: [{ ID: "all", Status: "Enabled", Priority: 1, Filter: { Prefix: "" }, DeleteMarkerReplication: { Status: "Disabled" }, Destination: { Bucket: "arn:aws:s3:::bench-dst" } }],
      },
    }),
  );
  console.log(`S3 protection features, 4 KiB objects, concurrency ${CONCURRENCY}, ${SECONDS} s per phase`);
  const base = await putRate("versioned bucket (baseline)", "bench-plain");
  const lock = await putRate("Object Lock default retention", "bench-lock");
  const acl = await putRate("x-amz-acl: public-read", "bench-acl", { ACL: "public-read" });
  const repl = await putRate("replication rule (queueing only)", "bench-src");
  console.log(`ratios to baseline: lock ${(lock / base).toFixed(2)}, acl ${(acl / base).toFixed(2)}, replication ${(repl / base).toFixed(2)}`);

  // Replication drain: a fresh burst, then wait until the last replica exists.
  await versioned("bench-src2");
  await versioned("bench-dst2");
  await s3.send(
    new PutBucketReplicationCommand({
      Bucket: "bench-src2",
      ReplicationConfiguration: {
        Role: "arn:aws:iam::000000000000:role/r",
        Rules: [{ ID: "all", Status: "Enabled", Priority: 1, Filter: { Prefix: "" }, DeleteMarkerReplication: { Status: "Disabled" }, Destination: { Bucket: "arn:aws:s3:::bench-dst2" } }],
      },
    }),
  );
  const t0 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REPL) await s3.send(new PutObjectCommand({ Bucket: "bench-src2", Key: `k${next++}`, Body: body }));
    }),
  );
  const written = Date.now() - t0;
  // Done when the destination holds every key.
  for (;;) {
    let count = 0;
    let token;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: "bench-dst2", ...(token ? { ContinuationToken: token } : {}) }));
      count += page.KeyCount ?? 0;
      token = page.NextContinuationToken;
    } while (token);
    if (count >= REPL) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const total = Date.now() - t0;
  console.log(`replication of ${REPL} objects: written in ${written} ms, all replicated after ${total} ms (${((REPL * 1000) / total).toFixed(0)} objects/s end to end)`);
} finally {
  await n.stop();
  await rm(dir, { recursive: true, force: true });
}
