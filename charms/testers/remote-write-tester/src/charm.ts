/**
 * The remote-write tester: Prometheus in agent mode as a Pebble service, configured from the
 * `send-remote-write` endpoints (and the CAs of `receive-ca-cert`), and the forwarded alert rules
 * published by the leader.
 */
import { join } from "node:path";
import {
  ActiveStatus,
  BlockedStatus,
  CharmBase,
  type Framework,
  MaintenanceStatus,
  WaitingStatus,
} from "@charmkit/ops";
import type { Container } from "@charmkit/ops/pebble";
import {
  allCertificates,
  readTransferredCertificates,
  requestVersion1,
} from "@charmkit/interfaces/certificate-transfer";
import {
  buildRemoteWriteConsumerAppData,
  parseRemoteWriteEndpoints,
  remoteWriteConsumerRules,
} from "@charmkit/interfaces/prometheus-remote-write";
import { JujuTopology, readRuleFiles } from "@charmkit/interfaces/prometheus-scrape";
import { ensureService, observeLifecycle, pushIfChanged } from "@charmkit/tester-kit";
import { stringify } from "yaml";

const CONTAINER = "agent";
const SERVICE = "agent";
const ENDPOINT = "send-remote-write";
const CONFIG = "/etc/remote-write-tester/agent.yml";
const CA_FILE = "/etc/remote-write-tester/ca.crt";
const DATA = "/var/lib/remote-write-tester";

/** The agent's configuration: scrape itself with this unit's topology, write to every endpoint. */
export function agentConfig(opts: {
  self: string;
  labels: Record<string, string>;
  endpoints: readonly string[];
  caFile?: string | undefined;
}): string {
  return stringify({
    global: { scrape_interval: "5s" },
    scrape_configs: [
      { job_name: "remote-write-tester", static_configs: [{ targets: [opts.self], labels: opts.labels }] },
    ],
    remote_write: opts.endpoints.map((url) => ({
      url,
      ...(url.startsWith("https://") && opts.caFile ? { tls_config: { ca_file: opts.caFile } } : {}),
    })),
  });
}

export default class RemoteWriteTesterCharm extends CharmBase {
  constructor(framework: Framework) {
    super(framework);
    const run = (): Promise<void> => this.reconcile();
    observeLifecycle(framework, run, CONTAINER);
    framework.observe("leader-elected", run);
    for (const ep of [ENDPOINT, "receive-ca-cert", "agent-peers"]) {
      for (const k of [
        "relation-created",
        "relation-joined",
        "relation-changed",
        "relation-departed",
      ] as const)
        framework.observe(k, ep, run);
    }
  }

  private topology(): JujuTopology {
    const m = this.model;
    return new JujuTopology(m.name, m.uuid, m.app.name, m.unit.name, this.meta.name);
  }

  /** Leader: the rules and topology every endpoint gets (the Python consumer's app bag). */
  private publishRules(): void {
    if (!this.model.unit.isLeader()) return;
    const peers = this.model.relations("agent-peers")[0];
    const units = [this.model.unit.name, ...(peers ? Object.keys(peers.snapshot().remoteUnitsData) : [])];
    const files = readRuleFiles(join(this.charmDir, "alert_rules"), { recursive: false }).files;
    const topology = this.topology();
    const { groups, problems } = remoteWriteConsumerRules({ topology, unitNames: units, files });
    for (const p of problems) this.log.warning(`alert rule ${p.path}: ${p.reason}`);
    if (this.model.config.getBoolean("broken_alert_rule")) {
      groups.push({
        name: `${topology.identifier}_broken_rules`,
        rules: [{ alert: "RemoteWriteTesterBroken", expr: "up >>> 1", labels: { severity: "info" } }],
      });
    }
    const t = topology.asDict();
    const bag = buildRemoteWriteConsumerAppData(
      {
        model: t.model,
        modelUuid: t.model_uuid,
        application: t.application,
        unit: t.unit,
        charmName: t.charm_name,
      },
      groups as never,
    );
    for (const rel of this.model.relations(ENDPOINT)) rel.localAppData.update(bag);
  }

  /** What Prometheus said of our rules (`event.errors`), if anything. */
  private feedback(): string | undefined {
    for (const rel of this.model.relations(ENDPOINT)) {
      try {
        const ev = JSON.parse(rel.snapshot().remoteAppData.event ?? "{}") as { errors?: string };
        if (ev.errors) return ev.errors;
      } catch {
        this.log.warning(`${ENDPOINT}:${rel.id}: 'event' is not JSON`);
      }
    }
    return undefined;
  }

  private async reconcile(): Promise<void> {
    requestVersion1(this.model, "receive-ca-cert");
    this.publishRules();
    const parsed = parseRemoteWriteEndpoints(this.model.relations(ENDPOINT).map((r) => r.snapshot()));
    for (const r of parsed.rejected)
      this.log.warning(`${ENDPOINT}:${r.relationId} ${r.unit ?? ""}: ${r.reason}`);
    const endpoints = parsed.accepted.map((e) => e.url);
    const cas = allCertificates(readTransferredCertificates(this.model, "receive-ca-cert").accepted);

    const c = this.model.unit.container(CONTAINER) as Container;
    if (!(await c.canConnect())) {
      this.model.unit.setStatus(WaitingStatus("waiting for the agent container"));
      return;
    }
    const port = this.model.config.getNumber("port") ?? 9091;
    const self = `${this.model.unit.fqdn}:${port}`;
    const labels = Object.fromEntries(
      Object.entries(this.topology().labelMatcherDict()).concat([["juju_unit", this.model.unit.name]]),
    );
    if (cas.length > 0) await c.push(CA_FILE, `${cas.join("\n")}\n`, { makeDirs: true });
    const config = agentConfig({ self, labels, endpoints, caFile: cas.length > 0 ? CA_FILE : undefined });
    const changed = await pushIfChanged(c, CONFIG, config);

    const command = [
      "prometheus",
      "--enable-feature=agent",
      `--config.file=${CONFIG}`,
      `--storage.agent.path=${DATA}`,
      `--web.listen-address=${self}`,
      "--web.enable-lifecycle",
    ].join(" ");
    const started = await ensureService(c, { name: SERVICE, command, summary: "remote-write tester" }, () =>
      this.model.unit.setStatus(MaintenanceStatus("starting Prometheus in agent mode")),
    );
    if (!started && changed) {
      const res = await fetch(`http://${self}/-/reload`, {
        method: "POST",
        signal: AbortSignal.timeout(30_000),
      }).catch((e: Error) => e);
      if (res instanceof Error || !res.ok)
        this.log.warning(`agent reload failed: ${res instanceof Error ? res.message : res.status}`);
    }

    const errors = this.feedback();
    if (errors) {
      this.model.unit.setStatus(BlockedStatus(`Prometheus refused our alert rules: ${errors.slice(0, 150)}`));
      return;
    }
    if (endpoints.length === 0) {
      this.model.unit.setStatus(
        WaitingStatus(`agent running; no remote-write endpoint yet (relate ${ENDPOINT})`),
      );
      return;
    }
    this.model.unit.setStatus(ActiveStatus(`remote-writing to ${endpoints.join(", ")}`));
  }
}
