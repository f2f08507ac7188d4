/**
 * The provider (scrape target) side of prometheus_scrape, as pure functions: the exact databag
 * strings a target writes (spec §1.1, §2.12) and the parsing of the feedback Prometheus writes back.
 *
 * App-bag values are encoded like Python's `json.dumps` with default separators so a TypeScript
 * target writes the same bytes as a Python one, and swapping one for the other causes no
 * `relation-changed` churn on the Prometheus side.
 */

import { isIP } from "node:net";
import { type PyJsonValue, pyJsonDumps } from "../common/pyjson.js";
import { isRecord, parseJsonValue } from "../common/result.js";
import { ensureScheme, splitUrl } from "../common/url.js";
import { defaultJob, type ScrapeJob, sanitizeScrapeConfig } from "./jobs.js";
import { type AlertRulesDict, alertRulesDict, type RuleGroup } from "./rules.js";
import type { JujuTopology } from "./topology.js";

/** The three application-bag keys a provider leader writes, all JSON strings. */
export interface ProviderAppData {
  readonly scrape_metadata: string;
  readonly scrape_jobs: string;
  readonly alert_rules: string;
}

/** The four unit-bag keys every provider unit writes. `""` means "delete the key" (Juju semantics). */
export interface ProviderUnitData {
  readonly prometheus_scrape_unit_address: string;
  readonly prometheus_scrape_unit_name: string;
  readonly prometheus_scrape_unit_path: string;
  readonly prometheus_scrape_unit_fqdn: string;
}

/** Input of {@link buildProviderAppData}. */
export interface ProviderAppInput {
  /** The provider's topology; `unit` should be the leader's unit name, as on the wire. */
  readonly topology: JujuTopology;
  /** Scrape jobs as the charm declares them; sanitised here. Empty or absent means `[DEFAULT_JOB]`. */
  readonly jobs?: readonly ScrapeJob[] | undefined;
  /** Rule groups to publish (see `providerAlertRules`), or an `alert_rules` dict; none gives `"{}"`. */
  readonly alertRules?: readonly RuleGroup[] | AlertRulesDict | undefined;
}

/**
 * The provider leader's app bag: `scrape_metadata` (the topology's `as_dict()`), `scrape_jobs`
 * (sanitised, `[DEFAULT_JOB]` when empty) and `alert_rules` (`{"groups": [...]}` or `{}`).
 *
 * @example buildProviderAppData({ topology }).scrape_jobs
 * // '[{"metrics_path": "/metrics", "static_configs": [{"targets": ["*:80"]}]}]'
 */
export function buildProviderAppData(input: ProviderAppInput): ProviderAppData {
  const jobs = (input.jobs ?? []).map((j) => sanitizeScrapeConfig(j));
  const rules = input.alertRules ?? [];
  const dict: AlertRulesDict = Array.isArray(rules)
    ? alertRulesDict(rules as RuleGroup[])
    : (rules as AlertRulesDict);
  return {
    scrape_metadata: pyJsonDumps(input.topology.asDict() as unknown as PyJsonValue),
    scrape_jobs: pyJsonDumps((jobs.length > 0 ? jobs : [defaultJob()]) as PyJsonValue),
    alert_rules: pyJsonDumps(dict as PyJsonValue),
  };
}

/** Input of {@link buildProviderUnitData}. */
export interface ProviderUnitInput {
  /** The relation's bind address as Juju reports it (`network-get`), e.g. `10.1.0.5`. */
  readonly address: string | undefined;
  /** This unit's name, e.g. `zinc-k8s/0`. */
  readonly unitName: string;
  /** The provider's `external_url` option; `http://` is assumed when it has no scheme. */
  readonly externalUrl?: string | undefined;
  /** This host's fully qualified name (Python's `socket.getfqdn()`). */
  readonly fqdn: string;
}

/**
 * The unit bag every provider unit writes (spec §1.1):
 * - with `externalUrl`: its hostname as the address, its path as the path, no fqdn;
 * - else with a bind address that is an IP: that IP, and the fqdn;
 * - else: the fqdn as both the address and the fqdn.
 * Keys with value `""` are to be deleted, matching what the Python library's writes do.
 */
export function buildProviderUnitData(input: ProviderUnitInput): ProviderUnitData {
  if (input.externalUrl !== undefined && input.externalUrl !== "") {
    const parts = splitUrl(ensureScheme(input.externalUrl));
    return {
      prometheus_scrape_unit_address: parts?.hostname ?? "",
      prometheus_scrape_unit_name: input.unitName,
      prometheus_scrape_unit_path: parts?.path ?? "",
      prometheus_scrape_unit_fqdn: "",
    };
  }
  const address = input.address !== undefined && isIP(input.address) !== 0 ? input.address : input.fqdn;
  return {
    prometheus_scrape_unit_address: address,
    prometheus_scrape_unit_name: input.unitName,
    prometheus_scrape_unit_path: "",
    prometheus_scrape_unit_fqdn: input.fqdn,
  };
}

/** The keys of a bag update whose value is not `""`: what a reader of the bag sees after the write. */
export function visibleKeys<T extends object>(bag: T): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(bag)) if (typeof v === "string" && v !== "") out[k] = v;
  return out;
}

/** What Prometheus told the provider through its app bag's `event` key. */
export interface ProviderFeedback {
  /** False only when the consumer said so (`valid` is read by providers but no consumer writes it). */
  readonly valid: boolean;
  /** cos-tool / validation lines about the alert rules; `""` when none. */
  readonly errors: string;
  /** Why the scrape jobs were refused; `""` when none. */
  readonly scrapeJobErrors: string;
}

/** Result of {@link parseProviderFeedback}: no feedback, feedback, or an unreadable `event`. */
export type FeedbackParse =
  | { readonly ok: true; readonly feedback: ProviderFeedback | undefined }
  | { readonly ok: false; readonly error: string };

/**
 * Parses the `event` key of the consumer's app bag. An absent or empty (`{}`) event means no
 * feedback; a non-object or invalid JSON is an error naming the key, never an exception.
 */
export function parseProviderFeedback(remoteAppData: Readonly<Record<string, string>>): FeedbackParse {
  const raw = remoteAppData.event;
  if (raw === undefined || raw === "") return { ok: true, feedback: undefined };
  const parsed = parseJsonValue("event", raw);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  if (!isRecord(parsed.value)) return { ok: false, error: "'event' is not a JSON object" };
  const ev = parsed.value;
  if (Object.keys(ev).length === 0) return { ok: true, feedback: undefined };
  const text = (v: unknown): string =>
    typeof v === "string" ? v : v === undefined || v === null ? "" : String(v);
  return {
    ok: true,
    feedback: {
      // Python: bool(ev.get("valid", True)), so only falsy values count as invalid.
      valid: ev.valid === undefined ? true : Boolean(ev.valid),
      errors: text(ev.errors),
      scrapeJobErrors: text(ev.scrape_job_errors),
    },
  };
}
