// A keyboard-only journey, no mouse: choose Arabic on the language page,
// open a content page, go to the chat, make a self-referral and read back
// its reference. Only Tab, Shift+Tab, Enter, Space and typing are used.
// After every key the focused element must show a focus indicator (outline
// or box-shadow: WCAG 2.4.7), and after every answer chat.js must have put
// focus on the next step's input or its first choice (so a keyboard or
// switch user never has to hunt for where the answer goes).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, Chat, REFERRAL, REFERENCE } from "./lib.mjs";

const LANG = "ar"; // right to left: the harder case
const MAX_TABS = 80;

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** What has focus, and whether it visibly shows it. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { tag: "body", visible: false, desc: "body" };
    const cs = getComputedStyle(el);
    const outline = cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0;
    const shadow = cs.boxShadow && cs.boxShadow !== "none";
    const desc = `${el.localName}${el.id ? "#" + el.id : ""}${el.getAttribute("href") ? `[href=${el.getAttribute("href")}]` : ""}${el.value ? `[value=${el.value}]` : ""} "${(el.textContent || "").trim().slice(0, 40)}"`;
    return { tag: el.localName, id: el.id, href: el.getAttribute("href"), name: el.getAttribute("name"), value: el.value ?? null,
      visible: outline || shadow, desc, firstChoice: el === document.querySelector(".chat-controls .button-choice, .chat-choices .button-choice") };
  });
}

/** Presses key and checks the focus indicator of whatever then has focus. */
async function press(page, key, log) {
  await page.keyboard.press(key);
  const f = await focused(page);
  log.push(`${key} → ${f.desc}`);
  if (f.tag !== "body") assert.ok(f.visible, `no visible focus indicator on ${f.desc} after ${key}`);
  return f;
}

/** Tabs forward (or back) until want(focused) holds. */
async function tabTo(page, want, what, log, key = "Tab") {
  for (let i = 0; i < MAX_TABS; i++) {
    const f = await press(page, key, log);
    if (want(f)) return f;
  }
  throw new Error(`${MAX_TABS} presses of ${key} never reached ${what}:\n${log.slice(-15).join("\n")}`);
}

async function enterAndWait(page, log, key = "Enter") {
  await Promise.all([page.waitForNavigation(), page.keyboard.press(key)]);
  log.push(`${key} → ${page.url()}`);
}

test("keyboard only: language → content page → chat → sent self-referral, focus always visible", async (t) => {
  const page = await browser.newPage();
  await Chat.counter(page);
  const chat = new Chat(page, true);
  const log = [];
  await page.goto(`${server.base}/en/languages`);

  // The skip link comes first and shows itself when focused.
  const skip = await press(page, "Tab", log);
  assert.equal(skip.href, "#main", `the first Tab should reach the skip link, got ${skip.desc}`);
  await tabTo(page, (f) => f.href === `/${LANG}/`, `the ${LANG} language link`, log);
  await enterAndWait(page, log);
  assert.equal(new URL(page.url()).pathname, `/${LANG}/`);
  assert.equal(await page.getAttribute("html", "dir"), "rtl");

  // A content page from the start page's list (its first page link).
  const first = await page.getAttribute(".page-list a", "href");
  await tabTo(page, (f) => f.href === first, `the first content link ${first}`, log);
  await enterAndWait(page, log);
  assert.equal(new URL(page.url()).pathname, first);
  // Shift+Tab works too: from the page back up into the navigation.
  await tabTo(page, (f) => f.href === `/${LANG}/chat`, "the chat link in the navigation", log, "Shift+Tab");
  await enterAndWait(page, log);
  await chat.settled(0);

  // On arrival chat.js leaves focus at the top of the page (the heading
  // and the not-watched notice come first); after each answer it moves it.
  let f = await focused(page);
  assert.equal(f.tag, "body", `on opening the chat focus should stay at the top, is on ${f.desc}`);
  f = await tabTo(page, (x) => x.value === "referral", "the self-referral choice", log);
  let steps = await chat.rendered();
  await page.keyboard.press("Space"); // a button answers to Space as well as Enter
  await chat.settled(steps);

  for (let i = 0; chat.node !== "sent"; i++) {
    assert.ok(i < 40, `stuck at ${chat.node}`);
    const a = REFERRAL[chat.node];
    assert.ok(a, `no answer for node ${chat.node}`);
    f = await focused(page);
    steps = await chat.rendered();
    // A step that takes typed input focuses the box (even where a choice
    // such as Skip is offered beside it); otherwise the first choice.
    const hasInput = await page.locator("#chat-text").count() > 0;
    if (hasInput) assert.equal(f.id, "chat-text", `at ${chat.node} focus should be on the answer box, is on ${f.desc}`);
    else assert.ok(f.firstChoice, `at ${chat.node} focus should be on the first choice, is on ${f.desc}`);
    assert.ok(f.visible, `no visible focus on ${f.desc} at ${chat.node}`);
    if (a.text !== undefined) {
      await page.keyboard.type(a.text);
      await page.keyboard.press("Enter");
    } else {
      if (f.value !== a.choose) await tabTo(page, (x) => x.value === a.choose, `choice ${a.choose} at ${chat.node}`, log);
      await page.keyboard.press("Enter");
    }
    log.push(`answered ${chat.node}`);
    await chat.settled(steps);
  }
  const shown = (await page.locator("#chat-log").innerText()).match(REFERENCE);
  assert.ok(shown, "the sent step shows no reference (ABCD-1234)");
  const ready = await fetch(server.base + "/readyz");
  assert.equal(ready.status, 200, "/readyz after the referral");
  await page.close();
  t.diagnostic(`keyboard journey: ${log.length} key presses and answers, reference ${shown[0]}`);
});
