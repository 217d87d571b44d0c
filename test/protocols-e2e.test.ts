/**
 * One real operation on every wire protocol, through the official clients: rest-xml (S3),
 * ec2 (EC2), query and awsJson 1.0 and Smithy RPC v2 CBOR (CloudWatch), awsJson 1.1 (Logs),
 * rest-json (Lambda).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Client, CreateBucketCommand, ListBucketsCommand, HeadBucketCommand, DeleteBucketCommand, GetBucketLocationCommand } from "@aws-sdk/client-s3";
import { EC2Client, DescribeRegionsCommand, DescribeAvailabilityZonesCommand } from "@aws-sdk/client-ec2";
import { CloudWatchClient, PutMetricDataCommand, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { LambdaClient, GetAccountSettingsCommand, ListFunctionsCommand, ListCodeSigningConfigsCommand } from "@aws-sdk/client-lambda";
import { SmithyRpcV2CborProtocol } from "@smithy/core/cbor";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
beforeAll(async () => {
  n = await startTestNimbus();
});
afterAll(async () => {
  await n.stop();
});

type AwsError = { name: string; $metadata: { httpStatusCode: number } };
const fail = (p: Promise<unknown>) => p.then(() => undefined as unknown as AwsError, (e: unknown) => e as AwsError);

describe("rest-xml: S3 buckets", () => {
  it("creates, heads, lists, locates and deletes a bucket (SDK v3)", async () => {
    const s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "first-bucket" }));
    const head = await s3.send(new HeadBucketCommand({ Bucket: "first-bucket" }));
    expect(head.BucketRegion).toBe("us-east-1");
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toContain("first-bucket");
    expect(list.Buckets?.[0]?.CreationDate).toBeInstanceOf(Date);
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: "first-bucket" }));
    expect(loc.LocationConstraint).toBeUndefined();
    const again = await fail(s3.send(new CreateBucketCommand({ Bucket: "first-bucket" })));
    expect(again.name).toBe("BucketAlreadyOwnedByYou");
    expect(again.$metadata.httpStatusCode).toBe(409);
    await s3.send(new DeleteBucketCommand({ Bucket: "first-bucket" }));
    const gone = await fail(s3.send(new HeadBucketCommand({ Bucket: "first-bucket" })));
    expect(gone.$metadata.httpStatusCode).toBe(404);
    const bad = await fail(s3.send(new CreateBucketCommand({ Bucket: "Bad_Name" })));
    expect(bad.name).toBe("InvalidBucketName");
  });

  it("accepts a LocationConstraint matching the signing region", async () => {
    const s3 = new S3Client({ ...sdkConfig(n), region: "eu-west-2", forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "london-bucket", CreateBucketConfiguration: { LocationConstraint: "eu-west-2" } }));
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: "london-bucket" }));
    expect(loc.LocationConstraint).toBe("eu-west-2");
    // boto3 sends no LocationConstraint unless told (SDK v3 adds the client's region itself).
    const py = await boto3(
      n,
      [
        "try:",
        "    client('s3', region_name='eu-west-2').create_bucket(Bucket='no-constraint-bucket')",
        "except botocore.exceptions.ClientError as e:",
        "    print(json.dumps(e.response['Error']['Code']))",
      ].join("\n"),
    );
    expect(py.stdout.trim()).toBe('"IllegalLocationConstraintException"');
  });

  it("works with the AWS CLI and boto3, and rejects a wrong secret", async () => {
    const mb = await awsCli(n, ["s3api", "create-bucket", "--bucket", "cli-bucket"]);
    expect(mb.code, mb.stderr).toBe(0);
    const ls = await awsCli(n, ["s3api", "list-buckets"]);
    expect((JSON.parse(ls.stdout) as { Buckets: { Name: string }[] }).Buckets.map((b) => b.Name)).toContain("cli-bucket");
    const bad = await awsCli(n, ["s3api", "list-buckets"], { secret: "wrong" });
    expect(bad.stderr).toContain("SignatureDoesNotMatch");
    const py = await boto3(
      n,
      [
        "s3 = client('s3')",
        "s3.create_bucket(Bucket='boto-bucket')",
        "print(json.dumps(sorted(b['Name'] for b in s3.list_buckets()['Buckets'])))",
        "try:",
        "    s3.create_bucket(Bucket='boto-bucket')",
        "except botocore.exceptions.ClientError as e:",
        "    print(json.dumps(e.response['Error']['Code']))",
      ].join("\n"),
    );
    expect(py.stderr).toBe("");
    const [names, code] = py.stdout.trim().split("\n").map((l) => JSON.parse(l) as unknown);
    expect(names).toContain("boto-bucket");
    expect(code).toBe("BucketAlreadyOwnedByYou");
  });

  it("answers an unsigned request with AccessDenied", async () => {
    const res = await fetch(`${n.endpoint}/`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("<Code>AccessDenied</Code>");
  });
});

describe("ec2: regions and zones", () => {
  it("describes regions and zones (SDK v3, CLI)", async () => {
    const ec2 = new EC2Client(sdkConfig(n));
    const regions = await ec2.send(new DescribeRegionsCommand({}));
    expect(regions.Regions?.map((r) => r.RegionName)).toContain("eu-west-1");
    const zones = await ec2.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: "zone-name", Values: ["us-east-1a", "us-east-1b"] }] }));
    expect(zones.AvailabilityZones?.map((z) => z.ZoneName)).toEqual(["us-east-1a", "us-east-1b"]);
    const bad = await fail(ec2.send(new DescribeRegionsCommand({ RegionNames: ["mars-north-1"] })));
    expect(bad.name).toBe("InvalidParameterValue");
    const dry = await fail(ec2.send(new DescribeRegionsCommand({ DryRun: true })));
    expect(dry.name).toBe("DryRunOperation");
    expect(dry.$metadata.httpStatusCode).toBe(412);
    const cli = await awsCli(n, ["ec2", "describe-availability-zones", "--region", "ap-northeast-1"]);
    expect(cli.code, cli.stderr).toBe(0);
    expect((JSON.parse(cli.stdout) as { AvailabilityZones: { ZoneName: string }[] }).AvailabilityZones.map((z) => z.ZoneName)).toEqual([
      "ap-northeast-1a",
      "ap-northeast-1c",
      "ap-northeast-1d",
    ]);
    const badKey = await awsCli(n, ["ec2", "describe-regions"], { secret: "wrong" });
    expect(badKey.stderr).toContain("SignatureDoesNotMatch");
  });
});

describe("CloudWatch metrics over query, awsJson 1.0 and RPC v2 CBOR", () => {
  it("puts and lists metrics with SDK v3 (JSON)", async () => {
    const cw = new CloudWatchClient(sdkConfig(n));
    await cw.send(
      new PutMetricDataCommand({
        Namespace: "App/Json",
        MetricData: [{ MetricName: "Latency", Value: 12.5, Unit: "Milliseconds", Dimensions: [{ Name: "Host", Value: "a" }] }],
      }),
    );
    const out = await cw.send(new ListMetricsCommand({ Namespace: "App/Json" }));
    expect(out.Metrics).toEqual([{ Namespace: "App/Json", MetricName: "Latency", Dimensions: [{ Name: "Host", Value: "a" }] }]);
    const bad = await fail(cw.send(new PutMetricDataCommand({ Namespace: "AWS/EC2", MetricData: [{ MetricName: "x", Value: 1 }] })));
    expect(bad.name).toBe("InvalidParameterValueException");
  });

  it("puts and lists metrics with SDK v3 over Smithy RPC v2 CBOR", async () => {
    const cw = new CloudWatchClient({ ...sdkConfig(n), protocol: SmithyRpcV2CborProtocol } as NonNullable<ConstructorParameters<typeof CloudWatchClient>[0]>);
    await cw.send(new PutMetricDataCommand({ Namespace: "App/Cbor", MetricData: [{ MetricName: "Hits", Value: 3, Timestamp: new Date() }] }));
    const out = await cw.send(new ListMetricsCommand({ Namespace: "App/Cbor" }));
    expect(out.Metrics?.map((m) => m.MetricName)).toEqual(["Hits"]);
  });

  it("puts and lists metrics with the AWS CLI (query protocol) and boto3", async () => {
    const put = await awsCli(n, ["cloudwatch", "put-metric-data", "--namespace", "App/Cli", "--metric-name", "Errors", "--value", "1"]);
    expect(put.code, put.stderr).toBe(0);
    const list = await awsCli(n, ["cloudwatch", "list-metrics", "--namespace", "App/Cli"]);
    expect((JSON.parse(list.stdout) as { Metrics: { MetricName: string }[] }).Metrics.map((m) => m.MetricName)).toEqual(["Errors"]);
    const bad = await awsCli(n, ["cloudwatch", "put-metric-data", "--namespace", "AWS/X", "--metric-name", "E", "--value", "1"]);
    expect(bad.stderr).toContain("InvalidParameterValue");
    const py = await boto3(n, "print(json.dumps([m['MetricName'] for m in client('cloudwatch').list_metrics(Namespace='App/Cli')['Metrics']]))");
    expect(py.stderr).toBe("");
    expect(JSON.parse(py.stdout)).toEqual(["Errors"]);
  });
});

describe("awsJson 1.1: CloudWatch Logs groups", () => {
  it("creates, describes and deletes log groups (CLI and boto3)", async () => {
    const c = await awsCli(n, ["logs", "create-log-group", "--log-group-name", "/app/web"]);
    expect(c.code, c.stderr).toBe(0);
    const dup = await awsCli(n, ["logs", "create-log-group", "--log-group-name", "/app/web"]);
    expect(dup.stderr).toContain("ResourceAlreadyExistsException");
    const py = await boto3(
      n,
      "print(json.dumps([g['logGroupName'] for g in client('logs').describe_log_groups(logGroupNamePrefix='/app')['logGroups']]))",
    );
    expect(py.stderr).toBe("");
    expect(JSON.parse(py.stdout)).toEqual(["/app/web"]);
    const d = await awsCli(n, ["logs", "delete-log-group", "--log-group-name", "/app/web"]);
    expect(d.code, d.stderr).toBe(0);
    const d2 = await awsCli(n, ["logs", "delete-log-group", "--log-group-name", "/app/web"]);
    expect(d2.stderr).toContain("ResourceNotFoundException");
  });
});

describe("rest-json: Lambda", () => {
  it("answers account settings and lists functions; unimplemented operations say so", async () => {
    const lambda = new LambdaClient(sdkConfig(n));
    const settings = await lambda.send(new GetAccountSettingsCommand({}));
    expect(settings.AccountLimit?.ConcurrentExecutions).toBe(1000);
    expect(settings.AccountUsage?.FunctionCount).toBe(0);
    const fns = await lambda.send(new ListFunctionsCommand({}));
    expect(fns.Functions).toEqual([]);
    const create = await fail(lambda.send(new ListCodeSigningConfigsCommand({})));
    expect(create.$metadata.httpStatusCode).toBe(501);
    expect(create.name).toBe("NotImplemented");
    const bad = new LambdaClient(sdkConfig(n, { secretAccessKey: "wrong" }));
    const err = await fail(bad.send(new ListFunctionsCommand({})));
    expect(err.name).toBe("SignatureDoesNotMatch");
  });
});
