/** CloudWatch Logs: groups, streams, events, filters, metric filters and retention, through SDK v3, the AWS CLI and boto3. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  DescribeMetricFiltersCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  ListTagsForResourceCommand,
  PutLogEventsCommand,
  PutMetricFilterCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand,
  TestMetricFilterCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let logs: CloudWatchLogsClient;
const HOUR = 3_600_000;

beforeAll(async () => {
  n = await startTestNimbus();
  logs = new CloudWatchLogsClient(sdkConfig(n));
});
afterAll(async () => {
  await n.stop();
});

async function groupWithStream(group: string, stream = "s1") {
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
}

describe("groups and streams", () => {
  it("creates, describes with tags and retention, and deletes", async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/app/web", tags: { team: "web" } }));
    await expect(logs.send(new CreateLogGroupCommand({ logGroupName: "/app/web" }))).rejects.toMatchObject({ name: "ResourceAlreadyExistsException" });
    await expect(logs.send(new CreateLogGroupCommand({ logGroupName: "bad name!" }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: "/app/web", retentionInDays: 7 }));
    await expect(logs.send(new PutRetentionPolicyCommand({ logGroupName: "/app/web", retentionInDays: 8 }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    const d = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/app/" }));
    expect(d.logGroups?.map((g) => [g.logGroupName, g.retentionInDays])).toEqual([["/app/web", 7]]);
    const arn = d.logGroups![0]!.logGroupArn!;
    expect(arn).toBe("arn:aws:logs:us-east-1:000000000000:log-group:/app/web");
    await logs.send(new TagResourceCommand({ resourceArn: arn, tags: { env: "dev" } }));
    expect((await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual({ team: "web", env: "dev" });
    await logs.send(new CreateLogStreamCommand({ logGroupName: "/app/web", logStreamName: "b" }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: "/app/web", logStreamName: "a" }));
    await expect(logs.send(new CreateLogStreamCommand({ logGroupName: "/app/web", logStreamName: "a" }))).rejects.toMatchObject({ name: "ResourceAlreadyExistsException" });
    await expect(logs.send(new CreateLogStreamCommand({ logGroupName: "/nope", logStreamName: "a" }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
      message: "The specified log group does not exist.",
    });
    const s = await logs.send(new DescribeLogStreamsCommand({ logGroupName: "/app/web" }));
    expect(s.logStreams?.map((x) => x.logStreamName)).toEqual(["a", "b"]);
    await expect(logs.send(new DescribeLogStreamsCommand({ logGroupName: "/app/web", orderBy: "LastEventTime", logStreamNamePrefix: "a" }))).rejects.toMatchObject({
      name: "InvalidParameterException",
    });
    await logs.send(new DeleteLogStreamCommand({ logGroupName: "/app/web", logStreamName: "b" }));
    await logs.send(new DeleteLogGroupCommand({ logGroupName: "/app/web" }));
    await expect(logs.send(new DescribeLogStreamsCommand({ logGroupName: "/app/web" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("pages DescribeLogGroups", async () => {
    for (let i = 0; i < 7; i++) await logs.send(new CreateLogGroupCommand({ logGroupName: `/page/g${i}` }));
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const r = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/page/", limit: 3, nextToken }));
      names.push(...r.logGroups!.map((g) => g.logGroupName!));
      nextToken = r.nextToken;
    } while (nextToken);
    expect(names).toEqual(["/page/g0", "/page/g1", "/page/g2", "/page/g3", "/page/g4", "/page/g5", "/page/g6"]);
  });
});

describe("events", () => {
  it("puts, rejects too old / too new, and reads forward and backward", async () => {
    await groupWithStream("/ev/one");
    const now = n.clock.nowMs();
    const events = Array.from({ length: 25 }, (_, i) => ({ timestamp: now - 25_000 + i * 1000, message: `line ${i}` }));
    const r = await logs.send(new PutLogEventsCommand({ logGroupName: "/ev/one", logStreamName: "s1", logEvents: events }));
    expect(r.rejectedLogEventsInfo).toBeUndefined();
    const odd = await logs.send(
      new PutLogEventsCommand({
        logGroupName: "/ev/one",
        logStreamName: "s1",
        logEvents: [
          { timestamp: now - 15 * 24 * HOUR, message: "ancient" },
          { timestamp: now, message: "fresh" },
          { timestamp: now + 3 * HOUR, message: "future" },
        ],
      }),
    );
    expect(odd.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1, tooNewLogEventStartIndex: 2 });
    await expect(
      logs.send(new PutLogEventsCommand({ logGroupName: "/ev/one", logStreamName: "s1", logEvents: [{ timestamp: now, message: "b" }, { timestamp: now - 1, message: "a" }] })),
    ).rejects.toMatchObject({ name: "InvalidParameterException", message: "Log events in a single PutLogEvents request must be in chronological order." });
    await expect(logs.send(new PutLogEventsCommand({ logGroupName: "/ev/one", logStreamName: "nope", logEvents: [{ timestamp: now, message: "x" }] }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
      message: "The specified log stream does not exist.",
    });

    // From the head, in pages of 10, following the forward token until it repeats.
    const seen: string[] = [];
    let token: string | undefined;
    for (;;) {
      const page = await logs.send(new GetLogEventsCommand({ logGroupName: "/ev/one", logStreamName: "s1", startFromHead: true, limit: 10, nextToken: token }));
      seen.push(...page.events!.map((e) => e.message!));
      if (page.nextForwardToken === token) break;
      token = page.nextForwardToken;
    }
    expect(seen).toEqual([...events.map((e) => e.message), "fresh"]);
    // Without a token: the newest events, oldest first; the backward token walks back.
    const tail = await logs.send(new GetLogEventsCommand({ logGroupName: "/ev/one", logStreamName: "s1", limit: 3 }));
    expect(tail.events!.map((e) => e.message)).toEqual(["line 23", "line 24", "fresh"]);
    const back = await logs.send(new GetLogEventsCommand({ logGroupName: "/ev/one", logStreamName: "s1", limit: 3, nextToken: tail.nextBackwardToken }));
    expect(back.events!.map((e) => e.message)).toEqual(["line 20", "line 21", "line 22"]);
    // A time window.
    const win = await logs.send(new GetLogEventsCommand({ logGroupName: "/ev/one", logStreamName: "s1", startFromHead: true, startTime: now - 20_000, endTime: now - 17_000 }));
    expect(win.events!.map((e) => e.message)).toEqual(["line 5", "line 6", "line 7"]);
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: "/ev/one" }));
    expect(streams.logStreams![0]).toMatchObject({ firstEventTimestamp: events[0]!.timestamp, lastEventTimestamp: now });
  });

  it("filters across streams with every pattern form and pages", async () => {
    await groupWithStream("/ev/filter", "web-1");
    await logs.send(new CreateLogStreamCommand({ logGroupName: "/ev/filter", logStreamName: "web-2" }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: "/ev/filter", logStreamName: "worker" }));
    const now = n.clock.nowMs();
    const put = (stream: string, lines: string[], base: number) =>
      logs.send(new PutLogEventsCommand({ logGroupName: "/ev/filter", logStreamName: stream, logEvents: lines.map((message, i) => ({ timestamp: base + i, message })) }));
    await put("web-1", ["INFO start", "ERROR timeout talking to db", JSON.stringify({ level: "ERROR", code: 502 })], now - 1000);
    await put("web-2", ["WARN slow", '10.0.0.1 GET /index.html 200 512', '10.0.0.2 GET /missing 404 0'], now - 900);
    await put("worker", ["ERROR job failed", JSON.stringify({ level: "INFO", code: 200 })], now - 800);

    const f = async (filterPattern: string, extra: Record<string, unknown> = {}) =>
      (await logs.send(new FilterLogEventsCommand({ logGroupName: "/ev/filter", filterPattern, ...extra }))).events!.map((e) => `${e.logStreamName}:${e.message}`);
    expect(await f("ERROR")).toEqual(["web-1:ERROR timeout talking to db", 'web-1:{"level":"ERROR","code":502}', "worker:ERROR job failed"]);
    expect(await f("ERROR", { logStreamNamePrefix: "web" })).toHaveLength(2);
    expect(await f("?WARN ?timeout")).toEqual(["web-1:ERROR timeout talking to db", "web-2:WARN slow"]);
    expect(await f("{ $.code >= 500 }")).toEqual(['web-1:{"level":"ERROR","code":502}']);
    expect(await f("[ip, method, path, status = 4*, bytes]")).toEqual(["web-2:10.0.0.2 GET /missing 404 0"]);
    expect(await f("", { logStreamNames: ["worker"] })).toHaveLength(2);
    await expect(f("{ $.code > }")).rejects.toMatchObject({ name: "InvalidParameterException" });
    await expect(f("x", { logStreamNames: ["a"], logStreamNamePrefix: "b" })).rejects.toMatchObject({ name: "InvalidParameterException" });
    // Pages of 2 over all 8 events.
    const all: string[] = [];
    let nextToken: string | undefined;
    do {
      const r = await logs.send(new FilterLogEventsCommand({ logGroupName: "/ev/filter", limit: 2, nextToken }));
      all.push(...r.events!.map((e) => e.eventId!));
      nextToken = r.nextToken;
    } while (nextToken);
    expect(all).toHaveLength(8);
    expect(new Set(all).size).toBe(8);
  });

  it("enforces retention on the injected clock", async () => {
    await groupWithStream("/ev/retained");
    const now = n.clock.nowMs();
    await logs.send(new PutLogEventsCommand({ logGroupName: "/ev/retained", logStreamName: "s1", logEvents: [{ timestamp: now, message: "keep me a day" }] }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: "/ev/retained", retentionInDays: 1 }));
    n.clock.advance(2 * 86_400);
    for (let i = 0; i < 50; i++) {
      const r = await logs.send(new GetLogEventsCommand({ logGroupName: "/ev/retained", logStreamName: "s1", startFromHead: true }));
      if (r.events!.length === 0) return;
      await new Promise((res) => setTimeout(res, 20));
    }
    throw new Error("events older than the retention period were not removed");
  });
});

describe("metric filters", () => {
  it("tests patterns and publishes matches to CloudWatch", async () => {
    const t = await logs.send(
      new TestMetricFilterCommand({ filterPattern: "[ip, method, path, status, bytes]", logEventMessages: ["1.2.3.4 GET / 200 10", "garbage"] }),
    );
    expect(t.matches).toEqual([{ eventNumber: 1, eventMessage: "1.2.3.4 GET / 200 10", extractedValues: { $ip: "1.2.3.4", $method: "GET", $path: "/", $status: "200", $bytes: "10" } }]);
    await groupWithStream("/mf/app");
    await logs.send(
      new PutMetricFilterCommand({
        logGroupName: "/mf/app",
        filterName: "bytes",
        filterPattern: "[ip, method, path, status, bytes]",
        metricTransformations: [{ metricName: "Bytes", metricNamespace: "App", metricValue: "$bytes", dimensions: { Status: "$status" } }],
      }),
    );
    expect((await logs.send(new DescribeMetricFiltersCommand({ logGroupName: "/mf/app" }))).metricFilters?.[0]?.filterName).toBe("bytes");
    const now = n.clock.nowMs();
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: "/mf/app",
        logStreamName: "s1",
        logEvents: [
          { timestamp: now, message: "1.1.1.1 GET / 200 100" },
          { timestamp: now + 1, message: "1.1.1.1 GET /a 200 50" },
          { timestamp: now + 2, message: "not an access line" },
        ],
      }),
    );
    const cw = new CloudWatchClient(sdkConfig(n));
    const metrics = await cw.send(new ListMetricsCommand({ Namespace: "App" }));
    expect(metrics.Metrics?.map((m) => [m.MetricName, m.Dimensions])).toEqual([["Bytes", [{ Name: "Status", Value: "200" }]]]);
    const stats = await cw
      .send(
        new GetMetricStatisticsCommand({
          Namespace: "App",
          MetricName: "Bytes",
          Dimensions: [{ Name: "Status", Value: "200" }],
          StartTime: new Date(now - 60_000),
          EndTime: new Date(now + 60_000),
          Period: 60,
          Statistics: ["Sum"],
        }),
      )
      .catch(() => undefined);
    // GetMetricStatistics arrives with the CloudWatch issue; when it answers, the sum is the two lines' bytes.
    if (stats) expect(stats.Datapoints?.reduce((a, d) => a + (d.Sum ?? 0), 0)).toBe(150);
  });
});

describe("AWS CLI and boto3", () => {
  it("aws logs create/put/get/filter", async () => {
    const ok = async (args: string[]) => {
      const r = await awsCli(n, args);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      return r.stdout ? (JSON.parse(r.stdout) as Record<string, unknown>) : {};
    };
    await ok(["logs", "create-log-group", "--log-group-name", "/cli/app"]);
    await ok(["logs", "create-log-stream", "--log-group-name", "/cli/app", "--log-stream-name", "main"]);
    const ts = n.clock.nowMs();
    await ok(["logs", "put-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "main", "--log-events", `timestamp=${ts},message=hello`, `timestamp=${ts + 1},message=ERROR boom`]);
    const got = await ok(["logs", "get-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "main", "--start-from-head"]);
    expect((got.events as { message: string }[]).map((e) => e.message)).toEqual(["hello", "ERROR boom"]);
    const filtered = await ok(["logs", "filter-log-events", "--log-group-name", "/cli/app", "--filter-pattern", "ERROR"]);
    expect((filtered.events as { message: string }[]).map((e) => e.message)).toEqual(["ERROR boom"]);
    const missing = await awsCli(n, ["logs", "get-log-events", "--log-group-name", "/cli/none", "--log-stream-name", "x"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("ResourceNotFoundException");
  });

  it("boto3 logs client", async () => {
    const r = await boto3(
      n,
      `
import time
c = client("logs")
c.create_log_group(logGroupName="/py/app")
c.create_log_stream(logGroupName="/py/app", logStreamName="s")
now = ${n.clock.nowMs()}
c.put_log_events(logGroupName="/py/app", logStreamName="s", logEvents=[{"timestamp": now, "message": '{"level": "ERROR"}'}, {"timestamp": now + 1, "message": "fine"}])
ev = c.filter_log_events(logGroupName="/py/app", filterPattern='{ $.level = "ERROR" }')["events"]
print(len(ev), ev[0]["message"])
try:
    c.put_retention_policy(logGroupName="/py/app", retentionInDays=2)
except c.exceptions.InvalidParameterException as e:
    print("invalid")
`,
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n")).toEqual(['1 {"level": "ERROR"}', "invalid"]);
  });
});
