/** DynamoDB global tables (2019.11.21): replicas in other regions, asynchronous replication, last writer wins; SDK v3 and boto3. */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import type { Nimbus } from "../src/index.js";
import { boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let home: DynamoDBClient;
let away: DynamoDBClient;
const OTHER = "eu-west-1";

beforeAll(async () => {
  n = await startTestNimbus();
  home = new DynamoDBClient(sdkConfig(n));
  away = new DynamoDBClient({ ...sdkConfig(n), region: OTHER });
});
afterAll(async () => {
  await n.stop();
});

const get = async (c: DynamoDBClient, table: string, pk: string) =>
  (await c.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;

async function globalTable(name: string): Promise<void> {
  await home.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  await home.send(new PutItemCommand({ TableName: name, Item: { pk: { S: "existing" }, v: { N: "1" } } }));
  const r = await home.send(new UpdateTableCommand({ TableName: name, ReplicaUpdates: [{ Create: { RegionName: OTHER } }] }));
  expect(r.TableDescription?.Replicas).toEqual([{ RegionName: OTHER, ReplicaStatus: "ACTIVE" }]);
  expect(r.TableDescription?.GlobalTableVersion).toBe("2019.11.21");
}

describe("global tables", () => {
  it("creates a replica with the data and replicates writes both ways", async () => {
    await globalTable("Carts");
    const d = await away.send(new DescribeTableCommand({ TableName: "Carts" }));
    expect(d.Table?.TableArn).toContain(`:${OTHER}:`);
    expect(d.Table?.Replicas).toEqual([{ RegionName: n.region, ReplicaStatus: "ACTIVE" }]);
    expect(d.Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" });
    expect(await get(away, "Carts", "existing")).toEqual({ pk: { S: "existing" }, v: { N: "1" } });

    await home.send(new PutItemCommand({ TableName: "Carts", Item: { pk: { S: "h" }, v: { S: "from home" } } }));
    await away.send(new PutItemCommand({ TableName: "Carts", Item: { pk: { S: "a" }, v: { S: "from away" } } }));
    await vi.waitFor(async () => {
      expect(await get(away, "Carts", "h")).toEqual({ pk: { S: "h" }, v: { S: "from home" } });
      expect(await get(home, "Carts", "a")).toEqual({ pk: { S: "a" }, v: { S: "from away" } });
    });
    await away.send(new DeleteItemCommand({ TableName: "Carts", Key: { pk: { S: "h" } } }));
    await vi.waitFor(async () => expect(await get(home, "Carts", "h")).toBeUndefined());
  });

  it("resolves concurrent writes last writer wins", async () => {
    await globalTable("Lww");
    // Hold replication back by writing both sides before any drain can see them, the later write
    // (by the clock) in the home region.
    await away.send(new PutItemCommand({ TableName: "Lww", Item: { pk: { S: "k" }, v: { S: "older" } } }));
    n.clock.advance(1);
    await home.send(new PutItemCommand({ TableName: "Lww", Item: { pk: { S: "k" }, v: { S: "newer" } } }));
    await vi.waitFor(async () => {
      expect((await get(home, "Lww", "k"))?.v).toEqual({ S: "newer" });
      expect((await get(away, "Lww", "k"))?.v).toEqual({ S: "newer" });
    });
  });

  it("removes a replica and refuses bad replica updates", async () => {
    await globalTable("Gone");
    const dup = await home.send(new UpdateTableCommand({ TableName: "Gone", ReplicaUpdates: [{ Create: { RegionName: OTHER } }] })).catch((e: Error) => e);
    expect((dup as Error).name).toBe("ValidationException");
    const r = await home.send(new UpdateTableCommand({ TableName: "Gone", ReplicaUpdates: [{ Delete: { RegionName: OTHER } }] }));
    expect(r.TableDescription?.Replicas).toBeUndefined();
    const missing = await away.send(new DescribeTableCommand({ TableName: "Gone" })).catch((e: Error) => e);
    expect((missing as Error).name).toBe("ResourceNotFoundException");
    await home.send(new PutItemCommand({ TableName: "Gone", Item: { pk: { S: "after" } } }));
  });

  it("boto3 sees the replica", async () => {
    await globalTable("PyGlobal");
    const r = await boto3(
      n,
      [
        `c = client('dynamodb', region_name=${JSON.stringify(OTHER)})`,
        "t = c.describe_table(TableName='PyGlobal')['Table']",
        "print(t['GlobalTableVersion'], t['Replicas'][0]['RegionName'])",
      ].join("\n"),
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(`2019.11.21 ${n.region}`);
  });
});
