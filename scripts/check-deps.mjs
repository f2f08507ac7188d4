#!/usr/bin/env node
// Package boundaries: every workspace package (and the root, for scripts/, tests/ and bench/)
// must declare in its package.json each package its files import, and must reach another
// workspace package through that package's name and exports, never through a relative path into
// its directory. npm hoists every dependency to the root node_modules, so an undeclared import
// works here and breaks for anyone who installs the package alone; this check makes it visible.
//
// Shipped files must find the import under dependencies (or peer/optional dependencies); tests,
// their support files and data, and generators (gen-*.ts) may also use devDependencies.
// Imports are found by a small lexer that skips comments, strings and template literals, so a
// specifier quoted in a comment or in a test's input text is not taken for an import.
//
// Usage: node scripts/check-deps.mjs        exit 1 with one line per violation
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";

const root = resolve(import.meta.dirname, "..");
const SOURCE = /\.(?:ts|mts|cts|tsx|js|mjs|cjs)$/;
const SKIP_DIRS = new Set(["node_modules", "dist", ".git", ".charmkit"]);
const BUILTINS = new Set(builtinModules);

/** The workspace package directories named by the root package.json (simple `dir/*` globs). */
function workspaces() {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const dirs = [];
  for (const w of pkg.workspaces ?? []) {
    if (!w.endsWith("/*")) {
      dirs.push(join(root, w));
      continue;
    }
    const parent = join(root, w.slice(0, -2));
    for (const e of readdirSync(parent, { withFileTypes: true })) {
      if (e.isDirectory()) dirs.push(join(parent, e.name));
    }
  }
  return dirs.filter((d) => {
    try {
      readFileSync(join(d, "package.json"));
      return true;
    } catch {
      return false;
    }
  });
}

function walk(dir, out, stopAt) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (SKIP_DIRS.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!stopAt.has(p)) walk(p, out, stopAt);
    } else if (SOURCE.test(e.name) && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/**
 * The module specifiers a source file imports: static `import`/`export ... from`, side-effect
 * `import "x"`, `import("x")`, `require("x")`, type-position `import("x")`, and code loaded by a
 * URL relative to the file (`import(new URL("../x.ts", import.meta.url).href)`). Comments, string
 * bodies and template literal text are skipped; only a string literal in one of those positions
 * counts.
 */
export function importsOf(text) {
  const found = [];
  const n = text.length;
  let i = 0;
  // The last significant tokens, enough to tell `from "x"`, `import "x"`, `import("x")` and
  // `require("x")` apart from any other string literal.
  let prev1 = "";
  let prev2 = "";
  let prev3 = "";
  // The two tokens before prev3, most recent first.
  const hist = ["", ""];
  const push = (tok) => {
    hist[1] = hist[0];
    hist[0] = prev3;
    prev3 = prev2;
    prev2 = prev1;
    prev1 = tok;
  };
  const readString = (q) => {
    let j = i + 1;
    let s = "";
    while (j < n && text[j] !== q) {
      if (text[j] === "\\") {
        s += text[j + 1] ?? "";
        j += 2;
        continue;
      }
      if (text[j] === "\n") break;
      s += text[j];
      j++;
    }
    i = j + 1;
    return s;
  };
  const skipTemplate = () => {
    // Template literal: skip text, recurse through ${...} expressions by brace depth.
    i++;
    while (i < n && text[i] !== "`") {
      if (text[i] === "\\") {
        i += 2;
        continue;
      }
      if (text[i] === "$" && text[i + 1] === "{") {
        i += 2;
        let depth = 1;
        while (i < n && depth > 0) {
          const c = text[i];
          if (c === "{") depth++;
          else if (c === "}") depth--;
          else if (c === "'" || c === '"') {
            readString(c);
            continue;
          } else if (c === "`") {
            skipTemplate();
            continue;
          }
          i++;
        }
        continue;
      }
      i++;
    }
    i++;
  };
  while (i < n) {
    const c = text[i];
    if (c === "/" && text[i + 1] === "/") {
      const e = text.indexOf("\n", i);
      i = e < 0 ? n : e;
      continue;
    }
    if (c === "/" && text[i + 1] === "*") {
      const e = text.indexOf("*/", i + 2);
      i = e < 0 ? n : e + 2;
      continue;
    }
    if (c === "'" || c === '"') {
      const s = readString(c);
      // import(new URL("./x.ts", import.meta.url).href): code loaded by a URL relative to the file.
      const urlImport =
        prev1 === "(" && prev2 === "URL" && prev3 === "new" && hist[0] === "(" && hist[1] === "import";
      const isImport =
        urlImport ||
        prev1 === "from" ||
        (prev1 === "import" && prev2 !== ".") ||
        (prev1 === "(" && (prev2 === "import" || prev2 === "require") && prev3 !== ".");
      if (isImport) found.push(s);
      push("str");
      continue;
    }
    if (c === "`") {
      skipTemplate();
      push("tmpl");
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w$]/.test(text[j])) j++;
      push(text.slice(i, j));
      i = j;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "/") {
      // A regular expression literal where an operand is expected: skip it so a quote inside it
      // does not start a string.
      if (prev1 === "" || /^[(,=:[!&|?{};]$/.test(prev1) || prev1 === "return" || prev1 === "=>") {
        let j = i + 1;
        let inClass = false;
        while (j < n && text[j] !== "\n") {
          const d = text[j];
          if (d === "\\") {
            j += 2;
            continue;
          }
          if (d === "[") inClass = true;
          else if (d === "]") inClass = false;
          else if (d === "/" && !inClass) break;
          j++;
        }
        i = j + 1;
        push("re");
        continue;
      }
    }
    push(text[i + 1] === ">" && c === "=" ? "=>" : c);
    i += c === "=" && text[i + 1] === ">" ? 2 : 1;
  }
  return found;
}

/** The package name of a bare specifier (`@scope/name/sub` -> `@scope/name`). */
function packageName(spec) {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Files that never ship: tests, their support and data, and code generators run by hand. */
const isDevFile = (rel) =>
  /\.test\.[cm]?[jt]s$/.test(rel) ||
  /\.test-support\.[cm]?[jt]s$/.test(rel) ||
  /(^|\/)(tests?|testdata)\//.test(rel) ||
  /(^|\/)gen-[^/]*\.[cm]?[jt]s$/.test(rel);

/** Checks every package; returns the violations as human-readable lines. */
export function check() {
  const dirs = workspaces();
  const dirSet = new Set(dirs);
  const packages = [
    ...dirs.map((d) => ({ dir: d, files: walk(d, [], new Set()) })),
    // The root package owns everything outside the workspaces.
    {
      dir: root,
      files: ["scripts", "tests", "bench"].flatMap((d) => walk(join(root, d), [], dirSet)),
    },
  ];
  const problems = [];
  for (const { dir, files } of packages) {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const prod = new Set(
      Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies }),
    );
    const dev = new Set(Object.keys(pkg.devDependencies ?? {}));
    const name = pkg.name;
    for (const file of files) {
      const rel = relative(dir, file).split(sep).join("/");
      const shown = relative(root, file);
      // The root package is private tooling (scripts, benchmarks, end-to-end tests): all of it dev.
      const test = dir === root || isDevFile(rel);
      for (const spec of importsOf(readFileSync(file, "utf8"))) {
        if (spec.startsWith(".")) {
          const target = resolve(dirname(file), spec);
          const inside =
            dir === root ? !dirs.some((d) => target.startsWith(d + sep)) : target.startsWith(dir + sep);
          if (!inside)
            problems.push(
              `${shown}: imports "${spec}" by relative path outside its package; use the package's exports`,
            );
          continue;
        }
        if (spec.startsWith("node:") || BUILTINS.has(spec) || spec.startsWith("#")) continue;
        const dep = packageName(spec);
        if (dep === name || prod.has(dep)) continue;
        if (test && dev.has(dep)) continue;
        const where = dev.has(dep) ? "only under devDependencies" : "not declared";
        problems.push(`${shown}: imports "${dep}", ${where} in ${relative(root, join(dir, "package.json"))}`);
      }
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problems = check();
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`check-deps: ${problems.length} undeclared or cross-package imports`);
    process.exit(1);
  }
  console.error("check-deps: every package declares what it imports");
}
