/**
 * Amazon SES v2 (REST API under /v2/email/): email identities, the account (sandbox, sending,
 * production access), SendEmail (Simple, Raw, Template) and SendBulkEmail, email templates and
 * configuration sets. One store with SES v1 (src/services/ses/store.ts): an identity verified
 * through either API is verified for both, and so on.
 *
 * ## Gaps
 * - Contact lists, suppression lists, dedicated IPs, deliverability dashboard, VDM, import/export
 *   jobs, identity policies, custom verification templates and multi-region endpoints answer 501.
 * - Event destinations are not delivered (no bounce or delivery events are produced).
 *
 * ## By design
 * - Verification is immediate (see SES v1). PutAccountDetails with ProductionAccessEnabled=true
 *   takes the account out of the sandbox at once (AWS reviews the request first).
 */
import type { Sesv2Operations } from "../../generated/sesv2.js";
import type { RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import { Sesv2Errors } from "../ses/errors.js";
import { accountOf, sesTables, type IdentityRecord, type TemplateRecord } from "../ses/store.js";
import {
  checkTemplateSyntax,
  deliver,
  dkimTokens,
  failedIdentities,
  parseTemplateData,
  recordRejected,
  renderTemplate,
  renderedMime,
  RenderError,
  unverifiedMessage,
  verificationToken,
  bareAddress,
  type Outgoing,
  type SendEnv,
} from "../ses/sending.js";
import { normalizeIdentity } from "../ses/provider.js";

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const t = (ctx: RequestContext) => sesTables(ctx.storage.metadata, ctx);
const env = (ctx: RequestContext): SendEnv => ({ metadata: ctx.storage.metadata, account: ctx.account, region: ctx.region, clock: ctx.clock, logger: ctx.logger });
const bad = (message: string) => new ServiceError(Sesv2Errors.BadRequestException, message);
const notFound = (message: string) => new ServiceError(Sesv2Errors.NotFoundException, message);

type Tag = { Key: string; Value: string };
const tagMap = (tags: Tag[] | undefined) => (tags ? Object.fromEntries(tags.map((x) => [x.Key, x.Value])) : undefined);
const tagList = (tags: Record<string, string> | undefined): Tag[] => Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));

function identityType(identity: string): "EmailAddress" | "Domain" {
  return identity.includes("@") ? "EmailAddress" : "Domain";
}
const v2Type = (r: IdentityRecord) => (r.type === "EmailAddress" ? "EMAIL_ADDRESS" : "DOMAIN");
function dkim(r: IdentityRecord) {
  return r.type === "Domain"
    ? { SigningEnabled: true, Status: "SUCCESS", Tokens: r.dkimTokens ?? [], SigningAttributesOrigin: "AWS_SES", NextSigningKeyLength: "RSA_2048_BIT", CurrentSigningKeyLength: "RSA_2048_BIT" }
    : { SigningEnabled: false, Status: "NOT_STARTED", Tokens: [] };
}

function page<T>(items: T[], token: string | undefined, size: number | undefined, keyOf: (x: T) => string) {
  const start = token ? Buffer.from(token, "base64url").toString("utf8") : undefined;
  const rest = start === undefined ? items : items.filter((x) => keyOf(x) > start);
  const limit = size && size > 0 ? size : rest.length;
  const pageItems = rest.slice(0, limit);
  const next = rest.length > limit ? Buffer.from(keyOf(pageItems[pageItems.length - 1]!), "utf8").toString("base64url") : undefined;
  return { pageItems, next };
}

async function requireTemplate(ctx: RequestContext, name: string): Promise<TemplateRecord> {
  const tpl = await t(ctx).templates.get(name);
  if (!tpl) throw notFound(`Template ${name} does not exist.`);
  return tpl;
}

function renderFailure(e: unknown): never {
  if (e instanceof RenderError) throw bad(e.message);
  throw e;
}

async function send(ctx: RequestContext, msg: Outgoing): Promise<string> {
  const all = [...msg.to, ...msg.cc, ...msg.bcc];
  if (all.length === 0) throw bad("Missing final '@domain'");
  if (all.length > 50) throw new ServiceError(Sesv2Errors.MessageRejected, "Recipient count exceeds 50.");
  if (!msg.from) throw bad("Missing required parameter FromEmailAddress.");
  for (const a of [msg.from, ...all]) if (!bareAddress(a).includes("@")) throw bad("Missing final '@domain'");
  const account = await accountOf(ctx.storage.metadata, ctx);
  if (!account.sendingEnabled) throw new ServiceError(Sesv2Errors.SendingPausedException, "Account sending is disabled.");
  if (msg.configurationSetName !== undefined) {
    const cs = await t(ctx).configSets.get(msg.configurationSetName);
    if (!cs) throw notFound(`Configuration set ${msg.configurationSetName} does not exist.`);
    if (!cs.sendingEnabled) throw new ServiceError(Sesv2Errors.SendingPausedException, `Sending is paused for configuration set ${msg.configurationSetName}.`);
  }
  const failed = await failedIdentities(env(ctx), msg.from, all);
  if (failed.length > 0) throw new ServiceError(Sesv2Errors.MessageRejected, unverifiedMessage(ctx.region, failed));
  return (await deliver(env(ctx), msg)).messageId;
}

interface V2Template {
  TemplateName?: string;
  TemplateArn?: string;
  TemplateData?: string;
  TemplateContent?: { Subject?: string; Text?: string; Html?: string };
}

async function templateOf(ctx: RequestContext, tpl: V2Template): Promise<TemplateRecord> {
  if (tpl.TemplateContent) return { name: "inline", subject: tpl.TemplateContent.Subject, text: tpl.TemplateContent.Text, html: tpl.TemplateContent.Html, createdAt: 0 } as TemplateRecord;
  const name = tpl.TemplateName ?? /:template\/(.+)$/.exec(tpl.TemplateArn ?? "")?.[1];
  if (!name) throw bad("Template name or ARN must be specified.");
  return requireTemplate(ctx, name);
}

export const handlers: Partial<Sesv2Operations> = {
  // ---- identities ---------------------------------------------------------------------------
  async CreateEmailIdentity(ctx, input) {
    const identity = normalizeIdentity(input.EmailIdentity);
    const type = identityType(identity);
    if (type === "EmailAddress" && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(identity)) throw bad(`Invalid email address ${identity}.`);
    if (type === "Domain" && !/^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/.test(identity)) throw bad(`Invalid domain name ${identity}.`);
    const tags = tagMap(input.Tags);
    const record: IdentityRecord = {
      identity,
      type,
      createdAt: ctx.clock.nowMs(),
      ...(type === "Domain" ? { verificationToken: verificationToken(), dkimTokens: dkimTokens() } : {}),
      ...(tags ? { tags } : {}),
      ...(input.ConfigurationSetName ? { configurationSetName: input.ConfigurationSetName } : {}),
    };
    if (!(await t(ctx).identities.insert(identity, record))) throw new ServiceError(Sesv2Errors.AlreadyExistsException, `Email identity ${identity} already exist.`);
    return { IdentityType: v2Type(record), VerifiedForSendingStatus: true, DkimAttributes: dkim(record) };
  },
  async GetEmailIdentity(ctx, input) {
    const r = await t(ctx).identities.get(normalizeIdentity(input.EmailIdentity));
    if (!r) throw notFound(`Email identity ${input.EmailIdentity} does not exist.`);
    return {
      IdentityType: v2Type(r),
      FeedbackForwardingStatus: r.feedbackForwarding ?? true,
      VerifiedForSendingStatus: true,
      DkimAttributes: dkim(r),
      Policies: {},
      Tags: tagList(r.tags),
      ...(r.configurationSetName ? { ConfigurationSetName: r.configurationSetName } : {}),
      VerificationStatus: "SUCCESS",
    };
  },
  async ListEmailIdentities(ctx, input) {
    if (input.PageSize !== undefined && (input.PageSize < 1 || input.PageSize > 1000)) throw bad("PageSize must be between 1 and 1000.");
    const all = (await t(ctx).identities.list()).map((e) => e.value);
    const { pageItems, next } = page(all, input.NextToken, input.PageSize, (r) => r.identity);
    return {
      EmailIdentities: pageItems.map((r) => ({ IdentityType: v2Type(r), IdentityName: r.identity, SendingEnabled: true, VerificationStatus: "SUCCESS" })),
      ...(next ? { NextToken: next } : {}),
    };
  },
  // The POST form current SDKs send (see models/overlays/sesv2.json).
  async ListEmailIdentitiesPost(ctx, input) {
    return handlers.ListEmailIdentities!(ctx, { ...(input.NextToken ? { NextToken: input.NextToken } : {}), ...(input.PageSize !== undefined ? { PageSize: input.PageSize } : {}) });
  },
  async DeleteEmailIdentity(ctx, input) {
    if (!(await t(ctx).identities.delete(normalizeIdentity(input.EmailIdentity)))) throw notFound(`Email identity ${input.EmailIdentity} does not exist.`);
    return {};
  },

  // ---- account ------------------------------------------------------------------------------
  async GetAccount(ctx) {
    const account = await accountOf(ctx.storage.metadata, ctx);
    const since = ctx.clock.nowMs() - 86_400_000;
    const sent = (await t(ctx).sends.list()).map((e) => e.value).filter((s) => s.t >= since && !s.rejected);
    return {
      DedicatedIpAutoWarmupEnabled: false,
      EnforcementStatus: "HEALTHY",
      ProductionAccessEnabled: !account.sandbox,
      SendQuota: { Max24HourSend: account.sandbox ? 200 : 50000, MaxSendRate: account.sandbox ? 1 : 14, SentLast24Hours: sent.reduce((n, s) => n + s.recipients, 0) },
      SendingEnabled: account.sendingEnabled,
      SuppressionAttributes: { SuppressedReasons: [] },
      ...(account.details ? { Details: account.details } : {}),
    };
  },
  async PutAccountDetails(ctx, input) {
    if (!["MARKETING", "TRANSACTIONAL"].includes(input.MailType)) throw bad(`Invalid MailType ${input.MailType}.`);
    const account = await accountOf(ctx.storage.metadata, ctx);
    const details = {
      MailType: input.MailType,
      WebsiteURL: input.WebsiteURL,
      ...(input.ContactLanguage ? { ContactLanguage: input.ContactLanguage } : {}),
      ...(input.UseCaseDescription ? { UseCaseDescription: input.UseCaseDescription } : {}),
      AdditionalContactEmailAddresses: input.AdditionalContactEmailAddresses ?? [],
      ReviewDetails: { Status: input.ProductionAccessEnabled ? "GRANTED" : "PENDING", CaseId: "nimbus" },
    };
    await t(ctx).account.put("account", { ...account, sandbox: input.ProductionAccessEnabled ? false : account.sandbox, details });
    return {};
  },
  async PutAccountSendingAttributes(ctx, input) {
    const account = await accountOf(ctx.storage.metadata, ctx);
    await t(ctx).account.put("account", { ...account, sendingEnabled: input.SendingEnabled ?? false });
    return {};
  },

  // ---- sending -------------------------------------------------------------------------------
  async SendEmail(ctx, input) {
    const d = input.Destination ?? {};
    const base = {
      from: input.FromEmailAddress ?? "",
      to: d.ToAddresses ?? [],
      cc: d.CcAddresses ?? [],
      bcc: d.BccAddresses ?? [],
      ...(input.ReplyToAddresses ? { replyTo: input.ReplyToAddresses } : {}),
      ...(input.ConfigurationSetName ? { configurationSetName: input.ConfigurationSetName } : {}),
      ...(input.EmailTags ? { tags: Object.fromEntries(input.EmailTags.map((x) => [x.Name, x.Value])) } : {}),
    };
    const c = input.Content;
    const given = [c.Simple, c.Raw, c.Template].filter((x) => x !== undefined).length;
    if (given !== 1) throw bad("Exactly one of Simple, Raw or Template content must be specified.");
    if (c.Simple) {
      const MessageId = await send(ctx, {
        ...base,
        subject: c.Simple.Subject.Data,
        ...(c.Simple.Body.Text ? { text: c.Simple.Body.Text.Data } : {}),
        ...(c.Simple.Body.Html ? { html: c.Simple.Body.Html.Data } : {}),
      });
      return { MessageId };
    }
    if (c.Raw) {
      const raw = Buffer.from(c.Raw.Data);
      const { simpleParser } = await import("mailparser");
      const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
      const list = (a: typeof parsed.to) => (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => v.address ?? "")).filter(Boolean);
      const explicit = base.to.length + base.cc.length + base.bcc.length > 0;
      const MessageId = await send(ctx, {
        ...base,
        from: base.from || (parsed.from?.value[0]?.address ?? ""),
        to: explicit ? base.to : list(parsed.to),
        cc: explicit ? base.cc : list(parsed.cc),
        bcc: explicit ? base.bcc : list(parsed.bcc),
        subject: parsed.subject ?? "",
        raw,
      });
      return { MessageId };
    }
    const tplIn = c.Template as V2Template;
    const tpl = await templateOf(ctx, tplIn);
    let data: Record<string, unknown>;
    try {
      data = parseTemplateData(tplIn.TemplateData ?? "{}");
    } catch (e) {
      return renderFailure(e);
    }
    let rendered: Awaited<ReturnType<typeof renderTemplate>> | undefined;
    try {
      rendered = await renderTemplate(tpl, data);
    } catch {
      rendered = undefined;
    }
    if (!rendered) {
      const failed = await failedIdentities(env(ctx), base.from, [...base.to, ...base.cc, ...base.bcc]);
      if (failed.length > 0) throw new ServiceError(Sesv2Errors.MessageRejected, unverifiedMessage(ctx.region, failed));
      await recordRejected(env(ctx), base.to.length + base.cc.length + base.bcc.length);
      return { MessageId: `${ctx.clock.nowMs().toString(16).padStart(16, "0")}-rendering-failure-000000` };
    }
    const MessageId = await send(ctx, {
      ...base,
      subject: rendered.subject,
      ...(rendered.text !== undefined ? { text: rendered.text } : {}),
      ...(rendered.html !== undefined ? { html: rendered.html } : {}),
    });
    return { MessageId };
  },

  // ---- templates -----------------------------------------------------------------------------
  async CreateEmailTemplate(ctx, input) {
    if (!NAME.test(input.TemplateName)) throw bad("Template name must contain only alphanumeric characters, underscores and dashes, and be at most 64 characters long.");
    const c = input.TemplateContent;
    const syntax = await checkTemplateSyntax(c.Subject, c.Text, c.Html);
    if (syntax) throw bad(`Invalid Template: ${syntax}`);
    const rec: TemplateRecord = {
      name: input.TemplateName,
      ...(c.Subject !== undefined ? { subject: c.Subject } : {}),
      ...(c.Text !== undefined ? { text: c.Text } : {}),
      ...(c.Html !== undefined ? { html: c.Html } : {}),
      createdAt: ctx.clock.nowMs(),
    };
    if (!(await t(ctx).templates.insert(input.TemplateName, rec))) throw new ServiceError(Sesv2Errors.AlreadyExistsException, `Template ${input.TemplateName} already exists for account id ${ctx.account}`);
    return {};
  },
  async GetEmailTemplate(ctx, input) {
    const tpl = await requireTemplate(ctx, input.TemplateName);
    return {
      TemplateName: tpl.name,
      TemplateContent: {
        ...(tpl.subject !== undefined ? { Subject: tpl.subject } : {}),
        ...(tpl.text !== undefined ? { Text: tpl.text } : {}),
        ...(tpl.html !== undefined ? { Html: tpl.html } : {}),
      },
    };
  },
  async UpdateEmailTemplate(ctx, input) {
    const tpl = await requireTemplate(ctx, input.TemplateName);
    const c = input.TemplateContent;
    const syntax = await checkTemplateSyntax(c.Subject, c.Text, c.Html);
    if (syntax) throw bad(`Invalid Template: ${syntax}`);
    await t(ctx).templates.put(tpl.name, {
      name: tpl.name,
      ...(c.Subject !== undefined ? { subject: c.Subject } : {}),
      ...(c.Text !== undefined ? { text: c.Text } : {}),
      ...(c.Html !== undefined ? { html: c.Html } : {}),
      createdAt: tpl.createdAt,
    });
    return {};
  },
  async DeleteEmailTemplate(ctx, input) {
    if (!(await t(ctx).templates.delete(input.TemplateName))) throw notFound(`Template ${input.TemplateName} does not exist.`);
    return {};
  },
  async ListEmailTemplates(ctx, input) {
    const all = (await t(ctx).templates.list()).map((e) => e.value);
    const { pageItems, next } = page(all, input.NextToken, input.PageSize ?? 10, (r) => r.name);
    return { TemplatesMetadata: pageItems.map((r) => ({ TemplateName: r.name, CreatedTimestamp: new Date(r.createdAt) })), ...(next ? { NextToken: next } : {}) };
  },
  async TestRenderEmailTemplate(ctx, input) {
    const tpl = await requireTemplate(ctx, input.TemplateName);
    try {
      const rendered = await renderTemplate(tpl, parseTemplateData(input.TemplateData));
      return { RenderedTemplate: await renderedMime("", rendered, ctx.clock.nowMs()) };
    } catch (e) {
      return renderFailure(e);
    }
  },

  // ---- configuration sets ---------------------------------------------------------------------
  async CreateConfigurationSet(ctx, input) {
    if (!NAME.test(input.ConfigurationSetName)) throw bad("Configuration set name must contain only alphanumeric characters, underscores and dashes, and be at most 64 characters long.");
    const { ConfigurationSetName, Tags, ...options } = input;
    const tags = tagMap(Tags);
    const created = await t(ctx).configSets.insert(ConfigurationSetName, {
      name: ConfigurationSetName,
      createdAt: ctx.clock.nowMs(),
      sendingEnabled: (options.SendingOptions as { SendingEnabled?: boolean } | undefined)?.SendingEnabled ?? true,
      options: options as Record<string, unknown>,
      ...(tags ? { tags } : {}),
    });
    if (!created) throw new ServiceError(Sesv2Errors.AlreadyExistsException, `Configuration set ${ConfigurationSetName} already exists.`);
    return {};
  },
  async GetConfigurationSet(ctx, input) {
    const cs = await t(ctx).configSets.get(input.ConfigurationSetName);
    if (!cs) throw notFound(`Configuration set ${input.ConfigurationSetName} does not exist.`);
    return {
      ConfigurationSetName: cs.name,
      ...(cs.options ?? {}),
      SendingOptions: { SendingEnabled: cs.sendingEnabled },
      Tags: tagList(cs.tags),
    };
  },
  async ListConfigurationSets(ctx, input) {
    const all = (await t(ctx).configSets.list()).map((e) => e.value);
    const { pageItems, next } = page(all, input.NextToken, input.PageSize, (r) => r.name);
    return { ConfigurationSets: pageItems.map((r) => r.name), ...(next ? { NextToken: next } : {}) };
  },
  async ListConfigurationSetsPost(ctx, input) {
    return handlers.ListConfigurationSets!(ctx, { ...(input.NextToken ? { NextToken: input.NextToken } : {}), ...(input.PageSize !== undefined ? { PageSize: input.PageSize } : {}) });
  },
  async DeleteConfigurationSet(ctx, input) {
    if (!(await t(ctx).configSets.delete(input.ConfigurationSetName))) throw notFound(`Configuration set ${input.ConfigurationSetName} does not exist.`);
    return {};
  },
};
