import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ChangeError, ExecError } from "@charmkit/ops/pebble";
import { WebSocket } from "ws";
import { type Harness, startHarness } from "./test-helpers.js";

let h: Harness;
before(async () => {
  h = await startHarness({ env: { BASE_VAR: "from-server" } });
});
after(async () => h.close());

test("exec streams stdin, stdout and stderr and reports the exit code", async () => {
  const ok = await h.client.exec(["sh", "-c", "read a; echo out:$a; echo err:$a >&2"], { stdin: "ping\n" });
  assert.deepEqual(ok, { stdout: "out:ping\n", stderr: "err:ping\n", exitCode: 0 });
  await assert.rejects(h.client.exec(["sh", "-c", "echo partial; exit 7"]), (e: unknown) => {
    assert.ok(e instanceof ExecError);
    assert.equal(e.exitCode, 7);
    assert.equal(e.stdout, "partial\n");
    return true;
  });
});

test("exec environment, working-dir, user and service-context", async () => {
  await h.client.addLayer("ctx", {
    services: {
      svc: { override: "replace", command: "sleep 1", environment: { CTX: "ctx-value", A: "svc" } },
    },
  });
  const r = await h.client.exec(["sh", "-c", 'echo "$BASE_VAR $CTX $A $(pwd) $(id -un)"'], {
    serviceContext: "svc",
    environment: { A: "request" },
    workingDir: "/tmp",
    user: "nobody",
  });
  assert.equal(r.stdout, "from-server ctx-value request /tmp nobody\n");
  const home = await h.client.exec(["pwd"]);
  assert.equal(home.stdout, "/root\n", "without working-dir the command runs in the user's home");
});

test("exec timeout fails the change, and a missing executable is a 400", async () => {
  await assert.rejects(h.client.exec(["sleep", "5"], { timeout: 0.3 }), (e: unknown) => {
    assert.ok(e instanceof ChangeError);
    assert.match(e.err, /timed out after 300ms/);
    return true;
  });
  const r = await h.raw(
    "POST",
    "/v1/exec",
    { command: ["no-such-binary-xyz"] },
    { "Content-Type": "application/json" },
  );
  assert.equal(r.status, 400);
  assert.equal(
    (r.json().result as { message: string }).message,
    'cannot find executable "no-such-binary-xyz"',
  );
});

test("raw websocket protocol: end frames, signals over control, exit code in task data", async () => {
  const r = await h.raw("POST", "/v1/exec", { command: ["sleep", "30"], "split-stderr": true });
  assert.equal(r.status, 202);
  const body = r.json();
  assert.equal(body.type, "async");
  const taskId = (body.result as { "task-id": string })["task-id"];
  const open = (name: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws+unix://${h.socketPath}:/v1/tasks/${taskId}/websocket/${name}`);
      ws.once("open", () => resolve(ws));
      ws.once("error", reject);
    });
  const control = await open("control");
  const stdio = await open("stdio");
  const stderr = await open("stderr");
  const frames: string[] = [];
  stdio.on("message", (d, binary) => frames.push(binary ? "bin" : String(d)));
  stdio.send(JSON.stringify({ command: "end" }));
  await new Promise((res) => setTimeout(res, 200));
  control.send(JSON.stringify({ command: "signal", signal: { name: "SIGTERM" } }));
  const wait = await h.raw("GET", `/v1/changes/${body.change}/wait?timeout=5s`);
  const change = wait.json().result as { status: string; tasks: { data?: { "exit-code": number } }[] };
  assert.equal(change.status, "Done");
  assert.equal(change.tasks[0]?.data?.["exit-code"], 143);
  assert.deepEqual(frames, ['{"command":"end"}']);
  for (const ws of [control, stdio, stderr]) ws.close();
});

test("exec fails when the websockets never connect", { timeout: 10_000 }, async () => {
  const r = await h.raw("POST", "/v1/exec", { command: ["true"] });
  const id = r.json().change as string;
  const wait = await h.raw("GET", `/v1/changes/${id}/wait?timeout=8s`);
  const change = wait.json().result as { status: string; err: string };
  assert.equal(change.status, "Error");
  assert.match(change.err, /timeout waiting for websocket connections: control, stdio/);
});
