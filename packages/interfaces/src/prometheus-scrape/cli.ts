/**
 * `prometheus-scrape`: run the library on a captured model state from the command line.
 *
 * - `render FILE`: a Prometheus-side state (the fixtures' consumer format) to the scrape configs and
 *   alert rule files Prometheus would load, plus what was rejected.
 * - `provide FILE`: a target-side state (the fixtures' provider format) to the app and unit bags the
 *   target would write, plus the rule files it skipped.
 *
 * Output is JSON on stdout. Both commands are thin wrappers around exported functions, which the
 * tests and the benchmark call in process.
 */

import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, isAbsolute, resolve } from "node:path";
import type { Databag, RelationSnapshot } from "@charmkit/ops";
import { isRecord } from "../common/result.js";
import { consume } from "./consumer.js";
import type { ScrapeJob } from "./jobs.js";
import {
  buildProviderAppData,
  buildProviderUnitData,
  type FeedbackParse,
  parseProviderFeedback,
  visibleKeys,
} from "./provider.js";
import { providerAlertRules, type RuleFileSource, type RulesProblem } from "./rules.js";
import { JujuTopology } from "./topology.js";

/** Thrown for a state file that is not in the expected format; the message names the field. */
export class StateFormatError extends Error {
  override readonly name = "StateFormatError";
}

function str(v: unknown, field: string): string {
  if (typeof v !== "string") throw new StateFormatError(`'${field}' must be a string`);
  return v;
}

function optStr(v: unknown, field: string): string | undefined {
  return v === undefined || v === null ? undefined : str(v, field);
}

function bag(v: unknown, field: string): Databag {
  if (v === undefined || v === null) return {};
  if (!isRecord(v)) throw new StateFormatError(`'${field}' must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) out[k] = str(val, `${field}.${k}`);
  return out;
}

function relationsOf(state: Record<string, unknown>): Record<string, unknown>[] {
  const rels = state.relations ?? [];
  if (!Array.isArray(rels) || !rels.every(isRecord))
    throw new StateFormatError("'relations' must be a list of objects");
  return rels;
}

function relationId(rel: Record<string, unknown>, i: number): number {
  if (!Number.isInteger(rel.id)) throw new StateFormatError(`'relations[${i}].id' must be an integer`);
  return rel.id as number;
}

// --- provide ------------------------------------------------------------------------------------

/** Environment facts a provider state file may leave out, and where `@prom_tests/` points. */
export interface ProvideEnv {
  /** Directory that `@prom_tests/DIR` rule paths resolve in. */
  readonly rulesRoot: string;
  /** Directory relative `alert_rules_path` values resolve against. */
  readonly baseDir: string;
  /** Charm name when the state has no `charm_name`. */
  readonly charmName?: string | undefined;
  /** Bind address when the state has no `bind_address`. */
  readonly bindAddress?: string | undefined;
  /** `socket.getfqdn()` of the target when the state has no `fqdn`. */
  readonly fqdn: string;
}

/** What `provide` prints: per relation id, the bags the target writes (only non-empty keys). */
export interface ProvideOutput {
  relations: Record<string, { app_data?: Record<string, string>; unit_data: Record<string, string> }>;
  problems: RulesProblem[];
  feedback: Record<string, FeedbackParse>;
}

/**
 * Computes what a `MetricsEndpointProvider` unit would write for a provider state:
 * `{model:{name,uuid}, app, unit_id?, leader? (default true), charm_name?, bind_address?, fqdn?,
 * external_url?, jobs?, alert_rules_path?, alert_rule_files?: {relpath: text},
 * forward_alert_rules?, recursive?, relations:[{id, remote_app, units, app_data?}]}`.
 *
 * @throws StateFormatError when the state is malformed (bad rule files are `problems`, not errors).
 */
export function provideFromState(state: unknown, env: ProvideEnv): ProvideOutput {
  if (!isRecord(state)) throw new StateFormatError("state must be a JSON object");
  if (!isRecord(state.model)) throw new StateFormatError("'model' must be an object");
  const app = str(state.app, "app");
  const unitId = state.unit_id ?? 0;
  if (!Number.isInteger(unitId)) throw new StateFormatError("'unit_id' must be an integer");
  const unitName = `${app}/${unitId as number}`;
  const leader = state.leader === undefined ? true : state.leader === true;
  const charmName = optStr(state.charm_name, "charm_name") ?? env.charmName ?? app;
  const topology = new JujuTopology(
    str(state.model.name, "model.name"),
    str(state.model.uuid, "model.uuid"),
    app,
    unitName,
    charmName,
  );
  const jobs = state.jobs ?? [];
  if (!Array.isArray(jobs) || !jobs.every(isRecord))
    throw new StateFormatError("'jobs' must be a list of objects");

  let files: RuleFileSource[] | undefined;
  if (state.alert_rule_files !== undefined) {
    files = Object.entries(bag(state.alert_rule_files, "alert_rule_files")).map(([path, text]) => ({
      path,
      text,
    }));
  }
  const rulesPath = optStr(state.alert_rules_path, "alert_rules_path") ?? "./src/prometheus_alert_rules";
  const rulesDir = rulesPath.startsWith("@prom_tests/")
    ? resolve(env.rulesRoot, rulesPath.slice("@prom_tests/".length))
    : isAbsolute(rulesPath)
      ? rulesPath
      : resolve(env.baseDir, rulesPath);
  const rules = leader
    ? providerAlertRules({
        topology,
        files,
        rulesDir,
        forwardAlertRules: state.forward_alert_rules !== false,
        recursive: state.recursive !== false,
      })
    : { groups: [], problems: [] };
  const appData = leader
    ? buildProviderAppData({ topology, jobs: jobs as ScrapeJob[], alertRules: rules.groups })
    : undefined;
  const unitData = visibleKeys(
    buildProviderUnitData({
      address: optStr(state.bind_address, "bind_address") ?? env.bindAddress,
      unitName,
      externalUrl: optStr(state.external_url, "external_url"),
      fqdn: optStr(state.fqdn, "fqdn") ?? env.fqdn,
    }),
  );
  const out: ProvideOutput = { relations: {}, problems: rules.problems, feedback: {} };
  relationsOf(state).forEach((rel, i) => {
    const id = String(relationId(rel, i));
    out.relations[id] = appData ? { app_data: { ...appData }, unit_data: unitData } : { unit_data: unitData };
    if (leader && rel.app_data !== undefined)
      out.feedback[id] = parseProviderFeedback(bag(rel.app_data, "app_data"));
  });
  return out;
}

// --- render -------------------------------------------------------------------------------------

/** Turns a consumer state (the fixtures' format) into the relation snapshots `consume` reads. */
export function consumerSnapshots(state: unknown, endpoint = "metrics-endpoint"): RelationSnapshot[] {
  if (!isRecord(state)) throw new StateFormatError("state must be a JSON object");
  return relationsOf(state).map((rel, i) => {
    const units = rel.units ?? {};
    if (!isRecord(units)) throw new StateFormatError(`'relations[${i}].units' must be an object`);
    const remoteUnitsData: Record<string, Databag> = {};
    for (const [name, data] of Object.entries(units)) {
      remoteUnitsData[name] = bag(data, `relations[${i}].units.${name}`);
    }
    return {
      id: relationId(rel, i),
      endpoint,
      remoteApp: optStr(rel.remote_app, `relations[${i}].remote_app`),
      remoteAppData: bag(rel.app_data, `relations[${i}].app_data`),
      remoteUnitsData,
      localAppData:
        rel.local_app_data === undefined
          ? undefined
          : bag(rel.local_app_data, `relations[${i}].local_app_data`),
    };
  });
}

/** What `render` prints. */
export interface RenderOutput {
  scrape_configs: unknown[];
  alert_rules: Record<string, unknown>;
  rejected: unknown[];
}

/**
 * Runs the consumer on a consumer state: the scrape configs, the rule files keyed like the Python
 * library's `alerts` (`{identifier}_{endpoint}_{id}`; the file on disk is `juju_{key}.rules`), and
 * the rejections. `fallbackScrapeProtocol` (default true) is what the charm passes for Prometheus 3.
 */
export function renderFromState(
  state: unknown,
  opts: { fallbackScrapeProtocol?: boolean } = {},
): RenderOutput {
  const result = consume(consumerSnapshots(state), {
    fallbackScrapeProtocol: opts.fallbackScrapeProtocol ?? true,
  });
  const alertRules: Record<string, unknown> = {};
  for (const file of result.ruleFiles) alertRules[file.key] = { groups: file.groups };
  return { scrape_configs: result.jobs, alert_rules: alertRules, rejected: result.rejected };
}

// --- command line -------------------------------------------------------------------------------

function readState(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new StateFormatError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new StateFormatError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const STDIO: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/**
 * Runs the CLI on `argv` (without `node` and the script). Resolves to the exit code: 0 on success,
 * 1 for a bad state file, 2 for bad usage.
 */
export async function main(argv: readonly string[], io: CliIo = STDIO): Promise<number> {
  // Loaded here, not at the top, so importing the library (which re-exports this file) stays cheap.
  const { Command, CommanderError } = await import("commander");
  let code = 0;
  const print = (value: unknown, compact: boolean): void =>
    io.out(`${compact ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`);
  const guard = (fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof StateFormatError || (e as Error).name === "TopologyError")) throw e;
      io.err(`prometheus-scrape: ${(e as Error).message}\n`);
      code = 1;
    }
  };
  const program = new Command("prometheus-scrape")
    .description("Run the prometheus_scrape library on a captured model state and print JSON")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  program
    .command("render")
    .description("consumer state -> {scrape_configs, alert_rules, rejected}")
    .argument("<file>", "consumer state JSON (fixtures/consumer format)")
    .option("--prometheus2", "leave out fallback_scrape_protocol (Prometheus 2 rejects it)")
    .option("--compact", "print JSON on one line")
    .action((file: string, opts: { compact?: boolean; prometheus2?: boolean }) => {
      guard(() =>
        print(
          renderFromState(readState(file), { fallbackScrapeProtocol: opts.prometheus2 !== true }),
          opts.compact === true,
        ),
      );
    });
  program
    .command("provide")
    .description("provider state -> the app and unit bags it would write, plus problems")
    .argument("<file>", "provider state JSON (fixtures/provider format)")
    .option("--rules-root <dir>", "where @prom_tests/DIR resolves (default: <file dir>/rules)")
    .option("--charm-name <name>", "charm name when the state has none (default: the app name)")
    .option(
      "--bind-address <ip>",
      "bind address when the state has none (default: none, so the fqdn is used)",
    )
    .option("--fqdn <name>", "this host's fqdn when the state has none (default: os.hostname())")
    .option("--compact", "print JSON on one line")
    .action(
      (
        file: string,
        opts: {
          rulesRoot?: string;
          charmName?: string;
          bindAddress?: string;
          fqdn?: string;
          compact?: boolean;
        },
      ) => {
        const baseDir = dirname(resolve(file));
        guard(() =>
          print(
            provideFromState(readState(file), {
              rulesRoot: opts.rulesRoot ?? resolve(baseDir, "rules"),
              baseDir,
              charmName: opts.charmName,
              bindAddress: opts.bindAddress,
              fqdn: opts.fqdn ?? hostname(),
            }),
            opts.compact === true,
          ),
        );
      },
    );
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return code;
}
