/**
 * Talks to the Prometheus HTTP API from the charm: the hot reload (`POST /-/reload`) and the
 * workload version from `prometheus --version`. Uses Node's global fetch; nothing at import time.
 */
import type { PrometheusApi, ReloadResult } from "./apply.js";

/** Prometheus API client bound to one base URL (e.g. `http://localhost:9090`). */
export class PrometheusHttp implements PrometheusApi {
  constructor(private readonly baseUrl: string) {}

  /** `POST /-/reload`; Prometheus replies after the reload completed (200) or failed (500). */
  async reload(timeoutMs: number): Promise<ReloadResult> {
    const url = `${this.baseUrl.replace(/\/+$/, "")}/-/reload`;
    try {
      const res = await fetch(url, { method: "POST", signal: AbortSignal.timeout(timeoutMs) });
      if (res.ok) return { kind: "ok" };
      const body = (await res.text()).trim();
      return { kind: "failed", detail: `HTTP ${res.status}${body ? `: ${body}` : ""}` };
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name === "TimeoutError" || name === "AbortError") return { kind: "timeout" };
      // A refused connection while starting is a wait, not a failure (upstream issue 371).
      const code = (e as { cause?: { code?: string } }).cause?.code;
      if (code === "ECONNREFUSED") return { kind: "timeout" };
      return { kind: "failed", detail: e instanceof Error ? e.message : String(e) };
    }
  }
}

/** Parses `prometheus --version` output; `undefined` when no version is found. */
export function parseVersion(output: string): string | undefined {
  return /version (\d+\.\d+\.\d+)/.exec(output)?.[1];
}

/** Major version number, defaulting to 3 (the production image) when unknown. */
export function majorVersion(version: string | undefined): number {
  const m = version ? Number(version.split(".")[0]) : Number.NaN;
  return Number.isInteger(m) ? m : 3;
}
