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
