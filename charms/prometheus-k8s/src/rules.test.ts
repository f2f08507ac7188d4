import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { diffFiles, noFileChanges, renderRuleFiles, ruleFileName } from "./rules.js";

const GROUP = {
  name: "cos_c2e9f4d5_zinc_k8s_HostHealth_rules",
  rules: [{ alert: "HostDown", expr: "up < 1", for: "5m" }],
};

describe("renderRuleFiles", () => {
  it("writes one juju_<key>.rules per entry, sorted, skipping empty ones", () => {
    const files = renderRuleFiles({
      "cos_c2e9f4d5_zinc-k8s_metrics-endpoint_7": { groups: [GROUP] },
      cos_c2e9f4d5_agent: { groups: [GROUP] },
      "cos_c2e9f4d5_empty_metrics-endpoint_9": { groups: [] },
    });
    assert.deepEqual(Object.keys(files), [
      "/etc/prometheus/rules/juju_cos_c2e9f4d5_agent.rules",
      "/etc/prometheus/rules/juju_cos_c2e9f4d5_zinc-k8s_metrics-endpoint_7.rules",
    ]);
    const doc = parse(files["/etc/prometheus/rules/juju_cos_c2e9f4d5_agent.rules"]!);
    assert.deepEqual(doc, { groups: [GROUP] });
  });
  it("keeps path separators out of file names; long keys are hashed to fit a file name", () => {
    assert.match(ruleFileName("a/../b"), /^juju_a_.._b_[0-9a-f]{16}\.rules$/);
    assert.equal(
      ruleFileName("cos_c2e9f4d5_zinc-k8s_metrics-endpoint_7"),
      "juju_cos_c2e9f4d5_zinc-k8s_metrics-endpoint_7.rules",
    );
    const long = `${"m".repeat(200)}_a1b2c3d4_${"a".repeat(100)}_metrics-endpoint_7`;
    assert.ok(ruleFileName(long).length <= 255);
    assert.notEqual(ruleFileName(long), ruleFileName(long.replace(/7$/, "8")));
  });
});

describe("diffFiles", () => {
  it("writes changed and new files and removes stale ones", () => {
    const changes = diffFiles(
      { "/r/a": "1", "/r/b": "2", "/r/c": "3" },
      { "/r/a": "1", "/r/b": "old", "/r/z": "x", "/r/y": undefined },
    );
    assert.deepEqual(changes, { write: { "/r/b": "2", "/r/c": "3" }, remove: ["/r/y", "/r/z"] });
    assert.equal(noFileChanges(changes), false);
  });
  it("is empty when the disk already matches", () => {
    assert.equal(noFileChanges(diffFiles({ "/r/a": "1" }, { "/r/a": "1" })), true);
  });
});
