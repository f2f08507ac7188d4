/**
 * Runs the blind hostile-input corpus (testdata/hostile-blind, see its README.md) through both
 * black-box entry points, `prometheus-scrape render` and the charm in the state-transition
 * harness, and fails a case when any of its checks fails:
 * - no crash or hang (no answer in 20 s), each run inside its memory bound (the 2 s per case is
 *   bench/hostile-corpus.mjs' to measure: timings are not asserted in functional tests);
 * - the good relation's jobs and rule files identical to a run with the good relation alone, and
 *   the good relation never named as rejected;
 * - every label a hostile relation's scraped series or rules can end up with consistent with its
 *   true topology (unless the operator trusts it), honor_labels false, IPv6 targets bracketed;
 * - file names inside /etc/prometheus and within 255 bytes;
 * - `promtool check config` and `promtool check rules` accept everything written, and
 *   `promtool test rules` proves the hostile rules read and emit only their own application's series;
 * - the case's own expectations (relations rejected and named, kept, targets, labels...).
 *
 * `BLIND_CORPUS_ONLY=substring` runs the matching cases only; `BLIND_CORPUS_REPORT=file.json` writes
 * every case's failures there. A per-class pass/fail table goes to stderr at the end.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { after, test } from "node:test";
import {
  type Output,
  goodUnchanged,
  hostileChecks,
  hostileParts,
  type Job,
  ownerFromName,
  reportChecks,
  type RuleFile,
} from "./check.js";
import { type Case, type CaseState, GOOD_ID, goodOnly, listCases, loadCase, truths } from "./corpus.js";
import {
  buildRender,
  HANG_MS,
  Harness,
  type HarnessReply,
  RENDER_RSS_MB,
  type RenderRun,
  runRender as runRenderWith,
} from "./entrypoints.js";
import { complaint, differentialRuleTest, promtool } from "./promtool.js";
import { rulesOf } from "./topology.js";
import { readYamlLikeV2, yamlSafeJson } from "./yaml-io.js";

const CORPUS = new URL("../../testdata/hostile-blind/", import.meta.url).pathname;
// No time budget here: a functional test on a shared machine cannot tell a slow case from a busy
// machine, and the project keeps timings in bench/ (bench/hostile-corpus.mjs times every case of
// this corpus through the scrape library and the charm's hook, with the 2 s per case of issue 11).
// A run with no answer at all is still a hang (entrypoints.ts, harness-worker.ts).
const ONLY = process.env.BLIND_CORPUS_ONLY;

const work = mkdtempSync(join(tmpdir(), "hostile-blind-"));
const storageDir = join(work, "database");
mkdirSync(storageDir);
const harness = new Harness();
const renderBin = buildRender(join(work, "prometheus-scrape"));
const runRender = (stateFile: string, rssFile: string) => runRenderWith(renderBin, stateFile, rssFile);
const results: { id: string; class: string; failures: string[] }[] = [];

after(async () => {
  await harness.close();
  rmSync(work, { recursive: true, force: true });
  const byClass = new Map<string, { pass: number; fail: number }>();
  for (const r of results) {
    const e = byClass.get(r.class) ?? { pass: 0, fail: 0 };
    if (r.failures.length) e.fail++;
    else e.pass++;
    byClass.set(r.class, e);
  }
  const lines = [...byClass]
    .sort()
    .map(
      ([k, v]) => `  ${k.padEnd(22)} ${String(v.pass).padStart(4)} pass ${String(v.fail).padStart(4)} fail`,
    );
  const pass = results.filter((r) => !r.failures.length).length;
  process.stderr.write(`\nblind corpus: ${pass}/${results.length} cases pass\n${lines.join("\n")}\n`);
  if (process.env.BLIND_CORPUS_REPORT)
    writeFileSync(process.env.BLIND_CORPUS_REPORT, JSON.stringify(results, null, 1));
});

// --- the render entry point --------------------------------------------------------------------

interface Rendered {
  scrape_configs: Job[];
  alert_rules: Record<string, unknown>;
  rejected: { relationId?: number; app?: string; kind?: string; reason?: string }[];
}

function parseRendered(run: RenderRun): Rendered | string {
  if (run.hung) return `hung: killed after ${HANG_MS / 1000} s`;
  if (run.code !== 0)
    return `exit ${run.code ?? run.signal}: ${run.stderr.trim().split("\n").slice(-3).join(" | ").slice(0, 400)}`;
  try {
    const j = JSON.parse(run.stdout) as Rendered;
    if (!Array.isArray(j.scrape_configs) || typeof j.alert_rules !== "object" || !Array.isArray(j.rejected))
      return "output lacks scrape_configs, alert_rules or rejected";
    return j;
  } catch (e) {
    return `output is not JSON: ${(e as Error).message}`;
  }
}

function renderOutput(r: Rendered): Output {
  return {
    jobs: r.scrape_configs,
    rules: new Map(
      Object.entries(r.alert_rules ?? {}).map(([k, v]) => [k, { raw: JSON.stringify(v), parsed: v }]),
    ),
    reports: r.rejected.map((x) => ({
      text: String(x.reason ?? JSON.stringify(x)),
      relationId: x.relationId,
    })),
  };
}

const refKey = (s: CaseState) => JSON.stringify([s.model, s.config ?? {}, s.leader ?? true, s.relations[0]]);
const renderRefs = new Map<string, { ms: number; out: Output } | string>();

async function renderReference(c: Case, dir: string): Promise<{ ms: number; out: Output } | string> {
  const key = refKey(c.state);
  const cached = renderRefs.get(key);
  if (cached) return cached;
  const file = join(dir, "good-only.json");
  writeFileSync(file, JSON.stringify(goodOnly(c.state)));
  const runs = [await runRender(file, join(dir, "rss")), await runRender(file, join(dir, "rss"))];
  const parsed = parseRendered(runs[0] as RenderRun);
  const ref =
    typeof parsed === "string"
      ? `reference run (good relation alone) failed: ${parsed}`
      : { ms: Math.min(...runs.map((r) => r.ms)), out: renderOutput(parsed) };
  renderRefs.set(key, ref);
  return ref;
}

const jsonEqual = (a: Job, b: Job) => JSON.stringify(a) === JSON.stringify(b);

async function renderPath(
  c: Case,
  dir: string,
): Promise<{ failures: string[]; promtool: () => Promise<string[]> }> {
  const none = async () => [];
  const ref = await renderReference(c, dir);
  if (typeof ref === "string") return { failures: [ref], promtool: none };
  const file = join(dir, "state.json");
  writeFileSync(file, JSON.stringify(c.state));
  const run = await runRender(file, join(dir, "rss"));
  const failures: string[] = [];
  const parsed = parseRendered(run);
  if (typeof parsed === "string") return { failures: [`crashed: ${parsed}`], promtool: none };
  if (run.rssMb !== undefined && run.rssMb > RENDER_RSS_MB)
    failures.push(`peak RSS ${Math.round(run.rssMb)} MB (bound ${RENDER_RSS_MB} MB)`);
  const out = renderOutput(parsed);
  failures.push(...goodUnchanged(out, ref.out, jsonEqual), ...reportChecks(c, out, "render"));
  const parts = hostileParts(out, ref.out, jsonEqual);
  failures.push(...hostileChecks(c, parts, ownerFromName, undefined));
  return { failures, promtool: () => renderPromtool(c, dir, parsed, parts.rules) };
}

/** promtool on render's output, written as YAML by the runner (JSON with every non-ASCII escaped). */
async function renderPromtool(
  c: Case,
  dir: string,
  r: Rendered,
  hostileRules: Map<string, RuleFile>,
): Promise<string[]> {
  const root = join(dir, "render");
  mkdirSync(join(root, "rules"), { recursive: true });
  const files = new Map<string, string>();
  for (const [i, [key, content]] of Object.entries(r.alert_rules).entries()) {
    const f = join(root, "rules", `r${i}.rules`);
    writeFileSync(f, yamlSafeJson(content));
    files.set(key, f);
  }
  const config = join(root, "prometheus.yml");
  writeFileSync(
    config,
    yamlSafeJson({
      global: { scrape_interval: "1m", scrape_timeout: "10s", evaluation_interval: "1m" },
      rule_files: [join(root, "rules", "*.rules")],
      scrape_configs: r.scrape_configs,
    }),
  );
  // Render's tls_config fields carry PEM contents, not paths (the charm writes the files), so the
  // file-existence part of the check is left out here; the charm's output gets the full check.
  const failures = await promtoolChecks(c, config, ["--syntax-only"], files, hostileRules, root);
  return failures;
}

// --- the charm entry point ---------------------------------------------------------------------

function charmOutput(
  files: Record<string, string>,
  status: { name: string; message: string },
): Output | string {
  const text = files["/etc/prometheus/prometheus.yml"];
  if (text === undefined) return "wrote no /etc/prometheus/prometheus.yml";
  let config: Record<string, unknown>;
  try {
    config = (readYamlLikeV2(text) ?? {}) as Record<string, unknown>;
  } catch (e) {
    return `prometheus.yml is not YAML: ${(e as Error).message}`;
  }
  const rules = new Map<string, RuleFile>();
  for (const [path, raw] of Object.entries(files)) {
    if (!path.startsWith("/etc/prometheus/rules/")) continue;
    let parsed: unknown;
    try {
      parsed = readYamlLikeV2(raw);
    } catch {
      parsed = undefined;
    }
    rules.set(path, { raw, parsed });
  }
  return {
    jobs: Array.isArray(config.scrape_configs) ? (config.scrape_configs as Job[]) : [],
    rules,
    reports: [{ text: `${status.name}: ${status.message}` }],
  };
}

function configWithoutJobs(files: Record<string, string>): unknown {
  try {
    const c = readYamlLikeV2(files["/etc/prometheus/prometheus.yml"] ?? "") as Record<string, unknown>;
    const { scrape_configs: _jobs, ...rest } = c ?? {};
    return rest;
  } catch {
    return undefined;
  }
}

function fileNameChecks(base: Record<string, string>, files: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const path of Object.keys(files)) {
    if (path in base) continue;
    const name = basename(path);
    if (!path.startsWith("/etc/prometheus/"))
      problems.push(`writes ${JSON.stringify(path).slice(0, 200)}, outside /etc/prometheus`);
    if (/\/\.\.?(\/|$)|\/\//.test(path))
      problems.push(`writes a path with . or .. segments: ${JSON.stringify(path).slice(0, 200)}`);
    if (Buffer.byteLength(name) > 255)
      problems.push(
        `file name of ${Buffer.byteLength(name)} bytes (limit 255): ${JSON.stringify(name).slice(0, 80)}…`,
      );
    if (name.includes("\u0000")) problems.push(`file name with NUL: ${JSON.stringify(name).slice(0, 80)}`);
    if (path.startsWith("/etc/prometheus/rules/") && dirname(path) !== "/etc/prometheus/rules")
      problems.push(`rule file outside the rules directory: ${JSON.stringify(path).slice(0, 200)}`);
  }
  return problems;
}

async function charmPath(
  c: Case,
  dir: string,
): Promise<{ failures: string[]; promtool: () => Promise<string[]> }> {
  const none = async () => [];
  // No budget, so the worker never runs the hook a second time.
  const reply: HarnessReply = await harness.run({
    state: c.state,
    storageDir,
    timeBudgetMs: Number.POSITIVE_INFINITY,
  });
  if (!reply.ok)
    return {
      failures: [
        `${reply.phase === "baseline" ? "reference run (good relation alone) failed" : "crashed"}: ${reply.error}`,
      ],
      promtool: none,
    };
  const failures: string[] = [];
  const ref = charmOutput(reply.baseline.files, reply.baseline.status);
  if (typeof ref === "string")
    return { failures: [`reference run (good relation alone): ${ref}`], promtool: none };
  const files = reply.result.files;
  failures.push(...fileNameChecks(reply.baseline.files, files));
  const out = charmOutput(files, reply.result.status);
  if (typeof out === "string")
    return { failures: [...failures, out], promtool: () => charmPromtool(c, dir, files, new Map()) };
  if (!isDeepStrictEqual(configWithoutJobs(files), configWithoutJobs(reply.baseline.files)))
    failures.push("prometheus.yml outside scrape_configs differs from the good relation alone");
  failures.push(...goodUnchanged(out, ref, isDeepStrictEqual), ...reportChecks(c, out, "charm"));
  const parts = hostileParts(out, ref, isDeepStrictEqual);
  const written = new Set(Object.keys(files).filter((p) => !(p in reply.baseline.files)));
  const stem = (p: string) => ownerFromName(basename(p).replace(/\.rules$/, ""));
  for (const [p, f] of parts.rules)
    if (f.parsed === undefined) failures.push(`rule file ${p.slice(0, 120)} is not YAML`);
  failures.push(...hostileChecks(c, parts, stem, (p) => written.has(p)));
  return { failures, promtool: () => charmPromtool(c, dir, files, parts.rules) };
}

/** promtool on exactly what the charm wrote, placed under a scratch root (paths rewritten). */
async function charmPromtool(
  c: Case,
  dir: string,
  files: Record<string, string>,
  hostileRules: Map<string, RuleFile>,
): Promise<string[]> {
  const root = join(dir, "charm");
  const problems: string[] = [];
  const ruleFiles = new Map<string, string>();
  for (const [path, content] of Object.entries(files)) {
    const dest = join(root, path);
    try {
      mkdirSync(dirname(dest), { recursive: true });
      const text =
        path === "/etc/prometheus/prometheus.yml"
          ? content.replaceAll("/etc/prometheus/", `${root}/etc/prometheus/`)
          : content;
      writeFileSync(dest, text);
      if (path.startsWith("/etc/prometheus/rules/")) ruleFiles.set(path, dest);
    } catch (e) {
      problems.push(
        `cannot put ${JSON.stringify(path).slice(0, 120)} on a real filesystem: ${(e as Error).message.slice(0, 120)}`,
      );
    }
  }
  const config = join(root, "etc/prometheus/prometheus.yml");
  return [...problems, ...(await promtoolChecks(c, config, [], ruleFiles, hostileRules, root))];
}

/** check config, check rules (per file when one fails), and the differential rule test. */
async function promtoolChecks(
  c: Case,
  config: string,
  configFlags: string[],
  ruleFiles: Map<string, string>,
  hostileRules: Map<string, RuleFile>,
  root: string,
): Promise<string[]> {
  const problems: string[] = [];
  const [cfg, rules] = await Promise.all([
    promtool(["check", "config", ...configFlags, config]),
    ruleFiles.size
      ? promtool(["check", "rules", ...ruleFiles.values()])
      : Promise.resolve({ code: 0, stdout: "", stderr: "" }),
  ]);
  if (cfg.code !== 0) problems.push(`promtool check config refuses it: ${complaint(cfg)}`);
  const refused = new Set<string>();
  if (rules.code !== 0) {
    for (const [name, f] of ruleFiles) {
      const one = await promtool(["check", "rules", f]);
      if (one.code !== 0) {
        refused.add(name);
        problems.push(`promtool check rules refuses ${name.slice(0, 120)}: ${complaint(one)}`);
      }
    }
  }
  const all = [...truths(c.state).values()];
  for (const [name, file] of hostileRules) {
    const path = ruleFiles.get(name);
    if (!path || refused.has(name)) continue;
    const id =
      ownerFromName(basename(name).replace(/\.rules$/, "")) ??
      (all.length === 2 ? all.find((t) => t.id !== GOOD_ID)?.id : undefined);
    const owner = all.find((t) => t.id === id);
    if (!owner || owner.trusted || owner.id === GOOD_ID) continue;
    problems.push(
      ...(await differentialRuleTest({
        dir: join(root, `difftest-${owner.id}`),
        rules: rulesOf(file.parsed),
        owner,
        all,
      })),
    );
  }
  return problems;
}

// --- the cases -----------------------------------------------------------------------------------

for (const file of listCases(CORPUS)) {
  const id = basename(file, ".json");
  if (ONLY && !id.includes(ONLY)) continue;
  const head = JSON.parse(readFileSync(file, "utf8")) as { class: string; description: string };
  test(`${head.class} / ${id}: ${head.description}`, async () => {
    const c = loadCase(file);
    const dir = join(work, id);
    mkdirSync(dir, { recursive: true });
    const render = await renderPath(c, dir);
    const charm = await charmPath(c, dir);
    const [rp, cp] = await Promise.all([render.promtool(), charm.promtool()]);
    const failures = [...render.failures, ...rp]
      .map((f) => `render: ${f}`)
      .concat([...charm.failures, ...cp].map((f) => `charm: ${f}`));
    results.push({ id, class: c.class, failures });
    rmSync(dir, { recursive: true, force: true });
    assert.ok(failures.length === 0, `${c.expect.behaviour.join("; ")}\n  ${failures.join("\n  ")}`);
  });
}
