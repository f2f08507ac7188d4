/**
 * `tracing` interface library (interface v2), both sides, wire-compatible with Canonical's
 * `charms.tempo_coordinator_k8s.v0.tracing` (LIBPATCH 11), which `ops[tracing]` also vendors.
 *
 * - Requirer (Prometheus' `workload-tracing` asks for `otlp_grpc`; charm tracing asks for
 *   `otlp_http`): the leader writes app key `receivers`, a JSON list of protocol names.
 * - Provider (Tempo, or our receiver tester): the leader writes app key `receivers`, a JSON list of
 *   `{"protocol": {"name", "type"}, "url"}`; gRPC URLs carry no scheme.
 */
import type { Databag, RelationSnapshot } from "@charmkit/ops";
import { pyJsonDumps } from "../common/pyjson.js";
import { isRecord, type ParseResult, parseJsonValue, type Rejection, reject } from "../common/result.js";
import type { ModelLike } from "../common/sdk.js";

/** The protocols the library knows, with their transport. */
export const RECEIVER_TRANSPORTS = {
  zipkin: "http",
  otlp_grpc: "grpc",
  otlp_http: "http",
  jaeger_thrift_http: "http",
  jaeger_grpc: "grpc",
} as const;

/** A receiver protocol name. */
export type ReceiverProtocol = keyof typeof RECEIVER_TRANSPORTS;

/** One receiver a provider offers. */
export interface Receiver {
  readonly protocol: string;
  readonly transport: "http" | "grpc";
  readonly url: string;
}

/** The requirer's app bag (leader only). */
export function buildRequirerAppData(protocols: readonly ReceiverProtocol[]): Databag {
  if (protocols.length === 0) throw new RangeError("request at least one tracing protocol");
  return { receivers: pyJsonDumps([...protocols]) };
}

/** The provider's app bag (leader only), receivers in the given order. */
export function buildProviderAppData(
  receivers: readonly { protocol: ReceiverProtocol; url: string }[],
): Databag {
  return {
    receivers: pyJsonDumps(
      receivers.map((r) => ({
        protocol: { name: r.protocol, type: RECEIVER_TRANSPORTS[r.protocol] },
        url: r.url,
      })),
    ),
  };
}

/** The receivers one provider offers. */
export interface ProviderReceivers {
  readonly relationId: number;
  readonly app: string | undefined;
  readonly receivers: readonly Receiver[];
}

/**
 * Requirer side: every provider's receivers. A relation whose provider has not answered is skipped
 * (the library's "not ready"); a malformed `receivers` rejects that relation only.
 */
export function parseProviderReceivers(
  relations: readonly RelationSnapshot[],
): ParseResult<ProviderReceivers> {
  const accepted: ProviderReceivers[] = [];
  const rejected: Rejection[] = [];
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    const raw = rel.remoteAppData.receivers;
    if (raw === undefined || raw === "") continue;
    const p = parseJsonValue("receivers", raw);
    if (!p.ok) {
      rejected.push(reject(rel.id, p.error));
      continue;
    }
    if (!Array.isArray(p.value)) {
      rejected.push(reject(rel.id, "'receivers' must be a JSON list"));
      continue;
    }
    const receivers: Receiver[] = [];
    let bad: string | undefined;
    for (const [i, r] of p.value.entries()) {
      const proto = isRecord(r) && isRecord(r.protocol) ? r.protocol : undefined;
      if (!proto || typeof proto.name !== "string" || typeof r.url !== "string") {
        bad = `'receivers'[${i}] needs {"protocol": {"name", "type"}, "url"}`;
        break;
      }
      if (proto.type !== "http" && proto.type !== "grpc") {
        bad = `'receivers'[${i}].protocol.type must be "http" or "grpc"`;
        break;
      }
      receivers.push({ protocol: proto.name, transport: proto.type, url: r.url as string });
    }
    if (bad !== undefined) {
      rejected.push(reject(rel.id, bad));
      continue;
    }
    accepted.push({ relationId: rel.id, app: rel.remoteApp, receivers });
  }
  return { accepted, rejected };
}

/** The first receiver of `protocol` (the library takes the first when there are several). */
export function endpointFor(receivers: readonly Receiver[], protocol: ReceiverProtocol): string | undefined {
  return receivers.find((r) => r.protocol === protocol)?.url;
}

/** What one requirer asked for. */
export interface RequestedProtocols {
  readonly relationId: number;
  readonly app: string | undefined;
  readonly protocols: readonly string[];
}

/** Provider side: the protocols each requirer asked for; relations that did not ask are skipped. */
export function parseRequestedProtocols(
  relations: readonly RelationSnapshot[],
): ParseResult<RequestedProtocols> {
  const accepted: RequestedProtocols[] = [];
  const rejected: Rejection[] = [];
  for (const rel of [...relations].sort((a, b) => a.id - b.id)) {
    const raw = rel.remoteAppData.receivers;
    if (raw === undefined || raw === "") continue;
    const p = parseJsonValue("receivers", raw);
    if (!p.ok) {
      rejected.push(reject(rel.id, p.error));
      continue;
    }
    if (!Array.isArray(p.value) || !p.value.every((x) => typeof x === "string")) {
      rejected.push(reject(rel.id, "'receivers' must be a JSON list of protocol names"));
      continue;
    }
    accepted.push({ relationId: rel.id, app: rel.remoteApp, protocols: p.value as string[] });
  }
  return { accepted, rejected };
}

/** SDK binding, requirer: the leader asks for `protocols` on every relation of `endpoint`. */
export function requestProtocols(
  model: ModelLike,
  endpoint: string,
  protocols: readonly ReceiverProtocol[],
): void {
  if (!model.unit.isLeader()) return;
  const bag = buildRequirerAppData(protocols);
  for (const rel of model.relations(endpoint)) rel.localAppData.update(bag);
}

/**
 * SDK binding, requirer: the endpoint for `protocol` from the (first) relation of `endpoint`, or
 * `undefined` when there is none yet; a malformed provider bag is reported in `rejected`.
 */
export function readTracingEndpoint(
  model: ModelLike,
  endpoint: string,
  protocol: ReceiverProtocol,
): { url: string | undefined; rejected: Rejection[] } {
  const parsed = parseProviderReceivers(model.relations(endpoint).map((r) => r.snapshot()));
  const first = parsed.accepted[0];
  return { url: first ? endpointFor(first.receivers, protocol) : undefined, rejected: parsed.rejected };
}

/** Where a charm's own traces go (ops-tracing's `Destination`): an OTLP/HTTP `/v1/traces` URL and a CA bundle. */
export interface CharmTracingDestination {
  readonly url: string;
  readonly ca?: string | undefined;
}

/**
 * ops-tracing's `_get_destination`: the `otlp_http` receiver plus `/v1/traces`; for https, the CAs
 * from certificate transfer joined in sorted order, and no destination until they arrive (without a
 * CA relation the system trust store is used). `undefined` when tracing cannot be sent yet.
 */
export function charmTracingDestination(
  receivers: readonly Receiver[] | undefined,
  cas: readonly string[] | undefined,
): CharmTracingDestination | undefined {
  const base = receivers ? endpointFor(receivers, "otlp_http") : undefined;
  if (!base || !/^https?:\/\//.test(base)) return undefined;
  const url = `${base.replace(/\/+$/, "")}/v1/traces`;
  if (url.startsWith("http://")) return { url };
  if (cas === undefined) return { url };
  if (cas.length === 0) return undefined;
  return { url, ca: [...cas].sort().join("\n") };
}
