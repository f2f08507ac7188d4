/**
 * Tests of the state-transition harness: A's sample charm through every part of the model, plus
 * a small Pebble charm for containers, files, exec mocks and services.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CharmBase, type Framework } from "../charm.js";
import { RelationDataAccessError } from "../errors.js";
import { ActiveStatus, BlockedStatus } from "../model.js";
import { ExecError } from "../pebble/errors.js";
import {
  ActionFailed,
  Context,
  container,
  containerPlan,
  deferred,
  execMock,
  getContainer,
  getRelation,
  InconsistentScenarioError,
  peerRelation,
  relation,
  runCharmJson,
  secret,
  state,
  storage,
  UncaughtCharmError,
} from "./index.js";

const SAMPLE_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../tests/sample-charm");
const { default: SampleCharm } = (await import(join(SAMPLE_DIR, "src/charm.ts"))) as {
  default: new (f: Framework) => CharmBase;
};
const sample = () => new Context(SampleCharm, { charmDir: SAMPLE_DIR });

describe("sample charm through the harness", () => {
  it("install sets maintenance then collect-status active, and the workload version", async () => {
    const ctx = sample();
    const out = await ctx.run(ctx.on.install(), state({ storages: [storage({ name: "data" })] }));
    assert.deepEqual(out.unitStatus, ActiveStatus("ready"));
    assert.deepEqual(ctx.unitStatusHistory, [
      { name: "unknown", message: "" },
      { name: "maintenance", message: "installing" },
    ]);
    assert.equal(out.workloadVersion, "1.2.3");
    assert.deepEqual(ctx.workloadVersionHistory, [""]);
    assert.deepEqual(
      ctx.emittedEvents.map((e) => e.kind),
      ["install"],
    );
  });

  it("config-changed counts in stored state and opens the configured port", async () => {
    const ctx = sample();
    const s0 = state({ config: { port: 9000 }, openedPorts: [{ protocol: "tcp", port: 8080 }] });
    const out = await ctx.run(ctx.on.configChanged(), s0);
    assert.deepEqual(out.openedPorts, [{ protocol: "tcp", port: 9000 }]);
    assert.equal(out.storedStates.sample?.configChanges, 1);
    const out2 = await ctx.run(ctx.on.configChanged(), out);
    assert.equal(out2.storedStates.sample?.configChanges, 2);
    // input untouched and frozen
    assert.deepEqual(s0.openedPorts, [{ protocol: "tcp", port: 8080 }]);
    assert.ok(Object.isFrozen(out.openedPorts));
  });

  it("blocks without a db in strict mode and waits without storage", async () => {
    const ctx = sample();
    const out = await ctx.run(ctx.on.updateStatus(), state({ config: { strict: true } }));
    assert.deepEqual(out.unitStatus, BlockedStatus("relate to a db: juju integrate sample db"));
  });

  it("leader-elected writes peer app data, creates and grants a secret, sets app status", async () => {
    const ctx = sample();
    const peers = peerRelation({ endpoint: "sample-peers", id: 5, peersData: { 1: {} } });
    const out = await ctx.run(ctx.on.leaderElected(), state({ leader: true, relations: [peers] }));
    assert.equal(getRelation(out, 5)?.localAppData.leader, "sample/0");
    assert.equal(out.secrets.length, 1);
    assert.equal(out.secrets[0]?.label, "admin");
    assert.equal(out.secrets[0]?.owner, "app");
    assert.deepEqual(out.secrets[0]?.trackedContent, { password: "s3cret value" });
    assert.deepEqual(out.secrets[0]?.remoteGrants, { 5: ["sample"] });
    assert.deepEqual(out.appStatus, ActiveStatus("leading"));
  });

  it("a non-leader cannot add an app secret (Juju's permission error reaches the charm)", async () => {
    const ctx = sample();
    const peers = peerRelation({ endpoint: "sample-peers", id: 5 });
    await assert.rejects(
      ctx.run(ctx.on.leaderElected(), state({ leader: false, relations: [peers] })),
      (e: unknown) => {
        assert.ok(e instanceof UncaughtCharmError);
        assert.ok(e.cause instanceof Error);
        return true;
      },
    );
  });

  it("relation-changed writes unit and (leader) app data from network and config", async () => {
    const ctx = sample();
    const rel = relation({
      endpoint: "metrics-endpoint",
      id: 3,
      remoteAppName: "zinc",
      remoteUnitsData: { 0: { "remote-key": "v0" } },
    });
    const out = await ctx.run(
      ctx.on.relationChanged(rel, { remoteUnit: 0 }),
      state({ leader: true, relations: [rel] }),
    );
    const r = getRelation(out, 3);
    assert.equal(r?.localUnitData.address, "192.0.2.0");
    assert.equal(r?.localUnitData.port, "8080");
    assert.equal(r?.localAppData.note, `it's "quoted" $HOME -x`);
    assert.deepEqual(JSON.parse(r?.localAppData.scrape_jobs ?? "null"), [
      { static_configs: [{ targets: ["*:8080"] }] },
    ]);
    assert.ok(ctx.jujuLog.some((l) => l.level === "INFO" && l.message === "remote zinc/0 says v0"));
    // the input relation is untouched
    assert.equal(rel.localAppData.note, undefined);
  });

  it("as non-leader, app data is not written (and reading it is denied)", async () => {
    const ctx = sample();
    const rel = relation({ endpoint: "metrics-endpoint", id: 3 });
    const out = await ctx.run(ctx.on.relationChanged(rel), state({ relations: [rel] }));
    assert.deepEqual(getRelation(out, 3)?.localAppData, {});
  });

  it("db joined defers until the peer leader key exists; the deferral round-trips", async () => {
    const ctx = sample();
    const db = relation({ endpoint: "db", id: 7, remoteAppName: "pg" });
    const peers = peerRelation({ endpoint: "sample-peers", id: 5 });
    const out = await ctx.run(ctx.on.relationJoined(db), state({ relations: [db, peers] }));
    assert.equal(out.deferred.length, 1);
    assert.equal(out.deferred[0]?.event.kind, "relation-joined");
    assert.equal(out.storedStates.sample?.dbJoinedAttempts, 1);
    // Next hook: still no leader key, re-run first and stays deferred (no duplicate).
    const out2 = await ctx.run(ctx.on.updateStatus(), out);
    assert.deepEqual(
      ctx.emittedEvents.map((e) => e.kind),
      ["relation-joined", "update-status"],
    );
    assert.equal(out2.deferred.length, 1);
    assert.equal(out2.storedStates.sample?.dbJoinedAttempts, 2);
    // With the key present the re-run succeeds and the queue empties.
    const withKey = state({
      ...out2,
      relations: [
        db,
        peerRelation({ endpoint: "sample-peers", id: 5, localAppData: { leader: "sample/0" } }),
      ],
    });
    const out3 = await ctx.run(ctx.on.updateStatus(), withKey);
    assert.equal(out3.deferred.length, 0);
  });

  it("deferred() placeholders resolve to the charm's observer", async () => {
    const ctx = sample();
    const db = relation({ endpoint: "db", id: 7 });
    const s = state({ relations: [db], deferred: [deferred(ctx.on.relationJoined(db))] });
    const out = await ctx.run(ctx.on.updateStatus(), s);
    assert.equal(ctx.emittedEvents[0]?.kind, "relation-joined");
    assert.equal(out.deferred.length, 1);
    const bad = state({ deferred: [deferred(ctx.on.install(), 3)] });
    await assert.rejects(ctx.run(ctx.on.updateStatus(), bad), InconsistentScenarioError);
  });

  it("relation-broken hides the broken relation", async () => {
    const ctx = sample();
    const db = relation({ endpoint: "db", id: 7 });
    await ctx.run(ctx.on.relationBroken(db), state({ relations: [db] }));
    assert.ok(ctx.jujuLog.some((l) => l.message === "db relations left: 0"));
  });

  it("storage-attached records the location", async () => {
    const ctx = sample();
    const st = storage({ name: "data", index: 0, location: "/srv/data" });
    const out = await ctx.run(ctx.on.storageAttached(st), state({ storages: [st] }));
    assert.equal(out.storedStates.sample?.dataLocation, "/srv/data");
  });

  it("secret-changed refreshes the tracked content", async () => {
    const ctx = sample();
    const sec = secret({
      id: "secret:abc",
      trackedContent: { password: "old" },
      latestContent: { password: "new" },
    });
    const out = await ctx.run(ctx.on.secretChanged(sec), state({ secrets: [sec] }));
    assert.equal(out.storedStates.sample?.lastSecretContent, "new");
    assert.deepEqual(out.secrets[0]?.trackedContent, { password: "new" });
  });

  it("actions: results nested, logs, defaults applied; fail() raises ActionFailed with the state", async () => {
    const ctx = sample();
    await ctx.run(ctx.on.action("do-thing", { name: "bob" }), state({ config: { greeting: "hi" } }));
    assert.deepEqual(ctx.actionResults, { greeting: "hi bob", detail: { count: "1" } });
    assert.deepEqual(ctx.actionLogs, ["-starting for bob"]);
    await assert.rejects(ctx.run(ctx.on.action("do-thing", { name: "fail" }), state()), (e: unknown) => {
      assert.ok(e instanceof ActionFailed);
      assert.equal(e.message, '- cannot greet "fail"');
      assert.equal(e.state.workloadVersion, "");
      return true;
    });
  });

  it("consistency errors name the problem", async () => {
    const ctx = sample();
    const cases: [Parameters<Context["run"]>, RegExp][] = [
      [
        [ctx.on.install(), state({ relations: [relation({ endpoint: "nope", id: 1 })] })],
        /endpoint "nope" is not declared/,
      ],
      [
        [ctx.on.install(), state({ relations: [relation({ endpoint: "sample-peers", id: 1 })] })],
        /use peerRelation/,
      ],
      [[ctx.on.install(), state({ config: { port: "80" } })], /"port" is declared as int/],
      [[ctx.on.install(), state({ config: { nope: 1 } })], /"nope" is not declared/],
      [
        [ctx.on.install(), state({ containers: [container({ name: "other" })] })],
        /container "other" is not declared/,
      ],
      [
        [ctx.on.install(), state({ storages: [storage({ name: "logs" })] })],
        /storage "logs" is not declared/,
      ],
      [
        [ctx.on.relationChanged(relation({ endpoint: "db", id: 9 })), state()],
        /relation 9 is not in the State/,
      ],
      [
        [
          ctx.on.pebbleReady(container({ name: "workload" })),
          state({ containers: [container({ name: "workload" })] }),
        ],
        /canConnect false/,
      ],
      [[ctx.on.action("nope"), state()], /action "nope" is not declared/],
      [[ctx.on.action("do-thing", {}), state()], /missing required param "name"/],
      [[ctx.on.action("do-thing", { name: "x", count: "2" }), state()], /"count" must be integer/],
      [[ctx.on.storageAttached(storage({ name: "data" })), state()], /storage data\/0 is not in the State/],
    ];
    for (const [[ev, s], re] of cases) {
      await assert.rejects(
        ctx.run(ev, s),
        (e: unknown) => e instanceof InconsistentScenarioError && re.test(e.message),
        String(re),
      );
    }
  });

  it("runCharmJson runs an event from a JSON state and returns every databag", async () => {
    const res = await runCharmJson({
      charmDir: SAMPLE_DIR,
      event: "metrics-endpoint-relation-changed:3:zinc/0",
      stateJson: JSON.stringify({
        leader: true,
        relations: [
          {
            endpoint: "metrics-endpoint",
            id: 3,
            remoteAppName: "zinc",
            remoteUnitsData: { 0: { "remote-key": "x" } },
          },
        ],
      }),
    });
    const rel = (
      res.state.relations as { localAppData: Record<string, string>; localUnitData: Record<string, string> }[]
    )[0];
    assert.equal(rel?.localUnitData.port, "8080");
    assert.ok(rel?.localAppData.scrape_jobs);
    assert.deepEqual(res.state.unitStatus, { name: "waiting", message: "waiting for storage" });
    const act = await runCharmJson({
      charmDir: SAMPLE_DIR,
      event: "action:do-thing",
      stateJson: "{}",
      params: { name: "fail" },
    });
    assert.equal(act.actionFailed, '- cannot greet "fail"');
    await assert.rejects(
      runCharmJson({ charmDir: SAMPLE_DIR, event: "bogus-hook", stateJson: "{}" }),
      /no such hook/,
    );
    await assert.rejects(
      runCharmJson({ charmDir: SAMPLE_DIR, event: "install", stateJson: '{"leeder":true}' }),
      /unknown State field/,
    );
  });
});

// A tiny charm for the Pebble side.
const PEBBLE_META = {
  metadata: {
    name: "web",
    containers: { app: { resource: "img" } },
    requires: { db: { interface: "db" } },
    actions: { run: { description: "", params: { cmd: { type: "string" } } } },
  },
};

class WebCharm extends CharmBase {
  constructor(framework: Framework) {
    super(framework);
    framework.observe("pebble-ready", "app", async () => {
      const c = this.model.unit.container("app");
      await c.push("/etc/web/web.conf", "port: 80\n", { makeDirs: true });
      await c.addLayer(
        "web",
        { services: { web: { override: "replace", command: "/bin/web", startup: "enabled" } } },
        { combine: true },
      );
      await c.replan();
      const v = await c.exec(["/bin/web", "--version"]);
      this.model.unit.setWorkloadVersion(v.stdout.trim());
      this.model.unit.setStatus(ActiveStatus(await c.pull("/etc/web/web.conf")));
    });
    framework.observe("action", "run", async (event) => {
      const c = this.model.unit.container("app");
      try {
        await c.exec(String(event.params.cmd).split(" "));
      } catch (e) {
        if (e instanceof ExecError) event.setResults({ code: e.exitCode, err: e.stderr });
        else throw e;
      }
    });
    framework.observe("update-status", async () => {
      const c = this.model.unit.container("app");
      if (!(await c.canConnect())) this.model.unit.setStatus(BlockedStatus("no pebble"));
    });
    framework.observe("relation-changed", "db", (event) => {
      event.relation.localAppData.update({ x: "1" });
    });
  }
}

describe("Pebble in the harness", () => {
  const ctx = () => new Context(WebCharm, { metadata: PEBBLE_META });

  it("pebble-ready: files, layers merged, replan starts enabled services, exec mocks", async () => {
    const c = ctx();
    const app = container({
      name: "app",
      canConnect: true,
      execs: [
        execMock({ command: ["/bin/web"], stdout: "generic" }),
        execMock({ command: ["/bin/web", "--version"], stdout: "2.0\n" }),
      ],
    });
    const s0 = state({ containers: [app] });
    const out = await c.run(c.on.pebbleReady(app), s0);
    const oc = getContainer(out, "app");
    assert.equal(oc?.filesystem["/etc/web/web.conf"], "port: 80\n");
    assert.deepEqual(oc?.directories, ["/etc", "/etc/web"]);
    assert.equal(containerPlan(oc!).services?.web?.command, "/bin/web");
    assert.equal(oc?.serviceStatuses.web, "active");
    assert.equal(out.workloadVersion, "2.0");
    assert.deepEqual(out.unitStatus, ActiveStatus("port: 80\n"));
    assert.deepEqual(c.execHistory.app?.[0]?.command, ["/bin/web", "--version"]);
    assert.deepEqual(getContainer(s0, "app")?.filesystem, {});
  });

  it("exec without a matching mock raises ExecError 127; non-zero mocks carry stderr", async () => {
    const c = ctx();
    const app = container({
      name: "app",
      canConnect: true,
      execs: [execMock({ command: ["false"], exitCode: 2, stderr: "bad" })],
    });
    await c.run(c.on.action("run", { cmd: "missing thing" }), state({ containers: [app] }));
    assert.equal(c.actionResults?.code, "127");
    await c.run(c.on.action("run", { cmd: "false now" }), state({ containers: [app] }));
    assert.deepEqual(c.actionResults, { code: "2", err: "bad" });
  });

  it("canConnect false makes Pebble calls fail with ConnectionError", async () => {
    const c = ctx();
    const out = await c.run(c.on.updateStatus(), state({ containers: [container({ name: "app" })] }));
    assert.deepEqual(out.unitStatus, BlockedStatus("no pebble"));
  });

  it("a non-leader writing app data fails with RelationDataAccessError as the cause", async () => {
    const c = ctx();
    const db = relation({ endpoint: "db", id: 1 });
    await assert.rejects(c.run(c.on.relationChanged(db), state({ relations: [db] })), (e: unknown) => {
      assert.ok(e instanceof UncaughtCharmError);
      assert.ok(e.cause instanceof RelationDataAccessError);
      return true;
    });
    const out = await c.run(c.on.relationChanged(db), state({ leader: true, relations: [db] }));
    assert.deepEqual(getRelation(out, 1)?.localAppData, { x: "1" });
  });
});

describe("cache directory", () => {
  class CacheProbe extends CharmBase {
    static seen: (string | undefined)[] = [];
    constructor(framework: Framework) {
      super(framework);
      CacheProbe.seen.push(this.cacheDir);
    }
  }

  it("is none in the harness by default (runs stay independent) and the given one when set", async () => {
    CacheProbe.seen = [];
    const plain = new Context(CacheProbe, { metadata: { metadata: { name: "probe" } } });
    await plain.run(plain.on.install(), state());
    const cached = new Context(CacheProbe, {
      metadata: { metadata: { name: "probe" } },
      cacheDir: "/var/cache/x",
    });
    await cached.run(cached.on.install(), state());
    assert.deepEqual(CacheProbe.seen, [undefined, "/var/cache/x"]);
  });
});

describe("create option", () => {
  /** A charm whose constructor takes a dependency, with a production default. */
  class Greeter extends CharmBase {
    constructor(framework: Framework, greet: (who: string) => string = (who) => `hello ${who}`) {
      super(framework);
      framework.observe("install", (ev) => {
        this.model.unit.setStatus(ActiveStatus(greet(this.model.unit.name)));
        if (this.model.unit.name.endsWith("/1")) ev.defer();
      });
    }
  }
  const meta = { metadata: { name: "greeter" } };

  it("builds the charm with the test's dependencies; the class alone gets the defaults", async () => {
    const plain = new Context(Greeter, { metadata: meta });
    assert.equal((await plain.run(plain.on.install(), state())).unitStatus.message, "hello greeter/0");
    const built: Framework[] = [];
    const faked = new Context(Greeter, {
      metadata: meta,
      unitId: 1,
      create: (f) => {
        built.push(f);
        return new Greeter(f, (who) => `fake ${who}`);
      },
    });
    // A deferred placeholder is resolved against a charm the factory built too.
    const out = await faked.run(faked.on.updateStatus(), state({ deferred: [deferred(faked.on.install())] }));
    assert.equal(out.unitStatus.message, "fake greeter/1");
    assert.equal(out.deferred.length, 1);
    assert.equal(built.length, 2);
    // Handlers of a built charm are recorded like those of a constructed class.
    assert.deepEqual(
      faked.emittedEvents.map((e) => e.kind),
      ["install"],
    );
  });
});
