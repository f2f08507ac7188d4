/**
 * The tester kit against the SDK's state-transition harness: a script pushed once and again only
 * when it changed (stopping its service then), and a service (re)started only when its command
 * changed or it is not running.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ActiveStatus, CharmBase, type Framework } from "@charmkit/ops";
import type { Container } from "@charmkit/ops/pebble";
import { Context, type ContainerState, container, getContainer, state } from "@charmkit/ops/testing";
import { ensureService, pushWorkloadScript, serviceState } from "./index.js";

const DEST = "/srv/kit-probe/server.mjs";
const work = mkdtempSync(join(tmpdir(), "tester-kit-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** A charm directory whose workload/server.mjs holds `script`. */
function charmDir(script: string): string {
  const dir = mkdtempSync(join(work, "charm-"));
  mkdirSync(join(dir, "workload"));
  writeFileSync(join(dir, "workload", "server.mjs"), script);
  return dir;
}

/** Runs the kit on pebble-ready and says in its status what each call returned. */
function probe(command: string) {
  return class KitProbe extends CharmBase {
    constructor(framework: Framework) {
      super(framework);
      framework.observe("pebble-ready", "work", async () => {
        const c = this.model.unit.container("work") as Container;
        const pushed = await pushWorkloadScript(c, this.charmDir, "server.mjs", DEST, "srv");
        const afterPush = (await serviceState(c, "srv")) ?? "no such service";
        let announced = false;
        const started = await ensureService(c, { name: "srv", command, summary: "probe" }, () => {
          announced = true;
        });
        this.model.unit.setStatus(ActiveStatus(JSON.stringify({ pushed, afterPush, started, announced })));
      });
    }
  };
}

const META = { metadata: { name: "kit-probe", containers: { work: { resource: "img" } } } };

async function run(script: string, command: string, work: ContainerState) {
  const ctx = new Context(probe(command), { metadata: META, charmDir: charmDir(script) });
  const out = await ctx.run(ctx.on.pebbleReady(work), state({ containers: [work] }));
  return { out, said: JSON.parse(out.unitStatus.message) as Record<string, unknown> };
}

describe("tester kit", () => {
  it("first run: pushes the script, adds the layer and starts the service, announcing it", async () => {
    const { out, said } = await run("v1", "node a", container({ name: "work", canConnect: true }));
    assert.deepEqual(said, { pushed: true, afterPush: "no such service", started: true, announced: true });
    const c = getContainer(out, "work")!;
    assert.equal(c.filesystem[DEST], "v1");
    assert.deepEqual(c.layers.find((l) => l.label === "srv")?.layer.services, {
      srv: { override: "replace", command: "node a", startup: "enabled" },
    });
    assert.equal(c.serviceStatuses.srv, "active");
  });

  it("nothing changed: pushes nothing and leaves the running service alone", async () => {
    const first = await run("v1", "node a", container({ name: "work", canConnect: true }));
    const { said } = await run("v1", "node a", getContainer(first.out, "work")!);
    assert.deepEqual(said, { pushed: false, afterPush: "active", started: false, announced: false });
  });

  it("a new script stops the service, which starts again on it", async () => {
    const first = await run("v1", "node a", container({ name: "work", canConnect: true }));
    const { out, said } = await run("v2", "node a", getContainer(first.out, "work")!);
    assert.deepEqual(said, { pushed: true, afterPush: "inactive", started: true, announced: true });
    assert.equal(getContainer(out, "work")?.filesystem[DEST], "v2");
    assert.equal(getContainer(out, "work")?.serviceStatuses.srv, "active");
  });

  it("a new command replaces the layer; a stopped service is started", async () => {
    const first = await run("v1", "node a", container({ name: "work", canConnect: true }));
    const second = await run("v1", "node b", getContainer(first.out, "work")!);
    assert.equal(second.said.started, true);
    const c = getContainer(second.out, "work")!;
    assert.equal(c.layers.find((l) => l.label === "srv")?.layer.services?.srv?.command, "node b");
    const stopped = container({ ...c, serviceStatuses: { srv: "inactive" } });
    const third = await run("v1", "node b", stopped);
    assert.deepEqual(third.said, { pushed: false, afterPush: "inactive", started: true, announced: true });
  });
});
