/**
 * `prometheus_remote_write` interface library, both sides, wire-compatible with Canonical's
 * `charms.prometheus_k8s.v0.prometheus_remote_write`.
 *
 * Provider (Prometheus, `receive-remote-write`): every unit writes unit key `remote_write` =
 * JSON `{"url": "<most external url>/api/v1/write"}` and reads the consumer's app keys
 * `alert_rules` (JSON `{"groups": [...]}`) and `scrape_metadata` (JSON Juju topology).
 * Consumer (e.g. an agent): writes those two keys and reads the endpoint list.
 *
 * PromQL label injection and rule-file rendering belong to the prometheus-scrape library; this
 * module only parses and shape-checks the groups.
 */
import type { Databag, RelationSnapshot } from "@charmkit/ops";
import { type PyJsonValue, pyJsonDumps } from "../common/pyjson.js";
import {
  compareUnitNames,
  isRecord,
  type ParseResult,
  parseJsonValue,
  type Rejection,
  reject,
} from "../common/result.js";
import { joinUrl, splitUrl } from "../common/url.js";
import { type ModelLike, relationSnapshots, writeUnitData } from "../common/sdk.js";

/** Default endpoint name on the Prometheus side. */
export const REMOTE_WRITE_ENDPOINT = "receive-remote-write";

/** The Prometheus remote-write receiver path. */
export const REMOTE_WRITE_PATH = "/api/v1/write";

/** A provider unit's bag for a Prometheus reachable at `baseUrl`. Every unit writes its own. */
export function buildRemoteWriteProviderUnitData(baseUrl: string): Databag {
  return { remote_write: pyJsonDumps({ url: joinUrl(baseUrl, REMOTE_WRITE_PATH) }) };
}

/** The Juju topology a consumer sends in `scrape_metadata`. */
export interface RemoteWriteTopology {
  readonly model: string;
  readonly modelUuid: string;
  readonly application: string;
  readonly unit: string;
  readonly charmName: string;
}

/** cosl `JujuTopology.identifier`: `{model}_{uuid[:8]}_{application}`, `/` replaced by `_`. */
export function topologyIdentifier(
  t: Pick<RemoteWriteTopology, "model" | "modelUuid" | "application">,
): string {
  return `${t.model}_${t.modelUuid.slice(0, 8)}_${t.application}`.replaceAll("/", "_");
}

/** One alert rule group as sent; rules are kept as the consumer wrote them. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly Record<string, unknown>[];
  readonly [key: string]: unknown;
}

/** What one consumer application sends. */
export interface RemoteWriteConsumer {
  readonly relationId: number;
  readonly app: string | undefined;
  /** Absent when the consumer sent no `scrape_metadata`. */
  readonly topology: RemoteWriteTopology | undefined;
  /** `juju_<identifier>.rules` when the topology is known (no relation suffix, as in Python). */
  readonly ruleFileName: string | undefined;
  readonly groups: readonly RuleGroup[];
}

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function readTopology(raw: string): { topology: RemoteWriteTopology } | { error: string } {
  const parsed = parseJsonValue("scrape_metadata", raw);
  if (!parsed.ok) return { error: parsed.error };
  const v = parsed.value;
  if (!isRecord(v)) return { error: "'scrape_metadata' must be a JSON object" };
  for (const key of ["model", "model_uuid", "application"]) {
    if (typeof v[key] !== "string") return { error: `'scrape_metadata' needs a string '${key}'` };
  }
  // cosl validates the uuid as a canonical version-4 UUID when building the topology.
  if (!UUID4.test(v.model_uuid as string))
    return { error: "'scrape_metadata.model_uuid' is not a version-4 UUID" };
  return {
    topology: {
      model: v.model as string,
      modelUuid: v.model_uuid as string,
      application: v.application as string,
      unit: typeof v.unit === "string" ? v.unit : "",
      charmName: typeof v.charm_name === "string" ? v.charm_name : "",
    },
  };
}

function readGroups(raw: string): { groups: RuleGroup[] } | { error: string } {
  const parsed = parseJsonValue("alert_rules", raw);
  if (!parsed.ok) return { error: parsed.error };
  const v = parsed.value;
  if (!isRecord(v)) return { error: "'alert_rules' must be a JSON object with 'groups'" };
  if (Object.keys(v).length === 0) return { groups: [] };
  if (!Array.isArray(v.groups)) return { error: "'alert_rules.groups' must be a list" };
  const groups: RuleGroup[] = [];
  for (const [i, g] of v.groups.entries()) {
    if (!isRecord(g) || typeof g.name !== "string" || !Array.isArray(g.rules) || !g.rules.every(isRecord)) {
      return { error: `'alert_rules.groups'[${i}] needs a string 'name' and a list of rule objects 'rules'` };
    }
    groups.push(g as RuleGroup);
  }
  return { groups };
}

/**
 * Provider side: what each consumer application sends. Relations with neither key are skipped;
 * malformed JSON or shapes reject that relation only.
 */
export function parseRemoteWriteConsumers(
  relations: readonly RelationSnapshot[],
): ParseResult<RemoteWriteConsumer> {
  const accepted: RemoteWriteConsumer[] = [];
  const rejected: Rejection[] = [];
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    const bag = rel.remoteAppData;
    if (!bag.alert_rules && !bag.scrape_metadata) continue;
    let topology: RemoteWriteTopology | undefined;
    if (bag.scrape_metadata) {
      const t = readTopology(bag.scrape_metadata);
      if ("error" in t) {
        rejected.push(reject(rel.id, t.error));
        continue;
      }
      topology = t.topology;
    }
    let groups: RuleGroup[] = [];
    if (bag.alert_rules) {
      const g = readGroups(bag.alert_rules);
      if ("error" in g) {
        rejected.push(reject(rel.id, g.error));
        continue;
      }
      groups = g.groups;
    }
    accepted.push({
      relationId: rel.id,
      app: rel.remoteApp,
      topology,
      ruleFileName: topology ? `juju_${topologyIdentifier(topology)}.rules` : undefined,
      groups,
    });
  }
  return { accepted, rejected };
}

/** One remote-write endpoint as a consumer sees it. */
export interface RemoteWriteEndpoint {
  readonly url: string;
}

/**
 * Consumer side: the endpoints of every provider unit, de-duplicated and sorted by URL.
 * A unit bag whose `remote_write` is not JSON `{"url": <absolute URL>}` is rejected.
 */
export function parseRemoteWriteEndpoints(
  relations: readonly RelationSnapshot[],
): ParseResult<RemoteWriteEndpoint> {
  const urls = new Set<string>();
  const rejected: Rejection[] = [];
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    for (const unit of Object.keys(rel.remoteUnitsData).sort(compareUnitNames)) {
      const raw = rel.remoteUnitsData[unit]?.remote_write;
      if (!raw) continue;
      const parsed = parseJsonValue("remote_write", raw);
      if (!parsed.ok) {
        rejected.push(reject(rel.id, parsed.error, unit));
        continue;
      }
      const v = parsed.value;
      if (!isRecord(v) || typeof v.url !== "string" || !splitUrl(v.url)) {
        rejected.push(reject(rel.id, "'remote_write' must be JSON {\"url\": <absolute URL>}", unit));
        continue;
      }
      urls.add(v.url);
    }
  }
  return { accepted: [...urls].sort().map((url) => ({ url })), rejected };
}

/**
 * The consumer's app bag: `scrape_metadata` (cosl `as_dict()` key order) and `alert_rules`.
 * Call only on the leader.
 */
export function buildRemoteWriteConsumerAppData(
  topology: RemoteWriteTopology,
  groups: readonly { readonly [key: string]: PyJsonValue | undefined }[],
): Databag {
  return {
    alert_rules: pyJsonDumps({ groups }),
    scrape_metadata: pyJsonDumps({
      model: topology.model,
      model_uuid: topology.modelUuid,
      application: topology.application,
      unit: topology.unit,
      charm_name: topology.charmName,
    }),
  };
}

/** SDK binding: this unit publishes its remote-write URL on every `endpoint` relation. */
export function publishRemoteWrite(
  model: ModelLike,
  baseUrl: string,
  endpoint = REMOTE_WRITE_ENDPOINT,
): void {
  writeUnitData(model, endpoint, buildRemoteWriteProviderUnitData(baseUrl));
}

/** SDK binding: what every remote-write consumer sends. */
export function readRemoteWriteConsumers(
  model: ModelLike,
  endpoint = REMOTE_WRITE_ENDPOINT,
): ParseResult<RemoteWriteConsumer> {
  return parseRemoteWriteConsumers(relationSnapshots(model, endpoint));
}
