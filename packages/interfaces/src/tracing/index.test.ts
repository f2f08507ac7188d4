import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { RelationSnapshot } from "@charmkit/ops";
import {
  buildProviderAppData,
  buildRequirerAppData,
  endpointFor,
  parseProviderReceivers,
  parseRequestedProtocols,
} from "./index.js";

/** Outputs of the Python library itself (scripts/crosscheck/cos_libs.py). */
const PY = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../../../testdata/python-libs/tracing.json"), "utf8"),
) as {
  cases: { name: string; expected: Record<string, string> }[];
};
const py = (name: string) => PY.cases.find((c) => c.name === name)!.expected;
const TEMPO = "tempo-0.tempo-endpoints.cos.svc.cluster.local";

function rel(id: number, app: Record<string, string>): RelationSnapshot {
  return { id, endpoint: "workload-tracing", remoteApp: "tempo", remoteAppData: app, remoteUnitsData: {} };
}

test("both bags are byte for byte the Python library's", () => {
  assert.deepEqual(buildRequirerAppData(["otlp_grpc"]), py("requirer_otlp_grpc"));
  assert.deepEqual(buildRequirerAppData(["otlp_http"]), py("requirer_otlp_http"));
  assert.deepEqual(
    buildProviderAppData([
      { protocol: "otlp_grpc", url: `${TEMPO}:4317` },
      { protocol: "otlp_http", url: `http://${TEMPO}:4318` },
    ]),
    py("provider_two_receivers"),
  );
  assert.throws(() => buildRequirerAppData([]), /at least one/);
});

test("requirer: the first receiver of the protocol; not-yet-answered relations skipped; garbage rejected", () => {
  const r = parseProviderReceivers([
    rel(1, py("provider_two_receivers")),
    rel(2, {}),
    rel(3, { receivers: "[" }),
    rel(4, { receivers: '[{"protocol": {"name": "otlp_grpc", "type": "udp"}, "url": "x"}]' }),
    rel(5, { receivers: '[{"url": "x"}]' }),
  ]);
  assert.deepEqual(
    r.accepted.map((x) => x.relationId),
    [1],
  );
  assert.deepEqual(
    r.rejected.map((x) => x.relationId),
    [3, 4, 5],
  );
  const receivers = r.accepted[0]!.receivers;
  assert.equal(endpointFor(receivers, "otlp_grpc"), `${TEMPO}:4317`);
  assert.equal(endpointFor(receivers, "otlp_http"), `http://${TEMPO}:4318`);
  assert.equal(endpointFor(receivers, "zipkin"), undefined);
});

test("provider: what each requirer asked for", () => {
  const r = parseRequestedProtocols([
    rel(1, py("requirer_otlp_grpc")),
    rel(2, { receivers: '["a", 1]' }),
    rel(3, {}),
  ]);
  assert.deepEqual(
    r.accepted.map((x) => [x.relationId, x.protocols]),
    [[1, ["otlp_grpc"]]],
  );
  assert.deepEqual(
    r.rejected.map((x) => x.relationId),
    [2],
  );
});

test("charm tracing destination follows ops-tracing: otlp_http + /v1/traces, https only with the transferred CAs", async () => {
  const { charmTracingDestination } = await import("./index.js");
  const http = [{ protocol: "otlp_http", transport: "http" as const, url: "http://tempo:4318/" }];
  const https = [{ protocol: "otlp_http", transport: "http" as const, url: "https://tempo:4318" }];
  const grpcOnly = [{ protocol: "otlp_grpc", transport: "grpc" as const, url: "tempo:4317" }];
  assert.deepEqual(charmTracingDestination(http, ["CA"]), { url: "http://tempo:4318/v1/traces" });
  assert.deepEqual(charmTracingDestination(https, ["B", "A"]), {
    url: "https://tempo:4318/v1/traces",
    ca: "A\nB",
  });
  assert.equal(charmTracingDestination(https, []), undefined, "https waits for a CA");
  assert.deepEqual(charmTracingDestination(https, undefined), { url: "https://tempo:4318/v1/traces" });
  assert.equal(charmTracingDestination(grpcOnly, undefined), undefined);
  assert.equal(
    charmTracingDestination([{ protocol: "otlp_http", transport: "http", url: "tempo:4318" }], undefined),
    undefined,
  );
  assert.equal(charmTracingDestination(undefined, undefined), undefined);
});
