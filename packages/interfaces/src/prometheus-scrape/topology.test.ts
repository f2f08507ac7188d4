/** Tests of JujuTopology against cosl's behaviour (cosl's juju_topology.py `JujuTopology`). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isValidModelUuid, JujuTopology, TopologyError } from "./topology.js";

const UUID = "c2e9f4d5-dcb3-4870-8509-330eb9745ee8";

test("identifier is model_uuid8_app with / replaced", () => {
  assert.equal(
    JujuTopology.fromDict({ model: "cos", model_uuid: UUID, application: "zinc-k8s" }).identifier,
    "cos_c2e9f4d5_zinc-k8s",
  );
  assert.equal(new JujuTopology("a/b", UUID, "x/y").identifier, "a_b_c2e9f4d5_x_y");
});

test("asDict has the scrape_metadata shape and order, optional fields default to empty", () => {
  const t = JujuTopology.fromDict({ application: "zinc", model_uuid: UUID, model: "cos" });
  assert.deepEqual(Object.keys(t.asDict()), ["model", "model_uuid", "application", "unit", "charm_name"]);
  assert.equal(t.unit, "");
  assert.equal(t.charmName, "");
});

test("label matcher dict: non-empty values only, charm included, unit never", () => {
  const t = new JujuTopology("cos", UUID, "zinc", "zinc/0", "zinc-k8s");
  assert.deepEqual(t.labelMatcherDict(), {
    juju_model: "cos",
    juju_model_uuid: UUID,
    juju_application: "zinc",
    juju_charm: "zinc-k8s",
  });
  assert.deepEqual(Object.keys(new JujuTopology("cos", UUID, "zinc").labelMatcherDict()), [
    "juju_model",
    "juju_model_uuid",
    "juju_application",
  ]);
});

test("alert expression dict never has unit or charm", () => {
  const t = new JujuTopology("cos", UUID, "zinc", "zinc/0", "zinc-k8s");
  assert.deepEqual(t.alertExpressionDict(), {
    juju_model: "cos",
    juju_model_uuid: UUID,
    juju_application: "zinc",
  });
});

test("UUID must round-trip as canonical version-4", () => {
  assert.ok(isValidModelUuid(UUID));
  assert.ok(!isValidModelUuid(UUID.toUpperCase()), "uppercase does not round-trip");
  assert.ok(!isValidModelUuid("c2e9f4d5-dcb3-1870-8509-330eb9745ee8"), "version 1");
  assert.ok(!isValidModelUuid("c2e9f4d5-dcb3-4870-c509-330eb9745ee8"), "wrong variant");
  assert.ok(!isValidModelUuid("c2e9f4d5dcb348708509330eb9745ee8"), "no hyphens");
  assert.throws(
    () => new JujuTopology("m", "nope", "a"),
    (e: unknown) => e instanceof TopologyError && e.field === "model_uuid",
  );
});

test("fromDict names the missing or mistyped field", () => {
  for (const k of ["model", "model_uuid", "application"] as const) {
    const d: Record<string, unknown> = { model: "m", model_uuid: UUID, application: "a" };
    delete d[k];
    assert.throws(
      () => JujuTopology.fromDict(d),
      (e: unknown) => e instanceof TopologyError && e.field === k,
    );
  }
  assert.throws(
    () => JujuTopology.fromDict({ model: 1, model_uuid: UUID, application: "a" }),
    /'model' is not a string/,
  );
  assert.throws(
    () => JujuTopology.fromDict([]),
    (e: unknown) => e instanceof TopologyError && e.field === "scrape_metadata",
  );
  assert.throws(
    () => JujuTopology.fromDict({ model: "m", model_uuid: UUID, application: "a", unit: 3 }),
    /'unit'/,
  );
});
