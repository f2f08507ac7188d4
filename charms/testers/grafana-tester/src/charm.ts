/**
 * The Grafana stand-in: reads every datasource from `grafana-source` and every dashboard from
 * `grafana-dashboard`, templates the dashboards as Grafana's charm does, and runs a small web
 * server in its workload container (workload/server.mjs) that shows each dashboard drawn with
 * real data from the datasource (the page is web/dashboard.js, bundled with uPlot at build time).
 * It answers on `grafana-source` with the UIDs Grafana would assign, and queries `up` on every
 * datasource for its status.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type ActionEvent,
  ActiveStatus,
  BlockedStatus,
  CharmBase,
  type Framework,
  WaitingStatus,
} from "@charmkit/ops";
import type { Container } from "@charmkit/ops/pebble";
import { lzmaBase64Decompress, parseGrafanaDashboards } from "@charmkit/interfaces/grafana-dashboard";
import {
  buildGrafanaSourceRequirerAppData,
  type GrafanaDatasource,
  parseGrafanaSources,
} from "@charmkit/interfaces/grafana-datasource";
import {
  ensureService,
  observeLifecycle,
  pushIfChanged,
  pushWorkloadScript,
  serviceState,
} from "@charmkit/tester-kit";
import { DATA_DIR, type Provisioning, provision } from "./provision.js";

const SOURCE_ENDPOINT = "grafana-source";
const DASHBOARD_ENDPOINT = "grafana-dashboard";
const CONTAINER = "grafana";
const SERVICE = "grafana";
/** Where the server and the page go in the workload container (the charm's files are not there). */
export const SERVER = "/srv/grafana-tester/server.mjs";
export const WEB_DIR = "/srv/grafana-tester/web";
export const GRAFANA_UID = "grafana-tester-uid";

/** Result of one instant query against a datasource. */
export interface QueryOutcome {
  readonly url: string;
  readonly ok: boolean;
  readonly series: number;
  readonly detail: string;
}

/** Runs `expr` against a Prometheus-compatible datasource URL. */
export async function queryDatasource(url: string, expr: string, timeoutMs = 5000): Promise<QueryOutcome> {
  const target = `${url.replace(/\/+$/, "")}/api/v1/query?query=${encodeURIComponent(expr)}`;
  try {
    const res = await fetch(target, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { status?: string; data?: { result?: unknown[] }; error?: string };
    if (!res.ok || body.status !== "success")
      return { url, ok: false, series: 0, detail: `HTTP ${res.status}: ${body.error ?? "query failed"}` };
    const result = body.data?.result ?? [];
    return { url, ok: true, series: result.length, detail: JSON.stringify(result) };
  } catch (e) {
    return { url, ok: false, series: 0, detail: e instanceof Error ? e.message : String(e) };
  }
}

export default class GrafanaTesterCharm extends CharmBase {
  constructor(framework: Framework) {
    super(framework);
    const run = (): Promise<void> => this.reconcile();
    for (const endpoint of [SOURCE_ENDPOINT, DASHBOARD_ENDPOINT])
      for (const k of [
        "relation-joined",
        "relation-changed",
        "relation-departed",
        "relation-broken",
      ] as const)
        framework.observe(k, endpoint, run);
    observeLifecycle(framework, run, CONTAINER);
    framework.observe("leader-elected", run);
    framework.observe("action", "query", (e) => this.onQuery(e));
  }

  private datasources(): GrafanaDatasource[] {
    const parsed = parseGrafanaSources(this.model.relations(SOURCE_ENDPOINT).map((r) => r.snapshot()));
    for (const r of parsed.rejected) this.log.warning(`${SOURCE_ENDPOINT}:${r.relationId}: ${r.reason}`);
    return parsed.accepted;
  }

  private async reconcile(): Promise<void> {
    // Collect: what the providers offer.
    const sources = this.datasources();
    const received = await parseGrafanaDashboards(
      this.model.relations(DASHBOARD_ENDPOINT).map((r) => r.snapshot()),
      lzmaBase64Decompress,
    );
    for (const r of received.rejected) this.log.warning(`${DASHBOARD_ENDPOINT}:${r.relationId}: ${r.reason}`);
    // Render: the files the workload serves.
    const planned = provision(sources, received.accepted);
    for (const p of planned.problems) this.log.warning(p);
    // Apply, then publish and say how it went.
    const applied = await this.apply(planned);
    this.publish(sources);
    if ("problem" in applied) {
      this.model.unit.setStatus(
        applied.waiting ? WaitingStatus(applied.problem) : BlockedStatus(applied.problem),
      );
      return;
    }
    if (sources.length === 0) {
      this.model.unit.setStatus(
        WaitingStatus(`no datasources yet; relate to prometheus:grafana-source (${applied.summary})`),
      );
      return;
    }
    const results = await Promise.all(sources.map((s) => queryDatasource(s.url, "up")));
    const bad = results.find((r) => !r.ok);
    if (bad) {
      this.model.unit.setStatus(BlockedStatus(`query failed on ${bad.url}: ${bad.detail.slice(0, 120)}`));
      return;
    }
    const queried = results.map((r) => `${r.series} series from ${r.url}`).join("; ");
    this.model.unit.setStatus(ActiveStatus(`${applied.summary}; queried ${queried}`));
  }

  /** This unit's page address. */
  private pageUrl(): string {
    const port = this.model.config.getNumber("port") ?? 3000;
    return `http://${this.model.unit.fqdn}:${port}/`;
  }

  /**
   * Pushes the server, the page and the provisioned files (only what changed; dashboards no longer
   * offered are removed) and keeps the server running. Returns a summary, or the problem to show.
   */
  private async apply(
    planned: Provisioning,
  ): Promise<{ summary: string } | { problem: string; waiting: boolean }> {
    const c = this.model.unit.container(CONTAINER) as Container;
    if (!(await c.canConnect())) return { problem: "waiting for the grafana container", waiting: true };
    const web = join(this.charmDir, "web");
    let pageFiles: string[];
    try {
      pageFiles = readdirSync(web).sort();
    } catch {
      return {
        problem: "the page is missing from the charm (web/): build or pack it with the repository's tools",
        waiting: false,
      };
    }
    await pushWorkloadScript(c, this.charmDir, "server.mjs", SERVER, SERVICE);
    for (const f of pageFiles) await pushIfChanged(c, `${WEB_DIR}/${f}`, readFileSync(join(web, f), "utf8"));
    for (const [rel, content] of Object.entries(planned.files))
      await pushIfChanged(c, `${DATA_DIR}/${rel}`, content);
    const dir = `${DATA_DIR}/dashboards`;
    const present = (await c.exists(dir)) ? await c.listFiles(dir) : [];
    for (const f of present)
      if (!(`dashboards/${f.name}` in planned.files)) await c.remove(`${dir}/${f.name}`);

    const port = this.model.config.getNumber("port") ?? 3000;
    // Every interface of the pod, as a Kubernetes workload listens; the page is published by FQDN.
    const command = `node ${SERVER} --listen :${port} --data ${DATA_DIR} --web ${WEB_DIR}`;
    await ensureService(c, {
      name: SERVICE,
      command,
      summary: "Grafana stand-in: dashboards drawn from the datasources",
    });
    const state = await serviceState(c, SERVICE);
    if (state !== "active")
      return { problem: `the dashboard server is ${state ?? "missing"}; see the unit log`, waiting: false };
    const n = planned.dashboards.length;
    const problems =
      planned.problems.length > 0 ? ` (${planned.problems.length} unusable, see the page)` : "";
    return { summary: `${n} dashboard${n === 1 ? "" : "s"} at ${this.pageUrl()}${problems}` };
  }

  /** Leader: the UIDs Grafana assigns, on every `grafana-source` relation. */
  private publish(sources: readonly GrafanaDatasource[]): void {
    if (!this.model.unit.isLeader()) return;
    for (const rel of this.model.relations(SOURCE_ENDPOINT)) {
      const mine = sources.filter((s) => s.relationId === rel.id);
      rel.localAppData.update(buildGrafanaSourceRequirerAppData(GRAFANA_UID, "http://grafana-tester", mine));
    }
  }

  private async onQuery(e: ActionEvent): Promise<void> {
    const expr = String(e.params.expr ?? "up");
    const sources = this.datasources();
    if (sources.length === 0) {
      e.fail("no datasources");
      return;
    }
    const results = await Promise.all(sources.map((s) => queryDatasource(s.url, expr)));
    const out: Record<string, string> = {};
    results.forEach((r, i) => {
      out[`source-${i}`] = JSON.stringify(r);
    });
    e.setResults(out);
    if (results.some((r) => !r.ok)) e.fail("at least one datasource query failed");
  }
}
