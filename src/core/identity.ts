/**
 * Credentials: access key id -> secret and the principal it signs as. This is the credential
 * table of the IAM store (IAM users' keys and STS session credentials land here too); the
 * gateway reads it on every signed request, so lookups are cached in memory and every write goes
 * through this class to keep the cache true.
 */
import type { MetadataStore, Scope } from "../storage/types.js";
import type { Principal } from "./service.js";
import { GLOBAL_REGION } from "./regions.js";

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  /** Required with the request when the credential is temporary (STS). */
  sessionToken?: string;
  /** ISO time after which temporary credentials are rejected with ExpiredToken. */
  expiration?: string;
  status: "Active" | "Inactive";
  principal: Exclude<Principal, { type: "anonymous" }>;
}

export const DEFAULT_ACCOUNT = "000000000000";

const SCOPE: Scope = { account: "global", region: GLOBAL_REGION, service: "iam" };

export class IdentityStore {
  private readonly cache = new Map<string, Credential | null>();

  constructor(private readonly metadata: MetadataStore) {}

  private table() {
    return this.metadata.table<Credential>(SCOPE, "access-keys");
  }

  async find(accessKeyId: string): Promise<Credential | undefined> {
    const cached = this.cache.get(accessKeyId);
    if (cached !== undefined) return cached ?? undefined;
    const found = await this.table().get(accessKeyId);
    // Remember misses too, but only a bounded number of them (unknown keys can be anything).
    if (found || this.cache.size < 10_000) this.cache.set(accessKeyId, found ?? null);
    return found;
  }

  async put(credential: Credential): Promise<void> {
    await this.table().put(credential.accessKeyId, credential);
    this.cache.set(credential.accessKeyId, credential);
  }

  async delete(accessKeyId: string): Promise<void> {
    await this.table().delete(accessKeyId);
    this.cache.delete(accessKeyId);
  }

  /** Make sure the account's root access key exists with this secret. */
  async ensureRoot(account: string, accessKeyId: string, secretAccessKey: string): Promise<void> {
    const existing = await this.find(accessKeyId);
    if (
      existing &&
      existing.secretAccessKey === secretAccessKey &&
      existing.principal.type === "root" &&
      existing.principal.account === account
    ) {
      return;
    }
    await this.put({
      accessKeyId,
      secretAccessKey,
      status: "Active",
      principal: { type: "root", account, arn: `arn:aws:iam::${account}:root`, userId: account, accessKeyId },
    });
  }

  /** Forget cached entries (after POST /_nimbus/reset). */
  clearCache(): void {
    this.cache.clear();
  }
}
