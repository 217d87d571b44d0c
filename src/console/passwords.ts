/**
 * Root users' console passwords, one per account: only a salted scrypt hash is kept (the same
 * scheme as IAM users' login profiles). The default account's password is set with
 * `nimbus root-password`, or generated and printed once at the first start.
 */
import { randomBytes } from "node:crypto";
import type { MetadataStore, Scope } from "../storage/types.js";
import { GLOBAL_REGION } from "../core/regions.js";
import { hashPassword, passwordMatches } from "../services/iam/password-policy.js";

const SCOPE: Scope = { account: "global", region: GLOBAL_REGION, service: "console" };

interface RootPasswordRecord {
  hash: string;
  changed: string;
}

const table = (metadata: MetadataStore) => metadata.table<RootPasswordRecord>(SCOPE, "root-passwords");

export async function hasRootPassword(metadata: MetadataStore, account: string): Promise<boolean> {
  return (await table(metadata).get(account)) !== undefined;
}

export async function setRootPassword(metadata: MetadataStore, account: string, password: string, now: Date): Promise<void> {
  await table(metadata).put(account, { hash: await hashPassword(password), changed: now.toISOString() });
}

export async function checkRootPassword(metadata: MetadataStore, account: string, password: string): Promise<boolean> {
  const rec = await table(metadata).get(account);
  return rec !== undefined && (await passwordMatches(password, rec.hash));
}

/** A strong password that is easy to type: 4 groups of 5 characters, with every class. */
export function generatePassword(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  const bytes = randomBytes(20);
  const groups: string[] = [];
  for (let g = 0; g < 4; g++) {
    let s = "";
    for (let i = 0; i < 5; i++) s += alphabet[bytes[g * 5 + i]! % alphabet.length];
    groups.push(s);
  }
  // Guarantee upper, lower, digit and symbol whatever the random draw was.
  return `${groups.join("-")}Aa9`;
}

/** Root password rules (AWS's for the root user): 8-128 characters, 3 of 4 character classes. */
export function rootPasswordProblem(password: string): string | undefined {
  if (password.length < 8 || password.length > 128) return "The password must be 8 to 128 characters long.";
  let kinds = 0;
  if (/[a-z]/.test(password)) kinds++;
  if (/[A-Z]/.test(password)) kinds++;
  if (/[0-9]/.test(password)) kinds++;
  if (/[^A-Za-z0-9]/.test(password)) kinds++;
  if (kinds < 3) return "The password must mix at least three of: upper-case letters, lower-case letters, digits, symbols.";
  return undefined;
}
