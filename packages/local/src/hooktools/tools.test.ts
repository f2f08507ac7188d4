// The hook tools against an in-memory model: each test pins one behaviour of Juju 3.6's jujuc and
// names the source file it follows (internal/worker/uniter/runner/jujuc/<tool>.go unless stated).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runTool, type SecretRecord, type StatusValue, TOOL_NAMES, type ToolHost } from "./tools.js";

/** Each harness's working directory lives under this one, removed when the file is done. */
const TMP = mkdtempSync(join(tmpdir(), "ck-tools-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

const UUID = "0f2c5a3e-1b7d-4c8e-9a6f-2d3e4f5a6b7c";

interface FakeOptions {
  leader?: boolean;
  env?: Record<string, string>;
  action?: { name: string; params: Record<string, unknown> };
  modelType?: "caas" | "iaas";
}

/** A unit `app/1` related over `db:3` to `pg` (units pg/0, pg/1) and peers over `cluster:0`. */
function fake(opts: FakeOptions = {}) {
  const bags: Record<string, Record<string, string>> = {
    "3|pg/0": { host: "10.0.0.5", "private-address": "10.0.0.5" },
    "3|pg": { database: "main" },
    "3|app/1": { mine: "yes" },
    "3|app": { shared: "1" },
    "0|app": { peerdata: "p" },
  };
  const state: Record<string, string> = {};
  const leaderSettings: Record<string, string> = { a: "1" };
  let secrets: Record<string, SecretRecord> = {};
  const record = {
    status: { status: "maintenance", message: "busy" } as StatusValue,
    app: { status: "active", message: "" } as StatusValue,
    ports: new Set<string>(["80/tcp"]),
    logs: [] as string[],
    results: {} as Record<string, string>,
    failed: undefined as string | undefined,
    version: "",
    secretsNow: () => secrets,
    state,
    leaderSettings,
    bags,
  };
  let next = 0;
  const host: ToolHost = {
    unit: "app/1",
    app: "app",
    modelUuid: UUID,
    address: "10.1.0.7",
    env: { JUJU_UNIT_NAME: "app/1", ...opts.env },
    endpoints: ["db", "cluster", "metrics"],
    ...(opts.modelType ? { modelType: opts.modelType } : {}),
    isLeader: () => opts.leader === true,
    config: () => ({ port: 8080, name: "x" }),
    configKeys: () => ["name", "port", "unset"],
    relationIds: (ep) => (ep === "db" ? [3, 12] : ep === "cluster" ? [0] : []),
    relation: (id) =>
      id === 3
        ? { id: 3, endpoint: "db", remoteApp: "pg", peer: false, units: ["pg/0", "pg/1"] }
        : id === 12
          ? { id: 12, endpoint: "db", remoteApp: "other", peer: false, units: [] }
          : id === 0
            ? { id: 0, endpoint: "cluster", remoteApp: "app", peer: true, units: ["app/0"] }
            : undefined,
    readBag: (id, owner) => bags[`${id}|${owner}`] ?? (owner.startsWith("pg/") ? {} : undefined),
    writeBag: (id, owner, updates) => {
      const b = { ...(bags[`${id}|${owner}`] ?? {}) };
      for (const [k, v] of Object.entries(updates)) {
        if (v === "") delete b[k];
        else b[k] = v;
      }
      bags[`${id}|${owner}`] = b;
    },
    unitStatus: () => record.status,
    appStatus: () => ({ application: record.app, units: { "app/1": record.status, "app/0": record.app } }),
    setStatus: (application, s) => {
      if (application) record.app = s;
      else record.status = s;
    },
    setWorkloadVersion: (v) => {
      record.version = v;
    },
    log: (level, message) => record.logs.push(`${level} ${message}`),
    action: () => opts.action,
    actionSet: (r) => Object.assign(record.results, r),
    actionLog: (m) => record.logs.push(`action ${m}`),
    actionFail: (m) => {
      record.failed = m;
    },
    openedPorts: () => [...record.ports],
    setPort: (open, spec) => {
      if (open) record.ports.add(spec);
      else record.ports.delete(spec);
    },
    storage: () => [{ id: "data/0", location: "/var/lib/juju/storage/data/0" }],
    stateGet: () => ({ ...state }),
    stateSet: (u) => {
      for (const [k, v] of Object.entries(u)) {
        if (v === null) delete state[k];
        else state[k] = v;
      }
    },
    secrets: () => structuredClone(secrets),
    mutateSecrets: (fn) => {
      const copy = structuredClone(secrets);
      fn(copy);
      secrets = copy;
    },
    newSecretId: () => `d0ia5ltqp3um3s0f7e${String(next++).padStart(2, "0")}`,
    goalState: () => ({
      units: { "app/1": { status: "active", since: "2026-11-30T10:20:30.123Z" } },
      relations: { db: { pg: { status: "joined", since: "2026-11-30T10:20:31.000Z" } } },
    }),
    leaderSettings: () => ({ ...leaderSettings }),
    writeLeaderSettings: (u) => {
      for (const [k, v] of Object.entries(u)) {
        if (v === "") delete leaderSettings[k];
        else leaderSettings[k] = v;
      }
    },
  };
  const cwd = mkdtempSync(join(TMP, "ck-tools-"));
  const run = (line: string | string[], stdin = "") => {
    const argv = Array.isArray(line) ? line : line.split(" ");
    const r = runTool(host, {
      contextId: "c",
      cwd,
      stdin: Buffer.from(stdin),
      tool: argv[0]!,
      args: argv.slice(1),
    });
    return { rc: r.code, out: r.stdout, err: r.stderr };
  };
  return { host, run, record, cwd };
}

const err = (rc: number, text: string) => ({ rc, out: "", err: `ERROR ${text}\n` });

test("every jujuc tool the brief names is provided, including leader-get/set, credential-get, juju-reboot, resource-get", () => {
  // server.go (Juju 3.6) registers leader-get and leader-set with the other leadership commands.
  for (const t of ["credential-get", "juju-reboot", "leader-get", "leader-set", "resource-get", "unit-get"]) {
    assert.ok((TOOL_NAMES as readonly string[]).includes(t), t);
  }
});

test("flags: gnuflag syntax, option errors with exit code 2, --help with 0", () => {
  const { run } = fake({ env: { JUJU_RELATION_ID: "db:3" } });
  // gnuflag: -r takes the next argument or the rest of the bundle; long flags take =value.
  assert.equal(run("relation-get -r3 host pg/0").out, "10.0.0.5\n");
  assert.equal(run("relation-get --relation=db:3 host pg/0").out, "10.0.0.5\n");
  // A single dash and a long name is a bundle of one-letter flags (cmd.go Main + gnuflag parseOne).
  assert.deepEqual(run("relation-get -format json"), err(2, "option provided but not defined: -f"));
  assert.deepEqual(run("relation-get --nope"), err(2, "option provided but not defined: --nope"));
  assert.deepEqual(run("relation-get -r"), err(2, "option needs an argument: -r"));
  assert.deepEqual(
    run("relation-get --app=maybe"),
    err(2, 'invalid value "maybe" for option --app: strconv.ParseBool: parsing "maybe": invalid syntax'),
  );
  // Flags may follow arguments (CommandBase.AllowInterspersedFlags is true); "--" ends them.
  assert.equal(run("relation-get host pg/0 --format=json").out, '"10.0.0.5"\n');
  const help = run("is-leader --help");
  assert.equal(help.rc, 0);
  assert.match(help.out, /^Usage: is-leader/);
});

test("--format exists only where jujuc has it, with the formats each accepts", () => {
  const { run } = fake({ leader: true, action: { name: "a", params: {} } });
  // goal-state.go and secret-get.go offer yaml and json only; smart is refused.
  assert.deepEqual(
    run("goal-state --format=smart"),
    err(2, 'invalid value "smart" for option --format: unknown format "smart"'),
  );
  // action-set.go, status-set.go, application-version-set.go, state-set.go have no --format.
  for (const t of [
    "action-set --format=json k=v",
    "status-set --format=json active",
    "state-set --format=json",
  ]) {
    assert.deepEqual(run(t), err(2, "option provided but not defined: --format"), t);
  }
  // relation-set.go, ports.go and juju-log.go keep a deprecated --format that only warns.
  const r = run("juju-log --format=json hello");
  assert.equal(r.rc, 0);
  assert.equal(r.err, '--format flag deprecated for command "juju-log"');
});

test("extra arguments are refused with juju/cmd's CheckEmpty text and exit code 2", () => {
  const { run } = fake({ env: { JUJU_RELATION_ID: "db:3" } });
  // is-leader.go has no Init, so CommandBase.Init's CheckEmpty applies.
  assert.deepEqual(run("is-leader extra"), err(2, 'unrecognized args: ["extra"]'));
  assert.deepEqual(run("relation-list x y"), err(2, 'unrecognized args: ["x" "y"]'));
  assert.deepEqual(run("status-set active msg extra"), err(2, 'unrecognized args: ["extra"]'));
  assert.deepEqual(run("state-delete a b"), err(2, 'unrecognized args: ["b"]'));
  assert.deepEqual(run("config-get a b"), err(2, 'unrecognized args: ["b"]'));
});

test("relation ids: -r keeps what follows the last colon and checks the relation exists", () => {
  const { run } = fake();
  // relation.go (jujuc) relationIdValue.Set: the endpoint part is not compared.
  assert.deepEqual(run("relation-list -r other:3 --format=json"), {
    rc: 0,
    out: '["pg/0","pg/1"]\n',
    err: "",
  });
  assert.deepEqual(
    run("relation-list -r db:99"),
    err(2, 'invalid value "db:99" for option -r: relation not found'),
  );
  assert.deepEqual(
    run("relation-list -r db:x"),
    err(2, 'invalid value "db:x" for option -r: invalid relation id'),
  );
  assert.deepEqual(run("relation-list"), err(2, "no relation id specified"));
  assert.equal(run("relation-list -r 3 --app").out, "pg\n");
});

test("relation-ids: unknown endpoints give an empty list, ids sorted as text", () => {
  const { run } = fake();
  assert.deepEqual(run("relation-ids nope --format=json"), { rc: 0, out: "[]\n", err: "" });
  assert.equal(run("relation-ids db --format=json").out, '["db:12","db:3"]\n');
  assert.deepEqual(run("relation-ids"), err(2, "no endpoint name specified"));
});

test("relation-get: an application name without --app is refused; app bags, missing keys", () => {
  const { run } = fake({ env: { JUJU_RELATION_ID: "db:3", JUJU_REMOTE_APP: "pg" } });
  // relation-get.go determineUnitOrAppName.
  assert.deepEqual(run("relation-get - pg"), err(2, 'expected unit name, got application name "pg"'));
  assert.deepEqual(run("relation-get - Bad"), err(2, 'invalid unit name "Bad"'));
  assert.deepEqual(run("relation-get --app - pg --format=json"), {
    rc: 0,
    out: '{"database":"main"}\n',
    err: "",
  });
  // --app with a unit name reads that unit's application.
  assert.equal(run("relation-get --app database pg/0").out, "main\n");
  // No remote unit in the hook (an app-bag relation-changed): the remote app is the default.
  assert.equal(run("relation-get database").out, "main\n");
  // A missing key is nil: nothing with smart, null with json.
  assert.deepEqual(run("relation-get --format=json nokey pg/0"), { rc: 0, out: "null\n", err: "" });
  assert.deepEqual(run("relation-get nokey pg/0"), { rc: 0, out: "", err: "" });
  // Reading your own app bag outside a peer relation is the leader's (the controller refuses others).
  assert.deepEqual(run("relation-get --app - app"), err(1, "permission denied"));
  assert.equal(run("relation-get -r cluster:0 --app --format=json - app").out, '{"peerdata":"p"}\n');
});

test("relation-get: no default unit or app", () => {
  const { run } = fake({ env: { JUJU_RELATION_ID: "db:3" } });
  assert.deepEqual(run("relation-get"), err(2, "no unit or application specified"));
  assert.deepEqual(run("relation-get --app"), err(2, "no unit or application specified"));
});

test("relation-set: keyvalues trimming and duplicates, --app by a non-leader, --file read as yaml.v2", () => {
  const { run, record } = fake({ env: { JUJU_RELATION_ID: "db:3" } });
  // relation-set.go Init: keyvalues.Parse(args, true) trims around = and refuses a repeated key.
  assert.equal(run(["relation-set", " k = v "]).rc, 0);
  assert.equal(record.bags["3|app/1"]?.k, "v");
  assert.deepEqual(run("relation-set a=1 a=2"), err(2, 'key "a" specified more than once'));
  assert.deepEqual(run("relation-set novalue"), err(2, 'expected "key=value", got "novalue"'));
  // Run: only the leader writes the app bag ("cannot write relation settings").
  assert.deepEqual(run("relation-set --app x=1"), err(1, "cannot write relation settings"));
  // An empty value deletes the key.
  assert.equal(run("relation-set mine=").rc, 0);
  assert.equal("mine" in (record.bags["3|app/1"] ?? {}), false);
  // --file -: yaml.v2 into map[string]string; arguments override the file.
  assert.equal(run("relation-set --file - b=arg", "a: 0x10\nb: file\nc: yes\nd: ~\n").rc, 0);
  assert.deepEqual(record.bags["3|app/1"], { k: "v", a: "0x10", b: "arg", c: "yes" });
});

test("relation-set --file: yaml.v2 refuses U+007F-U+009F and folds NEL as a line break", () => {
  const { run, record } = fake({ env: { JUJU_RELATION_ID: "db:3" } });
  // gopkg.in/yaml.v2 readerc.go: only #x9, #xA, #xD, #x20-#x7E, #x85, #xA0-... may appear.
  for (const ch of ["\u007f", "\u0080", "\u009f", "\u0001"]) {
    assert.deepEqual(
      run("relation-set --file -", `k: "a${ch}b"\n`),
      err(1, "yaml: control characters are not allowed"),
    );
  }
  // NEL (U+0085) is a line break to yaml.v2's scanner (read_line): inside a quoted scalar it
  // folds to a space, and it separates entries like "\n" does.
  assert.equal(run("relation-set --file -", '{k: "a\u0085b"}').rc, 0);
  assert.equal(record.bags["3|app/1"]?.k, "a b");
  assert.equal(run("relation-set --file -", "n1: 1\u0085n2: 2\n").rc, 0);
  assert.equal(record.bags["3|app/1"]?.n2, "2");
  // Escaped forms are data, not input characters: JSON's \u0080 escape is accepted.
  assert.equal(run("relation-set --file -", '{"k": "x\\u0080y"}').rc, 0);
  assert.equal(record.bags["3|app/1"]?.k, "x\u0080y");
  // Nested values cannot go into a string (yaml.v2 decode.go's unmarshal errors).
  const nested = run("relation-set --file -", "k:\n  a: 1\n");
  assert.equal(nested.rc, 1);
  assert.match(
    nested.err,
    /^ERROR yaml: unmarshal errors:\n {2}line 2: cannot unmarshal !!map into string\n$/,
  );
});

test("status-get: units go inside application-status; smart prints the status alone", () => {
  const { run } = fake({ leader: true });
  // status-get.go ApplicationStatus: details["units"] sits in statusDetails["application-status"].
  assert.deepEqual(JSON.parse(run("status-get --application --include-data --format=json").out), {
    "application-status": {
      message: "",
      status: "active",
      "status-data": {},
      units: {
        "app/0": { message: "", status: "active", "status-data": {} },
        "app/1": { message: "busy", status: "maintenance", "status-data": {} },
      },
    },
  });
  assert.equal(run("status-get --application").out, "active\n");
  assert.equal(run("status-get").out, "maintenance\n");
  // Without --include-data the details hold the status only (toDetails).
  assert.equal(run("status-get --format=json").out, '{"status":"maintenance"}\n');
  assert.deepEqual(JSON.parse(run("status-get --include-data --format=json").out), {
    message: "busy",
    status: "maintenance",
    "status-data": {},
  });
});

test("status-get/status-set --application need the leader; status-set's status values", () => {
  const { run, record } = fake();
  // context.go ApplicationStatus/SetApplicationStatus return ErrIsNotLeader.
  assert.deepEqual(
    run("status-get --application"),
    err(1, "finding application status: this unit is not the leader"),
  );
  assert.deepEqual(run("status-set --application active"), err(1, "this unit is not the leader"));
  // status-set.go Init.
  assert.deepEqual(
    run("status-set error"),
    err(2, 'invalid status "error", expected one of [maintenance blocked waiting active]'),
  );
  assert.deepEqual(run("status-set"), err(2, "invalid args, require <status> [message]"));
  assert.equal(run(["status-set", "blocked", "--", "-x y"]).rc, 0);
  assert.deepEqual(record.status, { status: "blocked", message: "-x y" });
});

test("action-set: segment rule and reserved keys in any dotted segment", () => {
  const { run, record } = fake({ action: { name: "a", params: {} } });
  // action-set.go Init with charm.GetActionNameRule and reservedKeys.
  for (const key of ["stdout", "out.stderr", "a.stdout-encoding.b", "stderr-encoding"]) {
    const bad = key.split(".").find((s) => s.startsWith("std"));
    assert.deepEqual(run(`action-set ${key}=1`), err(2, `cannot set reserved action key "${bad}"`), key);
  }
  assert.deepEqual(
    run("action-set a-.b=1"),
    err(
      2,
      'key "a-" must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods',
    ),
  );
  assert.deepEqual(
    run("action-set Foo=1"),
    err(
      2,
      'key "Foo" must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods',
    ),
  );
  assert.deepEqual(run("action-set novalue"), err(2, 'argument "novalue" must be of the form key...=value'));
  assert.equal(run("action-set out.size=10G a-b=x=y").rc, 0);
  assert.deepEqual(record.results, { "out.size": "10G", "a-b": "x=y" });
});

test("action tools outside an action: usage errors first, then 'not running an action'", () => {
  const { run } = fake();
  // context.go ActionParams/UpdateActionResults/LogActionMessage: "not running an action".
  assert.deepEqual(
    run("action-set Bad=1"),
    err(
      2,
      'key "Bad" must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods',
    ),
  );
  assert.deepEqual(run("action-set k=1"), err(1, "not running an action"));
  assert.deepEqual(run("action-get --format=json"), err(1, "not running an action"));
  assert.deepEqual(run("action-log"), err(2, "no message specified"));
  assert.deepEqual(run("action-fail a b"), err(2, 'unrecognized args: ["b"]'));
});

test("action-fail's default message; action-get of nested keys", () => {
  const { run, record } = fake({ action: { name: "a", params: { outer: { inner: 3 }, s: "x" } } });
  // action-fail.go Init.
  assert.equal(run("action-fail").rc, 0);
  assert.equal(record.failed, "action failed without reason given, check action for errors");
  // action-get.go recurseMapOnKeys.
  assert.equal(run("action-get outer.inner --format=json").out, "3\n");
  assert.equal(run("action-get outer.nope --format=json").out, "null\n");
  assert.equal(run("action-get s").out, "x\n");
});

test("open-port/close-port: parsing and validation texts; ranges refused on Kubernetes", () => {
  const { run, record } = fake();
  // core/network/portrange.go ParsePortRange and Validate (reported by ports.go Init, exit 2).
  assert.deepEqual(
    run("open-port abc"),
    err(2, 'invalid port "abc": strconv.Atoi: parsing "abc": invalid syntax'),
  );
  assert.deepEqual(run("open-port 1-2-3"), err(2, 'invalid port range "1-2-3"'));
  assert.deepEqual(
    run("open-port 80/sctp"),
    err(2, 'invalid protocol "sctp", expected "tcp", "udp", or "icmp"'),
  );
  assert.deepEqual(run("open-port 20-10"), err(2, "invalid port range 20-10/tcp"));
  assert.deepEqual(
    run("open-port 70000"),
    err(2, "port range bounds must be between 0 and 65535, got 70000-70000"),
  );
  assert.deepEqual(run("open-port"), err(2, "no port or range specified"));
  // context/ports.go validatePortRangeForCAAS: a range on a k8s model fails the call (exit 1).
  assert.deepEqual(
    run("open-port 8000-8010/udp"),
    err(1, "port ranges are not supported for k8s applications, please specify a single port"),
  );
  assert.deepEqual(
    run("close-port 8000-8010"),
    err(1, "port ranges are not supported for k8s applications, please specify a single port"),
  );
  assert.equal(run("open-port 8080/TCP").rc, 0);
  assert.equal(run("open-port icmp").rc, 0);
  assert.ok(record.ports.has("8080/tcp") && record.ports.has("icmp"));
  // Machine models take ranges.
  const iaas = fake({ modelType: "iaas" });
  assert.equal(iaas.run("open-port 8000-8010/udp").rc, 0);
});

test("opened-ports: sorted by protocol then port; --endpoints marks all-endpoint ranges with *", () => {
  const { run, record } = fake();
  for (const p of ["8080/tcp", "udp", "icmp", "443/tcp"]) record.ports.add(p === "udp" ? "53/udp" : p);
  // core/network SortPortRanges (protocol first, then FromPort) in opened-ports.go.
  assert.equal(run("opened-ports --format=json").out, '["icmp","80/tcp","443/tcp","8080/tcp","53/udp"]\n');
  assert.equal(run("opened-ports").out, "icmp\n80/tcp\n443/tcp\n8080/tcp\n53/udp\n");
  assert.match(run("opened-ports --endpoints").out, /^icmp \(\*\)\n80\/tcp \(\*\)\n/);
  // ports.go --endpoints opens per endpoint; opened-ports.go lists the endpoints of each range.
  assert.equal(run("open-port 9000 --endpoints db,metrics").rc, 0);
  assert.match(run("opened-ports --endpoints").out, /\n9000\/tcp \(db, metrics\)\n/);
  assert.equal(run("close-port 9000 --endpoints db").rc, 0);
  assert.match(run("opened-ports --endpoints").out, /\n9000\/tcp \(metrics\)\n/);
  assert.match(run("opened-ports").out, /\n9000\/tcp\n/);
});

test("network-get: JSON without the YAML-only copies; single keys; several keys as a map", () => {
  const { run } = fake();
  // network-get.go networkInfoDisplay: the address/macaddress/interfacename copies are yaml-only.
  assert.deepEqual(JSON.parse(run("network-get db --format=json").out), {
    "bind-addresses": [
      {
        "mac-address": "",
        "interface-name": "eth0",
        addresses: [{ hostname: "", value: "10.1.0.7", cidr: "10.1.0.7/32" }],
      },
    ],
    "egress-subnets": ["10.1.0.7/32"],
    "ingress-addresses": ["10.1.0.7"],
  });
  assert.match(run("network-get db").out, /macaddress: ""/);
  assert.equal(run("network-get db --ingress-address").out, "10.1.0.7\n");
  assert.equal(
    run("network-get db --ingress-address --egress-subnets --format=json").out,
    '{"egress-subnets":["10.1.0.7/32"],"ingress-address":"10.1.0.7"}\n',
  );
  assert.deepEqual(
    run("network-get db --primary-address --bind-address"),
    err(1, "--primary-address must be the only flag specified"),
  );
  assert.deepEqual(run("network-get"), err(2, "no arguments specified"));
  assert.deepEqual(run("network-get nope"), err(1, 'no network config found for binding "nope"'));
});

test("state-get/state-set/state-delete: empty values are values; state-delete takes one key", () => {
  const { run, record } = fake();
  // context.go GetCharmState returns nil when nothing is stored.
  assert.equal(run("state-get --format=json").out, "null\n");
  // state-set.go: keyvalues.Parse and SetCharmStateValue, which keeps "" as a value.
  assert.equal(run("state-set a=1 b=").rc, 0);
  assert.deepEqual(record.state, { a: "1", b: "" });
  assert.equal(run("state-get --format=json").out, '{"a":"1","b":""}\n');
  // state-get.go: a missing key is "" unless --strict.
  assert.equal(run("state-get --format=json missing").out, '""\n');
  assert.deepEqual(run("state-get --strict missing"), err(1, '"missing" not found'));
  // state-delete.go: -key is a flag (gnuflag); after -- it is the key; no key is a no-op.
  assert.deepEqual(run("state-delete -key"), err(2, "option provided but not defined: -k"));
  assert.equal(run("state-set --file -", "-key: x\n").rc, 0);
  assert.equal(run("state-delete -- -key").rc, 0);
  assert.equal("-key" in record.state, false);
  assert.deepEqual(run("state-delete"), { rc: 0, out: "", err: "" });
  assert.equal(run("state-delete a").rc, 0);
  assert.deepEqual(record.state, { b: "" });
});

test("goal-state: yaml or json; since in Juju's ISO form without the T", () => {
  const { run } = fake();
  // goal-state.go formatGoalState with common.FormatTime(t, true).
  assert.deepEqual(JSON.parse(run("goal-state --format=json").out), {
    units: { "app/1": { status: "active", since: "2026-11-30 10:20:30Z" } },
    relations: { db: { pg: { status: "joined", since: "2026-11-30 10:20:31Z" } } },
  });
  assert.match(run("goal-state").out, /^units:\n {2}app\/1:\n {4}status: active\n/);
});

test("config-get: nil settings dropped unless --all; --all with a key refused", () => {
  const { run } = fake();
  // config-get.go Run and Init.
  assert.equal(run("config-get --format=json").out, '{"name":"x","port":8080}\n');
  assert.equal(run("config-get --all --format=json").out, '{"name":"x","port":8080,"unset":null}\n');
  assert.equal(run("config-get -a --format=json").out, '{"name":"x","port":8080,"unset":null}\n');
  assert.deepEqual(
    run("config-get --all port"),
    err(2, 'cannot use argument --all together with key "port"'),
  );
  assert.equal(run("config-get port").out, "port: 8080\n".replace("port: ", ""));
});

test("is-leader smart output is Python-style True/False", () => {
  // juju/cmd output.go FormatSmart.
  assert.equal(fake({ leader: true }).run("is-leader").out, "True\n");
  assert.equal(fake().run("is-leader --format=json").out, "false\n");
});

test("JSON output escapes <, > and & as Go's encoding/json does", () => {
  const { run, record } = fake({ env: { JUJU_RELATION_ID: "db:3" } });
  record.bags["3|pg/0"] = { html: "<a&b>" };
  assert.equal(run("relation-get --format=json html pg/0").out, '"\\u003ca\\u0026b\\u003e"\n');
});

test("secret ids are normalised: bare ids, secret:<id> and secret://<uuid>/<id> name the same secret", () => {
  const { run } = fake({ leader: true });
  const uri = run("secret-add token=s3cr3t").out.trim();
  // apiserver CreateSecretURIs gives the model as the source: secret://<model-uuid>/<id>.
  assert.match(uri, new RegExp(`^secret://${UUID}/[0-9a-v]{20}$`));
  const id = uri.split("/").pop()!;
  // core/secrets/secret.go ParseURI.
  for (const ref of [uri, `secret:${id}`, id]) {
    assert.equal(run(`secret-get ${ref} token`).out, "s3cr3t\n", ref);
  }
  assert.deepEqual(run("secret-get secret:nope"), err(2, 'secret URI "secret:nope" not valid'));
  assert.deepEqual(run("secret-get http://x/y"), err(2, 'secret URI "http://x/y" not valid'));
  // secret-ids.go prints the ids (not URIs).
  assert.equal(run("secret-ids --format=json").out, `["${id}"]\n`);
});

test("secret content keys: core/secrets keyRegExp (three characters or more), #base64, sizes", () => {
  const { run } = fake({ leader: true });
  // core/secrets/secret.go (encodeBase64 with keyRegExp ^([a-z](?:-?[a-z0-9]){2,})$).
  assert.deepEqual(run("secret-add ab=1"), err(2, 'key "ab" not valid'));
  assert.deepEqual(run("secret-add Key=1"), err(2, 'key "Key" not valid'));
  assert.deepEqual(run("secret-add key--x=1"), err(2, 'key "key--x" not valid'));
  assert.deepEqual(run("secret-add justtext"), err(2, 'key value "justtext" not valid'));
  assert.deepEqual(run("secret-add"), err(2, "missing secret value or filename"));
  assert.deepEqual(
    run(`secret-add big=${"x".repeat(8193)}`),
    err(2, 'secret content for key "big" too large: 8193 bytes'),
  );
  const uri = run("secret-add cert#base64=aGVsbG8= plain=hi").out.trim();
  assert.equal(run(`secret-get ${uri} --format=json`).out, '{"cert":"hello","plain":"hi"}\n');
  assert.equal(run(`secret-get ${uri} cert#base64`).out, "aGVsbG8=\n");
  assert.deepEqual(run(`secret-get ${uri} none`), err(1, 'secret key "none" not found'));
  // secret-add.go Init: rotate policy, owner, expire.
  assert.deepEqual(run("secret-add --rotate often key=value"), err(2, 'rotate policy "often" not valid'));
  assert.deepEqual(run("secret-add --owner model key=value"), err(2, 'secret owner "model" not valid'));
  assert.deepEqual(
    run("secret-add --expire -1h key=value"),
    err(2, 'negative expire duration "-1h" not valid'),
  );
  assert.deepEqual(
    run("secret-add --expire 2022-01-01 key=value"),
    err(2, 'expire time or duration "2022-01-01" not valid'),
  );
});

test("secrets: owner rules, info-get shape, peek/refresh checks", () => {
  const minion = fake();
  // context.go CreateSecret: an application-owned secret needs the leader.
  assert.deepEqual(minion.run("secret-add key=value"), err(1, "this unit is not the leader"));
  assert.equal(minion.run("secret-add --owner unit key=value").rc, 0);
  const { run } = fake({ leader: true });
  const uri = run("secret-add --label db --description d key=value").out.trim();
  const id = uri.split("/").pop()!;
  // secret-info-get.go metadataDisplay.
  assert.deepEqual(JSON.parse(run("secret-info-get --label db --format=json").out), {
    [id]: { revision: 1, label: "db", owner: "application", description: "d" },
  });
  assert.deepEqual(
    run(`secret-info-get ${uri} --label db`),
    err(2, "specify either a secret URI or label but not both"),
  );
  assert.deepEqual(run("secret-info-get"), err(2, "require either a secret URI or label"));
  // A rotate policy gives a next rotation time (secret-info-get.go's "rotates").
  assert.equal(run(`secret-set ${uri} --rotate daily`).rc, 0);
  const rotated = JSON.parse(run(`secret-info-get ${uri} --format=json`).out)[id];
  assert.equal(rotated.rotation, "daily");
  const due = Date.parse(rotated.rotates) - Date.now();
  assert.ok(due > 23 * 3_600_000 && due <= 24 * 3_600_000, rotated.rotates);
  assert.deepEqual(
    run(`secret-get ${uri} --peek --refresh`),
    err(2, "specify one of --peek or --refresh but not both"),
  );
  assert.equal(run(`secret-set ${uri} key=new`).rc, 0);
  assert.equal(JSON.parse(run(`secret-info-get ${uri} --format=json`).out)[id].revision, 2);
  assert.deepEqual(run("secret-set"), err(2, "missing secret URI"));
  assert.deepEqual(run(`secret-grant ${uri}`), err(2, "missing relation"));
  assert.equal(run(`secret-grant ${uri} -r db:3`).rc, 0);
  assert.deepEqual(JSON.parse(run(`secret-info-get ${uri} --format=json`).out)[id].access, [
    { target: "application-pg", scope: "relation-db.3", role: "view" },
  ]);
});

test("leader-get/leader-set: Juju 3.6 still has them; only the leader writes", () => {
  const minion = fake();
  // leader-get.go and leader-set.go; context/leader.go WriteLeaderSettings ("not the leader").
  assert.equal(minion.run("leader-get --format=json").out, '{"a":"1"}\n');
  assert.equal(minion.run("leader-get a").out, "1\n");
  assert.deepEqual(minion.run("leader-get a=b"), err(2, 'invalid key "a=b"'));
  assert.deepEqual(
    minion.run("leader-set b=2"),
    err(1, "cannot write leadership settings: cannot write settings: not the leader"),
  );
  const { run, record } = fake({ leader: true });
  assert.equal(run("leader-set b=2 a=").rc, 0);
  assert.deepEqual(record.leaderSettings, { b: "2" });
});

test("credential-get, juju-reboot, resource-get, unit-get", () => {
  const { run, host } = fake();
  // credential-get.go: the CloudSpec call needs a trusted application.
  assert.deepEqual(run("credential-get"), err(1, "cannot access cloud credentials: permission denied"));
  // reboot.go: refused in actions; a hook records the request.
  assert.deepEqual(
    fake({ action: { name: "a", params: {} } }).run("juju-reboot"),
    err(1, "juju-reboot is not supported when running an action."),
  );
  assert.equal(run("juju-reboot --now").rc, 0);
  assert.deepEqual(run("juju-reboot x"), err(2, 'unrecognized args: ["x"]'));
  // resource-get.go: one name; a failure is "could not download resource: ...".
  assert.deepEqual(run("resource-get"), err(2, "missing required resource name"));
  assert.deepEqual(
    run("resource-get image"),
    err(1, 'could not download resource: resource "image" not found'),
  );
  const withFile = { ...host, resourcePath: (n: string) => `/res/${n}/file` };
  const r = runTool(withFile, {
    contextId: "c",
    cwd: "/",
    stdin: Buffer.alloc(0),
    tool: "resource-get",
    args: ["x"],
  });
  assert.equal(r.stdout, "/res/x/file", "no trailing newline, as resource-get.go prints it");
  assert.equal(run("unit-get private-address").out, "10.1.0.7\n");
});

test("--output writes to a file relative to the tool's directory", () => {
  const { run, cwd } = fake({ leader: true });
  assert.deepEqual(run("is-leader --format=json -o out.json"), { rc: 0, out: "", err: "" });
  assert.equal(readFileSync(join(cwd, "out.json"), "utf8"), "true\n");
  writeFileSync(join(cwd, "data.yaml"), "k: v\n");
  assert.equal(run("state-set --file data.yaml").rc, 0);
  assert.equal(run("state-get k").out, "v\n");
});
