/** Tests of the per-relation bounds' resolution. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_LIMITS, jsonDepthExceeds, resolveLimits, utf8Bytes } from "./limits.js";

test("defaults when nothing is given; overrides apply per field", () => {
  assert.equal(resolveLimits(), DEFAULT_LIMITS);
  const l = resolveLimits({ maxJobs: 3 });
  assert.equal(l.maxJobs, 3);
  assert.equal(l.maxRules, DEFAULT_LIMITS.maxRules);
});

test("invalid overrides are ignored rather than disabling a bound", () => {
  const l = resolveLimits({ maxJobs: 0, maxRules: -1, maxGroups: 1.5 });
  assert.equal(l.maxJobs, DEFAULT_LIMITS.maxJobs);
  assert.equal(l.maxRules, DEFAULT_LIMITS.maxRules);
  assert.equal(l.maxGroups, DEFAULT_LIMITS.maxGroups);
});

test("sizes are UTF-8 bytes", () => {
  assert.equal(utf8Bytes("é"), 2);
  assert.equal(utf8Bytes("abc"), 3);
});

test("JSON nesting is measured on the text, brackets in strings and escapes included", () => {
  assert.equal(jsonDepthExceeds(`${"[".repeat(10_000)}${"]".repeat(10_000)}`, 64), true);
  assert.equal(jsonDepthExceeds('{"a":[{"b":[1,2]}]}', 4), false);
  assert.equal(jsonDepthExceeds('{"a":[{"b":[1,2]}]}', 3), true);
  assert.equal(jsonDepthExceeds('["[[[[[[", "]]]{{{"]', 1), false, "brackets inside strings do not count");
  assert.equal(jsonDepthExceeds('["a\\"[[[[", 1]', 1), false, "an escaped quote does not end the string");
  assert.equal(jsonDepthExceeds('["x\\\\", [[]]]', 2), true, "an escaped backslash before a quote does");
});
