/**
 * The legacy conditional parameters on the expression engine: Expected (+ ConditionalOperator),
 * QueryFilter/ScanFilter, KeyConditions, AttributeUpdates and AttributesToGet, each checked
 * for the same answers as the equivalent expression, and for AWS's legacy validation messages;
 * plus the rule against mixing the two parameter styles.
 */
import { describe, expect, it } from "vitest";
import {
  PARAMETER_STYLES,
  applyUpdate,
  applyUpdateExpression,
  attributeUpdatesToUpdate,
  attributesToGetToProjection,
  checkCondition,
  checkParameterStyle,
  evaluateCondition,
  expectedToCondition,
  filterToCondition,
  keyConditionsToPlan,
  matchesKeyCondition,
  project,
  type ExpectedAttributeValue,
  type LegacyCondition,
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

const items: AttributeMap[] = [
  { pk: S("1"), status: S("active"), role: S("admin"), n: N("5"), tags: { SS: ["a", "b"] }, name: S("hello-world") },
  { pk: S("2"), status: S("active"), role: S("user"), n: N("10"), tags: { SS: ["c"] }, name: S("goodbye") },
  { pk: S("3"), status: S("done"), n: S("5"), name: S("hello-there"), list: { L: [N("1"), S("x")] } },
  { pk: S("4") },
];

const filter = (condition: ReturnType<typeof filterToCondition>) => items.filter((i) => !condition || evaluateCondition(condition, i)).map((i) => (i.pk as { S: string }).S);

describe("ScanFilter / QueryFilter comparison operators", () => {
  it.each<[string, LegacyCondition, string[]]>([
    ["EQ", { ComparisonOperator: "EQ", AttributeValueList: [S("active")] }, ["1", "2"]],
    ["NE", { ComparisonOperator: "NE", AttributeValueList: [S("active")] }, ["3", "4"]],
    ["NOT_NULL", { ComparisonOperator: "NOT_NULL" }, ["1", "2", "3"]],
    ["NULL", { ComparisonOperator: "NULL" }, ["4"]],
    ["IN", { ComparisonOperator: "IN", AttributeValueList: [S("done"), S("gone")] }, ["3"]],
    ["BEGINS_WITH", { ComparisonOperator: "BEGINS_WITH", AttributeValueList: [S("act")] }, ["1", "2"]],
    ["CONTAINS (substring)", { ComparisonOperator: "CONTAINS", AttributeValueList: [S("tiv")] }, ["1", "2"]],
    ["NOT_CONTAINS (substring)", { ComparisonOperator: "NOT_CONTAINS", AttributeValueList: [S("tiv")] }, ["3"]],
    ["GT", { ComparisonOperator: "GT", AttributeValueList: [S("b")] }, ["3"]],
    ["BETWEEN", { ComparisonOperator: "BETWEEN", AttributeValueList: [S("a"), S("active")] }, ["1", "2"]],
  ])("status %s", (_name, condition, expected) => {
    expect(filter(filterToCondition({ status: condition }))).toEqual(expected);
  });

  it.each<[string, LegacyCondition, string[]]>([
    ["EQ compares numbers numerically", { ComparisonOperator: "EQ", AttributeValueList: [N("5.0")] }, ["1"]],
    ["EQ never matches another type", { ComparisonOperator: "EQ", AttributeValueList: [S("5")] }, ["3"]],
    ["LT", { ComparisonOperator: "LT", AttributeValueList: [N("10")] }, ["1"]],
    ["LE", { ComparisonOperator: "LE", AttributeValueList: [N("10")] }, ["1", "2"]],
    ["GE", { ComparisonOperator: "GE", AttributeValueList: [N("5")] }, ["1", "2"]],
    ["GT", { ComparisonOperator: "GT", AttributeValueList: [N("5")] }, ["2"]],
    ["NE on another type is true", { ComparisonOperator: "NE", AttributeValueList: [N("5")] }, ["2", "3", "4"]],
  ])("n: %s", (_name, condition, expected) => {
    expect(filter(filterToCondition({ n: condition }))).toEqual(expected);
  });

  it("CONTAINS and NOT_CONTAINS on sets and lists", () => {
    expect(filter(filterToCondition({ tags: { ComparisonOperator: "CONTAINS", AttributeValueList: [S("a")] } }))).toEqual(["1"]);
    expect(filter(filterToCondition({ tags: { ComparisonOperator: "NOT_CONTAINS", AttributeValueList: [S("a")] } }))).toEqual(["2"]);
    expect(filter(filterToCondition({ list: { ComparisonOperator: "CONTAINS", AttributeValueList: [N("1")] } }))).toEqual(["3"]);
  });

  it("combines with AND by default and with OR when asked", () => {
    const f = {
      status: { ComparisonOperator: "EQ", AttributeValueList: [S("active")] },
      role: { ComparisonOperator: "EQ", AttributeValueList: [S("admin")] },
    };
    expect(filter(filterToCondition(f))).toEqual(["1"]);
    expect(filter(filterToCondition(f, "AND"))).toEqual(["1"]);
    expect(filter(filterToCondition(f, "OR"))).toEqual(["1", "2"]);
  });

  it("takes attribute names literally (a dotted name is one attribute)", () => {
    const item = { "a.b": S("x"), a: { M: { b: S("y") } } };
    expect(evaluateCondition(filterToCondition({ "a.b": { ComparisonOperator: "EQ", AttributeValueList: [S("x")] } })!, item)).toBe(true);
  });

  it("answers as the equivalent expression does", () => {
    const legacy = filterToCondition({
      n: { ComparisonOperator: "BETWEEN", AttributeValueList: [N("1"), N("7")] },
      name: { ComparisonOperator: "BEGINS_WITH", AttributeValueList: [S("hello")] },
    })!;
    for (const item of items) {
      expect(evaluateCondition(legacy, item)).toBe(
        checkCondition(item, "n BETWEEN :lo AND :hi AND begins_with(#name, :p)", { "#name": "name" }, { ":lo": N("1"), ":hi": N("7"), ":p": S("hello") }),
      );
    }
  });

  it("an absent filter means no filtering", () => {
    expect(filterToCondition(undefined)).toBeUndefined();
    expect(filterToCondition({})).toBeUndefined();
  });
});

describe("legacy condition validation", () => {
  it.each<[string, LegacyCondition, string]>([
    ["EQ without a value", { ComparisonOperator: "EQ", AttributeValueList: [] }, "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"],
    ["EQ with two values", { ComparisonOperator: "EQ", AttributeValueList: [S("a"), S("b")] }, "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"],
    ["NULL with a value", { ComparisonOperator: "NULL", AttributeValueList: [S("a")] }, "One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator"],
    ["BETWEEN with one value", { ComparisonOperator: "BETWEEN", AttributeValueList: [S("a")] }, "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator"],
    ["IN without values", { ComparisonOperator: "IN", AttributeValueList: [] }, "One or more parameter values were invalid: Invalid number of argument(s) for the IN ComparisonOperator"],
    ["LT on a set", { ComparisonOperator: "LT", AttributeValueList: [{ SS: ["a"] }] }, "One or more parameter values were invalid: ComparisonOperator LT is not valid for SS AttributeValue type"],
    ["CONTAINS a set", { ComparisonOperator: "CONTAINS", AttributeValueList: [{ NS: ["1"] }] }, "One or more parameter values were invalid: ComparisonOperator CONTAINS is not valid for NS AttributeValue type"],
    ["BEGINS_WITH a number", { ComparisonOperator: "BEGINS_WITH", AttributeValueList: [N("1")] }, "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"],
    ["IN with a list", { ComparisonOperator: "IN", AttributeValueList: [{ L: [] }] }, "One or more parameter values were invalid: ComparisonOperator IN is not valid for L AttributeValue type"],
    ["BETWEEN of two types", { ComparisonOperator: "BETWEEN", AttributeValueList: [N("1"), S("a")] }, "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"],
    ["BETWEEN reversed", { ComparisonOperator: "BETWEEN", AttributeValueList: [N("5"), N("4")] }, "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:4}"],
    ["an invalid number", { ComparisonOperator: "EQ", AttributeValueList: [N("b")] }, "The parameter cannot be converted to a numeric value: b"],
    ["an unknown operator", { ComparisonOperator: "LIKE", AttributeValueList: [S("a")] }, "1 validation error detected: Value 'LIKE' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"],
  ])("%s", (_name, condition, message) => {
    expect(failure(() => filterToCondition({ a: condition }))).toEqual({ code: "ValidationException", message });
  });

  it("EQ and NE accept documents and sets", () => {
    expect(() => filterToCondition({ a: { ComparisonOperator: "EQ", AttributeValueList: [{ M: {} }] } })).not.toThrow();
    expect(() => filterToCondition({ a: { ComparisonOperator: "NE", AttributeValueList: [{ SS: ["x"] }] } })).not.toThrow();
  });
});

describe("Expected", () => {
  const item: AttributeMap = { pk: S("k"), status: S("active"), role: S("admin"), data: S("present") };

  it.each<[string, Record<string, ExpectedAttributeValue>, string | undefined, boolean]>([
    ["Exists: false on an absent attribute", { missing: { Exists: false } }, undefined, true],
    ["Exists: false on a present attribute", { pk: { Exists: false } }, undefined, false],
    ["Exists: true with the right value", { data: { Exists: true, Value: S("present") } }, undefined, true],
    ["Exists: true with the wrong value", { data: { Exists: true, Value: S("other") } }, undefined, false],
    ["a Value alone means equality", { status: { Value: S("active") } }, undefined, true],
    ["a Value alone on an absent attribute", { nothing: { Value: S("active") } }, undefined, false],
    ["ComparisonOperator EQ", { status: { ComparisonOperator: "EQ", AttributeValueList: [S("active")] } }, undefined, true],
    ["ComparisonOperator EQ mismatch", { status: { ComparisonOperator: "EQ", AttributeValueList: [S("wrong-value")] } }, undefined, false],
    ["ComparisonOperator with Value", { status: { ComparisonOperator: "BEGINS_WITH", Value: S("act") } }, undefined, true],
    ["BEGINS_WITH", { status: { ComparisonOperator: "BEGINS_WITH", AttributeValueList: [S("hello")] } }, undefined, false],
    ["NULL", { nothing: { ComparisonOperator: "NULL" } }, undefined, true],
    ["NOT_NULL", { nothing: { ComparisonOperator: "NOT_NULL" } }, undefined, false],
    ["AND of two matches", { status: { Value: S("active") }, role: { Value: S("admin") } }, "AND", true],
    ["AND with one mismatch", { status: { Value: S("fail") }, role: { Value: S("admin") } }, "AND", false],
    ["OR with one match", { status: { Value: S("active") }, role: { Value: S("user") } }, "OR", true],
    ["OR with no match", { status: { Value: S("x") }, role: { Value: S("user") } }, "OR", false],
  ])("%s", (_name, expected, op, result) => {
    expect(evaluateCondition(expectedToCondition(expected, op)!, item)).toBe(result);
  });

  it("Exists: false against an item that does not exist holds", () => {
    expect(evaluateCondition(expectedToCondition({ pk: { Exists: false } })!, undefined)).toBe(true);
  });

  it("nothing expected is no condition", () => {
    expect(expectedToCondition(undefined)).toBeUndefined();
    expect(expectedToCondition({})).toBeUndefined();
  });

  it.each<[string, ExpectedAttributeValue, string]>([
    ["no value and no Exists", {}, "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: a"],
    ["Exists: true without a value", { Exists: true }, "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a"],
    ["Exists: false with a value", { Exists: false, Value: S("x") }, "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a"],
    ["Value and AttributeValueList", { ComparisonOperator: "EQ", Value: S("x"), AttributeValueList: [S("x")] }, "One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: a"],
    ["AttributeValueList without an operator", { AttributeValueList: [S("x")] }, "One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: a"],
    ["an operator with neither", { ComparisonOperator: "EQ" }, "One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"],
    ["Exists with an operator", { ComparisonOperator: "EQ", Exists: true, Value: S("x") }, "One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: a"],
    ["BETWEEN with a single Value", { ComparisonOperator: "BETWEEN", Value: S("a") }, "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator"],
    ["NULL with a Value", { ComparisonOperator: "NULL", Value: S("a") }, "One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator"],
    ["an invalid Value", { Value: { SS: [] } }, "One or more parameter values were invalid: An string set  may not be empty"],
  ])("refuses %s", (_name, expected, message) => {
    expect(failure(() => expectedToCondition({ a: expected }))).toEqual({ code: "ValidationException", message });
  });
});

describe("KeyConditions", () => {
  const schema = { partitionKey: "pk", sortKey: "sk" };
  const eq = (v: AttributeValue): LegacyCondition => ({ ComparisonOperator: "EQ", AttributeValueList: [v] });

  it.each<[string, Record<string, LegacyCondition>, unknown]>([
    ["hash only", { pk: eq(S("a")) }, { partitionKey: { name: "pk", value: S("a") } }],
    ["with EQ", { pk: eq(S("a")), sk: eq(N("1")) }, { partitionKey: { name: "pk", value: S("a") }, sortKey: { name: "sk", op: "=", value: N("1") } }],
    ["with LT", { pk: eq(S("a")), sk: { ComparisonOperator: "LT", AttributeValueList: [N("1")] } }, { partitionKey: { name: "pk", value: S("a") }, sortKey: { name: "sk", op: "<", value: N("1") } }],
    ["with GE", { sk: { ComparisonOperator: "GE", AttributeValueList: [N("1")] }, pk: eq(S("a")) }, { partitionKey: { name: "pk", value: S("a") }, sortKey: { name: "sk", op: ">=", value: N("1") } }],
    ["with BEGINS_WITH", { pk: eq(S("a")), sk: { ComparisonOperator: "BEGINS_WITH", AttributeValueList: [S("x")] } }, { partitionKey: { name: "pk", value: S("a") }, sortKey: { name: "sk", op: "begins_with", prefix: S("x") } }],
    ["with BETWEEN", { pk: eq(S("a")), sk: { ComparisonOperator: "BETWEEN", AttributeValueList: [N("1"), N("2")] } }, { partitionKey: { name: "pk", value: S("a") }, sortKey: { name: "sk", op: "BETWEEN", lower: N("1"), upper: N("2") } }],
  ])("%s", (_name, conditions, plan) => {
    expect(keyConditionsToPlan(conditions, schema)).toEqual(plan);
  });

  it.each<[string, Record<string, LegacyCondition>, string]>([
    ["no hash key", { sk: eq(N("1")) }, "Query condition missed key schema element: pk"],
    ["a non-key attribute", { pk: eq(S("a")), other: eq(S("b")) }, "Query condition missed key schema element: sk"],
    ["hash key not EQ", { pk: { ComparisonOperator: "GT", AttributeValueList: [S("a")] } }, "Query key condition not supported"],
    ["NE on the sort key", { pk: eq(S("a")), sk: { ComparisonOperator: "NE", AttributeValueList: [N("1")] } }, "Attempted conditional constraint is not an indexable operation"],
    ["IN on the hash key", { pk: { ComparisonOperator: "IN", AttributeValueList: [S("a")] } }, "Attempted conditional constraint is not an indexable operation"],
    ["three conditions", { pk: eq(S("a")), sk: eq(N("1")), x: eq(S("b")) }, "Conditions can be of length 1 or 2 only"],
    ["none", {}, "Conditions can be of length 1 or 2 only"],
    ["EQ without a value", { pk: { ComparisonOperator: "EQ" } }, "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"],
  ])("refuses %s", (_name, conditions, message) => {
    expect(failure(() => keyConditionsToPlan(conditions, schema))).toEqual({ code: "ValidationException", message });
  });

  it("selects the same items as the expression", () => {
    const plan = keyConditionsToPlan({ pk: eq(S("a")), sk: { ComparisonOperator: "GT", AttributeValueList: [N("1")] } }, schema);
    expect(matchesKeyCondition(plan, { pk: S("a"), sk: N("2") })).toBe(true);
    expect(matchesKeyCondition(plan, { pk: S("a"), sk: N("1") })).toBe(false);
    expect(matchesKeyCondition(plan, { pk: S("b"), sk: N("2") })).toBe(false);
  });
});

describe("AttributeUpdates", () => {
  const base: AttributeMap = { pk: S("k"), data: S("old"), counter: N("10"), tags: { SS: ["a", "b", "c"] }, extra: S("remove-me") };

  it("PUT sets, and is the default action", () => {
    const out = applyUpdate(base, attributeUpdatesToUpdate({ data: { Action: "PUT", Value: S("new") }, col: { Value: S("written") } }));
    expect(out.data).toEqual(S("new"));
    expect(out.col).toEqual(S("written"));
  });

  it("DELETE without a value removes the attribute", () => {
    expect(applyUpdate(base, attributeUpdatesToUpdate({ extra: { Action: "DELETE" } })).extra).toBeUndefined();
    expect(applyUpdate(base, attributeUpdatesToUpdate({ nothing: { Action: "DELETE" } }))).toEqual(base);
  });

  it("DELETE with a set subtracts", () => {
    expect(applyUpdate(base, attributeUpdatesToUpdate({ tags: { Action: "DELETE", Value: { SS: ["a", "c"] } } })).tags).toEqual({ SS: ["b"] });
  });

  it("ADD increments numbers, unions sets, and starts absent numbers from 0", () => {
    const out = applyUpdate(
      base,
      attributeUpdatesToUpdate({
        counter: { Action: "ADD", Value: N("5") },
        tags: { Action: "ADD", Value: { SS: ["c", "d"] } },
        itemcount: { Action: "ADD", Value: N("3") },
      }),
    );
    expect(out.counter).toEqual(N("15"));
    expect(out.tags).toEqual({ SS: ["a", "b", "c", "d"] });
    expect(out.itemcount).toEqual(N("3"));
  });

  it("applies several updates at once, like the equivalent expression", () => {
    const legacy = applyUpdate(
      base,
      attributeUpdatesToUpdate({ data: { Action: "PUT", Value: S("n") }, counter: { Action: "ADD", Value: N("9") }, extra: { Action: "DELETE" } }),
    );
    const expression = applyUpdateExpression(base, "SET #d = :n ADD #c :nine REMOVE extra", { "#d": "data", "#c": "counter" }, { ":n": S("n"), ":nine": N("9") });
    expect(legacy).toEqual(expression);
  });

  it("takes attribute names literally", () => {
    expect(applyUpdate({}, attributeUpdatesToUpdate({ "a.b[0]": { Value: S("x") } }))).toEqual({ "a.b[0]": S("x") });
  });

  it("words type mismatches the legacy way", () => {
    expect(failure(() => applyUpdate(base, attributeUpdatesToUpdate({ data: { Action: "ADD", Value: N("1") } })))).toEqual({
      code: "ValidationException",
      message: "Type mismatch for attribute to update",
    });
    expect(failure(() => applyUpdate(base, attributeUpdatesToUpdate({ tags: { Action: "DELETE", Value: { NS: ["1"] } } }))).message).toBe(
      "Type mismatch for attribute to update",
    );
  });

  it.each<[string, Record<string, { Action?: string; Value?: unknown }>, string]>([
    ["PUT without a value", { a: { Action: "PUT" } }, "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"],
    ["ADD without a value", { a: { Action: "ADD" } }, "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"],
    ["ADD of a string", { a: { Action: "ADD", Value: S("x") } }, "One or more parameter values were invalid: ADD action is not supported for the type S"],
    ["DELETE of a number", { a: { Action: "DELETE", Value: N("1") } }, "One or more parameter values were invalid: DELETE action with value is not supported for the type N"],
    ["an invalid value", { a: { Action: "PUT", Value: { NS: [] } } }, "One or more parameter values were invalid: An number set  may not be empty"],
    ["an unknown action", { a: { Action: "APPEND", Value: S("x") } }, "1 validation error detected: Value 'APPEND' at 'attributeUpdates.a.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"],
  ])("refuses %s", (_name, updates, message) => {
    expect(failure(() => attributeUpdatesToUpdate(updates))).toEqual({ code: "ValidationException", message });
  });
});

describe("AttributesToGet", () => {
  it("projects top-level attributes", () => {
    const item = { a: S("1"), b: S("2"), "c.d": S("3") };
    expect(project(item, attributesToGetToProjection(["a", "c.d", "zz"]).paths)).toEqual({ a: S("1"), "c.d": S("3") });
  });

  it("refuses duplicates", () => {
    expect(failure(() => attributesToGetToProjection(["a", "b", "a"])).message).toBe(
      "One or more parameter values were invalid: Duplicate value in attribute name: a",
    );
  });
});

describe("mixing parameter styles", () => {
  it("refuses expression and non-expression parameters together", () => {
    expect(failure(() => checkParameterStyle({ Expected: { pk: { Exists: false } }, ConditionExpression: "attribute_not_exists(pk)" }, PARAMETER_STYLES.PutItem)).message).toBe(
      "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
    );
    expect(failure(() => checkParameterStyle({ UpdateExpression: "SET a = :v", AttributeUpdates: {} }, PARAMETER_STYLES.UpdateItem)).message).toBe(
      "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}",
    );
    expect(failure(() => checkParameterStyle({ AttributesToGet: ["a"], KeyConditions: {}, FilterExpression: "a = :b", KeyConditionExpression: "pk = :p" }, PARAMETER_STYLES.Query)).message).toBe(
      "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet, KeyConditions} Expression parameters: {KeyConditionExpression, FilterExpression}",
    );
    expect(() => checkParameterStyle({ ConditionalOperator: "OR", FilterExpression: "a = :b" }, PARAMETER_STYLES.Scan)).toThrow(/Non-expression parameters: \{ConditionalOperator\}/);
  });

  it("refuses placeholders without an expression", () => {
    expect(failure(() => checkParameterStyle({ ExpressionAttributeValues: { ":v": S("unused") } }, PARAMETER_STYLES.PutItem)).message).toBe(
      "ExpressionAttributeValues can only be specified when using expressions",
    );
    expect(failure(() => checkParameterStyle({ ExpressionAttributeNames: { "#n": "x" }, Expected: {} }, PARAMETER_STYLES.DeleteItem)).message).toBe(
      "ExpressionAttributeNames can only be specified when using expressions",
    );
  });

  it("accepts either style alone", () => {
    expect(() => checkParameterStyle({ Expected: {} }, PARAMETER_STYLES.PutItem)).not.toThrow();
    expect(() => checkParameterStyle({ ConditionExpression: "a = :v", ExpressionAttributeValues: {} }, PARAMETER_STYLES.PutItem)).not.toThrow();
    expect(() => checkParameterStyle({ ProjectionExpression: "#a", ExpressionAttributeNames: {} }, PARAMETER_STYLES.GetItem)).not.toThrow();
    expect(() => checkParameterStyle({}, PARAMETER_STYLES.Scan)).not.toThrow();
  });
});
