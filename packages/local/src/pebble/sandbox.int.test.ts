// The sandbox seen from inside: two Pebble servers whose processes (real `cat`, `grep`, run
// through unshare) see different files at the same container path, and the host sees neither.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { startHarness } from "./test-helpers.js";

test("two servers give their processes two different views of the same container path", async () => {
  const a = await startHarness();
  const b = await startHarness();
  try {
    const path = `${a.dir}/conf`;
    await a.client.push(path, "unit A", { makeDirs: true });
    await b.client.push(path, "unit B", { makeDirs: true });
    const ra = await a.client.exec(["cat", path]);
    const rb = await b.client.exec(["cat", path]);
    assert.equal(ra.stdout, "unit A");
    assert.equal(rb.stdout, "unit B");
    // The host's own files stay visible inside the namespace.
    const passwd = await a.client.exec(["grep", "-c", "^root:", "/etc/passwd"]);
    assert.equal(passwd.stdout.trim(), "1");
    // And the host itself sees neither unit's file at that path.
    assert.throws(() => readFileSync(path), /ENOENT/);
  } finally {
    await a.close();
    await b.close();
  }
});
