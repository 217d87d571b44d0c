/** CloudWatch Logs' error catalog. */
import type { ErrorDef } from "../../core/errors.js";

export const LogsErrors = {
  ResourceAlreadyExistsException: {
    code: "ResourceAlreadyExistsException",
    status: 400,
    message: "The specified log group already exists",
  },
  ResourceNotFoundException: {
    code: "ResourceNotFoundException",
    status: 400,
    message: "The specified log group does not exist.",
  },
  InvalidParameterException: { code: "InvalidParameterException", status: 400 },
  LimitExceededException: { code: "LimitExceededException", status: 400, message: "Resource limit exceeded." },
  MalformedQueryException: { code: "MalformedQueryException", status: 400 },
  InvalidOperationException: { code: "InvalidOperationException", status: 400 },
  OperationAbortedException: { code: "OperationAbortedException", status: 400 },
} satisfies Record<string, ErrorDef>;
