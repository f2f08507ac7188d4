/**
 * `ingress_per_unit` interface library, both sides, wire-compatible with Canonical's
 * `charms.traefik_k8s.v1.ingress_per_unit` (LIBPATCH 23).
 *
 * Requirer (Prometheus): every unit writes its request (model, name, host, port, mode, scheme,
 * strip-prefix, redirect-https; all strings) and reads its URL from the provider's YAML `ingress`
 * app key. Provider (Traefik, or our nginx tester): validates each unit's request against the
 * charm-relation-interfaces schema (compiled ahead of time, see gen-validators.ts) and, on the
 * leader, writes the YAML `ingress` mapping of unit name to `{url}`.
 */
import type { Databag, RelationSnapshot } from "@charmkit/ops";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { compareUnitNames, isRecord, type ParseResult, type Rejection, reject } from "../common/result.js";
import { validate as validateGenerated } from "./validate-requirer.gen.js";
import { type ModelLike, relationSnapshots, writeUnitData } from "../common/sdk.js";

/** Default endpoint name on the Prometheus side. */
export const INGRESS_ENDPOINT = "ingress";

/** What one requirer unit asks for. */
export interface IngressRequest {
  readonly model: string;
  /** The unit name, e.g. `prometheus/0`. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly mode?: "http" | "tcp";
  readonly scheme?: "http" | "https";
  readonly stripPrefix?: boolean;
  readonly redirectHttps?: boolean;
}

/**
 * The requirer unit bag, keys in the Python library's order. `strip-prefix` and `redirect-https`
 * are written only when true, as the Python library does. Every unit writes its own bag.
 */
export function buildIngressRequirerUnitData(req: IngressRequest): Databag {
  const bag: Record<string, string> = {
    model: req.model,
    name: req.name,
    host: req.host,
    port: String(req.port),
    mode: req.mode ?? "http",
  };
  if (req.scheme) bag.scheme = req.scheme;
  if (req.stripPrefix) bag["strip-prefix"] = "true";
  if (req.redirectHttps) bag["redirect-https"] = "true";
  return bag;
}

/** The URLs the provider published, keyed by unit name, for each relation. */
export interface IngressUrls {
  readonly relationId: number;
  readonly urls: Readonly<Record<string, string>>;
}

/**
 * Requirer side: the provider's `ingress` YAML for every relation. A relation whose provider has
 * not answered yet gives an empty mapping; malformed YAML rejects that relation; a unit entry
 * without a string `url` is rejected on its own.
 */
export function parseIngressUrls(relations: readonly RelationSnapshot[]): ParseResult<IngressUrls> {
  const accepted: IngressUrls[] = [];
  const rejected: Rejection[] = [];
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    const raw = rel.remoteAppData.ingress;
    if (!raw) {
      accepted.push({ relationId: rel.id, urls: {} });
      continue;
    }
    let doc: unknown;
    try {
      doc = parseYaml(raw);
    } catch (e) {
      rejected.push(reject(rel.id, `'ingress' is not valid YAML: ${(e as Error).message.split("\n")[0]}`));
      continue;
    }
    if (!isRecord(doc)) {
      rejected.push(reject(rel.id, "'ingress' must be a YAML mapping of unit name to {url}"));
      continue;
    }
    const urls: Record<string, string> = {};
    for (const unit of Object.keys(doc).sort(compareUnitNames)) {
      const entry = doc[unit];
      if (isRecord(entry) && typeof entry.url === "string" && entry.url !== "") urls[unit] = entry.url;
      else rejected.push(reject(rel.id, `'ingress' entry for ${unit} has no string 'url'`, unit));
    }
    accepted.push({ relationId: rel.id, urls });
  }
  return { accepted, rejected };
}

/** This unit's ingress URL, if any relation's provider published one. */
export function ingressUrlForUnit(urls: readonly IngressUrls[], unitName: string): string | undefined {
  for (const r of urls) {
    const url = r.urls[unitName];
    if (url) return url;
  }
  return undefined;
}

/** What changed for this unit since the last hook: the Python library's ready/revoked events. */
export type IngressTransition = { kind: "ready"; url: string } | { kind: "revoked" } | { kind: "unchanged" };

/**
 * Compares the URL seen in the previous hook (the charm keeps it in stored state) with the current
 * one: a new or changed URL is `ready`, a removed one is `revoked`.
 */
export function ingressTransition(
  previous: string | undefined,
  current: string | undefined,
): IngressTransition {
  if (current && current !== previous) return { kind: "ready", url: current };
  if (!current && previous) return { kind: "revoked" };
  return { kind: "unchanged" };
}

/** A validated request from one requirer unit, as the provider sees it. */
export interface IngressRequestFromUnit extends IngressRequest {
  readonly relationId: number;
  /** The remote unit whose bag this is (normally equal to `name`). */
  readonly unit: string;
  /** The requirer application. */
  readonly app: string | undefined;
}

interface AjvError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** The generated validator, typed: it coerces `data` in place and leaves errors on `.errors`. */
const validateRequirerBag = validateGenerated as unknown as ((data: Record<string, unknown>) => boolean) & {
  errors?: AjvError[] | null;
};

function describeErrors(errors: readonly AjvError[] | null | undefined): string {
  const parts = (errors ?? []).map((e) => {
    const where = e.instancePath ? `'${e.instancePath.slice(1)}'` : "unit data";
    const allowed = Array.isArray(e.params?.allowedValues)
      ? ` (${(e.params.allowedValues as string[]).join(", ")})`
      : "";
    return `${where} ${e.message ?? "is invalid"}${allowed}`;
  });
  return [...new Set(parts)].join("; ");
}

/**
 * The keys of a requirer unit bag that belong to this interface, as the Python provider reads them
 * (`_get_requirer_unit_data` in traefik_k8s/v1/ingress_per_unit.py takes these and nothing else).
 * Every other key is ignored, in particular the ones Juju itself writes into each unit's bag when
 * the unit joins (`egress-subnets`, `ingress-address`, `private-address`).
 */
const REQUEST_KEYS = ["port", "host", "model", "name", "mode", "strip-prefix", "redirect-https", "scheme"];

/**
 * Provider side: every requirer unit's request, validated against the ingress_per_unit requirer
 * schema (string values coerced to the schema's types, so `"9090"` is a valid port). Only the
 * interface's keys are read. A unit whose bag holds none of them has not asked yet (before its
 * first write the bag holds Juju's own keys alone) and is skipped without a rejection, as the
 * Python provider's `is_unit_ready` answers false for it; a request with some keys but not valid
 * is rejected with the schema's reasons.
 */
export function parseIngressRequests(
  relations: readonly RelationSnapshot[],
): ParseResult<IngressRequestFromUnit> {
  const accepted: IngressRequestFromUnit[] = [];
  const rejected: Rejection[] = [];
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    for (const unit of Object.keys(rel.remoteUnitsData).sort(compareUnitNames)) {
      const bag = rel.remoteUnitsData[unit] ?? {};
      const data: Record<string, unknown> = {};
      for (const k of REQUEST_KEYS) if (bag[k] !== undefined) data[k] = bag[k];
      if (Object.keys(data).length === 0) continue;
      if (!validateRequirerBag(data)) {
        rejected.push(
          reject(rel.id, `invalid ingress request: ${describeErrors(validateRequirerBag.errors)}`, unit),
        );
        continue;
      }
      accepted.push({
        relationId: rel.id,
        unit,
        app: rel.remoteApp,
        model: data.model as string,
        name: data.name as string,
        host: data.host as string,
        port: data.port as number,
        mode: (data.mode as "http" | "tcp" | undefined) ?? "http",
        scheme: (data.scheme as "http" | "https" | undefined) ?? "http",
        stripPrefix: data["strip-prefix"] === "true",
        redirectHttps: data["redirect-https"] === "true",
      });
    }
  }
  return { accepted, rejected };
}

/**
 * The provider's app bag: `ingress` = YAML mapping unit name to `{url}`, keys sorted as PyYAML's
 * `safe_dump` sorts them. An empty mapping deletes the key. Call only on the leader.
 */
export function buildIngressProviderAppData(urls: Readonly<Record<string, string>>): Databag {
  const units = Object.keys(urls).sort();
  if (units.length === 0) return { ingress: "" };
  const doc: Record<string, { url: string }> = {};
  for (const u of units) doc[u] = { url: urls[u]! };
  return { ingress: stringifyYaml(doc, { sortMapEntries: true }) };
}

/** SDK binding: this unit writes its request on every `endpoint` relation. */
export function publishIngressRequest(
  model: ModelLike,
  req: IngressRequest,
  endpoint = INGRESS_ENDPOINT,
): void {
  writeUnitData(model, endpoint, buildIngressRequirerUnitData(req));
}

/** SDK binding: this unit's ingress URL (if any) and the rejections met while reading it. */
export function readIngressUrl(
  model: ModelLike,
  endpoint = INGRESS_ENDPOINT,
): { url: string | undefined; rejected: Rejection[] } {
  const parsed = parseIngressUrls(relationSnapshots(model, endpoint));
  return { url: ingressUrlForUnit(parsed.accepted, model.unit.name), rejected: parsed.rejected };
}
