/**
 * The Pebble layer for the Prometheus service (the Python charm's `_prometheus_layer`) and the comparison that decides
 * whether a replan (restart) is needed, so config-only changes become a hot reload instead.
 */

/** The Pebble service definition fields this charm sets. */
export interface ServiceSpec {
  readonly override: "replace";
  readonly summary: string;
  readonly startup: "enabled";
  readonly command: string;
  readonly environment: Readonly<Record<string, string>>;
}

/** A Pebble layer as the layer API takes it. */
export interface PrometheusLayer {
  readonly summary: string;
  readonly description: string;
  readonly services: { readonly prometheus: ServiceSpec };
}

/** Label under which the layer is added (`combine: true`). */
export const LAYER_LABEL = "prometheus";
export const SERVICE_NAME = "prometheus";

/** Topology used to build `OTEL_RESOURCE_ATTRIBUTES` when workload tracing is on. */
export interface TracingTopology {
  readonly model: string;
  readonly modelUuid: string;
  readonly application: string;
  readonly unit: string;
  readonly charm: string;
}

/** Builds the layer. `tracing` adds the OTel resource attributes (same key order as the Python charm). */
export function buildLayer(command: string, tracing?: TracingTopology): PrometheusLayer {
  const environment: Record<string, string> = {};
  if (tracing) {
    environment.OTEL_RESOURCE_ATTRIBUTES = [
      `juju_application=${tracing.application}`,
      `juju_model=${tracing.model}`,
      `juju_model_uuid=${tracing.modelUuid}`,
      `juju_unit=${tracing.unit}`,
      `juju_charm=${tracing.charm}`,
    ].join(",");
  }
  return {
    summary: "Prometheus layer",
    description: "Pebble layer configuration for Prometheus",
    services: {
      prometheus: {
        override: "replace",
        summary: "prometheus daemon",
        startup: "enabled",
        command,
        environment,
      },
    },
  };
}

/**
 * True when the planned service (as read back from Pebble's plan) differs from `wanted` in any
 * field that matters for the running process. Missing environment equals an empty one.
 */
export function serviceChanged(
  planned: Readonly<Record<string, unknown>> | undefined,
  wanted: ServiceSpec,
): boolean {
  if (!planned) return true;
  if (planned.command !== wanted.command) return true;
  if ((planned.startup ?? "enabled") !== wanted.startup) return true;
  const env = (planned.environment ?? {}) as Record<string, unknown>;
  const a = Object.keys(env).sort();
  const b = Object.keys(wanted.environment).sort();
  if (a.length !== b.length) return true;
  return a.some((k, i) => k !== b[i] || env[k] !== wanted.environment[k]);
}
