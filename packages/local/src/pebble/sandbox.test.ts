// Sandbox path logic: which directories a unit's root binds, and how container paths map to host
// paths. What processes see inside the namespace is in sandbox.int.test.ts.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { computeBinds, toHostPath, viewPath } from "./sandbox.js";

const tmp = mkdtempSync(join(tmpdir(), "ck-sandbox-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

test("computeBinds binds a unit's directories where they diverge from the FHS skeleton", () => {
  const root = join(tmp, "r1");
  mkdirSync(join(root, "etc/prometheus/rules"), { recursive: true });
  mkdirSync(join(root, "var/lib/prometheus"), { recursive: true });
  mkdirSync(join(root, "usr/local/share/ca-certificates"), { recursive: true });
  writeFileSync(join(root, "etc/app.conf"), "x");
  const plan = computeBinds(root, [{ containerPath: "/var/lib/prometheus", hostPath: join(tmp, "storage") }]);
  assert.deepEqual(plan.binds, [
    { source: join(root, "etc/app.conf"), target: "/etc/app.conf" },
    { source: join(root, "etc/prometheus"), target: "/etc/prometheus" },
    { source: join(root, "usr/local/share/ca-certificates"), target: "/usr/local/share/ca-certificates" },
    { source: join(root, "var/lib/prometheus"), target: "/var/lib/prometheus" },
    { source: join(tmp, "storage"), target: "/var/lib/prometheus" },
  ]);
  assert.equal(
    viewPath(plan.binds, "/etc/prometheus/prometheus.yml"),
    join(root, "etc/prometheus/prometheus.yml"),
  );
  assert.equal(viewPath(plan.binds, "/var/lib/prometheus/wal"), join(tmp, "storage/wal"));
  assert.equal(viewPath(plan.binds, "/etc/passwd"), "/etc/passwd");
});

test("computeBinds never binds over a host symlink", () => {
  const root = join(tmp, "r2");
  const link = `/srv/ck-sandbox-link-${process.pid}`;
  mkdirSync(join(root, link.slice(1)), { recursive: true });
  symlinkSync("/tmp", link);
  try {
    const plan = computeBinds(root);
    assert.deepEqual(plan.binds, []);
    assert.deepEqual(plan.skipped, [{ path: link, reason: "the host path is a symlink" }]);
  } finally {
    rmSync(link);
  }
});

test("toHostPath maps container paths under the root or the longest storage mount and refuses ..", () => {
  const mounts = [
    { containerPath: "/var/lib/prometheus", hostPath: "/data/a" },
    { containerPath: "/var/lib/prometheus/wal", hostPath: "/data/wal" },
  ];
  assert.equal(toHostPath("/r", mounts, "/etc/x"), "/r/etc/x");
  assert.equal(toHostPath("/r", mounts, "/var/lib/prometheus/chunks"), "/data/a/chunks");
  assert.equal(toHostPath("/r", mounts, "/var/lib/prometheus/wal/1"), "/data/wal/1");
  assert.equal(toHostPath("/r", mounts, "/var/lib/prometheusX"), "/r/var/lib/prometheusX");
  assert.throws(() => toHostPath("/r", mounts, "/etc/../../x"), /must not contain/);
  assert.throws(() => toHostPath("/r", mounts, "etc/x"), /must be absolute/);
});
