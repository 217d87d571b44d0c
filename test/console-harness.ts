/**
 * Browser tests of the web console: a Nimbus with a known root password, Debian's Chromium driven
 * by playwright-core, screenshots saved under test-artifacts/console/, and axe-core checks.
 */
import { mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { Nimbus } from "../src/index.js";
import { startTestNimbus } from "./helpers.js";

export const ROOT_EMAIL = "root@nimbus.local";
export const ROOT_PASSWORD = "Console-Test-Root-1";
export const CHROMIUM = process.env.NIMBUS_TEST_CHROMIUM ?? "/usr/bin/chromium";
export const ARTIFACTS = join(process.cwd(), "test-artifacts", "console");

export async function startConsoleNimbus(): Promise<Nimbus> {
  return startTestNimbus({ rootPassword: ROOT_PASSWORD });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
  });
}

/** A fresh browser context (own cookies) at 1280x800, or 390 px wide with `mobile`. */
export async function newContext(browser: Browser, opts: { mobile?: boolean } = {}): Promise<BrowserContext> {
  const ctx = await browser.newContext({
    viewport: opts.mobile ? { width: 390, height: 844 } : { width: 1280, height: 800 },
    // axe is injected as an inline script, which the console's CSP would refuse.
    bypassCSP: true,
    acceptDownloads: true,
  });
  ctx.setDefaultTimeout(20_000);
  return ctx;
}

export function consoleUrl(n: Nimbus, path = ""): string {
  return `${n.endpoint}/_nimbus/console/${path}`;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Sign in as the default account's root user and wait for the console home. */
export async function signInRoot(page: Page, n: Nimbus, password = ROOT_PASSWORD): Promise<void> {
  await page.goto(consoleUrl(n, "signin"));
  await page.getByLabel("Root user email address").fill(ROOT_EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Console home" }).waitFor();
}

/** Sign in as an IAM user of an account (id or alias); resolves once past the password step. */
export async function signInUser(page: Page, n: Nimbus, account: string, userName: string, password: string): Promise<void> {
  await page.goto(consoleUrl(n, `signin/${encodeURIComponent(account)}`));
  await page.getByLabel("IAM user name").fill(userName);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** axe-core's WCAG 2 A/AA violations on the page whose impact is serious or critical. */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
  await page.addScriptTag({ content: axeSource });
  // A string, so this file needs no DOM typings: it runs in the page.
  const violations = (await page.evaluate(`axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }).then((r) => r.violations)`)) as AxeViolation[];
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** A compact description of violations for assertion messages. */
export function describeViolations(v: AxeViolation[]): string {
  return v.map((x) => `${x.id} (${x.impact}): ${x.help} at ${x.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`).join("\n");
}
