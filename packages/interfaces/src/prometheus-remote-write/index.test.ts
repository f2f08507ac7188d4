import assert from "node:assert/strict";
import { test } from "node:test";
import type { RelationSnapshot } from "@charmkit/ops";
import {
  buildRemoteWriteConsumerAppData,
  buildRemoteWriteProviderUnitData,
  parseRemoteWriteConsumers,
  parseRemoteWriteEndpoints,
  topologyIdentifier,
} from "./index.js";

const UUID = "f2c1b2a4-7a3e-4c1d-9b5e-1a2b3c4d5e6f";
const TOPO = {
  model: "cos",
  modelUuid: UUID,
  application: "agent",
  unit: "agent/0",
  charmName: "grafana-agent",
};

function rel(
  id: number,
  app: Record<string, string>,
  units: Record<string, Record<string, string>> = {},
): RelationSnapshot {
  return {
    id,
    endpoint: "receive-remote-write",
    remoteApp: "agent",
    remoteAppData: app,
    remoteUnitsData: units,
  };
}

test("provider unit bag points at /api/v1/write of the most external URL", () => {
  assert.deepEqual(buildRemoteWriteProviderUnitData("http://10.0.0.1/cos-prometheus-0/"), {
    remote_write: '{"url": "http://10.0.0.1/cos-prometheus-0/api/v1/write"}',
  });
});

test("consumer bag: scrape_metadata in cosl as_dict order, alert_rules groups", () => {
  const groups = [{ name: "g", rules: [{ alert: "A", expr: "up < 1", labels: { severity: "critical" } }] }];
  assert.deepEqual(buildRemoteWriteConsumerAppData(TOPO, groups), {
    alert_rules:
      '{"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "up < 1", "labels": {"severity": "critical"}}]}]}',
    scrape_metadata: `{"model": "cos", "model_uuid": "${UUID}", "application": "agent", "unit": "agent/0", "charm_name": "grafana-agent"}`,
  });
});

test("provider parses consumers: topology, rule file name, groups; one bad relation does not block others", () => {
  const good = buildRemoteWriteConsumerAppData(TOPO, [
    { name: "g", rules: [{ alert: "A", expr: "up < 1" }] },
  ]);
  const { accepted, rejected } = parseRemoteWriteConsumers([
    rel(1, good),
    rel(2, { ...good, alert_rules: "{bad" }),
    rel(3, { ...good, alert_rules: '{"groups": [{"name": 1, "rules": []}]}' }),
    rel(4, { ...good, scrape_metadata: '{"model": "m", "model_uuid": "not-a-uuid", "application": "a"}' }),
    rel(5, { ...good, scrape_metadata: '{"model": "m"}' }),
    rel(6, { alert_rules: "{}" }),
    rel(7, {}),
  ]);
  assert.deepEqual(
    accepted.map((a) => [a.relationId, a.ruleFileName, a.groups.length]),
    [
      [1, `juju_cos_f2c1b2a4_agent.rules`, 1],
      [6, undefined, 0],
    ],
  );
  assert.equal(accepted[0]!.topology?.charmName, "grafana-agent");
  assert.deepEqual(
    rejected.map((r) => r.relationId),
    [2, 3, 4, 5],
  );
  assert.match(rejected[0]!.reason, /'alert_rules' is not valid JSON/);
  assert.match(rejected[1]!.reason, /groups'\[0\]/);
  assert.match(rejected[2]!.reason, /version-4 UUID/);
  assert.match(rejected[3]!.reason, /'model_uuid'/);
});

test("consumer reads endpoints sorted and de-duplicated, rejecting bad units", () => {
  const { accepted, rejected } = parseRemoteWriteEndpoints([
    rel(
      1,
      {},
      {
        "p/0": buildRemoteWriteProviderUnitData("http://b:9090"),
        "p/1": buildRemoteWriteProviderUnitData("http://a:9090"),
        "p/2": buildRemoteWriteProviderUnitData("http://a:9090"),
        "p/3": { remote_write: "{" },
        "p/4": { remote_write: '{"url": "nourl"}' },
        "p/5": {},
      },
    ),
  ]);
  assert.deepEqual(accepted, [{ url: "http://a:9090/api/v1/write" }, { url: "http://b:9090/api/v1/write" }]);
  assert.deepEqual(
    rejected.map((r) => r.unit),
    ["p/3", "p/4"],
  );
});

test("topologyIdentifier", () => {
  assert.equal(topologyIdentifier({ model: "a/b", modelUuid: UUID, application: "c" }), "a_b_f2c1b2a4_c");
});
