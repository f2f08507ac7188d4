// Tests of the Model: databag permissions and caching, relation views, config, leader cache, ports.
import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";
import type { JujuContext } from "./context.js";
import {
  ModelError,
  RelationDataAccessError,
  RelationDataTypeError,
  TooManyRelatedAppsError,
  InvalidConfigError,
  UnknownConfigKeyError,
} from "./errors.js";
import { ctx, FakeTools } from "./fake-tools.test-support.js";
import { parseCharmMeta } from "./metadata.js";
import { ActiveStatus, BlockedStatus, canonicalSecretId, Model } from "./model.js";

const meta = parseCharmMeta({
  metadata: {
    name: "app",
    requires: { db: { interface: "pg" } },
    provides: { web: { interface: "http" } },
    peers: { peers: { interface: "p" } },
    config: { options: { port: { type: "int", default: 80 }, name: { type: "string" } } },
  },
});

let fake: FakeTools;
const model = (c: JujuContext = ctx("update-status"), now?: () => number) =>
  new Model({ context: c, metadata: meta, backend: fake, now });

beforeEach(() => {
  fake = new FakeTools();
  fake.relations = [
    {
      endpoint: "db",
      id: 1,
      remoteApp: "pg",
      units: ["pg/10", "pg/2"],
      bags: { pg: { a: "1" }, "pg/2": { u: "2" }, app: { mine: "x" } },
    },
    { endpoint: "peers", id: 2, remoteApp: "app", units: ["app/1"], bags: { app: { shared: "s" } } },
  ];
});

describe("databag permissions", () => {
  test("leader reads and writes its app bag; only changed keys are sent; '' deletes", () => {
    const rel = model().relation("db");
    assert.ok(rel);
    assert.equal(rel.localAppData.get("mine"), "x");
    rel.localAppData.update({ mine: "x", other: "y" });
    rel.localAppData.update({ mine: "" });
    rel.localAppData.update({ mine: "" });
    const sets = fake.calls.filter((c) => c.startsWith("relation-set"));
    assert.deepEqual(sets, ['relation-set db:1 --app {"other":"y"}', 'relation-set db:1 --app {"mine":""}']);
    assert.deepEqual(rel.localAppData.toObject(), { other: "y" });
  });

  test("non-leader: own app bag of a non-peer relation is neither readable nor writable, no tool called", () => {
    fake.leader = false;
    const rel = model().relation("db");
    assert.ok(rel);
    fake.calls = [];
    assert.throws(() => rel.localAppData.get("mine"), RelationDataAccessError);
    assert.throws(() => rel.localAppData.update({ k: "v" }), RelationDataAccessError);
    assert.deepEqual(
      fake.calls.filter((c) => c.startsWith("relation-")),
      [],
    );
    // Snapshot omits the local app bag for non-leaders.
    assert.equal(rel.snapshot().localAppData, undefined);
  });

  test("non-leader reads but cannot write the peer app bag", () => {
    fake.leader = false;
    const peers = model().relation("peers");
    assert.ok(peers);
    assert.equal(peers.app, "app");
    assert.equal(peers.localAppData.get("shared"), "s");
    assert.throws(() => peers.localAppData.update({ k: "v" }), /only the leader can write/);
  });

  test("remote bags are read-only; unit bag writable; values must be strings", () => {
    const rel = model().relation("db");
    assert.ok(rel);
    assert.equal(rel.remoteAppData.get("a"), "1");
    assert.throws(() => rel.remoteAppData.update({ a: "2" }), RelationDataAccessError);
    assert.throws(() => rel.remoteUnitData("pg/2").set("u", "3"), RelationDataAccessError);
    rel.localUnitData.set("addr", "10.0.0.1");
    assert.equal(rel.localUnitData.get("addr"), "10.0.0.1");
    assert.throws(() => rel.localUnitData.update({ n: 1 as unknown as string }), RelationDataTypeError);
  });

  test("reads are cached for the dispatch", () => {
    const rel = model().relation("db");
    assert.ok(rel);
    rel.remoteAppData.get("a");
    rel.remoteAppData.toObject();
    assert.equal(fake.calls.filter((c) => c === "relation-get db:1 --app pg").length, 1);
  });
});

describe("relations", () => {
  test("units sorted numerically; snapshot has every readable bag", () => {
    const rel = model().relation("db");
    assert.ok(rel);
    assert.deepEqual(rel.units, ["pg/2", "pg/10"]);
    assert.deepEqual(rel.snapshot(), {
      id: 1,
      endpoint: "db",
      remoteApp: "pg",
      remoteAppData: { a: "1" },
      remoteUnitsData: { "pg/2": { u: "2" }, "pg/10": {} },
      localAppData: { mine: "x" },
      localUnitData: {},
    });
  });

  test("a snapshot reads this unit's own bags only when they are looked at (one hook-tool call each saved)", () => {
    const snap = model().relation("db")?.snapshot();
    const ownReads = () => fake.calls.filter((c) => c === "relation-get db:1 app/0").length;
    const appReads = () => fake.calls.filter((c) => c === "relation-get db:1 --app app").length;
    assert.equal(ownReads(), 0);
    assert.equal(appReads(), 0);
    assert.deepEqual(snap?.localUnitData, {});
    assert.deepEqual(snap?.localUnitData, {});
    assert.equal(ownReads(), 1, "read once, then cached");
    assert.deepEqual(snap?.localAppData, { mine: "x" });
    assert.deepEqual(snap?.localAppData, { mine: "x" });
    assert.equal(appReads(), 1, "read once, then cached");
  });

  test("-broken hides the relation from relations() but relation(ep, id) returns it inactive", () => {
    const m = model(ctx("db-relation-broken", { relationName: "db", relationId: 1, remoteApp: "pg" }));
    assert.deepEqual(m.relations("db"), []);
    const r = m.relation("db", 1);
    assert.equal(r?.active, false);
    assert.deepEqual(r?.units, []);
  });

  test("-departed: the departing unit is no longer a member, its bag stays readable", () => {
    fake.relations[0]!.units = ["pg/10"];
    const m = model(
      ctx("db-relation-departed", { relationName: "db", relationId: 1, remoteApp: "pg", remoteUnit: "pg/2" }),
    );
    const r = m.relation("db");
    assert.deepEqual(r?.units, ["pg/10"]);
    assert.deepEqual(Object.keys(r?.snapshot().remoteUnitsData ?? {}), ["pg/10"]);
    assert.equal(r?.remoteUnitData("pg/2").get("u"), "2");
  });

  test("several relations: relation(ep) throws TooManyRelatedAppsError; unknown endpoint is a ModelError", () => {
    fake.relations.push({ endpoint: "db", id: 5, remoteApp: "pg2", units: [], bags: {} });
    assert.throws(() => model().relation("db"), TooManyRelatedAppsError);
    assert.equal(model().relation("db", 5)?.app, "pg2");
    assert.throws(() => model().relations("nope"), ModelError);
  });
});

describe("config, leadership, status, ports", () => {
  test("config: defaults, types, unknown key", () => {
    fake.config = { name: "n" };
    const m = model();
    assert.equal(m.config.get("port"), 80);
    assert.equal(m.config.getString("name"), "n");
    assert.throws(() => m.config.getString("port"), /is a number, not a string/);
    assert.throws(() => m.config.get("nope"), UnknownConfigKeyError);
    assert.deepEqual(m.config.toObject(), { name: "n", port: 80 });
    assert.equal(fake.calls.filter((c) => c === "config-get").length, 1);
  });

  test("config.load: every option checked against its declared type, naming the one at fault", () => {
    fake.config = { name: "n" };
    assert.deepEqual(model().config.load<{ port: number; name?: string }>(), { name: "n", port: 80 });
    fake.config = { port: "80" };
    assert.throws(
      () => model().config.load(),
      (e: unknown) =>
        e instanceof InvalidConfigError &&
        e.option === "port" &&
        e.message === 'config option port="80" is invalid: set a whole number',
    );
    fake.config = { port: 1.5 };
    assert.throws(() => model().config.load(), /port=1.5 is invalid: set a whole number/);
  });

  test("config.load with invalid: a wrong-typed option is reported and takes its default, the rest load", () => {
    fake.config = { port: "eighty", name: 7 };
    const seen: InvalidConfigError[] = [];
    const loaded = model().config.load<{ port: number; name?: string }>({ invalid: (e) => seen.push(e) });
    // port falls back to its default (80); name has none, so it is absent.
    assert.deepEqual(loaded, { port: 80 });
    assert.deepEqual(
      seen.map((e) => [e.option, e.message]),
      [
        ["name", "config option name=7 is invalid: set a string"],
        ["port", 'config option port="eighty" is invalid: set a whole number'],
      ],
    );
  });

  test("is-leader cached for 30 s from before the call", () => {
    let t = 1000;
    const m = model(ctx("update-status"), () => t);
    m.unit.isLeader();
    t += 29_999;
    m.unit.isLeader();
    assert.equal(fake.calls.filter((c) => c === "is-leader").length, 1);
    t += 1;
    m.unit.isLeader();
    assert.equal(fake.calls.filter((c) => c === "is-leader").length, 2);
  });

  test("app status only for the leader; error status cannot be set", () => {
    model().app.setStatus(ActiveStatus("ok"));
    assert.deepEqual(fake.statuses.at(-1), { status: "active", message: "ok", app: true });
    fake.leader = false;
    const m = model();
    assert.throws(() => m.app.setStatus(BlockedStatus("x")), /only the leader/);
    assert.throws(() => m.unit.setStatus({ name: "error", message: "" }), /cannot be set/);
  });

  test("setPorts opens the missing and closes the extra", () => {
    fake.ports = [
      { protocol: "tcp", port: 80 },
      { protocol: "tcp", port: 9090 },
    ];
    model().unit.setPorts([
      { protocol: "tcp", port: 80 },
      { protocol: "tcp", port: 8080 },
    ]);
    assert.deepEqual(
      fake.calls.filter((c) => c.includes("-port")),
      ["close-port 9090/tcp", "open-port 8080/tcp"],
    );
  });

  test("fqdn: injected by code (no environment variable); containers checked against metadata", () => {
    const injected = new Model({
      context: ctx("start"),
      metadata: meta,
      backend: fake,
      fqdn: () => "app-0.app-endpoints.m.svc.cluster.local",
    });
    assert.equal(injected.unit.fqdn, "app-0.app-endpoints.m.svc.cluster.local");
    assert.throws(() => model().unit.container("nope"), /not declared/);
  });
});

// ops/model.py Secret._canonicalize_id: a bare id gains `secret://<model uuid>/`, whitespace is
// trimmed, and an id already starting with `secret:` is kept.
describe("secret ids", () => {
  test("are canonicalised as ops does before any hook tool sees them", () => {
    const uuid = ctx("update-status").modelUuid;
    assert.equal(canonicalSecretId(" cs1abc \n", uuid), `secret://${uuid}/cs1abc`);
    assert.equal(canonicalSecretId("secret:cs1abc", uuid), "secret:cs1abc");
    assert.equal(canonicalSecretId("secret://other-uuid/cs1abc", uuid), "secret://other-uuid/cs1abc");
    const secret = model().getSecret({ id: "cs1abc" });
    assert.equal(secret.id, `secret://${uuid}/cs1abc`);
    secret.getContent();
    assert.ok(fake.calls.includes(`secret-get secret://${uuid}/cs1abc`));
    assert.equal(model().getSecret({ label: "l" }).id, undefined);
  });
});

// juju/juju worker/uniter/runner/context/ports.go validatePortRangeForCAAS: on a Kubernetes model
// open-port and close-port refuse a range ("port ranges are not supported for k8s applications").
describe("ports on Kubernetes", () => {
  const k8s = parseCharmMeta({
    metadata: { name: "app", containers: { web: { resource: "img" } } },
  });
  test("a sidecar charm refuses port ranges before calling Juju; single ports and machine charms pass", () => {
    const m = new Model({ context: ctx("update-status"), metadata: k8s, backend: fake });
    for (const call of [
      () => m.unit.openPort({ protocol: "tcp", port: 8000, toPort: 8010 }),
      () => m.unit.closePort({ protocol: "udp", port: 1, toPort: 2 }),
    ]) {
      assert.throws(
        call,
        (e: unknown) =>
          e instanceof ModelError && /port ranges are not supported for k8s applications/.test(e.message),
      );
    }
    assert.deepEqual(
      fake.calls.filter((c) => c.includes("-port")),
      [],
    );
    m.unit.openPort({ protocol: "tcp", port: 9090 });
    m.unit.openPort({ protocol: "tcp", port: 9091, toPort: 9091 });
    model().unit.openPort({ protocol: "tcp", port: 8000, toPort: 8010 });
    assert.equal(fake.calls.filter((c) => c.startsWith("open-port")).length, 3);
  });
});
