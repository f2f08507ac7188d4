/**
 * The catalogue tester: collects catalogue items and serves them with workload/server.mjs, which it
 * pushes into its workload container and runs there on every interface of the pod.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ActiveStatus, BlockedStatus, CharmBase, type Framework, WaitingStatus } from "@charmkit/ops";
import type { Container } from "@charmkit/ops/pebble";
import { type CatalogueEntry, parseCatalogueItems } from "@charmkit/interfaces/catalogue";

const CONTAINER = "web";
const ENDPOINT = "catalogue";
const ITEMS = "/var/lib/catalogue-tester/items.json";
/** Where the page server goes in the workload container (the charm's files are not there). */
export const SERVER = "/srv/catalogue-tester/server.mjs";

/** The items file the page is rendered from: stable order, only what the page shows. */
export function itemsJson(items: readonly CatalogueEntry[]): string {
  const out = [...items]
    .sort((a, b) => a.name.localeCompare(b.name) || a.url.localeCompare(b.url))
    .map((i) => ({
      name: i.name,
      url: i.url,
      icon: i.icon,
      description: i.description,
      api_docs: i.apiDocs,
      api_endpoints: i.apiEndpoints,
      app: i.app,
    }));
  return `${JSON.stringify(out, null, 2)}\n`;
}

export default class CatalogueTesterCharm extends CharmBase {
  constructor(framework: Framework) {
    super(framework);
    const run = async (): Promise<void> => {
      await this.reconcile();
    };
    framework.observe("pebble-ready", CONTAINER, run);
    framework.observe("config-changed", run);
    framework.observe("upgrade-charm", run);
    framework.observe("update-status", run);
    for (const k of ["relation-joined", "relation-changed", "relation-departed", "relation-broken"] as const)
      framework.observe(k, ENDPOINT, run);
  }

  private async reconcile(): Promise<void> {
    const parsed = parseCatalogueItems(this.model.relations(ENDPOINT).map((r) => r.snapshot()));
    for (const r of parsed.rejected) this.log.warning(`catalogue:${r.relationId}: ${r.reason}`);
    const c = this.model.unit.container(CONTAINER) as Container;
    if (!(await c.canConnect())) {
      this.model.unit.setStatus(WaitingStatus("waiting for the web container"));
      return;
    }
    const content = itemsJson(parsed.accepted);
    const current = (await c.exists(ITEMS)) ? await c.pull(ITEMS) : undefined;
    if (current !== content) await c.push(ITEMS, content, { makeDirs: true });
    const port = this.model.config.getNumber("port") ?? 80;
    const address = this.model.unit.fqdn;
    const script = readFileSync(join(this.charmDir, "workload", "server.mjs"), "utf8");
    const pushed = (await c.exists(SERVER)) ? await c.pull(SERVER) : undefined;
    if (pushed !== script) await c.push(SERVER, script, { makeDirs: true });
    const command = `node ${SERVER} --listen :${port} --items ${ITEMS}`;
    const planned = ((await c.getPlan()).services as Record<string, { command?: string }> | undefined)?.web;
    const running = (await c.getServices("web")).get("web")?.current === "active";
    if (planned?.command !== command || !running) {
      await c.addLayer(
        "web",
        {
          summary: "catalogue page",
          services: { web: { override: "replace", command, startup: "enabled" } },
        },
        { combine: true },
      );
      await c.replan();
    }
    const state = (await c.getServices("web")).get("web")?.current;
    if (state !== "active") {
      this.model.unit.setStatus(BlockedStatus(`the page server is ${state ?? "missing"}; see the unit log`));
      return;
    }
    const url = `http://${address}${port === 80 ? "" : `:${port}`}/`;
    this.model.unit.setStatus(ActiveStatus(`${parsed.accepted.length} item(s) at ${url}`));
  }
}
