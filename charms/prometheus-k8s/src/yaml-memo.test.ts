/**
 * The remembered YAML texts give what serialising everything gives, byte for byte: the assembled
 * prometheus.yml against one dump of the whole document, over random jobs full of what YAML
 * writers treat specially; values JSON cannot tell apart stay apart; the memo survives between
 * processes through its file and a foreign file is ignored.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, it } from "node:test";
import { dumpConfig, dumpYaml } from "./render.js";
import { renderRuleFiles } from "./rules.js";
import { loadYamlMemo, memoDump, resetYamlMemo, saveYamlMemo } from "./yaml-memo.js";
import { rng } from "./charm.test-support.js";

const STRINGS = [
  "",
  "plain",
  "null",
  "true",
  "0x1F",
  "1e3",
  "<<",
  "- dash",
  "a: b",
  "# hash",
  "multi\nline\n",
  "  leading space",
  "trailing space ",
  "tab\there",
  "quote ' and \"",
  "unicode é ☃ 𝄞",
  "line\u2028separator",
  "bom\ufeff",
  "scrape_configs: []",
  "\nscrape_configs: []\n",
  "x".repeat(300),
];
const NUMBERS = [0, -0, 1, -1, 1.5, 1e21, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN];

function value(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 2 ? 4 : 7));
  switch (k) {
    case 0:
      return STRINGS[Math.floor(r() * STRINGS.length)];
    case 1:
      return NUMBERS[Math.floor(r() * NUMBERS.length)];
    case 2:
      return r() < 0.5 ? null : r() < 0.5;
    case 3:
      return r() < 0.2 ? undefined : STRINGS[Math.floor(r() * STRINGS.length)];
    case 4:
    case 5: {
      const o: Record<string, unknown> = {};
      const n = Math.floor(r() * 4);
      for (let i = 0; i < n; i++) o[STRINGS[Math.floor(r() * STRINGS.length)] || "k"] = value(r, depth + 1);
      return o;
    }
    default:
      return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
  }
}

function job(r: () => number, i: number): Record<string, unknown> {
  const j: Record<string, unknown> = { job_name: `job-${i}` };
  const n = 1 + Math.floor(r() * 5);
  for (let k = 0; k < n; k++) j[STRINGS[Math.floor(r() * STRINGS.length)] || `k${k}`] = value(r, 0);
  return j;
}

beforeEach(() => resetYamlMemo());

describe("yaml memo", () => {
  it("the assembled prometheus.yml equals one dump of the whole document, for random jobs", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const jobs = Array.from({ length: Math.floor(r() * 6) }, (_, i) => job(r, i));
      const doc: Record<string, unknown> = {
        global: { scrape_interval: "1m" },
        rule_files: ["/etc/prometheus/rules/juju_*.rules"],
        scrape_configs: jobs,
      };
      if (r() < 0.5) doc.alerting = { alertmanagers: [value(r, 0)] };
      if (r() < 0.3) doc.tracing = { endpoint: STRINGS[Math.floor(r() * STRINGS.length)] };
      const expected = dumpYaml(doc);
      assert.equal(dumpConfig(doc), expected, `seed ${seed}`);
      // Again, now from the memo.
      assert.equal(dumpConfig(doc), expected, `seed ${seed}, remembered`);
    }
  });

  it("values JSON writes alike keep their own texts", () => {
    const alike = [
      [{ a: Number.POSITIVE_INFINITY }, { a: null }, { a: Number.NaN }, { a: Number.NEGATIVE_INFINITY }],
      [{ a: -0 }, { a: 0 }],
      [{ a: [undefined] }, { a: [null] }],
    ];
    for (const group of alike) {
      for (const v of group) assert.equal(memoDump(v, dumpYaml), dumpYaml(v), JSON.stringify(v));
      for (const v of group)
        assert.equal(memoDump(v, dumpYaml), dumpYaml(v), `${JSON.stringify(v)} remembered`);
    }
  });

  it("rule files from the memo equal their dump", () => {
    const entries = { a_metrics_1: { groups: [{ name: "g", rules: [{ alert: "A", expr: "up < 1" }] }] } };
    const first = renderRuleFiles(entries);
    assert.deepEqual(renderRuleFiles(entries), first);
    assert.equal(Object.values(first)[0], dumpYaml({ groups: entries.a_metrics_1.groups }));
  });

  it("kept between processes in its file; only the entries of the last render are kept", () => {
    const dir = mkdtempSync(join(tmpdir(), "yaml-memo-"));
    const file = join(dir, "memo.json");
    let dumps = 0;
    const counting = (v: unknown) => {
      dumps += 1;
      return dumpYaml(v);
    };
    memoDump({ a: 1 }, counting);
    memoDump({ b: 2 }, counting);
    saveYamlMemo(file);
    resetYamlMemo();
    loadYamlMemo(file);
    assert.equal(memoDump({ a: 1 }, counting), "a: 1\n");
    assert.equal(dumps, 2, "remembered, not dumped again");
    saveYamlMemo(file); // {b: 2} went unused: dropped
    resetYamlMemo();
    loadYamlMemo(file);
    memoDump({ b: 2 }, counting);
    assert.equal(dumps, 3);
    const doc = JSON.parse(readFileSync(file, "utf8")) as { entries: unknown[] };
    assert.equal(doc.entries.length, 1);

    // A foreign or damaged file is ignored: everything is dumped again, nothing else happens.
    for (const text of ["{not json", JSON.stringify({ format: 99, entries: [["x", "y"]] }), "[]"]) {
      writeFileSync(file, text);
      resetYamlMemo();
      loadYamlMemo(file);
      const before: number = dumps;
      assert.equal(memoDump({ a: 1 }, counting), "a: 1\n");
      assert.equal(dumps, before + 1);
    }
  });
});
