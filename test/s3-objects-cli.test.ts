/**
 * The S3 object API through the AWS CLI (`aws s3 cp/ls/rm`, `aws s3api ...`) and boto3, with
 * AWS's error codes for bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let dir: string;

beforeAll(async () => {
  n = await startTestNimbus();
  dir = await mkdtemp(join(tmpdir(), "nimbus-s3cli-"));
  const mb = await awsCli(n, ["s3api", "create-bucket", "--bucket", "cli-objects"]);
  expect(mb.code, mb.stderr).toBe(0);
});
afterAll(async () => {
  await n.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("AWS CLI", () => {
  it("aws s3 cp / ls / rm round-trips files", async () => {
    const src = join(dir, "hello file.txt");
    await writeFile(src, "hello from the cli\n");
    const up = await awsCli(n, ["s3", "cp", src, "s3://cli-objects/dir/hello file.txt"]);
    expect(up.code, up.stderr).toBe(0);
    const up2 = await awsCli(n, ["s3", "cp", src, "s3://cli-objects/dir/sub/other.txt"]);
    expect(up2.code, up2.stderr).toBe(0);
    const ls = await awsCli(n, ["s3", "ls", "s3://cli-objects/dir/"]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toContain("hello file.txt");
    expect(ls.stdout).toContain("PRE sub/");
    const rec = await awsCli(n, ["s3", "ls", "--recursive", "s3://cli-objects/"]);
    expect(rec.stdout).toContain("dir/sub/other.txt");
    const dst = join(dir, "back.txt");
    const down = await awsCli(n, ["s3", "cp", "s3://cli-objects/dir/hello file.txt", dst]);
    expect(down.code, down.stderr).toBe(0);
    expect(await readFile(dst, "utf8")).toBe("hello from the cli\n");
    const del = await awsCli(n, ["s3", "rm", "--recursive", "s3://cli-objects/dir/"]);
    expect(del.code, del.stderr).toBe(0);
    const after = await awsCli(n, ["s3api", "list-objects-v2", "--bucket", "cli-objects", "--prefix", "dir/"]);
    expect(JSON.parse(after.stdout || "{}").KeyCount ?? 0).toBe(0);
  });

  it("aws s3api put-object / head-object / get-object with checksums, metadata and ranges", async () => {
    const file = join(dir, "data.bin");
    await writeFile(file, Buffer.alloc(1000, 3));
    const put = await awsCli(n, [
      "s3api", "put-object", "--bucket", "cli-objects", "--key", "data.bin", "--body", file,
      "--checksum-algorithm", "SHA256", "--metadata", "owner=cli", "--content-type", "application/x-test", "--tagging", "a=1",
    ]);
    expect(put.code, put.stderr).toBe(0);
    expect(JSON.parse(put.stdout).ChecksumSHA256).toBeTruthy();
    const head = await awsCli(n, ["s3api", "head-object", "--bucket", "cli-objects", "--key", "data.bin", "--checksum-mode", "ENABLED"]);
    const h = JSON.parse(head.stdout);
    expect(h.ContentLength).toBe(1000);
    expect(h.Metadata).toEqual({ owner: "cli" });
    expect(h.ContentType).toBe("application/x-test");
    expect(h.ChecksumSHA256).toBe(JSON.parse(put.stdout).ChecksumSHA256);
    const out = join(dir, "part.bin");
    const get = await awsCli(n, ["s3api", "get-object", "--bucket", "cli-objects", "--key", "data.bin", "--range", "bytes=10-19", out]);
    expect(get.code, get.stderr).toBe(0);
    expect(JSON.parse(get.stdout).ContentRange).toBe("bytes 10-19/1000");
    expect((await readFile(out)).length).toBe(10);
    const bad = await awsCli(n, ["s3api", "get-object", "--bucket", "cli-objects", "--key", "data.bin", "--range", "bytes=5000-", out]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("InvalidRange");
    const missing = await awsCli(n, ["s3api", "get-object", "--bucket", "cli-objects", "--key", "nope", out]);
    expect(missing.stderr).toContain("NoSuchKey");
    const tags = await awsCli(n, ["s3api", "get-object-tagging", "--bucket", "cli-objects", "--key", "data.bin"]);
    expect(JSON.parse(tags.stdout).TagSet).toEqual([{ Key: "a", Value: "1" }]);
  });

  it("aws s3api versioning, list-object-versions and delete-objects", async () => {
    await awsCli(n, ["s3api", "create-bucket", "--bucket", "cli-versions"]);
    const on = await awsCli(n, ["s3api", "put-bucket-versioning", "--bucket", "cli-versions", "--versioning-configuration", "Status=Enabled"]);
    expect(on.code, on.stderr).toBe(0);
    const get = await awsCli(n, ["s3api", "get-bucket-versioning", "--bucket", "cli-versions"]);
    expect(JSON.parse(get.stdout).Status).toBe("Enabled");
    const file = join(dir, "v.txt");
    await writeFile(file, "v");
    for (let i = 0; i < 2; i++) await awsCli(n, ["s3api", "put-object", "--bucket", "cli-versions", "--key", "k", "--body", file]);
    await awsCli(n, ["s3api", "delete-object", "--bucket", "cli-versions", "--key", "k"]);
    const lv = JSON.parse((await awsCli(n, ["s3api", "list-object-versions", "--bucket", "cli-versions"])).stdout);
    expect(lv.Versions).toHaveLength(2);
    expect(lv.DeleteMarkers).toHaveLength(1);
    const objects = [...lv.Versions, ...lv.DeleteMarkers].map((v: { Key: string; VersionId: string }) => ({ Key: v.Key, VersionId: v.VersionId }));
    const del = await awsCli(n, ["s3api", "delete-objects", "--bucket", "cli-versions", "--delete", JSON.stringify({ Objects: objects })]);
    expect(del.code, del.stderr).toBe(0);
    expect(JSON.parse(del.stdout).Deleted).toHaveLength(3);
    const rb = await awsCli(n, ["s3api", "delete-bucket", "--bucket", "cli-versions"]);
    expect(rb.code, rb.stderr).toBe(0);
  });

  it("aws s3api refuses bad input with AWS's codes", async () => {
    const file = join(dir, "x.txt");
    await writeFile(file, "x");
    const sc = await awsCli(n, ["s3api", "put-object", "--bucket", "cli-objects", "--key", "x", "--body", file, "--storage-class", "NOPE"]);
    expect(sc.stderr).toContain("InvalidStorageClass");
    const md5 = await awsCli(n, ["s3api", "put-object", "--bucket", "cli-objects", "--key", "x", "--body", file, "--content-md5", "AAAAAAAAAAAAAAAAAAAAAA=="]);
    expect(md5.stderr).toContain("BadDigest");
    const copy = await awsCli(n, ["s3api", "copy-object", "--bucket", "cli-objects", "--key", "x2", "--copy-source", "cli-objects/absent"]);
    expect(copy.stderr).toContain("NoSuchKey");
  });
});

describe("boto3", () => {
  it("puts, reads, copies, pages and deletes objects", async () => {
    const r = await boto3(
      n,
      [
        "s3 = client('s3')",
        "s3.create_bucket(Bucket='boto-objects')",
        "put = s3.put_object(Bucket='boto-objects', Key='a b/c+d.txt', Body=b'boto body', Metadata={'k': 'v'})",
        "got = s3.get_object(Bucket='boto-objects', Key='a b/c+d.txt')",
        "assert got['Body'].read() == b'boto body'",
        "assert got['Metadata'] == {'k': 'v'}",
        "for i in range(5): s3.put_object(Bucket='boto-objects', Key=f'page/{i}', Body=b'x')",
        "# botocore asks for encoding-type=url itself and decodes with unquote_plus",
        "pages = s3.get_paginator('list_objects_v2').paginate(Bucket='boto-objects', PaginationConfig={'PageSize': 2})",
        "keys = [c['Key'] for p in pages for c in p.get('Contents', [])]",
        "assert keys == ['a b/c+d.txt'] + [f'page/{i}' for i in range(5)], keys",
        "s3.copy_object(Bucket='boto-objects', Key='copy', CopySource={'Bucket': 'boto-objects', 'Key': 'a b/c+d.txt'})",
        "assert s3.get_object(Bucket='boto-objects', Key='copy')['Body'].read() == b'boto body'",
        "rng = s3.get_object(Bucket='boto-objects', Key='copy', Range='bytes=0-3')",
        "assert rng['Body'].read() == b'boto' and rng['ResponseMetadata']['HTTPStatusCode'] == 206",
        "codes = {}",
        "def code(f):",
        "    try:",
        "        f()",
        "    except botocore.exceptions.ClientError as e:",
        "        return e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']",
        "codes['missing'] = code(lambda: s3.get_object(Bucket='boto-objects', Key='nope'))",
        "codes['head'] = code(lambda: s3.head_object(Bucket='boto-objects', Key='nope'))",
        "codes['class'] = code(lambda: s3.put_object(Bucket='boto-objects', Key='copy', Body=b'z', StorageClass='NOPE'))",
        "codes['match'] = code(lambda: s3.get_object(Bucket='boto-objects', Key='copy', IfMatch='\"nope\"'))",
        "codes['notmod'] = code(lambda: s3.get_object(Bucket='boto-objects', Key='copy', IfNoneMatch=put['ETag']))",
        "codes['self'] = code(lambda: s3.copy_object(Bucket='boto-objects', Key='copy', CopySource='boto-objects/copy'))",
        "codes['toolong'] = code(lambda: s3.put_object(Bucket='boto-objects', Key='k' * 1025, Body=b'x'))",
        "d = s3.delete_objects(Bucket='boto-objects', Delete={'Objects': [{'Key': 'copy'}, {'Key': 'page/0'}]})",
        "codes['deleted'] = sorted(x['Key'] for x in d['Deleted'])",
        "print(json.dumps(codes))",
      ].join("\n"),
    );
    expect(r.code, r.stderr).toBe(0);
    const codes = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(codes).toEqual({
      missing: ["NoSuchKey", 404],
      head: ["404", 404],
      class: ["InvalidStorageClass", 400],
      match: ["PreconditionFailed", 412],
      notmod: ["304", 304],
      self: ["InvalidRequest", 400],
      toolong: ["KeyTooLongError", 400],
      deleted: ["copy", "page/0"],
    });
  });
});
