/**
 * Input validation from the model, after parsing: every `required` member must be present,
 * at any depth. The aws-sdk v2 models keep `required` lists (they dropped lengths, patterns and
 * enums), so services check those themselves. The error follows each protocol family's AWS
 * convention:
 *   json / rest-json / CBOR: ValidationException, "1 validation error detected: Value null at
 *     'logGroupName' failed to satisfy constraint: Member must not be null"
 *   query: ValidationError with the same sentence (IAM, STS, ...)
 *   ec2:   MissingParameter, "The request must contain the parameter X"
 *   rest-xml (S3): MalformedXML
 */
import { ServiceError } from "../core/errors.js";
import type { OperationModel, ProtocolName, ServiceModel, Shape } from "./model.js";

const MAX_DEPTH = 32;

/** Paths (as AWS writes them) of required members that are missing. */
export function missingRequired(model: ServiceModel, op: OperationModel, input: Record<string, unknown>): string[] {
  if (!op.input) return [];
  const shape = model.shapes[op.input.shape];
  if (!shape || !checks(model, shape)) return [];
  const out: string[] = [];
  walk(model, shape, input, "", out, 0);
  return out;
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}

/**
 * Whether walking a value of `shape` can find anything missing: the shape, or one the walk
 * descends into, has required members. Most of a request (DynamoDB's attribute values, tags,
 * filters) has none, and is then not walked at all. Memoized per model.
 */
function checks(model: ServiceModel, shape: Shape): boolean {
  let memo = checked.get(model);
  if (!memo) checked.set(model, (memo = new Map()));
  let answer = memo.get(shape);
  if (answer === undefined) {
    answer = reachesRequired(model, shape, new Set());
    memo.set(shape, answer);
  }
  return answer;
}

const checked = new WeakMap<ServiceModel, Map<Shape, boolean>>();

interface Descent {
  name: string;
  /** The member's name as paths write it. */
  pathName: string;
  shape: Shape;
}

/** The members of a structure whose values `walk` must enter (see `checks`), memoized. */
function descents(model: ServiceModel, shape: Shape): Descent[] {
  let memo = descentsOf.get(model);
  if (!memo) descentsOf.set(model, (memo = new Map()));
  let list = memo.get(shape);
  if (!list) {
    list = [];
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      const member = model.shapes[ref.shape];
      if (member && checks(model, member)) list.push({ name, pathName: lowerFirst(name), shape: member });
    }
    memo.set(shape, list);
  }
  return list;
}

const descentsOf = new WeakMap<ServiceModel, Map<Shape, Descent[]>>();

/** The search behind `checks`: the shapes `walk` would visit, each once. */
function reachesRequired(model: ServiceModel, shape: Shape | undefined, seen: Set<Shape>): boolean {
  if (!shape || seen.has(shape)) return false;
  seen.add(shape);
  if (shape.type === "structure") {
    if ((shape.required?.length ?? 0) > 0) return true;
    for (const ref of Object.values(shape.members ?? {})) if (reachesRequired(model, model.shapes[ref.shape], seen)) return true;
    return false;
  }
  if (shape.type === "list" && shape.member) {
    const member = model.shapes[shape.member.shape];
    return member?.type === "structure" && reachesRequired(model, member, seen);
  }
  if (shape.type === "map" && shape.value) {
    const member = model.shapes[shape.value.shape];
    return member?.type === "structure" && reachesRequired(model, member, seen);
  }
  return false;
}

function walk(model: ServiceModel, shape: Shape | undefined, value: unknown, path: string, out: string[], depth: number) {
  if (!shape || value === undefined || value === null || depth > MAX_DEPTH) return;
  if (shape.type === "structure") {
    if (typeof value !== "object") return;
    const obj = value as Record<string, unknown>;
    for (const name of shape.required ?? []) {
      if (obj[name] === undefined || obj[name] === null) out.push(path + lowerFirst(name));
    }
    for (const m of descents(model, shape)) {
      const v = obj[m.name];
      if (v !== undefined && v !== null) walk(model, m.shape, v, `${path}${m.pathName}.`, out, depth + 1);
    }
  } else if (shape.type === "list" && Array.isArray(value) && shape.member) {
    const member = model.shapes[shape.member.shape];
    if (member?.type !== "structure") return;
    value.forEach((v, i) => walk(model, member, v, `${path}${i + 1}.member.`, out, depth + 1));
  } else if (shape.type === "map" && shape.value && typeof value === "object") {
    const member = model.shapes[shape.value.shape];
    if (member?.type !== "structure") return;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(model, member, v, `${path}${k}.`, out, depth + 1);
  }
}

/** Throw the protocol's validation error when required members are missing. */
export function validateInput(
  model: ServiceModel,
  op: OperationModel,
  input: Record<string, unknown>,
  protocol: ProtocolName,
): void {
  const missing = missingRequired(model, op, input);
  if (missing.length === 0) return;
  if (protocol === "ec2") {
    const first = missing[0]!;
    const name = first.split(".").map((p) => (p.length ? p[0]!.toUpperCase() + p.slice(1) : p)).join(".");
    throw new ServiceError({ code: "MissingParameter", status: 400 }, `The request must contain the parameter ${name}`);
  }
  if (protocol === "rest-xml") {
    throw new ServiceError(
      { code: "MalformedXML", status: 400 },
      "The XML you provided was not well-formed or did not validate against our published schema",
    );
  }
  const n = missing.length;
  const message =
    `${n} validation error${n === 1 ? "" : "s"} detected: ` +
    missing.map((p) => `Value null at '${p}' failed to satisfy constraint: Member must not be null`).join("; ");
  if (protocol === "query") throw new ServiceError({ code: "ValidationError", status: 400 }, message);
  throw new ServiceError({ code: "ValidationException", status: 400, queryErrorCode: "ValidationError" }, message);
}
