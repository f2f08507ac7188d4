/**
 * `charmkit`: the command line of the local model runtime (`up`, `status`, `relate`, `config`,
 * `scale`, `run-action`, `logs`, `wait`, `down`, `run`). Model commands talk to the controller
 * daemon over `$CHARMKIT_HOME/controller.sock`; `up` starts the daemon when it is not running.
 */
import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import { stringify as stringifyYaml } from "yaml";
import { BundleError, loadBundle } from "./bundle.js";
import {
  elapsed,
  formatActionResult,
  formatStatus,
  ingressUrlOf,
  type LogSource,
  mergeLogs,
  progressPrefix,
  settledCount,
  unitOfDir,
  whereToLook,
} from "./cli-format.js";
import type { ActionResult, ExecOutcome, ModelStatus, UnitInfo } from "./controller.js";
import { ApiError, callDaemon } from "./daemon.js";
import { schemeOf } from "./tls-probe.js";
import { teardownModelAt } from "./pods/runtime.js";

const home = resolve(process.env.CHARMKIT_HOME ?? join(process.cwd(), ".charmkit"));

function fail(message: string, code = 1): never {
  process.stderr.write(`ERROR ${message}\n`);
  process.exit(code);
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  try {
    return await callDaemon<T>(home, method, path, body);
  } catch (e) {
    if (e instanceof ApiError) fail(e.message);
    fail(
      `no controller running for ${home} (start one with \`charmkit up BUNDLE\`): ${(e as Error).message}`,
    );
  }
}

async function daemonRunning(): Promise<boolean> {
  try {
    await callDaemon(home, "GET", "/idle");
    return true;
  } catch {
    return false;
  }
}

/**
 * What a controller that failed to start said: its last error (Node prints the error's message
 * above its stack, so a fixed tail of the log can hold frames alone), else the log's last lines.
 */
function startFailure(log: string): string {
  const lines = log.trimEnd().split("\n");
  let at = -1;
  for (let i = lines.length - 1; i >= 0 && at < 0; i--) if (/^\w*Error\b/.test(lines[i] ?? "")) at = i;
  return (at >= 0 ? lines.slice(at, at + 8) : lines.slice(-5)).join("\n");
}

async function ensureDaemon(): Promise<void> {
  if (await daemonRunning()) return;
  mkdirSync(home, { recursive: true });
  const log = openSync(join(home, "controller.log"), "a");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", new URL("./daemon.ts", import.meta.url).pathname],
    {
      detached: true,
      stdio: ["ignore", log, log],
      env: { ...process.env, CHARMKIT_HOME: home },
      cwd: process.cwd(),
    },
  );
  child.unref();
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  for (let i = 0; i < 300 && !exited; i++) {
    await new Promise((r) => setTimeout(r, 100));
    if (await daemonRunning()) return;
  }
  const logPath = join(home, "controller.log");
  const tail = existsSync(logPath) ? startFailure(readFileSync(logPath, "utf8")) : "";
  fail(`the controller did not start; see ${logPath}${tail ? `:\n${tail}` : ""}`);
}

/** The opened tcp ports of `s` that answer a TLS handshake, as `fqdn:port`. */
async function tlsPorts(s: ModelStatus): Promise<Set<string>> {
  const probes = s.units.flatMap((u) =>
    u.ports
      .filter((p) => !p.endsWith("/udp"))
      .map(async (p) => {
        const port = Number(p.split("/")[0]);
        return (await schemeOf(u.address, port)) === "https" ? `${u.fqdn}:${port}` : "";
      }),
  );
  return new Set((await Promise.all(probes)).filter((x) => x !== ""));
}

/** The ingress URL of every unit that has one (see {@link ingressUrlOf}). */
async function ingressUrls(s: ModelStatus): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const u of s.units) {
    const url = ingressUrlOf(await api<UnitInfo>("GET", `/show-unit?unit=${encodeURIComponent(u.name)}`));
    if (url) out.set(u.name, url);
  }
  return out;
}

function kv(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf("=");
    if (i <= 0) fail(`expected key=value, got "${p}"`, 2);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

/** How often `up` says where it is when no unit's line changed. */
const HEARTBEAT_MS = 15_000;

async function waitIdle(timeoutS: number, progress: boolean): Promise<ModelStatus> {
  const started = Date.now();
  const deadline = started + timeoutS * 1000;
  const seen = new Map<string, string>();
  let lastPrint = started;
  for (;;) {
    const [s, idle] = await Promise.all([
      api<ModelStatus>("GET", "/status"),
      api<{ idle: boolean }>("GET", "/idle"),
    ]);
    if (progress) {
      const prefix = progressPrefix(s, Date.now() - started);
      for (const u of s.units) {
        const line = `${u.name}: ${u.workload} / ${u.agent}${u.message ? ` - ${u.message}` : ""}`;
        if (seen.get(u.name) !== line) {
          seen.set(u.name, line);
          process.stdout.write(`${prefix} ${line}\n`);
          lastPrint = Date.now();
        }
      }
      if (!idle.idle && Date.now() - lastPrint >= HEARTBEAT_MS) {
        const busy = s.units.filter((u) => u.agent !== "idle" && u.agent !== "error").map((u) => u.name);
        process.stdout.write(`${prefix} still working: ${busy.join(", ") || "queued hooks"}\n`);
        lastPrint = Date.now();
      }
    }
    if (idle.idle) return s;
    if (Date.now() > deadline)
      fail(`model not idle after ${timeoutS}s (${settledCount(s)}/${s.units.length} units settled)`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const program = new Command("charmkit").description("Run charms locally: a one-machine stand-in for Juju");

program
  .command("up")
  .argument("<bundle>", "bundle YAML (applications, relations)")
  .option("--timeout <seconds>", "wait at most this long for the model to settle", "300")
  .option("--no-wait", "return once deployed")
  .description(
    "validate and deploy a bundle, starting the controller if needed, then follow the units until every one has settled",
  )
  .action(async (bundlePath: string, o: { timeout: string; wait: boolean }) => {
    try {
      await loadBundle(bundlePath);
    } catch (e) {
      if (e instanceof BundleError) fail(e.message, 2);
      throw e;
    }
    const started = Date.now();
    await ensureDaemon();
    await api("POST", "/deploy", { bundle: resolve(bundlePath) });
    if (!o.wait) return;
    const s = await waitIdle(Number(o.timeout), true);
    const errors = s.units.filter((u) => u.workload === "error");
    process.stdout.write(
      `model settled: ${s.units.length} unit(s)${errors.length ? `, ${errors.length} in error` : ""} in ${elapsed(Date.now() - started)}\n`,
    );
    if (errors.length) process.exitCode = 1;
    process.stdout.write(whereToLook(s, await ingressUrls(s), home, await tlsPorts(s)));
  });

const FORMATS = ["tabular", "yaml", "json"];

program
  .command("status")
  .addOption(new Option("--format <fmt>", "output format").choices(FORMATS).default("tabular"))
  .description("show applications, units and relations")
  .action(async (o: { format: string }) => {
    const s = await api<ModelStatus>("GET", "/status");
    if (o.format === "json") process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    else if (o.format === "yaml") process.stdout.write(stringifyYaml(s));
    else process.stdout.write(formatStatus(s));
  });

program
  .command("show-unit")
  .argument("<unit>")
  .addOption(new Option("--format <fmt>", "output format").choices(["yaml", "json"]).default("yaml"))
  .description("show a unit's address, FQDN and relation data (as `juju show-unit`)")
  .action(async (unit: string, o: { format: string }) => {
    const info = await api<UnitInfo>("GET", `/show-unit?unit=${encodeURIComponent(unit)}`);
    const { unit: name, ...rest } = info;
    process.stdout.write(
      o.format === "json" ? `${JSON.stringify(info, null, 2)}\n` : stringifyYaml({ [name]: rest }),
    );
  });

program
  .command("remove-application")
  .argument("<app>")
  .description("remove an application with its units and relations (their hooks run first)")
  .action(async (app: string) => {
    await api("POST", "/remove-application", { app });
    process.stdout.write(`removing ${app}: its units run their relation-departed, -broken and stop hooks\n`);
  });

program
  .command("relate")
  .alias("integrate")
  .argument("<a>", "app[:endpoint]")
  .argument("<b>", "app[:endpoint]")
  .description(
    "relate two applications (as `juju integrate`); the endpoints may be left out when only one pair of endpoints fits",
  )
  .action(async (a: string, b: string) => {
    const r = await api<{ id: number }>("POST", "/relate", { a, b });
    process.stdout.write(`relation ${r.id} created\n`);
  });

program
  .command("remove-relation")
  .argument("<a>", "app[:endpoint]")
  .argument("<b>", "app[:endpoint]")
  .description("remove the relation between two applications; both sides run relation-departed and -broken")
  .action(async (a: string, b: string) => {
    await api("POST", "/remove-relation", { a, b });
    process.stdout.write(`removing the relation between ${a} and ${b}\n`);
  });

function quote(v: unknown): string {
  return JSON.stringify(v) ?? "unset";
}

program
  .command("config")
  .argument("<app>")
  .argument("[pairs...]", "key=value to set")
  .option("--reset <keys>", "comma-separated keys to return to their defaults (as `juju config --reset`)")
  .description("show an application's config, set values, or reset them to their defaults")
  .action(async (app: string, pairs: string[], o: { reset?: string }) => {
    const path = `/config?app=${encodeURIComponent(app)}`;
    const before = await api<Record<string, unknown>>("GET", path);
    const reset = (o.reset ?? "").split(",").filter((k) => k !== "");
    if (pairs.length === 0 && reset.length === 0) {
      for (const [k, v] of Object.entries(before)) process.stdout.write(`${k}: ${quote(v)}\n`);
      return;
    }
    const values: Record<string, unknown> = kv(pairs);
    for (const k of reset) {
      if (k in values) fail(`"${k}" is both set and reset`, 2);
      values[k] = null;
    }
    await api("POST", "/config", { app, values });
    const after = await api<Record<string, unknown>>("GET", path);
    for (const k of Object.keys(values)) {
      const what = values[k] === null ? "reset to its default" : "set to";
      process.stdout.write(`${app}: ${k} ${what} ${quote(after[k])} (was ${quote(before[k])})\n`);
    }
    process.stdout.write(`its units run config-changed; npx charmkit wait returns once they are done\n`);
  });

program
  .command("scale")
  .argument("<app>")
  .argument("<n>", "the number of units wanted")
  .description("add units to an application, or remove its highest-numbered ones, until it has <n>")
  .action(async (app: string, n: string) => {
    if (!/^\d+$/.test(n)) fail(`scale must be a non-negative integer, got "${n}"`, 2);
    const units = (st: ModelStatus) =>
      st.units.filter((u) => u.name.startsWith(`${app}/`)).map((u) => u.name);
    const before = units(await api<ModelStatus>("GET", "/status"));
    await api("POST", "/scale", { app, n: Number(n) });
    const after = units(await api<ModelStatus>("GET", "/status"));
    const added = after.filter((u) => !before.includes(u));
    const going = before.length - Number(n);
    let what = "nothing to do";
    if (added.length > 0) what = `adding ${added.join(", ")}`;
    else if (going > 0) what = `removing ${before.slice(-going).join(", ")}`;
    process.stdout.write(`${app}: ${before.length} -> ${n} unit(s), ${what}\n`);
  });

program
  .command("run-action")
  .argument("<unit>", "e.g. prometheus/0")
  .argument("<action>", "an action the unit's charm defines (actions in its charmcraft.yaml)")
  .argument("[params...]", "key=value")
  .addOption(new Option("--format <fmt>", "output format").choices(["text", "json"]).default("text"))
  .description("run an action on a unit, wait for it, and print its log, results and status (as `juju run`)")
  .action(async (unit: string, action: string, params: string[], o: { format: string }) => {
    const r = await api<ActionResult>("POST", "/run-action", { unit, action, params: kv(params) });
    process.stdout.write(o.format === "json" ? `${JSON.stringify(r, null, 2)}\n` : formatActionResult(r));
    if (r.status !== "completed") process.exitCode = 1;
  });

program
  .command("exec")
  .requiredOption("--unit <unit>", "the unit whose hook context runs the command")
  .argument("<command...>", "the command and its arguments (after --)")
  .description("run a command in a unit's charm container with the hook tools, as `juju exec`")
  .action(async (argv: string[], o: { unit: string }) => {
    const r = await api<ExecOutcome>("POST", "/exec", { unit: o.unit, argv });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    process.exitCode = r.exitCode ?? 1;
  });

program
  .command("resolve")
  .argument("<unit>")
  .description("skip the failed hook of a unit in error")
  .action(async (unit: string) => {
    await api("POST", "/resolve", { unit });
  });

/** A log file and what its lines are labelled with. */
interface LogFile {
  readonly label: string;
  readonly path: string;
}

/**
 * The log files to print: each unit's own log (hooks, juju-log, Pebble's messages to the charm)
 * and, with `workload`, each Pebble service's output in the unit's containers.
 */
function logFiles(unit: string | undefined, workload: boolean): LogFile[] {
  const unitsDir = join(home, "units");
  const dirs = unit ? [unit.replace("/", "-")] : existsSync(unitsDir) ? readdirSync(unitsDir).sort() : [];
  const out: LogFile[] = [];
  for (const d of dirs) {
    const name = unitOfDir(d);
    const own = join(unitsDir, d, "unit.log");
    if (existsSync(own)) out.push({ label: name, path: own });
    if (!workload) continue;
    const containers = join(unitsDir, d, "containers");
    for (const c of existsSync(containers) ? readdirSync(containers).sort() : []) {
      const logs = join(containers, c, "logs");
      for (const f of existsSync(logs) ? readdirSync(logs).sort() : []) {
        if (f.endsWith(".log")) out.push({ label: `${name} ${c}`, path: join(logs, f) });
      }
    }
  }
  return out;
}

/** Reads what `path` holds past `offset`, up to its last complete line. */
function readFrom(path: string, offset: number): { text: string; next: number } {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return { text: "", next: offset };
  }
  // A file that shrank was started again (a unit removed and added back): read it from the start.
  const from = size < offset ? 0 : offset;
  if (size === from) return { text: "", next: from };
  const buf = Buffer.alloc(size - from);
  const fd = openSync(path, "r");
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  const end = buf.lastIndexOf(0x0a) + 1;
  return { text: buf.subarray(0, end).toString("utf8"), next: from + end };
}

program
  .command("logs")
  .argument("[unit]", "a unit, e.g. prometheus/0 (default: every unit, merged by time)")
  .option("-f, --follow", "keep printing lines as they are written, until interrupted")
  .option("--workload", "add the workload's own output (each Pebble service's log, e.g. Prometheus')")
  .description(
    "print a unit's log (hooks, juju-log, Pebble), or every unit's merged by time, each line naming its unit",
  )
  .action(async (unit: string | undefined, o: { follow?: boolean; workload?: boolean }) => {
    if (unit && !existsSync(join(home, "units", unit.replace("/", "-"))))
      fail(`no log for unit "${unit}" (units: npx charmkit status)`);
    const offsets = new Map<string, number>();
    const label = (f: LogFile, n: number) => (n === 1 && unit ? "" : f.label);
    const poll = (): void => {
      const files = logFiles(unit, o.workload === true);
      const sources: LogSource[] = [];
      for (const f of files) {
        const r = readFrom(f.path, offsets.get(f.path) ?? 0);
        offsets.set(f.path, r.next);
        if (r.text) sources.push({ label: label(f, files.length), text: r.text });
      }
      process.stdout.write(mergeLogs(sources));
    };
    poll();
    if (!o.follow) return;
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      poll();
    }
  });

program
  .command("wait")
  .option("--timeout <seconds>", "give up (exit code 1) after this long", "300")
  .description("wait until every unit has run all its queued hooks (the model is idle)")
  .action(async (o: { timeout: string }) => {
    const s = await waitIdle(Number(o.timeout), false);
    process.stdout.write(`model idle: ${s.units.length} unit(s)\n`);
  });

program
  .command("down")
  .option("--keep", "keep the model on disk: the next `charmkit up` restores it with its data")
  .description(
    "stop the controller and every hook and workload process, remove the pods and their /etc/hosts names, and delete the model (its directory, with Prometheus' data) unless --keep",
  )
  .action(async (o: { keep?: boolean }) => {
    const running = await daemonRunning();
    if (running) {
      await api("POST", "/down");
      // The controller removes its socket once every workload and pod is gone; on a loaded
      // machine that can take a minute. Returning earlier would let the next `up` find it alive.
      for (let i = 0; i < 1800 && existsSync(join(home, "controller.sock")); i++)
        await new Promise((r) => setTimeout(r, 100));
      if (existsSync(join(home, "controller.sock")))
        fail(`the controller at ${home} did not stop within 180 s; see ${join(home, "controller.log")}`);
    } else {
      // No controller (it crashed, or was never started): remove what its pods left on the host.
      try {
        teardownModelAt(home);
      } catch (e) {
        fail((e as Error).message);
      }
    }
    const what = running ? "model stopped" : "no controller was running; pods removed";
    if (o.keep) {
      process.stdout.write(`${what}; kept in ${home} (the next charmkit up restores it)\n`);
      return;
    }
    rmSync(home, { recursive: true, force: true, maxRetries: 20, retryDelay: 200 });
    process.stdout.write(`${what}; deleted ${home} (charmkit down --keep keeps it)\n`);
  });

program
  .command("run")
  .argument("<charmDir>")
  .argument("<event>", "event name, e.g. config-changed or metrics-endpoint-relation-changed")
  .requiredOption("--state <file>", "input state as JSON")
  .description("run one event on a JSON state with the state-transition harness and print the output state")
  .action(async (charmDir: string, event: string, o: { state: string }) => {
    // The harness through the SDK's package export, loaded only for this command.
    const { runCharmJson } = await import("@charmkit/ops/testing");
    const stateText = readFileSync(o.state, "utf8");
    const out = await runCharmJson({ charmDir: resolve(charmDir), event, stateJson: stateText });
    process.stdout.write(`${typeof out === "string" ? out : JSON.stringify(out, null, 2)}\n`);
  });

await program.parseAsync(process.argv);
