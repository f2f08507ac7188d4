#!/usr/bin/env node
// Whole-process hook times, side by side: the packed prometheus-k8s charm (its own Node, through
// its `dispatch`) against a minimal Python ops charm (through charmcraft's Python `dispatch`),
// with the same stub hook tools on PATH (bench/stub-tools.mjs) and medians over N runs of
// update-status and a relation-changed. The TypeScript charm talks to a real Pebble-compatible
// server (packages/local) supervising the real Debian prometheus, as in bench/charm-hooks.mjs.
//
// The Python side is not part of this repository. Get it with:
//   git clone https://github.com/canonical/operator            # ops 3.x, and its test charms
//   apt-get install python3-yaml python3-websocket             # what ops imports
// ops 3 also imports opentelemetry-api; when `python3 -c 'import opentelemetry.trace'` fails
// (Debian bookworm has no package for it and this workplace reaches no PyPI), the script puts a
// no-op stand-in for the few calls ops makes into the charm's venv/ and says so.
//
// It starts the real prometheus (listening on every address of the host, as in a pod) and links
// /charm/containers/prometheus to its Pebble socket (the path the SDK uses on Juju), so run it as
// root in a network namespace of its own, away from the local model's addresses:
//   unshare -n sh -c 'ip link set lo up && node --import tsx bench/hooks-vs-ops.mjs --ops ./operator'
// BENCH_DEBUG=1 prints each hook's tool calls and the Pebble log; BENCH_PROFILE=DIR writes a V8
// CPU profile of one extra run of each TypeScript hook.
//
// Usage: node --import tsx bench/hooks-vs-ops.mjs --ops ./operator
//          [--python-charm DIR (default: <ops>/test/charms/test_relation)]
//          [--charm FILE.charm | DIR (default: dist/prometheus-k8s_ubuntu@24.04-amd64.charm,
//           made by `npm run pack`); repeat it to compare builds A, B, ... run interleaved]
//          [--python /usr/bin/python3] [--runs 21]
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { PebbleServer } from "@charmkit/local/pebble";
import { makeStubTools } from "./stub-tools.mjs";

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const opt = (n, d) => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : d;
};
const OPS = opt("--ops");
if (!OPS || !existsSync(join(OPS, "ops", "__init__.py"))) {
  console.error(
    "usage: node --import tsx bench/hooks-vs-ops.mjs --ops <canonical/operator checkout> [--python-charm DIR] [--charm FILE.charm|DIR] [--runs N]\n" +
      "  git clone https://github.com/canonical/operator; apt-get install python3-yaml python3-websocket",
  );
  process.exit(2);
}
const PY_CHARM = opt("--python-charm", join(OPS, "test/charms/test_relation"));
/** Every `--charm` given (A/B comparisons run them interleaved), else `npm run pack`'s output. */
const PACKED = args.flatMap((a, i) => (a === "--charm" && args[i + 1] ? [args[i + 1]] : []));
if (PACKED.length === 0) PACKED.push(join(root, "dist/prometheus-k8s_ubuntu@24.04-amd64.charm"));
const PYTHON = opt("--python", "/usr/bin/python3");
const RUNS = Number(opt("--runs", "21"));
const UUID = "00000000-0000-4000-8000-000000000000";
const TOOLS = [
  ...["relation-ids", "relation-list", "relation-get", "relation-set", "relation-model-get"],
  ...["config-get", "is-leader", "status-get", "status-set", "application-version-set", "juju-log"],
  ...["action-get", "action-set", "action-log", "action-fail", "network-get", "open-port"],
  ...["close-port", "opened-ports", "storage-list", "storage-get", "storage-add", "state-get"],
  ...["state-set", "state-delete", "goal-state", "secret-add", "secret-get", "secret-ids"],
  ...["secret-info-get", "secret-set", "secret-grant", "secret-revoke", "secret-remove"],
  ...["credential-get", "leader-get", "leader-set", "resource-get", "juju-reboot"],
];
const work = mkdtempSync(join(tmpdir(), "hooks-vs-ops-"));
/** What ops 3 calls of opentelemetry.trace, doing nothing (see the header). */
const OTEL_STANDIN = `"""No-op stand-in for opentelemetry.trace, written by bench/hooks-vs-ops.mjs."""
import contextlib


class _SpanContext:
    trace_id = 0
    span_id = 0
    is_valid = False


class _Span:
    def get_span_context(self):
        return _SpanContext()

    def is_recording(self):
        return False

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class _Tracer:
    @contextlib.contextmanager
    def start_as_current_span(self, *args, **kwargs):
        yield _Span()

    def start_span(self, *args, **kwargs):
        return _Span()


def get_tracer(*args, **kwargs):
    return _Tracer()


def get_current_span(*args, **kwargs):
    return _Span()
`;

// ----- the TypeScript charm, as packed ------------------------------------------------------------

/** One TypeScript charm to time: where it is unpacked and how it was given. */
const variants = PACKED.map((given, i) => {
  const dir = join(work, `prometheus-k8s-${i}`);
  let runtime;
  if (given.endsWith(".charm") && existsSync(given)) {
    // Juju unpacks the zip keeping unix modes; unzip does the same.
    const r = spawnSync("unzip", ["-q", given, "-d", dir], { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`cannot unpack ${given}`);
    runtime = `packed ${given}`;
  } else if (existsSync(join(given, "dispatch"))) {
    cpSync(given, dir, { recursive: true });
    runtime = `staged tree ${given}`;
  } else {
    console.error(`no packed charm at ${given}: run \`npm run pack\` first, or pass --charm`);
    process.exit(2);
  }
  runtime += existsSync(join(dir, "node", "bin", "node")) ? " (its own Node)" : " (Node on PATH)";
  return { label: PACKED.length > 1 ? String.fromCharCode(65 + i) : "TypeScript", dir, runtime };
});

// The charm finds its container's Pebble at /charm/containers/<c>/pebble.socket, as on Juju.
const pebbleDir = join(work, "containers");
const dbDir = join(work, "storage");
mkdirSync(dbDir, { recursive: true });
const server = new PebbleServer({
  socketPath: join(pebbleDir, "prometheus", "pebble.socket"),
  rootDir: join(work, "root"),
  mounts: [{ containerPath: "/var/lib/prometheus", hostPath: dbDir }],
  log: process.env.BENCH_DEBUG ? (l) => console.error(`pebble: ${l}`) : () => {},
});
await server.start();
const charmLink = "/charm/containers/prometheus";
let linked = false;
if (!existsSync(charmLink)) {
  try {
    mkdirSync("/charm/containers", { recursive: true });
    symlinkSync(join(pebbleDir, "prometheus"), charmLink);
    linked = true;
  } catch (e) {
    console.error(`cannot link ${charmLink} (${e.message}); the charm will not reach Pebble`);
  }
}

const tsFake = makeStubTools(TOOLS);
const PROM_APPS = 2;
function prometheusModel(fake, apps) {
  fake.respond("is-leader", "*", "true");
  fake.respond("config-get", "*", "{}");
  fake.respond("storage-list", "*", '["database/0"]');
  fake.respond("storage-get", "*", JSON.stringify({ kind: "filesystem", location: dbDir }));
  fake.respond("state-get", "*", "{}");
  fake.respond("opened-ports", "*", '["9090/tcp"]');
  fake.respond("relation-ids", "*", "[]");
  fake.respond("relation-get", "*", "{}");
  fake.respond("relation-list", "*", "[]");
  // jujuc's relation-model-get prints the model of the relation's remote side.
  fake.respond("relation-model-get", "*", JSON.stringify({ uuid: UUID }));
  fake.respond("status-get", "*", JSON.stringify({ message: "", status: "active", "status-data": {} }));
  fake.respond(
    "network-get",
    "*",
    JSON.stringify({
      "bind-addresses": [
        {
          "mac-address": "",
          "interface-name": "eth0",
          addresses: [{ hostname: "", value: "127.0.250.1", cidr: "127.0.250.1/32" }],
        },
      ],
      "egress-subnets": ["127.0.250.1/32"],
      "ingress-addresses": ["127.0.250.1"],
    }),
  );
  const ids = [];
  for (let a = 0; a < apps; a++) {
    const id = 100 + a;
    const app = `app-${a}`;
    ids.push(`metrics-endpoint:${id}`);
    const units = [`${app}/0`, `${app}/1`];
    for (const [u, unit] of units.entries()) {
      fake.respond(
        "relation-get",
        `--format=json -r metrics-endpoint:${id} - ${unit}`,
        JSON.stringify({
          prometheus_scrape_unit_address: `10.1.${a}.${u + 1}`,
          prometheus_scrape_unit_name: unit,
        }),
      );
    }
    fake.respond("relation-list", `--format=json -r metrics-endpoint:${id}`, JSON.stringify(units));
    fake.respond("relation-list", `--format=json --app -r metrics-endpoint:${id}`, JSON.stringify(app));
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
        alert_rules: JSON.stringify({
          groups: [{ name: `${app}_rules`, rules: [{ alert: "Up", expr: "up{%%juju_topology%%} < 1" }] }],
        }),
      }),
    );
  }
  fake.respond("relation-ids", "metrics-endpoint --format=json", JSON.stringify(ids));
}
// Prometheus starts alone (as a fresh deploy does) and the scrape relations come afterwards.
prometheusModel(tsFake, 0);

// ----- the Python ops charm, as charmcraft packs it -----------------------------------------------

const pyCharm = join(work, "python-charm");
cpSync(PY_CHARM, pyCharm, { recursive: true, filter: (s) => !s.includes("/.git") });
const meta = parseYaml(readFileSync(join(pyCharm, "charmcraft.yaml"), "utf8"));
if (!existsSync(join(pyCharm, "metadata.yaml"))) {
  const drop = new Set([
    "type",
    "base",
    "build-base",
    "platforms",
    "parts",
    "config",
    "actions",
    "bases",
    "title",
  ]);
  const md = Object.fromEntries(Object.entries(meta).filter(([k]) => !drop.has(k)));
  if (meta.title) md["display-name"] = meta.title;
  writeFileSync(join(pyCharm, "metadata.yaml"), stringifyYaml(md));
  if (meta.config) writeFileSync(join(pyCharm, "config.yaml"), stringifyYaml(meta.config));
  if (meta.actions) writeFileSync(join(pyCharm, "actions.yaml"), stringifyYaml(meta.actions));
}
// charmcraft's dispatch for a Python charm (charmcraft/dispatch.py), with the interpreter named.
writeFileSync(
  join(pyCharm, "dispatch"),
  `#!/bin/sh\n\nJUJU_DISPATCH_PATH="\${JUJU_DISPATCH_PATH:-$0}" PYTHONPATH=lib:venv \\\n  exec ${PYTHON} ./src/charm.py\n`,
);
chmodSync(join(pyCharm, "dispatch"), 0o755);
mkdirSync(join(pyCharm, "venv"), { recursive: true });
cpSync(join(OPS, "ops"), join(pyCharm, "venv", "ops"), { recursive: true });
let otel = "opentelemetry-api from the system";
if (spawnSync(PYTHON, ["-c", "import opentelemetry.trace"]).status !== 0) {
  otel = "a no-op opentelemetry.trace stand-in (opentelemetry-api not installable here)";
  mkdirSync(join(pyCharm, "venv", "opentelemetry"), { recursive: true });
  writeFileSync(join(pyCharm, "venv", "opentelemetry", "__init__.py"), "");
  writeFileSync(join(pyCharm, "venv", "opentelemetry", "trace.py"), OTEL_STANDIN);
}
const endpoints = [
  ...Object.keys(meta.requires ?? {}),
  ...Object.keys(meta.provides ?? {}),
  ...Object.keys(meta.peers ?? {}),
];
const pyEndpoint = endpoints[0];
if (!pyEndpoint) throw new Error(`${PY_CHARM} declares no relation endpoint to run relation-changed on`);
const pyFake = makeStubTools(TOOLS);
pyFake.respond("is-leader", "*", "true");
pyFake.respond("config-get", "*", "{}");
pyFake.respond("relation-ids", "*", JSON.stringify([`${pyEndpoint}:7`]));
pyFake.respond("relation-list", "*", '["remote/0"]');
pyFake.respond("relation-get", "*", "{}");
pyFake.respond("status-get", "*", JSON.stringify({ message: "", status: "active", "status-data": {} }));
pyFake.respond("state-get", "*", "{}");
pyFake.respond("goal-state", "*", '{"units":{},"relations":{}}');

// ----- running ------------------------------------------------------------------------------------

function jujuEnv(fake, charmDir, unit, hook, extra = {}) {
  return {
    PATH: `${fake.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    FAKE_DIR: fake.dir,
    JUJU_DISPATCH_PATH: `hooks/${hook}`,
    JUJU_HOOK_NAME: hook,
    JUJU_UNIT_NAME: unit,
    JUJU_MODEL_NAME: "bench",
    JUJU_MODEL_UUID: UUID,
    JUJU_VERSION: "3.6.14",
    JUJU_CHARM_DIR: charmDir,
    JUJU_CONTEXT_ID: `${unit}-${hook}-1`,
    LANG: "C.UTF-8",
    ...extra,
  };
}

/**
 * Times one process: forks, execs argv[1], and reports wall time from the fork to the end of
 * wait4, and the user and system CPU time wait4 returns for the child (which includes every
 * process it waited for), in ms with microsecond resolution. GNU time prints the same rusage
 * only to 10 ms, too coarse for hooks that take 50-100 ms; the wrapper's own start is not counted.
 */
const TIMER = `
import os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, ru = os.wait4(pid, 0)
wall = (time.perf_counter() - t0) * 1000
sys.stderr.write("\\n%.3f %.3f %.3f\\n" % (wall, ru.ru_utime * 1000, ru.ru_stime * 1000))
sys.exit(os.waitstatus_to_exitcode(status))
`;

/**
 * Runs one dispatch as a whole process under TIMER; resolves its wall time and the CPU time
 * (user + system) of the hook and every process it waited for (hook tools included), in ms.
 * CPU time is the steadier figure on a shared machine.
 */
function dispatch(charmDir, env) {
  return new Promise((res, rej) => {
    const p = spawn(PYTHON, ["-c", TIMER, join(charmDir, "dispatch")], { env, cwd: charmDir });
    let err = "";
    p.stderr.on("data", (d) => {
      err += d;
    });
    p.stdout.resume();
    p.on("close", (code) => {
      if (code !== 0) return rej(new Error(`${charmDir} ${env.JUJU_HOOK_NAME} failed (${code}): ${err}`));
      const [wall, user, sys] = err.trim().split("\n").at(-1).split(" ").map(Number);
      res({ wall, cpu: user + sys });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A hook's first runs: page cache and code cache warmed, tool calls of one run recorded. */
async function warm(charmDir, fake, env) {
  await dispatch(charmDir, env);
  fake.reset();
  await dispatch(charmDir, env);
  const calls = fake.calls().length;
  if (process.env.BENCH_DEBUG) console.log(`${env.JUJU_HOOK_NAME}:\n  ${fake.calls().join("\n  ")}`);
  return calls;
}

function summary(runs, calls) {
  const wall = runs.map((r) => r.wall);
  return { median: median(wall), min: Math.min(...wall), cpu: median(runs.map((r) => r.cpu)), calls };
}

const loadAtStart = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const results = [];
try {
  const tsEnv = (v, hook, extra) => jujuEnv(tsFake, v.dir, "prometheus/0", hook, extra);
  const rel = (ep, id, app) => ({
    JUJU_RELATION: ep,
    JUJU_RELATION_ID: `${ep}:${id}`,
    JUJU_REMOTE_APP: app,
    JUJU_REMOTE_UNIT: `${app}/0`,
  });
  for (const v of variants) {
    await dispatch(v.dir, tsEnv(v, "install"));
    await dispatch(v.dir, tsEnv(v, "prometheus-pebble-ready", { JUJU_WORKLOAD_NAME: "prometheus" }));
  }
  // Measure the steady state: Prometheus up, so update-status has nothing to reconcile.
  await prometheusReady();
  for (const v of variants) await dispatch(v.dir, tsEnv(v, "update-status"));
  prometheusModel(tsFake, PROM_APPS);
  for (const v of variants) {
    await dispatch(
      v.dir,
      tsEnv(v, "metrics-endpoint-relation-changed", rel("metrics-endpoint", 100, "app-0")),
    );
  }
  const pyEnv = (hook, extra) => jujuEnv(pyFake, pyCharm, "bench-py/0", hook, extra);
  await dispatch(pyCharm, pyEnv("install"));
  for (const [name, ts, py] of [
    ["update-status", (v) => tsEnv(v, "update-status"), pyEnv("update-status")],
    [
      "relation-changed",
      (v) => tsEnv(v, "metrics-endpoint-relation-changed", rel("metrics-endpoint", 100, "app-0")),
      pyEnv(`${pyEndpoint}-relation-changed`, rel(pyEndpoint, 7, "remote")),
    ],
  ]) {
    if (process.env.BENCH_PROFILE) {
      // One extra run of each TypeScript hook with V8's CPU profiler (not counted).
      for (const v of variants) {
        await dispatch(v.dir, {
          ...ts(v),
          NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}`,
        });
      }
    }
    const calls = [];
    for (const v of variants) calls.push(await warm(v.dir, tsFake, ts(v)));
    const pyCalls = await warm(pyCharm, pyFake, py);
    // Interleaved: each round runs every variant and the Python charm once, so a change of the
    // machine's load hits them alike.
    const runs = variants.map(() => []);
    const pyRuns = [];
    for (let i = 0; i < RUNS; i++) {
      for (const [k, v] of variants.entries()) runs[k].push(await dispatch(v.dir, ts(v)));
      pyRuns.push(await dispatch(pyCharm, py));
    }
    results.push({
      name,
      ts: variants.map((_, k) => summary(runs[k], calls[k])),
      py: summary(pyRuns, pyCalls),
    });
  }
} finally {
  await server.stop();
  if (linked) rmSync(charmLink, { force: true });
}

console.log(
  `hooks as whole processes, wall-time median of ${RUNS} runs, same stub hook tools, ${new Date().toISOString().slice(0, 10)}`,
);
for (const v of variants) {
  console.log(
    `  prometheus-k8s${variants.length > 1 ? ` ${v.label}` : ""}: ${v.runtime}; real Pebble server and Debian prometheus; ${PROM_APPS} related apps`,
  );
}
console.log(
  `  python charm:   ${PY_CHARM.split("/").slice(-2).join("/")} with ops ${opsVersion()} on ${pythonVersion()}; ${otel}`,
);
for (const r of results) {
  const f = (x) =>
    `${x.median.toFixed(0)} ms (min ${x.min.toFixed(0)}, CPU ${x.cpu.toFixed(0)}), ${x.calls} tool calls`;
  for (const [k, v] of variants.entries()) {
    const ts = r.ts[k];
    console.log(
      `  ${r.name.padEnd(17)} ${v.label} ${f(ts)} | Python ${f(r.py)} | ${(r.py.median / ts.median).toFixed(1)}x wall, ${(r.py.cpu / ts.cpu).toFixed(1)}x CPU`,
    );
  }
}
console.log(
  `  load average: ${loadAtStart} at the start, ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")} at the end`,
);
process.exit(0);

async function prometheusReady() {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch("http://127.0.250.1:9090/-/ready")).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("Prometheus did not become ready within 60 s");
}

function opsVersion() {
  const m = /version\s*(?::\s*str\s*)?=\s*'([^']+)'/.exec(
    readFileSync(join(OPS, "ops", "version.py"), "utf8"),
  );
  return m?.[1] ?? "?";
}

function pythonVersion() {
  return spawnSync(PYTHON, ["--version"], { encoding: "utf8" }).stdout.trim();
}
