/**
 * The Alertmanager tester: pushes a minimal config, runs the real Alertmanager as a Pebble
 * service listening on every interface of the pod, and publishes the unit's URL (its FQDN) over
 * alertmanager_dispatch.
 */
import { ActiveStatus, BlockedStatus, CharmBase, type Framework, WaitingStatus } from "@charmkit/ops";
import type { Container } from "@charmkit/ops/pebble";
import { buildAlertmanagerProviderUnitData } from "@charmkit/interfaces/alertmanager-dispatch";

const CONTAINER = "alertmanager";
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
    const run = async (): Promise<void> => {
      await this.ensure();
    };
    framework.observe("pebble-ready", CONTAINER, run);
    framework.observe("config-changed", run);
    framework.observe("upgrade-charm", run);
    framework.observe("update-status", run);
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
    const current = (await c.exists(CONFIG)) ? await c.pull(CONFIG) : undefined;
    if (current !== ALERTMANAGER_CONFIG) await c.push(CONFIG, ALERTMANAGER_CONFIG, { makeDirs: true });
    if (!(await c.exists(DATA))) await c.makeDir(DATA, { makeParents: true });
    const command = alertmanagerCommand(binary);
    const planned = ((await c.getPlan()).services as Record<string, { command?: string }> | undefined)
      ?.alertmanager;
    const running = (await c.getServices("alertmanager")).get("alertmanager")?.current === "active";
    if (planned?.command !== command || !running) {
      await c.addLayer(
        "alertmanager",
        {
          summary: "alertmanager",
          services: { alertmanager: { override: "replace", command, startup: "enabled" } },
        },
        { combine: true },
      );
      await c.replan();
    }
    const state = (await c.getServices("alertmanager")).get("alertmanager")?.current;
    if (state !== "active") {
      this.model.unit.setStatus(
        BlockedStatus(`alertmanager is ${state ?? "missing"}; check ${binary} and the unit log`),
      );
      return;
    }
    this.model.unit.setStatus(ActiveStatus(`alertmanager at ${this.url()}`));
  }
}
