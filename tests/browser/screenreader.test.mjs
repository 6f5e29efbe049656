// Screen-reader transcripts: @guidepup/virtual-screen-reader walks the
// accessibility tree of the real page in Chromium, node by node as a screen
// reader's "next" command would, and its spoken phrase log is compared with
// golden files in golden/*.txt. A change in reading order, a lost name or a
// new landmark shows up as a diff to review. UPDATE_GOLDEN=1 rewrites them.
//
// Why in the page and not jsdom: names, roles and what is hidden depend on
// the real CSS and on chat.js having run, which jsdom does not do. The
// site's CSP allows only same-origin scripts (no inline, no other hosts),
// so the reader's browser bundle is served at this origin by Playwright's
// route interception and added as a module script: the page's CSP stays in
// force and nothing in the product changes for the test.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, launchBrowser, sitemapPaths, pagesByLanguage, Chat } from "./lib.mjs";

const golden = join(dirname(fileURLToPath(import.meta.url)), "golden");
const update = process.env.UPDATE_GOLDEN === "1";
const bundle = readFileSync(createRequire(import.meta.url).resolve("@guidepup/virtual-screen-reader/browser.js"), "utf8");
// Roles a person operates: each must be spoken with a name after the role.
const CONTROL = /^(link|button|textbox|combobox|checkbox|radio|spinbutton|searchbox|switch|tab|menuitem|option|slider)(?:,\s*([^,]*))?/;

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function newReaderPage() {
  const page = await browser.newPage();
  await page.route("**/__vsr/bundle.js", (r) => r.fulfill({ contentType: "text/javascript", body: bundle }));
  await page.route("**/__vsr/init.js", (r) => r.fulfill({ contentType: "text/javascript",
    body: 'import { virtual } from "/__vsr/bundle.js"; window.__vsr = virtual;' }));
  return page;
}

/** Reads the whole page from the top with "next" until the end. */
async function transcript(page) {
  await page.addScriptTag({ url: "/__vsr/init.js", type: "module" });
  await page.waitForFunction(() => window.__vsr);
  return page.evaluate(async () => {
    const v = window.__vsr;
    await v.start({ container: document.body });
    for (let i = 0; i < 2000 && (await v.lastSpokenPhrase()) !== "end of document"; i++) await v.next();
    const log = await v.spokenPhraseLog();
    await v.stop();
    return log;
  });
}

function compare(name, log) {
  const file = join(golden, `${name}.txt`);
  const text = log.join("\n") + "\n";
  if (update) {
    mkdirSync(golden, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  assert.ok(existsSync(file), `no golden file ${file}: run with UPDATE_GOLDEN=1 and review it`);
  assert.equal(text, readFileSync(file, "utf8"), `${name}: the spoken transcript changed; review the diff, then UPDATE_GOLDEN=1`);
}

/** Every control has a name; landmarks come in a sensible order. */
function checkSense(name, log) {
  assert.equal(log.at(-1), "end of document", `${name}: the reader never reached the end`);
  const unnamed = log.filter((p) => { const m = p.match(CONTROL); return m && !(m[2] || "").trim(); });
  assert.deepEqual(unnamed, [], `${name}: controls spoken without a name`);
  const at = (p) => log.findIndex((x) => x === p || x.startsWith(p + ","));
  assert.ok(at("link") === 1 && /skip/i.test(log[1]), `${name}: the skip link should be read first, got ${log[1]}`);
  const order = ["banner", "navigation", "main", "heading", "contentinfo"].map(at);
  assert.ok(order.every((i) => i > 0), `${name}: missing one of banner, navigation, main, heading, contentinfo`);
  assert.deepEqual([...order].sort((a, b) => a - b), order, `${name}: reading order should be banner, navigation, main, its heading, contentinfo`);
  assert.match(log[order[3]], /level 1/, `${name}: the first heading in main should be the h1`);
}

test("screen reader reads the start page, an easy-read page and the chat sensibly (golden transcripts)", async (t) => {
  const en = pagesByLanguage(await sitemapPaths(server.base)).find((l) => l.lang === "en");
  const cases = [
    ["home.en", en.home],
    ["easy-read.en", en.easyRead],
  ];
  for (const [name, path] of cases) {
    const page = await newReaderPage();
    await page.goto(server.base + path);
    const log = await transcript(page);
    checkSense(name, log);
    compare(name, log);
    t.diagnostic(`${name} (${path}): ${log.length} phrases`);
    await page.close();
  }
  // The chat with JavaScript: its first step, then the step after choosing
  // a self-referral and continuing (a labelled text box).
  const page = await newReaderPage();
  await Chat.counter(page);
  const chat = new Chat(page, true);
  await chat.open(server.base, "en");
  let log = await transcript(page);
  checkSense("chat.en", log);
  compare("chat.en", log);
  await chat.answer({ choose: "referral" });
  await chat.answer({ choose: "_next" });
  assert.equal(chat.node, "name");
  log = await transcript(page);
  checkSense("chat-name.en", log);
  assert.ok(log.some((p) => /^textbox, /.test(p)), "the name step has no named text box");
  compare("chat-name.en", log);
  await page.close();
  t.diagnostic(`chat.en and chat-name.en: ${log.length} phrases${update ? " (golden files written)" : ""}`);
});
