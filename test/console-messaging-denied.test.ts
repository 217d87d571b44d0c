/**
 * The DynamoDB, SQS, SNS and SES pages for an IAM user without permissions: every list says
 * "Access denied" (IAM applies to the console as to any client), never a blank page.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Browser } from "playwright-core";
import { CreateLoginProfileCommand, CreateUserCommand, IAMClient } from "@aws-sdk/client-iam";
import type { Nimbus } from "../src/index.js";
import { sdkConfig } from "./helpers.js";
import { consoleUrl, launchBrowser, newContext, screenshot, signInUser, startConsoleNimbus } from "./console-harness.js";

let n: Nimbus;
let browser: Browser;

beforeAll(async () => {
  n = await startConsoleNimbus();
  browser = await launchBrowser();
  const iam = new IAMClient(sdkConfig(n));
  await iam.send(new CreateUserCommand({ UserName: "nobody" }));
  await iam.send(new CreateLoginProfileCommand({ UserName: "nobody", Password: "Nobody-Pass-1!", PasswordResetRequired: false }));
});
afterAll(async () => {
  await browser?.close();
  await n?.stop();
});

describe("console data and messaging pages without permissions", () => {
  it("shows Access denied on the DynamoDB, SQS, SNS and SES pages", async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await signInUser(page, n, "000000000000", "nobody", "Nobody-Pass-1!");
    await page.getByRole("heading", { name: "Console home" }).waitFor();
    const denied = () => page.getByRole("alert").filter({ hasText: "Access denied" }).first().waitFor();
    for (const [path, heading] of [
      ["dynamodb", "Tables"],
      ["sqs", "Queues"],
      ["sns", "Topics"],
      ["sns/subscriptions", "Subscriptions"],
      ["ses", "Identities"],
      ["dynamodb/tables/Music", "Music"],
      ["sqs/queues/orders", "orders"],
      ["sns/topics/alerts", "alerts"],
    ] as const) {
      await page.goto(consoleUrl(n, path));
      await page.getByRole("heading", { level: 1, name: heading, exact: true }).waitFor();
      await denied();
    }
    await screenshot(page, "sns-denied");
    await ctx.close();
  });
});
