/** IAM users, groups and group membership, access keys and login profiles (console passwords). */
import { AccountStore } from "../../core/accounts.js";
import type { RequestContext } from "../../core/service.js";
import type { IamOperations } from "../../generated/iam.js";
import { IamErrors } from "./errors.js";
import {
  QUOTAS,
  attachmentKey,
  date,
  err,
  findPolicy,
  groupOut,
  initialTags,
  iso,
  mergeTags,
  needGroup,
  needUser,
  noUser,
  page,
  pathFilter,
  removeTags,
  tagPage,
  userOut,
} from "./common.js";
import { accessKeyId as newAccessKeyId, secretAccessKey as newSecret, uniqueId } from "./ids.js";
import { checkPassword, hashPassword, passwordMatches, reusesPassword } from "./password-policy.js";
import {
  arnOf,
  mutate,
  nameKey,
  pairKey,
  readDb,
  type AccessKeyRecord,
  type GroupRecord,
  type IamDb,
  type UserRecord,
} from "./store.js";
import { PATTERNS, check } from "./validate.js";

const NAME = PATTERNS.name;

// ---------------------------------------------------------------------------------------------
// The caller, for operations whose UserName defaults to "the user who signed the request"

type Caller = { kind: "user"; userName: string } | { kind: "root" };

function callerOf(ctx: RequestContext, given: string | undefined): Caller {
  if (given !== undefined) return { kind: "user", userName: given };
  const p = ctx.principal;
  if (p.type === "user") return { kind: "user", userName: p.userName };
  if (p.type === "root") return { kind: "root" };
  throw err(IamErrors.ValidationError, "Must specify userName when calling with non-User credentials");
}

// ---------------------------------------------------------------------------------------------
// Credentials in the gateway's table follow the user (name, path) they sign as.

export function userPrincipal(account: string, u: UserRecord, accessKeyId: string) {
  return {
    type: "user" as const,
    account,
    arn: arnOf.user(account, u.path, u.name),
    userId: u.id,
    userName: u.name,
    accessKeyId,
  };
}

async function syncCredentials(ctx: RequestContext, u: UserRecord): Promise<void> {
  for (const k of u.accessKeys) {
    const cred = await ctx.identity.find(k.id);
    if (cred) await ctx.identity.put({ ...cred, status: k.status, principal: userPrincipal(ctx.account, u, k.id) });
  }
}

// ---------------------------------------------------------------------------------------------
// Renames: a user's or group's name is the key of its record and appears in the indexes.

async function renameUser(db: IamDb, u: UserRecord, newName: string | undefined, newPath: string | undefined): Promise<UserRecord> {
  const oldKey = nameKey(u.name);
  const name = newName ?? u.name;
  const newKey = nameKey(name);
  const updated: UserRecord = { ...u, name, path: newPath ?? u.path };
  if (newKey === oldKey) {
    await db.users.put(oldKey, updated);
    return updated;
  }
  if (!(await db.users.insert(newKey, updated))) throw err(IamErrors.EntityAlreadyExists, `User with name ${name} already exists.`);
  await db.users.delete(oldKey);
  for (const g of u.groups) {
    await db.groupMembers.delete(pairKey(g, oldKey));
    await db.groupMembers.put(pairKey(g, newKey), {});
  }
  for (const arn of u.attached) {
    await db.attachments.delete(attachmentKey(arn, "user", u.name));
    await db.attachments.put(attachmentKey(arn, "user", name), { kind: "user", name, id: u.id });
  }
  if (u.permissionsBoundary) {
    await db.boundaries.delete(attachmentKey(u.permissionsBoundary, "user", u.name));
    await db.boundaries.put(attachmentKey(u.permissionsBoundary, "user", name), { kind: "user", name, id: u.id });
  }
  for (const serial of u.mfaDevices) {
    const d = await db.mfaDevices.get(serial.toLowerCase());
    if (d) await db.mfaDevices.put(serial.toLowerCase(), { ...d, user: newKey });
  }
  return updated;
}

async function renameGroup(db: IamDb, g: GroupRecord, newName: string | undefined, newPath: string | undefined): Promise<void> {
  const oldKey = nameKey(g.name);
  const name = newName ?? g.name;
  const newKey = nameKey(name);
  const updated: GroupRecord = { ...g, name, path: newPath ?? g.path };
  if (newKey === oldKey) {
    await db.groups.put(oldKey, updated);
    return;
  }
  if (!(await db.groups.insert(newKey, updated))) throw err(IamErrors.EntityAlreadyExists, `Group with name ${name} already exists.`);
  await db.groups.delete(oldKey);
  for (const { key } of await db.groupMembers.list({ prefix: pairKey(oldKey, "") })) {
    const userKey = key.slice(oldKey.length + 1);
    await db.groupMembers.delete(key);
    await db.groupMembers.put(pairKey(newKey, userKey), {});
    const u = await db.users.get(userKey);
    if (u) await db.users.put(userKey, { ...u, groups: u.groups.map((x) => (x === oldKey ? newKey : x)) });
  }
  for (const arn of g.attached) {
    await db.attachments.delete(attachmentKey(arn, "group", g.name));
    await db.attachments.put(attachmentKey(arn, "group", name), { kind: "group", name, id: g.id });
  }
}

// ---------------------------------------------------------------------------------------------

function accessKeyOut(userName: string, k: AccessKeyRecord) {
  return { UserName: userName, AccessKeyId: k.id, Status: k.status, CreateDate: date(k.createDate) };
}

function findKey(keys: readonly AccessKeyRecord[], id: string): AccessKeyRecord {
  const k = keys.find((x) => x.id === id);
  if (!k) throw err(IamErrors.NoSuchEntity, `The Access Key with id ${id} cannot be found.`);
  return k;
}

function noLoginProfile(name: string) {
  return err(IamErrors.NoSuchEntity, `Login Profile for User ${name} cannot be found.`);
}

export const userHandlers: Partial<IamOperations> = {
  // ---------------------------------------------------------------- users
  async CreateUser(ctx, input) {
    check()
      .str("path", input.Path, 1, 512, PATTERNS.path)
      .str("userName", input.UserName, 1, 64, NAME)
      .str("permissionsBoundary", input.PermissionsBoundary, 20, 2048)
      .tags("tags", input.Tags)
      .done();
    const tags = initialTags(input.Tags);
    const user = await mutate(ctx, async (db) => {
      if (input.PermissionsBoundary) await findPolicy(db, input.PermissionsBoundary, "attach");
      if ((await db.users.count()) >= QUOTAS.users) {
        throw err(IamErrors.LimitExceeded, `Cannot exceed quota for UsersPerAccount: ${QUOTAS.users}`);
      }
      const rec: UserRecord = {
        name: input.UserName,
        id: uniqueId("AIDA"),
        path: input.Path ?? "/",
        createDate: iso(ctx),
        tags,
        ...(input.PermissionsBoundary ? { permissionsBoundary: input.PermissionsBoundary } : {}),
        inline: {},
        attached: [],
        groups: [],
        accessKeys: [],
        mfaDevices: [],
      };
      if (!(await db.users.insert(nameKey(rec.name), rec))) {
        throw err(IamErrors.EntityAlreadyExists, `User with name ${rec.name} already exists.`);
      }
      if (rec.permissionsBoundary) {
        await db.boundaries.put(attachmentKey(rec.permissionsBoundary, "user", rec.name), { kind: "user", name: rec.name, id: rec.id });
      }
      return rec;
    });
    return { User: userOut(ctx.account, user, true) };
  },

  async GetUser(ctx, input) {
    check().str("userName", input.UserName, 1, 128, NAME).done();
    const caller = callerOf(ctx, input.UserName);
    if (caller.kind === "root") {
      // The root user has no name or path; AWS answers its id, ARN and the account's creation.
      const account = await new AccountStore(ctx.storage.metadata, ctx.identity).get(ctx.account);
      return {
        User: {
          UserId: ctx.account,
          Arn: `arn:aws:iam::${ctx.account}:root`,
          CreateDate: account ? date(account.created) : ctx.clock.now(),
        } as unknown as ReturnType<typeof userOut>,
      };
    }
    const u = await needUser(readDb(ctx), caller.userName);
    return { User: userOut(ctx.account, u, true) };
  },

  async ListUsers(ctx, input) {
    check().str("pathPrefix", input.PathPrefix, 1, 512, PATTERNS.pathPrefix).paging(input).done();
    const db = readDb(ctx);
    const users = (await db.all(db.users)).filter((u) => pathFilter(input.PathPrefix)(u.path));
    const p = page(users, (u) => nameKey(u.name), input);
    return { Users: p.items.map((u) => userOut(ctx.account, u)), IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  },

  async UpdateUser(ctx, input) {
    check()
      .str("userName", input.UserName, 1, 128, NAME)
      .str("newPath", input.NewPath, 1, 512, PATTERNS.path)
      .str("newUserName", input.NewUserName, 1, 64, NAME)
      .done();
    const updated = await mutate(ctx, async (db) => {
      const u = await needUser(db, input.UserName);
      return renameUser(db, u, input.NewUserName, input.NewPath);
    });
    await syncCredentials(ctx, updated);
  },

  async DeleteUser(ctx, input) {
    check().str("userName", input.UserName, 1, 128, NAME).done();
    await mutate(ctx, async (db) => {
      const u = await needUser(db, input.UserName);
      const conflict = (what: string) => err(IamErrors.DeleteConflict, `Cannot delete entity, must ${what} first.`);
      if (u.loginProfile) throw conflict("delete login profile");
      if (u.accessKeys.length > 0) throw conflict("delete access keys");
      if (u.mfaDevices.length > 0) throw conflict("delete MFA device");
      if (Object.keys(u.inline).length > 0) throw conflict("delete policies");
      if (u.attached.length > 0) throw conflict("detach all policies");
      if (u.groups.length > 0) throw conflict("remove users from group");
      if (u.permissionsBoundary) await db.boundaries.delete(attachmentKey(u.permissionsBoundary, "user", u.name));
      await db.users.delete(nameKey(u.name));
    });
  },

  async TagUser(ctx, input) {
    check().str("userName", input.UserName, 1, 128, NAME).tags("tags", input.Tags).done();
    await mutate(ctx, async (db) => {
      const u = await needUser(db, input.UserName);
      await db.users.put(nameKey(u.name), { ...u, tags: mergeTags(u.tags, input.Tags) });
    });
  },

  async UntagUser(ctx, input) {
    check().str("userName", input.UserName, 1, 128, NAME).count("tagKeys", input.TagKeys, 0, 50).done();
    await mutate(ctx, async (db) => {
      const u = await needUser(db, input.UserName);
      await db.users.put(nameKey(u.name), { ...u, tags: removeTags(u.tags, input.TagKeys) });
    });
  },

  async ListUserTags(ctx, input) {
    check().str("userName", input.UserName, 1, 128, NAME).paging(input).done();
    const u = await needUser(readDb(ctx), input.UserName);
    return tagPage(u.tags, input);
  },

  // ---------------------------------------------------------------- groups
  async CreateGroup(ctx, input) {
    check().str("path", input.Path, 1, 512, PATTERNS.path).str("groupName", input.GroupName, 1, 128, NAME).done();
    const g = await mutate(ctx, async (db) => {
      if ((await db.groups.count()) >= QUOTAS.groups) {
        throw err(IamErrors.LimitExceeded, `Cannot exceed quota for GroupsPerAccount: ${QUOTAS.groups}`);
      }
      const rec: GroupRecord = {
        name: input.GroupName,
        id: uniqueId("AGPA"),
        path: input.Path ?? "/",
        createDate: iso(ctx),
        inline: {},
        attached: [],
      };
      if (!(await db.groups.insert(nameKey(rec.name), rec))) {
        throw err(IamErrors.EntityAlreadyExists, `Group with name ${rec.name} already exists.`);
      }
      return rec;
    });
    return { Group: groupOut(ctx.account, g) };
  },

  async GetGroup(ctx, input) {
    check().str("groupName", input.GroupName, 1, 128, NAME).paging(input).done();
    const db = readDb(ctx);
    const g = await needGroup(db, input.GroupName);
    const members: UserRecord[] = [];
    const groupKey = nameKey(g.name);
    for (const { key } of await db.groupMembers.list({ prefix: pairKey(groupKey, "") })) {
      const u = await db.users.get(key.slice(groupKey.length + 1));
      if (u) members.push(u);
    }
    const p = page(members, (u) => nameKey(u.name), input);
    return {
      Group: groupOut(ctx.account, g),
      Users: p.items.map((u) => userOut(ctx.account, u)),
      IsTruncated: p.IsTruncated,
      ...(p.Marker ? { Marker: p.Marker } : {}),
    };
  },

  async ListGroups(ctx, input) {
    check().str("pathPrefix", input.PathPrefix, 1, 512, PATTERNS.pathPrefix).paging(input).done();
    const db = readDb(ctx);
    const groups = (await db.all(db.groups)).filter((g) => pathFilter(input.PathPrefix)(g.path));
    const p = page(groups, (g) => nameKey(g.name), input);
    return { Groups: p.items.map((g) => groupOut(ctx.account, g)), IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  },

  async UpdateGroup(ctx, input) {
    check()
      .str("groupName", input.GroupName, 1, 128, NAME)
      .str("newPath", input.NewPath, 1, 512, PATTERNS.path)
      .str("newGroupName", input.NewGroupName, 1, 128, NAME)
      .done();
    await mutate(ctx, async (db) => {
      const g = await needGroup(db, input.GroupName);
      await renameGroup(db, g, input.NewGroupName, input.NewPath);
    });
  },

  async DeleteGroup(ctx, input) {
    check().str("groupName", input.GroupName, 1, 128, NAME).done();
    await mutate(ctx, async (db) => {
      const g = await needGroup(db, input.GroupName);
      const key = nameKey(g.name);
      const conflict = (what: string) => err(IamErrors.DeleteConflict, `Cannot delete entity, must ${what} first.`);
      if ((await db.groupMembers.count({ prefix: pairKey(key, "") })) > 0) throw conflict("remove users from group");
      if (Object.keys(g.inline).length > 0) throw conflict("delete policies");
      if (g.attached.length > 0) throw conflict("detach all policies");
      await db.groups.delete(key);
    });
  },

  async AddUserToGroup(ctx, input) {
    check().str("groupName", input.GroupName, 1, 128, NAME).str("userName", input.UserName, 1, 128, NAME).done();
    await mutate(ctx, async (db) => {
      const g = await needGroup(db, input.GroupName);
      const u = await needUser(db, input.UserName);
      const gk = nameKey(g.name);
      if (u.groups.includes(gk)) return; // already a member: AWS answers success
      if (u.groups.length >= QUOTAS.groupsPerUser) {
        throw err(IamErrors.LimitExceeded, `Cannot exceed quota for GroupsPerUser: ${QUOTAS.groupsPerUser}`);
      }
      await db.users.put(nameKey(u.name), { ...u, groups: [...u.groups, gk] });
      await db.groupMembers.put(pairKey(gk, nameKey(u.name)), {});
    });
  },

  async RemoveUserFromGroup(ctx, input) {
    check().str("groupName", input.GroupName, 1, 128, NAME).str("userName", input.UserName, 1, 128, NAME).done();
    await mutate(ctx, async (db) => {
      const g = await needGroup(db, input.GroupName);
      const u = await needUser(db, input.UserName);
      const gk = nameKey(g.name);
      if (!u.groups.includes(gk)) throw noUser(input.UserName);
      await db.users.put(nameKey(u.name), { ...u, groups: u.groups.filter((x) => x !== gk) });
      await db.groupMembers.delete(pairKey(gk, nameKey(u.name)));
    });
  },

  async ListGroupsForUser(ctx, input) {
    check().str("userName", input.UserName, 1, 128, NAME).paging(input).done();
    const db = readDb(ctx);
    const u = await needUser(db, input.UserName);
    const groups: GroupRecord[] = [];
    for (const k of u.groups) {
      const g = await db.groups.get(k);
      if (g) groups.push(g);
    }
    const p = page(groups, (g) => nameKey(g.name), input);
    return { Groups: p.items.map((g) => groupOut(ctx.account, g)), IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  },

  // ---------------------------------------------------------------- access keys
  async CreateAccessKey(ctx, input) {
    check().str("userName", input.UserName, 1, 128, NAME).done();
    const caller = callerOf(ctx, input.UserName);
    const id = newAccessKeyId();
    const secret = newSecret();
    const key: AccessKeyRecord = { id, status: "Active", createDate: iso(ctx) };
    if (caller.kind === "root") {
      await mutate(ctx, async (db) => {
        const root = await db.root();
        if (root.accessKeys.length >= QUOTAS.accessKeysPerUser) {
          throw err(IamErrors.LimitExceeded, `Cannot exceed quota for AccessKeysPerUser: ${QUOTAS.accessKeysPerUser}`);
        }
        await db.setRoot({ accessKeys: [...root.accessKeys, key] });
      });
      await ctx.identity.put({
        accessKeyId: id,
        secretAccessKey: secret,
        status: "Active",
        principal: { type: "root", account: ctx.account, arn: `arn:aws:iam::${ctx.account}:root`, userId: ctx.account, accessKeyId: id },
      });
      return { AccessKey: { UserName: "root", AccessKeyId: id, Status: "Active", SecretAccessKey: secret, CreateDate: date(key.createDate) } };
    }
    const user = await mutate(ctx, async (db) => {
      const u = await needUser(db, caller.userName);
      if (u.accessKeys.length >= QUOTAS.accessKeysPerUser) {
        throw err(IamErrors.LimitExceeded, `Cannot exceed quota for AccessKeysPerUser: ${QUOTAS.accessKeysPerUser}`);
      }
      const updated = { ...u, accessKeys: [...u.accessKeys, key] };
      await db.users.put(nameKey(u.name), updated);
      return updated;
    });
    // The gateway authenticates against the identity table: the key signs from now on.
    await ctx.identity.put({ accessKeyId: id, secretAccessKey: secret, status: "Active", principal: userPrincipal(ctx.account, user, id) });
    return {
      AccessKey: { UserName: user.name, AccessKeyId: id, Status: "Active", SecretAccessKey: secret, CreateDate: date(key.createDate) },
    };
  },

  async UpdateAccessKey(ctx, input) {
    check()
      .str("userName", input.UserName, 1, 128, NAME)
      .str("accessKeyId", input.AccessKeyId, 16, 128, PATTERNS.accessKeyId)
      .oneOf("status", input.Status, ["Active", "Inactive"])
      .done();
    const status = input.Status as "Active" | "Inactive";
    const caller = callerOf(ctx, input.UserName);
    await mutate(ctx, async (db) => {
      if (caller.kind === "root") {
        const root = await db.root();
        findKey(root.accessKeys, input.AccessKeyId);
        await db.setRoot({ accessKeys: root.accessKeys.map((k) => (k.id === input.AccessKeyId ? { ...k, status } : k)) });
        return;
      }
      const u = await needUser(db, caller.userName);
      findKey(u.accessKeys, input.AccessKeyId);
      await db.users.put(nameKey(u.name), { ...u, accessKeys: u.accessKeys.map((k) => (k.id === input.AccessKeyId ? { ...k, status } : k)) });
    });
    const cred = await ctx.identity.find(input.AccessKeyId);
    if (cred) await ctx.identity.put({ ...cred, status });
  },

  async DeleteAccessKey(ctx, input) {
    check().str("userName", input.UserName, 1, 128, NAME).str("accessKeyId", input.AccessKeyId, 16, 128, PATTERNS.accessKeyId).done();
    const caller = callerOf(ctx, input.UserName);
    await mutate(ctx, async (db) => {
      if (caller.kind === "root") {
        const root = await db.root();
        findKey(root.accessKeys, input.AccessKeyId);
        await db.setRoot({ accessKeys: root.accessKeys.filter((k) => k.id !== input.AccessKeyId) });
      } else {
        const u = await needUser(db, caller.userName);
        findKey(u.accessKeys, input.AccessKeyId);
        await db.users.put(nameKey(u.name), { ...u, accessKeys: u.accessKeys.filter((k) => k.id !== input.AccessKeyId) });
      }
      await db.keyLastUsed.delete(input.AccessKeyId);
    });
    await ctx.identity.delete(input.AccessKeyId);
  },

  async ListAccessKeys(ctx, input) {
    check().str("userName", input.UserName, 1, 128, NAME).paging(input).done();
    const caller = callerOf(ctx, input.UserName);
    const db = readDb(ctx);
    let userName: string;
    let keys: AccessKeyRecord[];
    if (caller.kind === "root") {
      userName = "root";
      keys = (await db.root()).accessKeys;
    } else {
      const u = await needUser(db, caller.userName);
      userName = u.name;
      keys = u.accessKeys;
    }
    const p = page(keys, (k) => `${k.createDate}\u0000${k.id}`, input);
    return {
      AccessKeyMetadata: p.items.map((k) => accessKeyOut(userName, k)),
      IsTruncated: p.IsTruncated,
      ...(p.Marker ? { Marker: p.Marker } : {}),
    };
  },

  async GetAccessKeyLastUsed(ctx, input) {
    check().str("accessKeyId", input.AccessKeyId, 16, 128, PATTERNS.accessKeyId).done();
    const cred = await ctx.identity.find(input.AccessKeyId);
    const owner = cred?.principal;
    if (!owner || owner.account !== ctx.account || (owner.type !== "user" && owner.type !== "root") || cred.sessionToken) {
      throw err(IamErrors.NoSuchEntity, `The Access Key with id ${input.AccessKeyId} cannot be found.`);
    }
    const db = readDb(ctx);
    const used = await db.keyLastUsed.get(input.AccessKeyId);
    return {
      UserName: owner.type === "user" ? owner.userName : "root",
      AccessKeyLastUsed: used
        ? { LastUsedDate: date(used.date), ServiceName: used.service, Region: used.region }
        : { ServiceName: "N/A", Region: "N/A" },
    };
  },

  // ---------------------------------------------------------------- login profiles
  async CreateLoginProfile(ctx, input) {
    check().str("userName", input.UserName, 1, 64, NAME).str("password", input.Password, 1, 128, PATTERNS.password).done();
    const db = readDb(ctx);
    await needUser(db, input.UserName);
    checkPassword(input.Password, await db.passwordPolicy());
    const hash = await hashPassword(input.Password);
    const now = iso(ctx);
    const profile = await mutate(ctx, async (tx) => {
      const u = await needUser(tx, input.UserName);
      if (u.loginProfile) throw err(IamErrors.EntityAlreadyExists, `Login Profile for user ${u.name} already exists.`);
      const lp = { createDate: now, passwordResetRequired: input.PasswordResetRequired ?? false, hash, passwordLastChanged: now, history: [] };
      await tx.users.put(nameKey(u.name), { ...u, loginProfile: lp });
      return { UserName: u.name, CreateDate: date(now), PasswordResetRequired: lp.passwordResetRequired };
    });
    return { LoginProfile: profile };
  },

  async GetLoginProfile(ctx, input) {
    check().str("userName", input.UserName, 1, 64, NAME).done();
    const u = await needUser(readDb(ctx), input.UserName);
    if (!u.loginProfile) throw noLoginProfile(u.name);
    return {
      LoginProfile: { UserName: u.name, CreateDate: date(u.loginProfile.createDate), PasswordResetRequired: u.loginProfile.passwordResetRequired },
    };
  },

  async UpdateLoginProfile(ctx, input) {
    check().str("userName", input.UserName, 1, 64, NAME).str("password", input.Password, 1, 128, PATTERNS.password).done();
    const db = readDb(ctx);
    const current = await needUser(db, input.UserName);
    if (!current.loginProfile) throw noLoginProfile(current.name);
    let hash: string | undefined;
    if (input.Password !== undefined) {
      const policy = await db.passwordPolicy();
      checkPassword(input.Password, policy);
      const lp = current.loginProfile;
      if (await reusesPassword(input.Password, [lp.hash, ...lp.history], policy?.PasswordReusePrevention)) {
        throw err(IamErrors.PasswordPolicyViolation, "Password does not conform to the account password policy.");
      }
      hash = await hashPassword(input.Password);
    }
    const now = iso(ctx);
    await mutate(ctx, async (tx) => {
      const u = await needUser(tx, input.UserName);
      const lp = u.loginProfile;
      if (!lp) throw noLoginProfile(u.name);
      const next = { ...lp };
      if (hash) {
        next.history = [lp.hash, ...lp.history].slice(0, 24);
        next.hash = hash;
        next.passwordLastChanged = now;
      }
      if (input.PasswordResetRequired !== undefined) next.passwordResetRequired = input.PasswordResetRequired;
      await tx.users.put(nameKey(u.name), { ...u, loginProfile: next });
    });
  },

  async DeleteLoginProfile(ctx, input) {
    check().str("userName", input.UserName, 1, 64, NAME).done();
    await mutate(ctx, async (db) => {
      const u = await needUser(db, input.UserName);
      if (!u.loginProfile) throw noLoginProfile(u.name);
      const { loginProfile: _dropped, ...rest } = u;
      await db.users.put(nameKey(u.name), rest);
    });
  },

  async ChangePassword(ctx, input) {
    check()
      .str("oldPassword", input.OldPassword, 1, 128, PATTERNS.password)
      .str("newPassword", input.NewPassword, 1, 128, PATTERNS.password)
      .done();
    const p = ctx.principal;
    if (p.type !== "user") {
      throw err(IamErrors.InvalidUserType, "Only IAM users can change their own password with this operation.");
    }
    const db = readDb(ctx);
    const u = await needUser(db, p.userName);
    const lp = u.loginProfile;
    if (!lp) throw noLoginProfile(u.name);
    if (!(await passwordMatches(input.OldPassword, lp.hash))) {
      throw err(IamErrors.AccessDenied, "The old password is incorrect.");
    }
    const policy = await db.passwordPolicy();
    checkPassword(input.NewPassword, policy);
    if (await reusesPassword(input.NewPassword, [lp.hash, ...lp.history], policy?.PasswordReusePrevention)) {
      throw err(IamErrors.PasswordPolicyViolation, "Password does not conform to the account password policy.");
    }
    const hash = await hashPassword(input.NewPassword);
    const now = iso(ctx);
    await mutate(ctx, async (tx) => {
      const cur = await needUser(tx, p.userName);
      const clp = cur.loginProfile;
      if (!clp) throw noLoginProfile(cur.name);
      await tx.users.put(nameKey(cur.name), {
        ...cur,
        loginProfile: { ...clp, hash, passwordLastChanged: now, passwordResetRequired: false, history: [clp.hash, ...clp.history].slice(0, 24) },
      });
    });
  },
};
