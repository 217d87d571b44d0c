/**
 * S3's errors for bucket configuration (codes, statuses and the messages S3 sends on the wire,
 * which sometimes differ from its documentation's error table). Kept apart from errors.ts so the
 * object API and the bucket configuration can grow their catalogs side by side.
 */
import type { ErrorDef } from "../../core/errors.js";

const MALFORMED_XML = "The XML you provided was not well-formed or did not validate against our published schema";

export const ConfigErrors = {
  MalformedXML: { code: "MalformedXML", status: 400, message: MALFORMED_XML },
  InvalidArgument: { code: "InvalidArgument", status: 400 },
  InvalidRequest: { code: "InvalidRequest", status: 400 },
  BadRequest: { code: "BadRequest", status: 400 },
  AccessDenied: { code: "AccessDenied", status: 403, message: "Access Denied" },
  MethodNotAllowed: { code: "MethodNotAllowed", status: 405, message: "The specified method is not allowed against this resource." },
  InvalidBucketState: { code: "InvalidBucketState", status: 409 },

  // Metrics configurations (request-metrics.ts).
  NoSuchConfiguration: { code: "NoSuchConfiguration", status: 404, message: "The specified configuration does not exist." },
  TooManyConfigurations: {
    code: "TooManyConfigurations",
    status: 400,
    message: "You are attempting to create a new configuration but have already reached the 1,000-configuration limit.",
  },

  // "Not configured" answers of the Get operations.
  NoSuchTagSet: { code: "NoSuchTagSet", status: 404, message: "The TagSet does not exist" },
  NoSuchCORSConfiguration: { code: "NoSuchCORSConfiguration", status: 404, message: "The CORS configuration does not exist" },
  NoSuchBucketPolicy: { code: "NoSuchBucketPolicy", status: 404, message: "The bucket policy does not exist" },
  NoSuchLifecycleConfiguration: { code: "NoSuchLifecycleConfiguration", status: 404, message: "The lifecycle configuration does not exist" },
  NoSuchWebsiteConfiguration: {
    code: "NoSuchWebsiteConfiguration",
    status: 404,
    message: "The specified bucket does not have a website configuration",
  },
  ReplicationConfigurationNotFoundError: {
    code: "ReplicationConfigurationNotFoundError",
    status: 404,
    message: "The replication configuration was not found",
  },
  ObjectLockConfigurationNotFoundError: {
    code: "ObjectLockConfigurationNotFoundError",
    status: 404,
    message: "Object Lock configuration does not exist for this bucket",
  },
  NoSuchPublicAccessBlockConfiguration: {
    code: "NoSuchPublicAccessBlockConfiguration",
    status: 404,
    message: "The public access block configuration was not found",
  },
  OwnershipControlsNotFoundError: {
    code: "OwnershipControlsNotFoundError",
    status: 404,
    message: "The bucket ownership controls were not found",
  },

  // Tagging
  InvalidTag: { code: "InvalidTag", status: 400 },

  // Policies
  MalformedPolicy: { code: "MalformedPolicy", status: 400 },
  PolicyTooLarge: { code: "PolicyTooLarge", status: 400, message: "Policy exceeds the maximum allowed document size." },

  // ACLs
  MalformedACLError: { code: "MalformedACLError", status: 400, message: MALFORMED_XML },
  AccessControlListNotSupported: { code: "AccessControlListNotSupported", status: 400, message: "The bucket does not allow ACLs" },
  InvalidBucketAclWithObjectOwnership: {
    code: "InvalidBucketAclWithObjectOwnership",
    status: 400,
    message: "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
  },
  InvalidBucketAclWithBlockPublicAccessError: {
    code: "InvalidBucketAclWithBlockPublicAccessError",
    status: 400,
    message: "Bucket cannot have public ACLs set with BlockPublicAccess enabled",
  },
  UnexpectedContent: { code: "UnexpectedContent", status: 400, message: "This request does not support content" },
  MissingSecurityHeader: { code: "MissingSecurityHeader", status: 400, message: "Your request was missing a required header" },
  UnresolvableGrantByEmailAddress: {
    code: "UnresolvableGrantByEmailAddress",
    status: 400,
    message: "The e-mail address you provided does not match any account on record.",
  },

  // Logging
  InvalidTargetBucketForLogging: { code: "InvalidTargetBucketForLogging", status: 400 },
  CrossLocationLoggingProhibited: {
    code: "CrossLocationLoggingProhibited",
    status: 403,
    message: "Cross S3 location logging not allowed. ",
  },

  // CORS preflight
  AccessForbidden: { code: "AccessForbidden", status: 403 },
} satisfies Record<string, ErrorDef>;
