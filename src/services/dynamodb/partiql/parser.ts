/**
 * A parser for DynamoDB's PartiQL subset: SELECT, INSERT, UPDATE and DELETE over one table
 * (or one index for SELECT), with PartiQL literals ('text', numbers, TRUE/FALSE, NULL, [list],
 * {'map': ...}, <<set>>) and `?` parameters taken from the request's Parameters in order.
 *
 * It parses straight into the expression library's trees (Condition, UpdateAction) so that
 * evaluation, DynamoDB's comparison semantics and exact numbers are shared with the expression
 * API. Errors are DynamoDB's ValidationException "Statement wasn't well formed, can't be
 * processed: ..." family.
 */
import {
  validateAttributeValue,
  type AttributeMap,
  type AttributeType,
  type AttributeValue,
} from "../attribute-value.js";
import { validationError } from "../errors.js";
import type { Comparator, Condition, Operand, Path, PathElement, UpdateAction } from "../expressions/ast.js";
import { canonicalNumber } from "../number.js";
import type { PartiqlReturning, Statement } from "./ast.js";

export const MALFORMED = "Statement wasn't well formed, can't be processed: ";
export const PARAMETER_COUNT_MISMATCH = "Number of parameters in request and statement don't match.";
/** DynamoDB refuses statements longer than 8 KB. */
export const MAX_STATEMENT_LENGTH = 8192;

type TokenType = "ident" | "quoted" | "string" | "number" | "punct" | "param" | "eof";
interface Token {
  type: TokenType;
  text: string;
  pos: number;
}

function malformed(detail: string): Error {
  return validationError(`${MALFORMED}${detail}`);
}

const PUNCT = ["<<", ">>", "<>", "!=", "<=", ">=", "=", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":", "*", "+", "-", ";"];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "-" && text[i + 1] === "-") {
      // A line comment.
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      let out = "";
      i++;
      for (;;) {
        if (i >= text.length) throw malformed(c === "'" ? "Unterminated string literal" : "Unterminated quoted identifier");
        if (text[i] === c) {
          if (text[i + 1] === c) {
            out += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        out += text[i];
        i++;
      }
      tokens.push({ type: c === "'" ? "string" : "quoted", text: out, pos: start });
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[i + 1] ?? ""))) {
      const m = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i))!;
      tokens.push({ type: "number", text: m[0], pos: start });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(text.slice(i))!;
      tokens.push({ type: "ident", text: m[0], pos: start });
      i += m[0].length;
      continue;
    }
    if (c === "?") {
      tokens.push({ type: "param", text: "?", pos: start });
      i++;
      continue;
    }
    const p = PUNCT.find((q) => text.startsWith(q, i));
    if (!p) throw malformed(`Unexpected character: ${c}`);
    tokens.push({ type: "punct", text: p, pos: start });
    i += p.length;
  }
  tokens.push({ type: "eof", text: "", pos: text.length });
  return tokens;
}

const TYPE_NAMES: ReadonlySet<string> = new Set(["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"]);

class Parser {
  private i = 0;
  private paramIndex = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly parameters: readonly unknown[],
  ) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (t.type !== "eof") this.i++;
    return t;
  }
  private isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.type === "ident" && t.text.toUpperCase() === word;
  }
  private acceptKeyword(word: string): boolean {
    if (this.isKeyword(word)) {
      this.i++;
      return true;
    }
    return false;
  }
  private expectKeyword(word: string): void {
    if (!this.acceptKeyword(word)) throw this.unexpected(`Expected ${word}`);
  }
  private isPunct(p: string): boolean {
    const t = this.peek();
    return t.type === "punct" && t.text === p;
  }
  private acceptPunct(p: string): boolean {
    if (this.isPunct(p)) {
      this.i++;
      return true;
    }
    return false;
  }
  private expectPunct(p: string): void {
    if (!this.acceptPunct(p)) throw this.unexpected(`Expected ${p}`);
  }
  private unexpected(detail?: string): Error {
    const t = this.peek();
    if (t.type === "eof") return malformed(detail ? `${detail} at end of statement` : "Unexpected end of statement");
    const what = t.type === "ident" ? "keyword or identifier" : "token";
    return malformed(`Unexpected ${what} "${t.text}" at position ${t.pos + 1}${detail ? ` (${detail})` : ""}`);
  }

  statement(): Statement {
    let statement: Statement;
    if (this.acceptKeyword("SELECT")) statement = this.select();
    else if (this.acceptKeyword("INSERT")) statement = this.insert();
    else if (this.acceptKeyword("UPDATE")) statement = this.update();
    else if (this.acceptKeyword("DELETE")) statement = this.delete();
    else throw this.unexpected("Expected SELECT, INSERT, UPDATE or DELETE");
    this.acceptPunct(";");
    if (this.peek().type !== "eof") throw this.unexpected();
    if (this.paramIndex !== this.parameters.length) throw validationError(PARAMETER_COUNT_MISMATCH);
    return statement;
  }

  private name(): string {
    const t = this.peek();
    if (t.type === "ident" || t.type === "quoted") {
      this.i++;
      if (t.type === "quoted" && t.text === "") throw malformed("Empty quoted identifier");
      return t.text;
    }
    throw this.unexpected("Expected identifier");
  }

  private select(): Statement {
    let projection: Path[] | undefined;
    if (!this.acceptPunct("*")) {
      projection = [this.path()];
      while (this.acceptPunct(",")) projection.push(this.path());
    }
    this.expectKeyword("FROM");
    const table = this.name();
    let index: string | undefined;
    if (this.acceptPunct(".")) index = this.name();
    let where: Condition | undefined;
    if (this.acceptKeyword("WHERE")) where = this.condition();
    let orderBy: { path: Path; descending: boolean } | undefined;
    if (this.acceptKeyword("ORDER")) {
      this.expectKeyword("BY");
      const path = this.path();
      let descending = false;
      if (this.acceptKeyword("DESC")) descending = true;
      else this.acceptKeyword("ASC");
      orderBy = { path, descending };
    }
    return { kind: "SELECT", table, ...(index !== undefined ? { index } : {}), ...(projection ? { projection } : {}), ...(where ? { where } : {}), ...(orderBy ? { orderBy } : {}) };
  }

  private insert(): Statement {
    this.expectKeyword("INTO");
    const table = this.name();
    this.expectKeyword("VALUE");
    const value = this.value();
    if (!("M" in value)) throw malformed("INSERT VALUE must be a map (tuple) literal");
    return { kind: "INSERT", table, item: value.M };
  }

  private update(): Statement {
    const table = this.name();
    const actions: UpdateAction[] = [];
    for (;;) {
      if (this.acceptKeyword("SET")) {
        do actions.push(this.setAction());
        while (this.acceptPunct(","));
      } else if (this.acceptKeyword("REMOVE")) {
        do actions.push({ kind: "REMOVE", path: this.path() });
        while (this.acceptPunct(","));
      } else break;
    }
    if (actions.length === 0) throw this.unexpected("Expected SET or REMOVE");
    this.expectKeyword("WHERE");
    const where = this.condition();
    const returning = this.returning();
    return { kind: "UPDATE", table, actions, where, ...(returning ? { returning } : {}) };
  }

  private delete(): Statement {
    this.expectKeyword("FROM");
    const table = this.name();
    this.expectKeyword("WHERE");
    const where = this.condition();
    const returning = this.returning();
    return { kind: "DELETE", table, where, ...(returning ? { returning } : {}) };
  }

  private returning(): PartiqlReturning | undefined {
    if (!this.acceptKeyword("RETURNING")) return undefined;
    let scope: "ALL" | "MODIFIED";
    if (this.acceptKeyword("ALL")) scope = "ALL";
    else if (this.acceptKeyword("MODIFIED")) scope = "MODIFIED";
    else throw this.unexpected("Expected ALL or MODIFIED");
    let which: "OLD" | "NEW";
    if (this.acceptKeyword("OLD")) which = "OLD";
    else if (this.acceptKeyword("NEW")) which = "NEW";
    else throw this.unexpected("Expected OLD or NEW");
    this.expectPunct("*");
    return `${scope}_${which}`;
  }

  private setAction(): UpdateAction {
    const path = this.path();
    this.expectPunct("=");
    // set_add / set_delete are PartiQL's spelling of the ADD and DELETE actions on sets.
    for (const [fn, kind] of [["SET_ADD", "ADD"], ["SET_DELETE", "DELETE"]] as const) {
      if (this.isKeyword(fn) && this.peek(1).text === "(") {
        this.i += 2;
        const target = this.path();
        if (!samePath(target, path)) throw malformed(`${fn.toLowerCase()} must operate on the attribute being set`);
        this.expectPunct(",");
        const value = this.value();
        this.expectPunct(")");
        return { kind, path, value };
      }
    }
    return { kind: "SET", path, value: this.updateValue() };
  }

  private updateValue(): Operand {
    const left = this.updateTerm();
    if (this.isPunct("+") || this.isPunct("-")) {
      const op = this.next().text as "+" | "-";
      const right = this.updateTerm();
      return { kind: "arithmetic", op, left, right };
    }
    return left;
  }

  private updateTerm(): Operand {
    if (this.isKeyword("LIST_APPEND") && this.peek(1).text === "(") {
      this.i += 2;
      const first = this.updateValue();
      this.expectPunct(",");
      const second = this.updateValue();
      this.expectPunct(")");
      return { kind: "list_append", first, second };
    }
    if (this.isKeyword("IF_NOT_EXISTS") && this.peek(1).text === "(") {
      this.i += 2;
      const path = this.path();
      this.expectPunct(",");
      const fallback = this.updateValue();
      this.expectPunct(")");
      return { kind: "if_not_exists", path, fallback };
    }
    if (this.acceptPunct("(")) {
      const inner = this.updateValue();
      this.expectPunct(")");
      return inner;
    }
    return this.operand();
  }

  // -- conditions: OR < AND < NOT < predicate -------------------------------------------------

  condition(): Condition {
    let left = this.andCondition();
    while (this.acceptKeyword("OR")) left = { kind: "or", left, right: this.andCondition() };
    return left;
  }
  private andCondition(): Condition {
    let left = this.notCondition();
    while (this.acceptKeyword("AND")) left = { kind: "and", left, right: this.notCondition() };
    return left;
  }
  private notCondition(): Condition {
    if (this.acceptKeyword("NOT")) return { kind: "not", condition: this.notCondition() };
    return this.predicate();
  }

  private predicate(): Condition {
    if (this.acceptPunct("(")) {
      const inner = this.condition();
      this.expectPunct(")");
      return inner;
    }
    const fn = this.peek();
    if (fn.type === "ident" && this.peek(1).text === "(" && this.peek(1).type === "punct") {
      const upper = fn.text.toUpperCase();
      if (upper === "BEGINS_WITH" || upper === "CONTAINS") {
        this.i += 2;
        const operand = this.operand();
        this.expectPunct(",");
        const second = this.operand();
        this.expectPunct(")");
        return upper === "BEGINS_WITH" ? { kind: "begins_with", operand, prefix: second } : { kind: "contains", operand, value: second };
      }
      if (upper === "ATTRIBUTE_TYPE") {
        this.i += 2;
        const path = this.path();
        this.expectPunct(",");
        const t = this.value();
        this.expectPunct(")");
        if (!("S" in t) || !TYPE_NAMES.has(t.S)) throw malformed("attribute_type takes one of S, N, B, BOOL, NULL, M, L, SS, NS, BS");
        return { kind: "attribute_type", path, type: t.S as AttributeType };
      }
      if (upper === "EXISTS" || upper === "ATTRIBUTE_EXISTS" || upper === "ATTRIBUTE_NOT_EXISTS") {
        this.i += 2;
        const path = this.path();
        this.expectPunct(")");
        return { kind: upper === "ATTRIBUTE_NOT_EXISTS" ? "attribute_not_exists" : "attribute_exists", path };
      }
    }
    const left = this.operand();
    if (this.acceptKeyword("IS")) {
      const negated = this.acceptKeyword("NOT");
      let c: Condition;
      if (left.kind !== "path") throw malformed("IS applies to an attribute path");
      if (this.acceptKeyword("MISSING")) c = { kind: "attribute_not_exists", path: left.path };
      else if (this.acceptKeyword("NULL")) c = { kind: "attribute_type", path: left.path, type: "NULL" };
      else throw this.unexpected("Expected MISSING or NULL");
      return negated ? { kind: "not", condition: c } : c;
    }
    const negated = this.isKeyword("NOT") && (this.isKeyword("BETWEEN", 1) || this.isKeyword("IN", 1));
    if (negated) this.i++;
    let c: Condition;
    if (this.acceptKeyword("BETWEEN")) {
      const lower = this.operand();
      this.expectKeyword("AND");
      const upper = this.operand();
      c = { kind: "between", operand: left, lower, upper };
    } else if (this.acceptKeyword("IN")) {
      const close = this.acceptPunct("[") ? "]" : (this.expectPunct("("), ")");
      const candidates: Operand[] = [this.operand()];
      while (this.acceptPunct(",")) candidates.push(this.operand());
      this.expectPunct(close);
      c = { kind: "in", operand: left, candidates };
    } else {
      const t = this.peek();
      const op = t.type === "punct" && ["=", "<>", "!=", "<", "<=", ">", ">="].includes(t.text) ? t.text : undefined;
      if (!op) throw this.unexpected("Expected a comparison");
      this.i++;
      const right = this.operand();
      c = { kind: "compare", op: (op === "!=" ? "<>" : op) as Comparator, left, right };
    }
    return negated ? { kind: "not", condition: c } : c;
  }

  /** A path, a literal or parameter, or size(path). */
  private operand(): Operand {
    const t = this.peek();
    if (t.type === "ident" && t.text.toUpperCase() === "SIZE" && this.peek(1).text === "(" && this.peek(1).type === "punct") {
      this.i += 2;
      const path = this.path();
      this.expectPunct(")");
      return { kind: "size", path };
    }
    if (t.type === "ident" && !["TRUE", "FALSE", "NULL", "MISSING"].includes(t.text.toUpperCase())) return { kind: "path", path: this.path() };
    if (t.type === "quoted") return { kind: "path", path: this.path() };
    return { kind: "value", value: this.value() };
  }

  path(): Path {
    const elements: PathElement[] = [this.name()];
    for (;;) {
      if (this.acceptPunct(".")) elements.push(this.name());
      else if (this.acceptPunct("[")) {
        const t = this.next();
        if (t.type === "number" && /^[0-9]+$/.test(t.text)) elements.push(Number(t.text));
        else if (t.type === "string") elements.push(t.text);
        else {
          this.i--;
          throw this.unexpected("Expected a list index or map key");
        }
        this.expectPunct("]");
      } else break;
    }
    return elements;
  }

  /** A PartiQL literal (or parameter) as an AttributeValue. */
  value(): AttributeValue {
    const t = this.next();
    switch (t.type) {
      case "string":
        return { S: t.text };
      case "number":
        return { N: number(t.text) };
      case "param": {
        if (this.paramIndex >= this.parameters.length) throw validationError(PARAMETER_COUNT_MISMATCH);
        return validateAttributeValue(this.parameters[this.paramIndex++]);
      }
      case "ident": {
        const word = t.text.toUpperCase();
        if (word === "TRUE" || word === "FALSE") return { BOOL: word === "TRUE" };
        if (word === "NULL") return { NULL: true };
        break;
      }
      case "punct": {
        if (t.text === "-" && this.peek().type === "number") return { N: number(`-${this.next().text}`) };
        if (t.text === "[") {
          const list: AttributeValue[] = [];
          if (!this.acceptPunct("]")) {
            do list.push(this.value());
            while (this.acceptPunct(","));
            this.expectPunct("]");
          }
          return { L: list };
        }
        if (t.text === "{") {
          const map: AttributeMap = {};
          if (!this.acceptPunct("}")) {
            do {
              const k = this.next();
              if (k.type !== "string" && k.type !== "quoted") {
                this.i--;
                throw this.unexpected("Expected a string key");
              }
              this.expectPunct(":");
              if (Object.hasOwn(map, k.text)) throw validationError(`Duplicate key ${k.text} in the tuple`);
              map[k.text] = this.value();
            } while (this.acceptPunct(","));
            this.expectPunct("}");
          }
          return { M: map };
        }
        if (t.text === "<<") return this.set();
        break;
      }
      default:
        break;
    }
    this.i--;
    throw this.unexpected("Expected a value");
  }

  private set(): AttributeValue {
    const members: AttributeValue[] = [];
    if (!this.acceptPunct(">>")) {
      do members.push(this.value());
      while (this.acceptPunct(","));
      this.expectPunct(">>");
    }
    if (members.length === 0) throw validationError("One or more parameter values were invalid: An number set  may not be empty");
    const first = members[0]!;
    const kind = "S" in first ? "SS" : "N" in first ? "NS" : "B" in first ? "BS" : undefined;
    if (!kind || !members.every((m) => Object.keys(m)[0] === Object.keys(first)[0])) {
      throw malformed("A set must hold strings, numbers or binaries of one type");
    }
    const raw =
      kind === "SS"
        ? { SS: members.map((m) => (m as { S: string }).S) }
        : kind === "NS"
          ? { NS: members.map((m) => (m as { N: string }).N) }
          : { BS: members.map((m) => (m as { B: Buffer }).B) };
    // Validation refuses duplicates and normalises as for any request value.
    return validateAttributeValue(raw);
  }
}

function number(text: string): string {
  return canonicalNumber(text);
}

function samePath(a: Path, b: Path): boolean {
  return a.length === b.length && a.every((e, i) => e === b[i]);
}

/** Parses one PartiQL statement, substituting `parameters` (AttributeValues) for each `?`. */
export function parseStatement(text: string, parameters: readonly unknown[] = []): Statement {
  if (typeof text !== "string" || text.trim() === "") throw malformed("Statement is empty");
  if (text.length > MAX_STATEMENT_LENGTH) {
    throw validationError(`1 validation error detected: Value at 'statement' failed to satisfy constraint: Member must have length less than or equal to ${MAX_STATEMENT_LENGTH}`);
  }
  return new Parser(tokenize(text), parameters).statement();
}
