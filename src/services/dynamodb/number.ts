/**
 * DynamoDB numbers: exact decimals of up to 38 significant digits whose magnitude lies between
 * 1E-130 and 9.9999999999999999999999999999999999999E+125 (or is zero).
 *
 * Implemented on BigInt rather than a decimal library: the arithmetic DynamoDB performs is only
 * exact addition and subtraction (UpdateExpression `+`/`-`, ADD) plus comparison, which a scaled
 * integer does exactly with no rounding modes to configure, and it keeps the emulator free of a
 * dependency for a few dozen lines of code.
 *
 * A value is held as `coefficient × 10^exponent` with the coefficient stripped of trailing
 * zeros, so every number has exactly one representation: equality is field equality and the
 * canonical string falls out directly. DynamoDB answers numbers in plain positional notation
 * with leading and trailing zeros removed ("1.50" → "1.5", "1e2" → "100", "-0" → "0"); it never
 * answers with an exponent, however large or small the value.
 */
import { validationError } from "./errors.js";

export const MAX_SIGNIFICANT_DIGITS = 38;
/** Power of ten of the most significant digit of the largest magnitude DynamoDB stores. */
export const MAX_ADJUSTED_EXPONENT = 125;
/** Power of ten of the smallest magnitude DynamoDB stores (1E-130). */
export const MIN_ADJUSTED_EXPONENT = -130;

export const NUMBER_OVERFLOW =
  "Number overflow. Attempting to store a number with magnitude larger than supported range";
export const NUMBER_UNDERFLOW =
  "Number underflow. Attempting to store a number with magnitude smaller than supported range";
export const NUMBER_PRECISION = "Attempting to store more than 38 significant digits in a Number";

// Java's BigDecimal syntax, which is what DynamoDB accepts: optional sign, digits with an
// optional point (".5" and "5." are both numbers), optional exponent. No whitespace, no
// "Infinity"/"NaN", no hexadecimal.
const NUMBER_SYNTAX = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

export class DynamoNumber {
  /** Zero is held as coefficient 0n, exponent 0. */
  static readonly ZERO = new DynamoNumber(0n, 0);

  private constructor(
    /** Signed, no trailing decimal zeros (unless the value is zero). */
    readonly coefficient: bigint,
    readonly exponent: number,
  ) {}

  /**
   * Parses and range-checks a number as DynamoDB does on input: syntax first, then precision,
   * then magnitude. Throws ValidationException with AWS's messages.
   */
  static parse(text: string): DynamoNumber {
    const n = DynamoNumber.parseUnchecked(text);
    n.check();
    return n;
  }

  /**
   * Syntax only, for numbers already known to be valid (stored items, validated placeholders)
   * and for comparisons. Do not print an unchecked number: "1e9999999" would expand to ten
   * million digits.
   */
  static parseUnchecked(text: string): DynamoNumber {
    const m = typeof text === "string" ? NUMBER_SYNTAX.exec(text) : null;
    const intPart = m?.[2] ?? "";
    const fracPart = m?.[3] ?? "";
    if (!m || intPart.length + fracPart.length === 0) {
      throw validationError(
        text === "" ? "The parameter cannot be converted to a numeric value" : `The parameter cannot be converted to a numeric value: ${text}`,
      );
    }
    let digits = (intPart + fracPart).replace(/^0+/, "");
    if (digits === "") return DynamoNumber.ZERO;
    // The written exponent may be absurd ("1e99999999999"); BigInt keeps it exact until it is
    // known to be out of range, and the clamp keeps it a safe integer without changing the
    // verdict (anything past ±10^7 is far outside ±130).
    let exp = BigInt(m[4] ?? "0") - BigInt(fracPart.length);
    const trailing = digits.length - digits.replace(/0+$/, "").length;
    digits = digits.slice(0, digits.length - trailing);
    exp += BigInt(trailing);
    const clamped = exp > 10_000_000n ? 10_000_000 : exp < -10_000_000n ? -10_000_000 : Number(exp);
    const sign = m[1] === "-" ? -1n : 1n;
    return new DynamoNumber(sign * BigInt(digits), clamped);
  }

  static fromBigInt(value: bigint): DynamoNumber {
    return DynamoNumber.normalize(value, 0);
  }

  private static normalize(coefficient: bigint, exponent: number): DynamoNumber {
    if (coefficient === 0n) return DynamoNumber.ZERO;
    let c = coefficient;
    let e = exponent;
    while (c % 10n === 0n) {
      c /= 10n;
      e += 1;
    }
    return new DynamoNumber(c, e);
  }

  get sign(): -1 | 0 | 1 {
    return this.coefficient === 0n ? 0 : this.coefficient < 0n ? -1 : 1;
  }

  isZero(): boolean {
    return this.coefficient === 0n;
  }

  /** The significant digits, without sign (empty for zero). */
  private get digits(): string {
    if (this.coefficient === 0n) return "";
    const s = this.coefficient.toString();
    return s.startsWith("-") ? s.slice(1) : s;
  }

  /** Number of significant digits (0 for zero). Leading and trailing zeros never count. */
  get precision(): number {
    return this.digits.length;
  }

  /** Power of ten of the most significant digit (the "scientific" exponent). */
  get adjustedExponent(): number {
    return this.exponent + this.precision - 1;
  }

  /** Throws when the value cannot be stored: more than 38 digits, or out of range. */
  check(): this {
    if (this.isZero()) return this;
    if (this.precision > MAX_SIGNIFICANT_DIGITS) throw validationError(NUMBER_PRECISION);
    const adjusted = this.adjustedExponent;
    if (adjusted > MAX_ADJUSTED_EXPONENT) throw validationError(NUMBER_OVERFLOW);
    if (adjusted < MIN_ADJUSTED_EXPONENT) throw validationError(NUMBER_UNDERFLOW);
    return this;
  }

  /** Canonical text: plain positional notation, no superfluous zeros, never "-0". */
  toString(): string {
    if (this.isZero()) return "0";
    const digits = this.digits;
    const sign = this.coefficient < 0n ? "-" : "";
    if (this.exponent >= 0) return sign + digits + "0".repeat(this.exponent);
    const point = digits.length + this.exponent;
    if (point > 0) return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
    return `${sign}0.${"0".repeat(-point)}${digits}`;
  }

  /** Both coefficients scaled to the smaller exponent, so they can be compared or summed. */
  private aligned(other: DynamoNumber): [bigint, bigint, number] {
    const e = Math.min(this.exponent, other.exponent);
    return [
      this.coefficient * 10n ** BigInt(this.exponent - e),
      other.coefficient * 10n ** BigInt(other.exponent - e),
      e,
    ];
  }

  compare(other: DynamoNumber): -1 | 0 | 1 {
    if (this.sign !== other.sign) return this.sign < other.sign ? -1 : 1;
    if (this.sign === 0) return 0;
    // Same sign and non-zero: the magnitudes' leading-digit positions decide before any scaling.
    if (this.adjustedExponent !== other.adjustedExponent) {
      const larger = this.adjustedExponent > other.adjustedExponent;
      return larger === (this.sign > 0) ? 1 : -1;
    }
    const [a, b] = this.aligned(other);
    return a === b ? 0 : a < b ? -1 : 1;
  }

  equals(other: DynamoNumber): boolean {
    return this.coefficient === other.coefficient && this.exponent === other.exponent;
  }

  /** Exact sum, checked against DynamoDB's precision and range (it never rounds). */
  add(other: DynamoNumber): DynamoNumber {
    const [a, b, e] = this.aligned(other);
    return DynamoNumber.normalize(a + b, e).check();
  }

  subtract(other: DynamoNumber): DynamoNumber {
    return this.add(other.negate());
  }

  negate(): DynamoNumber {
    return this.isZero() ? this : new DynamoNumber(-this.coefficient, this.exponent);
  }

  /**
   * Bytes the number occupies in DynamoDB's size accounting. DynamoDB stores the mantissa in
   * base 100 aligned on the decimal point (two decimal digits per byte), plus one byte of
   * exponent and, for negatives, a terminator byte. So the cost is 1 + the number of base-100
   * digit pairs from the first non-zero pair to the last (+1 if negative); zero costs 1. This
   * reproduces AWS's measured figures, e.g. "1.5" = 3 bytes but "15" = 2, "3.14159" = 5.
   */
  get byteSize(): number {
    if (this.isZero()) return 1;
    const lowest = this.exponent;
    const highest = this.adjustedExponent;
    const pairs = Math.floor(highest / 2) - Math.floor(lowest / 2) + 1;
    return 1 + pairs + (this.coefficient < 0n ? 1 : 0);
  }
}

/** Parses, checks and answers the canonical form DynamoDB would return for `text`. */
export function canonicalNumber(text: string): string {
  return DynamoNumber.parse(text).toString();
}

/** Numeric comparison of two number strings. */
export function compareNumbers(a: string, b: string): -1 | 0 | 1 {
  return DynamoNumber.parseUnchecked(a).compare(DynamoNumber.parseUnchecked(b));
}

/** Exact sum of two number strings; both are validated first, as stored numbers always are. */
export function addNumbers(a: string, b: string): string {
  return DynamoNumber.parse(a).add(DynamoNumber.parse(b)).toString();
}

/** Exact difference of two number strings; both are validated first. */
export function subtractNumbers(a: string, b: string): string {
  return DynamoNumber.parse(a).subtract(DynamoNumber.parse(b)).toString();
}

/** Bytes a number contributes to an item's size (see `DynamoNumber.byteSize`). */
export function numberByteSize(text: string): number {
  return DynamoNumber.parseUnchecked(text).byteSize;
}
