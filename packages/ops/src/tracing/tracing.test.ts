import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CharmTracing, type Destination, MAX_BUFFERED, TRACING_FILE } from "./index.js";

const RESOURCE = {
  modelName: "cos",
  modelUuid: "f2c1b2a4-7a3e-4c1d-9b5e-1a2b3c4d5e6f",
  unitName: "prometheus/1",
  charmName: "prometheus-k8s",
  charmType: "PrometheusCharm",
};

interface OtlpBody {
  resourceSpans: {
    resource: { attributes: { key: string; value: Record<string, unknown> }[] };
    scopeSpans: {
      scope: { name: string };
      spans: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        startTimeUnixNano: string;
        endTimeUnixNano: string;
        attributes: { key: string; value: Record<string, unknown> }[];
        status: { code?: number; message?: string };
      }[];
    }[];
  }[];
}

function recorder(ok: boolean | (() => boolean) = true) {
  const bodies: { dest: Destination; body: OtlpBody }[] = [];
  const send = async (dest: Destination, body: string) => {
    const accepted = typeof ok === "function" ? ok() : ok;
    if (accepted) bodies.push({ dest, body: JSON.parse(body) as OtlpBody });
    return accepted;
  };
  return { bodies, send };
}

test("one dispatch is one trace: root span for the hook, handler spans under it, hook tools as client spans", async () => {
  const r = recorder();
  const t = new CharmTracing({ resource: RESOURCE, rootName: "config-changed", send: r.send });
  t.setDestination({ url: "http://tempo:4318/v1/traces" });
  const tools = t.wrapBackend({
    relationGet: (x: number) => x * 2,
    jujuLog: () => "untraced",
    fail: () => {
      throw new Error("boom");
    },
  });
  await t.span("config-changed: PrometheusCharm", { event_name: "config-changed" }, () => {
    assert.equal(tools.relationGet(21), 42);
    assert.equal(tools.jujuLog(), "untraced");
    assert.throws(() => tools.fail(), /boom/);
  });
  const done = await t.finish();
  assert.deepEqual(done, { sent: 1, buffered: 0 });
  const [{ dest, body }] = r.bodies as [{ dest: Destination; body: OtlpBody }];
  assert.equal(dest.url, "http://tempo:4318/v1/traces");
  const rs = body.resourceSpans[0]!;
  const attrs = Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value.stringValue]));
  assert.deepEqual(attrs, {
    "service.namespace": RESOURCE.modelUuid,
    "service.namespace.name": "cos",
    "service.name": "prometheus",
    "service.instance.id": "1",
    charm: "prometheus-k8s",
    charm_type: "PrometheusCharm",
    juju_model: "cos",
    juju_model_uuid: RESOURCE.modelUuid,
    juju_application: "prometheus",
    juju_unit: "prometheus/1",
  });
  const spans = rs.scopeSpans[0]!.spans;
  assert.deepEqual(
    spans.map((s) => [s.name, s.kind]),
    [
      ["config-changed", 2],
      ["config-changed: PrometheusCharm", 1],
      ["relation-get", 3],
      ["fail", 3],
    ],
  );
  const [root, handler, get, fail] = spans as [
    (typeof spans)[0],
    (typeof spans)[0],
    (typeof spans)[0],
    (typeof spans)[0],
  ];
  assert.equal(root.parentSpanId, undefined);
  assert.equal(handler.parentSpanId, root.spanId);
  assert.equal(get.parentSpanId, handler.spanId);
  assert.ok(spans.every((s) => s.traceId === t.traceId && /^[0-9a-f]{32}$/.test(s.traceId)));
  assert.ok(spans.every((s) => /^[0-9a-f]{16}$/.test(s.spanId)));
  assert.ok(spans.every((s) => BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano)));
  const now = BigInt(Date.now()) * 1_000_000n;
  assert.ok(now - BigInt(root.startTimeUnixNano) < 60_000_000_000n, "wall-clock nanoseconds");
  assert.deepEqual(fail.status, { code: 2, message: "Error: boom" });
  assert.deepEqual(handler.attributes, [{ key: "event_name", value: { stringValue: "config-changed" } }]);
});

test("pebble calls through the wrapped backend are spans named `pebble <method>`", async () => {
  const r = recorder();
  const t = new CharmTracing({ resource: RESOURCE, rootName: "pebble-ready", send: r.send });
  t.setDestination({ url: "http://tempo/v1/traces" });
  const tools = t.wrapBackend({ pebble: () => ({ getPlan: async () => ({ services: {} }) }) });
  assert.deepEqual(await tools.pebble().getPlan(), { services: {} });
  await t.finish();
  assert.deepEqual(
    r.bodies[0]?.body.resourceSpans[0]?.scopeSpans[0]?.spans.map((s) => s.name),
    ["pebble-ready", "pebble getPlan"],
  );
});

test("no destination: nothing is sent and nothing is written", async () => {
  const dir = mkdtempSync(join(tmpdir(), "charm-"));
  const r = recorder();
  const t = new CharmTracing({ resource: RESOURCE, rootName: "update-status", stateDir: dir, send: r.send });
  assert.deepEqual(await t.finish(), { sent: 0, buffered: 0 });
  assert.equal(r.bodies.length, 0);
  assert.equal(existsSync(join(dir, TRACING_FILE)), false);
});

test("the destination persists; traces that could not be sent wait for the next dispatch, bounded", async () => {
  const dir = mkdtempSync(join(tmpdir(), "charm-"));
  const first = new CharmTracing({
    resource: RESOURCE,
    rootName: "install",
    stateDir: dir,
    send: recorder(false).send,
  });
  first.setDestination({ url: "https://tempo:4318/v1/traces", ca: "-----BEGIN CERTIFICATE-----" });
  assert.deepEqual(await first.finish(), { sent: 0, buffered: 1 });
  assert.equal(statSync(join(dir, TRACING_FILE)).mode & 0o777, 0o600);

  const down = recorder(false);
  for (let i = 0; i < MAX_BUFFERED + 5; i++) {
    const t = new CharmTracing({ resource: RESOURCE, rootName: `hook-${i}`, stateDir: dir, send: down.send });
    assert.equal(t.destination?.ca, "-----BEGIN CERTIFICATE-----");
    await t.finish();
  }
  const kept = JSON.parse(readFileSync(join(dir, TRACING_FILE), "utf8")) as { pending: string[] };
  assert.equal(kept.pending.length, MAX_BUFFERED, "oldest dropped first");

  const up = recorder();
  const last = new CharmTracing({
    resource: RESOURCE,
    rootName: "update-status",
    stateDir: dir,
    send: up.send,
  });
  assert.deepEqual(await last.finish(), { sent: MAX_BUFFERED + 1, buffered: 0 });
  const names = up.bodies.map((b) => b.body.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.name);
  assert.equal(names[0], "update-status", "the current trace goes first");
  assert.equal(names[1], `hook-${MAX_BUFFERED + 4}`, "then the newest buffered");
  assert.equal(names.at(-1), "hook-5");
});

test("a receiver that fails midway keeps the rest; clearing the destination forgets the buffer", async () => {
  const dir = mkdtempSync(join(tmpdir(), "charm-"));
  const down = recorder(false);
  for (const name of ["a", "b", "c"]) {
    const t = new CharmTracing({ resource: RESOURCE, rootName: name, stateDir: dir, send: down.send });
    if (name === "a") t.setDestination({ url: "http://tempo/v1/traces" });
    await t.finish();
  }
  let calls = 0;
  const flaky = recorder(() => ++calls <= 2);
  const t = new CharmTracing({ resource: RESOURCE, rootName: "d", stateDir: dir, send: flaky.send });
  assert.deepEqual(await t.finish(), { sent: 2, buffered: 2 });
  const off = new CharmTracing({ resource: RESOURCE, rootName: "e", stateDir: dir });
  off.setDestination(undefined);
  await off.finish();
  assert.equal(existsSync(join(dir, TRACING_FILE)), false);
  assert.throws(() => off.setDestination({ url: "tempo:4317" }), /must be http/);
});

test("an error that ends the dispatch marks the root span", async () => {
  const r = recorder();
  const t = new CharmTracing({ resource: RESOURCE, rootName: "start", send: r.send });
  t.setDestination({ url: "http://tempo/v1/traces" });
  await t.finish(new TypeError("bad"));
  assert.deepEqual(r.bodies[0]?.body.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.status, {
    code: 2,
    message: "TypeError: bad",
  });
});
