import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildLayer, serviceChanged } from "./layer.js";

describe("buildLayer", () => {
  it("builds the prometheus service with an empty environment", () => {
    assert.deepEqual(buildLayer("/bin/prometheus --x"), {
      summary: "Prometheus layer",
      description: "Pebble layer configuration for Prometheus",
      services: {
        prometheus: {
          override: "replace",
          summary: "prometheus daemon",
          startup: "enabled",
          command: "/bin/prometheus --x",
          environment: {},
        },
      },
    });
  });
  it("adds OTEL_RESOURCE_ATTRIBUTES in the Python charm's key order when tracing", () => {
    const l = buildLayer("c", {
      model: "cos",
      modelUuid: "u",
      application: "prom",
      unit: "prom/0",
      charm: "prometheus-k8s",
    });
    assert.equal(
      l.services.prometheus.environment.OTEL_RESOURCE_ATTRIBUTES,
      "juju_application=prom,juju_model=cos,juju_model_uuid=u,juju_unit=prom/0,juju_charm=prometheus-k8s",
    );
  });
});

describe("serviceChanged", () => {
  const wanted = buildLayer("/bin/prometheus --a").services.prometheus;
  it("is false for the same service read back from Pebble's plan", () => {
    assert.equal(serviceChanged({ ...wanted }, wanted), false);
    assert.equal(
      serviceChanged({ override: "replace", command: wanted.command, startup: "enabled" }, wanted),
      false,
    );
  });
  it("is true for no service, a new command or new environment", () => {
    assert.equal(serviceChanged(undefined, wanted), true);
    assert.equal(serviceChanged({ ...wanted, command: "/bin/prometheus --b" }, wanted), true);
    assert.equal(serviceChanged({ ...wanted, environment: { A: "1" } }, wanted), true);
    const traced = buildLayer("c", { model: "m", modelUuid: "u", application: "a", unit: "a/0", charm: "c" });
    assert.equal(
      serviceChanged({ ...traced.services.prometheus, environment: {} }, traced.services.prometheus),
      true,
    );
  });
});
