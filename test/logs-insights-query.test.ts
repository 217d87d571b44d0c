/** Logs Insights query language (pure module): parsing, errors, and running queries over events. */
import { describe, expect, it } from "vitest";
import { compileQuery, QueryError, runQuery, type InsightsEvent } from "../src/services/logs/insights/query.js";

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const ev = (i: number, message: string, stream = "s1"): InsightsEvent => ({ timestamp: T0 + i * 60_000, message, logStream: stream, log: "000000000000:/app", ingestionTime: T0 + i * 60_000 + 5 });

const EVENTS: InsightsEvent[] = [
  ev(0, "INFO start user=alice latency=12"),
  ev(1, "ERROR failed user=bob latency=250"),
  ev(2, '{"level":"ERROR","user":{"name":"carol","id":7},"latency":100,"tags":["a","b"]}', "s2"),
  ev(3, "WARN slow user=alice latency=900"),
  ev(6, "ERROR timeout user=alice latency=30", "s2"),
  ev(7, '{"level":"INFO","user":{"name":"dave","id":8},"latency":40}', "s2"),
];

const run = (q: string, limit?: number) => runQuery(compileQuery(q), EVENTS, limit);
const table = (q: string) => run(q).results.map((r) => Object.fromEntries(r.filter((c) => c.field !== "@ptr").map((c) => [c.field, c.value])));

describe("Logs Insights queries", () => {
  it("fields, default sort newest first, time rendering and limit", () => {
    const r = run("fields @timestamp, @message | limit 2");
    expect(r.recordsScanned).toBe(6);
    expect(r.results).toEqual([
      [
        { field: "@timestamp", value: "2026-01-01 00:07:00.000" },
        { field: "@message", value: EVENTS[5]!.message },
      ],
      [
        { field: "@timestamp", value: "2026-01-01 00:06:00.000" },
        { field: "@message", value: EVENTS[4]!.message },
      ],
    ]);
  });

  it("filter with like, regex, comparisons, in, and/or/not, ispresent", () => {
    expect(table("filter @message like /ERROR/ | fields @logStream | sort @timestamp asc")).toEqual([{ "@logStream": "s1" }, { "@logStream": "s2" }, { "@logStream": "s2" }]);
    expect(table('filter level = "ERROR" and latency >= 100 | fields user.name, user.id')).toEqual([{ "user.name": "carol", "user.id": "7" }]);
    expect(table('filter level in ["INFO", "WARN"] or @message =~ "WARN" | fields user.name | sort user.name asc')).toHaveLength(2);
    expect(table("filter ispresent(user.id) and not (user.id = 7) | fields user.name")).toEqual([{ "user.name": "dave" }]);
    expect(table('filter @message not like "user=" | fields tags.1')).toEqual([{}, { "tags.1": "b" }]);
  });

  it("parse with a glob and with a regex, then stats by field", () => {
    expect(table('parse @message "* * user=* latency=*" as level, word, user, ms | filter ispresent(user) | stats count(*) as n, sum(ms) as total, max(ms) by user | sort n desc')).toEqual([
      { user: "alice", n: "3", total: "942", "max(ms)": "900" },
      { user: "bob", n: "1", total: "250", "max(ms)": "250" },
    ]);
    expect(table("parse @message /user=(?<who>\\w+) latency=(?<ms>\\d+)/ | filter ms > 100 | display who, ms | sort ms asc")).toEqual([
      { who: "bob", ms: "250" },
      { who: "alice", ms: "900" },
    ]);
  });

  it("stats: avg, min, pct, count_distinct, earliest, latest, bin(5m) in time order", () => {
    expect(table('parse @message "latency=*" as l | stats avg(l) as a, min(l) as lo, pct(l, 50) as p50, count_distinct(@logStream) as streams')).toEqual([{ a: "298", lo: "12", p50: "30", streams: "2" }]);
    expect(table("stats count(*) as c by bin(5m)")).toEqual([
      { "bin(5m)": "2026-01-01 00:00:00.000", c: "4" },
      { "bin(5m)": "2026-01-01 00:05:00.000", c: "2" },
    ]);
    expect(table("stats earliest(@message) as first, latest(@logStream) as last")).toEqual([{ first: EVENTS[0]!.message, last: "s2" }]);
    expect(table("filter @message like /nothing/ | stats count(*) as c")).toEqual([{ c: "0" }]);
  });

  it("functions, arithmetic, dedup and the result limit", () => {
    expect(table("fields toupper(@logStream) as S, strlen(@logStream) as n, concat(@logStream, '-x') as c, abs(0 - 3) as a, floor(2.7) as f, ceil(2.1) as ce | dedup S | sort S asc")).toEqual([
      { S: "S1", n: "2", c: "s1-x", a: "3", f: "2", ce: "3" },
      { S: "S2", n: "2", c: "s2-x", a: "3", f: "2", ce: "3" },
    ]);
    expect(run("fields @message", 3).results).toHaveLength(3);
    expect(run("filter @message like /ERROR/").recordsMatched).toBe(3);
  });

  it("keeps bars inside regexes and strings within their command", () => {
    expect(table("filter @message like /WARN|FATAL/ | fields @logStream")).toEqual([{ "@logStream": "s1" }]);
    expect(table("parse @message /^(?<lvl>WARN|INFO) / | filter ispresent(lvl) | stats count(*) as n by lvl | sort lvl asc")).toEqual([
      { lvl: "INFO", n: "1" },
      { lvl: "WARN", n: "1" },
    ]);
    expect(table('filter @message like "a|b" | stats count(*) as n')).toEqual([{ n: "0" }]);
  });

  it("rejects malformed queries with a message saying what is wrong", () => {
    const bad = (q: string, msg: RegExp) => expect(() => compileQuery(q)).toThrow(msg);
    bad("", /empty/);
    bad("feilds @message", /Unknown command 'feilds'/);
    bad("filter @message like", /expression was expected/);
    bad("stats count(*) by", /expression was expected/);
    bad("stats @message", /aggregate function/);
    bad("filter count(*) > 1", /only allowed in a stats command/);
    bad("fields nosuch(@message)", /Unknown function 'nosuch'/);
    bad("limit 0", /limit needs/);
    bad('parse @message "a * b *" as x', /2 '\*' but 1/);
    bad("parse @message /(\\w+)/", /named group/);
    bad('filter @message = "open', /Unterminated string/);
    expect(() => compileQuery("sort")).toThrow(QueryError);
  });
});
