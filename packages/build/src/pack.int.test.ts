// packCharm end to end on the SDK's sample charm: the .charm's layout and modes (charmcraft's, as
// Juju unpacks it: juju/juju internal/charm/charmarchive.go keeps zip modes; manifest.go reads
// `bases`), reproducible zips, and the unpacked `dispatch` running the packed Node rather than any
// `node` on PATH, with V8's code cache made and then accepted by that Node. Fetches the pinned
// Node runtime once into the per-user cache (npm registry).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { NODE_RUNTIMES, packCharm, unpackCharm } from "./pack.js";

const sample = join(import.meta.dirname, "../../ops/tests/sample-charm");
const work = mkdtempSync(join(tmpdir(), "charmkit-pack-"));
// A copy, so the test's dist/ tree and edits stay out of the repository.
const charmDir = join(work, "sample-charm");
const outDir = join(work, "out");
let charm: string;
let entries: readonly string[];

before(async () => {
  cpSync(sample, charmDir, { recursive: true });
  // The copy resolves @charmkit/ops and its dependencies through the repository's node_modules.
  symlinkSync(join(import.meta.dirname, "../../../node_modules"), join(work, "node_modules"));
  const r = await packCharm({ charmDir, outDir });
  charm = r.charm;
  entries = r.entries;
});
after(() => rmSync(work, { recursive: true, force: true }));

describe("packCharm", () => {
  test("writes <name>_<base>-<arch>.charm with charmcraft's files and the Node runtime, no sources", () => {
    assert.equal(charm, join(outDir, "sample_ubuntu@24.04-amd64.charm"));
    for (const f of [
      "dispatch",
      "manifest.yaml",
      "metadata.yaml",
      "config.yaml",
      "actions.yaml",
      "charm.js",
      "charm.bundle.js",
      "node/bin/node",
      "node/LICENSE",
    ]) {
      assert.ok(entries.includes(f), `${f} is packed`);
    }
    for (const e of entries) {
      assert.ok(
        !e.startsWith("src/") && e !== "charmcraft.yaml" && !e.startsWith("dist/"),
        `${e} is not packed`,
      );
    }
  });

  test("unpacks with its unix modes, and the generated YAML follows charmcraft.yaml", async () => {
    const dir = join(work, "unpacked-modes");
    await unpackCharm(charm, dir);
    assert.equal(statSync(join(dir, "dispatch")).mode & 0o777, 0o755);
    assert.equal(statSync(join(dir, "node/bin/node")).mode & 0o777, 0o755);
    assert.equal(statSync(join(dir, "metadata.yaml")).mode & 0o777, 0o644);
    const manifest = parse(readFileSync(join(dir, "manifest.yaml"), "utf8"));
    assert.deepEqual(manifest.bases, [{ name: "ubuntu", channel: "24.04", architectures: ["amd64"] }]);
    const cc = parse(readFileSync(join(charmDir, "charmcraft.yaml"), "utf8"));
    const md = parse(readFileSync(join(dir, "metadata.yaml"), "utf8"));
    assert.equal(md.name, "sample");
    assert.deepEqual(md.requires, cc.requires);
    assert.equal(md.parts, undefined, "build keys stay out of metadata.yaml");
    assert.deepEqual(parse(readFileSync(join(dir, "config.yaml"), "utf8")), { options: cc.config.options });
    assert.deepEqual(parse(readFileSync(join(dir, "actions.yaml"), "utf8")), cc.actions);
  });

  test("the same sources give the same bytes; a changed file gives another .charm", async () => {
    const first = readFileSync(charm);
    await packCharm({ charmDir, outDir });
    assert.ok(readFileSync(charm).equals(first), "byte-identical repack");
    mkdirSync(join(charmDir, "extra"));
    writeFileSync(join(charmDir, "extra", "note.txt"), "packed content\n");
    const r = await packCharm({ charmDir, outDir });
    assert.ok(r.entries.includes("extra/note.txt"));
    assert.ok(!readFileSync(charm).equals(first));
    rmSync(join(charmDir, "extra"), { recursive: true });
  });

  test("refuses an architecture the charm does not list", async () => {
    const cc = join(charmDir, "charmcraft.yaml");
    const text = readFileSync(cc, "utf8");
    assert.match(text, /^platforms:\n {2}amd64:\n/m, "the sample lists amd64 alone");
    await assert.rejects(packCharm({ charmDir, outDir, arch: "arm64" }), /does not list arm64/);
  });

  test("dispatch runs the packed Node, not one on PATH, and that Node accepts the code cache it wrote", async () => {
    const dir = join(work, "unpacked-run");
    await unpackCharm(charm, dir);
    // A `node` on PATH that fails: reaching it would fail the hook.
    const bin = join(work, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "node"), "#!/bin/sh\necho 'PATH node used' >&2\nexit 97\n");
    chmodSync(join(bin, "node"), 0o755);
    // A hook tool that records the Node running the charm (the charm logs through juju-log).
    writeFileSync(join(bin, "juju-log"), "#!/bin/sh\nexit 0\n");
    for (const t of ["status-set", "application-version-set"])
      writeFileSync(join(bin, t), "#!/bin/sh\nexit 0\n");
    writeFileSync(join(bin, "is-leader"), "#!/bin/sh\necho true\n");
    writeFileSync(
      join(bin, "config-get"),
      '#!/bin/sh\necho \'{"port":8080,"greeting":"hi","strict":false}\'\n',
    );
    writeFileSync(join(bin, "storage-list"), "#!/bin/sh\necho '[]'\n");
    writeFileSync(join(bin, "relation-ids"), "#!/bin/sh\necho '[]'\n");
    for (const t of [
      "juju-log",
      "status-set",
      "application-version-set",
      "is-leader",
      "config-get",
      "storage-list",
      "relation-ids",
    ])
      chmodSync(join(bin, t), 0o755);
    const run = () =>
      spawnSync(join(dir, "dispatch"), [], {
        encoding: "utf8",
        env: {
          PATH: `${bin}:/usr/bin:/bin`,
          JUJU_DISPATCH_PATH: "hooks/install",
          JUJU_HOOK_NAME: "install",
          JUJU_UNIT_NAME: "sample/0",
          JUJU_MODEL_NAME: "test",
          JUJU_MODEL_UUID: "00000000-0000-4000-8000-000000000000",
          JUJU_VERSION: "3.6.14",
          JUJU_CHARM_DIR: dir,
          NODE_OPTIONS: "--require ./print-version.cjs",
        },
      });
    // Node reads NODE_OPTIONS before the charm: this prints the running version on stderr.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's own template, for Node to run
    writeFileSync(join(dir, "print-version.cjs"), "process.stderr.write(`node ${process.version}\\n`);\n");
    const r1 = run();
    assert.equal(r1.status, 0, r1.stderr);
    assert.match(r1.stderr, new RegExp(`node v${NODE_RUNTIMES.amd64.version.replaceAll(".", "\\.")}\\n`));
    assert.doesNotMatch(r1.stderr, /PATH node used/);
    const cache = join(dir, ".charm.bundle.js.v8cache");
    const written = readFileSync(cache);
    const r2 = run();
    assert.equal(r2.status, 0, r2.stderr);
    // The loader rewrites a cache V8 rejects; an unchanged file means the packed Node used it.
    assert.ok(readFileSync(cache).equals(written), "code cache accepted, not rewritten");
  });
});
