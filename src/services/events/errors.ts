/** EventBridge's error catalog. */
import type { ErrorDef } from "../../core/errors.js";

export const EventsErrors = {
  ResourceNotFoundException: { code: "ResourceNotFoundException", status: 400 },
  ResourceAlreadyExistsException: { code: "ResourceAlreadyExistsException", status: 400 },
  ValidationException: { code: "ValidationException", status: 400 },
  InvalidEventPatternException: { code: "InvalidEventPatternException", status: 400 },
  LimitExceededException: { code: "LimitExceededException", status: 400 },
  IllegalStatusException: { code: "IllegalStatusException", status: 400 },
  ManagedRuleException: { code: "ManagedRuleException", status: 400 },
  InternalException: { code: "InternalException", status: 500 },
} satisfies Record<string, ErrorDef>;
