#!/usr/bin/env node
// Benchmark of the prometheus_scrape consumer with in-process PromQL injection.
//
// Generates consumer states of APPS applications x 10 units x 20 alert rules (one relation per app,
// rule labels carrying the app's topology so every expression gets matchers injected; see
// scrape-model.mjs), then times, for each size:
// - in process: `renderFromState` (consume + rule files) from the library bundle the charm ships,
//   in a fresh Node process per size: the first call (cold JIT) and the median/min of the calls
//   after it (warm; 4,000/APPS calls, at least 10 and at most 100, so that garbage collections,
//   which land in some calls only, weigh in the median as they do in the total);
// - injection alone: `injectTopology` over every rule expression made distinct per app (so nothing
//   is cached), then the same expressions again (cached parse);
// - as a process: `prometheus-scrape render --compact FILE` (bundled build with its code cache and
//   parse cache), median of RUNS runs, with `--no-cache`, and the first run after a build, next to
//   a bare `node -e 0` on the same machine (all without NODE_EXTRA_CA_CERTS, see processEnv).
// Usage: node bench/prometheus-scrape.mjs [--runs N] [--sizes 50,2000]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generate, RULES, UNITS } from "./scrape-model.mjs";

const root = join(import.meta.dirname, "..");
const bin = join(root, "packages/interfaces/bin/prometheus-scrape.cjs");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(opt("--runs", "15"));
const SIZES = opt("--sizes", "50,2000").split(",").map(Number);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const fmt = (ms) => `${ms.toFixed(1)} ms`;

/** The in-process part, run in a child so each size starts from a fresh heap and a cold JIT. */
async function child(lib, apps, runs) {
  const { renderFromState, injectTopology, stripTopologyPlaceholder } = await import(pathToFileURL(lib).href);
  const state = generate(apps);
  let t = performance.now();
  let out = renderFromState(state);
  const first = performance.now() - t;
  // Back to back, each call also pays for collecting the previous call's output.
  const warm = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    out = renderFromState(state);
    warm.push(performance.now() - t);
  }
  // With a full collection before each call (untimed), each call pays only for its own garbage;
  // this is how Python's timeit measures too (it turns its cyclic collector off while timing).
  const own = [];
  for (let i = 0; i < runs; i++) {
    out = undefined;
    globalThis.gc();
    t = performance.now();
    out = renderFromState(state);
    own.push(performance.now() - t);
  }
  // Injection alone, on expressions made distinct per app so the parse cache cannot help.
  const exprs = [];
  for (const rel of state.relations) {
    for (const r of JSON.parse(rel.app_data.alert_rules).groups[0].rules)
      exprs.push([stripTopologyPlaceholder(r.expr).replace(/> (\d+)/, `> $1.${rel.id}`), r.labels]);
  }
  const injectAll = () => {
    const t0 = performance.now();
    for (const [e, l] of exprs)
      injectTopology(e, {
        juju_application: l.juju_application,
        juju_model: l.juju_model,
        juju_model_uuid: l.juju_model_uuid,
      });
    return performance.now() - t0;
  };
  const injectCold = injectAll();
  const injectWarm = injectAll();
  return {
    jobs: out.scrape_configs.length,
    ruleFiles: Object.keys(out.alert_rules).length,
    rejected: out.rejected.length,
    firstMs: first,
    medianMs: median(warm),
    minMs: Math.min(...warm),
    ownMedianMs: median(own),
    exprs: exprs.length,
    injectColdMs: injectCold,
    injectWarmMs: injectWarm,
  };
}

/** One hook's render in a fresh process: with `mode` read, after loading the parse cache file. */
async function hookChild(lib, apps, charms, cacheFile, mode) {
  const { renderFromState, loadParseCacheFile, saveParseCacheFile } = await import(pathToFileURL(lib).href);
  const state = generate(apps, { charms });
  const t0 = performance.now();
  const loaded = mode === "read" ? loadParseCacheFile(cacheFile) : 0;
  const out = renderFromState(state);
  const ms = performance.now() - t0;
  if (mode === "write") saveParseCacheFile(cacheFile);
  return { ms, loaded, ruleFiles: Object.keys(out.alert_rules).length };
}

if (args[0] === "--child-hook") {
  const [, lib, apps, charms, cacheFile, mode] = args;
  process.stdout.write(JSON.stringify(await hookChild(lib, Number(apps), Number(charms), cacheFile, mode)));
  process.exit(0);
}

if (args[0] === "--child") {
  const [, lib, apps, runs] = args;
  process.stdout.write(JSON.stringify(await child(lib, Number(apps), Number(runs))));
  process.exit(0);
}

// Processes run without NODE_EXTRA_CA_CERTS: some machines (this VM among them) set it, and
// Node then reads the CA bundle at every start (~30 ms here), which is no part of the command.
// The command's parse cache goes to a directory of this run.
const processEnv = { ...process.env };
delete processEnv.NODE_EXTRA_CA_CERTS;

function timeProcess(argv, runs, env = processEnv) {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, argv, {
      env,
      maxBuffer: 1 << 30,
      stdio: ["ignore", "ignore", "pipe"],
    });
    ms.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr}`);
  }
  return median(ms);
}

const tmp = mkdtempSync(join(tmpdir(), "bench-ps-"));
try {
  // The library as the charm ships it: one esbuild bundle.
  const { build } = await import("esbuild");
  const lib = join(tmp, "lib.mjs");
  await build({
    entryPoints: [fileURLToPath(import.meta.resolve("@charmkit/interfaces/prometheus-scrape"))],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: lib,
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: "error",
  });
  execFileSync(process.execPath, [bin, "--build"], { stdio: "ignore" });
  processEnv.PROMETHEUS_SCRAPE_CACHE_DIR = join(tmp, "cache");
  const bareNode = timeProcess(["-e", "0"], RUNS);
  const withCaCerts = process.env.NODE_EXTRA_CA_CERTS
    ? `; ${fmt(timeProcess(["-e", "0"], RUNS, process.env))} with this machine's NODE_EXTRA_CA_CERTS, left out below`
    : "";
  console.log(`bare node -e 0: ${fmt(bareNode)} (median of ${RUNS})${withCaCerts}`);

  const results = [];
  for (const apps of SIZES) {
    const state = generate(apps);
    const file = join(tmp, `state-${apps}.json`);
    writeFileSync(file, JSON.stringify(state));
    const calls = Math.min(100, Math.max(10, Math.round(4000 / apps)));
    const inChild = (flags) =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [...flags, "--expose-gc", import.meta.filename, "--child", lib, String(apps), String(calls)],
          { encoding: "utf8", maxBuffer: 1 << 26 },
        ),
      );
    const inProc = inChild([]);
    // The same calls with V8's concurrent marking off: how much of the time at scale is the
    // collector marking the old generation beside the main thread (see bench/README.md).
    const noConcurrent = inChild(["--no-concurrent-marking"]);
    inProc.noConcurrentMedianMs = noConcurrent.medianMs;
    // The first call of a fresh process that starts from the parse cache an earlier one kept
    // (what a hook of the charm does from its second hook on).
    const sizeCache = join(tmp, `parse-cache-${apps}.json`);
    const hookRun = (mode) =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [import.meta.filename, "--child-hook", lib, String(apps), "1", sizeCache, mode],
          { encoding: "utf8", maxBuffer: 1 << 26 },
        ),
      );
    hookRun("write");
    const cachedFirst = [];
    for (let i = 0; i < Math.min(RUNS, 5); i++) cachedFirst.push(hookRun("read").ms);
    inProc.firstCachedMs = median(cachedFirst);
    // The first run after a build writes the code cache and the parse cache; the others read them.
    rmSync(join(tmp, "cache"), { recursive: true, force: true });
    execFileSync(process.execPath, [bin, "--build"], { stdio: "ignore" });
    const firstProcess = timeProcess([bin, "render", "--compact", file], 1);
    const row = {
      apps,
      calls,
      ...inProc,
      firstProcessMs: firstProcess,
      processMs: timeProcess([bin, "render", "--compact", file], RUNS),
      noCacheProcessMs: timeProcess([bin, "render", "--compact", "--no-cache", file], RUNS),
    };
    results.push(row);
    console.log(
      `${apps} apps x ${UNITS} units x ${RULES} rules: ${row.jobs} jobs, ${row.ruleFiles} rule files, ${row.rejected} rejected\n` +
        `  in process: first call ${fmt(row.firstMs)} (${fmt(row.firstCachedMs)} from an earlier process's parse cache, load included); then ${calls} calls back to back: median ${fmt(row.medianMs)} (min ${fmt(row.minMs)}); ` +
        `${calls} calls after a full GC each: median ${fmt(row.ownMedianMs)}; ` +
        `back to back without concurrent marking: median ${fmt(row.noConcurrentMedianMs)}\n` +
        `  as a process: median ${fmt(row.processMs)}; with --no-cache ${fmt(row.noCacheProcessMs)}; first run after the build ${fmt(row.firstProcessMs)}\n` +
        `  injectTopology alone, ${row.exprs} distinct expressions: ${fmt(row.injectColdMs)} parsing each, ${fmt(row.injectWarmMs)} again`,
    );
  }
  // A heterogeneous model: 60 apps of 30 different charms, 600 distinct expressions. What one hook
  // (a fresh process) spends rendering it, parsing every expression cold, or reading the parses
  // an earlier hook kept (the charm keeps them in its cache directory).
  {
    const cacheFile = join(tmp, "parse-cache.json");
    const hook = (mode) =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [import.meta.filename, "--child-hook", lib, "60", "30", cacheFile, mode],
          {
            encoding: "utf8",
          },
        ),
      );
    hook("write");
    const cold = [];
    const warm = [];
    let loaded = 0;
    for (let i = 0; i < RUNS; i++) {
      cold.push(hook("none").ms);
      const r = hook("read");
      warm.push(r.ms);
      loaded = r.loaded;
    }
    console.log(
      `60 apps of 30 charms (600 distinct expressions), first render in a fresh process: ${fmt(median(cold))} parsing them, ` +
        `${fmt(median(warm))} with the parse cache of an earlier process (${loaded} parses loaded, load included)`,
    );
  }
  if (results.length >= 2) {
    const [a, b] = [results[0], results.at(-1)];
    const ratio = (x, y) => `${(y / x).toFixed(1)}x`;
    console.log(
      `growth for ${b.apps / a.apps}x input: in process ${ratio(a.medianMs, b.medianMs)} back to back, ${ratio(a.ownMedianMs, b.ownMedianMs)} after a GC each, ` +
        `${ratio(a.noConcurrentMedianMs, b.noConcurrentMedianMs)} without concurrent marking, ` +
        `${ratio(a.firstMs, b.firstMs)} on the first call; ` +
        `process ${ratio(a.processMs, b.processMs)}, injection ${ratio(a.injectColdMs, b.injectColdMs)}`,
    );
  }
  const py = { inProcessMs: 64, processMs: 415 };
  const first = results[0];
  if (first?.apps === 50) {
    console.log(
      `vs Python library at 50 apps (64 ms in process, 415 ms as a process, without injection): ` +
        `in process ${(py.inProcessMs / first.medianMs).toFixed(1)}x faster back to back, ${(py.inProcessMs / first.ownMedianMs).toFixed(1)}x after a GC each, ` +
        `${(py.inProcessMs / first.firstMs).toFixed(1)}x on the first call (${(py.inProcessMs / first.firstCachedMs).toFixed(1)}x with the parse cache); ` +
        `as a process ${(py.processMs / first.processMs).toFixed(1)}x faster, ${(py.processMs / first.noCacheProcessMs).toFixed(1)}x without the parse cache, ` +
        `${(py.processMs / first.firstProcessMs).toFixed(1)}x on the first run after a build (bare node is ${fmt(bareNode)})`,
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
