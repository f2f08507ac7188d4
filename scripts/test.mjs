#!/usr/bin/env node
// Runs the project's tests: type-check everything once, then node's test runner (through tsx) over
// every `*.test.ts` beside the code. `--all` also runs the end-to-end tests (`*.e2e.test.ts`), which
// need the real Debian prometheus, prometheus-alertmanager and nginx binaries.
// Extra arguments that are paths narrow the run to the test files under them.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const all = args.includes("--all");
const skipTypecheck = args.includes("--no-typecheck");
const filters = args.filter((a) => !a.startsWith("--")).map((a) => resolve(a));
const SEARCH = ["packages", "charms", "tests", "bench"];

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === "node_modules" || e.name === "dist" || e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

let files = SEARCH.flatMap((d) => walk(join(root, d), []));
if (!all) files = files.filter((f) => !f.endsWith(".e2e.test.ts"));
if (filters.length) files = files.filter((f) => filters.some((p) => f === p || f.startsWith(`${p}/`)));
files.sort();

if (!skipTypecheck) {
  const tsc = spawnSync(
    process.execPath,
    [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json")],
    {
      stdio: "inherit",
    },
  );
  if (tsc.status !== 0) {
    console.error("type-check failed");
    process.exit(tsc.status ?? 1);
  }
}
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
console.error(`running ${files.length} test files${all ? " (with end-to-end)" : ""}`);
const run = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=2",
    "--test-reporter=spec",
    ...files.map((f) => relative(root, f)),
  ],
  { stdio: "inherit", cwd: root },
);
process.exit(run.status ?? 1);
