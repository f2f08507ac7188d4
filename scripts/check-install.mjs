#!/usr/bin/env node
// Checks that node_modules is what package-lock.json says, before the tests run. A merge that adds
// a workspace package or changes a dependency leaves an existing checkout's node_modules behind
// until `npm ci` runs again; tests run there then fail to resolve the new package, with paths that
// point into that checkout (a run once failed to resolve @charmkit/build that way, and passed after
// scripts/install.sh had run npm ci). Naming the cause is cheaper than finding it.
//
// Every package the lockfile installs is compared: a workspace link must point at its directory,
// any other package must be there at the locked version. Optional packages are skipped (npm
// leaves out those for other platforms).
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * What in `root`'s node_modules differs from its package-lock.json, one line each (empty when
 * nothing does; at most `limit` lines).
 */
export function staleInstall(root, limit = 5) {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
  const problems = [];
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (problems.length >= limit) break;
    if (!path.includes("node_modules/") || entry.optional) continue;
    const dir = join(root, path);
    if (entry.link) {
      const want = resolve(root, entry.resolved);
      let got;
      try {
        got = realpathSync(dir);
      } catch {
        problems.push(`${path} is missing (a link to ${entry.resolved})`);
        continue;
      }
      if (got !== realpathSync(want)) problems.push(`${path} links to ${got}, not ${entry.resolved}`);
      continue;
    }
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) {
      problems.push(`${path} is missing (${entry.version})`);
      continue;
    }
    const version = JSON.parse(readFileSync(manifest, "utf8")).version;
    if (entry.version !== undefined && version !== entry.version) {
      problems.push(`${path} is ${version}, the lockfile has ${entry.version}`);
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(import.meta.dirname, "..");
  const problems = staleInstall(root);
  if (problems.length > 0) {
    process.stderr.write(
      `node_modules does not match package-lock.json in ${root}:\n  ${problems.join("\n  ")}\n` +
        "run `npm ci` there (or `bash scripts/install.sh`) and try again\n",
    );
    process.exit(1);
  }
}
