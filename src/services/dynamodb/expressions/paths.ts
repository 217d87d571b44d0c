/**
 * Reading document paths out of items. A path that runs through a missing attribute, a map key
 * on something that is not a map, or an index on something that is not a list (or past its
 * end) simply does not exist: conditions see it as absent, projections skip it.
 */
import type { AttributeMap, AttributeValue } from "../attribute-value.js";
import type { Path, PathElement } from "./ast.js";

/** One step down from a value (or from the item itself, for the first element). */
export function step(container: AttributeValue | AttributeMap, element: PathElement, top: boolean): AttributeValue | undefined {
  if (typeof element === "number") {
    if (top || !("L" in container)) return undefined;
    return (container.L as AttributeValue[])[element];
  }
  if (top) return Object.prototype.hasOwnProperty.call(container, element) ? (container as AttributeMap)[element] : undefined;
  if (!("M" in container)) return undefined;
  const map = container.M as AttributeMap;
  return Object.prototype.hasOwnProperty.call(map, element) ? map[element] : undefined;
}

/** The value at `path` in `item`, or undefined when the path does not exist. */
export function getPath(item: AttributeMap | undefined, path: Path): AttributeValue | undefined {
  if (!item || path.length === 0) return undefined;
  let current: AttributeValue | undefined = step(item, path[0]!, true);
  for (let i = 1; i < path.length && current !== undefined; i++) current = step(current, path[i]!, false);
  return current;
}
