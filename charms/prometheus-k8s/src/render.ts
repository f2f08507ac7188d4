/**
 * Renders `prometheus.yml` as a pure function, with the content the Python charm's
 * `_generate_prometheus_config` (src/charm.py) writes: the self-scrape job, the jobs the
 * prometheus_scrape library accepted (with the `honor_labels` it chose, and the Python charm's
 * `_process_tls_config` step: PEM contents sent in a job's `tls_config` `ca_file`, `cert_file` and
 * `key_file` become files in the workload, named after the job, that the job then points to),
 * alerting, rule_files, exemplar storage and tracing. Keys are sorted like PyYAML's
 * `safe_dump`, so unchanged inputs give byte-identical output and no needless reload, and the YAML
 * holds only what Go's yaml.v2 (Prometheus' config reader) reads back unchanged.
 */
import { createHash } from "node:crypto";
import { type ScalarTag, stringify, type Tags } from "yaml";
import { stringifyString } from "yaml/util";
import { memoDump } from "./yaml-memo.js";

/** Where rule files live in the workload; `prometheus.yml` loads them by glob. */
export const RULE_FILES_GLOB = "/etc/prometheus/rules/juju_*.rules";
/** The CA of the `certificates` relation, installed in the workload's trust store. */
export const CA_PATH = "/usr/local/share/ca-certificates/ca.crt";
export const WEB_PORT = 9090;

/** A scrape job as the scrape library returns it (plain JSON). */
export type ScrapeJob = Readonly<Record<string, unknown>>;
/** One `alerting.alertmanagers[]` entry, as rendered by the alertmanager_dispatch library. */
export type AlertmanagerEntry = Readonly<Record<string, unknown>>;

/** The unit's own identity, for the self-scrape job labels. */
export interface SelfTopology {
  readonly model: string;
  readonly modelUuid: string;
  readonly application: string;
  readonly unit: string;
}

/** Everything `prometheus.yml` depends on. */
export interface RenderInput {
  readonly topology: SelfTopology;
  /** Host the self-scrape job targets (the unit's FQDN). */
  readonly fqdn: string;
  /** Server TLS is on (certificates relation ready). */
  readonly tls: boolean;
  readonly evaluationInterval?: string | undefined;
  /** 0 disables exemplar storage. */
  readonly maxExemplars: number;
  /** Jobs accepted by the scrape library, in relation order, as they are or already rendered. */
  readonly jobs: readonly (ScrapeJob | RenderedJob)[];
  readonly alertmanagers: readonly AlertmanagerEntry[];
  /** Prometheus major version; `fallback_scrape_protocol` is stripped below 3 (2.x rejects it). */
  readonly prometheusMajor: number;
  /** Workload tracing endpoint (otlp_grpc), when the relation is ready. */
  readonly tracing?: { readonly endpoint: string; readonly caFile?: string | undefined } | undefined;
}

/**
 * A scrape job as {@link renderJob} renders it: its name and its text in `scrape_configs` with
 * the files it refers to, or why render drops it. The charm keeps these between hooks for the
 * relations whose data did not change, so their jobs are not rendered again.
 */
export interface RenderedJob {
  readonly rendered: true;
  readonly name: string;
  /** The job's lines (`- job_name: ...`), when it is kept. */
  readonly text?: string | undefined;
  /** TLS material the job refers to, by absolute workload path. */
  readonly files?: Readonly<Record<string, string>> | undefined;
  /** Why render drops the job (then there is no text). */
  readonly reason?: string | undefined;
}

/** Whether a job is already rendered. */
export function isRenderedJob(job: ScrapeJob | RenderedJob): job is RenderedJob {
  return (job as RenderedJob).rendered === true;
}

/** A job dropped at render time, e.g. half-specified client TLS. */
export interface RenderRejection {
  readonly job: string;
  readonly reason: string;
}

/** `prometheus.yml` text plus the extra files (TLS material) it refers to. */
export interface RenderOutput {
  readonly config: string;
  /** Absolute workload path to file content, sorted by path. */
  readonly files: Readonly<Record<string, string>>;
  readonly rejected: readonly RenderRejection[];
}

/** The instance relabel used by every juju-topology job. */
function instanceRelabel(withUnit: boolean): Record<string, unknown> {
  const source = ["juju_model", "juju_model_uuid", "juju_application"];
  if (withUnit) source.push("juju_unit");
  return { source_labels: source, separator: "_", target_label: "instance", regex: "(.*)" };
}

/** The built-in job that scrapes this unit's own Prometheus. */
export function selfScrapeJob(input: Pick<RenderInput, "topology" | "fqdn" | "tls">): ScrapeJob {
  const t = input.topology;
  const job: Record<string, unknown> = {
    job_name: "prometheus",
    scrape_interval: "5s",
    scrape_timeout: "5s",
    metrics_path: "/metrics",
    honor_timestamps: true,
    scheme: input.tls ? "https" : "http",
    static_configs: [
      {
        targets: [`${input.fqdn}:${WEB_PORT}`],
        labels: {
          juju_model: t.model,
          juju_model_uuid: t.modelUuid,
          juju_application: t.application,
          juju_unit: t.unit,
          juju_charm: "prometheus-k8s",
          host: "localhost",
        },
      },
    ],
    relabel_configs: [instanceRelabel(true)],
  };
  if (input.tls) job.tls_config = { ca_file: CA_PATH };
  return job;
}

/** Longest file name stem written from remote data; file systems allow 255 bytes per name. */
const MAX_STEM = 200;

/**
 * A file-name-safe stem for a name that comes from remote data (a job name, a rule file key):
 * the name itself when it is short and made of safe characters, else its safe characters cut
 * short plus a hash of the whole name, so two names never share a file and no name is too long.
 */
export function fileStem(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.:-]/g, "_").replace(/^\.+/, "_");
  if (safe === name && name.length <= MAX_STEM && name !== "") return name;
  const hash = createHash("sha256").update(name, "utf8").digest("hex").slice(0, 16);
  return `${safe.slice(0, MAX_STEM - 17)}_${hash}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * TLS post-processing of one job (the Python charm's `_process_tls_config`): PEM contents in
 * `tls_config` become files under /etc/prometheus and the job refers to their paths.
 * @returns the rewritten job and its files, or a rejection reason.
 */
export function processJobTls(
  job: ScrapeJob,
): { job: ScrapeJob; files: Record<string, string> } | { reason: string } {
  const tls = job.tls_config;
  const https = job.scheme === "https";
  if (!(isObject(tls) && Object.keys(tls).length > 0) && !https) return { job, files: {} };
  if (tls !== undefined && !isObject(tls)) return { reason: "tls_config must be a mapping" };
  const name = fileStem(String(job.job_name ?? "job"));
  const out: Record<string, unknown> = { ...(tls ?? {}) };
  const files: Record<string, string> = {};
  const pem = (k: string): string | undefined => {
    const v = out[k];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const ca = pem("ca_file");
  if (ca !== undefined) {
    const path = `/etc/prometheus/${name}-ca.crt`;
    files[path] = ca;
    out.ca_file = path;
  }
  const cert = pem("cert_file");
  const key = pem("key_file");
  if ((cert === undefined) !== (key === undefined)) {
    return {
      reason: 'tls_config requires both "cert_file" and "key_file" if client authentication is to be used',
    };
  }
  if (cert !== undefined && key !== undefined) {
    const certPath = `/etc/prometheus/${name}-client.crt`;
    const keyPath = `/etc/prometheus/${name}-client.key`;
    files[certPath] = cert;
    files[keyPath] = key;
    out.cert_file = certPath;
    out.key_file = keyPath;
  }
  const rewritten: Record<string, unknown> = { ...job };
  if (tls !== undefined) rewritten.tls_config = out;
  return { job: rewritten, files };
}

// Characters a YAML reader may carry raw in a scalar for Prometheus (Go's yaml.v2 for the config,
// yaml.v3 for rule files): printable ASCII, newline and tab (the library quotes or folds them),
// and printable Unicode except the line separators (U+0085, U+2028, U+2029, read as line breaks),
// the byte-order mark and the non-characters U+FFFE/U+FFFF, which yaml.v2 refuses.
const RAW_OK = /^[\n\t\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]*$/u;

/**
 * A double-quoted YAML scalar with every character outside {@link RAW_OK} escaped the way Go's
 * yaml decoders read escapes (`\xXX`, `\uXXXX`, `\UXXXXXXXX`). A lone UTF-16 surrogate has no
 * UTF-8 form: relation data holding one is refused before rendering, and here it becomes U+FFFD.
 */
export function goQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (c >= 0xd800 && c <= 0xdfff) out += "\\ufffd";
    else if (RAW_OK.test(ch)) out += ch;
    else if (c < 0x100) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += `\\U${c.toString(16).padStart(8, "0")}`;
  }
  return `${out}"`;
}

/**
 * The library's string tag, except for strings Go's yaml readers would not read back as they are:
 * those with characters outside {@link RAW_OK}, and `<<`, which yaml.v2 and yaml.v3 take for a
 * merge key when written plain.
 */
function goSafeStrings(tags: Tags): Tags {
  return tags.map((t) => {
    if (typeof t !== "object" || t.tag !== "tag:yaml.org,2002:str") return t;
    const base = t as ScalarTag;
    const strTag: ScalarTag = {
      ...base,
      stringify(item, ctx, onComment, onChompKeep) {
        const v = String(item.value);
        if (v === "<<" || !RAW_OK.test(v)) return goQuoted(v);
        // The library's own, which also quotes strings that would read as another type ("null").
        return base.stringify
          ? base.stringify(item, ctx, onComment, onChompKeep)
          : stringifyString(item, ctx, onComment, onChompKeep);
      },
    };
    return strTag;
  });
}

/**
 * Serialises like PyYAML `safe_dump` (block style, sorted keys, sequences not indented), writing
 * only what Prometheus' Go YAML readers read back unchanged (see {@link goSafeStrings}).
 */
export function dumpYaml(value: unknown): string {
  return stringify(value, {
    sortMapEntries: true,
    indentSeq: false,
    lineWidth: 0,
    aliasDuplicateObjects: false,
    customTags: goSafeStrings,
  });
}

/**
 * One scrape job as `prometheus.yml` holds it: `honor_labels` as the consumer decided, no
 * `fallback_scrape_protocol` below Prometheus 3, TLS material moved to files; its text is the
 * job's lines in `scrape_configs` (remembered between hooks, see yaml-memo). Pure.
 */
export function renderJob(raw: ScrapeJob, prometheusMajor: number): RenderedJob {
  const name = String(raw.job_name ?? "");
  if (name === "") return { rendered: true, name, reason: "job has no job_name" };
  // The consumer decides (false for relations pinned to their topology, true for aggregators);
  // a job that did not come from it cannot override its targets' labels.
  const job: Record<string, unknown> = { ...raw, honor_labels: raw.honor_labels === true };
  if (prometheusMajor < 3) delete job.fallback_scrape_protocol;
  const tls = processJobTls(job);
  if ("reason" in tls) return { rendered: true, name, reason: tls.reason };
  return { rendered: true, name, text: memoDump([tls.job], dumpYaml), files: tls.files };
}

/** Renders `prometheus.yml` and the files it needs. Pure and deterministic. */
export function renderConfig(input: RenderInput): RenderOutput {
  const files: Record<string, string> = {};
  const rejected: RenderRejection[] = [];
  const texts: string[] = [memoDump([selfScrapeJob(input)], dumpYaml)];
  const seen = new Set<string>(["prometheus"]);

  for (const item of input.jobs) {
    const r = isRenderedJob(item) ? item : renderJob(item, input.prometheusMajor);
    if (r.name === "") {
      rejected.push({ job: "(unnamed)", reason: "job has no job_name" });
      continue;
    }
    if (seen.has(r.name)) {
      // Prometheus refuses the whole file on a duplicate name; drop the later one instead.
      rejected.push({ job: r.name, reason: `job_name "${r.name}" is already used` });
      continue;
    }
    if (r.text === undefined) {
      rejected.push({ job: r.name, reason: r.reason ?? "not rendered" });
      continue;
    }
    seen.add(r.name);
    if (r.files !== undefined) Object.assign(files, r.files);
    texts.push(r.text);
  }

  const global: Record<string, unknown> = { scrape_interval: "1m", scrape_timeout: "10s" };
  if (input.evaluationInterval !== undefined) global.evaluation_interval = input.evaluationInterval;

  const doc: Record<string, unknown> = {
    global,
    rule_files: [RULE_FILES_GLOB],
    scrape_configs: [],
  };
  if (input.alertmanagers.length > 0) doc.alerting = { alertmanagers: input.alertmanagers };
  if (input.maxExemplars > 0) doc.storage = { exemplars: { max_exemplars: input.maxExemplars } };
  if (input.tracing) {
    const tracing: Record<string, unknown> = { endpoint: input.tracing.endpoint, sampling_fraction: 1 };
    if (input.tracing.caFile !== undefined) {
      tracing.insecure = false;
      tracing.tls_config = { ca_file: input.tracing.caFile };
    } else {
      tracing.insecure = true;
    }
    doc.tracing = tracing;
  }

  const sortedFiles: Record<string, string> = {};
  for (const k of Object.keys(files).sort()) sortedFiles[k] = files[k]!;
  return { config: dumpConfigWithJobs(doc, texts), files: sortedFiles, rejected };
}

const SCRAPE_CONFIGS_EMPTY = "\nscrape_configs: []\n";

/** A configuration {@link dumpConfig} assembled: the document without jobs, and each job's text. */
export interface ConfigParts {
  /** The document with `scrape_configs: []`. */
  readonly head: string;
  /** Each scrape job's text (`- job_name: ...` and its lines), in order. */
  readonly jobs: readonly string[];
}

/** The last configurations assembled in this process, by their text (a reconcile renders a few). */
const assembled = new Map<string, ConfigParts>();
const ASSEMBLED_KEPT = 8;

/** The parts of a configuration text {@link dumpConfig} assembled in this process, if it did. */
export function configParts(config: string): ConfigParts | undefined {
  return assembled.get(config);
}

/** `head` (a {@link ConfigParts.head}) with these jobs' texts in place of its empty list. */
export function assembleConfig(head: string, jobs: readonly string[]): string {
  if (jobs.length === 0) return head;
  const at = head.indexOf(SCRAPE_CONFIGS_EMPTY);
  if (at < 0) throw new Error("assembleConfig: the head has no empty scrape_configs");
  return `${head.slice(0, at)}\nscrape_configs:\n${jobs.join("")}${head.slice(at + SCRAPE_CONFIGS_EMPTY.length)}`;
}

/**
 * `dumpYaml(doc)`, byte for byte, with each scrape job serialised on its own and remembered
 * (see yaml-memo): the document is written with an empty `scrape_configs` and the jobs' texts
 * are put in its place. In block style with unindented sequences a top-level list's items start
 * at column 0 whether written alone or under their key, so the texts are the same. Falls back to
 * the whole dump when the marker is not found exactly once at the start of a line.
 */
export function dumpConfig(doc: Readonly<Record<string, unknown>>): string {
  const jobs = doc.scrape_configs;
  if (!Array.isArray(jobs) || jobs.length === 0) return dumpYaml(doc);
  const head = dumpYaml({ ...doc, scrape_configs: [] });
  const at = head.indexOf(SCRAPE_CONFIGS_EMPTY);
  if (at < 0 || head.indexOf(SCRAPE_CONFIGS_EMPTY, at + 1) >= 0) return dumpYaml(doc);
  return remember(
    head,
    jobs.map((job) => memoDump([job], dumpYaml)),
  );
}

/**
 * {@link dumpConfig} of `doc` (whose `scrape_configs` is empty) with the jobs whose texts these
 * are: `dumpYaml` of the document holding those jobs, byte for byte.
 */
function dumpConfigWithJobs(doc: Readonly<Record<string, unknown>>, texts: readonly string[]): string {
  const head = dumpYaml(doc);
  const at = head.indexOf(SCRAPE_CONFIGS_EMPTY);
  // The head is made here from values the charm controls (no string of it can hold this line at
  // the start of a line): a second match would be a bug, not bad input.
  if (at < 0 || head.indexOf(SCRAPE_CONFIGS_EMPTY, at + 1) >= 0)
    throw new Error("dumpConfig: the document's scrape_configs cannot be told apart");
  return remember(head, texts);
}

function remember(head: string, texts: readonly string[]): string {
  const text = assembleConfig(head, texts);
  if (assembled.size >= ASSEMBLED_KEPT) assembled.delete(assembled.keys().next().value!);
  assembled.set(text, { head, jobs: texts });
  return text;
}

/** The web config file used with server TLS (`--web.config.file`). */
export function renderWebConfig(certPath: string, keyPath: string): string {
  return dumpYaml({ tls_server_config: { cert_file: certPath, key_file: keyPath } });
}
