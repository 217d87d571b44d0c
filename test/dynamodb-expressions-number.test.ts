/**
 * DynamoDB numbers: parsing, canonical form, precision and range limits with AWS's messages,
 * exact arithmetic, ordering, and the per-number byte cost used in item sizes (checked against
 * the figures AWS measures, e.g. "1.5" costs 3 bytes but "15" costs 2).
 */
import { describe, expect, it } from "vitest";
import {
  DynamoNumber,
  NUMBER_OVERFLOW,
  NUMBER_PRECISION,
  NUMBER_UNDERFLOW,
  addNumbers,
  canonicalNumber,
  compareNumbers,
  numberByteSize,
  subtractNumbers,
} from "../src/services/dynamodb/number.js";
import { isServiceError } from "../src/core/errors.js";

function failure(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isServiceError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a failure");
}

describe("canonical form", () => {
  it.each([
    ["0", "0"],
    ["-0", "0"],
    ["+0", "0"],
    ["0.000", "0"],
    ["0e10", "0"],
    ["-0.0e-5", "0"],
    ["1", "1"],
    ["0001", "1"],
    ["+1", "1"],
    ["1.50", "1.5"],
    ["1.0", "1"],
    ["3.1400", "3.14"],
    ["0042.1200", "42.12"],
    ["00042", "42"],
    ["1e2", "100"],
    ["1E2", "100"],
    ["1.5E2", "150"],
    ["1.5e+2", "150"],
    ["150e-2", "1.5"],
    ["1e-2", "0.01"],
    [".5", "0.5"],
    ["5.", "5"],
    ["-.5", "-0.5"],
    ["-1.50", "-1.5"],
    ["-100", "-100"],
    ["123.456", "123.456"],
    ["1000000", "1000000"],
    ["12345678901234567890123456789012345678", "12345678901234567890123456789012345678"],
    ["0.00000000000000000000000000000000000001", "0.00000000000000000000000000000000000001"],
    ["-12.3400e1", "-123.4"],
  ])("%s -> %s", (input, expected) => {
    expect(canonicalNumber(input)).toBe(expected);
  });

  it("expands a large exponent instead of keeping it (1E125 is 126 digits)", () => {
    const stored = canonicalNumber("1E125");
    expect(stored).toHaveLength(126);
    expect(stored).toBe(`1${"0".repeat(125)}`);
  });

  it("expands the smallest magnitude in full", () => {
    expect(canonicalNumber("1E-130")).toBe(`0.${"0".repeat(129)}1`);
  });

  it("keeps the largest magnitude exactly", () => {
    const max = canonicalNumber("9.9999999999999999999999999999999999999E+125");
    expect(max).toBe("9".repeat(38) + "0".repeat(88));
    expect(canonicalNumber("-9.9999999999999999999999999999999999999E+125")).toBe("-" + max);
  });
});

describe("invalid numbers", () => {
  it.each(["abc", "1.2.3", "1e", "e5", "--1", "+-1", "1 ", " 1", "NaN", "Infinity", "-Infinity", "0x10", "1,000", ".", "-", "1e2.5", "١"])(
    "%j cannot be converted",
    (text) => {
      expect(failure(() => DynamoNumber.parse(text))).toEqual({
        code: "ValidationException",
        message: `The parameter cannot be converted to a numeric value: ${text}`,
      });
    },
  );

  it("an empty string is refused without a suffix", () => {
    expect(failure(() => DynamoNumber.parse("")).message).toBe("The parameter cannot be converted to a numeric value");
  });
});

describe("precision: 38 significant digits", () => {
  it("accepts 38 digits", () => {
    expect(canonicalNumber("12345678901234567890123456789012345678")).toHaveLength(38);
  });
  it("refuses 39 digits", () => {
    expect(failure(() => canonicalNumber("123456789012345678901234567890123456789"))).toEqual({
      code: "ValidationException",
      message: NUMBER_PRECISION,
    });
  });
  it("uses AWS's wording", () => {
    expect(NUMBER_PRECISION).toBe("Attempting to store more than 38 significant digits in a Number");
  });
  it("does not count leading zeros", () => {
    expect(canonicalNumber("0000000012345678901234567890123456789012345678")).toHaveLength(38);
  });
  it("does not count trailing zeros", () => {
    expect(canonicalNumber("1" + "0".repeat(60))).toHaveLength(61);
    expect(canonicalNumber("12345678901234567890123456789012345678.000000")).toHaveLength(38);
  });
  it("counts digits on both sides of the point", () => {
    expect(() => canonicalNumber("1234567890123456789.01234567890123456789")).toThrow(NUMBER_PRECISION);
    expect(canonicalNumber("1234567890123456789.0123456789012345678")).toBe("1234567890123456789.0123456789012345678");
  });
  it("counts interior zeros", () => {
    expect(() => canonicalNumber("1" + "0".repeat(37) + "1")).toThrow(NUMBER_PRECISION);
  });
  it("checks precision before range", () => {
    expect(failure(() => canonicalNumber("1234567890123456789012345678901234567891e200")).message).toBe(NUMBER_PRECISION);
  });
});

describe("range: 1E-130 to 9.99..E+125", () => {
  it.each([
    ["1E+126", NUMBER_OVERFLOW],
    ["-1E+126", NUMBER_OVERFLOW],
    ["10E125", NUMBER_OVERFLOW],
    ["1e999999999999", NUMBER_OVERFLOW],
    ["1E-131", NUMBER_UNDERFLOW],
    ["-1E-131", NUMBER_UNDERFLOW],
    ["0.1E-130", NUMBER_UNDERFLOW],
    ["1e-999999999999", NUMBER_UNDERFLOW],
  ])("%s is refused", (text, message) => {
    expect(failure(() => canonicalNumber(text))).toEqual({ code: "ValidationException", message });
  });

  it.each(["1E+125", "9.9999999999999999999999999999999999999E+125", "1E-130", "-1E-130", "1.5E-130", "10E-131", "0e999999"])(
    "%s is accepted",
    (text) => {
      expect(() => canonicalNumber(text)).not.toThrow();
    },
  );

  it("uses AWS's wording", () => {
    expect(NUMBER_OVERFLOW).toBe("Number overflow. Attempting to store a number with magnitude larger than supported range");
    expect(NUMBER_UNDERFLOW).toBe(
      "Number underflow. Attempting to store a number with magnitude smaller than supported range",
    );
  });
});

describe("exact arithmetic", () => {
  it.each([
    ["0.1", "0.2", "0.3"],
    ["1", "1", "2"],
    ["-1", "1", "0"],
    ["1.5", "-1.5", "0"],
    ["99", "1", "100"],
    ["0.000001", "1000000", "1000000.000001"],
    ["-5", "-5", "-10"],
    ["1e100", "1e100", "2" + "0".repeat(100)],
    ["12345678901234567890123456789012345677", "1", "12345678901234567890123456789012345678"],
    ["1.25", "2.75", "4"],
    ["-0.5", "0.25", "-0.25"],
  ])("%s + %s = %s", (a, b, sum) => {
    expect(addNumbers(a, b)).toBe(sum);
  });

  it.each([
    ["10", "3", "7"],
    ["3", "10", "-7"],
    ["0.3", "0.1", "0.2"],
    ["52", "15", "37"],
    ["-1", "-1", "0"],
    ["1", "0.0001", "0.9999"],
  ])("%s - %s = %s", (a, b, diff) => {
    expect(subtractNumbers(a, b)).toBe(diff);
  });

  it("refuses a sum past the largest magnitude", () => {
    expect(failure(() => addNumbers("9.9e125", "9.9e125")).message).toBe(NUMBER_OVERFLOW);
  });
  it("refuses a sum needing more than 38 digits (it never rounds)", () => {
    expect(failure(() => addNumbers("1e100", "1")).message).toBe(NUMBER_PRECISION);
    expect(failure(() => addNumbers("99999999999999999999999999999999999999", "0.1")).message).toBe(NUMBER_PRECISION);
  });
  it("carries into a 39th digit only when the result still fits", () => {
    // 38 nines + 1 = 1 followed by 38 zeros: one significant digit.
    expect(addNumbers("9".repeat(38), "1")).toBe("1" + "0".repeat(38));
  });
  it("refuses a difference below the smallest magnitude", () => {
    expect(failure(() => subtractNumbers("1E-130", "9E-131")).message).toBe(NUMBER_UNDERFLOW);
  });
  it("a difference of zero is fine however small the operands", () => {
    expect(subtractNumbers("1E-130", "1E-130")).toBe("0");
  });
});

describe("ordering", () => {
  const ascending = [
    "-9.9999999999999999999999999999999999999E+125",
    "-1e10",
    "-100",
    "-10",
    "-2",
    "-1.5",
    "-1",
    "-0.5",
    "-1E-130",
    "0",
    "1E-130",
    "0.001",
    "0.5",
    "1",
    "1.5",
    "2",
    "9",
    "10",
    "11",
    "100",
    "1e10",
    "99999999999999999999999999999999999999",
    "9.9999999999999999999999999999999999999E+125",
  ];

  it("sorts negative, zero, decimal and positive numbers numerically", () => {
    const shuffled = [...ascending].reverse();
    shuffled.sort(compareNumbers);
    expect(shuffled).toEqual(ascending);
  });

  it.each([
    ["1", "1.0", 0],
    ["100", "1e2", 0],
    ["-0", "0", 0],
    ["0.1", "0.10", 0],
    ["2", "10", -1],
    ["10", "9", 1],
    ["-2", "-10", 1],
    ["-0.1", "0", -1],
    ["0.0001", "0.001", -1],
    ["123.45", "123.449", 1],
    ["-123.45", "-123.449", -1],
  ])("compare(%s, %s) = %i", (a, b, expected) => {
    expect(compareNumbers(a, b)).toBe(expected);
  });

  it("equality is numeric", () => {
    expect(DynamoNumber.parse("1.50").equals(DynamoNumber.parse("1.5"))).toBe(true);
    expect(DynamoNumber.parse("15e-1").equals(DynamoNumber.parse("1.5"))).toBe(true);
    expect(DynamoNumber.parse("1.5").equals(DynamoNumber.parse("1.51"))).toBe(false);
  });
});

describe("byte size (measured against AWS)", () => {
  it.each([
    ["0", 1],
    ["-0", 1],
    ["1", 2],
    ["12", 2],
    ["123", 3],
    ["1234", 3],
    ["12345678901234567890123456789012345678", 20],
    ["0042", 2],
    ["100", 2],
    ["1010", 3],
    ["0.0000001", 2],
    ["1E125", 2],
    ["1E-100", 2],
    ["1.5", 3],
    ["15", 2],
    ["1.2", 3],
    ["1.200", 3],
    ["1.234", 4],
    ["3.14159", 5],
    ["123456", 4],
    ["100.5", 4],
    ["0.15", 2],
    ["-42", 3],
  ])("%s costs %i bytes", (text, bytes) => {
    expect(numberByteSize(text)).toBe(bytes);
  });
});
