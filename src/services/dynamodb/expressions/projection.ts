/**
 * Projection: the part of an item a ProjectionExpression (or AttributesToGet) asks for, in the
 * shape DynamoDB returns it. Requested paths keep their place in the document: `a.b` answers
 * `{a: {M: {b: ...}}}`. List elements picked by index are gathered into a shorter list in index
 * order (`a[3], a[1]` answers `a` as a two-element list), and paths that do not exist are left
 * out, including containers that would end up with nothing in them.
 */
import { cloneAttributeValue, setAttribute, type AttributeMap, type AttributeValue } from "../attribute-value.js";
import type { Path, PathElement } from "./ast.js";
import { step } from "./paths.js";

/** A tree of requested paths: a leaf takes the whole value, a branch descends. */
interface Request {
  leaf: boolean;
  children: Map<PathElement, Request>;
}

function buildRequest(paths: readonly Path[]): Request {
  const root: Request = { leaf: false, children: new Map() };
  for (const path of paths) {
    let node = root;
    for (const element of path) {
      let child = node.children.get(element);
      if (!child) {
        child = { leaf: false, children: new Map() };
        node.children.set(element, child);
      }
      node = child;
    }
    node.leaf = true;
  }
  return root;
}

function projectValue(value: AttributeValue, request: Request): AttributeValue | undefined {
  if (request.leaf) return cloneAttributeValue(value);
  if ("M" in value) {
    const out: AttributeMap = {};
    let any = false;
    for (const [element, child] of request.children) {
      if (typeof element !== "string") continue;
      const inner = step(value, element, false);
      const projected = inner === undefined ? undefined : projectValue(inner, child);
      if (projected !== undefined) {
        setAttribute(out, element, projected);
        any = true;
      }
    }
    return any ? { M: out } : undefined;
  }
  if ("L" in value) {
    const indexes = [...request.children.keys()].filter((e): e is number => typeof e === "number").sort((a, b) => a - b);
    const out: AttributeValue[] = [];
    for (const index of indexes) {
      const inner = value.L[index];
      const projected = inner === undefined ? undefined : projectValue(inner, request.children.get(index)!);
      if (projected !== undefined) out.push(projected);
    }
    return out.length > 0 ? { L: out } : undefined;
  }
  return undefined;
}

/** The projection of `item` onto `paths` (top-level names, or full document paths). */
export function project(item: AttributeMap, paths: readonly Path[]): AttributeMap {
  const request = buildRequest(paths);
  const out: AttributeMap = {};
  for (const [element, child] of request.children) {
    if (typeof element !== "string") continue;
    const value = step(item, element, true);
    const projected = value === undefined ? undefined : projectValue(value, child);
    if (projected !== undefined) setAttribute(out, element, projected);
  }
  return out;
}

/** The top-level attributes a projection reads (for index projections and key checks). */
export function projectedTopLevelNames(paths: readonly Path[]): string[] {
  return [...new Set(paths.map((p) => String(p[0])))];
}
