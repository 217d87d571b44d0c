/**
 * S3 bucket configuration through the SDK for JavaScript v3: every Put/Get/Delete pair, the
 * defaults of a new bucket, and bad input answered with S3's own error code and status.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  S3Client,
  CreateBucketCommand,
  DeleteBucketCommand,
  PutBucketTaggingCommand,
  GetBucketTaggingCommand,
  DeleteBucketTaggingCommand,
  PutBucketCorsCommand,
  GetBucketCorsCommand,
  DeleteBucketCorsCommand,
  PutBucketEncryptionCommand,
  GetBucketEncryptionCommand,
  DeleteBucketEncryptionCommand,
  PutBucketOwnershipControlsCommand,
  GetBucketOwnershipControlsCommand,
  DeleteBucketOwnershipControlsCommand,
  PutPublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  DeletePublicAccessBlockCommand,
  PutBucketAclCommand,
  GetBucketAclCommand,
  PutBucketPolicyCommand,
  GetBucketPolicyCommand,
  DeleteBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  PutBucketRequestPaymentCommand,
  GetBucketRequestPaymentCommand,
  PutBucketLoggingCommand,
  GetBucketLoggingCommand,
  PutBucketLifecycleConfigurationCommand,
  GetBucketLifecycleConfigurationCommand,
  DeleteBucketLifecycleCommand,
  PutBucketNotificationConfigurationCommand,
  GetBucketNotificationConfigurationCommand,
  PutBucketReplicationCommand,
  GetBucketReplicationCommand,
  DeleteBucketReplicationCommand,
  PutBucketWebsiteCommand,
  GetBucketWebsiteCommand,
  DeleteBucketWebsiteCommand,
  PutObjectLockConfigurationCommand,
  GetObjectLockConfigurationCommand,
  PutBucketAccelerateConfigurationCommand,
  GetBucketAccelerateConfigurationCommand,
  type LifecycleRule,
} from "@aws-sdk/client-s3";
import type { Nimbus } from "../src/index.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteMetadataStore } from "../src/storage/sqlite-metadata-store.js";
import { BucketStore } from "../src/services/s3/store.js";
import { BucketConfigStore, getDefaultEncryption, getLifecycleConfiguration, getObjectOwnership } from "../src/services/s3/bucket-config-store.js";
import { validateLifecycle } from "../src/services/s3/lifecycle.js";

let n: Nimbus;
let s3: S3Client;
beforeAll(async () => {
  n = await startTestNimbus();
  s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
});
afterAll(async () => {
  await n.stop();
});

type AwsError = { name: string; message: string; $metadata: { httpStatusCode?: number } };
const fail = (p: Promise<unknown>) => p.then(() => ({ name: "no error", message: "", $metadata: {} }) as AwsError, (e: unknown) => e as AwsError);
async function expectError(p: Promise<unknown>, code: string, status: number, message?: string | RegExp) {
  const e = await fail(p);
  expect(e.name, e.message).toBe(code);
  expect(e.$metadata.httpStatusCode).toBe(status);
  if (message !== undefined) expect(e.message).toMatch(message);
}

let counter = 0;
async function bucket(extra: Partial<ConstructorParameters<typeof CreateBucketCommand>[0]> = {}): Promise<string> {
  const name = `cfg-${Date.now().toString(36)}-${counter++}`;
  await s3.send(new CreateBucketCommand({ Bucket: name, ...extra }));
  return name;
}

describe("defaults of a new bucket", () => {
  it("has SSE-S3 default encryption, BucketOwnerEnforced, all four Block Public Access settings and a private ACL", async () => {
    const b = await bucket();
    const enc = await s3.send(new GetBucketEncryptionCommand({ Bucket: b }));
    expect(enc.ServerSideEncryptionConfiguration?.Rules).toEqual([
      { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false },
    ]);
    const own = await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: b }));
    expect(own.OwnershipControls?.Rules).toEqual([{ ObjectOwnership: "BucketOwnerEnforced" }]);
    const pab = await s3.send(new GetPublicAccessBlockCommand({ Bucket: b }));
    expect(pab.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: b }));
    expect(acl.Owner?.ID).toBe("0".repeat(64));
    expect(acl.Grants).toEqual([{ Grantee: { Type: "CanonicalUser", ID: "0".repeat(64), DisplayName: "account-000000000000" }, Permission: "FULL_CONTROL" }]);
    expect((await s3.send(new GetBucketRequestPaymentCommand({ Bucket: b }))).Payer).toBe("BucketOwner");
    expect((await s3.send(new GetBucketLoggingCommand({ Bucket: b }))).LoggingEnabled).toBeUndefined();
    expect((await s3.send(new GetBucketAccelerateConfigurationCommand({ Bucket: b }))).Status).toBeUndefined();
    const notif = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: b }));
    expect(notif.QueueConfigurations ?? []).toEqual([]);
  });

  it("answers each unset configuration with S3's own not-found error", async () => {
    const b = await bucket();
    await expectError(s3.send(new GetBucketTaggingCommand({ Bucket: b })), "NoSuchTagSet", 404, "The TagSet does not exist");
    await expectError(s3.send(new GetBucketCorsCommand({ Bucket: b })), "NoSuchCORSConfiguration", 404, "The CORS configuration does not exist");
    await expectError(s3.send(new GetBucketPolicyCommand({ Bucket: b })), "NoSuchBucketPolicy", 404, "The bucket policy does not exist");
    await expectError(s3.send(new GetBucketPolicyStatusCommand({ Bucket: b })), "NoSuchBucketPolicy", 404);
    await expectError(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: b })), "NoSuchLifecycleConfiguration", 404);
    await expectError(s3.send(new GetBucketWebsiteCommand({ Bucket: b })), "NoSuchWebsiteConfiguration", 404);
    await expectError(s3.send(new GetBucketReplicationCommand({ Bucket: b })), "ReplicationConfigurationNotFoundError", 404);
    await expectError(s3.send(new GetObjectLockConfigurationCommand({ Bucket: b })), "ObjectLockConfigurationNotFoundError", 404);
  });

  it("answers NoSuchBucket for a bucket that does not exist, and AccessDenied for a wrong expected owner", async () => {
    await expectError(s3.send(new GetBucketTaggingCommand({ Bucket: "no-such-bucket-cfg" })), "NoSuchBucket", 404);
    await expectError(s3.send(new PutBucketCorsCommand({ Bucket: "no-such-bucket-cfg", CORSConfiguration: { CORSRules: [{ AllowedMethods: ["GET"], AllowedOrigins: ["*"] }] } })), "NoSuchBucket", 404);
    const b = await bucket();
    await expectError(s3.send(new GetBucketEncryptionCommand({ Bucket: b, ExpectedBucketOwner: "111122223333" })), "AccessDenied", 403);
    await s3.send(new GetBucketEncryptionCommand({ Bucket: b, ExpectedBucketOwner: "000000000000" }));
  });

  it("forgets a deleted bucket's configuration", async () => {
    const b = await bucket();
    await s3.send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: [{ Key: "k", Value: "v" }] } }));
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: b }));
    await s3.send(new DeleteBucketCommand({ Bucket: b }));
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    await expectError(s3.send(new GetBucketTaggingCommand({ Bucket: b })), "NoSuchTagSet", 404);
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: b }))).PublicAccessBlockConfiguration?.BlockPublicAcls).toBe(true);
  });
});

describe("tagging", () => {
  it("puts, gets and deletes a tag set", async () => {
    const b = await bucket();
    const put = await s3.send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: [{ Key: "env", Value: "dev" }, { Key: "team", Value: "" }] } }));
    expect(put.$metadata.httpStatusCode).toBe(204);
    const got = await s3.send(new GetBucketTaggingCommand({ Bucket: b }));
    expect(got.TagSet).toEqual([{ Key: "env", Value: "dev" }, { Key: "team", Value: "" }]);
    const del = await s3.send(new DeleteBucketTaggingCommand({ Bucket: b }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expectError(s3.send(new GetBucketTaggingCommand({ Bucket: b })), "NoSuchTagSet", 404);
  });

  it("refuses bad tag sets and keeps the old one", async () => {
    const b = await bucket();
    await s3.send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: [{ Key: "keep", Value: "me" }] } }));
    const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: tags(50) } }));
    await expectError(s3.send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: tags(51) } })), "BadRequest", 400, "Bucket tag count cannot be greater than 50");
    const put = (TagSet: { Key: string; Value: string }[]) => s3.send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet } }));
    await expectError(put([{ Key: "a", Value: "1" }, { Key: "a", Value: "2" }]), "InvalidTag", 400, "Cannot provide multiple Tags with the same key");
    await expectError(put([{ Key: "x".repeat(129), Value: "1" }]), "InvalidTag", 400, /TagKey/);
    await expectError(put([{ Key: "k", Value: "v".repeat(257) }]), "InvalidTag", 400, /TagValue/);
    await expectError(put([{ Key: "bad#key", Value: "1" }]), "InvalidTag", 400, "The TagKey you have provided is invalid");
    await expectError(put([{ Key: "aws:mine", Value: "1" }]), "InvalidTag", 400);
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: b }))).TagSet).toHaveLength(50);
  });
});

describe("CORS", () => {
  it("puts, gets and deletes rules", async () => {
    const b = await bucket();
    const rules = [
      { ID: "web", AllowedOrigins: ["https://*.example.com", "http://localhost:3000"], AllowedMethods: ["GET", "PUT"], AllowedHeaders: ["x-amz-*", "Content-Type"], ExposeHeaders: ["ETag"], MaxAgeSeconds: 3000 },
      { AllowedOrigins: ["*"], AllowedMethods: ["HEAD"] },
    ];
    await s3.send(new PutBucketCorsCommand({ Bucket: b, CORSConfiguration: { CORSRules: rules } }));
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: b }))).CORSRules).toEqual(rules);
    expect((await s3.send(new DeleteBucketCorsCommand({ Bucket: b }))).$metadata.httpStatusCode).toBe(204);
    await expectError(s3.send(new GetBucketCorsCommand({ Bucket: b })), "NoSuchCORSConfiguration", 404);
    // Deleting again is fine.
    await s3.send(new DeleteBucketCorsCommand({ Bucket: b }));
  });

  it("refuses unsupported methods, origins with two wildcards and more than 100 rules", async () => {
    const b = await bucket();
    const put = (CORSRules: { AllowedOrigins: string[]; AllowedMethods: string[]; AllowedHeaders?: string[] }[]) =>
      s3.send(new PutBucketCorsCommand({ Bucket: b, CORSConfiguration: { CORSRules } }));
    await expectError(put([{ AllowedOrigins: ["*"], AllowedMethods: ["OPTIONS"] }]), "InvalidRequest", 400, "Found unsupported HTTP method in CORS config. Unsupported method is OPTIONS");
    await expectError(put([{ AllowedOrigins: ["http://*.*.com"], AllowedMethods: ["GET"] }]), "InvalidRequest", 400, 'AllowedOrigin "http://*.*.com" can not have more than one wildcard.');
    await expectError(put([{ AllowedOrigins: ["*"], AllowedMethods: ["GET"], AllowedHeaders: ["*-*"] }]), "InvalidRequest", 400);
    await expectError(put(Array.from({ length: 101 }, () => ({ AllowedOrigins: ["*"], AllowedMethods: ["GET"] }))), "InvalidRequest", 400);
    await expectError(put([]), "MalformedXML", 400);
    await expectError(s3.send(new GetBucketCorsCommand({ Bucket: b })), "NoSuchCORSConfiguration", 404);
  });
});

describe("default encryption", () => {
  it("keeps SSE-KMS, DSSE and bucket keys, and goes back to SSE-S3 when deleted", async () => {
    const b = await bucket();
    const rule = { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" as const, KMSMasterKeyID: "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab" }, BucketKeyEnabled: true };
    await s3.send(new PutBucketEncryptionCommand({ Bucket: b, ServerSideEncryptionConfiguration: { Rules: [rule] } }));
    expect((await s3.send(new GetBucketEncryptionCommand({ Bucket: b }))).ServerSideEncryptionConfiguration?.Rules).toEqual([rule]);
    await s3.send(new PutBucketEncryptionCommand({ Bucket: b, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms:dsse" } }] } }));
    expect((await s3.send(new GetBucketEncryptionCommand({ Bucket: b }))).ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe("aws:kms:dsse");
    expect((await s3.send(new DeleteBucketEncryptionCommand({ Bucket: b }))).$metadata.httpStatusCode).toBe(204);
    expect((await s3.send(new GetBucketEncryptionCommand({ Bucket: b }))).ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe("AES256");
  });

  it("refuses a KMS key with AES256 and an unknown algorithm", async () => {
    const b = await bucket();
    await expectError(
      s3.send(new PutBucketEncryptionCommand({ Bucket: b, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256", KMSMasterKeyID: "k" } }] } })),
      "InvalidArgument",
      400,
    );
    await expectError(
      s3.send(new PutBucketEncryptionCommand({ Bucket: b, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "DES" as "AES256" } }] } })),
      "MalformedXML",
      400,
    );
  });
});

describe("Object Ownership and ACLs", () => {
  it("switches ownership, deletes the controls, and refuses ACLs while BucketOwnerEnforced", async () => {
    const b = await bucket();
    await expectError(s3.send(new PutBucketAclCommand({ Bucket: b, ACL: "public-read" })), "AccessControlListNotSupported", 400, "The bucket does not allow ACLs");
    // The owner's full control is all BucketOwnerEnforced allows, and it may be set.
    await s3.send(new PutBucketAclCommand({ Bucket: b, ACL: "private" }));
    // (Not in the SDK's bucket ACL enum, but S3 takes it for a bucket.)
    await s3.send(new PutBucketAclCommand({ Bucket: b, ACL: "bucket-owner-full-control" as "private" }));
    await s3.send(new PutBucketOwnershipControlsCommand({ Bucket: b, OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerPreferred" }] } }));
    expect((await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: b }))).OwnershipControls?.Rules?.[0]?.ObjectOwnership).toBe("BucketOwnerPreferred");
    expect((await s3.send(new DeleteBucketOwnershipControlsCommand({ Bucket: b }))).$metadata.httpStatusCode).toBe(204);
    await expectError(s3.send(new GetBucketOwnershipControlsCommand({ Bucket: b })), "OwnershipControlsNotFoundError", 404);
    await expectError(
      s3.send(new PutBucketOwnershipControlsCommand({ Bucket: b, OwnershipControls: { Rules: [{ ObjectOwnership: "Nobody" as "ObjectWriter" }] } })),
      "MalformedXML",
      400,
    );
  });

  it("sets canned ACLs, grant headers and AccessControlPolicy documents once ACLs are enabled, within Block Public Access", async () => {
    const b = await bucket({ ObjectOwnership: "ObjectWriter" });
    // Block Public Access (on by default) refuses public grants.
    await expectError(s3.send(new PutBucketAclCommand({ Bucket: b, ACL: "public-read" })), "AccessDenied", 403);
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: b, PublicAccessBlockConfiguration: { BlockPublicAcls: false, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } }));
    await s3.send(new PutBucketAclCommand({ Bucket: b, ACL: "public-read" }));
    let acl = await s3.send(new GetBucketAclCommand({ Bucket: b }));
    expect(acl.Grants).toContainEqual({ Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers" }, Permission: "READ" });

    await s3.send(new PutBucketAclCommand({ Bucket: b, GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"', GrantFullControl: `id="${"0".repeat(64)}"` }));
    acl = await s3.send(new GetBucketAclCommand({ Bucket: b }));
    expect(acl.Grants?.map((g) => g.Permission).sort()).toEqual(["FULL_CONTROL", "READ"]);

    await s3.send(
      new PutBucketAclCommand({
        Bucket: b,
        AccessControlPolicy: {
          Owner: { ID: "0".repeat(64) },
          Grants: [
            { Grantee: { Type: "CanonicalUser", ID: "0".repeat(64) }, Permission: "FULL_CONTROL" },
            { Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/s3/LogDelivery" }, Permission: "WRITE" },
          ],
        },
      }),
    );
    acl = await s3.send(new GetBucketAclCommand({ Bucket: b }));
    expect(acl.Grants).toContainEqual({ Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/s3/LogDelivery" }, Permission: "WRITE" });

    await expectError(s3.send(new PutBucketAclCommand({ Bucket: b, ACL: "public-read", GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' })), "InvalidRequest", 400);
    await expectError(s3.send(new PutBucketAclCommand({ Bucket: b, GrantRead: 'uri="http://example.com/group"' })), "InvalidArgument", 400);
    await expectError(s3.send(new PutBucketAclCommand({ Bucket: b, GrantRead: `id="${"a".repeat(64)}"` })), "InvalidArgument", 400);
    await expectError(s3.send(new PutBucketAclCommand({ Bucket: b, ACL: "everyone" as "private" })), "InvalidArgument", 400);
    // Back to BucketOwnerEnforced only once the ACL is private again.
    await expectError(
      s3.send(new PutBucketOwnershipControlsCommand({ Bucket: b, OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] } })),
      "InvalidBucketAclWithObjectOwnership",
      400,
    );
    await s3.send(new PutBucketAclCommand({ Bucket: b, ACL: "private" }));
    await s3.send(new PutBucketOwnershipControlsCommand({ Bucket: b, OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] } }));
  });

  it("honours CreateBucket's ACL and ownership headers the way S3 does since April 2023", async () => {
    const name = `cfg-acl-${Date.now().toString(36)}`;
    await expectError(s3.send(new CreateBucketCommand({ Bucket: name, ACL: "public-read" })), "InvalidBucketAclWithObjectOwnership", 400);
    await expectError(
      s3.send(new CreateBucketCommand({ Bucket: name, ACL: "public-read", ObjectOwnership: "ObjectWriter" })),
      "InvalidBucketAclWithBlockPublicAccessError",
      400,
    );
    // Nothing was created by the refusals.
    await expectError(s3.send(new GetBucketAclCommand({ Bucket: name })), "NoSuchBucket", 404);
    await s3.send(new CreateBucketCommand({ Bucket: name, ACL: "log-delivery-write" as "private", ObjectOwnership: "BucketOwnerPreferred" }));
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: name }));
    expect(acl.Grants).toContainEqual({ Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/s3/LogDelivery" }, Permission: "WRITE" });
    expect((await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: name }))).OwnershipControls?.Rules?.[0]?.ObjectOwnership).toBe("BucketOwnerPreferred");
    const private_ = await bucket({ ACL: "private" });
    expect((await s3.send(new GetBucketAclCommand({ Bucket: private_ }))).Grants).toHaveLength(1);
  });
});

describe("Block Public Access", () => {
  it("puts (missing settings are false), gets and deletes the bucket's settings", async () => {
    const b = await bucket();
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: b, PublicAccessBlockConfiguration: { BlockPublicPolicy: true } }));
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: b }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: false,
      IgnorePublicAcls: false,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: false,
    });
    expect((await s3.send(new DeletePublicAccessBlockCommand({ Bucket: b }))).$metadata.httpStatusCode).toBe(204);
    await expectError(s3.send(new GetPublicAccessBlockCommand({ Bucket: b })), "NoSuchPublicAccessBlockConfiguration", 404);
  });
});

describe("bucket policy", () => {
  const policyFor = (b: string, statement: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });

  it("puts, gets, reports status and deletes", async () => {
    const b = await bucket();
    const policy = policyFor(b, { Sid: "ReadOnlyForAccount", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: ["s3:GetObject"], Resource: `arn:aws:s3:::${b}/*` });
    const put = await s3.send(new PutBucketPolicyCommand({ Bucket: b, Policy: policy }));
    expect(put.$metadata.httpStatusCode).toBe(204);
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket: b }))).Policy).toBe(policy);
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: b }))).PolicyStatus?.IsPublic).toBe(false);
    expect((await s3.send(new DeleteBucketPolicyCommand({ Bucket: b }))).$metadata.httpStatusCode).toBe(204);
    await expectError(s3.send(new GetBucketPolicyCommand({ Bucket: b })), "NoSuchBucketPolicy", 404);
  });

  it("refuses public policies while BlockPublicPolicy is on, and calls them public once allowed", async () => {
    const b = await bucket();
    const pub = policyFor(b, { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${b}/*` });
    await expectError(
      s3.send(new PutBucketPolicyCommand({ Bucket: b, Policy: pub })),
      "AccessDenied",
      403,
      `User: arn:aws:iam::000000000000:root is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::${b}" because public policies are blocked by the BlockPublicPolicy block public access setting.`,
    );
    // A condition pinning the source keeps "*" from being public.
    const pinned = policyFor(b, { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${b}/*`, Condition: { StringEquals: { "aws:SourceVpce": "vpce-1a2b3c4d" } } });
    await s3.send(new PutBucketPolicyCommand({ Bucket: b, Policy: pinned }));
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: b }))).PolicyStatus?.IsPublic).toBe(false);
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: b, PublicAccessBlockConfiguration: { BlockPublicPolicy: false } }));
    await s3.send(new PutBucketPolicyCommand({ Bucket: b, Policy: pub }));
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: b }))).PolicyStatus?.IsPublic).toBe(true);
  });

  it("validates documents the way S3 does", async () => {
    const b = await bucket();
    const put = (Policy: string) => s3.send(new PutBucketPolicyCommand({ Bucket: b, Policy }));
    const good = { Effect: "Allow", Principal: { AWS: "111122223333" }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${b}/*` };
    await expectError(put("not json"), "MalformedPolicy", 400, "Policies must be valid JSON and the first byte must be '{'");
    await expectError(put(policyFor(b, { ...good, Resource: "arn:aws:s3:::some-other-bucket/*" })), "MalformedPolicy", 400, "Policy has invalid resource");
    await expectError(put(policyFor(b, { ...good, Principal: undefined })), "MalformedPolicy", 400, "Missing required field Principal");
    await expectError(put(policyFor(b, { ...good, Principal: { AWS: "not-an-arn" } })), "MalformedPolicy", 400, "Invalid principal in policy");
    await expectError(put(policyFor(b, { ...good, Action: "s3:GetObjectt" })), "MalformedPolicy", 400, "Policy has invalid action");
    await expectError(put(policyFor(b, { ...good, Action: "sqs:SendMessage" })), "MalformedPolicy", 400, "Policy has invalid action");
    await expectError(put(policyFor(b, { ...good, Resource: `arn:aws:s3:::${b}` })), "MalformedPolicy", 400, "Action does not apply to any resource(s) in statement");
    await expectError(put(policyFor(b, { ...good, Effect: "Maybe" })), "MalformedPolicy", 400);
    const big = policyFor(b, { ...good, Sid: "x".repeat(21 * 1024) });
    await expectError(put(big), "PolicyTooLarge", 400);
    await expectError(s3.send(new GetBucketPolicyCommand({ Bucket: b })), "NoSuchBucketPolicy", 404);
    // Wildcards that cover bucket-level actions apply to the bucket ARN.
    await put(policyFor(b, { ...good, Action: ["s3:List*", "s3:GetBucket*"], Resource: `arn:aws:s3:::${b}` }));
  });
});

describe("request payment, logging and acceleration", () => {
  it("sets and reads request payment", async () => {
    const b = await bucket();
    await s3.send(new PutBucketRequestPaymentCommand({ Bucket: b, RequestPaymentConfiguration: { Payer: "Requester" } }));
    expect((await s3.send(new GetBucketRequestPaymentCommand({ Bucket: b }))).Payer).toBe("Requester");
    await expectError(s3.send(new PutBucketRequestPaymentCommand({ Bucket: b, RequestPaymentConfiguration: { Payer: "Someone" as "Requester" } })), "MalformedXML", 400);
  });

  it("logs to an existing bucket of the same owner and region, and turns logging off", async () => {
    const b = await bucket();
    const target = await bucket();
    await s3.send(new PutBucketLoggingCommand({ Bucket: b, BucketLoggingStatus: { LoggingEnabled: { TargetBucket: target, TargetPrefix: "logs/" } } }));
    expect((await s3.send(new GetBucketLoggingCommand({ Bucket: b }))).LoggingEnabled).toEqual({ TargetBucket: target, TargetPrefix: "logs/" });
    await expectError(
      s3.send(new PutBucketLoggingCommand({ Bucket: b, BucketLoggingStatus: { LoggingEnabled: { TargetBucket: "no-such-target-bucket", TargetPrefix: "" } } })),
      "InvalidTargetBucketForLogging",
      400,
    );
    const west = new S3Client({ ...sdkConfig(n), region: "eu-west-1", forcePathStyle: true });
    const far = `cfg-far-${Date.now().toString(36)}`;
    await west.send(new CreateBucketCommand({ Bucket: far, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
    await expectError(
      s3.send(new PutBucketLoggingCommand({ Bucket: b, BucketLoggingStatus: { LoggingEnabled: { TargetBucket: far, TargetPrefix: "" } } })),
      "CrossLocationLoggingProhibited",
      403,
    );
    await s3.send(new PutBucketLoggingCommand({ Bucket: b, BucketLoggingStatus: {} }));
    expect((await s3.send(new GetBucketLoggingCommand({ Bucket: b }))).LoggingEnabled).toBeUndefined();
  });

  it("sets Transfer Acceleration, not for names with dots", async () => {
    const b = await bucket();
    await s3.send(new PutBucketAccelerateConfigurationCommand({ Bucket: b, AccelerateConfiguration: { Status: "Enabled" } }));
    expect((await s3.send(new GetBucketAccelerateConfigurationCommand({ Bucket: b }))).Status).toBe("Enabled");
    const dotted = `cfg.dotted.${Date.now().toString(36)}`;
    await s3.send(new CreateBucketCommand({ Bucket: dotted }));
    await expectError(s3.send(new PutBucketAccelerateConfigurationCommand({ Bucket: dotted, AccelerateConfiguration: { Status: "Enabled" } })), "InvalidRequest", 400);
  });
});

describe("lifecycle", () => {
  const put = (Bucket: string, Rules: LifecycleRule[]) => s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules } }));

  it("stores rules with every kind of filter and action, gives them back, and exposes them to the scheduler", async () => {
    const b = await bucket();
    const rules: LifecycleRule[] = [
      { ID: "logs", Status: "Enabled", Filter: { Prefix: "logs/" }, Transitions: [{ Days: 30, StorageClass: "STANDARD_IA" }, { Days: 90, StorageClass: "GLACIER" }], Expiration: { Days: 365 } },
      { ID: "tagged", Status: "Disabled", Filter: { And: { Prefix: "tmp/", Tags: [{ Key: "temp", Value: "yes" }], ObjectSizeGreaterThan: 1024 } }, Expiration: { Days: 1 } },
      { ID: "big", Status: "Enabled", Filter: { ObjectSizeGreaterThan: 1048576 }, NoncurrentVersionTransitions: [{ NoncurrentDays: 30, StorageClass: "ONEZONE_IA", NewerNoncurrentVersions: 2 }], NoncurrentVersionExpiration: { NoncurrentDays: 60 } },
      { ID: "uploads", Status: "Enabled", Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Expiration: { ExpiredObjectDeleteMarker: true } },
      { ID: "dated", Status: "Enabled", Filter: { Tag: { Key: "k", Value: "v" } }, Expiration: { Date: new Date("2030-01-01T00:00:00Z") } },
    ];
    const out = await put(b, rules);
    expect(out.TransitionDefaultMinimumObjectSize).toBe("all_storage_classes_128K");
    const got = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: b }));
    expect(got.Rules?.map((r) => r.ID)).toEqual(["logs", "tagged", "big", "uploads", "dated"]);
    expect(got.Rules?.[0]?.Transitions).toEqual(rules[0]!.Transitions);
    expect(got.Rules?.[1]?.Filter).toEqual(rules[1]!.Filter);
    expect(got.Rules?.[4]?.Expiration?.Date?.toISOString()).toBe("2030-01-01T00:00:00.000Z");
    expect((await s3.send(new DeleteBucketLifecycleCommand({ Bucket: b }))).$metadata.httpStatusCode).toBe(204);
    await expectError(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: b })), "NoSuchLifecycleConfiguration", 404);
  });

  it("gives rules sent without an ID one, and keeps the minimum object size setting", async () => {
    const b = await bucket();
    const out = await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: b,
        TransitionDefaultMinimumObjectSize: "varies_by_storage_class",
        LifecycleConfiguration: { Rules: [{ Status: "Enabled", Filter: { Prefix: "" }, Expiration: { Days: 3 } }] },
      }),
    );
    expect(out.TransitionDefaultMinimumObjectSize).toBe("varies_by_storage_class");
    const got = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: b }));
    expect(got.Rules?.[0]?.ID).toMatch(/^[A-Za-z0-9+/]{8,}$/);
    expect(got.TransitionDefaultMinimumObjectSize).toBe("varies_by_storage_class");
  });

  it("refuses invalid rules with S3's errors", async () => {
    const b = await bucket();
    const f = { Prefix: "" };
    await expectError(put(b, [{ ID: "a", Status: "Enabled", Filter: f, Transitions: [{ Days: 10, StorageClass: "STANDARD_IA" }] }]), "InvalidArgument", 400, "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'");
    await expectError(put(b, [{ ID: "a", Status: "Enabled", Filter: f, Expiration: { Days: 0 } }]), "InvalidArgument", 400, "'Days' for Expiration action must be a positive integer");
    await expectError(put(b, [{ ID: "a", Status: "Enabled", Filter: f, Expiration: { Days: 1 } }, { ID: "a", Status: "Enabled", Filter: f, Expiration: { Days: 2 } }]), "InvalidArgument", 400, "Rule ID must be unique. Found same ID for more than one rule");
    await expectError(put(b, [{ ID: "x".repeat(256), Status: "Enabled", Filter: f, Expiration: { Days: 1 } }]), "InvalidArgument", 400, "ID length should not exceed allowed limit of 255");
    await expectError(put(b, [{ ID: "a", Status: "Enabled", Filter: f }]), "InvalidRequest", 400, "At least one action needs to be specified in a rule");
    await expectError(put(b, [{ ID: "a", Status: "Enabled", Filter: { Prefix: "logs/" }, Transitions: [{ Days: 30, StorageClass: "GLACIER" }], Expiration: { Days: 30 } }]), "InvalidArgument", 400, "'Days' in the Expiration action for filter '(prefix=logs/)' must be greater than 'Days' in the Transition action");
    await expectError(put(b, [{ ID: "a", Status: "Enabled", Filter: f, Transitions: [{ Days: 30, StorageClass: "GLACIER" }, { Days: 60, StorageClass: "STANDARD_IA" }] }]), "InvalidArgument", 400);
    await expectError(put(b, [{ ID: "a", Status: "Enabled", Filter: f, Expiration: { Date: new Date("2030-01-01T12:00:00Z") } }]), "InvalidArgument", 400, "'Date' must be at midnight GMT");
    await expectError(put(b, [{ ID: "a", Status: "Enabled", Filter: { Tag: { Key: "t", Value: "v" } }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }]), "InvalidRequest", 400, "AbortIncompleteMultipartUpload cannot be specified with Tags.");
    await expectError(put(b, [{ ID: "a", Status: "Enabled", Filter: { And: { ObjectSizeGreaterThan: 100, ObjectSizeLessThan: 10 } }, Expiration: { Days: 1 } }]), "InvalidRequest", 400, "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'.");
    await expectError(put(b, [{ ID: "a", Status: "Enabled", Prefix: "x", Expiration: { Days: 1 } }, { ID: "b", Status: "Enabled", Prefix: "xy", Expiration: { Days: 1 } }]), "InvalidRequest", 400, "Found overlapping prefixes 'x' and 'xy' for same action type 'Expiration'");
    await expectError(put(b, [{ ID: "a", Status: "Maybe" as "Enabled", Filter: f, Expiration: { Days: 1 } }]), "MalformedXML", 400);
    await expectError(put(b, Array.from({ length: 1001 }, (_, i) => ({ ID: `r${i}`, Status: "Enabled", Filter: { Prefix: `p${i}/` }, Expiration: { Days: 1 } }))), "InvalidRequest", 400);
    await expectError(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: b })), "NoSuchLifecycleConfiguration", 404);
  });
});

describe("event notifications", () => {
  it("stores queue, topic and function destinations with normalised filter rules", async () => {
    const b = await bucket();
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: b,
        NotificationConfiguration: {
          QueueConfigurations: [{ Id: "q", QueueArn: "arn:aws:sqs:us-east-1:000000000000:uploads", Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "in/" }, { Name: "suffix", Value: ".jpg" }] } } }],
          TopicConfigurations: [{ TopicArn: "arn:aws:sns:us-east-1:000000000000:deletes", Events: ["s3:ObjectRemoved:Delete"] }],
          LambdaFunctionConfigurations: [{ LambdaFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:thumbs", Events: ["s3:ObjectCreated:Put"], Filter: { Key: { FilterRules: [{ Name: "Prefix" as "prefix", Value: "other/" }] } } }],
          EventBridgeConfiguration: {},
        },
      }),
    );
    const got = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: b }));
    expect(got.QueueConfigurations).toEqual([
      { Id: "q", QueueArn: "arn:aws:sqs:us-east-1:000000000000:uploads", Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "Prefix", Value: "in/" }, { Name: "Suffix", Value: ".jpg" }] } } },
    ]);
    expect(got.TopicConfigurations?.[0]?.Id).toBeTruthy();
    expect(got.LambdaFunctionConfigurations?.[0]?.Events).toEqual(["s3:ObjectCreated:Put"]);
    expect(got.EventBridgeConfiguration).toEqual({});
    // An empty configuration turns notifications off.
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: b, NotificationConfiguration: {} }));
    expect((await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: b }))).QueueConfigurations ?? []).toEqual([]);
  });

  it("refuses unknown events, bad filter rules and overlapping configurations", async () => {
    const b = await bucket();
    const queue = "arn:aws:sqs:us-east-1:000000000000:q";
    const put = (QueueConfigurations: { QueueArn: string; Events: string[]; Filter?: { Key: { FilterRules: { Name: string; Value: string }[] } } }[]) =>
      s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: b, NotificationConfiguration: { QueueConfigurations: QueueConfigurations as never } }));
    await expectError(put([{ QueueArn: queue, Events: ["s3:ObjectCreated:Teleport"] }]), "InvalidArgument", 400, "The event is not supported for notifications");
    await expectError(put([{ QueueArn: queue, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "middle", Value: "x" }] } } }]), "InvalidArgument", 400);
    await expectError(put([{ QueueArn: queue, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "a" }, { Name: "prefix", Value: "b" }] } } }]), "InvalidArgument", 400);
    await expectError(put([{ QueueArn: queue, Events: ["s3:ObjectCreated:*"] }, { QueueArn: queue, Events: ["s3:ObjectCreated:Put"] }]), "InvalidArgument", 400, /Configurations overlap/);
    await expectError(put([{ QueueArn: "arn:aws:sqs:nowhere", Events: ["s3:ObjectCreated:*"] }]), "InvalidArgument", 400);
    // Disjoint prefixes do not overlap.
    await put([
      { QueueArn: queue, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "a/" }] } } },
      { QueueArn: queue, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "b/" }] } } },
    ]);
  });
});

describe("replication", () => {
  const config = (dest: string) => ({
    Role: "arn:aws:iam::000000000000:role/replication",
    Rules: [{ ID: "all", Priority: 1, Status: "Enabled" as const, Filter: { Prefix: "" }, DeleteMarkerReplication: { Status: "Disabled" as const }, Destination: { Bucket: `arn:aws:s3:::${dest}`, StorageClass: "STANDARD_IA" as const } }],
  });

  it("requires versioning on the source, and stores the configuration", async () => {
    const unversioned = await bucket();
    const dest = await bucket({ ObjectLockEnabledForBucket: true });
    await expectError(
      s3.send(new PutBucketReplicationCommand({ Bucket: unversioned, ReplicationConfiguration: config(dest) })),
      "InvalidRequest",
      400,
      "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
    );
    // Object Lock turns versioning on at creation.
    const source = await bucket({ ObjectLockEnabledForBucket: true });
    await s3.send(new PutBucketReplicationCommand({ Bucket: source, ReplicationConfiguration: config(dest) }));
    const got = await s3.send(new GetBucketReplicationCommand({ Bucket: source }));
    expect(got.ReplicationConfiguration?.Role).toBe("arn:aws:iam::000000000000:role/replication");
    expect(got.ReplicationConfiguration?.Rules?.[0]?.Destination).toEqual({ Bucket: `arn:aws:s3:::${dest}`, StorageClass: "STANDARD_IA" });
    expect((await s3.send(new DeleteBucketReplicationCommand({ Bucket: source }))).$metadata.httpStatusCode).toBe(204);
    await expectError(s3.send(new GetBucketReplicationCommand({ Bucket: source })), "ReplicationConfigurationNotFoundError", 404);
    const bad = { ...config(dest), Rules: [{ ...config(dest).Rules[0]!, DeleteMarkerReplication: undefined }] };
    await expectError(s3.send(new PutBucketReplicationCommand({ Bucket: source, ReplicationConfiguration: bad })), "InvalidRequest", 400, /DeleteMarkerReplication/);
    await expectError(s3.send(new PutBucketReplicationCommand({ Bucket: source, ReplicationConfiguration: config(unversioned) })), "InvalidRequest", 400, /Destination bucket must have versioning enabled/);
  });
});

describe("website", () => {
  it("stores index/error documents and routing rules, or a redirect of every request", async () => {
    const b = await bucket();
    const site = {
      IndexDocument: { Suffix: "index.html" },
      ErrorDocument: { Key: "error.html" },
      RoutingRules: [{ Condition: { KeyPrefixEquals: "docs/" }, Redirect: { ReplaceKeyPrefixWith: "documents/", HttpRedirectCode: "301" } }],
    };
    await s3.send(new PutBucketWebsiteCommand({ Bucket: b, WebsiteConfiguration: site }));
    const got = await s3.send(new GetBucketWebsiteCommand({ Bucket: b }));
    expect({ IndexDocument: got.IndexDocument, ErrorDocument: got.ErrorDocument, RoutingRules: got.RoutingRules }).toEqual(site);
    await s3.send(new PutBucketWebsiteCommand({ Bucket: b, WebsiteConfiguration: { RedirectAllRequestsTo: { HostName: "example.com", Protocol: "https" } } }));
    expect((await s3.send(new GetBucketWebsiteCommand({ Bucket: b }))).RedirectAllRequestsTo).toEqual({ HostName: "example.com", Protocol: "https" });
    expect((await s3.send(new DeleteBucketWebsiteCommand({ Bucket: b }))).$metadata.httpStatusCode).toBe(204);
    await expectError(s3.send(new GetBucketWebsiteCommand({ Bucket: b })), "NoSuchWebsiteConfiguration", 404);
  });

  it("refuses configurations S3 refuses", async () => {
    const b = await bucket();
    const put = (WebsiteConfiguration: Record<string, unknown>) => s3.send(new PutBucketWebsiteCommand({ Bucket: b, WebsiteConfiguration }));
    await expectError(put({ ErrorDocument: { Key: "e.html" } }), "InvalidArgument", 400, "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty");
    await expectError(put({ IndexDocument: { Suffix: "a/index.html" } }), "InvalidArgument", 400, "The IndexDocument Suffix is not well formed");
    await expectError(put({ RedirectAllRequestsTo: { HostName: "x.com" }, IndexDocument: { Suffix: "i.html" } }), "InvalidArgument", 400);
    await expectError(put({ IndexDocument: { Suffix: "i.html" }, RoutingRules: [{ Redirect: { ReplaceKeyWith: "a", ReplaceKeyPrefixWith: "b" } }] }), "InvalidRequest", 400);
    await expectError(put({ IndexDocument: { Suffix: "i.html" }, RoutingRules: [{ Redirect: { HttpRedirectCode: "200" } }] }), "InvalidArgument", 400);
  });
});

describe("Object Lock", () => {
  it("is enabled at creation, takes a default retention, and needs versioning to be turned on later", async () => {
    const locked = await bucket({ ObjectLockEnabledForBucket: true });
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: locked }))).ObjectLockConfiguration).toEqual({ ObjectLockEnabled: "Enabled" });
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: locked, ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "COMPLIANCE", Years: 1 } } } }));
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: locked }))).ObjectLockConfiguration?.Rule?.DefaultRetention).toEqual({ Mode: "COMPLIANCE", Years: 1 });
    await expectError(
      s3.send(new PutObjectLockConfigurationCommand({ Bucket: locked, ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 1, Years: 1 } } } })),
      "MalformedXML",
      400,
    );
    await expectError(
      s3.send(new PutObjectLockConfigurationCommand({ Bucket: locked, ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 0 } } } })),
      "InvalidArgument",
      400,
    );
    const plain = await bucket();
    await expectError(
      s3.send(new PutObjectLockConfigurationCommand({ Bucket: plain, ObjectLockConfiguration: { ObjectLockEnabled: "Enabled" } })),
      "InvalidBucketState",
      409,
    );
  });
});

describe("the getters other parts of S3 read", () => {
  it("give the lifecycle rules (dates as ISO text), default encryption and ownership of a bucket", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nimbus-cfg-"));
    const metadata = new SqliteMetadataStore(join(dir, "metadata.sqlite"));
    try {
      const record = { name: "getter-bucket", account: "000000000000", region: "us-east-1", created: new Date().toISOString() };
      await new BucketStore(metadata).create(record);
      expect(await getLifecycleConfiguration(metadata, "getter-bucket")).toBeUndefined();
      expect((await getDefaultEncryption(metadata, record)).ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe("AES256");
      expect(await getObjectOwnership(metadata, record)).toBe("BucketOwnerEnforced");
      const config = validateLifecycle([{ ID: "d", Status: "Enabled", Filter: { Prefix: "a/" }, Expiration: { Date: new Date("2031-05-01T00:00:00Z") } }], undefined);
      await new BucketConfigStore(metadata).put(record, "lifecycle", config);
      await new BucketConfigStore(metadata).put(record, "ownership", null);
      const stored = await getLifecycleConfiguration(metadata, "getter-bucket");
      expect(stored?.Rules[0]).toMatchObject({ ID: "d", Status: "Enabled", Filter: { Prefix: "a/" }, Expiration: { Date: "2031-05-01T00:00:00Z" } });
      expect(await getObjectOwnership(metadata, "getter-bucket")).toBe("ObjectWriter");
    } finally {
      await metadata.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
