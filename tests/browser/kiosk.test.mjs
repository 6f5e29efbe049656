// Ward kiosk mode (/kiosk/{ward}/…) in Chromium against the real server:
// touch target sizes and axe at portrait and landscape kiosk sizes, no way
// out of the kiosk, and the idle reset leaving nothing of the last person.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, launchBrowser, KIOSK } from "./lib.mjs";

const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const VIEWPORTS = [{ name: "portrait", width: KIOSK.width, height: KIOSK.height }, { name: "landscape", width: 1920, height: 1080 }];
const WARD = "cedar"; // a ward in the shipped kiosk/wards.yaml
const LANGS = ["en", "ar"];
const MIN_TARGET = 44; // CSS px, WCAG 2.5.5 (AAA) and what a shaky finger on a touchscreen needs
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

async function load(page, url) {
  const res = await page.goto(url, { waitUntil: "load" });
  if (!res || res.status() !== 200) throw new Error(`${url}: HTTP ${res && res.status()}`);
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
}

// The first link under prefix on the page (a content or easy-read page).
async function firstLink(page, re) {
  const hrefs = await page.$$eval("main a[href]", (as) => as.map((a) => a.getAttribute("href")));
  const h = hrefs.find((x) => re.test(x));
  if (!h) throw new Error(`${page.url()}: no link matching ${re} among ${hrefs.join(" ")}`);
  return h;
}

// Each kiosk screen: a name and how to get there from a blank tab. The
// display options are opened so their buttons are measured and checked too.
function screens(base) {
  const k = `${base}/kiosk/${WARD}`;
  const list = [{ name: "attract", go: (p) => load(p, k) }];
  for (const lang of LANGS) {
    list.push(
      { name: `${lang} content`, go: async (p) => { await load(p, `${k}/${lang}/`); await load(p, base + await firstLink(p, new RegExp(`^/kiosk/${WARD}/${lang}/(?!easy-read|chat)[a-z-]+$`))); } },
      { name: `${lang} easy-read content`, go: async (p) => { await load(p, `${k}/${lang}/easy-read/`); await load(p, base + await firstLink(p, new RegExp(`^/kiosk/${WARD}/${lang}/easy-read/[a-z-]+$`))); } },
      { name: `${lang} chat start`, go: async (p) => { await load(p, `${k}/${lang}/chat?flow=referral`); await chatReady(p); } },
      { name: `${lang} chat name step`, go: async (p) => {
        await load(p, `${k}/${lang}/chat?flow=referral`); await chatReady(p);
        await p.click('#chat-form button[value="_next"]');
        await p.waitForSelector("#chat-text", { timeout: 10_000 });
      } },
    );
  }
  return list;
}

// The websocket has taken over the form once it rebuilt the controls.
async function chatReady(page) {
  await page.waitForSelector("#chat-form .chat-controls button", { timeout: 10_000 });
}

async function openOptions(page) {
  await page.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = true; }));
}

// Every visible interactive element's box, smallest side first.
function measure(page) {
  return page.evaluate(() => {
    const sel = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], label";
    const out = [];
    for (const e of document.querySelectorAll(sel)) {
      if (e.tagName === "LABEL" && !e.querySelector("input, select, textarea")) continue; // only labels wrapping a control are targets
      if (!e.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
      if (e.closest("[hidden], .visually-hidden")) continue;
      const r = e.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const text = (e.innerText || e.value || e.getAttribute("aria-label") || e.id || "").trim().replace(/\s+/g, " ").slice(0, 40);
      out.push({ what: `<${e.tagName.toLowerCase()}${e.className ? "." + String(e.className).split(" ").join(".") : ""}> "${text}"`, w: r.width, h: r.height });
    }
    return out;
  });
}

test("kiosk screens: every visible touch target is at least 44x44 CSS px, and axe finds no WCAG 2.2 A/AA violations, portrait and landscape", async (t) => {
  const page = await browser.newPage();
  await page.addInitScript(axeSource);
  const small = [], violations = [];
  let measured = 0, smallest = null, checks = 0;
  for (const vp of VIEWPORTS) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    for (const s of screens(server.base)) {
      await s.go(page);
      await openOptions(page);
      const where = `${vp.name} ${vp.width}x${vp.height} ${s.name} (${new URL(page.url()).pathname})`;
      const boxes = await measure(page);
      assert.ok(boxes.length > 0, `${where}: no interactive elements found`);
      for (const b of boxes) {
        measured++;
        const side = Math.min(b.w, b.h);
        if (!smallest || side < smallest.side) smallest = { side, ...b, where };
        if (b.w < MIN_TARGET - 0.01 || b.h < MIN_TARGET - 0.01) small.push(`${where}: ${b.what} is ${b.w.toFixed(1)}x${b.h.toFixed(1)}`);
      }
      const v = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }).then((r) => r.violations), TAGS);
      checks++;
      for (const x of v) {
        violations.push(`${where}: ${x.id} (${x.impact}) ${x.help}\n    ` + x.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${(n.failureSummary || "").split("\n").slice(1).join(" ").trim()}`).join("\n    "));
      }
    }
  }
  await page.close();
  t.diagnostic(`touch targets: ${measured} elements measured on ${checks} screen/viewport pairs; smallest ${smallest.w.toFixed(1)}x${smallest.h.toFixed(1)} ${smallest.what} at ${smallest.where}; ${small.length} under ${MIN_TARGET}x${MIN_TARGET}`);
  t.diagnostic(`axe (${TAGS.join(", ")}): ${checks} checks, ${violations.length} violations`);
  assert.deepEqual(small, [], `touch targets under ${MIN_TARGET}x${MIN_TARGET} CSS px:\n${small.join("\n")}`);
  assert.deepEqual(violations, [], `axe violations:\n${violations.join("\n")}`);
});

test("kiosk screens have no way out: every link stays in this ward's kiosk, none opens a window or downloads", async (t) => {
  const page = await browser.newPage();
  const origin = new URL(server.base).origin;
  const prefix = `/kiosk/${WARD}`;
  const bad = [];
  let links = 0;
  for (const s of screens(server.base)) {
    await s.go(page);
    const anchors = await page.$$eval("a", (as) => as.map((a) => ({ href: a.href, raw: a.getAttribute("href"), target: a.getAttribute("target"), download: a.hasAttribute("download") })));
    for (const a of anchors) {
      links++;
      const where = `${s.name}: <a href="${a.raw}">`;
      if (a.raw === null) continue;
      const u = new URL(a.href);
      if (u.origin !== origin) bad.push(`${where} leaves the site (${u.origin})`);
      else if (u.pathname !== prefix && !u.pathname.startsWith(prefix + "/")) bad.push(`${where} leaves the kiosk (${u.pathname})`);
      if (a.target !== null && a.target !== "_self") bad.push(`${where} has target=${a.target}`);
      if (a.download) bad.push(`${where} has download`);
    }
  }
  await page.close();
  t.diagnostic(`no way out: ${links} links on ${screens(server.base).length} kiosk screens, ${bad.length} leave the kiosk`);
  assert.ok(links > 0, "no links found on the kiosk screens");
  assert.deepEqual(bad, [], `links out of kiosk mode:\n${bad.join("\n")}`);
});

// --- Idle reset ---------------------------------------------------------------
// The shortest idle the server accepts (kiosk.MinIdle, 30 s) and access.js's
// fixed 30 s countdown: the reset comes about 61 s after the last touch.
const IDLE = 30, COUNTDOWN = 30;
const NAME = "Zebedee Testperson";

test("idle reset in the browser", { concurrency: true }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "imha-kiosk-wards-"));
  const wards = join(dir, "wards.yaml");
  writeFileSync(wards, `wards:\n  - id: idle-test\n    name: "Idle Test Ward"\n    hospital: "Test Hospital"\n    idle: ${IDLE}\n    languages: [en, ar]\n`);
  const idleServer = await startServer({ KIOSK_CONFIG: wards });
  const k = `${idleServer.base}/kiosk/idle-test`;
  t.after(async () => {
    await idleServer.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // Both wait out the idle time at once, each in its own browser so the
  // reset's Clear-Site-Data in one cannot touch the other.
  await Promise.all([
    t.test("after the countdown nothing of the person is left", async (t) => {
      const b = await launchBrowser();
      t.after(() => b.close());
      const page = await b.newPage();
      let token = "";
      const ends = []; // bodies of POST /chat/end, which access.js sends on reset
      page.on("request", (r) => { if (r.method() === "POST" && new URL(r.url()).pathname === "/chat/end") ends.push(r.postData() || ""); });
      page.on("websocket", (ws) => ws.on("framereceived", (f) => {
        try { const m = JSON.parse(f.payload); if (m.type === "state" && m.token) token = m.token; } catch { /* not JSON */ }
      }));

      // A person: chooses English, reads a page, starts a referral and gives
      // their name, makes the text bigger and high contrast.
      await load(page, k);
      await page.click(`a.attract-link[href="/kiosk/idle-test/en/"]`);
      await page.waitForURL(`${k}/en/`);
      const content = await firstLink(page, /^\/kiosk\/idle-test\/en\/(?!easy-read|chat)[a-z-]+$/);
      await page.click(`main a[href="${content}"]`);
      await page.waitForURL(idleServer.base + content);
      await load(page, `${k}/en/chat?flow=referral`);
      await chatReady(page);
      await page.click('#chat-form button[value="_next"]');
      await page.fill("#chat-text", NAME);
      await page.click('#chat-form button[value="send"]');
      // The chat does not echo answers: go Back to the name step and type the
      // name again, unsent, so it is on screen when the person walks away.
      await page.waitForSelector("#chat-text", { state: "detached", timeout: 10_000 });
      await page.click('#chat-form button[value="back"]');
      await page.fill("#chat-text", NAME);
      // What a site could leave behind: each store must be emptied by the reset.
      await page.evaluate(() => new Promise((ok, fail) => {
        document.cookie = "left=behind; path=/";
        localStorage.setItem("left", "behind");
        sessionStorage.setItem("left", "behind");
        const r = indexedDB.open("left-behind");
        r.onsuccess = () => { r.result.close(); ok(); };
        r.onerror = () => fail(r.error);
      }));
      await page.click("details.display-options summary");
      await page.click('[data-display="bigger"]');
      await page.click('[data-display="contrast"]');
      const before = await page.evaluate(() => ({ name: window.name, cls: document.documentElement.className, cookie: document.cookie, typed: document.querySelector("#chat-text").value }));
      assert.equal(before.typed, NAME, "the name is not on screen before the reset");
      assert.match(before.name, /^imha:1,1,/, `display options not in window.name before the reset: ${before.name}`);
      assert.match(before.cls, /zoom-125/, "Bigger text did not apply");
      assert.ok(token, "no chat session token seen in the websocket frames");
      assert.match(before.cookie, /left=behind/);
      const lastTouch = Date.now();

      // No input from here on.
      await page.waitForSelector("#idle:not([hidden])", { timeout: (IDLE + 10) * 1000 });
      const shownAfter = (Date.now() - lastTouch) / 1000;
      const c1 = Number(await page.textContent("#idle-count"));
      await page.waitForTimeout(2100);
      const c2 = Number(await page.textContent("#idle-count"));
      assert.ok(c1 > 0 && c1 <= COUNTDOWN && c2 < c1, `the countdown does not count down: ${c1} then ${c2}`);
      assert.match(await page.textContent("#idle-title"), /still there/i);

      await page.waitForURL(k, { timeout: (COUNTDOWN + 10) * 1000 });
      await page.waitForLoadState("load");
      const resetAfter = (Date.now() - lastTouch) / 1000;
      t.diagnostic(`idle reset: "Are you still there?" after ${shownAfter.toFixed(1)} s (idle ${IDLE} s), countdown ${c1}→${c2}, reset to the attract screen after ${resetAfter.toFixed(1)} s`);

      const after = await page.evaluate(async () => ({
        attract: !!document.querySelector(".attract"),
        chat: !!document.querySelector("#chat"),
        text: document.body.innerText + [...document.querySelectorAll("input, textarea")].map((i) => i.value).join(" "),
        cookie: document.cookie,
        local: localStorage.length,
        session: sessionStorage.length,
        dbs: (await indexedDB.databases()).map((d) => d.name),
        name: window.name,
        cls: document.documentElement.className,
      }));
      assert.ok(after.attract, "after the reset the page is not the attract screen");
      assert.ok(!after.chat, "the chat is still on the page after the reset");
      assert.ok(!after.text.includes("Zebedee"), "the person's name is still on the page after the reset");
      assert.equal(after.cookie, "", "cookies left after the reset");
      assert.equal(after.local, 0, "localStorage not empty after the reset");
      assert.equal(after.session, 0, "sessionStorage not empty after the reset");
      assert.deepEqual(after.dbs, [], "indexedDB databases left after the reset");
      assert.match(after.name, /^(|imha:0,0,0,8,0)$/, `window.name after the reset holds ${JSON.stringify(after.name)}, not the defaults`);
      assert.doesNotMatch(after.cls, /zoom-|contrast|easy-font/, `display options not back to default: html class "${after.cls}"`);

      // Back must not bring the person's pages back.
      for (let i = 1; i <= 3; i++) {
        await page.evaluate(() => history.back());
        await page.waitForTimeout(700);
        await page.waitForLoadState("load");
        const url = page.url(), text = await page.evaluate(() => document.body.innerText);
        assert.ok(url === k || url.startsWith(`${k}/reset`), `Back #${i} went to ${url}`);
        assert.ok(!text.includes("Zebedee"), `Back #${i} shows the person's name`);
      }

      // The chat session was ended on the server: its token no longer resumes.
      // (Left alone it would live idle + 60 s, so this is /chat/end's doing.)
      const answer = await page.evaluate(([url, tok]) => new Promise((ok) => {
        const ws = new WebSocket(url);
        const t = setTimeout(() => ok({ timeout: true }), 5000);
        ws.onopen = () => ws.send(JSON.stringify({ type: "resume", value: tok, seq: 1 }));
        ws.onmessage = (ev) => { clearTimeout(t); ws.close(); ok(JSON.parse(ev.data)); };
      }), [k.replace(/^http/, "ws") + "/en/chat/ws", token]);
      assert.equal(answer.type, "error", `resuming the ended chat answered ${JSON.stringify(answer)}`);
      assert.equal(answer.code, "session_expired", `resuming the ended chat answered ${JSON.stringify(answer)}`);
      assert.ok(ends.some((b) => b.includes(token)), `the reset sent no POST /chat/end with the session token (saw ${ends.length})`);
    }),

    t.test("a touch or a key during the countdown cancels the reset", async (t) => {
      const b = await launchBrowser();
      t.after(() => b.close());
      const page = await b.newPage();
      await load(page, `${k}/en/`);
      const content = await firstLink(page, /^\/kiosk\/idle-test\/en\/(?!easy-read|chat)[a-z-]+$/);
      await load(page, idleServer.base + content);
      const url = page.url();
      for (const [how, act] of [
        ["a key", () => page.keyboard.press("Shift")],
        ["a touch on the page", () => page.mouse.click(5, 400)],
      ]) {
        await page.waitForSelector("#idle:not([hidden])", { timeout: (IDLE + 10) * 1000 });
        await page.waitForTimeout(1500);
        await act();
        await page.waitForSelector("#idle", { state: "hidden", timeout: 3000 }).catch(() => {
          throw new Error(`${how} during the countdown did not close "Are you still there?"`);
        });
        // Past the moment the reset would have come, it must not have.
        await page.waitForTimeout((COUNTDOWN + 2) * 1000 - 1500);
        assert.equal(page.url(), url, `${how} during the countdown did not stop the reset`);
        t.diagnostic(`idle cancel: ${how} during the countdown kept the page`);
      }
    }),
  ]);
});
