/**
 * Structural validation of one provider-supplied scrape job, before it reaches `prometheus.yml`.
 *
 * Prometheus parses its config strictly: one bad value in one job makes the whole file unloadable
 * for every relation (prometheus-k8s-operator issue #633: a job with unmarshalable `params` left
 * the unit active with the job missing). The Python library relied on `cos-tool validate-config`;
 * here each allowed key is checked against Prometheus' own rules for it, and the checks that keep
 * a provider inside its own topology and away from the consumer's filesystem are added. Every
 * problem names the offending field so the provider can be told what to fix.
 */
import { isIP } from "node:net";
import { TOPOLOGY_LABELS } from "./jobs.js";
import type { Limits } from "./limits.js";
import { isPromDuration } from "./promql.js";
import { fullMatcher, re2Problem } from "./re2.js";

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// Prometheus' `relabelTarget`: a label name that may contain `$1`/`${name}` references.
const RELABEL_TARGET = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;
const RELABEL_KEYS = new Set([
  "source_labels",
  "separator",
  "target_label",
  "regex",
  "modulus",
  "replacement",
  "action",
]);
// Actions Prometheus 2.42 knows (keepequal/dropequal arrived in 2.41).
const RELABEL_ACTIONS = new Set([
  "replace",
  "keep",
  "drop",
  "hashmod",
  "labelmap",
  "labeldrop",
  "labelkeep",
  "lowercase",
  "uppercase",
  "keepequal",
  "dropequal",
]);
const NEEDS_TARGET = new Set(["replace", "hashmod", "lowercase", "uppercase", "keepequal", "dropequal"]);
// tls_config's *_file keys carry PEM contents on this wire (the Python charm's
// `_process_tls_config`): the charm writes them to
// its own files and points the config there, so they are accepted, but only as PEM text.
const TLS_KEYS = new Set([
  "ca_file",
  "cert_file",
  "key_file",
  "server_name",
  "insecure_skip_verify",
  "min_version",
]);
const PEM_KEYS = new Set(["ca_file", "cert_file", "key_file"]);
const TLS_VERSIONS = new Set(["TLS10", "TLS11", "TLS12", "TLS13"]);
const BASIC_AUTH_KEYS = new Set(["username", "password"]);
const AUTHORIZATION_KEYS = new Set(["type", "credentials"]);
const STATIC_CONFIG_KEYS = new Set(["targets", "labels"]);
const UINT_KEYS = [
  "sample_limit",
  "label_limit",
  "label_name_length_limit",
  "label_value_length_limit",
] as const;
const GLOBAL_SCRAPE_INTERVAL_MS = 60_000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Milliseconds of a Prometheus duration already known to be valid. */
export function durationMs(d: string): number {
  if (d === "0") return 0;
  const units: Record<string, number> = {
    y: 365 * 86_400_000,
    w: 7 * 86_400_000,
    d: 86_400_000,
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
  };
  let total = 0;
  for (const m of d.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) total += Number(m[1]) * (units[m[2] ?? ""] ?? 0);
  return total;
}

/**
 * Checks that `regex` is an RE2 pattern Prometheus will compile (Go's syntax, checked by a port of
 * RE2, never by JavaScript's engine).
 *
 * @returns a problem sentence, or `undefined` when it compiles.
 */
export function checkRe2(regex: string): string | undefined {
  return re2Problem(regex);
}

/**
 * True when a label name (possibly with `$1`-style references) could come out as a `juju_*` name.
 * Only the literal text before the first reference is known statically.
 */
function couldNameJujuLabel(name: string): boolean {
  const dollar = name.indexOf("$");
  const literal = dollar < 0 ? name : name.slice(0, dollar);
  if (dollar < 0) return literal.startsWith("juju_");
  return literal.startsWith("juju_") || "juju_".startsWith(literal);
}

function checkRelabel(field: string, list: unknown, problems: string[]): void {
  if (!Array.isArray(list)) {
    problems.push(`${field} must be a list`);
    return;
  }
  list.forEach((rc, i) => {
    const at = `${field}[${i}]`;
    if (!isRecord(rc)) {
      problems.push(`${at} must be a map`);
      return;
    }
    for (const k of Object.keys(rc))
      if (!RELABEL_KEYS.has(k)) problems.push(`${at}.${k} is not a relabel_config field`);
    const action = rc.action === undefined ? "replace" : rc.action;
    if (typeof action !== "string" || !RELABEL_ACTIONS.has(action.toLowerCase())) {
      problems.push(`${at}.action ${JSON.stringify(action)} is not a relabel action`);
      return;
    }
    const act = action.toLowerCase();
    if (rc.source_labels !== undefined) {
      if (
        !Array.isArray(rc.source_labels) ||
        !rc.source_labels.every((l) => typeof l === "string" && LABEL_NAME.test(l))
      ) {
        problems.push(`${at}.source_labels must be a list of label names`);
      }
    }
    for (const k of ["separator", "replacement", "target_label"] as const) {
      if (rc[k] !== undefined && typeof rc[k] !== "string") problems.push(`${at}.${k} must be a string`);
    }
    const regex = rc.regex === undefined ? "(.*)" : rc.regex;
    if (typeof regex !== "string") problems.push(`${at}.regex must be a string`);
    else {
      const bad = checkRe2(regex);
      if (bad) problems.push(`${at}.regex ${JSON.stringify(regex)} does not compile: ${bad}`);
    }
    if (rc.modulus !== undefined && !(Number.isInteger(rc.modulus) && (rc.modulus as number) >= 0)) {
      problems.push(`${at}.modulus must be a non-negative integer`);
    }
    if (act === "hashmod" && !(Number.isInteger(rc.modulus) && (rc.modulus as number) > 0)) {
      problems.push(`${at}: hashmod requires a positive 'modulus'`);
    }
    const target = typeof rc.target_label === "string" ? rc.target_label : "";
    if (NEEDS_TARGET.has(act) && target === "")
      problems.push(`${at}: action '${act}' requires 'target_label'`);
    if (target !== "") {
      const ok = act === "replace" ? RELABEL_TARGET.test(target) : LABEL_NAME.test(target);
      if (!ok) problems.push(`${at}.target_label ${JSON.stringify(target)} is not a valid label name`);
      // Topology labels are how alerts, dashboards and tenants tell applications apart; a
      // provider rewriting them could pass its series off as another application's.
      if (couldNameJujuLabel(target))
        problems.push(`${at}.target_label '${target}' may not write juju_* topology labels`);
    }
    const re = typeof regex === "string" ? fullMatcher(regex) : undefined;
    if (re && act === "labeldrop") {
      const hit = [...TOPOLOGY_LABELS].find((l) => re.test(l));
      if (hit)
        problems.push(`${at}: labeldrop regex ${JSON.stringify(regex)} would drop topology label '${hit}'`);
    }
    if (re && act === "labelkeep") {
      const miss = [...TOPOLOGY_LABELS].find((l) => !re.test(l));
      if (miss)
        problems.push(`${at}: labelkeep regex ${JSON.stringify(regex)} would drop topology label '${miss}'`);
    }
    if (act === "labelmap") {
      const replacement = typeof rc.replacement === "string" ? rc.replacement : "$1";
      if (couldNameJujuLabel(replacement)) {
        problems.push(`${at}: labelmap replacement '${replacement}' could write juju_* topology labels`);
      }
    }
  });
}

function checkFileKeys(
  at: string,
  obj: Record<string, unknown>,
  allowed: ReadonlySet<string>,
  problems: string[],
): void {
  for (const k of Object.keys(obj)) {
    if (allowed.has(k)) continue;
    // A *_file key makes Prometheus read a path on the consumer's disk (another app's secrets,
    // the charm's own keys); relation data must never choose files for us to read.
    if (k.endsWith("_file")) problems.push(`${at}.${k}: file references are not accepted from relation data`);
    else problems.push(`${at}.${k} is not a known field`);
  }
}

/**
 * The problems Prometheus (or our security rules) would find with one scrape job; empty when the
 * job is usable. Expects top-level keys already limited to `ALLOWED_KEYS`.
 *
 * @param raw true on the legacy path without `scrape_metadata`: `job_name` is then required and
 *   may not be the reserved `prometheus` (the built-in self-scrape job).
 */
export function validateScrapeJob(job: Record<string, unknown>, limits: Limits, raw = false): string[] {
  const problems: string[] = [];
  const illFormed = illFormedStringPath(job, "");
  if (illFormed !== undefined) {
    // A lone UTF-16 surrogate has no UTF-8 form: the file would carry something else than was sent.
    return [`${illFormed || "a key"} holds a string that is not valid Unicode (a lone surrogate)`];
  }
  const name = job.job_name;
  if (name !== undefined && typeof name !== "string") problems.push("job_name must be a string");
  if (raw && (typeof name !== "string" || name === ""))
    problems.push("job_name is required without scrape_metadata");
  if (raw && name === "prometheus")
    problems.push("job_name 'prometheus' is reserved for Prometheus' self-scrape job");
  if (job.metrics_path !== undefined && typeof job.metrics_path !== "string")
    problems.push("metrics_path must be a string");
  for (const k of ["scrape_interval", "scrape_timeout"] as const) {
    const v = job[k];
    if (v !== undefined && (typeof v !== "string" || !isPromDuration(v))) {
      problems.push(`${k} ${JSON.stringify(v)} is not a Prometheus duration`);
    }
  }
  if (typeof job.scrape_timeout === "string" && isPromDuration(job.scrape_timeout)) {
    const interval =
      typeof job.scrape_interval === "string" &&
      isPromDuration(job.scrape_interval) &&
      job.scrape_interval !== "0"
        ? durationMs(job.scrape_interval)
        : GLOBAL_SCRAPE_INTERVAL_MS;
    if (durationMs(job.scrape_timeout) > interval)
      problems.push("scrape_timeout is greater than scrape_interval");
  }
  for (const k of UINT_KEYS) {
    const v = job[k];
    // Safe integers only: `1e20` is an integer to JavaScript but no uint Go reads, and above 2^53
    // the value written would not be the value sent.
    if (v !== undefined && !(Number.isSafeInteger(v) && (v as number) >= 0))
      problems.push(`${k} must be a non-negative integer below 2^53`);
  }
  if (job.scheme !== undefined && job.scheme !== "http" && job.scheme !== "https") {
    problems.push(`scheme ${JSON.stringify(job.scheme)} must be 'http' or 'https'`);
  }
  if (job.proxy_url !== undefined && !(typeof job.proxy_url === "string" && isProxyUrl(job.proxy_url)))
    problems.push(`proxy_url ${JSON.stringify(job.proxy_url)} is not an http(s) or socks5 URL`);
  checkStaticConfigs(job.static_configs, limits, problems);
  for (const k of ["relabel_configs", "metric_relabel_configs"] as const) {
    if (job[k] !== undefined) checkRelabel(k, job[k], problems);
  }
  if (job.tls_config !== undefined) {
    if (!isRecord(job.tls_config)) problems.push("tls_config must be a map");
    else {
      checkFileKeys("tls_config", job.tls_config, TLS_KEYS, problems);
      for (const k of PEM_KEYS) {
        const v = job.tls_config[k];
        if (v === undefined) continue;
        if (typeof v !== "string" || !v.includes("-----BEGIN ")) {
          problems.push(`tls_config.${k} must carry PEM contents, not a path`);
        }
      }
      if ((job.tls_config.cert_file === undefined) !== (job.tls_config.key_file === undefined)) {
        problems.push(
          'tls_config requires both "cert_file" and "key_file" if client authentication is to be used',
        );
      }
      if (job.tls_config.server_name !== undefined && typeof job.tls_config.server_name !== "string") {
        problems.push("tls_config.server_name must be a string");
      }
      if (
        job.tls_config.insecure_skip_verify !== undefined &&
        typeof job.tls_config.insecure_skip_verify !== "boolean"
      ) {
        problems.push("tls_config.insecure_skip_verify must be a boolean");
      }
      const mv = job.tls_config.min_version;
      if (mv !== undefined && (typeof mv !== "string" || !TLS_VERSIONS.has(mv))) {
        problems.push(`tls_config.min_version ${JSON.stringify(mv)} is not one of TLS10..TLS13`);
      }
    }
  }
  if (job.basic_auth !== undefined) {
    if (!isRecord(job.basic_auth)) problems.push("basic_auth must be a map");
    else {
      checkFileKeys("basic_auth", job.basic_auth, BASIC_AUTH_KEYS, problems);
      for (const k of BASIC_AUTH_KEYS) {
        const v = job.basic_auth[k];
        if (v !== undefined && typeof v !== "string") problems.push(`basic_auth.${k} must be a string`);
      }
    }
  }
  if (job.authorization !== undefined) {
    if (!isRecord(job.authorization)) problems.push("authorization must be a map");
    else {
      checkFileKeys("authorization", job.authorization, AUTHORIZATION_KEYS, problems);
      for (const k of AUTHORIZATION_KEYS) {
        const v = job.authorization[k];
        if (v !== undefined && typeof v !== "string") problems.push(`authorization.${k} must be a string`);
      }
      const type = job.authorization.type;
      if (typeof type === "string" && type.trim().toLowerCase() === "basic") {
        problems.push("authorization.type 'Basic' is not allowed; use basic_auth");
      } else if (typeof type === "string" && !HTTP_TOKEN.test(type)) {
        // It becomes the first word of an HTTP header: anything but a token breaks the request.
        problems.push(`authorization.type ${JSON.stringify(type)} must be one word (an HTTP auth scheme)`);
      }
    }
  }
  if (job.basic_auth !== undefined && job.authorization !== undefined) {
    problems.push("at most one of basic_auth and authorization may be set");
  }
  if (job.params !== undefined) {
    const p = job.params;
    const ok =
      isRecord(p) && Object.values(p).every((v) => Array.isArray(v) && v.every((s) => typeof s === "string"));
    if (!ok) problems.push("params must map parameter names to lists of strings");
  }
  return problems;
}

// RFC 7230 token characters.
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Whether Go's `url.Parse` (which Prometheus applies to `proxy_url`) reads `url` as the proxy it
 * looks like. Deliberately narrower than Go: scheme http, https or socks5, optional userinfo, a
 * host name, IPv4 or bracketed IPv6 address, an optional port and path; no control characters,
 * spaces or malformed `%` escapes, all of which Go refuses or reads differently.
 */
export function isProxyUrl(url: string): boolean {
  const m =
    /^(?:https?|socks5):\/\/(?:([^@/?#\s]*)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(\/[^\s?#]*)?$/.exec(
      url,
    );
  if (!m) return false;
  if (m[3] !== undefined && Number(m[3]) > 65535) return false;
  const escapes = `${m[1] ?? ""}${m[4] ?? ""}`;
  if (/%(?![0-9A-Fa-f]{2})/.test(escapes)) return false;
  if (m[1] !== undefined && /[^A-Za-z0-9\-._~!$&'()*+,;=:%]/.test(m[1])) return false;
  if (m[2]!.startsWith("[") && !isIP(m[2]!.slice(1, -1))) return false;
  return true;
}

// In a `u` regex a surrogate pair is one code point above U+FFFF, so only lone halves match.
export const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * The path (`a.b[2]`) of the first string, key included, that is not well-formed Unicode in a
 * JSON value, or `undefined`. Iterative: the depth of relation data is bounded before parsing,
 * but nothing here needs the stack anyway.
 */
export function illFormedStringPath(value: unknown, path: string): string | undefined {
  const stack: [unknown, string][] = [[value, path]];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v === "string") {
      if (LONE_SURROGATE.test(v)) return at;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push([v[i], `${at}[${i}]`]);
    } else if (typeof v === "object" && v !== null) {
      for (const k of Object.keys(v)) {
        const here = at === "" ? k : `${at}.${k}`;
        if (LONE_SURROGATE.test(k)) return here;
        stack.push([(v as Record<string, unknown>)[k], here]);
      }
    }
  }
  return undefined;
}

function checkStaticConfigs(scs: unknown, limits: Limits, problems: string[]): void {
  if (scs === undefined) return;
  if (!Array.isArray(scs)) {
    problems.push("static_configs must be a list");
    return;
  }
  if (scs.length > limits.maxStaticConfigsPerJob) {
    problems.push(
      `static_configs has ${scs.length} entries, over the limit maxStaticConfigsPerJob=${limits.maxStaticConfigsPerJob}`,
    );
    return;
  }
  let targets = 0;
  scs.forEach((sc, i) => {
    const at = `static_configs[${i}]`;
    if (!isRecord(sc)) {
      problems.push(`${at} must be a map`);
      return;
    }
    for (const k of Object.keys(sc))
      if (!STATIC_CONFIG_KEYS.has(k)) problems.push(`${at}.${k} is not a static_config field`);
    const t = sc.targets;
    if (t !== undefined) {
      if (!Array.isArray(t)) problems.push(`${at}.targets must be a list`);
      else {
        targets += t.length;
        t.forEach((x, j) => {
          // Prometheus refuses addresses with a path or scheme ("is not a valid hostname").
          if (typeof x !== "string" || x === "" || x.includes("/")) {
            problems.push(`${at}.targets[${j}] ${JSON.stringify(x)} is not a host[:port] target`);
          }
        });
      }
    }
    if (sc.labels !== undefined) {
      if (!isRecord(sc.labels)) problems.push(`${at}.labels must be a map`);
      else if (Object.keys(sc.labels).length > limits.maxLabelsPerStaticConfig) {
        problems.push(
          `${at}.labels has ${Object.keys(sc.labels).length} labels, over the limit maxLabelsPerStaticConfig=${limits.maxLabelsPerStaticConfig}`,
        );
      } else {
        for (const [k, v] of Object.entries(sc.labels)) {
          if (!LABEL_NAME.test(k)) problems.push(`${at}.labels: '${k}' is not a valid label name`);
          if (typeof v !== "string") problems.push(`${at}.labels.${k} must be a string`);
        }
      }
    }
  });
  if (targets > limits.maxTargetsPerJob) {
    problems.push(`job has ${targets} targets, over the limit maxTargetsPerJob=${limits.maxTargetsPerJob}`);
  }
}
