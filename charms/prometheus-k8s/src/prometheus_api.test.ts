// Reading Prometheus' version string. The HTTP side (reload and its confirmation) is tested
// against a server on a socket in prometheus_api.int.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { majorVersion, parseVersion } from "./prometheus_api.js";

describe("parseVersion", () => {
  it("reads the Debian and upstream formats", () => {
    assert.equal(
      parseVersion("prometheus, version 2.42.0+ds (branch: debian/sid, revision: 2.42.0+ds-1)"),
      "2.42.0",
    );
    assert.equal(parseVersion("prometheus, version 3.11.1 (branch: HEAD)"), "3.11.1");
    assert.equal(parseVersion("garbage"), undefined);
  });
  it("derives the major version, 3 when unknown", () => {
    assert.equal(majorVersion("2.42.0"), 2);
    assert.equal(majorVersion(undefined), 3);
  });
});
