// The names and types generated from charmcraft.yaml: what the generator writes, that the
// generated names make a misspelt one a compile error (the @ts-expect-error lines below fail the
// type-check of `npm test` if the name were accepted), and that the charm's committed file is
// current.
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { test } from "node:test";
import { CharmBase, type Framework } from "@charmkit/ops";
import { parseCharmMeta } from "@charmkit/ops/internal";
import { charmTypesSource, isCharmTypesCurrent } from "./charm-types.js";
import type { CharmcraftNames } from "./testdata/typed-charm/src/charmcraft.gen.js";

const meta = parseCharmMeta({
  file: "charmcraft.yaml",
  metadata: {
    name: "demo",
    provides: { "metrics-endpoint": { interface: "prometheus_scrape" } },
    requires: { db: { interface: "pg" } },
    containers: { app: { resource: "img" } },
    resources: { img: { type: "oci-image" } },
    config: {
      options: {
        port: { type: "int", default: 8080, description: "Port.\n\nMore text." },
        "api-key": { type: "secret", description: "Key." },
      },
    },
    actions: {
      backup: {
        params: { target: { type: "string" }, level: { type: "integer", default: 1 } },
        required: ["target"],
        additionalProperties: false,
      },
    },
  },
});

test("the generated file names every endpoint, container and action, and types options and params", () => {
  const src = charmTypesSource(meta);
  assert.match(src, /export type EndpointName = "db" \| "metrics-endpoint";/);
  assert.match(src, /export type ContainerName = "app";/);
  assert.match(src, /export type StorageName = never;/);
  assert.match(src, /export type OptionName = "api-key" \| "port";/);
  // An option without a default may be absent; one with a default is always there.
  assert.match(src, /readonly "api-key"\?: string;/);
  assert.match(src, /\/\*\* Port\. \*\/\n {2}readonly port: number;/);
  // A required parameter and one with a default are always there; the rest may be absent.
  assert.match(
    src,
    /readonly backup: \{\n {4}readonly level: number;\n {4}readonly target: string;\n {2}\};/,
  );
  assert.equal(charmTypesSource(meta), src, "stable output");
});

test("a misspelt endpoint, container or action name does not compile", () => {
  class Charm extends CharmBase<CharmcraftNames> {
    constructor(framework: Framework<CharmcraftNames>) {
      super(framework);
      framework.observe("relation-changed", "metrics-endpoint", () => {});
      framework.observe("pebble-ready", "app", () => {});
      framework.observe("action", "show-config", () => {});
      // @ts-expect-error: no such endpoint in charmcraft.yaml
      framework.observe("relation-changed", "metrics-endpont", () => {});
      // @ts-expect-error: no such container
      framework.observe("pebble-ready", "ap", () => {});
      // @ts-expect-error: no such action
      framework.observe("action", "show-configs", () => {});
      // @ts-expect-error: no such endpoint
      framework.relationView("ingres");
    }
  }
  assert.equal(typeof Charm, "function");
});

test("the committed src/charmcraft.gen.ts files match their charmcraft.yaml (npm run build rewrites them)", () => {
  assert.ok(isCharmTypesCurrent(resolve(import.meta.dirname, "../../../charms/prometheus-k8s")));
  assert.ok(isCharmTypesCurrent(resolve(import.meta.dirname, "testdata/typed-charm")));
  assert.ok(!isCharmTypesCurrent(resolve(import.meta.dirname, "testdata")), "no charm there");
});
