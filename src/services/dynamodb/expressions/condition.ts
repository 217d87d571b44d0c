/**
 * Evaluating conditions (ConditionExpression, FilterExpression, and the legacy Expected,
 * QueryFilter and ScanFilter, which translate to the same tree) against an item.
 *
 * DynamoDB's semantics, which are not SQL's: a comparison involving a missing attribute or
 * values of different types is simply false, except `<>`, which is the negation of `=` and so
 * true. Only S, N and B are ordered (S by UTF-8 bytes, N numerically, B as unsigned bytes);
 * `=` compares any two values deeply, sets regardless of member order.
 */
import {
  attributeValuesEqual,
  compareAttributeValues,
  setContains,
  typeOf,
  type AttributeMap,
  type AttributeValue,
} from "../attribute-value.js";
import { DynamoNumber } from "../number.js";
import type { Condition, Operand } from "./ast.js";
import { getPath } from "./paths.js";

/** The value of a condition operand, or undefined when it names nothing. */
export function operandValue(operand: Operand, item: AttributeMap | undefined): AttributeValue | undefined {
  switch (operand.kind) {
    case "value":
      return operand.value;
    case "path":
      return getPath(item, operand.path);
    case "size": {
      const size = sizeOf(getPath(item, operand.path));
      return size === undefined ? undefined : { N: DynamoNumber.fromBigInt(BigInt(size)).toString() };
    }
    default:
      // Update-only operands never reach a condition (the resolver refuses them).
      return undefined;
  }
}

/**
 * size(): characters of a string (Unicode code points), bytes of a binary, members of a set,
 * elements of a list or map. Numbers, booleans and nulls have no size.
 */
export function sizeOf(value: AttributeValue | undefined): number | undefined {
  if (value === undefined) return undefined;
  if ("S" in value) return Array.from(value.S).length;
  if ("B" in value) return value.B.length;
  if ("SS" in value) return value.SS.length;
  if ("NS" in value) return value.NS.length;
  if ("BS" in value) return value.BS.length;
  if ("L" in value) return value.L.length;
  if ("M" in value) return Object.keys(value.M).length;
  return undefined;
}

function compare(op: string, a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (op === "=") return a !== undefined && b !== undefined && attributeValuesEqual(a, b);
  if (op === "<>") return !(a !== undefined && b !== undefined && attributeValuesEqual(a, b));
  if (a === undefined || b === undefined) return false;
  const c = compareAttributeValues(a, b);
  if (c === undefined) return false;
  switch (op) {
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

function beginsWith(value: AttributeValue | undefined, prefix: AttributeValue | undefined): boolean {
  if (value === undefined || prefix === undefined) return false;
  if ("S" in value && "S" in prefix) return value.S.startsWith(prefix.S);
  if ("B" in value && "B" in prefix) {
    return value.B.length >= prefix.B.length && value.B.subarray(0, prefix.B.length).equals(prefix.B);
  }
  return false;
}

/**
 * contains(): a substring of a string, a byte subsequence of a binary, a member of a set (of
 * the set's element type), or an element of a list (equal as a whole value).
 */
export function containsValue(value: AttributeValue | undefined, member: AttributeValue | undefined): boolean {
  if (value === undefined || member === undefined) return false;
  if ("S" in value) return "S" in member && value.S.includes(member.S);
  if ("B" in value) return "B" in member && value.B.includes(member.B);
  if ("SS" in value || "NS" in value || "BS" in value) return setContains(value, member);
  if ("L" in value) return value.L.some((element) => attributeValuesEqual(element, member));
  return false;
}

/** Whether `item` (absent: an empty item) satisfies `condition`. */
export function evaluateCondition(condition: Condition, item: AttributeMap | undefined): boolean {
  switch (condition.kind) {
    case "and":
      return evaluateCondition(condition.left, item) && evaluateCondition(condition.right, item);
    case "or":
      return evaluateCondition(condition.left, item) || evaluateCondition(condition.right, item);
    case "not":
      return !evaluateCondition(condition.condition, item);
    case "compare":
      return compare(condition.op, operandValue(condition.left, item), operandValue(condition.right, item));
    case "between": {
      const v = operandValue(condition.operand, item);
      const lo = operandValue(condition.lower, item);
      const hi = operandValue(condition.upper, item);
      if (v === undefined || lo === undefined || hi === undefined) return false;
      const a = compareAttributeValues(v, lo);
      const b = compareAttributeValues(v, hi);
      return a !== undefined && b !== undefined && a >= 0 && b <= 0;
    }
    case "in": {
      const v = operandValue(condition.operand, item);
      if (v === undefined) return false;
      return condition.candidates.some((c) => {
        const candidate = operandValue(c, item);
        return candidate !== undefined && attributeValuesEqual(v, candidate);
      });
    }
    case "attribute_exists":
      return getPath(item, condition.path) !== undefined;
    case "attribute_not_exists":
      return getPath(item, condition.path) === undefined;
    case "attribute_type": {
      const v = getPath(item, condition.path);
      return v !== undefined && typeOf(v) === condition.type;
    }
    case "begins_with":
      return beginsWith(operandValue(condition.operand, item), operandValue(condition.prefix, item));
    case "contains":
      return containsValue(operandValue(condition.operand, item), operandValue(condition.value, item));
  }
}
