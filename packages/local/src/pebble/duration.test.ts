import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDuration, parseDuration } from "./duration.js";

test("parseDuration reads Go durations", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("4.000s"), 4000);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("250us"), 0.25);
  assert.equal(parseDuration("0"), 0);
  assert.throws(() => parseDuration("5"), /invalid duration "5"/);
  assert.throws(() => parseDuration("1x"), RangeError);
  assert.throws(() => parseDuration(""), RangeError);
});

test("formatDuration writes what Go's Duration.String() writes", () => {
  assert.equal(formatDuration(500), "500ms");
  assert.equal(formatDuration(4000), "4s");
  assert.equal(formatDuration(60_000), "1m0s");
  assert.equal(formatDuration(3_723_500), "1h2m3.5s");
  assert.equal(formatDuration(0), "0s");
  for (const ms of [1, 999, 1500, 61_000, 7_200_000]) assert.equal(parseDuration(formatDuration(ms)), ms);
});
