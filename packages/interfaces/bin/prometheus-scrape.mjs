#!/usr/bin/env node
// Entry point of the `prometheus-scrape` command (see src/prometheus-scrape/cli.ts).
//
// Start-up time matters (it runs inside hooks and benchmarks), so it prefers a pre-bundled build:
// `dist/prometheus-scrape-cli.mjs`, one ESM file made by esbuild (`node bin/prometheus-scrape.mjs
// --build`, or the repository's build script). Without it, it falls back to running the TypeScript
// sources through tsx, which costs a few hundred milliseconds of transpiling per run.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "..");
const bundled = join(pkg, "dist", "prometheus-scrape-cli.mjs");
const source = join(pkg, "src", "prometheus-scrape", "cli.ts");
const argv = process.argv.slice(2);

if (argv[0] === "--build") {
  const { build } = await import("esbuild");
  await build({
    entryPoints: [source],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: bundled,
    minify: true,
    legalComments: "none",
    // Bundled CommonJS dependencies (commander) call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  process.stderr.write(`built ${bundled}\n`);
  process.exit(0);
}

let mod;
if (existsSync(bundled) && process.env.PROMETHEUS_SCRAPE_FROM_SOURCE !== "1") {
  mod = await import(pathToFileURL(bundled).href);
} else {
  const { tsImport } = await import("tsx/esm/api");
  mod = await tsImport(pathToFileURL(source).href, import.meta.url);
}
process.exitCode = await mod.main(argv);
