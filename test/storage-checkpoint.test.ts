/**
 * WAL checkpoints run on a worker thread (src/storage/checkpointer.ts), not inside the event
 * loop's COMMITs: the writer's automatic checkpoint is off, yet written pages reach the database
 * file while the store stays open, and everything is there after a reopen.
 */
import { describe, expect, it } from "vitest";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { SqliteMetadataStore } from "../src/storage/sqlite-metadata-store.js";
import { TieredBlobStore } from "../src/storage/tiered-blob-store.js";

const scope = { account: "000000000000", region: "us-east-1", service: "test" };

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("checkpoints off the event loop", () => {
  it("moves the metadata WAL into the database file while the store is open", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nimbus-ckpt-"));
    const path = join(dir, "metadata.sqlite");
    try {
      const store = new SqliteMetadataStore(path, { durability: "full" });
      const writer = (store as unknown as { writer: Database.Database }).writer;
      expect(writer.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
      const table = store.table<{ pad: string }>(scope, "rows");
      const before = (await stat(path)).size;
      for (let b = 0; b < 20; b++) {
        await Promise.all(Array.from({ length: 100 }, (_, i) => table.put(`k${b}-${i}`, { pad: "x".repeat(500) })));
      }
      // 2,000 rows of 500 bytes: about a megabyte that only a checkpoint copies into the file.
      await waitFor(async () => (await stat(path)).size > before + 500_000, "a checkpoint");
      await store.close();
      const again = new SqliteMetadataStore(path, { durability: "full" });
      expect(await again.table(scope, "rows").count()).toBe(2000);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("moves the small-blob WAL into its database file too", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nimbus-ckpt-blobs-"));
    const sqlitePath = join(dir, "small-blobs.sqlite");
    try {
      const blobs = await TieredBlobStore.open(join(dir, "blobs"), { sqlitePath, durability: "full" });
      const before = (await stat(sqlitePath)).size;
      const ids: string[] = [];
      for (let b = 0; b < 10; b++) {
        const put = await Promise.all(Array.from({ length: 50 }, () => blobs.put(Buffer.alloc(4096, b))));
        ids.push(...put.map((x) => x.id));
      }
      await waitFor(async () => (await stat(sqlitePath)).size > before + 1_000_000, "a checkpoint");
      await blobs.close();
      const again = await TieredBlobStore.open(join(dir, "blobs"), { sqlitePath, durability: "full" });
      expect(again.readRow(ids[ids.length - 1]!)!.equals(Buffer.alloc(4096, 9))).toBe(true);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
