// Controller behaviour with charms written in sh, each unit in its pod: Juju's event order, commit
// semantics, retries, permissions, the real hook-tool executables, and persistence across a
// restart. A hook sees only its charm container, so hooks and tests exchange files through the
// unit's agent directory (`$JUJU_CHARM_DIR/..` inside, `agentDir(c, unit)` outside).
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Controller } from "./controller.js";

const CHARM = new URL("./testdata/shell-charm", import.meta.url).pathname;
const open: Controller[] = [];
after(async () => {
  for (const c of open) await c.close();
});

/** A copy of the shell charm with the given hooks.d scripts (hook name or `any` to sh source). */
function charm(hooks: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "ck-charm-"));
  cpSync(CHARM, dir, { recursive: true });
  mkdirSync(join(dir, "hooks.d"), { recursive: true });
  for (const [k, v] of Object.entries(hooks)) writeFileSync(join(dir, "hooks.d", k), v);
  return dir;
}

async function controller(home = mkdtempSync(join(tmpdir(), "ck-home-"))): Promise<Controller> {
  const hostHosts = join(home, "host-hosts");
  if (!existsSync(hostHosts)) writeFileSync(hostHosts, "127.0.0.1\tlocalhost\n");
  const c = await Controller.open({
    home,
    hostHosts,
    updateStatusIntervalMs: 0,
    retryDelayMs: 20,
    maxHookRetries: 2,
    containerServer: () => ({ start: async () => {}, stop: async () => {} }),
  });
  open.push(c);
  return c;
}

/** The unit's agent directory on the host (the hook's `$JUJU_CHARM_DIR/..`). */
function agentDir(c: Controller, unit: string): string {
  return join(c.unitCharmDir(unit), "..");
}

/** A unit's address: `10.<model>.<app index>.<unit number + 1>`. */
const ADDRESS = (app: number, unit: number) => new RegExp(`^10\\.\\d+\\.${app}\\.${unit + 1}$`);

function events(c: Controller, unit: string): string[] {
  const p = join(c.unitCharmDir(unit), "..", "events.log");
  return existsSync(p) ? readFileSync(p, "utf8").trim().split("\n") : [];
}

const DEPLOY = [
  "data-storage-attached|<unset>||",
  "install|<unset>||",
  "cluster-relation-created|<unset>|cluster:0|",
  "leader-elected|<unset>||",
  "config-changed|<unset>||",
  "start|<unset>||",
  "work-pebble-ready|<unset>||",
];

test("deploy runs Juju's initial hooks in order; a second unit joins the peer relation", async () => {
  const c = await controller();
  await c.addApplication("a", { charm: charm(), scale: 1 });
  await c.waitIdle({ timeoutMs: 20_000 });
  assert.deepEqual(events(c, "a/0"), DEPLOY);
  await c.scale("a", 2);
  await c.waitIdle({ timeoutMs: 20_000 });
  assert.deepEqual(events(c, "a/1"), [
    "data-storage-attached|<unset>||",
    "install|<unset>||",
    "cluster-relation-created|<unset>|cluster:0|",
    "leader-settings-changed|<unset>||",
    "config-changed|<unset>||",
    "start|<unset>||",
    "work-pebble-ready|<unset>||",
    "cluster-relation-joined|a/0|cluster:0|",
    "cluster-relation-changed|a/0|cluster:0|",
  ]);
  assert.deepEqual(events(c, "a/0").slice(DEPLOY.length), [
    "cluster-relation-joined|a/1|cluster:0|",
    "cluster-relation-changed|a/1|cluster:0|",
  ]);
  const st = c.status();
  assert.deepEqual(
    st.units.map((u) => [u.name, u.leader, u.fqdn]),
    [
      ["a/0", true, "a-0.a-endpoints.local.svc.cluster.local"],
      ["a/1", false, "a-1.a-endpoints.local.svc.cluster.local"],
    ],
  );
  assert.match(st.units[0]!.address, ADDRESS(1, 0));
  assert.match(st.units[1]!.address, ADDRESS(1, 1));
});

test("relate, scale down and remove-relation fire joined/changed, departed and broken in order", async () => {
  const c = await controller();
  const ch = charm();
  await c.addApplication("a", { charm: ch, scale: 2 });
  await c.addApplication("b", { charm: ch, scale: 1 });
  await c.waitIdle({ timeoutMs: 20_000 });
  const id = c.relate("a:out", "b:in");
  await c.waitIdle({ timeoutMs: 20_000 });
  assert.deepEqual(events(c, "b/0").slice(DEPLOY.length), [
    `in-relation-created|<unset>|in:${id}|`,
    `in-relation-joined|a/0|in:${id}|`,
    `in-relation-changed|a/0|in:${id}|`,
    `in-relation-joined|a/1|in:${id}|`,
    `in-relation-changed|a/1|in:${id}|`,
  ]);
  const before = events(c, "b/0").length;
  const a0before = events(c, "a/0").length;
  await c.scale("a", 1);
  await c.waitIdle({ timeoutMs: 20_000 });
  assert.deepEqual(events(c, "b/0").slice(before), [`in-relation-departed|a/1|in:${id}|a/1`]);
  assert.deepEqual(events(c, "a/0").slice(a0before), ["cluster-relation-departed|a/1|cluster:0|a/1"]);
  assert.equal(
    c.status().units.find((u) => u.name === "a/1"),
    undefined,
    "removed unit is gone after its remove hook",
  );
  const b0 = events(c, "b/0").length;
  c.removeRelation("a:out", "b:in");
  await c.waitIdle({ timeoutMs: 20_000 });
  assert.deepEqual(events(c, "b/0").slice(b0), [
    `in-relation-departed|a/0|in:${id}|a/0`,
    `in-relation-broken|<unset>|in:${id}|`,
  ]);
  assert.ok(!c.relations().some((r) => r.id === id), "relation removed from the model");
});

test("the departing unit sees departed for each remote unit, then broken, detaching, stop, remove", async () => {
  const c = await controller();
  const ch = charm();
  await c.addApplication("a", { charm: ch, scale: 2 });
  await c.addApplication("b", { charm: ch, scale: 1 });
  const id = c.relate("a:out", "b:in");
  await c.waitIdle({ timeoutMs: 20_000 });
  // The unit's directory goes with it after `remove`: read its hooks from the history instead.
  const start = c.history.length;
  await c.scale("a", 1);
  await c.waitIdle({ timeoutMs: 20_000 });
  const log = c.history
    .slice(start)
    .filter((h) => h.unit === "a/1")
    .map(
      (h) =>
        `${h.hook}|${h.env.JUJU_REMOTE_UNIT ?? "<unset>"}|${h.env.JUJU_RELATION_ID ?? ""}|${h.env.JUJU_DEPARTING_UNIT ?? ""}`,
    );
  assert.deepEqual(log, [
    "cluster-relation-departed|a/0|cluster:0|a/1",
    "cluster-relation-broken|<unset>|cluster:0|",
    `out-relation-departed|b/0|out:${id}|a/1`,
    `out-relation-broken|<unset>|out:${id}|`,
    "data-storage-detaching|<unset>||",
    "stop|<unset>||",
    "remove|<unset>||",
  ]);
});

test("relation data becomes visible at commit and fans out relation-changed to the remote units", async () => {
  const ch = charm({
    "out-relation-joined": `relation-set -r "$JUJU_RELATION_ID" answer=42
relation-set -r "$JUJU_RELATION_ID" --app shared=yes
relation-get --format=json -r "$JUJU_RELATION_ID" - "$JUJU_UNIT_NAME" > "$JUJU_CHARM_DIR/../own.json"
touch "$JUJU_CHARM_DIR/../written"
while [ ! -f "$JUJU_CHARM_DIR/../go" ]; do sleep 0.02; done
`,
  });
  const c = await controller();
  await c.addApplication("a", { charm: ch });
  await c.addApplication("b", { charm: ch });
  await c.waitIdle({ timeoutMs: 20_000 });
  const gate = agentDir(c, "a/0");
  const id = c.relate("a:out", "b:in");
  while (!existsSync(join(gate, "written"))) await new Promise((r) => setTimeout(r, 20));
  // Read-your-writes inside the hook, invisible to everybody else until it exits 0.
  assert.equal(JSON.parse(readFileSync(join(gate, "own.json"), "utf8")).answer, "42");
  assert.equal(c.relationData(id)["a/0"]?.answer, undefined);
  assert.equal(c.relationData(id).a?.shared, undefined);
  // Let b/0 handle a/0's joining first, so the commit below is a change it has not seen yet.
  const seen = `in-relation-changed|a/0|in:${id}|`;
  while (!events(c, "b/0").includes(seen)) await new Promise((r) => setTimeout(r, 20));
  writeFileSync(join(gate, "go"), "");
  await c.waitIdle({ timeoutMs: 20_000 });
  assert.equal(c.relationData(id)["a/0"]?.answer, "42");
  assert.equal(c.relationData(id).a?.shared, "yes");
  assert.match(c.relationData(id)["a/0"]?.["ingress-address"] ?? "", ADDRESS(1, 0));
  const b = events(c, "b/0").slice(DEPLOY.length);
  assert.deepEqual(b, [
    `in-relation-created|<unset>|in:${id}|`,
    `in-relation-joined|a/0|in:${id}|`,
    `in-relation-changed|a/0|in:${id}|`,
    `in-relation-changed|a/0|in:${id}|`,
    `in-relation-changed||in:${id}|`,
  ]);
});

test("a failed hook discards its writes, marks the unit in error, and is retried", async () => {
  const ch = charm({
    "config-changed": `if [ ! -f "$JUJU_CHARM_DIR/../failed" ]; then
  touch "$JUJU_CHARM_DIR/../failed"; state-set bad=1; open-port 9999; status-set active "before failure"; exit 3
fi
state-set good=1
`,
  });
  const c = await controller();
  await c.addApplication("a", { charm: ch });
  await c.waitIdle({ timeoutMs: 20_000 });
  const runs = c.history.filter((h) => h.unit === "a/0" && h.hook === "config-changed");
  assert.deepEqual(
    runs.map((h) => h.exitCode),
    [3, 0],
  );
  assert.deepEqual(c.unitState("a/0"), { good: "1" });
  const u = c.status().units[0]!;
  assert.deepEqual(u.ports, [], "open-port of the failed hook was discarded");
  assert.equal(u.workload, "active", "status-set applies at once, even in a failed hook");
  assert.equal(u.agent, "idle");
  const hooks = events(c, "a/0").map((l) => l.split("|")[0]);
  assert.deepEqual(hooks.slice(-3), ["config-changed", "start", "work-pebble-ready"]);
});

test("retries are bounded: the unit stays in error until resolved", async () => {
  const ch = charm({ install: "exit 1\n" });
  const c = await controller();
  await c.addApplication("a", { charm: ch });
  await c.waitIdle({ timeoutMs: 20_000 });
  const st = c.status().units[0]!;
  assert.equal(st.workload, "error");
  assert.equal(st.agent, "error");
  assert.equal(st.message, 'hook failed: "install"');
  assert.equal(c.history.filter((h) => h.hook === "install").length, 3, "first run + 2 retries");
  c.resolveUnit("a/0");
  await c.waitIdle({ timeoutMs: 20_000 });
  assert.equal(c.status().units[0]!.agent, "idle");
  assert.equal(events(c, "a/0").at(-1), "work-pebble-ready|<unset>||");
});

// Juju runs the next action (and `juju exec`, which is an action) while the unit's current
// operation is a failed hook waiting to be resolved (juju/juju worker/uniter/actions/resolver.go:
// "We can still run actions if the unit is in a hook error state"); the failed hook stays.
test("exec and actions run on a unit in error, ahead of its failed hook, which stays failed", {
  timeout: 60_000,
}, async () => {
  const c = await controller();
  await c.addApplication("a", { charm: charm({ install: "exit 1\n" }) });
  await c.waitIdle({ timeoutMs: 20_000 });
  assert.equal(c.status().units[0]!.agent, "error");
  const r = await c.exec("a/0", ["sh", "-c", "echo in error; is-leader --format=json"]);
  assert.deepEqual(r, { unit: "a/0", exitCode: 0, stdout: "in error\ntrue\n", stderr: "" });
  const greeted = await c.runAction("a/0", "greet", { name: "sam" });
  assert.equal(greeted.status, "completed");
  const st = c.status().units[0]!;
  assert.deepEqual(
    [st.agent, st.message],
    ["error", 'hook failed: "install"'],
    "the failed hook is not resolved by them",
  );
  assert.equal(c.history.filter((h) => h.hook === "install").length, 3, "and not retried again");
  c.resolveUnit("a/0");
  await c.waitIdle({ timeoutMs: 20_000 });
  assert.equal(c.status().units[0]!.agent, "idle");
  assert.equal(events(c, "a/0").at(-1), "work-pebble-ready|<unset>||");
});

/** Runs each command in a hook and records `cmd \t rc \t stdout \t stderr` lines (`file` as the hook sees it). */
const RECORDER = (file: string, cmds: string[]) =>
  `t() { o=$("$@" 2>"${file}.err"); rc=$?; printf '%s\\t%s\\t%s\\t%s\\n' "$*" "$rc" "$o" "$(cat "${file}.err")" >> "${file}"; }
${cmds.map((c) => `t ${c}`).join("\n")}
`;

function records(file: string): Map<string, { rc: number; out: string; err: string }> {
  const m = new Map<string, { rc: number; out: string; err: string }>();
  for (const line of readFileSync(file, "utf8").trim().split("\n")) {
    const [cmd = "", rc = "", out = "", err = ""] = line.split("\t");
    m.set(cmd, { rc: Number(rc), out, err });
  }
  return m;
}

test("hook tools: argv, JSON output, errors and exit codes (non-leader and leader)", async () => {
  const cmds = [
    "relation-ids out --format=json",
    "relation-ids cluster --format=json",
    "relation-ids nope --format=json",
    "relation-list --format=json -r out:2",
    "relation-list --format=json --app -r out:2",
    "relation-list --format=json -r in:2",
    "relation-list --format=json -r out:99",
    "relation-get --format=json -r out:2 - b/0",
    "relation-get --format=json -r out:2 ingress-address b/0",
    "relation-get --format=json -r out:2 --app - a",
    "relation-get --format=json -r cluster:0 --app - a",
    "relation-set -r out:2 --app k=v",
    "relation-set -r out:2 k=v",
    "relation-model-get --format=json -r out:2",
    "config-get --format=json",
    "config-get --format=json greeting",
    "config-get --format=json verbose",
    "is-leader --format=json",
    "status-get --include-data --format=json --application=false",
    "status-get --include-data --format=json --application=true",
    "status-set --application=False bogus -- x",
    "status-set --application=True active -- x",
    "network-get --format=json out",
    "network-get --format=json nope",
    "storage-list --format=json data",
    "storage-get --format=json -s data/9",
    "open-port 8080",
    "open-port 8000-8010/udp",
    "opened-ports --format=json",
    "open-port notaport",
    "action-get --format=json",
    "state-get --format=json",
    "goal-state --format=json",
    "secret-add --owner application key=v",
    "juju-log --log-level WARNING -- -dash message",
    "no-such-flag --format=json",
    "is-leader --bogus",
  ];
  const ch = charm({
    "out-relation-changed": `[ "$JUJU_UNIT_NAME" = a/1 ] && [ ! -f "$JUJU_CHARM_DIR/../t" ] && { ${RECORDER("$JUJU_CHARM_DIR/../t", cmds)} }\n`,
  });
  const c = await controller();
  await c.addApplication("a", { charm: ch, scale: 2, options: { greeting: "hey" } });
  await c.addApplication("b", { charm: ch });
  await c.waitIdle({ timeoutMs: 20_000 });
  assert.equal(c.relate("a:out", "b:in"), 2);
  await c.waitIdle({ timeoutMs: 20_000 });
  const r = records(join(agentDir(c, "a/1"), "t"));
  const get = (k: string) => {
    const v = r.get(k);
    assert.ok(v, `no record for ${k}`);
    return v;
  };
  assert.deepEqual(get("relation-ids out --format=json"), { rc: 0, out: '["out:2"]', err: "" });
  assert.deepEqual(get("relation-ids cluster --format=json"), { rc: 0, out: '["cluster:0"]', err: "" });
  // relation-ids.go lists the relations whose name matches; an unknown endpoint gives none.
  assert.deepEqual(get("relation-ids nope --format=json"), { rc: 0, out: "[]", err: "" });
  assert.deepEqual(get("relation-list --format=json -r out:2"), { rc: 0, out: '["b/0"]', err: "" });
  assert.equal(get("relation-list --format=json --app -r out:2").out, '"b"');
  // jujuc's relationIdValue keeps only the id after the last colon.
  assert.deepEqual(get("relation-list --format=json -r in:2"), { rc: 0, out: '["b/0"]', err: "" });
  assert.deepEqual(get("relation-list --format=json -r out:99"), {
    rc: 2,
    out: "",
    err: 'ERROR invalid value "out:99" for option -r: relation not found',
  });
  const b0 = c.unitAddress("b/0");
  assert.match(b0, ADDRESS(2, 0));
  assert.deepEqual(JSON.parse(get("relation-get --format=json -r out:2 - b/0").out), {
    "egress-subnets": `${b0}/32`,
    "ingress-address": b0,
    "private-address": b0,
  });
  assert.equal(get("relation-get --format=json -r out:2 ingress-address b/0").out, `"${b0}"`);
  assert.deepEqual(get("relation-get --format=json -r out:2 --app - a"), {
    rc: 1,
    out: "",
    err: "ERROR permission denied",
  });
  assert.equal(
    get("relation-get --format=json -r cluster:0 --app - a").out,
    "{}",
    "peers read their app bag",
  );
  assert.deepEqual(get("relation-set -r out:2 --app k=v"), {
    rc: 1,
    out: "",
    err: "ERROR cannot write relation settings",
  });
  assert.equal(get("relation-set -r out:2 k=v").rc, 0);
  assert.equal(JSON.parse(get("relation-model-get --format=json -r out:2").out).uuid.length, 36);
  assert.deepEqual(JSON.parse(get("config-get --format=json").out), { count: 3, greeting: "hey" });
  assert.equal(get("config-get --format=json greeting").out, '"hey"');
  assert.equal(get("config-get --format=json verbose").out, "null");
  assert.equal(get("is-leader --format=json").out, "false");
  assert.deepEqual(JSON.parse(get("status-get --include-data --format=json --application=false").out), {
    message: "",
    status: "unknown",
    "status-data": {},
  });
  assert.equal(get("status-get --include-data --format=json --application=true").rc, 1);
  assert.equal(get("status-set --application=False bogus -- x").rc, 2);
  assert.match(get("status-set --application=True active -- x").err, /not the leader/);
  const net = JSON.parse(get("network-get --format=json out").out);
  assert.deepEqual(net["ingress-addresses"], [c.unitAddress("a/1")]);
  assert.equal(net["bind-addresses"][0].addresses[0].value, c.unitAddress("a/1"));
  assert.match(get("network-get --format=json nope").err, /no network config found for binding "nope"/);
  assert.equal(get("storage-list --format=json data").out, '["data/0"]');
  assert.deepEqual(get("storage-get --format=json -s data/9"), {
    rc: 2,
    out: "",
    err: 'ERROR invalid value "data/9" for option -s: storage not found',
  });
  assert.match(get("open-port 8000-8010/udp").err, /port ranges are not supported for k8s applications/);
  assert.equal(get("opened-ports --format=json").out, '["8080/tcp"]');
  assert.equal(get("open-port notaport").rc, 2);
  assert.deepEqual(get("action-get --format=json"), { rc: 1, out: "", err: "ERROR not running an action" });
  assert.equal(get("state-get --format=json").out, "null");
  const goal = JSON.parse(get("goal-state --format=json").out);
  assert.deepEqual(Object.keys(goal.units).sort(), ["a/0", "a/1"]);
  assert.deepEqual(Object.keys(goal.relations.out).sort(), ["b", "b/0"]);
  assert.deepEqual(get("secret-add --owner application key=v"), {
    rc: 1,
    out: "",
    err: "ERROR this unit is not the leader",
  });
  assert.equal(get("juju-log --log-level WARNING -- -dash message").rc, 0);
  assert.match(readFileSync(c.unitLogPath("a/1"), "utf8"), /WARNING juju-log: out:2: -dash message/);
  assert.equal(get("is-leader --bogus").rc, 2);
  assert.equal(c.status().units.find((u) => u.name === "a/1")?.ports.length, 1);
  assert.equal(c.relationData(2)["a/1"]?.k, "v");
});

test("hook tools: stdin (--file -), files named by container path, secrets, actions", async () => {
  const ch = charm({
    start: `[ "$JUJU_UNIT_NAME" = a/0 ] || exit 0
d="$JUJU_CHARM_DIR/.."
echo '{"a": "1", "b": "two words"}' | state-set --file -
printf 'c: three\\n' > /tmp/more.yaml && state-set --file /tmp/more.yaml
printf 'from a file' > /tmp/token && id=$(secret-add --label mine --owner application token=s3cr3t note#file=/tmp/token)
echo "$id" > "$d/id"
secret-get --format=json "$id" > "$d/secret.json"
secret-info-get --format=json --label mine > "$d/info.json"
secret-ids --format=json > "$d/ids.json"
state-set --file /etc/shadow 2> "$d/hidden.err"; echo $? >> "$d/hidden.err"
`,
  });
  const c = await controller();
  await c.addApplication("a", { charm: ch });
  await c.waitIdle({ timeoutMs: 30_000 });
  const dir = agentDir(c, "a/0");
  assert.deepEqual(c.unitState("a/0"), { a: "1", b: "two words", c: "three" });
  // A path outside the charm container's binds is refused, not read from the host.
  assert.match(
    readFileSync(join(dir, "hidden.err"), "utf8"),
    /^ERROR open \/etc\/shadow: no such file or directory\n[12]\n$/,
  );
  const id = readFileSync(join(dir, "id"), "utf8").trim();
  assert.match(id, /^secret:\/\/[0-9a-f-]{36}\/[0-9a-v]{20}$/);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "secret.json"), "utf8")), {
    note: "from a file",
    token: "s3cr3t",
  });
  const info = JSON.parse(readFileSync(join(dir, "info.json"), "utf8"));
  assert.equal(Object.values(info as Record<string, { label: string; revision: number }>)[0]?.label, "mine");
  // secret-ids.go prints the ids of the charm's secrets.
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "ids.json"), "utf8")), [id.split("/").pop()]);
  const ok = await c.runAction("a/0", "greet", { name: "sam" });
  assert.deepEqual(ok.results, { msg: "hello sam" });
  assert.deepEqual(ok.logs, ["greeted"]);
  assert.equal(ok.status, "completed");
  const bad = await c.runAction("a/0", "fail");
  assert.equal(bad.status, "failed");
  assert.equal(bad.message, "it failed");
  assert.throws(() => c.runAction("a/0", "nope"), /action "nope" not defined/);
  assert.throws(() => c.runAction("z/0", "greet"), /unit "z\/0" not found/);
});

test("the model survives a controller restart; containers come back with pebble-ready", async () => {
  const home = mkdtempSync(join(tmpdir(), "ck-home-"));
  const c1 = await controller(home);
  const ch = charm({
    "in-relation-changed": 'relation-set -r "$JUJU_RELATION_ID" seen=yes\nstate-set x=1\n',
  });
  await c1.addApplication("a", { charm: ch, options: { count: 7 } });
  await c1.addApplication("b", { charm: ch });
  const id = c1.relate("a:out", "b:in");
  await c1.waitIdle({ timeoutMs: 20_000 });
  const before = c1.status();
  await c1.close();
  open.splice(open.indexOf(c1), 1);
  const c2 = await controller(home);
  await c2.waitIdle({ timeoutMs: 20_000 });
  assert.deepEqual(c2.status(), before);
  assert.equal(c2.relationData(id)["b/0"]?.seen, "yes");
  assert.deepEqual(c2.unitState("b/0"), { x: "1" });
  assert.equal(c2.getConfig("a").count, 7);
  assert.deepEqual(c2.history.map((h) => `${h.unit} ${h.hook}`).sort(), [
    "a/0 work-pebble-ready",
    "b/0 work-pebble-ready",
  ]);
  await c2.scale("a", 2);
  await c2.waitIdle({ timeoutMs: 20_000 });
  assert.match(c2.unitAddress("a/1"), ADDRESS(1, 1));
});

test("operations name the unknown app, endpoint or option", async () => {
  const c = await controller();
  await c.addApplication("a", { charm: charm() });
  await c.addApplication("b", { charm: charm() });
  assert.throws(() => c.relate("a:out", "zz:in"), /unknown application "zz"/);
  assert.throws(() => c.relate("a:nope", "b:in"), /application "a" has no endpoint "nope"/);
  assert.throws(() => c.relate("a:out", "b:cluster"), /interface mismatch/);
  assert.throws(() => c.setConfig("a", { count: "many" }), /option "count" expects an int/);
  assert.throws(() => c.setConfig("a", { nope: 1 }), /unknown option "nope"/);
  assert.throws(() => c.setConfig("zz", {}), /application "zz" not found/);
  await assert.rejects(c.scale("a", -1), /scale must be an integer/);
  assert.throws(() => c.relate("a", "b"), /ambiguous, name the endpoints/);
  c.relate("a:out", "b");
  assert.throws(() => c.relate("a:out", "b:in"), /already exists/);
  await c.waitIdle({ timeoutMs: 20_000 });
});

test("leader-set writes at once and the other units get leader-settings-changed (leader-set.go)", async () => {
  // Juju 3.6's jujuc still registers leader-get/leader-set (server.go leaderCommands).
  const ch = charm({
    "config-changed": `[ "$(is-leader)" = True ] && leader-set shared="$(config-get greeting)"\n`,
    "leader-settings-changed": `leader-get shared > "$JUJU_CHARM_DIR/../leader-got"\n`,
  });
  const c = await controller();
  await c.addApplication("a", { charm: ch, scale: 2 });
  await c.waitIdle({ timeoutMs: 20_000 });
  c.setConfig("a", { greeting: "second" });
  await c.waitIdle({ timeoutMs: 20_000 });
  assert.equal(readFileSync(join(agentDir(c, "a/1"), "leader-got"), "utf8"), "second\n");
  assert.equal(
    existsSync(join(agentDir(c, "a/0"), "leader-got")),
    false,
    "the leader is not told of its own writes",
  );
});

test("exec runs a command in the unit's hook context, as juju exec: tools, no event, writes committed", async () => {
  const c = await controller();
  await c.addApplication("a", { charm: charm() });
  await c.waitIdle({ timeoutMs: 20_000 });
  const r = await c.exec("a/0", [
    "sh",
    "-c",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, for sh
    'echo "leader=$(is-leader --format=json) hook=[$JUJU_HOOK_NAME] dispatch=[${JUJU_DISPATCH_PATH-unset}]"; state-set k=v',
  ]);
  assert.deepEqual(r, {
    unit: "a/0",
    exitCode: 0,
    stdout: "leader=true hook=[] dispatch=[unset]\n",
    stderr: "",
  });
  assert.deepEqual(c.unitState("a/0"), { k: "v" });
  const failed = await c.exec("a/0", ["sh", "-c", "state-set x=1; echo no >&2; exit 3"]);
  assert.deepEqual([failed.exitCode, failed.stderr], [3, "no\n"]);
  assert.deepEqual(c.unitState("a/0"), { k: "v" }, "a failed command's writes are discarded");
  assert.equal(c.status().units[0]?.agent, "idle", "a failed command does not put the unit in error");
  await assert.rejects(async () => c.exec("zz/0", ["true"]), /unit "zz\/0" not found/);
});
