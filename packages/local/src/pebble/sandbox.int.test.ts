// The sandbox on the host: two Pebble servers whose processes (real `cat`, `grep`, run through
// unshare) see different files at the same container path while the host sees neither, and the
// mount points it had to create on the host removed again.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { prepareMountPoints, removeCreatedMountPoints } from "./sandbox.js";
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

test("mount points made on the host go again once unused; ones holding files, or made by others, stay", () => {
  const top = `/srv/ck-mountpoints-${randomBytes(4).toString("hex")}`;
  const src = mkdtempSync(join(tmpdir(), "ck-mp-src-"));
  writeFileSync(join(src, "f"), "x");
  mkdirSync(`${top}/theirs`, { recursive: true });
  try {
    const binds = [
      { source: src, target: `${top}/etc/app-a` },
      { source: join(src, "f"), target: `${top}/etc/app-a.conf` },
      { source: src, target: `${top}/var/lib/app-b` },
      { source: src, target: `${top}/theirs/app-c` },
    ];
    prepareMountPoints(binds);
    assert.ok(existsSync(`${top}/etc/app-a`) && existsSync(`${top}/etc/app-a.conf`));
    writeFileSync(`${top}/var/lib/app-b/kept`, "someone wrote here");
    const removed = removeCreatedMountPoints();
    assert.deepEqual(removed.filter((p) => p.startsWith(top)).sort(), [
      `${top}/etc`,
      `${top}/etc/app-a`,
      `${top}/etc/app-a.conf`,
      `${top}/theirs/app-c`,
    ]);
    assert.ok(existsSync(`${top}/var/lib/app-b/kept`), "a mount point holding files stays");
    assert.ok(existsSync(`${top}/theirs`), "a directory that existed before stays");
  } finally {
    rmSync(top, { recursive: true, force: true });
    rmSync(src, { recursive: true, force: true });
  }
});
