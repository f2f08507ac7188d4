"use strict";
// Runs a CommonJS file with V8's code cache kept beside it (`.<name>.v8cache`). Each hook (and
// each run of a command) is a new process that would otherwise parse and compile the whole bundle
// again; with the cache, V8 reuses the bytecode of every function an earlier run compiled. The
// cache is written when the process exits and none was usable (first run, a new build, another
// Node), so it also holds the functions compiled lazily while running; V8 itself refuses a cache
// that does not match the source or its own version. An unreadable or unwritable cache costs
// nothing but the cache. Node 22 does this with `module.enableCompileCache`; Node 20 does not.
//
// Plain JavaScript, no dependencies: `bundleCharm` copies this text into every charm's `charm.js`,
// and the `prometheus-scrape` command requires it as `@charmkit/ops/code-cache`.
const fs = require("node:fs");
const nodePath = require("node:path");

/** Runs `file` (CommonJS) with its code cache and returns its `module.exports`. */
function runWithCodeCache(file) {
  const cacheFile = nodePath.join(nodePath.dirname(file), `.${nodePath.basename(file)}.v8cache`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const Module = require("node:module");
  const { Script } = require("node:vm");
  const script = new Script(Module.wrap(fs.readFileSync(file, "utf8")), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once("exit", () => {
      const tmp = `${cacheFile}.${process.pid}`;
      try {
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        try {
          fs.rmSync(tmp, { force: true });
        } catch {}
      }
    });
  }
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, nodePath.dirname(file));
  return mod.exports;
}

module.exports = { runWithCodeCache };
