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
} satisfies Record<string, ErrorDef>;
