#!/usr/bin/env node
// Runs the project's tests in tiers: check the install (scripts/check-install.mjs) and the package
// boundaries (scripts/check-deps.mjs); lint and format (biome, warnings included), type-check
// everything once and check the API reports, side by side; then node's test runner (through tsx)
// over the test files beside the code.
//   *.test.ts      unit tier: no processes, no sockets; `npm test` runs only these
//   *.int.test.ts  integration tier: real processes (promtool, Pebble services, CLIs)
//   *.e2e.test.ts  end-to-end tier: the local model with the real Debian prometheus,
//                  prometheus-alertmanager and nginx binaries
// `--int` adds the integration tier, `--all` adds integration and end-to-end.
// The unit tier runs in two processes (scripts/unit-shard.mjs), each importing half of the files;
// `--isolate` runs every unit file in a process of its own instead, as the other tiers do.
// The tests see the tier in TEST_TIER (unit, int or all): property tests run a few dozen cases in
// the unit tier and their full count with --int and --all (and when a file is run on its own).
// Extra arguments that are paths narrow the run to the test files under them.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const all = args.includes("--all");
const withInt = all || args.includes("--int");
const skipTypecheck = args.includes("--no-typecheck");
const isolate = args.includes("--isolate");
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
const isE2e = (f) => f.endsWith(".e2e.test.ts");
const isInt = (f) => f.endsWith(".int.test.ts");
if (!all) files = files.filter((f) => !isE2e(f));
if (!withInt) files = files.filter((f) => !isInt(f));
if (filters.length) files = files.filter((f) => filters.some((p) => f === p || f.startsWith(`${p}/`)));
files.sort();

// node_modules as the lockfile says first: a stale install fails later with confusing paths.
const install = spawnSync(process.execPath, [join(root, "scripts/check-install.mjs")], { stdio: "inherit" });
if (install.status !== 0) process.exit(install.status ?? 1);

// Package boundaries next: it takes milliseconds and names the file at fault.
const deps = spawnSync(process.execPath, [join(root, "scripts/check-deps.mjs")], { stdio: "inherit" });
if (deps.status !== 0) process.exit(deps.status ?? 1);

/** Runs `node ARGS` with its output kept; resolves with its exit code and what it printed. */
function captured(args, childEnv = process.env) {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks = [];
    child.stdout.on("data", (c) => chunks.push(c));
    child.stderr.on("data", (c) => chunks.push(c));
    child.on("close", (code, signal) =>
      done({ code: code ?? (signal ? 1 : 0), out: Buffer.concat(chunks).toString() }),
    );
  });
}

// The checks, side by side (each is a process of its own, seconds long, and they read only):
// lint and formatting (biome.json), warnings included, so the tree stays clean instead of
// collecting warnings nobody reads; the type-check; the public surfaces against etc/api/
// (scripts/api-report.mjs: seconds when the declarations are those the reports were made from, a
// full api-extractor run otherwise). A narrowed run (paths given) does only the type-check, and
// --no-typecheck none of them. Their outputs are printed in this order, the first failure ends
// the run.
const checks = [];
if (!skipTypecheck && filters.length === 0)
  checks.push({
    name: "lint",
    args: [
      join(root, "node_modules/@biomejs/biome/bin/biome"),
      "check",
      "--error-on-warnings",
      "--diagnostic-level=warn",
      root,
    ],
    quiet: true,
    advice: "lint failed: `npm run format` fixes the formatting; each other finding names its rule",
  });
if (!skipTypecheck)
  checks.push({
    name: "type-check",
    args: [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json")],
    advice: "type-check failed",
  });
if (!skipTypecheck && filters.length === 0)
  checks.push({ name: "api", args: [join(root, "scripts/api-report.mjs"), "--fast"] });
const outcomes = await Promise.all(checks.map((c) => captured(c.args)));
for (const [i, c] of checks.entries()) {
  const { code, out } = outcomes[i];
  if (code === 0) {
    // biome's success line says nothing a test run needs.
    if (!c.quiet) process.stderr.write(out);
    continue;
  }
  process.stderr.write(out);
  if (c.advice) console.error(c.advice);
  process.exit(code);
}
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
// Unit files run in two processes, each importing its share of them (balanced by file size), with
// their outputs printed one after the other. Integration files run two at a time, a process each,
// then the end-to-end files, also two at a time: each local model is a set of pods with its own
// network, addresses and names, and the tests that start workloads on the host use addresses of
// their own, so two files never share one.
const E2E_CONCURRENCY = 2;
const SHARDS = 2;
const unit = files.filter((f) => !isE2e(f) && !isInt(f));
const int = files.filter(isInt);
const e2e = files.filter(isE2e);
console.error(
  `running ${unit.length} unit files${int.length ? `, then ${int.length} integration files` : ""}${e2e.length ? `, then ${e2e.length} end-to-end files ${E2E_CONCURRENCY} at a time` : ""}`,
);
const tier = all ? "all" : withInt ? "int" : "unit";
const env = { ...process.env, TEST_TIER: process.env.TEST_TIER ?? tier };
function nodeTest(list, concurrency) {
  if (list.length === 0) return 0;
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "--test",
      `--test-concurrency=${concurrency}`,
      "--test-reporter=spec",
      ...list.map((f) => relative(root, f)),
    ],
    { stdio: "inherit", cwd: root, env },
  );
  return r.status ?? 1;
}

/** Runs one shard of unit files in one process; resolves with its exit code and output. */
function shard(list) {
  return captured(
    ["--import", "tsx", "--test-reporter=spec", join(root, "scripts/unit-shard.mjs"), ...list],
    env,
  );
}

async function unitTier(list) {
  if (list.length === 0) return 0;
  if (isolate) return nodeTest(list, 2);
  const started = Date.now();
  const shards = Array.from({ length: SHARDS }, () => ({ files: [], bytes: 0 }));
  const bySize = list.map((f) => ({ f, bytes: statSync(f).size })).sort((a, b) => b.bytes - a.bytes);
  for (const { f, bytes } of bySize) {
    const lightest = shards.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    lightest.files.push(f);
    lightest.bytes += bytes;
  }
  const results = await Promise.all(
    shards.filter((s) => s.files.length > 0).map((s) => shard(s.files.sort())),
  );
  let tests = 0;
  let failed = 0;
  for (const r of results) {
    process.stdout.write(r.out);
    tests += Number(/^ℹ tests (\d+)$/m.exec(r.out)?.[1] ?? 0);
    failed += Number(/^ℹ fail (\d+)$/m.exec(r.out)?.[1] ?? 0);
  }
  const code = results.find((r) => r.code !== 0)?.code ?? 0;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.error(`unit tier: ${tests} tests in ${list.length} files, ${failed} failed, ${seconds} s`);
  return code;
}

const unitStatus = await unitTier(unit);
const intStatus = nodeTest(int, 2);
const e2eStatus = nodeTest(e2e, E2E_CONCURRENCY);
process.exit(unitStatus || intStatus || e2eStatus);
