/**
 * EC2 `Filter.N.Name` / `Filter.N.Value.M` matching: a resource matches when, for every filter,
 * one of the filter's values matches the resource's value for that name. Values may use `*` and
 * `?` wildcards, as in AWS.
 */
import { ServiceError } from "../../core/errors.js";
import { Ec2Errors } from "./errors.js";

export interface Filter {
  Name?: string;
  Values?: string[];
}

function wildcard(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`);
}

/**
 * Keep the items that pass every filter. `fields` maps each supported filter name to the item's
 * value(s); an unsupported filter name is an error, as in AWS.
 */
export function applyFilters<T>(
  items: T[],
  filters: Filter[] | undefined,
  fields: Record<string, (item: T) => string | string[] | undefined>,
): T[] {
  if (!filters || filters.length === 0) return items;
  const compiled = filters.map((f) => {
    const name = f.Name ?? "";
    const get = fields[name];
    if (!get) throw new ServiceError(Ec2Errors.InvalidFilter, `The filter '${name}' is invalid`);
    return { get, patterns: (f.Values ?? []).map(wildcard) };
  });
  return items.filter((item) =>
    compiled.every(({ get, patterns }) => {
      const v = get(item);
      const values = v === undefined ? [] : Array.isArray(v) ? v : [v];
      return values.some((value) => patterns.some((p) => p.test(value)));
    }),
  );
}
