/** The console's CloudWatch (metrics, alarms, logs) and CloudTrail pages in Chromium. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import type { Nimbus } from "../src/index.js";
import { sdkConfig } from "./helpers.js";
import { consoleUrl, describeViolations, launchBrowser, newContext, screenshot, seriousA11yViolations, signInRoot, startConsoleNimbus } from "./console-harness.js";

let n: Nimbus;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  n = await startConsoleNimbus();
  browser = await launchBrowser();
  const ctx = await newContext(browser);
  page = await ctx.newPage();
  await signInRoot(page, n);
});
afterAll(async () => {
  await browser?.close();
  await n?.stop();
});

const a11y = async () => expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");

describe("console: CloudWatch and CloudTrail", () => {
  it("finds a metric put by the SDK in the explorer and charts it; creates an alarm through the form", async () => {
    const cw = new CloudWatchClient(sdkConfig(n));
    const now = Date.now();
    await cw.send(
      new PutMetricDataCommand({
        Namespace: "Console/Test",
        MetricData: [4, 9, 2, 7].map((v, i) => ({ MetricName: "Requests", Dimensions: [{ Name: "Env", Value: "prod" }], Value: v, Timestamp: new Date(now - (4 - i) * 60_000) })),
      }),
    );
    await page.goto(consoleUrl(n, "cloudwatch/metrics"));
    await page.getByRole("heading", { name: "Metrics" }).waitFor();
    await page.getByLabel("Namespace").selectOption("Console/Test");
    await page.getByLabel("Search metrics").fill("Requests");
    await page.getByLabel("Select Console/Test Requests (Env=prod)").check();
    const chart = page.getByRole("img", { name: /Requests \(Env=prod\), \d+ points/ });
    await chart.waitFor();
    expect(await chart.locator("path").count()).toBeGreaterThan(0);
    await a11y();
    await screenshot(page, "cloudwatch-metrics");

    // Alarms: empty list, then the create form.
    await page.getByRole("navigation", { name: "CloudWatch" }).getByRole("link", { name: "Alarms" }).click();
    await page.getByText("No alarms yet.").waitFor();
    await a11y();
    await page.getByRole("link", { name: "Create alarm" }).first().click();
    await page.getByRole("heading", { name: "Create alarm" }).waitFor();
    await page.getByRole("button", { name: "Create alarm" }).click();
    await page.getByText("Choose a metric.").waitFor();
    await page.getByLabel("Metric", { exact: true }).selectOption("Console/Test Requests (Env=prod)");
    await page.getByLabel("Statistic").selectOption("Maximum");
    await page.getByLabel("Period", { exact: true }).selectOption("60");
    await page.getByLabel("Threshold").fill("100");
    await page.getByLabel("Alarm name").fill("console-high-requests");
    await page.getByRole("button", { name: "Create alarm" }).click();
    const row = page.getByRole("row", { name: /console-high-requests/ });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Insufficient data|OK|In alarm/);
    expect(await row.textContent()).toContain("> 100");
    await row.getByRole("link", { name: "console-high-requests" }).click();
    await page.getByRole("heading", { name: "console-high-requests" }).waitFor();
    await page.getByRole("img", { name: /Threshold \(100\)/ }).waitFor();
    await page.getByRole("table", { name: "history items" }).getByText("Alarm updated from").or(page.getByRole("table", { name: "history items" }).getByText(/created|Configuration/i)).first().waitFor();
  });

  it("filters log events put by the SDK in the logs view", async () => {
    const logs = new CloudWatchLogsClient(sdkConfig(n));
    const group = "/console/test-app";
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "web/1" }));
    const t = Date.now() - 60_000;
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: "web/1",
        logEvents: ["INFO started", "ERROR disk full", "INFO request ok", "ERROR timeout talking to db"].map((message, i) => ({ message, timestamp: t + i * 1000 })),
      }),
    );
    await page.goto(consoleUrl(n, "cloudwatch/logs"));
    await page.getByRole("heading", { name: "Log groups" }).waitFor();
    await page.getByRole("link", { name: group }).waitFor();
    await a11y();
    await page.getByRole("link", { name: group }).click();
    await page.getByRole("heading", { name: group }).waitFor();
    await page.getByRole("link", { name: "web/1" }).waitFor();
    await page.getByRole("tab", { name: "Search all log streams" }).click();
    await page.getByText("INFO started").waitFor();
    await page.getByLabel("Filter pattern").fill("ERROR");
    await page.getByRole("button", { name: "Search" }).click();
    const table = page.getByRole("table", { name: "log events" });
    await expect.poll(() => table.getByRole("row").count()).toBe(3); // header + 2
    expect(await table.textContent()).toContain("ERROR disk full");
    expect(await table.textContent()).toContain("ERROR timeout talking to db");
    expect(await table.textContent()).not.toContain("INFO");
    await screenshot(page, "cloudwatch-logs-filter");

    // One stream's events, with its own filter box.
    await table.getByRole("link", { name: "web/1" }).first().click();
    await page.getByRole("heading", { name: "web/1" }).waitFor();
    await page.getByText("INFO request ok").waitFor();
    await page.getByLabel("Filter pattern").fill('"disk full"');
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.getByRole("table", { name: "log events" }).getByRole("row").count()).toBe(2);
  });

  it("shows a CreateBucket made through the SDK in CloudTrail's event history, with its record", async () => {
    await new S3Client({ ...sdkConfig(n), forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: "console-trail-bucket" }));
    await page.goto(consoleUrl(n, "cloudtrail"));
    await page.getByRole("heading", { name: "Event history" }).waitFor();
    await page.getByRole("table", { name: "events" }).getByRole("row").nth(1).waitFor();
    await a11y();
    await page.getByLabel("Lookup attribute").selectOption("EventName");
    await page.getByLabel("Attribute value").fill("CreateBucket");
    await page.getByRole("button", { name: "Search" }).click();
    const row = page.getByRole("row", { name: /console-trail-bucket/ });
    await row.waitFor();
    expect(await page.getByRole("table", { name: "events" }).getByRole("row").count()).toBe(2);
    await row.getByRole("link", { name: "CreateBucket" }).click();
    await page.getByRole("heading", { name: "CreateBucket" }).waitFor();
    const record = await page.getByLabel("Event record").textContent();
    expect(JSON.parse(record!)).toMatchObject({ eventName: "CreateBucket", eventSource: "s3.amazonaws.com", requestParameters: { bucketName: "console-trail-bucket" } });
    await page.getByRole("navigation", { name: "Breadcrumbs" }).getByRole("link", { name: "CloudTrail" }).click();
    await page.getByRole("navigation", { name: "CloudTrail" }).getByRole("link", { name: "Trails" }).click();
    await page.getByText("No trails.", { exact: false }).waitFor();
    await a11y();
  });

  it("fits a 390 px wide screen", async () => {
    const ctx = await newContext(browser, { mobile: true });
    const p = await ctx.newPage();
    await signInRoot(p, n);
    await p.goto(consoleUrl(n, "cloudwatch/logs/%2Fconsole%2Ftest-app/web%2F1"));
    await p.getByText("INFO request ok").waitFor();
    expect(await p.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await screenshot(p, "cloudwatch-logs-mobile");
    await p.goto(consoleUrl(n, "cloudtrail"));
    await p.getByRole("table", { name: "events" }).getByRole("row").nth(1).waitFor();
    expect(await p.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await screenshot(p, "cloudtrail-mobile");
    await ctx.close();
  });
});
