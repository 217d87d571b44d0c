/** DynamoDB TTL: background deletion of expired items on the clock, seen in the stream as service deletions; SDK v3 and boto3. */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CreateTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from "@aws-sdk/client-dynamodb-streams";
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

async function readAll(streamArn: string): Promise<_Record[]> {
  const d = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const shard = d.StreamDescription!.Shards![0]!;
  const it = (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId!, ShardIteratorType: "TRIM_HORIZON" }))).ShardIterator;
  return (await streams.send(new GetRecordsCommand({ ShardIterator: it! }))).Records ?? [];
}

describe("TTL", () => {
  it("deletes expired items in the background with a service REMOVE record", async () => {
    const arn = (await table("TtlT1", "NEW_AND_OLD_IMAGES"))!;
    await ddb.send(new UpdateTimeToLiveCommand({ TableName: "TtlT1", TimeToLiveSpecification: { Enabled: true, AttributeName: "exp" } }));
    const now = Math.floor(n.clock.nowMs() / 1000);
    await ddb.send(new PutItemCommand({ TableName: "TtlT1", Item: { pk: { S: "soon" }, exp: { N: String(now + 60) } } }));
    await ddb.send(new PutItemCommand({ TableName: "TtlT1", Item: { pk: { S: "later" }, exp: { N: String(now + 86_400) } } }));
    await ddb.send(new PutItemCommand({ TableName: "TtlT1", Item: { pk: { S: "text" }, exp: { S: String(now - 10) } } }));
    await ddb.send(new PutItemCommand({ TableName: "TtlT1", Item: { pk: { S: "ancient" }, exp: { N: String(now - 6 * 365 * 86_400) } } }));
    await ddb.send(new PutItemCommand({ TableName: "TtlT1", Item: { pk: { S: "none" } } }));
    n.clock.advance(120);
    await vi.waitFor(async () => {
      const got = await ddb.send(new GetItemCommand({ TableName: "TtlT1", Key: { pk: { S: "soon" } }, ConsistentRead: true }));
      expect(got.Item).toBeUndefined();
    });
    for (const k of ["later", "text", "ancient", "none"]) {
      const got = await ddb.send(new GetItemCommand({ TableName: "TtlT1", Key: { pk: { S: k } }, ConsistentRead: true }));
      expect(got.Item?.pk?.S).toBe(k);
    }
    const records = await readAll(arn);
    const removal = records.find((r) => r.eventName === "REMOVE")!;
    expect(removal.dynamodb!.Keys).toEqual({ pk: { S: "soon" } });
    expect(removal.userIdentity).toEqual({ Type: "Service", PrincipalId: "dynamodb.amazonaws.com" });
    expect(records.filter((r) => r.eventName === "REMOVE")).toHaveLength(1);
  });
});


describe("TTL with boto3", () => {
  it("enables TTL and sees an expired item disappear", async () => {
    await table("TtlPy");
    const now = Math.floor(n.clock.nowMs() / 1000);
    const r = await boto3(
      n,
      [
        "c = client('dynamodb')",
        "c.update_time_to_live(TableName='TtlPy', TimeToLiveSpecification={'Enabled': True, 'AttributeName': 'expires'})",
        `c.put_item(TableName='TtlPy', Item={'pk': {'S': 'x'}, 'expires': {'N': '${now + 30}'}})`,
        "print(c.describe_time_to_live(TableName='TtlPy')['TimeToLiveDescription']['TimeToLiveStatus'])",
      ].join("\n"),
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("ENABLED");
    expect((await ddb.send(new DescribeTimeToLiveCommand({ TableName: "TtlPy" }))).TimeToLiveDescription?.AttributeName).toBe("expires");
    n.clock.advance(31);
    await vi.waitFor(async () => {
      expect((await ddb.send(new GetItemCommand({ TableName: "TtlPy", Key: { pk: { S: "x" } }, ConsistentRead: true }))).Item).toBeUndefined();
    });
  });
});
