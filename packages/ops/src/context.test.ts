// Tests of JujuContext.fromEnv: typed fields, required-variable rules, malformed values.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ContextError, JujuContext } from "./context.js";

const base = {
  JUJU_UNIT_NAME: "my-app/3",
  JUJU_MODEL_NAME: "m",
  JUJU_MODEL_UUID: "uuid-1",
  JUJU_VERSION: "3.6.14",
  JUJU_CHARM_DIR: "/charm",
};

function env(hook: string, extra: Record<string, string | undefined> = {}) {
  return { ...base, JUJU_DISPATCH_PATH: `hooks/${hook}`, JUJU_HOOK_NAME: hook, ...extra };
}

function throwsNaming(fn: () => unknown, variable: string) {
  assert.throws(
    fn,
    (e: unknown) => e instanceof ContextError && e.variable === variable && e.message.includes(variable),
  );
}

describe("JujuContext.fromEnv", () => {
  test("common fields, frozen, no CHARMKIT_* variable read", () => {
    const c = JujuContext.fromEnv(env("install", { JUJU_DEBUG: "", JUJU_DEBUG_AT: "hook, all" }));
    assert.equal(c.appName, "my-app");
    assert.equal(c.unitName, "my-app/3");
    assert.equal(c.charmDir, "/charm");
    assert.equal(c.debug, true);
    assert.deepEqual(c.debugAt, ["hook", "all"]);
    assert.ok(Object.isFrozen(c));
    const l = JujuContext.fromEnv(
      env("install", {
        // Production paths read Juju's variables only: these change nothing.
        CHARMKIT_PEBBLE_SOCKET_DIR: "/tmp/p",
        CHARMKIT_UNIT_FQDN: "u.local",
        JUJU_CHARM_DIR: undefined,
        CHARM_DIR: "/legacy",
      }),
    );
    assert.ok(!Object.values(l).some((v) => v === "/tmp/p" || v === "u.local"));
    assert.equal(l.charmDir, "/legacy");
  });

  test("required variables are named when missing", () => {
    for (const v of [
      "JUJU_UNIT_NAME",
      "JUJU_MODEL_NAME",
      "JUJU_MODEL_UUID",
      "JUJU_VERSION",
      "JUJU_CHARM_DIR",
    ]) {
      throwsNaming(() => JujuContext.fromEnv(env("start", { [v]: undefined })), v);
    }
    throwsNaming(() => JujuContext.fromEnv({ ...base }), "JUJU_DISPATCH_PATH");
    // meter-status-changed may lack JUJU_VERSION.
    assert.equal(JujuContext.fromEnv(env("meter-status-changed", { JUJU_VERSION: undefined })).version, "");
  });

  test("malformed values are named", () => {
    throwsNaming(() => JujuContext.fromEnv(env("start", { JUJU_UNIT_NAME: "noslash" })), "JUJU_UNIT_NAME");
    throwsNaming(() => JujuContext.fromEnv(env("start", { JUJU_VERSION: "three" })), "JUJU_VERSION");
    throwsNaming(
      () => JujuContext.fromEnv(env("start", { JUJU_DISPATCH_PATH: "bin/start" })),
      "JUJU_DISPATCH_PATH",
    );
    throwsNaming(() => JujuContext.fromEnv(env("start", { JUJU_HOOK_NAME: "stop" })), "JUJU_HOOK_NAME");
  });

  // juju/juju worker/uniter/runner/context/context.go HookVars exports JUJU_HOOK_NAME=<hook name>,
  // which is empty in a `juju exec` context; ops/_main.py `_Dispatcher` names the event from
  // JUJU_DISPATCH_PATH, and ops/jujucontext.py `_from_dict` accepts the empty name.
  test("juju exec: an empty JUJU_HOOK_NAME takes the hook from JUJU_DISPATCH_PATH", () => {
    const c = JujuContext.fromEnv(env("update-status", { JUJU_HOOK_NAME: "" }));
    assert.equal(c.hookName, "update-status");
    assert.equal(c.dispatchPath, "hooks/update-status");
    const r = JujuContext.fromEnv(
      env("db-relation-broken", {
        JUJU_HOOK_NAME: "",
        JUJU_RELATION: "db",
        JUJU_RELATION_ID: "db:4",
        JUJU_REMOTE_APP: "pg",
      }),
    );
    assert.equal(r.hookName, "db-relation-broken");
    assert.equal(r.relationId, 4);
  });

  test("argv[0] fallback when JUJU_DISPATCH_PATH is unset", () => {
    const c = JujuContext.fromEnv(
      { ...base, JUJU_HOOK_NAME: "install" },
      "/var/lib/juju/charm/hooks/install",
    );
    assert.equal(c.dispatchPath, "hooks/install");
  });

  test("relation hooks: id parsed, remote unit rules", () => {
    const rel = { JUJU_RELATION: "db", JUJU_RELATION_ID: "db:7", JUJU_REMOTE_APP: "pg" };
    const c = JujuContext.fromEnv(env("db-relation-joined", { ...rel, JUJU_REMOTE_UNIT: "pg/0" }));
    assert.equal(c.relationId, 7);
    assert.equal(c.remoteUnit, "pg/0");
    // App-level relation-changed: present but empty.
    assert.equal(
      JujuContext.fromEnv(env("db-relation-changed", { ...rel, JUJU_REMOTE_UNIT: "" })).remoteUnit,
      undefined,
    );
    throwsNaming(() => JujuContext.fromEnv(env("db-relation-changed", rel)), "JUJU_REMOTE_UNIT");
    throwsNaming(() => JujuContext.fromEnv(env("db-relation-joined", rel)), "JUJU_REMOTE_UNIT");
    throwsNaming(
      () => JujuContext.fromEnv(env("db-relation-created", { ...rel, JUJU_RELATION_ID: "db:x" })),
      "JUJU_RELATION_ID",
    );
    throwsNaming(
      () => JujuContext.fromEnv(env("db-relation-created", { ...rel, JUJU_RELATION: undefined })),
      "JUJU_RELATION",
    );
    throwsNaming(
      () => JujuContext.fromEnv(env("db-relation-created", { ...rel, JUJU_REMOTE_APP: undefined })),
      "JUJU_REMOTE_APP",
    );
    // -broken tolerates a forgotten remote app.
    const b = JujuContext.fromEnv(env("db-relation-broken", { ...rel, JUJU_REMOTE_APP: "" }));
    assert.equal(b.remoteApp, undefined);
    const d = JujuContext.fromEnv(
      env("db-relation-departed", { ...rel, JUJU_REMOTE_UNIT: "pg/1", JUJU_DEPARTING_UNIT: "pg/1" }),
    );
    assert.equal(d.departingUnit, "pg/1");
  });

  test("storage, pebble, secret and action variables", () => {
    const s = JujuContext.fromEnv(env("my-data-storage-attached", { JUJU_STORAGE_ID: "my-data/2" }));
    assert.equal(s.storageName, "my-data");
    assert.equal(s.storageIndex, 2);
    throwsNaming(
      () => JujuContext.fromEnv(env("data-storage-attached", { JUJU_STORAGE_ID: "data" })),
      "JUJU_STORAGE_ID",
    );
    const n = JujuContext.fromEnv(
      env("w-pebble-custom-notice", {
        JUJU_WORKLOAD_NAME: "w",
        JUJU_NOTICE_ID: "1",
        JUJU_NOTICE_TYPE: "custom",
        JUJU_NOTICE_KEY: "a.com/b",
      }),
    );
    assert.equal(n.noticeKey, "a.com/b");
    throwsNaming(() => JujuContext.fromEnv(env("w-pebble-ready")), "JUJU_WORKLOAD_NAME");
    throwsNaming(
      () => JujuContext.fromEnv(env("w-pebble-check-failed", { JUJU_WORKLOAD_NAME: "w" })),
      "JUJU_PEBBLE_CHECK_NAME",
    );
    const sec = JujuContext.fromEnv(
      env("secret-remove", { JUJU_SECRET_ID: "secret:x", JUJU_SECRET_REVISION: "4" }),
    );
    assert.equal(sec.secretRevision, 4);
    throwsNaming(
      () => JujuContext.fromEnv(env("secret-expired", { JUJU_SECRET_ID: "secret:x" })),
      "JUJU_SECRET_REVISION",
    );
    throwsNaming(
      () =>
        JujuContext.fromEnv(env("secret-remove", { JUJU_SECRET_ID: "secret:x", JUJU_SECRET_REVISION: "-1" })),
      "JUJU_SECRET_REVISION",
    );
    const a = JujuContext.fromEnv({
      ...base,
      JUJU_DISPATCH_PATH: "actions/run-backup",
      JUJU_HOOK_NAME: "",
      JUJU_ACTION_NAME: "run-backup",
      JUJU_ACTION_UUID: "9",
    });
    assert.equal(a.actionName, "run-backup");
    assert.equal(a.hookName, "");
    throwsNaming(() => JujuContext.fromEnv({ ...base, JUJU_DISPATCH_PATH: "actions/x" }), "JUJU_ACTION_UUID");
  });
});
