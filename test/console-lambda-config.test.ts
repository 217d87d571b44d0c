/** The console's Lambda configuration in Chromium: environment variables, function URL, SQS trigger, .zip upload and code deploy. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Nimbus } from "../src/index.js";
import { zipStore } from "../console/src/pages/lambda/zip.js";
import { sdkConfig } from "./helpers.js";
import { consoleUrl, launchBrowser, newContext, screenshot, signInRoot, startConsoleNimbus } from "./console-harness.js";

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

const SOURCE = 'export const handler = async (event) => ({ statusCode: 200, body: "greeting=" + process.env.GREETING });\n';

describe("console: Lambda configuration", () => {
  it("creates from a .zip, sets an environment variable, adds a function URL and an SQS trigger, deploys edited code", async () => {
    await new SQSClient(sdkConfig(n)).send(new CreateQueueCommand({ QueueName: "console-jobs" }));
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await signInRoot(page, n);
    await page.goto(consoleUrl(n, "lambda/create"));
    await page.getByLabel("Function name").fill("zipped");
    await page.getByLabel("Upload a .zip file").check();
    await page.getByLabel(".zip file", { exact: true }).setInputFiles({ name: "fn.zip", mimeType: "application/zip", buffer: Buffer.from(zipStore([{ name: "index.mjs", data: new TextEncoder().encode(SOURCE) }])) });
    await page.getByRole("button", { name: "Create function" }).click();
    await page.getByRole("heading", { name: "zipped" }).waitFor();
    await expect.poll(() => page.getByLabel("Source (index.mjs)").inputValue()).toBe(SOURCE);

    // Environment variable.
    await page.getByRole("tab", { name: "Configuration" }).click();
    await page.getByRole("button", { name: "Add environment variable" }).click();
    await page.getByLabel("Key 1").fill("1bad");
    await page.getByText("Start with a letter").waitFor();
    await page.getByLabel("Key 1").fill("GREETING");
    await page.getByLabel("Value 1").fill("hello");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Configuration of zipped saved").waitFor();

    // Function URL, callable without auth.
    await page.getByRole("button", { name: "Create function URL" }).click();
    const link = page.getByRole("link", { name: /lambda-url/ });
    await link.waitFor();
    // Chromium resolves *.localhost; Node does not, so call the path form shown next to it.
    const id = /^http:\/\/([a-z0-9]{32})\.lambda-url\.us-east-1\.localhost:\d+\/$/.exec((await link.getAttribute("href"))!)![1];
    await page.getByText(`/_nimbus/lambda-url/${id}/`).waitFor();
    const res = await fetch(`${n.endpoint}/_nimbus/lambda-url/${id}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("greeting=hello");
    await screenshot(page, "lambda-configuration");

    // SQS trigger.
    await page.getByRole("tab", { name: "Triggers" }).click();
    await page.getByText("No triggers").waitFor();
    await page.getByRole("button", { name: "Add SQS trigger" }).first().click();
    await page.getByLabel("SQS queue").selectOption({ label: "console-jobs" });
    await page.getByLabel("Batch size").fill("5");
    await page.getByRole("dialog").getByRole("button", { name: "Add" }).click();
    const row = page.getByRole("row", { name: /console-jobs/ });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/arn:aws:sqs:us-east-1:000000000000:console-jobs.*5/);
    const uuid = (await row.getByRole("radio").getAttribute("aria-label"))!.replace("Select ", "");
    await page.getByLabel(`Select ${uuid}`).check();
    await page.getByRole("button", { name: "Delete trigger" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await page.getByText("No triggers").waitFor();

    // Edit and deploy the code, then test it.
    await page.getByRole("tab", { name: "Code" }).click();
    await page.getByLabel("Source (index.mjs)").fill(SOURCE.replace("greeting=", "hi, "));
    await page.getByRole("button", { name: "Deploy" }).click();
    await page.getByText("Deployed zipped").waitFor();
    await page.getByRole("tab", { name: "Test" }).click();
    await page.getByRole("button", { name: "Test", exact: true }).click();
    await page.getByText("Execution result: succeeded").waitFor();
    expect(await page.getByLabel("Response payload").textContent()).toContain("hi, hello");
    await ctx.close();
  });
});
