// Behaviours of the Pebble server pinned to Pebble's daemon sources (canonical/pebble); each test
// names the file it follows. Services run as real processes in the container's namespace.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Harness, startHarness } from "./test-helpers.js";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());

const JSON_CT = { "Content-Type": "application/json" };

async function post(path: string, body: unknown) {
  const r = await h.raw("POST", path, body, JSON_CT);
  return { status: r.status, env: r.json() };
}

function addLayer(label: string, layer: string, combine = false) {
  return post("/v1/layers", { action: "add", label, format: "yaml", combine, layer });
}

async function waitChange(id: string) {
  const r = await h.raw("GET", `/v1/changes/${id}/wait?timeout=10s`);
  return r.json().result as Record<string, unknown>;
}

test("layers: labels starting with pebble- are refused; format must be yaml", async () => {
  // internals/plan/plan.go (*Layer).Validate, reported by api_plan.go v1PostLayers.
  const bad = await addLayer("pebble-x", "{}");
  assert.equal(bad.status, 400);
  assert.equal(
    (bad.env.result as { message: string }).message,
    'cannot parse layer YAML: cannot use reserved label prefix "pebble-"',
  );
  const noFormat = await post("/v1/layers", { action: "add", label: "a", layer: "{}" });
  assert.equal((noFormat.env.result as { message: string }).message, 'invalid format ""');
});

test("plans keep the workloads section and a service's workload field, combined as Pebble does", async () => {
  // internals/workloads/workloads.go (a plan section extension) and plan.go Service.Workload.
  const layer = [
    "workloads:",
    "  app:",
    "    override: replace",
    "    environment: {A: '1'}",
    "    user: root",
    "services:",
    "  w:",
    "    override: replace",
    "    command: sleep 60",
    "    workload: app",
  ].join("\n");
  assert.equal((await addLayer("wl", layer)).status, 200);
  const over = "workloads:\n  app:\n    override: merge\n    environment: {B: '2'}\n";
  assert.equal((await addLayer("wl", over, true)).status, 200);
  const plan = (await h.raw("GET", "/v1/plan?format=yaml")).json().result as string;
  assert.match(plan, /workload: app/);
  assert.match(plan, /workloads:\n {2}app:\n {4}environment:\n {6}A: "1"\n {6}B: "2"\n/);
  // workloads.go combine: an entry needs an override.
  const noOverride = await addLayer("wl2", "workloads:\n  other:\n    user: x\n");
  assert.equal(noOverride.status, 400);
  assert.match((noOverride.env.result as { message: string }).message, /must define an "override" policy/);
});

test("changes: no tasks key when a change has none; /wait with timeout=0 waits until ready", async () => {
  // api_changes.go changeInfo (tasks is omitempty) and api_services.go (a replan with nothing to
  // do is "Replan - no services", Done at once).
  const { env } = await post("/v1/services", { action: "replan" });
  const change = await waitChange(env.change as string);
  assert.equal(change.summary, "Replan - no services");
  assert.equal(change.status, "Done");
  assert.equal("tasks" in change, false);
  // api_changes.go v1GetChangeWait: a zero timeout means no timeout.
  await addLayer("slow", "services:\n  slow:\n    override: replace\n    command: sleep 30\n");
  const start = await post("/v1/services", { action: "start", services: ["slow"] });
  const waited = await h.raw("GET", `/v1/changes/${start.env.change as string}/wait?timeout=0`);
  assert.equal(waited.status, 200);
  assert.equal((waited.json().result as { status: string }).status, "Done");
});

test("services: stop also stops the services that require them; summaries name the first service", async () => {
  // internals/plan/plan.go StopOrder (reverse requires) used by api_services.go for "stop".
  const layer = [
    "services:",
    "  db:",
    "    override: replace",
    "    command: sleep 60",
    "  api:",
    "    override: replace",
    "    command: sleep 60",
    "    requires: [db]",
    "    after: [db]",
  ].join("\n");
  await addLayer("deps", layer);
  const start = await post("/v1/services", { action: "start", services: ["api"] });
  const started = await waitChange(start.env.change as string);
  // api_services.go summary: the first requested service, then "and N more".
  assert.equal(started.summary, 'Start service "api" and 1 more');
  const stop = await post("/v1/services", { action: "stop", services: ["db"] });
  const stopped = await waitChange(stop.env.change as string);
  assert.equal(stopped.summary, 'Stop service "db" and 1 more');
  assert.deepEqual(
    (stopped.tasks as { summary: string }[]).map((t) => t.summary),
    ['Stop service "api"', 'Stop service "db"'],
  );
  const list = await h.client.getServices(["api", "db"]);
  assert.deepEqual(
    list.map((s) => [s.name, s.current]),
    [
      ["api", "inactive"],
      ["db", "inactive"],
    ],
  );
  const none = await post("/v1/services", { action: "stop", services: [] });
  assert.equal((none.env.result as { message: string }).message, "must specify services for stop action");
});

test("exec and service commands are looked up on the daemon's PATH, not the request's", async () => {
  // api_exec.go (exec.LookPath before the change) and servstate/handlers.go (exec.Command).
  const bin = `${h.dir}/bin`;
  mkdirSync(join(h.rootDir, bin), { recursive: true });
  writeFileSync(join(h.rootDir, bin, "only-here"), "#!/bin/sh\necho hi\n");
  chmodSync(join(h.rootDir, bin, "only-here"), 0o755);
  const exec = await post("/v1/exec", { command: ["only-here"], environment: { PATH: bin } });
  assert.equal(exec.status, 400);
  assert.equal((exec.env.result as { message: string }).message, 'cannot find executable "only-here"');
  await addLayer(
    "pathsvc",
    `services:\n  p:\n    override: replace\n    command: only-here\n    environment: {PATH: "${bin}"}\n`,
  );
  const start = await post("/v1/services", { action: "start", services: ["p"] });
  const change = await waitChange(start.env.change as string);
  assert.equal(change.status, "Error");
  assert.match(String(change.err), /executable file not found in \$PATH/);
});

test("files: recursive remove of a missing path succeeds; listing follows a symlink", async () => {
  // api_files.go removePath (os.RemoveAll) and listFiles (os.Stat).
  const gone = await post("/v1/files", {
    action: "remove",
    paths: [{ path: `${h.dir}/nope`, recursive: true }],
  });
  assert.deepEqual(gone.env.result, [{ path: `${h.dir}/nope` }]);
  const strict = await post("/v1/files", { action: "remove", paths: [{ path: `${h.dir}/nope` }] });
  assert.equal((strict.env.result as { error?: { kind: string } }[])[0]?.error?.kind, "not-found");
  mkdirSync(join(h.rootDir, h.dir, "real"), { recursive: true });
  writeFileSync(join(h.rootDir, h.dir, "real", "f.txt"), "x");
  symlinkSync("real", join(h.rootDir, h.dir, "link"));
  const listed = await h.client.listFiles(`${h.dir}/link`);
  assert.deepEqual(
    listed.map((f) => [f.path, f.type]),
    [[`${h.dir}/link/f.txt`, "file"]],
  );
  const itself = await h.client.listFiles(`${h.dir}/link`, { itself: true });
  assert.equal(itself[0]?.type, "directory");
});

test("signals: a bad signal name for a running service is a server error naming it", async () => {
  // servstate/handlers.go sendSignal (unix.SignalNum) through manager.go SendSignal.
  await addLayer("sig", "services:\n  sig:\n    override: replace\n    command: sleep 60\n");
  const start = await post("/v1/services", { action: "start", services: ["sig"] });
  await waitChange(start.env.change as string);
  const bad = await post("/v1/signals", { signal: "SIGNOPE", services: ["sig"] });
  assert.equal(bad.status, 500);
  assert.equal(
    (bad.env.result as { message: string }).message,
    'cannot send signal to "sig": invalid signal name "SIGNOPE"',
  );
  assert.equal((await post("/v1/signals", { signal: "SIGHUP", services: ["sig"] })).status, 200);
});

test("changes list: select values and the for= service filter (api_changes.go v1GetChanges)", async () => {
  await addLayer("for", "services:\n  f1:\n    override: replace\n    command: sleep 60\n");
  const start = await post("/v1/services", { action: "start", services: ["f1"] });
  await waitChange(start.env.change as string);
  const mine = (await h.raw("GET", "/v1/changes?select=all&for=f1")).json().result as { id: string }[];
  assert.deepEqual(
    mine.map((c) => c.id),
    [start.env.change],
  );
  const bad = await h.raw("GET", "/v1/changes?select=some");
  assert.equal(bad.status, 400);
  assert.equal(
    (bad.json().result as { message: string }).message,
    "select should be one of: all,in-progress,ready",
  );
});

test("checks are driven by perform-check and recover-check changes, reported as change-id", async () => {
  // internals/overlord/checkstate/request.go (performCheckChange, recoverCheckChange) and
  // api_checks.go checkInfo; ops' CheckInfo.from_dict takes a check without change-id as inactive.
  const layer = [
    "checks:",
    "  good:",
    "    override: replace",
    "    period: 50ms",
    "    exec: {command: 'true'}",
    "  bad:",
    "    override: replace",
    "    period: 50ms",
    "    threshold: 1",
    "    exec: {command: 'false'}",
  ].join("\n");
  await addLayer("chk", layer);
  const checks = async () =>
    (await h.raw("GET", "/v1/checks")).json().result as {
      name: string;
      status: string;
      "change-id"?: string;
      "prev-change-id"?: string;
    }[];
  const change = async (id: string | undefined) =>
    (await h.raw("GET", `/v1/changes/${id}`)).json().result as {
      kind: string;
      summary: string;
      status: string;
    };
  let bad = (await checks()).find((c) => c.name === "bad");
  for (let i = 0; i < 100 && bad?.status !== "down"; i++) {
    await new Promise((r) => setTimeout(r, 50));
    bad = (await checks()).find((c) => c.name === "bad");
  }
  assert.equal(bad?.status, "down");
  assert.deepEqual(await change(bad?.["change-id"]).then((c) => [c.kind, c.summary, c.status]), [
    "recover-check",
    'Recover exec check "bad"',
    "Doing",
  ]);
  assert.deepEqual(await change(bad?.["prev-change-id"]).then((c) => [c.kind, c.status]), [
    "perform-check",
    "Error",
  ]);
  const good = (await checks()).find((c) => c.name === "good");
  assert.deepEqual(await change(good?.["change-id"]).then((c) => [c.kind, c.summary, c.status]), [
    "perform-check",
    'Perform exec check "good"',
    "Doing",
  ]);
  await post("/v1/checks", { action: "stop", checks: ["good", "bad"] });
  assert.deepEqual(
    (await checks())
      .filter((c) => c.name === "good" || c.name === "bad")
      .map((c) => [c.status, c["change-id"]]),
    [
      ["inactive", undefined],
      ["inactive", undefined],
    ],
  );
});
