/** CloudTrail delivery to CloudWatch Logs and SNS notifications, through SDK v3 and boto3. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudTrailClient, CreateTrailCommand, GetTrailCommand, GetTrailStatusCommand, StartLoggingCommand, UpdateTrailCommand } from "@aws-sdk/client-cloudtrail";
import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeLogStreamsCommand, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CreateRoleCommand, CreateUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateBucketCommand, HeadObjectCommand, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SetTopicAttributesCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Nimbus } from "../src/index.js";
import { boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let ct: CloudTrailClient;
let logs: CloudWatchLogsClient;
let iam: IAMClient;
let s3: S3Client;
let sns: SNSClient;
let sqs: SQSClient;

const ACCOUNT = "000000000000";
const GROUP_ARN = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:trail-events:*`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/trail-to-logs`;
const BUCKET = "trail-delivery-logs";
const STREAM = `${ACCOUNT}_CloudTrail_us-east-1`;
let queueUrl: string;
let topicArn: string;

const trust = (service: string) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });

beforeAll(async () => {
  n = await startTestNimbus();
  ct = new CloudTrailClient(sdkConfig(n));
  logs = new CloudWatchLogsClient(sdkConfig(n));
  iam = new IAMClient(sdkConfig(n));
  s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
  sns = new SNSClient(sdkConfig(n));
  sqs = new SQSClient(sdkConfig(n));

  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: BUCKET,
      Policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:GetBucketAcl", Resource: `arn:aws:s3:::${BUCKET}` },
          { Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:PutObject", Resource: `arn:aws:s3:::${BUCKET}/AWSLogs/${ACCOUNT}/*` },
        ],
      }),
    }),
  );
  await logs.send(new CreateLogGroupCommand({ logGroupName: "trail-events" }));
  await iam.send(new CreateRoleCommand({ RoleName: "trail-to-logs", AssumeRolePolicyDocument: trust("cloudtrail.amazonaws.com") }));
  await iam.send(new CreateRoleCommand({ RoleName: "lambda-only", AssumeRolePolicyDocument: trust("lambda.amazonaws.com") }));

  topicArn = (await sns.send(new CreateTopicCommand({ Name: "trail-files" }))).TopicArn!;
  // The topic policy AWS documents for CloudTrail notifications.
  await sns.send(
    new SetTopicAttributesCommand({
      TopicArn: topicArn,
      AttributeName: "Policy",
      AttributeValue: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "SNS:Publish", Resource: topicArn }],
      }),
    }),
  );
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "trail-files-q" }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: queueUrl,
      Attributes: {
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queueArn, Condition: { ArnEquals: { "aws:SourceArn": topicArn } } }],
        }),
      },
    }),
  );
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: queueArn, Attributes: { RawMessageDelivery: "true" } }));
});
afterAll(async () => {
  await n.stop();
});

describe("CloudWatch Logs destination checks", () => {
  it("refuses a missing role, a missing or foreign log group and a role CloudTrail cannot assume, creating nothing", async () => {
    const base = { Name: "logs-trail", S3BucketName: BUCKET };
    await expect(ct.send(new CreateTrailCommand({ ...base, CloudWatchLogsLogGroupArn: GROUP_ARN }))).rejects.toMatchObject({
      name: "InvalidCloudWatchLogsRoleArnException",
      message: "You must specify a role ARN as well as a log group.",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(ct.send(new CreateTrailCommand({ ...base, CloudWatchLogsRoleArn: ROLE_ARN }))).rejects.toMatchObject({ name: "InvalidCloudWatchLogsLogGroupArnException" });
    await expect(
      ct.send(new CreateTrailCommand({ ...base, CloudWatchLogsLogGroupArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:no-such-group:*`, CloudWatchLogsRoleArn: ROLE_ARN })),
    ).rejects.toMatchObject({ name: "InvalidCloudWatchLogsLogGroupArnException", message: "CloudTrail cannot validate the specified log group ARN." });
    await expect(ct.send(new CreateTrailCommand({ ...base, CloudWatchLogsLogGroupArn: "not-an-arn", CloudWatchLogsRoleArn: ROLE_ARN }))).rejects.toMatchObject({
      name: "InvalidCloudWatchLogsLogGroupArnException",
    });
    await expect(
      ct.send(new CreateTrailCommand({ ...base, CloudWatchLogsLogGroupArn: GROUP_ARN, CloudWatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/lambda-only` })),
    ).rejects.toMatchObject({ name: "InvalidCloudWatchLogsRoleArnException", message: "Access denied. Check the trust relationships for your role." });
    await expect(ct.send(new CreateTrailCommand({ ...base, CloudWatchLogsLogGroupArn: GROUP_ARN, CloudWatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/missing` }))).rejects.toMatchObject({
      name: "InvalidCloudWatchLogsRoleArnException",
    });
    await expect(ct.send(new GetTrailCommand({ Name: "logs-trail" }))).rejects.toMatchObject({ name: "TrailNotFoundException" });
  });
});

describe("delivery", () => {
  it("writes each event to <account>_CloudTrail_<region> and notifies the topic of each log file", async () => {
    const t = await ct.send(new CreateTrailCommand({ Name: "logs-trail", S3BucketName: BUCKET, CloudWatchLogsLogGroupArn: GROUP_ARN, CloudWatchLogsRoleArn: ROLE_ARN, SnsTopicName: "trail-files" }));
    expect(t).toMatchObject({ CloudWatchLogsLogGroupArn: GROUP_ARN, CloudWatchLogsRoleArn: ROLE_ARN, SnsTopicName: "trail-files", SnsTopicARN: topicArn });
    await ct.send(new StartLoggingCommand({ Name: "logs-trail" }));
    await iam.send(new CreateUserCommand({ UserName: "watched-user" }));

    let messages: Array<{ eventName: string; eventSource: string; userIdentity: { accountId: string } }> = [];
    for (let i = 0; i < 200 && !messages.some((m) => m.eventName === "CreateUser"); i++) {
      n.clock.advance(301);
      await new Promise((r) => setTimeout(r, 30));
      const streams = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: "trail-events" }))).logStreams ?? [];
      if (!streams.some((s) => s.logStreamName === STREAM)) continue;
      const got = await logs.send(new GetLogEventsCommand({ logGroupName: "trail-events", logStreamName: STREAM, startFromHead: true }));
      messages = (got.events ?? []).map((e) => JSON.parse(e.message!) as (typeof messages)[number]);
    }
    const created = messages.find((m) => m.eventName === "CreateUser");
    expect(created).toMatchObject({ eventSource: "iam.amazonaws.com", userIdentity: { accountId: ACCOUNT } });

    // The notification names the delivered log file, and the file is there.
    let notes: Array<{ s3Bucket: string; s3ObjectKey: string[] }> = [];
    for (let i = 0; i < 100 && notes.length === 0; i++) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      notes = (r.Messages ?? []).map((m) => JSON.parse(m.Body!) as (typeof notes)[number]);
      if (notes.length === 0) await new Promise((r) => setTimeout(r, 30));
    }
    expect(notes.length).toBeGreaterThan(0);
    expect(Object.keys(notes[0]!).sort()).toEqual(["s3Bucket", "s3ObjectKey"]);
    expect(notes[0]!.s3Bucket).toBe(BUCKET);
    expect(notes[0]!.s3ObjectKey).toHaveLength(1);
    expect(notes[0]!.s3ObjectKey[0]).toMatch(new RegExp(`^AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/\\d{4}/\\d\\d/\\d\\d/${ACCOUNT}_CloudTrail_us-east-1_\\d{8}T\\d{4}Z_[0-9a-f]{16}\\.json\\.gz$`));
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: notes[0]!.s3ObjectKey[0]! }))).ContentEncoding).toBe("gzip");

    const status = await ct.send(new GetTrailStatusCommand({ Name: "logs-trail" }));
    expect(status.LatestCloudWatchLogsDeliveryTime).toBeInstanceOf(Date);
    expect(status.LatestNotificationTime).toBeInstanceOf(Date);
    expect(status.LatestDeliveryTime).toBeInstanceOf(Date);
    expect(status.LatestCloudWatchLogsDeliveryError).toBeUndefined();
    expect(status.LatestNotificationError).toBeUndefined();
  });

  it("UpdateTrail checks a new role and turns destinations off with empty strings", async () => {
    await expect(ct.send(new UpdateTrailCommand({ Name: "logs-trail", CloudWatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/lambda-only` }))).rejects.toMatchObject({
      name: "InvalidCloudWatchLogsRoleArnException",
    });
    expect((await ct.send(new GetTrailCommand({ Name: "logs-trail" }))).Trail).toMatchObject({ CloudWatchLogsRoleArn: ROLE_ARN });
    const off = await ct.send(new UpdateTrailCommand({ Name: "logs-trail", CloudWatchLogsLogGroupArn: "", CloudWatchLogsRoleArn: "", SnsTopicName: "" }));
    expect(off.CloudWatchLogsLogGroupArn).toBeUndefined();
    expect(off.SnsTopicARN).toBeUndefined();
    const trail = (await ct.send(new GetTrailCommand({ Name: "logs-trail" }))).Trail!;
    expect(trail.CloudWatchLogsLogGroupArn).toBeUndefined();
    expect(trail.CloudWatchLogsRoleArn).toBeUndefined();
  });

  it("reports a notification the topic refuses as LatestNotificationError", async () => {
    const closed = (await sns.send(new CreateTopicCommand({ Name: "closed-topic" }))).TopicArn!;
    await sns.send(
      new SetTopicAttributesCommand({
        TopicArn: closed,
        AttributeName: "Policy",
        AttributeValue: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "SNS:Publish", Resource: closed }] }),
      }),
    );
    await ct.send(new UpdateTrailCommand({ Name: "logs-trail", SnsTopicName: closed }));
    await iam.send(new CreateUserCommand({ UserName: "second-user" }));
    let error: string | undefined;
    for (let i = 0; i < 200 && error === undefined; i++) {
      n.clock.advance(301);
      await new Promise((r) => setTimeout(r, 30));
      error = (await ct.send(new GetTrailStatusCommand({ Name: "logs-trail" }))).LatestNotificationError;
    }
    expect(error).toContain("AuthorizationError");
  });

  it("creates a trail with a CloudWatch Logs group and reads its status from boto3", async () => {
    const r = await boto3(
      n,
      [
        "ct = client('cloudtrail')",
        `ct.create_trail(Name='boto-trail', S3BucketName='${BUCKET}', CloudWatchLogsLogGroupArn='${GROUP_ARN}', CloudWatchLogsRoleArn='${ROLE_ARN}')`,
        "try:",
        `    ct.create_trail(Name='boto-bad', S3BucketName='${BUCKET}', CloudWatchLogsLogGroupArn='${GROUP_ARN}', CloudWatchLogsRoleArn='arn:aws:iam::${ACCOUNT}:role/lambda-only')`,
        "    code = None",
        "except botocore.exceptions.ClientError as e:",
        "    code = e.response['Error']['Code']",
        "t = ct.get_trail(Name='boto-trail')['Trail']",
        "print(json.dumps({'code': code, 'group': t.get('CloudWatchLogsLogGroupArn'), 'logging': ct.get_trail_status(Name='boto-trail')['IsLogging']}))",
      ].join("\n"),
    );
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ code: "InvalidCloudWatchLogsRoleArnException", group: GROUP_ARN, logging: false });
  });
});
