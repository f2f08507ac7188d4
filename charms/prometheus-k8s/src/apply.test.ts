/**
 * apply's logic against a workload in a temp directory, with an in-memory promtool
 * (apply.test-support.ts): what is written, when Prometheus is reloaded or restarted, what is kept
 * when a candidate is refused, and how a refusal is pinned on relations. The same paths with the
 * real promtool are in apply.int.test.ts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { apply, type Desired } from "./apply.js";
import { DirWorkload, desired, FakeApi, fakePromtool, GOOD_RULES, REFUSED } from "./apply.test-support.js";
import { RECEIVED_CA_DIR } from "./ca_store.js";
import type { RenderInput } from "./render.js";
import { renderRuleFiles } from "./rules.js";

/** The workloads' temp directories live under this one, removed when the file is done. */
const WORKLOADS = mkdtempSync(join(tmpdir(), "apply-test-"));
after(() => rmSync(WORKLOADS, { recursive: true, force: true }));

/** A workload in a temp directory whose promtool is the in-memory one. */
class TestWorkload extends DirWorkload {
  constructor() {
    super(WORKLOADS, fakePromtool);
  }
}

describe("apply", () => {
  it("first run writes config and rules, starts the service, and does not reload", async () => {
    const w = new TestWorkload();
    const api = new FakeApi();
    const r = await apply(desired(), w, api);
    assert.deepEqual(r.outcome, { kind: "ok" });
    assert.equal(r.restarted, true);
    assert.equal(api.calls, 0);
    assert.equal(await w.read("/etc/prometheus/prometheus.yml"), desired().config);
    assert.deepEqual(await w.list("/etc/prometheus/rules"), Object.keys(GOOD_RULES));
    assert.equal(await w.exists("/etc/prometheus/prometheus.yml.new"), false);
    assert.equal(await w.exists("/etc/prometheus/rules.new"), false);
  });

  it("does nothing at all when nothing changed", async () => {
    const w = new TestWorkload();
    await apply(desired(), w, new FakeApi());
    w.writes = [];
    const api = new FakeApi();
    const r = await apply(desired(), w, api);
    assert.deepEqual(
      [r.changed, r.restarted, r.reloaded, api.calls, w.writes.length, w.replans],
      [false, false, false, 0, 0, 1],
    );
  });

  it("hot-reloads on a config-only change and restarts on a flag change", async () => {
    const w = new TestWorkload();
    await apply(desired(), w, new FakeApi());
    const api = new FakeApi();
    const r1 = await apply(desired({ evaluationInterval: "30s" }), w, api);
    assert.deepEqual([r1.reloaded, r1.restarted, api.calls, w.replans], [true, false, 1, 1]);
    const r2 = await apply(
      desired({ evaluationInterval: "30s" }, GOOD_RULES, { log_level: "debug" }),
      w,
      api,
    );
    assert.deepEqual([r2.restarted, r2.reloaded, api.calls, w.replans], [true, false, 1, 2]);
  });

  it("restarts Prometheus, without a reload, when the trust store's CAs change (Go reads the roots once)", async () => {
    class CaWorkload extends TestWorkload {
      override async exec(argv: readonly string[]) {
        if (argv[0]?.endsWith("update-ca-certificates")) return { exitCode: 0, stdout: "", stderr: "" };
        return super.exec(argv);
      }
    }
    const w = new CaWorkload();
    await apply(desired(), w, new FakeApi());
    const api = new FakeApi();
    const withCa: Desired = { ...desired(), trustStore: { [`${RECEIVED_CA_DIR}/0.crt`]: "CA\n" } };
    const r1 = await apply(withCa, w, api);
    assert.deepEqual(
      [r1.trustStore?.changed, r1.restarted, r1.reloaded, w.restarts, api.calls],
      [true, true, false, 1, 0],
    );
    const r2 = await apply(withCa, w, api);
    assert.deepEqual([r2.trustStore?.changed, r2.restarted, w.restarts], [false, false, 1]);
  });

  it("removes stale rule files and reloads", async () => {
    const w = new TestWorkload();
    await apply(desired(), w, new FakeApi());
    const api = new FakeApi();
    const r = await apply(desired({}, {}), w, api);
    assert.equal(r.reloaded, true);
    assert.deepEqual(await w.list("/etc/prometheus/rules"), []);
  });

  it("never deletes rule files it did not write (the Python charm's, before a swap), only its own stale ones", async () => {
    const w = new TestWorkload();
    const foreign = "/etc/prometheus/rules/juju_cos_a1b2c3d4_agent.rules";
    await w.write(foreign, "groups: []\n");
    await apply(desired(), w, new FakeApi());
    const ours = await w.list("/etc/prometheus/rules");
    assert.ok(ours.includes(foreign) && ours.length > 1, ours.join());
    await apply(desired({}, {}), w, new FakeApi());
    assert.deepEqual(await w.list("/etc/prometheus/rules"), [foreign]);
    // Once we write a file of that name it is ours, and goes when it is no longer wanted.
    await apply(
      desired(
        {},
        renderRuleFiles({
          cos_a1b2c3d4_agent: { groups: [{ name: "g", rules: [{ alert: "A", expr: "up < 1" }] }] },
        }),
      ),
      w,
      new FakeApi(),
    );
    await apply(desired({}, {}), w, new FakeApi());
    assert.deepEqual(await w.list("/etc/prometheus/rules"), []);
  });

  it("keeps a pending reload after a timeout and retries it with unchanged files", async () => {
    const w = new TestWorkload();
    await apply(desired(), w, new FakeApi());
    const slow = new FakeApi({ kind: "timeout" });
    const r1 = await apply(desired({ evaluationInterval: "2m" }), w, slow);
    assert.deepEqual([r1.outcome.kind, r1.reloadPending], ["reload-pending", true]);
    const api = new FakeApi();
    const r2 = await apply(desired({ evaluationInterval: "2m" }), w, api, { reloadPending: true });
    assert.deepEqual(
      [r2.outcome.kind, r2.reloadPending, r2.reloaded, r2.changed],
      ["ok", false, true, false],
    );
  });

  it("reports a failed reload and keeps it pending", async () => {
    const w = new TestWorkload();
    await apply(desired(), w, new FakeApi());
    const r = await apply(
      desired({ evaluationInterval: "2m" }),
      w,
      new FakeApi({ kind: "failed", detail: "HTTP 500" }),
    );
    assert.deepEqual(r.outcome, { kind: "reload-failed", detail: "HTTP 500" });
    assert.equal(r.reloadPending, true);
  });

  it("keeps the previous good config and rules when promtool rejects the candidate", async () => {
    const w = new TestWorkload();
    await apply(desired(), w, new FakeApi());
    const before = await w.read("/etc/prometheus/prometheus.yml");
    const badRules = renderRuleFiles({
      x: { groups: [{ name: "g", rules: [{ alert: "A", expr: `${REFUSED} < 1` }] }] },
    });
    const api = new FakeApi();
    const r = await apply(desired({ evaluationInterval: "5m" }, badRules), w, api);
    assert.equal(r.outcome.kind, "invalid-config");
    assert.equal(api.calls, 0);
    assert.equal(await w.read("/etc/prometheus/prometheus.yml"), before);
    assert.deepEqual(await w.list("/etc/prometheus/rules"), Object.keys(GOOD_RULES));
    assert.equal(await w.exists("/etc/prometheus/prometheus.yml.new"), false);

    const badJob = await apply(desired({ jobs: [{ job_name: "j", metrics_path: `/${REFUSED}` }] }), w, api);
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
    const bad = desired({ jobs: jobs({ d: { metrics_path: `/${REFUSED}` } }) }, rules("up < 3"));
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

  it("accepts the candidate unchecked when the workload has no promtool", async () => {
    const w = new TestWorkload();
    w.hasPromtool = false;
    const r = await apply(desired(), w, new FakeApi());
    assert.equal(r.outcome.kind, "ok");
    assert.equal(r.promtoolOutput, undefined);
  });

  it("writes TLS material and removes files that must be absent", async () => {
    const w = new TestWorkload();
    await w.write("/etc/prometheus/prometheus-web-config.yml", "old");
    const d = { ...desired(), extraFiles: { "/etc/prometheus/j-ca.crt": "PEM" } };
    const r = await apply(d, w, new FakeApi());
    assert.equal(r.outcome.kind, "ok");
    assert.equal(await w.read("/etc/prometheus/j-ca.crt"), "PEM");
    assert.equal(await w.exists("/etc/prometheus/prometheus-web-config.yml"), false);
  });

  it("turns Pebble failures into outcomes instead of throwing", async () => {
    const w = new TestWorkload();
    w.failWrites = true;
    w.hasPromtool = false;
    const r = await apply(desired(), w, new FakeApi());
    assert.equal(r.outcome.kind, "push-failed");
    const w2 = new TestWorkload();
    w2.replan = async () => {
      throw new Error("cannot start service");
    };
    const r2 = await apply(desired(), w2, new FakeApi());
    assert.deepEqual(r2.outcome, { kind: "restart-failed", detail: "cannot start service" });
  });
});

describe("apply isolates the relations promtool refuses", () => {
  // Three relations, as the charm hands them over: relation 2's job and relation 3's rules pass
  // the scrape library by construction here, but not promtool.
  const job = (rel: number, extra: Record<string, unknown> = {}) => ({
    job_name: `juju_cos_c2e9f4d5_app${rel}_prometheus_scrape-0`,
    static_configs: [{ targets: [`10.0.0.${rel}:80`] }],
    ...extra,
  });
  const JOBS = [job(1), job(2, { metrics_path: `/${REFUSED}` }), job(3)];
  const RULE_DOCS: Record<string, { groups: unknown[] }> = {
    rel1_metrics_endpoint_1: { groups: [{ name: "one", rules: [{ alert: "Down", expr: "up < 1" }] }] },
    rel3_metrics_endpoint_3: {
      groups: [{ name: "three", rules: [{ alert: "Bad", expr: `rate(${REFUSED})` }] }],
    },
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
    assert.match(
      r.isolated?.[0]?.reason ?? "",
      new RegExp(`promtool refused its rules: .*rule 1: ${REFUSED}`),
    );
    assert.match(r.isolated?.[1]?.reason ?? "", new RegExp(`promtool refused its jobs: .*${REFUSED}`));
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
      alertmanagers: [{ static_configs: [{ targets: ["a:1"] }], path_prefix: `/${REFUSED}` }],
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
      a_metrics_endpoint_7: { groups: [{ name: "a", rules: [{ alert: "Bad", expr: `rate(${REFUSED})` }] }] },
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
      new RegExp(`promtool refused its rules: juju_a_metrics_endpoint_7\\.rules: .*${REFUSED}`),
    );
    assert.deepEqual(
      (await w.list("/etc/prometheus/rules")).map((p) => p.split("/").at(-1)),
      ["juju_b_metrics_endpoint_8.rules"],
    );
  });
});

describe("apply with a record of what it pushed", () => {
  /** Stamps as Pebble's list gives them (size and modification time); reads counted. */
  class StampedWorkload extends TestWorkload {
    reads: string[] = [];
    override async read(p: string) {
      this.reads.push(p);
      return super.read(p);
    }
    async stamps(dir: string) {
      const out = new Map<string, string>();
      for (const p of await this.list(dir)) {
        const st = statSync(join(this.root, p));
        out.set(p, `${st.size} ${st.mtimeMs}`);
      }
      return out;
    }
  }
  function memoryStore() {
    const s = {
      text: undefined as string | undefined,
      read: () => s.text,
      write: (t: string) => {
        s.text = t;
      },
    };
    return s;
  }
  const CONFIG = "/etc/prometheus/prometheus.yml";
  const RULE = Object.keys(GOOD_RULES)[0]!;

  it("compares files unchanged since its push by digest; reads back what changed on disk or is not recorded", async () => {
    const w = new StampedWorkload();
    const store = memoryStore();
    await apply(desired(), w, new FakeApi(), { pushed: store });
    assert.ok(store.text, "what was pushed is recorded");
    w.reads = [];
    const same = await apply(desired(), w, new FakeApi(), { pushed: store });
    assert.equal(same.changed, false);
    assert.ok(
      !w.reads.includes(CONFIG) && !w.reads.includes(RULE),
      `nothing read back: ${w.reads.join(", ")}`,
    );

    // The workload restarted with an empty configuration: its size differs from the record.
    writeFileSync(join(w.root, CONFIG), "");
    w.reads = [];
    const restarted = await apply(desired(), w, new FakeApi(), { pushed: store });
    assert.ok(w.reads.includes(CONFIG), "read back");
    assert.equal(restarted.changed, true);
    assert.equal(await w.read(CONFIG), desired().config, "pushed again");

    // Without the record (lost, or another unit's): everything is read back, nothing pushed.
    const lost = memoryStore();
    w.reads = [];
    const fresh = await apply(desired(), w, new FakeApi(), { pushed: lost });
    assert.equal(fresh.changed, false);
    assert.ok(w.reads.includes(CONFIG) && w.reads.includes(RULE));
    assert.ok(lost.text, "recorded from what was read");

    // A damaged record is no record.
    store.text = "{";
    w.reads = [];
    await apply(desired(), w, new FakeApi(), { pushed: store });
    assert.ok(w.reads.includes(CONFIG) && w.reads.includes(RULE));
  });
});
