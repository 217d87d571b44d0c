/**
 * Item size and capacity units, as AWS computes them.
 *
 * An item's size is the sum over its attributes of the name's UTF-8 length plus the value's
 * size: strings by UTF-8 bytes, binaries by raw bytes (not base64), numbers by their
 * significant digits (see `DynamoNumber.byteSize`), BOOL and NULL one byte, and lists and maps
 * three bytes of overhead plus one byte per element on top of their elements (map elements also
 * count their names). Sets are the sum of their members. The 400 KB limit is inclusive:
 * 409,600 bytes is accepted, 409,601 refused.
 *
 * Capacity: one read unit covers 4 KB read strongly consistently (half a unit eventually
 * consistently), one write unit covers 1 KB; transactional reads and writes cost double. Sizes
 * round up to the next unit and every request is charged at least one unit's worth.
 */
import type { AttributeMap, AttributeValue } from "./attribute-value.js";
import { validationError } from "./errors.js";
import { numberByteSize } from "./number.js";

export const MAX_ITEM_SIZE = 400 * 1024;
export const READ_UNIT_BYTES = 4 * 1024;
export const WRITE_UNIT_BYTES = 1024;

const utf8 = (s: string): number => Buffer.byteLength(s, "utf8");

/** Bytes one value contributes (without the name it is stored under). */
export function attributeValueSize(value: AttributeValue): number {
  if ("S" in value) return utf8(value.S);
  if ("N" in value) return numberByteSize(value.N);
  if ("B" in value) return value.B.length;
  if ("BOOL" in value || "NULL" in value) return 1;
  if ("SS" in value) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if ("NS" in value) return value.NS.reduce((sum, n) => sum + numberByteSize(n), 0);
  if ("BS" in value) return value.BS.reduce((sum, b) => sum + b.length, 0);
  if ("L" in value) return value.L.reduce((sum, v) => sum + attributeValueSize(v) + 1, 3);
  return Object.entries(value.M).reduce((sum, [name, v]) => sum + utf8(name) + attributeValueSize(v) + 1, 3);
}

/** Bytes of a whole item: every top-level attribute's name plus its value. */
export function itemSize(item: AttributeMap | undefined): number {
  if (!item) return 0;
  let total = 0;
  for (const [name, value] of Object.entries(item)) total += utf8(name) + attributeValueSize(value);
  return total;
}

export const ITEM_SIZE_EXCEEDED = "Item size has exceeded the maximum allowed size";
/** UpdateItem's wording for the same limit. */
export const UPDATE_ITEM_SIZE_EXCEEDED = "Item size to update has exceeded the maximum allowed size";

/** Throws AWS's ValidationException when an item is over 400 KB. */
export function checkItemSize(item: AttributeMap, forUpdate = false): number {
  const size = itemSize(item);
  if (size > MAX_ITEM_SIZE) throw validationError(forUpdate ? UPDATE_ITEM_SIZE_EXCEEDED : ITEM_SIZE_EXCEEDED);
  return size;
}

export interface ReadCapacityOptions {
  /** Strongly consistent reads cost a full unit per 4 KB; eventually consistent, half. */
  consistent?: boolean;
  /** TransactGetItems: two units per 4 KB, whatever the consistency. */
  transactional?: boolean;
}

/**
 * Read units for `bytes` read in one request (for Query and Scan, the sum of every item
 * examined, not per item). At least one 4 KB block is charged, even for nothing.
 */
export function readCapacityUnits(bytes: number, options: ReadCapacityOptions = {}): number {
  const blocks = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  if (options.transactional) return blocks * 2;
  return options.consistent ? blocks : blocks / 2;
}

/** Read units for a GetItem-style read of individual items, charged item by item. */
export function readCapacityUnitsForItems(sizes: readonly number[], options: ReadCapacityOptions = {}): number {
  return sizes.reduce((sum, size) => sum + readCapacityUnits(size, options), 0);
}

export interface WriteCapacityOptions {
  /** TransactWriteItems: two units per 1 KB. */
  transactional?: boolean;
}

/**
 * Write units for writing an item of `bytes`. For an update or a replacing put, pass the larger
 * of the item's size before and after: AWS charges the bigger of the two.
 */
export function writeCapacityUnits(bytes: number, options: WriteCapacityOptions = {}): number {
  const blocks = Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
  return options.transactional ? blocks * 2 : blocks;
}

/** Write units for replacing `before` (absent for a new item) with `after` (absent for a delete). */
export function writeCapacityUnitsForChange(
  before: AttributeMap | undefined,
  after: AttributeMap | undefined,
  options: WriteCapacityOptions = {},
): number {
  return writeCapacityUnits(Math.max(itemSize(before), itemSize(after)), options);
}
