/** DynamoDB on-demand backups and point-in-time recovery through SDK v3, the CLI and boto3. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateBackupCommand,
  CreateTableCommand,
  DeleteBackupCommand,
  DeleteItemCommand,
  DescribeBackupCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListBackupsCommand,
  PutItemCommand,
  QueryCommand,
  RestoreTableFromBackupCommand,
  RestoreTableToPointInTimeCommand,
  ScanCommand,
  UpdateContinuousBackupsCommand,
} from "@aws-sdk/client-dynamodb";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let ddb: DynamoDBClient;

beforeAll(async () => {
  n = await startTestNimbus();
  ddb = new DynamoDBClient(sdkConfig(n));
});
afterAll(async () => {
  await n.stop();
});

async function table(name: string): Promise<void> {
  await ddb.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "N" },
        { AttributeName: "g", AttributeType: "S" },
      ],
      GlobalSecondaryIndexes: [{ IndexName: "ByG", KeySchema: [{ AttributeName: "g", KeyType: "HASH" }], Projection: { ProjectionType: "ALL" } }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
}
const put = (t: string, sk: number, g = "x") => ddb.send(new PutItemCommand({ TableName: t, Item: { pk: { S: "p" }, sk: { N: String(sk) }, g: { S: g } } }));
const sks = async (t: string) =>
  ((await ddb.send(new ScanCommand({ TableName: t }))).Items ?? []).map((i) => Number(i.sk!.N)).sort((a, b) => a - b);

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error("expected a failure");
}

describe("on-demand backups", () => {
  it("creates, describes, lists, restores and deletes a backup", async () => {
    await table("Orders");
    for (let i = 1; i <= 3; i++) await put("Orders", i);
    const created = await ddb.send(new CreateBackupCommand({ TableName: "Orders", BackupName: "nightly" }));
    const arn = created.BackupDetails!.BackupArn!;
    expect(arn).toMatch(/:table\/Orders\/backup\/\d{14}-[0-9a-f]{8}$/);
    expect(created.BackupDetails).toMatchObject({ BackupName: "nightly", BackupStatus: "AVAILABLE", BackupType: "USER" });
    await put("Orders", 4);
    await ddb.send(new DeleteItemCommand({ TableName: "Orders", Key: { pk: { S: "p" }, sk: { N: "1" } } }));

    const described = await ddb.send(new DescribeBackupCommand({ BackupArn: arn }));
    expect(described.BackupDescription?.SourceTableDetails).toMatchObject({ TableName: "Orders", ItemCount: 3 });
    expect(described.BackupDescription?.SourceTableFeatureDetails?.GlobalSecondaryIndexes?.[0]?.IndexName).toBe("ByG");
    const listed = await ddb.send(new ListBackupsCommand({ TableName: "Orders" }));
    expect(listed.BackupSummaries?.map((b) => b.BackupArn)).toEqual([arn]);

    const restored = await ddb.send(new RestoreTableFromBackupCommand({ BackupArn: arn, TargetTableName: "OrdersCopy" }));
    expect(restored.TableDescription?.RestoreSummary).toMatchObject({ SourceBackupArn: arn, RestoreInProgress: false });
    expect(await sks("OrdersCopy")).toEqual([1, 2, 3]);
    expect(await sks("Orders")).toEqual([2, 3, 4]);
    const viaIndex = await ddb.send(new QueryCommand({ TableName: "OrdersCopy", IndexName: "ByG", KeyConditionExpression: "g = :g", ExpressionAttributeValues: { ":g": { S: "x" } } }));
    expect(viaIndex.Count).toBe(3);
    const d = await ddb.send(new DescribeTableCommand({ TableName: "OrdersCopy" }));
    expect(d.Table?.ItemCount).toBe(3);

    expect((await failure(ddb.send(new RestoreTableFromBackupCommand({ BackupArn: arn, TargetTableName: "OrdersCopy" })))).name).toBe("TableAlreadyExistsException");
    const deleted = await ddb.send(new DeleteBackupCommand({ BackupArn: arn }));
    expect(deleted.BackupDescription?.BackupDetails?.BackupStatus).toBe("DELETED");
    expect((await failure(ddb.send(new DescribeBackupCommand({ BackupArn: arn })))).name).toBe("BackupNotFoundException");
    expect((await failure(ddb.send(new CreateBackupCommand({ TableName: "Nope", BackupName: "bk1" })))).name).toBe("TableNotFoundException");
  });
});

describe("point-in-time recovery", () => {
  it("restores to any second in the window", async () => {
    await table("Ledger");
    const before = await ddb.send(new DescribeContinuousBackupsCommand({ TableName: "Ledger" }));
    expect(before.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe("DISABLED");
    expect((await failure(ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "Ledger", TargetTableName: "L0", UseLatestRestorableTime: true })))).name).toBe(
      "PointInTimeRecoveryUnavailableException",
    );
    await put("Ledger", 1);
    const on = await ddb.send(new UpdateContinuousBackupsCommand({ TableName: "Ledger", PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
    expect(on.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe("ENABLED");

    n.clock.advance(60);
    await put("Ledger", 2);
    n.clock.advance(60);
    const t2 = new Date(n.clock.nowMs());
    n.clock.advance(60);
    await put("Ledger", 3);
    await ddb.send(new DeleteItemCommand({ TableName: "Ledger", Key: { pk: { S: "p" }, sk: { N: "1" } } }));
    n.clock.advance(600);

    const desc = await ddb.send(new DescribeContinuousBackupsCommand({ TableName: "Ledger" }));
    const pitr = desc.ContinuousBackupsDescription!.PointInTimeRecoveryDescription!;
    expect(pitr.LatestRestorableDateTime!.getTime()).toBe(Math.floor((n.clock.nowMs() - 300_000) / 1000) * 1000);
    expect(pitr.EarliestRestorableDateTime!.getTime()).toBeLessThanOrEqual(t2.getTime());

    await ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "Ledger", TargetTableName: "LedgerAtT2", RestoreDateTime: t2 }));
    expect(await sks("LedgerAtT2")).toEqual([1, 2]);
    await ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "Ledger", TargetTableName: "LedgerLatest", UseLatestRestorableTime: true }));
    expect(await sks("LedgerLatest")).toEqual([2, 3]);
    const tooLate = await failure(ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "Ledger", TargetTableName: "L9", RestoreDateTime: new Date(n.clock.nowMs()) })));
    expect(tooLate.name).toBe("InvalidRestoreTimeException");

    // 36 days on: history older than 35 days is folded into the base; the window moves with it.
    n.clock.advance(36 * 86_400);
    await ddb.send(new DeleteItemCommand({ TableName: "Ledger", Key: { pk: { S: "p" }, sk: { N: "2" } } }));
    n.clock.advance(600);
    const later = (await ddb.send(new DescribeContinuousBackupsCommand({ TableName: "Ledger" }))).ContinuousBackupsDescription!.PointInTimeRecoveryDescription!;
    expect(later.EarliestRestorableDateTime!.getTime()).toBeGreaterThan(t2.getTime());
    const early = await failure(ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "Ledger", TargetTableName: "L8", RestoreDateTime: t2 })));
    expect(early.name).toBe("InvalidRestoreTimeException");
    await ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "Ledger", TargetTableName: "LedgerOld", RestoreDateTime: later.EarliestRestorableDateTime! }));
    expect(await sks("LedgerOld")).toEqual([2, 3]);
    await ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: "Ledger", TargetTableName: "LedgerNow", UseLatestRestorableTime: true }));
    expect(await sks("LedgerNow")).toEqual([3]);
  });
});

describe("other clients", () => {
  it("aws dynamodb create-backup / list-backups and boto3 describe_continuous_backups", async () => {
    await table("CliTbl");
    const r = await awsCli(n, ["dynamodb", "create-backup", "--table-name", "CliTbl", "--backup-name", "cli-backup"]);
    expect(r.stderr).toBe("");
    const arn = JSON.parse(r.stdout).BackupDetails.BackupArn as string;
    const l = await awsCli(n, ["dynamodb", "list-backups", "--table-name", "CliTbl"]);
    expect(JSON.parse(l.stdout).BackupSummaries[0].BackupArn).toBe(arn);
    const py = await boto3(
      n,
      [
        "c = client('dynamodb')",
        "c.update_continuous_backups(TableName='CliTbl', PointInTimeRecoverySpecification={'PointInTimeRecoveryEnabled': True})",
        "print(c.describe_continuous_backups(TableName='CliTbl')['ContinuousBackupsDescription']['PointInTimeRecoveryDescription']['PointInTimeRecoveryStatus'])",
      ].join("\n"),
    );
    expect(py.stderr).toBe("");
    expect(py.stdout.trim()).toBe("ENABLED");
  });
});
