/**
 * SNS state. Tables in the scope of the topic's account and region (service "sns"):
 *
 *   topics          topic name -> TopicRecord
 *   subscriptions   subscription ARN (topic ARN + ":" + id, so a topic's sort together) -> SubscriptionRecord
 *   tokens          confirmation token -> { subscriptionArn, expires }
 *   fifo-dedup      topic name + "\0" + deduplication id -> { messageId, sequenceNumber, expires }
 *   sms             time key -> SmsRecord (every SMS "sent", readable at /_nimbus/sns/sms)
 *   sms-attributes  "attributes" -> account SMS preferences
 */
import type { MetadataStore, Scope, Table, Tx } from "../../storage/types.js";
import { GenerationCache } from "../../storage/generation-cache.js";

export interface TopicRecord {
  name: string;
  arn: string;
  owner: string;
  /** User-settable attributes as given (DisplayName, Policy, DeliveryPolicy, FifoTopic, ...). */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  dataProtectionPolicy?: string;
  /** Base URL clients reached Nimbus at when the topic was made (for SubscribeURL and the like). */
  endpoint: string;
  createdAt: number;
  /** FIFO: last sequence number handed out. */
  sequence?: string;
}

export interface SubscriptionRecord {
  arn: string;
  topicArn: string;
  owner: string;
  protocol: string;
  endpoint: string;
  pending: boolean;
  confirmationWasAuthenticated: boolean;
  attributes: Record<string, string>;
  createdAt: number;
}

export interface TokenRecord {
  subscriptionArn: string;
  expires: number;
}

export interface DedupRecord {
  messageId: string;
  sequenceNumber: string;
  expires: number;
}

export interface SmsRecord {
  messageId: string;
  phoneNumber: string;
  message: string;
  senderId?: string;
  topicArn?: string;
  attributes?: Record<string, string>;
  timestamp: string;
  account: string;
  region: string;
}

export const snsScope = (account: string, region: string): Scope => ({ account, region, service: "sns" });

export function snsTables(source: MetadataStore | Tx, scope: Scope) {
  return {
    topics: source.table<TopicRecord>(scope, "topics") as Table<TopicRecord>,
    subscriptions: source.table<SubscriptionRecord>(scope, "subscriptions") as Table<SubscriptionRecord>,
    tokens: source.table<TokenRecord>(scope, "tokens") as Table<TokenRecord>,
    dedup: source.table<DedupRecord>(scope, "fifo-dedup") as Table<DedupRecord>,
    sms: source.table<SmsRecord>(scope, "sms") as Table<SmsRecord>,
    smsAttributes: source.table<Record<string, string>>(scope, "sms-attributes") as Table<Record<string, string>>,
  };
}

/** `arn:aws:sns:<region>:<account>:<name>` parsed, or undefined. */
export function parseTopicArn(arn: string): { region: string; account: string; name: string } | undefined {
  const m = /^arn:aws[\w-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$/.exec(arn);
  return m ? { region: m[1]!, account: m[2]!, name: m[3]! } : undefined;
}

/** A subscription ARN's topic ARN and scope. */
export function parseSubscriptionArn(arn: string): { region: string; account: string; topicArn: string } | undefined {
  const m = /^(arn:aws[\w-]*:sns:([a-z0-9-]+):(\d{12}):[A-Za-z0-9_.-]+):[0-9a-f-]{36}$/.exec(arn);
  return m ? { topicArn: m[1]!, region: m[2]!, account: m[3]! } : undefined;
}

// Every Publish reads its topic (policy, attributes) and the topic's subscriptions: both are
// cached until SNS's state next changes (storage/generation-cache.ts).
const topicCache = new GenerationCache<TopicRecord | undefined>("sns");
const subscriptionCache = new GenerationCache<SubscriptionRecord[]>("sns");

/** A topic by scope and name, cached (shared record: do not modify). */
export function cachedTopic(metadata: MetadataStore, scope: Scope, name: string): Promise<TopicRecord | undefined> {
  return topicCache.get(metadata, `t\0${scope.account}\0${scope.region}\0${name}`, () => snsTables(metadata, scope).topics.get(name));
}

/** A topic's subscriptions (confirmed or not), cached (shared records: do not modify). */
export function cachedSubscriptions(metadata: MetadataStore, topicArn: string): Promise<SubscriptionRecord[]> {
  const p = parseTopicArn(topicArn)!;
  return subscriptionCache.get(metadata, `s\0${topicArn}`, async () => (await snsTables(metadata, snsScope(p.account, p.region)).subscriptions.list({ prefix: topicArn + ":" })).map((e) => e.value));
}
