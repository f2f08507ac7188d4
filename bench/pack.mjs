#!/usr/bin/env node
// `npm run pack` and the packed charm's start-up. Measures:
// - pack time of prometheus-k8s: cold (empty cache: the Node runtime is fetched from the npm
//   registry), zip-cold (runtime cached, charm changed: the zip is rebuilt), cached (unchanged);
// - the .charm's size;
// - whole-process update-status through `dispatch` against stub hook tools (sh scripts), for the
//   unpacked .charm (its own Node) and for `npm run build` output (the Node on PATH), code cache
//   warm in both, plus `node -e 0` of each Node to show what Node's own start-up costs.
// Usage: node --import tsx bench/pack.mjs [--runs 20] [--skip-cold]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bundleCharm } from "@charmkit/build/bundle";
import { NODE_RUNTIMES, packCharm, unpackCharm } from "@charmkit/build/pack";
import { makeFakeTools } from "@charmkit/ops/testing/fake-tools";

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf("--runs") + 1] || 20) || 20;
const skipCold = args.includes("--skip-cold");
const charmSrc = join(root, "charms/prometheus-k8s");
const work = mkdtempSync(join(tmpdir(), "pack-bench-"));
const out = join(work, "out");

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timed = async (fn) => {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  return [ms(t0), r];
};

console.log(`pack and start-up, host node ${process.version}, packed node v${NODE_RUNTIMES.amd64.version}`);
if (!skipCold) {
  const [cold] = await timed(() =>
    packCharm({ charmDir: charmSrc, outDir: out, cacheDir: join(work, "cache") }),
  );
  console.log(`pack, cold (fetch Node from the npm registry, zip): ${cold.toFixed(0)} ms`);
}
// A fresh zip cache with the runtime already fetched: what a changed charm costs.
const cacheDir = join(work, "cache-zip");
execFileSync("mkdir", ["-p", join(cacheDir, "node")]);
execFileSync("cp", [
  "-al",
  join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME, ".cache"), "charmkit/node/."),
  join(cacheDir, "node"),
]);
const [zipCold, r] = await timed(() => packCharm({ charmDir: charmSrc, outDir: out, cacheDir }));
console.log(`pack, runtime cached, charm changed (zip rebuilt): ${zipCold.toFixed(0)} ms`);
const cached = [];
for (let i = 0; i < 3; i++)
  cached.push((await timed(() => packCharm({ charmDir: charmSrc, outDir: out, cacheDir })))[0]);
console.log(`pack, nothing changed: median ${median(cached).toFixed(0)} ms`);
console.log(`.charm: ${(r.bytes / 1048576).toFixed(1)} MiB (${r.bytes} bytes), ${r.entries.length} files`);

const packed = join(work, "packed");
await unpackCharm(r.charm, packed);
const built = join(work, "built");
await bundleCharm({ charmDir: charmSrc, outDir: built });

const fake = makeFakeTools();
fake.respond("is-leader", "--format=json", "true");
fake.respond("config-get", "--format=json", "{}");
fake.respond("relation-ids", "*", "[]");
fake.respond("storage-list", "*", '["database/0"]');
fake.respond("storage-get", "*", JSON.stringify({ kind: "filesystem", location: work }));
fake.respond("opened-ports", "*", '["9090/tcp"]');
fake.respond("state-get", "*", "{}");

function dispatch(charmDir) {
  const t0 = process.hrtime.bigint();
  const p = spawnSync(join(charmDir, "dispatch"), [], {
    encoding: "utf8",
    env: {
      PATH: `${fake.bin}:${process.env.PATH}`,
      FAKE_DIR: fake.dir,
      JUJU_DISPATCH_PATH: "hooks/update-status",
      JUJU_HOOK_NAME: "update-status",
      JUJU_UNIT_NAME: "prometheus/0",
      JUJU_MODEL_NAME: "bench",
      JUJU_MODEL_UUID: "00000000-0000-4000-8000-000000000000",
      JUJU_VERSION: "3.6.14",
      JUJU_CHARM_DIR: charmDir,
    },
  });
  if (p.status !== 0) throw new Error(`${charmDir}: dispatch failed: ${p.stderr}`);
  return ms(t0);
}

function nodeStart(node) {
  const t0 = process.hrtime.bigint();
  spawnSync(node, ["-e", "0"]);
  return ms(t0);
}

// The two variants alternate run by run, so a busy machine slows both alike.
const variants = [
  { name: "packed .charm (its Node)", dir: packed, node: join(packed, "node/bin/node"), hook: [], bare: [] },
  { name: "npm run build (PATH node)", dir: built, node: "node", hook: [], bare: [] },
];
for (const v of variants) for (let i = 0; i < 3; i++) dispatch(v.dir); // writes and extends the code cache
for (let i = 0; i < RUNS; i++) {
  for (const v of variants) {
    v.hook.push(dispatch(v.dir));
    v.bare.push(nodeStart(v.node));
  }
}
const min = (xs) => Math.min(...xs);
console.log(
  `update-status through dispatch, stub tools (${fake.calls().length / (RUNS * 2 + 6)} calls), ${RUNS} runs each, interleaved:`,
);
for (const v of variants) {
  const version = spawnSync(v.node, ["--version"], { encoding: "utf8" }).stdout.trim();
  console.log(
    `  ${v.name.padEnd(26)} ${version.padEnd(9)} update-status median ${median(v.hook).toFixed(0)} ms (min ${min(v.hook).toFixed(0)}), node -e 0 median ${median(v.bare).toFixed(0)} ms (min ${min(v.bare).toFixed(0)})`,
  );
}
rmSync(work, { recursive: true, force: true });
