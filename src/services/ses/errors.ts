/** SES's error catalog (v1 query codes; v2 uses the same names with an Exception suffix where AWS does). */
import type { ErrorDef } from "../../core/errors.js";

export const SesErrors = {
  MessageRejected: { code: "MessageRejected", status: 400 },
  InvalidParameterValue: { code: "InvalidParameterValue", status: 400 },
  AlreadyExists: { code: "AlreadyExists", status: 400 },
  TemplateDoesNotExist: { code: "TemplateDoesNotExist", status: 400 },
  InvalidTemplate: { code: "InvalidTemplate", status: 400 },
  MissingRenderingAttribute: { code: "MissingRenderingAttribute", status: 400 },
  InvalidRenderingParameter: { code: "InvalidRenderingParameter", status: 400 },
  ConfigurationSetAlreadyExists: { code: "ConfigurationSetAlreadyExists", status: 400 },
  ConfigurationSetDoesNotExist: { code: "ConfigurationSetDoesNotExist", status: 400 },
  InvalidConfigurationSet: { code: "InvalidConfigurationSet", status: 400 },
  AccountSendingPausedException: { code: "AccountSendingPausedException", status: 400, message: "Account sending is disabled." },
  ConfigurationSetSendingPausedException: { code: "ConfigurationSetSendingPausedException", status: 400 },
  LimitExceeded: { code: "LimitExceeded", status: 400 },
  ValidationError: { code: "ValidationError", status: 400 },
} satisfies Record<string, ErrorDef>;

export const Sesv2Errors = {
  MessageRejected: { code: "MessageRejected", status: 400 },
  BadRequestException: { code: "BadRequestException", status: 400 },
  NotFoundException: { code: "NotFoundException", status: 404 },
  AlreadyExistsException: { code: "AlreadyExistsException", status: 400 },
  AccountSuspendedException: { code: "AccountSuspendedException", status: 400 },
  SendingPausedException: { code: "SendingPausedException", status: 400 },
  LimitExceededException: { code: "LimitExceededException", status: 400 },
} satisfies Record<string, ErrorDef>;
