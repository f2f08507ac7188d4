// Pebble log forwarding through the local Pebble server: a real service's output reaches a Loki
// push receiver (the loki tester's workload) with the target's labels plus pebble_service, as
// Pebble's logstate sends it; a target switched off stops forwarding.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { after, before, test } from "node:test";
import { type Harness, startHarness } from "./test-helpers.js";

// The Loki tester's receiver, from its sources (which import the tester kit: hence tsx).
const RECEIVER = resolve(
  import.meta.dirname,
  "../../../../charms/testers/loki-tester/src/workload/receiver.mjs",
);
// A random high port: integration tests run two files at a time.
const PORT = 20_000 + Math.floor(Math.random() * 20_000);
let receiver: ChildProcess;
let h: Harness;

interface Stream {
  stream: Record<string, string>;
  values: [string, string][];
  userAgent: string;
}
async function received(): Promise<Stream[]> {
  const r = await fetch(`http://127.0.0.1:${PORT}/received`);
  return ((await r.json()) as { streams: Stream[] }).streams;
}
async function until<T>(probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  receiver = spawn(process.execPath, ["--import", "tsx", RECEIVER, "--listen", `127.0.0.1:${PORT}`], {
    stdio: "ignore",
  });
  await until(async () => ((await fetch(`http://127.0.0.1:${PORT}/ready`)).ok ? true : undefined));
  h = await startHarness();
});
after(async () => {
  await h?.close();
  receiver?.kill();
});

test("a service's lines go to the Loki target with its labels, $VARs from the service environment", async () => {
  const script = 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done';
  await h.client.addLayer(
    "svc",
    {
      services: {
        ticker: {
          override: "replace",
          command: `sh -c '${script}'`,
          startup: "enabled",
          environment: { ZONE: "z9" },
        },
      },
      "log-targets": {
        "loki/0": {
          override: "replace",
          type: "loki",
          location: `http://127.0.0.1:${PORT}/loki/api/v1/push`,
          services: ["all"],
          labels: { juju_unit: "prometheus/0", zone: "$ZONE" },
        },
      },
    },
    { combine: true },
  );
  await h.client.replan();
  const streams = await until(async () => {
    const s = await received();
    return s.some((x) => x.values.some(([, l]) => /^tick \d+$/.test(l))) ? s : undefined;
  });
  const mine = streams.find((x) => x.stream.pebble_service === "ticker");
  assert.ok(mine);
  assert.deepEqual(mine.stream, { juju_unit: "prometheus/0", zone: "z9", pebble_service: "ticker" });
  assert.match(mine.userAgent, /^pebble\//);
  assert.match(mine.values[0]?.[0] ?? "", /^\d{19}$/, "unix nanoseconds");

  // Switched off as LogForwarder does for a Loki unit that left: nothing more arrives.
  await h.client.addLayer(
    "off",
    {
      "log-targets": {
        "loki/0": { override: "replace", type: "loki", location: "(removed)", services: ["-all"] },
      },
    },
    { combine: true },
  );
  await new Promise((r) => setTimeout(r, 1500));
  const count = (await received()).reduce((n, s) => n + s.values.length, 0);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(
    (await received()).reduce((n, s) => n + s.values.length, 0),
    count,
  );
});
