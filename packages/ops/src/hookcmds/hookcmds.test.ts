// Unit tests of the hook-command layer: exact argv, stdin and output parsing of every tool,
// and the mapping of failures to typed errors, with an injected spawn function.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  HookCommandError,
  HookOutputError,
  PermissionDeniedError,
  RelationNotFoundError,
  SecretNotFoundError,
} from "../errors.js";
import { ProcessHookTools, parsePort, type SpawnFn, type SpawnResult } from "./index.js";

interface Call {
  cmd: string;
  args: string[];
  input: string | undefined;
}

/** A spawn that records calls and answers from a table keyed by "cmd argv...". */
function recorder(answers: Record<string, string | SpawnResult> = {}, onCall?: (c: Call) => void) {
  const calls: Call[] = [];
  const spawn: SpawnFn = (cmd, args, input) => {
    const c = { cmd, args: [...args], input };
    calls.push(c);
    onCall?.(c);
    const a = answers[[cmd, ...args].join(" ")] ?? answers[cmd] ?? "";
    return typeof a === "string" ? { status: 0, stdout: a, stderr: "" } : a;
  };
  return { calls, tools: new ProcessHookTools({ spawn }) };
}

const fail = (status: number, stderr: string): SpawnResult => ({ status, stdout: "", stderr });

describe("relation tools", () => {
  test("relation-ids parses ids after the colon, sorted", () => {
    const { calls, tools } = recorder({ "relation-ids": '["db:7","db:3"]' });
    assert.deepEqual(tools.relationIds("db"), [3, 7]);
    assert.deepEqual(calls[0], { cmd: "relation-ids", args: ["db", "--format=json"], input: undefined });
  });
  test("relation-list and --app use endpoint:id", () => {
    const { calls, tools } = recorder({
      "relation-list --format=json -r db:3": '["pg/1","pg/0"]',
      "relation-list --format=json --app -r db:3": '"pg"',
    });
    assert.deepEqual(tools.relationList(3, "db"), ["pg/1", "pg/0"]);
    assert.equal(tools.relationRemoteApp(3, "db"), "pg");
    assert.deepEqual(calls[1]?.args, ["--format=json", "--app", "-r", "db:3"]);
  });
  test("relation-get unit and app bags; non-string values rejected", () => {
    const { calls, tools } = recorder({
      "relation-get --format=json -r db:3 - pg/0": '{"a":"1"}',
      "relation-get --format=json -r db:3 --app - pg": '{"b":"2"}',
      "relation-get --format=json -r db:3 - pg/9": '{"n":1}',
    });
    assert.deepEqual(tools.relationGet(3, "db", "pg/0", false), { a: "1" });
    assert.deepEqual(tools.relationGet(3, "db", "pg", true), { b: "2" });
    assert.deepEqual(calls[1]?.args, ["--format=json", "-r", "db:3", "--app", "-", "pg"]);
    assert.throws(() => tools.relationGet(3, "db", "pg/9", false), HookOutputError);
  });
  test("relation-set sends JSON on stdin with --file -", () => {
    const { calls, tools } = recorder();
    tools.relationSet(3, "db", { k: "v w", gone: "" }, true);
    assert.deepEqual(calls[0]?.args, ["-r", "db:3", "--app", "--file", "-"]);
    assert.deepEqual(JSON.parse(calls[0]?.input ?? ""), { k: "v w", gone: "" });
  });
  test("relation-model-get", () => {
    const { calls, tools } = recorder({ "relation-model-get": '{"uuid":"u-1"}' });
    assert.deepEqual(tools.relationModelGet(3, "db"), { uuid: "u-1" });
    assert.deepEqual(calls[0]?.args, ["--format=json", "-r", "db:3"]);
  });
});

describe("config, leader, status, logging", () => {
  test("config-get keeps scalars and drops nulls", () => {
    const { tools } = recorder({ "config-get": '{"port":8080,"debug":false,"name":"x","unset":null}' });
    assert.deepEqual(tools.configGet(), { port: 8080, debug: false, name: "x" });
  });
  test("is-leader must be a boolean", () => {
    assert.equal(recorder({ "is-leader": "true\n" }).tools.isLeader(), true);
    assert.throws(() => recorder({ "is-leader": '"yes"' }).tools.isLeader(), HookOutputError);
  });
  // juju/juju worker/uniter/runner/jujuc/status-get.go ApplicationStatus: `units` is a key of
  // the `application-status` map, not of the top-level object.
  test("status-get unit and app forms; the app form's units sit inside application-status", () => {
    const { calls, tools } = recorder({
      "status-get --include-data --format=json --application=false":
        '{"status":"active","message":"ok","status-data":{}}',
      "status-get --include-data --format=json --application=true":
        '{"application-status":{"status":"blocked","message":"m","status-data":{},"units":{"a/0":{"status":"waiting","message":"w","status-data":{}}}}}',
    });
    assert.deepEqual(tools.statusGet(), { status: "active", message: "ok", data: {} });
    const app = tools.statusGet(true);
    assert.equal(app.app.status, "blocked");
    assert.equal(app.units["a/0"]?.status, "waiting");
    assert.equal(calls.length, 2);
  });
  test("status-set prints Python-style booleans and puts -- before the message", () => {
    const { calls, tools } = recorder();
    tools.statusSet("blocked", "-x needs fixing", true);
    tools.statusSet("active", "");
    assert.deepEqual(calls[0]?.args, ["--application=True", "blocked", "--", "-x needs fixing"]);
    assert.deepEqual(calls[1]?.args, ["--application=False", "active", "--", ""]);
  });
  test("application-version-set and juju-log use --; long messages are split", () => {
    const { calls, tools } = recorder();
    tools.applicationVersionSet("-1.0");
    tools.jujuLog("WARNING", "x".repeat(131071 + 5));
    assert.deepEqual(calls[0]?.args, ["--", "-1.0"]);
    assert.equal(calls.length, 3);
    assert.deepEqual(calls[1]?.args.slice(0, 3), ["--log-level", "WARNING", "--"]);
    assert.equal(calls[2]?.args[3], "xxxxx");
  });
});

describe("action tools", () => {
  test("action-get, action-set sorted k=v, action-log/-fail with --", () => {
    const { calls, tools } = recorder({ "action-get": '{"name":"x","nested":{"a":1}}' });
    assert.deepEqual(tools.actionGet(), { name: "x", nested: { a: 1 } });
    tools.actionSet({ "z.b": "2", a: "hello world" });
    tools.actionLog("-progress");
    tools.actionFail("--bad");
    tools.actionFail();
    assert.deepEqual(
      calls.slice(1).map((c) => [c.cmd, ...c.args]),
      [
        ["action-set", "a=hello world", "z.b=2"],
        ["action-log", "--", "-progress"],
        ["action-fail", "--", "--bad"],
        ["action-fail"],
      ],
    );
  });
});

// juju/juju worker/uniter/runner/jujuc/action-set.go Init: the key is split on "." and each
// segment must match internal/charm/actions.go actionNameRule `^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`
// and must not be one of reservedKeys (stdout, stdout-encoding, stderr, stderr-encoding).
describe("action-set key rules", () => {
  test("every dotted segment is checked; empty, dotted-edge and uppercase segments are refused", () => {
    for (const bad of ["a..b", "a.", ".a", "a.-b", "a.b-", "A", "a.B", "a_b", "a.b c"]) {
      const { calls, tools } = recorder();
      assert.throws(() => tools.actionSet({ [bad]: "1" }), HookCommandError, bad);
      assert.equal(calls.length, 0, `${bad}: nothing sent`);
    }
    const { calls, tools } = recorder();
    tools.actionSet({ "outfile.size": "10G", "a-1.b2.c": "x", "0": "zero" });
    assert.equal(calls.length, 1);
  });
  test("stdout, stdout-encoding, stderr, stderr-encoding are reserved as any segment", () => {
    for (const bad of ["stdout", "stderr", "stdout-encoding", "stderr-encoding", "a.stdout", "stderr.b"]) {
      const { calls, tools } = recorder();
      assert.throws(() => tools.actionSet({ [bad]: "1" }), /reserved/, bad);
      assert.equal(calls.length, 0);
    }
    const { calls, tools } = recorder();
    tools.actionSet({ "my-stdout": "1", "stdout2.x": "2" });
    assert.equal(calls.length, 1);
  });
});

describe("network and ports", () => {
  test("network-get with bare relation id, old `address` key accepted", () => {
    const { calls, tools } = recorder({
      "network-get":
        '{"bind-addresses":[{"interface-name":"eth0","mac-address":"","addresses":[{"address":"10.0.0.1","cidr":"10.0.0.0/24"}]}],"ingress-addresses":["10.0.0.2"],"egress-subnets":["10.0.0.2/32"]}',
    });
    const n = tools.networkGet("metrics", 4);
    assert.deepEqual(calls[0]?.args, ["--format=json", "-r", "4", "metrics"]);
    assert.equal(n.bindAddresses[0]?.addresses[0]?.value, "10.0.0.1");
    assert.deepEqual(n.ingressAddresses, ["10.0.0.2"]);
  });
  test("open/close-port formats, opened-ports parsing", () => {
    const { calls, tools } = recorder({
      "opened-ports": '["80/tcp","8000-8999/udp","icmp","9090","81/tcp (a,b)"]',
    });
    tools.openPort({ protocol: "tcp", port: 8080 });
    tools.openPort({ protocol: "udp", port: 8000, toPort: 8999, endpoints: ["a", "b"] });
    tools.closePort({ protocol: "icmp" });
    assert.deepEqual(
      calls.map((c) => [c.cmd, ...c.args]),
      [
        ["open-port", "8080/tcp"],
        ["open-port", "8000-8999/udp", "--endpoints", "a,b"],
        ["close-port", "icmp"],
      ],
    );
    assert.deepEqual(tools.openedPorts(), [
      { protocol: "tcp", port: 80, toPort: undefined, endpoints: undefined },
      { protocol: "udp", port: 8000, toPort: 8999, endpoints: undefined },
      { protocol: "icmp", endpoints: undefined },
      { protocol: "tcp", port: 9090, toPort: undefined, endpoints: undefined },
      { protocol: "tcp", port: 81, toPort: undefined, endpoints: ["a", "b"] },
    ]);
    assert.throws(() => parsePort("80/sctp"), HookOutputError);
  });
});

describe("storage tools", () => {
  test("storage-list, storage-get -s, storage-add", () => {
    const { calls, tools } = recorder({
      "storage-list": '["data/0"]',
      "storage-get": '{"kind":"filesystem","location":"/var/lib/juju/storage/data/0"}',
    });
    assert.deepEqual(tools.storageList("data"), ["data/0"]);
    assert.equal(tools.storageGet("data/0").location, "/var/lib/juju/storage/data/0");
    tools.storageAdd({ logs: 1, data: 2 });
    assert.deepEqual(
      calls.map((c) => [c.cmd, ...c.args]),
      [
        ["storage-list", "--format=json", "data"],
        ["storage-get", "--format=json", "-s", "data/0"],
        ["storage-add", "data=2", "logs=1"],
      ],
    );
  });
});

describe("secret tools", () => {
  test("secret-add writes content to 0600 files named on argv, removes them after", () => {
    let seen: { path: string; content: string; mode: number } | undefined;
    const { calls, tools } = recorder({ "secret-add": "secret://m/abc\n" }, (c) => {
      const spec = c.args.find((a) => a.includes("#file="));
      if (!spec) return;
      const path = spec.slice(spec.indexOf("#file=") + 6);
      seen = { path, content: readFileSync(path, "utf8"), mode: statSync(path).mode & 0o777 };
    });
    const id = tools.secretAdd({
      content: { password: "p@ss word" },
      label: "admin",
      description: "d",
      expire: new Date("2030-01-01T00:00:00Z"),
      rotate: "daily",
      owner: "application",
    });
    assert.equal(id, "secret://m/abc");
    assert.deepEqual(calls[0]?.args.slice(0, 10), [
      "--label",
      "admin",
      "--description",
      "d",
      "--expire",
      "2030-01-01T00:00:00.000Z",
      "--rotate",
      "daily",
      "--owner",
      "application",
    ]);
    assert.equal(seen?.content, "p@ss word");
    assert.equal(seen?.mode, 0o600);
    assert.ok(seen && !existsSync(seen.path));
    assert.throws(() => tools.secretAdd({ content: { Bad_Key: "x" } }), RangeError);
  });
  test("secret-get, -info-get, -set, -grant, -revoke, -remove, -ids argv", () => {
    const { calls, tools } = recorder({
      "secret-get": '{"k":"v"}',
      "secret-info-get": '{"abc":{"revision":3,"label":"l","rotation":"daily"}}',
      "secret-ids": '["secret:abc"]',
    });
    assert.deepEqual(tools.secretGet({ id: "secret:abc", label: "l" }, { refresh: true }), { k: "v" });
    tools.secretGet({ label: "l" }, { peek: true });
    assert.deepEqual(tools.secretInfoGet({ label: "l" }), {
      id: "abc",
      revision: 3,
      label: "l",
      description: undefined,
      expiry: undefined,
      rotation: "daily",
      rotates: undefined,
    });
    tools.secretSet("secret:abc", { description: "new" });
    tools.secretGrant("secret:abc", 4, "pg/0");
    tools.secretRevoke("secret:abc", 4);
    tools.secretRemove("secret:abc", 2);
    assert.deepEqual(tools.secretIds(), ["secret:abc"]);
    assert.deepEqual(
      calls.map((c) => [c.cmd, ...c.args]),
      [
        ["secret-get", "--format=json", "secret:abc", "--label", "l", "--refresh"],
        ["secret-get", "--format=json", "--label", "l", "--peek"],
        ["secret-info-get", "--format=json", "--label", "l"],
        ["secret-set", "--description", "new", "secret:abc"],
        ["secret-grant", "--relation", "4", "--unit", "pg/0", "secret:abc"],
        ["secret-revoke", "--relation", "4", "secret:abc"],
        ["secret-remove", "secret:abc", "--revision", "2"],
        ["secret-ids", "--format=json"],
      ],
    );
    assert.throws(() => tools.secretGet({}), RangeError);
  });
});

describe("state and goal-state", () => {
  test("state-get null is empty; state-set via stdin; state-delete; goal-state", () => {
    const { calls, tools } = recorder({
      "state-get": "null",
      "goal-state": '{"units":{"a/0":{"status":"active"}},"relations":{}}',
    });
    assert.deepEqual(tools.stateGet(), {});
    tools.stateSet({ k: "v" });
    tools.stateDelete("k");
    assert.equal(tools.goalState().units["a/0"]?.status, "active");
    assert.deepEqual(calls[1], { cmd: "state-set", args: ["--file", "-"], input: '{"k":"v"}' });
    assert.deepEqual(calls[2]?.args, ["--", "k"]);
  });
  // juju/juju worker/uniter/runner/jujuc/state-delete.go parses its argv with gnuflag: a key
  // starting with "-" is read as a flag unless "--" ends the flags first.
  test("state-delete puts -- before a key that starts with -", () => {
    const { calls, tools } = recorder();
    tools.stateDelete("-weird");
    assert.deepEqual(calls[0]?.args, ["--", "-weird"]);
  });
});

describe("error mapping", () => {
  test("relation not found, permission denied, secret not found, generic, spawn failure", () => {
    const { tools } = recorder({
      "relation-list": fail(2, 'ERROR invalid value "db:3" for option -r: relation not found\n'),
      "relation-set": fail(1, "ERROR permission denied\n"),
      "secret-get": fail(1, 'ERROR secret "123" not found\n'),
      "config-get": fail(1, "ERROR boom\n"),
      "is-leader": { status: null, stdout: "", stderr: "", error: new Error("spawn is-leader ENOENT") },
    });
    const e1 = (() => {
      try {
        tools.relationList(3, "db");
      } catch (e) {
        return e;
      }
    })() as RelationNotFoundError;
    assert.ok(e1 instanceof RelationNotFoundError);
    assert.equal(e1.cmd, "relation-list");
    assert.equal(e1.exitCode, 2);
    assert.match(e1.stderr, /relation not found/);
    assert.throws(() => tools.relationSet(3, "db", { a: "b" }, true), PermissionDeniedError);
    assert.throws(() => tools.secretGet({ id: "123" }), SecretNotFoundError);
    assert.throws(
      () => tools.configGet(),
      (e: unknown) =>
        e instanceof HookCommandError && !(e instanceof PermissionDeniedError) && e.exitCode === 1,
    );
    assert.throws(
      () => tools.isLeader(),
      (e: unknown) => e instanceof HookCommandError && e.exitCode === null && e.cause instanceof Error,
    );
  });
  // What execve cannot carry (a NUL ends a C string; one argument may hold at most 128 KiB) is a
  // HookCommandError like any other failed tool, through the production spawn.
  test("a NUL byte or an over-long argument is a HookCommandError, not a TypeError", () => {
    const tools = new ProcessHookTools();
    assert.throws(
      () => tools.jujuLog("INFO", "a\u0000b"),
      (e: unknown) => e instanceof HookCommandError && e.cmd === "juju-log" && e.exitCode === null,
    );
    // A status-set on PATH, so that execve itself refuses the 200 KB argument (no process starts).
    const bin = mkdtempSync(join(tmpdir(), "charmkit-e2big-"));
    writeFileSync(join(bin, "status-set"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      assert.throws(
        () => tools.statusSet("active", "x".repeat(200_000)),
        (e: unknown) => e instanceof HookCommandError && e.cmd === "status-set" && /E2BIG/.test(e.message),
      );
    } finally {
      process.env.PATH = path;
      rmSync(bin, { recursive: true, force: true });
    }
  });
  test("non-JSON output is a HookOutputError naming the tool", () => {
    assert.throws(
      () => recorder({ "config-get": "not json" }).tools.configGet(),
      /config-get: unexpected output/,
    );
  });
});
