// renderConfig's output checked by the real promtool: valid for Prometheus 2 with many jobs, and a
// broken job passed through refused (which is why apply validates).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { renderConfig } from "./render.js";
import { BASE, ZINC_JOB } from "./render.test-support.js";

const PROMTOOL = "/usr/bin/promtool";
const TMP = mkdtempSync(join(tmpdir(), "promcfg-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

function promtoolCheck(config: string): { ok: boolean; out: string } {
  const dir = mkdtempSync(join(TMP, "c-"));
  const file = join(dir, "prometheus.yml");
  writeFileSync(file, config);
  const r = spawnSync(PROMTOOL, ["check", "config", file], { encoding: "utf8" });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

describe("renderConfig checked by the real promtool", {
  skip: !existsSync(PROMTOOL) && "no /usr/bin/promtool",
}, () => {
  it("accepts the rendered Prometheus 2 config with alerting, exemplars and many jobs", () => {
    const jobs = Array.from({ length: 50 }, (_, i) => ({
      ...ZINC_JOB,
      job_name: `job-${i}`,
      scrape_interval: "30s",
    }));
    const out = renderConfig({ ...BASE, prometheusMajor: 2, jobs, maxExemplars: 100000 });
    const r = promtoolCheck(out.config);
    assert.ok(r.ok, r.out);
    assert.match(r.out, /SUCCESS/);
  });
  it("the golden file minus the Prometheus 3 key is valid for Prometheus 2", () => {
    const r = promtoolCheck(renderConfig({ ...BASE, prometheusMajor: 2 }).config);
    assert.ok(r.ok, r.out);
  });
  it("promtool rejects a broken job that passes through (so apply must validate)", () => {
    const out = renderConfig({
      ...BASE,
      prometheusMajor: 2,
      jobs: [{ ...ZINC_JOB, sample_limit: { not_a_key: 1 } }],
    });
    assert.equal(promtoolCheck(out.config).ok, false);
  });
});
