/** Lambda's error catalog (codes, statuses and messages as the Lambda API answers them). */
import type { ErrorDef } from "../../core/errors.js";

export const LambdaErrors = {
  ResourceNotFoundException: { code: "ResourceNotFoundException", status: 404 },
  ResourceConflictException: { code: "ResourceConflictException", status: 409 },
  InvalidParameterValueException: { code: "InvalidParameterValueException", status: 400 },
  ValidationException: { code: "ValidationException", status: 400 },
  TooManyRequestsException: { code: "TooManyRequestsException", status: 429, message: "Rate Exceeded." },
  RequestTooLargeException: { code: "RequestTooLargeException", status: 413 },
  PreconditionFailedException: { code: "PreconditionFailedException", status: 412 },
  InvalidRequestContentException: { code: "InvalidRequestContentException", status: 400 },
  CodeStorageExceededException: { code: "CodeStorageExceededException", status: 400 },
  ServiceException: { code: "ServiceException", status: 500 },
  AccessDeniedException: { code: "AccessDeniedException", status: 403 },
  ProvisionedConcurrencyConfigNotFoundException: { code: "ProvisionedConcurrencyConfigNotFoundException", status: 404 },
} satisfies Record<string, ErrorDef>;
