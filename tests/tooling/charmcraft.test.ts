// The charms' charmcraft.yaml files as charmcraft builds them in managed mode (issue 10, "The
// packed charm cannot start"). charmcraft mounts only the project directory into its managed
// build instance, so a part whose `source` reaches outside the charm directory (the old
// `source: ../..`) has nothing to build from; and a charm that stages Ubuntu's `nodejs` gets
// Debian's Node, whose builtins live outside its binary (/usr/share/nodejs/cjs-module-lexer,
// acorn, undici) and abort it at start in a charm container without them. The charms carry the
// pinned official Node that `npm run pack` stages instead.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";

const ROOT = resolve(import.meta.dirname, "../..");

/** Every charm directory of the repository: charms/<name> and charms/testers/<name>. */
function charmDirs(): string[] {
  const out: string[] = [];
  for (const parent of [join(ROOT, "charms"), join(ROOT, "charms/testers")]) {
    for (const e of readdirSync(parent, { withFileTypes: true })) {
      const dir = join(parent, e.name);
      if (e.isDirectory() && existsSync(join(dir, "charmcraft.yaml"))) out.push(dir);
    }
  }
  return out;
}

interface Part {
  source?: unknown;
  "stage-packages"?: unknown;
  "override-build"?: unknown;
}

function parts(dir: string): Record<string, Part> {
  const cc = parse(readFileSync(join(dir, "charmcraft.yaml"), "utf8")) as { parts?: Record<string, Part> };
  return cc.parts ?? {};
}

/** True when `source` names a path inside `dir` (a URL or other remote source is not a path). */
function staysInside(dir: string, source: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:/i.test(source)) return true;
  if (isAbsolute(source)) return false;
  const rel = relative(dir, resolve(dir, source));
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

test("the repository has charms with parts to check (prometheus-k8s among them)", () => {
  const withParts = charmDirs().filter((d) => Object.keys(parts(d)).length > 0);
  assert.ok(withParts.includes(join(ROOT, "charms/prometheus-k8s")), withParts.join(", "));
});

test("the path check itself: ../.. and absolute paths leave the charm directory, . and sub/ do not", () => {
  const dir = join(ROOT, "charms/prometheus-k8s");
  assert.equal(staysInside(dir, "../.."), false);
  assert.equal(staysInside(dir, "/work"), false);
  assert.equal(staysInside(dir, "../prometheus-k8s-other"), false);
  assert.equal(staysInside(dir, "."), true);
  assert.equal(staysInside(dir, "dist/amd64"), true);
  assert.equal(staysInside(dir, "https://example.org/x.tar.gz"), true);
});

test("no part's source reaches outside its charm directory (managed builds mount only the project)", () => {
  for (const dir of charmDirs()) {
    for (const [name, part] of Object.entries(parts(dir))) {
      if (part.source === undefined) continue;
      assert.equal(typeof part.source, "string", `${relative(ROOT, dir)}: part ${name}: source`);
      assert.ok(
        staysInside(dir, part.source as string),
        `${relative(ROOT, dir)}: part ${name}: source ${String(part.source)} is outside the charm directory`,
      );
    }
  }
});

test("no part stages a distribution's Node; the charm's build dumps the staged tree with its own Node", () => {
  for (const dir of charmDirs()) {
    for (const [name, part] of Object.entries(parts(dir))) {
      const pkgs = (part["stage-packages"] ?? []) as unknown[];
      assert.ok(Array.isArray(pkgs), `${relative(ROOT, dir)}: part ${name}: stage-packages`);
      for (const p of pkgs)
        assert.doesNotMatch(
          String(p),
          /^(nodejs|node|libnode\d*)(:|$)/,
          `${relative(ROOT, dir)}: part ${name}`,
        );
    }
  }
  // prometheus-k8s' part copies what `npm run pack` staged, and refuses to build without its Node.
  const build = String(parts(join(ROOT, "charms/prometheus-k8s")).charm?.["override-build"] ?? "");
  assert.match(build, /node\/bin\/node/);
  assert.match(build, /cp -a "\$staged\/\." "\$CRAFT_PART_INSTALL\/"/);
});
