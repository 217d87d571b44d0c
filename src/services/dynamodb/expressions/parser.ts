/**
 * Recursive-descent parsers for DynamoDB's expression grammars, producing syntax trees that
 * still hold placeholders and tokens. Only syntax is decided here; names, values, function
 * rules and types are checked by `resolve.ts`, after the whole text has parsed, which is the
 * order in which DynamoDB reports problems (a syntax error anywhere wins over, say, an
 * undefined placeholder earlier in the text).
 *
 * Condition grammar (ConditionExpression, FilterExpression, KeyConditionExpression), loosest
 * binding first:
 *
 *     condition := and ( OR and )*
 *     and       := not ( AND not )*
 *     not       := NOT not | primary
 *     primary   := '(' condition ')'
 *                | operand comparator operand
 *                | operand BETWEEN operand AND operand
 *                | operand IN '(' operand ( ',' operand )* ')'
 *                | function
 *     operand   := path | :value | function
 *     function  := identifier '(' operand ( ',' operand )* ')'
 *     path      := ( identifier | #name ) ( '.' ( identifier | #name ) | '[' digits ']' )*
 *
 * Update grammar: one or more clauses `SET a = v, ...`, `REMOVE path, ...`, `ADD path :v, ...`,
 * `DELETE path :v, ...`, where a SET value is `operand [ ('+' | '-') operand ]` and functions
 * take operands. Projection grammar: `path ( ',' path )*`. Keywords are case-insensitive;
 * function names are not (they are checked later, against exact spellings).
 */
import { syntaxError, tokenize, type ExpressionKind, type Token } from "./tokenizer.js";

export type RawPathElement =
  | { kind: "ident"; text: string; token: Token }
  | { kind: "name"; text: string; token: Token }
  | { kind: "index"; index: number; token: Token };

export interface RawPath {
  kind: "path";
  elements: RawPathElement[];
  token: Token;
}
export interface RawValue {
  kind: "value";
  ref: string;
  token: Token;
}
export interface RawCall {
  kind: "call";
  name: string;
  args: RawOperand[];
  token: Token;
}
export interface RawArithmetic {
  kind: "arithmetic";
  op: "+" | "-";
  left: RawOperand;
  right: RawOperand;
  token: Token;
}
export type RawOperand = RawPath | RawValue | RawCall | RawArithmetic;

export type RawComparator = "=" | "<>" | "<" | "<=" | ">" | ">=";

export type RawCondition =
  | { kind: "compare"; op: RawComparator; left: RawOperand; right: RawOperand }
  | { kind: "between"; operand: RawOperand; lower: RawOperand; upper: RawOperand }
  | { kind: "in"; operand: RawOperand; candidates: RawOperand[] }
  | { kind: "function"; call: RawCall }
  | { kind: "and"; left: RawCondition; right: RawCondition }
  | { kind: "or"; left: RawCondition; right: RawCondition }
  | { kind: "not"; condition: RawCondition }
  | { kind: "paren"; condition: RawCondition };

export type UpdateClause = "SET" | "REMOVE" | "ADD" | "DELETE";

export type RawUpdateAction =
  | { kind: "SET"; path: RawPath; value: RawOperand }
  | { kind: "REMOVE"; path: RawPath }
  | { kind: "ADD" | "DELETE"; path: RawPath; value: RawValue };

export interface RawUpdate {
  actions: RawUpdateAction[];
  /** Clauses in the order written, repeats included (a repeat is refused later). */
  clauses: UpdateClause[];
}

const CONDITION_KEYWORDS = new Set(["AND", "OR", "NOT", "BETWEEN", "IN"]);
const UPDATE_KEYWORDS = new Set(["SET", "REMOVE", "ADD", "DELETE"]);
const COMPARATORS = new Set<string>(["=", "<>", "<", "<=", ">", ">="]);

class Parser {
  private readonly tokens: Token[];
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly kind: ExpressionKind,
    /** Words the grammar uses, so never attribute names. */
    private readonly keywords: ReadonlySet<string>,
  ) {
    this.tokens = tokenize(text);
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  fail(): never {
    throw syntaxError(this.kind, this.text, this.tokens, this.pos);
  }

  isKeyword(token: Token, word: string): boolean {
    return token.type === "ident" && token.text.toUpperCase() === word;
  }

  private isPunct(token: Token, punct: string): boolean {
    return token.type === "punct" && token.text === punct;
  }

  private expectPunct(punct: string): Token {
    if (!this.isPunct(this.peek(), punct)) this.fail();
    return this.next();
  }

  expectEnd(): void {
    if (this.peek().type !== "eof") this.fail();
  }

  atEnd(): boolean {
    return this.peek().type === "eof";
  }

  // -- paths and operands ------------------------------------------------------------------

  private isAttributeWord(token: Token): boolean {
    return (token.type === "ident" && !this.keywords.has(token.text.toUpperCase())) || token.type === "name";
  }

  private pathElement(): RawPathElement {
    const t = this.peek();
    if (!this.isAttributeWord(t)) this.fail();
    this.next();
    return t.type === "name" ? { kind: "name", text: t.text, token: t } : { kind: "ident", text: t.text, token: t };
  }

  path(): RawPath {
    const first = this.peek();
    const elements: RawPathElement[] = [this.pathElement()];
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, ".")) {
        this.next();
        elements.push(this.pathElement());
      } else if (this.isPunct(t, "[")) {
        this.next();
        const n = this.peek();
        if (n.type !== "number") this.fail();
        this.next();
        this.expectPunct("]");
        elements.push({ kind: "index", index: Number(n.text), token: n });
      } else {
        return { kind: "path", elements, token: first };
      }
    }
  }

  /** An operand: a function call, a path or a value placeholder. */
  operand(): RawOperand {
    const t = this.peek();
    if (t.type === "ident" && this.isPunct(this.peek(1), "(")) {
      this.next();
      this.next();
      const args: RawOperand[] = [this.operand()];
      while (this.isPunct(this.peek(), ",")) {
        this.next();
        args.push(this.operand());
      }
      this.expectPunct(")");
      return { kind: "call", name: t.text, args, token: t };
    }
    if (t.type === "value") {
      this.next();
      return { kind: "value", ref: t.text, token: t };
    }
    return this.path();
  }

  // -- conditions --------------------------------------------------------------------------

  condition(): RawCondition {
    let left = this.conjunction();
    while (this.isKeyword(this.peek(), "OR")) {
      this.next();
      left = { kind: "or", left, right: this.conjunction() };
    }
    return left;
  }

  private conjunction(): RawCondition {
    let left = this.negation();
    while (this.isKeyword(this.peek(), "AND")) {
      this.next();
      left = { kind: "and", left, right: this.negation() };
    }
    return left;
  }

  private negation(): RawCondition {
    if (this.isKeyword(this.peek(), "NOT")) {
      this.next();
      return { kind: "not", condition: this.negation() };
    }
    return this.primary();
  }

  private primary(): RawCondition {
    if (this.isPunct(this.peek(), "(")) {
      this.next();
      const inner = this.condition();
      this.expectPunct(")");
      return { kind: "paren", condition: inner };
    }
    const operand = this.operand();
    const t = this.peek();
    if (t.type === "punct" && COMPARATORS.has(t.text)) {
      this.next();
      return { kind: "compare", op: t.text as RawComparator, left: operand, right: this.operand() };
    }
    if (this.isKeyword(t, "BETWEEN")) {
      this.next();
      const lower = this.operand();
      if (!this.isKeyword(this.peek(), "AND")) this.fail();
      this.next();
      return { kind: "between", operand, lower, upper: this.operand() };
    }
    if (this.isKeyword(t, "IN")) {
      this.next();
      this.expectPunct("(");
      const candidates = [this.operand()];
      while (this.isPunct(this.peek(), ",")) {
        this.next();
        candidates.push(this.operand());
      }
      this.expectPunct(")");
      return { kind: "in", operand, candidates };
    }
    if (operand.kind === "call") return { kind: "function", call: operand };
    this.fail();
  }

  // -- updates -----------------------------------------------------------------------------

  private setValue(): RawOperand {
    const left = this.operand();
    const t = this.peek();
    if (this.isPunct(t, "+") || this.isPunct(t, "-")) {
      this.next();
      return { kind: "arithmetic", op: t.text as "+" | "-", left, right: this.operand(), token: t };
    }
    return left;
  }

  private valueRef(): RawValue {
    const t = this.peek();
    if (t.type !== "value") this.fail();
    this.next();
    return { kind: "value", ref: t.text, token: t };
  }

  update(): RawUpdate {
    const actions: RawUpdateAction[] = [];
    const clauses: UpdateClause[] = [];
    do {
      const t = this.peek();
      const clause = t.type === "ident" ? t.text.toUpperCase() : "";
      if (!UPDATE_KEYWORDS.has(clause)) this.fail();
      this.next();
      clauses.push(clause as UpdateClause);
      do {
        const path = this.path();
        if (clause === "SET") {
          this.expectPunct("=");
          actions.push({ kind: "SET", path, value: this.setValue() });
        } else if (clause === "REMOVE") {
          actions.push({ kind: "REMOVE", path });
        } else {
          actions.push({ kind: clause as "ADD" | "DELETE", path, value: this.valueRef() });
        }
      } while (this.isPunct(this.peek(), ",") && this.next());
    } while (!this.atEnd());
    return { actions, clauses };
  }

  // -- projections -------------------------------------------------------------------------

  projection(): RawPath[] {
    const paths = [this.path()];
    while (this.isPunct(this.peek(), ",")) {
      this.next();
      paths.push(this.path());
    }
    return paths;
  }
}

export function parseConditionSyntax(text: string, kind: ExpressionKind): RawCondition {
  const p = new Parser(text, kind, CONDITION_KEYWORDS);
  const condition = p.condition();
  p.expectEnd();
  return condition;
}

export function parseUpdateSyntax(text: string): RawUpdate {
  const p = new Parser(text, "UpdateExpression", UPDATE_KEYWORDS);
  return p.update();
}

export function parseProjectionSyntax(text: string): RawPath[] {
  const p = new Parser(text, "ProjectionExpression", new Set());
  const paths = p.projection();
  p.expectEnd();
  return paths;
}
