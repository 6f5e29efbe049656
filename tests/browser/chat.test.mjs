// axe-core on the guided chat's screens, which the sitemap cannot list
// because each is reached by answering: the start, a step that takes typed
// input, the safety message after risky text, the easy-read start, a validation error, the
// check-your-answers summary and the sent confirmation. In English and
// Arabic (right to left), at kiosk and phone sizes, with JavaScript (chat.js
// over the websocket) and without (plain form posts): zero violations.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { startServer, launchBrowser, Chat, REFERENCE, KIOSK, PHONE } from "./lib.mjs";

const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const VIEWPORTS = [KIOSK, PHONE];
const LANGS = ["en", "ar"];
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
// Matched by content/chat/risk.yaml in every language's list check.
const RISKY = "I want to end my life";

let server;
const browsers = {};
before(async () => {
  server = await startServer();
  browsers.js = await launchBrowser();
  browsers.nojs = await launchBrowser({ javaScriptEnabled: false });
});
after(async () => {
  await browsers.js?.close();
  await browsers.nojs?.close();
  await server?.stop();
});

// Without JavaScript, Chromium stops timers too, and axe needs them: its run
// never finishes. So the page that JavaScript-off Chromium rendered is
// copied, DOM as it stands, into a twin tab with JavaScript on, served at the
// same origin (so the same CSS and fonts load) with the site's scripts
// refused, and checked there.
async function twinOf(page, checker, base) {
  const html = await page.content();
  await checker.route(`${base}/__nojs-twin`, (r) => r.fulfill({ contentType: "text/html; charset=utf-8", body: html }));
  await checker.goto(`${base}/__nojs-twin`, { waitUntil: "load" });
  await checker.evaluate(() => document.fonts.ready.then(() => undefined));
  return checker;
}

async function axeAt(page, label, found) {
  for (const vp of VIEWPORTS) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    const v = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })
      .then((r) => r.violations.map((x) => ({ id: x.id, impact: x.impact, help: x.help, nodes: x.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${(n.failureSummary || "").split("\n").slice(1).join(" ").trim()}`) }))), TAGS);
    found.push(...v.map((x) => `${vp.name} ${label}: ${x.id} (${x.impact}) ${x.help}\n    ${x.nodes.join("\n    ")}`));
  }
  await page.setViewportSize({ width: KIOSK.width, height: KIOSK.height });
}

for (const mode of ["js", "nojs"]) {
  test(`axe: chat screens ${mode === "js" ? "with JavaScript (websocket)" : "without JavaScript (forms)"}, en and ar, kiosk and phone`, async (t) => {
    const page = await browsers[mode].newPage();
    // Init scripts run in every page whatever its CSP says.
    if (mode === "js") await page.addInitScript(axeSource);
    if (mode === "js") await Chat.counter(page);
    const chat = new Chat(page, mode === "js");
    const found = [];
    let checks = 0;
    let checker = null;
    if (mode === "nojs") {
      checker = await browsers.js.newPage();
      await checker.addInitScript(axeSource);
      await checker.route("**/static/js/**", (r) => r.abort());
    }
    const check = async (label, assertion) => {
      if (assertion) assert.ok(await page.locator(assertion).first().isVisible(), `${label}: ${assertion} not shown`);
      await axeAt(checker ? await twinOf(page, checker, server.base) : page, `${mode} ${label}`, found);
      checks += VIEWPORTS.length;
    };
    for (const lang of LANGS) {
      await chat.open(server.base, lang);
      await check(`/${lang}/chat start`, ".button-choice");
      await chat.open(server.base, lang, "?variant=easy-read");
      await check(`/${lang}/chat?variant=easy-read start (pictures)`, ".bubble img");

      await chat.open(server.base, lang, "?flow=referral");
      await chat.walk("name");
      await check(`/${lang}/chat name (typed input)`, "#chat-text");

      await chat.answer({ text: RISKY });
      await check(`/${lang}/chat safety message`, ".bubble-safety");

      await chat.walk("phone");
      await chat.answer({ text: "not a number" });
      assert.equal(chat.node, "phone", "an invalid phone number should stay on the phone step");
      await check(`/${lang}/chat error`, ".bubble-error");

      await chat.answer({ text: "07700 900123" });
      await chat.walk("check");
      await check(`/${lang}/chat check your answers`, ".summary");

      await chat.answer({ choose: "_submit" });
      assert.equal(chat.node, "sent");
      assert.match(await page.locator("#chat-log").innerText(), REFERENCE, "no reference shown after sending");
      await check(`/${lang}/chat sent`);
    }
    await page.close();
    await checker?.close();
    t.diagnostic(`axe (${mode}): ${checks} checks of chat screens, ${found.length} violations`);
    assert.deepEqual(found, [], `axe violations:\n${found.join("\n")}`);
  });
}
