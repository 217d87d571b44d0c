/**
 * IAM state. Per account (scope {account, "aws-global", "iam"}), one table per entity kind,
 * keyed by the lower-cased name (IAM names are unique regardless of case, and found regardless
 * of case), plus index tables for the relations that are listed from the other side:
 *
 *   users, groups, roles, instance-profiles, policies (customer managed), mfa-devices (by serial)
 *   group-members       `<group>\0<user>`                      GetGroup's member list
 *   policy-attachments  `<policyArn>\0<kind>\0<entity>`        AttachmentCount, ListEntitiesForPolicy
 *   policy-boundaries   `<policyArn>\0<kind>\0<entity>`        PermissionsBoundaryUsageCount
 *   account             "password-policy", "credential-report", "root", "alias"
 *
 * and, across accounts (account "global"): account aliases (globally unique) and access-key
 * last use. Inline policies, attached-policy lists, group lists, access keys and login profiles
 * live inside the entity record they belong to. Every change that touches more than one record
 * runs in one metadata transaction (`mutate`).
 */
import type { RequestContext } from "../../core/service.js";
import { GLOBAL_REGION } from "../../core/regions.js";
import type { MetadataStore, Scope, Table } from "../../storage/types.js";

export interface Tag {
  Key: string;
  Value: string;
}

export interface InlinePolicy {
  name: string;
  document: string;
}

export interface AccessKeyRecord {
  id: string;
  status: "Active" | "Inactive";
  createDate: string;
}

export interface LoginProfileRecord {
  createDate: string;
  passwordResetRequired: boolean;
  /** scrypt hash (see password-policy.ts). */
  hash: string;
  passwordLastChanged: string;
  /** Earlier hashes, newest first (PasswordReusePrevention). */
  history: string[];
}

export interface UserRecord {
  name: string;
  id: string;
  path: string;
  createDate: string;
  tags: Tag[];
  permissionsBoundary?: string;
  /** Keyed by the lower-cased policy name. */
  inline: Record<string, InlinePolicy>;
  /** Managed policy ARNs, in attachment order. */
  attached: string[];
  /** Lower-cased group names. */
  groups: string[];
  accessKeys: AccessKeyRecord[];
  loginProfile?: LoginProfileRecord;
  passwordLastUsed?: string;
  /** Serial numbers of the MFA devices enabled for the user. */
  mfaDevices: string[];
}

export interface GroupRecord {
  name: string;
  id: string;
  path: string;
  createDate: string;
  inline: Record<string, InlinePolicy>;
  attached: string[];
}

export interface RoleRecord {
  name: string;
  id: string;
  path: string;
  createDate: string;
  trustPolicy: string;
  description?: string;
  maxSessionDuration: number;
  tags: Tag[];
  permissionsBoundary?: string;
  inline: Record<string, InlinePolicy>;
  attached: string[];
  /** Lower-cased instance profile names. */
  instanceProfiles: string[];
  lastUsed?: { date: string; region: string };
}

export interface InstanceProfileRecord {
  name: string;
  id: string;
  path: string;
  createDate: string;
  tags: Tag[];
  /** Lower-cased role names (at most one). */
  roles: string[];
}

export interface PolicyVersionRecord {
  id: string;
  document: string;
  createDate: string;
}

export interface PolicyRecord {
  name: string;
  id: string;
  path: string;
  description?: string;
  createDate: string;
  updateDate: string;
  defaultVersion: string;
  /** The number the next version gets (versions are never renumbered). */
  nextVersion: number;
  versions: PolicyVersionRecord[];
  tags: Tag[];
}

export type EntityKind = "user" | "group" | "role";

export interface AttachmentRecord {
  kind: EntityKind;
  name: string;
  id: string;
}

export interface MfaDeviceRecord {
  serial: string;
  name: string;
  path: string;
  /** The TOTP secret, base 32. */
  seed: string;
  createDate: string;
  tags: Tag[];
  /** Lower-cased name of the user it is enabled for. */
  user?: string;
  enableDate?: string;
  /** Clock drift learnt by ResyncMFADevice, in 30-second steps. */
  driftSteps: number;
  /** The last step whose code was accepted (a code is good once). */
  lastStep?: number;
}

export interface PasswordPolicyRecord {
  MinimumPasswordLength: number;
  RequireSymbols: boolean;
  RequireNumbers: boolean;
  RequireUppercaseCharacters: boolean;
  RequireLowercaseCharacters: boolean;
  AllowUsersToChangePassword: boolean;
  MaxPasswordAge?: number;
  PasswordReusePrevention?: number;
  HardExpiry: boolean;
}

export interface CredentialReportRecord {
  generatedTime: string;
  csv: string;
}

/** The root user's own access keys created through IAM (CreateAccessKey as root, no UserName). */
export interface RootRecord {
  accessKeys: AccessKeyRecord[];
  /** Serial of the root user's enabled virtual MFA device (enabled from the console). */
  mfaDevice?: string;
}

/** The `user` of an MFA device assigned to the root user (`<` cannot start an IAM user name). */
export const ROOT_DEVICE_OWNER = "<root>";

export interface AliasRecord {
  account: string;
}

export interface KeyLastUsedRecord {
  date: string;
  service: string;
  region: string;
}

interface AccountAliasRecord {
  alias: string;
}

type AccountRecord = PasswordPolicyRecord | CredentialReportRecord | RootRecord | AccountAliasRecord;

/** Anything tables can be opened on: the store itself or a transaction. */
export interface TableSource {
  table<V = unknown>(scope: Scope, name: string): Table<V>;
}

export const GLOBAL_SCOPE: Scope = { account: "global", region: GLOBAL_REGION, service: "iam" };

export function accountScope(account: string): Scope {
  return { account, region: GLOBAL_REGION, service: "iam" };
}

export const nameKey = (name: string) => name.toLowerCase();
export const pairKey = (...parts: string[]) => parts.join("\u0000");

/** IAM's tables for one account, opened on a store or inside a transaction. */
export class IamDb {
  constructor(
    readonly src: TableSource,
    readonly scope: Scope,
  ) {}

  get account(): string {
    return this.scope.account;
  }

  private t<V>(name: string): Table<V> {
    return this.src.table<V>(this.scope, name);
  }

  get users() {
    return this.t<UserRecord>("users");
  }
  get groups() {
    return this.t<GroupRecord>("groups");
  }
  get roles() {
    return this.t<RoleRecord>("roles");
  }
  get instanceProfiles() {
    return this.t<InstanceProfileRecord>("instance-profiles");
  }
  get policies() {
    return this.t<PolicyRecord>("policies");
  }
  get mfaDevices() {
    return this.t<MfaDeviceRecord>("mfa-devices");
  }
  get groupMembers() {
    return this.t<Record<string, never>>("group-members");
  }
  get attachments() {
    return this.t<AttachmentRecord>("policy-attachments");
  }
  get boundaries() {
    return this.t<AttachmentRecord>("policy-boundaries");
  }
  private get accountTable() {
    return this.t<AccountRecord>("account");
  }
  get aliases() {
    return this.src.table<AliasRecord>(GLOBAL_SCOPE, "account-aliases");
  }
  get keyLastUsed() {
    return this.src.table<KeyLastUsedRecord>(GLOBAL_SCOPE, "access-key-last-used");
  }

  async passwordPolicy(): Promise<PasswordPolicyRecord | undefined> {
    return (await this.accountTable.get("password-policy")) as PasswordPolicyRecord | undefined;
  }
  async setPasswordPolicy(p: PasswordPolicyRecord | undefined): Promise<boolean> {
    if (p) {
      await this.accountTable.put("password-policy", p);
      return true;
    }
    return this.accountTable.delete("password-policy");
  }
  async credentialReport(): Promise<CredentialReportRecord | undefined> {
    return (await this.accountTable.get("credential-report")) as CredentialReportRecord | undefined;
  }
  async setCredentialReport(r: CredentialReportRecord): Promise<void> {
    await this.accountTable.put("credential-report", r);
  }
  async alias(): Promise<string | undefined> {
    return ((await this.accountTable.get("alias")) as AccountAliasRecord | undefined)?.alias;
  }
  async setAlias(alias: string | undefined): Promise<void> {
    if (alias === undefined) await this.accountTable.delete("alias");
    else await this.accountTable.put("alias", { alias });
  }
  async root(): Promise<RootRecord> {
    return ((await this.accountTable.get("root")) as RootRecord | undefined) ?? { accessKeys: [] };
  }
  async setRoot(r: RootRecord): Promise<void> {
    await this.accountTable.put("root", r);
  }

  /** Every value of a table (IAM's per-account quotas keep these small). */
  async all<V>(table: Table<V>, prefix?: string): Promise<V[]> {
    return (await table.list(prefix ? { prefix } : {})).map((e) => e.value);
  }
}

export function readDb(ctx: RequestContext): IamDb {
  return new IamDb(ctx.storage.metadata, ctx.scope);
}

export function dbFor(metadata: MetadataStore, account: string): IamDb {
  return new IamDb(metadata, accountScope(account));
}

/** Run a change atomically (transactions are serialised, so read-check-write is safe inside). */
export function mutate<T>(ctx: RequestContext, fn: (db: IamDb) => Promise<T>): Promise<T> {
  return ctx.storage.metadata.transaction((tx) => fn(new IamDb(tx, ctx.scope)));
}

export const arnOf = {
  user: (account: string, path: string, name: string) => `arn:aws:iam::${account}:user${path}${name}`,
  group: (account: string, path: string, name: string) => `arn:aws:iam::${account}:group${path}${name}`,
  role: (account: string, path: string, name: string) => `arn:aws:iam::${account}:role${path}${name}`,
  instanceProfile: (account: string, path: string, name: string) =>
    `arn:aws:iam::${account}:instance-profile${path}${name}`,
  policy: (account: string, path: string, name: string) => `arn:aws:iam::${account}:policy${path}${name}`,
  mfa: (account: string, path: string, name: string) => `arn:aws:iam::${account}:mfa${path}${name}`,
};
