/** The console's SQS and SNS pages in Chromium: queues and topics (SES: console-messaging-ses.test.ts). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand, ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Nimbus } from "../src/index.js";
import { consoleUrl, describeViolations, launchBrowser, newContext, screenshot, seriousA11yViolations, signInRoot, startConsoleNimbus } from "./console-harness.js";
import { sdkConfig } from "./helpers.js";

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

/** A 390 px screenshot of the page at `path`, then back to 1280x800. */
async function narrowShot(path: string, heading: string, name: string): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(consoleUrl(n, path));
  await page.getByRole("heading", { name: new RegExp(`^${heading}`) }).waitFor();
  await page.getByRole("table").first().getByRole("row").nth(1).waitFor();
  await noHorizontalScroll(page);
  await screenshot(page, name);
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Poll the queue until every text is among the received messages (a poll may return fewer). */
async function pollUntil(texts: string[]): Promise<void> {
  const received = page.getByRole("table", { name: "received messages" });
  for (let i = 0; i < 8; i++) {
    await page.getByRole("button", { name: "Poll for messages" }).click();
    await page.getByRole("button", { name: "Poll for messages" }).waitFor();
    await received.waitFor();
    let all = true;
    for (const t of texts) if ((await received.getByText(t).count()) === 0) all = false;
    if (all) return;
  }
  throw new Error(`Messages not received: ${texts.join(", ")}`);
}

describe("console messaging", () => {
  it("SQS: creates a queue, sends two messages, polls, deletes one, purges", async () => {
    await page.goto(consoleUrl(n, "sqs"));
    await page.getByRole("heading", { name: "Queues" }).waitFor();
    await page.getByText("No queues in this region.").waitFor();
    expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");

    await page.getByRole("button", { name: "Create queue" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Create queue" });
    await dialog.getByLabel("Queue name").fill("bad name!");
    await dialog.getByRole("button", { name: "Create queue" }).click();
    await dialog.getByText("1 to 80 characters: letters, digits, hyphens (-) and underscores (_).").waitFor();
    await dialog.getByLabel("Queue name").fill("orders");
    await dialog.getByLabel("Visibility timeout (seconds)").fill("60");
    await dialog.getByRole("button", { name: "Create queue" }).click();
    await page.getByRole("heading", { name: "orders" }).waitFor();
    await page.getByText("60 s").waitFor();

    await page.getByRole("tab", { name: "Send and receive messages" }).click();
    await page.getByLabel("Message body").fill("first message");
    await page.getByRole("button", { name: "Add attribute" }).click();
    await page.getByLabel("Attribute 1 name").fill("kind");
    await page.getByLabel("Attribute 1 value").fill("test");
    await page.getByRole("button", { name: "Send message" }).click();
    await page.getByText(/Message sent \(ID/).first().waitFor();
    await page.getByLabel("Message body").fill("second message");
    await page.getByRole("button", { name: "Remove attribute 1" }).click();
    await page.getByRole("button", { name: "Send message" }).click();
    await page.getByText(/Message sent \(ID/).nth(1).waitFor();

    await pollUntil(["first message", "second message"]);
    const received = page.getByRole("table", { name: "received messages" });
    await received.getByText("kind=test").waitFor();
    await screenshot(page, "sqs-messages");

    // Delete the first one.
    await received.getByRole("row", { name: /first message/ }).getByRole("button", { name: /Delete message/ }).click();
    await page.getByText("Message deleted").waitFor();
    expect(await received.getByText("first message").count()).toBe(0);

    // Purge (typed confirmation), then the queue is empty.
    await page.getByRole("button", { name: "Purge" }).click();
    const purge = page.getByRole("dialog", { name: "Purge queue orders?" });
    await purge.getByLabel('To confirm, type "purge"').fill("purge");
    await purge.getByRole("button", { name: "Purge" }).click();
    await page.getByText("Queue orders purged").waitFor();
    await page.getByRole("tab", { name: "Details" }).click();
    await page.getByRole("definition").filter({ hasText: /^0$/ }).first().waitFor();
    const inFlight = page.getByText("Messages in flight").locator("xpath=following-sibling::dd");
    await expect.poll(() => inFlight.textContent()).toBe("0");

    await narrowShot("sqs", "Queues", "sqs-queues-390");
  });

  it("SNS: creates a topic, subscribes the queue, publishes, and the queue holds the envelope", async () => {
    await page.goto(consoleUrl(n, "sns"));
    await page.getByRole("heading", { name: "Topics" }).waitFor();
    await page.getByText("No topics in this region.").waitFor();
    expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");

    await page.getByRole("button", { name: "Create topic" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Create topic" });
    await dialog.getByLabel("Topic name").fill("alerts");
    await dialog.getByRole("button", { name: "Create topic" }).click();
    await page.getByRole("heading", { name: "alerts" }).waitFor();

    await page.getByRole("button", { name: "Create subscription" }).first().click();
    const sub = page.getByRole("dialog", { name: "Create subscription" });
    await sub.getByLabel("Queue", { exact: true }).selectOption({ label: "orders" });
    expect(await sub.getByLabel("Allow the topic to send to this queue").isChecked()).toBe(true);
    await sub.getByRole("button", { name: "Create subscription" }).click();
    await sub.waitFor({ state: "detached" });
    const subs = page.getByRole("table", { name: "subscriptions" });
    await subs.getByRole("cell", { name: "sqs", exact: true }).waitFor();
    await subs.getByText(/:orders$/).waitFor();

    await page.getByRole("tab", { name: "Publish message" }).click();
    await page.getByLabel("Subject (optional)").fill("Hello");
    await page.getByLabel("Message body").fill("sns says hi");
    await page.getByRole("button", { name: "Publish message" }).click();
    await page.getByText(/Message published \(ID/).waitFor();

    await page.goto(consoleUrl(n, "sqs/queues/orders/messages"));
    await pollUntil(["sns says hi"]);
    const received = page.getByRole("table", { name: "received messages" });
    await received.getByRole("row", { name: /sns says hi/ }).getByRole("button", { name: /View message/ }).click();
    const view = page.getByRole("dialog", { name: "Message" });
    const body = await view.locator("pre").textContent();
    const envelope = JSON.parse(body!) as Record<string, string>;
    expect(envelope.Type).toBe("Notification");
    expect(envelope.Message).toBe("sns says hi");
    expect(envelope.Subject).toBe("Hello");
    expect(envelope.TopicArn).toMatch(/:alerts$/);
    await view.getByRole("button", { name: "Close" }).click();

    // Every subscription, then the topic list at 390 px.
    await page.goto(consoleUrl(n, "sns/subscriptions"));
    const all = page.getByRole("table", { name: "subscriptions" });
    await all.getByRole("link", { name: "alerts" }).waitFor();
    // Delete the subscription.
    await all.getByRole("radio").first().check();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByRole("dialog", { name: "Delete subscription?" }).getByRole("button", { name: "Delete" }).click();
    await page.getByText("No subscriptions.").waitFor();
    await narrowShot("sns", "Topics", "sns-topics-390");
  });

  it("SNS: subscribes with a filter policy (JSON checked in the form, AWS's refusal shown), then edits it", async () => {
    const client = new SNSClient(sdkConfig(n));
    await page.goto(consoleUrl(n, "sns/topics/alerts"));
    await page.getByRole("heading", { name: "alerts" }).waitFor();
    await page.getByRole("button", { name: "Create subscription" }).first().click();
    const sub = page.getByRole("dialog", { name: "Create subscription" });
    await sub.getByLabel("Queue", { exact: true }).selectOption({ label: "orders" });
    await sub.getByLabel("Filter the messages this subscription receives").check();
    const policy = sub.getByLabel("Filter policy (JSON)");
    expect(await sub.getByLabel("Message attributes", { exact: true }).isChecked()).toBe(true);

    // Not JSON: refused in the form, nothing sent.
    await policy.fill('{"event": [');
    await sub.getByRole("button", { name: "Create subscription" }).click();
    await sub.getByText(/^Invalid JSON/).waitFor();
    expect(await policy.getAttribute("aria-invalid")).toBe("true");
    // JSON that AWS refuses: Subscribe's InvalidParameter is shown.
    await policy.fill('{"price": [{"numeric": [">", "ten"]}]}');
    await sub.getByRole("button", { name: "Create subscription" }).click();
    await sub.getByText(/FilterPolicy: Value of > must be numeric/).waitFor();
    expect(await policy.getAttribute("aria-invalid")).toBeNull();
    expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");

    // A nested policy on the message body, the scope chosen from the keyboard.
    await sub.getByLabel("Message attributes", { exact: true }).focus();
    await page.keyboard.press("ArrowRight");
    expect(await sub.getByLabel("Message body", { exact: true }).isChecked()).toBe(true);
    await policy.fill('{"order": {"status": ["paid"]}}');
    await sub.getByRole("button", { name: "Create subscription" }).click();
    await sub.waitFor({ state: "detached" });

    const topicArn = (await client.send(new ListTopicsCommand({}))).Topics!.map((t) => t.TopicArn!).find((a) => a.endsWith(":alerts"))!;
    const subs = (await client.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }))).Subscriptions ?? [];
    expect(subs).toHaveLength(1);
    const arn = subs[0].SubscriptionArn!;
    const attrs = async () => (await client.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: arn }))).Attributes ?? {};
    let a = await attrs();
    expect(JSON.parse(a.FilterPolicy!)).toEqual({ order: { status: ["paid"] } });
    expect(a.FilterPolicyScope).toBe("MessageBody");

    // Edit it: back to message attributes with a flat policy.
    const table = page.getByRole("table", { name: "subscriptions" });
    await table.getByText(/:orders$/).waitFor();
    await table.getByRole("radio").first().check();
    await page.getByRole("button", { name: "Edit filter policy" }).click();
    const edit = page.getByRole("dialog", { name: "Edit filter policy" });
    const editor = edit.getByLabel("Filter policy (JSON)");
    expect(JSON.parse(await editor.inputValue())).toEqual({ order: { status: ["paid"] } });
    expect(await edit.getByLabel("Message body", { exact: true }).isChecked()).toBe(true);
    await edit.getByLabel("Message attributes", { exact: true }).check();
    await editor.fill('{"event": ["order_placed"]}');
    await edit.getByRole("button", { name: "Save changes" }).click();
    await edit.waitFor({ state: "detached" });
    await page.getByText("Filter policy saved").waitFor();
    a = await attrs();
    expect(JSON.parse(a.FilterPolicy!)).toEqual({ event: ["order_placed"] });
    expect(a.FilterPolicyScope).toBe("MessageAttributes");
  });
});
