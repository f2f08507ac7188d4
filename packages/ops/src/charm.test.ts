// Tests of the framework: observe() wiring checks, handler order, deferral queue semantics,
// stored state commit, collect-status priority, actions, and the file state store.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, test } from "node:test";
import { CharmBase, flattenActionResults, type Framework, runDispatch } from "./charm.js";
import type { JujuContext } from "./context.js";
import { CharmDefinitionError, InvalidParamsError } from "./errors.js";
import { ctx, FakeTools } from "./fake-tools.test-support.js";
import { parseCharmMeta } from "./metadata.js";
import { ActiveStatus, BlockedStatus, ErrorStatus, MaintenanceStatus, WaitingStatus } from "./model.js";
import { FileStateStore, MemoryStateStore } from "./state.js";

const meta = parseCharmMeta({
  metadata: {
    name: "app",
    requires: { db: { interface: "pg" } },
    containers: { work: {} },
    storage: { data: {} },
    actions: { go: {} },
  },
});

let fake: FakeTools;
let store: MemoryStateStore;
beforeEach(() => {
  fake = new FakeTools();
  fake.relations = [{ endpoint: "db", id: 1, remoteApp: "pg", units: ["pg/0"], bags: {} }];
  store = new MemoryStateStore();
});

const run = (charmClass: new (f: Framework) => CharmBase, context: JujuContext) =>
  runDispatch({ charmClass, context, metadata: meta, backend: fake, store });

const dbChanged = (unit = "pg/0") =>
  ctx("db-relation-changed", { relationName: "db", relationId: 1, remoteApp: "pg", remoteUnit: unit });

describe("observe wiring", () => {
  const build = (wire: (f: Framework) => void) =>
    class extends CharmBase {
      constructor(f: Framework) {
        super(f);
        wire(f);
      }
    };
  test("unknown endpoint, container, storage, action throw at construction naming the fix", async () => {
    await assert.rejects(
      run(
        build((f) => f.observe("relation-changed", "dbx", () => {})),
        ctx("start"),
      ),
      (e: unknown) =>
        e instanceof CharmDefinitionError && /"dbx".*requires\/provides\/peers.*known: db/.test(e.message),
    );
    await assert.rejects(
      run(
        build((f) => f.observe("pebble-ready", "nope", () => {})),
        ctx("start"),
      ),
      /declare it under containers/,
    );
    await assert.rejects(
      run(
        build((f) => f.observe("storage-attached", "x", () => {})),
        ctx("start"),
      ),
      /under storage/,
    );
    await assert.rejects(
      run(
        build((f) => f.observe("action", "stop-it", () => {})),
        ctx("start"),
      ),
      /under actions/,
    );
    // A name on an unnamed kind is also a wiring error.
    await assert.rejects(
      run(
        build((f) => (f.observe as (...a: unknown[]) => void)("install", "db", () => {})),
        ctx("start"),
      ),
      /takes no name/,
    );
  });

  test("async handlers run one after another in registration order", async () => {
    const order: string[] = [];
    await run(
      build((f) => {
        f.observe("relation-changed", "db", async () => {
          await new Promise((r) => setTimeout(r, 10));
          order.push("first");
        });
        f.observe("relation-changed", "db", (e) => {
          order.push(`second ${e.unit} ${e.relation.id}`);
        });
        f.observe("install", () => {
          order.push("never");
        });
      }),
      dbChanged(),
    );
    assert.deepEqual(order, ["first", "second pg/0 1"]);
  });
});

describe("deferral", () => {
  const seen: string[] = [];
  let deferWhile: (unit: string | undefined) => boolean = () => false;
  class Deferring extends CharmBase {
    constructor(f: Framework) {
      super(f);
      f.observe("relation-changed", "db", (e) => {
        seen.push(`changed ${e.unit}`);
        if (deferWhile(e.unit)) e.defer();
      });
      f.observe("update-status", (e) => {
        seen.push("update-status");
        if (deferWhile("us")) e.defer();
      });
      f.observe("stop", (e) => e.defer());
      f.observe("action", "go", (e) => e.defer());
    }
  }
  beforeEach(() => {
    seen.length = 0;
  });

  test("deferred notices re-run first, FIFO; identical ones are not queued twice", async () => {
    deferWhile = () => true;
    await run(Deferring, dbChanged("pg/0"));
    await run(Deferring, dbChanged("pg/1"));
    await run(Deferring, dbChanged("pg/0"));
    assert.equal(store.load().deferred.length, 2);
    seen.length = 0;
    deferWhile = () => false;
    await run(Deferring, ctx("update-status"));
    assert.deepEqual(seen, ["changed pg/0", "changed pg/1", "update-status"]);
    assert.equal(store.load().deferred.length, 0);
  });

  test("a new event identical to a re-deferred notice does not run the handler twice", async () => {
    deferWhile = () => true;
    await run(Deferring, ctx("update-status"));
    seen.length = 0;
    await run(Deferring, ctx("update-status"));
    assert.deepEqual(seen, ["update-status"]);
    assert.equal(store.load().deferred.length, 1);
  });

  test("an event deferred again goes to the end of the queue", async () => {
    deferWhile = () => true;
    await run(Deferring, dbChanged("pg/0"));
    await run(Deferring, dbChanged("pg/1"));
    deferWhile = (u) => u === "pg/0";
    await run(Deferring, ctx("update-status"));
    assert.deepEqual(
      store.load().deferred.map((n) => ("remoteUnit" in n.event ? n.event.remoteUnit : n.event.kind)),
      ["pg/0"],
    );
    deferWhile = () => true;
    await run(Deferring, dbChanged("pg/1"));
    assert.deepEqual(
      store.load().deferred.map((n) => ("remoteUnit" in n.event ? n.event.remoteUnit : n.event.kind)),
      ["pg/0", "pg/1"],
    );
  });

  test("a deferred relation event whose relation is gone is dropped", async () => {
    deferWhile = () => true;
    await run(Deferring, dbChanged());
    fake.relations = [];
    seen.length = 0;
    deferWhile = () => false;
    await run(Deferring, ctx("update-status"));
    assert.deepEqual(seen, ["update-status"]);
    assert.equal(store.load().deferred.length, 0);
  });

  test("stop and actions cannot be deferred", async () => {
    await assert.rejects(run(Deferring, ctx("stop")), /"stop" events cannot be deferred/);
    await assert.rejects(
      run(Deferring, ctx("actions/go", { actionName: "go", actionUuid: "1" })),
      /cannot be deferred/,
    );
  });
});

describe("stored state and commit", () => {
  class Counter extends CharmBase {
    constructor(f: Framework) {
      super(f);
      const s = f.storedState("counter", { n: 0, tags: [] as string[] });
      f.observe("config-changed", () => {
        s.n += 1;
        s.tags.push(`t${s.n}`);
      });
      f.observe("remove", () => {
        s.n += 100;
        throw new Error("boom");
      });
    }
  }
  test("values persist across dispatches; a failing dispatch commits nothing", async () => {
    await run(Counter, ctx("config-changed"));
    await run(Counter, ctx("config-changed"));
    assert.deepEqual(store.load().stored.counter, { n: 2, tags: ["t1", "t2"] });
    const saves = store.saves;
    await assert.rejects(run(Counter, ctx("remove")), /boom/);
    assert.equal(store.saves, saves);
    assert.equal(store.load().stored.counter?.n, 2);
    // Unchanged state is not written again.
    await run(Counter, ctx("update-status"));
    assert.equal(store.saves, saves);
  });

  test("file store: 0600, atomic rename, readable back, corrupt file is a clear error", () => {
    const dir = mkdtempSync(join(tmpdir(), "state-"));
    const fs = new FileStateStore(join(dir, ".unit-state.json"));
    assert.deepEqual(fs.load(), { stored: {}, deferred: [] });
    fs.save({ stored: { a: { b: 1 } }, deferred: [{ event: { kind: "install" }, observer: "install:#0" }] });
    assert.equal(statSync(fs.path).mode & 0o777, 0o600);
    assert.equal(existsSync(`${fs.path}.tmp`), false);
    assert.deepEqual(fs.load().stored, { a: { b: 1 } });
    assert.equal(JSON.parse(readFileSync(fs.path, "utf8")).version, 1);
    writeFileSync(fs.path, "{nope");
    assert.throws(() => fs.load(), /corrupt unit state/);
  });
});

describe("collect-status", () => {
  const make = (unit: ReturnType<typeof ActiveStatus>[], app: ReturnType<typeof ActiveStatus>[] = []) =>
    class extends CharmBase {
      constructor(f: Framework) {
        super(f);
        f.observe("collect-unit-status", (e) => {
          for (const s of unit) e.addStatus(s);
        });
        f.observe("collect-app-status", (e) => {
          for (const s of app) e.addStatus(s);
        });
      }
    };
  test("highest priority wins: blocked > maintenance > waiting > active", async () => {
    const r = await run(
      make(
        [ActiveStatus("a"), WaitingStatus("w"), BlockedStatus("b"), MaintenanceStatus("m")],
        [WaitingStatus("aw"), ActiveStatus()],
      ),
      ctx("update-status"),
    );
    assert.deepEqual(r.collected.unit, BlockedStatus("b"));
    assert.deepEqual(r.collected.app, WaitingStatus("aw"));
    assert.deepEqual(fake.statuses, [
      { status: "waiting", message: "aw", app: true },
      { status: "blocked", message: "b", app: false },
    ]);
  });
  test("app status only on the leader; nothing added sets nothing; error fails the hook", async () => {
    fake.leader = false;
    await run(make([], [ActiveStatus("x")]), ctx("update-status"));
    assert.deepEqual(fake.statuses, []);
    await assert.rejects(
      run(make([ErrorStatus("bad"), BlockedStatus("b")]), ctx("update-status")),
      /error status: bad/,
    );
  });
});

describe("actions", () => {
  test("params, nested results flattened to dotted keys, log and fail", async () => {
    fake.actionParams = { who: "x" };
    class A extends CharmBase {
      constructor(f: Framework) {
        super(f);
        f.observe("action", "go", (e) => {
          e.log(`hi ${e.params.who}`);
          e.setResults({ out: { a: 1, b: { c: "d" } }, flag: true });
          e.fail("partial");
        });
      }
    }
    await run(A, ctx("actions/go", { actionName: "go", actionUuid: "1" }));
    assert.deepEqual(fake.actionResults, { "out.a": "1", "out.b.c": "d", flag: "true" });
    assert.deepEqual(fake.logs, ["action hi x", "fail partial"]);
  });
  test("loadParams checks the declared schema and names the parameter at fault", async () => {
    const typed = parseCharmMeta({
      metadata: { name: "app" },
      actions: {
        backup: {
          params: {
            target: { type: "string" },
            level: { type: "integer" },
            mode: { enum: ["full", "diff"] },
          },
          required: ["target"],
          additionalProperties: false,
        },
      },
    });
    const outcomes: string[] = [];
    class B extends CharmBase {
      constructor(f: Framework) {
        super(f);
        f.observe("action", "backup", (e) => {
          try {
            const p = e.loadParams<{ target: string; level?: number }>();
            outcomes.push(`ok ${p.target} ${p.level ?? "-"}`);
          } catch (err) {
            assert.ok(err instanceof InvalidParamsError);
            outcomes.push(`${err.param}: ${err.message}`);
          }
        });
      }
    }
    const go = async (params: Record<string, unknown>) => {
      fake.actionParams = params;
      await runDispatch({
        charmClass: B,
        context: ctx("actions/backup", { actionName: "backup", actionUuid: "1" }),
        metadata: typed,
        backend: fake,
        store,
      });
    };
    await go({ target: "s3", level: 2 });
    await go({ level: 2 });
    await go({ target: "s3", level: 1.5 });
    await go({ target: "s3", mode: "half" });
    await go({ target: "s3", extra: true });
    assert.deepEqual(outcomes, [
      "ok s3 2",
      "target: parameter target: is required",
      "level: parameter level: must be of type integer, got 1.5",
      'mode: parameter mode: must be one of "full", "diff"',
      "extra: parameter extra: is not declared for this action",
    ]);
  });
  // juju/juju worker/uniter/runner/jujuc/action-set.go: each dotted segment is checked, and the
  // reserved result keys are refused as any segment.
  test("invalid result keys are rejected", () => {
    assert.throws(() => flattenActionResults({ Bad: "x" }), /must start and end/);
    assert.throws(() => flattenActionResults({ out: { "": "x" } }), /must start and end/);
    assert.throws(() => flattenActionResults({ run: { stdout: "x" } }), /reserved/);
    assert.throws(() => flattenActionResults({ "a.b": "1", a: { b: "2" } }), /given twice/);
  });
});
