/** The console's DynamoDB pages in Chromium: tables, the item editor, the query builder, deletion. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Browser } from "playwright-core";
import type { Nimbus } from "../src/index.js";
import { consoleUrl, describeViolations, launchBrowser, newContext, screenshot, seriousA11yViolations, signInRoot, startConsoleNimbus } from "./console-harness.js";
import { sdkConfig } from "./helpers.js";

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

describe("console DynamoDB", () => {
  it("creates a table with a sort key, adds, queries, edits and deletes items, deletes the table", async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await signInRoot(page, n);
    await page.goto(consoleUrl(n, "dynamodb"));
    await page.getByRole("heading", { name: "Tables" }).waitFor();
    await page.getByText("No tables in this region.").waitFor();
    expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");

    // Create a table: validation first, then a partition key and a sort key.
    await page.getByRole("button", { name: "Create table" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Create table" });
    await dialog.getByRole("button", { name: "Create table" }).click();
    await dialog.getByText("Enter the partition key's name.").waitFor();
    await dialog.getByLabel("Table name").fill("Music");
    await dialog.getByLabel("Partition key name").fill("Artist");
    await dialog.getByLabel("Add a sort key").check();
    await dialog.getByLabel("Sort key name").fill("SongTitle");
    await dialog.getByRole("button", { name: "Create table" }).click();
    await page.getByRole("heading", { name: "Music" }).waitFor();
    await page.getByText("Artist (S)").first().waitFor();

    // Items: add three through the editor (one as DynamoDB JSON).
    await page.getByRole("tab", { name: "Items" }).click();
    const addItem = async (json: string, ddbJson = false) => {
      await page.getByRole("button", { name: "Create item" }).click();
      const editor = page.getByRole("dialog", { name: "Create item" });
      if (ddbJson) await editor.getByLabel("DynamoDB JSON").check();
      await editor.getByLabel("Item", { exact: true }).fill(json);
      await editor.getByRole("button", { name: "Create item" }).click();
      await editor.waitFor({ state: "detached" });
    };
    // An invalid document is reported inline and not saved.
    await page.getByRole("button", { name: "Create item" }).click();
    const editor = page.getByRole("dialog", { name: "Create item" });
    await editor.getByLabel("Item", { exact: true }).fill('{"Artist": "Acme",');
    await editor.getByText(/Invalid JSON/).waitFor();
    await editor.getByLabel("Item", { exact: true }).fill('{"SongTitle": "No artist"}');
    await editor.getByRole("button", { name: "Create item" }).click();
    await editor.getByText("The item needs its key attribute Artist.").waitFor();
    await editor.getByRole("button", { name: "Cancel" }).click();

    await addItem('{"Artist": "Acme Band", "SongTitle": "Happy Day", "Year": 2001}');
    await addItem('{"Artist": "Acme Band", "SongTitle": "Sad Night", "Year": 2003}');
    await addItem('{"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Hour"}, "Tags": {"SS": ["pop", "live"]}}', true);
    await addItem('{"Artist": "Other", "SongTitle": "Happy Again"}');

    // Query: partition key Acme Band, sort key begins_with "Happy".
    await page.getByLabel("Query").check();
    await page.getByLabel("Partition key: Artist").fill("Acme Band");
    await page.getByLabel("Sort key: SongTitle").selectOption("begins_with");
    await page.getByLabel("Sort key value").fill("Happy");
    await page.getByRole("button", { name: "Run" }).click();
    const items = page.getByRole("table", { name: "items" });
    await items.getByText("Happy Hour").waitFor();
    await items.getByText("Happy Day").waitFor();
    expect(await items.getByText("Sad Night").count()).toBe(0);
    expect(await items.getByText("Happy Again").count()).toBe(0);
    await page.getByText("2 items", { exact: true }).waitFor();
    await screenshot(page, "dynamodb-items");

    // Edit an item: change an attribute.
    await page.getByRole("button", { name: "Edit item Acme Band Happy Day" }).click();
    const edit = page.getByRole("dialog", { name: "Edit item" });
    const text = await edit.getByLabel("Item", { exact: true }).inputValue();
    expect(JSON.parse(text)).toEqual({ Artist: "Acme Band", SongTitle: "Happy Day", Year: 2001 });
    await edit.getByLabel("Item", { exact: true }).fill('{"Artist": "Acme Band", "SongTitle": "Happy Day", "Year": 2011, "Label": "Nimbus Records"}');
    await edit.getByRole("button", { name: "Save item" }).click();
    await edit.waitFor({ state: "detached" });
    await items.getByText("Nimbus Records").waitFor();
    await items.getByText("2011").waitFor();

    // Delete one item.
    await page.getByRole("checkbox", { name: /Select .*Happy Hour/ }).check();
    await page.getByRole("button", { name: "Delete items" }).click();
    await page.getByRole("dialog", { name: "Delete 1 item?" }).getByRole("button", { name: "Delete" }).click();
    await page.getByText("1 items", { exact: true }).waitFor();
    expect(await items.getByText("Happy Hour").count()).toBe(0);

    // The other tabs render.
    await page.getByRole("tab", { name: "Indexes" }).click();
    await page.getByText("This table has no secondary indexes.").waitFor();
    await page.getByRole("tab", { name: "Metrics" }).click();
    await page.getByRole("figure", { name: /Consumed read capacity units/ }).waitFor();

    // Delete the table (typed confirmation); back on the list, it is gone or deleting.
    await page.getByRole("button", { name: "Delete table" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete table Music?" });
    await confirm.getByLabel('To confirm, type "delete"').fill("delete");
    await confirm.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("heading", { name: "Tables" }).waitFor();
    await page.getByText("No tables in this region.").waitFor();
    await ctx.close();
  });

  it("creates a provisioned table with a global secondary index; the list fits 390 px", async () => {
    const ctx = await newContext(browser, { mobile: true });
    const page = await ctx.newPage();
    await signInRoot(page, n);
    await page.goto(consoleUrl(n, "dynamodb"));
    await page.getByRole("button", { name: "Create table" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Create table" });
    await dialog.getByLabel("Table name").fill("Orders");
    await dialog.getByLabel("Partition key name").fill("OrderId");
    await dialog.getByLabel("Billing mode").selectOption("PROVISIONED");
    await dialog.getByLabel("Read capacity units").fill("3");
    await dialog.getByRole("button", { name: "Add index" }).click();
    await dialog.getByLabel("Index 1 name").fill("ByCustomer");
    await dialog.getByLabel("Index 1 partition key", { exact: true }).fill("CustomerId");
    await dialog.getByRole("button", { name: "Create table" }).click();
    await page.getByRole("heading", { name: "Orders" }).waitFor();
    await page.getByRole("tab", { name: "Indexes" }).click();
    await page.getByRole("cell", { name: "ByCustomer" }).waitFor();
    await page.goto(consoleUrl(n, "dynamodb"));
    await page.getByRole("link", { name: "Orders" }).waitFor();
    await page.getByRole("cell", { name: "Provisioned" }).waitFor();
    const overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, "dynamodb-tables-390");
    await ctx.close();
  });

  it("creates a table with local secondary indexes (sort key required, INCLUDE projection); DescribeTable shows them", async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await signInRoot(page, n);
    await page.goto(consoleUrl(n, "dynamodb"));
    await page.getByRole("button", { name: "Create table" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Create table" });
    await dialog.getByLabel("Table name").fill("Threads");
    await dialog.getByLabel("Partition key name").fill("ForumName");
    await dialog.getByRole("button", { name: "Add local index" }).click();
    await dialog.getByLabel("Local index 1 name").fill("ByLastPost");
    await dialog.getByLabel("Local index 1 sort key", { exact: true }).fill("LastPostDateTime");
    // Without a table sort key the form refuses local indexes, and names the invalid fields.
    await dialog.getByRole("button", { name: "Create table" }).click();
    await dialog.getByText("Local secondary indexes need the table to have a sort key").waitFor();
    await dialog.getByLabel("Add a sort key").check();
    await dialog.getByLabel("Sort key name").fill("Subject");
    await dialog.getByRole("button", { name: "Add local index" }).click();
    await dialog.getByLabel("Local index 2 name").fill("ByReplies");
    await dialog.getByLabel("Local index 2 sort key", { exact: true }).fill("Replies");
    await dialog.getByLabel("Local index 2 sort key type").selectOption("N");
    await dialog.getByLabel("Local index 2 projection").selectOption("INCLUDE");
    await dialog.getByRole("button", { name: "Create table" }).click();
    const include = dialog.getByLabel("Local index 2 projected attributes");
    await dialog.getByText("Enter at least one attribute name.").waitFor();
    expect(await include.getAttribute("aria-invalid")).toBe("true");
    await include.fill("Tags, LastPostedBy");
    await dialog.getByLabel("Local index 1 projection").selectOption("KEYS_ONLY");
    await dialog.getByRole("button", { name: "Create table" }).click();
    await page.getByRole("heading", { name: "Threads" }).waitFor();

    const t = (await new DynamoDBClient(sdkConfig(n)).send(new DescribeTableCommand({ TableName: "Threads" }))).Table!;
    const lsis = Object.fromEntries((t.LocalSecondaryIndexes ?? []).map((l) => [l.IndexName, l]));
    expect(Object.keys(lsis).sort()).toEqual(["ByLastPost", "ByReplies"]);
    expect(lsis.ByLastPost.KeySchema).toEqual([
      { AttributeName: "ForumName", KeyType: "HASH" },
      { AttributeName: "LastPostDateTime", KeyType: "RANGE" },
    ]);
    expect(lsis.ByLastPost.Projection).toEqual({ ProjectionType: "KEYS_ONLY" });
    expect(lsis.ByReplies.Projection?.ProjectionType).toBe("INCLUDE");
    expect(lsis.ByReplies.Projection?.NonKeyAttributes).toEqual(["Tags", "LastPostedBy"]);
    expect(t.AttributeDefinitions).toContainEqual({ AttributeName: "Replies", AttributeType: "N" });

    // The Indexes tab lists them as local indexes.
    await page.getByRole("tab", { name: "Indexes" }).click();
    const row = page.getByRole("row", { name: /ByReplies/ });
    await row.getByRole("cell", { name: "Local" }).waitFor();
    await row.getByText("INCLUDE (Tags, LastPostedBy)").waitFor();
    await page.getByRole("row", { name: /ByLastPost/ }).getByText("KEYS_ONLY").waitFor();
    expect(await seriousA11yViolations(page).then(describeViolations)).toBe("");
    await ctx.close();
  });
});
