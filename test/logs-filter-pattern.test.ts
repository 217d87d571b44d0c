/** CloudWatch Logs filter patterns: terms, JSON and space-delimited forms. */
import { describe, expect, it } from "vitest";
import { parseFilterPattern, splitFields, FilterPatternError } from "../src/services/logs/filter-pattern.js";

const m = (pattern: string, message: string) => parseFilterPattern(pattern).matches(message);

describe("unstructured terms", () => {
  it("matches all, any, phrases, exclusions and regexes, case-sensitively", () => {
    expect(m("", "anything")).toBe(true);
    expect(m("ERROR", "[ERROR] disk full")).toBe(true);
    expect(m("ERROR", "[error] disk full")).toBe(false);
    expect(m("ERROR disk", "[ERROR] disk full")).toBe(true);
    expect(m("ERROR memory", "[ERROR] disk full")).toBe(false);
    expect(m("?ERROR ?WARN", "WARN low disk")).toBe(true);
    expect(m("?ERROR ?WARN", "INFO ok")).toBe(false);
    expect(m('"disk full"', "[ERROR] disk full")).toBe(true);
    expect(m('"full disk"', "[ERROR] disk full")).toBe(false);
    expect(m("ERROR -Exiting", "ERROR Exiting now")).toBe(false);
    expect(m("ERROR -Exiting", "ERROR retrying")).toBe(true);
    expect(m("%5\\d\\d%", "status 503")).toBe(true);
    expect(m("%5\\d\\d%", "status 404")).toBe(false);
  });
});

describe("JSON patterns", () => {
  const line = JSON.stringify({ level: "ERROR", code: 503, path: "/api/users", user: { id: "u-1", admin: false }, tags: ["a", "b"], gone: null });
  it("compares strings, numbers, wildcards, nested members and array items", () => {
    expect(m('{ $.level = "ERROR" }', line)).toBe(true);
    expect(m("{ $.level = ERROR }", line)).toBe(true);
    expect(m('{ $.level != "ERROR" }', line)).toBe(false);
    expect(m("{ $.code >= 500 }", line)).toBe(true);
    expect(m("{ $.code < 500 }", line)).toBe(false);
    expect(m('{ $.path = "/api/*" }', line)).toBe(true);
    expect(m('{ $.user.id = "u-1" }', line)).toBe(true);
    expect(m('{ $.tags[1] = "b" }', line)).toBe(true);
    expect(m("{ $.user.admin IS FALSE }", line)).toBe(true);
    expect(m("{ $.gone IS NULL }", line)).toBe(true);
    expect(m("{ $.missing NOT EXISTS }", line)).toBe(true);
    expect(m("{ $.level NOT EXISTS }", line)).toBe(false);
    expect(m("{ $.level = %ERR.*% }", line)).toBe(true);
  });
  it("combines with && and || and parentheses", () => {
    expect(m('{ ($.level = "ERROR") && ($.code = 503) }', line)).toBe(true);
    expect(m('{ ($.level = "INFO") || ($.code = 503) }', line)).toBe(true);
    expect(m('{ ($.level = "INFO") || ($.code = 404 && $.path = "/api/users") }', line)).toBe(false);
  });
  it("never matches a message that is not JSON", () => {
    expect(m('{ $.level = "ERROR" }', "ERROR plain text")).toBe(false);
  });
  it("rejects malformed patterns", () => {
    expect(() => parseFilterPattern("{ $.code > abc }")).toThrow(FilterPatternError);
    expect(() => parseFilterPattern('{ $.level = "ERROR" ')).toThrow(FilterPatternError);
    expect(() => parseFilterPattern("{ level = 1 }")).toThrow(FilterPatternError);
  });
});

describe("space-delimited patterns", () => {
  const access = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534';
  it("splits fields with quotes and brackets as one", () => {
    expect(splitFields(access)).toEqual(["127.0.0.1", "-", "frank", "10/Oct/2000:13:25:15 -0700", "GET /apache_pb.gif HTTP/1.0", "404", "1534"]);
  });
  it("binds names, conditions, wildcards and ellipsis", () => {
    expect(m("[ip, id, user, timestamp, request, status_code, size]", access)).toBe(true);
    expect(m("[ip, id, user, timestamp, request, status_code = 404, size]", access)).toBe(true);
    expect(m("[ip, id, user, timestamp, request, status_code = 4*, size > 1000]", access)).toBe(true);
    expect(m("[ip, id, user, timestamp, request, status_code = 200, size]", access)).toBe(false);
    expect(m("[ip, id, user]", access)).toBe(false);
    expect(m("[ip, ..., status_code = 404 || status_code = 410, size]", access)).toBe(true);
    expect(m('[..., request = "*gif*", status_code, size]', access)).toBe(true);
    expect(parseFilterPattern("[ip, ..., status, bytes]").extract(access)).toEqual({ ip: "127.0.0.1", status: "404", bytes: "1534" });
  });
});
