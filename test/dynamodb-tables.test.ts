/** DynamoDB tables: create/describe/update/delete/list, validation messages, tags, TTL, limits — SDK v3, the AWS CLI and boto3 (client, resource, batch_writer). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeEndpointsCommand,
  DescribeLimitsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  PutItemCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
} from "@aws-sdk/client-dynamodb";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let ddb: DynamoDBClient;

async function fails(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error("expected failure");
}

const simple = (name: string, extra: Partial<CreateTableCommandInput> = {}): CreateTableCommandInput => ({
  TableName: name,
  AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
  KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
  BillingMode: "PAY_PER_REQUEST",
  ...extra,
});

beforeAll(async () => {
  n = await startTestNimbus();
  ddb = new DynamoDBClient(sdkConfig(n));
});
afterAll(async () => {
  await n?.stop();
});

describe("CreateTable / DescribeTable / DeleteTable", () => {
  it("creates a table that waiters see ACTIVE, with counts", async () => {
    const created = await ddb.send(new CreateTableCommand(simple("t-basic", { Tags: [{ Key: "team", Value: "a" }], StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" } })));
    expect(created.TableDescription!.TableStatus).toBe("CREATING");
    expect(created.TableDescription!.TableArn).toBe(`arn:aws:dynamodb:${n.region}:000000000000:table/t-basic`.replace("000000000000", created.TableDescription!.TableArn!.split(":")[4]!));
    expect(created.TableDescription!.LatestStreamArn).toMatch(/table\/t-basic\/stream\//);
    await waitUntilTableExists({ client: ddb, maxWaitTime: 60, minDelay: 1 }, { TableName: "t-basic" });
    await ddb.send(new PutItemCommand({ TableName: "t-basic", Item: { id: { S: "a" }, v: { S: "hello" } } }));
    const d = await ddb.send(new DescribeTableCommand({ TableName: "t-basic" }));
    expect(d.Table).toMatchObject({ TableStatus: "ACTIVE", ItemCount: 1, TableSizeBytes: 9, BillingModeSummary: { BillingMode: "PAY_PER_REQUEST" }, DeletionProtectionEnabled: false });
    const dup = await fails(ddb.send(new CreateTableCommand(simple("t-basic"))));
    expect([dup.name, dup.message]).toEqual(["ResourceInUseException", "Table already exists: t-basic"]);
  });

  it("validates definitions with DynamoDB's messages", async () => {
    const cases: [Partial<CreateTableCommandInput>, string][] = [
      [{ TableName: "ab" }, "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"],
      [{ KeySchema: [{ AttributeName: "x", KeyType: "HASH" }] }, "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [x], AttributeDefinitions: [id]"],
      [{ AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }, { AttributeName: "y", AttributeType: "S" }] }, "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"],
      [{ BillingMode: "PROVISIONED" }, "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"],
      [{ ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } }, "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"],
      [{ KeySchema: [{ AttributeName: "id", KeyType: "RANGE" }] }, "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"],
      [
        { LocalSecondaryIndexes: [{ IndexName: "lsi", KeySchema: [{ AttributeName: "id", KeyType: "HASH" }, { AttributeName: "id", KeyType: "RANGE" }], Projection: { ProjectionType: "ALL" } }] },
        "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
      ],
    ];
    for (const [patch, message] of cases) {
      const e = await fails(ddb.send(new CreateTableCommand(simple("t-bad", patch))));
      expect([e.name, e.message, e.$metadata.httpStatusCode]).toEqual(["ValidationException", message, 400]);
    }
    const missing = await fails(ddb.send(new DescribeTableCommand({ TableName: "t-missing" })));
    expect([missing.name, missing.message]).toEqual(["ResourceNotFoundException", "Requested resource not found: Table: t-missing not found"]);
  });

  it("protects against deletion, deletes, and lists with paging", async () => {
    await ddb.send(new CreateTableCommand(simple("t-protected", { DeletionProtectionEnabled: true })));
    const e = await fails(ddb.send(new DeleteTableCommand({ TableName: "t-protected" })));
    expect(e.name).toBe("ValidationException");
    await ddb.send(new UpdateTableCommand({ TableName: "t-protected", DeletionProtectionEnabled: false }));
    for (const name of ["t-list-1", "t-list-2", "t-list-3"]) await ddb.send(new CreateTableCommand(simple(name)));
    const page1 = await ddb.send(new ListTablesCommand({ Limit: 2, ExclusiveStartTableName: "t-list" }));
    expect(page1).toMatchObject({ TableNames: ["t-list-1", "t-list-2"], LastEvaluatedTableName: "t-list-2" });
    const page2 = await ddb.send(new ListTablesCommand({ ExclusiveStartTableName: "t-list-2" }));
    expect(page2.TableNames).toEqual(["t-list-3", "t-protected"]);
    expect(page2.LastEvaluatedTableName).toBeUndefined();
    const deleted = await ddb.send(new DeleteTableCommand({ TableName: "t-protected" }));
    expect(deleted.TableDescription!.TableStatus).toBe("DELETING");
    expect((await fails(ddb.send(new DeleteTableCommand({ TableName: "t-protected" })))).name).toBe("ResourceNotFoundException");
  });

  it("updates throughput and billing mode", async () => {
    await ddb.send(new CreateTableCommand(simple("t-prov", { BillingMode: "PROVISIONED", ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } })));
    const up = await ddb.send(new UpdateTableCommand({ TableName: "t-prov", ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 2 } }));
    expect(up.TableDescription!.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 10, WriteCapacityUnits: 2, NumberOfDecreasesToday: 1 });
    const same = await fails(ddb.send(new UpdateTableCommand({ TableName: "t-prov", ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 2 } })));
    expect(same.message).toMatch(/^The provisioned throughput for the table will not change/);
    const od = await ddb.send(new UpdateTableCommand({ TableName: "t-prov", BillingMode: "PAY_PER_REQUEST" }));
    expect(od.TableDescription!.BillingModeSummary!.BillingMode).toBe("PAY_PER_REQUEST");
  });
});

describe("tags, TTL, limits", () => {
  it("tags and untags by ARN", async () => {
    const arn = (await ddb.send(new DescribeTableCommand({ TableName: "t-basic" }))).Table!.TableArn!;
    await ddb.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: "env", Value: "dev" }, { Key: "team", Value: "b" }] }));
    await ddb.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ["env"] }));
    expect((await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: arn }))).Tags).toEqual([{ Key: "team", Value: "b" }]);
  });

  it("records the TTL setting", async () => {
    expect((await ddb.send(new DescribeTimeToLiveCommand({ TableName: "t-basic" }))).TimeToLiveDescription).toEqual({ TimeToLiveStatus: "DISABLED" });
    await ddb.send(new UpdateTimeToLiveCommand({ TableName: "t-basic", TimeToLiveSpecification: { AttributeName: "expires", Enabled: true } }));
    expect((await ddb.send(new DescribeTimeToLiveCommand({ TableName: "t-basic" }))).TimeToLiveDescription).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "expires" });
    expect((await fails(ddb.send(new UpdateTimeToLiveCommand({ TableName: "t-basic", TimeToLiveSpecification: { AttributeName: "expires", Enabled: true } })))).message).toBe("TimeToLive is already enabled");
  });

  it("answers DescribeLimits and DescribeEndpoints", async () => {
    expect(await ddb.send(new DescribeLimitsCommand({}))).toMatchObject({ AccountMaxReadCapacityUnits: 80000, TableMaxWriteCapacityUnits: 40000 });
    expect((await ddb.send(new DescribeEndpointsCommand({}))).Endpoints![0]!.CachePeriodInMinutes).toBe(1440);
  });
});

describe("AWS CLI", () => {
  it("create-table, put-item, query, errors", async () => {
    const create = await awsCli(n, [
      "dynamodb", "create-table", "--table-name", "cli-table",
      "--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=N",
      "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE",
      "--billing-mode", "PAY_PER_REQUEST",
    ]);
    expect(create.code, create.stderr).toBe(0);
    const items = ["2", "10", "1"].map((sk) => ({ PutRequest: { Item: { pk: { S: "p" }, sk: { N: sk }, b: { B: "AQID" } } } }));
    const put = await awsCli(n, ["dynamodb", "batch-write-item", "--request-items", JSON.stringify({ "cli-table": items })]);
    expect(put.code, put.stderr).toBe(0);
    expect(JSON.parse(put.stdout).UnprocessedItems).toEqual({});
    const q = await awsCli(n, ["dynamodb", "query", "--table-name", "cli-table", "--key-condition-expression", "pk = :p", "--expression-attribute-values", JSON.stringify({ ":p": { S: "p" } })]);
    expect(q.code, q.stderr).toBe(0);
    const out = JSON.parse(q.stdout) as { Items: { sk: { N: string }; b: { B: string } }[]; Count: number };
    expect(out.Items.map((i) => i.sk.N)).toEqual(["1", "2", "10"]);
    // CLI v2 reads blob arguments as base64; v1 sends the text itself as the bytes.
    expect(["AQID", "QVFJRA=="]).toContain(out.Items[0]!.b.B);
    const bad = await awsCli(n, ["dynamodb", "put-item", "--table-name", "cli-table", "--item", JSON.stringify({ pk: { S: "p" }, sk: { N: "1" } }), "--condition-expression", "attribute_not_exists(pk)"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("ConditionalCheckFailedException");
  });
});

describe("boto3", () => {
  it("resource API with batch_writer, query with Key conditions, and client errors", async () => {
    const r = await boto3(
      n,
      `
from boto3.dynamodb.conditions import Key, Attr
from decimal import Decimal
ddb = boto3.resource('dynamodb', endpoint_url=endpoint, region_name=region, config=cfg)
t = ddb.create_table(TableName='boto-table', KeySchema=[{'AttributeName':'pk','KeyType':'HASH'},{'AttributeName':'sk','KeyType':'RANGE'}],
    AttributeDefinitions=[{'AttributeName':'pk','AttributeType':'S'},{'AttributeName':'sk','AttributeType':'N'}], BillingMode='PAY_PER_REQUEST')
t.wait_until_exists()
with t.batch_writer() as bw:
    for i in range(60):
        bw.put_item(Item={'pk': 'p%d' % (i % 2), 'sk': i, 'price': Decimal('1.10') * i, 'tags': {'a', 'b'}})
res = t.query(KeyConditionExpression=Key('pk').eq('p0') & Key('sk').between(10, 20), FilterExpression=Attr('price').gt(Decimal('12')), ScanIndexForward=False)
out = {'skus': [int(i['sk']) for i in res['Items']], 'count': res['Count'], 'scanned': res['ScannedCount']}
t.update_item(Key={'pk': 'p0', 'sk': 0}, UpdateExpression='ADD hits :one', ExpressionAttributeValues={':one': 1})
out['hits'] = int(t.get_item(Key={'pk': 'p0', 'sk': 0}, ConsistentRead=True)['Item']['hits'])
out['total'] = t.scan(Select='COUNT')['Count']
c = client('dynamodb')
try:
    c.get_item(TableName='boto-table', Key={'pk': {'N': '1'}, 'sk': {'N': '1'}})
except botocore.exceptions.ClientError as e:
    out['err'] = [e.response['Error']['Code'], e.response['Error']['Message'], e.response['ResponseMetadata']['HTTPStatusCode']]
try:
    t.put_item(Item={'pk': 'p0', 'sk': 0}, ConditionExpression='attribute_not_exists(pk)')
except c.exceptions.ConditionalCheckFailedException as e:
    out['ccf'] = e.response['Error']['Message']
print(json.dumps(out))
`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      skus: [20, 18, 16, 14, 12],
      count: 5,
      scanned: 6,
      hits: 1,
      total: 60,
      err: ["ValidationException", "The provided key element does not match the schema", 400],
      ccf: "The conditional request failed",
    });
  });
});
