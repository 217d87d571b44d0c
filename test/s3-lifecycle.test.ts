/** S3 lifecycle rules applied by the runner as the injected clock moves, and RestoreObject. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  RestoreObjectCommand,
  type LifecycleRule,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { Nimbus } from "../src/index.js";
import { lifecycleSettled } from "../src/services/s3/lifecycle-runner.js";
import { startTestNimbus } from "./helpers.js";
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

/** Move the injected clock (signatures are checked against the wall clock), then wait for the lifecycle pass. */
async function advance(seconds: number): Promise<void> {
  n.clock.advance(seconds);
  await lifecycleSettled();
}

async function bucketWith(name: string, rules: LifecycleRule[], versioned = false): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  if (versioned) await s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: "Enabled" } }));
  await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: name, LifecycleConfiguration: { Rules: rules } }));
}

const exists = async (Bucket: string, Key: string) => {
  try {
    await s3.send(new HeadObjectCommand({ Bucket, Key }));
    return true;
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw e;
  }
};

describe("S3 lifecycle", () => {
  it("expires current objects at the midnight UTC after creation + Days, and only under the rule's prefix", async () => {
    await bucketWith("lc-expire", [{ ID: "logs", Status: "Enabled", Filter: { Prefix: "logs/" }, Expiration: { Days: 1 } }]);
    await s3.send(new PutObjectCommand({ Bucket: "lc-expire", Key: "logs/a", Body: "a" }));
    await s3.send(new PutObjectCommand({ Bucket: "lc-expire", Key: "data/b", Body: "b" }));
    const created = (await s3.send(new HeadObjectCommand({ Bucket: "lc-expire", Key: "logs/a" }))).LastModified!.getTime();
    const due = Math.ceil((created + DAY) / DAY) * DAY;
    // One second before the midnight: still there, although a day has passed when created before ~23:59.
    await advance((due - n.clock.nowMs()) / 1000 - 1);
    expect(await exists("lc-expire", "logs/a")).toBe(true);
    await advance(2);
    expect(await exists("lc-expire", "logs/a")).toBe(false);
    expect(await exists("lc-expire", "data/b")).toBe(true);
  });

  it("puts a delete marker on expired objects of a versioned bucket and expires non-current versions", async () => {
    await bucketWith(
      "lc-versions",
      [
        {
          ID: "all",
          Status: "Enabled",
          Filter: { Prefix: "" },
          Expiration: { Days: 10 },
          NoncurrentVersionExpiration: { NoncurrentDays: 1, NewerNoncurrentVersions: 1 },
        },
      ],
      true,
    );
    const ids: string[] = [];
    for (const body of ["v1", "v2", "v3"]) {
      ids.push((await s3.send(new PutObjectCommand({ Bucket: "lc-versions", Key: "k", Body: body }))).VersionId!);
    }
    await advance(2 * 86_400);
    let listed = await s3.send(new ListObjectVersionsCommand({ Bucket: "lc-versions" }));
    // v1 went (one newer non-current version, v2, is kept); v3 is current.
    expect(listed.Versions!.map((v) => v.VersionId).sort()).toEqual([ids[1], ids[2]].sort());
    expect(listed.DeleteMarkers ?? []).toEqual([]);

    await advance(10 * 86_400);
    listed = await s3.send(new ListObjectVersionsCommand({ Bucket: "lc-versions" }));
    expect(listed.DeleteMarkers).toHaveLength(1);
    expect(listed.DeleteMarkers![0]!.IsLatest).toBe(true);
    expect(listed.Versions!.map((v) => v.VersionId)).toContain(ids[2]);
    expect(await exists("lc-versions", "k")).toBe(false);
  });

  it("transitions to GLACIER, then RestoreObject makes the object readable until the restore expires", async () => {
    await bucketWith("lc-glacier", [{ ID: "cold", Status: "Enabled", Filter: { Prefix: "" }, Transitions: [{ Days: 1, StorageClass: "GLACIER" }] }]);
    const body = Buffer.alloc(200 * 1024, 7);
    await s3.send(new PutObjectCommand({ Bucket: "lc-glacier", Key: "big", Body: body }));
    await s3.send(new PutObjectCommand({ Bucket: "lc-glacier", Key: "small", Body: "tiny" }));
    await advance(2 * 86_400 + 60);
    expect((await s3.send(new HeadObjectCommand({ Bucket: "lc-glacier", Key: "big" }))).StorageClass).toBe("GLACIER");
    // Under 128 KiB: not transitioned (AWS's default minimum size since 2024).
    expect((await s3.send(new HeadObjectCommand({ Bucket: "lc-glacier", Key: "small" }))).StorageClass).toBeUndefined();

    const denied = await failure(s3.send(new GetObjectCommand({ Bucket: "lc-glacier", Key: "big" })));
    expect(denied).toMatchObject({ name: "InvalidObjectState", status: 403 });

    const standard = await failure(s3.send(new RestoreObjectCommand({ Bucket: "lc-glacier", Key: "small", RestoreRequest: { Days: 1 } })));
    expect(standard).toMatchObject({ name: "InvalidObjectState", status: 403 });

    const restore = { Bucket: "lc-glacier", Key: "big", RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: "Expedited" as const } } };
    const first = await s3.send(new RestoreObjectCommand(restore));
    expect(first.$metadata.httpStatusCode).toBe(202);
    expect((await s3.send(new HeadObjectCommand({ Bucket: "lc-glacier", Key: "big" }))).Restore).toBe('ongoing-request="true"');
    const again = await failure(s3.send(new RestoreObjectCommand(restore)));
    expect(again).toMatchObject({ name: "RestoreAlreadyInProgress", status: 409 });
    await failure(s3.send(new GetObjectCommand({ Bucket: "lc-glacier", Key: "big" })));

    await advance(5 * 60 + 1);
    const head = await s3.send(new HeadObjectCommand({ Bucket: "lc-glacier", Key: "big" }));
    expect(head.Restore).toMatch(/^ongoing-request="false", expiry-date="\w{3}, \d\d \w{3} \d{4} 00:00:00 GMT"$/);
    const expiry = Date.parse(/expiry-date="([^"]+)"/.exec(head.Restore!)![1]!);
    const got = await s3.send(new GetObjectCommand({ Bucket: "lc-glacier", Key: "big" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(got.Restore).toBe(head.Restore);
    const extended = await s3.send(new RestoreObjectCommand(restore));
    expect(extended.$metadata.httpStatusCode).toBe(200);

    await advance((expiry - n.clock.nowMs()) / 1000 + 86_400 + 1);
    const after = await s3.send(new HeadObjectCommand({ Bucket: "lc-glacier", Key: "big" }));
    expect(after.Restore).toBeUndefined();
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: "lc-glacier", Key: "big" })))).toMatchObject({ name: "InvalidObjectState" });
  });

  it("aborts incomplete multipart uploads after DaysAfterInitiation", async () => {
    await bucketWith("lc-mpu", [{ ID: "mpu", Status: "Enabled", Filter: { Prefix: "" }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }]);
    await s3.send(new CreateMultipartUploadCommand({ Bucket: "lc-mpu", Key: "upload" }));
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: "lc-mpu" }))).Uploads).toHaveLength(1);
    await advance(2 * 86_400);
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: "lc-mpu" }))).Uploads ?? []).toHaveLength(0);
  });

  it("leaves Disabled rules alone", async () => {
    await bucketWith("lc-disabled", [{ ID: "off", Status: "Disabled", Filter: { Prefix: "" }, Expiration: { Days: 1 } }]);
    await s3.send(new PutObjectCommand({ Bucket: "lc-disabled", Key: "k", Body: "x" }));
    await advance(3 * 86_400);
    expect(await exists("lc-disabled", "k")).toBe(true);
  });
});
