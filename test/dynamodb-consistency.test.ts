/** DynamoDB eventually consistent reads with NIMBUS_DYNAMODB_STALE_READ_MS: stale within the window on the clock, ConsistentRead always current. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let ddb: DynamoDBClient;

beforeAll(async () => {
  process.env.NIMBUS_DYNAMODB_STALE_READ_MS = "2000";
  n = await startTestNimbus();
  ddb = new DynamoDBClient(sdkConfig(n));
  await ddb.send(new CreateTableCommand({ TableName: "stale", AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }], KeySchema: [{ AttributeName: "id", KeyType: "HASH" }], BillingMode: "PAY_PER_REQUEST" }));
});
afterAll(async () => {
  delete process.env.NIMBUS_DYNAMODB_STALE_READ_MS;
  await n?.stop();
});

it("returns the previous version within the window, the current one with ConsistentRead or after it", async () => {
  const key = { id: { S: "k" } };
  await ddb.send(new PutItemCommand({ TableName: "stale", Item: { id: { S: "k" }, v: { N: "1" } } }));
  n.clock.advance(3);
  await ddb.send(new PutItemCommand({ TableName: "stale", Item: { id: { S: "k" }, v: { N: "2" } } }));
  expect((await ddb.send(new GetItemCommand({ TableName: "stale", Key: key }))).Item?.v).toEqual({ N: "1" });
  expect((await ddb.send(new GetItemCommand({ TableName: "stale", Key: key, ConsistentRead: true }))).Item?.v).toEqual({ N: "2" });
  n.clock.advance(3);
  expect((await ddb.send(new GetItemCommand({ TableName: "stale", Key: key }))).Item?.v).toEqual({ N: "2" });
});
