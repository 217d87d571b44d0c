/**
 * Validation of the smaller bucket configuration documents (tags, default encryption, event
 * notifications, replication, website, Object Lock), with S3's error codes. Each returns the
 * form that is stored. Lifecycle rules have their own file (lifecycle.ts), CORS too (cors.ts).
 */
import { randomBytes } from "node:crypto";
import { ServiceError } from "../../core/errors.js";
import { ConfigErrors } from "./bucket-config-errors.js";
import type {
  EncryptionRule,
  NotificationConfig,
  NotificationFilterRule,
  NotificationTarget,
  ObjectLockConfig,
  ReplicationConfig,
  Tag,
  WebsiteConfig,
} from "./bucket-config-store.js";

/** A parsed request document, read member by member as it is checked. */
type Document = Record<string, unknown>;

const malformed = () => new ServiceError(ConfigErrors.MalformedXML);
const invalidArgument = (m: string, fields?: Record<string, unknown>) => new ServiceError(ConfigErrors.InvalidArgument, m, fields);
const invalidRequest = (m: string) => new ServiceError(ConfigErrors.InvalidRequest, m);
const chars = (s: string) => [...s].length;

// ---------------------------------------------------------------------------------------------
// Tags

const MAX_BUCKET_TAGS = 50;
/** Letters, digits, spaces and + - = . _ : / @, in any script. */
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export function validateBucketTags(tags: Array<{ Key?: string; Value?: string }>): Tag[] {
  if (tags.length > MAX_BUCKET_TAGS) {
    throw new ServiceError(ConfigErrors.BadRequest, `Bucket tag count cannot be greater than ${MAX_BUCKET_TAGS}`);
  }
  const seen = new Set<string>();
  return tags.map((t) => {
    const key = t.Key ?? "";
    const value = t.Value ?? "";
    if (chars(key) > 128) throw new ServiceError(ConfigErrors.InvalidTag, "The TagKey you have provided is too long, max 128");
    if (chars(value) > 256) throw new ServiceError(ConfigErrors.InvalidTag, "The TagValue you have provided is too long, max 256");
    if (key === "" || !TAG_CHARACTERS.test(key)) throw new ServiceError(ConfigErrors.InvalidTag, "The TagKey you have provided is invalid");
    if (!TAG_CHARACTERS.test(value)) throw new ServiceError(ConfigErrors.InvalidTag, "The TagValue you have provided is invalid");
    if (key.toLowerCase().startsWith("aws:")) {
      throw new ServiceError(ConfigErrors.InvalidTag, "System tags cannot be added/updated by requester");
    }
    if (seen.has(key)) throw new ServiceError(ConfigErrors.InvalidTag, "Cannot provide multiple Tags with the same key");
    seen.add(key);
    return { Key: key, Value: value };
  });
}

// ---------------------------------------------------------------------------------------------
// Default encryption

const SSE_ALGORITHMS = new Set(["AES256", "aws:kms", "aws:kms:dsse"]);

export function validateEncryption(rules: EncryptionRule[]): EncryptionRule[] {
  // S3 keeps one rule: the default applied to new objects.
  if (rules.length !== 1) throw malformed();
  const rule = rules[0]!;
  const apply = rule.ApplyServerSideEncryptionByDefault;
  if (!apply || !SSE_ALGORITHMS.has(apply.SSEAlgorithm)) throw malformed();
  if (apply.KMSMasterKeyID !== undefined && apply.SSEAlgorithm === "AES256") {
    throw invalidArgument("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse", {
      ArgumentName: "ApplyServerSideEncryptionByDefault",
    });
  }
  return [
    {
      ApplyServerSideEncryptionByDefault: {
        SSEAlgorithm: apply.SSEAlgorithm,
        ...(apply.KMSMasterKeyID !== undefined ? { KMSMasterKeyID: apply.KMSMasterKeyID } : {}),
      },
      BucketKeyEnabled: rule.BucketKeyEnabled === true,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Event notifications

export const NOTIFICATION_EVENTS = new Set([
  "s3:ReducedRedundancyLostObject",
  "s3:ObjectCreated:*",
  "s3:ObjectCreated:Put",
  "s3:ObjectCreated:Post",
  "s3:ObjectCreated:Copy",
  "s3:ObjectCreated:CompleteMultipartUpload",
  "s3:ObjectRemoved:*",
  "s3:ObjectRemoved:Delete",
  "s3:ObjectRemoved:DeleteMarkerCreated",
  "s3:ObjectRestore:*",
  "s3:ObjectRestore:Post",
  "s3:ObjectRestore:Completed",
  "s3:ObjectRestore:Delete",
  "s3:Replication:*",
  "s3:Replication:OperationFailedReplication",
  "s3:Replication:OperationNotTracked",
  "s3:Replication:OperationMissedThreshold",
  "s3:Replication:OperationReplicatedAfterThreshold",
  "s3:LifecycleExpiration:*",
  "s3:LifecycleExpiration:Delete",
  "s3:LifecycleExpiration:DeleteMarkerCreated",
  "s3:LifecycleTransition",
  "s3:IntelligentTiering",
  "s3:ObjectTagging:*",
  "s3:ObjectTagging:Put",
  "s3:ObjectTagging:Delete",
  "s3:ObjectAcl:Put",
]);

const TARGET_ARNS = {
  TopicConfigurations: { member: "TopicArn", re: /^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/ },
  QueueConfigurations: { member: "QueueArn", re: /^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]{1,80}(\.fifo)?$/ },
  LambdaFunctionConfigurations: {
    member: "LambdaFunctionArn",
    re: /^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:[\w-]{1,64}(:[\w$-]+)?$/,
  },
} as const;

interface GivenTarget {
  Id?: string;
  Events?: string[];
  Filter?: { Key?: { FilterRules?: Array<{ Name?: string; Value?: string }> } };
  [arn: string]: unknown;
}

/** Do two event names (each maybe `prefix:*`) name a common event? */
function eventsOverlap(a: string, b: string): boolean {
  const base = (e: string) => (e.endsWith(":*") ? e.slice(0, -1) : undefined);
  const pa = base(a);
  const pb = base(b);
  if (pa && b.startsWith(pa)) return true;
  if (pb && a.startsWith(pb)) return true;
  return a === b;
}

function filtersOverlap(a: NotificationFilterRule[], b: NotificationFilterRule[]): boolean {
  const get = (rules: NotificationFilterRule[], n: string) => rules.find((r) => r.Name === n)?.Value ?? "";
  const [pa, pb, sa, sb] = [get(a, "Prefix"), get(b, "Prefix"), get(a, "Suffix"), get(b, "Suffix")];
  return (pa.startsWith(pb) || pb.startsWith(pa)) && (sa.endsWith(sb) || sb.endsWith(sa));
}

export function validateNotification(doc: Record<string, unknown>): NotificationConfig {
  const out: NotificationConfig = {};
  const all: Array<{ events: string[]; rules: NotificationFilterRule[] }> = [];
  for (const [listName, { member, re }] of Object.entries(TARGET_ARNS) as Array<[keyof typeof TARGET_ARNS, { member: string; re: RegExp }]>) {
    const list = doc[listName] as GivenTarget[] | undefined;
    if (!list?.length) continue;
    const targets = list.map((t) => {
      const arn = t[member];
      if (typeof arn !== "string" || !re.test(arn)) throw invalidArgument("The ARN is not well formed", { ArgumentName: member, ArgumentValue: String(arn) });
      if (!t.Events?.length) throw malformed();
      for (const e of t.Events) {
        if (!NOTIFICATION_EVENTS.has(e)) throw invalidArgument("The event is not supported for notifications", { ArgumentName: "Event", ArgumentValue: e });
      }
      const rules: NotificationFilterRule[] = [];
      for (const r of t.Filter?.Key?.FilterRules ?? []) {
        const name = (r.Name ?? "").toLowerCase();
        if (name !== "prefix" && name !== "suffix") {
          throw invalidArgument("filter rule name must be either prefix or suffix", { ArgumentName: "FilterRule.Name", ArgumentValue: r.Name ?? "" });
        }
        const stored: NotificationFilterRule["Name"] = name === "prefix" ? "Prefix" : "Suffix";
        if (rules.some((x) => x.Name === stored)) throw invalidArgument(`Cannot specify more than one ${name} rule in a filter.`, { ArgumentName: "FilterRule.Name", ArgumentValue: r.Name ?? "" });
        const value = r.Value ?? "";
        if (chars(value) > 1024) throw invalidArgument("The filter rule value is too long", { ArgumentName: "FilterRule.Value", ArgumentValue: value });
        rules.push({ Name: stored, Value: value });
      }
      for (const other of all) {
        if (filtersOverlap(other.rules, rules) && other.events.some((a) => t.Events!.some((b) => eventsOverlap(a, b)))) {
          throw invalidArgument("Configurations overlap. Configurations on the same bucket cannot share a common event type.", {
            ArgumentName: "Event",
            ArgumentValue: t.Events.join(", "),
          });
        }
      }
      all.push({ events: t.Events, rules });
      const target: NotificationTarget & Record<string, unknown> = {
        Id: t.Id ? t.Id : randomBytes(36).toString("base64").slice(0, 48),
        [member]: arn,
        Events: [...t.Events],
        ...(rules.length ? { Filter: { Key: { FilterRules: rules } } } : {}),
      };
      return target;
    });
    (out as Record<string, unknown>)[listName] = targets;
  }
  if (doc.EventBridgeConfiguration !== undefined) out.EventBridgeConfiguration = {};
  return out;
}

// ---------------------------------------------------------------------------------------------
// Replication

const BUCKET_ARN = /^arn:aws[\w-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/;
const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const REPLICATION_STORAGE_CLASSES = new Set([
  "STANDARD",
  "REDUCED_REDUNDANCY",
  "STANDARD_IA",
  "ONEZONE_IA",
  "INTELLIGENT_TIERING",
  "GLACIER",
  "DEEP_ARCHIVE",
  "OUTPOSTS",
  "GLACIER_IR",
]);
const enabledOrDisabled = (s: unknown) => s === "Enabled" || s === "Disabled";

/** Validates the document's shape; the destination buckets are checked by the caller. */
export function validateReplication(doc: Document): { config: ReplicationConfig; destinations: string[] } {
  const role = doc.Role;
  if (typeof role !== "string" || !ROLE_ARN.test(role)) throw invalidArgument("Invalid ReplicationConfiguration Role ARN", { ArgumentName: "Role" });
  const rules = (doc.Rules as Document[] | undefined) ?? [];
  if (rules.length === 0) throw malformed();
  if (rules.length > 1000) throw invalidRequest("The number of replication rules must not exceed the allowed limit of 1000 rules.");
  const v2 = rules.some((r) => r.Filter !== undefined);
  const ids = new Set<string>();
  const priorities = new Set<number>();
  const destinations: string[] = [];
  const out = rules.map((r) => {
    if (!enabledOrDisabled(r.Status)) throw malformed();
    if (v2 && r.Prefix !== undefined) throw malformed();
    const id = typeof r.ID === "string" && r.ID !== "" ? r.ID : randomBytes(36).toString("base64").slice(0, 48);
    if (chars(id) > 255) throw invalidArgument("ID length should not exceed allowed limit of 255");
    if (ids.has(id)) throw invalidArgument("Rule Id must be unique");
    ids.add(id);
    if (v2) {
      if (r.DeleteMarkerReplication === undefined) {
        throw invalidRequest("DeleteMarkerReplication must be specified for this version of Cross Region Replication configuration schema.");
      }
      const p = r.Priority;
      if (typeof p === "number") {
        if (priorities.has(p)) throw invalidRequest(`Found duplicate priority ${p} in rules`);
        priorities.add(p);
      }
    }
    const dm = r.DeleteMarkerReplication as Document | undefined;
    if (dm && dm.Status !== undefined && !enabledOrDisabled(dm.Status)) throw malformed();
    const dest = r.Destination as Document | undefined;
    const m = typeof dest?.Bucket === "string" ? BUCKET_ARN.exec(dest.Bucket) : null;
    if (!m) throw invalidArgument("Invalid bucket ARN", { ArgumentName: "Destination.Bucket" });
    destinations.push(m[1]!);
    if (dest!.StorageClass !== undefined && !REPLICATION_STORAGE_CLASSES.has(String(dest!.StorageClass))) throw malformed();
    return { ...r, ID: id, ...(v2 && r.Priority === undefined ? { Priority: 0 } : {}) };
  });
  // Every member was checked above; the rest is the model's shape as parsed.
  return { config: { Role: role, Rules: out } as unknown as ReplicationConfig, destinations };
}

// ---------------------------------------------------------------------------------------------
// Website

export function validateWebsite(doc: Document): WebsiteConfig {
  const redirectAll = doc.RedirectAllRequestsTo as Document | undefined;
  const index = doc.IndexDocument as Document | undefined;
  const error = doc.ErrorDocument as Document | undefined;
  const rules = doc.RoutingRules as Document[] | undefined;
  if (redirectAll) {
    if (index || error || rules?.length) {
      throw invalidArgument("RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.", { ArgumentName: "RedirectAllRequestsTo" });
    }
    if (typeof redirectAll.HostName !== "string" || redirectAll.HostName === "") throw malformed();
    if (redirectAll.Protocol !== undefined && redirectAll.Protocol !== "http" && redirectAll.Protocol !== "https") {
      throw invalidArgument("Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.", {
        ArgumentName: "Protocol",
      });
    }
    return { RedirectAllRequestsTo: redirectAll as unknown as WebsiteConfig["RedirectAllRequestsTo"] };
  }
  if (!index) {
    throw invalidArgument("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty", { ArgumentName: "IndexDocument" });
  }
  const suffix = index.Suffix;
  if (typeof suffix !== "string" || suffix === "" || suffix.includes("/")) {
    throw invalidArgument("The IndexDocument Suffix is not well formed", { ArgumentName: "IndexDocument", ArgumentValue: String(suffix ?? "") });
  }
  if (error && (typeof error.Key !== "string" || error.Key === "")) {
    throw invalidArgument("The ErrorDocument Key is not well formed", { ArgumentName: "ErrorDocument" });
  }
  if (rules && rules.length > 50) throw invalidArgument("Maximum number of routing rules is 50", { ArgumentName: "RoutingRules" });
  for (const rule of rules ?? []) {
    const redirect = rule.Redirect as Document | undefined;
    if (!redirect || Object.keys(redirect).length === 0) throw malformed();
    if (redirect.ReplaceKeyWith !== undefined && redirect.ReplaceKeyPrefixWith !== undefined) {
      throw invalidRequest("You can only define ReplaceKeyPrefix or ReplaceKey but not both.");
    }
    const code = redirect.HttpRedirectCode;
    if (code !== undefined && (!/^3\d\d$/.test(String(code)) || String(code) === "300")) {
      throw invalidArgument(`The provided HTTP redirect code (${String(code)}) is not valid. Valid codes are 3XX except 300.`, {
        ArgumentName: "HttpRedirectCode",
        ArgumentValue: String(code),
      });
    }
    if (redirect.Protocol !== undefined && redirect.Protocol !== "http" && redirect.Protocol !== "https") {
      throw invalidArgument("Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.", {
        ArgumentName: "Protocol",
      });
    }
    const condition = rule.Condition as Document | undefined;
    if (condition?.HttpErrorCodeReturnedEquals !== undefined && !/^[45]\d\d$/.test(String(condition.HttpErrorCodeReturnedEquals))) {
      throw invalidArgument("The provided HTTP error code is not valid. Valid codes are 4XX or 5XX.", {
        ArgumentName: "HttpErrorCodeReturnedEquals",
        ArgumentValue: String(condition.HttpErrorCodeReturnedEquals),
      });
    }
  }
  return {
    IndexDocument: { Suffix: suffix },
    ...(error ? { ErrorDocument: { Key: String(error.Key) } } : {}),
    // Checked rule by rule above; kept as the model shapes them.
    ...(rules?.length ? { RoutingRules: rules as unknown as WebsiteConfig["RoutingRules"] } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Object Lock

export function validateObjectLock(doc: Document | undefined): ObjectLockConfig {
  if (!doc || doc.ObjectLockEnabled !== "Enabled") throw malformed();
  const rule = doc.Rule as Document | undefined;
  if (!rule) return { ObjectLockEnabled: "Enabled" };
  const r = rule.DefaultRetention as Document | undefined;
  if (!r || (r.Mode !== "GOVERNANCE" && r.Mode !== "COMPLIANCE")) throw malformed();
  if ((r.Days === undefined) === (r.Years === undefined)) throw malformed();
  const n = (r.Days ?? r.Years) as number;
  if (!Number.isInteger(n) || n <= 0) throw invalidArgument("Default retention period must be a positive integer value", { ArgumentName: r.Days !== undefined ? "Days" : "Years" });
  if ((r.Days !== undefined && n > 36500) || (r.Years !== undefined && n > 100)) {
    throw invalidArgument("Default retention period is too large.", { ArgumentName: r.Days !== undefined ? "Days" : "Years" });
  }
  return {
    ObjectLockEnabled: "Enabled",
    Rule: { DefaultRetention: { Mode: r.Mode, ...(r.Days !== undefined ? { Days: n } : { Years: n }) } },
  };
}
