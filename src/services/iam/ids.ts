/**
 * Identifiers the way IAM mints them. Unique ids are 21 characters: a 4-letter prefix naming
 * the kind of entity (AIDA user, AGPA group, AROA role, ANPA managed policy, AIPA instance
 * profile) and 17 upper-case letters and digits 2-7 (AWS's ids use that base-32 alphabet).
 * Access key ids are 20 characters (AKIA + 16).
 */
import { createHash, randomBytes } from "node:crypto";
import { newAccessKeyId, newSecretAccessKey } from "../../core/accounts.js";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export type UniqueIdPrefix = "AIDA" | "AGPA" | "AROA" | "ANPA" | "AIPA";

function base32(bytes: Uint8Array, length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) s += BASE32[bytes[i]! & 31];
  return s;
}

export function uniqueId(prefix: UniqueIdPrefix): string {
  return prefix + base32(randomBytes(17), 17);
}

/** A stable id for something that must look the same in every account (AWS managed policies). */
export function stableId(prefix: UniqueIdPrefix, seed: string): string {
  return prefix + base32(createHash("sha256").update(seed).digest(), 17);
}

export function accessKeyId(): string {
  return newAccessKeyId("AKIA");
}

export function secretAccessKey(): string {
  return newSecretAccessKey();
}
