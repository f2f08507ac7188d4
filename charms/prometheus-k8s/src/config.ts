/**
 * Validation of the charm's config options (pure). Every option is checked; a bad value is never
 * fatal: it yields a {@link ConfigProblem} naming the option and the accepted form, and the option
 * falls back to a safe value (as the Python charm does), so the rest of the config still applies.
 */

/** Log levels Prometheus accepts for `--log.level`. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "fatal"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Prometheus duration as the Python charm accepts it: one unit only, so `1h30m` is rejected. */
export const TIMESPEC_RE = /^(0|[0-9]+(y|w|d|h|m|s|ms))$/;

/** A Kubernetes resource quantity (`500m`, `1.5`, `1Gi`, `2e3`). */
export const QUANTITY_RE = /^([0-9]+(\.[0-9]*)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$/;

/** A Juju application name (also `remote-<hex>`, how an offering model names a consumer). */
export const APP_NAME_RE = /^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*$|^remote-[0-9a-f]+$/;

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
    if (APP_NAME_RE.test(name)) {
      if (!names.includes(name)) names.push(name);
    } else invalid.push(name);
  }
  return { names, invalid };
}

/** Exemplar storage is never smaller than this once enabled (Python charm behaviour). */
export const MIN_EXEMPLARS = 100_000;

/** The validated, typed config. Optional fields are absent when their flag or key must be omitted. */
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

/** Result of {@link parseConfig}: always a usable config, plus what was rejected. */
export interface ParsedConfig {
  readonly config: CharmConfig;
  readonly problems: readonly ConfigProblem[];
}

/** Raw option values as Juju hands them over (`config-get --format=json`). */
export type RawConfig = Readonly<Record<string, unknown>>;

function str(raw: RawConfig, key: string, fallback: string): string {
  const v = raw[key];
  if (v === undefined || v === null) return fallback;
  return String(v);
}

function problem(option: string, value: string, accepted: string): ConfigProblem {
  return { option, value, message: `config ${option}="${value}" is invalid: set ${accepted}` };
}

/**
 * Parses `maximum_retention_size` ("80%") into a ratio.
 * @returns the ratio in 0..1, or an error text naming the accepted form.
 */
export function parseRetentionSize(value: string): { ratio: number } | { error: string } {
  const v = value.trim();
  if (!v.endsWith("%")) return { error: "a number followed by '%', e.g. '80%'" };
  const num = v.slice(0, -1).trim();
  if (!/^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(num)) return { error: "a number followed by '%', e.g. '80%'" };
  const pct = Number(num);
  if (!(pct >= 0 && pct <= 100)) return { error: "a percentage in the range 0-100, e.g. '80%'" };
  return { ratio: pct / 100 };
}

/**
 * Validates every option. Unknown options are ignored (Juju only sends declared ones).
 *
 * @example
 * parseConfig({ log_level: "INFO" }).config.logLevel // "info"
 */
export function parseConfig(raw: RawConfig): ParsedConfig {
  const problems: ConfigProblem[] = [];

  const levelRaw = str(raw, "log_level", "info");
  const level = levelRaw.toLowerCase();
  let logLevel: LogLevel = "info";
  if ((LOG_LEVELS as readonly string[]).includes(level)) {
    logLevel = level as LogLevel;
  } else {
    // Same fallback as the Python charm: the most verbose level helps diagnose the mistake.
    logLevel = "debug";
    problems.push(problem("log_level", levelRaw, `one of ${LOG_LEVELS.join(", ")} (using debug meanwhile)`));
  }

  const retentionTimeRaw = str(raw, "metrics_retention_time", "15d");
  let retentionTime: string | undefined;
  if (TIMESPEC_RE.test(retentionTimeRaw)) retentionTime = retentionTimeRaw;
  else
    problems.push(
      problem(
        "metrics_retention_time",
        retentionTimeRaw,
        "a number and one unit of y, w, d, h, m, s, ms (e.g. 15d), or 0",
      ),
    );

  const sizeRaw = str(raw, "maximum_retention_size", "80%");
  let retentionSizeRatio: number | undefined;
  const size = parseRetentionSize(sizeRaw);
  if ("ratio" in size) retentionSizeRatio = size.ratio;
  else
    problems.push(
      problem(
        "maximum_retention_size",
        sizeRaw,
        `${size.error}; only metrics_retention_time applies meanwhile`,
      ),
    );

  const walRaw = raw.metrics_wal_compression;
  let walCompression = false;
  if (typeof walRaw === "boolean") walCompression = walRaw;
  else if (walRaw === "true" || walRaw === "false") walCompression = walRaw === "true";
  else if (walRaw !== undefined && walRaw !== null)
    problems.push(problem("metrics_wal_compression", String(walRaw), "true or false"));

  const evalRaw = str(raw, "evaluation_interval", "1m");
  let evaluationInterval: string | undefined;
  // The Python charm silently drops a bad value; we say so, and Prometheus' default (1m) applies.
  if (TIMESPEC_RE.test(evalRaw)) evaluationInterval = evalRaw;
  else
    problems.push(
      problem(
        "evaluation_interval",
        evalRaw,
        "a number and one unit of y, w, d, h, m, s, ms (e.g. 1m); using 1m meanwhile",
      ),
    );

  const quantity = (key: "cpu" | "memory", example: string): string | undefined => {
    const v = raw[key];
    if (v === undefined || v === null || v === "") return undefined;
    const s = String(v).trim();
    if (QUANTITY_RE.test(s)) return s;
    problems.push(problem(key, String(v), `a Kubernetes quantity such as ${example}, or unset it`));
    return undefined;
  };
  const cpu = quantity("cpu", '"1" or "500m"');
  const memory = quantity("memory", '"1Gi" or "512Mi"');

  const exRaw = raw.max_global_exemplars_per_user;
  let maxExemplars = 0;
  const exNum = typeof exRaw === "number" ? exRaw : exRaw === undefined || exRaw === null ? 0 : Number(exRaw);
  if (!Number.isInteger(exNum)) {
    problems.push(
      problem("max_global_exemplars_per_user", String(exRaw), "an integer (0 disables exemplars)"),
    );
  } else if (exNum > 0) {
    maxExemplars = Math.max(exNum, MIN_EXEMPLARS);
  }

  // An invalid entry is left out (that application is pinned like any other); the valid names
  // still apply, so fixing one typo never widens trust.
  const trusted = parseTrustedAggregators(str(raw, "trusted_aggregators", ""));
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
      retentionSizeRatio,
      walCompression,
      evaluationInterval,
      cpu,
      memory,
      maxExemplars,
      trustedAggregators: trusted.names,
    },
    problems,
  };
}
