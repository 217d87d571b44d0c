/** AWS Security Token Service: who is calling, and temporary credentials. */
import { defineService } from "../../core/service.js";
import type { StsOperations } from "../../generated/sts.js";
import { getRoleByArn } from "../iam/principals.js";
import { handlers } from "./provider.js";

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\//;

export const sts = defineService<StsOperations>({
  name: "sts",
  handlers,
  // These are called with the web identity or SAML token as the proof, not a signature.
  anonymousOperations: ["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"],
  // AWS documents these as needing no permission: no policy can deny them.
  noPermissionRequired: ["GetCallerIdentity", "GetSessionToken"],
  // The handler answers root's AssumeRole with AWS's own refusal.
  rootAlwaysAllowed: ["AssumeRole"],
  authorization: {
    // The role's trust policy decides, together with the caller's own policies across accounts.
    AssumeRole: (ctx, input) => {
      const roleArn = String(input.RoleArn);
      const tags = (input.Tags as Array<{ Key: string; Value: string }> | undefined) ?? [];
      const context: Record<string, string | string[]> = { "sts:RoleSessionName": String(input.RoleSessionName) };
      if (typeof input.ExternalId === "string") context["sts:ExternalId"] = input.ExternalId;
      if (typeof input.SourceIdentity === "string") context["sts:SourceIdentity"] = input.SourceIdentity;
      for (const t of tags) context[`aws:RequestTag/${t.Key}`] = t.Value;
      if (tags.length) context["aws:TagKeys"] = tags.map((t) => t.Key);
      return {
        resources: [roleArn],
        resourceAccount: ROLE_ARN.exec(roleArn)?.[1] ?? ctx.account,
        resourcePolicyKind: "trust",
        requireResourcePolicy: true,
        context,
      };
    },
  },
  async resourcePolicy(ctx, arn) {
    return (await getRoleByArn(ctx.storage.metadata, arn))?.trustPolicy;
  },
});
