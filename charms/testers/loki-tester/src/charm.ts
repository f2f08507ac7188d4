/**
 * The Loki tester: pushes workload/receiver.mjs into its container, runs it there as a Pebble
 * service on the unit's address and offers it over `logging` (loki_push_api) as Loki's units do.
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
import { publishLokiEndpoint } from "@charmkit/interfaces/loki-push-api";
import { ensureService, observeLifecycle, pushWorkloadScript } from "@charmkit/tester-kit";

const CONTAINER = "receiver";
const SERVICE = "receiver";
/** Where the receiver script goes in the workload container (the charm's files are not there). */
const RECEIVER = "/srv/loki-tester/receiver.mjs";

/** One stream as the receiver recorded it. */
interface Received {
  stream: Record<string, string>;
  values: [string, string][];
}

export default class LokiTesterCharm extends CharmBase {
  constructor(framework: Framework) {
    super(framework);
    const run = (): Promise<void> => this.reconcile();
    observeLifecycle(framework, run, CONTAINER);
    for (const k of ["relation-created", "relation-joined", "relation-changed"] as const)
      framework.observe(k, "logging", run);
    framework.observe("action", "received", (e) => this.onReceived(e));
  }

  private port(): number {
    return this.model.config.getNumber("port") ?? 3100;
  }

  private baseUrl(): string {
    return `http://${this.model.unit.fqdn}:${this.port()}`;
  }

  private async reconcile(): Promise<void> {
    publishLokiEndpoint(this.model, this.baseUrl());
    const c = this.model.unit.container(CONTAINER) as Container;
    if (!(await c.canConnect())) {
      this.model.unit.setStatus(WaitingStatus("waiting for the receiver container"));
      return;
    }
    await pushWorkloadScript(c, this.charmDir, "receiver.mjs", RECEIVER, SERVICE);
    const command = `node ${RECEIVER} --listen ${this.model.unit.fqdn}:${this.port()}`;
    await ensureService(c, { name: SERVICE, command, summary: "loki tester" }, () =>
      this.model.unit.setStatus(MaintenanceStatus("starting the Loki receiver")),
    );
    const got = await this.received().catch(() => undefined);
    const lines = got?.reduce((n, s) => n + s.values.length, 0) ?? 0;
    this.model.unit.setStatus(ActiveStatus(`push API at ${this.baseUrl()}; ${lines} lines received`));
  }

  private async received(): Promise<Received[]> {
    const res = await fetch(`${this.baseUrl()}/received`, { signal: AbortSignal.timeout(5000) });
    return ((await res.json()) as { streams: Received[] }).streams;
  }

  private async onReceived(e: ActionEvent): Promise<void> {
    let streams: Received[];
    try {
      streams = await this.received();
    } catch (err) {
      e.fail(`the receiver does not answer: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const byLabels = new Map<string, number>();
    for (const s of streams) {
      const key = JSON.stringify(Object.fromEntries(Object.entries(s.stream).sort()));
      byLabels.set(key, (byLabels.get(key) ?? 0) + s.values.length);
    }
    e.setResults({
      streams: JSON.stringify(
        [...byLabels].map(([labels, lines]) => ({ labels: JSON.parse(labels), lines })),
      ),
    });
  }
}
