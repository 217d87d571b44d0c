/**
 * The IAM lab, end to end through the AWS CLI and SDK v3: groups with AWS managed policies,
 * users with access keys, a reader who cannot write, an inline deny beating an admin group, a
 * role assumed until it expires, an MFA device enabled with two TOTP codes, and MFA-protected
 * permissions through GetSessionToken.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOTP, Secret } from "otpauth";
import { IAMClient, CreateGroupCommand, AttachGroupPolicyCommand, CreateUserCommand, AddUserToGroupCommand, CreateAccessKeyCommand, PutUserPolicyCommand, CreateRoleCommand, AttachRolePolicyCommand, CreateVirtualMFADeviceCommand, EnableMFADeviceCommand, ListUsersCommand } from "@aws-sdk/client-iam";
import { STSClient, AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand } from "@aws-sdk/client-sts";
import { S3Client, CreateBucketCommand, ListBucketsCommand } from "@aws-sdk/client-s3";
import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { Nimbus } from "../src/index.js";
import { awsCli, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
beforeAll(async () => {
  n = await startTestNimbus();
});
afterAll(async () => {
  await n.stop();
});

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
type AwsError = { name: string; message: string; $metadata: { httpStatusCode: number } };
const fail = (p: Promise<unknown>) => p.then(() => ({ name: "no error" }) as AwsError, (e: unknown) => e as AwsError);
const as = (creds: Creds) => ({ ...sdkConfig(n), credentials: creds });

async function userWithKey(iam: IAMClient, name: string, group?: string): Promise<Creds> {
  await iam.send(new CreateUserCommand({ UserName: name }));
  if (group) await iam.send(new AddUserToGroupCommand({ UserName: name, GroupName: group }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
}

function totp(seed: string, atMs: number): string {
  return new TOTP({ secret: Secret.fromBase32(seed), digits: 6, period: 30, algorithm: "SHA1" }).generate({ timestamp: atMs });
}

describe("the IAM lab", () => {
  const iam = () => new IAMClient(sdkConfig(n));
  let alice: Creds;
  let bob: Creds;
  let carol: Creds;

  it("root sets up groups with AWS managed policies and users with access keys (CLI + SDK)", async () => {
    // Groups through the AWS CLI, as a course would do it.
    for (const [group, policy] of [
      ["admins", "AdministratorAccess"],
      ["readers", "ReadOnlyAccess"],
    ]) {
      const c = await awsCli(n, ["iam", "create-group", "--group-name", group!]);
      expect(c.code, c.stderr).toBe(0);
      const a = await awsCli(n, ["iam", "attach-group-policy", "--group-name", group!, "--policy-arn", `arn:aws:iam::aws:policy/${policy}`]);
      expect(a.code, a.stderr).toBe(0);
    }
    alice = await userWithKey(iam(), "alice", "admins");
    bob = await userWithKey(iam(), "bob", "readers");
    carol = await userWithKey(iam(), "carol", "admins");
    await iam().send(
      new PutUserPolicyCommand({
        UserName: "carol",
        PolicyName: "no-s3",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "s3:*", Resource: "*" }] }),
      }),
    );
    const me = await new STSClient(as(bob)).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe("arn:aws:iam::000000000000:user/bob");
  });

  it("lets the reader list but not write", async () => {
    const s3 = new S3Client({ ...as(bob), forcePathStyle: true });
    await s3.send(new ListBucketsCommand({}));
    const denied = await fail(s3.send(new CreateBucketCommand({ Bucket: "bobs-bucket" })));
    expect(denied.name).toBe("AccessDenied");
    expect(denied.$metadata.httpStatusCode).toBe(403);
    expect(denied.message).toContain("User: arn:aws:iam::000000000000:user/bob is not authorized to perform: s3:CreateBucket");
    const logs = new CloudWatchLogsClient(as(bob));
    await logs.send(new DescribeLogGroupsCommand({}));
    const logDenied = await fail(logs.send(new CreateLogGroupCommand({ logGroupName: "bobs" })));
    expect(logDenied.name).toBe("AccessDeniedException");
    const iamDenied = await fail(new IAMClient(as(bob)).send(new CreateUserCommand({ UserName: "mallory" })));
    expect(iamDenied.name).toBe("AccessDenied");
    await new IAMClient(as(bob)).send(new ListUsersCommand({}));
    // The same through the AWS CLI.
    const cli = await awsCli(n, ["s3api", "create-bucket", "--bucket", "bobs-cli-bucket"], { accessKeyId: bob.accessKeyId, secret: bob.secretAccessKey });
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain("AccessDenied");
  });

  it("lets an admin write, and an inline deny beats the admin group", async () => {
    await new S3Client({ ...as(alice), forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: "alices-bucket" }));
    const denied = await fail(new S3Client({ ...as(carol), forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: "carols-bucket" })));
    expect(denied.name).toBe("AccessDenied");
    expect(denied.message).toContain("explicit deny");
    // Carol is still an admin elsewhere.
    await new CloudWatchLogsClient(as(carol)).send(new CreateLogGroupCommand({ logGroupName: "carols" }));
  });

  it("works with an assumed role until it expires, then answers ExpiredToken", async () => {
    await iam().send(
      new CreateRoleCommand({
        RoleName: "s3-reader",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:user/alice" }, Action: "sts:AssumeRole" }],
        }),
      }),
    );
    await iam().send(new AttachRolePolicyCommand({ RoleName: "s3-reader", PolicyArn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }));
    const assumed = await new STSClient(as(alice)).send(
      new AssumeRoleCommand({ RoleArn: "arn:aws:iam::000000000000:role/s3-reader", RoleSessionName: "lab", DurationSeconds: 900 }),
    );
    const c = assumed.Credentials!;
    expect(c.AccessKeyId).toMatch(/^ASIA/);
    const session: Creds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    const who = await new STSClient(as(session)).send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe("arn:aws:sts::000000000000:assumed-role/s3-reader/lab");
    const s3 = new S3Client({ ...as(session), forcePathStyle: true });
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toContain("alices-bucket");
    const write = await fail(s3.send(new CreateBucketCommand({ Bucket: "role-bucket" })));
    expect(write.name).toBe("AccessDenied");
    // Bob is not trusted by the role.
    const bobTry = await fail(new STSClient(as(bob)).send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::000000000000:role/s3-reader", RoleSessionName: "x" })));
    expect(bobTry.name).toBe("AccessDenied");
    // Through the CLI with the session credentials too.
    const cli = await awsCli(n, ["sts", "get-caller-identity"], { accessKeyId: session.accessKeyId, secret: session.secretAccessKey, sessionToken: session.sessionToken });
    expect(cli.code, cli.stderr).toBe(0);
    n.clock.advance(901);
    const expired = await fail(s3.send(new ListBucketsCommand({})));
    expect(expired.name).toBe("ExpiredToken");
  });

  it("enables an MFA device with two TOTP codes, and GetSessionToken with a code satisfies aws:MultiFactorAuthPresent", async () => {
    const dave = await userWithKey(iam(), "dave");
    await iam().send(
      new PutUserPolicyCommand({
        UserName: "dave",
        PolicyName: "mfa-only",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*", Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } }],
        }),
      }),
    );
    const device = (await iam().send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "dave-phone" }))).VirtualMFADevice!;
    const seed = Buffer.from(device.Base32StringSeed!).toString("utf8");
    expect(seed).toMatch(/^[A-Z2-7]+=*$/);
    expect(Buffer.from(device.QRCodePNG!).subarray(1, 4).toString()).toBe("PNG");
    const now = n.clock.nowMs();
    const bad = await fail(
      iam().send(new EnableMFADeviceCommand({ UserName: "dave", SerialNumber: device.SerialNumber!, AuthenticationCode1: "000000", AuthenticationCode2: "000000" })),
    );
    expect(bad.name).toBe("InvalidAuthenticationCodeException");
    await iam().send(
      new EnableMFADeviceCommand({
        UserName: "dave",
        SerialNumber: device.SerialNumber!,
        AuthenticationCode1: totp(seed, now - 30_000),
        AuthenticationCode2: totp(seed, now),
      }),
    );
    const plain = await fail(new S3Client({ ...as(dave), forcePathStyle: true }).send(new ListBucketsCommand({})));
    expect(plain.name).toBe("AccessDenied");
    n.clock.advance(30);
    const wrong = await fail(new STSClient(as(dave)).send(new GetSessionTokenCommand({ SerialNumber: device.SerialNumber!, TokenCode: "123456" })));
    expect(wrong.name).toBe("AccessDenied");
    const token = await new STSClient(as(dave)).send(
      new GetSessionTokenCommand({ SerialNumber: device.SerialNumber!, TokenCode: totp(seed, n.clock.nowMs()), DurationSeconds: 3600 }),
    );
    const c = token.Credentials!;
    const withMfa = new S3Client({ ...as({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }), forcePathStyle: true });
    const list = await withMfa.send(new ListBucketsCommand({}));
    expect(list.Buckets).toBeDefined();
  });

  it("denies everything for NIMBUS_IAM=enforce by default, and only logs in soft mode", async () => {
    const soft = await startTestNimbus({ iam: "soft" });
    try {
      const i = new IAMClient(sdkConfig(soft));
      await i.send(new CreateUserCommand({ UserName: "nobody" }));
      const key = (await i.send(new CreateAccessKeyCommand({ UserName: "nobody" }))).AccessKey!;
      const s3 = new S3Client({ ...sdkConfig(soft), credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }, forcePathStyle: true });
      await s3.send(new CreateBucketCommand({ Bucket: "soft-bucket" }));
    } finally {
      await soft.stop();
    }
  });
});
