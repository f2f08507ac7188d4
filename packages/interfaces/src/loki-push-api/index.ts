/**
 * `loki_push_api` interface library, both sides, wire-compatible with Canonical's
 * `charms.loki_k8s.v1.loki_push_api` (LIBPATCH 30), and its `LogForwarder`: a charm's workload logs
 * are forwarded by Pebble itself, through `log-targets` in a layer.
 *
 * - Provider (Loki, or our receiver tester): every unit writes unit key `endpoint` =
 *   JSON `{"url": "<scheme>://<fqdn>:3100/loki/api/v1/push"}`.
 * - Requirer (`LogForwarder`, Prometheus' `logging`): reads every provider unit's endpoint; the
 *   leader writes app keys `metadata` (its Juju topology) and `alert_rules` (LogQL rules, `{}` for
 *   Prometheus), and each unit adds a layer `<container>-log-forwarding` with one Loki target per
 *   provider unit, labelled with its topology; targets of units that left are switched off.
 */
import type { Databag, RelationSnapshot } from "@charmkit/ops";
import { pyJsonDumps } from "../common/pyjson.js";
import {
  compareUnitNames,
  isRecord,
  type ParseResult,
  parseJsonValue,
  type Rejection,
  reject,
} from "../common/result.js";
import type { ModelLike } from "../common/sdk.js";
import { splitUrl } from "../common/url.js";

/** Prometheus' endpoint name. */
export const LOGGING_ENDPOINT = "logging";
/** The Loki push path. */
export const LOKI_PUSH_PATH = "/loki/api/v1/push";

/** A provider unit's bag for a Loki reachable at `baseUrl` (`http://host:3100`). */
export function buildProviderUnitData(baseUrl: string): Databag {
  return { endpoint: pyJsonDumps({ url: `${baseUrl.replace(/\/+$/, "")}${LOKI_PUSH_PATH}` }) };
}

/** The Juju topology the requirer sends as `metadata` (cosl `as_dict()` order). */
export interface LokiTopology {
  readonly model: string;
  readonly modelUuid: string;
  readonly application: string;
  readonly unit: string;
  readonly charmName: string;
}

/** The requirer's app bag: `metadata` and `alert_rules` (`json.dumps(..., sort_keys=True)`). */
export function buildRequirerAppData(topology: LokiTopology, alertRules: string = "{}"): Databag {
  return {
    metadata: pyJsonDumps({
      model: topology.model,
      model_uuid: topology.modelUuid,
      application: topology.application,
      unit: topology.unit,
      charm_name: topology.charmName,
    }),
    alert_rules: alertRules,
  };
}

/** The Loki endpoints of one relation, by provider unit. */
export interface LokiEndpoints {
  readonly relationId: number;
  readonly app: string | undefined;
  /** Provider unit name to push URL. */
  readonly endpoints: Readonly<Record<string, string>>;
}

/**
 * Requirer side (`LogForwarder._fetch_endpoints`): a relation is used only when every provider unit
 * has published a valid endpoint, as the library's `is_ready` requires; a relation still missing
 * some is skipped, one with malformed data is rejected.
 */
export function parseLokiEndpoints(relations: readonly RelationSnapshot[]): ParseResult<LokiEndpoints> {
  const accepted: LokiEndpoints[] = [];
  const rejected: Rejection[] = [];
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    const endpoints: Record<string, string> = {};
    let ready = true;
    let bad: Rejection | undefined;
    for (const unit of Object.keys(rel.remoteUnitsData).sort(compareUnitNames)) {
      const raw = rel.remoteUnitsData[unit]?.endpoint;
      if (raw === undefined || raw === "") {
        ready = false;
        continue;
      }
      const p = parseJsonValue("endpoint", raw);
      const url = p.ok && isRecord(p.value) ? p.value.url : undefined;
      if (typeof url !== "string" || !splitUrl(url)) {
        bad = reject(rel.id, p.ok ? "'endpoint' must be JSON {\"url\": <absolute URL>}" : p.error, unit);
        break;
      }
      endpoints[unit] = url;
    }
    if (bad) {
      rejected.push(bad);
      continue;
    }
    if (!ready || Object.keys(endpoints).length === 0) continue;
    accepted.push({ relationId: rel.id, app: rel.remoteApp, endpoints });
  }
  return { accepted, rejected };
}

/** One Pebble log target, as the library builds it. */
export interface LokiLogTarget {
  readonly override: "replace";
  readonly services: readonly string[];
  readonly type: "loki";
  readonly location: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** cosl `identifier`: `{model}_{uuid[:8]}_{application}`. */
function identifier(t: LokiTopology): string {
  return `${t.model}_${t.modelUuid.slice(0, 8)}_${t.application}`.replaceAll("/", "_");
}

/** An enabled target: every service of the container to `location`, with the topology labels. */
export function enabledTarget(location: string, t: LokiTopology): LokiLogTarget {
  return {
    override: "replace",
    services: ["all"],
    type: "loki",
    location,
    labels: {
      product: "Juju",
      charm: t.charmName,
      juju_model: t.model,
      juju_model_uuid: t.modelUuid,
      juju_application: t.application,
      juju_unit: t.unit,
      job: `juju_${identifier(t)}`,
    },
  };
}

/** A disabled target (`-all`), which is how the library stops forwarding to a unit that left. */
export function disabledTarget(): LokiLogTarget {
  return { override: "replace", services: ["-all"], type: "loki", location: "(removed)" };
}

/** The label of the forwarding layer the library adds to each container. */
export function logForwardingLayerLabel(container: string): string {
  return `${container}-log-forwarding`;
}

/**
 * The `log-targets` to add (combined) to a container's plan: one enabled target per active Loki
 * unit (keyed by unit name), and a disabled one for each enabled target of the current plan whose
 * unit is gone. Empty when nothing must change.
 */
export function logTargets(
  active: Readonly<Record<string, string>>,
  topology: LokiTopology,
  planned: Readonly<Record<string, { services?: readonly string[] | undefined }>> = {},
): Record<string, LokiLogTarget> {
  const out: Record<string, LokiLogTarget> = {};
  for (const [name, target] of Object.entries(planned)) {
    if ((target.services ?? []).includes("-all")) continue;
    if (!(name in active)) out[name] = disabledTarget();
  }
  for (const unit of Object.keys(active).sort(compareUnitNames))
    out[unit] = enabledTarget(active[unit]!, topology);
  return out;
}

/** SDK binding, requirer: every usable Loki endpoint, by provider unit, over all relations. */
export function readLokiEndpoints(model: ModelLike, endpoint = LOGGING_ENDPOINT): ParseResult<LokiEndpoints> {
  return parseLokiEndpoints(model.relations(endpoint).map((r) => r.snapshot()));
}

/** SDK binding, requirer: the leader publishes `metadata` and `alert_rules` on every relation. */
export function publishLoggingMetadata(
  model: ModelLike,
  topology: LokiTopology,
  endpoint = LOGGING_ENDPOINT,
): void {
  if (!model.unit.isLeader()) return;
  const bag = buildRequirerAppData(topology);
  for (const rel of model.relations(endpoint)) rel.localAppData.update(bag);
}

/** SDK binding, provider: every unit publishes its push endpoint. */
export function publishLokiEndpoint(model: ModelLike, baseUrl: string, endpoint = LOGGING_ENDPOINT): void {
  const bag = buildProviderUnitData(baseUrl);
  for (const rel of model.relations(endpoint)) rel.localUnitData.update(bag);
}
