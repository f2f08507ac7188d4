// Tests of metadata loading: charmcraft.yaml and the metadata/config/actions triple, and errors.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { MetadataError } from "./errors.js";
import { loadCharmMeta, parseCharmMeta } from "./metadata.js";

const sample = join(import.meta.dirname, "..", "tests", "sample-charm");

describe("metadata", () => {
  test("charmcraft.yaml: relations, containers with mounts, storage, config, actions", async () => {
    const m = await loadCharmMeta(sample);
    assert.equal(m.name, "sample");
    assert.deepEqual(m.relations.db, {
      name: "db",
      role: "requires",
      interface: "sample_db",
      limit: 1,
      optional: false,
      scope: "global",
    });
    assert.equal(m.relations["sample-peers"]?.role, "peers");
    assert.deepEqual(m.containers.workload?.mounts, [{ storage: "data", location: "/data" }]);
    assert.equal(m.storage.data?.location, "/data");
    assert.deepEqual(m.config.port, {
      name: "port",
      type: "int",
      default: 8080,
      description: "Port the workload listens on.",
    });
    assert.deepEqual(m.actions["do-thing"]?.required, ["name"]);
    assert.equal(m.actions["do-thing"]?.params.count?.default, 1);
  });

  test("metadata.yaml + config.yaml + actions.yaml win over charmcraft.yaml", async () => {
    const d = mkdtempSync(join(tmpdir(), "meta-"));
    writeFileSync(join(d, "charmcraft.yaml"), "name: wrong\n");
    writeFileSync(join(d, "metadata.yaml"), "name: right\nprovides:\n  web:\n    interface: http\n");
    writeFileSync(join(d, "config.yaml"), "options:\n  debug:\n    type: boolean\n    default: true\n");
    writeFileSync(join(d, "actions.yaml"), "go:\n  description: Go.\n");
    const m = await loadCharmMeta(d);
    assert.equal(m.name, "right");
    assert.equal(m.relations.web?.interface, "http");
    assert.equal(m.config.debug?.default, true);
    assert.equal(m.actions.go?.description, "Go.");
  });

  test("errors name the file and the field", async () => {
    const bad = (doc: unknown, re: RegExp) =>
      assert.throws(
        () => parseCharmMeta({ metadata: doc, file: "charmcraft.yaml" }),
        (e: unknown) => e instanceof MetadataError && re.test(e.message),
      );
    bad({}, /charmcraft.yaml: missing charm `name`/);
    bad({ name: "x", requires: { db: {} } }, /requires.db needs an `interface`/);
    bad(
      { name: "x", requires: { db: { interface: "a" } }, peers: { db: { interface: "b" } } },
      /"db" is declared twice/,
    );
    bad({ name: "x", config: { options: { p: { type: "integer" } } } }, /unknown type "integer"/);
    bad({ name: "x", requires: [] }, /requires must be a mapping/);
    const d = mkdtempSync(join(tmpdir(), "meta-"));
    await assert.rejects(loadCharmMeta(d), /neither metadata.yaml nor charmcraft.yaml/);
    writeFileSync(join(d, "metadata.yaml"), "name: [unclosed\n");
    await assert.rejects(loadCharmMeta(d), /metadata.yaml: not valid YAML/);
  });
});
