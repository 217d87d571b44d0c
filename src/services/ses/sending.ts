/**
 * Sending, shared by SES v1, SES v2 and SNS email subscriptions: the sandbox and verification
 * checks, MIME composition (nodemailer's MailComposer) and parsing (mailparser), template
 * rendering (Handlebars, the language SES templates use), the mailbox every sent message lands
 * in, and the optional relay to a real SMTP server (`NIMBUS_SMTP_URL`, through nodemailer).
 */
import { randomBytes, randomUUID } from "node:crypto";
import type HandlebarsNs from "handlebars";
import addressparser from "nodemailer/lib/addressparser/index.js";
import type { Transporter } from "nodemailer";
import type { AddressObject } from "mailparser";
import type { MetadataStore } from "../../storage/types.js";
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { accountOf, sesTables, timeKey, type MailboxMessage } from "./store.js";

export interface Outgoing {
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo?: string[];
  subject: string;
  text?: string;
  html?: string;
  /** SendRawEmail / v2 Raw: the message as given (headers kept). */
  raw?: Buffer;
  configurationSetName?: string;
  tags?: Record<string, string>;
}

export interface SendEnv {
  metadata: MetadataStore;
  account: string;
  region: string;
  clock: Clock;
  logger: Logger;
}

/** The bare address of `Name <a@b.c>` (lower-cased domain kept as given). */
export function bareAddress(text: string): string {
  const parsed = addressparser(text, { flatten: true });
  return parsed[0]?.address || text.trim();
}

/** Is the address (or its domain) a verified identity? Addresses of AWS's mailbox simulator always are. */
async function isVerified(metadata: MetadataStore, scope: { account: string; region: string }, address: string): Promise<boolean> {
  const a = bareAddress(address);
  const domain = a.includes("@") ? a.slice(a.lastIndexOf("@") + 1) : a;
  if (domain.toLowerCase() === "simulator.amazonses.com") return true;
  const ids = sesTables(metadata, scope).identities;
  if (await ids.get(a)) return true;
  if (await ids.get(a.toLowerCase())) return true;
  return (await ids.get(domain.toLowerCase())) !== undefined || (await ids.get(domain)) !== undefined;
}

/**
 * The identities that fail SES's check: the sender when unverified, and in the sandbox every
 * unverified recipient. Empty means the message may go.
 */
export async function failedIdentities(env: SendEnv, from: string, recipients: string[]): Promise<string[]> {
  const scope = { account: env.account, region: env.region };
  const failed: string[] = [];
  if (!(await isVerified(env.metadata, scope, from))) failed.push(bareAddress(from));
  const account = await accountOf(env.metadata, scope);
  if (account.sandbox) {
    for (const r of recipients) {
      const a = bareAddress(r);
      if (!failed.includes(a) && !(await isVerified(env.metadata, scope, a))) failed.push(a);
    }
  }
  return failed;
}

/** AWS's wording for a MessageRejected on unverified identities. */
export const unverifiedMessage = (region: string, failed: string[]) =>
  `Email address is not verified. The following identities failed the check in region ${region.toUpperCase()}: ${failed.join(", ")}`;

/** An SES message id: hex time, a UUID and a sequence suffix, the shape AWS hands out. */
export function sesMessageId(nowMs: number): string {
  return `${nowMs.toString(16).padStart(16, "0")}-${randomUUID()}-000000`;
}

let transport: { url: string; t: Transporter } | undefined;
async function relay(): Promise<Transporter | undefined> {
  const url = process.env.NIMBUS_SMTP_URL;
  if (!url) return undefined;
  if (transport?.url !== url) transport = { url, t: (await import("nodemailer")).default.createTransport(url) };
  return transport.t;
}

/** The mail libraries are loaded on first use: together they are most of a cold start's module loading. */
const mailComposer = async () => (await import("nodemailer/lib/mail-composer/index.js")).default;

const addressesOf = (a: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => v.address ?? "")).filter((s) => s !== "");

/**
 * Compose (or parse) the message, put it in the mailbox, record the send, and relay it when
 * NIMBUS_SMTP_URL is set (a relay failure is logged: SES had accepted the message).
 */
export async function deliver(env: SendEnv, msg: Outgoing, source: "ses" | "sns" = "ses"): Promise<MailboxMessage> {
  const now = env.clock.nowMs();
  const messageId = sesMessageId(now);
  let raw: Buffer;
  let out = msg;
  if (msg.raw) {
    raw = msg.raw;
    const { simpleParser } = await import("mailparser");
    const parsed = await simpleParser(raw);
    const headerTo = addressesOf(parsed.to);
    const headerCc = addressesOf(parsed.cc);
    out = {
      ...msg,
      from: msg.from || parsed.from?.text || "",
      to: msg.to.length > 0 ? msg.to : headerTo,
      cc: msg.to.length > 0 ? msg.cc : headerCc,
      bcc: msg.to.length > 0 ? msg.bcc : addressesOf(parsed.bcc),
      subject: parsed.subject ?? "",
      ...(parsed.text !== undefined ? { text: parsed.text } : {}),
      ...(typeof parsed.html === "string" ? { html: parsed.html } : {}),
    };
  } else {
    raw = await new (await mailComposer())({
      from: msg.from,
      to: msg.to,
      cc: msg.cc,
      ...(msg.replyTo?.length ? { replyTo: msg.replyTo } : {}),
      subject: msg.subject,
      ...(msg.text !== undefined ? { text: msg.text } : {}),
      ...(msg.html !== undefined ? { html: msg.html } : {}),
      messageId: `<${messageId}@email.amazonses.com>`,
      date: new Date(now),
    })
      .compile()
      .build();
  }
  const record: MailboxMessage = {
    id: randomBytes(8).toString("hex"),
    messageId,
    source,
    from: out.from,
    to: out.to,
    cc: out.cc,
    bcc: out.bcc,
    ...(out.replyTo?.length ? { replyTo: out.replyTo } : {}),
    subject: out.subject,
    ...(out.text !== undefined ? { text: out.text } : {}),
    ...(out.html !== undefined ? { html: out.html } : {}),
    raw: raw.toString("utf8"),
    timestamp: new Date(now).toISOString(),
    region: env.region,
    account: env.account,
    ...(out.configurationSetName ? { configurationSetName: out.configurationSetName } : {}),
    ...(out.tags && Object.keys(out.tags).length ? { tags: out.tags } : {}),
  };
  const t = sesTables(env.metadata, env);
  await env.metadata.transaction(async (tx) => {
    const tt = sesTables(tx, env);
    await tt.mailbox.put(timeKey(now, record.id), record);
    if (source === "ses") await tt.sends.put(timeKey(now, record.id), { t: now, recipients: out.to.length + out.cc.length + out.bcc.length, rejected: false });
  });
  void t;
  const smtp = await relay();
  if (smtp) {
    const rcpt = [...out.to, ...out.cc, ...out.bcc].map(bareAddress);
    try {
      await smtp.sendMail({ envelope: { from: bareAddress(out.from), to: rcpt }, raw });
    } catch (e) {
      env.logger.warn(`ses: relay to NIMBUS_SMTP_URL failed: ${String(e)}`);
    }
  }
  return record;
}

/** A send SES accepted but could not deliver (a template that failed to render). */
export async function recordRejected(env: SendEnv, recipients: number): Promise<void> {
  const now = env.clock.nowMs();
  await sesTables(env.metadata, env).sends.put(timeKey(now, randomBytes(8).toString("hex")), { t: now, recipients, rejected: true });
}

export class RenderError extends Error {
  constructor(
    readonly kind: "missing" | "invalid-template" | "invalid-data",
    message: string,
  ) {
    super(message);
  }
}

/** Parse TemplateData as SES does: a JSON object. */
export function parseTemplateData(data: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    throw new RenderError("invalid-data", "Template rendering data is invalid");
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new RenderError("invalid-data", "Template rendering data is invalid");
  return v as Record<string, unknown>;
}

/** Handlebars, imported on first use (it is large, and only templates need it). */
let handlebars: Promise<typeof HandlebarsNs> | undefined;
const loadHandlebars = () => (handlebars ??= import("handlebars").then((m) => m.default));

/** Render one part; `{{name}}` left without data is SES's MissingRenderingAttribute. */
function renderPart(Handlebars: typeof HandlebarsNs, template: string | undefined, data: Record<string, unknown>, escapeHtml: boolean): string | undefined {
  if (template === undefined) return undefined;
  let fn: HandlebarsNs.TemplateDelegate;
  try {
    fn = Handlebars.compile(template, { strict: true, noEscape: !escapeHtml });
  } catch (e) {
    throw new RenderError("invalid-template", String((e as Error).message));
  }
  try {
    return fn(data);
  } catch (e) {
    const m = /"([^"]+)" not defined/.exec(String((e as Error).message));
    if (m) throw new RenderError("missing", `Attribute '${m[1]}' is not present in the rendering data.`);
    throw new RenderError("invalid-template", String((e as Error).message));
  }
}

/** Check a template compiles (CreateTemplate rejects what cannot be parsed). */
export async function checkTemplateSyntax(...parts: (string | undefined)[]): Promise<string | undefined> {
  const Handlebars = await loadHandlebars();
  for (const p of parts) {
    if (p === undefined) continue;
    try {
      Handlebars.precompile(p);
    } catch (e) {
      return String((e as Error).message).split("\n")[0];
    }
  }
  return undefined;
}

export async function renderTemplate(t: { subject?: string; text?: string; html?: string }, data: Record<string, unknown>) {
  const Handlebars = await loadHandlebars();
  return {
    subject: renderPart(Handlebars, t.subject, data, false) ?? "",
    text: renderPart(Handlebars, t.text, data, false),
    html: renderPart(Handlebars, t.html, data, true),
  };
}

/** The full MIME text TestRenderTemplate answers with. */
export async function renderedMime(from: string, r: { subject: string; text?: string; html?: string }, nowMs: number): Promise<string> {
  const buf = await new (await mailComposer())({
    from,
    subject: r.subject,
    ...(r.text !== undefined ? { text: r.text } : {}),
    ...(r.html !== undefined ? { html: r.html } : {}),
    date: new Date(nowMs),
  })
    .compile()
    .build();
  return buf.toString("utf8");
}

/** A fresh domain verification token (AWS's are 44 base64 characters). */
export const verificationToken = () => randomBytes(32).toString("base64");
/** Three DKIM CNAME tokens, 32 lowercase base32-ish characters each. */
export const dkimTokens = () => [0, 1, 2].map(() => randomBytes(20).toString("hex").slice(0, 32));

/** Messages in the mailbox of every region of one account (or of every account), oldest first. */
export async function allMailbox(metadata: MetadataStore, account?: string): Promise<MailboxMessage[]> {
  const out: MailboxMessage[] = [];
  for (const scope of await metadata.scopes("ses", "mailbox")) {
    if (account !== undefined && scope.account !== account) continue;
    for (const e of await sesTables(metadata, scope).mailbox.list()) out.push(e.value);
  }
  return out.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
}

export async function clearMailbox(metadata: MetadataStore): Promise<number> {
  let n = 0;
  for (const scope of await metadata.scopes("ses", "mailbox")) n += await sesTables(metadata, scope).mailbox.clear();
  return n;
}
