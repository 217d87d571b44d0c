/**
 * DynamoDB expressions, as a pure library: parse each expression kind of a request against the
 * request's ExpressionAttributeNames/Values, then evaluate the resolved trees against items.
 *
 * Typical use by a handler:
 *
 *     const attrs = trackUsage(req.ExpressionAttributeNames, req.ExpressionAttributeValues);
 *     const update = parseUpdate(req.UpdateExpression, attrs);
 *     const condition = req.ConditionExpression === undefined ? undefined : parseCondition(req.ConditionExpression, attrs);
 *     attrs.assertAllUsed();                       // unused names/values across both
 *     if (condition && !evaluateCondition(condition, old)) throw ConditionalCheckFailed
 *     const next = applyUpdate(old, update);
 *
 * Every parse refuses an empty expression, one over 4 KB, syntax errors (with DynamoDB's token
 * and "near" window), reserved words, undefined placeholders and misused functions, with the
 * "Invalid <Kind>: ..." messages AWS gives.
 */
import type { AttributeMap } from "../attribute-value.js";
import type { Condition, ProjectionAst, UpdateExpressionAst } from "./ast.js";
import { toAttributes, trackUsage, type AttributeSource } from "./attributes.js";
import { evaluateCondition } from "./condition.js";
import { keyPartsFromCondition, planKeyParts, type KeyConditionPlan, type KeySchema } from "./key-condition.js";
import { parseConditionSyntax, parseProjectionSyntax, parseUpdateSyntax } from "./parser.js";
import { project } from "./projection.js";
import { Resolver } from "./resolve.js";
import { expressionError, type ExpressionKind } from "./tokenizer.js";
import { applyUpdate } from "./update.js";

export * from "./ast.js";
export { ExpressionAttributes, trackUsage, type AttributeSource } from "./attributes.js";
export { containsValue, evaluateCondition, operandValue, sizeOf } from "./condition.js";
export {
  keyPartsFromCondition,
  matchesKeyCondition,
  matchesSortKeyCondition,
  planKeyParts,
  sortKeyRange,
  type Bound,
  type KeyConditionPlan,
  type KeyPart,
  type KeySchema,
  type SortKeyCondition,
  type SortKeyOperator,
} from "./key-condition.js";
export {
  PARAMETER_STYLES,
  attributeUpdatesToUpdate,
  attributesToGetToProjection,
  checkParameterStyle,
  expectedToCondition,
  filterToCondition,
  keyConditionsToPlan,
  type AttributeValueUpdate,
  type ComparisonOperator,
  type ExpectedAttributeValue,
  type LegacyCondition,
} from "./legacy.js";
export { getPath } from "./paths.js";
export { project, projectedTopLevelNames } from "./projection.js";
export { RESERVED_WORDS, isReservedWord } from "./reserved-words.js";
export type { ExpressionKind } from "./tokenizer.js";
export {
  INCORRECT_OPERAND_TYPE,
  INVALID_UPDATE_PATH,
  LEGACY_TYPE_MISMATCH,
  MISSING_OPERAND_ATTRIBUTE,
  applyUpdate,
  evaluateUpdateOperand,
  touchesAttribute,
  updatedAttributeNames,
} from "./update.js";

/** An expression string may be at most 4 KB (UTF-8). */
export const MAX_EXPRESSION_BYTES = 4096;

function precheck(text: string, kind: ExpressionKind): void {
  if (typeof text !== "string" || text.trim() === "") throw expressionError(kind, "The expression can not be empty;");
  const size = Buffer.byteLength(text, "utf8");
  if (size > MAX_EXPRESSION_BYTES) {
    throw expressionError(kind, `Expression size has exceeded the maximum allowed size; expression size: ${size}`);
  }
}

/** A ConditionExpression (or, with `kind`, a FilterExpression) as a resolved condition. */
export function parseCondition(
  text: string,
  attributes?: AttributeSource,
  kind: "ConditionExpression" | "FilterExpression" = "ConditionExpression",
): Condition {
  precheck(text, kind);
  const raw = parseConditionSyntax(text, kind);
  const resolver = new Resolver(kind, toAttributes(attributes));
  resolver.checkNames([raw]);
  return resolver.condition(raw);
}

/** A FilterExpression as a resolved condition. */
export function parseFilter(text: string, attributes?: AttributeSource): Condition {
  return parseCondition(text, attributes, "FilterExpression");
}

/** An UpdateExpression as a resolved list of actions. */
export function parseUpdate(text: string, attributes?: AttributeSource): UpdateExpressionAst {
  precheck(text, "UpdateExpression");
  const raw = parseUpdateSyntax(text);
  const resolver = new Resolver("UpdateExpression", toAttributes(attributes));
  return { actions: resolver.update(raw), source: "expression" };
}

/** A ProjectionExpression as resolved paths. */
export function parseProjection(text: string, attributes?: AttributeSource): ProjectionAst {
  precheck(text, "ProjectionExpression");
  const raw = parseProjectionSyntax(text);
  const resolver = new Resolver("ProjectionExpression", toAttributes(attributes));
  resolver.checkNames(raw);
  const paths = raw.map((p) => resolver.path(p));
  resolver.checkOverlaps(paths);
  return { paths };
}

/**
 * A KeyConditionExpression checked against the key schema of the table or index queried, as a
 * plan: the partition key value and at most one sort-key condition.
 */
export function parseKeyCondition(text: string, attributes: AttributeSource, schema: KeySchema): KeyConditionPlan {
  precheck(text, "KeyConditionExpression");
  const raw = parseConditionSyntax(text, "KeyConditionExpression");
  const resolver = new Resolver("KeyConditionExpression", toAttributes(attributes));
  resolver.checkNames([raw]);
  return planKeyParts(keyPartsFromCondition(resolver.condition(raw)), schema);
}

// ---------------------------------------------------------------------------------------------
// One-call conveniences for a single expression (they also refuse unused names and values).

/** Whether `item` satisfies the ConditionExpression `text`. */
export function checkCondition(
  item: AttributeMap | undefined,
  text: string,
  names?: Record<string, string>,
  values?: Record<string, unknown>,
): boolean {
  const attrs = trackUsage(names, values);
  const condition = parseCondition(text, attrs);
  attrs.assertAllUsed();
  return evaluateCondition(condition, item);
}

/** `item` after the UpdateExpression `text` (the input is not modified). */
export function applyUpdateExpression(
  item: AttributeMap | undefined,
  text: string,
  names?: Record<string, string>,
  values?: Record<string, unknown>,
): AttributeMap {
  const attrs = trackUsage(names, values);
  const update = parseUpdate(text, attrs);
  attrs.assertAllUsed();
  return applyUpdate(item, update);
}

/** `item` projected through the ProjectionExpression `text`. */
export function projectExpression(item: AttributeMap, text: string, names?: Record<string, string>): AttributeMap {
  const attrs = trackUsage(names);
  const projection = parseProjection(text, attrs);
  attrs.assertAllUsed();
  return project(item, projection.paths);
}
