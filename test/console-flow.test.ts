/**
 * The course's console walk-through, end to end in Chromium (issue #9's "Quality" scenario):
 * as root enable MFA with TOTP, create a ReadOnly group and a user in it, set an alias, download
 * the credentials CSV, sign out; sign in as that user at the alias URL with the CSV's password
 * and see bucket creation denied; sign back in as root with an MFA code, create a bucket, upload
 * a 20 MB file watching the progress bar move, and download it byte-identical.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { Secret, TOTP } from "otpauth";
import type { Nimbus } from "../src/index.js";
import { ROOT_EMAIL, ROOT_PASSWORD, consoleUrl, launchBrowser, newContext, screenshot, signInRoot, startConsoleNimbus } from "./console-harness.js";

let n: Nimbus;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  n = await startConsoleNimbus();
  browser = await launchBrowser();
  dir = mkdtempSync(join(tmpdir(), "nimbus-console-flow-"));
});
afterAll(async () => {
  await browser?.close();
  await n?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const codeAt = (seed: string, step: number) => new TOTP({ secret: Secret.fromBase32(seed) }).generate({ timestamp: step * 30_000 });
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function signOut(page: Page, who: RegExp): Promise<void> {
  await page.getByRole("button", { name: who }).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
}

describe("the console walk-through", () => {
  it("root with MFA, a read-only user denied, an admin upload of 20 MB", { timeout: 300_000 }, async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    try {
      // 1. Root signs in and enables MFA (two consecutive codes from the revealed secret).
      await signInRoot(page, n);
      await page.goto(consoleUrl(n, "iam/security-credentials"));
      await page.getByRole("heading", { name: "My security credentials" }).waitFor();
      await page.getByRole("button", { name: "Assign MFA device" }).click();
      const dialog = page.getByRole("dialog", { name: "Assign MFA device" });
      await dialog.getByRole("button", { name: "Continue" }).click();
      await dialog.getByRole("img", { name: /QR code/ }).waitFor();
      await dialog.getByRole("button", { name: "Show secret key" }).click();
      const seed = await dialog.getByLabel("Secret key").inputValue();
      const step = Math.floor(Date.now() / 30_000);
      await dialog.getByLabel("MFA code 1").fill(codeAt(seed, step - 1));
      await dialog.getByLabel("MFA code 2").fill(codeAt(seed, step));
      await dialog.getByRole("button", { name: "Add MFA" }).click();
      await page.getByRole("cell", { name: "arn:aws:iam::000000000000:mfa/root-account-mfa-device", exact: true }).waitFor();
      await screenshot(page, "flow-1-root-mfa");

      // 2. A group with ReadOnlyAccess, an alias, and a user in the group with a password and a key.
      await page.goto(consoleUrl(n, "iam/groups"));
      await page.getByRole("link", { name: "Create group" }).first().click();
      await page.getByLabel("User group name").fill("ReadOnly");
      await page.getByLabel("Search permission policies").fill("ReadOnlyAccess");
      await page.getByLabel("Select arn:aws:iam::aws:policy/ReadOnlyAccess").check();
      await page.getByRole("button", { name: "Create group" }).click();
      await page.getByRole("heading", { name: "ReadOnly" }).waitFor();
      await page.goto(consoleUrl(n, "iam"));
      await page.getByRole("button", { name: "Create alias" }).click();
      await page.getByLabel("Preferred alias").fill("nimbus-course");
      await page.getByRole("button", { name: "Save changes" }).click();
      await page.getByRole("button", { name: "Edit alias" }).waitFor();
      await page.goto(consoleUrl(n, "iam/users"));
      await page.getByRole("link", { name: "Create user" }).first().click();
      await page.getByRole("heading", { name: "Create user" }).waitFor();
      await page.getByLabel("User name").fill("student");
      await page.getByLabel("Provide console access").check();
      await page.getByLabel("Custom password").check();
      await page.getByLabel("Console password").fill("Student-Console-1!");
      await page.getByLabel("Create an access key").check();
      await page.getByRole("checkbox", { name: "ReadOnly", exact: true }).check();
      await page.getByRole("button", { name: "Create user" }).click();
      await page.getByText("User created successfully").waitFor();
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download .csv file" }).click()]);
      const csv = (await readFile((await download.path())!, "utf8")).trim().split(/\r?\n/).map((l) => l.split(","));
      expect(csv[0]).toEqual(["User name", "Password", "Access key ID", "Secret access key", "Console sign-in link"]);
      const [user, password, , , link] = csv[1]!;
      expect(link).toBe(`${n.endpoint}/_nimbus/console/signin/nimbus-course`);
      await screenshot(page, "flow-2-user-created");
      await signOut(page, /root @/);

      // 3. The user signs in at the alias URL (choosing a new password if asked) and is denied.
      await page.goto(link!);
      await page.getByLabel("IAM user name").fill(user!);
      await page.getByLabel("Password", { exact: true }).fill(password!);
      await page.getByRole("button", { name: "Sign in" }).click();
      const changeHeading = page.getByRole("heading", { name: "Change your password" });
      const home = page.getByRole("heading", { name: "Console home" });
      await changeHeading.or(home).waitFor();
      if (await changeHeading.isVisible()) {
        await page.getByLabel("Old password").fill(password!);
        await page.getByLabel("New password", { exact: true }).fill("Student-Console-2!");
        await page.getByLabel("Confirm new password").fill("Student-Console-2!");
        await page.getByRole("button", { name: "Confirm password change" }).click();
        await home.waitFor();
      }
      await page.getByRole("button", { name: /student @ nimbus-course/ }).waitFor();
      await page.goto(consoleUrl(n, "s3"));
      await page.getByRole("heading", { name: "Buckets" }).waitFor();
      await page.getByRole("link", { name: "Create bucket" }).first().click();
      await page.getByLabel("Bucket name").fill("student-bucket");
      await page.getByRole("button", { name: "Create bucket" }).click();
      await page.getByRole("alert").filter({ hasText: "Access denied" }).first().waitFor();
      await screenshot(page, "flow-3-student-denied");
      await signOut(page, /student @/);

      // 4. Root again, now with an MFA code; creates a bucket and uploads 20 MB.
      await page.getByLabel("Root user email address").fill(ROOT_EMAIL);
      await page.getByLabel("Password", { exact: true }).fill(ROOT_PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Multi-factor authentication" }).waitFor();
      // A code is good once: use the step after the last one accepted.
      const now = Math.max(step + 1, Math.floor(Date.now() / 30_000));
      await page.getByRole("textbox", { name: "MFA code" }).fill(codeAt(seed, now));
      await page.getByRole("button", { name: "Submit" }).click();
      await page.getByRole("heading", { name: "Console home" }).waitFor();

      await page.goto(consoleUrl(n, "s3"));
      await page.getByRole("link", { name: "Create bucket" }).first().click();
      await page.getByLabel("Bucket name").fill("course-uploads");
      await page.getByRole("button", { name: "Create bucket" }).click();
      await page.getByRole("heading", { name: "course-uploads" }).waitFor();
      const original = randomBytes(20 * 1024 * 1024);
      const file = join(dir, "lecture.bin");
      writeFileSync(file, original);
      await page.getByRole("button", { name: "Upload" }).first().click();
      await page.getByRole("heading", { name: "Upload" }).waitFor();
      await page.getByLabel("Choose files").setInputFiles(file);
      await page.getByRole("progressbar", { name: "Upload progress lecture.bin" }).waitFor();
      await page.evaluate(`(() => {
        const el = document.querySelector('progress[aria-label="Upload progress lecture.bin"]');
        window.__values = [];
        new MutationObserver(() => window.__values.push(el.getAttribute("value"))).observe(el, { attributes: true, attributeFilter: ["value"] });
      })()`);
      await page.getByRole("button", { name: "Upload", exact: true }).click();
      await page.getByText("Succeeded: 1 file").waitFor({ timeout: 150_000 });
      const values = (await page.evaluate("window.__values")) as string[];
      expect(new Set(values.filter((v) => v !== "0" && v !== "100")).size, `progress values: ${values.join(",")}`).toBeGreaterThanOrEqual(2);
      await screenshot(page, "flow-4-uploaded");
      await page.getByRole("link", { name: "Back to bucket" }).click();
      await page.getByLabel("Select lecture.bin").check();
      const [got] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download" }).click()]);
      const saved = join(dir, "downloaded.bin");
      await got.saveAs(saved);
      expect(sha256(readFileSync(saved))).toBe(sha256(original));
    } catch (e) {
      await screenshot(page, "flow-failure");
      throw e;
    } finally {
      await ctx.close();
    }
  });
});
