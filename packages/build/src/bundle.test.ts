// The YAML files a packed charm carries, generated from charmcraft.yaml as charmcraft 3 does
// (canonical/charmcraft charmcraft/models/metadata.py CharmMetadata.from_charm).
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse, stringify } from "yaml";
import { generatedYaml } from "./bundle.js";

test("metadata.yaml: title becomes display-name, links spread out, build keys dropped", () => {
  const files = generatedYaml(
    {
      name: "demo",
      type: "charm",
      title: "Demo",
      summary: "s",
      description: "d",
      base: "ubuntu@24.04",
      platforms: { amd64: null },
      parts: { charm: { plugin: "nil" } },
      links: {
        documentation: "https://example.org/docs",
        contact: "Someone <a@example.org>",
        issues: "https://example.org/issues",
        source: ["https://example.org/src"],
        website: "https://example.org",
      },
      containers: { web: { resource: "img" } },
      requires: { db: { interface: "pg" } },
      config: { options: { port: { type: "int", default: 80 } } },
      actions: { go: { description: "go" } },
    },
    stringify,
  );
  assert.deepEqual(parse(files["metadata.yaml"]), {
    name: "demo",
    "display-name": "Demo",
    summary: "s",
    description: "d",
    docs: "https://example.org/docs",
    maintainers: ["Someone <a@example.org>"],
    issues: "https://example.org/issues",
    source: ["https://example.org/src"],
    website: "https://example.org",
    containers: { web: { resource: "img" } },
    requires: { db: { interface: "pg" } },
  });
  assert.deepEqual(parse(files["config.yaml"]), { options: { port: { type: "int", default: 80 } } });
  assert.deepEqual(parse(files["actions.yaml"]), { go: { description: "go" } });
});
