#!/usr/bin/env node
// Scale of the prometheus-k8s charm at N related applications x 10 units x 20 rules:
// 1. the charm's metrics-endpoint relation-changed in the state-transition harness (the whole
//    reconcile: read every bag, consume, render, push over the in-memory Pebble), time and heap;
// 2. what it pushed (prometheus.yml + one rule file per relation) checked by the real
//    `promtool check config`, then loaded by the real Debian prometheus: start, then a hot
//    reload (POST /-/reload) timed until it answers, with prometheus_config_last_reload_successful;
// 3. the same with the compact rendering (`--compact`), for comparison of size and load time.
// Hook-tool process costs are not included here (see charm-hooks.mjs: ~16 calls per related app).
// Usage: node --import tsx bench/charm-scale.mjs [--apps 500,1000,2000]
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { Context, container, getContainer, relation, state, storage } from "@charmkit/ops/testing";
import PrometheusCharm from "@charmkit/prometheus-k8s/charm";
import { RULE_FILES_GLOB, renderConfig } from "@charmkit/prometheus-k8s/render";
import { consume } from "@charmkit/interfaces/prometheus-scrape";

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const opt = (n, d) => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : d;
};
const SIZES = opt("--apps", "500,1000,2000").split(",").map(Number);
/**
 * Which renderings to load into Prometheus: `charm` (what the charm pushed: compact above
 * COMPACT_JOBS_THRESHOLD jobs) and/or `other` (the other shape, for comparison).
 */
const RENDERINGS = new Set(opt("--renderings", "charm,other").split(","));
const UUID = "00000000-0000-4000-8000-000000000000";
const EXPRS = [
  'rate(http_requests_total{code=~"5..",%%juju_topology%%}[5m]) > 1',
  "up{%%juju_topology%%} < 1",
  "sum by (job) (rate(process_cpu_seconds_total[5m])) > 2",
  "histogram_quantile(0.99, sum(rate(req_bucket[5m])) by (le)) > 3",
];
const ADDRESS = opt("--address", "127.0.251.1");
const work = mkdtempSync(join(tmpdir(), "charm-scale-"));
// Reloads succeed at once: the bench measures the charm, not a Prometheus.
const okApi = () => ({ reload: async () => ({ kind: "ok" }) });

function relations(apps) {
  const out = [];
  for (let a = 0; a < apps; a++) {
    const app = `app-${a}`;
    const units = {};
    for (let u = 0; u < 10; u++)
      units[u] = {
        prometheus_scrape_unit_address: `10.${(a >> 8) & 255}.${a & 255}.${u + 1}`,
        prometheus_scrape_unit_name: `${app}/${u}`,
      };
    const rules = [];
    for (let r = 0; r < 20; r++) rules.push({ alert: `Alert${r}`, expr: EXPRS[r % EXPRS.length], for: "5m" });
    out.push(
      relation({
        endpoint: "metrics-endpoint",
        id: 100 + a,
        remoteAppName: app,
        remoteAppData: {
          scrape_metadata: JSON.stringify({
            model: "bench",
            model_uuid: UUID,
            application: app,
            unit: `${app}/0`,
            charm_name: "t",
          }),
          scrape_jobs: JSON.stringify([{ static_configs: [{ targets: ["*:8000"] }] }]),
          alert_rules: JSON.stringify({ groups: [{ name: `${app}_rules`, rules }] }),
        },
        remoteUnitsData: units,
      }),
    );
  }
  return out;
}

async function waitReady(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return true;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function load(dir) {
  const url = `http://${ADDRESS}:9090`;
  const db = join(dir, "tsdb");
  mkdirSync(db, { recursive: true });
  const t0 = Date.now();
  const p = spawn(
    "/usr/bin/prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${db}`,
      "--web.enable-lifecycle",
      `--web.listen-address=${ADDRESS}:9090`,
    ],
    { stdio: "ignore" },
  );
  try {
    if (!(await waitReady(url, 300_000))) throw new Error("prometheus did not become ready");
    const start = Date.now() - t0;
    const t1 = Date.now();
    const res = await fetch(`${url}/-/reload`, { method: "POST" });
    const reload = Date.now() - t1;
    const metrics = await (await fetch(`${url}/metrics`)).text();
    return { start, reload, ok: res.ok && /^prometheus_config_last_reload_successful 1$/m.test(metrics) };
  } finally {
    p.kill("SIGTERM");
    await new Promise((r) => p.once("exit", r));
  }
}

console.log(`prometheus-k8s at scale, node ${process.version}, prometheus 2.42 (Debian)`);
for (const apps of SIZES) {
  const rels = relations(apps);
  const st = state({
    // The related applications' own model (their scrape_metadata's): same-model relations.
    model: { name: "bench", uuid: UUID, type: "kubernetes" },
    leader: true,
    relations: rels,
    containers: [container({ name: "prometheus", canConnect: true })],
    storages: [storage({ name: "database", location: work })],
    // The workload version the charm read at pebble-ready: Debian's 2.42 (no fallback_scrape_protocol).
    storedStates: { prometheus: { version: "2.42.0", retryPending: false, lastStatus: "" } },
  });
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const ctx = new Context(PrometheusCharm, {
    charmDir: join(root, "charms/prometheus-k8s"),
    create: (f) => new PrometheusCharm(f, { prometheusApi: okApi }),
  });
  const t0 = performance.now();
  const out = await ctx.run(ctx.on.relationChanged(rels[0]), st);
  const hookMs = performance.now() - t0;
  const heap = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
  const fs = getContainer(out, "prometheus").filesystem;
  const dir = join(work, String(apps));
  mkdirSync(join(dir, "rules"), { recursive: true });
  let ruleBytes = 0;
  for (const [p, c] of Object.entries(fs))
    if (p.startsWith("/etc/prometheus/rules/")) {
      writeFileSync(join(dir, "rules", basename(p)), c);
      ruleBytes += c.length;
    }
  const cfg = fs["/etc/prometheus/prometheus.yml"]
    .split(RULE_FILES_GLOB)
    .join(join(dir, "rules", "juju_*.rules"));
  writeFileSync(join(dir, "prometheus.yml"), cfg);
  const charmCompact = cfg.includes("_units\n");
  const jobs = (cfg.match(/^- job_name:|^ {2}job_name:/gm) ?? []).length;
  const t1 = performance.now();
  execFileSync("/usr/bin/promtool", ["check", "config", join(dir, "prometheus.yml")], { stdio: "pipe" });
  const promtoolMs = performance.now() - t1;
  const loaded = RENDERINGS.has("charm") ? await load(dir) : { start: NaN, reload: NaN, ok: "not loaded" };
  console.log(
    `${apps} apps, charm (${charmCompact ? "compact" : "per-unit"}): reconcile ${hookMs.toFixed(0)} ms in process (heap +${heap.toFixed(0)} MiB, status ${out.unitStatus.name}); ` +
      `prometheus.yml ${(cfg.length / 2 ** 20).toFixed(1)} MiB, ${jobs} jobs, rules ${(ruleBytes / 2 ** 20).toFixed(1)} MiB; ` +
      `promtool ${promtoolMs.toFixed(0)} ms; prometheus start ${loaded.start} ms, hot reload ${loaded.reload} ms (ok: ${loaded.ok})`,
  );
  // The other rendering of the same relations (per-unit if the charm compacted, else compact).
  const snaps = rels.map((r) => ({
    id: r.id,
    endpoint: "metrics-endpoint",
    remoteApp: r.remoteAppName,
    remoteAppData: r.remoteAppData,
    remoteUnitsData: Object.fromEntries(
      Object.entries(r.remoteUnitsData).map(([n, d]) => [`${r.remoteAppName}/${n}`, d]),
    ),
  }));
  const t2 = performance.now();
  const compactJobs = consume(snaps, { model: { name: "bench", uuid: UUID }, compact: !charmCompact }).jobs;
  const compactMs = performance.now() - t2;
  const compactCfg = renderConfig({
    topology: { model: "bench", modelUuid: UUID, application: "prometheus", unit: "prometheus/0" },
    fqdn: ADDRESS,
    tls: false,
    maxExemplars: 0,
    jobs: compactJobs,
    alertmanagers: [],
    prometheusMajor: 2,
  })
    .config.split(RULE_FILES_GLOB)
    .join(join(dir, "rules", "juju_*.rules"));
  writeFileSync(join(dir, "prometheus.yml"), compactCfg);
  rmSync(join(dir, "tsdb"), { recursive: true, force: true });
  const t3 = performance.now();
  execFileSync("/usr/bin/promtool", ["check", "config", join(dir, "prometheus.yml")], { stdio: "pipe" });
  const compactPromtool = performance.now() - t3;
  const compactLoaded = RENDERINGS.has("other")
    ? await load(dir)
    : { start: NaN, reload: NaN, ok: "not loaded" };
  console.log(
    `${apps} apps, ${charmCompact ? "per-unit (Python's shape)" : "compact"}: consume ${compactMs.toFixed(0)} ms; prometheus.yml ${(compactCfg.length / 2 ** 20).toFixed(1)} MiB, ${compactJobs.length + 1} jobs; ` +
      `promtool ${compactPromtool.toFixed(0)} ms; prometheus start ${compactLoaded.start} ms, hot reload ${compactLoaded.reload} ms (ok: ${compactLoaded.ok})`,
  );
  rmSync(dir, { recursive: true, force: true });
}
rmSync(work, { recursive: true, force: true });
process.exit(0);
