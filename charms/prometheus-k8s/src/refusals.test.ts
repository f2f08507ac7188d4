/** Tests of the remembered promtool refusals: digests, parsing, what they leave out. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Collected } from "./decide.js";
import { currentRefusals, parseRefusals, partDigest, refusedRelation, toExclusion } from "./refusals.js";

const collected = (
  jobs: Record<string, unknown>[],
  jobRelations: number[],
  rules: Record<string, number> = {},
) =>
  ({
    jobs,
    jobRelations,
    ruleFiles: Object.fromEntries(Object.keys(rules).map((k) => [k, { groups: [{ name: k, rules: [] }] }])),
    ruleFileRelations: rules,
  }) as unknown as Collected;

describe("remembered refusals", () => {
  it("hold while the relation's part is unchanged, and lapse when it changes", () => {
    const before = collected([{ job_name: "a" }, { job_name: "b" }], [1, 2], { r1: 1 });
    const refusal = {
      relationId: 2,
      part: "jobs" as const,
      reason: "promtool refused its jobs: x",
      digest: partDigest(before, 2, "jobs"),
    };
    // Another relation's change does not matter; this relation's does.
    assert.deepEqual(currentRefusals(collected([{ job_name: "a2" }, { job_name: "b" }], [1, 2]), [refusal]), [
      refusal,
    ]);
    assert.deepEqual(
      currentRefusals(collected([{ job_name: "a" }, { job_name: "b2" }], [1, 2]), [refusal]),
      [],
    );
    assert.notEqual(partDigest(before, 1, "rules"), partDigest(collected([], [], { r1b: 1 }), 1, "rules"));
  });
  it("parse only well-formed entries; garbage costs promtool runs, nothing else", () => {
    const ok = { relationId: 3, part: "rules", reason: "r", digest: "d" };
    assert.deepEqual(parseRefusals(JSON.stringify([ok, { relationId: "x" }, null, { ...ok, part: "all" }])), [
      ok,
    ]);
    assert.deepEqual(parseRefusals("{not json"), []);
    assert.deepEqual(parseRefusals(""), []);
  });
  it("leave out jobs and rules separately, and are named like any rejection", () => {
    const ex = toExclusion([
      { relationId: 1, part: "jobs", reason: "" },
      { relationId: 2, part: "rules", reason: "" },
    ]);
    assert.deepEqual([...ex.jobs], [1]);
    assert.deepEqual([...ex.rules], [2]);
    assert.deepEqual(
      refusedRelation(
        { relationId: 7, part: "jobs", reason: "promtool refused its jobs: x" },
        new Map([[7, "zinc"]]),
      ),
      {
        relation: "metrics-endpoint:7",
        remoteApp: "zinc",
        reason: "relation metrics-endpoint:7 (zinc): promtool refused its jobs: x",
      },
    );
  });
});
