/**
 * The Grafana datasource tester: reads every datasource from `grafana-source`, queries it, and
 * answers with the UIDs Grafana would assign.
 */
import {
  type ActionEvent,
  ActiveStatus,
  BlockedStatus,
  CharmBase,
  type Framework,
  WaitingStatus,
} from "@charmkit/ops";
import {
  buildGrafanaSourceRequirerAppData,
  type GrafanaDatasource,
  parseGrafanaSources,
} from "@charmkit/interfaces/grafana-datasource";

const ENDPOINT = "grafana-source";
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
    const run = async (): Promise<void> => {
      await this.refresh();
    };
    for (const k of ["relation-joined", "relation-changed", "relation-departed", "relation-broken"] as const)
      framework.observe(k, ENDPOINT, run);
    framework.observe("update-status", run);
    framework.observe("config-changed", run);
    framework.observe("action", "query", (e) => this.onQuery(e));
  }

  private datasources(): GrafanaDatasource[] {
    const parsed = parseGrafanaSources(this.model.relations(ENDPOINT).map((r) => r.snapshot()));
    for (const r of parsed.rejected) this.log.warning(`grafana-source:${r.relationId}: ${r.reason}`);
    return parsed.accepted;
  }

  private async refresh(): Promise<void> {
    const sources = this.datasources();
    if (this.model.unit.isLeader()) {
      for (const rel of this.model.relations(ENDPOINT)) {
        const mine = sources.filter((s) => s.relationId === rel.id);
        rel.localAppData.update(
          buildGrafanaSourceRequirerAppData(GRAFANA_UID, "http://grafana-tester", mine),
        );
      }
    }
    if (sources.length === 0) {
      this.model.unit.setStatus(WaitingStatus("no datasources yet; relate to prometheus:grafana-source"));
      return;
    }
    const results = await Promise.all(sources.map((s) => queryDatasource(s.url, "up")));
    const bad = results.filter((r) => !r.ok);
    if (bad.length > 0) {
      this.model.unit.setStatus(
        BlockedStatus(`query failed on ${bad[0]!.url}: ${bad[0]!.detail.slice(0, 120)}`),
      );
      return;
    }
    const text = results.map((r) => `${r.series} series from ${r.url}`).join("; ");
    this.model.unit.setStatus(ActiveStatus(`queried ${text}`));
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
