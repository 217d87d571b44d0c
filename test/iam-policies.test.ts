/**
 * IAM policies through the official clients: customer managed policies and their versions,
 * AWS managed policies, inline policies, attachments, permissions boundaries, size limits,
 * malformed documents, the simulator; and the functions the rest of Nimbus calls
 * (collectPrincipalPolicies, getRoleByArn, recordAccessKeyUse).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  IAMClient,
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteGroupPolicyCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountAuthorizationDetailsCommand,
  GetContextKeysForCustomPolicyCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListGroupPoliciesCommand,
  ListPoliciesCommand,
  ListPolicyTagsCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutGroupPolicyCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  SetDefaultPolicyVersionCommand,
  SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
  TagPolicyCommand,
  UntagPolicyCommand,
} from "@aws-sdk/client-iam";
import type { Nimbus } from "../src/index.js";
import { openStorage } from "../src/storage/index.js";
import { collectPrincipalPolicies, getRoleByArn, recordAccessKeyUse } from "../src/services/iam/index.js";
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

type AwsError = { name: string; Code?: string; message: string; $metadata: { httpStatusCode: number } };
async function expectError(p: Promise<unknown>, code: string, status: number, message?: string | RegExp) {
  const e = await p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (x: unknown) => x as AwsError,
  );
  expect(e.Code ?? e.name).toBe(code);
  expect(e.$metadata.httpStatusCode).toBe(status);
  if (message !== undefined) expect(e.message).toMatch(message);
  return e;
}

const doc = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const allow = (action: string | string[], resource: string | string[] = "*") => ({ Effect: "Allow", Action: action, Resource: resource });
const deny = (action: string | string[], resource: string | string[] = "*") => ({ Effect: "Deny", Action: action, Resource: resource });
const TRUST = doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" });
const ACCOUNT = "000000000000";

/** A document of about `size` non-whitespace characters. */
function sizedDocument(size: number): string {
  const base = doc(allow("s3:GetObject", "arn:aws:s3:::"));
  const pad = size - base.replace(/\s/g, "").length;
  return doc(allow("s3:GetObject", `arn:aws:s3:::${"b".repeat(Math.max(0, pad))}`));
}

describe("customer managed policies", () => {
  it("creates a policy, adds versions (at most 5), switches the default and deletes", async () => {
    const v1 = doc(allow("s3:GetObject", "arn:aws:s3:::bucket/*"));
    const created = await iam.send(
      new CreatePolicyCommand({ PolicyName: "ReadBucket", Path: "/app/", PolicyDocument: v1, Description: "reads", Tags: [{ Key: "t", Value: "1" }] }),
    );
    const p = created.Policy!;
    const arn = `arn:aws:iam::${ACCOUNT}:policy/app/ReadBucket`;
    expect(p.Arn).toBe(arn);
    expect(p.PolicyId).toMatch(/^ANPA[A-Z2-7]{17}$/);
    expect(p.DefaultVersionId).toBe("v1");
    expect(p.AttachmentCount).toBe(0);
    expect(p.IsAttachable).toBe(true);
    await expectError(
      iam.send(new CreatePolicyCommand({ PolicyName: "readbucket", PolicyDocument: v1 })),
      "EntityAlreadyExists",
      409,
      "A policy called readbucket already exists. Duplicate names are not allowed.",
    );

    const got = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    expect(got.Policy?.Description).toBe("reads");
    expect(got.Policy?.Tags).toEqual([{ Key: "t", Value: "1" }]);
    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v1" }));
    expect(version.PolicyVersion?.IsDefaultVersion).toBe(true);
    // AWS sends documents URL-encoded; SDK v3 hands them over as sent.
    expect(decodeURIComponent(version.PolicyVersion!.Document!)).toBe(v1);

    const v2 = await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc(allow("s3:*")), SetAsDefault: true }));
    expect(v2.PolicyVersion).toMatchObject({ VersionId: "v2", IsDefaultVersion: true });
    for (let i = 3; i <= 5; i++) await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc(allow(`s3:Get${i}`)) }));
    await expectError(
      iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: v1 })),
      "LimitExceeded",
      409,
      "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
    );
    const versions = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
    expect(versions.Versions!.map((v) => v.VersionId)).toEqual(["v5", "v4", "v3", "v2", "v1"]);
    expect(versions.Versions!.filter((v) => v.IsDefaultVersion).map((v) => v.VersionId)).toEqual(["v2"]);
    expect((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.DefaultVersionId).toBe("v2");

    await expectError(iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" })), "DeleteConflict", 409, "Cannot delete the default version of a policy.");
    await expectError(iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v9" })), "NoSuchEntity", 404);
    await expectError(iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v9" })), "NoSuchEntity", 404);
    await expectError(iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "x1" })), "ValidationError", 400);
    await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: "v5" }));
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" }));
    // Version ids are never reused.
    expect((await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: v1 }))).PolicyVersion?.VersionId).toBe("v6");

    await iam.send(new TagPolicyCommand({ PolicyArn: arn, Tags: [{ Key: "u", Value: "2" }] }));
    await iam.send(new UntagPolicyCommand({ PolicyArn: arn, TagKeys: ["t"] }));
    expect((await iam.send(new ListPolicyTagsCommand({ PolicyArn: arn }))).Tags).toEqual([{ Key: "u", Value: "2" }]);

    await expectError(
      iam.send(new DeletePolicyCommand({ PolicyArn: arn })),
      "DeleteConflict",
      409,
      /more than one version/,
    );
    for (const v of ["v1", "v3", "v4", "v6"]) await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
    await expectError(iam.send(new GetPolicyCommand({ PolicyArn: arn })), "NoSuchEntity", 404, `Policy ${arn} was not found.`);
    await expectError(iam.send(new GetPolicyCommand({ PolicyArn: "not-an-arn-at-all-really" })), "InvalidInput", 400, "ARN not-an-arn-at-all-really is not valid.");
  });

  it("rejects malformed and oversized documents with AWS's errors", async () => {
    await expectError(iam.send(new CreatePolicyCommand({ PolicyName: "Bad", PolicyDocument: "{" })), "MalformedPolicyDocument", 400);
    await expectError(
      iam.send(new CreatePolicyCommand({ PolicyName: "Bad", PolicyDocument: JSON.stringify({ Statement: [allow("s3:*")] }) })),
      "MalformedPolicyDocument",
      400,
      "Policy document must be version 2012-10-17 or greater.",
    );
    await expectError(
      iam.send(new CreatePolicyCommand({ PolicyName: "Bad", PolicyDocument: doc({ Effect: "Allow", Action: "s3:*" }) })),
      "MalformedPolicyDocument",
      400,
      "Policy statement must contain resources.",
    );
    await expectError(
      iam.send(new CreatePolicyCommand({ PolicyName: "Bad", PolicyDocument: doc({ ...allow("s3:*"), Principal: "*" }) })),
      "MalformedPolicyDocument",
      400,
      "Policy document should not specify a principal.",
    );
    expect(sizedDocument(6144).replace(/\s/g, "").length).toBe(6144);
    await iam.send(new CreatePolicyCommand({ PolicyName: "Exactly6144", PolicyDocument: sizedDocument(6144) }));
    await expectError(
      iam.send(new CreatePolicyCommand({ PolicyName: "TooBig", PolicyDocument: sizedDocument(6145) })),
      "LimitExceeded",
      409,
      "Cannot exceed quota for PolicySize: 6144",
    );
    // Whitespace does not count.
    const spaced = sizedDocument(6000).replace(/,/g, ",          ");
    await iam.send(new CreatePolicyCommand({ PolicyName: "Spaced", PolicyDocument: spaced }));
    expect((await iam.send(new ListPoliciesCommand({ Scope: "Local" }))).Policies!.map((p) => p.PolicyName)).toEqual(["Exactly6144", "Spaced"]);
    await iam.send(new DeletePolicyCommand({ PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/Exactly6144` }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/Spaced` }));
  });
});

describe("AWS managed policies", () => {
  it("lists them in every account, with their real documents, read-only", async () => {
    const aws = (await iam.send(new ListPoliciesCommand({ Scope: "AWS", MaxItems: 1000 }))).Policies!;
    const names = aws.map((p) => p.PolicyName);
    for (const name of [
      "AdministratorAccess",
      "PowerUserAccess",
      "ReadOnlyAccess",
      "IAMFullAccess",
      "AmazonS3FullAccess",
      "AmazonS3ReadOnlyAccess",
      "AmazonDynamoDBFullAccess",
      "AmazonSQSFullAccess",
      "AmazonSNSFullAccess",
      "AWSLambda_FullAccess",
      "AWSLambdaBasicExecutionRole",
      "CloudWatchFullAccess",
      "AmazonEC2FullAccess",
    ]) {
      expect(names).toContain(name);
    }
    const basic = aws.find((p) => p.PolicyName === "AWSLambdaBasicExecutionRole")!;
    expect(basic.Arn).toBe("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole");
    expect(basic.Path).toBe("/service-role/");
    const admin = await iam.send(new GetPolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    expect(admin.Policy?.Description).toBe("Provides full access to AWS services and resources.");
    const v = await iam.send(new GetPolicyVersionCommand({ PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess", VersionId: admin.Policy!.DefaultVersionId! }));
    expect(JSON.parse(decodeURIComponent(v.PolicyVersion!.Document!))).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    });
    const power = await iam.send(new GetPolicyVersionCommand({ PolicyArn: "arn:aws:iam::aws:policy/PowerUserAccess", VersionId: "v12" }));
    expect(JSON.parse(decodeURIComponent(power.PolicyVersion!.Document!)).Statement[0].NotAction).toEqual(["iam:*", "organizations:*", "account:*"]);

    // Not modifiable: they belong to AWS.
    await expectError(
      iam.send(new CreatePolicyVersionCommand({ PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess", PolicyDocument: doc(allow("s3:*")) })),
      "AccessDenied",
      403,
    );
    await expectError(iam.send(new DeletePolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" })), "AccessDenied", 403);
    await expectError(iam.send(new GetPolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/NoSuchPolicy" })), "NoSuchEntity", 404);

    // Local only vs AWS only.
    expect((await iam.send(new ListPoliciesCommand({ Scope: "Local" }))).Policies).toEqual([]);
  });
});

describe("inline policies, attachments and boundaries", () => {
  it("puts, gets, lists and deletes inline policies on users, groups and roles", async () => {
    await iam.send(new CreateUserCommand({ UserName: "inliner" }));
    await iam.send(new CreateGroupCommand({ GroupName: "inliners" }));
    await iam.send(new CreateRoleCommand({ RoleName: "inline-role", AssumeRolePolicyDocument: TRUST }));
    const d = doc(allow("sqs:SendMessage"));
    await iam.send(new PutUserPolicyCommand({ UserName: "inliner", PolicyName: "send", PolicyDocument: d }));
    await iam.send(new PutUserPolicyCommand({ UserName: "inliner", PolicyName: "another", PolicyDocument: d }));
    await iam.send(new PutGroupPolicyCommand({ GroupName: "inliners", PolicyName: "send", PolicyDocument: d }));
    await iam.send(new PutRolePolicyCommand({ RoleName: "inline-role", PolicyName: "send", PolicyDocument: d }));

    const u = await iam.send(new GetUserPolicyCommand({ UserName: "inliner", PolicyName: "send" }));
    expect(u.UserName).toBe("inliner");
    expect(decodeURIComponent(u.PolicyDocument!)).toBe(d);
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: "inliner" }))).PolicyNames).toEqual(["another", "send"]);
    const page1 = await iam.send(new ListUserPoliciesCommand({ UserName: "inliner", MaxItems: 1 }));
    expect(page1.PolicyNames).toEqual(["another"]);
    expect(page1.IsTruncated).toBe(true);
    expect(decodeURIComponent((await iam.send(new GetGroupPolicyCommand({ GroupName: "inliners", PolicyName: "send" }))).PolicyDocument!)).toBe(d);
    expect(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: "inline-role", PolicyName: "send" }))).PolicyDocument!)).toBe(d);
    expect((await iam.send(new ListGroupPoliciesCommand({ GroupName: "inliners" }))).PolicyNames).toEqual(["send"]);
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: "inline-role" }))).PolicyNames).toEqual(["send"]);

    await expectError(iam.send(new GetUserPolicyCommand({ UserName: "inliner", PolicyName: "nope" })), "NoSuchEntity", 404, "The user policy with name nope cannot be found.");
    await expectError(iam.send(new DeleteUserCommand({ UserName: "inliner" })), "DeleteConflict", 409, "Cannot delete entity, must delete policies first.");
    await expectError(iam.send(new DeleteRoleCommand({ RoleName: "inline-role" })), "DeleteConflict", 409, "Cannot delete entity, must delete policies first.");
    await expectError(
      iam.send(new PutUserPolicyCommand({ UserName: "inliner", PolicyName: "bad", PolicyDocument: doc({ Effect: "Allow", Action: "s3:*" }) })),
      "MalformedPolicyDocument",
      400,
    );

    await iam.send(new DeleteUserPolicyCommand({ UserName: "inliner", PolicyName: "send" }));
    await iam.send(new DeleteUserPolicyCommand({ UserName: "inliner", PolicyName: "another" }));
    await iam.send(new DeleteGroupPolicyCommand({ GroupName: "inliners", PolicyName: "send" }));
    await iam.send(new DeleteRolePolicyCommand({ RoleName: "inline-role", PolicyName: "send" }));
    await iam.send(new DeleteUserCommand({ UserName: "inliner" }));
    await iam.send(new DeleteRoleCommand({ RoleName: "inline-role" }));
  });

  it("enforces the aggregate inline size limits (user 2,048, group 5,120, role 10,240)", async () => {
    await iam.send(new CreateUserCommand({ UserName: "sized" }));
    await iam.send(new CreateGroupCommand({ GroupName: "sized" }));
    await iam.send(new CreateRoleCommand({ RoleName: "sized", AssumeRolePolicyDocument: TRUST }));
    await iam.send(new PutUserPolicyCommand({ UserName: "sized", PolicyName: "a", PolicyDocument: sizedDocument(2048) }));
    await expectError(
      iam.send(new PutUserPolicyCommand({ UserName: "sized", PolicyName: "b", PolicyDocument: doc(allow("s3:*")) })),
      "LimitExceeded",
      409,
      "Maximum policy size of 2048 bytes exceeded for user sized",
    );
    // Replacing a policy counts the new text only once.
    await iam.send(new PutUserPolicyCommand({ UserName: "sized", PolicyName: "a", PolicyDocument: sizedDocument(2000) }));
    await iam.send(new PutGroupPolicyCommand({ GroupName: "sized", PolicyName: "a", PolicyDocument: sizedDocument(5120) }));
    await expectError(
      iam.send(new PutGroupPolicyCommand({ GroupName: "sized", PolicyName: "a", PolicyDocument: sizedDocument(5121) })),
      "LimitExceeded",
      409,
      "Maximum policy size of 5120 bytes exceeded for group sized",
    );
    await iam.send(new PutRolePolicyCommand({ RoleName: "sized", PolicyName: "a", PolicyDocument: sizedDocument(10240) }));
    await expectError(
      iam.send(new PutRolePolicyCommand({ RoleName: "sized", PolicyName: "b", PolicyDocument: doc(allow("s3:*")) })),
      "LimitExceeded",
      409,
      "Maximum policy size of 10240 bytes exceeded for role sized",
    );
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: "sized" }))).PolicyNames).toEqual(["a"]);
  });

  it("attaches managed policies, counts attachments and lists entities", async () => {
    const arn = (await iam.send(new CreatePolicyCommand({ PolicyName: "Shared", PolicyDocument: doc(allow("sns:Publish")) }))).Policy!.Arn!;
    await iam.send(new CreateUserCommand({ UserName: "att-user", Path: "/x/" }));
    await iam.send(new CreateGroupCommand({ GroupName: "att-group" }));
    await iam.send(new CreateRoleCommand({ RoleName: "att-role", AssumeRolePolicyDocument: TRUST }));
    await iam.send(new AttachUserPolicyCommand({ UserName: "att-user", PolicyArn: arn }));
    await iam.send(new AttachUserPolicyCommand({ UserName: "att-user", PolicyArn: arn })); // twice is fine
    await iam.send(new AttachGroupPolicyCommand({ GroupName: "att-group", PolicyArn: arn }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "att-role", PolicyArn: arn }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "att-role", PolicyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" }));

    expect((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.AttachmentCount).toBe(3);
    const basic = await iam.send(new GetPolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" }));
    expect(basic.Policy?.AttachmentCount).toBe(1);
    expect((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: "att-user" }))).AttachedPolicies).toEqual([{ PolicyName: "Shared", PolicyArn: arn }]);
    expect((await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: "att-group" }))).AttachedPolicies!.length).toBe(1);
    const rolePolicies = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "att-role" }));
    expect(rolePolicies.AttachedPolicies!.map((p) => p.PolicyName)).toEqual(["AWSLambdaBasicExecutionRole", "Shared"]);
    expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "att-role", PathPrefix: "/service-role/" }))).AttachedPolicies!.length).toBe(1);

    const entities = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn }));
    expect(entities.PolicyUsers!.map((x) => x.UserName)).toEqual(["att-user"]);
    expect(entities.PolicyGroups!.map((x) => x.GroupName)).toEqual(["att-group"]);
    expect(entities.PolicyRoles!.map((x) => x.RoleName)).toEqual(["att-role"]);
    expect(entities.PolicyUsers![0]!.UserId).toMatch(/^AIDA/);
    const onlyRoles = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn, EntityFilter: "Role" }));
    expect([onlyRoles.PolicyUsers, onlyRoles.PolicyGroups, onlyRoles.PolicyRoles!.length]).toEqual([[], [], 1]);
    const byPath = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn, PathPrefix: "/x/" }));
    expect(byPath.PolicyUsers!.length + byPath.PolicyGroups!.length + byPath.PolicyRoles!.length).toBe(1);

    const attachedOnly = await iam.send(new ListPoliciesCommand({ OnlyAttached: true }));
    expect(attachedOnly.Policies!.map((p) => p.PolicyName).sort()).toEqual(["AWSLambdaBasicExecutionRole", "Shared"]);

    await expectError(iam.send(new DeletePolicyCommand({ PolicyArn: arn })), "DeleteConflict", 409, "Cannot delete a policy attached to entities.");
    await expectError(iam.send(new DeleteUserCommand({ UserName: "att-user" })), "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.");
    await expectError(
      iam.send(new AttachUserPolicyCommand({ UserName: "att-user", PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/Missing` })),
      "NoSuchEntity",
      404,
      `Policy arn:aws:iam::${ACCOUNT}:policy/Missing does not exist or is not attachable.`,
    );
    await expectError(iam.send(new AttachUserPolicyCommand({ UserName: "att-user", PolicyArn: "arn:aws:s3:::not-a-policy" })), "InvalidInput", 400);
    await expectError(iam.send(new DetachUserPolicyCommand({ UserName: "att-user", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" })), "NoSuchEntity", 404);

    // At most 10 managed policies per entity.
    const many: string[] = [];
    for (let i = 0; i < 10; i++) {
      many.push((await iam.send(new CreatePolicyCommand({ PolicyName: `Many${i}`, PolicyDocument: doc(allow(`s3:Get${i}`)) }))).Policy!.Arn!);
    }
    for (let i = 0; i < 9; i++) await iam.send(new AttachGroupPolicyCommand({ GroupName: "att-group", PolicyArn: many[i]! }));
    await expectError(iam.send(new AttachGroupPolicyCommand({ GroupName: "att-group", PolicyArn: many[9]! })), "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerGroup: 10");
    for (let i = 0; i < 9; i++) await iam.send(new DetachGroupPolicyCommand({ GroupName: "att-group", PolicyArn: many[i]! }));
    for (const a of many) await iam.send(new DeletePolicyCommand({ PolicyArn: a }));

    await iam.send(new DetachUserPolicyCommand({ UserName: "att-user", PolicyArn: arn }));
    await iam.send(new DetachGroupPolicyCommand({ GroupName: "att-group", PolicyArn: arn }));
    await iam.send(new DetachRolePolicyCommand({ RoleName: "att-role", PolicyArn: arn }));
    expect((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.AttachmentCount).toBe(0);
    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
  });

  it("puts and removes permissions boundaries (GetUser/GetRole show them)", async () => {
    const boundary = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    await iam.send(new CreateUserCommand({ UserName: "bounded" }));
    await iam.send(new PutUserPermissionsBoundaryCommand({ UserName: "bounded", PermissionsBoundary: boundary }));
    expect((await iam.send(new GetUserCommand({ UserName: "bounded" }))).User?.PermissionsBoundary).toEqual({
      PermissionsBoundaryType: "PermissionsBoundaryPolicy",
      PermissionsBoundaryArn: boundary,
    });
    const role = await iam.send(new CreateRoleCommand({ RoleName: "bounded-role", AssumeRolePolicyDocument: TRUST, PermissionsBoundary: boundary }));
    expect(role.Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(boundary);
    expect((await iam.send(new GetPolicyCommand({ PolicyArn: boundary }))).Policy?.PermissionsBoundaryUsageCount).toBe(2);
    const asBoundary = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: boundary, PolicyUsageFilter: "PermissionsBoundary" }));
    expect(asBoundary.PolicyUsers!.map((u) => u.UserName)).toEqual(["bounded"]);
    await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: "bounded-role" }));
    expect((await iam.send(new GetRoleCommand({ RoleName: "bounded-role" }))).Role?.PermissionsBoundary).toBeUndefined();
    await expectError(
      iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: "bounded-role", PermissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/Nope` })),
      "NoSuchEntity",
      404,
    );
  });
});

describe("the policy simulator", () => {
  it("simulates custom policies: allowed, implicitDeny, explicitDeny", async () => {
    const out = await iam.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [doc(allow("s3:*", "arn:aws:s3:::data/*"), deny("s3:DeleteObject"))],
        ActionNames: ["s3:GetObject", "s3:DeleteObject", "sqs:SendMessage"],
        ResourceArns: ["arn:aws:s3:::data/file.txt"],
      }),
    );
    const byAction = Object.fromEntries(out.EvaluationResults!.map((r) => [r.EvalActionName, r]));
    expect(byAction["s3:GetObject"]?.EvalDecision).toBe("allowed");
    expect(byAction["s3:GetObject"]?.MatchedStatements).toEqual([{ SourcePolicyId: "PolicyInputList.1", SourcePolicyType: "none" }]);
    expect(byAction["s3:DeleteObject"]?.EvalDecision).toBe("explicitDeny");
    expect(byAction["sqs:SendMessage"]?.EvalDecision).toBe("implicitDeny");
    expect(byAction["s3:GetObject"]?.EvalResourceName).toBe("arn:aws:s3:::data/file.txt");

    const bounded = await iam.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [doc(allow("*"))],
        PermissionsBoundaryPolicyInputList: [doc(allow("s3:Get*"))],
        ActionNames: ["s3:GetObject", "s3:PutObject"],
      }),
    );
    expect(bounded.EvaluationResults!.map((r) => [r.EvalDecision, r.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary])).toEqual([
      ["allowed", true],
      ["implicitDeny", false],
    ]);

    const conditional = await iam.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [doc({ ...allow("ec2:*"), Condition: { StringEquals: { "aws:RequestedRegion": "eu-west-1" } } })],
        ActionNames: ["ec2:RunInstances"],
        ContextEntries: [{ ContextKeyName: "aws:RequestedRegion", ContextKeyValues: ["eu-west-1"], ContextKeyType: "string" }],
      }),
    );
    expect(conditional.EvaluationResults![0]!.EvalDecision).toBe("allowed");
    const keys = await iam.send(new GetContextKeysForCustomPolicyCommand({ PolicyInputList: [doc({ ...allow("ec2:*"), Condition: { StringEquals: { "aws:RequestedRegion": "x" } } })] }));
    expect(keys.ContextKeyNames).toEqual(["aws:RequestedRegion"]);

    await expectError(
      iam.send(new SimulateCustomPolicyCommand({ PolicyInputList: ["{oops"], ActionNames: ["s3:GetObject"] })),
      "MalformedPolicyDocument",
      400,
    );
  });

  it("simulates a user's policies, its groups' included", async () => {
    await iam.send(new CreateUserCommand({ UserName: "simmed" }));
    await iam.send(new CreateGroupCommand({ GroupName: "simgroup" }));
    await iam.send(new AddUserToGroupCommand({ GroupName: "simgroup", UserName: "simmed" }));
    await iam.send(new PutUserPolicyCommand({ UserName: "simmed", PolicyName: "own", PolicyDocument: doc(allow("sqs:*")) }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: "simgroup", PolicyArn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }));
    const out = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: `arn:aws:iam::${ACCOUNT}:user/simmed`,
        ActionNames: ["sqs:SendMessage", "s3:GetObject", "s3:PutObject"],
      }),
    );
    expect(out.EvaluationResults!.map((r) => r.EvalDecision)).toEqual(["allowed", "allowed", "implicitDeny"]);
    expect(out.EvaluationResults![1]!.MatchedStatements![0]).toEqual({ SourcePolicyId: "AmazonS3ReadOnlyAccess", SourcePolicyType: "aws-managed" });
    await expectError(
      iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${ACCOUNT}:user/ghost`, ActionNames: ["s3:GetObject"] })),
      "NoSuchEntity",
      404,
    );
  });
});

describe("GetAccountAuthorizationDetails", () => {
  it("returns users, groups, roles and policies in one call", async () => {
    const out = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["User", "Role", "LocalManagedPolicy", "AWSManagedPolicy"] }));
    const simmed = out.UserDetailList!.find((u) => u.UserName === "simmed")!;
    expect(simmed.GroupList).toEqual(["simgroup"]);
    expect(simmed.UserPolicyList!.map((p) => p.PolicyName)).toEqual(["own"]);
    expect(out.GroupDetailList).toEqual([]);
    expect(out.RoleDetailList!.some((r) => r.RoleName === "bounded-role")).toBe(true);
    expect(out.Policies!.some((p) => p.PolicyName === "AmazonS3ReadOnlyAccess")).toBe(true);
  });
});

describe("policies through the AWS CLI and boto3", () => {
  it("works with the CLI (documents decoded to JSON)", async () => {
    const d = doc(allow("dynamodb:GetItem"));
    const c = await awsCli(n, ["iam", "create-policy", "--policy-name", "CliPolicy", "--policy-document", d]);
    expect(c.code, c.stderr).toBe(0);
    const arn = (JSON.parse(c.stdout) as { Policy: { Arn: string } }).Policy.Arn;
    const v = await awsCli(n, ["iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1"]);
    expect((JSON.parse(v.stdout) as { PolicyVersion: { Document: unknown } }).PolicyVersion.Document).toEqual(JSON.parse(d));
    const bad = await awsCli(n, ["iam", "create-policy", "--policy-name", "CliBad", "--policy-document", "{}"]);
    expect(bad.stderr).toContain("MalformedPolicyDocument");
    await awsCli(n, ["iam", "delete-policy", "--policy-arn", arn]);
  });

  it("works with boto3", async () => {
    const code = [
      "iam = client('iam')",
      "iam.create_user(UserName='boto-pol')",
      `iam.put_user_policy(UserName='boto-pol', PolicyName='p', PolicyDocument=${JSON.stringify(doc(allow("s3:ListBucket")))})`,
      "print(json.dumps(iam.get_user_policy(UserName='boto-pol', PolicyName='p')['PolicyDocument']))",
      "try:",
      "    iam.create_policy_version(PolicyArn='arn:aws:iam::aws:policy/AdministratorAccess', PolicyDocument='{}')",
      "except botocore.exceptions.ClientError as e:",
      "    print(json.dumps([e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]))",
    ].join("\n");
    const r = await boto3(n, code);
    expect(r.stderr).toBe("");
    const [policy, error] = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as unknown);
    // boto3 decodes policy documents into dicts.
    expect(policy).toEqual(JSON.parse(doc(allow("s3:ListBucket"))));
    expect(error).toEqual(["AccessDenied", 403]);
  });
});

describe("what the rest of Nimbus calls", () => {
  it("collects a principal's policies, finds roles by ARN and records key use", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "nimbus-iam-"));
    try {
      let node = await startTestNimbus({ ephemeral: false, dataDir });
      let c = new IAMClient(sdkConfig(node));
      await c.send(new CreateUserCommand({ UserName: "worker" }));
      await c.send(new CreateGroupCommand({ GroupName: "workers" }));
      await c.send(new AddUserToGroupCommand({ GroupName: "workers", UserName: "worker" }));
      await c.send(new PutUserPolicyCommand({ UserName: "worker", PolicyName: "own", PolicyDocument: doc(allow("sqs:*")) }));
      await c.send(new PutGroupPolicyCommand({ GroupName: "workers", PolicyName: "grp", PolicyDocument: doc(allow("sns:*")) }));
      await c.send(new AttachGroupPolicyCommand({ GroupName: "workers", PolicyArn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }));
      await c.send(new PutUserPermissionsBoundaryCommand({ UserName: "worker", PermissionsBoundary: "arn:aws:iam::aws:policy/PowerUserAccess" }));
      const key = (await c.send(new CreateAccessKeyCommand({ UserName: "worker" }))).AccessKey!;
      const user = (await c.send(new GetUserCommand({ UserName: "worker" }))).User!;
      const role = (await c.send(new CreateRoleCommand({ RoleName: "runner", Path: "/svc/", AssumeRolePolicyDocument: TRUST, MaxSessionDuration: 7200 }))).Role!;
      await c.send(new PutRolePolicyCommand({ RoleName: "runner", PolicyName: "r", PolicyDocument: doc(allow("lambda:*")) }));
      await node.stop();

      const storage = await openStorage({ dataDir });
      try {
        const got = await collectPrincipalPolicies(storage.metadata, {
          type: "user",
          account: ACCOUNT,
          arn: user.Arn!,
          userId: user.UserId!,
          userName: "worker",
          accessKeyId: key.AccessKeyId!,
        });
        const actions = got.identityPolicies.map((t) => JSON.stringify((JSON.parse(t) as { Statement: unknown }).Statement));
        expect(actions).toHaveLength(3);
        expect(actions.join()).toContain("sqs:*");
        expect(actions.join()).toContain("sns:*");
        expect(actions.join()).toContain("s3:Get*");
        expect(got.permissionBoundary).toContain("NotAction");

        const info = await getRoleByArn(storage.metadata, `arn:aws:iam::${ACCOUNT}:role/svc/runner`);
        expect(info).toMatchObject({ roleName: "runner", roleId: role.RoleId, maxSessionDuration: 7200, trustPolicy: TRUST, path: "/svc/" });
        expect(await getRoleByArn(storage.metadata, `arn:aws:iam::${ACCOUNT}:role/runner`)).toBeUndefined();
        const asRole = await collectPrincipalPolicies(storage.metadata, {
          type: "assumed-role",
          account: ACCOUNT,
          arn: `arn:aws:sts::${ACCOUNT}:assumed-role/runner/s1`,
          userId: `${role.RoleId}:s1`,
          roleArn: role.Arn!,
          roleId: role.RoleId!,
          sessionName: "s1",
          accessKeyId: "ASIAXXXXXXXXXXXXXXXX",
          session: { issued: new Date().toISOString() },
        });
        expect(asRole.identityPolicies).toEqual([doc(allow("lambda:*"))]);

        await recordAccessKeyUse(storage, key.AccessKeyId!, "s3", "eu-west-1", new Date("2030-01-02T03:04:05Z"));
      } finally {
        await storage.close();
      }

      node = await startTestNimbus({ ephemeral: false, dataDir });
      c = new IAMClient(sdkConfig(node));
      const last = await c.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKeyId! }));
      expect(last.AccessKeyLastUsed).toEqual({ LastUsedDate: new Date("2030-01-02T03:04:05Z"), ServiceName: "s3", Region: "eu-west-1" });
      await node.stop();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
