import assert from "node:assert/strict";
import { test } from "node:test";
import type { RelationSnapshot } from "@charmkit/ops";
import { buildCatalogueItemAppData, parseCatalogueItems, prometheusCatalogueItem } from "./index.js";

function rel(id: number, app: Record<string, string>, units = 1): RelationSnapshot {
  const remoteUnitsData: Record<string, Record<string, string>> = {};
  for (let i = 0; i < units; i++) remoteUnitsData[`x${id}/${i}`] = {};
  return { id, endpoint: "catalogue", remoteApp: `x${id}`, remoteAppData: app, remoteUnitsData };
}

test("Prometheus item: endpoints use the most external URL, never None", () => {
  const bag = buildCatalogueItemAppData(
    prometheusCatalogueItem("http://prometheus-0.p.cos.svc.cluster.local:9090"),
  );
  assert.equal(bag.url, "http://prometheus-0.p.cos.svc.cluster.local:9090");
  assert.equal(bag.icon, "chart-line-variant");
  assert.equal(bag.api_docs, "https://prometheus.io/docs/prometheus/latest/querying/api/");
  assert.ok(!bag.api_endpoints!.includes("None"));
  const eps = JSON.parse(bag.api_endpoints!) as Record<string, string>;
  assert.deepEqual(Object.keys(eps), [
    "Instant queries",
    "Range queries",
    "Finding Series",
    "Labels",
    "Targets",
    "Rules",
    "Alerts",
  ]);
  assert.equal(eps.Alerts, "http://prometheus-0.p.cos.svc.cluster.local:9090/api/v1/alerts");
  const ingressed = buildCatalogueItemAppData(prometheusCatalogueItem("http://10.0.0.1/cos-prometheus-0/"));
  assert.equal(
    JSON.parse(ingressed.api_endpoints!)["Instant queries"],
    "http://10.0.0.1/cos-prometheus-0/api/v1/query",
  );
});

test("item bag: exact strings in the Python key order", () => {
  assert.deepEqual(
    Object.entries(
      buildCatalogueItemAppData({ name: "N", url: "http://u", icon: "i", apiEndpoints: { A: "http://u/a" } }),
    ),
    [
      ["name", "N"],
      ["description", ""],
      ["url", "http://u"],
      ["icon", "i"],
      ["api_docs", ""],
      ["api_endpoints", '{"A": "http://u/a"}'],
    ],
  );
  assert.equal(buildCatalogueItemAppData({ name: "N", url: "u", icon: "i" }).api_endpoints, undefined);
});

test("provider reads items from all relations and rejects bad api_endpoints", () => {
  const item = buildCatalogueItemAppData(prometheusCatalogueItem("http://p:9090"));
  const { accepted, rejected } = parseCatalogueItems([
    rel(3, { ...item, name: "Second" }),
    rel(1, item),
    rel(2, { ...item, api_endpoints: "{oops" }),
    rel(4, { ...item, api_endpoints: '{"a": 1}' }),
    rel(5, item, 0),
    rel(6, {}),
  ]);
  assert.deepEqual(
    accepted.map((a) => [a.relationId, a.name, a.apiEndpoints.Rules]),
    [
      [1, "Prometheus", "http://p:9090/api/v1/rules"],
      [3, "Second", "http://p:9090/api/v1/rules"],
    ],
  );
  assert.deepEqual(
    rejected.map((r) => r.relationId),
    [2, 4],
  );
  assert.match(rejected[0]!.reason, /'api_endpoints' is not valid JSON/);
  assert.match(rejected[1]!.reason, /label to URL string/);
});
