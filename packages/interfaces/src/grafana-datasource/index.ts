/**
 * `grafana_datasource` interface library, both sides, wire-compatible with Canonical's
 * `charms.grafana_k8s.v1.grafana_source` (and readable by v0 consumers).
 *
 * Provider (Prometheus): the leader writes the app bag (`grafana_source_data`,
 * `grafana_source_app_host`); every unit writes `grafana_source_host`. Grafana writes back
 * `grafana_uid`, `datasource_uids`, `grafana_base_url` and `app_datasource_uid` in its app bag.
 *
 * Requirer (Grafana, used by our tester charm): reads every provider's sources and builds the
 * datasource UIDs `juju_{model}_{model_uuid}_{application}[_{unit_number}]`.
 *
 * Leader-only data is built only when the caller asks for it; the caller enforces leadership with
 * the SDK (`unit.isLeader()`), since only the leader may read or write its own app bag.
 * Builders return databag strings; a value of `""` means "delete this key", as in Juju.
 */
import type { Databag, LocalIdentity, RelationSnapshot } from "@charmkit/ops";
import { type PyJsonValue, pyJsonDumps } from "../common/pyjson.js";
import {
  compareUnitNames,
  isRecord,
  type ParseResult,
  parseJsonValue,
  type Rejection,
  reject,
} from "../common/result.js";
import { ensureScheme } from "../common/url.js";
import {
  localIdentity,
  type ModelLike,
  relationSnapshots,
  writeAppData,
  writeUnitData,
} from "../common/sdk.js";

/** Default endpoint name on both sides. */
export const GRAFANA_SOURCE_ENDPOINT = "grafana-source";

/** JSON object carried in `extra_fields` / `secure_extra_fields`. */
export type ExtraFields = { readonly [key: string]: PyJsonValue | undefined };

/** What a datasource provider publishes. Mirrors the Python `GrafanaSourceProvider` arguments. */
export interface GrafanaSourceProviderOptions {
  /** Grafana datasource type, e.g. `prometheus`. */
  readonly sourceType: string;
  /** Port used when no explicit URL is given (Python default `""`). */
  readonly sourcePort?: string | number;
  readonly extraFields?: ExtraFields | null;
  readonly secureExtraFields?: ExtraFields | null;
  /** Publish one load-balanced datasource in the app bag (Python default `true`). */
  readonly appDatasource?: boolean;
  /** Publish one datasource per unit (Python default `false`). Prometheus uses `true`. */
  readonly unitDatasources?: boolean;
  /** Explicit app-level URL (e.g. ingress-per-app); `http://` is added when the scheme is missing. */
  readonly appDatasourceUrl?: string | null;
  /** Explicit URL of this unit (e.g. ingress-per-unit or the internal FQDN URL). */
  readonly unitDatasourceUrl?: string | null;
}

function effectiveExtraFields(opts: GrafanaSourceProviderOptions): ExtraFields | null {
  // The Python library forces `implementation: prometheus` for Alertmanager datasources.
  if (opts.sourceType === "alertmanager") {
    const base = opts.extraFields ?? {};
    return base.implementation ? base : { ...base, implementation: "prometheus" };
  }
  return opts.extraFields ?? null;
}

function buildUrl(
  opts: GrafanaSourceProviderOptions,
  explicit: string | null | undefined,
  host: string,
): string {
  const url = explicit ? ensureScheme(explicit) : `http://${host}:${opts.sourcePort ?? ""}`;
  return opts.sourceType === "mimir" ? `${url}/prometheus` : url;
}

/**
 * The leader's app bag for one `grafana-source` relation: `grafana_source_data` (Python
 * `json.dumps` of model, model_uuid, application, type, extra_fields, secure_extra_fields) and
 * `grafana_source_app_host` (`""`, i.e. deleted, unless `appDatasource`).
 * Call only on the leader.
 */
export function buildGrafanaSourceProviderAppData(
  identity: LocalIdentity,
  opts: GrafanaSourceProviderOptions,
): Databag {
  const data = pyJsonDumps({
    model: identity.modelName,
    model_uuid: identity.modelUuid,
    application: identity.appName,
    type: opts.sourceType,
    extra_fields: effectiveExtraFields(opts),
    secure_extra_fields: opts.secureExtraFields ?? null,
  });
  const appHost = `${identity.appName}.${identity.modelName}.svc.cluster.local`;
  return {
    grafana_source_data: data,
    grafana_source_app_host:
      (opts.appDatasource ?? true) ? buildUrl(opts, opts.appDatasourceUrl, appHost) : "",
  };
}

/**
 * This unit's bag: `grafana_source_host` is the unit's datasource URL when `unitDatasources`,
 * else `""` (deleted). `fqdn` is used only when no `unitDatasourceUrl` is given.
 */
export function buildGrafanaSourceProviderUnitData(
  opts: GrafanaSourceProviderOptions,
  fqdn: string,
): Databag {
  return {
    grafana_source_host: opts.unitDatasources ? buildUrl(opts, opts.unitDatasourceUrl, fqdn) : "",
  };
}

/** What one Grafana application told a provider about the datasources it created. */
export interface GrafanaSourceInfo {
  readonly relationId: number;
  readonly grafanaUid: string;
  /** Provider unit name to datasource UID. */
  readonly datasourceUids: Readonly<Record<string, string>>;
  readonly grafanaBaseUrl: string | undefined;
  readonly appDatasourceUid: string | undefined;
}

/**
 * Provider side: reads what each related Grafana wrote back. A relation without `grafana_uid`
 * (an old v0 Grafana, or one that has not answered yet) is rejected with that reason.
 */
export function parseGrafanaSourceInfo(
  relations: readonly RelationSnapshot[],
): ParseResult<GrafanaSourceInfo> {
  const accepted: GrafanaSourceInfo[] = [];
  const rejected: Rejection[] = [];
  for (const rel of relations) {
    const bag = rel.remoteAppData;
    const grafanaUid = bag.grafana_uid;
    if (!grafanaUid) {
      rejected.push(
        reject(rel.id, "'grafana_uid' is missing: Grafana has not answered yet or uses the v0 interface"),
      );
      continue;
    }
    const uids: Record<string, string> = {};
    const raw = bag.datasource_uids;
    if (raw) {
      const parsed = parseJsonValue("datasource_uids", raw);
      if (!parsed.ok) {
        rejected.push(reject(rel.id, parsed.error));
        continue;
      }
      if (!isRecord(parsed.value) || !Object.values(parsed.value).every((v) => typeof v === "string")) {
        rejected.push(reject(rel.id, "'datasource_uids' must be a JSON object of unit name to string"));
        continue;
      }
      for (const k of Object.keys(parsed.value).sort(compareUnitNames)) uids[k] = parsed.value[k] as string;
    }
    accepted.push({
      relationId: rel.id,
      grafanaUid,
      datasourceUids: uids,
      grafanaBaseUrl: bag.grafana_base_url || undefined,
      appDatasourceUid: bag.app_datasource_uid || undefined,
    });
  }
  accepted.sort((a, b) => a.relationId - b.relationId);
  return { accepted, rejected };
}

/** The `grafana_source_data` content as a requirer reads it. */
export interface GrafanaSourceData {
  readonly model: string;
  readonly modelUuid: string;
  readonly application: string;
  readonly type: string;
  readonly extraFields: Readonly<Record<string, unknown>> | null;
  readonly secureExtraFields: Readonly<Record<string, unknown>> | null;
}

/** One datasource Grafana should create. `unit` is `null` for the app-level datasource. */
export interface GrafanaDatasource {
  readonly relationId: number;
  readonly unit: string | null;
  /** Datasource UID (Python's `source_name`). */
  readonly sourceName: string;
  readonly sourceType: string;
  readonly url: string;
  readonly extraFields?: Readonly<Record<string, unknown>>;
  readonly secureExtraFields?: Readonly<Record<string, unknown>>;
}

/** The per-unit datasource UID the Python consumer mints: `juju_{model}_{uuid}_{app}_{n}`. */
export function unitDatasourceUid(
  src: Pick<GrafanaSourceData, "model" | "modelUuid" | "application">,
  unit: string,
): string {
  return `juju_${src.model}_${src.modelUuid}_${src.application}_${unit.split("/")[1] ?? ""}`;
}

/** The app-level datasource UID: `juju_{model}_{uuid}_{app}` (no unit number, stable across leaders). */
export function appDatasourceUid(
  src: Pick<GrafanaSourceData, "model" | "modelUuid" | "application">,
): string {
  return `juju_${src.model}_${src.modelUuid}_${src.application}`;
}

function readSourceData(rel: RelationSnapshot): { data: GrafanaSourceData } | { error: string } | null {
  const raw = rel.remoteAppData.grafana_source_data;
  if (!raw) return null;
  const parsed = parseJsonValue("grafana_source_data", raw);
  if (!parsed.ok) return { error: parsed.error };
  const v = parsed.value;
  if (!isRecord(v)) return { error: "'grafana_source_data' must be a JSON object" };
  if (Object.keys(v).length === 0) return null;
  for (const key of ["model", "model_uuid", "application", "type"]) {
    if (typeof v[key] !== "string") return { error: `'grafana_source_data' needs a string '${key}'` };
  }
  const extra = v.extra_fields;
  const secure = v.secure_extra_fields;
  if (extra != null && !isRecord(extra))
    return { error: "'grafana_source_data.extra_fields' must be an object or null" };
  if (secure != null && !isRecord(secure)) {
    return { error: "'grafana_source_data.secure_extra_fields' must be an object or null" };
  }
  return {
    data: {
      model: v.model as string,
      modelUuid: v.model_uuid as string,
      application: v.application as string,
      type: v.type as string,
      extraFields: extra ?? null,
      secureExtraFields: secure ?? null,
    },
  };
}

function withExtras(ds: GrafanaDatasource, src: GrafanaSourceData): GrafanaDatasource {
  // Python only copies non-empty extra fields.
  let out = ds;
  if (src.extraFields && Object.keys(src.extraFields).length > 0)
    out = { ...out, extraFields: src.extraFields };
  if (src.secureExtraFields && Object.keys(src.secureExtraFields).length > 0) {
    out = { ...out, secureExtraFields: src.secureExtraFields };
  }
  return out;
}

/**
 * Requirer side (Grafana): every datasource the related providers publish, one per unit with a
 * `grafana_source_host` plus one app-level source when `grafana_source_app_host` is set.
 * Relations without `grafana_source_data` are skipped silently (not yet published); malformed
 * data rejects that relation only. Output is sorted by relation id, then unit.
 */
export function parseGrafanaSources(relations: readonly RelationSnapshot[]): ParseResult<GrafanaDatasource> {
  const accepted: GrafanaDatasource[] = [];
  const rejected: Rejection[] = [];
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    const read = readSourceData(rel);
    if (read === null) continue;
    if ("error" in read) {
      rejected.push(reject(rel.id, read.error));
      continue;
    }
    const src = read.data;
    for (const unit of Object.keys(rel.remoteUnitsData).sort(compareUnitNames)) {
      const host = rel.remoteUnitsData[unit]?.grafana_source_host;
      if (!host) continue;
      accepted.push(
        withExtras(
          {
            relationId: rel.id,
            unit,
            sourceName: unitDatasourceUid(src, unit),
            sourceType: src.type,
            url: ensureScheme(host),
          },
          src,
        ),
      );
    }
    const appHost = rel.remoteAppData.grafana_source_app_host;
    if (appHost) {
      accepted.push(
        withExtras(
          {
            relationId: rel.id,
            unit: null,
            sourceName: appDatasourceUid(src),
            sourceType: src.type,
            url: ensureScheme(appHost),
          },
          src,
        ),
      );
    }
  }
  return { accepted, rejected };
}

/**
 * Requirer side: the app bag Grafana's leader writes back on one relation, from that relation's
 * datasources (`datasource_uids` maps provider unit to UID; the app-level UID goes separately).
 * Call only on the leader.
 */
export function buildGrafanaSourceRequirerAppData(
  grafanaUid: string,
  grafanaBaseUrl: string,
  datasources: readonly GrafanaDatasource[],
): Databag {
  const uids: Record<string, string> = {};
  let appUid = "";
  for (const ds of datasources) {
    if (ds.unit === null) appUid = ds.sourceName;
    else uids[ds.unit] = ds.sourceName;
  }
  return {
    grafana_uid: grafanaUid,
    datasource_uids: pyJsonDumps(uids),
    grafana_base_url: grafanaBaseUrl,
    app_datasource_uid: appUid,
  };
}

/**
 * SDK binding: every unit writes its `grafana_source_host` on all `endpoint` relations; the leader
 * also writes the app bag. Returns whether the app bag was written (false on non-leaders).
 */
export function publishGrafanaSource(
  model: ModelLike,
  opts: GrafanaSourceProviderOptions,
  fqdn: string,
  endpoint = GRAFANA_SOURCE_ENDPOINT,
): boolean {
  writeUnitData(model, endpoint, buildGrafanaSourceProviderUnitData(opts, fqdn));
  const appData = buildGrafanaSourceProviderAppData(localIdentity(model), opts);
  return writeAppData(model, endpoint, () => appData);
}

/** SDK binding: what every related Grafana wrote back (provider side). */
export function readGrafanaSourceInfo(
  model: ModelLike,
  endpoint = GRAFANA_SOURCE_ENDPOINT,
): ParseResult<GrafanaSourceInfo> {
  return parseGrafanaSourceInfo(relationSnapshots(model, endpoint));
}
