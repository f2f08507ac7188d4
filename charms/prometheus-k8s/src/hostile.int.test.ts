/**
 * The hostile-input corpus (testdata/hostile, one file per case, written by
 * scripts/gen-hostile-corpus.mjs; adding a file adds a case): one well-behaved relation ("good")
 * and one hostile one ("bad"), both in Prometheus' own model. For each case:
 * - the scrape library rejects exactly what the case expects, with a reason naming the relation;
 * - the good relation's jobs and rule file are exactly what they are without the bad relation;
 * - no output label differs from the true topology (application, model, uuid from Juju; units
 *   from relation-list), and every job scrapes with honor_labels false (both are pinned);
 * - every rule expression reads only its own application's series (every selector carries its
 *   topology), and evaluated by `promtool test rules` against series of both applications, every
 *   alert and recorded series it emits carries its own application;
 * - the prometheus.yml and rule files the charm would write pass the real `promtool check config`;
 * - the charm's hook succeeds, names the bad relation in its status and keeps the good jobs.
 * Timings and memory per case are measured by bench/hostile-corpus.mjs, not asserted here.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Context, container, getContainer, relation, state, storage } from "@charmkit/ops/testing";
import {
  type ConsumerResult,
  consume,
  injectTopology,
  type Limits,
  type ScrapeRelation,
} from "@charmkit/interfaces/prometheus-scrape";
import PrometheusCharm from "./charm.js";
import { PATHS } from "./flags.js";
import { dumpYaml, RULE_FILES_GLOB, renderConfig } from "./render.js";
import { renderRuleFiles } from "./rules.js";
import { CHARM_DIR, tempDir } from "./charm.test-support.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const CORPUS = join(HERE, "../../../testdata/hostile");
const PROMTOOL = "/usr/bin/promtool";

interface CaseRelation {
  id: number;
  remote_app: string;
  app_data: Record<string, string>;
  units: Record<string, Record<string, string>>;
}

interface Case {
  description: string;
  category: string;
  model: { name: string; uuid: string };
  relations: CaseRelation[];
  limits?: Partial<Limits>;
  expect: {
    rejected: { kind: string; reason: string }[];
    badJobs: number;
    badRules: boolean;
    ignored?: string;
    absent?: string[];
    present?: string[];
  };
}

function snapshots(c: Case): ScrapeRelation[] {
  return c.relations.map((r) => ({
    id: r.id,
    endpoint: "metrics-endpoint",
    remoteApp: r.remote_app,
    remoteAppData: r.app_data,
    remoteUnitsData: r.units,
  }));
}

function jobsOf(jobs: readonly Record<string, unknown>[], app: string): number {
  return jobs.filter((j) =>
    (j.static_configs as { labels?: Record<string, string> }[] | undefined)?.some(
      (sc) => sc.labels?.juju_application === app,
    ),
  ).length;
}

/** No label anywhere in the output differs from the topology Juju gives each relation. */
function assertTrueTopology(c: Case, result: ConsumerResult): void {
  result.jobs.forEach((job, i) => {
    const rel = c.relations.find((r) => r.id === result.jobRelations[i]);
    assert.ok(rel, `job ${String(job.job_name)} comes from a relation`);
    assert.equal(
      job.honor_labels,
      false,
      `${String(job.job_name)}: a pinned relation's targets cannot override labels`,
    );
    for (const sc of job.static_configs as { labels?: Record<string, string> }[]) {
      const l = sc.labels ?? {};
      assert.equal(l.juju_application, rel.remote_app, `${String(job.job_name)} juju_application`);
      assert.equal(l.juju_model, c.model.name);
      assert.equal(l.juju_model_uuid, c.model.uuid);
      if (l.juju_unit !== undefined)
        assert.ok(l.juju_unit in rel.units, `juju_unit ${l.juju_unit} is a unit of ${rel.remote_app}`);
      for (const k of Object.keys(l))
        assert.ok(
          !k.startsWith("juju_") ||
            ["juju_model", "juju_model_uuid", "juju_application", "juju_unit", "juju_charm"].includes(k),
          k,
        );
    }
  });
  for (const file of result.ruleFiles) {
    const rel = c.relations.find((r) => r.id === file.relationId);
    assert.ok(rel);
    const own = { juju_model: c.model.name, juju_model_uuid: c.model.uuid, juju_application: rel.remote_app };
    for (const g of file.groups)
      for (const rule of g.rules as Record<string, unknown>[]) {
        const labels = (rule.labels ?? {}) as Record<string, string>;
        for (const [k, v] of Object.entries(own))
          assert.equal(labels[k], v, `${String(rule.alert ?? rule.record)} ${k}`);
        // Every selector already carries the relation's topology: injecting it again changes nothing.
        assert.equal(
          injectTopology(String(rule.expr), own),
          rule.expr,
          `${String(rule.expr)} reads only its own series`,
        );
      }
  }
}

/**
 * Evaluates the rule files with `promtool test rules` against the same series for both
 * applications and returns, per alert or recorded series name, the `juju_application` of each
 * series it emitted (found in promtool's report of what it got where nothing was expected).
 */
function emitted(
  dir: string,
  ruleFiles: readonly string[],
  names: { alerts: string[]; records: string[] },
  c: Case,
): Map<string, string[]> {
  const series = [];
  for (const rel of c.relations)
    for (const metric of ["up", "nope", "x", "http_requests_total"])
      series.push({
        series: `${metric}{juju_application="${rel.remote_app}",juju_model="${c.model.name}",juju_model_uuid="${c.model.uuid}",juju_unit="${rel.remote_app}/0",instance="${rel.remote_app}-0",job="j"}`,
        values: "0+1x15",
      });
  const tests = {
    rule_files: ruleFiles,
    evaluation_interval: "1m",
    tests: [
      {
        interval: "1m",
        input_series: series,
        alert_rule_test: names.alerts.map((a) => ({ alertname: a, eval_time: "10m", exp_alerts: [] })),
        promql_expr_test: names.records.map((r) => ({ expr: r, eval_time: "10m", exp_samples: [] })),
      },
    ],
  };
  writeFileSync(join(dir, "tests.yml"), dumpYaml(tests));
  const r = spawnSync(PROMTOOL, ["test", "rules", "tests.yml"], { encoding: "utf8", cwd: dir });
  const out = `${r.stdout}${r.stderr}`;
  const found = new Map<string, string[]>();
  const apps = (text: string) =>
    [...text.matchAll(/\{([^{}]*)\}/g)].map((m) => /juju_application="([^"]*)"/.exec(m[1]!)?.[1] ?? "");
  for (const m of out.matchAll(
    /alertname: (\S+), time: [^\n]*\n[^\n]*exp:[^\n]*\n\s*got:\[([\s\S]*?)\n\s*\]/g,
  )) {
    // Only the alerts' labels: their annotations are printed as braces too.
    const labels = [...m[2]!.matchAll(/Labels:(\{[^{}]*\})/g)].map((l) => l[1]).join(" ");
    found.set(m[1]!, apps(labels));
  }
  for (const m of out.matchAll(/expr: "([^"]*)", time: [^\n]*\n\s*exp:[^\n]*\n\s*got: ([^\n]*)/g))
    found.set(m[1]!, apps(m[2]!));
  if (r.status !== 0 && found.size === 0) assert.fail(`promtool test rules: ${out}`);
  return found;
}

const files = readdirSync(CORPUS)
  .filter((f) => f.endsWith(".json"))
  .sort();
const work = tempDir("hostile-");
const DB = tempDir("prom-db-");

describe("hostile-input corpus", () => {
  it("has at least 140 cases across the categories, every class of issue 11 included", () => {
    assert.ok(files.length >= 140, `${files.length} cases`);
    const categories = new Set(
      files.map((f) => (JSON.parse(readFileSync(join(CORPUS, f), "utf8")) as Case).category),
    );
    for (const cls of [
      "trust-topology",
      "trust-rules",
      "regex-re2",
      "bounds",
      "yaml-output",
      "prometheus-refuses",
      "ipv6",
    ])
      assert.ok(categories.has(cls), cls);
  });

  for (const file of files) {
    const c = JSON.parse(readFileSync(join(CORPUS, file), "utf8")) as Case;
    const name = basename(file, ".json");
    it(`${name}: ${c.description}`, async () => {
      // The corpus targets the local runtime's Prometheus (Debian's 2.42).
      const opts = { model: c.model, fallbackScrapeProtocol: false, prometheusMajor: 2, limits: c.limits };
      const result = consume(snapshots(c), opts);
      const real = result.rejected.filter((r) => r.kind !== "ignored");
      // The good relation is untouched: exactly its output without the bad relation.
      assert.deepEqual(
        real.filter((r) => r.relationId === 1),
        [],
      );
      const alone = consume(
        snapshots(c).filter((r) => r.id === 1),
        opts,
      );
      assert.deepEqual(
        result.jobs.filter((_, i) => result.jobRelations[i] === 1),
        alone.jobs,
        "good's jobs are what they are alone",
      );
      assert.deepEqual(
        result.ruleFiles.filter((f) => f.relationId === 1),
        alone.ruleFiles,
        "good's rule file is what it is alone",
      );
      assert.equal(jobsOf(result.jobs, "good"), 2, "good's two units are still scraped");
      // The bad relation: exactly the expected rejections, each naming what is wrong.
      const bad = real.filter((r) => r.relationId === 2);
      if (c.expect.rejected.length === 0) assert.deepEqual(bad, []);
      for (const e of c.expect.rejected) {
        assert.ok(
          bad.some((r) => r.kind === e.kind && r.reason.toLowerCase().includes(e.reason.toLowerCase())),
          `expected a ${e.kind} rejection mentioning "${e.reason}", got ${JSON.stringify(bad).slice(0, 2000)}`,
        );
        for (const r of bad) assert.match(r.reason, /metrics-endpoint:2 \(bad\)/);
      }
      if (c.expect.ignored)
        assert.ok(result.rejected.some((r) => r.kind === "ignored" && r.reason.includes(c.expect.ignored!)));
      assert.equal(jobsOf(result.jobs, "bad"), c.expect.badJobs, "jobs kept from the bad relation");
      assert.equal(
        result.ruleFiles.some((f) => f.relationId === 2),
        c.expect.badRules,
        "bad's rule file",
      );
      assertTrueTopology(c, result);
      // Deterministic.
      assert.deepEqual(consume(snapshots(c), opts), result);

      // What the charm would write passes promtool.
      const rendered = renderConfig({
        topology: {
          model: c.model.name,
          modelUuid: c.model.uuid,
          application: "prometheus",
          unit: "prometheus/0",
        },
        fqdn: "prometheus-0.local",
        tls: false,
        maxExemplars: 0,
        jobs: result.jobs,
        alertmanagers: [],
        prometheusMajor: 2,
      });
      for (const s of c.expect.absent ?? [])
        assert.ok(!rendered.config.includes(s), `${s} must not reach prometheus.yml`);
      for (const s of c.expect.present ?? [])
        assert.ok(rendered.config.includes(s), `${s} reaches prometheus.yml`);
      const dir = join(work, name);
      mkdirSync(join(dir, "rules"), { recursive: true });
      const ruleDocs: Record<string, { groups: readonly unknown[] }> = {};
      for (const f of result.ruleFiles) ruleDocs[f.key] = { groups: f.groups };
      const ruleFiles: string[] = [];
      for (const [path, content] of Object.entries(renderRuleFiles(ruleDocs))) {
        // No relation data can place a rule file outside the rules directory.
        assert.match(path, /^\/etc\/prometheus\/rules\/juju_[^/]+\.rules$/);
        writeFileSync(join(dir, "rules", basename(path)), content);
        ruleFiles.push(join("rules", basename(path)));
      }
      for (const [path, content] of Object.entries(rendered.files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
      writeFileSync(
        join(dir, "prometheus.yml"),
        rendered.config.split(RULE_FILES_GLOB).join(join(dir, "rules", "juju_*.rules")),
      );
      if (existsSync(PROMTOOL)) {
        try {
          execFileSync(PROMTOOL, ["check", "config", join(dir, "prometheus.yml")], { stdio: "pipe" });
        } catch (e) {
          const x = e as { stdout?: Buffer; stderr?: Buffer };
          assert.fail(`promtool rejected the config: ${x.stdout?.toString()}${x.stderr?.toString()}`);
        }
        // The rules, evaluated: each emits only series of its own application.
        const owner = new Map<string, string>();
        const names = { alerts: [] as string[], records: [] as string[] };
        for (const f of result.ruleFiles) {
          const app = c.relations.find((r) => r.id === f.relationId)!.remote_app;
          for (const g of f.groups)
            for (const rule of g.rules as Record<string, unknown>[]) {
              const n = String(rule.alert ?? rule.record);
              if (owner.has(n)) continue;
              owner.set(n, app);
              (rule.alert !== undefined ? names.alerts : names.records).push(n);
            }
        }
        if (ruleFiles.length > 0) {
          for (const [n, emittedApps] of emitted(dir, ruleFiles, names, c))
            for (const a of emittedApps) assert.equal(a, owner.get(n), `${n} emitted a series of '${a}'`);
        }
      }

      // The hook succeeds and says what it rejected.
      if (c.limits) return; // the charm runs with the default bounds
      const ctx = new Context(PrometheusCharm, {
        charmDir: CHARM_DIR,
        create: (f) =>
          new PrometheusCharm(f, { prometheusApi: () => ({ reload: async () => ({ kind: "ok" }) }) }),
      });
      const rels = c.relations.map((r) =>
        relation({
          endpoint: "metrics-endpoint",
          id: r.id,
          remoteAppName: r.remote_app,
          remoteAppData: r.app_data,
          remoteUnitsData: Object.fromEntries(Object.entries(r.units).map(([u, d]) => [u.split("/")[1], d])),
        }),
      );
      const out = await ctx.run(
        ctx.on.relationChanged(rels[1]!),
        state({
          model: { ...c.model, type: "kubernetes" },
          leader: true,
          relations: rels,
          containers: [container({ name: "prometheus", canConnect: true })],
          storages: [storage({ name: "database", location: DB })],
          // The workload version read at pebble-ready: Debian's 2.42, which the corpus targets.
          storedStates: { prometheus: { version: "2.42.0", retryPending: false, lastStatus: "" } },
        }),
      );
      const cfg = getContainer(out, "prometheus")?.filesystem[PATHS.config] ?? "";
      assert.ok(cfg.includes("juju_application: good"), "good's jobs reach prometheus.yml");
      if (c.expect.rejected.length > 0) {
        assert.equal(out.unitStatus.name, "blocked");
        assert.match(out.unitStatus.message, /metrics-endpoint:2 \(bad\)/);
      } else {
        assert.equal(out.unitStatus.name, "active", out.unitStatus.message);
      }
    });
  }
});
