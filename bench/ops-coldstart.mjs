#!/usr/bin/env node
// Cold-start benchmark of the charm SDK: bundle the sample charm with bundleCharm, then time N
// whole-process runs of `update-status` through the real `dispatch` script, with stubbed hook
// tools (small sh scripts) on PATH. Prints min/median/p90 in ms, plus the bare `node -e 0` floor
// and the bundle size. Usage: node bench/ops-coldstart.mjs [N]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { makeFakeTools } from "@charmkit/ops/testing/fake-tools";

const root = resolve(import.meta.dirname, "..");
const N = Number(process.argv[2] ?? 30);
const out = mkdtempSync(join(tmpdir(), "charmkit-bench-"));

const b = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--input-type=module",
    "-e",
    `import { bundleCharm } from "@charmkit/build/bundle";
     await bundleCharm({ charmDir: ${JSON.stringify(join(root, "packages/ops/tests/sample-charm"))}, outDir: ${JSON.stringify(out)} });`,
  ],
  { cwd: root, stdio: "inherit" },
);
if (b.status !== 0) process.exit(b.status ?? 1);

const fake = makeFakeTools();
fake.respond("is-leader", "--format=json", "true");
fake.respond("config-get", "--format=json", '{"port":8080}');
fake.respond("storage-list", "--format=json data", '["data/0"]');
fake.respond("relation-ids", "*", "[]");

const env = {
  PATH: `${fake.bin}:${process.env.PATH}`,
  FAKE_DIR: fake.dir,
  JUJU_DISPATCH_PATH: "hooks/update-status",
  JUJU_HOOK_NAME: "update-status",
  JUJU_UNIT_NAME: "sample/0",
  JUJU_MODEL_NAME: "bench",
  JUJU_MODEL_UUID: "00000000-0000-4000-8000-000000000000",
  JUJU_VERSION: "3.6.14",
  JUJU_CHARM_DIR: out,
};

function time(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  return ms;
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { min: s[0], median: q(0.5), p90: q(0.9) };
}

const fmt = (o) =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join("  ");

time(join(out, "dispatch"), []); // warm the page cache once
const dispatchRuns = [];
for (let i = 0; i < N; i++) dispatchRuns.push(time(join(out, "dispatch"), []));
const nodeRuns = [];
for (let i = 0; i < N; i++) nodeRuns.push(time(process.execPath, ["-e", "0"]));
fake.reset();
time(join(out, "dispatch"), []);
const toolCalls = fake.calls().length;

console.log(`ops cold start: update-status via dispatch, N=${N}, node ${process.version}`);
console.log(`  dispatch (ms):   ${fmt(stats(dispatchRuns))}`);
console.log(`  node -e 0 (ms):  ${fmt(stats(nodeRuns))}`);
console.log(
  `  bundle: ${(statSync(join(out, "charm.bundle.js")).size / 1024).toFixed(1)} KiB; hook-tool calls per run: ${toolCalls}`,
);
rmSync(out, { recursive: true, force: true });
rmSync(fake.dir, { recursive: true, force: true });
