// The `charmkit` CLI end to end: a detached controller daemon, a small bundle of sh charms,
// status, config, relate errors, actions, scale, logs and down.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parse as parseYaml } from "yaml";

const BIN = new URL("../bin/charmkit.mjs", import.meta.url).pathname;
const CHARM = new URL("./testdata/shell-charm", import.meta.url).pathname;
const home = mkdtempSync(join(tmpdir(), "ck-cli-"));

function ck(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, CHARMKIT_HOME: home, CHARMKIT_MODEL: "e2e-cli" },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

after(() => {
  ck("down");
});

test("charmkit up/status/config/relate/run-action/scale/logs/down", () => {
  const bundle = join(home, "..", `bundle-${Date.now()}.yaml`);
  writeFileSync(
    bundle,
    `applications:\n  a: { charm: ${CHARM}, scale: 2, options: { greeting: hi } }\n  b: { charm: ${CHARM} }\nrelations:\n  - [a:out, b:in]\n`,
  );
  const bad = join(home, "..", `bad-${Date.now()}.yaml`);
  writeFileSync(
    bad,
    `applications:\n  a: { charm: ${CHARM} }\nrelations:\n  - [a:out, a:in]\n  - [a:nope, b:in]\n`,
  );
  const invalid = ck("up", bad);
  assert.equal(invalid.code, 2);
  assert.match(invalid.err, /cannot relate "a" to itself/);
  assert.match(invalid.err, /unknown application "b"/);

  const up = ck("up", bundle, "--timeout", "60");
  assert.equal(up.code, 0, up.err);
  assert.match(up.out, /model settled: 3 unit\(s\)/);

  const st = JSON.parse(ck("status", "--format", "json").out);
  assert.deepEqual(
    st.units.map((u: { name: string; agent: string }) => `${u.name} ${u.agent}`),
    ["a/0 idle", "a/1 idle", "b/0 idle"],
  );
  assert.ok(
    st.relations.some(
      (r: { provider: string; requirer: string }) => r.provider === "a:out" && r.requirer === "b:in",
    ),
  );
  const table = ck("status").out;
  assert.match(table, /^a\/0\*\s+unknown\s+idle\s+10\.\d+\.1\.1/m);
  const shown = JSON.parse(ck("show-unit", "b/0", "--format", "json").out);
  assert.equal(shown.fqdn, "b-0.b-endpoints.e2e-cli.svc.cluster.local");
  assert.deepEqual(
    shown["relation-info"].map((r: { endpoint: string; "related-units": object }) => [
      r.endpoint,
      Object.keys(r["related-units"]),
    ]),
    [
      ["cluster", []],
      ["in", ["a/0", "a/1"]],
    ],
  );
  assert.match(table, /^a:out\s+b:in\s+demo\s+regular/m);
  const asYaml = ck("status", "--format", "yaml");
  assert.equal(asYaml.code, 0);
  assert.deepEqual(parseYaml(asYaml.out), st);
  const badFormat = ck("status", "--format", "xml");
  assert.notEqual(badFormat.code, 0);
  assert.match(badFormat.err, /Allowed choices are tabular, yaml, json/);
  assert.match(ck("help", "scale").out, /until it has\s+<n>/);

  assert.match(ck("config", "a").out, /greeting: "hi"/);
  const set = ck("config", "a", "count=9");
  assert.equal(set.code, 0);
  assert.match(set.out, /^a: count set to 9 \(was 3\)$/m);
  assert.match(ck("config", "a").out, /count: 9/);
  const reset = ck("config", "a", "--reset", "count,greeting");
  assert.equal(reset.code, 0, reset.err);
  assert.match(reset.out, /^a: count reset to its default 3 \(was 9\)$/m);
  assert.match(reset.out, /^a: greeting reset to its default "hello" \(was "hi"\)$/m);
  assert.match(ck("config", "a").out, /count: 3\ngreeting: "hello"/);
  assert.match(ck("config", "a", "--reset", "nope").err, /unknown option "nope"/);
  assert.equal(ck("config", "a", "greeting=hi").code, 0);
  const badCfg = ck("config", "a", "count=x");
  assert.equal(badCfg.code, 1);
  assert.match(badCfg.err, /option "count" expects an int/);
  assert.match(ck("config", "nope").err, /application "nope" not found/);

  const rel = ck("relate", "a:out", "b:nope");
  assert.equal(rel.code, 1);
  assert.match(rel.err, /application "b" has no endpoint "nope"/);

  const act = ck("run-action", "a/1", "greet", "name=you");
  assert.equal(act.code, 0);
  assert.match(act.out, /msg: hi you/);
  const failed = ck("run-action", "a/1", "fail");
  assert.equal(failed.code, 1);
  assert.match(failed.out, /status: failed \(it failed\)/);
  assert.match(ck("run-action", "q/0", "greet").err, /unit "q\/0" not found/);

  const scaled = ck("scale", "a", "1");
  assert.equal(scaled.code, 0);
  assert.equal(scaled.out, "a: 2 -> 1 unit(s), removing a/1\n");
  assert.equal(ck("wait", "--timeout", "60").code, 0);
  assert.equal(JSON.parse(ck("status", "--format", "json").out).units.length, 2);
  assert.match(ck("logs", "b/0").out, /^\S+ running in-relation-departed/m);
  // Every unit's log, merged: each line names its unit once, as app/n.
  const all = ck("logs").out.trimEnd().split("\n");
  assert.ok(all.length > 10);
  for (const line of all) {
    assert.match(line, /^(a\/0|a\/1|b\/0): /, line);
    assert.doesNotMatch(line, /^\S+: (a|b)[/-]\d: /, `prefixed twice: ${line}`);
  }
  assert.ok(all.some((l) => l.startsWith("b/0: ") && l.includes("running in-relation-departed")));

  const down = ck("down");
  assert.equal(down.code, 0);
  assert.match(down.out, /model stopped; deleted .* \(charmkit down --keep keeps it\)/);
  assert.ok(!existsSync(join(home, "model.json")));
  assert.ok(
    !readFileSync("/etc/hosts", "utf8").includes("e2e-cli.svc.cluster.local"),
    "the host's names are gone",
  );
  assert.match(ck("status").err, /no controller running/);
});
