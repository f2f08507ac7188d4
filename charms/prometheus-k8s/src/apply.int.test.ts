/**
 * apply with the real promtool (/usr/bin/promtool, the Debian package's) on the files it stages:
 * the rendered configuration and rule files pass it, refused candidates leave the running
 * configuration in place, a verified store's reduced candidate is one promtool accepts, and a
 * refusal is pinned on the relation at fault with promtool's own words. The logic of each is
 * unit-tested with an in-memory promtool in apply.test.ts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { apply, type Desired } from "./apply.js";
import { DirWorkload, desired, FakeApi, GOOD_RULES, type Promtool } from "./apply.test-support.js";
import type { RenderInput } from "./render.js";
import { renderRuleFiles } from "./rules.js";

const PROMTOOL = "/usr/bin/promtool";
const HAVE_PROMTOOL = existsSync(PROMTOOL);

const WORKLOADS = mkdtempSync(join(tmpdir(), "apply-int-"));
after(() => rmSync(WORKLOADS, { recursive: true, force: true }));

/**
 * The real promtool on the workload's files: a staged configuration is checked through a copy
 * whose /etc/prometheus paths point into the workload's directory, and paths in the output are
 * given back as the workload's.
 */
const realPromtool: Promtool = (w, argv) => {
  const unmap = (t: string) => t.replaceAll(w.root, "");
  if (argv[1] === "check" && argv[2] === "rules") {
    const r = spawnSync(PROMTOOL, ["check", "rules", ...argv.slice(3).map((a) => w.at(a))], {
      encoding: "utf8",
    });
    return { exitCode: r.status ?? 1, stdout: unmap(r.stdout), stderr: unmap(r.stderr) };
  }
  const staged = w.at(argv[3]!);
  const mapped = `${staged}.mapped.yml`;
  writeFileSync(
    mapped,
    readFileSync(staged, "utf8").replaceAll("/etc/prometheus/", `${w.root}/etc/prometheus/`),
  );
  const r = spawnSync(PROMTOOL, ["check", "config", mapped], { encoding: "utf8" });
  return { exitCode: r.status ?? 1, stdout: unmap(r.stdout), stderr: unmap(r.stderr) };
};

/** A workload in a temp directory whose promtool is the real one. */
class TestWorkload extends DirWorkload {
  constructor() {
    super(WORKLOADS, realPromtool);
  }
}

describe("apply with the real promtool", { skip: !HAVE_PROMTOOL && "no /usr/bin/promtool" }, () => {
  it("passes the rendered configuration and rule files, and activates them", async () => {
    const w = new TestWorkload();
    const r = await apply(desired(), w, new FakeApi());
    assert.deepEqual(r.outcome, { kind: "ok" });
    assert.match(r.promtoolOutput ?? "", /SUCCESS/);
    assert.equal(await w.read("/etc/prometheus/prometheus.yml"), desired().config);
    assert.deepEqual(await w.list("/etc/prometheus/rules"), Object.keys(GOOD_RULES));
  });

  it("keeps the previous good config and rules when promtool rejects the candidate", async () => {
    const w = new TestWorkload();
    await apply(desired(), w, new FakeApi());
    const before = await w.read("/etc/prometheus/prometheus.yml");
    const badRules = renderRuleFiles({
      x: { groups: [{ name: "g", rules: [{ alert: "A", expr: "up <<< 1" }] }] },
    });
    const api = new FakeApi();
    const r = await apply(desired({ evaluationInterval: "5m" }, badRules), w, api);
    assert.equal(r.outcome.kind, "invalid-config");
    assert.equal(api.calls, 0);
    assert.equal(await w.read("/etc/prometheus/prometheus.yml"), before);
    assert.deepEqual(await w.list("/etc/prometheus/rules"), Object.keys(GOOD_RULES));
    assert.equal(await w.exists("/etc/prometheus/prometheus.yml.new"), false);

    const badJob = await apply(desired({ jobs: [{ job_name: "j", static_configs: "nope" }] }), w, api);
    assert.equal(badJob.outcome.kind, "invalid-config");
    assert.equal(await w.read("/etc/prometheus/prometheus.yml"), before);
  });

  it("with a verified store promtool checks only the jobs and rule files that changed", async () => {
    /** Records what each promtool run was given: the staged config and the staged rule files. */
    class Recording extends TestWorkload {
      checks: { config: string; rules: string[] }[] = [];
      override async exec(argv: readonly string[]) {
        this.checks.push({
          config: readFileSync(join(this.root, argv[3]!), "utf8"),
          rules: await this.list("/etc/prometheus/rules.new"),
        });
        return super.exec(argv);
      }
    }
    const w = new Recording();
    let text: string | undefined;
    let key = "2.42.0";
    const store = {
      get key() {
        return key;
      },
      read: () => text,
      write: (t: string) => {
        text = t;
      },
    };
    const jobs = (changed: Record<string, Record<string, unknown>> = {}) =>
      ["a", "b", "c", "d"].map((n, i) => ({
        job_name: `job-${n}`,
        static_configs: [{ targets: [`10.0.0.${i}:80`] }],
        ...changed[n],
      }));
    const rules = (expr: string) =>
      renderRuleFiles({
        one: { groups: [{ name: "g1", rules: [{ alert: "A", expr: "up < 1" }] }] },
        two: { groups: [{ name: "g2", rules: [{ alert: "B", expr }] }] },
      });
    const run = (d: Desired) => apply(d, w, new FakeApi(), { verified: store });
    const last = () => w.checks.at(-1)!;

    // No record: the whole candidate.
    assert.equal((await run(desired({ jobs: jobs() }, rules("up < 2")))).outcome.kind, "ok");
    assert.equal(w.checks.length, 1);
    for (const n of ["a", "b", "c", "d"]) assert.ok(last().config.includes(`job-${n}`));
    assert.equal(last().rules.length, 2);

    // One job and one rule file changed: only they are checked; all of it is applied.
    const changed = desired(
      { jobs: jobs({ c: { static_configs: [{ targets: ["10.9.9.9:80"] }] } }) },
      rules("up < 3"),
    );
    assert.equal((await run(changed)).outcome.kind, "ok");
    assert.equal(w.checks.length, 2);
    assert.ok(last().config.includes("10.9.9.9:80"));
    for (const n of ["a", "b", "d"]) assert.ok(!last().config.includes(`job-${n}`), n);
    assert.deepEqual(last().rules, ["/etc/prometheus/rules.new/juju_two.rules"]);
    assert.equal(await w.read("/etc/prometheus/prometheus.yml"), changed.config);

    // A changed job promtool refuses: refused (the whole candidate is checked too), nothing applied.
    const bad = desired({ jobs: jobs({ d: { scrape_interval: "5x" } }) }, rules("up < 3"));
    const refused = await run(bad);
    assert.equal(refused.outcome.kind, "invalid-config");
    assert.equal(w.checks.length, 4, "the reduced candidate, then the whole one");
    assert.equal(await w.read("/etc/prometheus/prometheus.yml"), changed.config);

    // The document around the jobs changed, or another promtool: the whole candidate again.
    await run(desired({ jobs: jobs(), evaluationInterval: "5m" }, rules("up < 3")));
    for (const n of ["a", "b", "c", "d"]) assert.ok(last().config.includes(`job-${n}`));
    key = "3.5.0";
    await run(
      desired({ jobs: jobs({ a: { metrics_path: "/m" } }), evaluationInterval: "5m" }, rules("up < 3")),
    );
    for (const n of ["a", "b", "c", "d"]) assert.ok(last().config.includes(`job-${n}`));
    // A damaged record too.
    text = "{not json";
    await run(
      desired({ jobs: jobs({ a: { metrics_path: "/n" } }), evaluationInterval: "5m" }, rules("up < 3")),
    );
    for (const n of ["a", "b", "c", "d"]) assert.ok(last().config.includes(`job-${n}`));
  });
});

describe("apply isolates the relations promtool refuses", {
  skip: !HAVE_PROMTOOL && "no /usr/bin/promtool",
}, () => {
  // Three relations, as the charm hands them over: relation 2's job and relation 3's rules pass
  // the scrape library by construction here, but not promtool.
  const job = (rel: number, extra: Record<string, unknown> = {}) => ({
    job_name: `juju_cos_c2e9f4d5_app${rel}_prometheus_scrape-0`,
    static_configs: [{ targets: [`10.0.0.${rel}:80`] }],
    ...extra,
  });
  const JOBS = [job(1), job(2, { sample_limit: { not_a_key: 1 } }), job(3)];
  const RULE_DOCS: Record<string, { groups: unknown[] }> = {
    rel1_metrics_endpoint_1: { groups: [{ name: "one", rules: [{ alert: "Down", expr: "up < 1" }] }] },
    rel3_metrics_endpoint_3: { groups: [{ name: "three", rules: [{ alert: "Bad", expr: "rate(up)" }] }] },
  };
  const RULE_RELATIONS: Record<string, number> = { rel1_metrics_endpoint_1: 1, rel3_metrics_endpoint_3: 3 };

  function candidate(
    ex: { jobs: ReadonlySet<number>; rules: ReadonlySet<number> },
    base: Partial<RenderInput> = {},
  ): Desired {
    const docs: Record<string, { groups: unknown[] }> = {};
    for (const [k, d] of Object.entries(RULE_DOCS)) if (!ex.rules.has(RULE_RELATIONS[k]!)) docs[k] = d;
    return {
      ...desired({ ...base, jobs: JOBS.filter((_, i) => !ex.jobs.has(i + 1)) }),
      ruleFiles: renderRuleFiles(docs),
    };
  }
  const isolation = (base: Partial<RenderInput> = {}) => ({
    jobRelations: [1, 2, 3],
    ruleFileRelations: new Map(
      Object.keys(RULE_DOCS).map((k) => [
        Object.keys(renderRuleFiles({ [k]: RULE_DOCS[k]! }))[0]!,
        RULE_RELATIONS[k]!,
      ]),
    ),
    candidate: (ex: { jobs: ReadonlySet<number>; rules: ReadonlySet<number> }) => candidate(ex, base),
  });
  const none = { jobs: new Set<number>(), rules: new Set<number>() };

  it("leaves out the refused jobs and rule file with promtool's message and applies the rest", async () => {
    const w = new TestWorkload();
    const r = await apply(candidate(none), w, new FakeApi(), { isolate: isolation() });
    assert.deepEqual(r.outcome, { kind: "ok" });
    assert.deepEqual(
      r.isolated?.map((p) => [p.relationId, p.part]),
      [
        [3, "rules"],
        [2, "jobs"],
      ],
    );
    assert.match(r.isolated?.[0]?.reason ?? "", /promtool refused its rules: .*expected type range vector/);
    assert.match(
      r.isolated?.[1]?.reason ?? "",
      /promtool refused its jobs: .*cannot unmarshal !!map into uint/,
    );
    const config = (await w.read("/etc/prometheus/prometheus.yml")) ?? "";
    assert.ok(config.includes("app1_prometheus_scrape") && config.includes("app3_prometheus_scrape"));
    assert.ok(!config.includes("app2_prometheus_scrape"), "relation 2's jobs left out");
    assert.deepEqual(
      (await w.list("/etc/prometheus/rules")).map((p) => p.split("/").at(-1)),
      ["juju_rel1_metrics_endpoint_1.rules"],
    );
  });

  it("without a way to take the candidate apart, or when the refusal is nobody's, the running config stays", async () => {
    const w = new TestWorkload();
    await apply(desired(), w, new FakeApi());
    const before = await w.read("/etc/prometheus/prometheus.yml");
    const r = await apply(candidate(none), w, new FakeApi());
    assert.equal(r.outcome.kind, "invalid-config");
    assert.equal(await w.read("/etc/prometheus/prometheus.yml"), before);
    // A configuration refused without any relation's jobs (here a bad alertmanager entry) cannot
    // be pinned on a relation.
    const broken = {
      alertmanagers: [{ static_configs: [{ targets: ["a:1"] }], timeout: "soon" }],
    } as unknown as Partial<RenderInput>;
    const r2 = await apply(candidate(none, broken), w, new FakeApi(), { isolate: isolation(broken) });
    assert.equal(r2.outcome.kind, "invalid-config");
    assert.equal(r2.isolated, undefined);
    assert.equal(await w.read("/etc/prometheus/prometheus.yml"), before);
  });

  // promtool reports each refusal on stderr, apart from the "Checking <file>" lines on stdout
  // (prometheus/prometheus cmd/promtool/main.go checkRules), and Pebble returns the two streams
  // apart: a refusal must be pinned on its own file wherever that file sorts.
  it("pins a refused rule file on its own relation when it sorts before an accepted one", async () => {
    const docs: Record<string, { groups: unknown[] }> = {
      a_metrics_endpoint_7: { groups: [{ name: "a", rules: [{ alert: "Bad", expr: "rate(up)" }] }] },
      b_metrics_endpoint_8: { groups: [{ name: "b", rules: [{ alert: "Good", expr: "up < 1" }] }] },
    };
    const ids: Record<string, number> = { a_metrics_endpoint_7: 7, b_metrics_endpoint_8: 8 };
    const build = (ex: { rules: ReadonlySet<number> }): Desired => {
      const kept: Record<string, { groups: unknown[] }> = {};
      for (const [k, d] of Object.entries(docs)) if (!ex.rules.has(ids[k]!)) kept[k] = d;
      return { ...desired({ jobs: [] }), ruleFiles: renderRuleFiles(kept) };
    };
    const w = new TestWorkload();
    const r = await apply(build({ rules: new Set() }), w, new FakeApi(), {
      isolate: {
        jobRelations: [],
        ruleFileRelations: new Map(
          Object.keys(docs).map((k) => [Object.keys(renderRuleFiles({ [k]: docs[k]! }))[0]!, ids[k]!]),
        ),
        candidate: build,
      },
    });
    assert.deepEqual(r.outcome, { kind: "ok" });
    assert.deepEqual(
      r.isolated?.map((p) => [p.relationId, p.part]),
      [[7, "rules"]],
    );
    assert.match(
      r.isolated?.[0]?.reason ?? "",
      /promtool refused its rules: juju_a_metrics_endpoint_7\.rules: .*expected type range vector/,
    );
    assert.deepEqual(
      (await w.list("/etc/prometheus/rules")).map((p) => p.split("/").at(-1)),
      ["juju_b_metrics_endpoint_8.rules"],
    );
  });
});
