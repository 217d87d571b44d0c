/**
 * AWS Identity and Access Management handlers (query protocol, global: state lives in region
 * aws-global). The operation families are in provider-*.ts; this file merges them.
 *
 * ## Gaps
 * - Not implemented (501): SAML and OpenID Connect providers, server and signing certificates,
 *   SSH public keys, service-specific credentials, service-linked roles, organizations and
 *   service last-accessed reports, ListPoliciesGrantingServiceAccess,
 *   SetSecurityTokenServicePreferences.
 * - Only virtual MFA devices exist (no hardware or U2F/FIDO devices).
 * - ReadOnlyAccess's document is abbreviated (see managed-policies.ts); only a selection of AWS
 *   managed policies exists, each with its default version only, and their policy ids and some
 *   creation dates are Nimbus's, not AWS's.
 * - The simulator gives MatchedStatements without StartPosition/EndPosition and never lists
 *   MissingContextValues; several ResourceArns give one result per action and resource (no
 *   ResourceSpecificResults). EC2 ResourceHandlingOption scenarios are accepted and ignored.
 * - Console sign-in (src/console) records PasswordLastUsed and enforces PasswordResetRequired
 *   and password expiry (MaxPasswordAge forces a new password; with HardExpiry the user cannot
 *   sign in). ChangePassword's error for a wrong old password (AccessDenied) is not confirmed
 *   against AWS.
 * - The access keys an account's root user was configured with (test/test) are not listed by
 *   ListAccessKeys; only root keys created through CreateAccessKey are.
 * - Authorization facts (authorization-facts.ts) give entity-scoped operations their resource
 *   ARNs and set iam:PolicyARN, iam:PermissionsBoundary, aws:RequestTag/*, aws:TagKeys and
 *   aws:ResourceTag/*; other IAM condition keys (iam:AWSServiceName, iam:OrganizationsPolicyId...)
 *   are not set.
 * - Writing an access key to the credential table happens just after IAM's own transaction
 *   commits; a crash between the two leaves a key that IAM lists but that cannot sign.
 *
 * ## By design
 * - Changes are immediate: no eventual consistency (AWS can take seconds to propagate).
 * - Markers are opaque (base64url of the last item's sort key); lists are ordered by name,
 *   regardless of case. Quotas are AWS's default quotas and cannot be raised.
 * - A new credential report is complete at once; GenerateCredentialReport still answers STARTED
 *   first and COMPLETE afterwards (for four hours, when the report expires), as clients poll for.
 * - TOTP: a code is accepted within four 30-second steps behind and one ahead of the clock
 *   (after ResyncMFADevice, of the learnt drift); each code is good once.
 * - AWS managed policies can be read and attached but not changed: changing one answers
 *   AccessDenied, as AWS does (they belong to AWS's account).
 *
 * ## Client quirks
 * - Documents (policy versions, inline policies, trust policies) come back URL-encoded as AWS
 *   sends them: the AWS CLI and boto3 decode them (to JSON objects); the SDK for JavaScript v3
 *   returns the encoded text (use decodeURIComponent).
 * - Base32StringSeed is the seed's base-32 text as a blob: SDK v3 gives its bytes (decode as
 *   ASCII), boto3 gives bytes, the CLI prints it base64-encoded unless --outfile is used.
 */
import type { IamOperations } from "../../generated/iam.js";
import { accountHandlers } from "./provider-account.js";
import { mfaHandlers } from "./provider-mfa.js";
import { policyHandlers } from "./provider-policies.js";
import { roleHandlers } from "./provider-roles.js";
import { simulateHandlers } from "./provider-simulate.js";
import { userHandlers } from "./provider-users.js";

export const handlers: Partial<IamOperations> = {
  ...userHandlers,
  ...roleHandlers,
  ...policyHandlers,
  ...mfaHandlers,
  ...accountHandlers,
  ...simulateHandlers,
};
