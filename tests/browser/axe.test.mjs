// axe-core on every URL in /sitemap.xml, at a portrait kiosk and a phone:
// WCAG 2.0, 2.1 and 2.2 A and AA rules, zero violations allowed.
//
// Speed: axe is put into every page once per tab (an init script, which the
// page's CSP does not govern) and each page is loaded once, checked at the
// kiosk size, resized to the phone and checked again. @axe-core/playwright's
// AxeBuilder, which re-injects axe and finishes each run in a blank tab, is
// ~5x slower; it is still run on every language's start pages as a cross-check.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { AxeBuilder } from "@axe-core/playwright";
import { startServer, launchBrowser, sitemapPaths, pagesByLanguage, open, KIOSK, PHONE } from "./lib.mjs";

const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const VIEWPORTS = [KIOSK, PHONE];
const TABS = 2; // the machines have two cores
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function axeRun(page) {
  return page.evaluate((tags) =>
    window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }).then((r) => r.violations), TAGS);
}

function describe(vp, path, violations) {
  return violations.map((v) => `${vp.name} ${path}: ${v.id} (${v.impact}) ${v.help}\n    ` +
    v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${(n.failureSummary || "").split("\n").slice(1).join(" ").trim()}`).join("\n    "));
}

test("axe finds no WCAG 2.2 A/AA violations on any page at kiosk and phone sizes", async (t) => {
  const paths = await sitemapPaths(server.base);
  const started = Date.now();
  const queue = [...paths];
  let checks = 0;
  const found = [];
  await Promise.all(Array.from({ length: TABS }, async () => {
    const page = await browser.newPage();
    await page.addInitScript(axeSource);
    for (let path; (path = queue.shift()) !== undefined;) {
      await page.setViewportSize({ width: VIEWPORTS[0].width, height: VIEWPORTS[0].height });
      await open(page, server.base, path);
      for (const vp of VIEWPORTS) {
        await page.setViewportSize({ width: vp.width, height: vp.height });
        found.push(...describe(vp, path, await axeRun(page)));
        checks++;
      }
    }
    await page.close();
  }));
  t.diagnostic(`axe: ${paths.length} pages x ${VIEWPORTS.length} viewports (kiosk ${KIOSK.width}x${KIOSK.height}, phone ${PHONE.width}x${PHONE.height}) = ${checks} checks in ${((Date.now() - started) / 1000).toFixed(1)} s, ${found.length} violations`);
  assert.equal(checks, paths.length * VIEWPORTS.length);
  assert.deepEqual(found, [], `axe violations:\n${found.join("\n")}`);
});

test("AxeBuilder agrees on every language's start pages", async (t) => {
  const paths = (await sitemapPaths(server.base)).filter((p) => /^\/[^/]+\/(easy-read\/)?$/.test(p));
  const found = [];
  const page = await browser.newPage();
  for (const vp of VIEWPORTS) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    for (const path of paths) {
      await open(page, server.base, path);
      const r = await new AxeBuilder({ page }).withTags(TAGS).analyze();
      found.push(...describe(vp, path, r.violations));
    }
  }
  await page.close();
  t.diagnostic(`AxeBuilder: ${paths.length} start pages x ${VIEWPORTS.length} viewports, ${found.length} violations`);
  assert.deepEqual(found, [], `axe violations:\n${found.join("\n")}`);
});

// States a reader reaches that the sitemap cannot list: the not-found page,
// the feedback form sent back with an error, and the thank-you page, each
// reached by a real click in every language.
test("axe finds no violations on not-found, feedback-error and thank-you pages", async (t) => {
  const langs = pagesByLanguage(await sitemapPaths(server.base));
  const found = [];
  let checks = 0;
  const page = await browser.newPage();
  await page.addInitScript(axeSource);
  const check = async (label) => {
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      found.push(...describe(vp, label, await axeRun(page)));
      checks++;
    }
  };
  for (const l of langs) {
    const res = await page.goto(`${server.base}/${l.lang}/no-such-page`);
    assert.equal(res.status(), 404);
    await check(`/${l.lang}/no-such-page`);

    await open(page, server.base, l.content);
    await Promise.all([page.waitForNavigation(), page.click(".feedback button[type=submit]")]);
    assert.ok(await page.locator(".error-summary").isVisible(), `${l.content}: sending the form empty shows no error summary`);
    await check(`${l.content} feedback sent empty`);

    await page.check(".feedback input[name=helpful][value=yes]");
    await Promise.all([page.waitForNavigation(), page.click(".feedback button[type=submit]")]);
    assert.match(new URL(page.url()).pathname, /\/feedback\/thanks$/, `${l.content}: feedback did not reach the thank-you page`);
    await check(`${l.content} feedback thanks`);
  }
  await page.close();
  t.diagnostic(`axe: ${checks} checks of not-found, feedback-error and thank-you pages, ${found.length} violations`);
  assert.deepEqual(found, [], `axe violations:\n${found.join("\n")}`);
});
