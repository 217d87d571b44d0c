/**
 * AWS/S3 CloudWatch metrics, through the per-minute aggregator (cloudwatch/builtin-metrics.ts):
 *
 * - Daily storage metrics for every bucket, once per day of the clock (at its first minute):
 *   BucketSizeBytes per StorageType (StandardStorage, StandardIAStorage, GlacierStorage, ...) and
 *   NumberOfObjects (StorageType AllStorageTypes), counting current and noncurrent versions and
 *   delete markers, with dimensions BucketName and StorageType.
 * - Request metrics, only for buckets with a metrics configuration (Put/Get/List/
 *   DeleteBucketMetricsConfiguration, handled here), per configuration (dimensions BucketName and
 *   FilterId): AllRequests, Get/Put/Delete/Head/Post/ListRequests, BytesDownloaded, BytesUploaded,
 *   4xxErrors and 5xxErrors (0 or 1 per request, so Average is the error rate), FirstByteLatency
 *   and TotalRequestLatency. A configuration's filter (a prefix, object tags, an access point, or
 *   `And` of them) picks the requests it counts; one with a prefix or tags counts object requests
 *   only. The counting runs after the response is ready and is not awaited by it.
 */
import type { RequestContext, ServiceRuntime } from "../../core/service.js";
import { isServiceError, ServiceError } from "../../core/errors.js";
import type { GetBucketMetricsConfigurationOutputMetricsConfiguration, S3Operations } from "../../generated/s3.js";
import { MetricAggregator } from "../cloudwatch/builtin-metrics.js";
import { ConfigErrors } from "./bucket-config-errors.js";
import { BucketConfigStore, type MetricsConfig, type Tag } from "./bucket-config-store.js";
import { S3Errors } from "./errors.js";
import { lookupBucket } from "./bucket-lookup.js";
import { accessPointArn, accessPointFor } from "./access-points.js";
import { BucketStore, type BucketRecord } from "./store.js";
import { bucketScope, objectsTable, versionsTable, type ObjectVersion } from "./objects-store.js";

export const NAMESPACE = "AWS/S3";
const MAX_CONFIGURATIONS = 1000;
const PAGE = 100;

// ---------------------------------------------------------------------------------------------
// Metrics configurations

const configs = (ctx: RequestContext) => new BucketConfigStore(ctx.storage.metadata);

async function bucketOf(ctx: RequestContext, input: { Bucket: string; ExpectedBucketOwner?: string }): Promise<BucketRecord> {
  const bucket = await new BucketStore(ctx.storage.metadata).get(input.Bucket);
  if (!bucket) throw new ServiceError(S3Errors.NoSuchBucket, undefined, { BucketName: input.Bucket });
  if (input.ExpectedBucketOwner !== undefined && input.ExpectedBucketOwner !== bucket.account) throw new ServiceError(ConfigErrors.AccessDenied);
  return bucket;
}

function checkId(id: string): void {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new ServiceError(ConfigErrors.InvalidArgument, "The specified configuration ID is not valid.", { ArgumentName: "id", ArgumentValue: id });
}

function checkTag(t: { Key?: string; Value?: string } | undefined): Tag {
  if (!t || typeof t.Key !== "string" || t.Key.length === 0 || t.Key.length > 128 || (t.Value ?? "").length > 256) throw new ServiceError(ConfigErrors.InvalidArgument, "The tag provided was not a valid tag.");
  return { Key: t.Key, Value: t.Value ?? "" };
}

const ACCESS_POINT = /^arn:aws[\w-]*:s3:[a-z0-9-]+:\d{12}:accesspoint\/[a-z0-9-]{3,50}$/;
function checkAccessPoint(arn: string): string {
  if (!ACCESS_POINT.test(arn)) throw new ServiceError(ConfigErrors.InvalidArgument, "Invalid AccessPointArn.", { ArgumentName: "AccessPointArn", ArgumentValue: arn });
  return arn;
}

/** A filter is one of Prefix, Tag, AccessPointArn or And (S3's XML choice); anything else is malformed. */
function validateConfig(id: string, given: GetBucketMetricsConfigurationOutputMetricsConfiguration): MetricsConfig {
  if (given.Id !== id) throw new ServiceError(ConfigErrors.InvalidArgument, "Document ID does not match the specified configuration ID.", { ArgumentName: "id", ArgumentValue: id });
  const f = given.Filter;
  if (!f) return { Id: id };
  const set = [f.Prefix !== undefined, f.Tag !== undefined, f.AccessPointArn !== undefined, f.And !== undefined].filter(Boolean).length;
  if (set !== 1) throw new ServiceError(ConfigErrors.MalformedXML);
  if (f.Prefix !== undefined) return { Id: id, Filter: { Prefix: f.Prefix } };
  if (f.Tag !== undefined) return { Id: id, Filter: { Tag: checkTag(f.Tag) } };
  if (f.AccessPointArn !== undefined) return { Id: id, Filter: { AccessPointArn: checkAccessPoint(f.AccessPointArn) } };
  const and = f.And!;
  const tags = (and.Tags ?? []).map(checkTag);
  if (new Set(tags.map((t) => t.Key)).size !== tags.length) throw new ServiceError(ConfigErrors.InvalidArgument, "Duplicate Tag Keys are not allowed.");
  return {
    Id: id,
    Filter: {
      And: {
        ...(and.Prefix !== undefined ? { Prefix: and.Prefix } : {}),
        ...(tags.length ? { Tags: tags } : {}),
        ...(and.AccessPointArn !== undefined ? { AccessPointArn: checkAccessPoint(and.AccessPointArn) } : {}),
      },
    },
  };
}

const noSuchConfiguration = () => new ServiceError(ConfigErrors.NoSuchConfiguration);

export const metricsConfigHandlers: Partial<S3Operations> = {
  async PutBucketMetricsConfiguration(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    checkId(input.Id);
    const config = validateConfig(input.Id, input.MetricsConfiguration);
    const all = { ...((await configs(ctx).get(bucket, "metrics")) ?? {}) };
    if (!all[input.Id] && Object.keys(all).length >= MAX_CONFIGURATIONS) throw new ServiceError(ConfigErrors.TooManyConfigurations);
    all[input.Id] = config;
    await configs(ctx).put(bucket, "metrics", all);
  },
  async GetBucketMetricsConfiguration(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const config = (await configs(ctx).get(bucket, "metrics"))?.[input.Id];
    if (!config) throw noSuchConfiguration();
    return { MetricsConfiguration: config };
  },
  async DeleteBucketMetricsConfiguration(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const all = { ...((await configs(ctx).get(bucket, "metrics")) ?? {}) };
    if (!all[input.Id]) throw noSuchConfiguration();
    delete all[input.Id];
    if (Object.keys(all).length === 0) await configs(ctx).delete(bucket, "metrics");
    else await configs(ctx).put(bucket, "metrics", all);
  },
  async ListBucketMetricsConfigurations(ctx, input) {
    const bucket = await bucketOf(ctx, input);
    const ids = Object.keys((await configs(ctx).get(bucket, "metrics")) ?? {}).sort();
    let after: string | undefined;
    if (input.ContinuationToken !== undefined) {
      after = Buffer.from(input.ContinuationToken, "base64url").toString("utf8");
      if (!after) throw new ServiceError(ConfigErrors.InvalidArgument, "The continuation token provided is incorrect");
    }
    const rest = after === undefined ? ids : ids.filter((id) => id > after!);
    const page = rest.slice(0, PAGE);
    const all = (await configs(ctx).get(bucket, "metrics")) ?? {};
    return {
      IsTruncated: rest.length > PAGE,
      ...(input.ContinuationToken !== undefined ? { ContinuationToken: input.ContinuationToken } : {}),
      ...(rest.length > PAGE ? { NextContinuationToken: Buffer.from(page[page.length - 1]!, "utf8").toString("base64url") } : {}),
      ...(page.length ? { MetricsConfigurationList: page.map((id) => all[id]!) } : {}),
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Request metrics

type Kind = "GetRequests" | "PutRequests" | "DeleteRequests" | "HeadRequests" | "PostRequests" | "ListRequests" | "SelectRequests";
const KINDS: Record<string, Kind> = {
  GetObject: "GetRequests",
  GetObjectAcl: "GetRequests",
  GetObjectTagging: "GetRequests",
  GetObjectAttributes: "GetRequests",
  GetObjectRetention: "GetRequests",
  GetObjectLegalHold: "GetRequests",
  PutObject: "PutRequests",
  CopyObject: "PutRequests",
  UploadPart: "PutRequests",
  UploadPartCopy: "PutRequests",
  PutObjectAcl: "PutRequests",
  PutObjectTagging: "PutRequests",
  PutObjectRetention: "PutRequests",
  PutObjectLegalHold: "PutRequests",
  DeleteObject: "DeleteRequests",
  DeleteObjects: "DeleteRequests",
  DeleteObjectTagging: "DeleteRequests",
  AbortMultipartUpload: "DeleteRequests",
  HeadObject: "HeadRequests",
  HeadBucket: "HeadRequests",
  CreateMultipartUpload: "PostRequests",
  CompleteMultipartUpload: "PostRequests",
  RestoreObject: "PostRequests",
  SelectObjectContent: "SelectRequests",
  ListObjects: "ListRequests",
  ListObjectsV2: "ListRequests",
  ListObjectVersions: "ListRequests",
  ListMultipartUploads: "ListRequests",
  ListParts: "ListRequests",
};

type In = Record<string, unknown>;

function parseTagging(s: string): [string, string][] {
  return [...new URLSearchParams(s)];
}

async function record(ctx: RequestContext, op: string, input: In, output: unknown, error: unknown, ms: number): Promise<void> {
  if (typeof input.Bucket !== "string") return;
  const bucket = await lookupBucket(ctx, input.Bucket);
  if (!bucket) return;
  const all = await configs(ctx).get(bucket, "metrics");
  if (!all) return;
  const key = typeof input.Key === "string" ? input.Key : undefined;
  let apArn: Promise<string | undefined> | undefined;
  const accessPoint = () => (apArn ??= input.Bucket === bucket.name ? Promise.resolve(undefined) : accessPointFor(ctx, input.Bucket as string).then((ap) => (ap ? accessPointArn(ap) : undefined)));
  let tagsP: Promise<[string, string][]> | undefined;
  const tags = () =>
    (tagsP ??=
      op === "PutObject" || op === "CopyObject"
        ? Promise.resolve(typeof input.Tagging === "string" ? parseTagging(input.Tagging) : [])
        : ctx.storage.metadata
            .table<ObjectVersion>(bucketScope(bucket), objectsTable(bucket.name))
            .get(key!)
            .then((v) => v?.tags ?? []));
  const matching: string[] = [];
  for (const config of Object.values(all)) if (await matches(config, key, accessPoint, tags)) matching.push(config.Id);
  if (matching.length === 0) return;

  const status = isServiceError(error) ? error.status : error ? 500 : 200;
  const kind = KINDS[op];
  const downloaded = op === "GetObject" && !error ? bodyLength(output as { ContentLength?: number; Body?: unknown } | undefined) : 0;
  const uploaded = (op === "PutObject" || op === "UploadPart") && !error ? Number(input.ContentLength ?? 0) : 0;
  const m = MetricAggregator.for(ctx.storage.metadata, ctx.clock, NAMESPACE);
  const scope = { account: bucket.account, region: bucket.region };
  for (const id of matching) {
    const dims = [
      { Name: "BucketName", Value: bucket.name },
      { Name: "FilterId", Value: id },
    ];
    m.add(scope, "AllRequests", dims, 1);
    if (kind) m.add(scope, kind, dims, 1);
    m.add(scope, "4xxErrors", dims, status >= 400 && status < 500 ? 1 : 0);
    m.add(scope, "5xxErrors", dims, status >= 500 ? 1 : 0);
    if (downloaded > 0) m.add(scope, "BytesDownloaded", dims, downloaded, "Bytes");
    if (uploaded > 0) m.add(scope, "BytesUploaded", dims, uploaded, "Bytes");
    if (!error) {
      m.add(scope, "FirstByteLatency", dims, ms, "Milliseconds");
      m.add(scope, "TotalRequestLatency", dims, ms, "Milliseconds");
    }
  }
}

/** A small object's body is a Buffer (the gateway sets its length); a stream's length is ContentLength. */
function bodyLength(out: { ContentLength?: number; Body?: unknown } | undefined): number {
  if (!out) return 0;
  if (Buffer.isBuffer(out.Body)) return out.Body.length;
  return Number(out.ContentLength ?? 0);
}

async function matches(config: MetricsConfig, key: string | undefined, accessPoint: () => Promise<string | undefined>, tags: () => Promise<[string, string][]>): Promise<boolean> {
  const f = config.Filter;
  if (!f) return true;
  const prefix = f.Prefix ?? f.And?.Prefix;
  const wanted = f.Tag ? [f.Tag] : (f.And?.Tags ?? []);
  const ap = f.AccessPointArn ?? f.And?.AccessPointArn;
  if ((prefix !== undefined || wanted.length) && key === undefined) return false;
  if (prefix !== undefined && !key!.startsWith(prefix)) return false;
  if (ap !== undefined && (await accessPoint()) !== ap) return false;
  if (wanted.length) {
    const have = await tags();
    for (const t of wanted) if (!have.some(([k, v]) => k === t.Key && v === t.Value)) return false;
  }
  return true;
}

type Handler = (ctx: RequestContext, input: In) => unknown;

/** Wrap the handlers so each request is counted for the bucket's metrics configurations, after it ran. */
export function withRequestMetrics<H extends object>(handlers: H): H {
  const out: Record<string, Handler> = {};
  for (const [op, h] of Object.entries(handlers as Record<string, Handler>)) {
    out[op] = async (ctx, input) => {
      const started = performance.now();
      try {
        const v = await h(ctx, input);
        const ms = performance.now() - started;
        void record(ctx, op, input, v, undefined, ms).catch((e: unknown) => ctx.logger.warn(`s3 request metrics: ${String(e)}`));
        return v;
      } catch (e) {
        const ms = performance.now() - started;
        void record(ctx, op, input, undefined, e, ms).catch((err: unknown) => ctx.logger.warn(`s3 request metrics: ${String(err)}`));
        throw e;
      }
    };
  }
  return out as H;
}

// ---------------------------------------------------------------------------------------------
// Daily storage metrics

const STORAGE_TYPES: Record<string, string> = {
  STANDARD: "StandardStorage",
  REDUCED_REDUNDANCY: "ReducedRedundancyStorage",
  STANDARD_IA: "StandardIAStorage",
  ONEZONE_IA: "OneZoneIAStorage",
  INTELLIGENT_TIERING: "IntelligentTieringFAStorage",
  GLACIER: "GlacierStorage",
  DEEP_ARCHIVE: "DeepArchiveStorage",
  GLACIER_IR: "GlacierInstantRetrievalStorage",
  EXPRESS_ONEZONE: "ExpressOneZone",
};

const dayOf = (ms: number) => Math.floor(ms / 86_400_000);

/** Publish BucketSizeBytes / NumberOfObjects for every bucket at the first minute of each day of the clock. */
export function startStorageMetrics(runtime: ServiceRuntime): () => void {
  const metadata = runtime.storage.metadata;
  const m = MetricAggregator.for(metadata, runtime.clock, NAMESPACE);
  let day = dayOf(runtime.clock.nowMs());
  return m.onMinute(async (now) => {
    if (dayOf(now) === day) return;
    day = dayOf(now);
    const buckets = new BucketStore(metadata);
    let after: string | undefined;
    for (;;) {
      const page = await buckets.listAll({ ...(after ? { after } : {}), limit: 500 });
      for (const { value: bucket } of page) await measureBucket(runtime, m, bucket);
      if (page.length < 500) break;
      after = page[page.length - 1]!.key;
    }
  });
}

async function measureBucket(runtime: ServiceRuntime, m: MetricAggregator, bucket: BucketRecord): Promise<void> {
  const scope = bucketScope(bucket);
  const bytes = new Map<string, number>();
  let objects = 0;
  for (const table of [objectsTable(bucket.name), versionsTable(bucket.name)]) {
    const t = runtime.storage.metadata.table<ObjectVersion>(scope, table);
    let after: string | undefined;
    for (;;) {
      const page = await t.list({ ...(after ? { after } : {}), limit: 1000 });
      for (const { value: v } of page) {
        objects++;
        if (v.deleteMarker) continue;
        const type = STORAGE_TYPES[v.storageClass ?? "STANDARD"] ?? "StandardStorage";
        bytes.set(type, (bytes.get(type) ?? 0) + (v.size ?? 0));
      }
      if (page.length < 1000) break;
      after = page[page.length - 1]!.key;
    }
  }
  const at = { account: bucket.account, region: bucket.region };
  for (const [type, size] of bytes) {
    m.add(at, "BucketSizeBytes", [
      { Name: "BucketName", Value: bucket.name },
      { Name: "StorageType", Value: type },
    ], size, "Bytes");
  }
  m.add(at, "NumberOfObjects", [
    { Name: "BucketName", Value: bucket.name },
    { Name: "StorageType", Value: "AllStorageTypes" },
  ], objects);
}
