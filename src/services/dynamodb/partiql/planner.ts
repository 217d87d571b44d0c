/**
 * Turning a parsed PartiQL statement into table operations, given the key schema of the table
 * (or index) it names:
 *
 * - SELECT whose WHERE has, at its top AND level, an equality on the partition key runs as a
 *   Query on that partition (with the sort-key condition narrowing the range when there is one
 *   it can use); anything else is a Scan. The whole WHERE is still applied as a filter, so the
 *   plan only ever narrows what is read, never what is returned.
 * - UPDATE and DELETE must name the whole primary key by equality (DynamoDB's rule); the WHERE
 *   then also acts as the condition on the existing item.
 * - INSERT must carry the key attributes.
 */
import { attributeValuesEqual, type AttributeMap, type AttributeValue } from "../attribute-value.js";
import { validationError } from "../errors.js";
import type { Condition, Operand } from "../expressions/ast.js";
import type { KeySchema, SortKeyCondition } from "../expressions/key-condition.js";

export const MISSING_KEY_EQUALITY = "Where clause does not contain a mandatory equality on all key attributes";

/** The conjuncts of a condition's top AND level. */
export function conjuncts(condition: Condition | undefined): Condition[] {
  if (!condition) return [];
  if (condition.kind === "and") return [...conjuncts(condition.left), ...conjuncts(condition.right)];
  return [condition];
}

function topName(operand: Operand): string | undefined {
  return operand.kind === "path" && operand.path.length === 1 && typeof operand.path[0] === "string" ? operand.path[0] : undefined;
}

/** `name = value` (either side) as [name, value]. */
function equality(c: Condition): [string, AttributeValue] | undefined {
  if (c.kind !== "compare" || c.op !== "=") return undefined;
  const l = topName(c.left);
  if (l !== undefined && c.right.kind === "value") return [l, c.right.value];
  const r = topName(c.right);
  if (r !== undefined && c.left.kind === "value") return [r, c.left.value];
  return undefined;
}

const FLIP = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=" } as const;

function sortKeyCondition(c: Condition, sortKey: string): SortKeyCondition | undefined {
  if (c.kind === "compare" && c.op !== "<>") {
    if (topName(c.left) === sortKey && c.right.kind === "value") return { name: sortKey, op: c.op, value: c.right.value };
    if (topName(c.right) === sortKey && c.left.kind === "value") return { name: sortKey, op: FLIP[c.op], value: c.left.value };
  }
  if (c.kind === "between" && topName(c.operand) === sortKey && c.lower.kind === "value" && c.upper.kind === "value") {
    return { name: sortKey, op: "BETWEEN", lower: c.lower.value, upper: c.upper.value };
  }
  if (c.kind === "begins_with" && topName(c.operand) === sortKey && c.prefix.kind === "value") {
    return { name: sortKey, op: "begins_with", prefix: c.prefix.value };
  }
  return undefined;
}

export type SelectPlan =
  | { kind: "query"; partitionKey: { name: string; value: AttributeValue }; sortKey?: SortKeyCondition; filter: Condition }
  | { kind: "scan"; filter?: Condition };

/** How a SELECT's WHERE reads the table or index with key schema `schema`. */
export function planSelect(where: Condition | undefined, schema: KeySchema): SelectPlan {
  const parts = conjuncts(where);
  for (const c of parts) {
    const eq = equality(c);
    if (!eq || eq[0] !== schema.partitionKey) continue;
    const type = schema.attributeTypes?.[schema.partitionKey];
    // A partition value of another type matches nothing; a Query would refuse it, so scan-filter.
    if (type && !(type in eq[1])) break;
    let sortKey: SortKeyCondition | undefined;
    if (schema.sortKey) {
      for (const s of parts) {
        const sk = sortKeyCondition(s, schema.sortKey);
        const skType = schema.attributeTypes?.[schema.sortKey];
        const values = sk ? (sk.op === "BETWEEN" ? [sk.lower, sk.upper] : sk.op === "begins_with" ? [sk.prefix] : [sk.value]) : [];
        // begins_with narrows only S and B keys; on a number it can only ever be false (filter).
        const usable = sk && (sk.op !== "begins_with" || !("N" in sk.prefix)) && (!skType || values.every((v) => skType in v));
        if (sk && usable) {
          sortKey = sk;
          break;
        }
      }
    }
    return { kind: "query", partitionKey: { name: eq[0], value: eq[1] }, ...(sortKey ? { sortKey } : {}), filter: where! };
  }
  return where ? { kind: "scan", filter: where } : { kind: "scan" };
}

/** The primary key an UPDATE or DELETE names; refuses a WHERE without equality on every key attribute. */
export function keyFromWhere(where: Condition, schema: KeySchema): AttributeMap {
  const key: AttributeMap = {};
  for (const c of conjuncts(where)) {
    const eq = equality(c);
    if (!eq || (eq[0] !== schema.partitionKey && eq[0] !== schema.sortKey)) continue;
    const prior = key[eq[0]];
    if (prior && !attributeValuesEqual(prior, eq[1])) throw validationError(MISSING_KEY_EQUALITY);
    key[eq[0]] = eq[1];
  }
  if (!key[schema.partitionKey] || (schema.sortKey && !key[schema.sortKey])) throw validationError(MISSING_KEY_EQUALITY);
  return key;
}

/** The primary key of an INSERT's item, refusing an item without its key attributes. */
export function keyOfItem(item: AttributeMap, schema: KeySchema): AttributeMap {
  const key: AttributeMap = {};
  for (const name of [schema.partitionKey, schema.sortKey]) {
    if (name === undefined) continue;
    const v = item[name];
    if (!v) throw validationError(`One or more parameter values were invalid: Missing the key ${name} in the item`);
    key[name] = v;
  }
  return key;
}
