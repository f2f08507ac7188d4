// What the charmkit CLI prints: "Where to look", up's progress prefix, action results, unit
// names of log directories, and unit logs merged by time.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import {
  elapsed,
  formatActionResult,
  ingressUrlOf,
  mergeLogs,
  progressPrefix,
  unitOfDir,
  whereToLook,
} from "./cli-format.js";
import type { UnitInfo } from "./controller.js";
import type { ModelStatus } from "./runtime/status.js";

type Unit = ModelStatus["units"][number];

function unit(name: string, over: Partial<Unit> = {}): Unit {
  const [app, n] = name.split("/");
  return {
    name,
    workload: "active",
    agent: "idle",
    address: "10.1.1.1",
    fqdn: `${app}-${n}.${app}-endpoints.local.svc.cluster.local`,
    message: "",
    leader: true,
    ports: [],
    ...over,
  };
}

function status(units: Unit[]): ModelStatus {
  return { model: { name: "local", uuid: "u" }, applications: [], units, relations: [] };
}

function info(name: string, appData: Record<string, string>[]): UnitInfo {
  return {
    unit: name,
    leader: true,
    address: "10.1.1.1",
    fqdn: "x",
    "opened-ports": [],
    "relation-info": appData.map((d, i) => ({
      "relation-id": i,
      endpoint: "e",
      "related-endpoint": "r",
      "application-data": d,
      "local-unit": { "in-scope": true, data: {} },
      "related-units": {},
    })),
  };
}

describe("ingressUrlOf", () => {
  test("reads ingress_per_unit's YAML mapping for this unit, and ingress v2's single url", () => {
    const perUnit =
      "prometheus/0:\n  url: http://ingress/local-prometheus-0\nprometheus/1:\n  url: http://ingress/p1\n";
    assert.equal(
      ingressUrlOf(info("prometheus/0", [{ other: "x" }, { ingress: perUnit }])),
      "http://ingress/local-prometheus-0",
    );
    assert.equal(ingressUrlOf(info("prometheus/1", [{ ingress: perUnit }])), "http://ingress/p1");
    assert.equal(ingressUrlOf(info("app/0", [{ ingress: '{"url": "https://h/app"}' }])), "https://h/app");
  });
  test("no ingress, another unit's entry only, garbage or a non-URL: none", () => {
    assert.equal(ingressUrlOf(info("a/0", [])), undefined);
    assert.equal(ingressUrlOf(info("a/0", [{ ingress: "b/0:\n  url: http://i/b\n" }])), undefined);
    assert.equal(ingressUrlOf(info("a/0", [{ ingress: "{" }])), undefined);
    assert.equal(ingressUrlOf(info("a/0", [{ ingress: '{"url": "javascript:x"}' }])), undefined);
  });
});

describe("whereToLook", () => {
  test("a unit behind an ingress: the ingress URL for a browser, its own address for the API", () => {
    const s = status([
      unit("alertmanager/0", { ports: ["9093/tcp"] }),
      unit("prometheus/0", { ports: ["9090/tcp"] }),
      unit("grafana/0", { ports: ["3000/tcp"], message: "datasource http://ingress/local-prometheus-0" }),
      unit("quiet/0"),
    ]);
    const text = whereToLook(s, new Map([["prometheus/0", "http://ingress/local-prometheus-0"]]), "/h");
    const lines = text.split("\n");
    const p = lines.findIndex((l) => l.startsWith("  prometheus/0 "));
    assert.match(
      lines[p] ?? "",
      /^ {2}prometheus\/0 +http:\/\/ingress\/local-prometheus-0\/ +\(in a browser/,
    );
    assert.match(
      lines[p + 1] ?? "",
      /^ +http:\/\/prometheus-0\.prometheus-endpoints\.local\.svc\.cluster\.local:9090 +\(API/,
    );
    assert.match(text, /^ {2}alertmanager\/0 +http:\/\/alertmanager-0\.[^ ]+:9093$/m);
    assert.match(
      text,
      /^ {2}grafana\/0 +http:\/\/grafana-0\.[^ ]+:3000 {2}http:\/\/ingress\/local-prometheus-0$/m,
    );
    assert.doesNotMatch(text, /quiet/);
    assert.match(text, /model home: \/h/);
  });
  test("a port that answered a TLS handshake is an https URL, the others stay http", () => {
    const s = status([
      unit("prometheus/0", { ports: ["9090/tcp"] }),
      unit("alertmanager/0", { ports: ["9093/tcp"] }),
    ]);
    const tls = new Set(["prometheus-0.prometheus-endpoints.local.svc.cluster.local:9090"]);
    const text = whereToLook(s, new Map(), "/h", tls);
    assert.match(text, /^ {2}prometheus\/0 +https:\/\/prometheus-0\.[^ ]+:9090$/m);
    assert.match(text, /^ {2}alertmanager\/0 +http:\/\/alertmanager-0\.[^ ]+:9093$/m);
  });
  test("nothing to look at: nothing printed", () => {
    assert.equal(whereToLook(status([unit("a/0")]), new Map(), "/h"), "");
  });
});

test("up's progress prefix counts settled units (idle or in error) and shows m:ss", () => {
  const s = status([
    unit("a/0"),
    unit("a/1", { agent: "executing" }),
    unit("b/0", { agent: "error" }),
    unit("c/0", { agent: "allocating" }),
  ]);
  assert.equal(progressPrefix(s, 125_400), "[2/4 settled 2:05]");
  assert.equal(elapsed(0), "0:00");
});

test("action results: multi-line values as YAML blocks under their key, then the status", () => {
  const text = formatActionResult({
    unit: "prometheus/0",
    action: "show-config",
    status: "completed",
    message: "",
    logs: ["rendering"],
    results: { "prometheus-yml": "global:\n  scrape_interval: 1m\n", valid: "true" },
    exitCode: 0,
    stdout: "",
    stderr: "",
  });
  assert.match(text, /^log: rendering\n/);
  assert.match(text, /^prometheus-yml: \|\n {2}global:\n {4}scrape_interval: 1m\n/m);
  assert.match(text, /\nstatus: completed\n$/);
  const body = text.split("\n").slice(1, -2).join("\n");
  assert.deepEqual(parseYaml(body), { "prometheus-yml": "global:\n  scrape_interval: 1m\n", valid: "true" });
});

test("unit log directories are named back to app/n", () => {
  assert.equal(unitOfDir("targets-a-0"), "targets-a/0");
  assert.equal(unitOfDir("prometheus-12"), "prometheus/12");
  assert.equal(unitOfDir("odd"), "odd");
});

describe("mergeLogs", () => {
  test("orders lines of every source by time, each once and labelled once", () => {
    const out = mergeLogs([
      {
        label: "a/0",
        text: "2026-01-01T00:00:01.000Z running install\n2026-01-01T00:00:03.000Z running start\n",
      },
      { label: "b/0", text: "2026-01-01T00:00:02.000Z running install\n" },
    ]);
    assert.equal(
      out,
      "a/0: 2026-01-01T00:00:01.000Z running install\n" +
        "b/0: 2026-01-01T00:00:02.000Z running install\n" +
        "a/0: 2026-01-01T00:00:03.000Z running start\n",
    );
  });
  test("continuation lines stay under their line; equal times keep source order; a half line waits", () => {
    const out = mergeLogs([
      { label: "a/0", text: "2026-01-01T00:00:01.000Z hook failed:\n  at x\n2026-01-01T00:00:05.000Z half" },
      { label: "", text: "2026-01-01T00:00:01.000Z same time\n" },
    ]);
    assert.equal(
      out,
      "a/0: 2026-01-01T00:00:01.000Z hook failed:\na/0:   at x\n2026-01-01T00:00:01.000Z same time\n",
    );
  });
});
