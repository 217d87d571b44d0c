/** Account-wide IAM: password policy, account alias, summary, credential report, authorization details. */
import { AccountStore } from "../../core/accounts.js";
import type { IamOperations } from "../../generated/iam.js";
import { IamErrors } from "./errors.js";
import { QUOTAS, date, encodeDocument, err, findPolicy, groupOut, instanceProfileOut, iso, page, policyOut, roleOut, userOut } from "./common.js";
import { buildCredentialReport } from "./credential-report.js";
import { policyFromInput, policyOutput } from "./password-policy.js";
import { ROOT_DEVICE_OWNER, mutate, nameKey, readDb } from "./store.js";
import { PATTERNS, check } from "./validate.js";

/** A credential report is good for four hours; after that Generate makes a new one. */
const REPORT_TTL_MS = 4 * 3600 * 1000;

export const accountHandlers: Partial<IamOperations> = {
  // ---------------------------------------------------------------- password policy
  async UpdateAccountPasswordPolicy(ctx, input) {
    check()
      .num("minimumPasswordLength", input.MinimumPasswordLength, 6, 128)
      .num("maxPasswordAge", input.MaxPasswordAge, 1, 1095)
      .num("passwordReusePrevention", input.PasswordReusePrevention, 1, 24)
      .done();
    await mutate(ctx, async (db) => {
      await db.setPasswordPolicy(policyFromInput(input));
    });
  },

  async GetAccountPasswordPolicy(ctx) {
    const p = await readDb(ctx).passwordPolicy();
    if (!p) throw err(IamErrors.NoSuchEntity, `The Password Policy with domain name ${ctx.account} cannot be found.`);
    return { PasswordPolicy: policyOutput(p) };
  },

  async DeleteAccountPasswordPolicy(ctx) {
    await mutate(ctx, async (db) => {
      if (!(await db.setPasswordPolicy(undefined))) {
        throw err(IamErrors.NoSuchEntity, `The account policy with name PasswordPolicy cannot be found.`);
      }
    });
  },

  // ---------------------------------------------------------------- account alias
  async CreateAccountAlias(ctx, input) {
    check().str("accountAlias", input.AccountAlias, 3, 63, PATTERNS.accountAlias).done();
    const alias = input.AccountAlias;
    await mutate(ctx, async (db) => {
      const owner = await db.aliases.get(alias);
      if (owner && owner.account !== ctx.account) {
        throw err(IamErrors.EntityAlreadyExists, `The account alias ${alias} already exists.`);
      }
      if (owner) return;
      if ((await db.alias()) !== undefined) {
        throw err(IamErrors.LimitExceeded, "Cannot exceed quota for AccountAliasesPerAccount: 1");
      }
      await db.aliases.put(alias, { account: ctx.account });
      await db.setAlias(alias);
    });
  },

  async DeleteAccountAlias(ctx, input) {
    check().str("accountAlias", input.AccountAlias, 3, 63, PATTERNS.accountAlias).done();
    await mutate(ctx, async (db) => {
      if ((await db.alias()) !== input.AccountAlias) {
        throw err(IamErrors.NoSuchEntity, `The account alias ${input.AccountAlias} cannot be found.`);
      }
      await db.aliases.delete(input.AccountAlias);
      await db.setAlias(undefined);
    });
  },

  async ListAccountAliases(ctx, input) {
    check().paging(input).done();
    const alias = await readDb(ctx).alias();
    return { AccountAliases: alias ? [alias] : [], IsTruncated: false };
  },

  // ---------------------------------------------------------------- summary
  async GetAccountSummary(ctx) {
    const db = readDb(ctx);
    const users = await db.all(db.users);
    const devices = await db.all(db.mfaDevices);
    const attachedArns = new Set<string>();
    for (const e of await db.attachments.list()) attachedArns.add(e.key.slice(0, e.key.indexOf("\u0000")));
    for (const e of await db.boundaries.list()) attachedArns.add(e.key.slice(0, e.key.indexOf("\u0000")));
    return {
      SummaryMap: {
        Users: users.length,
        UsersQuota: QUOTAS.users,
        Groups: await db.groups.count(),
        GroupsQuota: QUOTAS.groups,
        ServerCertificates: 0,
        ServerCertificatesQuota: QUOTAS.serverCertificates,
        UserPolicySizeQuota: QUOTAS.userPolicySize,
        GroupPolicySizeQuota: QUOTAS.groupPolicySize,
        GroupsPerUserQuota: QUOTAS.groupsPerUser,
        SigningCertificatesPerUserQuota: 2,
        AccessKeysPerUserQuota: QUOTAS.accessKeysPerUser,
        MFADevices: devices.length,
        MFADevicesInUse: devices.filter((d) => d.user !== undefined).length,
        AccountMFAEnabled: devices.some((d) => d.user === ROOT_DEVICE_OWNER) ? 1 : 0,
        // The root user always has the access key Nimbus was started with.
        AccountAccessKeysPresent: 1,
        AccountSigningCertificatesPresent: 0,
        AttachedPoliciesPerGroupQuota: QUOTAS.managedPoliciesPerEntity,
        AttachedPoliciesPerRoleQuota: QUOTAS.managedPoliciesPerEntity,
        AttachedPoliciesPerUserQuota: QUOTAS.managedPoliciesPerEntity,
        Policies: await db.policies.count(),
        PoliciesQuota: QUOTAS.policies,
        PolicySizeQuota: QUOTAS.managedPolicySize,
        PolicyVersionsInUse: attachedArns.size,
        PolicyVersionsInUseQuota: 10000,
        VersionsPerPolicyQuota: QUOTAS.policyVersions,
        Roles: await db.roles.count(),
        RolesQuota: QUOTAS.roles,
        RolePolicySizeQuota: QUOTAS.rolePolicySize,
        InstanceProfiles: await db.instanceProfiles.count(),
        InstanceProfilesQuota: QUOTAS.instanceProfiles,
        Providers: 0,
        GlobalEndpointTokenVersion: 1,
        AssumeRolePolicySizeQuota: QUOTAS.trustPolicySize,
      },
    };
  },

  // ---------------------------------------------------------------- credential report
  async GenerateCredentialReport(ctx) {
    const db = readDb(ctx);
    const existing = await db.credentialReport();
    const now = ctx.clock.nowMs();
    if (existing && now - Date.parse(existing.generatedTime) < REPORT_TTL_MS) return { State: "COMPLETE" };
    const account = await new AccountStore(ctx.storage.metadata, ctx.identity).get(ctx.account);
    const csv = await buildCredentialReport(db, ctx.account, account?.created ?? iso(ctx), await db.passwordPolicy());
    await mutate(ctx, (tx) => tx.setCredentialReport({ generatedTime: iso(ctx), csv }));
    // The report is ready at once, but the first answer is the one AWS gives while it works.
    return { State: "STARTED", Description: "No report exists. Starting a new report generation task" };
  },

  async GetCredentialReport(ctx) {
    const report = await readDb(ctx).credentialReport();
    if (!report) throw err(IamErrors.ReportNotPresent);
    if (ctx.clock.nowMs() - Date.parse(report.generatedTime) >= REPORT_TTL_MS) throw err(IamErrors.ReportExpired);
    return { Content: Buffer.from(report.csv, "utf8"), ReportFormat: "text/csv", GeneratedTime: date(report.generatedTime) };
  },

  // ---------------------------------------------------------------- everything at once
  async GetAccountAuthorizationDetails(ctx, input) {
    check().paging(input).done();
    const filter = new Set(input.Filter ?? ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]);
    const db = readDb(ctx);
    type Item = { key: string; kind: string; value: unknown };
    const items: Item[] = [];
    const inlineList = (inline: Record<string, { name: string; document: string }>) =>
      Object.values(inline).map((p) => ({ PolicyName: p.name, PolicyDocument: encodeDocument(p.document) }));
    const attachedList = (arns: string[]) =>
      arns.map((arn) => ({ PolicyName: arn.slice(arn.lastIndexOf("/") + 1), PolicyArn: arn }));
    if (filter.has("User")) {
      for (const u of await db.all(db.users)) {
        const groups = [];
        for (const g of u.groups) groups.push((await db.groups.get(g))?.name ?? g);
        items.push({
          key: `1${nameKey(u.name)}`,
          kind: "user",
          value: {
            ...userOut(ctx.account, u, true),
            UserPolicyList: inlineList(u.inline),
            GroupList: groups,
            AttachedManagedPolicies: attachedList(u.attached),
          },
        });
      }
    }
    if (filter.has("Group")) {
      for (const g of await db.all(db.groups)) {
        items.push({
          key: `2${nameKey(g.name)}`,
          kind: "group",
          value: { ...groupOut(ctx.account, g), GroupPolicyList: inlineList(g.inline), AttachedManagedPolicies: attachedList(g.attached) },
        });
      }
    }
    if (filter.has("Role")) {
      for (const r of await db.all(db.roles)) {
        const profiles = [];
        for (const k of r.instanceProfiles) {
          const p = await db.instanceProfiles.get(k);
          if (p) profiles.push(await instanceProfileOut(db, p));
        }
        items.push({
          key: `3${nameKey(r.name)}`,
          kind: "role",
          value: {
            ...roleOut(ctx.account, r, true),
            InstanceProfileList: profiles,
            RolePolicyList: inlineList(r.inline),
            AttachedManagedPolicies: attachedList(r.attached),
          },
        });
      }
    }
    const policies: Array<{ arn: string }> = [];
    if (filter.has("LocalManagedPolicy")) {
      for (const p of await db.all(db.policies)) policies.push({ arn: `arn:aws:iam::${ctx.account}:policy${p.path}${p.name}` });
    }
    if (filter.has("AWSManagedPolicy")) {
      // Only the AWS managed policies in use, as AWS lists them.
      const used = new Set<string>();
      for (const e of await db.attachments.list()) used.add(e.key.slice(0, e.key.indexOf("\u0000")));
      for (const arn of used) if (arn.startsWith("arn:aws:iam::aws:")) policies.push({ arn });
    }
    for (const { arn } of policies) {
      const r = await findPolicy(db, arn, "get");
      const versions =
        r.kind === "aws"
          ? [{ Document: encodeDocument(r.policy.document), VersionId: r.policy.defaultVersion, IsDefaultVersion: true, CreateDate: date(r.policy.updateDate) }]
          : r.policy.versions.map((v) => ({
              Document: encodeDocument(v.document),
              VersionId: v.id,
              IsDefaultVersion: v.id === r.policy.defaultVersion,
              CreateDate: date(v.createDate),
            }));
      const { Tags: _t, ...base } = (await policyOut(db, r, true)) as Record<string, unknown>;
      items.push({ key: `4${nameKey(String(base.PolicyName))}\u0000${arn}`, kind: "policy", value: { ...base, PolicyVersionList: versions } });
    }
    const p = page(items, (i) => i.key, input);
    const of = (kind: string) => p.items.filter((i) => i.kind === kind).map((i) => i.value);
    return {
      UserDetailList: of("user"),
      GroupDetailList: of("group"),
      RoleDetailList: of("role"),
      Policies: of("policy"),
      IsTruncated: p.IsTruncated,
      ...(p.Marker ? { Marker: p.Marker } : {}),
    } as never;
  },
};
