/**
 * State-transition tests of the Grafana stand-in: what a hook provisions in the workload container
 * from the dashboards a provider offers, and what it says when it cannot serve them.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Context, container, getContainer, relation, state } from "@charmkit/ops/testing";
import {
  buildDashboardTemplates,
  buildGrafanaDashboardAppData,
  lzmaBase64Compress,
} from "@charmkit/interfaces/grafana-dashboard";
import GrafanaTesterCharm, { SERVER, WEB_DIR } from "./charm.js";
import { DATA_DIR } from "./provision.js";

const SOURCE_DIR = join(import.meta.dirname, "..");
const work = mkdtempSync(join(tmpdir(), "grafana-tester-"));
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * A charm directory as the build leaves it: metadata, the workload server (its source stands in
 * for the bundle the build makes of it) and the page.
 */
function charmDir(withPage: boolean): string {
  const dir = join(work, withPage ? "built" : "unbuilt");
  mkdirSync(join(dir, "workload"), { recursive: true });
  cpSync(join(SOURCE_DIR, "charmcraft.yaml"), join(dir, "charmcraft.yaml"));
  cpSync(join(SOURCE_DIR, "src", "workload", "server.mjs"), join(dir, "workload", "server.mjs"));
  if (withPage) {
    mkdirSync(join(dir, "web"), { recursive: true });
    writeFileSync(join(dir, "web", "dashboard.js"), "/* page */\n");
    writeFileSync(join(dir, "web", "dashboard.css"), "/* style */\n");
  }
  return dir;
}

const SHIPPED = "grafana_dashboards/prometheus-self-monitoring.json";
/** The bag prometheus-k8s' leader writes on grafana-dashboard. */
function offered(): Record<string, string> {
  const content = readFileSync(join(SOURCE_DIR, "../../prometheus-k8s", SHIPPED), "utf8");
  const identity = { modelName: "demo", modelUuid: "u-1", appName: "prometheus", unitName: "prometheus/0" };
  const { templates } = buildDashboardTemplates(
    [{ relPath: SHIPPED, content }],
    identity,
    "prometheus-k8s",
    lzmaBase64Compress,
  );
  return buildGrafanaDashboardAppData(templates, "nonce");
}

const workload = (files: Record<string, string> = {}) =>
  container({ name: "grafana", canConnect: true, filesystem: files });

describe("grafana-tester", () => {
  it("provisions the offered dashboard, templated, with the server and the page, and runs the server", async () => {
    const ctx = new Context(GrafanaTesterCharm, { charmDir: charmDir(true) });
    const dash = relation({
      endpoint: "grafana-dashboard",
      id: 7,
      remoteAppName: "prometheus",
      remoteAppData: offered(),
    });
    const out = await ctx.run(
      ctx.on.relationChanged(dash),
      state({ leader: true, relations: [dash], containers: [workload()] }),
    );
    const fs = getContainer(out, "grafana")?.filesystem ?? {};
    assert.equal(fs[SERVER], readFileSync(join(SOURCE_DIR, "src", "workload", "server.mjs"), "utf8"));
    assert.equal(fs[`${WEB_DIR}/dashboard.js`], "/* page */\n");
    assert.equal(fs[`${WEB_DIR}/dashboard.css`], "/* style */\n");
    assert.equal(fs[`${DATA_DIR}/datasources.json`], "[]\n");
    const files = Object.keys(fs).filter((p) => p.startsWith(`${DATA_DIR}/dashboards/`));
    assert.equal(files.length, 1);
    const provisioned = JSON.parse(fs[files[0]!]!);
    assert.equal(provisioned.title, "Prometheus self-monitoring (charmkit)");
    assert.equal(provisioned.relationId, 7);
    for (const p of provisioned.dashboard.panels as { targets: { expr: string }[] }[])
      assert.match(p.targets[0]!.expr, /juju_model_uuid=~"\$juju_model_uuid"/);
    const layer = getContainer(out, "grafana")?.layers.find((l) => l.label === "grafana")?.layer;
    assert.match(
      String(layer?.services?.grafana?.command),
      new RegExp(`^node ${SERVER} --listen :3000 --data ${DATA_DIR} --web ${WEB_DIR}$`),
    );
    assert.equal(out.unitStatus.name, "waiting");
    assert.match(
      out.unitStatus.message,
      /^no datasources yet; relate to prometheus:grafana-source \(1 dashboard at http:\/\/\S+:3000\/\)$/,
    );
  });

  it("removes the files of dashboards no longer offered", async () => {
    const ctx = new Context(GrafanaTesterCharm, { charmDir: charmDir(true) });
    const stale = `${DATA_DIR}/dashboards/gone.json`;
    const out = await ctx.run(
      ctx.on.updateStatus(),
      state({ leader: true, containers: [workload({ [stale]: "{}\n" })] }),
    );
    const fs = getContainer(out, "grafana")?.filesystem ?? {};
    assert.equal(fs[stale], undefined);
    assert.match(out.unitStatus.message, /\(0 dashboards at /);
  });

  it("says so when the page was not built into the charm, and waits for its container", async () => {
    const ctx = new Context(GrafanaTesterCharm, { charmDir: charmDir(false) });
    const out = await ctx.run(ctx.on.updateStatus(), state({ containers: [workload()] }));
    assert.equal(out.unitStatus.name, "blocked");
    assert.match(out.unitStatus.message, /the page is missing from the charm \(web\/\)/);
    const down = await ctx.run(
      ctx.on.updateStatus(),
      state({ containers: [container({ name: "grafana", canConnect: false })] }),
    );
    assert.equal(down.unitStatus.name, "waiting");
    assert.equal(down.unitStatus.message, "waiting for the grafana container");
  });
});
