/**
 * Routing events: match an event against the enabled rules of its bus, shape each target's input
 * (Input, InputPath, InputTransformer) and deliver it through the delivery bus as
 * `events.amazonaws.com` on behalf of the rule (aws:SourceArn = the rule's ARN). Deliveries run in
 * the background, as on AWS; `eventsSettled()` lets tests wait for them (and for replays).
 */
import { randomUUID } from "node:crypto";
import type { DeliveryBus } from "../../core/bus.js";
import type { Logger } from "../../core/logger.js";
import type { MetadataStore, Scope } from "../../storage/types.js";
import { archiveEvent } from "./archive-events.js";
import { matches, parsePattern, type Pattern } from "./pattern.js";
import { eventsTables, ruleKey, type RuleRecord, type TargetRecord } from "./store.js";

export interface EventEnvelope {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
  "replay-name"?: string;
}

export interface DispatchEnv {
  metadata: MetadataStore;
  bus: DeliveryBus;
  logger: Logger;
  nowMs: () => number;
}

const compiled = new Map<string, Pattern>();
/** Compiled patterns by text (rules are validated when put, so parsing here cannot fail). */
function patternOf(text: string): Pattern {
  let p = compiled.get(text);
  if (!p) {
    p = parsePattern(text);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(text, p);
  }
  return p;
}

const pending = new Set<Promise<unknown>>();
/** Resolves when every delivery started so far has finished (tests). */
export async function eventsSettled(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending]);
}
export function track(p: Promise<unknown>): void {
  pending.add(p);
  void p.finally(() => pending.delete(p));
}

/** EventBridge's time format: seconds precision, `Z`. */
export const eventTime = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

export function newEvent(scope: Scope, fields: { source: string; detailType: string; detail: unknown; resources?: string[]; timeMs: number }): EventEnvelope {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": fields.detailType,
    source: fields.source,
    account: scope.account,
    time: eventTime(fields.timeMs),
    region: scope.region,
    resources: fields.resources ?? [],
    detail: fields.detail,
  };
}

/** A replay in progress: which replay the events carry, and the rules it may reach. */
export interface ReplayRouting {
  name: string;
  /** Only these rules (by ARN); without it, every rule of the bus but archives' managed rules. */
  filterArns?: string[];
}

/**
 * Match an event on a bus and start deliveries to the targets of every matching rule; returns how
 * many rules matched. An archive's managed rule stores the event in its archive instead. A replayed
 * event carries `replay-name` and reaches only the replay's rules, never an archive.
 */
export async function routeEvent(env: DispatchEnv, scope: Scope, busName: string, event: EventEnvelope, replay?: ReplayRouting): Promise<number> {
  const t = eventsTables(env.metadata, scope);
  const rules = await t.rules.list({ prefix: `${busName}\u0000` });
  if (replay) event = { ...event, "replay-name": replay.name };
  let matched = 0;
  for (const { value: rule } of rules) {
    if (rule.State === "DISABLED" || !rule.EventPattern) continue;
    if (replay && (rule.archiveName !== undefined || (replay.filterArns?.length && !replay.filterArns.includes(rule.Arn)))) continue;
    if (!matches(patternOf(rule.EventPattern), event)) continue;
    matched++;
    if (rule.archiveName !== undefined) await archiveEvent(env.metadata, scope, rule.archiveName, event);
    else await deliverToTargets(env, scope, rule, event);
  }
  return matched;
}

/** Deliver one event to every target of a rule (in the background). */
export async function deliverToTargets(env: DispatchEnv, scope: Scope, rule: RuleRecord, event: EventEnvelope): Promise<void> {
  const t = eventsTables(env.metadata, scope);
  const targets = await t.targets.list({ prefix: `${ruleKey(rule.EventBusName, rule.Name)}\u0000` });
  const ingestion = env.nowMs();
  for (const { value: target } of targets) {
    let body: string;
    try {
      body = targetInput(target, event, rule, ingestion);
    } catch (e) {
      env.logger.warn(`events: input for target ${target.Id} of ${rule.Arn} failed: ${String(e)}`);
      continue;
    }
    track(deliver(env, scope, rule, target, body, event));
  }
}

async function deliver(env: DispatchEnv, scope: Scope, rule: RuleRecord, target: TargetRecord, body: string, event: EventEnvelope): Promise<void> {
  const sender = { servicePrincipal: "events.amazonaws.com", account: scope.account, sourceArn: rule.Arn };
  const attempts = 1 + Math.min(target.RetryPolicy?.MaximumRetryAttempts ?? 2, 2);
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      await env.bus.deliver(target.Arn, {
        body,
        sender,
        ...(target.SqsParameters?.MessageGroupId ? { messageGroupId: target.SqsParameters.MessageGroupId, messageDeduplicationId: event.id } : {}),
      });
      return;
    } catch (e) {
      lastError = e;
      // Retrying cannot help when nothing takes deliveries to this kind of ARN.
      if ((e as Error).name === "NoDeliveryTarget") break;
    }
  }
  const message = lastError instanceof Error ? lastError.message : String(lastError);
  env.logger.warn(`events: delivery to ${target.Arn} for ${rule.Arn} failed: ${message}`);
  const dlq = target.DeadLetterConfig?.Arn;
  if (dlq) {
    await env.bus
      .deliver(dlq, {
        body,
        sender,
        attributes: {
          RULE_ARN: { DataType: "String", StringValue: rule.Arn },
          TARGET_ARN: { DataType: "String", StringValue: target.Arn },
          ERROR_CODE: { DataType: "String", StringValue: (lastError as { code?: string })?.code ?? (lastError as Error)?.name ?? "Error" },
          ERROR_MESSAGE: { DataType: "String", StringValue: message.slice(0, 1000) },
        },
      })
      .catch((e: unknown) => env.logger.warn(`events: dead-letter delivery to ${dlq} failed: ${String(e)}`));
  }
}

/** The text a target receives for an event. */
export function targetInput(target: TargetRecord, event: EventEnvelope, rule: RuleRecord, ingestionMs: number): string {
  if (target.Input !== undefined) return target.Input;
  if (target.InputPath !== undefined) return JSON.stringify(jsonPath(event, target.InputPath) ?? null);
  const tr = target.InputTransformer;
  if (!tr) return JSON.stringify(event);
  const vars: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(tr.InputPathsMap ?? {})) vars[name] = jsonPath(event, path);
  vars["aws.events.rule-arn"] = rule.Arn;
  vars["aws.events.rule-name"] = rule.Name;
  vars["aws.events.event.ingestion-time"] = new Date(ingestionMs).toISOString();
  vars["aws.events.event"] = event;
  vars["aws.events.event.json"] = event;
  return fillTemplate(tr.InputTemplate, vars);
}

/**
 * Replace `<name>` placeholders. Inside a JSON string a string value goes in as its characters
 * (escaped); elsewhere values go in as JSON. A missing path leaves `null` (outside quotes) or
 * nothing (inside quotes).
 */
export function fillTemplate(template: string, vars: Record<string, unknown>): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === "\\" && inString) {
      out += c + (template[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    if (c === "<") {
      const end = template.indexOf(">", i);
      const name = end > i ? template.slice(i + 1, end) : "";
      if (end > i && /^[A-Za-z0-9_.\-]+$/.test(name) && Object.prototype.hasOwnProperty.call(vars, name)) {
        const v = vars[name];
        if (inString) out += v === undefined || v === null ? "" : typeof v === "string" ? JSON.stringify(v).slice(1, -1) : JSON.stringify(v).replace(/^"|"$/g, "");
        else out += v === undefined ? "null" : JSON.stringify(v);
        i = end;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/** The JSONPath subset EventBridge input paths use: `$`, `.name`, `['name']`, `[index]`. */
export function jsonPath(root: unknown, path: string): unknown {
  if (!path.startsWith("$")) return undefined;
  let cur: unknown = root;
  const re = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/g;
  let rest = path.slice(1);
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(rest)) !== null) {
    if (m.index !== consumed) return undefined;
    consumed = m.index + m[0].length;
    if (cur === null || typeof cur !== "object") return undefined;
    const key = m[1] ?? m[3] ?? m[4];
    cur = key !== undefined ? (cur as Record<string, unknown>)[key] : (cur as unknown[])[Number(m[2])];
  }
  rest = rest.slice(consumed);
  return rest === "" ? cur : undefined;
}
