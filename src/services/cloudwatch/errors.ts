/**
 * CloudWatch's error catalog. CloudWatch is awsQueryCompatible: JSON and CBOR clients see the
 * `...Exception` code, query clients the old code (sent as x-amzn-query-error too).
 */
import type { ErrorDef } from "../../core/errors.js";

export const CloudWatchErrors = {
  InvalidParameterValue: { code: "InvalidParameterValueException", queryErrorCode: "InvalidParameterValue", status: 400 },
  InvalidParameterCombination: {
    code: "InvalidParameterCombinationException",
    queryErrorCode: "InvalidParameterCombination",
    status: 400,
  },
  MissingParameter: { code: "MissingRequiredParameterException", queryErrorCode: "MissingParameter", status: 400 },
  InvalidNextToken: { code: "InvalidNextToken", status: 400, message: "The next token specified is invalid." },
} satisfies Record<string, ErrorDef>;
