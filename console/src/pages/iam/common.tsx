/** Shared pieces of the IAM pages: the client, document decoding, CSV, passwords, the IAM nav. */
import { IAMClient } from "@aws-sdk/client-iam";
import { client } from "../../aws.ts";
import { Link } from "../../router.tsx";

/** IAM is global: its client always signs for us-east-1, whatever region the header shows. */
export function iam(): IAMClient {
  return client(IAMClient, "us-east-1");
}

/** Policy documents come back URL-encoded (as AWS sends them); decode and pretty-print. */
export function decodeDocument(doc: string | undefined): string {
  if (!doc) return "";
  let text = doc;
  try {
    text = decodeURIComponent(doc);
  } catch {
    // already plain
  }
  return prettyJson(text);
}

export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function bytesToText(bytes: Uint8Array | string | undefined): string {
  if (bytes === undefined) return "";
  return typeof bytes === "string" ? bytes : new TextDecoder().decode(bytes);
}

/** A random 20-character password mixing upper and lower case, digits and symbols. */
export function generatePassword(length = 20): string {
  const sets = ["ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!@#$%^&*()-_=+[]{}"];
  const all = sets.join("");
  const rnd = new Uint32Array(length + sets.length);
  crypto.getRandomValues(rnd);
  const chars = sets.map((s, i) => s[rnd[i]! % s.length]!);
  for (let i = sets.length; i < length; i++) chars.push(all[rnd[i]! % all.length]!);
  // Shuffle so the guaranteed characters are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = rnd[(i + sets.length) % rnd.length]! % (i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join("");
}

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function toCsv(header: string[], rows: string[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

export const CREDENTIALS_HEADER = ["User name", "Password", "Access key ID", "Secret access key", "Console sign-in link"];

/** Collect every page of an IAM list call. */
export async function listAll<T>(page: (marker: string | undefined) => Promise<{ items: T[] | undefined; marker?: string; truncated?: boolean }>): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  for (let i = 0; i < 200; i++) {
    const r = await page(marker);
    out.push(...(r.items ?? []));
    if (!r.truncated || !r.marker) break;
    marker = r.marker;
  }
  return out;
}

/** Run `fn` over `items` with at most `limit` calls at once. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function isNoSuchEntity(e: unknown): boolean {
  return (e as { name?: string })?.name === "NoSuchEntity" || (e as { name?: string })?.name === "NoSuchEntityException";
}

export function daysSince(d: Date | string | undefined): number | undefined {
  if (!d) return undefined;
  const t = new Date(d).getTime();
  return Number.isNaN(t) ? undefined : Math.floor((Date.now() - t) / 86_400_000);
}

export function ageText(d: Date | string | undefined): string {
  const days = daysSince(d);
  if (days === undefined) return "-";
  return days === 0 ? "Today" : days === 1 ? "Yesterday" : `${days} days ago`;
}

export const seg = (s: string | undefined) => {
  try {
    return decodeURIComponent(s ?? "");
  } catch {
    return s ?? "";
  }
};
export const enc = encodeURIComponent;

const NAV = [
  { to: "iam", label: "Dashboard", id: "" },
  { to: "iam/users", label: "Users", id: "users" },
  { to: "iam/groups", label: "User groups", id: "groups" },
  { to: "iam/roles", label: "Roles", id: "roles" },
  { to: "iam/policies", label: "Policies", id: "policies" },
  { to: "iam/account-settings", label: "Account settings", id: "account-settings" },
  { to: "iam/security-credentials", label: "My security credentials", id: "security-credentials" },
];

/** The shared link blue is 4.3:1 on the page background; links there use the breadcrumbs' darker blue (4.5:1 or more). */
const ON_PAGE_BACKGROUND = { color: "#065299" };

/** The IAM section's own navigation, above each page. */
export function IamNav({ current }: { current: string }) {
  return (
    <nav aria-label="IAM" style={{ marginBottom: "1rem" }}>
      <ul style={{ display: "flex", flexWrap: "wrap", gap: "0.25rem 1rem", listStyle: "none", margin: 0, padding: 0 }}>
        {NAV.map((n) => (
          <li key={n.id}>
            <Link to={n.to} aria-current={n.id === current ? "page" : undefined} style={n.id === current ? { ...ON_PAGE_BACKGROUND, fontWeight: 700, textDecoration: "none" } : ON_PAGE_BACKGROUND}>
              {n.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export const POLICY_TEMPLATE = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:ListAllMyBuckets"], Resource: "*" }] }, null, 2);
