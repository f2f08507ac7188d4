import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { showConfigResult, validateConfigurationResult } from "./actions.js";
import { decide } from "./decide.js";
import { configOf } from "./config.test-support.js";

describe("validateConfigurationResult", () => {
  it("is valid on SUCCESS with no stderr", () => {
    assert.deepEqual(validateConfigurationResult({ exitCode: 0, stdout: "SUCCESS: ok\n", stderr: "" }), {
      result: "SUCCESS: ok\n",
      "error-message": "",
      valid: "True",
    });
  });
  it("is invalid with stderr or a non-zero exit", () => {
    assert.equal(
      validateConfigurationResult({ exitCode: 1, stdout: "", stderr: "FAILED: parsing" }).valid,
      "False",
    );
    assert.equal(validateConfigurationResult({ exitCode: 1, stdout: "x", stderr: "" }).valid, "False");
  });
});

describe("showConfigResult", () => {
  it("lists the config, the command and every rejection with its reason", () => {
    const decision = decide({
      config: configOf({ log_level: "loud" }),
      identity: {
        modelName: "m",
        modelUuid: "c2e9f4d5-dcb3-4870-8509-330eb9745ee8",
        appName: "p",
        unitName: "p/0",
      },
      fqdn: "h",
      storage: { error: "no storage" },
      jobs: [{ job_name: "j", tls_config: { key_file: "K" } }],
      ruleFiles: {},
      rejected: [{ relation: "metrics-endpoint:4", remoteApp: "zinc", reason: "scrape_jobs is not JSON" }],
      alertmanagers: [],
      prometheusMajor: 2,
    });
    const r = showConfigResult(decision, {
      configProblems: decision.configProblems,
      rejected: decision.rejected,
      apply: { kind: "ok" },
    });
    assert.match(r["prometheus-yml"]!, /job_name: prometheus/);
    assert.match(r.command!, /--log\.level=debug/);
    assert.deepEqual(r.rejected!.split("\n"), [
      `option log_level: config log_level="loud" is invalid: set one of debug, info, warn, error, fatal (using debug meanwhile)`,
      "relation metrics-endpoint:4 (zinc): scrape_jobs is not JSON",
      'job j: tls_config requires both "cert_file" and "key_file" if client authentication is to be used',
      "storage: no storage",
    ]);
    assert.match(r.statuses!, /^blocked: /);
  });
});
