/**
 * Input constraints from IAM's API reference (lengths, patterns, ranges, enums). The aws-sdk v2
 * model Nimbus loads dropped them, so they are restated here. A request that breaks any of them
 * fails as AWS fails it: ValidationError (400), "N validation error(s) detected: Value 'x' at
 * 'memberName' failed to satisfy constraint: ...", every broken constraint listed.
 */
import { ServiceError } from "../../core/errors.js";
import { IamErrors } from "./errors.js";

/** A pattern as IAM writes it in its messages, and the same pattern as a (whole-string) RegExp. */
export interface Pattern {
  text: string;
  re: RegExp;
}

const p = (text: string, re: RegExp): Pattern => ({ text, re });

export const PATTERNS = {
  /** user, group, role, policy, instance profile and MFA device names */
  name: p("[\\w+=,.@-]+", /^[\w+=,.@-]+$/),
  path: p("(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)", /^(\/|\/[\u0021-\u007E]+\/)$/),
  pathPrefix: p("\\u002F[\\u0021-\\u007F]*", /^\/[\u0021-\u007F]*$/),
  policyDocument: p("[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+", /^[\u0009\u000A\u000D\u0020-\u00FF]+$/),
  password: p("[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+", /^[\u0009\u000A\u000D\u0020-\u00FF]+$/),
  marker: p("[\\u0020-\\u00FF]+", /^[\u0020-\u00FF]+$/),
  roleDescription: p("[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*", /^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*$/),
  tagKey: p("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u),
  tagValue: p("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u),
  accessKeyId: p("[\\w]+", /^\w+$/),
  serialNumber: p("[\\w+=/:,.@-]+", /^[\w+=/:,.@-]+$/),
  authenticationCode: p("[\\d]+", /^\d+$/),
  accountAlias: p("^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", /^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$/),
  versionId: p("v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?", /^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$/),
  arn: p("[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+", /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F]+$/),
} as const;

/** Collects constraint violations for one request and throws them together. */
export class Checks {
  private readonly errors: string[] = [];

  private fail(field: string, value: unknown, constraint: string) {
    const shown = value === undefined || value === null ? "null" : `'${String(value)}'`;
    this.errors.push(`Value ${shown} at '${field}' failed to satisfy constraint: ${constraint}`);
  }

  /** A string member: length bounds (in UTF-16 units, as AWS counts) and an optional pattern. */
  str(field: string, value: string | undefined, min: number, max: number, pattern?: Pattern): this {
    if (value === undefined) return this;
    if (value.length < min) this.fail(field, value, `Member must have length greater than or equal to ${min}`);
    if (value.length > max) this.fail(field, value, `Member must have length less than or equal to ${max}`);
    if (pattern && !pattern.re.test(value)) {
      this.fail(field, value, `Member must satisfy regular expression pattern: ${pattern.text}`);
    }
    return this;
  }

  num(field: string, value: number | undefined, min: number, max: number): this {
    if (value === undefined) return this;
    if (value < min) this.fail(field, value, `Member must have value greater than or equal to ${min}`);
    if (value > max) this.fail(field, value, `Member must have value less than or equal to ${max}`);
    return this;
  }

  oneOf(field: string, value: string | undefined, values: readonly string[]): this {
    if (value === undefined) return this;
    if (!values.includes(value)) this.fail(field, value, `Member must satisfy enum value set: [${values.join(", ")}]`);
    return this;
  }

  count(field: string, list: readonly unknown[] | undefined, min: number, max: number): this {
    if (list === undefined) return this;
    const shown = `[${list.map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v))).join(", ")}]`;
    if (list.length < min) this.errors.push(`Value '${shown}' at '${field}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`);
    if (list.length > max) this.errors.push(`Value '${shown}' at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
    return this;
  }

  /** The usual paging members. */
  paging(input: { Marker?: string | undefined; MaxItems?: number | undefined }): this {
    this.str("marker", input.Marker, 1, 320, PATTERNS.marker);
    return this.num("maxItems", input.MaxItems, 1, 1000);
  }

  tags(field: string, tags: readonly { Key: string; Value: string }[] | undefined): this {
    if (tags === undefined) return this;
    this.count(field, tags, 0, 50);
    tags.forEach((t, i) => {
      this.str(`${field}.${i + 1}.member.key`, t.Key, 1, 128, PATTERNS.tagKey);
      this.str(`${field}.${i + 1}.member.value`, t.Value, 0, 256, PATTERNS.tagValue);
    });
    return this;
  }

  done(): void {
    const n = this.errors.length;
    if (n === 0) return;
    throw new ServiceError(
      IamErrors.ValidationError,
      `${n} validation error${n === 1 ? "" : "s"} detected: ${this.errors.join("; ")}`,
    );
  }
}

export const check = () => new Checks();
