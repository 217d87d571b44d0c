/** EventBridge through SDK v3, the AWS CLI and boto3: buses, rules, targets, PutEvents, schedules on the clock. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ListEventBusesCommand,
  ListRuleNamesByTargetCommand,
  ListRulesCommand,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  TagResourceCommand,
  TestEventPatternCommand,
} from "@aws-sdk/client-eventbridge";
import type { Nimbus } from "../src/index.js";
import type { Delivery } from "../src/core/bus.js";
import { eventsSettled } from "../src/services/events/dispatch.js";
import { s3EventsSettled } from "../src/services/s3/events.js";
import { CreateBucketCommand, DeleteObjectCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let eb: EventBridgeClient;
/** Deliveries to `arn:aws:testsink:...` ARNs, by ARN. */
const sink = new Map<string, Delivery[]>();
const SINK = (name: string) => `arn:aws:testsink:us-east-1:000000000000:${name}`;
const received = async (name: string) => {
  await eventsSettled();
  return (sink.get(SINK(name)) ?? []).map((d) => JSON.parse(d.body) as Record<string, unknown>);
};

beforeAll(async () => {
  n = await startTestNimbus();
  eb = new EventBridgeClient(sdkConfig(n));
  n.bus.register("testsink", async (arn, delivery) => {
    if (arn.endsWith(":broken")) throw new Error("target unavailable");
    sink.set(arn, [...(sink.get(arn) ?? []), delivery]);
    return { messageId: String(sink.get(arn)!.length) };
  });
});
afterAll(async () => {
  await n.stop();
});

describe("rules and targets", () => {
  it("routes PutEvents to the targets of matching rules, as events.amazonaws.com on behalf of the rule", async () => {
    const { RuleArn } = await eb.send(
      new PutRuleCommand({ Name: "orders", EventPattern: JSON.stringify({ source: ["shop"], detail: { total: [{ numeric: [">", 100] }] } }) }),
    );
    expect(RuleArn).toBe("arn:aws:events:us-east-1:000000000000:rule/orders");
    const put = await eb.send(new PutTargetsCommand({ Rule: "orders", Targets: [{ Id: "t1", Arn: SINK("orders") }] }));
    expect(put.FailedEntryCount).toBe(0);
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [
          { Source: "shop", DetailType: "Order Placed", Detail: JSON.stringify({ total: 250 }), Resources: ["arn:aws:x:::order/1"] },
          { Source: "shop", DetailType: "Order Placed", Detail: JSON.stringify({ total: 5 }) },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries!.every((e) => /^[0-9a-f-]{36}$/.test(e.EventId!))).toBe(true);
    const got = await received("orders");
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      version: "0",
      id: out.Entries![0]!.EventId,
      "detail-type": "Order Placed",
      source: "shop",
      account: "000000000000",
      region: "us-east-1",
      resources: ["arn:aws:x:::order/1"],
      detail: { total: 250 },
    });
    expect(String(got[0]!.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(sink.get(SINK("orders"))![0]!.sender).toEqual({ servicePrincipal: "events.amazonaws.com", account: "000000000000", sourceArn: RuleArn });
  });

  it("shapes input with Input, InputPath and InputTransformer", async () => {
    await eb.send(new PutRuleCommand({ Name: "shaped", EventPattern: JSON.stringify({ source: ["shaped"] }) }));
    await eb.send(
      new PutTargetsCommand({
        Rule: "shaped",
        Targets: [
          { Id: "const", Arn: SINK("const"), Input: '{"fixed":true}' },
          { Id: "path", Arn: SINK("path"), InputPath: "$.detail.user" },
          {
            Id: "tr",
            Arn: SINK("tr"),
            InputTransformer: { InputPathsMap: { name: "$.detail.user.name", n: "$.detail.count" }, InputTemplate: '{"who": "<name>", "count": <n>, "rule": "<aws.events.rule-name>"}' },
          },
        ],
      }),
    );
    await eb.send(new PutEventsCommand({ Entries: [{ Source: "shaped", DetailType: "x", Detail: JSON.stringify({ user: { name: "ana" }, count: 3 }) }] }));
    expect(await received("const")).toEqual([{ fixed: true }]);
    expect(await received("path")).toEqual([{ name: "ana" }]);
    expect(await received("tr")).toEqual([{ who: "ana", count: 3, rule: "shaped" }]);
  });

  it("lists, describes, disables and deletes rules; targets block deletion unless forced", async () => {
    const rule = await eb.send(new DescribeRuleCommand({ Name: "orders" }));
    expect(rule).toMatchObject({ Name: "orders", State: "ENABLED", EventBusName: "default", CreatedBy: "000000000000" });
    const listed = await eb.send(new ListRulesCommand({ NamePrefix: "ord" }));
    expect(listed.Rules!.map((r) => r.Name)).toEqual(["orders"]);
    expect((await eb.send(new ListTargetsByRuleCommand({ Rule: "orders" }))).Targets).toEqual([{ Id: "t1", Arn: SINK("orders") }]);
    expect((await eb.send(new ListRuleNamesByTargetCommand({ TargetArn: SINK("orders") }))).RuleNames).toEqual(["orders"]);

    await eb.send(new DisableRuleCommand({ Name: "orders" }));
    sink.delete(SINK("orders"));
    await eb.send(new PutEventsCommand({ Entries: [{ Source: "shop", DetailType: "Order Placed", Detail: '{"total":500}' }] }));
    expect(await received("orders")).toEqual([]);
    await eb.send(new EnableRuleCommand({ Name: "orders" }));

    await expect(eb.send(new DeleteRuleCommand({ Name: "orders" }))).rejects.toMatchObject({
      name: "ValidationException",
      message: "Rule can't be deleted since it has targets.",
    });
    await eb.send(new RemoveTargetsCommand({ Rule: "orders", Ids: ["t1"] }));
    await eb.send(new DeleteRuleCommand({ Name: "orders" }));
    await expect(eb.send(new DescribeRuleCommand({ Name: "orders" }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
      message: "Rule orders does not exist on EventBus default.",
      $metadata: { httpStatusCode: 400 },
    });
  });

  it("refuses bad rules, targets and entries with AWS's errors", async () => {
    await expect(eb.send(new PutRuleCommand({ Name: "bad", EventPattern: '{"source":"x"}' }))).rejects.toMatchObject({ name: "InvalidEventPatternException" });
    await expect(eb.send(new PutRuleCommand({ Name: "bad" }))).rejects.toMatchObject({
      name: "ValidationException",
      message: "Parameter(s) EventPattern or ScheduleExpression must be specified.",
    });
    await expect(eb.send(new PutRuleCommand({ Name: "bad", ScheduleExpression: "rate(5 minute)" }))).rejects.toMatchObject({ name: "ValidationException" });
    await expect(eb.send(new PutTargetsCommand({ Rule: "nope", Targets: [{ Id: "a", Arn: SINK("a") }] }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await eb.send(new PutRuleCommand({ Name: "many", EventPattern: '{"source":["many"]}' }));
    const six = Array.from({ length: 6 }, (_, i) => ({ Id: `t${i}`, Arn: SINK(`m${i}`) }));
    await expect(eb.send(new PutTargetsCommand({ Rule: "many", Targets: six }))).rejects.toMatchObject({ name: "LimitExceededException" });
    const partial = await eb.send(new PutTargetsCommand({ Rule: "many", Targets: [{ Id: "ok", Arn: SINK("ok") }, { Id: "bad", Arn: "not-an-arn" }] }));
    expect(partial.FailedEntryCount).toBe(1);
    expect(partial.FailedEntries![0]).toMatchObject({ TargetId: "bad", ErrorCode: "ValidationException" });

    const res = await eb.send(
      new PutEventsCommand({
        Entries: [
          { Source: "x", DetailType: "y", Detail: "not json" },
          { DetailType: "y", Detail: "{}" },
          { Source: "aws.s3", DetailType: "y", Detail: "{}" },
          { Source: "x", DetailType: "y", Detail: "{}", EventBusName: "missing-bus" },
          { Source: "x", DetailType: "y", Detail: "{}" },
        ],
      }),
    );
    expect(res.FailedEntryCount).toBe(4);
    expect(res.Entries!.map((e) => e.ErrorCode ?? "ok")).toEqual(["MalformedDetail", "InvalidArgument", "NotAuthorizedForSourceException", "InvalidArgument", "ok"]);
  });

  it("sends failed deliveries to the target's dead-letter queue", async () => {
    await eb.send(new PutRuleCommand({ Name: "fragile", EventPattern: '{"source":["fragile"]}' }));
    await eb.send(new PutTargetsCommand({ Rule: "fragile", Targets: [{ Id: "b", Arn: SINK("broken"), DeadLetterConfig: { Arn: SINK("dlq") } }] }));
    await eb.send(new PutEventsCommand({ Entries: [{ Source: "fragile", DetailType: "x", Detail: "{}" }] }));
    await eventsSettled();
    const dlq = sink.get(SINK("dlq"))!;
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.attributes).toMatchObject({ ERROR_MESSAGE: { StringValue: "target unavailable" }, TARGET_ARN: { StringValue: SINK("broken") } });
  });

  it("tests patterns against events (TestEventPattern)", async () => {
    const ev = { id: "1", account: "000000000000", source: "a", time: "2026-12-02T00:00:00Z", region: "us-east-1", "detail-type": "d", resources: [], detail: { n: 5 } };
    const t = (p: unknown) => eb.send(new TestEventPatternCommand({ EventPattern: JSON.stringify(p), Event: JSON.stringify(ev) }));
    expect((await t({ detail: { n: [{ numeric: [">=", 5] }] } })).Result).toBe(true);
    expect((await t({ source: ["b"] })).Result).toBe(false);
    await expect(eb.send(new TestEventPatternCommand({ EventPattern: '{"source":["a"]}', Event: '{"source":"a"}' }))).rejects.toMatchObject({ name: "ValidationException" });
  });
});

describe("event buses", () => {
  it("creates custom buses whose rules see only their events, and forwards bus to bus", async () => {
    const { EventBusArn } = await eb.send(new CreateEventBusCommand({ Name: "orders-bus", Tags: [{ Key: "team", Value: "shop" }] }));
    expect(EventBusArn).toBe("arn:aws:events:us-east-1:000000000000:event-bus/orders-bus");
    await expect(eb.send(new CreateEventBusCommand({ Name: "orders-bus" }))).rejects.toMatchObject({ name: "ResourceAlreadyExistsException" });
    expect((await eb.send(new DescribeEventBusCommand({ Name: "orders-bus" }))).Arn).toBe(EventBusArn);
    expect((await eb.send(new ListEventBusesCommand({}))).EventBuses!.map((b) => b.Name)).toEqual(["default", "orders-bus"]);
    expect((await eb.send(new ListTagsForResourceCommand({ ResourceARN: EventBusArn }))).Tags).toEqual([{ Key: "team", Value: "shop" }]);

    const { RuleArn } = await eb.send(new PutRuleCommand({ Name: "on-bus", EventBusName: "orders-bus", EventPattern: '{"source":["bus-test"]}' }));
    expect(RuleArn).toBe("arn:aws:events:us-east-1:000000000000:rule/orders-bus/on-bus");
    await eb.send(new PutTargetsCommand({ Rule: "on-bus", EventBusName: "orders-bus", Targets: [{ Id: "s", Arn: SINK("bus") }] }));
    await expect(eb.send(new PutRuleCommand({ Name: "sched", EventBusName: "orders-bus", ScheduleExpression: "rate(1 minute)" }))).rejects.toMatchObject({
      message: "ScheduleExpression is supported only on the default event bus.",
    });
    await eb.send(new TagResourceCommand({ ResourceARN: RuleArn, Tags: [{ Key: "k", Value: "v" }] }));

    // Default bus: not seen by the custom bus's rule, until a default-bus rule forwards it there.
    await eb.send(new PutEventsCommand({ Entries: [{ Source: "bus-test", DetailType: "x", Detail: '{"n":1}' }] }));
    expect(await received("bus")).toEqual([]);
    await eb.send(new PutRuleCommand({ Name: "forward", EventPattern: '{"source":["bus-test"]}' }));
    await eb.send(new PutTargetsCommand({ Rule: "forward", Targets: [{ Id: "fw", Arn: EventBusArn }] }));
    await eb.send(new PutEventsCommand({ Entries: [{ Source: "bus-test", DetailType: "x", Detail: '{"n":2}' }] }));
    await eb.send(new PutEventsCommand({ Entries: [{ Source: "bus-test", DetailType: "x", Detail: '{"n":3}', EventBusName: "orders-bus" }] }));
    await eventsSettled();
    expect((await received("bus")).map((e) => (e.detail as { n: number }).n).sort()).toEqual([2, 3]);

    await expect(eb.send(new DeleteEventBusCommand({ Name: "orders-bus" }))).rejects.toMatchObject({ name: "ValidationException" });
    await expect(eb.send(new DeleteEventBusCommand({ Name: "default" }))).rejects.toMatchObject({ message: "Cannot delete event bus default." });
  });
});

describe("S3 events on the default bus", () => {
  it("delivers S3's Object Created / Object Deleted events when the bucket's EventBridge notifications are on", async () => {
    const s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "eb-photos" }));
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: "eb-photos", NotificationConfiguration: { EventBridgeConfiguration: {} } }));
    await eb.send(
      new PutRuleCommand({ Name: "s3-photos", EventPattern: JSON.stringify({ source: ["aws.s3"], detail: { bucket: { name: ["eb-photos"] }, object: { key: [{ prefix: "cats/" }] } } }) }),
    );
    await eb.send(new PutTargetsCommand({ Rule: "s3-photos", Targets: [{ Id: "s", Arn: SINK("s3") }] }));
    await s3.send(new PutObjectCommand({ Bucket: "eb-photos", Key: "cats/tom one.jpg", Body: "meow" }));
    await s3.send(new PutObjectCommand({ Bucket: "eb-photos", Key: "dogs/rex.jpg", Body: "woof" }));
    await s3.send(new DeleteObjectCommand({ Bucket: "eb-photos", Key: "cats/tom one.jpg" }));
    await s3EventsSettled();
    const got = await received("s3");
    expect(got.map((e) => e["detail-type"])).toEqual(["Object Created", "Object Deleted"]);
    expect(got[0]).toMatchObject({
      source: "aws.s3",
      account: "000000000000",
      region: "us-east-1",
      resources: ["arn:aws:s3:::eb-photos"],
      detail: { version: "0", bucket: { name: "eb-photos" }, object: { key: "cats/tom one.jpg", size: 4, etag: "4a4be40c96ac6314e91d93f38043a634" }, reason: "PutObject" },
    });
    expect(got[1]).toMatchObject({ detail: { reason: "DeleteObject", "deletion-type": "Permanently Deleted" } });
  });
});

describe("schedules on the clock", () => {
  it("fires rate and cron rules as AWS's Scheduled Event as the clock moves", async () => {
    const { RuleArn } = await eb.send(new PutRuleCommand({ Name: "every-minute", ScheduleExpression: "rate(1 minute)" }));
    await eb.send(new PutTargetsCommand({ Rule: "every-minute", Targets: [{ Id: "s", Arn: SINK("tick") }] }));
    n.clock.advance(5 * 60 + 1);
    let ticks: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 100 && ticks.length < 5; i++) {
      await new Promise((r) => setTimeout(r, 20));
      ticks = await received("tick");
    }
    expect(ticks).toHaveLength(5);
    expect(ticks[0]).toMatchObject({ source: "aws.events", "detail-type": "Scheduled Event", resources: [RuleArn], detail: {} });
    // Disabled rules do not fire.
    await eb.send(new DisableRuleCommand({ Name: "every-minute" }));
    n.clock.advance(180);
    await new Promise((r) => setTimeout(r, 100));
    expect(await received("tick")).toHaveLength(5);
  });
});

describe("other clients", () => {
  it("works from the AWS CLI", async () => {
    const rule = await awsCli(n, ["events", "put-rule", "--name", "cli-rule", "--event-pattern", '{"source":["cli"]}']);
    expect(rule.code, rule.stderr).toBe(0);
    expect(JSON.parse(rule.stdout).RuleArn).toBe("arn:aws:events:us-east-1:000000000000:rule/cli-rule");
    const targets = await awsCli(n, ["events", "put-targets", "--rule", "cli-rule", "--targets", `Id=1,Arn=${SINK("cli")}`]);
    expect(targets.code, targets.stderr).toBe(0);
    const put = await awsCli(n, ["events", "put-events", "--entries", JSON.stringify([{ Source: "cli", DetailType: "t", Detail: '{"a":1}' }])]);
    expect(put.code, put.stderr).toBe(0);
    expect(await received("cli")).toHaveLength(1);
    const missing = await awsCli(n, ["events", "describe-rule", "--name", "nope"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("ResourceNotFoundException");
  });

  it("works from boto3", async () => {
    const r = await boto3(
      n,
      [
        "c = client('events')",
        "c.put_rule(Name='py-rule', EventPattern=json.dumps({'detail-type': [{'prefix': 'py'}]}))",
        `c.put_targets(Rule='py-rule', Targets=[{'Id': '1', 'Arn': ${JSON.stringify(SINK("py"))}}])`,
        "out = c.put_events(Entries=[{'Source': 'py', 'DetailType': 'python event', 'Detail': '{}'}])",
        "print(json.dumps({'failed': out['FailedEntryCount'], 'rules': [x['Name'] for x in c.list_rules(NamePrefix='py')['Rules']]}))",
      ].join("\n"),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ failed: 0, rules: ["py-rule"] });
    expect(await received("py")).toHaveLength(1);
  });
});
