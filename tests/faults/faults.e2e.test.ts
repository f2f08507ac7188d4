/**
 * Faults on the local runtime with the real charm and the real Prometheus: a hook process killed
 * midway, the whole runtime stopped and started again, and Prometheus stopped while a reload is
 * due. Each time: no lost configuration, no lost TSDB data, and the unit converges to active by
 * itself, its status saying what happened meanwhile.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { getJson, LocalModel, packCharms, query } from "../e2e/support.js";

describe("faults on the local runtime", { timeout: 600_000 }, () => {
  const m = new LocalModel("e2e-faults");
  const bundle = join(m.home, "bundle.yaml");
  let prom = "";

  const targetsUp = async (n: number) =>
    m.until(`${n} targets up`, async () => {
      const t = (
        await getJson<{ data: { activeTargets: { health: string; labels: Record<string, string> }[] } }>(
          `${prom}/api/v1/targets`,
        )
      ).data.activeTargets.filter((x) => x.labels.juju_charm === "metrics-tester");
      return t.length === n && t.every((x) => x.health === "up") ? t : undefined;
    });
  const active = () =>
    m.until(
      "prometheus/0 active",
      async () => {
        const u = await m.unit("prometheus/0");
        return u.workload === "active" && u.agent === "idle" ? u : undefined;
      },
      { timeoutMs: 120_000, unit: "prometheus/0" },
    );

  before(async () => {
    const [prometheus, tester] = await packCharms(["charms/prometheus-k8s", "charms/testers/metrics-tester"]);
    writeFileSync(
      bundle,
      `applications:
  prometheus: { charm: ${prometheus}, scale: 1 }
  targets: { charm: ${tester}, scale: 2 }
relations:
  - [prometheus:metrics-endpoint, targets:metrics-endpoint]
`,
    );
    await m.cli("up", bundle, "--timeout", "180");
    prom = `http://${(await m.unit("prometheus/0")).fqdn}:9090`;
    await targetsUp(2);
  });
  after(async () => {
    await m.down();
  });

  test("a hook killed midway is retried and the unit converges, config intact", async () => {
    // Start a change and kill the first prometheus hook that shows up for it.
    const scaling = m.cli("scale", "targets", "3");
    let killed = 0;
    const deadline = Date.now() + 60_000;
    while (killed === 0 && Date.now() < deadline) {
      // A hook of prometheus/0 is its packed Node running the charm, in the unit's pod.
      for (const pid of m.podPids("prometheus/0", "node")) {
        try {
          process.kill(pid, "SIGKILL");
          killed += 1;
        } catch {}
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await scaling;
    assert.ok(killed > 0, "a prometheus hook was caught running and killed");
    // The runtime retries the failed hook; the new unit ends up scraped.
    await targetsUp(3);
    const u = await active();
    assert.equal(u.message, "");
  });

  test("Prometheus stopped while its config changes: retried on update-status, nothing lost", async () => {
    const before = Date.now() / 1000;
    const samples = await query(prom, "tester_up", before);
    assert.equal(samples.length, 3);
    const pid = m.prometheusPid();
    assert.ok(pid);
    // Freeze Prometheus: the charm's reload cannot be answered.
    process.kill(pid, "SIGSTOP");
    try {
      await m.cli("scale", "targets", "2");
      const waiting = await m.until(
        "prometheus says it is waiting on Prometheus",
        async () => {
          const x = await m.unit("prometheus/0");
          return x.workload !== "active" ? x : undefined;
        },
        { timeoutMs: 200_000 },
      );
      // The reload timed out (Prometheus answers nothing while stopped): the charm keeps it pending
      // for update-status, and says so, not that it failed (status.ts, "reload-pending").
      assert.deepEqual(
        { workload: waiting.workload, message: waiting.message },
        {
          workload: "maintenance",
          message: "Waiting for Prometheus to load its configuration; will retry on update-status",
        },
      );
    } finally {
      process.kill(pid, "SIGCONT");
    }
    // It converges by itself (update-status retries the reload), with the new config applied.
    await active();
    await targetsUp(2);
    assert.equal(m.prometheusPid(), pid, "no restart was needed");
    assert.equal((await query(prom, "tester_up", before)).length, 3, "older samples are kept");
  });

  test("the runtime stopped and started again: model, config and TSDB survive", async () => {
    const before = Date.now() / 1000;
    const samples = await query(prom, "tester_up", before);
    assert.ok(samples.length >= 2);
    await m.cli("down", "--keep");
    assert.equal(m.prometheusPid(), undefined, "every workload stopped");
    await m.cli("up", bundle, "--timeout", "180");
    const s = await m.status();
    assert.deepEqual(
      s.units.map((u) => u.name).sort(),
      ["prometheus/0", "targets/0", "targets/1"],
      "the same units come back",
    );
    await active();
    await targetsUp(2);
    const again = await m.until("pre-restart samples", async () => {
      const r = await query(prom, "tester_up", before);
      return r.length === samples.length ? r : undefined;
    });
    assert.deepEqual(
      again.map((x) => x.metric.juju_unit).sort(),
      samples.map((x) => x.metric.juju_unit).sort(),
    );
  });
});
