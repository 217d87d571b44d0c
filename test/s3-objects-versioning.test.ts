/**
 * Bucket versioning through SDK v3: version ids, delete markers, reads and permanent deletes by
 * version id, `null` version semantics (never enabled, suspended), ListObjectVersions paging.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { Nimbus } from "../src/index.js";
import { startTestNimbus } from "./helpers.js";
import { failure, rawS3, s3Client } from "./s3-objects-helpers.js";

let n: Nimbus;
let s3: S3Client;

beforeAll(async () => {
  n = await startTestNimbus();
  s3 = s3Client(n);
});
afterAll(async () => {
  await n.stop();
});

const body = async (p: Promise<{ Body?: { transformToString(): Promise<string> } }>) => (await (await p).Body!).transformToString();

async function versionsOf(bucket: string, prefix?: string) {
  const r = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, ...(prefix ? { Prefix: prefix } : {}) }));
  return {
    versions: (r.Versions ?? []).map((v) => ({ key: v.Key, id: v.VersionId, latest: v.IsLatest })),
    markers: (r.DeleteMarkers ?? []).map((v) => ({ key: v.Key, id: v.VersionId, latest: v.IsLatest })),
  };
}

describe("bucket versioning configuration", () => {
  it("is empty until set, then Enabled / Suspended, with the MFA delete flag stored", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "vconf" }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: "vconf" }))).Status).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket: "vconf", VersioningConfiguration: { Status: "Enabled" } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: "vconf" }))).Status).toBe("Enabled");
    await s3.send(new PutBucketVersioningCommand({ Bucket: "vconf", VersioningConfiguration: { Status: "Suspended" } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: "vconf" }))).Status).toBe("Suspended");
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: "vconf", MFA: "arn:aws:iam::000000000000:mfa/root 123456", VersioningConfiguration: { Status: "Enabled", MFADelete: "Enabled" } }),
    );
    const got = await s3.send(new GetBucketVersioningCommand({ Bucket: "vconf" }));
    expect([got.Status, got.MFADelete]).toEqual(["Enabled", "Enabled"]);
    const noMfa = await failure(s3.send(new PutBucketVersioningCommand({ Bucket: "vconf", VersioningConfiguration: { Status: "Enabled", MFADelete: "Disabled" } })));
    expect(noMfa.status).toBe(403);
    const bad = await failure(s3.send(new PutBucketVersioningCommand({ Bucket: "vconf", VersioningConfiguration: { Status: "On" as "Enabled" } })));
    expect([bad.name, bad.status]).toEqual(["MalformedXML", 400]);
    const missing = await failure(s3.send(new GetBucketVersioningCommand({ Bucket: "no-such-vbucket" })));
    expect([missing.name, missing.status]).toEqual(["NoSuchBucket", 404]);
  });

  it("does not carry over to a bucket re-created under the same name", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "vreborn" }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: "vreborn", VersioningConfiguration: { Status: "Enabled" } }));
    await s3.send(new DeleteBucketCommand({ Bucket: "vreborn" }));
    await new Promise((r) => setTimeout(r, 5));
    await s3.send(new CreateBucketCommand({ Bucket: "vreborn" }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: "vreborn" }))).Status).toBeUndefined();
  });
});

describe("an Enabled bucket", () => {
  const B = "versioned";
  let v1: string;
  let v2: string;
  let marker: string;

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Enabled" } }));
    v1 = (await s3.send(new PutObjectCommand({ Bucket: B, Key: "doc", Body: "one" }))).VersionId!;
    v2 = (await s3.send(new PutObjectCommand({ Bucket: B, Key: "doc", Body: "two" }))).VersionId!;
  });

  it("gives each PUT an opaque, URL-safe version id and keeps every version readable", async () => {
    expect(v1).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(v2).not.toBe(v1);
    expect(await body(s3.send(new GetObjectCommand({ Bucket: B, Key: "doc" })))).toBe("two");
    expect(await body(s3.send(new GetObjectCommand({ Bucket: B, Key: "doc", VersionId: v1 })))).toBe("one");
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "doc", VersionId: v1 }));
    expect(head.VersionId).toBe(v1);
    expect((await s3.send(new GetObjectCommand({ Bucket: B, Key: "doc" }))).VersionId).toBe(v2);
  });

  it("answers NoSuchVersion for an unknown id and InvalidArgument for a malformed one", async () => {
    const e = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "doc", VersionId: "0000000000000aAAAAAAAAAAAAAAAAAA" })));
    expect([e.name, e.status]).toEqual(["NoSuchVersion", 404]);
    const bad = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "doc", VersionId: "not a version" })));
    expect([bad.name, bad.status]).toEqual(["InvalidArgument", 400]);
  });

  it("DELETE adds a delete marker: GET says NoSuchKey with x-amz-delete-marker, the marker by id is 405", async () => {
    const del = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "doc" }));
    expect(del.DeleteMarker).toBe(true);
    marker = del.VersionId!;
    const raw = await rawS3(n, { method: "GET", path: `/${B}/doc` });
    expect(raw.status).toBe(404);
    expect(raw.headers["x-amz-delete-marker"]).toBe("true");
    expect(raw.headers["x-amz-version-id"]).toBe(marker);
    const e = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "doc" })));
    expect([e.name, e.status]).toEqual(["NoSuchKey", 404]);
    const byId = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "doc", VersionId: marker })));
    expect([byId.name, byId.status]).toEqual(["MethodNotAllowed", 405]);
    const headById = await rawS3(n, { method: "HEAD", path: `/${B}/doc`, query: { versionId: marker } });
    expect([headById.status, headById.headers["x-amz-delete-marker"]]).toEqual([405, "true"]);
    expect(await body(s3.send(new GetObjectCommand({ Bucket: B, Key: "doc", VersionId: v2 })))).toBe("two");
    // Listing hides the key; the versions listing shows everything, newest first.
    expect((await s3.send(new ListObjectsV2Command({ Bucket: B }))).KeyCount).toBe(0);
    const all = await versionsOf(B);
    expect(all.markers).toEqual([{ key: "doc", id: marker, latest: true }]);
    expect(all.versions).toEqual([
      { key: "doc", id: v2, latest: false },
      { key: "doc", id: v1, latest: false },
    ]);
  });

  it("deleting a version by id is permanent; removing the current one promotes the next", async () => {
    const del = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "doc", VersionId: marker }));
    expect([del.DeleteMarker, del.VersionId]).toEqual([true, marker]);
    expect(await body(s3.send(new GetObjectCommand({ Bucket: B, Key: "doc" })))).toBe("two");
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "doc", VersionId: v2 }));
    expect(await body(s3.send(new GetObjectCommand({ Bucket: B, Key: "doc" })))).toBe("one");
    const e = await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "doc", VersionId: v2 })));
    expect(e.name).toBe("NoSuchVersion");
    expect((await versionsOf(B)).versions).toEqual([{ key: "doc", id: v1, latest: true }]);
  });

  it("tags one version without touching the others", async () => {
    const v3 = (await s3.send(new PutObjectCommand({ Bucket: B, Key: "doc", Body: "three" }))).VersionId!;
    await s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: "doc", VersionId: v1, Tagging: { TagSet: [{ Key: "old", Value: "yes" }] } }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "doc", VersionId: v1 }))).TagSet).toEqual([{ Key: "old", Value: "yes" }]);
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "doc" }))).TagSet).toEqual([]);
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "doc" }))).VersionId).toBe(v3);
  });

  it("copies a specific source version and reports both version ids", async () => {
    const res = await s3.send(new CopyObjectCommand({ Bucket: B, Key: "copied", CopySource: `${B}/doc?versionId=${v1}` }));
    expect(res.CopySourceVersionId).toBe(v1);
    expect(res.VersionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await body(s3.send(new GetObjectCommand({ Bucket: B, Key: "copied" })))).toBe("one");
  });

  it("DeleteObjects reports delete markers and permanent version deletes", async () => {
    const a = (await s3.send(new PutObjectCommand({ Bucket: B, Key: "multi/a", Body: "a" }))).VersionId!;
    const res = await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: "multi/a", VersionId: a }, { Key: "multi/b" }] } }));
    const byKey = Object.fromEntries(res.Deleted!.map((d) => [d.Key, d]));
    expect(byKey["multi/a"]).toMatchObject({ Key: "multi/a", VersionId: a });
    expect(byKey["multi/b"]?.DeleteMarker).toBe(true);
    expect(byKey["multi/b"]?.DeleteMarkerVersionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it("keeps BucketNotEmpty while versions or delete markers remain", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "vempty" }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: "vempty", VersioningConfiguration: { Status: "Enabled" } }));
    const put = await s3.send(new PutObjectCommand({ Bucket: "vempty", Key: "k", Body: "x" }));
    const dm = await s3.send(new DeleteObjectCommand({ Bucket: "vempty", Key: "k" }));
    expect((await failure(s3.send(new DeleteBucketCommand({ Bucket: "vempty" })))).name).toBe("BucketNotEmpty");
    await s3.send(new DeleteObjectCommand({ Bucket: "vempty", Key: "k", VersionId: dm.VersionId }));
    expect((await failure(s3.send(new DeleteBucketCommand({ Bucket: "vempty" })))).name).toBe("BucketNotEmpty");
    await s3.send(new DeleteObjectCommand({ Bucket: "vempty", Key: "k", VersionId: put.VersionId }));
    await s3.send(new DeleteBucketCommand({ Bucket: "vempty" }));
  });
});

describe("the null version", () => {
  it("is what an unversioned bucket has; it survives enabling and can be read as versionId=null", async () => {
    const B = "nullv";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: "k", Body: "before" }));
    expect(put.VersionId).toBeUndefined();
    expect(await body(s3.send(new GetObjectCommand({ Bucket: B, Key: "k", VersionId: "null" })))).toBe("before");
    await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Enabled" } }));
    const v = (await s3.send(new PutObjectCommand({ Bucket: B, Key: "k", Body: "after" }))).VersionId!;
    expect(await body(s3.send(new GetObjectCommand({ Bucket: B, Key: "k", VersionId: "null" })))).toBe("before");
    expect((await versionsOf(B)).versions).toEqual([
      { key: "k", id: v, latest: true },
      { key: "k", id: "null", latest: false },
    ]);

    // Suspended: a PUT replaces the null version (wherever it is) and becomes current.
    await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Suspended" } }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "k", Body: "suspended" }));
    expect((await versionsOf(B)).versions).toEqual([
      { key: "k", id: "null", latest: true },
      { key: "k", id: v, latest: false },
    ]);
    expect(await body(s3.send(new GetObjectCommand({ Bucket: B, Key: "k", VersionId: "null" })))).toBe("suspended");

    // Suspended DELETE: a null delete marker replaces the null version.
    const del = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k" }));
    expect([del.DeleteMarker, del.VersionId]).toEqual([true, "null"]);
    const all = await versionsOf(B);
    expect(all.markers).toEqual([{ key: "k", id: "null", latest: true }]);
    expect(all.versions).toEqual([{ key: "k", id: v, latest: false }]);
  });

  it("an unversioned DELETE removes the object for good", async () => {
    const B = "plain-delete";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "k", Body: "x" }));
    const del = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k" }));
    expect(del.DeleteMarker).toBeUndefined();
    expect(await versionsOf(B)).toEqual({ versions: [], markers: [] });
  });
});

describe("ListObjectVersions paging", () => {
  it("pages with KeyMarker / VersionIdMarker across keys and inside one key's history", async () => {
    const B = "vpages";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Enabled" } }));
    const expected: string[] = [];
    for (const key of ["a", "b", "c/1", "c/2"]) {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: `${key}${i}` }))).VersionId!);
      expected.push(...ids.reverse().map((id) => `${key}@${id}`));
    }
    const seen: string[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    for (let page = 0; page < 20; page++) {
      const r = await s3.send(new ListObjectVersionsCommand({ Bucket: B, MaxKeys: 2, KeyMarker, VersionIdMarker }));
      seen.push(...(r.Versions ?? []).map((v) => `${v.Key}@${v.VersionId}`));
      if (!r.IsTruncated) break;
      KeyMarker = r.NextKeyMarker;
      VersionIdMarker = r.NextVersionIdMarker;
    }
    expect(seen).toEqual(expected);

    const grouped = await s3.send(new ListObjectVersionsCommand({ Bucket: B, Delimiter: "/" }));
    expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["c/"]);
    expect(new Set(grouped.Versions!.map((v) => v.Key))).toEqual(new Set(["a", "b"]));
    const bad = await failure(s3.send(new ListObjectVersionsCommand({ Bucket: B, VersionIdMarker: "null" })));
    expect([bad.name, bad.status]).toEqual(["InvalidArgument", 400]);
  });
});
