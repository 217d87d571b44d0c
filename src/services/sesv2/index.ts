/** Amazon SES v2 (REST, /v2/email/...): one store with SES v1 (src/services/ses). */
import { defineService, type RequestContext } from "../../core/service.js";
import type { Sesv2Operations } from "../../generated/sesv2.js";
import { handlers } from "./provider.js";
import { bareAddress } from "../ses/sending.js";

const arn = (ctx: RequestContext, rest: string) => `arn:aws:ses:${ctx.region}:${ctx.account}:${rest}`;
const onIdentity = (ctx: RequestContext, input: Record<string, unknown>) => ({ resources: [arn(ctx, `identity/${String(input.EmailIdentity ?? "*")}`)] });
const onTemplate = (ctx: RequestContext, input: Record<string, unknown>) => ({ resources: [arn(ctx, `template/${String(input.TemplateName ?? "*")}`)] });
const onConfigSet = (ctx: RequestContext, input: Record<string, unknown>) => ({ resources: [arn(ctx, `configuration-set/${String(input.ConfigurationSetName ?? "*")}`)] });

export const sesv2 = defineService<Sesv2Operations>({
  name: "sesv2",
  // SES v2 actions are `ses:<Operation>` in IAM, like v1's.
  iamPrefix: "ses",
  handlers,
  authorization: {
    CreateEmailIdentity: onIdentity,
    GetEmailIdentity: onIdentity,
    DeleteEmailIdentity: onIdentity,
    CreateEmailTemplate: onTemplate,
    GetEmailTemplate: onTemplate,
    UpdateEmailTemplate: onTemplate,
    DeleteEmailTemplate: onTemplate,
    TestRenderEmailTemplate: onTemplate,
    CreateConfigurationSet: onConfigSet,
    GetConfigurationSet: onConfigSet,
    DeleteConfigurationSet: onConfigSet,
    ListEmailIdentitiesPost: () => ({ action: "ses:ListEmailIdentities" }),
    ListConfigurationSetsPost: () => ({ action: "ses:ListConfigurationSets" }),
    SendEmail: (ctx, input) => {
      const from = typeof input.FromEmailAddress === "string" ? bareAddress(input.FromEmailAddress) : "*";
      return { resources: [arn(ctx, `identity/${from}`)], context: { "ses:FromAddress": from } };
    },
  },
});
