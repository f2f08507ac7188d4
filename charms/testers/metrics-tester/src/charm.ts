/**
 * The metrics tester: pushes workload/server.mjs into its workload container, runs it there as a
 * Pebble service listening on every interface of the pod, and offers it to Prometheus through the
 * prometheus_scrape provider library (targets `<unit fqdn>:<port>`).
 */
import { ActiveStatus, CharmBase, type Framework, MaintenanceStatus, WaitingStatus } from "@charmkit/ops";
import type { Container } from "@charmkit/ops/pebble";
import { MetricsEndpointProvider } from "@charmkit/interfaces/prometheus-scrape";
import { ensureService, observeLifecycle, pushWorkloadScript } from "@charmkit/tester-kit";

const CONTAINER = "workload";
const ENDPOINT = "metrics-endpoint";
const SERVICE = "metrics";
/** Where the server script goes in the workload container (the charm's files are not there). */
export const SERVER = "/srv/metrics-tester/server.mjs";

/** The rule group published when `broken_alert_rule` is set: its expression does not parse. */
export const BROKEN_GROUP_SUFFIX = "_broken_rules";
export const BROKEN_EXPR = "tester_up >>> 1";

/** Adds (or removes) the broken group in an `alert_rules` JSON document. */
export function withBrokenGroup(
  alertRules: string | undefined,
  groupPrefix: string,
  broken: boolean,
): string {
  let doc: { groups?: { name?: string }[] };
  try {
    doc = JSON.parse(alertRules ?? "{}") as typeof doc;
  } catch {
    doc = {};
  }
  const name = `${groupPrefix}${BROKEN_GROUP_SUFFIX}`;
  const groups = (doc.groups ?? []).filter((g) => g.name !== name);
  if (broken)
    groups.push({
      name,
      rules: [{ alert: "TesterBroken", expr: BROKEN_EXPR, labels: { severity: "info" } }],
    } as never);
  return JSON.stringify(groups.length > 0 ? { groups } : {});
}

export default class MetricsTesterCharm extends CharmBase {
  constructor(framework: Framework) {
    super(framework);
    const port = (): number => this.model.config.getNumber("port") ?? 8000;
    new MetricsEndpointProvider(this, {
      jobs: [{ scrape_interval: "5s", static_configs: [{ targets: [`*:${port()}`] }] }],
      alertRulesPath: "./alert_rules",
      refreshEvents: [["pebble-ready", CONTAINER], "config-changed", "upgrade-charm", "leader-elected"],
      fqdn: () => this.model.unit.fqdn,
    });
    const ensure = async (): Promise<void> => {
      await this.ensureWorkload(port());
      this.applyBrokenRule();
    };
    observeLifecycle(framework, ensure, CONTAINER);
    framework.observe("relation-joined", ENDPOINT, () => this.applyBrokenRule());
    framework.observe("relation-changed", ENDPOINT, () => this.applyBrokenRule());
  }

  /** After the library published, add or drop the broken group (leader only). */
  private applyBrokenRule(): void {
    if (!this.model.unit.isLeader()) return;
    const broken = this.model.config.getBoolean("broken_alert_rule") ?? false;
    const m = this.model;
    const prefix = `${m.name}_${m.uuid.split("-")[0]}_${m.app.name}`;
    for (const rel of m.relations(ENDPOINT)) {
      const current = rel.localAppData.get("alert_rules");
      const next = withBrokenGroup(current, prefix, broken);
      if (current !== undefined && next !== current) rel.localAppData.update({ alert_rules: next });
    }
  }

  private async ensureWorkload(port: number): Promise<void> {
    const c = this.model.unit.container(CONTAINER) as Container;
    if (!(await c.canConnect())) {
      this.model.unit.setStatus(WaitingStatus("waiting for the workload container"));
      return;
    }
    const address = this.model.unit.fqdn;
    await pushWorkloadScript(c, this.charmDir, "server.mjs", SERVER, SERVICE);
    const command = `node ${SERVER} --listen :${port}`;
    await ensureService(c, { name: SERVICE, command, summary: "metrics tester" }, () =>
      this.model.unit.setStatus(MaintenanceStatus("starting the metrics server")),
    );
    this.model.unit.setStatus(ActiveStatus(`serving http://${address}:${port}/metrics`));
  }
}
