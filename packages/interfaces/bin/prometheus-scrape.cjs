#!/usr/bin/env node
// Entry point of the `prometheus-scrape` command (see src/prometheus-scrape/cli.ts).
//
// Start-up time matters (the command runs inside hooks and benchmarks, and Node's own boot is most
// of a small run), so:
// - it runs a pre-bundled build, `dist/prometheus-scrape-cli.cjs`: one CommonJS file made by
//   esbuild (`node bin/prometheus-scrape.cjs --build`, or the repository's build script). CommonJS
//   because Node's ESM loader costs several milliseconds more to boot and to link built-in modules;
// - it runs it with V8's code cache kept next to it (the loader charms use, `@charmkit/build/code-cache`,
//   copied to `dist/code-cache.cjs`), so later runs skip parsing and compiling what earlier ones ran;
// - without a bundle it falls back to the TypeScript sources through tsx, which costs a few hundred
//   milliseconds of transpiling per run.
"use strict";
const { copyFileSync, existsSync, rmSync } = require("node:fs");
const { basename, dirname, join } = require("node:path");

const pkg = join(__dirname, "..");
const bundled = join(pkg, "dist", "prometheus-scrape-cli.cjs");
const codeCache = join(dirname(bundled), `.${basename(bundled)}.v8cache`);
// The loader charms use too, copied beside the bundle by --build (a direct path loads faster than
// resolving the package).
const loader = join(pkg, "dist", "code-cache.cjs");
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
  copyFileSync(require.resolve("@charmkit/build/code-cache"), loader);
  rmSync(codeCache, { force: true });
  process.stderr.write(`built ${bundled}\n`);
}

async function run() {
  if (argv[0] === "--build") return build();
  if (process.env.PROMETHEUS_SCRAPE_FROM_SOURCE !== "1" && existsSync(bundled) && existsSync(loader)) {
    const mod = require(loader).runWithCodeCache(bundled, argv[0]);
    process.exitCode = await mod.main(argv);
    // Everything is written (synchronously) and nothing else is pending: exit now (the code cache
    // is written on exit) rather than wait for V8's background tasks to drain.
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
