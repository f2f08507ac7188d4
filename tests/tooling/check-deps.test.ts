// The package-boundary check (scripts/check-deps.mjs): its import lexer finds every import form
// and nothing quoted in comments, strings or templates; the repository itself passes.
import assert from "node:assert/strict";
import { test } from "node:test";
// @ts-expect-error: a plain .mjs script without type declarations
import { check, importsOf } from "../../scripts/check-deps.mjs";

test("every import form is found", () => {
  const src = [
    `import a from "a";`,
    `import { b } from 'b/sub';`,
    `import type { C } from "@s/c";`,
    `export * from "./d.js";`,
    `export { e } from "e";`,
    `import "side-effect";`,
    `const f = await import("f");`,
    `const g = require("g");`,
    `let h: import("h").H;`,
    `import {\n  i,\n  j,\n} from "ij";`,
    `const k = await import(new URL("../../other/src/k.ts", import.meta.url).href);`,
    `const data = new URL("../testdata/x.json", import.meta.url);`,
  ].join("\n");
  assert.deepEqual(importsOf(src), [
    "a",
    "b/sub",
    "@s/c",
    "./d.js",
    "e",
    "side-effect",
    "f",
    "g",
    "h",
    "ij",
    "../../other/src/k.ts",
  ]);
});

test("quoted specifiers in comments, strings, templates and regexes are not imports", () => {
  const src = [
    `// import x from "comment";`,
    `/* import("block") */`,
    `const s = 'import "str"';`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the input text is a template literal
    'const t = `import { y } from "tmpl" ${`from "nested"`}`;',
    `const r = /from "re"/;`,
    `obj.import("method");`,
    `const from = "not-a-module";`,
    `import real from "real";`,
  ].join("\n");
  assert.deepEqual(importsOf(src), ["real"]);
});

test("the repository declares what it imports", () => {
  assert.deepEqual(check(), []);
});
