/**
 * Amazon SES v1 (query API). Shares its state with SES v2 (./store.ts) and owns the Nimbus
 * mailbox routes, loopback only: `GET /_nimbus/ses/messages[?recipient=&account=]` lists every
 * message SES (and SNS email subscriptions) sent, `DELETE /_nimbus/ses/messages` empties it.
 * Signed-in console users read their own account's mail at /_nimbus/console/api/ses/messages.
 */
import { defineService, type RequestContext } from "../../core/service.js";
import type { SesOperations } from "../../generated/ses.js";
import { handlers } from "./provider.js";
import { allMailbox, bareAddress, clearMailbox } from "./sending.js";

const identityArn = (ctx: RequestContext, identity: string) => `arn:aws:ses:${ctx.region}:${ctx.account}:identity/${identity}`;
const onIdentity = (key: string) => (ctx: RequestContext, input: Record<string, unknown>) => ({ resources: [identityArn(ctx, String(input[key] ?? "*"))] });
const onSource = (ctx: RequestContext, input: Record<string, unknown>) => {
  const from = typeof input.Source === "string" ? bareAddress(input.Source) : "*";
  return { resources: [identityArn(ctx, from)], context: { "ses:FromAddress": from } };
};
const onTemplate = (key: string) => (ctx: RequestContext, input: Record<string, unknown>) => {
  const v = input[key];
  const name = typeof v === "string" ? v : typeof v === "object" && v !== null ? String((v as Record<string, unknown>).TemplateName ?? "*") : "*";
  return { resources: [`arn:aws:ses:${ctx.region}:${ctx.account}:template/${name}`] };
};
const onConfigSet = (ctx: RequestContext, input: Record<string, unknown>) => {
  const v = input.ConfigurationSetName ?? (input.ConfigurationSet as Record<string, unknown> | undefined)?.Name ?? "*";
  return { resources: [`arn:aws:ses:${ctx.region}:${ctx.account}:configuration-set/${String(v)}`] };
};

export const ses = defineService<SesOperations>({
  name: "ses",
  handlers,
  authorization: {
    VerifyEmailIdentity: onIdentity("EmailAddress"),
    VerifyDomainIdentity: onIdentity("Domain"),
    VerifyDomainDkim: onIdentity("Domain"),
    DeleteIdentity: onIdentity("Identity"),
    SendEmail: onSource,
    SendRawEmail: onSource,
    SendTemplatedEmail: onSource,
    SendBulkTemplatedEmail: onSource,
    CreateTemplate: onTemplate("Template"),
    UpdateTemplate: onTemplate("Template"),
    GetTemplate: onTemplate("TemplateName"),
    DeleteTemplate: onTemplate("TemplateName"),
    TestRenderTemplate: onTemplate("TemplateName"),
    CreateConfigurationSet: onConfigSet,
    DescribeConfigurationSet: onConfigSet,
    DeleteConfigurationSet: onConfigSet,
    UpdateConfigurationSetSendingEnabled: onConfigSet,
  },
  async nimbusRoutes(req, runtime) {
    if (req.path !== "messages") return undefined;
    if (req.method === "GET") {
      // Every account's mail: only for this machine. The console reads one account's mail
      // through its own session-checked endpoint (/_nimbus/console/api/ses/messages).
      if (!req.loopback) return { status: 403, json: { error: "Forbidden", message: "The mailbox answers loopback clients only; signed-in console users read their account's mail in the console." } };
      const recipient = req.query.get("recipient")?.toLowerCase();
      const account = req.query.get("account") ?? undefined;
      let messages = await allMailbox(runtime.storage.metadata, account);
      if (recipient) messages = messages.filter((m) => [...m.to, ...m.cc, ...m.bcc].some((a) => bareAddress(a).toLowerCase() === recipient));
      return { status: 200, json: messages };
    }
    if (req.method === "DELETE") {
      if (!req.loopback) return { status: 403, json: { error: "loopback only" } };
      const deleted = await clearMailbox(runtime.storage.metadata);
      return { status: 200, json: { deleted } };
    }
    return { status: 405, json: { error: "method not allowed" } };
  },
});
