/** The S3 object API's error catalog (codes, statuses and messages as AWS documents them). */
import type { ErrorDef } from "../../core/errors.js";

export const S3ObjectErrors = {
  NoSuchKey: { code: "NoSuchKey", status: 404, message: "The specified key does not exist." },
  NoSuchVersion: { code: "NoSuchVersion", status: 404, message: "The specified version does not exist." },
  /** HEAD answers carry no body, so the SDKs name a 404 by status alone. */
  NotFound: { code: "NotFound", status: 404, message: "Not Found" },
  MethodNotAllowed: { code: "MethodNotAllowed", status: 405, message: "The specified method is not allowed against this resource." },
  NotModified: { code: "NotModified", status: 304, message: "Not Modified" },
  PreconditionFailed: {
    code: "PreconditionFailed",
    status: 412,
    message: "At least one of the pre-conditions you specified did not hold",
  },
  ConditionalRequestConflict: {
    code: "ConditionalRequestConflict",
    status: 409,
    message: "The conditional request cannot succeed due to a conflicting operation against this resource.",
  },
  InvalidRange: { code: "InvalidRange", status: 416, message: "The requested range is not satisfiable" },
  BadDigest: { code: "BadDigest", status: 400, message: "The Content-MD5 you specified did not match what we received." },
  InvalidDigest: { code: "InvalidDigest", status: 400, message: "The Content-MD5 you specified was invalid." },
  InvalidRequest: { code: "InvalidRequest", status: 400 },
  InvalidArgument: { code: "InvalidArgument", status: 400 },
  KeyTooLongError: { code: "KeyTooLongError", status: 400, message: "Your key is too long" },
  MetadataTooLarge: {
    code: "MetadataTooLarge",
    status: 400,
    message: "Your metadata headers exceed the maximum allowed metadata size.",
  },
  InvalidStorageClass: { code: "InvalidStorageClass", status: 400, message: "The storage class you specified is not valid" },
  EntityTooLarge: { code: "EntityTooLarge", status: 400, message: "Your proposed upload exceeds the maximum allowed size" },
  MissingContentLength: { code: "MissingContentLength", status: 411, message: "You must provide the Content-Length HTTP header." },
  IncompleteBody: {
    code: "IncompleteBody",
    status: 400,
    message: "You did not provide the number of bytes specified by the Content-Length HTTP header.",
  },
  InvalidTag: { code: "InvalidTag", status: 400 },
  BadRequest: { code: "BadRequest", status: 400 },
  MalformedXML: {
    code: "MalformedXML",
    status: 400,
    message: "The XML you provided was not well-formed or did not validate against our published schema",
  },
  InvalidObjectState: {
    code: "InvalidObjectState",
    status: 403,
    message: "The operation is not valid for the object's storage class",
  },
  NotImplemented: {
    code: "NotImplemented",
    status: 501,
    message: "A header you provided implies functionality that is not implemented",
  },
  AccessDenied: { code: "AccessDenied", status: 403, message: "Access Denied" },
  InternalError: { code: "InternalError", status: 500, message: "We encountered an internal error. Please try again." },
} satisfies Record<string, ErrorDef>;
