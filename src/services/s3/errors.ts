/** S3's error catalog (codes and statuses as AWS documents them). */
import type { ErrorDef } from "../../core/errors.js";

export const S3Errors = {
  NoSuchBucket: { code: "NoSuchBucket", status: 404, message: "The specified bucket does not exist" },
  BucketAlreadyExists: {
    code: "BucketAlreadyExists",
    status: 409,
    message:
      "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
  },
  BucketAlreadyOwnedByYou: {
    code: "BucketAlreadyOwnedByYou",
    status: 409,
    message: "Your previous request to create the named bucket succeeded and you already own it.",
  },
  BucketNotEmpty: { code: "BucketNotEmpty", status: 409, message: "The bucket you tried to delete is not empty" },
  InvalidBucketName: { code: "InvalidBucketName", status: 400, message: "The specified bucket is not valid." },
  InvalidLocationConstraint: {
    code: "InvalidLocationConstraint",
    status: 400,
    message: "The specified location-constraint is not valid",
  },
  IllegalLocationConstraintException: { code: "IllegalLocationConstraintException", status: 400 },
  AccessDenied: { code: "AccessDenied", status: 403, message: "Access Denied" },
  InvalidArgument: { code: "InvalidArgument", status: 400 },
} satisfies Record<string, ErrorDef>;
