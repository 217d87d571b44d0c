/** EventBridge archives and replays through SDK v3 and the AWS CLI: archiving by pattern, retention on the clock, replay to chosen rules. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CancelReplayCommand,
  CreateArchiveCommand,
  CreateEventBusCommand,
  DeleteArchiveCommand,
  DeleteRuleCommand,
  DescribeArchiveCommand,
  DescribeReplayCommand,
  DisableRuleCommand,
  EventBridgeClient,
  ListArchivesCommand,
  ListReplaysCommand,
  ListRulesCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  StartReplayCommand,
  UpdateArchiveCommand,
  type DescribeReplayCommandOutput,
} from "@aws-sdk/client-eventbridge";
import type { Nimbus } from "../src/index.js";
import type { Delivery } from "../src/core/bus.js";
import { eventsSettled } from "../src/services/events/dispatch.js";
import { awsCli, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let eb: EventBridgeClient;
const sink = new Map<string, Delivery[]>();
const SINK = (name: string) => `arn:aws:testsink:us-east-1:000000000000:${name}`;
const received = async (name: string) => {
  await eventsSettled();
  return (sink.get(SINK(name)) ?? []).map((d) => JSON.parse(d.body) as Record<string, unknown>);
};
const DEFAULT_BUS = "arn:aws:events:us-east-1:000000000000:event-bus/default";
const ARCHIVE = (name: string) => `arn:aws:events:us-east-1:000000000000:archive/${name}`;

beforeAll(async () => {
  n = await startTestNimbus();
  eb = new EventBridgeClient(sdkConfig(n));
  n.bus.register("testsink", async (arn, delivery) => {
    sink.set(arn, [...(sink.get(arn) ?? []), delivery]);
    return { messageId: String(sink.get(arn)!.length) };
  });
});
afterAll(async () => {
  await n.stop();
});

/** Poll DescribeReplay until the replay leaves STARTING/RUNNING/CANCELLING; returns every state seen. */
async function settle(name: string): Promise<{ out: DescribeReplayCommandOutput; seen: string[] }> {
  const seen: string[] = [];
  for (let i = 0; i < 500; i++) {
    const out = await eb.send(new DescribeReplayCommand({ ReplayName: name }));
    if (seen[seen.length - 1] !== out.State) seen.push(out.State!);
    if (!["STARTING", "RUNNING", "CANCELLING"].includes(out.State!)) {
      await eventsSettled();
      return { out, seen };
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`replay ${name} did not finish`);
}

const order = (id: number) => ({ Source: "app.orders", DetailType: "Order Placed", Detail: JSON.stringify({ id }) });

describe("archives", () => {
  it("creates an archive on a bus and refuses duplicates, missing buses and bad patterns with AWS's errors", async () => {
    const out = await eb.send(
      new CreateArchiveCommand({ ArchiveName: "orders", EventSourceArn: DEFAULT_BUS, EventPattern: JSON.stringify({ source: ["app.orders"] }), RetentionDays: 1, Description: "all orders" }),
    );
    expect(out).toMatchObject({ ArchiveArn: ARCHIVE("orders"), State: "ENABLED" });
    expect(out.CreationTime).toBeInstanceOf(Date);
    await expect(eb.send(new CreateArchiveCommand({ ArchiveName: "orders", EventSourceArn: DEFAULT_BUS }))).rejects.toMatchObject({
      name: "ResourceAlreadyExistsException",
      message: "Archive orders already exists.",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      eb.send(new CreateArchiveCommand({ ArchiveName: "elsewhere", EventSourceArn: "arn:aws:events:us-east-1:000000000000:event-bus/no-such-bus" })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException", message: "Event bus no-such-bus does not exist." });
    await expect(eb.send(new CreateArchiveCommand({ ArchiveName: "bad", EventSourceArn: DEFAULT_BUS, EventPattern: "{\"source\": \"x\"}" }))).rejects.toMatchObject({
      name: "InvalidEventPatternException",
    });
    await expect(eb.send(new CreateArchiveCommand({ ArchiveName: "bad name!", EventSourceArn: DEFAULT_BUS }))).rejects.toMatchObject({ name: "ValidationException" });
    await expect(eb.send(new DescribeArchiveCommand({ ArchiveName: "nope" }))).rejects.toMatchObject({ name: "ResourceNotFoundException", message: "Archive nope does not exist." });
    // Nothing half-made by the failures.
    expect((await eb.send(new ListArchivesCommand({}))).Archives!.map((a) => a.ArchiveName)).toEqual(["orders"]);
  });

  it("stores the events that match its pattern, through a managed rule", async () => {
    await eb.send(new PutEventsCommand({ Entries: [order(1), order(2), order(3), { Source: "app.other", DetailType: "x", Detail: "{}" }] }));
    const a = await eb.send(new DescribeArchiveCommand({ ArchiveName: "orders" }));
    expect(a).toMatchObject({ ArchiveName: "orders", ArchiveArn: ARCHIVE("orders"), EventSourceArn: DEFAULT_BUS, State: "ENABLED", EventCount: 3, RetentionDays: 1, Description: "all orders" });
    expect(a.SizeBytes).toBeGreaterThan(300);
    const rules = (await eb.send(new ListRulesCommand({}))).Rules!;
    const managed = rules.find((r) => r.Name === "Events-Archive-orders");
    expect(managed).toMatchObject({ ManagedBy: "events.amazonaws.com", State: "ENABLED" });
    expect(JSON.parse(managed!.EventPattern!)).toEqual({ source: ["app.orders"], "replay-name": [{ exists: false }] });
    await expect(eb.send(new DeleteRuleCommand({ Name: "Events-Archive-orders" }))).rejects.toMatchObject({ name: "ManagedRuleException" });
    await expect(eb.send(new DisableRuleCommand({ Name: "Events-Archive-orders" }))).rejects.toMatchObject({ name: "ManagedRuleException" });
  });

  it("lists archives with one filter at a time", async () => {
    await eb.send(new CreateEventBusCommand({ Name: "side" }));
    const side = "arn:aws:events:us-east-1:000000000000:event-bus/side";
    await eb.send(new CreateArchiveCommand({ ArchiveName: "side-all", EventSourceArn: side }));
    expect((await eb.send(new ListArchivesCommand({ EventSourceArn: side }))).Archives!.map((a) => a.ArchiveName)).toEqual(["side-all"]);
    expect((await eb.send(new ListArchivesCommand({ NamePrefix: "ord" }))).Archives!).toMatchObject([{ ArchiveName: "orders", EventCount: 3, State: "ENABLED" }]);
    expect((await eb.send(new ListArchivesCommand({ State: "ENABLED" }))).Archives).toHaveLength(2);
    await expect(eb.send(new ListArchivesCommand({ NamePrefix: "o", State: "ENABLED" }))).rejects.toMatchObject({ name: "ValidationException" });
    // An archive without a pattern takes every event of its bus.
    await eb.send(new PutEventsCommand({ Entries: [{ ...order(9), EventBusName: "side" }, { Source: "z", DetailType: "z", Detail: "{}", EventBusName: "side" }] }));
    expect((await eb.send(new DescribeArchiveCommand({ ArchiveName: "side-all" }))).EventCount).toBe(2);
    await eb.send(new DeleteArchiveCommand({ ArchiveName: "side-all" }));
    await expect(eb.send(new DescribeArchiveCommand({ ArchiveName: "side-all" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    expect((await eb.send(new ListRulesCommand({ EventBusName: "side" }))).Rules).toEqual([]);
  });
});

describe("replays", () => {
  const window = () => ({ EventStartTime: new Date(n.clock.nowMs() - 3_600_000), EventEndTime: new Date(n.clock.nowMs() + 60_000) });

  it("replays archived events to the listed rules only, with replay-name, STARTING -> RUNNING -> COMPLETED", async () => {
    const { RuleArn: ordersRule } = await eb.send(new PutRuleCommand({ Name: "orders-rule", EventPattern: JSON.stringify({ source: ["app.orders"] }) }));
    await eb.send(new PutTargetsCommand({ Rule: "orders-rule", Targets: [{ Id: "s", Arn: SINK("orders") }] }));
    await eb.send(new PutRuleCommand({ Name: "audit-rule", EventPattern: JSON.stringify({ source: ["app.orders"] }) }));
    await eb.send(new PutTargetsCommand({ Rule: "audit-rule", Targets: [{ Id: "s", Arn: SINK("audit") }] }));

    const start = await eb.send(new StartReplayCommand({ ReplayName: "r1", EventSourceArn: ARCHIVE("orders"), Destination: { Arn: DEFAULT_BUS, FilterArns: [ordersRule!] }, ...window() }));
    expect(start).toMatchObject({ ReplayArn: "arn:aws:events:us-east-1:000000000000:replay/r1", State: "STARTING" });
    const { out, seen } = await settle("r1");
    // Polling may miss the short STARTING and RUNNING phases, never reorder them.
    expect(["STARTING", "RUNNING", "COMPLETED"].filter((s) => seen.includes(s))).toEqual(seen);
    expect(seen[seen.length - 1]).toBe("COMPLETED");
    expect(out).toMatchObject({ ReplayName: "r1", EventSourceArn: ARCHIVE("orders"), Destination: { Arn: DEFAULT_BUS, FilterArns: [ordersRule] } });
    expect(out.EventLastReplayedTime).toBeInstanceOf(Date);
    expect(out.ReplayEndTime).toBeInstanceOf(Date);

    const got = await received("orders");
    expect(got.map((e) => (e.detail as { id: number }).id).sort()).toEqual([1, 2, 3]);
    expect(got.every((e) => e["replay-name"] === "r1" && e.source === "app.orders")).toBe(true);
    expect(await received("audit")).toEqual([]);
    // Replayed events are not archived again.
    expect((await eb.send(new DescribeArchiveCommand({ ArchiveName: "orders" }))).EventCount).toBe(3);
  });

  it("without FilterArns reaches every rule of the bus but the archive's", async () => {
    await eb.send(new StartReplayCommand({ ReplayName: "r2", EventSourceArn: ARCHIVE("orders"), Destination: { Arn: DEFAULT_BUS }, ...window() }));
    expect((await settle("r2")).out.State).toBe("COMPLETED");
    expect((await received("audit")).map((e) => e["replay-name"])).toEqual(["r2", "r2", "r2"]);
    expect(await received("orders")).toHaveLength(6);
    expect((await eb.send(new DescribeArchiveCommand({ ArchiveName: "orders" }))).EventCount).toBe(3);
    // Only events inside the window are replayed.
    const late = { EventStartTime: new Date(n.clock.nowMs() + 60_000), EventEndTime: new Date(n.clock.nowMs() + 120_000) };
    await eb.send(new StartReplayCommand({ ReplayName: "r-empty", EventSourceArn: ARCHIVE("orders"), Destination: { Arn: DEFAULT_BUS }, ...late }));
    expect((await settle("r-empty")).out.State).toBe("COMPLETED");
    expect(await received("orders")).toHaveLength(6);
  });

  it("lists and cancels replays, and refuses bad ones with AWS's errors", async () => {
    const replays = (await eb.send(new ListReplaysCommand({ NamePrefix: "r" }))).Replays!;
    expect(replays.map((r) => r.ReplayName)).toEqual(["r-empty", "r1", "r2"]);
    expect((await eb.send(new ListReplaysCommand({ State: "COMPLETED" }))).Replays).toHaveLength(3);
    expect((await eb.send(new ListReplaysCommand({ EventSourceArn: ARCHIVE("orders") }))).Replays).toHaveLength(3);
    await expect(eb.send(new ListReplaysCommand({ NamePrefix: "r", State: "COMPLETED" }))).rejects.toMatchObject({ name: "ValidationException" });

    await expect(eb.send(new CancelReplayCommand({ ReplayName: "r1" }))).rejects.toMatchObject({ name: "IllegalStatusException", $metadata: { httpStatusCode: 400 } });
    await expect(eb.send(new CancelReplayCommand({ ReplayName: "nope" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await expect(eb.send(new DescribeReplayCommand({ ReplayName: "nope" }))).rejects.toMatchObject({ name: "ResourceNotFoundException", message: "Replay nope does not exist." });
    await expect(eb.send(new StartReplayCommand({ ReplayName: "r1", EventSourceArn: ARCHIVE("orders"), Destination: { Arn: DEFAULT_BUS }, ...window() }))).rejects.toMatchObject({
      name: "ResourceAlreadyExistsException",
    });
    await expect(
      eb.send(new StartReplayCommand({ ReplayName: "x1", EventSourceArn: ARCHIVE("orders"), Destination: { Arn: "arn:aws:events:us-east-1:000000000000:event-bus/side" }, ...window() })),
    ).rejects.toMatchObject({ name: "ValidationException", message: "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted." });
    const w = window();
    await expect(
      eb.send(new StartReplayCommand({ ReplayName: "x2", EventSourceArn: ARCHIVE("orders"), Destination: { Arn: DEFAULT_BUS }, EventStartTime: w.EventEndTime, EventEndTime: w.EventStartTime })),
    ).rejects.toMatchObject({ name: "ValidationException" });
    await expect(eb.send(new StartReplayCommand({ ReplayName: "x3", EventSourceArn: ARCHIVE("missing"), Destination: { Arn: DEFAULT_BUS }, ...window() }))).rejects.toMatchObject({
      name: "ValidationException",
    });
    expect((await eb.send(new ListReplaysCommand({}))).Replays).toHaveLength(3);

    // A replay cancelled while it runs ends CANCELLED; one that finished first cannot be cancelled.
    await eb.send(new StartReplayCommand({ ReplayName: "r3", EventSourceArn: ARCHIVE("orders"), Destination: { Arn: DEFAULT_BUS }, ...window() }));
    const cancel = await eb.send(new CancelReplayCommand({ ReplayName: "r3" })).catch((e: { name: string }) => e);
    if ("State" in cancel) {
      expect(cancel).toMatchObject({ State: "CANCELLING", ReplayArn: "arn:aws:events:us-east-1:000000000000:replay/r3" });
      expect((await settle("r3")).out.State).toBe("CANCELLED");
    } else {
      expect((cancel as { name: string }).name).toBe("IllegalStatusException");
      expect((await settle("r3")).out.State).toBe("COMPLETED");
    }
  });
});

describe("retention and the CLI", () => {
  it("drops events older than RetentionDays on the injected clock, and UpdateArchive changes it", async () => {
    await eb.send(new UpdateArchiveCommand({ ArchiveName: "orders", RetentionDays: 2, Description: "two days" }));
    n.clock.advance(86_400 + 60);
    await eventsSettled();
    await new Promise((r) => setTimeout(r, 50));
    expect((await eb.send(new DescribeArchiveCommand({ ArchiveName: "orders" }))).EventCount).toBe(3);
    await eb.send(new UpdateArchiveCommand({ ArchiveName: "orders", RetentionDays: 1 }));
    let count = 3;
    for (let i = 0; i < 200 && count > 0; i++) {
      n.clock.advance(1);
      await new Promise((r) => setTimeout(r, 20));
      count = (await eb.send(new DescribeArchiveCommand({ ArchiveName: "orders" }))).EventCount!;
    }
    const a = await eb.send(new DescribeArchiveCommand({ ArchiveName: "orders" }));
    expect(a).toMatchObject({ EventCount: 0, SizeBytes: 0, RetentionDays: 1, Description: "two days" });
    await expect(eb.send(new UpdateArchiveCommand({ ArchiveName: "orders", EventPattern: "[]" }))).rejects.toMatchObject({ name: "InvalidEventPatternException" });
  });

  it("describes an archive and lists replays from the AWS CLI", async () => {
    const d = await awsCli(n, ["events", "describe-archive", "--archive-name", "orders"]);
    expect(d.code).toBe(0);
    expect(JSON.parse(d.stdout)).toMatchObject({ ArchiveName: "orders", EventSourceArn: DEFAULT_BUS, State: "ENABLED", RetentionDays: 1 });
    const missing = await awsCli(n, ["events", "describe-replay", "--replay-name", "nope"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("ResourceNotFoundException");
    await eb.send(new DeleteArchiveCommand({ ArchiveName: "orders" }));
    expect((await eb.send(new ListRulesCommand({ NamePrefix: "Events-Archive" }))).Rules).toEqual([]);
  });
});
