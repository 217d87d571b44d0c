/**
 * Event filtering of event source mappings (FilterCriteria): each filter's Pattern is an
 * EventBridge-style pattern (the grammar of src/services/events/pattern.ts), matched against the
 * record as the function would see it; a record passes when any filter matches. Lambda allows up
 * to 5 filters per mapping by default.
 */
import { ServiceError } from "../../core/errors.js";
import { matches, parsePattern, type Pattern } from "../events/pattern.js";
import { LambdaErrors } from "./errors.js";

export interface FilterCriteria {
  Filters?: { Pattern?: string }[];
}

const MAX_FILTERS = 5;

/** Validates FilterCriteria as CreateEventSourceMapping does; returns the compiled patterns. */
export function compileFilters(criteria: FilterCriteria | undefined): Pattern[] {
  const filters = criteria?.Filters ?? [];
  if (filters.length > MAX_FILTERS) {
    throw new ServiceError(LambdaErrors.InvalidParameterValueException, `The number of filters exceeds the limit of ${MAX_FILTERS}.`, { Type: "User" });
  }
  return filters.map((f) => {
    try {
      return parsePattern(f.Pattern ?? "");
    } catch {
      throw new ServiceError(LambdaErrors.InvalidParameterValueException, "Invalid filter pattern definition.", { Type: "User" });
    }
  });
}

/** Whether a record passes the mapping's filters (no filters: every record does). */
export function passesFilters(patterns: Pattern[], record: unknown): boolean {
  return patterns.length === 0 || patterns.some((p) => matches(p, record));
}
