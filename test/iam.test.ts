/**
 * IAM identities through the official clients: users, groups, roles, instance profiles, tags,
 * paging, access keys (which then sign requests), login profiles and the password policy,
 * account alias, summary and credential report, with AWS's error codes and statuses.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  IAMClient,
  AddRoleToInstanceProfileCommand,
  AddUserToGroupCommand,
  ChangePasswordCommand,
  CreateAccessKeyCommand,
  CreateAccountAliasCommand,
  CreateGroupCommand,
  CreateInstanceProfileCommand,
  CreateLoginProfileCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteAccountAliasCommand,
  DeleteAccountPasswordPolicyCommand,
  DeleteGroupCommand,
  DeleteInstanceProfileCommand,
  DeleteLoginProfileCommand,
  DeleteRoleCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountPasswordPolicyCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetGroupCommand,
  GetInstanceProfileCommand,
  GetLoginProfileCommand,
  GetRoleCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListAccountAliasesCommand,
  ListGroupsCommand,
  ListGroupsForUserCommand,
  ListInstanceProfilesCommand,
  ListInstanceProfilesForRoleCommand,
  ListInstanceProfileTagsCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  RemoveRoleFromInstanceProfileCommand,
  RemoveUserFromGroupCommand,
  PutUserPolicyCommand,
  TagInstanceProfileCommand,
  TagRoleCommand,
  TagUserCommand,
  UntagRoleCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
  UpdateAccountPasswordPolicyCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateGroupCommand,
  UpdateLoginProfileCommand,
  UpdateRoleCommand,
  UpdateRoleDescriptionCommand,
  UpdateUserCommand,
} from "@aws-sdk/client-iam";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let iam: IAMClient;
beforeAll(async () => {
  n = await startTestNimbus();
  iam = new IAMClient(sdkConfig(n));
});
afterAll(async () => {
  await n.stop();
});

/** SDK v3 names modeled errors `<Code>Exception`; `Code` keeps the code AWS sent. */
type AwsError = { name: string; Code?: string; message: string; $metadata: { httpStatusCode: number } };
const fail = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e as AwsError,
  );
async function expectError(p: Promise<unknown>, code: string, status: number, message?: string | RegExp) {
  const e = await fail(p);
  expect(e.Code ?? e.name).toBe(code);
  expect(e.$metadata.httpStatusCode).toBe(status);
  if (message !== undefined) expect(e.message).toMatch(message);
  return e;
}

const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
const ALLOW_ALL = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });

describe("IAM users", () => {
  it("creates, gets (regardless of case), updates, tags and deletes a user", async () => {
    const created = await iam.send(new CreateUserCommand({ UserName: "Alice", Path: "/eng/", Tags: [{ Key: "team", Value: "core" }] }));
    const u = created.User!;
    expect(u.UserName).toBe("Alice");
    expect(u.Path).toBe("/eng/");
    expect(u.Arn).toBe("arn:aws:iam::000000000000:user/eng/Alice");
    expect(u.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect(u.CreateDate).toBeInstanceOf(Date);
    expect(u.Tags).toEqual([{ Key: "team", Value: "core" }]);

    const got = await iam.send(new GetUserCommand({ UserName: "alice" }));
    expect(got.User?.UserName).toBe("Alice");
    expect(got.User?.UserId).toBe(u.UserId);

    await expectError(iam.send(new CreateUserCommand({ UserName: "ALICE" })), "EntityAlreadyExists", 409, "User with name ALICE already exists.");

    await iam.send(new TagUserCommand({ UserName: "Alice", Tags: [{ Key: "TEAM", Value: "platform" }, { Key: "env", Value: "dev" }] }));
    const tags = await iam.send(new ListUserTagsCommand({ UserName: "Alice" }));
    expect(tags.Tags).toEqual([{ Key: "TEAM", Value: "platform" }, { Key: "env", Value: "dev" }]);
    await iam.send(new UntagUserCommand({ UserName: "Alice", TagKeys: ["team"] }));
    expect((await iam.send(new ListUserTagsCommand({ UserName: "Alice" }))).Tags).toEqual([{ Key: "env", Value: "dev" }]);

    await iam.send(new UpdateUserCommand({ UserName: "Alice", NewUserName: "Alicia", NewPath: "/ops/" }));
    await expectError(iam.send(new GetUserCommand({ UserName: "Alice" })), "NoSuchEntity", 404, "The user with name Alice cannot be found.");
    const renamed = await iam.send(new GetUserCommand({ UserName: "Alicia" }));
    expect(renamed.User?.Arn).toBe("arn:aws:iam::000000000000:user/ops/Alicia");
    expect(renamed.User?.UserId).toBe(u.UserId);

    await iam.send(new DeleteUserCommand({ UserName: "Alicia" }));
    await expectError(iam.send(new DeleteUserCommand({ UserName: "Alicia" })), "NoSuchEntity", 404);
  });

  it("answers GetUser without a name with the caller (root)", async () => {
    const me = await iam.send(new GetUserCommand({}));
    expect(me.User?.Arn).toBe("arn:aws:iam::000000000000:root");
    expect(me.User?.UserId).toBe("000000000000");
  });

  it("validates names, paths and tags the way IAM does", async () => {
    const bad = await expectError(iam.send(new CreateUserCommand({ UserName: "bad name!" })), "ValidationError", 400);
    expect(bad.message).toBe(
      "1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    );
    await expectError(iam.send(new CreateUserCommand({ UserName: "x".repeat(65) })), "ValidationError", 400, /length less than or equal to 64/);
    await expectError(iam.send(new CreateUserCommand({ UserName: "p", Path: "no-slash" })), "ValidationError", 400, /at 'path'/);
    const two = await expectError(iam.send(new CreateUserCommand({ UserName: "a b", Path: "x" })), "ValidationError", 400);
    expect(two.message).toMatch(/^2 validation errors detected: /);
    await expectError(
      iam.send(new CreateUserCommand({ UserName: "t", Tags: [{ Key: "k", Value: "1" }, { Key: "K", Value: "2" }] })),
      "InvalidInput",
      400,
      "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    );
    const fiftyOne = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    await expectError(iam.send(new CreateUserCommand({ UserName: "t", Tags: fiftyOne })), "ValidationError", 400, /length less than or equal to 50/);
    // Nothing was half-written by the failures.
    await expectError(iam.send(new GetUserCommand({ UserName: "t" })), "NoSuchEntity", 404);
    await iam.send(new CreateUserCommand({ UserName: "tagged", Tags: fiftyOne.slice(0, 50) }));
    await expectError(iam.send(new TagUserCommand({ UserName: "tagged", Tags: [{ Key: "one-more", Value: "v" }] })), "LimitExceeded", 409);
    await iam.send(new DeleteUserCommand({ UserName: "tagged" }));
  });

  it("pages ListUsers with Marker/MaxItems and filters by PathPrefix", async () => {
    for (let i = 0; i < 7; i++) await iam.send(new CreateUserCommand({ UserName: `pager-${i}`, Path: i % 2 ? "/odd/" : "/even/" }));
    const names: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out = await iam.send(new ListUsersCommand({ PathPrefix: "/", MaxItems: 3, ...(marker ? { Marker: marker } : {}) }));
      pages++;
      names.push(...out.Users!.map((u) => u.UserName!));
      expect(out.IsTruncated).toBe(out.Marker !== undefined);
      marker = out.Marker;
    } while (marker);
    expect(pages).toBe(3);
    expect(names.filter((x) => x.startsWith("pager-"))).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `pager-${i}`));
    const odd = await iam.send(new ListUsersCommand({ PathPrefix: "/odd/" }));
    expect(odd.Users!.map((u) => u.UserName)).toEqual(["pager-1", "pager-3", "pager-5"]);
    expect(odd.IsTruncated).toBe(false);
    expect(odd.Users![0]!.Tags).toBeUndefined();
    await expectError(iam.send(new ListUsersCommand({ MaxItems: 0 })), "ValidationError", 400, /value greater than or equal to 1/);
    await expectError(iam.send(new ListUsersCommand({ MaxItems: 1001 })), "ValidationError", 400, /value less than or equal to 1000/);
    for (let i = 0; i < 7; i++) await iam.send(new DeleteUserCommand({ UserName: `pager-${i}` }));
  });
});

describe("IAM groups", () => {
  it("manages groups and membership, and refuses to delete a group with members", async () => {
    await iam.send(new CreateUserCommand({ UserName: "gus" }));
    await iam.send(new CreateUserCommand({ UserName: "gina" }));
    const g = await iam.send(new CreateGroupCommand({ GroupName: "devs", Path: "/teams/" }));
    expect(g.Group?.GroupId).toMatch(/^AGPA[A-Z2-7]{17}$/);
    expect(g.Group?.Arn).toBe("arn:aws:iam::000000000000:group/teams/devs");
    await expectError(iam.send(new CreateGroupCommand({ GroupName: "DEVS" })), "EntityAlreadyExists", 409);

    await iam.send(new AddUserToGroupCommand({ GroupName: "devs", UserName: "gus" }));
    await iam.send(new AddUserToGroupCommand({ GroupName: "devs", UserName: "gina" }));
    await iam.send(new AddUserToGroupCommand({ GroupName: "devs", UserName: "gina" })); // idempotent
    const got = await iam.send(new GetGroupCommand({ GroupName: "devs" }));
    expect(got.Users!.map((u) => u.UserName)).toEqual(["gina", "gus"]);
    const paged = await iam.send(new GetGroupCommand({ GroupName: "devs", MaxItems: 1 }));
    expect(paged.Users!.map((u) => u.UserName)).toEqual(["gina"]);
    expect(paged.IsTruncated).toBe(true);
    const next = await iam.send(new GetGroupCommand({ GroupName: "devs", Marker: paged.Marker! }));
    expect(next.Users!.map((u) => u.UserName)).toEqual(["gus"]);

    expect((await iam.send(new ListGroupsForUserCommand({ UserName: "gus" }))).Groups!.map((x) => x.GroupName)).toEqual(["devs"]);
    await expectError(iam.send(new DeleteGroupCommand({ GroupName: "devs" })), "DeleteConflict", 409, "Cannot delete entity, must remove users from group first.");
    await expectError(iam.send(new DeleteUserCommand({ UserName: "gus" })), "DeleteConflict", 409, "Cannot delete entity, must remove users from group first.");

    // Renaming the group keeps its members.
    await iam.send(new UpdateGroupCommand({ GroupName: "devs", NewGroupName: "engineers", NewPath: "/" }));
    expect((await iam.send(new GetGroupCommand({ GroupName: "engineers" }))).Users!.length).toBe(2);
    expect((await iam.send(new ListGroupsForUserCommand({ UserName: "gina" }))).Groups![0]!.GroupName).toBe("engineers");
    expect((await iam.send(new ListGroupsCommand({ PathPrefix: "/teams/" }))).Groups).toEqual([]);

    await iam.send(new RemoveUserFromGroupCommand({ GroupName: "engineers", UserName: "gus" }));
    await iam.send(new RemoveUserFromGroupCommand({ GroupName: "engineers", UserName: "gina" }));
    await expectError(iam.send(new RemoveUserFromGroupCommand({ GroupName: "engineers", UserName: "gina" })), "NoSuchEntity", 404);
    await iam.send(new DeleteGroupCommand({ GroupName: "engineers" }));
    await expectError(iam.send(new GetGroupCommand({ GroupName: "engineers" })), "NoSuchEntity", 404, "The group with name engineers cannot be found.");
    await iam.send(new DeleteUserCommand({ UserName: "gus" }));
    await iam.send(new DeleteUserCommand({ UserName: "gina" }));
  });

  it("limits a user to 10 groups", async () => {
    await iam.send(new CreateUserCommand({ UserName: "joiner" }));
    for (let i = 0; i < 11; i++) await iam.send(new CreateGroupCommand({ GroupName: `g${i}` }));
    for (let i = 0; i < 10; i++) await iam.send(new AddUserToGroupCommand({ GroupName: `g${i}`, UserName: "joiner" }));
    await expectError(iam.send(new AddUserToGroupCommand({ GroupName: "g10", UserName: "joiner" })), "LimitExceeded", 409, "Cannot exceed quota for GroupsPerUser: 10");
    for (let i = 0; i < 10; i++) await iam.send(new RemoveUserFromGroupCommand({ GroupName: `g${i}`, UserName: "joiner" }));
    for (let i = 0; i < 11; i++) await iam.send(new DeleteGroupCommand({ GroupName: `g${i}` }));
    await iam.send(new DeleteUserCommand({ UserName: "joiner" }));
  });
});

describe("IAM roles and instance profiles", () => {
  it("creates a role with a trust policy and updates it", async () => {
    const r = await iam.send(
      new CreateRoleCommand({ RoleName: "app-role", Path: "/svc/", AssumeRolePolicyDocument: TRUST, Description: "the app", MaxSessionDuration: 7200, Tags: [{ Key: "a", Value: "1" }] }),
    );
    expect(r.Role?.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(r.Role?.Arn).toBe("arn:aws:iam::000000000000:role/svc/app-role");
    expect(decodeURIComponent(r.Role!.AssumeRolePolicyDocument!)).toBe(TRUST);
    const got = await iam.send(new GetRoleCommand({ RoleName: "APP-ROLE" }));
    expect(got.Role?.Description).toBe("the app");
    expect(got.Role?.MaxSessionDuration).toBe(7200);
    expect(got.Role?.Tags).toEqual([{ Key: "a", Value: "1" }]);
    expect(got.Role?.RoleLastUsed).toEqual({});

    await iam.send(new UpdateRoleCommand({ RoleName: "app-role", MaxSessionDuration: 43200, Description: "changed" }));
    const desc = await iam.send(new UpdateRoleDescriptionCommand({ RoleName: "app-role", Description: "again" }));
    expect(desc.Role?.Description).toBe("again");
    expect((await iam.send(new GetRoleCommand({ RoleName: "app-role" }))).Role?.MaxSessionDuration).toBe(43200);
    await expectError(iam.send(new UpdateRoleCommand({ RoleName: "app-role", MaxSessionDuration: 3599 })), "ValidationError", 400, /at 'maxSessionDuration'/);
    await expectError(iam.send(new UpdateRoleCommand({ RoleName: "app-role", MaxSessionDuration: 43201 })), "ValidationError", 400);

    const lambdaTrust = TRUST.replace("ec2.amazonaws.com", "lambda.amazonaws.com");
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "app-role", PolicyDocument: lambdaTrust }));
    expect(decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: "app-role" }))).Role!.AssumeRolePolicyDocument!)).toBe(lambdaTrust);

    await iam.send(new TagRoleCommand({ RoleName: "app-role", Tags: [{ Key: "b", Value: "2" }] }));
    await iam.send(new UntagRoleCommand({ RoleName: "app-role", TagKeys: ["a"] }));
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: "app-role" }))).Tags).toEqual([{ Key: "b", Value: "2" }]);
    expect((await iam.send(new ListRolesCommand({ PathPrefix: "/svc/" }))).Roles!.map((x) => x.RoleName)).toEqual(["app-role"]);
    await iam.send(new DeleteRoleCommand({ RoleName: "app-role" }));
    await expectError(iam.send(new GetRoleCommand({ RoleName: "app-role" })), "NoSuchEntity", 404, "The role with name app-role cannot be found.");
  });

  it("rejects bad trust policies and durations", async () => {
    const identityPolicy = ALLOW_ALL;
    await expectError(iam.send(new CreateRoleCommand({ RoleName: "bad", AssumeRolePolicyDocument: identityPolicy })), "MalformedPolicyDocument", 400);
    await expectError(iam.send(new CreateRoleCommand({ RoleName: "bad", AssumeRolePolicyDocument: "{not json" })), "MalformedPolicyDocument", 400);
    await expectError(
      iam.send(new CreateRoleCommand({ RoleName: "bad", AssumeRolePolicyDocument: TRUST, MaxSessionDuration: 100 })),
      "ValidationError",
      400,
      "1 validation error detected: Value '100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600",
    );
    const big = JSON.stringify({
      Version: "2012-10-17",
      Statement: Array.from({ length: 30 }, (_, i) => ({
        Sid: `S${i}`,
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${String(100000000000 + i)}:root` },
        Action: "sts:AssumeRole",
      })),
    });
    await expectError(iam.send(new CreateRoleCommand({ RoleName: "bad", AssumeRolePolicyDocument: big })), "LimitExceeded", 409, "Cannot exceed quota for ACLSizePerRole: 2048");
    await expectError(iam.send(new GetRoleCommand({ RoleName: "bad" })), "NoSuchEntity", 404);
  });

  it("puts a role in an instance profile (one role at most) and guards deletion", async () => {
    await iam.send(new CreateRoleCommand({ RoleName: "ec2-role", AssumeRolePolicyDocument: TRUST }));
    await iam.send(new CreateRoleCommand({ RoleName: "ec2-role-2", AssumeRolePolicyDocument: TRUST }));
    const p = await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: "web", Path: "/p/", Tags: [{ Key: "x", Value: "y" }] }));
    expect(p.InstanceProfile?.InstanceProfileId).toMatch(/^AIPA[A-Z2-7]{17}$/);
    expect(p.InstanceProfile?.Arn).toBe("arn:aws:iam::000000000000:instance-profile/p/web");
    expect(p.InstanceProfile?.Roles).toEqual([]);
    await expectError(iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: "web" })), "EntityAlreadyExists", 409);

    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "web", RoleName: "ec2-role" }));
    await expectError(
      iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "web", RoleName: "ec2-role-2" })),
      "LimitExceeded",
      409,
      "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
    );
    const got = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: "web" }));
    expect(got.InstanceProfile?.Roles!.map((r) => r.RoleName)).toEqual(["ec2-role"]);
    expect(got.InstanceProfile?.Tags).toEqual([{ Key: "x", Value: "y" }]);
    expect((await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: "ec2-role" }))).InstanceProfiles!.map((x) => x.InstanceProfileName)).toEqual(["web"]);
    expect((await iam.send(new ListInstanceProfilesCommand({ PathPrefix: "/p/" }))).InstanceProfiles!.length).toBe(1);

    await expectError(iam.send(new DeleteRoleCommand({ RoleName: "ec2-role" })), "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.");
    await expectError(iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: "web" })), "DeleteConflict", 409);

    await iam.send(new TagInstanceProfileCommand({ InstanceProfileName: "web", Tags: [{ Key: "z", Value: "w" }] }));
    expect((await iam.send(new ListInstanceProfileTagsCommand({ InstanceProfileName: "web" }))).Tags!.length).toBe(2);

    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: "web", RoleName: "ec2-role" }));
    await iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: "web" }));
    await expectError(iam.send(new GetInstanceProfileCommand({ InstanceProfileName: "web" })), "NoSuchEntity", 404, "Instance Profile web cannot be found.");
    await iam.send(new DeleteRoleCommand({ RoleName: "ec2-role" }));
    await iam.send(new DeleteRoleCommand({ RoleName: "ec2-role-2" }));
  });
});

describe("IAM access keys", () => {
  it("creates keys that sign requests, deactivates and deletes them", async () => {
    await iam.send(new CreateUserCommand({ UserName: "keyholder", Path: "/ci/" }));
    const k1 = (await iam.send(new CreateAccessKeyCommand({ UserName: "keyholder" }))).AccessKey!;
    expect(k1.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(k1.SecretAccessKey).toHaveLength(40);
    expect(k1.Status).toBe("Active");

    const asUser = new STSClient(sdkConfig(n, { accessKeyId: k1.AccessKeyId!, secretAccessKey: k1.SecretAccessKey! }));
    const who = await asUser.send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe("arn:aws:iam::000000000000:user/ci/keyholder");
    expect(who.UserId).toBe((await iam.send(new GetUserCommand({ UserName: "keyholder" }))).User!.UserId);

    const k2 = (await iam.send(new CreateAccessKeyCommand({ UserName: "keyholder" }))).AccessKey!;
    await expectError(iam.send(new CreateAccessKeyCommand({ UserName: "keyholder" })), "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2");
    const listed = await iam.send(new ListAccessKeysCommand({ UserName: "keyholder" }));
    expect(listed.AccessKeyMetadata!.map((k) => k.AccessKeyId).sort()).toEqual([k1.AccessKeyId, k2.AccessKeyId].sort());

    const last = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k1.AccessKeyId! }));
    expect(last.UserName).toBe("keyholder");
    // The gateway records the key's use: it just signed STS GetCallerIdentity.
    expect(last.AccessKeyLastUsed?.ServiceName).toBe("sts");
    expect(last.AccessKeyLastUsed?.Region).toBe("us-east-1");
    expect(last.AccessKeyLastUsed?.LastUsedDate).toBeInstanceOf(Date);

    await iam.send(new UpdateAccessKeyCommand({ UserName: "keyholder", AccessKeyId: k1.AccessKeyId!, Status: "Inactive" }));
    await expectError(asUser.send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
    await iam.send(new UpdateAccessKeyCommand({ UserName: "keyholder", AccessKeyId: k1.AccessKeyId!, Status: "Active" }));
    expect((await asUser.send(new GetCallerIdentityCommand({}))).Arn).toMatch(/keyholder$/);
    await expectError(iam.send(new UpdateAccessKeyCommand({ UserName: "keyholder", AccessKeyId: k1.AccessKeyId!, Status: "Expired" })), "ValidationError", 400, /enum value set: \[Active, Inactive\]/);

    // A renamed user's keys sign as the new name.
    await iam.send(new UpdateUserCommand({ UserName: "keyholder", NewUserName: "keyholder2" }));
    expect((await asUser.send(new GetCallerIdentityCommand({}))).Arn).toBe("arn:aws:iam::000000000000:user/ci/keyholder2");

    await expectError(iam.send(new DeleteUserCommand({ UserName: "keyholder2" })), "DeleteConflict", 409, "Cannot delete entity, must delete access keys first.");
    await expectError(iam.send(new DeleteAccessKeyCommand({ UserName: "keyholder2", AccessKeyId: "AKIAAAAAAAAAAAAAAAAA" })), "NoSuchEntity", 404, "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.");
    await iam.send(new DeleteAccessKeyCommand({ UserName: "keyholder2", AccessKeyId: k1.AccessKeyId! }));
    await iam.send(new DeleteAccessKeyCommand({ UserName: "keyholder2", AccessKeyId: k2.AccessKeyId! }));
    await expectError(asUser.send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
    await iam.send(new DeleteUserCommand({ UserName: "keyholder2" }));
  });

  it("never lets concurrent requests exceed the two-key quota", async () => {
    await iam.send(new CreateUserCommand({ UserName: "racer" }));
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => iam.send(new CreateAccessKeyCommand({ UserName: "racer" }))));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    const keys = (await iam.send(new ListAccessKeysCommand({ UserName: "racer" }))).AccessKeyMetadata!;
    expect(keys).toHaveLength(2);
    for (const k of keys) await iam.send(new DeleteAccessKeyCommand({ UserName: "racer", AccessKeyId: k.AccessKeyId! }));
    await iam.send(new DeleteUserCommand({ UserName: "racer" }));
  });

  it("creates root access keys when the root user names no user", async () => {
    const k = (await iam.send(new CreateAccessKeyCommand({}))).AccessKey!;
    const asRoot = new STSClient(sdkConfig(n, { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! }));
    expect((await asRoot.send(new GetCallerIdentityCommand({}))).Arn).toBe("arn:aws:iam::000000000000:root");
    expect((await iam.send(new ListAccessKeysCommand({}))).AccessKeyMetadata!.map((x) => x.AccessKeyId)).toContain(k.AccessKeyId);
    await iam.send(new DeleteAccessKeyCommand({ AccessKeyId: k.AccessKeyId! }));
    await expectError(asRoot.send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
  });
});

describe("IAM login profiles and the password policy", () => {
  it("creates, reads, updates and deletes a login profile against the policy", async () => {
    await iam.send(new CreateUserCommand({ UserName: "console" }));
    // AWS's default policy: 8+ characters, three kinds of character.
    await expectError(iam.send(new CreateLoginProfileCommand({ UserName: "console", Password: "short" })), "PasswordPolicyViolation", 400, "Password does not conform to the account password policy.");
    const lp = await iam.send(new CreateLoginProfileCommand({ UserName: "console", Password: "Good-Pass-1", PasswordResetRequired: true }));
    expect(lp.LoginProfile?.PasswordResetRequired).toBe(true);
    await expectError(iam.send(new CreateLoginProfileCommand({ UserName: "console", Password: "Good-Pass-1" })), "EntityAlreadyExists", 409);
    expect((await iam.send(new GetLoginProfileCommand({ UserName: "console" }))).LoginProfile?.UserName).toBe("console");
    await expectError(iam.send(new DeleteUserCommand({ UserName: "console" })), "DeleteConflict", 409, "Cannot delete entity, must delete login profile first.");

    await expectError(iam.send(new GetAccountPasswordPolicyCommand({})), "NoSuchEntity", 404, "The Password Policy with domain name 000000000000 cannot be found.");
    await iam.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 12, RequireSymbols: true, RequireNumbers: true, PasswordReusePrevention: 2, MaxPasswordAge: 90 }));
    const policy = (await iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy!;
    expect(policy).toMatchObject({
      MinimumPasswordLength: 12,
      RequireSymbols: true,
      RequireNumbers: true,
      RequireUppercaseCharacters: false,
      RequireLowercaseCharacters: false,
      AllowUsersToChangePassword: false,
      ExpirePasswords: true,
      MaxPasswordAge: 90,
      PasswordReusePrevention: 2,
      HardExpiry: false,
    });
    await expectError(iam.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 5 })), "ValidationError", 400);
    await expectError(iam.send(new UpdateLoginProfileCommand({ UserName: "console", Password: "Short-1" })), "PasswordPolicyViolation", 400);
    await expectError(iam.send(new UpdateLoginProfileCommand({ UserName: "console", Password: "NoSymbolsHere123" })), "PasswordPolicyViolation", 400);
    await iam.send(new UpdateLoginProfileCommand({ UserName: "console", Password: "A-much-longer-1", PasswordResetRequired: false }));
    expect((await iam.send(new GetLoginProfileCommand({ UserName: "console" }))).LoginProfile?.PasswordResetRequired).toBe(false);
    // PasswordReusePrevention: 2 forbids the last two passwords.
    await expectError(iam.send(new UpdateLoginProfileCommand({ UserName: "console", Password: "A-much-longer-1" })), "PasswordPolicyViolation", 400);

    await iam.send(new DeleteAccountPasswordPolicyCommand({}));
    await expectError(iam.send(new DeleteAccountPasswordPolicyCommand({})), "NoSuchEntity", 404);
    await iam.send(new DeleteLoginProfileCommand({ UserName: "console" }));
    await expectError(iam.send(new GetLoginProfileCommand({ UserName: "console" })), "NoSuchEntity", 404, "Login Profile for User console cannot be found.");
    await iam.send(new DeleteUserCommand({ UserName: "console" }));
  });

  it("lets a user change their own password (ChangePassword)", async () => {
    await iam.send(new CreateUserCommand({ UserName: "self" }));
    await iam.send(new CreateLoginProfileCommand({ UserName: "self", Password: "First-Pass-1" }));
    // What AWS's IAMUserChangePassword policy grants, plus reading one's own user.
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "self",
        PolicyName: "change-password",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: ["iam:ChangePassword", "iam:GetUser"], Resource: "arn:aws:iam::*:user/${aws:username}" }],
        }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "self" }))).AccessKey!;
    const me = new IAMClient(sdkConfig(n, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }));
    await expectError(me.send(new ChangePasswordCommand({ OldPassword: "wrong-Pass-1", NewPassword: "Second-Pass-2" })), "AccessDenied", 403);
    await expectError(me.send(new ChangePasswordCommand({ OldPassword: "First-Pass-1", NewPassword: "weak" })), "PasswordPolicyViolation", 400);
    await me.send(new ChangePasswordCommand({ OldPassword: "First-Pass-1", NewPassword: "Second-Pass-2" }));
    await me.send(new ChangePasswordCommand({ OldPassword: "Second-Pass-2", NewPassword: "Third-Pass-3" }));
    await expectError(iam.send(new ChangePasswordCommand({ OldPassword: "x", NewPassword: "y" })), "InvalidUserType", 400);
    expect((await me.send(new GetUserCommand({}))).User?.UserName).toBe("self");
    await iam.send(new DeleteAccessKeyCommand({ UserName: "self", AccessKeyId: key.AccessKeyId! }));
    await iam.send(new DeleteUserPolicyCommand({ UserName: "self", PolicyName: "change-password" }));
    await iam.send(new DeleteLoginProfileCommand({ UserName: "self" }));
    await iam.send(new DeleteUserCommand({ UserName: "self" }));
  });
});

describe("IAM account settings", () => {
  it("sets one globally unique account alias", async () => {
    await expectError(iam.send(new CreateAccountAliasCommand({ AccountAlias: "Bad_Alias" })), "ValidationError", 400);
    await expectError(iam.send(new CreateAccountAliasCommand({ AccountAlias: "a--b" })), "ValidationError", 400);
    await iam.send(new CreateAccountAliasCommand({ AccountAlias: "my-company" }));
    await iam.send(new CreateAccountAliasCommand({ AccountAlias: "my-company" }));
    await expectError(iam.send(new CreateAccountAliasCommand({ AccountAlias: "other-name" })), "LimitExceeded", 409);
    expect((await iam.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual(["my-company"]);
    // Another account cannot take it.
    const res = await fetch(`${n.endpoint}/_nimbus/accounts`, { method: "POST", body: JSON.stringify({ email: "second@example.com" }) });
    const second = (await res.json()) as { accountId: string; accessKeyId: string; secretAccessKey: string };
    const other = new IAMClient(sdkConfig(n, { accessKeyId: second.accessKeyId, secretAccessKey: second.secretAccessKey }));
    await expectError(other.send(new CreateAccountAliasCommand({ AccountAlias: "my-company" })), "EntityAlreadyExists", 409);
    expect((await other.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual([]);
    await expectError(iam.send(new DeleteAccountAliasCommand({ AccountAlias: "not-mine" })), "NoSuchEntity", 404);
    await iam.send(new DeleteAccountAliasCommand({ AccountAlias: "my-company" }));
    await other.send(new CreateAccountAliasCommand({ AccountAlias: "my-company" }));
    expect((await other.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual(["my-company"]);
  });

  it("summarizes the account with real counts and AWS's quotas", async () => {
    const before = (await iam.send(new GetAccountSummaryCommand({}))).SummaryMap!;
    await iam.send(new CreateUserCommand({ UserName: "counted" }));
    await iam.send(new CreateRoleCommand({ RoleName: "counted-role", AssumeRolePolicyDocument: TRUST }));
    const s = (await iam.send(new GetAccountSummaryCommand({}))).SummaryMap!;
    expect(s.Users).toBe(before.Users! + 1);
    expect(s.Roles).toBe(before.Roles! + 1);
    expect(s.UsersQuota).toBe(5000);
    expect(s.RolesQuota).toBe(1000);
    expect(s.GroupsQuota).toBe(300);
    expect(s.AccessKeysPerUserQuota).toBe(2);
    expect(s.PolicySizeQuota).toBe(6144);
    expect(s.VersionsPerPolicyQuota).toBe(5);
    await iam.send(new DeleteRoleCommand({ RoleName: "counted-role" }));
    await iam.send(new DeleteUserCommand({ UserName: "counted" }));
  });

  it("generates the credential report (STARTED, then COMPLETE) with AWS's columns", async () => {
    const fresh = await startTestNimbus();
    try {
      const c = new IAMClient(sdkConfig(fresh));
      await expectError(c.send(new GetCredentialReportCommand({})), "ReportNotPresent", 410);
      await c.send(new CreateUserCommand({ UserName: "reported" }));
      await c.send(new CreateLoginProfileCommand({ UserName: "reported", Password: "Good-Pass-1" }));
      const key = (await c.send(new CreateAccessKeyCommand({ UserName: "reported" }))).AccessKey!;
      expect((await c.send(new GenerateCredentialReportCommand({}))).State).toBe("STARTED");
      expect((await c.send(new GenerateCredentialReportCommand({}))).State).toBe("COMPLETE");
      const report = await c.send(new GetCredentialReportCommand({}));
      expect(report.ReportFormat).toBe("text/csv");
      expect(report.GeneratedTime).toBeInstanceOf(Date);
      const lines = Buffer.from(report.Content!).toString("utf8").split("\n");
      expect(lines[0]).toBe(
        "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated",
      );
      expect(lines[1]).toMatch(/^<root_account>,arn:aws:iam::000000000000:root,/);
      const row = lines[2]!.split(",");
      expect(row[0]).toBe("reported");
      expect(row[3]).toBe("true");
      expect(row[8]).toBe("true");
      expect(row[9]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
      expect(row[13]).toBe("false");
      expect(key.AccessKeyId).toBeDefined();
      // Reports expire after four hours.
      fresh.clock.advance(4 * 3600 + 1);
      await expectError(c.send(new GetCredentialReportCommand({})), "ReportExpired", 410);
    } finally {
      await fresh.stop();
    }
  });
});

describe("IAM calls by IAM users (the policy engine decides)", () => {
  it("lets a user manage their own keys with a ${aws:username} policy, and nothing more", async () => {
    await iam.send(new CreateUserCommand({ UserName: "selfie", Path: "/staff/" }));
    await iam.send(new CreateUserCommand({ UserName: "neighbour" }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "selfie" }))).AccessKey!;
    const me = new IAMClient(sdkConfig(n, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }));
    const denied = await expectError(me.send(new ListUsersCommand({})), "AccessDenied", 403);
    expect(denied.message).toContain("User: arn:aws:iam::000000000000:user/staff/selfie is not authorized to perform: iam:ListUsers");

    await iam.send(
      new PutUserPolicyCommand({
        UserName: "selfie",
        PolicyName: "self-service",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["iam:GetUser", "iam:*AccessKey*", "iam:ChangePassword"],
              Resource: "arn:aws:iam::*:user/*/${aws:username}",
            },
          ],
        }),
      }),
    );
    expect((await me.send(new GetUserCommand({}))).User?.UserName).toBe("selfie");
    expect((await me.send(new ListAccessKeysCommand({}))).AccessKeyMetadata!.length).toBe(1);
    const second = (await me.send(new CreateAccessKeyCommand({}))).AccessKey!;
    expect(second.UserName).toBe("selfie");
    await me.send(new DeleteAccessKeyCommand({ AccessKeyId: second.AccessKeyId! }));
    const other = await expectError(me.send(new CreateAccessKeyCommand({ UserName: "neighbour" })), "AccessDenied", 403);
    expect(other.message).toContain("on resource: arn:aws:iam::000000000000:user/neighbour");
    await expectError(me.send(new ListUsersCommand({})), "AccessDenied", 403);

    await iam.send(new DeleteUserPolicyCommand({ UserName: "selfie", PolicyName: "self-service" }));
    await iam.send(new DeleteAccessKeyCommand({ UserName: "selfie", AccessKeyId: key.AccessKeyId! }));
    await iam.send(new DeleteUserCommand({ UserName: "selfie" }));
    await iam.send(new DeleteUserCommand({ UserName: "neighbour" }));
  });
});

describe("IAM through the AWS CLI and boto3", () => {
  it("works with the AWS CLI", async () => {
    const mk = await awsCli(n, ["iam", "create-user", "--user-name", "cli-user", "--tags", "Key=k,Value=v"]);
    expect(mk.code, mk.stderr).toBe(0);
    expect((JSON.parse(mk.stdout) as { User: { UserName: string } }).User.UserName).toBe("cli-user");
    const role = await awsCli(n, ["iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", TRUST]);
    expect(role.code, role.stderr).toBe(0);
    // The CLI decodes the URL-encoded trust policy into JSON.
    const got = await awsCli(n, ["iam", "get-role", "--role-name", "cli-role"]);
    expect((JSON.parse(got.stdout) as { Role: { AssumeRolePolicyDocument: unknown } }).Role.AssumeRolePolicyDocument).toEqual(JSON.parse(TRUST));
    const dup = await awsCli(n, ["iam", "create-user", "--user-name", "cli-user"]);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toContain("EntityAlreadyExists");
    const missing = await awsCli(n, ["iam", "get-user", "--user-name", "nobody"]);
    expect(missing.stderr).toContain("NoSuchEntity");
    expect(missing.stderr).toContain("The user with name nobody cannot be found.");
    const list = await awsCli(n, ["iam", "list-users", "--max-items", "1"]);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { Users: unknown[] }).Users).toHaveLength(1);
    await awsCli(n, ["iam", "delete-role", "--role-name", "cli-role"]);
    await awsCli(n, ["iam", "delete-user", "--user-name", "cli-user"]);
  });

  it("works with boto3, including its paginators", async () => {
    const code = [
      "iam = client('iam')",
      "for i in range(5): iam.create_user(UserName=f'boto-{i}', Path='/boto/')",
      "names = []",
      "for page in iam.get_paginator('list_users').paginate(PathPrefix='/boto/', PaginationConfig={'PageSize': 2}):",
      "    names += [u['UserName'] for u in page['Users']]",
      "print(json.dumps(names))",
      "k = iam.create_access_key(UserName='boto-0')['AccessKey']",
      "sts = boto3.client('sts', endpoint_url=endpoint, region_name=region, config=cfg, aws_access_key_id=k['AccessKeyId'], aws_secret_access_key=k['SecretAccessKey'])",
      "print(json.dumps(sts.get_caller_identity()['Arn']))",
      "try:",
      "    iam.delete_user(UserName='boto-0')",
      "except botocore.exceptions.ClientError as e:",
      "    print(json.dumps([e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error']['Message']]))",
    ].join("\n");
    const r = await boto3(n, code);
    expect(r.stderr).toBe("");
    const [names, arn, errInfo] = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as unknown);
    expect(names).toEqual(["boto-0", "boto-1", "boto-2", "boto-3", "boto-4"]);
    expect(arn).toBe("arn:aws:iam::000000000000:user/boto/boto-0");
    expect(errInfo).toEqual(["DeleteConflict", 409, "Cannot delete entity, must delete access keys first."]);
  });
});
