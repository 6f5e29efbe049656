// Shared helpers for the browser tests: the real Go server, built from this
// checkout, and Debian's Chromium driven by playwright-core. Nothing here is
// mocked; a missing tool fails the run with a message saying how to get it.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

// Viewports the product is built for: a portrait kiosk and a small phone.
export const KIOSK = { name: "kiosk", width: 1080, height: 1920 };
export const PHONE = { name: "phone", width: 360, height: 800 };

// Screenshots and other evidence go here (never committed).
export const artifacts = process.env.ARTIFACTS_DIR || join(root, "tests", "browser", "artifacts");

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Builds ./server, starts it on a free loopback port with a throwaway
 *  SQLite store, and waits for /healthz. extraEnv adds variables (e.g.
 *  LOCALES_DIR). Returns { base, stop }. */
export async function startServer(extraEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), "imha-browser-"));
  const bin = join(dir, "imha");
  try {
    execFileSync("go", ["build", "-o", bin, "./server"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`go build ./server failed: ${err.message}`);
  }
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), DATA_DIR: join(dir, "data") };
  for (const k of ["DATABASE_URL", "PUBLIC_URL", "CONTENT_DIR", "LOCALES_DIR", "STATIC_DIR", "ALLOWED_ORIGINS"]) delete env[k];
  Object.assign(env, extraEnv);
  const proc = spawn(bin, ["serve"], { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (b) => { stderr = (stderr + b).slice(-4000); });
  let exited = null;
  const exit = new Promise((ok) => proc.on("exit", (code, sig) => { exited = code ?? sig; ok(); }));
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited === null) {
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== null) {
      await stop();
      throw new Error(`server exited (${exited}) before answering /healthz:\n${stderr}`);
    }
    try {
      const r = await fetch(base + "/healthz");
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`server did not answer /healthz within 30 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, stop };
}

export const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
export const chromiumArgs = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Launches Debian's Chromium headless with a fresh profile. Returns the
 *  persistent context; close() also removes the profile. options go to
 *  launchPersistentContext (e.g. { javaScriptEnabled: false }). */
export async function launchBrowser(options = {}) {
  if (!existsSync(chromiumPath)) {
    throw new Error(`no Chromium at ${chromiumPath}: install Debian's (apt-get install chromium), or set CHROMIUM; tests/run does this`);
  }
  const profile = mkdtempSync(join(tmpdir(), "imha-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: KIOSK.width, height: KIOSK.height },
    ...options,
  });
  const close = context.close.bind(context);
  context.close = async () => {
    await close();
    rmSync(profile, { recursive: true, force: true });
  };
  return context;
}

/** Every page path in /sitemap.xml, in the sitemap's order. */
export async function sitemapPaths(base) {
  const r = await fetch(base + "/sitemap.xml");
  if (!r.ok) throw new Error(`/sitemap.xml: ${r.status}`);
  const xml = await r.text();
  const paths = [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => new URL(m[1]).pathname);
  if (paths.length === 0) throw new Error("/sitemap.xml lists no pages");
  return paths;
}

/** Per language in the sitemap: its home page, one standard content page
 *  and one easy-read content page. */
export function pagesByLanguage(paths) {
  const langs = new Map();
  for (const p of paths) {
    const m = p.match(/^\/([^/]+)\/(.*)$/);
    if (!m) continue;
    const [, lang, rest] = m;
    if (!langs.has(lang)) langs.set(lang, { lang, home: null, content: null, easyRead: null });
    const l = langs.get(lang);
    if (rest === "") l.home = p;
    else if (/^easy-read\/[^/]+$/.test(rest)) l.easyRead ??= p;
    else if (!rest.includes("/") && rest !== "languages" && rest !== "easy-read") l.content ??= p;
  }
  for (const l of langs.values()) {
    if (!l.home || !l.content || !l.easyRead) throw new Error(`sitemap lacks a home, content or easy-read page for ${l.lang}: ${JSON.stringify(l)}`);
  }
  return [...langs.values()];
}

/** Loads path and waits until every web font it uses has loaded. */
export async function open(page, base, path) {
  const res = await page.goto(base + path, { waitUntil: "load" });
  if (!res || res.status() !== 200) throw new Error(`${path}: HTTP ${res && res.status()}`);
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
}

/** The font families our CSS declares (static/css/fonts-*.css). */
export function ourFamilies() {
  const dir = join(root, "static", "css");
  const fams = new Set();
  for (const f of readdirSync(dir).filter((f) => /^fonts-[a-z]+\.css$/.test(f))) {
    for (const m of readFileSync(join(dir, f), "utf8").matchAll(/@font-face\s*{[^}]*font-family:\s*"([^"]+)"/g)) fams.add(m[1]);
  }
  return fams;
}

export function ensureArtifacts() {
  mkdirSync(artifacts, { recursive: true });
  return artifacts;
}

// --- The guided chat -----------------------------------------------------------

/** One person's way through the referral flow, by node (the same answers as
 *  server/web/chat_test.go's referralAnswers, so the browser walks a path the
 *  Go tests already prove). */
export const REFERRAL = {
  intro: { choose: "_next" },
  name: { text: "Sam" },
  ward: { text: "Oak ward, City Hospital" },
  status: { choose: "cto" },
  language: { choose: "ar" },
  interpreter: { choose: "yes" },
  comms: { choose: "none" },
  contact: { choose: "phone" },
  phone: { text: "07700 900123" },
  leave_message: { choose: "no" },
  contact_time: { choose: "morning" },
  help: { text: "Help at my tribunal" },
  meeting: { choose: "tribunal" },
  meeting_date: { choose: "_skip" },
  private: { choose: "yes" },
  consent: { choose: "yes" },
  equality: { choose: "yes" },
  age: { choose: "under_18" },
  ethnicity: { text: "Black British" },
  disability: { choose: "learning" },
  sensory: { choose: "deaf" },
  check: { choose: "_submit" },
};

/** The reference a submitted referral is shown with (Crockford base 32). */
export const REFERENCE = /[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}/;

/** Drives the chat page in either mode. With JavaScript, chat.js talks over
 *  the websocket and keeps the current node in its closure, so the node is
 *  read from the server's `state` frames as Playwright sees them; without,
 *  it is the form's hidden field and every answer is a page load. */
export class Chat {
  constructor(page, js) {
    this.page = page; this.js = js; this.node = "";
    if (js) {
      page.on("websocket", (ws) => ws.on("framereceived", ({ payload }) => {
        try { const f = JSON.parse(payload); if (f.type === "state") this.node = f.node; } catch { /* not ours */ }
      }));
    }
  }

  /** Call once per page before open(): counts chat.js's chat:step events. */
  static async counter(page) {
    await page.addInitScript(() => document.addEventListener("chat:step", () => { window.__chatSteps = (window.__chatSteps || 0) + 1; }));
  }

  /** Opens /{lang}/chat (query e.g. "?flow=referral") and waits for the first step. */
  async open(base, lang, query = "") {
    const res = await this.page.goto(`${base}/${lang}/chat${query}`, { waitUntil: "load" });
    if (!res || res.status() !== 200) throw new Error(`/${lang}/chat${query}: HTTP ${res && res.status()}`);
    await this.settled(0);
  }

  /** Waits until chat.js has rendered the step after `before` (it fires
   *  chat:step on document, counted by an init script, which CSP does not
   *  govern), or, without JavaScript, reads the node from the new page. */
  async settled(before) {
    if (this.js) {
      await this.page.waitForFunction((n) => (window.__chatSteps || 0) > n, before, { timeout: 10_000 })
        .catch(() => { throw new Error(`chat: no step rendered after step ${before} (node ${this.node})`); });
    } else {
      this.node = await this.page.inputValue("input[name=node]");
    }
    await this.page.evaluate(() => document.fonts.ready.then(() => undefined));
  }

  async rendered() { return this.js ? this.page.evaluate(() => window.__chatSteps || 0) : 0; }

  /** Acts and waits for the next step: { choose: value } or { text: "…" }. */
  async answer(a) {
    const before = await this.rendered();
    const act = a.choose !== undefined
      ? () => this.page.click(`button[name=choose][value="${a.choose}"]`)
      : async () => { await this.page.fill("#chat-text", a.text); await this.page.click("button[name=action][value=send]"); };
    if (this.js) await act();
    else await Promise.all([this.page.waitForNavigation(), act()]);
    await this.settled(before);
  }

  /** Answers from REFERRAL (or answers) until the flow reaches node stop. */
  async walk(stop, answers = REFERRAL) {
    for (let i = 0; this.node !== stop; i++) {
      if (i > 40 || !answers[this.node]) throw new Error(`chat: no way to ${stop}; at node ${JSON.stringify(this.node)}`);
      await this.answer(answers[this.node]);
    }
  }
}
