/**
 * Runs the shared storage contract (storage.common.ts) against the default backends, plus the
 * few checks that only make sense for them: on-disk layout, pragmas, schema version, tmp cleanup.
 */
import { mkdtemp, readdir, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { FileBlobStore } from "../src/storage/file-blob-store.js";
import { TieredBlobStore } from "../src/storage/tiered-blob-store.js";
import { spawn } from "node:child_process";
import { openStorage, DataDirInUseError } from "../src/storage/index.js";
import { SCHEMA_VERSION, SqliteMetadataStore, type Durability } from "../src/storage/sqlite-metadata-store.js";
import type { BlobStore, MetadataStore } from "../src/storage/types.js";
import { describeBlobStore, describeMetadataStore, type BackendFixture } from "./storage.common.js";

const tempDir = () => mkdtemp(join(tmpdir(), "nimbus-storage-"));

/** Every file under `dir`, recursively (empty directories do not count). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
}

function sqliteFixture(durability: Durability) {
  return async (): Promise<BackendFixture<MetadataStore>> => {
    const dir = await tempDir();
    return {
      open: async () => new SqliteMetadataStore(join(dir, "metadata.sqlite"), { durability }),
      close: (store) => store.close(),
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  };
}

function fileBlobFixture(durability: Durability) {
  return async (): Promise<BackendFixture<BlobStore>> => {
    const dir = await tempDir();
    return {
      open: () => FileBlobStore.open(dir, { durability }),
      close: (store) => (store as FileBlobStore).close(),
      dispose: () => rm(dir, { recursive: true, force: true }),
      physicalObjectCount: async () => (await filesUnder(dir)).length,
    };
  };
}

function tieredBlobFixture(durability: Durability, inlineLimit?: number) {
  return async (): Promise<BackendFixture<BlobStore>> => {
    const dir = await tempDir();
    const sqlitePath = join(dir, "small-blobs.sqlite");
    return {
      open: () => TieredBlobStore.open(join(dir, "blobs"), { durability, sqlitePath, ...(inlineLimit !== undefined ? { inlineLimit } : {}) }),
      close: (store) => (store as TieredBlobStore).close(),
      dispose: () => rm(dir, { recursive: true, force: true }),
      physicalObjectCount: async () => {
        const db = new Database(sqlitePath, { readonly: true });
        try {
          const rows = db.prepare("SELECT count(*) FROM blobs").pluck().get() as number;
          return rows + (await filesUnder(join(dir, "blobs"))).length;
        } finally {
          db.close();
        }
      },
    };
  };
}

describeMetadataStore("SQLite (durability full)", sqliteFixture("full"));
describeMetadataStore("SQLite (durability normal)", sqliteFixture("normal"));
describeBlobStore("files (durability full)", fileBlobFixture("full"));
describeBlobStore("files (durability normal)", fileBlobFixture("normal"));
describeBlobStore("tiered: rows and files (durability full)", tieredBlobFixture("full"));
describeBlobStore("tiered: rows and files (durability normal)", tieredBlobFixture("normal"));
describeBlobStore("tiered: every blob a row above 1 KiB is a file", tieredBlobFixture("full", 1024));

describe("SQLite metadata store specifics", () => {
  it("uses WAL, the requested synchronous level and records the schema version", async () => {
    const dir = await tempDir();
    try {
      // synchronous=NORMAL for both: with "full" the store fsyncs the WAL itself, off the event loop.
      for (const [durability, level] of [["full", 1], ["normal", 1]] as const) {
        const path = join(dir, `${durability}.sqlite`);
        const store = new SqliteMetadataStore(path, { durability });
        const db = (store as unknown as { writer: Database.Database }).writer;
        expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
        expect(db.pragma("synchronous", { simple: true })).toBe(level);
        expect(db.pragma("busy_timeout", { simple: true })).toBe(5000);
        await store.close();
        const raw = new Database(path, { readonly: true });
        expect(raw.prepare("SELECT version FROM schema_version").pluck().get()).toBe(SCHEMA_VERSION);
        raw.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a database written by a newer schema", async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "m.sqlite");
      await new SqliteMetadataStore(path).close();
      const raw = new Database(path);
      raw.prepare("UPDATE schema_version SET version = ?").run(SCHEMA_VERSION + 1);
      raw.close();
      expect(() => new SqliteMetadataStore(path)).toThrow(/newer/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rejects an unknown durability", () => {
    expect(() => new SqliteMetadataStore("/nonexistent/x.sqlite", { durability: "fast" as Durability })).toThrow(TypeError);
  });
});

describe("SQLite metadata store group commit", () => {
  const A = { account: "111111111111", region: "us-east-1", service: "test" };

  /** A store whose COMMITs are counted (the statement is wrapped, nothing else changes). */
  async function counted(): Promise<{ store: SqliteMetadataStore; commits: () => number; done: () => Promise<void> }> {
    const dir = await tempDir();
    const store = new SqliteMetadataStore(join(dir, "m.sqlite"));
    const commit = (store as unknown as { w: { commit: { run: () => unknown } } }).w.commit;
    const run = commit.run.bind(commit);
    let n = 0;
    commit.run = () => {
      n++;
      return run();
    };
    return {
      store,
      commits: () => n,
      done: async () => {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }

  it("runs concurrent transactions and plain writes under one COMMIT, with each one's own result", async () => {
    const { store, commits, done } = await counted();
    try {
      const t = store.table<number>(A, "t");
      const before = commits();
      const results = await Promise.all([
        ...Array.from({ length: 10 }, (_, i) =>
          store.transaction(async (tx) => {
            await tx.table<number>(A, "t").put(`k${i}`, i);
            return i * 10;
          }),
        ),
        t.put("plain", 99).then(() => "plain"),
      ]);
      expect(results).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, "plain"]);
      expect(commits() - before).toBe(1);
      expect(await t.count()).toBe(11);
      expect(await t.get("k7")).toBe(7);
      expect(await t.get("plain")).toBe(99);
    } finally {
      await done();
    }
  });

  it("rolls back only the transaction that fails, before, between or after others of its batch", async () => {
    const { store, commits, done } = await counted();
    try {
      const t = store.table<number>(A, "t");
      await t.put("counter", 0);
      const before = commits();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 9 }, (_, i) =>
          store.transaction(async (tx) => {
            const c = tx.table<number>(A, "t");
            const n = (await c.get("counter"))!;
            await c.put("counter", n + 1);
            await c.put(`by${i}`, n);
            if (i % 4 === 0) throw new Error(`fail ${i}`);
            return n;
          }),
        ),
      );
      expect(commits() - before).toBe(1);
      expect(outcomes.map((o) => o.status)).toEqual(["rejected", "fulfilled", "fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled", "rejected"]);
      expect((outcomes[4] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
      expect(((outcomes[4] as PromiseRejectedResult).reason as Error).message).toBe("fail 4");
      // Each successful one saw the writes of those committed before it, none of a failed one's.
      expect(outcomes.filter((o) => o.status === "fulfilled").map((o) => (o as PromiseFulfilledResult<number>).value)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(await t.get("counter")).toBe(6);
      for (const i of [0, 4, 8]) expect(await t.get(`by${i}`)).toBeUndefined();
      expect(await t.get("by7")).toBe(5);
    } finally {
      await done();
    }
  });

  it("keeps a batch invisible to readers until its COMMIT and settles nothing before it", async () => {
    const { store, done } = await counted();
    let release: () => void = () => {};
    try {
      const t = store.table<string>(A, "t");
      const gate = new Promise<void>((r) => (release = r));
      let seenInside: string | undefined = "unset";
      const first = store.transaction(async (tx) => {
        await tx.table<string>(A, "t").put("a", "first");
        return "first";
      });
      const second = store.transaction(async (tx) => {
        seenInside = await tx.table<string>(A, "t").get("a");
        await gate;
        return "second";
      });
      let firstSettled = false;
      void first.then(() => (firstSettled = true));
      // Wait until the second runs: the first has run, but its COMMIT is the batch's.
      while (seenInside === "unset") await new Promise((r) => setImmediate(r));
      expect(seenInside).toBe("first");
      expect(firstSettled).toBe(false);
      expect(await t.get("a")).toBeUndefined();
      release();
      expect(await Promise.all([first, second])).toEqual(["first", "second"]);
      expect(await t.get("a")).toBe("first");
    } finally {
      release();
      await done();
    }
  });

  it("rejects every transaction of the batch when the COMMIT fails, and retries plain writes alone", async () => {
    const { store, done } = await counted();
    try {
      const t = store.table<number>(A, "t");
      const commit = (store as unknown as { w: { commit: { run: () => unknown } } }).w.commit;
      const run = commit.run;
      let failNext = true;
      commit.run = () => {
        if (failNext) {
          failNext = false;
          throw new Error("disk gone");
        }
        return run();
      };
      const outcomes = await Promise.allSettled([
        store.transaction(async (tx) => tx.table<number>(A, "t").put("x", 1)),
        t.put("plain", 2),
        store.transaction(async (tx) => tx.table<number>(A, "t").put("y", 3)),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(["rejected", "fulfilled", "rejected"]);
      expect(((outcomes[0] as PromiseRejectedResult).reason as Error).message).toBe("disk gone");
      expect(await t.list()).toEqual([{ key: "plain", value: 2 }]);
      // The store goes on working.
      await store.transaction(async (tx) => tx.table<number>(A, "t").put("z", 4));
      expect(await t.get("z")).toBe(4);
    } finally {
      await done();
    }
  });

  it("runs a write or transaction issued the moment an earlier one settles", async () => {
    const { store, done } = await counted();
    try {
      const t = store.table<number>(A, "t");
      // Each step is queued from the continuation of the previous one, while the writer may
      // still be finishing the batch that settled it.
      for (let i = 0; i < 5; i++) {
        await t.put(`p${i}`, i);
        expect(await store.transaction(async (tx) => tx.table<number>(A, "t").put(`t${i}`, i).then(() => i))).toBe(i);
        await t.clear({ prefix: "p" });
        await store.transaction(async () => undefined);
      }
      expect((await t.list()).map((e) => e.key)).toEqual(["t0", "t1", "t2", "t3", "t4"]);
    } finally {
      await done();
    }
  });

  it("still refuses nested use while other transactions of the batch succeed", async () => {
    const { store, done } = await counted();
    try {
      const outcomes = await Promise.allSettled([
        store.transaction(async (tx) => tx.table(A, "t").put("a", 1)),
        store.transaction(async (tx) => {
          await tx.table(A, "t").put("nested", 1);
          return store.transaction(async () => 1);
        }),
        store.transaction(async () => store.table(A, "t").put("b", 1)),
        store.transaction(async (tx) => tx.table(A, "t").put("c", 1)),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
      expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/nested transactions are not supported/);
      expect((await store.table(A, "t").list()).map((e) => e.key)).toEqual(["a", "c"]);
    } finally {
      await done();
    }
  });
});

describe("file blob store specifics", () => {
  it("shards blobs by id prefix and removes leftover temporary files on open", async () => {
    const dir = await tempDir();
    try {
      const first = await FileBlobStore.open(dir);
      const info = await first.put("x");
      await first.close();
      expect(await filesUnder(dir)).toEqual([join(dir, info.id.slice(0, 2), info.id)]);
      // A crash in the middle of a put leaves a temporary file behind.
      await mkdir(join(dir, "tmp"), { recursive: true });
      await writeFile(join(dir, "tmp", "0123456789abcdef0123456789abcdef"), "half a blob");
      const second = await FileBlobStore.open(dir);
      expect(await filesUnder(dir)).toEqual([join(dir, info.id.slice(0, 2), info.id)]);
      await second.close();
      await expect(second.put("late")).rejects.toThrow(/closed/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it("destroys a stream source when the temporary file cannot even be created", async () => {
    const dir = await tempDir();
    try {
      const store = await FileBlobStore.open(dir);
      await rm(join(dir, "tmp"), { recursive: true }); // as if reset() ran concurrently
      const source = new PassThrough();
      source.write("body");
      await expect(store.put(source)).rejects.toMatchObject({ code: "ENOENT" });
      expect(source.destroyed).toBe(true);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("page sizes and the small-blob table", () => {
  it("makes new files with 8 KiB pages (metadata and small blobs: a rowid table), and keeps a small-blob file made before as it is", async () => {
    const dir = await tempDir();
    try {
      const meta = new SqliteMetadataStore(join(dir, "metadata.sqlite"));
      await meta.close();
      const fresh = await TieredBlobStore.open(join(dir, "blobs"), { sqlitePath: join(dir, "new.sqlite") });
      const a = await fresh.put(Buffer.alloc(4096, 1));
      await fresh.close();
      const inspect = (file: string) => {
        const db = new Database(join(dir, file), { readonly: true });
        try {
          return { page: db.pragma("page_size", { simple: true }), sql: db.prepare("SELECT sql FROM sqlite_master WHERE name = 'blobs'").pluck().get() as string | undefined };
        } finally {
          db.close();
        }
      };
      expect(inspect("metadata.sqlite").page).toBe(8192);
      expect(inspect("new.sqlite")).toEqual({ page: 8192, sql: "CREATE TABLE blobs (id TEXT PRIMARY KEY, data BLOB NOT NULL)" });

      // A file from before: WITHOUT ROWID, 4 KiB pages, one row already in it.
      const old = new Database(join(dir, "old.sqlite"));
      old.pragma("journal_mode = WAL");
      old.exec("CREATE TABLE blobs (id TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID");
      const oldId = "s" + "0123456789abcdef".repeat(2);
      old.prepare("INSERT INTO blobs (id, data) VALUES (?, ?)").run(oldId, Buffer.from("from before"));
      old.close();
      const reopened = await TieredBlobStore.open(join(dir, "blobs"), { sqlitePath: join(dir, "old.sqlite") });
      const b = await reopened.put(Buffer.alloc(5000, 2));
      const read = async (id: string) => {
        const chunks: Buffer[] = [];
        for await (const c of reopened.get(id)) chunks.push(c as Buffer);
        return Buffer.concat(chunks);
      };
      expect((await read(oldId)).toString()).toBe("from before");
      expect((await read(b.id)).equals(Buffer.alloc(5000, 2))).toBe(true);
      await reopened.close();
      expect(inspect("old.sqlite")).toEqual({ page: 4096, sql: "CREATE TABLE blobs (id TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID" });
      expect(a.size).toBe(4096);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("openStorage", () => {
  it("creates metadata.sqlite and blobs/ under the data directory and closes both", async () => {
    const root = await tempDir();
    const dataDir = join(root, "nested", "data");
    try {
      const storage = await openStorage({ dataDir });
      const blob = await storage.blobs.put("hello");
      await storage.metadata.table({ account: "1", region: "r", service: "s" }, "t").put("k", { blob: blob.id });
      await storage.close();
      await storage.close(); // idempotent
      expect((await readdir(dataDir)).sort()).toEqual(expect.arrayContaining(["blobs", "metadata.sqlite"]));

      const again = await openStorage({ dataDir, durability: "normal" });
      const v = (await again.metadata.table({ account: "1", region: "r", service: "s" }, "t").get("k")) as { blob: string };
      expect(await again.blobs.size(v.blob)).toBe(5);
      await again.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("refuses a second open of the same data directory until the first is closed", async () => {
    const dataDir = await tempDir();
    try {
      const first = await openStorage({ dataDir });
      const refused = await openStorage({ dataDir }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(DataDirInUseError);
      expect((refused as Error).message).toContain(`pid ${process.pid}`);
      await first.close();
      const second = await openStorage({ dataDir });
      await second.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses a data directory another Nimbus process holds, and takes it once that process is killed", async () => {
    const dataDir = await tempDir();
    const child = spawn(process.execPath, [join(process.cwd(), "bin", "nimbus.js"), "start", "--port", "0", "--data-dir", dataDir, "--log-level", "warn"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("listening on")) resolve();
        });
        child.once("exit", (code) => reject(new Error(`nimbus exited with ${code}`)));
      });
      const refused = await openStorage({ dataDir }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(DataDirInUseError);
      expect((refused as Error).message).toContain(`pid ${child.pid}`);

      // A second server on the command line says why in one line and exits 1.
      const second = spawn(process.execPath, [join(process.cwd(), "bin", "nimbus.js"), "start", "--port", "0", "--data-dir", dataDir], { stdio: ["ignore", "pipe", "pipe"] });
      let err = "";
      second.stderr!.on("data", (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((r) => second.once("exit", r));
      expect(code).toBe(1);
      expect(err).toMatch(/^nimbus: The data directory .* is in use by another Nimbus \(pid \d+/);
      expect(err).not.toContain("    at ");

      // kill -9 leaves no stale lock: the OS drops it with the process.
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
      const storage = await openStorage({ dataDir });
      await storage.close();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
