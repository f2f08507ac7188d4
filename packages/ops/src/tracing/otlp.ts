/**
 * OTLP/JSON encoding of one dispatch's spans (`ExportTraceServiceRequest`, as POSTed to
 * `<otlp_http>/v1/traces` with `Content-Type: application/json`). The shape follows the OTLP
 * specification's JSON mapping and what Canonical's ops-tracing sends (`ops_tracing/_otlp_json.py`):
 * hex trace and span ids, nanosecond times as decimal strings, integer-valued attributes as strings.
 */
import type { AttributeValue, SpanData } from "./spans.js";

/** The resource every span of a charm carries, as ops-tracing sets it. */
export interface TracingResource {
  readonly modelName: string;
  readonly modelUuid: string;
  readonly unitName: string;
  /** The charm's name in its metadata. */
  readonly charmName: string;
  /** The charm class, e.g. `PrometheusCharm`. */
  readonly charmType: string;
}

/** ops-tracing's resource attributes (`ops_tracing/_backend.py setup`), in its order. */
export function resourceAttributes(r: TracingResource): Record<string, string> {
  const [app = "", unitNumber = ""] = r.unitName.split("/");
  return {
    "service.namespace": r.modelUuid,
    "service.namespace.name": r.modelName,
    "service.name": app,
    "service.instance.id": unitNumber,
    charm: r.charmName,
    charm_type: r.charmType,
    juju_model: r.modelName,
    juju_model_uuid: r.modelUuid,
    juju_application: app,
    juju_unit: r.unitName,
  };
}

type OtlpValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: OtlpValue[] } };

function value(v: AttributeValue): OtlpValue {
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  if (typeof v === "number") return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return { arrayValue: { values: v.map((s) => ({ stringValue: s })) } };
}

function attributes(attrs: Record<string, AttributeValue>): { key: string; value: OtlpValue }[] {
  return Object.entries(attrs).map(([key, v]) => ({ key, value: value(v) }));
}

/** The scope name ops uses for its own spans; ours are the SDK's. */
export const SCOPE_NAME = "charmkit.ops";

/** Encodes finished spans as one OTLP/JSON request body. */
export function encodeSpans(spans: readonly SpanData[], resource: TracingResource): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: attributes(resourceAttributes(resource)) },
        scopeSpans: [
          {
            scope: { name: SCOPE_NAME },
            spans: spans.map((s) => {
              const span: Record<string, unknown> = {
                traceId: s.traceId,
                spanId: s.spanId,
                name: s.name,
                kind: s.kind,
                startTimeUnixNano: String(s.startNs),
                endTimeUnixNano: String(s.endNs ?? s.startNs),
                attributes: attributes(s.attributes),
                status: s.status.code === 0 ? {} : { code: s.status.code, message: s.status.message ?? "" },
              };
              if (s.parentSpanId !== undefined) span.parentSpanId = s.parentSpanId;
              if (s.events.length > 0)
                span.events = s.events.map((e) => ({
                  name: e.name,
                  timeUnixNano: String(e.timeNs),
                  attributes: attributes(e.attributes),
                }));
              return span;
            }),
          },
        ],
      },
    ],
  });
}
