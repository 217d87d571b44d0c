/** CloudWatch dashboards and overview in Chromium, and the Lambda/CloudWatch/CloudTrail pages for a user IAM denies. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { CloudWatchClient, PutMetricAlarmCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { CreateLoginProfileCommand, CreateUserCommand, IAMClient } from "@aws-sdk/client-iam";
import type { Nimbus } from "../src/index.js";
import { sdkConfig } from "./helpers.js";
import { consoleUrl, describeViolations, launchBrowser, newContext, screenshot, seriousA11yViolations, signInRoot, signInUser, startConsoleNimbus } from "./console-harness.js";

let n: Nimbus;
let browser: Browser;

beforeAll(async () => {
  n = await startConsoleNimbus();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await n?.stop();
});

describe("console: CloudWatch dashboards and overview", () => {
  it("counts alarms by state, creates a dashboard whose metric widget is charted, edits its body, deletes it", async () => {
    const cw = new CloudWatchClient(sdkConfig(n));
    await cw.send(new PutMetricDataCommand({ Namespace: "Console/Dash", MetricData: [1, 3, 2].map((v, i) => ({ MetricName: "Jobs", Value: v, Timestamp: new Date(Date.now() - (3 - i) * 60_000) })) }));
    await cw.send(new PutMetricAlarmCommand({ AlarmName: "jobs-low", Namespace: "Console/Dash", MetricName: "Jobs", Statistic: "Sum", Period: 60, EvaluationPeriods: 1, Threshold: 0, ComparisonOperator: "LessThanThreshold" }));
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await signInRoot(page, n);
    await page.goto(consoleUrl(n, "cloudwatch"));
    await page.getByRole("heading", { name: "Alarms by state" }).waitFor();
    const counts = page.getByRole("list", { name: "Alarm counts" });
    await expect.poll(async () => (await counts.textContent()) ?? "").toMatch(/1(Insufficient data|OK|In alarm)/);
    expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");

    await page.getByRole("navigation", { name: "CloudWatch" }).getByRole("link", { name: "Dashboards" }).click();
    await page.getByText("No dashboards yet.").waitFor();
    expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");
    await page.getByRole("button", { name: "Create dashboard" }).first().click();
    await page.getByLabel("Dashboard name").fill("ops");
    await page.getByLabel("Dashboard body").fill(
      JSON.stringify({ widgets: [{ type: "metric", properties: { title: "Jobs done", metrics: [["Console/Dash", "Jobs"]], stat: "Sum", period: 60 } }, { type: "text", properties: { markdown: "Runbook: restart the worker" } }] }),
    );
    await page.getByRole("dialog").getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: "ops" }).waitFor();
    const chart = page.getByRole("img", { name: /Jobs done: Jobs, \d+ points/ });
    await chart.waitFor();
    expect(await chart.locator("path").count()).toBeGreaterThan(0);
    await page.getByText("Runbook: restart the worker").waitFor();
    await screenshot(page, "cloudwatch-dashboard");

    // Edit the body: invalid JSON is reported inline, a valid body replaces the widgets.
    await page.getByRole("button", { name: "Edit body" }).click();
    await page.getByLabel("Dashboard body").fill("{ widgets: ");
    await page.getByText(/Invalid JSON/).waitFor();
    await page.getByLabel("Dashboard body").fill(JSON.stringify({ widgets: [{ type: "text", properties: { markdown: "Nothing to see" } }] }));
    await page.getByRole("dialog").getByRole("button", { name: "Save" }).click();
    await page.getByText("Nothing to see").waitFor();
    // The old widgets go once the saved body is re-read (wait for that state, not a moment).
    await page.getByText("Runbook: restart the worker").waitFor({ state: "detached" });
    expect(await page.getByText("Runbook: restart the worker").count()).toBe(0);

    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await page.getByText("No dashboards yet.").waitFor();
    await ctx.close();
  });

  it("shows Access denied on each list page to a user without permissions", async () => {
    const iam = new IAMClient(sdkConfig(n));
    await iam.send(new CreateUserCommand({ UserName: "nobody" }));
    await iam.send(new CreateLoginProfileCommand({ UserName: "nobody", Password: "Nobody-Pass-123", PasswordResetRequired: false }));
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await signInUser(page, n, "000000000000", "nobody", "Nobody-Pass-123");
    await page.getByRole("heading", { name: "Console home" }).waitFor();
    for (const path of ["lambda", "cloudwatch/metrics", "cloudwatch/alarms", "cloudwatch/dashboards", "cloudwatch/logs", "cloudtrail"]) {
      await page.goto(consoleUrl(n, path));
      await page.getByRole("alert").filter({ hasText: "Access denied" }).first().waitFor();
    }
    await screenshot(page, "cloudtrail-denied");
    await ctx.close();
  });
});
