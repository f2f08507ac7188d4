/**
 * The tracing tester: pushes workload/receiver.mjs (OTLP over gRPC and HTTP) into its container,
 * runs it there as a Pebble service and publishes, on the leader, the receivers each related charm
 * asked for, as Tempo does.
 */
import {
  type ActionEvent,
  ActiveStatus,
  CharmBase,
  type Framework,
  MaintenanceStatus,
  WaitingStatus,
} from "@charmkit/ops";
import type { Container } from "@charmkit/ops/pebble";
import {
  buildProviderAppData,
  parseRequestedProtocols,
  type ReceiverProtocol,
} from "@charmkit/interfaces/tracing";
import { ensureService, observeLifecycle, pushWorkloadScript } from "@charmkit/tester-kit";

const CONTAINER = "receiver";
const SERVICE = "receiver";
const GRPC_PORT = 4317;
const HTTP_PORT = 4318;
/** Where the receiver script goes in the workload container (the charm's files are not there). */
const RECEIVER = "/srv/tracing-tester/receiver.mjs";

/** What the receiver recorded. */
interface Received {
  http: {
    json?: {
      resourceSpans?: {
        resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
        scopeSpans?: { spans?: { name: string }[] }[];
      }[];
    };
  }[];
  grpc: unknown[];
}

export default class TracingTesterCharm extends CharmBase {
  constructor(framework: Framework) {
    super(framework);
    const run = (): Promise<void> => this.reconcile();
    observeLifecycle(framework, run, CONTAINER);
    framework.observe("leader-elected", run);
    for (const k of ["relation-joined", "relation-changed"] as const) framework.observe(k, "tracing", run);
    framework.observe("action", "received", (e) => this.onReceived(e));
  }

  private publish(): void {
    if (!this.model.unit.isLeader()) return;
    const fqdn = this.model.unit.fqdn;
    const urls: Partial<Record<ReceiverProtocol, string>> = {
      otlp_grpc: `${fqdn}:${GRPC_PORT}`,
      otlp_http: `http://${fqdn}:${HTTP_PORT}`,
    };
    const requested = parseRequestedProtocols(this.model.relations("tracing").map((r) => r.snapshot()));
    for (const r of requested.rejected) this.log.warning(`tracing:${r.relationId}: ${r.reason}`);
    for (const rel of this.model.relations("tracing")) {
      const asked = requested.accepted.find((a) => a.relationId === rel.id)?.protocols ?? [];
      const offer = asked
        .filter((p): p is ReceiverProtocol => p in urls)
        .map((protocol) => ({ protocol, url: urls[protocol]! }));
      if (offer.length > 0) rel.localAppData.update(buildProviderAppData(offer));
    }
  }

  private async reconcile(): Promise<void> {
    this.publish();
    const c = this.model.unit.container(CONTAINER) as Container;
    if (!(await c.canConnect())) {
      this.model.unit.setStatus(WaitingStatus("waiting for the receiver container"));
      return;
    }
    const fqdn = this.model.unit.fqdn;
    await pushWorkloadScript(c, this.charmDir, "receiver.mjs", RECEIVER, SERVICE);
    const command = `node ${RECEIVER} --grpc ${fqdn}:${GRPC_PORT} --http ${fqdn}:${HTTP_PORT}`;
    await ensureService(c, { name: SERVICE, command, summary: "tracing tester" }, () =>
      this.model.unit.setStatus(MaintenanceStatus("starting the OTLP receiver")),
    );
    const got = await this.received().catch(() => undefined);
    this.model.unit.setStatus(
      ActiveStatus(
        `OTLP gRPC :${GRPC_PORT}, HTTP :${HTTP_PORT}; ${got ? got.grpc.length + got.http.length : 0} requests received`,
      ),
    );
  }

  private async received(): Promise<Received> {
    const res = await fetch(`http://${this.model.unit.fqdn}:${HTTP_PORT}/received`, {
      signal: AbortSignal.timeout(5000),
    });
    return (await res.json()) as Received;
  }

  private async onReceived(e: ActionEvent): Promise<void> {
    let got: Received;
    try {
      got = await this.received();
    } catch (err) {
      e.fail(`the receiver does not answer: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const services = new Set<string>();
    const spans = new Set<string>();
    for (const req of got.http) {
      for (const rs of req.json?.resourceSpans ?? []) {
        const name = rs.resource?.attributes?.find((a) => a.key === "service.name")?.value.stringValue;
        if (name) services.add(name);
        for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.add(s.name);
      }
    }
    e.setResults({
      "http-requests": got.http.length,
      "grpc-requests": got.grpc.length,
      services: JSON.stringify([...services].sort()),
      spans: JSON.stringify([...spans].sort()),
    });
  }
}
