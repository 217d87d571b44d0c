/**
 * The lexer shared by every expression kind, and DynamoDB's syntax-error message.
 *
 * Token classes follow DynamoDB's grammar: identifiers start with a letter and continue with
 * letters, digits and underscores; `#name` and `:value` placeholders continue with the same
 * characters; bare digit runs appear only as list indexes. A character that starts no token is
 * kept as a one-character `unknown` token instead of failing here, because DynamoDB reports it
 * like any unexpected token, with the tokens around it as context.
 */
import { validationError } from "../errors.js";

export type ExpressionKind =
  | "ConditionExpression"
  | "FilterExpression"
  | "KeyConditionExpression"
  | "UpdateExpression"
  | "ProjectionExpression";

export type TokenType = "ident" | "name" | "value" | "number" | "punct" | "unknown" | "eof";

export interface Token {
  type: TokenType;
  text: string;
  /** Offsets into the expression text (end exclusive). */
  start: number;
  end: number;
}

const PUNCTUATION = ["<>", "<=", ">=", "=", "<", ">", "(", ")", "[", "]", ",", ".", "+", "-"];

const isLetter = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
const isDigit = (c: string): boolean => c >= "0" && c <= "9";
const isWordChar = (c: string): boolean => isLetter(c) || isDigit(c) || c === "_";
const isSpace = (c: string): boolean => c === " " || c === "\t" || c === "\n" || c === "\r";

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    if (isLetter(c)) {
      while (i < text.length && isWordChar(text[i]!)) i++;
      tokens.push({ type: "ident", text: text.slice(start, i), start, end: i });
      continue;
    }
    if ((c === "#" || c === ":") && i + 1 < text.length && isWordChar(text[i + 1]!)) {
      i++;
      while (i < text.length && isWordChar(text[i]!)) i++;
      tokens.push({ type: c === "#" ? "name" : "value", text: text.slice(start, i), start, end: i });
      continue;
    }
    if (isDigit(c)) {
      while (i < text.length && isDigit(text[i]!)) i++;
      tokens.push({ type: "number", text: text.slice(start, i), start, end: i });
      continue;
    }
    const punct = PUNCTUATION.find((p) => text.startsWith(p, i));
    if (punct) {
      i += punct.length;
      tokens.push({ type: "punct", text: punct, start, end: i });
      continue;
    }
    // Keep surrogate pairs whole so the message quotes the character the caller wrote.
    const width = (text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
    i += width;
    tokens.push({ type: "unknown", text: text.slice(start, i), start, end: i });
  }
  tokens.push({ type: "eof", text: "", start: text.length, end: text.length });
  return tokens;
}

/**
 * DynamoDB's syntax error: the offending token, and "near" the source text from the start of
 * the token before it to the end of the token after it, spacing as written. At the end of input
 * the token is "<EOF>" and the window runs from the previous token to the end of the text.
 */
export function syntaxError(kind: ExpressionKind, text: string, tokens: Token[], index: number): Error {
  const token = tokens[index]!;
  const before = index > 0 ? tokens[index - 1]! : token;
  const after = token.type === "eof" ? undefined : tokens[index + 1];
  const end = after === undefined ? text.length : after.type === "eof" ? token.end : after.end;
  const near = text.slice(before.start, end);
  const shown = token.type === "eof" ? "<EOF>" : token.text;
  return validationError(`Invalid ${kind}: Syntax error; token: "${shown}", near: "${near}"`);
}

/** "Invalid <kind>: <detail>" — the frame every expression message after parsing uses. */
export function expressionError(kind: ExpressionKind, detail: string): Error {
  return validationError(`Invalid ${kind}: ${detail}`);
}
