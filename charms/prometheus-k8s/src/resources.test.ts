import assert from "node:assert/strict";
import { test } from "node:test";
import {
  adjustResourceRequirements,
  parseQuantity,
  resourceRequirements,
  sameRequirements,
} from "./resources.js";

test("adjust_resource_requirements: the Python library's own doctest vectors", () => {
  // observability_libs/v0/kubernetes_compute_resources_patch.py, adjust_resource_requirements doctests
  // (adhere_to_requests=True).
  assert.deepEqual(adjustResourceRequirements({}, {}), { limits: {}, requests: {} });
  assert.deepEqual(adjustResourceRequirements({ cpu: "1" }, {}), {
    limits: { cpu: "1" },
    requests: { cpu: "1" },
  });
  assert.deepEqual(adjustResourceRequirements({ cpu: "1" }, { cpu: "2" }), {
    limits: { cpu: "2" },
    requests: { cpu: "2" },
  });
  assert.deepEqual(adjustResourceRequirements({ cpu: "1" }, { memory: "1G" }), {
    limits: { cpu: "1" },
    requests: { memory: "1G", cpu: "1" },
  });
  assert.deepEqual(adjustResourceRequirements({ cpu: "1", memory: "1" }, { memory: "2" }), {
    limits: { cpu: "1", memory: "2" },
    requests: { memory: "2", cpu: "1" },
  });
});

test("the charm's requirements: 0.25 CPU and 200Mi requested, limits raised to them, memory in whole bytes", () => {
  assert.deepEqual(resourceRequirements(undefined, undefined), {
    limits: {},
    requests: { cpu: "0.25", memory: "200Mi" },
  });
  assert.deepEqual(resourceRequirements("500m", "1Gi"), {
    limits: { cpu: "0.5", memory: "1073741824" },
    requests: { cpu: "0.25", memory: "200Mi" },
  });
  assert.deepEqual(resourceRequirements("100m", "100Mi").limits, { cpu: "0.25", memory: "209715200" });
  assert.deepEqual(resourceRequirements("2", "").limits, { cpu: "2" });
  assert.equal(
    resourceRequirements(undefined, "0.8Gi").limits.memory,
    "858993460",
    "fractional bytes rounded up",
  );
  assert.equal(resourceRequirements("1.0005", undefined).limits.cpu, "1.001", "milli-CPU rounded up");
  assert.equal(resourceRequirements(undefined, "20Gi").limits.memory, "21474836480");
});

test("quantities compare whatever their spelling, as lightkube's equals_canonically", () => {
  assert.equal(parseQuantity("250m"), 0.25);
  assert.equal(parseQuantity("2e3"), 2000);
  assert.equal(parseQuantity("1Ki"), 1024);
  assert.equal(parseQuantity("nope"), undefined);
  const want = resourceRequirements("500m", undefined);
  assert.equal(
    sameRequirements({ limits: { cpu: "500m" }, requests: { cpu: "250m", memory: "200Mi" } }, want),
    true,
  );
  assert.equal(sameRequirements({ limits: {}, requests: { cpu: "250m", memory: "200Mi" } }, want), false);
  assert.equal(sameRequirements(undefined, want), false);
});
