/**
 * EventBridge state, per account and region: event buses, rules (keyed by bus and name), targets
 * (keyed by bus, rule and target id), tags (keyed by ARN), archives (by name) with their events
 * (keyed by archive, event time and id, so a replay reads them in time order) and replays.
 */
import type { MetadataStore, Scope } from "../../storage/types.js";
import type { EventEnvelope } from "./dispatch.js";

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
  /** Set on rules other services manage (an archive's `Events-Archive-<name>`): events.amazonaws.com. */
  ManagedBy?: string;
  /** The archive a managed archive rule stores matching events in. */
  archiveName?: string;
}

export interface ArchiveRecord {
  ArchiveName: string;
  ArchiveArn: string;
  EventSourceArn: string;
  Description?: string;
  EventPattern?: string;
  /** 0: kept indefinitely. */
  RetentionDays: number;
  State: "ENABLED" | "DISABLED";
  CreationTime: number;
  EventCount: number;
  SizeBytes: number;
}

export interface ArchivedEvent {
  event: EventEnvelope;
  size: number;
}

export type ReplayState = "STARTING" | "RUNNING" | "CANCELLING" | "COMPLETED" | "CANCELLED" | "FAILED";

export interface ReplayRecord {
  ReplayName: string;
  ReplayArn: string;
  Description?: string;
  State: ReplayState;
  StateReason?: string;
  EventSourceArn: string;
  Destination: { Arn: string; FilterArns?: string[] };
  EventStartTime: number;
  EventEndTime: number;
  EventLastReplayedTime?: number;
  ReplayStartTime: number;
  ReplayEndTime?: number;
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
/** Archived events in time order: archive, event time (ms, zero-padded), event id. */
export const archiveEventKey = (archive: string, timeMs: number, id: string) => `${archive}\u0000${String(Math.max(0, timeMs)).padStart(15, "0")}\u0000${id}`;
export const archiveRuleName = (archive: string) => `Events-Archive-${archive}`;
export const targetKey = (bus: string, rule: string, id: string) => `${bus}\u0000${rule}\u0000${id}`;

export function eventsTables(metadata: MetadataStore, scope: Scope) {
  return {
    buses: metadata.table<BusRecord>(scope, "buses"),
    rules: metadata.table<RuleRecord>(scope, "rules"),
    targets: metadata.table<TargetRecord>(scope, "targets"),
    tags: metadata.table<Record<string, string>>(scope, "tags"),
    archives: metadata.table<ArchiveRecord>(scope, "archives"),
    archiveEvents: metadata.table<ArchivedEvent>(scope, "archive-events"),
    replays: metadata.table<ReplayRecord>(scope, "replays"),
  };
}

export const busArn = (region: string, account: string, name: string) => `arn:aws:events:${region}:${account}:event-bus/${name}`;
export const ruleArn = (region: string, account: string, bus: string, name: string) =>
  `arn:aws:events:${region}:${account}:rule/${bus === "default" ? "" : `${bus}/`}${name}`;

export const archiveArn = (region: string, account: string, name: string) => `arn:aws:events:${region}:${account}:archive/${name}`;
export const replayArn = (region: string, account: string, name: string) => `arn:aws:events:${region}:${account}:replay/${name}`;

/** A bus named by name or ARN. */
export function busName(nameOrArn: string | undefined): string {
  if (!nameOrArn) return "default";
  const m = /:event-bus\/(.+)$/.exec(nameOrArn);
  return m ? m[1]! : nameOrArn;
}
