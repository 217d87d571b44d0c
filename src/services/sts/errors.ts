/** STS's error catalog (codes and statuses as AWS documents them). */
import type { ErrorDef } from "../../core/errors.js";

export const StsErrors = {
  AccessDenied: { code: "AccessDenied", status: 403 },
  ValidationError: { code: "ValidationError", status: 400 },
  InvalidParameterValue: { code: "InvalidParameterValue", status: 400 },
  MalformedPolicyDocument: { code: "MalformedPolicyDocument", status: 400 },
  PackedPolicyTooLarge: { code: "PackedPolicyTooLarge", status: 400 },
  InvalidAuthorizationMessage: { code: "InvalidAuthorizationMessageException", status: 400 },
  RegionDisabled: { code: "RegionDisabledException", status: 403 },
} satisfies Record<string, ErrorDef>;
