/** CloudWatch Logs export tasks to S3 through SDK v3, the AWS CLI and boto3. */
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CancelExportTaskCommand,
  CloudWatchLogsClient,
  CreateExportTaskCommand,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeExportTasksCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import type { Nimbus } from "../src/index.js";
import { exportTasksSettled } from "../src/services/logs/export-tasks.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let logs: CloudWatchLogsClient;
let s3: S3Client;
let t0: number;

const policy = (bucket: string, service = "logs.amazonaws.com") =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { Service: service }, Action: "s3:GetBucketAcl", Resource: `arn:aws:s3:::${bucket}` },
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "s3:PutObject",
        Resource: `arn:aws:s3:::${bucket}/*`,
        Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": "000000000000" } },
      },
    ],
  });

beforeAll(async () => {
  n = await startTestNimbus();
  logs = new CloudWatchLogsClient(sdkConfig(n));
  s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: "log-archive" }));
  await s3.send(new PutBucketPolicyCommand({ Bucket: "log-archive", Policy: policy("log-archive") }));
  await s3.send(new CreateBucketCommand({ Bucket: "no-policy" }));
  await s3.send(new CreateBucketCommand({ Bucket: "regional-policy" }));
  await s3.send(new PutBucketPolicyCommand({ Bucket: "regional-policy", Policy: policy("regional-policy", "logs.us-east-1.amazonaws.com") }));
  await logs.send(new CreateLogGroupCommand({ logGroupName: "/app/exp" }));
  for (const s of ["web-1", "web-2", "worker"]) await logs.send(new CreateLogStreamCommand({ logGroupName: "/app/exp", logStreamName: s }));
  t0 = n.clock.nowMs() - 60_000;
  for (const s of ["web-1", "web-2", "worker"]) {
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: "/app/exp",
        logStreamName: s,
        logEvents: [0, 1, 2].map((i) => ({ timestamp: t0 + i * 1000, message: `${s} line ${i}` })),
      }),
    );
  }
});
afterAll(async () => {
  await n.stop();
});

const status = async (taskId: string) => (await logs.send(new DescribeExportTasksCommand({ taskId }))).exportTasks![0]!;
const text = async (key: string, gz = true) => {
  const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: "log-archive", Key: key }))).Body!.transformToByteArray());
  return (gz ? gunzipSync(body) : body).toString("utf8");
};

describe("export tasks", () => {
  it("exports the chosen streams and time range in AWS's key layout, PENDING then COMPLETED", async () => {
    const { taskId } = await logs.send(
      new CreateExportTaskCommand({ taskName: "web", logGroupName: "/app/exp", logStreamNamePrefix: "web-", from: t0 + 1000, to: t0 + 2000, destination: "log-archive", destinationPrefix: "exports" }),
    );
    expect(taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect(["PENDING", "RUNNING", "COMPLETED"]).toContain((await status(taskId!)).status!.code);
    await exportTasksSettled();
    const done = await status(taskId!);
    expect(done).toMatchObject({ taskName: "web", logGroupName: "/app/exp", from: t0 + 1000, to: t0 + 2000, destination: "log-archive", destinationPrefix: "exports", status: { code: "COMPLETED" } });
    expect(done.executionInfo!.completionTime).toBeGreaterThanOrEqual(done.executionInfo!.creationTime!);
    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: "log-archive", Prefix: "exports/" }))).Contents!.map((o) => o.Key).sort();
    expect(keys).toEqual(["exports/aws-logs-write-test", `exports/${taskId}/web-1/000000.gz`, `exports/${taskId}/web-2/000000.gz`].sort());
    expect(await text("exports/aws-logs-write-test", false)).toBe("Permission Check Successful");
    expect(await text(`exports/${taskId}/web-2/000000.gz`)).toBe(`${new Date(t0 + 1000).toISOString()} web-2 line 1\n${new Date(t0 + 2000).toISOString()} web-2 line 2\n`);
  });

  it("refuses a bucket whose policy does not let CloudWatch Logs write, a missing group and a bad range", async () => {
    await expect(logs.send(new CreateExportTaskCommand({ logGroupName: "/app/exp", from: t0, to: t0 + 5000, destination: "no-policy" }))).rejects.toMatchObject({
      name: "InvalidParameterException",
      message: expect.stringContaining("GetBucketAcl call on the given bucket failed"),
    });
    await expect(logs.send(new CreateExportTaskCommand({ logGroupName: "/nope", from: t0, to: t0 + 5000, destination: "log-archive" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await expect(logs.send(new CreateExportTaskCommand({ logGroupName: "/app/exp", from: t0 + 5000, to: t0, destination: "log-archive" }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    expect((await logs.send(new DescribeExportTasksCommand({}))).exportTasks).toHaveLength(1);
    // A policy naming the regional service principal (as AWS's older documentation does) works too.
    const { taskId } = await logs.send(new CreateExportTaskCommand({ logGroupName: "/app/exp", from: t0, to: t0, destination: "regional-policy" }));
    await exportTasksSettled();
    expect((await status(taskId!)).status!.code).toBe("COMPLETED");
    await s3.send(new GetObjectCommand({ Bucket: "regional-policy", Key: `exportedlogs/${taskId}/web-1/000000.gz` }));
  });

  it("allows one active task per account, cancels, and says when a task has finished", async () => {
    const { taskId } = await logs.send(new CreateExportTaskCommand({ logGroupName: "/app/exp", from: t0, to: t0 + 5000, destination: "log-archive" }));
    await expect(logs.send(new CreateExportTaskCommand({ logGroupName: "/app/exp", from: t0, to: t0 + 5000, destination: "log-archive" }))).rejects.toMatchObject({
      name: "LimitExceededException",
    });
    await logs.send(new CancelExportTaskCommand({ taskId }));
    await exportTasksSettled();
    expect((await status(taskId!)).status!.code).toBe("CANCELLED");
    await expect(logs.send(new CancelExportTaskCommand({ taskId }))).rejects.toMatchObject({ name: "InvalidOperationException" });
    await expect(logs.send(new CancelExportTaskCommand({ taskId: "00000000-0000-0000-0000-000000000000" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    expect((await logs.send(new DescribeExportTasksCommand({ statusCode: "CANCELLED" }))).exportTasks!.map((t) => t.taskId)).toEqual([taskId]);
    // With the default prefix, through the CLI; then boto3 lists it.
    const cli = await awsCli(n, ["logs", "create-export-task", "--log-group-name", "/app/exp", "--from", String(t0), "--to", String(t0 + 5000), "--destination", "log-archive"]);
    expect(cli.code, cli.stderr).toBe(0);
    const cliTask = (JSON.parse(cli.stdout) as { taskId: string }).taskId;
    await exportTasksSettled();
    expect(await text(`exportedlogs/${cliTask}/worker/000000.gz`)).toContain("worker line 0\n");
    const py = await boto3(n, `r = client('logs').describe_export_tasks(taskId='${cliTask}')\nprint(json.dumps([t['status']['code'] for t in r['exportTasks']]))`);
    expect(py.code, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toEqual(["COMPLETED"]);
  });
});
