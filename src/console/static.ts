/**
 * The console's built files (Vite's output in dist/console-ui): hashed assets are cached for a
 * year, every other path is the single-page app's index.html. Files are read once and kept in
 * memory with their gzip form (the whole app is a few hundred KB).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { IncomingMessage, ServerResponse } from "node:http";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

/** Content Security Policy: the app loads only its own files and talks only to this endpoint. */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/**
 * dist/console-ui next to the compiled server, or (running from src under tsx) the repo's dist;
 * env NIMBUS_CONSOLE_DIR points elsewhere (console development).
 */
export function consoleRoot(): string | undefined {
  const override = process.env.NIMBUS_CONSOLE_DIR;
  if (override) return existsSync(join(override, "index.html")) ? override : undefined;
  const here = fileURLToPath(new URL(".", import.meta.url));
  for (const candidate of [join(here, "..", "console-ui"), join(here, "..", "..", "dist", "console-ui")]) {
    if (existsSync(join(candidate, "index.html"))) return candidate;
  }
  return undefined;
}

interface Cached {
  body: Buffer;
  gzip: Buffer;
  type: string;
}

export class StaticFiles {
  private readonly cache = new Map<string, Promise<Cached | undefined>>();
  constructor(private readonly root: string | undefined) {}

  private load(rel: string): Promise<Cached | undefined> {
    let p = this.cache.get(rel);
    if (!p) {
      p = (async () => {
        if (!this.root) return undefined;
        const file = normalize(join(this.root, rel));
        if (!file.startsWith(this.root)) return undefined;
        try {
          const body = await readFile(file);
          return { body, gzip: gzipSync(body, { level: 9 }), type: TYPES[extname(file)] ?? "application/octet-stream" };
        } catch {
          return undefined;
        }
      })();
      this.cache.set(rel, p);
    }
    return p;
  }

  /** Serve `rel` (a path under /_nimbus/console/); false when there is no such file. */
  async serve(req: IncomingMessage, res: ServerResponse, rel: string): Promise<boolean> {
    const isAsset = rel.startsWith("assets/");
    const file = await this.load(isAsset || /\.[a-z0-9]+$/i.test(rel) ? rel : "index.html");
    if (!file) {
      if (isAsset) return false;
      if (!this.root) {
        const text = "The Nimbus console is not built. Run `npm run build` (npm install does it).";
        res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
        res.end(text);
        return true;
      }
      return false;
    }
    const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const body = gzip ? file.gzip : file.body;
    res.writeHead(200, {
      "content-type": file.type,
      "content-length": body.length,
      "cache-control": isAsset ? "public, max-age=31536000, immutable" : "no-cache",
      "x-content-type-options": "nosniff",
      "content-security-policy": CSP,
      "referrer-policy": "same-origin",
      vary: "accept-encoding",
      ...(gzip ? { "content-encoding": "gzip" } : {}),
    });
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  }
}
