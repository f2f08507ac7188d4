import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Harness, startHarness } from "./test-helpers.js";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());

const JSON_CT = { "Content-Type": "application/json" };

async function error(method: string, path: string, body?: unknown) {
  const r = await h.raw(method, path, body, JSON_CT);
  const env = r.json();
  assert.equal(env.type, "error");
  assert.equal(env["status-code"], r.status);
  return { status: r.status, statusText: env.status, ...(env.result as { message: string; kind?: string }) };
}

test("sync envelope of system-info and unknown routes / methods", async () => {
  const r = await h.raw("GET", "/v1/system-info");
  assert.equal(r.status, 200);
  const env = r.json();
  assert.equal(env.type, "sync");
  assert.equal(env["status-code"], 200);
  assert.equal(env.status, "OK");
  assert.equal((env.result as { version: string }).version, "1.19.0");
  assert.equal((await error("GET", "/v1/nothing")).status, 404);
  assert.deepEqual(await error("DELETE", "/v1/services"), {
    status: 405,
    statusText: "Method Not Allowed",
    message: "method not allowed",
  });
  assert.match((await error("POST", "/v1/services", "not json")).message, /cannot decode request body/);
});

test("layers: label rules, combine, parse and plan errors, plan as YAML", async () => {
  const add = (label: string, layer: string, combine = false) =>
    h.raw("POST", "/v1/layers", { action: "add", label, format: "yaml", combine, layer }, JSON_CT);
  assert.equal(
    (await error("POST", "/v1/layers", { action: "add", layer: "{}" })).message,
    "label must be set",
  );
  const ok = await add("base", "services:\n  web:\n    override: replace\n    command: sleep 10\n");
  assert.equal(ok.status, 200);
  assert.equal(ok.json().result, true);
  assert.equal(
    (await error("POST", "/v1/layers", { action: "add", label: "base", format: "yaml", layer: "{}" }))
      .message,
    'layer "base" already exists',
  );
  const merged = await add(
    "base",
    "services:\n  web:\n    override: merge\n    environment: {A: '1'}\n",
    true,
  );
  assert.equal(merged.status, 200);
  assert.match(
    (await error("POST", "/v1/layers", { action: "add", label: "x", format: "yaml", layer: "services: [" }))
      .message,
    /cannot parse layer YAML/,
  );
  assert.match(
    (
      await error("POST", "/v1/layers", {
        action: "add",
        label: "y",
        format: "yaml",
        layer: "services:\n  s:\n    command: x\n",
      })
    ).message,
    /override/,
  );
  assert.match(
    (
      await error("POST", "/v1/layers", {
        action: "add",
        label: "z",
        format: "yaml",
        layer: "services:\n  s:\n    override: replace\n",
      })
    ).message,
    /command/,
  );
  assert.match((await error("GET", "/v1/plan")).message, /invalid format/);
  const plan = await h.raw("GET", "/v1/plan?format=yaml");
  assert.equal(
    plan.json().result,
    'services:\n  web:\n    command: sleep 10\n    environment:\n      A: "1"\n    override: merge\n',
  );
});

test("services: action validation with Pebble's messages", async () => {
  assert.match(
    (await error("POST", "/v1/services", { action: "start", services: [] })).message,
    /must specify services/,
  );
  assert.equal(
    (await error("POST", "/v1/services", { action: "start", services: ["ghost"] })).message,
    'cannot start services: service "ghost" does not exist',
  );
  assert.match(
    (await error("POST", "/v1/services", { action: "replan", services: ["web"] })).message,
    /no service names/,
  );
  assert.match(
    (await error("POST", "/v1/services", { action: "dance", services: [] })).message,
    /invalid action/,
  );
  const none = await error("POST", "/v1/services", { action: "autostart", services: [] });
  assert.deepEqual(
    [none.status, none.kind, none.message],
    [400, "no-default-services", "no default services"],
  );
  const list = await h.raw("GET", "/v1/services?names=web,other");
  assert.deepEqual(list.json().result, [{ name: "web", startup: "disabled", current: "inactive" }]);
});

test("changes: async envelope, wait timeout 504, unknown 404, abort, Go-duration timeouts", async () => {
  await h.client.addLayer("slow", { services: { slow: { override: "replace", command: "sleep 100" } } });
  const r = await h.raw("POST", "/v1/services", { action: "start", services: ["slow"] }, JSON_CT);
  assert.equal(r.status, 202);
  const env = r.json();
  assert.deepEqual([env.type, env["status-code"], env.status], ["async", 202, "Accepted"]);
  const id = env.change as string;
  const early = await error("GET", `/v1/changes/${id}/wait?timeout=0.100s`);
  assert.equal(early.status, 504);
  assert.match(early.message, /timed out waiting for change after 100ms/);
  assert.match((await error("GET", `/v1/changes/${id}/wait?timeout=soon`)).message, /invalid timeout/);
  assert.equal((await error("GET", "/v1/changes/999")).kind, "not-found");
  const done = await h.raw("GET", `/v1/changes/${id}/wait?timeout=5s`);
  const change = done.json().result as Record<string, unknown>;
  assert.deepEqual(
    [change.kind, change.summary, change.status, change.ready],
    ["start", 'Start service "slow"', "Done", true],
  );
  assert.match((await error("POST", `/v1/changes/${id}`, { action: "abort" })).message, /nothing pending/);

  const stop = await h.raw("POST", "/v1/services", { action: "stop", services: ["slow"] }, JSON_CT);
  const stopped = await h.raw("GET", `/v1/changes/${stop.json().change}/wait?timeout=10s`);
  assert.equal((stopped.json().result as { status: string }).status, "Done");

  // Abort an exec whose websockets never connect: the change ends in Error at once.
  const exec = await h.raw("POST", "/v1/exec", { command: ["true"] }, JSON_CT);
  const execId = exec.json().change as string;
  const aborted = await h.raw("POST", `/v1/changes/${execId}`, { action: "abort" }, JSON_CT);
  assert.equal(aborted.status, 200);
  const final = await h.raw("GET", `/v1/changes/${execId}/wait?timeout=2s`);
  assert.equal((final.json().result as { status: string }).status, "Error");
});

test("checks and health: validation, inactive listing, 502 when a check is down", async () => {
  await h.client.addLayer("chk", {
    checks: {
      dead: { override: "replace", level: "ready", period: "50ms", threshold: 1, tcp: { port: 1 } },
    },
  });
  assert.match(
    (await error("POST", "/v1/checks", { action: "start", checks: [] })).message,
    /must specify checks for start action/,
  );
  assert.match(
    (await error("POST", "/v1/checks", { action: "start", checks: ["nope"] })).message,
    /cannot start checks: cannot find checks in plan: nope/,
  );
  const deadline = Date.now() + 3000;
  let health = await h.raw("GET", "/v1/health?level=ready");
  while (health.status === 200 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    health = await h.raw("GET", "/v1/health?level=ready");
  }
  assert.equal(health.status, 502);
  assert.deepEqual(health.json().result, { healthy: false });
  const alive = await h.raw("GET", "/v1/health?level=alive");
  assert.equal(alive.status, 200, "a ready-level check does not make the alive level unhealthy");
  assert.deepEqual(await h.client.stopChecks(["dead"]), ["dead"]);
  const [info] = await h.client.getChecks({ names: ["dead"] });
  assert.equal(info?.status, "inactive");
});

test("notices: add validation, occurrences, filters, get and long-poll", async () => {
  assert.match(
    (await error("POST", "/v1/notices", { action: "add", type: "custom", key: "bad key" })).message,
    /invalid custom notice key/,
  );
  assert.match(
    (await error("POST", "/v1/notices", { action: "add", type: "warning", key: "a.com/x" })).message,
    /only add "custom"/,
  );
  assert.match(
    (
      await error("POST", "/v1/notices", {
        action: "add",
        type: "custom",
        key: "a.com/x",
        data: { k: "x".repeat(5000) },
      })
    ).message,
    /4096 bytes/,
  );
  const id = await h.client.notify("example.com/one", { data: { a: "1" } });
  assert.equal(await h.client.notify("example.com/one", { data: { a: "2" } }), id);
  await h.client.notify("example.com/two");
  const one = await h.client.getNotice(id);
  assert.deepEqual([one.key, one.occurrences, one["last-data"]], ["example.com/one", 2, { a: "2" }]);
  const filtered = await h.client.getNotices({ keys: ["example.com/two"] });
  assert.deepEqual(
    filtered.map((n) => n.key),
    ["example.com/two"],
  );
  assert.equal((await error("GET", "/v1/notices/12345")).status, 404);
  const after = new Date().toISOString();
  const poll = h.raw("GET", `/v1/notices?types=custom&after=${encodeURIComponent(after)}&timeout=5s`);
  await new Promise((r) => setTimeout(r, 100));
  await h.client.notify("example.com/three");
  const got = (await poll).json().result as { key: string }[];
  assert.deepEqual(
    got.map((n) => n.key),
    ["example.com/three"],
  );
});

test("signals: every service is tried and failures are joined, as a server error (api_signals.go)", async () => {
  // servstate/manager.go SendSignal: a service that is not running (or not in the plan) fails
  // before the signal name is looked at.
  const both = await error("POST", "/v1/signals", { signal: "SIGNOPE", services: ["web", "ghost"] });
  assert.equal(both.status, 500);
  assert.equal(
    both.message,
    'cannot send signal to "web": service is not running; cannot send signal to "ghost": service is not running',
  );
  assert.equal(
    (await error("POST", "/v1/signals", { signal: "SIGHUP", services: [] })).message,
    "must specify one or more services",
  );
});
