/**
 * What Grafana does to a dashboard it received over `grafana_dashboard` before it provisions it:
 * the requirer half of Canonical's `charms.grafana_k8s.v0.grafana_dashboard` (LIBPATCH 48,
 * `GrafanaDashboardConsumer._render_dashboards_and_signal_changed` and `CharmedDashboard`).
 *
 * Per template: the `dashboard_alt_uid` becomes the uid of a dashboard without one; the Juju
 * topology dropdowns (`juju_model`, `juju_model_uuid`, `juju_application`, `juju_unit`) and the
 * datasource dropdowns (`prometheusds`, `lokids`) are added unless the dashboard already has a
 * variable of that name; panels' datasources are pointed at those variables; and when the
 * provider sent its topology, every PromQL selector of every top-level panel gets
 * `juju_<key>=~"$juju_<key>"` matchers (the Python library runs `cos-tool transform` for this; here
 * it is the in-process injector of the scrape library). Variables are left as variables: Grafana's
 * frontend fills them in at query time.
 */
import { injectTopology, PromQLError } from "../prometheus-scrape/promql.js";
import { isRecord } from "../common/result.js";

/** A dashboard, or any part of one, as parsed JSON. */
export type JsonObject = Record<string, unknown>;

/** One template variable query in the library's object form. */
function topologyVariable(name: string, label: string, query: string): JsonObject {
  return {
    allValue: ".*",
    datasource: "${prometheusds}",
    definition: query,
    description: null,
    error: null,
    hide: 0,
    includeAll: true,
    label,
    multi: true,
    name,
    query: { query, refId: "StandardVariableQuery" },
    refresh: 1,
    regex: "",
    skipUrlSync: false,
    sort: 0,
    tagValuesQuery: "",
    tags: [],
    tagsQuery: "",
    type: "query",
    useTags: false,
  };
}

/**
 * The library's `TOPOLOGY_TEMPLATE_DROPDOWNS`: one multi-value variable per topology label, each
 * narrowed by the ones before it, with `.*` as the value of "All".
 */
export const TOPOLOGY_TEMPLATE_DROPDOWNS: readonly JsonObject[] = [
  topologyVariable("juju_model", "Juju model", "label_values(up,juju_model)"),
  topologyVariable(
    "juju_model_uuid",
    "Juju model uuid",
    'label_values(up{juju_model=~"$juju_model"},juju_model_uuid)',
  ),
  topologyVariable(
    "juju_application",
    "Juju application",
    'label_values(up{juju_model=~"$juju_model",juju_model_uuid=~"$juju_model_uuid"},juju_application)',
  ),
  topologyVariable(
    "juju_unit",
    "Juju unit",
    'label_values(up{juju_model=~"$juju_model",juju_model_uuid=~"$juju_model_uuid",juju_application=~"$juju_application"},juju_unit)',
  ),
];

function datasourceVariable(name: string, label: string, query: string): JsonObject {
  return {
    description: null,
    error: null,
    hide: 0,
    includeAll: true,
    label,
    multi: true,
    name,
    options: [],
    query,
    refresh: 1,
    regex: "",
    skipUrlSync: false,
    type: "datasource",
  };
}

/** The library's `DATASOURCE_TEMPLATE_DROPDOWNS`: a Prometheus and a Loki datasource variable. */
export const DATASOURCE_TEMPLATE_DROPDOWNS: readonly JsonObject[] = [
  datasourceVariable("prometheusds", "Prometheus datasource", "prometheus"),
  datasourceVariable("lokids", "Loki datasource", "loki"),
];

/** Datasource type to the variable Grafana's charm points such panels at. */
const REPLACEMENTS: Readonly<Record<string, string>> = { loki: "${lokids}", prometheus: "${prometheusds}" };
const KNOWN_VARIABLES = new Set(Object.values(REPLACEMENTS));

/** Raised for a dashboard Grafana's charm could not process; the message names the part at fault. */
export class DashboardTemplateError extends Error {
  override readonly name = "DashboardTemplateError";
}

/** Structural equality of JSON values (Python's `==` on the parsed dashboards). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (!isRecord(a) || !isRecord(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
}

/** `re.sub(r"(\$|\{|\})", "", s)`: a datasource reference without its variable syntax. */
function bareName(ref: string): string {
  return ref.replace(/[${}]/g, "");
}

function templatingList(dash: JsonObject): unknown[] {
  const templating = dash.templating;
  if (!isRecord(templating) || !Array.isArray(templating.list))
    throw new DashboardTemplateError("'templating' must be an object with a 'list' array");
  return templating.list;
}

/**
 * Points each panel's datasource at `${prometheusds}` / `${lokids}` (the library's
 * `_template_panels`). Without variables of its own, a dashboard's panels are pointed by the
 * datasource's type or name; with them, only panels that name one of its datasource variables are,
 * and those variable names are collected in `used` so the caller drops them.
 */
function templatePanels(
  panels: unknown[],
  datasources: ReadonlyMap<string, string>,
  existingTemplates: boolean,
  used: string[],
): void {
  for (const panel of panels) {
    if (!isRecord(panel) || !panel.datasource) continue;
    const ds = panel.datasource;
    if (!existingTemplates) {
      if (typeof ds === "string") {
        if (ds.includes("loki")) panel.datasource = "${lokids}";
        else if (!ds.includes("grafana")) panel.datasource = "${prometheusds}";
      } else if (isRecord(ds)) {
        // Grafana 9 exports name the datasource as {type, uid}.
        if (ds.type === "loki") ds.uid = "${lokids}";
        else if (ds.type === "prometheus") ds.uid = "${prometheusds}";
      }
      continue;
    }
    const ref = typeof ds === "string" ? ds : isRecord(ds) && typeof ds.uid === "string" ? ds.uid : "";
    if (typeof ds !== "string" && !isRecord(ds)) continue;
    if (KNOWN_VARIABLES.has(ref.toLowerCase())) continue;
    const name = bareName(ref);
    const type = datasources.get(name);
    if (type === undefined) continue;
    const replacement = REPLACEMENTS[type];
    if (!replacement) continue;
    used.push(name);
    if (typeof ds === "string") panel.datasource = replacement;
    else (ds as JsonObject).uid = replacement;
  }
}

/**
 * The library's `_convert_dashboard_fields` (with `_replace_template_fields`): adds the topology
 * dropdowns (when `injectDropdowns`) and the datasource dropdowns, each unless a variable of that
 * name exists (inserted at the front, in reverse, as the library's `insert(0, ...)` does), points
 * panels (top-level and under `rows`) at the datasource variables, and drops the dashboard's own
 * datasource variables that panels were moved off. `__inputs` (a marketplace export's datasource
 * inputs) are read as datasource names and removed. Returns a new object; `dash` is not changed.
 *
 * @throws DashboardTemplateError when `templating` is there but not `{list: [...]}`.
 */
export function convertDashboardFields(dash: JsonObject, injectDropdowns = true): JsonObject {
  const out = structuredClone(dash);
  const dropdowns = injectDropdowns
    ? [...TOPOLOGY_TEMPLATE_DROPDOWNS, ...DATASOURCE_TEMPLATE_DROPDOWNS]
    : [...DATASOURCE_TEMPLATE_DROPDOWNS];
  const datasources = new Map<string, string>();
  if (Array.isArray(out.__inputs)) {
    for (const field of out.__inputs) {
      if (isRecord(field) && field.type === "datasource" && typeof field.name === "string")
        datasources.set(field.name, String(field.pluginName ?? "").toLowerCase());
    }
  }
  delete out.__inputs;

  const existingTemplates = "templating" in out;
  if (!existingTemplates) {
    out.templating = { list: dropdowns.map((d) => structuredClone(d)) };
  } else {
    const list = templatingList(out);
    for (const v of list) {
      if (isRecord(v) && v.type === "datasource" && typeof v.name === "string" && typeof v.query === "string")
        datasources.set(v.name, v.query.toLowerCase());
    }
    const names = new Set(list.map((v) => (isRecord(v) ? v.name : undefined)));
    for (const d of dropdowns) {
      if (names.has(d.name)) continue;
      list.unshift(structuredClone(d));
      names.add(d.name);
    }
  }

  const used: string[] = [];
  if (datasources.size > 0 || !existingTemplates) {
    if (Array.isArray(out.panels)) templatePanels(out.panels, datasources, existingTemplates, used);
    if (Array.isArray(out.rows)) {
      for (const row of out.rows)
        if (isRecord(row) && Array.isArray(row.panels))
          templatePanels(row.panels, datasources, existingTemplates, used);
    }
  }
  if (used.length > 0) {
    const list = templatingList(out);
    // A variable the panels were moved off goes, unless it is one of the library's own dropdowns.
    const drop = list.filter(
      (v) =>
        isRecord(v) &&
        typeof v.name === "string" &&
        used.includes(v.name) &&
        !DATASOURCE_TEMPLATE_DROPDOWNS.some((d) => jsonEqual(d, v)),
    );
    for (const v of drop) list.splice(list.indexOf(v), 1);
  }
  return out;
}

/** What is inside `[...]` (ranges, subqueries, `$__rate_interval`) and after `offset`. */
const RANGE = /\[(.*?)\]/g;
const OFFSET = /offset\s+(-?\s*[$\w]+)/g;
/** The datasource variables whose panels hold PromQL (the library also transforms LogQL). */
const PROMQL_DATASOURCE = "${prometheusds}";

/**
 * One expression with `juju_<key>=~"$juju_<key>"` injected into every selector, as the library's
 * `_modify_panel` does through `cos-tool`: Grafana's `[$__interval]`-style ranges and offsets do
 * not parse, so they are swapped for `5y` placeholders and put back in order afterwards. An
 * expression that does not parse comes back unchanged.
 */
export function injectTopologyVariables(expr: string, keys: readonly string[]): string {
  const ranges = [...expr.matchAll(RANGE)].map((m) => m[1] ?? "");
  let parsed = expr.replace(RANGE, "[5y]");
  const offsets = [...parsed.matchAll(OFFSET)].map((m) => m[1] ?? "");
  parsed = parsed.replace(OFFSET, "offset 5y");
  const matchers: Record<string, string> = {};
  for (const k of keys) matchers[`juju_${k}`] = `$juju_${k}`;
  let out: string;
  try {
    out = injectTopology(parsed, matchers);
  } catch (e) {
    if (e instanceof PromQLError) return expr;
    throw e;
  }
  // cos-tool writes equality matchers; the library turns them into regex matches so "All" (.*) works.
  out = out.replace(/="\$juju/g, '=~"$juju');
  let i = 0;
  out = out.replace(/\[5y\]/g, (whole) => (i < ranges.length ? `[${ranges[i++]}]` : whole));
  let j = 0;
  out = out.replace(/offset 5y/g, (whole) => (j < offsets.length ? `offset ${offsets[j++]}` : whole));
  return out;
}

/**
 * The library's `_inject_labels`: every target `expr` of every top-level panel whose datasource is
 * `${prometheusds}` gets the topology matchers. `topology` is the template's `juju_topology`
 * (`model`, `model_uuid`, `application`, `unit`); only its keys matter, since the matchers refer to
 * the dropdown variables. Returns a new object.
 */
export function injectDashboardTopology(
  dash: JsonObject,
  topology: Readonly<Record<string, unknown>>,
): JsonObject {
  const out = structuredClone(dash);
  const keys = Object.keys(topology);
  if (keys.length === 0 || !Array.isArray(out.panels)) return out;
  for (const panel of out.panels) {
    if (!isRecord(panel) || !Array.isArray(panel.targets)) continue;
    const ds = panel.datasource;
    const ref = typeof ds === "string" ? ds : isRecord(ds) ? ds.uid : undefined;
    if (ref !== PROMQL_DATASOURCE) continue;
    for (const target of panel.targets) {
      if (isRecord(target) && typeof target.expr === "string")
        target.expr = injectTopologyVariables(target.expr, keys);
    }
  }
  return out;
}

/** One received template, as Grafana's charm processes it. */
export interface DashboardTemplateInput {
  /** Decompressed dashboard JSON text. */
  readonly content: string;
  readonly injectDropdowns: boolean;
  readonly altUid: string | undefined;
  /** The template's `juju_topology` (empty when the provider sent none). */
  readonly topology: Readonly<Record<string, unknown>>;
}

/**
 * A received dashboard made ready for Grafana, in the library's order: uid, dropdowns and
 * datasources, topology matchers. Returns the dashboard object, or the reason it cannot be used
 * (not JSON, not an object, malformed `templating`): the library skips such a dashboard.
 */
export function renderReceivedDashboard(
  t: DashboardTemplateInput,
): { dashboard: JsonObject } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(t.content);
  } catch (e) {
    return { error: `not valid JSON: ${(e as Error).message}` };
  }
  if (!isRecord(parsed)) return { error: "not a JSON object" };
  if (!parsed.uid && t.altUid !== undefined) parsed.uid = t.altUid;
  try {
    const converted = convertDashboardFields(parsed, t.injectDropdowns);
    return { dashboard: injectDashboardTopology(converted, t.topology) };
  } catch (e) {
    if (e instanceof DashboardTemplateError) return { error: e.message };
    throw e;
  }
}
