/**
 * Talks to the Prometheus HTTP API from the charm: the hot reload (`POST /-/reload`) and the
 * workload version from `prometheus --version`. Uses Node's global fetch; nothing at import time.
 */
import { createRequire } from "node:module";
import type { PrometheusApi, ReloadResult } from "./apply.js";

/** A response as far as the reload needs it. */
interface Reply {
  readonly status: number;
  readonly text: string;
}

/**
 * Prometheus API client bound to one base URL (e.g. `http://localhost:9090`). Under TLS the
 * charm reaches its own Prometheus at the https URL it publishes, whose certificate a private CA
 * signed: `ca` is that CA (PEM), trusted for this client only. Node's global fetch takes no CA
 * of its own, so https goes through node:https, loaded on first use.
 */
export class PrometheusHttp implements PrometheusApi {
  constructor(
    private readonly baseUrl: string,
    private readonly ca?: string | undefined,
  ) {}

  private async send(path: string, method: "GET" | "POST", timeoutMs: number): Promise<Reply> {
    const url = `${this.baseUrl.replace(/\/+$/, "")}${path}`;
    if (!url.startsWith("https:")) {
      const res = await fetch(url, { method, signal: AbortSignal.timeout(timeoutMs) });
      return { status: res.status, text: await res.text() };
    }
    // A dynamic import() has no loader in the bundled charm (run as a vm.Script with its code
    // cache), so the lazy load goes through require, as the SDK's tracing export does.
    const { request } = createRequire("/")("node:https") as typeof import("node:https");
    return new Promise<Reply>((resolve, reject) => {
      const req = request(url, { method, ca: this.ca, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
  }

  /**
   * After a 200 from /-/reload, confirms with `prometheus_config_last_reload_successful`: a
   * reload that Prometheus accepted but could not apply shows there as 0.
   */
  private async confirm(timeoutMs: number): Promise<ReloadResult> {
    try {
      const res = await this.send("/metrics", "GET", Math.min(timeoutMs, 10_000));
      const ok = lastReloadSuccessful(res.text);
      if (ok === false) return { kind: "failed", detail: "prometheus_config_last_reload_successful is 0" };
      return { kind: "ok" };
    } catch {
      // The reload itself succeeded; an unreadable /metrics is not a reason to retry it.
      return { kind: "ok" };
    }
  }

  /** `POST /-/reload`; Prometheus replies after the reload completed (200) or failed (500). */
  async reload(timeoutMs: number): Promise<ReloadResult> {
    try {
      const res = await this.send("/-/reload", "POST", timeoutMs);
      if (res.status >= 200 && res.status < 300) return await this.confirm(timeoutMs);
      const body = res.text.trim();
      return { kind: "failed", detail: `HTTP ${res.status}${body ? `: ${body}` : ""}` };
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name === "TimeoutError" || name === "AbortError") return { kind: "timeout" };
      // A refused connection while starting is a wait, not a failure (upstream issue 371).
      // fetch wraps the socket error in `cause`; node:https raises it as it is.
      const err = e as { code?: string; cause?: { code?: string } };
      if ((err.cause?.code ?? err.code) === "ECONNREFUSED") return { kind: "timeout" };
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
