import assert from "node:assert/strict";
import { test } from "node:test";
import type { RelationSnapshot } from "@charmkit/ops";
import {
  alertmanagerClusterChanged,
  alertmanagerUrls,
  buildAlertmanagerProviderUnitData,
  parseAlertmanagers,
  renderAlertmanagers,
} from "./index.js";

function rel(id: number, app: string, units: Record<string, Record<string, string>>): RelationSnapshot {
  return { id, endpoint: "alertmanager", remoteApp: app, remoteAppData: {}, remoteUnitsData: units };
}

test("provider unit bag carries url and the v0 relics", () => {
  assert.deepEqual(buildAlertmanagerProviderUnitData("http://AM-0.am-endpoints:9093"), {
    url: "http://AM-0.am-endpoints:9093",
    public_address: "am-0.am-endpoints:9093",
    scheme: "http",
  });
  assert.deepEqual(buildAlertmanagerProviderUnitData("https://10.0.0.5/cos-am"), {
    url: "https://10.0.0.5/cos-am",
    public_address: "10.0.0.5/cos-am",
    scheme: "https",
  });
  assert.equal(buildAlertmanagerProviderUnitData("am-0:9093"), undefined);
});

test("requirer reads several Alertmanager applications, v1 before v0, sorted and de-duplicated", () => {
  const { accepted, rejected } = parseAlertmanagers([
    rel(9, "am2", {
      "am2/0": { url: "http://b:9093" },
      "am2/1": { public_address: "c:9093/x", scheme: "https" },
    }),
    rel(4, "am", {
      "am/0": { url: "http://a:9093", public_address: "ignored:1" },
      "am/1": { url: "http://a:9093" },
      "am/2": { bogus: "x" },
      "am/3": {},
    }),
  ]);
  assert.deepEqual(
    accepted.map((e) => [e.relationId, e.unit, e.url, e.version]),
    [
      [4, "am/0", "http://a:9093", "v1"],
      [4, "am/1", "http://a:9093", "v1"],
      [9, "am2/0", "http://b:9093", "v1"],
      [9, "am2/1", "https://c:9093/x", "v0"],
    ],
  );
  assert.deepEqual(rejected, [
    {
      relationId: 4,
      unit: "am/2",
      reason: "unit data has neither 'url' (v1) nor 'public_address' (v0); ignoring this unit",
    },
  ]);
  assert.deepEqual(alertmanagerUrls(accepted), ["http://a:9093", "http://b:9093", "https://c:9093/x"]);
});

test("renderAlertmanagers groups by scheme and path prefix, adds http://, sorts targets", () => {
  const { alertmanagers, invalid } = renderAlertmanagers([
    "z:9093",
    "http://a:9093/",
    "https://ing2/cos-am",
    "https://ing/cos-am",
    "http://a:9093",
    "http://bad:port",
  ]);
  assert.deepEqual(invalid, ["http://bad:port"]);
  assert.deepEqual(alertmanagers, [
    { scheme: "http", path_prefix: "/", static_configs: [{ targets: ["a:9093", "z:9093"] }] },
    { scheme: "https", path_prefix: "/cos-am", static_configs: [{ targets: ["ing", "ing2"] }] },
  ]);
  assert.deepEqual(renderAlertmanagers([]), { alertmanagers: [], invalid: [] });
});

test("output does not depend on input order", () => {
  const urls = ["https://b/x", "http://a:1", "http://c:2", "https://a/x"];
  assert.deepEqual(renderAlertmanagers(urls), renderAlertmanagers([...urls].reverse()));
});

test("cluster-changed decision follows the Python library", () => {
  assert.equal(alertmanagerClusterChanged("relation-changed", "am/0"), true);
  assert.equal(alertmanagerClusterChanged("relation-changed", undefined), false);
  assert.equal(alertmanagerClusterChanged("relation-departed", undefined), true);
  assert.equal(alertmanagerClusterChanged("relation-broken", undefined), true);
  assert.equal(alertmanagerClusterChanged("relation-joined", "am/0"), false);
});
