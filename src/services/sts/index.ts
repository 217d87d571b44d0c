/** AWS Security Token Service: who is calling, and (with IAM) temporary credentials. */
import { defineService } from "../../core/service.js";
import type { StsOperations } from "../../generated/sts.js";
import { handlers } from "./provider.js";

export const sts = defineService<StsOperations>({
  name: "sts",
  handlers,
  // These are called with the web identity or SAML token as the proof, not a signature.
  anonymousOperations: ["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"],
  // AWS documents these as needing no permission: no policy can deny them.
  noPermissionRequired: ["GetCallerIdentity", "GetSessionToken"],
});
