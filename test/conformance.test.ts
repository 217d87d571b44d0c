/**
 * Wire-protocol conformance: every vector in ../shared/conformance/protocols, run through the
 * codec registered for its protocol (see test/conformance/runner.ts). Prints a table per
 * protocol and asserts that each protocol with a codec passes at least 95% of its cases.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type CaseResult, runConformance } from "./conformance/runner.js";
import { SKIPS, STRUCTURAL, UNROUTABLE } from "./conformance/skips.js";
import { loadVectorFiles } from "./conformance/vectors.js";

const THRESHOLD = 0.95;

interface Row {
  protocol: string;
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  notRun: number;
  fallbacks: number;
  structural: number;
}

function tabulate(results: CaseResult[]): Row[] {
  const rows = new Map<string, Row>();
  for (const r of results) {
    let row = rows.get(r.name);
    if (!row) {
      row = { protocol: r.name, total: 0, passed: 0, failed: 0, skipped: 0, notRun: 0, fallbacks: 0, structural: 0 };
      rows.set(r.name, row);
    }
    row.total += 1;
    if (r.status === "pass") row.passed += 1;
    if (r.status === "fail") row.failed += 1;
    if (r.status === "skip") row.skipped += 1;
    if (r.status === "notrun") row.notRun += 1;
    if (r.routing && r.routing !== "router") row.fallbacks += 1;
    if (r.checkedBy === "structural") row.structural += 1;
  }
  return [...rows.values()].sort((a, b) => a.protocol.localeCompare(b.protocol));
}

/** Pass rate over the cases that ran (skipped cases carry a written reason in skips.ts). */
function passRate(row: Row): number {
  const ran = row.total - row.skipped - row.notRun;
  return ran === 0 ? 1 : row.passed / ran;
}

function report(results: CaseResult[], rows: Row[]): string {
  const lines: string[] = ["", "Protocol conformance (input + output vectors)"];
  for (const row of rows) {
    const extra = [
      row.skipped ? `skipped ${row.skipped}` : "",
      row.notRun ? `not run ${row.notRun} (no codec)` : "",
      row.fallbacks ? `routing fallbacks ${row.fallbacks}` : "",
      row.structural ? `checked against vector bytes ${row.structural}` : "",
    ].filter(Boolean);
    lines.push(`  ${row.protocol.padEnd(42)} ${String(row.passed).padStart(3)}/${String(row.total).padEnd(3)} ${extra.join(", ")}`);
  }
  const failures = results.filter((r) => r.status === "fail");
  if (failures.length > 0) {
    lines.push("", "Failures:");
    for (const f of failures) lines.push(`  ${f.file} ${f.id} (${f.description.slice(0, 70)}): ${f.detail?.slice(0, 600)}`);
  }
  const skips = results.filter((r) => r.status === "skip");
  if (skips.length > 0) {
    lines.push("", "Skipped:");
    for (const s of skips) lines.push(`  ${s.file} ${s.id}: ${s.detail}`);
  }
  const fallbacks = results.filter((r) => r.routing && r.routing !== "router");
  if (fallbacks.length > 0) {
    lines.push("", "Routing fallbacks (the case's operation was used):");
    for (const f of fallbacks) {
      const why = f.routing === "unroutable" ? UNROUTABLE[f.file]?.[f.id]?.reason : "another operation has the same method and requestUri";
      lines.push(`  ${f.file} ${f.id}: ${why}`);
    }
  }
  return lines.join("\n");
}

describe("protocol conformance vectors", () => {
  let results: CaseResult[] = [];
  let rows: Row[] = [];

  beforeAll(async () => {
    results = await runConformance(loadVectorFiles());
    rows = tabulate(results);
    console.log(report(results, rows));
  });

  it("every skipped, structurally-checked or unroutable entry names a real case", () => {
    const ids = new Set(results.map((r) => `${r.file}#${r.id}`));
    for (const list of [SKIPS, STRUCTURAL, UNROUTABLE]) {
      for (const [file, entries] of Object.entries(list)) {
        for (const [id, entry] of Object.entries(entries)) {
          expect(ids.has(`${file}#${id}`), `${file}#${id}`).toBe(true);
          expect(entry.reason.length).toBeGreaterThan(20);
        }
      }
    }
  });

  it(`each protocol with a codec passes at least ${THRESHOLD * 100}% of its cases`, () => {
    const below = rows
      .filter((row) => row.notRun < row.total)
      .filter((row) => passRate(row) < THRESHOLD)
      .map((row) => `${row.protocol}: ${row.passed}/${row.total - row.skipped - row.notRun}`);
    expect(below).toEqual([]);
  });
});
