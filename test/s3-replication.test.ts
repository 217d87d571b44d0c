/** S3 replication: rules copy new versions (and delete markers) to the destination in the background. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  CopyObjectCommand,
  S3Client,
  type ReplicationRule,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { Nimbus } from "../src/index.js";
import { enqueueReplication, replicationSettled } from "../src/services/s3/replication.js";
import { SqliteMetadataStore } from "../src/storage/sqlite-metadata-store.js";
import { boto3, sdkConfig, startTestNimbus } from "./helpers.js";
import { failure, s3Client } from "./s3-objects-helpers.js";

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
async function versionedBucket(client = s3, region?: string): Promise<string> {
  const Bucket = `repl-${counter++}-${Date.now().toString(36)}`;
  await client.send(new CreateBucketCommand({ Bucket, ...(region ? { CreateBucketConfiguration: { LocationConstraint: region as "eu-west-1" } } : {}) }));
  await client.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
  return Bucket;
}
const ROLE = "arn:aws:iam::000000000000:role/replication";
async function replicate(source: string, rules: ReplicationRule[]): Promise<void> {
  await s3.send(new PutBucketReplicationCommand({ Bucket: source, ReplicationConfiguration: { Role: ROLE, Rules: rules } }));
}
const rule = (dest: string, extra: Partial<ReplicationRule> = {}): ReplicationRule => ({
  ID: `r${counter++}`,
  Status: "Enabled",
  Priority: 1,
  Filter: { Prefix: "" },
  DeleteMarkerReplication: { Status: "Disabled" },
  Destination: { Bucket: `arn:aws:s3:::${dest}` },
  ...extra,
});
const head = (client: S3Client, Bucket: string, Key: string) => client.send(new HeadObjectCommand({ Bucket, Key }));

describe("S3 replication", () => {
  it("copies new versions with their version id: PENDING -> COMPLETED on the source, REPLICA on the replica", async () => {
    const src = await versionedBucket();
    const dst = await versionedBucket();
    await replicate(src, [rule(dst, { Filter: { Prefix: "docs/" }, Destination: { Bucket: `arn:aws:s3:::${dst}`, StorageClass: "STANDARD_IA" } })]);
    const put = await s3.send(new PutObjectCommand({ Bucket: src, Key: "docs/a.txt", Body: "replicate me", ContentType: "text/plain", Metadata: { m: "1" } }));
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "other/b.txt", Body: "stay" }));
    const early = (await head(s3, src, "docs/a.txt")).ReplicationStatus;
    expect(["PENDING", "COMPLETED"]).toContain(early);
    await replicationSettled();

    expect((await head(s3, src, "docs/a.txt")).ReplicationStatus).toBe("COMPLETED");
    expect((await head(s3, src, "other/b.txt")).ReplicationStatus).toBeUndefined();
    const replica = await s3.send(new GetObjectCommand({ Bucket: dst, Key: "docs/a.txt" }));
    expect(await replica.Body!.transformToString()).toBe("replicate me");
    expect(replica.ReplicationStatus).toBe("REPLICA");
    expect(replica.VersionId).toBe(put.VersionId);
    expect(replica.StorageClass).toBe("STANDARD_IA");
    expect(replica.ContentType).toBe("text/plain");
    expect(replica.Metadata).toEqual({ m: "1" });
    expect((await failure(head(s3, dst, "other/b.txt"))).status).toBe(404);
  });

  it("replicates delete markers only when DeleteMarkerReplication is Enabled, never version deletes", async () => {
    const src = await versionedBucket();
    const on = await versionedBucket();
    const off = await versionedBucket();
    await replicate(src, [
      rule(on, { Priority: 2, Filter: { Prefix: "on/" }, DeleteMarkerReplication: { Status: "Enabled" } }),
      rule(off, { Priority: 1, Filter: { Prefix: "" } }),
    ]);
    const v1 = await s3.send(new PutObjectCommand({ Bucket: src, Key: "on/x", Body: "1" }));
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "off/y", Body: "2" }));
    await replicationSettled();
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: src, Key: "on/x" }));
    await s3.send(new DeleteObjectCommand({ Bucket: src, Key: "off/y" }));
    await replicationSettled();
    const onVersions = await s3.send(new ListObjectVersionsCommand({ Bucket: on }));
    expect(onVersions.DeleteMarkers?.map((m) => m.VersionId)).toEqual([marker.VersionId]);
    expect(onVersions.Versions?.map((v) => v.VersionId)).toEqual([v1.VersionId]);
    const offVersions = await s3.send(new ListObjectVersionsCommand({ Bucket: off }));
    expect(offVersions.DeleteMarkers ?? []).toEqual([]);
    expect(offVersions.Versions?.map((v) => v.Key)).toEqual(["off/y"]);
    // The higher-priority rule took on/x; off got nothing of it.
    expect((await failure(head(s3, off, "on/x"))).status).toBe(404);
    // Deleting a specific version is not replicated.
    await s3.send(new DeleteObjectCommand({ Bucket: src, Key: "on/x", VersionId: v1.VersionId }));
    await replicationSettled();
    expect((await s3.send(new ListObjectVersionsCommand({ Bucket: on }))).Versions?.map((v) => v.VersionId)).toEqual([v1.VersionId]);
  });

  it("filters by tags, and replicates copies and multipart uploads", async () => {
    const src = await versionedBucket();
    const dst = await versionedBucket();
    await replicate(src, [rule(dst, { Filter: { And: { Prefix: "", Tags: [{ Key: "replicate", Value: "yes" }] } } })]);
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "tagged", Body: "t", Tagging: "replicate=yes" }));
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "untagged", Body: "u" }));
    await s3.send(new CopyObjectCommand({ Bucket: src, Key: "copied", CopySource: `${src}/tagged` }));
    const big = Buffer.alloc(6 * 1024 * 1024, 7);
    await new Upload({ client: s3, params: { Bucket: src, Key: "multi", Body: big, Tagging: "replicate=yes" }, partSize: 5 * 1024 * 1024 }).done();
    await replicationSettled();
    expect((await head(s3, dst, "tagged")).ReplicationStatus).toBe("REPLICA");
    expect((await head(s3, dst, "copied")).ReplicationStatus).toBe("REPLICA");
    const multi = await head(s3, dst, "multi");
    expect(multi.ContentLength).toBe(big.length);
    expect((await head(s3, src, "multi")).ReplicationStatus).toBe("COMPLETED");
    expect((await failure(head(s3, dst, "untagged"))).status).toBe(404);
  });

  it("replicates to another region, and to another account only when its bucket policy allows", async () => {
    const src = await versionedBucket();
    const eu = new S3Client({ ...sdkConfig(n), region: "eu-west-1", forcePathStyle: true });
    const far = await versionedBucket(eu, "eu-west-1");
    const res = await fetch(`${n.endpoint}/_nimbus/accounts`, { method: "POST", body: JSON.stringify({ email: "repl-partner@example.com" }) });
    const other = (await res.json()) as { accessKeyId: string; secretAccessKey: string; accountId: string };
    const partner = new S3Client({ ...sdkConfig(n), credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey }, forcePathStyle: true });
    const theirs = await versionedBucket(partner);
    const closed = await versionedBucket(partner);
    await partner.send(
      new PutBucketPolicyCommand({
        Bucket: theirs,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: ROLE }, Action: ["s3:ReplicateObject", "s3:ReplicateDelete"], Resource: `arn:aws:s3:::${theirs}/*` }],
        }),
      }),
    );
    await replicate(src, [
      rule(far, { Priority: 3, Filter: { Prefix: "eu/" } }),
      rule(theirs, { Priority: 2, Filter: { Prefix: "partner/" }, Destination: { Bucket: `arn:aws:s3:::${theirs}`, Account: other.accountId } }),
      rule(closed, { Priority: 1, Filter: { Prefix: "closed/" }, Destination: { Bucket: `arn:aws:s3:::${closed}`, Account: other.accountId } }),
    ]);
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "eu/1", Body: "far" }));
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "partner/1", Body: "theirs" }));
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "closed/1", Body: "no" }));
    await replicationSettled();
    expect((await head(eu, far, "eu/1")).ReplicationStatus).toBe("REPLICA");
    expect((await head(partner, theirs, "partner/1")).ReplicationStatus).toBe("REPLICA");
    expect((await head(s3, src, "partner/1")).ReplicationStatus).toBe("COMPLETED");
    expect((await head(s3, src, "closed/1")).ReplicationStatus).toBe("FAILED");
    expect((await failure(head(partner, closed, "closed/1"))).status).toBe(404);
  });

  it("shows the status to boto3", async () => {
    const src = await versionedBucket();
    const dst = await versionedBucket();
    await replicate(src, [rule(dst)]);
    await s3.send(new PutObjectCommand({ Bucket: src, Key: "py", Body: "p" }));
    await replicationSettled();
    const py = await boto3(
      n,
      `s3 = client('s3')\nprint(json.dumps([s3.head_object(Bucket=${JSON.stringify(src)}, Key='py')['ReplicationStatus'], s3.head_object(Bucket=${JSON.stringify(dst)}, Key='py')['ReplicationStatus']]))`,
    );
    expect(py.code, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toEqual(["COMPLETED", "REPLICA"]);
  });
});

describe("S3 replication across a restart", () => {
  it("works off queued entries when Nimbus starts again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nimbus-repl-"));
    try {
      let a = await startTestNimbus({ ephemeral: false, dataDir: dir });
      let c = s3Client(a);
      await c.send(new CreateBucketCommand({ Bucket: "repl-restart-src" }));
      await c.send(new CreateBucketCommand({ Bucket: "repl-restart-dst" }));
      for (const Bucket of ["repl-restart-src", "repl-restart-dst"]) await c.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
      // A version written before the rule existed, queued while Nimbus is down (as a crash would leave it).
      const put = await c.send(new PutObjectCommand({ Bucket: "repl-restart-src", Key: "k", Body: "survives" }));
      await c.send(new PutBucketReplicationCommand({ Bucket: "repl-restart-src", ReplicationConfiguration: { Role: ROLE, Rules: [rule("repl-restart-dst")] } }));
      await a.stop();
      const metadata = new SqliteMetadataStore(join(dir, "metadata.sqlite"));
      await enqueueReplication(metadata, "000000000000", { bucket: "repl-restart-src", key: "k", versionId: put.VersionId! });
      await metadata.close();
      a = await startTestNimbus({ ephemeral: false, dataDir: dir });
      c = s3Client(a);
      await replicationSettled();
      const got = await c.send(new GetObjectCommand({ Bucket: "repl-restart-dst", Key: "k" }));
      expect(await got.Body!.transformToString()).toBe("survives");
      expect(got.VersionId).toBe(put.VersionId);
      await a.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
