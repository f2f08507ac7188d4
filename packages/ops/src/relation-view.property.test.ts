// Property test of the cached relation view against a full-read oracle. A small simulation of
// Juju drives the SDK's real dispatch: remote units and applications write their bags, units
// join and leave, relations are created and removed (ids never reused), and the unit agent runs
// the hooks its relation resolver would (juju/juju worker/uniter/relation/resolver.go,
// nextHookForRelation: a relation-changed after every relation-joined, departures first, then
// relation-broken, then application changes, joins, unit changes; a change seen by no hook yet is
// one hook however many writes it holds). Hooks fail and are retried or skipped, leadership
// changes, the charm is upgraded, cache files are lost or corrupted, and hooks that do not read
// the view come and go.
//
// Properties: when every change is delivered before the next one is made, every hook sees
// through the view exactly what a full read of the model gives; when changes pile up and are
// delivered later, in any mix, the view equals a full read once the agent has run every hook
// (Juju promises nothing in between: the agent's own relation-get answers from its cache).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { CharmBase, type Framework, runDispatch } from "./charm.js";
import type { JujuContext } from "./context.js";
import { ctx, FakeTools } from "./fake-tools.test-support.js";
import { parseCharmMeta } from "./metadata.js";
import { RELATION_CACHE_FILE } from "./relation-view.js";
import { MemoryStateStore } from "./state.js";

const meta = parseCharmMeta({ metadata: { name: "app", requires: { db: { interface: "pg" } } } });

type Bags = Record<string, Record<string, string>>;
type Plain = { id: number; app: string | undefined; appData: Bags[string]; units: Bags }[];

/** What the charm does in the next hook, and what it saw. */
const charm = { read: true, fail: false, seen: undefined as Plain | undefined };

class ViewCharm extends CharmBase {
  constructor(f: Framework) {
    super(f);
    const view = f.relationView("db");
    const handler = (): void => {
      if (charm.read) {
        charm.seen = view.relations().map((r) => {
          const s = r.snapshot();
          return {
            id: r.id,
            app: r.app,
            appData: { ...s.remoteAppData },
            units: Object.fromEntries(Object.entries(s.remoteUnitsData).map(([u, b]) => [u, { ...b }])),
          };
        });
      }
      if (charm.fail) throw new Error("hook failed");
    };
    for (const k of [
      "relation-created",
      "relation-joined",
      "relation-changed",
      "relation-departed",
      "relation-broken",
    ] as const)
      f.observe(k, "db", handler);
    for (const k of ["update-status", "config-changed", "upgrade-charm", "leader-elected"] as const)
      f.observe(k, handler);
  }
}

/** One relation on the controller and in the unit agent's state. */
interface SimRelation {
  id: number;
  app: string;
  /** Units in the relation's scope on the controller. */
  scope: string[];
  /** Settings version per unit name and for the application (key ""). */
  version: Record<string, number>;
  /** What the agent last ran a hook for. */
  seen: Record<string, number>;
  /** The agent ran relation-created. */
  created: boolean;
  dying: boolean;
  changedPending: string | undefined;
  nextUnit: number;
  /** Units that left the scope and may enter it again under the same name. */
  left: string[];
  /** The controller's bags (shared with the fake hook tools once created). */
  bags: Bags;
}

interface Hook {
  kind: "relation-created" | "relation-joined" | "relation-changed" | "relation-departed" | "relation-broken";
  rel: SimRelation;
  unit?: string;
}

type Mod = { fail: "no" | "retry" | "skip"; read: boolean };

class Sim {
  readonly fake = new FakeTools();
  readonly dir = mkdtempSync(join(tmpdir(), "relation-view-prop-"));
  readonly rels: SimRelation[] = [];
  private nextId = 1;
  private mods: Mod[];
  private modIndex = 0;
  checks = 0;

  constructor(
    mods: Mod[],
    /** Compare every hook with the oracle (only valid when nothing else is pending). */
    private readonly everyHook: boolean,
  ) {
    this.mods = mods.length > 0 ? mods : [{ fail: "no", read: true }];
  }

  private agentRelation(r: SimRelation) {
    return this.fake.relations.find((x) => x.id === r.id);
  }

  private nextMod(): Mod {
    return this.mods[this.modIndex++ % this.mods.length]!;
  }

  /** What a full read gives now, as the charm's view would show it (a broken relation hidden). */
  oracle(hiddenId?: number): Plain {
    return this.fake.relations
      .filter((r) => r.id !== hiddenId)
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

  private async dispatch(context: JujuContext, read: boolean, fail: boolean): Promise<boolean> {
    charm.read = read;
    charm.fail = fail;
    charm.seen = undefined;
    try {
      await runDispatch({
        charmClass: ViewCharm,
        context,
        metadata: meta,
        backend: this.fake,
        store: new MemoryStateStore(),
        cacheDir: this.dir,
      });
      return true;
    } catch (e) {
      if (!fail) throw e;
      return false;
    }
  }

  /** Runs one hook as the agent would, with this step's failure and read behaviour. */
  async run(context: JujuContext, hiddenId?: number, check = this.everyHook): Promise<void> {
    const mod = this.nextMod();
    const ok = await this.dispatch(context, mod.read, mod.fail !== "no");
    // A retried hook runs again with the same event; a skipped one is recorded as run.
    if (!ok && mod.fail === "retry") await this.dispatch(context, mod.read, false);
    else if (!ok) return;
    if (mod.read && check) {
      assert.deepEqual(charm.seen, this.oracle(hiddenId), `after ${context.hookName}`);
      this.checks++;
    }
  }

  // ----- changes on the controller ---------------------------------------------------------------

  relate(units: number, appData: boolean): void {
    const id = this.nextId++;
    const app = `app${id}`;
    const r: SimRelation = {
      id,
      app,
      scope: [],
      version: {},
      seen: {},
      created: false,
      dying: false,
      changedPending: undefined,
      nextUnit: 0,
      left: [],
      bags: {},
    };
    if (appData) this.writeApp(r, `first ${id}`);
    for (let i = 0; i < units; i++) this.join(r);
    this.rels.push(r);
  }

  write(r: SimRelation, unit: string, value: string): void {
    r.bags[unit] = { value, [`k${value.length % 3}`]: value };
    r.version[unit] = (r.version[unit] ?? 0) + 1;
  }

  writeApp(r: SimRelation, value: string): void {
    r.bags[r.app] = { app: value };
    r.version[""] = (r.version[""] ?? 0) + 1;
  }

  join(r: SimRelation): void {
    const unit = `${r.app}/${r.nextUnit++}`;
    r.scope.push(unit);
    this.write(r, unit, `joined ${unit}`);
  }

  depart(r: SimRelation, unit: string): void {
    r.scope = r.scope.filter((u) => u !== unit);
    r.left.push(unit);
  }

  /** A unit that left enters the scope again (e.g. a suspended relation resumed), with new data. */
  rejoin(r: SimRelation, unit: string, value: string): void {
    r.left = r.left.filter((u) => u !== unit);
    r.scope.push(unit);
    this.write(r, unit, value);
  }

  unrelate(r: SimRelation): void {
    r.dying = true;
    r.scope = [];
  }

  // ----- the unit agent ---------------------------------------------------------------------------

  /** The next hook for a relation, in the order of Juju's relation resolver. */
  private nextHook(r: SimRelation): Hook | undefined {
    const agent = this.agentRelation(r);
    if (!r.created) return r.dying ? undefined : { kind: "relation-created", rel: r };
    if (!agent) return undefined;
    if (r.changedPending) return { kind: "relation-changed", rel: r, unit: r.changedPending };
    const members = [...agent.units].sort();
    for (const u of members) if (!r.scope.includes(u)) return { kind: "relation-departed", rel: r, unit: u };
    if (r.dying) return { kind: "relation-broken", rel: r };
    if ((r.version[""] ?? 0) !== (r.seen[""] ?? 0)) return { kind: "relation-changed", rel: r };
    for (const u of [...r.scope].sort())
      if (!agent.units.includes(u)) return { kind: "relation-joined", rel: r, unit: u };
    for (const u of members)
      if (r.version[u] !== r.seen[u]) return { kind: "relation-changed", rel: r, unit: u };
    return undefined;
  }

  /** Runs every hook the agent has to run, relation by relation. */
  async flush(): Promise<void> {
    for (const r of [...this.rels].sort((a, b) => a.id - b.id)) {
      for (let h = this.nextHook(r); h; h = this.nextHook(r)) await this.deliver(h);
    }
  }

  private async deliver(h: Hook): Promise<void> {
    const r = h.rel;
    const env = {
      relationName: "db",
      relationId: r.id,
      remoteApp: r.app,
      remoteUnit: h.kind === "relation-changed" && h.unit === undefined ? "" : h.unit,
    };
    switch (h.kind) {
      case "relation-created":
        r.created = true;
        this.fake.relations.push({ endpoint: "db", id: r.id, remoteApp: r.app, units: [], bags: r.bags });
        await this.run(ctx("db-relation-created", env));
        return;
      case "relation-joined": {
        const agent = this.agentRelation(r)!;
        agent.units.push(h.unit!);
        r.changedPending = h.unit;
        await this.run(ctx("db-relation-joined", env));
        return;
      }
      case "relation-changed":
        if (h.unit === undefined) r.seen[""] = r.version[""] ?? 0;
        else r.seen[h.unit] = r.version[h.unit] ?? 0;
        r.changedPending = undefined;
        await this.run(ctx("db-relation-changed", env));
        return;
      case "relation-departed": {
        const agent = this.agentRelation(r)!;
        agent.units = agent.units.filter((u) => u !== h.unit);
        delete r.seen[h.unit!];
        await this.run(ctx("db-relation-departed", { ...env, departingUnit: h.unit }));
        return;
      }
      case "relation-broken":
        await this.run(ctx("db-relation-broken", env), r.id);
        this.fake.relations = this.fake.relations.filter((x) => x.id !== r.id);
        this.rels.splice(this.rels.indexOf(r), 1);
        return;
    }
  }

  async lifecycle(
    kind: "update-status" | "config-changed" | "leader-elected" | "upgrade-charm",
  ): Promise<void> {
    if (kind === "leader-elected") this.fake.leader = true;
    await this.run(ctx(kind));
  }

  loseCache(corrupt: boolean): void {
    const path = join(this.dir, RELATION_CACHE_FILE);
    if (corrupt) writeFileSync(path, '{"format":1,"unit":"app/0","model":"u","endpoints":{"db":');
    else rmSync(path, { force: true });
  }

  /** Once everything is delivered, a hook that reads must see exactly the model. */
  async settle(): Promise<void> {
    await this.flush();
    charm.read = true;
    charm.fail = false;
    await this.dispatch(ctx("update-status"), true, false);
    assert.deepEqual(charm.seen, this.oracle(), "after every hook ran");
    this.checks++;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const op = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant("relate" as const), units: fc.nat(4), app: fc.boolean() }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant("write" as const),
      r: fc.nat(),
      u: fc.nat(),
      v: fc.string({ maxLength: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("writeApp" as const),
      r: fc.nat(),
      v: fc.string({ maxLength: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("join" as const), r: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("depart" as const), r: fc.nat(), u: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant("rejoin" as const),
      r: fc.nat(),
      u: fc.nat(),
      v: fc.string({ maxLength: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("unrelate" as const), r: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("lifecycle" as const),
      kind: fc.constantFrom(
        "update-status",
        "config-changed",
        "leader-elected",
        "upgrade-charm",
      ) as fc.Arbitrary<"update-status" | "config-changed" | "leader-elected" | "upgrade-charm">,
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("lose" as const), corrupt: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("flush" as const) }) },
);

const mod: fc.Arbitrary<Mod> = fc.record({
  fail: fc.constantFrom<Mod["fail"]>("no", "no", "no", "no", "retry", "skip"),
  read: fc.boolean(),
});

async function play(ops: Op[], mods: Mod[], everyHook: boolean): Promise<number> {
  const sim = new Sim(mods, everyHook);
  for (const o of ops) {
    const pick = <T>(xs: T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);
    const live = sim.rels.filter((r) => r.created && !r.dying);
    switch (o.t) {
      case "relate":
        sim.relate(o.units, o.app);
        break;
      case "write": {
        const r = pick(live, o.r);
        const u = r && pick(r.scope, o.u);
        if (r && u) sim.write(r, u, o.v);
        break;
      }
      case "writeApp": {
        const r = pick(live, o.r);
        if (r) sim.writeApp(r, o.v);
        break;
      }
      case "join": {
        const r = pick(live, o.r);
        if (r) sim.join(r);
        break;
      }
      case "depart": {
        const r = pick(live, o.r);
        const u = r && pick(r.scope, o.u);
        if (r && u) sim.depart(r, u);
        break;
      }
      case "rejoin": {
        const r = pick(live, o.r);
        const u = r && pick(r.left, o.u);
        if (r && u) sim.rejoin(r, u, o.v);
        break;
      }
      case "unrelate": {
        const r = pick(live, o.r);
        if (r) sim.unrelate(r);
        break;
      }
      case "lifecycle":
        // A lifecycle hook between a change and its relation hook would see a full read ahead of
        // the agent: delivered first when every hook is compared.
        if (everyHook) await sim.flush();
        await sim.lifecycle(o.kind);
        break;
      case "lose":
        sim.loseCache(o.corrupt);
        break;
      case "flush":
        await sim.flush();
        break;
    }
    if (everyHook) await sim.flush();
  }
  await sim.settle();
  return sim.checks;
}

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** Cases per property: the unit tier (scripts/test.mjs sets TEST_TIER) runs a sample, the others all. */
const RUNS = process.env.TEST_TIER === "unit" ? 40 : 300;

test("every hook sees what a full read gives, when each change is delivered before the next", async () => {
  let checks = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(op, { minLength: 5, maxLength: 40 }),
      fc.array(mod, { minLength: 1, maxLength: 7 }),
      async (ops, mods) => {
        checks += await play(ops, mods, true);
      },
    ),
    { numRuns: RUNS },
  );
  assert.ok(checks > RUNS * 3, `only ${checks} comparisons`);
});

test("once every hook has run, the view equals a full read, however changes piled up", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(op, { maxLength: 40 }),
      fc.array(mod, { minLength: 1, maxLength: 7 }),
      async (ops, mods) => {
        await play(ops, mods, false);
      },
    ),
    { numRuns: RUNS },
  );
});
