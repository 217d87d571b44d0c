/**
 * SQS's error catalog. SQS is awsQueryCompatible: JSON clients see the error shape's name
 * (`QueueDoesNotExist`), query clients and the `x-amzn-query-error` header carry the old code
 * (`AWS.SimpleQueueService.NonExistentQueue`), which SDKs surface as the error's `Code`.
 */
import type { ErrorDef } from "../../core/errors.js";

export const SqsErrors = {
  QueueDoesNotExist: {
    code: "QueueDoesNotExist",
    queryErrorCode: "AWS.SimpleQueueService.NonExistentQueue",
    status: 400,
    message: "The specified queue does not exist.",
  },
  QueueNameExists: { code: "QueueNameExists", queryErrorCode: "QueueAlreadyExists", status: 400 },
  QueueDeletedRecently: {
    code: "QueueDeletedRecently",
    queryErrorCode: "AWS.SimpleQueueService.QueueDeletedRecently",
    status: 400,
    message: "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
  },
  PurgeQueueInProgress: { code: "PurgeQueueInProgress", queryErrorCode: "AWS.SimpleQueueService.PurgeQueueInProgress", status: 403 },
  InvalidAttributeName: { code: "InvalidAttributeName", status: 400 },
  InvalidAttributeValue: { code: "InvalidAttributeValue", status: 400 },
  InvalidParameterValue: { code: "InvalidParameterValue", status: 400 },
  MissingParameter: { code: "MissingParameter", status: 400 },
  InvalidMessageContents: {
    code: "InvalidMessageContents",
    status: 400,
    message:
      "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
  },
  ReceiptHandleIsInvalid: { code: "ReceiptHandleIsInvalid", status: 404 },
  MessageNotInflight: {
    code: "MessageNotInflight",
    queryErrorCode: "AWS.SimpleQueueService.MessageNotInflight",
    status: 400,
    message: "Message does not exist or is not available for visibility timeout change.",
  },
  EmptyBatchRequest: { code: "EmptyBatchRequest", queryErrorCode: "AWS.SimpleQueueService.EmptyBatchRequest", status: 400 },
  TooManyEntriesInBatchRequest: {
    code: "TooManyEntriesInBatchRequest",
    queryErrorCode: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    status: 400,
  },
  BatchEntryIdsNotDistinct: {
    code: "BatchEntryIdsNotDistinct",
    queryErrorCode: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    status: 400,
  },
  InvalidBatchEntryId: {
    code: "InvalidBatchEntryId",
    queryErrorCode: "AWS.SimpleQueueService.InvalidBatchEntryId",
    status: 400,
    message: "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
  },
  BatchRequestTooLong: { code: "BatchRequestTooLong", queryErrorCode: "AWS.SimpleQueueService.BatchRequestTooLong", status: 400 },
  UnsupportedOperation: { code: "UnsupportedOperation", queryErrorCode: "AWS.SimpleQueueService.UnsupportedOperation", status: 400 },
  ResourceNotFoundException: { code: "ResourceNotFoundException", status: 404 },
  InvalidAddress: { code: "InvalidAddress", status: 404, message: "The address is not valid for this endpoint." },
  OverLimit: { code: "OverLimit", status: 403 },
  InvalidIdFormat: { code: "InvalidIdFormat", status: 400 },
  AccessDenied: { code: "AccessDeniedException", queryErrorCode: "AccessDenied", status: 403 },
} satisfies Record<string, ErrorDef>;
