/**
 * The alert-template checks against the real thing: every template below is also an annotation
 * given to the Debian `promtool check rules` (Prometheus 2.42, which parses them with Go's
 * text/template and its own functions, `rulefmt.go` `testTemplateParsing`), and our verdict for
 * Prometheus 2 must be promtool's.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { checkTemplate } from "./templates.js";

const PROMTOOL = "/usr/bin/promtool";

const VALID = [
  "plain text, no action",
  "{{ $labels.instance }} is down",
  "{{ .Labels.job }}",
  "{{ humanize $value }}",
  "{{ if gt $value 1.0 }}high{{ else }}low{{ end }}",
  '{{ if eq $labels.a "x" }}a{{ else if eq $labels.a "y" }}b{{ end }}',
  '{{ range $i, $e := query "up" }}{{ $e.Labels.job }}{{ end }}',
  '{{ with query "up" }}{{ . | first | value }}{{ end }}',
  "{{/* a comment */}}text",
  "{{- /* trimmed comment */ -}}",
  "{{- $labels.a -}}",
  "{{ with $x := 1 }}{{ $x }}{{ end }}",
  '{{ printf "%s" "}}" }}',
  "{{ 'a' }}",
  "{{ $externalURL }}{{ $externalLabels.env }}",
  "{{ range $labels }}{{ break }}{{ end }}",
  "a }} b",
  "{{ 1e3 }} {{ -1 }} {{ 0x1F }}",
];

const INVALID = [
  "{{ $labels.instance",
  "{{ nope }}",
  "{{ $undefined }}",
  "{{ if true }}x",
  "{{ end }}",
  "{{ else }}",
  "{{/* x",
  '{{ "abc }}',
  "{{}}",
  "{{ toDuration 1 }}",
  "{{ break }}",
];

test("our verdicts (Prometheus 2)", () => {
  for (const t of VALID) assert.deepEqual(checkTemplate(t, 2).problems, [], t);
  for (const t of INVALID) assert.notDeepEqual(checkTemplate(t, 2).problems, [], t);
});

test("the same verdicts from the real promtool", { skip: !existsSync(PROMTOOL) }, () => {
  const all = [...VALID, ...INVALID];
  const dir = mkdtempSync(join(tmpdir(), "templates-"));
  const file = join(dir, "rules.yml");
  const rules = all
    .map((t, i) => `  - alert: A${i}\n    expr: up\n    annotations:\n      a: ${JSON.stringify(t)}\n`)
    .join("");
  writeFileSync(file, `groups:\n- name: g\n  rules:\n${rules}`);
  let out = "";
  try {
    execFileSync(PROMTOOL, ["check", "rules", file], { stdio: "pipe" });
  } catch (e) {
    const x = e as { stdout?: Buffer; stderr?: Buffer };
    out = `${x.stdout?.toString() ?? ""}${x.stderr?.toString() ?? ""}`;
  }
  all.forEach((t, i) => {
    const refused = new RegExp(`rule ${i + 1}, "A${i}"`).test(out);
    assert.equal(refused, i >= VALID.length, `promtool on ${t}`);
  });
});

test("functions called are reported (query runs PromQL outside any topology)", () => {
  assert.deepEqual(
    [...checkTemplate('{{ with query "up" }}{{ . | first | value }}{{ end }}').functions].sort(),
    ["first", "query", "value"],
  );
  assert.equal(checkTemplate('{{ "query" }}').functions.size, 0);
});

test("functions added in Prometheus 3 are known to 3 only", () => {
  assert.deepEqual(checkTemplate("{{ toDuration 1 }}", 3).problems, []);
  assert.notDeepEqual(checkTemplate("{{ toDuration 1 }}", 2).problems, []);
});
