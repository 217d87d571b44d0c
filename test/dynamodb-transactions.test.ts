/** DynamoDB transactions and concurrency: all-or-nothing, CancellationReasons, idempotency, no lost update; capacity and throttling on the clock. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  type TransactWriteItem,
} from "@aws-sdk/client-dynamodb";
import type { Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";
import { onItemChange, type ItemChange } from "../src/services/dynamodb/table-store.js";

let n: Nimbus;
let ddb: DynamoDBClient;

async function fails(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error("expected failure");
}

beforeAll(async () => {
  n = await startTestNimbus();
  ddb = new DynamoDBClient(sdkConfig(n));
  for (const name of ["accounts", "ledger"]) {
    await ddb.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
  }
  await ddb.send(
    new CreateTableCommand({
      TableName: "tiny",
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
    }),
  );
});
afterAll(async () => {
  await n?.stop();
});

const get = async (table: string, id: string) => (await ddb.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true }))).Item;

describe("TransactWriteItems", () => {
  it("applies every action or none, with CancellationReasons", async () => {
    await ddb.send(new PutItemCommand({ TableName: "accounts", Item: { id: { S: "alice" }, balance: { N: "100" } } }));
    await ddb.send(new PutItemCommand({ TableName: "accounts", Item: { id: { S: "bob" }, balance: { N: "0" } } }));
    const transfer = (amount: number, token?: string): TransactWriteItem[] => [
      { Update: { TableName: "accounts", Key: { id: { S: "alice" } }, UpdateExpression: "SET balance = balance - :a", ConditionExpression: "balance >= :a", ExpressionAttributeValues: { ":a": { N: String(amount) } }, ReturnValuesOnConditionCheckFailure: "ALL_OLD" } },
      { Update: { TableName: "accounts", Key: { id: { S: "bob" } }, UpdateExpression: "SET balance = balance + :a", ExpressionAttributeValues: { ":a": { N: String(amount) } } } },
      { Put: { TableName: "ledger", Item: { id: { S: token ?? `t${amount}` }, amount: { N: String(amount) } }, ConditionExpression: "attribute_not_exists(id)" } },
    ];
    await ddb.send(new TransactWriteItemsCommand({ TransactItems: transfer(30) }));
    expect((await get("accounts", "alice"))!.balance).toEqual({ N: "70" });
    expect((await get("accounts", "bob"))!.balance).toEqual({ N: "30" });
    const e = await fails(ddb.send(new TransactWriteItemsCommand({ TransactItems: transfer(500) })));
    expect(e.name).toBe("TransactionCanceledException");
    expect(e.message).toBe("Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None, None]");
    expect(e.CancellationReasons).toEqual([
      { Code: "ConditionalCheckFailed", Message: "The conditional request failed", Item: { id: { S: "alice" }, balance: { N: "70" } } },
      { Code: "None" },
      { Code: "None" },
    ]);
    expect((await get("accounts", "bob"))!.balance).toEqual({ N: "30" });
    expect(await get("ledger", "t500")).toBeUndefined();
  });

  it("refuses two actions on one item and honours ClientRequestToken for 10 minutes", async () => {
    const dup = await fails(
      ddb.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: "ledger", Item: { id: { S: "x" } } } }, { Delete: { TableName: "ledger", Key: { id: { S: "x" } } } }] })),
    );
    expect([dup.name, dup.message]).toEqual(["ValidationException", "Transaction request cannot include multiple operations on one item"]);
    const items: TransactWriteItem[] = [{ Update: { TableName: "ledger", Key: { id: { S: "counter" } }, UpdateExpression: "ADD n :one", ExpressionAttributeValues: { ":one": { N: "1" } } } }];
    await ddb.send(new TransactWriteItemsCommand({ TransactItems: items, ClientRequestToken: "tok-1" }));
    await ddb.send(new TransactWriteItemsCommand({ TransactItems: items, ClientRequestToken: "tok-1" }));
    expect((await get("ledger", "counter"))!.n).toEqual({ N: "1" });
    const mismatch = await fails(ddb.send(new TransactWriteItemsCommand({ TransactItems: [{ ...items[0]!, Update: { ...items[0]!.Update!, ExpressionAttributeValues: { ":one": { N: "2" } } } }], ClientRequestToken: "tok-1" })));
    expect(mismatch.name).toBe("IdempotentParameterMismatchException");
    n.clock.advance(601);
    await ddb.send(new TransactWriteItemsCommand({ TransactItems: items, ClientRequestToken: "tok-1" }));
    expect((await get("ledger", "counter"))!.n).toEqual({ N: "2" });
  });

  it("TransactGetItems reads a consistent snapshot", async () => {
    const r = await ddb.send(new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: "accounts", Key: { id: { S: "alice" } }, ProjectionExpression: "balance" } }, { Get: { TableName: "accounts", Key: { id: { S: "nobody" } } } }], ReturnConsumedCapacity: "TOTAL" }));
    expect(r.Responses).toEqual([{ Item: { balance: { N: "70" } } }, {}]);
    expect(r.ConsumedCapacity![0]!.CapacityUnits).toBe(4);
  });
});

describe("concurrency", () => {
  it("N concurrent conditional increments give exactly N", async () => {
    await ddb.send(new PutItemCommand({ TableName: "accounts", Item: { id: { S: "hits" }, n: { N: "0" } } }));
    const N = 25;
    const worker = async () => {
      for (;;) {
        const cur = (await get("accounts", "hits"))!.n!.N!;
        try {
          await ddb.send(new UpdateItemCommand({ TableName: "accounts", Key: { id: { S: "hits" } }, UpdateExpression: "SET n = :next", ConditionExpression: "n = :cur", ExpressionAttributeValues: { ":cur": { N: cur }, ":next": { N: String(Number(cur) + 1) } } }));
          return;
        } catch (e) {
          if ((e as Error).name !== "ConditionalCheckFailedException") throw e;
        }
      }
    };
    await Promise.all(Array.from({ length: N }, worker));
    expect((await get("accounts", "hits"))!.n).toEqual({ N: String(N) });
  });

  it("concurrent transactions never apply partially", async () => {
    await ddb.send(new PutItemCommand({ TableName: "accounts", Item: { id: { S: "a" }, v: { N: "50" } } }));
    await ddb.send(new PutItemCommand({ TableName: "accounts", Item: { id: { S: "b" }, v: { N: "50" } } }));
    const move = (from: string, to: string) =>
      ddb
        .send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Update: { TableName: "accounts", Key: { id: { S: from } }, UpdateExpression: "SET v = v - :one", ConditionExpression: "v > :zero", ExpressionAttributeValues: { ":one": { N: "1" }, ":zero": { N: "0" } } } },
              { Update: { TableName: "accounts", Key: { id: { S: to } }, UpdateExpression: "SET v = v + :one", ExpressionAttributeValues: { ":one": { N: "1" } } } },
            ],
          }),
        )
        .catch((e: Error) => {
          if (e.name !== "TransactionCanceledException") throw e;
        });
    await Promise.all(Array.from({ length: 80 }, (_, i) => (i % 2 ? move("a", "b") : move("b", "a"))));
    const a = Number((await get("accounts", "a"))!.v!.N);
    const b = Number((await get("accounts", "b"))!.v!.N);
    expect(a + b).toBe(100);
  });

  it("refuses writes to an item an ongoing transaction holds: TransactionConflictException and TransactionConflict reasons", async () => {
    await ddb.send(new PutItemCommand({ TableName: "ledger", Item: { id: { S: "held" }, v: { N: "1" } } }));
    // Keep a TransactWriteItems in flight: a change listener runs inside its write and waits
    // for the test, so the transaction cannot finish before the other requests are answered.
    let reached!: () => void;
    const inside = new Promise<void>((r) => (reached = r));
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const off = onItemChange(async (c) => {
      const id = c.keys.id as { S?: string } | undefined;
      const v = c.newImage?.v as { N?: string } | undefined;
      if (c.table.name === "ledger" && id?.S === "held" && v?.N === "2") {
        reached();
        await gate;
      }
    });
    try {
      const tx = ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [{ Update: { TableName: "ledger", Key: { id: { S: "held" } }, UpdateExpression: "SET v = :two", ExpressionAttributeValues: { ":two": { N: "2" } } } }],
        }),
      );
      await inside;
      const put = await fails(ddb.send(new PutItemCommand({ TableName: "ledger", Item: { id: { S: "held" }, v: { N: "9" } } })));
      expect(put.name).toBe("TransactionConflictException");
      expect(put.message).toBe("Transaction is ongoing for the item");
      const other = await fails(
        ddb.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: "ledger", Item: { id: { S: "free" }, v: { N: "1" } } } },
              { Update: { TableName: "ledger", Key: { id: { S: "held" } }, UpdateExpression: "SET v = :nine", ExpressionAttributeValues: { ":nine": { N: "9" } } } },
            ],
          }),
        ),
      );
      expect(other.name).toBe("TransactionCanceledException");
      expect((other.CancellationReasons as { Code: string }[]).map((r) => r.Code)).toEqual(["None", "TransactionConflict"]);
      const read = await fails(ddb.send(new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: "ledger", Key: { id: { S: "held" } } } }] })));
      expect(read.name).toBe("TransactionCanceledException");
      expect((read.CancellationReasons as { Code: string }[]).map((r) => r.Code)).toEqual(["TransactionConflict"]);
      // A plain read is not refused: it sees the last committed value.
      expect((await get("ledger", "held"))!.v).toEqual({ N: "1" });
      open();
      await tx;
    } finally {
      off();
      open();
    }
    // Once the transaction has finished, the same requests go through; nothing was lost or half-written.
    expect((await get("ledger", "held"))!.v).toEqual({ N: "2" });
    expect(await get("ledger", "free")).toBeUndefined();
    await ddb.send(new PutItemCommand({ TableName: "ledger", Item: { id: { S: "held" }, v: { N: "3" } } }));
    const r = await ddb.send(new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: "ledger", Key: { id: { S: "held" } } } }] }));
    expect(r.Responses![0]!.Item!.v).toEqual({ N: "3" });
  });

  it("change listeners see every write inside its transaction", async () => {
    const seen: ItemChange[] = [];
    const off = onItemChange((c) => {
      if (c.table.name === "ledger") seen.push(c);
    });
    try {
      await ddb.send(new PutItemCommand({ TableName: "ledger", Item: { id: { S: "l1" }, v: { N: "1" } } }));
      await ddb.send(new UpdateItemCommand({ TableName: "ledger", Key: { id: { S: "l1" } }, UpdateExpression: "SET v = :v", ExpressionAttributeValues: { ":v": { N: "2" } } }));
      await ddb.send(new TransactWriteItemsCommand({ TransactItems: [{ Delete: { TableName: "ledger", Key: { id: { S: "l1" } } } }] }));
    } finally {
      off();
    }
    expect(seen.map((c) => c.eventName)).toEqual(["INSERT", "MODIFY", "REMOVE"]);
    expect(seen[1]!.oldImage).toEqual({ id: { S: "l1" }, v: { N: "1" } });
    expect(seen[1]!.newImage).toEqual({ id: { S: "l1" }, v: { N: "2" } });
    expect(seen[2]!.keys).toEqual({ id: { S: "l1" } });
  });
});

describe("capacity", () => {
  it("provisioned tables throttle after the 300-second burst and refill on the clock", async () => {
    // 1 WCU: a 300-unit burst, then ProvisionedThroughputExceededException.
    const big = "x".repeat(10 * 1024 - 20); // ~10 WCU per write
    let throttled: Error | undefined;
    for (let i = 0; i < 40 && !throttled; i++) {
      try {
        await ddb.send(new PutItemCommand({ TableName: "tiny", Item: { id: { S: `i${i}` }, d: { S: big } } }));
      } catch (e) {
        throttled = e as Error;
      }
    }
    expect(throttled?.name).toBe("ProvisionedThroughputExceededException");
    expect(throttled?.message).toBe("The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.");
    n.clock.advance(60);
    await ddb.send(new PutItemCommand({ TableName: "tiny", Item: { id: { S: "later" } } }));
    await ddb.send(new UpdateTableCommand({ TableName: "tiny", BillingMode: "PAY_PER_REQUEST" }));
    for (let i = 0; i < 40; i++) await ddb.send(new PutItemCommand({ TableName: "tiny", Item: { id: { S: `o${i}` }, d: { S: big } } }));
  });

  it("reports write units with indexes and transactions doubled", async () => {
    const r = await ddb.send(new PutItemCommand({ TableName: "ledger", Item: { id: { S: "cap" }, d: { S: "y".repeat(1500) } }, ReturnConsumedCapacity: "INDEXES" }));
    expect(r.ConsumedCapacity).toEqual({ TableName: "ledger", CapacityUnits: 2, WriteCapacityUnits: 2, Table: { CapacityUnits: 2, WriteCapacityUnits: 2 } });
    const t = await ddb.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: "ledger", Item: { id: { S: "cap2" } } } }], ReturnConsumedCapacity: "TOTAL" }));
    expect(t.ConsumedCapacity).toEqual([{ TableName: "ledger", CapacityUnits: 2, WriteCapacityUnits: 2 }]);
  });
});
