/**
 * The pure middle of a reconcile: from everything collected (config, identity, what the interface
 * libraries accepted or rejected, storage capacity, TLS, ingress) to the wanted workload state,
 * the values to publish on relations, and the findings the status is derived from. No I/O, so
 * `show-config` and tests compute exactly what a hook would.
 */
import { splitUrl } from "@charmkit/interfaces/common";
import type { LocalIdentity } from "@charmkit/ops";
import type { Desired } from "./apply.js";
import type { ConfigProblem, ParsedConfig } from "./config.js";
import { PATHS, prometheusCommand, retentionSize } from "./flags.js";
import { buildLayer } from "./layer.js";
import {
  type AlertmanagerEntry,
  CA_PATH,
  type RenderedJob,
  type RenderRejection,
  renderConfig,
  renderWebConfig,
  type ScrapeJob,
  WEB_PORT,
} from "./render.js";
import { type RulesDoc, renderRuleFiles } from "./rules.js";
import { trustStoreFiles } from "./ca_store.js";
import type { RejectedRelation, UnitStatus } from "./status.js";

export const SERVER_CERT = "/etc/prometheus/server.cert";
export const SERVER_KEY = "/etc/prometheus/server.key";

/** Everything a reconcile collected before rendering. */
export interface Collected {
  /** The config options, validated, and what was wrong with them. */
  readonly config: ParsedConfig;
  readonly identity: LocalIdentity;
  /** This unit's FQDN (self-scrape target, internal URL). */
  readonly fqdn: string;
  /** This unit's ingress URL, when the ingress relation provides one. */
  readonly ingressUrl?: string | undefined;
  /** Server TLS material from the certificates relation. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string } | undefined;
  /** CAs received over `receive-ca-cert`, to install in the workload's trust store. */
  readonly receivedCas?: readonly string[] | undefined;
  /**
   * Size of the database storage, or why it is unknown; `source` says where the size comes from
   * (the PVC's capacity through the Kubernetes API, or statfs of the mount).
   */
  readonly storage:
    | { readonly bytes: number; readonly source: string }
    | { readonly error: string; readonly source?: string | undefined };
  /** Output of the prometheus_scrape consumer (and remote-write rules), already validated. */
  readonly jobs: readonly (ScrapeJob | RenderedJob)[];
  /** The relation each of `jobs` came from (same order); absent when not known. */
  readonly jobRelations?: readonly number[] | undefined;
  readonly ruleFiles: Readonly<Record<string, RulesDoc>>;
  /** The relation each rule file (by key) came from. */
  readonly ruleFileRelations?: Readonly<Record<string, number>> | undefined;
  readonly rejected: readonly RejectedRelation[];
  readonly alertmanagers: readonly AlertmanagerEntry[];
  readonly prometheusMajor: number;
  readonly tracing?: { readonly endpoint: string } | undefined;
  /** Findings collected with their own status (TLS pending, resource limits, trust store...). */
  readonly statuses?: readonly UnitStatus[] | undefined;
  /** Loki endpoints for Pebble's log forwarding, when `logging` is (or was) related. */
  readonly logForwarding?: Desired["logForwarding"];
}

/** URLs and values the publish step writes. */
export interface Published {
  /** `http(s)://<fqdn>:9090`. */
  readonly internalUrl: string;
  /** The ingress URL when there is one, else the internal URL (no flip-flop: one value). */
  readonly externalUrl: string;
  readonly remoteWriteUrl: string;
  /** Leader-only `prometheus-api` app data. */
  readonly prometheusApi: Readonly<Record<string, string>>;
  readonly ingressScheme: "http" | "https";
  /**
   * What `self-metrics-endpoint` offers, as the Python charm's `self_scraping_job`: a wildcard target
   * on the port of the most external URL (80 or 443 when it has none), https with our CA under TLS.
   */
  readonly selfMetricsJobs: readonly Readonly<Record<string, unknown>>[];
}

/** Result of {@link decide}. */
export interface Decision {
  readonly desired: Desired;
  readonly command: string;
  readonly published: Published;
  readonly configProblems: readonly ConfigProblem[];
  readonly retentionSizeError?: string | undefined;
  /** Where the storage size used for `--storage.tsdb.retention.size` comes from. */
  readonly retentionSizeSource?: string | undefined;
  /** Findings collected with their own status. */
  readonly statuses: readonly UnitStatus[];
  /** Relations rejected by the libraries plus jobs dropped at render time. */
  readonly rejected: readonly RejectedRelation[];
  readonly renderRejected: readonly RenderRejection[];
}

/** Relations whose jobs, or whose rule file, are left out of the wanted state. */
export interface Exclusion {
  readonly jobs: ReadonlySet<number>;
  readonly rules: ReadonlySet<number>;
}

export const NO_EXCLUSION: Exclusion = Object.freeze({ jobs: new Set<number>(), rules: new Set<number>() });

/** `c` without the excluded relations' jobs and rule files (the apply step's isolation uses it). */
export function withoutRelations(c: Collected, ex: Exclusion): Collected {
  if (ex.jobs.size === 0 && ex.rules.size === 0) return c;
  const rel = c.jobRelations;
  const jobs = rel === undefined ? c.jobs : c.jobs.filter((_, i) => !ex.jobs.has(rel[i] ?? -1));
  const jobRelations = rel?.filter((id) => !ex.jobs.has(id));
  const ruleFiles: Record<string, RulesDoc> = {};
  for (const [key, doc] of Object.entries(c.ruleFiles)) {
    const id = c.ruleFileRelations?.[key];
    if (id === undefined || !ex.rules.has(id)) ruleFiles[key] = doc;
  }
  return { ...c, jobs, jobRelations, ruleFiles };
}

/** Computes the wanted state from what was collected. Pure and deterministic. */
export function decide(c: Collected): Decision {
  const { config, problems } = c.config;
  const tls = c.tls !== undefined;
  const scheme = tls ? "https" : "http";
  const internalUrl = `${scheme}://${c.fqdn}:${WEB_PORT}`;
  const externalUrl = (c.ingressUrl ?? internalUrl).replace(/\/+$/, "");

  let size: string | undefined;
  let retentionSizeError: string | undefined;
  if (config.retentionSizeRatio !== undefined) {
    if ("bytes" in c.storage) size = retentionSize(c.storage.bytes, config.retentionSizeRatio);
    else retentionSizeError = c.storage.error;
  }

  const command = prometheusCommand({
    config,
    externalUrl,
    tls,
    retentionSize: size,
  });
  const id = c.identity;
  const layer = buildLayer(
    command,
    c.tracing
      ? {
          model: id.modelName,
          modelUuid: id.modelUuid,
          application: id.appName,
          unit: id.unitName,
          charm: id.charmName ?? "prometheus-k8s",
        }
      : undefined,
  );

  const rendered = renderConfig({
    topology: { model: id.modelName, modelUuid: id.modelUuid, application: id.appName, unit: id.unitName },
    fqdn: c.fqdn,
    tls,
    evaluationInterval: config.evaluationInterval,
    maxExemplars: config.maxExemplars,
    jobs: c.jobs,
    alertmanagers: c.alertmanagers,
    prometheusMajor: c.prometheusMajor,
    tracing: c.tracing ? { endpoint: c.tracing.endpoint, caFile: tls ? CA_PATH : undefined } : undefined,
  });

  const extraFiles: Record<string, string> = { ...rendered.files };
  const absentFiles: string[] = [];
  if (c.tls) {
    extraFiles[PATHS.webConfig] = renderWebConfig(SERVER_CERT, SERVER_KEY);
    extraFiles[SERVER_CERT] = c.tls.cert;
    extraFiles[SERVER_KEY] = c.tls.key;
  } else {
    absentFiles.push(PATHS.webConfig, SERVER_CERT, SERVER_KEY);
  }
  // The server's own CA (the self-scrape's ca_file) and the received ones go to the trust store.
  const trustStore = trustStoreFiles(c.tls?.ca, c.receivedCas ?? []);

  // As the Python charm's self_scraping_job, except that the scheme follows the most external URL:
  // behind an http ingress a TLS-enabled Prometheus is still scraped over http.
  const external = splitUrl(externalUrl);
  const selfScheme = external?.scheme === "https" ? "https" : "http";
  const port = external?.port ?? (selfScheme === "https" ? 443 : 80);
  const selfMetricsJobs = [
    selfScheme === "https" && c.tls
      ? { scheme: "https", tls_config: { ca_file: c.tls.ca }, static_configs: [{ targets: [`*:${port}`] }] }
      : { scheme: selfScheme, static_configs: [{ targets: [`*:${port}`] }] },
  ];

  const prometheusApi: Record<string, string> = { direct_url: internalUrl };
  if (c.ingressUrl) prometheusApi.ingress_url = externalUrl;

  return {
    desired: {
      config: rendered.config,
      ruleFiles: renderRuleFiles(c.ruleFiles),
      extraFiles,
      absentFiles,
      trustStore,
      logForwarding: c.logForwarding,
      layer,
    },
    command,
    published: {
      internalUrl,
      externalUrl,
      remoteWriteUrl: `${externalUrl}/api/v1/write`,
      prometheusApi,
      ingressScheme: scheme,
      selfMetricsJobs,
    },
    configProblems: problems,
    retentionSizeError,
    retentionSizeSource: c.storage.source,
    statuses: c.statuses ?? [],
    rejected: c.rejected,
    renderRejected: rendered.rejected,
  };
}
