#!/usr/bin/env node
// Benchmark of the prometheus_scrape consumer with in-process PromQL injection.
//
// Generates consumer states of APPS applications x 10 units x 20 alert rules (one relation per app,
// rule labels carrying the app's topology so every expression gets matchers injected), then times:
// - in process: `renderFromState` (consume + rule files) on a warm process, median of RUNS runs;
// - injection alone: `injectTopology` over every rule expression, cold cache and warm cache;
// - as a process: `prometheus-scrape render --compact FILE` (bundled build), median of RUNS runs.
// Usage: node bench/prometheus-scrape.mjs [--runs N] [--sizes 50,2000]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { generate, RULES, UNITS } from "./scrape-model.mjs";

const root = join(import.meta.dirname, "..");
const bin = join(root, "packages/interfaces/bin/prometheus-scrape.cjs");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(opt("--runs", "5"));
const SIZES = opt("--sizes", "50,2000").split(",").map(Number);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const fmt = (ms) => `${ms.toFixed(1)} ms`;

const tmp = mkdtempSync(join(tmpdir(), "bench-ps-"));
try {
  // The library as the charm ships it: one esbuild bundle.
  const lib = join(tmp, "lib.mjs");
  await build({
    entryPoints: [join(root, "packages/interfaces/src/prometheus-scrape/index.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: lib,
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: "error",
  });
  const { renderFromState, injectTopology, stripTopologyPlaceholder } = await import(pathToFileURL(lib).href);
  execFileSync(process.execPath, [bin, "--build"], { stdio: "ignore" });

  const results = [];
  for (const apps of SIZES) {
    const state = generate(apps);
    const file = join(tmp, `state-${apps}.json`);
    writeFileSync(file, JSON.stringify(state));

    // Injection alone, on a fresh expression set (cold parse cache: distinct thresholds per app).
    const exprs = [];
    for (const rel of state.relations) {
      const rules = JSON.parse(rel.app_data.alert_rules).groups[0].rules;
      for (const r of rules)
        exprs.push([stripTopologyPlaceholder(r.expr).replace(/> (\d+)/, `> $1.${rel.id}`), r.labels]);
    }
    let t = performance.now();
    for (const [e, l] of exprs)
      injectTopology(e, {
        juju_application: l.juju_application,
        juju_model: l.juju_model,
        juju_model_uuid: l.juju_model_uuid,
      });
    const injectCold = performance.now() - t;
    t = performance.now();
    for (const [e, l] of exprs)
      injectTopology(e, {
        juju_application: l.juju_application,
        juju_model: l.juju_model,
        juju_model_uuid: l.juju_model_uuid,
      });
    const injectWarm = performance.now() - t;

    renderFromState(state); // warm-up
    const inProc = [];
    let out;
    for (let i = 0; i < RUNS; i++) {
      t = performance.now();
      out = renderFromState(state);
      inProc.push(performance.now() - t);
    }
    const proc = [];
    for (let i = 0; i < RUNS; i++) {
      t = performance.now();
      const r = spawnSync(process.execPath, [bin, "render", "--compact", file], {
        maxBuffer: 1 << 30,
        stdio: ["ignore", "ignore", "pipe"],
      });
      proc.push(performance.now() - t);
      if (r.status !== 0) throw new Error(`render failed: ${r.stderr}`);
    }
    const row = {
      apps,
      units: apps * UNITS,
      rules: apps * RULES,
      jobs: out.scrape_configs.length,
      ruleFiles: Object.keys(out.alert_rules).length,
      rejected: out.rejected.length,
      inProcessMs: median(inProc),
      processMs: median(proc),
      injectColdMs: injectCold,
      injectWarmMs: injectWarm,
    };
    results.push(row);
    console.log(
      `${apps} apps x ${UNITS} units x ${RULES} rules: ${row.jobs} jobs, ${row.ruleFiles} rule files, ${row.rejected} rejected | ` +
        `in process ${fmt(row.inProcessMs)} | process ${fmt(row.processMs)} | ` +
        `injectTopology ${row.rules} exprs: ${fmt(injectCold)} cold, ${fmt(injectWarm)} cached`,
    );
  }
  if (results.length >= 2) {
    const [a, b] = [results[0], results.at(-1)];
    const size = b.apps / a.apps;
    console.log(
      `growth for ${size}x input: in process ${(b.inProcessMs / a.inProcessMs).toFixed(1)}x, process ${(b.processMs / a.processMs).toFixed(1)}x, ` +
        `injection ${(b.injectColdMs / a.injectColdMs).toFixed(1)}x`,
    );
  }
  const py = { inProcessMs: 64, processMs: 415 };
  const first = results[0];
  if (first?.apps === 50) {
    console.log(
      `vs Python library at 50 apps (without injection): in process ${(py.inProcessMs / first.inProcessMs).toFixed(1)}x faster, ` +
        `process ${(py.processMs / first.processMs).toFixed(1)}x faster`,
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
