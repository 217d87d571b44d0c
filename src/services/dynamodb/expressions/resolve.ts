/**
 * Semantic analysis: turns syntax trees into resolved ASTs, enforcing DynamoDB's rules with its
 * messages. Checks run in passes, as DynamoDB reports them: reserved words first, then
 * placeholders (names and values in the order written), then function placement, operand
 * counts and types, then overlapping paths.
 */
import {
  ATTRIBUTE_TYPES,
  compareAttributeValues,
  describeAttributeValue,
  isSetType,
  longTypeName,
  typeOf,
  type AttributeType,
  type AttributeValue,
} from "../attribute-value.js";
import { formatPath, type Comparator, type Condition, type Operand, type Path, type PathElement, type UpdateAction } from "./ast.js";
import type { ExpressionAttributes } from "./attributes.js";
import type { RawCall, RawCondition, RawOperand, RawPath, RawUpdate } from "./parser.js";
import { isReservedWord } from "./reserved-words.js";
import { expressionError, type ExpressionKind } from "./tokenizer.js";

/** Document paths nest at most 32 levels. */
export const MAX_PATH_DEPTH = 32;
/** IN takes at most 100 candidates. */
export const MAX_IN_OPERANDS = 100;

const CONDITION_FUNCTIONS = new Set(["attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains"]);
const UPDATE_FUNCTIONS = new Set(["if_not_exists", "list_append"]);
/** The order DynamoDB lists the valid names in for attribute_type. */
const TYPE_NAMES_MESSAGE = "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}";

type RawNode = RawCondition | RawOperand;

/** Every placeholder and bare name in a tree, in the order written. */
function collectRefs(node: RawNode, out: { token: { start: number }; kind: "ident" | "name" | "value"; text: string }[]): void {
  switch (node.kind) {
    case "path":
      for (const e of node.elements) if (e.kind !== "index") out.push({ token: e.token, kind: e.kind, text: e.text });
      return;
    case "value":
      out.push({ token: node.token, kind: "value", text: node.ref });
      return;
    case "call":
      for (const a of node.args) collectRefs(a, out);
      return;
    case "arithmetic":
      collectRefs(node.left, out);
      collectRefs(node.right, out);
      return;
    case "compare":
      collectRefs(node.left, out);
      collectRefs(node.right, out);
      return;
    case "between":
      collectRefs(node.operand, out);
      collectRefs(node.lower, out);
      collectRefs(node.upper, out);
      return;
    case "in":
      collectRefs(node.operand, out);
      for (const c of node.candidates) collectRefs(c, out);
      return;
    case "function":
      collectRefs(node.call, out);
      return;
    case "and":
    case "or":
      collectRefs(node.left, out);
      collectRefs(node.right, out);
      return;
    case "not":
    case "paren":
      collectRefs(node.condition, out);
      return;
  }
}

export class Resolver {
  constructor(
    readonly kind: ExpressionKind,
    private readonly attributes: ExpressionAttributes,
  ) {}

  error(detail: string): Error {
    return expressionError(this.kind, detail);
  }

  /** Passes one and two over the given trees: reserved words, then placeholders. */
  checkNames(nodes: RawNode[]): void {
    const refs: Parameters<typeof collectRefs>[1] = [];
    for (const n of nodes) collectRefs(n, refs);
    refs.sort((a, b) => a.token.start - b.token.start);
    for (const r of refs) {
      if (r.kind === "ident" && isReservedWord(r.text)) {
        throw this.error(`Attribute name is a reserved keyword; reserved keyword: ${r.text}`);
      }
    }
    for (const r of refs) {
      if (r.kind === "name") this.attributes.name(r.text, this.kind);
      else if (r.kind === "value") this.attributes.value(r.text, this.kind);
    }
  }

  path(raw: RawPath): Path {
    if (raw.elements.length > MAX_PATH_DEPTH) {
      throw this.error(`The document path has too many nesting levels; nesting levels: ${raw.elements.length}`);
    }
    return raw.elements.map((e): PathElement => {
      if (e.kind === "index") return e.index;
      if (e.kind === "name") return this.attributes.name(e.text, this.kind);
      return e.text;
    });
  }

  private value(ref: string): AttributeValue {
    return this.attributes.value(ref, this.kind);
  }

  private operandCount(name: string, call: RawCall, expected: number): void {
    if (call.args.length !== expected) {
      throw this.error(
        `Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${call.args.length}`,
      );
    }
  }

  private requirePath(name: string, arg: RawOperand): RawPath {
    if (arg.kind !== "path") throw this.error(`Operator or function requires a document path; operator or function: ${name}`);
    return arg;
  }

  private operandType(name: string, type: AttributeType): Error {
    return this.error(`Incorrect operand type for operator or function; operator or function: ${name}, operand type: ${type}`);
  }

  /** Refuses `a = a`, `contains(a, a)` and the like: the same path on both sides. */
  private distinct(operator: string, first: Operand, rest: Operand[]): void {
    if (first.kind !== "path") return;
    const shown = formatPath(first.path);
    for (const r of rest) {
      if (r.kind === "path" && formatPath(r.path) === shown) {
        throw this.error(
          `The first operand must be distinct from the remaining operands for this operator or function; operator: ${operator}, first operand: ${shown}`,
        );
      }
    }
  }

  // -- conditions --------------------------------------------------------------------------

  /** An operand inside a condition: a path, a value or size(path). */
  conditionOperand(raw: RawOperand): Operand {
    switch (raw.kind) {
      case "path":
        return { kind: "path", path: this.path(raw) };
      case "value":
        return { kind: "value", value: this.value(raw.ref) };
      case "arithmetic":
        // The condition grammar has no arithmetic, so the parser never builds one here.
        throw new TypeError("arithmetic operand in a condition");
      case "call": {
        if (raw.name === "size") {
          this.operandCount("size", raw, 1);
          return { kind: "size", path: this.path(this.requirePath("size", raw.args[0]!)) };
        }
        throw this.misplacedInCondition(raw.name, true);
      }
    }
  }

  private misplacedInCondition(name: string, asOperand: boolean): Error {
    if (UPDATE_FUNCTIONS.has(name)) return this.error(`The function is not allowed in a condition expression; function: ${name}`);
    if (CONDITION_FUNCTIONS.has(name) || (name === "size" && !asOperand)) {
      return this.error(`The function is not allowed to be used this way in an expression; function: ${name}`);
    }
    return this.error(`Invalid function name; function: ${name}`);
  }

  private orderable(op: string, operand: Operand): void {
    if (operand.kind !== "value") return;
    const type = typeOf(operand.value);
    if (type !== "S" && type !== "N" && type !== "B") throw this.operandType(op, type);
  }

  condition(raw: RawCondition): Condition {
    switch (raw.kind) {
      case "paren":
        if (raw.condition.kind === "paren") throw this.error("The expression has redundant parentheses;");
        return this.condition(raw.condition);
      case "and":
      case "or":
        return { kind: raw.kind, left: this.condition(raw.left), right: this.condition(raw.right) };
      case "not":
        return { kind: "not", condition: this.condition(raw.condition) };
      case "compare": {
        const left = this.conditionOperand(raw.left);
        const right = this.conditionOperand(raw.right);
        if (raw.op !== "=" && raw.op !== "<>") {
          this.orderable(raw.op, left);
          this.orderable(raw.op, right);
        }
        this.distinct(raw.op, left, [right]);
        return { kind: "compare", op: raw.op as Comparator, left, right };
      }
      case "between": {
        const operand = this.conditionOperand(raw.operand);
        const lower = this.conditionOperand(raw.lower);
        const upper = this.conditionOperand(raw.upper);
        for (const o of [operand, lower, upper]) this.orderable("BETWEEN", o);
        if (lower.kind === "value" && upper.kind === "value") {
          const bounds = `lower bound operand: ${describeAttributeValue(lower.value)}, upper bound operand: ${describeAttributeValue(upper.value)}`;
          const c = compareAttributeValues(lower.value, upper.value);
          if (c === undefined) throw this.error(`The BETWEEN operator requires same data type for lower and upper bounds; ${bounds}`);
          if (c > 0) throw this.error(`The BETWEEN operator requires upper bound to be greater than or equal to lower bound; ${bounds}`);
        }
        this.distinct("BETWEEN", operand, [lower, upper]);
        return { kind: "between", operand, lower, upper };
      }
      case "in": {
        const operand = this.conditionOperand(raw.operand);
        const candidates = raw.candidates.map((c) => this.conditionOperand(c));
        if (candidates.length > MAX_IN_OPERANDS) {
          throw this.error(`The IN operator is provided with too many operands; number of operands: ${candidates.length}`);
        }
        this.distinct("IN", operand, candidates);
        return { kind: "in", operand, candidates };
      }
      case "function":
        return this.conditionFunction(raw.call);
    }
  }

  private conditionFunction(call: RawCall): Condition {
    const name = call.name;
    if (!CONDITION_FUNCTIONS.has(name)) throw this.misplacedInCondition(name, false);
    for (const arg of call.args) {
      if (arg.kind === "call" && arg.name !== "size") throw this.misplacedInCondition(arg.name, true);
    }
    switch (name) {
      case "attribute_exists":
      case "attribute_not_exists":
        this.operandCount(name, call, 1);
        return { kind: name, path: this.path(this.requirePath(name, call.args[0]!)) };
      case "attribute_type": {
        this.operandCount(name, call, 2);
        const path = this.path(this.requirePath(name, call.args[0]!));
        const typeArg = this.conditionOperand(call.args[1]!);
        if (typeArg.kind !== "value") throw this.error(`Incorrect operand type for operator or function; operator or function: ${name}, operand type: PATH`);
        if (!("S" in typeArg.value)) throw this.operandType(name, typeOf(typeArg.value));
        const type = typeArg.value.S;
        if (!(ATTRIBUTE_TYPES as readonly string[]).includes(type)) {
          throw this.error(`Invalid attribute type name found; type: ${type}, valid types: ${TYPE_NAMES_MESSAGE}`);
        }
        return { kind: "attribute_type", path, type: type as AttributeType };
      }
      case "begins_with": {
        this.operandCount(name, call, 2);
        const operand = this.conditionOperand(call.args[0]!);
        const prefix = this.conditionOperand(call.args[1]!);
        for (const o of [operand, prefix]) {
          if (o.kind === "value" && !("S" in o.value) && !("B" in o.value)) throw this.operandType(name, typeOf(o.value));
        }
        this.distinct(name, operand, [prefix]);
        return { kind: "begins_with", operand, prefix };
      }
      default: {
        this.operandCount(name, call, 2);
        const operand = this.conditionOperand(call.args[0]!);
        const value = this.conditionOperand(call.args[1]!);
        this.distinct(name, operand, [value]);
        return { kind: "contains", operand, value };
      }
    }
  }

  // -- updates -----------------------------------------------------------------------------

  /** An operand on the right of a SET: paths, values, if_not_exists, list_append, + and -. */
  updateOperand(raw: RawOperand): Operand {
    switch (raw.kind) {
      case "path":
        return { kind: "path", path: this.path(raw) };
      case "value":
        return { kind: "value", value: this.value(raw.ref) };
      case "arithmetic": {
        const left = this.updateOperand(raw.left);
        const right = this.updateOperand(raw.right);
        for (const o of [left, right]) {
          if (o.kind === "value" && !("N" in o.value)) throw this.operandType(raw.op, typeOf(o.value));
        }
        return { kind: "arithmetic", op: raw.op, left, right };
      }
      case "call": {
        const name = raw.name;
        if (name === "if_not_exists") {
          this.operandCount(name, raw, 2);
          const path = this.path(this.requirePath(name, raw.args[0]!));
          return { kind: "if_not_exists", path, fallback: this.updateOperand(raw.args[1]!) };
        }
        if (name === "list_append") {
          this.operandCount(name, raw, 2);
          const first = this.updateOperand(raw.args[0]!);
          const second = this.updateOperand(raw.args[1]!);
          for (const o of [first, second]) {
            if (o.kind === "value" && !("L" in o.value)) throw this.operandType(name, typeOf(o.value));
          }
          return { kind: "list_append", first, second };
        }
        if (CONDITION_FUNCTIONS.has(name) || name === "size") {
          throw this.error(`The function is not allowed in an update expression; function: ${name}`);
        }
        throw this.error(`Invalid function name; function: ${name}`);
      }
    }
  }

  update(raw: RawUpdate): UpdateAction[] {
    const seen = new Set<string>();
    for (const clause of raw.clauses) {
      if (seen.has(clause)) throw this.error(`The "${clause}" section can only be used once in an update expression;`);
      seen.add(clause);
    }
    const nodes: RawNode[] = [];
    for (const a of raw.actions) {
      nodes.push(a.path);
      if (a.kind !== "REMOVE") nodes.push(a.value);
    }
    this.checkNames(nodes);
    const actions = raw.actions.map((a): UpdateAction => {
      const path = this.path(a.path);
      switch (a.kind) {
        case "SET":
          return { kind: "SET", path, value: this.updateOperand(a.value) };
        case "REMOVE":
          return { kind: "REMOVE", path };
        case "ADD": {
          const value = this.value(a.value.ref);
          const type = typeOf(value);
          if (type !== "N" && !isSetType(type)) {
            throw this.error(
              `Incorrect operand type for operator or function; operator: ADD, operand type: ${longTypeName(type)}, typeSet: ALLOWED_FOR_ADD_OPERAND`,
            );
          }
          return { kind: "ADD", path, value };
        }
        case "DELETE": {
          const value = this.value(a.value.ref);
          const type = typeOf(value);
          if (!isSetType(type)) {
            throw this.error(
              `Incorrect operand type for operator or function; operator: DELETE, operand type: ${longTypeName(type)}, typeSet: ALLOWED_FOR_DELETE_OPERAND`,
            );
          }
          return { kind: "DELETE", path, value };
        }
      }
    });
    this.checkOverlaps(actions.map((a) => a.path));
    return actions;
  }

  /**
   * Refuses two paths where one contains the other ("overlap", equal paths included) or where
   * one indexes a list and the other names a map key at the same place ("conflict").
   */
  checkOverlaps(paths: Path[]): void {
    for (let j = 1; j < paths.length; j++) {
      for (let i = 0; i < j; i++) {
        const verdict = relation(paths[i]!, paths[j]!);
        if (verdict === undefined) continue;
        throw this.error(
          `Two document paths ${verdict} with each other; must remove or rewrite one of these paths; path one: ${formatPath(paths[i]!)}, path two: ${formatPath(paths[j]!)}`,
        );
      }
    }
  }
}

function relation(a: Path, b: Path): "overlap" | "conflict" | undefined {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    if (typeof a[k] !== typeof b[k]) return "conflict";
    if (a[k] !== b[k]) return undefined;
  }
  return "overlap";
}
