/**
 * The YAML Prometheus reads, checked by Prometheus itself: strings no JavaScript YAML library
 * would trouble over (line separators, C1 controls, merge keys, YAML 1.1 words) written by
 * `dumpYaml` into a config (read by Go's yaml.v2 in `promtool check config`) and a rule file
 * (yaml.v3, checked value by value with `promtool test rules`).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parse } from "yaml";
import { dumpYaml, type RenderInput, renderConfig } from "./render.js";

const PROMTOOL = "/usr/bin/promtool";
const BASE: RenderInput = {
  topology: {
    model: "cos",
    modelUuid: "c2e9f4d5-dcb3-4870-8509-330eb9745ee8",
    application: "prometheus",
    unit: "prometheus/0",
  },
  fqdn: "prometheus-0.prometheus-endpoints.cos.svc.cluster.local",
  tls: false,
  evaluationInterval: "1m",
  maxExemplars: 0,
  jobs: [],
  alertmanagers: [],
  prometheusMajor: 2,
};

/** Characters Go's YAML readers refuse raw or read as something else, and YAML's own syntax. */
const NASTY = [
  "<<",
  "a\u2028b",
  "\u2029",
  "x\u0085y",
  "\u007f",
  "\u0080\u009f",
  "\ufffe\uffff",
  "\ufeffbom",
  "\u0000nul",
  "\r\n",
  "tab\there",
  "multi\nline\n",
  " lead and trail ",
  "null",
  "~",
  "yes",
  "0x10",
  "- a",
  "? b",
  "a: b",
  "# c",
  "&anchor",
  "*alias",
  "!tag",
  "%dir",
  "@at",
  "`tick",
  "'single'",
  '"double"',
  "{flow}",
  "[seq]",
  "|",
  ">",
  "---",
  "...",
  "é😀日本",
];

/** A PromQL string literal for `s` in printable ASCII only (Go's strconv.Unquote reads it back). */
function asciiPromQLString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += `\\U${c.toString(16).padStart(8, "0")}`;
  }
  return `${out}"`;
}

describe("dumpYaml writes only what Go's YAML readers read back unchanged", () => {
  it("property: promtool reads every generated string back as written (config: yaml.v2; rules: yaml.v3)", {
    skip: !existsSync(PROMTOOL) && "no /usr/bin/promtool",
  }, () => {
    const value = fc
      .oneof(
        { weight: 1, arbitrary: fc.constantFrom(...NASTY) },
        { weight: 3, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 12 }) },
        { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }) },
      )
      // Relation data holding a lone surrogate is refused before rendering (it has no UTF-8 form);
      // an empty label value is no label at all.
      .filter((s) => s !== "" && !/[\ud800-\udfff]/u.test(s));
    const dir = mkdtempSync(join(tmpdir(), "yaml-go-"));
    let checked = 0;
    fc.assert(
      fc.property(fc.array(value, { minLength: 20, maxLength: 40 }), (values) => {
        const all = [...NASTY, ...values];
        // prometheus.yml, read by yaml.v2: label keys and values, and a job name.
        const config = renderConfig({
          ...BASE,
          prometheusMajor: 2,
          jobs: all.map((v, i) => ({
            job_name: `j${i}_${v}`,
            static_configs: [{ targets: ["a:1"], labels: { v } }],
          })),
        });
        const cfgFile = join(dir, "prometheus.yml");
        writeFileSync(cfgFile, config.config);
        const c = spawnSync(PROMTOOL, ["check", "config", cfgFile], { encoding: "utf8" });
        assert.equal(c.status, 0, `${c.stdout}${c.stderr}`);
        assert.deepEqual(
          (
            parse(config.config) as { scrape_configs: { static_configs?: { labels: { v: string } }[] }[] }
          ).scrape_configs
            .slice(1)
            .map((j) => j.static_configs?.[0]?.labels.v),
          all,
        );
        // A rule file, read by yaml.v3, checked value by value by Go itself: each recording rule
        // carries the string as a label, and the test expects it written as an ASCII PromQL string.
        const rules = dumpYaml({
          groups: [
            { name: "g", rules: all.map((v, i) => ({ record: `r${i}`, expr: "vector(1)", labels: { v } })) },
          ],
        });
        writeFileSync(join(dir, "rules.yml"), rules);
        const tests = dumpYaml({
          rule_files: ["rules.yml"],
          evaluation_interval: "1m",
          tests: [
            {
              interval: "1m",
              input_series: [],
              promql_expr_test: all.map((v, i) => ({
                expr: `r${i}`,
                eval_time: "0m",
                exp_samples: [{ labels: `r${i}{v=${asciiPromQLString(v)}}`, value: 1 }],
              })),
            },
          ],
        });
        writeFileSync(join(dir, "tests.yml"), tests);
        const t = spawnSync(PROMTOOL, ["test", "rules", join(dir, "tests.yml")], {
          encoding: "utf8",
          cwd: dir,
        });
        assert.equal(t.status, 0, `${t.stdout}${t.stderr}`);
        checked += all.length;
      }),
      { numRuns: 6 },
    );
    assert.ok(checked >= 6 * 50);
  });
});
