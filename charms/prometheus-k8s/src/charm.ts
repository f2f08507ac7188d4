/**
 * The prometheus-k8s charm: one reconcile per relevant event.
 *
 * collect (config, every relation through the interface libraries, the workload's facts) →
 * decide (pure: {@link decide}) → publish (relation data: this unit's addresses and URLs,
 * the ingress request, the catalogue item) → apply (push only what changed, promtool before
 * activating, reload or restart, keep the last good config on any failure) → status (derived
 * from what was found). Publish comes before apply on purpose: what it writes does not depend on
 * the workload, so a failed or pending apply never withholds it (the Python charm also sends its
 * ingress request, remote-write endpoint and catalogue item before pushing any config). A retry
 * is remembered in stored state and done on update-status, so a failed or slow reload converges
 * by itself.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type ActionEvent,
  BlockedStatus,
  CharmBase,
  type Framework,
  type Relation,
  type RelationView,
  type RelationSnapshot,
} from "@charmkit/ops";
import { APIError, type Container, ExecError, PathError } from "@charmkit/ops/pebble";
import { readAlertmanagers, renderAlertmanagers } from "@charmkit/interfaces/alertmanager-dispatch";
import { prometheusCatalogueItem, publishCatalogueItem } from "@charmkit/interfaces/catalogue";
import {
  buildDashboardTemplates,
  type DashboardFile,
  isDashboardFileName,
  lzmaBase64Compress,
  publishGrafanaDashboards,
  templatesNonce,
} from "@charmkit/interfaces/grafana-dashboard";
import { publishGrafanaSource, readGrafanaSourceInfo } from "@charmkit/interfaces/grafana-datasource";
import {
  datasourcesFromGrafanaSources,
  publishDatasourceExchange,
} from "@charmkit/interfaces/grafana-datasource-exchange";
import { publishIngressRequest, readIngressUrl } from "@charmkit/interfaces/ingress-per-unit";
import { publishPrometheusApi } from "@charmkit/interfaces/prometheus-api";
import {
  DEFAULT_LIMITS,
  loadParseCacheFile,
  MetricsEndpointProvider,
  type RelationHead,
  type ScrapeRelation,
  saveParseCacheFile,
} from "@charmkit/interfaces/prometheus-scrape";
import { pyJsonDumps } from "@charmkit/interfaces/common";
import {
  publishRemoteWrite,
  publishRemoteWriteFeedback,
  readRemoteWriteRules,
} from "@charmkit/interfaces/prometheus-remote-write";
import {
  allCertificates,
  readTransferredCertificates,
  requestVersion1,
} from "@charmkit/interfaces/certificate-transfer";
import {
  type LokiLogTarget,
  publishLoggingMetadata,
  readLokiEndpoints,
} from "@charmkit/interfaces/loki-push-api";
import {
  charmTracingDestination,
  parseProviderReceivers,
  readTracingEndpoint,
  requestProtocols,
} from "@charmkit/interfaces/tracing";
import { type TlsRead, TlsCertificatesRequirer } from "@charmkit/interfaces/tls-certificates";
import { loadConfig } from "./config.js";
import {
  type ApplyResult,
  apply,
  type ExecResult,
  type PrometheusApi,
  type PushedStore,
  type VerifiedStore,
  type Workload,
} from "./apply.js";
import { NO_WORKLOAD, showConfigResult, validateConfigurationResult } from "./actions.js";
import { filesystemCapacity, PATHS } from "./flags.js";
import { inClusterKubernetes, type KubernetesPort } from "./kubernetes.js";
import { parseQuantity, resourceRequirements, sameRequirements } from "./resources.js";
import { certificateRequest, tlsFindings } from "./tls.js";
import type { PrometheusLayer } from "./layer.js";
import { type Collected, type Decision, decide, withoutRelations } from "./decide.js";
import { majorVersion, PrometheusHttp, parseVersion } from "./prometheus_api.js";
import { WEB_PORT } from "./render.js";
import {
  currentRefusals,
  parseRefusals,
  partDigest,
  type RememberedRefusal,
  refusedRelation,
  toExclusion,
} from "./refusals.js";
import { RULES_DIR, type RulesDoc, ruleFileName } from "./rules.js";
import { loadYamlMemo, saveYamlMemo, YAML_MEMO_FILE } from "./yaml-memo.js";
import { FRAGMENTS_DIR, loadFragments, saveFragments, scrapeConfiguration } from "./scrape-fragments.js";
import type { CharmcraftNames } from "./charmcraft.gen.js";
import {
  type ApplyOutcome,
  deriveStatus,
  type Findings,
  type RejectedRelation,
  type UnitStatus,
} from "./status.js";

const CONTAINER = "prometheus";

/**
 * Above this many scrape jobs the charm renders them compactly (one job per declared job, a
 * static_config per unit carrying the per-unit `job` label): every series keeps the labels it
 * would have had, and Prometheus loads the config in a fraction of the time. Below it the config
 * is job for job the Python charm's. See bench/README.md (charm-scale) for the figures.
 */
export const COMPACT_JOBS_THRESHOLD = 2000;
/** What promtool accepted (see apply's `VerifiedStore`), in the charm's cache directory. */
export const VERIFIED_FILE = ".promtool-verified.json";
/** What apply last pushed (digests, sizes and times), in the charm's cache directory. */
export const PUSHED_FILE = ".pushed-files.json";
/** The PromQL parse cache in the charm's cache directory (see `loadParseCacheFile`). */
export const PARSE_CACHE_FILE = ".promql-parse-cache.json";
/** Each metrics-endpoint relation's remote model uuid, in the charm's cache directory. */
export const REMOTE_MODELS_FILE = ".remote-models.json";
const SERVICE = "prometheus";

/** Endpoints whose every relation event triggers a reconcile. */
const RECONCILE_ENDPOINTS = [
  "metrics-endpoint",
  "alertmanager",
  "ingress",
  "grafana-source",
  "catalogue",
  "receive-remote-write",
  "prometheus-api",
  "send-datasource",
  "certificates",
  "receive-ca-cert",
  "workload-tracing",
  "charm-tracing",
  "logging",
  // Unused by the charm logic, but a peer joining or leaving is a cheap moment to converge.
  "prometheus-peers",
] as const;

const RELATION_KINDS = [
  "relation-created",
  "relation-joined",
  "relation-changed",
  "relation-departed",
  "relation-broken",
] as const;

interface Stored extends Record<string, string | boolean | number> {
  /** A reload (or the whole apply) must be retried on update-status. */
  retryPending: boolean;
  /**
   * JSON list of {@link RememberedRefusal}: relation parts promtool refused, left out until the
   * relation's data changes (so one refusal costs promtool runs once, not every hook).
   */
  refused: string;
  /** Last unit status set, to know whether update-status must reconcile. */
  lastStatus: string;
  /** `prometheus --version` of the running workload. */
  version: string;
  /**
   * JSON object: metrics-endpoint relation id to the `event` value this unit (as leader) last
   * wrote to, or found in, this application's bag of that relation (`null`: no `event` key).
   * Juju commits stored state with the hook's relation writes in one transaction (juju/juju
   * api/agent/uniter/unit.go CommitHookChanges), so the record cannot claim a write that Juju
   * discarded. Cleared on leader-elected (another leader may have written since)
   * and upgrade-charm.
   */
  published: string;
  /** When the served certificate is due for renewal (ms since epoch; 0: none), for update-status. */
  tlsRenewAt: number;
  /** The self-metrics jobs and URL last published, to republish only on change. */
  selfMetrics: string;
  /** A log forwarding layer was added, so an unrelated logging endpoint must still switch it off. */
  logForwarding: boolean;
}

/** The external URL recorded in {@link Stored.selfMetrics} (`[jobs, url]`), if any. */
function publishedExternalUrl(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) && typeof parsed[1] === "string" ? parsed[1] : undefined;
  } catch {
    return undefined;
  }
}

/** What collect reads for the publish step besides what {@link decide} takes. */
interface SideReads {
  readonly tls: TlsRead;
  readonly remoteWriteFeedback: ReadonlyMap<number, string>;
  readonly charmTracing: { readonly url: string; readonly ca?: string | undefined } | undefined;
  /** The resource requirements to patch, when the Kubernetes API is there and they are not applied. */
  readonly resourcesToPatch?:
    | { readonly kube: KubernetesPort; readonly limits: ReturnType<typeof resourceRequirements> }
    | undefined;
}

/** {@link Stored.published} as a map; anything malformed counts as no record (a read each). */
function parsePublished(text: string): Map<number, string | null> {
  const out = new Map<number, string | null>();
  let doc: unknown;
  try {
    doc = JSON.parse(text || "{}");
  } catch {
    return out;
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return out;
  for (const [id, v] of Object.entries(doc)) {
    if (/^\d+$/.test(id) && (typeof v === "string" || v === null)) out.set(Number(id), v);
  }
  return out;
}

/**
 * A relation's snapshot whose own application bag, for the scrape library (which looks only at
 * its `event` key, to tell a stale value), is the recorded one instead of a hook-tool read.
 */
function withPublished(s: RelationSnapshot, event: string | null | undefined): RelationSnapshot {
  if (event === undefined) return s;
  return {
    id: s.id,
    endpoint: s.endpoint,
    remoteApp: s.remoteApp,
    remoteAppData: s.remoteAppData,
    remoteUnitsData: s.remoteUnitsData,
    localAppData: event === null ? {} : { event },
  };
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A missing path: a per-path error of the files API, or a whole request answered 404 (list). */
function isNotFound(e: unknown): boolean {
  return (e instanceof PathError || e instanceof APIError) && e.kind === "not-found";
}

/** What collect found: what {@link decide} takes, the scrape library's feedback, each relation's app. */
interface Collection {
  readonly collected: Collected;
  readonly feedback: ReadonlyMap<number, string>;
  readonly apps: ReadonlyMap<number, string>;
  /** The metrics-endpoint relations read, and the leader's record of its `event` writes. */
  readonly relations: readonly Relation[];
  readonly published: ReadonlyMap<number, string | null>;
  /** What publish needs besides the decision (certificates, feedback and destinations of the swap's endpoints). */
  readonly side: SideReads;
}

/** {@link Collection} less the parts promtool refused before (see `prepare`). */
interface Prepared extends Collection {
  /** Everything collected, refused parts included (their digests are taken from it). */
  readonly full: Collected;
  readonly refused: readonly RememberedRefusal[];
}

/** The apply step's view of the workload, over the SDK's Pebble `Container`. */
class PebbleWorkload implements Workload {
  constructor(private readonly c: Container) {}

  async read(path: string): Promise<string | undefined> {
    try {
      return await this.c.pull(path);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async readMany(paths: readonly string[]): Promise<Map<string, string | undefined>> {
    const out = new Map<string, string | undefined>();
    for (const [p, v] of await this.c.pullMany(paths)) {
      if (typeof v === "string") out.set(p, v);
      else if (isNotFound(v)) out.set(p, undefined);
      else throw v;
    }
    return out;
  }

  write(path: string, content: string): Promise<void> {
    return this.c.push(path, content, { makeDirs: true });
  }

  async remove(path: string): Promise<void> {
    try {
      await this.c.remove(path, { recursive: true });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      const files = await this.c.listFiles(dir);
      return files.filter((f) => f.type === "file").map((f) => f.path);
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
  }

  exists(path: string): Promise<boolean> {
    return this.c.exists(path);
  }

  async stamps(dir: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    let files: Awaited<ReturnType<Container["listFiles"]>>;
    try {
      files = await this.c.listFiles(dir);
    } catch (e) {
      if (isNotFound(e)) return out;
      throw e;
    }
    for (const f of files) if (f.type === "file") out.set(f.path, `${f.size ?? -1} ${f["last-modified"]}`);
    return out;
  }

  async exec(argv: readonly string[], timeoutMs: number): Promise<ExecResult> {
    try {
      return await this.c.exec(argv, { timeout: timeoutMs / 1000 });
    } catch (e) {
      // A command that ran and exited non-zero is an answer (promtool's verdict), not a failure.
      if (e instanceof ExecError) return { exitCode: e.exitCode, stdout: e.stdout, stderr: e.stderr };
      throw e;
    }
  }

  async plannedService(name: string): Promise<Readonly<Record<string, unknown>> | undefined> {
    const plan = await this.c.getPlan();
    return (plan.services as Record<string, Readonly<Record<string, unknown>>> | undefined)?.[name];
  }

  async serviceRunning(name: string): Promise<boolean> {
    const s = await this.c.getServices(name);
    return s.get(name)?.current === "active";
  }

  addLayer(label: string, layer: PrometheusLayer): Promise<void> {
    return this.c.addLayer(label, layer as never, { combine: true });
  }

  replan(): Promise<void> {
    return this.c.replan();
  }

  restart(name: string): Promise<void> {
    return this.c.restart(name);
  }

  async plannedLogTargets(): Promise<Readonly<Record<string, { services?: readonly string[] | undefined }>>> {
    const plan = await this.c.getPlan();
    return (plan["log-targets"] ?? {}) as Readonly<Record<string, { services?: readonly string[] }>>;
  }

  addLogTargets(label: string, targets: Readonly<Record<string, LokiLogTarget>>): Promise<void> {
    return this.c.addLayer(label, { "log-targets": targets } as never, { combine: true });
  }
}

/** What the charm reaches outside Juju and Pebble; tests pass fakes through the constructor. */
export interface PrometheusDeps {
  /** How the charm talks to Prometheus' HTTP API at `baseUrl`, trusting `ca` when given. */
  readonly prometheusApi: (baseUrl: string, ca?: string) => PrometheusApi;
  /**
   * The Kubernetes API of this pod, `undefined` where there is none (the local runtime): used for
   * resource limits and the PVC's capacity.
   */
  readonly kubernetes: () => Promise<KubernetesPort | undefined>;
}

/** The production dependencies: Prometheus over HTTP(S), the in-cluster Kubernetes API. */
export const PRODUCTION_DEPS: PrometheusDeps = Object.freeze({
  prometheusApi: (baseUrl: string, ca?: string) => new PrometheusHttp(baseUrl, ca),
  kubernetes: () => inClusterKubernetes(),
});

/** The charm. */
export default class PrometheusCharm extends CharmBase<CharmcraftNames> {
  private readonly deps: PrometheusDeps;
  private readonly stored: Stored;
  /** The parse cache and YAML memo are read once per dispatch: a hook may reconcile more than once. */
  private parseCacheLoaded = false;
  /** The metrics-endpoint view, for the digests of its relations' remote data. */
  private readonly scrapeView: RelationView;
  private readonly selfMetrics: MetricsEndpointProvider;
  private readonly tls: TlsCertificatesRequirer;
  /** The most external URL of the last decision (self-metrics' external URL). */
  private externalUrl: string | undefined;

  /** `deps` replaces any of {@link PRODUCTION_DEPS} (Juju constructs the charm with none). */
  constructor(framework: Framework, deps: Partial<PrometheusDeps> = {}) {
    super(framework);
    this.deps = { ...PRODUCTION_DEPS, ...deps };
    this.stored = framework.storedState<Stored>("prometheus", {
      retryPending: false,
      refused: "",
      lastStatus: "",
      version: "",
      published: "",
      tlsRenewAt: 0,
      selfMetrics: "",
      logForwarding: false,
    });
    // One relation-get per remote unit of every relation in every hook was the cost of a hook at
    // scale (issue 13); through the view, the Model and the scrape library read only what the
    // event names (Juju's guarantees that make this exact are written in the SDK's relation-view).
    // Declaring the view is all it takes: every read of the endpoint then goes through it. The
    // other endpoints read in every reconcile too: their relation ids and remote bags are kept as
    // well, so a hook asks Juju only about the relation of its event.
    for (const ep of RECONCILE_ENDPOINTS) if (ep !== "prometheus-peers") framework.relationView(ep);
    this.scrapeView = framework.relationView("metrics-endpoint");
    this.tls = new TlsCertificatesRequirer(this.model);
    this.selfMetrics = new MetricsEndpointProvider(this, {
      relationName: "self-metrics-endpoint",
      jobs: [{ scheme: "http", static_configs: [{ targets: [`*:${WEB_PORT}`] }] }],
      alertRulesPath: "./alert_rules",
      refreshEvents: [["pebble-ready", CONTAINER], "config-changed", "upgrade-charm", "leader-elected"],
      // The most external URL, as the Python charm: another Prometheus scrapes us through ingress.
      // The library also publishes from its own handlers (update-status, relation-joined), which
      // run before this hook's reconcile: they take the URL the last reconcile published, else the
      // unit's bind IP would replace it in every update-status.
      externalUrl: () => this.externalUrl ?? publishedExternalUrl(this.stored.selfMetrics),
      fqdn: () => this.fqdn(),
    });

    const run = async (): Promise<void> => {
      await this.reconcile();
    };
    // install and start find the workload not ready yet on Kubernetes; on the local runtime Pebble
    // may already answer, and reconciling then saves waiting for pebble-ready.
    framework.observe("install", run);
    framework.observe("start", run);
    framework.observe("config-changed", run);
    framework.observe("upgrade-charm", async () => {
      this.stored.version = "";
      this.stored.published = "";
      await this.reconcile();
    });
    framework.observe("leader-elected", async () => {
      this.stored.published = "";
      await this.reconcile();
    });
    framework.observe("storage-attached", "database", run);
    // A (re)started workload container or a refreshed charm may run another Prometheus image: the
    // version is read again before the next configuration is written.
    framework.observe("pebble-ready", CONTAINER, async () => {
      this.stored.version = "";
      await this.reconcile();
    });
    framework.observe("pebble-check-failed", CONTAINER, run);
    framework.observe("pebble-check-recovered", CONTAINER, run);
    for (const ep of RECONCILE_ENDPOINTS) for (const k of RELATION_KINDS) framework.observe(k, ep, run);
    framework.observe("update-status", () => this.onUpdateStatus());
    // The Python library renews when its certificate secret expires; after a swap such a secret
    // may still exist. Renewal is decided by the certificate's age at every reconcile anyway.
    framework.observe("secret-expired", run);
    const dashboards = (): void => this.publishDashboards();
    framework.observe("relation-joined", "grafana-dashboard", dashboards);
    framework.observe("relation-changed", "grafana-dashboard", dashboards);
    framework.observe("upgrade-charm", dashboards);
    framework.observe("leader-elected", dashboards);
    framework.observe("action", "validate-configuration", (e) => this.onValidate(e));
    framework.observe("action", "show-config", (e) => this.onShowConfig(e));
  }

  /** The host other units and Prometheus itself reach this unit at. */
  private fqdn(): string {
    return this.model.unit.fqdn;
  }

  private container(): Container {
    return this.model.unit.container(CONTAINER) as Container;
  }

  /**
   * Everything {@link decide} needs, read from config and relations, plus what the scrape library would
   * feed back to each relation and what publish needs besides the decision. Never throws on remote data.
   */
  private async collect(): Promise<Collection> {
    const model = this.model;
    // Parsing alert expressions is most of the rendering work while V8 is cold, i.e. in every
    // hook; their parses are kept between hooks (they only save work: a lost file changes nothing).
    const parseCache = this.cacheDir === undefined ? undefined : join(this.cacheDir, PARSE_CACHE_FILE);
    if (parseCache !== undefined && !this.parseCacheLoaded) {
      loadParseCacheFile(parseCache);
      // The YAML of the scrape jobs and rule files a previous hook rendered (see yaml-memo).
      loadYamlMemo(join(this.cacheDir!, YAML_MEMO_FILE));
      this.parseCacheLoaded = true;
    }
    const major = majorVersion(this.stored.version || undefined);
    const leader = model.unit.isLeader();
    const scrapeRelations = model.relations("metrics-endpoint");
    const published = leader ? parsePublished(this.stored.published) : new Map<number, string | null>();
    const remoteModels = this.remoteModelUuids(scrapeRelations);
    const config = loadConfig(model.config);
    // The view's digest of each relation's remote data: relations whose inputs did not change
    // take their jobs and rule file as a previous hook rendered them (see scrape-fragments).
    const digests = new Map<number, string>();
    for (const r of this.scrapeView.relations()) if (r.digest !== "") digests.set(r.id, r.digest);
    const fragmentsDir = this.cacheDir === undefined ? undefined : join(this.cacheDir, FRAGMENTS_DIR);
    const kept = fragmentsDir === undefined ? undefined : loadFragments(fragmentsDir);
    const scrape = scrapeConfiguration(
      scrapeRelations.map((r) => {
        const remoteModelUuid = remoteModels.get(r.id);
        const event = published.get(r.id);
        const snapshot = (): ScrapeRelation => {
          // A relation over the unit bound is refused whole: reading its thousands of unit bags
          // (a hook tool call each) would cost more than the rest of the hook.
          if (r.units.length <= DEFAULT_LIMITS.maxUnits)
            return { ...withPublished(r.snapshot(), event), remoteModelUuid };
          const remoteUnitsData = Object.fromEntries(r.units.map((u) => [u, {}]));
          return {
            id: r.id,
            endpoint: r.endpoint,
            remoteApp: r.app,
            remoteAppData: {},
            remoteUnitsData,
            remoteModelUuid,
          };
        };
        // The key needs only these; the whole snapshot is made for relations that changed.
        const head: RelationHead = {
          id: r.id,
          endpoint: r.endpoint,
          remoteApp: r.app,
          remoteModelUuid,
          get localAppData() {
            if (event !== undefined) return event === null ? {} : { event };
            return r.snapshot().localAppData;
          },
        };
        return { rel: head, snapshot, dataKey: digests.get(r.id) };
      }),
      {
        model: { name: model.name, uuid: model.uuid },
        trustedAggregators: config.config.trustedAggregators,
        fallbackScrapeProtocol: major >= 3,
        prometheusMajor: major,
      },
      kept,
      COMPACT_JOBS_THRESHOLD,
    );
    // Fragments are a pure function of their keys: kept at once, whatever the rest of the hook does.
    if (fragmentsDir !== undefined && scrape.changed) saveFragments(fragmentsDir, scrape.next, kept);
    if (parseCache !== undefined && scrape.computed > 0) saveParseCacheFile(parseCache);
    const rejected: RejectedRelation[] = scrape.rejected
      .filter((r) => r.kind !== "ignored")
      .map((r) => ({ relation: `metrics-endpoint:${r.relationId}`, remoteApp: r.app, reason: r.reason }));
    const jobs = scrape.jobs;
    const jobRelations = scrape.jobRelations;
    const ruleFiles: Record<string, RulesDoc> = {};
    const ruleFileRelations: Record<string, number> = {};
    for (const f of scrape.ruleFiles) {
      ruleFiles[f.key] = { text: f.text };
      ruleFileRelations[f.key] = f.relationId;
    }
    const apps = new Map<number, string>();
    for (const rel of scrapeRelations) if (rel.app !== undefined) apps.set(rel.id, rel.app);

    const am = readAlertmanagers(model);
    for (const r of am.rejected)
      rejected.push({ relation: `alertmanager:${r.relationId}`, remoteApp: r.unit, reason: r.reason });
    const rendered = renderAlertmanagers(am.urls);
    for (const u of rendered.invalid)
      rejected.push({ relation: "alertmanager", reason: `not a valid Alertmanager URL: ${u}` });

    const ingress = readIngressUrl(model);
    for (const r of ingress.rejected)
      rejected.push({ relation: `ingress:${r.relationId}`, remoteApp: r.unit, reason: r.reason });

    // Rules forwarded by remote-write clients, as the Python provider writes them (no relation suffix).
    const rw = readRemoteWriteRules(model);
    for (const f of rw.ruleFiles) ruleFiles[f.key] = { groups: f.groups };
    for (const r of rw.rejected)
      rejected.push({ relation: `receive-remote-write:${r.relationId}`, reason: r.reason });

    const statuses: UnitStatus[] = [];
    const tlsRead = await this.tls.read(certificateRequest(model.app.name, this.fqdn(), ingress.url));
    const tls = tlsFindings(tlsRead);
    rejected.push(...tls.rejected);
    if (tls.status) statuses.push(tls.status);

    const transferred = readTransferredCertificates(model);
    for (const r of transferred.rejected)
      rejected.push({ relation: `receive-ca-cert:${r.relationId}`, remoteApp: r.unit, reason: r.reason });
    const receivedCas = allCertificates(transferred.accepted);

    const workloadTracing = readTracingEndpoint(model, "workload-tracing", "otlp_grpc");
    for (const r of workloadTracing.rejected)
      rejected.push({ relation: `workload-tracing:${r.relationId}`, reason: r.reason });
    const charmTracingRels = model.relations("charm-tracing").map((r) => r.snapshot());
    const charmTracing = parseProviderReceivers(charmTracingRels);
    for (const r of charmTracing.rejected)
      rejected.push({ relation: `charm-tracing:${r.relationId}`, reason: r.reason });
    const caRelated = model.relations("receive-ca-cert").length > 0;

    const loki = readLokiEndpoints(model);
    for (const r of loki.rejected)
      rejected.push({ relation: `logging:${r.relationId}`, remoteApp: r.unit, reason: r.reason });
    const lokiActive: Record<string, string> = {};
    for (const e of loki.accepted) Object.assign(lokiActive, e.endpoints);

    const kube = await this.deps.kubernetes();
    const platform = await this.platformFacts(kube, statuses);

    const collected: Collected = {
      config,
      identity: {
        modelName: model.name,
        modelUuid: model.uuid,
        appName: model.app.name,
        unitName: model.unit.name,
        charmName: this.meta.name,
      },
      fqdn: this.fqdn(),
      ingressUrl: ingress.url,
      tls: tls.served,
      receivedCas,
      storage: platform.storage,
      jobs,
      jobRelations,
      ruleFiles,
      ruleFileRelations,
      rejected,
      alertmanagers: rendered.alertmanagers as unknown as Collected["alertmanagers"],
      prometheusMajor: majorVersion(this.stored.version || undefined),
      tracing: workloadTracing.url ? { endpoint: workloadTracing.url } : undefined,
      logForwarding:
        model.relations("logging").length > 0 || this.stored.logForwarding
          ? {
              active: lokiActive,
              topology: {
                model: model.name,
                modelUuid: model.uuid,
                application: model.app.name,
                unit: model.unit.name,
                charmName: this.meta.name,
              },
            }
          : undefined,
      statuses,
    };
    const renew = tlsRead.kind === "related" ? tlsRead.decision.assigned?.renewAt.getTime() : undefined;
    this.stored.tlsRenewAt = renew ?? 0;
    return {
      collected,
      feedback: scrape.feedback,
      apps,
      relations: scrapeRelations,
      published,
      side: {
        tls: tlsRead,
        remoteWriteFeedback: rw.feedback,
        charmTracing: charmTracingDestination(
          charmTracing.accepted[0]?.receivers,
          caRelated ? receivedCas : undefined,
        ),
        resourcesToPatch: platform.resourcesToPatch,
      },
    };
  }

  /**
   * What was collected, less the relation parts promtool refused earlier and that have not
   * changed since (named as rejected), and the remembered refusals still in force.
   */
  private async prepare(): Promise<Prepared> {
    const { collected: full, ...read } = await this.collect();
    const remembered = parseRefusals(this.stored.refused);
    const current = currentRefusals(full, remembered);
    const exclusion = toExclusion(current);
    const collected = withoutRelations(full, exclusion);
    const rejected = [...collected.rejected, ...current.map((r) => refusedRelation(r, read.apps))];
    return { ...read, full, collected: { ...collected, rejected }, refused: current };
  }

  /**
   * The remote model's uuid of each relation, as Juju reports it (relation-model-get): what a
   * pinned relation's topology is checked against. A relation's remote model never changes and
   * relation ids are never reused, so each is asked once and remembered in the charm's cache
   * directory ({@link REMOTE_MODELS_FILE}; trusted like the stored state). Where the hook tool is
   * missing (Juju before 3.6.2) the relation counts as this model's, and a cross-model relation
   * is then refused unless trusted.
   */
  private remoteModelUuids(relations: readonly Relation[]): Map<number, string | undefined> {
    const file = this.cacheDir === undefined ? undefined : join(this.cacheDir, REMOTE_MODELS_FILE);
    let known: Record<string, unknown> = {};
    if (file !== undefined) {
      try {
        const parsed = JSON.parse(readFileSync(file, "utf8")) as unknown;
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
          known = parsed as Record<string, unknown>;
      } catch {
        known = {};
      }
    }
    const out = new Map<number, string | undefined>();
    const keep: Record<string, string> = {};
    let asked = false;
    for (const rel of relations) {
      const cached = known[String(rel.id)];
      let uuid: string | undefined = typeof cached === "string" ? cached : undefined;
      if (uuid === undefined) {
        try {
          uuid = rel.remoteModelUuid();
          asked = true;
        } catch (e) {
          this.log.warning(
            `relation-model-get failed for metrics-endpoint:${rel.id} (${errText(e)}); taking it for this model's`,
          );
        }
      }
      out.set(rel.id, uuid);
      if (uuid !== undefined) keep[String(rel.id)] = uuid;
    }
    const gone = Object.keys(known).some((id) => !(id in keep));
    if (file !== undefined && (asked || gone)) {
      try {
        writeFileSync(file, JSON.stringify(keep), { mode: 0o600 });
      } catch (e) {
        this.log.debug(`cannot keep the remote models in ${file}: ${errText(e)}`);
      }
    }
    return out;
  }

  /**
   * What the platform says: the database's size (the PVC's capacity through the Kubernetes API, as
   * the Python charm, else statfs of the mount) and whether the cpu/memory limits are in effect.
   * Statuses say when something cannot be done here instead of claiming it was.
   */
  private async platformFacts(
    kube: KubernetesPort | undefined,
    statuses: UnitStatus[],
  ): Promise<{ storage: Collected["storage"]; resourcesToPatch: SideReads["resourcesToPatch"] }> {
    const model = this.model;
    const pod = model.unit.name.replace("/", "-");
    const cpu = model.config.getString("cpu") || undefined;
    const memory = model.config.getString("memory") || undefined;
    const trust = (e: unknown) =>
      (e as { status?: number }).status === 403 ? " (try running `juju trust` on this application)" : "";
    if (!kube) {
      if (cpu || memory) {
        statuses.push({
          name: "blocked",
          message:
            "cpu/memory limits are not applied: this platform has no Kubernetes API; unset cpu and memory, or deploy on Kubernetes (with juju trust)",
        });
      }
      const [db] = model.storages("database");
      const location = db ? db.location : PATHS.tsdb;
      try {
        return {
          storage: {
            bytes: filesystemCapacity(location),
            source: `statfs of ${location} (no Kubernetes API here)`,
          },
          resourcesToPatch: undefined,
        };
      } catch (e) {
        return {
          storage: { error: errText(e), source: `statfs of ${location}` },
          resourcesToPatch: undefined,
        };
      }
    }
    let storage: Collected["storage"];
    try {
      const cap = await kube.volumeCapacity(model.app.name, "database", pod);
      const bytes = parseQuantity(cap.storage);
      storage =
        bytes === undefined
          ? { error: `Invalid capacity value: ${cap.storage}`, source: `PVC ${cap.claim}` }
          : { bytes, source: `PVC ${cap.claim} capacity ${cap.storage} (Kubernetes API)` };
    } catch (e) {
      storage = {
        error: `${errText(e)}${trust(e)}`,
        source: "the Kubernetes API",
      };
    }
    const want = resourceRequirements(cpu, memory);
    let resourcesToPatch: SideReads["resourcesToPatch"];
    try {
      const template = await kube.templateResources(model.app.name, CONTAINER);
      if (!sameRequirements(template, want)) {
        resourcesToPatch = { kube, limits: want };
        statuses.push({ name: "waiting", message: "Waiting for resource limit patch to apply" });
      } else if (!sameRequirements(await kube.podResources(pod, CONTAINER), want)) {
        statuses.push({ name: "waiting", message: "Waiting for resource limit patch to apply" });
      }
    } catch (e) {
      statuses.push({
        name: "blocked",
        message: `Kubernetes resources patch failed${trust(e) ? `: \`juju trust\` this application` : ""}. ${errText(e)}`,
      });
    }
    return { storage, resourcesToPatch };
  }

  /**
   * Writes what other applications read from us. Leader-only parts are skipped on other units.
   * Returns the statuses of what could not be done (a certificate request, the resources patch).
   */
  private async publish(decision: Decision, side: SideReads): Promise<UnitStatus[]> {
    const model = this.model;
    const p = decision.published;
    const fqdn = this.fqdn();
    const statuses: UnitStatus[] = [];
    try {
      await this.tls.publish(side.tls);
    } catch (e) {
      statuses.push({
        name: "blocked",
        message: `Cannot request a TLS certificate (${errText(e)}); see juju debug-log`,
      });
    }
    requestVersion1(model, "receive-ca-cert");
    requestProtocols(model, "workload-tracing", ["otlp_grpc"]);
    requestProtocols(model, "charm-tracing", ["otlp_http"]);
    publishRemoteWriteFeedback(model, side.remoteWriteFeedback);
    if (model.relations("logging").length > 0) {
      publishLoggingMetadata(model, {
        model: model.name,
        modelUuid: model.uuid,
        application: model.app.name,
        unit: model.unit.name,
        charmName: this.meta.name,
      });
    }
    this.framework.tracing.setDestination(side.charmTracing);
    this.externalUrl = p.externalUrl;
    const selfMetrics = JSON.stringify([p.selfMetricsJobs, p.externalUrl]);
    if (selfMetrics !== this.stored.selfMetrics && model.relations("self-metrics-endpoint").length > 0) {
      this.selfMetrics.updateScrapeJobSpec(p.selfMetricsJobs);
      this.stored.selfMetrics = selfMetrics;
    }
    if (side.resourcesToPatch) {
      const { kube, limits } = side.resourcesToPatch;
      try {
        await kube.patchResources(model.app.name, CONTAINER, limits);
        this.log.info(`resource limits patched: ${JSON.stringify(limits)}`);
      } catch (e) {
        const trust = (e as { status?: number }).status === 403 ? ": `juju trust` this application" : "";
        statuses.push({
          name: "blocked",
          message: `Kubernetes resources patch failed${trust}. ${errText(e)}`,
        });
      }
    }
    publishGrafanaSource(
      model,
      {
        sourceType: "prometheus",
        extraFields: { timeInterval: "1m" },
        appDatasource: false,
        unitDatasources: true,
        unitDatasourceUrl: p.externalUrl,
      },
      fqdn,
    );
    publishIngressRequest(model, {
      model: model.name,
      name: model.unit.name,
      host: fqdn,
      port: WEB_PORT,
      mode: "http",
      scheme: p.ingressScheme,
      stripPrefix: true,
      redirectHttps: true,
    });
    publishRemoteWrite(model, p.externalUrl);
    if (model.unit.isLeader()) {
      publishCatalogueItem(model, prometheusCatalogueItem(p.externalUrl));
      publishPrometheusApi(model, {
        directUrl: p.prometheusApi.direct_url ?? p.internalUrl,
        ingressUrl: p.prometheusApi.ingress_url,
      });
      // What each Grafana created for us (its answer on grafana-source) is passed on to whoever
      // asks on send-datasource. A Grafana that has not answered yet, or wrote garbage, is skipped.
      const grafanas = readGrafanaSourceInfo(model);
      publishDatasourceExchange(model, datasourcesFromGrafanaSources(grafanas.accepted, "prometheus"));
    }
    model.unit.setPorts([{ protocol: "tcp", port: WEB_PORT }]);
    return statuses;
  }

  private findings(decision: Decision, outcome: ApplyOutcome, other: readonly UnitStatus[] = []): Findings {
    return {
      configProblems: decision.configProblems,
      retentionSizeError: decision.retentionSizeError,
      rejected: [
        ...decision.rejected,
        ...decision.renderRejected.map((j) => ({ relation: `job ${j.job}`, reason: j.reason })),
      ],
      apply: outcome,
      other: [...decision.statuses, ...other],
    };
  }

  private setStatus(f: Findings): void {
    const s = deriveStatus(f);
    this.model.unit.setStatus(s);
    this.stored.lastStatus = `${s.name}:${s.message}`;
  }

  /** The whole reconcile. */
  async reconcile(): Promise<ApplyResult | undefined> {
    // The version decides what the configuration may contain (Prometheus 2 refuses
    // fallback_scrape_protocol), so it is read before rendering. `prometheus --version` needs only
    // Pebble, not a running or healthy Prometheus: one that cannot start because of its
    // configuration would otherwise never let the charm learn the version that fixes it.
    if (this.stored.version === "") await this.refreshVersion();
    let decision: Decision;
    let prepared: Prepared;
    let servedCa: string | undefined;
    try {
      prepared = await this.prepare();
      servedCa = prepared.collected.tls?.ca;
      decision = decide(prepared.collected);
    } catch (e) {
      // A bug, not bad remote data (the libraries never throw on that): say so and retry later.
      this.log.error(`reconcile: ${errText(e)}`);
      this.stored.retryPending = true;
      this.model.unit.setStatus(
        BlockedStatus(`Internal error while rendering (${errText(e)}); see juju debug-log`),
      );
      return undefined;
    }
    const published = await this.publish(decision, prepared.side);

    const container = this.container();
    if (!(await container.canConnect())) {
      this.stored.retryPending = true;
      this.publishScrapeFeedback(prepared, []);
      this.setStatus(this.findings(decision, { kind: "no-container" }, published));
      return undefined;
    }
    const base = this.internalApiUrl(decision);
    const collected = prepared.collected;
    const ruleFileRelations = new Map<string, number>();
    for (const [key, id] of Object.entries(collected.ruleFileRelations ?? {}))
      ruleFileRelations.set(`${RULES_DIR}/${ruleFileName(key)}`, id);
    const result = await apply(
      decision.desired,
      new PebbleWorkload(container),
      // Under TLS the internal URL is https with the issued certificate: trust its CA.
      this.deps.prometheusApi(base, servedCa),
      {
        reloadPending: this.stored.retryPending,
        isolate: {
          jobRelations: [...new Set(collected.jobRelations ?? [])],
          ruleFileRelations,
          candidate: (ex) => decide(withoutRelations(collected, ex)).desired,
        },
        verified: this.verifiedStore(),
        pushed: this.pushedStore(),
      },
    );
    const newlyRefused: RememberedRefusal[] = (result.isolated ?? []).map((p) => ({
      ...p,
      digest: partDigest(prepared.full, p.relationId, p.part),
    }));
    if (newlyRefused.length > 0) {
      for (const r of newlyRefused)
        this.log.warning(`metrics-endpoint:${r.relationId} left out: ${r.reason}`);
      decision = {
        ...decision,
        rejected: [...decision.rejected, ...newlyRefused.map((r) => refusedRelation(r, prepared.apps))],
      };
    }
    const refused = JSON.stringify([...prepared.refused, ...newlyRefused]);
    if (refused !== (this.stored.refused || "[]")) this.stored.refused = refused;
    this.publishScrapeFeedback(prepared, newlyRefused);
    if (this.cacheDir !== undefined) saveYamlMemo(join(this.cacheDir, YAML_MEMO_FILE));
    this.stored.retryPending = result.reloadPending || result.outcome.kind !== "ok";
    if (result.restarted) this.log.info("prometheus (re)started with a new command line");
    else if (result.reloaded) this.log.info("prometheus reloaded its configuration");
    if (result.outcome.kind !== "ok") this.log.warning(`apply: ${JSON.stringify(result.outcome)}`);
    const other = [...published];
    if (result.trustStore?.error) {
      other.push({
        name: "blocked",
        message: `Cannot update the workload's trust store (${result.trustStore.error}); scrapes of targets signed by related CAs fail meanwhile`,
      });
    }
    if (result.logForwardingError) {
      other.push({
        name: "blocked",
        message: `Cannot set Pebble log forwarding (${result.logForwardingError}); see juju debug-log`,
      });
    }
    if (decision.desired.logForwarding)
      this.stored.logForwarding = Object.keys(decision.desired.logForwarding.active).length > 0;
    this.setStatus(this.findings(decision, result.outcome, other));
    return result;
  }

  /**
   * What promtool accepted, kept in the charm's cache directory ({@link VERIFIED_FILE}), so a
   * hook checks only the jobs and rule files that changed (see apply). Tied to the workload's
   * version; without a cache directory every candidate is checked whole.
   */
  private verifiedStore(): VerifiedStore | undefined {
    if (this.cacheDir === undefined || this.stored.version === "") return undefined;
    const file = join(this.cacheDir, VERIFIED_FILE);
    return {
      key: this.stored.version,
      read: () => {
        try {
          return readFileSync(file, "utf8");
        } catch {
          return undefined;
        }
      },
      write: (text) => writeFileSync(file, text, { mode: 0o600 }),
    };
  }

  /**
   * What apply last pushed, kept in the charm's cache directory ({@link PUSHED_FILE}), so unchanged
   * files are compared by digest instead of read back (see apply).
   */
  private pushedStore(): PushedStore | undefined {
    if (this.cacheDir === undefined) return undefined;
    const file = join(this.cacheDir, PUSHED_FILE);
    return {
      read: () => {
        try {
          return readFileSync(file, "utf8");
        } catch {
          return undefined;
        }
      },
      write: (text) => writeFileSync(file, text, { mode: 0o600 }),
    };
  }

  /** Where the charm reaches Prometheus' HTTP API: the unit's own address. */
  private internalApiUrl(decision: Decision): string {
    return decision.published.internalUrl;
  }

  /**
   * Leader: offers the bundled dashboards (./grafana_dashboards) on grafana-dashboard. Only on
   * that relation's events, upgrade and leadership, since compressing them (LZMA) is the costly
   * part.
   */
  private publishDashboards(): void {
    if (!this.model.unit.isLeader() || this.model.relations("grafana-dashboard").length === 0) return;
    const dir = join(this.charmDir, "grafana_dashboards");
    let files: DashboardFile[];
    try {
      files = readdirSync(dir)
        .filter((f) => isDashboardFileName(f))
        .sort()
        .map((f) => ({ relPath: `grafana_dashboards/${f}`, content: readFileSync(join(dir, f), "utf8") }));
    } catch (e) {
      this.log.warning(`no dashboards to offer: ${errText(e)}`);
      return;
    }
    const m = this.model;
    const identity = { modelName: m.name, modelUuid: m.uuid, appName: m.app.name, unitName: m.unit.name };
    try {
      const { templates, errors } = buildDashboardTemplates(
        files,
        identity,
        this.meta.name,
        lzmaBase64Compress,
      );
      for (const e of errors) this.log.warning(`dashboard skipped: ${e}`);
      publishGrafanaDashboards(m, templates, templatesNonce(templates));
    } catch (e) {
      this.log.error(`cannot offer dashboards: ${errText(e)}`);
    }
  }

  private async onUpdateStatus(): Promise<void> {
    const container = this.container();
    let healthy = false;
    if (await container.canConnect()) {
      try {
        const s = await container.getServices(SERVICE);
        healthy = s.get(SERVICE)?.current === "active";
      } catch {
        healthy = false;
      }
    }
    const stale = this.stored.retryPending || this.stored.version === "";
    const renewalDue = this.stored.tlsRenewAt > 0 && Date.now() >= this.stored.tlsRenewAt;
    if (stale || !healthy || renewalDue || !this.stored.lastStatus.startsWith("active:")) {
      await this.reconcile();
    }
  }

  private async refreshVersion(): Promise<void> {
    const container = this.container();
    try {
      if (!(await container.canConnect())) return;
      const r = await new PebbleWorkload(container).exec([PATHS.binary, "--version"], 10_000);
      const v = parseVersion(`${r.stdout}\n${r.stderr}`);
      if (v) {
        this.stored.version = v;
        this.model.unit.setWorkloadVersion(v);
      }
    } catch (e) {
      this.log.warning(`cannot read the Prometheus version: ${errText(e)}`);
    }
  }

  private async onValidate(e: ActionEvent): Promise<void> {
    const container = this.container();
    if (!(await container.canConnect())) {
      e.fail(NO_WORKLOAD);
      return;
    }
    const r = await new PebbleWorkload(container).exec(
      ["/usr/bin/promtool", "check", "config", PATHS.config],
      60_000,
    );
    e.setResults(validateConfigurationResult(r));
  }

  /**
   * Leader: the `event` key of each metrics-endpoint relation (Python's feedback format): what the
   * scrape library rejected, plus what promtool refused (remembered or found in this hook).
   * What was written is remembered in stored state ({@link Stored.published}), so a hook reads
   * this application's bag of a relation (a hook-tool call each) only for a relation it has no
   * record of, and writes only a value that differs from the record.
   */
  private publishScrapeFeedback(prepared: Prepared, refusedNow: readonly RememberedRefusal[]): void {
    if (!this.model.unit.isLeader()) return;
    const feedback = new Map(prepared.feedback);
    for (const r of [...prepared.refused, ...refusedNow]) {
      let event: Record<string, string> = {};
      try {
        event = JSON.parse(feedback.get(r.relationId) ?? "{}") as Record<string, string>;
      } catch {
        event = {};
      }
      const key = r.part === "rules" ? "errors" : "scrape_job_errors";
      event[key] = event[key] ? `${event[key]}, ${r.reason}` : r.reason;
      feedback.set(r.relationId, pyJsonDumps(event));
    }
    const next: Record<string, string | null> = {};
    for (const rel of prepared.relations) {
      const known = prepared.published.has(rel.id)
        ? prepared.published.get(rel.id)!
        : (rel.localAppData.get("event") ?? null);
      const fb = feedback.get(rel.id);
      if (fb !== undefined && fb !== known) rel.localAppData.update({ event: fb });
      next[String(rel.id)] = fb ?? known;
    }
    const text = JSON.stringify(next);
    if (text !== this.stored.published) this.stored.published = text;
  }

  private async onShowConfig(e: ActionEvent): Promise<void> {
    const decision = decide((await this.prepare()).collected);
    e.setResults(showConfigResult(decision, this.findings(decision, { kind: "ok" })));
  }
}
