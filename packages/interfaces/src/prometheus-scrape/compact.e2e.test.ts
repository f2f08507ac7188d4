/**
 * The compact rendering labels every series exactly like the one-job-per-unit rendering: both
 * configs are loaded by the real Debian prometheus, scraping the same small metrics servers, and
 * the label sets of what they scraped are compared.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RelationSnapshot } from "@charmkit/ops";
import { stringify } from "yaml";
import { consume } from "./consumer.js";

const UNITS = ["127.0.252.1", "127.0.252.2", "127.0.252.3"];
const UUID = "a1b2c3d4-1111-4222-8333-444455556666";
const rel: RelationSnapshot = {
  id: 7,
  endpoint: "metrics-endpoint",
  remoteApp: "node",
  remoteAppData: {
    scrape_metadata: JSON.stringify({
      model: "cos",
      model_uuid: UUID,
      application: "node",
      charm_name: "node-k8s",
    }),
    scrape_jobs: JSON.stringify([
      { job_name: "main", static_configs: [{ targets: ["*:9109"], labels: { tier: "web" } }] },
      { job_name: "extra", metrics_path: "/other", static_configs: [{ targets: ["*:9109"] }] },
    ]),
  },
  remoteUnitsData: Object.fromEntries(
    UNITS.map((a, i) => [
      `node/${i}`,
      { prometheus_scrape_unit_address: a, prometheus_scrape_unit_name: `node/${i}` },
    ]),
  ),
};

function config(jobs: readonly Record<string, unknown>[]): string {
  return stringify({
    global: { scrape_interval: "1s", scrape_timeout: "1s" },
    scrape_configs: jobs.map((j) => ({ ...j, honor_labels: true })),
  });
}

type LabelSet = Record<string, string>;
const key = (l: LabelSet) => JSON.stringify(Object.entries(l).sort());

describe("compact rendering against the real Prometheus", () => {
  const servers: Server[] = [];
  const procs: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "compact-"));

  before(async () => {
    for (const host of UNITS) {
      const s = createServer((req, res) => {
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
        res.end(`probe_value{path="${req.url}"} 1\n`);
      });
      await new Promise<void>((r) => s.listen(9109, host, r));
      servers.push(s);
    }
  });
  after(async () => {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  async function scraped(
    name: string,
    jobs: readonly Record<string, unknown>[],
    listen: string,
  ): Promise<LabelSet[]> {
    const d = join(dir, name);
    mkdirSync(join(d, "data"), { recursive: true });
    writeFileSync(join(d, "prometheus.yml"), config(jobs));
    const p = spawn(
      "/usr/bin/prometheus",
      [
        `--config.file=${join(d, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(d, "data")}`,
        `--web.listen-address=${listen}`,
      ],
      { stdio: "ignore" },
    );
    procs.push(p);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const r = (await (await fetch(`http://${listen}/api/v1/query?query=probe_value`)).json()) as {
          data: { result: { metric: LabelSet }[] };
        };
        if (r.data.result.length === 6) return r.data.result.map((x) => x.metric);
      } catch {}
      if (Date.now() > deadline) throw new Error(`${name}: prometheus did not scrape the 6 targets`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it("same series and labels with ~1/3 of the jobs here (1/N with N units)", async () => {
    const model = { name: "cos", uuid: UUID };
    const perUnit = consume([rel], { model }).jobs;
    const compact = consume([rel], { model, compact: true }).jobs;
    assert.equal(perUnit.length, 6);
    assert.equal(compact.length, 2);
    const [a, b] = await Promise.all([
      scraped("per-unit", perUnit, "127.0.252.10:9090"),
      scraped("compact", compact, "127.0.252.11:9090"),
    ]);
    assert.deepEqual(a.map(key).sort(), b.map(key).sort());
    // And the labels are the topology ones, per unit.
    for (const l of a) {
      assert.match(l.juju_unit ?? "", /^node\/\d$/);
      assert.match(l.job ?? "", /^juju_cos_a1b2c3d4_node_prometheus_scrape_(main|extra)-\d$/);
      assert.equal(l.instance, `cos_${UUID}_node_${l.juju_unit}`);
    }
  });
});
