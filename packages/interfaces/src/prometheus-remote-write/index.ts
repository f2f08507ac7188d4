/**
 * `prometheus_remote_write` interface library, both sides, wire-compatible with Canonical's
 * `charms.prometheus_k8s.v1.prometheus_remote_write` (LIBPATCH 15).
 *
 * Provider (Prometheus, `receive-remote-write`): every unit writes unit key `remote_write` =
 * JSON `{"url": "<most external url>/api/v1/write"}` and reads the consumer's app keys
 * `alert_rules` (JSON `{"groups": [...]}`) and `scrape_metadata` (JSON Juju topology), which become
 * rule files (provider-rules.ts); the leader writes `event` back.
 * Consumer (e.g. an agent): writes those two keys (consumer-rules.ts builds its rules) and reads the
 * endpoint list.
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
import { type ModelLike, relationSnapshots, writeUnitData } from "../common/sdk.js";
import { joinUrl, splitUrl } from "../common/url.js";
import type { Limits } from "../prometheus-scrape/limits.js";
import { type RemoteWriteRulesResult, remoteWriteRules } from "./provider-rules.js";

export { aggregatorRules, type ConsumerRulesOptions, remoteWriteConsumerRules } from "./consumer-rules.js";
export { type RemoteWriteRuleFile, type RemoteWriteRulesResult, remoteWriteRules } from "./provider-rules.js";

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

/** SDK binding: the rule files of every remote-write client, and the `event` feedback for each. */
export function readRemoteWriteRules(
  model: ModelLike,
  endpoint = REMOTE_WRITE_ENDPOINT,
  opts: { limits?: Partial<Limits> } = {},
): RemoteWriteRulesResult {
  return remoteWriteRules(relationSnapshots(model, endpoint), opts);
}

/** SDK binding, leader only: writes each relation's `event` feedback (unchanged values are not rewritten). */
export function publishRemoteWriteFeedback(
  model: ModelLike,
  feedback: ReadonlyMap<number, string>,
  endpoint = REMOTE_WRITE_ENDPOINT,
): void {
  if (!model.unit.isLeader()) return;
  for (const rel of model.relations(endpoint)) {
    const event = feedback.get(rel.id);
    if (event !== undefined) rel.localAppData.update({ event });
  }
}
