/**
 * Sortable string encodings of DynamoDB key values, so that the metadata store's key order
 * (UTF-8 bytes) is DynamoDB's key order and a Query is one index range scan.
 *
 * Every encoded value is self-terminating (no encoding is a prefix of another), so a partition
 * key, a sort key and (in index entries) the table's key can be concatenated and still compare
 * component by component:
 *
 *   S  the string with U+0000 escaped as U+0000 U+0001, then U+0000 U+0000. UTF-8 order of the
 *      result is UTF-8 order of the original ("a" < "a\0" < "ab").
 *   B  lowercase hex of the bytes (hex digits sort as their nibbles), then ".", which sorts before
 *      every hex digit, so a shorter prefix sorts first, as bytewise comparison wants.
 *   N  a sign class ("1" negative, "2" zero, "3" positive), the adjusted exponent offset by 200
 *      in three digits (inverted for negatives), then the significant digits (nines' complement
 *      for negatives) and a terminator: "." after positive digits (sorts before any digit, so
 *      1.5 < 1.55) and "~" after negative ones (sorts after any digit, so -1.55 < -1.5).
 *
 * `unterminated` forms (S and B only) are the prefixes begins_with scans.
 */
import type { AttributeValue } from "./attribute-value.js";
import { DynamoNumber } from "./number.js";

const EXPONENT_OFFSET = 200;

function encodeNumber(text: string): string {
  const n = DynamoNumber.parseUnchecked(text);
  if (n.isZero()) return "2.";
  const digits = (n.coefficient < 0n ? -n.coefficient : n.coefficient).toString();
  const exp = n.adjustedExponent + EXPONENT_OFFSET;
  if (n.sign > 0) return "3" + String(exp).padStart(3, "0") + digits + ".";
  let complement = "";
  for (let i = 0; i < digits.length; i++) complement += String(9 - (digits.charCodeAt(i) - 48));
  return "1" + String(999 - exp).padStart(3, "0") + complement + "~";
}

const escapeString = (s: string): string => (s.includes("\u0000") ? s.replace(/\u0000/g, "\u0000\u0001") : s);

/** The terminated, order-preserving encoding of one key value (S, N or B). */
export function encodeKeyValue(value: AttributeValue): string {
  if ("S" in value) return escapeString(value.S) + "\u0000\u0000";
  if ("N" in value) return encodeNumber(value.N);
  if ("B" in value) return Buffer.from(value.B).toString("hex") + ".";
  throw new TypeError("key values are S, N or B");
}

/** The prefix every encoding of a value starting with `value` shares (begins_with; S and B). */
export function encodeKeyPrefix(value: AttributeValue): string {
  if ("S" in value) return escapeString(value.S);
  if ("B" in value) return Buffer.from(value.B).toString("hex");
  throw new TypeError("begins_with takes S or B");
}

/**
 * The smallest string greater than every string that starts with `s`. Only used on encodings,
 * whose last character is always ASCII (a terminator or a hex digit), so incrementing it is safe.
 */
export function successor(s: string): string {
  if (s === "") return "\u0001";
  const last = s.charCodeAt(s.length - 1);
  if (last >= 0xd800 && last <= 0xdfff) throw new TypeError("successor of a surrogate");
  return s.slice(0, -1) + String.fromCharCode(last + 1);
}
