#!/usr/bin/env node
// Whole-process hook times of the bundled prometheus-k8s charm at scale: N related scrape
// applications of 10 units and 20 alert rules each (issue 13's figures). The charm is bundled
// once (bundleCharm), then its `dispatch` runs as Juju runs it, with:
// - stub hook tools on PATH (bench/stub-tools.mjs: one sh script per tool answering from a file
//   per argv, so a call costs the same whatever the size of the model), each call logged;
// - a real Pebble-compatible server (packages/local) supervising the real Debian prometheus, so
//   the charm really pushes files, runs promtool and reloads Prometheus;
// - each hook in a charm container as Juju's (bubblewrap): the Pebble socket at
//   /charm/containers/prometheus/pebble.socket, host name prometheus-0 and an /etc/hosts naming
//   its FQDN, which resolves to the address Prometheus listens on (the SDK reads Juju's
//   environment only, so this is how it finds Pebble and its own name).
//
// Measured, per size: update-status (steady); the first metrics-endpoint relation-changed (every
// relation read, rendered, pushed, checked, Prometheus reloaded); then the steady case issue 13
// is about: one unit's bag changes (its address) and relation-changed runs for that unit, run after
// run; and a relation-changed whose unit did not change. For each: wall time, CPU time (user +
// system of the hook and every process it waited for, hook tools included; Prometheus and Pebble's
// own work excluded), hook-tool calls, and the time Prometheus spent loading the configuration
// (its own `Completed loading of configuration file ... totalDuration=`), reported apart: the
// charm's own work is the wall time less that.
//
// Usage: node --import tsx bench/charm-hooks.mjs [--apps 500,2000] [--runs 5] [--units 10] [--rules 20]
//   Run it in a network namespace of its own as root (Prometheus listens on 127.0.250.1:9090),
//   under the shared lock:  flock /tmp/charmkit-e2e.lock unshare -n sh -c 'ip link set lo up && node ...'
//   BENCH_DEBUG=1 prints the tool calls of each kind of hook; BENCH_PROFILE=DIR writes V8 CPU
//   profiles (DIR/changed, DIR/unchanged) of one steady relation-changed of each kind, from an
//   unminified bundle.
//   --state DIR keeps what the first hook left (the charm's caches and stored state, the
//   workload's files) in DIR/apps-N-uU-rR, and a later run with the same DIR starts each size from
//   it instead of running the first hook again (at 2,000 apps that hook takes ~10 min, almost all
//   of it the 30,000 stub hook-tool calls Juju's lack of a bulk read costs). The restored unit
//   then runs pebble-ready, as a restarted workload would, before anything is measured; a cache a
//   different build wrote is the charm's to handle (a format it does not know costs a full read,
//   not a wrong result). The first hook's figures are then not measured.
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bundleCharm } from "@charmkit/build/bundle";
import { PebbleServer } from "@charmkit/local/pebble";
import { TOOLS } from "@charmkit/ops/testing/fake-tools";
import { makeStubTools } from "./stub-tools.mjs";

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const opt = (n, d) => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : d;
};
const SIZES = opt("--apps", "50").split(",").map(Number);
const RUNS = Number(opt("--runs", "5"));
const UNITS = Number(opt("--units", "10"));
const RULES = Number(opt("--rules", "20"));
const STATE = opt("--state", undefined);
const ADDRESS = "127.0.250.1";
const UUID = "00000000-0000-4000-8000-000000000000";

const FQDN = "prometheus-0.prometheus-endpoints.bench.svc.cluster.local";

const work = mkdtempSync(join(tmpdir(), "charm-hooks-bench-"));
// The charm container's /etc/hosts: the unit's FQDN first, as in a pod.
const hostsFile = join(work, "hosts");
writeFileSync(hostsFile, `127.0.0.1 localhost\n${ADDRESS} ${FQDN} prometheus-0\n`);
const charmDir = join(work, "charm");
const b = await bundleCharm({
  charmDir: join(root, "charms/prometheus-k8s"),
  outDir: charmDir,
  // Profiles name functions only when the bundle keeps their names.
  minify: !process.env.BENCH_PROFILE,
});
spawnSync("cp", ["-r", join(root, "charms/prometheus-k8s/alert_rules"), charmDir]);
// What the bundle put in the charm directory: any other dot file is the charm's own state.
const bundled = new Set(readdirSync(charmDir));

const EXPRS = [
  'rate(http_requests_total{code=~"5..",%%juju_topology%%}[5m]) > 1',
  "up{%%juju_topology%%} < 1",
  "sum by (job) (rate(process_cpu_seconds_total[5m])) > 2",
  "histogram_quantile(0.99, sum(rate(req_bucket[5m])) by (le)) > 3",
];

const unitBag = (a, u, generation = 0) =>
  JSON.stringify({
    prometheus_scrape_unit_address: `10.${(a >> 8) & 255}.${a & 255}.${u + 1 + generation * 100}`,
    prometheus_scrape_unit_name: `app-${a}/${u}`,
  });

/** Canned answers for a model of `apps` scrape applications (and nothing on other endpoints). */
function model(fake, apps, dbDir) {
  fake.respond("is-leader", "*", "true");
  fake.respond("config-get", "*", "{}");
  fake.respond("storage-list", "*", '["database/0"]');
  fake.respond("storage-get", "*", JSON.stringify({ kind: "filesystem", location: dbDir }));
  fake.respond("state-get", "*", "{}");
  fake.respond("opened-ports", "*", '["9090/tcp"]');
  fake.respond("status-get", "*", JSON.stringify({ message: "", status: "active", "status-data": {} }));
  fake.respond("relation-ids", "*", "[]");
  fake.respond("relation-get", "*", "{}");
  fake.respond("relation-list", "*", "[]");
  // Same-model relations (the charm asks once per relation and keeps the answer).
  fake.respond("relation-model-get", "*", JSON.stringify({ uuid: UUID }));
  const ids = [];
  for (let a = 0; a < apps; a++) {
    const id = 100 + a;
    const app = `app-${a}`;
    ids.push(`metrics-endpoint:${id}`);
    const units = [];
    for (let u = 0; u < UNITS; u++) {
      units.push(`${app}/${u}`);
      fake.respond("relation-get", `--format=json -r metrics-endpoint:${id} - ${app}/${u}`, unitBag(a, u));
    }
    fake.respond("relation-list", `--format=json -r metrics-endpoint:${id}`, JSON.stringify(units));
    fake.respond("relation-list", `--format=json --app -r metrics-endpoint:${id}`, JSON.stringify(app));
    const rules = [];
    for (let r = 0; r < RULES; r++)
      rules.push({ alert: `Alert${r}`, expr: EXPRS[r % EXPRS.length], for: "5m" });
    fake.respond(
      "relation-get",
      `--format=json -r metrics-endpoint:${id} --app - ${app}`,
      JSON.stringify({
        scrape_metadata: JSON.stringify({
          model: "bench",
          model_uuid: UUID,
          application: app,
          unit: `${app}/0`,
          charm_name: "t",
        }),
        scrape_jobs: JSON.stringify([{ static_configs: [{ targets: ["*:8000"] }] }]),
        alert_rules: JSON.stringify({ groups: [{ name: `${app}_rules`, rules }] }),
      }),
    );
  }
  fake.respond("relation-ids", "metrics-endpoint --format=json", JSON.stringify(ids));
}

/**
 * A directory holding a `node` that writes a CPU profile to BENCH_PROFILE/`name` (Node refuses
 * --cpu-prof in NODE_OPTIONS; dispatch runs the `node` on PATH when the charm carries none).
 */
function profilingNode(name) {
  const bin = join(work, `profile-${name}`);
  mkdirSync(bin, { recursive: true });
  const node = process.execPath;
  writeFileSync(
    join(bin, "node"),
    `#!/bin/sh\nexec ${node} --cpu-prof --cpu-prof-dir=${join(process.env.BENCH_PROFILE, name)} "$@"\n`,
    { mode: 0o755 },
  );
  return bin;
}

/** The Pebble socket directory of the size being measured, bound at /charm/containers. */
let pebbleDirNow = "";

function env(fake, _pebbleDir, hook, extra = {}) {
  return {
    PATH: `${fake.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    FAKE_DIR: fake.dir,
    JUJU_DISPATCH_PATH: `hooks/${hook}`,
    JUJU_HOOK_NAME: hook,
    JUJU_UNIT_NAME: "prometheus/0",
    JUJU_MODEL_NAME: "bench",
    JUJU_MODEL_UUID: UUID,
    JUJU_VERSION: "3.6.14",
    JUJU_CHARM_DIR: charmDir,
    JUJU_CONTEXT_ID: `prometheus/0-${hook}-1`,
    LANG: "C.UTF-8",
    ...extra,
  };
}

const relationChanged = (fake, pebbleDir, unit) =>
  env(fake, pebbleDir, "metrics-endpoint-relation-changed", {
    JUJU_RELATION: "metrics-endpoint",
    JUJU_RELATION_ID: `metrics-endpoint:${100 + Number(unit.split("/")[0].slice(4))}`,
    JUJU_REMOTE_APP: unit.split("/")[0],
    JUJU_REMOTE_UNIT: unit,
  });

/**
 * Runs dispatch as a whole process under /usr/bin/time; resolves wall and CPU time (ms) and the
 * peak RSS (MiB). Asynchronous: the Pebble server answering the charm lives in this process.
 */
function dispatch(e) {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(
      "bwrap",
      [
        ...["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc", "--ro-bind", hostsFile, "/etc/hosts"],
        ...[
          "--symlink",
          "usr/bin",
          "/bin",
          "--symlink",
          "usr/lib",
          "/lib",
          "--symlink",
          "usr/lib64",
          "/lib64",
        ],
        ...["--bind", "/tmp", "/tmp", "--proc", "/proc", "--dev", "/dev"],
        ...["--dir", "/charm", "--bind", pebbleDirNow, "/charm/containers"],
        ...["--unshare-uts", "--hostname", "prometheus-0"],
        ...["/usr/bin/time", "-f", "%U %S %M", join(charmDir, "dispatch")],
      ],
      { env: e, cwd: charmDir },
    );
    let err = "";
    p.stderr.on("data", (d) => {
      err += d;
    });
    p.stdout.resume();
    p.on("close", (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) return rej(new Error(`dispatch ${e.JUJU_HOOK_NAME} failed (${code}): ${err}`));
      const [user, sys, rss] = err.trim().split("\n").at(-1).split(" ").map(Number);
      res({ wall, cpu: (user + sys) * 1000, rssMiB: rss / 1024 });
    });
  });
}

/** Prometheus' own configuration loads logged since `offset`: their totalDuration in ms. */
function reloadsSince(logFile, offset) {
  if (!existsSync(logFile)) return { ms: [], offset };
  const text = readFileSync(logFile, "utf8");
  const ms = [];
  for (const line of text.slice(offset).split("\n")) {
    if (!line.includes("Completed loading of configuration file")) continue;
    const m = /totalDuration=([0-9.]+)(µs|us|ms|s|m)/.exec(line);
    if (!m) continue;
    const v = Number(m[1]);
    ms.push(m[2] === "s" ? v * 1000 : m[2] === "m" ? v * 60_000 : m[2] === "ms" ? v : v / 1000);
  }
  return { ms, offset: text.length };
}

async function prometheusReady() {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://${ADDRESS}:9090/-/ready`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("Prometheus did not become ready within 300 s");
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmtMs = (x) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(0)} ms`);

console.log(
  `prometheus-k8s hooks, bundle ${(b.bytes / 1024).toFixed(0)} KiB, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);
for (const apps of SIZES) {
  const dir = join(work, `apps-${apps}`);
  const dbDir = join(dir, "storage");
  mkdirSync(dbDir, { recursive: true });
  const pebbleDir = join(dir, "pebble");
  pebbleDirNow = pebbleDir;
  const server = new PebbleServer({
    socketPath: join(pebbleDir, "prometheus", "pebble.socket"),
    rootDir: join(dir, "root"),
    mounts: [{ containerPath: "/var/lib/prometheus", hostPath: dbDir }],
    log: () => {},
  });
  const saved = STATE === undefined ? undefined : join(STATE, `apps-${apps}-u${UNITS}-r${RULES}`);
  const reuse = saved !== undefined && existsSync(join(saved, "complete"));
  if (reuse) {
    mkdirSync(join(dir, "root"), { recursive: true });
    spawnSync("cp", ["-a", `${join(saved, "root")}/.`, join(dir, "root")]);
  }
  await server.start();
  const promLog = join(server.logDir, "prometheus.log");
  // The charm keeps its caches in its directory: each size starts without them.
  const own = readdirSync(charmDir).filter((f) => !bundled.has(f));
  if (own.length > 0) spawnSync("rm", ["-rf", ...own.map((f) => join(charmDir, f))]);
  const fake = makeStubTools(TOOLS);
  try {
    let log = { ms: [], offset: 0 };
    if (reuse) {
      spawnSync("cp", ["-a", `${join(saved, "charm")}/.`, charmDir]);
      model(fake, apps, dbDir);
      await dispatch(env(fake, pebbleDir, "prometheus-pebble-ready", { JUJU_WORKLOAD_NAME: "prometheus" }));
      await prometheusReady();
      await dispatch(env(fake, pebbleDir, "update-status"));
      log = reloadsSince(promLog, 0);
    } else {
      model(fake, 0, dbDir);
      await dispatch(env(fake, pebbleDir, "prometheus-pebble-ready", { JUJU_WORKLOAD_NAME: "prometheus" }));
      await prometheusReady();
      await dispatch(env(fake, pebbleDir, "update-status"));
      model(fake, apps, dbDir);
      log = reloadsSince(promLog, 0);
    }

    const measure = async (e, label) => {
      fake.reset();
      const r = await dispatch(e);
      log = reloadsSince(promLog, log.offset);
      const calls = fake.calls();
      if (process.env.BENCH_DEBUG && label)
        console.log(`${label}: ${calls.length} calls\n  ${calls.join("\n  ")}`);
      return { ...r, calls: calls.length, reload: log.ms.reduce((a, x) => a + x, 0) };
    };

    const first = reuse
      ? undefined
      : await measure(relationChanged(fake, pebbleDir, "app-0/0"), "first relation-changed");
    if (saved !== undefined && !reuse) {
      spawnSync("rm", ["-rf", saved]);
      mkdirSync(join(saved, "charm"), { recursive: true });
      const kept = readdirSync(charmDir).filter((f) => !bundled.has(f));
      if (kept.length > 0)
        spawnSync("cp", ["-a", ...kept.map((f) => join(charmDir, f)), join(saved, "charm")]);
      spawnSync("cp", ["-a", join(dir, "root"), join(saved, "root")]);
      writeFileSync(join(saved, "complete"), `${new Date().toISOString()}\n`);
    }
    const status = [];
    for (let i = 0; i < RUNS; i++)
      status.push(
        await measure(env(fake, pebbleDir, "update-status"), i === 0 ? "update-status" : undefined),
      );
    const steady = [];
    for (let i = 0; i < RUNS; i++) {
      // One unit's address changes: Juju runs relation-changed for it.
      const a = (i * 7919) % apps;
      const u = i % UNITS;
      fake.respond(
        "relation-get",
        `--format=json -r metrics-endpoint:${100 + a} - app-${a}/${u}`,
        unitBag(a, u, 1 + (i % 2)),
      );
      if (process.env.BENCH_PROFILE && i === RUNS - 1) {
        await dispatch({
          ...relationChanged(fake, pebbleDir, `app-${a}/${u}`),
          PATH: `${profilingNode("changed")}:${fake.bin}:/usr/sbin:/usr/bin:/sbin:/bin`,
        });
        log = reloadsSince(promLog, log.offset);
        continue;
      }
      steady.push(
        await measure(
          relationChanged(fake, pebbleDir, `app-${a}/${u}`),
          i === 0 ? "one unit changed" : undefined,
        ),
      );
    }
    const same = [];
    for (let i = 0; i < RUNS; i++)
      same.push(
        await measure(relationChanged(fake, pebbleDir, "app-1/1"), i === 0 ? "nothing changed" : undefined),
      );
    if (process.env.BENCH_PROFILE) {
      await dispatch({
        ...relationChanged(fake, pebbleDir, "app-1/1"),
        PATH: `${profilingNode("unchanged")}:${fake.bin}:/usr/sbin:/usr/bin:/sbin:/bin`,
      });
      log = reloadsSince(promLog, log.offset);
    }

    const row = (label, rs) =>
      `  ${label.padEnd(44)} wall ${fmtMs(median(rs.map((r) => r.wall))).padStart(8)}  reload ${fmtMs(median(rs.map((r) => r.reload))).padStart(8)}  charm ${fmtMs(median(rs.map((r) => r.wall - r.reload))).padStart(8)}  CPU ${fmtMs(median(rs.map((r) => r.cpu))).padStart(8)}  ${median(rs.map((r) => r.calls))} calls  RSS ${Math.max(...rs.map((r) => r.rssMiB)).toFixed(0)} MiB`;
    const size = statSync(join(dir, "root/etc/prometheus/prometheus.yml")).size;
    console.log(
      `${apps} apps x ${UNITS} units x ${RULES} rules (prometheus.yml ${(size / 1048576).toFixed(1)} MiB; medians of ${RUNS}):`,
    );
    console.log(row("update-status", status));
    if (first) console.log(row("relation-changed, first (all read and pushed)", [first]));
    else console.log(`  relation-changed, first: not run (state restored from ${saved})`);
    console.log(row("relation-changed, one unit changed", steady));
    console.log(row("relation-changed, nothing changed", same));
  } finally {
    await server.stop();
  }
}
process.exit(0);
