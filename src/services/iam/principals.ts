/**
 * What the rest of Nimbus asks of IAM outside IAM's own API: the policies that apply to a
 * principal (for the authorizer), a role by ARN (for STS AssumeRole), and recording when access
 * keys and roles are used (GetAccessKeyLastUsed, RoleLastUsed, the credential report).
 */
import type { Principal } from "../../core/service.js";
import type { MetadataStore } from "../../storage/types.js";
import { GenerationCache } from "../../storage/generation-cache.js";
import { awsManagedPolicy } from "./managed-policies.js";
import { GLOBAL_SCOPE, IamDb, accountScope, arnOf, dbFor, nameKey, type KeyLastUsedRecord, type Tag } from "./store.js";

type StorageLike = MetadataStore | { metadata: MetadataStore };
const metadataOf = (s: StorageLike): MetadataStore => ("metadata" in s ? s.metadata : s);

/** The default version's document of a managed policy (AWS's or the account's), if it exists. */
async function managedDocument(db: IamDb, arn: string): Promise<string | undefined> {
  const aws = awsManagedPolicy(arn);
  if (aws) return aws.document;
  const m = /^arn:aws:iam::(\d{12}):policy(\/.*\/|\/)([^/]+)$/.exec(arn);
  if (!m || m[1] !== db.account) return undefined;
  const p = await db.policies.get(nameKey(m[3]!));
  if (!p || p.path !== m[2]) return undefined;
  return p.versions.find((v) => v.id === p.defaultVersion)?.document;
}

export interface PrincipalPolicies {
  /** JSON texts of every identity-based policy: inline, attached managed, and (users) their groups'. */
  identityPolicies: string[];
  /** JSON text of the permissions boundary, when the user or role has one. */
  permissionBoundary?: string;
}

/**
 * The identity-based policies that apply to a principal. Users: their inline and attached
 * policies plus those of every group they belong to; assumed roles: the role's. Root and
 * anonymous principals have none (root is allowed by the authorizer before policies count).
 * Session policies are the caller's to add (they ride on the principal's SessionInfo).
 */
export function collectPrincipalPolicies(metadata: MetadataStore, principal: Principal): Promise<PrincipalPolicies> {
  if (principal.type !== "user" && principal.type !== "assumed-role") return Promise.resolve({ identityPolicies: [] });
  // Every authorized request asks this: the answer is cached until IAM's state next changes.
  const key = principal.type === "user" ? `u\0${principal.account}\0${principal.userName}\0${principal.userId}` : `r\0${principal.roleArn}\0${principal.roleId}`;
  return policyCache.get(metadata, key, () => readPrincipalPolicies(metadata, principal));
}

const policyCache = new GenerationCache<PrincipalPolicies>("iam");

async function readPrincipalPolicies(metadata: MetadataStore, principal: Principal): Promise<PrincipalPolicies> {
  if (principal.type === "user") {
    const db = dbFor(metadata, principal.account);
    const u = await db.users.get(nameKey(principal.userName));
    if (!u || u.id !== principal.userId) return { identityPolicies: [] };
    const docs = Object.values(u.inline).map((p) => p.document);
    for (const arn of u.attached) {
      const d = await managedDocument(db, arn);
      if (d) docs.push(d);
    }
    for (const gk of u.groups) {
      const g = await db.groups.get(gk);
      if (!g) continue;
      docs.push(...Object.values(g.inline).map((p) => p.document));
      for (const arn of g.attached) {
        const d = await managedDocument(db, arn);
        if (d) docs.push(d);
      }
    }
    const boundary = u.permissionsBoundary ? await managedDocument(db, u.permissionsBoundary) : undefined;
    return { identityPolicies: docs, ...(boundary ? { permissionBoundary: boundary } : {}) };
  }
  if (principal.type === "assumed-role") {
    const role = await getRoleByArn(metadata, principal.roleArn);
    if (!role || role.roleId !== principal.roleId) return { identityPolicies: [] };
    const db = dbFor(metadata, role.account);
    const r = (await db.roles.get(nameKey(role.roleName)))!;
    const docs = Object.values(r.inline).map((p) => p.document);
    for (const arn of r.attached) {
      const d = await managedDocument(db, arn);
      if (d) docs.push(d);
    }
    const boundary = r.permissionsBoundary ? await managedDocument(db, r.permissionsBoundary) : undefined;
    return { identityPolicies: docs, ...(boundary ? { permissionBoundary: boundary } : {}) };
  }
  return { identityPolicies: [] };
}

export interface RoleInfo {
  account: string;
  arn: string;
  roleName: string;
  roleId: string;
  path: string;
  /** The trust policy (AssumeRolePolicyDocument), JSON text. */
  trustPolicy: string;
  maxSessionDuration: number;
  permissionsBoundaryArn?: string;
  tags: Tag[];
}

/** Whether a trust policy lets a service principal assume the role (sts:AssumeRole, Allow). */
export function trustsService(policyText: string, service: string): boolean {
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(policyText) as { Statement?: unknown };
  } catch {
    return false;
  }
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  return list(doc.Statement).some((raw) => {
    const st = raw as { Effect?: string; Action?: unknown; Principal?: unknown };
    if (st.Effect !== "Allow") return false;
    if (!list(st.Action).some((a) => a === "sts:AssumeRole" || a === "sts:*" || a === "*")) return false;
    if (st.Principal === "*") return true;
    return list((st.Principal as { Service?: unknown } | undefined)?.Service).includes(service);
  });
}

/** A role by ARN (path and name must match; names regardless of case, as IAM finds them). */
export async function getRoleByArn(metadata: MetadataStore, arn: string): Promise<RoleInfo | undefined> {
  const m = /^arn:aws:iam::(\d{12}):role(\/.*\/|\/)([^/]+)$/.exec(arn);
  if (!m) return undefined;
  const account = m[1]!;
  const r = await dbFor(metadata, account).roles.get(nameKey(m[3]!));
  if (!r || r.path !== m[2]) return undefined;
  return {
    account,
    arn: arnOf.role(account, r.path, r.name),
    roleName: r.name,
    roleId: r.id,
    path: r.path,
    trustPolicy: r.trustPolicy,
    maxSessionDuration: r.maxSessionDuration,
    ...(r.permissionsBoundary ? { permissionsBoundaryArn: r.permissionsBoundary } : {}),
    tags: r.tags,
  };
}

// Last-use records are written at most once a minute per key unless the service or region
// changes: the gateway may call this on every request.
const recent = new WeakMap<MetadataStore, Map<string, { ms: number; service: string; region: string }>>();

/** Record that a long-term access key signed a request (GetAccessKeyLastUsed, credential report). */
export async function recordAccessKeyUse(
  storage: StorageLike,
  accessKeyId: string,
  service: string,
  region: string,
  when: Date,
): Promise<void> {
  if (accessKeyId.startsWith("ASIA")) return; // temporary credentials have no last-use record
  const metadata = metadataOf(storage);
  let seen = recent.get(metadata);
  if (!seen) recent.set(metadata, (seen = new Map()));
  const ms = when.getTime();
  const last = seen.get(accessKeyId);
  if (last && last.service === service && last.region === region && ms - last.ms < 60_000 && ms >= last.ms) return;
  if (seen.size > 10_000) seen.clear();
  seen.set(accessKeyId, { ms, service, region });
  await new IamDb(metadata, GLOBAL_SCOPE).keyLastUsed.put(accessKeyId, { date: when.toISOString(), service, region } satisfies KeyLastUsedRecord);
}

/** Record that a role was assumed (GetRole's RoleLastUsed). */
export async function recordRoleUse(storage: StorageLike, roleArn: string, region: string, when: Date): Promise<void> {
  const metadata = metadataOf(storage);
  const m = /^arn:aws:iam::(\d{12}):role(\/.*\/|\/)([^/]+)$/.exec(roleArn);
  if (!m) return;
  await metadata.transaction(async (tx) => {
    const roles = new IamDb(tx, accountScope(m[1]!)).roles;
    const key = nameKey(m[3]!);
    const r = await roles.get(key);
    if (r && r.path === m[2]) await roles.put(key, { ...r, lastUsed: { date: when.toISOString(), region } });
  });
}
