/**
 * What each IAM operation is in IAM's own terms, for the authorizer: the resource it acts on
 * (the user, group, role, instance profile, policy or MFA device ARN, path included, as the
 * Service Authorization Reference lists them) and the condition keys IAM sets (iam:PolicyARN,
 * iam:PermissionsBoundary, aws:RequestTag/*, aws:TagKeys, aws:ResourceTag/* and
 * iam:ResourceTag/*). Operations not listed act on "*". Without these, a self-service policy
 * such as `Resource: arn:aws:iam::*:user/${aws:username}` could never match.
 */
import type { AuthorizationFacts, ConditionValue, RequestContext } from "../../core/service.js";
import { arnOf, nameKey, readDb, type Tag } from "./store.js";

type Input = Record<string, unknown>;
type Fact = (ctx: RequestContext, input: Input) => Promise<AuthorizationFacts>;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function tagContext(into: Record<string, ConditionValue>, prefix: "aws:ResourceTag" | "aws:RequestTag", tags: readonly Tag[]) {
  for (const t of tags) {
    into[`${prefix}/${t.Key}`] = t.Value;
    if (prefix === "aws:ResourceTag") into[`iam:ResourceTag/${t.Key}`] = t.Value;
  }
}

/** Request tags and tag keys (Create, Tag and Untag operations), policy and boundary ARNs. */
function requestContext(input: Input): Record<string, ConditionValue> {
  const c: Record<string, ConditionValue> = {};
  const tags = Array.isArray(input.Tags) ? (input.Tags as Tag[]) : [];
  if (tags.length) {
    tagContext(c, "aws:RequestTag", tags);
    c["aws:TagKeys"] = tags.map((t) => t.Key);
  }
  if (Array.isArray(input.TagKeys)) c["aws:TagKeys"] = input.TagKeys as string[];
  const policyArn = str(input.PolicyArn);
  if (policyArn) c["iam:PolicyARN"] = policyArn;
  const boundary = str(input.PermissionsBoundary);
  if (boundary) c["iam:PermissionsBoundary"] = boundary;
  return c;
}

/** The user the operation names, or the caller when it names none (self-service operations). */
const user =
  (field = "UserName"): Fact =>
  async (ctx, input) => {
    const context = requestContext(input);
    const name = str(input[field]);
    if (name === undefined) {
      const p = ctx.principal;
      return p.type === "user" || p.type === "root" ? { resources: [p.arn], context } : { context };
    }
    const u = await readDb(ctx).users.get(nameKey(name));
    if (u) {
      tagContext(context, "aws:ResourceTag", u.tags);
      if (u.permissionsBoundary && !context["iam:PermissionsBoundary"]) context["iam:PermissionsBoundary"] = u.permissionsBoundary;
    }
    const path = str(input.Path) ?? u?.path ?? "/";
    return { resources: [arnOf.user(ctx.account, path, u?.name ?? name)], context };
  };

const group: Fact = async (ctx, input) => {
  const name = str(input.GroupName) ?? "";
  const g = await readDb(ctx).groups.get(nameKey(name));
  const path = str(input.Path) ?? g?.path ?? "/";
  return { resources: [arnOf.group(ctx.account, path, g?.name ?? name)], context: requestContext(input) };
};

const role: Fact = async (ctx, input) => {
  const name = str(input.RoleName) ?? "";
  const context = requestContext(input);
  const r = await readDb(ctx).roles.get(nameKey(name));
  if (r) {
    tagContext(context, "aws:ResourceTag", r.tags);
    if (r.permissionsBoundary && !context["iam:PermissionsBoundary"]) context["iam:PermissionsBoundary"] = r.permissionsBoundary;
  }
  const path = str(input.Path) ?? r?.path ?? "/";
  return { resources: [arnOf.role(ctx.account, path, r?.name ?? name)], context };
};

const instanceProfile: Fact = async (ctx, input) => {
  const name = str(input.InstanceProfileName) ?? "";
  const context = requestContext(input);
  const p = await readDb(ctx).instanceProfiles.get(nameKey(name));
  if (p) tagContext(context, "aws:ResourceTag", p.tags);
  const path = str(input.Path) ?? p?.path ?? "/";
  return { resources: [arnOf.instanceProfile(ctx.account, path, p?.name ?? name)], context };
};

const policy: Fact = async (ctx, input) => {
  const context = requestContext(input);
  const arn = str(input.PolicyArn);
  if (arn) {
    const m = /:policy(\/.*\/|\/)([^/]+)$/.exec(arn);
    const p = m && arn.startsWith(`arn:aws:iam::${ctx.account}:`) ? await readDb(ctx).policies.get(nameKey(m[2]!)) : undefined;
    if (p) tagContext(context, "aws:ResourceTag", p.tags);
    return { resources: [arn], context };
  }
  // CreatePolicy: the policy that is to be.
  const name = str(input.PolicyName) ?? "";
  return { resources: [arnOf.policy(ctx.account, str(input.Path) ?? "/", name)], context };
};

const mfaDevice: Fact = async (ctx, input) => {
  const serial = str(input.SerialNumber);
  const resources = serial ? [serial] : [arnOf.mfa(ctx.account, str(input.Path) ?? "/", str(input.VirtualMFADeviceName) ?? "")];
  return { resources, context: requestContext(input) };
};

/** GetAccessKeyLastUsed acts on the user who owns the key. */
const keyOwner: Fact = async (ctx, input) => {
  const cred = await ctx.identity.find(str(input.AccessKeyId) ?? "");
  return cred && cred.principal.account === ctx.account ? { resources: [cred.principal.arn] } : {};
};

const simulated: Fact = async (_ctx, input) => {
  const arn = str(input.PolicySourceArn);
  return arn ? { resources: [arn] } : {};
};

const ops = (names: string[], fact: Fact) => Object.fromEntries(names.map((n) => [n, fact]));

export const IAM_AUTHORIZATION: Record<string, Fact> = {
  ...ops(
    [
      "CreateUser",
      "GetUser",
      "UpdateUser",
      "DeleteUser",
      "TagUser",
      "UntagUser",
      "ListUserTags",
      "ListGroupsForUser",
      "CreateAccessKey",
      "UpdateAccessKey",
      "DeleteAccessKey",
      "ListAccessKeys",
      "CreateLoginProfile",
      "GetLoginProfile",
      "UpdateLoginProfile",
      "DeleteLoginProfile",
      "ChangePassword",
      "PutUserPolicy",
      "GetUserPolicy",
      "DeleteUserPolicy",
      "ListUserPolicies",
      "AttachUserPolicy",
      "DetachUserPolicy",
      "ListAttachedUserPolicies",
      "PutUserPermissionsBoundary",
      "DeleteUserPermissionsBoundary",
      "EnableMFADevice",
      "ResyncMFADevice",
      "DeactivateMFADevice",
      "ListMFADevices",
    ],
    user(),
  ),
  ...ops(
    [
      "CreateGroup",
      "GetGroup",
      "UpdateGroup",
      "DeleteGroup",
      "AddUserToGroup",
      "RemoveUserFromGroup",
      "PutGroupPolicy",
      "GetGroupPolicy",
      "DeleteGroupPolicy",
      "ListGroupPolicies",
      "AttachGroupPolicy",
      "DetachGroupPolicy",
      "ListAttachedGroupPolicies",
    ],
    group,
  ),
  ...ops(
    [
      "CreateRole",
      "GetRole",
      "UpdateRole",
      "UpdateRoleDescription",
      "UpdateAssumeRolePolicy",
      "DeleteRole",
      "TagRole",
      "UntagRole",
      "ListRoleTags",
      "PutRolePolicy",
      "GetRolePolicy",
      "DeleteRolePolicy",
      "ListRolePolicies",
      "AttachRolePolicy",
      "DetachRolePolicy",
      "ListAttachedRolePolicies",
      "PutRolePermissionsBoundary",
      "DeleteRolePermissionsBoundary",
      "ListInstanceProfilesForRole",
    ],
    role,
  ),
  ...ops(
    [
      "CreateInstanceProfile",
      "GetInstanceProfile",
      "DeleteInstanceProfile",
      "AddRoleToInstanceProfile",
      "RemoveRoleFromInstanceProfile",
      "TagInstanceProfile",
      "UntagInstanceProfile",
      "ListInstanceProfileTags",
    ],
    instanceProfile,
  ),
  ...ops(
    [
      "CreatePolicy",
      "GetPolicy",
      "DeletePolicy",
      "CreatePolicyVersion",
      "GetPolicyVersion",
      "ListPolicyVersions",
      "DeletePolicyVersion",
      "SetDefaultPolicyVersion",
      "TagPolicy",
      "UntagPolicy",
      "ListPolicyTags",
      "ListEntitiesForPolicy",
    ],
    policy,
  ),
  ...ops(["CreateVirtualMFADevice", "DeleteVirtualMFADevice", "TagMFADevice", "UntagMFADevice", "ListMFADeviceTags"], mfaDevice),
  GetAccessKeyLastUsed: keyOwner,
  SimulatePrincipalPolicy: simulated,
  GetContextKeysForPrincipalPolicy: simulated,
};
