/**
 * The charm's config rules. The SDK's `config.load()` checks every option against its type in
 * charmcraft.yaml and fills in the defaults ({@link CharmcraftOptions}, generated from it); what
 * is left here is what no schema can say: Prometheus' duration syntax, the retention percentage,
 * log levels, Kubernetes quantities, application names and the exemplar floor. A bad value is
 * never fatal: it yields a {@link ConfigProblem} naming the option and the accepted form, and the
 * option falls back to a safe value (as the Python charm does), so the rest still applies.
 */
import type { Config } from "@charmkit/ops";
import type { CharmcraftOptions } from "./charmcraft.gen.js";

/** Log levels Prometheus accepts for `--log.level`. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "fatal"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Prometheus duration as the Python charm accepts it: one unit only, so `1h30m` is rejected. */
export const TIMESPEC_RE = /^(0|[0-9]+(y|w|d|h|m|s|ms))$/;

/** A Kubernetes resource quantity (`500m`, `1.5`, `1Gi`, `2e3`). */
export const QUANTITY_RE = /^([0-9]+(\.[0-9]*)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$/;

/** A Juju application name (also `remote-<hex>`, how an offering model names a consumer). */
export const APP_NAME_RE = /^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*$|^remote-[0-9a-f]+$/;

/** Exemplar storage is never smaller than this once enabled (Python charm behaviour). */
export const MIN_EXEMPLARS = 100_000;

/** The validated config. Optional fields are absent when their flag or key must be omitted. */
export interface CharmConfig {
  readonly logLevel: LogLevel;
  /** `--storage.tsdb.retention.time`; absent when invalid. */
  readonly retentionTime?: string | undefined;
  /** `maximum_retention_size` as a ratio 0..1; absent when invalid. */
  readonly retentionSizeRatio?: number | undefined;
  readonly walCompression: boolean;
  /** `global.evaluation_interval`; absent when invalid. */
  readonly evaluationInterval?: string | undefined;
  readonly cpu?: string | undefined;
  readonly memory?: string | undefined;
  /** Max exemplars, 0 when exemplar storage is disabled. */
  readonly maxExemplars: number;
  /** Applications allowed to speak for others on metrics-endpoint (`trusted_aggregators`). */
  readonly trustedAggregators: readonly string[];
}

/** One rejected option: what was given and what to set instead. */
export interface ConfigProblem {
  readonly option: string;
  readonly value: string;
  /** Full sentence for the status line, saying what to do. */
  readonly message: string;
}

/** Result of {@link loadConfig}: always a usable config, plus what was rejected. */
export interface ParsedConfig {
  readonly config: CharmConfig;
  readonly problems: readonly ConfigProblem[];
}

function problem(option: string, value: string, accepted: string): ConfigProblem {
  return { option, value, message: `config ${option}="${value}" is invalid: set ${accepted}` };
}

/**
 * Parses `trusted_aggregators`: comma-separated application names, spaces ignored.
 * @returns the valid names, and the entries that are not application names.
 */
export function parseTrustedAggregators(value: string): { names: string[]; invalid: string[] } {
  const names: string[] = [];
  const invalid: string[] = [];
  for (const part of value.split(",")) {
    const name = part.trim();
    if (name === "") continue;
    if (!APP_NAME_RE.test(name)) invalid.push(name);
    else if (!names.includes(name)) names.push(name);
  }
  return { names, invalid };
}

/**
 * Parses `maximum_retention_size` ("80%") into a ratio.
 * @returns the ratio in 0..1, or an error text naming the accepted form.
 */
export function parseRetentionSize(value: string): { ratio: number } | { error: string } {
  const v = value.trim();
  const num = v.endsWith("%") ? v.slice(0, -1).trim() : "";
  if (!/^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(num)) return { error: "a number followed by '%', e.g. '80%'" };
  const pct = Number(num);
  if (!(pct >= 0 && pct <= 100)) return { error: "a percentage in the range 0-100, e.g. '80%'" };
  return { ratio: pct / 100 };
}

/**
 * Loads the options through the SDK (each option's type, the defaults) and applies the rules.
 * An option of the wrong type is a problem like any other and takes its default.
 */
export function loadConfig(config: Config): ParsedConfig {
  const typeProblems: ConfigProblem[] = [];
  const options = config.load<CharmcraftOptions>({
    invalid: (e) => typeProblems.push({ option: e.option, value: String(e.value), message: e.message }),
  });
  const { config: parsed, problems } = applyRules(options);
  return { config: parsed, problems: [...typeProblems, ...problems] };
}

/**
 * The rules over typed options (pure). Unknown options are ignored; `web_external_url` is
 * deprecated and ignored.
 *
 * @example
 * applyRules({ ...options, log_level: "INFO" }).config.logLevel // "info"
 */
export function applyRules(o: CharmcraftOptions): ParsedConfig {
  const problems: ConfigProblem[] = [];
  const duration = (option: keyof CharmcraftOptions, value: string, accepted: string) => {
    if (TIMESPEC_RE.test(value)) return value;
    problems.push(problem(option, value, `a number and one unit of y, w, d, h, m, s, ms ${accepted}`));
    return undefined;
  };
  const quantity = (option: "cpu" | "memory", value: string | undefined, example: string) => {
    if (value === undefined || value === "") return undefined;
    if (QUANTITY_RE.test(value.trim())) return value.trim();
    problems.push(problem(option, value, `a Kubernetes quantity such as ${example}, or unset it`));
    return undefined;
  };

  const level = o.log_level.toLowerCase();
  const known = (LOG_LEVELS as readonly string[]).includes(level);
  // Same fallback as the Python charm: the most verbose level helps diagnose the mistake.
  if (!known)
    problems.push(
      problem("log_level", o.log_level, `one of ${LOG_LEVELS.join(", ")} (using debug meanwhile)`),
    );
  const logLevel = known ? (level as LogLevel) : "debug";

  const retentionTime = duration("metrics_retention_time", o.metrics_retention_time, "(e.g. 15d), or 0");

  const size = parseRetentionSize(o.maximum_retention_size);
  if ("error" in size)
    problems.push(
      problem(
        "maximum_retention_size",
        o.maximum_retention_size,
        `${size.error}; only metrics_retention_time applies meanwhile`,
      ),
    );

  // The Python charm silently drops a bad value; we say so, and Prometheus' default (1m) applies.
  const evaluationInterval = duration(
    "evaluation_interval",
    o.evaluation_interval,
    "(e.g. 1m); using 1m meanwhile",
  );

  const cpu = quantity("cpu", o.cpu, '"1" or "500m"');
  const memory = quantity("memory", o.memory, '"1Gi" or "512Mi"');

  const exemplars = o.max_global_exemplars_per_user;

  // An invalid entry is left out (that application is pinned like any other); the valid names
  // still apply, so fixing one typo never widens trust.
  const trusted = parseTrustedAggregators(o.trusted_aggregators);
  for (const name of trusted.invalid)
    problems.push(
      problem(
        "trusted_aggregators",
        name,
        "comma-separated application names as this model knows them (e.g. cos-proxy,scrape-config)",
      ),
    );

  return {
    config: {
      logLevel,
      retentionTime,
      retentionSizeRatio: "ratio" in size ? size.ratio : undefined,
      walCompression: o.metrics_wal_compression,
      evaluationInterval,
      cpu,
      memory,
      maxExemplars: exemplars > 0 ? Math.max(exemplars, MIN_EXEMPLARS) : 0,
      trustedAggregators: trusted.names,
    },
    problems,
  };
}
