import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { RelationSnapshot } from "@charmkit/ops";
import {
  allCertificates,
  buildProviderBags,
  buildRequirerAppData,
  parseTransferredCertificates,
} from "./index.js";

/** Outputs of the Python library itself (scripts/crosscheck/cos_libs.py). */
const PY = JSON.parse(
  readFileSync(
    join(import.meta.dirname, "../../../../testdata/python-libs/certificate_transfer.json"),
    "utf8",
  ),
) as { cases: { name: string; certificates?: string[]; expected: Record<string, string> }[] };
const py = (name: string) => PY.cases.find((c) => c.name === name)!;
const A = "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----";
const B = "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----";

function rel(
  id: number,
  app: Record<string, string>,
  units: Record<string, Record<string, string>> = {},
): RelationSnapshot {
  return {
    id,
    endpoint: "receive-remote-write",
    remoteApp: `ca${id}`,
    remoteAppData: app,
    remoteUnitsData: units,
  };
}

test("requirer bag and provider bags are the Python library's, v1 and v0", () => {
  assert.deepEqual(buildRequirerAppData(), py("requirer_app_data").expected);
  const v1 = buildProviderBags({ version: "1" }, [B, A]);
  // The library dumps a Python set, so its order is arbitrary: compare the list as a set.
  const expected = py("provider_v1_app_data").expected;
  assert.equal(v1.app?.version, expected.version);
  assert.deepEqual(
    JSON.parse(v1.app?.certificates ?? "").sort(),
    JSON.parse(expected.certificates ?? "").sort(),
  );
  assert.equal(v1.unit, undefined);
  assert.deepEqual(buildProviderBags({}, [B, A]), { unit: py("provider_v0_unit_data").expected });
});

test("requirer reads v1, falls back to v0 (JSON or plain, as old providers wrote it), de-duplicates and sorts", () => {
  const r = parseTransferredCertificates([
    rel(3, { certificates: JSON.stringify([B, A, A]), version: "1" }),
    rel(1, {}, { "ca1/0": py("provider_v0_unit_data").expected }),
    rel(2, {}, { "ca2/0": { ca: A, certificate: A } }),
    rel(4, {}),
  ]);
  assert.deepEqual(
    r.accepted.map((x) => [x.relationId, x.version, x.certificates]),
    [
      [1, 0, [A, B]],
      [2, 0, [A]],
      [3, 1, [A, B]],
    ],
  );
  assert.deepEqual(r.rejected, []);
  assert.deepEqual(allCertificates(r.accepted), [A, B]);
});

test("garbage is rejected per relation, naming the key; non-PEM entries are dropped and reported", () => {
  const r = parseTransferredCertificates([
    rel(1, { certificates: "[" }),
    rel(2, { certificates: '{"a": 1}' }),
    rel(3, {}, { "ca3/0": { chain: "[1]" } }),
    rel(4, { certificates: JSON.stringify([A, "hello"]) }),
  ]);
  assert.deepEqual(
    r.accepted.map((x) => [x.relationId, x.certificates]),
    [[4, [A]]],
  );
  assert.deepEqual(
    r.rejected.map((x) => [x.relationId, x.unit ?? null, /'(\w+)'|PEM/.exec(x.reason)?.[0]]),
    [
      [1, null, "'certificates'"],
      [2, null, "'certificates'"],
      [3, "ca3/0", "'chain'"],
      [4, null, "PEM"],
    ],
  );
});
