/**
 * The IAM console in Chromium, beyond the course flow: policies (inline JSON and server errors,
 * versions, type filter), roles (trust templates and editor), a user's details (access keys with
 * their CSV, MFA, permissions, deletion) and the password policy.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { Secret, TOTP } from "otpauth";
import type { Nimbus } from "../src/index.js";
import { AttachUserPolicyCommand, CreateLoginProfileCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from "@aws-sdk/client-iam";
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

const codeAt = (seed: string, step: number) => new TOTP({ secret: Secret.fromBase32(seed) }).generate({ timestamp: step * 30_000 });

describe("IAM console management pages", () => {
  it("creates a policy (errors inline), a role from a template, manages a user's keys, MFA and permissions, edits the password policy", { timeout: 120_000 }, async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await signInRoot(page, n);

    // Policy: a JSON syntax error and then the server's MalformedPolicyDocument are shown inline.
    await page.goto(consoleUrl(n, "iam/policies/create"));
    const editor = page.getByRole("textbox", { name: "Policy document" });
    await editor.fill('{"Version": "2012-10-17", "Statement": [');
    await page.getByText(/Invalid JSON/).waitFor();
    await editor.fill(JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Maybe", Action: "s3:ListAllMyBuckets", Resource: "*" }] }));
    await page.getByLabel("Policy name").fill("S3List");
    expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");
    await page.getByRole("button", { name: "Create policy" }).click();
    await page.getByText(/MalformedPolicyDocument/).waitFor();
    await editor.fill(JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" }] }));
    await page.getByRole("button", { name: "Create policy" }).click();
    await page.getByRole("heading", { name: "S3List" }).waitFor();
    await page.getByText('"s3:ListAllMyBuckets"').waitFor();
    // A new default version.
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByRole("textbox", { name: "Policy document" }).fill(JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:ListAllMyBuckets", "s3:GetBucketLocation"], Resource: "*" }] }));
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText('"s3:GetBucketLocation"').waitFor();
    await page.getByRole("tab", { name: "Policy versions" }).click();
    await page.getByRole("row", { name: /v2 Default/ }).waitFor();
    await page.getByRole("row", { name: /v1/ }).waitFor();
    // The type filter.
    await page.getByRole("navigation", { name: "IAM" }).getByRole("link", { name: "Policies" }).click();
    await page.getByLabel("Filter by type").selectOption("Local");
    await page.getByText("1 policies").waitFor();
    await page.getByRole("link", { name: "S3List" }).waitFor();

    // Role: the AWS service template trusts Lambda; the AWS account template names the account.
    await page.goto(consoleUrl(n, "iam/roles/create"));
    const trust = page.getByRole("textbox", { name: "Trust policy" });
    expect(JSON.parse(await trust.inputValue()).Statement[0].Principal).toEqual({ Service: "lambda.amazonaws.com" });
    await page.getByLabel("Trusted entity type").selectOption("account");
    expect(JSON.parse(await trust.inputValue()).Statement[0].Principal).toEqual({ AWS: "arn:aws:iam::000000000000:root" });
    await page.getByLabel("Trusted entity type").selectOption("service");
    await page.getByLabel("Search permission policies").fill("S3List");
    await page.getByLabel("Select arn:aws:iam::000000000000:policy/S3List").check();
    await page.getByLabel("Role name").fill("fn-role");
    expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");
    await page.getByRole("button", { name: "Create role" }).click();
    await page.getByRole("heading", { name: "fn-role" }).waitFor();
    await page.getByRole("cell", { name: "S3List", exact: true }).waitFor();
    await page.getByRole("tab", { name: "Trust relationships" }).click();
    await page.getByText("Trusted entities: AWS service: lambda").waitFor();
    await screenshot(page, "iam-role");

    // A user without console access; then an access key with its CSV, deactivated.
    await page.goto(consoleUrl(n, "iam/users/create"));
    await page.getByLabel("User name").fill("bob");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByText("User created successfully").waitFor();
    await page.getByRole("link", { name: "View user" }).click();
    await page.getByRole("heading", { name: "bob" }).waitFor();
    await page.getByRole("tab", { name: "Security credentials" }).click();
    await page.getByText("Console password").first().waitFor();
    await page.getByRole("button", { name: "Create access key" }).click();
    const created = page.getByRole("dialog", { name: "Access key created" });
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 45_000 }), created.getByRole("button", { name: "Download .csv file" }).click()]);
    const lines = (await readFile((await download.path())!, "utf8")).trim().split(/\r?\n/);
    expect(lines[0]).toBe("Access key ID,Secret access key");
    const [keyId, secret] = lines[1]!.split(",");
    expect(keyId).toMatch(/^AKIA/);
    expect(secret).toHaveLength(40);
    await created.getByRole("button", { name: "Done" }).click();
    await page.getByRole("button", { name: `Deactivate ${keyId}` }).click();
    await page.getByRole("button", { name: `Activate ${keyId}` }).waitFor();

    // MFA for the user (EnableMFADevice with two codes).
    await page.getByRole("button", { name: "Assign MFA device" }).click();
    const mfa = page.getByRole("dialog", { name: "Assign MFA device" });
    await mfa.getByRole("button", { name: "Continue" }).click();
    await mfa.getByRole("button", { name: "Show secret key" }).click();
    const seed = await mfa.getByLabel("Secret key").inputValue();
    const step = Math.floor(Date.now() / 30_000);
    await mfa.getByLabel("MFA code 1").fill(codeAt(seed, step - 1));
    await mfa.getByLabel("MFA code 2").fill(codeAt(seed, step));
    await mfa.getByRole("button", { name: "Add MFA" }).click();
    await page.getByRole("cell", { name: "arn:aws:iam::000000000000:mfa/bob", exact: true }).waitFor();

    // Permissions: attach the policy directly.
    await page.getByRole("tab", { name: "Permissions" }).click();
    await page.getByRole("button", { name: "Add permissions" }).click();
    const attach = page.getByRole("dialog", { name: "Attach policies" });
    await attach.getByLabel("Search permission policies").fill("S3List");
    await attach.getByLabel("Select arn:aws:iam::000000000000:policy/S3List").check();
    await attach.getByRole("button", { name: "Attach policies" }).click();
    await page.getByRole("cell", { name: "S3List", exact: true }).waitFor();

    // Deleting the user removes its key, MFA device and policy first.
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    const confirm = page.getByRole("dialog", { name: "Delete bob?" });
    await confirm.getByLabel('To confirm, type "bob"').fill("bob");
    await confirm.getByRole("button", { name: "Delete" }).click();
    await page.getByText("No users yet.").waitFor();

    // Password policy.
    await page.getByRole("navigation", { name: "IAM" }).getByRole("link", { name: "Account settings" }).click();
    await page.getByText("This account uses the default password policy").waitFor();
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("Minimum password length").fill("12");
    await page.getByLabel("Require at least one number (0-9)").check();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("a number", { exact: true }).waitFor();
    expect(await page.getByRole("definition").filter({ hasText: /^12$/ }).count()).toBe(1);
    await ctx.close();
  });

  it("shows a read-only user access denied messages, not blank pages, and lets it manage its own credentials", { timeout: 120_000 }, async () => {
    const sdk = new IAMClient(sdkConfig(n));
    await sdk.send(new CreateUserCommand({ UserName: "reader" }));
    await sdk.send(new CreateLoginProfileCommand({ UserName: "reader", Password: "Reader-Pass-1!" }));
    await sdk.send(new AttachUserPolicyCommand({ UserName: "reader", PolicyArn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }));
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await signInUser(page, n, "000000000000", "reader", "Reader-Pass-1!");
    await page.getByRole("heading", { name: "Console home" }).waitFor();
    await page.goto(consoleUrl(n, "iam/users"));
    await page.getByRole("alert").filter({ hasText: "Access denied" }).first().waitFor();
    await page.goto(consoleUrl(n, "iam"));
    await page.getByRole("heading", { name: "IAM dashboard" }).waitFor();
    await page.getByRole("alert").filter({ hasText: "Access denied" }).first().waitFor();
    await screenshot(page, "iam-denied");

    // Its own credentials, with a policy that lets it manage them: password and access keys.
    await sdk.send(
      new PutUserPolicyCommand({
        UserName: "reader",
        PolicyName: "own-credentials",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["iam:ChangePassword", "iam:*AccessKey*", "iam:ListMFADevices"], Resource: "arn:aws:iam::000000000000:user/reader" }] }),
      }),
    );
    await page.getByRole("navigation", { name: "IAM" }).getByRole("link", { name: "My security credentials" }).click();
    await page.getByText("IAM user reader").waitFor();
    await page.getByLabel("Current password").fill("Reader-Pass-1!");
    await page.getByLabel("New password", { exact: true }).fill("Reader-Pass-2!");
    await page.getByLabel("Confirm new password").fill("Reader-Pass-2!");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("Password changed").waitFor();
    await page.getByRole("button", { name: "Create access key" }).click();
    await page.getByRole("dialog", { name: "Access key created" }).getByRole("button", { name: "Done" }).click();
    await page.getByRole("button", { name: /^Deactivate AKIA/ }).waitFor();
    await ctx.close();
  });
});
