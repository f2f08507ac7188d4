// The charm container's recipe: which Node files are whited out of /usr, how a hook's bubblewrap
// arguments bind the unit's directories at Juju's paths, and how a path a hook names maps back to
// the host (or is refused).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { charmContainerBinds, ContainerPaths, hostPathOf, ModelLayout } from "../runtime/layout.js";
import { bwrapArgs, DEFAULT_CAPABILITIES, nodePathsUnderUsr } from "./charm-container.js";

test("Node's files under /usr are found by name, and the running Node by its path", (t) => {
  const usr = mkdtempSync(join(tmpdir(), "ck-usr-"));
  t.after(() => rmSync(usr, { recursive: true, force: true }));
  for (const d of [
    "bin",
    "lib/x86_64-linux-gnu",
    "lib/node_modules/npm",
    "include/node",
    "share/doc/nodejs",
    "share/misc",
  ])
    mkdirSync(join(usr, d), { recursive: true });
  for (const f of [
    "bin/node",
    "bin/npm",
    "bin/python3",
    "bin/nodejs",
    "lib/x86_64-linux-gnu/libnode.so.108",
    "bin/my-node",
  ])
    writeFileSync(join(usr, f), "");
  assert.deepEqual(nodePathsUnderUsr(usr, join(usr, "bin/my-node")), [
    "bin/my-node",
    "bin/node",
    "bin/nodejs",
    "bin/npm",
    "include/node",
    "lib/node_modules",
    "lib/x86_64-linux-gnu/libnode.so.108",
    "share/doc/nodejs",
  ]);
});

test("a hook's container binds the unit's directories at Juju's paths and nothing of the host's home", () => {
  const layout = new ModelLayout("/srv/model");
  const binds = charmContainerBinds(layout, "prometheus/0", ["prometheus"], ["database"]);
  const args = bwrapArgs({
    usr: "/run/charmkit/k/base/usr",
    binds,
    chdir: "/var/lib/juju/agents/unit-prometheus-0/charm",
  });
  const pairs = (flag: string) =>
    args.flatMap((a, i) => (a === flag ? [`${args[i + 1]} -> ${args[i + 2]}`] : []));
  assert.deepEqual(pairs("--bind"), [
    "/srv/model/units/prometheus-0/agent -> /var/lib/juju/agents/unit-prometheus-0",
    "/srv/model/units/prometheus-0/storage/database/0 -> /var/lib/juju/storage/database/0",
    "/srv/model/units/prometheus-0/rootfs/tmp -> /tmp",
    "/srv/model/units/prometheus-0/rootfs/root -> /root",
  ]);
  assert.deepEqual(pairs("--bind-try"), [
    "/srv/model/units/prometheus-0/containers/prometheus/pebble.socket -> /charm/containers/prometheus/pebble.socket",
  ]);
  assert.ok(pairs("--ro-bind").includes("/run/charmkit/k/base/usr -> /usr"));
  assert.ok(pairs("--ro-bind").includes("/srv/model/tools -> /var/lib/juju/tools/unit-prometheus-0"));
  assert.ok(pairs("--ro-bind").includes("/srv/model/units/prometheus-0/pod/hosts -> /etc/hosts"));
  assert.ok(
    !args.some((a) => a === "/home" || a === "/work" || a.startsWith("/root/")),
    "no host home or project",
  );
  assert.deepEqual(
    args.flatMap((a, i) => (a === "--cap-add" ? [args[i + 1]] : [])),
    [...DEFAULT_CAPABILITIES],
  );
  assert.equal(args[args.indexOf("--chdir") + 1], "/var/lib/juju/agents/unit-prometheus-0/charm");
});

test("a path a hook names maps to the host through the binds; others are refused", () => {
  const layout = new ModelLayout("/srv/model");
  const binds = charmContainerBinds(layout, "a/1", [], ["data"]);
  const c = new ContainerPaths("a/1");
  assert.equal(hostPathOf(binds, c.charmDir, "state.yaml"), "/srv/model/units/a-1/agent/charm/state.yaml");
  assert.equal(hostPathOf(binds, "/", "/tmp/x/y"), "/srv/model/units/a-1/rootfs/tmp/x/y");
  assert.equal(
    hostPathOf(binds, "/", "/var/lib/juju/storage/data/0/f"),
    "/srv/model/units/a-1/storage/data/0/f",
  );
  // What the container does not have is, for the tools reading it, a file that is not there.
  assert.throws(() => hostPathOf(binds, "/", "/etc/shadow"), {
    code: "ENOENT",
    message: /\/etc\/shadow is outside/,
  });
  assert.throws(() => hostPathOf(binds, "/tmp", "../etc/passwd"), {
    code: "ENOENT",
    message: /\/etc\/passwd is outside/,
  });
});
