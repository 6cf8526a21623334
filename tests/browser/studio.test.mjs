// The studio view in Chromium, inside a test host built on the ext-apps AppBridge, connected to the real server
// (avatar-mcp over streamable HTTP, with the offline local studio). The walk a user takes:
//
//   generate_photo_avatar  ->  the candidates grid (screenshot 1)
//   click a candidate      ->  create_photo_avatar(from_generation) starts an avatar job; the avatar (screenshot 2)
//   "Make a video"         ->  create_video answers needs_input; its form (screenshot 3)
//   submit the form        ->  the render's progress bar moves (screenshot 4)
//   the job succeeds       ->  a <video> plays the local render with its captions (screenshot 5)
//
// It fails on any console report of a Content-Security-Policy violation and on any request leaving the test's
// own origin. Usage: node studio.test.mjs [--docs]   (--docs writes the screenshots into docs/screenshots/)
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, request } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const python = process.env.AVATAR_MCP_PYTHON ?? join(root, ".venv", "bin", "python");
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const shots = process.argv.includes("--docs") ? join(root, "docs", "screenshots") : join(here, "out");
const started = Date.now();
const cleanups = [];
let page = null; // kept for a screenshot when a step fails

function log(message) {
  console.log(`browser: [${((Date.now() - started) / 1000).toFixed(1)} s] ${message}`);
}

function fail(message) {
  throw new Error(message);
}

async function waitFor(what, probe, timeoutMs = 30_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  fail(`timed out after ${timeoutMs / 1000} s waiting for ${what} (last: ${last?.message ?? JSON.stringify(last)})`);
}

function freePort() {
  return new Promise((ok, ko) => {
    const server = createNetServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    }).on("error", ko);
  });
}

/** The real server over streamable HTTP, on loopback, with its own empty data dir. */
async function startServer() {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "avatar-mcp-browser-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const child = spawn(python, ["-m", "avatar_mcp", "serve", "--http", "--port", String(port)], {
    env: { ...process.env, AVATAR_MCP_DATA_DIR: dataDir, AVATAR_MCP_LOG_LEVEL: "WARNING" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  cleanups.push(() => child.kill());
  await waitFor("the server to listen", () => new Promise((ok) => {
    const probe = request({ host: "127.0.0.1", port, path: "/mcp", method: "GET" }, (res) => {
      res.resume();
      ok(true);
    });
    probe.on("error", () => ok(false));
    probe.end();
  }), 60_000, 250);
  return port;
}

/** The host page and its bundle, with /mcp passed through to the server (one origin, as a host would have). */
async function startHost(serverPort) {
  const bundle = await esbuild.build({
    entryPoints: [join(here, "host", "host.js")], bundle: true, format: "esm", platform: "browser",
    target: "es2022", write: false, logLevel: "warning",
  });
  const script = bundle.outputFiles[0].text;
  const page = readFileSync(join(here, "host", "index.html"));
  const http = createServer((req, res) => {
    if (req.url.startsWith("/mcp")) {
      const upstream = request({ host: "127.0.0.1", port: serverPort, path: req.url, method: req.method,
        headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", (error) => { res.writeHead(502); res.end(String(error)); });
      req.pipe(upstream);
    } else if (req.url === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
    } else if (req.url === "/host.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(script);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => http.listen(0, "127.0.0.1", ok));
  cleanups.push(() => http.close());
  return `http://127.0.0.1:${http.address().port}/`;
}

async function main() {
  mkdirSync(shots, { recursive: true });
  const serverPort = await startServer();
  const origin = await startHost(serverPort);
  log(`server on port ${serverPort}, host at ${origin}`);

  const profile = mkdtempSync(join(tmpdir(), "avatar-mcp-chromium-"));
  cleanups.push(() => rmSync(profile, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browserPath, headless: true, viewport: { width: 820, height: 900 }, deviceScaleFactor: 1,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
  });
  cleanups.push(() => context.close());

  const problems = [];
  const foreign = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin)) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on("console", (message) => {
    const text = message.text();
    if (/Content.Security.Policy|Refused to/i.test(text)) problems.push(text);
    if (message.type() === "error") console.error(`browser console: ${text}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));

  await page.goto(origin);
  await page.waitForFunction(() => window.host?.ready === true, null, { timeout: 30_000 });
  log("host connected to the server");

  // 1. Four candidates from the local studio's offline portraits.
  const generation = page.evaluate(() => window.host.callTool("generate_photo_avatar", {
    name: "Ada", age: "Early Middle Age", gender: "Woman", ethnicity: "Unspecified", orientation: "square",
    pose: "half_body", style: "Realistic", appearance: "Short red hair, green jacket, warm smile.", provider: "local",
  }));
  const turn = page.locator('[data-turn="1"]');
  const view = page.frameLocator('[data-turn="1"] iframe');
  await waitFor("four candidate images", async () => (await view.locator('[data-role="candidate"] img')
    .evaluateAll((imgs) => imgs.filter((img) => img.complete && img.naturalWidth > 0).length)) === 4, 60_000);
  const { result: generated } = await generation;
  const generationJob = generated.structuredContent.job_id;
  await turn.screenshot({ path: join(shots, "1-candidates.png") });
  log(`candidates of ${generationJob} shown`);

  // 2. Picking one starts an avatar job through the host.
  await view.locator('[data-role="candidate"][data-index="1"]').click();
  const avatarJob = await waitFor("the avatar job", async () => {
    const text = await view.locator('[data-role="job"]').textContent();
    return /^Avatar/.test(text) && text.match(/job_\w+/)?.[0];
  });
  if (avatarJob === generationJob) fail("the view still shows the generation job");
  const pick = (await page.evaluate(() => window.host.state.calls)).find((c) => c.name === "create_photo_avatar");
  const expected = { from_generation: { job_id: generationJob, index: 1 }, name: "Ada" };
  if (JSON.stringify(pick?.arguments) !== JSON.stringify(expected)) {
    fail(`the view called create_photo_avatar with ${JSON.stringify(pick?.arguments)}`);
  }
  const avatarId = view.locator('[data-role="avatar-id"]');
  await waitFor("the avatar id", async () => /^local-/.test(await avatarId.textContent()));
  const told = await page.evaluate(() => window.host.state.modelContext.map((m) => m.content[0].text).join("\n"));
  if (!told.includes(`picked candidate 2 of ${generationJob}`)) fail(`the model was not told of the pick: ${told}`);
  await turn.screenshot({ path: join(shots, "2-avatar.png") });
  log(`avatar job ${avatarJob} finished`);

  // 3. Making it talk: create_video needs a voice and a shape first, asked as a form.
  await view.locator('[data-role="script"]').fill(
    "Hello! A moment ago I was four drawings on a grid. Now I have a name, a voice, and this short video, "
    + "rendered on this very computer while the progress bar filled up.");
  await view.locator('[data-role="talk"] button').click();
  const form = view.locator('[data-role="needs-input"]');
  await form.waitFor({ timeout: 30_000 });
  const fields = await form.locator("select, input, textarea").evaluateAll((nodes) => nodes.map((n) => n.name));
  if (!fields.includes("orientation")) fail(`the form asks for ${fields.join(", ")}, not the orientation`);
  await form.locator('select[name="orientation"]').selectOption("square");
  await turn.screenshot({ path: join(shots, "3-needs-input.png") });
  log(`needs_input form with ${fields.join(", ")}`);

  // 4. The answers go back through create_video; the render's progress is followed with check_job.
  await form.locator('[data-role="submit"]').click();
  const seen = [];
  let shot = false;
  await waitFor("the render to finish", async () => {
    const status = await view.locator('[data-role="status"]').getAttribute("data-status");
    const value = Number(await view.locator('[data-role="progress"]').getAttribute("aria-valuenow"));
    const job = (await view.locator('[data-role="job"]').textContent()) ?? "";
    if (!/^Video/.test(job)) return false;
    if (seen.at(-1) !== value) seen.push(value);
    if (!shot && value > 0 && value < 100) {
      shot = true;
      await turn.screenshot({ path: join(shots, "4-rendering.png") });
    }
    if (status === "failed") fail(`the render failed: ${await view.locator('[data-role="message"]').textContent()}`);
    return status === "succeeded";
  }, 90_000, 50);
  const calls = (await page.evaluate(() => window.host.state.calls)).map((c) => c.name);
  const resent = (await page.evaluate(() => window.host.state.calls)).filter((c) => c.name === "create_video").at(-1);
  if (resent?.arguments?.orientation !== "square") fail(`the answers did not go back: ${JSON.stringify(resent)}`);
  if (!calls.includes("check_job")) fail(`the view never called check_job: ${calls.join(", ")}`);
  const moving = seen.filter((v) => v > 0 && v < 100);
  if (!shot || moving.length < 1 || seen.at(-1) !== 100 || seen.some((v, i) => i > 0 && v < seen[i - 1])) {
    fail(`the progress bar did not move forward: ${seen.join(" -> ")}`);
  }
  log(`progress ${seen.join(" -> ")}`);

  // 5. The finished render plays inline, with its captions.
  const video = view.locator('[data-role="video"]');
  await waitFor("the video to load", () => video.evaluate((v) => v.readyState >= 2), 30_000);
  const first = await video.evaluate((v) => (v.paused ? v.play().then(() => v.currentTime) : v.currentTime));
  await page.waitForTimeout(1500);
  const later = await video.evaluate((v) => v.currentTime);
  if (!(later > first + 0.5)) fail(`the video is not playing: currentTime ${first} -> ${later}`);
  const cues = await video.evaluate((v) => [...v.textTracks].reduce((n, t) => n + (t.cues?.length ?? 0), 0));
  if (cues < 1) fail("the video has no captions");
  await turn.screenshot({ path: join(shots, "5-video.png") });
  log(`video plays (currentTime ${first.toFixed(2)} -> ${later.toFixed(2)} s), ${cues} caption cues`);

  if (problems.length) fail(`the page reported:\n${problems.join("\n")}`);
  if (foreign.length) fail(`requests left the test's origin:\n${foreign.join("\n")}`);
  log(`passed; screenshots in ${shots}`);
}

try {
  await main();
} catch (error) {
  console.error(`browser: FAILED: ${error.message}`);
  process.exitCode = 1;
  await page?.screenshot({ path: join(shots, "failure.png"), fullPage: true }).catch(() => {});
} finally {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch {
      // best effort: the process is ending anyway
    }
  }
}
