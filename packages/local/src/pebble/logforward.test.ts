import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Plan } from "@charmkit/ops/pebble";
import { expandEnv, LogForwarder, logsTo, MAX_REQUEST_ENTRIES } from "./logforward.js";

const plan = (
  targets: Plan["log-targets"],
  services: Plan["services"] = {
    prometheus: { command: "p", environment: { ZONE: "z1" } },
    other: { command: "o" },
  },
): Plan => ({ services, "log-targets": targets }) as Plan;

function recorder(status = 204) {
  const posts: {
    url: string;
    body: { streams: { stream: Record<string, string>; values: [string, string][] }[] };
    ua: string;
  }[] = [];
  return {
    posts,
    post: async (url: string, body: string, ua: string) => {
      posts.push({ url, body: JSON.parse(body), ua });
      return status;
    },
  };
}

describe("Pebble's selection and label rules", () => {
  test("LogsTo reads the list backwards (plan.go)", () => {
    assert.equal(logsTo("a", ["all"]), true);
    assert.equal(logsTo("a", ["-all"]), false);
    assert.equal(logsTo("a", ["all", "-a"]), false);
    assert.equal(logsTo("a", ["-all", "a"]), true);
    assert.equal(logsTo("a", ["b"]), false);
    assert.equal(logsTo("a", []), false);
  });
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Pebble's ${VAR} syntax, named in the title
  test("labels expand $VAR and ${VAR} from the service environment, unset ones to empty", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Pebble's ${VAR} syntax is the input
    assert.equal(expandEnv("zone-$ZONE/${ZONE}/$NOPE.", { ZONE: "z1" }), "zone-z1/z1/.");
  });
});

describe("forwarding to Loki", () => {
  test("streams per service with the target's labels plus pebble_service, sorted; only selected services", async () => {
    const r = recorder();
    const f = new LogForwarder({ userAgent: "pebble/1.19.0", post: r.post });
    f.planChanged(
      plan({
        "loki/0": {
          override: "replace",
          type: "loki",
          location: "http://loki:3100/loki/api/v1/push",
          services: ["all", "-other"],
          labels: { juju_unit: "p/0", zone: "$ZONE" },
        },
      }),
    );
    const t = new Date("2030-01-01T00:00:00.000Z");
    f.line("prometheus", "level=info msg=started", t);
    f.line("other", "not forwarded", t);
    f.line("prometheus", "second\n", new Date(t.getTime() + 1));
    await f.flush();
    assert.equal(r.posts.length, 1);
    assert.equal(r.posts[0]?.ua, "pebble/1.19.0");
    assert.equal(r.posts[0]?.url, "http://loki:3100/loki/api/v1/push");
    assert.deepEqual(r.posts[0]?.body, {
      streams: [
        {
          stream: { juju_unit: "p/0", zone: "z1", pebble_service: "prometheus" },
          values: [
            ["1893456000000000000", "level=info msg=started"],
            ["1893456000001000000", "second"],
          ],
        },
      ],
    });
  });

  test("a disabled target (services: [-all], as LogForwarder switches one off) forwards nothing; removing a target flushes it", async () => {
    const r = recorder();
    const f = new LogForwarder({ userAgent: "pebble/x", post: r.post });
    f.planChanged(
      plan({ "loki/1": { override: "replace", type: "loki", location: "(removed)", services: ["-all"] } }),
    );
    f.line("prometheus", "x");
    await f.flush();
    assert.equal(r.posts.length, 0);
    f.planChanged(
      plan({ t: { override: "replace", type: "loki", location: "http://l/push", services: ["prometheus"] } }),
    );
    f.line("prometheus", "kept until the target goes");
    f.planChanged(plan({}));
    await new Promise((res) => setImmediate(res));
    await f.stop();
    assert.equal(r.posts.length, 1);
  });

  test("at most 100 entries are kept; 5xx keeps them for the next flush, other 4xx drops them", async () => {
    let status = 503;
    const posts: number[] = [];
    const f = new LogForwarder({
      userAgent: "pebble/x",
      post: async (_u, body) => {
        posts.push((JSON.parse(body) as { streams: { values: unknown[] }[] }).streams[0]?.values.length ?? 0);
        return status;
      },
    });
    f.planChanged(
      plan({ t: { override: "replace", type: "loki", location: "http://l/push", services: ["all"] } }),
    );
    for (let i = 0; i < MAX_REQUEST_ENTRIES - 1; i++) f.line("prometheus", `line ${i}`);
    await f.flush();
    assert.deepEqual(posts, [99]);
    await f.flush();
    assert.deepEqual(posts, [99, 99], "kept after a 5xx");
    for (let i = 0; i < 10; i++) f.line("prometheus", `more ${i}`);
    status = 400;
    await f.flush();
    assert.equal(posts.at(-1), MAX_REQUEST_ENTRIES, "the oldest were dropped to keep 100");
    await f.flush();
    assert.equal(posts.length, 3, "dropped after a 400: nothing left to send");
  });

  test("types other than loki are accepted and not forwarded", async () => {
    const lines: string[] = [];
    const r = recorder();
    const f = new LogForwarder({ userAgent: "pebble/x", post: r.post, log: (l) => lines.push(l) });
    f.planChanged(
      plan({ s: { override: "replace", type: "syslog", location: "tcp://h:514", services: ["all"] } }),
    );
    f.line("prometheus", "x");
    await f.flush();
    assert.equal(r.posts.length, 0);
    assert.match(lines.join(), /not forwarded/);
  });
});
