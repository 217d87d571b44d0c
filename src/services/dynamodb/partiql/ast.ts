/**
 * The statements of DynamoDB's PartiQL subset, resolved: parameters (`?`) are already replaced
 * by the request's Parameters and literals are AttributeValues, so the trees reuse the
 * expression library's Condition and UpdateAction shapes and its evaluators.
 */
import type { AttributeMap } from "../attribute-value.js";
import type { Condition, Path, UpdateAction } from "../expressions/ast.js";

export interface SelectStatement {
  kind: "SELECT";
  table: string;
  index?: string;
  /** Undefined for `SELECT *`. */
  projection?: Path[];
  where?: Condition;
  orderBy?: { path: Path; descending: boolean };
}

export interface InsertStatement {
  kind: "INSERT";
  table: string;
  item: AttributeMap;
}

export interface UpdateStatement {
  kind: "UPDATE";
  table: string;
  actions: UpdateAction[];
  where: Condition;
  returning?: PartiqlReturning;
}

export interface DeleteStatement {
  kind: "DELETE";
  table: string;
  where: Condition;
  returning?: PartiqlReturning;
}

/** `RETURNING ALL OLD *` and friends (UPDATE and DELETE). */
export type PartiqlReturning = "ALL_OLD" | "MODIFIED_OLD" | "ALL_NEW" | "MODIFIED_NEW";

export type Statement = SelectStatement | InsertStatement | UpdateStatement | DeleteStatement;
