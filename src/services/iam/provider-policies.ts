/**
 * Managed policies (customer and AWS), their versions, inline policies on users/groups/roles,
 * attachments and permissions boundaries.
 */
import type { RequestContext } from "../../core/service.js";
import type { IamOperations } from "../../generated/iam.js";
import type { Table } from "../../storage/types.js";
import { IamErrors } from "./errors.js";
import {
  QUOTAS,
  attachmentKey,
  checkDocument,
  date,
  documentSize,
  encodeDocument,
  err,
  findPolicy,
  initialTags,
  inlineSize,
  iso,
  mergeTags,
  needGroup,
  needRole,
  needUser,
  page,
  parsePolicyArn,
  pathFilter,
  policyOut,
  removeTags,
  tagPage,
  type ResolvedPolicy,
} from "./common.js";
import { uniqueId } from "./ids.js";
import { AWS_MANAGED_POLICIES } from "./managed-policies.js";
import {
  arnOf,
  mutate,
  nameKey,
  readDb,
  type AttachmentRecord,
  type EntityKind,
  type GroupRecord,
  type IamDb,
  type PolicyRecord,
  type RoleRecord,
  type UserRecord,
} from "./store.js";
import { PATTERNS, check } from "./validate.js";

const NAME = PATTERNS.name;

// ---------------------------------------------------------------------------------------------
// The three kinds of principal entity, handled alike

type Entity = UserRecord | GroupRecord | RoleRecord;

interface EntityOps {
  kind: EntityKind;
  /** The member name in error messages (`userName`, ...). */
  field: string;
  maxNameLength: number;
  need(db: IamDb, name: string): Promise<Entity>;
  table(db: IamDb): Table<Entity>;
  inlineLimit: number;
  quotaName: string;
}

const OPS: Record<EntityKind, EntityOps> = {
  user: {
    kind: "user",
    field: "userName",
    maxNameLength: 128,
    need: needUser,
    table: (db) => db.users as unknown as Table<Entity>,
    inlineLimit: QUOTAS.userPolicySize,
    quotaName: "PoliciesPerUser",
  },
  group: {
    kind: "group",
    field: "groupName",
    maxNameLength: 128,
    need: needGroup,
    table: (db) => db.groups as unknown as Table<Entity>,
    inlineLimit: QUOTAS.groupPolicySize,
    quotaName: "PoliciesPerGroup",
  },
  role: {
    kind: "role",
    field: "roleName",
    maxNameLength: 64,
    need: needRole,
    table: (db) => db.roles as unknown as Table<Entity>,
    inlineLimit: QUOTAS.rolePolicySize,
    quotaName: "PoliciesPerRole",
  },
};

function checkPolicyDocument(field: string, text: string | undefined) {
  return check().str(field, text, 1, 131072, PATTERNS.policyDocument);
}

// ---------------------------------------------------------------------------------------------
// Inline policies

async function putInline(ctx: RequestContext, ops: EntityOps, entityName: string, policyName: string, document: string) {
  check()
    .str(ops.field, entityName, 1, ops.maxNameLength, NAME)
    .str("policyName", policyName, 1, 128, NAME)
    .str("policyDocument", document, 1, 131072, PATTERNS.policyDocument)
    .done();
  checkDocument(document, "identity");
  await mutate(ctx, async (db) => {
    const e = await ops.need(db, entityName);
    if (inlineSize(e.inline, policyName, document) > ops.inlineLimit) {
      throw err(IamErrors.LimitExceeded, `Maximum policy size of ${ops.inlineLimit} bytes exceeded for ${ops.kind} ${e.name}`);
    }
    await ops.table(db).put(nameKey(e.name), { ...e, inline: { ...e.inline, [nameKey(policyName)]: { name: policyName, document } } });
  });
}

function noInline(ops: EntityOps, policyName: string) {
  return err(IamErrors.NoSuchEntity, `The ${ops.kind} policy with name ${policyName} cannot be found.`);
}

async function getInline(ctx: RequestContext, ops: EntityOps, entityName: string, policyName: string) {
  check().str(ops.field, entityName, 1, ops.maxNameLength, NAME).str("policyName", policyName, 1, 128, NAME).done();
  const e = await ops.need(readDb(ctx), entityName);
  const p = e.inline[nameKey(policyName)];
  if (!p) throw noInline(ops, policyName);
  return { entity: e.name, policyName: p.name, document: encodeDocument(p.document) };
}

async function deleteInline(ctx: RequestContext, ops: EntityOps, entityName: string, policyName: string) {
  check().str(ops.field, entityName, 1, ops.maxNameLength, NAME).str("policyName", policyName, 1, 128, NAME).done();
  await mutate(ctx, async (db) => {
    const e = await ops.need(db, entityName);
    const k = nameKey(policyName);
    if (!e.inline[k]) throw noInline(ops, policyName);
    const inline = { ...e.inline };
    delete inline[k];
    await ops.table(db).put(nameKey(e.name), { ...e, inline });
  });
}

async function listInline(ctx: RequestContext, ops: EntityOps, entityName: string, input: { Marker?: string; MaxItems?: number }) {
  check().str(ops.field, entityName, 1, ops.maxNameLength, NAME).paging(input).done();
  const e = await ops.need(readDb(ctx), entityName);
  const p = page(Object.values(e.inline), (x) => nameKey(x.name), input);
  return { PolicyNames: p.items.map((x) => x.name), IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Attachments

async function attach(ctx: RequestContext, ops: EntityOps, entityName: string, arn: string) {
  check().str(ops.field, entityName, 1, ops.maxNameLength, NAME).str("policyArn", arn, 20, 2048).done();
  await mutate(ctx, async (db) => {
    const policy = await findPolicy(db, arn, "attach");
    const e = await ops.need(db, entityName);
    if (e.attached.includes(policy.arn)) return; // attaching twice is not an error
    if (e.attached.length >= QUOTAS.managedPoliciesPerEntity) {
      throw err(IamErrors.LimitExceeded, `Cannot exceed quota for ${ops.quotaName}: ${QUOTAS.managedPoliciesPerEntity}`);
    }
    await ops.table(db).put(nameKey(e.name), { ...e, attached: [...e.attached, policy.arn] });
    await db.attachments.put(attachmentKey(policy.arn, ops.kind, e.name), { kind: ops.kind, name: e.name, id: e.id });
  });
}

async function detach(ctx: RequestContext, ops: EntityOps, entityName: string, arn: string) {
  check().str(ops.field, entityName, 1, ops.maxNameLength, NAME).str("policyArn", arn, 20, 2048).done();
  parsePolicyArn(arn);
  await mutate(ctx, async (db) => {
    const e = await ops.need(db, entityName);
    if (!e.attached.includes(arn)) throw err(IamErrors.NoSuchEntity, `Policy ${arn} was not found.`);
    await ops.table(db).put(nameKey(e.name), { ...e, attached: e.attached.filter((a) => a !== arn) });
    await db.attachments.delete(attachmentKey(arn, ops.kind, e.name));
  });
}

async function listAttached(
  ctx: RequestContext,
  ops: EntityOps,
  entityName: string,
  input: { PathPrefix?: string; Marker?: string; MaxItems?: number },
) {
  check()
    .str(ops.field, entityName, 1, ops.maxNameLength, NAME)
    .str("pathPrefix", input.PathPrefix, 1, 512, PATTERNS.pathPrefix)
    .paging(input)
    .done();
  const e = await ops.need(readDb(ctx), entityName);
  const items = e.attached
    .map((arn) => ({ arn, ...parsePolicyArn(arn) }))
    .filter((x) => pathFilter(input.PathPrefix)(x.path));
  const p = page(items, (x) => `${nameKey(x.name)}\u0000${x.arn}`, input);
  return {
    AttachedPolicies: p.items.map((x) => ({ PolicyName: x.name, PolicyArn: x.arn })),
    IsTruncated: p.IsTruncated,
    ...(p.Marker ? { Marker: p.Marker } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Permissions boundaries

async function putBoundary(ctx: RequestContext, ops: EntityOps, entityName: string, arn: string) {
  check().str(ops.field, entityName, 1, ops.maxNameLength, NAME).str("permissionsBoundary", arn, 20, 2048).done();
  await mutate(ctx, async (db) => {
    const policy = await findPolicy(db, arn, "attach");
    const e = (await ops.need(db, entityName)) as UserRecord | RoleRecord;
    if (e.permissionsBoundary) await db.boundaries.delete(attachmentKey(e.permissionsBoundary, ops.kind, e.name));
    await ops.table(db).put(nameKey(e.name), { ...e, permissionsBoundary: policy.arn });
    await db.boundaries.put(attachmentKey(policy.arn, ops.kind, e.name), { kind: ops.kind, name: e.name, id: e.id });
  });
}

async function deleteBoundary(ctx: RequestContext, ops: EntityOps, entityName: string) {
  check().str(ops.field, entityName, 1, ops.maxNameLength, NAME).done();
  await mutate(ctx, async (db) => {
    const e = (await ops.need(db, entityName)) as UserRecord | RoleRecord;
    if (!e.permissionsBoundary) return;
    await db.boundaries.delete(attachmentKey(e.permissionsBoundary, ops.kind, e.name));
    const { permissionsBoundary: _dropped, ...rest } = e;
    await ops.table(db).put(nameKey(e.name), rest as Entity);
  });
}

// ---------------------------------------------------------------------------------------------
// Managed policies

/** AWS managed policies belong to AWS: an account may read and attach them, never change them. */
function refuseAwsManaged(ctx: RequestContext, r: ResolvedPolicy, action: string): asserts r is Extract<ResolvedPolicy, { kind: "local" }> {
  if (r.kind === "aws") {
    const who = ctx.principal.type === "anonymous" ? "anonymous" : ctx.principal.arn;
    throw err(IamErrors.AccessDenied, `User: ${who} is not authorized to perform: iam:${action} on resource: policy ${r.arn}`);
  }
}

function checkManagedSize(text: string) {
  if (documentSize(text) > QUOTAS.managedPolicySize) {
    throw err(IamErrors.LimitExceeded, `Cannot exceed quota for PolicySize: ${QUOTAS.managedPolicySize}`);
  }
}

function versionNumber(id: string): number {
  return Number(/^v(\d+)/.exec(id)?.[1] ?? 0);
}

function noVersion(arn: string, versionId: string) {
  return err(IamErrors.NoSuchEntity, `Policy ${arn} version ${versionId} does not exist or is not attachable.`);
}

export const policyHandlers: Partial<IamOperations> = {
  // ---------------------------------------------------------------- managed policies
  async CreatePolicy(ctx, input) {
    checkPolicyDocument("policyDocument", input.PolicyDocument)
      .str("policyName", input.PolicyName, 1, 128, NAME)
      .str("path", input.Path, 1, 512, PATTERNS.path)
      .str("description", input.Description, 0, 1000)
      .tags("tags", input.Tags)
      .done();
    const tags = initialTags(input.Tags);
    checkDocument(input.PolicyDocument, "managed");
    checkManagedSize(input.PolicyDocument);
    const resolved = await mutate(ctx, async (db) => {
      if ((await db.policies.count()) >= QUOTAS.policies) {
        throw err(IamErrors.LimitExceeded, `Cannot exceed quota for PoliciesPerAccount: ${QUOTAS.policies}`);
      }
      const now = iso(ctx);
      const rec: PolicyRecord = {
        name: input.PolicyName,
        id: uniqueId("ANPA"),
        path: input.Path ?? "/",
        ...(input.Description !== undefined ? { description: input.Description } : {}),
        createDate: now,
        updateDate: now,
        defaultVersion: "v1",
        nextVersion: 2,
        versions: [{ id: "v1", document: input.PolicyDocument, createDate: now }],
        tags,
      };
      const key = nameKey(rec.name);
      if (!(await db.policies.insert(key, rec))) {
        throw err(IamErrors.EntityAlreadyExists, `A policy called ${rec.name} already exists. Duplicate names are not allowed.`);
      }
      return { kind: "local" as const, arn: arnOf.policy(ctx.account, rec.path, rec.name), key, policy: rec };
    });
    const out = await policyOut(readDb(ctx), resolved, true);
    return { Policy: out };
  },

  async GetPolicy(ctx, input) {
    check().str("policyArn", input.PolicyArn, 20, 2048).done();
    const db = readDb(ctx);
    return { Policy: await policyOut(db, await findPolicy(db, input.PolicyArn, "get"), true) };
  },

  async DeletePolicy(ctx, input) {
    check().str("policyArn", input.PolicyArn, 20, 2048).done();
    await mutate(ctx, async (db) => {
      const r = await findPolicy(db, input.PolicyArn, "get");
      refuseAwsManaged(ctx, r, "DeletePolicy");
      const prefix = `${r.arn}\u0000`;
      if ((await db.attachments.count({ prefix })) > 0 || (await db.boundaries.count({ prefix })) > 0) {
        throw err(IamErrors.DeleteConflict, "Cannot delete a policy attached to entities.");
      }
      if (r.policy.versions.length > 1) {
        throw err(
          IamErrors.DeleteConflict,
          "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        );
      }
      await db.policies.delete(r.key);
    });
  },

  async ListPolicies(ctx, input) {
    check()
      .oneOf("scope", input.Scope, ["All", "AWS", "Local"])
      .str("pathPrefix", input.PathPrefix, 1, 512, PATTERNS.pathPrefix)
      .oneOf("policyUsageFilter", input.PolicyUsageFilter, ["PermissionsPolicy", "PermissionsBoundary"])
      .paging(input)
      .done();
    const db = readDb(ctx);
    const scope = input.Scope ?? "All";
    const all: ResolvedPolicy[] = [];
    if (scope !== "Local") for (const p of AWS_MANAGED_POLICIES) all.push({ kind: "aws", arn: p.arn, policy: p });
    if (scope !== "AWS") {
      for (const e of await db.policies.list()) {
        all.push({ kind: "local", arn: arnOf.policy(ctx.account, e.value.path, e.value.name), key: e.key, policy: e.value });
      }
    }
    const attached = new Set<string>();
    const usage = input.PolicyUsageFilter;
    if (input.OnlyAttached || usage) {
      const tables = usage === "PermissionsBoundary" ? [db.boundaries] : usage === "PermissionsPolicy" ? [db.attachments] : [db.attachments, db.boundaries];
      for (const t of tables) for (const e of await t.list()) attached.add(e.key.slice(0, e.key.indexOf("\u0000")));
    }
    const items = all.filter(
      (r) => pathFilter(input.PathPrefix)(r.policy.path) && (!(input.OnlyAttached || usage) || attached.has(r.arn)),
    );
    const p = page(items, (r) => `${nameKey(r.policy.name)}\u0000${r.arn}`, input);
    const out = [];
    for (const r of p.items) out.push(await policyOut(db, r));
    return { Policies: out, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  },

  async TagPolicy(ctx, input) {
    check().str("policyArn", input.PolicyArn, 20, 2048).tags("tags", input.Tags).done();
    await mutate(ctx, async (db) => {
      const r = await findPolicy(db, input.PolicyArn, "get");
      refuseAwsManaged(ctx, r, "TagPolicy");
      await db.policies.put(r.key, { ...r.policy, tags: mergeTags(r.policy.tags, input.Tags) });
    });
  },

  async UntagPolicy(ctx, input) {
    check().str("policyArn", input.PolicyArn, 20, 2048).count("tagKeys", input.TagKeys, 0, 50).done();
    await mutate(ctx, async (db) => {
      const r = await findPolicy(db, input.PolicyArn, "get");
      refuseAwsManaged(ctx, r, "UntagPolicy");
      await db.policies.put(r.key, { ...r.policy, tags: removeTags(r.policy.tags, input.TagKeys) });
    });
  },

  async ListPolicyTags(ctx, input) {
    check().str("policyArn", input.PolicyArn, 20, 2048).paging(input).done();
    const r = await findPolicy(readDb(ctx), input.PolicyArn, "get");
    return tagPage(r.kind === "local" ? r.policy.tags : [], input);
  },

  // ---------------------------------------------------------------- versions
  async CreatePolicyVersion(ctx, input) {
    checkPolicyDocument("policyDocument", input.PolicyDocument).str("policyArn", input.PolicyArn, 20, 2048).done();
    const version = await mutate(ctx, async (db) => {
      const r = await findPolicy(db, input.PolicyArn, "get");
      refuseAwsManaged(ctx, r, "CreatePolicyVersion");
      checkDocument(input.PolicyDocument, "managed");
      checkManagedSize(input.PolicyDocument);
      const p = r.policy;
      if (p.versions.length >= QUOTAS.policyVersions) {
        throw err(
          IamErrors.LimitExceeded,
          `A managed policy can have up to ${QUOTAS.policyVersions} versions. Before you create a new version, you must delete an existing version.`,
        );
      }
      const now = iso(ctx);
      const v = { id: `v${p.nextVersion}`, document: input.PolicyDocument, createDate: now };
      const isDefault = input.SetAsDefault === true;
      await db.policies.put(r.key, {
        ...p,
        versions: [...p.versions, v],
        nextVersion: p.nextVersion + 1,
        updateDate: now,
        ...(isDefault ? { defaultVersion: v.id } : {}),
      });
      return { VersionId: v.id, IsDefaultVersion: isDefault, CreateDate: date(now) };
    });
    return { PolicyVersion: version };
  },

  async GetPolicyVersion(ctx, input) {
    check().str("policyArn", input.PolicyArn, 20, 2048).str("versionId", input.VersionId, 0, 128, PATTERNS.versionId).done();
    const r = await findPolicy(readDb(ctx), input.PolicyArn, "get");
    if (r.kind === "aws") {
      if (input.VersionId !== r.policy.defaultVersion) throw noVersion(r.arn, input.VersionId);
      return {
        PolicyVersion: {
          Document: encodeDocument(r.policy.document),
          VersionId: r.policy.defaultVersion,
          IsDefaultVersion: true,
          CreateDate: date(r.policy.updateDate),
        },
      };
    }
    const v = r.policy.versions.find((x) => x.id === input.VersionId);
    if (!v) throw noVersion(r.arn, input.VersionId);
    return {
      PolicyVersion: {
        Document: encodeDocument(v.document),
        VersionId: v.id,
        IsDefaultVersion: v.id === r.policy.defaultVersion,
        CreateDate: date(v.createDate),
      },
    };
  },

  async ListPolicyVersions(ctx, input) {
    check().str("policyArn", input.PolicyArn, 20, 2048).paging(input).done();
    const r = await findPolicy(readDb(ctx), input.PolicyArn, "get");
    const versions =
      r.kind === "aws"
        ? [{ id: r.policy.defaultVersion, createDate: r.policy.updateDate, isDefault: true }]
        : r.policy.versions.map((v) => ({ id: v.id, createDate: v.createDate, isDefault: v.id === r.policy.defaultVersion }));
    // Newest first, as AWS lists them.
    const p = page(versions, (v) => String(1e9 - versionNumber(v.id)).padStart(10, "0"), input);
    return {
      Versions: p.items.map((v) => ({ VersionId: v.id, IsDefaultVersion: v.isDefault, CreateDate: date(v.createDate) })),
      IsTruncated: p.IsTruncated,
      ...(p.Marker ? { Marker: p.Marker } : {}),
    };
  },

  async DeletePolicyVersion(ctx, input) {
    check().str("policyArn", input.PolicyArn, 20, 2048).str("versionId", input.VersionId, 0, 128, PATTERNS.versionId).done();
    await mutate(ctx, async (db) => {
      const r = await findPolicy(db, input.PolicyArn, "get");
      refuseAwsManaged(ctx, r, "DeletePolicyVersion");
      const p = r.policy;
      if (!p.versions.some((v) => v.id === input.VersionId)) throw noVersion(r.arn, input.VersionId);
      if (p.defaultVersion === input.VersionId) {
        throw err(IamErrors.DeleteConflict, "Cannot delete the default version of a policy.");
      }
      await db.policies.put(r.key, { ...p, versions: p.versions.filter((v) => v.id !== input.VersionId) });
    });
  },

  async SetDefaultPolicyVersion(ctx, input) {
    check().str("policyArn", input.PolicyArn, 20, 2048).str("versionId", input.VersionId, 0, 128, PATTERNS.versionId).done();
    await mutate(ctx, async (db) => {
      const r = await findPolicy(db, input.PolicyArn, "get");
      refuseAwsManaged(ctx, r, "SetDefaultPolicyVersion");
      if (!r.policy.versions.some((v) => v.id === input.VersionId)) throw noVersion(r.arn, input.VersionId);
      await db.policies.put(r.key, { ...r.policy, defaultVersion: input.VersionId });
    });
  },

  // ---------------------------------------------------------------- inline policies
  async PutUserPolicy(ctx, input) {
    await putInline(ctx, OPS.user, input.UserName, input.PolicyName, input.PolicyDocument);
  },
  async PutGroupPolicy(ctx, input) {
    await putInline(ctx, OPS.group, input.GroupName, input.PolicyName, input.PolicyDocument);
  },
  async PutRolePolicy(ctx, input) {
    await putInline(ctx, OPS.role, input.RoleName, input.PolicyName, input.PolicyDocument);
  },
  async GetUserPolicy(ctx, input) {
    const r = await getInline(ctx, OPS.user, input.UserName, input.PolicyName);
    return { UserName: r.entity, PolicyName: r.policyName, PolicyDocument: r.document };
  },
  async GetGroupPolicy(ctx, input) {
    const r = await getInline(ctx, OPS.group, input.GroupName, input.PolicyName);
    return { GroupName: r.entity, PolicyName: r.policyName, PolicyDocument: r.document };
  },
  async GetRolePolicy(ctx, input) {
    const r = await getInline(ctx, OPS.role, input.RoleName, input.PolicyName);
    return { RoleName: r.entity, PolicyName: r.policyName, PolicyDocument: r.document };
  },
  async DeleteUserPolicy(ctx, input) {
    await deleteInline(ctx, OPS.user, input.UserName, input.PolicyName);
  },
  async DeleteGroupPolicy(ctx, input) {
    await deleteInline(ctx, OPS.group, input.GroupName, input.PolicyName);
  },
  async DeleteRolePolicy(ctx, input) {
    await deleteInline(ctx, OPS.role, input.RoleName, input.PolicyName);
  },
  ListUserPolicies: (ctx, input) => listInline(ctx, OPS.user, input.UserName, input),
  ListGroupPolicies: (ctx, input) => listInline(ctx, OPS.group, input.GroupName, input),
  ListRolePolicies: (ctx, input) => listInline(ctx, OPS.role, input.RoleName, input),

  // ---------------------------------------------------------------- attachments
  async AttachUserPolicy(ctx, input) {
    await attach(ctx, OPS.user, input.UserName, input.PolicyArn);
  },
  async AttachGroupPolicy(ctx, input) {
    await attach(ctx, OPS.group, input.GroupName, input.PolicyArn);
  },
  async AttachRolePolicy(ctx, input) {
    await attach(ctx, OPS.role, input.RoleName, input.PolicyArn);
  },
  async DetachUserPolicy(ctx, input) {
    await detach(ctx, OPS.user, input.UserName, input.PolicyArn);
  },
  async DetachGroupPolicy(ctx, input) {
    await detach(ctx, OPS.group, input.GroupName, input.PolicyArn);
  },
  async DetachRolePolicy(ctx, input) {
    await detach(ctx, OPS.role, input.RoleName, input.PolicyArn);
  },
  ListAttachedUserPolicies: (ctx, input) => listAttached(ctx, OPS.user, input.UserName, input),
  ListAttachedGroupPolicies: (ctx, input) => listAttached(ctx, OPS.group, input.GroupName, input),
  ListAttachedRolePolicies: (ctx, input) => listAttached(ctx, OPS.role, input.RoleName, input),

  async ListEntitiesForPolicy(ctx, input) {
    check()
      .str("policyArn", input.PolicyArn, 20, 2048)
      .oneOf("entityFilter", input.EntityFilter, ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"])
      .str("pathPrefix", input.PathPrefix, 1, 512, PATTERNS.pathPrefix)
      .oneOf("policyUsageFilter", input.PolicyUsageFilter, ["PermissionsPolicy", "PermissionsBoundary"])
      .paging(input)
      .done();
    const db = readDb(ctx);
    const r = await findPolicy(db, input.PolicyArn, "get");
    const usage = input.PolicyUsageFilter;
    const tables = usage === "PermissionsBoundary" ? [db.boundaries] : usage === "PermissionsPolicy" ? [db.attachments] : [db.attachments, db.boundaries];
    const seen = new Map<string, AttachmentRecord>();
    for (const t of tables) for (const e of await t.list({ prefix: `${r.arn}\u0000` })) seen.set(e.key, e.value);
    const wanted = (kind: EntityKind) =>
      input.EntityFilter === undefined ||
      input.EntityFilter === "LocalManagedPolicy" ||
      input.EntityFilter === "AWSManagedPolicy" ||
      input.EntityFilter.toLowerCase() === kind;
    const entities: Array<AttachmentRecord & { path: string }> = [];
    for (const a of seen.values()) {
      if (!wanted(a.kind)) continue;
      const e = await OPS[a.kind].table(db).get(nameKey(a.name));
      if (e && pathFilter(input.PathPrefix)(e.path)) entities.push({ ...a, path: e.path });
    }
    const p = page(entities, (a) => `${a.kind}\u0000${nameKey(a.name)}`, input);
    return {
      PolicyGroups: p.items.filter((a) => a.kind === "group").map((a) => ({ GroupName: a.name, GroupId: a.id })),
      PolicyUsers: p.items.filter((a) => a.kind === "user").map((a) => ({ UserName: a.name, UserId: a.id })),
      PolicyRoles: p.items.filter((a) => a.kind === "role").map((a) => ({ RoleName: a.name, RoleId: a.id })),
      IsTruncated: p.IsTruncated,
      ...(p.Marker ? { Marker: p.Marker } : {}),
    };
  },

  // ---------------------------------------------------------------- permissions boundaries
  async PutUserPermissionsBoundary(ctx, input) {
    await putBoundary(ctx, OPS.user, input.UserName, input.PermissionsBoundary);
  },
  async PutRolePermissionsBoundary(ctx, input) {
    await putBoundary(ctx, OPS.role, input.RoleName, input.PermissionsBoundary);
  },
  async DeleteUserPermissionsBoundary(ctx, input) {
    await deleteBoundary(ctx, OPS.user, input.UserName);
  },
  async DeleteRolePermissionsBoundary(ctx, input) {
    await deleteBoundary(ctx, OPS.role, input.RoleName);
  },
};
