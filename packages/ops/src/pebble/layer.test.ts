/** Tests of layer validation, YAML round trips and Pebble's combine semantics. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LayerError } from "./errors.js";
import {
  addLayer,
  combineLayers,
  combinePlan,
  type Layer,
  layerToYaml,
  parseLayer,
  parsePlan,
  plansEqual,
  servicesEqual,
  validateLayer,
  validatePlan,
} from "./layer.js";

const BASE: Layer = {
  summary: "base",
  services: {
    web: {
      override: "replace",
      command: "/bin/web --port 80",
      startup: "enabled",
      after: ["db"],
      environment: { A: "1", B: "2" },
      "on-check-failure": { up: "restart" },
    },
    db: { override: "replace", command: "/bin/db" },
  },
  checks: {
    up: { override: "replace", level: "alive", http: { url: "http://localhost/", headers: { X: "1" } } },
  },
  "log-targets": { loki: { override: "replace", type: "loki", location: "http://l", services: ["web"] } },
};

describe("validateLayer / parseLayer", () => {
  it("accepts a full layer and keeps every field", () => {
    const l = parseLayer(layerToYaml(BASE));
    assert.deepEqual(l, validateLayer(BASE));
    assert.equal(l.services?.web?.command, "/bin/web --port 80");
    assert.deepEqual(l.checks?.up?.http?.headers, { X: "1" });
  });

  it("requires override on every entry", () => {
    assert.throws(
      () => validateLayer({ services: { web: { command: "x" } } }),
      (e: unknown) => e instanceof LayerError && e.field === "services.web.override",
    );
    assert.throws(
      () => validateLayer({ checks: { c: { tcp: { port: 1 } } } }),
      (e: unknown) => e instanceof LayerError && e.field === "checks.c.override",
    );
  });

  it("rejects unknown fields, wrong types, bad enums and durations with the field named", () => {
    const cases: [unknown, string][] = [
      [{ services: { web: { override: "merge", bogus: 1 } } }, "services.web.bogus"],
      [{ services: { web: { override: "merge", startup: "on" } } }, "services.web.startup"],
      [{ services: { web: { override: "merge", after: "db" } } }, "services.web.after"],
      [{ services: { web: { override: "merge", "user-id": 1.5 } } }, "services.web.user-id"],
      [{ services: { web: { override: "merge", "kill-delay": "soon" } } }, "services.web.kill-delay"],
      [{ services: { web: { override: "merge", "on-failure": "explode" } } }, "services.web.on-failure"],
      [{ services: { web: { override: "sideways" } } }, "services.web.override"],
      [{ services: { pebble: { override: "merge" } } }, "services.pebble"],
      [{ checks: { c: { override: "merge", level: "deep" } } }, "checks.c.level"],
      [{ checks: { c: { override: "merge", tcp: { port: "x" } } } }, "checks.c.tcp.port"],
      [{ "log-targets": { t: { override: "merge", type: "fluentd" } } }, "log-targets.t.type"],
      [{ nonsense: {} }, "nonsense"],
    ];
    for (const [raw, field] of cases) {
      assert.throws(
        () => validateLayer(raw),
        (e: unknown) => e instanceof LayerError && e.field === field && e.message.startsWith(field),
        field,
      );
    }
  });

  it("turns YAML syntax errors into LayerError", () => {
    assert.throws(() => parseLayer("services: [unclosed"), /cannot parse layer YAML/);
  });

  it("stringifies scalar environment values as Pebble does", () => {
    const l = validateLayer({ services: { s: { override: "merge", environment: { N: 3, T: true } } } });
    assert.deepEqual(l.services?.s?.environment, { N: "3", T: "true" });
  });
});

describe("combineLayers", () => {
  it("merge appends lists, merges maps and replaces scalars", () => {
    const over: Layer = {
      services: {
        web: {
          override: "merge",
          command: "/bin/web --port 81",
          after: ["cache"],
          environment: { B: "3", C: "4" },
          "on-check-failure": { ready: "ignore" },
        },
      },
      checks: { up: { override: "merge", http: { headers: { Y: "2" } } } },
      "log-targets": { loki: { override: "merge", services: ["db"], labels: { a: "b" } } },
    };
    const out = combineLayers(BASE, over);
    const web = out.services?.web;
    assert.equal(web?.command, "/bin/web --port 81");
    assert.equal(web?.startup, "enabled");
    assert.deepEqual(web?.after, ["db", "cache"]);
    assert.deepEqual(web?.environment, { A: "1", B: "3", C: "4" });
    assert.deepEqual(web?.["on-check-failure"], { up: "restart", ready: "ignore" });
    assert.deepEqual(out.checks?.up?.http, { url: "http://localhost/", headers: { X: "1", Y: "2" } });
    assert.deepEqual(out["log-targets"]?.loki?.services, ["web", "db"]);
    assert.equal(out.services?.db?.command, "/bin/db");
    // inputs untouched
    assert.deepEqual(BASE.services?.web?.after, ["db"]);
    assert.deepEqual(BASE.services?.web?.environment, { A: "1", B: "2" });
  });

  it("replace swaps the whole entry", () => {
    const out = combineLayers(BASE, { services: { web: { override: "replace", command: "/bin/other" } } });
    assert.deepEqual(out.services?.web, { override: "replace", command: "/bin/other" });
  });
});

describe("addLayer / combinePlan", () => {
  it("appends new labels, combines an existing label, and refuses duplicates without combine", () => {
    let layers = addLayer([], "base", BASE, false);
    layers = addLayer(
      layers,
      "extra",
      { services: { db: { override: "merge", startup: "enabled" } } },
      false,
    );
    assert.deepEqual(
      layers.map((l) => l.label),
      ["base", "extra"],
    );
    assert.throws(() => addLayer(layers, "base", {}, false), /already exists/);
    assert.throws(() => addLayer(layers, "", {}, true), /label must be set/);
    // canonical/pebble internals/plan/plan.go Layer.Validate: "pebble-" labels are reserved.
    assert.throws(() => addLayer(layers, "pebble-base", {}, true), /reserved label prefix "pebble-"/);
    const combined = addLayer(layers, "base", { services: { web: { override: "merge", user: "u" } } }, true);
    assert.deepEqual(
      combined.map((l) => l.label),
      ["base", "extra"],
    );
    assert.equal(combined[0]?.layer.services?.web?.user, "u");
    const plan = combinePlan(combined);
    assert.equal(plan.services?.db?.startup, "enabled");
    assert.equal(plan.services?.web?.user, "u");
    validatePlan(plan);
  });

  it("later layers win in the plan", () => {
    const plan = combinePlan([
      { label: "a", layer: { services: { s: { override: "replace", command: "one", startup: "enabled" } } } },
      { label: "b", layer: { services: { s: { override: "replace", command: "two" } } } },
    ]);
    assert.deepEqual(plan.services?.s, { override: "replace", command: "two" });
  });
});

describe("validatePlan", () => {
  it("requires commands, known dependencies and exactly one check kind", () => {
    assert.throws(() => validatePlan({ services: { s: { override: "merge" } } }), /services\.s\.command/);
    assert.throws(
      () => validatePlan({ services: { s: { command: "x", requires: ["nope"] } } }),
      /dependency "nope"/,
    );
    assert.throws(
      () => validatePlan({ checks: { c: { http: { url: "u" }, tcp: { port: 1 } } } }),
      /exactly one/,
    );
    assert.throws(() => validatePlan({ checks: { c: {} } }), /exactly one/);
  });
});

describe("equality and YAML", () => {
  it("treats empty maps/lists as missing and ignores override for services", () => {
    assert.ok(servicesEqual({ command: "x", environment: {} }, { override: "replace", command: "x" }));
    assert.ok(!servicesEqual({ command: "x" }, { command: "y" }));
    assert.ok(!servicesEqual({ command: "x" }, undefined));
    assert.ok(plansEqual({ services: {} }, {}));
    assert.ok(!plansEqual(BASE, {}));
  });

  it("serialises with sorted keys so insertion order does not matter", () => {
    const a = layerToYaml({ services: { b: { command: "2" }, a: { command: "1" } } });
    const b = layerToYaml({ services: { a: { command: "1" }, b: { command: "2" } } });
    assert.equal(a, b);
    assert.ok(a.indexOf("a:") < a.indexOf("b:"));
    assert.equal(layerToYaml({}), "{}\n");
    assert.deepEqual(parsePlan(a), { services: { a: { command: "1" }, b: { command: "2" } } });
  });
});

it("log target names are not restricted (Pebble's plan.go Layer.Validate): LogForwarder uses unit names", () => {
  const layer = validateLayer({
    "log-targets": {
      "loki/0": { override: "replace", type: "loki", location: "http://l/push", services: ["all"] },
    },
  });
  assert.deepEqual(Object.keys(layer["log-targets"] ?? {}), ["loki/0"]);
  assert.throws(
    () => validateLayer({ services: { "a/b": { override: "replace", command: "x" } } }),
    /invalid name/,
  );
});
