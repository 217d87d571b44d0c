/**
 * The lexer and DynamoDB's syntax-error message (the offending token and the "near" window of
 * source around it), the reserved-word list, and ExpressionAttributeNames/Values validation and
 * usage tracking across the expressions of one request.
 */
import { describe, expect, it } from "vitest";
import {
  RESERVED_WORDS,
  isReservedWord,
  parseCondition,
  parseFilter,
  parseProjection,
  parseUpdate,
  trackUsage,
} from "../src/services/dynamodb/expressions/index.js";
import { tokenize } from "../src/services/dynamodb/expressions/tokenizer.js";
import { isServiceError } from "../src/core/errors.js";

function failure(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isServiceError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a failure");
}

describe("lexer", () => {
  it("splits identifiers, placeholders, indexes and punctuation", () => {
    expect(tokenize("a.b[12] <= #n AND :v_1<>size(x)").map((t) => [t.type, t.text])).toEqual([
      ["ident", "a"],
      ["punct", "."],
      ["ident", "b"],
      ["punct", "["],
      ["number", "12"],
      ["punct", "]"],
      ["punct", "<="],
      ["name", "#n"],
      ["ident", "AND"],
      ["value", ":v_1"],
      ["punct", "<>"],
      ["ident", "size"],
      ["punct", "("],
      ["ident", "x"],
      ["punct", ")"],
      ["eof", ""],
    ]);
  });

  it("keeps offsets into the source", () => {
    const [a, eq] = tokenize("  ab =");
    expect(a).toMatchObject({ start: 2, end: 4 });
    expect(eq).toMatchObject({ start: 5, end: 6 });
  });

  it("identifiers may hold digits and underscores but start with a letter", () => {
    expect(tokenize("user_id2").map((t) => t.type)).toEqual(["ident", "eof"]);
    expect(tokenize("_x").map((t) => t.text)).toEqual(["_", "x", ""]);
    expect(tokenize("1a").map((t) => t.type)).toEqual(["number", "ident", "eof"]);
  });

  it("placeholders may start with a digit or underscore", () => {
    expect(tokenize("#1star :_v").map((t) => t.type)).toEqual(["name", "value", "eof"]);
  });

  it("a lone # or : is a token of its own", () => {
    expect(tokenize("# :").map((t) => [t.type, t.text])).toEqual([
      ["unknown", "#"],
      ["unknown", ":"],
      ["eof", ""],
    ]);
  });

  it("keeps astral characters whole", () => {
    expect(tokenize("\u{1F600}")[0]).toMatchObject({ type: "unknown", text: "\u{1F600}" });
  });

  it("treats tabs and newlines as spaces", () => {
    expect(tokenize("a\t=\n:v\r").map((t) => t.type)).toEqual(["ident", "punct", "value", "eof"]);
  });
});

describe("syntax errors: token and near window", () => {
  it.each<[string, "condition" | "update" | "projection" | "filter", string]>([
    ["INVALID SYNTAX HERE", "update", 'Invalid UpdateExpression: Syntax error; token: "INVALID", near: "INVALID SYNTAX"'],
    ["ADD hits : incr", "update", 'Invalid UpdateExpression: Syntax error; token: ":", near: "hits : incr"'],
    ["SET a = :a, updated = :b, , c = :c", "update", 'Invalid UpdateExpression: Syntax error; token: ",", near: ", , c"'],
    ["SET a = :a, #, b = :b", "update", 'Invalid UpdateExpression: Syntax error; token: "#", near: ", #,"'],
    ["SET", "update", 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "SET"'],
    ["SET a =", "update", 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "="'],
    ["SET a = ", "update", 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "= "'],
    ["SET a = :x +", "update", 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "+"'],
    ["SET a = b + c + d", "update", 'Invalid UpdateExpression: Syntax error; token: "+", near: "c + d"'],
    ["SET a = (b)", "update", 'Invalid UpdateExpression: Syntax error; token: "(", near: "= (b"'],
    ["SET a = :v,", "update", 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","'],
    ["SET :v = a", "update", 'Invalid UpdateExpression: Syntax error; token: ":v", near: "SET :v ="'],
    ["SET a.[0] = :v", "update", 'Invalid UpdateExpression: Syntax error; token: "[", near: ".[0"'],
    ["SET a[x] = :v", "update", 'Invalid UpdateExpression: Syntax error; token: "x", near: "[x]"'],
    ["SET a[-1] = :v", "update", 'Invalid UpdateExpression: Syntax error; token: "-", near: "[-1"'],
    ["SET a = :v UPDATE b = :v", "update", 'Invalid UpdateExpression: Syntax error; token: "UPDATE", near: ":v UPDATE b"'],
    ["REMOVE a = :v", "update", 'Invalid UpdateExpression: Syntax error; token: "=", near: "a = :v"'],
    ["ADD a b", "update", 'Invalid UpdateExpression: Syntax error; token: "b", near: "a b"'],
    ["DELETE a", "update", 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "a"'],
    ["SET set = :v", "update", 'Invalid UpdateExpression: Syntax error; token: "set", near: "SET set ="'],
    ["a-b", "condition", 'Invalid ConditionExpression: Syntax error; token: "-", near: "a-b"'],
    ["a = = :v", "condition", 'Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"'],
    ["_hidden = :v", "condition", 'Invalid ConditionExpression: Syntax error; token: "_", near: "_hidden"'],
    ["a", "condition", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "a"'],
    ["a = :v AND", "condition", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"'],
    ["(a = :v", "condition", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: ":v"'],
    ["a = :v)", "condition", 'Invalid ConditionExpression: Syntax error; token: ")", near: ":v)"'],
    ["a < b < c", "condition", 'Invalid ConditionExpression: Syntax error; token: "<", near: "b < c"'],
    ["a = 5", "condition", 'Invalid ConditionExpression: Syntax error; token: "5", near: "= 5"'],
    ["a = 'x'", "condition", `Invalid ConditionExpression: Syntax error; token: "'", near: "= 'x"`],
    ["a == :v", "condition", 'Invalid ConditionExpression: Syntax error; token: "=", near: "== :v"'],
    ["a != :v", "condition", 'Invalid ConditionExpression: Syntax error; token: "!", near: "a !="'],
    ["a IN :v", "condition", 'Invalid ConditionExpression: Syntax error; token: ":v", near: "IN :v"'],
    ["a IN ()", "condition", 'Invalid ConditionExpression: Syntax error; token: ")", near: "()"'],
    ["a BETWEEN :x :y", "condition", 'Invalid ConditionExpression: Syntax error; token: ":y", near: ":x :y"'],
    ["a BETWEEN :x OR :y", "condition", 'Invalid ConditionExpression: Syntax error; token: "OR", near: ":x OR :y"'],
    ["NOT", "condition", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "NOT"'],
    ["AND = :v", "condition", 'Invalid ConditionExpression: Syntax error; token: "AND", near: "AND ="'],
    ["a.between = :v", "condition", 'Invalid ConditionExpression: Syntax error; token: "between", near: ".between ="'],
    ["begins_with()", "condition", 'Invalid ConditionExpression: Syntax error; token: ")", near: "()"'],
    ["attribute_exists(a,)", "condition", 'Invalid ConditionExpression: Syntax error; token: ")", near: ",)"'],
    ["a = :v OR OR b = :v", "condition", 'Invalid ConditionExpression: Syntax error; token: "OR", near: "OR OR b"'],
    ["tenantAgent:abc123-x = :v", "filter", 'Invalid FilterExpression: Syntax error; token: ":abc123", near: "tenantAgent:abc123-"'],
    ["a, b c", "projection", 'Invalid ProjectionExpression: Syntax error; token: "c", near: "b c"'],
    ["a.", "projection", 'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: "."'],
    ["a[0", "projection", 'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: "0"'],
    ["[0]", "projection", 'Invalid ProjectionExpression: Syntax error; token: "[", near: "[0"'],
  ])("%j", (text, kind, message) => {
    const parse = {
      condition: () => parseCondition(text, { values: { ":v": { N: "1" } } }),
      filter: () => parseFilter(text),
      update: () => parseUpdate(text),
      projection: () => parseProjection(text),
    }[kind];
    expect(failure(parse)).toEqual({ code: "ValidationException", message });
  });
});

describe("reserved words", () => {
  it("has the developer guide's 573 words", () => {
    expect(RESERVED_WORDS.size).toBe(573);
  });

  it.each(["ABORT", "ZONE", "status", "Name", "data", "count", "items", "size", "comment", "date", "year", "user", "ttl", "uuid", "value", "values", "key", "hash", "range", "timestamp", "flattern", "innter", "loged"])(
    "%s is reserved, whatever its case",
    (word) => {
      expect(isReservedWord(word)).toBe(true);
      expect(isReservedWord(word.toLowerCase())).toBe(true);
      expect(isReservedWord(word.toUpperCase())).toBe(true);
    },
  );

  it.each(["pk", "sk", "id", "title", "price", "email", "createdAt", "userId", "ProductCategory", "Brand", "Color", "Pictures", "RelatedItems", "Thumb", "Score"])(
    "%s is not reserved",
    (word) => {
      expect(isReservedWord(word)).toBe(false);
    },
  );

  it.each(["status", "name", "data", "count", "items", "Comment"])("%s must be aliased in every expression kind", (word) => {
    const msg = (kind: string) => `Invalid ${kind}: Attribute name is a reserved keyword; reserved keyword: ${word}`;
    expect(failure(() => parseCondition(`${word} = :v`, { values: { ":v": { S: "x" } } })).message).toBe(msg("ConditionExpression"));
    expect(failure(() => parseFilter(`attribute_exists(${word})`)).message).toBe(msg("FilterExpression"));
    expect(failure(() => parseUpdate(`SET ${word} = :v`, { values: { ":v": { S: "x" } } })).message).toBe(msg("UpdateExpression"));
    expect(failure(() => parseProjection(`pk, ${word}`)).message).toBe(msg("ProjectionExpression"));
    expect(() => parseProjection("#w", { names: { "#w": word } })).not.toThrow();
  });

  it("reports the first reserved word, as written", () => {
    expect(failure(() => parseUpdate("SET a = :v, Status = :v, Name = :v", { values: { ":v": { S: "x" } } })).message).toBe(
      "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: Status",
    );
  });

  it("a function name is not checked as an attribute name", () => {
    expect(() => parseCondition("size(a) > :v", { values: { ":v": { N: "1" } } })).not.toThrow();
  });
});

describe("ExpressionAttributeNames and ExpressionAttributeValues", () => {
  it("refuses empty maps", () => {
    expect(failure(() => trackUsage({}, undefined)).message).toBe("ExpressionAttributeNames must not be empty");
    expect(failure(() => trackUsage(undefined, {})).message).toBe("ExpressionAttributeValues must not be empty");
  });

  it.each(["n", "#", "#a-b", "#a b", "##a", ""])("refuses the name key %j", (key) => {
    expect(failure(() => trackUsage({ [key]: "x" })).message).toBe(`ExpressionAttributeNames contains invalid key: Syntax error; key: "${key}"`);
  });

  it.each(["v", ":", ":a-b", "::a", "#v"])("refuses the value key %j", (key) => {
    expect(failure(() => trackUsage(undefined, { [key]: { S: "x" } })).message).toBe(
      `ExpressionAttributeValues contains invalid key: Syntax error; key: "${key}"`,
    );
  });

  it("refuses an empty attribute name", () => {
    expect(failure(() => trackUsage({ "#n": "" })).message).toBe("ExpressionAttributeNames contains invalid value: Empty attribute name for key #n");
  });

  it("refuses invalid values, naming the key", () => {
    expect(failure(() => trackUsage(undefined, { ":v": { SS: [] } })).message).toBe(
      "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :v",
    );
    expect(failure(() => trackUsage(undefined, { ":v": {} })).message).toBe(
      "ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes for key :v",
    );
    expect(failure(() => trackUsage(undefined, { ":n": { N: "x" } })).message).toBe(
      "ExpressionAttributeValues contains invalid value: The parameter cannot be converted to a numeric value: x for key :n",
    );
  });

  it("normalises values (numbers canonical)", () => {
    expect(trackUsage(undefined, { ":n": { N: "1.50" } }).values.get(":n")).toEqual({ N: "1.5" });
  });

  it("names and values may be any word characters after the sigil", () => {
    expect(() => trackUsage({ "#1": "a", "#_x9": "b", "#ABC": "c" }, { ":0": { S: "a" }, ":_": { S: "b" } })).not.toThrow();
  });

  it("tracks usage across the expressions of one request", () => {
    const attrs = trackUsage({ "#a": "a", "#b": "b", "#c": "c" }, { ":x": { N: "1" }, ":y": { N: "2" }, ":z": { N: "3" } });
    parseUpdate("SET #a = :x", attrs);
    parseCondition("#b > :y", attrs);
    expect(failure(() => attrs.assertAllUsed()).message).toBe("Value provided in ExpressionAttributeNames unused in expressions: keys: {#c}");
    parseProjection("#c", attrs);
    expect(failure(() => attrs.assertAllUsed()).message).toBe("Value provided in ExpressionAttributeValues unused in expressions: keys: {:z}");
    parseFilter("attribute_exists(#a) OR #a = :z", attrs);
    expect(() => attrs.assertAllUsed()).not.toThrow();
  });

  it("lists every unused key", () => {
    const attrs = trackUsage({ "#a": "a" }, { ":x": { N: "1" }, ":y": { N: "2" }, ":z": { N: "3" } });
    parseCondition("#a = :y", attrs);
    expect(failure(() => attrs.assertAllUsed()).message).toBe("Value provided in ExpressionAttributeValues unused in expressions: keys: {:x, :z}");
  });

  it("reports unused names before unused values", () => {
    const attrs = trackUsage({ "#unused": "x" }, { ":unused": { S: "y" } });
    expect(failure(() => attrs.assertAllUsed()).message).toBe("Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}");
  });

  it("a failed parse does not count as use of the rest", () => {
    const attrs = trackUsage(undefined, { ":a": { N: "1" }, ":b": { N: "2" } });
    expect(() => parseCondition("x = :a AND y = :missing AND z = :b", attrs)).toThrow(/attribute value: :missing/);
    expect(attrs.unusedValues()).toEqual([":b"]);
  });

  it("accepts bare maps instead of a tracker", () => {
    expect(() => parseCondition("#a = :v", { names: { "#a": "a" }, values: { ":v": { S: "x" } } })).not.toThrow();
    expect(() => parseCondition("attribute_exists(a)")).not.toThrow();
  });
});
