/**
 * The AttributeValue model (validation with AWS's messages, normalisation, equality, key
 * ordering, key checks) and item size / capacity-unit arithmetic.
 */
import { describe, expect, it } from "vitest";
import {
  attributeValuesEqual,
  checkKeyValue,
  cloneItem,
  compareAttributeValues,
  compareKeyValues,
  compareStrings,
  describeAttributeValue,
  longTypeName,
  typeOf,
  validateAttributeValue,
  validateItem,
  type AttributeValue,
} from "../src/services/dynamodb/attribute-value.js";
import {
  ITEM_SIZE_EXCEEDED,
  MAX_ITEM_SIZE,
  UPDATE_ITEM_SIZE_EXCEEDED,
  attributeValueSize,
  checkItemSize,
  itemSize,
  readCapacityUnits,
  readCapacityUnitsForItems,
  writeCapacityUnits,
  writeCapacityUnitsForChange,
} from "../src/services/dynamodb/item-size.js";
import { DynamoDBErrors } from "../src/services/dynamodb/errors.js";
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

const buf = (...bytes: number[]): Buffer => Buffer.from(bytes);

describe("validation", () => {
  it.each<[string, unknown]>([
    ["S", { S: "x" }],
    ["empty S", { S: "" }],
    ["N", { N: "1" }],
    ["B", { B: buf(1, 2) }],
    ["empty B", { B: buf() }],
    ["BOOL", { BOOL: false }],
    ["NULL", { NULL: true }],
    ["M", { M: { a: { S: "x" } } }],
    ["empty M", { M: {} }],
    ["L", { L: [{ S: "x" }, { N: "1" }] }],
    ["empty L", { L: [] }],
    ["SS", { SS: ["a", "b"] }],
    ["NS", { NS: ["1", "2"] }],
    ["BS", { BS: [buf(1), buf(2)] }],
  ])("accepts %s", (_name, value) => {
    expect(() => validateAttributeValue(value)).not.toThrow();
  });

  it.each<[string, unknown]>([
    ["no member", {}],
    ["only undefined members", { S: undefined }],
    ["null", null],
    ["a bare string", "x"],
  ])("refuses %s as empty", (_name, value) => {
    expect(failure(() => validateAttributeValue(value))).toEqual({
      code: "ValidationException",
      message: "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
    });
  });

  it("refuses two members", () => {
    expect(failure(() => validateAttributeValue({ S: "a", N: "1" })).message).toBe(
      "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
    );
  });

  it.each([
    ["SS", "One or more parameter values were invalid: An string set  may not be empty"],
    ["NS", "One or more parameter values were invalid: An number set  may not be empty"],
    ["BS", "One or more parameter values were invalid: Binary sets should not be empty"],
  ])("refuses an empty %s in AWS's words", (type, message) => {
    expect(failure(() => validateAttributeValue({ [type]: [] }))).toEqual({ code: "ValidationException", message });
  });

  it("refuses empty sets nested in maps and lists", () => {
    expect(() => validateAttributeValue({ M: { inner: { SS: [] } } })).toThrow(/An string set {2}may not be empty/);
    expect(() => validateAttributeValue({ L: [{ NS: [] }] })).toThrow(/An number set {2}may not be empty/);
  });

  it("refuses duplicate set members", () => {
    expect(failure(() => validateAttributeValue({ SS: ["a", "a"] })).message).toBe(
      "One or more parameter values were invalid: Input collection [a, a] contains duplicates.",
    );
  });

  it("compares number-set members numerically for duplicates", () => {
    expect(failure(() => validateAttributeValue({ NS: ["1", "1.0"] })).message).toMatch(/Input collection \[1, 1\.0\] contains duplicates/);
  });

  it("refuses duplicate binary-set members", () => {
    expect(() => validateAttributeValue({ BS: [buf(1), buf(1)] })).toThrow(/contains duplicates/);
  });

  it("validates numbers, nested too", () => {
    expect(failure(() => validateAttributeValue({ N: "x" })).message).toBe("The parameter cannot be converted to a numeric value: x");
    expect(failure(() => validateAttributeValue({ M: { a: { L: [{ N: "1e200" }] } } })).message).toMatch(/^Number overflow/);
    expect(failure(() => validateAttributeValue({ NS: ["1", "abc"] })).message).toMatch(/converted to a numeric value: abc/);
  });

  it("normalises numbers and number sets to DynamoDB's canonical form", () => {
    expect(validateAttributeValue({ N: "001.50" })).toEqual({ N: "1.5" });
    expect(validateAttributeValue({ NS: ["1e2", "-0"] })).toEqual({ NS: ["100", "0"] });
    expect(validateAttributeValue({ M: { n: { N: "2.0" } } })).toEqual({ M: { n: { N: "2" } } });
  });

  it("reads NULL: false as NULL: true, as AWS now does", () => {
    expect(validateAttributeValue({ NULL: false })).toEqual({ NULL: true });
  });

  it("copies binaries into Buffers", () => {
    const v = validateAttributeValue({ B: new Uint8Array([1, 2, 3]) });
    expect(Buffer.isBuffer((v as { B: Buffer }).B)).toBe(true);
    expect(v).toEqual({ B: buf(1, 2, 3) });
  });

  it("refuses documents nested more than 32 levels", () => {
    let deep: unknown = { S: "x" };
    for (let i = 0; i < 32; i++) deep = { M: { n: deep } };
    expect(() => validateAttributeValue(deep)).not.toThrow();
    deep = { M: { n: deep } };
    expect(failure(() => validateAttributeValue(deep)).message).toBe(
      "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit",
    );
  });

  it("validates whole items", () => {
    expect(validateItem({ a: { N: "1.0" }, b: { S: "x" } })).toEqual({ a: { N: "1" }, b: { S: "x" } });
    expect(() => validateItem({ a: { SS: [] } })).toThrow(/may not be empty/);
  });

  it("keeps an attribute named __proto__ as an own attribute", () => {
    const raw = JSON.parse('{"__proto__": {"M": {"__proto__": {"S": "x"}}}}') as unknown;
    const item = validateItem(raw);
    expect(Object.getPrototypeOf(item)).toBe(Object.prototype);
    expect(Object.keys(item)).toEqual(["__proto__"]);
    const inner = Object.getOwnPropertyDescriptor(item, "__proto__")?.value as { M: object };
    expect(Object.keys(inner.M)).toEqual(["__proto__"]);
    expect(Object.keys(cloneItem(item))).toEqual(["__proto__"]);
  });

  it("refuses wrongly typed members", () => {
    expect(() => validateAttributeValue({ S: 5 })).toThrow();
    expect(() => validateAttributeValue({ BOOL: "true" })).toThrow();
    expect(() => validateAttributeValue({ L: {} })).toThrow();
    expect(() => validateAttributeValue({ B: "AQI=" })).toThrow();
  });
});

describe("types", () => {
  it.each<[AttributeValue, string, string]>([
    [{ S: "x" }, "S", "STRING"],
    [{ N: "1" }, "N", "NUMBER"],
    [{ B: buf(1) }, "B", "BINARY"],
    [{ BOOL: true }, "BOOL", "BOOLEAN"],
    [{ NULL: true }, "NULL", "NULL"],
    [{ M: {} }, "M", "MAP"],
    [{ L: [] }, "L", "LIST"],
    [{ SS: ["a"] }, "SS", "STRING_SET"],
    [{ NS: ["1"] }, "NS", "NUMBER_SET"],
    [{ BS: [buf(1)] }, "BS", "BINARY_SET"],
  ])("%j is %s (%s)", (value, type, long) => {
    expect(typeOf(value)).toBe(type);
    expect(longTypeName(typeOf(value))).toBe(long);
  });
});

describe("equality", () => {
  it.each<[AttributeValue, AttributeValue, boolean]>([
    [{ S: "a" }, { S: "a" }, true],
    [{ S: "a" }, { S: "b" }, false],
    [{ S: "6" }, { N: "6" }, false],
    [{ N: "1" }, { N: "1.0" }, true],
    [{ N: "100" }, { N: "1e2" }, true],
    [{ B: buf(1, 2) }, { B: buf(1, 2) }, true],
    [{ B: buf(1, 2) }, { B: buf(1) }, false],
    [{ BOOL: true }, { BOOL: true }, true],
    [{ BOOL: true }, { BOOL: false }, false],
    [{ NULL: true }, { NULL: true }, true],
    [{ SS: ["a", "b"] }, { SS: ["b", "a"] }, true],
    [{ SS: ["a", "b"] }, { SS: ["a"] }, false],
    [{ NS: ["1", "2"] }, { NS: ["2.0", "1"] }, true],
    [{ BS: [buf(1), buf(2)] }, { BS: [buf(2), buf(1)] }, true],
    [{ N: "6" }, { NS: ["6"] }, false],
    [{ L: [{ S: "a" }, { N: "1" }] }, { L: [{ S: "a" }, { N: "1" }] }, true],
    [{ L: [{ S: "a" }, { N: "1" }] }, { L: [{ N: "1" }, { S: "a" }] }, false],
    [{ M: { a: { S: "x" }, b: { N: "1" } } }, { M: { b: { N: "1.0" }, a: { S: "x" } } }, true],
    [{ M: { a: { S: "x" } } }, { M: { a: { S: "x" }, b: { S: "y" } } }, false],
    [{ M: { a: { S: "x" } } }, { M: { b: { S: "x" } } }, false],
  ])("%j = %j is %s", (a, b, expected) => {
    expect(attributeValuesEqual(a, b)).toBe(expected);
    expect(attributeValuesEqual(b, a)).toBe(expected);
  });
});

describe("ordering", () => {
  it("orders strings by UTF-8 bytes, not UTF-16 code units", () => {
    // U+FF61 is one UTF-16 unit above the surrogates; U+1F600 is a surrogate pair. By UTF-8
    // bytes (EF BD A1 vs F0 9F 98 80) the emoji is larger, though JavaScript's < disagrees.
    expect("\u{1F600}" < "\uFF61").toBe(true);
    expect(compareStrings("\u{1F600}", "\uFF61")).toBeGreaterThan(0);
    expect(compareStrings("a", "b")).toBeLessThan(0);
    expect(compareStrings("B", "a")).toBeLessThan(0);
    expect(compareStrings("ab", "a")).toBeGreaterThan(0);
    expect(compareStrings("", "a")).toBeLessThan(0);
    expect(compareStrings("é", "z")).toBeGreaterThan(0);
    expect(compareStrings("same", "same")).toBe(0);
  });

  it("sorts keys of every scalar type", () => {
    const strings = ["b", "a", "B", "\u{1F600}", "\uFF61", "aa", ""].map((S) => ({ S }));
    expect(strings.sort(compareKeyValues).map((v) => v.S)).toEqual(["", "B", "a", "aa", "b", "\uFF61", "\u{1F600}"]);
    const numbers = ["10", "-1", "2", "1.5", "-10", "0"].map((N) => ({ N }));
    expect(numbers.sort(compareKeyValues).map((v) => v.N)).toEqual(["-10", "-1", "0", "1.5", "2", "10"]);
    const binaries = [buf(2), buf(1, 255), buf(255), buf(1), buf()].map((B) => ({ B }));
    expect(binaries.sort(compareKeyValues).map((v) => [...v.B])).toEqual([[], [1], [1, 255], [2], [255]]);
  });

  it("treats binary bytes as unsigned", () => {
    expect(compareKeyValues({ B: buf(0x80) }, { B: buf(0x7f) })).toBeGreaterThan(0);
  });

  it("does not order values of different or unordered types", () => {
    expect(compareAttributeValues({ S: "1" }, { N: "1" })).toBeUndefined();
    expect(compareAttributeValues({ BOOL: true }, { BOOL: false })).toBeUndefined();
    expect(compareAttributeValues({ L: [] }, { L: [] })).toBeUndefined();
    expect(() => compareKeyValues({ S: "1" }, { N: "1" })).toThrow();
  });
});

describe("key values", () => {
  it("refuses an empty string or binary key", () => {
    expect(failure(() => checkKeyValue("pk", { S: "" }, "HASH")).message).toBe(
      "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
    );
    expect(failure(() => checkKeyValue("pk", { B: buf() }, "HASH")).message).toBe(
      "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: pk",
    );
  });

  it("refuses a key of the wrong type", () => {
    expect(failure(() => checkKeyValue("id", { N: "1" }, "HASH", "S")).message).toBe(
      "One or more parameter values were invalid: Type mismatch for key id expected: S actual: N",
    );
  });

  it("limits partition keys to 2048 bytes and sort keys to 1024", () => {
    expect(() => checkKeyValue("pk", { S: "x".repeat(2048) }, "HASH")).not.toThrow();
    expect(failure(() => checkKeyValue("pk", { S: "x".repeat(2049) }, "HASH")).message).toBe(
      "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
    );
    expect(() => checkKeyValue("sk", { B: Buffer.alloc(1024) }, "RANGE")).not.toThrow();
    expect(failure(() => checkKeyValue("sk", { S: "é".repeat(513) }, "RANGE")).message).toBe(
      "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
    );
  });

  it("numbers are never too long or empty", () => {
    expect(() => checkKeyValue("n", { N: "0" }, "HASH", "N")).not.toThrow();
  });
});

describe("copies and rendering", () => {
  it("clones deeply", () => {
    const item = { m: { M: { l: { L: [{ B: buf(1) }] } } }, s: { SS: ["a"] } } as Record<string, AttributeValue>;
    const copy = cloneItem(item);
    expect(copy).toEqual(item);
    ((copy.m as { M: Record<string, { L: AttributeValue[] }> }).M.l!.L as AttributeValue[]).push({ S: "new" });
    (copy.s as { SS: string[] }).SS.push("b");
    expect(item).toEqual({ m: { M: { l: { L: [{ B: buf(1) }] } } }, s: { SS: ["a"] } });
  });

  it("describes operands as DynamoDB quotes them", () => {
    expect(describeAttributeValue({ N: "5" })).toBe("AttributeValue: {N:5}");
    expect(describeAttributeValue({ S: "a" })).toBe("AttributeValue: {S:a}");
  });
});

describe("item size", () => {
  it.each<[string, AttributeValue, number]>([
    ["a string by UTF-8 bytes", { S: "héllo" }, 6],
    ["an empty string", { S: "" }, 0],
    ["a number by significant digits", { N: "12345" }, 4],
    ["a binary by raw bytes", { B: Buffer.alloc(10) }, 10],
    ["a boolean", { BOOL: true }, 1],
    ["a null", { NULL: true }, 1],
    ["an empty list", { L: [] }, 3],
    ["an empty map", { M: {} }, 3],
    ["a list: 3 + elements + 1 each", { L: [{ S: "ab" }, { N: "1" }] }, 3 + 3 + 3],
    ["a map: 3 + names + values + 1 each", { M: { ab: { S: "xyz" } } }, 3 + 2 + 3 + 1],
    ["a nested document", { M: { l: { L: [{ M: {} }] } } }, 3 + 1 + (3 + (3 + 1)) + 1],
    ["a string set", { SS: ["ab", "c"] }, 3],
    ["a number set", { NS: ["1", "1.5"] }, 2 + 3],
    ["a binary set", { BS: [Buffer.alloc(2), Buffer.alloc(3)] }, 5],
  ])("%s", (_name, value, size) => {
    expect(attributeValueSize(value)).toBe(size);
  });

  it("adds attribute names, in UTF-8", () => {
    expect(itemSize({ id: { S: "abc" }, "ñ": { N: "1" } })).toBe(2 + 3 + 2 + 2);
    expect(itemSize(undefined)).toBe(0);
    expect(itemSize({})).toBe(0);
  });

  it("the AWS developer guide's item size example shape", () => {
    // {"Id": 789 (N), "ProductCategory": "Home Improvement", "Price": 52, "InStock": true, "Brand": "Acme"}
    const item = {
      Id: { N: "789" },
      ProductCategory: { S: "Home Improvement" },
      Price: { N: "52" },
      InStock: { BOOL: true },
      Brand: { S: "Acme" },
    };
    expect(itemSize(item)).toBe(2 + 3 + 15 + 16 + 5 + 2 + 7 + 1 + 5 + 4);
  });

  it("the 400 KB gate is inclusive", () => {
    const at = { p: { S: "x".repeat(MAX_ITEM_SIZE - 1) } };
    expect(checkItemSize(at)).toBe(409_600);
    const over = { p: { S: "x".repeat(MAX_ITEM_SIZE) } };
    expect(failure(() => checkItemSize(over))).toEqual({ code: "ValidationException", message: ITEM_SIZE_EXCEEDED });
    expect(failure(() => checkItemSize(over, true)).message).toBe(UPDATE_ITEM_SIZE_EXCEEDED);
  });

  it("a number-heavy item is sized by digits, not text length", () => {
    const nums = { L: Array.from({ length: 15000 }, () => ({ N: "9".repeat(38) })) };
    expect(itemSize({ pk: { N: "1" }, nums })).toBeLessThan(MAX_ITEM_SIZE);
    const more = { L: Array.from({ length: 21000 }, () => ({ N: "9".repeat(38) })) };
    expect(itemSize({ pk: { N: "1" }, nums: more })).toBeGreaterThan(MAX_ITEM_SIZE);
  });
});

describe("capacity units", () => {
  it.each<[number, boolean, number]>([
    [0, true, 1],
    [1, true, 1],
    [4096, true, 1],
    [4097, true, 2],
    [8192, true, 2],
    [409_600, true, 100],
    [0, false, 0.5],
    [4096, false, 0.5],
    [4097, false, 1],
    [12_000, false, 1.5],
  ])("reading %i bytes (consistent: %s) costs %s RCU", (bytes, consistent, units) => {
    expect(readCapacityUnits(bytes, { consistent })).toBe(units);
  });

  it("transactional reads cost two units per 4 KB", () => {
    expect(readCapacityUnits(4096, { transactional: true })).toBe(2);
    expect(readCapacityUnits(5000, { transactional: true, consistent: false })).toBe(4);
  });

  it("reads item by item round each item up", () => {
    expect(readCapacityUnitsForItems([100, 100, 5000], { consistent: true })).toBe(4);
    expect(readCapacityUnitsForItems([100, 100], { consistent: false })).toBe(1);
  });

  it.each<[number, number]>([
    [0, 1],
    [1, 1],
    [1024, 1],
    [1025, 2],
    [3500, 4],
    [409_600, 400],
  ])("writing %i bytes costs %i WCU", (bytes, units) => {
    expect(writeCapacityUnits(bytes)).toBe(units);
    expect(writeCapacityUnits(bytes, { transactional: true })).toBe(units * 2);
  });

  it("an update is charged for the larger of the item before and after", () => {
    const small = { a: { S: "x" } };
    const big = { a: { S: "x".repeat(3000) } };
    expect(writeCapacityUnitsForChange(big, small)).toBe(3);
    expect(writeCapacityUnitsForChange(small, big)).toBe(3);
    expect(writeCapacityUnitsForChange(undefined, small)).toBe(1);
    expect(writeCapacityUnitsForChange(big, undefined)).toBe(3);
  });
});

describe("error catalog", () => {
  it.each([
    ["ValidationException", 400],
    ["ConditionalCheckFailedException", 400],
    ["ResourceNotFoundException", 400],
    ["ResourceInUseException", 400],
    ["TransactionCanceledException", 400],
    ["TransactionConflictException", 400],
    ["ProvisionedThroughputExceededException", 400],
    ["ItemCollectionSizeLimitExceededException", 400],
    ["LimitExceededException", 400],
    ["IdempotentParameterMismatchException", 400],
    ["RequestLimitExceeded", 400],
    ["InternalServerError", 500],
  ])("%s answers %i", (code, status) => {
    const def = (DynamoDBErrors as Record<string, { code: string; status: number }>)[code];
    expect(def).toEqual(expect.objectContaining({ code, status }));
  });

  it("uses AWS's standing messages", () => {
    expect(DynamoDBErrors.ConditionalCheckFailedException.message).toBe("The conditional request failed");
    expect(DynamoDBErrors.ResourceNotFoundException.message).toBe("Requested resource not found");
  });

  it("carries only short codes (the protocol adds the namespace)", () => {
    for (const def of Object.values(DynamoDBErrors)) expect(def.code).not.toContain("#");
  });
});
