/**
 * S3 access points: named entry points to one bucket with their own policy and Block Public
 * Access settings, managed through S3 Control (src/services/s3control) and used by S3 requests.
 *
 * State: table `access-points` in the owning account's global scope, keyed `<region>/<name>`;
 * an alias row `alias/<alias>` points back to it.
 *
 * How requests reach an access point: SDK v3 and botocore turn `Bucket: arn:aws:s3:<region>:
 * <account>:accesspoint/<name>` into the host `<name>-<account>.<endpoint host>` (with path `/key`),
 * which the gateway's virtual-host rule gives S3 as the bucket `<name>-<account>`. An S3 request
 * whose bucket name is not a bucket but `<name>-<account>`, an access point alias
 * (`<name>-<hash>-s3alias`) or an access point ARN acts on the access point's bucket
 * (bucket-lookup.ts), and is authorized as AWS does it: the action on the access point ARN
 * (`.../accesspoint/<name>/object/<key>`) with the access point policy as resource policy, and the
 * same action on the bucket ARN with the bucket policy (`accessPointFacts`), with the condition
 * keys s3:DataAccessPointArn, s3:DataAccessPointAccount and s3:AccessPointNetworkOrigin set, so a
 * bucket policy can delegate to access points.
 */
import { createHash } from "node:crypto";
import type { AuthorizationFacts, RequestContext } from "../../core/service.js";
import { GLOBAL_REGION } from "../../core/regions.js";
import type { MetadataStore, Scope } from "../../storage/types.js";
import type { PublicAccessBlock } from "./bucket-config-store.js";
import { BucketStore, type BucketRecord } from "./store.js";

export interface AccessPointRecord {
  name: string;
  account: string;
  region: string;
  bucket: string;
  bucketAccount: string;
  alias: string;
  created: string;
  publicAccessBlock: PublicAccessBlock;
  vpcId?: string;
  policy?: string;
}

const TABLE = "access-points";
const scopeOf = (account: string): Scope => ({ account, region: GLOBAL_REGION, service: "s3" });

export const accessPointArn = (ap: { region: string; account: string; name: string }) => `arn:aws:s3:${ap.region}:${ap.account}:accesspoint/${ap.name}`;

export function aliasOf(account: string, region: string, name: string): string {
  const hash = createHash("sha256").update(`${account}/${region}/${name}`).digest("hex").slice(0, 30);
  // AWS: <name prefix>-<random>-s3alias, at most 63 characters.
  return `${name.slice(0, 20)}-${hash}-s3alias`;
}

export class AccessPointStore {
  constructor(private readonly metadata: MetadataStore) {}

  private table(account: string) {
    return this.metadata.table<AccessPointRecord | string>(scopeOf(account), TABLE);
  }

  async get(account: string, region: string, name: string): Promise<AccessPointRecord | undefined> {
    const v = await this.table(account).get(`${region}/${name}`);
    return typeof v === "object" ? v : undefined;
  }

  async byAlias(account: string, alias: string): Promise<AccessPointRecord | undefined> {
    const key = await this.table(account).get(`alias/${alias}`);
    if (typeof key !== "string") return undefined;
    const v = await this.table(account).get(key);
    return typeof v === "object" ? v : undefined;
  }

  /** Creates it unless one of that name exists (returned instead). */
  async create(ap: AccessPointRecord): Promise<AccessPointRecord | undefined> {
    return this.metadata.transaction(async (tx) => {
      const t = tx.table<AccessPointRecord | string>(scopeOf(ap.account), TABLE);
      const existing = await t.get(`${ap.region}/${ap.name}`);
      if (typeof existing === "object") return existing;
      await t.put(`${ap.region}/${ap.name}`, ap);
      await t.put(`alias/${ap.alias}`, `${ap.region}/${ap.name}`);
      return undefined;
    });
  }

  async put(ap: AccessPointRecord): Promise<void> {
    await this.table(ap.account).put(`${ap.region}/${ap.name}`, ap);
  }

  async delete(ap: AccessPointRecord): Promise<void> {
    await this.metadata.transaction(async (tx) => {
      const t = tx.table<AccessPointRecord | string>(scopeOf(ap.account), TABLE);
      await t.delete(`${ap.region}/${ap.name}`);
      await t.delete(`alias/${ap.alias}`);
    });
  }

  async list(account: string, region: string): Promise<AccessPointRecord[]> {
    const rows = await this.table(account).list({ prefix: `${region}/` });
    return rows.map((r) => r.value).filter((v): v is AccessPointRecord => typeof v === "object");
  }
}

const ARN = /^arn:aws:s3:([a-z0-9-]+):(\d{12}):accesspoint[/:]([a-z0-9-]+)$/;
const ACCOUNT_SUFFIX = /^([a-z0-9][a-z0-9-]*?)-(\d{12})$/;

/**
 * The access point a bucket name in an S3 request stands for: an access point ARN,
 * `<name>-<account>` (the SDKs' virtual host) or an alias. Only asked when no bucket has the name.
 */
export async function accessPointFor(ctx: RequestContext, bucketName: string): Promise<AccessPointRecord | undefined> {
  const store = new AccessPointStore(ctx.storage.metadata);
  const arn = ARN.exec(bucketName);
  if (arn) return store.get(arn[2]!, arn[1]!, arn[3]!);
  const suffixed = ACCOUNT_SUFFIX.exec(bucketName);
  if (suffixed) return store.get(suffixed[2]!, ctx.region, suffixed[1]!);
  if (bucketName.endsWith("-s3alias")) {
    // Aliases are per account; the caller's account is where to look first.
    return store.byAlias(ctx.principal.account ?? ctx.account, bucketName);
  }
  return undefined;
}

/** The bucket behind an access point name (undefined: not an access point, or its bucket is gone). */
export async function bucketBehindAccessPoint(ctx: RequestContext, bucketName: string): Promise<BucketRecord | undefined> {
  if (!ARN.test(bucketName) && !ACCOUNT_SUFFIX.test(bucketName) && !bucketName.endsWith("-s3alias")) return undefined;
  const ap = await accessPointFor(ctx, bucketName);
  if (!ap) return undefined;
  const bucket = await new BucketStore(ctx.storage.metadata).get(ap.bucket);
  return bucket && bucket.account === ap.bucketAccount ? bucket : undefined;
}

/** The access point policy, when `arn` is an access point (or object through one) ARN. */
export async function accessPointPolicy(ctx: RequestContext, arn: string): Promise<{ policy: string | undefined } | undefined> {
  const m = /^arn:aws:s3:([a-z0-9-]+):(\d{12}):accesspoint\/([a-z0-9-]+)(?:\/.*)?$/s.exec(arn);
  if (!m) return undefined;
  const ap = await new AccessPointStore(ctx.storage.metadata).get(m[2]!, m[1]!, m[3]!);
  return { policy: ap?.policy };
}

type Facts = (ctx: RequestContext, input: Record<string, unknown>) => AuthorizationFacts | Promise<AuthorizationFacts>;

/**
 * Wraps an S3 operation's facts: through an access point, the action applies to the access point
 * ARN (its policy decides) and to the bucket ARN (the bucket policy decides).
 */
export function accessPointFacts(facts: Facts): Facts {
  return async (ctx, input) => {
    const f = await facts(ctx, input);
    const name = typeof input.Bucket === "string" ? input.Bucket : undefined;
    if (!name || (!ARN.test(name) && !ACCOUNT_SUFFIX.test(name) && !name.endsWith("-s3alias"))) return f;
    if (await new BucketStore(ctx.storage.metadata).get(name)) return f;
    const ap = await accessPointFor(ctx, name);
    if (!ap) return f;
    const apArn = accessPointArn(ap);
    const from = `arn:aws:s3:::${name}`;
    const onAp = (f.resources ?? []).map((r) => (r === from ? apArn : r.startsWith(`${from}/`) ? `${apArn}/object/${r.slice(from.length + 1)}` : r));
    const onBucket = (f.resources ?? []).map((r) => (r === from || r.startsWith(`${from}/`) ? `arn:aws:s3:::${ap.bucket}${r.slice(from.length)}` : r));
    return {
      ...f,
      resources: onAp,
      resourceAccount: ap.bucketAccount,
      context: {
        ...(f.context ?? {}),
        "s3:DataAccessPointArn": apArn,
        "s3:DataAccessPointAccount": ap.account,
        "s3:AccessPointNetworkOrigin": ap.vpcId ? "VPC" : "Internet",
      },
      alsoRequires: [...(f.action ? [{ action: f.action, resources: onBucket }] : []), ...(f.alsoRequires ?? [])],
    };
  };
}
