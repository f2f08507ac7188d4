/**
 * apply with the real promtool (/usr/bin/promtool, the Debian package's) on the files it stages:
 * the rendered configuration and rule files pass it, refused candidates leave the running
 * configuration in place, a verified store's reduced candidate is one promtool accepts, and a
 * refusal is pinned on the relation at fault with promtool's own words. The refusal scenarios are
 * written once in apply.test-support.ts; apply.test.ts runs the same ones with an in-memory promtool.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { apply } from "./apply.js";
import {
  DirWorkload,
  desired,
  FakeApi,
  GOOD_RULES,
  isolationScenarios,
  type Promtool,
  type PromtoolTier,
  refusedCandidateScenarios,
} from "./apply.test-support.js";

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

/**
 * The real promtool, and input it really refuses: a sample limit that is not a number, a range
 * function over an instant vector, an alertmanager timeout that is no duration.
 */
const TIER: PromtoolTier = {
  parent: WORKLOADS,
  promtool: realPromtool,
  badJob: { sample_limit: { not_a_key: 1 } },
  badExpr: "rate(up)",
  badAlertmanager: { timeout: "soon" },
  jobRefusal: "cannot unmarshal !!map into uint",
  ruleRefusal: "expected type range vector",
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

  refusedCandidateScenarios(TIER);
});

describe("apply isolates the relations promtool refuses", {
  skip: !HAVE_PROMTOOL && "no /usr/bin/promtool",
}, () => {
  isolationScenarios(TIER);
});
