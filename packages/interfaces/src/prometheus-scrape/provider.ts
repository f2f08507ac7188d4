/**
 * The provider (scrape target) side of prometheus_scrape, as pure functions: the exact databag
 * strings a target writes (the Python `MetricsEndpointProvider`'s app and unit bags) and the parsing of the feedback Prometheus writes back.
 *
 * App-bag values are encoded like Python's `json.dumps` with default separators so a TypeScript
 * target writes the same bytes as a Python one, and swapping one for the other causes no
 * `relation-changed` churn on the Prometheus side.
 */

import { isIP } from "node:net";
import { isAbsolute, resolve } from "node:path";
import type { CharmBase, RelationEvent } from "@charmkit/ops";
import { type PyJsonValue, pyJsonDumps } from "../common/pyjson.js";
import { isRecord, parseJsonValue } from "../common/result.js";
import { ensureScheme, splitUrl } from "../common/url.js";
import { defaultJob, type ScrapeJob, sanitizeScrapeConfig } from "./jobs.js";
import {
  type AlertRulesDict,
  alertRulesDict,
  providerAlertRules,
  type RuleGroup,
  type RulesProblem,
} from "./rules.js";
import { JujuTopology } from "./topology.js";

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
 * The unit bag every provider unit writes (as the Python `MetricsEndpointProvider` does):
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

// --- the charm-side object ----------------------------------------------------------------------

/** Thrown at construction when the endpoint is missing or is not a `prometheus_scrape` provider. */
export class RelationMismatchError extends Error {
  override readonly name = "RelationMismatchError";
}

/** An event that republishes the scrape spec: a lifecycle event, or a named one (`["pebble-ready", "workload"]`). */
export type RefreshEvent =
  | "config-changed"
  | "update-status"
  | "upgrade-charm"
  | "start"
  | "leader-elected"
  | readonly ["pebble-ready", string];

/** Options of {@link MetricsEndpointProvider}; names follow the Python constructor's. */
export interface MetricsEndpointProviderOptions {
  /** Endpoint name (default `metrics-endpoint`); must be `provides` with interface `prometheus_scrape`. */
  readonly relationName?: string;
  /** Scrape jobs; sanitised. None means `[DEFAULT_JOB]`. */
  readonly jobs?: readonly ScrapeJob[];
  /** Rules directory (default `./src/prometheus_alert_rules`), relative to the charm directory (the hook's cwd). */
  readonly alertRulesPath?: string;
  /** Events that republish; default: the only container's pebble-ready, else update-status. */
  readonly refreshEvents?: readonly RefreshEvent[];
  /** Where Prometheus should scrape instead of the unit's address (e.g. behind ingress). */
  readonly externalUrl?: string | (() => string | undefined);
  /** Extra jobs computed at publish time (Python's `lookaside_jobs_callable`, without its in-place growth quirk). */
  readonly lookasideJobs?: () => readonly ScrapeJob[];
  /** Publish alert rules (default true); when false not even the generic HostHealth group is sent. */
  readonly forwardAlertRules?: boolean;
  /** This unit's fqdn (default the SDK's `unit.fqdn`, Python's `socket.getfqdn()`); injectable for tests. */
  readonly fqdn?: () => string;
}

/**
 * The scrape-target side of `prometheus_scrape` for a TypeScript charm (Python's
 * `MetricsEndpointProvider`). Construct it in the charm's constructor:
 *
 * @example
 * this.metrics = new MetricsEndpointProvider(this, { jobs: [{ static_configs: [{ targets: ["*:8080"] }] }] });
 *
 * It publishes on relation-joined and on each refresh event (the leader also writes the three app
 * keys on every relation), refreshes only the unit address on relation-changed and update-status
 * (so a rescheduled pod's new IP reaches Prometheus), and reads Prometheus' feedback on
 * relation-changed. Like the Python library it does not republish on leader-elected unless that
 * event is listed in `refreshEvents`; a new leader therefore publishes at the next refresh event.
 */
export class MetricsEndpointProvider {
  readonly relationName: string;
  private jobs: readonly ScrapeJob[];
  private readonly charm: CharmBase;
  private readonly opts: MetricsEndpointProviderOptions;
  /** Rule files skipped at the last publish (path and reason). */
  problems: RulesProblem[] = [];
  /** Feedback read from Prometheus on the last relation-changed, by relation id (leader only). */
  readonly feedback = new Map<number, FeedbackParse>();

  constructor(charm: CharmBase, opts: MetricsEndpointProviderOptions = {}) {
    this.charm = charm;
    this.opts = opts;
    this.relationName = opts.relationName ?? "metrics-endpoint";
    this.jobs = opts.jobs ?? [];
    const meta = charm.meta.relations[this.relationName];
    if (!meta) throw new RelationMismatchError(`no endpoint "${this.relationName}" in the charm's metadata`);
    if (meta.interface !== "prometheus_scrape") {
      throw new RelationMismatchError(
        `endpoint "${this.relationName}" has interface "${meta.interface}", expected "prometheus_scrape"`,
      );
    }
    if (meta.role !== "provides") {
      throw new RelationMismatchError(
        `endpoint "${this.relationName}" must be under provides, not ${meta.role}`,
      );
    }
    const fw = charm.framework;
    fw.observe("relation-joined", this.relationName, () => this.setScrapeJobSpec());
    fw.observe("relation-changed", this.relationName, (e) => this.onRelationChanged(e));
    fw.observe("update-status", () => this.setUnitAddress());
    const containers = Object.keys(charm.meta.containers);
    const refresh =
      opts.refreshEvents ??
      (containers.length === 1 ? [["pebble-ready", containers[0]!] as const] : ["update-status"]);
    for (const ev of refresh) {
      if (typeof ev === "string") fw.observe(ev, () => this.setScrapeJobSpec());
      else fw.observe("pebble-ready", ev[1], () => this.setScrapeJobSpec());
    }
  }

  private topology(): JujuTopology {
    const m = this.charm.model;
    return new JujuTopology(m.name, m.uuid, m.app.name, m.unit.name, this.charm.meta.name);
  }

  private externalUrl(): string | undefined {
    const u = this.opts.externalUrl;
    return typeof u === "function" ? u() : u;
  }

  /** Writes the unit keys on every relation, and as leader the app keys too. */
  setScrapeJobSpec(): void {
    this.setUnitAddress();
    if (!this.charm.model.unit.isLeader()) return;
    const topology = this.topology();
    const rulesPath = this.opts.alertRulesPath ?? "./src/prometheus_alert_rules";
    const rules = providerAlertRules({
      topology,
      rulesDir: isAbsolute(rulesPath) ? rulesPath : resolve(rulesPath),
      forwardAlertRules: this.opts.forwardAlertRules ?? true,
      log: (level, message) => this.charm.log[level](message),
    });
    this.problems = rules.problems;
    const jobs = [...this.jobs, ...(this.opts.lookasideJobs?.() ?? [])];
    const data = buildProviderAppData({ topology, jobs, alertRules: rules.groups });
    for (const rel of this.charm.model.relations(this.relationName)) rel.localAppData.update({ ...data });
  }

  /** Replaces the jobs and republishes (Python's `update_scrape_job_spec`). */
  updateScrapeJobSpec(jobs: readonly ScrapeJob[]): void {
    this.jobs = jobs;
    this.setScrapeJobSpec();
  }

  /** Writes the four unit keys on every relation, from each relation's bind address. */
  setUnitAddress(): void {
    const m = this.charm.model;
    const fqdn = this.opts.fqdn?.() ?? m.unit.fqdn;
    for (const rel of m.relations(this.relationName)) {
      const data = buildProviderUnitData({
        address: m.network(this.relationName, rel.id).bindAddress,
        unitName: m.unit.name,
        externalUrl: this.externalUrl(),
        fqdn,
      });
      rel.localUnitData.update({ ...data });
    }
  }

  private onRelationChanged(event: RelationEvent): void {
    this.setUnitAddress();
    if (!this.charm.model.unit.isLeader()) return;
    const rel = this.charm.model.relation(this.relationName, event.data.relationId);
    if (!rel || rel.app === undefined) return;
    const parsed = parseProviderFeedback(rel.remoteAppData.toObject());
    this.feedback.set(rel.id, parsed);
    if (!parsed.ok) this.charm.log.warning(`relation ${this.relationName}:${rel.id}: ${parsed.error}`);
    else if (parsed.feedback?.errors)
      this.charm.log.error(`Prometheus rejected alert rules: ${parsed.feedback.errors}`);
    else if (parsed.feedback?.scrapeJobErrors) {
      this.charm.log.error(`Prometheus rejected scrape jobs: ${parsed.feedback.scrapeJobErrors}`);
    }
  }
}
