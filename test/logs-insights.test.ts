/** Logs Insights through SDK v3, the AWS CLI and boto3: StartQuery, GetQueryResults, StopQuery, DescribeQueries. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeQueriesCommand,
  GetQueryResultsCommand,
  PutLogEventsCommand,
  StartQueryCommand,
  StopQueryCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import type { Nimbus } from "../src/index.js";
import { insightsQueriesSettled } from "../src/services/logs/insights-handlers.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let logs: CloudWatchLogsClient;
let t0: number;
let start: number;
let end: number;

beforeAll(async () => {
  n = await startTestNimbus();
  logs = new CloudWatchLogsClient(sdkConfig(n));
  t0 = Math.floor(n.clock.nowMs() / 600_000) * 600_000 - 3_600_000;
  start = Math.floor(t0 / 1000) - 60;
  end = Math.floor(n.clock.nowMs() / 1000) + 60;
  for (const g of ["/svc/api", "/svc/jobs"]) {
    await logs.send(new CreateLogGroupCommand({ logGroupName: g }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: g, logStreamName: "main" }));
  }
  const events = Array.from({ length: 20 }, (_, i) => ({
    timestamp: t0 + i * 60_000,
    message: JSON.stringify({ level: i % 5 === 0 ? "ERROR" : "INFO", path: `/p${i % 3}`, ms: i * 10 }),
  }));
  await logs.send(new PutLogEventsCommand({ logGroupName: "/svc/api", logStreamName: "main", logEvents: events }));
  await logs.send(new PutLogEventsCommand({ logGroupName: "/svc/jobs", logStreamName: "main", logEvents: [{ timestamp: t0, message: "job ERROR crashed id=42" }] }));
});
afterAll(async () => {
  await n.stop();
});

async function results(queryId: string) {
  await insightsQueriesSettled();
  return logs.send(new GetQueryResultsCommand({ queryId }));
}
const rows = (r: { results?: { field?: string; value?: string }[][] }) => r.results!.map((row) => Object.fromEntries(row.filter((c) => c.field !== "@ptr").map((c) => [c.field, c.value])));

describe("Logs Insights", () => {
  it("runs a query in the background and returns rows, statistics and status", async () => {
    const { queryId } = await logs.send(
      new StartQueryCommand({ logGroupName: "/svc/api", startTime: start, endTime: end, queryString: "filter level = 'ERROR' | fields @timestamp, path, ms | sort ms desc" }),
    );
    expect(queryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(["Scheduled", "Running", "Complete"]).toContain((await logs.send(new GetQueryResultsCommand({ queryId }))).status);
    const r = await results(queryId!);
    expect(r.status).toBe("Complete");
    expect(r.statistics).toEqual({ recordsMatched: 4, recordsScanned: 20, bytesScanned: expect.any(Number) });
    expect(rows(r).map((x) => [x.path, x.ms])).toEqual([
      ["/p0", "150"],
      ["/p1", "100"],
      ["/p2", "50"],
      ["/p0", "0"],
    ]);
    expect(rows(r)[3]!["@timestamp"]).toBe(new Date(t0).toISOString().replace("T", " ").replace("Z", ""));
    expect(r.results![0]!.some((c) => c.field === "@ptr")).toBe(true);
  });

  it("stats by bin() over several groups (identifiers may be ARNs), and the time range", async () => {
    const { queryId } = await logs.send(
      new StartQueryCommand({
        logGroupIdentifiers: ["/svc/api", "arn:aws:logs:us-east-1:000000000000:log-group:/svc/jobs"],
        startTime: start,
        endTime: end,
        queryString: "filter @message like /ERROR/ | stats count(*) as errors by bin(10m)",
      }),
    );
    const r = await results(queryId!);
    expect(rows(r).map((x) => Number(x.errors))).toEqual([3, 2]);
    const narrow = await logs.send(new StartQueryCommand({ logGroupName: "/svc/api", startTime: Math.floor(t0 / 1000), endTime: Math.floor(t0 / 1000) + 119, queryString: "stats count(*) as c" }));
    expect(rows(await results(narrow.queryId!))).toEqual([{ c: "2" }]);
  });

  it("answers bad input with AWS's errors", async () => {
    await expect(logs.send(new StartQueryCommand({ logGroupName: "/svc/api", startTime: start, endTime: end, queryString: "fields @message | sortt @timestamp" }))).rejects.toMatchObject({
      name: "MalformedQueryException",
      message: expect.stringContaining("Unknown command 'sortt'"),
      $metadata: { httpStatusCode: 400 },
    });
    await expect(logs.send(new StartQueryCommand({ logGroupName: "/nope", startTime: start, endTime: end, queryString: "fields @message" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await expect(logs.send(new StartQueryCommand({ startTime: start, endTime: end, queryString: "fields @message" }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    await expect(logs.send(new StartQueryCommand({ logGroupName: "/svc/api", startTime: end, endTime: start, queryString: "fields @message" }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    await expect(logs.send(new GetQueryResultsCommand({ queryId: "00000000-0000-0000-0000-000000000000" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("StopQuery cancels a query still running (or says it had finished); DescribeQueries lists them", async () => {
    const { queryId } = await logs.send(new StartQueryCommand({ logGroupName: "/svc/jobs", startTime: start, endTime: end, queryString: "fields @message" }));
    // The query may already have finished: then StopQuery reports no success and it stays Complete.
    const stopped = (await logs.send(new StopQueryCommand({ queryId }))).success;
    await insightsQueriesSettled();
    const final = stopped ? "Cancelled" : "Complete";
    expect((await logs.send(new GetQueryResultsCommand({ queryId }))).status).toBe(final);
    expect((await logs.send(new StopQueryCommand({ queryId }))).success).toBe(false);
    const d = await logs.send(new DescribeQueriesCommand({ logGroupName: "/svc/jobs", status: final }));
    expect(d.queries!.filter((q) => q.queryId === queryId).map((q) => [q.status, q.logGroupName, q.queryString])).toEqual([[final, "/svc/jobs", "fields @message"]]);
    expect(d.queries!.every((q) => q.status === final)).toBe(true);
    expect((await logs.send(new DescribeQueriesCommand({}))).queries!.length).toBeGreaterThanOrEqual(4);
  });

  it("the AWS CLI starts a query and boto3 reads its results", async () => {
    const cli = await awsCli(n, ["logs", "start-query", "--log-group-name", "/svc/jobs", "--start-time", String(start), "--end-time", String(end), "--query-string", 'parse @message "id=*" as id | fields id']);
    expect(cli.code, cli.stderr).toBe(0);
    const { queryId } = JSON.parse(cli.stdout) as { queryId: string };
    await insightsQueriesSettled();
    const py = await boto3(n, `r = client('logs').get_query_results(queryId='${queryId}')\nprint(json.dumps({'status': r['status'], 'rows': [[c for c in row if c['field'] != '@ptr'] for row in r['results']]}))`);
    expect(py.code, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toEqual({ status: "Complete", rows: [[{ field: "id", value: "42" }]] });
  });
});
