/**
 * End-to-end: prometheus-k8s alone on the local runtime, with the Debian prometheus. Proves the
 * charm wires up for real: the unit settles active, Prometheus listens on the unit's own address
 * and scrapes itself, the port and workload version are published, both actions answer from the
 * running workload, and a bad option blocks without replacing the running config. One model for
 * the whole file; the tests run in order on the state the previous one left.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { getJson, LocalModel, prometheusPid, query, ROOT } from "../../../tests/e2e/support.js";

interface Target {
  health: string;
  labels: Record<string, string>;
  scrapeUrl: string;
}
interface AppStatus {
  name: string;
  version?: string;
}

describe("prometheus-k8s alone on the local runtime", { timeout: 300_000 }, () => {
  const m = new LocalModel();
  let address = "";
  let prom = "";

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "prom-bundle-"));
    const bundle = join(dir, "bundle.yaml");
    writeFileSync(
      bundle,
      `applications:\n  prom:\n    charm: ${join(ROOT, "charms/prometheus-k8s")}\n    scale: 1\n`,
    );
    await m.cli("up", bundle, "--timeout", "180");
    address = (await m.unit("prom/0")).address;
    prom = `http://${address}:9090`;
  });
  after(async () => {
    await m.down();
  });

  test("the unit settles active with 9090/tcp open, Prometheus bound to the unit's own address", async () => {
    const u = await m.unit("prom/0");
    assert.equal(u.workload, "active", u.message);
    assert.deepEqual(u.ports, ["9090/tcp"]);
    assert.match(address, /^127\.\d+\.\d+\.\d+$/);
    assert.notEqual(address, "127.0.0.1", "each unit gets its own loopback address");
    assert.ok(prometheusPid(address), `a prometheus process has --web.listen-address=${address}:9090`);
    const app = (await m.status()).applications.find((a) => a.name === "prom") as AppStatus | undefined;
    assert.match(app?.version ?? "", /^\d+\.\d+\.\d+/, "workload version from `prometheus --version`");
  });

  test("the self-scrape job is up, labelled with the unit's topology", async () => {
    const s = await m.status();
    const self = await m.until(
      "self-scrape target up",
      async () => {
        const r = await getJson<{ data: { activeTargets: Target[] } }>(`${prom}/api/v1/targets`);
        const t = r.data.activeTargets.find((x) => x.labels.job === "prometheus");
        return t?.health === "up" ? t : undefined;
      },
      { timeoutMs: 60_000, unit: "prom/0" },
    );
    assert.equal(self.scrapeUrl, `http://${address}:9090/metrics`);
    assert.equal(self.labels.juju_application, "prom");
    assert.equal(self.labels.juju_unit, "prom/0");
    assert.equal(self.labels.juju_model, s.model.name);
    assert.equal(self.labels.juju_model_uuid, s.model.uuid);
    const up = await query(prom, 'up{job="prometheus"}');
    assert.equal(up[0]?.value[1], "1");
  });

  test("validate-configuration runs promtool in the workload; show-config shows the rendered config", async () => {
    const v = JSON.parse(
      await m.cli("run-action", "prom/0", "validate-configuration", "--format", "json"),
    ) as { status: string; results: Record<string, string> };
    assert.equal(v.status, "completed");
    assert.equal(v.results.valid, "True", v.results["error-message"]);
    assert.match(v.results.result ?? "", /SUCCESS/);
    const c = JSON.parse(await m.cli("run-action", "prom/0", "show-config", "--format", "json")) as {
      status: string;
      results: Record<string, string>;
    };
    assert.equal(c.status, "completed");
    assert.match(c.results["prometheus-yml"] ?? "", /job_name: prometheus/);
    assert.match(
      c.results.command ?? "",
      new RegExp(`--web\\.listen-address=${address.replace(/\./g, "\\.")}:9090`),
    );
    assert.equal(c.results.rejected, "");
  });

  test("a bad option blocks naming it while Prometheus keeps serving; fixing it returns to active", async () => {
    const pid = prometheusPid(address);
    await m.cli("config", "prom", "evaluation_interval=often");
    const blocked = await m.until(
      "blocked on evaluation_interval",
      async () => {
        const u = await m.unit("prom/0");
        return u.workload === "blocked" ? u : undefined;
      },
      { timeoutMs: 30_000, unit: "prom/0" },
    );
    assert.match(blocked.message, /evaluation_interval/);
    assert.equal(prometheusPid(address), pid, "the running Prometheus was not restarted");
    assert.equal((await query(prom, "up")).length > 0, true, "still serving queries");

    await m.cli("config", "prom", "evaluation_interval=1m");
    const back = await m.until(
      "active again",
      async () => {
        const u = await m.unit("prom/0");
        return u.workload === "active" ? u : undefined;
      },
      { timeoutMs: 30_000, unit: "prom/0" },
    );
    assert.equal(back.message, "");
  });
});
