/** S3 Object Lock on objects: retention, legal holds, default retention, enforcement on deletes. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  PutBucketVersioningCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  ListObjectVersionsCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import type { Nimbus } from "../src/index.js";
import { lifecycleSettled } from "../src/services/s3/lifecycle-runner.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";
import { failure, s3Client } from "./s3-objects-helpers.js";

const DAY = 86_400_000;
let n: Nimbus;
let s3: S3Client;

beforeAll(async () => {
  n = await startTestNimbus();
  s3 = s3Client(n);
});
afterAll(async () => {
  await n?.stop();
});

let counter = 0;
async function lockedBucket(): Promise<string> {
  const Bucket = `lock-${counter++}-${Date.now().toString(36)}`;
  await s3.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
  return Bucket;
}
const inDays = (d: number) => new Date(n.clock.nowMs() + d * DAY);

async function put(Bucket: string, Key: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await s3.send(new PutObjectCommand({ Bucket, Key, Body: "locked bytes", ...extra }));
  return r.VersionId!;
}

async function userWith(name: string, actions: string[]) {
  const iam = new IAMClient(sdkConfig(n));
  await iam.send(new CreateUserCommand({ UserName: name }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: name,
      PolicyName: "p",
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }] }),
    }),
  );
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return new S3Client({ ...sdkConfig(n), credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }, forcePathStyle: true });
}

describe("S3 Object Lock", () => {
  it("enables versioning with Object Lock at CreateBucket", async () => {
    const b = await lockedBucket();
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: b }))).Status).toBe("Enabled");
    const suspend = await failure(s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: "Suspended" } })));
    expect(suspend.name).toBe("InvalidBucketState");
    expect(suspend.status).toBe(409);
  });

  it("COMPLIANCE retention from PutObject headers: no permanent delete, may only be extended", async () => {
    const b = await lockedBucket();
    const until = inDays(3);
    const v = await put(b, "c", { ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: until });
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: "c" }));
    expect(head.ObjectLockMode).toBe("COMPLIANCE");
    expect(Math.abs(head.ObjectLockRetainUntilDate!.getTime() - until.getTime())).toBeLessThan(1000);

    const denied = await failure(s3.send(new DeleteObjectCommand({ Bucket: b, Key: "c", VersionId: v })));
    expect(denied.name).toBe("AccessDenied");
    expect(denied.status).toBe(403);
    expect(denied.err.message).toBe("Access Denied because object protected by object lock.");
    // Even root with the bypass header.
    expect((await failure(s3.send(new DeleteObjectCommand({ Bucket: b, Key: "c", VersionId: v, BypassGovernanceRetention: true })))).name).toBe("AccessDenied");
    // A delete marker is always allowed; the version stays.
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: b, Key: "c" }));
    expect(marker.DeleteMarker).toBe(true);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: b }));
    expect(versions.Versions?.map((x) => x.VersionId)).toEqual([v]);

    // Shorten / downgrade: refused; extend: fine.
    const shorter = await failure(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: "c", VersionId: v, Retention: { Mode: "COMPLIANCE", RetainUntilDate: inDays(1) } })));
    expect(shorter.name).toBe("AccessDenied");
    const downgrade = await failure(
      s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: "c", VersionId: v, BypassGovernanceRetention: true, Retention: { Mode: "GOVERNANCE", RetainUntilDate: inDays(10) } })),
    );
    expect(downgrade.name).toBe("AccessDenied");
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: "c", VersionId: v, Retention: { Mode: "COMPLIANCE", RetainUntilDate: inDays(5) } }));
    const r = await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: "c", VersionId: v }));
    expect(r.Retention?.Mode).toBe("COMPLIANCE");
    expect(r.Retention?.RetainUntilDate!.getTime()).toBeGreaterThan(inDays(4).getTime());

    // Once the date has passed the version can go.
    n.clock.advance(6 * 86_400);
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: "c", VersionId: v }));
  });

  it("GOVERNANCE: bypass needs the header and s3:BypassGovernanceRetention", async () => {
    const b = await lockedBucket();
    const v = await put(b, "g", { ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: inDays(2) });
    expect((await failure(s3.send(new DeleteObjectCommand({ Bucket: b, Key: "g", VersionId: v })))).name).toBe("AccessDenied");

    const noBypass = await userWith("lock-nobypass", ["s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:GetObject"]);
    const denied = await failure(noBypass.send(new DeleteObjectCommand({ Bucket: b, Key: "g", VersionId: v, BypassGovernanceRetention: true })));
    expect(denied.name).toBe("AccessDenied");
    expect(denied.err.message).toContain("s3:BypassGovernanceRetention");
    // Shortening GOVERNANCE without bypass is refused too.
    expect((await failure(noBypass.send(new PutObjectRetentionCommand({ Bucket: b, Key: "g", VersionId: v, Retention: {} })))).name).toBe("AccessDenied");

    const withBypass = await userWith("lock-bypass", ["s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"]);
    const gone = await withBypass.send(new DeleteObjectCommand({ Bucket: b, Key: "g", VersionId: v, BypassGovernanceRetention: true }));
    expect(gone.VersionId).toBe(v);
  });

  it("legal hold blocks deletion whatever the retention, until it is turned OFF", async () => {
    const b = await lockedBucket();
    const v = await put(b, "h", { ObjectLockLegalHoldStatus: "ON" });
    expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket: b, Key: "h" }))).LegalHold?.Status).toBe("ON");
    expect((await s3.send(new HeadObjectCommand({ Bucket: b, Key: "h" }))).ObjectLockLegalHoldStatus).toBe("ON");
    expect((await failure(s3.send(new DeleteObjectCommand({ Bucket: b, Key: "h", VersionId: v, BypassGovernanceRetention: true })))).name).toBe("AccessDenied");

    // DeleteObjects reports the refusal per key.
    const multi = await s3.send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: [{ Key: "h", VersionId: v }] } }));
    expect(multi.Errors?.[0]?.Code).toBe("AccessDenied");

    await s3.send(new PutObjectLegalHoldCommand({ Bucket: b, Key: "h", VersionId: v, LegalHold: { Status: "OFF" } }));
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: "h", VersionId: v }));
  });

  it("takes lock headers on CreateMultipartUpload and CopyObject", async () => {
    const b = await lockedBucket();
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: "mp", ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: inDays(2) }));
    const part = await s3.send(new UploadPartCommand({ Bucket: b, Key: "mp", UploadId: up.UploadId!, PartNumber: 1, Body: "one small last part" }));
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: b, Key: "mp", UploadId: up.UploadId!, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] } }),
    );
    expect((await s3.send(new HeadObjectCommand({ Bucket: b, Key: "mp" }))).ObjectLockMode).toBe("COMPLIANCE");
    expect((await failure(s3.send(new DeleteObjectCommand({ Bucket: b, Key: "mp", VersionId: done.VersionId! })))).name).toBe("AccessDenied");

    const copy = await s3.send(new CopyObjectCommand({ Bucket: b, Key: "cp", CopySource: `${b}/mp`, ObjectLockLegalHoldStatus: "ON" }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: "cp" }));
    expect(head.ObjectLockLegalHoldStatus).toBe("ON");
    // A copy does not take the source's retention.
    expect(head.ObjectLockMode).toBeUndefined();
    expect((await failure(s3.send(new DeleteObjectCommand({ Bucket: b, Key: "cp", VersionId: copy.VersionId! })))).name).toBe("AccessDenied");
  });

  it("applies the bucket's default retention to new versions", async () => {
    const b = await lockedBucket();
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: b,
        ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 1 } } },
      }),
    );
    const v = await put(b, "d");
    const r = await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: "d" }));
    expect(r.Retention?.Mode).toBe("GOVERNANCE");
    expect(Math.abs(r.Retention!.RetainUntilDate!.getTime() - inDays(1).getTime())).toBeLessThan(5000);
    // Explicit headers win over the default.
    await put(b, "e", { ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: inDays(9) });
    expect((await s3.send(new HeadObjectCommand({ Bucket: b, Key: "e" }))).ObjectLockMode).toBe("COMPLIANCE");
    expect((await failure(s3.send(new DeleteObjectCommand({ Bucket: b, Key: "d", VersionId: v })))).name).toBe("AccessDenied");
  });

  it("lifecycle does not expire a locked noncurrent version", async () => {
    const b = await lockedBucket();
    const v = await put(b, "lc", { ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: inDays(30) });
    await put(b, "lc");
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: b,
        LifecycleConfiguration: { Rules: [{ ID: "x", Status: "Enabled", Filter: { Prefix: "" }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }] },
      }),
    );
    n.clock.advance(3 * 86_400);
    await lifecycleSettled();
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: b }));
    expect(versions.Versions?.some((x) => x.VersionId === v)).toBe(true);
  });

  it("refuses bad input with S3's errors", async () => {
    const plain = `lock-plain-${Date.now().toString(36)}`;
    await s3.send(new CreateBucketCommand({ Bucket: plain }));
    await s3.send(new PutObjectCommand({ Bucket: plain, Key: "k", Body: "x" }));
    const missing = await failure(s3.send(new PutObjectRetentionCommand({ Bucket: plain, Key: "k", Retention: { Mode: "GOVERNANCE", RetainUntilDate: inDays(1) } })));
    expect(missing.name).toBe("InvalidRequest");
    expect(missing.err.message).toBe("Bucket is missing Object Lock Configuration");
    const onPut = await failure(s3.send(new PutObjectCommand({ Bucket: plain, Key: "k2", Body: "x", ObjectLockLegalHoldStatus: "ON" })));
    expect(onPut.err.message).toBe("Bucket is missing Object Lock Configuration");

    const b = await lockedBucket();
    await put(b, "k");
    const none = await failure(s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: "k" })));
    expect(none.name).toBe("NoSuchObjectLockConfiguration");
    expect(none.status).toBe(404);
    expect((await failure(s3.send(new GetObjectLegalHoldCommand({ Bucket: b, Key: "k" })))).name).toBe("NoSuchObjectLockConfiguration");
    const past = await failure(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: "k", Retention: { Mode: "GOVERNANCE", RetainUntilDate: inDays(-1) } })));
    expect(past.name).toBe("InvalidArgument");
    const halfHeaders = await failure(s3.send(new PutObjectCommand({ Bucket: b, Key: "k3", Body: "x", ObjectLockMode: "GOVERNANCE" })));
    expect(halfHeaders.name).toBe("InvalidArgument");
    const badMode = await failure(s3.send(new PutObjectCommand({ Bucket: b, Key: "k3", Body: "x", ObjectLockMode: "FOREVER" as never, ObjectLockRetainUntilDate: inDays(1) })));
    expect(badMode.name).toBe("InvalidArgument");
    expect((await failure(s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: "nope" })))).name).toBe("NoSuchKey");
  });

  it("works from the AWS CLI and boto3", async () => {
    const b = await lockedBucket();
    const v = await put(b, "cli");
    const until = inDays(2).toISOString();
    const set = await awsCli(n, ["s3api", "put-object-retention", "--bucket", b, "--key", "cli", "--retention", `Mode=GOVERNANCE,RetainUntilDate=${until}`]);
    expect(set.code, set.stderr).toBe(0);
    const got = await awsCli(n, ["s3api", "get-object-retention", "--bucket", b, "--key", "cli"]);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout).Retention.Mode).toBe("GOVERNANCE");
    const del = await awsCli(n, ["s3api", "delete-object", "--bucket", b, "--key", "cli", "--version-id", v]);
    expect(del.code).not.toBe(0);
    expect(del.stderr).toContain("AccessDenied");

    const py = await boto3(
      n,
      [
        "s3 = client('s3')",
        `s3.put_object_legal_hold(Bucket=${JSON.stringify(b)}, Key='cli', LegalHold={'Status': 'ON'})`,
        `print(json.dumps(s3.get_object_legal_hold(Bucket=${JSON.stringify(b)}, Key='cli')['LegalHold']))`,
      ].join("\n"),
    );
    expect(py.code, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toEqual({ Status: "ON" });
  });
});
