/**
 * End to end: the Debian prometheus binary run as a Pebble service from a layer, its config
 * written through the files API at /etc/prometheus/prometheus.yml (which the process sees through
 * its mount namespace, not the host's Debian file), answering /-/ready, then reloaded over HTTP.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { eventually, type Harness, startHarness } from "./test-helpers.js";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const config = (interval: string) => `global:\n  scrape_interval: ${interval}\nscrape_configs: []\n`;

test("prometheus runs from a layer with a config pushed over the files API and reloads", {
  timeout: 60_000,
}, async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  await h.client.push("/etc/prometheus/prometheus.yml", config("17s"), { makeDirs: true });
  await h.client.makeDir("/var/lib/prometheus", { makeParents: true });
  const command = [
    "/usr/bin/prometheus",
    "--config.file=/etc/prometheus/prometheus.yml",
    "--storage.tsdb.path=/var/lib/prometheus",
    `--web.listen-address=127.0.0.1:${port}`,
    "--web.enable-lifecycle",
  ].join(" ");
  await h.client.addLayer(
    "prometheus",
    { services: { prometheus: { override: "replace", command, startup: "enabled", "kill-delay": "3s" } } },
    { combine: true },
  );
  await h.client.replan();
  await eventually(
    async () => (await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200,
    20_000,
    100,
  );
  const cfg = async () =>
    ((await (await fetch(`${base}/api/v1/status/config`)).json()) as { data: { yaml: string } }).data.yaml;
  assert.match(await cfg(), /scrape_interval: 17s/, "prometheus read the unit's file, not the host's");

  await h.client.push("/etc/prometheus/prometheus.yml", config("23s"));
  const reload = await fetch(`${base}/-/reload`, { method: "POST" });
  assert.equal(reload.status, 200);
  assert.match(await cfg(), /scrape_interval: 23s/);
  // Its own /metrics (not the TSDB: this config scrapes nothing) confirms the reload took.
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /^prometheus_config_last_reload_successful 1$/m);

  // Data lands in the unit's own tree.
  const files = await h.client.listFiles("/var/lib/prometheus");
  assert.ok(
    files.some((f) => f.name === "wal"),
    "TSDB wal created under the unit's /var/lib/prometheus",
  );

  await h.client.stopServices(["prometheus"]);
  assert.equal((await h.client.getServices(["prometheus"]))[0]?.current, "inactive");
});
