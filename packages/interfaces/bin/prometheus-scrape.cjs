#!/usr/bin/env node
// Entry point of the `prometheus-scrape` command (see src/prometheus-scrape/cli.ts).
//
// Start-up time matters (the command runs inside hooks and benchmarks, and Node's own boot is most
// of a small run), so:
// - it runs a pre-bundled build, `dist/prometheus-scrape-cli.cjs`: one CommonJS file made by
//   esbuild (`node bin/prometheus-scrape.cjs --build`, or the repository's build script). CommonJS
//   because Node's ESM loader costs several milliseconds more to boot and to link built-in modules;
// - it keeps V8's code cache for that file next to it (`.v8cache`), written after the first run, so
//   later runs skip parsing and compiling what they ran before. Node 22 does this itself
//   (`module.enableCompileCache`); Node 20, our runtime, does not. V8 checks the cache against the
//   source and its own version and flags, and a rejected cache is simply rewritten;
// - without a bundle it falls back to the TypeScript sources through tsx, which costs a few hundred
//   milliseconds of transpiling per run.
"use strict";
const { readFileSync, renameSync, rmSync, writeFileSync } = require("node:fs");
const { dirname, join } = require("node:path");

const pkg = join(__dirname, "..");
const bundled = join(pkg, "dist", "prometheus-scrape-cli.cjs");
const codeCache = `${bundled}.v8cache`;
const source = join(pkg, "src", "prometheus-scrape", "cli.ts");
const argv = process.argv.slice(2);

async function build() {
  const { build } = require("esbuild");
  await build({
    entryPoints: [source],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    outfile: bundled,
    minify: true,
    legalComments: "none",
    logLevel: "warning",
  });
  rmSync(codeCache, { force: true });
  process.stderr.write(`built ${bundled}\n`);
}

/** Loads the bundle with its code cache; `save` writes the cache when it was missing or stale. */
function loadBundled(code) {
  const vm = require("node:vm");
  const Module = require("node:module");
  let cachedData;
  try {
    cachedData = readFileSync(codeCache);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(code), { filename: bundled, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(bundled), module, bundled, dirname(bundled));
  const save = () => {
    if (cachedData !== undefined && !script.cachedDataRejected) return;
    try {
      // After the run, so the cache also holds the functions compiled lazily while running.
      const tmp = `${codeCache}.${process.pid}`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, codeCache);
    } catch {
      // A read-only install still works, only without the cache.
    }
  };
  return { mod: module.exports, save };
}

async function run() {
  if (argv[0] === "--build") return build();
  let code;
  if (process.env.PROMETHEUS_SCRAPE_FROM_SOURCE !== "1") {
    try {
      code = readFileSync(bundled, "utf8");
    } catch {
      code = undefined;
    }
  }
  if (code !== undefined) {
    const { mod, save } = loadBundled(code);
    process.exitCode = await mod.main(argv);
    save();
    // Everything is written (synchronously) and nothing else is pending: exit now rather than
    // wait for V8's background tasks (concurrent GC work) to drain, a few milliseconds per run.
    if (!mod.usedStdoutStream()) process.exit();
    return;
  }
  const { tsImport } = await import("tsx/esm/api");
  const mod = await tsImport(source, __filename);
  process.exitCode = await mod.main(argv);
}

run().catch((e) => {
  process.stderr.write(`prometheus-scrape: ${e?.stack ?? e}\n`);
  process.exitCode = 1;
});
