/**
 * AWS accounts. Nimbus starts with one (000000000000, root keys test/test); more can be created
 * through `POST /_nimbus/accounts` or `nimbus accounts create`. Each has a root user with its own
 * access key and an S3 canonical user id. Accounts are isolated from each other: state is scoped
 * by account, and only resource policies grant access across them.
 */
import { randomBytes, randomInt } from "node:crypto";
import type { MetadataStore, Scope } from "../storage/types.js";
import { GLOBAL_REGION } from "./regions.js";
import type { IdentityStore } from "./identity.js";

export interface Account {
  accountId: string;
  email: string;
  name: string;
  /** 64 hex characters: the account's S3 canonical user id. */
  canonicalUserId: string;
  created: string;
}

export interface CreatedAccount {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export class AccountError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const SCOPE: Scope = { account: "global", region: GLOBAL_REGION, service: "nimbus" };
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** An access key id as AWS makes them: a 4-letter kind prefix and 16 base-32 characters. */
export function newAccessKeyId(prefix: "AKIA" | "ASIA"): string {
  let s = prefix;
  for (const b of randomBytes(16)) s += BASE32[b & 31];
  return s;
}

/** 40 characters of base64, like AWS secret access keys. */
export function newSecretAccessKey(): string {
  return randomBytes(30).toString("base64").replace(/\+/g, "A").replace(/\//g, "B");
}

export class AccountStore {
  constructor(
    private readonly metadata: MetadataStore,
    private readonly identity: IdentityStore,
  ) {}

  private table() {
    return this.metadata.table<Account>(SCOPE, "accounts");
  }

  get(accountId: string): Promise<Account | undefined> {
    return this.table().get(accountId);
  }

  async list(): Promise<Account[]> {
    return (await this.table().list()).map((e) => e.value);
  }

  /** The default account, with the configured root keys. */
  async ensureDefault(accountId: string, accessKeyId: string, secretAccessKey: string, now: Date): Promise<void> {
    if (!(await this.table().get(accountId))) {
      await this.table().put(accountId, {
        accountId,
        email: "root@nimbus.local",
        name: "default",
        canonicalUserId: randomBytes(32).toString("hex"),
        created: now.toISOString(),
      });
    }
    await this.identity.ensureRoot(accountId, accessKeyId, secretAccessKey);
  }

  async create(request: { email?: unknown; name?: unknown }, now: Date): Promise<CreatedAccount> {
    const email = typeof request.email === "string" ? request.email.trim() : "";
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 64) {
      throw new AccountError(400, "email must be an e-mail address of at most 64 characters");
    }
    const name = typeof request.name === "string" && request.name.trim() ? request.name.trim() : email.split("@")[0]!;
    if (name.length > 50) throw new AccountError(400, "name must be at most 50 characters");
    const existing = await this.list();
    if (existing.some((a) => a.email.toLowerCase() === email.toLowerCase())) {
      throw new AccountError(409, `An account with the email ${email} already exists`);
    }
    let accountId: string;
    do {
      accountId = String(randomInt(100_000_000_000, 999_999_999_999));
    } while (existing.some((a) => a.accountId === accountId));
    const accessKeyId = newAccessKeyId("AKIA");
    const secretAccessKey = newSecretAccessKey();
    await this.table().put(accountId, {
      accountId,
      email,
      name,
      canonicalUserId: randomBytes(32).toString("hex"),
      created: now.toISOString(),
    });
    await this.identity.ensureRoot(accountId, accessKeyId, secretAccessKey);
    return { accountId, accessKeyId, secretAccessKey };
  }
}
