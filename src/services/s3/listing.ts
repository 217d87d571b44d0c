/**
 * ListObjects (v1), ListObjectsV2 and ListObjectVersions over the ordered tables of
 * objects-store.ts. A page is read with range scans in batches; with a delimiter, once a common
 * prefix is found the scan seeks past every key under it (to the prefix's successor) instead of
 * reading them, so a page costs about one batch however many keys the prefixes hide.
 *
 * Versions are a merge join of the current-version table and the history table, which hold the
 * keys in the same order (history rows are `esc(key) "\0\0" sortId`).
 */
import type { Entry, Table } from "../../storage/types.js";
import { ServiceError } from "../../core/errors.js";
import { S3ObjectErrors } from "./errors-objects.js";
import { escapeKey, keyOfVersionRow, type ObjectVersion, type Tables, versionPrefix, versionRow } from "./objects-store.js";

/** The smallest string greater than every string that starts with `s` (undefined: none). */
export function successor(s: string): string | undefined {
  const cps = Array.from(s);
  while (cps.length > 0) {
    const last = cps.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      cps.push(String.fromCodePoint(next));
      return cps.join("");
    }
  }
  return undefined;
}

/** Compare two strings in UTF-8 byte order (JS compares UTF-16 code units, which differs). */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort above U+E000..U+FFFF in UTF-8.
    x = x >= 0xe000 ? x - 0x800 : x >= 0xd800 ? x + 0x2000 : x;
    y = y >= 0xe000 ? y - 0x800 : y >= 0xd800 ? y + 0x2000 : y;
    return x - y;
  }
  return a.length - b.length;
}

type Lower = { after: string } | { from: string } | Record<string, never>;

/**
 * A forward cursor over one table's range, read in batches, that can seek past a prefix. After a
 * seek the next read is a single row (the next group often starts another common prefix, whose
 * other rows would be read for nothing); batches then double back up while rows are consumed.
 */
class Cursor<V> {
  private buf: Entry<V>[] = [];
  private i = 0;
  private exhausted = false;
  private batch: number;

  constructor(
    private readonly table: Table<V>,
    private readonly prefix: string,
    private lower: Lower,
    private readonly maxBatch: number,
  ) {
    this.batch = maxBatch;
  }

  async peek(): Promise<Entry<V> | undefined> {
    if (this.i < this.buf.length) return this.buf[this.i];
    if (this.exhausted) return undefined;
    const limit = this.batch;
    const rows = await this.table.list({ ...(this.prefix ? { prefix: this.prefix } : {}), ...this.lower, limit });
    this.batch = Math.min(this.maxBatch, limit * 2);
    this.buf = rows;
    this.i = 0;
    if (rows.length < limit) this.exhausted = true;
    if (rows.length > 0) this.lower = { after: rows[rows.length - 1]!.key };
    return rows[0];
  }

  next(): void {
    this.i++;
  }

  /** Skip every entry whose key starts with `p` (all of them are contiguous). */
  skipPrefix(p: string): void {
    while (this.i < this.buf.length && this.buf[this.i]!.key.startsWith(p)) this.i++;
    if (this.i < this.buf.length || this.exhausted) return;
    const succ = successor(p);
    if (succ === undefined) this.exhausted = true;
    else {
      this.lower = { from: succ };
      this.batch = 1;
    }
  }
}

const batchFor = (maxKeys: number) => Math.min(Math.max(maxKeys + 1, 16), 1001);

/** The common prefix a key rolls up into, if any. */
function commonPrefixOf(key: string, prefix: string, delimiter: string | undefined): string | undefined {
  if (!delimiter) return undefined;
  const idx = key.indexOf(delimiter, prefix.length);
  return idx < 0 ? undefined : key.slice(0, idx + delimiter.length);
}

export interface CurrentPage {
  contents: Entry<ObjectVersion>[];
  prefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned (for NextMarker). */
  last?: string;
  /** Inclusive lower bound of the next page (for the continuation token). */
  nextFrom?: string;
}

/**
 * One page of current (non-delete-marker) objects in key order. Start after `after` (v1 marker,
 * v2 start-after: common prefixes at or before it are not repeated) or at `from` (a
 * continuation token).
 */
export async function listCurrent(
  t: Tables,
  opts: { prefix: string; delimiter?: string | undefined; after?: string | undefined; from?: string | undefined; maxKeys: number },
): Promise<CurrentPage> {
  const page: CurrentPage = { contents: [], prefixes: [], truncated: false };
  if (opts.maxKeys <= 0) return page;
  const lower: Lower = opts.from !== undefined ? { from: opts.from } : opts.after !== undefined ? { after: opts.after } : {};
  const cursor = new Cursor(t.cur, opts.prefix, lower, batchFor(opts.maxKeys));
  const marker = opts.from === undefined ? opts.after : undefined;
  let count = 0;
  for (let e = await cursor.peek(); e; e = await cursor.peek()) {
    if (e.value.deleteMarker) {
      cursor.next();
      continue;
    }
    const cp = commonPrefixOf(e.key, opts.prefix, opts.delimiter);
    if (cp !== undefined && marker !== undefined && marker.startsWith(cp)) {
      cursor.skipPrefix(cp);
      continue;
    }
    if (count === opts.maxKeys) {
      page.truncated = true;
      break;
    }
    count++;
    if (cp !== undefined) {
      page.prefixes.push(cp);
      page.last = cp;
      cursor.skipPrefix(cp);
    } else {
      page.contents.push(e);
      page.last = e.key;
      cursor.next();
    }
  }
  if (page.truncated && page.last !== undefined) {
    const isPrefix = page.prefixes.length > 0 && page.prefixes[page.prefixes.length - 1] === page.last;
    const next = isPrefix ? successor(page.last) : `${page.last}\u0000`;
    if (next === undefined) page.truncated = false;
    else page.nextFrom = next;
  }
  return page;
}

export interface VersionItem {
  key: string;
  version: ObjectVersion;
  latest: boolean;
}

export interface VersionsPage {
  items: VersionItem[];
  prefixes: string[];
  truncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

/** One page of every version (objects and delete markers), keys in order, newest first. */
export async function listVersions(
  t: Tables,
  opts: {
    prefix: string;
    delimiter?: string | undefined;
    keyMarker?: string | undefined;
    versionIdMarker?: string | undefined;
    maxKeys: number;
  },
): Promise<VersionsPage> {
  const page: VersionsPage = { items: [], prefixes: [], truncated: false };
  if (opts.maxKeys <= 0) return page;
  const batch = batchFor(opts.maxKeys);
  const { keyMarker, versionIdMarker } = opts;
  let count = 0;
  let lastKind: "item" | "prefix" | undefined;
  /** Emit, or report that the page is full (and so truncated). */
  const full = () => {
    if (count === opts.maxKeys) {
      page.truncated = true;
      return true;
    }
    count++;
    return false;
  };

  // Resuming inside a key's history (key-marker + version-id-marker).
  let curLower: Lower = keyMarker !== undefined ? { after: keyMarker } : {};
  let oldLower: Lower = keyMarker !== undefined ? { from: `${escapeKey(keyMarker)}\u0000\u0001` } : {};
  if (keyMarker !== undefined && versionIdMarker !== undefined) {
    const cur = await t.cur.get(keyMarker);
    if (cur && cur.versionId === versionIdMarker) {
      oldLower = { from: versionPrefix(keyMarker) };
    } else {
      const sortId = versionIdMarker === "null" ? await t.nul.get(keyMarker) : versionIdMarker;
      if (sortId !== undefined) oldLower = { after: versionRow(keyMarker, sortId) };
    }
    curLower = { after: keyMarker };
  }

  const escPrefix = escapeKey(opts.prefix);
  const curs = new Cursor(t.cur, opts.prefix, curLower, batch);
  const olds = new Cursor(t.old, escPrefix, oldLower, batch);

  /** Emit the remaining non-current versions of `key` from the history cursor. */
  const drainHistory = async (key: string): Promise<boolean> => {
    for (let r = await olds.peek(); r; r = await olds.peek()) {
      const rk = keyOfVersionRow(r.key);
      const c = compareUtf8(rk, key);
      if (c < 0) {
        olds.next(); // history without a current version (cannot happen; never let it stall the scan)
        continue;
      }
      if (c > 0) break;
      if (full()) return false;
      page.items.push({ key, version: r.value, latest: false });
      lastKind = "item";
      olds.next();
    }
    return true;
  };

  // The rest of the marker key's history comes first.
  if (keyMarker !== undefined && versionIdMarker !== undefined && keyMarker.startsWith(opts.prefix)) {
    if (commonPrefixOf(keyMarker, opts.prefix, opts.delimiter) === undefined) {
      if (!(await drainHistory(keyMarker))) return finishVersions(page, lastKind);
    }
  }

  for (let e = await curs.peek(); e; e = await curs.peek()) {
    const cp = commonPrefixOf(e.key, opts.prefix, opts.delimiter);
    if (cp !== undefined) {
      if (keyMarker !== undefined && keyMarker.startsWith(cp)) {
        curs.skipPrefix(cp);
        olds.skipPrefix(escapeKey(cp));
        continue;
      }
      if (full()) break;
      page.prefixes.push(cp);
      lastKind = "prefix";
      page.nextKeyMarker = cp;
      curs.skipPrefix(cp);
      olds.skipPrefix(escapeKey(cp));
      continue;
    }
    if (full()) break;
    page.items.push({ key: e.key, version: e.value, latest: true });
    lastKind = "item";
    curs.next();
    if (!(await drainHistory(e.key))) break;
  }
  return finishVersions(page, lastKind);
}

function finishVersions(page: VersionsPage, lastKind: "item" | "prefix" | undefined): VersionsPage {
  if (!page.truncated) {
    delete page.nextKeyMarker;
    return page;
  }
  if (lastKind === "item") {
    const last = page.items[page.items.length - 1]!;
    page.nextKeyMarker = last.key;
    page.nextVersionIdMarker = last.version.versionId;
  }
  return page;
}

/**
 * encoding-type=url, as S3 applies it: UTF-8 percent-encoding with a space as `+` and `/` left
 * alone (clients decode with unquote_plus).
 */
export function s3UrlEncode(s: string): string {
  return encodeURIComponent(s)
    .replace(/%2F/g, "/")
    .replace(/%20/g, "+")
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Continuation tokens are opaque to clients: a version tag and the next page's lower bound. */
export function encodeContinuation(from: string): string {
  return `1${Buffer.from(from, "utf8").toString("base64url")}`;
}

export function decodeContinuation(token: string): string {
  if (!token.startsWith("1") || !/^[A-Za-z0-9_-]+$/.test(token.slice(1))) {
    throw new ServiceError(S3ObjectErrors.InvalidArgument, "The continuation token provided is incorrect", {
      ArgumentName: "continuation-token",
      ArgumentValue: token,
    });
  }
  const bytes = Buffer.from(token.slice(1), "base64url");
  const from = bytes.toString("utf8");
  if (!Buffer.from(from, "utf8").equals(bytes)) {
    throw new ServiceError(S3ObjectErrors.InvalidArgument, "The continuation token provided is incorrect", {
      ArgumentName: "continuation-token",
      ArgumentValue: token,
    });
  }
  return from;
}
