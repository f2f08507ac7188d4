/**
 * Per-relation bounds on what a scrape provider may ask the consumer to do.
 *
 * Relation data is written by other applications (possibly in other models), and everything it
 * asks for ends up in one `prometheus.yml` and one rules directory shared by all. These bounds keep
 * one provider from making every hook slow or the whole config unloadable (prometheus-k8s-operator
 * issue #700: reloads timing out with about 2,000 jobs; PR #634: several MB of jobs and rules per
 * relation from aggregators).
 * Exceeding one rejects only the offending part of that relation, with the bound named.
 */

/** The bounds, each per relation unless stated otherwise. */
export interface Limits {
  /** Bytes of one databag value (`scrape_jobs`, `alert_rules`, `scrape_metadata`), UTF-8. */
  readonly maxValueBytes: number;
  /** Scrape jobs a provider may declare (before per-unit expansion). */
  readonly maxJobs: number;
  /** `static_configs` entries in one job. */
  readonly maxStaticConfigsPerJob: number;
  /** Targets in one job, summed over its `static_configs`. */
  readonly maxTargetsPerJob: number;
  /** Rule groups in one relation's `alert_rules`. */
  readonly maxGroups: number;
  /** Rules in one relation's `alert_rules`, summed over its groups. */
  readonly maxRules: number;
  /** Bytes of one value in a remote unit's bag (address, name, path, FQDN are all short). */
  readonly maxUnitValueBytes: number;
  /** Units of the remote application (every series of a target carries its static labels). */
  readonly maxUnits: number;
  /** Bytes of one declared job as JSON (targets, labels, params...), before it is copied per unit. */
  readonly maxJobBytes: number;
  /** Static labels on one target group: every series scraped from its targets carries them all. */
  readonly maxLabelsPerStaticConfig: number;
  /** Nesting of arrays and objects in one JSON databag value. */
  readonly maxJsonDepth: number;
  /**
   * Bytes of scrape config one declared job may turn into once copied per unit (its JSON size
   * times the units it is expanded for): a job's labels are repeated in every per-unit job.
   */
  readonly maxExpandedJobBytes: number;
}

/**
 * Defaults: generous enough for aggregators (cos-proxy forwards hundreds of jobs and thousands of
 * rules in one relation), far below Juju's 16 MiB relation-data ceiling.
 */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxValueBytes: 4 * 1024 * 1024,
  maxJobs: 1000,
  maxStaticConfigsPerJob: 500,
  maxTargetsPerJob: 5000,
  maxGroups: 500,
  maxRules: 5000,
  maxUnitValueBytes: 4096,
  maxUnits: 5000,
  maxJobBytes: 256 * 1024,
  maxLabelsPerStaticConfig: 100,
  maxJsonDepth: 64,
  maxExpandedJobBytes: 16 * 1024 * 1024,
});

/** The defaults overridden by `partial`; non-positive or non-integer overrides are ignored. */
export function resolveLimits(partial?: Partial<Limits>): Limits {
  if (!partial) return DEFAULT_LIMITS;
  const out: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(partial)) {
    if (k in DEFAULT_LIMITS && typeof v === "number" && Number.isInteger(v) && v > 0) out[k] = v;
  }
  return out as unknown as Limits;
}

/** UTF-8 length of a string without allocating a buffer for it. */
export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/**
 * Whether the JSON text `raw` nests arrays and objects deeper than `max`, found by one scan of the
 * text without parsing it (brackets inside strings do not count). Checked before `JSON.parse`, so
 * nothing downstream ever recurses over a deeper value than the bound allows. String contents,
 * most of a value's length, are skipped with native `indexOf`; only the text between strings is
 * looked at character by character.
 */
export function jsonDepthExceeds(raw: string, max: number): boolean {
  let depth = 0;
  let i = 0;
  const n = raw.length;
  while (i < n) {
    let quote = raw.indexOf('"', i);
    if (quote < 0) quote = n;
    for (let k = i; k < quote; k++) {
      const c = raw.charCodeAt(k);
      if (c === 0x5b || c === 0x7b) {
        if (++depth > max) return true;
      } else if (c === 0x5d || c === 0x7d) depth--;
    }
    if (quote >= n) return false;
    // The string ends at the next quote not escaped by an odd run of backslashes.
    let end = quote;
    for (;;) {
      end = raw.indexOf('"', end + 1);
      if (end < 0) return false;
      let backslashes = 0;
      while (raw.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
      if (backslashes % 2 === 0) break;
    }
    i = end + 1;
  }
  return false;
}
