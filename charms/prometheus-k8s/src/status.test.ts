import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configOf } from "./config.test-support.js";
import { type ApplyOutcome, deriveStatus, type Findings } from "./status.js";

const OK: Findings = { configProblems: [], rejected: [], apply: { kind: "ok" } };

describe("deriveStatus", () => {
  it("is active with no message when nothing is wrong", () => {
    assert.deepEqual(deriveStatus(OK), { name: "active", message: "" });
  });

  it("maps every apply outcome to a status that says what to do", () => {
    const cases: [ApplyOutcome, string, RegExp][] = [
      [{ kind: "no-container" }, "waiting", /container/],
      [
        { kind: "push-failed", detail: "EIO" },
        "blocked",
        /\(EIO\); check the container, then run juju resolve or wait for update-status$/,
      ],
      [
        { kind: "invalid-config", detail: "FAILED: parsing YAML\nmore" },
        "blocked",
        /previous config kept: FAILED: parsing YAML; run the show-config/,
      ],
      [{ kind: "validate-failed", detail: "no such file" }, "blocked", /promtool/],
      [{ kind: "restart-failed", detail: "exited" }, "blocked", /validate-configuration/],
      [{ kind: "reload-pending" }, "maintenance", /retry on update-status/],
      [{ kind: "reload-failed", detail: "HTTP 500" }, "blocked", /HTTP 500.*validate-configuration/],
    ];
    for (const [apply, name, re] of cases) {
      const s = deriveStatus({ ...OK, apply });
      assert.equal(s.name, name, apply.kind);
      assert.match(s.message, re, apply.kind);
    }
  });

  it("reports config problems by option name", () => {
    const { problems } = configOf({ metrics_retention_time: "1x" });
    const s = deriveStatus({ ...OK, configProblems: problems });
    assert.equal(s.name, "blocked");
    assert.match(s.message, /metrics_retention_time="1x"/);
  });

  it("names rejected relations and their application", () => {
    const s = deriveStatus({
      ...OK,
      rejected: [
        { relation: "metrics-endpoint:7", remoteApp: "zinc", reason: "scrape_jobs is not valid JSON" },
      ],
    });
    assert.equal(s.name, "blocked");
    assert.match(s.message, /metrics-endpoint:7 \(zinc\): scrape_jobs is not valid JSON; fix/);
  });

  it("picks the worst status and counts the others", () => {
    const s = deriveStatus({
      configProblems: configOf({ log_level: "x" }).problems,
      retentionSizeError: "ENOENT",
      rejected: [{ relation: "alertmanager:3", reason: "r" }],
      apply: { kind: "reload-pending" },
    });
    assert.equal(s.name, "blocked");
    assert.match(s.message, /^config log_level="x"/);
    assert.match(s.message, /\(\+3 more; run the show-config action\)$/);
  });

  it("keeps maintenance when it is the only finding", () => {
    assert.equal(deriveStatus({ ...OK, apply: { kind: "reload-pending" } }).name, "maintenance");
  });
});
