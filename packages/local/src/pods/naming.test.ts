// Pod names, addresses and hosts files: what Kubernetes would call the pod, how its /etc/hosts reads,
// and how a model's block in the host's /etc/hosts is replaced without touching anything else.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bridgeName,
  hostBlock,
  hostVethName,
  modelKey,
  netnsName,
  parseHostsFile,
  podAddress,
  podHostsFile,
  unitFqdn,
  unitTag,
  withHostBlock,
} from "./naming.js";

test("a unit's names follow Kubernetes and Juju: pod <app>-<n>, FQDN in <app>-endpoints, tag unit-<app>-<n>", () => {
  assert.equal(unitFqdn("prometheus/0", "cos"), "prometheus-0.prometheus-endpoints.cos.svc.cluster.local");
  assert.equal(unitFqdn("targets-a/12", "m"), "targets-a-12.targets-a-endpoints.m.svc.cluster.local");
  assert.equal(unitTag("targets-a/12"), "unit-targets-a-12");
});

test("host-wide names carry the model's key and fit an interface name", () => {
  const key = modelKey("/tmp/some/home");
  assert.match(key, /^[0-9a-f]{6}$/);
  assert.notEqual(key, modelKey("/tmp/other/home"));
  assert.equal(netnsName(key, "a/3"), `charmkit-${key}-a-3`);
  for (const name of [bridgeName(key), hostVethName(key, "10.100.255.254")]) {
    assert.ok(name.length <= 15, `${name} is a valid interface name`);
    assert.ok(name.includes(key));
  }
  assert.notEqual(hostVethName(key, "10.100.1.2"), hostVethName(key, "10.100.2.1"));
});

test("addresses: 10.<model>.<app index>.<unit + 1>, refused outside the /16", () => {
  assert.equal(podAddress({ octet: 123 }, 4, 0), "10.123.4.1");
  assert.throws(() => podAddress({ octet: 123 }, 256, 0), /application index/);
  assert.throws(() => podAddress({ octet: 123 }, 1, 254), /unit number/);
});

test("a pod's hosts file gives its FQDN first, then its host name, then the other units", () => {
  const all = [
    { unit: "b/0", address: "10.1.2.1" },
    { unit: "a/0", address: "10.1.1.1" },
  ];
  const text = podHostsFile({ unit: "a/0", address: "10.1.1.1" }, all, "m");
  const lines = text.trim().split("\n");
  assert.ok(lines.includes("127.0.0.1\tlocalhost"));
  // socket.getfqdn() takes the first name of the line that holds the host name.
  assert.ok(lines.includes("10.1.1.1\ta-0.a-endpoints.m.svc.cluster.local\ta-0"));
  assert.ok(lines.includes("10.1.2.1\tb-0.b-endpoints.m.svc.cluster.local"));
  assert.equal(lines.filter((l) => l.includes("a-0")).length, 1);
  // The own address's first line is the pod's: Service lines come after it.
  assert.ok(
    lines.indexOf("10.1.1.1\ta.m.svc.cluster.local\ta-endpoints.m.svc.cluster.local") >
      lines.indexOf("10.1.1.1\ta-0.a-endpoints.m.svc.cluster.local\ta-0"),
  );
  assert.ok(lines.includes("10.1.2.1\tb.m.svc.cluster.local\tb-endpoints.m.svc.cluster.local"));
  assert.ok(!lines.some((l) => /\tb-0$/.test(l)), "other pods' short names do not resolve, as on Kubernetes");
});

test("the host block of a model replaces its previous one and keeps other lines and models", () => {
  const base = "127.0.0.1\tlocalhost\n10.9.9.9\tmine.example\n";
  const m1 = withHostBlock(
    base,
    "aaaaaa",
    hostBlock("aaaaaa", "/h/one", [{ unit: "p/0", address: "10.1.1.1" }], "one"),
  );
  const m2 = withHostBlock(
    m1,
    "bbbbbb",
    hostBlock("bbbbbb", "/h/two", [{ unit: "p/0", address: "10.2.1.1" }], "two"),
  );
  const again = withHostBlock(
    m2,
    "aaaaaa",
    hostBlock("aaaaaa", "/h/one", [{ unit: "q/1", address: "10.1.2.2" }], "one"),
  );
  const parsed = parseHostsFile(again);
  assert.deepEqual(parsed.rest, ["127.0.0.1\tlocalhost", "10.9.9.9\tmine.example"]);
  assert.deepEqual(
    parsed.blocks.map((b) => [b.key, b.model, b.home, b.names]),
    [
      [
        "bbbbbb",
        "two",
        "/h/two",
        [
          "p-0.p-endpoints.two.svc.cluster.local",
          "p.two.svc.cluster.local",
          "p-endpoints.two.svc.cluster.local",
        ],
      ],
      [
        "aaaaaa",
        "one",
        "/h/one",
        [
          "q-1.q-endpoints.one.svc.cluster.local",
          "q.one.svc.cluster.local",
          "q-endpoints.one.svc.cluster.local",
        ],
      ],
    ],
  );
  const removed = withHostBlock(again, "aaaaaa", undefined);
  assert.deepEqual(
    parseHostsFile(removed).blocks.map((b) => b.key),
    ["bbbbbb"],
  );
  assert.equal(withHostBlock(withHostBlock(removed, "bbbbbb", undefined), "x", undefined), base);
});
