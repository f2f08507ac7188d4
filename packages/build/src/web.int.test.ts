// A charm's browser entries (package.json `charmkit.web`) bundled by esbuild into web/: a script
// with its imported modules and a stylesheet with its imported CSS, nothing left to fetch.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { MetadataError } from "@charmkit/ops";
import { charmSources } from "./charm-source.test-support.js";
import { bundleWebAssets, webEntries } from "./web.js";

const { work, charm } = charmSources("charmkit-web-");

test("each web entry becomes web/<name>.js, with web/<name>.css for the CSS it imports", async () => {
  const dir = charm(
    "paged",
    { name: "paged", charmkit: { web: ["src/web/page.ts"] } },
    {
      "src/web/page.ts":
        'import "./page.css";\nimport { greet } from "./greet.ts";\ndocument.title = greet("x");\n',
      "src/web/greet.ts": 'export const greet = (n: string): string => "hello " + n;\n',
      "src/web/page.css": "body { color: red; }\n",
    },
  );
  const out = join(work, "out");
  mkdirSync(join(out, "web"), { recursive: true });
  writeFileSync(join(out, "web", "stale.js"), "left by an earlier build");
  const files = await bundleWebAssets(dir, out);
  assert.deepEqual(files, [join(out, "web", "page.css"), join(out, "web", "page.js")]);
  assert.deepEqual(readdirSync(join(out, "web")).sort(), ["page.css", "page.js"]);
  const js = readFileSync(join(out, "web", "page.js"), "utf8");
  assert.match(js, /hello /, "the imported module is bundled in");
  assert.doesNotMatch(js, /import /, "nothing is left to load");
  assert.match(readFileSync(join(out, "web", "page.css"), "utf8"), /color:\s*red/);
});

test("no entries, no web/; a bad list is refused naming package.json", async () => {
  const plain = charm("plain", { name: "plain" }, {});
  assert.deepEqual(webEntries(plain), []);
  assert.deepEqual(await bundleWebAssets(plain, join(work, "out-plain")), []);
  const bad = charm("bad", { charmkit: { web: "src/web/page.ts" } }, {});
  assert.throws(
    () => webEntries(bad),
    (e: unknown) => e instanceof MetadataError && /charmkit\.web/.test(e.message),
  );
  const missing = charm("missing", { charmkit: { web: ["src/web/nope.ts"] } }, {});
  assert.throws(() => webEntries(missing), /"src\/web\/nope.ts" is not a file in the charm/);
  const outside = charm("outside", { charmkit: { web: ["../paged/src/web/page.ts"] } }, {});
  assert.throws(() => webEntries(outside), /is not a file in the charm/);
});
