/** SNS's error catalog (query protocol codes, AWS's statuses). */
import type { ErrorDef } from "../../core/errors.js";

export const SnsErrors = {
  InvalidParameter: { code: "InvalidParameter", status: 400 },
  InvalidParameterValue: { code: "ParameterValueInvalid", status: 400 },
  NotFound: { code: "NotFound", status: 404 },
  ResourceNotFound: { code: "ResourceNotFound", status: 404, message: "Resource does not exist" },
  AuthorizationError: { code: "AuthorizationError", status: 403 },
  TagLimitExceeded: { code: "TagLimitExceeded", status: 400, message: "Could not complete request: tag quota of per resource exceeded" },
  TagPolicy: { code: "TagPolicy", status: 400 },
  TooManyEntriesInBatchRequest: { code: "TooManyEntriesInBatchRequest", status: 400, message: "The batch request contains more entries than permissible." },
  EmptyBatchRequest: { code: "EmptyBatchRequest", status: 400, message: "The batch request doesn't contain any entries." },
  BatchEntryIdsNotDistinct: { code: "BatchEntryIdsNotDistinct", status: 400, message: "Two or more batch entries in the request have the same Id." },
  BatchRequestTooLong: { code: "BatchRequestTooLong", status: 400, message: "The length of all the messages put together is more than the limit." },
  InvalidBatchEntryId: {
    code: "InvalidBatchEntryId",
    status: 400,
    message: "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
  },
  TopicLimitExceeded: { code: "TopicLimitExceeded", status: 403, message: "Topic already exists with different attributes" },
} satisfies Record<string, ErrorDef>;
