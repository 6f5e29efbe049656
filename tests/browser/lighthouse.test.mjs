// Lighthouse (Google's audit tool, driving Debian's Chromium through
// chrome-launcher) on the start page, a content page, an easy-read page and
// the chat: the accessibility score must be 100. Performance with the mobile
// preset (a mid-range phone on a throttled 4G link, simulated) is recorded,
// not asserted, because it varies with the machine. Also page weight: bytes
// transferred for a content page without fonts and pictures (at most 50 KB)
// and all of /static/js (at most 20 KB). The figures are printed at the end
// and written to artifacts/summary.{json,md} for the README.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, statSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";
import { startServer, launchBrowser, chromiumPath, chromiumArgs, root, ensureArtifacts } from "./lib.mjs";

const CONTENT = "/en/what-is-an-imha";
const PAGES = [["start page", "/en/"], ["content page", CONTENT], ["easy-read page", "/en/easy-read/what-is-an-imha"], ["chat", "/en/chat"]];
const CONTENT_BUDGET = 50 * 1024; // bytes, without fonts and pictures
const SCRIPT_BUDGET = 20 * 1024; // bytes, everything under /static/js
const METRICS = [["first-contentful-paint", "FCP"], ["largest-contentful-paint", "LCP"], ["total-blocking-time", "TBT"],
  ["cumulative-layout-shift", "CLS"], ["speed-index", "Speed Index"], ["interactive", "TTI"]];

const summary = { lighthouse: [], weight: {} };
let server, chrome, profile;
before(async () => {
  server = await startServer();
  profile = mkdtempSync(join(tmpdir(), "imha-lighthouse-"));
  try {
    chrome = await chromeLauncher.launch({ chromePath: chromiumPath, userDataDir: profile,
      chromeFlags: [...chromiumArgs.filter((a) => a !== "--headless"), "--headless=new"] });
  } catch (err) {
    throw new Error(`chrome-launcher could not start ${chromiumPath} (apt-get install chromium, or set CHROMIUM): ${err.message}`);
  }
});
after(async () => {
  await chrome?.kill();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await server?.stop();
  if (summary.lighthouse.length || summary.weight.content) {
    const dir = ensureArtifacts();
    writeFileSync(join(dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
    const md = markdown();
    writeFileSync(join(dir, "summary.md"), md);
    console.log("\n" + md);
  }
});

function markdown() {
  const rows = summary.lighthouse.map((r) => `| ${r.name} \`${r.path}\` | ${r.accessibility} | ${r.performance} | ${METRICS.map(([id]) => r.metrics[id]).join(" | ")} |`);
  const w = summary.weight;
  return ["Lighthouse " + (summary.lighthouseVersion || "") + ", mobile preset (simulated throttling), Debian Chromium " + (summary.chromium || ""), "",
    `| page | accessibility | performance | ${METRICS.map(([, n]) => n).join(" | ")} |`,
    `| --- | --- | --- | ${METRICS.map(() => "---").join(" | ")} |`, ...rows, "",
    w.content ? `Page weight: ${CONTENT} transfers ${w.content.bytes} bytes without fonts and pictures (budget ${CONTENT_BUDGET}) in ${w.content.requests} requests; fonts ${w.content.fontBytes} bytes, pictures ${w.content.imageBytes} bytes.` : "",
    w.scripts ? `Scripts: ${w.scripts.bytes} bytes in ${w.scripts.files.length} files under /static/js (budget ${SCRIPT_BUDGET}).` : "", ""].join("\n");
}

test("Lighthouse: accessibility 100 on the start, content, easy-read and chat pages (mobile preset; performance recorded)", async (t) => {
  const low = [];
  for (const [name, path] of PAGES) {
    const r = await lighthouse(server.base + path, { port: chrome.port, output: "json", logLevel: "error",
      onlyCategories: ["accessibility", "performance"] });
    assert.ok(r?.lhr, `${path}: Lighthouse returned no report`);
    const { lhr } = r;
    assert.ok(!lhr.runtimeError, `${path}: Lighthouse runtime error ${JSON.stringify(lhr.runtimeError)}`);
    summary.lighthouseVersion = lhr.lighthouseVersion;
    summary.chromium = (lhr.environment?.hostUserAgent.match(/Chrome\/([\d.]+)/) || [])[1];
    const score = (c) => (lhr.categories[c].score === null ? null : Math.round(lhr.categories[c].score * 100));
    const row = { name, path, accessibility: score("accessibility"), performance: score("performance"), metrics: {} };
    for (const [id] of METRICS) row.metrics[id] = lhr.audits[id]?.displayValue ?? "n/a";
    summary.lighthouse.push(row);
    if (row.accessibility !== 100) {
      const failed = Object.values(lhr.audits).filter((a) => a.score === 0 && lhr.categories.accessibility.auditRefs.some((x) => x.id === a.id));
      low.push(`${path}: accessibility ${row.accessibility}: ${failed.map((a) => `${a.id} (${a.title})`).join(", ")}`);
    }
    t.diagnostic(`${path}: accessibility ${row.accessibility}, performance ${row.performance}, ${METRICS.map(([id, n]) => `${n} ${row.metrics[id]}`).join(", ")}`);
  }
  assert.deepEqual(low, [], low.join("\n"));
});

test(`page weight: a content page under ${CONTENT_BUDGET / 1024} KB without fonts and pictures, all scripts under ${SCRIPT_BUDGET / 1024} KB`, async (t) => {
  // A fresh profile, so nothing comes from the cache.
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const responses = [];
    page.on("requestfinished", (req) => responses.push(req));
    await page.goto(server.base + CONTENT, { waitUntil: "networkidle" });
    let bytes = 0, fontBytes = 0, imageBytes = 0, requests = 0;
    for (const req of responses) {
      const s = await req.sizes(); // bytes on the wire: headers and (compressed) body
      const n = s.responseHeadersSize + s.responseBodySize;
      const type = req.resourceType();
      if (type === "font") fontBytes += n;
      else if (type === "image" || type === "media") imageBytes += n;
      else { bytes += n; requests++; }
    }
    summary.weight.content = { path: CONTENT, bytes, requests, fontBytes, imageBytes };
    t.diagnostic(`${CONTENT}: ${bytes} bytes in ${requests} requests without fonts (${fontBytes}) and pictures (${imageBytes})`);
    assert.ok(bytes <= CONTENT_BUDGET, `${CONTENT} transfers ${bytes} bytes without fonts and pictures; budget ${CONTENT_BUDGET}`);
  } finally {
    await browser.close();
  }
  const dir = join(root, "static", "js");
  const files = readdirSync(dir, { recursive: true }).filter((f) => /\.m?js$/.test(f));
  const scriptBytes = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  summary.weight.scripts = { bytes: scriptBytes, files };
  t.diagnostic(`/static/js: ${scriptBytes} bytes in ${files.join(", ")}`);
  assert.ok(files.length > 0, "no scripts under static/js");
  assert.ok(scriptBytes <= SCRIPT_BUDGET, `/static/js holds ${scriptBytes} bytes; budget ${SCRIPT_BUDGET}`);
});
