#!/usr/bin/env node
/**
 * DynamoDB Streams and PartiQL figures, measured against the built `nimbus` binary (run
 * `npm run build` first), started here as its own process (durability "full"):
 *   1. PutItem of 1 KB items at concurrency 32 on a table without a stream and on one with a
 *      NEW_AND_OLD_IMAGES stream: ops/s each and the stream's cost (the record is written in the
 *      item's own transaction)
 *   2. GetRecords draining those records, Limit 1000: records/s
 *   3. ExecuteStatement `SELECT * FROM t WHERE pk = ?` at concurrency 32: ops/s
 * The client is the AWS SDK v3 in this process (on a small machine it shares the CPU with the
 * server, so figures are lower bounds). Figures are printed, never asserted.
 *
 *   BENCH_SECONDS (default 10) per phase, BENCH_CONCURRENCY (default 32).
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient, ExecuteStatementCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from "@aws-sdk/client-dynamodb-streams";

const ROOT = new URL("..", import.meta.url).pathname;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

function startNimbus(dataDir) {
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), `${ROOT}bin/nimbus.js`, "start", "--port", "0", "--data-dir", dataDir, "--log-level", "warn"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.once("exit", (code) => reject(new Error(`nimbus exited with ${code}`)));
  });
}

async function timed(seconds, concurrency, op) {
  const end = Date.now() + seconds * 1000;
  let count = 0;
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await op(i++);
        count++;
      }
    }),
  );
  return count / seconds;
}

const dataDir = await mkdtemp(join(tmpdir(), "nimbus-bench-ddbs-"));
const nimbus = await startNimbus(dataDir);
try {
  const config = { endpoint: nimbus.url, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
  const ddb = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  const create = (name, stream) =>
    ddb.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
        ...(stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" } } : {}),
      }),
    );
  await create("plain", false);
  const streamArn = (await create("streamed", true)).TableDescription.LatestStreamArn;
  const payload = "x".repeat(1000);
  const put = (table) => (i) => ddb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: `k${i % 20000}` }, v: { S: payload } } }));

  const plain = await timed(SECONDS, CONCURRENCY, put("plain"));
  const streamed = await timed(SECONDS, CONCURRENCY, put("streamed"));
  console.log(`PutItem 1 KB, c=${CONCURRENCY}: ${plain.toFixed(0)} ops/s without a stream, ${streamed.toFixed(0)} ops/s with NEW_AND_OLD_IMAGES (${((1 - streamed / plain) * 100).toFixed(1)}% cost)`);

  const shard = (await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription.Shards[0].ShardId;
  let it = (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard, ShardIteratorType: "TRIM_HORIZON" }))).ShardIterator;
  let records = 0;
  const t0 = performance.now();
  for (;;) {
    const r = await streams.send(new GetRecordsCommand({ ShardIterator: it, Limit: 1000 }));
    records += r.Records.length;
    it = r.NextShardIterator;
    if (r.Records.length === 0 || !it) break;
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(`GetRecords (Limit 1000): ${records} records in ${secs.toFixed(2)} s = ${(records / secs).toFixed(0)} records/s`);

  const select = await timed(SECONDS, CONCURRENCY, (i) =>
    ddb.send(new ExecuteStatementCommand({ Statement: `SELECT * FROM "plain" WHERE pk = ?`, Parameters: [{ S: `k${i % 20000}` }] })),
  );
  console.log(`ExecuteStatement SELECT by key, c=${CONCURRENCY}: ${select.toFixed(0)} ops/s`);
} finally {
  nimbus.child.kill();
  await rm(dataDir, { recursive: true, force: true });
}
