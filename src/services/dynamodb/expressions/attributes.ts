/**
 * ExpressionAttributeNames and ExpressionAttributeValues of one request, and which of them the
 * request's expressions used. One request may carry several expressions (a Query's key
 * condition, filter and projection; an UpdateItem's update and condition) that share these
 * maps, and AWS refuses any entry none of them used. So the maps are wrapped once per request,
 * every parse marks what it resolves, and `assertAllUsed()` runs after the last parse.
 */
import { validateAttributeValue, type AttributeValue } from "../attribute-value.js";
import { validationError } from "../errors.js";
import { expressionError, type ExpressionKind } from "./tokenizer.js";

const NAME_KEY = /^#[A-Za-z0-9_]+$/;
const VALUE_KEY = /^:[A-Za-z0-9_]+$/;

export class ExpressionAttributes {
  readonly names: ReadonlyMap<string, string>;
  readonly values: ReadonlyMap<string, AttributeValue>;
  private readonly usedNames = new Set<string>();
  private readonly usedValues = new Set<string>();

  /**
   * Validates both maps as AWS does before it reads any expression: neither may be present but
   * empty, keys must be `#word` / `:word`, values must be valid AttributeValues (returned
   * normalised, e.g. numbers canonical).
   */
  constructor(names?: Record<string, string> | null, values?: Record<string, unknown> | null) {
    const nameMap = new Map<string, string>();
    if (names != null) {
      const entries = Object.entries(names);
      if (entries.length === 0) throw validationError("ExpressionAttributeNames must not be empty");
      for (const [key, name] of entries) {
        if (!NAME_KEY.test(key)) {
          throw validationError(`ExpressionAttributeNames contains invalid key: Syntax error; key: "${key}"`);
        }
        if (typeof name !== "string" || name.length === 0) {
          throw validationError(`ExpressionAttributeNames contains invalid value: Empty attribute name for key ${key}`);
        }
        nameMap.set(key, name);
      }
    }
    const valueMap = new Map<string, AttributeValue>();
    if (values != null) {
      const entries = Object.entries(values);
      if (entries.length === 0) throw validationError("ExpressionAttributeValues must not be empty");
      for (const [key, raw] of entries) {
        if (!VALUE_KEY.test(key)) {
          throw validationError(`ExpressionAttributeValues contains invalid key: Syntax error; key: "${key}"`);
        }
        try {
          valueMap.set(key, validateAttributeValue(raw));
        } catch (e) {
          const detail = e instanceof Error ? e.message : String(e);
          throw validationError(`ExpressionAttributeValues contains invalid value: ${detail} for key ${key}`);
        }
      }
    }
    this.names = nameMap;
    this.values = valueMap;
  }

  /** Resolves `#ref`, marking it used; refuses an undefined one in AWS's words. */
  name(ref: string, kind: ExpressionKind): string {
    const name = this.names.get(ref);
    if (name === undefined) {
      throw expressionError(kind, `An expression attribute name used in the document path is not defined; attribute name: ${ref}`);
    }
    this.usedNames.add(ref);
    return name;
  }

  /** Resolves `:ref`, marking it used; refuses an undefined one in AWS's words. */
  value(ref: string, kind: ExpressionKind): AttributeValue {
    const value = this.values.get(ref);
    if (value === undefined) {
      throw expressionError(kind, `An expression attribute value used in expression is not defined; attribute value: ${ref}`);
    }
    this.usedValues.add(ref);
    return value;
  }

  unusedNames(): string[] {
    return [...this.names.keys()].filter((k) => !this.usedNames.has(k));
  }

  unusedValues(): string[] {
    return [...this.values.keys()].filter((k) => !this.usedValues.has(k));
  }

  /** Call after every expression of the request is parsed. Names are reported before values. */
  assertAllUsed(): void {
    const names = this.unusedNames();
    if (names.length > 0) {
      throw validationError(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${names.join(", ")}}`);
    }
    const values = this.unusedValues();
    if (values.length > 0) {
      throw validationError(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${values.join(", ")}}`);
    }
  }
}

/** Wraps one request's ExpressionAttributeNames/Values for the parses that follow. */
export function trackUsage(
  names?: Record<string, string> | null,
  values?: Record<string, unknown> | null,
): ExpressionAttributes {
  return new ExpressionAttributes(names, values);
}

/** What the parse functions accept: a tracker shared across a request, or the bare maps. */
export type AttributeSource =
  | ExpressionAttributes
  | { names?: Record<string, string> | null; values?: Record<string, unknown> | null }
  | undefined;

export function toAttributes(source: AttributeSource): ExpressionAttributes {
  if (source instanceof ExpressionAttributes) return source;
  return new ExpressionAttributes(source?.names, source?.values);
}
