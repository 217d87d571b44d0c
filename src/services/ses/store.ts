/**
 * SES state, shared by the v1 (query) and v2 (REST) APIs: AWS keeps one set of identities,
 * templates and configuration sets per account and region, whichever API wrote them. Tables in
 * the scope `{account, region, service: "ses"}` (never "sesv2"):
 *
 *   identities      identity (email address or domain) -> IdentityRecord
 *   templates       template name -> TemplateRecord
 *   config-sets     configuration set name -> ConfigSetRecord
 *   account         "account" -> AccountRecord (sandbox, sending enabled, details)
 *   sends           zero-padded send time (ms) + id -> SendRecord (quota and statistics)
 *   mailbox         zero-padded time + id -> MailboxMessage (every message SES or SNS "sent")
 */
import type { MetadataStore, Scope, Table, Tx } from "../../storage/types.js";

export interface IdentityRecord {
  identity: string;
  type: "EmailAddress" | "Domain";
  createdAt: number;
  /** Domains: the TXT record value AWS asks for. */
  verificationToken?: string;
  dkimTokens?: string[];
  tags?: Record<string, string>;
  configurationSetName?: string;
  feedbackForwarding?: boolean;
}

export interface TemplateRecord {
  name: string;
  subject?: string;
  text?: string;
  html?: string;
  createdAt: number;
}

export interface ConfigSetRecord {
  name: string;
  createdAt: number;
  sendingEnabled: boolean;
  /** v2 option blocks as given (TrackingOptions, DeliveryOptions, ...). */
  options?: Record<string, unknown>;
  tags?: Record<string, string>;
}

export interface AccountRecord {
  sandbox: boolean;
  sendingEnabled: boolean;
  details?: Record<string, unknown>;
}

export interface SendRecord {
  t: number;
  recipients: number;
  rejected: boolean;
}

/** One message as the mailbox route shows it. */
export interface MailboxMessage {
  id: string;
  messageId: string;
  /** Who produced it: SES sending, or SNS email subscriptions. */
  source: "ses" | "sns";
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo?: string[];
  subject: string;
  text?: string;
  html?: string;
  raw: string;
  timestamp: string;
  region: string;
  account: string;
  configurationSetName?: string;
  tags?: Record<string, string>;
}

export const sesScope = (scope: { account: string; region: string }): Scope => ({ account: scope.account, region: scope.region, service: "ses" });

export function sesTables(source: MetadataStore | Tx, scope: { account: string; region: string }) {
  const s = sesScope(scope);
  return {
    identities: source.table<IdentityRecord>(s, "identities") as Table<IdentityRecord>,
    templates: source.table<TemplateRecord>(s, "templates") as Table<TemplateRecord>,
    configSets: source.table<ConfigSetRecord>(s, "config-sets") as Table<ConfigSetRecord>,
    account: source.table<AccountRecord>(s, "account") as Table<AccountRecord>,
    sends: source.table<SendRecord>(s, "sends") as Table<SendRecord>,
    mailbox: source.table<MailboxMessage>(s, "mailbox") as Table<MailboxMessage>,
  };
}

export const DEFAULT_ACCOUNT: AccountRecord = { sandbox: true, sendingEnabled: true };

export async function accountOf(store: MetadataStore, scope: { account: string; region: string }): Promise<AccountRecord> {
  return (await sesTables(store, scope).account.get("account")) ?? DEFAULT_ACCOUNT;
}

export const timeKey = (ms: number, id: string) => String(ms).padStart(15, "0") + "-" + id;
