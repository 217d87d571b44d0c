/** DynamoDB Streams' error catalog (JSON 1.0, namespace com.amazonaws.dynamodb.v20120810). */
import type { ErrorDef } from "../../core/errors.js";

export const StreamsErrors = {
  ResourceNotFoundException: { code: "ResourceNotFoundException", status: 400, message: "Requested resource not found" },
  ExpiredIteratorException: { code: "ExpiredIteratorException", status: 400 },
  TrimmedDataAccessException: { code: "TrimmedDataAccessException", status: 400 },
  LimitExceededException: { code: "LimitExceededException", status: 400 },
  ValidationException: { code: "ValidationException", status: 400 },
  InternalServerError: { code: "InternalServerError", status: 500, message: "Internal server error" },
} satisfies Record<string, ErrorDef>;
