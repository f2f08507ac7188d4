#!/usr/bin/env node
// Makes a start-up-snapshot variant of a staged charm tree, to compare with the code-cache loader
// in bench/hooks-vs-ops.mjs (`--charm <staged> --charm <variant>`). Not part of `npm run pack`:
// measured, the snapshot cut update-status by ~10% and slowed relation-changed by ~10% (figures
// in bench/README.md), so the packed charm keeps the code cache.
//
// The variant runs the same bundle from a V8 heap snapshot built by the tree's own Node
// (`node --snapshot-blob charm.blob --build-snapshot entry.cjs`) and started with
// `node --snapshot-blob charm.blob`: the bundle's modules are evaluated at build time, and the
// hook runs as the snapshot's deserialize-main function. What that needs:
// - the bundle's last statement, `main(Charm, {...})`, becomes an exported function, so nothing
//   reads the hook's environment at build time;
// - Node refuses built-ins it has not verified for user snapshots (http, net, child_process,
//   module, vm... the list is lib/internal/main/mksnapshot.js in nodejs/node) once their state is
//   in the heap, so the bundle gets them as proxies loaded on first use, at run time;
// - packages split into lazy/ are required at run time relative to the charm directory.
//
// Usage: node bench/snapshot-variant.mjs <staged charm tree, e.g. charms/prometheus-k8s/dist/amd64> <out dir>
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const [from, to] = process.argv.slice(2).map((p) => (p ? resolve(p) : p));
if (!from || !to || !existsSync(join(from, "charm.bundle.js"))) {
  console.error("usage: node bench/snapshot-variant.mjs <staged charm tree> <out dir>");
  process.exit(2);
}
const node = join(from, "node", "bin", "node");
if (!existsSync(node)) throw new Error(`${from} has no node/bin/node: stage it with npm run pack`);

rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
rmSync(join(to, ".charm.bundle.js.v8cache"), { force: true });

const bundle = readFileSync(join(to, "charm.bundle.js"), "utf8").trimEnd();
// bundleCharm's entry ends with `main(Charm, { metadata, charmType })`, minified.
const call = /([\w$]+\([\w$]+,\{metadata:[\w$]+,charmType:(?:"[^"]*"|void 0)\}\));$/.exec(bundle);
if (!call) throw new Error("the bundle does not end with bundleCharm's main(...) call");
const body = `${bundle.slice(0, call.index)}module.exports.run=()=>${call[1]};`;

// Built-ins Node accepts in a user snapshot (nodejs/node lib/internal/main/mksnapshot.js).
const SAFE = [
  "assert",
  "buffer",
  "console",
  "constants",
  "crypto",
  "events",
  "fs",
  "fs/promises",
  "os",
  "path",
  "process",
  "querystring",
  "stream",
  "stream/promises",
  "string_decoder",
  "timers",
  "timers/promises",
  "url",
  "util",
  "util/types",
  "v8",
  "zlib",
];
const entry = `"use strict";
const v8 = require("node:v8");
const SAFE = new Set(${JSON.stringify(SAFE)});
function lazyBuiltin(id) {
  let m;
  const load = () => (m ??= process.getBuiltinModule(id));
  return new Proxy({}, {
    get: (_t, k) => load()[k],
    has: (_t, k) => k in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_t, k) => {
      const d = Reflect.getOwnPropertyDescriptor(load(), k);
      if (d) d.configurable = true;
      return d;
    },
  });
}
let charmRequire;
function bundleRequire(id) {
  const bare = id.startsWith("node:") ? id.slice(5) : id;
  if (SAFE.has(bare)) return require(id);
  if (!id.startsWith(".")) return lazyBuiltin(id);
  // dispatch runs Node in the charm directory.
  charmRequire ??= process.getBuiltinModule("node:module").createRequire(process.cwd() + "/charm.bundle.js");
  return charmRequire(id);
}
const mod = { exports: {} };
(function (exports, require, module, __filename, __dirname) {
${body}
})(mod.exports, bundleRequire, mod, "charm.bundle.js", ".");
v8.startupSnapshot.setDeserializeMainFunction(() => mod.exports.run());
`;
const entryFile = join(to, "snapshot-entry.cjs");
writeFileSync(entryFile, entry);
const t0 = Date.now();
const r = spawnSync(node, ["--snapshot-blob", join(to, "charm.blob"), "--build-snapshot", entryFile], {
  cwd: to,
  encoding: "utf8",
});
if (r.status !== 0) throw new Error(`--build-snapshot failed (${r.status}): ${r.stderr.slice(-2000)}`);
rmSync(entryFile);
writeFileSync(
  join(to, "dispatch"),
  `#!/bin/sh
d="$(dirname "$(realpath "$0")")"; cd "$d" || exit 1
if [ -z "$JUJU_DISPATCH_PATH" ]; then JUJU_DISPATCH_PATH="\${0#"$d"/}"; export JUJU_DISPATCH_PATH; fi
exec "$d/node/bin/node" --snapshot-blob "$d/charm.blob" "$d/charm.js"
`,
);
console.log(
  `${to}: charm.blob ${(statSync(join(to, "charm.blob")).size / 1048576).toFixed(1)} MiB, built in ${Date.now() - t0} ms`,
);
