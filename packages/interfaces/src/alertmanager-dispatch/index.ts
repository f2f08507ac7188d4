/**
 * `alertmanager_dispatch` interface library, both sides, wire-compatible with Canonical's
 * `charms.alertmanager_k8s.v1.alertmanager_dispatch` (LIBPATCH 2) and its v0 predecessor.
 *
 * Provider (Alertmanager): each unit writes `url`, plus the v0 relics `public_address` and
 * `scheme` so v0 consumers keep working. Requirer (Prometheus): reads every unit of every related
 * Alertmanager application (the Python library supports only one application; we support several)
 * and renders `alerting.alertmanagers` for `prometheus.yml`. Prometheus writes nothing here.
 */
import type { Databag, RelationSnapshot } from "@charmkit/ops";
import { compareUnitNames, type ParseResult, type Rejection, reject } from "../common/result.js";
import { splitUrl } from "../common/url.js";
import { type ModelLike, relationSnapshots } from "../common/sdk.js";

/** Default endpoint name on the Prometheus side. */
export const ALERTMANAGER_ENDPOINT = "alertmanager";

/**
 * A provider unit's bag: `url` (v1) and the v0 relics computed from it as the Python v1 schema
 * does: `public_address` = `hostname[:port]path`, `scheme` = the URL scheme.
 * Returns `undefined` when `url` is not an absolute `scheme://host` URL.
 */
export function buildAlertmanagerProviderUnitData(url: string): Databag | undefined {
  const parts = splitUrl(url);
  if (!parts || parts.hostname === "") return undefined;
  const port = parts.port !== undefined ? `:${parts.port}` : "";
  return { url, public_address: `${parts.hostname}${port}${parts.path}`, scheme: parts.scheme };
}

/** One Alertmanager unit's address as the requirer understood it. */
export interface AlertmanagerEndpoint {
  readonly relationId: number;
  readonly unit: string;
  readonly url: string;
  /** Which wire version the unit's data was read as. */
  readonly version: "v1" | "v0";
}

/**
 * Requirer side: one entry per remote unit with usable data, from every relation. v1 (`url`) is
 * preferred; otherwise v0 (`public_address`, `scheme` defaulting to `http`); otherwise the unit
 * is rejected. Units with an empty bag have not published yet and are skipped silently.
 */
export function parseAlertmanagers(
  relations: readonly RelationSnapshot[],
): ParseResult<AlertmanagerEndpoint> {
  const accepted: AlertmanagerEndpoint[] = [];
  const rejected: Rejection[] = [];
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    for (const unit of Object.keys(rel.remoteUnitsData).sort(compareUnitNames)) {
      const bag = rel.remoteUnitsData[unit] ?? {};
      if (Object.keys(bag).length === 0) continue;
      if (bag.url !== undefined) {
        accepted.push({ relationId: rel.id, unit, url: bag.url, version: "v1" });
      } else if (bag.public_address !== undefined) {
        const scheme = bag.scheme ?? "http";
        accepted.push({ relationId: rel.id, unit, url: `${scheme}://${bag.public_address}`, version: "v0" });
      } else {
        rejected.push(
          reject(
            rel.id,
            "unit data has neither 'url' (v1) nor 'public_address' (v0); ignoring this unit",
            unit,
          ),
        );
      }
    }
  }
  return { accepted, rejected };
}

/** The sorted, de-duplicated URLs of all Alertmanagers (ingress-per-app gives every unit the same URL). */
export function alertmanagerUrls(endpoints: readonly AlertmanagerEndpoint[]): string[] {
  return [...new Set(endpoints.map((e) => e.url))].sort();
}

/** One `alerting.alertmanagers[]` entry of `prometheus.yml`. */
export interface AlertmanagerConfig {
  scheme: string;
  path_prefix: string;
  static_configs: { targets: string[] }[];
}

/**
 * Renders `alerting.alertmanagers`: URLs (with `http://` added when no scheme is given) grouped by
 * (scheme, path or `/`), one entry per group with its `host[:port]` targets sorted. Groups appear
 * in the order of the sorted URLs, so the output is stable. URLs that cannot be parsed are skipped
 * and returned in `invalid`. An empty list means: omit the `alerting` key entirely.
 */
export function renderAlertmanagers(urls: readonly string[]): {
  alertmanagers: AlertmanagerConfig[];
  invalid: string[];
} {
  const groups = new Map<string, AlertmanagerConfig>();
  const targets = new Map<string, Set<string>>();
  const invalid: string[] = [];
  const sorted = [...new Set(urls.map((u) => (/^https?:\/\//.test(u) ? u : `http://${u}`)))].sort();
  for (const url of sorted) {
    const parts = splitUrl(url);
    if (!parts || parts.netloc === "") {
      invalid.push(url);
      continue;
    }
    const pathPrefix = parts.path || "/";
    const key = `${parts.scheme}\u0000${pathPrefix}`;
    if (!groups.has(key)) {
      groups.set(key, { scheme: parts.scheme, path_prefix: pathPrefix, static_configs: [{ targets: [] }] });
      targets.set(key, new Set());
    }
    targets.get(key)!.add(parts.netloc);
  }
  for (const [key, cfg] of groups) cfg.static_configs[0]!.targets = [...targets.get(key)!].sort();
  return { alertmanagers: [...groups.values()], invalid };
}

/**
 * Whether a hook on the `alertmanager` endpoint should reconfigure Prometheus, as the Python
 * library decides: `relation-changed` only for unit-bag changes (a remote unit is set),
 * `relation-departed`/`relation-broken` always, anything else never.
 */
export function alertmanagerClusterChanged(
  kind: "relation-joined" | "relation-changed" | "relation-departed" | "relation-broken" | string,
  remoteUnit: string | undefined,
): boolean {
  if (kind === "relation-changed") return remoteUnit !== undefined && remoteUnit !== "";
  return kind === "relation-departed" || kind === "relation-broken";
}

/** SDK binding: parse all `endpoint` relations and return the endpoints, rejections and sorted URLs. */
export function readAlertmanagers(
  model: ModelLike,
  endpoint = ALERTMANAGER_ENDPOINT,
): ParseResult<AlertmanagerEndpoint> & { urls: string[] } {
  const parsed = parseAlertmanagers(relationSnapshots(model, endpoint));
  return { ...parsed, urls: alertmanagerUrls(parsed.accepted) };
}
