// Builds the avatar studio view into one self-contained HTML page: avatar_mcp/ui/studio.html.
//
//   node build.mjs           write the page
//   node build.mjs --check   exit 1 when the committed page differs from what these sources build
//
// The page must load with no network at all (the host's CSP for it allows none), so the script, the official
// @modelcontextprotocol/ext-apps library included, and the styles are inlined. esbuild's output is
// deterministic for a given lock file, which is what makes --check meaningful.
//
// ext-apps is pinned to the 1.7 line: 2.0.x imports its Protocol from @modelcontextprotocol/client (TypeScript
// SDK v2), whose one shared chunk keeps ~160 KB of unrelated client code after tree shaking; with it the page
// comes to ~400 KB, over the 300 KB budget. The protocol the view speaks with hosts is the same.
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, "..", "avatar_mcp", "ui", "studio.html");
const MAX_BYTES = 300 * 1024;

// zod re-exports every error-message locale through one namespace object, which no bundler can prune: ~250 KB
// of translations the view never shows. Only English is kept.
const englishOnly = {
  name: "zod-english-only",
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes("/zod/") ? { path: "zod-locales", namespace: "zod-locales" } : undefined);
    build.onLoad({ filter: /.*/, namespace: "zod-locales" }, () => ({
      contents: 'export { default as en } from "zod/v4/locales/en.js";',
      resolveDir: here,
    }));
  },
};

async function bundle() {
  const result = await esbuild.build({
    entryPoints: [join(here, "src", "main.js")],
    bundle: true,
    minify: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    legalComments: "none",
    plugins: [englishOnly],
    write: false,
    logLevel: "warning",
  });
  return result.outputFiles[0].text;
}

async function page() {
  const [template, css, js] = await Promise.all([
    readFile(join(here, "src", "studio.html"), "utf8"),
    readFile(join(here, "src", "studio.css"), "utf8"),
    bundle(),
  ]);
  if (/<\/script/i.test(js)) throw new Error("the bundle contains '</script', which would end the inline script");
  const style = (await esbuild.transform(css, { loader: "css", minify: true })).code;
  // Function replacers: the bundle contains `$&`-like sequences that a replacement string would expand.
  const html = template.replace("/*STYLE*/", () => style.trim()).replace("/*SCRIPT*/", () => js.trim());
  const size = Buffer.byteLength(html);
  if (size > MAX_BYTES) throw new Error(`the page is ${size} bytes, over the ${MAX_BYTES} byte budget`);
  return html;
}

const html = await page();
if (process.argv.includes("--check")) {
  const committed = await readFile(target, "utf8").catch(() => "");
  if (committed !== html) {
    console.error("avatar_mcp/ui/studio.html is out of date with web/src: run `npm run build` in web/ and commit it.");
    process.exit(1);
  }
  console.log(`studio.html is up to date (${Buffer.byteLength(html)} bytes).`);
} else {
  await writeFile(target, html);
  console.log(`wrote ${target} (${Buffer.byteLength(html)} bytes)`);
}
