/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that
 * crosses its threshold: it copies the WAL's pages into the database file and, with
 * synchronous=NORMAL, fsyncs it, all on the thread that committed (here, the event loop, which
 * then moves no request). A store that turns `wal_autocheckpoint` off gives its database to a
 * `Checkpointer`: a worker thread with its own connection that runs PASSIVE checkpoints (they
 * never block readers or the writer) when asked, at most one at a time. In a PutMetricData
 * benchmark this took throughput from about 460 to about 600 calls/s.
 *
 * The worker is started from source text (`eval`) so it runs the same way from `dist/` and from
 * the TypeScript sources under test, and only once a checkpoint is first needed (a worker costs
 * start-up time and memory an idle Nimbus need not pay).
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
parentPort.on("message", (m) => {
  if (m === "close") {
    db.close();
    parentPort.postMessage("closed");
    return;
  }
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
    parentPort.postMessage("done");
  } catch (e) {
    parentPort.postMessage("failed: " + String(e && e.message || e));
  }
});
`;

const driver = createRequire(import.meta.url).resolve("better-sqlite3");

/** How many commits may pass before a checkpoint is asked for. */
const COMMITS_PER_CHECKPOINT = 200;
/** And how long (ms), whatever the count. */
const CHECKPOINT_INTERVAL_MS = 1000;

export class Checkpointer {
  private worker: Worker | undefined;
  private busy = false;
  private commits = 0;
  private readonly timer: NodeJS.Timeout;
  private closing: Promise<void> | undefined;

  /**
   * `onCheckpointed` runs on this thread after each checkpoint: the owner re-sets its
   * connections' memory maps there, since a connection does not grow its map when another
   * connection (the worker) extends the file, and reads past the old end then go through read()
   * calls (a 4 KiB row: 45–75 µs instead of 15–22 in a micro-benchmark).
   */
  constructor(
    private readonly path: string,
    private readonly onError: (message: string) => void = () => undefined,
    private readonly onCheckpointed: () => void = () => undefined,
  ) {
    this.timer = setInterval(() => {
      if (this.commits > 0) this.request();
    }, CHECKPOINT_INTERVAL_MS);
    this.timer.unref();
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path: this.path } });
    worker.unref();
    worker.on("message", (m: string) => {
      this.busy = false;
      if (m.startsWith("failed: ")) this.onError(m.slice(8));
      else if (m === "done" && !this.closing) {
        try {
          this.onCheckpointed();
        } catch (e) {
          this.onError(String(e));
        }
      }
    });
    worker.on("error", (e) => this.onError(String(e)));
    return worker;
  }

  /** Count a commit; asks for a checkpoint every COMMITS_PER_CHECKPOINT commits. */
  committed(): void {
    if (++this.commits >= COMMITS_PER_CHECKPOINT) this.request();
  }

  /** Ask for a checkpoint now unless one is running (the next request covers what it misses). */
  request(): void {
    if (this.busy || this.closing) return;
    this.busy = true;
    this.commits = 0;
    (this.worker ??= this.start()).postMessage("checkpoint");
  }

  /** Close the worker's connection and stop it (before the store closes its own). */
  close(): Promise<void> {
    clearInterval(this.timer);
    const worker = this.worker;
    this.closing ??= !worker
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          worker.on("message", (m: string) => {
            if (m === "closed") void worker.terminate().finally(resolve);
          });
          worker.once("exit", () => resolve());
          worker.postMessage("close");
        });
    return this.closing;
  }
}

/** Make a connection map the file as it is now (it grew under the worker's checkpoint). */
export function remap(db: Database.Database, bytes: number): void {
  db.pragma("mmap_size = 0");
  db.pragma(`mmap_size = ${bytes}`);
}
