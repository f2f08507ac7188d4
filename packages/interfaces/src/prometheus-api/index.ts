/**
 * `prometheus_api` interface library, both sides: the leader of Prometheus publishes where its
 * HTTP API can be reached, `direct_url` (internal) and `ingress_url` (only with ingress).
 */
import type { Databag, RelationSnapshot } from "@charmkit/ops";
import type { ParseResult, Rejection } from "../common/result.js";
import { reject } from "../common/result.js";
import { splitUrl } from "../common/url.js";
import { type ModelLike, writeAppData } from "../common/sdk.js";

/** Default endpoint name. */
export const PROMETHEUS_API_ENDPOINT = "prometheus-api";

/** Prometheus' published API addresses. */
export interface PrometheusApi {
  readonly directUrl: string;
  readonly ingressUrl?: string | undefined;
}

/** The provider's app bag; `ingress_url` is `""` (deleted) without ingress. Call only on the leader. */
export function buildPrometheusApiAppData(api: PrometheusApi): Databag {
  return { direct_url: api.directUrl, ingress_url: api.ingressUrl ?? "" };
}

/** The addresses one related Prometheus published. */
export interface PrometheusApiEntry extends PrometheusApi {
  readonly relationId: number;
  readonly app: string | undefined;
}

/**
 * Requirer side: each related Prometheus' addresses. Relations without `direct_url` have not
 * published yet and are skipped; values that are not absolute URLs are rejected.
 */
export function parsePrometheusApi(relations: readonly RelationSnapshot[]): ParseResult<PrometheusApiEntry> {
  const accepted: PrometheusApiEntry[] = [];
  const rejected: Rejection[] = [];
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    const direct = rel.remoteAppData.direct_url;
    if (!direct) continue;
    const ingress = rel.remoteAppData.ingress_url || undefined;
    const bad = [
      ["direct_url", direct],
      ["ingress_url", ingress],
    ].find(([, v]) => v !== undefined && !splitUrl(v));
    if (bad) {
      rejected.push(reject(rel.id, `'${bad[0]}' is not an absolute URL: ${JSON.stringify(bad[1])}`));
      continue;
    }
    accepted.push({ relationId: rel.id, app: rel.remoteApp, directUrl: direct, ingressUrl: ingress });
  }
  return { accepted, rejected };
}

/** SDK binding: the leader publishes the API addresses on every `endpoint` relation; false on non-leaders. */
export function publishPrometheusApi(
  model: ModelLike,
  api: PrometheusApi,
  endpoint = PROMETHEUS_API_ENDPOINT,
): boolean {
  const bag = buildPrometheusApiAppData(api);
  return writeAppData(model, endpoint, () => bag);
}
