/**
 * Loading the protocol conformance vectors from ../shared/conformance (never copied into the
 * project). Integers past 2^53 (e.g. a Long of 1234567890123456789) are read as bigints so
 * that they survive the round trip exactly.
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { OperationModel, ServiceMetadata, Shape } from "../../src/protocol/model.js";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const VECTORS_DIR = resolve(PROJECT_ROOT, "../shared/conformance/protocols");

export interface Suite {
  description?: string;
  metadata: ServiceMetadata;
  shapes: Record<string, Shape>;
  cases: Case[];
}

export interface Case {
  id: string;
  description?: string;
  given: OperationModel;
  // input cases
  params?: Record<string, unknown>;
  serialized?: {
    method: string;
    uri: string;
    headers?: Record<string, string>;
    body?: string;
    host?: string;
    requireHeaders?: string[];
    forbidHeaders?: string[];
  };
  // output cases
  result?: Record<string, unknown>;
  error?: Record<string, unknown>;
  errorCode?: string;
  errorMessage?: string;
  response?: { status_code: number; headers?: Record<string, string>; body?: string };
}

export interface VectorFile {
  /** e.g. "input/rest-json.json" */
  file: string;
  kind: "input" | "output";
  /** The file's name without extension, e.g. "json_1_0". */
  name: string;
  suites: Suite[];
}

const BIGINT_MARK = "\u0000bigint:";

/**
 * JSON.parse, except that integer literals outside the safe range become bigints. Such
 * literals are first turned into marked strings (a scan that skips string literals), then the
 * reviver converts them back.
 */
export function parseJsonExact(text: string): unknown {
  let out = "";
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      continue;
    }
    if ((c >= "0" && c <= "9") || c === "-") {
      let j = i + 1;
      while (j < text.length && /[0-9.eE+-]/.test(text[j]!)) j++;
      const literal = text.slice(i, j);
      if (/^-?\d{16,}$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
        out += text.slice(last, i) + JSON.stringify(BIGINT_MARK + literal);
        last = j;
      }
      i = j - 1;
    }
  }
  out += text.slice(last);
  return JSON.parse(out, (_k, v: unknown) =>
    typeof v === "string" && v.startsWith(BIGINT_MARK) ? BigInt(v.slice(BIGINT_MARK.length)) : v,
  );
}

export function loadVectorFiles(): VectorFile[] {
  const files: VectorFile[] = [];
  for (const kind of ["input", "output"] as const) {
    for (const entry of readdirSync(join(VECTORS_DIR, kind)).sort()) {
      if (!entry.endsWith(".json")) continue;
      const suites = parseJsonExact(readFileSync(join(VECTORS_DIR, kind, entry), "utf8")) as Suite[];
      files.push({ file: `${kind}/${entry}`, kind, name: entry.replace(/\.json$/, ""), suites });
    }
  }
  return files;
}
