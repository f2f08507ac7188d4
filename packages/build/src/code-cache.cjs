"use strict";
// Runs a CommonJS file with V8's code cache kept beside it (`.<name>.v8cache`). Each hook (and
// each run of a command) is a new process that would otherwise parse and compile the whole bundle
// again; with the cache, V8 reuses the bytecode of every function an earlier run compiled.
//
// The cache is written when the process exits, so it holds the functions compiled lazily while
// running too. A run only compiles what its own path needs, so the cache records which kinds of
// run (`key`: a hook's dispatch path, a command's name) it was made from, and the first run of a
// kind not yet in it writes it again, from everything the process has compiled: the old cache's
// functions plus its own. Each kind costs one write; runs of a known kind write nothing. V8
// itself refuses a cache that does not match the source or its own version (the cache then starts
// over). An unreadable or unwritable cache costs nothing but the cache. Node 22 has
// `module.enableCompileCache`; Node 20 does not.
//
// Plain JavaScript, no dependencies: `bundleCharm` copies this text into every charm's `charm.js`,
// and the `prometheus-scrape` command requires it as `@charmkit/build/code-cache`.
const fs = require("node:fs");
const nodePath = require("node:path");

const CACHE_FORMAT = "charmkit-v8cache/1";

/** The cache file's header (`{"format", "keys"}` on the first line) and V8's data after it. */
function readCache(cacheFile) {
  let raw;
  try {
    raw = fs.readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const nl = raw.indexOf(10);
  if (nl < 0) return undefined;
  try {
    const header = JSON.parse(raw.subarray(0, nl).toString("utf8"));
    if (header.format !== CACHE_FORMAT || !Array.isArray(header.keys)) return undefined;
    return { keys: header.keys.filter((k) => typeof k === "string"), data: raw.subarray(nl + 1) };
  } catch {
    return undefined;
  }
}

/** Runs `file` (CommonJS) with its code cache and returns its `module.exports`. */
function runWithCodeCache(file, key = "") {
  const cacheFile = nodePath.join(nodePath.dirname(file), `.${nodePath.basename(file)}.v8cache`);
  const cache = readCache(cacheFile);
  const Module = require("node:module");
  const { Script } = require("node:vm");
  const script = new Script(Module.wrap(fs.readFileSync(file, "utf8")), {
    filename: file,
    cachedData: cache?.data,
  });
  const usable = cache !== undefined && !script.cachedDataRejected;
  if (!usable || !cache.keys.includes(key)) {
    const keys = usable ? [...cache.keys, key] : [key];
    process.once("exit", () => {
      const tmp = `${cacheFile}.${process.pid}`;
      try {
        const header = Buffer.from(`${JSON.stringify({ format: CACHE_FORMAT, keys })}\n`);
        fs.writeFileSync(tmp, Buffer.concat([header, script.createCachedData()]));
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
