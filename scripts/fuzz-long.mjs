#!/usr/bin/env node
// A longer fuzzing run of the prometheus_scrape consumer than CI's bounded one (2,000 cases).
// Usage: node scripts/fuzz-long.mjs [RUNS=100000] [SEED]; a failure prints fast-check's seed and
// shrunk counterexample, so it can be replayed with the same SEED.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const [runs = "100000", seed] = process.argv.slice(2);
const env = { ...process.env, FUZZ_RUNS: runs, ...(seed ? { FUZZ_SEED: seed } : {}) };
const t0 = Date.now();
const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-timeout=0", "packages/interfaces/src/prometheus-scrape/fuzz.test.ts"],
  { cwd: root, env, stdio: "inherit" },
);
console.log(
  `fuzz: ${runs} runs${seed ? ` (seed ${seed})` : ""} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
);
process.exit(r.status ?? 1);
