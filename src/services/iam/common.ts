/**
 * What the IAM handlers share: entity lookups with AWS's not-found messages, the output shapes
 * (which attributes each Get/List returns), paging, tags, policy-document checks and ARNs.
 */
import { ServiceError } from "../../core/errors.js";
import type { RequestContext } from "../../core/service.js";
import { IamErrors } from "./errors.js";
import { awsManagedPolicy, type ManagedPolicy } from "./managed-policies.js";
import { parsePolicyDocument, policySizeWithoutWhitespace } from "./policy/index.js";
import {
  arnOf,
  nameKey,
  type EntityKind,
  type GroupRecord,
  type IamDb,
  type InstanceProfileRecord,
  type PolicyRecord,
  type RoleRecord,
  type Tag,
  type UserRecord,
} from "./store.js";

export const err = (def: (typeof IamErrors)[keyof typeof IamErrors], message?: string) => new ServiceError(def, message);

// ---------------------------------------------------------------------------------------------
// Quotas (AWS's defaults)

export const QUOTAS = {
  accessKeysPerUser: 2,
  groupsPerUser: 10,
  managedPoliciesPerEntity: 10,
  policyVersions: 5,
  rolesPerInstanceProfile: 1,
  mfaDevicesPerUser: 8,
  tagsPerResource: 50,
  userPolicySize: 2048,
  groupPolicySize: 5120,
  rolePolicySize: 10240,
  managedPolicySize: 6144,
  trustPolicySize: 2048,
  users: 5000,
  groups: 300,
  roles: 1000,
  instanceProfiles: 1000,
  policies: 1500,
  serverCertificates: 20,
} as const;

// ---------------------------------------------------------------------------------------------
// Time

export const iso = (ctx: RequestContext) => ctx.clock.now().toISOString();
export const date = (isoText: string) => new Date(isoText);

// ---------------------------------------------------------------------------------------------
// Lookups

export function noUser(name: string) {
  return err(IamErrors.NoSuchEntity, `The user with name ${name} cannot be found.`);
}

export async function needUser(db: IamDb, name: string): Promise<UserRecord> {
  const u = await db.users.get(nameKey(name));
  if (!u) throw noUser(name);
  return u;
}

export async function needGroup(db: IamDb, name: string): Promise<GroupRecord> {
  const g = await db.groups.get(nameKey(name));
  if (!g) throw err(IamErrors.NoSuchEntity, `The group with name ${name} cannot be found.`);
  return g;
}

export async function needRole(db: IamDb, name: string): Promise<RoleRecord> {
  const r = await db.roles.get(nameKey(name));
  if (!r) throw err(IamErrors.NoSuchEntity, `The role with name ${name} cannot be found.`);
  return r;
}

export async function needInstanceProfile(db: IamDb, name: string): Promise<InstanceProfileRecord> {
  const p = await db.instanceProfiles.get(nameKey(name));
  if (!p) throw err(IamErrors.NoSuchEntity, `Instance Profile ${name} cannot be found.`);
  return p;
}

/** A managed policy named by ARN: AWS's or one of the account's own. */
export type ResolvedPolicy =
  | { kind: "aws"; arn: string; policy: ManagedPolicy }
  | { kind: "local"; arn: string; key: string; policy: PolicyRecord };

const POLICY_ARN = /^arn:aws:iam::(\d{12}|aws):policy(\/(?:[\u0021-\u007E]*\/)?)?([\w+=,.@-]+)$/;

/** Split a policy ARN; InvalidInput "ARN x is not valid." when it is not one. */
export function parsePolicyArn(arn: string): { owner: string; path: string; name: string } {
  const m = POLICY_ARN.exec(arn);
  if (!m) throw err(IamErrors.InvalidInput, `ARN ${arn} is not valid.`);
  return { owner: m[1]!, path: m[2] ?? "/", name: m[3]! };
}

/**
 * Find a managed policy; `notFound` words the error the way the calling operation does
 * ("was not found." for Get/Delete, "does not exist or is not attachable." for Attach).
 */
export async function findPolicy(db: IamDb, arn: string, notFound: "get" | "attach"): Promise<ResolvedPolicy> {
  const { owner, path, name } = parsePolicyArn(arn);
  const missing = () =>
    err(
      IamErrors.NoSuchEntity,
      notFound === "attach" ? `Policy ${arn} does not exist or is not attachable.` : `Policy ${arn} was not found.`,
    );
  if (owner === "aws") {
    const policy = awsManagedPolicy(arn);
    if (!policy) throw missing();
    return { kind: "aws", arn, policy };
  }
  if (owner !== db.account) throw missing();
  const key = nameKey(name);
  const policy = await db.policies.get(key);
  if (!policy || policy.path !== path || policy.name !== name) throw missing();
  return { kind: "local", arn, key, policy };
}

// ---------------------------------------------------------------------------------------------
// Output shapes

export const encodeDocument = (text: string) => encodeURIComponent(text);

function boundary(arn: string | undefined) {
  return arn ? { PermissionsBoundary: { PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: arn } } : {};
}

const tagsOut = (tags: Tag[]) => (tags.length > 0 ? { Tags: tags.map((t) => ({ Key: t.Key, Value: t.Value })) } : {});

/** The user as Get/Create return it (`full`), or as List operations do (no tags, no boundary). */
export function userOut(account: string, u: UserRecord, full = false) {
  return {
    Path: u.path,
    UserName: u.name,
    UserId: u.id,
    Arn: arnOf.user(account, u.path, u.name),
    CreateDate: date(u.createDate),
    ...(u.passwordLastUsed ? { PasswordLastUsed: date(u.passwordLastUsed) } : {}),
    ...(full ? boundary(u.permissionsBoundary) : {}),
    ...(full ? tagsOut(u.tags) : {}),
  };
}

export function groupOut(account: string, g: GroupRecord) {
  return { Path: g.path, GroupName: g.name, GroupId: g.id, Arn: arnOf.group(account, g.path, g.name), CreateDate: date(g.createDate) };
}

export function roleOut(account: string, r: RoleRecord, full = false) {
  return {
    Path: r.path,
    RoleName: r.name,
    RoleId: r.id,
    Arn: arnOf.role(account, r.path, r.name),
    CreateDate: date(r.createDate),
    AssumeRolePolicyDocument: encodeDocument(r.trustPolicy),
    ...(r.description !== undefined ? { Description: r.description } : {}),
    MaxSessionDuration: r.maxSessionDuration,
    ...(full ? boundary(r.permissionsBoundary) : {}),
    ...(full ? tagsOut(r.tags) : {}),
    ...(full
      ? { RoleLastUsed: r.lastUsed ? { LastUsedDate: date(r.lastUsed.date), Region: r.lastUsed.region } : {} }
      : {}),
  };
}

export async function instanceProfileOut(db: IamDb, p: InstanceProfileRecord, full = false) {
  const roles = [];
  for (const key of p.roles) {
    const r = await db.roles.get(key);
    if (r) roles.push(roleOut(db.account, r));
  }
  return {
    Path: p.path,
    InstanceProfileName: p.name,
    InstanceProfileId: p.id,
    Arn: arnOf.instanceProfile(db.account, p.path, p.name),
    CreateDate: date(p.createDate),
    Roles: roles,
    ...(full ? tagsOut(p.tags) : {}),
  };
}

export async function policyOut(db: IamDb, r: ResolvedPolicy, full = false) {
  const attachmentCount = await db.attachments.count({ prefix: `${r.arn}\u0000` });
  const boundaryCount = await db.boundaries.count({ prefix: `${r.arn}\u0000` });
  const common = { AttachmentCount: attachmentCount, PermissionsBoundaryUsageCount: boundaryCount, IsAttachable: true };
  if (r.kind === "aws") {
    const p = r.policy;
    return {
      PolicyName: p.name,
      PolicyId: p.id,
      Arn: p.arn,
      Path: p.path,
      DefaultVersionId: p.defaultVersion,
      ...common,
      ...(full ? { Description: p.description } : {}),
      CreateDate: date(p.createDate),
      UpdateDate: date(p.updateDate),
    };
  }
  const p = r.policy;
  return {
    PolicyName: p.name,
    PolicyId: p.id,
    Arn: r.arn,
    Path: p.path,
    DefaultVersionId: p.defaultVersion,
    ...common,
    ...(full && p.description !== undefined ? { Description: p.description } : {}),
    CreateDate: date(p.createDate),
    UpdateDate: date(p.updateDate),
    ...(full ? tagsOut(p.tags) : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Paging: every IAM list takes Marker/MaxItems (default 100) and answers IsTruncated (+ Marker).
// Markers are opaque to clients: here, the base64url of the last returned item's sort key.

export interface PageInput {
  Marker?: string;
  MaxItems?: number;
}

export function page<T>(items: readonly T[], keyOf: (item: T) => string, input: PageInput) {
  const sorted = [...items].sort((a, b) => cmp(keyOf(a), keyOf(b)));
  let start = 0;
  if (input.Marker !== undefined) {
    const after = decodeMarker(input.Marker);
    start = sorted.findIndex((i) => cmp(keyOf(i), after) > 0);
    if (start === -1) start = sorted.length;
  }
  const max = input.MaxItems ?? 100;
  const slice = sorted.slice(start, start + max);
  const truncated = start + max < sorted.length;
  return {
    items: slice,
    IsTruncated: truncated,
    ...(truncated ? { Marker: Buffer.from(keyOf(slice[slice.length - 1]!), "utf8").toString("base64url") } : {}),
  };
}

function decodeMarker(marker: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(marker)) throw err(IamErrors.ValidationError, "Invalid Marker.");
  return Buffer.from(marker, "base64url").toString("utf8");
}

/** Binary (code unit) order, the order the metadata store keeps keys in. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function pathFilter(prefix: string | undefined) {
  return (path: string) => prefix === undefined || path.startsWith(prefix);
}

// ---------------------------------------------------------------------------------------------
// Tags: keys are matched regardless of case (IAM), at most 50 per resource.

export function checkTagKeysUnique(tags: readonly Tag[]): void {
  const seen = new Set<string>();
  for (const t of tags) {
    const k = t.Key.toLowerCase();
    if (seen.has(k)) throw err(IamErrors.InvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive.");
    seen.add(k);
  }
}

export function mergeTags(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  checkTagKeysUnique(added);
  const out = existing.map((t) => ({ ...t }));
  for (const t of added) {
    const i = out.findIndex((e) => e.Key.toLowerCase() === t.Key.toLowerCase());
    if (i >= 0) out[i] = { Key: t.Key, Value: t.Value };
    else out.push({ Key: t.Key, Value: t.Value });
  }
  if (out.length > QUOTAS.tagsPerResource) {
    throw err(IamErrors.LimitExceeded, `Cannot exceed quota for TagsPerResource: ${QUOTAS.tagsPerResource}`);
  }
  return out;
}

export function removeTags(existing: readonly Tag[], keys: readonly string[]): Tag[] {
  const drop = new Set(keys.map((k) => k.toLowerCase()));
  return existing.filter((t) => !drop.has(t.Key.toLowerCase()));
}

export function initialTags(tags: readonly Tag[] | undefined): Tag[] {
  if (!tags) return [];
  checkTagKeysUnique(tags);
  return tags.map((t) => ({ Key: t.Key, Value: t.Value }));
}

export function tagPage(tags: readonly Tag[], input: PageInput) {
  // Tags are listed in the order they were added; the marker is the position.
  const start = input.Marker !== undefined ? Number(decodeMarker(input.Marker)) || 0 : 0;
  const max = input.MaxItems ?? 100;
  const slice = tags.slice(start, start + max);
  const truncated = start + max < tags.length;
  return {
    Tags: slice.map((t) => ({ Key: t.Key, Value: t.Value })),
    IsTruncated: truncated,
    ...(truncated ? { Marker: Buffer.from(String(start + max), "utf8").toString("base64url") } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Policy documents

export type DocumentUse = "identity" | "trust" | "managed";

/**
 * Validate a document with the policy engine (MalformedPolicyDocument, AWS's messages): inline
 * identity policies, managed policies (which must say Version 2012-10-17) and trust policies.
 */
export function checkDocument(text: string, use: DocumentUse): void {
  if (use === "managed") parsePolicyDocument(text, "identity", { managed: true });
  else parsePolicyDocument(text, use);
}

export const documentSize = (text: string) => policySizeWithoutWhitespace(text);

/** The aggregate size of an entity's inline policies, with `name` set to `text`. */
export function inlineSize(inline: Record<string, { name: string; document: string }>, name: string, text: string): number {
  let total = documentSize(text);
  for (const [k, p] of Object.entries(inline)) if (k !== nameKey(name)) total += documentSize(p.document);
  return total;
}

// ---------------------------------------------------------------------------------------------
// Attachment index

export const attachmentKey = (arn: string, kind: EntityKind, name: string) => `${arn}\u0000${kind}\u0000${nameKey(name)}`;
