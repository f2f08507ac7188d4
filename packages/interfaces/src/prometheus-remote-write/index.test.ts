import assert from "node:assert/strict";
import { test } from "node:test";
import type { RelationSnapshot } from "@charmkit/ops";
import {
  buildRemoteWriteConsumerAppData,
  buildRemoteWriteProviderUnitData,
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
