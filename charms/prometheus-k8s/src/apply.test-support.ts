/**
 * Test support for apply: a workload whose filesystem is a temp directory, with the promtool it
 * runs passed in (the unit tests' in-memory {@link fakePromtool}, the integration tests' real
 * binary), a reload client that records its calls, the wanted state the tests start from, and the
 * scenarios about refused candidates that both tiers run with their own promtool.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { it } from "node:test";
import type { ConfigValue } from "@charmkit/ops";
import {
  apply,
  type Desired,
  type ExecResult,
  type PrometheusApi,
  type ReloadResult,
  type Workload,
} from "./apply.js";
import { configOf } from "./config.test-support.js";
import { prometheusCommand } from "./flags.js";
import { buildLayer, type PrometheusLayer } from "./layer.js";
import { type RenderInput, renderConfig } from "./render.js";
import { renderRuleFiles } from "./rules.js";

/** Answers a promtool command run in `w` (`argv` names the workload's paths). */
export type Promtool = (w: DirWorkload, argv: readonly string[]) => ExecResult;

/** A workload whose filesystem is a directory under `parent`; promtool is `promtool`. */
export class DirWorkload implements Workload {
  readonly root: string;
  planned: Record<string, unknown> | undefined;
  running = false;
  writes: string[] = [];
  replans = 0;
  restarts = 0;
  /** Whether the workload has promtool at all. */
  hasPromtool = true;
  failWrites = false;
  execs: string[][] = [];
  logTargets: Record<string, { services?: readonly string[] }> = {};

  constructor(
    parent: string,
    private readonly promtool: Promtool,
  ) {
    this.root = mkdtempSync(join(parent, "wl-"));
  }
  /** Where the workload's `path` is on this machine. */
  at(path: string): string {
    return join(this.root, path);
  }
  async read(p: string) {
    try {
      return readFileSync(this.at(p), "utf8");
    } catch {
      return undefined;
    }
  }
  async write(p: string, c: string) {
    if (this.failWrites) throw new Error("pebble: connection refused");
    mkdirSync(dirname(this.at(p)), { recursive: true });
    writeFileSync(this.at(p), c);
    this.writes.push(p);
  }
  async remove(p: string) {
    rmSync(this.at(p), { recursive: true, force: true });
  }
  async list(dir: string) {
    try {
      return readdirSync(this.at(dir))
        .filter((n) => statSync(join(this.at(dir), n)).isFile())
        .map((n) => `${dir}/${n}`);
    } catch {
      return [];
    }
  }
  async exists(p: string) {
    if (p === "/usr/bin/promtool") return this.hasPromtool;
    return existsSync(this.at(p));
  }
  async exec(argv: readonly string[]): Promise<ExecResult> {
    this.execs.push([...argv]);
    return this.promtool(this, argv);
  }
  async plannedService() {
    return this.planned;
  }
  async serviceRunning() {
    return this.running;
  }
  async addLayer(_label: string, layer: PrometheusLayer) {
    this.planned = { ...layer.services.prometheus };
  }
  async replan() {
    this.replans++;
    this.running = true;
  }
  async restart() {
    this.restarts++;
    this.running = true;
  }
  async plannedLogTargets() {
    return this.logTargets;
  }
  async addLogTargets(_label: string, targets: Record<string, { services?: readonly string[] }>) {
    this.logTargets = { ...this.logTargets, ...targets };
  }
}

/** What {@link fakePromtool} refuses: any rule file or configuration holding this text. */
export const REFUSED = "refused_by_promtool";

/**
 * promtool as far as apply's logic needs it, in memory: a rule file or configuration holding
 * {@link REFUSED} is refused, anything else passes, with the real promtool's layout
 * (`Checking <file>` on stdout, `FAILED:` and the reason on stderr). `check config` also checks
 * the rule files the configuration's `rule_files` glob names, as the real one does.
 */
export const fakePromtool: Promtool = (w, argv) => {
  const checkRules = (files: readonly string[]) => {
    let stdout = "";
    let stderr = "";
    for (const f of files) {
      const text = readFileSync(w.at(f), "utf8");
      stdout += `Checking ${f}\n`;
      if (text.includes(REFUSED)) stderr += `  FAILED:\n${f}: group "g", rule 1: ${REFUSED}\n`;
      else stdout += "  SUCCESS: 1 rules found\n\n";
    }
    return { stdout, stderr };
  };
  if (argv[1] === "check" && argv[2] === "rules") {
    const r = checkRules(argv.slice(3));
    return { exitCode: r.stderr === "" ? 0 : 1, ...r };
  }
  const file = argv[3]!;
  const config = readFileSync(w.at(file), "utf8");
  if (config.includes(REFUSED))
    return {
      exitCode: 1,
      stdout: `Checking ${file}\n`,
      stderr: `  FAILED: parsing YAML file ${file}: ${REFUSED}\n`,
    };
  // A glob that matches nothing (no directory) is no rule file, as for the real promtool.
  const dir = /rule_files:\n- (\S+)\/juju_\*\.rules/.exec(config)?.[1];
  const names = dir !== undefined && existsSync(w.at(dir)) ? readdirSync(w.at(dir)).sort() : [];
  const rules = names.filter((n) => n.startsWith("juju_") && n.endsWith(".rules")).map((n) => `${dir}/${n}`);
  const r = checkRules(rules);
  return { exitCode: r.stderr === "" ? 0 : 1, stdout: `Checking ${file}\n${r.stdout}`, stderr: r.stderr };
};

/** Records reload calls and answers `result`. */
export class FakeApi implements PrometheusApi {
  calls = 0;
  constructor(public result: ReloadResult = { kind: "ok" }) {}
  async reload() {
    this.calls++;
    return this.result;
  }
}

export const INPUT: RenderInput = {
  topology: {
    model: "cos",
    modelUuid: "c2e9f4d5-dcb3-4870-8509-330eb9745ee8",
    application: "prometheus",
    unit: "prometheus/0",
  },
  fqdn: "localhost",
  tls: false,
  evaluationInterval: "1m",
  maxExemplars: 0,
  jobs: [{ job_name: "zinc", metrics_path: "/metrics", static_configs: [{ targets: ["10.0.0.1:4080"] }] }],
  alertmanagers: [],
  prometheusMajor: 2,
};

export const GOOD_RULES = renderRuleFiles({
  "cos_c2e9f4d5_zinc_metrics-endpoint_1": {
    groups: [{ name: "g", rules: [{ alert: "Down", expr: "up < 1" }] }],
  },
});

/** The wanted state from {@link INPUT} with `over`, `rules`, and the config options `options`. */
export function desired(
  over: Partial<RenderInput> = {},
  rules = GOOD_RULES,
  options: Readonly<Record<string, ConfigValue>> = {},
): Desired {
  const { config } = configOf(options);
  return {
    config: renderConfig({ ...INPUT, ...over }).config,
    ruleFiles: rules,
    extraFiles: {},
    absentFiles: ["/etc/prometheus/prometheus-web-config.yml"],
    layer: buildLayer(prometheusCommand({ config, externalUrl: "http://localhost:9090", tls: false })),
  };
}

/**
 * A promtool and the input it refuses: what the refused-candidate scenarios need from a tier. The
 * in-memory promtool refuses anything holding {@link REFUSED}; the real one needs really invalid
 * input, and says so in its own words.
 */
export interface PromtoolTier {
  /** The directory the scenarios' workloads are made under. */
  readonly parent: string;
  readonly promtool: Promtool;
  /** Fields that make a scrape job one this promtool refuses. */
  readonly badJob: Readonly<Record<string, unknown>>;
  /** A PromQL expression this promtool refuses in an alert rule. */
  readonly badExpr: string;
  /** Fields that make an alertmanager entry one this promtool refuses. */
  readonly badAlertmanager: Readonly<Record<string, unknown>>;
  /** A regular expression (source) for this promtool's words on {@link badJob}. */
  readonly jobRefusal: string;
  /** A regular expression (source) for this promtool's words on a rule with {@link badExpr}. */
  readonly ruleRefusal: string;
}

/**
 * Registers, in the current `describe`, the scenarios of a candidate promtool refuses as a whole:
 * the running configuration and rules stay, and a verified store narrows the check to what changed.
 */
export function refusedCandidateScenarios(t: PromtoolTier): void {
  it("keeps the previous good config and rules when promtool rejects the candidate", async () => {
    const w = new DirWorkload(t.parent, t.promtool);
    await apply(desired(), w, new FakeApi());
    const before = await w.read("/etc/prometheus/prometheus.yml");
    const badRules = renderRuleFiles({
      x: { groups: [{ name: "g", rules: [{ alert: "A", expr: t.badExpr }] }] },
    });
    const api = new FakeApi();
    const r = await apply(desired({ evaluationInterval: "5m" }, badRules), w, api);
    assert.equal(r.outcome.kind, "invalid-config");
    assert.equal(api.calls, 0);
    assert.equal(await w.read("/etc/prometheus/prometheus.yml"), before);
    assert.deepEqual(await w.list("/etc/prometheus/rules"), Object.keys(GOOD_RULES));
    assert.equal(await w.exists("/etc/prometheus/prometheus.yml.new"), false);

    const badJob = await apply(desired({ jobs: [{ job_name: "j", ...t.badJob }] }), w, api);
    assert.equal(badJob.outcome.kind, "invalid-config");
    assert.equal(await w.read("/etc/prometheus/prometheus.yml"), before);
  });

  it("with a verified store promtool checks only the jobs and rule files that changed", async () => {
    /** Records what each promtool run was given: the staged config and the staged rule files. */
    class Recording extends DirWorkload {
      checks: { config: string; rules: string[] }[] = [];
      override async exec(argv: readonly string[]) {
        this.checks.push({
          config: readFileSync(join(this.root, argv[3]!), "utf8"),
          rules: await this.list("/etc/prometheus/rules.new"),
        });
        return super.exec(argv);
      }
    }
    const w = new Recording(t.parent, t.promtool);
    let text: string | undefined;
    let key = "2.42.0";
    const store = {
      get key() {
        return key;
      },
      read: () => text,
      write: (next: string) => {
        text = next;
      },
    };
    const jobs = (changed: Record<string, Readonly<Record<string, unknown>>> = {}) =>
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
    const bad = desired({ jobs: jobs({ d: t.badJob }) }, rules("up < 3"));
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
}

/**
 * Registers, in the current `describe`, the scenarios of a candidate promtool refuses in part:
 * the refusal is pinned on the relations at fault, with promtool's words, and the rest applied.
 */
export function isolationScenarios(t: PromtoolTier): void {
  const workload = () => new DirWorkload(t.parent, t.promtool);
  // Three relations, as the charm hands them over: relation 2's job and relation 3's rules pass
  // the scrape library by construction here, but not promtool.
  const job = (rel: number, extra: Readonly<Record<string, unknown>> = {}) => ({
    job_name: `juju_cos_c2e9f4d5_app${rel}_prometheus_scrape-0`,
    static_configs: [{ targets: [`10.0.0.${rel}:80`] }],
    ...extra,
  });
  const JOBS = [job(1), job(2, t.badJob), job(3)];
  const RULE_DOCS: Record<string, { groups: unknown[] }> = {
    rel1_metrics_endpoint_1: { groups: [{ name: "one", rules: [{ alert: "Down", expr: "up < 1" }] }] },
    rel3_metrics_endpoint_3: { groups: [{ name: "three", rules: [{ alert: "Bad", expr: t.badExpr }] }] },
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
    const w = workload();
    const r = await apply(candidate(none), w, new FakeApi(), { isolate: isolation() });
    assert.deepEqual(r.outcome, { kind: "ok" });
    assert.deepEqual(
      r.isolated?.map((p) => [p.relationId, p.part]),
      [
        [3, "rules"],
        [2, "jobs"],
      ],
    );
    assert.match(r.isolated?.[0]?.reason ?? "", new RegExp(`promtool refused its rules: .*${t.ruleRefusal}`));
    assert.match(r.isolated?.[1]?.reason ?? "", new RegExp(`promtool refused its jobs: .*${t.jobRefusal}`));
    const config = (await w.read("/etc/prometheus/prometheus.yml")) ?? "";
    assert.ok(config.includes("app1_prometheus_scrape") && config.includes("app3_prometheus_scrape"));
    assert.ok(!config.includes("app2_prometheus_scrape"), "relation 2's jobs left out");
    assert.deepEqual(
      (await w.list("/etc/prometheus/rules")).map((p) => p.split("/").at(-1)),
      ["juju_rel1_metrics_endpoint_1.rules"],
    );
  });

  it("without a way to take the candidate apart, or when the refusal is nobody's, the running config stays", async () => {
    const w = workload();
    await apply(desired(), w, new FakeApi());
    const before = await w.read("/etc/prometheus/prometheus.yml");
    const r = await apply(candidate(none), w, new FakeApi());
    assert.equal(r.outcome.kind, "invalid-config");
    assert.equal(await w.read("/etc/prometheus/prometheus.yml"), before);
    // A configuration refused without any relation's jobs (here a bad alertmanager entry) cannot
    // be pinned on a relation.
    const broken = {
      alertmanagers: [{ static_configs: [{ targets: ["a:1"] }], ...t.badAlertmanager }],
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
      a_metrics_endpoint_7: { groups: [{ name: "a", rules: [{ alert: "Bad", expr: t.badExpr }] }] },
      b_metrics_endpoint_8: { groups: [{ name: "b", rules: [{ alert: "Good", expr: "up < 1" }] }] },
    };
    const ids: Record<string, number> = { a_metrics_endpoint_7: 7, b_metrics_endpoint_8: 8 };
    const build = (ex: { rules: ReadonlySet<number> }): Desired => {
      const kept: Record<string, { groups: unknown[] }> = {};
      for (const [k, d] of Object.entries(docs)) if (!ex.rules.has(ids[k]!)) kept[k] = d;
      return { ...desired({ jobs: [] }), ruleFiles: renderRuleFiles(kept) };
    };
    const w = workload();
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
      new RegExp(`promtool refused its rules: juju_a_metrics_endpoint_7\\.rules: .*${t.ruleRefusal}`),
    );
    assert.deepEqual(
      (await w.list("/etc/prometheus/rules")).map((p) => p.split("/").at(-1)),
      ["juju_b_metrics_endpoint_8.rules"],
    );
  });
}
