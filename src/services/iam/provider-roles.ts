/** IAM roles (trust policies, session duration) and instance profiles. */
import type { IamOperations } from "../../generated/iam.js";
import { IamErrors } from "./errors.js";
import {
  QUOTAS,
  attachmentKey,
  checkDocument,
  documentSize,
  err,
  findPolicy,
  initialTags,
  instanceProfileOut,
  iso,
  mergeTags,
  needInstanceProfile,
  needRole,
  page,
  pathFilter,
  removeTags,
  roleOut,
  tagPage,
} from "./common.js";
import { uniqueId } from "./ids.js";
import { mutate, nameKey, readDb, type InstanceProfileRecord, type RoleRecord } from "./store.js";
import { PATTERNS, check } from "./validate.js";

const NAME = PATTERNS.name;

/** A trust policy: valid as one (Principal required, sts actions) and at most 2,048 characters. */
function checkTrustPolicy(text: string): void {
  checkDocument(text, "trust");
  if (documentSize(text) > QUOTAS.trustPolicySize) {
    throw err(IamErrors.LimitExceeded, `Cannot exceed quota for ACLSizePerRole: ${QUOTAS.trustPolicySize}`);
  }
}

export const roleHandlers: Partial<IamOperations> = {
  // ---------------------------------------------------------------- roles
  async CreateRole(ctx, input) {
    check()
      .str("path", input.Path, 1, 512, PATTERNS.path)
      .str("roleName", input.RoleName, 1, 64, NAME)
      .str("assumeRolePolicyDocument", input.AssumeRolePolicyDocument, 1, 131072, PATTERNS.policyDocument)
      .str("description", input.Description, 0, 1000, PATTERNS.roleDescription)
      .num("maxSessionDuration", input.MaxSessionDuration, 3600, 43200)
      .str("permissionsBoundary", input.PermissionsBoundary, 20, 2048)
      .tags("tags", input.Tags)
      .done();
    const tags = initialTags(input.Tags);
    checkTrustPolicy(input.AssumeRolePolicyDocument);
    const role = await mutate(ctx, async (db) => {
      if (input.PermissionsBoundary) await findPolicy(db, input.PermissionsBoundary, "attach");
      if ((await db.roles.count()) >= QUOTAS.roles) {
        throw err(IamErrors.LimitExceeded, `Cannot exceed quota for RolesPerAccount: ${QUOTAS.roles}`);
      }
      const rec: RoleRecord = {
        name: input.RoleName,
        id: uniqueId("AROA"),
        path: input.Path ?? "/",
        createDate: iso(ctx),
        trustPolicy: input.AssumeRolePolicyDocument,
        ...(input.Description !== undefined ? { description: input.Description } : {}),
        maxSessionDuration: input.MaxSessionDuration ?? 3600,
        tags,
        ...(input.PermissionsBoundary ? { permissionsBoundary: input.PermissionsBoundary } : {}),
        inline: {},
        attached: [],
        instanceProfiles: [],
      };
      if (!(await db.roles.insert(nameKey(rec.name), rec))) {
        throw err(IamErrors.EntityAlreadyExists, `Role with name ${rec.name} already exists.`);
      }
      if (rec.permissionsBoundary) {
        await db.boundaries.put(attachmentKey(rec.permissionsBoundary, "role", rec.name), { kind: "role", name: rec.name, id: rec.id });
      }
      return rec;
    });
    const { RoleLastUsed: _unused, ...out } = roleOut(ctx.account, role, true);
    return { Role: out };
  },

  async GetRole(ctx, input) {
    check().str("roleName", input.RoleName, 1, 64, NAME).done();
    return { Role: roleOut(ctx.account, await needRole(readDb(ctx), input.RoleName), true) };
  },

  async ListRoles(ctx, input) {
    check().str("pathPrefix", input.PathPrefix, 1, 512, PATTERNS.pathPrefix).paging(input).done();
    const db = readDb(ctx);
    const roles = (await db.all(db.roles)).filter((r) => pathFilter(input.PathPrefix)(r.path));
    const p = page(roles, (r) => nameKey(r.name), input);
    return { Roles: p.items.map((r) => roleOut(ctx.account, r)), IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  },

  async UpdateRole(ctx, input) {
    check()
      .str("roleName", input.RoleName, 1, 64, NAME)
      .str("description", input.Description, 0, 1000, PATTERNS.roleDescription)
      .num("maxSessionDuration", input.MaxSessionDuration, 3600, 43200)
      .done();
    await mutate(ctx, async (db) => {
      const r = await needRole(db, input.RoleName);
      await db.roles.put(nameKey(r.name), {
        ...r,
        ...(input.Description !== undefined ? { description: input.Description } : {}),
        ...(input.MaxSessionDuration !== undefined ? { maxSessionDuration: input.MaxSessionDuration } : {}),
      });
    });
    return {};
  },

  async UpdateRoleDescription(ctx, input) {
    check()
      .str("roleName", input.RoleName, 1, 64, NAME)
      .str("description", input.Description, 0, 1000, PATTERNS.roleDescription)
      .done();
    const role = await mutate(ctx, async (db) => {
      const r = await needRole(db, input.RoleName);
      const updated = { ...r, description: input.Description };
      await db.roles.put(nameKey(r.name), updated);
      return updated;
    });
    return { Role: roleOut(ctx.account, role, true) };
  },

  async UpdateAssumeRolePolicy(ctx, input) {
    check()
      .str("roleName", input.RoleName, 1, 64, NAME)
      .str("policyDocument", input.PolicyDocument, 1, 131072, PATTERNS.policyDocument)
      .done();
    checkTrustPolicy(input.PolicyDocument);
    await mutate(ctx, async (db) => {
      const r = await needRole(db, input.RoleName);
      await db.roles.put(nameKey(r.name), { ...r, trustPolicy: input.PolicyDocument });
    });
  },

  async DeleteRole(ctx, input) {
    check().str("roleName", input.RoleName, 1, 64, NAME).done();
    await mutate(ctx, async (db) => {
      const r = await needRole(db, input.RoleName);
      const conflict = (what: string) => err(IamErrors.DeleteConflict, `Cannot delete entity, must ${what} first.`);
      if (r.instanceProfiles.length > 0) throw conflict("remove roles from instance profile");
      if (Object.keys(r.inline).length > 0) throw conflict("delete policies");
      if (r.attached.length > 0) throw conflict("detach all policies");
      if (r.permissionsBoundary) await db.boundaries.delete(attachmentKey(r.permissionsBoundary, "role", r.name));
      await db.roles.delete(nameKey(r.name));
    });
  },

  async TagRole(ctx, input) {
    check().str("roleName", input.RoleName, 1, 64, NAME).tags("tags", input.Tags).done();
    await mutate(ctx, async (db) => {
      const r = await needRole(db, input.RoleName);
      await db.roles.put(nameKey(r.name), { ...r, tags: mergeTags(r.tags, input.Tags) });
    });
  },

  async UntagRole(ctx, input) {
    check().str("roleName", input.RoleName, 1, 64, NAME).count("tagKeys", input.TagKeys, 0, 50).done();
    await mutate(ctx, async (db) => {
      const r = await needRole(db, input.RoleName);
      await db.roles.put(nameKey(r.name), { ...r, tags: removeTags(r.tags, input.TagKeys) });
    });
  },

  async ListRoleTags(ctx, input) {
    check().str("roleName", input.RoleName, 1, 64, NAME).paging(input).done();
    return tagPage((await needRole(readDb(ctx), input.RoleName)).tags, input);
  },

  // ---------------------------------------------------------------- instance profiles
  async CreateInstanceProfile(ctx, input) {
    check()
      .str("instanceProfileName", input.InstanceProfileName, 1, 128, NAME)
      .str("path", input.Path, 1, 512, PATTERNS.path)
      .tags("tags", input.Tags)
      .done();
    const tags = initialTags(input.Tags);
    const profile = await mutate(ctx, async (db) => {
      if ((await db.instanceProfiles.count()) >= QUOTAS.instanceProfiles) {
        throw err(IamErrors.LimitExceeded, `Cannot exceed quota for InstanceProfilesPerAccount: ${QUOTAS.instanceProfiles}`);
      }
      const rec: InstanceProfileRecord = {
        name: input.InstanceProfileName,
        id: uniqueId("AIPA"),
        path: input.Path ?? "/",
        createDate: iso(ctx),
        tags,
        roles: [],
      };
      if (!(await db.instanceProfiles.insert(nameKey(rec.name), rec))) {
        throw err(IamErrors.EntityAlreadyExists, `Instance Profile ${rec.name} already exists.`);
      }
      return rec;
    });
    return { InstanceProfile: await instanceProfileOut(readDb(ctx), profile, true) };
  },

  async GetInstanceProfile(ctx, input) {
    check().str("instanceProfileName", input.InstanceProfileName, 1, 128, NAME).done();
    const db = readDb(ctx);
    return { InstanceProfile: await instanceProfileOut(db, await needInstanceProfile(db, input.InstanceProfileName), true) };
  },

  async ListInstanceProfiles(ctx, input) {
    check().str("pathPrefix", input.PathPrefix, 1, 512, PATTERNS.pathPrefix).paging(input).done();
    const db = readDb(ctx);
    const all = (await db.all(db.instanceProfiles)).filter((p) => pathFilter(input.PathPrefix)(p.path));
    const p = page(all, (x) => nameKey(x.name), input);
    const out = [];
    for (const x of p.items) out.push(await instanceProfileOut(db, x));
    return { InstanceProfiles: out, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  },

  async ListInstanceProfilesForRole(ctx, input) {
    check().str("roleName", input.RoleName, 1, 64, NAME).paging(input).done();
    const db = readDb(ctx);
    const r = await needRole(db, input.RoleName);
    const profiles: InstanceProfileRecord[] = [];
    for (const k of r.instanceProfiles) {
      const x = await db.instanceProfiles.get(k);
      if (x) profiles.push(x);
    }
    const p = page(profiles, (x) => nameKey(x.name), input);
    const out = [];
    for (const x of p.items) out.push(await instanceProfileOut(db, x));
    return { InstanceProfiles: out, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  },

  async DeleteInstanceProfile(ctx, input) {
    check().str("instanceProfileName", input.InstanceProfileName, 1, 128, NAME).done();
    await mutate(ctx, async (db) => {
      const p = await needInstanceProfile(db, input.InstanceProfileName);
      if (p.roles.length > 0) {
        throw err(IamErrors.DeleteConflict, "Cannot delete entity, must remove roles from instance profile first.");
      }
      await db.instanceProfiles.delete(nameKey(p.name));
    });
  },

  async AddRoleToInstanceProfile(ctx, input) {
    check().str("instanceProfileName", input.InstanceProfileName, 1, 128, NAME).str("roleName", input.RoleName, 1, 64, NAME).done();
    await mutate(ctx, async (db) => {
      const p = await needInstanceProfile(db, input.InstanceProfileName);
      const r = await needRole(db, input.RoleName);
      if (p.roles.length >= QUOTAS.rolesPerInstanceProfile) {
        throw err(
          IamErrors.LimitExceeded,
          `Cannot exceed quota for InstanceSessionsPerInstanceProfile: ${QUOTAS.rolesPerInstanceProfile}`,
        );
      }
      const pk = nameKey(p.name);
      const rk = nameKey(r.name);
      await db.instanceProfiles.put(pk, { ...p, roles: [...p.roles, rk] });
      await db.roles.put(rk, { ...r, instanceProfiles: [...r.instanceProfiles, pk] });
    });
  },

  async RemoveRoleFromInstanceProfile(ctx, input) {
    check().str("instanceProfileName", input.InstanceProfileName, 1, 128, NAME).str("roleName", input.RoleName, 1, 64, NAME).done();
    await mutate(ctx, async (db) => {
      const p = await needInstanceProfile(db, input.InstanceProfileName);
      const r = await needRole(db, input.RoleName);
      const pk = nameKey(p.name);
      const rk = nameKey(r.name);
      if (!p.roles.includes(rk)) {
        throw err(IamErrors.NoSuchEntity, `The role with name ${r.name} cannot be found in instance profile ${p.name}.`);
      }
      await db.instanceProfiles.put(pk, { ...p, roles: p.roles.filter((x) => x !== rk) });
      await db.roles.put(rk, { ...r, instanceProfiles: r.instanceProfiles.filter((x) => x !== pk) });
    });
  },

  async TagInstanceProfile(ctx, input) {
    check().str("instanceProfileName", input.InstanceProfileName, 1, 128, NAME).tags("tags", input.Tags).done();
    await mutate(ctx, async (db) => {
      const p = await needInstanceProfile(db, input.InstanceProfileName);
      await db.instanceProfiles.put(nameKey(p.name), { ...p, tags: mergeTags(p.tags, input.Tags) });
    });
  },

  async UntagInstanceProfile(ctx, input) {
    check().str("instanceProfileName", input.InstanceProfileName, 1, 128, NAME).count("tagKeys", input.TagKeys, 0, 50).done();
    await mutate(ctx, async (db) => {
      const p = await needInstanceProfile(db, input.InstanceProfileName);
      await db.instanceProfiles.put(nameKey(p.name), { ...p, tags: removeTags(p.tags, input.TagKeys) });
    });
  },

  async ListInstanceProfileTags(ctx, input) {
    check().str("instanceProfileName", input.InstanceProfileName, 1, 128, NAME).paging(input).done();
    return tagPage((await needInstanceProfile(readDb(ctx), input.InstanceProfileName)).tags, input);
  },
};
