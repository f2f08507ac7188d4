/**
 * Helpers of the end-to-end tests: pack the charms (`npm run pack`'s code, cached), drive
 * `charmkit` as a user would (a subprocess per command, a private CHARMKIT_HOME and model name),
 * find a unit's processes in its pod, poll real HTTP APIs with deadlines, and explain failures
 * with the model's status and the relevant unit log.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { packCharm } from "@charmkit/build/pack";
import { podNetnsPath } from "@charmkit/local";

const run = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "packages/local/src/cli.ts");
/** Where `npm run pack` writes, and the bundles of the demo and the tests look. */
export const DIST = join(ROOT, "dist");

/** Every charm the demo and the end-to-end tests deploy. */
export const CHARMS = [
  "charms/prometheus-k8s",
  "charms/testers/alertmanager-tester",
  "charms/testers/catalogue-tester",
  "charms/testers/certificates-tester",
  "charms/testers/grafana-tester",
  "charms/testers/https-target-tester",
  "charms/testers/ingress-tester",
  "charms/testers/loki-tester",
  "charms/testers/metrics-tester",
  "charms/testers/remote-write-tester",
  "charms/testers/tracing-tester",
];

/**
 * Packs `dirs` into dist/ as `npm run pack` does (unchanged charms reuse their cached zip), one
 * test file at a time: files running side by side would otherwise stage the same charm at once.
 */
export async function packCharms(dirs: readonly string[] = CHARMS): Promise<string[]> {
  const lock = join(DIST, ".pack.lock");
  mkdirSync(DIST, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      // A lock older than a pack can take was left by a killed run.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 300_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const out: string[] = [];
    for (const d of dirs) out.push((await packCharm({ charmDir: join(ROOT, d), outDir: DIST })).charm);
    return out;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface UnitStatus {
  name: string;
  workload: string;
  agent: string;
  address: string;
  fqdn: string;
  message: string;
  ports?: string[];
}

/** One relation of `charmkit show-unit --format json` (the shape of `juju show-unit`). */
export interface RelationInfo {
  "relation-id": number;
  endpoint: string;
  "related-endpoint": string;
  "application-data": Record<string, string>;
  "local-unit": { data: Record<string, string> };
  "related-units": Record<string, { data: Record<string, string> }>;
}
export interface ModelStatus {
  model: { name: string; uuid: string };
  applications: { name: string; status: string; message: string; scale: number }[];
  units: UnitStatus[];
}

/**
 * A local model in its own home, driven through the `charmkit` CLI. Each test file names its
 * model (a unique `e2e-<hex>` when it does not), so that it can run beside another test file's and
 * a demo model ("local") on the same machine.
 */
export class LocalModel {
  readonly home = mkdtempSync(join(tmpdir(), "charmkit-e2e-"));
  readonly env: NodeJS.ProcessEnv;
  readonly name: string;

  constructor(name?: string) {
    this.name = name ?? `e2e-${randomBytes(3).toString("hex")}`;
    this.env = {
      ...process.env,
      CHARMKIT_HOME: this.home,
      CHARMKIT_MODEL: this.name,
      // Short update-status period so retries and recovery happen within the test's deadlines.
      CHARMKIT_UPDATE_STATUS_MS: "5000",
    };
  }

  async cli(...args: string[]): Promise<string> {
    try {
      const { stdout } = await run(process.execPath, ["--import", "tsx", CLI, ...args], {
        env: this.env,
        cwd: ROOT,
        maxBuffer: 64 * 1024 * 1024,
        timeout: 600_000,
      });
      return stdout;
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string; message: string };
      throw new Error(
        `charmkit ${args.join(" ")} failed: ${x.message}\n${x.stdout ?? ""}\n${x.stderr ?? ""}`,
      );
    }
  }

  async status(): Promise<ModelStatus> {
    return JSON.parse(await this.cli("status", "--format", "json")) as ModelStatus;
  }

  async unit(name: string): Promise<UnitStatus> {
    const u = (await this.status()).units.find((x) => x.name === name);
    if (!u) throw new Error(`no unit ${name}`);
    return u;
  }

  /** A unit's relations with their committed data (`charmkit show-unit`). */
  async relations(unit: string): Promise<RelationInfo[]> {
    const info = JSON.parse(await this.cli("show-unit", unit, "--format", "json")) as {
      "relation-info": RelationInfo[];
    };
    return info["relation-info"];
  }

  /** The relation of `unit` on `endpoint` (the first, when several). */
  async relation(unit: string, endpoint: string): Promise<RelationInfo> {
    const r = (await this.relations(unit)).find((x) => x.endpoint === endpoint);
    if (!r) throw new Error(`${unit} has no relation on ${endpoint}`);
    return r;
  }

  /** Pids of the processes running `exe` (by argv[0]'s base name) in `unit`'s pod. */
  podPids(unit: string, exe: string): number[] {
    const ns = podNetns(this.home, unit);
    if (ns === undefined) return [];
    const out: number[] = [];
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const argv0 = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")[0] ?? "";
        if (argv0.split("/").pop() !== exe) continue;
        if (statSync(`/proc/${entry}/ns/net`).ino === ns) out.push(Number(entry));
      } catch {
        // Gone meanwhile.
      }
    }
    return out;
  }

  /** PID of the Prometheus process in `unit`'s pod. */
  prometheusPid(unit = "prometheus/0"): number | undefined {
    return this.podPids(unit, "prometheus")[0];
  }

  /** The last lines of a unit's log (hooks and workload output). */
  logTail(unit: string, lines = 30): string {
    const dir = join(this.home, "units", unit.replace("/", "-"));
    try {
      const log = readdirSync(dir).find((f) => f.endsWith(".log"));
      return log ? readFileSync(join(dir, log), "utf8").split("\n").slice(-lines).join("\n") : "(no log)";
    } catch {
      return "(no log)";
    }
  }

  /** Polls `probe` until it returns a value that is not undefined; fails with context. */
  async until<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    opts: { timeoutMs?: number; unit?: string } = {},
  ): Promise<T> {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    let last: unknown;
    for (;;) {
      try {
        const v = await probe();
        if (v !== undefined) return v;
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) {
        const st = await this.cli("status").catch((e: Error) => e.message);
        const tail = opts.unit ? `\n--- ${opts.unit} log ---\n${this.logTail(opts.unit)}` : "";
        throw new Error(
          `timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}\n${st}${tail}`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async down(): Promise<void> {
    await this.cli("down").catch(() => undefined);
  }
}

/** GET a URL and parse JSON; throws on HTTP errors. */
export async function getJson<T = unknown>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export interface Series {
  metric: Record<string, string>;
  value: [number, string];
}

/** Instant query against a Prometheus base URL. */
export async function query(base: string, expr: string, time?: number): Promise<Series[]> {
  const t = time === undefined ? "" : `&time=${time}`;
  const r = await getJson<{ data: { result: Series[] } }>(
    `${base}/api/v1/query?query=${encodeURIComponent(expr)}${t}`,
  );
  return r.data.result;
}

/** The inode of `unit`'s pod network namespace. */
function podNetns(home: string, unit: string): number | undefined {
  try {
    return statSync(podNetnsPath(home, unit)).ino;
  } catch {
    return undefined;
  }
}
