// The `prometheus-scrape` command run as a subprocess on fixture files, plus its error handling.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { main, renderFromState } from "./cli.js";
import { provideFromState } from "./provide-state.js";

const BIN = new URL("../../bin/prometheus-scrape.cjs", import.meta.url).pathname;
const CODE_CACHE = new URL("../../dist/.prometheus-scrape-cli.cjs.v8cache", import.meta.url).pathname;

// Every run here (in process and in subprocesses) keeps its parse cache in a directory of its own.
const CACHE_DIR = mkdtempSync(join(tmpdir(), "prometheus-scrape-cache-"));
process.env.PROMETHEUS_SCRAPE_CACHE_DIR = CACHE_DIR;

// The subprocess tests run the command as users do: from the bundle, built here from the sources
// under test so a stale build can never answer for them.
before(() => {
  execFileSync(process.execPath, [BIN, "--build"], { stdio: "ignore" });
});
const FIX = new URL("../../../../testdata/fixtures/", import.meta.url).pathname;
const ENV_FLAGS = [
  "--charm-name",
  "target-charm",
  "--bind-address",
  "10.0.0.10",
  "--fqdn",
  "target-0.target-endpoints.model.svc.cluster.local",
];

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A job without order-unstable parts, for unordered comparison. */
const canon = (job: unknown): string => JSON.stringify(job);

const STATES = mkdtempSync(join(tmpdir(), "prometheus-scrape-states-"));

/**
 * A fixture as Juju would present it here: the fixtures' relations come from another model than
 * the state's, so each gets the `remote_model_uuid` relation-model-get would report (its
 * metadata's). The consumer then pins them to it, as the charm does.
 */
function crossModelState(name: string): string {
  const state = JSON.parse(readFileSync(join(FIX, "consumer", `${name}.json`), "utf8")) as {
    relations: { app_data: Record<string, string>; remote_model_uuid?: string | undefined }[];
  };
  for (const rel of state.relations)
    rel.remote_model_uuid = (
      JSON.parse(rel.app_data.scrape_metadata ?? "{}") as { model_uuid?: string }
    ).model_uuid;
  const file = join(STATES, `${name}.json`);
  writeFileSync(file, JSON.stringify(state));
  return file;
}

/**
 * Jobs without what the consumer adds for the charm: honor_labels (the Python library leaves it
 * to the charm) and, on pinned jobs whose targets lack a topology label, the steps moving that
 * label to exported_<label>.
 */
function withoutHonorLabels(jobs: unknown[], expected: boolean): unknown[] {
  return jobs.map((j) => {
    const { honor_labels, metric_relabel_configs: m, ...rest } = j as Record<string, unknown>;
    assert.equal(honor_labels, expected);
    const own = (Array.isArray(m) ? (m as Record<string, unknown>[]) : []).filter(
      (r) => !/^exported_juju_/.test(String(r.target_label ?? "")) && r.action !== "labeldrop",
    );
    return own.length > 0 ? { ...rest, metric_relabel_configs: own } : rest;
  });
}

describe("prometheus-scrape render (subprocess)", () => {
  const cases = [
    "01_single_unit_wildcard",
    "05_explicit_host_matches_unit_fqdn",
    "21_unit_path_external_url",
    "23_mixed_wildcard_and_explicit_targets",
  ];
  for (const name of cases) {
    it(`${name}: scrape_configs match the Python library's, as an unordered collection`, () => {
      const out = JSON.parse(
        execFileSync(process.execPath, [BIN, "render", crossModelState(name)], {
          encoding: "utf8",
        }),
      ) as {
        scrape_configs: unknown[];
        alert_rules: Record<string, unknown>;
        rejected: unknown[];
      };
      const expected = JSON.parse(readFileSync(join(FIX, "consumer", `${name}.expected.json`), "utf8")) as {
        scrape_configs: unknown[];
        alert_rules: Record<string, unknown>;
      };
      assert.deepEqual(
        withoutHonorLabels(out.scrape_configs, false).map(canon).sort(),
        expected.scrape_configs.map(canon).sort(),
      );
      assert.deepEqual(Object.keys(out.alert_rules).sort(), Object.keys(expected.alert_rules).sort());
      assert.deepEqual(out.rejected, []);
    });
  }

  it("keys alert rules like the Python library and injects topology into their expressions", () => {
    const out = JSON.parse(
      execFileSync(
        process.execPath,
        [BIN, "render", "--compact", crossModelState("15_alert_rules_no_topology_with_metadata")],
        {
          encoding: "utf8",
        },
      ),
    ) as { alert_rules: Record<string, { groups: { rules: { expr: string }[] }[] }> };
    const file = out.alert_rules["lma_a1b2c3d4_node_metrics-endpoint_17"];
    assert.ok(file, JSON.stringify(Object.keys(out.alert_rules)));
    assert.match(
      file.groups[0]!.rules[0]!.expr,
      /^rate\(x\{juju_application="node",juju_model="lma",juju_model_uuid="a1b2c3d4-[^}]*\}\[5m\]\) > 1$/,
    );
  });

  it("without the remote model's uuid the relation is held to this model and refused; trusted it is read as Python does", () => {
    const file = join(FIX, "consumer", "01_single_unit_wildcard.json");
    const pinned = JSON.parse(run(["render", file]).stdout) as {
      scrape_configs: unknown[];
      rejected: { reason: string }[];
    };
    assert.deepEqual(pinned.scrape_configs, []);
    assert.match(pinned.rejected[0]?.reason ?? "", /'scrape_metadata' disagrees with Juju: model_uuid/);
    const trusted = JSON.parse(run(["render", "--trusted-aggregators", "node", file]).stdout) as {
      scrape_configs: unknown[];
      rejected: unknown[];
    };
    const expected = JSON.parse(
      readFileSync(join(FIX, "consumer", "01_single_unit_wildcard.expected.json"), "utf8"),
    ) as { scrape_configs: unknown[] };
    assert.deepEqual(withoutHonorLabels(trusted.scrape_configs, true), expected.scrape_configs);
    assert.deepEqual(trusted.rejected, []);
  });

  it("--prometheus2 leaves out fallback_scrape_protocol", () => {
    const file = crossModelState("01_single_unit_wildcard");
    const p3 = run(["render", file]).stdout;
    const p2 = run(["render", "--prometheus2", file]).stdout;
    assert.match(p3, /fallback_scrape_protocol/);
    assert.doesNotMatch(p2, /fallback_scrape_protocol/);
  });
});

describe("prometheus-scrape provide (subprocess)", () => {
  const dir = join(FIX, "provider");
  const files = readdirSync(dir).filter((f) => f.endsWith(".json") && !f.endsWith(".expected.json"));
  for (const file of files.sort()) {
    it(`${file}: prints the bags the target writes, same as in process`, () => {
      const r = run(["provide", ...ENV_FLAGS, join(dir, file)]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as {
        relations: Record<string, { app_data: Record<string, string>; unit_data: unknown }>;
      };
      const expected = JSON.parse(
        readFileSync(join(dir, file.replace(/\.json$/, ".expected.json")), "utf8"),
      ) as {
        relations: Record<string, { app_data: Record<string, string>; unit_data: unknown }>;
      };
      for (const [id, exp] of Object.entries(expected.relations)) {
        assert.deepEqual(out.relations[id]!.unit_data, exp.unit_data);
        assert.equal(out.relations[id]!.app_data.scrape_jobs, exp.app_data.scrape_jobs);
        assert.equal(out.relations[id]!.app_data.scrape_metadata, exp.app_data.scrape_metadata);
      }
      const inProcess = provideFromState(JSON.parse(readFileSync(join(dir, file), "utf8")), {
        rulesRoot: join(dir, "rules"),
        baseDir: dir,
        charmName: "target-charm",
        bindAddress: "10.0.0.10",
        fqdn: "target-0.target-endpoints.model.svc.cluster.local",
      });
      assert.deepEqual(out, JSON.parse(JSON.stringify(inProcess)));
    });
  }
});

describe("prometheus-scrape errors", () => {
  it("exits 1 with a message for a missing or malformed state file", async () => {
    const missing = run(["render", "/nonexistent/state.json"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read \/nonexistent\/state\.json/);
    const err: string[] = [];
    const code = await main(["provide", join(FIX, "consumer", "01_single_unit_wildcard.json")], {
      out: () => {},
      err: (t) => err.push(t),
    });
    assert.equal(code, 1);
    assert.match(err.join(""), /'app' must be a string/);
  });

  it("exits 2 on bad usage, naming the problem, and 0 with the usage for help", () => {
    const r = run(["frobnicate"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
    const bad = run(["render", "--bogus", "x.json"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Unknown option '--bogus'/);
    const none = run(["render"]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /render: missing argument <file>/);
    const help = run(["render", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: prometheus-scrape <command>/);
  });
});

describe("prometheus-scrape start-up (bundle and code cache)", () => {
  const state = crossModelState("23_mixed_wildcard_and_explicit_targets");

  it("writes V8's code cache on the first run and gives the same output with it", () => {
    rmSync(CODE_CACHE, { force: true });
    const first = run(["render", "--compact", state]);
    assert.equal(first.code, 0, first.stderr);
    assert.ok(existsSync(CODE_CACHE), "the first run leaves a code cache");
    const size = statSync(CODE_CACHE).size;
    assert.ok(size > 10_000, `a code cache of ${size} bytes holds the compiled bundle`);
    const second = run(["render", "--compact", state]);
    assert.equal(second.stdout, first.stdout);
    assert.equal(statSync(CODE_CACHE).size, size, "a second run of the same command does not rewrite it");
    assert.equal(run(["help"]).code, 0);
    const header = (b: Buffer) => JSON.parse(b.subarray(0, b.indexOf(10)).toString("utf8")).keys;
    assert.deepEqual(header(readFileSync(CODE_CACHE)), ["render", "help"], "another command adds itself");
  });

  it("replaces a corrupt code cache and still answers correctly", () => {
    const good = run(["render", "--compact", state]);
    writeFileSync(CODE_CACHE, "not a code cache");
    const r = run(["render", "--compact", state]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, good.stdout);
    assert.ok(statSync(CODE_CACHE).size > 10_000, "the rejected cache was rewritten");
  });

  it("the TypeScript sources (no bundle) give the same output as the bundle", () => {
    const bundled = run(["render", "--compact", state]);
    const r = spawnSync(process.execPath, [BIN, "render", "--compact", state], {
      encoding: "utf8",
      env: { ...process.env, PROMETHEUS_SCRAPE_FROM_SOURCE: "1" },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, bundled.stdout);
  });
});

describe("prometheus-scrape parse cache", () => {
  const state = crossModelState("17_unit_level_rules");

  it("keeps the parses of alert expressions between runs in a private file; --no-cache skips it", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "ps-cache-")), "nested");
    const env = { ...process.env, PROMETHEUS_SCRAPE_CACHE_DIR: dir };
    const runWith = (args: string[]) =>
      spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env });
    const file = join(dir, "promql-parse-cache.json");

    const bare = runWith(["render", "--no-cache", state]);
    assert.equal(bare.status, 0, bare.stderr);
    assert.equal(existsSync(file), false, "--no-cache writes nothing");

    const first = runWith(["render", state]);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout, bare.stdout);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const exprs = (JSON.parse(readFileSync(file, "utf8")) as { entries: [string, unknown][] }).entries.map(
      ([e]) => e,
    );
    const rules = JSON.parse(first.stdout).alert_rules as Record<
      string,
      { groups: { rules: { expr: string }[] }[] }
    >;
    assert.ok(exprs.length > 0, "the rule expressions were kept");

    // The second run answers from the cache, identically, and has nothing new to write.
    const before = statSync(file).mtimeMs;
    const second = runWith(["render", state]);
    assert.equal(second.stdout, first.stdout);
    assert.equal(statSync(file).mtimeMs, before);
    assert.ok(Object.keys(rules).length > 0);
  });
});

describe("prometheus-scrape output", () => {
  it("a large output reaches a slow reader whole", async () => {
    // 300 copies of a fixture's relations: several times what a pipe buffer holds.
    const base = JSON.parse(readFileSync(crossModelState("17_unit_level_rules"), "utf8")) as {
      relations: Record<string, unknown>[];
    };
    const relations = [];
    for (let i = 0; i < 300; i++)
      for (const rel of base.relations) relations.push({ ...rel, id: i * 10 + Number(rel.id) });
    const state = { ...base, relations };
    const file = join(mkdtempSync(join(tmpdir(), "ps-big-")), "state.json");
    writeFileSync(file, JSON.stringify(state));
    const child = spawn(process.execPath, [BIN, "render", file], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pause();
    await new Promise((r) => setTimeout(r, 300));
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stdout.resume();
    const code = await new Promise<number | null>((r) => child.on("close", r));
    assert.equal(code, 0);
    const text = Buffer.concat(chunks).toString("utf8");
    assert.ok(text.length > 4 * 65_536, `${text.length} bytes, several pipe buffers`);
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(renderFromState(state))));
  });
});
