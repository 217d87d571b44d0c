/** The console shell in Chromium: sign-in, session cookie, services menu, region, sign-out, a11y. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import type { Nimbus } from "../src/index.js";
import { consoleUrl, describeViolations, launchBrowser, newContext, ROOT_EMAIL, screenshot, seriousA11yViolations, signInRoot, startConsoleNimbus } from "./console-harness.js";

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

describe("console shell", () => {
  it("signs in as root, shows the identity, navigates by the services menu, signs out", async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(consoleUrl(n));
    // Not signed in: sent to the sign-in page.
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(page.url()).toContain("/_nimbus/console/signin");
    expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");
    await screenshot(page, "shell-signin");

    // A wrong password is refused with a message.
    await page.getByLabel("Root user email address").fill(ROOT_EMAIL);
    await page.getByLabel("Password", { exact: true }).fill("wrong-password-1A");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Your authentication information is incorrect").waitFor();

    await signInRoot(page, n);
    const cookies = await ctx.cookies();
    const c = cookies.find((x) => x.name === "nimbus_console")!;
    expect(c.httpOnly).toBe(true);
    expect(c.sameSite).toBe("Strict");
    expect(c.expires).toBeGreaterThan(Date.now() / 1000);
    await page.getByRole("button", { name: /root @ 000000000000/ }).waitFor();
    expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");
    await screenshot(page, "shell-home");

    // Services menu with search, keyboard: type and Enter.
    await page.getByRole("button", { name: "Services" }).click();
    await page.getByLabel("Search services").fill("queue");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/_nimbus\/console\/sqs$/);
    await page.getByLabel("Region").selectOption("eu-west-1");
    expect(await page.evaluate("localStorage.getItem('nimbus.region')")).toBe("eu-west-1");

    // Sign out: back to sign-in, and the session endpoint no longer answers with credentials.
    await page.getByRole("button", { name: /root @/ }).click();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    const s = await page.evaluate(async () => (await fetch("/_nimbus/console/api/session")).json());
    expect(s).toEqual({ signedIn: false });
    await ctx.close();
  });

  it("keeps the first load under 300 KB of gzipped JavaScript", async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const sizes: Array<Promise<number>> = [];
    page.on("response", (r) => {
      if (r.request().resourceType() === "script") sizes.push(r.allHeaders().then((h) => Number(h["content-length"] ?? 0)));
    });
    await page.goto(consoleUrl(n, "signin"));
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    const total = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
    expect(sizes.length).toBeGreaterThan(0);
    expect(total).toBeGreaterThan(1000);
    expect(total).toBeLessThan(300 * 1024);
    await ctx.close();
  });

  it("refuses console POSTs without the CSRF token or from another origin", async () => {
    const signin = await fetch(`${n.endpoint}/_nimbus/console/api/signin`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "root", email: ROOT_EMAIL, password: "Console-Test-Root-1" }),
    });
    expect(signin.status).toBe(200);
    const cookie = signin.headers.get("set-cookie")!.split(";")[0]!;
    const noToken = await fetch(`${n.endpoint}/_nimbus/console/api/signout`, { method: "POST", headers: { "content-type": "application/json", cookie }, body: "{}" });
    expect(noToken.status).toBe(403);
    const crossOrigin = await fetch(`${n.endpoint}/_nimbus/console/api/signin`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://evil.example" },
      body: JSON.stringify({ type: "root", email: ROOT_EMAIL, password: "Console-Test-Root-1" }),
    });
    expect(crossOrigin.status).toBe(403);
    const form = await fetch(`${n.endpoint}/_nimbus/console/api/signin`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "type=root" });
    expect(form.status).toBe(415);
  });

  it("signs up a new account whose root user can sign in", async () => {
    const ctx = await newContext(browser, { mobile: true });
    const page = await ctx.newPage();
    await page.goto(consoleUrl(n, "signup"));
    await page.getByLabel("Root user email address").fill("class@example.com");
    await page.getByLabel("Account name").fill("class");
    await page.getByLabel("Root user password", { exact: true }).fill("Student-Pass-1");
    await page.getByLabel("Confirm password").fill("Student-Pass-1");
    await page.getByRole("button", { name: "Create account" }).click();
    const id = await page.locator(".account-id").textContent();
    expect(id).toMatch(/^\d{12}$/);
    await screenshot(page, "shell-signup-mobile");
    await page.getByRole("link", { name: "Sign in" }).click();
    await page.getByLabel("Root user email address").fill("class@example.com");
    await page.getByLabel("Password", { exact: true }).fill("Student-Pass-1");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Console home" }).waitFor();
    await page.getByRole("button", { name: new RegExp(`root @`) }).waitFor();
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await ctx.close();
  });
});
