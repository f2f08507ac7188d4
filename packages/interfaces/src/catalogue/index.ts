/**
 * `catalogue` interface library, both sides, wire-compatible with Canonical's
 * `charms.catalogue_k8s.v1.catalogue` (LIBPATCH 3).
 *
 * Requirer (Prometheus, `CatalogueConsumer`): the leader writes one item in its app bag: `name`,
 * `description`, `url`, `icon`, `api_docs` (plain strings) and `api_endpoints` (JSON object).
 * Provider (the catalogue charm): reads the items of all related applications.
 */
import type { Databag, RelationSnapshot } from "@charmkit/ops";
import { pyJsonDumps } from "../common/pyjson.js";
import { isRecord, type ParseResult, parseJsonValue, type Rejection, reject } from "../common/result.js";
import { joinUrl } from "../common/url.js";
import { type ModelLike, writeAppData } from "../common/sdk.js";

/** Default endpoint name on the Prometheus side. */
export const CATALOGUE_ENDPOINT = "catalogue";

/** One catalogue entry. */
export interface CatalogueItem {
  readonly name: string;
  readonly url: string;
  /** An iconify mdi icon name, e.g. `chart-line-variant`. */
  readonly icon: string;
  readonly description?: string | undefined;
  readonly apiDocs?: string | undefined;
  /** Label to URL, in display order. */
  readonly apiEndpoints?: Readonly<Record<string, string>> | undefined;
}

/**
 * The requirer's app bag for `item`, keys in the Python library's order. `api_endpoints` is
 * written only when the item has endpoints. Call only on the leader, and only when an item is
 * known (the Python library writes nothing without one).
 */
export function buildCatalogueItemAppData(item: CatalogueItem): Databag {
  const bag: Record<string, string> = {
    name: item.name,
    description: item.description ?? "",
    url: item.url,
    icon: item.icon,
    api_docs: item.apiDocs ?? "",
  };
  if (item.apiEndpoints) bag.api_endpoints = pyJsonDumps(item.apiEndpoints);
  return bag;
}

/** The Prometheus HTTP API endpoints the catalogue lists, in the Python charm's order. */
export const PROMETHEUS_API_ENDPOINTS: readonly (readonly [string, string])[] = [
  ["Instant queries", "/api/v1/query"],
  ["Range queries", "/api/v1/query_range"],
  ["Finding Series", "/api/v1/series"],
  ["Labels", "/api/v1/labels"],
  ["Targets", "/api/v1/targets"],
  ["Rules", "/api/v1/rules"],
  ["Alerts", "/api/v1/alerts"],
];

/**
 * Prometheus' catalogue item. Unlike the Python charm, whose endpoints read `None/api/v1/...`
 * without ingress, every URL here is built from `mostExternalUrl` (the ingress URL, else the
 * unit's own `http(s)://fqdn:9090`).
 */
export function prometheusCatalogueItem(mostExternalUrl: string): CatalogueItem {
  const apiEndpoints: Record<string, string> = {};
  for (const [label, path] of PROMETHEUS_API_ENDPOINTS) apiEndpoints[label] = joinUrl(mostExternalUrl, path);
  return {
    name: "Prometheus",
    description:
      "Prometheus collects, stores and serves metrics as time series data, alongside optional key-value pairs called labels.",
    url: mostExternalUrl,
    icon: "chart-line-variant",
    apiDocs: "https://prometheus.io/docs/prometheus/latest/querying/api/",
    apiEndpoints,
  };
}

/** An item as the catalogue provider reads it, with where it came from. */
export interface CatalogueEntry {
  readonly relationId: number;
  readonly app: string | undefined;
  readonly name: string;
  readonly url: string;
  readonly icon: string;
  readonly description: string;
  readonly apiDocs: string;
  readonly apiEndpoints: Readonly<Record<string, string>>;
}

/**
 * Provider side: one item per related application that has units and has published a `name` and
 * `url` (others have not published yet and are skipped). Bad `api_endpoints` rejects the item.
 */
export function parseCatalogueItems(relations: readonly RelationSnapshot[]): ParseResult<CatalogueEntry> {
  const accepted: CatalogueEntry[] = [];
  const rejected: Rejection[] = [];
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    if (!rel.remoteApp || Object.keys(rel.remoteUnitsData).length === 0) continue;
    const bag = rel.remoteAppData;
    if (!bag.name || !bag.url) continue;
    const apiEndpoints: Record<string, string> = {};
    if (bag.api_endpoints) {
      const parsed = parseJsonValue("api_endpoints", bag.api_endpoints);
      if (!parsed.ok) {
        rejected.push(reject(rel.id, parsed.error));
        continue;
      }
      const v = parsed.value;
      if (v !== null && (!isRecord(v) || !Object.values(v).every((x) => typeof x === "string"))) {
        rejected.push(reject(rel.id, "'api_endpoints' must be a JSON object of label to URL string"));
        continue;
      }
      if (v) Object.assign(apiEndpoints, v);
    }
    accepted.push({
      relationId: rel.id,
      app: rel.remoteApp,
      name: bag.name,
      url: bag.url,
      icon: bag.icon ?? "",
      description: bag.description ?? "",
      apiDocs: bag.api_docs ?? "",
      apiEndpoints,
    });
  }
  return { accepted, rejected };
}

/** SDK binding: the leader writes `item` on every `endpoint` relation; false on non-leaders. */
export function publishCatalogueItem(
  model: ModelLike,
  item: CatalogueItem,
  endpoint = CATALOGUE_ENDPOINT,
): boolean {
  const bag = buildCatalogueItemAppData(item);
  return writeAppData(model, endpoint, () => bag);
}
