/** DynamoDB items: Put/Get/Update/Delete, conditions, return values, capacity, Query, Scan, indexes — SDK v3 and DocumentClient. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand as DocQuery, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let ddb: DynamoDBClient;
let doc: DynamoDBDocumentClient;

async function fails(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number; err: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode, err: err as unknown as Record<string, unknown> };
  }
  throw new Error("expected failure");
}

beforeAll(async () => {
  n = await startTestNimbus();
  ddb = new DynamoDBClient(sdkConfig(n));
  doc = DynamoDBDocumentClient.from(ddb);
  await ddb.send(
    new CreateTableCommand({
      TableName: "items",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "N" },
        { AttributeName: "g", AttributeType: "S" },
        { AttributeName: "l", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      LocalSecondaryIndexes: [{ IndexName: "by-l", KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "l", KeyType: "RANGE" }], Projection: { ProjectionType: "KEYS_ONLY" } }],
      GlobalSecondaryIndexes: [{ IndexName: "by-g", KeySchema: [{ AttributeName: "g", KeyType: "HASH" }], Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["v"] } }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  await ddb.send(
    new CreateTableCommand({
      TableName: "simple",
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
    }),
  );
});
afterAll(async () => {
  await n?.stop();
});

describe("single items", () => {
  it("puts, gets, projects and deletes", async () => {
    await ddb.send(new PutItemCommand({ TableName: "simple", Item: { id: { S: "a" }, n: { N: "1.50" }, b: { B: Buffer.from([1, 2, 3]) }, m: { M: { x: { L: [{ S: "y" }] } } } } }));
    const got = await ddb.send(new GetItemCommand({ TableName: "simple", Key: { id: { S: "a" } }, ConsistentRead: true, ReturnConsumedCapacity: "TOTAL" }));
    expect(got.Item).toEqual({ id: { S: "a" }, n: { N: "1.5" }, b: { B: new Uint8Array([1, 2, 3]) }, m: { M: { x: { L: [{ S: "y" }] } } } });
    expect(got.ConsumedCapacity).toEqual({ TableName: "simple", CapacityUnits: 1, ReadCapacityUnits: 1 });
    const ec = await ddb.send(new GetItemCommand({ TableName: "simple", Key: { id: { S: "a" } }, ReturnConsumedCapacity: "TOTAL", ProjectionExpression: "m.x[0], #n", ExpressionAttributeNames: { "#n": "n" } }));
    expect(ec.ConsumedCapacity?.CapacityUnits).toBe(0.5);
    expect(ec.Item).toEqual({ n: { N: "1.5" }, m: { M: { x: { L: [{ S: "y" }] } } } });
    const del = await ddb.send(new DeleteItemCommand({ TableName: "simple", Key: { id: { S: "a" } }, ReturnValues: "ALL_OLD" }));
    expect(del.Attributes?.id).toEqual({ S: "a" });
    expect((await ddb.send(new GetItemCommand({ TableName: "simple", Key: { id: { S: "a" } } }))).Item).toBeUndefined();
  });

  it("conditions, ReturnValues and ReturnValuesOnConditionCheckFailure", async () => {
    await ddb.send(new PutItemCommand({ TableName: "simple", Item: { id: { S: "c" }, v: { N: "1" } }, ConditionExpression: "attribute_not_exists(id)" }));
    const e = await fails(ddb.send(new PutItemCommand({ TableName: "simple", Item: { id: { S: "c" } }, ConditionExpression: "attribute_not_exists(id)", ReturnValuesOnConditionCheckFailure: "ALL_OLD" })));
    expect(e.name).toBe("ConditionalCheckFailedException");
    expect(e.message).toBe("The conditional request failed");
    expect(e.status).toBe(400);
    expect(e.err.Item).toEqual({ id: { S: "c" }, v: { N: "1" } });
    const up = await ddb.send(
      new UpdateItemCommand({
        TableName: "simple",
        Key: { id: { S: "c" } },
        UpdateExpression: "SET v = v + :one, tags = list_append(if_not_exists(tags, :empty), :t) ADD s :s",
        ConditionExpression: "v = :one",
        ExpressionAttributeValues: { ":one": { N: "1" }, ":empty": { L: [] }, ":t": { L: [{ S: "x" }] }, ":s": { SS: ["a", "b"] } },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    expect(up.Attributes).toEqual({ v: { N: "2" }, tags: { L: [{ S: "x" }] }, s: { SS: ["a", "b"] } });
    const old = await ddb.send(new UpdateItemCommand({ TableName: "simple", Key: { id: { S: "c" } }, UpdateExpression: "REMOVE tags", ReturnValues: "UPDATED_OLD" }));
    expect(old.Attributes).toEqual({ tags: { L: [{ S: "x" }] } });
    // Legacy parameters
    await ddb.send(new UpdateItemCommand({ TableName: "simple", Key: { id: { S: "c" } }, AttributeUpdates: { v: { Action: "ADD", Value: { N: "10" } } }, Expected: { v: { Value: { N: "2" } } } }));
    const got = await ddb.send(new GetItemCommand({ TableName: "simple", Key: { id: { S: "c" } }, AttributesToGet: ["v"] }));
    expect(got.Item).toEqual({ v: { N: "12" } });
  });

  it("validates keys and items with DynamoDB's messages", async () => {
    expect((await fails(ddb.send(new GetItemCommand({ TableName: "simple", Key: { id: { N: "1" } } })))).message).toBe("The provided key element does not match the schema");
    expect((await fails(ddb.send(new GetItemCommand({ TableName: "simple", Key: { id: { S: "1" }, x: { S: "2" } } })))).message).toBe("The provided key element does not match the schema");
    expect((await fails(ddb.send(new PutItemCommand({ TableName: "simple", Item: { x: { S: "1" } } })))).message).toBe("One or more parameter values were invalid: Missing the key id in the item");
    expect((await fails(ddb.send(new PutItemCommand({ TableName: "simple", Item: { id: { N: "1" } } })))).message).toBe(
      "One or more parameter values were invalid: Type mismatch for key id expected: S actual: N",
    );
    expect((await fails(ddb.send(new PutItemCommand({ TableName: "simple", Item: { id: { S: "" } } })))).message).toBe(
      "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id",
    );
    const nf = await fails(ddb.send(new GetItemCommand({ TableName: "nope", Key: { id: { S: "1" } } })));
    expect([nf.name, nf.message]).toEqual(["ResourceNotFoundException", "Requested resource not found"]);
    const big = await fails(ddb.send(new PutItemCommand({ TableName: "simple", Item: { id: { S: "big" }, d: { S: "x".repeat(400 * 1024) } } })));
    expect(big.message).toBe("Item size has exceeded the maximum allowed size");
    expect((await fails(ddb.send(new UpdateItemCommand({ TableName: "simple", Key: { id: { S: "c" } }, UpdateExpression: "SET id = :x", ExpressionAttributeValues: { ":x": { S: "z" } } })))).message).toBe(
      "One or more parameter values were invalid: Cannot update attribute id. This attribute is part of the key",
    );
    expect((await fails(ddb.send(new PutItemCommand({ TableName: "simple", Item: { id: { S: "q" } }, ReturnValues: "ALL_NEW" })))).message).toBe("Return values set to invalid value");
    expect((await fails(ddb.send(new PutItemCommand({ TableName: "simple", Item: { id: { S: "q" } }, ConditionExpression: "a = :b" })))).name).toBe("ValidationException");
    expect((await fails(ddb.send(new PutItemCommand({ TableName: "items", Item: { pk: { S: "q" }, sk: { N: "1" }, g: { N: "1" } } })))).message).toBe(
      "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N IndexName: by-g",
    );
  });

  it("DocumentClient round-trips native values", async () => {
    await doc.send(new PutCommand({ TableName: "simple", Item: { id: "doc", list: [1, "two", { three: true }], set: new Set(["a"]), nothing: null } }));
    const got = await doc.send(new GetCommand({ TableName: "simple", Key: { id: "doc" } }));
    expect(got.Item).toEqual({ id: "doc", list: [1, "two", { three: true }], set: new Set(["a"]), nothing: null });
    const up = await doc.send(new UpdateCommand({ TableName: "simple", Key: { id: "doc" }, UpdateExpression: "SET #c = if_not_exists(#c, :z) + :one", ExpressionAttributeNames: { "#c": "count" }, ExpressionAttributeValues: { ":z": 0, ":one": 1 }, ReturnValues: "ALL_NEW" }));
    expect(up.Attributes?.count).toBe(1);
  });
});

describe("query, scan and indexes", () => {
  beforeAll(async () => {
    const puts = [];
    for (let i = 0; i < 30; i++) {
      puts.push({ PutRequest: { Item: { pk: { S: "p" }, sk: { N: String(i - 10) }, l: { S: `l${String(29 - i).padStart(2, "0")}` }, v: { N: String(i) }, ...(i % 3 === 0 ? { g: { S: "three" } } : {}), pad: { S: "x".repeat(100) } } } });
    }
    for (let i = 0; i < 30; i += 15) await ddb.send(new BatchWriteItemCommand({ RequestItems: { items: puts.slice(i, i + 15) } }));
    await ddb.send(new PutItemCommand({ TableName: "items", Item: { pk: { S: "other" }, sk: { N: "0" } } }));
  });

  it("orders numeric sort keys by value, pages with Limit, reverses", async () => {
    const all = await ddb.send(new QueryCommand({ TableName: "items", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "p" } } }));
    expect(all.Items!.map((i) => Number(i.sk!.N))).toEqual([...Array(30).keys()].map((i) => i - 10));
    const between = await ddb.send(new QueryCommand({ TableName: "items", KeyConditionExpression: "pk = :p AND sk BETWEEN :a AND :b", ExpressionAttributeValues: { ":p": { S: "p" }, ":a": { N: "-3" }, ":b": { N: "2.5" } }, ScanIndexForward: false }));
    expect(between.Items!.map((i) => i.sk!.N)).toEqual(["2", "1", "0", "-1", "-2", "-3"]);
    const gt = await ddb.send(new QueryCommand({ TableName: "items", KeyConditionExpression: "pk = :p AND sk > :a", ExpressionAttributeValues: { ":p": { S: "p" }, ":a": { N: "17" } } }));
    expect(gt.Items!.map((i) => i.sk!.N)).toEqual(["18", "19"]);
    const pages: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await ddb.send(new QueryCommand({ TableName: "items", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "p" } }, Limit: 7, ExclusiveStartKey: start as never, ScanIndexForward: false }));
      pages.push(...page.Items!.map((i) => i.sk!.N!));
      start = page.LastEvaluatedKey;
    } while (start);
    expect(pages.length).toBe(30);
    expect(pages[0]).toBe("19");
    const count = await ddb.send(new QueryCommand({ TableName: "items", KeyConditionExpression: "pk = :p", FilterExpression: "v < :five", ExpressionAttributeValues: { ":p": { S: "p" }, ":five": { N: "5" } }, Select: "COUNT" }));
    expect([count.Count, count.ScannedCount, count.Items]).toEqual([5, 30, undefined]);
  });

  it("queries LSIs and GSIs with their projections", async () => {
    const lsi = await ddb.send(new QueryCommand({ TableName: "items", IndexName: "by-l", KeyConditionExpression: "pk = :p AND begins_with(l, :x)", ExpressionAttributeValues: { ":p": { S: "p" }, ":x": { S: "l0" } } }));
    expect(lsi.Items!.map((i) => i.l!.S)).toEqual(["l00", "l01", "l02", "l03", "l04", "l05", "l06", "l07", "l08", "l09"]);
    expect(Object.keys(lsi.Items![0]!).sort()).toEqual(["l", "pk", "sk"]);
    const fetched = await ddb.send(new QueryCommand({ TableName: "items", IndexName: "by-l", KeyConditionExpression: "pk = :p AND l = :l", ExpressionAttributeValues: { ":p": { S: "p" }, ":l": { S: "l00" } }, Select: "ALL_ATTRIBUTES" }));
    expect(fetched.Items![0]!.pad).toBeDefined();
    const gsi = await ddb.send(new QueryCommand({ TableName: "items", IndexName: "by-g", KeyConditionExpression: "g = :g", ExpressionAttributeValues: { ":g": { S: "three" } }, ReturnConsumedCapacity: "INDEXES" }));
    expect(gsi.Count).toBe(10);
    expect(Object.keys(gsi.Items![0]!).sort()).toEqual(["g", "pk", "sk", "v"]);
    expect(gsi.ConsumedCapacity?.GlobalSecondaryIndexes?.["by-g"]?.CapacityUnits).toBeGreaterThan(0);
    const e = await fails(ddb.send(new QueryCommand({ TableName: "items", IndexName: "by-g", KeyConditionExpression: "g = :g", ExpressionAttributeValues: { ":g": { S: "three" } }, ConsistentRead: true })));
    expect(e.message).toBe("Consistent reads are not supported on global secondary indexes");
    expect((await fails(ddb.send(new QueryCommand({ TableName: "items", IndexName: "nope", KeyConditionExpression: "g = :g", ExpressionAttributeValues: { ":g": { S: "three" } } })))).message).toBe(
      "The table does not have the specified index: nope",
    );
    // Update moves the item within the GSI and removes it when the key attribute goes away.
    await ddb.send(new UpdateItemCommand({ TableName: "items", Key: { pk: { S: "p" }, sk: { N: "-10" } }, UpdateExpression: "REMOVE g" }));
    const after = await ddb.send(new QueryCommand({ TableName: "items", IndexName: "by-g", KeyConditionExpression: "g = :g", ExpressionAttributeValues: { ":g": { S: "three" } } }));
    expect(after.Count).toBe(9);
  });

  it("scans with segments, filters and Limit", async () => {
    const all = await ddb.send(new ScanCommand({ TableName: "items" }));
    expect(all.Count).toBe(31);
    let total = 0;
    for (let s = 0; s < 3; s++) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await ddb.send(new ScanCommand({ TableName: "items", Segment: s, TotalSegments: 3, Limit: 4, ExclusiveStartKey: start as never }));
        total += page.Count!;
        start = page.LastEvaluatedKey;
      } while (start);
    }
    expect(total).toBe(31);
    const filtered = await ddb.send(new ScanCommand({ TableName: "items", ScanFilter: { v: { ComparisonOperator: "GE", AttributeValueList: [{ N: "25" }] } } }));
    expect(filtered.Count).toBe(5);
  });

  it("DocumentClient queries", async () => {
    const r = await doc.send(new DocQuery({ TableName: "items", KeyConditionExpression: "pk = :p AND sk <= :s", ExpressionAttributeValues: { ":p": "p", ":s": -8 } }));
    expect(r.Items!.map((i) => i.sk)).toEqual([-10, -9, -8]);
  });

  it("adds a GSI with backfill and deletes it", async () => {
    await ddb.send(new UpdateTableCommand({ TableName: "items", AttributeDefinitions: [{ AttributeName: "v", AttributeType: "N" }], GlobalSecondaryIndexUpdates: [{ Create: { IndexName: "by-v", KeySchema: [{ AttributeName: "v", KeyType: "HASH" }], Projection: { ProjectionType: "ALL" } } }] }));
    const r = await ddb.send(new QueryCommand({ TableName: "items", IndexName: "by-v", KeyConditionExpression: "v = :v", ExpressionAttributeValues: { ":v": { N: "7" } } }));
    expect(r.Items![0]!.sk).toEqual({ N: "-3" });
    const d = await ddb.send(new DescribeTableCommand({ TableName: "items" }));
    expect(d.Table!.GlobalSecondaryIndexes!.find((g) => g.IndexName === "by-v")!.ItemCount).toBe(30);
    expect(d.Table!.ItemCount).toBe(31);
    await ddb.send(new UpdateTableCommand({ TableName: "items", GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: "by-v" } }] }));
    expect((await fails(ddb.send(new QueryCommand({ TableName: "items", IndexName: "by-v", KeyConditionExpression: "v = :v", ExpressionAttributeValues: { ":v": { N: "7" } } })))).name).toBe("ValidationException");
  });
});

describe("batches", () => {
  it("BatchGetItem and BatchWriteItem limits", async () => {
    const r = await ddb.send(new BatchGetItemCommand({ RequestItems: { items: { Keys: [{ pk: { S: "p" }, sk: { N: "0" } }, { pk: { S: "p" }, sk: { N: "999" } }] } } }));
    expect(r.Responses!.items!.length).toBe(1);
    expect(r.UnprocessedKeys).toEqual({});
    const dup = await fails(ddb.send(new BatchWriteItemCommand({ RequestItems: { simple: [{ PutRequest: { Item: { id: { S: "d" } } } }, { DeleteRequest: { Key: { id: { S: "d" } } } }] } })));
    expect(dup.message).toBe("Provided list of item keys contains duplicates");
    const many = Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: { id: { S: `m${i}` } } } }));
    expect((await fails(ddb.send(new BatchWriteItemCommand({ RequestItems: { simple: many } })))).name).toBe("ValidationException");
    const keys = Array.from({ length: 101 }, (_, i) => ({ id: { S: `k${i}` } }));
    expect((await fails(ddb.send(new BatchGetItemCommand({ RequestItems: { simple: { Keys: keys } } })))).message).toBe("Too many items requested for the BatchGetItem call");
  });
});

describe("key ordering and page limits", () => {
  beforeAll(async () => {
    for (const [name, type] of [["ord-s", "S"], ["ord-n", "N"], ["ord-b", "B"]] as const) {
      await ddb.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [
            { AttributeName: "pk", AttributeType: "S" },
            { AttributeName: "sk", AttributeType: type },
          ],
          KeySchema: [
            { AttributeName: "pk", KeyType: "HASH" },
            { AttributeName: "sk", KeyType: "RANGE" },
          ],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
    }
  });

  const sortKeys = async (table: string, forward = true) =>
    (await ddb.send(new QueryCommand({ TableName: table, KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "p" } }, ScanIndexForward: forward }))).Items!.map((i) => i.sk!);

  it("orders strings by UTF-8 bytes, numbers by exact value, binaries by bytes", async () => {
    const strings = ["\u{1F600}", "a", "\uE000", "Z", "a\u0000", "ab", ""].filter((s) => s !== "");
    for (const s of strings) await ddb.send(new PutItemCommand({ TableName: "ord-s", Item: { pk: { S: "p" }, sk: { S: s } } }));
    expect((await sortKeys("ord-s")).map((v) => v.S)).toEqual(["Z", "a", "a\u0000", "ab", "\uE000", "\u{1F600}"]);
    const numbers = ["1.55", "-1.5", "0", "1E-130", "-1.55", "99999999999999999999999999999999999999", "-1e10", "1.5", "9.9999999999999999999999999999999999999E+125", "12345678901234567890.123456789012345678"];
    for (const x of numbers) await ddb.send(new PutItemCommand({ TableName: "ord-n", Item: { pk: { S: "p" }, sk: { N: x } } }));
    expect((await sortKeys("ord-n")).map((v) => v.N)).toEqual([
      "-10000000000",
      "-1.55",
      "-1.5",
      "0",
      "0." + "0".repeat(129) + "1",
      "1.5",
      "1.55",
      "12345678901234567890.123456789012345678",
      "99999999999999999999999999999999999999",
      "9".repeat(38) + "0".repeat(88),
    ]);
    const between = await ddb.send(new QueryCommand({ TableName: "ord-n", KeyConditionExpression: "pk = :p AND sk BETWEEN :a AND :b", ExpressionAttributeValues: { ":p": { S: "p" }, ":a": { N: "-1.55" }, ":b": { N: "1.5" } } }));
    expect(between.Count).toBe(5);
    const binaries = [[2], [1, 0], [255], [1], [1, 255]];
    for (const b of binaries) await ddb.send(new PutItemCommand({ TableName: "ord-b", Item: { pk: { S: "p" }, sk: { B: Buffer.from(b) } } }));
    expect((await sortKeys("ord-b", false)).map((v) => [...v.B!])).toEqual([[255], [2], [1, 255], [1, 0], [1]]);
    const prefix = await ddb.send(new QueryCommand({ TableName: "ord-b", KeyConditionExpression: "pk = :p AND begins_with(sk, :b)", ExpressionAttributeValues: { ":p": { S: "p" }, ":b": { B: Buffer.from([1]) } } }));
    expect(prefix.Count).toBe(3);
  });

  it("stops a page at 1 MB of items with a LastEvaluatedKey", async () => {
    const big = "z".repeat(390 * 1024);
    for (let i = 0; i < 4; i++) await ddb.send(new PutItemCommand({ TableName: "ord-s", Item: { pk: { S: "big" }, sk: { S: `k${i}` }, d: { S: big } } }));
    const page = await ddb.send(new QueryCommand({ TableName: "ord-s", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "big" } }, ReturnConsumedCapacity: "TOTAL" }));
    expect(page.Count).toBe(3);
    expect(page.LastEvaluatedKey).toEqual({ pk: { S: "big" }, sk: { S: "k2" } });
    expect(page.ConsumedCapacity!.CapacityUnits).toBe(146.5);
    const rest = await ddb.send(new QueryCommand({ TableName: "ord-s", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "big" } }, ExclusiveStartKey: page.LastEvaluatedKey }));
    expect(rest.Count).toBe(1);
    expect(rest.LastEvaluatedKey).toBeUndefined();
  });

  it("refuses bad queries with DynamoDB's messages", async () => {
    const q = (extra: Record<string, unknown>) => fails(ddb.send(new QueryCommand({ TableName: "ord-s", ...extra } as never)));
    expect((await q({})).message).toBe("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.");
    expect((await q({ KeyConditionExpression: "pk = :p", FilterExpression: "sk = :p", ExpressionAttributeValues: { ":p": { S: "x" } } })).message).toBe(
      "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
    );
    // A value that happens to equal a key name is not a key attribute.
    const ok = await ddb.send(new QueryCommand({ TableName: "ord-s", KeyConditionExpression: "pk = :p", FilterExpression: "colour = :v", ExpressionAttributeValues: { ":p": { S: "x" }, ":v": { S: "sk" } } }));
    expect(ok.Count).toBe(0);
    expect((await q({ KeyConditionExpression: "pk = :p", Limit: 0, ExpressionAttributeValues: { ":p": { S: "x" } } })).name).toBe("ValidationException");
    expect((await q({ KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "x" }, ":q": { S: "y" } } })).message).toBe(
      "Value provided in ExpressionAttributeValues unused in expressions: keys: {:q}",
    );
    expect((await q({ KeyConditionExpression: "pk = :p", ExclusiveStartKey: { pk: { S: "x" } }, ExpressionAttributeValues: { ":p": { S: "x" } } })).message).toBe(
      "The provided starting key is invalid: The provided key element does not match the schema",
    );
  });
});
