/**
 * PutBucketLifecycleConfiguration's validation: the rules checked in the order S3 checks them
 * (count and IDs, then each rule: its scope, its actions, the constraints between them), turned
 * into the stored form the scheduler reads (bucket-config-store.ts, getLifecycleConfiguration).
 *
 * A configuration is "Lifecycle V2" when its first rule has a Filter; V2 rules may not carry the
 * old rule-level Prefix, V1 rules may not carry a Filter or NewerNoncurrentVersions, and V1 rules
 * whose prefixes overlap may not take the same kind of action.
 */
import { randomUUID } from "node:crypto";
import { ServiceError } from "../../core/errors.js";
import { ConfigErrors } from "./bucket-config-errors.js";
import type { LifecycleConfig, LifecycleFilter, LifecycleRule, Tag } from "./bucket-config-store.js";

export const MAX_LIFECYCLE_RULES = 1000;
const MAX_SIZE = 1_099_511_627_776_000;
/** The classes a transition may name, warmest first (the order objects may move in). */
const CLASS_ORDER = ["STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"];
const INFREQUENT_ACCESS = new Set(["STANDARD_IA", "ONEZONE_IA"]);
export const MINIMUM_OBJECT_SIZES = new Set(["all_storage_classes_128K", "varies_by_storage_class"]);

/** A rule as the request gives it (the generated model shape, loosely). */
export interface GivenRule {
  ID?: string;
  Prefix?: string;
  Filter?: GivenFilter;
  Status?: string;
  Expiration?: { Date?: Date | string; Days?: number; ExpiredObjectDeleteMarker?: boolean };
  Transitions?: Array<{ Date?: Date | string; Days?: number; StorageClass?: string }>;
  NoncurrentVersionTransitions?: Array<{ NoncurrentDays?: number; StorageClass?: string; NewerNoncurrentVersions?: number }>;
  NoncurrentVersionExpiration?: { NoncurrentDays?: number; NewerNoncurrentVersions?: number };
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation?: number };
}
interface GivenFilter {
  Prefix?: string;
  Tag?: Tag;
  ObjectSizeGreaterThan?: number;
  ObjectSizeLessThan?: number;
  And?: { Prefix?: string; Tags?: Tag[]; ObjectSizeGreaterThan?: number; ObjectSizeLessThan?: number };
}

const malformed = () => new ServiceError(ConfigErrors.MalformedXML);
const invalidArgument = (m: string) => new ServiceError(ConfigErrors.InvalidArgument, m);
const invalidRequest = (m: string) => new ServiceError(ConfigErrors.InvalidRequest, m);

const isPositiveInt = (n: number | undefined): n is number => n !== undefined && Number.isInteger(n) && n > 0;

/** A Date (or its text) as the ISO time it names, which must be a midnight UTC. */
function midnight(value: Date | string): string {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw malformed();
  if (d.getTime() % 86_400_000 !== 0) throw invalidArgument("'Date' must be at midnight GMT");
  return d.toISOString().replace(".000Z", "Z");
}

function checkSizes(greater: number | undefined, less: number | undefined): void {
  if (greater !== undefined && (!Number.isInteger(greater) || greater < 0 || greater > MAX_SIZE)) {
    throw invalidRequest(`'ObjectSizeGreaterThan' should be between 0 and ${MAX_SIZE}.`);
  }
  if (less !== undefined && (!Number.isInteger(less) || less < 1 || less > MAX_SIZE)) {
    throw invalidRequest(`'ObjectSizeLessThan' should be between 1 and ${MAX_SIZE}.`);
  }
  if (greater !== undefined && less !== undefined && less <= greater) {
    throw invalidRequest("'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'.");
  }
}

function checkTags(tags: Tag[]): void {
  const keys = new Set<string>();
  for (const t of tags) {
    if (!t.Key) throw malformed();
    if (keys.has(t.Key)) throw invalidRequest("Duplicate Tag Keys are not allowed.");
    keys.add(t.Key);
  }
}

/** The filter as stored; exactly one predicate (or none) at its top level. */
function checkFilter(f: GivenFilter): LifecycleFilter {
  const set = [f.Prefix, f.Tag, f.ObjectSizeGreaterThan, f.ObjectSizeLessThan, f.And].filter((v) => v !== undefined).length;
  if (set > 1) throw malformed();
  const out: LifecycleFilter = {};
  if (f.Prefix !== undefined) out.Prefix = f.Prefix;
  if (f.Tag !== undefined) {
    checkTags([f.Tag]);
    out.Tag = { Key: f.Tag.Key, Value: f.Tag.Value ?? "" };
  }
  checkSizes(f.ObjectSizeGreaterThan, f.ObjectSizeLessThan);
  if (f.ObjectSizeGreaterThan !== undefined) out.ObjectSizeGreaterThan = f.ObjectSizeGreaterThan;
  if (f.ObjectSizeLessThan !== undefined) out.ObjectSizeLessThan = f.ObjectSizeLessThan;
  if (f.And !== undefined) {
    const a = f.And;
    checkTags(a.Tags ?? []);
    checkSizes(a.ObjectSizeGreaterThan, a.ObjectSizeLessThan);
    out.And = {
      ...(a.Prefix !== undefined ? { Prefix: a.Prefix } : {}),
      ...(a.Tags?.length ? { Tags: a.Tags.map((t) => ({ Key: t.Key, Value: t.Value ?? "" })) } : {}),
      ...(a.ObjectSizeGreaterThan !== undefined ? { ObjectSizeGreaterThan: a.ObjectSizeGreaterThan } : {}),
      ...(a.ObjectSizeLessThan !== undefined ? { ObjectSizeLessThan: a.ObjectSizeLessThan } : {}),
    };
  }
  return out;
}

const usesTags = (f: LifecycleFilter | undefined) => !!f && (f.Tag !== undefined || !!f.And?.Tags?.length);
const usesSizes = (f: LifecycleFilter | undefined) =>
  !!f &&
  (f.ObjectSizeGreaterThan !== undefined ||
    f.ObjectSizeLessThan !== undefined ||
    f.And?.ObjectSizeGreaterThan !== undefined ||
    f.And?.ObjectSizeLessThan !== undefined);

/** How S3 names a rule's filter in its messages: `(prefix=logs/)`. */
function filterLabel(rule: LifecycleRule): string {
  return `(prefix=${rule.Prefix ?? rule.Filter?.Prefix ?? rule.Filter?.And?.Prefix ?? ""})`;
}

function checkClass(storageClass: string | undefined): string {
  if (storageClass === undefined || !CLASS_ORDER.includes(storageClass)) throw malformed();
  return storageClass;
}

function checkRule(given: GivenRule, v2: boolean, id: string): LifecycleRule {
  if (given.Status !== "Enabled" && given.Status !== "Disabled") throw malformed();
  const rule: LifecycleRule = { ID: id, Status: given.Status };
  if (given.Filter === undefined && given.Prefix === undefined) throw malformed();
  if (v2 && given.Prefix !== undefined) {
    throw invalidRequest("Base level prefix cannot be used in Lifecycle V2, prefixes are only supported in the Filter.");
  }
  if (!v2 && given.Filter !== undefined) throw invalidRequest("Filter element can only be used in Lifecycle V2.");
  if (given.Prefix !== undefined) rule.Prefix = given.Prefix;
  if (given.Filter !== undefined) rule.Filter = checkFilter(given.Filter);

  const hasAction =
    given.Expiration !== undefined ||
    !!given.Transitions?.length ||
    !!given.NoncurrentVersionTransitions?.length ||
    given.NoncurrentVersionExpiration !== undefined ||
    given.AbortIncompleteMultipartUpload !== undefined;
  if (!hasAction) throw invalidRequest("At least one action needs to be specified in a rule");

  const newer = (n: number | undefined) => {
    if (n === undefined) return undefined;
    if (!v2) throw invalidRequest("NewerNoncurrentVersions element can only be used in Lifecycle V2.");
    if (!isPositiveInt(n)) throw invalidArgument("'NewerNoncurrentVersions' must be a positive integer");
    return n;
  };

  let dated = false;
  let counted = false;
  if (given.Expiration !== undefined) {
    const e = given.Expiration;
    const forms = [e.Date, e.Days, e.ExpiredObjectDeleteMarker].filter((v) => v !== undefined).length;
    if (forms !== 1) throw malformed();
    if (e.Days !== undefined) {
      if (!isPositiveInt(e.Days)) throw invalidArgument("'Days' for Expiration action must be a positive integer");
      rule.Expiration = { Days: e.Days };
      counted = true;
    } else if (e.Date !== undefined) {
      rule.Expiration = { Date: midnight(e.Date) };
      dated = true;
    } else {
      rule.Expiration = { ExpiredObjectDeleteMarker: e.ExpiredObjectDeleteMarker === true };
      if (usesTags(rule.Filter)) throw invalidRequest("ExpiredObjectDeleteMarker cannot be specified with Tags.");
      if (usesSizes(rule.Filter)) throw invalidRequest("ExpiredObjectDeleteMarker cannot be specified with Object Size.");
    }
  }

  if (given.Transitions?.length) {
    const classes = new Set<string>();
    rule.Transitions = given.Transitions.map((t) => {
      const storageClass = checkClass(t.StorageClass);
      if ((t.Date === undefined) === (t.Days === undefined)) throw malformed();
      if (classes.has(storageClass)) throw invalidRequest("'StorageClass' must be different for 'Transition' actions in same 'Rule'");
      classes.add(storageClass);
      if (t.Date !== undefined) {
        dated = true;
        return { Date: midnight(t.Date), StorageClass: storageClass };
      }
      const days = t.Days!;
      if (!Number.isInteger(days) || days < 0) throw invalidArgument("'Days' in Transition action must be a non-negative integer");
      if (days < 30 && INFREQUENT_ACCESS.has(storageClass)) {
        throw invalidArgument(`'Days' in Transition action must be greater than or equal to 30 for storageClass '${storageClass}'`);
      }
      counted = true;
      return { Days: days, StorageClass: storageClass };
    });
  }
  if (dated && counted) throw invalidRequest("Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule");

  if (given.NoncurrentVersionTransitions?.length) {
    const classes = new Set<string>();
    rule.NoncurrentVersionTransitions = given.NoncurrentVersionTransitions.map((t) => {
      const storageClass = checkClass(t.StorageClass);
      if (t.NoncurrentDays === undefined) throw malformed();
      if (!Number.isInteger(t.NoncurrentDays) || t.NoncurrentDays < 0) {
        throw invalidArgument("'NoncurrentDays' in NoncurrentVersionTransition action must be a non-negative integer");
      }
      if (t.NoncurrentDays < 30 && INFREQUENT_ACCESS.has(storageClass)) {
        throw invalidArgument(
          `'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 for storageClass '${storageClass}'`,
        );
      }
      if (classes.has(storageClass)) {
        throw invalidRequest("'StorageClass' must be different for 'NoncurrentVersionTransition' actions in same 'Rule'");
      }
      classes.add(storageClass);
      const n = newer(t.NewerNoncurrentVersions);
      return { NoncurrentDays: t.NoncurrentDays, StorageClass: storageClass, ...(n !== undefined ? { NewerNoncurrentVersions: n } : {}) };
    });
  }

  if (given.NoncurrentVersionExpiration !== undefined) {
    const e = given.NoncurrentVersionExpiration;
    if (e.NoncurrentDays === undefined) throw malformed();
    if (!isPositiveInt(e.NoncurrentDays)) {
      throw invalidArgument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer");
    }
    const n = newer(e.NewerNoncurrentVersions);
    rule.NoncurrentVersionExpiration = { NoncurrentDays: e.NoncurrentDays, ...(n !== undefined ? { NewerNoncurrentVersions: n } : {}) };
  }

  if (given.AbortIncompleteMultipartUpload !== undefined) {
    const days = given.AbortIncompleteMultipartUpload.DaysAfterInitiation;
    if (days === undefined) throw malformed();
    if (!isPositiveInt(days)) throw invalidArgument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer");
    if (usesTags(rule.Filter)) throw invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags.");
    if (usesSizes(rule.Filter)) throw invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Object Size.");
    rule.AbortIncompleteMultipartUpload = { DaysAfterInitiation: days };
  }

  checkOrdering(rule);
  return rule;
}

/** Transitions only move objects to colder classes, and expiration comes after them. */
function checkOrdering(rule: LifecycleRule): void {
  const label = filterLabel(rule);
  const at = (t: { Date?: string; Days?: number }) => (t.Days !== undefined ? t.Days : Date.parse(t.Date!) / 86_400_000);
  const transitions = [...(rule.Transitions ?? [])].sort((a, b) => at(a) - at(b));
  for (let i = 1; i < transitions.length; i++) {
    const prev = transitions[i - 1]!;
    const cur = transitions[i]!;
    const unit = cur.Days !== undefined ? "Days" : "Date";
    if (at(cur) === at(prev) || CLASS_ORDER.indexOf(cur.StorageClass) < CLASS_ORDER.indexOf(prev.StorageClass)) {
      const [warm, cold] =
        CLASS_ORDER.indexOf(cur.StorageClass) < CLASS_ORDER.indexOf(prev.StorageClass) ? [cur, prev] : [prev, cur];
      throw invalidArgument(
        `'${unit}' in the Transition action for StorageClass '${cold.StorageClass}' for filter '${label}' must be greater than ` +
          `'${unit}' in the Transition action for StorageClass '${warm.StorageClass}' for filter '${label}'`,
      );
    }
  }
  const last = transitions[transitions.length - 1];
  const exp = rule.Expiration;
  if (last && exp) {
    if (exp.Days !== undefined && last.Days !== undefined && exp.Days <= last.Days) {
      throw invalidArgument(`'Days' in the Expiration action for filter '${label}' must be greater than 'Days' in the Transition action`);
    }
    if (exp.Date !== undefined && last.Date !== undefined && Date.parse(exp.Date) <= Date.parse(last.Date)) {
      throw invalidArgument(`'Date' in the Expiration action for filter '${label}' must be greater than 'Date' in the Transition action`);
    }
  }
  const nct = rule.NoncurrentVersionTransitions ?? [];
  const latest = Math.max(-1, ...nct.map((t) => t.NoncurrentDays));
  if (rule.NoncurrentVersionExpiration && latest >= 0 && rule.NoncurrentVersionExpiration.NoncurrentDays <= latest) {
    throw invalidArgument(
      `'NoncurrentDays' in the NoncurrentVersionExpiration action for filter '${label}' must be greater than 'NoncurrentDays' in the NoncurrentVersionTransition action`,
    );
  }
}

const ACTION_KINDS: Array<[string, (r: LifecycleRule) => boolean]> = [
  ["Expiration", (r) => r.Expiration !== undefined],
  ["Transition", (r) => !!r.Transitions?.length],
  ["NoncurrentVersionTransition", (r) => !!r.NoncurrentVersionTransitions?.length],
  ["NoncurrentVersionExpiration", (r) => r.NoncurrentVersionExpiration !== undefined],
  ["AbortIncompleteMultipartUpload", (r) => r.AbortIncompleteMultipartUpload !== undefined],
];

/** V1 configurations: no two rules with overlapping prefixes may take the same kind of action. */
function checkOverlaps(rules: LifecycleRule[]): void {
  for (const [kind, takes] of ACTION_KINDS) {
    const prefixes = rules.filter(takes).map((r) => r.Prefix ?? "").sort();
    for (let i = 1; i < prefixes.length; i++) {
      if (prefixes[i]!.startsWith(prefixes[i - 1]!)) {
        throw invalidRequest(`Found overlapping prefixes '${prefixes[i - 1]}' and '${prefixes[i]}' for same action type '${kind}'`);
      }
    }
  }
}

/** A rule ID S3-style: an opaque base64 string, for rules sent without one. */
function generatedId(): string {
  return Buffer.from(randomUUID()).toString("base64").replace(/=+$/, "");
}

/** Validates a lifecycle configuration; returns it as stored. */
export function validateLifecycle(rules: GivenRule[], minimumObjectSize: string | undefined): LifecycleConfig {
  if (minimumObjectSize !== undefined && !MINIMUM_OBJECT_SIZES.has(minimumObjectSize)) {
    throw invalidRequest("Invalid TransitionDefaultMinimumObjectSize found");
  }
  if (rules.length === 0) throw malformed();
  if (rules.length > MAX_LIFECYCLE_RULES) {
    throw invalidRequest(`The number of lifecycle rules must not exceed the allowed limit of ${MAX_LIFECYCLE_RULES} rules.`);
  }
  const ids = new Set<string>();
  for (const r of rules) {
    if (r.ID === undefined || r.ID === "") continue;
    if ([...r.ID].length > 255) throw invalidArgument("ID length should not exceed allowed limit of 255");
    if (ids.has(r.ID)) throw invalidArgument("Rule ID must be unique. Found same ID for more than one rule");
    ids.add(r.ID);
  }
  const v2 = rules[0]!.Filter !== undefined;
  const checked = rules.map((r) => checkRule(r, v2, r.ID ? r.ID : generatedId()));
  if (!v2) checkOverlaps(checked);
  return { Rules: checked, TransitionDefaultMinimumObjectSize: minimumObjectSize ?? "all_storage_classes_128K" };
}
