/**
 * Amazon SES v1 (query API): identities (verification is immediate), sending quota and
 * statistics, SendEmail / SendRawEmail / SendTemplatedEmail / SendBulkTemplatedEmail, templates
 * (Handlebars, as SES renders them), configuration sets. State is shared with SES v2
 * (src/services/sesv2) through ./store.ts; every sent message lands in the Nimbus mailbox
 * (`GET /_nimbus/ses/messages`) and is relayed to `NIMBUS_SMTP_URL` when set.
 *
 * ## Gaps
 * - Receipt rules, custom verification emails, identity policies, notification topics
 *   (bounce/complaint feedback), MAIL FROM domains and event destinations answer 501.
 * - No bounces or complaints are simulated: every accepted message counts as a delivery attempt.
 * - A template that fails to render at send time is counted as a reject and not delivered
 *   (AWS reports a Rendering Failure event); there are no event destinations to tell.
 *
 * ## By design
 * - Verification is immediate: VerifyEmailIdentity / VerifyDomainIdentity mark the identity
 *   verified at once (no mail is sent, no DNS is checked).
 * - The account starts in the sandbox (200 messages a day, 1 per second, verified recipients
 *   only); SES v2 PutAccountDetails with ProductionAccessEnabled=true leaves it at once.
 * - Quotas are reported, not enforced.
 *
 * ## Client quirks
 * - Identities are matched case-sensitively in the local part and case-insensitively in the
 *   domain, as SES does.
 */
import type { SesOperations } from "../../generated/ses.js";
import type { RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import { SesErrors } from "./errors.js";
import { accountOf, sesTables, type TemplateRecord } from "./store.js";
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
} from "./sending.js";

const TEMPLATE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const CONFIG_SET_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_RECIPIENTS = 50;

const t = (ctx: RequestContext) => sesTables(ctx.storage.metadata, ctx);
const env = (ctx: RequestContext): SendEnv => ({ metadata: ctx.storage.metadata, account: ctx.account, region: ctx.region, clock: ctx.clock, logger: ctx.logger });
const invalid = (message: string) => new ServiceError(SesErrors.InvalidParameterValue, message);

/** Domain part lower-cased, local part kept (SES treats identities that way). */
export function normalizeIdentity(identity: string): string {
  const at = identity.lastIndexOf("@");
  return at < 0 ? identity.toLowerCase() : identity.slice(0, at) + "@" + identity.slice(at + 1).toLowerCase();
}

export function checkEmail(address: string): void {
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) throw invalid(`Invalid email address<${address}>.`);
}

export function checkDomain(domain: string): void {
  if (!/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/.test(domain)) throw invalid(`Invalid domain name ${domain}.`);
}

async function addIdentity(ctx: RequestContext, identity: string, type: "EmailAddress" | "Domain") {
  const id = normalizeIdentity(identity);
  const existing = await t(ctx).identities.get(id);
  if (existing) return existing;
  const record = {
    identity: id,
    type,
    createdAt: ctx.clock.nowMs(),
    ...(type === "Domain" ? { verificationToken: verificationToken(), dkimTokens: dkimTokens() } : {}),
  };
  await t(ctx).identities.put(id, record);
  return record;
}

async function requireConfigSet(ctx: RequestContext, name: string | undefined): Promise<void> {
  if (name === undefined) return;
  const cs = await t(ctx).configSets.get(name);
  if (!cs) throw new ServiceError(SesErrors.ConfigurationSetDoesNotExist, `Configuration set <${name}> does not exist.`, { ConfigurationSetName: name });
  if (!cs.sendingEnabled) throw new ServiceError(SesErrors.ConfigurationSetSendingPausedException, `Sending is paused for this configuration set.`, { ConfigurationSetName: name });
}

/** The checks every v1 send makes before accepting, then delivery. */
async function send(ctx: RequestContext, msg: Outgoing): Promise<string> {
  const all = [...msg.to, ...msg.cc, ...msg.bcc];
  if (all.length === 0) throw new ServiceError(SesErrors.MessageRejected, "Missing final '@domain'");
  if (all.length > MAX_RECIPIENTS) throw new ServiceError(SesErrors.MessageRejected, `Recipient count exceeds ${MAX_RECIPIENTS}.`);
  for (const a of [msg.from, ...all]) if (!bareAddress(a).includes("@")) throw invalid("Missing final '@domain'");
  const account = await accountOf(ctx.storage.metadata, ctx);
  if (!account.sendingEnabled) throw new ServiceError(SesErrors.AccountSendingPausedException);
  await requireConfigSet(ctx, msg.configurationSetName);
  const failed = await failedIdentities(env(ctx), msg.from, all);
  if (failed.length > 0) throw new ServiceError(SesErrors.MessageRejected, unverifiedMessage(ctx.region, failed));
  return (await deliver(env(ctx), msg)).messageId;
}

const tagsOf = (tags: { Name: string; Value: string }[] | undefined) => (tags ? Object.fromEntries(tags.map((x) => [x.Name, x.Value])) : undefined);

async function requireTemplate(ctx: RequestContext, name: string): Promise<TemplateRecord> {
  const tpl = await t(ctx).templates.get(name);
  if (!tpl) throw new ServiceError(SesErrors.TemplateDoesNotExist, `Template ${name} does not exist.`, { TemplateName: name });
  return tpl;
}

function renderError(e: unknown): never {
  if (e instanceof RenderError) {
    if (e.kind === "missing") throw new ServiceError(SesErrors.MissingRenderingAttribute, e.message);
    if (e.kind === "invalid-data") throw new ServiceError(SesErrors.InvalidRenderingParameter, e.message);
    throw new ServiceError(SesErrors.InvalidTemplate, e.message);
  }
  throw e;
}

/** A templated send: checks as any send; a rendering failure drops the message after acceptance, as on AWS. */
async function sendTemplated(ctx: RequestContext, tpl: TemplateRecord, data: string, base: Omit<Outgoing, "subject">): Promise<string> {
  let rendered: Awaited<ReturnType<typeof renderTemplate>> | undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = parseTemplateData(data);
  } catch (e) {
    return renderError(e);
  }
  try {
    rendered = await renderTemplate(tpl, parsed);
  } catch {
    rendered = undefined;
  }
  if (!rendered) {
    const all = [...base.to, ...base.cc, ...base.bcc];
    const failed = await failedIdentities(env(ctx), base.from, all);
    if (failed.length > 0) throw new ServiceError(SesErrors.MessageRejected, unverifiedMessage(ctx.region, failed));
    await recordRejected(env(ctx), all.length);
    return `${ctx.clock.nowMs().toString(16).padStart(16, "0")}-rendering-failure-000000`;
  }
  return send(ctx, {
    ...base,
    subject: rendered.subject,
    ...(rendered.text !== undefined ? { text: rendered.text } : {}),
    ...(rendered.html !== undefined ? { html: rendered.html } : {}),
  });
}

function checkTemplateName(name: string): void {
  if (!TEMPLATE_NAME.test(name)) throw invalid("Template name must contain only alphanumeric characters, underscores and dashes, and be at most 64 characters long.");
}

function page<T>(items: T[], token: string | undefined, max: number | undefined, keyOf: (x: T) => string) {
  const start = token ? Buffer.from(token, "base64url").toString("utf8") : undefined;
  const rest = start === undefined ? items : items.filter((x) => keyOf(x) > start);
  const limit = max && max > 0 ? max : rest.length;
  const pageItems = rest.slice(0, limit);
  const next = rest.length > limit ? Buffer.from(keyOf(pageItems[pageItems.length - 1]!), "utf8").toString("base64url") : undefined;
  return { pageItems, next };
}

export const handlers: Partial<SesOperations> = {
  // ---- identities ---------------------------------------------------------------------------
  async VerifyEmailIdentity(ctx, input) {
    checkEmail(input.EmailAddress);
    await addIdentity(ctx, input.EmailAddress, "EmailAddress");
    return {};
  },
  async VerifyEmailAddress(ctx, input) {
    checkEmail(input.EmailAddress);
    await addIdentity(ctx, input.EmailAddress, "EmailAddress");
    return {};
  },
  async VerifyDomainIdentity(ctx, input) {
    checkDomain(input.Domain);
    const r = await addIdentity(ctx, input.Domain, "Domain");
    return { VerificationToken: r.verificationToken ?? "" };
  },
  async VerifyDomainDkim(ctx, input) {
    checkDomain(input.Domain);
    const r = await addIdentity(ctx, input.Domain, "Domain");
    return { DkimTokens: r.dkimTokens ?? [] };
  },
  async ListIdentities(ctx, input) {
    if (input.IdentityType !== undefined && !["EmailAddress", "Domain"].includes(input.IdentityType)) {
      throw invalid(`Invalid identity type: ${input.IdentityType}`);
    }
    if (input.MaxItems !== undefined && (input.MaxItems < 1 || input.MaxItems > 1000)) throw invalid("MaxItems must be between 1 and 1000.");
    const all = (await t(ctx).identities.list()).map((e) => e.value).filter((r) => input.IdentityType === undefined || r.type === input.IdentityType);
    const { pageItems, next } = page(all, input.NextToken, input.MaxItems, (r) => r.identity);
    return { Identities: pageItems.map((r) => r.identity), ...(next ? { NextToken: next } : {}) };
  },
  async ListVerifiedEmailAddresses(ctx) {
    const all = (await t(ctx).identities.list()).map((e) => e.value).filter((r) => r.type === "EmailAddress");
    return { VerifiedEmailAddresses: all.map((r) => r.identity) };
  },
  async DeleteIdentity(ctx, input) {
    await t(ctx).identities.delete(normalizeIdentity(input.Identity));
    return {};
  },
  async DeleteVerifiedEmailAddress(ctx, input) {
    await t(ctx).identities.delete(normalizeIdentity(input.EmailAddress));
    return {};
  },
  async GetIdentityVerificationAttributes(ctx, input) {
    if (input.Identities.length > 100) throw invalid("Too many identities: at most 100 may be requested.");
    const out: Record<string, { VerificationStatus: string; VerificationToken?: string }> = {};
    for (const id of input.Identities) {
      const r = await t(ctx).identities.get(normalizeIdentity(id));
      if (r) out[id] = { VerificationStatus: "Success", ...(r.verificationToken ? { VerificationToken: r.verificationToken } : {}) };
    }
    return { VerificationAttributes: out };
  },
  async GetIdentityDkimAttributes(ctx, input) {
    const out: Record<string, { DkimEnabled: boolean; DkimVerificationStatus: string; DkimTokens?: string[] }> = {};
    for (const id of input.Identities) {
      const r = await t(ctx).identities.get(normalizeIdentity(id));
      if (!r) continue;
      out[id] =
        r.type === "Domain"
          ? { DkimEnabled: true, DkimVerificationStatus: "Success", DkimTokens: r.dkimTokens ?? [] }
          : { DkimEnabled: false, DkimVerificationStatus: "NotStarted" };
    }
    return { DkimAttributes: out };
  },

  // ---- account ------------------------------------------------------------------------------
  async GetSendQuota(ctx) {
    const account = await accountOf(ctx.storage.metadata, ctx);
    const since = ctx.clock.nowMs() - 86_400_000;
    const sends = (await t(ctx).sends.list()).map((e) => e.value).filter((s) => s.t >= since && !s.rejected);
    return {
      Max24HourSend: account.sandbox ? 200 : 50000,
      MaxSendRate: account.sandbox ? 1 : 14,
      SentLast24Hours: sends.reduce((n, s) => n + s.recipients, 0),
    };
  },
  async GetSendStatistics(ctx) {
    const since = ctx.clock.nowMs() - 14 * 86_400_000;
    const buckets = new Map<number, { DeliveryAttempts: number; Rejects: number }>();
    for (const { value: s } of await t(ctx).sends.list()) {
      if (s.t < since) continue;
      const b = Math.floor(s.t / 900_000) * 900_000;
      const v = buckets.get(b) ?? { DeliveryAttempts: 0, Rejects: 0 };
      if (s.rejected) v.Rejects += 1;
      else v.DeliveryAttempts += s.recipients;
      buckets.set(b, v);
    }
    return {
      SendDataPoints: [...buckets.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([b, v]) => ({ Timestamp: new Date(b), DeliveryAttempts: v.DeliveryAttempts, Bounces: 0, Complaints: 0, Rejects: v.Rejects })),
    };
  },
  async GetAccountSendingEnabled(ctx) {
    return { Enabled: (await accountOf(ctx.storage.metadata, ctx)).sendingEnabled };
  },
  async UpdateAccountSendingEnabled(ctx, input) {
    const account = await accountOf(ctx.storage.metadata, ctx);
    await t(ctx).account.put("account", { ...account, sendingEnabled: input.Enabled ?? false });
    return {};
  },

  // ---- sending -------------------------------------------------------------------------------
  async SendEmail(ctx, input) {
    const d = input.Destination;
    const MessageId = await send(ctx, {
      from: input.Source,
      to: d.ToAddresses ?? [],
      cc: d.CcAddresses ?? [],
      bcc: d.BccAddresses ?? [],
      ...(input.ReplyToAddresses ? { replyTo: input.ReplyToAddresses } : {}),
      subject: input.Message.Subject.Data,
      ...(input.Message.Body.Text ? { text: input.Message.Body.Text.Data } : {}),
      ...(input.Message.Body.Html ? { html: input.Message.Body.Html.Data } : {}),
      ...(input.ConfigurationSetName ? { configurationSetName: input.ConfigurationSetName } : {}),
      ...(input.Tags ? { tags: tagsOf(input.Tags) } : {}),
    });
    return { MessageId };
  },
  async SendRawEmail(ctx, input) {
    const raw = Buffer.from(input.RawMessage.Data);
    if (raw.length > 10 * 1024 * 1024) throw new ServiceError(SesErrors.MessageRejected, "Message length is more than 10485760 bytes long: '" + raw.length + "'.");
    const { simpleParser } = await import("mailparser");
    const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
    const from = input.Source ?? parsed.from?.value[0]?.address;
    if (!from) throw invalid("Missing required header 'From'.");
    const list = (a: typeof parsed.to) => (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => v.address ?? "")).filter(Boolean);
    const to = input.Destinations ?? list(parsed.to);
    const cc = input.Destinations ? [] : list(parsed.cc);
    const bcc = input.Destinations ? [] : list(parsed.bcc);
    const MessageId = await send(ctx, {
      from,
      to,
      cc,
      bcc,
      subject: parsed.subject ?? "",
      raw,
      ...(input.ConfigurationSetName ? { configurationSetName: input.ConfigurationSetName } : {}),
      ...(input.Tags ? { tags: tagsOf(input.Tags) } : {}),
    });
    return { MessageId };
  },
  async SendTemplatedEmail(ctx, input) {
    const tpl = await requireTemplate(ctx, input.Template);
    const d = input.Destination;
    const MessageId = await sendTemplated(ctx, tpl, input.TemplateData, {
      from: input.Source,
      to: d.ToAddresses ?? [],
      cc: d.CcAddresses ?? [],
      bcc: d.BccAddresses ?? [],
      ...(input.ReplyToAddresses ? { replyTo: input.ReplyToAddresses } : {}),
      ...(input.ConfigurationSetName ? { configurationSetName: input.ConfigurationSetName } : {}),
      ...(input.Tags ? { tags: tagsOf(input.Tags) } : {}),
    });
    return { MessageId };
  },
  async SendBulkTemplatedEmail(ctx, input) {
    const tpl = await requireTemplate(ctx, input.Template);
    if (input.Destinations.length > 50) throw invalid("Too many destinations: at most 50 may be given.");
    parseTemplateDataOr(input.DefaultTemplateData);
    await requireConfigSet(ctx, input.ConfigurationSetName);
    const Status: { Status: string; MessageId?: string; Error?: string }[] = [];
    for (const dest of input.Destinations) {
      const data = { ...parseTemplateDataOr(input.DefaultTemplateData), ...(dest.ReplacementTemplateData ? parseTemplateDataOr(dest.ReplacementTemplateData) : {}) };
      try {
        const MessageId = await sendTemplated(ctx, tpl, JSON.stringify(data), {
          from: input.Source,
          to: dest.Destination.ToAddresses ?? [],
          cc: dest.Destination.CcAddresses ?? [],
          bcc: dest.Destination.BccAddresses ?? [],
          ...(input.ReplyToAddresses ? { replyTo: input.ReplyToAddresses } : {}),
          ...(input.ConfigurationSetName ? { configurationSetName: input.ConfigurationSetName } : {}),
        });
        Status.push({ Status: "Success", MessageId });
      } catch (e) {
        if (!(e instanceof ServiceError)) throw e;
        Status.push({ Status: e.code === "MessageRejected" ? "MessageRejected" : "Failed", Error: e.message });
      }
    }
    return { Status };
  },

  // ---- templates -----------------------------------------------------------------------------
  async CreateTemplate(ctx, input) {
    const tpl = input.Template;
    checkTemplateName(tpl.TemplateName);
    const bad = await checkTemplateSyntax(tpl.SubjectPart, tpl.TextPart, tpl.HtmlPart);
    if (bad) throw new ServiceError(SesErrors.InvalidTemplate, `Invalid Template: ${bad}`, { TemplateName: tpl.TemplateName });
    const created = await t(ctx).templates.insert(tpl.TemplateName, {
      name: tpl.TemplateName,
      ...(tpl.SubjectPart !== undefined ? { subject: tpl.SubjectPart } : {}),
      ...(tpl.TextPart !== undefined ? { text: tpl.TextPart } : {}),
      ...(tpl.HtmlPart !== undefined ? { html: tpl.HtmlPart } : {}),
      createdAt: ctx.clock.nowMs(),
    });
    if (!created) throw new ServiceError(SesErrors.AlreadyExists, `Template ${tpl.TemplateName} already exists for account id ${ctx.account}`, { Name: tpl.TemplateName });
    return {};
  },
  async UpdateTemplate(ctx, input) {
    const tpl = input.Template;
    const existing = await requireTemplate(ctx, tpl.TemplateName);
    const bad = await checkTemplateSyntax(tpl.SubjectPart, tpl.TextPart, tpl.HtmlPart);
    if (bad) throw new ServiceError(SesErrors.InvalidTemplate, `Invalid Template: ${bad}`, { TemplateName: tpl.TemplateName });
    await t(ctx).templates.put(tpl.TemplateName, {
      name: tpl.TemplateName,
      ...(tpl.SubjectPart !== undefined ? { subject: tpl.SubjectPart } : {}),
      ...(tpl.TextPart !== undefined ? { text: tpl.TextPart } : {}),
      ...(tpl.HtmlPart !== undefined ? { html: tpl.HtmlPart } : {}),
      createdAt: existing.createdAt,
    });
    return {};
  },
  async GetTemplate(ctx, input) {
    const tpl = await requireTemplate(ctx, input.TemplateName);
    return {
      Template: {
        TemplateName: tpl.name,
        ...(tpl.subject !== undefined ? { SubjectPart: tpl.subject } : {}),
        ...(tpl.text !== undefined ? { TextPart: tpl.text } : {}),
        ...(tpl.html !== undefined ? { HtmlPart: tpl.html } : {}),
      },
    };
  },
  async DeleteTemplate(ctx, input) {
    await t(ctx).templates.delete(input.TemplateName);
    return {};
  },
  async ListTemplates(ctx, input) {
    if (input.MaxItems !== undefined && (input.MaxItems < 1 || input.MaxItems > 100)) throw invalid("MaxItems must be between 1 and 100.");
    const all = (await t(ctx).templates.list()).map((e) => e.value);
    const { pageItems, next } = page(all, input.NextToken, input.MaxItems ?? 10, (r) => r.name);
    return { TemplatesMetadata: pageItems.map((r) => ({ Name: r.name, CreatedTimestamp: new Date(r.createdAt) })), ...(next ? { NextToken: next } : {}) };
  },
  async TestRenderTemplate(ctx, input) {
    const tpl = await requireTemplate(ctx, input.TemplateName);
    try {
      const rendered = await renderTemplate(tpl, parseTemplateData(input.TemplateData));
      return { RenderedTemplate: await renderedMime("", rendered, ctx.clock.nowMs()) };
    } catch (e) {
      return renderError(e);
    }
  },

  // ---- configuration sets ---------------------------------------------------------------------
  async CreateConfigurationSet(ctx, input) {
    const name = input.ConfigurationSet.Name;
    if (!CONFIG_SET_NAME.test(name)) {
      throw new ServiceError(SesErrors.InvalidConfigurationSet, "Configuration set name must contain only alphanumeric characters, underscores and dashes, and be at most 64 characters long.");
    }
    const created = await t(ctx).configSets.insert(name, { name, createdAt: ctx.clock.nowMs(), sendingEnabled: true });
    if (!created) throw new ServiceError(SesErrors.ConfigurationSetAlreadyExists, `Configuration set <${name}> already exists.`, { ConfigurationSetName: name });
    return {};
  },
  async DescribeConfigurationSet(ctx, input) {
    const cs = await t(ctx).configSets.get(input.ConfigurationSetName);
    if (!cs) throw new ServiceError(SesErrors.ConfigurationSetDoesNotExist, `Configuration set <${input.ConfigurationSetName}> does not exist.`, { ConfigurationSetName: input.ConfigurationSetName });
    return { ConfigurationSet: { Name: cs.name }, EventDestinations: [] };
  },
  async ListConfigurationSets(ctx, input) {
    const all = (await t(ctx).configSets.list()).map((e) => e.value);
    const { pageItems, next } = page(all, input.NextToken, input.MaxItems, (r) => r.name);
    return { ConfigurationSets: pageItems.map((r) => ({ Name: r.name })), ...(next ? { NextToken: next } : {}) };
  },
  async DeleteConfigurationSet(ctx, input) {
    if (!(await t(ctx).configSets.delete(input.ConfigurationSetName))) {
      throw new ServiceError(SesErrors.ConfigurationSetDoesNotExist, `Configuration set <${input.ConfigurationSetName}> does not exist.`, { ConfigurationSetName: input.ConfigurationSetName });
    }
    return {};
  },
  async UpdateConfigurationSetSendingEnabled(ctx, input) {
    const cs = await t(ctx).configSets.get(input.ConfigurationSetName);
    if (!cs) throw new ServiceError(SesErrors.ConfigurationSetDoesNotExist, `Configuration set <${input.ConfigurationSetName}> does not exist.`, { ConfigurationSetName: input.ConfigurationSetName });
    await t(ctx).configSets.put(cs.name, { ...cs, sendingEnabled: input.Enabled });
    return {};
  },
};

function parseTemplateDataOr(data: string): Record<string, unknown> {
  try {
    return parseTemplateData(data);
  } catch (e) {
    return renderError(e);
  }
}
