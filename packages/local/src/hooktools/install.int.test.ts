// The installed hook-tool client as a process: what it says when the hook environment is missing.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { installHookTools } from "./install.js";

test("a tool outside a hook names the missing variable, as jujuc's getenv does (cmd/jujuc/main.go)", () => {
  const { dir } = installHookTools(mkdtempSync(join(tmpdir(), "ck-jujuc-")));
  const run = (env: Record<string, string>) =>
    spawnSync(join(dir, "is-leader"), [], { env: { PATH: "/usr/bin:/bin", ...env }, encoding: "utf8" });
  assert.deepEqual([run({}).status, run({}).stderr], [1, "ERROR JUJU_CONTEXT_ID not set\n"]);
  const noSocket = run({ JUJU_CONTEXT_ID: "x" });
  assert.deepEqual([noSocket.status, noSocket.stderr], [1, "ERROR JUJU_AGENT_SOCKET_ADDRESS not set\n"]);
});
