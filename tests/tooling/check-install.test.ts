// The install check run before the tests (scripts/check-install.mjs): a node_modules that a merge
// left behind its package-lock.json (a new workspace package not linked, a dependency at another
// version) is named; a matching one passes.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
// @ts-expect-error: a plain .mjs script without type declarations
import { staleInstall } from "../../scripts/check-install.mjs";

function project(): string {
  const root = mkdtempSync(join(tmpdir(), "ck-install-"));
  const lock = {
    lockfileVersion: 3,
    packages: {
      "": { workspaces: ["packages/*"] },
      "packages/kit": { name: "@x/kit" },
      "node_modules/@x/kit": { resolved: "packages/kit", link: true },
      "node_modules/dep": { version: "1.2.3" },
      "node_modules/@esbuild/other-os": { version: "0.1.0", optional: true },
    },
  };
  writeFileSync(join(root, "package-lock.json"), JSON.stringify(lock));
  mkdirSync(join(root, "packages", "kit"), { recursive: true });
  mkdirSync(join(root, "node_modules", "dep"), { recursive: true });
  writeFileSync(join(root, "node_modules", "dep", "package.json"), JSON.stringify({ version: "1.2.3" }));
  return root;
}

test("a workspace package the install has not linked yet is named", () => {
  const root = project();
  try {
    assert.deepEqual(staleInstall(root), ["node_modules/@x/kit is missing (a link to packages/kit)"]);
    mkdirSync(join(root, "node_modules", "@x"));
    symlinkSync("../../packages/kit", join(root, "node_modules", "@x", "kit"));
    assert.deepEqual(
      staleInstall(root),
      [],
      "linked, and the optional package of another platform is not asked for",
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a dependency at another version than the lockfile's is named", () => {
  const root = project();
  try {
    mkdirSync(join(root, "node_modules", "@x"));
    symlinkSync("../../packages/kit", join(root, "node_modules", "@x", "kit"));
    writeFileSync(join(root, "node_modules", "dep", "package.json"), JSON.stringify({ version: "1.2.0" }));
    assert.deepEqual(staleInstall(root), ["node_modules/dep is 1.2.0, the lockfile has 1.2.3"]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
