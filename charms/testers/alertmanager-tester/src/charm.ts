/**
 * The Alertmanager tester: pushes a minimal config, runs the real Alertmanager as a Pebble
 * service listening on every interface of the pod, and publishes the unit's URL (its FQDN) over
 * alertmanager_dispatch.
 */
import { ActiveStatus, BlockedStatus, CharmBase, type Framework, WaitingStatus } from "@charmkit/ops";
import type { Container } from "@charmkit/ops/pebble";
import { buildAlertmanagerProviderUnitData } from "@charmkit/interfaces/alertmanager-dispatch";
import { ensureService, observeLifecycle, pushIfChanged, serviceState } from "@charmkit/tester-kit";

const CONTAINER = "alertmanager";
const SERVICE = "alertmanager";
const CONFIG = "/etc/alertmanager-tester/alertmanager.yml";
const DATA = "/var/lib/alertmanager-tester";
export const PORT = 9093;

/** A config that keeps alerts visible in the API and sends them nowhere. */
export const ALERTMANAGER_CONFIG = `route:
  receiver: "null"
  group_wait: 1s
  group_interval: 5s
receivers:
  - name: "null"
`;

/** The Alertmanager command line: every interface of the pod, no clustering. */
export function alertmanagerCommand(binary: string): string {
  return [
    binary,
    `--config.file=${CONFIG}`,
    `--storage.path=${DATA}`,
    `--web.listen-address=:${PORT}`,
    "--cluster.listen-address=",
  ].join(" ");
}

export default class AlertmanagerTesterCharm extends CharmBase {
  constructor(framework: Framework) {
    super(framework);
    observeLifecycle(framework, () => this.ensure(), CONTAINER);
    framework.observe("relation-joined", "alertmanager", () => this.publish());
  }

  private url(): string {
    return `http://${this.model.unit.fqdn}:${PORT}`;
  }

  private publish(): void {
    const bag = buildAlertmanagerProviderUnitData(this.url());
    if (!bag) return;
    for (const rel of this.model.relations("alertmanager")) rel.localUnitData.update(bag);
  }

  private async ensure(): Promise<void> {
    this.publish();
    const c = this.model.unit.container(CONTAINER) as Container;
    if (!(await c.canConnect())) {
      this.model.unit.setStatus(WaitingStatus("waiting for the alertmanager container"));
      return;
    }
    const binary = this.model.config.getString("binary") ?? "/usr/bin/prometheus-alertmanager";
    await pushIfChanged(c, CONFIG, ALERTMANAGER_CONFIG);
    if (!(await c.exists(DATA))) await c.makeDir(DATA, { makeParents: true });
    await ensureService(c, { name: SERVICE, command: alertmanagerCommand(binary), summary: "alertmanager" });
    const state = await serviceState(c, SERVICE);
    if (state !== "active") {
      this.model.unit.setStatus(
        BlockedStatus(`alertmanager is ${state ?? "missing"}; check ${binary} and the unit log`),
      );
      return;
    }
    this.model.unit.setStatus(ActiveStatus(`alertmanager at ${this.url()}`));
  }
}
