/**
 * `grafana_datasource_exchange` interface library, both sides: an application tells another
 * which Grafana datasources represent it. Prometheus' leader writes app key `datasources`, a
 * JSON list sorted by `uid` of `{"type", "uid", "grafana_uid"}`.
 */
import type { Databag, RelationSnapshot } from "@charmkit/ops";
import type { GrafanaSourceInfo } from "../grafana-datasource/index.js";
import { pyJsonDumps } from "../common/pyjson.js";
import { isRecord, type ParseResult, parseJsonValue, type Rejection, reject } from "../common/result.js";
import { type ModelLike, writeAppData } from "../common/sdk.js";

/** Default endpoint name on the Prometheus side. */
export const SEND_DATASOURCE_ENDPOINT = "send-datasource";

/** One datasource as exchanged. */
export interface ExchangedDatasource {
  readonly type: string;
  readonly uid: string;
  readonly grafanaUid: string;
}

function compareDatasources(a: ExchangedDatasource, b: ExchangedDatasource): number {
  if (a.uid !== b.uid) return a.uid < b.uid ? -1 : 1;
  return a.grafanaUid < b.grafanaUid ? -1 : a.grafanaUid > b.grafanaUid ? 1 : 0;
}

/**
 * The datasources Grafana created for us, from what it wrote back on `grafana-source`: one per
 * datasource UID of every Grafana, de-duplicated and sorted by uid.
 */
export function datasourcesFromGrafanaSources(
  infos: readonly GrafanaSourceInfo[],
  type: string,
): ExchangedDatasource[] {
  const seen = new Map<string, ExchangedDatasource>();
  for (const info of infos) {
    const uids = Object.values(info.datasourceUids);
    if (info.appDatasourceUid) uids.push(info.appDatasourceUid);
    for (const uid of uids)
      seen.set(`${info.grafanaUid}\u0000${uid}`, { type, uid, grafanaUid: info.grafanaUid });
  }
  return [...seen.values()].sort(compareDatasources);
}

/** The provider's app bag: `datasources` sorted by uid. Call only on the leader. */
export function buildDatasourceExchangeAppData(datasources: readonly ExchangedDatasource[]): Databag {
  const list = [...datasources]
    .sort(compareDatasources)
    .map((d) => ({ type: d.type, uid: d.uid, grafana_uid: d.grafanaUid }));
  return { datasources: pyJsonDumps(list) };
}

/** A datasource read from a related application. */
export interface ReceivedDatasource extends ExchangedDatasource {
  readonly relationId: number;
  readonly app: string | undefined;
}

/**
 * Requirer side: every related application's datasources. A malformed `datasources` value
 * rejects that relation; a malformed entry is rejected on its own.
 */
export function parseDatasourceExchange(
  relations: readonly RelationSnapshot[],
): ParseResult<ReceivedDatasource> {
  const accepted: ReceivedDatasource[] = [];
  const rejected: Rejection[] = [];
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    const raw = rel.remoteAppData.datasources;
    if (!raw) continue;
    const parsed = parseJsonValue("datasources", raw);
    if (!parsed.ok) {
      rejected.push(reject(rel.id, parsed.error));
      continue;
    }
    if (!Array.isArray(parsed.value)) {
      rejected.push(reject(rel.id, "'datasources' must be a JSON list"));
      continue;
    }
    parsed.value.forEach((d: unknown, i) => {
      if (
        !isRecord(d) ||
        typeof d.type !== "string" ||
        typeof d.uid !== "string" ||
        typeof d.grafana_uid !== "string"
      ) {
        rejected.push(reject(rel.id, `'datasources'[${i}] needs string 'type', 'uid' and 'grafana_uid'`));
        return;
      }
      accepted.push({
        relationId: rel.id,
        app: rel.remoteApp,
        type: d.type,
        uid: d.uid,
        grafanaUid: d.grafana_uid,
      });
    });
  }
  return { accepted, rejected };
}

/** SDK binding: the leader publishes `datasources` on every `endpoint` relation; false on non-leaders. */
export function publishDatasourceExchange(
  model: ModelLike,
  datasources: readonly ExchangedDatasource[],
  endpoint = SEND_DATASOURCE_ENDPOINT,
): boolean {
  const bag = buildDatasourceExchangeAppData(datasources);
  return writeAppData(model, endpoint, () => bag);
}
