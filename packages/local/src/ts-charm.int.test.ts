// A TypeScript charm bundled with @charmkit/build's bundleCharm runs under the controller unchanged.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Controller } from "./controller.js";

test("an SDK charm is bundled once, dispatched per unit, and sees config through the hook tools", async () => {
  const c = await Controller.open({
    home: mkdtempSync(join(tmpdir(), "ck-ts-")),
    updateStatusIntervalMs: 0,
    maxHookRetries: 0,
  });
  try {
    await c.addApplication("t", {
      charm: new URL("./testdata/ts-charm", import.meta.url).pathname,
      scale: 2,
    });
    await c.waitIdle({ timeoutMs: 60_000 });
    assert.deepEqual(
      c.status().units.map((u) => [u.name, u.workload, u.message]),
      [
        ["t/0", "active", "greeting is hello"],
        ["t/1", "active", "greeting is hello"],
      ],
    );
    c.setConfig("t", { greeting: "hi" });
    await c.waitIdle({ timeoutMs: 60_000 });
    assert.equal(c.status().units[1]?.message, "greeting is hi");
  } finally {
    await c.close();
  }
});
