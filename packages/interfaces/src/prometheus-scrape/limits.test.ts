/** Tests of the per-relation bounds' resolution. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_LIMITS, resolveLimits, utf8Bytes } from "./limits.js";

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
