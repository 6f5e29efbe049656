// Every piece of text on each language's pages is drawn by one of our
// self-hosted web fonts: no missing-glyph boxes, no device font standing in.
// Chromium itself says which font drew each text node
// (CSS.getPlatformFontsForNode over the DevTools protocol).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer, launchBrowser, sitemapPaths, pagesByLanguage, open, ourFamilies, ensureArtifacts, KIOSK } from "./lib.mjs";

let server, browser, langs;
const families = ourFamilies();

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  langs = pagesByLanguage(await sitemapPaths(server.base));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// fontsOfText returns, for every rendered element with its own text, the
// fonts Chromium used for that text.
async function fontsOfText(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send("DOM.enable");
    await cdp.send("CSS.enable");
    const { root } = await cdp.send("DOM.getDocument", { depth: -1, pierce: true });
    const out = [];
    const walk = async (node, inHead) => {
      if (node.nodeName === "HEAD") inHead = true;
      const own = (node.children || []).filter((c) => c.nodeType === 3 && c.nodeValue.trim() !== "");
      if (!inHead && node.nodeType === 1 && own.length > 0) {
        const { fonts } = await cdp.send("CSS.getPlatformFontsForNode", { nodeId: node.nodeId });
        out.push({ tag: node.localName, text: own.map((c) => c.nodeValue.trim()).join(" ").slice(0, 60), fonts });
      }
      for (const p of node.pseudoElements || []) {
        const { fonts } = await cdp.send("CSS.getPlatformFontsForNode", { nodeId: p.nodeId });
        if (fonts.length) out.push({ tag: `${node.localName}::${p.pseudoType}`, text: "", fonts });
      }
      for (const c of node.children || []) await walk(c, inHead);
    };
    await walk(root, false);
    return out;
  } finally {
    await cdp.detach();
  }
}

test("every text run on each language's pages is drawn by a self-hosted font", async (t) => {
  assert.ok(families.size > 0, "no @font-face families in static/css/fonts-*.css");
  const dir = ensureArtifacts();
  const page = await browser.newPage();
  await page.setViewportSize({ width: KIOSK.width, height: KIOSK.height });
  const problems = [];
  let runs = 0, glyphs = 0, checked = 0; const seen = new Set();
  for (const l of langs) {
    for (const path of [l.home, l.content, `/${l.lang}/languages`]) {
      await open(page, server.base, path);
      const els = await fontsOfText(page);
      let drawn = 0;
      for (const e of els) {
        for (const f of e.fonts) {
          runs++; seen.add(`${f.familyName}/${f.isCustomFont}`);
          glyphs += f.glyphCount;
          if (!f.isCustomFont || !families.has(f.familyName)) {
            problems.push(`${path} <${e.tag}> "${e.text}": ${f.glyphCount} glyphs in ${f.familyName} (${f.isCustomFont ? "web font, not ours" : "device font"})`);
          }
        }
        if (e.fonts.length) drawn++;
      }
      assert.ok(drawn > 5, `${path}: only ${drawn} elements report fonts; is the page rendering?`);
      checked++;
      if (path === l.home) {
        await page.screenshot({ path: join(dir, `glyphs-${l.lang}-home.png`), fullPage: true });
      }
    }
  }
  t.diagnostic(`glyph coverage: ${checked} pages in ${langs.length} languages, ${runs} font runs, ${glyphs} glyphs, ${problems.length} not in our fonts; screenshots in ${dir}; families used: ${[...seen].join(", ")}`);
  assert.deepEqual(problems, [], `text drawn outside our self-hosted fonts (${[...families].join(", ")}):\n${problems.join("\n")}`);
  await page.close();
});

// Languages whose translations have not arrived yet still need their fonts to
// work the day they do. A scratch locales folder adds them (English UI text,
// each language's own name and a sample heading) beside the shipped ones; the
// language picker then shows every script in both weights, and Urdu must be
// in Nastaliq.
const upcoming = {
  pa: { name: "ਪੰਜਾਬੀ", title: "ਆਪਣੀ ਭਾਸ਼ਾ ਚੁਣੋ", dir: "ltr", family: "Noto Sans Gurmukhi" },
  ur: { name: "اردو", title: "اپنی زبان منتخب کریں", dir: "rtl", family: "Noto Nastaliq Urdu" },
  bn: { name: "বাংলা", title: "আপনার ভাষা বেছে নিন", dir: "ltr", family: "Noto Sans Bengali" },
  gu: { name: "ગુજરાતી", title: "તમારી ભાષા પસંદ કરો", dir: "ltr", family: "Noto Sans Gujarati" },
  pl: { name: "Polski", title: "Wybierz język – zażółć gęślą jaźń", dir: "ltr", family: "Noto Sans" },
  ro: { name: "Română", title: "Alegeți limba – ș ț ă î â", dir: "ltr", family: "Noto Sans" },
};

test("every script the product will ship renders in its own font", async (t) => {
  const { mkdtempSync, readdirSync, readFileSync, writeFileSync, copyFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { root } = await import("./lib.mjs");
  const dir = mkdtempSync(join(tmpdir(), "imha-locales-"));
  const shipped = join(root, "locales");
  for (const f of readdirSync(shipped).filter((f) => f.endsWith(".toml"))) copyFileSync(join(shipped, f), join(dir, f));
  const en = readFileSync(join(shipped, "active.en.toml"), "utf8").replace(/^"meta\.[a-z]+" = .*\n/gm, "");
  for (const [tag, l] of Object.entries(upcoming)) {
    if (readdirSync(shipped).includes(`active.${tag}.toml`)) {
      // The real one is shipped: use it, and expect its own heading.
      const m = readFileSync(join(shipped, `active.${tag}.toml`), "utf8").match(/^"ui\.lang\.title" = "(.*)"$/m);
      if (m) l.title = m[1];
      continue;
    }
    const ui = en.replace(/^"ui\.lang\.title" = .*$/m, `"ui.lang.title" = "${l.title}"`);
    writeFileSync(join(dir, `active.${tag}.toml`), `"meta.name" = "${l.name}"\n"meta.dir" = "${l.dir}"\n"meta.translation" = "draft"\n` + ui);
  }
  const srv = await startServer({ LOCALES_DIR: dir });
  const page = await browser.newPage();
  try {
    const problems = [];
    for (const [tag, l] of Object.entries(upcoming)) {
      await open(page, srv.base, `/${tag}/languages`);
      const els = await fontsOfText(page);
      for (const e of els) {
        for (const f of e.fonts) {
          if (!f.isCustomFont || !families.has(f.familyName)) problems.push(`/${tag}/languages <${e.tag}> "${e.text}": ${f.familyName}`);
        }
      }
      // The language's own name in the picker, and the heading (bold), are
      // drawn by its family.
      const own = els.filter((e) => (e.tag === "a" && e.text === l.name) || (e.tag === "h1" && e.text === l.title));
      assert.equal(own.length, 2, `/${tag}/languages: want a link named ${l.name} and a heading ${l.title}, found ${JSON.stringify(own)}`);
      for (const e of own) {
        const fams = e.fonts.filter((f) => f.glyphCount > 0).map((f) => f.familyName);
        assert.ok(fams.includes(l.family), `${l.name} is drawn in ${fams.join(", ")}, want ${l.family}`);
      }
      await page.screenshot({ path: join(ensureArtifacts(), `glyphs-${tag}-languages.png`), fullPage: true });
    }
    t.diagnostic(`upcoming scripts: ${Object.keys(upcoming).join(" ")} render in ${[...new Set(Object.values(upcoming).map((l) => l.family))].join(", ")}`);
    assert.deepEqual(problems, [], problems.join("\n"));
  } finally {
    await page.close();
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
