/** EventBridge's pattern language, schedule expressions and input templates, as pure functions. */
import { describe, expect, it } from "vitest";
import { matches, parsePattern } from "../src/services/events/pattern.js";
import { fireTimes, parseSchedule } from "../src/services/events/schedule.js";
import { fillTemplate, jsonPath } from "../src/services/events/dispatch.js";

const event = {
  version: "0",
  id: "1",
  "detail-type": "Object Created",
  source: "aws.s3",
  account: "000000000000",
  time: "2026-12-02T00:00:00Z",
  region: "us-east-1",
  resources: ["arn:aws:s3:::photos"],
  detail: {
    bucket: { name: "photos" },
    object: { key: "cats/tom.JPG", size: 2048, tags: ["pet", "cat"] },
    "source-ip-address": "10.0.1.17",
    state: null,
    reason: "",
  },
};
const m = (pattern: unknown) => matches(parsePattern(JSON.stringify(pattern)), event);

describe("event patterns", () => {
  it("matches exact values, arrays as OR, event arrays as any element, nesting as AND", () => {
    expect(m({ source: ["aws.s3"] })).toBe(true);
    expect(m({ source: ["aws.ec2", "aws.s3"], "detail-type": ["Object Created"] })).toBe(true);
    expect(m({ source: ["aws.s3"], "detail-type": ["Object Deleted"] })).toBe(false);
    expect(m({ detail: { object: { tags: ["cat"] } } })).toBe(true);
    expect(m({ detail: { object: { size: [2048] } } })).toBe(true);
    expect(m({ detail: { object: { size: ["2048"] } } })).toBe(false);
    expect(m({ detail: { state: [null] } })).toBe(true);
    expect(m({ detail: { reason: [""] } })).toBe(true);
    expect(m({ detail: { missing: ["x"] } })).toBe(false);
  });

  it("supports prefix, suffix, equals-ignore-case and wildcard", () => {
    expect(m({ detail: { object: { key: [{ prefix: "cats/" }] } } })).toBe(true);
    expect(m({ detail: { object: { key: [{ suffix: ".jpg" }] } } })).toBe(false);
    expect(m({ detail: { object: { key: [{ suffix: { "equals-ignore-case": ".jpg" } }] } } })).toBe(true);
    expect(m({ detail: { object: { key: [{ prefix: { "equals-ignore-case": "CATS/" } }] } } })).toBe(true);
    expect(m({ detail: { bucket: { name: [{ "equals-ignore-case": "PHOTOS" }] } } })).toBe(true);
    expect(m({ detail: { object: { key: [{ wildcard: "cats/*.JPG" }] } } })).toBe(true);
    expect(m({ detail: { object: { key: [{ wildcard: "dogs/*" }] } } })).toBe(false);
  });

  it("supports anything-but in all its forms", () => {
    expect(m({ source: [{ "anything-but": "aws.ec2" }] })).toBe(true);
    expect(m({ source: [{ "anything-but": ["aws.ec2", "aws.s3"] }] })).toBe(false);
    expect(m({ detail: { object: { size: [{ "anything-but": [1, 2] }] } } })).toBe(true);
    expect(m({ detail: { object: { key: [{ "anything-but": { prefix: "cats/" } }] } } })).toBe(false);
    expect(m({ detail: { object: { key: [{ "anything-but": { suffix: ".png" } }] } } })).toBe(true);
    expect(m({ source: [{ "anything-but": { "equals-ignore-case": ["AWS.S3"] } }] })).toBe(false);
    expect(m({ detail: { nothing: [{ "anything-but": "x" }] } })).toBe(false);
  });

  it("supports numeric ranges, exists and cidr", () => {
    expect(m({ detail: { object: { size: [{ numeric: [">", 1024, "<=", 4096] }] } } })).toBe(true);
    expect(m({ detail: { object: { size: [{ numeric: ["<", 1024] }] } } })).toBe(false);
    expect(m({ detail: { object: { size: [{ numeric: ["=", 2048] }] } } })).toBe(true);
    expect(m({ detail: { object: { key: [{ exists: true }] } } })).toBe(true);
    expect(m({ detail: { object: { etag: [{ exists: false }] } } })).toBe(true);
    expect(m({ detail: { object: { key: [{ exists: false }] } } })).toBe(false);
    expect(m({ detail: { "source-ip-address": [{ cidr: "10.0.0.0/16" }] } })).toBe(true);
    expect(m({ detail: { "source-ip-address": [{ cidr: "10.1.0.0/16" }] } })).toBe(false);
  });

  it("supports $or at any level", () => {
    expect(m({ source: ["aws.s3"], $or: [{ "detail-type": ["nope"] }, { detail: { object: { size: [{ numeric: [">", 1] }] } } }] })).toBe(true);
    expect(m({ detail: { $or: [{ bucket: { name: ["x"] } }, { reason: ["y"] }] } })).toBe(false);
  });

  it("refuses invalid patterns with InvalidEventPatternException", () => {
    for (const bad of ["not json", "[]", '{"source":"aws.s3"}', '{"source":[]}', '{"a":[{"numeric":[">",5,"<",1]}]}', '{"a":[{"bogus":1}]}', '{"a":[{"exists":"yes"}]}', '{"a":[{"cidr":"10.0.0.0/40"}]}']) {
      expect(() => parsePattern(bad), bad).toThrow(expect.objectContaining({ code: "InvalidEventPatternException" }) as Error);
    }
  });
});

describe("schedule expressions", () => {
  const t0 = Date.UTC(2026, 11, 2, 0, 0, 0); // a Wednesday
  it("parses rate expressions with AWS's unit rules", () => {
    expect(parseSchedule("rate(1 minute)")).toEqual({ kind: "rate", minutes: 1 });
    expect(parseSchedule("rate(5 minutes)")).toEqual({ kind: "rate", minutes: 5 });
    expect(parseSchedule("rate(2 hours)")).toEqual({ kind: "rate", minutes: 120 });
    for (const bad of ["rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(5 weeks)", "every 5 minutes"]) {
      expect(() => parseSchedule(bad), bad).toThrow(expect.objectContaining({ code: "ValidationException" }) as Error);
    }
  });
  it("fires rate schedules from their anchor", () => {
    expect(fireTimes(parseSchedule("rate(5 minutes)"), t0, t0, t0 + 16 * 60_000)).toEqual([5, 10, 15].map((k) => t0 + k * 60_000));
    expect(fireTimes(parseSchedule("rate(5 minutes)"), t0, t0 + 10 * 60_000, t0 + 16 * 60_000)).toEqual([t0 + 15 * 60_000]);
  });
  it("evaluates cron fields, names, steps, L, W and #", () => {
    const day = 86_400_000;
    const times = (expr: string, from: number, to: number) => fireTimes(parseSchedule(expr), from, from, to).map((t) => new Date(t).toISOString());
    expect(times("cron(0/15 * * * ? *)", t0, t0 + 3_600_000)).toEqual(["00:15", "00:30", "00:45", "01:00"].map((h) => `2026-12-02T${h}:00.000Z`));
    expect(times("cron(0 12 ? * MON-FRI *)", t0, t0 + 7 * day).length).toBe(5);
    expect(times("cron(30 8 L * ? *)", t0, t0 + 40 * day)).toEqual(["2026-12-31T08:30:00.000Z"]);
    expect(times("cron(0 9 ? * 2#1 *)", t0, t0 + 30 * day)).toEqual(["2026-12-07T09:00:00.000Z"]); // first Monday
    expect(times("cron(0 9 ? * 6L *)", t0, t0 + 30 * day)).toEqual(["2026-12-25T09:00:00.000Z"]); // last Friday
    expect(times("cron(0 9 5W * ? *)", t0, t0 + 30 * day)).toEqual(["2026-12-04T09:00:00.000Z"]); // the 5th is a Saturday
    for (const bad of ["cron(0 12 * * * *)", "cron(0 12 ? * ? *)", "cron(61 * * * ? *)", "cron(0 12 * *)"]) {
      expect(() => parseSchedule(bad), bad).toThrow(expect.objectContaining({ code: "ValidationException" }) as Error);
    }
  });
});

describe("input shaping", () => {
  it("selects with JSON paths", () => {
    expect(jsonPath(event, "$.detail.object.key")).toBe("cats/tom.JPG");
    expect(jsonPath(event, "$.detail.object.tags[1]")).toBe("cat");
    expect(jsonPath(event, "$['detail-type']")).toBe("Object Created");
    expect(jsonPath(event, "$")).toBe(event);
    expect(jsonPath(event, "$.nope.x")).toBeUndefined();
  });
  it("fills templates: strings inside quotes as text, values elsewhere as JSON", () => {
    const vars = { key: "cats/\"tom\"", size: 2048, obj: { a: 1 }, nope: undefined };
    expect(JSON.parse(fillTemplate('{"file": "<key>", "bytes": <size>, "o": <obj>, "missing": <nope>}', vars))).toEqual({
      file: 'cats/"tom"',
      bytes: 2048,
      o: { a: 1 },
      missing: null,
    });
    expect(fillTemplate('"<key> has <size> bytes"', vars)).toBe('"cats/\\"tom\\" has 2048 bytes"');
  });
});
