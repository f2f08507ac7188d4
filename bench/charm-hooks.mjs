#!/usr/bin/env node
// Whole-process hook latency of the bundled prometheus-k8s charm. The charm is bundled once
// (bundleCharm), then its `dispatch` runs as Juju would run it, with:
// - stubbed hook tools on PATH (sh scripts answering from canned responses, see
//   packages/ops/tests/fake-tools.mjs) describing a model with N related scrape applications of
//   10 units and 20 alert rules each;
// - a real Pebble-compatible server (packages/local) whose service is the real Debian
//   prometheus, so apply really pushes files and reloads Prometheus.
// Measured: update-status (steady state), metrics-endpoint relation-changed with N apps (first
// run: render + push + reload; then steady: render + compare, nothing to push), and peak RSS of
// the hook process. Usage: node --import tsx bench/charm-hooks.mjs [--apps 50,500] [--runs 10]
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bundleCharm } from "@charmkit/build/bundle";
import { TOOLS } from "@charmkit/ops/testing/fake-tools";
import { PebbleServer } from "@charmkit/local/pebble";

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const opt = (n, d) => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : d;
};
const SIZES = opt("--apps", "50").split(",").map(Number);
const RUNS = Number(opt("--runs", "10"));
const UNITS = 10;
const RULES = 20;
const ADDRESS = "127.0.250.1";
const UUID = "00000000-0000-4000-8000-000000000000";

const work = mkdtempSync(join(tmpdir(), "charm-hooks-bench-"));
const charmDir = join(work, "charm");
const b = await bundleCharm({ charmDir: join(root, "charms/prometheus-k8s"), outDir: charmDir });
spawnSync("cp", ["-r", join(root, "charms/prometheus-k8s/alert_rules"), charmDir]);

const dbDir = join(work, "storage");
mkdirSync(dbDir, { recursive: true });
const pebbleDir = join(work, "pebble");
const server = new PebbleServer({
  socketPath: join(pebbleDir, "prometheus", "pebble.socket"),
  rootDir: join(work, "root"),
  mounts: [{ containerPath: "/var/lib/prometheus", hostPath: dbDir }],
  log: () => {},
});
await server.start?.();
await server.ready;

// Stub hook tools with one answer file per exact argv (resp/<tool>/<argv with / and spaces
// replaced>, `_default` otherwise): a lookup costs one `tr` and one `cat`, so large models do not
// pay for scanning a big answer table on every call. Each call appends its tool name to `log`.
const STUB = `#!/bin/sh
t=\${0##*/}
printf '%s\\n' "$t" >> "$FAKE_DIR/log"
case " $* " in *" --file - "*) cat > /dev/null;; esac
k=$(printf '%s' "$*" | tr ' /' '_~')
f="$FAKE_DIR/resp/$t/$k"
[ -f "$f" ] || f="$FAKE_DIR/resp/$t/_default"
[ -f "$f" ] && cat "$f"
exit 0
`;

function makeStubTools() {
  const dir = mkdtempSync(join(tmpdir(), "charm-hooks-tools-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  for (const t of TOOLS) {
    writeFileSync(join(bin, t), STUB);
    chmodSync(join(bin, t), 0o755);
    mkdirSync(join(dir, "resp", t), { recursive: true });
  }
  writeFileSync(join(dir, "log"), "");
  return {
    dir,
    bin,
    respond(tool, argv, stdout) {
      const key = argv === "*" ? "_default" : argv.replaceAll(" ", "_").replaceAll("/", "~");
      writeFileSync(join(dir, "resp", tool, key), `${stdout}\n`);
    },
    reset() {
      writeFileSync(join(dir, "log"), "");
    },
    calls() {
      return readFileSync(join(dir, "log"), "utf8")
        .split("\n")
        .filter((l) => l !== "");
    },
  };
}

const EXPRS = [
  'rate(http_requests_total{code=~"5..",%%juju_topology%%}[5m]) > 1',
  "up{%%juju_topology%%} < 1",
  "sum by (job) (rate(process_cpu_seconds_total[5m])) > 2",
  "histogram_quantile(0.99, sum(rate(req_bucket[5m])) by (le)) > 3",
];

function model(fake, apps) {
  fake.respond("is-leader", "--format=json", "true");
  fake.respond("config-get", "--format=json", "{}");
  fake.respond("storage-list", "--format=json database", '["database/0"]');
  fake.respond(
    "storage-get",
    "--format=json -s database/0",
    JSON.stringify({ kind: "filesystem", location: dbDir }),
  );
  fake.respond("state-get", "*", "{}");
  fake.respond("opened-ports", "*", '["9090/tcp"]');
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
      const unit = `${app}/${u}`;
      units.push(unit);
      fake.respond(
        "relation-get",
        `--format=json -r metrics-endpoint:${id} - ${unit}`,
        JSON.stringify({
          prometheus_scrape_unit_address: `10.${(a >> 8) & 255}.${a & 255}.${u + 1}`,
          prometheus_scrape_unit_name: unit,
        }),
      );
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

function env(fake, hook, extra = {}) {
  return {
    PATH: `${fake.bin}:${process.env.PATH}`,
    FAKE_DIR: fake.dir,
    JUJU_DISPATCH_PATH: `hooks/${hook}`,
    JUJU_HOOK_NAME: hook,
    JUJU_UNIT_NAME: "prometheus/0",
    JUJU_MODEL_NAME: "bench",
    JUJU_MODEL_UUID: UUID,
    JUJU_VERSION: "3.6.14",
    JUJU_CHARM_DIR: charmDir,
    CHARMKIT_PEBBLE_SOCKET_DIR: pebbleDir,
    CHARMKIT_UNIT_FQDN: ADDRESS,
    ...extra,
  };
}

/**
 * Runs dispatch under /usr/bin/time to get the peak RSS; resolves [ms, maxRssKiB]. Asynchronous:
 * the Pebble server answering the charm lives in this process.
 */
function dispatch(e) {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const p = spawn("/usr/bin/time", ["-f", "%M", join(charmDir, "dispatch")], { env: e });
    let err = "";
    p.stderr.on("data", (d) => {
      err += d;
    });
    p.stdout.resume();
    p.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) return rej(new Error(`dispatch ${e.JUJU_HOOK_NAME} failed (${code}): ${err}`));
      res([ms, Number(err.trim().split("\n").at(-1))]);
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (runs) =>
  `median ${median(runs.map((r) => r[0])).toFixed(0)} ms, max ${Math.max(...runs.map((r) => r[0])).toFixed(0)} ms, peak RSS ${(Math.max(...runs.map((r) => r[1])) / 1024).toFixed(0)} MiB`;

console.log(
  `prometheus-k8s hook latency, bundle ${(b.bytes / 1024).toFixed(0)} KiB, node ${process.version}`,
);
try {
  for (const apps of SIZES) {
    const fake = makeStubTools();
    model(fake, apps);
    // First start: layer, config, real Prometheus.
    await dispatch(env(fake, "prometheus-pebble-ready", { JUJU_WORKLOAD_NAME: "prometheus" }));
    if (process.env.BENCH_PROFILE)
      await dispatch({
        ...env(fake, "update-status"),
        NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}`,
      });
    const us = [];
    for (let i = 0; i < RUNS; i++) us.push(await dispatch(env(fake, "update-status")));
    const relEnv = env(fake, "metrics-endpoint-relation-changed", {
      JUJU_RELATION: "metrics-endpoint",
      JUJU_RELATION_ID: "metrics-endpoint:100",
      JUJU_REMOTE_APP: "app-0",
      JUJU_REMOTE_UNIT: "app-0/0",
    });
    fake.reset();
    const first = await dispatch(relEnv);
    const calls = fake.calls().length;
    if (process.env.BENCH_DEBUG)
      console.log(
        fake
          .calls()
          .map((c) => `${c.tool} ${c.args.join(" ")}`)
          .join("\n"),
      );
    const steady = [];
    for (let i = 0; i < RUNS; i++) steady.push(await dispatch(relEnv));
    console.log(`${apps} apps x ${UNITS} units x ${RULES} rules (${calls} hook-tool calls):`);
    console.log(`  update-status:                     ${fmt(us)}`);
    console.log(
      `  relation-changed, first (reload):  ${first[0].toFixed(0)} ms, peak RSS ${(first[1] / 1024).toFixed(0)} MiB`,
    );
    console.log(`  relation-changed, nothing changed: ${fmt(steady)}`);
  }
} finally {
  await server.stop();
}
process.exit(0);
