/**
 * EventBridge state, per account and region: event buses, rules (keyed by bus and name), targets
 * (keyed by bus, rule and target id) and tags (keyed by ARN).
 */
import type { MetadataStore, Scope } from "../../storage/types.js";

export interface BusRecord {
  Name: string;
  Arn: string;
  Description?: string;
  Policy?: string;
  CreationTime: number;
}

export interface RuleRecord {
  Name: string;
  Arn: string;
  EventBusName: string;
  EventPattern?: string;
  ScheduleExpression?: string;
  State: "ENABLED" | "DISABLED" | "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";
  Description?: string;
  RoleArn?: string;
  CreatedBy: string;
  /** When a rate schedule starts counting (creation or last enabling), epoch ms. */
  anchorMs: number;
  /** The last scheduled fire time handled, epoch ms. */
  lastFiredMs?: number;
}

export interface TargetRecord {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
  SqsParameters?: { MessageGroupId?: string };
  DeadLetterConfig?: { Arn?: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  [other: string]: unknown;
}

export const ruleKey = (bus: string, name: string) => `${bus}\u0000${name}`;
export const targetKey = (bus: string, rule: string, id: string) => `${bus}\u0000${rule}\u0000${id}`;

export function eventsTables(metadata: MetadataStore, scope: Scope) {
  return {
    buses: metadata.table<BusRecord>(scope, "buses"),
    rules: metadata.table<RuleRecord>(scope, "rules"),
    targets: metadata.table<TargetRecord>(scope, "targets"),
    tags: metadata.table<Record<string, string>>(scope, "tags"),
  };
}

export const busArn = (region: string, account: string, name: string) => `arn:aws:events:${region}:${account}:event-bus/${name}`;
export const ruleArn = (region: string, account: string, bus: string, name: string) =>
  `arn:aws:events:${region}:${account}:rule/${bus === "default" ? "" : `${bus}/`}${name}`;

/** A bus named by name or ARN. */
export function busName(nameOrArn: string | undefined): string {
  if (!nameOrArn) return "default";
  const m = /:event-bus\/(.+)$/.exec(nameOrArn);
  return m ? m[1]! : nameOrArn;
}
