// Reflow (WCAG 1.4.10) and text resize (1.4.4): at 320 CSS px wide, with the
// browser's text size at 100% and at 200%, nothing needs sideways scrolling
// on the start, a content and an easy-read page in every language.
// 200% is the browser's own default font size doubled (DevTools protocol
// Page.setFontSizes, as a reader's text-size setting would), so it goes
// through the site's rem-based CSS exactly as for a real reader.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer, launchBrowser, sitemapPaths, pagesByLanguage, open, ensureArtifacts, Chat } from "./lib.mjs";

const WIDTH = 320;
const HEIGHT = 640;
const DEFAULT_SIZE = 16; // Chromium's default standard font size, px

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** How wide the page is, and the elements that poke past the edge. */
function measure(page) {
  return page.evaluate(() => {
    const d = document.documentElement;
    const wide = [];
    for (const el of document.body.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && (r.right > d.clientWidth + 1 || r.left < -1) && !el.closest(".skip-link")) {
        wide.push(`${el.localName}${el.className ? "." + String(el.className).split(" ").join(".") : ""} [${Math.round(r.left)}, ${Math.round(r.right)}]`);
      }
    }
    return { scrollWidth: d.scrollWidth, clientWidth: d.clientWidth, root: parseFloat(getComputedStyle(d).fontSize), wide: wide.slice(0, 5) };
  });
}

async function record(page, m, label, scale, problems) {
  if (m.scrollWidth > m.clientWidth) {
    problems.push(`${label}: scrollWidth ${m.scrollWidth} > clientWidth ${m.clientWidth}; past the edge: ${m.wide.join(", ")}`);
    await page.screenshot({ path: join(ensureArtifacts(), `reflow-${scale * 100}-${label.replace(/[^a-z0-9]+/gi, "_")}.png`), fullPage: true });
  }
}

async function narrowPage(scale) {
  const page = await browser.newPage();
  await page.setViewportSize({ width: WIDTH, height: HEIGHT });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Page.enable");
  await cdp.send("Page.setFontSizes", { fontSizes: { standard: DEFAULT_SIZE * scale, fixed: 13 * scale } });
  return page;
}

for (const scale of [1, 2]) {
  test(`no horizontal scrolling at ${WIDTH}px wide with text at ${scale * 100}%`, async (t) => {
    const langs = pagesByLanguage(await sitemapPaths(server.base));
    const page = await narrowPage(scale);
    const problems = [];
    let checked = 0, baseRoot = null;
    for (const l of langs) {
      for (const path of [l.home, l.content, l.easyRead, `/${l.lang}/languages`]) {
        await open(page, server.base, path);
        const m = await measure(page);
        checked++;
        baseRoot ??= m.root;
        await record(page, m, path, scale, problems);
      }
    }
    await page.close();
    // The text-size setting really took: 112.5% of the default size.
    assert.equal(baseRoot, 1.125 * DEFAULT_SIZE * scale, `root font size ${baseRoot}px`);
    t.diagnostic(`reflow at ${WIDTH}px, text ${scale * 100}% (root ${baseRoot}px): ${checked} pages in ${langs.length} languages, ${problems.length} scroll sideways`);
    assert.deepEqual(problems, [], problems.join("\n"));
  });
}

// The chat's screens, reached by answering (with chat.js over the
// websocket): the start, a typed-input step, the safety message and an
// error, the check-your-answers summary (a grid that must fold to one
// column) and the sent step, in English and Arabic.
for (const scale of [1, 2]) {
  test(`chat: no horizontal scrolling at ${WIDTH}px wide with text at ${scale * 100}%`, async (t) => {
    const page = await narrowPage(scale);
    await Chat.counter(page);
    const chat = new Chat(page, true);
    const problems = [];
    let checked = 0;
    const check = async (label) => { await record(page, await measure(page), label, scale, problems); checked++; };
    for (const lang of ["en", "ar"]) {
      await chat.open(server.base, lang);
      await check(`/${lang}/chat start`);
      await chat.open(server.base, lang, "?flow=referral");
      await chat.walk("name");
      await check(`/${lang}/chat name`);
      await chat.answer({ text: "I want to end my life" });
      await check(`/${lang}/chat safety`);
      await chat.walk("phone");
      await chat.answer({ text: "not a number" });
      await check(`/${lang}/chat error`);
      await chat.answer({ text: "07700 900123" });
      await chat.walk("check");
      await check(`/${lang}/chat check your answers`);
      await chat.answer({ choose: "_submit" });
      await check(`/${lang}/chat sent`);
    }
    await page.close();
    t.diagnostic(`chat reflow at ${WIDTH}px, text ${scale * 100}%: ${checked} screens, ${problems.length} scroll sideways`);
    assert.deepEqual(problems, [], problems.join("\n"));
  });
}
