/**
 * Runs every fixture in shared/fixtures/misc (discovered at run time) through our interface
 * libraries and checks the result against what Canonical's Python libraries produced from the same
 * input: the bags the local side wrote, key for key (JSON values compared parsed, plain strings
 * exactly), what the library read, the events it emitted, and that every warning it logged about
 * bad remote data has a matching `rejected` entry. A fixture kind without a runner fails loudly.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "node:test";
import type { LocalIdentity, RelationSnapshot } from "@charmkit/ops";
import {
  alertmanagerClusterChanged,
  alertmanagerUrls,
  parseAlertmanagers,
  renderAlertmanagers,
} from "./alertmanager-dispatch/index.js";
import { buildCatalogueItemAppData } from "./catalogue/index.js";
import type { Rejection } from "./common/result.js";
import {
  buildGrafanaSourceProviderAppData,
  buildGrafanaSourceProviderUnitData,
  type ExtraFields,
} from "./grafana-datasource/index.js";
import {
  buildIngressRequirerUnitData,
  ingressTransition,
  ingressUrlForUnit,
  parseIngressUrls,
} from "./ingress-per-unit/index.js";

const FIXTURES = resolve(import.meta.dirname, "../../../testdata/fixtures/misc");

interface FixtureRelation {
  id: number;
  remote_app: string;
  app_data?: Record<string, string>;
  units?: Record<string, Record<string, string>>;
  local_app_data?: Record<string, string>;
}
interface Fixture {
  model: { name: string; uuid: string };
  app?: string;
  unit_id?: number;
  leader?: boolean;
  lib_kwargs?: Record<string, unknown>;
  relations: FixtureRelation[];
}
interface Expected {
  relations: Record<string, { app_data: Record<string, string>; unit_data: Record<string, string> }>;
  read: Record<string, unknown>;
  events: Record<string, unknown>[];
  logs: { level: string; logger: string; message: string }[];
}
interface Outcome {
  relations: Record<string, { app_data: Record<string, string>; unit_data: Record<string, string> }>;
  read: Record<string, unknown>;
  events: Record<string, unknown>[];
  rejected: Rejection[];
}

function identityOf(fx: Fixture, defaultApp: string): LocalIdentity {
  const app = fx.app ?? defaultApp;
  return {
    modelName: fx.model.name,
    modelUuid: fx.model.uuid,
    appName: app,
    unitName: `${app}/${fx.unit_id ?? 0}`,
  };
}

function snapshots(fx: Fixture, endpoint: string): RelationSnapshot[] {
  return fx.relations.map((r) => ({
    id: r.id,
    endpoint,
    remoteApp: r.remote_app,
    remoteAppData: r.app_data ?? {},
    remoteUnitsData: r.units ?? {},
  }));
}

/** Juju semantics: writing "" deletes the key, so it never shows in the resulting bag. */
function written(bag: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(bag).filter(([, v]) => v !== ""));
}

type Runner = (fx: Fixture) => Outcome;

const RUNNERS: Record<string, Runner> = {
  grafana_source(fx) {
    const id = identityOf(fx, "prometheus");
    const kw = fx.lib_kwargs ?? {};
    const opts = {
      sourceType: kw.source_type as string,
      sourcePort: (kw.source_port as string | undefined) ?? "",
      extraFields: (kw.extra_fields as ExtraFields | undefined) ?? null,
      secureExtraFields: (kw.secure_extra_fields as ExtraFields | undefined) ?? null,
      appDatasource: (kw.app_datasource as boolean | undefined) ?? true,
      unitDatasources: (kw.unit_datasources as boolean | undefined) ?? false,
      appDatasourceUrl: (kw.app_datasource_url as string | undefined) ?? null,
      unitDatasourceUrl: (kw.unit_datasource_url as string | undefined) ?? null,
    };
    const fqdn = `${id.unitName.replace("/", "-")}.${id.appName}-endpoints.${id.modelName}.svc.cluster.local`;
    const relations: Outcome["relations"] = {};
    for (const r of fx.relations) {
      relations[r.id] = {
        app_data: fx.leader === false ? {} : written(buildGrafanaSourceProviderAppData(id, opts)),
        unit_data: written(buildGrafanaSourceProviderUnitData(opts, fqdn)),
      };
    }
    return { relations, read: {}, events: [], rejected: [] };
  },

  alertmanager(fx) {
    const parsed = parseAlertmanagers(snapshots(fx, "alertmanager"));
    const urls = alertmanagerUrls(parsed.accepted);
    const relations: Outcome["relations"] = {};
    for (const r of fx.relations) relations[r.id] = { app_data: {}, unit_data: {} };
    const firstUnit = Object.keys(fx.relations[0]?.units ?? {})[0];
    const events = alertmanagerClusterChanged("relation-changed", firstUnit)
      ? [{ event: "ClusterChanged" }]
      : [];
    const { alertmanagers } = renderAlertmanagers(urls);
    return {
      relations,
      read: { cluster_info: urls, alerting_config: { alertmanagers } },
      events,
      rejected: parsed.rejected,
    };
  },

  catalogue(fx) {
    const item = (fx.lib_kwargs?.item ?? {}) as Record<string, unknown>;
    const relations: Outcome["relations"] = {};
    for (const r of fx.relations) {
      relations[r.id] = {
        app_data:
          fx.leader === false
            ? {}
            : written(
                buildCatalogueItemAppData({
                  name: item.name as string,
                  url: item.url as string,
                  icon: item.icon as string,
                  description: item.description as string | undefined,
                  apiDocs: item.api_docs as string | undefined,
                  apiEndpoints: item.api_endpoints as Record<string, string> | undefined,
                }),
              ),
        unit_data: {},
      };
    }
    return { relations, read: {}, events: [], rejected: [] };
  },

  ingress_per_unit(fx) {
    const id = identityOf(fx, "prometheus");
    const kw = fx.lib_kwargs ?? {};
    const host =
      (kw.host as string | undefined) ??
      `${id.unitName.replace("/", "-")}.${id.appName}-endpoints.${id.modelName}.svc.cluster.local`;
    const unitData = buildIngressRequirerUnitData({
      model: id.modelName,
      name: id.unitName,
      host,
      port: kw.port as number,
      mode: (kw.mode as "http" | "tcp" | undefined) ?? "http",
      scheme: (kw.scheme as "http" | "https" | undefined) ?? "http",
      stripPrefix: Boolean(kw.strip_prefix),
      redirectHttps: Boolean(kw.redirect_https),
    });
    const parsed = parseIngressUrls(snapshots(fx, "ingress"));
    const relations: Outcome["relations"] = {};
    for (const r of fx.relations) relations[r.id] = { app_data: {}, unit_data: written(unitData) };
    const urls = Object.assign({}, ...parsed.accepted.map((a) => a.urls)) as Record<string, string>;
    const url = ingressUrlForUnit(parsed.accepted, id.unitName);
    const transition = ingressTransition(undefined, url);
    const events =
      transition.kind === "ready"
        ? [{ event: "IngressPerUnitReadyForUnitEvent", url: transition.url }]
        : transition.kind === "revoked"
          ? [{ event: "IngressPerUnitRevokedForUnitEvent" }]
          : [];
    return {
      relations,
      read: { urls, url: url ?? null, is_ready: url !== undefined },
      events,
      rejected: parsed.rejected,
    };
  },
};

function assertBagEqual(
  actual: Record<string, string>,
  expected: Record<string, string>,
  where: string,
): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${where}: keys`);
  for (const [k, want] of Object.entries(expected)) {
    const got = actual[k]!;
    let wantJson: unknown;
    try {
      wantJson = JSON.parse(want);
    } catch {
      wantJson = undefined;
    }
    if (typeof wantJson === "object" && wantJson !== null) {
      assert.deepEqual(JSON.parse(got), wantJson, `${where}: ${k} (JSON)`);
    } else {
      assert.equal(got, want, `${where}: ${k}`);
    }
  }
}

/** Field names a pydantic "Field required" warning mentions. */
function missingFieldsInLogs(logs: Expected["logs"]): string[] {
  const out = new Set<string>();
  for (const l of logs) for (const m of l.message.matchAll(/\n(\w+)\n\s+Field required/g)) out.add(m[1]!);
  return [...out].sort();
}

const inputs = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".json") && !f.endsWith(".expected.json"))
  .sort();

test("the misc fixture directory is found and not empty", () => {
  assert.ok(inputs.length > 0, `no fixtures under ${FIXTURES}`);
});

for (const file of inputs) {
  const name = file.slice(0, -".json".length);
  test(`misc fixture ${name}`, () => {
    const kind = name.split(".")[0]!;
    const runner = RUNNERS[kind];
    assert.ok(runner, `no runner for fixture kind '${kind}': add one to misc-fixtures.test.ts`);
    const fx = JSON.parse(readFileSync(join(FIXTURES, file), "utf8")) as Fixture;
    const want = JSON.parse(readFileSync(join(FIXTURES, `${name}.expected.json`), "utf8")) as Expected;
    const got = runner(fx);

    assert.deepEqual(Object.keys(got.relations).sort(), Object.keys(want.relations).sort(), "relation ids");
    for (const [rid, bags] of Object.entries(want.relations)) {
      assertBagEqual(got.relations[rid]!.app_data, bags.app_data, `relation ${rid} app_data`);
      assertBagEqual(got.relations[rid]!.unit_data, bags.unit_data, `relation ${rid} unit_data`);
    }
    assert.deepEqual(got.read, want.read, "read");
    assert.deepEqual(got.events, want.events, "events");

    const warnings = want.logs.filter((l) => l.level === "WARNING" || l.level === "ERROR");
    assert.equal(got.rejected.length > 0, warnings.length > 0, "a rejection exactly when Python warned");
    for (const field of missingFieldsInLogs(warnings)) {
      assert.ok(
        got.rejected.some((r) => r.reason.includes(`'${field}'`)),
        `Python warned that '${field}' is missing; no rejection names it: ${JSON.stringify(got.rejected)}`,
      );
    }
  });
}
