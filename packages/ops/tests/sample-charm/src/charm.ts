/**
 * The SDK's sample charm: one handler per feature, small enough to read in one go. The slow
 * dispatch tests assert on the hook-tool calls it makes; the harness tests run it in memory.
 */

import {
  ActiveStatus,
  BlockedStatus,
  CharmBase,
  type Framework,
  MaintenanceStatus,
  WaitingStatus,
} from "@charmkit/ops";

interface Stored extends Record<string, string | number | boolean | null> {
  configChanges: number;
  dataLocation: string;
  lastSecretContent: string;
  dbJoinedAttempts: number;
}

/** The sample charm. */
export default class SampleCharm extends CharmBase {
  private readonly stored: Stored;

  constructor(framework: Framework) {
    super(framework);
    this.stored = framework.storedState<Stored>("sample", {
      configChanges: 0,
      dataLocation: "",
      lastSecretContent: "",
      dbJoinedAttempts: 0,
    });
    framework.observe("install", () => {
      this.model.unit.setStatus(MaintenanceStatus("installing"));
      this.model.unit.setWorkloadVersion("1.2.3");
    });
    framework.observe("config-changed", () => {
      this.stored.configChanges += 1;
      const port = this.model.config.getNumber("port") ?? 8080;
      this.model.unit.setPorts([{ protocol: "tcp", port }]);
    });
    framework.observe("update-status", () => {});
    framework.observe("pebble-ready", "workload", async (event) => {
      const container = event.workload;
      if (!(await container.canConnect())) {
        event.defer();
        return;
      }
      const port = String(this.model.config.get("port"));
      await container.addLayer(
        "sample",
        {
          services: { web: { override: "replace", command: `/bin/web --port ${port}`, startup: "enabled" } },
        },
        { combine: true },
      );
      await container.replan();
    });
    framework.observe("leader-elected", () => {
      const peers = this.model.relation("sample-peers");
      peers?.localAppData.update({ leader: this.model.unit.name });
      const secret = this.model.app.addSecret({ password: "s3cret value" }, { label: "admin" });
      if (peers) secret.grant(peers);
      this.model.app.setStatus(ActiveStatus("leading"));
    });
    framework.observe("relation-changed", "metrics-endpoint", (event) => {
      const rel = event.relation;
      const address = this.model.network("metrics-endpoint", rel.id).ingressAddress ?? "";
      const port = String(this.model.config.get("port"));
      rel.localUnitData.update({ address, port });
      if (this.model.unit.isLeader()) {
        rel.localAppData.update({
          scrape_jobs: JSON.stringify([{ static_configs: [{ targets: [`*:${port}`] }] }]),
          note: `it's "quoted" $HOME -x`,
        });
      }
      if (event.unit) {
        const remote = rel.remoteUnitData(event.unit).get("remote-key") ?? "";
        this.log.info(`remote ${event.unit} says ${remote}`);
      }
    });
    framework.observe("relation-joined", "db", (event) => {
      this.stored.dbJoinedAttempts += 1;
      this.log.info(`db joined attempt ${this.stored.dbJoinedAttempts}`);
      // Wait for the peer relation's leader key before acting on the db.
      const peers = this.model.relation("sample-peers");
      if (!peers?.localAppData.get("leader")) event.defer();
    });
    framework.observe("relation-broken", "db", () => {
      this.log.info(`db relations left: ${this.model.relations("db").length}`);
    });
    framework.observe("storage-attached", "data", (event) => {
      this.stored.dataLocation = event.storage.location;
    });
    framework.observe("secret-changed", (event) => {
      this.stored.lastSecretContent = event.secret.getContent({ refresh: true }).password ?? "";
    });
    framework.observe("action", "do-thing", (event) => {
      const name = String(event.params.name ?? "");
      event.log(`-starting for ${name}`);
      if (name === "fail") {
        event.fail(`- cannot greet "${name}"`);
        return;
      }
      const greeting = this.model.config.getString("greeting");
      event.setResults({ greeting: `${greeting} ${name}`, detail: { count: event.params.count ?? 1 } });
    });
    framework.observe("action", "load-ws", async (event) => {
      // Imported dynamically only (as the Pebble client does for exec): bundleCharm leaves the
      // package out of charm.bundle.js.
      const { default: WebSocket, WebSocketServer } = await import("ws");
      event.setResults({ open: String(WebSocket.OPEN), server: typeof WebSocketServer });
    });
    framework.observe("collect-unit-status", (event) => {
      if (this.model.config.getBoolean("strict") && this.model.relations("db").length === 0) {
        event.addStatus(BlockedStatus("relate to a db: juju integrate sample db"));
      }
      if (this.stored.dataLocation === "" && this.model.storages("data").length === 0) {
        event.addStatus(WaitingStatus("waiting for storage"));
      }
      event.addStatus(ActiveStatus("ready"));
    });
  }
}
