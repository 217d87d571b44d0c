/** EC2's error catalog (codes and statuses as AWS documents them). */
import type { ErrorDef } from "../../core/errors.js";

export const Ec2Errors = {
  DryRunOperation: {
    code: "DryRunOperation",
    status: 412,
    message: "Request would have succeeded, but DryRun flag is set.",
  },
  InvalidParameterValue: { code: "InvalidParameterValue", status: 400 },
  InvalidFilter: { code: "InvalidParameterValue", status: 400 },
} satisfies Record<string, ErrorDef>;
