/**
 * The resolved expression trees the evaluators work on. Placeholders are already substituted:
 * a path holds real attribute names, an operand holds the AttributeValue itself, so a parsed
 * expression can be evaluated against any number of items without the request around it.
 */
import type { AttributeType, AttributeValue } from "../attribute-value.js";

/** A document path: attribute and map-key names (strings) and list indexes (numbers). */
export type PathElement = string | number;
export type Path = readonly PathElement[];

/** DynamoDB's rendering of a path in messages: `[a, b, [2], c]`. */
export function formatPath(path: Path): string {
  return `[${path.map((e) => (typeof e === "number" ? `[${e}]` : e)).join(", ")}]`;
}

export type Operand =
  | { kind: "path"; path: Path }
  | { kind: "value"; value: AttributeValue }
  | { kind: "size"; path: Path }
  // Update expressions only:
  | { kind: "if_not_exists"; path: Path; fallback: Operand }
  | { kind: "list_append"; first: Operand; second: Operand }
  | { kind: "arithmetic"; op: "+" | "-"; left: Operand; right: Operand };

export type Comparator = "=" | "<>" | "<" | "<=" | ">" | ">=";

export type Condition =
  | { kind: "compare"; op: Comparator; left: Operand; right: Operand }
  | { kind: "between"; operand: Operand; lower: Operand; upper: Operand }
  | { kind: "in"; operand: Operand; candidates: Operand[] }
  | { kind: "and"; left: Condition; right: Condition }
  | { kind: "or"; left: Condition; right: Condition }
  | { kind: "not"; condition: Condition }
  | { kind: "attribute_exists"; path: Path }
  | { kind: "attribute_not_exists"; path: Path }
  | { kind: "attribute_type"; path: Path; type: AttributeType }
  | { kind: "begins_with"; operand: Operand; prefix: Operand }
  | { kind: "contains"; operand: Operand; value: Operand };

export type UpdateAction =
  | { kind: "SET"; path: Path; value: Operand }
  | { kind: "REMOVE"; path: Path }
  | { kind: "ADD"; path: Path; value: AttributeValue }
  | { kind: "DELETE"; path: Path; value: AttributeValue };

export interface UpdateExpressionAst {
  /** In the order written. */
  actions: UpdateAction[];
  /**
   * "legacy" when translated from AttributeUpdates, whose type errors AWS words differently
   * ("Type mismatch for attribute to update").
   */
  source: "expression" | "legacy";
}

export interface ProjectionAst {
  paths: Path[];
}
