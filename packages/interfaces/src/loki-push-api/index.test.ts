import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { RelationSnapshot } from "@charmkit/ops";
import {
  buildProviderUnitData,
  buildRequirerAppData,
  logForwardingLayerLabel,
  logTargets,
  parseLokiEndpoints,
} from "./index.js";

/** Outputs of the Python library itself (scripts/crosscheck/cos_libs.py). */
const PY = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../../../testdata/python-libs/loki_push_api.json"), "utf8"),
) as { cases: { name: string; endpoints?: Record<string, string>; expected: Record<string, unknown> }[] };
const py = (name: string) => PY.cases.find((c) => c.name === name)!;
const TOPO = {
  model: "cos",
  modelUuid: "f2c1b2a4-7a3e-4c1d-9b5e-1a2b3c4d5e6f",
  application: "prometheus",
  unit: "prometheus/0",
  charmName: "prometheus-k8s",
};
const LOKI = "http://loki-0.loki-endpoints.cos.svc.cluster.local:3100";

function rel(id: number, units: Record<string, Record<string, string>>): RelationSnapshot {
  return { id, endpoint: "logging", remoteApp: "loki", remoteAppData: {}, remoteUnitsData: units };
}

test("bags and Pebble log targets are the Python library's", () => {
  assert.deepEqual(buildProviderUnitData(LOKI), py("provider_endpoint").expected);
  assert.deepEqual(buildRequirerAppData(TOPO), py("requirer_metadata").expected);
  const enabled = py("enabled_targets");
  assert.deepEqual(logTargets(enabled.endpoints!, TOPO), enabled.expected);
  assert.equal(logForwardingLayerLabel("prometheus"), "prometheus-log-forwarding");
});

test("a Loki unit that left is switched off; targets already off are left alone", () => {
  const active = py("enabled_targets").endpoints!;
  const planned = {
    "loki/1": { services: ["all"] },
    "loki/2": { services: ["-all"] },
    "loki/0": { services: ["all"] },
  };
  const out = logTargets(active, TOPO, planned);
  assert.deepEqual(Object.keys(out).sort(), ["loki/0", "loki/1"]);
  assert.deepEqual({ "loki/1": out["loki/1"] }, py("disabled_target").expected);
});

test("a relation is used only when every Loki unit has published; garbage rejects that relation", () => {
  const good = buildProviderUnitData(LOKI);
  const r = parseLokiEndpoints([
    rel(1, { "loki/0": good, "loki/1": good }),
    rel(2, { "loki/0": good, "loki/1": {} }),
    rel(3, { "loki/0": { endpoint: "{" } }),
    rel(4, { "loki/0": { endpoint: '{"url": "nope"}' } }),
    rel(5, {}),
  ]);
  assert.deepEqual(
    r.accepted.map((x) => [x.relationId, Object.keys(x.endpoints)]),
    [[1, ["loki/0", "loki/1"]]],
  );
  assert.deepEqual(
    r.rejected.map((x) => [x.relationId, x.unit]),
    [
      [3, "loki/0"],
      [4, "loki/0"],
    ],
  );
});
