// Bundle validation: good bundles resolve, bad ones list every problem naming the app/endpoint/option.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { BundleError, loadBundle, validateBundle } from "./bundle.js";
import { parseCharmMeta } from "./charm-meta.js";

const prom = parseCharmMeta(
  {
    name: "prom",
    requires: {
      "metrics-endpoint": { interface: "prometheus_scrape" },
      ingress: { interface: "ingress_per_unit", limit: 1 },
    },
    provides: { "grafana-source": { interface: "grafana_datasource" } },
    peers: { "prometheus-peers": { interface: "prometheus_peers" } },
  },
  { options: { log_level: { type: "string", default: "info" }, retention: { type: "int" } } },
  {},
);
const target = parseCharmMeta(
  { name: "target", provides: { "metrics-endpoint": { interface: "prometheus_scrape" } } },
  {},
  {},
);
const loadMeta = (dir: string) => {
  if (dir.endsWith("/prom")) return prom;
  if (dir.endsWith("/target")) return target;
  throw new Error("no charmcraft.yaml or metadata.yaml");
};

test("a valid bundle resolves charm paths, scales, typed options and inferred endpoints", () => {
  const { bundle } = validateBundle(
    {
      applications: {
        prometheus: { charm: "./prom", scale: 2, options: { retention: "30", log_level: "debug" } },
        t: { charm: "/abs/target", num_units: 3 },
      },
      relations: [["prometheus", "t"]],
    },
    "/base",
    loadMeta,
  );
  assert.deepEqual(bundle, {
    applications: [
      { name: "prometheus", charm: "/base/prom", scale: 2, options: { retention: 30, log_level: "debug" } },
      { name: "t", charm: "/abs/target", scale: 3, options: {} },
    ],
    relations: [["prometheus:metrics-endpoint", "t:metrics-endpoint"]],
  });
});

test("an invalid bundle lists every problem, naming the app, endpoint or option", () => {
  const err = (() => {
    try {
      validateBundle(
        {
          applications: {
            p: { charm: "./prom", scale: -1, options: { retention: "soon", nope: 1 } },
            t: { charm: "./target" },
            x: { charm: "./missing" },
            y: {},
          },
          relations: [
            ["p:metrics-endpoint", "t:nope"],
            ["p:grafana-source", "t:metrics-endpoint"],
            ["p:metrics-endpoint", "zz:x"],
            "bad",
          ],
        },
        "/b",
        loadMeta,
      );
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof BundleError);
  assert.deepEqual(err.problems, [
    'application "p": scale must be an integer >= 0',
    'application "p": option "retention" expects an int, got "soon"',
    'application "p": unknown option "nope" for charm prom',
    'application "x": cannot load charm /b/missing: no charmcraft.yaml or metadata.yaml',
    'application "y": missing `charm` (a path to a .charm file or charm directory)',
    'relation p:metrics-endpoint t:nope: application "t" has no endpoint "nope"',
    "relation p:grafana-source t:metrics-endpoint: interface mismatch (grafana_datasource vs prometheus_scrape)",
    'relation p:metrics-endpoint zz:x: unknown application "zz"',
    'relation "bad": expected [app:endpoint, app:endpoint]',
  ]);
});

test("a bundle without applications is rejected", () => {
  assert.throws(() => validateBundle({ relations: [] }, "/", loadMeta), /missing `applications` mapping/);
});

test("a .charm that is not there names the file and how to make it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "ck-bundle-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "bundle.yaml");
  writeFileSync(path, "applications:\n  p: { charm: ./dist/prometheus-k8s_ubuntu@24.04-amd64.charm }\n");
  await assert.rejects(
    loadBundle(path),
    (e: unknown) =>
      e instanceof BundleError &&
      e.problems.length === 1 &&
      e.problems[0] ===
        `application "p": cannot load charm ${join(dir, "dist/prometheus-k8s_ubuntu@24.04-amd64.charm")}: not a readable .charm file (no such file; run npm run pack)`,
  );
});
