// The grafana_dashboard relation's building blocks: uids, dashboard preparation, templates and
// the app bag in the Python library's shape, the LZMABase64 codec in process, Grafana's answer.
// Agreement with Python's own hashlib and lzma is checked in index.int.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LocalIdentity, RelationSnapshot } from "@charmkit/ops";
import {
  buildDashboardTemplates,
  buildGrafanaDashboardAppData,
  dashboardAltUid,
  dashboardPath40Uid,
  isPath40Uid,
  lzmaBase64Compress,
  lzmaBase64Decompress,
  parseDashboardStatus,
  parseGrafanaDashboards,
  pathStem,
  prepareDashboardJson,
  templatesNonce,
} from "./index.js";

const ID: LocalIdentity = {
  modelName: "cos",
  modelUuid: "f2c1b2a4-7a3e-4c1d-9b5e-1a2b3c4d5e6f",
  appName: "prometheus",
  unitName: "prometheus/0",
};

function rel(id: number, app: Record<string, string>): RelationSnapshot {
  return { id, endpoint: "grafana-dashboard", remoteApp: "p", remoteAppData: app, remoteUnitsData: {} };
}

test("uids: Path40 from charm-path, alt uid from charm-id (shake_256)", () => {
  const uid = dashboardPath40Uid("prometheus-k8s", "src/grafana_dashboards/x.json");
  assert.equal(uid.length, 40);
  assert.ok(isPath40Uid(uid));
  assert.ok(!isPath40Uid("abc"));
  assert.equal(dashboardAltUid("prometheus-k8s", "file:x").length, 16);
  assert.equal(pathStem("src/d/prometheus-k8s_rev1.json.tmpl"), "prometheus-k8s_rev1.json");
});

test("prepareDashboardJson replaces a non-Path40 uid, keeps a Path40 one, adds the charm tag once", () => {
  const file = {
    relPath: "src/grafana_dashboards/a.json",
    content: '{"title": "T", "uid": "short", "tags": ["x"]}',
  };
  const out = prepareDashboardJson(file, "prometheus-k8s");
  assert.ok("json" in out);
  const expectedUid = dashboardPath40Uid("prometheus-k8s", file.relPath);
  assert.equal(out.json, `{"title": "T", "uid": "${expectedUid}", "tags": ["x", "charm: prometheus-k8s"]}`);
  const keep = prepareDashboardJson(
    { relPath: "b.json", content: `{"uid": "${"a".repeat(40)}", "tags": ["charm: other"]}` },
    "c",
  );
  assert.deepEqual(JSON.parse((keep as { json: string }).json), {
    uid: "a".repeat(40),
    tags: ["charm: other"],
  });
  assert.match(
    (prepareDashboardJson({ relPath: "c.json", content: "[1]" }, "c") as { error: string }).error,
    /not a JSON object/,
  );
  assert.match(
    (prepareDashboardJson({ relPath: "d.json", content: "{" }, "c") as { error: string }).error,
    /not valid JSON/,
  );
});

test("templates and app bag have the Python library's shape", () => {
  const { templates, errors } = buildDashboardTemplates(
    [
      { relPath: "src/grafana_dashboards/z.json", content: "{}" },
      { relPath: "src/grafana_dashboards/a.json.tmpl", content: '{"title": "A"}' },
      { relPath: "src/grafana_dashboards/bad.json", content: "nope" },
    ],
    ID,
    "prometheus-k8s",
    (s) => `C(${s})`,
  );
  assert.equal(errors.length, 1);
  assert.deepEqual(Object.keys(templates), ["file:a.json", "file:z"]);
  const a = templates["file:a.json"]!;
  assert.deepEqual(Object.keys(a), [
    "charm",
    "content",
    "juju_topology",
    "inject_dropdowns",
    "dashboard_alt_uid",
  ]);
  assert.equal(a.charm, "prometheus-k8s");
  assert.match(
    a.content,
    /^C\(\{"title": "A", "uid": "[0-9a-f]{40}", "tags": \["charm: prometheus-k8s"\]\}\)$/,
  );
  assert.deepEqual(a.juju_topology, {
    model: "cos",
    model_uuid: ID.modelUuid,
    application: "prometheus",
    unit: "prometheus/0",
  });
  assert.equal(a.dashboard_alt_uid, dashboardAltUid("prometheus-k8s", "file:a.json"));
  const nonce = templatesNonce(templates);
  assert.match(nonce, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(nonce, templatesNonce(templates));
  const bag = buildGrafanaDashboardAppData(templates, nonce);
  assert.deepEqual(Object.keys(JSON.parse(bag.dashboards!)), ["templates", "uuid"]);
  const noDropdowns = buildDashboardTemplates(
    [{ relPath: "x.json", content: "{}" }],
    ID,
    "c",
    (s) => s,
    false,
  );
  assert.deepEqual(noDropdowns.templates["file:x"]!.juju_topology, {});
});

// Issue 10: compression used to shell out to `xz`, which a charm container need not have. With no
// PATH at all, a spawned `xz` would fail; both directions must still work, .xz input included.
test("LZMABase64 needs no xz binary: compress and decompress with an empty PATH", async () => {
  const path = process.env.PATH;
  process.env.PATH = "";
  try {
    const text = JSON.stringify({ title: "no xz here", panels: [{ id: 7 }] });
    assert.equal(await lzmaBase64Decompress(lzmaBase64Compress(text)), text);
    // Python's lzma.compress(b"hello") (an .xz stream), as cosl's compress writes it.
    const xz = "/Td6WFoAAATm1rRGAgAhARYAAAB0L+WjAQAEaGVsbG8AAAAAsTe52+XaHpsAAR0FuC2Arx+2830BAAAAAARZWg==";
    assert.equal(await lzmaBase64Decompress(xz), "hello");
  } finally {
    process.env.PATH = path;
  }
});

test("LZMABase64 round trip in-process (.lzma), and the requirer reads it back", async () => {
  const text = JSON.stringify({ title: "Prometheus", panels: [{ id: 1 }], uni: "é \u{1f600}" });
  const b64 = lzmaBase64Compress(text);
  // The .lzma header: properties byte 0x5d (lc=3, lp=0, pb=2), then the dictionary size.
  assert.equal(Buffer.from(b64, "base64")[0], 0x5d, "LZMA alone header");
  assert.equal(await lzmaBase64Decompress(b64), text);
  const { templates } = buildDashboardTemplates(
    [{ relPath: "d/p.json", content: text }],
    ID,
    "pk",
    lzmaBase64Compress,
  );
  const { accepted, rejected } = await parseGrafanaDashboards(
    [
      rel(1, buildGrafanaDashboardAppData(templates, "u")),
      rel(2, { dashboards: "{" }),
      rel(3, { dashboards: '{"templates": {"file:x": {"content": "bm90IHh6"}, "file:y": {"charm": "c"}}}' }),
    ],
    lzmaBase64Decompress,
  );
  assert.equal(accepted.length, 1);
  assert.equal(accepted[0]!.id, "file:p");
  assert.equal(JSON.parse(accepted[0]!.content).title, "Prometheus");
  assert.deepEqual(
    rejected.map((r) => r.relationId),
    [2, 3, 3],
  );
  assert.match(rejected[1]!.reason, /cannot be decompressed/);
  assert.match(rejected[2]!.reason, /no string 'content'/);
});

test("Grafana's event answer", () => {
  assert.equal(parseDashboardStatus(rel(1, {})), undefined);
  assert.deepEqual(parseDashboardStatus(rel(1, { event: '{"valid": false, "errors": [{"error": "x"}]}' })), {
    valid: false,
    errors: [{ error: "x" }],
  });
  assert.deepEqual(parseDashboardStatus(rel(1, { event: '{"errors": []}' })), { valid: true, errors: [] });
  assert.match((parseDashboardStatus(rel(1, { event: "{" })) as { error: string }).error, /'event'/);
});
