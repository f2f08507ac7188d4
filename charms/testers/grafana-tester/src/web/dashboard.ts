/// <reference lib="dom" />
/**
 * The stand-in's dashboard page (bundled for browsers into web/dashboard.js by the charm's build):
 * loads one provisioned dashboard and the datasources from the workload server, resolves its
 * template variables against the datasource, and draws every panel from range queries sent
 * through the server's datasource proxy, with uPlot. Each panel says how it went, for people and
 * for the browser test: `data-state` is `ok`, `empty` (the queries returned no series; the panel
 * shows "No data") or `error` (with the datasource's message), and `data-series` lists the
 * series drawn with their labels. The body's `data-state` turns `ready` when every panel is done.
 */
/*! This page bundles uPlot (https://github.com/leeoniya/uPlot), Copyright (c) Leon Sorokin, MIT License. */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./dashboard.css";
import {
  ALL_VALUE,
  applyVariableRegex,
  formatValue,
  initialSelection,
  interpolate,
  parseTime,
  parseVariableQuery,
  planRangeQuery,
  type ResolvedVariable,
  referencedNames,
  resolutionOrder,
  selectedValues,
  seriesName,
  sortOptions,
  type TimeRange,
  type VariableOption,
} from "./templating.js";

/** A datasource as the server lists it (Grafana's /api/datasources shape, the fields used here). */
interface Datasource {
  readonly uid: string;
  readonly name: string;
  readonly type: string;
  readonly jsonData?: { readonly timeInterval?: string };
}

type Json = Record<string, unknown>;

/** A series of a Prometheus matrix result. */
interface MatrixSeries {
  readonly metric: Record<string, string>;
  readonly values: [number, string][];
}

interface PrometheusResponse {
  readonly status?: string;
  readonly error?: string;
  readonly data?: { readonly resultType?: string; readonly result?: unknown[] };
}

const PALETTE = ["#7eb26d", "#eab839", "#6ed0e0", "#ef843c", "#e24d42", "#1f78c1", "#ba43a9", "#705da0"];
/** Grafana's grid: 24 columns, rows of 30 px. */
const ROW_PX = 30;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${url}: HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
  if (!res.ok && !isObject(body)) throw new Error(`${url}: HTTP ${res.status}`);
  return body as T;
}

/** A datasource API path through the server's proxy (Grafana's /api/datasources/proxy/uid/...). */
function proxied(ds: Datasource, path: string, params: Record<string, string | string[]>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
  return `/api/datasources/proxy/uid/${encodeURIComponent(ds.uid)}${path}?${q}`;
}

async function prometheus(ds: Datasource, path: string, params: Record<string, string | string[]>) {
  const body = await getJson<PrometheusResponse>(proxied(ds, path, params));
  if (body.status !== "success")
    throw new Error(body.error ?? `the datasource answered ${JSON.stringify(body).slice(0, 200)}`);
  return body.data;
}

/** The datasource a panel, target or variable names: by variable, uid or name; the first Prometheus otherwise. */
function findDatasource(
  ref: unknown,
  datasources: readonly Datasource[],
  vars: ReadonlyMap<string, ResolvedVariable>,
): Datasource | undefined {
  let name = isObject(ref) ? str(ref.uid) : str(ref);
  const variable = name ? /^\$\{?(\w+)\}?$/.exec(name)?.[1] : undefined;
  const v = variable ? vars.get(variable) : undefined;
  if (v) name = selectedValues(v).values[0];
  if (!name || name === "default") return datasources.find((d) => d.type === "prometheus");
  return datasources.find((d) => d.uid === name) ?? datasources.find((d) => d.name === name);
}

/** The range built-ins a variable query may use ($__range and friends). */
function rangeBuiltins(range: TimeRange): Record<string, string> {
  const ms = range.to - range.from;
  return {
    __range: `${Math.round(ms / 1000)}s`,
    __range_s: String(Math.round(ms / 1000)),
    __range_ms: String(ms),
    __from: String(range.from),
    __to: String(range.to),
  };
}

/** The options of one variable, from its definition and the variables resolved before it. */
async function variableOptions(
  def: Json,
  datasources: readonly Datasource[],
  vars: ReadonlyMap<string, ResolvedVariable>,
  range: TimeRange,
): Promise<VariableOption[]> {
  const type = str(def.type) ?? "query";
  const query = isObject(def.query) ? str(def.query.query) : str(def.query);
  const split = (text: string) =>
    text
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x !== "")
      .map((x) => ({ text: x, value: x }));
  if (type === "datasource") {
    const kind = (query ?? "").toLowerCase();
    return datasources.filter((d) => d.type === kind).map((d) => ({ text: d.name, value: d.uid }));
  }
  if (type === "custom" || type === "interval") return split(query ?? "");
  if (type === "constant" || type === "textbox") return query ? [{ text: query, value: query }] : [];
  if (type !== "query") throw new Error(`variables of type '${type}' are not supported here`);
  const ds = findDatasource(def.datasource, datasources, vars);
  if (!ds) throw new Error(`no datasource ${JSON.stringify(def.datasource)}`);
  const parsed = parseVariableQuery(interpolate(query ?? "", vars, rangeBuiltins(range)));
  if ("error" in parsed) throw new Error(parsed.error);
  const start = String(Math.floor(range.from / 1000));
  const end = String(Math.ceil(range.to / 1000));
  const strings = (d: unknown) =>
    Array.isArray(d) ? d.filter((x): x is string => typeof x === "string") : [];
  switch (parsed.kind) {
    case "label_names":
      return strings(await prometheus(ds, "/api/v1/labels", { start, end })).map((x) => ({
        text: x,
        value: x,
      }));
    case "label_values": {
      const params: Record<string, string | string[]> = { start, end };
      if (parsed.metric) params["match[]"] = parsed.metric;
      const data = await prometheus(ds, `/api/v1/label/${encodeURIComponent(parsed.label)}/values`, params);
      return strings(data).map((x) => ({ text: x, value: x }));
    }
    case "metrics": {
      const re = new RegExp(parsed.regex);
      const names = strings(await prometheus(ds, "/api/v1/label/__name__/values", { start, end }));
      return names.filter((n) => re.test(n)).map((x) => ({ text: x, value: x }));
    }
    case "query_result": {
      const data = await prometheus(ds, "/api/v1/query", { query: parsed.query, time: end });
      const result = (data?.result ?? []) as { metric: Record<string, string>; value: [number, string] }[];
      return result.map((r) => {
        const text = `${seriesName(r.metric, undefined, "")} ${r.value[1]} ${r.value[0] * 1000}`;
        return { text, value: text };
      });
    }
  }
}

/** A variable as the page shows it, with the problem met while resolving it, if any. */
interface VariableView {
  readonly def: Json;
  readonly resolved: ResolvedVariable;
  readonly error: string | undefined;
}

async function resolveVariables(
  defs: readonly Json[],
  datasources: readonly Datasource[],
  params: URLSearchParams,
  range: TimeRange,
): Promise<{ vars: Map<string, ResolvedVariable>; views: VariableView[] }> {
  const byName = new Map(defs.filter((d) => typeof d.name === "string").map((d) => [d.name as string, d]));
  const refs = new Map<string, string[]>();
  for (const [name, d] of byName) {
    const text = JSON.stringify([d.query ?? "", d.datasource ?? "", d.regex ?? ""]);
    refs.set(name, referencedNames(text));
  }
  const vars = new Map<string, ResolvedVariable>();
  const views: VariableView[] = [];
  for (const name of resolutionOrder([...byName.keys()], refs)) {
    const def = byName.get(name) as Json;
    let options: VariableOption[] = [];
    let error: string | undefined;
    try {
      options = await variableOptions(def, datasources, vars, range);
      options = applyVariableRegex(options, interpolate(str(def.regex) ?? "", vars));
      options = sortOptions(options, typeof def.sort === "number" ? def.sort : 0);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const includeAll = def.includeAll === true;
    const saved = isObject(def.current) ? def.current.value : undefined;
    const savedValues = Array.isArray(saved) ? saved.map(String) : saved === undefined ? [] : [String(saved)];
    const resolved: ResolvedVariable = {
      name,
      multi: def.multi === true,
      includeAll,
      allValue: typeof def.allValue === "string" && def.allValue !== "" ? def.allValue : undefined,
      options,
      current: initialSelection(options, includeAll, params.getAll(`var-${name}`), savedValues),
    };
    vars.set(name, resolved);
    views.push({ def, resolved, error });
  }
  return { vars, views };
}

/** Every panel to draw, rows' panels included (both the `rows` of old dashboards and collapsed rows). */
function allPanels(dash: Json): Json[] {
  const out: Json[] = [];
  const visit = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const p of list) {
      if (!isObject(p)) continue;
      if (p.type === "row") visit(p.panels);
      else out.push(p);
    }
  };
  visit(dash.panels);
  if (Array.isArray(dash.rows)) for (const row of dash.rows) if (isObject(row)) visit(row.panels);
  return out;
}

/** What one panel drew. */
interface PanelOutcome {
  readonly state: "ok" | "empty" | "error";
  readonly series: { name: string; labels: Record<string, string> }[];
  readonly queries: string[];
  readonly error?: string;
}

async function drawPanel(
  el: HTMLElement,
  panel: Json,
  datasources: readonly Datasource[],
  vars: ReadonlyMap<string, ResolvedVariable>,
  range: TimeRange,
): Promise<PanelOutcome> {
  const body = el.querySelector<HTMLElement>(".body") as HTMLElement;
  body.replaceChildren();
  const targets = (Array.isArray(panel.targets) ? panel.targets : []).filter(
    (t): t is Json => isObject(t) && t.hide !== true && typeof t.expr === "string",
  );
  if (targets.length === 0) return { state: "empty", series: [], queries: [] };
  const width = Math.max(200, Math.floor(body.clientWidth || el.clientWidth || 600));
  const unit =
    isObject(panel.fieldConfig) && isObject(panel.fieldConfig.defaults)
      ? str(panel.fieldConfig.defaults.unit)
      : undefined;
  const queries: string[] = [];
  const drawn: { name: string; labels: Record<string, string>; points: Map<number, number | null> }[] = [];
  for (const t of targets) {
    const ds = findDatasource(t.datasource ?? panel.datasource, datasources, vars);
    if (!ds) throw new Error(`no datasource ${JSON.stringify(t.datasource ?? panel.datasource)}`);
    const plan = planRangeQuery({
      range,
      maxDataPoints: typeof panel.maxDataPoints === "number" ? panel.maxDataPoints : width,
      panelInterval: str(panel.interval),
      targetInterval: str(t.interval),
      intervalFactor: typeof t.intervalFactor === "number" ? t.intervalFactor : undefined,
      scrapeInterval: ds.jsonData?.timeInterval,
    });
    const expr = interpolate(t.expr as string, vars, plan.builtins);
    queries.push(expr);
    const data = await prometheus(ds, "/api/v1/query_range", {
      query: expr,
      start: String(plan.start),
      end: String(plan.end),
      step: String(plan.step),
    });
    for (const s of (data?.result ?? []) as MatrixSeries[]) {
      const points = new Map<number, number | null>();
      for (const [ts, v] of s.values) {
        const n = Number.parseFloat(v);
        points.set(ts, Number.isFinite(n) ? n : null);
      }
      drawn.push({ name: seriesName(s.metric, str(t.legendFormat), expr), labels: s.metric, points });
    }
  }
  if (drawn.length === 0) {
    const none = document.createElement("div");
    none.className = "nodata";
    none.textContent = "No data";
    body.append(none);
    return { state: "empty", series: [], queries };
  }
  // The timestamps of every target, so series of targets with different steps share one axis.
  const xs = [...new Set(drawn.flatMap((s) => [...s.points.keys()]))].sort((a, b) => a - b);
  const ys = drawn.map((s) => xs.map((x) => s.points.get(x) ?? null));
  const gridH = isObject(panel.gridPos) && typeof panel.gridPos.h === "number" ? panel.gridPos.h : 8;
  const opts: uPlot.Options = {
    width,
    height: Math.max(120, gridH * ROW_PX - 100),
    // The whole time range, as Grafana draws it, however little of it has data.
    scales: { x: { time: true, range: [range.from / 1000, range.to / 1000] } },
    series: [
      {},
      ...drawn.map((s, i) => ({
        label: s.name,
        stroke: PALETTE[i % PALETTE.length]!,
        fill: `${PALETTE[i % PALETTE.length]}22`,
        width: 1.5,
        // A series of a few points (a model that has just started) would be drawn as nothing.
        points: { show: s.points.size < 60, size: 5 },
        value: (_u: uPlot, v: number | null) => formatValue(v, unit),
      })),
    ],
    axes: [{}, { size: 80, values: (_u: uPlot, vals: number[]) => vals.map((v) => formatValue(v, unit)) }],
    legend: { show: true, live: false },
  };
  new uPlot(opts, [xs, ...ys] as uPlot.AlignedData, body);
  return { state: "ok", series: drawn.map((s) => ({ name: s.name, labels: s.labels })), queries };
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The variable and time pickers; a change reloads the page with Grafana's URL parameters. */
function toolbar(views: readonly VariableView[], params: URLSearchParams, defaultFrom: string): HTMLElement {
  const bar = element("div", "toolbar");
  const go = (mutate: (p: URLSearchParams) => void) => {
    const next = new URLSearchParams(params);
    mutate(next);
    location.search = next.toString();
  };
  for (const { def, resolved, error } of views) {
    if (def.hide === 2 || def.type === "constant") continue;
    const label = element("label", "variable");
    label.append(element("span", undefined, str(def.label) || resolved.name));
    const select = element("select");
    select.multiple = resolved.multi;
    if (resolved.multi)
      select.size = Math.min(3, resolved.options.length + (resolved.includeAll ? 1 : 0)) || 1;
    select.dataset.variable = resolved.name;
    const choices = resolved.includeAll
      ? [{ text: "All", value: ALL_VALUE }, ...resolved.options]
      : resolved.options;
    for (const o of choices) {
      const opt = element("option", undefined, o.text);
      opt.value = o.value;
      opt.selected = resolved.current.includes(o.value);
      select.append(opt);
    }
    select.addEventListener("change", () => {
      const chosen = [...select.selectedOptions].map((o) => o.value);
      go((p) => {
        p.delete(`var-${resolved.name}`);
        for (const c of chosen) p.append(`var-${resolved.name}`, c === ALL_VALUE ? "All" : c);
      });
    });
    label.append(select);
    if (error) label.append(element("span", "error", error));
    bar.append(label);
  }
  const time = element("select");
  time.className = "time";
  const presets: [string, string][] = [
    ["Last 5 minutes", "now-5m"],
    ["Last 15 minutes", "now-15m"],
    ["Last 1 hour", "now-1h"],
    ["Last 6 hours", "now-6h"],
    ["Last 24 hours", "now-24h"],
  ];
  if (!presets.some(([, from]) => from === defaultFrom)) presets.push([defaultFrom, defaultFrom]);
  const current = params.get("from") ?? defaultFrom;
  for (const [text, from] of presets) {
    const opt = element("option", undefined, text);
    opt.value = from;
    opt.selected = from === current;
    time.append(opt);
  }
  time.addEventListener("change", () =>
    go((p) => {
      p.set("from", time.value);
      p.set("to", "now");
    }),
  );
  const timeLabel = element("label", "variable");
  timeLabel.append(element("span", undefined, "Time range"), time);
  bar.append(timeLabel);
  return bar;
}

function describeRange(range: TimeRange): string {
  const iso = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19);
  return `${iso(range.from)} to ${iso(range.to)} UTC`;
}

async function main(): Promise<void> {
  const root = document.getElementById("dashboard") as HTMLElement;
  const uid = root.dataset.uid ?? "";
  const params = new URLSearchParams(location.search);
  const [{ dashboard }, datasources] = await Promise.all([
    getJson<{ dashboard: Json }>(`/api/dashboards/uid/${encodeURIComponent(uid)}`),
    getJson<Datasource[]>("/api/datasources"),
  ]);
  const now = Date.now();
  const time = isObject(dashboard.time) ? dashboard.time : {};
  const range = {
    from: parseTime(params.get("from") ?? str(time.from) ?? "now-6h", now),
    to: parseTime(params.get("to") ?? str(time.to) ?? "now", now),
  };
  const templating =
    isObject(dashboard.templating) && Array.isArray(dashboard.templating.list)
      ? dashboard.templating.list.filter(isObject)
      : [];
  const { vars, views } = await resolveVariables(templating, datasources, params, range);

  const header = element("header");
  header.append(
    element("h1", undefined, str(dashboard.title) ?? uid),
    element("p", "range", describeRange(range)),
  );
  const grid = element("main", "grid");
  root.replaceChildren(header, toolbar(views, params, str(time.from) ?? "now-6h"), grid);

  const panels = allPanels(dashboard);
  const work = panels.map(async (panel, i) => {
    const el = element("section", "panel");
    el.dataset.panelId = String(panel.id ?? i);
    el.dataset.title = str(panel.title) ?? "";
    el.dataset.state = "loading";
    const pos = isObject(panel.gridPos) ? panel.gridPos : {};
    const n = (v: unknown, d: number) => (typeof v === "number" ? v : d);
    el.style.gridColumn = `${n(pos.x, (i % 2) * 12) + 1} / span ${n(pos.w, 12)}`;
    el.style.gridRow = `${n(pos.y, Math.floor(i / 2) * 8) + 1} / span ${n(pos.h, 8)}`;
    el.append(element("h2", undefined, str(panel.title) ?? ""), element("div", "body"));
    grid.append(el);
    try {
      const outcome = await drawPanel(el, panel, datasources, vars, range);
      el.dataset.state = outcome.state;
      el.dataset.series = JSON.stringify(outcome.series);
      el.dataset.queries = JSON.stringify(outcome.queries);
    } catch (e) {
      el.dataset.state = "error";
      el.dataset.series = "[]";
      el.querySelector(".body")?.append(element("div", "error", e instanceof Error ? e.message : String(e)));
    }
  });
  await Promise.all(work);
  document.body.dataset.state = "ready";
}

main().catch((e: unknown) => {
  document.body.dataset.state = "error";
  const msg = element(
    "p",
    "error",
    `cannot show this dashboard: ${e instanceof Error ? e.message : String(e)}`,
  );
  document.getElementById("dashboard")?.replaceChildren(msg);
});
