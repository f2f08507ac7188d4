/**
 * `charmkit`: the command line of the local model runtime (`up`, `status`, `relate`, `config`,
 * `scale`, `run-action`, `logs`, `wait`, `down`, `run`). Model commands talk to the controller
 * daemon over `$CHARMKIT_HOME/controller.sock`; `up` starts the daemon when it is not running.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { BundleError, loadBundle } from "./bundle.js";
import { stringify as stringifyYaml } from "yaml";
import type { ActionResult, ExecOutcome, ModelStatus, UnitInfo } from "./controller.js";
import { ApiError, callDaemon } from "./daemon.js";
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
  const tail = existsSync(logPath)
    ? readFileSync(logPath, "utf8").trim().split("\n").slice(-5).join("\n")
    : "";
  fail(`the controller did not start; see ${logPath}${tail ? `:\n${tail}` : ""}`);
}

/**
 * What to open after `up`: every opened port as a URL on the unit's FQDN, and every unit's status
 * message that names a URL (the charms say where their workload answers, e.g. through an
 * ingress). The FQDNs resolve on this host through the model's block in /etc/hosts.
 */
export function whereToLook(s: ModelStatus): string {
  const lines: string[] = [];
  for (const u of s.units) {
    const urls = new Set<string>();
    for (const p of u.ports) {
      const port = p.split("/")[0];
      if (port) urls.add(`http://${u.fqdn}:${port}`);
    }
    for (const m of u.message.matchAll(/https?:\/\/[^\s;,)]+/g)) urls.add(m[0]);
    if (urls.size > 0) lines.push(`  ${u.name.padEnd(18)} ${[...urls].join("  ")}`);
  }
  if (lines.length === 0) return "";
  return `\nWhere to look (the names resolve on this host through /etc/hosts; addresses: npx charmkit status):\n${lines.join("\n")}\n\nNext: npx charmkit status, npx charmkit logs UNIT, npx charmkit down (model home: ${home})\n`;
}

function pad(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** Renders `status` as `juju status`-style tables. */
export function formatStatus(s: ModelStatus): string {
  const apps = [["App", "Version", "Status", "Scale", "Charm", "Message"]];
  for (const a of s.applications)
    apps.push([a.name, a.version || "", a.status, String(a.scale), a.charm, a.message]);
  const units = [["Unit", "Workload", "Agent", "Address", "Ports", "Message"]];
  for (const u of s.units)
    units.push([
      `${u.name}${u.leader ? "*" : ""}`,
      u.workload,
      u.agent,
      u.address,
      u.ports.join(","),
      u.message,
    ]);
  const rels = [["Integration provider", "Requirer", "Interface", "Type"]];
  for (const r of s.relations) rels.push([r.provider, r.requirer, r.interface, r.peer ? "peer" : "regular"]);
  return `Model: ${s.model.name}\n\n${pad(apps)}\n\n${pad(units)}\n\n${pad(rels)}\n`;
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

async function waitIdle(timeoutS: number, progress: boolean): Promise<ModelStatus> {
  const deadline = Date.now() + timeoutS * 1000;
  const seen = new Map<string, string>();
  for (;;) {
    const [s, idle] = await Promise.all([
      api<ModelStatus>("GET", "/status"),
      api<{ idle: boolean }>("GET", "/idle"),
    ]);
    if (progress) {
      for (const u of s.units) {
        const line = `${u.name}: ${u.workload} / ${u.agent}${u.message ? ` - ${u.message}` : ""}`;
        if (seen.get(u.name) !== line) {
          seen.set(u.name, line);
          process.stdout.write(`${line}\n`);
        }
      }
    }
    if (idle.idle) return s;
    if (Date.now() > deadline) fail(`model not idle after ${timeoutS}s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const program = new Command("charmkit").description("Run charms locally: a one-machine stand-in for Juju");

program
  .command("up")
  .argument("<bundle>", "bundle YAML (applications, relations)")
  .option("--timeout <seconds>", "wait at most this long for the model to settle", "300")
  .option("--no-wait", "return once deployed")
  .description("validate and deploy a bundle, starting the controller if needed")
  .action(async (bundlePath: string, o: { timeout: string; wait: boolean }) => {
    try {
      await loadBundle(bundlePath);
    } catch (e) {
      if (e instanceof BundleError) fail(e.message, 2);
      throw e;
    }
    await ensureDaemon();
    await api("POST", "/deploy", { bundle: resolve(bundlePath) });
    if (!o.wait) return;
    const s = await waitIdle(Number(o.timeout), true);
    const errors = s.units.filter((u) => u.workload === "error");
    process.stdout.write(
      `model settled: ${s.units.length} unit(s)${errors.length ? `, ${errors.length} in error` : ""}\n`,
    );
    if (errors.length) process.exitCode = 1;
    process.stdout.write(whereToLook(s));
  });

program
  .command("status")
  .option("--format <fmt>", "tabular or json", "tabular")
  .description("show applications, units and relations")
  .action(async (o: { format: string }) => {
    const s = await api<ModelStatus>("GET", "/status");
    process.stdout.write(o.format === "json" ? `${JSON.stringify(s, null, 2)}\n` : formatStatus(s));
  });

program
  .command("show-unit")
  .argument("<unit>")
  .option("--format <fmt>", "yaml or json", "yaml")
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
  });

program
  .command("relate")
  .alias("integrate")
  .argument("<a>", "app[:endpoint]")
  .argument("<b>", "app[:endpoint]")
  .action(async (a: string, b: string) => {
    const r = await api<{ id: number }>("POST", "/relate", { a, b });
    process.stdout.write(`relation ${r.id} created\n`);
  });

program
  .command("remove-relation")
  .argument("<a>")
  .argument("<b>")
  .action(async (a: string, b: string) => {
    await api("POST", "/remove-relation", { a, b });
  });

program
  .command("config")
  .argument("<app>")
  .argument("[pairs...]", "key=value to set")
  .description("show an application's config, or set values")
  .action(async (app: string, pairs: string[]) => {
    if (pairs.length === 0) {
      const cfg = await api<Record<string, unknown>>("GET", `/config?app=${encodeURIComponent(app)}`);
      for (const [k, v] of Object.entries(cfg)) process.stdout.write(`${k}: ${JSON.stringify(v)}\n`);
      return;
    }
    await api("POST", "/config", { app, values: kv(pairs) });
  });

program
  .command("scale")
  .argument("<app>")
  .argument("<n>")
  .action(async (app: string, n: string) => {
    if (!/^\d+$/.test(n)) fail(`scale must be a non-negative integer, got "${n}"`, 2);
    await api("POST", "/scale", { app, n: Number(n) });
  });

program
  .command("run-action")
  .argument("<unit>")
  .argument("<action>")
  .argument("[params...]", "key=value")
  .option("--format <fmt>", "yaml-ish text or json", "text")
  .action(async (unit: string, action: string, params: string[], o: { format: string }) => {
    const r = await api<ActionResult>("POST", "/run-action", { unit, action, params: kv(params) });
    if (o.format === "json") process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else {
      for (const l of r.logs) process.stdout.write(`log: ${l}\n`);
      for (const [k, v] of Object.entries(r.results))
        process.stdout.write(`${k}: ${typeof v === "string" ? v : JSON.stringify(v)}\n`);
      process.stdout.write(`status: ${r.status}${r.message ? ` (${r.message})` : ""}\n`);
    }
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

program
  .command("logs")
  .argument("[unit]")
  .description("print a unit's log (hook output, juju-log), or every unit's")
  .action((unit?: string) => {
    const dir = join(home, "units");
    const names = unit ? [unit.replace("/", "-")] : existsSync(dir) ? readdirSync(dir).sort() : [];
    for (const n of names) {
      const p = join(dir, n, "unit.log");
      if (!existsSync(p)) fail(`no log for unit "${unit ?? n}"`);
      const text = readFileSync(p, "utf8");
      process.stdout.write(unit ? text : text.replace(/^/gm, `${n}: `));
    }
  });

program
  .command("wait")
  .option("--timeout <seconds>", "", "300")
  .action(async (o: { timeout: string }) => {
    await waitIdle(Number(o.timeout), false);
  });

program
  .command("down")
  .option("--keep", "keep the model on disk (the next `up` restores it)")
  .description("stop the controller, every hook and workload process")
  .action(async (o: { keep?: boolean }) => {
    if (await daemonRunning()) {
      await api("POST", "/down");
      for (let i = 0; i < 300 && existsSync(join(home, "controller.sock")); i++)
        await new Promise((r) => setTimeout(r, 100));
    } else {
      // No controller (it crashed, or was never started): remove what its pods left on the host.
      try {
        teardownModelAt(home);
      } catch (e) {
        fail((e as Error).message);
      }
    }
    if (!o.keep) rmSync(home, { recursive: true, force: true, maxRetries: 20, retryDelay: 200 });
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
