import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { RelationSnapshot } from "@charmkit/ops";
import { schemasHash } from "./gen-validators.js";
import { fakeModel } from "../common/testing.js";
import {
  buildIngressProviderAppData,
  buildIngressRequirerUnitData,
  ingressTransition,
  ingressUrlForUnit,
  parseIngressRequests,
  parseIngressUrls,
  publishIngressRequest,
  readIngressUrl,
} from "./index.js";

function rel(
  id: number,
  app: Record<string, string>,
  units: Record<string, Record<string, string>> = {},
): RelationSnapshot {
  return { id, endpoint: "ingress", remoteApp: "r", remoteAppData: app, remoteUnitsData: units };
}

const PROM_REQUEST = {
  model: "cos",
  name: "prometheus/0",
  host: "prometheus-0.prometheus-endpoints.cos.svc.cluster.local",
  port: 9090,
  mode: "http",
  scheme: "https",
  stripPrefix: true,
  redirectHttps: true,
} as const;

test("requirer unit bag: all strings, Python key order, flags only when true", () => {
  const bag = buildIngressRequirerUnitData(PROM_REQUEST);
  assert.deepEqual(Object.entries(bag), [
    ["model", "cos"],
    ["name", "prometheus/0"],
    ["host", "prometheus-0.prometheus-endpoints.cos.svc.cluster.local"],
    ["port", "9090"],
    ["mode", "http"],
    ["scheme", "https"],
    ["strip-prefix", "true"],
    ["redirect-https", "true"],
  ]);
  assert.deepEqual(buildIngressRequirerUnitData({ model: "m", name: "a/1", host: "h", port: 80 }), {
    model: "m",
    name: "a/1",
    host: "h",
    port: "80",
    mode: "http",
  });
});

test("requirer reads its URL from the provider's YAML", () => {
  const yaml =
    "prometheus/0:\n  url: http://1.2.3.4/cos-prometheus-0\nprometheus/1:\n  url: http://1.2.3.4/cos-prometheus-1\n";
  const { accepted, rejected } = parseIngressUrls([rel(5, { ingress: yaml }), rel(6, {})]);
  assert.deepEqual(rejected, []);
  assert.deepEqual(accepted, [
    {
      relationId: 5,
      urls: {
        "prometheus/0": "http://1.2.3.4/cos-prometheus-0",
        "prometheus/1": "http://1.2.3.4/cos-prometheus-1",
      },
    },
    { relationId: 6, urls: {} },
  ]);
  assert.equal(ingressUrlForUnit(accepted, "prometheus/1"), "http://1.2.3.4/cos-prometheus-1");
  assert.equal(ingressUrlForUnit(accepted, "prometheus/2"), undefined);
});

test("requirer rejects malformed YAML, non-mappings and entries without url, keeping good entries", () => {
  const r = parseIngressUrls([
    rel(1, { ingress: "a/0: [unclosed" }),
    rel(2, { ingress: "- just\n- a list\n" }),
    rel(3, { ingress: "a/0:\n  url: http://x/0\na/1:\n  nourl: 1\na/2: plain\n" }),
  ]);
  assert.deepEqual(r.accepted, [{ relationId: 3, urls: { "a/0": "http://x/0" } }]);
  assert.deepEqual(
    r.rejected.map((x) => [x.relationId, x.unit]),
    [
      [1, undefined],
      [2, undefined],
      [3, "a/1"],
      [3, "a/2"],
    ],
  );
  assert.match(r.rejected[0]!.reason, /'ingress' is not valid YAML/);
  assert.equal(r.rejected[1]!.reason, "'ingress' must be a YAML mapping of unit name to {url}");
});

test("ready / revoked / unchanged transitions", () => {
  assert.deepEqual(ingressTransition(undefined, "http://u"), { kind: "ready", url: "http://u" });
  assert.deepEqual(ingressTransition("http://old", "http://u"), { kind: "ready", url: "http://u" });
  assert.deepEqual(ingressTransition("http://u", "http://u"), { kind: "unchanged" });
  assert.deepEqual(ingressTransition("http://u", undefined), { kind: "revoked" });
  assert.deepEqual(ingressTransition(undefined, undefined), { kind: "unchanged" });
});

test("provider validates requests against the schema, coercing the string port", () => {
  const good = buildIngressRequirerUnitData(PROM_REQUEST);
  const { accepted, rejected } = parseIngressRequests([
    rel(
      7,
      {},
      {
        "prometheus/0": good,
        "prometheus/1": { ...good, name: "prometheus/1", port: "http" },
        "prometheus/2": { model: "cos", name: "prometheus/2", port: "9090" },
        "prometheus/3": { ...good, name: "prometheus/3", mode: "udp" },
        "prometheus/4": { ...good, name: "prometheus/4", port: "70000" },
        "prometheus/5": {},
      },
    ),
  ]);
  assert.deepEqual(accepted, [
    {
      relationId: 7,
      unit: "prometheus/0",
      app: "r",
      model: "cos",
      name: "prometheus/0",
      host: PROM_REQUEST.host,
      port: 9090,
      mode: "http",
      scheme: "https",
      stripPrefix: true,
      redirectHttps: true,
    },
  ]);
  assert.deepEqual(
    rejected.map((r) => r.unit),
    ["prometheus/1", "prometheus/2", "prometheus/3", "prometheus/4"],
  );
  assert.match(rejected[0]!.reason, /'port' must be integer/);
  assert.match(rejected[1]!.reason, /must have required property 'host'/);
  assert.match(rejected[2]!.reason, /'mode' must be equal to one of the allowed values \(http, tcp\)/);
  assert.match(rejected[3]!.reason, /'port' must be <= 65535/);
});

// Juju writes these into every unit's bag when the unit enters the relation's scope, before the
// charm has written anything (the local runtime does the same, see its fillUnitBag).
const JUJU_KEYS = {
  "egress-subnets": "10.1.2.3/32",
  "ingress-address": "10.1.2.3",
  "private-address": "10.1.2.3",
};

test("provider: a bag with only Juju's own keys is a unit that has not asked yet, not a bad request", () => {
  // traefik_k8s/v1/ingress_per_unit.py `_get_requirer_unit_data` reads only the interface's keys,
  // so Juju's keys neither make a request nor spoil one; `is_unit_ready` is false for such a unit.
  const good = buildIngressRequirerUnitData(PROM_REQUEST);
  const { accepted, rejected } = parseIngressRequests([
    rel(
      3,
      {},
      {
        "prometheus/0": { ...JUJU_KEYS },
        "prometheus/1": { ...JUJU_KEYS, ...good, name: "prometheus/1" },
        "prometheus/2": { ...JUJU_KEYS, model: "cos", name: "prometheus/2" },
      },
    ),
  ]);
  assert.deepEqual(
    accepted.map((a) => [a.unit, a.name, a.port]),
    [["prometheus/1", "prometheus/1", 9090]],
  );
  // A bag that has begun a request but lacks required keys is still refused, and only that unit.
  assert.deepEqual(
    rejected.map((r) => [r.relationId, r.unit]),
    [[3, "prometheus/2"]],
  );
  assert.match(rejected[0]!.reason, /must have required property 'host'/);
  assert.doesNotMatch(rejected[0]!.reason, /ingress-address|egress-subnets|private-address/);
});

test("provider app bag is PyYAML-style YAML, sorted; empty deletes the key", () => {
  assert.deepEqual(buildIngressProviderAppData({ "p/1": "http://h/p-1", "p/0": "http://h/p-0" }), {
    ingress: "p/0:\n  url: http://h/p-0\np/1:\n  url: http://h/p-1\n",
  });
  assert.deepEqual(buildIngressProviderAppData({}), { ingress: "" });
  const back = parseIngressUrls([rel(1, buildIngressProviderAppData({ "p/0": "http://h/x: y" }))]);
  assert.deepEqual(back.accepted[0]!.urls, { "p/0": "http://h/x: y" });
});

test("the generated validator matches the schemas it was generated from", () => {
  const gen = readFileSync(join(import.meta.dirname, "validate-requirer.gen.ts"), "utf8");
  assert.match(gen, new RegExp(`schemas-sha256: ${schemasHash()}`), "run gen-validators.ts to regenerate");
});

test("SDK binding: publish this unit's request and read its URL", () => {
  const r = rel(5, { ingress: "prometheus/0:\n  url: http://i/p-0\n" });
  const m = fakeModel(false, { ingress: [r] });
  publishIngressRequest(m, PROM_REQUEST);
  assert.deepEqual(m.writes, [
    { endpoint: "ingress", id: 5, bag: "unit", data: buildIngressRequirerUnitData(PROM_REQUEST) },
  ]);
  assert.deepEqual(readIngressUrl(m), { url: "http://i/p-0", rejected: [] });
  assert.deepEqual(readIngressUrl(fakeModel(false, {})), { url: undefined, rejected: [] });
});
