/**
 * Queue-level rules: names, URLs, ARNs, attribute validation with AWS's messages.
 */
import { ServiceError } from "../../core/errors.js";
import { parsePolicyDocument } from "../iam/policy/index.js";
import { SqsErrors } from "./errors.js";

export const SETTABLE = [
  "DelaySeconds",
  "MaximumMessageSize",
  "MessageRetentionPeriod",
  "Policy",
  "ReceiveMessageWaitTimeSeconds",
  "VisibilityTimeout",
  "RedrivePolicy",
  "RedriveAllowPolicy",
  "KmsMasterKeyId",
  "KmsDataKeyReusePeriodSeconds",
  "SqsManagedSseEnabled",
  "FifoQueue",
  "ContentBasedDeduplication",
  "DeduplicationScope",
  "FifoThroughputLimit",
] as const;

export const READABLE = [
  ...SETTABLE,
  "All",
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
  "CreatedTimestamp",
  "LastModifiedTimestamp",
  "QueueArn",
] as const;

const FIFO_ONLY = ["ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"];

const RANGES: Record<string, [number, number]> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 262144],
  MessageRetentionPeriod: [60, 1209600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43200],
  KmsDataKeyReusePeriodSeconds: [60, 86400],
};

export const invalidValue = (name: string, reason?: string) =>
  new ServiceError(SqsErrors.InvalidAttributeValue, reason ? `Invalid value for the parameter ${name}. Reason: ${reason}` : `Invalid value for the parameter ${name}.`);
export const unknownAttribute = (name: string) => new ServiceError(SqsErrors.InvalidAttributeName, `Unknown Attribute ${name}.`);

export function checkQueueName(name: string, fifo: boolean): void {
  if (fifo) {
    if (!/^[A-Za-z0-9_-]{1,75}\.fifo$/.test(name)) {
      throw new ServiceError(
        SqsErrors.InvalidParameterValue,
        "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
      );
    }
  } else if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
    throw new ServiceError(SqsErrors.InvalidParameterValue, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
  }
}

export interface ParsedQueueArn {
  region: string;
  account: string;
  name: string;
}

export function parseQueueArn(arn: string): ParsedQueueArn | undefined {
  const m = /^arn:aws[\w-]*:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_.-]{1,80})$/.exec(arn);
  return m ? { region: m[1]!, account: m[2]!, name: m[3]! } : undefined;
}

/**
 * Validate attributes for CreateQueue / SetQueueAttributes; returns them normalized.
 * `fifo`: the queue is (or will be) FIFO; `creating`: FifoQueue may be given.
 */
export function validateAttributes(
  attrs: Record<string, string>,
  fifo: boolean,
  creating: boolean,
  current: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(attrs)) {
    if (!(SETTABLE as readonly string[]).includes(name)) throw unknownAttribute(name);
    const value = String(raw);
    if (name in RANGES) {
      const [lo, hi] = RANGES[name]!;
      if (!/^-?\d+$/.test(value.trim()) || Number(value) < lo || Number(value) > hi) throw invalidValue(name);
      out[name] = String(Number(value));
      continue;
    }
    switch (name) {
      case "FifoQueue":
        if (!creating) throw invalidValue(name, "Modifying queue type is not supported.");
        if (value !== "true" && value !== "false") throw invalidValue(name);
        if ((value === "true") !== fifo) throw invalidValue(name);
        if (value === "true") out[name] = "true";
        continue;
      case "ContentBasedDeduplication":
      case "SqsManagedSseEnabled":
        if (value !== "true" && value !== "false") throw invalidValue(name);
        break;
      case "DeduplicationScope":
        if (value !== "messageGroup" && value !== "queue") throw invalidValue(name);
        break;
      case "FifoThroughputLimit":
        if (value !== "perQueue" && value !== "perMessageGroupId") throw invalidValue(name);
        break;
      case "Policy":
        if (value !== "") {
          try {
            parsePolicyDocument(value, "resource");
          } catch {
            throw invalidValue(name);
          }
        }
        break;
      case "RedrivePolicy":
        if (value !== "") checkRedrivePolicy(value);
        break;
      case "RedriveAllowPolicy":
        if (value !== "") checkRedriveAllowPolicy(value);
        break;
      case "KmsMasterKeyId":
        break;
    }
    if (FIFO_ONLY.includes(name) && !fifo) throw unknownAttribute(name);
    out[name] = value;
  }
  const merged = { ...current, ...out };
  if (merged.FifoThroughputLimit === "perMessageGroupId" && merged.DeduplicationScope === "queue") {
    throw invalidValue(
      "FifoThroughputLimit",
      "The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup",
    );
  }
  if (out.KmsMasterKeyId && merged.SqsManagedSseEnabled === "true" && out.SqsManagedSseEnabled === "true") {
    throw invalidValue("SqsManagedSseEnabled", "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.");
  }
  return out;
}

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export function checkRedrivePolicy(text: string): RedrivePolicy {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw invalidValue("RedrivePolicy", "Redrive policy is not a valid JSON map.");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw invalidValue("RedrivePolicy", "Redrive policy is not a valid JSON map.");
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== "deadLetterTargetArn" && k !== "maxReceiveCount") throw invalidValue("RedrivePolicy", `Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].`);
  }
  if (o.deadLetterTargetArn === undefined) throw invalidValue("RedrivePolicy", "Redrive policy does not contain mandatory attribute: deadLetterTargetArn.");
  if (o.maxReceiveCount === undefined) throw invalidValue("RedrivePolicy", "Redrive policy does not contain mandatory attribute: maxReceiveCount.");
  const n = Number(o.maxReceiveCount);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw invalidValue("RedrivePolicy", "Invalid value for maxReceiveCount: " + String(o.maxReceiveCount) + ", valid values are from 1 to 1000 both inclusive.");
  if (typeof o.deadLetterTargetArn !== "string" || !parseQueueArn(o.deadLetterTargetArn)) {
    throw invalidValue("RedrivePolicy", "Invalid value for deadLetterTargetArn.");
  }
  return { deadLetterTargetArn: o.deadLetterTargetArn, maxReceiveCount: n };
}

export interface RedriveAllowPolicy {
  redrivePermission: "allowAll" | "denyAll" | "byQueue";
  sourceQueueArns?: string[];
}

export function checkRedriveAllowPolicy(text: string): RedriveAllowPolicy {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw invalidValue("RedriveAllowPolicy", "Redrive allow policy is not a valid JSON map.");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw invalidValue("RedriveAllowPolicy", "Redrive allow policy is not a valid JSON map.");
  const o = v as Record<string, unknown>;
  const perm = o.redrivePermission;
  if (perm !== "allowAll" && perm !== "denyAll" && perm !== "byQueue") {
    throw invalidValue("RedriveAllowPolicy", "Invalid value for redrivePermission. Valid values are: allowAll, denyAll, byQueue.");
  }
  const arns = o.sourceQueueArns;
  if (perm === "byQueue") {
    if (!Array.isArray(arns) || arns.length === 0) throw invalidValue("RedriveAllowPolicy", "Source queue ARN is required when redrivePermission is byQueue.");
    if (arns.length > 10) throw invalidValue("RedriveAllowPolicy", "Source queue ARN count must be less than or equal to 10.");
    return { redrivePermission: perm, sourceQueueArns: arns.map(String) };
  }
  if (arns !== undefined) throw invalidValue("RedriveAllowPolicy", "Source queue ARNs are allowed only when redrivePermission is byQueue.");
  return { redrivePermission: perm };
}

/** Where a QueueUrl points: account and name (and region when the host names one). */
export interface QueueAddress {
  account: string;
  name: string;
  region?: string;
}

export function parseQueueUrl(url: string): QueueAddress | undefined {
  const m = /^(?:https?:\/\/([^/]+))?\/(\d{12})\/([A-Za-z0-9_.-]{1,80})\/?$/.exec(url);
  if (!m) return undefined;
  const host = m[1] ?? "";
  const region = /^sqs\.([a-z]{2}(?:-[a-z]+)+-\d)\./.exec(host)?.[1] ?? /^([a-z]{2}(?:-[a-z]+)+-\d)\.queue\./.exec(host)?.[1];
  return { account: m[2]!, name: m[3]!, ...(region ? { region } : {}) };
}
