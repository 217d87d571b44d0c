/**
 * UpdateExpression: the developer guide's walkthrough on item 789 step by step, then SET
 * (nested paths, list indexes, arithmetic, if_not_exists, list_append), REMOVE (with list
 * shifting), ADD and DELETE on numbers and sets, clause rules, overlapping/conflicting paths,
 * and runtime type errors, all with DynamoDB's messages.
 */
import { describe, expect, it } from "vitest";
import {
  applyUpdate,
  applyUpdateExpression,
  parseUpdate,
  touchesAttribute,
  trackUsage,
  updatedAttributeNames,
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

function update(item: AttributeMap | undefined, text: string, values?: Record<string, unknown>, names?: Record<string, string>): AttributeMap {
  return applyUpdateExpression(item, text, names, values);
}

describe("the developer guide's walkthrough (ProductCatalog item 789)", () => {
  let item: AttributeMap = {
    Id: N("789"),
    ProductCategory: S("Home Improvement"),
    Price: N("52"),
    InStock: { BOOL: true },
    Brand: S("Acme"),
  };

  it("SET ProductCategory = :c, Price = :p", () => {
    item = update(item, "SET ProductCategory = :c, Price = :p", { ":c": S("Hardware"), ":p": N("60") });
    expect(item.ProductCategory).toEqual(S("Hardware"));
    expect(item.Price).toEqual(N("60"));
  });

  it("SET RelatedItems = :ri, ProductReviews = :pr (a new list and a new map)", () => {
    item = update(item, "SET RelatedItems = :ri, ProductReviews = :pr", {
      ":ri": L(S("Hammer")),
      ":pr": { M: { FiveStar: L(S("Best product ever!")) } },
    });
    expect(item.RelatedItems).toEqual(L(S("Hammer")));
  });

  it("SET RelatedItems[1] = :ri (appends past the end)", () => {
    item = update(item, "SET RelatedItems[1] = :ri", { ":ri": S("Nails") });
    expect(item.RelatedItems).toEqual(L(S("Hammer"), S("Nails")));
  });

  it("SET #pr.#5star[1] = :r5, #pr.#3star = :r3 (nested map attributes)", () => {
    item = update(
      item,
      "SET #pr.#5star[1] = :r5, #pr.#3star = :r3",
      { ":r5": S("Very happy with my purchase"), ":r3": L(S("Just OK - not that great")) },
      { "#pr": "ProductReviews", "#5star": "FiveStar", "#3star": "ThreeStar" },
    );
    expect(item.ProductReviews).toEqual({
      M: {
        FiveStar: L(S("Best product ever!"), S("Very happy with my purchase")),
        ThreeStar: L(S("Just OK - not that great")),
      },
    });
  });

  it("SET Price = Price - :p", () => {
    item = update(item, "SET Price = Price - :p", { ":p": N("15") });
    expect(item.Price).toEqual(N("45"));
  });

  it("SET #ri = list_append(#ri, :vals)", () => {
    item = update(item, "SET #ri = list_append(#ri, :vals)", { ":vals": L(S("Screwdriver"), S("Hacksaw")) }, { "#ri": "RelatedItems" });
    expect(item.RelatedItems).toEqual(L(S("Hammer"), S("Nails"), S("Screwdriver"), S("Hacksaw")));
  });

  it("SET #ri = list_append(:vals, #ri) prepends", () => {
    item = update(item, "SET #ri = list_append(:vals, #ri)", { ":vals": L(S("Chisel")) }, { "#ri": "RelatedItems" });
    expect(item.RelatedItems).toEqual(L(S("Chisel"), S("Hammer"), S("Nails"), S("Screwdriver"), S("Hacksaw")));
  });

  it("SET Price = if_not_exists(Price, :p) leaves an existing price", () => {
    item = update(item, "SET Price = if_not_exists(Price, :p)", { ":p": N("100") });
    expect(item.Price).toEqual(N("45"));
  });

  it("REMOVE Brand, InStock, QuantityOnHand (absent attributes are ignored)", () => {
    item = update(item, "REMOVE Brand, InStock, QuantityOnHand");
    expect(item.Brand).toBeUndefined();
    expect(item.InStock).toBeUndefined();
  });

  it("REMOVE RelatedItems[1], RelatedItems[2] shifts the rest down", () => {
    item = update(item, "REMOVE RelatedItems[1], RelatedItems[2]");
    expect(item.RelatedItems).toEqual(L(S("Chisel"), S("Screwdriver"), S("Hacksaw")));
  });

  it("ADD QuantityOnHand :q creates, then increments", () => {
    item = update(item, "ADD QuantityOnHand :q", { ":q": N("5") });
    expect(item.QuantityOnHand).toEqual(N("5"));
    item = update(item, "ADD QuantityOnHand :q", { ":q": N("5") });
    expect(item.QuantityOnHand).toEqual(N("10"));
  });

  it("ADD Color :c creates a set, then adds to it", () => {
    item = update(item, "ADD Color :c", { ":c": { SS: ["Orange", "Purple"] } });
    expect(item.Color).toEqual({ SS: ["Orange", "Purple"] });
    item = update(item, "ADD Color :c", { ":c": { SS: ["Yellow", "Green", "Blue"] } });
    expect(item.Color).toEqual({ SS: ["Orange", "Purple", "Yellow", "Green", "Blue"] });
  });

  it("DELETE Color :p removes members", () => {
    item = update(item, "DELETE Color :p", { ":p": { SS: ["Yellow", "Purple"] } });
    expect(item.Color).toEqual({ SS: ["Orange", "Green", "Blue"] });
  });

  it("ends with the expected item", () => {
    expect(Object.keys(item).sort()).toEqual(["Color", "Id", "Price", "ProductCategory", "ProductReviews", "QuantityOnHand", "RelatedItems"]);
  });
});

describe("SET", () => {
  const base: AttributeMap = {
    n: N("10"),
    s: S("x"),
    l: L(N("0"), N("1"), N("2")),
    m: { M: { a: N("1"), nest: { M: { deep: S("d") } } } },
    ss: { SS: ["a"] },
  };

  it("replaces and creates top-level attributes", () => {
    expect(update(base, "SET s = :v, fresh = :v", { ":v": S("y") })).toMatchObject({ s: S("y"), fresh: S("y") });
  });

  it("writes into nested maps", () => {
    const out = update(base, "SET m.b = :v, m.nest.deep = :w", { ":v": N("2"), ":w": S("e") });
    expect(out.m).toEqual({ M: { a: N("1"), b: N("2"), nest: { M: { deep: S("e") } } } });
  });

  it("replaces a list element in place", () => {
    expect(update(base, "SET l[1] = :v", { ":v": S("one") }).l).toEqual(L(N("0"), S("one"), N("2")));
  });

  it("appends several past-the-end elements in index order", () => {
    expect(update(base, "SET l[10] = :b, l[5] = :a", { ":a": S("a"), ":b": S("b") }).l).toEqual(L(N("0"), N("1"), N("2"), S("a"), S("b")));
  });

  it("copies another attribute", () => {
    expect(update(base, "SET dup = m.nest").dup).toEqual({ M: { deep: S("d") } });
  });

  it("reads every operand from the item before the update", () => {
    const out = update(base, "SET n = s, s = n");
    expect(out.n).toEqual(S("x"));
    expect(out.s).toEqual(N("10"));
    const out2 = update(base, "SET a = n, n = :v", { ":v": N("0") });
    expect(out2.a).toEqual(N("10"));
  });

  it("adds and subtracts exactly", () => {
    const item = { f: N("0.1"), t: N("1") };
    expect(update(item, "SET f = f + :f, t = t - :one", { ":f": N("0.2"), ":one": N("1") })).toEqual({ f: N("0.3"), t: N("0") });
    expect(update(item, "SET t = :a - t", { ":a": N("-5") }).t).toEqual(N("-6"));
    expect(update(item, "SET t = :a + :b", { ":a": N("1.5"), ":b": N("2.5") }).t).toEqual(N("4"));
    expect(update(item, "SET t = f + f").t).toEqual(N("0.2"));
  });

  it("if_not_exists supplies a default, also inside arithmetic", () => {
    const out = update({ t: N("1") }, "SET t = if_not_exists(t, :zero) + :one, fresh = if_not_exists(fresh, :zero) + :one", {
      ":zero": N("0"),
      ":one": N("1"),
    });
    expect(out).toEqual({ t: N("2"), fresh: N("1") });
  });

  it("if_not_exists may look at another attribute and fall back to a path", () => {
    expect(update({ b: S("B") }, "SET a = if_not_exists(x, b)").a).toEqual(S("B"));
    expect(update({ x: S("X"), b: S("B") }, "SET a = if_not_exists(x, b)").a).toEqual(S("X"));
  });

  it("list_append around if_not_exists, and of two values", () => {
    const out = update(base, "SET l = list_append(l, :tail), alt = list_append(if_not_exists(alt, :empty), :tail), two = list_append(:tail, :tail)", {
      ":tail": L(N("9")),
      ":empty": L(),
    });
    expect(out.l).toEqual(L(N("0"), N("1"), N("2"), N("9")));
    expect(out.alt).toEqual(L(N("9")));
    expect(out.two).toEqual(L(N("9"), N("9")));
  });

  it("starts from an empty item when the item does not exist", () => {
    expect(update(undefined, "SET a = :v", { ":v": S("x") })).toEqual({ a: S("x") });
  });

  it("does not modify the input item", () => {
    const item = { l: L(N("1")), m: { M: { a: N("1") } } };
    const snapshot = structuredClone(item);
    update(item, "SET l[0] = :v, m.a = :v, m.b = :v REMOVE x", { ":v": N("2") });
    expect(item).toEqual(snapshot);
  });

  it("the stored value does not alias the placeholder", () => {
    const attrs = trackUsage(undefined, { ":l": L(N("1")) });
    const ast = parseUpdate("SET a = :l", attrs);
    const out = applyUpdate({}, ast);
    (out.a as { L: AttributeValue[] }).L.push(N("2"));
    expect(applyUpdate({}, ast).a).toEqual(L(N("1")));
  });

  it("accepts keywords in any case and several clauses in any order", () => {
    const out = update(base, "remove s add n :one set z = :one delete ss :a", { ":one": N("1"), ":a": { SS: ["a"] } });
    expect(out.s).toBeUndefined();
    expect(out.n).toEqual(N("11"));
    expect(out.z).toEqual(N("1"));
    expect(out.ss).toBeUndefined();
  });
});

describe("REMOVE", () => {
  const list = L(S("a"), S("b"), S("c"), S("d"), S("e"));

  it.each<[string, string[]]>([
    ["REMOVE l[0]", ["b", "c", "d", "e"]],
    ["REMOVE l[4]", ["a", "b", "c", "d"]],
    ["REMOVE l[1], l[3]", ["a", "c", "e"]],
    ["REMOVE l[3], l[1]", ["a", "c", "e"]],
    ["REMOVE l[0], l[1], l[2], l[3], l[4]", []],
    ["REMOVE l[9]", ["a", "b", "c", "d", "e"]],
    ["REMOVE l[2], l[7]", ["a", "b", "d", "e"]],
  ])("%s leaves %j", (text, left) => {
    const out = update({ l: list }, text);
    expect(out.l).toEqual(L(...left.map(S)));
  });

  it("removes nested map keys and elements of nested lists", () => {
    const item = { m: { M: { a: N("1"), b: N("2"), l: L(N("1"), N("2"), N("3")) } } };
    expect(update(item, "REMOVE m.a, m.l[0]").m).toEqual({ M: { b: N("2"), l: L(N("2"), N("3")) } });
  });

  it("uses original indexes for elements inside removed-from lists", () => {
    const item = { l: L({ M: { x: N("0") } }, { M: { x: N("1"), y: N("1") } }) };
    expect(update(item, "REMOVE l[0], l[1].y").l).toEqual(L({ M: { x: N("1") } }));
  });

  it("combines with SET on the same list by original index", () => {
    const item = { l: L(N("0"), N("1"), N("2")) };
    expect(update(item, "SET l[2] = :v REMOVE l[0]", { ":v": S("two") }).l).toEqual(L(N("1"), S("two")));
    expect(update(item, "SET l[5] = :v REMOVE l[3]", { ":v": S("new") }).l).toEqual(L(N("0"), N("1"), N("2"), S("new")));
  });

  it("ignores absent attributes and absent parents", () => {
    expect(update({ a: N("1") }, "REMOVE b, c.d, e[0]")).toEqual({ a: N("1") });
  });

  it("refuses a path through a value of the wrong type", () => {
    expect(failure(() => update({ a: S("x") }, "REMOVE a.b")).message).toBe(
      "The document path provided in the update expression is invalid for update",
    );
    expect(failure(() => update({ a: { M: {} } }, "REMOVE a[0]")).message).toBe(
      "The document path provided in the update expression is invalid for update",
    );
  });
});

describe("ADD and DELETE", () => {
  it.each<[AttributeValue | undefined, AttributeValue, AttributeValue]>([
    [undefined, N("5"), N("5")],
    [N("5"), N("-7"), N("-2")],
    [N("0.1"), N("0.2"), N("0.3")],
    [undefined, { NS: ["1"] }, { NS: ["1"] }],
    [{ NS: ["1", "2"] }, { NS: ["2.0", "3"] }, { NS: ["1", "2", "3"] }],
    [{ SS: ["a"] }, { SS: ["a", "b"] }, { SS: ["a", "b"] }],
    [{ BS: [Buffer.from([1])] }, { BS: [Buffer.from([1]), Buffer.from([2])] }, { BS: [Buffer.from([1]), Buffer.from([2])] }],
  ])("ADD to %j of %j gives %j", (existing, value, result) => {
    const item: AttributeMap = existing ? { a: existing } : {};
    expect(update(item, "ADD a :v", { ":v": value }).a).toEqual(result);
  });

  it.each<[AttributeValue | undefined, AttributeValue, AttributeValue | undefined]>([
    [{ SS: ["a", "b", "c"] }, { SS: ["a", "c"] }, { SS: ["b"] }],
    [{ SS: ["a"] }, { SS: ["a"] }, undefined],
    [{ SS: ["a"] }, { SS: ["z"] }, { SS: ["a"] }],
    [{ NS: ["1", "2"] }, { NS: ["1.0"] }, { NS: ["2"] }],
    [{ BS: [Buffer.from([1]), Buffer.from([2])] }, { BS: [Buffer.from([2])] }, { BS: [Buffer.from([1])] }],
    [undefined, { SS: ["a"] }, undefined],
  ])("DELETE from %j of %j gives %j", (existing, value, result) => {
    const item: AttributeMap = existing ? { a: existing } : {};
    expect(update(item, "DELETE a :v", { ":v": value }).a).toEqual(result);
  });

  it("works on nested paths", () => {
    const item = { m: { M: { cnt: N("1"), tags: { SS: ["x"] } } } };
    const out = update(item, "ADD m.cnt :one, m.tags :t", { ":one": N("1"), ":t": { SS: ["y"] } });
    expect(out.m).toEqual({ M: { cnt: N("2"), tags: { SS: ["x", "y"] } } });
    expect(update(item, "DELETE m.tags :t", { ":t": { SS: ["x"] } }).m).toEqual({ M: { cnt: N("1") } });
  });

  it("ADD into a missing parent is refused", () => {
    expect(failure(() => update({}, "ADD m.cnt :one", { ":one": N("1") })).message).toBe(
      "The document path provided in the update expression is invalid for update",
    );
  });

  it.each<[AttributeValue, AttributeValue]>([
    [S("x"), N("1")],
    [N("1"), { SS: ["a"] }],
    [{ SS: ["a"] }, { NS: ["1"] }],
    [{ L: [] }, N("1")],
  ])("ADD to %j of %j is an incorrect data type", (existing, value) => {
    expect(failure(() => update({ a: existing }, "ADD a :v", { ":v": value }))).toEqual({
      code: "ValidationException",
      message: "An operand in the update expression has an incorrect data type",
    });
  });

  it.each<[AttributeValue, AttributeValue]>([
    [S("x"), { SS: ["x"] }],
    [{ NS: ["1"] }, { SS: ["1"] }],
  ])("DELETE from %j of %j is an incorrect data type", (existing, value) => {
    expect(failure(() => update({ a: existing }, "DELETE a :v", { ":v": value })).message).toBe(
      "An operand in the update expression has an incorrect data type",
    );
  });

  it.each<[AttributeValue, string]>([
    [S("x"), "STRING"],
    [{ M: {} }, "MAP"],
    [{ L: [] }, "LIST"],
    [{ BOOL: true }, "BOOLEAN"],
    [{ NULL: true }, "NULL"],
    [{ B: Buffer.from([1]) }, "BINARY"],
  ])("ADD of %j is refused as %s", (value, type) => {
    expect(failure(() => parseUpdate("ADD a :v", { values: { ":v": value } })).message).toBe(
      `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: ${type}, typeSet: ALLOWED_FOR_ADD_OPERAND`,
    );
  });

  it.each<[AttributeValue, string]>([
    [S("x"), "STRING"],
    [N("1"), "NUMBER"],
    [{ L: [] }, "LIST"],
  ])("DELETE of %j is refused as %s", (value, type) => {
    expect(failure(() => parseUpdate("DELETE a :v", { values: { ":v": value } })).message).toBe(
      `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: ${type}, typeSet: ALLOWED_FOR_DELETE_OPERAND`,
    );
  });

  it("ADD can overflow", () => {
    expect(failure(() => update({ a: N("9.9e125") }, "ADD a :v", { ":v": N("9.9e125") })).message).toMatch(/^Number overflow/);
  });
});

describe("runtime errors", () => {
  it.each<[string, AttributeMap, Record<string, unknown>, string]>([
    ["arithmetic on a string", { s: S("x") }, { ":n": N("1") }, "SET a = s + :n"],
    ["arithmetic on a list", { l: L() }, { ":n": N("1") }, "SET a = :n - l"],
    ["list_append on a string", { s: S("x") }, { ":l": L() }, "SET a = list_append(s, :l)"],
    ["list_append on a map", { m: { M: {} } }, { ":l": L() }, "SET a = list_append(:l, m)"],
  ])(
    "%s is an incorrect data type",
    (_name, item, values, text) => {
      expect(failure(() => update(item, text, values)).message).toBe("An operand in the update expression has an incorrect data type");
    },
  );

  it.each([
    ["SET a = b", undefined],
    ["SET a = b + :n", { ":n": N("1") }],
    ["SET a = list_append(b, :l)", { ":l": L() }],
    ["SET a = if_not_exists(c, b)", undefined],
  ] as [string, Record<string, unknown> | undefined][])("%s with b absent names a missing attribute", (text, values) => {
    expect(failure(() => update({}, text, values)).message).toBe(
      "The provided expression refers to an attribute that does not exist in the item",
    );
  });

  it.each([
    ["SET m.x = :v", {}],
    ["SET m.x.y = :v", { m: { M: {} } }],
    ["SET s.x = :v", { s: S("x") }],
    ["SET l.x = :v", { l: L() }],
    ["SET m[0] = :v", { m: { M: {} } }],
    ["SET l[0] = :v", {}],
  ] as [string, AttributeMap][])("%s on %j is an invalid path", (text, item) => {
    expect(failure(() => update(item, text, { ":v": N("1") })).message).toBe(
      "The document path provided in the update expression is invalid for update",
    );
  });

  it("a sum past the number range is refused", () => {
    expect(failure(() => update({}, "SET n = :a + :b", { ":a": N("9.9e125"), ":b": N("9.9e125") })).message).toBe(
      "Number overflow. Attempting to store a number with magnitude larger than supported range",
    );
  });
});

describe("parse errors", () => {
  const cases: [string, string, Record<string, unknown> | undefined, Record<string, string> | undefined, string][] = [
    ["empty", "", undefined, undefined, "Invalid UpdateExpression: The expression can not be empty;"],
    ["SET twice", "SET a = :v SET b = :v", { ":v": N("1") }, undefined, 'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;'],
    ["ADD twice", "ADD x :one SET a = :a ADD y :one", { ":one": N("1"), ":a": S("a") }, undefined, 'Invalid UpdateExpression: The "ADD" section can only be used once in an update expression;'],
    ["REMOVE twice", "REMOVE a REMOVE b", undefined, undefined, 'Invalid UpdateExpression: The "REMOVE" section can only be used once in an update expression;'],
    ["DELETE twice", "delete a :s DELETE b :s", { ":s": { SS: ["x"] } }, undefined, 'Invalid UpdateExpression: The "DELETE" section can only be used once in an update expression;'],
    ["same path twice", "SET f = :v, f = :v", { ":v": N("1") }, undefined, "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [f], path two: [f]"],
    ["a path and its parent", "SET a.b = :v REMOVE a", { ":v": N("1") }, undefined, "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]"],
    ["a parent and its child", "SET a = :v REMOVE a[0].c", { ":v": N("1") }, undefined, "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, [0], c]"],
    ["same element", "REMOVE l[1] SET l[1] = :v", { ":v": N("1") }, undefined, "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [l, [1]], path two: [l, [1]]"],
    ["overlap through a name", "SET #a = :v ADD a.b :v", { ":v": N("1") }, { "#a": "a" }, "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"],
    ["a map key and a list index", "SET a.b = :v, a[1] = :v", { ":v": N("1") }, undefined, "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]"],
    ["reserved word", "SET status = :v", { ":v": S("x") }, undefined, "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status"],
    ["reserved word on the right", "SET a = #b + count", { }, { "#b": "b" }, "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: count"],
    ["undefined value", "SET attr1 = :v", undefined, undefined, "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v"],
    ["undefined name", "SET #upd_my_attribute_name = :v", { ":v": N("1") }, undefined, "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #upd_my_attribute_name"],
    ["condition function", "SET a = size(b)", undefined, undefined, "Invalid UpdateExpression: The function is not allowed in an update expression; function: size"],
    ["contains", "SET a = contains(b, :v)", { ":v": S("x") }, undefined, "Invalid UpdateExpression: The function is not allowed in an update expression; function: contains"],
    ["unknown function", "SET a = concat(b, :v)", { ":v": S("x") }, undefined, "Invalid UpdateExpression: Invalid function name; function: concat"],
    ["if_not_exists on a value", "SET a = if_not_exists(:v, b)", { ":v": S("x") }, undefined, "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists"],
    ["if_not_exists with one operand", "SET a = if_not_exists(a)", undefined, undefined, "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1"],
    ["list_append with three operands", "SET a = list_append(a, :l, :l)", { ":l": L() }, undefined, "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 3"],
    ["list_append of a string", "SET ri = list_append(ri, :vals)", { ":vals": S("x") }, undefined, "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S"],
    ["list_append of a map", "SET ri = list_append(:m, ri)", { ":m": { M: {} } }, undefined, "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: M"],
    ["+ on a string", "SET a = :v1 + :v2", { ":v1": S("x"), ":v2": N("1") }, undefined, "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"],
    ["- on a set", "SET a = b - :v", { ":v": { NS: ["1"] } }, undefined, "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: -, operand type: NS"],
  ];

  it.each(cases)("%s", (_name, text, values, names, message) => {
    expect(failure(() => parseUpdate(text, { names, values: values && Object.keys(values).length ? values : undefined }))).toEqual({
      code: "ValidationException",
      message,
    });
  });
});

describe("attribute names that are JavaScript's own", () => {
  it("__proto__ is an attribute like any other", () => {
    const item = JSON.parse('{"__proto__": {"S": "x"}, "constructor": {"N": "1"}}') as AttributeMap;
    const out = update(item, "SET #p = :v, #c = #c + :one", { ":v": S("y"), ":one": N("1") }, { "#p": "__proto__", "#c": "constructor" });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out).sort()).toEqual(["__proto__", "constructor"]);
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")?.value).toEqual(S("y"));
    expect(out.constructor).toEqual(N("2"));
    const removed = update(out, "REMOVE #p", undefined, { "#p": "__proto__" });
    expect(Object.keys(removed)).toEqual(["constructor"]);
  });

  it("a map key named __proto__ survives SET and validation", () => {
    const out = update({ m: { M: {} } }, "SET m.#p = :v", { ":v": S("y") }, { "#p": "__proto__" });
    const m = (out.m as { M: AttributeMap }).M;
    expect(Object.keys(m)).toEqual(["__proto__"]);
  });
});

describe("helpers for the table engine", () => {
  it("names the top-level attributes an update touches", () => {
    const ast = parseUpdate("SET a.b = :v, c = :v REMOVE d[0] ADD e :v", { values: { ":v": N("1") } });
    expect(updatedAttributeNames(ast)).toEqual(["a", "c", "d", "e"]);
    expect(touchesAttribute(ast, "a")).toBe(true);
    expect(touchesAttribute(ast, "pk")).toBe(false);
  });

  it("one request's update and condition share one usage tracker", () => {
    const attrs = trackUsage({ "#n": "n" }, { ":one": N("1"), ":unused": N("2") });
    parseUpdate("ADD #n :one", attrs);
    expect(() => attrs.assertAllUsed()).toThrow("Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}");
  });
});
