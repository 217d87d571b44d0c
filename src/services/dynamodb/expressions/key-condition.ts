/**
 * Key conditions: a Query's KeyConditionExpression (or legacy KeyConditions) checked against
 * the table's or index's key schema and reduced to a plan a table engine can run as a range
 * scan: the partition key's value, and optionally one sort-key condition.
 *
 * The rules and messages are DynamoDB's: only AND joins conditions, the partition key takes
 * equality only, the sort key takes = < <= > >= BETWEEN or begins_with, one condition per key,
 * and the partition key must be there.
 */
import {
  compareAttributeValues,
  typeOf,
  type AttributeMap,
  type AttributeValue,
  type ScalarType,
} from "../attribute-value.js";
import { INVALID_PARAMETER_VALUES, validationError } from "../errors.js";
import type { Condition, Operand } from "./ast.js";
import { getPath } from "./paths.js";

export interface KeySchema {
  partitionKey: string;
  sortKey?: string;
  /** Key attribute types (from AttributeDefinitions); when given, condition values must match. */
  attributeTypes?: Readonly<Record<string, ScalarType>>;
}

export type SortKeyOperator = "=" | "<" | "<=" | ">" | ">=" | "BETWEEN" | "begins_with";

export type SortKeyCondition =
  | { name: string; op: "=" | "<" | "<=" | ">" | ">="; value: AttributeValue }
  | { name: string; op: "BETWEEN"; lower: AttributeValue; upper: AttributeValue }
  | { name: string; op: "begins_with"; prefix: AttributeValue };

export interface KeyConditionPlan {
  partitionKey: { name: string; value: AttributeValue };
  sortKey?: SortKeyCondition;
}

/** One condition on one key attribute, before the schema is consulted. */
export interface KeyPart {
  name: string;
  op: SortKeyOperator;
  values: AttributeValue[];
}

const KCE = "Invalid KeyConditionExpression: ";

function invalidOperator(op: string): Error {
  return validationError(`${KCE}Invalid operator used in KeyConditionExpression: ${op}`);
}

const FLIPPED: Record<string, "=" | "<" | "<=" | ">" | ">="> = { "=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<=" };

function keyName(operand: Operand): string | undefined {
  if (operand.kind === "size") throw invalidOperator("size");
  if (operand.kind !== "path") return undefined;
  if (operand.path.length !== 1 || typeof operand.path[0] !== "string") {
    throw validationError(`${KCE}KeyConditionExpressions cannot have conditions on nested attributes`);
  }
  return operand.path[0];
}

/** Breaks a resolved KeyConditionExpression into per-key parts, refusing what keys cannot take. */
export function keyPartsFromCondition(condition: Condition): KeyPart[] {
  const parts: KeyPart[] = [];
  const visit = (c: Condition): void => {
    switch (c.kind) {
      case "and":
        visit(c.left);
        visit(c.right);
        return;
      case "or":
        throw invalidOperator("OR");
      case "not":
        throw invalidOperator("NOT");
      case "in":
        throw invalidOperator("IN");
      case "attribute_exists":
      case "attribute_not_exists":
      case "attribute_type":
      case "contains":
        throw invalidOperator(c.kind);
      case "compare": {
        if (c.op === "<>") throw invalidOperator("<>");
        const left = keyName(c.left);
        const right = keyName(c.right);
        if (left !== undefined && right === undefined && c.right.kind === "value") {
          parts.push({ name: left, op: c.op, values: [c.right.value] });
        } else if (right !== undefined && left === undefined && c.left.kind === "value") {
          parts.push({ name: right, op: FLIPPED[c.op]!, values: [c.left.value] });
        } else {
          throw validationError("Query key condition not supported");
        }
        return;
      }
      case "between": {
        const name = keyName(c.operand);
        if (name === undefined || c.lower.kind !== "value" || c.upper.kind !== "value") {
          throw validationError("Query key condition not supported");
        }
        parts.push({ name, op: "BETWEEN", values: [c.lower.value, c.upper.value] });
        return;
      }
      case "begins_with": {
        const name = keyName(c.operand);
        if (name === undefined || c.prefix.kind !== "value") throw validationError("Query key condition not supported");
        parts.push({ name, op: "begins_with", values: [c.prefix.value] });
        return;
      }
    }
  };
  visit(condition);
  return parts;
}

function checkValueType(schema: KeySchema, name: string, value: AttributeValue): void {
  const expected = schema.attributeTypes?.[name];
  const type = typeOf(value);
  if (expected !== undefined && type !== expected) {
    throw validationError(`${INVALID_PARAMETER_VALUES}Condition parameter type does not match schema type`);
  }
  if (expected === undefined && type !== "S" && type !== "N" && type !== "B") {
    throw validationError(`${INVALID_PARAMETER_VALUES}Condition parameter type does not match schema type`);
  }
  if (("S" in value && value.S === "") || ("B" in value && value.B.length === 0)) {
    const kind = "S" in value ? "string" : "binary";
    throw validationError(
      `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${kind} value. Key: ${name}`,
    );
  }
}

/** Checks per-key parts against the key schema and builds the plan. */
export function planKeyParts(parts: KeyPart[], schema: KeySchema): KeyConditionPlan {
  const seen = new Set<string>();
  for (const p of parts) {
    if (seen.has(p.name) || parts.length > 2) {
      throw validationError(`${KCE}KeyConditionExpressions must only contain one condition per key`);
    }
    seen.add(p.name);
  }
  const partition = parts.find((p) => p.name === schema.partitionKey);
  if (!partition) throw validationError(`Query condition missed key schema element: ${schema.partitionKey}`);
  if (partition.op !== "=") throw validationError("Query key condition not supported");
  const others = parts.filter((p) => p !== partition);
  for (const p of others) {
    if (p.name !== schema.sortKey) {
      throw validationError(
        schema.sortKey === undefined ? "Query key condition not supported" : `Query condition missed key schema element: ${schema.sortKey}`,
      );
    }
  }
  checkValueType(schema, partition.name, partition.values[0]!);
  const plan: KeyConditionPlan = { partitionKey: { name: partition.name, value: partition.values[0]! } };
  const sort = others[0];
  if (sort) {
    for (const v of sort.values) checkValueType(schema, sort.name, v);
    if (sort.op === "BETWEEN") {
      const [lower, upper] = sort.values as [AttributeValue, AttributeValue];
      plan.sortKey = { name: sort.name, op: "BETWEEN", lower, upper };
    } else if (sort.op === "begins_with") {
      const prefix = sort.values[0]!;
      if (!("S" in prefix) && !("B" in prefix)) {
        throw validationError(
          `${KCE}Incorrect operand type for operator or function; operator or function: begins_with, operand type: ${typeOf(prefix)}`,
        );
      }
      plan.sortKey = { name: sort.name, op: "begins_with", prefix };
    } else {
      plan.sortKey = { name: sort.name, op: sort.op, value: sort.values[0]! };
    }
  }
  return plan;
}

/** Whether a sort-key value satisfies the plan's sort-key condition. */
export function matchesSortKeyCondition(condition: SortKeyCondition, value: AttributeValue | undefined): boolean {
  if (value === undefined) return false;
  switch (condition.op) {
    case "BETWEEN": {
      const a = compareAttributeValues(value, condition.lower);
      const b = compareAttributeValues(value, condition.upper);
      return a !== undefined && b !== undefined && a >= 0 && b <= 0;
    }
    case "begins_with": {
      const p = condition.prefix;
      if ("S" in value && "S" in p) return value.S.startsWith(p.S);
      if ("B" in value && "B" in p) return value.B.length >= p.B.length && value.B.subarray(0, p.B.length).equals(p.B);
      return false;
    }
    default: {
      const c = compareAttributeValues(value, condition.value);
      if (c === undefined) return false;
      switch (condition.op) {
        case "=":
          return c === 0;
        case "<":
          return c < 0;
        case "<=":
          return c <= 0;
        case ">":
          return c > 0;
        default:
          return c >= 0;
      }
    }
  }
}

/** Whether an item belongs to the plan's result (before any FilterExpression). */
export function matchesKeyCondition(plan: KeyConditionPlan, item: AttributeMap): boolean {
  const pk = getPath(item, [plan.partitionKey.name]);
  if (pk === undefined || compareAttributeValues(pk, plan.partitionKey.value) !== 0) return false;
  return plan.sortKey === undefined || matchesSortKeyCondition(plan.sortKey, getPath(item, [plan.sortKey.name]));
}

export interface Bound {
  value: AttributeValue;
  inclusive: boolean;
}

/**
 * The sort-key range to scan, for an engine that stores items ordered by sort key. begins_with
 * gives the prefix as an inclusive lower bound and no upper bound; the caller stops at the first
 * key that no longer starts with `prefix`.
 */
export function sortKeyRange(condition: SortKeyCondition | undefined): { lower?: Bound; upper?: Bound; prefix?: AttributeValue } {
  if (condition === undefined) return {};
  switch (condition.op) {
    case "=":
      return { lower: { value: condition.value, inclusive: true }, upper: { value: condition.value, inclusive: true } };
    case "<":
      return { upper: { value: condition.value, inclusive: false } };
    case "<=":
      return { upper: { value: condition.value, inclusive: true } };
    case ">":
      return { lower: { value: condition.value, inclusive: false } };
    case ">=":
      return { lower: { value: condition.value, inclusive: true } };
    case "BETWEEN":
      return { lower: { value: condition.lower, inclusive: true }, upper: { value: condition.upper, inclusive: true } };
    case "begins_with":
      return { lower: { value: condition.prefix, inclusive: true }, prefix: condition.prefix };
  }
}
