/**
 * Workload log forwarding over `logging` (loki_push_api), as the Python charm's `LogForwarder`:
 * Pebble itself sends the Prometheus service's output to every related Loki unit, through a
 * `log-targets` layer labelled `prometheus-log-forwarding`; targets of Loki units that left are
 * switched off (`services: [-all]`) rather than removed, as the library does.
 */
import {
  type LokiLogTarget,
  type LokiTopology,
  logForwardingLayerLabel,
  logTargets,
} from "@charmkit/interfaces/loki-push-api";

/** The workload container whose services are forwarded. */
export const LOG_CONTAINER = "prometheus";

/** What the apply step needs to converge the forwarding layer. */
export interface LogForwardingPort {
  /** The `log-targets` of the container's current plan. */
  plannedLogTargets(): Promise<Readonly<Record<string, { services?: readonly string[] | undefined }>>>;
  /** Adds (combines) a layer with these log targets. */
  addLogTargets(label: string, targets: Readonly<Record<string, LokiLogTarget>>): Promise<void>;
}

/** Two string maps are equal whatever their key order (Pebble prints plan maps sorted). */
function sameMap(a: unknown, b: Readonly<Record<string, string>> | undefined): boolean {
  const x = (a ?? {}) as Record<string, unknown>;
  const y = b ?? {};
  const kx = Object.keys(x).sort();
  const ky = Object.keys(y).sort();
  return kx.length === ky.length && kx.every((k, i) => k === ky[i] && x[k] === y[k]);
}

/**
 * The targets to add for `active` Loki endpoints (unit name to push URL), given the plan's current
 * targets; `undefined` when the plan already says exactly that.
 */
export function wantedLogTargets(
  active: Readonly<Record<string, string>>,
  topology: LokiTopology,
  planned: Readonly<
    Record<
      string,
      { services?: readonly string[] | undefined; location?: string | undefined; labels?: unknown }
    >
  >,
): Record<string, LokiLogTarget> | undefined {
  const wanted = logTargets(active, topology, planned);
  const same = Object.entries(wanted).every(([name, t]) => {
    const p = planned[name] as
      | { services?: readonly string[]; location?: string; labels?: unknown; type?: string }
      | undefined;
    return (
      p !== undefined &&
      p.type === t.type &&
      p.location === t.location &&
      JSON.stringify(p.services ?? []) === JSON.stringify(t.services) &&
      sameMap(p.labels, t.labels)
    );
  });
  return same ? undefined : wanted;
}

/** Converges the container's forwarding layer; returns whether a layer was added. */
export async function applyLogForwarding(
  port: LogForwardingPort,
  active: Readonly<Record<string, string>> | undefined,
  topology: LokiTopology,
): Promise<boolean> {
  if (active === undefined) return false;
  const planned = await port.plannedLogTargets();
  const wanted = wantedLogTargets(active, topology, planned);
  if (!wanted || Object.keys(wanted).length === 0) return false;
  await port.addLogTargets(logForwardingLayerLabel(LOG_CONTAINER), wanted);
  return true;
}
