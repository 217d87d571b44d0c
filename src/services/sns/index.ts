/**
 * Amazon SNS. Registers the `sns` delivery-bus target (S3 event notifications and CloudWatch
 * alarm actions publish to topics through it, allowed by the topic policy as on AWS) and serves
 * Nimbus's own routes under /_nimbus/sns/: the signing certificate
 * (`SimpleNotificationService-<id>.pem`), `confirm` (SubscribeURL), `unsubscribe`
 * (UnsubscribeURL) and `sms` (every SMS sent; DELETE empties it, loopback only).
 */
import { defineService, type RequestContext, type ServiceRuntime } from "../../core/service.js";
import type { SnsOperations } from "../../generated/sns.js";
import type { Delivery } from "../../core/bus.js";
import { isServiceError } from "../../core/errors.js";
import { evaluate, storedPolicyDocument } from "../iam/policy/index.js";
import { checkPublish, confirm, defaultTopicPolicy, handlers, publishToTopic } from "./provider.js";
import { dropState, stateFor, type SnsEnv } from "./delivery.js";
import { certPath, signingKey } from "./signing.js";
import { cachedTopic, parseSubscriptionArn, parseTopicArn, snsScope, snsTables, type SmsRecord } from "./store.js";

const onTopic =
  (member = "TopicArn") =>
  (_ctx: RequestContext, input: Record<string, unknown>) => {
    const arn = String(input[member] ?? input.TargetArn ?? "*");
    const p = parseTopicArn(arn);
    return { resources: [arn], ...(p ? { resourceAccount: p.account } : {}) };
  };
const onSubscription = (_ctx: RequestContext, input: Record<string, unknown>) => {
  const p = parseSubscriptionArn(String(input.SubscriptionArn ?? ""));
  return p ? { resources: [p.topicArn], resourceAccount: p.account } : { resources: ["*"] };
};
const onSubscribe = (ctx: RequestContext, input: Record<string, unknown>) => ({
  ...onTopic()(ctx, input),
  context: { "sns:Protocol": String(input.Protocol ?? ""), "sns:Endpoint": String(input.Endpoint ?? "") },
});

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const xml = (status: number, body: string) => ({ status, headers: { "content-type": "text/xml" }, body: `<?xml version="1.0"?>\n${body}` });
const xmlError = (code: string, message: string, status: number) =>
  xml(status, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>nimbus</RequestId></ErrorResponse>`);

/** Whether the sending service may publish to the topic, by the topic's policy (as AWS decides for S3 or CloudWatch). */
function senderAllowed(policy: string, topicArn: string, topicAccount: string, delivery: Delivery): boolean {
  const s = delivery.sender;
  if (!s.servicePrincipal) return s.account === topicAccount;
  let doc;
  try {
    doc = storedPolicyDocument(policy, "resource");
  } catch {
    return false;
  }
  const decision = evaluate({
    action: "sns:Publish",
    resources: [topicArn],
    principal: { type: "service", arn: s.servicePrincipal },
    resourceAccount: topicAccount,
    identityPolicies: [],
    resourcePolicy: doc,
    context: {
      "aws:SourceAccount": s.account,
      ...(s.sourceArn ? { "aws:SourceArn": s.sourceArn } : {}),
      "aws:PrincipalServiceName": s.servicePrincipal,
      // CloudWatch alarms publish as their owner: AWS lets them through the default topic policy
      // (Principal "*" with AWS:SourceOwner = the topic's account); S3 and others need a statement.
      ...(s.servicePrincipal === "cloudwatch.amazonaws.com" ? { "aws:SourceOwner": s.account } : {}),
    },
  });
  return decision === "Allowed";
}

const unregister = new WeakMap<ServiceRuntime, () => void>();

export const sns = defineService<SnsOperations>({
  name: "sns",
  handlers,
  start(runtime) {
    const env: SnsEnv = { metadata: runtime.storage.metadata, clock: runtime.clock, logger: runtime.logger, bus: runtime.bus };
    stateFor(env).start();
    const off = runtime.bus.register("sns", async (arn, delivery) => {
      const p = parseTopicArn(arn);
      if (!p) throw new Error(`Invalid topic ARN ${arn}`);
      const topic = await cachedTopic(runtime.storage.metadata, snsScope(p.account, p.region), p.name);
      if (!topic) throw new Error(`NotFound: Topic does not exist: ${arn}`);
      const policy = topic.attributes.Policy ?? defaultTopicPolicy(topic.arn, topic.owner);
      if (!senderAllowed(policy, topic.arn, topic.owner, delivery)) {
        throw new Error(`AuthorizationError: ${delivery.sender.servicePrincipal ?? delivery.sender.account} is not authorized to perform: SNS:Publish on resource: ${arn}`);
      }
      const input = {
        Message: delivery.body,
        ...(delivery.subject !== undefined ? { Subject: delivery.subject } : {}),
        ...(delivery.attributes ? { MessageAttributes: delivery.attributes } : {}),
        ...(delivery.messageGroupId !== undefined ? { MessageGroupId: delivery.messageGroupId } : {}),
        ...(delivery.messageDeduplicationId !== undefined ? { MessageDeduplicationId: delivery.messageDeduplicationId } : {}),
      };
      try {
        const r = await publishToTopic(env, topic, input, checkPublish(input, topic));
        return { messageId: r.MessageId };
      } catch (e) {
        if (isServiceError(e)) throw new Error(`${e.code}: ${e.message}`);
        throw e;
      }
    });
    unregister.set(runtime, off);
  },
  async stop(runtime) {
    unregister.get(runtime)?.();
    await dropState(runtime.bus);
  },
  async resourcePolicy(ctx, arn) {
    const p = parseTopicArn(arn);
    if (!p) return undefined;
    const t = await cachedTopic(ctx.storage.metadata, snsScope(p.account, p.region), p.name);
    return t ? (t.attributes.Policy ?? defaultTopicPolicy(t.arn, t.owner)) : undefined;
  },
  async nimbusRoutes(req, runtime) {
    const metadata = runtime.storage.metadata;
    if (req.path.startsWith("SimpleNotificationService-") && req.method === "GET") {
      const key = await signingKey(metadata, runtime.clock.nowMs());
      if (req.path !== certPath(key)) return { status: 404, json: { error: "no such certificate" } };
      return { status: 200, headers: { "content-type": "application/x-x509-ca-cert" }, body: key.certPem };
    }
    if (req.path === "confirm" && req.method === "GET") {
      const topicArn = req.query.get("TopicArn") ?? "";
      const token = req.query.get("Token") ?? "";
      const p = parseTopicArn(topicArn);
      const topic = p ? await snsTables(metadata, snsScope(p.account, p.region)).topics.get(p.name) : undefined;
      if (!topic) return xmlError("NotFound", "Topic does not exist", 404);
      try {
        const arn = await confirm(metadata, runtime.clock.nowMs(), topic, token, false);
        return xml(
          200,
          `<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ConfirmSubscriptionResult><SubscriptionArn>${escapeXml(arn)}</SubscriptionArn></ConfirmSubscriptionResult><ResponseMetadata><RequestId>nimbus</RequestId></ResponseMetadata></ConfirmSubscriptionResponse>`,
        );
      } catch (e) {
        if (isServiceError(e)) return xmlError(e.code, e.message, e.status);
        throw e;
      }
    }
    if (req.path === "unsubscribe" && req.method === "GET") {
      const arn = req.query.get("SubscriptionArn") ?? "";
      const p = parseSubscriptionArn(arn);
      const t = p ? snsTables(metadata, snsScope(p.account, p.region)).subscriptions : undefined;
      if (!t || !(await t.delete(arn))) return xmlError("NotFound", "Subscription does not exist", 404);
      return xml(200, `<UnsubscribeResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ResponseMetadata><RequestId>nimbus</RequestId></ResponseMetadata></UnsubscribeResponse>`);
    }
    if (req.path === "sms") {
      if (req.method === "GET") {
        // Every account's messages: only for this machine.
        if (!req.loopback) return { status: 403, json: { error: "Forbidden", message: "The SMS log answers loopback clients only." } };
        const phone = req.query.get("phoneNumber");
        const account = req.query.get("account");
        const out: SmsRecord[] = [];
        for (const scope of await metadata.scopes("sns", "sms")) if (!account || scope.account === account) for (const e of await snsTables(metadata, scope).sms.list()) out.push(e.value);
        out.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
        return { status: 200, json: phone ? out.filter((m) => m.phoneNumber === phone) : out };
      }
      if (req.method === "DELETE") {
        if (!req.loopback) return { status: 403, json: { error: "loopback only" } };
        let deleted = 0;
        for (const scope of await metadata.scopes("sns", "sms")) deleted += await snsTables(metadata, scope).sms.clear();
        return { status: 200, json: { deleted } };
      }
    }
    return undefined;
  },
  authorization: {
    CreateTopic: (ctx, input) => ({ resources: [`arn:aws:sns:${ctx.region}:${ctx.account}:${String(input.Name)}`] }),
    DeleteTopic: onTopic(),
    GetTopicAttributes: onTopic(),
    SetTopicAttributes: onTopic(),
    AddPermission: onTopic(),
    RemovePermission: onTopic(),
    Subscribe: onSubscribe,
    ConfirmSubscription: onTopic(),
    ListSubscriptionsByTopic: onTopic(),
    Publish: (ctx, input) => (input.PhoneNumber !== undefined ? { resources: ["*"] } : onTopic()(ctx, input)),
    PublishBatch: (ctx, input) => ({ ...onTopic()(ctx, input), action: "sns:Publish" }),
    Unsubscribe: onSubscription,
    GetSubscriptionAttributes: onSubscription,
    SetSubscriptionAttributes: onSubscription,
    TagResource: onTopic("ResourceArn"),
    UntagResource: onTopic("ResourceArn"),
    ListTagsForResource: onTopic("ResourceArn"),
    GetDataProtectionPolicy: onTopic("ResourceArn"),
    PutDataProtectionPolicy: onTopic("ResourceArn"),
  },
});
