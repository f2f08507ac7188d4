import assert from "node:assert/strict";
import { test } from "node:test";
import type { RelationSnapshot } from "@charmkit/ops";
import {
  buildDatasourceExchangeAppData,
  datasourcesFromGrafanaSources,
  parseDatasourceExchange,
} from "./index.js";

function rel(id: number, app: Record<string, string>): RelationSnapshot {
  return { id, endpoint: "receive-datasource", remoteApp: "src", remoteAppData: app, remoteUnitsData: {} };
}

test("provider bag: list sorted by uid with keys type, uid, grafana_uid", () => {
  const ds = datasourcesFromGrafanaSources(
    [
      {
        relationId: 1,
        grafanaUid: "g1",
        datasourceUids: { "prometheus/1": "juju_b_1", "prometheus/0": "juju_b_0" },
        grafanaBaseUrl: undefined,
        appDatasourceUid: undefined,
      },
      {
        relationId: 2,
        grafanaUid: "g0",
        datasourceUids: { "prometheus/0": "juju_a_0" },
        grafanaBaseUrl: "x",
        appDatasourceUid: "juju_a",
      },
    ],
    "prometheus",
  );
  assert.deepEqual(buildDatasourceExchangeAppData(ds), {
    datasources:
      '[{"type": "prometheus", "uid": "juju_a", "grafana_uid": "g0"}, {"type": "prometheus", "uid": "juju_a_0", "grafana_uid": "g0"}, ' +
      '{"type": "prometheus", "uid": "juju_b_0", "grafana_uid": "g1"}, {"type": "prometheus", "uid": "juju_b_1", "grafana_uid": "g1"}]',
  });
  assert.deepEqual(buildDatasourceExchangeAppData([]), { datasources: "[]" });
});

test("requirer parses entries, rejecting malformed values and entries", () => {
  const { accepted, rejected } = parseDatasourceExchange([
    rel(1, buildDatasourceExchangeAppData([{ type: "prometheus", uid: "u", grafanaUid: "g" }])),
    rel(2, { datasources: "nope" }),
    rel(3, { datasources: '{"a": 1}' }),
    rel(4, { datasources: '[{"type": "loki", "uid": "l", "grafana_uid": "g"}, {"type": "x"}]' }),
    rel(5, {}),
  ]);
  assert.deepEqual(
    accepted.map((a) => [a.relationId, a.type, a.uid, a.grafanaUid]),
    [
      [1, "prometheus", "u", "g"],
      [4, "loki", "l", "g"],
    ],
  );
  assert.deepEqual(
    rejected.map((r) => r.relationId),
    [2, 3, 4],
  );
  assert.match(rejected[2]!.reason, /'datasources'\[1\]/);
});
