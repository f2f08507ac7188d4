/**
 * Unit tests of the per-relation fragments: the configuration they give is the one the scrape
 * library over every relation gives, compacted and rendered, whatever was kept; only relations
 * whose key changed go through the library again.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  type ConsumerOptions,
  compactUnitJobs,
  consume,
  type ScrapeRelation,
} from "@charmkit/interfaces/prometheus-scrape";
import { renderJob } from "./render.js";
import { renderRulesDoc } from "./rules.js";
import {
  FRAGMENTS_DIR,
  type FragmentDoc,
  loadFragments,
  type ScrapeInput,
  saveFragments,
  scrapeConfiguration,
} from "./scrape-fragments.js";
import { MODEL_UUID as UUID } from "./charm.test-support.js";

const OPTS: ConsumerOptions = {
  model: { name: "cos", uuid: UUID },
  trustedAggregators: ["proxy"],
  fallbackScrapeProtocol: true,
  prometheusMajor: 3,
};

function rel(id: number, app: string, units: number, gen = 0, jobs?: unknown[]): ScrapeRelation {
  const remoteUnitsData: Record<string, Record<string, string>> = {};
  for (let u = 0; u < units; u++)
    remoteUnitsData[`${app}/${u}`] = {
      prometheus_scrape_unit_address: `10.0.${id}.${u + 1 + gen * 50}`,
      prometheus_scrape_unit_name: `${app}/${u}`,
    };
  const remoteAppData: Record<string, string> = {
    scrape_jobs: JSON.stringify(jobs ?? [{ static_configs: [{ targets: ["*:8000"] }] }]),
    alert_rules: JSON.stringify({ groups: [{ name: `${app}_g`, rules: [{ alert: "A", expr: "up < 1" }] }] }),
  };
  if (app !== "proxy")
    remoteAppData.scrape_metadata = JSON.stringify({
      model: "cos",
      model_uuid: UUID,
      application: app,
      unit: `${app}/0`,
      charm_name: app,
    });
  return { id, endpoint: "metrics-endpoint", remoteApp: app, remoteAppData, remoteUnitsData };
}

/** The inputs with a data key that follows the data, as the SDK view's digest does. */
function inputs(rels: readonly ScrapeRelation[]): ScrapeInput[] {
  return rels.map((r) => ({
    rel: r,
    snapshot: () => r,
    dataKey: JSON.stringify([r.remoteAppData, r.remoteUnitsData]),
  }));
}

/** What the charm did before fragments: the library over every relation, compacted, rendered. */
function oracle(rels: readonly ScrapeRelation[], compactAbove: number) {
  const r = consume(rels, OPTS);
  const compact = r.jobs.length > compactAbove;
  const jobs: string[] = [];
  const ids = [...new Set(r.jobRelations)];
  for (const id of ids) {
    const own = r.jobs.filter((_, i) => r.jobRelations[i] === id);
    for (const j of compact ? compactUnitJobs(own) : own) jobs.push(JSON.stringify(renderJob(j, 3)));
  }
  return {
    jobs,
    rules: r.ruleFiles.map((f) => [f.key, renderRulesDoc({ groups: f.groups })]),
    rejected: r.rejected,
    feedback: [...r.feedback],
  };
}

function shape(c: ReturnType<typeof scrapeConfiguration>) {
  return {
    jobs: c.jobs.map((j) => JSON.stringify(j)),
    rules: c.ruleFiles.map((f) => [f.key, f.text]),
    rejected: [...c.rejected],
    feedback: [...c.feedback],
  };
}

describe("scrape fragments", () => {
  it("only relations whose key changed go through the library; the result is the full one", () => {
    const rels = [rel(1, "a", 3), rel(2, "b", 2), rel(3, "c", 4)];
    const first = scrapeConfiguration(inputs(rels), OPTS, undefined, 2000);
    assert.equal(first.computed, 3);
    assert.deepEqual(shape(first), oracle(rels, 2000));
    const same = scrapeConfiguration(inputs(rels), OPTS, first.next, 2000);
    assert.equal(same.computed, 0);
    assert.equal(same.changed, false);
    assert.deepEqual(shape(same), oracle(rels, 2000));
    const moved = [rels[0]!, rel(2, "b", 2, 1), rels[2]!];
    const one = scrapeConfiguration(inputs(moved), OPTS, same.next, 2000);
    assert.equal(one.computed, 1, "only relation 2 changed");
    assert.equal(one.changed, true);
    assert.deepEqual(shape(one), oracle(moved, 2000));
    // Another option (here the Prometheus major version) changes every key.
    const v2 = scrapeConfiguration(inputs(moved), { ...OPTS, prometheusMajor: 2 }, one.next, 2000);
    assert.equal(v2.computed, 3);
  });

  it("a relation gone is dropped from what is kept", () => {
    const rels = [rel(1, "a", 1), rel(2, "b", 1)];
    const first = scrapeConfiguration(inputs(rels), OPTS, undefined, 2000);
    const fewer = scrapeConfiguration(inputs([rels[0]!]), OPTS, first.next, 2000);
    assert.equal(fewer.computed, 0);
    assert.equal(fewer.changed, true);
    assert.deepEqual(Object.keys(fewer.next!.relations), ["1"]);
    assert.deepEqual(shape(fewer), oracle([rels[0]!], 2000));
  });

  it("names shared across relations: the library's dedupe decides over the whole model, nothing kept", () => {
    // An aggregator forwarding a job named like another relation's: the library renames it.
    const a = rel(1, "a", 1);
    const first = scrapeConfiguration(inputs([a]), OPTS, undefined, 2000);
    const name = String(first.jobs[0]!.name);
    const proxy = rel(2, "proxy", 1, 0, [{ job_name: name, static_configs: [{ targets: ["10.9.9.9:80"] }] }]);
    const both = scrapeConfiguration(inputs([a, proxy]), OPTS, first.next, 2000);
    assert.deepEqual(shape(both), oracle([a, proxy], 2000));
    assert.equal(both.next, undefined);
    assert.ok(
      both.jobs.some((j) => j.name.startsWith(`${name}_`)),
      "renamed by the library's dedupe",
    );
  });

  it("crossing the compaction threshold renders every relation again", () => {
    const rels = [rel(1, "a", 3), rel(2, "b", 3)];
    const below = scrapeConfiguration(inputs(rels), OPTS, undefined, 5);
    assert.equal(below.next?.compact, true);
    assert.deepEqual(shape(below), oracle(rels, 5));
    const fewer = [rel(1, "a", 1), rels[1]!];
    const now = scrapeConfiguration(inputs(fewer), OPTS, below.next, 5);
    assert.equal(now.next?.compact, false);
    assert.equal(now.computed, 2, "relation 2 was rendered compacted: computed again");
    assert.deepEqual(shape(now), oracle(fewer, 5));
  });

  it("kept per relation: only computed relations are written; a damaged file costs its relation", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "fragments-")), FRAGMENTS_DIR);
    assert.equal(loadFragments(dir), undefined);
    const rels = [rel(1, "a", 1), rel(2, "b", 1)];
    const first = scrapeConfiguration(inputs(rels), OPTS, undefined, 2000);
    saveFragments(dir, first.next);
    const kept = loadFragments(dir);
    assert.deepEqual(kept, first.next);
    // A change of relation 2 rewrites its file only.
    const moved = [rels[0]!, rel(2, "b", 1, 1)];
    const one = scrapeConfiguration(inputs(moved), OPTS, kept, 2000);
    const before1 = statSync(join(dir, "1.json")).mtimeMs;
    const inode2 = statSync(join(dir, "2.json")).ino;
    saveFragments(dir, one.next, kept);
    assert.equal(statSync(join(dir, "1.json")).mtimeMs, before1, "relation 1 not rewritten");
    assert.notEqual(statSync(join(dir, "2.json")).ino, inode2, "relation 2 rewritten");
    assert.deepEqual(loadFragments(dir), one.next);
    // A damaged relation file: that relation alone is computed again, with the same result.
    writeFileSync(join(dir, "2.json"), "{");
    const partial = loadFragments(dir)!;
    assert.deepEqual(Object.keys(partial.relations), ["1"]);
    const again = scrapeConfiguration(inputs(moved), OPTS, partial, 2000);
    assert.equal(again.computed, 1);
    assert.deepEqual(shape(again), oracle(moved, 2000));
    // A file whose key is not the index's (half-written or foreign) is left out too.
    saveFragments(dir, again.next, partial);
    const f1 = JSON.parse(readFileSync(join(dir, "1.json"), "utf8")) as { key: string };
    writeFileSync(join(dir, "1.json"), JSON.stringify({ ...f1, key: "other" }));
    assert.deepEqual(Object.keys(loadFragments(dir)!.relations), ["2"]);
    // A relation gone: its file goes.
    saveFragments(dir, scrapeConfiguration(inputs([rels[0]!]), OPTS, again.next, 2000).next, again.next);
    assert.ok(!existsSync(join(dir, "2.json")));
    // An index of an older format, damaged, or none at all: no fragments.
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as FragmentDoc;
    writeFileSync(join(dir, "index.json"), JSON.stringify({ ...index, format: index.format - 1 }));
    assert.equal(loadFragments(dir), undefined);
    writeFileSync(join(dir, "index.json"), "{");
    assert.equal(loadFragments(dir), undefined);
    saveFragments(dir, undefined);
    assert.ok(!existsSync(dir));
  });
});
