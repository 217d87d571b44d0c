/** CloudTrail through SDK v3, the AWS CLI and boto3: Event history of every call, redaction, trails. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LookupAttributeKey,
  AddTagsCommand,
  CloudTrailClient,
  CreateTrailCommand,
  DeleteTrailCommand,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  ListTagsCommand,
  ListTrailsCommand,
  LookupEventsCommand,
  PutEventSelectorsCommand,
  StartLoggingCommand,
  StopLoggingCommand,
} from "@aws-sdk/client-cloudtrail";
import { CreateBucketCommand, DeleteBucketCommand, GetObjectCommand, ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { gunzipSync } from "node:zlib";
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreateLoginProfileCommand, CreateUserCommand, IAMClient } from "@aws-sdk/client-iam";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let ct: CloudTrailClient;
let s3: S3Client;
let iam: IAMClient;

beforeAll(async () => {
  n = await startTestNimbus();
  ct = new CloudTrailClient(sdkConfig(n));
  s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
  iam = new IAMClient(sdkConfig(n));
});
afterAll(async () => {
  await n.stop();
});

const lookup = async (key: LookupAttributeKey, value: string) =>
  (await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: key, AttributeValue: value }] }))).Events ?? [];

describe("Event history", () => {
  it("shows who deleted a bucket, in AWS's record format", async () => {
    await iam.send(new CreateUserCommand({ UserName: "mallory" }));
    await iam.send(new AttachUserPolicyCommand({ UserName: "mallory", PolicyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "mallory" }))).AccessKey!;
    await s3.send(new CreateBucketCommand({ Bucket: "doomed-bucket" }));
    const asMallory = new S3Client({ ...sdkConfig(n), forcePathStyle: true, credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } });
    await asMallory.send(new DeleteBucketCommand({ Bucket: "doomed-bucket" }));

    const [event] = await lookup("EventName", "DeleteBucket");
    expect(event).toMatchObject({
      EventName: "DeleteBucket",
      EventSource: "s3.amazonaws.com",
      Username: "mallory",
      ReadOnly: "false",
      AccessKeyId: key.AccessKeyId,
      Resources: [{ ResourceType: "AWS::S3::Bucket", ResourceName: "doomed-bucket" }],
    });
    const record = JSON.parse(event!.CloudTrailEvent!);
    expect(record).toMatchObject({
      eventVersion: "1.09",
      userIdentity: { type: "IAMUser", arn: "arn:aws:iam::000000000000:user/mallory", accountId: "000000000000", accessKeyId: key.AccessKeyId, userName: "mallory" },
      eventSource: "s3.amazonaws.com",
      eventName: "DeleteBucket",
      awsRegion: "us-east-1",
      sourceIPAddress: "127.0.0.1",
      requestParameters: { bucketName: "doomed-bucket" },
      responseElements: null,
      readOnly: false,
      eventType: "AwsApiCall",
      managementEvent: true,
      recipientAccountId: "000000000000",
      eventCategory: "Management",
    });
    expect(record.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(record.userAgent).toContain("aws-sdk-js");
    expect(record.eventID).toMatch(/^[0-9a-f-]{36}$/);
    // By user name and by resource too.
    expect((await lookup("Username", "mallory")).map((e) => e.EventName)).toContain("DeleteBucket");
    expect((await lookup("ResourceName", "doomed-bucket")).map((e) => e.EventName).sort()).toEqual(["CreateBucket", "DeleteBucket"]);
  });

  it("records failures and denials with their error code, and never a secret", async () => {
    await iam.send(new CreateLoginProfileCommand({ UserName: "mallory", Password: "Sup3r-Secret-Passw0rd!" }));
    await s3.send(new DeleteBucketCommand({ Bucket: "never-existed" })).catch(() => undefined);
    const [failed] = await lookup("ResourceName", "never-existed");
    expect(JSON.parse(failed!.CloudTrailEvent!)).toMatchObject({ errorCode: "NoSuchBucket", eventName: "DeleteBucket" });
    const [profile] = await lookup("EventName", "CreateLoginProfile");
    expect(profile!.EventSource).toBe("iam.amazonaws.com");
    expect(profile!.CloudTrailEvent).not.toContain("Sup3r-Secret");
    const [keyEvent] = await lookup("EventName", "CreateAccessKey");
    expect(keyEvent!.CloudTrailEvent).not.toMatch(/secretAccessKey"\s*:\s*"[A-Za-z0-9/+]{40}/);
  });

  it("keeps data events out of Event history, filters by read-only, pages newest first", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "data-bucket" }));
    await s3.send(new PutObjectCommand({ Bucket: "data-bucket", Key: "k", Body: "x" }));
    expect(await lookup("EventName", "PutObject")).toEqual([]);
    const reads = await lookup("ReadOnly", "true");
    expect(reads.every((e) => e.ReadOnly === "true")).toBe(true);
    const page1 = await ct.send(new LookupEventsCommand({ MaxResults: 2 }));
    expect(page1.Events).toHaveLength(2);
    expect(page1.Events![0]!.EventTime!.getTime()).toBeGreaterThanOrEqual(page1.Events![1]!.EventTime!.getTime());
    const page2 = await ct.send(new LookupEventsCommand({ MaxResults: 2, NextToken: page1.NextToken }));
    expect(page2.Events![0]!.EventId).not.toBe(page1.Events![1]!.EventId);
  });

  it("refuses bad lookups with CloudTrail's errors", async () => {
    await expect(
      ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "a" }, { AttributeKey: "Username", AttributeValue: "b" }] })),
    ).rejects.toMatchObject({ name: "InvalidLookupAttributesException" });
    await expect(ct.send(new LookupEventsCommand({ StartTime: new Date(2030, 1, 1), EndTime: new Date(2029, 1, 1) }))).rejects.toMatchObject({
      name: "InvalidTimeRangeException",
    });
    await expect(ct.send(new LookupEventsCommand({ MaxResults: 51 }))).rejects.toMatchObject({ name: "InvalidMaxResultsException" });
  });
});

describe("trails", () => {
  const policy = (bucket: string) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:GetBucketAcl", Resource: `arn:aws:s3:::${bucket}` },
        {
          Effect: "Allow",
          Principal: { Service: "cloudtrail.amazonaws.com" },
          Action: "s3:PutObject",
          Resource: `arn:aws:s3:::${bucket}/AWSLogs/000000000000/*`,
          Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control" } },
        },
      ],
    });

  it("needs a bucket whose policy lets CloudTrail write", async () => {
    await expect(ct.send(new CreateTrailCommand({ Name: "main-trail", S3BucketName: "no-such-trail-bucket" }))).rejects.toMatchObject({ name: "S3BucketDoesNotExistException" });
    await s3.send(new CreateBucketCommand({ Bucket: "trail-logs" }));
    await expect(ct.send(new CreateTrailCommand({ Name: "main-trail", S3BucketName: "trail-logs" }))).rejects.toMatchObject({ name: "InsufficientS3BucketPolicyException" });
    await s3.send(new PutBucketPolicyCommand({ Bucket: "trail-logs", Policy: policy("trail-logs") }));
    const t = await ct.send(new CreateTrailCommand({ Name: "main-trail", S3BucketName: "trail-logs", IsMultiRegionTrail: true }));
    expect(t).toMatchObject({ Name: "main-trail", TrailARN: "arn:aws:cloudtrail:us-east-1:000000000000:trail/main-trail", S3BucketName: "trail-logs", IsMultiRegionTrail: true, IncludeGlobalServiceEvents: true });
    await expect(ct.send(new CreateTrailCommand({ Name: "main-trail", S3BucketName: "trail-logs" }))).rejects.toMatchObject({ name: "TrailAlreadyExistsException" });
    await expect(ct.send(new CreateTrailCommand({ Name: "-bad", S3BucketName: "trail-logs" }))).rejects.toMatchObject({ name: "InvalidTrailNameException" });
  });

  it("delivers gzipped log files to the bucket in AWS's key layout every five minutes", async () => {
    await ct.send(new StartLoggingCommand({ Name: "main-trail" }));
    await s3.send(new CreateBucketCommand({ Bucket: "audited-bucket" }));
    await iam.send(new CreateUserCommand({ UserName: "trail-user" }));
    n.clock.advance(301);
    let keys: string[] = [];
    for (let i = 0; i < 100 && keys.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 30));
      keys = ((await s3.send(new ListObjectsV2Command({ Bucket: "trail-logs", Prefix: "AWSLogs/" }))).Contents ?? []).map((o) => o.Key!);
    }
    expect(keys.length).toBeGreaterThan(0);
    expect(keys[0]).toMatch(/^AWSLogs\/000000000000\/CloudTrail\/us-east-1\/\d{4}\/\d\d\/\d\d\/000000000000_CloudTrail_us-east-1_\d{8}T\d{4}Z_[0-9a-f]{16}\.json\.gz$/);
    const records: Array<{ eventName: string }> = [];
    for (const key of keys) {
      const obj = await s3.send(new GetObjectCommand({ Bucket: "trail-logs", Key: key }));
      expect(obj.ContentEncoding).toBe("gzip");
      records.push(...(JSON.parse(gunzipSync(Buffer.from(await obj.Body!.transformToByteArray())).toString()) as { Records: Array<{ eventName: string }> }).Records);
    }
    const names = records.map((r) => r.eventName);
    expect(names).toContain("CreateBucket");
    expect(names).toContain("CreateUser");
    expect((await ct.send(new GetTrailStatusCommand({ Name: "main-trail" }))).LatestDeliveryTime).toBeInstanceOf(Date);
    await ct.send(new StopLoggingCommand({ Name: "main-trail" }));
  });

  it("starts and stops logging, keeps selectors and tags, deletes", async () => {
    expect((await ct.send(new GetTrailStatusCommand({ Name: "main-trail" }))).IsLogging).toBe(false);
    await ct.send(new StartLoggingCommand({ Name: "main-trail" }));
    const status = await ct.send(new GetTrailStatusCommand({ Name: "main-trail" }));
    expect(status.IsLogging).toBe(true);
    expect(status.StartLoggingTime).toBeInstanceOf(Date);
    await ct.send(new PutEventSelectorsCommand({ TrailName: "main-trail", EventSelectors: [{ ReadWriteType: "WriteOnly", IncludeManagementEvents: true, DataResources: [{ Type: "AWS::S3::Object", Values: ["arn:aws:s3:::data-bucket/"] }] }] }));
    expect((await ct.send(new GetEventSelectorsCommand({ TrailName: "main-trail" }))).EventSelectors![0]).toMatchObject({ ReadWriteType: "WriteOnly" });
    await ct.send(new AddTagsCommand({ ResourceId: "main-trail", TagsList: [{ Key: "team", Value: "sec" }] }));
    expect((await ct.send(new ListTagsCommand({ ResourceIdList: ["arn:aws:cloudtrail:us-east-1:000000000000:trail/main-trail"] }))).ResourceTagList![0]!.TagsList).toEqual([{ Key: "team", Value: "sec" }]);
    expect((await ct.send(new ListTrailsCommand({}))).Trails).toEqual([{ TrailARN: "arn:aws:cloudtrail:us-east-1:000000000000:trail/main-trail", Name: "main-trail", HomeRegion: "us-east-1" }]);
    await ct.send(new StopLoggingCommand({ Name: "main-trail" }));
    expect((await ct.send(new GetTrailStatusCommand({ Name: "main-trail" }))).IsLogging).toBe(false);
    await ct.send(new DeleteTrailCommand({ Name: "main-trail" }));
    expect((await ct.send(new DescribeTrailsCommand({}))).trailList).toEqual([]);
    await expect(ct.send(new GetTrailStatusCommand({ Name: "main-trail" }))).rejects.toMatchObject({ name: "TrailNotFoundException" });
  });
});

describe("other clients", () => {
  it("looks events up from the AWS CLI and boto3", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "cli-trail-bucket" }));
    const cli = await awsCli(n, ["cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=ResourceName,AttributeValue=cli-trail-bucket"]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).Events.map((e: { EventName: string }) => e.EventName)).toEqual(["CreateBucket"]);
    const py = await boto3(
      n,
      "out = client('cloudtrail').lookup_events(LookupAttributes=[{'AttributeKey': 'EventName', 'AttributeValue': 'CreateBucket'}], MaxResults=50)\nprint(json.dumps(sorted({json.loads(e['CloudTrailEvent'])['requestParameters']['bucketName'] for e in out['Events']})))",
    );
    expect(py.code, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toContain("cli-trail-bucket");
  });
});

describe("reset", () => {
  it("leaves no event recorded before POST /_nimbus/reset", async () => {
    const fresh = await startTestNimbus();
    try {
      const client = new CloudTrailClient(sdkConfig(fresh));
      await new S3Client({ ...sdkConfig(fresh), forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: "before-reset" }));
      const res = await fetch(`${fresh.endpoint}/_nimbus/reset`, { method: "POST" });
      expect(res.status).toBe(200);
      const events = await client.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: "before-reset" }] }));
      expect(events.Events).toEqual([]);
    } finally {
      await fresh.stop();
    }
  });
});
