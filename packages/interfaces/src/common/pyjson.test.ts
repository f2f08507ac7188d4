import assert from "node:assert/strict";
import { test } from "node:test";
import { PyJsonError, pyJsonDumps } from "./pyjson.js";
import { compareUnitNames, parseJsonValue } from "./result.js";
import { ensureScheme, joinUrl, splitUrl } from "./url.js";

test("pyJsonDumps uses Python's default separators and insertion order", () => {
  assert.equal(
    pyJsonDumps({ b: 1, a: [true, null, "x"], c: {} }),
    '{"b": 1, "a": [true, null, "x"], "c": {}}',
  );
  assert.equal(pyJsonDumps([]), "[]");
});

test("pyJsonDumps escapes like ensure_ascii=True", () => {
  assert.equal(pyJsonDumps('é\u2603\n\t"\\/\u007f'), '"\\u00e9\\u2603\\n\\t\\"\\\\/\\u007f"');
  assert.equal(pyJsonDumps("😀"), '"\\ud83d\\ude00"');
  assert.equal(pyJsonDumps("\u0001"), '"\\u0001"');
});

test("pyJsonDumps numbers: integers bare, floats in Python repr", () => {
  assert.equal(pyJsonDumps(9090), "9090");
  assert.equal(pyJsonDumps(0.5), "0.5");
  assert.equal(pyJsonDumps(1e-7), "1e-07");
  assert.equal(pyJsonDumps(1.5e-300), "1.5e-300");
  assert.equal(pyJsonDumps(0.0001), "0.0001");
  assert.equal(pyJsonDumps(0.00001), "1e-05");
  assert.throws(() => pyJsonDumps(Number.NaN), PyJsonError);
});

test("pyJsonDumps skips undefined members", () => {
  assert.equal(pyJsonDumps({ a: undefined, b: 2 }), '{"b": 2}');
});

test("parseJsonValue names the key instead of throwing", () => {
  const r = parseJsonValue("datasource_uids", "{nope");
  assert.equal(r.ok, false);
  assert.match((r as { error: string }).error, /^'datasource_uids' is not valid JSON/);
});

test("compareUnitNames orders unit numbers numerically", () => {
  assert.deepEqual(["a/10", "a/2", "b/0", "a/1"].sort(compareUnitNames), ["a/1", "a/2", "a/10", "b/0"]);
});

test("ensureScheme and joinUrl", () => {
  assert.equal(ensureScheme("h:9090"), "http://h:9090");
  assert.equal(ensureScheme("https://h"), "https://h");
  assert.equal(joinUrl("http://h/p/", "/api"), "http://h/p/api");
});

test("splitUrl keeps what Python's urlparse keeps", () => {
  assert.deepEqual(splitUrl("http://User@Host.EXAMPLE:80/x?q#f"), {
    scheme: "http",
    netloc: "User@Host.EXAMPLE:80",
    hostname: "host.example",
    port: 80,
    path: "/x",
  });
  assert.deepEqual(splitUrl("https://[::1]:9093"), {
    scheme: "https",
    netloc: "[::1]:9093",
    hostname: "::1",
    port: 9093,
    path: "",
  });
  assert.equal(splitUrl("no-scheme:9093"), undefined);
  assert.equal(splitUrl("http://h:99999/"), undefined);
  assert.equal(splitUrl("http://h:x/"), undefined);
});
