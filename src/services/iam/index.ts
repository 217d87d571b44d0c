/**
 * AWS Identity and Access Management: users, groups, roles, policies, access keys, MFA and the
 * account's password policy, alias and credential report. Also what the rest of Nimbus needs
 * from IAM: the policy decider the gateway authorizes with, the policies of a principal, roles
 * by ARN (STS), TOTP checks (STS) and recording key use (the gateway).
 */
import { defineService } from "../../core/service.js";
import type { IamOperations } from "../../generated/iam.js";
import { IAM_AUTHORIZATION } from "./authorization-facts.js";
import { createPolicyDecider } from "./authorizer.js";
import { handlers } from "./provider.js";
import { recordAccessKeyUse } from "./principals.js";

export const iam = defineService<IamOperations>({
  name: "iam",
  handlers,
  authorization: IAM_AUTHORIZATION,
  start(runtime) {
    // IAM is the policy engine: from now on non-root principals are judged by their policies.
    runtime.setPolicyDecider(createPolicyDecider(runtime.storage.metadata));
    runtime.setCredentialUseRecorder((key, service, region, when) => recordAccessKeyUse(runtime.storage, key, service, region, when));
  },
});

export { collectPrincipalPolicies, getRoleByArn, recordAccessKeyUse, recordRoleUse } from "./principals.js";
export type { PrincipalPolicies, RoleInfo } from "./principals.js";
export { verifyTotp, enableRootMfa, deactivateRootMfa, signInMfaDevice } from "./mfa.js";
