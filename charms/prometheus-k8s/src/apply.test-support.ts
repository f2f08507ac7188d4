/**
 * Test support for apply: a workload whose filesystem is a temp directory, with the promtool it
 * runs passed in (the unit tests' in-memory {@link fakePromtool}, the integration tests' real
 * binary), a reload client that records its calls, and the wanted state the tests start from.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { ConfigValue } from "@charmkit/ops";
import type { Desired, ExecResult, PrometheusApi, ReloadResult, Workload } from "./apply.js";
import { configOf } from "./config.test-support.js";
import { prometheusCommand } from "./flags.js";
import { buildLayer, type PrometheusLayer } from "./layer.js";
import { type RenderInput, renderConfig } from "./render.js";
import { renderRuleFiles } from "./rules.js";

/** Answers a promtool command run in `w` (`argv` names the workload's paths). */
export type Promtool = (w: DirWorkload, argv: readonly string[]) => ExecResult;

/** A workload whose filesystem is a directory under `parent`; promtool is `promtool`. */
export class DirWorkload implements Workload {
  readonly root: string;
  planned: Record<string, unknown> | undefined;
  running = false;
  writes: string[] = [];
  replans = 0;
  restarts = 0;
  /** Whether the workload has promtool at all. */
  hasPromtool = true;
  failWrites = false;
  execs: string[][] = [];
  logTargets: Record<string, { services?: readonly string[] }> = {};

  constructor(
    parent: string,
    private readonly promtool: Promtool,
  ) {
    this.root = mkdtempSync(join(parent, "wl-"));
  }
  /** Where the workload's `path` is on this machine. */
  at(path: string): string {
    return join(this.root, path);
  }
  async read(p: string) {
    try {
      return readFileSync(this.at(p), "utf8");
    } catch {
      return undefined;
    }
  }
  async write(p: string, c: string) {
    if (this.failWrites) throw new Error("pebble: connection refused");
    mkdirSync(dirname(this.at(p)), { recursive: true });
    writeFileSync(this.at(p), c);
    this.writes.push(p);
  }
  async remove(p: string) {
    rmSync(this.at(p), { recursive: true, force: true });
  }
  async list(dir: string) {
    try {
      return readdirSync(this.at(dir))
        .filter((n) => statSync(join(this.at(dir), n)).isFile())
        .map((n) => `${dir}/${n}`);
    } catch {
      return [];
    }
  }
  async exists(p: string) {
    if (p === "/usr/bin/promtool") return this.hasPromtool;
    return existsSync(this.at(p));
  }
  async exec(argv: readonly string[]): Promise<ExecResult> {
    this.execs.push([...argv]);
    return this.promtool(this, argv);
  }
  async plannedService() {
    return this.planned;
  }
  async serviceRunning() {
    return this.running;
  }
  async addLayer(_label: string, layer: PrometheusLayer) {
    this.planned = { ...layer.services.prometheus };
  }
  async replan() {
    this.replans++;
    this.running = true;
  }
  async restart() {
    this.restarts++;
    this.running = true;
  }
  async plannedLogTargets() {
    return this.logTargets;
  }
  async addLogTargets(_label: string, targets: Record<string, { services?: readonly string[] }>) {
    this.logTargets = { ...this.logTargets, ...targets };
  }
}

/** What {@link fakePromtool} refuses: any rule file or configuration holding this text. */
export const REFUSED = "refused_by_promtool";

/**
 * promtool as far as apply's logic needs it, in memory: a rule file or configuration holding
 * {@link REFUSED} is refused, anything else passes, with the real promtool's layout
 * (`Checking <file>` on stdout, `FAILED:` and the reason on stderr). `check config` also checks
 * the rule files the configuration's `rule_files` glob names, as the real one does.
 */
export const fakePromtool: Promtool = (w, argv) => {
  const checkRules = (files: readonly string[]) => {
    let stdout = "";
    let stderr = "";
    for (const f of files) {
      const text = readFileSync(w.at(f), "utf8");
      stdout += `Checking ${f}\n`;
      if (text.includes(REFUSED)) stderr += `  FAILED:\n${f}: group "g", rule 1: ${REFUSED}\n`;
      else stdout += "  SUCCESS: 1 rules found\n\n";
    }
    return { stdout, stderr };
  };
  if (argv[1] === "check" && argv[2] === "rules") {
    const r = checkRules(argv.slice(3));
    return { exitCode: r.stderr === "" ? 0 : 1, ...r };
  }
  const file = argv[3]!;
  const config = readFileSync(w.at(file), "utf8");
  if (config.includes(REFUSED))
    return {
      exitCode: 1,
      stdout: `Checking ${file}\n`,
      stderr: `  FAILED: parsing YAML file ${file}: ${REFUSED}\n`,
    };
  // A glob that matches nothing (no directory) is no rule file, as for the real promtool.
  const dir = /rule_files:\n- (\S+)\/juju_\*\.rules/.exec(config)?.[1];
  const names = dir !== undefined && existsSync(w.at(dir)) ? readdirSync(w.at(dir)).sort() : [];
  const rules = names.filter((n) => n.startsWith("juju_") && n.endsWith(".rules")).map((n) => `${dir}/${n}`);
  const r = checkRules(rules);
  return { exitCode: r.stderr === "" ? 0 : 1, stdout: `Checking ${file}\n${r.stdout}`, stderr: r.stderr };
};

/** Records reload calls and answers `result`. */
export class FakeApi implements PrometheusApi {
  calls = 0;
  constructor(public result: ReloadResult = { kind: "ok" }) {}
  async reload() {
    this.calls++;
    return this.result;
  }
}

export const INPUT: RenderInput = {
  topology: {
    model: "cos",
    modelUuid: "c2e9f4d5-dcb3-4870-8509-330eb9745ee8",
    application: "prometheus",
    unit: "prometheus/0",
  },
  fqdn: "localhost",
  tls: false,
  evaluationInterval: "1m",
  maxExemplars: 0,
  jobs: [{ job_name: "zinc", metrics_path: "/metrics", static_configs: [{ targets: ["10.0.0.1:4080"] }] }],
  alertmanagers: [],
  prometheusMajor: 2,
};

export const GOOD_RULES = renderRuleFiles({
  "cos_c2e9f4d5_zinc_metrics-endpoint_1": {
    groups: [{ name: "g", rules: [{ alert: "Down", expr: "up < 1" }] }],
  },
});

/** The wanted state from {@link INPUT} with `over`, `rules`, and the config options `options`. */
export function desired(
  over: Partial<RenderInput> = {},
  rules = GOOD_RULES,
  options: Readonly<Record<string, ConfigValue>> = {},
): Desired {
  const { config } = configOf(options);
  return {
    config: renderConfig({ ...INPUT, ...over }).config,
    ruleFiles: rules,
    extraFiles: {},
    absentFiles: ["/etc/prometheus/prometheus-web-config.yml"],
    layer: buildLayer(prometheusCommand({ config, externalUrl: "http://localhost:9090", tls: false })),
  };
}
