/**
 * Conditional requests on objects: If-Match / If-None-Match / If-Modified-Since /
 * If-Unmodified-Since on GET and HEAD (RFC 7232 with S3's precedence), the
 * x-amz-copy-source-if-* family on CopyObject, and conditional writes on PutObject.
 *
 * S3's precedence: an If-Match that holds makes If-Unmodified-Since irrelevant, and an
 * If-None-Match that holds makes If-Modified-Since irrelevant. Failures: If-Match and
 * If-Unmodified-Since -> 412; If-None-Match and If-Modified-Since -> 304 on reads, 412 on copies.
 * Times compare at whole seconds (HTTP dates carry no more), and an If-Modified-Since in the
 * future is ignored, as RFC 7232 says.
 */

export interface Validators {
  /** Quoted ETag, as stored. */
  etag: string;
  lastModified: Date;
}

export interface Conditions {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: Date | undefined;
  ifUnmodifiedSince?: Date | undefined;
}

export type ConditionOutcome = "ok" | "not-modified" | "precondition-failed";

const unquote = (s: string) => {
  let t = s.trim();
  if (t.startsWith("W/")) t = t.slice(2);
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) t = t.slice(1, -1);
  return t;
};

/** Whether an If-Match / If-None-Match header value matches an ETag (`*`, lists, quoted or not). */
export function etagMatches(header: string, etag: string): boolean {
  const want = unquote(etag);
  for (const item of header.split(",")) {
    const t = item.trim();
    if (t === "*") return true;
    if (t !== "" && unquote(t) === want) return true;
  }
  return false;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** The outcome, and the header that decided a failure (S3 names it in a 412's Condition). */
export interface ConditionResult {
  outcome: ConditionOutcome;
  condition?: string;
}

/** Evaluate read conditions. `now` decides whether an If-Modified-Since lies in the future. */
export function evaluateConditions(c: Conditions, v: Validators, now: Date): ConditionResult {
  const modified = seconds(v.lastModified);
  let ifMatchHeld = false;
  if (c.ifMatch !== undefined) {
    if (!etagMatches(c.ifMatch, v.etag)) return { outcome: "precondition-failed", condition: "If-Match" };
    ifMatchHeld = true;
  }
  if (!ifMatchHeld && c.ifUnmodifiedSince !== undefined && !Number.isNaN(c.ifUnmodifiedSince.getTime())) {
    if (modified > seconds(c.ifUnmodifiedSince)) return { outcome: "precondition-failed", condition: "If-Unmodified-Since" };
  }
  let ifNoneMatchHeld = false;
  if (c.ifNoneMatch !== undefined) {
    if (etagMatches(c.ifNoneMatch, v.etag)) return { outcome: "not-modified", condition: "If-None-Match" };
    ifNoneMatchHeld = true;
  }
  const ims = c.ifModifiedSince;
  if (!ifNoneMatchHeld && ims !== undefined && !Number.isNaN(ims.getTime()) && ims.getTime() <= now.getTime()) {
    if (modified <= seconds(ims)) return { outcome: "not-modified", condition: "If-Modified-Since" };
  }
  return { outcome: "ok" };
}
