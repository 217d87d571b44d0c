/**
 * One Nimbus per data directory. Two servers on one directory would each trust caches the other
 * makes stale (table descriptions, bucket state, policies) and could delete blobs the other still
 * refers to, so the second one must not start. The lock is SQLite's own: `<dataDir>/nimbus.lock`
 * is a small database held in an open EXCLUSIVE transaction for as long as the storage is open.
 * SQLite refuses a second EXCLUSIVE lock from another process (an OS file lock) and from another
 * connection of the same process (its own bookkeeping), and the OS drops the lock when the holder
 * dies, kill -9 included, so a crash never leaves a stale lock behind. `nimbus.lock.json` beside
 * it says who holds the lock, for the error message only.
 */
import Database from "better-sqlite3";
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

export const LOCK_FILE = "nimbus.lock";
const HOLDER_FILE = "nimbus.lock.json";

/** The data directory is held by another Nimbus (another process, or another one in this process). */
export class DataDirInUseError extends Error {
  readonly code = "NIMBUS_DATA_DIR_IN_USE";
  constructor(dataDir: string, holder: string) {
    super(
      `The data directory ${dataDir} is in use by another Nimbus${holder}. ` +
        `Stop it first, or give this one its own directory (--data-dir, NIMBUS_DATA_DIR, or --ephemeral).`,
    );
    this.name = "DataDirInUseError";
  }
}

export interface DataDirLock {
  /** Releases the lock (idempotent). */
  release(): void;
}

function describeHolder(dataDir: string): string {
  try {
    const h = JSON.parse(readFileSync(join(dataDir, HOLDER_FILE), "utf8")) as { pid?: number; host?: string; since?: string };
    const parts = [h.pid !== undefined ? `pid ${h.pid}` : "", h.host ? `on ${h.host}` : "", h.since ? `since ${h.since}` : ""].filter(Boolean);
    return parts.length ? ` (${parts.join(" ")})` : "";
  } catch {
    return "";
  }
}

/** Takes the data directory's lock (the directory must exist); throws DataDirInUseError when held. */
export function lockDataDir(dataDir: string): DataDirLock {
  const db = new Database(join(dataDir, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === "SQLITE_BUSY") throw new DataDirInUseError(dataDir, describeHolder(dataDir));
    throw err;
  }
  try {
    writeFileSync(join(dataDir, HOLDER_FILE), JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }) + "\n");
  } catch {
    // Only the error message of a refused second server reads it.
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      try {
        rmSync(join(dataDir, HOLDER_FILE), { force: true });
      } catch {
        // A leftover holder file is harmless: the lock itself is gone with the connection.
      }
      try {
        db.exec("ROLLBACK");
      } finally {
        db.close();
      }
    },
  };
}
