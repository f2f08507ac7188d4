import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { RelationSnapshot } from "@charmkit/ops";
import {
  convertDashboardFields,
  injectDashboardTopology,
  injectTopologyVariables,
  type JsonObject,
  lzmaBase64Compress,
  lzmaBase64Decompress,
  parseGrafanaDashboards,
  renderReceivedDashboard,
} from "./index.js";

const ROOT = join(import.meta.dirname, "../../../..");

/** What grafana_k8s.v0.grafana_dashboard (LIBPATCH 48) made of each case; see its README. */
interface ReferenceCase {
  name: string;
  input: JsonObject;
  inject_dropdowns: boolean;
  dashboard_alt_uid: string | null;
  output: JsonObject;
}
const reference = JSON.parse(
  readFileSync(join(ROOT, "testdata/python-libs/grafana_dashboard.json"), "utf8"),
) as { libpatch: number; cos_tool: boolean; cases: ReferenceCase[] };

const TOPOLOGY = { model: "cos", model_uuid: "u-1", application: "prometheus", unit: "prometheus/0" };

test("dropdowns, datasource variables and uid as the Python consumer makes them", () => {
  assert.equal(reference.libpatch, 48);
  assert.ok(reference.cases.length >= 5);
  for (const c of reference.cases) {
    const r = renderReceivedDashboard({
      content: JSON.stringify(c.input),
      injectDropdowns: c.inject_dropdowns,
      altUid: c.dashboard_alt_uid ?? undefined,
      // The reference run had no cos-tool, so no matchers: compare without topology.
      topology: {},
    });
    assert.ok("dashboard" in r, c.name);
    assert.deepEqual(r.dashboard, c.output, c.name);
  }
});

test("convertDashboardFields leaves its input alone", () => {
  const input = reference.cases[0]!.input;
  const before = JSON.stringify(input);
  convertDashboardFields(input, true);
  assert.equal(JSON.stringify(input), before);
});

test("topology matchers go into every selector of every PromQL panel, ranges and offsets kept", () => {
  const keys = Object.keys(TOPOLOGY);
  const m =
    'juju_application=~"$juju_application",juju_model=~"$juju_model",juju_model_uuid=~"$juju_model_uuid",juju_unit=~"$juju_unit"';
  assert.equal(
    injectTopologyVariables(
      'sum by (juju_unit) (rate(x_total{juju_application=~"$juju_application",juju_model=~"$juju_model"}[$__rate_interval]))',
      keys,
    ),
    `sum by (juju_unit) (rate(x_total{${m}}[$__rate_interval]))`,
  );
  // A range vector divided by an instant vector would not type-check: Prometheus' parser (and so
  // cos-tool, which the library calls) refuses it, and the expression would come back unchanged.
  assert.equal(
    injectTopologyVariables("rate(a[5m] offset $__range) / b offset -1h", keys),
    `rate(a{${m}}[5m] offset $__range) / b{${m}} offset -1h`,
  );
  assert.equal(
    injectTopologyVariables('up{job=~"a[0-9]"}', ["model"]),
    'up{job=~"a[0-9]",juju_model=~"$juju_model"}',
  );
  // Not PromQL (cos-tool fails on it, and the library keeps the expression as it was).
  assert.equal(
    injectTopologyVariables('sum(rate({app="x"} |= `err` [5m]))', keys),
    'sum(rate({app="x"} |= `err` [5m]))',
  );
  assert.equal(injectTopologyVariables("up{", keys), "up{");
});

test("injection: top-level panels on ${prometheusds} only, and nothing without a topology", () => {
  const dash: JsonObject = {
    panels: [
      { datasource: "${prometheusds}", targets: [{ expr: "up" }, { refId: "no expr" }] },
      { datasource: { type: "prometheus", uid: "${prometheusds}" }, targets: [{ expr: "down" }] },
      { datasource: "${lokids}", targets: [{ expr: '{app="x"}' }] },
      { datasource: "other", targets: [{ expr: "up" }] },
      { targets: [{ expr: "up" }] },
      { type: "row", panels: [{ datasource: "${prometheusds}", targets: [{ expr: "nested" }] }] },
    ],
  };
  const out = injectDashboardTopology(dash, { model: "m" });
  const exprs = (out.panels as JsonObject[]).map((p) => (p.targets as JsonObject[] | undefined)?.[0]?.expr);
  assert.deepEqual(exprs, [
    'up{juju_model=~"$juju_model"}',
    'down{juju_model=~"$juju_model"}',
    '{app="x"}',
    "up",
    "up",
    undefined,
  ]);
  // Rows' panels are left as they are, as the library's _inject_labels does.
  assert.equal(JSON.stringify(out.panels).includes("nested{"), false);
  assert.deepEqual(injectDashboardTopology(dash, {}), dash);
  assert.equal(((dash.panels as JsonObject[])[0]!.targets as JsonObject[])[0]!.expr, "up", "input unchanged");
});

test("the shipped dashboard: every panel's query filters on all four topology variables", () => {
  const content = readFileSync(
    join(ROOT, "charms/prometheus-k8s/grafana_dashboards/prometheus-self-monitoring.json"),
    "utf8",
  );
  const r = renderReceivedDashboard({
    content,
    injectDropdowns: true,
    altUid: undefined,
    topology: TOPOLOGY,
  });
  assert.ok("dashboard" in r);
  const panels = r.dashboard.panels as JsonObject[];
  assert.equal(panels.length, 10);
  for (const p of panels) {
    for (const t of p.targets as JsonObject[]) {
      const expr = t.expr as string;
      for (const k of ["model", "model_uuid", "application", "unit"])
        assert.ok(expr.includes(`juju_${k}=~"$juju_${k}"`), `${p.title}: ${expr}`);
    }
  }
  const names = (r.dashboard.templating as { list: JsonObject[] }).list.map((v) => v.name);
  assert.deepEqual(names, [
    "lokids",
    "juju_unit",
    "juju_model_uuid",
    "prometheusds",
    "juju_model",
    "juju_application",
  ]);
});

test("a dashboard that cannot be used is named, not thrown", () => {
  const base = { injectDropdowns: true, altUid: undefined, topology: {} };
  assert.match(
    (renderReceivedDashboard({ ...base, content: "{" }) as { error: string }).error,
    /not valid JSON/,
  );
  assert.match(
    (renderReceivedDashboard({ ...base, content: "[1]" }) as { error: string }).error,
    /not a JSON object/,
  );
  assert.match(
    (renderReceivedDashboard({ ...base, content: '{"templating": {"list": 3}}' }) as { error: string }).error,
    /'templating' must be an object with a 'list' array/,
  );
  // A uid of its own is kept; the alt uid fills in only a missing one.
  const kept = renderReceivedDashboard({ ...base, content: '{"uid": "mine"}', altUid: "alt" });
  assert.equal((kept as { dashboard: JsonObject }).dashboard.uid, "mine");
});

test("parseGrafanaDashboards keeps the provider's juju_topology for the consumer", async () => {
  const rel: RelationSnapshot = {
    id: 4,
    endpoint: "grafana-dashboard",
    remoteApp: "prometheus",
    remoteAppData: {
      dashboards: JSON.stringify({
        templates: {
          "file:a": {
            charm: "c",
            content: lzmaBase64Compress('{"title": "A"}'),
            juju_topology: TOPOLOGY,
            inject_dropdowns: true,
          },
          "file:b": {
            charm: "c",
            content: lzmaBase64Compress('{"title": "B"}'),
            juju_topology: {},
            inject_dropdowns: false,
          },
        },
        uuid: "x",
      }),
    },
    remoteUnitsData: {},
  };
  const { accepted, rejected } = await parseGrafanaDashboards([rel], lzmaBase64Decompress);
  assert.deepEqual(rejected, []);
  assert.deepEqual(
    accepted.map((d) => [d.id, d.topology, d.injectDropdowns]),
    [
      ["file:a", TOPOLOGY, true],
      ["file:b", {}, false],
    ],
  );
});
