import assert from "node:assert/strict";
import { test } from "node:test";
import type { LocalIdentity, RelationSnapshot } from "@charmkit/ops";
import { fakeModel } from "../common/testing.js";
import {
  buildGrafanaSourceProviderAppData,
  buildGrafanaSourceProviderUnitData,
  buildGrafanaSourceRequirerAppData,
  parseGrafanaSourceInfo,
  parseGrafanaSources,
  publishGrafanaSource,
  unitDatasourceUid,
} from "./index.js";

const UUID = "f2c1b2a4-7a3e-4c1d-9b5e-1a2b3c4d5e6f";
const ID: LocalIdentity = {
  modelName: "cos",
  modelUuid: UUID,
  appName: "prometheus",
  unitName: "prometheus/0",
};
const PROM = {
  sourceType: "prometheus",
  extraFields: { timeInterval: "1m" },
  appDatasource: false,
  unitDatasources: true,
  unitDatasourceUrl: "prometheus-0.prometheus-endpoints.cos.svc.cluster.local:9090",
};

function rel(
  id: number,
  app: Record<string, string>,
  units: Record<string, Record<string, string>> = {},
): RelationSnapshot {
  return { id, endpoint: "grafana-source", remoteApp: "x", remoteAppData: app, remoteUnitsData: units };
}

test("provider app bag is byte-identical to the Python library's", () => {
  assert.deepEqual(buildGrafanaSourceProviderAppData(ID, PROM), {
    grafana_source_data: `{"model": "cos", "model_uuid": "${UUID}", "application": "prometheus", "type": "prometheus", "extra_fields": {"timeInterval": "1m"}, "secure_extra_fields": null}`,
    grafana_source_app_host: "",
  });
});

test("provider app host in app-datasource mode, and mimir's /prometheus suffix", () => {
  const bag = buildGrafanaSourceProviderAppData(ID, { sourceType: "mimir", sourcePort: 9009 });
  assert.equal(bag.grafana_source_app_host, "http://prometheus.cos.svc.cluster.local:9009/prometheus");
});

test("alertmanager sources get implementation=prometheus", () => {
  const bag = buildGrafanaSourceProviderAppData(ID, { sourceType: "alertmanager" });
  assert.deepEqual(JSON.parse(bag.grafana_source_data!).extra_fields, { implementation: "prometheus" });
});

test("provider unit bag: http:// added when the scheme is missing; deleted without unit datasources", () => {
  assert.deepEqual(buildGrafanaSourceProviderUnitData(PROM, "ignored"), {
    grafana_source_host: "http://prometheus-0.prometheus-endpoints.cos.svc.cluster.local:9090",
  });
  assert.deepEqual(buildGrafanaSourceProviderUnitData({ ...PROM, unitDatasourceUrl: "https://ing/x" }, "f"), {
    grafana_source_host: "https://ing/x",
  });
  assert.deepEqual(buildGrafanaSourceProviderUnitData({ sourceType: "prometheus" }, "f"), {
    grafana_source_host: "",
  });
  assert.deepEqual(
    buildGrafanaSourceProviderUnitData(
      { sourceType: "prometheus", unitDatasources: true, sourcePort: 9090 },
      "fq.dn",
    ),
    { grafana_source_host: "http://fq.dn:9090" },
  );
});

test("requirer builds per-unit and app UIDs and writes them back", () => {
  const data = buildGrafanaSourceProviderAppData(ID, {
    ...PROM,
    appDatasource: true,
    appDatasourceUrl: "lb:9090",
  });
  const r = rel(3, data, {
    "prometheus/10": { grafana_source_host: "http://p10:9090" },
    "prometheus/2": { grafana_source_host: "p2:9090" },
    "prometheus/3": {},
  });
  const { accepted, rejected } = parseGrafanaSources([r]);
  assert.deepEqual(rejected, []);
  assert.deepEqual(
    accepted.map((d) => [d.unit, d.sourceName, d.url]),
    [
      ["prometheus/2", `juju_cos_${UUID}_prometheus_2`, "http://p2:9090"],
      ["prometheus/10", `juju_cos_${UUID}_prometheus_10`, "http://p10:9090"],
      [null, `juju_cos_${UUID}_prometheus`, "http://lb:9090"],
    ],
  );
  assert.deepEqual(accepted[0]!.extraFields, { timeInterval: "1m" });
  assert.equal(accepted[0]!.secureExtraFields, undefined);
  assert.deepEqual(buildGrafanaSourceRequirerAppData("g-uid", "http://grafana", accepted), {
    grafana_uid: "g-uid",
    datasource_uids: `{"prometheus/2": "juju_cos_${UUID}_prometheus_2", "prometheus/10": "juju_cos_${UUID}_prometheus_10"}`,
    grafana_base_url: "http://grafana",
    app_datasource_uid: `juju_cos_${UUID}_prometheus`,
  });
});

test("requirer rejects malformed grafana_source_data per relation and keeps the others", () => {
  const good = rel(1, buildGrafanaSourceProviderAppData(ID, PROM), {
    "prometheus/0": { grafana_source_host: "h" },
  });
  const cases: [string, RegExp][] = [
    ["{not json", /'grafana_source_data' is not valid JSON/],
    ["[1]", /must be a JSON object/],
    ['{"model": "m", "model_uuid": "u", "application": 3, "type": "t"}', /needs a string 'application'/],
    ['{"model": "m", "model_uuid": "u", "application": "a"}', /needs a string 'type'/],
    [
      '{"model": "m", "model_uuid": "u", "application": "a", "type": "t", "extra_fields": [1]}',
      /extra_fields/,
    ],
  ];
  for (const [raw, reason] of cases) {
    const { accepted, rejected } = parseGrafanaSources([good, rel(2, { grafana_source_data: raw })]);
    assert.equal(accepted.length, 1, raw);
    assert.equal(rejected.length, 1, raw);
    assert.equal(rejected[0]!.relationId, 2);
    assert.match(rejected[0]!.reason, reason);
  }
  assert.deepEqual(parseGrafanaSources([rel(5, {}), rel(6, { grafana_source_data: "{}" })]), {
    accepted: [],
    rejected: [],
  });
});

test("provider reads back Grafana's answer; rejects old or malformed ones", () => {
  const { accepted, rejected } = parseGrafanaSourceInfo([
    rel(1, {
      grafana_uid: "g1",
      datasource_uids: '{"prometheus/1": "u1", "prometheus/0": "u0"}',
      grafana_base_url: "http://g",
      app_datasource_uid: "",
    }),
    rel(2, { datasource_uids: "{}" }),
    rel(3, { grafana_uid: "g3", datasource_uids: "{bad" }),
    rel(4, { grafana_uid: "g4", datasource_uids: '{"a/0": 1}' }),
  ]);
  assert.deepEqual(accepted, [
    {
      relationId: 1,
      grafanaUid: "g1",
      datasourceUids: { "prometheus/0": "u0", "prometheus/1": "u1" },
      grafanaBaseUrl: "http://g",
      appDatasourceUid: undefined,
    },
  ]);
  assert.deepEqual(
    rejected.map((r) => r.relationId),
    [2, 3, 4],
  );
  assert.match(rejected[0]!.reason, /grafana_uid/);
  assert.match(rejected[1]!.reason, /not valid JSON/);
  assert.match(rejected[2]!.reason, /unit name to string/);
});

test("unitDatasourceUid", () => {
  assert.equal(unitDatasourceUid({ model: "m", modelUuid: "u", application: "a" }, "a/7"), "juju_m_u_a_7");
});

test("SDK binding: every unit writes its host, only the leader the app bag", () => {
  const r: RelationSnapshot = {
    id: 1,
    endpoint: "grafana-source",
    remoteApp: "grafana",
    remoteAppData: {},
    remoteUnitsData: {},
  };
  const leader = fakeModel(true, { "grafana-source": [r] });
  assert.equal(publishGrafanaSource(leader, PROM, "fqdn"), true);
  assert.deepEqual(
    leader.writes.map((w) => [w.bag, Object.keys(w.data)]),
    [
      ["unit", ["grafana_source_host"]],
      ["app", ["grafana_source_data", "grafana_source_app_host"]],
    ],
  );
  const follower = fakeModel(false, { "grafana-source": [r] });
  assert.equal(publishGrafanaSource(follower, PROM, "fqdn"), false);
  assert.deepEqual(
    follower.writes.map((w) => w.bag),
    ["unit"],
  );
});
