// Units as Kubernetes pods, with the real namespaces, bridge, bubblewrap charm container and Pebble:
// what a hook sees (host name, FQDN, Juju's paths and environment, no Node, no project), that a
// workload shares its pod's address and name, that every pod and the host resolve every unit's
// FQDN, that two models live side by side, and that nothing is left on the host after close or a
// crash. Needs root, iproute2, util-linux and bubblewrap (scripts/install.sh).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { PebbleClient } from "@charmkit/ops/pebble";
import { Controller } from "../controller.js";
import { modelKey, parseHostsFile } from "./naming.js";
import { teardownModelAt } from "./runtime.js";

const CHARM = new URL("../testdata/shell-charm", import.meta.url).pathname;
const REPO = resolve(new URL("../../../..", import.meta.url).pathname);
const open: Controller[] = [];
after(async () => {
  for (const c of open) await c.close();
});

/** A copy of the shell charm with the given hooks.d scripts. */
function charm(hooks: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "ck-pod-charm-"));
  cpSync(CHARM, dir, { recursive: true });
  mkdirSync(join(dir, "hooks.d"), { recursive: true });
  for (const [k, v] of Object.entries(hooks)) writeFileSync(join(dir, "hooks.d", k), v);
  return dir;
}

async function controller(modelName: string, home = mkdtempSync(join(tmpdir(), "ck-pod-home-"))) {
  const c = await Controller.open({ home, modelName, updateStatusIntervalMs: 0, maxHookRetries: 0 });
  open.push(c);
  return c;
}

function agentFile(c: Controller, unit: string, name: string): string {
  return readFileSync(join(c.unitCharmDir(unit), "..", name), "utf8");
}

function facts(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trim()
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

/** What the host created for a model (by its key): namespaces, runtime dir, hosts block, links. */
function leftovers(home: string): string[] {
  const key = modelKey(home);
  const out: string[] = [];
  for (const ns of existsSync("/run/netns") ? readdirSync("/run/netns") : [])
    if (ns.startsWith(`charmkit-${key}-`)) out.push(`netns ${ns}`);
  if (existsSync(`/run/charmkit/${key}`)) out.push(`dir /run/charmkit/${key}`);
  if (parseHostsFile(readFileSync("/etc/hosts", "utf8")).blocks.some((b) => b.key === key))
    out.push("hosts block");
  for (const link of readdirSync("/sys/class/net")) if (link.includes(key)) out.push(`link ${link}`);
  return out;
}

const SEE = `d="$JUJU_CHARM_DIR/.."
{
  echo "hostname=$(hostname)"
  echo "fqdn=$(python3 -c 'import socket; print(socket.getfqdn())')"
  echo "node=$(command -v node || echo none)"
  echo "node_files=$(ls -d /usr/bin/node /usr/lib/node_modules /usr/local/bin/node /usr/include/node 2>/dev/null | wc -l)"
  echo "repo=$(test -e "${REPO}" && echo visible || echo hidden)"
  echo "cwd=$(pwd)"
  echo "config_get=$(command -v config-get)"
  echo "pebble=$(test -S /charm/containers/work/pebble.socket && echo socket)"
  echo "storage=$(storage-get -s data/0 location)"
  echo "address=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("10.0.0.1", 9)); print(s.getsockname()[0])')"
} > "$d/facts"
env | sort > "$d/env"
`;

test("a hook runs in its pod's charm container: Kubernetes names, Juju's paths and environment only", async () => {
  const c = await controller("podtest");
  await c.addApplication("a", { charm: charm({ start: SEE }) });
  await c.waitIdle({ timeoutMs: 60_000 });
  const u = c.status().units[0]!;
  assert.equal(u.workload, "unknown", u.message);
  const f = facts(agentFile(c, "a/0", "facts"));
  assert.equal(f.hostname, "a-0");
  assert.equal(f.fqdn, "a-0.a-endpoints.podtest.svc.cluster.local");
  assert.equal(f.fqdn, u.fqdn);
  assert.equal(f.address, u.address, "the pod's own address");
  assert.equal(f.node, "none", "no Node on PATH");
  assert.equal(f.node_files, "0", "no Node files under /usr");
  assert.equal(f.repo, "hidden", "the project is not visible");
  assert.equal(f.cwd, "/var/lib/juju/agents/unit-a-0/charm");
  assert.equal(f.config_get, "/var/lib/juju/tools/unit-a-0/config-get");
  assert.equal(f.pebble, "socket");
  assert.equal(f.storage, "/var/lib/juju/storage/data/0");
  const env = facts(agentFile(c, "a/0", "env"));
  assert.deepEqual(
    Object.keys(env).filter((k) => !k.startsWith("JUJU_")),
    [
      "APT_LISTCHANGES_FRONTEND",
      "CHARM_DIR",
      "CLOUD_API_VERSION",
      "DEBIAN_FRONTEND",
      "LANG",
      "PATH",
      "PWD",
      "TERM",
    ],
    "Juju's variables only (PWD is the shell's own)",
  );
  assert.equal(
    env.PATH,
    "/var/lib/juju/tools/unit-a-0:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  );
  assert.equal(env.JUJU_AGENT_SOCKET_ADDRESS, "/var/lib/juju/agents/unit-a-0/agent.socket");
  assert.equal(env.JUJU_CHARM_DIR, "/var/lib/juju/agents/unit-a-0/charm");
  assert.equal(env.JUJU_UNIT_NAME, "a/0");
});

test("workloads share their pod's address and name; pods and the host reach each other by FQDN", async () => {
  const c = await controller("podnet");
  const fetchA = `python3 -c 'import urllib.request; print(urllib.request.urlopen("http://a-0.a-endpoints.podnet.svc.cluster.local:8080/hello.txt", timeout=5).read().decode())' > "$JUJU_CHARM_DIR/../fetched" 2>&1\n`;
  await c.addApplication("a", { charm: charm({}) });
  await c.addApplication("b", { charm: charm({ "config-changed": fetchA }) });
  await c.waitIdle({ timeoutMs: 60_000 });
  const [a, b] = c.status().units;
  assert.ok(a && b);
  assert.notEqual(a.address, b.address);
  const pebble = new PebbleClient({ socketPath: join(c.containersDir("a/0"), "work", "pebble.socket") });
  await pebble.push("/srv/web/hello.txt", "hello from a/0\n", { makeDirs: true });
  await pebble.addLayer(
    "web",
    {
      services: {
        web: {
          override: "replace",
          command: "python3 -m http.server 8080 --bind 0.0.0.0 --directory /srv/web",
          startup: "enabled",
        },
      },
    },
    { combine: true },
  );
  await pebble.replan();
  // The workload container is in the pod: same host name, same hosts file, same address.
  const hostname = await pebble.exec(["hostname"]);
  assert.equal(hostname.stdout.trim(), "a-0");
  const fqdn = await pebble.exec(["python3", "-c", "import socket; print(socket.getfqdn())"]);
  assert.equal(fqdn.stdout.trim(), a.fqdn);
  // The host resolves the FQDN through its /etc/hosts block.
  let body = "";
  for (let i = 0; i < 50 && body === ""; i++) {
    body = await fetch(`http://${a.fqdn}:8080/hello.txt`)
      .then((r) => r.text())
      .catch(() => "");
    if (body === "") await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(body, "hello from a/0\n");
  // Another pod reaches it by the same name.
  c.setConfig("b", { greeting: "fetch" });
  await c.waitIdle({ timeoutMs: 60_000 });
  assert.equal(agentFile(c, "b/0", "fetched"), "hello from a/0\n\n");
  // The service runs in a/0's network namespace.
  const svc = (await pebble.getServices(["web"]))[0];
  assert.equal(svc?.current, "active");
  const ns = statSync(`/run/netns/charmkit-${modelKey(c.home)}-a-0`).ino;
  const pids = readdirSync("/proc").filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, "utf8").includes("http.server\u00008080");
    } catch {
      return false;
    }
  });
  assert.equal(pids.length, 1);
  assert.equal(statSync(`/proc/${pids[0]}/ns/net`).ino, ns);
});

test("two models side by side get their own networks; a second model of the same name is refused", async () => {
  const one = await controller("side-one");
  const two = await controller("side-two");
  await one.addApplication("a", { charm: charm({}) });
  await two.addApplication("a", { charm: charm({}) });
  await Promise.all([one.waitIdle({ timeoutMs: 60_000 }), two.waitIdle({ timeoutMs: 60_000 })]);
  const a1 = one.status().units[0]!;
  const a2 = two.status().units[0]!;
  assert.notEqual(a1.address.split(".")[1], a2.address.split(".")[1], "different /16s");
  assert.notEqual(a1.fqdn, a2.fqdn);
  const blocks = parseHostsFile(readFileSync("/etc/hosts", "utf8")).blocks;
  assert.ok(blocks.some((b) => b.model === "side-one" && b.names.includes(a1.fqdn)));
  assert.ok(blocks.some((b) => b.model === "side-two" && b.names.includes(a2.fqdn)));
  await assert.rejects(
    Controller.open({ home: mkdtempSync(join(tmpdir(), "ck-pod-home-")), modelName: "side-one" }),
    /a model named "side-one" is already running at /,
  );
});

test("a kept model whose network was taken while it was down comes back on another; names stay", async () => {
  const home = mkdtempSync(join(tmpdir(), "ck-pod-home-"));
  const first = await controller("moved", home);
  await first.addApplication("a", { charm: charm({}) });
  await first.waitIdle({ timeoutMs: 60_000 });
  const before = first.status().units[0]!;
  await first.close();
  open.splice(open.indexOf(first), 1);
  // Something else takes the /16 while the model is down (its run directory went with it).
  const octet = before.address.split(".")[1];
  const dummy = `cktake${process.pid % 100_000}`;
  execFileSync("ip", ["link", "add", dummy, "type", "bridge"]);
  try {
    execFileSync("ip", ["addr", "add", `10.${octet}.255.254/16`, "dev", dummy]);
    const again = await controller("moved", home);
    await again.waitIdle({ timeoutMs: 60_000 });
    const after = again.status().units[0]!;
    assert.notEqual(after.address.split(".")[1], octet, "another /16");
    assert.equal(after.fqdn, before.fqdn, "the same name");
    assert.equal(after.workload, before.workload);
    // Juju's own keys in the peer relation's unit bag follow the new address.
    const peer = again.relations().find((r) => r.peer)!;
    assert.equal(again.relationData(peer.id)["a/0"]?.["ingress-address"], after.address);
    const hosts = parseHostsFile(readFileSync("/etc/hosts", "utf8")).blocks.find((b) => b.model === "moved");
    assert.ok(hosts?.names.includes(after.fqdn));
  } finally {
    execFileSync("ip", ["link", "del", dummy]);
  }
});

test("close removes everything from the host; after a crash, down (or the next open) does", async () => {
  const c = await controller("podgone");
  await c.addApplication("a", { charm: charm({}), scale: 2 });
  await c.waitIdle({ timeoutMs: 60_000 });
  assert.ok(leftovers(c.home).length >= 4, leftovers(c.home).join(", "));
  await c.close();
  open.splice(open.indexOf(c), 1);
  assert.deepEqual(leftovers(c.home), []);

  // A controller process killed outright, with a workload running in its pod. Its script lives in
  // a temp dir, where a bare specifier would not resolve: the SDK is resolved here, by its exports.
  const home = mkdtempSync(join(tmpdir(), "ck-pod-home-"));
  const script = join(home, "crash.mts");
  writeFileSync(
    script,
    `import { Controller } from ${JSON.stringify(new URL("../controller.ts", import.meta.url).pathname)};
import { PebbleClient } from ${JSON.stringify(import.meta.resolve("@charmkit/ops/pebble"))};
const c = await Controller.open({ home: ${JSON.stringify(home)}, modelName: "podcrash", updateStatusIntervalMs: 0 });
await c.addApplication("a", { charm: ${JSON.stringify(charm({}))} });
await c.waitIdle({ timeoutMs: 60_000 });
const p = new PebbleClient({ socketPath: ${JSON.stringify(join(home, "units/a-0/containers/work/pebble.socket"))} });
await p.addLayer("s", { services: { s: { override: "replace", command: "sleep 1000", startup: "enabled" } } }, { combine: true });
await p.replan();
console.log("ready");
`,
  );
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((res, rej) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && res());
    child.once("exit", (code) => rej(new Error(`crash helper exited with ${code}`)));
  });
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  const ns = `/run/netns/charmkit-${modelKey(home)}-a-0`;
  assert.ok(existsSync(ns), "the crash left the pod behind");
  const orphans = readdirSync("/proc").filter((p) => {
    try {
      return statSync(`/proc/${p}/ns/net`).ino === statSync(ns).ino;
    } catch {
      return false;
    }
  });
  assert.ok(orphans.length > 0, "and its workload still runs");
  teardownModelAt(home);
  assert.deepEqual(leftovers(home), []);
  for (const pid of orphans) {
    // Gone, or a zombie waiting for its new parent to reap it.
    const state = existsSync(`/proc/${pid}`)
      ? readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0]
      : "gone";
    assert.ok(state === "gone" || state === "Z", `process ${pid} was stopped (state ${state})`);
  }
  // The model itself is intact: opening it again brings its unit back in a new pod.
  const again = await controller("podcrash", home);
  await again.waitIdle({ timeoutMs: 60_000 });
  assert.equal(again.status().units[0]?.fqdn, "a-0.a-endpoints.podcrash.svc.cluster.local");
  assert.ok(existsSync(ns));
});
