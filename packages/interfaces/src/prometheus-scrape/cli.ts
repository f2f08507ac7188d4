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

import { mkdirSync, readFileSync, writeSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Databag } from "@charmkit/ops";
import { isRecord } from "../common/result.js";
import { consume, type LocalModel, type ScrapeRelation } from "./consumer.js";
import { loadParseCacheFile, saveParseCacheFile } from "./parse-cache-file.js";
import { bag, isStringBag, optStr, relationId, relationsOf, StateFormatError, str } from "./state-format.js";

export { StateFormatError } from "./state-format.js";

// --- render -------------------------------------------------------------------------------------

/**
 * Turns a consumer state (the fixtures' format) into the relations `consume` reads, with the
 * remote model's uuid where the state gives one (`remote_model_uuid`, a cross-model relation).
 */
export function consumerSnapshots(state: unknown, endpoint = "metrics-endpoint"): ScrapeRelation[] {
  if (!isRecord(state)) throw new StateFormatError("state must be a JSON object");
  return relationsOf(state).map((rel, i) => {
    const units = rel.units ?? {};
    if (!isRecord(units)) throw new StateFormatError(`'relations[${i}].units' must be an object`);
    const remoteUnitsData: Record<string, Databag> = {};
    for (const name in units) {
      const data = units[name];
      remoteUnitsData[name] = isStringBag(data) ? data : bag(data, `relations[${i}].units.${name}`);
    }
    return {
      id: relationId(rel, i),
      endpoint,
      remoteModelUuid: optStr(rel.remote_model_uuid, `relations[${i}].remote_model_uuid`),
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

/** Options of {@link renderFromState}. */
export interface RenderOptions {
  /**
   * What the charm passes for Prometheus 3 (true) or 2 (false, which also checks rules for
   * Prometheus 2). Overrides the state's `config.fallback_scrape_protocol`; default true.
   */
  readonly fallbackScrapeProtocol?: boolean;
  /** Overrides the state's `config.trusted_aggregators` (the charm option's comma-separated form). */
  readonly trustedAggregators?: readonly string[];
}

/** The comma-separated application names of a `trusted_aggregators` value. */
export function parseTrustedAggregators(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** The state's model (`{name, uuid}`), which pinned relations are held to. */
function stateModel(state: Record<string, unknown>): LocalModel {
  const m = state.model;
  if (!isRecord(m)) throw new StateFormatError("'model' must be an object {name, uuid}");
  return { name: str(m.name, "model.name"), uuid: str(m.uuid, "model.uuid") };
}

/**
 * Runs the consumer on a consumer state as the charm would: the scrape configs, the rule files
 * keyed like the Python library's `alerts` (`{identifier}_{endpoint}_{id}`; the file on disk is
 * `juju_{key}.rules`), and the rejections. Relations are pinned to the state's model and their
 * remote application unless named in `config.trusted_aggregators` (or `opts.trustedAggregators`).
 * `config.fallback_scrape_protocol` (a boolean) says whether the jobs get Prometheus 3's fallback
 * protocol, as the charm decides from the Prometheus version it runs.
 */
export function renderFromState(state: unknown, opts: RenderOptions = {}): RenderOutput {
  if (!isRecord(state)) throw new StateFormatError("state must be a JSON object");
  if (state.config !== undefined && !isRecord(state.config))
    throw new StateFormatError("'config' must be an object of charm options");
  const config = isRecord(state.config) ? state.config : {};
  const configured = optStr(config.trusted_aggregators, "config.trusted_aggregators");
  const stateFallback = config.fallback_scrape_protocol;
  if (stateFallback !== undefined && typeof stateFallback !== "boolean")
    throw new StateFormatError(
      `'config.fallback_scrape_protocol' must be true or false, not ${JSON.stringify(stateFallback)}`,
    );
  const fallback = opts.fallbackScrapeProtocol ?? stateFallback ?? true;
  const result = consume(consumerSnapshots(state), {
    model: stateModel(state),
    trustedAggregators: opts.trustedAggregators ?? parseTrustedAggregators(configured ?? ""),
    fallbackScrapeProtocol: fallback,
    prometheusMajor: fallback ? 3 : 2,
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

let stdoutStreamUsed = false;

/** Whether output went through `process.stdout` (which may still hold some), not only write(2). */
export function usedStdoutStream(): boolean {
  return stdoutStreamUsed;
}

/**
 * Writes to standard output with plain write(2) calls: creating `process.stdout` costs about a
 * millisecond, a good part of a small run. When the descriptor is non-blocking and full (EAGAIN),
 * the rest goes through `process.stdout`, which waits for it; when the reader has gone (EPIPE,
 * e.g. `| head`), the rest is dropped quietly.
 */
function writeStdout(text: string): void {
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  try {
    while (off < buf.length) off += writeSync(1, buf, off);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EPIPE") return;
    if (code !== "EAGAIN") throw e;
    stdoutStreamUsed = true;
    process.stdout.on("error", () => {});
    process.stdout.write(buf.subarray(off));
  }
}

const STDIO: CliIo = {
  out: writeStdout,
  err: (t) => process.stderr.write(t),
};

const USAGE = `Usage: prometheus-scrape <command> [options] <file>

Run the prometheus_scrape library on a captured model state and print JSON.

Commands:
  render <file>   consumer state (fixtures/consumer format) -> {scrape_configs, alert_rules, rejected}
    --prometheus2           output for Prometheus 2: no fallback_scrape_protocol, rules checked
                            against Prometheus 2's functions and keys (default: the state's
                            config.fallback_scrape_protocol, true when absent)
    --trusted-aggregators <a,b>
                            applications allowed to speak for others (default: the state's
                            config.trusted_aggregators); every other relation is pinned to the
                            state's model and its own application
    --compact               print JSON on one line
  provide <file>  provider state (fixtures/provider format) -> the app and unit bags it would write,
                  plus problems
    --rules-root <dir>      where @prom_tests/DIR resolves (default: <file dir>/rules)
    --charm-name <name>     charm name when the state has none (default: the app name)
    --bind-address <ip>     bind address when the state has none (default: none, so the fqdn is used)
    --fqdn <name>           this host's fqdn when the state has none (default: os.hostname())
    --compact               print JSON on one line
  help            print this text

Every command also takes --no-cache: do not read or write the PromQL parse cache, kept between
runs in $PROMETHEUS_SCRAPE_CACHE_DIR, else $XDG_CACHE_HOME/prometheus-scrape, else
~/.cache/prometheus-scrape (a directory only you can read and write).
`;

type OptionSpec = Record<string, { type: "string" | "boolean" }>;

/**
 * Where the command keeps its PromQL parse cache (see `parse-cache-file.ts`): like the charm, it
 * parses the same alert expressions run after run. The directory is created private (0700); the
 * file is trusted as the user's own. `undefined` when there is nowhere to keep it.
 */
function parseCachePath(): string | undefined {
  const env = process.env;
  let dir = env.PROMETHEUS_SCRAPE_CACHE_DIR;
  if (!dir) {
    const base = env.XDG_CACHE_HOME || (homedir() ? join(homedir(), ".cache") : "");
    if (!base) return undefined;
    dir = join(base, "prometheus-scrape");
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return undefined;
  }
  return join(dir, "promql-parse-cache.json");
}

const COMMANDS: Record<string, OptionSpec> = {
  render: {
    prometheus2: { type: "boolean" },
    "trusted-aggregators": { type: "string" },
    compact: { type: "boolean" },
    "no-cache": { type: "boolean" },
  },
  provide: {
    "no-cache": { type: "boolean" },
    "rules-root": { type: "string" },
    "charm-name": { type: "string" },
    "bind-address": { type: "string" },
    fqdn: { type: "string" },
    compact: { type: "boolean" },
  },
};

/**
 * Runs the CLI on `argv` (without `node` and the script). Resolves to the exit code: 0 on success,
 * 1 for a bad state file, 2 for bad usage.
 *
 * Arguments are parsed with Node's own `util.parseArgs`: two commands with a few flags do not need
 * a parser library, and every run of the command pays for loading one.
 */
export async function main(argv: readonly string[], io: CliIo = STDIO): Promise<number> {
  const usage = (message: string): number => {
    io.err(`prometheus-scrape: ${message}\n\n${USAGE}`);
    return 2;
  };
  const [command, ...rest] = argv;
  if (command === undefined) return usage("a command is required");
  if (command === "help" || command === "--help" || command === "-h") {
    io.out(USAGE);
    return 0;
  }
  const spec = COMMANDS[command];
  if (spec === undefined) return usage(`unknown command '${command}'`);
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: { ...spec, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    return usage((e as Error).message);
  }
  if (values.help === true) {
    io.out(USAGE);
    return 0;
  }
  const [file, ...extra] = positionals;
  if (file === undefined) return usage(`${command}: missing argument <file>`);
  if (extra.length > 0) return usage(`${command}: unexpected argument '${extra[0]}'`);
  const compact = values.compact === true;
  const cache = values["no-cache"] === true ? undefined : parseCachePath();
  if (cache !== undefined) loadParseCacheFile(cache);
  try {
    let output: unknown;
    if (command === "render") {
      const trusted = values["trusted-aggregators"];
      output = renderFromState(readState(file), {
        ...(values.prometheus2 === true ? { fallbackScrapeProtocol: false } : {}),
        ...(typeof trusted === "string" ? { trustedAggregators: parseTrustedAggregators(trusted) } : {}),
      });
    } else {
      // Loaded only for `provide`: it brings the rule-file loader and its YAML parser.
      const { provideFromState } = await import("./provide-state.js");
      const baseDir = dirname(resolve(file));
      const opt = (k: string) => (typeof values[k] === "string" ? (values[k] as string) : undefined);
      output = provideFromState(readState(file), {
        rulesRoot: opt("rules-root") ?? resolve(baseDir, "rules"),
        baseDir,
        charmName: opt("charm-name"),
        bindAddress: opt("bind-address"),
        fqdn: opt("fqdn") ?? hostname(),
      });
    }
    io.out(`${compact ? JSON.stringify(output) : JSON.stringify(output, null, 2)}\n`);
    if (cache !== undefined) saveParseCacheFile(cache);
    return 0;
  } catch (e) {
    if (!(e instanceof StateFormatError || (e as Error).name === "TopologyError")) throw e;
    const message = (e as Error).message;
    io.err(`prometheus-scrape: ${message.includes(file) ? message : `${file}: ${message}`}\n`);
    return 1;
  }
}
