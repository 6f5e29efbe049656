// axe-core on the staff workspace, which the sitemap does not list: the
// sign-in page, then every screen an admin can open, at a desk and on a
// phone. (An unreadable sign-out button on the dark header once slipped
// through because nothing checked these pages in a browser.)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { startServer, launchBrowser, root } from "./lib.mjs";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const EMAIL = "admin@advocacy.example";
const PASSWORD = "a long test password 1";
const SCREENS = ["/staff/queue", "/staff/refer", "/staff/import", "/staff/monitoring", "/staff/users", "/staff/apikeys", "/staff/people"];

let srv, browser, data;

before(async () => {
  data = mkdtempSync(join(tmpdir(), "imha-staff-"));
  const bin = join(data, "imha");
  execFileSync("go", ["build", "-o", bin, "./server"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  execFileSync(bin, ["user", "add", "--email", EMAIL, "--name", "Test Admin", "--role", "admin", "--password-stdin"],
    { input: PASSWORD + "\n", env: { ...process.env, DATA_DIR: join(data, "db"), DATABASE_URL: "" } });
  srv = await startServer({ DATA_DIR: join(data, "db") });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  rmSync(data, { recursive: true, force: true });
});

async function violations(page) {
  return page.evaluate((tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })
    .then((r) => r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)), TAGS);
}

test("axe finds no violations on the staff workspace, at a desk and on a phone", async (t) => {
  const page = await browser.newPage();
  await page.addInitScript(axeSource);
  const problems = [];
  let checks = 0;
  for (const viewport of [{ width: 1280, height: 900 }, { width: 360, height: 800 }]) {
    await page.setViewportSize(viewport);
    await page.context().clearCookies();
    await page.goto(srv.base + "/staff/login");
    for (const v of await violations(page)) problems.push(`/staff/login ${viewport.width}px: ${v}`);
    checks++;
    await page.fill("#email", EMAIL);
    await page.fill("#password", PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    assert.match(new URL(page.url()).pathname, /^\/staff\//, "signed in");
    for (const path of SCREENS) {
      const res = await page.goto(srv.base + path);
      assert.equal(res.status(), 200, `${path} answers 200 for an admin`);
      for (const v of await violations(page)) problems.push(`${path} ${viewport.width}px: ${v}`);
      checks++;
    }
  }
  await page.close();
  t.diagnostic(`axe: ${checks} checks of staff screens (desk 1280px, phone 360px), ${problems.length} violations`);
  assert.deepEqual(problems, []);
});
