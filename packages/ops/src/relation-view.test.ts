// Tests of the cached relation view: which hook tools a hook runs (only what its event names),
// the sequences that could break the cache (departed and re-joined units, a relation broken and
// re-created with a new id, hook failure with retry or skip, leader change, upgrade, lost or
// foreign cache files), and that what the view returns is what a full read returns.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { CharmBase, type Framework, runDispatch } from "./charm.js";
import type { JujuContext } from "./context.js";
import { CharmDefinitionError } from "./errors.js";
import { ctx, FakeTools } from "./fake-tools.test-support.js";
import { parseCharmMeta } from "./metadata.js";
import {
  type CachedRelation,
  RELATION_CACHE_FILE,
  RELATION_CACHE_PENDING_FILE,
  type RelationView,
  type ViewFreshness,
} from "./relation-view.js";
import { MemoryStateStore } from "./state.js";

const meta = parseCharmMeta({
  metadata: {
    name: "app",
    requires: { db: { interface: "pg" }, other: { interface: "x" } },
    peers: { peers: { interface: "p" } },
  },
});

/** What a hook saw through the view. */
interface Seen {
  freshness: ViewFreshness;
  relations: {
    id: number;
    app: string | undefined;
    appData: Record<string, string>;
    units: Record<string, Record<string, string>>;
    changed: boolean;
    read: readonly string[];
    digest: string;
  }[];
  /** Hook-tool calls made while the view was read. */
  calls: string[];
}

let fake: FakeTools;
let dir: string;
/** The directory beforeEach made, removed after each test even when a test drops `dir`. */
let made: string;
let seen: Seen | undefined;
let behaviour: { read: boolean; fail: boolean; endpoint: string };

function plain(rels: CachedRelation[]): Seen["relations"] {
  return rels.map((r) => {
    const s = r.snapshot();
    return {
      id: r.id,
      app: r.app,
      appData: { ...s.remoteAppData },
      units: Object.fromEntries(Object.entries(s.remoteUnitsData).map(([u, b]) => [u, { ...b }])),
      changed: r.changed,
      read: r.read,
      digest: r.digest,
    };
  });
}

class ViewCharm extends CharmBase {
  constructor(f: Framework) {
    super(f);
    const views: Record<string, RelationView> = {
      db: f.relationView("db"),
      peers: f.relationView("peers"),
    };
    const handler = (): void => {
      if (behaviour.read) {
        const view = views[behaviour.endpoint]!;
        const before = fake.calls.length;
        const rels = view.relations();
        seen = { freshness: view.freshness, relations: plain(rels), calls: fake.calls.slice(before) };
      }
      if (behaviour.fail) throw new Error("handler failed");
    };
    for (const ep of ["db", "peers"])
      for (const k of [
        "relation-created",
        "relation-joined",
        "relation-changed",
        "relation-departed",
        "relation-broken",
      ] as const)
        f.observe(k, ep, handler);
    for (const k of ["update-status", "config-changed", "upgrade-charm", "leader-elected"] as const)
      f.observe(k, handler);
  }
}

async function hook(context: JujuContext, opts: Partial<typeof behaviour> = {}): Promise<Seen> {
  behaviour = { read: true, fail: false, endpoint: "db", ...opts };
  seen = undefined;
  fake.calls = [];
  await runDispatch({
    charmClass: ViewCharm,
    context,
    metadata: meta,
    backend: fake,
    store: new MemoryStateStore(),
    cacheDir: dir,
  });
  assert.ok(seen || !behaviour.read, "the handler ran");
  return seen as unknown as Seen;
}

const rel = (kind: string, id: number, app: string, unit?: string, extra: Partial<JujuContext> = {}) =>
  ctx(`db-relation-${kind}`, {
    relationName: "db",
    relationId: id,
    remoteApp: app,
    remoteUnit: unit,
    ...extra,
  });
const status = () => ctx("update-status");

/** What a full read of the fake's current data gives, in the view's shape. */
function fullRead(endpoint = "db"): Omit<Seen["relations"][number], "changed" | "read" | "digest">[] {
  return fake.relations
    .filter((r) => r.endpoint === endpoint)
    .sort((a, b) => a.id - b.id)
    .map((r) => ({
      id: r.id,
      app: r.remoteApp,
      appData: { ...(r.bags[r.remoteApp] ?? {}) },
      units: Object.fromEntries(
        [...r.units]
          .sort((a, b) => Number(a.split("/")[1]) - Number(b.split("/")[1]))
          .map((u) => [u, { ...(r.bags[u] ?? {}) }]),
      ),
    }));
}

function data(s: Seen): ReturnType<typeof fullRead> {
  return s.relations.map(({ id, app, appData, units }) => ({ id, app, appData, units }));
}

beforeEach(() => {
  dir = made = mkdtempSync(join(tmpdir(), "relation-view-"));
  fake = new FakeTools();
  fake.relations = [
    {
      endpoint: "db",
      id: 1,
      remoteApp: "pg",
      units: ["pg/0", "pg/1", "pg/2"],
      bags: { pg: { host: "h" }, "pg/0": { a: "0" }, "pg/1": { a: "1" }, "pg/2": { a: "2" } },
    },
    {
      endpoint: "db",
      id: 4,
      remoteApp: "redis",
      units: ["redis/0"],
      bags: { redis: { r: "1" }, "redis/0": { b: "0" } },
    },
  ];
});
afterEach(() => rmSync(made, { recursive: true, force: true }));

describe("reads", () => {
  test("the first hook reads everything and keeps it; a later hook reads nothing it was not told of", async () => {
    const first = await hook(status());
    assert.deepEqual(first.freshness, { mode: "full", reason: "no-cache" });
    assert.deepEqual(data(first), fullRead());
    assert.ok(first.relations.every((r) => r.changed));
    assert.equal(first.calls.filter((c) => c.startsWith("relation-get")).length, 6);
    assert.ok(existsSync(join(dir, RELATION_CACHE_FILE)));

    const second = await hook(status());
    assert.deepEqual(second.freshness, { mode: "incremental" });
    assert.deepEqual(second.calls, []);
    assert.deepEqual(data(second), fullRead());
    assert.ok(second.relations.every((r) => !r.changed && r.read.length === 0));
  });

  test("relation-changed of one unit reads the member list and that unit's bag, nothing else", async () => {
    await hook(status());
    fake.relations[0]!.bags["pg/1"] = { a: "new" };
    const s = await hook(rel("changed", 1, "pg", "pg/1"));
    assert.deepEqual(s.calls, ["relation-list db:1", "relation-get db:1 pg/1"]);
    assert.deepEqual(data(s), fullRead());
    assert.deepEqual(
      s.relations.map((r) => [r.id, r.changed, r.read]),
      [
        [1, true, ["pg/1"]],
        [4, false, []],
      ],
    );
  });

  test("a re-read that finds the same data is no change, and keeps the digest", async () => {
    const first = await hook(status());
    const s = await hook(rel("changed", 1, "pg", "pg/1"));
    assert.equal(s.relations[0]!.changed, false);
    assert.equal(s.relations[0]!.digest, first.relations[0]!.digest);
    assert.deepEqual(s.relations[0]!.read, ["pg/1"]);
  });

  test("an application-level relation-changed reads the application bag only", async () => {
    await hook(status());
    fake.relations[1]!.bags.redis = { r: "2" };
    const s = await hook(rel("changed", 4, "redis", ""));
    assert.deepEqual(s.calls, ["relation-list db:4", "relation-get db:4 --app redis"]);
    assert.deepEqual(data(s), fullRead());
  });

  test("relation-joined reads the new unit; relation-departed drops the unit without reading", async () => {
    await hook(status());
    const r = fake.relations[0]!;
    r.units.push("pg/3");
    r.bags["pg/3"] = { a: "3" };
    const joined = await hook(rel("joined", 1, "pg", "pg/3"));
    assert.deepEqual(joined.calls, ["relation-list db:1", "relation-get db:1 pg/3"]);
    assert.deepEqual(data(joined), fullRead());

    r.units = r.units.filter((u) => u !== "pg/0");
    const departed = await hook(rel("departed", 1, "pg", "pg/0", { departingUnit: "pg/0" }));
    assert.deepEqual(departed.calls, ["relation-list db:1"]);
    assert.deepEqual(Object.keys(departed.relations[0]!.units), ["pg/1", "pg/2", "pg/3"]);
    assert.deepEqual(data(departed), fullRead());
  });

  test("a unit that departs and joins again is read again", async () => {
    await hook(status());
    const r = fake.relations[0]!;
    r.units = ["pg/0", "pg/2"];
    await hook(rel("departed", 1, "pg", "pg/1", { departingUnit: "pg/1" }));
    r.units = ["pg/0", "pg/1", "pg/2"];
    r.bags["pg/1"] = { a: "back" };
    const s = await hook(rel("joined", 1, "pg", "pg/1"));
    assert.deepEqual(s.relations[0]!.units["pg/1"], { a: "back" });
    assert.deepEqual(data(s), fullRead());
  });

  test("relation-broken hides the relation and forgets it; one re-created under a new id is read in full", async () => {
    await hook(status());
    fake.relations[1]!.units = [];
    const broken = await hook(rel("broken", 4, "redis"));
    assert.deepEqual(
      broken.relations.map((r) => r.id),
      [1],
    );
    fake.relations = fake.relations.filter((r) => r.id !== 4);
    fake.relations.push({
      endpoint: "db",
      id: 9,
      remoteApp: "redis",
      units: [],
      bags: { redis: { r: "again" }, "redis/0": { b: "again" } },
    });
    const created = await hook(rel("created", 9, "redis"));
    assert.deepEqual(created.relations[1]!.units, {});
    assert.deepEqual(created.relations[1]!.appData, { r: "again" });
    fake.relations[1]!.units = ["redis/0"];
    const joined = await hook(rel("joined", 9, "redis", "redis/0"));
    assert.deepEqual(data(joined), fullRead());
    const cached = JSON.parse(readFileSync(join(dir, RELATION_CACHE_FILE), "utf8"));
    assert.deepEqual(cached.endpoints.db.ids, [1, 9]);
    assert.deepEqual(Object.keys(cached.endpoints.db.relations), ["1", "9"]);
  });

  test("the endpoint's relation ids are read again on relation-created, and the new relation in full", async () => {
    await hook(status());
    fake.relations.push({
      endpoint: "db",
      id: 7,
      remoteApp: "mysql",
      units: [],
      bags: { mysql: { m: "1" } },
    });
    const s = await hook(rel("created", 7, "mysql"));
    assert.deepEqual(s.calls, ["relation-ids db", "relation-list db:7", "relation-get db:7 --app mysql"]);
    assert.deepEqual(data(s), fullRead());
  });

  test("an event of a relation the cache does not know reads the ids again (e.g. a relation resumed)", async () => {
    await hook(status());
    fake.relations.push({
      endpoint: "db",
      id: 7,
      remoteApp: "mysql",
      units: ["mysql/0"],
      bags: { mysql: { m: "1" }, "mysql/0": { u: "0" } },
    });
    const s = await hook(rel("joined", 7, "mysql", "mysql/0"));
    assert.deepEqual(s.calls, [
      "relation-ids db",
      "relation-list db:7",
      "relation-get db:7 mysql/0",
      "relation-get db:7 --app mysql",
    ]);
    assert.deepEqual(data(s), fullRead());
  });

  test("the Model reads a viewed endpoint through the cache, so interface libraries need no change", async () => {
    await hook(status());
    fake.relations[0]!.units = ["pg/0", "pg/2"];
    let seenByModel: unknown[] = [];
    class ModelReader extends CharmBase {
      constructor(f: Framework) {
        super(f);
        f.relationView("db");
        f.observe("relation-departed", "db", () => {
          fake.calls = [];
          const r = f.model.relations("db")[0]!;
          seenByModel = [
            r.app,
            [...r.units],
            r.remoteUnitData("pg/0").toObject(),
            r.remoteAppData.toObject(),
            // The departing unit is no longer a member: its bag is read from Juju.
            r.remoteUnitData("pg/1").toObject(),
            [...fake.calls],
          ];
        });
      }
    }
    await runDispatch({
      charmClass: ModelReader,
      context: rel("departed", 1, "pg", "pg/1", { departingUnit: "pg/1" }),
      metadata: meta,
      backend: fake,
      store: new MemoryStateStore(),
      cacheDir: dir,
    });
    assert.deepEqual(seenByModel, [
      "pg",
      ["pg/0", "pg/2"],
      { a: "0" },
      { host: "h" },
      { a: "1" },
      ["relation-list db:1", "relation-get db:1 pg/1"],
    ]);
  });
});

describe("events that are not read, and hooks that fail", () => {
  test("a relation event no handler reads is kept pending and read by the next hook that reads", async () => {
    await hook(status());
    fake.relations[0]!.bags["pg/2"] = { a: "changed unseen" };
    await hook(rel("changed", 1, "pg", "pg/2"), { read: false });
    assert.ok(existsSync(join(dir, RELATION_CACHE_PENDING_FILE)));
    const s = await hook(status());
    assert.deepEqual(s.relations[0]!.read, ["pg/2"]);
    assert.deepEqual(data(s), fullRead());
    assert.ok(!existsSync(join(dir, RELATION_CACHE_PENDING_FILE)));
  });

  test("a failed hook leaves no trace in the cache; its retry reads what it names", async () => {
    await hook(status());
    fake.relations[0]!.bags["pg/0"] = { a: "v2" };
    const event = rel("changed", 1, "pg", "pg/0");
    await assert.rejects(hook(event, { fail: true }), /handler failed/);
    const retry = await hook(event);
    assert.deepEqual(retry.relations[0]!.read, ["pg/0"]);
    assert.equal(retry.relations[0]!.changed, true);
    assert.deepEqual(data(retry), fullRead());
  });

  test("a failed hook skipped by the operator (resolve --no-retry): the next hook still reads what it named", async () => {
    await hook(status());
    fake.relations[0]!.bags["pg/0"] = { a: "v2" };
    await assert.rejects(hook(rel("changed", 1, "pg", "pg/0"), { fail: true }), /handler failed/);
    // Juju records the failed hook as run; the next event is about something else.
    const next = await hook(ctx("config-changed"));
    assert.deepEqual(next.relations[0]!.read, ["pg/0"]);
    assert.deepEqual(data(next), fullRead());
  });

  test("a hook that fails after reading does not save what it read; the pending event stays", async () => {
    await hook(status());
    fake.relations[0]!.bags["pg/1"] = { a: "v2" };
    const before = readFileSync(join(dir, RELATION_CACHE_FILE), "utf8");
    await assert.rejects(hook(rel("changed", 1, "pg", "pg/1"), { fail: true }), /handler failed/);
    assert.equal(readFileSync(join(dir, RELATION_CACHE_FILE), "utf8"), before);
    assert.ok(existsSync(join(dir, RELATION_CACHE_PENDING_FILE)));
  });
});

describe("full reads", () => {
  for (const kind of ["upgrade-charm", "leader-elected"] as const) {
    test(`${kind} reads everything`, async () => {
      await hook(status());
      fake.relations[0]!.bags["pg/1"] = { a: "changed without an event this unit saw" };
      const s = await hook(ctx(kind));
      assert.deepEqual(s.freshness, { mode: "full", reason: kind });
      assert.deepEqual(data(s), fullRead());
      assert.equal(s.calls.filter((c) => c.startsWith("relation-get")).length, 6);
    });
    test(`${kind} drops the cache even when no handler reads the view`, async () => {
      await hook(status());
      await hook(ctx(kind), { read: false });
      const s = await hook(status());
      assert.deepEqual(s.freshness, { mode: "full", reason: "no-cache" });
    });
  }

  test("a lost cache file costs a full read, nothing else", async () => {
    await hook(status());
    rmSync(join(dir, RELATION_CACHE_FILE));
    const s = await hook(rel("changed", 1, "pg", "pg/0"));
    assert.deepEqual(s.freshness, { mode: "full", reason: "no-cache" });
    assert.deepEqual(data(s), fullRead());
  });

  test("a cache of another unit, another model or another format, or a corrupt one, is not used", async () => {
    await hook(status());
    const good = readFileSync(join(dir, RELATION_CACHE_FILE), "utf8");
    const variants = [
      good.replace('"unit":"app/0"', '"unit":"app/1"'),
      good.replace('"model":"u"', '"model":"other"'),
      good.replace('"format":2', '"format":99'),
      good.slice(0, good.length / 2),
      '{"format":2,"unit":"app/0","model":"u","endpoints":{"db":{"ids":[1],"relations":{"1":{"units":[]}}}}}',
      '{"format":2,"unit":"app/0","model":"u","endpoints":{"db":{"ids":"1","relations":{}}}}',
    ];
    for (const text of variants) {
      writeFileSync(join(dir, RELATION_CACHE_FILE), text);
      const s = await hook(status());
      assert.deepEqual(s.freshness, { mode: "full", reason: "foreign-cache" }, text.slice(0, 80));
      assert.deepEqual(data(s), fullRead());
    }
  });

  test("without a cache directory every hook reads everything", async () => {
    dir = undefined as unknown as string;
    const s = await hook(status());
    assert.deepEqual(s.freshness, { mode: "full", reason: "no-cache-dir" });
    const again = await hook(status());
    assert.equal(again.calls.filter((c) => c.startsWith("relation-get")).length, 6);
  });

  test("invalidate() reads everything again in the same hook", async () => {
    await hook(status());
    behaviour = { read: false, fail: false, endpoint: "db" };
    let reads = -1;
    let freshness: ViewFreshness | undefined;
    class Invalidating extends CharmBase {
      constructor(f: Framework) {
        super(f);
        const v = f.relationView("db");
        f.observe("update-status", () => {
          v.relations();
          v.invalidate();
          fake.calls = [];
          v.relations();
          reads = fake.calls.filter((c) => c.startsWith("relation-get")).length;
          freshness = v.freshness;
        });
      }
    }
    await runDispatch({
      charmClass: Invalidating,
      context: status(),
      metadata: meta,
      backend: fake,
      store: new MemoryStateStore(),
      cacheDir: dir,
    });
    assert.equal(reads, 6);
    assert.deepEqual(freshness, { mode: "full", reason: "invalidated" });
  });
});

describe("peer relations and this unit's bags", () => {
  test("a peer relation's application bag is read in every hook (the leader's own writes send it no event)", async () => {
    fake.relations.push({
      endpoint: "peers",
      id: 2,
      remoteApp: "app",
      units: ["app/1"],
      bags: { app: { shared: "1" }, "app/1": { p: "1" } },
    });
    await hook(status(), { endpoint: "peers" });
    fake.relations[2]!.bags.app = { shared: "2" };
    const s = await hook(status(), { endpoint: "peers" });
    assert.deepEqual(s.calls, ["relation-get peers:2 --app app"]);
    assert.deepEqual(s.relations[0]!.appData, { shared: "2" });
    assert.equal(s.relations[0]!.changed, true);
  });

  test("this unit's bags are read only when a library looks at them, the app bag only on the leader", async () => {
    fake.relations[0]!.bags.app = { mine: "x" };
    fake.relations[0]!.bags["app/0"] = { me: "y" };
    let local: unknown[] = [];
    class Local extends CharmBase {
      constructor(f: Framework) {
        super(f);
        const v = f.relationView("db");
        f.observe("update-status", () => {
          const snap = v.relations()[0]!.snapshot();
          fake.calls = [];
          local = [snap.localAppData, snap.localUnitData, [...fake.calls]];
        });
      }
    }
    const go = () =>
      runDispatch({
        charmClass: Local,
        context: status(),
        metadata: meta,
        backend: fake,
        store: new MemoryStateStore(),
        cacheDir: dir,
      });
    await go();
    assert.deepEqual(local, [
      { mine: "x" },
      { me: "y" },
      ["is-leader", "relation-get db:1 --app app", "relation-get db:1 app/0"],
    ]);
    fake.leader = false;
    await go();
    assert.deepEqual(local, [undefined, { me: "y" }, ["is-leader", "relation-get db:1 app/0"]]);
  });
});

test("relationView of an undeclared endpoint fails at construction, naming the known ones", async () => {
  class Bad extends CharmBase {
    constructor(f: Framework) {
      super(f);
      f.relationView("dbx");
    }
  }
  await assert.rejects(
    runDispatch({
      charmClass: Bad,
      context: status(),
      metadata: meta,
      backend: fake,
      store: new MemoryStateStore(),
    }),
    (e: unknown) => e instanceof CharmDefinitionError && /"dbx".*known: db, other, peers/.test(e.message),
  );
});
