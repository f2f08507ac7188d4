// Tests of parseEvent: every hook kind, names containing "-" resolved through metadata.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { JujuContext } from "./context.js";
import { eventKey, eventSubject, parseEvent } from "./events.js";
import { parseCharmMeta } from "./metadata.js";

const meta = parseCharmMeta({
  metadata: {
    name: "c",
    requires: { "db-relation": { interface: "x" } },
    peers: { peers: { interface: "p" } },
    containers: { "my-workload": {} },
    storage: { "my-data": { type: "filesystem" } },
    actions: { "run-backup": {} },
  },
});
const base = {
  JUJU_UNIT_NAME: "c/0",
  JUJU_MODEL_NAME: "m",
  JUJU_MODEL_UUID: "u",
  JUJU_VERSION: "3.6.1",
  JUJU_CHARM_DIR: "/c",
};
const ev = (hook: string, extra: Record<string, string> = {}) =>
  parseEvent(
    JujuContext.fromEnv({ ...base, JUJU_DISPATCH_PATH: `hooks/${hook}`, JUJU_HOOK_NAME: hook, ...extra }),
    meta,
  );

describe("parseEvent", () => {
  test("lifecycle hooks", () => {
    for (const k of [
      "install",
      "start",
      "stop",
      "remove",
      "config-changed",
      "update-status",
      "upgrade-charm",
      "leader-elected",
      "leader-settings-changed",
    ]) {
      assert.deepEqual(ev(k), { kind: k });
    }
  });
  test("relation hooks with a dashed endpoint", () => {
    const rel = { JUJU_RELATION: "db-relation", JUJU_RELATION_ID: "db-relation:2", JUJU_REMOTE_APP: "pg" };
    for (const k of ["created", "joined", "changed", "departed", "broken"]) {
      const e = ev(`db-relation-relation-${k}`, {
        ...rel,
        JUJU_REMOTE_UNIT: "pg/0",
        JUJU_DEPARTING_UNIT: "pg/0",
      });
      assert.equal(e.kind, `relation-${k}`);
      assert.equal(eventSubject(e), "db-relation");
      assert.ok("relationId" in e && e.relationId === 2);
    }
  });
  test("storage, pebble and secret hooks", () => {
    assert.deepEqual(ev("my-data-storage-detaching", { JUJU_STORAGE_ID: "my-data/1" }), {
      kind: "storage-detaching",
      storageName: "my-data",
      storageIndex: 1,
      storageId: "my-data/1",
    });
    assert.deepEqual(ev("my-workload-pebble-ready", { JUJU_WORKLOAD_NAME: "my-workload" }), {
      kind: "pebble-ready",
      container: "my-workload",
    });
    const n = ev("my-workload-pebble-custom-notice", {
      JUJU_WORKLOAD_NAME: "my-workload",
      JUJU_NOTICE_ID: "5",
      JUJU_NOTICE_TYPE: "custom",
      JUJU_NOTICE_KEY: "k",
    });
    assert.equal(n.kind, "pebble-custom-notice");
    for (const k of ["failed", "recovered"]) {
      const c = ev(`my-workload-pebble-check-${k}`, {
        JUJU_WORKLOAD_NAME: "my-workload",
        JUJU_PEBBLE_CHECK_NAME: "up",
      });
      assert.deepEqual(c, { kind: `pebble-check-${k}`, container: "my-workload", checkName: "up" });
    }
    for (const k of ["changed", "rotate"]) {
      assert.equal(ev(`secret-${k}`, { JUJU_SECRET_ID: "secret:a" }).kind, `secret-${k}`);
    }
    for (const k of ["expired", "remove"]) {
      const s = ev(`secret-${k}`, { JUJU_SECRET_ID: "secret:a", JUJU_SECRET_REVISION: "3" });
      assert.ok("revision" in s && s.revision === 3);
    }
  });
  test("actions and undeclared hooks", () => {
    const a = parseEvent(
      JujuContext.fromEnv({ ...base, JUJU_DISPATCH_PATH: "actions/run-backup", JUJU_ACTION_UUID: "1" }),
      meta,
    );
    assert.deepEqual(a, { kind: "action", action: "run-backup", actionUuid: "1" });
    assert.equal(eventSubject(a), "run-backup");
    assert.deepEqual(ev("collect-metrics"), { kind: "other", hookName: "collect-metrics" });
    assert.equal(
      ev("nope-relation-changed", {
        JUJU_RELATION: "nope",
        JUJU_RELATION_ID: "nope:1",
        JUJU_REMOTE_APP: "x",
        JUJU_REMOTE_UNIT: "",
      }).kind,
      "other",
    );
  });
  test("eventKey ignores key order and undefined fields", () => {
    assert.equal(
      eventKey({ kind: "relation-changed", endpoint: "a", relationId: 1, remoteUnit: undefined }),
      eventKey({ relationId: 1, endpoint: "a", kind: "relation-changed" } as never),
    );
  });
});
