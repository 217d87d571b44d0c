/** S3 event notifications: records built, matched against the configuration and handed to targets. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { Nimbus } from "../src/index.js";
import {
  onS3Event,
  registerS3EventTarget,
  s3EventsSettled,
  type S3EventDelivery,
  type S3EventRecord,
} from "../src/services/s3/events.js";
import { startTestNimbus } from "./helpers.js";
import { s3Client } from "./s3-objects-helpers.js";

const QUEUE = "arn:aws:sqs:us-east-1:000000000000:uploads";
let n: Nimbus;
let s3: S3Client;
const seen: S3EventDelivery[] = [];
let unsubscribe: () => void;

beforeAll(async () => {
  n = await startTestNimbus();
  s3 = s3Client(n);
  unsubscribe = onS3Event((d) => seen.push(d));
});
afterAll(async () => {
  unsubscribe();
  await n.stop();
});

async function drain(): Promise<S3EventDelivery[]> {
  await s3EventsSettled();
  return seen.splice(0);
}
const recordsOf = (ds: S3EventDelivery[]): S3EventRecord[] => ds.flatMap((d) => ("Records" in d.message ? d.message.Records : []));

async function bucketWithQueue(bucket: string, events = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]) {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Id: "uploads",
            QueueArn: QUEUE,
            Events: events as never,
            Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "in/" }, { Name: "suffix", Value: ".txt" }] } },
          },
        ],
      },
    }),
  );
}

describe("S3 event notifications", () => {
  it("sends s3:TestEvent when the configuration is put", async () => {
    await bucketWithQueue("ev-test-event");
    const ds = await drain();
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ kind: "queue", arn: QUEUE, bucket: "ev-test-event" });
    expect(ds[0]!.message).toMatchObject({ Service: "Amazon S3", Event: "s3:TestEvent", Bucket: "ev-test-event" });
  });

  it("builds records for put, copy and delete, with filters and encoded keys", async () => {
    const b = "ev-records";
    await bucketWithQueue(b);
    await drain();
    const put = await s3.send(new PutObjectCommand({ Bucket: b, Key: "in/red flower=1.txt", Body: "hello" }));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: "in/skip.jpg", Body: "x" })); // suffix excludes
    await s3.send(new PutObjectCommand({ Bucket: b, Key: "out/skip.txt", Body: "x" })); // prefix excludes
    await s3.send(new CopyObjectCommand({ Bucket: b, Key: "in/copy.txt", CopySource: `${b}/in/red%20flower%3D1.txt` }));
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: "in/red flower=1.txt" }));
    await s3.send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: [{ Key: "in/copy.txt" }, { Key: "out/skip.txt" }] } }));
    const records = recordsOf(await drain());
    expect(records.map((r) => [r.eventName, r.s3.object.key])).toEqual([
      ["ObjectCreated:Put", "in/red+flower%3D1.txt"],
      ["ObjectCreated:Copy", "in/copy.txt"],
      ["ObjectRemoved:Delete", "in/red+flower%3D1.txt"],
      ["ObjectRemoved:Delete", "in/copy.txt"],
    ]);
    const [p, c, d] = records;
    expect(p).toMatchObject({
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: "us-east-1",
      s3: {
        s3SchemaVersion: "1.0",
        configurationId: "uploads",
        bucket: { name: b, arn: `arn:aws:s3:::${b}` },
        object: { size: 5, eTag: put.ETag!.replace(/"/g, "") },
      },
    });
    expect(p!.s3.object.eTag).toBe("5d41402abc4b2a76b9719d911017c592");
    expect(p!.s3.object.versionId).toBeUndefined();
    expect(p!.responseElements["x-amz-request-id"]).toBeTruthy();
    expect(p!.requestParameters.sourceIPAddress).toBeTruthy();
    expect(Number.isNaN(Date.parse(p!.eventTime))).toBe(false);
    expect(c!.s3.object.size).toBe(5);
    expect(d!.s3.object.size).toBeUndefined();
    expect(d!.s3.object.sequencer > p!.s3.object.sequencer).toBe(true);
    expect(p!.s3.object.sequencer).toMatch(/^[0-9A-F]+$/);
  });

  it("names delete markers and carries version ids in versioned buckets", async () => {
    const b = "ev-versioned";
    await bucketWithQueue(b, ["s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectCreated:Put"]);
    await s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: "Enabled" } }));
    await drain();
    const put = await s3.send(new PutObjectCommand({ Bucket: b, Key: "in/a.txt", Body: "v1" }));
    const del = await s3.send(new DeleteObjectCommand({ Bucket: b, Key: "in/a.txt" }));
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: "in/a.txt", VersionId: put.VersionId! })); // ObjectRemoved:Delete, not configured
    const records = recordsOf(await drain());
    expect(records.map((r) => [r.eventName, r.s3.object.versionId])).toEqual([
      ["ObjectCreated:Put", put.VersionId],
      ["ObjectRemoved:DeleteMarkerCreated", del.VersionId],
    ]);
  });

  it("hands matches to a registered target, in order per bucket", async () => {
    const b = "ev-target";
    const got: Array<[string, string]> = [];
    const unregister = registerS3EventTarget("queue", async (arn, message) => {
      await new Promise((r) => setTimeout(r, 5));
      if ("Records" in message) got.push([arn, message.Records[0]!.s3.object.key]);
    });
    try {
      await bucketWithQueue(b);
      for (let i = 0; i < 5; i++) await s3.send(new PutObjectCommand({ Bucket: b, Key: `in/${i}.txt`, Body: "x" }));
      const ds = await drain();
      expect(ds.every((d) => d.delivered)).toBe(true);
      expect(got).toEqual([0, 1, 2, 3, 4].map((i) => [QUEUE, `in/${i}.txt`]));
      const seqs = recordsOf(ds).map((r) => r.s3.object.sequencer);
      expect([...seqs].sort()).toEqual(seqs);
    } finally {
      unregister();
    }
  });

  it("a failing target never fails the request", async () => {
    const b = "ev-failing";
    const unregister = registerS3EventTarget("queue", () => Promise.reject(new Error("down")));
    try {
      await bucketWithQueue(b);
      await s3.send(new PutObjectCommand({ Bucket: b, Key: "in/x.txt", Body: "x" }));
      expect(recordsOf(await drain())).toHaveLength(1);
    } finally {
      unregister();
    }
  });
});
