/**
 * The storage contract as one behaviour suite per interface. Every backend (SQLite + files today,
 * PostgreSQL later) runs exactly these tests, so services can rely on the behaviour described in
 * src/storage/types.ts and never on one backend's quirks.
 */
import { createHash, randomBytes } from "node:crypto";
import { PassThrough, Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BlobStore, MetadataStore, Scope } from "../src/storage/types.js";

/** A place holding one backend's data; stores can be opened on it again to test persistence. */
export interface BackendFixture<S> {
  /** Opens a store on the fixture's data (call again only after closing the previous one). */
  open(): Promise<S>;
  close(store: S): Promise<void>;
  /** Removes the fixture's data. */
  dispose(): Promise<void>;
  /**
   * Optional: how many stored objects exist physically, temporaries included, so the suite can
   * check that a failed put leaves nothing behind.
   */
  physicalObjectCount?(): Promise<number>;
}

const A: Scope = { account: "111111111111", region: "us-east-1", service: "s3" };

function utf8Sort(keys: string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}

function hex(algorithm: string, data: Buffer | string): string {
  return createHash(algorithm).update(data).digest("hex");
}

/** Resolves to "pending" if `p` has not settled after a few turns of the event loop. */
async function stateOf(p: Promise<unknown>): Promise<"resolved" | "rejected" | "pending"> {
  let state: "resolved" | "rejected" | "pending" = "pending";
  p.then(() => (state = "resolved"), () => (state = "rejected"));
  await sleep(20);
  return state;
}

export function describeMetadataStore(name: string, makeFixture: () => Promise<BackendFixture<MetadataStore>>): void {
  describe(`MetadataStore: ${name}`, () => {
    let fixture: BackendFixture<MetadataStore>;
    let store: MetadataStore;
    let open = false;

    beforeEach(async () => {
      fixture = await makeFixture();
      store = await fixture.open();
      open = true;
    });
    afterEach(async () => {
      if (open) await fixture.close(store);
      await fixture.dispose();
    });

    describe("point operations", () => {
      it("gets undefined for a missing key, and what was put", async () => {
        const t = store.table<{ n: number }>(A, "t");
        expect(await t.get("k")).toBeUndefined();
        await t.put("k", { n: 1 });
        expect(await t.get("k")).toEqual({ n: 1 });
        await t.put("k", { n: 2 });
        expect(await t.get("k")).toEqual({ n: 2 });
      });

      it("stores JSON values as JSON: Dates become ISO strings, copies are never aliased", async () => {
        const t = store.table(A, "t");
        const when = new Date("2024-05-06T07:08:09.010Z");
        const value = { s: "x", n: -1.5, b: true, z: null, a: [1, "two", { three: 3 }], nested: { when }, gone: undefined };
        await t.put("v", value);
        const back = (await t.get("v")) as Record<string, unknown>;
        expect(back).toEqual({ s: "x", n: -1.5, b: true, z: null, a: [1, "two", { three: 3 }], nested: { when: when.toISOString() } });
        expect("gone" in back).toBe(false);
        value.s = "changed after put";
        (back.a as unknown[]).push("changed after get");
        expect(await t.get("v")).toMatchObject({ s: "x", a: [1, "two", { three: 3 }] });
        for (const scalar of [0, "", false, null, "plain string", 12345678901234]) {
          await t.put("scalar", scalar);
          expect(await t.get("scalar")).toEqual(scalar);
        }
      });

      it("rejects values JSON cannot encode", async () => {
        const t = store.table(A, "t");
        await expect(t.put("u", undefined)).rejects.toThrow(TypeError);
        await expect(t.put("b", 1n)).rejects.toThrow(TypeError);
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        await expect(t.put("c", cyclic)).rejects.toThrow();
        expect(await t.count()).toBe(0);
      });

      it("inserts only when absent", async () => {
        const t = store.table(A, "t");
        expect(await t.insert("k", 1)).toBe(true);
        expect(await t.insert("k", 2)).toBe(false);
        expect(await t.get("k")).toBe(1);
      });

      it("deletes, reporting whether the key existed", async () => {
        const t = store.table(A, "t");
        await t.put("k", 1);
        expect(await t.delete("k")).toBe(true);
        expect(await t.delete("k")).toBe(false);
        expect(await t.get("k")).toBeUndefined();
      });

      it("accepts the empty key and keys with NUL, slashes, dots and emoji", async () => {
        const t = store.table(A, "t");
        const keys = ["", "a\u0000b", "../../etc/passwd", "dir/sub/file.txt", "😀 smile", " "];
        for (const [i, k] of keys.entries()) await t.put(k, i);
        for (const [i, k] of keys.entries()) expect(await t.get(k)).toBe(i);
        expect((await t.list()).map((e) => e.key)).toEqual(utf8Sort(keys));
      });

      it("rejects keys that are not valid Unicode (lone surrogates)", async () => {
        const t = store.table(A, "t");
        await expect(t.put("bad\uD800", 1)).rejects.toThrow(TypeError);
        await expect(t.get("\uDC00")).rejects.toThrow(TypeError);
      });

      it("handles concurrent writes outside transactions", async () => {
        const t = store.table<number>(A, "t");
        await Promise.all(Array.from({ length: 300 }, (_, i) => t.put(`k${String(i).padStart(3, "0")}`, i)));
        expect(await t.count()).toBe(300);
        expect(await t.get("k299")).toBe(299);
        const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => t.insert("race", i)));
        expect(wins.filter(Boolean)).toHaveLength(1);
        expect(await t.get("race")).toBe(wins.indexOf(true));
      });

      it("isolates a failing write from concurrent ones", async () => {
        const t = store.table(A, "t");
        const results = await Promise.allSettled([t.put("ok1", 1), t.put("bad", undefined), t.put("ok2", 2)]);
        expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
        expect(await t.list()).toEqual([
          { key: "ok1", value: 1 },
          { key: "ok2", value: 2 },
        ]);
      });
    });

    describe("ranges", () => {
      const keys = ["a", "a/1", "a/2", "a/3", "ab", "b", "b/1", "c"];
      beforeEach(async () => {
        const t = store.table(A, "r");
        for (const k of keys) await t.put(k, k.toUpperCase());
      });
      const listKeys = async (o: Parameters<ReturnType<MetadataStore["table"]>["list"]>[0]) =>
        (await store.table(A, "r").list(o)).map((e) => e.key);

      it("lists everything in key order with values", async () => {
        const all = await store.table(A, "r").list();
        expect(all.map((e) => e.key)).toEqual(keys);
        expect(all[1]).toEqual({ key: "a/1", value: "A/1" });
      });

      it("filters by prefix", async () => {
        expect(await listKeys({ prefix: "a/" })).toEqual(["a/1", "a/2", "a/3"]);
        expect(await listKeys({ prefix: "a" })).toEqual(["a", "a/1", "a/2", "a/3", "ab"]);
        expect(await listKeys({ prefix: "zzz" })).toEqual([]);
        expect(await listKeys({ prefix: "" })).toEqual(keys);
      });

      it("bounds by after (exclusive), from (inclusive) and before (exclusive)", async () => {
        expect(await listKeys({ after: "a/2" })).toEqual(["a/3", "ab", "b", "b/1", "c"]);
        expect(await listKeys({ from: "a/2" })).toEqual(["a/2", "a/3", "ab", "b", "b/1", "c"]);
        expect(await listKeys({ before: "a/2" })).toEqual(["a", "a/1"]);
        expect(await listKeys({ after: "a/9" })).toEqual(["ab", "b", "b/1", "c"]);
        expect(await listKeys({ from: "a/1", before: "b" })).toEqual(["a/1", "a/2", "a/3", "ab"]);
        expect(await listKeys({ from: "b", before: "b" })).toEqual([]);
        expect(await listKeys({ from: "c", before: "a" })).toEqual([]);
        // after and from on the same key: the exclusive bound wins.
        expect(await listKeys({ from: "a/2", after: "a/2", before: "ab" })).toEqual(["a/3"]);
      });

      it("combines prefix with bounds", async () => {
        expect(await listKeys({ prefix: "a/", after: "a/1" })).toEqual(["a/2", "a/3"]);
        expect(await listKeys({ prefix: "a/", before: "a/3" })).toEqual(["a/1", "a/2"]);
        expect(await listKeys({ prefix: "a/", after: "0" })).toEqual(["a/1", "a/2", "a/3"]);
        expect(await listKeys({ prefix: "a/", after: "b" })).toEqual([]);
        expect(await listKeys({ prefix: "b", before: "zz" })).toEqual(["b", "b/1"]);
      });

      it("limits and reverses", async () => {
        expect(await listKeys({ limit: 3 })).toEqual(["a", "a/1", "a/2"]);
        expect(await listKeys({ limit: 0 })).toEqual([]);
        expect(await listKeys({ limit: 100 })).toEqual(keys);
        expect(await listKeys({ reverse: true })).toEqual([...keys].reverse());
        expect(await listKeys({ reverse: true, limit: 2 })).toEqual(["c", "b/1"]);
        expect(await listKeys({ reverse: true, prefix: "a/", limit: 2 })).toEqual(["a/3", "a/2"]);
        expect(await listKeys({ reverse: true, before: "b", limit: 2 })).toEqual(["ab", "a/3"]);
        expect(await listKeys({ reverse: true, after: "b" })).toEqual(["c", "b/1"]);
        await expect(listKeys({ limit: -1 })).rejects.toThrow(RangeError);
        await expect(listKeys({ limit: 1.5 })).rejects.toThrow(RangeError);
      });

      it("pages through a table with after + limit", async () => {
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await listKeys({ after, limit: 3 });
          if (page.length === 0) break;
          seen.push(...page);
          after = page[page.length - 1];
        }
        expect(seen).toEqual(keys);
      });

      it("counts and clears, optionally by prefix", async () => {
        const t = store.table(A, "r");
        expect(await t.count()).toBe(keys.length);
        expect(await t.count({ prefix: "a" })).toBe(5);
        expect(await t.count({ prefix: "q" })).toBe(0);
        expect(await t.clear({ prefix: "a/" })).toBe(3);
        expect((await t.list()).map((e) => e.key)).toEqual(["a", "ab", "b", "b/1", "c"]);
        expect(await t.clear()).toBe(5);
        expect(await t.count()).toBe(0);
        expect(await t.clear()).toBe(0);
      });
    });

    describe("UTF-8 byte order", () => {
      // In UTF-16 (JS string order) astral characters (surrogate pairs, D800..DFFF) sort before
      // U+E000..U+FFFF; in UTF-8 (S3/DynamoDB order) they sort after.
      const keys = ["\u{1F600}", "\uFFFF", "\uE000", "\uFB01", "\u{10FFFF}", "z", "é", "", "A", "a\u0000", "a", "\u{10000}", "\u007F", "\u0080"];

      it("orders keys by their UTF-8 bytes, not by UTF-16 code units", async () => {
        const t = store.table(A, "u");
        for (const k of keys) await t.put(k, k);
        const expected = utf8Sort(keys);
        expect(expected).not.toEqual([...keys].sort()); // the test would prove nothing otherwise
        expect((await t.list()).map((e) => e.key)).toEqual(expected);
        expect((await t.list({ reverse: true })).map((e) => e.key)).toEqual([...expected].reverse());
      });

      it("applies bounds and prefixes in UTF-8 order", async () => {
        const t = store.table(A, "u");
        for (const k of ["p\uE000", "p\uFFFF", "p\u{1F600}", "p\u{1F600}x", "p\u{10FFFF}", "p\u{10FFFF}\u{10FFFF}", "q"]) await t.put(k, 0);
        const list = async (o: object) => (await t.list(o)).map((e) => e.key);
        expect(await list({ after: "p\uFFFF" })).toEqual(["p\u{1F600}", "p\u{1F600}x", "p\u{10FFFF}", "p\u{10FFFF}\u{10FFFF}", "q"]);
        expect(await list({ before: "p\u{1F600}" })).toEqual(["p\uE000", "p\uFFFF"]);
        expect(await list({ prefix: "p\uFFFF" })).toEqual(["p\uFFFF"]);
        expect(await list({ prefix: "p\u{1F600}" })).toEqual(["p\u{1F600}", "p\u{1F600}x"]);
        expect(await list({ prefix: "p\u{10FFFF}" })).toEqual(["p\u{10FFFF}", "p\u{10FFFF}\u{10FFFF}"]);
        expect(await t.count({ prefix: "p" })).toBe(6);
      });
    });

    describe("scopes", () => {
      it("isolates accounts, regions, services and tables", async () => {
        const scopes: [Scope, string][] = [
          [A, "t"],
          [{ ...A, account: "222222222222" }, "t"],
          [{ ...A, region: "eu-west-1" }, "t"],
          [{ ...A, service: "sqs" }, "t"],
          [A, "t2"],
          [A, "t/"],
          [{ ...A, region: "aws-global", service: "iam" }, "t"],
        ];
        for (const [i, [scope, table]] of scopes.entries()) {
          const t = store.table(scope, table);
          await t.put("shared", i);
          await t.put(`own${i}`, i);
        }
        for (const [i, [scope, table]] of scopes.entries()) {
          const t = store.table(scope, table);
          expect(await t.get("shared")).toBe(i);
          expect(await t.list()).toEqual([
            { key: `own${i}`, value: i },
            { key: "shared", value: i },
          ]);
          expect(await t.count()).toBe(2);
        }
        expect(await store.table(A, "t").clear()).toBe(2);
        expect(await store.table(A, "t2").count()).toBe(2);
        expect(await store.table({ ...A, account: "222222222222" }, "t").delete("shared")).toBe(true);
        expect(await store.table({ ...A, region: "eu-west-1" }, "t").get("shared")).toBe(1 + 1);
      });

      it("lists the scopes of a service that hold keys in a table", async () => {
        await store.table({ ...A, account: "333333333333", service: "logs" }, "groups").put("g", 1);
        await store.table({ ...A, region: "eu-west-1", service: "logs" }, "groups").put("g", 1);
        await store.table({ ...A, service: "logs" }, "other").put("g", 1);
        expect(await store.scopes("logs", "groups")).toEqual([
          { account: "333333333333", region: A.region, service: "logs" },
          { account: A.account, region: "eu-west-1", service: "logs" },
        ].sort((x, y) => (x.account + x.region < y.account + y.region ? -1 : 1)));
        expect(await store.scopes("logs", "none")).toEqual([]);
      });
    });

    describe("transactions", () => {
      it("commits every write and returns fn's result", async () => {
        const result = await store.transaction(async (tx) => {
          const t = tx.table<number>(A, "t");
          await t.put("a", 1);
          await t.put("b", 2);
          expect(await t.get("a")).toBe(1); // reads its own writes
          expect(await t.insert("a", 9)).toBe(false);
          expect((await t.list()).map((e) => e.key)).toEqual(["a", "b"]);
          expect(await t.count()).toBe(2);
          return "done";
        });
        expect(result).toBe("done");
        expect(await store.table(A, "t").list()).toEqual([
          { key: "a", value: 1 },
          { key: "b", value: 2 },
        ]);
      });

      it("rolls everything back when fn throws", async () => {
        const t = store.table(A, "t");
        await t.put("keep", "original");
        await t.put("doomed", "original");
        const boom = new Error("boom");
        await expect(
          store.transaction(async (tx) => {
            const x = tx.table(A, "t");
            await x.put("keep", "changed");
            await x.delete("doomed");
            await x.put("new", 1);
            await tx.table({ ...A, service: "sqs" }, "q").put("other", 1);
            await x.clear({ prefix: "k" });
            await sleep(5);
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(await t.list()).toEqual([
          { key: "doomed", value: "original" },
          { key: "keep", value: "original" },
        ]);
        expect(await store.table({ ...A, service: "sqs" }, "q").count()).toBe(0);
      });

      it("keeps uncommitted writes invisible to reads outside the transaction", async () => {
        const t = store.table(A, "t");
        await t.put("k", "before");
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let inside!: () => void;
        const started = new Promise<void>((r) => (inside = r));
        const tx = store.transaction(async (h) => {
          await h.table(A, "t").put("k", "during");
          inside();
          await gate;
        });
        await started;
        try {
          expect(await t.get("k")).toBe("before");
          expect(await t.list()).toEqual([{ key: "k", value: "before" }]);
        } finally {
          release(); // a failed expectation must not leave the transaction (and close) hanging
        }
        await tx;
        expect(await t.get("k")).toBe("during");
      });

      it("makes outside writes wait for a running transaction without joining it", async () => {
        const t = store.table(A, "t");
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let inside!: () => void;
        const started = new Promise<void>((r) => (inside = r));
        const tx = store.transaction(async (h) => {
          await h.table(A, "t").put("tx", 1);
          inside();
          await gate;
          throw new Error("roll back");
        });
        await started;
        const outside = t.put("outside", 2);
        try {
          expect(await stateOf(outside)).toBe("pending");
        } finally {
          release();
        }
        await expect(tx).rejects.toThrow("roll back");
        await outside;
        expect(await t.list()).toEqual([{ key: "outside", value: 2 }]);
      });

      it("serialises concurrent transactions", async () => {
        const t = store.table<number>(A, "t");
        await t.put("counter", 0);
        let active = 0;
        let maxActive = 0;
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.transaction(async (tx) => {
              active++;
              maxActive = Math.max(maxActive, active);
              const c = tx.table<number>(A, "t");
              const n = (await c.get("counter"))!;
              await sleep(i % 3); // yield mid-transaction: others must not interleave
              await c.put("counter", n + 1);
              active--;
            }),
          ),
        );
        expect(maxActive).toBe(1);
        expect(await t.get("counter")).toBe(20);
      });

      it("fails fast instead of deadlocking when fn uses the store or nests a transaction", async () => {
        await expect(store.transaction(async () => store.table(A, "t").put("k", 1))).rejects.toThrow();
        await expect(store.transaction(async () => store.transaction(async () => 1))).rejects.toThrow();
        expect(await store.table(A, "t").count()).toBe(0);
        // The store still works afterwards.
        await store.transaction(async (tx) => tx.table(A, "t").put("k", 1));
        expect(await store.table(A, "t").get("k")).toBe(1);
      });

      it("refuses a transaction handle used after the transaction ended", async () => {
        let leaked: ReturnType<Parameters<Parameters<MetadataStore["transaction"]>[0]>[0]["table"]> | undefined;
        await store.transaction(async (tx) => {
          leaked = tx.table(A, "t");
        });
        await expect(leaked!.put("late", 1)).rejects.toThrow();
        expect(await store.table(A, "t").get("late")).toBeUndefined();
      });

      it("handles large transactions", async () => {
        await store.transaction(async (tx) => {
          const t = tx.table(A, "big");
          for (let i = 0; i < 5000; i++) await t.put(`k${String(i).padStart(5, "0")}`, { i });
        });
        const t = store.table(A, "big");
        expect(await t.count()).toBe(5000);
        expect(await t.list({ after: "k04997" })).toEqual([
          { key: "k04998", value: { i: 4998 } },
          { key: "k04999", value: { i: 4999 } },
        ]);
      });
    });

    it("stores big values", async () => {
      const t = store.table(A, "t");
      const big = { text: "x".repeat(5 * 1024 * 1024) + "é😀", list: Array.from({ length: 50_000 }, (_, i) => i) };
      await t.put("big", big);
      expect(await t.get("big")).toEqual(big);
      expect((await t.list())[0]!.value).toEqual(big);
    });

    describe("write generations", () => {
      it("move on a service's committed writes (plain and in transactions) and on reset, not on reads or other services' writes", async () => {
        const iam = { ...A, service: "iam" };
        const g0 = store.writeGeneration("iam");
        const s0 = store.writeGeneration("s3");
        await store.table(A, "t").put("a", 1);
        expect(store.writeGeneration("iam")).toBe(g0);
        expect(store.writeGeneration("s3")).not.toBe(s0);
        await store.table(iam, "users").get("x");
        await store.table(iam, "users").list();
        expect(store.writeGeneration("iam")).toBe(g0);
        await store.table(iam, "users").put("u", { n: 1 });
        const g1 = store.writeGeneration("iam");
        expect(g1).not.toBe(g0);
        await store.transaction(async (tx) => {
          await tx.table(iam, "users").delete("u");
        });
        const g2 = store.writeGeneration("iam");
        expect(g2).not.toBe(g1);
        await store.table(iam, "users").clear();
        const g3 = store.writeGeneration("iam");
        expect(g3).not.toBe(g2);
        await store.reset();
        expect(store.writeGeneration("iam")).not.toBe(g3);
        expect(store.writeGeneration("never-written")).toBe(store.writeGeneration("never-written"));
      });

      it("have moved by the time a write's promise resolves, and a read overlapping a commit sees a different one", async () => {
        const iam = { ...A, service: "iam" };
        const t = store.table<number>(iam, "t");
        const before = store.writeGeneration("iam");
        const write = t.put("k", 1);
        // The write is queued, not committed: the generation has not moved and reads see nothing.
        expect(store.writeGeneration("iam")).toBe(before);
        expect(await t.get("k")).toBeUndefined();
        await write;
        expect(store.writeGeneration("iam")).not.toBe(before);
        expect(await t.get("k")).toBe(1);
      });
    });

    it("reset wipes every scope", async () => {
      await store.table(A, "t").put("a", 1);
      await store.table({ ...A, account: "222222222222", service: "iam" }, "u").put("b", 2);
      await store.reset();
      expect(await store.table(A, "t").count()).toBe(0);
      expect(await store.table({ ...A, account: "222222222222", service: "iam" }, "u").count()).toBe(0);
      await store.table(A, "t").put("after", 3);
      expect(await store.table(A, "t").get("after")).toBe(3);
    });

    it("persists across close and reopen", async () => {
      await store.table(A, "t").put("a", { v: 1 });
      await store.transaction(async (tx) => tx.table(A, "t").put("b", { v: 2 }));
      await fixture.close(store);
      open = false;
      store = await fixture.open();
      open = true;
      expect(await store.table(A, "t").list()).toEqual([
        { key: "a", value: { v: 1 } },
        { key: "b", value: { v: 2 } },
      ]);
    });

    it("lets close wait for queued writes, then refuses work", async () => {
      const t = store.table(A, "t");
      const writes = Array.from({ length: 50 }, (_, i) => t.put(`k${i}`, i));
      await fixture.close(store);
      open = false;
      await Promise.all(writes);
      await expect(t.get("k1")).rejects.toThrow();
      await expect(t.put("k", 1)).rejects.toThrow();
      store = await fixture.open();
      open = true;
      expect(await store.table(A, "t").count()).toBe(50);
    });
  });
}

export function describeBlobStore(name: string, makeFixture: () => Promise<BackendFixture<BlobStore>>): void {
  describe(`BlobStore: ${name}`, () => {
    let fixture: BackendFixture<BlobStore>;
    let blobs: BlobStore;
    let open = false;

    beforeEach(async () => {
      fixture = await makeFixture();
      blobs = await fixture.open();
      open = true;
    });
    afterEach(async () => {
      if (open) await fixture.close(blobs);
      await fixture.dispose();
    });

    const checkLeftovers = async (expected: number) => {
      if (fixture.physicalObjectCount) expect(await fixture.physicalObjectCount()).toBe(expected);
    };

    it("stores Buffers, Uint8Arrays, strings and streams with size and digests", async () => {
      const data = randomBytes(100_000);
      const sources: [Readable | Buffer | Uint8Array | string, Buffer][] = [
        [data, data],
        [new Uint8Array(data.buffer, data.byteOffset + 10, 1000), data.subarray(10, 1010)],
        ["héllo wörld 😀", Buffer.from("héllo wörld 😀", "utf8")],
        [Readable.from([data.subarray(0, 7), data.subarray(7, 50_000), data.subarray(50_000)]), data],
        [Readable.from(["text ", "chunks ✓"]), Buffer.from("text chunks ✓", "utf8")],
      ];
      for (const [source, expected] of sources) {
        const info = await blobs.put(source);
        expect(info).toEqual({ id: info.id, size: expected.length, md5: hex("md5", expected), sha256: hex("sha256", expected) });
        expect(await readAll(blobs.get(info.id))).toEqual(expected);
        expect(await blobs.size(info.id)).toBe(expected.length);
      }
    });

    it("stores the empty blob", async () => {
      const info = await blobs.put(Buffer.alloc(0));
      expect(info.size).toBe(0);
      expect(info.md5).toBe("d41d8cd98f00b204e9800998ecf8427e");
      expect(info.sha256).toBe(hex("sha256", ""));
      expect((await readAll(blobs.get(info.id))).length).toBe(0);
      expect(await blobs.size(info.id)).toBe(0);
    });

    it("streams big blobs arriving in uneven chunks", async () => {
      const data = randomBytes(12 * 1024 * 1024 + 7);
      const source = new PassThrough();
      const put = blobs.put(source);
      for (let off = 0; off < data.length; ) {
        const n = 1 + ((off * 7919) % 100_000);
        if (!source.write(data.subarray(off, off + n))) await new Promise((r) => source.once("drain", r));
        off += n;
      }
      source.end();
      const info = await put;
      expect(info.size).toBe(data.length);
      expect(info.sha256).toBe(hex("sha256", data));
      expect(info.md5).toBe(hex("md5", data));
      expect(hex("sha256", await readAll(blobs.get(info.id)))).toBe(info.sha256);
    });

    it("reads inclusive byte ranges", async () => {
      const data = Buffer.from("0123456789");
      const { id } = await blobs.put(data);
      const range = async (start: number, end: number) => (await readAll(blobs.get(id, { start, end }))).toString();
      expect(await range(0, 0)).toBe("0");
      expect(await range(2, 5)).toBe("2345");
      expect(await range(9, 9)).toBe("9");
      expect(await range(0, 9)).toBe("0123456789");
      expect(await range(7, 1000)).toBe("789"); // an end past the blob stops at its end
      expect(() => blobs.get(id, { start: 5, end: 4 })).toThrow(RangeError);
      expect(() => blobs.get(id, { start: -1, end: 4 })).toThrow(RangeError);
      expect(() => blobs.get(id, { start: 0.5, end: 4 })).toThrow(RangeError);
    });

    it("signals ready once a blob is open, before its data, for small and big blobs", async () => {
      for (const data of [Buffer.from("tiny"), Buffer.alloc(0), randomBytes(200_000)]) {
        const { id } = await blobs.put(data);
        const stream = blobs.get(id);
        await new Promise<void>((resolve, reject) => {
          stream.once("ready", () => resolve());
          stream.once("error", reject);
        });
        expect(await readAll(stream)).toEqual(data);
      }
    });

    it("deletes, and treats unknown ids as absent", async () => {
      const { id } = await blobs.put("bye");
      await blobs.delete(id);
      expect(await blobs.size(id)).toBeUndefined();
      await expect(readAll(blobs.get(id))).rejects.toMatchObject({ code: "ENOENT" });
      await blobs.delete(id); // deleting again is fine
      for (const bogus of ["", "nope", "../../etc/passwd", "/etc/passwd", `${id}/..`, "0".repeat(32)]) {
        expect(await blobs.size(bogus)).toBeUndefined();
        await expect(readAll(blobs.get(bogus))).rejects.toMatchObject({ code: "ENOENT" });
        await blobs.delete(bogus);
      }
    });

    it("issues distinct random ids, even for identical content", async () => {
      const infos = await Promise.all(Array.from({ length: 40 }, () => blobs.put("same")));
      const ids = new Set(infos.map((i) => i.id));
      expect(ids.size).toBe(40);
      for (const info of infos) {
        expect(info.id).toMatch(/^s?[0-9a-f]{32}$/);
        expect((await readAll(blobs.get(info.id))).toString()).toBe("same");
      }
      await checkLeftovers(40);
    });

    it("stores concurrent puts independently", async () => {
      const datas = Array.from({ length: 16 }, (_, i) => randomBytes(1000 * (i + 1)));
      const infos = await Promise.all(datas.map((d, i) => blobs.put(i % 2 ? d : Readable.from([d]))));
      for (const [i, info] of infos.entries()) expect(await readAll(blobs.get(info.id))).toEqual(datas[i]);
    });

    it("rejects and leaves nothing when the source fails", async () => {
      const { id: kept } = await blobs.put("kept");
      // A source that errors after sending data.
      const failing = new PassThrough();
      const p1 = blobs.put(failing);
      failing.write(randomBytes(200_000));
      setTimeout(() => failing.destroy(new Error("client went away")), 10);
      await expect(p1).rejects.toThrow("client went away");
      // A source destroyed without an error (an aborted request).
      const aborted = new PassThrough();
      const p2 = blobs.put(aborted);
      aborted.write("partial");
      setTimeout(() => aborted.destroy(), 10);
      await expect(p2).rejects.toThrow();
      // A source that yields something that is not bytes.
      await expect(blobs.put(Readable.from([Buffer.from("ok"), 42]))).rejects.toThrow(TypeError);
      await checkLeftovers(1);
      expect((await readAll(blobs.get(kept))).toString()).toBe("kept");
    });

    it("reset wipes every blob and keeps working", async () => {
      const a = await blobs.put("a");
      const b = await blobs.put("b");
      await blobs.reset();
      expect(await blobs.size(a.id)).toBeUndefined();
      expect(await blobs.size(b.id)).toBeUndefined();
      await checkLeftovers(0);
      const c = await blobs.put("c");
      expect((await readAll(blobs.get(c.id))).toString()).toBe("c");
    });

    it("persists across close and reopen", async () => {
      const info = await blobs.put("durable");
      await fixture.close(blobs);
      open = false;
      blobs = await fixture.open();
      open = true;
      expect((await readAll(blobs.get(info.id))).toString()).toBe("durable");
      expect(await blobs.size(info.id)).toBe(7);
    });
  });
}
