import assert from "node:assert/strict";
import { test } from "node:test";
import type { Model, RelationSnapshot } from "@charmkit/ops";
import { localIdentity, type ModelLike, relationSnapshots, writeAppData, writeUnitData } from "./sdk.js";
import { fakeModel } from "./testing.js";

const snap = (id: number): RelationSnapshot => ({
  id,
  endpoint: "e",
  remoteApp: "r",
  remoteAppData: {},
  remoteUnitsData: {},
});

test("app data is written only by the leader, to every relation", () => {
  const leader = fakeModel(true, { e: [snap(1), snap(2)] });
  assert.equal(
    writeAppData(leader, "e", (r) => ({ k: String(r.id) })),
    true,
  );
  assert.deepEqual(
    leader.writes.map((w) => [w.id, w.bag, w.data.k]),
    [
      [1, "app", "1"],
      [2, "app", "2"],
    ],
  );
  const follower = fakeModel(false, { e: [snap(1)] });
  assert.equal(
    writeAppData(follower, "e", () => ({ k: "v" })),
    false,
  );
  assert.deepEqual(follower.writes, []);
});

test("unit data, snapshots and identity", () => {
  const m = fakeModel(false, { e: [snap(3)] });
  writeUnitData(m, "e", { a: "b" });
  assert.deepEqual(m.writes, [{ endpoint: "e", id: 3, bag: "unit", data: { a: "b" } }]);
  assert.deepEqual(relationSnapshots(m, "e"), [snap(3)]);
  assert.deepEqual(relationSnapshots(m, "none"), []);
  assert.deepEqual(localIdentity(m), {
    modelName: "cos",
    modelUuid: "f2c1b2a4-7a3e-4c1d-9b5e-1a2b3c4d5e6f",
    appName: "prometheus",
    unitName: "prometheus/0",
  });
});

// The SDK's real Model must fit the structural type the helpers accept.
export const modelFitsModelLike = (m: Model): ModelLike => m;
