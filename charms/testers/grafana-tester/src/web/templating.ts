/**
 * Grafana's query-time templating, for the stand-in's dashboard page: time ranges and intervals,
 * template variable references and their formats, variable queries of the Prometheus datasource,
 * and the names of series. Pure functions, bundled into the page and unit-tested under Node.
 *
 * The behaviour follows Grafana's own sources: `packages/grafana-data/src/datetime/rangeutil.ts`
 * (calculateInterval, roundInterval, secondsToHms, intervalToSeconds), the Prometheus datasource's
 * `createQuery`/`adjustInterval`/`getRateIntervalScopedVariable` (`datasource.ts`) and escaping
 * (`escaping.ts`, the classic behaviour), `metric_find_query.ts` (the variable query functions)
 * and the template service's variable syntax (`$var`, `${var}`, `${var:format}`, `[[var]]`).
 */

/** The value Grafana stores for "All" in a multi-value variable. */
export const ALL_VALUE = "$__all";

/** One choice of a template variable. */
export interface VariableOption {
  readonly text: string;
  readonly value: string;
}

/** A template variable as the page resolved it. */
export interface ResolvedVariable {
  readonly name: string;
  readonly multi: boolean;
  readonly includeAll: boolean;
  /** The custom value of "All" (`allValue`); undefined when All means every option. */
  readonly allValue: string | undefined;
  /** The choices, without the "All" entry. */
  readonly options: readonly VariableOption[];
  /** The selected values, or `ALL_VALUE` alone for "All". */
  readonly current: readonly string[];
}

/** Time units of Grafana interval strings, in seconds. */
const UNIT_SECONDS: Readonly<Record<string, number>> = {
  y: 31536000,
  M: 2592000,
  w: 604800,
  d: 86400,
  h: 3600,
  m: 60,
  s: 1,
  ms: 0.001,
};

/** Raised for an interval or time string Grafana would refuse. */
export class TemplatingError extends Error {
  override readonly name = "TemplatingError";
}

/** `rangeUtil.intervalToSeconds`: `"1m"` → 60, `"15"` → 15 (a bare number is seconds). */
export function intervalToSeconds(text: string): number {
  if (Number(text)) return Number.parseInt(text, 10);
  const m = /^(-?\d+(?:\.\d+)?)(ms|[Mwdhmsy])/.exec(text);
  if (!m?.[1] || !m[2]) throw new TemplatingError(`'${text}' is not an interval (like 15s, 1m, 1h)`);
  return (UNIT_SECONDS[m[2]] ?? 1) * Number.parseInt(m[1], 10);
}

/** `rangeUtil.secondsToHms`: the largest whole unit, e.g. 60 → "1m", 90 → "1m", 0.5 → "500ms". */
export function secondsToHms(seconds: number): string {
  const units: [string, number][] = [
    ["y", 31536000],
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ];
  let rest = seconds;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n) return `${n}${unit}`;
    rest %= size;
  }
  const ms = Math.floor(seconds * 1000);
  return ms ? `${ms}ms` : "less than a millisecond";
}

/** Upper bounds (exclusive, ms) and the interval chosen below each: `rangeUtil.roundInterval`. */
const ROUNDING: readonly (readonly [number, number])[] = [
  [10, 1],
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1500, 1000],
  [3500, 2000],
  [7500, 5000],
  [12500, 10000],
  [17500, 15000],
  [25000, 20000],
  [45000, 30000],
  [90000, 60000],
  [210000, 120000],
  [450000, 300000],
  [750000, 600000],
  [1050000, 900000],
  [1500000, 1200000],
  [2700000, 1800000],
  [5400000, 3600000],
  [9000000, 7200000],
  [16200000, 10800000],
  [32400000, 21600000],
  [86400000, 43200000],
  [604800000, 86400000],
  [1814400000, 604800000],
  [3628800000, 2592000000],
];

/** `rangeUtil.roundInterval`: a raw interval in ms to one of Grafana's round intervals. */
export function roundInterval(ms: number): number {
  for (const [below, chosen] of ROUNDING) if (ms < below) return chosen;
  return 31536000000;
}

/** A dashboard's time range in epoch milliseconds. */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

/**
 * A time as Grafana writes it in a dashboard or URL: `now`, `now-6h`, `now+5m`, epoch
 * milliseconds, or an ISO date. (Rounding such as `now/d` is not supported.)
 */
export function parseTime(text: string, now: number): number {
  if (/^\d+$/.test(text)) return Number(text);
  const m = /^now(?:([-+])(\d+)(ms|[Mwdhmsy]))?$/.exec(text.trim());
  if (m) {
    if (!m[1]) return now;
    const delta = Number(m[2]) * (UNIT_SECONDS[m[3] ?? "s"] ?? 1) * 1000;
    return m[1] === "-" ? now - delta : now + delta;
  }
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw new TemplatingError(`'${text}' is not a time (like now-6h or epoch ms)`);
  return parsed;
}

/**
 * `rangeUtil.calculateInterval`: the panel's interval in ms, the range divided by the points it
 * can show (its width in pixels, or `maxDataPoints`), rounded, and never below `lowLimit` (the
 * panel's min interval, else the datasource's scrape interval).
 */
export function calculateIntervalMs(range: TimeRange, resolution: number, lowLimit?: string): number {
  const low = lowLimit ? intervalToSeconds(lowLimit) * 1000 : 1;
  const ms = roundInterval((range.to - range.from) / Math.max(1, resolution));
  return Math.max(ms, low);
}

/** One range query as Grafana's Prometheus datasource sends it. */
export interface RangeQueryPlan {
  /** Start and end, seconds, aligned to the step. */
  readonly start: number;
  readonly end: number;
  /** Step in seconds. */
  readonly step: number;
  /** The built-in variables for this query (`__interval`, `__rate_interval`, `__range`...). */
  readonly builtins: Readonly<Record<string, string>>;
}

/** What `planRangeQuery` needs to know about the panel, its target and its datasource. */
export interface RangeQueryInput {
  readonly range: TimeRange;
  /** Points the panel can show: `maxDataPoints`, else its width in pixels. */
  readonly maxDataPoints: number;
  /** The panel's `interval` (min interval), if any. */
  readonly panelInterval?: string | undefined;
  /** The target's `interval` ("Min step"), if any. */
  readonly targetInterval?: string | undefined;
  readonly intervalFactor?: number | undefined;
  /** The datasource's scrape interval (`jsonData.timeInterval`); Grafana assumes 15s without one. */
  readonly scrapeInterval?: string | undefined;
}

/**
 * Step, aligned range and built-in variables of one range query, as the Prometheus datasource's
 * `createQuery` computes them: the panel interval raised to the target's min step and to what
 * keeps a query under Prometheus' 11,000 points; `$__rate_interval` is
 * `max($__interval + scrape interval, 4 × scrape interval)`.
 */
export function planRangeQuery(q: RangeQueryInput): RangeQueryPlan {
  const dsInterval = q.scrapeInterval || "15s";
  const intervalMs = calculateIntervalMs(q.range, q.maxDataPoints, q.panelInterval || dsInterval);
  const intervalText = secondsToHms(intervalMs / 1000);
  let interval = intervalToSeconds(intervalText);
  const minInterval = intervalToSeconds(q.targetInterval || intervalText);
  let scrape = q.targetInterval ? intervalToSeconds(q.targetInterval) : intervalToSeconds(dsInterval);
  if (scrape === 0) scrape = 15;
  const start = Math.floor(q.range.from / 1000);
  const end = Math.ceil(q.range.to / 1000);
  const rangeSeconds = Math.ceil(end - start);
  let safe = rangeSeconds / 11000;
  if (safe > 1) safe = Math.ceil(safe);
  interval = Math.max(interval * (q.intervalFactor || 1), minInterval, safe);
  const rate = Math.max(interval + scrape, 4 * scrape);
  const rangeMs = q.range.to - q.range.from;
  return {
    start: Math.floor(start / interval) * interval,
    end: Math.floor(end / interval) * interval,
    step: interval,
    builtins: {
      __interval: `${interval}s`,
      __interval_ms: String(interval * 1000),
      __rate_interval: `${rate}s`,
      __range: `${Math.round(rangeMs / 1000)}s`,
      __range_s: String(Math.round(rangeMs / 1000)),
      __range_ms: String(rangeMs),
      __from: String(q.range.from),
      __to: String(q.range.to),
    },
  };
}

/** Escapes a value for a PromQL string (the datasource's `prometheusRegularEscape`, classic). */
export function prometheusRegularEscape(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/'/g, "\\\\'");
}

/** Escapes a value for a PromQL regex matcher (`prometheusSpecialRegexEscape`, classic). */
export function prometheusSpecialRegexEscape(value: string): string {
  return value.replace(/\\/g, "\\\\\\\\").replace(/[$^*{}[\]+?.()|]/g, "\\\\$&");
}

/**
 * The Prometheus datasource's default format of a variable in a query (`interpolateQueryExpr`):
 * a single-value variable as it is (string-escaped); a multi-value or All-capable one as a regex,
 * several values joined as `(a|b)`.
 */
export function prometheusFormat(
  values: readonly string[],
  v: Pick<ResolvedVariable, "multi" | "includeAll">,
): string {
  if (!v.multi && !v.includeAll) return prometheusRegularEscape(values.join(","));
  const escaped = values.map(prometheusSpecialRegexEscape);
  return escaped.length === 1 ? (escaped[0] ?? "") : `(${escaped.join("|")})`;
}

function regexEscape(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, "\\$&");
}

/** Grafana's named formats (`${var:format}`); an unknown name gives the values as they are. */
function namedFormat(values: readonly string[], format: string): string {
  switch (format) {
    case "regex":
      return values.length === 1 ? regexEscape(values[0] ?? "") : `(${values.map(regexEscape).join("|")})`;
    case "pipe":
      return values.join("|");
    case "csv":
      return values.join(",");
    case "json":
      return JSON.stringify(values.length === 1 ? values[0] : values);
    case "glob":
      return values.length === 1 ? (values[0] ?? "") : `{${values.join(",")}}`;
    case "doublequote":
      return values.map((x) => `"${x.replace(/"/g, '\\"')}"`).join(",");
    case "singlequote":
      return values.map((x) => `'${x.replace(/'/g, "\\'")}'`).join(",");
    case "percentencode":
      return encodeURIComponent(values.join(","));
    default:
      return values.join(",");
  }
}

/** A variable reference: `$name`, `[[name]]`, `[[name:format]]`, `${name}`, `${name:format}`. */
const REFERENCE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.[^:}]+)?(?::([^}]+))?\}/g;

/** The variable names `text` refers to. */
export function referencedNames(text: string): string[] {
  return [...text.matchAll(REFERENCE)].map((m) => m[1] ?? m[2] ?? m[4] ?? "").filter((n) => n !== "");
}

/** The values a variable stands for now: its selection, or for All its custom value or every option. */
export function selectedValues(v: ResolvedVariable): { values: string[]; custom: boolean } {
  if (v.current.length === 1 && v.current[0] === ALL_VALUE) {
    if (v.allValue !== undefined) return { values: [v.allValue], custom: true };
    return { values: v.options.map((o) => o.value), custom: false };
  }
  return { values: [...v.current], custom: false };
}

/**
 * Replaces every variable reference in `text`: built-ins (`$__interval`, `$__rate_interval`...)
 * as they are, a custom All value as it is, other values in the named format or, without one,
 * the Prometheus datasource's format. A reference to no known variable stays as written, as in
 * Grafana.
 */
export function interpolate(
  text: string,
  variables: ReadonlyMap<string, ResolvedVariable>,
  builtins: Readonly<Record<string, string>> = {},
): string {
  return text.replace(
    REFERENCE,
    (whole, a?: string, b?: string, bFmt?: string, c?: string, cFmt?: string) => {
      const name = a ?? b ?? c ?? "";
      const format = bFmt ?? cFmt;
      const builtin = builtins[name];
      if (builtin !== undefined) return builtin;
      const v = variables.get(name);
      if (!v) return whole;
      const { values, custom } = selectedValues(v);
      // A custom All value (e.g. `.*`) goes in untouched, with its own references filled in.
      if (custom) return interpolate(values[0] ?? "", variables, builtins);
      if (format === "raw") return values.join(",");
      if (format !== undefined) return namedFormat(values, format);
      return prometheusFormat(values, v);
    },
  );
}

/** A variable query of the Prometheus datasource (`metric_find_query.ts`), after interpolation. */
export type VariableQuery =
  | { readonly kind: "label_names" }
  | { readonly kind: "label_values"; readonly label: string; readonly metric: string | undefined }
  | { readonly kind: "metrics"; readonly regex: string }
  | { readonly kind: "query_result"; readonly query: string };

/** Parses `label_values(up, job)`, `label_values(job)`, `label_names()`, `metrics(re)`, `query_result(q)`. */
export function parseVariableQuery(query: string): VariableQuery | { readonly error: string } {
  const q = query.trim();
  if (/^label_names\(\)\s*$/.test(q)) return { kind: "label_names" };
  const lv = /^label_values\((?:(.+),\s*)?([a-zA-Z_$][a-zA-Z0-9_]*)\)\s*$/.exec(q);
  if (lv?.[2]) return { kind: "label_values", label: lv[2], metric: lv[1]?.trim() || undefined };
  const mn = /^metrics\((.+)\)\s*$/.exec(q);
  if (mn?.[1]) return { kind: "metrics", regex: mn[1] };
  const qr = /^query_result\((.+)\)\s*$/.exec(q);
  if (qr?.[1]) return { kind: "query_result", query: qr[1] };
  return {
    error: `unsupported variable query '${query}' (label_values, label_names, metrics, query_result)`,
  };
}

/** The variable's `regex` (as `/pattern/flags`) applied to its options: filter, and the first group as value. */
export function applyVariableRegex(options: readonly VariableOption[], regex: string): VariableOption[] {
  if (!regex) return [...options];
  const m = /^\/(.*)\/([gimsuy]*)$/.exec(regex);
  const re = new RegExp(m?.[1] ?? regex, (m?.[2] ?? "").replace("g", ""));
  const out: VariableOption[] = [];
  for (const o of options) {
    const hit = re.exec(o.text);
    if (!hit) continue;
    const value = hit.groups?.value ?? hit[1] ?? o.value;
    const text = hit.groups?.text ?? hit[1] ?? o.text;
    if (!out.some((x) => x.value === value)) out.push({ text, value });
  }
  return out;
}

/** Grafana's variable `sort`: 0 as returned, 1/2 alphabetical, 3/4 numerical, 5/6 case-insensitive. */
export function sortOptions(options: readonly VariableOption[], sort: number): VariableOption[] {
  const out = [...options];
  const num = (o: VariableOption) => Number(/-?\d+(\.\d+)?/.exec(o.text)?.[0] ?? Number.NaN);
  if (sort === 1 || sort === 2) out.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  if (sort === 3 || sort === 4) out.sort((a, b) => num(a) - num(b));
  if (sort === 5 || sort === 6) out.sort((a, b) => a.text.toLowerCase().localeCompare(b.text.toLowerCase()));
  if (sort === 2 || sort === 4 || sort === 6) out.reverse();
  return out;
}

/**
 * The order to resolve variables in: each after the ones its query, datasource or regex refers
 * to, otherwise in dashboard order. `refs` gives each variable's referenced names; a cycle keeps
 * dashboard order for the variables in it.
 */
export function resolutionOrder(
  names: readonly string[],
  refs: ReadonlyMap<string, readonly string[]>,
): string[] {
  const known = new Set(names);
  const done = new Set<string>();
  const out: string[] = [];
  let progress = true;
  while (out.length < names.length && progress) {
    progress = false;
    for (const n of names) {
      if (done.has(n)) continue;
      const deps = (refs.get(n) ?? []).filter((d) => d !== n && known.has(d));
      if (deps.every((d) => done.has(d))) {
        done.add(n);
        out.push(n);
        progress = true;
      }
    }
  }
  for (const n of names) if (!done.has(n)) out.push(n);
  return out;
}

/**
 * The selection a variable starts with: the URL's `var-<name>` values when given, else the
 * dashboard's `current` when it is still a choice, else All (with `includeAll`) or the first
 * option, as Grafana falls back.
 */
export function initialSelection(
  options: readonly VariableOption[],
  includeAll: boolean,
  fromUrl: readonly string[],
  saved: readonly string[],
): string[] {
  const valid = (vals: readonly string[]) =>
    vals.length > 0 && vals.every((x) => (x === ALL_VALUE ? includeAll : options.some((o) => o.value === x)));
  if (valid(fromUrl)) return [...fromUrl];
  if (fromUrl.length > 0 && fromUrl.every((x) => x === "All") && includeAll) return [ALL_VALUE];
  if (valid(saved)) return [...saved];
  if (includeAll) return [ALL_VALUE];
  return options[0] ? [options[0].value] : [];
}

/**
 * A series' name in the legend: the target's `legendFormat` with `{{label}}` filled in, or for
 * `__auto` and no format, `metric{label="value", ...}` (the expression when the series has no labels).
 */
export function seriesName(
  labels: Readonly<Record<string, string>>,
  legendFormat: string | undefined,
  expr: string,
): string {
  if (legendFormat && legendFormat !== "__auto")
    return legendFormat.replace(/\{\{\s*(.+?)\s*\}\}/g, (_, k: string) => labels[k] ?? "");
  const { __name__: metric = "", ...rest } = labels;
  const keys = Object.keys(rest).sort();
  if (keys.length === 0) return metric || expr;
  return `${metric}{${keys.map((k) => `${k}="${rest[k]}"`).join(", ")}}`;
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
const SHORT_UNITS = ["", " K", " Mil", " Bil", " Tri"];

function trimmed(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) < 10 ? 2 : 1).replace(/\.?0+$/, "");
}

function scaled(value: number, base: number, units: readonly string[]): string {
  let v = value;
  let i = 0;
  while (Math.abs(v) >= base && i < units.length - 1) {
    v /= base;
    i++;
  }
  return `${trimmed(v)}${units[i]}`;
}

/** An axis or legend value in the panel's unit (`fieldConfig.defaults.unit`): the common ones. */
export function formatValue(value: number | null | undefined, unit: string | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "";
  switch (unit) {
    case "bytes":
      return scaled(value, 1024, BYTE_UNITS);
    case "s": {
      const a = Math.abs(value);
      if (a === 0) return "0 s";
      if (a < 1e-3) return `${trimmed(value * 1e6)} µs`;
      if (a < 1) return `${trimmed(value * 1e3)} ms`;
      if (a < 60) return `${trimmed(value)} s`;
      if (a < 3600) return `${trimmed(value / 60)} min`;
      return `${trimmed(value / 3600)} hour`;
    }
    case "ms":
      return formatValue(value / 1000, "s");
    case "bool":
      // Only 0 and 1 mean something; the ticks between them get no label.
      return value === 0 ? "False" : value === 1 ? "True" : "";
    case "percentunit":
      return `${trimmed(value * 100)}%`;
    case "percent":
      return `${trimmed(value)}%`;
    default:
      return scaled(value, 1000, SHORT_UNITS);
  }
}
