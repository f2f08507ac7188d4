import assert from "node:assert/strict";
import { test } from "node:test";
import type { RelationSnapshot } from "@charmkit/ops";
import { buildPrometheusApiAppData, parsePrometheusApi } from "./index.js";

function rel(id: number, app: Record<string, string>): RelationSnapshot {
  return { id, endpoint: "prometheus-api", remoteApp: "prom", remoteAppData: app, remoteUnitsData: {} };
}

test("provider bag: direct_url always, ingress_url only with ingress", () => {
  assert.deepEqual(buildPrometheusApiAppData({ directUrl: "http://p:9090" }), {
    direct_url: "http://p:9090",
    ingress_url: "",
  });
  assert.deepEqual(buildPrometheusApiAppData({ directUrl: "http://p:9090", ingressUrl: "https://i/p" }), {
    direct_url: "http://p:9090",
    ingress_url: "https://i/p",
  });
});

test("requirer parses, skips unpublished and rejects non-URLs", () => {
  const { accepted, rejected } = parsePrometheusApi([
    rel(2, buildPrometheusApiAppData({ directUrl: "http://p:9090", ingressUrl: "https://i/p" })),
    rel(1, {}),
    rel(3, { direct_url: "p:9090" }),
    rel(4, { direct_url: "http://p:9090", ingress_url: "nope" }),
  ]);
  assert.deepEqual(accepted, [
    { relationId: 2, app: "prom", directUrl: "http://p:9090", ingressUrl: "https://i/p" },
  ]);
  assert.deepEqual(
    rejected.map((r) => [r.relationId, /'(\w+)'/.exec(r.reason)?.[1]]),
    [
      [3, "direct_url"],
      [4, "ingress_url"],
    ],
  );
});
