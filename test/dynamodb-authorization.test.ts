/**
 * DynamoDB's IAM facts through the policy engine: an IAM user limited by dynamodb:LeadingKeys
 * and dynamodb:Attributes reads and writes only its own partition, while root passes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import type { Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let root: DynamoDBClient;
let alice: DynamoDBClient;

beforeAll(async () => {
  n = await startTestNimbus();
  root = new DynamoDBClient(sdkConfig(n));
  const iam = new IAMClient(sdkConfig(n));
  await iam.send(new CreateUserCommand({ UserName: "alice" }));
  const policy = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem"],
        Resource: "*",
        Condition: {
          "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["alice"], "dynamodb:Attributes": ["owner", "note"] },
        },
      },
    ],
  };
  await iam.send(new PutUserPolicyCommand({ UserName: "alice", PolicyName: "own-rows", PolicyDocument: JSON.stringify(policy) }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "alice" }))).AccessKey!;
  alice = new DynamoDBClient(sdkConfig(n, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }));
  await root.send(
    new CreateTableCommand({
      TableName: "Notes",
      KeySchema: [{ AttributeName: "owner", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "owner", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
});
afterAll(async () => {
  await n.stop();
});

async function denied(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).name;
  }
  return "allowed";
}

describe("dynamodb condition keys", () => {
  it("lets a user limited by LeadingKeys and Attributes touch only its own partition", async () => {
    await alice.send(new PutItemCommand({ TableName: "Notes", Item: { owner: { S: "alice" }, note: { S: "mine" } } }));
    const got = await alice.send(new GetItemCommand({ TableName: "Notes", Key: { owner: { S: "alice" } } }));
    expect(got.Item?.note?.S).toBe("mine");

    expect(await denied(alice.send(new PutItemCommand({ TableName: "Notes", Item: { owner: { S: "bob" }, note: { S: "x" } } })))).toBe(
      "AccessDeniedException",
    );
    expect(await denied(alice.send(new GetItemCommand({ TableName: "Notes", Key: { owner: { S: "bob" } } })))).toBe("AccessDeniedException");
    // An attribute outside dynamodb:Attributes is refused even in its own partition.
    expect(
      await denied(alice.send(new PutItemCommand({ TableName: "Notes", Item: { owner: { S: "alice" }, secret: { S: "x" } } }))),
    ).toBe("AccessDeniedException");
  });

  it("lets root do what the user may not", async () => {
    await root.send(new PutItemCommand({ TableName: "Notes", Item: { owner: { S: "bob" }, secret: { S: "y" } } }));
    const got = await root.send(new GetItemCommand({ TableName: "Notes", Key: { owner: { S: "bob" } } }));
    expect(got.Item?.secret?.S).toBe("y");
  });

  it("answers ResourceNotFoundException for a table that does not exist", async () => {
    const e = await alice.send(new GetItemCommand({ TableName: "Missing", Key: { owner: { S: "alice" } } })).catch((err: Error) => err);
    // Without a key schema there is no leading key to check (ForAllValues over nothing holds).
    expect((e as Error).name).toBe("ResourceNotFoundException");
  });
});
