#!/usr/bin/env node
/**
 * The web console's load figures, measured in Debian's Chromium (playwright-core) against the
 * built `nimbus` binary on localhost:
 *   1. JavaScript of the first load (sign-in page, and the console home once signed in): bytes
 *      on the wire (gzip) and uncompressed (target < 300 KB gzipped)
 *   2. time to interactive, from the browser's own clock (performance.now() when the page's
 *      first control is rendered and enabled), median and p90 of BENCH_CONSOLE_LOADS fresh
 *      loads with an empty cache (target < 1 s), plus Navigation Timing's domContentLoaded
 * Figures are printed, never asserted.
 */
import { spawn } from "node:child_process";
import { chromium } from "playwright-core";

const ROOT = new URL("..", import.meta.url).pathname;
const LOADS = Number(process.env.BENCH_CONSOLE_LOADS ?? 15);
const PASSWORD = "Bench-Console-Root-1";

function startServer() {
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), `${ROOT}bin/nimbus.js`, "start", "--port", "0", "--ephemeral", "--log-level", "warn"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NIMBUS_ROOT_PASSWORD: PASSWORD },
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ child, endpoint: m[1] });
    });
    child.on("exit", (c) => reject(new Error(`nimbus exited ${c}`)));
  });
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function measure(browser, url, ready, storageState) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...(storageState ? { storageState } : {}) });
  const page = await ctx.newPage();
  let wire = 0;
  let raw = 0;
  const pending = [];
  page.on("response", (r) => {
    if (r.request().resourceType() !== "script") return;
    pending.push(
      (async () => {
        const h = await r.allHeaders();
        wire += Number(h["content-length"] ?? 0);
        raw += (await r.body()).length;
      })(),
    );
  });
  await page.goto(url);
  await ready(page);
  const t = await page.evaluate(() => ({ tti: performance.now(), dcl: performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd }));
  await Promise.all(pending);
  await ctx.close();
  return { ...t, wire, raw };
}

const { child, endpoint } = await startServer();
const browser = await chromium.launch({
  executablePath: process.env.NIMBUS_TEST_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  // A signed-in session to measure the home page with.
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${endpoint}/_nimbus/console/signin`);
  await page.getByLabel("Root user email address").fill("root@nimbus.local");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Console home" }).waitFor();
  const state = await ctx.storageState();
  await ctx.close();

  const scenarios = [
    ["sign-in page", `${endpoint}/_nimbus/console/signin`, (p) => p.getByRole("button", { name: "Sign in" }).waitFor(), undefined],
    ["console home (signed in)", `${endpoint}/_nimbus/console/`, (p) => p.getByRole("button", { name: "Services" }).waitFor(), state],
  ];
  console.log(`Web console, ${LOADS} cold loads each (fresh browser context, empty cache), Chromium headless on ${endpoint}`);
  for (const [name, url, ready, st] of scenarios) {
    await measure(browser, url, ready, st); // warm the server's file cache
    const runs = [];
    for (let i = 0; i < LOADS; i++) runs.push(await measure(browser, url, ready, st));
    const tti = runs.map((r) => r.tti);
    const dcl = runs.map((r) => r.dcl);
    console.log(
      `  ${name.padEnd(26)} JS ${(runs[0].wire / 1024).toFixed(1)} KB gzipped (${(runs[0].raw / 1024).toFixed(1)} KB raw)   ` +
        `interactive p50 ${pct(tti, 50).toFixed(0)} ms p90 ${pct(tti, 90).toFixed(0)} ms   DOMContentLoaded p50 ${pct(dcl, 50).toFixed(0)} ms   (targets: < 300 KB, < 1000 ms)`,
    );
  }
} finally {
  await browser.close();
  child.kill("SIGTERM");
}
