/**
 * DynamoDB's error catalog: AWS's short codes and HTTP statuses. DynamoDB speaks JSON 1.0, whose
 * `__type` carries a namespace (`com.amazonaws.dynamodb.v20120810#ValidationException`); the
 * protocol layer adds that prefix, so only the short code lives here. Every DynamoDB client
 * error is a 400, throttling included; only InternalServerError is a 5xx.
 *
 * Default messages are AWS's wording where AWS always says the same thing; validation messages
 * vary per case and are given at the throw site.
 */
import { ServiceError, type ErrorDef } from "../../core/errors.js";

export const DynamoDBErrors = {
  ValidationException: { code: "ValidationException", status: 400 },
  ConditionalCheckFailedException: {
    code: "ConditionalCheckFailedException",
    status: 400,
    message: "The conditional request failed",
  },
  ResourceNotFoundException: {
    code: "ResourceNotFoundException",
    status: 400,
    message: "Requested resource not found",
  },
  ResourceInUseException: { code: "ResourceInUseException", status: 400 },
  TransactionCanceledException: { code: "TransactionCanceledException", status: 400 },
  TransactionConflictException: {
    code: "TransactionConflictException",
    status: 400,
    message: "Transaction is ongoing for the item",
  },
  TransactionInProgressException: { code: "TransactionInProgressException", status: 400 },
  ProvisionedThroughputExceededException: {
    code: "ProvisionedThroughputExceededException",
    status: 400,
    message:
      "The level of configured provisioned throughput for the table was exceeded. " +
      "Consider increasing your provisioning level with the UpdateTable API.",
  },
  ThrottlingException: { code: "ThrottlingException", status: 400 },
  RequestLimitExceeded: {
    code: "RequestLimitExceeded",
    status: 400,
    message:
      "Throughput exceeds the current throughput limit for your account. " +
      "Please contact AWS Support at https://aws.amazon.com/support request a limit increase",
  },
  ItemCollectionSizeLimitExceededException: {
    code: "ItemCollectionSizeLimitExceededException",
    status: 400,
    message: "Collection size exceeded.",
  },
  LimitExceededException: { code: "LimitExceededException", status: 400 },
  IdempotentParameterMismatchException: { code: "IdempotentParameterMismatchException", status: 400 },
  ReplicatedWriteConflictException: { code: "ReplicatedWriteConflictException", status: 400 },
  DuplicateItemException: { code: "DuplicateItemException", status: 400 },
  // Control-plane resources
  TableAlreadyExistsException: { code: "TableAlreadyExistsException", status: 400 },
  TableNotFoundException: { code: "TableNotFoundException", status: 400 },
  TableInUseException: { code: "TableInUseException", status: 400 },
  IndexNotFoundException: { code: "IndexNotFoundException", status: 400 },
  BackupNotFoundException: { code: "BackupNotFoundException", status: 400 },
  BackupInUseException: { code: "BackupInUseException", status: 400 },
  ContinuousBackupsUnavailableException: { code: "ContinuousBackupsUnavailableException", status: 400 },
  PointInTimeRecoveryUnavailableException: { code: "PointInTimeRecoveryUnavailableException", status: 400 },
  InvalidRestoreTimeException: { code: "InvalidRestoreTimeException", status: 400 },
  GlobalTableAlreadyExistsException: { code: "GlobalTableAlreadyExistsException", status: 400 },
  GlobalTableNotFoundException: { code: "GlobalTableNotFoundException", status: 400 },
  ReplicaAlreadyExistsException: { code: "ReplicaAlreadyExistsException", status: 400 },
  ReplicaNotFoundException: { code: "ReplicaNotFoundException", status: 400 },
  ExportNotFoundException: { code: "ExportNotFoundException", status: 400 },
  ExportConflictException: { code: "ExportConflictException", status: 400 },
  InvalidExportTimeException: { code: "InvalidExportTimeException", status: 400 },
  ImportNotFoundException: { code: "ImportNotFoundException", status: 400 },
  ImportConflictException: { code: "ImportConflictException", status: 400 },
  PolicyNotFoundException: { code: "PolicyNotFoundException", status: 400 },
  InternalServerError: { code: "InternalServerError", status: 500, message: "Internal server error" },
} satisfies Record<string, ErrorDef>;

/** A ValidationException with AWS's message. Most data-plane mistakes are reported this way. */
export function validationError(message: string): ServiceError {
  return new ServiceError(DynamoDBErrors.ValidationException, message);
}

/**
 * The prefix DynamoDB puts before parameter-value problems ("One or more parameter values were
 * invalid: ..."). Kept in one place because the wording is easy to get subtly wrong ("are not
 * valid." is a different message family used for key-attribute problems).
 */
export const INVALID_PARAMETER_VALUES = "One or more parameter values were invalid: ";
