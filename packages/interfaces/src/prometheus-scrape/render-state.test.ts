// `prometheus-scrape render` and `provide` in process (main() with its output captured): a file
// that is not a state is refused with exit code 1, naming the file and what is missing, instead
// of being read as an empty model; render follows the state's config.fallback_scrape_protocol unless
// --prometheus2 says otherwise. The command as a subprocess is in cli.int.test.ts.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { main } from "./cli.js";

const FIX = new URL("../../../../testdata/fixtures/", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "ps-render-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main([...args], {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

function stateFile(name: string, state: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(state));
  return file;
}

describe("render and provide refuse what is not a state", () => {
  it("an expected-output fixture: rc 1, the file named, relations said missing, nothing printed", async () => {
    const file = join(FIX, "consumer", "01_single_unit_wildcard.expected.json");
    const r = await run("render", "--no-cache", file);
    assert.equal(r.code, 1);
    assert.equal(r.out, "");
    assert.match(r.err, /^prometheus-scrape: \S+01_single_unit_wildcard\.expected\.json: /);
    assert.match(r.err, /not a state: it has no 'relations' list \(keys: scrape_configs, alert_rules, /);
    const p = await run(
      "provide",
      "--no-cache",
      join(FIX, "provider", "01_default_job_no_rules_dir.expected.json"),
    );
    assert.equal(p.code, 1);
    assert.match(p.err, /01_default_job_no_rules_dir\.expected\.json: /);
  });
  it("an empty object, a list, relations that are not a list", async () => {
    for (const [state, why] of [
      [{}, /no 'relations' list \(keys: none\)/],
      [[1], /state must be a JSON object/],
      [{ model: { name: "m", uuid: "u" }, relations: {} }, /'relations' must be a list of objects/],
    ] as const) {
      const r = await run("render", "--no-cache", stateFile("bad.json", state));
      assert.equal(r.code, 1, JSON.stringify(state));
      assert.equal(r.out, "");
      assert.match(r.err, why);
    }
  });
  it("an empty model is a state: no jobs, rc 0", async () => {
    const r = await run(
      "render",
      "--no-cache",
      stateFile("empty.json", { model: { name: "m", uuid: "u" }, relations: [] }),
    );
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), { scrape_configs: [], alert_rules: {}, rejected: [] });
  });
});

/** A consumer fixture with its relations held to their own model, as the charm would see them. */
function fixture(config?: Record<string, unknown>): Record<string, unknown> {
  const state = JSON.parse(readFileSync(join(FIX, "consumer", "01_single_unit_wildcard.json"), "utf8")) as {
    relations: { app_data: Record<string, string>; remote_model_uuid?: string | undefined }[];
  };
  for (const rel of state.relations)
    rel.remote_model_uuid = (
      JSON.parse(rel.app_data.scrape_metadata ?? "{}") as { model_uuid?: string }
    ).model_uuid;
  return config === undefined ? state : { ...state, config };
}

describe("render follows the state's config.fallback_scrape_protocol", () => {
  const protocols = (out: string) =>
    (JSON.parse(out) as { scrape_configs: { fallback_scrape_protocol?: string }[] }).scrape_configs.map(
      (j) => j.fallback_scrape_protocol,
    );
  it("absent or true: every job has Prometheus 3's fallback; false: none", async () => {
    const absent = await run("render", "--no-cache", stateFile("p.json", fixture()));
    assert.equal(absent.code, 0, absent.err);
    assert.ok(protocols(absent.out).length > 0);
    assert.ok(protocols(absent.out).every((p) => p === "PrometheusText0.0.4"));
    const yes = await run(
      "render",
      "--no-cache",
      stateFile("p3.json", fixture({ fallback_scrape_protocol: true })),
    );
    assert.deepEqual(protocols(yes.out), protocols(absent.out));
    const no = await run(
      "render",
      "--no-cache",
      stateFile("p2.json", fixture({ fallback_scrape_protocol: false })),
    );
    assert.equal(no.code, 0, no.err);
    assert.ok(protocols(no.out).every((p) => p === undefined));
  });
  it("--prometheus2 wins over a state that asks for the fallback", async () => {
    const file = stateFile("p3.json", fixture({ fallback_scrape_protocol: true }));
    const r = await run("render", "--no-cache", "--prometheus2", file);
    assert.equal(r.code, 0, r.err);
    assert.ok(protocols(r.out).every((p) => p === undefined));
  });
  it("a value that is not a boolean, or a config that is not an object, is refused, naming the key", async () => {
    const r = await run(
      "render",
      "--no-cache",
      stateFile("px.json", fixture({ fallback_scrape_protocol: "PrometheusText0.0.4" })),
    );
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /'config\.fallback_scrape_protocol' must be true or false, not "PrometheusText0\.0\.4"/,
    );
    const c = await run("render", "--no-cache", stateFile("pc.json", { ...fixture(), config: "x" }));
    assert.equal(c.code, 1);
    assert.match(c.err, /'config' must be an object of charm options/);
  });
});
