#!/usr/bin/env node
// One process of the unit tier (scripts/test.mjs starts two): imports the test files named on the
// command line, each inside a suite named after the file, so node's test runner runs all of them
// in this one process instead of starting a process per file (about 0.4 s of CPU each, more than
// most unit files take to run). A file's top-level hooks (beforeEach, after...) stay scoped to its
// own suite. Modules are shared between the files: a unit test must not leave global state behind
// (`node scripts/test.mjs --isolate` runs every unit file in a process of its own to find one that
// does).
import { relative, resolve } from "node:path";
import { describe } from "node:test";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..");
for (const file of process.argv.slice(2)) {
  describe(relative(root, file), async () => {
    await import(pathToFileURL(resolve(file)).href);
  });
}
