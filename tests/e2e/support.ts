/**
 * Helpers of the end-to-end tests: drive `charmkit` as a user would (a subprocess per command,
 * a private CHARMKIT_HOME), poll real HTTP APIs with deadlines, and explain failures with the
 * model's status and the relevant unit log.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "packages/local/src/cli.ts");

export interface UnitStatus {
  name: string;
  workload: string;
  agent: string;
  address: string;
  message: string;
  ports?: string[];
}
export interface ModelStatus {
  model: { name: string; uuid: string };
  applications: { name: string; status: string; message: string; scale: number }[];
  units: UnitStatus[];
}

/** A local model in its own home, driven through the `charmkit` CLI. */
export class LocalModel {
  readonly home = mkdtempSync(join(tmpdir(), "charmkit-e2e-"));
  readonly env = {
    ...process.env,
    CHARMKIT_HOME: this.home,
    // Short update-status period so retries and recovery happen within the test's deadlines.
    CHARMKIT_UPDATE_STATUS_MS: "5000",
  };

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

/** PID of the Prometheus process listening on `address:9090`, from /proc. */
export function prometheusPid(address: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue;
    }
    const argv = cmd.split("\0");
    if (argv[0]?.endsWith("/prometheus") && argv.includes(`--web.listen-address=${address}:9090`))
      return Number(entry);
  }
  return undefined;
}
