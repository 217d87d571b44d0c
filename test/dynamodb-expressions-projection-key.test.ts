/**
 * ProjectionExpression (the projected item's shape, list gathering, overlaps and conflicts) and
 * KeyConditionExpression (the plan for a range scan, DynamoDB's key-condition rules and
 * messages, sort-key matching and ranges).
 */
import { describe, expect, it } from "vitest";
import {
  matchesKeyCondition,
  matchesSortKeyCondition,
  parseKeyCondition,
  parseProjection,
  project,
  projectExpression,
  projectedTopLevelNames,
  sortKeyRange,
  trackUsage,
  type KeySchema,
  type SortKeyCondition,
} from "../src/services/dynamodb/expressions/index.js";
import type { AttributeMap, AttributeValue } from "../src/services/dynamodb/attribute-value.js";
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

const N = (n: string): AttributeValue => ({ N: n });
const S = (s: string): AttributeValue => ({ S: s });
const L = (...xs: AttributeValue[]): AttributeValue => ({ L: xs });
const M = (m: AttributeMap): AttributeValue => ({ M: m });

const product: AttributeMap = {
  Id: N("123"),
  Title: S("Bicycle 123"),
  Price: N("500"),
  Color: { SS: ["Red", "Black"] },
  RelatedItems: L(N("341"), N("472"), N("649")),
  Pictures: M({ FrontView: S("front.jpg"), RearView: S("rear.jpg"), SideView: S("side.jpg") }),
  ProductReviews: M({
    FiveStar: L(S("Excellent!"), S("Do yourself a favor and buy this.")),
    OneStar: L(S("Terrible product!")),
  }),
  "Safety.Warning": S("Always wear a helmet"),
  Matrix: L(L(N("1"), N("2")), L(N("3"), N("4"))),
  Docs: L(M({ a: N("1"), b: N("2") }), M({ a: N("3") }), M({ b: N("4") })),
};

describe("projection shapes", () => {
  it.each<[string, Record<string, string> | undefined, AttributeMap]>([
    ["Title", undefined, { Title: S("Bicycle 123") }],
    ["Title, Price, Color", undefined, { Title: S("Bicycle 123"), Price: N("500"), Color: { SS: ["Red", "Black"] } }],
    ["Description, RelatedItems[0], ProductReviews.FiveStar", undefined, {
      RelatedItems: L(N("341")),
      ProductReviews: M({ FiveStar: L(S("Excellent!"), S("Do yourself a favor and buy this.")) }),
    }],
    ["RelatedItems[2], RelatedItems[0]", undefined, { RelatedItems: L(N("341"), N("649")) }],
    ["RelatedItems[1], RelatedItems[7]", undefined, { RelatedItems: L(N("472")) }],
    ["RelatedItems[9]", undefined, {}],
    ["Pictures.FrontView, Pictures.SideView", undefined, { Pictures: M({ FrontView: S("front.jpg"), SideView: S("side.jpg") }) }],
    ["Pictures.TopView", undefined, {}],
    ["Pictures.FrontView.Deeper", undefined, {}],
    ["Title[0]", undefined, {}],
    ["ProductReviews.FiveStar[1]", undefined, { ProductReviews: M({ FiveStar: L(S("Do yourself a favor and buy this.")) }) }],
    ["Matrix[1][0]", undefined, { Matrix: L(L(N("3"))) }],
    ["Matrix[0][1], Matrix[1][0]", undefined, { Matrix: L(L(N("2")), L(N("3"))) }],
    ["Docs[0].b, Docs[1].b, Docs[2].b", undefined, { Docs: L(M({ b: N("2") }), M({ b: N("4") })) }],
    ["Docs[0].a, Docs[0].b", undefined, { Docs: L(M({ a: N("1"), b: N("2") })) }],
    ["#sw", { "#sw": "Safety.Warning" }, { "Safety.Warning": S("Always wear a helmet") }],
    ["Safety.Warning", undefined, {}],
    ["#pr.#1star", { "#pr": "ProductReviews", "#1star": "OneStar" }, { ProductReviews: M({ OneStar: L(S("Terrible product!")) }) }],
    ["#pr.FiveStar[0], #pr.OneStar", { "#pr": "ProductReviews" }, {
      ProductReviews: M({ FiveStar: L(S("Excellent!")), OneStar: L(S("Terrible product!")) }),
    }],
    ["Absent", undefined, {}],
  ])("%s", (text, names, expected) => {
    expect(projectExpression(product, text, names)).toEqual(expected);
  });

  it("returns copies, not the stored values", () => {
    const out = projectExpression(product, "RelatedItems");
    (out.RelatedItems as { L: AttributeValue[] }).L.push(N("0"));
    expect((product.RelatedItems as { L: AttributeValue[] }).L).toHaveLength(3);
  });

  it("projects an attribute named __proto__ as an own attribute", () => {
    const item = JSON.parse('{"__proto__": {"M": {"__proto__": {"S": "x"}, "b": {"S": "y"}}}}') as AttributeMap;
    const out = projectExpression(item, "#p.#p", { "#p": "__proto__" });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"M":{"__proto__":{"S":"x"}}}}');
  });

  it("projects by top-level names too (AttributesToGet)", () => {
    expect(project(product, [["Price"], ["Absent"], ["Id"]])).toEqual({ Price: N("500"), Id: N("123") });
  });

  it("lists the top-level attributes a projection needs", () => {
    expect(projectedTopLevelNames(parseProjection("a.b, a.c, d[0], e").paths)).toEqual(["a", "d", "e"]);
  });
});

describe("projection errors", () => {
  it.each<[string, Record<string, string> | undefined, string]>([
    ["a, a", undefined, "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"],
    ["a, a.b", undefined, "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"],
    ["a[0].b, a", undefined, "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, [0], b], path two: [a]"],
    ["a.b, a[1]", undefined, "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]"],
    ["x.y[0], x.y.z", undefined, "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [x, y, [0]], path two: [x, y, z]"],
    ["#a, a", { "#a": "a" }, "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"],
    ["pk, status", undefined, "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status"],
    ["Comment", undefined, "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: Comment"],
    ["#x", undefined, "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #x"],
    ["a, :v", undefined, 'Invalid ProjectionExpression: Syntax error; token: ":v", near: ", :v"'],
    ["a b", undefined, 'Invalid ProjectionExpression: Syntax error; token: "b", near: "a b"'],
    ["a,", undefined, 'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","'],
    ["!!", undefined, 'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"'],
    ["size(a)", undefined, 'Invalid ProjectionExpression: Syntax error; token: "(", near: "size(a"'],
    ["", undefined, "Invalid ProjectionExpression: The expression can not be empty;"],
  ])("%s", (text, names, message) => {
    expect(failure(() => parseProjection(text, { names }))).toEqual({ code: "ValidationException", message });
  });

  it("unused names are reported by the request's tracker", () => {
    expect(failure(() => projectExpression(product, "Title", { "#unused": "x" })).message).toBe(
      "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}",
    );
  });
});

const composite: KeySchema = { partitionKey: "pk", sortKey: "sk", attributeTypes: { pk: "S", sk: "N" } };
const hashOnly: KeySchema = { partitionKey: "id" };

function plan(text: string, values: Record<string, unknown>, schema: KeySchema = composite, names?: Record<string, string>) {
  return parseKeyCondition(text, { names, values: Object.keys(values).length > 0 ? values : undefined }, schema);
}

describe("key condition plans", () => {
  it("partition key alone", () => {
    expect(plan("pk = :p", { ":p": S("a") })).toEqual({ partitionKey: { name: "pk", value: S("a") } });
  });

  it.each<[string, Record<string, unknown>, SortKeyCondition]>([
    ["pk = :p AND sk = :s", { ":p": S("a"), ":s": N("1") }, { name: "sk", op: "=", value: N("1") }],
    ["pk = :p AND sk < :s", { ":p": S("a"), ":s": N("1") }, { name: "sk", op: "<", value: N("1") }],
    ["pk = :p AND sk <= :s", { ":p": S("a"), ":s": N("1") }, { name: "sk", op: "<=", value: N("1") }],
    ["pk = :p AND sk > :s", { ":p": S("a"), ":s": N("1") }, { name: "sk", op: ">", value: N("1") }],
    ["pk = :p AND sk >= :s", { ":p": S("a"), ":s": N("1") }, { name: "sk", op: ">=", value: N("1") }],
    ["pk = :p AND sk BETWEEN :lo AND :hi", { ":p": S("a"), ":lo": N("1"), ":hi": N("9") }, { name: "sk", op: "BETWEEN", lower: N("1"), upper: N("9") }],
    ["sk > :s AND pk = :p", { ":p": S("a"), ":s": N("1") }, { name: "sk", op: ">", value: N("1") }],
    [":s < sk AND :p = pk", { ":p": S("a"), ":s": N("1") }, { name: "sk", op: ">", value: N("1") }],
    ["(pk = :p) AND (sk <= :s)", { ":p": S("a"), ":s": N("1") }, { name: "sk", op: "<=", value: N("1") }],
    ["pk = :p and sk between :lo and :hi", { ":p": S("a"), ":lo": N("1"), ":hi": N("1") }, { name: "sk", op: "BETWEEN", lower: N("1"), upper: N("1") }],
  ])("%s", (text, values, sortKey) => {
    expect(plan(text, values)).toEqual({ partitionKey: { name: "pk", value: S("a") }, sortKey });
  });

  it("begins_with on a string sort key", () => {
    const schema: KeySchema = { partitionKey: "Artist", sortKey: "SongTitle" };
    expect(plan("Artist = :a AND begins_with(SongTitle, :t)", { ":a": S("No One You Know"), ":t": S("Call") }, schema)).toEqual({
      partitionKey: { name: "Artist", value: S("No One You Know") },
      sortKey: { name: "SongTitle", op: "begins_with", prefix: S("Call") },
    });
  });

  it("names behind placeholders", () => {
    expect(plan("#k = :v", { ":v": S("x") }, { partitionKey: "Key" }, { "#k": "Key" })).toEqual({ partitionKey: { name: "Key", value: S("x") } });
  });
});

describe("key condition errors", () => {
  it.each<[string, Record<string, unknown>, KeySchema, string]>([
    ["sk = :v", { ":v": N("1") }, composite, "Query condition missed key schema element: pk"],
    ["attr1 = :v", { ":v": S("val") }, composite, "Query condition missed key schema element: pk"],
    ["pk = :p AND extra = :o", { ":p": S("a"), ":o": S("x") }, composite, "Query condition missed key schema element: sk"],
    ["id = :p AND extra = :o", { ":p": S("a"), ":o": S("x") }, hashOnly, "Query key condition not supported"],
    ["pk > :p", { ":p": S("a") }, composite, "Query key condition not supported"],
    ["begins_with(pk, :p)", { ":p": S("a") }, composite, "Query key condition not supported"],
    ["pk BETWEEN :a AND :b", { ":a": S("a"), ":b": S("b") }, composite, "Query key condition not supported"],
    ["pk = sk", {}, composite, "Query key condition not supported"],
    ["pk = :p OR sk = :s", { ":p": S("a"), ":s": N("1") }, composite, "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR"],
    ["NOT pk = :p", { ":p": S("a") }, composite, "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: NOT"],
    ["pk <> :p", { ":p": S("a") }, composite, "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: <>"],
    ["pk IN (:p)", { ":p": S("a") }, composite, "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: IN"],
    ["pk = :p AND attribute_exists(sk)", { ":p": S("a") }, composite, "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: attribute_exists"],
    ["pk = :p AND contains(sk, :s)", { ":p": S("a"), ":s": N("1") }, composite, "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: contains"],
    ["pk = :p AND size(sk) > :s", { ":p": S("a"), ":s": N("1") }, composite, "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: size"],
    ["pk = :p AND sk > :a AND sk < :b", { ":p": S("a"), ":a": N("1"), ":b": N("2") }, composite, "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"],
    ["pk = :p AND pk = :p", { ":p": S("a") }, composite, "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"],
    ["pk.x = :p", { ":p": S("a") }, composite, "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes"],
    ["pk = :p", { ":p": N("1") }, composite, "One or more parameter values were invalid: Condition parameter type does not match schema type"],
    ["pk = :p AND sk = :s", { ":p": S("a"), ":s": S("1") }, composite, "One or more parameter values were invalid: Condition parameter type does not match schema type"],
    ["id = :p", { ":p": { BOOL: true } }, hashOnly, "One or more parameter values were invalid: Condition parameter type does not match schema type"],
    ["pk = :p", { ":p": S("") }, composite, "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"],
    ["pk = :p AND begins_with(sk, :s)", { ":p": S("a"), ":s": N("1") }, composite, "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"],
    ["pk = :p AND sk BETWEEN :b AND :a", { ":p": S("a"), ":a": N("1"), ":b": N("2") }, composite, "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {N:1}"],
    ["", { ":p": S("a") }, composite, "Invalid KeyConditionExpression: The expression can not be empty;"],
    ["pk = :p AND", { ":p": S("a") }, composite, 'Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: "AND"'],
    ["contains()", {}, composite, 'Invalid KeyConditionExpression: Syntax error; token: ")", near: "()"'],
    ["pk = :missing", { ":p": S("a") }, composite, "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :missing"],
  ])("%s", (text, values, schema, message) => {
    expect(failure(() => plan(text, values, schema))).toEqual({ code: "ValidationException", message });
  });

  it("a Query's key condition and filter share the request's placeholders", () => {
    const attrs = trackUsage({ "#unused": "someattr" }, { ":v": S("val") });
    parseKeyCondition("pk = :v", attrs, { partitionKey: "pk" });
    expect(failure(() => attrs.assertAllUsed()).message).toBe("Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}");
  });
});

describe("running a plan", () => {
  const items: AttributeMap[] = [
    { pk: S("a"), sk: N("1") },
    { pk: S("a"), sk: N("2.5") },
    { pk: S("a"), sk: N("10") },
    { pk: S("b"), sk: N("2") },
    { pk: S("a") },
  ];
  const select = (text: string, values: Record<string, unknown>) => {
    const p = plan(text, values);
    return items.filter((i) => matchesKeyCondition(p, i)).map((i) => (i.sk as { N: string } | undefined)?.N);
  };

  it.each<[string, Record<string, unknown>, (string | undefined)[]]>([
    ["pk = :p", { ":p": S("a") }, ["1", "2.5", "10", undefined]],
    ["pk = :p AND sk = :s", { ":p": S("a"), ":s": N("2.50") }, ["2.5"]],
    ["pk = :p AND sk < :s", { ":p": S("a"), ":s": N("2.5") }, ["1"]],
    ["pk = :p AND sk <= :s", { ":p": S("a"), ":s": N("2.5") }, ["1", "2.5"]],
    ["pk = :p AND sk > :s", { ":p": S("a"), ":s": N("2") }, ["2.5", "10"]],
    ["pk = :p AND sk >= :s", { ":p": S("a"), ":s": N("10") }, ["10"]],
    ["pk = :p AND sk BETWEEN :lo AND :hi", { ":p": S("a"), ":lo": N("2"), ":hi": N("10") }, ["2.5", "10"]],
    ["pk = :p", { ":p": S("c") }, []],
  ])("%s selects %j", (text, values, expected) => {
    expect(select(text, values)).toEqual(expected);
  });

  it.each<[SortKeyCondition, AttributeValue, boolean]>([
    [{ name: "sk", op: "begins_with", prefix: S("2024-") }, S("2024-01-01"), true],
    [{ name: "sk", op: "begins_with", prefix: S("2024-") }, S("2023-12-31"), false],
    [{ name: "sk", op: "begins_with", prefix: S("") }, S("x"), true],
    [{ name: "sk", op: "begins_with", prefix: { B: Buffer.from([1]) } }, { B: Buffer.from([1, 2]) }, true],
    [{ name: "sk", op: "begins_with", prefix: S("a") }, N("1"), false],
    [{ name: "sk", op: ">", value: S("a") }, S("b"), true],
    [{ name: "sk", op: ">", value: S("a") }, N("5"), false],
  ])("%j matches %j: %s", (condition, value, expected) => {
    expect(matchesSortKeyCondition(condition, value)).toBe(expected);
  });

  it("describes the range to scan", () => {
    expect(sortKeyRange(undefined)).toEqual({});
    expect(sortKeyRange({ name: "sk", op: "=", value: N("1") })).toEqual({ lower: { value: N("1"), inclusive: true }, upper: { value: N("1"), inclusive: true } });
    expect(sortKeyRange({ name: "sk", op: "<", value: N("1") })).toEqual({ upper: { value: N("1"), inclusive: false } });
    expect(sortKeyRange({ name: "sk", op: "<=", value: N("1") })).toEqual({ upper: { value: N("1"), inclusive: true } });
    expect(sortKeyRange({ name: "sk", op: ">", value: N("1") })).toEqual({ lower: { value: N("1"), inclusive: false } });
    expect(sortKeyRange({ name: "sk", op: ">=", value: N("1") })).toEqual({ lower: { value: N("1"), inclusive: true } });
    expect(sortKeyRange({ name: "sk", op: "BETWEEN", lower: N("1"), upper: N("2") })).toEqual({
      lower: { value: N("1"), inclusive: true },
      upper: { value: N("2"), inclusive: true },
    });
    expect(sortKeyRange({ name: "sk", op: "begins_with", prefix: S("p") })).toEqual({ lower: { value: S("p"), inclusive: true }, prefix: S("p") });
  });
});
