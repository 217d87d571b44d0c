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
  ResourceNotFound: { code: "ResourceNotFound", status: 404 },
  ResourceNotFoundException: { code: "ResourceNotFoundException", status: 404 },
  DashboardNotFound: { code: "DashboardNotFoundError", queryErrorCode: "ResourceNotFound", status: 404, message: "Dashboard does not exist" },
  DashboardInvalidInput: { code: "DashboardInvalidInputError", queryErrorCode: "InvalidParameterInput", status: 400 },
  LimitExceeded: { code: "LimitExceededFault", queryErrorCode: "LimitExceeded", status: 400 },
  InvalidFormat: { code: "InvalidFormatFault", queryErrorCode: "InvalidFormat", status: 400 },
} satisfies Record<string, ErrorDef>;
