/** SNS filter policies: validation limits and messages, and every operator on attributes and on message bodies (pure, no server). */
import { describe, expect, it } from "vitest";
import { filterMatches, FilterPolicyError, parseFilterPolicy } from "../src/services/sns/filter-policy.js";

const S = (v: string) => ({ DataType: "String", StringValue: v });
const N = (v: number) => ({ DataType: "Number", StringValue: String(v) });
const A = (v: unknown[]) => ({ DataType: "String.Array", StringValue: JSON.stringify(v) });

function attrs(policy: object, a: Record<string, { DataType: string; StringValue?: string }>) {
  return filterMatches(parseFilterPolicy(JSON.stringify(policy), "MessageAttributes"), "MessageAttributes", "", a);
}
function body(policy: object, message: unknown) {
  return filterMatches(parseFilterPolicy(JSON.stringify(policy), "MessageBody"), "MessageBody", JSON.stringify(message), undefined);
}
function invalid(policy: unknown, scope: "MessageAttributes" | "MessageBody" = "MessageAttributes") {
  try {
    parseFilterPolicy(typeof policy === "string" ? policy : JSON.stringify(policy), scope);
  } catch (e) {
    expect(e).toBeInstanceOf(FilterPolicyError);
    return (e as Error).message;
  }
  throw new Error("expected the policy to be rejected");
}

describe("matching on attributes", () => {
  it("exact strings and numbers, String.Array, and types kept apart", () => {
    expect(attrs({ color: ["red", "blue"] }, { color: S("red") })).toBe(true);
    expect(attrs({ color: ["red"] }, { color: S("green") })).toBe(false);
    expect(attrs({ color: ["red"] }, {})).toBe(false);
    expect(attrs({ size: [5] }, { size: N(5) })).toBe(true);
    expect(attrs({ size: [5] }, { size: S("5") })).toBe(false);
    expect(attrs({ tags: ["b"] }, { tags: A(["a", "b"]) })).toBe(true);
    expect(attrs({ tags: ["c"] }, { tags: A(["a", "b"]) })).toBe(false);
  });
  it("prefix, suffix, equals-ignore-case, cidr", () => {
    expect(attrs({ k: [{ prefix: "ord-" }] }, { k: S("ord-1") })).toBe(true);
    expect(attrs({ k: [{ suffix: ".png" }] }, { k: S("a.jpg") })).toBe(false);
    expect(attrs({ k: [{ "equals-ignore-case": "HeLLo" }] }, { k: S("hello") })).toBe(true);
    expect(attrs({ ip: [{ cidr: "10.0.0.0/24" }] }, { ip: S("10.0.0.77") })).toBe(true);
    expect(attrs({ ip: [{ cidr: "10.0.0.0/24" }] }, { ip: S("10.0.1.1") })).toBe(false);
  });
  it("anything-but with values, numbers, prefix and suffix; absent attributes do not match", () => {
    expect(attrs({ k: [{ "anything-but": ["a", "b"] }] }, { k: S("c") })).toBe(true);
    expect(attrs({ k: [{ "anything-but": ["a", "b"] }] }, { k: S("a") })).toBe(false);
    expect(attrs({ k: [{ "anything-but": "a" }] }, {})).toBe(false);
    expect(attrs({ n: [{ "anything-but": [1, 2] }] }, { n: N(3) })).toBe(true);
    expect(attrs({ k: [{ "anything-but": { prefix: "tmp-" } }] }, { k: S("tmp-x") })).toBe(false);
    expect(attrs({ k: [{ "anything-but": { suffix: ".tmp" } }] }, { k: S("x.txt") })).toBe(true);
  });
  it("numeric ranges and exists", () => {
    expect(attrs({ p: [{ numeric: [">=", 10, "<", 20] }] }, { p: N(10) })).toBe(true);
    expect(attrs({ p: [{ numeric: [">=", 10, "<", 20] }] }, { p: N(20) })).toBe(false);
    expect(attrs({ p: [{ numeric: ["=", 3.5] }] }, { p: N(3.5) })).toBe(true);
    expect(attrs({ k: [{ exists: true }] }, { k: S("x") })).toBe(true);
    expect(attrs({ k: [{ exists: false }] }, {})).toBe(true);
    expect(attrs({ k: [{ exists: false }] }, { k: S("x") })).toBe(false);
  });
  it("every key must match; $or alternatives", () => {
    expect(attrs({ a: ["1"], b: ["2"] }, { a: S("1"), b: S("2") })).toBe(true);
    expect(attrs({ a: ["1"], b: ["2"] }, { a: S("1") })).toBe(false);
    const or = { $or: [{ a: ["1"] }, { b: ["2"] }] };
    expect(attrs(or, { b: S("2") })).toBe(true);
    expect(attrs(or, { c: S("3") })).toBe(false);
  });
});

describe("matching on the message body", () => {
  it("nested keys, arrays, booleans and null", () => {
    const msg = { order: { status: "shipped", items: [{ sku: "a1" }, { sku: "b2" }], total: 42 }, gift: true, note: null };
    expect(body({ order: { status: ["shipped"] } }, msg)).toBe(true);
    expect(body({ order: { items: { sku: ["b2"] } } }, msg)).toBe(true);
    expect(body({ order: { total: [{ numeric: [">", 40] }] }, gift: [true] }, msg)).toBe(true);
    expect(body({ note: [null] }, msg)).toBe(true);
    expect(body({ order: { missing: [{ exists: false }] } }, msg)).toBe(true);
    expect(body({ order: { status: ["pending"] } }, msg)).toBe(false);
    expect(filterMatches(parseFilterPolicy('{"a":["x"]}', "MessageBody"), "MessageBody", "not json", undefined)).toBe(false);
  });
});

describe("validation", () => {
  it("rejects what SNS rejects", () => {
    expect(invalid("not json")).toMatch(/parse/);
    expect(invalid({ a: [] })).toBe("Empty arrays are not allowed");
    expect(invalid({ a: [{ bogus: 1 }] })).toBe("Unrecognized match type bogus");
    expect(invalid({ a: [{ exists: "yes" }] })).toBe("exists match pattern must be either true or false.");
    expect(invalid({ a: [{ numeric: [">", "x"] }] })).toMatch(/must be numeric/);
    expect(invalid({ a: [{ numeric: [">", 5, "<", 1] }] })).toBe("Bottom must be less than top");
    expect(invalid({ a: [{ cidr: "10.0.0.0" }] })).toBe("Malformed CIDR, one '/' required");
    expect(invalid({ a: { b: ["x"] } })).toMatch(/does not support nested/);
    expect(invalid({ a: ["1"], b: ["1"], c: ["1"], d: ["1"], e: ["1"], f: ["1"] })).toBe("Filter policy can not have more than 5 keys");
    const many = Array.from({ length: 13 }, (_, i) => String(i));
    expect(invalid({ a: many, b: many })).toBe("Filter policy is too complex");
    expect(parseFilterPolicy(JSON.stringify({ a: { b: ["x"] } }), "MessageBody")).toEqual({ a: { b: ["x"] } });
  });
});
