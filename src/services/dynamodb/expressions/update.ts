/**
 * Applying an update (UpdateExpression, or AttributeUpdates translated to the same tree) to an
 * item, returning a new item and leaving the input untouched.
 *
 * DynamoDB's semantics:
 * - Every operand is read from the item as it was before the update, so `SET a = b, b = a`
 *   swaps. (Target paths never overlap, which the parser guarantees.)
 * - SET on a list index past the end appends; several such appends land in index order.
 * - REMOVE of list elements uses the indexes as written against the original list, and the
 *   remaining elements close up (REMOVE a[1], a[2] on [0,1,2,3] leaves [0,3]). Removals are
 *   therefore applied last, once every other action has found its target.
 * - ADD creates (a number, or a set) or adds (numbers arithmetically, sets by union); DELETE
 *   subtracts from a set and removes the attribute when nothing is left.
 */
import {
  attributeValuesEqual,
  cloneAttributeValue,
  cloneItem,
  setAttribute,
  type AttributeMap,
  type AttributeValue,
} from "../attribute-value.js";
import { validationError } from "../errors.js";
import { DynamoNumber } from "../number.js";
import type { Operand, Path, UpdateExpressionAst } from "./ast.js";
import { getPath } from "./paths.js";

export const INCORRECT_OPERAND_TYPE = "An operand in the update expression has an incorrect data type";
export const MISSING_OPERAND_ATTRIBUTE = "The provided expression refers to an attribute that does not exist in the item";
export const INVALID_UPDATE_PATH = "The document path provided in the update expression is invalid for update";
/** AttributeUpdates' wording for an ADD or DELETE of the wrong type. */
export const LEGACY_TYPE_MISMATCH = "Type mismatch for attribute to update";

type Slot =
  | { kind: "map"; map: AttributeMap; key: string }
  | { kind: "list"; list: AttributeValue[]; index: number };

/**
 * Where `path` lives in `item`: the map or list holding its last element. "missing" when the
 * parent does not exist, "wrong" when the parent is not a map (for a name) or list (for an
 * index).
 */
function locate(item: AttributeMap, path: Path): Slot | "missing" | "wrong" {
  const last = path[path.length - 1]!;
  if (path.length === 1) return typeof last === "string" ? { kind: "map", map: item, key: last } : "wrong";
  const parent = getPath(item, path.slice(0, -1));
  if (parent === undefined) return "missing";
  if (typeof last === "string") return "M" in parent ? { kind: "map", map: parent.M, key: last } : "wrong";
  return "L" in parent ? { kind: "list", list: parent.L, index: last } : "wrong";
}

function read(slot: Slot): AttributeValue | undefined {
  if (slot.kind === "map") return Object.prototype.hasOwnProperty.call(slot.map, slot.key) ? slot.map[slot.key] : undefined;
  return slot.list[slot.index];
}

function numberOf(value: AttributeValue): DynamoNumber | undefined {
  return "N" in value ? DynamoNumber.parseUnchecked(value.N) : undefined;
}

/** The value of a SET operand, read from the item before the update. */
export function evaluateUpdateOperand(operand: Operand, original: AttributeMap | undefined): AttributeValue {
  switch (operand.kind) {
    case "value":
      return cloneAttributeValue(operand.value);
    case "path": {
      const v = getPath(original, operand.path);
      if (v === undefined) throw validationError(MISSING_OPERAND_ATTRIBUTE);
      return cloneAttributeValue(v);
    }
    case "if_not_exists": {
      const v = getPath(original, operand.path);
      return v === undefined ? evaluateUpdateOperand(operand.fallback, original) : cloneAttributeValue(v);
    }
    case "list_append": {
      const first = evaluateUpdateOperand(operand.first, original);
      const second = evaluateUpdateOperand(operand.second, original);
      if (!("L" in first) || !("L" in second)) throw validationError(INCORRECT_OPERAND_TYPE);
      return { L: [...first.L, ...second.L] };
    }
    case "arithmetic": {
      const left = numberOf(evaluateUpdateOperand(operand.left, original));
      const right = numberOf(evaluateUpdateOperand(operand.right, original));
      if (left === undefined || right === undefined) throw validationError(INCORRECT_OPERAND_TYPE);
      const result = operand.op === "+" ? left.add(right) : left.subtract(right);
      return { N: result.toString() };
    }
    case "size":
      // Refused by the parser in update expressions; kept total for the type checker.
      throw validationError(INCORRECT_OPERAND_TYPE);
  }
}

/** Set union, keeping the existing members' order and appending new ones. */
function union(existing: AttributeValue, added: AttributeValue): AttributeValue | undefined {
  if ("SS" in existing && "SS" in added) return { SS: [...existing.SS, ...added.SS.filter((s) => !existing.SS.includes(s))] };
  if ("NS" in existing && "NS" in added) {
    const have = existing.NS.map((n) => DynamoNumber.parseUnchecked(n));
    const extra = added.NS.filter((n) => !have.some((h) => h.equals(DynamoNumber.parseUnchecked(n))));
    return { NS: [...existing.NS, ...extra] };
  }
  if ("BS" in existing && "BS" in added) return { BS: [...existing.BS, ...added.BS.filter((b) => !existing.BS.some((e) => e.equals(b)))] };
  return undefined;
}

/** Set difference; an empty result means the attribute goes. */
function difference(existing: AttributeValue, removed: AttributeValue): AttributeValue | undefined {
  if ("SS" in existing && "SS" in removed) return { SS: existing.SS.filter((s) => !removed.SS.includes(s)) };
  if ("NS" in existing && "NS" in removed) {
    return { NS: existing.NS.filter((n) => !removed.NS.some((r) => attributeValuesEqual({ N: n }, { N: r }))) };
  }
  if ("BS" in existing && "BS" in removed) return { BS: existing.BS.filter((b) => !removed.BS.some((r) => r.equals(b))) };
  return undefined;
}

function isEmptySet(value: AttributeValue): boolean {
  return ("SS" in value && value.SS.length === 0) || ("NS" in value && value.NS.length === 0) || ("BS" in value && value.BS.length === 0);
}

/**
 * Applies `update` to `item` (absent: the item does not exist yet, and the update starts from
 * nothing; the caller adds the key). Throws ValidationException in AWS's words for type errors,
 * missing operands and paths that cannot be written.
 */
export function applyUpdate(item: AttributeMap | undefined, update: UpdateExpressionAst): AttributeMap {
  const original = item ?? {};
  const working = cloneItem(original);
  const typeError = (): Error => validationError(update.source === "legacy" ? LEGACY_TYPE_MISMATCH : INCORRECT_OPERAND_TYPE);

  // 1. Every SET value, from the original item.
  const setValues = update.actions.map((a) => (a.kind === "SET" ? evaluateUpdateOperand(a.value, original) : undefined));

  // 2. Removal targets, found before anything moves. List removals keep their original indexes.
  const removals: Slot[] = [];
  for (const a of update.actions) {
    if (a.kind !== "REMOVE") continue;
    const slot = locate(working, a.path);
    if (slot === "missing") continue;
    if (slot === "wrong") throw validationError(INVALID_UPDATE_PATH);
    if (read(slot) !== undefined) removals.push(slot);
  }

  // 3. SET, ADD and DELETE in the order written; appends past a list's end wait for step 4.
  const appends = new Map<AttributeValue[], { index: number; value: AttributeValue }[]>();
  const write = (slot: Slot, value: AttributeValue): void => {
    if (slot.kind === "map") {
      setAttribute(slot.map, slot.key, value);
    } else if (slot.index < slot.list.length) {
      slot.list[slot.index] = value;
    } else {
      const pending = appends.get(slot.list) ?? [];
      pending.push({ index: slot.index, value });
      appends.set(slot.list, pending);
    }
  };
  update.actions.forEach((a, i) => {
    if (a.kind === "REMOVE") return;
    const slot = locate(working, a.path);
    if (a.kind === "DELETE" && slot === "missing") return;
    if (slot === "missing" || slot === "wrong") throw validationError(INVALID_UPDATE_PATH);
    if (a.kind === "SET") {
      write(slot, setValues[i]!);
      return;
    }
    const existing = read(slot);
    if (a.kind === "ADD") {
      if (existing === undefined) {
        write(slot, cloneAttributeValue(a.value));
        return;
      }
      if ("N" in existing && "N" in a.value) {
        const sum = DynamoNumber.parseUnchecked(existing.N).add(DynamoNumber.parseUnchecked(a.value.N));
        write(slot, { N: sum.toString() });
        return;
      }
      const merged = union(existing, a.value);
      if (merged === undefined) throw typeError();
      write(slot, merged);
      return;
    }
    // DELETE
    if (existing === undefined) return;
    const rest = difference(existing, a.value);
    if (rest === undefined) throw typeError();
    if (isEmptySet(rest)) removals.push(slot);
    else write(slot, rest);
  });

  // 4. Appends, in index order per list.
  for (const [list, pending] of appends) {
    pending.sort((x, y) => x.index - y.index);
    for (const p of pending) list.push(p.value);
  }

  // 5. Removals: map keys directly, list elements from the highest original index down.
  const byList = new Map<AttributeValue[], Set<number>>();
  for (const slot of removals) {
    if (slot.kind === "map") {
      delete slot.map[slot.key];
    } else {
      const indexes = byList.get(slot.list) ?? new Set<number>();
      indexes.add(slot.index);
      byList.set(slot.list, indexes);
    }
  }
  for (const [list, indexes] of byList) {
    for (const index of [...indexes].sort((x, y) => y - x)) list.splice(index, 1);
  }
  return working;
}

/** Top-level attribute names an update writes or removes (to refuse updates to key attributes). */
export function updatedAttributeNames(update: UpdateExpressionAst): string[] {
  const names = new Set<string>();
  for (const a of update.actions) names.add(String(a.path[0]));
  return [...names];
}

/** Whether an update writes or removes anything under the top-level attribute `name`. */
export function touchesAttribute(update: UpdateExpressionAst, name: string): boolean {
  return update.actions.some((a) => a.path[0] === name);
}
