/**
 * The legacy conditional parameters, translated onto the expression engine so both styles share
 * one evaluator: Expected (+ ConditionalOperator) and QueryFilter/ScanFilter become conditions,
 * AttributeUpdates an update, KeyConditions a key-condition plan, AttributesToGet a projection.
 * Attribute names in legacy parameters are literal top-level names: no dots, no indexes.
 *
 * Validation follows AWS's messages for these parameters, which live in the "One or more
 * parameter values were invalid" family rather than the expression family.
 */
import {
  compareAttributeValues,
  describeAttributeValue,
  isSetType,
  typeOf,
  validateAttributeValue,
  type AttributeType,
  type AttributeValue,
} from "../attribute-value.js";
import { INVALID_PARAMETER_VALUES, validationError } from "../errors.js";
import type { Condition, ProjectionAst, UpdateAction, UpdateExpressionAst } from "./ast.js";
import { planKeyParts, type KeyConditionPlan, type KeyPart, type KeySchema } from "./key-condition.js";

export type ComparisonOperator =
  | "EQ"
  | "NE"
  | "IN"
  | "LE"
  | "LT"
  | "GE"
  | "GT"
  | "BETWEEN"
  | "NOT_NULL"
  | "NULL"
  | "CONTAINS"
  | "NOT_CONTAINS"
  | "BEGINS_WITH";

/** A legacy Condition (KeyConditions, QueryFilter, ScanFilter members). */
export interface LegacyCondition {
  ComparisonOperator?: string;
  AttributeValueList?: unknown[];
}

/** An Expected member. */
export interface ExpectedAttributeValue extends LegacyCondition {
  Value?: unknown;
  Exists?: boolean;
}

export interface AttributeValueUpdate {
  Action?: string;
  Value?: unknown;
}

const ORDERED: readonly AttributeType[] = ["S", "N", "B"];
const ALLOWED_TYPES: Partial<Record<ComparisonOperator, readonly AttributeType[]>> = {
  LE: ORDERED,
  LT: ORDERED,
  GE: ORDERED,
  GT: ORDERED,
  BETWEEN: ORDERED,
  IN: ORDERED,
  CONTAINS: ORDERED,
  NOT_CONTAINS: ORDERED,
  BEGINS_WITH: ["S", "B"],
};
const OPERATORS = new Set<string>(["EQ", "NE", "IN", "LE", "LT", "GE", "GT", "BETWEEN", "NOT_NULL", "NULL", "CONTAINS", "NOT_CONTAINS", "BEGINS_WITH"]);

const invalid = (detail: string): Error => validationError(INVALID_PARAMETER_VALUES + detail);

function argumentCountOk(op: ComparisonOperator, n: number): boolean {
  switch (op) {
    case "NULL":
    case "NOT_NULL":
      return n === 0;
    case "IN":
      return n > 0;
    case "BETWEEN":
      return n === 2;
    default:
      return n === 1;
  }
}

function checkOperator(op: string): ComparisonOperator {
  if (!OPERATORS.has(op)) {
    throw validationError(
      `1 validation error detected: Value '${op}' at 'comparisonOperator' failed to satisfy constraint: ` +
        "Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]",
    );
  }
  return op as ComparisonOperator;
}

/** Validates an operator's arguments (count, types, BETWEEN bounds) and returns them normalised. */
function checkArguments(op: ComparisonOperator, raw: unknown[]): AttributeValue[] {
  if (!argumentCountOk(op, raw.length)) throw invalid(`Invalid number of argument(s) for the ${op} ComparisonOperator`);
  const values = raw.map((v) => validateAttributeValue(v));
  const allowed = ALLOWED_TYPES[op];
  if (allowed) {
    for (const v of values) {
      const type = typeOf(v);
      if (!allowed.includes(type)) throw invalid(`ComparisonOperator ${op} is not valid for ${type} AttributeValue type`);
    }
  }
  if ((op === "BETWEEN" || op === "IN") && values.some((v) => typeOf(v) !== typeOf(values[0]!))) {
    throw invalid("AttributeValues inside AttributeValueList must be of same type");
  }
  if (op === "BETWEEN" && compareAttributeValues(values[0]!, values[1]!)! > 0) {
    throw validationError(
      `The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: ${describeAttributeValue(values[0]!)}, upper bound operand: ${describeAttributeValue(values[1]!)}`,
    );
  }
  return values;
}

/** One legacy comparison on a top-level attribute, as a condition. */
function comparison(name: string, op: ComparisonOperator, values: AttributeValue[]): Condition {
  const path = { kind: "path" as const, path: [name] };
  const value = (i: number) => ({ kind: "value" as const, value: values[i]! });
  switch (op) {
    case "EQ":
      return { kind: "compare", op: "=", left: path, right: value(0) };
    case "NE":
      return { kind: "compare", op: "<>", left: path, right: value(0) };
    case "LE":
      return { kind: "compare", op: "<=", left: path, right: value(0) };
    case "LT":
      return { kind: "compare", op: "<", left: path, right: value(0) };
    case "GE":
      return { kind: "compare", op: ">=", left: path, right: value(0) };
    case "GT":
      return { kind: "compare", op: ">", left: path, right: value(0) };
    case "NOT_NULL":
      return { kind: "attribute_exists", path: [name] };
    case "NULL":
      return { kind: "attribute_not_exists", path: [name] };
    case "CONTAINS":
      return { kind: "contains", operand: path, value: value(0) };
    case "NOT_CONTAINS":
      // A missing attribute satisfies no legacy comparison but NULL and NE.
      return {
        kind: "and",
        left: { kind: "attribute_exists", path: [name] },
        right: { kind: "not", condition: { kind: "contains", operand: path, value: value(0) } },
      };
    case "BEGINS_WITH":
      return { kind: "begins_with", operand: path, prefix: value(0) };
    case "IN":
      return { kind: "in", operand: path, candidates: values.map((_, i) => value(i)) };
    case "BETWEEN":
      return { kind: "between", operand: path, lower: value(0), upper: value(1) };
  }
}

function combine(conditions: Condition[], conditionalOperator: string | undefined): Condition | undefined {
  if (conditions.length === 0) return undefined;
  const kind = conditionalOperator === "OR" ? "or" : "and";
  return conditions.reduce((left, right) => ({ kind, left, right }));
}

/** Expected (+ ConditionalOperator) as a condition; undefined when there is nothing to check. */
export function expectedToCondition(
  expected: Record<string, ExpectedAttributeValue> | undefined | null,
  conditionalOperator?: string,
): Condition | undefined {
  if (!expected) return undefined;
  const conditions: Condition[] = [];
  for (const [name, e] of Object.entries(expected)) {
    const hasValue = e.Value !== undefined && e.Value !== null;
    const hasList = e.AttributeValueList !== undefined && e.AttributeValueList !== null;
    const hasExists = e.Exists !== undefined && e.Exists !== null;
    if (e.ComparisonOperator !== undefined && e.ComparisonOperator !== null) {
      const op = checkOperator(e.ComparisonOperator);
      if (hasValue && hasList) throw invalid(`Value and AttributeValueList cannot be used together for Attribute: ${name}`);
      if (hasExists) throw invalid(`Exists and ComparisonOperator cannot be used together for Attribute: ${name}`);
      const raw = hasList ? e.AttributeValueList! : hasValue ? [e.Value] : [];
      if (!hasValue && !hasList && op !== "NULL" && op !== "NOT_NULL") {
        throw invalid(`Value or AttributeValueList must be used with ComparisonOperator: ${op} for Attribute: ${name}`);
      }
      conditions.push(comparison(name, op, checkArguments(op, raw)));
      continue;
    }
    if (hasList) throw invalid(`AttributeValueList can only be used with a ComparisonOperator for Attribute: ${name}`);
    const exists = e.Exists ?? true;
    if (exists && !hasValue) {
      throw invalid(`Value must be provided when Exists is ${hasExists ? "true" : "null"} for Attribute: ${name}`);
    }
    if (!exists && hasValue) throw invalid(`Value cannot be used when Exists is false for Attribute: ${name}`);
    if (!exists) {
      conditions.push({ kind: "attribute_not_exists", path: [name] });
    } else {
      conditions.push(comparison(name, "EQ", [validateAttributeValue(e.Value)]));
    }
  }
  return combine(conditions, conditionalOperator);
}

/** QueryFilter or ScanFilter (+ ConditionalOperator) as a condition. */
export function filterToCondition(
  filter: Record<string, LegacyCondition> | undefined | null,
  conditionalOperator?: string,
): Condition | undefined {
  if (!filter) return undefined;
  const conditions = Object.entries(filter).map(([name, c]) => {
    const op = checkOperator(c.ComparisonOperator ?? "");
    return comparison(name, op, checkArguments(op, c.AttributeValueList ?? []));
  });
  return combine(conditions, conditionalOperator);
}

const KEY_OPERATORS: Partial<Record<ComparisonOperator, KeyPart["op"]>> = {
  EQ: "=",
  LE: "<=",
  LT: "<",
  GE: ">=",
  GT: ">",
  BEGINS_WITH: "begins_with",
  BETWEEN: "BETWEEN",
};

/** KeyConditions as a key-condition plan. */
export function keyConditionsToPlan(keyConditions: Record<string, LegacyCondition>, schema: KeySchema): KeyConditionPlan {
  const entries = Object.entries(keyConditions);
  if (entries.length === 0 || entries.length > 2) throw validationError("Conditions can be of length 1 or 2 only");
  const parts = entries.map(([name, c]): KeyPart => {
    const op = checkOperator(c.ComparisonOperator ?? "");
    const values = checkArguments(op, c.AttributeValueList ?? []);
    const keyOp = KEY_OPERATORS[op];
    if (keyOp === undefined) throw validationError("Attempted conditional constraint is not an indexable operation");
    return { name, op: keyOp, values };
  });
  return planKeyParts(parts, schema);
}

/** AttributeUpdates as an update (the legacy flavour, for AWS's legacy type-error wording). */
export function attributeUpdatesToUpdate(updates: Record<string, AttributeValueUpdate> | undefined | null): UpdateExpressionAst {
  const actions: UpdateAction[] = [];
  for (const [name, u] of Object.entries(updates ?? {})) {
    const action = u.Action ?? "PUT";
    const hasValue = u.Value !== undefined && u.Value !== null;
    if (!hasValue) {
      if (action !== "DELETE") throw invalid("Only DELETE action is allowed when no attribute value is specified");
      actions.push({ kind: "REMOVE", path: [name] });
      continue;
    }
    const value = validateAttributeValue(u.Value);
    const type = typeOf(value);
    if (action === "PUT") {
      actions.push({ kind: "SET", path: [name], value: { kind: "value", value } });
    } else if (action === "ADD") {
      if (type !== "N" && !isSetType(type)) throw invalid(`ADD action is not supported for the type ${type}`);
      actions.push({ kind: "ADD", path: [name], value });
    } else if (action === "DELETE") {
      if (!isSetType(type)) throw invalid(`DELETE action with value is not supported for the type ${type}`);
      actions.push({ kind: "DELETE", path: [name], value });
    } else {
      throw validationError(
        `1 validation error detected: Value '${action}' at 'attributeUpdates.${name}.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]`,
      );
    }
  }
  return { actions, source: "legacy" };
}

/** AttributesToGet as a projection of top-level attributes. */
export function attributesToGetToProjection(names: readonly string[]): ProjectionAst {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw invalid(`Duplicate value in attribute name: ${n}`);
    seen.add(n);
  }
  return { paths: names.map((n) => [n]) };
}

/**
 * The expression and legacy parameters each operation accepts, in the order AWS lists them in
 * its "Can not use both" message.
 */
export const PARAMETER_STYLES = {
  PutItem: { legacy: ["Expected", "ConditionalOperator"], expression: ["ConditionExpression"] },
  DeleteItem: { legacy: ["Expected", "ConditionalOperator"], expression: ["ConditionExpression"] },
  UpdateItem: {
    legacy: ["AttributeUpdates", "Expected", "ConditionalOperator"],
    expression: ["UpdateExpression", "ConditionExpression"],
  },
  GetItem: { legacy: ["AttributesToGet"], expression: ["ProjectionExpression"] },
  Query: {
    legacy: ["AttributesToGet", "KeyConditions", "QueryFilter", "ConditionalOperator"],
    expression: ["ProjectionExpression", "KeyConditionExpression", "FilterExpression"],
  },
  Scan: {
    legacy: ["AttributesToGet", "ScanFilter", "ConditionalOperator"],
    expression: ["ProjectionExpression", "FilterExpression"],
  },
} as const satisfies Record<string, { legacy: readonly string[]; expression: readonly string[] }>;

const present = (request: Record<string, unknown>, key: string): boolean => request[key] !== undefined && request[key] !== null;

/**
 * Refuses a request that mixes legacy and expression parameters, or that carries
 * ExpressionAttributeNames/Values without any expression to use them.
 */
export function checkParameterStyle(
  request: Record<string, unknown>,
  style: { legacy: readonly string[]; expression: readonly string[] },
): void {
  const legacy = style.legacy.filter((k) => present(request, k));
  const expression = style.expression.filter((k) => present(request, k));
  if (legacy.length > 0 && expression.length > 0) {
    throw validationError(
      `Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {${legacy.join(", ")}} Expression parameters: {${expression.join(", ")}}`,
    );
  }
  if (expression.length === 0) {
    if (present(request, "ExpressionAttributeNames")) {
      throw validationError("ExpressionAttributeNames can only be specified when using expressions");
    }
    if (present(request, "ExpressionAttributeValues")) {
      throw validationError("ExpressionAttributeValues can only be specified when using expressions");
    }
  }
}
