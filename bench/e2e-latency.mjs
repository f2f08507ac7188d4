#!/usr/bin/env node
// Latency on the local runtime from a model change to Prometheus acting on it, with the real
// charm and the real Prometheus: `charmkit scale targets N+1` until the new unit's target has been
// scraped successfully (`health: up` in /api/v1/targets), repeated; then `remove-relation` until
// the application's targets are gone. The targets scrape every 5 s, so up to 5 s of each
// "scraped" figure is the scrape interval itself.
// Usage: node --import tsx bench/e2e-latency.mjs [--reps 4]
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { getJson, LocalModel, packCharms } from "../tests/e2e/support.ts";

const reps = Number(process.argv[process.argv.indexOf("--reps") + 1] || 4);
const m = new LocalModel("bench-latency");
const bundle = join(m.home, "bundle.yaml");
const [prometheus, tester] = await packCharms(["charms/prometheus-k8s", "charms/testers/metrics-tester"]);
writeFileSync(
  bundle,
  `applications:
  prometheus: { charm: ${prometheus}, scale: 1 }
  targets: { charm: ${tester}, scale: 1 }
relations:
  - [prometheus:metrics-endpoint, targets:metrics-endpoint]
`,
);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
try {
  await m.cli("up", bundle);
  const prom = `http://${(await m.unit("prometheus/0")).fqdn}:9090`;
  const targets = async () =>
    (await getJson(`${prom}/api/v1/targets`)).data.activeTargets.filter(
      (t) => t.labels.juju_application === "targets",
    );
  const pid = m.prometheusPid();
  const toConfig = [];
  const toScraped = [];
  for (let i = 0; i < reps; i++) {
    const unit = `targets/${i + 1}`;
    const t0 = Date.now();
    await m.cli("scale", "targets", String(i + 2));
    let configured;
    for (;;) {
      const t = (await targets()).find((x) => x.labels.juju_unit === unit);
      if (t && configured === undefined) configured = Date.now() - t0;
      if (t?.health === "up") break;
      await sleep(100);
    }
    toConfig.push(configured);
    toScraped.push(Date.now() - t0);
  }
  const t0 = Date.now();
  await m.cli("remove-relation", "prometheus:metrics-endpoint", "targets:metrics-endpoint");
  while ((await targets()).length > 0) await sleep(100);
  const removal = Date.now() - t0;
  const samePid = m.prometheusPid() === pid;
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`scale-up to a new target (${reps} reps, ms):`);
  console.log(`  in Prometheus' targets: median ${med(toConfig)}, max ${Math.max(...toConfig)}`);
  console.log(`  first successful scrape: median ${med(toScraped)}, max ${Math.max(...toScraped)}`);
  console.log(`remove-relation until its targets are gone: ${removal} ms`);
  console.log(`Prometheus process unchanged throughout: ${samePid}`);
} finally {
  await m.down();
}
