/**
 * The IAM console in Chromium: root MFA with two TOTP codes and an MFA sign-in, a ReadOnly group,
 * a user with a console password and an access key, the credentials CSV, the account alias, the
 * dashboard's recommendations, axe checks and a 390 px screenshot.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { Secret, TOTP } from "otpauth";
import type { Nimbus } from "../src/index.js";
import { ROOT_EMAIL, ROOT_PASSWORD, consoleUrl, describeViolations, launchBrowser, newContext, screenshot, seriousA11yViolations, signInRoot, startConsoleNimbus } from "./console-harness.js";

let n: Nimbus;
let browser: Browser;
// The steps share one signed-in page, in order.
let ctx: BrowserContext;
let page: Page;
let csvRow: string[];
const expectedUrl = () => `${n.endpoint}/_nimbus/console/signin/nimbus-class`;
// Browser steps on a loaded machine: generous, but each step is short.
const SLOW = { timeout: 120_000 };

beforeAll(async () => {
  n = await startConsoleNimbus();
  browser = await launchBrowser();
});
afterAll(async () => {
  await ctx?.close();
  await browser?.close();
  await n?.stop();
});

const STEP_MS = 30_000;
const codeAt = (seed: string, step: number) => new TOTP({ secret: Secret.fromBase32(seed) }).generate({ timestamp: step * STEP_MS });

async function noSeriousViolations(page: Page): Promise<void> {
  expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");
}

/** Parse the one-row CSV the console writes (quoted cells only where needed). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split(/\r?\n/).filter(Boolean)) {
    const cells: string[] = [];
    let cur = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else cur += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ",") {
        cells.push(cur);
        cur = "";
      } else cur += ch;
    }
    cells.push(cur);
    rows.push(cells);
  }
  return rows;
}

describe("IAM console", () => {
  it("enables root MFA and signs in with it", SLOW, async () => {
    ctx = await newContext(browser);
    page = await ctx.newPage();
    await signInRoot(page, n);

    // Dashboard: the root user has no MFA yet.
    await page.goto(consoleUrl(n, "iam"));
    await page.getByRole("heading", { name: "IAM dashboard" }).waitFor();
    await page.getByText("Add MFA for the root user").waitFor();
    await page.getByText("No active access key is older than 90 days").waitFor();
    await noSeriousViolations(page);

    // Root MFA: QR code, the secret key revealed, two consecutive codes.
    await page.getByRole("link", { name: "Add MFA" }).click();
    await page.getByRole("heading", { name: "My security credentials" }).waitFor();
    await page.getByRole("button", { name: "Assign MFA device" }).click();
    const dialog = page.getByRole("dialog", { name: "Assign MFA device" });
    expect(await dialog.getByRole("textbox", { name: "Device name" }).inputValue()).toBe("root-account-mfa-device");
    await dialog.getByRole("button", { name: "Continue" }).click();
    const qr = dialog.getByRole("img", { name: /QR code/ });
    await qr.waitFor();
    expect(await qr.getAttribute("src")).toMatch(/^data:image\/png;base64,iVBOR/);
    await dialog.getByRole("button", { name: "Show secret key" }).click();
    const seed = await dialog.getByLabel("Secret key").inputValue();
    expect(seed).toMatch(/^[A-Z2-7]{32}$/);
    await screenshot(page, "iam-root-mfa");
    // Steps now-1 and now enable the device; now+1 is then still fresh for the sign-in (the server
    // accepts codes up to four steps behind and one ahead, each once).
    const step = Math.floor(Date.now() / STEP_MS);
    await dialog.getByLabel("MFA code 1").fill(codeAt(seed, step - 1));
    await dialog.getByLabel("MFA code 2").fill(codeAt(seed, step));
    await dialog.getByRole("button", { name: "Add MFA" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("cell", { name: "arn:aws:iam::000000000000:mfa/root-account-mfa-device", exact: true }).waitFor();

    // The recommendation is gone.
    await page.getByRole("link", { name: "Dashboard" }).click();
    await page.getByText("The root user has MFA").waitFor();
    expect(await page.getByText("Add MFA for the root user").count()).toBe(0);

    // Sign out; signing in again as root asks for the MFA code.
    await page.getByRole("button", { name: /root @/ }).click();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByLabel("Root user email address").fill(ROOT_EMAIL);
    await page.getByLabel("Password", { exact: true }).fill(ROOT_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Multi-factor authentication" }).waitFor();
    await page.getByRole("textbox", { name: "MFA code" }).fill(codeAt(seed, step + 1));
    await page.getByRole("button", { name: "Submit" }).click();
    await page.getByRole("heading", { name: "Console home" }).waitFor();
  });

  it("creates a ReadOnly group, sets the alias, creates a user and downloads the credentials CSV", SLOW, async () => {
    // A group with ReadOnlyAccess.
    await page.goto(consoleUrl(n, "iam/groups"));
    await page.getByText("No groups yet.").waitFor();
    await page.getByRole("link", { name: "Create group" }).first().click();
    await page.getByLabel("User group name").fill("ReadOnly");
    await page.getByLabel("Search permission policies").fill("ReadOnlyAccess");
    await page.getByLabel("Select arn:aws:iam::aws:policy/ReadOnlyAccess").check();
    await page.getByRole("button", { name: "Create group" }).click();
    await page.getByRole("heading", { name: "ReadOnly" }).waitFor();
    await page.getByRole("tab", { name: "Permissions" }).click();
    await page.getByRole("cell", { name: "ReadOnlyAccess", exact: true }).waitFor();

    // The account alias, so the users' sign-in URL names it.
    await page.getByRole("link", { name: "Dashboard" }).click();
    await page.getByRole("button", { name: "Create alias" }).click();
    await page.getByLabel("Preferred alias").fill("nimbus-class");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("button", { name: "Edit alias" }).waitFor();
    await page.getByText(expectedUrl()).waitFor();

    // A user with a console password and an access key, in the group.
    await page.getByRole("link", { name: "Users", exact: true }).click();
    await page.getByText("No users yet.").waitFor();
    await noSeriousViolations(page);
    await page.getByRole("link", { name: "Create user" }).first().click();
    await page.getByRole("heading", { name: "Create user" }).waitFor();
    await page.getByRole("checkbox", { name: "ReadOnly", exact: true }).waitFor();
    await noSeriousViolations(page);
    // Validation is inline.
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByText("Enter a user name.").waitFor();
    await page.getByLabel("User name").fill("alice");
    await page.getByLabel("Provide console access").check();
    await page.getByLabel("Custom password").check();
    await page.getByLabel("Console password").fill("Alice-Console-1!");
    await page.getByLabel("Create an access key").check();
    await page.getByRole("checkbox", { name: "ReadOnly", exact: true }).check();
    await screenshot(page, "iam-create-user");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByText("User created successfully").waitFor();
    await noSeriousViolations(page);
    await screenshot(page, "iam-user-created");

    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 45_000 }), page.getByRole("button", { name: "Download .csv file" }).click()]);
    expect(download.suggestedFilename()).toBe("alice_credentials.csv");
    const csv = parseCsv(await readFile((await download.path())!, "utf8"));
    expect(csv[0]).toEqual(["User name", "Password", "Access key ID", "Secret access key", "Console sign-in link"]);
    expect(csv).toHaveLength(2);
    const [user, password, keyId, secret, link] = csv[1]!;
    expect(user).toBe("alice");
    expect(password).toBe("Alice-Console-1!");
    expect(keyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
    expect(secret).toMatch(/^[A-Za-z0-9/+]{40}$/);
    expect(link).toBe(expectedUrl());
    await page.getByText(keyId!).waitFor();
    csvRow = csv[1]!;
  });

  it("lists the user, flags her missing MFA, fits 390 px, and her CSV credentials sign in", SLOW, async () => {
    const [user, password, , , link] = csvRow;

    // The list shows alice in the group, with no MFA; the dashboard flags her.
    await page.getByRole("link", { name: "Return to users list" }).click();
    const row = page.getByRole("row", { name: /alice/ });
    await row.getByRole("cell", { name: "ReadOnly" }).waitFor();
    await page.getByRole("link", { name: "Dashboard" }).click();
    await page.getByText("Users with a console password but no MFA").waitFor();

    // 390 px wide: no horizontal page scroll.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("link", { name: "Users", exact: true }).click();
    await row.waitFor();
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await screenshot(page, "iam-users-mobile");
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole("link", { name: "Dashboard" }).click();
    await page.getByText("Users with a console password but no MFA").waitFor();
    await screenshot(page, "iam-dashboard");

    // alice signs in at the CSV's link with the CSV's password and must pick a new password.
    const other = await newContext(browser);
    const p2 = await other.newPage();
    await p2.goto(link!);
    await p2.getByLabel("IAM user name").fill(user!);
    await p2.getByLabel("Password", { exact: true }).fill(password!);
    await p2.getByRole("button", { name: "Sign in" }).click();
    await p2.getByRole("heading", { name: "Change your password" }).waitFor();
    await other.close();
  });
});
