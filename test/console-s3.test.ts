/**
 * The console's S3 pages in Chromium: create a bucket (inline name validation), a folder, upload a
 * 20 MB file with a moving progress bar (multipart), download it byte-identical, object details,
 * a presigned link, delete objects, empty and delete the bucket; axe on the main pages and a
 * 390 px screenshot of the objects page.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { GetBucketTaggingCommand, GetBucketVersioningCommand, GetPublicAccessBlockCommand, CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Nimbus } from "../src/index.js";
import { AttachUserPolicyCommand, CreateLoginProfileCommand, CreateUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { sdkConfig } from "./helpers.js";
import { consoleUrl, describeViolations, launchBrowser, newContext, screenshot, seriousA11yViolations, signInRoot, signInUser, startConsoleNimbus } from "./console-harness.js";

let n: Nimbus;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  n = await startConsoleNimbus();
  browser = await launchBrowser();
  dir = mkdtempSync(join(tmpdir(), "nimbus-console-s3-"));
});
afterAll(async () => {
  await browser?.close();
  await n?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function expectAccessible(page: Page): Promise<void> {
  expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");
}

describe("console S3", () => {
  it("creates a bucket, uploads 20 MB with progress, downloads, shares, deletes", { timeout: 200_000 }, async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    page.on("pageerror", (e) => console.error("page error:", e));
    page.on("console", (m) => m.type() === "error" && !m.text().includes("409 (Conflict)") && console.error("console:", m.text()));
    try {
      await run(page);
    } catch (e) {
      await screenshot(page, "s3-failure");
      throw e;
    }
    await ctx.close();
  });
});

describe("console S3 bucket settings", () => {
  it("edits versioning, tags, website hosting, Block Public Access and the bucket policy", { timeout: 200_000 }, async () => {
    const s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
    const bucket = "console-site";
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "index.html", Body: "<h1>Hello from S3</h1>", ContentType: "text/html" }));
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    page.on("pageerror", (e) => console.error("page error:", e));
    try {
      await signInRoot(page, n);
      await page.goto(consoleUrl(n, `s3/buckets/${bucket}?tab=properties`));
      await page.getByRole("heading", { name: "Bucket Versioning" }).waitFor();

      // Versioning on.
      await page.getByRole("button", { name: "Enable versioning" }).click();
      await page.getByRole("button", { name: "Suspend versioning" }).waitFor();
      expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe("Enabled");

      // A tag.
      await page.getByRole("button", { name: "Add tag" }).click();
      await page.getByLabel("Tag 1 key").fill("team");
      await page.getByLabel("Tag 1 value").fill("web");
      await page.getByRole("button", { name: "Save tags" }).click();
      await page.getByText("Saved bucket tags").waitFor();
      expect((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toEqual([{ Key: "team", Value: "web" }]);

      // Static website hosting: enabled with an index document; the endpoint URL is shown.
      await page.getByRole("button", { name: "Edit static website hosting" }).click();
      await page.getByLabel("Enable").check();
      await expect(page.getByLabel("Index document").inputValue()).resolves.toBe("index.html");
      await page.getByRole("button", { name: "Save website hosting" }).click();
      const endpoint = page.getByRole("link", { name: `${n.endpoint}/_nimbus/s3-website/${bucket}/` });
      await endpoint.waitFor();
      await expectAccessible(page);
      await screenshot(page, "s3-properties");

      // Permissions: a malformed policy is refused by S3 and the message shows by the editor.
      await page.getByRole("tab", { name: "Permissions" }).click();
      const editor = page.getByRole("textbox", { name: "Policy" });
      await editor.waitFor();
      await editor.fill(JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::some-other-bucket/*" }] }));
      await page.getByRole("button", { name: "Save policy" }).click();
      await page.getByText(/MalformedPolicy/).waitFor();
      // Invalid JSON is caught in the browser, with its position.
      await editor.fill("{ not json");
      await page.getByText(/Invalid JSON at line 1/).waitFor();

      // Block Public Access off, a public-read policy, and the website answers anonymously.
      await page.getByRole("button", { name: "Edit Block Public Access" }).click();
      await page.getByLabel("Block all public access").setChecked(false);
      await page.getByRole("button", { name: "Save Block Public Access" }).click();
      await page.getByText("Saved Block Public Access settings").waitFor();
      expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration?.BlockPublicPolicy).toBe(false);
      await editor.fill(JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }] }, null, 2));
      await page.getByRole("button", { name: "Save policy" }).click();
      await page.getByText("Saved bucket policy").waitFor();
      await expectAccessible(page);
      const site = await fetch(`${n.endpoint}/_nimbus/s3-website/${bucket}/`);
      expect(site.status).toBe(200);
      expect(await site.text()).toContain("Hello from S3");
    } catch (e) {
      await screenshot(page, "s3-settings-failure");
      throw e;
    }
    await ctx.close();
  });
});

describe("console S3 under IAM", () => {
  it("shows a read-only user the buckets and an access-denied message on create", { timeout: 120_000 }, async () => {
    const iam = new IAMClient(sdkConfig(n));
    const s3 = new S3Client({ ...sdkConfig(n), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "readable-bucket" }));
    await iam.send(new CreateUserCommand({ UserName: "reader" }));
    await iam.send(new CreateLoginProfileCommand({ UserName: "reader", Password: "Reader-Pass-123" }));
    await iam.send(new AttachUserPolicyCommand({ UserName: "reader", PolicyArn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }));
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    try {
      await signInUser(page, n, "000000000000", "reader", "Reader-Pass-123");
      await page.getByRole("heading", { name: "Console home" }).waitFor();
      await page.goto(consoleUrl(n, "s3"));
      await page.getByRole("link", { name: "readable-bucket" }).waitFor();
      await page.goto(consoleUrl(n, "s3/create-bucket"));
      await page.getByLabel("Bucket name").fill("not-allowed-bucket");
      await page.getByRole("button", { name: "Create bucket" }).click();
      await page.getByRole("alert").filter({ hasText: "Access denied" }).waitFor();
      await screenshot(page, "s3-create-denied");
    } catch (e) {
      await screenshot(page, "s3-iam-failure");
      throw e;
    }
    await ctx.close();
  });
});

const BUCKET = "console-test-bucket";
const size = 20 * 1024 * 1024;

async function run(page: Page): Promise<void> {
  const original = randomBytes(size);
  const file = join(dir, "big.bin");
  writeFileSync(file, original);
  await signInRoot(page, n);

  // Bucket list: empty state, accessible.
  await page.goto(consoleUrl(n, "s3"));
  await page.getByRole("heading", { name: "Buckets" }).waitFor();
  await page.getByText("You have no buckets yet.").waitFor();
  await expectAccessible(page);

  // Create bucket: an invalid name is explained inline, a valid one creates the bucket.
  await page.getByRole("link", { name: "Create bucket" }).first().click();
  await page.getByRole("heading", { name: "Create bucket" }).waitFor();
  await page.getByLabel("Bucket name").fill("Bad_Bucket");
  await page.getByText("Bucket names can contain only lowercase letters, numbers, dots (.) and hyphens (-).").waitFor();
  await page.getByLabel("Bucket name").fill("ab");
  await page.getByText("Bucket names must be between 3 and 63 characters long.").waitFor();
  await page.getByLabel("Bucket name").fill(BUCKET);
  await expect(page.getByText("Bucket names must").count()).resolves.toBe(0);
  await page.getByLabel("Enable versioning").check();
  await page.getByRole("button", { name: "Create bucket" }).click();
  await page.getByRole("heading", { name: BUCKET }).waitFor();
  await page.getByText("No objects in this bucket.").waitFor();

  // Create a folder and open it.
  await page.getByRole("button", { name: "Create folder" }).click();
  await page.getByLabel("Folder name").fill("docs");
  await page.getByRole("dialog").getByRole("button", { name: "Create folder" }).click();
  await page.getByRole("link", { name: "docs" }).click();
  await page.getByText("No objects in this folder.").waitFor();
  expect(page.url()).toContain("prefix=docs%2F");

  // Upload page: the file picker, then a progress bar that moves.
  await page.getByRole("button", { name: "Upload" }).first().click();
  await page.getByRole("heading", { name: "Upload" }).waitFor();
  await page.getByLabel("Choose files").setInputFiles(file);
  const bar = page.getByRole("progressbar", { name: "Upload progress big.bin" });
  await bar.waitFor();
  await expectAccessible(page);
  // Every value the bar shows, recorded in the page as it changes.
  await page.evaluate(`(() => {
    const el = document.querySelector('progress[aria-label="Upload progress big.bin"]');
    window.__values = [];
    new MutationObserver(() => window.__values.push(el.getAttribute("value"))).observe(el, { attributes: true, attributeFilter: ["value"] });
  })()`);
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  await page.getByText("Succeeded: 1 file").waitFor({ timeout: 100_000 });
  await expect(bar.getAttribute("value")).resolves.toBe("100");
  const values = ((await page.evaluate("window.__values")) as string[]);
  const before100 = new Set(values.filter((v) => v !== "100" && v !== "0"));
  expect(before100.size, `progress values seen: ${values.join(",")}`).toBeGreaterThanOrEqual(2);
  await screenshot(page, "s3-upload");

  // Back in the folder, the object is listed; the objects page is accessible.
  await page.getByRole("link", { name: "Back to bucket" }).click();
  await page.getByRole("link", { name: "big.bin" }).waitFor();
  await expectAccessible(page);
  await screenshot(page, "s3-objects");

  // Download through a presigned URL: byte-identical.
  await page.getByLabel("Select docs/big.bin").check();
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download" }).click()]);
  expect(download.suggestedFilename()).toBe("big.bin");
  const saved = join(dir, "downloaded.bin");
  await download.saveAs(saved);
  expect(sha256(readFileSync(saved))).toBe(sha256(original));

  // Object details: size, a presigned link that works from outside the browser.
  await page.getByRole("link", { name: "big.bin" }).click();
  await page.getByRole("heading", { name: "big.bin" }).waitFor();
  await page.getByText(`${size.toLocaleString("en-US")} bytes`).waitFor();
  await page.getByText("SSE-S3 (AES256)").waitFor();
  await page.getByRole("heading", { name: "Versions" }).waitFor();
  await screenshot(page, "s3-object");
  await page.getByRole("button", { name: "Share with a presigned URL" }).click();
  await page.getByLabel("Time interval until the presigned URL expires").selectOption("300");
  await page.getByRole("button", { name: "Create presigned URL" }).click();
  const url = await page.getByRole("textbox", { name: "Presigned URL" }).inputValue();
  expect(url).toContain("X-Amz-Signature=");
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(original));
  await page.getByRole("dialog").getByRole("button", { name: "Close", exact: true }).first().click();

  // A phone-sized view of the objects page: no horizontal page scroll.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(consoleUrl(n, `s3/buckets/${BUCKET}?prefix=docs%2F`));
  await page.getByRole("link", { name: "big.bin" }).waitFor();
  expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
  await screenshot(page, "s3-objects-390");
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole("link", { name: "big.bin" }).click();
  await page.getByRole("heading", { name: "big.bin" }).waitFor();

  // Delete the object from its page (multi-select delete is used below for the folder).
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByLabel('To confirm, type "permanently delete"').fill("permanently delete");
  await page.getByRole("button", { name: "Delete object" }).click();
  await page.getByText("No objects in this folder.").waitFor();

  // Delete the folder with the list's multi-select delete.
  await page.getByRole("navigation", { name: "Folder path" }).getByRole("link", { name: BUCKET }).click();
  await page.getByLabel("Select docs/").check();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByLabel('To confirm, type "permanently delete"').fill("permanently delete");
  await page.getByRole("button", { name: "Delete objects" }).click();
  await page.getByText("No objects in this bucket.").waitFor();

  // Delete the bucket: versions and delete markers remain, so S3 refuses until it is emptied.
  await page.goto(consoleUrl(n, "s3"));
  await page.getByLabel(`Select ${BUCKET}`).check();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByLabel(`To confirm, type "${BUCKET}"`).fill(BUCKET);
  await page.getByRole("button", { name: "Delete bucket" }).click();
  await page.getByText("This bucket is not empty.").waitFor();
  await page.getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("button", { name: "Empty", exact: true }).click();
  await page.getByLabel('To confirm, type "permanently delete"').fill("permanently delete");
  await page.getByRole("dialog").getByRole("button", { name: "Empty", exact: true }).click();
  await page.getByText(/Emptied bucket/).waitFor();
  await page.getByText("Bucket and objects not public").waitFor();
  await screenshot(page, "s3-buckets");
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByLabel(`To confirm, type "${BUCKET}"`).fill(BUCKET);
  await page.getByRole("button", { name: "Delete bucket" }).click();
  await page.getByText("You have no buckets yet.").waitFor();
}
