/**
 * End-to-end: the packed prometheus-k8s alone on the local runtime, in its pod, with the Debian
 * prometheus. The .charm (`npm run pack`) is unpacked as Juju unpacks it and deployed from there:
 * its hooks run through its own `dispatch` and Node in a charm container where the host's Node is
 * not visible, against the runtime's hook tools and Pebble server. Proves the charm wires up for
 * real: the unit settles active, Prometheus listens on :9090 in the pod (the Python charm's
 * command line) and scrapes itself by the unit's FQDN, the port and workload version are
 * published, both actions answer from the running workload, and a bad option blocks without
 * replacing the running config. One model for the whole file; the tests run in order on the state
 * the previous one left.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { unpackCharm } from "@charmkit/build/pack";
import { getJson, LocalModel, packCharms, query, ROOT } from "./support.js";

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
  const m = new LocalModel("e2e-prom");
  let fqdn = "";
  let prom = "";
  let unpacked = "";

  before(async () => {
    const [charm] = await packCharms(["charms/prometheus-k8s"]);
    const dir = mkdtempSync(join(tmpdir(), "prom-bundle-"));
    unpacked = join(dir, "prometheus-k8s");
    await unpackCharm(charm!, unpacked);
    const bundle = join(dir, "bundle.yaml");
    writeFileSync(bundle, `applications:\n  prom:\n    charm: ${unpacked}\n    scale: 1\n`);
    await m.cli("up", bundle, "--timeout", "180");
    fqdn = (await m.unit("prom/0")).fqdn;
    prom = `http://${fqdn}:9090`;
  });
  after(async () => {
    await m.down();
  });

  test("the unit settles active with 9090/tcp open, Prometheus in the unit's pod", async () => {
    const u = await m.unit("prom/0");
    assert.equal(u.workload, "active", u.message);
    assert.deepEqual(u.ports, ["9090/tcp"]);
    assert.equal(fqdn, "prom-0.prom-endpoints.e2e-prom.svc.cluster.local");
    assert.ok(m.prometheusPid("prom/0"), "a prometheus process runs in the pod");
    const app = (await m.status()).applications.find((a) => a.name === "prom") as AppStatus | undefined;
    assert.match(app?.version ?? "", /^\d+\.\d+\.\d+/, "workload version from `prometheus --version`");
  });

  test("the unpacked charm ran install, config-changed, pebble-ready and update-status through its dispatch, without the host's Node", async () => {
    // Unpacked as Juju does: the executables keep their modes.
    assert.equal(statSync(join(unpacked, "dispatch")).mode & 0o777, 0o755);
    assert.equal(statSync(join(unpacked, "node/bin/node")).mode & 0o111, 0o111);
    // update-status comes every 5 s here; wait for one to have finished (the next one started).
    const hooks = await m.until("two update-status hooks", async () => {
      const ran = [
        ...readFileSync(join(m.home, "units/prom-0/unit.log"), "utf8").matchAll(/ running (\S+)/g),
      ].map((x) => x[1]);
      return ran.filter((h) => h === "update-status").length >= 2 ? ran : undefined;
    });
    const first = (h: string) => hooks.indexOf(h);
    assert.ok(first("install") >= 0 && first("install") < first("config-changed"), hooks.join(" "));
    assert.ok(first("config-changed") < first("prometheus-pebble-ready"), hooks.join(" "));
    assert.ok(first("prometheus-pebble-ready") < first("update-status"), hooks.join(" "));
    assert.doesNotMatch(readFileSync(join(m.home, "units/prom-0/unit.log"), "utf8"), /ERROR hook/);
    assert.equal((await m.unit("prom/0")).workload, "active");
    // The charm container, as a hook sees it: the charm's own Node, none of the host's.
    const seen = await m.cli(
      "exec",
      "--unit",
      "prom/0",
      "--",
      "sh",
      "-c",
      [
        'command -v node || echo "no node on PATH"',
        "for p in /usr/bin/node /usr/lib/node_modules /usr/include/node /usr/local/bin/node; do test -e $p && echo visible: $p; done",
        `test -e ${ROOT} || echo "no project"`,
        '"$JUJU_CHARM_DIR/node/bin/node" -p process.execPath',
      ].join("; "),
    );
    assert.deepEqual(seen.trim().split("\n"), [
      "no node on PATH",
      "no project",
      "/var/lib/juju/agents/unit-prom-0/charm/node/bin/node",
    ]);
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
    assert.equal(self.scrapeUrl, `http://${fqdn}:9090/metrics`);
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
    // The Python charm's command line: no listen address, so :9090 on every interface of the pod.
    assert.match(c.results.command ?? "", /^\/bin\/prometheus --config\.file=/);
    assert.doesNotMatch(c.results.command ?? "", /--web\.listen-address/);
    assert.equal(c.results.rejected, "");
  });

  test("a bad option blocks naming it while Prometheus keeps serving; fixing it returns to active", async () => {
    const pid = m.prometheusPid("prom/0");
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
    assert.equal(m.prometheusPid("prom/0"), pid, "the running Prometheus was not restarted");
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
