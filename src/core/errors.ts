/**
 * Errors are data. A service throws `new ServiceError(CommonErrors.X, "message", {fields})`;
 * the protocol layer renders it in the service's wire format.
 */
import type { WireError } from "../protocol/types.js";

export interface ErrorDef {
  code: string;
  status: number;
  /** Default message when the thrower gives none. */
  message?: string;
  /** Defaults to true for 4xx statuses. */
  senderFault?: boolean;
  /** Query-protocol code for awsQueryCompatible services, when it differs from `code`. */
  queryErrorCode?: string;
}

export class ServiceError extends Error implements WireError {
  readonly code: string;
  readonly status: number;
  readonly senderFault: boolean;
  fields?: Record<string, unknown>;
  headers?: Record<string, string>;
  queryErrorCode?: string;
  shapeName?: string;

  constructor(def: ErrorDef, message?: string, fields?: Record<string, unknown>) {
    super(message ?? def.message ?? def.code);
    this.name = "ServiceError";
    this.code = def.code;
    this.status = def.status;
    this.senderFault = def.senderFault ?? def.status < 500;
    if (fields) this.fields = fields;
    if (def.queryErrorCode) this.queryErrorCode = def.queryErrorCode;
  }
}

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof ServiceError;
}

/** Errors every service can answer with. Per-service catalogs live in `services/<name>/errors.ts`. */
export const CommonErrors = {
  InternalFailure: { code: "InternalFailure", status: 500, message: "An internal error occurred." },
  NotImplemented: { code: "NotImplemented", status: 501 },
  InvalidAction: { code: "InvalidAction", status: 400 },
  UnknownOperation: { code: "UnknownOperationException", status: 400 },
  SerializationException: { code: "SerializationException", status: 400 },
  ValidationError: { code: "ValidationError", status: 400 },
  ValidationException: { code: "ValidationException", status: 400 },
  MalformedQueryString: { code: "MalformedQueryString", status: 400 },
  MissingAction: { code: "MissingAction", status: 400 },
  InvalidParameterValue: { code: "InvalidParameterValue", status: 400 },
  MissingParameter: { code: "MissingParameter", status: 400 },
  MalformedXML: { code: "MalformedXML", status: 400 },
  AccessDenied: { code: "AccessDenied", status: 403 },
  AccessDeniedException: { code: "AccessDeniedException", status: 400 },
  // Authentication
  SignatureDoesNotMatch: { code: "SignatureDoesNotMatch", status: 403 },
  InvalidClientTokenId: { code: "InvalidClientTokenId", status: 403 },
  InvalidAccessKeyId: { code: "InvalidAccessKeyId", status: 403 },
  UnrecognizedClientException: { code: "UnrecognizedClientException", status: 400 },
  MissingAuthenticationToken: { code: "MissingAuthenticationToken", status: 403 },
  IncompleteSignature: { code: "IncompleteSignature", status: 403 },
  ExpiredToken: { code: "ExpiredToken", status: 403 },
  RequestTimeTooSkewed: { code: "RequestTimeTooSkewed", status: 403 },
  RequestExpired: { code: "RequestExpired", status: 403 },
  // Authentication errors worded the S3 way (S3 answers 400s where other services answer 403s)
  AuthorizationHeaderMalformed: { code: "AuthorizationHeaderMalformed", status: 400 },
  AuthorizationQueryParametersError: { code: "AuthorizationQueryParametersError", status: 400 },
  InvalidRequest: { code: "InvalidRequest", status: 400 },
  InvalidArgument: { code: "InvalidArgument", status: 400 },
  XAmzContentSHA256Mismatch: {
    code: "XAmzContentSHA256Mismatch",
    status: 400,
    message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
  },
  // aws-chunked bodies
  IncompleteBody: {
    code: "IncompleteBody",
    status: 400,
    message: "You did not provide the number of bytes specified by the Content-Length HTTP header.",
  },
  MissingContentLength: {
    code: "MissingContentLength",
    status: 411,
    message: "You must provide the Content-Length HTTP header.",
  },
  InvalidChunkSizeError: {
    code: "InvalidChunkSizeError",
    status: 403,
    message: "Only the last chunk is allowed to have a size less than 8192 bytes",
  },
} satisfies Record<string, ErrorDef>;
