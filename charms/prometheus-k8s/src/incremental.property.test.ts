/**
 * Property test of the charm's incremental hooks against a full read. One random sequence of
 * Juju events on metrics-endpoint and alertmanager (relations created and broken under ids never
 * reused, units joining, changing and departing, application bags and alert rules changing, some
 * of them malformed, leadership re-elected, the charm upgraded, update-status) runs through two
 * copies of the charm: one with a cache directory (cached relation views, the leader's feedback
 * record, the promtool record) and one without, which reads every bag of every relation in every
 * hook and keeps no record of its feedback. Each event is delivered before the next change, as the unit agent does when it keeps up
 * (juju/juju worker/uniter/relation/resolver.go nextHookForRelation: relation-changed after every
 * relation-joined, departures, then relation-broken). After every hook both copies must have
 * pushed the same prometheus.yml and rule files and written the same feedback to each relation.
 * (The YAML memo is shared by the two copies, being per process; its output is checked against
 * one whole dump in yaml-memo.test.ts.) Between hooks the cached copy's state is also damaged at
 * random, as a real unit's may be: its per-relation fragments lost, replaced by a foreign file
 * (valid in form, other keys), by an older format or by garbage, and the workload restarted with
 * an empty configuration and no rule files (a new container: the charm's records of what it pushed
 * no longer hold). Each must still give what the full read gives.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import {
  Context,
  container,
  execMock,
  getContainer,
  getRelation,
  relation,
  type State,
  state,
  storage,
} from "@charmkit/ops/testing";
import PrometheusCharm from "./charm.js";
import { PATHS } from "./flags.js";
import { FRAGMENTS_DIR } from "./scrape-fragments.js";
import { CHARM_DIR, MODEL_UUID as UUID, rng, tempDir } from "./charm.test-support.js";

/** The temp directories of this file (the database mount, each cached copy's cache), removed at the end. */
const TMP = tempDir("prom-prop-");
const DB = mkdtempSync(join(TMP, "db-"));
/** Event sequences: the unit tier (scripts/test.mjs sets TEST_TIER) runs a sample, the others all. */
const SEEDS = process.env.TEST_TIER === "unit" ? 2 : 6;

interface SimRelation {
  endpoint: "metrics-endpoint" | "alertmanager";
  id: number;
  app: string;
  appData: Record<string, string>;
  units: Map<number, Record<string, string>>;
  nextUnit: number;
}

const EXPRS = ["up{%%juju_topology%%} < 1", "rate(x_total[5m]) > 1", "up <<< 1", "sum(y) by (z) > 2"];

function scrapeAppData(app: string, r: () => number): Record<string, string> {
  const rules = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, i) => ({
    alert: `A${i}`,
    expr: EXPRS[Math.floor(r() * EXPRS.length)],
  }));
  const data: Record<string, string> = {
    scrape_metadata: JSON.stringify({
      model: "cos",
      model_uuid: UUID,
      application: app,
      unit: `${app}/0`,
      charm_name: app,
    }),
    scrape_jobs:
      r() < 0.1
        ? "[{not json"
        : JSON.stringify([
            { metrics_path: `/m${Math.floor(r() * 3)}`, static_configs: [{ targets: ["*:8000"] }] },
          ]),
  };
  if (r() < 0.8) data.alert_rules = JSON.stringify({ groups: [{ name: `${app}_g`, rules }] });
  return data;
}

function unitBag(rel: SimRelation, n: number, r: () => number): Record<string, string> {
  if (rel.endpoint === "alertmanager") return { url: `http://am-${n}-${Math.floor(r() * 9)}.am:9093` };
  return {
    prometheus_scrape_unit_address: `10.${rel.id}.${n}.${Math.floor(r() * 250)}`,
    prometheus_scrape_unit_name: `${rel.app}/${n}`,
  };
}

type AnyRelation = State["relations"][number];
type Hook = (c: Context, rel: (id: number) => AnyRelation) => ReturnType<Context["on"]["updateStatus"]>;

/** One copy of the charm and the state it last left. */
class Copy {
  readonly ctx: Context;
  out: State | undefined;
  constructor(readonly cacheDir: string | undefined) {
    this.ctx = new Context(PrometheusCharm, {
      charmDir: CHARM_DIR,
      ...(cacheDir ? { cacheDir } : {}),
      // Every reload succeeds: both copies see the same Prometheus, and none is reached.
      create: (f) =>
        new PrometheusCharm(f, { prometheusApi: () => ({ reload: async () => ({ kind: "ok" }) }) }),
    });
  }

  /**
   * Stored state to start the next hook with. The full-read copy forgets the leader's feedback
   * record, so it reads this application's bags in every hook as the charm did before it.
   */
  private stored(): State["storedStates"] {
    const st = this.out?.storedStates ?? {};
    if (this.cacheDir !== undefined) return st;
    const { published: _, ...rest } = (st.prometheus ?? {}) as Record<string, never>;
    return { ...st, prometheus: rest };
  }

  /** The state for the next hook: the model's relations, with this copy's own writes kept. */
  state(rels: readonly SimRelation[]): State {
    const relations = rels.map((s) =>
      relation({
        endpoint: s.endpoint,
        id: s.id,
        remoteAppName: s.app,
        remoteAppData: { ...s.appData },
        remoteUnitsData: Object.fromEntries([...s.units].map(([n, b]) => [n, { ...b }])),
        localAppData: this.out ? { ...(getRelation(this.out, s.id)?.localAppData ?? {}) } : {},
      }),
    );
    const wl = container({
      name: "prometheus",
      canConnect: true,
      execs: [execMock({ command: [PATHS.binary, "--version"], stdout: "prometheus, version 2.42.0\n" })],
      ...(this.out ? { filesystem: this.filesystem() } : {}),
    });
    return state({
      ...(this.out ?? {}),
      // The model the relations' metadata names: their jobs and rules are accepted (pinned).
      model: { name: "cos", uuid: UUID, type: "kubernetes" },
      leader: true,
      storedStates: this.stored(),
      containers: [wl],
      storages: [storage({ name: "database", location: DB })],
      relations,
    });
  }

  /** The workload container restarted empty: no configuration, no rule files. */
  restartWorkloadEmpty(): void {
    this.emptied = true;
  }
  private emptied = false;

  /** The workload's files the next hook starts with. */
  private filesystem(): Record<string, string> {
    const fs = { ...((this.out && getContainer(this.out, "prometheus")?.filesystem) ?? {}) };
    if (!this.emptied) return fs;
    this.emptied = false;
    for (const p of Object.keys(fs)) if (p.startsWith("/etc/prometheus/")) delete fs[p];
    fs[PATHS.config] = "";
    return fs;
  }

  async run(hook: Hook, rels: readonly SimRelation[]): Promise<void> {
    const st = this.state(rels);
    const rel = (id: number) => st.relations.find((x) => x.id === id)!;
    this.out = await this.ctx.run(hook(this.ctx, rel), st);
  }
}

/** Damages the cached copy's per-relation fragments the way a real unit's files may be. */
function damageFragments(cacheDir: string, how: number): string {
  const dir = join(cacheDir, FRAGMENTS_DIR);
  const index = join(dir, "index.json");
  if (how < 0.25) {
    rmSync(dir, { recursive: true, force: true });
    return "fragments lost";
  }
  if (!existsSync(index)) return "no fragments to damage";
  const doc = JSON.parse(readFileSync(index, "utf8")) as { format: number; keys: Record<string, string> };
  const ids = Object.keys(doc.keys);
  if (how < 0.5) {
    writeFileSync(index, "{not json");
    for (const id of ids.slice(0, 1)) writeFileSync(join(dir, `${id}.json`), "{not json");
    return "fragments garbage";
  }
  if (how < 0.75) {
    // An older format, otherwise as this one: must not be reused.
    writeFileSync(index, JSON.stringify({ ...doc, format: doc.format - 1 }));
    return "fragments of an older format";
  }
  // Another unit's or another model's fragments: valid in form, keys that match nothing here.
  for (const id of ids) {
    doc.keys[id] = `foreign ${doc.keys[id]}`;
    const file = join(dir, `${id}.json`);
    const f = JSON.parse(readFileSync(file, "utf8")) as { key: string };
    writeFileSync(file, JSON.stringify({ ...f, key: doc.keys[id] }));
  }
  writeFileSync(index, JSON.stringify(doc));
  return "foreign fragments";
}

function files(s: State | undefined): Record<string, string> {
  const fs = (s && getContainer(s, "prometheus")?.filesystem) ?? {};
  const out: Record<string, string> = {};
  for (const [p, c] of Object.entries(fs))
    if (p === PATHS.config || p.startsWith("/etc/prometheus/rules/")) out[p] = c;
  return out;
}

function feedback(s: State | undefined, rels: readonly SimRelation[]): Record<number, string | undefined> {
  const out: Record<number, string | undefined> = {};
  for (const r of rels) out[r.id] = s ? getRelation(s, r.id)?.localAppData.event : undefined;
  return out;
}

it("incremental hooks give what a full read gives, for random event sequences", async () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = rng(seed);
    const inc = new Copy(mkdtempSync(join(TMP, "cache-")));
    const full = new Copy(undefined);
    const rels: SimRelation[] = [];
    let nextId = 10;
    const step = async (what: string, hook: Hook) => {
      await inc.run(hook, rels);
      await full.run(hook, rels);
      const where = `seed ${seed}, ${what}`;
      assert.deepEqual(files(inc.out), files(full.out), where);
      assert.deepEqual(feedback(inc.out, rels), feedback(full.out, rels), where);
    };
    await step("update-status", (c) => c.on.updateStatus());
    for (let i = 0; i < 40; i++) {
      const pick = r();
      const live = rels.filter((s) => s.units.size > 0);
      const s = live[Math.floor(r() * live.length)];
      if (i % 8 === 7) {
        // Every kind of damage in every sequence, then a hook that renders and one unit's change.
        const kind = ((i - 7) / 8) % 5;
        let what: string;
        if (kind === 4) {
          inc.restartWorkloadEmpty();
          full.restartWorkloadEmpty();
          what = "workload restarted empty";
          // pebble-ready follows a container restart, as on Kubernetes.
          await step(what, (c) => c.on.pebbleReady(container({ name: "prometheus" })));
        } else {
          what = damageFragments(inc.cacheDir!, kind / 4 + 0.01);
          await step(`${what}, config-changed`, (c) => c.on.configChanged());
        }
        if (process.env.PROP_DEBUG) console.log(`seed ${seed}: ${what}`);
        // A scrape relation's unit changes: what a damaged cache would get wrong.
        const t = live.find((x) => x.endpoint === "metrics-endpoint");
        if (t === undefined) continue;
        const k = [...t.units.keys()][0]!;
        t.units.set(k, unitBag(t, k, r));
        await step(`${what}, changed ${t.id}/${k}`, (c, rel) =>
          c.on.relationChanged(rel(t.id), { remoteUnit: k }),
        );
        continue;
      }
      if (pick < 0.15 || rels.length === 0) {
        const endpoint = r() < 0.8 ? "metrics-endpoint" : "alertmanager";
        const id = nextId++;
        const app = `app${id}`;
        const n: SimRelation = { endpoint, id, app, appData: {}, units: new Map(), nextUnit: 0 };
        rels.push(n);
        await step(`created ${id}`, (c, rel) => c.on.relationCreated(rel(n.id)));
        for (let u = 0; u < 1 + Math.floor(r() * 3); u++) {
          const k = n.nextUnit++;
          n.units.set(k, unitBag(n, k, r));
          await step(`joined ${id}/${k}`, (c, rel) => c.on.relationJoined(rel(n.id), { remoteUnit: k }));
          await step(`changed ${id}/${k}`, (c, rel) => c.on.relationChanged(rel(n.id), { remoteUnit: k }));
        }
        if (endpoint === "metrics-endpoint") {
          n.appData = scrapeAppData(app, r);
          await step(`app changed ${id}`, (c, rel) => c.on.relationChanged(rel(n.id)));
        }
      } else if (s === undefined) {
        await step("update-status", (c) => c.on.updateStatus());
      } else if (pick < 0.45) {
        const keys = [...s.units.keys()];
        const k = keys[Math.floor(r() * keys.length)]!;
        s.units.set(k, unitBag(s, k, r));
        await step(`changed ${s.id}/${k}`, (c, rel) => c.on.relationChanged(rel(s.id), { remoteUnit: k }));
      } else if (pick < 0.55 && s.endpoint === "metrics-endpoint") {
        s.appData = scrapeAppData(s.app, r);
        await step(`app changed ${s.id}`, (c, rel) => c.on.relationChanged(rel(s.id)));
      } else if (pick < 0.65) {
        const k = s.nextUnit++;
        s.units.set(k, unitBag(s, k, r));
        await step(`joined ${s.id}/${k}`, (c, rel) => c.on.relationJoined(rel(s.id), { remoteUnit: k }));
        await step(`changed ${s.id}/${k}`, (c, rel) => c.on.relationChanged(rel(s.id), { remoteUnit: k }));
      } else if (pick < 0.75) {
        const keys = [...s.units.keys()];
        const k = keys[Math.floor(r() * keys.length)]!;
        s.units.delete(k);
        await step(`departed ${s.id}/${k}`, (c, rel) =>
          c.on.relationDeparted(rel(s.id), { remoteUnit: k, departingUnit: `${s.app}/${k}` }),
        );
      } else if (pick < 0.82) {
        for (const k of [...s.units.keys()]) {
          s.units.delete(k);
          await step(`departed ${s.id}/${k}`, (c, rel) =>
            c.on.relationDeparted(rel(s.id), { remoteUnit: k, departingUnit: `${s.app}/${k}` }),
          );
        }
        await step(`broken ${s.id}`, (c, rel) => c.on.relationBroken(rel(s.id)));
        rels.splice(rels.indexOf(s), 1);
      } else if (pick < 0.88) {
        await step("leader-elected", (c) => c.on.leaderElected());
      } else if (pick < 0.92) {
        await step("upgrade-charm", (c) => c.on.upgradeCharm());
      } else {
        await step("update-status", (c) => c.on.updateStatus());
      }
    }
  }
});
