/** The console's SES pages in Chromium: identities, a test email, and the mailbox. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Nimbus } from "../src/index.js";
import { consoleUrl, describeViolations, launchBrowser, newContext, screenshot, seriousA11yViolations, signInRoot, startConsoleNimbus } from "./console-harness.js";

let n: Nimbus;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;

beforeAll(async () => {
  n = await startConsoleNimbus();
  browser = await launchBrowser();
  ctx = await newContext(browser);
  page = await ctx.newPage();
  await signInRoot(page, n);
});
afterAll(async () => {
  await ctx?.close();
  await browser?.close();
  await n?.stop();
});

async function noHorizontalScroll(p: Page): Promise<void> {
  expect(await p.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")).toBeLessThanOrEqual(0);
}

describe("console SES", () => {
  it("SES: verifies an email identity, sends an email, reads it in the mailbox", async () => {
    await page.goto(consoleUrl(n, "ses"));
    await page.getByRole("heading", { name: "Identities" }).waitFor();
    await page.getByText("No identities in this region.").waitFor();
    expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");

    await page.getByRole("button", { name: "Create identity" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Create identity" });
    await dialog.getByLabel("Email address").fill("not-an-address");
    await dialog.getByRole("button", { name: "Create identity" }).click();
    await dialog.getByText("Enter an email address, like sender@example.com.").waitFor();
    await dialog.getByLabel("Email address").fill("sender@example.com");
    await dialog.getByRole("button", { name: "Create identity" }).click();
    await dialog.waitFor({ state: "detached" });
    const row = page.getByRole("row", { name: /sender@example\.com/ });
    await row.getByText("Verified").waitFor();

    await page.getByRole("tab", { name: "Send test email" }).click();
    await page.getByLabel("From").fill("sender@example.com");
    await page.getByLabel("To", { exact: true }).fill("sender@example.com");
    await page.getByLabel("Subject").fill("Console test");
    await page.getByLabel("Text body").fill("Hello from the console");
    await page.getByLabel("HTML body (optional)").fill("<h1>Hello <em>HTML</em></h1><script>parent.document.title='pwned'</script>");
    await page.getByRole("button", { name: "Send email" }).click();
    await page.getByRole("status").filter({ hasText: "Message ID" }).waitFor();

    await page.getByRole("button", { name: "Open the mailbox" }).click();
    await page.getByRole("heading", { name: "Mailbox" }).waitFor();
    expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");
    await page.getByRole("link", { name: "Console test" }).click();
    await page.getByRole("heading", { name: "Console test" }).waitFor();
    await page.getByText("From sender@example.com").waitFor();
    const frame = page.getByTitle("HTML body");
    expect(await frame.getAttribute("sandbox")).toBe("");
    await frame.contentFrame().getByRole("heading", { name: "Hello HTML" }).waitFor();
    expect(await page.title()).not.toBe("pwned");
    await screenshot(page, "ses-message");
    await page.getByRole("tab", { name: "Text" }).click();
    await page.getByText("Hello from the console").waitFor();

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(consoleUrl(n, "ses/mailbox"));
    await page.getByRole("link", { name: "Console test" }).waitFor();
    await noHorizontalScroll(page);
    await screenshot(page, "ses-mailbox-390");
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
