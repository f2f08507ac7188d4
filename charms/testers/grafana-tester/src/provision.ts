/**
 * What the Grafana stand-in provisions in its workload container, from what it received: the
 * datasources of `grafana-source` and the dashboards of `grafana-dashboard`, each templated as
 * Grafana's charm does (see `@charmkit/interfaces/grafana-dashboard`). Pure: relation data in,
 * file contents out, so the page serves exactly what a test can compute.
 */
import type { GrafanaDatasource } from "@charmkit/interfaces/grafana-datasource";
import {
  type JsonObject,
  type ReceivedDashboard,
  renderReceivedDashboard,
} from "@charmkit/interfaces/grafana-dashboard";

/** Where the workload server reads what the charm provisions. */
export const DATA_DIR = "/var/lib/grafana-tester";

/** One datasource as the workload lists it (the fields of Grafana's /api/datasources it serves). */
export interface ProvisionedDatasource {
  readonly uid: string;
  readonly name: string;
  readonly type: string;
  readonly url: string;
  readonly jsonData: Readonly<Record<string, unknown>>;
}

/** One dashboard file: the templated dashboard, or why it could not be used. */
export type ProvisionedDashboard =
  | {
      readonly uid: string;
      readonly title: string;
      readonly relationId: number;
      readonly id: string;
      readonly charm: string;
      readonly version: number;
      readonly dashboard: JsonObject;
    }
  | {
      readonly uid: string;
      readonly title: string;
      readonly relationId: number;
      readonly id: string;
      readonly charm: string;
      readonly error: string;
    };

/** Everything the charm writes into the workload, and what it reports. */
export interface Provisioning {
  /** Path under DATA_DIR to file content. */
  readonly files: Readonly<Record<string, string>>;
  readonly datasources: readonly ProvisionedDatasource[];
  /** The usable dashboards, by title. */
  readonly dashboards: readonly { uid: string; title: string }[];
  /** Dashboards that could not be used, each naming its relation and template. */
  readonly problems: readonly string[];
}

/** A uid as a file name: Grafana uids are short and simple, but they come from remote data. */
function fileStem(uid: string): string {
  return uid.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 80) || "_";
}

/** Grafana's datasource list: one per datasource the providers offered, by uid. */
export function provisionDatasources(sources: readonly GrafanaDatasource[]): ProvisionedDatasource[] {
  return [...sources]
    .sort((a, b) => (a.sourceName < b.sourceName ? -1 : a.sourceName > b.sourceName ? 1 : 0))
    .map((s) => ({
      uid: s.sourceName,
      name: s.sourceName,
      type: s.sourceType,
      url: s.url,
      jsonData: { ...(s.extraFields ?? {}) },
    }));
}

/**
 * The files for the workload: `datasources.json` and one `dashboards/<uid>.json` per dashboard.
 * When two relations offer the same uid, the higher `version` wins, then the higher relation id,
 * as the Python consumer's `dashboards` property keeps one per uid. A dashboard that cannot be
 * used gets a file of its own with the reason, so the page lists it.
 */
export function provision(
  sources: readonly GrafanaDatasource[],
  received: readonly ReceivedDashboard[],
): Provisioning {
  const datasources = provisionDatasources(sources);
  const byUid = new Map<string, ProvisionedDashboard>();
  const failed: ProvisionedDashboard[] = [];
  for (const r of received) {
    const out = renderReceivedDashboard(r);
    const base = { relationId: r.relationId, id: r.id, charm: r.charm };
    if ("error" in out) {
      failed.push({ ...base, uid: "", title: r.id, error: out.error });
      continue;
    }
    const d = out.dashboard;
    const uid = typeof d.uid === "string" ? d.uid : "";
    if (uid === "") {
      failed.push({ ...base, uid: "", title: r.id, error: "the dashboard has no uid" });
      continue;
    }
    const version = Number.isInteger(d.version) ? (d.version as number) : 0;
    const title = typeof d.title === "string" ? d.title : uid;
    const entry: ProvisionedDashboard = { ...base, uid, title, version, dashboard: d };
    const seen = byUid.get(uid);
    const wins =
      !seen ||
      !("version" in seen) ||
      version > seen.version ||
      (version === seen.version && r.relationId > seen.relationId);
    if (wins) byUid.set(uid, entry);
  }
  const files: Record<string, string> = {
    "datasources.json": `${JSON.stringify(datasources, null, 2)}\n`,
  };
  const usable = [...byUid.values()].sort((a, b) => (a.uid < b.uid ? -1 : 1));
  for (const d of usable) files[`dashboards/${fileStem(d.uid)}.json`] = `${JSON.stringify(d)}\n`;
  for (const d of failed)
    files[`dashboards/error-${d.relationId}-${fileStem(d.id)}.json`] = `${JSON.stringify(d)}\n`;
  return {
    files,
    datasources,
    dashboards: usable
      .map((d) => ({ uid: d.uid, title: d.title }))
      .sort((a, b) => a.title.localeCompare(b.title)),
    problems: failed.map((d) => `grafana-dashboard:${d.relationId} ${d.id}: ${"error" in d ? d.error : ""}`),
  };
}
