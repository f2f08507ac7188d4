// The rule files we build, checked by the real `promtool check rules` (Debian Prometheus 2.42),
// and our validator cross-checked against promtool on good and bad rules.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { stringify } from "yaml";
import { validateGroups } from "./promql.js";
import { providerAlertRules } from "./rules.js";
import { JujuTopology } from "./topology.js";

const PROMTOOL = "/usr/bin/promtool";
const RULES = new URL("../../../../testdata/fixtures/provider/rules/", import.meta.url).pathname;
const topo = new JujuTopology(
  "cos",
  "a1b2c3d4-1111-4222-8333-444455556666",
  "zinc-k8s",
  "zinc-k8s/0",
  "zinc",
);
const tmp = mkdtempSync(join(tmpdir(), "promtool-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function promtool(groups: unknown, name: string): { ok: boolean; output: string } {
  const file = join(tmp, `${name}.rules`);
  writeFileSync(file, stringify({ groups }));
  const r = spawnSync(PROMTOOL, ["check", "rules", file], { encoding: "utf8" });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

describe("promtool check rules", { skip: !existsSync(PROMTOOL) && "promtool not installed" }, () => {
  for (const dir of readdirSync(RULES).sort()) {
    it(`accepts what we build from rules/${dir}`, () => {
      const { groups } = providerAlertRules({ topology: topo, rulesDir: join(RULES, dir) });
      assert.ok(groups.length >= 1);
      const r = promtool(groups, dir);
      assert.ok(r.ok, r.output);
      // promtool exits 0 on lint findings (duplicate rules); the charm treats them as fatal, so must we.
      assert.doesNotMatch(r.output, /FAILED|lint error/);
      assert.match(
        r.output,
        new RegExp(`SUCCESS: ${groups.reduce((n, g) => n + g.rules.length, 0)} rules found`),
      );
    });
  }

  const table: [string, unknown[]][] = [
    ["good alert", [{ name: "g", rules: [{ alert: "A", expr: "up == 0", for: "5m", labels: { a: "b" } }] }]],
    [
      "good record",
      [{ name: "g", interval: "1m", rules: [{ record: "job:up:sum", expr: "sum by (job) (up)" }] }],
    ],
    ["bad expr", [{ name: "g", rules: [{ alert: "A", expr: "up ==" }] }]],
    ["bad selector", [{ name: "g", rules: [{ alert: "A", expr: 'up[juju_unit="unit/42"] == 0' }] }]],
    ["placeholder left", [{ name: "g", rules: [{ alert: "A", expr: "up{%%juju_topology%%}" }] }]],
    ["no expr", [{ name: "g", rules: [{ alert: "A" }] }]],
    ["alert and record", [{ name: "g", rules: [{ alert: "A", record: "r", expr: "up" }] }]],
    ["bad record name", [{ name: "g", rules: [{ record: "a-b", expr: "up" }] }]],
    ["bad for", [{ name: "g", rules: [{ alert: "A", expr: "up", for: "5 m" }] }]],
    ["bad label name", [{ name: "g", rules: [{ alert: "A", expr: "up", labels: { "a-b": "x" } }] }]],
    [
      "repeated group",
      [
        { name: "g", rules: [{ alert: "A", expr: "up" }] },
        { name: "g", rules: [{ alert: "B", expr: "up" }] },
      ],
    ],
  ];
  for (const [name, groups] of table) {
    it(`validateGroups agrees with promtool: ${name}`, () => {
      const ours = validateGroups(groups);
      const theirs = promtool(groups, name.replaceAll(" ", "_"));
      assert.equal(ours.length === 0, theirs.ok, `ours=${JSON.stringify(ours)} promtool=${theirs.output}`);
    });
  }
});
