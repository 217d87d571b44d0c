/**
 * S3 bucket configuration through the AWS CLI (`aws s3api`) and boto3: the documents each
 * client builds and parses, and S3's error codes as each client reports them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, startTestNimbus } from "./helpers.js";

let n: Nimbus;
beforeAll(async () => {
  n = await startTestNimbus();
});
afterAll(async () => {
  await n.stop();
});

async function cli(args: string[]): Promise<unknown> {
  const r = await awsCli(n, ["s3api", ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as unknown) : undefined;
}
async function cliError(args: string[], code: string): Promise<string> {
  const r = await awsCli(n, ["s3api", ...args]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain(`(${code})`);
  return r.stderr;
}

describe("AWS CLI", () => {
  const b = "cli-config-bucket";
  beforeAll(async () => {
    await cli(["create-bucket", "--bucket", b]);
  });

  it("tags, reads and untags a bucket", async () => {
    await cli(["put-bucket-tagging", "--bucket", b, "--tagging", "TagSet=[{Key=project,Value=nimbus},{Key=env,Value=test}]"]);
    expect(await cli(["get-bucket-tagging", "--bucket", b])).toEqual({ TagSet: [{ Key: "project", Value: "nimbus" }, { Key: "env", Value: "test" }] });
    await cli(["delete-bucket-tagging", "--bucket", b]);
    await cliError(["get-bucket-tagging", "--bucket", b], "NoSuchTagSet");
  });

  it("sets CORS rules and refuses an unsupported method", async () => {
    const cors = { CORSRules: [{ AllowedOrigins: ["https://app.example.com"], AllowedMethods: ["GET", "PUT"], AllowedHeaders: ["*"], ExposeHeaders: ["ETag"], MaxAgeSeconds: 3000 }] };
    await cli(["put-bucket-cors", "--bucket", b, "--cors-configuration", JSON.stringify(cors)]);
    expect(await cli(["get-bucket-cors", "--bucket", b])).toEqual(cors);
    const err = await cliError(["put-bucket-cors", "--bucket", b, "--cors-configuration", JSON.stringify({ CORSRules: [{ AllowedOrigins: ["*"], AllowedMethods: ["PATCH"] }] })], "InvalidRequest");
    expect(err).toContain("Unsupported method is PATCH");
    await cli(["delete-bucket-cors", "--bucket", b]);
    await cliError(["get-bucket-cors", "--bucket", b], "NoSuchCORSConfiguration");
  });

  it("reads the defaults (encryption, ownership, Block Public Access, ACL) and changes them", async () => {
    expect(await cli(["get-bucket-encryption", "--bucket", b])).toEqual({
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false }] },
    });
    await cli(["put-bucket-encryption", "--bucket", b, "--server-side-encryption-configuration", JSON.stringify({ Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/app" }, BucketKeyEnabled: true }] })]);
    expect(((await cli(["get-bucket-encryption", "--bucket", b])) as { ServerSideEncryptionConfiguration: { Rules: unknown[] } }).ServerSideEncryptionConfiguration.Rules[0]).toEqual({
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/app" },
      BucketKeyEnabled: true,
    });
    expect(await cli(["get-bucket-ownership-controls", "--bucket", b])).toEqual({ OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] } });
    expect(await cli(["get-public-access-block", "--bucket", b])).toEqual({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
    });
    await cliError(["put-bucket-acl", "--bucket", b, "--acl", "public-read"], "AccessControlListNotSupported");
    await cli(["put-bucket-ownership-controls", "--bucket", b, "--ownership-controls", "Rules=[{ObjectOwnership=ObjectWriter}]"]);
    await cli(["put-public-access-block", "--bucket", b, "--public-access-block-configuration", "BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=false"]);
    await cli(["put-bucket-acl", "--bucket", b, "--grant-read", "uri=http://acs.amazonaws.com/groups/global/AllUsers", "--grant-full-control", `id=${"0".repeat(64)}`]);
    const acl = (await cli(["get-bucket-acl", "--bucket", b])) as { Grants: Array<{ Grantee: { Type: string; URI?: string }; Permission: string }> };
    expect(acl.Grants).toContainEqual({ Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers" }, Permission: "READ" });
  });

  it("sets a bucket policy and reports whether it is public", async () => {
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${b}/*` }],
    });
    await cli(["put-bucket-policy", "--bucket", b, "--policy", policy]);
    expect(await cli(["get-bucket-policy", "--bucket", b])).toEqual({ Policy: policy });
    expect(await cli(["get-bucket-policy-status", "--bucket", b])).toEqual({ PolicyStatus: { IsPublic: true } });
    const err = await cliError(["put-bucket-policy", "--bucket", b, "--policy", JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::elsewhere/*" }] })], "MalformedPolicy");
    expect(err).toContain("Policy has invalid resource");
    await cli(["delete-bucket-policy", "--bucket", b]);
    await cliError(["get-bucket-policy", "--bucket", b], "NoSuchBucketPolicy");
  });

  it("sets lifecycle rules and refuses a too-early STANDARD_IA transition", async () => {
    const lifecycle = {
      Rules: [
        { ID: "archive", Status: "Enabled", Filter: { Prefix: "logs/" }, Transitions: [{ Days: 30, StorageClass: "STANDARD_IA" }, { Days: 90, StorageClass: "GLACIER" }], Expiration: { Days: 365 } },
        { ID: "uploads", Status: "Enabled", Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
      ],
    };
    // (Debian's CLI predates x-amz-transition-default-minimum-object-size, so prints nothing.)
    await cli(["put-bucket-lifecycle-configuration", "--bucket", b, "--lifecycle-configuration", JSON.stringify(lifecycle)]);
    const got = (await cli(["get-bucket-lifecycle-configuration", "--bucket", b])) as { Rules: Array<{ ID: string; Transitions?: unknown }> };
    expect(got.Rules.map((r) => r.ID)).toEqual(["archive", "uploads"]);
    expect(got.Rules[0]!.Transitions).toEqual(lifecycle.Rules[0]!.Transitions);
    const err = await cliError(
      ["put-bucket-lifecycle-configuration", "--bucket", b, "--lifecycle-configuration", JSON.stringify({ Rules: [{ ID: "x", Status: "Enabled", Filter: {}, Transitions: [{ Days: 7, StorageClass: "STANDARD_IA" }] }] })],
      "InvalidArgument",
    );
    expect(err).toContain("'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'");
    await cli(["delete-bucket-lifecycle", "--bucket", b]);
    await cliError(["get-bucket-lifecycle-configuration", "--bucket", b], "NoSuchLifecycleConfiguration");
  });

  it("sets website, notification, logging and request payment configurations", async () => {
    await cli(["put-bucket-website", "--bucket", b, "--website-configuration", JSON.stringify({ IndexDocument: { Suffix: "index.html" }, ErrorDocument: { Key: "404.html" } })]);
    expect(await cli(["get-bucket-website", "--bucket", b])).toEqual({ IndexDocument: { Suffix: "index.html" }, ErrorDocument: { Key: "404.html" } });
    await cli([
      "put-bucket-notification-configuration",
      "--bucket",
      b,
      "--notification-configuration",
      JSON.stringify({ QueueConfigurations: [{ Id: "uploads", QueueArn: "arn:aws:sqs:us-east-1:000000000000:uploads", Events: ["s3:ObjectCreated:*"] }] }),
    ]);
    expect(await cli(["get-bucket-notification-configuration", "--bucket", b])).toEqual({
      QueueConfigurations: [{ Id: "uploads", QueueArn: "arn:aws:sqs:us-east-1:000000000000:uploads", Events: ["s3:ObjectCreated:*"] }],
    });
    await cli(["create-bucket", "--bucket", `${b}-logs`]);
    await cli(["put-bucket-logging", "--bucket", b, "--bucket-logging-status", JSON.stringify({ LoggingEnabled: { TargetBucket: `${b}-logs`, TargetPrefix: "access/" } })]);
    expect(await cli(["get-bucket-logging", "--bucket", b])).toEqual({ LoggingEnabled: { TargetBucket: `${b}-logs`, TargetPrefix: "access/" } });
    await cli(["put-bucket-request-payment", "--bucket", b, "--request-payment-configuration", "Payer=Requester"]);
    expect(await cli(["get-bucket-request-payment", "--bucket", b])).toEqual({ Payer: "Requester" });
  });
});

describe("boto3", () => {
  async function py(code: string): Promise<unknown> {
    const r = await boto3(n, `s3 = client('s3')\n${code}`);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as unknown;
  }

  it("configures a bucket end to end", async () => {
    const out = (await py(`
b = 'boto-config-bucket'
s3.create_bucket(Bucket=b)
s3.put_bucket_tagging(Bucket=b, Tagging={'TagSet': [{'Key': 'owner', 'Value': 'ops'}]})
s3.put_bucket_cors(Bucket=b, CORSConfiguration={'CORSRules': [{'AllowedOrigins': ['*'], 'AllowedMethods': ['GET'], 'MaxAgeSeconds': 60}]})
s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={'Rules': [{'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'aws:kms:dsse'}}]})
s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls={'Rules': [{'ObjectOwnership': 'BucketOwnerPreferred'}]})
s3.delete_public_access_block(Bucket=b)
s3.put_bucket_acl(Bucket=b, ACL='authenticated-read')
s3.put_bucket_policy(Bucket=b, Policy=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'AWS': '000000000000'}, 'Action': 's3:ListBucket', 'Resource': 'arn:aws:s3:::' + b}]}))
s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={'Rules': [{'ID': 'tmp', 'Status': 'Enabled', 'Filter': {'Prefix': 'tmp/'}, 'Expiration': {'Days': 1}}]})
s3.put_bucket_website(Bucket=b, WebsiteConfiguration={'RedirectAllRequestsTo': {'HostName': 'example.com'}})
s3.put_bucket_accelerate_configuration(Bucket=b, AccelerateConfiguration={'Status': 'Suspended'})
out = {
  'tags': s3.get_bucket_tagging(Bucket=b)['TagSet'],
  'cors': s3.get_bucket_cors(Bucket=b)['CORSRules'],
  'sse': s3.get_bucket_encryption(Bucket=b)['ServerSideEncryptionConfiguration']['Rules'][0]['ApplyServerSideEncryptionByDefault'],
  'ownership': s3.get_bucket_ownership_controls(Bucket=b)['OwnershipControls']['Rules'],
  'grants': sorted(g['Grantee'].get('URI', 'owner') + ':' + g['Permission'] for g in s3.get_bucket_acl(Bucket=b)['Grants']),
  'public': s3.get_bucket_policy_status(Bucket=b)['PolicyStatus']['IsPublic'],
  'lifecycle': [r['ID'] for r in s3.get_bucket_lifecycle_configuration(Bucket=b)['Rules']],
  'website': s3.get_bucket_website(Bucket=b)['RedirectAllRequestsTo'],
  'accelerate': s3.get_bucket_accelerate_configuration(Bucket=b).get('Status'),
}
print(json.dumps(out))
`)) as Record<string, unknown>;
    expect(out).toEqual({
      tags: [{ Key: "owner", Value: "ops" }],
      cors: [{ AllowedOrigins: ["*"], AllowedMethods: ["GET"], MaxAgeSeconds: 60 }],
      sse: { SSEAlgorithm: "aws:kms:dsse" },
      ownership: [{ ObjectOwnership: "BucketOwnerPreferred" }],
      grants: ["http://acs.amazonaws.com/groups/global/AuthenticatedUsers:READ", "owner:FULL_CONTROL"],
      public: false,
      lifecycle: ["tmp"],
      website: { HostName: "example.com" },
      accelerate: "Suspended",
    });
  });

  it("reports S3's error codes", async () => {
    const out = (await py(`
b = 'boto-errors-bucket'
s3.create_bucket(Bucket=b)
codes = {}
def code(name, f):
    try:
        f()
        codes[name] = 'no error'
    except botocore.exceptions.ClientError as e:
        codes[name] = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
code('tagging', lambda: s3.get_bucket_tagging(Bucket=b))
code('website', lambda: s3.get_bucket_website(Bucket=b))
code('replication', lambda: s3.get_bucket_replication(Bucket=b))
code('lock', lambda: s3.get_object_lock_configuration(Bucket=b))
code('replicate_unversioned', lambda: s3.put_bucket_replication(Bucket=b, ReplicationConfiguration={'Role': 'arn:aws:iam::000000000000:role/r', 'Rules': [{'Status': 'Enabled', 'Prefix': '', 'Destination': {'Bucket': 'arn:aws:s3:::' + b}}]}))
code('public_policy', lambda: s3.put_bucket_policy(Bucket=b, Policy=json.dumps({'Statement': [{'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject', 'Resource': 'arn:aws:s3:::' + b + '/*'}]})))
code('bad_event', lambda: s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration={'TopicConfigurations': [{'TopicArn': 'arn:aws:sns:us-east-1:000000000000:t', 'Events': ['s3:Everything']}]}))
code('no_bucket', lambda: s3.get_bucket_encryption(Bucket='boto-no-such-bucket'))
print(json.dumps(codes))
`)) as Record<string, unknown>;
    expect(out).toEqual({
      tagging: ["NoSuchTagSet", 404],
      website: ["NoSuchWebsiteConfiguration", 404],
      replication: ["ReplicationConfigurationNotFoundError", 404],
      lock: ["ObjectLockConfigurationNotFoundError", 404],
      replicate_unversioned: ["InvalidRequest", 400],
      public_policy: ["AccessDenied", 403],
      bad_event: ["InvalidArgument", 400],
      no_bucket: ["NoSuchBucket", 404],
    });
  });
});
