/**
 * The credential report: one CSV row per user (the root user first), with AWS's columns and
 * AWS's placeholders ("N/A" where a column does not apply, "no_information" where IAM has no
 * record, "not_supported" for what the root user cannot have).
 */
import type { IamDb, PasswordPolicyRecord, UserRecord, KeyLastUsedRecord, AccessKeyRecord } from "./store.js";
import { arnOf } from "./store.js";

export const REPORT_COLUMNS = [
  "user",
  "arn",
  "user_creation_time",
  "password_enabled",
  "password_last_used",
  "password_last_changed",
  "password_next_rotation",
  "mfa_active",
  "access_key_1_active",
  "access_key_1_last_rotated",
  "access_key_1_last_used_date",
  "access_key_1_last_used_region",
  "access_key_1_last_used_service",
  "access_key_2_active",
  "access_key_2_last_rotated",
  "access_key_2_last_used_date",
  "access_key_2_last_used_region",
  "access_key_2_last_used_service",
  "cert_1_active",
  "cert_1_last_rotated",
  "cert_2_active",
  "cert_2_last_rotated",
] as const;

/** Report timestamps look like 2024-05-01T12:00:00+00:00. */
function ts(isoText: string): string {
  return isoText.replace(/\.\d{3}Z$/, "+00:00").replace(/Z$/, "+00:00");
}

function keyColumns(key: AccessKeyRecord | undefined, used: KeyLastUsedRecord | undefined): string[] {
  if (!key) return ["false", "N/A", "N/A", "N/A", "N/A"];
  return [
    String(key.status === "Active"),
    ts(key.createDate),
    used ? ts(used.date) : "N/A",
    used ? used.region : "N/A",
    used ? used.service : "N/A",
  ];
}

function csvField(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export async function buildCredentialReport(
  db: IamDb,
  account: string,
  accountCreated: string,
  policy: PasswordPolicyRecord | undefined,
): Promise<string> {
  const rows: string[][] = [];
  const lastUsed = async (id: string) => db.keyLastUsed.get(id);
  const root = await db.root();
  const rk = root.accessKeys;
  rows.push([
    "<root_account>",
    `arn:aws:iam::${account}:root`,
    ts(accountCreated),
    "not_supported",
    "no_information",
    "not_supported",
    "not_supported",
    root.mfaDevice ? "true" : "false",
    ...keyColumns(rk[0], rk[0] && (await lastUsed(rk[0].id))),
    ...keyColumns(rk[1], rk[1] && (await lastUsed(rk[1].id))),
    "false",
    "N/A",
    "false",
    "N/A",
  ]);
  const users: UserRecord[] = await db.all(db.users);
  users.sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
  for (const u of users) {
    const lp = u.loginProfile;
    let nextRotation = "N/A";
    if (lp && policy?.MaxPasswordAge) {
      nextRotation = ts(new Date(Date.parse(lp.passwordLastChanged) + policy.MaxPasswordAge * 86_400_000).toISOString());
    }
    const [k1, k2] = u.accessKeys;
    rows.push([
      u.name,
      arnOf.user(account, u.path, u.name),
      ts(u.createDate),
      String(lp !== undefined),
      lp ? (u.passwordLastUsed ? ts(u.passwordLastUsed) : "no_information") : "N/A",
      lp ? ts(lp.passwordLastChanged) : "N/A",
      nextRotation,
      String(u.mfaDevices.length > 0),
      ...keyColumns(k1, k1 && (await lastUsed(k1.id))),
      ...keyColumns(k2, k2 && (await lastUsed(k2.id))),
      "false",
      "N/A",
      "false",
      "N/A",
    ]);
  }
  return [REPORT_COLUMNS.join(","), ...rows.map((r) => r.map(csvField).join(","))].join("\n");
}
