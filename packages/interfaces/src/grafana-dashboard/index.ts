/**
 * `grafana_dashboard` interface library, both sides, wire-compatible with Canonical's
 * `charms.grafana_k8s.v0.grafana_dashboard` (LIBPATCH 44, read from canonical/grafana-k8s-operator).
 *
 * Provider (Prometheus): the leader writes app key `dashboards` = JSON
 * `{"templates": {"file:<stem>": {"charm", "content", "juju_topology", "inject_dropdowns",
 * "dashboard_alt_uid"}}, "uuid": <random uuid4>}` where `content` is the dashboard JSON
 * (uid replaced by a "Path40" uid, a `charm: <name>` tag added) compressed with cosl `LZMABase64`.
 * Grafana may answer with app key `event` = JSON `{"valid", "errors"}`.
 * Requirer (Grafana side, for testers): lists the templates of every relation; `./consumer.ts`
 * does what Grafana's charm does to each before provisioning it (dropdowns, datasource variables,
 * topology matchers).
 *
 * The functions here take the compressor/decompressor as arguments; `./lzma.ts` provides the
 * real ones (in-process LZMA).
 */
import { createRequire } from "node:module";
import type { Databag, LocalIdentity, RelationSnapshot } from "@charmkit/ops";
import { type PyJsonValue, pyJsonDumps } from "../common/pyjson.js";
import { isRecord, type ParseResult, parseJsonValue, type Rejection, reject } from "../common/result.js";
import { type ModelLike, writeAppData } from "../common/sdk.js";

export {
  convertDashboardFields,
  DATASOURCE_TEMPLATE_DROPDOWNS,
  DashboardTemplateError,
  injectDashboardTopology,
  injectTopologyVariables,
  type JsonObject,
  renderReceivedDashboard,
  TOPOLOGY_TEMPLATE_DROPDOWNS,
} from "./consumer.js";
export { LzmaError, lzmaBase64Compress, lzmaBase64Decompress } from "./lzma.js";

/** Default endpoint name. */
export const GRAFANA_DASHBOARD_ENDPOINT = "grafana-dashboard";

// node:crypto takes milliseconds to load, and most hooks of a charm offering dashboards never hash
// one: loaded on first use (any absolute path anchors a require function for a built-in module).
let cryptoHash: typeof import("node:crypto").createHash | undefined;

function createHash(algorithm: string, options?: import("node:crypto").HashOptions) {
  cryptoHash ??= (createRequire("/")("node:crypto") as typeof import("node:crypto")).createHash;
  return cryptoHash(algorithm, options);
}

function shake256Hex(text: string, bytes: number): string {
  return createHash("shake256", { outputLength: bytes }).update(text, "utf8").digest("hex");
}

/** cosl `DashboardPath40UID.generate`: 40 hex chars from `charm-relpath`. */
export function dashboardPath40Uid(charmName: string, relPath: string): string {
  return shake256Hex(`${charmName}-${relPath}`, 20);
}

/** cosl `DashboardPath40UID.is_valid`: 40 characters of hex. */
export function isPath40Uid(uid: unknown): boolean {
  return typeof uid === "string" && /^[0-9a-fA-F]{40}$/.test(uid);
}

/** The library's `_generate_alt_uid`: 16 hex chars from `charm-<template id>`. */
export function dashboardAltUid(charmName: string, templateId: string): string {
  return shake256Hex(`${charmName}-${templateId}`, 8);
}

/** Python's `Path(name).stem`: the file name without its last suffix. */
export function pathStem(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

/** One bundled dashboard file. */
export interface DashboardFile {
  /** Path relative to the charm root, e.g. `src/grafana_dashboards/prometheus-k8s_rev1.json.tmpl`. */
  readonly relPath: string;
  /** The file's text (Grafana dashboard JSON). */
  readonly content: string;
}

/** A dashboard object as stored under `templates`. */
export interface DashboardTemplate {
  readonly charm: string;
  readonly content: string;
  readonly juju_topology:
    | { model: string; model_uuid: string; application: string; unit: string }
    | Record<string, never>;
  readonly inject_dropdowns: boolean;
  readonly dashboard_alt_uid?: string;
}

/** Is the file name one the Python library picks up (`.json`, `.json.tmpl`, `.tmpl`)? */
export function isDashboardFileName(name: string): boolean {
  return name.endsWith(".json") || name.endsWith(".tmpl");
}

/**
 * The library's per-file processing, before compression: parse, replace `uid` with the Path40 uid
 * unless it already is one, add a `charm: <name>` tag unless one exists, re-encode like
 * `json.dumps`. Returns an error string for files that are not a JSON object.
 */
export function prepareDashboardJson(
  file: DashboardFile,
  charmName: string,
): { json: string } | { error: string } {
  const parsed = parseJsonValue(file.relPath, file.content);
  if (!parsed.ok) return { error: parsed.error };
  const dash = parsed.value;
  if (!isRecord(dash)) return { error: `'${file.relPath}' is not a JSON object` };
  if (!isPath40Uid(dash.uid)) dash.uid = dashboardPath40Uid(charmName, file.relPath);
  const tags = Array.isArray(dash.tags) ? [...dash.tags] : [];
  if (!tags.some((t) => typeof t === "string" && t.startsWith("charm: "))) tags.push(`charm: ${charmName}`);
  dash.tags = tags;
  return { json: pyJsonDumps(dash as PyJsonValue) };
}

/**
 * The `templates` mapping for bundled dashboard files, keyed `file:<stem>` and sorted by key.
 * Files that are not JSON objects are skipped and reported in `errors`, as the Python library
 * logs and skips them.
 */
export function buildDashboardTemplates(
  files: readonly DashboardFile[],
  identity: LocalIdentity,
  charmName: string,
  compress: (text: string) => string,
  injectDropdowns = true,
): { templates: Record<string, DashboardTemplate>; errors: string[] } {
  const entries: [string, DashboardTemplate][] = [];
  const errors: string[] = [];
  for (const file of files) {
    const prepared = prepareDashboardJson(file, charmName);
    if ("error" in prepared) {
      errors.push(prepared.error);
      continue;
    }
    const id = `file:${pathStem(file.relPath)}`;
    entries.push([
      id,
      {
        charm: charmName,
        content: compress(prepared.json),
        juju_topology: injectDropdowns
          ? {
              model: identity.modelName,
              model_uuid: identity.modelUuid,
              application: identity.appName,
              unit: identity.unitName,
            }
          : {},
        inject_dropdowns: injectDropdowns,
        dashboard_alt_uid: dashboardAltUid(charmName, id),
      },
    ]);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { templates: Object.fromEntries(entries), errors };
}

/**
 * The provider's app bag. `uuid` is a nonce the Python library regenerates on every write so that
 * Juju always sees a change; pass `crypto.randomUUID()` for that behaviour, or a value derived from
 * the templates to write only on real changes. Call only on the leader.
 */
export function buildGrafanaDashboardAppData(
  templates: Readonly<Record<string, DashboardTemplate>>,
  uuid: string,
): Databag {
  return { dashboards: pyJsonDumps({ templates: templates as unknown as PyJsonValue, uuid }) };
}

/** A stable uuid-shaped nonce derived from the templates (changes only when they change). */
export function templatesNonce(templates: Readonly<Record<string, DashboardTemplate>>): string {
  const h = createHash("sha256")
    .update(pyJsonDumps(templates as unknown as PyJsonValue))
    .digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** What Grafana reported back about our dashboards (app key `event`). */
export interface DashboardStatus {
  readonly valid: boolean;
  readonly errors: readonly unknown[];
}

/** Provider side: Grafana's `event` answer, or `undefined` when it has not written one. */
export function parseDashboardStatus(rel: RelationSnapshot): DashboardStatus | { error: string } | undefined {
  const raw = rel.remoteAppData.event;
  if (!raw) return undefined;
  const parsed = parseJsonValue("event", raw);
  if (!parsed.ok) return { error: parsed.error };
  if (!isRecord(parsed.value) || Object.keys(parsed.value).length === 0) return undefined;
  const errors = Array.isArray(parsed.value.errors) ? parsed.value.errors : [];
  return { valid: parsed.value.valid === undefined ? true : Boolean(parsed.value.valid), errors };
}

/** One received dashboard. */
export interface ReceivedDashboard {
  readonly relationId: number;
  readonly id: string;
  readonly charm: string;
  /** Decompressed dashboard JSON text. */
  readonly content: string;
  readonly injectDropdowns: boolean;
  readonly altUid: string | undefined;
  /** The provider's `juju_topology` (`model`, `model_uuid`, `application`, `unit`); empty when none. */
  readonly topology: Readonly<Record<string, string>>;
}

/**
 * Requirer side: every template of every relation, decompressed with `decompress`. A malformed
 * `dashboards` value rejects the relation; a template that fails to decompress is rejected alone.
 */
export async function parseGrafanaDashboards(
  relations: readonly RelationSnapshot[],
  decompress: (b64: string) => string | Promise<string>,
): Promise<ParseResult<ReceivedDashboard>> {
  const accepted: ReceivedDashboard[] = [];
  const rejected: Rejection[] = [];
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    const raw = rel.remoteAppData.dashboards;
    if (!raw) continue;
    const parsed = parseJsonValue("dashboards", raw);
    if (!parsed.ok) {
      rejected.push(reject(rel.id, parsed.error));
      continue;
    }
    const templates = isRecord(parsed.value) ? parsed.value.templates : undefined;
    if (!isRecord(templates)) {
      rejected.push(reject(rel.id, "'dashboards' must be a JSON object with a 'templates' object"));
      continue;
    }
    for (const id of Object.keys(templates).sort()) {
      const t = templates[id];
      if (!isRecord(t) || typeof t.content !== "string") {
        rejected.push(reject(rel.id, `'dashboards' template ${id} has no string 'content'`));
        continue;
      }
      let content: string;
      try {
        content = await decompress(t.content);
      } catch (e) {
        rejected.push(
          reject(rel.id, `'dashboards' template ${id} cannot be decompressed: ${(e as Error).message}`),
        );
        continue;
      }
      const topology: Record<string, string> = {};
      if (isRecord(t.juju_topology))
        for (const [k, v] of Object.entries(t.juju_topology)) if (typeof v === "string") topology[k] = v;
      accepted.push({
        relationId: rel.id,
        id,
        charm: typeof t.charm === "string" ? t.charm : "",
        content,
        injectDropdowns: t.inject_dropdowns !== false,
        altUid: typeof t.dashboard_alt_uid === "string" ? t.dashboard_alt_uid : undefined,
        topology,
      });
    }
  }
  return { accepted, rejected };
}

/** SDK binding: the leader publishes the templates on every `endpoint` relation; false on non-leaders. */
export function publishGrafanaDashboards(
  model: ModelLike,
  templates: Readonly<Record<string, DashboardTemplate>>,
  uuid: string,
  endpoint = GRAFANA_DASHBOARD_ENDPOINT,
): boolean {
  const bag = buildGrafanaDashboardAppData(templates, uuid);
  return writeAppData(model, endpoint, () => bag);
}
