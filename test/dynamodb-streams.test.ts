/** DynamoDB Streams: records from every write path, view types, iterators, retention, through SDK v3 and boto3 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ExecuteStatementCommand,
  PutItemCommand,
  UpdateItemCommand,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  type _Record,
} from "@aws-sdk/client-dynamodb-streams";
import type { Nimbus } from "../src/index.js";
import { boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let ddb: DynamoDBClient;
let streams: DynamoDBStreamsClient;

beforeAll(async () => {
  n = await startTestNimbus();
  ddb = new DynamoDBClient(sdkConfig(n));
  streams = new DynamoDBStreamsClient(sdkConfig(n));
});
afterAll(async () => {
  await n.stop();
});

async function table(name: string, view?: string): Promise<string | undefined> {
  const r = await ddb.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
      ...(view ? { StreamSpecification: { StreamEnabled: true, StreamViewType: view as "NEW_AND_OLD_IMAGES" } } : {}),
    }),
  );
  return r.TableDescription?.LatestStreamArn;
}

async function readAll(streamArn: string, type: "TRIM_HORIZON" | "LATEST" = "TRIM_HORIZON"): Promise<_Record[]> {
  const d = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const shard = d.StreamDescription!.Shards![0]!;
  let it = (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId!, ShardIteratorType: type }))).ShardIterator;
  const out: _Record[] = [];
  for (let i = 0; i < 10 && it; i++) {
    const r = await streams.send(new GetRecordsCommand({ ShardIterator: it, Limit: 2 }));
    out.push(...(r.Records ?? []));
    if ((r.Records ?? []).length === 0) break;
    it = r.NextShardIterator;
  }
  return out;
}

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error("expected a failure");
}

describe("stream records", () => {
  it("records INSERT/MODIFY/REMOVE with NEW_AND_OLD_IMAGES in order", async () => {
    const arn = await table("TblS1", "NEW_AND_OLD_IMAGES");
    expect(arn).toMatch(/^arn:aws:dynamodb:[^:]+:\d{12}:table\/TblS1\/stream\/\d{4}-\d\d-\d\dT/);
    await ddb.send(new PutItemCommand({ TableName: "TblS1", Item: { pk: { S: "a" }, v: { N: "1" } } }));
    await ddb.send(new UpdateItemCommand({ TableName: "TblS1", Key: { pk: { S: "a" } }, UpdateExpression: "SET v = v + :one", ExpressionAttributeValues: { ":one": { N: "1" } } }));
    await ddb.send(new ExecuteStatementCommand({ Statement: `INSERT INTO TblS1 VALUE {'pk': 'b', 'bin': ?}`, Parameters: [{ B: new Uint8Array([1, 2, 3]) }] }));
    await ddb.send(new DeleteItemCommand({ TableName: "TblS1", Key: { pk: { S: "a" } } }));
    const records = await readAll(arn!);
    expect(records.map((r) => r.eventName)).toEqual(["INSERT", "MODIFY", "INSERT", "REMOVE"]);
    const [ins, mod, bin, rem] = records;
    expect(ins!.eventSource).toBe("aws:dynamodb");
    expect(ins!.eventVersion).toBe("1.1");
    expect(ins!.awsRegion).toBe(n.region);
    expect(ins!.dynamodb!.Keys).toEqual({ pk: { S: "a" } });
    expect(ins!.dynamodb!.NewImage).toEqual({ pk: { S: "a" }, v: { N: "1" } });
    expect(ins!.dynamodb!.OldImage).toBeUndefined();
    expect(ins!.dynamodb!.StreamViewType).toBe("NEW_AND_OLD_IMAGES");
    expect(ins!.dynamodb!.ApproximateCreationDateTime).toBeInstanceOf(Date);
    expect(ins!.dynamodb!.SizeBytes).toBeGreaterThan(0);
    expect(mod!.dynamodb!.OldImage).toEqual({ pk: { S: "a" }, v: { N: "1" } });
    expect(mod!.dynamodb!.NewImage).toEqual({ pk: { S: "a" }, v: { N: "2" } });
    expect(Buffer.from(bin!.dynamodb!.NewImage!.bin!.B!)).toEqual(Buffer.from([1, 2, 3]));
    expect(rem!.dynamodb!.OldImage).toEqual({ pk: { S: "a" }, v: { N: "2" } });
    expect(rem!.dynamodb!.NewImage).toBeUndefined();
    const seqs = records.map((r) => BigInt(r.dynamodb!.SequenceNumber!));
    expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);
    expect(new Set(records.map((r) => r.eventID)).size).toBe(4);
  });

  it("honours KEYS_ONLY, NEW_IMAGE and OLD_IMAGE", async () => {
    for (const view of ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE"] as const) {
      const name = `V_${view}`;
      const arn = await table(name, view);
      await ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: "k" }, x: { S: "1" } } }));
      await ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: "k" }, x: { S: "2" } } }));
      const [, second] = await readAll(arn!);
      expect(second!.dynamodb!.Keys).toEqual({ pk: { S: "k" } });
      expect(second!.dynamodb!.NewImage).toEqual(view === "NEW_IMAGE" ? { pk: { S: "k" }, x: { S: "2" } } : undefined);
      expect(second!.dynamodb!.OldImage).toEqual(view === "OLD_IMAGE" ? { pk: { S: "k" }, x: { S: "1" } } : undefined);
    }
  });

  it("positions iterators: LATEST, AT_ and AFTER_SEQUENCE_NUMBER", async () => {
    const arn = (await table("TblS2", "KEYS_ONLY"))!;
    for (const k of ["a", "b", "c"]) await ddb.send(new PutItemCommand({ TableName: "TblS2", Item: { pk: { S: k } } }));
    const all = await readAll(arn);
    const shardId = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!.Shards![0]!.ShardId!;
    const seq = all[1]!.dynamodb!.SequenceNumber!;
    const at = await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shardId, ShardIteratorType: "AT_SEQUENCE_NUMBER", SequenceNumber: seq }));
    const atRecs = await streams.send(new GetRecordsCommand({ ShardIterator: at.ShardIterator! }));
    expect(atRecs.Records!.map((r) => r.dynamodb!.Keys!.pk!.S)).toEqual(["b", "c"]);
    const after = await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shardId, ShardIteratorType: "AFTER_SEQUENCE_NUMBER", SequenceNumber: seq }));
    expect((await streams.send(new GetRecordsCommand({ ShardIterator: after.ShardIterator! }))).Records!.map((r) => r.dynamodb!.Keys!.pk!.S)).toEqual(["c"]);
    const latest = await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shardId, ShardIteratorType: "LATEST" }));
    const empty = await streams.send(new GetRecordsCommand({ ShardIterator: latest.ShardIterator! }));
    expect(empty.Records).toEqual([]);
    await ddb.send(new PutItemCommand({ TableName: "TblS2", Item: { pk: { S: "d" } } }));
    const next = await streams.send(new GetRecordsCommand({ ShardIterator: empty.NextShardIterator! }));
    expect(next.Records!.map((r) => r.dynamodb!.Keys!.pk!.S)).toEqual(["d"]);

    // Iterators expire after 15 minutes.
    const old = await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }));
    n.clock.advance(16 * 60);
    expect((await failure(streams.send(new GetRecordsCommand({ ShardIterator: old.ShardIterator! })))).name).toBe("ExpiredIteratorException");
    expect((await failure(streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: "shardId-nope", ShardIteratorType: "LATEST" })))).name).toBe(
      "ResourceNotFoundException",
    );
    expect((await failure(streams.send(new DescribeStreamCommand({ StreamArn: `${arn}x` })))).name).toBe("ResourceNotFoundException");
  });

  it("lists streams, closes a disabled stream and drops records after 24 hours", async () => {
    const arn = (await table("TblS3", "NEW_IMAGE"))!;
    await ddb.send(new PutItemCommand({ TableName: "TblS3", Item: { pk: { S: "x" } } }));
    const listed = await streams.send(new ListStreamsCommand({ TableName: "TblS3" }));
    expect(listed.Streams).toEqual([{ StreamArn: arn, TableName: "TblS3", StreamLabel: arn.split("/stream/")[1] }]);
    const described = await ddb.send(new DescribeTableCommand({ TableName: "TblS3" }));
    expect(described.Table?.LatestStreamArn).toBe(arn);

    await ddb.send(new UpdateTableCommand({ TableName: "TblS3", StreamSpecification: { StreamEnabled: false } }));
    const d = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    expect(d.StreamDescription!.StreamStatus).toBe("DISABLED");
    const shard = d.StreamDescription!.Shards![0]!;
    expect(shard.SequenceNumberRange!.EndingSequenceNumber).toBeDefined();
    await ddb.send(new PutItemCommand({ TableName: "TblS3", Item: { pk: { S: "y" } } }));
    const it = await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId!, ShardIteratorType: "TRIM_HORIZON" }));
    const r = await streams.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator! }));
    expect(r.Records!.map((x) => x.dynamodb!.Keys!.pk!.S)).toEqual(["x"]);
    expect(r.NextShardIterator).toBeUndefined(); // closed shard, fully read

    n.clock.advance(25 * 3600);
    // Records past 24 hours are gone; a disabled stream with nothing left is forgotten.
    await vi.waitFor(async () => {
      expect((await streams.send(new ListStreamsCommand({ TableName: "TblS3" }))).Streams).toEqual([]);
    });
  });
});

describe("retention", () => {
  it("trims records after 24 hours and keeps numbering after them", async () => {
    const arn = (await table("TblR1", "KEYS_ONLY"))!;
    await ddb.send(new PutItemCommand({ TableName: "TblR1", Item: { pk: { S: "old" } } }));
    const [old] = await readAll(arn);
    const oldSeq = old!.dynamodb!.SequenceNumber!;
    n.clock.advance(25 * 3600);
    const shardId = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!.Shards![0]!.ShardId!;
    await vi.waitFor(async () => {
      const e = await failure(streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shardId, ShardIteratorType: "AT_SEQUENCE_NUMBER", SequenceNumber: oldSeq })));
      expect(e.name).toBe("TrimmedDataAccessException");
    });
    await ddb.send(new PutItemCommand({ TableName: "TblR1", Item: { pk: { S: "new" } } }));
    const recs = await readAll(arn);
    expect(recs.map((r) => r.dynamodb!.Keys!.pk!.S)).toEqual(["new"]);
    expect(BigInt(recs[0]!.dynamodb!.SequenceNumber!) > BigInt(oldSeq)).toBe(true);
  });
});

describe("boto3", () => {
  it("reads a stream with the dynamodbstreams client", async () => {
    const arn = (await table("TblB1", "NEW_IMAGE"))!;
    await ddb.send(new PutItemCommand({ TableName: "TblB1", Item: { pk: { S: "py" }, n: { N: "7" } } }));
    const r = await boto3(
      n,
      [
        "s = client('dynamodbstreams')",
        `arn = ${JSON.stringify(arn)}`,
        "shard = s.describe_stream(StreamArn=arn)['StreamDescription']['Shards'][0]['ShardId']",
        "it = s.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType='TRIM_HORIZON')['ShardIterator']",
        "recs = s.get_records(ShardIterator=it)['Records']",
        "print(json.dumps([[r['eventName'], r['dynamodb']['NewImage']] for r in recs]))",
        "print(len(s.list_streams(TableName='TblB1')['Streams']))",
      ].join("\n"),
    );
    expect(r.stderr).toBe("");
    const [recs, count] = r.stdout.trim().split("\n");
    expect(JSON.parse(recs!)).toEqual([["INSERT", { pk: { S: "py" }, n: { N: "7" } }]]);
    expect(count).toBe("1");
  });
});
