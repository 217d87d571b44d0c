/**
 * ConditionExpression / FilterExpression: evaluation semantics (comparators, BETWEEN, IN,
 * AND/OR/NOT precedence, parentheses, every function, nested paths) on the developer guide's
 * ProductCatalog item, and the validation errors with DynamoDB's exact messages.
 */
import { describe, expect, it } from "vitest";
import {
  checkCondition,
  evaluateCondition,
  parseCondition,
  parseFilter,
  trackUsage,
} from "../src/services/dynamodb/expressions/index.js";
import type { AttributeMap } from "../src/services/dynamodb/attribute-value.js";
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

/** The developer guide's ProductCatalog item 123 (Expressions.Attributes), plus a few extras. */
const product: AttributeMap = {
  Id: { N: "123" },
  Title: { S: "Bicycle 123" },
  Description: { S: "123 description" },
  BicycleType: { S: "Hybrid" },
  Brand: { S: "Brand-Company C" },
  Price: { N: "500" },
  Color: { SS: ["Red", "Black"] },
  ProductCategory: { S: "Bicycle" },
  InStock: { BOOL: true },
  QuantityOnHand: { NULL: true },
  RelatedItems: { L: [{ N: "341" }, { N: "472" }, { N: "649" }] },
  Pictures: {
    M: {
      FrontView: { S: "http://example.com/products/123_front.jpg" },
      RearView: { S: "http://example.com/products/123_rear.jpg" },
      SideView: { S: "http://example.com/products/123_left_side.jpg" },
    },
  },
  ProductReviews: {
    M: {
      FiveStar: { L: [{ S: "Excellent! Can't recommend it highly enough! Buy it!" }, { S: "Do yourself a favor and buy this." }] },
      OneStar: { L: [{ S: "Terrible product! Do not buy this." }] },
    },
  },
  Comment: { S: "This product sells out quickly during the summer" },
  "Safety.Warning": { S: "Always wear a helmet" },
  Ratings: { NS: ["1", "4.5", "5"] },
  Thumb: { B: Buffer.from([1, 2, 3, 4]) },
  Sizes: { BS: [Buffer.from([1]), Buffer.from([2])] },
  Score: { N: "-2.5" },
  Emoji: { S: "\u{1F600}x" },
};

/** Evaluates `text` against the product with the given placeholders. */
function holds(text: string, values: Record<string, unknown> = {}, names?: Record<string, string>): boolean {
  return evaluateCondition(
    parseCondition(text, { names, values: Object.keys(values).length ? values : undefined }),
    product,
  );
}

const N = (n: string) => ({ N: n });
const S = (s: string) => ({ S: s });

describe("comparators", () => {
  it.each<[string, Record<string, unknown>, boolean]>([
    ["Price = :p", { ":p": N("500") }, true],
    ["Price = :p", { ":p": N("500.0") }, true],
    ["Price = :p", { ":p": N("5e2") }, true],
    ["Price = :p", { ":p": S("500") }, false],
    ["Price <> :p", { ":p": S("500") }, true],
    ["Price <> :p", { ":p": N("500") }, false],
    ["Price < :p", { ":p": N("501") }, true],
    ["Price < :p", { ":p": N("500") }, false],
    ["Price <= :p", { ":p": N("500") }, true],
    ["Price > :p", { ":p": N("499.99") }, true],
    ["Price > :p", { ":p": N("1000") }, false],
    ["Price >= :p", { ":p": N("500") }, true],
    ["Price > :p", { ":p": N("-1000") }, true],
    ["Score < :p", { ":p": N("-2") }, true],
    ["Score > :p", { ":p": N("-3") }, true],
    ["Price > :p", { ":p": S("1") }, false],
    ["Title = :t", { ":t": S("Bicycle 123") }, true],
    ["Title < :t", { ":t": S("Bicycle 124") }, true],
    ["Title > :t", { ":t": S("Bicycle") }, true],
    ["Title > :t", { ":t": S("bicycle") }, false],
    ["Emoji > :t", { ":t": S("\uFFFF") }, true],
    ["Thumb = :b", { ":b": { B: Buffer.from([1, 2, 3, 4]) } }, true],
    ["Thumb < :b", { ":b": { B: Buffer.from([1, 2, 4]) } }, true],
    ["Thumb > :b", { ":b": { B: Buffer.from([1, 2, 3]) } }, true],
    ["InStock = :t", { ":t": { BOOL: true } }, true],
    ["InStock = :t", { ":t": { BOOL: false } }, false],
    ["InStock <> :t", { ":t": { BOOL: false } }, true],
    ["QuantityOnHand = :n", { ":n": { NULL: true } }, true],
    ["Color = :c", { ":c": { SS: ["Black", "Red"] } }, true],
    ["Color = :c", { ":c": { SS: ["Black"] } }, false],
    ["Ratings = :r", { ":r": { NS: ["5", "1.0", "4.50"] } }, true],
    ["RelatedItems = :l", { ":l": { L: [N("341"), N("472"), N("649")] } }, true],
    ["RelatedItems = :l", { ":l": { L: [N("472"), N("341"), N("649")] } }, false],
    ["Pictures.FrontView = :u", { ":u": S("http://example.com/products/123_front.jpg") }, true],
  ])("%s with %j is %s", (text, values, expected) => {
    expect(holds(text, values)).toBe(expected);
  });

  it("a missing attribute is never equal, ordered or between, but is <> anything", () => {
    expect(holds("Absent = :v", { ":v": N("1") })).toBe(false);
    expect(holds("Absent <> :v", { ":v": N("1") })).toBe(true);
    expect(holds("Absent < :v", { ":v": N("1") })).toBe(false);
    expect(holds("Absent >= :v", { ":v": N("1") })).toBe(false);
    expect(holds("Absent BETWEEN :a AND :b", { ":a": N("1"), ":b": N("2") })).toBe(false);
    expect(holds("Absent IN (:a, :b)", { ":a": N("1"), ":b": N("2") })).toBe(false);
  });

  it("values of types DynamoDB does not order compare false with < and >", () => {
    expect(holds("InStock > Price")).toBe(false);
    expect(holds("Color < Pictures")).toBe(false);
  });

  it("compares two attributes of the item", () => {
    expect(holds("Price > Score")).toBe(true);
    expect(holds("Title <> Description")).toBe(true);
    expect(holds("Pictures.FrontView < Pictures.RearView")).toBe(true);
  });

  it("compares two values", () => {
    expect(holds(":a < :b", { ":a": N("1"), ":b": N("2") })).toBe(true);
    expect(holds(":a = :b", { ":a": S("x"), ":b": S("y") })).toBe(false);
  });
});

describe("BETWEEN and IN", () => {
  it.each<[string, Record<string, unknown>, boolean]>([
    ["Price BETWEEN :lo AND :hi", { ":lo": N("100"), ":hi": N("500") }, true],
    ["Price BETWEEN :lo AND :hi", { ":lo": N("500"), ":hi": N("500") }, true],
    ["Price BETWEEN :lo AND :hi", { ":lo": N("501"), ":hi": N("600") }, false],
    ["Score BETWEEN :lo AND :hi", { ":lo": N("-3"), ":hi": N("0") }, true],
    ["Title BETWEEN :lo AND :hi", { ":lo": S("A"), ":hi": S("C") }, true],
    ["Title BETWEEN :lo AND :hi", { ":lo": S("a"), ":hi": S("c") }, false],
    ["Thumb BETWEEN :lo AND :hi", { ":lo": { B: Buffer.from([1]) }, ":hi": { B: Buffer.from([2]) } }, true],
    ["ProductCategory IN (:a, :b)", { ":a": S("Book"), ":b": S("Bicycle") }, true],
    ["ProductCategory IN (:a)", { ":a": S("Book") }, false],
    ["Price IN (:a, :b, :c)", { ":a": S("500"), ":b": N("1"), ":c": N("500.00") }, true],
    ["Color IN (:c)", { ":c": { SS: ["Black", "Red"] } }, true],
    ["ProductCategory in (:a, :b)", { ":a": S("Book"), ":b": S("Bicycle") }, true],
    ["Price between :lo and :hi", { ":lo": N("1"), ":hi": N("1000") }, true],
  ])("%s with %j is %s", (text, values, expected) => {
    expect(holds(text, values)).toBe(expected);
  });

  it("BETWEEN on values of another type is false", () => {
    expect(holds("Title BETWEEN :lo AND :hi", { ":lo": N("1"), ":hi": N("2") })).toBe(false);
  });

  it("BETWEEN with bounds from the item that are reversed is simply false", () => {
    const item = { v: N("5"), lo: N("10"), hi: N("1") };
    expect(evaluateCondition(parseCondition("v BETWEEN lo AND hi"), item)).toBe(false);
  });

  it("IN accepts exactly 100 candidates", () => {
    const values = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`:v${i}`, N(String(i + 450))]));
    expect(holds(`Price IN (${Object.keys(values).join(", ")})`, values)).toBe(true);
  });
});

describe("logical operators and precedence", () => {
  const v = { ":yes": N("500"), ":no": N("1") };
  it.each<[string, boolean]>([
    ["Price = :yes AND Price = :yes", true],
    ["Price = :yes AND Price = :no", false],
    ["Price = :no OR Price = :yes", true],
    ["Price = :no OR Price = :no", false],
    ["NOT Price = :no", true],
    ["NOT Price = :yes", false],
    ["NOT NOT Price = :yes", true],
    // AND binds tighter than OR: true OR (true AND false)
    ["Price = :yes OR Price = :yes AND Price = :no", true],
    // parentheses first: (true OR true) AND false
    ["(Price = :yes OR Price = :yes) AND Price = :no", false],
    // NOT binds tighter than AND: (NOT false) AND true
    ["NOT Price = :no AND Price = :yes", true],
    // NOT binds tighter than OR: (NOT true) OR false
    ["NOT Price = :yes OR Price = :no", false],
    ["NOT (Price = :yes OR Price = :no)", false],
    ["Price = :no AND Price = :no OR Price = :yes", true],
    ["Price = :no AND (Price = :no OR Price = :yes)", false],
    ["(Price = :yes)", true],
    ["((Price = :yes) AND (Price = :yes))", true],
    ["Price = :yes and not Price = :no or Price = :no", true],
    ["price = :yes", false],
  ])("%s is %s", (text, expected) => {
    expect(holds(text, v)).toBe(expected);
  });

  it("the developer guide's parentheses example: a OR b AND c vs (a OR b) AND c", () => {
    const item = { a: { BOOL: true }, b: { BOOL: true }, c: { BOOL: false } };
    const values = { ":t": { BOOL: true } };
    const run = (text: string) => evaluateCondition(parseCondition(text, { values }), item);
    expect(run("a = :t OR b = :t AND c = :t")).toBe(true);
    expect(run("(a = :t OR b = :t) AND c = :t")).toBe(false);
  });
});

describe("functions", () => {
  it.each<[string, Record<string, unknown>, boolean]>([
    ["attribute_exists(Pictures.SideView)", {}, true],
    ["attribute_exists(Pictures.TopView)", {}, false],
    ["attribute_not_exists(Manufacturer)", {}, true],
    ["attribute_not_exists(Price)", {}, false],
    ["attribute_exists(QuantityOnHand)", {}, true],
    ["attribute_exists(RelatedItems[2])", {}, true],
    ["attribute_exists(RelatedItems[3])", {}, false],
    ["attribute_exists(ProductReviews.FiveStar[1])", {}, true],
    ["attribute_exists(Title.Nested)", {}, false],
    ["attribute_exists(Price[0])", {}, false],
    ["attribute_type(ProductReviews.FiveStar, :v_sub)", { ":v_sub": S("L") }, true],
    ["attribute_type(Color, :t)", { ":t": S("SS") }, true],
    ["attribute_type(Ratings, :t)", { ":t": S("NS") }, true],
    ["attribute_type(Sizes, :t)", { ":t": S("BS") }, true],
    ["attribute_type(Thumb, :t)", { ":t": S("B") }, true],
    ["attribute_type(QuantityOnHand, :t)", { ":t": S("NULL") }, true],
    ["attribute_type(InStock, :t)", { ":t": S("BOOL") }, true],
    ["attribute_type(Pictures, :t)", { ":t": S("M") }, true],
    ["attribute_type(Price, :t)", { ":t": S("S") }, false],
    ["attribute_type(Absent, :t)", { ":t": S("S") }, false],
    ["begins_with(Pictures.FrontView, :v_sub)", { ":v_sub": S("http://") }, true],
    ["begins_with(Pictures.FrontView, :v_sub)", { ":v_sub": S("https://") }, false],
    ["begins_with(Title, :v)", { ":v": S("") }, true],
    ["begins_with(Thumb, :v)", { ":v": { B: Buffer.from([1, 2]) } }, true],
    ["begins_with(Thumb, :v)", { ":v": { B: Buffer.from([2]) } }, false],
    ["begins_with(Price, :v)", { ":v": S("5") }, false],
    ["begins_with(Absent, :v)", { ":v": S("5") }, false],
    ["contains(Brand, :v_sub)", { ":v_sub": S("Company") }, true],
    ["contains(Brand, :v_sub)", { ":v_sub": S("company") }, false],
    ["contains(Color, :v_sub)", { ":v_sub": S("Red") }, true],
    ["contains(Color, :v_sub)", { ":v_sub": S("Blue") }, false],
    ["contains(Ratings, :v)", { ":v": N("4.50") }, true],
    ["contains(Ratings, :v)", { ":v": S("5") }, false],
    ["contains(Sizes, :v)", { ":v": { B: Buffer.from([2]) } }, true],
    ["contains(RelatedItems, :v)", { ":v": N("472") }, true],
    ["contains(RelatedItems, :v)", { ":v": S("472") }, false],
    ["contains(Thumb, :v)", { ":v": { B: Buffer.from([2, 3]) } }, true],
    ["contains(Price, :v)", { ":v": N("5") }, false],
    ["contains(Absent, :v)", { ":v": S("x") }, false],
    ["size(Brand) <= :v_sub", { ":v_sub": N("20") }, true],
    ["size(Brand) = :n", { ":n": N("15") }, true],
    ["size(Thumb) = :n", { ":n": N("4") }, true],
    ["size(Color) > :v_sub", { ":v_sub": N("1") }, true],
    ["size(ProductReviews.OneStar) > :v_sub", { ":v_sub": N("3") }, false],
    ["size(RelatedItems) = :n", { ":n": N("3") }, true],
    ["size(Pictures) = :n", { ":n": N("3") }, true],
    ["size(Emoji) = :n", { ":n": N("2") }, true],
    ["size(Price) = :n", { ":n": N("3") }, false],
    ["size(Price) <> :n", { ":n": N("3") }, true],
    ["size(Absent) = :n", { ":n": N("0") }, false],
    ["size(Title) BETWEEN :a AND :b", { ":a": N("1"), ":b": N("20") }, true],
    ["size(Title) IN (:a, :b)", { ":a": N("11"), ":b": N("12") }, true],
    [":n < size(Title)", { ":n": N("5") }, true],
    ["size(Title) > size(Brand)", {}, false],
  ])("%s with %j is %s", (text, values, expected) => {
    expect(holds(text, values)).toBe(expected);
  });

  it("functions combine with logic", () => {
    expect(holds("attribute_exists(Price) AND NOT contains(Color, :c)", { ":c": S("Blue") })).toBe(true);
    expect(holds("begins_with(Title, :p) OR size(Title) > :n", { ":p": S("X"), ":n": N("100") })).toBe(false);
  });
});

describe("placeholders and document paths", () => {
  it("resolves #names, also for a name containing a dot (one attribute, not a path)", () => {
    expect(holds("#sw = :w", { ":w": S("Always wear a helmet") }, { "#sw": "Safety.Warning" })).toBe(true);
    expect(holds("attribute_exists(Safety.Warning)")).toBe(false);
  });

  it("resolves names per path element", () => {
    expect(holds("#pr.#1star[0] = :r", { ":r": S("Terrible product! Do not buy this.") }, { "#pr": "ProductReviews", "#1star": "OneStar" })).toBe(true);
  });

  it("reserved words are fine behind a placeholder", () => {
    expect(holds("#c = :c", { ":c": S("This product sells out quickly during the summer") }, { "#c": "Comment" })).toBe(true);
  });

  it("a name may be used several times", () => {
    expect(holds("#p > :a AND #p < :b", { ":a": N("1"), ":b": N("1000") }, { "#p": "Price" })).toBe(true);
  });

  it("indexes into nested lists", () => {
    const item = { m: { L: [{ L: [N("1"), N("2")] }, { M: { k: { L: [S("deep")] } } }] } };
    expect(evaluateCondition(parseCondition("m[0][1] = :v", { values: { ":v": N("2") } }), item)).toBe(true);
    expect(evaluateCondition(parseCondition("m[1].k[0] = :v", { values: { ":v": S("deep") } }), item)).toBe(true);
    expect(evaluateCondition(parseCondition("attribute_exists(m[1][0])"), item)).toBe(false);
  });

  it("allows whitespace inside paths and around operators", () => {
    expect(holds(" Pictures . FrontView  =  :u ", { ":u": S("http://example.com/products/123_front.jpg") })).toBe(true);
    expect(holds("RelatedItems[ 0 ]=:v", { ":v": N("341") })).toBe(true);
  });

  it("evaluates against an absent item as an empty one", () => {
    const c = parseCondition("attribute_not_exists(Id)");
    expect(evaluateCondition(c, undefined)).toBe(true);
    expect(evaluateCondition(parseCondition("attribute_exists(Id)"), undefined)).toBe(false);
  });

  it("a parsed condition is reusable across items", () => {
    const c = parseFilter("n > :z", { values: { ":z": N("0") } });
    const items: AttributeMap[] = [{ n: N("1") }, { n: N("-1") }, {}, { n: S("1") }, { n: N("0.0001") }];
    expect(items.map((i) => evaluateCondition(c, i))).toEqual([true, false, false, false, true]);
  });

  it("checkCondition parses, checks usage and evaluates in one call", () => {
    expect(checkCondition(product, "Price = :p", undefined, { ":p": N("500") })).toBe(true);
    expect(failure(() => checkCondition(product, "Price = :p", undefined, { ":p": N("500"), ":q": N("1") })).message).toBe(
      "Value provided in ExpressionAttributeValues unused in expressions: keys: {:q}",
    );
  });
});

describe("validation errors", () => {
  const cases: [string, string, Record<string, unknown> | undefined, Record<string, string> | undefined, string][] = [
    ["empty", "", undefined, undefined, "Invalid ConditionExpression: The expression can not be empty;"],
    ["blank", "   ", undefined, undefined, "Invalid ConditionExpression: The expression can not be empty;"],
    [
      "reserved word",
      "status = :v",
      { ":v": S("x") },
      undefined,
      "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status",
    ],
    [
      "reserved word nested",
      "a.Comment = :v",
      { ":v": S("x") },
      undefined,
      "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Comment",
    ],
    [
      "reserved word inside a function",
      "attribute_exists(name)",
      undefined,
      undefined,
      "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name",
    ],
    [
      "undefined value",
      "a = :v",
      undefined,
      undefined,
      "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v",
    ],
    [
      "undefined name",
      "#a = :v",
      { ":v": S("x") },
      undefined,
      "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #a",
    ],
    [
      "unknown function",
      "starts_with(a, :v)",
      { ":v": S("x") },
      undefined,
      "Invalid ConditionExpression: Invalid function name; function: starts_with",
    ],
    [
      "function names are case-sensitive",
      "ATTRIBUTE_EXISTS(a)",
      undefined,
      undefined,
      "Invalid ConditionExpression: Invalid function name; function: ATTRIBUTE_EXISTS",
    ],
    [
      "update function in a condition",
      "a = if_not_exists(b, :v)",
      { ":v": S("x") },
      undefined,
      "Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists",
    ],
    [
      "list_append as a condition",
      "list_append(a, :v)",
      { ":v": { L: [] } },
      undefined,
      "Invalid ConditionExpression: The function is not allowed in a condition expression; function: list_append",
    ],
    [
      "size alone",
      "size(a)",
      undefined,
      undefined,
      "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size",
    ],
    [
      "a condition function as an operand",
      "begins_with(a, :v) = :t",
      { ":v": S("x"), ":t": { BOOL: true } },
      undefined,
      "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: begins_with",
    ],
    [
      "a condition function as an argument",
      "contains(attribute_exists(a), :v)",
      { ":v": S("x") },
      undefined,
      "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists",
    ],
    [
      "too few operands",
      "begins_with(a)",
      undefined,
      undefined,
      "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1",
    ],
    [
      "too many operands",
      "attribute_exists(a, b)",
      undefined,
      undefined,
      "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2",
    ],
    [
      "size with two operands",
      "size(a, b) > :n",
      { ":n": N("1") },
      undefined,
      "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: size, number of operands: 2",
    ],
    [
      "attribute_exists on a value",
      "attribute_exists(:v)",
      { ":v": S("x") },
      undefined,
      "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists",
    ],
    [
      "attribute_not_exists on a value",
      "attribute_not_exists(:v)",
      { ":v": S("x") },
      undefined,
      "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_not_exists",
    ],
    [
      "size of a value",
      "size(:v) > :n",
      { ":v": S("x"), ":n": N("1") },
      undefined,
      "Invalid ConditionExpression: Operator or function requires a document path; operator or function: size",
    ],
    [
      "begins_with a number",
      "begins_with(a, :v)",
      { ":v": N("1") },
      undefined,
      "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
    ],
    [
      "ordering against a list",
      "a < :l",
      { ":l": { L: [N("1")] } },
      undefined,
      "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: L",
    ],
    [
      "ordering against a boolean",
      "a >= :b",
      { ":b": { BOOL: true } },
      undefined,
      "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: >=, operand type: BOOL",
    ],
    [
      "BETWEEN with a set",
      "a BETWEEN :s AND :t",
      { ":s": { SS: ["a"] }, ":t": { SS: ["b"] } },
      undefined,
      "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: SS",
    ],
    [
      "attribute_type with a number",
      "attribute_type(a, :t)",
      { ":t": N("1") },
      undefined,
      "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N",
    ],
    [
      "attribute_type with an unknown type",
      "attribute_type(a, :t)",
      { ":t": S("STRING") },
      undefined,
      "Invalid ConditionExpression: Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
    ],
    [
      "BETWEEN bounds reversed",
      "a BETWEEN :hi AND :lo",
      { ":hi": N("5"), ":lo": N("4") },
      undefined,
      "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:4}",
    ],
    [
      "BETWEEN bounds of different types",
      "a BETWEEN :lo AND :hi",
      { ":lo": N("1"), ":hi": S("a") },
      undefined,
      "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}",
    ],
    [
      "contains(a, a)",
      "contains(#a, #a)",
      undefined,
      { "#a": "data" },
      "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [data]",
    ],
    [
      "a = a",
      "a.b = a.b",
      undefined,
      undefined,
      "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a, b]",
    ],
    [
      "a IN (b, a)",
      "a IN (b, a)",
      undefined,
      undefined,
      "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: IN, first operand: [a]",
    ],
    [
      "a BETWEEN a AND b",
      "x[1] BETWEEN x[1] AND b",
      undefined,
      undefined,
      "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: BETWEEN, first operand: [x, [1]]",
    ],
    [
      "redundant parentheses",
      "((attribute_not_exists(pk)))",
      undefined,
      undefined,
      "Invalid ConditionExpression: The expression has redundant parentheses;",
    ],
    [
      "redundant parentheses inside",
      "a = :v AND ((b = :v))",
      { ":v": N("1") },
      undefined,
      "Invalid ConditionExpression: The expression has redundant parentheses;",
    ],
  ];

  it.each(cases)("%s", (_name, text, values, names, message) => {
    expect(failure(() => parseCondition(text, { names, values }))).toEqual({ code: "ValidationException", message });
  });

  it("IN refuses 101 candidates", () => {
    const values = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`:v${i}`, N(String(i))]));
    expect(failure(() => parseCondition(`a IN (${Object.keys(values).join(", ")})`, { values })).message).toBe(
      "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101",
    );
  });

  it("FilterExpression errors say FilterExpression", () => {
    expect(failure(() => parseFilter("#missing = :fv", { values: { ":fv": S("x") } })).message).toBe(
      "Invalid FilterExpression: An expression attribute name used in the document path is not defined; attribute name: #missing",
    );
    expect(failure(() => parseFilter("begins_with(a, :v)", { values: { ":v": N("1") } })).message).toBe(
      "Invalid FilterExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
    );
  });

  it("refuses paths nested more than 32 levels", () => {
    const ok = Array.from({ length: 32 }, (_, i) => `a${i}`).join(".");
    expect(() => parseCondition(`attribute_exists(${ok})`)).not.toThrow();
    expect(failure(() => parseCondition(`attribute_exists(${ok}[0])`)).message).toBe(
      "Invalid ConditionExpression: The document path has too many nesting levels; nesting levels: 33",
    );
  });

  it("refuses an expression over 4 KB", () => {
    const text = `a = :v OR ${Array.from({ length: 500 }, () => "a = :v").join(" OR ")}`;
    expect(failure(() => parseCondition(text, { values: { ":v": N("1") } })).message).toMatch(
      /^Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: \d+$/,
    );
  });

  it("reports a reserved word before an undefined placeholder that comes earlier", () => {
    expect(failure(() => parseCondition("#x = :v AND size = :v")).message).toBe(
      "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: size",
    );
  });

  it("reports a syntax error before anything else", () => {
    expect(failure(() => parseCondition("status = = :missing")).message).toBe(
      'Invalid ConditionExpression: Syntax error; token: "=", near: "= = :missing"',
    );
  });

  it("reports placeholders in the order written", () => {
    expect(failure(() => parseCondition(":a = #b")).message).toMatch(/attribute value: :a$/);
    expect(failure(() => parseCondition("#b = :a")).message).toMatch(/attribute name: #b$/);
  });

  it("marks what it resolves as used, across several expressions of one request", () => {
    const attrs = trackUsage({ "#a": "a", "#b": "b" }, { ":x": N("1"), ":y": N("2") });
    parseCondition("#a = :x", attrs);
    expect(attrs.unusedNames()).toEqual(["#b"]);
    expect(attrs.unusedValues()).toEqual([":y"]);
    parseFilter("#b > :y", attrs);
    expect(() => attrs.assertAllUsed()).not.toThrow();
  });
});
