/**
 * The hostile-input corpus (testdata/hostile, one file per case; adding a file adds a case): one
 * well-behaved relation and one hostile one. For each case: the scrape library rejects exactly
 * what the case expects, with a reason naming it, and keeps everything else; the charm's hook
 * succeeds, names the bad relation in its status and keeps the good relation's jobs; and the
 * whole prometheus.yml plus rule files the charm would write pass the real `promtool check config`.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { RelationSnapshot } from "@charmkit/ops";
import { Context, container, getContainer, relation, state, storage } from "@charmkit/ops/testing";
import { consume, type Limits } from "@charmkit/interfaces/prometheus-scrape";
import PrometheusCharm from "./charm.js";
import { PATHS } from "./flags.js";
import { RULE_FILES_GLOB, renderConfig } from "./render.js";
import { renderRuleFiles } from "./rules.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const CHARM_DIR = join(HERE, "..");
const CORPUS = join(HERE, "../../../testdata/hostile");
const PROMTOOL = "/usr/bin/promtool";

interface Case {
  description: string;
  category: string;
  model: { name: string; uuid: string };
  relations: {
    id: number;
    remote_app: string;
    app_data: Record<string, string>;
    units: Record<string, Record<string, string>>;
  }[];
  limits?: Partial<Limits>;
  expect: {
    rejected: { kind: string; reason: string }[];
    badJobs: number;
    badRules: boolean;
    ignored?: string;
    absent?: string[];
  };
}

function snapshots(c: Case): RelationSnapshot[] {
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

const files = readdirSync(CORPUS)
  .filter((f) => f.endsWith(".json"))
  .sort();
const work = mkdtempSync(join(tmpdir(), "hostile-"));
const DB = mkdtempSync(join(tmpdir(), "prom-db-"));

describe("hostile-input corpus", () => {
  it("has at least 60 cases across the categories", () => {
    assert.ok(files.length >= 60, `${files.length} cases`);
    const categories = new Set(
      files.map((f) => (JSON.parse(readFileSync(join(CORPUS, f), "utf8")) as Case).category),
    );
    assert.ok(categories.size >= 12, [...categories].join(","));
  });

  for (const file of files) {
    const c = JSON.parse(readFileSync(join(CORPUS, file), "utf8")) as Case;
    const name = basename(file, ".json");
    it(`${name}: ${c.description}`, async () => {
      const opts = { model: c.model, fallbackScrapeProtocol: false, prometheusMajor: 2, limits: c.limits };
      const result = consume(snapshots(c), opts);
      const real = result.rejected.filter((r) => r.kind !== "ignored");
      // The good relation is untouched.
      assert.deepEqual(
        real.filter((r) => r.relationId === 1),
        [],
      );
      assert.equal(jobsOf(result.jobs, "good"), 2, "good's two units are still scraped");
      assert.ok(
        result.ruleFiles.some((f) => f.relationId === 1),
        "good's rules are kept",
      );
      // The bad relation: exactly the expected rejections, each naming what is wrong.
      const bad = real.filter((r) => r.relationId === 2);
      if (c.expect.rejected.length === 0) assert.deepEqual(bad, []);
      for (const e of c.expect.rejected) {
        assert.ok(
          bad.some((r) => r.kind === e.kind && r.reason.toLowerCase().includes(e.reason.toLowerCase())),
          `expected a ${e.kind} rejection mentioning "${e.reason}", got ${JSON.stringify(bad)}`,
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
      // Deterministic.
      assert.deepEqual(consume(snapshots(c), opts), result);

      // What the charm would write passes promtool.
      const rendered = renderConfig({
        topology: {
          model: "prom",
          modelUuid: "f2c1b2a4-7a3e-4c1d-9b5e-1a2b3c4d5e6f",
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
      const dir = join(work, name);
      mkdirSync(join(dir, "rules"), { recursive: true });
      const ruleDocs: Record<string, { groups: readonly unknown[] }> = {};
      for (const f of result.ruleFiles) ruleDocs[f.key] = { groups: f.groups };
      for (const [path, content] of Object.entries(renderRuleFiles(ruleDocs))) {
        // No relation data can place a rule file outside the rules directory.
        assert.match(path, /^\/etc\/prometheus\/rules\/juju_[^/]+\.rules$/);
        writeFileSync(join(dir, "rules", basename(path)), content);
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
      }

      // The hook succeeds and says what it rejected.
      if (c.limits) return; // the charm runs with the default bounds
      PrometheusCharm.prometheusApi = () => ({ reload: async () => ({ kind: "ok" }) });
      const ctx = new Context(PrometheusCharm, { charmDir: CHARM_DIR });
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
