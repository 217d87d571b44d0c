/**
 * IAM's error catalog: AWS's codes and HTTP statuses (IAM speaks the query protocol, so these
 * are the `<Code>` values clients see). Messages are given per throw, in AWS's wording.
 */
import type { ErrorDef } from "../../core/errors.js";

export const IamErrors = {
  NoSuchEntity: { code: "NoSuchEntity", status: 404 },
  EntityAlreadyExists: { code: "EntityAlreadyExists", status: 409 },
  DeleteConflict: { code: "DeleteConflict", status: 409 },
  LimitExceeded: { code: "LimitExceeded", status: 409 },
  MalformedPolicyDocument: { code: "MalformedPolicyDocument", status: 400 },
  InvalidInput: { code: "InvalidInput", status: 400 },
  ValidationError: { code: "ValidationError", status: 400 },
  PasswordPolicyViolation: {
    code: "PasswordPolicyViolation",
    status: 400,
    message: "Password does not conform to the account password policy.",
  },
  InvalidAuthenticationCode: {
    code: "InvalidAuthenticationCode",
    status: 403,
    message: "Authentication code for device is not valid.",
  },
  ReportNotPresent: { code: "ReportNotPresent", status: 410, message: "" },
  ReportExpired: {
    code: "ReportExpired",
    status: 410,
    message: "The credential report has expired. To generate a new credential report, use GenerateCredentialReport.",
  },
  ReportInProgress: { code: "ReportInProgress", status: 404 },
  ConcurrentModification: { code: "ConcurrentModification", status: 409 },
  UnmodifiableEntity: { code: "UnmodifiableEntity", status: 400 },
  EntityTemporarilyUnmodifiable: { code: "EntityTemporarilyUnmodifiable", status: 409 },
  PolicyNotAttachable: { code: "PolicyNotAttachable", status: 400 },
  InvalidUserType: { code: "InvalidUserType", status: 400 },
  AccessDenied: { code: "AccessDenied", status: 403 },
  ServiceFailure: { code: "ServiceFailure", status: 500 },
} satisfies Record<string, ErrorDef>;
