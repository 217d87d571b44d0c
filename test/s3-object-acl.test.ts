/** S3 object ACLs: Get/PutObjectAcl, ACL headers on writes, enforcement for other accounts and anonymous callers. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateBucketCommand,
  DeletePublicAccessBlockCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  CopyObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";
import { failure, s3Client } from "./s3-objects-helpers.js";

let n: Nimbus;
let s3: S3Client;
const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";

beforeAll(async () => {
  n = await startTestNimbus();
  s3 = s3Client(n);
});
afterAll(async () => {
  await n?.stop();
});

let counter = 0;
/** A bucket with ACLs enabled (ObjectWriter) and, unless `blocked`, no Block Public Access. */
async function aclBucket(blocked = false): Promise<string> {
  const Bucket = `oacl-${counter++}-${Date.now().toString(36)}`;
  await s3.send(new CreateBucketCommand({ Bucket, ObjectOwnership: "ObjectWriter" }));
  if (!blocked) await s3.send(new DeletePublicAccessBlockCommand({ Bucket }));
  return Bucket;
}
const anonymousGet = (b: string, k: string) => fetch(`${n.endpoint}/${b}/${k}`);

describe("S3 object ACLs", () => {
  it("BucketOwnerEnforced (the default) refuses ACLs except bucket-owner-full-control", async () => {
    const Bucket = `oacl-enforced-${Date.now().toString(36)}`;
    await s3.send(new CreateBucketCommand({ Bucket }));
    const refused = await failure(s3.send(new PutObjectCommand({ Bucket, Key: "k", Body: "x", ACL: "public-read" })));
    expect(refused.name).toBe("AccessControlListNotSupported");
    expect(refused.status).toBe(400);
    await s3.send(new PutObjectCommand({ Bucket, Key: "k", Body: "x", ACL: "bucket-owner-full-control" }));
    expect((await failure(s3.send(new PutObjectAclCommand({ Bucket, Key: "k", ACL: "private" })))).name).toBe("AccessControlListNotSupported");
    const acl = await s3.send(new GetObjectAclCommand({ Bucket, Key: "k" }));
    expect(acl.Grants).toEqual([{ Grantee: { Type: "CanonicalUser", ID: acl.Owner!.ID, DisplayName: acl.Owner!.DisplayName }, Permission: "FULL_CONTROL" }]);
  });

  it("public-read objects are readable anonymously; private ones are not", async () => {
    const b = await aclBucket();
    await s3.send(new PutObjectCommand({ Bucket: b, Key: "pub.txt", Body: "hello", ACL: "public-read" }));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: "priv.txt", Body: "secret" }));
    const pub = await anonymousGet(b, "pub.txt");
    expect(pub.status).toBe(200);
    expect(await pub.text()).toBe("hello");
    expect((await anonymousGet(b, "priv.txt")).status).toBe(403);

    const acl = await s3.send(new GetObjectAclCommand({ Bucket: b, Key: "pub.txt" }));
    expect(acl.Grants?.some((g) => g.Grantee?.URI === ALL_USERS && g.Permission === "READ")).toBe(true);

    // PutObjectAcl flips it.
    await s3.send(new PutObjectAclCommand({ Bucket: b, Key: "pub.txt", ACL: "private" }));
    expect((await anonymousGet(b, "pub.txt")).status).toBe(403);
    await s3.send(new PutObjectAclCommand({ Bucket: b, Key: "priv.txt", GrantRead: `uri="${ALL_USERS}"` }));
    expect((await anonymousGet(b, "priv.txt")).status).toBe(200);
    // A copy does not take the source's ACL.
    await s3.send(new CopyObjectCommand({ Bucket: b, Key: "copy.txt", CopySource: `${b}/priv.txt` }));
    expect((await anonymousGet(b, "copy.txt")).status).toBe(403);
  });

  it("Block Public Access: BlockPublicAcls refuses public ACLs, IgnorePublicAcls ignores them", async () => {
    const b = await aclBucket();
    await s3.send(new PutObjectCommand({ Bucket: b, Key: "p", Body: "x", ACL: "public-read" }));
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: b,
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false },
      }),
    );
    const refused = await failure(s3.send(new PutObjectCommand({ Bucket: b, Key: "q", Body: "x", ACL: "public-read" })));
    expect(refused.name).toBe("AccessDenied");
    expect((await failure(s3.send(new PutObjectAclCommand({ Bucket: b, Key: "p", ACL: "public-read-write" })))).name).toBe("AccessDenied");
    expect((await anonymousGet(b, "p")).status).toBe(200);
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: b,
        PublicAccessBlockConfiguration: { BlockPublicAcls: false, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false },
      }),
    );
    expect((await anonymousGet(b, "p")).status).toBe(403);
  });

  it("grants to another account let it read that object only", async () => {
    const res = await fetch(`${n.endpoint}/_nimbus/accounts`, { method: "POST", body: JSON.stringify({ email: "acl-partner@example.com" }) });
    const other = (await res.json()) as { accessKeyId: string; secretAccessKey: string; accountId: string };
    const partner = new S3Client({ ...sdkConfig(n), credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey }, forcePathStyle: true });
    const b = await aclBucket(true);
    const id = other.accountId.padStart(64, "0");
    await s3.send(new PutObjectCommand({ Bucket: b, Key: "shared", Body: "for you", GrantRead: `id="${id}"` }));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: "mine", Body: "not for you" }));
    const got = await partner.send(new GetObjectCommand({ Bucket: b, Key: "shared" }));
    expect(await got.Body!.transformToString()).toBe("for you");
    expect((await failure(partner.send(new GetObjectCommand({ Bucket: b, Key: "mine" })))).name).toBe("AccessDenied");
    // READ does not include READ_ACP.
    expect((await failure(partner.send(new GetObjectAclCommand({ Bucket: b, Key: "shared" })))).name).toBe("AccessDenied");
  });

  it("refuses bad input with S3's errors", async () => {
    const b = await aclBucket();
    await s3.send(new PutObjectCommand({ Bucket: b, Key: "k", Body: "x" }));
    const both = await failure(s3.send(new PutObjectAclCommand({ Bucket: b, Key: "k", ACL: "private", GrantRead: `uri="${ALL_USERS}"` })));
    expect(both.name).toBe("InvalidRequest");
    const badCanned = await failure(s3.send(new PutObjectCommand({ Bucket: b, Key: "k2", Body: "x", ACL: "everyone-please" as never })));
    expect(badCanned.name).toBe("InvalidArgument");
    expect((await failure(s3.send(new GetObjectAclCommand({ Bucket: b, Key: "missing" })))).name).toBe("NoSuchKey");
    expect((await failure(s3.send(new GetObjectAclCommand({ Bucket: "oacl-no-such-bucket", Key: "k" })))).name).toBe("NoSuchBucket");
  });

  it("works from the AWS CLI and boto3", async () => {
    const b = await aclBucket();
    await s3.send(new PutObjectCommand({ Bucket: b, Key: "cli", Body: "x" }));
    const set = await awsCli(n, ["s3api", "put-object-acl", "--bucket", b, "--key", "cli", "--acl", "public-read"]);
    expect(set.code, set.stderr).toBe(0);
    expect((await anonymousGet(b, "cli")).status).toBe(200);
    const py = await boto3(n, `print(json.dumps([g['Permission'] for g in client('s3').get_object_acl(Bucket=${JSON.stringify(b)}, Key='cli')['Grants']]))`);
    expect(py.code, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toEqual(["FULL_CONTROL", "READ"]);
  });
});
