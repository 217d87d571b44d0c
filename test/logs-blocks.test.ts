/**
 * CloudWatch Logs events stored in blocks (one row per batch): order across overlapping batches
 * and streams, paging through many blocks, deleting streams, and moving rows of the older
 * one-row-per-event layout into blocks.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogStreamCommand,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import type { Nimbus } from "../src/index.js";
import { SqliteMetadataStore } from "../src/storage/sqlite-metadata-store.js";
import { migrateLegacyEvents } from "../src/services/logs/ingest.js";
import { scanGroup } from "../src/services/logs/blocks.js";
import { tables } from "../src/services/logs/store.js";
import { sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let logs: CloudWatchLogsClient;

beforeAll(async () => {
  n = await startTestNimbus();
  logs = new CloudWatchLogsClient(sdkConfig(n));
});
afterAll(async () => {
  await n.stop();
});

async function setup(group: string, streams: string[]) {
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  for (const s of streams) await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: s }));
}
const put = (group: string, stream: string, events: { timestamp: number; message: string }[]) =>
  logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events }));

async function allFiltered(group: string, extra: Record<string, unknown> = {}) {
  const out: { id: string; stream: string; t: number; m: string }[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const r = await logs.send(new FilterLogEventsCommand({ logGroupName: group, nextToken, ...extra }));
    out.push(...r.events!.map((e) => ({ id: e.eventId!, stream: e.logStreamName!, t: e.timestamp!, m: e.message! })));
    nextToken = r.nextToken;
    pages++;
  } while (nextToken && pages < 1000);
  return out;
}

describe("log event blocks", () => {
  it("keeps a stream in time order when a batch arrives older than the stream's newest events", async () => {
    await setup("/blocks/late", ["s"]);
    const now = n.clock.nowMs();
    await put("/blocks/late", "s", [0, 10, 20, 30].map((d) => ({ timestamp: now - 1000 + d, message: `a${d}` })));
    await put("/blocks/late", "s", [40, 50].map((d) => ({ timestamp: now - 1000 + d, message: `b${d}` })));
    // Overlaps both earlier batches.
    await put("/blocks/late", "s", [5, 25, 45, 60].map((d) => ({ timestamp: now - 1000 + d, message: `c${d}` })));
    const expected = ["a0", "c5", "a10", "a20", "c25", "a30", "b40", "c45", "b50", "c60"];
    const fwd = await logs.send(new GetLogEventsCommand({ logGroupName: "/blocks/late", logStreamName: "s", startFromHead: true }));
    expect(fwd.events!.map((e) => e.message)).toEqual(expected);
    // Pages of 3 forward, then backward from the end.
    const seen: string[] = [];
    let token: string | undefined;
    for (;;) {
      const p = await logs.send(new GetLogEventsCommand({ logGroupName: "/blocks/late", logStreamName: "s", startFromHead: true, limit: 3, nextToken: token }));
      seen.push(...p.events!.map((e) => e.message!));
      if (p.nextForwardToken === token) break;
      token = p.nextForwardToken;
    }
    expect(seen).toEqual(expected);
    const back: string[][] = [];
    let r = await logs.send(new GetLogEventsCommand({ logGroupName: "/blocks/late", logStreamName: "s", limit: 4 }));
    while (r.events!.length > 0) {
      back.unshift(r.events!.map((e) => e.message!));
      r = await logs.send(new GetLogEventsCommand({ logGroupName: "/blocks/late", logStreamName: "s", limit: 4, nextToken: r.nextBackwardToken }));
    }
    expect(back.flat()).toEqual(expected);
    // A time window that starts inside a block.
    const win = await logs.send(new GetLogEventsCommand({ logGroupName: "/blocks/late", logStreamName: "s", startFromHead: true, startTime: now - 1000 + 20, endTime: now - 1000 + 46 }));
    expect(win.events!.map((e) => e.message)).toEqual(["a20", "c25", "a30", "b40", "c45"]);
    const filtered = await allFiltered("/blocks/late");
    expect(filtered.map((e) => e.m)).toEqual(expected);
  });

  it("merges overlapping streams into one time order and pages through it exactly once", async () => {
    await setup("/blocks/merge", ["x", "y", "z"]);
    const base = n.clock.nowMs() - 60_000;
    // Three streams writing interleaved timestamps in several batches each.
    for (let batch = 0; batch < 4; batch++) {
      for (const [i, s] of ["x", "y", "z"].entries()) {
        await put(
          "/blocks/merge",
          s,
          Array.from({ length: 25 }, (_, k) => ({ timestamp: base + batch * 1000 + k * 30 + i * 7, message: `${k % 10 === 0 ? "ERROR" : "INFO"} ${s} ${batch}.${k}` })),
        );
      }
    }
    const all = await allFiltered("/blocks/merge", { limit: 7 });
    expect(all).toHaveLength(300);
    expect(new Set(all.map((e) => e.id)).size).toBe(300);
    for (let i = 1; i < all.length; i++) expect(all[i]!.id > all[i - 1]!.id).toBe(true);
    const ts = all.map((e) => e.t);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    const errors = await allFiltered("/blocks/merge", { filterPattern: "ERROR", limit: 5 });
    expect(errors.map((e) => e.m)).toEqual(all.filter((e) => e.m.includes("ERROR")).map((e) => e.m));
    expect(errors).toHaveLength(36);
    const y = await allFiltered("/blocks/merge", { filterPattern: "ERROR", logStreamNames: ["y"] });
    expect(y.map((e) => e.stream)).toEqual(Array(12).fill("y"));
    const window = await allFiltered("/blocks/merge", { startTime: base + 1000, endTime: base + 1999 });
    expect(window).toHaveLength(75);
    expect(window.every((e) => e.t >= base + 1000 && e.t <= base + 1999)).toBe(true);
  });

  it("resumes a scan that stops at its event budget without losing or repeating a match", async () => {
    await setup("/blocks/big", ["a", "b"]);
    const base = n.clock.nowMs() - 3_000_000;
    // 120,000 events in 10,000-event batches, two streams covering the same times.
    for (let c = 0; c < 12; c++) {
      const stream = c % 2 === 0 ? "a" : "b";
      const start = Math.floor(c / 2) * 10_000;
      await put(
        "/blocks/big",
        stream,
        Array.from({ length: 10_000 }, (_, k) => ({ timestamp: base + (start + k) * 10, message: (start + k) % 997 === 0 ? `hit ${stream} ${start + k}` : `miss ${start + k}` })),
      );
    }
    const hits = await allFiltered("/blocks/big", { filterPattern: '"hit "' });
    expect(hits).toHaveLength(2 * Math.ceil(60_000 / 997));
    expect(new Set(hits.map((e) => e.id)).size).toBe(hits.length);
    for (let i = 1; i < hits.length; i++) expect(hits[i]!.id > hits[i - 1]!.id).toBe(true);
  });

  it("drops a deleted stream's events from the group and its stored bytes", async () => {
    await setup("/blocks/del", ["keep", "drop"]);
    const now = n.clock.nowMs();
    await put("/blocks/del", "keep", [{ timestamp: now, message: "kept" }]);
    await put("/blocks/del", "drop", [{ timestamp: now, message: "dropped!" }]);
    await logs.send(new DeleteLogStreamCommand({ logGroupName: "/blocks/del", logStreamName: "drop" }));
    expect((await allFiltered("/blocks/del")).map((e) => e.m)).toEqual(["kept"]);
    const g = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/blocks/del" }));
    expect(g.logGroups![0]!.storedBytes).toBe(4);
  });
});

describe("legacy one-row-per-event layout", () => {
  it("moves rows into blocks, each stream in its order", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nimbus-logs-legacy-"));
    const store = new SqliteMetadataStore(join(dir, "m.sqlite"));
    try {
      const scope = { account: "000000000000", region: "us-east-1", service: "logs" };
      const t = tables(store, scope);
      const id = (ts: number, q: number) => String(ts).padStart(20, "0") + String(q).padStart(36, "0");
      const rows: [string, string, number, string][] = [
        ["g", "s1", 100, "one"],
        ["g", "s2", 150, "two"],
        ["g", "s1", 200, "three"],
        ["h", "s1", 50, "other group"],
      ];
      for (const [i, [group, stream, ts, m]] of rows.entries()) {
        await t.legacyEvents.put(`${group}\u0000${stream}\u0000${id(ts, i + 1)}`, { t: ts, m, i: 1 });
        await t.legacyByTime.put(`${group}\u0000${id(ts, i + 1)}`, { t: ts, m, i: 1, s: stream });
      }
      expect(await migrateLegacyEvents(store, scope)).toBe(4);
      expect(await t.legacyEvents.count()).toBe(0);
      expect(await t.legacyByTime.count()).toBe(0);
      const seen: string[] = [];
      await scanGroup(t.blocks, "g", {}, (d, k) => {
        seen.push(`${d.stream}:${d.message(k)}`);
        return true;
      });
      expect(seen).toEqual(["s1:one", "s2:two", "s1:three"]);
      expect((await t.streamBlocks.list({ prefix: "g\u0000s1\u0000" })).map((r) => r.value.n)).toEqual([2]);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
