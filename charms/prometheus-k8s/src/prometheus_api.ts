/**
 * Talks to the Prometheus HTTP API from the charm: the hot reload (`POST /-/reload`) and the
 * workload version from `prometheus --version`. Uses Node's global fetch; nothing at import time.
 */
import type { PrometheusApi, ReloadResult } from "./apply.js";

/** Prometheus API client bound to one base URL (e.g. `http://localhost:9090`). */
export class PrometheusHttp implements PrometheusApi {
  constructor(private readonly baseUrl: string) {}

  /**
   * After a 200 from /-/reload, confirms with `prometheus_config_last_reload_successful`: a
   * reload that Prometheus accepted but could not apply shows there as 0.
   */
  private async confirm(timeoutMs: number): Promise<ReloadResult> {
    try {
      const res = await fetch(`${this.baseUrl.replace(/\/+$/, "")}/metrics`, {
        signal: AbortSignal.timeout(Math.min(timeoutMs, 10_000)),
      });
      const ok = lastReloadSuccessful(await res.text());
      if (ok === false) return { kind: "failed", detail: "prometheus_config_last_reload_successful is 0" };
      return { kind: "ok" };
    } catch {
      // The reload itself succeeded; an unreadable /metrics is not a reason to retry it.
      return { kind: "ok" };
    }
  }

  /** `POST /-/reload`; Prometheus replies after the reload completed (200) or failed (500). */
  async reload(timeoutMs: number): Promise<ReloadResult> {
    const url = `${this.baseUrl.replace(/\/+$/, "")}/-/reload`;
    try {
      const res = await fetch(url, { method: "POST", signal: AbortSignal.timeout(timeoutMs) });
      if (res.ok) return await this.confirm(timeoutMs);
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

/** Reads `prometheus_config_last_reload_successful` from Prometheus' own metrics text. */
export function lastReloadSuccessful(metricsText: string): boolean | undefined {
  const m = /^prometheus_config_last_reload_successful(?:\{[^}]*\})? (\S+)/m.exec(metricsText);
  return m ? Number(m[1]) === 1 : undefined;
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
