/**
 * Wildcards and policy variables: the text patterns shared by Action, Resource and Condition
 * matching. A pattern is parsed once into tokens; patterns without variables become one cached
 * RegExp (or a plain string compare), patterns with variables are resolved per request.
 */

/** A literal run of text, a wildcard, or a policy variable such as `${aws:username, 'x'}`. */
export type Token = string | { wild: "*" | "?" } | { variable: string; fallback?: string };

export interface Template {
  readonly source: string;
  readonly tokens: readonly Token[];
  readonly hasVariables: boolean;
  readonly hasWildcards: boolean;
}

/** How `*` and `?` are turned into regular expressions. */
export type WildcardStyle =
  /** `*` is any run of characters, `?` any one character (actions, StringLike, ARN parts). */
  | "plain"
  /**
   * Resource ARNs: a wildcard stays inside its colon-separated segment, except a `*` that ends a
   * segment, which may run past colons (AWS documents both rules for the Resource element).
   */
  | "arn";

/** Looks a request-context key (lower-cased) up as text; undefined when it has no usable value. */
export type VariableLookup = (key: string) => string | undefined;

const SPECIAL: Record<string, string> = { "*": "*", "?": "?", $: "$" };
const WITH_DEFAULT = /^\s*([^,]+?)\s*,\s*'(.*)'\s*$/s;

/**
 * Parses pattern text. `wildcards`: whether `*`/`?` are wildcards (not in StringEquals);
 * `variables`: whether `${...}` is a policy variable (only in Version 2012-10-17 documents).
 */
export function parseTemplate(source: string, wildcards: boolean, variables: boolean): Template {
  const tokens: Token[] = [];
  let literal = "";
  let hasVariables = false;
  let hasWildcards = false;
  const flush = () => {
    if (literal) tokens.push(literal);
    literal = "";
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (variables && c === "$" && source[i + 1] === "{") {
      const end = source.indexOf("}", i + 2);
      if (end > 0) {
        const inner = source.slice(i + 2, end);
        const special = SPECIAL[inner];
        if (special !== undefined) {
          // ${*}, ${?} and ${$} stand for the character itself, never a wildcard.
          literal += special;
        } else {
          flush();
          const withDefault = WITH_DEFAULT.exec(inner);
          if (withDefault) {
            tokens.push({ variable: withDefault[1]!.toLowerCase(), fallback: withDefault[2]! });
          } else {
            tokens.push({ variable: inner.trim().toLowerCase() });
          }
          hasVariables = true;
        }
        i = end;
        continue;
      }
    }
    if (wildcards && (c === "*" || c === "?")) {
      flush();
      tokens.push({ wild: c });
      hasWildcards = true;
      continue;
    }
    literal += c;
  }
  flush();
  return { source, tokens, hasVariables, hasWildcards };
}

/**
 * Substitutes variables. Returns the tokens with every variable replaced by literal text, or
 * undefined when a variable has neither a value nor a default (the pattern then matches nothing).
 */
export function resolveTokens(template: Template, lookup: VariableLookup): Token[] | undefined {
  if (!template.hasVariables) return template.tokens as Token[];
  const out: Token[] = [];
  for (const t of template.tokens) {
    if (typeof t === "object" && "variable" in t) {
      const value = lookup(t.variable) ?? t.fallback;
      if (value === undefined) return undefined;
      const last = out[out.length - 1];
      if (typeof last === "string") out[out.length - 1] = last + value;
      else out.push(value);
    } else if (typeof t === "string" && typeof out[out.length - 1] === "string") {
      out[out.length - 1] = (out[out.length - 1] as string) + t;
    } else {
      out.push(t);
    }
  }
  return out;
}

/** The literal text of resolved tokens (wildcard tokens contribute their character). */
export function tokensToText(tokens: readonly Token[]): string {
  let s = "";
  for (const t of tokens) s += typeof t === "string" ? t : "wild" in t ? t.wild : "";
  return s;
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

export function escapeRegExp(s: string): string {
  return s.replace(REGEX_SPECIAL, "\\$&");
}

/** Builds an anchored RegExp from resolved tokens. */
export function tokensToRegExp(tokens: readonly Token[], style: WildcardStyle, ignoreCase = false): RegExp {
  let src = "^";
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (typeof t === "string") {
      src += escapeRegExp(t);
    } else if ("wild" in t) {
      if (style === "plain") {
        src += t.wild === "*" ? ".*" : ".";
      } else if (t.wild === "?") {
        src += "[^:]";
      } else {
        const next = tokens[i + 1];
        const endsSegment = next === undefined || (typeof next === "string" && next.startsWith(":"));
        src += endsSegment ? ".*" : "[^:]*";
      }
    }
  }
  return new RegExp(src + "$", ignoreCase ? "is" : "s");
}

/**
 * A compiled text matcher: exact compare when the pattern has no wildcard, a RegExp otherwise.
 * Patterns with variables keep a small cache of the RegExps built for the values seen.
 */
export class PatternMatcher {
  private readonly exact: string | undefined;
  private readonly regex: RegExp | undefined;
  private readonly resolved: Map<string, RegExp | string> | undefined;
  readonly matchesEverything: boolean;

  constructor(
    readonly template: Template,
    private readonly style: WildcardStyle,
    private readonly ignoreCase = false,
  ) {
    const t = template.tokens;
    const only = t.length === 1 ? t[0] : undefined;
    this.matchesEverything = typeof only === "object" && "wild" in only && only.wild === "*";
    if (template.hasVariables) {
      this.resolved = new Map();
    } else if (template.hasWildcards) {
      this.regex = tokensToRegExp(t, style, ignoreCase);
    } else {
      const text = tokensToText(t);
      this.exact = ignoreCase ? text.toLowerCase() : text;
    }
  }

  /** `value` must already be lower-cased when the matcher ignores case. */
  test(value: string, lookup: VariableLookup): boolean {
    if (this.exact !== undefined) return this.exact === value;
    if (this.regex) return this.regex.test(value);
    return this.testResolved(value, lookup) === true;
  }

  /** Like test, but undefined when a variable could not be resolved. */
  testResolved(value: string, lookup: VariableLookup): boolean | undefined {
    if (!this.resolved) return this.test(value, lookup);
    const tokens = resolveTokens(this.template, lookup);
    if (!tokens) return undefined;
    // Keyed by token structure, not text: a literal "*" (from ${*} or a value) is not a wildcard.
    let key = "";
    for (const t of tokens) key += typeof t === "string" ? "\u0001" + t : "\u0002" + ("wild" in t ? t.wild : "");
    let m = this.resolved.get(key);
    if (m === undefined) {
      if (this.template.hasWildcards) m = tokensToRegExp(tokens, this.style, this.ignoreCase);
      else m = this.ignoreCase ? tokensToText(tokens).toLowerCase() : tokensToText(tokens);
      // Bounded: variable values come from requests, so the set of resolutions is open-ended.
      if (this.resolved.size >= 256) this.resolved.clear();
      this.resolved.set(key, m);
    }
    return typeof m === "string" ? m === value : m.test(value);
  }
}
