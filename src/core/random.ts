/**
 * Random bytes for identifiers made on every request (receipt handles, x-amz-id-2, stream event
 * ids): taken from a pool filled 8 KiB at a time, since each `randomBytes` call of a few bytes
 * costs a trip into the crypto library. Not for keys or secrets: use node:crypto for those.
 */
import { randomFillSync } from "node:crypto";

const POOL_BYTES = 8192;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

/** `n` (at most 8,192) fresh random bytes as a string in `encoding`. */
export function randomString(n: number, encoding: "hex" | "base64" | "base64url"): string {
  if (n > POOL_BYTES) throw new RangeError("randomString: at most 8192 bytes");
  if (offset + n > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const s = pool.toString(encoding, offset, offset + n);
  offset += n;
  return s;
}
