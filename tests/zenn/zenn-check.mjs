// Asks Zenn's own tools about a Zenn repository: node zenn-check.mjs DIR
//
// - zenn-cli's preview server (`zenn preview`, run in DIR on loopback)
//   lists the articles it reads and serves each one as its preview does
//   (/api/articles/<slug>: front matter and body rendered by the
//   zenn-markdown-html bundled with it);
// - zenn-cli's validator checks each article exactly as the preview page
//   does. It ships only inside the preview's browser bundle (there is no
//   zenn-validator package on npm), so its two modules are read out of that
//   bundle and run here; their only outside parts are the bundle's emoji
//   regex (read out too) and cheerio (the same library, from node_modules);
// - zenn-markdown-html (the renderer zenn.dev publishes with) renders the
//   body once more, standalone.
//
// Prints one JSON document: {"slugs": [...], "articles": {slug: {"meta",
// "errors", "preview_html", "html"}}}. Exits 2 when a part cannot be found,
// with what to do.

import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as cheerio from "cheerio";
import markdownToHtml from "zenn-markdown-html";

const here = dirname(fileURLToPath(import.meta.url));
const repo = process.argv[2];
if (!repo) {
  console.error("usage: node zenn-check.mjs ZENN_REPOSITORY_DIR");
  process.exit(2);
}

function fail(message) {
  console.error(`zenn-check: ${message}`);
  process.exit(2);
}

/// The lazy CommonJS module `function NAME(){if(F)return X;F=1;…;return X}`
/// of the bundle that contains `needle`, as source text.
function lazyModule(bundle, needle) {
  const at = bundle.indexOf(needle);
  if (at < 0) fail(`${needle} not found in zenn-cli's client bundle (another zenn-cli version?)`);
  const pattern = /function ([\w$]+)\(\)\{if\(([\w$]+)\)return ([\w$]+);\2=1;/g;
  let found = null;
  for (const match of bundle.matchAll(pattern)) {
    if (match.index > at) break;
    found = match;
  }
  if (!found) fail(`no module around ${needle} in zenn-cli's client bundle`);
  const end = bundle.indexOf(`return ${found[3]}}`, at);
  // The flag and the exports are declared outside the function.
  const source = bundle.slice(found.index, end + `return ${found[3]}}`.length);
  return { name: found[1], source: `var ${found[2]},${found[3]};${source}` };
}

function zennValidator() {
  const assets = join(here, "node_modules/zenn-cli/dist/client/assets");
  const bundle = readdirSync(assets)
    .filter((f) => f.endsWith(".js"))
    .map((f) => readFileSync(join(assets, f), "utf8"))
    .find((text) => text.includes("validateArticle:()=>"));
  if (!bundle) fail("zenn-cli's client bundle has no validateArticle (run `npm ci` in tests/zenn)");
  const articles = lazyModule(bundle, "validateArticle:()=>");
  const rulesName = articles.source.match(/var [\w$]+=([\w$]+)\(\);/)?.[1];
  if (!rulesName) fail("validateArticle's rules module not found");
  const rules = lazyModule(bundle, `validateSlug:()=>`);
  if (rules.name !== rulesName) fail("validateArticle's rules are not where expected");
  // The rules module imports two modules of the bundle: the emoji regex
  // (`h(X)` where X = SA(module with default: ()=>/…/g)) and cheerio.
  const importLine = rules.source.match(/var [\w$]+=([\w$]+)\(([\w$]+)\),[\w$]+=\1\(([\w$]+)\);/);
  if (!importLine) fail("the imports of zenn-cli's validator rules not found");
  const imports = [importLine[2], importLine[3]];
  const parts = {};
  for (const name of imports) {
    const wrapped = bundle.match(new RegExp(`[,;]${name.replace("$", "\\$")}=[\\w$]+\\(([\\w$]+)\\)`))?.[1];
    const moduleText = wrapped && bundle.match(new RegExp(`[,;]${wrapped}=Object\\.freeze\\(Object\\.defineProperty\\(\\{__proto__:null,([^}]*)\\}`))?.[1];
    if (moduleText?.includes("load:")) {
      parts[name] = cheerio;
    } else if (moduleText?.startsWith("default:")) {
      const fn = moduleText.slice("default:".length);
      const start = bundle.indexOf(`,${fn}=()=>/`);
      const end = bundle.indexOf(`/g,${wrapped}=`, start);
      if (start < 0 || end < 0) fail("the emoji regex of zenn-cli's bundle not found");
      parts[name] = new Function(`return ${bundle.slice(start + fn.length + 2, end + 2)}`)();
    } else {
      fail(`the validator imports ${name}, which is neither cheerio nor the emoji regex`);
    }
  }
  const load = new Function(
    ...imports,
    `${rules.source}\n${articles.source}\nreturn ${articles.name}();`,
  );
  const validator = load(...imports.map((n) => parts[n]));
  if (typeof validator.validateArticle !== "function") fail("validateArticle is not a function");
  return validator.validateArticle;
}

/// Starts `zenn preview` in `repo` and resolves with its URL once it says
/// where it listens.
function preview() {
  const zenn = join(here, "node_modules/zenn-cli/dist/server/zenn.js");
  const port = 20000 + (process.pid % 20000);
  const child = spawn(
    process.execPath,
    [zenn, "preview", "--no-watch", "--host", "127.0.0.1", "--port", String(port)],
    { cwd: repo, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      log += chunk;
      const found = log.match(/Preview: http:\/\/[^:]+:(\d+)/);
      if (found) resolve({ child, url: `http://127.0.0.1:${found[1]}`, log: () => log });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`zenn preview exited (${code}): ${log}`)));
  });
}

const validateArticle = zennValidator();
const server = await preview();
try {
  const list = await (await fetch(`${server.url}/api/articles?sort=system`)).json();
  const slugs = list.articles.map((a) => a.slug).sort();
  const articles = {};
  for (const slug of slugs) {
    const response = await fetch(`${server.url}/api/articles/${slug}`);
    const { article } = await response.json();
    const raw = readFileSync(join(repo, "articles", `${slug}.md`), "utf8");
    const body = raw.replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n/, "");
    const { bodyHtml, toc, ...meta } = article;
    articles[slug] = {
      meta,
      errors: validateArticle(article),
      preview_html: bodyHtml,
      html: await markdownToHtml(body),
    };
  }
  process.stdout.write(JSON.stringify({ slugs, articles }));
} finally {
  server.child.kill();
}
