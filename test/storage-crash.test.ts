/**
 * Durability of the default storage under kill -9: a child process (fixtures/crash-writer.ts)
 * writes metadata and blobs and acknowledges each iteration on stdout once its promises resolved;
 * the parent SIGKILLs it mid-flight, reopens the data directory and checks that everything
 * acknowledged is there and intact, that transactions are all-or-nothing, and that no blob on disk
 * is half-written. Several rounds accumulate in one directory, so recovery is also re-crashed.
 *
 * kill -9 loses the process but not the OS page cache, so this proves the write protocol (ack only
 * after commit / rename), not fsync against power loss; that part rests on synchronous=FULL and
 * the explicit fsyncs of the blob store.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStorage } from "../src/storage/index.js";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const WRITER = join(ROOT, "test", "fixtures", "crash-writer.ts");
// Mirrors crash-writer.ts.
const CRASH_SCOPE = { account: "000000000000", region: "us-east-1", service: "crash" };
const BURST = 5;
const record = (round: string, n: number) => `${round}/rec/${String(n).padStart(6, "0")}`;

/** Acks written at full speed before the writer slows down and gets killed. */
const ACKS_BEFORE_KILL = 200;
/**
 * Where each round's kill lands in iteration ACKS_BEFORE_KILL: after the writer announces `phase`
 * for it, wait `delayMs`. "blob" + delay hits the middle of a 2 MiB blob streaming in over ~60 ms,
 * "meta" the metadata writes that follow it, "ack" the start of the next iteration.
 */
const KILLS: { phase: "blob" | "meta" | "ack"; delayMs: number }[] = [
  { phase: "blob", delayMs: 5 },
  { phase: "blob", delayMs: 30 },
  { phase: "meta", delayMs: 0 },
  { phase: "ack", delayMs: 0 },
];

interface RunResult {
  lastAck: number;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the writer until the kill point of `plan`, then SIGKILLs it. */
function runWriter(dataDir: string, round: string, plan: (typeof KILLS)[number]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WRITER, dataDir, round, String(ACKS_BEFORE_KILL)], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let lastAck = -1;
    let buffered = "";
    let stderr = "";
    let killed = false;
    const kill = () => {
      if (!killed) {
        killed = true;
        child.kill("SIGKILL");
      }
    };
    const hardStop = setTimeout(kill, 30_000); // never leave a writer running, even on a slow disk
    const trigger = `${plan.phase} ${plan.phase === "ack" ? ACKS_BEFORE_KILL - 1 : ACKS_BEFORE_KILL}`;
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => (stderr += d));
    child.stdout.on("data", (d: string) => {
      buffered += d;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        const m = /^ack (\d+)$/.exec(line);
        if (m) {
          const n = Number(m[1]);
          if (n !== lastAck + 1) reject(new Error(`acks out of order: ${n} after ${lastAck}`));
          lastAck = n;
        }
        if (line === trigger) setTimeout(kill, plan.delayMs);
      }
    });
    child.on("error", reject);
    child.on("exit", (_code, signal) => {
      clearTimeout(hardStop);
      resolve({ lastAck, signal, stderr });
    });
  });
}

/** Self-verifying blob content: payload followed by SHA-256(payload). */
function selfConsistent(content: Buffer): boolean {
  if (content.length < 32) return false;
  const payload = content.subarray(0, content.length - 32);
  return createHash("sha256").update(payload).digest().equals(content.subarray(content.length - 32));
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe("storage survives kill -9", () => {
  let dataDir: string;
  const acked = new Map<string, number>();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "nimbus-crash-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  for (const [r, plan] of KILLS.entries()) {
    const round = `round${r}`;
    it(`keeps every acknowledged write (${round}: kill ${plan.delayMs} ms after "${plan.phase}")`, async () => {
      const run = await runWriter(dataDir, round, plan);
      expect(run.stderr).not.toMatch(/crash-writer failed/);
      expect(run.signal, run.stderr).toBe("SIGKILL"); // killed by us, not died on its own
      expect(run.lastAck + 1).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL - 1);
      acked.set(round, run.lastAck);

      const storage = await openStorage({ dataDir });
      try {
        const table = storage.metadata.table(CRASH_SCOPE, "t");
        for (const [rnd, lastAck] of acked) {
          // Everything acknowledged is present and intact.
          for (let n = 0; n <= lastAck; n++) {
            const rec = (await table.get(record(rnd, n))) as { n: number; blob: string; size: number; sha256: string } | undefined;
            expect(rec, `${record(rnd, n)} lost`).toBeDefined();
            expect(rec!.n).toBe(n);
            const content = await readStream(storage.blobs.get(rec!.blob));
            expect(content.length).toBe(rec!.size);
            expect(createHash("sha256").update(content).digest("hex")).toBe(rec!.sha256);
            expect(await table.count({ prefix: `${rnd}/burst/${n}/` })).toBe(BURST);
            expect(await table.get(`${rnd}/pairA/${n}`)).toBe(n);
            expect(await table.get(`${rnd}/pairB/${n}`)).toBe(n);
          }
          // Writes in flight at the kill may or may not have landed, but never half of a
          // transaction, and never a record whose blob is missing.
          const pairsA = (await table.list({ prefix: `${rnd}/pairA/` })).map((e) => e.value);
          const pairsB = (await table.list({ prefix: `${rnd}/pairB/` })).map((e) => e.value);
          expect(pairsA).toEqual(pairsB);
          for (const { value } of await table.list({ prefix: `${rnd}/rec/`, after: record(rnd, lastAck) })) {
            const rec = value as { blob: string; size: number };
            expect(await storage.blobs.size(rec.blob)).toBe(rec.size);
          }
        }

        // No half-written blob is visible: every blob file on disk verifies itself, and the
        // interrupted put's temporary file was discarded on open.
        const blobDir = join(dataDir, "blobs");
        expect(await readdir(join(blobDir, "tmp"))).toEqual([]);
        let files = 0;
        for (const shard of await readdir(blobDir)) {
          if (shard === "tmp") continue;
          for (const name of await readdir(join(blobDir, shard))) {
            files++;
            expect(selfConsistent(await readFile(join(blobDir, shard, name))), `${shard}/${name} is corrupt`).toBe(true);
          }
        }
        // Small blobs are rows of small-blobs.sqlite (tiered-blob-store.ts).
        const small = new Database(join(dataDir, "small-blobs.sqlite"), { readonly: true });
        const rows = small.prepare("SELECT count(*) FROM blobs").pluck().get() as number;
        small.close();
        const totalAcked = [...acked.values()].reduce((sum, last) => sum + last + 1, 0);
        expect(files + rows).toBeGreaterThanOrEqual(totalAcked);
      } finally {
        await storage.close();
      }
    });
  }
});
