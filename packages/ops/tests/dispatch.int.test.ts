// The slow path: bundle the sample charm with bundleCharm, run the real `dispatch` script with
// fake hook-tool executables on PATH, and check the exact argv and stdin the SDK produced.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { bundleCharm } from "@charmkit/build/bundle";
// @ts-expect-error plain .mjs helper shared with the benchmark
import { makeFakeTools } from "./fake-tools.mjs";

interface Call {
  tool: string;
  args: string[];
  stdin?: string;
}
interface Fake {
  dir: string;
  bin: string;
  respond(tool: string, argv: string, stdout: string): void;
  calls(): Call[];
  reset(): void;
}

const sampleDir = join(import.meta.dirname, "sample-charm");
let out: string;
let fake: Fake;

function dispatch(hookPath: string, extra: Record<string, string> = {}) {
  const hook = hookPath.startsWith("hooks/") ? hookPath.slice(6) : "";
  const env: Record<string, string> = {
    PATH: `${fake.bin}:${process.env.PATH}`,
    FAKE_DIR: fake.dir,
    JUJU_DISPATCH_PATH: hookPath,
    JUJU_HOOK_NAME: hook,
    JUJU_UNIT_NAME: "sample/0",
    JUJU_MODEL_NAME: "test",
    JUJU_MODEL_UUID: "00000000-0000-4000-8000-000000000000",
    JUJU_VERSION: "3.6.14",
    JUJU_CHARM_DIR: out,
    JUJU_CONTEXT_ID: "sample/0-test-1",
    ...extra,
  };
  const r = spawnSync(join(out, "dispatch"), [], { env, encoding: "utf8", cwd: tmpdir() });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout, calls: fake.calls() };
}

function find(calls: Call[], tool: string): Call[] {
  return calls.filter((c) => c.tool === tool);
}

const stateFile = () => join(out, ".unit-state.json");
const readState = () => JSON.parse(readFileSync(stateFile(), "utf8"));

before(async () => {
  out = mkdtempSync(join(tmpdir(), "charmkit-sample-"));
  const res = await bundleCharm({ charmDir: sampleDir, outDir: out });
  assert.ok(res.bytes > 1000);
});
after(() => rmSync(out, { recursive: true, force: true }));

beforeEach(() => {
  fake = makeFakeTools() as Fake;
  rmSync(stateFile(), { force: true });
  fake.respond("is-leader", "--format=json", "true");
  fake.respond("config-get", "--format=json", '{"port":8080,"greeting":"hi","strict":false}');
  fake.respond("storage-list", "--format=json data", '["data/0"]');
  fake.respond("relation-ids", "*", "[]");
});
afterEach(() => rmSync(fake.dir, { recursive: true, force: true }));

describe("bundle", () => {
  test("writes an executable dispatch and the generated metadata files", () => {
    assert.ok(statSync(join(out, "dispatch")).mode & 0o100);
    for (const f of [
      "charm.js",
      "charm.bundle.js",
      "metadata.yaml",
      "config.yaml",
      "actions.yaml",
      "charmcraft.yaml",
    ]) {
      assert.ok(existsSync(join(out, f)), f);
    }
    const md = readFileSync(join(out, "metadata.yaml"), "utf8");
    assert.match(md, /metrics-endpoint:/);
    assert.doesNotMatch(md, /options:/);
    assert.match(readFileSync(join(out, "config.yaml"), "utf8"), /port:/);
    assert.match(readFileSync(join(out, "actions.yaml"), "utf8"), /do-thing:/);
  });

  test("a package imported only dynamically is a file of its own, read when the import runs", () => {
    const lib = join(out, "lazy", "ws.cjs");
    assert.ok(existsSync(lib));
    // One of ws' own messages: in lazy/ws.cjs, not in the bundle every hook parses.
    const marker = /WebSocket was closed before the connection was established/;
    assert.match(readFileSync(lib, "utf8"), marker);
    assert.doesNotMatch(readFileSync(join(out, "charm.bundle.js"), "utf8"), marker);
    const r = dispatch("actions/load-ws", { JUJU_ACTION_NAME: "load-ws", JUJU_ACTION_UUID: "9" });
    assert.equal(r.code, 0, r.stderr);
    // The import sees the namespace it would see bundled: ws' default export (the class) and its
    // named exports.
    assert.deepEqual(find(r.calls, "action-set")[0]?.args, ["open=1", "server=function"]);
    // Hooks that do not import it never read it.
    const saved = readFileSync(lib);
    rmSync(lib);
    try {
      const hook = dispatch("hooks/update-status");
      assert.equal(hook.code, 0, hook.stderr);
      const action = dispatch("actions/load-ws", { JUJU_ACTION_NAME: "load-ws", JUJU_ACTION_UUID: "10" });
      assert.notEqual(action.code, 0);
      assert.match(action.stderr, /lazy\/ws\.cjs/);
    } finally {
      writeFileSync(lib, saved);
    }
  });
});

describe("code cache", () => {
  const cache = () => join(out, ".charm.bundle.js.v8cache");

  const keys = () => {
    const raw = readFileSync(cache());
    return JSON.parse(raw.subarray(0, raw.indexOf(10)).toString("utf8")).keys as string[];
  };

  test("each kind of hook adds to V8's code cache once; later hooks run with it; a bad one is replaced", () => {
    rmSync(cache(), { force: true });
    const first = dispatch("hooks/update-status");
    assert.equal(first.code, 0, first.stderr);
    assert.ok(existsSync(cache()), "the first hook leaves a code cache");
    assert.deepEqual(keys(), ["hooks/update-status"]);
    const size = statSync(cache()).size;
    assert.ok(size > 10_000, `${size} bytes`);
    fake.reset();
    const second = dispatch("hooks/update-status");
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(
      second.calls.map((c) => c.tool),
      first.calls.map((c) => c.tool),
      "the same hook-tool calls with the cache",
    );
    const before = statSync(cache()).mtimeMs;
    assert.equal(statSync(cache()).size, size, "a hook of a known kind does not rewrite it");

    fake.reset();
    assert.equal(dispatch("hooks/install").code, 0);
    assert.deepEqual(keys(), ["hooks/update-status", "hooks/install"], "a new kind of hook adds itself");
    assert.ok(statSync(cache()).mtimeMs >= before);
    assert.ok(statSync(cache()).size >= size, "the cache keeps what earlier hooks compiled");

    writeFileSync(cache(), "garbage");
    fake.reset();
    const third = dispatch("hooks/update-status");
    assert.equal(third.code, 0, third.stderr);
    assert.deepEqual(keys(), ["hooks/update-status"], "the rejected cache was started over");
  });

  test("a cache that cannot be read or written costs nothing but the cache", () => {
    // A directory where the cache file should be: unreadable as a file, and the rename onto it
    // fails (for root too, unlike permissions).
    rmSync(cache(), { force: true, recursive: true });
    mkdirSync(cache());
    try {
      const r = dispatch("hooks/update-status");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "");
      assert.ok(statSync(cache()).isDirectory());
      assert.deepEqual(
        readdirSync(out).filter((f) => f.startsWith(".charm.bundle.js.v8cache.")),
        [],
        "no temporary file is left behind",
      );
    } finally {
      rmSync(cache(), { force: true, recursive: true });
    }
  });
});

describe("dispatch", () => {
  test("install: status and version with `--` before free text, collect-status sets active", () => {
    const r = dispatch("hooks/install");
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(find(r.calls, "status-set")[0]?.args, [
      "--application=False",
      "maintenance",
      "--",
      "installing",
    ]);
    assert.deepEqual(find(r.calls, "application-version-set")[0]?.args, ["--", "1.2.3"]);
    assert.deepEqual(find(r.calls, "status-set").at(-1)?.args, [
      "--application=False",
      "active",
      "--",
      "ready",
    ]);
    // First run: the stored-state defaults are committed.
    assert.equal(readState().stored.sample.configChanges, 0);
    // Second run changes nothing, so the file is not rewritten (a rewrite renames a new inode in).
    const ino = statSync(stateFile()).ino;
    assert.equal(dispatch("hooks/install").code, 0);
    assert.equal(statSync(stateFile()).ino, ino);
  });

  test("config-changed: ports reconciled, stored state committed with mode 0600", () => {
    fake.respond("opened-ports", "--format=json", '["9090/tcp"]');
    let r = dispatch("hooks/config-changed");
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(find(r.calls, "config-get")[0]?.args, ["--format=json"]);
    assert.deepEqual(find(r.calls, "close-port")[0]?.args, ["9090/tcp"]);
    assert.deepEqual(find(r.calls, "open-port")[0]?.args, ["8080/tcp"]);
    assert.equal(readState().stored.sample.configChanges, 1);
    assert.equal(statSync(stateFile()).mode & 0o777, 0o600);
    fake.reset();
    r = dispatch("hooks/config-changed");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readState().stored.sample.configChanges, 2);
  });

  test("relation-changed: exact relation-get/-set argv, JSON on stdin via --file -", () => {
    fake.respond(
      "network-get",
      "--format=json -r 3 metrics-endpoint",
      '{"bind-addresses":[{"interface-name":"eth0","addresses":[{"value":"10.0.0.5","cidr":"10.0.0.0/24"}]}],"ingress-addresses":["10.0.0.9"],"egress-subnets":["10.0.0.9/32"]}',
    );
    fake.respond("relation-get", "--format=json -r metrics-endpoint:3 - prom/0", '{"remote-key":"x y"}');
    fake.respond("relation-get", "--format=json -r metrics-endpoint:3 - sample/0", '{"port":"8080"}');
    fake.respond("relation-get", "*", "{}");
    const r = dispatch("hooks/metrics-endpoint-relation-changed", {
      JUJU_RELATION: "metrics-endpoint",
      JUJU_RELATION_ID: "metrics-endpoint:3",
      JUJU_REMOTE_APP: "prom",
      JUJU_REMOTE_UNIT: "prom/0",
    });
    assert.equal(r.code, 0, r.stderr);
    const sets = find(r.calls, "relation-set");
    assert.equal(sets.length, 2);
    // Only the changed key is sent (port was already 8080).
    assert.deepEqual(sets[0]?.args, ["-r", "metrics-endpoint:3", "--file", "-"]);
    assert.deepEqual(JSON.parse(sets[0]?.stdin ?? ""), { address: "10.0.0.9" });
    assert.deepEqual(sets[1]?.args, ["-r", "metrics-endpoint:3", "--app", "--file", "-"]);
    const appData = JSON.parse(sets[1]?.stdin ?? "");
    assert.equal(appData.note, `it's "quoted" $HOME -x`);
    assert.deepEqual(JSON.parse(appData.scrape_jobs), [{ static_configs: [{ targets: ["*:8080"] }] }]);
    assert.ok(
      find(r.calls, "relation-get").some(
        (c) => c.args.join(" ") === "--format=json -r metrics-endpoint:3 - prom/0",
      ),
    );
    const log = find(r.calls, "juju-log").map((c) => c.args);
    assert.ok(log.some((a) => a.join(" ") === "--log-level INFO -- remote prom/0 says x y"));
  });

  test("non-leader app-bag write fails before relation-set runs, exits 1, commits nothing", () => {
    fake.respond("is-leader", "--format=json", "false");
    fake.respond("relation-ids", "sample-peers --format=json", '["sample-peers:1"]');
    const r = dispatch("hooks/leader-elected");
    assert.equal(r.code, 1);
    assert.equal(find(r.calls, "relation-set").length, 0);
    assert.match(r.stderr, /RelationDataAccessError/);
    const err = find(r.calls, "juju-log").find((c) => c.args[1] === "ERROR");
    assert.ok(err, "stack logged at ERROR");
    // The log records one line per argv line; the stack follows on the next lines.
    assert.match(err.args.at(-1) ?? "", /^Uncaught exception while in charm code:/);
    assert.match(r.stderr, /only the leader can write/);
    assert.equal(existsSync(stateFile()), false);
  });

  test("leader-elected: peer app bag, application secret through a 0600 temp file, app status", () => {
    fake.respond("relation-ids", "sample-peers --format=json", '["sample-peers:1"]');
    fake.respond("relation-get", "*", "{}");
    fake.respond("secret-add", "*", "secret://00000000-0000-4000-8000-000000000000/abc");
    const r = dispatch("hooks/leader-elected");
    assert.equal(r.code, 0, r.stderr);
    const set = find(r.calls, "relation-set")[0];
    assert.deepEqual(set?.args, ["-r", "sample-peers:1", "--app", "--file", "-"]);
    assert.deepEqual(JSON.parse(set?.stdin ?? ""), { leader: "sample/0" });
    const add = find(r.calls, "secret-add")[0]?.args ?? [];
    assert.deepEqual(add.slice(0, 4), ["--label", "admin", "--owner", "application"]);
    assert.match(add[4] ?? "", /^password#file=\/.+\/password$/);
    assert.ok(!add.join(" ").includes("s3cret"), "secret value never on argv");
    assert.deepEqual(find(r.calls, "secret-grant")[0]?.args, [
      "--relation",
      "1",
      "secret://00000000-0000-4000-8000-000000000000/abc",
    ]);
    assert.deepEqual(find(r.calls, "status-set")[0]?.args, ["--application=True", "active", "--", "leading"]);
  });

  test("defer: the deferred handler runs first in the next dispatch, once, and is dropped when done", () => {
    fake.respond("relation-ids", "sample-peers --format=json", '["sample-peers:1"]');
    fake.respond("relation-ids", "db --format=json", '["db:4"]');
    fake.respond("relation-get", "--format=json -r sample-peers:1 --app - sample", "{}");
    const env = {
      JUJU_RELATION: "db",
      JUJU_RELATION_ID: "db:4",
      JUJU_REMOTE_APP: "pg",
      JUJU_REMOTE_UNIT: "pg/0",
    };
    let r = dispatch("hooks/db-relation-joined", env);
    assert.equal(r.code, 0, r.stderr);
    let st = readState();
    assert.equal(st.deferred.length, 1);
    assert.equal(st.deferred[0].event.kind, "relation-joined");
    assert.equal(st.stored.sample.dbJoinedAttempts, 1);

    // Still not ready: re-run first, stays queued once (no duplicate).
    fake.reset();
    r = dispatch("hooks/update-status");
    assert.equal(r.code, 0, r.stderr);
    st = readState();
    assert.equal(st.deferred.length, 1);
    assert.equal(st.stored.sample.dbJoinedAttempts, 2);
    const logs = find(r.calls, "juju-log").map((c) => c.args.at(-1));
    assert.deepEqual(logs, ["db joined attempt 2"]);

    // Ready now: the deferred handler succeeds and leaves the queue.
    fake.respond("relation-get", "--format=json -r sample-peers:1 --app - sample", '{"leader":"sample/0"}');
    fake.reset();
    r = dispatch("hooks/update-status");
    assert.equal(r.code, 0, r.stderr);
    st = readState();
    assert.equal(st.deferred.length, 0);
    assert.equal(st.stored.sample.dbJoinedAttempts, 3);
  });

  test("action: action-get, action-log/-set argv with dotted keys, nothing deferred", () => {
    fake.respond("action-get", "--format=json", '{"name":"Ada Lovelace","count":2}');
    const r = dispatch("actions/do-thing", { JUJU_ACTION_NAME: "do-thing", JUJU_ACTION_UUID: "7" });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(find(r.calls, "action-log")[0]?.args, ["--", "-starting for Ada Lovelace"]);
    assert.deepEqual(find(r.calls, "action-set")[0]?.args, ["detail.count=2", "greeting=hi Ada Lovelace"]);
  });

  test("action-fail with `--` before a message starting with -", () => {
    fake.respond("action-get", "--format=json", '{"name":"fail"}');
    const r = dispatch("actions/do-thing", { JUJU_ACTION_NAME: "do-thing", JUJU_ACTION_UUID: "8" });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(find(r.calls, "action-fail")[0]?.args, ["--", '- cannot greet "fail"']);
    assert.equal(find(r.calls, "action-set").length, 0);
  });

  test("storage-attached and secret-changed: storage-get -s, secret-get --refresh", () => {
    fake.respond("storage-get", "--format=json -s data/0", '{"kind":"filesystem","location":"/srv/data"}');
    let r = dispatch("hooks/data-storage-attached", { JUJU_STORAGE_ID: "data/0" });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readState().stored.sample.dataLocation, "/srv/data");
    fake.respond("secret-get", "secret:abc --label admin --format=json --refresh", "never");
    fake.respond("secret-get", "--format=json secret:abc --label admin --refresh", '{"password":"new"}');
    fake.reset();
    r = dispatch("hooks/secret-changed", { JUJU_SECRET_ID: "secret:abc", JUJU_SECRET_LABEL: "admin" });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(find(r.calls, "secret-get")[0]?.args, [
      "--format=json",
      "secret:abc",
      "--label",
      "admin",
      "--refresh",
    ]);
    assert.equal(readState().stored.sample.lastSecretContent, "new");
  });

  test("pebble-ready: the lazily loaded Pebble client finds no socket, so the event is deferred", () => {
    // The socket is /charm/containers/workload/pebble.socket, absent outside a charm container.
    const r = dispatch("hooks/workload-pebble-ready", { JUJU_WORKLOAD_NAME: "workload" });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readState().deferred[0].event, { kind: "pebble-ready", container: "workload" });
  });

  test("legacy hooks/<name> symlink: dispatch names the event from $0 when JUJU_DISPATCH_PATH is unset", () => {
    mkdirSync(join(out, "hooks"), { recursive: true });
    rmSync(join(out, "hooks", "install"), { force: true });
    symlinkSync("../dispatch", join(out, "hooks", "install"));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${fake.bin}:${process.env.PATH}`,
      FAKE_DIR: fake.dir,
    };
    delete env.JUJU_DISPATCH_PATH;
    const r = spawnSync(join(out, "hooks", "install"), [], {
      env: {
        ...env,
        JUJU_HOOK_NAME: "install",
        JUJU_UNIT_NAME: "sample/0",
        JUJU_MODEL_NAME: "test",
        JUJU_MODEL_UUID: "u",
        JUJU_VERSION: "3.6.14",
        JUJU_CHARM_DIR: out,
      },
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(find(fake.calls(), "application-version-set")[0]?.args, ["--", "1.2.3"]);
  });

  test("relation-broken hides the broken relation; a malformed env fails naming the variable", () => {
    fake.respond("relation-ids", "db --format=json", '["db:4"]');
    let r = dispatch("hooks/db-relation-broken", {
      JUJU_RELATION: "db",
      JUJU_RELATION_ID: "db:4",
      JUJU_REMOTE_APP: "pg",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(find(r.calls, "juju-log").some((c) => c.args.at(-1) === "db relations left: 0"));
    r = dispatch("hooks/db-relation-changed", {
      JUJU_RELATION: "db",
      JUJU_RELATION_ID: "four",
      JUJU_REMOTE_APP: "pg",
      JUJU_REMOTE_UNIT: "",
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /JUJU_RELATION_ID/);
  });
});
