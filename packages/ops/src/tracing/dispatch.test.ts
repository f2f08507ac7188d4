// The tracing hook of the dispatcher: handlers as spans named as ops names them, hook tools
// through the wrapped backend as client spans, and a destination set by the charm.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CharmBase, type Framework, runDispatch } from "../charm.js";
import { ctx, FakeTools } from "../fake-tools.test-support.js";
import { parseCharmMeta } from "../metadata.js";
import { MemoryStateStore } from "../state.js";
import { CharmTracing, type Destination } from "./index.js";

const meta = parseCharmMeta({ metadata: { name: "traced", requires: { db: { interface: "pg" } } } });

class TracedCharm extends CharmBase {
  constructor(f: Framework) {
    super(f);
    f.observe("config-changed", async () => {
      f.tracing.setDestination({ url: "http://tempo:4318/v1/traces" });
      await f.tracing.span("reconcile", { step: "all" }, () => {
        this.model.unit.isLeader();
      });
    });
  }
}

test("a dispatch's trace: hook root, `<kind>: <class>` handler span, hook tools and charm spans beneath", async () => {
  const bodies: string[] = [];
  const tracing = new CharmTracing({
    rootName: "config-changed",
    resource: {
      modelName: "m",
      modelUuid: "u",
      unitName: "traced/0",
      charmName: "traced",
      charmType: "TracedCharm",
    },
    send: async (_d: Destination, body: string) => {
      bodies.push(body);
      return true;
    },
  });
  const backend = tracing.wrapBackend(new FakeTools());
  await runDispatch({
    charmClass: TracedCharm,
    context: ctx("config-changed"),
    metadata: meta,
    backend,
    store: new MemoryStateStore(),
    tracing,
  });
  assert.deepEqual(await tracing.finish(), { sent: 1, buffered: 0 });
  const spans = (
    JSON.parse(bodies[0]!) as {
      resourceSpans: {
        scopeSpans: { spans: { name: string; spanId: string; parentSpanId?: string; kind: number }[] }[];
      }[];
    }
  ).resourceSpans[0]!.scopeSpans[0]!.spans;
  const byName = new Map(spans.map((s) => [s.name, s]));
  const handler = byName.get("config-changed: TracedCharm");
  assert.ok(handler, spans.map((s) => s.name).join());
  assert.equal(handler.parentSpanId, byName.get("config-changed")?.spanId);
  assert.equal(byName.get("reconcile")?.parentSpanId, handler.spanId);
  assert.equal(byName.get("is-leader")?.kind, 3);
  assert.ok(spans.some((s) => s.name === "status-set" || s.name === "is-leader"));
});
