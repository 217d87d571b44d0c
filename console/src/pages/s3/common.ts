/**
 * Shared helpers of the S3 pages: clients per bucket region, bucket-name rules, URLs, and the
 * "this configuration is not set" errors S3 answers with for absent bucket settings.
 */
import { GetBucketLocationCommand, S3Client } from "@aws-sdk/client-s3";
import { client, getRegion } from "../../aws.ts";
import { useQuery } from "../../router.tsx";

/** S3's list of buckets is global; calls about one bucket go to its region. */
export function s3(region: string = getRegion()): S3Client {
  return client(S3Client, region);
}

const regionCache = new Map<string, string>();

/** The region a bucket lives in (GetBucketLocation; "" and null mean us-east-1). */
export async function bucketRegion(bucket: string): Promise<string> {
  const known = regionCache.get(bucket);
  if (known) return known;
  const out = await s3("us-east-1").send(new GetBucketLocationCommand({ Bucket: bucket }));
  const region = out.LocationConstraint ? (out.LocationConstraint === "EU" ? "eu-west-1" : out.LocationConstraint) : "us-east-1";
  regionCache.set(bucket, region);
  return region;
}

export function rememberRegion(bucket: string, region: string): void {
  regionCache.set(bucket, region);
}

/** A client for the bucket's own region. */
export async function bucketClient(bucket: string): Promise<S3Client> {
  return s3(await bucketRegion(bucket));
}

/** Undefined when the name follows S3's rules for general purpose buckets, else why not. */
export function bucketNameProblem(name: string): string | undefined {
  if (name === "") return "Enter a bucket name.";
  if (name.length < 3 || name.length > 63) return "Bucket names must be between 3 and 63 characters long.";
  if (!/^[a-z0-9.-]+$/.test(name)) return "Bucket names can contain only lowercase letters, numbers, dots (.) and hyphens (-).";
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return "Bucket names must begin and end with a letter or number.";
  if (name.includes("..")) return "Bucket names must not contain two adjacent periods.";
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return "Bucket names must not be formatted as an IP address.";
  for (const p of ["xn--", "sthree-", "amzn-s3-demo-"]) if (name.startsWith(p)) return `Bucket names must not start with "${p}".`;
  for (const s of ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]) if (name.endsWith(s)) return `Bucket names must not end with "${s}".`;
  return undefined;
}

/** Whether an error is S3 saying a bucket setting is absent (NoSuchTagSet, NoSuchWebsiteConfiguration, ...). */
export function isNotConfigured(e: unknown, ...codes: string[]): boolean {
  const err = e as { name?: string; Code?: string };
  return codes.includes(err?.name ?? "") || codes.includes(err?.Code ?? "");
}

export function s3Uri(bucket: string, key = ""): string {
  return `s3://${bucket}/${key}`;
}

/** The console route of a bucket (tab and prefix in the query). */
export function bucketPath(bucket: string, opts: { tab?: string; prefix?: string } = {}): string {
  const q = new URLSearchParams();
  if (opts.tab && opts.tab !== "objects") q.set("tab", opts.tab);
  if (opts.prefix) q.set("prefix", opts.prefix);
  const qs = q.toString();
  return `s3/buckets/${encodeURIComponent(bucket)}${qs ? `?${qs}` : ""}`;
}

export function objectPath(bucket: string, key: string): string {
  return `s3/buckets/${encodeURIComponent(bucket)}/object?key=${encodeURIComponent(key)}`;
}

export function uploadPath(bucket: string, prefix: string): string {
  return `s3/buckets/${encodeURIComponent(bucket)}/upload${prefix ? `?prefix=${encodeURIComponent(prefix)}` : ""}`;
}

/** The static website endpoints Nimbus serves for a bucket. */
export function websiteEndpoints(bucket: string): { path: string; host: string } {
  const port = location.port ? `:${location.port}` : "";
  return {
    path: `${location.origin}/_nimbus/s3-website/${bucket}/`,
    host: `${location.protocol}//${bucket}.s3-website.localhost${port}/`,
  };
}

/** The last segment of a key or prefix ("a/b/c.txt" -> "c.txt", "a/b/" -> "b/"). */
export function baseName(key: string): string {
  const trimmed = key.endsWith("/") ? key.slice(0, -1) : key;
  const i = trimmed.lastIndexOf("/");
  return key.slice(i + 1);
}

export const STORAGE_CLASSES = ["STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY"];

/** The current query string (?prefix=, ?tab=, ?key=); re-renders on navigation. */
export function useSearch(): URLSearchParams {
  return useQuery();
}
