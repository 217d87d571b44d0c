/**
 * The account password policy and console passwords. Passwords are never stored: only a salted
 * scrypt hash (node:crypto), with earlier hashes kept for PasswordReusePrevention.
 *
 * Without a custom policy, AWS applies its default policy: 8 to 128 characters with at least three
 * of upper-case letters, lower-case letters, digits and symbols. A custom policy replaces it.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { ServiceError } from "../../core/errors.js";
import { IamErrors } from "./errors.js";
import type { PasswordPolicyRecord } from "./store.js";

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** The symbols IAM counts for RequireSymbols. */
const SYMBOLS = "!@#$%^&*()_+-=[]{}|'";

export interface PasswordPolicyInput {
  MinimumPasswordLength?: number;
  RequireSymbols?: boolean;
  RequireNumbers?: boolean;
  RequireUppercaseCharacters?: boolean;
  RequireLowercaseCharacters?: boolean;
  AllowUsersToChangePassword?: boolean;
  MaxPasswordAge?: number;
  PasswordReusePrevention?: number;
  HardExpiry?: boolean;
}

/** UpdateAccountPasswordPolicy replaces the whole policy: what is not given takes its default. */
export function policyFromInput(input: PasswordPolicyInput): PasswordPolicyRecord {
  return {
    MinimumPasswordLength: input.MinimumPasswordLength ?? 6,
    RequireSymbols: input.RequireSymbols ?? false,
    RequireNumbers: input.RequireNumbers ?? false,
    RequireUppercaseCharacters: input.RequireUppercaseCharacters ?? false,
    RequireLowercaseCharacters: input.RequireLowercaseCharacters ?? false,
    AllowUsersToChangePassword: input.AllowUsersToChangePassword ?? false,
    ...(input.MaxPasswordAge !== undefined ? { MaxPasswordAge: input.MaxPasswordAge } : {}),
    ...(input.PasswordReusePrevention !== undefined ? { PasswordReusePrevention: input.PasswordReusePrevention } : {}),
    HardExpiry: input.HardExpiry ?? false,
  };
}

export function policyOutput(p: PasswordPolicyRecord) {
  return {
    MinimumPasswordLength: p.MinimumPasswordLength,
    RequireSymbols: p.RequireSymbols,
    RequireNumbers: p.RequireNumbers,
    RequireUppercaseCharacters: p.RequireUppercaseCharacters,
    RequireLowercaseCharacters: p.RequireLowercaseCharacters,
    AllowUsersToChangePassword: p.AllowUsersToChangePassword,
    ExpirePasswords: (p.MaxPasswordAge ?? 0) > 0,
    ...(p.MaxPasswordAge !== undefined ? { MaxPasswordAge: p.MaxPasswordAge } : {}),
    ...(p.PasswordReusePrevention !== undefined ? { PasswordReusePrevention: p.PasswordReusePrevention } : {}),
    HardExpiry: p.HardExpiry,
  };
}

function classes(password: string) {
  let upper = false;
  let lower = false;
  let digit = false;
  let symbol = false;
  for (const ch of password) {
    if (ch >= "A" && ch <= "Z") upper = true;
    else if (ch >= "a" && ch <= "z") lower = true;
    else if (ch >= "0" && ch <= "9") digit = true;
    else if (SYMBOLS.includes(ch)) symbol = true;
  }
  return { upper, lower, digit, symbol };
}

/** Throw PasswordPolicyViolation unless the password satisfies the policy (or AWS's default). */
export function checkPassword(password: string, policy: PasswordPolicyRecord | undefined): void {
  const c = classes(password);
  let ok: boolean;
  if (!policy) {
    const kinds = [c.upper, c.lower, c.digit, c.symbol].filter(Boolean).length;
    ok = password.length >= 8 && password.length <= 128 && kinds >= 3;
  } else {
    ok =
      password.length >= policy.MinimumPasswordLength &&
      (!policy.RequireSymbols || c.symbol) &&
      (!policy.RequireNumbers || c.digit) &&
      (!policy.RequireUppercaseCharacters || c.upper) &&
      (!policy.RequireLowercaseCharacters || c.lower);
  }
  if (!ok) throw new ServiceError(IamErrors.PasswordPolicyViolation);
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32);
  return `scrypt$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [kind, saltB64, hashB64] = stored.split("$");
  if (kind !== "scrypt" || !saltB64 || !hashB64) return false;
  const expected = Buffer.from(hashB64, "base64");
  const actual = await scrypt(password, Buffer.from(saltB64, "base64"), expected.length);
  return timingSafeEqual(actual, expected);
}

/** Whether the password is one of the last `n` (PasswordReusePrevention). */
export async function reusesPassword(password: string, hashes: readonly string[], n: number | undefined): Promise<boolean> {
  if (!n) return false;
  for (const h of hashes.slice(0, n)) if (await passwordMatches(password, h)) return true;
  return false;
}
