/**
 * Audit records: one per request, for CloudTrail later and for tests. Parameters are copied with
 * secrets redacted (members the model marks sensitive, and names that carry secrets) and bodies
 * summarised, so a sink can keep records without keeping credentials or payloads.
 */
import type { ServiceModel, Shape } from "../protocol/model.js";
import type { Principal } from "./service.js";

export interface AuditRecord {
  time: string;
  requestId: string;
  principalArn?: string;
  accountId?: string;
  sourceIp: string;
  service?: string;
  operation?: string;
  region?: string;
  parameters?: Record<string, unknown>;
  status: number;
  errorCode?: string;
  errorMessage?: string;
  /** Who called (CloudTrail's userIdentity). */
  principal?: Principal;
  userAgent?: string;
}

export type AuditSink = (record: AuditRecord) => void;

const SECRET_NAME = /password|secret|sessiontoken|privatekey|^(token|code|authenticationcode[12])$/i;
const REDACTED = "HIDDEN_DUE_TO_SECURITY_REASONS";

export function redactInput(model: ServiceModel, operation: string, input: Record<string, unknown>): Record<string, unknown> {
  const ref = model.operations[operation]?.input;
  const shape = ref ? model.shapes[ref.shape] : undefined;
  return redactValue(model, shape, input, 0) as Record<string, unknown>;
}

function redactValue(model: ServiceModel, shape: Shape | undefined, value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return value;
  if (shape?.sensitive) return REDACTED;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== "object") return value;
  if (typeof (value as { pipe?: unknown }).pipe === "function") return "<stream>";
  if (depth > 20) return "<nested>";
  if (Array.isArray(value)) {
    const member = shape?.member ? model.shapes[shape.member.shape] : undefined;
    return value.map((v) => redactValue(model, member, v, depth + 1));
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_NAME.test(k)) {
      out[k] = REDACTED;
      continue;
    }
    const memberRef = shape?.members?.[k] ?? shape?.value;
    out[k] = redactValue(model, memberRef ? model.shapes[memberRef.shape] : undefined, v, depth + 1);
  }
  return out;
}
