/** DynamoDB PartiQL: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction through SDK v3, the CLI and boto3. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchExecuteStatementCommand,
  CreateTableCommand,
  DynamoDBClient,
  ExecuteStatementCommand,
  ExecuteTransactionCommand,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let ddb: DynamoDBClient;

beforeAll(async () => {
  n = await startTestNimbus();
  ddb = new DynamoDBClient(sdkConfig(n));
  await ddb.send(
    new CreateTableCommand({
      TableName: "Music",
      KeySchema: [
        { AttributeName: "Artist", KeyType: "HASH" },
        { AttributeName: "Song", KeyType: "RANGE" },
      ],
      AttributeDefinitions: [
        { AttributeName: "Artist", AttributeType: "S" },
        { AttributeName: "Song", AttributeType: "S" },
        { AttributeName: "Year", AttributeType: "N" },
      ],
      GlobalSecondaryIndexes: [
        { IndexName: "ByYear", KeySchema: [{ AttributeName: "Year", KeyType: "HASH" }], Projection: { ProjectionType: "ALL" } },
      ],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  for (let i = 0; i < 10; i++) {
    await ddb.send(
      new PutItemCommand({
        TableName: "Music",
        Item: { Artist: { S: i < 6 ? "A" : "B" }, Song: { S: `s${i}` }, Year: { N: String(2000 + (i % 3)) }, Plays: { N: String(i) } },
      }),
    );
  }
});
afterAll(async () => {
  await n.stop();
});

const run = (Statement: string, Parameters?: unknown[], extra: Record<string, unknown> = {}) =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Parameters are AttributeValues written by hand
  ddb.send(new ExecuteStatementCommand({ Statement, Parameters: Parameters as any, ...extra }));

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number; Item?: unknown; CancellationReasons?: unknown }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number }; Item?: unknown; CancellationReasons?: unknown };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode, Item: err.Item, CancellationReasons: err.CancellationReasons };
  }
  throw new Error("expected a failure");
}

describe("ExecuteStatement SELECT", () => {
  it("queries a partition with a sort-key condition, projection and ORDER BY DESC", async () => {
    const r = await run(`SELECT Song, Plays FROM "Music" WHERE Artist = ? AND Song >= 's2' ORDER BY Song DESC`, [{ S: "A" }]);
    expect(r.Items).toEqual([
      { Song: { S: "s5" }, Plays: { N: "5" } },
      { Song: { S: "s4" }, Plays: { N: "4" } },
      { Song: { S: "s3" }, Plays: { N: "3" } },
      { Song: { S: "s2" }, Plays: { N: "2" } },
    ]);
  });

  it("narrows a partition by each sort-key condition, both directions, with paging", async () => {
    const songs = async (where: string, order = "") => ((await run(`SELECT Song FROM Music WHERE Artist = 'A' AND ${where} ${order}`)).Items ?? []).map((i) => i.Song!.S);
    expect(await songs("Song BETWEEN 's1' AND 's3'")).toEqual(["s1", "s2", "s3"]);
    expect(await songs("Song < 's2'")).toEqual(["s0", "s1"]);
    expect(await songs("Song <= 's2'")).toEqual(["s0", "s1", "s2"]);
    expect(await songs("Song > 's3'")).toEqual(["s4", "s5"]);
    expect(await songs("Song = 's4'")).toEqual(["s4"]);
    expect(await songs("begins_with(Song, 's1')")).toEqual(["s1"]);
    expect(await songs("Song >= 's2' AND Plays > 2", "ORDER BY Song DESC")).toEqual(["s5", "s4", "s3"]);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const r = await run(`SELECT Song FROM Music WHERE Artist = 'A' AND Song BETWEEN 's1' AND 's4' ORDER BY Song DESC`, undefined, { Limit: 3, NextToken: token });
      seen.push(...(r.Items ?? []).map((i) => i.Song!.S!));
      token = r.NextToken;
    } while (token);
    expect(seen).toEqual(["s4", "s3", "s2", "s1"]);
  });

  it("scans with filters, IN, BETWEEN, functions and IS MISSING", async () => {
    const r = await run(`SELECT * FROM Music WHERE Plays BETWEEN 2 AND 7 AND Year IN [2000, 2001] AND begins_with(Song, 's') AND Absent IS MISSING`);
    const songs = (r.Items ?? []).map((i) => i.Song!.S).sort();
    expect(songs).toEqual(["s3", "s4", "s6", "s7"]);
  });

  it("reads an index", async () => {
    const r = await run(`SELECT Song FROM "Music"."ByYear" WHERE "Year" = 2001`);
    expect((r.Items ?? []).map((i) => i.Song!.S).sort()).toEqual(["s1", "s4", "s7"]);
    const bad = await failure(run(`SELECT * FROM "Music"."Nope"`));
    expect(bad.name).toBe("ValidationException");
  });

  it("pages with Limit and NextToken, and reports consumed capacity", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await run(`SELECT * FROM Music WHERE Artist = 'A'`, undefined, { Limit: 4, NextToken: token, ReturnConsumedCapacity: "TOTAL" });
      expect(r.ConsumedCapacity?.TableName).toBe("Music");
      seen.push(...(r.Items ?? []).map((i) => i.Song!.S!));
      token = r.NextToken;
      pages++;
    } while (token);
    expect(seen).toEqual(["s0", "s1", "s2", "s3", "s4", "s5"]);
    expect(pages).toBe(2);
  });

  it("refuses malformed statements and unknown tables as DynamoDB does", async () => {
    const bad = await failure(run(`SELEKT * FROM Music`));
    expect(bad).toMatchObject({ name: "ValidationException", status: 400 });
    expect(bad.message).toMatch(/^Statement wasn't well formed, can't be processed: /);
    const count = await failure(run(`SELECT * FROM Music WHERE Artist = ?`));
    expect(count.message).toBe("Number of parameters in request and statement don't match.");
    const missing = await failure(run(`SELECT * FROM Nowhere`));
    expect(missing.name).toBe("ResourceNotFoundException");
  });
});

describe("ExecuteStatement INSERT / UPDATE / DELETE", () => {
  it("inserts, refuses a duplicate key, updates and deletes", async () => {
    await run(`INSERT INTO Music VALUE {'Artist': 'C', 'Song': 'x', 'Tags': <<'rock', 'pop'>>, 'Meta': {'len': 180, 'live': false}, 'L': [1, 'two']}`);
    const got = await ddb.send(new GetItemCommand({ TableName: "Music", Key: { Artist: { S: "C" }, Song: { S: "x" } } }));
    expect(got.Item).toEqual({
      Artist: { S: "C" },
      Song: { S: "x" },
      Tags: { SS: ["rock", "pop"] },
      Meta: { M: { len: { N: "180" }, live: { BOOL: false } } },
      L: { L: [{ N: "1" }, { S: "two" }] },
    });
    const dup = await failure(run(`INSERT INTO Music VALUE {'Artist': 'C', 'Song': 'x'}`));
    expect(dup).toMatchObject({ name: "DuplicateItemException", status: 400, message: "Duplicate primary key exists in table" });

    const upd = await run(`UPDATE Music SET Meta.len = Meta.len + 20 SET Tags = set_add(Tags, <<'jazz'>>) REMOVE L WHERE Artist = 'C' AND Song = 'x' RETURNING ALL NEW *`);
    expect(upd.Items?.[0]?.Meta).toEqual({ M: { len: { N: "200" }, live: { BOOL: false } } });
    expect(upd.Items?.[0]?.L).toBeUndefined();
    expect(new Set(upd.Items?.[0]?.Tags?.SS)).toEqual(new Set(["rock", "pop", "jazz"]));

    const cond = await failure(run(`UPDATE Music SET X = 1 WHERE Artist = 'C' AND Song = 'x' AND Meta.len = 1`, undefined, { ReturnValuesOnConditionCheckFailure: "ALL_OLD" }));
    expect(cond.name).toBe("ConditionalCheckFailedException");
    expect((cond.Item as Record<string, unknown>).Song).toEqual({ S: "x" });
    const absent = await failure(run(`UPDATE Music SET X = 1 WHERE Artist = 'C' AND Song = 'nope'`));
    expect(absent.name).toBe("ConditionalCheckFailedException");
    const keyless = await failure(run(`UPDATE Music SET X = 1 WHERE Artist = 'C'`));
    expect(keyless.message).toBe("Where clause does not contain a mandatory equality on all key attributes");
    const keyUpdate = await failure(run(`UPDATE Music SET Song = 'y' WHERE Artist = 'C' AND Song = 'x'`));
    expect(keyUpdate.name).toBe("ValidationException");

    const del = await run(`DELETE FROM Music WHERE Artist = ? AND Song = ? RETURNING ALL OLD *`, [{ S: "C" }, { S: "x" }]);
    expect(del.Items?.[0]?.Artist).toEqual({ S: "C" });
    const gone = await ddb.send(new GetItemCommand({ TableName: "Music", Key: { Artist: { S: "C" }, Song: { S: "x" } } }));
    expect(gone.Item).toBeUndefined();
    const again = await failure(run(`DELETE FROM Music WHERE Artist = 'C' AND Song = 'x'`));
    expect(again.name).toBe("ConditionalCheckFailedException");
  });
});

describe("BatchExecuteStatement and ExecuteTransaction", () => {
  it("runs a batch with per-statement errors", async () => {
    const r = await ddb.send(
      new BatchExecuteStatementCommand({
        Statements: [
          { Statement: `INSERT INTO Music VALUE {'Artist': 'D', 'Song': '1'}` },
          { Statement: `INSERT INTO Music VALUE {'Artist': 'A', 'Song': 's0'}` },
          { Statement: `UPDATE Music SET P = 1 WHERE Artist = 'D' AND Song = 'missing'` },
        ],
      }),
    );
    expect(r.Responses?.[0]?.Error).toBeUndefined();
    expect(r.Responses?.[1]?.Error?.Code).toBe("DuplicateItem");
    expect(r.Responses?.[2]?.Error?.Code).toBe("ConditionalCheckFailed");
    const reads = await ddb.send(
      new BatchExecuteStatementCommand({
        Statements: [{ Statement: `SELECT * FROM Music WHERE Artist = 'D' AND Song = '1'` }, { Statement: `SELECT * FROM Music WHERE Artist = 'D' AND Song = '2'` }],
      }),
    );
    expect(reads.Responses?.[0]?.Item?.Artist).toEqual({ S: "D" });
    expect(reads.Responses?.[1]?.Item).toBeUndefined();
    expect(reads.Responses?.[1]?.TableName).toBe("Music");
  });

  it("commits a transaction all-or-nothing and honours ClientRequestToken", async () => {
    const failed = await failure(
      ddb.send(
        new ExecuteTransactionCommand({
          TransactStatements: [
            { Statement: `INSERT INTO Music VALUE {'Artist': 'T', 'Song': '1'}` },
            { Statement: `UPDATE Music SET P = 1 WHERE Artist = 'T' AND Song = 'missing'` },
          ],
        }),
      ),
    );
    expect(failed.name).toBe("TransactionCanceledException");
    expect(failed.message).toBe("Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]");
    expect((await run(`SELECT * FROM Music WHERE Artist = 'T'`)).Items).toEqual([]);

    const ok = { TransactStatements: [{ Statement: `INSERT INTO Music VALUE {'Artist': 'T', 'Song': '1'}` }, { Statement: `INSERT INTO Music VALUE {'Artist': 'T', 'Song': '2'}` }], ClientRequestToken: "tok-1" };
    await ddb.send(new ExecuteTransactionCommand(ok));
    await ddb.send(new ExecuteTransactionCommand(ok)); // idempotent replay: no DuplicateItem
    expect((await run(`SELECT * FROM Music WHERE Artist = 'T'`)).Items).toHaveLength(2);
    const mismatch = await failure(ddb.send(new ExecuteTransactionCommand({ ...ok, TransactStatements: ok.TransactStatements.slice(0, 1) })));
    expect(mismatch.name).toBe("IdempotentParameterMismatchException");

    const reads = await ddb.send(new ExecuteTransactionCommand({ TransactStatements: [{ Statement: `SELECT * FROM Music WHERE Artist = 'T' AND Song = '2'` }] }));
    expect(reads.Responses?.[0]?.Item?.Song).toEqual({ S: "2" });
  });
});

describe("other clients", () => {
  it("aws dynamodb execute-statement", async () => {
    const r = await awsCli(n, ["dynamodb", "execute-statement", "--statement", `SELECT Song FROM Music WHERE Artist = ? AND Song = ?`, "--parameters", `[{"S":"A"},{"S":"s1"}]`]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).Items).toEqual([{ Song: { S: "s1" } }]);
    const bad = await awsCli(n, ["dynamodb", "execute-statement", "--statement", "SELECT FROM"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("ValidationException");
  });

  it("boto3 execute_statement", async () => {
    const r = await boto3(
      n,
      [
        "c = client('dynamodb')",
        "c.execute_statement(Statement=\"INSERT INTO Music VALUE {'Artist': 'P', 'Song': 'py', 'N': 1.5}\")",
        "out = c.execute_statement(Statement=\"SELECT * FROM Music WHERE Artist = ?\", Parameters=[{'S': 'P'}])",
        "print(json.dumps(out['Items']))",
        "try:",
        "    c.execute_statement(Statement=\"INSERT INTO Music VALUE {'Artist': 'P', 'Song': 'py'}\")",
        "except c.exceptions.DuplicateItemException as e:",
        "    print('dup')",
      ].join("\n"),
    );
    expect(r.stderr).toBe("");
    const [items, dup] = r.stdout.trim().split("\n");
    expect(JSON.parse(items!)).toEqual([{ Artist: { S: "P" }, Song: { S: "py" }, N: { N: "1.5" } }]);
    expect(dup).toBe("dup");
  });
});
