/**
 * The catalogue tester: collects catalogue items and serves them with workload/server.mjs, which it
 * pushes into its workload container and runs there on every interface of the pod.
 */
import { ActiveStatus, BlockedStatus, CharmBase, type Framework, WaitingStatus } from "@charmkit/ops";
import type { Container } from "@charmkit/ops/pebble";
import { type CatalogueEntry, parseCatalogueItems } from "@charmkit/interfaces/catalogue";
import {
  ensureService,
  observeLifecycle,
  pushIfChanged,
  pushWorkloadScript,
  serviceState,
} from "@charmkit/tester-kit";

const CONTAINER = "web";
const ENDPOINT = "catalogue";
const SERVICE = "web";
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
    const run = (): Promise<void> => this.reconcile();
    observeLifecycle(framework, run, CONTAINER);
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
    await pushIfChanged(c, ITEMS, itemsJson(parsed.accepted));
    const port = this.model.config.getNumber("port") ?? 80;
    const address = this.model.unit.fqdn;
    await pushWorkloadScript(c, this.charmDir, "server.mjs", SERVER, SERVICE);
    const command = `node ${SERVER} --listen :${port} --items ${ITEMS}`;
    await ensureService(c, { name: SERVICE, command, summary: "catalogue page" });
    const state = await serviceState(c, SERVICE);
    if (state !== "active") {
      this.model.unit.setStatus(BlockedStatus(`the page server is ${state ?? "missing"}; see the unit log`));
      return;
    }
    const url = `http://${address}${port === 80 ? "" : `:${port}`}/`;
    this.model.unit.setStatus(ActiveStatus(`${parsed.accepted.length} item(s) at ${url}`));
  }
}
