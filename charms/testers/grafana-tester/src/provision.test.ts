import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ReceivedDashboard } from "@charmkit/interfaces/grafana-dashboard";
import type { GrafanaDatasource } from "@charmkit/interfaces/grafana-datasource";
import { provision } from "./provision.js";

const SHIPPED = readFileSync(
  join(import.meta.dirname, "../../../prometheus-k8s/grafana_dashboards/prometheus-self-monitoring.json"),
  "utf8",
);
const TOPOLOGY = { model: "demo", model_uuid: "u-1", application: "prometheus", unit: "prometheus/0" };

const SOURCE: GrafanaDatasource = {
  relationId: 3,
  unit: "prometheus/0",
  sourceName: "juju_demo_u-1_prometheus_0",
  sourceType: "prometheus",
  url: "http://prometheus-0:9090",
  extraFields: { timeInterval: "1m" },
};

function received(id: string, content: string, extra: Partial<ReceivedDashboard> = {}): ReceivedDashboard {
  return {
    relationId: 5,
    id,
    charm: "prometheus-k8s",
    content,
    injectDropdowns: true,
    altUid: "alt-uid",
    topology: TOPOLOGY,
    ...extra,
  };
}

test("datasources and the shipped dashboard, templated as Grafana's charm does", () => {
  const p = provision([SOURCE], [received("file:prometheus-self-monitoring", SHIPPED)]);
  assert.deepEqual(JSON.parse(p.files["datasources.json"]!), [
    {
      uid: "juju_demo_u-1_prometheus_0",
      name: "juju_demo_u-1_prometheus_0",
      type: "prometheus",
      url: "http://prometheus-0:9090",
      jsonData: { timeInterval: "1m" },
    },
  ]);
  const uid = JSON.parse(SHIPPED).uid as string;
  assert.deepEqual(p.dashboards, [{ uid, title: "Prometheus self-monitoring (charmkit)" }]);
  const file = JSON.parse(p.files[`dashboards/${uid}.json`]!);
  assert.equal(file.relationId, 5);
  assert.equal(file.charm, "prometheus-k8s");
  const exprs = (file.dashboard.panels as { targets: { expr: string }[] }[]).map((x) => x.targets[0]!.expr);
  assert.equal(exprs.length, 10);
  for (const e of exprs) assert.match(e, /juju_unit=~"\$juju_unit"/);
  assert.deepEqual(p.problems, []);
});

test("one dashboard per uid: the higher version, then the higher relation id", () => {
  const dash = (version: number, title: string) => JSON.stringify({ uid: "same", version, title });
  const p = provision(
    [],
    [
      received("file:a", dash(2, "v2 on 5")),
      received("file:b", dash(1, "v1 on 9"), { relationId: 9 }),
      received("file:c", dash(2, "v2 on 7"), { relationId: 7 }),
    ],
  );
  assert.deepEqual(p.dashboards, [{ uid: "same", title: "v2 on 7" }]);
  assert.deepEqual(Object.keys(p.files).sort(), ["dashboards/same.json", "datasources.json"]);
});

test("a dashboard that cannot be used is kept as a named problem, the others still served", () => {
  const p = provision(
    [],
    [
      received("file:good", JSON.stringify({ title: "Good" })),
      received("file:bad", "{not json"),
      received("file:nouid", JSON.stringify({ title: "No uid" }), { altUid: undefined }),
    ],
  );
  // The alt uid fills in a missing one, as the Python consumer does.
  assert.deepEqual(p.dashboards, [{ uid: "alt-uid", title: "Good" }]);
  assert.equal(p.problems.length, 2);
  assert.match(p.problems[0]!, /^grafana-dashboard:5 file:bad: not valid JSON/);
  assert.match(p.problems[1]!, /^grafana-dashboard:5 file:nouid: the dashboard has no uid/);
  const bad = JSON.parse(p.files["dashboards/error-5-file_bad.json"]!);
  assert.match(bad.error, /not valid JSON/);
  // A uid from remote data never escapes the dashboards directory.
  const odd = provision([], [received("x", JSON.stringify({ uid: "../../etc/passwd" }))]);
  assert.deepEqual(Object.keys(odd.files).sort(), ["dashboards/______etc_passwd.json", "datasources.json"]);
});
